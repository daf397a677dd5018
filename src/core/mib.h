/*
 * SNMP MIB counters with the names Linux prints in /proc/net/snmp (and
 * nstat): Ip, Icmp and IcmpMsg so far.  Later layers add their own lists
 * (Udp, Tcp, TcpExt) the same way: one X-macro list gives the enum and the
 * names.  Counters live in struct net and are bumped by the layer that owns
 * them with MIB_INC(net, IP, InReceives).
 */
#ifndef STRATA_CORE_MIB_H
#define STRATA_CORE_MIB_H

#include <stdint.h>
#include <stdio.h>

#define STRATA_IP_MIB(X)                                                                           \
        X(InReceives)                                                                              \
        X(InHdrErrors) X(InAddrErrors) X(ForwDatagrams) X(InUnknownProtos) X(InDiscards)           \
            X(InDelivers) X(OutRequests) X(OutDiscards) X(OutNoRoutes) X(ReasmTimeout)             \
                X(ReasmReqds) X(ReasmOKs) X(ReasmFails) X(FragOKs) X(FragFails) X(FragCreates)     \
                    X(OutTransmits)

/* IpExt, from /proc/net/netstat */
#define STRATA_IPEXT_MIB(X)                                                                        \
        X(InNoRoutes)                                                                              \
        X(InTruncatedPkts) X(InMcastPkts) X(OutMcastPkts) X(InBcastPkts) X(OutBcastPkts)           \
            X(InOctets) X(OutOctets) X(InCsumErrors) X(InNoECTPkts) X(InECT1Pkts) X(InECT0Pkts)      \
            X(InCEPkts) X(ReasmOverlaps)

#define STRATA_ICMP_MIB(X)                                                                         \
        X(InMsgs)                                                                                  \
        X(InErrors) X(InCsumErrors) X(InDestUnreachs) X(InTimeExcds) X(InParmProbs)                \
            X(InSrcQuenchs) X(InRedirects) X(InEchos) X(InEchoReps) X(InTimestamps)                \
                X(InTimestampReps) X(InAddrMasks) X(InAddrMaskReps) X(OutMsgs) X(OutErrors)        \
                    X(OutRateLimitGlobal) X(OutRateLimitHost) X(OutDestUnreachs) X(OutTimeExcds)   \
                        X(OutParmProbs) X(OutSrcQuenchs) X(OutRedirects) X(OutEchos)               \
                            X(OutEchoReps) X(OutTimestamps) X(OutTimestampReps) X(OutAddrMasks)    \
                                X(OutAddrMaskReps)

#define STRATA_UDP_MIB(X)                                                                        \
        X(InDatagrams) X(NoPorts) X(InErrors) X(OutDatagrams) X(RcvbufErrors) X(SndbufErrors)    \
        X(InCsumErrors) X(IgnoredMulti) X(MemErrors)

#define STRATA_TCP_MIB(X)                                                                        \
        X(RtoAlgorithm) X(RtoMin) X(RtoMax) X(MaxConn) X(ActiveOpens) X(PassiveOpens)           \
        X(AttemptFails) X(EstabResets) X(CurrEstab) X(InSegs) X(OutSegs) X(RetransSegs)          \
        X(InErrs) X(OutRsts) X(InCsumErrors)

/* TcpExt, from /proc/net/netstat (the ones Strata counts so far) */
#define STRATA_TCPEXT_MIB(X)                                                                     \
        X(SyncookiesSent) X(EmbryonicRsts) X(TW) X(PAWSActive) X(PAWSEstab) X(ListenOverflows) X(ListenDrops)  \
        X(TCPTimeouts) X(TCPAbortOnData) X(TCPAbortOnClose) X(TCPAbortOnLinger)  \
        X(TCPChallengeACK) X(TCPDeferAcceptDrop)        \
        X(TCPMD5NotFound) X(TCPMD5Unexpected) X(TCPMD5Failure)                \
        X(TCPFastRetrans) X(TCPSlowStartRetrans) X(TCPDelayedACKs) X(TCPOFOQueue)                \
        X(TCPRcvQDrop) X(TCPZeroWindowDrop) X(TCPWinProbe) X(TCPSynRetrans) X(TCPOrigDataSent)     \
        X(TCPSackRecovery) X(TCPSACKReorder) X(TCPDSACKRecv) X(TCPDSACKOfoRecv)               \
        X(TCPSACKDiscard) X(TCPSACKReneging) X(TCPDSACKOldSent) X(TCPDSACKOfoSent)              \
        X(DelayedACKLost) X(TCPSackFailures) X(TCPLossFailures) X(TCPOFOMerge)      \
        X(TCPLostRetransmit) X(TCPLossProbes) X(TCPLossProbeRecovery)              \
        X(TCPDSACKUndo) X(TCPFullUndo) X(TCPLossUndo) X(TCPSpuriousRTOs) X(TCPWantZeroWindowAdv) X(TCPToZeroWindowAdv)            \
        X(TCPFromZeroWindowAdv) X(TCPFastOpenActive) X(TCPFastOpenActiveFail)                   \
        X(TCPFastOpenPassive) X(TCPFastOpenPassiveFail) X(TCPFastOpenListenOverflow)            \
        X(TCPFastOpenCookieReqd) X(TCPFastOpenBlackhole) X(TCPFastOpenPassiveAltKey)           \
        X(OutOfWindowIcmps) X(TCPDelivered) X(TCPDeliveredCE)        \
        X(TCPHystartTrainDetect) X(TCPHystartTrainCwnd) X(TCPHystartDelayDetect)            \
        X(TCPHystartDelayCwnd) X(SyncookiesRecv) X(SyncookiesFailed)              \
        X(TCPReqQFullDoCookies) X(TCPReqQFullDrop)

enum ip_mib {
#define X(n) IPSTATS_MIB_##n,
        STRATA_IP_MIB(X)
#undef X
            IPSTATS_MIB_MAX
};

enum ipext_mib {
#define X(n) IPEXT_MIB_##n,
        STRATA_IPEXT_MIB(X)
#undef X
            IPEXT_MIB_MAX
};

enum udp_mib {
#define X(n) UDP_MIB_##n,
        STRATA_UDP_MIB(X)
#undef X
        UDP_MIB_MAX
};

enum tcp_mib {
#define X(n) TCP_MIB_##n,
        STRATA_TCP_MIB(X)
#undef X
        TCP_MIB_MAX
};

enum tcpext_mib {
#define X(n) LINUX_MIB_##n,
        STRATA_TCPEXT_MIB(X)
#undef X
        LINUX_MIB_MAX
};

enum icmp_mib {
#define X(n) ICMP_MIB_##n,
        STRATA_ICMP_MIB(X)
#undef X
            ICMP_MIB_MAX
};

struct strata_mib {
        uint64_t ip[IPSTATS_MIB_MAX];
        uint64_t ipext[IPEXT_MIB_MAX];
        uint64_t icmp[ICMP_MIB_MAX];
        uint64_t icmpmsg_in[256];  /* IcmpMsg InTypeN */
        uint64_t icmpmsg_out[256]; /* IcmpMsg OutTypeN */
        uint64_t udp[UDP_MIB_MAX];
        uint64_t tcp[TCP_MIB_MAX];
        uint64_t tcpext[LINUX_MIB_MAX];
};

#define IP_INC(net, f)       ((net)->mib.ip[IPSTATS_MIB_##f]++)
#define IPEXT_ADD(net, f, n) ((net)->mib.ipext[IPEXT_MIB_##f] += (n))
#define ICMP_INC(net, f)     ((net)->mib.icmp[ICMP_MIB_##f]++)
#define UDP_INC(net, f)      ((net)->mib.udp[UDP_MIB_##f]++)
#define TCP_INC(net, f)      ((net)->mib.tcp[TCP_MIB_##f]++)
#define TCPEXT_INC(net, f)   ((net)->mib.tcpext[LINUX_MIB_##f]++)
#define TCPEXT_ADD(net, f, n) ((net)->mib.tcpext[LINUX_MIB_##f] += (n))

const char *mib_ip_name(enum ip_mib m);
const char *mib_icmp_name(enum icmp_mib m);
const char *mib_ipext_name(enum ipext_mib m);
const char *mib_udp_name(enum udp_mib m);
const char *mib_tcp_name(enum tcp_mib m);
const char *mib_tcpext_name(enum tcpext_mib m);
const char *mib_udp_name(enum udp_mib m);

/* Print in the format of /proc/net/snmp: a header line and a value line
 * per group; IcmpMsg lists only the types seen, as Linux does. */
void mib_print(const struct strata_mib *m, FILE *f);
/* The two files apart, as Linux has them: /proc/net/snmp (Ip led by
 * Forwarding and DefaultTTL, Icmp, IcmpMsg, Tcp, Udp, UdpLite; forwarding
 * < 0 leaves out the settings and UdpLite, as mib_print) and
 * /proc/net/netstat (TcpExt, IpExt). */
void mib_print_snmp(const struct strata_mib *m, FILE *f, int forwarding, int default_ttl);
void mib_print_netstat(const struct strata_mib *m, FILE *f);
/* Every counter in mib_print's order: fn(group, field, value) -- IcmpMsg's
 * only where counted, as Linux shows them ("InType3"). */
typedef void (*mib_visit_fn)(const char *group, const char *field, uint64_t v, void *ctx);
void mib_foreach(const struct strata_mib *m, mib_visit_fn fn, void *ctx);

#endif
