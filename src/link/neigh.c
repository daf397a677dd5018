/*
 * The neighbour state machine (see neigh.h for the states), following
 * Linux's net/core/neighbour.c: __neigh_event_send on output,
 * neigh_timer_handler for the timed transitions, neigh_update for news from
 * the wire or the administrator, and the periodic garbage collection.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/net.h"
#include "core/sysctl.h"
#include "core/trace.h"
#include "link/neigh.h"

#define MS (NSEC_PER_MSEC)

/* Wrap-safe comparisons (Linux's time_before_eq): entry times may lie
 * "before zero" on a simulated clock that starts at 0 (see neigh_create). */
static inline bool time_le(uint64_t a, uint64_t b)
{
        return (int64_t)(a - b) <= 0;
}

static uint64_t rand_reach_time(struct net *net, int base_ms)
{
        /* uniformly in [base/2, 3*base/2), as neigh_rand_reach_time() */
        if (base_ms <= 0)
                return 0;
        uint64_t base = (uint64_t)base_ms * MS;
        return base / 2 + (uint64_t)random_below(&net->rnd, (uint32_t)(base_ms)) * MS;
}

static void parms_defaults(struct neigh_parms *p)
{
        p->base_reachable_time = 30000;
        p->retrans_time = 1000;
        p->delay_probe_time = 5000;
        p->gc_staletime = 60000;
        p->ucast_probes = 3;
        p->app_probes = 0;
        p->mcast_probes = 3;
        p->mcast_reprobes = 0;
        p->queue_len_bytes = 212992;
        p->unres_qlen = 101;
        p->locktime = 1000;
}

/* A neighbour sysctl was written (Linux's neigh_proc_update): a device's own
 * value is marked as set; a default value is copied to every device that
 * has not set its own (neigh_copy_dflt_parms); a new base reachable time
 * re-randomises reachable_time at once. */
static void parms_changed(struct net *net, const struct sysctl_entry *e)
{
        struct neigh_parms *p = e->ctx;
        size_t off = (size_t)((char *)e->data - (char *)p);
        uint32_t bit = 1u << (off / sizeof(int));
        int value = *e->data;
        bool reach = off == offsetof(struct neigh_parms, base_reachable_time);
        if (p->dev) {
                p->data_state |= bit;
                if (reach)
                        p->reachable_time = rand_reach_time(net, p->base_reachable_time);
                return;
        }
        if (reach)
                p->reachable_time = rand_reach_time(net, p->base_reachable_time);
        for (struct net_device *d = net->dev_list; d; d = d->next) {
                struct neigh_parms *dp = d->arp_parms;
                if (!dp || (dp->data_state & bit))
                        continue;
                *(int *)((char *)dp + off) = value;
                if (reach)
                        dp->reachable_time = rand_reach_time(net, dp->base_reachable_time);
        }
}

/* Register the sysctls of one parms block under PREFIX.NAME. */
static int parms_sysctls(struct net *net, struct neigh_parms *p, const char *prefix,
                         const char *name, const void *owner)
{
        static const struct {
                const char *key;
                size_t off;
                int unit;
        } vars[] = {
#define V(k, f, u) { k, offsetof(struct neigh_parms, f), u }
                V("app_solicit", app_probes, SYSCTL_UNIT_1),
                V("base_reachable_time", base_reachable_time, SYSCTL_UNIT_SEC),
                V("base_reachable_time_ms", base_reachable_time, SYSCTL_UNIT_1),
                V("delay_first_probe_time", delay_probe_time, SYSCTL_UNIT_SEC),
                V("gc_stale_time", gc_staletime, SYSCTL_UNIT_SEC),
                V("locktime", locktime, SYSCTL_UNIT_USERHZ),
                V("mcast_resolicit", mcast_reprobes, SYSCTL_UNIT_1),
                V("mcast_solicit", mcast_probes, SYSCTL_UNIT_1),
                V("retrans_time", retrans_time, SYSCTL_UNIT_USERHZ),
                V("retrans_time_ms", retrans_time, SYSCTL_UNIT_1),
                V("ucast_solicit", ucast_probes, SYSCTL_UNIT_1),
                V("unres_qlen", unres_qlen, SYSCTL_UNIT_1),
                V("unres_qlen_bytes", queue_len_bytes, SYSCTL_UNIT_1),
#undef V
        };
        char key[128];
        for (size_t i = 0; i < ARRAY_SIZE(vars); i++) {
                snprintf(key, sizeof(key), "%s.%s.%s", prefix, name, vars[i].key);
                int maxv = vars[i].unit == SYSCTL_UNIT_SEC ? 2000000 : 1 << 30;
                int err = sysctl_register(net, key, (int *)((char *)p + vars[i].off), 1, 0, maxv,
                                          vars[i].unit, owner);
                if (!err)
                        err = sysctl_set_hook(net, key, parms_changed, p);
                if (err)
                        return err;
        }
        return 0;
}

static void neigh_periodic(struct timer_list *t);

int neigh_table_init(struct net *net, struct neigh_table *tbl, const char *id, uint16_t family,
                     uint16_t ethertype, uint8_t key_len, const struct neigh_ops *ops,
                     const char *prefix)
{
        memset(tbl, 0, sizeof(*tbl));
        tbl->net = net;
        tbl->id = id;
        tbl->family = family;
        tbl->ethertype = ethertype;
        tbl->key_len = key_len;
        tbl->ops = ops;
        parms_defaults(&tbl->parms);
        tbl->parms.reachable_time = rand_reach_time(net, tbl->parms.base_reachable_time);
        /* first re-randomisation 20 reachable times from now, then every
         * 300 s (neigh_table_init / neigh_periodic_work) */
        tbl->last_rand = net_now(net) + 20 * tbl->parms.reachable_time;
        tbl->gc_interval = 30000;
        tbl->gc_thresh1 = 128;
        tbl->gc_thresh2 = 512;
        tbl->gc_thresh3 = 1024;
        tbl->hash_rnd = random_u32(&net->rnd) | 1;
        tbl->hash_mask = 7;
        tbl->hash = calloc(tbl->hash_mask + 1, sizeof(*tbl->hash));
        if (!tbl->hash)
                return -ENOMEM;
        timer_setup(&tbl->gc_timer, neigh_periodic);
        int err = parms_sysctls(net, &tbl->parms, prefix, "default", NULL);
        char key[128];
        static const struct {
                const char *name;
                size_t off;
                int unit;
        } tv[] = {
                { "gc_interval", offsetof(struct neigh_table, gc_interval), SYSCTL_UNIT_SEC },
                { "gc_thresh1", offsetof(struct neigh_table, gc_thresh1), SYSCTL_UNIT_1 },
                { "gc_thresh2", offsetof(struct neigh_table, gc_thresh2), SYSCTL_UNIT_1 },
                { "gc_thresh3", offsetof(struct neigh_table, gc_thresh3), SYSCTL_UNIT_1 },
        };
        for (size_t i = 0; !err && i < ARRAY_SIZE(tv); i++) {
                snprintf(key, sizeof(key), "%s.default.%s", prefix, tv[i].name);
                err = sysctl_register(net, key, (int *)((char *)tbl + tv[i].off), 1, 0,
                                      tv[i].unit == SYSCTL_UNIT_SEC ? 2000000 : 1 << 30, tv[i].unit,
                                      NULL);
        }
        return err;
}

static uint32_t neigh_hash(const struct neigh_table *tbl, const void *key,
                           const struct net_device *dev)
{
        /* FNV-1a over the key, keyed with a per-table random value so that a
         * remote sender cannot aim many addresses at one chain. */
        const uint8_t *k = key;
        uint32_t h = 2166136261u ^ tbl->hash_rnd;
        for (unsigned i = 0; i < tbl->key_len; i++)
                h = (h ^ k[i]) * 16777619u;
        h ^= (uint32_t)dev->ifindex * 0x9e3779b1u;
        return h ^ (h >> 16);
}

struct neighbour *neigh_lookup(struct neigh_table *tbl, const void *key, struct net_device *dev)
{
        tbl->lookups++;
        uint32_t b = neigh_hash(tbl, key, dev) & tbl->hash_mask;
        for (struct neighbour *n = tbl->hash[b]; n; n = n->next)
                if (n->dev == dev && memcmp(n->key, key, tbl->key_len) == 0) {
                        tbl->hits++;
                        return n;
                }
        return NULL;
}

static void neigh_grow(struct neigh_table *tbl)
{
        uint32_t nsize = (tbl->hash_mask + 1) * 2;
        struct neighbour **nh = calloc(nsize, sizeof(*nh));
        if (!nh)
                return; /* keep the old, longer chains */
        for (uint32_t i = 0; i <= tbl->hash_mask; i++) {
                struct neighbour *n = tbl->hash[i], *next;
                for (; n; n = next) {
                        next = n->next;
                        uint32_t b = neigh_hash(tbl, n->key, n->dev) & (nsize - 1);
                        n->next = nh[b];
                        nh[b] = n;
                }
        }
        free(tbl->hash);
        tbl->hash = nh;
        tbl->hash_mask = nsize - 1;
}

static void neigh_unlink(struct neighbour *n)
{
        struct neigh_table *tbl = n->tbl;
        uint32_t b = neigh_hash(tbl, n->key, n->dev) & tbl->hash_mask;
        for (struct neighbour **pp = &tbl->hash[b]; *pp; pp = &(*pp)->next)
                if (*pp == n) {
                        *pp = n->next;
                        break;
                }
        tbl->entries--;
}

static void neigh_destroy(struct neighbour *n, enum skb_drop_reason why)
{
        struct net *net = n->tbl->net;
        del_timer(&net->timers, &n->timer);
        skb_queue_purge_reason(net, &n->arp_queue, why);
        n->tbl->destroys++;
        free(n);
}

/* Forced collection when the table is at gc_thresh2/3 (neigh_forced_gc):
 * drop unused entries that are not permanent, oldest state first. */
static int neigh_forced_gc(struct neigh_table *tbl)
{
        int freed = 0;
        uint64_t now = net_now(tbl->net);
        tbl->forced_gc_runs++;
        tbl->last_flush = now;
        for (uint32_t i = 0; i <= tbl->hash_mask; i++) {
                struct neighbour **pp = &tbl->hash[i];
                while (*pp) {
                        struct neighbour *n = *pp;
                        if (!(n->nud_state & (NUD_PERMANENT | NUD_NOARP | NUD_IN_TIMER)) &&
                            now - n->updated > 5 * NSEC_PER_SEC) {
                                *pp = n->next;
                                tbl->entries--;
                                neigh_destroy(n, SKB_DROP_REASON_NEIGH_DEAD);
                                freed++;
                        } else {
                                pp = &n->next;
                        }
                }
        }
        return freed;
}

static void neigh_timer_handler(struct timer_list *t);

static struct neigh_parms *dev_parms(struct neigh_table *tbl, struct net_device *dev)
{
        struct neigh_parms *p = dev->arp_parms;
        return p ? p : &tbl->parms;
}

struct neighbour *neigh_create(struct neigh_table *tbl, const void *key, struct net_device *dev)
{
        struct neighbour *n = neigh_lookup(tbl, key, dev);
        if (n)
                return n;
        if (tbl->entries >= (uint32_t)tbl->gc_thresh3 ||
            (tbl->entries >= (uint32_t)tbl->gc_thresh2 &&
             !time_le(net_now(tbl->net), tbl->last_flush + 5 * NSEC_PER_SEC))) {
                if (!neigh_forced_gc(tbl) && tbl->entries >= (uint32_t)tbl->gc_thresh3)
                        return NULL;
        }
        n = calloc(1, sizeof(*n));
        if (!n)
                return NULL;
        n->tbl = tbl;
        n->dev = dev;
        n->parms = dev_parms(tbl, dev);
        memcpy(n->key, key, tbl->key_len);
        n->nud_state = NUD_NONE;
        n->updated = n->used = net_now(tbl->net);
        /* never confirmed: as Linux, twice the base reachable time ago */
        n->confirmed = n->updated - 2 * (uint64_t)n->parms->base_reachable_time * MS;
        timer_setup(&n->timer, neigh_timer_handler);
        skb_queue_init(&n->arp_queue);
        if (tbl->entries + 1 > tbl->hash_mask + 1)
                neigh_grow(tbl);
        uint32_t b = neigh_hash(tbl, key, dev) & tbl->hash_mask;
        n->next = tbl->hash[b];
        tbl->hash[b] = n;
        tbl->entries++;
        tbl->allocs++;
        if (!timer_pending(&tbl->gc_timer))
                mod_timer(&tbl->net->timers, &tbl->gc_timer,
                          net_now(tbl->net) + (uint64_t)tbl->parms.base_reachable_time * MS / 2);
        return n;
}

static void neigh_arm(struct neighbour *n, uint64_t when)
{
        mod_timer(&n->tbl->net->timers, &n->timer, when);
}

static int neigh_max_probes(const struct neighbour *n)
{
        const struct neigh_parms *p = n->parms;
        return p->ucast_probes + p->app_probes +
               ((n->nud_state & NUD_PROBE) ? p->mcast_reprobes : p->mcast_probes);
}

static uint64_t retrans(const struct neighbour *n)
{
        /* never faster than 10 ms (HZ/100), as Linux */
        int ms = n->parms->retrans_time;
        return (uint64_t)(ms < 10 ? 10 : ms) * MS;
}

/* Solicit, then count: solicit() reads probes to choose unicast (while
 * probes < ucast_probes) or broadcast, as Linux's neigh_probe(). */
static void neigh_probe(struct neighbour *n)
{
        struct sk_buff *skb = n->arp_queue.last;
        n->tbl->ops->solicit(n, skb);
        n->probes++;
}

/* Send what waited: the address is now known. */
static void neigh_flush_queue(struct neighbour *n)
{
        struct sk_buff_head q = n->arp_queue;
        skb_queue_init(&n->arp_queue);
        n->arp_queue_len_bytes = 0;
        struct sk_buff *skb;
        while ((skb = skb_dequeue(&q))) {
                struct net_device *dev = n->dev;
                skb->dev = dev;
                TRACE(dev->net, skb, NEIGH, "%s resolved: sending queued packet",
                      neigh_state_name(n->nud_state));
                if (dev->header_ops->create(skb, dev, n->tbl->ethertype, n->ha) < 0) {
                        kfree_skb_reason(dev->net, skb, SKB_DROP_REASON_DEV_HDR);
                        continue;
                }
                dev_queue_xmit(skb);
        }
}

/* The entry failed: every waiting packet is reported and dropped. */
static void neigh_invalidate(struct neighbour *n)
{
        struct sk_buff *skb;
        n->tbl->res_failed++;
        while ((skb = skb_dequeue(&n->arp_queue)))
                n->tbl->ops->error_report(n, skb);
        n->arp_queue_len_bytes = 0;
}

static void neigh_timer_handler(struct timer_list *t)
{
        struct neighbour *n = container_of(t, struct neighbour, timer);
        struct net *net = n->tbl->net;
        uint64_t now = net_now(net);
        uint64_t next = now + NSEC_PER_SEC;
        uint8_t state = n->nud_state;
        uint64_t delay = (uint64_t)n->parms->delay_probe_time * MS;

        if (!(state & NUD_IN_TIMER))
                return;
        if (state & NUD_REACHABLE) {
                if (time_le(now, n->confirmed + n->parms->reachable_time)) {
                        next = n->confirmed + n->parms->reachable_time;
                } else if (time_le(now, n->used + delay)) {
                        n->nud_state = NUD_DELAY;
                        n->updated = now;
                        next = now + delay;
                } else {
                        n->nud_state = NUD_STALE;
                        n->updated = now;
                        return; /* STALE is not timed */
                }
        } else if (state & NUD_DELAY) {
                if (time_le(now, n->confirmed + delay)) {
                        n->nud_state = NUD_REACHABLE;
                        n->updated = now;
                        next = n->confirmed + n->parms->reachable_time;
                } else {
                        n->nud_state = NUD_PROBE;
                        n->updated = now;
                        n->probes = 0;
                        next = now + retrans(n);
                }
        } else {
                /* INCOMPLETE or PROBE */
                next = now + retrans(n);
        }

        if ((n->nud_state & (NUD_INCOMPLETE | NUD_PROBE)) && n->probes >= neigh_max_probes(n)) {
                n->nud_state = NUD_FAILED;
                n->updated = now;
                neigh_invalidate(n);
                return;
        }
        if (n->nud_state & NUD_IN_TIMER) {
                /* never sooner than 10 ms ahead (HZ/100), as Linux: a
                 * deadline already reached must not fire again at once */
                if (time_le(next, now + 10 * MS))
                        next = now + 10 * MS;
                neigh_arm(n, next);
        }
        if (n->nud_state & (NUD_INCOMPLETE | NUD_PROBE))
                neigh_probe(n);
}

/*
 * Linux's neigh_update(), less the router flag: a new valid state with an
 * address.  Without OVERRIDE a different address for a valid entry changes
 * nothing; news that merely repeat the known address with "STALE" (a
 * peer's ARP request) keep the current state; packets that waited go out
 * when the entry becomes valid.
 */
int neigh_update(struct neighbour *n, const uint8_t *lladdr, uint8_t new_state, unsigned flags)
{
        struct net *net = n->tbl->net;
        uint8_t old = n->nud_state;
        uint64_t now = net_now(net);
        unsigned alen = n->dev->addr_len;

        if (!(flags & NEIGH_UPDATE_F_ADMIN) && (old & (NUD_NOARP | NUD_PERMANENT)))
                return -EPERM;

        if (!(new_state & NUD_VALID)) {
                del_timer(&net->timers, &n->timer);
                n->nud_state = new_state;
                if (old != new_state)
                        n->updated = now;
                if (old != new_state)
                        net_rtnl_notify(net, NET_RTNL_NEWNEIGH, n);
                if ((old & (NUD_INCOMPLETE | NUD_PROBE)) && new_state == NUD_FAILED)
                        neigh_invalidate(n);
                return 0;
        }

        if (lladdr) {
                if ((old & NUD_VALID) && memcmp(lladdr, n->ha, alen) == 0)
                        lladdr = n->ha;
        } else {
                if (!(old & NUD_VALID))
                        return -EINVAL; /* nothing to keep */
                lladdr = n->ha;
        }

        /* an ARP packet confirms even when nothing else changes */
        if (new_state & NUD_CONNECTED)
                n->confirmed = now;

        if (old & NUD_VALID) {
                if (lladdr != n->ha && !(flags & NEIGH_UPDATE_F_OVERRIDE))
                        return 0;
                if (lladdr == n->ha && new_state == NUD_STALE && !(flags & NEIGH_UPDATE_F_ADMIN))
                        new_state = old;
        }

        if (new_state != old || lladdr != n->ha)
                n->updated = now;
        if (new_state != old) {
                del_timer(&net->timers, &n->timer);
                if (new_state & NUD_PROBE)
                        n->probes = 0;
                if (new_state & NUD_IN_TIMER)
                        neigh_arm(
                            n, now + ((new_state & NUD_REACHABLE) ? n->parms->reachable_time : 0));
                n->nud_state = new_state;
        }
        if (lladdr != n->ha) {
                memcpy(n->ha, lladdr, alen);
                if (!(new_state & NUD_CONNECTED))
                        n->confirmed = now - 2 * (uint64_t)n->parms->base_reachable_time * MS;
        }
        if (n->updated == now)
                net_rtnl_notify(net, NET_RTNL_NEWNEIGH, n);
        if (new_state != old && !(old & NUD_VALID)) {
                n->probes = 0;
                neigh_flush_queue(n);
        }
        return 0;
}

void neigh_confirm(struct neighbour *n)
{
        n->confirmed = net_now(n->tbl->net);
}

/* __neigh_event_send: returns true when skb may go out now with n->ha;
 * otherwise skb was queued (or dropped) here. */
static bool neigh_event_send(struct neighbour *n, struct sk_buff *skb)
{
        struct net *net = n->tbl->net;
        uint64_t now = net_now(net);
        n->used = now;
        if (n->nud_state & (NUD_CONNECTED | NUD_DELAY | NUD_PROBE))
                return true;

        if (!(n->nud_state & (NUD_STALE | NUD_INCOMPLETE))) {
                /* NONE or FAILED: start resolving */
                if (n->parms->mcast_probes + n->parms->app_probes) {
                        n->probes = n->parms->ucast_probes;
                        n->nud_state = NUD_INCOMPLETE;
                        n->updated = now;
                        neigh_arm(n, now + retrans(n));
                        TRACE(net, skb, NEIGH, "%s: no entry, resolving (INCOMPLETE)",
                              n->dev->name);
                } else {
                        n->nud_state = NUD_FAILED;
                        n->updated = now;
                        kfree_skb_reason(net, skb, SKB_DROP_REASON_NEIGH_FAILED);
                        return false;
                }
        } else if (n->nud_state & NUD_STALE) {
                n->nud_state = NUD_DELAY;
                n->updated = now;
                neigh_arm(n, now + (uint64_t)n->parms->delay_probe_time * MS);
                TRACE(net, skb, NEIGH, "STALE entry used: DELAY");
                return true;
        }

        /* INCOMPLETE: queue, dropping the oldest over the limits */
        uint32_t truesize = skb->end + (uint32_t)sizeof(struct sk_buff);
        while (n->arp_queue.first &&
               (n->arp_queue_len_bytes + truesize > (uint32_t)n->parms->queue_len_bytes ||
                n->arp_queue.qlen + 1 > (uint32_t)n->parms->unres_qlen)) {
                struct sk_buff *old = skb_dequeue(&n->arp_queue);
                n->arp_queue_len_bytes -= old->end + (uint32_t)sizeof(struct sk_buff);
                n->tbl->unres_discards++;
                kfree_skb_reason(net, old, SKB_DROP_REASON_NEIGH_QUEUEFULL);
        }
        skb_queue_tail(&n->arp_queue, skb);
        n->arp_queue_len_bytes += truesize;
        TRACE(net, skb, NEIGH, "queued waiting for resolution (%u queued)", n->arp_queue.qlen);
        if (n->nud_state == NUD_INCOMPLETE && n->probes == n->parms->ucast_probes)
                neigh_probe(n); /* first solicitation goes out at once */
        return false;
}

void neigh_start_resolve(struct neighbour *n)
{
        if (n->nud_state & (NUD_VALID | NUD_INCOMPLETE))
                return;
        if (!(n->parms->mcast_probes + n->parms->app_probes))
                return;
        uint64_t now = net_now(n->tbl->net);
        n->used = now;
        n->probes = n->parms->ucast_probes;
        n->nud_state = NUD_INCOMPLETE;
        n->updated = now;
        neigh_arm(n, now + retrans(n));
        neigh_probe(n); /* the first solicitation at once */
}

void neigh_output(struct neighbour *n, struct sk_buff *skb)
{
        struct net_device *dev = n->dev;
        skb->dev = dev;
        /* A connected entry sends straight away without marking the entry
         * used (Linux's neigh_connected_output); only the resolving path
         * does (neigh_resolve_output), which is what lets REACHABLE age to
         * STALE under traffic and be re-checked through DELAY. */
        if (!(n->nud_state & NUD_CONNECTED) && !neigh_event_send(n, skb))
                return;
        TRACE(dev->net, skb, NEIGH, "%s %s", neigh_state_name(n->nud_state), dev->name);
        if (dev->header_ops->create(skb, dev, n->tbl->ethertype, n->ha) < 0) {
                kfree_skb_reason(dev->net, skb, SKB_DROP_REASON_DEV_HDR);
                return;
        }
        dev_queue_xmit(skb);
}

void neigh_delete(struct neighbour *n)
{
        net_rtnl_notify(n->tbl->net, NET_RTNL_DELNEIGH, n);
        neigh_unlink(n);
        neigh_destroy(n, SKB_DROP_REASON_NEIGH_DEAD);
}

/* Periodic work: refresh the random reachable time and collect stale or
 * failed entries once the table is past gc_thresh1. */
static void neigh_periodic(struct timer_list *t)
{
        struct neigh_table *tbl = container_of(t, struct neigh_table, gc_timer);
        struct net *net = tbl->net;
        uint64_t now = net_now(net);

        if (!time_le(now, tbl->last_rand + 300 * NSEC_PER_SEC)) {
                tbl->last_rand = now;
                tbl->parms.reachable_time = rand_reach_time(net, tbl->parms.base_reachable_time);
                for (struct net_device *d = net->dev_list; d; d = d->next) {
                        struct neigh_parms *p = d->arp_parms;
                        if (p)
                                p->reachable_time = rand_reach_time(net, p->base_reachable_time);
                }
        }
        if (tbl->entries >= (uint32_t)tbl->gc_thresh1) {
                for (uint32_t i = 0; i <= tbl->hash_mask; i++) {
                        struct neighbour **pp = &tbl->hash[i];
                        while (*pp) {
                                struct neighbour *n = *pp;
                                if (!(n->nud_state & (NUD_PERMANENT | NUD_NOARP | NUD_IN_TIMER)) &&
                                    (n->nud_state == NUD_FAILED ||
                                     now > n->used + (uint64_t)n->parms->gc_staletime * MS)) {
                                        *pp = n->next;
                                        tbl->entries--;
                                        neigh_destroy(n, SKB_DROP_REASON_NEIGH_DEAD);
                                } else {
                                        pp = &n->next;
                                }
                        }
                }
        }
        if (tbl->entries)
                mod_timer(&net->timers, &tbl->gc_timer,
                          now + (uint64_t)tbl->parms.base_reachable_time * MS / 2);
}

int neigh_parms_alloc(struct neigh_table *tbl, struct net_device *dev, const char *prefix)
{
        struct neigh_parms *p = malloc(sizeof(*p));
        if (!p)
                return -ENOMEM;
        *p = tbl->parms;
        p->dev = dev;
        p->reachable_time = rand_reach_time(tbl->net, p->base_reachable_time);
        int err = parms_sysctls(tbl->net, p, prefix, dev->name, p);
        if (err) {
                sysctl_unregister_owner(tbl->net, p);
                free(p);
                return err;
        }
        dev->arp_parms = p;
        return 0;
}

void neigh_ifdown(struct neigh_table *tbl, struct net_device *dev)
{
        for (uint32_t i = 0; i <= tbl->hash_mask; i++) {
                struct neighbour **pp = &tbl->hash[i];
                while (*pp) {
                        struct neighbour *n = *pp;
                        if (n->dev == dev) {
                                *pp = n->next;
                                tbl->entries--;
                                neigh_destroy(n, SKB_DROP_REASON_NEIGH_DEAD);
                        } else {
                                pp = &n->next;
                        }
                }
        }
}

void neigh_carrier_down(struct neigh_table *tbl, struct net_device *dev)
{
        for (uint32_t i = 0; i <= tbl->hash_mask; i++) {
                struct neighbour **pp = &tbl->hash[i];
                while (*pp) {
                        struct neighbour *n = *pp;
                        if (n->dev == dev && !(n->nud_state & NUD_PERMANENT)) {
                                *pp = n->next;
                                tbl->entries--;
                                neigh_destroy(n, SKB_DROP_REASON_NEIGH_DEAD);
                        } else {
                                pp = &n->next;
                        }
                }
        }
}

void neigh_table_clear(struct neigh_table *tbl)
{
        if (!tbl->hash)
                return;
        for (uint32_t i = 0; i <= tbl->hash_mask; i++) {
                struct neighbour *n = tbl->hash[i], *next;
                for (; n; n = next) {
                        next = n->next;
                        neigh_destroy(n, SKB_DROP_REASON_NEIGH_DEAD);
                }
        }
        tbl->entries = 0;
        del_timer(&tbl->net->timers, &tbl->gc_timer);
        free(tbl->hash);
        tbl->hash = NULL;
}

void neigh_for_each(struct neigh_table *tbl, void (*fn)(struct neighbour *n, void *ctx), void *ctx)
{
        for (uint32_t i = 0; i <= tbl->hash_mask; i++)
                for (struct neighbour *n = tbl->hash[i]; n; n = n->next)
                        fn(n, ctx);
}

const char *neigh_state_name(uint8_t s)
{
        switch (s) {
        case NUD_NONE:
                return "NONE";
        case NUD_INCOMPLETE:
                return "INCOMPLETE";
        case NUD_REACHABLE:
                return "REACHABLE";
        case NUD_STALE:
                return "STALE";
        case NUD_DELAY:
                return "DELAY";
        case NUD_PROBE:
                return "PROBE";
        case NUD_FAILED:
                return "FAILED";
        case NUD_NOARP:
                return "NOARP";
        case NUD_PERMANENT:
                return "PERMANENT";
        default:
                return "?";
        }
}
