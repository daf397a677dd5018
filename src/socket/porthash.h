/*
 * A table of sockets by local port (Linux's bhash for TCP, udptable for
 * UDP): chained through sk->hash_next (and back through sk->hash_pprev, so
 * a socket leaves in constant time), doubling when it holds twice as many
 * sockets as buckets, each entry holding a reference.
 */
#ifndef STRATA_SOCKET_PORTHASH_H
#define STRATA_SOCKET_PORTHASH_H

#include <stdbool.h>
#include <stdint.h>

struct sock;

struct port_hash {
        struct sock **buckets;
        uint32_t mask;
        uint32_t count;
};

int port_hash_init(struct port_hash *h); /* 0 or -ENOMEM */
void port_hash_free(struct port_hash *h); /* the table only: empty it first */
struct sock **port_hash_bucket(const struct port_hash *h, uint16_t port);
/* Add sk under sk->num, taking a reference. */
void port_hash_add(struct port_hash *h, struct sock *sk);
/* Remove sk, clear sk->num and drop the table's reference (no-op when
 * sk->num is 0 or sk is not there). */
void port_hash_del(struct port_hash *h, struct sock *sk);

#endif
