/*
 * strata: the command-line tool.  Today it has one job, `strata lab`: run a
 * topology on a simulated clock and show, the way the Linux tools would,
 * what happens in it.  Without a file it runs the built-in lab -- two
 * namespaces joined by a veth pair, ARP, three pings, a trace of one echo
 * request through every layer, and a ping to an address nobody owns, which
 * dies with its drop reason.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strata/strata.h"

#define SEC 1000000000ull

static void usage(FILE *f)
{
        fprintf(f, "usage: strata lab [--seed N] [--capture PREFIX] [--quiet-trace]\n"
                   "\n"
                   "  lab      run the built-in lab on a simulated clock: namespaces \"alpha\"\n"
                   "           and \"beta\" joined by a veth pair (10.0.0.1/24 - 10.0.0.2/24),\n"
                   "           ping, a layer-by-layer trace, and a ping nobody answers\n"
                   "  --seed N         random seed (default 1): same seed, same run\n"
                   "  --capture PREFIX write each veth end to PREFIX-NS-DEV.pcap\n");
}

/* --- ping, printed as iputils ping prints ----------------------------------- */

struct pinger {
        const char *dst;
        unsigned sent, received, errors;
        double rtt_min, rtt_max, rtt_sum, rtt_sum2;
};

static void print_ms(double ms)
{
        /* iputils: 3 decimals under 1 ms, then 3 significant digits */
        if (ms < 1)
                printf("%.3f", ms);
        else if (ms < 10)
                printf("%.2f", ms);
        else if (ms < 100)
                printf("%.1f", ms);
        else
                printf("%.0f", ms);
}

static void on_ping(const struct strata_ping_result *r, void *ctx)
{
        struct pinger *p = ctx;
        if (r->icmp_type == 0) {
                double ms = (double)r->rtt_ns / 1e6;
                if (!p->received || ms < p->rtt_min)
                        p->rtt_min = ms;
                if (!p->received || ms > p->rtt_max)
                        p->rtt_max = ms;
                p->rtt_sum += ms;
                p->rtt_sum2 += ms * ms;
                p->received++;
                printf("%zu bytes from %s: icmp_seq=%u ttl=%u time=", r->bytes, r->from, r->seq,
                       r->ttl);
                print_ms(ms);
                printf(" ms\n");
                return;
        }
        p->errors++;
        const char *what = "Destination Unreachable";
        if (r->icmp_type == 3) {
                static const char *const codes[] = { "Destination Net Unreachable",
                                                     "Destination Host Unreachable",
                                                     "Destination Protocol Unreachable",
                                                     "Destination Port Unreachable",
                                                     "Frag needed" };
                if (r->icmp_code < 5)
                        what = codes[r->icmp_code];
        } else if (r->icmp_type == 11) {
                what = "Time to live exceeded";
        }
        printf("From %s icmp_seq=%u %s\n", r->from, r->seq, what);
}

static void ping_summary(const struct pinger *p, uint64_t elapsed_ns)
{
        printf("\n--- %s ping statistics ---\n", p->dst);
        unsigned loss = p->sent ? (p->sent - p->received) * 100 / p->sent : 0;
        printf("%u packets transmitted, %u received, ", p->sent, p->received);
        if (p->errors)
                printf("+%u errors, ", p->errors);
        printf("%u%% packet loss, time %" PRIu64 "ms\n", loss, elapsed_ns / 1000000);
        if (p->received) {
                double avg = p->rtt_sum / p->received;
                double var = p->rtt_sum2 / p->received - avg * avg;
                printf("rtt min/avg/max/mdev = %.3f/%.3f/%.3f/%.3f ms\n", p->rtt_min, avg,
                       p->rtt_max, var > 0 ? sqrt(var) : 0.0);
        }
}

/* --- trace ----------------------------------------------------------------- */

/* Events are kept and printed after the ping output they would interleave
 * with. */
struct tracer {
        char lines[64][224];
        int n, dropped_lines;
        uint64_t t0;
        char drop[96];
};

static void on_trace(const struct strata_trace_event *ev, void *ctx)
{
        struct tracer *t = ctx;
        if (t->n == 0)
                t->t0 = ev->time_ns;
        if (ev->drop_reason)
                snprintf(t->drop, sizeof(t->drop), "%s in %s()", ev->drop_reason, ev->where);
        if (t->n == (int)(sizeof(t->lines) / sizeof(t->lines[0]))) {
                t->dropped_lines++;
                return;
        }
        snprintf(t->lines[t->n++], sizeof(t->lines[0]), "  %9.6fs  %-5s %-6s %-17s %s",
                 (double)(ev->time_ns - t->t0) / 1e9, ev->netns, ev->dev ? ev->dev : "-", ev->layer,
                 ev->msg);
}

static void trace_print(const struct tracer *t)
{
        for (int i = 0; i < t->n; i++)
                printf("%s\n", t->lines[i]);
        if (t->dropped_lines)
                printf("  ... %d more events\n", t->dropped_lines);
}

/* --- the lab ---------------------------------------------------------------- */

static void check(int err, const char *what)
{
        if (err < 0) {
                fprintf(stderr, "strata lab: %s: %s\n", what, strata_strerror(err));
                exit(1);
        }
}

struct lab {
        struct strata_clock *clock;
        struct strata_net *ns[2];
};

/* Run the lab for d nanoseconds of simulated time. */
static void lab_run(struct lab *lab, uint64_t d)
{
        check(strata_sim_run(lab->ns, 2, strata_clock_now(lab->clock) + d), "run");
}

/* ping -c count dst from ns, one request a second, as iputils ping. */
static void lab_ping(struct lab *lab, struct strata_net *from, const char *dst, unsigned count,
                     unsigned trace_seq, struct tracer *tr, uint64_t wait_last)
{
        struct pinger p = { .dst = dst };
        check(strata_ping_listen(from, 0x5354, on_ping, &p), "ping");
        printf("PING %s (%s) 56(84) bytes of data.\n", dst, dst);
        uint64_t start = strata_clock_now(lab->clock);
        for (unsigned seq = 1; seq <= count; seq++) {
                if (seq == trace_seq) {
                        check(strata_trace(from, 1, on_trace, tr), "trace");
                        for (int i = 0; i < 2; i++)
                                if (lab->ns[i] != from)
                                        check(strata_trace(lab->ns[i], 0, on_trace, tr), "trace");
                }
                int err = strata_ping_send(from, dst, 0x5354, (uint16_t)seq, 56);
                if (err < 0)
                        printf("ping: sendmsg: %s\n", strata_strerror(err));
                p.sent++;
                lab_run(lab, seq < count ? SEC : wait_last);
        }
        uint64_t elapsed = strata_clock_now(lab->clock) - start - wait_last;
        ping_summary(&p, p.received || p.errors ? elapsed : 0);
        for (int i = 0; i < 2; i++)
                strata_trace(lab->ns[i], 0, NULL, NULL);
        check(strata_ping_listen(from, 0x5354, NULL, NULL), "ping");
}

static int lab_builtin(uint64_t seed, const char *capture)
{
        struct lab lab = { .clock = strata_clock_new(true) };
        if (!lab.clock)
                check(-ENOMEM, "clock");
        check(strata_net_new("alpha", lab.clock, seed, &lab.ns[0]), "namespace alpha");
        check(strata_net_new("beta", lab.clock, seed + 1, &lab.ns[1]), "namespace beta");
        struct strata_net *a = lab.ns[0], *b = lab.ns[1];
        check(strata_veth_add(a, "veth0", b, "veth0"), "veth pair");
        if (capture) {
                char path[4096];
                snprintf(path, sizeof(path), "%s-alpha-veth0.pcap", capture);
                check(strata_capture(a, "veth0", path), path);
                snprintf(path, sizeof(path), "%s-beta-veth0.pcap", capture);
                check(strata_capture(b, "veth0", path), path);
        }
        check(strata_addr_add(a, "veth0", "10.0.0.1/24"), "address");
        check(strata_addr_add(b, "veth0", "10.0.0.2/24"), "address");
        check(strata_link_set_up(a, "veth0", true), "link up");
        check(strata_link_set_up(b, "veth0", true), "link up");
        lab_run(&lab, 0);

        printf("Strata lab (simulated clock, seed %" PRIu64 ")\n", seed);
        printf("  alpha: veth0 10.0.0.1/24  <--- veth --->  beta: veth0 10.0.0.2/24\n\n");

        struct tracer tr1 = { .n = 0 }, tr2 = { .n = 0 };
        printf("alpha$ ping -c 3 10.0.0.2\n");
        lab_ping(&lab, a, "10.0.0.2", 3, 2, &tr1, SEC);
        printf("\nTrace of the echo request icmp_seq=2, layer by layer "
               "(ARP was resolved by icmp_seq=1):\n");
        trace_print(&tr1);

        printf("\nalpha$ ping -c 1 10.0.0.99        # nobody owns 10.0.0.99\n");
        lab_ping(&lab, a, "10.0.0.99", 1, 1, &tr2, 5 * SEC);
        printf("\nTrace of that echo request:\n");
        trace_print(&tr2);
        printf("\nThe echo request to 10.0.0.99 died: %s\n",
               tr2.drop[0] ? tr2.drop : "(no drop recorded)");

        printf("\nalpha$ strata counters\n");
        strata_print_counters(a, stdout);
        strata_net_free(b);
        strata_net_free(a);
        strata_clock_free(lab.clock);
        return 0;
}

int main(int argc, char **argv)
{
        if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
                usage(argc < 2 ? stderr : stdout);
                return argc < 2 ? 2 : 0;
        }
        if (strcmp(argv[1], "lab") != 0) {
                fprintf(stderr, "strata: unknown command '%s'\n", argv[1]);
                usage(stderr);
                return 2;
        }
        uint64_t seed = 1;
        const char *capture = NULL;
        for (int i = 2; i < argc; i++) {
                if (!strcmp(argv[i], "--seed") && i + 1 < argc) {
                        char *end;
                        errno = 0;
                        seed = strtoull(argv[++i], &end, 0);
                        if (errno || *end || end == argv[i]) {
                                fprintf(stderr, "strata lab: --seed: '%s' is not a number\n",
                                        argv[i]);
                                return 2;
                        }
                } else if (!strcmp(argv[i], "--capture") && i + 1 < argc) {
                        capture = argv[++i];
                } else if (argv[i][0] != '-') {
                        fprintf(stderr,
                                "strata lab: %s: lab files are not supported yet; run `strata "
                                "lab` without a file for the built-in lab\n",
                                argv[i]);
                        return 2;
                } else {
                        fprintf(stderr, "strata lab: unknown option '%s'\n", argv[i]);
                        usage(stderr);
                        return 2;
                }
        }
        return lab_builtin(seed, capture);
}
