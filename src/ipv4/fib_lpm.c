/*
 * DIR-24-8 index maintenance (see fib_lpm.h): inserting a prefix writes
 * its slot into every entry of its range whose current prefix is no
 * longer; deleting one writes the next shorter covering prefix back into
 * the entries that named it.  Longer prefixes than /24 live in tbl8
 * groups, made when the first one under a /24 arrives (filled with what
 * the /24 entry said) and kept until the index goes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define TBL24_SIZE (((size_t)1 << 24) * sizeof(uint32_t))

#include "ipv4/fib_lpm.h"

static inline uint8_t depth_of(uint32_t e)
{
        return (uint8_t)((e >> 24) & 0x3f);
}

struct fib_lpm *lpm_new(void)
{
        struct fib_lpm *l = calloc(1, sizeof(*l));
        if (!l)
                return NULL;
        /* 64 MB read at random: zero pages until written, and 2 MB pages
         * where the system allows them, so that a lookup misses the cache
         * but not also the TLB */
        void *p =
            mmap(NULL, TBL24_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) {
                free(l);
                return NULL;
        }
        madvise(p, TBL24_SIZE, MADV_HUGEPAGE);
        l->tbl24 = p;
        l->nslots = 1; /* slot 0: none */
        return l;
}

void lpm_free(struct fib_lpm *l)
{
        if (!l)
                return;
        munmap(l->tbl24, TBL24_SIZE);
        free(l->tbl8);
        free(l->free_groups);
        free(l->slot);
        free(l->free_slots);
        free(l);
}

uint32_t lpm_slot_alloc(struct fib_lpm *l)
{
        if (l->nfree_slots)
                return l->free_slots[--l->nfree_slots];
        if (l->nslots >= LPM_MAX)
                return 0;
        if (l->nslots >= l->cap_slots) {
                uint32_t cap = l->cap_slots ? l->cap_slots * 2 : 1024;
                const struct fib_route **v = realloc(l->slot, cap * sizeof(*v));
                if (!v)
                        return 0;
                l->slot = v;
                l->cap_slots = cap;
        }
        l->slot[l->nslots] = NULL;
        return l->nslots++;
}

static void slot_free(struct fib_lpm *l, uint32_t s)
{
        l->slot[s] = NULL;
        if (l->nfree_slots == l->cap_free_slots) {
                uint32_t cap = l->cap_free_slots ? l->cap_free_slots * 2 : 256;
                uint32_t *v = realloc(l->free_slots, cap * sizeof(*v));
                if (!v)
                        return; /* the slot is lost, not reused */
                l->free_slots = v;
                l->cap_free_slots = cap;
        }
        l->free_slots[l->nfree_slots++] = s;
}

/* A tbl8 group filled with e; its number, or -1. */
static int64_t group_alloc(struct fib_lpm *l, uint32_t e)
{
        uint32_t g;
        if (l->nfree_groups) {
                g = l->free_groups[--l->nfree_groups];
        } else {
                if (l->ngroups >= LPM_MAX)
                        return -1;
                if (l->ngroups == l->cap_groups) {
                        uint32_t cap = l->cap_groups ? l->cap_groups * 2 : 256;
                        uint32_t *v = realloc(l->tbl8, (size_t)cap * 256 * sizeof(*v));
                        if (!v)
                                return -1;
                        l->tbl8 = v;
                        l->cap_groups = cap;
                }
                g = l->ngroups++;
        }
        uint32_t *p = l->tbl8 + (size_t)g * 256;
        for (int i = 0; i < 256; i++)
                p[i] = e;
        return g;
}

/* Entry *p takes e when its prefix is not longer than plen. */
static inline void put_if_shorter(uint32_t *p, uint32_t e, uint8_t plen)
{
        if (!*p || depth_of(*p) <= plen)
                *p = e;
}

int lpm_insert(struct fib_lpm *l, uint32_t dst, uint8_t plen, uint32_t s)
{
        uint32_t e = lpm_mk(s, plen);
        if (plen <= 24) {
                uint32_t first = dst >> 8, n = 1u << (24 - plen);
                for (uint32_t i = first; i < first + n; i++) {
                        uint32_t *t = &l->tbl24[i];
                        if (!(*t & LPM_GROUP)) {
                                put_if_shorter(t, e, plen);
                                continue;
                        }
                        uint32_t *g = l->tbl8 + (size_t)(*t & LPM_IDX) * 256;
                        for (int j = 0; j < 256; j++)
                                put_if_shorter(&g[j], e, plen);
                }
                return 0;
        }
        uint32_t *t = &l->tbl24[dst >> 8];
        if (!(*t & LPM_GROUP)) {
                int64_t g = group_alloc(l, *t);
                if (g < 0)
                        return -ENOMEM;
                *t = LPM_VALID | LPM_GROUP | (uint32_t)g;
        }
        uint32_t *g = l->tbl8 + (size_t)(*t & LPM_IDX) * 256;
        uint32_t first = dst & 255, n = 1u << (32 - plen);
        for (uint32_t j = first; j < first + n; j++)
                put_if_shorter(&g[j], e, plen);
        return 0;
}

void lpm_delete(struct fib_lpm *l, uint32_t dst, uint8_t plen, uint32_t s, uint32_t repl)
{
        uint32_t mine = lpm_mk(s, plen);
        if (plen <= 24) {
                uint32_t first = dst >> 8, n = 1u << (24 - plen);
                for (uint32_t i = first; i < first + n; i++) {
                        uint32_t *t = &l->tbl24[i];
                        if (!(*t & LPM_GROUP)) {
                                if (*t == mine)
                                        *t = repl;
                                continue;
                        }
                        uint32_t *g = l->tbl8 + (size_t)(*t & LPM_IDX) * 256;
                        for (int j = 0; j < 256; j++)
                                if (g[j] == mine)
                                        g[j] = repl;
                }
        } else {
                uint32_t t = l->tbl24[dst >> 8];
                if (t & LPM_GROUP) {
                        uint32_t *g = l->tbl8 + (size_t)(t & LPM_IDX) * 256;
                        uint32_t first = dst & 255, n = 1u << (32 - plen);
                        for (uint32_t j = first; j < first + n; j++)
                                if (g[j] == mine)
                                        g[j] = repl;
                }
        }
        slot_free(l, s);
}
