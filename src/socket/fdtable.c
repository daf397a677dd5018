/*
 * The descriptor table of a namespace: lowest free number first, as POSIX
 * requires, bounded by an RLIMIT_NOFILE-like limit (default 1024, so
 * descriptors 0..1023 and EMFILE for the next) -- the seed's busy server
 * that refuses connections while memory sits idle.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "socket/epoll.h"
#include "socket/sockns.h"

#define NOFILE_DEFAULT 1024

int sockns_init(struct net *net)
{
        struct sock_ns *ns = calloc(1, sizeof(*ns));
        if (!ns)
                return -ENOMEM;
        ns->nofile = NOFILE_DEFAULT;
        ns->uid = (uint32_t)geteuid();
        pthread_condattr_t attr;
        pthread_condattr_init(&attr);
        pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
        pthread_cond_init(&ns->cond, &attr);
        pthread_condattr_destroy(&attr);
        atomic_init(&ns->deferred_wake, NULL);
        net->socks = ns;
        return 0;
}

/* Inode numbers of socket descriptors, one sequence for the process as the
 * kernel's get_next_ino is one for the machine: every namespace's sockets
 * get distinct numbers, 0 never (it means "no descriptor"). */
static atomic_uint next_ino;

static uint32_t sock_next_ino(void)
{
        uint32_t ino;
        do
                ino = atomic_fetch_add_explicit(&next_ino, 1, memory_order_relaxed) + 1;
        while (ino == 0);
        return ino;
}

int fd_install(struct net *net, struct file *f)
{
        struct sock_ns *ns = net->socks;
        unsigned fd = ns->next_fd;
        while (fd < ns->cap && ns->files[fd])
                fd++;
        if (fd >= ns->nofile)
                return -EMFILE;
        if (fd >= ns->cap) {
                unsigned ncap = ns->cap ? ns->cap * 2 : 64;
                if (ncap > ns->nofile)
                        ncap = ns->nofile;
                struct file **n = realloc(ns->files, ncap * sizeof(*n));
                if (!n)
                        return -ENOMEM;
                memset(n + ns->cap, 0, (ncap - ns->cap) * sizeof(*n));
                ns->files = n;
                ns->cap = ncap;
        }
        ns->files[fd] = f;
        ns->open++;
        if (f->kind == FILE_SOCKET)
                f->ino = sock_next_ino();
        ns->next_fd = fd + 1;
        f->fd = (int)fd;
        return (int)fd;
}

struct file *fd_get(struct net *net, int fd)
{
        struct sock_ns *ns = net->socks;
        if (fd < 0 || (unsigned)fd >= ns->cap)
                return NULL;
        return ns->files[fd];
}

void fd_release(struct net *net, int fd)
{
        struct sock_ns *ns = net->socks;
        ns->files[fd] = NULL;
        ns->open--;
        if ((unsigned)fd < ns->next_fd)
                ns->next_fd = (unsigned)fd;
}

void sockns_exit(struct net *net)
{
        struct sock_ns *ns = net->socks;
        if (!ns)
                return;
        for (unsigned fd = 0; fd < ns->cap; fd++)
                if (ns->files[fd])
                        sock_file_close(net, (int)fd);
        /* wakes still queued from other threads */
        struct sock *sk = atomic_exchange(&ns->deferred_wake, NULL);
        while (sk) {
                struct sock *next = sk->wake_next;
                sock_put(sk);
                sk = next;
        }
        free(ns->files);
        pthread_cond_destroy(&ns->cond);
        free(ns);
        net->socks = NULL;
}

static int ino_cmp(const void *a, const void *b)
{
        const struct sock_ino *x = a, *y = b;
        return x->sk < y->sk ? -1 : x->sk > y->sk;
}

int sock_ino_map_build(struct net *net, struct sock_ino_map *m)
{
        struct sock_ns *ns = net->socks;
        m->n = 0;
        m->v = NULL;
        if (!ns || !ns->open)
                return 0;
        m->v = malloc(ns->open * sizeof(*m->v));
        if (!m->v)
                return -ENOMEM;
        for (unsigned i = 0; i < ns->cap && m->n < ns->open; i++) {
                struct file *f = ns->files[i];
                if (f && f->kind == FILE_SOCKET && f->sk)
                        m->v[m->n++] = (struct sock_ino){ f->sk, f->ino };
        }
        qsort(m->v, m->n, sizeof(*m->v), ino_cmp);
        return 0;
}

uint32_t sock_ino_map_find(const struct sock_ino_map *m, const struct sock *sk)
{
        struct sock_ino key = { sk, 0 };
        const struct sock_ino *e = m->n ? bsearch(&key, m->v, m->n, sizeof(key), ino_cmp) : NULL;
        return e ? e->ino : 0;
}

void sock_ino_map_free(struct sock_ino_map *m)
{
        free(m->v);
        m->v = NULL;
        m->n = 0;
}
