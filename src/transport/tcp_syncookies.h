/*
 * SYN cookies (Linux's net/ipv4/syncookies.c): when a listener's SYN queue
 * is full (net.ipv4.tcp_syncookies=1) or always (=2), a SYN is answered
 * with a SYN-ACK whose ISN encodes what the connection needs and no state
 * is kept; the ACK that comes back carries it all and makes the child.
 *
 * The ISN is Linux's: hash(addresses, ports) + the peer's ISN +
 * (minute count << 24) + ((hash(addresses, ports, count) + MSS index) mod
 * 2^24), the hashes SipHash under a per-namespace secret; the MSS index
 * picks from Linux's table {536, 1300, 1440, 1460}.  A cookie is valid for
 * two minutes.  With timestamps, the low 6 bits of the SYN-ACK's tsval
 * carry the peer's window scale (15: none), SACK-permitted and ECN, and the
 * echo in the ACK brings them back; without timestamps a cookie connection
 * has no window scaling, SACK or ECN (the SYN-ACK offers MSS alone).
 */
#ifndef STRATA_TRANSPORT_TCP_SYNCOOKIES_H
#define STRATA_TRANSPORT_TCP_SYNCOOKIES_H

#include <stdbool.h>
#include <stdint.h>

struct sock;
struct sk_buff;
struct tcp_repr;
struct tcp_options;

/* The SYN queue of listener sk is full (or tcp_syncookies=2): cookies
 * (TcpExt.TCPReqQFullDoCookies) or a drop (TCPReqQFullDrop)?
 * (tcp_syn_flood_action) */
bool tcp_syn_flood_action(struct sock *sk);
/* Answer the SYN th from saddr:th->sport to daddr with a cookie SYN-ACK
 * from listener sk (SyncookiesSent); nothing is kept. */
void tcp_syncookie_synack(struct sock *sk, const struct tcp_repr *th, uint8_t ip_tos,
                          uint32_t saddr, uint32_t daddr);

/* What a valid cookie ACK says about the connection. */
struct tcp_cookie_req {
        uint16_t mss;      /* the peer's MSS, from the table */
        bool ecn_ok;
        struct tcp_options *opt; /* the ACK's options, turned into the SYN's:
                                  * mss, ws, sack_ok, ts_ok filled in */
};
/* An ACK th at listener sk without a request: a returning cookie?  0 and
 * *req filled: yes (SyncookiesRecv); -ENOENT: no recent overflow, not a
 * cookie, or options the namespace now refuses (the caller sends RST);
 * SyncookiesFailed counts cookies that do not check out.
 * (cookie_v4_check) */
int tcp_syncookie_check(struct sock *sk, const struct tcp_repr *th, uint32_t saddr,
                        uint32_t daddr, struct tcp_cookie_req *req);

#endif
