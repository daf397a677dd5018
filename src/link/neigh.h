/*
 * The neighbour subsystem: which link-layer address answers for a next-hop
 * address on a device, with Linux's NUD state machine (net/core/neighbour.c).
 *
 * Protocol-independent: ARP (src/ipv4/arp.c) and later IPv6 ND plug in a
 * table with ops for soliciting an address and for reporting a failure to
 * the packets that waited.  Keys are up to 16 bytes (an IPv6 address), so
 * nothing here assumes IPv4.
 *
 * States (Linux's NUD_* values, as `ip neigh` prints them):
 *   NONE -> INCOMPLETE   first packet: queue it, solicit (broadcast)
 *   INCOMPLETE -> REACHABLE on a reply; -> FAILED after ucast+app+mcast
 *                        probes every retrans_time; queued packets get
 *                        ICMP host unreachable and drop as NEIGH_FAILED
 *   REACHABLE -> STALE   reachable_time (random 0.5..1.5 x base) after the
 *                        last confirmation, unless used recently (-> DELAY)
 *   STALE -> DELAY       on use: send with the old address, wait
 *                        delay_first_probe_time for an upper-layer confirm
 *   DELAY -> REACHABLE (confirmed) or -> PROBE (unicast probes, ucast_probes
 *                        of them every retrans_time) -> FAILED
 *   PERMANENT, NOARP     static entries; never timed
 * Entries idle for gc_stale_time (or FAILED) are collected by the periodic
 * work once the table holds gc_thresh1 entries; past gc_thresh3 a new entry
 * fails with NEIGH_CREATEFAIL.
 */
#ifndef STRATA_LINK_NEIGH_H
#define STRATA_LINK_NEIGH_H

#include <stdbool.h>
#include <stdint.h>

#include "core/netdev.h"
#include "core/skb.h"
#include "core/timer.h"

#define NUD_NONE       0x00
#define NUD_INCOMPLETE 0x01
#define NUD_REACHABLE  0x02
#define NUD_STALE      0x04
#define NUD_DELAY      0x08
#define NUD_PROBE      0x10
#define NUD_FAILED     0x20
#define NUD_NOARP      0x40
#define NUD_PERMANENT  0x80
#define NUD_IN_TIMER   (NUD_INCOMPLETE | NUD_REACHABLE | NUD_DELAY | NUD_PROBE)
#define NUD_VALID      (NUD_PERMANENT | NUD_NOARP | NUD_REACHABLE | NUD_PROBE | NUD_STALE | NUD_DELAY)
#define NUD_CONNECTED  (NUD_PERMANENT | NUD_NOARP | NUD_REACHABLE)

/* neigh_update flags (Linux's NEIGH_UPDATE_F_*) */
#define NEIGH_UPDATE_F_OVERRIDE 0x1 /* replace a different known address */
#define NEIGH_UPDATE_F_ADMIN    0x2 /* from the administrator (ip neigh) */

#define NEIGH_KEY_MAX 16

/* Tunables of one device (or the table's default), in ms where a time;
 * registered as sysctls net.ipv4.neigh.{default,DEV}.* with Linux's
 * names, units and defaults. */
struct neigh_parms {
        int base_reachable_time; /* 30000 */
        int retrans_time;        /* 1000 */
        int delay_probe_time;    /* 5000 (delay_first_probe_time) */
        int gc_staletime;        /* 60000 */
        int ucast_probes;        /* 3 */
        int app_probes;          /* 0 */
        int mcast_probes;        /* 3 */
        int mcast_reprobes;      /* 0 */
        int queue_len_bytes;     /* 212992 (unres_qlen_bytes) */
        int unres_qlen;          /* 101 */
        int locktime;            /* 1000 */
        uint64_t reachable_time; /* ns; randomised from base_reachable_time */
        uint32_t data_state;     /* bit per field set explicitly on this device */
        struct net_device *dev;  /* NULL for the default */
};

struct neighbour;
struct neigh_table;

struct neigh_ops {
        /* Send a solicitation for n (skb: a packet waiting, for the source
         * address; may be NULL).  Does not consume skb. */
        void (*solicit)(struct neighbour *n, struct sk_buff *skb);
        /* A queued packet whose neighbour failed: report (ICMP) and drop it
         * with NEIGH_FAILED.  Consumes skb. */
        void (*error_report)(struct neighbour *n, struct sk_buff *skb);
};

struct neighbour {
        struct neighbour *next; /* hash chain */
        struct neigh_table *tbl;
        struct net_device *dev;
        struct neigh_parms *parms;
        uint8_t key[NEIGH_KEY_MAX]; /* primary key (next-hop address) */
        uint8_t ha[MAX_ADDR_LEN];   /* link-layer address when VALID */
        uint8_t nud_state;
        uint8_t flags; /* NTF_* */
        int probes;
        uint64_t updated;   /* ns: last state change */
        uint64_t confirmed; /* ns: last reachability confirmation */
        uint64_t used;      /* ns: last use for output */
        struct timer_list timer;
        struct sk_buff_head arp_queue;
        uint32_t arp_queue_len_bytes;
};

struct neigh_table {
        struct net *net;
        const char *id;     /* "arp_cache" */
        uint16_t family;    /* AF_INET */
        uint16_t ethertype; /* of the packets it resolves for (IPv4) */
        uint8_t key_len;    /* 4 for ARP */
        const struct neigh_ops *ops;
        struct neigh_parms parms;               /* the "default" parms */
        int gc_interval;                        /* ms, 30000 */
        int gc_thresh1, gc_thresh2, gc_thresh3; /* 128, 512, 1024 */
        struct neighbour **hash;
        uint32_t hash_mask; /* buckets - 1 */
        uint32_t hash_rnd;
        uint32_t entries;
        uint64_t last_rand;  /* ns: reachable_time recomputed */
        uint64_t last_flush; /* ns: last forced collection */
        struct timer_list gc_timer;
        /* statistics, as /proc/net/stat/arp_cache */
        uint64_t allocs, destroys, lookups, hits, res_failed, forced_gc_runs, unres_discards;
};

/* Set up a table (defaults, sysctls net.ipv4.neigh.default.*).  prefix is
 * the sysctl prefix ("net.ipv4.neigh"). */
int neigh_table_init(struct net *net, struct neigh_table *tbl, const char *id, uint16_t family,
                     uint16_t ethertype, uint8_t key_len, const struct neigh_ops *ops,
                     const char *prefix);
/* Free every entry (queued packets dropped NEIGH_DEAD) and the hash. */
void neigh_table_clear(struct neigh_table *tbl);

/* Per-device parms (copied from the default, own sysctls); called on device
 * registration / unregistration.  The device's entries are flushed. */
int neigh_parms_alloc(struct neigh_table *tbl, struct net_device *dev, const char *prefix);
void neigh_ifdown(struct neigh_table *tbl, struct net_device *dev);
/* The device lost its carrier: forget all but permanent entries
 * (neigh_carrier_down). */
void neigh_carrier_down(struct neigh_table *tbl, struct net_device *dev);

struct neighbour *neigh_lookup(struct neigh_table *tbl, const void *key, struct net_device *dev);
/* Look up, creating an entry in NUD_NONE if missing; NULL when the table is
 * full (gc_thresh3) or memory runs out. */
struct neighbour *neigh_create(struct neigh_table *tbl, const void *key, struct net_device *dev);

/* Move n to new_state with link-layer address lladdr (NULL: keep), as
 * Linux's neigh_update: packets waiting for resolution go out when the entry
 * becomes valid.  Returns 0 or -EPERM (a static entry not overridden by an
 * admin update). */
int neigh_update(struct neighbour *n, const uint8_t *lladdr, uint8_t new_state, unsigned flags);

/* neigh_event_send(n, NULL): start resolving an entry that is neither
 * valid nor being resolved, with nothing queued (an ICMP redirect's new
 * gateway is resolved before it is used). */
void neigh_start_resolve(struct neighbour *n);

/* Upper-layer reachability confirmation (TCP saw an ACK). */
void neigh_confirm(struct neighbour *n);

/* Send skb (network header built, data at it) to n: directly when the
 * address is usable, else queue and resolve.  Consumes skb. */
void neigh_output(struct neighbour *n, struct sk_buff *skb);

/* Delete an entry (ip neigh del); its queued packets drop NEIGH_DEAD. */
void neigh_delete(struct neighbour *n);

/* Visit entries (ip neigh show). */
void neigh_for_each(struct neigh_table *tbl, void (*fn)(struct neighbour *n, void *ctx), void *ctx);

/* "REACHABLE", "STALE", ... */
const char *neigh_state_name(uint8_t nud_state);

#endif
