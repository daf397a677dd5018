/*
 * nstat's history, for `strata nstat`: what iproute2's nstat keeps in its
 * history file and how it prints deltas from it, over counters Strata
 * fetched from a namespace (the client fetches; this only does nstat's
 * bookkeeping, so it can be tested on its own).
 */
#ifndef STRATA_CTL_NSTAT_HIST_H
#define STRATA_CTL_NSTAT_HIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

struct nstat_ent {
        char id[64]; /* nstat's name: group and field run together */
        uint64_t val;
};

struct nstat_opts {
        bool ignore;    /* -a: absolute values, the history not read */
        bool no_update; /* -s: the history left as it was */
        bool reset;     /* -r: the history forgotten first */
        bool no_output; /* -n: only the history updated */
        bool zeros;     /* -z: zero values shown too */
        const char *const *patterns; /* shell patterns; none: every counter */
        int npatterns;
};

/*
 * One run of nstat over cur[0..n) (the counters now, in nstat's order)
 * with the history file at path: without history (first run, -a, -r) the
 * values themselves, else what each grew since the history was written
 * ("(overflow)" when one went down: the namespace restarted); then, unless
 * -s, the history becomes cur -- except counters the patterns left out,
 * which keep their old value, so a later run still shows their growth.  A
 * history written before `born` (the namespace's start) is aged out and
 * reset, with nstat's message.  The history file must be the caller's own
 * (0600, one link), as nstat insists.  0, or -errno with a message on err.
 */
int nstat_run(const struct nstat_ent *cur, size_t n, const char *path, time_t born,
              const struct nstat_opts *o, FILE *out, FILE *err);

#endif
