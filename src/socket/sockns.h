/*
 * The socket layer's state in a namespace: the descriptor table (Linux's
 * per-process fdtable, here per namespace, with an RLIMIT_NOFILE-like
 * limit), what blocked callers wait on, and how they wait.
 */
#ifndef STRATA_SOCKET_SOCKNS_H
#define STRATA_SOCKET_SOCKNS_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/net.h"
#include "socket/sock.h"

struct epoll;

enum file_kind { FILE_SOCKET = 1, FILE_EPOLL };

/* An open descriptor. */
struct file {
        enum file_kind kind;
        int fd;
        unsigned flags;    /* O_NONBLOCK */
        unsigned fd_flags; /* FD_CLOEXEC */
        struct sock *sk;   /* FILE_SOCKET */
        struct epoll *ep;  /* FILE_EPOLL */
        uint32_t ino;      /* FILE_SOCKET: its inode number (ss -e), never 0 */
};

struct sock_ns {
        struct file **files;     /* [0, cap) */
        unsigned cap;
        unsigned nofile;         /* RLIMIT_NOFILE: descriptors 0..nofile-1 */
        unsigned open;
        unsigned next_fd;        /* no free descriptor below this (Linux's next_fd) */
        pthread_cond_t cond;     /* broadcast when any socket changes */
        int waiters;             /* threads sleeping on cond */
        uint64_t changes;        /* bumped by every wake: lets waiters tell */
        /* skb destructors on other threads queue sockets needing a wake */
        _Atomic(struct sock *) deferred_wake;
        uint32_t uid;            /* euid of the process, owner of new sockets */
};

int sockns_init(struct net *net);
/* Close every descriptor and free the table. */
void sockns_exit(struct net *net);

/* Install f at the lowest free descriptor; -EMFILE past the limit. */
int fd_install(struct net *net, struct file *f);
struct file *fd_get(struct net *net, int fd);
void fd_release(struct net *net, int fd);
/*
 * Inode numbers of a namespace's socket descriptors, for the walks that
 * report them (sock_diag's idiag_inode, sockstat): the number lives with
 * the descriptor, as the kernel's with the socket file, so struct sock
 * pays nothing for it; a walk builds this map once (O(descriptors), which
 * RLIMIT_NOFILE bounds) and looks sockets up in it.
 */
struct sock_ino_map {
        size_t n;
        struct sock_ino {
                const struct sock *sk;
                uint32_t ino;
        } *v; /* sorted by sk */
};
int sock_ino_map_build(struct net *net, struct sock_ino_map *m);
/* sk's descriptor's inode number; 0 when it has none (closed, or a
 * connection not accepted yet), as sock_i_ino. */
uint32_t sock_ino_map_find(const struct sock_ino_map *m, const struct sock *sk);
void sock_ino_map_free(struct sock_ino_map *m);

/* close(2): release the descriptor and what it holds. */
int sock_file_close(struct net *net, int fd);

#endif
