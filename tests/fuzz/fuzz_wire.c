/*
 * libFuzzer target for the pure wire parsers: the same bytes go to every
 * parser (Ethernet, ARP, IPv4 with and without checksum verification, IPv4
 * options alone, ICMP, the dotted-quad reader).  Whatever a parser accepts
 * must survive a round trip: emitting the representation gives back the
 * input bytes (up to the checksum's two representations of zero) and
 * re-parsing the output gives the same representation.  Any violation
 * aborts, so libFuzzer keeps the input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wire/arp.h"
#include "wire/bytes.h"
#include "wire/checksum.h"
#include "wire/ethernet.h"
#include "wire/icmp.h"
#include "wire/ipv4.h"

#define ASSERT(c)                                                                                  \
        do {                                                                                       \
                if (!(c))                                                                          \
                        abort();                                                                   \
        } while (0)

/* Two checksum fields that verify over the same data: equal, or 0x0000 and
 * 0xffff (one's-complement zero has two forms; a sender may use either). */
static int csum_equiv(uint16_t a, uint16_t b)
{
        return a == b || (a == 0 && b == 0xffff) || (a == 0xffff && b == 0);
}

static void fuzz_eth(const uint8_t *data, size_t size)
{
        struct eth_repr e, e2;
        uint8_t out[ETH_HLEN];

        if (eth_parse(data, size, &e) != WIRE_OK) {
                ASSERT(size < ETH_HLEN);
                return;
        }
        ASSERT(size >= ETH_HLEN);
        ASSERT(eth_emit(&e, out, sizeof(out)) == ETH_HLEN);
        ASSERT(memcmp(out, data, ETH_HLEN) == 0);
        ASSERT(eth_parse(out, sizeof(out), &e2) == WIRE_OK);
        ASSERT(memcmp(&e, &e2, sizeof(e)) == 0);
        ASSERT(eth_emit(&e, out, ETH_HLEN - 1) == 0);

        char s[18];

        ASSERT(strlen(eth_addr_fmt(e.src, s)) == 17);
}

static void fuzz_arp(const uint8_t *data, size_t size)
{
        struct arp_repr a, a2;
        uint8_t out[ARP_HLEN];

        if (arp_parse(data, size, &a) != WIRE_OK)
                return;
        ASSERT(size >= ARP_HLEN);
        ASSERT(arp_emit(&a, out, sizeof(out)) == ARP_HLEN);
        ASSERT(memcmp(out, data, ARP_HLEN) == 0);
        ASSERT(arp_parse(out, sizeof(out), &a2) == WIRE_OK);
        ASSERT(a.op == a2.op && a.spa == a2.spa && a.tpa == a2.tpa);
        ASSERT(memcmp(a.sha, a2.sha, 6) == 0 && memcmp(a.tha, a2.tha, 6) == 0);
}

/* Offsets recorded by the option parser point at an option of the right
 * type that lies inside the header, with the invariants later stages rely
 * on (pointer slots that fit). */
static void check_options(const uint8_t *hdr, const struct ipv4_options *o)
{
        unsigned end = IPV4_HLEN_MIN + o->optlen;
        const uint8_t offs[] = { o->srr, o->rr, o->ts, o->router_alert, o->sec };

        ASSERT(o->optlen <= IPV4_HLEN_MAX - IPV4_HLEN_MIN);
        for (size_t i = 0; i < sizeof(offs); i++) {
                if (!offs[i])
                        continue;
                ASSERT(offs[i] >= IPV4_HLEN_MIN && offs[i] + 2u <= end);
                ASSERT(hdr[offs[i] + 1] >= 2 && offs[i] + hdr[offs[i] + 1] <= end);
        }
        if (o->srr) {
                ASSERT(hdr[o->srr] == (o->is_strictroute ? IPOPT_SSRR : IPOPT_LSRR));
                ASSERT(hdr[o->srr + 1] >= 3 && hdr[o->srr + 2] >= 4);
        } else {
                ASSERT(!o->is_strictroute);
        }
        if (o->rr) {
                unsigned len = hdr[o->rr + 1], ptr = hdr[o->rr + 2];

                ASSERT(hdr[o->rr] == IPOPT_RR && len >= 3 && ptr >= 4);
                ASSERT(ptr > len || ptr + 3 <= len);
        }
        if (o->ts) {
                unsigned len = hdr[o->ts + 1], ptr = hdr[o->ts + 2];

                ASSERT(hdr[o->ts] == IPOPT_TS && len >= 4 && ptr >= 5);
                ASSERT(ptr > len || ptr + 3 <= len);
        }
        if (o->router_alert)
                ASSERT(hdr[o->router_alert] == IPOPT_RA && hdr[o->router_alert + 1] == 4);
        if (o->sec)
                ASSERT(hdr[o->sec] == IPOPT_SEC);
}

static void fuzz_ipv4(const uint8_t *data, size_t size, bool verify)
{
        struct ipv4_repr r, r2;
        uint8_t out[IPV4_HLEN_MAX];
        unsigned bad = 0xdead;
        enum wire_status st = ipv4_parse(data, size, verify, &r, &bad);

        if (st == WIRE_BAD_OPTION) {
                ASSERT(bad >= IPV4_HLEN_MIN && bad < (data[0] & 0x0fu) * 4);
                return;
        }
        ASSERT(bad == 0xdead);
        if (st != WIRE_OK)
                return;

        ASSERT(r.ihl >= IPV4_HLEN_MIN && r.ihl <= IPV4_HLEN_MAX && r.ihl % 4 == 0);
        ASSERT(r.ihl <= r.tot_len && r.tot_len <= size);
        ASSERT(r.opt.optlen == r.ihl - IPV4_HLEN_MIN);
        check_options(data, &r.opt);

        /* Emit: identical bytes except perhaps the checksum, which is now
         * right whatever it was. */
        ASSERT(ipv4_emit(&r, data + IPV4_HLEN_MIN, out, sizeof(out)) == r.ihl);
        ASSERT(memcmp(out, data, 10) == 0);
        ASSERT(memcmp(out + 12, data + 12, r.ihl - 12u) == 0);
        ASSERT(ip_compute_csum(out, r.ihl) == 0);
        if (verify)
                ASSERT(csum_equiv(get_be16(out + 10), r.check));
        ASSERT(ipv4_emit(&r, data + IPV4_HLEN_MIN, out, r.ihl - 1u) == 0);

        /* Re-parse the emitted header (tot_len may exceed it: parse the
         * header alone as if tot_len were ihl). */
        uint8_t hdr[IPV4_HLEN_MAX];

        memcpy(hdr, out, r.ihl);
        put_be16(hdr + 2, r.ihl);
        put_be16(hdr + 10, 0);
        put_be16(hdr + 10, ip_compute_csum(hdr, r.ihl));
        ASSERT(ipv4_parse(hdr, r.ihl, true, &r2, NULL) == WIRE_OK);
        ASSERT(r2.ihl == r.ihl && r2.tos == r.tos && r2.id == r.id && r2.frag_off == r.frag_off);
        ASSERT(r2.ttl == r.ttl && r2.protocol == r.protocol);
        ASSERT(r2.saddr == r.saddr && r2.daddr == r.daddr);
        ASSERT(memcmp(&r2.opt, &r.opt, sizeof(r.opt)) == 0);

        /* The incremental TTL update agrees with a full recompute. */
        uint8_t ttl = (uint8_t)(r.ttl + (size & 0xff) + 1);

        ipv4_set_ttl(out, ttl);
        ASSERT(out[8] == ttl);
        r2 = r;
        r2.ttl = ttl;
        ASSERT(ipv4_emit(&r2, data + IPV4_HLEN_MIN, hdr, sizeof(hdr)) == r.ihl);
        ASSERT(memcmp(out, hdr, r.ihl) == 0);
}

/* The option parser on its own, on at most 40 bytes of input. */
static void fuzz_options(const uint8_t *data, size_t size)
{
        uint8_t hdr[IPV4_HLEN_MAX];
        unsigned optlen = size < 40 ? (unsigned)size : 40;
        struct ipv4_options o;
        unsigned bad = 0xdead;

        memset(hdr, 0, sizeof(hdr));
        memcpy(hdr + IPV4_HLEN_MIN, data, optlen);
        switch (ipv4_parse_options(hdr + IPV4_HLEN_MIN, optlen, &o, &bad)) {
        case WIRE_OK:
                ASSERT(bad == 0xdead && o.optlen == optlen);
                check_options(hdr, &o);
                break;
        case WIRE_BAD_OPTION:
                ASSERT(bad >= IPV4_HLEN_MIN && bad < IPV4_HLEN_MIN + optlen);
                break;
        default:
                abort();
        }
}

static void fuzz_icmp(const uint8_t *data, size_t size, bool verify)
{
        struct icmp_repr r, r2;
        static uint8_t out[1 << 16];
        enum wire_status st = icmp_parse(data, size, verify, &r);

        if (st != WIRE_OK) {
                ASSERT(size < ICMP_HLEN || (verify && st == WIRE_BAD_CSUM));
                return;
        }
        if (size > sizeof(out))
                return;
        ASSERT(r.payload == data + ICMP_HLEN && r.payload_len == size - ICMP_HLEN);
        ASSERT(icmp_emit(&r, out, sizeof(out)) == size);
        ASSERT(out[0] == data[0] && out[1] == data[1]);
        ASSERT(memcmp(out + 4, data + 4, size - 4) == 0);
        ASSERT(ip_compute_csum(out, size) == 0);
        if (verify)
                ASSERT(csum_equiv(get_be16(out + 2), r.checksum));
        ASSERT(icmp_parse(out, size, true, &r2) == WIRE_OK);
        ASSERT(r2.type == r.type && r2.code == r.code && r2.rest == r.rest);

        /* In place: the payload already sits at out + 8. */
        r2.checksum = 0;
        ASSERT(icmp_emit(&r2, out, size) == size);
        ASSERT(ip_compute_csum(out, size) == 0);
        ASSERT(memcmp(out + 4, data + 4, size - 4) == 0);
        ASSERT(icmp_emit(&r, out, size - 1) == 0);
}

/* Checksum invariants: a split at an even offset changes nothing, and a
 * buffer carrying its own checksum verifies. */
static void fuzz_csum(const uint8_t *data, size_t size)
{
        size_t cut = size ? (data[0] % (size + 1)) & ~(size_t)1 : 0;
        uint32_t s = csum_partial(data, cut, 0);

        ASSERT(csum_fold(csum_partial(data + cut, size - cut, s)) == ip_compute_csum(data, size));
        if (size >= 4 && size <= 4096) {
                static uint8_t b[4096];

                memcpy(b, data, size);
                put_be16(b + 2, 0);
                put_be16(b + 2, ip_compute_csum(b, size));
                ASSERT(ip_compute_csum(b, size) == 0);

                /* csum_replace4 at an aligned field agrees with recomputing. */
                if (size >= 8) {
                        uint32_t old = get_be32(b + 4), new_ = old ^ s;
                        uint8_t c[2];

                        put_be32(b + 4, new_);
                        csum_replace4(b + 2, old, new_);
                        memcpy(c, b + 2, 2);
                        put_be16(b + 2, 0);

                        /* Exact, except for all-zero data: RFC 1624 gives
                         * 0x0000 where a recompute gives 0xffff. */
                        uint16_t full = ip_compute_csum(b, size);

                        if (csum_partial(b, size, 0) == 0)
                                ASSERT(csum_equiv(get_be16(c), full));
                        else
                                ASSERT(get_be16(c) == full);
                }
        }
}

/* Whatever dotted quad is accepted is the canonical form of its value. */
static void fuzz_addr(const uint8_t *data, size_t size)
{
        char s[32], f[16];
        uint32_t a;
        size_t n = size < sizeof(s) - 1 ? size : sizeof(s) - 1;

        memcpy(s, data, n);
        s[n] = '\0';
        if (ipv4_addr_parse(s, &a) == 0)
                ASSERT(strcmp(ipv4_addr_fmt(a, f), s) == 0);
        if (size >= 4) {
                uint32_t v = get_be32(data), w = 0;

                ASSERT(ipv4_addr_parse(ipv4_addr_fmt(v, f), &w) == 0 && w == v);
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        fuzz_eth(data, size);
        if (size >= ETH_HLEN) {
                /* As the stack sees them: the payload of a frame. */
                fuzz_arp(data + ETH_HLEN, size - ETH_HLEN);
                fuzz_ipv4(data + ETH_HLEN, size - ETH_HLEN, true);
        }
        fuzz_arp(data, size);
        fuzz_ipv4(data, size, true);
        fuzz_ipv4(data, size, false);
        fuzz_options(data, size);
        fuzz_icmp(data, size, true);
        fuzz_icmp(data, size, false);
        fuzz_csum(data, size);
        fuzz_addr(data, size);
        return 0;
}
