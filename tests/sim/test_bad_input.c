/*
 * Bad input from the wire: every malformed or unwanted frame is dropped
 * with its named reason and counted where Linux counts it; nothing leaks.
 * Frames are injected through a probe device (probe.h) into a namespace
 * holding 10.0.0.2/24; the "remote host" is 10.0.0.1.
 */
#include <string.h>

#include "../test.h"
#include "api/api.h"
#include "probe.h"
#include "strata/strata.h"

#define HOST  0x0a000002u /* 10.0.0.2, ours */
#define PEER  0x0a000001u /* 10.0.0.1 */
#define OTHER 0x0a000063u /* 10.0.0.99, nobody */

struct fix {
        struct strata_clock *clock;
        struct strata_net *ns;
        struct probe p;
};

static void fix_up(struct fix *f)
{
        f->clock = strata_clock_new(true);
        CHECK_EQ(strata_net_new("host", f->clock, 7, &f->ns), 0);
        CHECK_EQ(probe_create(f->ns->net, "probe0", &f->p), 0);
        CHECK_EQ(strata_addr_add(f->ns, "probe0", "10.0.0.2/24"), 0);
        strata_sim_run(&f->ns, 1, strata_clock_now(f->clock) + 1000);
        probe_drain(&f->p); /* the gratuitous ARP */
}

static void fix_down(struct fix *f)
{
        probe_drain(&f->p);
        CHECK_EQ(skb_pool_outstanding(f->ns->net->pool), 0);
        strata_net_free(f->ns);
        strata_clock_free(f->clock);
}

static void deliver(struct fix *f, const uint8_t *frame, size_t len)
{
        probe_inject(&f->p, frame, len);
        strata_sim_run(&f->ns, 1, strata_clock_now(f->clock) + 1000);
}

static uint64_t ctr(struct fix *f, const char *name)
{
        uint64_t v = 0;
        CHECK_EQ(strata_counter(f->ns, name, &v), 0);
        return v;
}

/* Let the peer introduce itself, so that replies need no resolution. */
static void learn_peer(struct fix *f)
{
        uint8_t frame[64];
        static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
        size_t n = probe_arp_frame(&f->p, frame, ARPOP_REQUEST, PEER, HOST, bcast);
        deliver(f, frame, n);
        probe_drain(&f->p);
}

static uint64_t dev_drops(struct fix *f, enum skb_drop_reason r)
{
        return f->p.dev->drops[r];
}

static void truncated_ethernet_frame(void)
{
        struct fix f;
        fix_up(&f);
        uint8_t frame[10] = { 2, 0, 0, 0, 0, 2, 2, 0, 0, 0 };
        deliver(&f, frame, sizeof(frame));
        CHECK_EQ(ctr(&f, "PKT_TOO_SMALL"), 1);
        CHECK_EQ(dev_drops(&f, SKB_DROP_REASON_PKT_TOO_SMALL), 1);
        CHECK_EQ(f.p.dev->stats.rx_length_errors, 1);
        fix_down(&f);
}

static void frame_for_another_mac(void)
{
        struct fix f;
        fix_up(&f);
        uint8_t frame[128];
        size_t n = probe_echo_frame(&f.p, frame, PEER, HOST, 1, 1);
        frame[5] = 0x99; /* destination MAC is not ours */
        deliver(&f, frame, n);
        CHECK_EQ(ctr(&f, "OTHERHOST"), 1);
        CHECK_EQ(ctr(&f, "Ip.InReceives"), 0);
        CHECK(f.p.sent.qlen == 0);
        fix_down(&f);
}

static void unknown_ethertype(void)
{
        struct fix f;
        fix_up(&f);
        uint8_t frame[60] = { 2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x88, 0xb5 };
        deliver(&f, frame, sizeof(frame));
        CHECK_EQ(ctr(&f, "UNHANDLED_PROTO"), 1);
        CHECK_EQ(f.p.dev->stats.rx_nohandler, 1);
        fix_down(&f);
}

static void ip_bad_checksum(void)
{
        struct fix f;
        fix_up(&f);
        uint8_t frame[128];
        size_t n = probe_echo_frame(&f.p, frame, PEER, HOST, 1, 1);
        frame[ETH_HLEN + 10] ^= 0xff;
        deliver(&f, frame, n);
        CHECK_EQ(ctr(&f, "IP_CSUM"), 1);
        CHECK_EQ(ctr(&f, "Ip.InHdrErrors"), 1);
        CHECK_EQ(ctr(&f, "IpExt.InCsumErrors"), 1);
        CHECK_EQ(ctr(&f, "Icmp.InMsgs"), 0);
        fix_down(&f);
}

/* Rewrite a header field and fix the header checksum, so only the field
 * itself is wrong. */
static void ip_patch(uint8_t *frame, unsigned off, uint8_t v)
{
        uint8_t *ip = frame + ETH_HLEN;
        ip[off] = v;
        ip[10] = ip[11] = 0;
        put_be16(ip + 10, ip_compute_csum(ip, (size_t)(ip[0] & 0x0f) * 4 >= 20 ? 20 : 20));
}

static void ip_bad_version_and_ihl(void)
{
        struct fix f;
        fix_up(&f);
        uint8_t frame[128];
        size_t n = probe_echo_frame(&f.p, frame, PEER, HOST, 1, 1);
        ip_patch(frame, 0, 0x65); /* version 6 */
        deliver(&f, frame, n);
        n = probe_echo_frame(&f.p, frame, PEER, HOST, 1, 1);
        ip_patch(frame, 0, 0x44); /* IHL 4: 16 bytes */
        deliver(&f, frame, n);
        CHECK_EQ(ctr(&f, "IP_INHDR"), 2);
        CHECK_EQ(ctr(&f, "Ip.InHdrErrors"), 2);
        fix_down(&f);
}

static void ip_total_length_wrong(void)
{
        struct fix f;
        fix_up(&f);
        uint8_t frame[128];
        size_t n = probe_echo_frame(&f.p, frame, PEER, HOST, 1, 1);
        deliver(&f, frame, n - 10); /* cut short: tot_len > bytes */
        CHECK_EQ(ctr(&f, "PKT_TOO_SMALL"), 1);
        CHECK_EQ(ctr(&f, "IpExt.InTruncatedPkts"), 1);
        n = probe_echo_frame(&f.p, frame, PEER, HOST, 1, 1);
        ip_patch(frame, 2, 0);
        ip_patch(frame, 3, 12); /* tot_len 12 < ihl */
        deliver(&f, frame, n);
        CHECK_EQ(ctr(&f, "IP_INHDR"), 1);
        fix_down(&f);
}

static void ip_bad_option_gets_parameter_problem(void)
{
        struct fix f;
        fix_up(&f);
        uint8_t frame[160];
        learn_peer(&f);
        /* IHL 6 with an option of length 1 (invalid: minimum 2) */
        uint8_t icmp[8] = { 8, 0, 0, 0, 0, 1, 0, 1 };
        put_be16(icmp + 2, ip_compute_csum(icmp, 8));
        struct eth_repr e;
        memcpy(e.dst, f.p.dev->dev_addr, 6);
        memcpy(e.src, f.p.peer_mac, 6);
        e.ethertype = ETH_P_IP;
        eth_emit(&e, frame, ETH_HLEN);
        uint8_t opts[4] = { IPOPT_RR, 1, 0, 0 };
        struct ipv4_repr ip = {
                .ihl = 24, .tot_len = 32, .ttl = 64, .protocol = 1, .saddr = PEER, .daddr = HOST
        };
        CHECK_EQ(ipv4_emit(&ip, opts, frame + ETH_HLEN, 24), 24);
        memcpy(frame + ETH_HLEN + 24, icmp, 8);
        deliver(&f, frame, ETH_HLEN + 32);
        CHECK_EQ(ctr(&f, "IP_INHDR"), 1);
        CHECK_EQ(ctr(&f, "Icmp.OutParmProbs"), 1);
        struct sk_buff *out = probe_take(&f.p);
        CHECK(out != NULL);
        CHECK_EQ(get_be16(out->data + 12), ETH_P_IP);
        CHECK_EQ(out->data[ETH_HLEN + 20], ICMP_PARAMETERPROB);
        CHECK_EQ(out->data[ETH_HLEN + 24], 20); /* pointer: the bad option, as Linux */
        consume_skb(out);
        fix_down(&f);
}

static void arp_wrong_sizes_and_truncated(void)
{
        struct fix f;
        fix_up(&f);
        uint8_t frame[64];
        static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
        size_t n = probe_arp_frame(&f.p, frame, ARPOP_REQUEST, PEER, HOST, bcast);
        frame[ETH_HLEN + 4] = 8; /* hlen 8 */
        deliver(&f, frame, n);
        CHECK_EQ(ctr(&f, "ARP_INVALID"), 1);
        n = probe_arp_frame(&f.p, frame, ARPOP_REQUEST, PEER, HOST, bcast);
        deliver(&f, frame, ETH_HLEN + 20);
        CHECK_EQ(ctr(&f, "PKT_TOO_SMALL"), 1);
        CHECK(f.p.sent.qlen == 0); /* neither was answered */
        fix_down(&f);
}

static void arp_request_answered_and_learned(void)
{
        struct fix f;
        fix_up(&f);
        uint8_t frame[64];
        static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
        size_t n = probe_arp_frame(&f.p, frame, ARPOP_REQUEST, PEER, HOST, bcast);
        deliver(&f, frame, n);
        struct sk_buff *out = probe_take(&f.p);
        CHECK(out != NULL);
        struct arp_repr a;
        CHECK_EQ(arp_parse(out->data + ETH_HLEN, out->len - ETH_HLEN, &a), WIRE_OK);
        CHECK_EQ(a.op, ARPOP_REPLY);
        CHECK_EQ(a.spa, HOST);
        CHECK_EQ(a.tpa, PEER);
        CHECK_MEM(a.tha, f.p.peer_mac, 6);
        CHECK_MEM(out->data, f.p.peer_mac, 6); /* unicast to the asker */
        consume_skb(out);
        fix_down(&f);
}

static void icmp_bad_checksum_and_truncated(void)
{
        struct fix f;
        fix_up(&f);
        uint8_t frame[128];
        size_t n = probe_echo_frame(&f.p, frame, PEER, HOST, 1, 1);
        frame[ETH_HLEN + 20 + 9] ^= 0x55; /* payload byte: ICMP checksum breaks */
        deliver(&f, frame, n);
        CHECK_EQ(ctr(&f, "ICMP_CSUM"), 1);
        CHECK_EQ(ctr(&f, "Icmp.InCsumErrors"), 1);
        CHECK_EQ(ctr(&f, "Icmp.InErrors"), 1);
        uint8_t four[4] = { 8, 0, 0, 0 };
        n = probe_ipv4_frame(&f.p, frame, PEER, HOST, 1, 64, four, 4);
        deliver(&f, frame, n);
        CHECK_EQ(ctr(&f, "Icmp.InErrors"), 2);
        CHECK_EQ(ctr(&f, "PKT_TOO_SMALL"), 1);
        CHECK(f.p.sent.qlen == 0);
        fix_down(&f);
}

static void unknown_protocol(void)
{
        struct fix f;
        fix_up(&f);
        learn_peer(&f);
        uint8_t frame[128], payload[8] = { 0 };
        size_t n = probe_ipv4_frame(&f.p, frame, PEER, HOST, 253, 64, payload, 8);
        deliver(&f, frame, n);
        CHECK_EQ(ctr(&f, "IP_NOPROTO"), 1);
        CHECK_EQ(ctr(&f, "Ip.InUnknownProtos"), 1);
        CHECK_EQ(ctr(&f, "Icmp.OutDestUnreachs"), 1);
        struct sk_buff *out = probe_take(&f.p);
        CHECK(out != NULL);
        CHECK_EQ(out->data[ETH_HLEN + 20], ICMP_DEST_UNREACH);
        CHECK_EQ(out->data[ETH_HLEN + 21], ICMP_PROT_UNREACH);
        CHECK_EQ(out->data[ETH_HLEN + 1], 0xc0); /* TOS: internetwork control */
        consume_skb(out);
        fix_down(&f);
}

static void martians_and_not_ours(void)
{
        struct fix f;
        fix_up(&f);
        uint8_t frame[128];
        size_t n = probe_echo_frame(&f.p, frame, 0x7f000001u, HOST, 1, 1);
        deliver(&f, frame, n);
        CHECK_EQ(ctr(&f, "IP_INVALID_SOURCE"), 1);
        n = probe_echo_frame(&f.p, frame, HOST, HOST, 1, 1); /* our own source */
        deliver(&f, frame, n);
        CHECK_EQ(ctr(&f, "IP_LOCAL_SOURCE"), 1);
        n = probe_echo_frame(&f.p, frame, PEER, 0x7f000001u, 1, 1);
        deliver(&f, frame, n);
        CHECK_EQ(ctr(&f, "IP_INVALID_DEST"), 1);
        n = probe_echo_frame(&f.p, frame, PEER, OTHER, 1, 1);
        deliver(&f, frame, n);
        CHECK_EQ(ctr(&f, "IP_INADDRERRORS"), 1);
        CHECK_EQ(ctr(&f, "Ip.InAddrErrors"), 1);
        CHECK(f.p.sent.qlen == 0);
        fix_down(&f);
}

static void fragment_and_broadcast_echo(void)
{
        struct fix f;
        fix_up(&f);
        uint8_t frame[128];
        learn_peer(&f);
        size_t n = probe_echo_frame(&f.p, frame, PEER, HOST, 1, 1);
        ip_patch(frame, 6, 0x20); /* MF: a first fragment whose rest never comes */
        deliver(&f, frame, n);
        CHECK_EQ(ctr(&f, "Ip.ReasmReqds"), 1);
        CHECK_EQ(ctr(&f, "Ip.ReasmFails"), 0);
        CHECK(f.p.sent.qlen == 0); /* queued, waiting */
        strata_sim_run(&f.ns, 1, strata_clock_now(f.clock) + 30 * 1000000000ull);
        CHECK_EQ(ctr(&f, "FRAG_REASM_TIMEOUT"), 1);
        CHECK_EQ(ctr(&f, "Ip.ReasmTimeout"), 1);
        CHECK_EQ(ctr(&f, "Ip.ReasmFails"), 1);
        CHECK_EQ(ctr(&f, "Icmp.OutTimeExcds"), 1); /* code 1, tested in test_frag */
        probe_drain(&f.p);
        n = probe_echo_frame(&f.p, frame, PEER, 0xffffffffu, 1, 1);
        memset(frame, 0xff, 6);
        deliver(&f, frame, n);
        CHECK_EQ(ctr(&f, "INVALID_PROTO"), 1); /* icmp_echo_ignore_broadcasts=1 */
        CHECK(f.p.sent.qlen == 0);
        fix_down(&f);
}

static void valid_echo_is_answered_after_arp(void)
{
        struct fix f;
        fix_up(&f);
        uint8_t frame[128];
        size_t n = probe_echo_frame(&f.p, frame, PEER, HOST, 0x1234, 5);
        deliver(&f, frame, n);
        /* the reply waits for the peer's MAC: an ARP request went out */
        struct sk_buff *req = probe_take(&f.p);
        CHECK(req != NULL);
        CHECK_EQ(get_be16(req->data + 12), ETH_P_ARP);
        consume_skb(req);
        static const uint8_t me[6] = { 2, 0, 0, 0, 0, 2 };
        n = probe_arp_frame(&f.p, frame, ARPOP_REPLY, PEER, HOST, me);
        deliver(&f, frame, n);
        struct sk_buff *rep = probe_take(&f.p);
        CHECK(rep != NULL);
        struct ipv4_repr ip;
        CHECK_EQ(ipv4_parse(rep->data + ETH_HLEN, rep->len - ETH_HLEN, true, &ip, NULL), WIRE_OK);
        CHECK_EQ(ip.saddr, HOST);
        CHECK_EQ(ip.daddr, PEER);
        struct icmp_repr ic;
        CHECK_EQ(icmp_parse(rep->data + ETH_HLEN + 20, rep->len - ETH_HLEN - 20, true, &ic),
                 WIRE_OK);
        CHECK_EQ(ic.type, ICMP_ECHOREPLY);
        CHECK_EQ(icmp_echo_id(&ic), 0x1234);
        CHECK_EQ(icmp_echo_seq(&ic), 5);
        CHECK_EQ(ic.payload_len, 16);
        consume_skb(rep);
        fix_down(&f);
}

static void down_device_drops(void)
{
        struct fix f;
        fix_up(&f);
        CHECK_EQ(strata_link_set_up(f.ns, "probe0", false), 0);
        uint8_t frame[128];
        size_t n = probe_echo_frame(&f.p, frame, PEER, HOST, 1, 1);
        deliver(&f, frame, n);
        CHECK_EQ(ctr(&f, "DEV_READY"), 1);
        fix_down(&f);
}

TEST_MAIN(T(truncated_ethernet_frame), T(frame_for_another_mac), T(unknown_ethertype),
          T(ip_bad_checksum), T(ip_bad_version_and_ihl), T(ip_total_length_wrong),
          T(ip_bad_option_gets_parameter_problem), T(arp_wrong_sizes_and_truncated),
          T(arp_request_answered_and_learned), T(icmp_bad_checksum_and_truncated),
          T(unknown_protocol), T(martians_and_not_ours), T(fragment_and_broadcast_echo),
          T(valid_echo_is_answered_after_arp), T(down_device_drops))
