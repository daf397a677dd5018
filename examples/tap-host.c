/*
 * tap-host: a Strata host on a TAP interface of the machine, for talking to
 * it with the kernel's own tools (ping, arping, tcpdump) -- the smallest
 * program that puts Strata on a real wire, and what the tap_ping interop
 * test runs.
 *
 *   tap-host [--tap NAME] [--addr CIDR] [--pcap FILE] [--seconds N]
 *
 * Creates a namespace on the real clock, attaches the TAP interface NAME
 * (default strata0, created if needed; needs CAP_NET_ADMIN) as device eth0
 * with address CIDR (default 10.0.0.2/24), optionally captures eth0 to FILE,
 * and runs for N seconds (0, the default: until SIGINT or SIGTERM).  Then it
 * prints the namespace's counters and exits 0.
 *
 * Uses only the public API (strata/strata.h).  The namespace runs on its own
 * thread; the main thread just waits for the time to run out or a signal.
 * The signals are blocked before that thread starts and taken with
 * sigtimedwait, so no handler can interrupt the stack and the wait needs no
 * polling.
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "strata/strata.h"

#define DEV_NAME "eth0"

struct options {
        const char *tap;
        const char *addr;
        const char *pcap;
        long seconds;
};

static void usage(FILE *f)
{
        fprintf(f, "usage: tap-host [--tap NAME] [--addr CIDR] [--pcap FILE] [--seconds N]\n"
                   "  --tap NAME     host TAP interface (default strata0)\n"
                   "  --addr CIDR    Strata's address on it (default 10.0.0.2/24)\n"
                   "  --pcap FILE    capture the device's frames to FILE\n"
                   "  --seconds N    run N seconds (default 0: until SIGINT/SIGTERM)\n");
}

/* Returns 0, 1 (help printed: exit 0) or -1 (bad usage: exit 2). */
static int parse_args(int argc, char **argv, struct options *o)
{
        o->tap = "strata0";
        o->addr = "10.0.0.2/24";
        o->pcap = NULL;
        o->seconds = 0;
        for (int i = 1; i < argc; i++) {
                const char *a = argv[i];
                if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
                        usage(stdout);
                        return 1;
                }
                if (strcmp(a, "--tap") && strcmp(a, "--addr") && strcmp(a, "--pcap") &&
                    strcmp(a, "--seconds")) {
                        fprintf(stderr, "tap-host: unknown option %s\n", a);
                        usage(stderr);
                        return -1;
                }
                if (i + 1 >= argc) {
                        fprintf(stderr, "tap-host: %s needs a value\n", a);
                        return -1;
                }
                const char *v = argv[++i];
                if (!strcmp(a, "--tap")) {
                        o->tap = v;
                } else if (!strcmp(a, "--addr")) {
                        o->addr = v;
                } else if (!strcmp(a, "--pcap")) {
                        o->pcap = v;
                } else {
                        char *end;
                        errno = 0;
                        o->seconds = strtol(v, &end, 10);
                        if (errno || end == v || *end || o->seconds < 0) {
                                fprintf(stderr, "tap-host: --seconds: not a count: %s\n", v);
                                return -1;
                        }
                }
        }
        return 0;
}

/* Wait for SIGINT/SIGTERM (blocked in set), at most seconds (0: forever).
 * Returns the signal, or 0 when the time ran out. */
static int wait_for_end(const sigset_t *set, long seconds)
{
        struct timespec end;
        clock_gettime(CLOCK_MONOTONIC, &end);
        end.tv_sec += seconds;
        for (;;) {
                int sig;
                if (seconds == 0) {
                        sig = sigwaitinfo(set, NULL);
                } else {
                        struct timespec now, left;
                        clock_gettime(CLOCK_MONOTONIC, &now);
                        left.tv_sec = end.tv_sec - now.tv_sec;
                        left.tv_nsec = end.tv_nsec - now.tv_nsec;
                        if (left.tv_nsec < 0) {
                                left.tv_nsec += 1000000000L;
                                left.tv_sec--;
                        }
                        if (left.tv_sec < 0)
                                return 0;
                        sig = sigtimedwait(set, NULL, &left);
                        if (sig < 0 && errno == EAGAIN)
                                return 0;
                }
                if (sig > 0)
                        return sig;
                /* EINTR (a signal outside the set, e.g. SIGSTOP/SIGCONT): wait on */
        }
}

int main(int argc, char **argv)
{
        struct options o;
        int r = parse_args(argc, argv, &o);
        if (r)
                return r > 0 ? 0 : 2;

        /* Blocked before any thread exists, so every thread inherits it and
         * the signals queue for sigtimedwait instead of killing us. */
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGINT);
        sigaddset(&set, SIGTERM);
        sigprocmask(SIG_BLOCK, &set, NULL);

        struct strata_net *net;
        int err = strata_net_new("tap-host", NULL, 0, &net);
        if (err) {
                fprintf(stderr, "tap-host: creating the namespace: %s\n", strata_strerror(err));
                return 1;
        }
        const char *step = "attaching the TAP interface";
        err = strata_tap_attach(net, o.tap, DEV_NAME);
        if (!err) {
                step = "bringing " DEV_NAME " up";
                err = strata_link_set_up(net, DEV_NAME, true);
        }
        if (!err) {
                step = "adding the address";
                err = strata_addr_add(net, DEV_NAME, o.addr);
        }
        if (!err && o.pcap) {
                step = "starting the capture";
                err = strata_capture(net, DEV_NAME, o.pcap);
        }
        if (!err) {
                step = "starting the namespace thread";
                err = strata_run_thread(net);
        }
        if (err) {
                fprintf(stderr, "tap-host: %s (tap %s, address %s): %s\n", step, o.tap, o.addr,
                        strata_strerror(err));
                strata_net_free(net);
                return 1;
        }
        printf("tap-host: %s on TAP %s with %s%s%s\n", DEV_NAME, o.tap, o.addr,
               o.pcap ? ", capturing to " : "", o.pcap ? o.pcap : "");
        if (o.seconds)
                printf("tap-host: running %ld s (or until SIGINT/SIGTERM)\n", o.seconds);
        else
                printf("tap-host: running until SIGINT/SIGTERM\n");
        fflush(stdout);

        int sig = wait_for_end(&set, o.seconds);
        strata_stop_thread(net);
        if (o.pcap)
                strata_capture(net, DEV_NAME, NULL); /* flush and close the file */
        printf("tap-host: %s, stopping\n", sig ? strsignal(sig) : "time is up");
        strata_print_counters(net, stdout);
        fflush(stdout);
        strata_net_free(net);
        return 0;
}
