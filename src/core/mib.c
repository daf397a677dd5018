/* Names of the MIB counters and their /proc/net/snmp rendering. */
#include <inttypes.h>

#include "core/mib.h"

static const char *const ip_names[] = {
#define X(n) #n,
        STRATA_IP_MIB(X)
#undef X
};

static const char *const ipext_names[] = {
#define X(n) #n,
        STRATA_IPEXT_MIB(X)
#undef X
};

static const char *const udp_names[] = {
#define X(n) #n,
        STRATA_UDP_MIB(X)
#undef X
};

static const char *const tcp_names[] = {
#define X(n) #n,
        STRATA_TCP_MIB(X)
#undef X
};

static const char *const tcpext_names[] = {
#define X(n) #n,
        STRATA_TCPEXT_MIB(X)
#undef X
};

const char *mib_tcp_name(enum tcp_mib m)
{
        return (unsigned)m < TCP_MIB_MAX ? tcp_names[m] : "?";
}

const char *mib_tcpext_name(enum tcpext_mib m)
{
        return (unsigned)m < LINUX_MIB_MAX ? tcpext_names[m] : "?";
}

static const char *const icmp_names[] = {
#define X(n) #n,
        STRATA_ICMP_MIB(X)
#undef X
};

const char *mib_ip_name(enum ip_mib m)
{
        return (unsigned)m < IPSTATS_MIB_MAX ? ip_names[m] : "?";
}

const char *mib_icmp_name(enum icmp_mib m)
{
        return (unsigned)m < ICMP_MIB_MAX ? icmp_names[m] : "?";
}

const char *mib_udp_name(enum udp_mib m)
{
        return (unsigned)m < UDP_MIB_MAX ? udp_names[m] : "?";
}

const char *mib_ipext_name(enum ipext_mib m)
{
        return (unsigned)m < IPEXT_MIB_MAX ? ipext_names[m] : "?";
}

static void print_group(FILE *f, const char *group, const char *const *names, const uint64_t *vals,
                        int n)
{
        fprintf(f, "%s:", group);
        for (int i = 0; i < n; i++)
                fprintf(f, " %s", names[i]);
        fprintf(f, "\n%s:", group);
        for (int i = 0; i < n; i++) {
                /* snmp_seq_show_tcp_udp: Tcp MaxConn is the one signed
                 * field (-1: no limit) */
                if (names == tcp_names && i == TCP_MIB_MaxConn)
                        fprintf(f, " %" PRId64, (int64_t)vals[i]);
                else
                        fprintf(f, " %" PRIu64, vals[i]);
        }
        fprintf(f, "\n");
}

void mib_print_snmp(const struct strata_mib *m, FILE *f, int forwarding, int default_ttl)
{
        if (forwarding < 0) {
                print_group(f, "Ip", ip_names, m->ip, IPSTATS_MIB_MAX);
        } else {
                /* snmp_seq_show_ipstats: the two settings lead the group
                 * (Forwarding is 1 when on, 2 when off, as RFC 1213) */
                fprintf(f, "Ip: Forwarding DefaultTTL");
                for (int i = 0; i < IPSTATS_MIB_MAX; i++)
                        fprintf(f, " %s", ip_names[i]);
                fprintf(f, "\nIp: %d %d", forwarding ? 1 : 2, default_ttl);
                for (int i = 0; i < IPSTATS_MIB_MAX; i++)
                        fprintf(f, " %" PRIu64, m->ip[i]);
                fprintf(f, "\n");
        }
        print_group(f, "Icmp", icmp_names, m->icmp, ICMP_MIB_MAX);
        int any = 0;
        for (int t = 0; t < 256; t++)
                any |= m->icmpmsg_in[t] || m->icmpmsg_out[t];
        if (any) { /* Linux omits the group when no message was counted */
                fprintf(f, "IcmpMsg:");
                for (int t = 0; t < 256; t++) {
                        if (m->icmpmsg_in[t])
                                fprintf(f, " InType%d", t);
                        if (m->icmpmsg_out[t])
                                fprintf(f, " OutType%d", t);
                }
                fprintf(f, "\nIcmpMsg:");
                for (int t = 0; t < 256; t++) {
                        if (m->icmpmsg_in[t])
                                fprintf(f, " %" PRIu64, m->icmpmsg_in[t]);
                        if (m->icmpmsg_out[t])
                                fprintf(f, " %" PRIu64, m->icmpmsg_out[t]);
                }
                fprintf(f, "\n");
        }
        print_group(f, "Tcp", tcp_names, m->tcp, TCP_MIB_MAX);
        print_group(f, "Udp", udp_names, m->udp, UDP_MIB_MAX);
        if (forwarding >= 0) {
                /* Strata has no UDP-Lite: the kernel's group, never counted */
                static const uint64_t none[UDP_MIB_MAX];
                print_group(f, "UdpLite", udp_names, none, UDP_MIB_MAX);
        }
}

void mib_print_netstat(const struct strata_mib *m, FILE *f)
{
        print_group(f, "TcpExt", tcpext_names, m->tcpext, LINUX_MIB_MAX);
        print_group(f, "IpExt", ipext_names, m->ipext, IPEXT_MIB_MAX);
}

void mib_print(const struct strata_mib *m, FILE *f)
{
        mib_print_snmp(m, f, -1, 0);
        /* IpExt lives in /proc/net/netstat on Linux; printed after the snmp
         * groups here */
        mib_print_netstat(m, f);
}

static void visit_group(const char *group, const char *const *names, const uint64_t *vals, int n,
                        mib_visit_fn fn, void *ctx)
{
        for (int i = 0; i < n; i++)
                fn(group, names[i], vals[i], ctx);
}

void mib_foreach(const struct strata_mib *m, mib_visit_fn fn, void *ctx)
{
        visit_group("Ip", ip_names, m->ip, IPSTATS_MIB_MAX, fn, ctx);
        visit_group("Icmp", icmp_names, m->icmp, ICMP_MIB_MAX, fn, ctx);
        char name[24];
        for (int t = 0; t < 256; t++) {
                if (m->icmpmsg_in[t]) {
                        snprintf(name, sizeof(name), "InType%d", t);
                        fn("IcmpMsg", name, m->icmpmsg_in[t], ctx);
                }
                if (m->icmpmsg_out[t]) {
                        snprintf(name, sizeof(name), "OutType%d", t);
                        fn("IcmpMsg", name, m->icmpmsg_out[t], ctx);
                }
        }
        visit_group("Tcp", tcp_names, m->tcp, TCP_MIB_MAX, fn, ctx);
        visit_group("Udp", udp_names, m->udp, UDP_MIB_MAX, fn, ctx);
        visit_group("TcpExt", tcpext_names, m->tcpext, LINUX_MIB_MAX, fn, ctx);
        visit_group("IpExt", ipext_names, m->ipext, IPEXT_MIB_MAX, fn, ctx);
}
