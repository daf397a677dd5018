/*
 * strata: the command-line tool.  `strata exec` runs an unmodified program
 * (ip, ss) against a stratad namespace through the netlink preload shim;
 * `strata sysctl` is procps sysctl for a stratad namespace (Linux serves
 * sysctls through /proc/sys, which a userspace stack has not).
 * `strata lab` runs a topology on a simulated clock and shows, the way the
 * Linux tools would, what happens in it.  Without a file it runs the built-in lab -- two
 * namespaces joined by a veth pair, ARP, three pings, a trace of one echo
 * request through every layer, and a ping to an address nobody owns, which
 * dies with its drop reason.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <fnmatch.h>
#include <limits.h>
#include <regex.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <dirent.h>
#include <arpa/inet.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>

#include "ctl/nstat_hist.h"
#include "strata/ctl.h"
#include "strata/strata.h"

#define SEC 1000000000ull

static void usage(FILE *f)
{
        fprintf(f, "usage: strata lab [--seed N] [--capture PREFIX] [--quiet-trace]\n"
                   "       strata exec [-n NS] [--runtime-dir DIR] -- CMD [ARG...]\n"
                   "       strata sysctl [--netns NS] [options] [variable[=value] ...]\n"
                   "       strata nstat [--netns NS] [-a] [-s] [-r] [-n] [-z] [PATTERN...]\n"
                   "       strata drops [--netns NS] [-z] [PATTERN...]\n"
                   "       strata trace [--netns NS] [-c N] [-t SECONDS] [host A] [proto P] [port N]\n"
                   "       strata capture [--netns NS] [-t SECONDS] DEV -w FILE.pcap\n"
                   "\n"
                   "  exec     run CMD (ip, ss, ...) on stratad's namespace NS (default\n"
                   "           \"default\") through the netlink preload shim\n"
                   "  sysctl   procps sysctl against a running stratad\n"
                   "  nstat    its MIB counters as nstat prints them, with nstat's history\n"
                   "  drops    its dropped packets per drop reason\n"
                   "  trace    follow its packets through the layers as they go, and\n"
                   "           where each one died and why (until Ctrl-C or -t)\n"
                   "  capture  write every frame of its device DEV to a pcap file\n"
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

/* --- strata exec: an unmodified tool on a stratad namespace ---------------- */

/* The control socket of namespace ns (NULL: $STRATA_CTL_SOCKET or "default"). */
static int ctl_socket(const char *ns, const char *rundir, char *path, size_t cap)
{
        const char *env = getenv(STRATA_CTL_ENV);
        if (!ns && !rundir && env && *env) {
                if (snprintf(path, cap, "%s", env) >= (int)cap)
                        return -ENAMETOOLONG;
                return 0;
        }
        return strata_ctl_socket_path(rundir, ns ? ns : "default", path, cap);
}

/* libstrata-preload.so: $STRATA_PRELOAD, else beside this binary
 * (build/bin/strata -> build/lib/libstrata-preload.so). */
static int preload_path(char *out, size_t cap)
{
        const char *env = getenv("STRATA_PRELOAD");
        if (env && *env) {
                snprintf(out, cap, "%s", env);
                return access(out, R_OK) == 0 ? 0 : -errno;
        }
        char exe[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
        if (n < 0)
                return -errno;
        exe[n] = 0;
        char *slash = strrchr(exe, '/');
        if (slash)
                *slash = 0;
        const char *cands[] = { "%s/../lib/libstrata-preload.so", "%s/libstrata-preload.so",
                                "%s/../lib/strata/libstrata-preload.so" };
        for (size_t i = 0; i < sizeof(cands) / sizeof(cands[0]); i++) {
                snprintf(out, cap, cands[i], exe);
                if (access(out, R_OK) == 0)
                        return 0;
        }
        return -ENOENT;
}

/* nstat's history file for namespace ns: $NSTAT_HISTORY, else one per
 * user and namespace beside nstat's own (/tmp/.nstat.uUID), never that one:
 * the host's counters and a namespace's must not be mixed. */
static void nstat_history_path(const char *ns, char *buf, size_t cap)
{
        const char *env = getenv("NSTAT_HISTORY");
        if (env && *env)
                snprintf(buf, cap, "%s", env);
        else
                snprintf(buf, cap, "/tmp/.nstat.u%u.strata-%s", (unsigned)getuid(),
                         ns ? ns : "default");
}

static int cmd_exec(int argc, char **argv)
{
        const char *ns = NULL, *rundir = NULL;
        int i = 1;
        for (; i < argc; i++) {
                if (!strcmp(argv[i], "--")) {
                        i++;
                        break;
                }
                if ((!strcmp(argv[i], "-n") || !strcmp(argv[i], "--netns")) && i + 1 < argc)
                        ns = argv[++i];
                else if (!strcmp(argv[i], "--runtime-dir") && i + 1 < argc)
                        rundir = argv[++i];
                else if (argv[i][0] == '-') {
                        fprintf(stderr, "strata exec: unknown option '%s'\n", argv[i]);
                        return 2;
                } else
                        break;
        }
        if (i >= argc) {
                fprintf(stderr, "usage: strata exec [-n NS] [--runtime-dir DIR] -- CMD [ARG...]\n");
                return 2;
        }
        char path[256], lib[PATH_MAX];
        int err = ctl_socket(ns, rundir, path, sizeof(path));
        if (err) {
                fprintf(stderr, "strata exec: bad namespace name: %s\n", strata_strerror(err));
                return 2;
        }
        struct stat st;
        if (stat(path, &st) < 0 || !S_ISSOCK(st.st_mode)) {
                fprintf(stderr, "strata exec: no stratad serves namespace %s (%s: %s)\n",
                        ns ? ns : "default", path, strerror(errno ? errno : ENOTSOCK));
                return 1;
        }
        err = preload_path(lib, sizeof(lib));
        if (err) {
                fprintf(stderr,
                        "strata exec: libstrata-preload.so not found (set STRATA_PRELOAD)\n");
                return 1;
        }
        const char *old = getenv("LD_PRELOAD");
        char pre[PATH_MAX * 2];
        snprintf(pre, sizeof(pre), "%s%s%s", lib, old && *old ? ":" : "", old ? old : "");
        setenv("LD_PRELOAD", pre, 1);
        setenv(STRATA_CTL_ENV, path, 1);
        /* nstat under the shim reads the namespace's /proc/net files: its
         * history is the namespace's too (the one `strata nstat` keeps) */
        char hist[PATH_MAX];
        nstat_history_path(ns, hist, sizeof(hist));
        setenv("NSTAT_HISTORY", hist, 0);
        execvp(argv[i], argv + i);
        fprintf(stderr, "strata exec: %s: %s\n", argv[i], strerror(errno));
        return errno == ENOENT ? 127 : 126;
}

/* --- strata sysctl: procps sysctl over the control socket ------------------ */

struct sysctl_opts {
        const char *path;
        bool names_only, values_only, quiet, ignore_unknown;
        regex_t *pattern;
        int fd;
        int status; /* procps: 1 after any error */
        /* the value of the last GET (one key) */
        char value[512];
        bool got;
        int err;
};

/* A request of the private family: type, flags, NAME [, VALUE]. */
static size_t sysctl_msg(uint8_t *b, size_t cap, uint16_t type, uint16_t flags, const char *name,
                         const char *value)
{
        memset(b, 0, cap);
        size_t len = 16;
        const char *strs[2] = { name, value };
        for (int i = 0; i < 2; i++) {
                if (!strs[i])
                        continue;
                size_t n = strlen(strs[i]) + 1;
                if (len + 4 + n + 4 > cap)
                        return 0;
                uint16_t alen = (uint16_t)(4 + n), atype = (uint16_t)(i + 1);
                memcpy(b + len, &alen, 2);
                memcpy(b + len + 2, &atype, 2);
                memcpy(b + len + 4, strs[i], n);
                len += (4 + n + 3) & ~(size_t)3;
        }
        uint32_t l = (uint32_t)len;
        memcpy(b, &l, 4);
        memcpy(b + 4, &type, 2);
        flags |= 1; /* NLM_F_REQUEST */
        memcpy(b + 6, &flags, 2);
        return len;
}

/* NAME and VALUE of a STRATA_SYSCTL_VALUE message. */
static void sysctl_attrs(const uint8_t *m, size_t len, const char **name, const char **value)
{
        *name = *value = NULL;
        size_t off = 16;
        while (off + 4 <= len) {
                uint16_t alen, atype;
                memcpy(&alen, m + off, 2);
                memcpy(&atype, m + off + 2, 2);
                if (alen < 5 || off + alen > len)
                        break;
                const char *s = (const char *)m + off + 4;
                if (s[alen - 5] == 0) {
                        if (atype == STRATA_SYSCTL_A_NAME)
                                *name = s;
                        else if (atype == STRATA_SYSCTL_A_VALUE)
                                *value = s;
                }
                off += (alen + 3u) & ~3u;
        }
}

static void print_kv(struct sysctl_opts *o, const char *k, const char *v)
{
        if (o->names_only)
                printf("%s\n", k);
        else if (o->values_only)
                printf("%s\n", v);
        else
                printf("%s = %s\n", k, v);
}

/* Reply walker: values are printed (dumps) or kept (one key); errors kept. */
static int on_reply(const void *msg, size_t len, void *ctx)
{
        struct sysctl_opts *o = ctx;
        const uint8_t *m = msg;
        uint16_t type;
        memcpy(&type, m + 4, 2);
        if (type == 2 /* NLMSG_ERROR */ && len >= 20) {
                int32_t e;
                memcpy(&e, m + 16, 4);
                o->err = e;
        } else if (type == STRATA_SYSCTL_VALUE) {
                const char *k, *v;
                sysctl_attrs(m, len, &k, &v);
                if (k && v) {
                        snprintf(o->value, sizeof(o->value), "%s", v);
                        o->got = true;
                }
        }
        return 0;
}

struct dump_ctx {
        struct sysctl_opts *o;
        const char *glob; /* NULL: all */
        int matched;
};

static int on_dump(const void *msg, size_t len, void *ctx)
{
        struct dump_ctx *d = ctx;
        const uint8_t *m = msg;
        uint16_t type;
        memcpy(&type, m + 4, 2);
        if (type != STRATA_SYSCTL_VALUE)
                return 0;
        const char *k, *v;
        sysctl_attrs(m, len, &k, &v);
        if (!k || !v)
                return 0;
        if (d->glob && fnmatch(d->glob, k, 0) != 0)
                return 0;
        if (d->o->pattern && regexec(d->o->pattern, k, 0, NULL, 0) != 0)
                return 0;
        d->matched++;
        print_kv(d->o, k, v);
        return 0;
}

static void sysctl_dump(struct sysctl_opts *o, const char *glob)
{
        uint8_t b[64];
        size_t n = sysctl_msg(b, sizeof(b), STRATA_SYSCTL_GET, 0x300 /* NLM_F_DUMP */, NULL, NULL);
        struct dump_ctx d = { o, glob, 0 };
        int err = strata_ctl_request(o->fd, b, n, on_dump, &d);
        if (err) {
                fprintf(stderr, "strata sysctl: %s: %s\n", o->path, strata_strerror(err));
                o->status = 1;
        } else if (glob && !d.matched && !o->ignore_unknown) {
                fprintf(stderr, "strata sysctl: unknown key \"%s\": No such file or directory\n",
                        glob);
                o->status = 1;
        }
}

/* One key: "net.ipv4.ip_forward" or, with '/', as procps accepts it. */
static void sysctl_read(struct sysctl_opts *o, const char *key)
{
        char k[256];
        snprintf(k, sizeof(k), "%s", key);
        for (char *p = k; *p; p++)
                if (*p == '/')
                        *p = '.';
        if (strpbrk(k, "*?[")) {
                sysctl_dump(o, k);
                return;
        }
        uint8_t b[512];
        size_t n = sysctl_msg(b, sizeof(b), STRATA_SYSCTL_GET, 0, k, NULL);
        if (!n) {
                fprintf(stderr, "strata sysctl: key too long: \"%s\"\n", k);
                o->status = 1;
                return;
        }
        o->got = false;
        o->err = 0;
        int err = strata_ctl_request(o->fd, b, n, on_reply, o);
        if (!err)
                err = o->err;
        if (err == -ENOENT) {
                if (!o->ignore_unknown) {
                        fprintf(stderr, "strata sysctl: unknown key \"%s\": %s\n", k,
                                strerror(ENOENT));
                        o->status = 1;
                }
                return;
        }
        if (err || !o->got) {
                fprintf(stderr, "strata sysctl: reading key \"%s\": %s\n", k,
                        strata_strerror(err ? err : -EIO));
                o->status = 1;
                return;
        }
        print_kv(o, k, o->value);
}

/* key=value: write, then show what was set (procps prints the new value). */
static void sysctl_write(struct sysctl_opts *o, const char *k, const char *v, bool ignore)
{
        uint8_t b[1024];
        size_t n = sysctl_msg(b, sizeof(b), STRATA_SYSCTL_SET, 4 /* NLM_F_ACK */, k, v);
        if (!n) {
                fprintf(stderr, "strata sysctl: setting key \"%s\": %s\n", k, strerror(E2BIG));
                o->status = 1;
                return;
        }
        o->err = 0;
        int err = strata_ctl_request(o->fd, b, n, on_reply, o);
        if (!err)
                err = o->err;
        if (err == -ENOENT) {
                if (!o->ignore_unknown)
                        fprintf(stderr, "strata sysctl: unknown key \"%s\": %s\n", k,
                                strerror(ENOENT));
                if (!ignore && !o->ignore_unknown)
                        o->status = 1;
                return;
        }
        if (err) {
                fprintf(stderr, "strata sysctl: setting key \"%s\": %s\n", k, strata_strerror(err));
                if (!ignore)
                        o->status = 1;
                return;
        }
        if (!o->quiet)
                print_kv(o, k, v);
}

static void sysctl_arg_write(struct sysctl_opts *o, const char *arg)
{
        char buf[1024];
        snprintf(buf, sizeof(buf), "%s", arg);
        char *k, *v;
        int ignore;
        if (strata_sysctl_conf_line(buf, &k, &v, &ignore) != 1) {
                fprintf(stderr, "strata sysctl: \"%s\" must be of the form name=value\n", arg);
                o->status = 1;
                return;
        }
        sysctl_write(o, k, v, ignore);
}

static void sysctl_file(struct sysctl_opts *o, const char *path)
{
        FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
        if (!f) {
                fprintf(stderr, "strata sysctl: cannot open \"%s\": %s\n", path, strerror(errno));
                o->status = 1;
                return;
        }
        char line[1024];
        int lineno = 0;
        while (fgets(line, sizeof(line), f)) {
                lineno++;
                char *k, *v;
                int ignore;
                int r = strata_sysctl_conf_line(line, &k, &v, &ignore);
                if (r == 0)
                        continue;
                if (r < 0) {
                        fprintf(stderr, "strata sysctl: %s(%d): invalid syntax, continuing...\n",
                                path, lineno);
                        continue;
                }
                sysctl_write(o, k, v, ignore);
        }
        if (f != stdin)
                fclose(f);
}

static int conf_only(const struct dirent *d)
{
        size_t n = strlen(d->d_name);
        return d->d_name[0] != '.' && n > 5 && !strcmp(d->d_name + n - 5, ".conf");
}

static void sysctl_system(struct sysctl_opts *o, const char *dir)
{
        struct dirent **names;
        int n = scandir(dir, &names, conf_only, alphasort);
        if (n < 0)
                return; /* procps: a missing directory is simply empty */
        for (int i = 0; i < n; i++) {
                char path[PATH_MAX];
                snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
                if (!o->quiet)
                        printf("* Applying %s ...\n", path);
                sysctl_file(o, path);
                free(names[i]);
        }
        free(names);
}

static void sysctl_usage(FILE *f)
{
        fprintf(f, "usage: strata sysctl [--netns NS] [--runtime-dir DIR] [options] "
                   "[variable[=value] ...]\n"
                   "  -a, -A, -X        show every variable\n"
                   "  -n                values only        -N   names only\n"
                   "  -e                ignore unknown variables\n"
                   "  -q                do not echo variables set\n"
                   "  -w                every argument is variable=value\n"
                   "  -p [FILE]         load FILE (default /etc/strata/sysctl.conf; - for stdin)\n"
                   "  --system          load DIR/*.conf in lexical order (--sysctl-dir DIR,\n"
                   "                    default /etc/strata/sysctl.d), as stratad does at start\n"
                   "  -r, --pattern RE  only variables matching the extended regex RE\n"
                   "Variables may be globs (net.ipv4.neigh.*.retrans_time).  Values set live\n"
                   "until stratad stops, as on Linux until a reboot.\n");
}

static int cmd_sysctl(int argc, char **argv)
{
        struct sysctl_opts o = { .fd = -1 };
        const char *ns = NULL, *rundir = NULL, *sysdir = "/etc/strata/sysctl.d";
        const char *files[16];
        int nfiles = 0;
        bool all = false, write_mode = false, system = false;
        const char *args[256];
        int nargs = 0;
        regex_t re;
        for (int i = 1; i < argc; i++) {
                const char *a = argv[i];
                if (!strcmp(a, "--netns") && i + 1 < argc)
                        ns = argv[++i];
                else if (!strcmp(a, "--runtime-dir") && i + 1 < argc)
                        rundir = argv[++i];
                else if (!strcmp(a, "--sysctl-dir") && i + 1 < argc)
                        sysdir = argv[++i];
                else if (!strcmp(a, "--system"))
                        system = true;
                else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
                        sysctl_usage(stdout);
                        return 0;
                } else if ((!strcmp(a, "-r") || !strcmp(a, "--pattern")) && i + 1 < argc) {
                        if (o.pattern)
                                regfree(o.pattern);
                        if (regcomp(&re, argv[++i], REG_EXTENDED | REG_NOSUB)) {
                                fprintf(stderr, "strata sysctl: bad pattern \"%s\"\n", argv[i]);
                                return 1;
                        }
                        o.pattern = &re;
                } else if (!strcmp(a, "-p") || !strcmp(a, "--load")) {
                        const char *f = "/etc/strata/sysctl.conf";
                        if (i + 1 < argc && (argv[i + 1][0] != '-' || !strcmp(argv[i + 1], "-")))
                                f = argv[++i];
                        if (nfiles < 16)
                                files[nfiles++] = f;
                } else if (a[0] == '-' && a[1] && a[1] != '-') {
                        for (const char *c = a + 1; *c; c++) {
                                switch (*c) {
                                case 'a':
                                case 'A':
                                case 'X':
                                        all = true;
                                        break;
                                case 'n':
                                        o.values_only = true;
                                        break;
                                case 'N':
                                        o.names_only = true;
                                        break;
                                case 'e':
                                        o.ignore_unknown = true;
                                        break;
                                case 'q':
                                        o.quiet = true;
                                        break;
                                case 'w':
                                        write_mode = true;
                                        break;
                                default:
                                        fprintf(stderr, "strata sysctl: unknown option -%c\n", *c);
                                        sysctl_usage(stderr);
                                        return 2;
                                }
                        }
                } else if (a[0] == '-' && a[1] == '-') {
                        fprintf(stderr, "strata sysctl: unknown option '%s'\n", a);
                        sysctl_usage(stderr);
                        return 2;
                } else if (nargs < 256) {
                        args[nargs++] = a;
                }
        }
        if (!all && !system && !nfiles && !nargs && !o.pattern) {
                sysctl_usage(stderr);
                return 2;
        }
        char path[256];
        int err = ctl_socket(ns, rundir, path, sizeof(path));
        if (err) {
                fprintf(stderr, "strata sysctl: bad namespace name: %s\n", strata_strerror(err));
                return 2;
        }
        o.path = path;
        o.fd = strata_ctl_connect(path, STRATA_NETLINK_CTL, (uint32_t)getpid());
        if (o.fd < 0) {
                fprintf(stderr, "strata sysctl: no stratad at %s: %s\n", path,
                        strata_strerror(o.fd));
                return 1;
        }
        if (system)
                sysctl_system(&o, sysdir);
        for (int i = 0; i < nfiles; i++)
                sysctl_file(&o, files[i]);
        if (all || (o.pattern && !nargs))
                sysctl_dump(&o, NULL);
        for (int i = 0; i < nargs; i++) {
                if (strchr(args[i], '='))
                        sysctl_arg_write(&o, args[i]);
                else if (write_mode) {
                        fprintf(stderr, "strata sysctl: \"%s\" must be of the form name=value\n",
                                args[i]);
                        o.status = 1;
                } else
                        sysctl_read(&o, args[i]);
        }
        close(o.fd);
        if (o.pattern)
                regfree(o.pattern);
        return o.status;
}

/* --- strata nstat / strata drops: the counters of a running stratad -------- */

struct counters_opts {
        bool drops, zeros;
        const char **globs;
        int nglobs;
        int shown;
        struct nstat_ent *ents; /* nstat: the counters, collected */
        size_t n, cap;
        bool nomem;
};

static int on_counter(const void *msg, size_t len, void *ctx)
{
        struct counters_opts *o = ctx;
        const uint8_t *m = msg;
        uint16_t type;
        memcpy(&type, m + 4, 2);
        if (type != STRATA_COUNTER_VALUE)
                return 0;
        const char *k, *v;
        sysctl_attrs(m, len, &k, &v);
        const char *dot = k ? strchr(k, '.') : NULL;
        if (!dot || !v)
                return 0;
        bool drop = !strncmp(k, "Drop.", 5);
        if (drop != o->drops)
                return 0;
        /* nstat's names run group and field together: IpInReceives */
        char name[96];
        if (drop)
                snprintf(name, sizeof(name), "%s", dot + 1);
        else
                snprintf(name, sizeof(name), "%.*s%s", (int)(dot - k), k, dot + 1);
        if (!drop) {
                /* nstat's useless_number(): constants and a gauge it never
                 * shows; the rest goes through nstat's history */
                static const char *const useless[] = { "IpForwarding", "IpDefaultTTL",
                                                       "TcpRtoAlgorithm", "TcpRtoMin",
                                                       "TcpRtoMax", "TcpMaxConn", "TcpCurrEstab" };
                for (size_t i = 0; i < sizeof(useless) / sizeof(useless[0]); i++)
                        if (!strcmp(name, useless[i]))
                                return 0;
                if (o->n == o->cap) {
                        size_t cap = o->cap ? o->cap * 2 : 256;
                        struct nstat_ent *e = realloc(o->ents, cap * sizeof(*e));
                        if (!e) {
                                o->nomem = true;
                                return 0;
                        }
                        o->ents = e;
                        o->cap = cap;
                }
                struct nstat_ent *e = &o->ents[o->n++];
                snprintf(e->id, sizeof(e->id), "%.63s", name);
                e->val = strtoull(v, NULL, 10);
                return 0;
        }
        if (!o->zeros && !strcmp(v, "0"))
                return 0;
        bool match = o->nglobs == 0;
        for (int i = 0; i < o->nglobs && !match; i++)
                match = fnmatch(o->globs[i], name, 0) == 0;
        if (!match)
                return 0;
        printf("%-32s%s\n", name, v);
        o->shown++;
        return 0;
}

/* Connect to stratad's namespace ns as a STRATA_NETLINK_CTL client; the
 * socket's path in path.  -2: bad name, -1: no stratad (both reported). */
static int connect_ctl(const char *cmd, const char *ns, const char *rundir, char *path,
                       size_t cap)
{
        int err = ctl_socket(ns, rundir, path, cap);
        if (err) {
                fprintf(stderr, "strata %s: bad namespace name: %s\n", cmd, strata_strerror(err));
                return -2;
        }
        int fd = strata_ctl_connect(path, STRATA_NETLINK_CTL, (uint32_t)getpid());
        if (fd < 0) {
                fprintf(stderr, "strata %s: no stratad at %s: %s\n", cmd, path,
                        strata_strerror(fd));
                return -1;
        }
        return fd;
}

static int cmd_counters(int argc, char **argv, bool drops)
{
        const char *cmd = drops ? "drops" : "nstat";
        const char *ns = NULL, *rundir = NULL;
        const char *globs[64];
        struct counters_opts o = { .drops = drops, .globs = globs };
        struct nstat_opts no = { .patterns = globs };
        for (int i = 1; i < argc; i++) {
                const char *a = argv[i];
                if ((!strcmp(a, "--netns") || (drops && !strcmp(a, "-n"))) && i + 1 < argc)
                        ns = argv[++i];
                else if (!strcmp(a, "--runtime-dir") && i + 1 < argc)
                        rundir = argv[++i];
                else if (!drops && (!strcmp(a, "-a") || !strcmp(a, "--ignore")))
                        no.ignore = true;
                else if (!drops && (!strcmp(a, "-s") || !strcmp(a, "--noupdate") ||
                                    !strcmp(a, "--no-update")))
                        no.no_update = true;
                else if (!drops && (!strcmp(a, "-r") || !strcmp(a, "--reset")))
                        no.reset = true;
                else if (!drops && (!strcmp(a, "-n") || !strcmp(a, "--nooutput")))
                        no.no_output = true;
                else if (!strcmp(a, "-z") || !strcmp(a, "--zeros"))
                        o.zeros = true;
                else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
                        printf("usage: strata %s [--netns NS] [--runtime-dir DIR] [-z]%s "
                               "[PATTERN...]\n%s",
                               cmd, drops ? "" : " [-a] [-s] [-r] [-n]",
                               drops ? "  packets dropped, per drop reason (SKB_DROP_REASON_*)\n"
                                     : "  the MIB counters as nstat prints them: what grew since "
                                       "the last call\n  (its history: $NSTAT_HISTORY, else "
                                       "/tmp/.nstat.uUID.strata-NS), -a the\n  values, -s the "
                                       "history left alone, -r forgotten, -n no output\n");
                        return 0;
                } else if (!drops && a[0] == '-' && a[1] && a[1] != '-' &&
                           strspn(a + 1, "asrnz") == strlen(a + 1)) {
                        /* nstat's short options run together: -az, -rz */
                        for (const char *c = a + 1; *c; c++) {
                                no.ignore |= *c == 'a';
                                no.no_update |= *c == 's';
                                no.reset |= *c == 'r';
                                no.no_output |= *c == 'n';
                                o.zeros |= *c == 'z';
                        }
                } else if (a[0] == '-') {
                        fprintf(stderr, "strata %s: unknown option '%s'\n", cmd, a);
                        return 2;
                } else if (o.nglobs < 64) {
                        globs[o.nglobs++] = a;
                }
        }
        char path[256];
        int fd = connect_ctl(cmd, ns, rundir, path, sizeof(path));
        if (fd < 0)
                return fd == -2 ? 2 : 1;
        uint8_t b[32];
        size_t n = sysctl_msg(b, sizeof(b), STRATA_COUNTERS_GET, 0x300 /* NLM_F_DUMP */, NULL,
                              NULL);
        int err = strata_ctl_request(fd, b, n, on_counter, &o);
        close(fd);
        if (!err && o.nomem)
                err = -ENOMEM;
        if (err) {
                fprintf(stderr, "strata %s: %s: %s\n", cmd, path, strata_strerror(err));
                free(o.ents);
                return 1;
        }
        if (!drops) {
                /* the control socket was made when stratad started: a
                 * history older than it counts from another life */
                struct stat st;
                time_t born = stat(path, &st) == 0 ? st.st_mtime : 0;
                char hist[PATH_MAX];
                nstat_history_path(ns, hist, sizeof(hist));
                no.zeros = o.zeros;
                no.npatterns = o.nglobs;
                err = nstat_run(o.ents, o.n, hist, born, &no, stdout, stderr);
        }
        free(o.ents);
        return err ? 1 : 0;
}

/* --- trace and capture against stratad ------------------------------------ */

static volatile sig_atomic_t stop_flag;

static void on_stop_signal(int sig)
{
        (void)sig;
        stop_flag = 1;
}

/* SIGINT/SIGTERM end the wait (no SA_RESTART: poll returns EINTR). */
static void catch_stop_signals(void)
{
        struct sigaction sa = { .sa_handler = on_stop_signal };
        sigemptyset(&sa.sa_mask);
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
}

struct live_trace {
        uint64_t t0;
        bool started;
};

static void on_live_event(const struct strata_trace_event *ev, void *ctx)
{
        struct live_trace *t = ctx;
        if (!t->started) {
                t->t0 = ev->time_ns;
                t->started = true;
        }
        printf("%9.6fs #%-4u %-8s %-8s %-17s %s\n", (double)(ev->time_ns - t->t0) / 1e9, ev->id,
               ev->netns, ev->dev ? ev->dev : "-", ev->layer, ev->msg);
        if (ev->drop_reason)
                printf("%*s died: %s in %s()\n", 11, "", ev->drop_reason, ev->where);
        fflush(stdout);
}

/* -t SECONDS: a positive number, in milliseconds. */
static int parse_seconds(const char *cmd, const char *s, long *ms)
{
        char *end;
        errno = 0;
        double v = strtod(s, &end);
        if (errno || *end || end == s || !(v > 0) || v > 1e6) {
                fprintf(stderr, "strata %s: -t: '%s' is not a positive number of seconds\n", cmd,
                        s);
                return -1;
        }
        *ms = (long)(v * 1000);
        return 0;
}


static int cmd_trace(int argc, char **argv)
{
        const char *ns = NULL, *rundir = NULL;
        unsigned long count = 0;
        long ms = -1;
        struct strata_trace_filter f = { 0 };
        for (int i = 1; i < argc; i++) {
                const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
                char *end;
                if ((!strcmp(a, "--netns") || !strcmp(a, "-n")) && v) {
                        ns = argv[++i];
                } else if (!strcmp(a, "--runtime-dir") && v) {
                        rundir = argv[++i];
                } else if (!strcmp(a, "-c") && v) {
                        errno = 0;
                        count = strtoul(v, &end, 10);
                        if (errno || *end || !count || count > UINT32_MAX) {
                                fprintf(stderr, "strata trace: -c: '%s' is not a count\n", v);
                                return 2;
                        }
                        i++;
                } else if (!strcmp(a, "-t") && v) {
                        if (parse_seconds("trace", argv[++i], &ms))
                                return 2;
                } else if (!strcmp(a, "host") && v) {
                        struct in_addr in;
                        if (inet_pton(AF_INET, v, &in) != 1) {
                                fprintf(stderr, "strata trace: host: '%s' is not an IPv4 address\n",
                                        v);
                                return 2;
                        }
                        f.addr = ntohl(in.s_addr);
                        i++;
                } else if (!strcmp(a, "proto") && v) {
                        f.proto = !strcmp(v, "tcp") ? 6 : !strcmp(v, "udp") ? 17
                                                        : !strcmp(v, "icmp") ? 1 : 0;
                        if (!f.proto) {
                                fprintf(stderr, "strata trace: proto: '%s' is not tcp, udp or icmp\n",
                                        v);
                                return 2;
                        }
                        i++;
                } else if (!strcmp(a, "port") && v) {
                        errno = 0;
                        unsigned long p = strtoul(v, &end, 10);
                        if (errno || *end || !p || p > 65535) {
                                fprintf(stderr, "strata trace: port: '%s' is not a port\n", v);
                                return 2;
                        }
                        f.port = (uint16_t)p;
                        i++;
                } else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
                        printf("usage: strata trace [--netns NS] [--runtime-dir DIR] [-c N] [-t SECONDS]\n"
                               "                    [host ADDR] [proto tcp|udp|icmp] [port N]\n"
                               "  follow packets entering the namespace through every layer, live;\n"
                               "  -c: the first N matching packets; -t: stop after SECONDS\n");
                        return 0;
                } else {
                        fprintf(stderr, "strata trace: unknown argument '%s'\n", a);
                        return 2;
                }
        }
        char path[256];
        int fd = connect_ctl("trace", ns, rundir, path, sizeof(path));
        if (fd < 0)
                return fd == -2 ? 2 : 1;
        catch_stop_signals();
        struct live_trace t = { 0 };
        int err = strata_ctl_trace(fd, (unsigned)count, &f, ms, on_live_event, &t);
        close(fd);
        if (err) {
                fprintf(stderr, "strata trace: %s\n", err == -EBUSY
                                                           ? "another client is tracing that namespace"
                                                           : strata_strerror(err));
                return 1;
        }
        return 0;
}

static int cmd_capture(int argc, char **argv)
{
        const char *ns = NULL, *rundir = NULL, *dev = NULL, *file = NULL;
        long ms = -1;
        for (int i = 1; i < argc; i++) {
                const char *a = argv[i];
                bool has = i + 1 < argc;
                if ((!strcmp(a, "--netns") || !strcmp(a, "-n")) && has)
                        ns = argv[++i];
                else if (!strcmp(a, "--runtime-dir") && has)
                        rundir = argv[++i];
                else if (!strcmp(a, "-w") && has)
                        file = argv[++i];
                else if (!strcmp(a, "-t") && has) {
                        if (parse_seconds("capture", argv[++i], &ms))
                                return 2;
                } else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
                        printf("usage: strata capture [--netns NS] [--runtime-dir DIR] [-t SECONDS] DEV -w FILE\n"
                               "  write every frame DEV receives and sends to FILE (pcap), until\n"
                               "  Ctrl-C or SECONDS\n");
                        return 0;
                } else if (a[0] != '-' && !dev)
                        dev = a;
                else {
                        fprintf(stderr, "strata capture: unknown argument '%s'\n", a);
                        return 2;
                }
        }
        if (!dev || !file) {
                fprintf(stderr, "strata capture: need a device and -w FILE\n");
                return 2;
        }
        /* the server writes the file: give it a path that does not depend
         * on its working directory */
        char abs[PATH_MAX];
        if (file[0] == '/') {
                snprintf(abs, sizeof(abs), "%s", file);
        } else {
                char cwd[PATH_MAX];
                if (!getcwd(cwd, sizeof(cwd)) ||
                    snprintf(abs, sizeof(abs), "%s/%s", cwd, file) >= (int)sizeof(abs)) {
                        fprintf(stderr, "strata capture: %s: path too long\n", file);
                        return 2;
                }
        }
        char path[256];
        int fd = connect_ctl("capture", ns, rundir, path, sizeof(path));
        if (fd < 0)
                return fd == -2 ? 2 : 1;
        catch_stop_signals();
        int err = strata_ctl_capture_start(fd, dev, abs);
        if (err) {
                fprintf(stderr, "strata capture: %s: %s\n", dev,
                        err == -ENODEV ? "no such device" : strata_strerror(err));
                close(fd);
                return 1;
        }
        fprintf(stderr, "strata capture: writing %s's frames to %s\n", dev, abs);
        struct pollfd p = { .fd = fd, .events = POLLIN };
        while (!stop_flag) {
                /* the server says nothing until the end; a hang-up ends it */
                int r = poll(&p, 1, ms >= 0 ? (int)ms : -1);
                if (r == 0 || (r > 0 && (p.revents & (POLLHUP | POLLERR))))
                        break;
                if (r > 0) {
                        char b[256];
                        if (recv(fd, b, sizeof(b), MSG_DONTWAIT) == 0)
                                break;
                }
        }
        err = strata_ctl_capture_stop(fd, dev);
        close(fd);
        if (err) {
                fprintf(stderr, "strata capture: stopping: %s\n", strata_strerror(err));
                return 1;
        }
        return 0;
}

int main(int argc, char **argv)
{
        if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
                usage(argc < 2 ? stderr : stdout);
                return argc < 2 ? 2 : 0;
        }
        if (!strcmp(argv[1], "exec"))
                return cmd_exec(argc - 1, argv + 1);
        if (!strcmp(argv[1], "sysctl"))
                return cmd_sysctl(argc - 1, argv + 1);
        if (!strcmp(argv[1], "nstat") || !strcmp(argv[1], "drops"))
                return cmd_counters(argc - 1, argv + 1, argv[1][0] == 'd');
        if (!strcmp(argv[1], "trace"))
                return cmd_trace(argc - 1, argv + 1);
        if (!strcmp(argv[1], "capture"))
                return cmd_capture(argc - 1, argv + 1);
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
