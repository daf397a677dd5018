/*
 * The TCP MD5 signature option (RFC 2385), as Linux keeps it: keys set per
 * peer address (or prefix, and device) with TCP_MD5SIG / TCP_MD5SIG_EXT;
 * every segment to a peer with a key is signed, and every segment from
 * one must carry a valid signature -- one without a key must carry none.
 */
#ifndef STRATA_TRANSPORT_TCP_MD5_H
#define STRATA_TRANSPORT_TCP_MD5_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/md5.h"

struct sock;
struct net;

#define TCP_MD5_KEY_MAX 80 /* TCP_MD5SIG_MAXKEYLEN */
#define TCPOLEN_MD5SIG  18
#define TCPOPT_MD5SIG   19

struct tcp_md5_key {
        struct tcp_md5_key *next;
        uint32_t addr;     /* host order */
        uint8_t prefixlen; /* 32 unless TCP_MD5SIG_FLAG_PREFIX */
        uint8_t keylen;
        int ifindex;       /* 0: any device (TCP_MD5SIG_FLAG_IFINDEX) */
        uint8_t key[TCP_MD5_KEY_MAX];
};

/* TCP_MD5SIG and TCP_MD5SIG_EXT (tcp_v4_parse_md5_keys): add, replace or,
 * with keylen 0, delete the key for an address.  0 or a negative errno. */
int tcp_md5_setsockopt(struct sock *sk, int name, const void *val, socklen_t len);

/* The key for segments with peer addr arriving on or leaving by ifindex:
 * the longest prefix that matches (tcp_md5_do_lookup), or NULL. */
const struct tcp_md5_key *tcp_md5_lookup(const struct sock *sk, uint32_t addr, int ifindex);

/* A listener's keys go to the child it makes (tcp_v4_syn_recv_sock). */
int tcp_md5_copy(struct sock *child, const struct sock *listener, uint32_t addr);

void tcp_md5_free(struct sock *sk);

struct tcp_options;
struct tcp_sock;
/* A segment with flags going to a peer with a key: the signature's room
 * first, and what Linux leaves out to make it fit. */
void tcp_md5_options(struct tcp_sock *tp, struct tcp_options *o, uint8_t flags);

/* The signature of a segment: the IPv4 pseudo-header, the 20-byte TCP
 * header with its checksum taken as zero (options excluded), the payload,
 * then the key (tcp_v4_md5_hash_skb).  Addresses in host order. */
void tcp_md5_sign(const struct tcp_md5_key *key, uint32_t saddr, uint32_t daddr,
                  const uint8_t *th, size_t seglen, const uint8_t *payload, size_t plen,
                  uint8_t out[MD5_DIGEST_SIZE]);

/* tcp_inbound_md5_hash: a segment (header th of hdrlen bytes, payload
 * after it) from saddr to daddr, for a socket whose key for saddr is key
 * (or NULL); opt is its MD5 option's 16 bytes (or NULL).  0 to accept,
 * else the drop reason, with TcpExt TCPMD5NotFound / TCPMD5Unexpected /
 * TCPMD5Failure counted. */
int tcp_md5_inbound(struct net *net, const struct tcp_md5_key *key, uint32_t saddr,
                    uint32_t daddr, const uint8_t *th, size_t hdrlen, const uint8_t *payload,
                    size_t plen, const uint8_t *opt);

#endif
