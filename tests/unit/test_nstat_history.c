/*
 * `strata nstat`'s history, as iproute2's nstat keeps it (nstat_run): the
 * first run prints the values and writes the history; later runs print
 * what grew; -a prints the values, -s leaves the history alone, -r forgets
 * it, -n prints nothing; counters a pattern leaves out keep their old
 * baseline; a counter that went down is an overflow; a history older than
 * the namespace is aged out.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../test.h"
#include "ctl/nstat_hist.h"

static char path[64];

static struct nstat_ent cur[3] = { { "IpInReceives", 0 }, { "TcpActiveOpens", 0 },
                                   { "UdpNoPorts", 0 } };

/* Run nstat_run with opts (and patterns), output in a static buffer. */
static const char *run(struct nstat_opts o, time_t born)
{
        static char buf[4096];
        char errbuf[512];
        buf[0] = 0;
        FILE *out = fmemopen(buf, sizeof(buf), "w"), *err = fmemopen(errbuf, sizeof(errbuf), "w");
        CHECK_EQ(nstat_run(cur, 3, path, born, &o, out, err), 0);
        fclose(out);
        fclose(err);
        return buf;
}

static void set(uint64_t ip, uint64_t tcp, uint64_t udp)
{
        cur[0].val = ip;
        cur[1].val = tcp;
        cur[2].val = udp;
}


static void history_as_nstat(void)
{
        snprintf(path, sizeof(path), "/tmp/strata-nstat-test.%d", (int)getpid());
        unlink(path);
        struct nstat_opts none = { 0 };
        /* no history yet: the values (zeros left out), history written */
        set(10, 2, 0);
        CHECK_STR(run(none, 0), "#kernel\n"
                                   "IpInReceives                    10                 0.0\n"
                                   "TcpActiveOpens                  2                  0.0\n");
        /* what grew since */
        set(15, 2, 1);
        CHECK_STR(run(none, 0), "#kernel\n"
                                   "IpInReceives                    5                  0.0\n"
                                   "UdpNoPorts                      1                  0.0\n");
        /* -s: shown, history not moved; the same again next time */
        set(16, 2, 1);
        struct nstat_opts s = { .no_update = true };
        CHECK_STR(run(s, 0), "#kernel\n"
                                "IpInReceives                    1                  0.0\n");
        CHECK_STR(run(s, 0), "#kernel\n"
                                "IpInReceives                    1                  0.0\n");
        /* -a: the values; the history moves all the same */
        struct nstat_opts a = { .ignore = true };
        CHECK_STR(run(a, 0), "#kernel\n"
                                "IpInReceives                    16                 0.0\n"
                                "TcpActiveOpens                  2                  0.0\n"
                                "UdpNoPorts                      1                  0.0\n");
        CHECK_STR(run(none, 0), "#kernel\n");
        /* -z shows zeros; a pattern shows only its counters, the others
         * keep their baseline for the next run */
        set(20, 3, 1);
        const char *pat[] = { "Tcp*" };
        struct nstat_opts p = { .zeros = true, .patterns = pat, .npatterns = 1 };
        CHECK_STR(run(p, 0), "#kernel\n"
                                "TcpActiveOpens                  1                  0.0\n");
        CHECK_STR(run(none, 0), "#kernel\n"
                                   "IpInReceives                    4                  0.0\n");
        /* a counter that went down: overflow (shown with -z) */
        set(3, 3, 1);
        struct nstat_opts z = { .zeros = true };
        CHECK_STR(run(z, 0), "#kernel\n"
                                "IpInReceives                    0                  0.0 (overflow)\n"
                                "TcpActiveOpens                  0                  0.0\n"
                                "UdpNoPorts                      0                  0.0\n");
        /* -n: nothing shown, history moved */
        set(7, 3, 1);
        struct nstat_opts n = { .no_output = true };
        CHECK_STR(run(n, 0), "");
        CHECK_STR(run(none, 0), "#kernel\n");
        /* -r: forgotten, the values again */
        struct nstat_opts r = { .reset = true };
        CHECK_STR(run(r, 0), "#kernel\n"
                                "IpInReceives                    7                  0.0\n"
                                "TcpActiveOpens                  3                  0.0\n"
                                "UdpNoPorts                      1                  0.0\n");
        /* a history from before the namespace started is aged out */
        set(8, 3, 1);
        struct stat st;
        CHECK_EQ(stat(path, &st), 0);
        CHECK_STR(run(none, st.st_mtime + 1), "#kernel\n"
                                                 "IpInReceives                    8                  0.0\n"
                                                 "TcpActiveOpens                  3                  0.0\n"
                                                 "UdpNoPorts                      1                  0.0\n");
        unlink(path);
}

TEST_MAIN(T(history_as_nstat))
