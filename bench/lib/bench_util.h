/*
 * bench_util: the helpers bench_echo, bench_udp and bench_tcp share --
 * errors, clocks, CPU pinning, ksoftirqd accounting, the per-run series
 * (median (min..max)), the results table and the Strata / Linux namespace
 * setup.  Built into build/bench/libbench.a and linked into every bench
 * binary (bench/lib/ is outside the wildcard of bench/ sources that become
 * programs).
 */
#ifndef STRATA_BENCH_UTIL_H
#define STRATA_BENCH_UTIL_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct strata_clock;
struct strata_net;

#define MAX_RUNS 15 /* most runs a series holds (-n) */

/* Each bench defines its name: die()'s prefix ("bench_tcp"). */
extern const char bench_name[];

/* --- errors, clocks, signals ------------------------------------------------- */

/* "NAME: message" on stderr, exit 1. */
_Noreturn void die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A clock (CLOCK_MONOTONIC, CLOCK_THREAD_CPUTIME_ID, ...) in ns. */
uint64_t now_ns(clockid_t id);
/* Set by SIGINT, SIGTERM and SIGHUP once catch_signals() ran. */
extern volatile sig_atomic_t g_stop;
void catch_signals(void);

/* --- cores ------------------------------------------------------------------- */

/* The core of the one-core figures and the second one (-1: none); both
 * from the allowed set, highest numbers first. */
extern int cpu_one, cpu_two;
void cpus_pick(void);
/* This thread on one core (cpu < 0: left as it is). */
void pin(int cpu);
/* This thread back on cpu_one and cpu_two. */
void unpin(void);

/* CPU time of the kernel's softirq threads (ksoftirqd/N), in ns: receive
 * work the kernel defers there is not charged to the threads that caused
 * it.  (Softirq work run on the way out of our own system calls is charged
 * to us: this kernel has no IRQ_TIME_ACCOUNTING, checked in BENCHMARKS.md.)
 * ksoftirqd_find() looks the threads up, ksoftirqd_ns() sums their time. */
void ksoftirqd_find(void);
uint64_t ksoftirqd_ns(void);

/* --- results ----------------------------------------------------------------- */

/* One figure over the runs. */
struct series {
        double v[MAX_RUNS];
        int n;
};

void series_add(struct series *s, double v);
int cmp_double(const void *a, const void *b);
double series_median(const struct series *s);
void series_range(const struct series *s, double *lo, double *hi);
/* Per CPU-second from CPU ns per item (1e9 / v; 0 stays 0). */
struct series per_core(const struct series *ns);
/* "1,234,567" */
const char *fmt_num(double v, char *buf, size_t cap);
/* A value as "median (min..max)" with `dec` decimals, or with thousands
 * separators when dec < 0. */
const char *fmt_series(const struct series *s, int dec, char *buf, size_t cap);

/* --- the table ----------------------------------------------------------------- */

/* Column widths: figure, Strata, peer, peer value, ratio. */
enum { TABLE_COLS = 5 };
/* The heading row and the separator row (each column width + 2 dashes). */
void table_head(const int w[TABLE_COLS]);
/* One row; ratio <= 0 prints "-". */
void table_row(const int w[TABLE_COLS], const char *figure, const char *strata, const char *peer,
               const char *peerval, double ratio);
/* A row of two series: Strata's sv and the peer's pv, ratio of the medians.
 * Without a peer value (skipped, pv NULL or empty) the peer column says
 * `skipped`, or "not measured". */
void table_series(const int w[TABLE_COLS], const char *figure, const struct series *sv, int dec,
                  const char *peer, const struct series *pv, const char *skipped);
/* "machine: N CPUs, model, Linux release" */
void print_machine(void);

/* --- Strata and Linux setup -------------------------------------------------------- */

/* Die with "Strata: what: error" when err < 0. */
void sx_check(long err, const char *what);
/* A simulated clock and two namespaces na, nb joined by veth0 / veth1,
 * 10.0.0.1/24 and 10.0.0.2/24, both up; mtu 0 leaves the default. */
void sx_pair_setup(struct strata_clock **clk, struct strata_net *n[2], const char *na,
                   const char *nb, unsigned mtu);
void sx_pair_free(struct strata_clock *clk, struct strata_net *n[2]);
/* As root: a network namespace of our own for the kernel peer (call it
 * before any thread exists), with lo up.  False when not root or unshare
 * fails (the host's namespace then). */
bool kx_namespace(void);

#endif
