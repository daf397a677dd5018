/*
 * epoll instances (Linux's fs/eventpoll.c, reduced): a set of watched
 * sockets and a ready list fed by the sockets' wake-ups, so epoll_wait costs
 * what is ready, not what is watched.
 */
#ifndef STRATA_SOCKET_EPOLL_H
#define STRATA_SOCKET_EPOLL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/epoll.h>

struct sock;
struct net;

struct epitem {
        struct epoll *ep;
        int fd;
        struct sock *sk;        /* the watched socket, or NULL when ... */
        struct epoll *target;   /* ... the watched file is another epoll */
        uint32_t events;        /* EPOLLIN ... | EPOLLET | EPOLLONESHOT */
        epoll_data_t data;
        bool on_rdl;            /* on the ready list */
        bool disabled;          /* EPOLLONESHOT fired: silent until MOD */
        struct epitem *sk_next; /* items watching the same socket or epoll */
        struct epitem *ep_next; /* all items of the instance */
        struct epitem *rdl_next;
};

struct epoll {
        struct net *net;
        struct epitem *items;
        struct epitem *rdl_first, *rdl_last;
        struct epitem *watchers; /* items of other epolls watching this one */
};

struct epoll *ep_create(struct net *net);
/* Free the instance and unhook its items from their sockets. */
void ep_free(struct epoll *ep);
/* EPOLL_CTL_ADD/MOD/DEL of fd, a socket (sk) or another epoll (target). */
int ep_ctl(struct epoll *ep, int op, int fd, struct sock *sk, struct epoll *target,
           const struct epoll_event *ev);
/* poll(2) mask of an epoll descriptor: POLLIN while something is ready. */
unsigned ep_poll_mask(struct epoll *ep);
/* Harvest up to maxevents ready events without waiting; returns the count. */
int ep_collect(struct epoll *ep, struct epoll_event *events, int maxevents);
/* A socket changed: queue its items on their ready lists. */
void ep_sock_wake(struct sock *sk);
/* Descriptor fd of sk is closed: drop every item watching it. */
void ep_sock_closed(struct sock *sk, int fd);

#endif
