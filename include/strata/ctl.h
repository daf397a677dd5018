/*
 * The control socket: how stratad (or any program embedding Strata) serves
 * a namespace to Linux's own tools, and the small protocol the socket
 * speaks besides netlink.
 *
 * Transport: an AF_UNIX SOCK_SEQPACKET socket, one datagram per netlink
 * send or receive.  A client (the LD_PRELOAD shim, `strata sysctl`) opens
 * one connection per netlink socket and first sends a HELLO naming its
 * port id and netlink protocol; every reply message is stamped with that
 * port id (nlmsg_pid), as the kernel stamps replies.  After the replies to
 * each request datagram the server sends DONE, so a client knows all
 * replies are queued -- the shim returns from sendmsg only then, which
 * makes replies "ready when sendmsg returns".
 *
 *   HELLO  nlmsghdr{type STRATA_CTL_HELLO} + u32 port id + u32 protocol
 *   DONE   nlmsghdr{type STRATA_CTL_DONE, seq of the last request}; with
 *          NLM_F_MULTI set, a dump is under way and more of it follows
 *          only when asked: the server answers dumps a batch at a time
 *          (about 64 KB), as the kernel's netlink_dump fills one skb per
 *          recvmsg, so a dump of any size never sits in memory whole
 *   CONTINUE nlmsghdr{type STRATA_CTL_CONTINUE}: the next batch of the
 *          dump under way, then DONE again (a new request instead
 *          abandons the dump)
 *   GROUPS nlmsghdr{type STRATA_CTL_GROUPS} + u32 groups 1-32 + u32 33-64
 *          (bit g-1: multicast group g), the client's whole membership
 *          (bind's nl_groups and NETLINK_ADD/DROP_MEMBERSHIP); no reply
 *
 * Notifications: a client whose GROUPS include RTNLGRP_LINK,
 * RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV4_ROUTE or RTNLGRP_NEIGH receives, as
 * datagrams of their own (pid 0, seq 0, no DONE after them), the
 * RTM_NEW / RTM_DEL LINK, ADDR, ROUTE and NEIGH messages the kernel
 * multicasts when the namespace changes -- whoever changed it.  They may
 * arrive between a request and its DONE, as the kernel interleaves them.
 *
 * Both are below NLMSG_MIN_TYPE, the range Linux keeps for control
 * messages, so no family's message can be mistaken for them.
 *
 * Protocols: NETLINK_ROUTE (0: rtnetlink) and STRATA_NETLINK_CTL, a
 * Strata-private family for what has no netlink in Linux (sysctls, which
 * Linux serves through /proc/sys):
 *
 *   STRATA_SYSCTL_GET  attr NAME: one value; with NLM_F_DUMP: every key
 *   STRATA_SYSCTL_SET  attrs NAME, VALUE: write (ACK or NLMSG_ERROR)
 *   STRATA_SYSCTL_VALUE  reply: NAME, VALUE (text, as /proc/sys shows it)
 *   STRATA_COUNTERS_GET  with NLM_F_DUMP: every MIB counter ("Ip.InReceives",
 *                      ..., Linux's names) and every drop reason counted
 *                      ("Drop.NEIGH_FAILED"), for `strata nstat` and
 *                      `strata drops`; replies STRATA_COUNTER_VALUE with
 *                      NAME and VALUE (decimal text)
 *   STRATA_TRACE_START   attrs PACKETS (u32, 0: every packet), and a filter:
 *                      PROTO (u8), ADDR (IPv4), PORT (u16); the namespace
 *                      traces, and this client alone receives each step as
 *                      a STRATA_TRACE_EVENT datagram (pid 0, seq 0, no
 *                      DONE) until it sends STRATA_TRACE_STOP or closes.
 *                      One tracer per namespace: another gets -EBUSY.
 *   STRATA_TRACE_EVENT   ID (u32), TIME (u64 ns), NETNS, DEV, LAYER, DROP
 *                      (the reason's name, when the packet died), WHERE
 *                      (the function), MSG -- strings
 *   STRATA_CAPTURE_START attrs DEV, PATH (absolute): the server writes every
 *                      frame DEV receives and sends to PATH (pcap) until
 *                      STRATA_CAPTURE_STOP (DEV) or the client closes
 *   STRATA_PROCFS_GET    attr NAME: a /proc file the namespace serves, as
 *                      the path below /proc ("net/sockstat", "net/sockstat6",
 *                      "net/snmp", "net/netstat"; others -ENOENT); the reply
 *                      STRATA_PROCFS_DATA has NAME and VALUE, the file's
 *                      text in the kernel's format (not NUL-terminated)
 *
 * Errors are NLMSG_ERROR with the errno Linux gives for the same thing
 * (-ENOENT: unknown key, -EINVAL: bad value).
 */
#ifndef STRATA_CTL_H
#define STRATA_CTL_H

#include <stddef.h>
#include <stdint.h>

#include "strata/strata.h"

#ifdef __cplusplus
extern "C" {
#endif

#define STRATA_NETLINK_CTL 31 /* private protocol number (Linux uses < 32) */

#define STRATA_CTL_CONTINUE 0x0c
#define STRATA_CTL_GROUPS 0x0d
#define STRATA_CTL_HELLO  0x0e
#define STRATA_CTL_DONE  0x0f

#define STRATA_SYSCTL_GET     0x10
#define STRATA_SYSCTL_SET     0x11
#define STRATA_SYSCTL_VALUE   0x12
#define STRATA_COUNTERS_GET   0x13
#define STRATA_COUNTER_VALUE  0x14
#define STRATA_TRACE_START    0x15
#define STRATA_TRACE_STOP     0x16
#define STRATA_TRACE_EVENT    0x17
#define STRATA_CAPTURE_START  0x18
#define STRATA_CAPTURE_STOP   0x19
#define STRATA_PROCFS_GET     0x1a
#define STRATA_PROCFS_DATA    0x1b
#define STRATA_SYSCTL_A_NAME  1
#define STRATA_SYSCTL_A_VALUE 2

/* attributes of the trace and capture messages */
enum {
        STRATA_OBS_A_PACKETS = 1,
        STRATA_OBS_A_PROTO,
        STRATA_OBS_A_ADDR,
        STRATA_OBS_A_PORT,
        STRATA_OBS_A_ID,
        STRATA_OBS_A_TIME,
        STRATA_OBS_A_NETNS,
        STRATA_OBS_A_DEV,
        STRATA_OBS_A_LAYER,
        STRATA_OBS_A_DROP,
        STRATA_OBS_A_WHERE,
        STRATA_OBS_A_MSG,
        STRATA_OBS_A_PATH,
        STRATA_OBS_A_MAX = STRATA_OBS_A_PATH
};

/* Environment variable naming the socket for `strata exec` and the shim. */
#define STRATA_CTL_ENV "STRATA_CTL_SOCKET"

/* Who is asking, as the server learned it (HELLO and SO_PEERCRED). */
struct strata_ctl_client {
        uint32_t portid;
        int protocol; /* 0 (NETLINK_ROUTE) or STRATA_NETLINK_CTL */
        uint32_t uid;
};

/* Receives each reply datagram, in order; returns 0 or -errno to stop. */
typedef int (*strata_ctl_emit_fn)(const void *dgram, size_t len, void *ctx);

/*
 * Handle one request datagram from client c: every netlink message in it
 * is answered (a reply, a dump, an ACK or an NLMSG_ERROR) through emit,
 * after the namespace lock is released.  Malformed input gets NLMSG_ERROR,
 * never a crash.  Returns 0, or -ENOMEM / emit's error.
 */
int strata_ctl_handle(struct strata_net *net, const struct strata_ctl_client *c, const void *req,
                      size_t len, strata_ctl_emit_fn emit, void *ctx);

/*
 * rtnetlink notifications without the socket server: fn receives every
 * change of the namespace as one datagram (one message, pid 0, seq 0) and
 * the multicast group it belongs to.  fn runs with the namespace locked,
 * on whatever thread made the change: it must only copy the datagram.  One
 * listener per namespace (-EBUSY); stop detaches it.
 */
typedef void (*strata_ctl_notify_fn)(unsigned group, const void *dgram, size_t len, void *ctx);
int strata_ctl_notify_start(struct strata_net *net, strata_ctl_notify_fn fn, void *ctx);
void strata_ctl_notify_stop(struct strata_net *net);

/* Client side: connect to a control socket and send the HELLO.  Returns
 * the descriptor or -errno. */
int strata_ctl_connect(const char *path, int protocol, uint32_t portid);
/* Send one request datagram; fn sees every reply message (header
 * included) until the server's DONE.  Returns 0, fn's first non-zero
 * result, or -errno. */
typedef int (*strata_ctl_msg_fn)(const void *msg, size_t len, void *ctx);
int strata_ctl_request(int fd, const void *req, size_t len, strata_ctl_msg_fn fn, void *ctx);

/*
 * Trace a served namespace from a client connected with STRATA_NETLINK_CTL:
 * start a trace of `packets` packets (0: all) matching f (NULL: any), and
 * hand every step to fn (its strings live for the call) until duration_ms
 * has passed (negative: no limit) or a signal interrupts the wait; then
 * stop the trace.  Returns 0 (time up or interrupted), or -errno (-EBUSY:
 * another client traces).
 */
int strata_ctl_trace(int fd, unsigned packets, const struct strata_trace_filter *f,
                     long duration_ms, strata_trace_fn fn, void *ctx);
/* Have the server write dev's frames to path (absolute) until
 * strata_ctl_capture_stop or the connection closes.  0 or -errno. */
int strata_ctl_capture_start(int fd, const char *dev, const char *path);
int strata_ctl_capture_stop(int fd, const char *dev);

/*
 * One line of a sysctl.conf (sysctl.d(5)), modified in place: 1 with *key
 * (dotted, '/' turned to '.') and *value, 0 for a blank or comment line,
 * -EINVAL without '='.  *ignore_err is set by a leading '-' on the key.
 */
int strata_sysctl_conf_line(char *line, char **key, char **value, int *ignore_err);

/* The runtime directory: /run/strata for root, else
 * $XDG_RUNTIME_DIR/strata (or /tmp/strata-UID).  0 or -ENAMETOOLONG. */
int strata_ctl_runtime_dir(char *buf, size_t cap);
/* DIR/NS.sock (dir NULL: the default runtime directory). */
int strata_ctl_socket_path(const char *dir, const char *ns, char *buf, size_t cap);

/*
 * The socket server: listen on path (mode 0600; a stale socket nobody
 * answers on is replaced, a live one is -EADDRINUSE), accept clients of the
 * same uid (or root), answer their requests.  run() serves until stop_fd
 * becomes readable (a signalfd, an eventfd); free() closes every client
 * and removes the socket file.
 */
struct strata_ctl_server;
int strata_ctl_server_new(struct strata_net *net, const char *path, struct strata_ctl_server **out);
int strata_ctl_server_run(struct strata_ctl_server *s, int stop_fd);
/* Share the socket with a group: the file becomes mode 0660 of group gid,
 * and clients whose primary or supplementary groups include gid are
 * accepted besides the server's uid and root.  0 or -errno (chown). */
int strata_ctl_server_set_group(struct strata_ctl_server *s, unsigned gid);
void strata_ctl_server_free(struct strata_ctl_server *s);

#ifdef __cplusplus
}
#endif
#endif
