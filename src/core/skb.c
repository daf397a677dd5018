/*
 * Packet buffers and their per-namespace pool.
 *
 * The pool keeps three free lists (heads, small buffers, large buffers).
 * The owning namespace allocates from its local lists without atomics; any
 * thread frees by pushing onto the matching atomic return list (a push-only
 * Treiber stack is ABA-free), and the owner takes a return list back whole
 * with one exchange when its local list is empty.  Memory grows on demand
 * with malloc and is released when the namespace goes.
 */
#include <errno.h>
#include <stdlib.h>

#include "core/net.h"
#include "core/skb.h"
#include "core/trace.h"
#include "wire/bytes.h"
#include "wire/checksum.h"

_Thread_local struct net *net_running;

struct skb_pool *skb_pool_new(struct net *net)
{
        struct skb_pool *p = calloc(1, sizeof(*p));
        if (!p)
                return NULL;
        atomic_init(&p->ret_heads, NULL);
        atomic_init(&p->ret_small, NULL);
        atomic_init(&p->ret_large, NULL);
        atomic_init(&p->remote_freed, 0);
        atomic_init(&p->dead, false);
        atomic_init(&p->released, false);
        p->net = net;
        return p;
}

static void free_heads(struct sk_buff *h)
{
        while (h) {
                struct sk_buff *n = h->next;
                free(h);
                h = n;
        }
}

static void free_datas(struct skb_data *d)
{
        while (d) {
                struct skb_data *n = d->next_free;
                free(d);
                d = n;
        }
}

static void pool_release(struct skb_pool *p)
{
        if (atomic_exchange(&p->released, true))
                return; /* the owner and a last remote free may both get here */
        free_heads(p->free_heads);
        free_heads(atomic_exchange(&p->ret_heads, NULL));
        free_datas(p->free_small);
        free_datas(p->free_large);
        free_datas(atomic_exchange(&p->ret_small, NULL));
        free_datas(atomic_exchange(&p->ret_large, NULL));
        free(p);
}

long skb_pool_outstanding(const struct skb_pool *p)
{
        return p->local_out - atomic_load(&((struct skb_pool *)p)->remote_freed);
}

void skb_pool_destroy(struct skb_pool *p)
{
        /* Allocated apart from struct net so that it can outlive the
         * namespace while its packets sit in other namespaces' queues. */
        atomic_store(&p->dead, true);
        if (skb_pool_outstanding(p) == 0)
                pool_release(p);
}

/* May this thread use p's local lists?  Only the thread running p's
 * namespace (or, with no namespace running, the single thread of a test). */
static inline bool pool_is_local(const struct skb_pool *p)
{
        return p->net == net_running;
}

static void remote_put_done(struct skb_pool *p)
{
        long freed = atomic_fetch_add_explicit(&p->remote_freed, 1, memory_order_acq_rel) + 1;
        if (unlikely(atomic_load(&p->dead)) && freed == p->local_out)
                pool_release(p);
}

static struct sk_buff *pool_get_head(struct skb_pool *p)
{
        struct sk_buff *h = p->free_heads;
        if (unlikely(!h)) {
                h = atomic_exchange_explicit(&p->ret_heads, NULL, memory_order_acquire);
                if (!h) {
                        h = malloc(sizeof(*h));
                        if (!h)
                                return NULL;
                        h->next = NULL;
                }
        }
        p->free_heads = h->next;
        p->local_out++;
        return h;
}

static void pool_put_head(struct skb_pool *p, struct sk_buff *h)
{
        if (likely(pool_is_local(p))) {
                h->next = p->free_heads;
                p->free_heads = h;
                p->local_out--;
                return;
        }
        struct sk_buff *old = atomic_load_explicit(&p->ret_heads, memory_order_relaxed);
        do {
                h->next = old;
        } while (!atomic_compare_exchange_weak_explicit(
            &p->ret_heads, &old, h, memory_order_release, memory_order_relaxed));
        remote_put_done(p);
}

static struct skb_data *pool_get_data(struct skb_pool *p, bool large)
{
        struct skb_data **local = large ? &p->free_large : &p->free_small;
        _Atomic(struct skb_data *) *ret = large ? &p->ret_large : &p->ret_small;
        struct skb_data *d = *local;
        if (unlikely(!d)) {
                d = atomic_exchange_explicit(ret, NULL, memory_order_acquire);
                if (!d) {
                        uint32_t size = large ? SKB_LARGE_SIZE : SKB_SMALL_SIZE;
                        d = malloc(sizeof(*d) + size);
                        if (!d)
                                return NULL;
                        d->size = size;
                        d->pool = p;
                        d->next_free = NULL;
                }
        }
        *local = d->next_free;
        atomic_init(&d->refcnt, 1);
        p->local_out++;
        return d;
}

static void pool_put_data(struct skb_data *d)
{
        struct skb_pool *p = d->pool;
        bool large = d->size == SKB_LARGE_SIZE;
        if (likely(pool_is_local(p))) {
                struct skb_data **local = large ? &p->free_large : &p->free_small;
                d->next_free = *local;
                *local = d;
                p->local_out--;
                return;
        }
        _Atomic(struct skb_data *) *ret = large ? &p->ret_large : &p->ret_small;
        struct skb_data *old = atomic_load_explicit(ret, memory_order_relaxed);
        do {
                d->next_free = old;
        } while (!atomic_compare_exchange_weak_explicit(ret, &old, d, memory_order_release,
                                                        memory_order_relaxed));
        remote_put_done(p);
}

static void skb_head_init(struct sk_buff *skb, struct skb_pool *p, struct skb_data *d)
{
        memset(skb, 0, offsetof(struct sk_buff, cb));
        skb->pool = p;
        skb->shared = d;
        skb->head = d->buf;
        skb->data = d->buf;
        skb->end = d->size;
        skb->mac_header = skb->network_header = skb->transport_header = SKB_NO_HDR;
}

struct sk_buff *alloc_skb(struct net *net, uint32_t size)
{
        struct skb_pool *p = net->pool;
        if (size > SKB_LARGE_SIZE)
                return NULL;
        struct sk_buff *skb = pool_get_head(p);
        if (!skb)
                return NULL;
        struct skb_data *d = pool_get_data(p, size > SKB_SMALL_SIZE);
        if (!d) {
                pool_put_head(p, skb);
                return NULL;
        }
        skb_head_init(skb, p, d);
        return skb;
}

struct sk_buff *alloc_skb_tx(struct net *net, uint32_t payload_len)
{
        if (payload_len > SKB_LARGE_SIZE - SKB_HEADROOM)
                return NULL; /* and SKB_HEADROOM + payload_len cannot wrap */
        struct sk_buff *skb = alloc_skb(net, SKB_HEADROOM + payload_len);
        if (skb)
                skb_reserve(skb, SKB_HEADROOM);
        return skb;
}

struct sk_buff *skb_clone(struct net *net, struct sk_buff *skb)
{
        /* The head comes from the namespace making the clone; each head and
         * buffer records its own pool and goes home to it when freed. */
        struct skb_pool *p = net->pool;
        struct sk_buff *n = pool_get_head(p);
        if (!n)
                return NULL;
        memcpy(n, skb, sizeof(*n));
        n->next = n->prev = NULL;
        n->sk = NULL; /* a copy or clone is not charged to the socket */
        n->destructor = NULL;
        n->pool = p;
        atomic_fetch_add_explicit(&skb->shared->refcnt, 1, memory_order_relaxed);
        return n;
}

struct sk_buff *skb_copy(struct net *net, const struct sk_buff *skb)
{
        struct sk_buff *n = alloc_skb(net, skb->end);
        if (!n)
                return NULL;
        struct skb_data *d = n->shared;
        uint32_t end = n->end;
        memcpy(n, skb, sizeof(*n));
        n->next = n->prev = NULL;
        n->sk = NULL; /* a copy or clone is not charged to the socket */
        n->destructor = NULL;
        n->pool = net->pool;
        n->shared = d;
        n->head = d->buf;
        n->end = end;
        n->data = n->head + (skb->data - skb->head);
        memcpy(n->head, skb->head, skb->end);
        return n;
}

int skb_unshare(struct net *net, struct sk_buff *skb)
{
        if (!skb_cloned(skb))
                return 0;
        struct skb_pool *p = net->pool;
        struct skb_data *d = pool_get_data(p, skb->end > SKB_SMALL_SIZE);
        if (!d)
                return -ENOMEM;
        memcpy(d->buf, skb->head, skb->end);
        struct skb_data *old = skb->shared;
        skb->data = d->buf + (skb->data - skb->head);
        skb->head = d->buf;
        skb->shared = d;
        skb->end = d->size;
        if (atomic_fetch_sub_explicit(&old->refcnt, 1, memory_order_acq_rel) == 1)
                pool_put_data(old);
        return 0;
}

uint16_t skb_csum_partial_value(const struct sk_buff *skb)
{
        const unsigned char *from = skb->head + skb->csum_start;
        const unsigned char *to = skb->data + skb->len;
        STRATA_ASSERT(skb->csum_partial && from >= skb->head && from + skb->csum_offset + 2 <= to);
        return csum_fold(csum_partial(from, (size_t)(to - from), 0));
}

int skb_checksum_help(struct net *net, struct sk_buff *skb)
{
        if (!skb->csum_partial)
                return 0;
        int err = skb_unshare(net, skb); /* the field is written in place */
        if (err)
                return err;
        put_be16(skb->head + skb->csum_start + skb->csum_offset, skb_csum_partial_value(skb));
        skb->csum_partial = 0;
        return 0;
}

static void skb_release(struct sk_buff *skb)
{
        if (skb->destructor)
                skb->destructor(skb);
        struct skb_data *d = skb->shared;
        if (atomic_load_explicit(&d->refcnt, memory_order_relaxed) == 1 ||
            atomic_fetch_sub_explicit(&d->refcnt, 1, memory_order_acq_rel) == 1)
                pool_put_data(d);
        pool_put_head(skb->pool, skb);
}

void consume_skb(struct sk_buff *skb)
{
        if (skb)
                skb_release(skb);
}

void kfree_skb_reason_at(struct net *net, struct sk_buff *skb, enum skb_drop_reason reason,
                         const char *where)
{
        if (!skb)
                return;
        STRATA_ASSERT(reason > SKB_DROP_REASON_NOT_DROPPED_YET && reason < SKB_DROP_REASON_MAX);
        net->drops[reason]++;
        if (skb->dev)
                dev_count_drop(skb->dev, reason);
        if (unlikely(skb->trace_id))
                trace_emit_drop(net, skb, reason, where);
        skb_release(skb);
}

void skb_queue_purge_reason(struct net *net, struct sk_buff_head *q, enum skb_drop_reason reason)
{
        struct sk_buff *skb;
        while ((skb = skb_dequeue(q)))
                kfree_skb_reason(net, skb, reason);
}
