/*
 * sk_buff and its per-namespace pool (src/core/skb.c): buffer sizes and
 * headroom, push/pull/put/trim arithmetic and bounds, header offsets that
 * survive push/pull, clones sharing data, unshare and copy, the queue
 * helpers, pool recycling (also of frees made by another thread), and drop
 * counting per namespace and per device.
 */
#include <pthread.h>
#include <stdbool.h>
#include <signal.h>
#include <stdint.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/net.h"
#include "core/netdev.h"
#include "core/skb.h"
#include "wire/bytes.h"
#include "wire/checksum.h"
#include "../test.h"

static struct strata_clock test_clock = { .simulated = true, .sim_now = 0 };

/* Namespaces alive; a failed CHECK leaves its case early, and whatever it
 * left is freed at exit. */
static struct net *live[4];

static void release_all(void)
{
        for (int i = 0; i < 4; i++) {
                net_free(live[i]);
                live[i] = NULL;
        }
}

static struct net *new_net(void)
{
        static bool registered;
        if (!registered)
                atexit(release_all);
        registered = true;
        struct net *net = NULL;
        CHECK_EQ(net_alloc("skbtest", &test_clock, 42, &net), 0);
        CHECK(net != NULL);
        for (int i = 0; i < 4; i++)
                if (!live[i]) {
                        live[i] = net;
                        break;
                }
        CHECK_EQ(skb_pool_outstanding(net->pool), 0);
        return net;
}

static void forget(struct net *net)
{
        for (int i = 0; i < 4; i++)
                if (live[i] == net)
                        live[i] = NULL;
}

/* The leak check every case ends with: nothing left out of the pool. */
static void free_net(struct net *net)
{
        CHECK_EQ(skb_pool_outstanding(net->pool), 0);
        forget(net);
        net_free(net);
}

static void fill(struct sk_buff *skb, uint32_t n, uint8_t seed)
{
        uint8_t *p = skb_put(skb, n);
        for (uint32_t i = 0; i < n; i++)
                p[i] = (uint8_t)(seed + i);
}

static void alloc_small_and_large_buffers(void)
{
        struct net *net = new_net();
        struct sk_buff *s0 = alloc_skb(net, 0);
        struct sk_buff *s1 = alloc_skb(net, SKB_SMALL_SIZE);
        struct sk_buff *l0 = alloc_skb(net, SKB_SMALL_SIZE + 1);
        struct sk_buff *l1 = alloc_skb(net, SKB_LARGE_SIZE);
        CHECK(s0 && s1 && l0 && l1);
        CHECK_EQ(s0->end, SKB_SMALL_SIZE);
        CHECK_EQ(s1->end, SKB_SMALL_SIZE);
        CHECK_EQ(l0->end, SKB_LARGE_SIZE);
        CHECK_EQ(l1->end, SKB_LARGE_SIZE);
        CHECK_EQ(s0->shared->size, SKB_SMALL_SIZE);
        CHECK_EQ(l1->shared->size, SKB_LARGE_SIZE);
        /* a fresh skb: no data, all room is tailroom, no headers, one owner */
        CHECK_EQ(s1->len, 0);
        CHECK(s1->data == s1->head);
        CHECK(s1->head == s1->shared->buf);
        CHECK_EQ(skb_headroom(s1), 0);
        CHECK_EQ(skb_tailroom(s1), SKB_SMALL_SIZE);
        CHECK_EQ(skb_tailroom(l1), SKB_LARGE_SIZE);
        CHECK_EQ(s1->mac_header, SKB_NO_HDR);
        CHECK_EQ(s1->network_header, SKB_NO_HDR);
        CHECK_EQ(s1->transport_header, SKB_NO_HDR);
        CHECK(s1->dev == NULL);
        CHECK(s1->pool == net->pool);
        CHECK(!skb_cloned(s1));
        /* four heads and four buffers */
        CHECK_EQ(skb_pool_outstanding(net->pool), 8);
        consume_skb(s0);
        consume_skb(s1);
        consume_skb(l0);
        consume_skb(l1);
        free_net(net);
}

static void alloc_beyond_large_size_returns_null(void)
{
        struct net *net = new_net();
        CHECK(alloc_skb(net, SKB_LARGE_SIZE + 1) == NULL);
        CHECK(alloc_skb(net, UINT32_MAX) == NULL);
        CHECK_EQ(skb_pool_outstanding(net->pool), 0);
        free_net(net);
}

static void alloc_tx_reserves_headroom(void)
{
        struct net *net = new_net();
        struct sk_buff *skb = alloc_skb_tx(net, 100);
        CHECK(skb);
        CHECK_EQ(skb->end, SKB_SMALL_SIZE);
        CHECK_EQ(skb_headroom(skb), SKB_HEADROOM);
        CHECK(skb->data == skb->head + SKB_HEADROOM);
        CHECK_EQ(skb->len, 0);
        CHECK_EQ(skb_tailroom(skb), SKB_SMALL_SIZE - SKB_HEADROOM);
        consume_skb(skb);

        /* the largest payload that fits, and one byte more */
        skb = alloc_skb_tx(net, SKB_SMALL_SIZE - SKB_HEADROOM + 1);
        CHECK(skb);
        CHECK_EQ(skb->end, SKB_LARGE_SIZE);
        CHECK_EQ(skb_headroom(skb), SKB_HEADROOM);
        consume_skb(skb);
        skb = alloc_skb_tx(net, SKB_LARGE_SIZE - SKB_HEADROOM);
        CHECK(skb);
        CHECK_EQ(skb_tailroom(skb), SKB_LARGE_SIZE - SKB_HEADROOM);
        consume_skb(skb);
        CHECK(alloc_skb_tx(net, SKB_LARGE_SIZE - SKB_HEADROOM + 1) == NULL);
        CHECK_EQ(skb_pool_outstanding(net->pool), 0);
        free_net(net);
}

/* A payload length near UINT32_MAX must not wrap SKB_HEADROOM + len into a
 * small size and hand back a buffer that cannot hold the payload. */
static void alloc_tx_huge_payload_returns_null(void)
{
        struct net *net = new_net();
        struct sk_buff *skb = alloc_skb_tx(net, UINT32_MAX - SKB_HEADROOM + 1);
        if (skb) {
                uint32_t room = skb_tailroom(skb);
                consume_skb(skb);
                free_net(net);
                TEST_FAIL("alloc_skb_tx(UINT32_MAX - SKB_HEADROOM + 1) returned an skb with "
                          "%u bytes of room",
                          room);
        }
        skb = alloc_skb_tx(net, UINT32_MAX);
        if (skb) {
                consume_skb(skb);
                free_net(net);
                TEST_FAIL("alloc_skb_tx(UINT32_MAX) returned an skb");
        }
        free_net(net);
}

static void push_pull_put_trim_arithmetic(void)
{
        struct net *net = new_net();
        struct sk_buff *skb = alloc_skb(net, 256);
        CHECK(skb);
        skb_reserve(skb, 64);
        CHECK_EQ(skb_headroom(skb), 64);
        CHECK_EQ(skb_tailroom(skb), SKB_SMALL_SIZE - 64);

        unsigned char *t = skb_put(skb, 100);
        CHECK(t == skb->head + 64);
        CHECK_EQ(skb->len, 100);
        CHECK_EQ(skb_tailroom(skb), SKB_SMALL_SIZE - 164);
        unsigned char *t2 = skb_put(skb, 20);
        CHECK(t2 == skb->head + 164);
        CHECK_EQ(skb->len, 120);

        unsigned char *p = skb_push(skb, 14);
        CHECK(p == skb->head + 50);
        CHECK(skb->data == p);
        CHECK_EQ(skb->len, 134);
        CHECK_EQ(skb_headroom(skb), 50);
        /* tailroom is unchanged by push */
        CHECK_EQ(skb_tailroom(skb), SKB_SMALL_SIZE - 184);

        p = skb_pull(skb, 34);
        CHECK(p == skb->head + 84);
        CHECK_EQ(skb->len, 100);
        CHECK_EQ(skb_headroom(skb), 84);

        skb_trim(skb, 60);
        CHECK_EQ(skb->len, 60);
        CHECK(skb->data == skb->head + 84);
        skb_trim(skb, 80); /* longer than len: nothing changes */
        CHECK_EQ(skb->len, 60);
        CHECK_EQ(skb_tailroom(skb), SKB_SMALL_SIZE - 144);

        /* pull everything: valid, leaves an empty skb */
        p = skb_pull(skb, 60);
        CHECK(p == skb->head + 144);
        CHECK_EQ(skb->len, 0);
        /* push to the very front */
        p = skb_push(skb, 144);
        CHECK(p == skb->head);
        CHECK_EQ(skb_headroom(skb), 0);
        CHECK_EQ(skb->len, 144);
        /* put up to the very end */
        skb_put(skb, skb_tailroom(skb));
        CHECK_EQ(skb->len, SKB_SMALL_SIZE);
        CHECK_EQ(skb_tailroom(skb), 0);
        consume_skb(skb);
        free_net(net);
}

static void pull_beyond_len_returns_null_and_changes_nothing(void)
{
        struct net *net = new_net();
        struct sk_buff *skb = alloc_skb_tx(net, 40);
        CHECK(skb);
        fill(skb, 40, 7);
        unsigned char *data = skb->data;
        CHECK(skb_pull(skb, 41) == NULL);
        CHECK(skb->data == data);
        CHECK_EQ(skb->len, 40);
        CHECK(skb_pull(skb, UINT32_MAX) == NULL);
        CHECK(skb->data == data);
        CHECK_EQ(skb->len, 40);
        CHECK_EQ(skb->data[0], 7);
        CHECK_EQ(skb->data[39], 46);
        /* exactly len is fine */
        CHECK(skb_pull(skb, 40) == data + 40);
        CHECK_EQ(skb->len, 0);
        CHECK(skb_pull(skb, 1) == NULL);
        CHECK(skb->data == data + 40);
        consume_skb(skb);
        free_net(net);
}

/* Run fn in a child and report whether it died of SIGABRT (the invariant
 * assertion) -- the only way to test an abort without dying with it. */
static bool aborts(void (*fn)(struct net *net), struct net *net)
{
        fflush(stdout);
        fflush(stderr);
        pid_t pid = fork();
        if (pid == 0) {
                if (!freopen("/dev/null", "w", stderr))
                        _exit(3);
                fn(net);
                _exit(0);
        }
        int status = 0;
        if (pid < 0 || waitpid(pid, &status, 0) != pid)
                return false;
        return WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT;
}

static void push_past_headroom(struct net *net)
{
        struct sk_buff *skb = alloc_skb_tx(net, 10);
        skb_push(skb, SKB_HEADROOM + 1);
}

static void put_past_tailroom(struct net *net)
{
        struct sk_buff *skb = alloc_skb(net, 100);
        skb_put(skb, SKB_SMALL_SIZE + 1);
}

static void push_and_put_past_the_buffer_abort(void)
{
        struct net *net = new_net();
        CHECK(aborts(push_past_headroom, net));
        CHECK(aborts(put_past_tailroom, net));
        free_net(net);
}

static void header_offsets_survive_push_and_pull(void)
{
        struct net *net = new_net();
        struct sk_buff *skb = alloc_skb_tx(net, 64);
        CHECK(skb);
        fill(skb, 28, 0x40); /* "transport" payload */
        skb_reset_transport_header(skb);
        unsigned char *th = skb->data;
        skb_push(skb, 20);
        memset(skb->data, 0x45, 20);
        skb_reset_network_header(skb);
        unsigned char *nh = skb->data;
        skb_push(skb, 14);
        memset(skb->data, 0xee, 14);
        skb_reset_mac_header(skb);
        unsigned char *mh = skb->data;

        CHECK_EQ(skb->transport_header, SKB_HEADROOM);
        CHECK_EQ(skb->network_header, SKB_HEADROOM - 20);
        CHECK_EQ(skb->mac_header, SKB_HEADROOM - 34);
        CHECK(skb_mac_header(skb) == mh);
        CHECK(skb_network_header(skb) == nh);
        CHECK(skb_transport_header(skb) == th);

        /* the receive direction: strip link and network headers */
        CHECK(skb_pull(skb, 14) == nh);
        CHECK(skb_pull(skb, 20) == th);
        CHECK(skb_mac_header(skb) == mh);
        CHECK(skb_network_header(skb) == nh);
        CHECK(skb_transport_header(skb) == th);
        CHECK_EQ(skb_mac_header(skb)[0], 0xee);
        CHECK_EQ(skb_network_header(skb)[19], 0x45);
        CHECK_EQ(skb_transport_header(skb)[0], 0x40);
        /* and back down: push does not move them either */
        skb_push(skb, 34);
        CHECK(skb_mac_header(skb) == mh);
        CHECK(skb->data == mh);
        CHECK_EQ(skb->len, 62);
        consume_skb(skb);
        free_net(net);
}

static void clone_shares_data_and_refcount(void)
{
        struct net *net = new_net();
        struct sk_buff *skb = alloc_skb_tx(net, 100);
        CHECK(skb);
        fill(skb, 100, 1);
        skb_reset_network_header(skb);
        skb->mark = 77;
        CHECK_EQ(skb_pool_outstanding(net->pool), 2);

        struct sk_buff *c = skb_clone(net, skb);
        CHECK(c);
        CHECK(c != skb);
        CHECK(c->shared == skb->shared);
        CHECK(c->head == skb->head);
        CHECK(c->data == skb->data);
        CHECK_EQ(c->len, 100);
        CHECK_EQ(c->mark, 77);
        CHECK_EQ(c->network_header, skb->network_header);
        CHECK(c->next == NULL && c->prev == NULL);
        CHECK_EQ(atomic_load(&skb->shared->refcnt), 2);
        CHECK(skb_cloned(skb));
        CHECK(skb_cloned(c));
        /* one more head, no more buffers */
        CHECK_EQ(skb_pool_outstanding(net->pool), 3);

        /* each head has its own view of the shared bytes */
        skb_pull(c, 10);
        CHECK_EQ(c->len, 90);
        CHECK_EQ(skb->len, 100);
        CHECK(skb->data + 10 == c->data);
        CHECK_EQ(c->data[0], 11);

        struct sk_buff *c2 = skb_clone(net, c);
        CHECK(c2);
        CHECK_EQ(atomic_load(&skb->shared->refcnt), 3);
        CHECK_EQ(c2->len, 90);
        consume_skb(c2);
        CHECK_EQ(atomic_load(&skb->shared->refcnt), 2);

        /* freeing the original keeps the buffer for the clone */
        consume_skb(skb);
        CHECK_EQ(skb_pool_outstanding(net->pool), 2);
        CHECK_EQ(atomic_load(&c->shared->refcnt), 1);
        CHECK(!skb_cloned(c));
        CHECK_EQ(c->data[89], 100);
        consume_skb(c);
        free_net(net);
}

static void unshare_makes_private_copy_leaving_clone_untouched(void)
{
        struct net *net = new_net();
        struct sk_buff *skb = alloc_skb_tx(net, 64);
        CHECK(skb);
        fill(skb, 64, 0x10);
        skb_reset_network_header(skb);
        skb_pull(skb, 4);
        struct sk_buff *c = skb_clone(net, skb);
        CHECK(c);
        struct skb_data *old = skb->shared;
        unsigned char *old_head = skb->head;

        CHECK_EQ(skb_unshare(net, c), 0);
        CHECK(c->shared != old);
        CHECK(c->head != old_head);
        CHECK(c->head == c->shared->buf);
        CHECK_EQ(c->end, SKB_SMALL_SIZE);
        CHECK_EQ(c->len, 60);
        CHECK_EQ(skb_headroom(c), SKB_HEADROOM + 4);
        CHECK_EQ(c->network_header, SKB_HEADROOM);
        CHECK_MEM(c->data, skb->data, 60);
        CHECK_MEM(c->head, old_head, SKB_HEADROOM + 64);
        CHECK_EQ(atomic_load(&c->shared->refcnt), 1);
        CHECK_EQ(atomic_load(&old->refcnt), 1);
        CHECK(!skb_cloned(skb));
        CHECK(!skb_cloned(c));
        CHECK_EQ(skb_pool_outstanding(net->pool), 4);

        /* writes to the copy do not reach the original */
        memset(c->data, 0xff, c->len);
        CHECK(skb->shared == old && skb->head == old_head);
        CHECK_EQ(skb->len, 60);
        for (uint32_t i = 0; i < 60; i++)
                CHECK_EQ(skb->data[i], (uint8_t)(0x10 + 4 + i));
        consume_skb(c);
        CHECK_EQ(skb_pool_outstanding(net->pool), 2);

        /* an skb that is not shared is left as is */
        CHECK_EQ(skb_unshare(net, skb), 0);
        CHECK(skb->shared == old);
        CHECK_EQ(skb_pool_outstanding(net->pool), 2);
        consume_skb(skb);
        free_net(net);
}

static void unshare_large_clone_keeps_large_buffer(void)
{
        struct net *net = new_net();
        struct sk_buff *skb = alloc_skb_tx(net, 10000);
        CHECK(skb);
        fill(skb, 10000, 3);
        struct sk_buff *c = skb_clone(net, skb);
        CHECK(c);
        CHECK_EQ(skb_unshare(net, skb), 0);
        CHECK(skb->shared != c->shared);
        CHECK_EQ(skb->end, SKB_LARGE_SIZE);
        CHECK_EQ(skb->len, 10000);
        CHECK_MEM(skb->data, c->data, 10000);
        consume_skb(skb);
        consume_skb(c);
        free_net(net);
}

static void copy_is_private_with_same_layout(void)
{
        struct net *net = new_net();
        struct sk_buff *skb = alloc_skb_tx(net, 200);
        CHECK(skb);
        fill(skb, 200, 9);
        skb_reset_transport_header(skb);
        skb_push(skb, 20);
        skb_reset_network_header(skb);
        skb->mark = 5;
        skb->protocol = 0x0800;
        struct sk_buff *c = skb_clone(net, skb); /* copying a shared buffer is fine */
        CHECK(c);

        struct sk_buff *cp = skb_copy(net, skb);
        CHECK(cp);
        CHECK(cp->shared != skb->shared);
        CHECK(cp->head == cp->shared->buf);
        CHECK(cp->pool == net->pool);
        CHECK_EQ(cp->end, skb->end);
        CHECK_EQ(cp->len, skb->len);
        CHECK_EQ(skb_headroom(cp), skb_headroom(skb));
        CHECK_EQ(cp->network_header, skb->network_header);
        CHECK_EQ(cp->transport_header, skb->transport_header);
        CHECK_EQ(cp->mac_header, SKB_NO_HDR);
        CHECK_EQ(cp->mark, 5);
        CHECK_EQ(cp->protocol, 0x0800);
        CHECK(cp->next == NULL && cp->prev == NULL);
        CHECK_MEM(cp->data, skb->data, skb->len);
        CHECK_EQ(atomic_load(&cp->shared->refcnt), 1);
        CHECK_EQ(atomic_load(&skb->shared->refcnt), 2);
        CHECK(!skb_cloned(cp));
        memset(cp->data, 0, cp->len);
        CHECK_EQ(skb->data[20], 9);
        CHECK_EQ(skb_pool_outstanding(net->pool), 5);
        consume_skb(cp);
        consume_skb(c);
        consume_skb(skb);

        /* a large skb copies into a large buffer */
        skb = alloc_skb(net, 30000);
        CHECK(skb);
        fill(skb, 30000, 1);
        cp = skb_copy(net, skb);
        CHECK(cp);
        CHECK_EQ(cp->end, SKB_LARGE_SIZE);
        CHECK_MEM(cp->data, skb->data, 30000);
        consume_skb(cp);
        consume_skb(skb);
        free_net(net);
}

static void copy_into_another_namespace_pool(void)
{
        struct net *a = new_net();
        struct net *b = new_net();
        struct sk_buff *skb = alloc_skb_tx(a, 10);
        CHECK(skb);
        fill(skb, 10, 0);
        struct sk_buff *cp = skb_copy(b, skb);
        CHECK(cp);
        CHECK(cp->pool == b->pool);
        CHECK(cp->shared->pool == b->pool);
        CHECK_EQ(skb_pool_outstanding(a->pool), 2);
        CHECK_EQ(skb_pool_outstanding(b->pool), 2);
        consume_skb(skb);
        consume_skb(cp);
        free_net(a);
        free_net(b);
}

static void queue_tail_and_dequeue_are_fifo(void)
{
        struct net *net = new_net();
        struct sk_buff_head q;
        skb_queue_init(&q);
        CHECK(skb_dequeue(&q) == NULL);
        CHECK_EQ(q.qlen, 0);
        struct sk_buff *s[4];
        for (int i = 0; i < 4; i++) {
                s[i] = alloc_skb(net, 64);
                CHECK(s[i]);
                skb_queue_tail(&q, s[i]);
                CHECK_EQ(q.qlen, (uint32_t)i + 1);
                CHECK(q.last == s[i]);
        }
        CHECK(q.first == s[0]);
        CHECK(s[0]->prev == NULL && s[0]->next == s[1]);
        CHECK(s[2]->prev == s[1] && s[2]->next == s[3]);
        CHECK(s[3]->next == NULL);
        for (int i = 0; i < 4; i++) {
                struct sk_buff *d = skb_dequeue(&q);
                CHECK(d == s[i]);
                CHECK(d->next == NULL && d->prev == NULL);
                CHECK_EQ(q.qlen, 3u - (uint32_t)i);
                if (i < 3)
                        CHECK(q.first == s[i + 1] && q.first->prev == NULL);
                consume_skb(d);
        }
        CHECK(q.first == NULL && q.last == NULL);
        CHECK(skb_dequeue(&q) == NULL);
        free_net(net);
}

static void queue_splice_tail_appends_and_empties_source(void)
{
        struct net *net = new_net();
        struct sk_buff_head a, b;
        skb_queue_init(&a);
        skb_queue_init(&b);
        struct sk_buff *s[5];
        for (int i = 0; i < 5; i++) {
                s[i] = alloc_skb(net, 64);
                CHECK(s[i]);
                s[i]->mark = (uint32_t)i;
                skb_queue_tail(i < 2 ? &a : &b, s[i]);
        }
        /* splicing an empty queue changes nothing */
        struct sk_buff_head e;
        skb_queue_init(&e);
        skb_queue_splice_tail(&e, &a);
        CHECK_EQ(a.qlen, 2);
        CHECK(a.last == s[1]);

        skb_queue_splice_tail(&b, &a);
        CHECK_EQ(a.qlen, 5);
        CHECK_EQ(b.qlen, 0);
        CHECK(b.first == NULL && b.last == NULL);
        CHECK(a.first == s[0] && a.last == s[4]);
        CHECK(s[1]->next == s[2] && s[2]->prev == s[1]);

        /* into an empty queue */
        skb_queue_splice_tail(&a, &e);
        CHECK_EQ(e.qlen, 5);
        CHECK_EQ(a.qlen, 0);
        CHECK(e.first == s[0] && e.last == s[4]);
        for (int i = 0; i < 5; i++) {
                struct sk_buff *d = skb_dequeue(&e);
                CHECK(d == s[i]);
                CHECK_EQ(d->mark, (uint32_t)i);
                consume_skb(d);
        }
        free_net(net);
}

static void queue_purge_counts_each_drop(void)
{
        struct net *net = new_net();
        struct sk_buff_head q;
        skb_queue_init(&q);
        for (int i = 0; i < 3; i++)
                skb_queue_tail(&q, alloc_skb(net, 10));
        skb_queue_purge_reason(net, &q, SKB_DROP_REASON_QDISC_DROP);
        CHECK_EQ(q.qlen, 0);
        CHECK(q.first == NULL && q.last == NULL);
        CHECK_EQ(net->drops[SKB_DROP_REASON_QDISC_DROP], 3);
        free_net(net);
}

static void pool_reuses_freed_memory(void)
{
        struct net *net = new_net();
        struct sk_buff *skb = alloc_skb(net, 100);
        CHECK(skb);
        struct sk_buff *head = skb;
        struct skb_data *buf = skb->shared;
        skb_put(skb, 50);
        skb->mark = 99;
        skb_reset_network_header(skb);
        consume_skb(skb);
        CHECK_EQ(skb_pool_outstanding(net->pool), 0);

        skb = alloc_skb(net, 100);
        CHECK(skb == head);
        CHECK(skb->shared == buf);
        /* recycled, but reset to a fresh state */
        CHECK_EQ(skb->len, 0);
        CHECK_EQ(skb->mark, 0);
        CHECK(skb->data == skb->head);
        CHECK_EQ(skb->network_header, SKB_NO_HDR);
        CHECK_EQ(atomic_load(&skb->shared->refcnt), 1);
        CHECK_EQ(skb_pool_outstanding(net->pool), 2);

        /* a large buffer does not come back as a small one */
        struct sk_buff *l = alloc_skb(net, 5000);
        CHECK(l);
        struct skb_data *lbuf = l->shared;
        CHECK(lbuf != buf);
        consume_skb(l);
        consume_skb(skb);
        struct sk_buff *s = alloc_skb(net, 10);
        CHECK(s->shared == buf);
        l = alloc_skb(net, 5000);
        CHECK(l->shared == lbuf);
        consume_skb(s);
        consume_skb(l);
        free_net(net);
}

#define XTHREAD_N 64

struct xthread_arg {
        struct sk_buff *skbs[XTHREAD_N];
};

static void *free_all(void *p)
{
        struct xthread_arg *a = p;
        for (int i = 0; i < XTHREAD_N; i++)
                consume_skb(a->skbs[i]);
        return NULL;
}

static void frees_from_another_thread_return_to_pool(void)
{
        struct net *net = new_net();
        static struct xthread_arg arg;
        struct sk_buff *heads[XTHREAD_N];
        struct skb_data *bufs[XTHREAD_N];
        for (int i = 0; i < XTHREAD_N; i++) {
                arg.skbs[i] = alloc_skb(net, i % 2 ? 100 : 4000);
                CHECK(arg.skbs[i]);
                heads[i] = arg.skbs[i];
                bufs[i] = arg.skbs[i]->shared;
        }
        /* clones too: the last reference may be dropped on either side */
        struct sk_buff *clone = skb_clone(net, arg.skbs[0]);
        CHECK(clone);
        uintptr_t clone_head = (uintptr_t)clone;
        CHECK_EQ(skb_pool_outstanding(net->pool), 2 * XTHREAD_N + 1);
        pthread_t th;
        CHECK_EQ(pthread_create(&th, NULL, free_all, &arg), 0);
        CHECK_EQ(pthread_join(th, NULL), 0);
        /* the clone's head and the buffer it still holds */
        CHECK_EQ(skb_pool_outstanding(net->pool), 2);
        CHECK_EQ(atomic_load(&clone->shared->refcnt), 1);
        consume_skb(clone);
        CHECK_EQ(skb_pool_outstanding(net->pool), 0);

        /* the owner takes them back: no new memory for the same workload */
        struct sk_buff *again[XTHREAD_N];
        for (int i = 0; i < XTHREAD_N; i++) {
                again[i] = alloc_skb(net, i % 2 ? 100 : 4000);
                CHECK(again[i]);
                bool head_known = (uintptr_t)again[i] == clone_head, buf_known = false;
                for (int j = 0; j < XTHREAD_N; j++) {
                        head_known |= again[i] == heads[j];
                        buf_known |= again[i]->shared == bufs[j];
                }
                CHECK(head_known);
                CHECK(buf_known);
        }
        for (int i = 0; i < XTHREAD_N; i++)
                consume_skb(again[i]);
        free_net(net);
}

/* Owner allocating while another thread frees at the same time: the return
 * lists are pushed to concurrently with the owner taking them back. */
struct handoff {
        pthread_mutex_t lock;
        struct sk_buff_head q;
        bool done;
        long freed;
};

static void *drain(void *p)
{
        struct handoff *h = p;
        for (;;) {
                pthread_mutex_lock(&h->lock);
                struct sk_buff_head batch = h->q;
                skb_queue_init(&h->q);
                bool done = h->done;
                pthread_mutex_unlock(&h->lock);
                struct sk_buff *skb;
                while ((skb = skb_dequeue(&batch))) {
                        consume_skb(skb);
                        h->freed++;
                }
                if (done && !batch.qlen) {
                        pthread_mutex_lock(&h->lock);
                        bool empty = h->q.qlen == 0;
                        pthread_mutex_unlock(&h->lock);
                        if (empty)
                                return NULL;
                }
        }
}

static void concurrent_remote_frees_while_owner_allocates(void)
{
        struct net *net = new_net();
        static struct handoff h;
        pthread_mutex_init(&h.lock, NULL);
        skb_queue_init(&h.q);
        h.done = false;
        h.freed = 0;
        pthread_t th;
        CHECK_EQ(pthread_create(&th, NULL, drain, &h), 0);
        const long total = 20000;
        for (long i = 0; i < total; i++) {
                struct sk_buff *skb = alloc_skb(net, i % 3 ? 200 : 3000);
                CHECK(skb);
                skb_put(skb, 100)[0] = (uint8_t)i;
                pthread_mutex_lock(&h.lock);
                skb_queue_tail(&h.q, skb);
                pthread_mutex_unlock(&h.lock);
        }
        pthread_mutex_lock(&h.lock);
        h.done = true;
        pthread_mutex_unlock(&h.lock);
        CHECK_EQ(pthread_join(th, NULL), 0);
        CHECK_EQ(h.freed, total);
        pthread_mutex_destroy(&h.lock);
        free_net(net);
}

static int consumed_by_dummy;

static int dummy_xmit(struct sk_buff *skb, struct net_device *dev)
{
        consumed_by_dummy++;
        dev_sw_tx_ok(dev, skb->len);
        consume_skb(skb);
        return NETDEV_TX_OK;
}

static const struct net_device_ops dummy_ops = {
        .ndo_start_xmit = dummy_xmit,
};

static void drops_counted_per_namespace_and_device(void)
{
        struct net *net = new_net();
        struct net_device *dev = NULL;
        CHECK_EQ(netdev_register(net, "dummy%d", &dummy_ops, NULL, &dev), 0);
        CHECK_STR(dev->name, "dummy0");

        struct sk_buff *skb = alloc_skb(net, 10);
        kfree_skb_reason(net, skb, SKB_DROP_REASON_NOMEM);
        CHECK_EQ(net->drops[SKB_DROP_REASON_NOMEM], 1);
        CHECK_EQ(dev->drops[SKB_DROP_REASON_NOMEM], 0);

        skb = alloc_skb(net, 10);
        skb->dev = dev;
        kfree_skb_reason(net, skb, SKB_DROP_REASON_NOMEM);
        CHECK_EQ(net->drops[SKB_DROP_REASON_NOMEM], 2);
        CHECK_EQ(dev->drops[SKB_DROP_REASON_NOMEM], 1);
        for (int r = 0; r < SKB_DROP_REASON_MAX; r++)
                if (r != SKB_DROP_REASON_NOMEM) {
                        CHECK_EQ(net->drops[r], 0);
                        CHECK_EQ(dev->drops[r], 0);
                }
        /* NULL is not a packet */
        kfree_skb_reason(net, NULL, SKB_DROP_REASON_NOMEM);
        consume_skb(NULL);
        CHECK_EQ(net->drops[SKB_DROP_REASON_NOMEM], 2);

        /* a drop in the transmit path: device down */
        skb = alloc_skb_tx(net, 20);
        skb_put(skb, 20);
        skb->dev = dev;
        dev_queue_xmit(skb);
        CHECK_EQ(consumed_by_dummy, 0);
        CHECK_EQ(net->drops[SKB_DROP_REASON_DEV_READY], 1);
        CHECK_EQ(dev->drops[SKB_DROP_REASON_DEV_READY], 1);
        CHECK_EQ(dev->stats.tx_dropped, 1);

        /* up: the driver consumes it, nothing is dropped */
        CHECK_EQ(dev_open(dev), 0);
        skb = alloc_skb_tx(net, 20);
        skb_put(skb, 20);
        skb->dev = dev;
        dev_queue_xmit(skb);
        CHECK_EQ(consumed_by_dummy, 1);
        CHECK_EQ(dev->stats.tx_packets, 1);
        CHECK_EQ(dev->stats.tx_bytes, 20);
        CHECK_EQ(net->drops[SKB_DROP_REASON_DEV_READY], 1);
        CHECK_EQ(skb_pool_outstanding(net->pool), 0);

        /* counters belong to their namespace */
        struct net *other = new_net();
        skb = alloc_skb(net, 10);
        kfree_skb_reason(other, skb, SKB_DROP_REASON_OTHERHOST);
        CHECK_EQ(other->drops[SKB_DROP_REASON_OTHERHOST], 1);
        CHECK_EQ(net->drops[SKB_DROP_REASON_OTHERHOST], 0);
        free_net(other);
        free_net(net);
}

static void pool_outlives_namespace_until_last_free(void)
{
        struct net *a = new_net();
        struct sk_buff *skb = alloc_skb(a, 100);
        CHECK(skb);
        fill(skb, 100, 0);
        struct skb_pool *p = a->pool;
        forget(a);
        net_free(a); /* the packet is still out (in another namespace, say) */
        CHECK_EQ(skb_pool_outstanding(p), 2);
        CHECK_EQ(skb->data[99], 99);
        consume_skb(skb); /* the last free releases the pool (ASan checks) */
}

/* CHECKSUM_PARTIAL: skb_checksum_help writes the sum a device would,
 * making a shared buffer private first so the other holder is untouched. */
static void checksum_help_fills_partial_sum_on_a_private_buffer(void)
{
        struct net *net = new_net();
        struct sk_buff *skb = alloc_skb_tx(net, 21);
        CHECK(skb);
        unsigned char *seg = skb_put(skb, 21); /* a 4-byte "header" + 17 bytes */
        for (int i = 0; i < 21; i++)
                seg[i] = (unsigned char)(i * 37 + 5);
        seg[2] = seg[3] = 0;
        uint32_t pseudo = 0x1234;                 /* stands for the pseudo-header */
        put_be16(seg + 2, (uint16_t)~csum_fold(pseudo));
        skb_set_csum_partial(skb, (uint32_t)(seg - skb->head), 2);
        unsigned char zeroed[21];
        memcpy(zeroed, seg, 21);
        zeroed[2] = zeroed[3] = 0;
        uint16_t want = csum_fold(csum_partial(zeroed, 21, pseudo));
        CHECK_EQ(skb_csum_partial_value(skb), want);

        struct sk_buff *c = skb_clone(net, skb);
        CHECK(c);
        CHECK_EQ(skb_checksum_help(net, c), 0);
        CHECK(!c->csum_partial);
        CHECK(!skb_cloned(c) && !skb_cloned(skb));
        CHECK_EQ(get_be16(c->data + 2), want);
        /* the sum over the filled-in segment plus the pseudo-header is 0 */
        CHECK_EQ(csum_fold(csum_partial(c->data, 21, pseudo)), 0);
        CHECK_EQ(get_be16(skb->data + 2), (uint16_t)~csum_fold(pseudo)); /* untouched */
        CHECK(skb->csum_partial);
        /* not shared, and not partial: nothing to do */
        CHECK_EQ(skb_checksum_help(net, c), 0);
        CHECK_EQ(get_be16(c->data + 2), want);
        consume_skb(c);
        consume_skb(skb);
        CHECK_EQ(skb_pool_outstanding(net->pool), 0);
}

TEST_MAIN(T(alloc_small_and_large_buffers), T(alloc_beyond_large_size_returns_null),
          T(alloc_tx_reserves_headroom), T(alloc_tx_huge_payload_returns_null),
          T(push_pull_put_trim_arithmetic), T(pull_beyond_len_returns_null_and_changes_nothing),
          T(push_and_put_past_the_buffer_abort), T(header_offsets_survive_push_and_pull),
          T(clone_shares_data_and_refcount),
          T(checksum_help_fills_partial_sum_on_a_private_buffer), T(unshare_makes_private_copy_leaving_clone_untouched),
          T(unshare_large_clone_keeps_large_buffer), T(copy_is_private_with_same_layout),
          T(copy_into_another_namespace_pool), T(queue_tail_and_dequeue_are_fifo),
          T(queue_splice_tail_appends_and_empties_source), T(queue_purge_counts_each_drop),
          T(pool_reuses_freed_memory), T(frees_from_another_thread_return_to_pool),
          T(concurrent_remote_frees_while_owner_allocates),
          T(drops_counted_per_namespace_and_device), T(pool_outlives_namespace_until_last_free))
