/*
 * Driving a namespace: by the caller (strata_net_poll / strata_wait /
 * strata_net_fd), by its own thread (strata_run_thread), or -- for labs and
 * tests on a simulated clock -- by strata_sim_run, which runs every
 * namespace to idle and then jumps the clock to the next deadline.
 *
 * The waitable fd is an epoll set holding the namespace's wake eventfd
 * (written when another thread queues work, e.g. a veth peer) and every
 * device fd (TAP).  epoll data is the device's ifindex, 0 for the eventfd.
 */
#include <errno.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "api/api.h"

void api_watch_dev(struct strata_net *sn, struct net_device *dev)
{
        if (sn->epfd < 0 || !dev->ops->ndo_get_fd)
                return;
        int fd = dev->ops->ndo_get_fd(dev);
        if (fd < 0)
                return;
        struct epoll_event ev = { .events = EPOLLIN, .data.u64 = (uint64_t)dev->ifindex };
        epoll_ctl(sn->epfd, EPOLL_CTL_ADD, fd, &ev);
}

void api_unwatch_dev(struct strata_net *sn, struct net_device *dev)
{
        if (sn->epfd < 0 || !dev->ops->ndo_get_fd)
                return;
        int fd = dev->ops->ndo_get_fd(dev);
        if (fd >= 0)
                epoll_ctl(sn->epfd, EPOLL_CTL_DEL, fd, NULL);
}

int strata_net_fd(struct strata_net *sn)
{
        struct net *net = api_lock(sn);
        int err = 0;
        if (sn->epfd < 0) {
                sn->epfd = epoll_create1(EPOLL_CLOEXEC);
                if (sn->epfd < 0) {
                        err = -errno;
                        goto out;
                }
                int wfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
                if (wfd < 0) {
                        err = -errno;
                        close(sn->epfd);
                        sn->epfd = -1;
                        goto out;
                }
                struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 0 };
                epoll_ctl(sn->epfd, EPOLL_CTL_ADD, wfd, &ev);
                atomic_store_explicit(&net->wake_fd, wfd, memory_order_release);
                for (struct net_device *d = net->dev_list; d; d = d->next)
                        api_watch_dev(sn, d);
        }
out:
        api_unlock(sn);
        return err ? err : sn->epfd;
}

/* Turn ready fds into scheduled devices; timeout_ms as epoll_wait. */
static int gather(struct strata_net *sn, int timeout_ms)
{
        struct epoll_event evs[32];
        int n = epoll_wait(sn->epfd, evs, 32, timeout_ms);
        if (n < 0)
                return errno == EINTR ? 0 : -errno;
        if (n == 0)
                return 0;
        struct net *net = api_lock(sn);
        for (int i = 0; i < n; i++) {
                if (evs[i].data.u64 == 0) {
                        uint64_t v;
                        ssize_t r = read(atomic_load(&net->wake_fd), &v, sizeof(v));
                        (void)r; /* drained: the work itself is on the poll list */
                        continue;
                }
                struct net_device *dev = dev_get_by_index(net, (int)evs[i].data.u64);
                if (!dev)
                        continue;
                if (evs[i].events & (EPOLLERR | EPOLLHUP)) {
                        /* The host side went away (TAP interface deleted):
                         * stop watching a fd that would wake us forever, and
                         * say so the way a NIC does -- no carrier. */
                        api_unwatch_dev(sn, dev);
                        netif_carrier_off(dev);
                        continue;
                }
                napi_schedule(dev);
        }
        api_unlock(sn);
        return n;
}

int strata_net_poll(struct strata_net *sn)
{
        if (sn->epfd >= 0)
                gather(sn, 0);
        struct net *net = api_lock(sn);
        int work = net_poll(net);
        api_unlock(sn);
        return work;
}

uint64_t strata_next_deadline(struct strata_net *sn)
{
        struct net *net = api_lock(sn);
        uint64_t t = net_next_deadline(net);
        api_unlock(sn);
        return t;
}

int strata_wait(struct strata_net *sn, uint64_t max_ns)
{
        int fd = strata_net_fd(sn);
        if (fd < 0)
                return fd;
        uint64_t now = clock_now(sn->net->clock);
        uint64_t deadline = strata_next_deadline(sn);
        uint64_t wait = deadline > now ? deadline - now : 0;
        if (wait > max_ns)
                wait = max_ns;
        /* round up to whole ms so a timer is never polled just too early */
        int timeout_ms = (int)((wait + NSEC_PER_MSEC - 1) / NSEC_PER_MSEC);
        int r = gather(sn, timeout_ms);
        return r < 0 ? r : 0;
}

static void *loop_thread(void *arg)
{
        struct strata_net *sn = arg;
        while (!sn->thread_stop) {
                strata_wait(sn, 100 * NSEC_PER_MSEC);
                while (strata_net_poll(sn) > 0 && !sn->thread_stop)
                        ;
        }
        return NULL;
}

int strata_run_thread(struct strata_net *sn)
{
        if (sn->thread_running)
                return -EBUSY;
        if (sn->net->clock->simulated)
                return -EINVAL; /* a simulated clock is advanced by its owner */
        int fd = strata_net_fd(sn);
        if (fd < 0)
                return fd;
        sn->thread_stop = false;
        int err = pthread_create(&sn->thread, NULL, loop_thread, sn);
        if (err)
                return -err;
        sn->thread_running = true;
        return 0;
}

void strata_stop_thread(struct strata_net *sn)
{
        if (!sn->thread_running)
                return;
        sn->thread_stop = true;
        net_wake(sn->net);
        pthread_join(sn->thread, NULL);
        sn->thread_running = false;
}

int strata_sim_run(struct strata_net **nets, size_t n, uint64_t until_ns)
{
        if (n == 0)
                return -EINVAL;
        struct strata_clock *c = nets[0]->net->clock;
        for (size_t i = 0; i < n; i++)
                if (nets[i]->net->clock != c || !c->simulated)
                        return -EINVAL;
        for (;;) {
                /* run everything to idle at this instant */
                for (int busy = 1, rounds = 0; busy; rounds++) {
                        busy = 0;
                        for (size_t i = 0; i < n; i++)
                                busy |= strata_net_poll(nets[i]) > 0;
                        if (rounds > 1000000)
                                return -ELOOP; /* a packet storm that never settles */
                }
                uint64_t next = UINT64_MAX;
                for (size_t i = 0; i < n; i++) {
                        uint64_t d = strata_next_deadline(nets[i]);
                        if (d < next)
                                next = d;
                }
                uint64_t now = clock_now(c);
                if (next == UINT64_MAX) {
                        /* nothing armed anywhere: the lab is at rest */
                        if (until_ns != UINT64_MAX && until_ns > now)
                                clock_advance_to(c, until_ns);
                        return 0;
                }
                if (next <= now)
                        continue; /* work queued by the last round */
                if (next > until_ns) {
                        if (until_ns > now)
                                clock_advance_to(c, until_ns);
                        return 0;
                }
                clock_advance_to(c, next);
        }
}
