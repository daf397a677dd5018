/*
 * bench_util: the helpers the benchmarks share (see bench_util.h).
 */
#include "bench_util.h"

#include <dirent.h>
#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "strata/strata.h"

/* --- errors, clocks, signals ------------------------------------------------- */

void die(const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        fprintf(stderr, "%s: ", bench_name);
        vfprintf(stderr, fmt, ap);
        fprintf(stderr, "\n");
        va_end(ap);
        exit(1);
}

uint64_t now_ns(clockid_t id)
{
        struct timespec ts;
        clock_gettime(id, &ts);
        return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

volatile sig_atomic_t g_stop;

static void on_signal(int sig)
{
        g_stop = 1;
}

void catch_signals(void)
{
        struct sigaction sa = { .sa_handler = on_signal };
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGHUP, &sa, NULL);
}

/* --- cores ------------------------------------------------------------------- */

int cpu_one = -1, cpu_two = -1;

void cpus_pick(void)
{
        cpu_set_t set;
        CPU_ZERO(&set);
        if (sched_getaffinity(0, sizeof(set), &set) < 0)
                return;
        for (int c = CPU_SETSIZE - 1; c >= 0; c--) {
                if (!CPU_ISSET(c, &set))
                        continue;
                if (cpu_one < 0)
                        cpu_one = c;
                else if (cpu_two < 0)
                        cpu_two = c;
        }
}

void pin(int cpu)
{
        if (cpu < 0)
                return;
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(cpu, &set);
        if (sched_setaffinity(0, sizeof(set), &set) < 0)
                die("sched_setaffinity(%d): %s", cpu, strerror(errno));
}

void unpin(void)
{
        cpu_set_t set;
        CPU_ZERO(&set);
        if (cpu_one >= 0)
                CPU_SET(cpu_one, &set);
        if (cpu_two >= 0)
                CPU_SET(cpu_two, &set);
        if (cpu_one >= 0)
                sched_setaffinity(0, sizeof(set), &set);
}

static int ksoftirqd_pid[64];
static int n_ksoftirqd;

void ksoftirqd_find(void)
{
        n_ksoftirqd = 0;
        DIR *d = opendir("/proc");
        if (!d)
                return;
        struct dirent *e;
        while ((e = readdir(d)) && n_ksoftirqd < 64) {
                int pid = atoi(e->d_name);
                if (pid <= 0)
                        continue;
                char path[300], comm[64];
                snprintf(path, sizeof(path), "/proc/%d/comm", pid);
                FILE *f = fopen(path, "r");
                if (!f)
                        continue;
                if (fgets(comm, sizeof(comm), f) && !strncmp(comm, "ksoftirqd/", 10))
                        ksoftirqd_pid[n_ksoftirqd++] = pid;
                fclose(f);
        }
        closedir(d);
}

uint64_t ksoftirqd_ns(void)
{
        uint64_t ticks = 0;
        for (int i = 0; i < n_ksoftirqd; i++) {
                char path[64], line[512];
                snprintf(path, sizeof(path), "/proc/%d/stat", ksoftirqd_pid[i]);
                FILE *f = fopen(path, "r");
                if (!f)
                        continue;
                if (fgets(line, sizeof(line), f)) {
                        char *p = strrchr(line, ')');
                        unsigned long long ut = 0, st = 0;
                        /* after "pid (comm)": state and fields 4..13, then utime stime */
                        if (p && sscanf(p + 2,
                                        "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u "
                                        "%llu %llu",
                                        &ut, &st) == 2)
                                ticks += ut + st;
                }
                fclose(f);
        }
        return ticks * (1000000000ull / (uint64_t)sysconf(_SC_CLK_TCK));
}

/* --- results ----------------------------------------------------------------- */

void series_add(struct series *s, double v)
{
        if (s->n < MAX_RUNS)
                s->v[s->n++] = v;
}

int cmp_double(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;
        return (x > y) - (x < y);
}

double series_median(const struct series *s)
{
        if (s->n == 0)
                return 0;
        double t[MAX_RUNS];
        memcpy(t, s->v, sizeof(double) * (size_t)s->n);
        qsort(t, (size_t)s->n, sizeof(double), cmp_double);
        return s->n % 2 ? t[s->n / 2] : (t[s->n / 2 - 1] + t[s->n / 2]) / 2;
}

void series_range(const struct series *s, double *lo, double *hi)
{
        *lo = *hi = s->n ? s->v[0] : 0;
        for (int i = 1; i < s->n; i++) {
                if (s->v[i] < *lo)
                        *lo = s->v[i];
                if (s->v[i] > *hi)
                        *hi = s->v[i];
        }
}

struct series per_core(const struct series *ns)
{
        struct series s = *ns;
        for (int i = 0; i < s.n; i++)
                s.v[i] = s.v[i] > 0 ? 1e9 / s.v[i] : 0;
        return s;
}

const char *fmt_num(double v, char *buf, size_t cap)
{
        char raw[32];
        snprintf(raw, sizeof(raw), "%.0f", v);
        size_t n = strlen(raw), o = 0;
        for (size_t i = 0; i < n && o + 2 < cap; i++) {
                buf[o++] = raw[i];
                size_t left = n - i - 1;
                if (left && left % 3 == 0 && raw[i] != '-')
                        buf[o++] = ',';
        }
        buf[o] = 0;
        return buf;
}

const char *fmt_series(const struct series *s, int dec, char *buf, size_t cap)
{
        double lo, hi, med = series_median(s);
        series_range(s, &lo, &hi);
        if (dec < 0) {
                char a[32], b[32], c[32];
                snprintf(buf, cap, "%s (%s..%s)", fmt_num(med, a, sizeof(a)),
                         fmt_num(lo, b, sizeof(b)), fmt_num(hi, c, sizeof(c)));
        } else {
                snprintf(buf, cap, "%.*f (%.*f..%.*f)", dec, med, dec, lo, dec, hi);
        }
        return buf;
}

/* --- the table ----------------------------------------------------------------- */

void table_head(const int w[TABLE_COLS])
{
        printf("| %-*s | %-*s | %-*s | %-*s | %*s |\n", w[0], "figure", w[1], "Strata", w[2],
               "peer", w[3], "peer value", w[4], "ratio");
        printf("|");
        for (int c = 0; c < TABLE_COLS; c++) {
                for (int i = 0; i < w[c] + 2; i++)
                        putchar('-');
                printf("|");
        }
        printf("\n");
}

void table_row(const int w[TABLE_COLS], const char *figure, const char *strata, const char *peer,
               const char *peerval, double ratio)
{
        char r[32];
        if (ratio > 0)
                snprintf(r, sizeof(r), "%.2f", ratio);
        else
                snprintf(r, sizeof(r), "-");
        printf("| %-*s | %-*s | %-*s | %-*s | %*s |\n", w[0], figure, w[1], strata, w[2], peer,
               w[3], peerval, w[4], r);
}

void table_series(const int w[TABLE_COLS], const char *figure, const struct series *sv, int dec,
                  const char *peer, const struct series *pv, const char *skipped)
{
        char a[96], b[96];
        fmt_series(sv, dec, a, sizeof(a));
        if (skipped || !pv || pv->n == 0) {
                table_row(w, figure, a, peer, skipped ? skipped : "not measured", 0);
                return;
        }
        fmt_series(pv, dec, b, sizeof(b));
        double pm = series_median(pv);
        table_row(w, figure, a, peer, b, pm > 0 ? series_median(sv) / pm : 0);
}

void print_machine(void)
{
        char model[128] = "unknown";
        FILE *f = fopen("/proc/cpuinfo", "r");
        if (f) {
                char line[256];
                while (fgets(line, sizeof(line), f))
                        if (!strncmp(line, "model name", 10)) {
                                char *p = strchr(line, ':');
                                if (p) {
                                        p += 2;
                                        p[strcspn(p, "\n")] = 0;
                                        snprintf(model, sizeof(model), "%s", p);
                                }
                                break;
                        }
                fclose(f);
        }
        struct utsname u;
        uname(&u);
        printf("machine: %ld CPUs, %s, Linux %s\n", sysconf(_SC_NPROCESSORS_ONLN), model,
               u.release);
}

/* --- Strata and Linux setup -------------------------------------------------------- */

void sx_check(long err, const char *what)
{
        if (err < 0)
                die("Strata: %s: %s", what, strata_strerror((int)err));
}

void sx_pair_setup(struct strata_clock **clk, struct strata_net *n[2], const char *na,
                   const char *nb, unsigned mtu)
{
        *clk = strata_clock_new(true);
        if (!*clk)
                die("Strata: strata_clock_new: out of memory");
        sx_check(strata_net_new(na, *clk, 1, &n[0]), "strata_net_new a");
        sx_check(strata_net_new(nb, *clk, 2, &n[1]), "strata_net_new b");
        sx_check(strata_veth_add(n[0], "veth0", n[1], "veth1"), "strata_veth_add");
        if (mtu) {
                sx_check(strata_link_set_mtu(n[0], "veth0", mtu), "strata_link_set_mtu a");
                sx_check(strata_link_set_mtu(n[1], "veth1", mtu), "strata_link_set_mtu b");
        }
        sx_check(strata_addr_add(n[0], "veth0", "10.0.0.1/24"), "strata_addr_add a");
        sx_check(strata_addr_add(n[1], "veth1", "10.0.0.2/24"), "strata_addr_add b");
        sx_check(strata_link_set_up(n[0], "veth0", true), "link up a");
        sx_check(strata_link_set_up(n[1], "veth1", true), "link up b");
}

void sx_pair_free(struct strata_clock *clk, struct strata_net *n[2])
{
        strata_net_free(n[0]);
        strata_net_free(n[1]);
        strata_clock_free(clk);
}

bool kx_namespace(void)
{
        if (geteuid() != 0 || unshare(CLONE_NEWNET) < 0)
                return false;
        int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        struct ifreq ifr;
        memset(&ifr, 0, sizeof(ifr));
        snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
        if (s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
                die("private namespace: SIOCGIFFLAGS lo: %s", strerror(errno));
        ifr.ifr_flags |= IFF_UP;
        if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
                die("private namespace: SIOCSIFFLAGS lo up: %s", strerror(errno));
        close(s);
        return true;
}
