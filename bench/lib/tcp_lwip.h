/*
 * tcp_lwip: bench_tcp's lwIP peer.
 *
 * Two lwIP stacks: two copies of Debian's liblwip.so.0, each in a link map
 * of its own (dlmopen, bench/lib/bench_lwip.h), a (client) and b (server),
 * joined by two wires: 10.1.0.0/24 with MTU 1500 (bulk MTU 1500) and
 * 10.2.0.0/24 with MTU 65535 (everything else).  Payloads cross by
 * reference, headers are copied (lwIP's input rewrites them in place).
 * The raw TCP API is called from bench_tcp's one thread, which is the
 * only thread either stack has (no tcpip_thread: the same as holding the
 * core lock).  The application's reads happen in the recv callback:
 * the data is copied out of the pbufs (pbuf_copy_partial, the copy a
 * socket read makes), then tcp_recved() opens the window again.
 *
 * Debian compiles TCP_MSS 1460, TCP_WND 65535 (window scale 1) and
 * TCP_SND_BUF 65535 into the library: lwIP never sends a segment larger
 * than 1460 bytes, whatever the MTU, and never has more than 64 KiB in
 * flight.
 */
#ifndef STRATA_BENCH_TCP_LWIP_H
#define STRATA_BENCH_TCP_LWIP_H

#include "bench_lwip.h"
#include "tcp_figs.h"

#ifdef HAVE_LWIP
enum { LX_1500, LX_64K, LX_WIRES };

/* One endpoint of a connection: the callbacks' argument. */
struct lx_end {
        struct lwip_lib *lib;
        struct tcp_pcb *pcb; /* NULL once lwIP freed it (err callback) */
        uint64_t rcvd;       /* bytes the application read */
        bool connected, fin;
        err_t err;
};

struct lx {
        struct lwip_lib lib[2]; /* a, b */
        struct lwip_port port[LX_WIRES][2];
        ip_addr_t addr[LX_WIRES][2];
        struct tcp_pcb *lpcb;      /* b's listener, port PORT on any address */
        struct lx_end *accept_to;  /* where the next accepted pcb goes */
        struct lx_end conn[NFIG][2]; /* the connection of each figure: client, server */
        uint64_t stalls, accepted;
        const char *error; /* why lwIP is not measured */
};
extern struct lx lx;

/* Load both copies, plug the wires, listen on b, and open the connection
 * of each figure in figs (a bit per enum fig).  lx.error says why not. */
void lx_setup(unsigned figs);
/* One poll round on wire w (b, then a); rounds until it is idle. */
int lx_round(int w);
void lx_rounds(int w);
/* Connect a's end c to b's listener over wire w; s gets the accepted pcb. */
void lx_connect(int w, struct lx_end *c, struct lx_end *s);
/* One run of a figure, `seconds` long, on the connection c -> s of wire w. */
void lx_bulk(struct lx_end *c, struct lx_end *s, int w, double seconds, struct stats *st,
             bool timed);
void lx_rr(struct lx_end *c, struct lx_end *s, int w, double seconds, struct stats *st,
           bool timed);
/* One run of figure f on its own connection. */
void lx_run(enum fig f, double seconds, struct stats *st, bool timed);
/* Bytes malloc'd per idle connection (both ends); *pcb_size: the memp
 * element size of a tcp_pcb. */
double lx_mem(int nconn, unsigned *pcb_size);
#endif /* HAVE_LWIP */
#endif
