/*
 * Namespaces: creation, teardown and the run-to-completion poll round.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "core/net.h"
#include "core/sysctl.h"

int net_alloc(const char *name, struct strata_clock *clock, uint64_t seed, struct net **out)
{
        struct net *net = calloc(1, sizeof(*net));
        if (!net)
                return -ENOMEM;
        snprintf(net->name, sizeof(net->name), "%s", name ? name : "");
        net->pool = skb_pool_new(net);
        if (!net->pool) {
                free(net);
                return -ENOMEM;
        }
        pthread_mutex_init(&net->lock, NULL);
        pthread_mutex_init(&net->poll_lock, NULL);
        atomic_init(&net->poll_scheduled, false);
        net->clock = clock;
        timer_wheel_init(&net->timers, clock_now(clock), 0);
        random_seed(&net->rnd, seed);
        net->ifindex_next = 1;
        atomic_init(&net->wake_fd, -1);
        net->trace.next_id = &net->trace.own_next_id;
        net->core.netdev_max_backlog = 1000;
        net->core.netdev_budget = 300;
        net->core.dev_weight = 64;
        net->core.rmem_default = net->core.rmem_max = 212992;
        net->core.wmem_default = net->core.wmem_max = 212992;
        net->core.somaxconn = 4096;
        int err = 0;
        err |= sysctl_register(net, "net.core.netdev_max_backlog", &net->core.netdev_max_backlog, 1,
                               1, 1 << 30, SYSCTL_UNIT_1, NULL);
        err |= sysctl_register(net, "net.core.netdev_budget", &net->core.netdev_budget, 1, 1,
                               1 << 30, SYSCTL_UNIT_1, NULL);
        err |= sysctl_register(net, "net.core.dev_weight", &net->core.dev_weight, 1, 1, 1 << 30,
                               SYSCTL_UNIT_1, NULL);
        static const struct {
                const char *name;
                size_t off;
        } buf[] = {
                { "net.core.rmem_default", offsetof(struct net_core_cfg, rmem_default) },
                { "net.core.rmem_max", offsetof(struct net_core_cfg, rmem_max) },
                { "net.core.wmem_default", offsetof(struct net_core_cfg, wmem_default) },
                { "net.core.wmem_max", offsetof(struct net_core_cfg, wmem_max) },
                { "net.core.somaxconn", offsetof(struct net_core_cfg, somaxconn) },
        };
        for (size_t i = 0; i < ARRAY_SIZE(buf); i++)
                err |= sysctl_register(net, buf[i].name, (int *)((char *)&net->core + buf[i].off),
                                       1, i < 4 ? 2304 : 0, 1 << 30, SYSCTL_UNIT_1, NULL);
        if (err) {
                net_free(net);
                return -ENOMEM;
        }
        *out = net;
        return 0;
}

void net_free(struct net *net)
{
        if (!net)
                return;
        while (net->dev_list)
                netdev_unregister(net->dev_list);
        sysctl_free_all(net);
        int wfd = atomic_load(&net->wake_fd);
        if (wfd >= 0)
                close(wfd);
        skb_pool_destroy(net->pool);
        pthread_mutex_destroy(&net->poll_lock);
        pthread_mutex_destroy(&net->lock);
        free(net);
}

bool net_has_work(struct net *net)
{
        return atomic_load_explicit(&net->poll_scheduled, memory_order_acquire) ||
               atomic_load(&net->deferred_pending);
}

uint64_t net_next_deadline(struct net *net)
{
        if (net_has_work(net))
                return net_now(net);
        return timer_wheel_next(&net->timers);
}

void net_wake(struct net *net)
{
        int wfd = atomic_load_explicit(&net->wake_fd, memory_order_acquire);
        if (wfd >= 0) {
                uint64_t one = 1;
                ssize_t r = write(wfd, &one, sizeof(one));
                (void)r; /* a full eventfd counter still wakes the reader */
        }
}

/*
 * One round.  Timers first (they may queue packets), then each device on the
 * poll list gets up to dev_weight frames, within netdev_budget for the
 * round; a device that used its whole weight goes to the back of the list,
 * as net_rx_action() does.
 */
int net_poll(struct net *net)
{
        int work = 0;
        if (atomic_load_explicit(&net->deferred_pending, memory_order_acquire) && net->deferred) {
                atomic_store(&net->deferred_pending, false);
                net->deferred(net);
                work++;
        }
        work += (int)timer_wheel_run(&net->timers, net_now(net));
        int budget = net->core.netdev_budget;

        /* Devices stay marked scheduled while on the detached list, so other
         * threads' napi_schedule cannot relink them under our feet; they set
         * poll_missed instead, and the device is queued again below. */
        if (!atomic_load_explicit(&net->poll_scheduled, memory_order_acquire))
                return work; /* no device has work: no lock to take */
        pthread_mutex_lock(&net->poll_lock);
        struct net_device *list = net->poll_first;
        net->poll_first = net->poll_last = NULL;
        atomic_store_explicit(&net->poll_scheduled, false, memory_order_relaxed);
        net->pending_wake = false;
        pthread_mutex_unlock(&net->poll_lock);

        while (list) {
                struct net_device *dev = list;
                list = dev->poll_next;
                int weight = MIN(net->core.dev_weight, budget);
                int n = weight > 0 ? (dev->ops->ndo_poll ? dev->ops->ndo_poll(dev, weight)
                                                          : dev_backlog_poll(dev, weight))
                                   : 0;
                work += n;
                budget -= n;
                pthread_mutex_lock(&net->poll_lock);
                if (n >= weight || dev->poll_missed) {
                        /* more to do, or more arrived meanwhile: next round */
                        dev->poll_missed = false;
                        dev->poll_next = NULL;
                        if (net->poll_last)
                                net->poll_last->poll_next = dev;
                        else
                                net->poll_first = dev;
                        net->poll_last = dev;
                        atomic_store_explicit(&net->poll_scheduled, true, memory_order_release);
                } else {
                        dev->on_poll_list = false;
                }
                pthread_mutex_unlock(&net->poll_lock);
        }
        return work;
}
