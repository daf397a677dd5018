/*
 * sock_diag (NETLINK_SOCK_DIAG): what `ss` asks the kernel for, answered
 * from a Strata namespace's sockets.
 *
 * Two halves that never see each other's headers: diag_sock.c walks the
 * namespace's sockets (it includes socket/ and transport/ headers, hence
 * glibc's <netinet/tcp.h>) and describes each in a struct diag_sk of plain
 * integers, with TCP's struct tcp_info already in the kernel's layout
 * (tcp_get_info, the same bytes getsockopt(TCP_INFO) gives); diag.c is
 * the codec (it includes the kernel's uapi headers, <linux/inet_diag.h>)
 * and turns those descriptions into SOCK_DIAG_BY_FAMILY replies.  Glibc's
 * and the kernel's <tcp.h> cannot share a file.
 */
#ifndef STRATA_CTL_DIAG_H
#define STRATA_CTL_DIAG_H

#include <stdbool.h>
#include <stdint.h>

#define NETLINK_SOCK_DIAG_ 4 /* <linux/netlink.h> */

struct net;
struct rtnl_req;

/* SK_MEMINFO_* order of <linux/sock_diag.h> */
enum {
        DIAG_MEM_RMEM_ALLOC,
        DIAG_MEM_RCVBUF,
        DIAG_MEM_WMEM_ALLOC,
        DIAG_MEM_SNDBUF,
        DIAG_MEM_FWD_ALLOC,
        DIAG_MEM_WMEM_QUEUED,
        DIAG_MEM_OPTMEM,
        DIAG_MEM_BACKLOG,
        DIAG_MEM_DROPS,
        DIAG_MEM_VARS
};

/* What TCP knows for tcp_info (times in microseconds, as tcp_info). */
/* One socket as inet_diag describes it; addresses and ports host order. */
struct diag_sk {
        uint8_t family, protocol, state, shutdown, tos;
        uint8_t timer, retrans; /* idiag_timer (1 retransmit, 4 probe), count */
        uint32_t expires;       /* ms until the timer fires */
        uint32_t saddr, daddr;
        uint16_t sport, dport;
        uint32_t ifindex; /* SO_BINDTODEVICE */
        uint64_t cookie;
        uint32_t rqueue, wqueue, uid, inode, mark, priority;
        struct sock *sk; /* the socket itself, valid while the walk's lock is held */
        uint32_t mem[DIAG_MEM_VARS];
        bool is_tcp;
        uint8_t tcp_info[256]; /* the kernel's struct tcp_info (tcp_get_info) */
        uint32_t tcp_info_len;
        char cong[16];
};

/* Call fn for every IPPROTO_TCP or IPPROTO_UDP socket of net that the
 * kernel's dump would list (bound UDP; TCP past CLOSE), listeners first.
 * Stops at fn's first non-zero result and returns it. */
typedef int (*diag_visit_fn)(const struct diag_sk *d, void *ctx);
/* Optional: asked first with the socket's state only; false skips it
 * without describing it (a state the dump does not want, or one a batch
 * already sent -- describing means tcp_get_info, the walk's real cost). */
typedef bool (*diag_want_fn)(uint8_t state, void *ctx);
int diag_walk(struct net *net, int protocol, diag_want_fn want, diag_visit_fn fn, void *ctx);

/* sock_diag's SOCK_DESTROY: end sk (one diag_walk just found, under the
 * same namespace lock) with ECONNABORTED.  0, -ENOENT (closed already),
 * -EOPNOTSUPP (the protocol cannot). */
struct sock;
int diag_destroy(struct sock *sk);

/* One sock_diag request message (namespace locked): the rtnl dispatcher's
 * contract -- 0/-errno for the ACK logic, 1 when a dump was emitted. */
int diag_rcv(struct rtnl_req *req);

#endif
