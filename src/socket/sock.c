/*
 * Generic socket mechanics: allocation and references, receive-queue and
 * send-side memory accounting, wake-ups, and the SOL_SOCKET options.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "core/trace.h"
#include "socket/epoll.h"
#include "socket/errqueue.h"
#include "socket/sock.h"
#include "socket/sockns.h"

struct sock *sk_alloc(struct net *net, int family, int type, int protocol,
                      const struct proto *prot, int *err)
{
        /* one allocation for the socket and its protocol's state */
        _Static_assert(sizeof(struct sock) % 8 == 0,
                       "protocol state after struct sock must stay aligned");
        struct sock *sk = calloc(1, sizeof(*sk) + prot->obj_size);
        if (!sk) {
                *err = -ENOBUFS;
                return NULL;
        }
        if (prot->obj_size)
                sk->proto_data = sk + 1;
        sk->net = net;
        sk->prot = prot;
        atomic_init(&sk->refcnt, 1);
        atomic_init(&sk->rmem_alloc, 0);
        atomic_init(&sk->wmem_alloc, 0);
        atomic_init(&sk->wake_queued, false);
        atomic_init(&sk->dead, false);
        sk->family = family;
        sk->type = type;
        sk->protocol = protocol;
        sk->state = TCP_CLOSE;
        sk->rcvbuf = net->core.rmem_default;
        sk->sndbuf = net->core.wmem_default;
        sk->uc_ttl = -1;
        sk->uid = net->socks->uid;
        skb_queue_init(&sk->receive_queue);
        *err = prot->init ? prot->init(sk) : 0;
        if (*err) {
                free(sk);
                return NULL;
        }
        return sk;
}

void sock_hold(struct sock *sk)
{
        atomic_fetch_add_explicit(&sk->refcnt, 1, memory_order_relaxed);
}

void sock_put(struct sock *sk)
{
        if (atomic_fetch_sub_explicit(&sk->refcnt, 1, memory_order_acq_rel) != 1)
                return;
        /* last reference: nothing is queued or charged any more */
        if (sk->prot->destroy)
                sk->prot->destroy(sk);
        sock_errq_free(sk);
        free(sk);
}

int sock_queue_rcv_skb(struct sock *sk, struct sk_buff *skb)
{
        /* __udp_enqueue_schedule_skb: refuse once the charge is past
         * sk_rcvbuf, so the last datagram accepted may overshoot it */
        if (atomic_load_explicit(&sk->rmem_alloc, memory_order_relaxed) > sk->rcvbuf)
                return -ENOBUFS;
        atomic_fetch_add_explicit(&sk->rmem_alloc, (int)skb_truesize(skb), memory_order_relaxed);
        skb_queue_tail(&sk->receive_queue, skb);
        sock_wake(sk);
        return 0;
}

struct sk_buff *sock_dequeue(struct sock *sk)
{
        struct sk_buff *skb = skb_dequeue(&sk->receive_queue);
        if (skb)
                atomic_fetch_sub_explicit(&sk->rmem_alloc, (int)skb_truesize(skb),
                                          memory_order_relaxed);
        return skb;
}

/* Run by the namespace that owns the sockets: wake those whose send side
 * was freed on another thread. */
static void sock_deferred_wakes(struct net *net)
{
        struct sock *sk = atomic_exchange(&net->socks->deferred_wake, NULL);
        while (sk) {
                struct sock *next = sk->wake_next;
                atomic_store(&sk->wake_queued, false);
                sock_wake(sk);
                sock_put(sk);
                sk = next;
        }
}

/* skb destructor (sock_wfree): give the send-side charge back.  The last
 * skb of a full send buffer wakes writers: at once on the owner's thread,
 * otherwise through the owner's deferred work. */
static void sock_wfree(struct sk_buff *skb)
{
        struct sock *sk = skb->sk;
        int before = atomic_fetch_sub_explicit(&sk->wmem_alloc, (int)skb_truesize(skb),
                                               memory_order_acq_rel);
        bool was_full = before >= sk->sndbuf;
        if (was_full && !atomic_load(&sk->dead)) {
                struct net *net = sk->net;
                if (net == net_running) {
                        sock_wake(sk);
                } else if (!atomic_exchange(&sk->wake_queued, true)) {
                        sock_hold(sk);
                        struct sock_ns *ns = net->socks;
                        struct sock *old = atomic_load(&ns->deferred_wake);
                        do
                                sk->wake_next = old;
                        while (!atomic_compare_exchange_weak(&ns->deferred_wake, &old, sk));
                        net->deferred = sock_deferred_wakes;
                        atomic_store_explicit(&net->deferred_pending, true, memory_order_release);
                        net_wake(net);
                }
        }
        sock_put(sk);
}

void skb_set_owner_w(struct sk_buff *skb, struct sock *sk)
{
        sock_hold(sk);
        skb->sk = sk;
        skb->destructor = sock_wfree;
        atomic_fetch_add_explicit(&sk->wmem_alloc, (int)skb_truesize(skb), memory_order_relaxed);
}

void sock_wake(struct sock *sk)
{
        struct sock_ns *ns = sk->net->socks;
        if (!ns)
                return; /* the namespace's socket layer is gone: nobody waits */
        ns->changes++;
        if (ns->waiters)
                pthread_cond_broadcast(&ns->cond);
        if (sk->epitems)
                ep_sock_wake(sk);
}

void sock_set_err(struct sock *sk, int err)
{
        sk->err = err;
        sock_wake(sk);
}

bool msg_iov_ok(const struct msghdr *msg, size_t len)
{
        size_t done = 0;
        for (size_t i = 0; done < len && i < (size_t)msg->msg_iovlen; i++) {
                if (msg->msg_iov[i].iov_len && !msg->msg_iov[i].iov_base)
                        return false;
                done += msg->msg_iov[i].iov_len;
        }
        return true;
}

int sock_error(struct sock *sk)
{
        int e = sk->err;
        sk->err = 0;
        return e;
}

unsigned sock_poll_mask(struct sock *sk)
{
        if (sk->prot->poll)
                return sk->prot->poll(sk);
        unsigned mask = 0;
        if (sk->err || sock_errq_pending(sk))
                mask |= POLLERR;
        if (sk->shutdown == (RCV_SHUTDOWN | SEND_SHUTDOWN))
                mask |= POLLHUP;
        if (sk->shutdown & RCV_SHUTDOWN)
                mask |= POLLIN | POLLRDNORM | POLLRDHUP;
        if (sk->receive_queue.qlen)
                mask |= POLLIN | POLLRDNORM;
        if (!(sk->shutdown & SEND_SHUTDOWN)) {
                if (!sk->prot->writable || sk->prot->writable(sk))
                        mask |= POLLOUT | POLLWRNORM | POLLWRBAND;
        } else {
                mask |= POLLOUT | POLLWRNORM | POLLWRBAND; /* a write fails at once */
        }
        return mask;
}

/* --- SOL_SOCKET ----------------------------------------------------------- */

static int get_int(const void *val, socklen_t len, int *out)
{
        if (len < (socklen_t)sizeof(int))
                return -EINVAL;
        memcpy(out, val, sizeof(int));
        return 0;
}

static int put_int(void *val, socklen_t *len, int v)
{
        if ((int)*len < 0 || (size_t)*len > sizeof(int))
                *len = sizeof(int);
        if (*len < (socklen_t)sizeof(int)) {
                /* Linux copies what fits of the int (sock_getsockopt: lv) */
                memcpy(val, &v, (size_t)*len);
                return 0;
        }
        memcpy(val, &v, sizeof(int));
        *len = sizeof(int);
        return 0;
}

static int set_timeo(uint64_t *t, const void *val, socklen_t len)
{
        struct timeval tv;
        if (len < (socklen_t)sizeof(tv))
                return -EINVAL;
        memcpy(&tv, val, sizeof(tv));
        if (tv.tv_usec < 0 || tv.tv_usec >= 1000000)
                return -EDOM;
        if (tv.tv_sec < 0) {
                *t = 1; /* a negative timeout: do not wait (sock_set_timeout) */
                return 0;
        }
        *t = (uint64_t)tv.tv_sec * 1000000000ull + (uint64_t)tv.tv_usec * 1000ull;
        return 0;
}

static int get_timeo(uint64_t t, void *val, socklen_t *len)
{
        struct timeval tv = { 0 };
        if (t) {
                tv.tv_sec = (time_t)(t / 1000000000ull);
                tv.tv_usec = (suseconds_t)((t % 1000000000ull) / 1000);
        }
        if (*len < (socklen_t)sizeof(tv))
                return -EINVAL;
        memcpy(val, &tv, sizeof(tv));
        *len = sizeof(tv);
        return 0;
}

int sock_setsockopt(struct sock *sk, int name, const void *val, socklen_t len)
{
        struct net *net = sk->net;
        int v = 0;
        if (name == SO_RCVTIMEO || name == SO_SNDTIMEO)
                return set_timeo(name == SO_RCVTIMEO ? &sk->rcvtimeo : &sk->sndtimeo, val, len);
        if (name == SO_BINDTODEVICE) {
                char ifname[IFNAMSIZ + 1] = { 0 };
                size_t n = len > IFNAMSIZ ? IFNAMSIZ : (size_t)len;
                memcpy(ifname, val, n);
                if (!ifname[0]) {
                        sk->bound_dev_if = 0;
                        return 0;
                }
                struct net_device *dev = dev_get_by_name(net, ifname);
                if (!dev)
                        return -ENODEV;
                sk->bound_dev_if = dev->ifindex;
                return 0;
        }
        if (name == SO_LINGER) {
                struct linger l;
                if (len < (socklen_t)sizeof(l))
                        return -EINVAL;
                memcpy(&l, val, sizeof(l));
                sk->linger_onoff = l.l_onoff;
                sk->linger_secs = l.l_linger;
                return 0;
        }
        int err = get_int(val, len, &v);
        if (err)
                return err;
        switch (name) {
        case SO_ZEROCOPY:
        case SO_TIMESTAMPING:
                return sock_errq_setsockopt(sk, name, v);
        case SO_OOBINLINE:
                sk->urginline = v != 0;
                return 0;
        case SO_TIMESTAMP_OLD:
        case SO_TIMESTAMPNS_OLD:
                /* sock_set_timestamp: the later option picks the format */
                sk->rcvtstamp = v != 0;
                sk->rcvtstampns = v && name == SO_TIMESTAMPNS_OLD;
                return 0;
        case SO_REUSEADDR:
                sk->reuse = v != 0;
                return 0;
        case SO_REUSEPORT:
                sk->reuseport = v != 0;
                return 0;
        case SO_BROADCAST:
                sk->broadcast = v != 0;
                return 0;
        case SO_KEEPALIVE:
                sk->keepalive = v != 0;
                if (sk->prot->keepalive)
                        sk->prot->keepalive(sk);
                return 0;
        case SO_DONTROUTE:
                sk->dontroute = v != 0;
                return 0;
        case SO_PRIORITY:
                if (v < 0 || v > 6)
                        return -EPERM; /* above 6 needs CAP_NET_ADMIN */
                sk->priority = v;
                return 0;
        case SO_MARK:
                sk->mark = v;
                return 0;
        case SO_RCVBUF:
        case SO_RCVBUFFORCE: {
                /* sock_setsockopt: min(val, rmem_max), doubled for overhead */
                unsigned u = (unsigned)v;
                if (name == SO_RCVBUF && u > (unsigned)net->core.rmem_max)
                        u = (unsigned)net->core.rmem_max;
                if (u > INT32_MAX / 2)
                        u = INT32_MAX / 2;
                sk->userlocks |= SOCK_RCVBUF_LOCK;
                sk->rcvbuf = MAX((int)(u * 2), SOCK_MIN_RCVBUF);
                return 0;
        }
        case SO_SNDBUF:
        case SO_SNDBUFFORCE: {
                unsigned u = (unsigned)v;
                if (name == SO_SNDBUF && u > (unsigned)net->core.wmem_max)
                        u = (unsigned)net->core.wmem_max;
                if (u > INT32_MAX / 2)
                        u = INT32_MAX / 2;
                sk->userlocks |= SOCK_SNDBUF_LOCK;
                sk->sndbuf = MAX((int)(u * 2), SOCK_MIN_SNDBUF);
                sock_wake(sk);
                return 0;
        }
        default:
                return -ENOPROTOOPT;
        }
}

int sock_getsockopt(struct sock *sk, int name, void *val, socklen_t *len)
{
        if ((int)*len < 0)
                return -EINVAL;
        int v;
        switch (name) {
        case SO_ZEROCOPY:
        case SO_TIMESTAMPING:
                sock_errq_getsockopt(sk, name, &v);
                return put_int(val, len, v);
        case SO_OOBINLINE:
                return put_int(val, len, sk->urginline);
        case SO_TIMESTAMP_OLD:
                return put_int(val, len, sk->rcvtstamp && !sk->rcvtstampns);
        case SO_TIMESTAMPNS_OLD:
                return put_int(val, len, sk->rcvtstampns);
        case SO_TYPE:
                return put_int(val, len, sk->type);
        case SO_DOMAIN:
                return put_int(val, len, sk->family);
        case SO_PROTOCOL:
                return put_int(val, len, sk->protocol);
        case SO_ERROR:
                return put_int(val, len, sock_error(sk));
        case SO_REUSEADDR:
                return put_int(val, len, sk->reuse);
        case SO_REUSEPORT:
                return put_int(val, len, sk->reuseport);
        case SO_BROADCAST:
                return put_int(val, len, sk->broadcast);
        case SO_KEEPALIVE:
                return put_int(val, len, sk->keepalive);
        case SO_DONTROUTE:
                return put_int(val, len, sk->dontroute);
        case SO_PRIORITY:
                return put_int(val, len, sk->priority);
        case SO_MARK:
                return put_int(val, len, sk->mark);
        case SO_RCVBUF:
                return put_int(val, len, sk->rcvbuf);
        case SO_SNDBUF:
                return put_int(val, len, sk->sndbuf);
        case SO_ACCEPTCONN:
                return put_int(val, len, sk->state == TCP_LISTEN);
        case SO_RCVTIMEO:
                return get_timeo(sk->rcvtimeo, val, len);
        case SO_SNDTIMEO:
                return get_timeo(sk->sndtimeo, val, len);
        case SO_LINGER: {
                struct linger l = { .l_onoff = sk->linger_onoff, .l_linger = sk->linger_secs };
                if (*len < (socklen_t)sizeof(l))
                        return -EINVAL;
                memcpy(val, &l, sizeof(l));
                *len = sizeof(l);
                return 0;
        }
        case SO_BINDTODEVICE: {
                struct net_device *dev =
                        sk->bound_dev_if ? dev_get_by_index(sk->net, sk->bound_dev_if) : NULL;
                const char *n = dev ? dev->name : "";
                size_t need = strlen(n) + 1;
                if (!dev) {
                        *len = 0;
                        return 0;
                }
                if ((size_t)*len < need)
                        return -EINVAL;
                memcpy(val, n, need);
                *len = (socklen_t)need;
                return 0;
        }
        default:
                return -ENOPROTOOPT;
        }
}
