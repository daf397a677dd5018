/* Sockets by local port: see porthash.h. */
#include <errno.h>
#include <stdlib.h>

#include "socket/porthash.h"
#include "socket/sock.h"

int port_hash_init(struct port_hash *h)
{
        h->mask = 63;
        h->count = 0;
        h->buckets = calloc(h->mask + 1, sizeof(*h->buckets));
        return h->buckets ? 0 : -ENOMEM;
}

void port_hash_free(struct port_hash *h)
{
        free(h->buckets);
        h->buckets = NULL;
}

static uint32_t slot(uint32_t mask, uint16_t port)
{
        return (((uint32_t)port * 2654435761u) >> 8) & mask;
}

struct sock **port_hash_bucket(const struct port_hash *h, uint16_t port)
{
        return &h->buckets[slot(h->mask, port)];
}

static void grow(struct port_hash *h)
{
        uint32_t mask = h->mask * 2 + 1;
        struct sock **nb = calloc(mask + 1, sizeof(*nb));
        if (!nb)
                return; /* longer chains, still correct */
        for (uint32_t i = 0; i <= h->mask; i++) {
                struct sock *sk = h->buckets[i], *next;
                for (; sk; sk = next) {
                        next = sk->hash_next;
                        struct sock **b = &nb[slot(mask, sk->num)];
                        sk->hash_next = *b;
                        if (*b)
                                (*b)->hash_pprev = &sk->hash_next;
                        *b = sk;
                        sk->hash_pprev = b;
                }
        }
        free(h->buckets);
        h->buckets = nb;
        h->mask = mask;
}

void port_hash_add(struct port_hash *h, struct sock *sk)
{
        if (h->count + 1 > (h->mask + 1) * 2)
                grow(h);
        struct sock **b = port_hash_bucket(h, sk->num);
        sk->hash_next = *b;
        if (*b)
                (*b)->hash_pprev = &sk->hash_next;
        *b = sk;
        sk->hash_pprev = b;
        h->count++;
        sock_hold(sk);
}

void port_hash_del(struct port_hash *h, struct sock *sk)
{
        if (!sk->num || !sk->hash_pprev)
                return;
        /* O(1): however many connections share the port (Linux's hlist) */
        *sk->hash_pprev = sk->hash_next;
        if (sk->hash_next)
                sk->hash_next->hash_pprev = sk->hash_pprev;
        sk->hash_next = NULL;
        sk->hash_pprev = NULL;
        h->count--;
        sk->num = 0;
        sock_put(sk);
}
