/*
 * struct sk_buff: one packet, as Linux's.
 *
 * A packet is a contiguous buffer with headroom in front of the data so
 * that each layer on the way down can prepend its header (skb_push) without
 * copying, and each layer on the way up strips its own (skb_pull).  The
 * buffer (struct skb_data) is reference counted and may be shared by clones:
 * a clone is a second sk_buff head looking at the same bytes, used by the
 * retransmit queue and by packet captures.  A cloned buffer's bytes are
 * read-only; a writer calls skb_unshare() first.
 *
 *   head        data             data+len          head+end
 *    |<-headroom->|<----- len ------>|<--tailroom---->|
 *
 * Header offsets (mac, network, transport) are relative to head, so they
 * survive push/pull; SKB_NO_HDR means "not set".
 *
 * Buffers come from the namespace's pool (struct skb_pool), never from
 * malloc on the hot path.  Two buffer sizes: small (a 1500-byte frame with
 * headroom) and large (a 64 KB segment).  The thread running the namespace
 * allocates and frees on plain local lists; an skb freed by another thread
 * (veth between namespaces run by different threads) goes to a lock-free
 * return list, which the owner takes back whole when its local list runs
 * dry.
 *
 * Ownership rule: a function that takes an skb consumes it -- it passes it
 * on, queues it, or frees it.  consume_skb() ends a normal delivery;
 * kfree_skb_reason() ends a drop, counts it per namespace and per device
 * and emits the trace event.  No skb is freed without a reason.
 */
#ifndef STRATA_CORE_SKB_H
#define STRATA_CORE_SKB_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/compiler.h"
#include "core/dropreason.h"

struct net;
struct net_device;
struct sock;

#define SKB_HEADROOM   128u            /* room for link + IP + TCP headers */
#define SKB_SMALL_SIZE 2048u           /* buffer bytes of a small skb */
#define SKB_LARGE_SIZE (65536u + 512u) /* a 64 KB segment plus headers */
#define SKB_NO_HDR     0xffffu
#define SKB_CB_SIZE    48

/* pkt_type, as Linux's PACKET_* */
#define PACKET_HOST      0
#define PACKET_BROADCAST 1
#define PACKET_MULTICAST 2
#define PACKET_OTHERHOST 3
#define PACKET_OUTGOING  4
#define PACKET_LOOPBACK  5

struct skb_pool;

/* The reference-counted buffer behind one or more sk_buffs. */
struct skb_data {
        atomic_uint refcnt;
        uint32_t size;              /* bytes in buf */
        struct skb_pool *pool;      /* where it returns */
        struct skb_data *next_free; /* pool free-list link */
        _Alignas(16) unsigned char buf[];
};

struct sk_buff {
        struct sk_buff *next; /* queue links (struct sk_buff_head) */
        struct sk_buff *prev;
        struct net_device *dev;  /* arrived on / leaving through */
        struct skb_pool *pool;   /* where this head returns */
        struct skb_data *shared; /* the buffer */
        unsigned char *head;     /* shared->buf */
        unsigned char *data;     /* first byte of the current layer */
        uint32_t len;            /* bytes from data */
        uint32_t end;            /* buffer size: data + len <= head + end */
        uint16_t mac_header;     /* offsets from head, SKB_NO_HDR if unset */
        uint16_t network_header;
        uint16_t transport_header;
        uint16_t protocol;            /* EtherType, host order */
        uint8_t pkt_type;             /* PACKET_* */
        uint8_t csum_unnecessary : 1; /* crossed only in-memory links (veth, lo):
                                       * payload checksums need no verifying,
                                       * Linux's CHECKSUM_UNNECESSARY */
        uint8_t csum_partial : 1;     /* the L4 checksum is still to be filled in:
                                       * the field at csum_start + csum_offset holds
                                       * the pseudo-header sum; a device with
                                       * NETIF_F_HW_CSUM (veth, lo) never computes
                                       * it, any other gets skb_checksum_help() at
                                       * transmit (Linux's CHECKSUM_PARTIAL) */
        uint16_t csum_start;          /* offset from head where the sum starts */
        uint16_t csum_offset;         /* checksum field, from csum_start */
        uint32_t mark;
        uint32_t trace_id; /* non-zero: this packet is being traced */
        uint64_t tstamp;   /* ns on the namespace clock: receive or send time */
        uint32_t nexthop;  /* IPv4 next hop chosen by routing (host order) */
        struct sock *sk;   /* socket the skb is charged to, or NULL */
        void (*destructor)(struct sk_buff *skb); /* runs when the skb is freed */
        _Alignas(8) unsigned char cb[SKB_CB_SIZE]; /* private to the layer holding the skb */
};

/* Pool of skb heads and buffers for one namespace. */
struct skb_pool {
        struct sk_buff *free_heads; /* owner's local lists */
        struct skb_data *free_small;
        struct skb_data *free_large;
        _Atomic(struct sk_buff *) ret_heads; /* returned by any thread */
        _Atomic(struct skb_data *) ret_small;
        _Atomic(struct skb_data *) ret_large;
        long local_out;           /* owner: allocated - freed locally */
        atomic_long remote_freed; /* freed by other threads */
        atomic_bool dead;         /* namespace gone: last free releases */
        atomic_bool released;
        struct net *net;
};

/* The namespace this thread is running right now (it holds its lock), or
 * NULL.  A free by that thread goes straight to the pool's local lists; any
 * other free takes the lock-free return path. */
extern _Thread_local struct net *net_running;

struct skb_pool *skb_pool_new(struct net *net);
/* Release the pool's memory.  If packets are still out (sitting in another
 * namespace's queue), the pool is released by the last free instead. */
void skb_pool_destroy(struct skb_pool *p);
/* Objects (heads and buffers) currently allocated from the pool: 0 once every
 * packet has been freed -- the leak check of every test. */
long skb_pool_outstanding(const struct skb_pool *p);

/* Allocate an skb with a buffer of at least size bytes (<= SKB_LARGE_SIZE),
 * data at head, len 0; NULL when memory runs out. */
struct sk_buff *alloc_skb(struct net *net, uint32_t size);
/* An skb for sending payload_len bytes: SKB_HEADROOM reserved in front. */
struct sk_buff *alloc_skb_tx(struct net *net, uint32_t payload_len);

/* A second head, from net's pool, sharing the same buffer (read-only for
 * both). */
struct sk_buff *skb_clone(struct net *net, struct sk_buff *skb);
/* A private copy of head and buffer (allocated from net's pool). */
struct sk_buff *skb_copy(struct net *net, const struct sk_buff *skb);
/* Make the buffer private to skb (copy into a buffer of net's pool if
 * shared); returns 0 or -ENOMEM (skb untouched). */
int skb_unshare(struct net *net, struct sk_buff *skb);

/* Mark skb's L4 checksum as left to the device (CHECKSUM_PARTIAL): the sum
 * covers head + start to the end of the data, and the field at start + offset
 * already holds the folded pseudo-header sum (not complemented). */
static inline void skb_set_csum_partial(struct sk_buff *skb, uint32_t start, uint32_t offset)
{
        skb->csum_partial = 1;
        skb->csum_start = (uint16_t)start;
        skb->csum_offset = (uint16_t)offset;
}
/* The value the checksum field of a CHECKSUM_PARTIAL skb must hold (what a
 * device computes), without writing it. */
uint16_t skb_csum_partial_value(const struct sk_buff *skb);
/* Fill in the checksum of a CHECKSUM_PARTIAL skb in software, for a device
 * that cannot (skb_checksum_help); makes the buffer private first if it is
 * shared.  Returns 0 or -ENOMEM (skb untouched). */
int skb_checksum_help(struct net *net, struct sk_buff *skb);

/* Detach skb from the socket it is charged to (its destructor runs now):
 * what Linux does when a packet leaves its sender for a receive path
 * (loopback_xmit, veth's __dev_forward_skb), so the sender's send buffer
 * does not wait for the receiver to read. */
static inline void skb_orphan(struct sk_buff *skb)
{
        if (skb->destructor) {
                skb->destructor(skb);
                skb->destructor = NULL;
                skb->sk = NULL;
        }
}

/* End of a normal journey. */
void consume_skb(struct sk_buff *skb);
/* A drop: counted per namespace (net) and per device (skb->dev), traced
 * with the name of the function that dropped it. */
void kfree_skb_reason_at(struct net *net, struct sk_buff *skb, enum skb_drop_reason reason,
                         const char *where);
#define kfree_skb_reason(net, skb, reason) kfree_skb_reason_at((net), (skb), (reason), __func__)

static inline bool skb_cloned(const struct sk_buff *skb)
{
        return atomic_load_explicit(&skb->shared->refcnt, memory_order_relaxed) > 1;
}

static inline uint32_t skb_headroom(const struct sk_buff *skb)
{
        return (uint32_t)(skb->data - skb->head);
}

static inline uint32_t skb_tailroom(const struct sk_buff *skb)
{
        return skb->end - skb_headroom(skb) - skb->len;
}

static inline void skb_reserve(struct sk_buff *skb, uint32_t n)
{
        STRATA_ASSERT(skb->len == 0 && n <= skb_tailroom(skb));
        skb->data += n;
}

/* Prepend n bytes; returns the new data pointer. */
static inline unsigned char *skb_push(struct sk_buff *skb, uint32_t n)
{
        STRATA_ASSERT(n <= skb_headroom(skb));
        skb->data -= n;
        skb->len += n;
        return skb->data;
}

/* Strip n bytes from the front; returns the new data pointer, or NULL (and
 * nothing changes) if fewer than n bytes are there. */
static inline unsigned char *skb_pull(struct sk_buff *skb, uint32_t n)
{
        if (unlikely(n > skb->len))
                return NULL;
        skb->data += n;
        skb->len -= n;
        return skb->data;
}

/* Append n bytes at the tail; returns a pointer to them. */
static inline unsigned char *skb_put(struct sk_buff *skb, uint32_t n)
{
        unsigned char *tail = skb->data + skb->len;
        STRATA_ASSERT(n <= skb_tailroom(skb));
        skb->len += n;
        return tail;
}

/* Cut the data to len bytes (no-op if already shorter). */
static inline void skb_trim(struct sk_buff *skb, uint32_t len)
{
        if (len < skb->len)
                skb->len = len;
}

static inline void skb_reset_mac_header(struct sk_buff *skb)
{
        skb->mac_header = (uint16_t)(skb->data - skb->head);
}
static inline void skb_reset_network_header(struct sk_buff *skb)
{
        skb->network_header = (uint16_t)(skb->data - skb->head);
}
static inline void skb_reset_transport_header(struct sk_buff *skb)
{
        skb->transport_header = (uint16_t)(skb->data - skb->head);
}
static inline unsigned char *skb_mac_header(const struct sk_buff *skb)
{
        return skb->head + skb->mac_header;
}
static inline unsigned char *skb_network_header(const struct sk_buff *skb)
{
        return skb->head + skb->network_header;
}
static inline unsigned char *skb_transport_header(const struct sk_buff *skb)
{
        return skb->head + skb->transport_header;
}

/* A FIFO of skbs (doubly linked through next/prev), with its length. */
struct sk_buff_head {
        struct sk_buff *first;
        struct sk_buff *last;
        uint32_t qlen;
};

static inline void skb_queue_init(struct sk_buff_head *q)
{
        q->first = q->last = NULL;
        q->qlen = 0;
}

static inline void skb_queue_tail(struct sk_buff_head *q, struct sk_buff *skb)
{
        skb->next = NULL;
        skb->prev = q->last;
        if (q->last)
                q->last->next = skb;
        else
                q->first = skb;
        q->last = skb;
        q->qlen++;
}

static inline struct sk_buff *skb_dequeue(struct sk_buff_head *q)
{
        struct sk_buff *skb = q->first;
        if (!skb)
                return NULL;
        q->first = skb->next;
        if (q->first)
                q->first->prev = NULL;
        else
                q->last = NULL;
        q->qlen--;
        skb->next = skb->prev = NULL;
        return skb;
}

/* Move every skb of from to the tail of to. */
static inline void skb_queue_splice_tail(struct sk_buff_head *from, struct sk_buff_head *to)
{
        if (!from->first)
                return;
        if (to->last) {
                to->last->next = from->first;
                from->first->prev = to->last;
        } else {
                to->first = from->first;
        }
        to->last = from->last;
        to->qlen += from->qlen;
        skb_queue_init(from);
}

/* Drop every queued skb with reason. */
void skb_queue_purge_reason(struct net *net, struct sk_buff_head *q, enum skb_drop_reason reason);

#endif
