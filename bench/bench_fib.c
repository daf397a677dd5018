/*
 * FIB lookups with a full-Internet-sized table: a million IPv4 prefixes
 * with the prefix-length mix of today's BGP table (about 60% /24, 10% /23,
 * 12% /22, then fewer of each shorter length down to /8), inserted into one
 * Strata table; then lookups per second on one core for destinations half
 * inside some prefix, half anywhere (the mix a default-free router sees is
 * closer to the first), and the memory the table holds (resident memory
 * before and after the inserts).  The target: 20 M lookups/s.
 *
 * With --kernel (root), the same prefixes go into a kernel network
 * namespace through `ip -batch`, and the kernel's figure for memory is
 * printed beside ours: the growth of Slab in /proc/meminfo.  The kernel's
 * lookup rate cannot be measured from user space (`ip route get` is bound
 * by netlink, not by the trie), so that column says n/a.
 *
 * Usage: bench_fib [-p PREFIXES] [-l LOOKUPS_M] [--kernel]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/random.h"
#include "ipv4/ipv4.h"
#include "lib/bench_util.h"

const char bench_name[] = "bench_fib";

/* Share of each prefix length, per ten thousand (BGP table, 2024). */
static const struct {
        uint8_t plen;
        unsigned share;
} mix[] = { { 24, 6000 }, { 23, 1000 }, { 22, 1200 }, { 21, 500 }, { 20, 420 }, { 19, 330 },
            { 18, 170 },  { 17, 110 },  { 16, 160 },  { 15, 40 },  { 14, 30 },  { 13, 20 },
            { 12, 10 },   { 11, 5 },    { 10, 3 },    { 9, 1 },    { 8, 1 } };

static uint8_t random_plen(struct strata_random *rnd)
{
        unsigned x = random_below(rnd, 10000), acc = 0;
        for (size_t i = 0; i < sizeof(mix) / sizeof(mix[0]); i++) {
                acc += mix[i].share;
                if (x < acc)
                        return mix[i].plen;
        }
        return 24;
}

/* Resident memory: what the table really occupies, its index's pages
 * included (malloc's own figures miss a direct mmap). */
static size_t heap_bytes(void)
{
        FILE *f = fopen("/proc/self/statm", "r");
        unsigned long size = 0, resident = 0;
        if (f) {
                if (fscanf(f, "%lu %lu", &size, &resident) != 2)
                        resident = 0;
                fclose(f);
        }
        return resident * (size_t)sysconf(_SC_PAGESIZE);
}

static long slab_kb(void)
{
        FILE *f = fopen("/proc/meminfo", "r");
        char line[128];
        long v = -1;
        while (f && fgets(line, sizeof(line), f))
                if (sscanf(line, "Slab: %ld kB", &v) == 1)
                        break;
        if (f)
                fclose(f);
        return v;
}

/* The kernel's memory for the same prefixes: Slab growth in a namespace. */
static long kernel_kb(const uint32_t *dst, const uint8_t *plen, size_t n)
{
        char ns[32], cmd[512];
        snprintf(ns, sizeof(ns), "bench-fib-%d", (int)getpid());
        snprintf(cmd, sizeof(cmd),
                 "ip netns add %s && ip -n %s link add bfib0 type veth peer name bfib1 && "
                 "ip -n %s link set bfib0 up && ip -n %s addr add 10.255.0.1/30 dev bfib0",
                 ns, ns, ns, ns);
        if (system(cmd) != 0)
                return -1;
        char path[] = "/tmp/bench_fib.XXXXXX";
        int fd = mkstemp(path);
        FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
        long before = -1, after = -1;
        if (f) {
                for (size_t i = 0; i < n; i++)
                        fprintf(f, "route add %u.%u.%u.%u/%u via 10.255.0.2\n", dst[i] >> 24,
                                (dst[i] >> 16) & 255, (dst[i] >> 8) & 255, dst[i] & 255, plen[i]);
                fclose(f);
                before = slab_kb();
                snprintf(cmd, sizeof(cmd), "ip -n %s -batch %s -force >/dev/null 2>&1", ns, path);
                if (system(cmd) == 0 || 1)
                        after = slab_kb();
                unlink(path);
        }
        snprintf(cmd, sizeof(cmd), "ip netns del %s", ns);
        if (system(cmd) != 0)
                fprintf(stderr, "bench_fib: could not remove namespace %s\n", ns);
        return before >= 0 && after >= 0 ? after - before : -1;
}

int main(int argc, char **argv)
{
        size_t n = 1000000, lookups = 20000000;
        bool kernel = false;
        for (int i = 1; i < argc; i++) {
                if (!strcmp(argv[i], "-p") && i + 1 < argc)
                        n = strtoul(argv[++i], NULL, 10);
                else if (!strcmp(argv[i], "-l") && i + 1 < argc)
                        lookups = strtoul(argv[++i], NULL, 10) * 1000000;
                else if (!strcmp(argv[i], "--kernel"))
                        kernel = true;
                else
                        die("usage: bench_fib [-p PREFIXES] [-l LOOKUPS_M] [--kernel]");
        }
        cpus_pick();
        pin(cpu_one);
        struct strata_random rnd;
        random_seed(&rnd, 42);
        uint32_t *dst = malloc(n * sizeof(*dst));
        uint8_t *plen = malloc(n);
        const size_t nq = 1 << 20;
        uint32_t *q = malloc(nq * sizeof(*q));
        if (!dst || !plen || !q)
                die("out of memory");
        memset(dst, 0, n * sizeof(*dst)); /* the bench's own pages, before measuring */
        memset(plen, 0, n);
        memset(q, 0, nq * sizeof(*q));
        size_t before = heap_bytes();
        struct fib_table *t = fib_table_new(RT_TABLE_MAIN);
        uint64_t t0 = now_ns(CLOCK_MONOTONIC);
        size_t have = 0;
        while (have < n) {
                uint8_t l = random_plen(&rnd);
                uint32_t a = random_u32(&rnd) & (~0u << (32 - l));
                if ((a >> 24) == 0 || (a >> 24) >= 224 || (a >> 24) == 127 || (a >> 24) == 10)
                        continue; /* no martians, no 10/8 (the bench's own link) */
                struct fib_route r = { .dst = a,
                                       .plen = l,
                                       .type = RTN_UNICAST,
                                       .protocol = RTPROT_BOOT,
                                       .gw = 0x0aff0002u };
                if (fib_table_insert(t, &r) == 0) {
                        dst[have] = a;
                        plen[have++] = l;
                }
        }
        uint64_t t_ins = now_ns(CLOCK_MONOTONIC) - t0;
        size_t mem = heap_bytes() - before;
        for (size_t i = 0; i < nq; i++) {
                if (i & 1) {
                        q[i] = random_u32(&rnd);
                } else {
                        size_t k = random_below(&rnd, (uint32_t)n);
                        uint32_t host = plen[k] == 32 ? 0 : random_u32(&rnd) >> plen[k];
                        q[i] = dst[k] | host;
                }
        }
        /* warm up, then the timed run */
        uintptr_t sink = 0;
        for (size_t i = 0; i < nq; i++)
                sink += (uintptr_t)fib_table_lookup(t, q[i]);
        t0 = now_ns(CLOCK_MONOTONIC);
        for (size_t i = 0; i < lookups; i++)
                sink += (uintptr_t)fib_table_lookup(t, q[i & (nq - 1)]);
        uint64_t el = now_ns(CLOCK_MONOTONIC) - t0;
        double rate = lookups / (el / 1e9);
        printf("bench_fib: %zu prefixes inserted in %.2f s; %zu lookups (half inside a prefix)\n",
               n, t_ins / 1e9, lookups);
        printf("%-28s %14s %14s\n", "", "strata", "kernel");
        long kkb = kernel ? kernel_kb(dst, plen, n) : -1;
        char kmem[32] = "n/a";
        if (kkb >= 0)
                snprintf(kmem, sizeof(kmem), "%.1f", kkb / 1024.0);
        printf("%-28s %14.1f %14s\n", "lookups/s (M, one core)", rate / 1e6, "n/a");
        printf("%-28s %14.1f %14s\n", "ns per lookup", el / (double)lookups, "n/a");
        printf("%-28s %14.1f %14s\n", "table memory (MB)", mem / 1048576.0, kmem);
        char kper[32] = "n/a";
        if (kkb >= 0)
                snprintf(kper, sizeof(kper), "%.1f", kkb * 1024.0 / (double)n);
        printf("%-28s %14.1f %14s\n", "bytes per prefix", mem / (double)n, kper);
        printf("target 20 M lookups/s: %s%s\n", rate >= 20e6 ? "met" : "missed",
               sink == 1 ? " " : "");
        fib_table_free(t);
        free(dst);
        free(plen);
        free(q);
        return 0;
}
