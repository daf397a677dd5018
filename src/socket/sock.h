/*
 * struct sock: the transport-independent half of a socket (Linux's struct
 * sock plus the inet fields of struct inet_sock), and struct proto, the
 * table a transport (UDP today, TCP next) fills in.
 *
 * Memory is accounted as Linux does: every skb queued to a socket charges
 * its truesize to sk_rmem_alloc, and is refused once the charge exceeds
 * sk_rcvbuf; every skb a socket sends charges sk_wmem_alloc until the skb is
 * freed (its destructor gives the charge back, on whatever thread frees it).
 * A sock is reference counted: the descriptor holds one reference, and each
 * skb charged to it another, so a socket closed while its datagrams are
 * still in flight lives until the last one is freed.
 *
 * Locking: all fields are protected by the namespace lock, except the two
 * memory counters and the reference count, which skb destructors may touch
 * from another namespace's thread.
 */
#ifndef STRATA_SOCKET_SOCK_H
#define STRATA_SOCKET_SOCK_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "core/net.h"
#include "core/skb.h"

/* sk_state: Linux's TCP states (TCP_ESTABLISHED = 1 ... TCP_CLOSING), from
 * <netinet/tcp.h>, which UDP uses too (ESTABLISHED when connected, CLOSE
 * otherwise). */

#define RCV_SHUTDOWN  1
#define SEND_SHUTDOWN 2

/* sk_userlocks */
#define SOCK_SNDBUF_LOCK   1
#define SOCK_RCVBUF_LOCK   2
#define SOCK_BINDADDR_LOCK 4
#define SOCK_BINDPORT_LOCK 8

/* Linux's minimums (x86_64): SOCK_MIN_SNDBUF and SOCK_MIN_RCVBUF. */
#define SOCK_MIN_SNDBUF 4608
#define SOCK_MIN_RCVBUF 2304

struct sock;
struct epitem;
struct msghdr;
struct sock_errq;

/* Not this layer's ioctl: the kernel's internal errno, never returned to
 * a caller (the socket layer goes on, and answers ENOTTY at the end). */
#define ENOIOCTLCMD 515

struct proto {
        const char *name;
        /* Bytes of protocol state allocated with each socket, right after
         * it (Linux's obj_size): sk->proto_data points there, zeroed, when
         * init runs.  0: the protocol allocates its own, or none. */
        size_t obj_size;
        int (*init)(struct sock *sk);
        /* Last reference gone: free what the protocol holds. */
        void (*destroy)(struct sock *sk);
        /* The descriptor is closed: leave the tables. */
        void (*close)(struct sock *sk);
        /* addr validated (AF_INET, length); port in host order, 0 = pick. */
        int (*bind)(struct sock *sk, uint32_t addr, uint16_t port);
        /* Give an unbound socket an ephemeral port (inet_autobind): done by
         * connect and sendmsg before they look at their arguments, so even
         * a call that then fails leaves the socket bound, as on Linux. */
        int (*autobind)(struct sock *sk);
        int (*connect)(struct sock *sk, uint32_t daddr, uint16_t dport);
        int (*disconnect)(struct sock *sk);
        /* Non-blocking halves; the socket layer waits and retries. */
        ssize_t (*sendmsg)(struct sock *sk, const struct msghdr *msg, size_t len, int flags);
        ssize_t (*recvmsg)(struct sock *sk, struct msghdr *msg, size_t len, int flags);
        int (*setsockopt)(struct sock *sk, int level, int name, const void *val, socklen_t len);
        int (*getsockopt)(struct sock *sk, int level, int name, void *val, socklen_t *len);
        /* Optional: SO_KEEPALIVE changed (starts or stops the timer). */
        void (*keepalive)(struct sock *sk);
        /* Optional: the protocol's ioctls (SIOCINQ, SIOCOUTQ, ...): 0 with
         * *val, a negative errno, or -ENOIOCTLCMD for one it has not. */
        int (*ioctl)(struct sock *sk, unsigned long req, int *val);
        /* Bytes FIONREAD reports (when ioctl does not answer it). */
        int (*bytes_readable)(struct sock *sk);
        /* Does sendmsg have room (POLLOUT)? */
        bool (*writable)(struct sock *sk);
        /* Optional: the protocol computes the whole poll mask itself. */
        unsigned (*poll)(struct sock *sk);
        /* Stream sockets: listen(2), and one accepted child or NULL with
         * *err (-EAGAIN while the queue is empty). */
        int (*listen)(struct sock *sk, int backlog);
        struct sock *(*accept)(struct sock *sk, int *err);
        /* connect(2) of a stream socket may go on after the call returns:
         * -EINPROGRESS; connect_done() says when it is over and how (0 or
         * -errno), for the waiting version of connect. */
        int (*connect_done)(struct sock *sk, int *result);
        int (*shutdown)(struct sock *sk, int how);
        /* Optional: end the socket from outside with error err, as
         * sock_diag's SOCK_DESTROY does (tcp_abort, udp_abort); -ENOENT
         * when it is already closed. */
        int (*diag_destroy)(struct sock *sk, int err);
        /* Optional, stream sockets: where SOF_TIMESTAMPING_OPT_ID starts
         * counting bytes (TCP: snd_una), or -EINVAL when the socket is not
         * connected or connecting. */
        int (*tskey_base)(struct sock *sk, uint32_t *key);
        /* Optional, stream sockets: splice's read (tcp_splice_read): up to
         * len bytes into buf, never past urgent data; 0 at the end of the
         * stream or stuck at the urgent mark, -EAGAIN to wait. */
        ssize_t (*read_sock)(struct sock *sk, void *buf, size_t len, bool nonblock);
};

struct sock {
        /* Ordered by size, flags as bits: part of what every socket costs. */
        struct net *net;
        const struct proto *prot;
        struct sock *hash_next;  /* protocol port table chain */
        struct sock **hash_pprev; /* ... and what points at this socket there */
        struct sock *wake_next;  /* deferred wake list (sock_ns) */
        struct epitem *epitems;  /* epoll instances watching this socket */
        void *proto_data;        /* protocol state */
        uint64_t rcvtimeo;       /* ns, 0 = wait forever */
        uint64_t sndtimeo;
        struct sock_errq *errq;  /* the error queue and the state of what feeds it
                                  * (SO_ZEROCOPY, SO_TIMESTAMPING), allocated on
                                  * first use: socket/errqueue.h */
        struct sk_buff_head receive_queue;
        atomic_int refcnt;
        int family, type, protocol;
        int err;                 /* pending error (SO_ERROR), positive errno */
        int rcvbuf, sndbuf;      /* limits, bytes */
        atomic_int rmem_alloc;   /* charged to the receive side */
        atomic_int wmem_alloc;   /* charged by skbs in flight */
        int bound_dev_if;        /* SO_BINDTODEVICE */
        int mark;                /* SO_MARK */
        int priority;            /* SO_PRIORITY */
        int linger_secs;
        uint32_t uid;            /* owner, for SO_REUSEPORT sharing */

        /* inet (Linux's inet_sock) -- host order */
        uint32_t rcv_saddr;      /* bound address (0: any) */
        uint32_t saddr;          /* source used when sending */
        uint32_t daddr;          /* connected peer */
        int uc_ttl;              /* -1: net.ipv4.ip_default_ttl */
        int pmtudisc;            /* IP_MTU_DISCOVER */
        uint16_t num;            /* local port (0: unbound) */
        uint16_t dport;
        uint8_t tos;

        uint8_t state;           /* TCP_* */
        uint8_t shutdown;        /* RCV_SHUTDOWN | SEND_SHUTDOWN */
        uint8_t userlocks;       /* SOCK_*_LOCK */
        atomic_bool wake_queued;
        atomic_bool dead;        /* descriptor closed: nobody to wake */
        bool reuse : 1, reuseport : 1, broadcast : 1, keepalive : 1, dontroute : 1;
        bool linger_onoff : 1;   /* SO_LINGER on (Linux's SOCK_LINGER flag) */
        bool pktinfo : 1, recvttl : 1, recvtos : 1, recverr : 1;
        bool freebind : 1;       /* IP_FREEBIND: bind to an address not (yet) local */
        bool urginline : 1;      /* SO_OOBINLINE: urgent data stays in the stream */
        bool rcvtstamp : 1;      /* SO_TIMESTAMP(NS): receive time cmsgs (SOCK_RCVTSTAMP) */
        bool rcvtstampns : 1;    /* ... as a timespec (SOCK_RCVTSTAMPNS) */
};

/* Allocate a socket of net with the protocol's init run; NULL or sets *err. */
struct sock *sk_alloc(struct net *net, int family, int type, int protocol,
                      const struct proto *prot, int *err);
void sock_hold(struct sock *sk);
void sock_put(struct sock *sk);

/* Truesize of an skb, what it charges to a socket. */
static inline uint32_t skb_truesize(const struct sk_buff *skb)
{
        return skb->end + (uint32_t)sizeof(struct sk_buff);
}

/*
 * Queue skb (data at the payload, cb filled by the protocol) on the receive
 * queue, charging its truesize, as __udp_enqueue_schedule_skb: refused with
 * -ENOBUFS when the receive side already holds more than sk_rcvbuf (the
 * caller drops it SOCKET_RCVBUFF).  Wakes readers.
 */
int sock_queue_rcv_skb(struct sock *sk, struct sk_buff *skb);
/* Take the first skb off the receive queue, uncharging it. */
struct sk_buff *sock_dequeue(struct sock *sk);
/* Charge skb to sk's send side; freed skbs give it back. */
void skb_set_owner_w(struct sk_buff *skb, struct sock *sk);

/* Something changed (data, room, error, state): wake waiters and epoll. */
void sock_wake(struct sock *sk);
/* Record an error (positive errno) and wake. */
void sock_set_err(struct sock *sk, int err);
/* Can the first len bytes of msg's buffers be reached?  A NULL buffer is
 * the one bad address a library can tell; where the kernel's copy would
 * fault, the protocols answer EFAULT as it does. */
bool msg_iov_ok(const struct msghdr *msg, size_t len);
/* Take and clear the pending error (SO_ERROR, and the next recv/send). */
int sock_error(struct sock *sk);

/* The poll(2) mask of a socket. */
unsigned sock_poll_mask(struct sock *sk);

/* SOL_SOCKET options common to all sockets. */
int sock_setsockopt(struct sock *sk, int name, const void *val, socklen_t len);
int sock_getsockopt(struct sock *sk, int name, void *val, socklen_t *len);

#endif
