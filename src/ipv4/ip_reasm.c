/*
 * Reassembly of IPv4 fragments for local delivery (Linux's ip_fragment.c:
 * ip_defrag, ip_frag_queue, ip_frag_reasm, ip_expire).
 *
 * A queue (struct ipq) collects the fragments of one datagram, keyed by
 * source, destination, IP id and protocol.  Its fragments sit in a list
 * sorted by offset with their data pulled to the payload; the offset is read
 * back from each one's own IP header, still in its buffer.  When the first
 * and the last fragment are in and the bytes received ("meat") equal the
 * datagram's length, the payloads are copied behind the first fragment's
 * header into one large skb (the skb is one contiguous buffer), which goes
 * on up as if it had arrived whole.
 *
 * Linux's rules, each with its counter and drop reason:
 *  - a fragment contained in bytes already queued is a duplicate: dropped
 *    alone (DUP_FRAG), the queue lives on;
 *  - any other overlap discards the whole datagram (RFC 5722; Linux applies
 *    it to IPv4 too): IpExt ReasmOverlaps, Ip ReasmFails;
 *  - a fragment that contradicts the length known so far (beyond the last
 *    fragment's end, a second different end, empty), a datagram over 65535
 *    bytes, or ECN codepoints that cannot be merged discard the datagram;
 *  - ipfrag_time (30 s) after its first fragment, an incomplete datagram is
 *    dropped (FRAG_REASM_TIMEOUT, ReasmTimeout) and, if its first fragment
 *    came, the source gets ICMP time exceeded, "fragment reassembly time
 *    exceeded" (code 1), quoting that fragment;
 *  - ipfrag_max_dist (64): when more than that many fragments from the same
 *    source arrived between two fragments of a datagram, its queue is
 *    presumed stale (the IP id wrapped) and restarted (FRAG_TOO_FAR);
 *  - memory: queued fragments are charged by truesize.  A fragment that
 *    would take the total past ipfrag_high_thresh first evicts the oldest
 *    incomplete datagrams until the total is below ipfrag_low_thresh
 *    (IP_FRAG_EVICTED, ReasmFails each), so a flood of fragments that never
 *    complete costs at most ipfrag_high_thresh and newer datagrams still
 *    get through.  This is the evictor Linux had until 4.17; since then
 *    Linux drops the new fragment instead and ipfrag_low_thresh is unused.
 *
 * The duplicate test counts a fragment as duplicate when a contiguous block
 * of queued fragments covers it; Linux tests against "runs" of fragments
 * that arrived in order, so a fragment spanning two runs that touch is an
 * overlap there and a duplicate here.  Both drop it; Linux also discards
 * the queue.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/trace.h"
#include "ipv4/ip_input.h"
#include "ipv4/ipv4.h"
#include "wire/bytes.h"
#include "wire/checksum.h"
#include "wire/icmp.h"
#include "wire/ipv4.h"

#define IPQ_HASH_SIZE  1024 /* buckets; queues are bounded by memory, not count */
#define PEER_HASH_SIZE 256

#define INET_FRAG_FIRST_IN 0x01
#define INET_FRAG_LAST_IN  0x02

/* ECN of each fragment, as a bit (Linux's IPFRAG_ECN_*), merged per queue */
#define IPFRAG_ECN_NOT_ECT 0x01
#define IPFRAG_ECN_ECT_1   0x02
#define IPFRAG_ECN_ECT_0   0x04
#define IPFRAG_ECN_CE      0x08

/* Fragments seen from one source (Linux's inet_peer rid), while that source
 * has a queue open. */
struct frag_peer {
        struct frag_peer *next;
        uint32_t saddr;
        uint32_t rid;
        unsigned refs; /* queues pointing here */
};

struct ipq {
        struct ipq *hnext;               /* hash chain */
        struct ipq *lru_prev, *lru_next; /* oldest first, for eviction */
        struct net *net;
        uint32_t saddr, daddr;
        uint16_t id;
        uint8_t protocol;
        uint8_t flags; /* INET_FRAG_* */
        uint8_t ecn;   /* IPFRAG_ECN_* seen */
        uint32_t len;  /* datagram payload length as known so far */
        uint32_t meat; /* payload bytes queued */
        uint32_t mem;  /* truesize charged */
        uint32_t max_size, max_df_size;
        int iif;      /* device of the last fragment (ifindex) */
        uint32_t rid; /* peer->rid when the last fragment came */
        struct frag_peer *peer;
        struct sk_buff_head frags; /* sorted by offset, no overlap */
        struct timer_list timer;
};

struct ipfrag_state {
        struct ipq *hash[IPQ_HASH_SIZE];
        struct ipq *lru_first, *lru_last;
        struct frag_peer *peers[PEER_HASH_SIZE];
        unsigned long mem; /* truesize of every queued fragment */
        unsigned queues;
};

static inline uint32_t frag_truesize(const struct sk_buff *skb)
{
        return skb->end + (uint32_t)sizeof(struct sk_buff);
}

/* Offset in bytes of a queued fragment, read from its own header. */
static inline uint32_t frag_offset(const struct sk_buff *skb)
{
        return (get_be16(skb_network_header(skb) + 6) & IP_OFFMASK) * 8u;
}

static uint32_t ipq_hash(uint32_t saddr, uint32_t daddr, uint16_t id, uint8_t proto)
{
        uint32_t h = saddr * 0x9e3779b1u ^ daddr * 0x85ebca6bu ^ ((uint32_t)id << 8 | proto);
        h ^= h >> 15;
        h *= 0x2c1b3c6du;
        h ^= h >> 12;
        return h & (IPQ_HASH_SIZE - 1);
}

static struct frag_peer *peer_get(struct ipfrag_state *st, uint32_t saddr)
{
        struct frag_peer **pp = &st->peers[(saddr * 2654435761u) >> 24];
        for (struct frag_peer *p = *pp; p; p = p->next)
                if (p->saddr == saddr) {
                        p->refs++;
                        return p;
                }
        struct frag_peer *p = calloc(1, sizeof(*p));
        if (!p)
                return NULL;
        p->saddr = saddr;
        p->refs = 1;
        p->next = *pp;
        *pp = p;
        return p;
}

static void peer_put(struct ipfrag_state *st, struct frag_peer *peer)
{
        if (!peer || --peer->refs)
                return;
        for (struct frag_peer **pp = &st->peers[(peer->saddr * 2654435761u) >> 24]; *pp;
             pp = &(*pp)->next)
                if (*pp == peer) {
                        *pp = peer->next;
                        free(peer);
                        return;
                }
}

/* Drop every queued fragment with reason, uncharging them.  They wait with
 * no device (it may go away meanwhile); the drop is counted on the device
 * of the last fragment if it still exists. */
static void ipq_purge(struct net *net, struct ipfrag_state *st, struct ipq *q,
                      enum skb_drop_reason reason)
{
        struct net_device *dev = q->iif ? dev_get_by_index(net, q->iif) : NULL;
        struct sk_buff *skb;
        while ((skb = skb_dequeue(&q->frags))) {
                st->mem -= frag_truesize(skb);
                q->mem -= frag_truesize(skb);
                skb->dev = dev;
                if (reason == SKB_DROP_REASON_NOT_DROPPED_YET)
                        consume_skb(skb);
                else
                        kfree_skb_reason(net, skb, reason);
        }
}

/* inet_frag_kill + destroy: unhash, stop the timer, free the fragments
 * (consumed when reason is NOT_DROPPED_YET: they became the datagram). */
static void ipq_kill(struct net *net, struct ipfrag_state *st, struct ipq *q,
                     enum skb_drop_reason reason)
{
        struct ipq **pp = &st->hash[ipq_hash(q->saddr, q->daddr, q->id, q->protocol)];
        while (*pp != q)
                pp = &(*pp)->hnext;
        *pp = q->hnext;
        if (q->lru_prev)
                q->lru_prev->lru_next = q->lru_next;
        else
                st->lru_first = q->lru_next;
        if (q->lru_next)
                q->lru_next->lru_prev = q->lru_prev;
        else
                st->lru_last = q->lru_prev;
        del_timer(&net->timers, &q->timer);
        ipq_purge(net, st, q, reason);
        peer_put(st, q->peer);
        st->queues--;
        free(q);
}

/* ip_expire: the datagram did not complete within ipfrag_time. */
static void ip_expire(struct timer_list *t)
{
        struct ipq *q = container_of(t, struct ipq, timer);
        struct net *net = q->net;
        struct ipfrag_state *st = ipv4_of(net)->frags;
        IP_INC(net, ReasmFails);
        IP_INC(net, ReasmTimeout);
        struct sk_buff *head = q->frags.first;
        if ((q->flags & INET_FRAG_FIRST_IN) && head && frag_offset(head) == 0) {
                struct net_device *dev = q->iif ? dev_get_by_index(net, q->iif) : NULL;
                if (dev) {
                        /* an end host tells the source (RFC 792), quoting
                         * the first fragment */
                        head->dev = dev;
                        TRACE(net, head, IP_LOCAL,
                              "reassembly of id %u timed out: ICMP time exceeded", q->id);
                        icmp_send(net, head, ICMP_TIME_EXCEEDED, ICMP_EXC_FRAGTIME, 0);
                }
        }
        ipq_kill(net, st, q, SKB_DROP_REASON_FRAG_REASM_TIMEOUT);
}

static struct ipq *ipq_find(struct net *net, struct ipfrag_state *st, const struct ip_cb *cb)
{
        struct ipv4_net *in = ipv4_of(net);
        const struct ipv4_repr *h = &cb->iph;
        uint32_t b = ipq_hash(h->saddr, h->daddr, h->id, h->protocol);
        for (struct ipq *q = st->hash[b]; q; q = q->hnext)
                if (q->saddr == h->saddr && q->daddr == h->daddr && q->id == h->id &&
                    q->protocol == h->protocol)
                        return q;
        struct ipq *q = calloc(1, sizeof(*q));
        if (!q)
                return NULL;
        if (in->ipfrag_max_dist) {
                q->peer = peer_get(st, h->saddr);
                if (!q->peer) {
                        free(q);
                        return NULL;
                }
        }
        q->net = net;
        q->saddr = h->saddr;
        q->daddr = h->daddr;
        q->id = h->id;
        q->protocol = h->protocol;
        skb_queue_init(&q->frags);
        q->hnext = st->hash[b];
        st->hash[b] = q;
        q->lru_prev = st->lru_last;
        if (st->lru_last)
                st->lru_last->lru_next = q;
        else
                st->lru_first = q;
        st->lru_last = q;
        st->queues++;
        timer_setup(&q->timer, ip_expire);
        mod_timer(&net->timers, &q->timer,
                  net_now(net) + (uint64_t)in->ipfrag_time * NSEC_PER_MSEC);
        return q;
}

/* Drop the oldest incomplete datagrams until the memory is under low. */
static void ipfrag_evict(struct net *net, struct ipfrag_state *st, unsigned long low)
{
        while (st->mem > low && st->lru_first) {
                IP_INC(net, ReasmFails);
                ipq_kill(net, st, st->lru_first, SKB_DROP_REASON_IP_FRAG_EVICTED);
        }
}

/* ip_frag_too_far: more than ipfrag_max_dist fragments from this source
 * since this queue's last one. */
static bool ip_frag_too_far(struct net *net, struct ipq *q)
{
        unsigned max = (unsigned)ipv4_of(net)->ipfrag_max_dist;
        if (!q->peer || !max)
                return false;
        uint32_t start = q->rid, end = ++q->peer->rid;
        q->rid = end;
        bool far = q->frags.first && end - start > max;
        if (far)
                IP_INC(net, ReasmFails);
        return far;
}

/* ip_frag_reinit: start the queue over (its fragments dropped), timer
 * re-armed. */
static void ip_frag_reinit(struct net *net, struct ipfrag_state *st, struct ipq *q)
{
        ipq_purge(net, st, q, SKB_DROP_REASON_FRAG_TOO_FAR);
        mod_timer(&net->timers, &q->timer,
                  net_now(net) + (uint64_t)ipv4_of(net)->ipfrag_time * NSEC_PER_MSEC);
        q->flags = 0;
        q->len = q->meat = 0;
        q->iif = 0;
        q->ecn = 0;
}

/*
 * Place skb (payload [offset, end)) in the sorted list.  0: inserted;
 * -EEXIST: covered by queued bytes (duplicate); -EINVAL: partial overlap.
 */
static int ipq_insert(struct ipq *q, struct sk_buff *skb, uint32_t offset, uint32_t end)
{
        struct sk_buff *last = q->frags.last;
        if (!last || frag_offset(last) + last->len <= offset) {
                skb_queue_tail(&q->frags, skb); /* the common case: in order */
                return 0;
        }
        struct sk_buff *at = NULL; /* first queued fragment starting at or after end */
        uint32_t block_start = 0, block_end = 0;
        bool in_block = false;
        for (struct sk_buff *f = q->frags.first; f; f = f->next) {
                uint32_t fo = frag_offset(f), fe = fo + f->len;
                if (!in_block || fo != block_end) {
                        block_start = fo; /* a contiguous block starts here */
                        in_block = true;
                }
                block_end = fe;
                if (fe <= offset)
                        continue;
                if (end <= fo) {
                        at = f;
                        break;
                }
                /* intersects f: a duplicate if f's contiguous block covers it */
                for (struct sk_buff *g = f->next; g && frag_offset(g) == block_end; g = g->next)
                        block_end = frag_offset(g) + g->len;
                return offset >= block_start && end <= block_end ? -EEXIST : -EINVAL;
        }
        if (!at) {
                skb_queue_tail(&q->frags, skb);
                return 0;
        }
        skb->next = at;
        skb->prev = at->prev;
        if (at->prev)
                at->prev->next = skb;
        else
                q->frags.first = skb;
        at->prev = skb;
        q->frags.qlen++;
        return 0;
}

/* ip_frag_reasm: every byte is in; build the datagram. */
static struct sk_buff *ip_frag_reasm(struct net *net, struct ipfrag_state *st, struct ipq *q,
                                     struct net_device *dev, const struct sk_buff *last)
{
        struct sk_buff *head = q->frags.first;
        const uint8_t *hh = skb_network_header(head);
        unsigned ihl = (hh[0] & 0x0f) * 4u;
        uint32_t len = ihl + q->len;
        enum skb_drop_reason why = SKB_DROP_REASON_IP_FRAG_INVALID;
        if (len > 0xffff) {
                TRACE(net, last, IP_LOCAL, "reassembled datagram would be %u bytes: oversized",
                      len);
                goto fail;
        }
        /* ip_frag_ecn_table: not-ECT mixed with ECT or CE cannot be merged */
        if ((q->ecn & IPFRAG_ECN_NOT_ECT) && (q->ecn & ~IPFRAG_ECN_NOT_ECT))
                goto fail;
        struct sk_buff *skb = alloc_skb_tx(net, len);
        if (!skb) {
                why = SKB_DROP_REASON_NOMEM;
                goto fail;
        }
        uint8_t *p = skb_put(skb, len);
        memcpy(p, hh, ihl);
        bool csum_ok = true;
        uint32_t trace_id = last->trace_id;
        for (struct sk_buff *f = head; f; f = f->next) {
                memcpy(p + ihl + frag_offset(f), f->data, f->len);
                csum_ok = csum_ok && f->csum_unnecessary;
                if (!trace_id)
                        trace_id = f->trace_id;
        }
        put_be16(p + 2, (uint16_t)len);
        /* DF only if the largest fragment had it, so that a forwarder
         * refragmenting keeps the sender's choice (Linux: IPSKB_FRAG_PMTU) */
        put_be16(p + 6, q->max_df_size == q->max_size ? IP_DF : 0);
        if (q->ecn & IPFRAG_ECN_CE)
                p[1] |= 0x03;
        put_be16(p + 10, 0);
        put_be16(p + 10, ip_compute_csum(p, ihl));
        skb_reset_network_header(skb);
        skb->dev = dev;
        skb->protocol = last->protocol;
        skb->pkt_type = last->pkt_type;
        skb->mark = last->mark;
        skb->tstamp = last->tstamp;
        skb->trace_id = trace_id;
        skb->csum_unnecessary = csum_ok;
        struct ip_cb *cb = IPCB(skb);
        uint8_t route_type = IPCB((struct sk_buff *)last)->route_type;
        if (ipv4_parse(p, len, false, &cb->iph, NULL) != WIRE_OK) {
                /* the first fragment's header passed ip_rcv: cannot happen */
                kfree_skb_reason(net, skb, SKB_DROP_REASON_IP_FRAG_INVALID);
                goto fail;
        }
        cb->route_type = route_type;
        IP_INC(net, ReasmOKs);
        TRACE(net, skb, IP_LOCAL, "reassembled id %u from %u fragments: %u bytes", q->id,
              q->frags.qlen, len);
        ipq_kill(net, st, q, SKB_DROP_REASON_NOT_DROPPED_YET);
        return skb;
fail:
        IP_INC(net, ReasmFails);
        ipq_kill(net, st, q, why);
        return NULL;
}

/* Discard the datagram: the queue and this fragment (ip_frag_queue's
 * discard_qp). */
static struct sk_buff *discard_qp(struct net *net, struct ipfrag_state *st, struct ipq *q,
                                  struct sk_buff *skb, enum skb_drop_reason why)
{
        IP_INC(net, ReasmFails);
        ipq_kill(net, st, q, why);
        kfree_skb_reason(net, skb, why);
        return NULL;
}

struct sk_buff *ip_defrag(struct net *net, struct sk_buff *skb)
{
        struct ipv4_net *in = ipv4_of(net);
        struct ipfrag_state *st = in->frags;
        struct ip_cb *cb = IPCB(skb);
        IP_INC(net, ReasmReqds);
        uint32_t truesize = frag_truesize(skb);
        if (st->mem + truesize > (unsigned long)in->ipfrag_high_thresh)
                ipfrag_evict(net, st, (unsigned long)MAX(in->ipfrag_low_thresh, 0));
        if (st->mem + truesize > (unsigned long)in->ipfrag_high_thresh) {
                IP_INC(net, ReasmFails);
                TRACE(net, skb, IP_LOCAL, "fragment not queued: ipfrag_high_thresh %d",
                      in->ipfrag_high_thresh);
                kfree_skb_reason(net, skb, SKB_DROP_REASON_IP_FRAGMENT);
                return NULL;
        }
        struct ipq *q = ipq_find(net, st, cb);
        if (!q) {
                IP_INC(net, ReasmFails);
                kfree_skb_reason(net, skb, SKB_DROP_REASON_NOMEM);
                return NULL;
        }
        if (ip_frag_too_far(net, q)) {
                TRACE(net, skb, IP_LOCAL, "id %u: over %d fragments from %s since the last one",
                      q->id, in->ipfrag_max_dist, ipv4_addr_fmt(q->saddr, (char[16]){ 0 }));
                ip_frag_reinit(net, st, q);
        }

        uint32_t ihl = cb->iph.ihl;
        uint32_t offset = (cb->iph.frag_off & IP_OFFMASK) * 8u;
        uint32_t end = offset + cb->iph.tot_len - ihl;
        if (!(cb->iph.frag_off & IP_MF)) {
                /* the last fragment: nothing may lie beyond it, and a
                 * second last fragment must agree */
                if (end < q->len || ((q->flags & INET_FRAG_LAST_IN) && end != q->len))
                        return discard_qp(net, st, q, skb, SKB_DROP_REASON_IP_FRAG_INVALID);
                q->flags |= INET_FRAG_LAST_IN;
                q->len = end;
        } else {
                end &= ~7u; /* all but the last carry multiples of 8 */
                if (end > q->len) {
                        if (q->flags & INET_FRAG_LAST_IN)
                                return discard_qp(net, st, q, skb, SKB_DROP_REASON_IP_FRAG_INVALID);
                        q->len = end;
                }
        }
        if (end == offset)
                return discard_qp(net, st, q, skb, SKB_DROP_REASON_IP_FRAG_INVALID);
        skb_pull(skb, ihl);
        skb_trim(skb, end - offset);

        struct net_device *dev = skb->dev;
        int err = ipq_insert(q, skb, offset, end);
        if (err == -EEXIST) {
                TRACE(net, skb, IP_LOCAL, "id %u offset %u: duplicate fragment", q->id, offset);
                kfree_skb_reason(net, skb, SKB_DROP_REASON_DUP_FRAG);
                return NULL;
        }
        if (err) {
                TRACE(net, skb, IP_LOCAL, "id %u offset %u..%u overlaps: datagram discarded", q->id,
                      offset, end);
                IPEXT_ADD(net, ReasmOverlaps, 1);
                return discard_qp(net, st, q, skb, SKB_DROP_REASON_IP_FRAG_OVERLAP);
        }
        skb->dev = NULL; /* see ipq_purge */
        if (dev)
                q->iif = dev->ifindex;
        q->meat += skb->len;
        q->mem += truesize;
        st->mem += truesize;
        uint8_t ecn = cb->iph.tos & 0x03;
        q->ecn |= (uint8_t)(1u << ecn); /* 0 not-ECT, 1 ECT(1), 2 ECT(0), 3 CE */
        if (offset == 0)
                q->flags |= INET_FRAG_FIRST_IN;
        uint32_t fragsize = skb->len + ihl;
        if (fragsize > q->max_size)
                q->max_size = fragsize;
        if ((cb->iph.frag_off & IP_DF) && fragsize > q->max_df_size)
                q->max_df_size = fragsize;
        if (q->flags == (INET_FRAG_FIRST_IN | INET_FRAG_LAST_IN) && q->meat == q->len)
                return ip_frag_reasm(net, st, q, dev, skb);
        TRACE(net, skb, IP_LOCAL, "fragment id %u offset %u len %u queued (%u of %s%u bytes)",
              q->id, offset, end - offset, q->meat,
              q->flags & INET_FRAG_LAST_IN ? "" : ">= ", q->len);
        return NULL;
}

int ipfrag_init(struct net *net)
{
        struct ipv4_net *in = ipv4_of(net);
        in->frags = calloc(1, sizeof(*in->frags));
        return in->frags ? 0 : -ENOMEM;
}

void ipfrag_exit(struct net *net)
{
        struct ipfrag_state *st = ipv4_of(net)->frags;
        if (!st)
                return;
        while (st->lru_first)
                ipq_kill(net, st, st->lru_first, SKB_DROP_REASON_IP_FRAG_EVICTED);
        free(st);
        ipv4_of(net)->frags = NULL;
}

void ipfrag_usage(struct net *net, unsigned *queues, unsigned long *mem)
{
        struct ipfrag_state *st = ipv4_of(net)->frags;
        *queues = st ? st->queues : 0;
        *mem = st ? st->mem : 0;
}
