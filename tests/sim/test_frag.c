/*
 * Fragmentation and reassembly on the simulated clock, against Linux's
 * behaviour: fragments on output as IP_MTU_DISCOVER says (DF, EMSGSIZE),
 * forwarding through a smaller link (fragmented without DF, "fragmentation
 * needed" with DF), reassembly byte-exact for ICMP and UDP, under
 * reordering and loss on a wire the test controls, and the bad cases --
 * duplicates, overlaps, contradicting and oversized fragments, the
 * ipfrag_max_dist restart, the ipfrag_time timeout with ICMP time exceeded
 * code 1, and a flood that must stay within ipfrag_high_thresh.  Every case
 * ends with a leak check.
 *
 * Two kinds of fixtures: namespaces joined by veth (strata_veth_add), and
 * namespaces with a probe device (probe.h) whose frames the test moves by
 * hand -- in order, reordered or dropped: the lossy wire.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "../test.h"
#include "api/api.h"
#include "ipv4/ipv4.h"
#include "probe.h"
#include "strata/socket.h"
#include "strata/strata.h"
#include "wire/udp.h"

#define SEC   1000000000ull
#define HOST  0x0a000002u /* 10.0.0.2 */
#define PEER  0x0a000001u /* 10.0.0.1 */
#define GAMMA 0x0a000102u /* 10.0.1.2 */

static uint64_t ctr(struct strata_net *ns, const char *name)
{
        uint64_t v = 0;
        CHECK_EQ(strata_counter(ns, name, &v), 0);
        return v;
}

/* An ICMP echo request of total ICMP length len (header + data), checksummed. */
static void echo_msg(uint8_t *buf, size_t len, uint16_t id, uint16_t seq)
{
        uint8_t data[65536];
        for (size_t i = 0; i < len - ICMP_HLEN; i++)
                data[i] = (uint8_t)(i * 7 + 3);
        struct icmp_repr r = { .type = ICMP_ECHO,
                               .rest = (uint32_t)id << 16 | seq,
                               .payload = data,
                               .payload_len = len - ICMP_HLEN };
        icmp_emit(&r, buf, len);
}

/* Send payload as one IP datagram from sn (ip_build_and_send, as a socket
 * with IP_MTU_DISCOVER pmtudisc would). */
static int send_ip(struct strata_net *sn, uint32_t dst, uint8_t proto, const uint8_t *payload,
                   size_t len, int pmtudisc)
{
        struct net *net = api_lock(sn);
        struct sk_buff *skb = alloc_skb_tx(net, (uint32_t)len);
        int err = -ENOBUFS;
        if (skb) {
                memcpy(skb_put(skb, (uint32_t)len), payload, len);
                err = ip_build_and_send(net, skb, 0, dst, proto, 0, 0, 0, pmtudisc);
        }
        api_unlock(sn);
        return err;
}

/* --- one namespace behind a probe: frames injected by hand --------------- */

struct fix {
        struct strata_clock *clock;
        struct strata_net *ns;
        struct probe p;
};

static void run1(struct fix *f, uint64_t d)
{
        strata_sim_run(&f->ns, 1, strata_clock_now(f->clock) + d);
}

static void fix_up(struct fix *f)
{
        f->clock = strata_clock_new(true);
        CHECK_EQ(strata_net_new("host", f->clock, 7, &f->ns), 0);
        CHECK_EQ(probe_create(f->ns->net, "probe0", &f->p), 0);
        CHECK_EQ(strata_addr_add(f->ns, "probe0", "10.0.0.2/24"), 0);
        run1(f, 1000);
        /* the peer introduces itself, so that replies need no resolution */
        uint8_t frame[64];
        static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
        size_t n = probe_arp_frame(&f->p, frame, ARPOP_REQUEST, PEER, HOST, bcast);
        probe_inject(&f->p, frame, n);
        run1(f, 1000);
        probe_drain(&f->p);
}

static void fix_down(struct fix *f)
{
        probe_drain(&f->p);
        CHECK_EQ(skb_pool_outstanding(f->ns->net->pool), 0);
        strata_net_free(f->ns);
        strata_clock_free(f->clock);
}

/* One fragment from PEER to HOST: bytes [off, off+len) of msg, with MF
 * when mf; frag_extra ORs more bits into the flags/offset field. */
static size_t frag_frame(const struct probe *p, uint8_t *buf, uint16_t id, const uint8_t *msg,
                         unsigned off, unsigned len, bool mf, uint8_t tos)
{
        struct eth_repr e;
        memcpy(e.dst, p->dev->dev_addr, 6);
        memcpy(e.src, p->peer_mac, 6);
        e.ethertype = ETH_P_IP;
        eth_emit(&e, buf, ETH_HLEN);
        struct ipv4_repr ip = { .ihl = 20,
                                .tos = tos,
                                .tot_len = (uint16_t)(20 + len),
                                .id = id,
                                .frag_off = (uint16_t)((off / 8) | (mf ? IP_MF : 0)),
                                .ttl = 64,
                                .protocol = IPPROTO_ICMP_,
                                .saddr = PEER,
                                .daddr = HOST };
        ipv4_emit(&ip, NULL, buf + ETH_HLEN, 20);
        memcpy(buf + ETH_HLEN + 20, msg + off, len);
        return ETH_HLEN + 20 + len;
}

static void inject_frag(struct fix *f, uint16_t id, const uint8_t *msg, unsigned off, unsigned len,
                        bool mf)
{
        static uint8_t frame[ETH_HLEN + 20 + 9000];
        size_t n = frag_frame(&f->p, frame, id, msg, off, len, mf, 0);
        probe_inject(&f->p, frame, n);
        run1(f, 1000);
}

/* Frames sent on the probe: count them, checking each is IPv4 and
 * returning the IP header fields of the i-th (0-based) through out. */
static unsigned sent_ip(struct fix *f, unsigned i, struct ipv4_repr *out)
{
        unsigned n = 0;
        for (struct sk_buff *s = f->p.sent.first; s; s = s->next, n++) {
                if (n != i)
                        continue;
                CHECK(s->len >= ETH_HLEN + 20);
                CHECK_EQ(ipv4_parse(s->data + ETH_HLEN, s->len - ETH_HLEN, true, out, NULL),
                         WIRE_OK);
        }
        return n;
}

static void queue_usage(struct fix *f, unsigned *queues, unsigned long *mem)
{
        struct net *net = api_lock(f->ns);
        ipfrag_usage(net, queues, mem);
        api_unlock(f->ns);
}

static void local_output_follows_ip_mtu_discover(void)
{
        struct fix f;
        fix_up(&f);
        static uint8_t pl[65536];
        struct ipv4_repr h;
        /* DONT: 3000 bytes leave as 1480 + 1480 + 40, no DF */
        CHECK_EQ(send_ip(f.ns, PEER, 253, pl, 3000, IP_PMTUDISC_DONT), 0);
        run1(&f, 1000);
        CHECK_EQ(sent_ip(&f, 0, &h), 3);
        CHECK_EQ(h.frag_off, IP_MF | 0);
        CHECK_EQ(h.tot_len, 1500);
        sent_ip(&f, 1, &h);
        CHECK_EQ(h.frag_off, IP_MF | 185);
        CHECK_EQ(h.tot_len, 1500);
        uint16_t id = h.id;
        sent_ip(&f, 2, &h);
        CHECK_EQ(h.frag_off, 370);
        CHECK_EQ(h.tot_len, 60);
        CHECK_EQ(h.id, id);
        CHECK_EQ(ctr(f.ns, "Ip.FragOKs"), 1);
        CHECK_EQ(ctr(f.ns, "Ip.FragCreates"), 3);
        CHECK_EQ(ctr(f.ns, "Ip.OutRequests"), 1);
        CHECK_EQ(ctr(f.ns, "Ip.OutTransmits"), 3);
        probe_drain(&f.p);
        /* WANT: DF when it fits, fragments without DF when not */
        CHECK_EQ(send_ip(f.ns, PEER, 253, pl, 1480, IP_PMTUDISC_WANT), 0);
        CHECK_EQ(send_ip(f.ns, PEER, 253, pl, 1481, IP_PMTUDISC_WANT), 0);
        run1(&f, 1000);
        CHECK_EQ(sent_ip(&f, 0, &h), 3);
        CHECK_EQ(h.frag_off, IP_DF);
        sent_ip(&f, 1, &h);
        CHECK_EQ(h.frag_off, IP_MF);
        sent_ip(&f, 2, &h);
        CHECK_EQ(h.frag_off, 185);
        CHECK_EQ(h.tot_len, 21);
        probe_drain(&f.p);
        /* DO, PROBE and INTERFACE refuse what does not fit */
        CHECK_EQ(send_ip(f.ns, PEER, 253, pl, 1481, IP_PMTUDISC_DO), -EMSGSIZE);
        CHECK_EQ(send_ip(f.ns, PEER, 253, pl, 1481, IP_PMTUDISC_PROBE), -EMSGSIZE);
        CHECK_EQ(send_ip(f.ns, PEER, 253, pl, 1481, IP_PMTUDISC_INTERFACE), -EMSGSIZE);
        CHECK_EQ(ctr(f.ns, "PKT_TOO_BIG"), 3);
        CHECK_EQ(send_ip(f.ns, PEER, 253, pl, 1480, IP_PMTUDISC_DO), 0);
        CHECK_EQ(send_ip(f.ns, PEER, 253, pl, 1480, IP_PMTUDISC_INTERFACE), 0);
        /* OMIT fragments, never DF */
        CHECK_EQ(send_ip(f.ns, PEER, 253, pl, 1481, IP_PMTUDISC_OMIT), 0);
        run1(&f, 1000);
        CHECK_EQ(sent_ip(&f, 0, &h), 4);
        CHECK_EQ(h.frag_off, IP_DF);
        sent_ip(&f, 1, &h);
        CHECK_EQ(h.frag_off, 0);
        sent_ip(&f, 2, &h);
        CHECK_EQ(h.frag_off, IP_MF);
        probe_drain(&f.p);
        /* nothing may exceed 65535 bytes */
        CHECK_EQ(send_ip(f.ns, PEER, 253, pl, 65515, IP_PMTUDISC_DONT), 0);
        CHECK_EQ(send_ip(f.ns, PEER, 253, pl, 65516, IP_PMTUDISC_DONT), -EMSGSIZE);
        run1(&f, 1000);
        CHECK_EQ(sent_ip(&f, 0, &h), 45); /* 44 x 1480 + 395 */
        sent_ip(&f, 44, &h);
        CHECK_EQ(h.frag_off, 44 * 185);
        CHECK_EQ(h.tot_len, 20 + 65515 - 44 * 1480);
        CHECK_EQ(ctr(f.ns, "Ip.FragOKs"), 4);
        CHECK_EQ(ctr(f.ns, "Ip.FragCreates"), 3 + 2 + 2 + 45);
        CHECK_EQ(ctr(f.ns, "Ip.FragFails"), 0);
        fix_down(&f);
}

/* Reassembly of an echo request sent in pieces, in any order; the host
 * answers with a reply of the same size, itself fragmented. */
static void reassembles_in_any_order(void)
{
        struct fix f;
        fix_up(&f);
        static uint8_t msg[4008];
        echo_msg(msg, sizeof(msg), 0x77, 1);
        /* an unfragmented echo goes straight through, no reassembly */
        size_t n = probe_echo_frame(&f.p, msg + 0, PEER, HOST, 1, 1);
        probe_inject(&f.p, msg, n);
        run1(&f, 1000);
        CHECK_EQ(ctr(f.ns, "Icmp.InEchos"), 1);
        CHECK_EQ(ctr(f.ns, "Ip.ReasmReqds"), 0);
        probe_drain(&f.p);
        echo_msg(msg, sizeof(msg), 0x77, 1);
        static const unsigned order[][3] = { { 0, 1, 2 }, { 2, 1, 0 }, { 1, 2, 0 }, { 2, 0, 1 } };
        for (unsigned k = 0; k < 4; k++) {
                for (unsigned j = 0; j < 3; j++) {
                        unsigned i = order[k][j];
                        inject_frag(&f, (uint16_t)(100 + k), msg, i * 1480,
                                    i < 2 ? 1480 : 4008 - 2960, i < 2);
                }
                CHECK_EQ(ctr(f.ns, "Ip.ReasmOKs"), k + 1);
                CHECK_EQ(ctr(f.ns, "Icmp.InEchos"), k + 2);
                /* the reply: 4008 bytes of ICMP in 3 fragments */
                struct ipv4_repr h;
                CHECK_EQ(sent_ip(&f, 0, &h), 3);
                CHECK_EQ(h.protocol, IPPROTO_ICMP_);
                CHECK_EQ(h.frag_off, IP_MF);
                probe_drain(&f.p);
        }
        CHECK_EQ(ctr(f.ns, "Ip.ReasmReqds"), 12);
        CHECK_EQ(ctr(f.ns, "Ip.ReasmFails"), 0);
        CHECK_EQ(ctr(f.ns, "Icmp.InErrors"), 0); /* checksum over the whole message held */
        fix_down(&f);
}

static void duplicates_overlaps_and_contradictions(void)
{
        struct fix f;
        fix_up(&f);
        static uint8_t msg[48];
        echo_msg(msg, sizeof(msg), 1, 1);
        /* a duplicate is dropped alone; the datagram still completes */
        inject_frag(&f, 1, msg, 0, 16, true);
        inject_frag(&f, 1, msg, 0, 16, true);
        inject_frag(&f, 1, msg, 8, 8, true); /* inside queued bytes: duplicate too */
        CHECK_EQ(ctr(f.ns, "DUP_FRAG"), 2);
        inject_frag(&f, 1, msg, 16, 32, false);
        CHECK_EQ(ctr(f.ns, "Ip.ReasmOKs"), 1);
        CHECK_EQ(ctr(f.ns, "Icmp.InEchos"), 1);
        /* a partial overlap discards the whole datagram */
        inject_frag(&f, 2, msg, 0, 16, true);
        inject_frag(&f, 2, msg, 8, 16, true);
        CHECK_EQ(ctr(f.ns, "IP_FRAG_OVERLAP"), 2); /* the queued one and the new one */
        CHECK_EQ(ctr(f.ns, "IpExt.ReasmOverlaps"), 1);
        CHECK_EQ(ctr(f.ns, "Ip.ReasmFails"), 1);
        inject_frag(&f, 2, msg, 16, 32, false); /* starts a new queue: incomplete */
        /* bytes beyond the last fragment's end */
        inject_frag(&f, 3, msg, 16, 16, false);
        inject_frag(&f, 3, msg, 32, 16, true);
        CHECK_EQ(ctr(f.ns, "IP_FRAG_INVALID"), 2);
        /* a second last fragment with another end */
        inject_frag(&f, 4, msg, 16, 16, false);
        inject_frag(&f, 4, msg, 8, 16, false);
        CHECK_EQ(ctr(f.ns, "IP_FRAG_INVALID"), 4);
        /* an empty fragment */
        inject_frag(&f, 5, msg, 16, 0, true);
        CHECK_EQ(ctr(f.ns, "IP_FRAG_INVALID"), 5);
        CHECK_EQ(ctr(f.ns, "Ip.ReasmFails"), 4);
        unsigned q;
        unsigned long mem;
        queue_usage(&f, &q, &mem);
        CHECK_EQ(q, 1); /* id 2's tail */
        CHECK_EQ(mem, SKB_SMALL_SIZE + sizeof(struct sk_buff));
        /* ECN: not-ECT mixed with CE cannot be merged (ip_frag_ecn_table) */
        static uint8_t frame[256];
        size_t n = frag_frame(&f.p, frame, 6, msg, 0, 16, true, 0x00);
        probe_inject(&f.p, frame, n);
        n = frag_frame(&f.p, frame, 6, msg, 16, 32, false, 0x03);
        probe_inject(&f.p, frame, n);
        run1(&f, 1000);
        CHECK_EQ(ctr(f.ns, "IP_FRAG_INVALID"), 7);
        CHECK_EQ(ctr(f.ns, "Ip.ReasmFails"), 5);
        /* CE with ECT merges into CE */
        n = frag_frame(&f.p, frame, 7, msg, 0, 16, true, 0x02);
        probe_inject(&f.p, frame, n);
        n = frag_frame(&f.p, frame, 7, msg, 16, 32, false, 0x03);
        probe_inject(&f.p, frame, n);
        run1(&f, 1000);
        CHECK_EQ(ctr(f.ns, "Ip.ReasmOKs"), 2);
        /* the leftover queue times out; its first fragment never came, so
         * no ICMP (Linux sends one only with the first fragment) */
        run1(&f, 30 * SEC);
        CHECK_EQ(ctr(f.ns, "Ip.ReasmTimeout"), 1);
        CHECK_EQ(ctr(f.ns, "FRAG_REASM_TIMEOUT"), 1);
        CHECK_EQ(ctr(f.ns, "Icmp.OutTimeExcds"), 0);
        fix_down(&f);
}

/* A datagram whose pieces add up to more than 65535 bytes is refused once
 * complete ("Oversized IP packet"). */
static void oversized_datagram(void)
{
        struct fix f;
        fix_up(&f);
        static uint8_t msg[65544];
        /* 44 fragments of 1480 and one ending at 65544 (offset 65120) */
        for (unsigned i = 0; i < 44; i++)
                inject_frag(&f, 9, msg, i * 1480, 1480, true);
        inject_frag(&f, 9, msg, 65120, 424, false);
        CHECK_EQ(ctr(f.ns, "Ip.ReasmReqds"), 45);
        CHECK_EQ(ctr(f.ns, "Ip.ReasmFails"), 1);
        CHECK_EQ(ctr(f.ns, "Ip.ReasmOKs"), 0);
        CHECK_EQ(ctr(f.ns, "IP_FRAG_INVALID"), 45);
        /* the last fragment alone at the maximum offset: offset 65528 */
        inject_frag(&f, 10, msg, 65528, 16, false);
        CHECK_EQ(ctr(f.ns, "Ip.ReasmReqds"), 46);
        run1(&f, 31 * SEC);
        CHECK_EQ(ctr(f.ns, "Ip.ReasmTimeout"), 1);
        fix_down(&f);
}

static void timeout_sends_time_exceeded_code_1(void)
{
        struct fix f;
        fix_up(&f);
        static uint8_t msg[3000];
        echo_msg(msg, sizeof(msg), 1, 1);
        inject_frag(&f, 42, msg, 0, 1480, true);
        inject_frag(&f, 42, msg, 2960, 40, false); /* the middle one is lost */
        run1(&f, 29 * SEC);
        CHECK_EQ(ctr(f.ns, "Ip.ReasmTimeout"), 0);
        CHECK(f.p.sent.qlen == 0);
        run1(&f, 1 * SEC + 1000);
        CHECK_EQ(ctr(f.ns, "Ip.ReasmTimeout"), 1);
        CHECK_EQ(ctr(f.ns, "Ip.ReasmFails"), 1);
        CHECK_EQ(ctr(f.ns, "FRAG_REASM_TIMEOUT"), 2);
        CHECK_EQ(ctr(f.ns, "IcmpMsg.OutType11"), 1);
        struct sk_buff *s = probe_take(&f.p);
        CHECK(s != NULL);
        const uint8_t *ip = s->data + ETH_HLEN;
        CHECK_EQ(get_be32(ip + 16), PEER);
        CHECK_EQ(ip[20], ICMP_TIME_EXCEEDED);
        CHECK_EQ(ip[21], ICMP_EXC_FRAGTIME); /* code 1 */
        /* it quotes the first fragment: id 42, MF, offset 0 */
        CHECK_EQ(get_be16(ip + 28 + 4), 42);
        CHECK_EQ(get_be16(ip + 28 + 6), IP_MF);
        CHECK_EQ(get_be16(ip + 2), 20 + 8 + 548); /* 576 bytes at most */
        consume_skb(s);
        fix_down(&f);
}

/* ipfrag_max_dist: more than 64 fragments from the same source between two
 * of one datagram restart its queue. */
static void max_dist_restarts_a_stale_queue(void)
{
        struct fix f;
        fix_up(&f);
        static uint8_t msg[32];
        echo_msg(msg, sizeof(msg), 1, 1);
        for (unsigned others = 63; others <= 64; others++) {
                uint16_t id = (uint16_t)(others == 63 ? 1000 : 2000);
                inject_frag(&f, id, msg, 0, 16, true);
                for (unsigned i = 0; i < others; i++)
                        inject_frag(&f, (uint16_t)(id + 1 + i), msg, 16, 16, false);
                inject_frag(&f, id, msg, 16, 16, false);
        }
        CHECK_EQ(ctr(f.ns, "Ip.ReasmOKs"), 1);  /* 63 in between: still fine */
        CHECK_EQ(ctr(f.ns, "FRAG_TOO_FAR"), 1); /* 64: the first fragment went */
        CHECK_EQ(ctr(f.ns, "Ip.ReasmFails"), 1);
        strata_sysctl_set(f.ns, "net.ipv4.ipfrag_max_dist", "0"); /* off */
        inject_frag(&f, 3000, msg, 0, 16, true);
        for (unsigned i = 0; i < 100; i++)
                inject_frag(&f, (uint16_t)(3001 + i), msg, 16, 16, false);
        inject_frag(&f, 3000, msg, 16, 16, false);
        CHECK_EQ(ctr(f.ns, "Ip.ReasmOKs"), 2);
        run1(&f, 31 * SEC);
        fix_down(&f);
}

/* A flood of first fragments that never complete: memory stays within
 * ipfrag_high_thresh, the oldest datagrams are evicted down to
 * ipfrag_low_thresh, and a new datagram still gets through. */
static void fragment_flood_is_bounded(void)
{
        struct fix f;
        fix_up(&f);
        static uint8_t msg[32];
        echo_msg(msg, sizeof(msg), 1, 1);
        const unsigned long T = SKB_SMALL_SIZE + sizeof(struct sk_buff);
        const unsigned long high = 4194304, low = 3145728;
        unsigned long mem = 0, evicted = 0;
        for (unsigned i = 0; i < 5000; i++) {
                inject_frag(&f, (uint16_t)i, msg, 0, 16, true);
                if (mem + T > high)
                        while (mem > low) {
                                mem -= T;
                                evicted++;
                        }
                mem += T;
        }
        unsigned q;
        unsigned long m;
        queue_usage(&f, &q, &m);
        CHECK_EQ(m, mem);
        CHECK(m <= high);
        CHECK_EQ(q, mem / T);
        CHECK_EQ(ctr(f.ns, "IP_FRAG_EVICTED"), evicted);
        CHECK_EQ(ctr(f.ns, "Ip.ReasmFails"), evicted);
        CHECK_EQ(skb_pool_outstanding(f.ns->net->pool), 2 * (long)q); /* head + buffer each */
        /* legitimate traffic still completes */
        inject_frag(&f, 60000, msg, 0, 16, true);
        inject_frag(&f, 60000, msg, 16, 16, false);
        CHECK_EQ(ctr(f.ns, "Ip.ReasmOKs"), 1);
        CHECK_EQ(ctr(f.ns, "Icmp.InEchos"), 1);
        /* ipfrag_high_thresh 0 turns reassembly off */
        CHECK_EQ(strata_sysctl_set(f.ns, "net.ipv4.ipfrag_high_thresh", "0"), 0);
        CHECK_EQ(strata_sysctl_set(f.ns, "net.ipv4.ipfrag_low_thresh", "0"), 0);
        inject_frag(&f, 60001, msg, 0, 16, true);
        CHECK_EQ(ctr(f.ns, "IP_FRAGMENT"), 1);
        queue_usage(&f, &q, &m);
        CHECK_EQ(q, 0);
        CHECK_EQ(m, 0);
        fix_down(&f);
}

/* --- two namespaces over a wire the test carries by hand ----------------- */

struct wire {
        struct strata_clock *clock;
        struct strata_net *ns[2];
        struct probe p[2];
};

static void wire_run(struct wire *w, uint64_t d)
{
        strata_sim_run(w->ns, 2, strata_clock_now(w->clock) + d);
}

/* Carry every frame across, in order, until nothing moves. */
static void wire_pump(struct wire *w)
{
        for (int moved = 1; moved;) {
                moved = 0;
                wire_run(w, 1000);
                for (int i = 0; i < 2; i++) {
                        struct sk_buff *s;
                        while ((s = probe_take(&w->p[i]))) {
                                probe_inject(&w->p[1 - i], s->data, s->len);
                                consume_skb(s);
                                moved = 1;
                        }
                }
        }
}

struct replies {
        int echo, errors, type, code;
        size_t bytes;
};

static void on_ping(const struct strata_ping_result *r, void *ctx)
{
        struct replies *rp = ctx;
        if (r->icmp_type == 0)
                rp->echo++;
        else
                rp->errors++;
        rp->type = r->icmp_type;
        rp->code = r->icmp_code;
        rp->bytes = r->bytes;
}

static void wire_up(struct wire *w, struct replies *rp)
{
        w->clock = strata_clock_new(true);
        CHECK_EQ(strata_net_new("alpha", w->clock, 1, &w->ns[0]), 0);
        CHECK_EQ(strata_net_new("beta", w->clock, 2, &w->ns[1]), 0);
        for (int i = 0; i < 2; i++)
                CHECK_EQ(probe_create(w->ns[i]->net, "probe0", &w->p[i]), 0);
        w->p[0].dev->dev_addr[5] = 1; /* distinct MACs */
        CHECK_EQ(strata_addr_add(w->ns[0], "probe0", "10.0.0.1/24"), 0);
        CHECK_EQ(strata_addr_add(w->ns[1], "probe0", "10.0.0.2/24"), 0);
        CHECK_EQ(strata_ping_listen(w->ns[0], 5, on_ping, rp), 0);
        CHECK_EQ(strata_ping_send(w->ns[0], "10.0.0.2", 5, 1, 56), 0); /* resolves ARP */
        wire_pump(w);
        CHECK_EQ(rp->echo, 1);
}

static void wire_down(struct wire *w)
{
        for (int i = 0; i < 2; i++)
                probe_drain(&w->p[i]);
        for (int i = 0; i < 2; i++)
                CHECK_EQ(skb_pool_outstanding(w->ns[i]->net->pool), 0);
        for (int i = 0; i < 2; i++)
                strata_net_free(w->ns[i]);
        strata_clock_free(w->clock);
}

/* Take alpha's fragments and deliver them to beta as order says (-1 ends;
 * indices not listed are lost). */
static void carry(struct wire *w, const int *order, unsigned expect)
{
        struct sk_buff *f[64];
        unsigned n = 0;
        wire_run(w, 1000);
        while (n < 64 && (f[n] = probe_take(&w->p[0])))
                n++;
        CHECK_EQ(n, expect);
        for (const int *o = order; *o >= 0; o++)
                probe_inject(&w->p[1], f[*o]->data, f[*o]->len);
        for (unsigned i = 0; i < n; i++)
                consume_skb(f[i]);
}

static void ping_4000_bytes_over_reordering_and_loss(void)
{
        struct wire w;
        struct replies rp = { 0 };
        wire_up(&w, &rp);
        /* ping -s 4000: 4008 bytes of ICMP in 3 fragments, delivered
         * backwards; the reply comes back whole */
        CHECK_EQ(strata_ping_send(w.ns[0], "10.0.0.2", 5, 2, 4000), 0);
        carry(&w, (const int[]){ 2, 1, 0, -1 }, 3);
        wire_pump(&w);
        CHECK_EQ(rp.echo, 2);
        CHECK_EQ(rp.bytes, 4008);
        CHECK_EQ(ctr(w.ns[1], "Ip.ReasmOKs"), 1);
        CHECK_EQ(ctr(w.ns[1], "Ip.FragCreates"), 3); /* the reply */
        CHECK_EQ(ctr(w.ns[0], "Ip.ReasmOKs"), 1);
        /* one fragment lost and one duplicated: nothing, then after
         * ipfrag_time the sender hears ICMP time exceeded, code 1 */
        CHECK_EQ(strata_ping_send(w.ns[0], "10.0.0.2", 5, 3, 4000), 0);
        carry(&w, (const int[]){ 0, 2, 0, -1 }, 3);
        wire_pump(&w);
        CHECK_EQ(rp.echo, 2);
        CHECK_EQ(ctr(w.ns[1], "DUP_FRAG"), 1);
        wire_run(&w, 30 * SEC);
        wire_pump(&w);
        CHECK_EQ(rp.errors, 1);
        CHECK_EQ(rp.type, ICMP_TIME_EXCEEDED);
        CHECK_EQ(rp.code, ICMP_EXC_FRAGTIME);
        CHECK_EQ(ctr(w.ns[1], "Ip.ReasmTimeout"), 1);
        /* the next one gets through */
        CHECK_EQ(strata_ping_send(w.ns[0], "10.0.0.2", 5, 4, 4000), 0);
        carry(&w, (const int[]){ 1, 0, 2, -1 }, 3);
        wire_pump(&w);
        CHECK_EQ(rp.echo, 3);
        CHECK_EQ(ctr(w.ns[1], "Ip.ReasmOKs"), 2);
        wire_down(&w);
}

/* --- veth labs ------------------------------------------------------------ */

struct lab {
        struct strata_clock *clock;
        struct strata_net *ns[3];
        size_t n;
};

static void run(struct lab *lab, uint64_t d)
{
        CHECK_EQ(strata_sim_run(lab->ns, lab->n, strata_clock_now(lab->clock) + d), 0);
}

/* alpha(10.0.0.1) --veth-- beta(10.0.0.2 | 10.0.1.1) --veth-- gamma(10.0.1.2) */
static void lab_up(struct lab *lab, size_t n)
{
        lab->clock = strata_clock_new(true);
        lab->n = n;
        static const char *names[] = { "alpha", "beta", "gamma" };
        for (size_t i = 0; i < n; i++)
                CHECK_EQ(strata_net_new(names[i], lab->clock, 42 + i, &lab->ns[i]), 0);
        CHECK_EQ(strata_veth_add(lab->ns[0], "veth0", lab->ns[1], "veth0"), 0);
        CHECK_EQ(strata_addr_add(lab->ns[0], "veth0", "10.0.0.1/24"), 0);
        CHECK_EQ(strata_addr_add(lab->ns[1], "veth0", "10.0.0.2/24"), 0);
        CHECK_EQ(strata_link_set_up(lab->ns[0], "veth0", true), 0);
        CHECK_EQ(strata_link_set_up(lab->ns[1], "veth0", true), 0);
        if (n == 3) {
                CHECK_EQ(strata_veth_add(lab->ns[1], "veth1", lab->ns[2], "veth0"), 0);
                CHECK_EQ(strata_addr_add(lab->ns[1], "veth1", "10.0.1.1/24"), 0);
                CHECK_EQ(strata_addr_add(lab->ns[2], "veth0", "10.0.1.2/24"), 0);
                CHECK_EQ(strata_link_set_up(lab->ns[1], "veth1", true), 0);
                CHECK_EQ(strata_link_set_up(lab->ns[2], "veth0", true), 0);
                CHECK_EQ(strata_route_add(lab->ns[0], "default", "10.0.0.2", NULL), 0);
                CHECK_EQ(strata_route_add(lab->ns[2], "default", "10.0.1.1", NULL), 0);
                CHECK_EQ(strata_sysctl_set(lab->ns[1], "net.ipv4.ip_forward", "1"), 0);
        }
        run(lab, SEC);
}

static void lab_down(struct lab *lab)
{
        for (size_t i = 0; i < lab->n; i++)
                CHECK_EQ(skb_pool_outstanding(lab->ns[i]->net->pool), 0);
        for (size_t i = 0; i < lab->n; i++)
                strata_net_free(lab->ns[i]);
        strata_clock_free(lab->clock);
}

/* A 4000-byte UDP datagram between two namespaces on MTU 1500 links
 * arrives byte-exact, reassembled under the socket. */
static void udp_4000_bytes_arrive_byte_exact(void)
{
        struct lab lab;
        lab_up(&lab, 2);
        int fd = strata_socket(lab.ns[1], AF_INET, SOCK_DGRAM, 0);
        CHECK(fd >= 0);
        struct sockaddr_in sin = { .sin_family = AF_INET,
                                   .sin_port = htons(9000),
                                   .sin_addr.s_addr = htonl(INADDR_ANY) };
        CHECK_EQ(strata_bind(lab.ns[1], fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
        static uint8_t dgram[UDP_HLEN + 4000], in[8192];
        for (size_t i = 0; i < 4000; i++)
                dgram[UDP_HLEN + i] = (uint8_t)(i * 131 + 17);
        struct udp_repr u = { .sport = 4444, .dport = 9000, .len = UDP_HLEN + 4000 };
        udp_emit(&u, dgram, UDP_HLEN);
        put_be16(dgram + 6, udp_csum_ipv4(PEER, HOST, dgram, sizeof(dgram)));
        /* as a socket with IP_PMTUDISC_WANT (the default) sends it */
        CHECK_EQ(send_ip(lab.ns[0], HOST, IPPROTO_UDP_, dgram, sizeof(dgram), IP_PMTUDISC_WANT), 0);
        run(&lab, SEC);
        CHECK_EQ(ctr(lab.ns[0], "Ip.FragCreates"), 3);
        CHECK_EQ(ctr(lab.ns[1], "Ip.ReasmOKs"), 1);
        struct sockaddr_in from;
        socklen_t fl = sizeof(from);
        CHECK_EQ(strata_recvfrom(lab.ns[1], fd, in, sizeof(in), MSG_DONTWAIT,
                                 (struct sockaddr *)&from, &fl),
                 4000);
        CHECK_MEM(in, dgram + UDP_HLEN, 4000);
        CHECK_EQ(ntohs(from.sin_port), 4444);
        CHECK_EQ(ctr(lab.ns[1], "Udp.InDatagrams"), 1);
        CHECK_EQ(strata_close(lab.ns[1], fd), 0);
        lab_down(&lab);
}

/* The same through the socket API: skipped while udp_sendmsg still refuses
 * datagrams above the MTU itself. */
static void udp_sendto_4000_bytes(void)
{
        struct lab lab;
        lab_up(&lab, 2);
        int rfd = strata_socket(lab.ns[1], AF_INET, SOCK_DGRAM, 0);
        int sfd = strata_socket(lab.ns[0], AF_INET, SOCK_DGRAM, 0);
        CHECK(rfd >= 0 && sfd >= 0);
        struct sockaddr_in sin = { .sin_family = AF_INET,
                                   .sin_port = htons(9000),
                                   .sin_addr.s_addr = htonl(HOST) };
        CHECK_EQ(strata_bind(lab.ns[1], rfd, (struct sockaddr *)&sin, sizeof(sin)), 0);
        static uint8_t out[4000], in[8192];
        for (size_t i = 0; i < sizeof(out); i++)
                out[i] = (uint8_t)(i * 13 + 5);
        ssize_t r = strata_sendto(lab.ns[0], sfd, out, sizeof(out), 0, (struct sockaddr *)&sin,
                                  sizeof(sin));
        if (r == -EMSGSIZE) {
                strata_close(lab.ns[0], sfd);
                strata_close(lab.ns[1], rfd);
                lab_down(&lab);
                SKIP("udp_sendmsg refuses datagrams above the MTU (src/transport/udp.c)");
        }
        CHECK_EQ(r, 4000);
        run(&lab, SEC);
        CHECK_EQ(strata_recvfrom(lab.ns[1], rfd, in, sizeof(in), MSG_DONTWAIT, NULL, NULL), 4000);
        CHECK_MEM(in, out, 4000);
        CHECK_EQ(ctr(lab.ns[0], "Ip.FragCreates"), 3);
        CHECK_EQ(ctr(lab.ns[1], "Ip.ReasmOKs"), 1);
        CHECK_EQ(strata_close(lab.ns[0], sfd), 0);
        CHECK_EQ(strata_close(lab.ns[1], rfd), 0);
        lab_down(&lab);
}

/* A router toward a smaller link: DF packets get "fragmentation needed"
 * with the MTU, others are fragmented and reassembled at the far end. */
static void router_fragments_or_says_frag_needed(void)
{
        struct lab lab;
        struct replies rp = { 0 };
        lab_up(&lab, 3);
        CHECK_EQ(strata_link_set_mtu(lab.ns[1], "veth1", 1000), 0);
        CHECK_EQ(strata_ping_listen(lab.ns[0], 5, on_ping, &rp), 0);
        CHECK_EQ(strata_ping_send(lab.ns[0], "10.0.1.2", 5, 1, 1400), 0); /* DF */
        run(&lab, SEC);
        CHECK_EQ(rp.errors, 1);
        CHECK_EQ(rp.type, ICMP_DEST_UNREACH);
        CHECK_EQ(rp.code, ICMP_FRAG_NEEDED);
        CHECK_EQ(ctr(lab.ns[1], "Ip.FragFails"), 1);
        CHECK_EQ(ctr(lab.ns[1], "PKT_TOO_BIG"), 1);
        /* without DF (ping -M dont) it goes through in two pieces: cut by
         * the router, or -- once alpha has learned the path MTU from the
         * first answer -- by alpha itself, as Linux */
        static uint8_t msg[1408];
        echo_msg(msg, sizeof(msg), 5, 2);
        CHECK_EQ(strata_sysctl_set(lab.ns[0], "net.ipv4.route.flush", "1"), 0);
        CHECK_EQ(send_ip(lab.ns[0], GAMMA, IPPROTO_ICMP_, msg, sizeof(msg), IP_PMTUDISC_DONT), 0);
        run(&lab, SEC);
        CHECK_EQ(ctr(lab.ns[1], "Ip.FragOKs"), 1);
        CHECK_EQ(ctr(lab.ns[1], "Ip.FragCreates"), 2);   /* 976 + 432 */
        CHECK_EQ(ctr(lab.ns[1], "Ip.ForwDatagrams"), 2); /* the request and the reply */
        CHECK_EQ(rp.echo, 1);
        CHECK_EQ(strata_ping_send(lab.ns[0], "10.0.1.2", 5, 3, 1400), 0); /* DF again */
        run(&lab, SEC);
        CHECK_EQ(rp.errors, 2);
        echo_msg(msg, sizeof(msg), 5, 4);
        CHECK_EQ(send_ip(lab.ns[0], GAMMA, IPPROTO_ICMP_, msg, sizeof(msg), IP_PMTUDISC_DONT), 0);
        run(&lab, SEC);
        CHECK_EQ(ctr(lab.ns[0], "Ip.FragOKs"), 1); /* alpha cut it to the path MTU */
        CHECK_EQ(ctr(lab.ns[0], "Ip.FragCreates"), 2);
        CHECK_EQ(ctr(lab.ns[1], "Ip.FragOKs"), 1); /* the router had nothing to cut */
        CHECK_EQ(ctr(lab.ns[1], "Ip.ForwDatagrams"), 5);
        CHECK_EQ(ctr(lab.ns[2], "Ip.ReasmOKs"), 2);
        CHECK_EQ(rp.echo, 2);
        CHECK_EQ(ctr(lab.ns[2], "Ip.ReasmReqds"), 4);
        CHECK_EQ(rp.bytes, 1408);
        lab_down(&lab);
}

TEST_MAIN(T(local_output_follows_ip_mtu_discover), T(reassembles_in_any_order),
          T(duplicates_overlaps_and_contradictions), T(oversized_datagram),
          T(timeout_sends_time_exceeded_code_1), T(max_dist_restarts_a_stale_queue),
          T(fragment_flood_is_bounded), T(ping_4000_bytes_over_reordering_and_loss),
          T(udp_4000_bytes_arrive_byte_exact), T(udp_sendto_4000_bytes),
          T(router_fragments_or_says_frag_needed))
