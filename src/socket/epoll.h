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
        struct sock *sk;
        uint32_t events;        /* EPOLLIN ... | EPOLLET | EPOLLONESHOT */
        epoll_data_t data;
        bool on_rdl;            /* on the ready list */
        bool disabled;          /* EPOLLONESHOT fired: silent until MOD */
        struct epitem *sk_next; /* items watching the same socket */
        struct epitem *ep_next; /* all items of the instance */
        struct epitem *rdl_next;
};

struct epoll {
        struct net *net;
        struct epitem *items;
        struct epitem *rdl_first, *rdl_last;
};

struct epoll *ep_create(struct net *net);
/* Free the instance and unhook its items from their sockets. */
void ep_free(struct epoll *ep);
/* EPOLL_CTL_ADD/MOD/DEL of socket sk known as fd. */
int ep_ctl(struct epoll *ep, int op, int fd, struct sock *sk, const struct epoll_event *ev);
/* Harvest up to maxevents ready events without waiting; returns the count. */
int ep_collect(struct epoll *ep, struct epoll_event *events, int maxevents);
/* A socket changed: queue its items on their ready lists. */
void ep_sock_wake(struct sock *sk);
/* Descriptor fd of sk is closed: drop every item watching it. */
void ep_sock_closed(struct sock *sk, int fd);

#endif
