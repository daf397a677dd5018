/*
 * nstat's history file and deltas, as iproute2's misc/nstat.c keeps them
 * (see nstat_hist.h).  The file is nstat's own format -- "#kernel", then
 * one "NAME VALUE RATE" line per counter -- so `strata nstat` and Debian's
 * nstat run under `strata exec` (NSTAT_HISTORY pointed at the same file)
 * share it.  Rates are always 0.0: Strata runs no nstat daemon.
 */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl/nstat_hist.h"

static bool match(const struct nstat_opts *o, const char *id)
{
        if (o->npatterns == 0)
                return true;
        for (int i = 0; i < o->npatterns; i++)
                if (fnmatch(o->patterns[i], id, 0) == 0)
                        return true;
        return false;
}

/* The history's value of id, searched from *h on (both lists are in the
 * same order, as nstat's walk assumes); NULL if absent. */
static const struct nstat_ent *hist_find(const struct nstat_ent *hist, size_t nh, size_t *h,
                                         const char *id)
{
        for (size_t i = *h; i < nh; i++)
                if (!strcmp(hist[i].id, id)) {
                        *h = i + 1;
                        return &hist[i];
                }
        return NULL;
}

static int load_hist(FILE *f, struct nstat_ent **out, size_t *n)
{
        char line[256];
        size_t cap = 0;
        *out = NULL;
        *n = 0;
        while (fgets(line, sizeof(line), f)) {
                struct nstat_ent e;
                unsigned long long v;
                if (line[0] == '#' || sscanf(line, "%63s %llu", e.id, &v) != 2)
                        continue;
                e.val = v;
                if (*n == cap) {
                        cap = cap ? cap * 2 : 256;
                        struct nstat_ent *g = realloc(*out, cap * sizeof(*g));
                        if (!g)
                                return -ENOMEM;
                        *out = g;
                }
                (*out)[(*n)++] = e;
        }
        return 0;
}

int nstat_run(const struct nstat_ent *cur, size_t n, const char *path, time_t born,
              const struct nstat_opts *o, FILE *out, FILE *err)
{
        if (o->reset)
                unlink(path);
        struct nstat_ent *hist = NULL;
        size_t nh = 0;
        FILE *hf = NULL;
        if (!o->ignore || !o->no_update) {
                int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
                if (fd < 0) {
                        int e = errno;
                        fprintf(err, "nstat: open history file: %s\n", strerror(e));
                        return -e;
                }
                struct stat st;
                if (!(hf = fdopen(fd, "r+")) || flock(fd, LOCK_EX) || fstat(fd, &st)) {
                        int e = errno;
                        fprintf(err, "nstat: history file %s: %s\n", path, strerror(e));
                        hf ? fclose(hf) : close(fd);
                        return -e;
                }
                if (st.st_nlink != 1 || st.st_uid != getuid()) {
                        fprintf(err, "nstat: something is so wrong with history file, that I "
                                     "prefer not to proceed.\n");
                        fclose(hf);
                        return -EPERM;
                }
                if (!o->ignore && born && st.st_size && st.st_mtime < born) {
                        /* written before the namespace started: its
                         * counters began again from 0 since */
                        fprintf(err, "nstat: history is aged out, resetting\n");
                        if (ftruncate(fd, 0) < 0)
                                fprintf(err, "nstat: ftruncate: %s\n", strerror(errno));
                }
                if (load_hist(hf, &hist, &nh) < 0) {
                        fclose(hf);
                        free(hist);
                        return -ENOMEM;
                }
        }
        if (!o->no_output) {
                fprintf(out, "#kernel\n");
                size_t h = 0;
                bool incr = !o->ignore && nh > 0;
                for (size_t i = 0; i < n; i++) {
                        uint64_t val = cur[i].val;
                        bool ovfl = false;
                        const struct nstat_ent *p = incr ? hist_find(hist, nh, &h, cur[i].id) : NULL;
                        if (p) {
                                if (val < p->val) {
                                        ovfl = true; /* nstat shows 0 then */
                                        val = p->val;
                                }
                                val -= p->val;
                        }
                        if ((!o->zeros && !val) || !match(o, cur[i].id))
                                continue;
                        fprintf(out, "%-32s%-16" PRIu64 "%6.1f%s\n", cur[i].id, val, 0.0,
                                ovfl ? " (overflow)" : "");
                }
        }
        int ret = 0;
        if (!o->no_update && hf) {
                if (ftruncate(fileno(hf), 0) < 0)
                        ret = -errno;
                rewind(hf);
                fprintf(hf, "#kernel\n");
                size_t h = 0;
                for (size_t i = 0; i < n; i++) {
                        uint64_t val = cur[i].val;
                        if (!o->zeros && !val)
                                continue;
                        if (!match(o, cur[i].id)) {
                                /* not shown: keeps its old baseline */
                                const struct nstat_ent *p = hist_find(hist, nh, &h, cur[i].id);
                                if (p)
                                        val = p->val;
                        }
                        fprintf(hf, "%-32s%-16" PRIu64 "%6.1f\n", cur[i].id, val, 0.0);
                }
        }
        if (hf && fclose(hf) != 0 && !ret)
                ret = -errno;
        free(hist);
        return ret;
}
