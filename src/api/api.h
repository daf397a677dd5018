/*
 * What the public API keeps beside a namespace: the event-loop plumbing
 * (epoll set, thread), captures, and the trace and ping adapters that turn
 * internal callbacks into the public structs.
 */
#ifndef STRATA_API_API_H
#define STRATA_API_API_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "core/net.h"
#include "strata/strata.h"

struct pcap_writer;

#define API_MAX_CAPTURES 16

struct api_capture {
        int ifindex;
        struct pcap_writer *w;
};

struct strata_net {
        struct net *net;
        struct strata_clock *own_clock; /* when the caller passed none */
        int epfd;                       /* -1 until strata_net_fd() */
        pthread_t thread;
        bool thread_running;
        atomic_bool thread_stop;
        struct api_capture captures[API_MAX_CAPTURES];
        strata_trace_fn trace_fn;
        void *trace_ctx;
        strata_ping_fn ping_fn;
        void *ping_ctx;
        /* how a caller without a namespace thread waits (socket_api.c) */
        void (*driver)(struct strata_net *sn, uint64_t deadline_ns, void *ctx);
        void *driver_ctx;
};

/* Lock / unlock the namespace for a configuration call. */
static inline struct net *api_lock(struct strata_net *sn)
{
        pthread_mutex_lock(&sn->net->lock);
        net_running = sn->net;
        return sn->net;
}
static inline void api_unlock(struct strata_net *sn)
{
        net_running = NULL;
        pthread_mutex_unlock(&sn->net->lock);
}

/* socket_api.c: run call(net, fd, arg, flags) until it stops saying
 * EAGAIN, waiting in between as the socket calls do (unless the socket or
 * flags say not to); call unlocked. */
ssize_t api_blocking(struct strata_net *sn, int fd, int flags, bool send,
                     ssize_t (*call)(struct net *net, int fd, void *arg, int flags), void *arg);

/* loop.c: register a device's fd with the epoll set (if one exists). */
void api_watch_dev(struct strata_net *sn, struct net_device *dev);
void api_unwatch_dev(struct strata_net *sn, struct net_device *dev);
/* observe.c: stop a capture of a device that goes away. */
void api_capture_dev_gone(struct strata_net *sn, struct net_device *dev);

/* Internal functions shared by the public API and the netlink server
 * (src/ctl), so both configure the stack the same way. */
/* Delete device ifindex (a veth takes its peer along); call unlocked. */
int api_link_del(struct strata_net *sn, int ifindex);
/* ip link set DEV txqueuelen N; namespace locked. */
int api_dev_set_txqlen(struct net_device *dev, unsigned len);
struct fib_route;
struct fib_table;
/* ip route add: a gateway must be directly reachable through a connected
 * route, which gives the device when none is named (Linux's fib_check_nh);
 * then inserted into t -- exclusively, or replacing the route of the same
 * prefix, tos and priority in its place (replace; change: only if there
 * is one), or appended (append).  Namespace locked.  0, -ENETUNREACH
 * (gateway), -EEXIST, -ENOENT (change and nothing to replace). */
#define API_ROUTE_EXCL    0
#define API_ROUTE_REPLACE 1
#define API_ROUTE_APPEND  2
#define API_ROUTE_CHANGE  3
int api_route_insert(struct net *net, struct fib_table *t, struct fib_route *r, int how);

/* A route type's name (NULL: unicast; blackhole, unreachable, prohibit,
 * throw) as RTN_*; 0 or -EINVAL. */
int api_route_type(const char *s, uint8_t *type);

/* Parse "a.b.c.d/len" (len optional: 32). 0 or -EINVAL. */
int api_parse_cidr(const char *s, uint32_t *addr, uint8_t *plen);

#endif
