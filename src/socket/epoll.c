/*
 * epoll: items per watched socket, a ready list filled by sock_wake, and
 * epoll_wait's harvest with Linux's level-triggered, edge-triggered and
 * one-shot rules:
 *  - level-triggered items stay on the ready list after being reported, so
 *    the next epoll_wait checks them again (and reports them while ready);
 *  - edge-triggered items leave it once reported and come back only with
 *    the next wake-up of their socket (new data, room, an error);
 *  - one-shot items are disabled once reported, until EPOLL_CTL_MOD.
 * An epoll may watch another (nested): the inner one is readable while its
 * ready list holds a ready item, and its wake-ups propagate outward.  Adding
 * an epoll that (through its own items) watches the outer one is ELOOP.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>

#include "socket/epoll.h"
#include "socket/sock.h"

#define EP_ALWAYS    (EPOLLERR | EPOLLHUP)
#define EP_MAX_NESTS 4 /* EPOLL_MAX_NESTS */

static unsigned item_mask(struct epitem *it)
{
        return it->sk ? sock_poll_mask(it->sk) : ep_poll_mask(it->target);
}

struct epoll *ep_create(struct net *net)
{
        struct epoll *ep = calloc(1, sizeof(*ep));
        if (ep)
                ep->net = net;
        return ep;
}

static void rdl_add(struct epitem *it)
{
        struct epoll *ep = it->ep;
        if (it->on_rdl || it->disabled)
                return;
        it->on_rdl = true;
        it->rdl_next = NULL;
        if (ep->rdl_last)
                ep->rdl_last->rdl_next = it;
        else
                ep->rdl_first = it;
        ep->rdl_last = it;
        /* an epoll watching this one may now be readable (loops are refused
         * at EPOLL_CTL_ADD, so this ends) */
        for (struct epitem *w = ep->watchers; w; w = w->sk_next)
                rdl_add(w);
}

unsigned ep_poll_mask(struct epoll *ep)
{
        for (struct epitem *it = ep->rdl_first; it; it = it->rdl_next)
                if (!it->disabled && (item_mask(it) & it->events))
                        return POLLIN | POLLRDNORM;
        return 0;
}

static void rdl_remove(struct epitem *it)
{
        struct epoll *ep = it->ep;
        if (!it->on_rdl)
                return;
        struct epitem *prev = NULL;
        for (struct epitem *c = ep->rdl_first; c; prev = c, c = c->rdl_next)
                if (c == it) {
                        if (prev)
                                prev->rdl_next = c->rdl_next;
                        else
                                ep->rdl_first = c->rdl_next;
                        if (ep->rdl_last == c)
                                ep->rdl_last = prev;
                        break;
                }
        it->on_rdl = false;
}

static struct epitem **watch_list(struct epitem *it)
{
        return it->sk ? &it->sk->epitems : &it->target->watchers;
}

static void sk_unhook(struct epitem *it)
{
        for (struct epitem **pp = watch_list(it); *pp; pp = &(*pp)->sk_next)
                if (*pp == it) {
                        *pp = it->sk_next;
                        return;
                }
}

static void item_free(struct epitem *it)
{
        rdl_remove(it);
        sk_unhook(it);
        if (it->sk)
                sock_put(it->sk);
        free(it);
}

static void ep_unlink(struct epitem *it)
{
        struct epoll *ep = it->ep;
        for (struct epitem **pp = &ep->items; *pp; pp = &(*pp)->ep_next)
                if (*pp == it) {
                        *pp = it->ep_next;
                        return;
                }
}

void ep_free(struct epoll *ep)
{
        /* epolls watching this one forget it (the descriptor is closing) */
        while (ep->watchers) {
                struct epitem *w = ep->watchers;
                ep_unlink(w);
                item_free(w);
        }
        while (ep->items) {
                struct epitem *it = ep->items;
                ep->items = it->ep_next;
                item_free(it);
        }
        free(ep);
}

static struct epitem *ep_find(struct epoll *ep, int fd, struct sock *sk, struct epoll *target)
{
        for (struct epitem *it = ep->items; it; it = it->ep_next)
                if (it->fd == fd && it->sk == sk && it->target == target)
                        return it;
        return NULL;
}

static void item_check(struct epitem *it)
{
        if (item_mask(it) & (it->events | EP_ALWAYS))
                rdl_add(it);
}

/* Does from reach to through nested items, within depth levels? */
static bool ep_reaches(struct epoll *from, struct epoll *to, int depth)
{
        if (from == to)
                return true;
        if (depth > EP_MAX_NESTS)
                return true; /* too deep counts as a loop (ELOOP), as Linux */
        for (struct epitem *it = from->items; it; it = it->ep_next)
                if (it->target && ep_reaches(it->target, to, depth + 1))
                        return true;
        return false;
}

int ep_ctl(struct epoll *ep, int op, int fd, struct sock *sk, struct epoll *target,
           const struct epoll_event *ev)
{
        struct epitem *it = ep_find(ep, fd, sk, target);
        switch (op) {
        case EPOLL_CTL_ADD:
                if (it)
                        return -EEXIST;
                if (target && ep_reaches(target, ep, 1))
                        return -ELOOP;
                it = calloc(1, sizeof(*it));
                if (!it)
                        return -ENOMEM;
                it->ep = ep;
                it->fd = fd;
                it->sk = sk;
                it->target = target;
                if (sk)
                        sock_hold(sk);
                it->events = ev->events | EP_ALWAYS;
                it->data = ev->data;
                struct epitem **wl = watch_list(it);
                it->sk_next = *wl;
                *wl = it;
                it->ep_next = ep->items;
                ep->items = it;
                item_check(it);
                return 0;
        case EPOLL_CTL_MOD:
                if (!it)
                        return -ENOENT;
                it->events = ev->events | EP_ALWAYS;
                it->data = ev->data;
                it->disabled = false;
                rdl_remove(it);
                item_check(it);
                return 0;
        case EPOLL_CTL_DEL:
                if (!it)
                        return -ENOENT;
                ep_unlink(it);
                item_free(it);
                return 0;
        default:
                return -EINVAL;
        }
}

int ep_collect(struct epoll *ep, struct epoll_event *events, int maxevents)
{
        int n = 0;
        /* one pass over what is on the list now; level-triggered items that
         * are still ready are put back at the end for the next call */
        struct epitem *list = ep->rdl_first, *keep_first = NULL, *keep_last = NULL;
        ep->rdl_first = ep->rdl_last = NULL;
        while (list) {
                struct epitem *it = list;
                list = it->rdl_next;
                it->on_rdl = false;
                if (n == maxevents) {
                        rdl_add(it); /* not looked at: stays queued */
                        continue;
                }
                uint32_t mask = item_mask(it) & it->events;
                if (!mask || it->disabled)
                        continue;
                events[n].events = mask;
                events[n].data = it->data;
                n++;
                if (it->events & EPOLLONESHOT) {
                        it->disabled = true;
                } else if (!(it->events & EPOLLET)) {
                        it->on_rdl = true;
                        it->rdl_next = NULL;
                        if (keep_last)
                                keep_last->rdl_next = it;
                        else
                                keep_first = it;
                        keep_last = it;
                }
        }
        if (keep_first) {
                if (ep->rdl_last)
                        ep->rdl_last->rdl_next = keep_first;
                else
                        ep->rdl_first = keep_first;
                ep->rdl_last = keep_last;
        }
        return n;
}

void ep_sock_wake(struct sock *sk)
{
        for (struct epitem *it = sk->epitems; it; it = it->sk_next)
                rdl_add(it);
}

void ep_sock_closed(struct sock *sk, int fd)
{
        struct epitem *it = sk->epitems;
        while (it) {
                struct epitem *next = it->sk_next;
                if (it->fd == fd) {
                        ep_unlink(it);
                        item_free(it);
                }
                it = next;
        }
}
