/*
 * Why a packet died.  One X-macro list yields the enum and the names the
 * tools print, as Linux's include/net/dropreason-core.h does; names are
 * Linux's SKB_DROP_REASON_* (without the prefix) wherever Linux has one.
 * Reasons marked "Strata" have no Linux equivalent: Linux drops those
 * packets without a reason (or "consumes" them); Strata names every drop.
 *
 * Every drop goes through kfree_skb_reason(skb, SKB_DROP_REASON_X) at the
 * spot where it happens; the per-namespace and per-device counters and the
 * trace event follow from that one call.
 */
#ifndef STRATA_CORE_DROPREASON_H
#define STRATA_CORE_DROPREASON_H

#define STRATA_DROP_REASONS(X)                                                                     \
        X(NOT_DROPPED_YET, "not dropped (consumed normally)")                                      \
        X(NOT_SPECIFIED, "reason not specified")                                                   \
        X(NO_SOCKET, "no socket or handler wants the packet")                                      \
        X(PKT_TOO_SMALL, "packet shorter than its header needs")                                   \
        X(OTHERHOST, "frame addressed to another host's MAC address")                              \
        X(IP_CSUM, "IPv4 header checksum error")                                                   \
        X(IP_INHDR, "IPv4 header invalid (version, IHL, length, options)")                         \
        X(IP_NOPROTO, "no handler for the IP protocol")                                            \
        X(IP_INADDRERRORS, "invalid destination address for this host")                            \
        X(IP_INNOROUTES, "no route for the input packet")                                          \
        X(IP_OUTNOROUTES, "no route for the output packet")                                        \
        X(IP_LOCAL_SOURCE, "source address is one of our own")                                     \
        X(IP_INVALID_SOURCE, "source address is invalid (martian)")                                \
        X(IP_INVALID_DEST, "destination address is invalid")                                       \
        X(IP_FRAGMENT, "Strata: fragment not queued: reassembly off (ipfrag_high_thresh 0)")       \
        X(DUP_FRAG, "duplicate fragment")                                                          \
        X(FRAG_REASM_TIMEOUT, "fragment reassembly timeout (ipfrag_time)")                         \
        X(FRAG_TOO_FAR, "ipv4 fragment too far (ipfrag_max_dist)")                                 \
        X(IP_FRAG_OVERLAP, "Strata: fragments overlap (RFC 5722): the whole datagram discarded")   \
        X(IP_FRAG_INVALID, "Strata: fragment contradicts its datagram (length, end, ECN)")         \
        X(IP_FRAG_EVICTED, "Strata: incomplete datagram evicted (over ipfrag_high_thresh)")        \
        X(IP_SOURCE_ROUTE, "Strata: source-routed packet and accept_source_route is 0")            \
        X(IP_RPFILTER, "reverse path filter (rp_filter): no route back via the input device")      \
        X(IP_MCAST_NOT_JOINED, "Strata: multicast to a group this host has not joined")            \
        X(NETFILTER_DROP, "dropped by a netfilter rule")                                           \
        X(INVALID_PROTO, "packet does not follow the protocol (e.g. ICMP echo to broadcast)")      \
        X(TCP_CSUM, "TCP checksum error")                                                          \
        X(TCP_RFC7323_PAWS, "PAWS check (RFC 7323 5.3): timestamp older than ts_recent")           \
        X(TCP_OFOMERGE, "out-of-order segment already held (reported as a D-SACK)")               \
        X(TCP_MD5NOTFOUND, "TCP MD5 signature expected (a key for the peer) but absent")          \
        X(TCP_MD5UNEXPECTED, "TCP MD5 signature present but no key for the peer")                 \
        X(TCP_MD5FAILURE, "TCP MD5 signature does not match")                                      \
        X(UDP_CSUM, "UDP checksum error")                                                          \
        X(ICMP_CSUM, "ICMP checksum error")                                                        \
        X(UNHANDLED_PROTO, "no handler for the EtherType")                                         \
        X(ARP_INVALID, "Strata: ARP with hardware/protocol types or sizes not Ethernet/IPv4")      \
        X(NEIGH_CREATEFAIL, "could not create a neighbour entry")                                  \
        X(NEIGH_FAILED, "neighbour resolution failed (NUD_FAILED)")                                \
        X(NEIGH_QUEUEFULL, "too many packets waiting for neighbour resolution")                    \
        X(NEIGH_DEAD, "neighbour entry was removed while the packet waited")                       \
        X(DEV_READY, "device is down or not running")                                              \
        X(DEV_HDR, "device could not build the link-layer header")                                 \
        X(CPU_BACKLOG, "receive backlog full (netdev_max_backlog)")                                \
        X(QDISC_DROP, "transmit queue full")                                                       \
        X(FULL_RING, "device ring full")                                                           \
        X(NOMEM, "out of packet buffers")                                                          \
        X(PKT_TOO_BIG, "packet larger than the MTU and may not be fragmented")                     \
        X(SOCKET_RCVBUFF, "socket receive buffer full")                                            \
        X(SOCKET_CLOSE, "socket closed with the packet still queued")                             \
        X(DEV_GONE, "Strata: device removed while the packet was queued on it")

enum skb_drop_reason {
#define X(name, desc) SKB_DROP_REASON_##name,
        STRATA_DROP_REASONS(X)
#undef X
            SKB_DROP_REASON_MAX
};

/* "NEIGH_FAILED" */
const char *drop_reason_name(enum skb_drop_reason r);
/* One-line description. */
const char *drop_reason_desc(enum skb_drop_reason r);

#endif
