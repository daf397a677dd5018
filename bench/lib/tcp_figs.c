/*
 * tcp_figs: what bench_tcp's peers share (see tcp_figs.h).
 */
#include "tcp_figs.h"

#include <stdlib.h>

uint8_t sbuf[CHUNK], rbuf[CHUNK];

uint32_t *hist_new(void)
{
        uint32_t *h = calloc(HIST_N, sizeof(uint32_t));
        if (!h)
                die("out of memory");
        return h;
}

void hist_add(uint32_t *h, uint64_t ns)
{
        uint64_t b = ns / HIST_NS;
        h[b < HIST_N ? b : HIST_N - 1]++;
}

double hist_pct(const uint32_t *h, double pct)
{
        uint64_t total = 0;
        for (int i = 0; i < HIST_N; i++)
                total += h[i];
        uint64_t want = (uint64_t)(pct / 100.0 * (double)total), acc = 0;
        for (int i = 0; i < HIST_N; i++) {
                acc += h[i];
                if (acc > want)
                        return (i + 0.5) * HIST_NS;
        }
        return HIST_N * HIST_NS;
}

void add_run(struct stats *st, double work, double wall_ns, double cpu_ns, bool bulk)
{
        series_add(&st->rate, bulk ? work * 8 / wall_ns : work * 1e9 / wall_ns);
        series_add(&st->cpu, cpu_ns > 0 ? work * 1e9 / cpu_ns : 0);
}
