/*
 * tcp_lwip: bench_tcp's lwIP peer (see tcp_lwip.h).
 */
#include "tcp_lwip.h"

#ifdef HAVE_LWIP
#include <stdlib.h>
#include <string.h>

struct lx lx;


static err_t lx_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
        struct lx_end *e = arg;
        if (!p) {
                e->fin = true;
                return ERR_OK;
        }
        u16_t n = p->tot_len;
        e->lib->pbuf_copy_partial(p, rbuf, n, 0);
        e->rcvd += n;
        e->lib->tcp_recved(pcb, n);
        e->lib->pbuf_free(p);
        return ERR_OK;
}

static void lx_err(void *arg, err_t err)
{
        struct lx_end *e = arg;
        e->pcb = NULL; /* lwIP freed it */
        e->err = err;
}

static err_t lx_connected(void *arg, struct tcp_pcb *pcb, err_t err)
{
        ((struct lx_end *)arg)->connected = true;
        return ERR_OK;
}

static void lx_end_init(struct lx_end *e, struct lwip_lib *lib, struct tcp_pcb *pcb)
{
        *e = (struct lx_end){ .lib = lib, .pcb = pcb };
        lib->tcp_arg(pcb, e);
        lib->tcp_recv(pcb, lx_recv);
        lib->tcp_err(pcb, lx_err);
        tcp_nagle_disable(pcb); /* TCP_NODELAY, as the other peers */
}

static err_t lx_accept(void *arg, struct tcp_pcb *pcb, err_t err)
{
        if (err != ERR_OK || !pcb || !lx.accept_to)
                return ERR_VAL;
        lx_end_init(lx.accept_to, &lx.lib[1], pcb);
        lx.accept_to = NULL;
        lx.accepted++;
        return ERR_OK;
}

/* One round on a wire: b's input, then a's (as Strata polls b, then a). */
int lx_round(int w)
{
        return lwip_port_poll(&lx.port[w][1]) + lwip_port_poll(&lx.port[w][0]);
}

void lx_rounds(int w)
{
        for (int i = 0; i < 1000; i++)
                if (lx_round(w) == 0)
                        return;
}

/* No progress for a while: one tick of both stacks' TCP timers (delayed
 * ACKs; every second call the slow timer). */
static void lx_unstall(void)
{
        lx.stalls++;
        lx.lib[0].tcp_tmr();
        lx.lib[1].tcp_tmr();
}

/* Connect a's client end c to b's listener over wire w; s gets the
 * accepted pcb. */
void lx_connect(int w, struct lx_end *c, struct lx_end *s)
{
        struct lwip_lib *A = &lx.lib[0];
        struct tcp_pcb *pcb = A->tcp_new();
        if (!pcb)
                die("lwIP: tcp_new failed");
        lx_end_init(c, A, pcb);
        *s = (struct lx_end){ .lib = &lx.lib[1] };
        lx.accept_to = s;
        err_t e = A->tcp_connect(pcb, &lx.addr[w][1], PORT, lx_connected);
        if (e != ERR_OK)
                die("lwIP: tcp_connect: %d", e);
        for (int i = 0; !(c->connected && s->pcb); i++) {
                lx_round(w);
                if (i > 8)
                        lx_unstall();
                if (i > 1000 || (!c->pcb && !c->connected))
                        die("lwIP: connection not accepted (err %d)", c->err);
        }
}

void lx_setup(unsigned figs)
{
        for (int i = 0; i < 2 && !lx.error; i++)
                lx.error = lwip_open(&lx.lib[i], true);
        if (lx.error)
                return;
        static const unsigned mtu[LX_WIRES] = { 1500, 65535 };
        for (int w = 0; w < LX_WIRES; w++)
                for (int i = 0; i < 2; i++) {
                        lx.port[w][i].lib = &lx.lib[i];
                        lx.port[w][i].peer = &lx.port[w][1 - i];
                        IP_ADDR4(&lx.addr[w][i], 10, w + 1, 0, i + 1);
                }
        for (int w = 0; w < LX_WIRES && !lx.error; w++)
                for (int i = 0; i < 2 && !lx.error; i++)
                        lx.error = lwip_port_add(&lx.port[w][i], (uint8_t)(2 * w + i + 1),
                                                 ip_2_ip4(&lx.addr[w][i]), mtu[w]);
        if (lx.error)
                return;
        struct lwip_lib *B = &lx.lib[1];
        struct tcp_pcb *l = B->tcp_new();
        ip_addr_t any; /* IP4_ADDR_ANY would name the data of our own link map */
        IP_ADDR4(&any, 0, 0, 0, 0);
        if (!l || B->tcp_bind(l, &any, PORT) != ERR_OK ||
            !(lx.lpcb = B->tcp_listen_with_backlog(l, 255))) {
                lx.error = "lwIP: listen failed";
                return;
        }
        B->tcp_accept(lx.lpcb, lx_accept);
        /* the first connection of each figure resolves ARP on its wire */
        for (int f = 0; f < NFIG; f++)
                if ((figs & 1u << f) && f != F_CONN)
                        lx_connect(f == F_BULK1500 ? LX_1500 : LX_64K, &lx.conn[f][0],
                                   &lx.conn[f][1]);
        if (figs & 1u << F_CONN) {
                struct lx_end c, s;
                lx_connect(LX_64K, &c, &s);
                lx.lib[0].tcp_abort(c.pcb);
                lx_rounds(LX_64K);
        }
}

void lx_bulk(struct lx_end *c, struct lx_end *s, int w, double seconds, struct stats *st,
             bool timed)
{
        pin(cpu_one);
        struct lwip_lib *A = &lx.lib[0];
        uint64_t sent = 0, r0 = s->rcvd, st0 = lx.stalls;
        uint64_t w0 = now_ns(CLOCK_MONOTONIC), c0 = now_ns(CLOCK_THREAD_CPUTIME_ID);
        uint64_t deadline = w0 + (uint64_t)(seconds * 1e9);
        int idle = 0;
        for (unsigned it = 1; !g_stop; it++) {
                uint64_t before = s->rcvd;
                /* write what lwIP's send buffer takes, as a non-blocking send */
                while (sent - (s->rcvd - r0) < BULK_WINDOW) {
                        u16_t room = tcp_sndbuf(c->pcb);
                        if (room == 0 || A->tcp_write(c->pcb, sbuf, room, TCP_WRITE_FLAG_COPY))
                                break;
                        sent += room;
                }
                A->tcp_output(c->pcb);
                lx_rounds(w);
                if (s->rcvd != before)
                        idle = 0;
                else if (++idle > 4) {
                        lx_unstall();
                        idle = 0;
                }
                if ((it & 7) == 0 && now_ns(CLOCK_MONOTONIC) >= deadline)
                        break;
        }
        for (int i = 0; i < 100000 && s->rcvd - r0 < sent; i++) {
                lx_rounds(w);
                if (i > 8)
                        lx_unstall();
        }
        uint64_t w1 = now_ns(CLOCK_MONOTONIC), c1 = now_ns(CLOCK_THREAD_CPUTIME_ID);
        unpin();
        if (!timed)
                return;
        if (s->rcvd - r0 != sent)
                st->errors++;
        st->stalls += lx.stalls - st0;
        add_run(st, (double)(s->rcvd - r0), (double)(w1 - w0), (double)(c1 - c0), true);
}

/* Send one byte from end e and run rounds until the other end o read it. */
static void lx_ping(struct lx_end *e, struct lx_end *o, int w, uint8_t b)
{
        uint64_t want = o->rcvd + 1;
        if (e->lib->tcp_write(e->pcb, &b, 1, TCP_WRITE_FLAG_COPY) != ERR_OK)
                die("lwIP: tcp_write failed");
        e->lib->tcp_output(e->pcb);
        for (int i = 0; o->rcvd < want; i++) {
                lx_round(w);
                if (i > 8)
                        lx_unstall();
                if (i > 100000)
                        die("lwIP: rr stuck");
        }
}

void lx_rr(struct lx_end *c, struct lx_end *s, int w, double seconds, struct stats *st,
           bool timed)
{
        pin(cpu_one);
        uint32_t *h = hist_new();
        uint64_t n = 0, st0 = lx.stalls;
        uint64_t w0 = now_ns(CLOCK_MONOTONIC), c0 = now_ns(CLOCK_THREAD_CPUTIME_ID);
        uint64_t deadline = w0 + (uint64_t)(seconds * 1e9), t = w0;
        while (!g_stop && t < deadline) {
                lx_ping(c, s, w, 1); /* request */
                lx_ping(s, c, w, 1); /* response */
                uint64_t t1 = now_ns(CLOCK_MONOTONIC);
                hist_add(h, t1 - t);
                t = t1;
                n++;
        }
        uint64_t c1 = now_ns(CLOCK_THREAD_CPUTIME_ID);
        unpin();
        if (timed) {
                st->stalls += lx.stalls - st0;
                add_run(st, (double)n, (double)(t - w0), (double)(c1 - c0), false);
                series_add(&st->p50, hist_pct(h, 50) / 1000);
                series_add(&st->p99, hist_pct(h, 99) / 1000);
        }
        free(h);
}

/* connect + accept + close: the client aborts (an RST, as SO_LINGER {1, 0}),
 * which frees the server's pcb when it arrives. */
static void lx_conn(double seconds, struct stats *st, bool timed)
{
        pin(cpu_one);
        uint64_t n = 0, st0 = lx.stalls;
        uint64_t w0 = now_ns(CLOCK_MONOTONIC), c0 = now_ns(CLOCK_THREAD_CPUTIME_ID);
        uint64_t deadline = w0 + (uint64_t)(seconds * 1e9), t = w0;
        struct lx_end c, s;
        while (!g_stop && t < deadline) {
                lx_connect(LX_64K, &c, &s);
                lx.lib[0].tcp_abort(c.pcb);
                lx_round(LX_64K);
                if (s.pcb) { /* the RST did not reach it: close it too */
                        st->errors++;
                        lx.lib[1].tcp_abort(s.pcb);
                }
                n++;
                if ((n & 15) == 0)
                        t = now_ns(CLOCK_MONOTONIC);
        }
        t = now_ns(CLOCK_MONOTONIC);
        uint64_t c1 = now_ns(CLOCK_THREAD_CPUTIME_ID);
        unpin();
        if (timed) {
                st->stalls += lx.stalls - st0;
                add_run(st, (double)n, (double)(t - w0), (double)(c1 - c0), false);
        }
}

void lx_run(enum fig f, double seconds, struct stats *st, bool timed)
{
        if (f == F_RR)
                lx_rr(&lx.conn[f][0], &lx.conn[f][1], LX_64K, seconds, st, timed);
        else if (f == F_CONN)
                lx_conn(seconds, st, timed);
        else
                lx_bulk(&lx.conn[f][0], &lx.conn[f][1], f == F_BULK1500 ? LX_1500 : LX_64K, seconds,
                        st, timed);
}

/* Bytes malloc'd per idle established connection, both stacks' heaps (each
 * copy of lwIP allocates from its own libc: MEM_LIBC_MALLOC and
 * MEMP_MEM_MALLOC), as sx_mem measures Strata's. */
double lx_mem(int nconn, unsigned *pcb_size)
{
        struct lx_end *c = calloc((size_t)nconn, sizeof(*c)), *s = calloc((size_t)nconn, sizeof(*s));
        if (!c || !s)
                die("out of memory");
        for (int pass = 0; pass < 2; pass++) {
                size_t m0 = 0, m1 = 0;
                for (int i = 0; i < 2; i++) {
                        lx.lib[i].malloc_trim(0);
                        m0 += lwip_heap_bytes(&lx.lib[i]);
                }
                for (int i = 0; i < nconn; i++)
                        lx_connect(LX_64K, &c[i], &s[i]);
                lx_rounds(LX_64K);
                for (int i = 0; i < 2; i++)
                        m1 += lwip_heap_bytes(&lx.lib[i]);
                for (int i = 0; i < nconn; i++)
                        if (c[i].pcb)
                                lx.lib[0].tcp_abort(c[i].pcb);
                lx_rounds(LX_64K);
                for (int i = 0; i < nconn; i++)
                        if (s[i].pcb)
                                lx.lib[1].tcp_abort(s[i].pcb);
                if (pass == 1) { /* the first pass warmed the heaps */
                        free(c);
                        free(s);
                        *pcb_size = lwip_pool_size(&lx.lib[0], MEMP_TCP_PCB);
                        return ((double)m1 - (double)m0) / nconn;
                }
        }
        return 0;
}
#endif /* HAVE_LWIP */
