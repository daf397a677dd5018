/*
 * rtnetlink numbers and layouts, as Linux's <linux/rtnetlink.h>,
 * <linux/if_link.h>, <linux/if_addr.h> and <linux/neighbour.h> define them.
 *
 * A private copy because the uapi headers declare the RTN_ and RT_SCOPE_
 * enums that src/ipv4/ipv4.h already defines as Strata's own; the values
 * are checked against the real headers by tests/unit/test_netlink.c.
 * Family headers are described by their byte offsets (read with nl_rd*,
 * built in byte arrays), never as structs laid over a buffer.
 */
#ifndef STRATA_CTL_RTNL_UAPI_H
#define STRATA_CTL_RTNL_UAPI_H

#define AF_UNSPEC_ 0
#define AF_INET_   2
#define AF_INET6_  10

/* message types */
#define RTM_NEWLINK_  16
#define RTM_DELLINK_  17
#define RTM_GETLINK_  18
#define RTM_SETLINK_  19
#define RTM_NEWADDR_  20
#define RTM_DELADDR_  21
#define RTM_GETADDR_  22
#define RTM_NEWROUTE_ 24
#define RTM_DELROUTE_ 25
#define RTM_GETROUTE_ 26
#define RTM_NEWNEIGH_ 28
#define RTM_DELNEIGH_ 29
#define RTM_GETNEIGH_ 30
#define RTM_MAX_      127

/* struct ifinfomsg: family u8, pad u8, type u16, index s32, flags u32, change u32 */
#define IFINFOMSG_LEN 16
/* struct ifaddrmsg: family u8, prefixlen u8, flags u8, scope u8, index u32 */
#define IFADDRMSG_LEN 8
/* struct rtmsg: family, dst_len, src_len, tos, table, protocol, scope, type u8; flags u32 */
#define RTMSG_LEN 12
/* struct ndmsg: family u8, pad u8, pad u16, ifindex s32, state u16, flags u8, type u8 */
#define NDMSG_LEN 12

/* IFLA_* (link attributes) */
#define IFLA_ADDRESS_                    1
#define IFLA_BROADCAST_                  2
#define IFLA_IFNAME_                     3
#define IFLA_MTU_                        4
#define IFLA_LINK_                       5
#define IFLA_QDISC_                      6
#define IFLA_STATS_                      7
#define IFLA_MASTER_                     10
#define IFLA_TXQLEN_                     13
#define IFLA_MAP_                        14
#define IFLA_OPERSTATE_                  16
#define IFLA_LINKMODE_                   17
#define IFLA_LINKINFO_                   18
#define IFLA_NET_NS_PID_                 19
#define IFLA_IFALIAS_                    20
#define IFLA_STATS64_                    23
#define IFLA_AF_SPEC_                    26
#define IFLA_GROUP_                      27
#define IFLA_NET_NS_FD_                  28
#define IFLA_EXT_MASK_                   29
#define IFLA_PROMISCUITY_                30
#define IFLA_NUM_TX_QUEUES_              31
#define IFLA_NUM_RX_QUEUES_              32
#define IFLA_CARRIER_                    33
#define IFLA_CARRIER_CHANGES_            35
#define IFLA_PROTO_DOWN_                 39
#define IFLA_GSO_MAX_SEGS_               40
#define IFLA_GSO_MAX_SIZE_               41
#define IFLA_XDP_                        43
#define IFLA_CARRIER_UP_COUNT_           47
#define IFLA_CARRIER_DOWN_COUNT_         48
#define IFLA_MIN_MTU_                    50
#define IFLA_MAX_MTU_                    51
#define IFLA_ALT_IFNAME_                 53
#define IFLA_GRO_MAX_SIZE_               58
#define IFLA_TSO_MAX_SIZE_               59
#define IFLA_TSO_MAX_SEGS_               60
#define IFLA_ALLMULTI_                   61
#define IFLA_DEVLINK_PORT_               62
#define IFLA_GSO_IPV4_MAX_SIZE_          63
#define IFLA_GRO_IPV4_MAX_SIZE_          64
#define IFLA_DPLL_PIN_                   65
#define IFLA_MAX_PACING_OFFLOAD_HORIZON_ 66
#define IFLA_NETNS_IMMUTABLE_            67
#define IFLA_HEADROOM_                   68
#define IFLA_TAILROOM_                   69
#define IFLA_MAX_                        69

#define IFLA_INFO_KIND_    1
#define IFLA_INFO_DATA_    2
#define IFLA_INFO_MAX_     5
#define VETH_INFO_PEER_    1
#define IFLA_XDP_ATTACHED_ 2

/* operstate (RFC 2863) and link mode */
#define IF_OPER_UNKNOWN_        0
#define IF_OPER_DOWN_           2
#define IF_OPER_LOWERLAYERDOWN_ 3
#define IF_OPER_UP_             6

/* IFA_* (address attributes) */
#define IFA_ADDRESS_     1
#define IFA_LOCAL_       2
#define IFA_LABEL_       3
#define IFA_BROADCAST_   4
#define IFA_ANYCAST_     5
#define IFA_CACHEINFO_   6
#define IFA_MULTICAST_   7
#define IFA_FLAGS_       8
#define IFA_RT_PRIORITY_ 9
#define IFA_PROTO_       11
#define IFA_MAX_         11

/* RTA_* (route attributes) */
#define RTA_DST_        1
#define RTA_SRC_        2
#define RTA_IIF_        3
#define RTA_OIF_        4
#define RTA_GATEWAY_    5
#define RTA_PRIORITY_   6
#define RTA_PREFSRC_    7
#define RTA_METRICS_    8
#define RTA_MULTIPATH_  9
#define RTA_FLOW_       11
#define RTA_CACHEINFO_  12
#define RTA_TABLE_      15
#define RTA_MARK_       16
#define RTA_VIA_        18
#define RTA_ENCAP_TYPE_ 21
#define RTA_ENCAP_      22
#define RTA_UID_        25
#define RTA_IP_PROTO_   27
#define RTA_SPORT_      28
#define RTA_DPORT_      29
#define RTA_NH_ID_      30
#define RTA_MAX_        31

#define RTM_F_CLONED_     0x200
#define RTM_F_FIB_MATCH_  0x2000
#define RTNH_F_LINKDOWN_  16
#define RT_SCOPE_NOWHERE_ 255
#define RT_TABLE_UNSPEC_  0

/* NDA_* (neighbour attributes) */
#define NDA_DST_       1
#define NDA_LLADDR_    2
#define NDA_CACHEINFO_ 3
#define NDA_PROBES_    4
#define NDA_IFINDEX_   8
#define NDA_MASTER_    9
#define NDA_PROTOCOL_  12
#define NDA_FLAGS_EXT_ 15
#define NDA_MAX_       15

#define NTF_USE_    0x01
#define NTF_PROXY_  0x08
#define NTF_ROUTER_ 0x80

#define USER_HZ_ 100

#endif
