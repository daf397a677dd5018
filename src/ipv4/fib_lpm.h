/*
 * The longest-prefix-match index of a large table (private to fib.c): a
 * DIR-24-8 array (Gupta, Lin and McKeown; DPDK's rte_lpm) over the
 * prefixes the hash tables of fib.c hold.  tbl24 has one entry per /24;
 * an entry names the longest prefix covering that /24 (its slot and
 * length) or, when longer prefixes fall inside it, a group of 256 tbl8
 * entries, one per address.  A lookup reads one or two entries and the
 * slot, which holds the first route of that prefix's chain.
 *
 * Entries: bit 31 valid, bit 30 "a tbl8 group" (tbl24 only), bits 24-29
 * the prefix length, bits 0-23 the slot (or group) number.  Slot 0 is
 * never used: a route's lpm_slot 0 means "none".
 */
#ifndef STRATA_IPV4_FIB_LPM_H
#define STRATA_IPV4_FIB_LPM_H

#include <stdint.h>

struct fib_route;

struct fib_lpm {
        uint32_t *tbl24; /* 1 << 24 entries */
        uint32_t *tbl8;  /* groups of 256 */
        uint32_t ngroups, cap_groups;
        uint32_t *free_groups;
        uint32_t nfree_groups;
        const struct fib_route **slot; /* the first route of each prefix */
        uint32_t nslots, cap_slots;
        uint32_t *free_slots;
        uint32_t nfree_slots, cap_free_slots;
};

#define LPM_VALID 0x80000000u
#define LPM_GROUP 0x40000000u
#define LPM_IDX   0x00ffffffu
#define LPM_MAX   0x00ffffffu /* slots and groups: at most this many */

static inline uint32_t lpm_entry(const struct fib_lpm *l, uint32_t addr)
{
        uint32_t e = l->tbl24[addr >> 8];
        if (e & LPM_GROUP)
                e = l->tbl8[(e & LPM_IDX) * 256 + (addr & 255)];
        return e;
}

struct fib_lpm *lpm_new(void);
void lpm_free(struct fib_lpm *l);
/* A new slot for a prefix (0 when out of memory or slots). */
uint32_t lpm_slot_alloc(struct fib_lpm *l);
/* Prefix dst/plen, slot s, now exists: entries it is the longest match
 * for name it.  -ENOMEM (a tbl8 group) leaves the index unusable. */
int lpm_insert(struct fib_lpm *l, uint32_t dst, uint8_t plen, uint32_t s);
/* Prefix dst/plen (slot s) is gone: its entries name the next shorter
 * covering prefix, repl (an entry; 0: none).  The slot is freed. */
void lpm_delete(struct fib_lpm *l, uint32_t dst, uint8_t plen, uint32_t s, uint32_t repl);

static inline uint32_t lpm_mk(uint32_t slot, uint8_t plen)
{
        return LPM_VALID | (uint32_t)plen << 24 | slot;
}

#endif
