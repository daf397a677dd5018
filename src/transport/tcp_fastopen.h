/*
 * TCP Fast Open (RFC 7413) as Linux does it (net/ipv4/tcp_fastopen.c):
 * the server side (tcp_fastopen.c: cookies, the listener's Fast Open queue,
 * children made from a SYN that carries data, socket options, sysctls),
 * the client side (tcp_fastopen_client.c: MSG_FASTOPEN, TCP_FASTOPEN_CONNECT,
 * the cookie cache), and the hooks the rest of TCP calls.
 */
#ifndef STRATA_TRANSPORT_TCP_FASTOPEN_H
#define STRATA_TRANSPORT_TCP_FASTOPEN_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "core/siphash.h"

struct net;
struct sock;
struct sk_buff;
struct tcp_repr;
struct tcp_options;

/* net.ipv4.tcp_fastopen bits (Linux's TFO_*) */
#define TFO_CLIENT_ENABLE          0x1
#define TFO_SERVER_ENABLE          0x2
#define TFO_CLIENT_NO_COOKIE       0x4   /* data in SYN without a cookie */
#define TFO_SERVER_COOKIE_NOT_REQD 0x200 /* accept SYN data without a cookie */
#define TFO_SERVER_WO_SOCKOPT1     0x400 /* every listener, without TCP_FASTOPEN */

#define TCP_FASTOPEN_COOKIE_SIZE 8  /* what Strata and Linux servers give out */
#define TCP_FASTOPEN_KEY_LENGTH  16 /* one SipHash key */
#define TCP_FASTOPEN_KEY_MAX     2  /* primary and backup */

/* The keys cookies are made with: the namespace's (tcp_fastopen_key) or a
 * listener's own (TCP_FASTOPEN_KEY).  The first makes cookies; both are
 * accepted, so keys can be rotated. */
struct tcp_fastopen_ctx {
        struct siphash_key key[TCP_FASTOPEN_KEY_MAX];
        int nkeys;
};

/* The client's cookie cache, per destination (Linux keeps it in the TCP
 * metrics: tcp_fastopen_cache_get/_set). */
#define TCP_FASTOPEN_CACHE_SIZE 64
struct tcp_fastopen_cache {
        uint32_t daddr;  /* 0: free */
        uint64_t used;   /* ns, for replacing the least recently used */
        uint16_t mss;    /* the server's MSS (bounds the data in a SYN) */
        uint8_t len;     /* cookie bytes (0: none yet) */
        bool exp;        /* the server used the experimental option */
        uint8_t try_exp; /* no cookie came: 1 ask with the experimental option, 2 with 34 */
        uint8_t cookie[16];
};

/* Per namespace. */
struct tcp_fastopen_net {
        struct tcp_fastopen_ctx ctx; /* nkeys 0: none yet (one is drawn on first use) */
        char *keystr;                /* the sysctl's text, kept as the kernel shows it */
        size_t keycap;
        struct tcp_fastopen_cache cache[TCP_FASTOPEN_CACHE_SIZE];
};

/* Per socket, inside struct tcp_sock. */
struct tcp_fastopen_sock {
        struct tcp_fastopen_ctx *ctx; /* TCP_FASTOPEN_KEY (owned), or NULL */
        struct sock *listener;        /* passive child in SYN_RECV: whose qlen counts it */
        const void *wait_base;        /* client: a blocking send waiting for its
                                       * connection, with this buffer (its first) */
        const struct msghdr *req_msg; /* client: the data for the SYN, during one call */
        size_t wait_len;              /* ... the waiting send's length */
        size_t req_len;
        uint32_t max_qlen;            /* listener: Fast Open queue size (0: off) */
        uint32_t qlen;                /* listener: Fast Open children in SYN_RECV */
        uint32_t copied;              /* client: bytes the SYN carried */
        /* the Fast Open option the next SYN or SYN-ACK carries (len 0: a
         * cookie request) */
        uint8_t opt_val[16];
        uint8_t opt_len;
        bool opt_pending : 1, opt_exp : 1;
        bool passive : 1;             /* a child made by Fast Open (Linux's fastopen_rsk) */
        bool syn_data_acked : 1;      /* tcpi_options TCPI_OPT_SYN_DATA */
        bool no_cookie : 1;           /* TCP_FASTOPEN_NO_COOKIE */
        bool connect : 1;             /* TCP_FASTOPEN_CONNECT */
        /* client */
        bool req : 1;                 /* the SYN being sent is a Fast Open one */
        bool defer_connect : 1;       /* connect() returned: the SYN waits for data */
        bool syn_fastopen : 1, syn_exp : 1; /* the SYN carried the option */
        bool syn_data : 1;            /* ... and data */
        bool wait : 1;                /* a blocking send waits for its connection */
        bool write_pending : 1;       /* ... with more data to send once connected */
};

/* What tcp_fo() reads for a socket that never used Fast Open. */
extern const struct tcp_fastopen_sock tcp_fastopen_none;

/* tcp_fastopen_add_skb: the data a SYN or SYN-ACK carried, starting at
 * seq, is in sequence: queued to read at once (sk owns skb after). */
void tcp_fastopen_add_skb(struct sock *sk, struct sk_buff *skb, uint32_t seq);

/* sk's Fast Open state, made on first use; NULL when out of memory. */
struct tcp_fastopen_sock *tcp_fastopen_get(struct sock *sk);

/* Register net.ipv4.tcp_fastopen_key (validated, "%08x-%08x-%08x-%08x"
 * with an optional ",backup") and tcp_fastopen_blackhole_timeout_sec. */
int tcp_fastopen_sysctls_init(struct net *net, struct tcp_fastopen_net *fn, char *keybuf,
                              size_t keycap, int *blackhole_timeout);

/* The cookie for a client at saddr talking to daddr (host byte order, as Strata keeps addresses)
 * under the key string: SipHash-2-4 of the two
 * addresses, little-endian, 8 bytes -- what a Linux server with that key
 * gives out.  0, or -EINVAL for a key string Linux would refuse. */
int tcp_fastopen_cookie_for(const char *key, uint32_t saddr, uint32_t daddr,
                            uint8_t cookie[TCP_FASTOPEN_COOKIE_SIZE]);

/* LISTEN got a SYN (tcp_try_fastopen): decide whether child -- set up, not
 * yet hashed -- becomes a Fast Open child.  If so, the SYN's data is
 * queued for reading (*skbp is consumed and cleared) and true returned:
 * the caller hashes it, sends the SYN-ACK and puts it on the accept queue
 * at once (tcp_fastopen_child_ready).  Either way the cookie the SYN-ACK
 * must carry, if any, is recorded in the child. */
bool tcp_fastopen_try(struct sock *listener, struct sock *child, struct sk_buff **skbp,
                      const struct tcp_repr *th, uint32_t saddr, uint32_t daddr);
void tcp_fastopen_child_ready(struct sock *listener, struct sock *child);

/* (Re)arm a Fast Open child's SYN-ACK retransmission (its SYN-ACK is not in
 * snd_una..snd_nxt, as in Linux's tcp_fastopen_synack_timer). */
void tcp_fastopen_arm_synack_timer(struct sock *sk);

/* Options of an outgoing SYN or SYN-ACK: the Fast Open option, if due. */
void tcp_fastopen_syn_options(struct sock *sk, uint8_t flags, struct tcp_options *o);

/* The socket leaves SYN_RECV: a Fast Open child stops counting against
 * its listener's queue. */
void tcp_fastopen_synrecv_left(struct sock *sk);

/* Socket options TCP_FASTOPEN, TCP_FASTOPEN_CONNECT, TCP_FASTOPEN_KEY,
 * TCP_FASTOPEN_NO_COOKIE: 0 or -errno; -ENOPROTOOPT for another name. */
int tcp_fastopen_setsockopt(struct sock *sk, int name, const void *val, socklen_t len);
int tcp_fastopen_getsockopt(struct sock *sk, int name, void *val, socklen_t *len);

/* Client (tcp_sendmsg_fastopen, tcp_send_syn_data, tcp_rcv_fastopen_synack).
 *
 * tcp_sendmsg calls tcp_fastopen_sendmsg first when MSG_FASTOPEN is set or
 * a connect is deferred or waiting: true means it handled the call (*ret);
 * false, an ordinary send.  send is tcp_sendmsg, for the rest of a blocking
 * send once the connection is up. */
bool tcp_fastopen_sendmsg(struct sock *sk, const struct msghdr *msg, size_t len, int flags,
                          ssize_t (*send)(struct sock *, const struct msghdr *, size_t, int),
                          ssize_t *ret);
/* connect() with TCP_FASTOPEN_CONNECT and a cookie: true, the SYN waits
 * for the first write.  Without a cookie the SYN asks for one. */
bool tcp_fastopen_defer_connect(struct sock *sk);
/* tcp_connect's SYN, when it is a Fast Open one (data and/or the option):
 * sent here, true; else false and the caller sends a plain SYN. */
bool tcp_fastopen_connect_syn(struct sock *sk);
/* A SYN-ACK accepted in SYN_SENT, the socket just established: the cookie
 * and MSS go to the cache; SYN data it did not acknowledge is sent again;
 * else the SYN-ACK's own data (and FIN) is taken (*skbp consumed and
 * cleared).  0: send the ACK; 1: data goes (with the ACK); 2: a blocked
 * writer is about to send (the ACK waits for it, on the delayed-ACK timer). */
int tcp_fastopen_synack(struct sock *sk, struct sk_buff **skbp, const struct tcp_repr *th,
                        bool syn_retransmitted);

/* listen(): with TFO_SERVER_WO_SOCKOPT1 every listener gets a queue. */
void tcp_fastopen_listen(struct sock *sk, int backlog);

void tcp_fastopen_destroy(struct sock *sk);

/* Forget every cached cookie (ip tcp_metrics flush all). */
void tcp_fastopen_cache_flush(struct net *net);

/* tcp.c: the namespace's Fast Open state */
struct tcp_fastopen_net *tcp_fastopen_net(struct net *net);

#endif
