/*
 * Strata public API: namespaces, devices, addresses and routes, the event
 * loop, tracing and capture.  The only header a program using Strata
 * includes (with socket.h once sockets exist).
 *
 * Conventions: functions return 0 or a negative errno (-EEXIST, -ENODEV,
 * ...), as the kernel does; strata_strerror() is strerror().  Names of
 * devices are Linux interface names; addresses are text ("10.0.0.1/24").
 *
 * Threads: a namespace is driven either by the caller (strata_net_poll in a loop
 * or around strata_wait / strata_net_fd) or by its own thread
 * (strata_run_thread).  Configuration calls take the namespace lock, so
 * they may be made from any thread at any time.
 */
#ifndef STRATA_STRATA_H
#define STRATA_STRATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct strata_clock;
struct strata_net;

/* --- clocks -------------------------------------------------------------- */

/* A real (CLOCK_MONOTONIC) or simulated clock.  Several namespaces may share
 * one; a simulated clock only moves when advanced. */
struct strata_clock *strata_clock_new(bool simulated);
void strata_clock_free(struct strata_clock *c);
uint64_t strata_clock_now(const struct strata_clock *c);             /* ns */
void strata_clock_advance_to(struct strata_clock *c, uint64_t t_ns); /* simulated only */

/* --- namespaces ---------------------------------------------------------- */

/* A namespace with the whole stack and its loopback device "lo" (up, with
 * 127.0.0.1/8, as a new Linux namespace after `ip link set lo up`).  seed 0
 * draws one from the host.  clock is shared, not owned; NULL: a private
 * real clock. */
int strata_net_new(const char *name, struct strata_clock *clock, uint64_t seed,
                   struct strata_net **out);
/* Stops its thread if any, removes devices, frees everything. */
void strata_net_free(struct strata_net *net);
const char *strata_net_name(const struct strata_net *net);

/* --- devices ------------------------------------------------------------- */

/* An in-memory veth pair: name_a in a, name_b in b (a may equal b). */
int strata_veth_add(struct strata_net *a, const char *name_a, struct strata_net *b,
                    const char *name_b);
/* Attach a TAP device of the host: opens (creating if needed) the host
 * interface tap_name and creates Strata device dev_name on it.  Needs
 * CAP_NET_ADMIN to create.  The host side is brought up. */
int strata_tap_attach(struct strata_net *net, const char *tap_name, const char *dev_name);
/* Attach to an existing host interface (a veth end, a NIC) through an
 * AF_PACKET socket: Strata device dev_name (NULL: the same name) sends and
 * receives its frames, with a MAC address of its own (the interface goes
 * promiscuous while attached).  Needs CAP_NET_RAW; -ENODEV when there is
 * no such interface. */
int strata_packet_attach(struct strata_net *net, const char *ifname, const char *dev_name);
int strata_link_set_up(struct strata_net *net, const char *dev, bool up);
int strata_link_set_mtu(struct strata_net *net, const char *dev, unsigned mtu);
/* addr: "aa:bb:cc:dd:ee:ff" */
int strata_link_set_address(struct strata_net *net, const char *dev, const char *addr);
/* ip link set DEV txqueuelen N (the transmit queue's limit) */
int strata_link_set_txqlen(struct strata_net *net, const char *dev, unsigned len);
int strata_link_del(struct strata_net *net, const char *dev);

/* --- IPv4 configuration ---------------------------------------------------- */

/* ip addr add CIDR dev DEV (the connected route comes with it). */
int strata_addr_add(struct strata_net *net, const char *dev, const char *cidr);
int strata_addr_del(struct strata_net *net, const char *dev, const char *cidr);
/* ip route add DST via GW [dev DEV]; dst "default" or a CIDR; gw or dev may
 * be NULL (not both). */
int strata_route_add(struct strata_net *net, const char *dst, const char *gw, const char *dev);
/* ip route add [TYPE] DST [via GW] [dev DEV] [table TABLE] [metric M]:
 * type NULL or "unicast" (gw or dev needed), "blackhole", "unreachable",
 * "prohibit", "throw" (neither gw nor dev); table 0 is main, a new number
 * creates the table. */
int strata_route_add_ex(struct strata_net *net, const char *type, const char *dst, const char *gw,
                        const char *dev, uint32_t table, uint32_t metric);
/* ip route add|append|replace|change|del SPEC, in iproute2's words:
 * [TYPE] PREFIX|default [via GW] [dev DEV] [onlink] [table T] [metric N] [src A]
 * and metrics, each [lock] VALUE: mtu, advmss, window, cwnd, ssthresh,
 * reordering, hoplimit, initcwnd, initrwnd, quickack, fastopen_no_cookie,
 * rtt / rttvar / rto_min TIME (ms, or with unit s, ms, us), features ecn.
 * The same insertion the rtnetlink handler makes (change: -ENOENT
 * without a route to change; add: -EEXIST). */
int strata_ip_route(struct strata_net *net, const char *cmd);
/* ip rule add / del SPEC, in iproute2's words: [not] [from PREFIX|all]
 * [to PREFIX|all] [iif DEV] [oif DEV] [fwmark M[/MASK]] [tos T] [pref N]
 * [uidrange A-B] [ipproto tcp|udp|icmp|N] [sport P[-Q]] [dport P[-Q]]
 * [suppress_prefixlength N] [suppress_ifgroup G]
 * and one action: lookup TABLE, goto PREF, blackhole, unreachable,
 * prohibit, nop.  Without pref, Linux's choice (the second rule's minus
 * one).  del removes the first rule matching every field given. */
int strata_rule_add(struct strata_net *net, const char *spec);
int strata_rule_del(struct strata_net *net, const char *spec);
/* ip route get DST [from SRC] [iif DEV] [mark MARK]: the line iproute2
 * prints for the kernel's answer, e.g. "9.9.9.9 from 10.2.0.2 via 10.2.0.1
 * dev u2 table 100 uid 0" (without "cache"); or the kernel's errno
 * (-ENETUNREACH, -EHOSTUNREACH, -EACCES, -EINVAL, -EXDEV). */
int strata_route_get(struct strata_net *net, const char *dst, const char *src, const char *iif,
                     uint32_t mark, char *buf, size_t cap);
/* sysctl -w NAME=VALUE / sysctl -n NAME on the namespace */
int strata_sysctl_set(struct strata_net *net, const char *name, const char *value);
int strata_sysctl_get(struct strata_net *net, const char *name, char *buf, size_t cap);
/* ip tcp_metrics flush all: forget what TCP learned per destination (today
 * the Fast Open cookies and server MSS the client cached). */
int strata_tcp_metrics_flush(struct strata_net *net);

/* --- running ------------------------------------------------------------- */

/* One run-to-completion round: due timers, then receive work within the
 * budget.  Returns the work done (0 = idle). */
int strata_net_poll(struct strata_net *net);
/* When something is next due (ns on the namespace clock); UINT64_MAX if
 * nothing is armed.  Now, when work is pending. */
uint64_t strata_next_deadline(struct strata_net *net);
/* A file descriptor readable when the namespace has work (device input or
 * a wake-up from another thread); use with poll/epoll and the deadline. */
int strata_net_fd(struct strata_net *net);
/* Sleep (real clock) until work arrives or the next deadline, at most
 * max_ns; then the caller polls. */
int strata_wait(struct strata_net *net, uint64_t max_ns);
/* Run namespaces sharing one simulated clock: poll them all until idle,
 * advance the clock to the next deadline, repeat, until the clock reaches
 * until_ns (UINT64_MAX: until nothing is armed).  The lab's engine. */
int strata_sim_run(struct strata_net **nets, size_t n, uint64_t until_ns);
/* Run the namespace on a thread of its own until strata_stop_thread
 * (real clocks only). */
int strata_run_thread(struct strata_net *net);
void strata_stop_thread(struct strata_net *net);

/* --- observability -------------------------------------------------------- */

/* Write every frame received and sent on dev to a pcap file (Ethernet
 * link type, ns timestamps).  One capture per device; path NULL stops it. */
int strata_capture(struct strata_net *net, const char *dev, const char *path);

struct strata_trace_event {
        uint32_t id; /* trace id of the packet */
        uint64_t time_ns;
        const char *netns;
        const char *dev;         /* may be NULL */
        const char *layer;       /* "dev rx", "ethernet", "ip input", ... */
        const char *drop_reason; /* "NEIGH_FAILED" when the packet died, else NULL */
        const char *where;       /* function reporting */
        const char *msg;
};
typedef void (*strata_trace_fn)(const struct strata_trace_event *ev, void *ctx);
/* Trace the next `packets` packets entering net (-1: all, 0: stop). */
int strata_trace(struct strata_net *net, long packets, strata_trace_fn fn, void *ctx);
/* Which packets start a trace (fields 0: any): an IP protocol (IPPROTO_*),
 * an IPv4 address at either end (host order), a TCP or UDP port at either
 * end.  ARP frames match a filter without protocol and port.  NULL: all
 * packets.  Applies from the next packet on. */
struct strata_trace_filter {
        uint8_t proto;
        uint32_t addr;
        uint16_t port;
};
int strata_trace_filter(struct strata_net *net, const struct strata_trace_filter *f);

/* Counters: drops by reason ("NEIGH_FAILED"), MIB ("Ip.InReceives",
 * "Icmp.OutEchoReps", "IcmpMsg.OutType0"); -ENOENT for an unknown name. */
int strata_counter(struct strata_net *net, const char *name, uint64_t *value);
/* Print /proc/net/snmp-style counters and non-zero drop reasons. */
void strata_print_counters(struct strata_net *net, void *file /* FILE* */);

/* --- ping (ICMP echo) ----------------------------------------------------
 * Until sockets arrive (ICMP datagram sockets), a namespace can send echo
 * requests and hear replies and ICMP errors about them through this
 * callback-based pinger. */
struct strata_ping_result {
        uint16_t seq;
        uint8_t ttl;       /* of the reply */
        uint8_t icmp_type; /* 0: echo reply; 3, 11, ...: error */
        uint8_t icmp_code;
        char from[16];   /* address the reply or error came from */
        size_t bytes;    /* ICMP bytes (header + data), as ping prints */
        uint64_t rtt_ns; /* for replies */
};
typedef void (*strata_ping_fn)(const struct strata_ping_result *r, void *ctx);
int strata_ping_listen(struct strata_net *net, uint16_t ident, strata_ping_fn fn, void *ctx);
/* Send one echo request with datalen bytes of data (ping -s, default 56). */
int strata_ping_send(struct strata_net *net, const char *dst, uint16_t ident, uint16_t seq,
                     size_t datalen);

const char *strata_strerror(int err);

#ifdef __cplusplus
}
#endif
#endif
