/*
 * tcp_figs: what bench_tcp's peers share -- the figures, the bulk buffers,
 * a run's results (rates, CPU, latency histogram).  Strata's and the
 * kernel's peers are in bench/bench_tcp.c, lwIP's in tcp_lwip.c.
 */
#ifndef STRATA_BENCH_TCP_FIGS_H
#define STRATA_BENCH_TCP_FIGS_H

#include <stdbool.h>
#include <stdint.h>

#include "bench_util.h"

#define CHUNK   65536 /* bytes per send/recv call in bulk */
#define PORT    5001
#define HIST_NS 10     /* latency histogram bucket */
#define HIST_N  200000 /* buckets: up to 2 ms */
/* Bulk: at most this many bytes sent and not yet read.  Strata has no TCP
 * Small Queues yet: without a bound, a grown cwnd puts more segments into
 * the peer's backlog than netdev_max_backlog (1000) holds, and recovering
 * from those drops needs the RTO, i.e. the clock to move. */
#define BULK_WINDOW (1u << 20)

enum fig { F_BULK1500, F_BULK64K, F_RR, F_CONN, NFIG };

/* What bulk sends from and reads into (every peer copies through them). */
extern uint8_t sbuf[CHUNK], rbuf[CHUNK];

/* Latency histogram of one run: HIST_NS buckets; the last one collects
 * everything above. */
uint32_t *hist_new(void);
void hist_add(uint32_t *h, uint64_t ns);
/* The pct-th percentile, in ns. */
double hist_pct(const uint32_t *h, double pct);

/* One figure of one peer over the runs. */
struct stats {
        struct series rate; /* bulk: Gbit/s; rr: transactions/s; conn: connections/s */
        struct series cpu;  /* bulk: bytes per CPU-second; others: per CPU-second */
        struct series p50, p99;
        uint64_t stalls, errors, drops;
};

/* One run: work (bytes for bulk, else transactions or connections) over
 * wall and CPU ns. */
void add_run(struct stats *st, double work, double wall_ns, double cpu_ns, bool bulk);

#endif
