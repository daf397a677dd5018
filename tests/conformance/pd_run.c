/*
 * Running a parsed script against a fresh Strata namespace on a simulated
 * clock.
 *
 * The namespace has one device, tun0 (a probe device: the runner injects
 * the frames of `<` lines and collects every frame Strata sends), with the
 * local address; the remote address is reached through it directly, its
 * MAC learned from an ARP request the "remote" sends first and from the
 * runner answering Strata's ARP requests.  Defaults are upstream's: local
 * 192.168.0.1, remote 192.0.2.1, port 8080, MTU 1500.
 *
 * Events run in script order.  An event's time moves the clock there
 * first, running Strata's timers on the way; a `>` line waits for the
 * segment at most until its time plus the tolerance.  Relative times
 * (+T) count from the actual time of the previous event: for a `>` line,
 * when the segment really left.  A blocking call (+T...END) is made
 * directly; Strata, finding it must wait, calls the runner's driver, which
 * runs the script's next events (injecting, matching, evaluating) while
 * the call is pending -- the same interleaving upstream gets from a
 * system-call thread, without threads.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pd_run.h"

#define NS_PER_US 1000ull
/* a safety net against runaway simulated time */
#define PD_MAX_SCRIPT_US (3600ll * 1000000)

_Noreturn void pd_fail(struct pd_runner *r, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(r->err, r->errcap, fmt, ap);
        va_end(ap);
        longjmp(r->fail, 1);
}

int64_t pd_now_us(struct pd_runner *r)
{
        return (int64_t)((strata_clock_now(r->clk) - r->start_ns) / NS_PER_US);
}

#define PD_GATEWAY_IP 0xc0a80002u /* 192.168.0.2, upstream's gateway */

static void answer_arp(struct pd_runner *r, const uint8_t *f, size_t len)
{
        struct arp_repr a;
        if (arp_parse(f + ETH_HLEN, len - ETH_HLEN, &a) != WIRE_OK)
                return;
        /* the remote, or the gateway to it (the same host on the wire) */
        if (a.op != ARPOP_REQUEST || (a.tpa != r->s->remote_ip && a.tpa != PD_GATEWAY_IP))
                return;
        uint8_t reply[64];
        size_t n = probe_arp_frame(&r->probe, reply, ARPOP_REPLY, a.tpa, a.spa, a.sha);
        probe_inject(&r->probe, reply, n);
}

/* Take what the device sent: ARP answered, IP kept for `>` lines. */
static bool harvest(struct pd_runner *r)
{
        struct sk_buff *skb;
        bool any = false;
        while ((skb = probe_take(&r->probe))) {
                struct eth_repr e;
                if (skb->len >= ETH_HLEN && eth_parse(skb->data, skb->len, &e) == WIRE_OK) {
                        if (e.ethertype == ETH_P_ARP) {
                                answer_arp(r, skb->data, skb->len);
                                any = true;
                        } else if (e.ethertype == ETH_P_IP) {
                                pd_packet_collect(r, skb->data + ETH_HLEN, skb->len - ETH_HLEN);
                        }
                }
                consume_skb(skb);
        }
        return any;
}

void pd_settle(struct pd_runner *r)
{
        for (int i = 0; i < 100000; i++) {
                int work = strata_net_poll(r->sn);
                bool arp = harvest(r);
                if (work == 0 && !arp)
                        return;
        }
        pd_fail(r, "Strata does not become idle (livelock?) at t=%.6f", pd_now_us(r) / 1e6);
}

void pd_advance_to(struct pd_runner *r, int64_t t_us)
{
        if (t_us > PD_MAX_SCRIPT_US)
                pd_fail(r, "script time past %lld s: runaway", PD_MAX_SCRIPT_US / 1000000);
        uint64_t target = r->start_ns + (uint64_t)(t_us > 0 ? t_us : 0) * NS_PER_US;
        for (long i = 0;; i++) {
                pd_settle(r);
                uint64_t d = strata_next_deadline(r->sn);
                uint64_t now = strata_clock_now(r->clk);
                if (d > target)
                        break;
                if (d > now)
                        strata_clock_advance_to(r->clk, d);
                else if (i > 1000000)
                        pd_fail(r, "timers never stop firing at t=%.6f", pd_now_us(r) / 1e6);
        }
        if (target > strata_clock_now(r->clk))
                strata_clock_advance_to(r->clk, target);
        pd_settle(r);
}

int64_t pd_event_time(struct pd_runner *r, const struct pd_event *ev)
{
        switch (ev->tkind) {
        case PD_TIME_ABS:
        case PD_TIME_ABS_RANGE:
                return ev->t_us;
        case PD_TIME_REL:
        case PD_TIME_REL_RANGE:
                return r->base_us + ev->t_us;
        case PD_TIME_ANY:
        default:
                return pd_now_us(r);
        }
}

/* Move to the event's time (never backwards) and make it the base. */
static void reach(struct pd_runner *r, const struct pd_event *ev)
{
        int64_t t = pd_event_time(r, ev);
        if (t > pd_now_us(r))
                pd_advance_to(r, t);
        r->base_us = pd_now_us(r);
}

static void run_code(struct pd_runner *r, struct pd_event *ev)
{
        /* the kernel's whole struct tcp_info, beyond glibc's */
        _Alignas(uint64_t) uint8_t ti[512];
        socklen_t len = (socklen_t)pd_tcpinfo_size();
        if (len > sizeof(ti))
                len = sizeof(ti);
        memset(ti, 0, sizeof(ti));
        const void *info = NULL;
        if (r->last_fd >= 0) {
                int e = strata_getsockopt(r->sn, r->last_fd, IPPROTO_TCP, TCP_INFO, ti, &len);
                if (e == 0)
                        info = ti;
        }
        char err[PD_ERR_MAX];
        if (pd_code_run(r->code, info, info ? len : 0, ev->text, ev->line, err, sizeof(err)))
                pd_fail(r, "%s", err);
}

void pd_run_event(struct pd_runner *r, struct pd_event *ev)
{
        char err[PD_ERR_MAX];
        switch (ev->kind) {
        case PD_EV_PACKET:
                if (ev->pkt.dir == '<') {
                        reach(r, ev);
                        pd_packet_inject(r, &ev->pkt, ev->line);
                        pd_settle(r);
                } else {
                        int64_t tol = r->s->tolerance_us;
                        int64_t lo, hi;
                        if (ev->tkind == PD_TIME_ANY) {
                                lo = INT64_MIN / 2;
                                hi = pd_now_us(r) + 60ll * 1000000;
                        } else {
                                lo = pd_event_time(r, ev);
                                hi = ev->tkind == PD_TIME_ABS_RANGE   ? ev->t2_us
                                     : ev->tkind == PD_TIME_REL_RANGE ? r->base_us + ev->t2_us
                                                                      : lo;
                                lo -= tol;
                                hi += tol;
                        }
                        r->base_us = pd_packet_expect(r, ev, lo, hi);
                }
                break;
        case PD_EV_SYSCALL: {
                /* the end of +T...END counts from the same base as T */
                int64_t end = ev->tkind == PD_TIME_ABS || ev->tkind == PD_TIME_ABS_RANGE
                                  ? ev->sc.end_us
                                  : r->base_us + ev->sc.end_us;
                reach(r, ev);
                pd_syscall(r, ev, end);
                break;
        }
        case PD_EV_SHELL:
                reach(r, ev);
                if (pd_shell(r, r->dir, ev->text, ev->line, err, sizeof(err)))
                        pd_fail(r, "%s", err);
                break;
        case PD_EV_CODE:
                reach(r, ev);
                run_code(r, ev);
                break;
        }
}

/*
 * Strata calls this when a socket call must wait: run the script's next
 * event if it comes before Strata's next timer, else run to that timer.
 * System calls are not run from here (upstream runs one system call at a
 * time), so a call that blocks until a later call would unblock it fails.
 */
static void driver(struct strata_net *sn, uint64_t deadline_ns, void *ctx)
{
        struct pd_runner *r = ctx;
        int64_t now = pd_now_us(r);
        if (now > r->block_limit_us)
                pd_fail(r, "a blocking call is still waiting at t=%.6f", now / 1e6);
        uint64_t d = strata_next_deadline(sn);
        int64_t timer_us = d == UINT64_MAX ? INT64_MAX : (int64_t)((d - r->start_ns) / NS_PER_US);
        int64_t dl_us = deadline_ns == UINT64_MAX
                            ? INT64_MAX
                            : (int64_t)((deadline_ns - r->start_ns) / NS_PER_US);
        if (r->next_ev < r->s->nev) {
                struct pd_event *ev = &r->s->ev[r->next_ev];
                int64_t t = pd_event_time(r, ev);
                if (ev->kind != PD_EV_SYSCALL && t <= timer_us && t <= dl_us) {
                        r->next_ev++;
                        pd_run_event(r, ev);
                        return;
                }
        }
        int64_t to = timer_us < dl_us ? timer_us : dl_us;
        if (to == INT64_MAX)
                pd_fail(r,
                        "a blocking call waits for nothing: no script event and no timer "
                        "left to wake it (t=%.6f)",
                        now / 1e6);
        if (to > r->block_limit_us)
                to = r->block_limit_us + 1;
        pd_advance_to(r, to > now ? to : now);
}

static void setup(struct pd_runner *r)
{
        char cidr[32], ip[16];
        struct in_addr a = { .s_addr = htonl(r->s->local_ip) };
        inet_ntop(AF_INET, &a, ip, sizeof(ip));
        snprintf(cidr, sizeof(cidr), "%s/24", ip);
        int e = strata_net_new("packetdrill", r->clk, 1, &r->sn);
        if (e)
                pd_fail(r, "strata_net_new: %s", strata_strerror(e));
        e = probe_create(r->sn->net, "tun0", &r->probe);
        if (!e)
                e = strata_addr_add(r->sn, "tun0", cidr);
        if (!e)
                e = strata_route_add(r->sn, "default", NULL, "tun0");
        if (e)
                pd_fail(r, "setting up tun0 (%s): %s", cidr, strata_strerror(e));
        /* upstream routes the remote through the gateway ("ip route add
         * REMOTE dev tun0 via 192.168.0.2", its errors ignored), the route
         * scripts change with `ip route change` */
        char cmd[96], rip[16];
        struct in_addr ra = { .s_addr = htonl(r->s->remote_ip) };
        inet_ntop(AF_INET, &ra, rip, sizeof(rip));
        snprintf(cmd, sizeof(cmd), "add %s dev tun0 via 192.168.0.2", rip);
        (void)strata_ip_route(r->sn, cmd);
        /* the remote introduces itself, as a host on the link would */
        uint8_t frame[64];
        static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
        size_t n = probe_arp_frame(&r->probe, frame, ARPOP_REQUEST, r->s->remote_ip, r->s->local_ip,
                                   bcast);
        probe_inject(&r->probe, frame, n);
        pd_settle(r);
        r->nsent = 0; /* the gratuitous ARP and the reply are not the script's */
        strata_set_driver(r->sn, driver, r);
}

int pd_run_script(const char *path, const char *dir, struct pd_script *s, char *err, size_t errcap)
{
        (void)path;
        struct pd_runner *r = calloc(1, sizeof(*r));
        if (!r) {
                snprintf(err, errcap, "out of memory");
                return -1;
        }
        r->s = s;
        r->dir = dir;
        r->err = err;
        r->errcap = errcap;
        r->last_fd = -1;
        r->remote_isn = REMOTE_ISN_BASE;
        r->sent = calloc(PD_MAX_SENT, sizeof(*r->sent));
        r->code = pd_code_env_new();
        r->clk = strata_clock_new(true);
        if (!r->sent || !r->code || !r->clk) {
                snprintf(err, errcap, "out of memory");
                return -1;
        }
        strata_clock_advance_to(r->clk, 1000000000ull);
        r->start_ns = strata_clock_now(r->clk);
        r->block_limit_us = PD_MAX_SCRIPT_US;
        if (setjmp(r->fail))
                return -1; /* the process ends with the script: no teardown */
        setup(r);
        while (r->next_ev < s->nev) {
                struct pd_event *ev = &s->ev[r->next_ev++];
                pd_run_event(r, ev);
        }
        return 0;
}
