/*
 * IPv4 header: known headers (with and without options, some produced by
 * Linux itself), round trips, every refusal of ipv4_parse in Linux's order,
 * each malformed-option rule with the offset an ICMP parameter problem would
 * carry, the incremental TTL update and dotted-quad conversion.
 */
#include "../test.h"

#include "wire/bytes.h"
#include "wire/checksum.h"
#include "wire/ipv4.h"

/* Wikipedia's example: UDP 192.168.0.1 -> 192.168.0.199, checksum b861. */
static const uint8_t wiki[20] = {
        0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
        0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7,
};

/* An echo request sent with IP_OPTIONS = NOP, RR(len 39, ptr 4), as
 * `ping -R` does, captured on lo after Linux filled two slots (ptr 12).  The
 * kernel edits RR in place on input without fixing the checksum, so the
 * header checksum (a116) was recomputed. */
static const uint8_t rr_pkt[76] = {
        0x4f, 0x00, 0x00, 0x4c, 0x6b, 0x82, 0x40, 0x00, 0x40, 0x01, 0xa1, 0x16, 0x7f,
        0x00, 0x00, 0x01, 0x7f, 0x00, 0x00, 0x01, 0x01, 0x07, 0x27, 0x0c, 0x7f, 0x00,
        0x00, 0x01, 0x7f, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x08, 0x00, 0xa9, 0xa6, 0x42,
        0x42, 0x00, 0x07, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
};

/* Linux's echo reply to a request carrying TS(len 40, tsonly), as `ping -T
 * tsonly` sends, with four timestamps recorded (ptr 21); checksum (74dd)
 * recomputed for the same reason. */
static const uint8_t ts_pkt[76] = {
        0x4f, 0x00, 0x00, 0x4c, 0x6b, 0x85, 0x00, 0x00, 0x40, 0x01, 0x74, 0xdd, 0x7f,
        0x00, 0x00, 0x01, 0x7f, 0x00, 0x00, 0x01, 0x44, 0x28, 0x15, 0x00, 0x05, 0x15,
        0x09, 0x34, 0x05, 0x15, 0x09, 0x34, 0x05, 0x15, 0x09, 0x34, 0x05, 0x15, 0x09,
        0x34, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xb1, 0xa6, 0x42,
        0x42, 0x00, 0x07, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
};

/* 192.168.0.1 -> 10.0.0.1, ihl 56, every kind of option at once:
 *   20 NOP
 *   21 LSRR len 11 ptr 4: 10.0.0.1, 10.0.0.2
 *   32 RA len 4 value 0
 *   36 TS len 12 ptr 5 flags 1 (address + time), one empty slot
 *   48 RR len 7 ptr 4, one empty slot
 *   55 EOL
 * followed by an 8-byte echo request (id 1, seq 2). */
static const uint8_t multi_pkt[64] = {
        0x4e, 0x00, 0x00, 0x40, 0xbe, 0xef, 0x40, 0x00, 0x40, 0x01, 0x9f, 0x80, 0xc0,
        0xa8, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x01, 0x01, 0x83, 0x0b, 0x04, 0x0a, 0x00,
        0x00, 0x01, 0x0a, 0x00, 0x00, 0x02, 0x94, 0x04, 0x00, 0x00, 0x44, 0x0c, 0x05,
        0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07, 0x07, 0x04, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x08, 0x00, 0xf7, 0xfc, 0x00, 0x01, 0x00, 0x02,
};

static void parse_plain_header(void)
{
        struct ipv4_repr r;
        unsigned bad = 12345;

        CHECK_EQ(ipv4_parse(wiki, 0x73, true, &r, &bad), WIRE_OK);
        CHECK_EQ(bad, 12345); /* untouched on success */
        CHECK_EQ(r.ihl, 20);
        CHECK_EQ(r.tos, 0);
        CHECK_EQ(r.tot_len, 0x73);
        CHECK_EQ(r.id, 0);
        CHECK_EQ(r.frag_off, IP_DF);
        CHECK_EQ(r.ttl, 64);
        CHECK_EQ(r.protocol, IPPROTO_UDP_);
        CHECK_EQ(r.check, 0xb861);
        CHECK_EQ(r.saddr, 0xc0a80001);
        CHECK_EQ(r.daddr, 0xc0a800c7);
        CHECK_EQ(r.opt.optlen, 0);
        CHECK_EQ(r.opt.srr | r.opt.rr | r.opt.ts | r.opt.router_alert | r.opt.sec, 0);
}

/* Link-layer padding after tot_len is allowed. */
static void longer_buffer_than_tot_len(void)
{
        uint8_t buf[80];
        struct ipv4_repr r;

        memset(buf, 0, sizeof(buf));
        memcpy(buf, wiki, 20);
        put_be16(buf + 2, 46);
        put_be16(buf + 10, 0);
        put_be16(buf + 10, ip_compute_csum(buf, 20));
        CHECK_EQ(ipv4_parse(buf, 60, true, &r, NULL), WIRE_OK);
        CHECK_EQ(r.tot_len, 46);
}

static void parse_record_route(void)
{
        struct ipv4_repr r;

        CHECK_EQ(ipv4_parse(rr_pkt, sizeof(rr_pkt), true, &r, NULL), WIRE_OK);
        CHECK_EQ(r.ihl, 60);
        CHECK_EQ(r.tot_len, 76);
        CHECK_EQ(r.protocol, IPPROTO_ICMP_);
        CHECK_EQ(r.opt.optlen, 40);
        CHECK_EQ(r.opt.rr, 21); /* after the NOP */
        CHECK_EQ(r.opt.ts | r.opt.srr | r.opt.router_alert, 0);
        CHECK_EQ(rr_pkt[r.opt.rr], IPOPT_RR);
}

static void parse_timestamp(void)
{
        struct ipv4_repr r;

        CHECK_EQ(ipv4_parse(ts_pkt, sizeof(ts_pkt), true, &r, NULL), WIRE_OK);
        CHECK_EQ(r.opt.optlen, 40);
        CHECK_EQ(r.opt.ts, 20);
        CHECK_EQ(r.opt.rr | r.opt.srr, 0);
}

static void parse_every_option(void)
{
        struct ipv4_repr r;

        CHECK_EQ(ipv4_parse(multi_pkt, sizeof(multi_pkt), true, &r, NULL), WIRE_OK);
        CHECK_EQ(r.ihl, 56);
        CHECK_EQ(r.id, 0xbeef);
        CHECK_EQ(r.saddr, 0xc0a80001);
        CHECK_EQ(r.daddr, 0x0a000001);
        CHECK_EQ(r.opt.optlen, 36);
        CHECK_EQ(r.opt.srr, 21);
        CHECK(!r.opt.is_strictroute);
        CHECK_EQ(r.opt.router_alert, 32);
        CHECK_EQ(r.opt.ts, 36);
        CHECK_EQ(r.opt.rr, 48);
        CHECK_EQ(r.opt.sec, 0);
}

static void round_trip(void)
{
        const uint8_t *pkts[] = { wiki, rr_pkt, ts_pkt, multi_pkt };
        uint8_t out[64];

        for (size_t i = 0; i < 4; i++) {
                struct ipv4_repr r;
                size_t len = i == 0 ? 0x73 : (size_t)get_be16(pkts[i] + 2);

                CHECK_EQ(ipv4_parse(pkts[i], len, true, &r, NULL), WIRE_OK);
                memset(out, 0xaa, sizeof(out));
                r.check = 0x1234; /* ignored by emit */
                CHECK_EQ(ipv4_emit(&r, pkts[i] + 20, out, sizeof(out)), r.ihl);
                CHECK_MEM(out, pkts[i], r.ihl);
                if (r.ihl < sizeof(out))
                        CHECK_EQ(out[r.ihl], 0xaa);
        }
}

/* Options already in place at buf + 20 are left as they are. */
static void emit_options_in_place(void)
{
        struct ipv4_repr r;
        uint8_t out[56];

        CHECK_EQ(ipv4_parse(multi_pkt, sizeof(multi_pkt), true, &r, NULL), WIRE_OK);
        memset(out, 0, sizeof(out));
        memcpy(out + 20, multi_pkt + 20, 36);
        CHECK_EQ(ipv4_emit(&r, out + 20, out, sizeof(out)), 56);
        CHECK_MEM(out, multi_pkt, 56);
}

static void emit_refuses(void)
{
        struct ipv4_repr r = { .ihl = 20, .ttl = 64, .tot_len = 20 };
        uint8_t opts[40] = { 0 }, out[64];

        memset(out, 0xaa, sizeof(out));
        CHECK_EQ(ipv4_emit(&r, NULL, out, 19), 0); /* cap too small */
        CHECK_EQ(out[0], 0xaa);
        CHECK_EQ(ipv4_emit(&r, NULL, out, 20), 20);
        r.ihl = 24;
        CHECK_EQ(ipv4_emit(&r, opts, out, 23), 0);
        CHECK_EQ(ipv4_emit(&r, NULL, out, 64), 0); /* options missing */
        CHECK_EQ(ipv4_emit(&r, opts, out, 64), 24);
        CHECK_EQ(out[0], 0x46);
        r.ihl = 22; /* not a multiple of 4 */
        CHECK_EQ(ipv4_emit(&r, opts, out, 64), 0);
        r.ihl = 16;
        CHECK_EQ(ipv4_emit(&r, opts, out, 64), 0);
        r.ihl = 64;
        CHECK_EQ(ipv4_emit(&r, opts, out, 64), 0);
        r.ihl = 0;
        CHECK_EQ(ipv4_emit(&r, opts, out, 64), 0);
}

/* Every length below the minimum, and below ihl. */
static void truncated(void)
{
        struct ipv4_repr r;

        for (size_t len = 0; len < 20; len++) {
                CHECK_EQ(ipv4_parse(wiki, len, true, &r, NULL), WIRE_TRUNCATED);
                CHECK_EQ(ipv4_parse(wiki, len, false, &r, NULL), WIRE_TRUNCATED);
        }
        /* ihl 60 with fewer bytes */
        for (size_t len = 20; len < 60; len++)
                CHECK_EQ(ipv4_parse(rr_pkt, len, true, &r, NULL), WIRE_TRUNCATED);
        /* the whole header, but less than tot_len */
        for (size_t len = 60; len < sizeof(rr_pkt); len++)
                CHECK_EQ(ipv4_parse(rr_pkt, len, true, &r, NULL), WIRE_TRUNCATED);
        CHECK_EQ(ipv4_parse(wiki, 20, true, &r, NULL), WIRE_TRUNCATED); /* tot_len 0x73 */
}

/* A copy of wiki with one byte changed and the checksum made right again. */
static enum wire_status parse_modified(size_t off, uint8_t v, size_t len, bool fix)
{
        uint8_t buf[128];
        struct ipv4_repr r;

        memset(buf, 0, sizeof(buf));
        memcpy(buf, wiki, 20);
        buf[off] = v;
        if (fix) {
                put_be16(buf + 10, 0);
                put_be16(buf + 10, ip_compute_csum(buf, 20));
        }
        return ipv4_parse(buf, len, true, &r, NULL);
}

static void bad_version(void)
{
        static const uint8_t v[] = { 0x05, 0x15, 0x25, 0x35, 0x55, 0x65, 0xf5 };

        for (size_t i = 0; i < sizeof(v); i++)
                CHECK_EQ(parse_modified(0, v[i], 0x73, true), WIRE_BAD_VERSION);
        /* version is judged before ihl and checksum */
        CHECK_EQ(parse_modified(0, 0x60, 0x73, false), WIRE_BAD_VERSION);
        /* but after the minimum length */
        CHECK_EQ(parse_modified(0, 0x65, 19, true), WIRE_TRUNCATED);
}

static void bad_ihl(void)
{
        for (uint8_t ihl = 0; ihl < 5; ihl++) {
                CHECK_EQ(parse_modified(0, 0x40 | ihl, 0x73, true), WIRE_BAD_HDRLEN);
                CHECK_EQ(parse_modified(0, 0x40 | ihl, 0x73, false), WIRE_BAD_HDRLEN);
        }
        /* ihl larger than the buffer (ihl 6 = 24 bytes, 20 present) */
        CHECK_EQ(parse_modified(0, 0x46, 20, false), WIRE_TRUNCATED);
        CHECK_EQ(parse_modified(0, 0x4f, 59, false), WIRE_TRUNCATED);
}

static void bad_checksum(void)
{
        uint8_t buf[20];
        struct ipv4_repr r;

        /* Any bit flipped after the version byte breaks the checksum. */
        for (size_t i = 1; i < 20; i++) {
                memcpy(buf, wiki, 20);
                buf[i] ^= 0x80;
                CHECK_EQ(ipv4_parse(buf, 0x73, true, &r, NULL), WIRE_BAD_CSUM);
        }
        memcpy(buf, wiki, 20);
        buf[11] ^= 1;
        /* checksum is judged before the lengths (tot_len 0x73 > 20) */
        CHECK_EQ(ipv4_parse(buf, 20, true, &r, NULL), WIRE_BAD_CSUM);
        /* and not at all when the device verified it */
        CHECK_EQ(ipv4_parse(buf, 0x73, false, &r, NULL), WIRE_OK);
        CHECK_EQ(r.check, 0xb860);
}

/* wiki with another tot_len and a correct checksum, parsed from len bytes. */
static enum wire_status parse_tot_len(const uint8_t *hdr, unsigned ihl, uint16_t tot_len,
                                      size_t len)
{
        uint8_t buf[128];
        struct ipv4_repr r;

        memset(buf, 0, sizeof(buf));
        memcpy(buf, hdr, ihl);
        put_be16(buf + 2, tot_len);
        put_be16(buf + 10, 0);
        put_be16(buf + 10, ip_compute_csum(buf, ihl));
        return ipv4_parse(buf, len, true, &r, NULL);
}

static void bad_tot_len(void)
{
        /* below ihl */
        CHECK_EQ(parse_tot_len(wiki, 20, 0, 0x73), WIRE_BAD_LENGTH);
        CHECK_EQ(parse_tot_len(wiki, 20, 19, 0x73), WIRE_BAD_LENGTH);
        CHECK_EQ(parse_tot_len(wiki, 20, 20, 0x73), WIRE_OK); /* header only */
        CHECK_EQ(parse_tot_len(rr_pkt, 60, 59, 76), WIRE_BAD_LENGTH);
        CHECK_EQ(parse_tot_len(rr_pkt, 60, 20, 76), WIRE_BAD_LENGTH);
        CHECK_EQ(parse_tot_len(rr_pkt, 60, 60, 76), WIRE_OK);
        /* above the buffer */
        CHECK_EQ(parse_tot_len(wiki, 20, 0x74, 0x73), WIRE_TRUNCATED);
        CHECK_EQ(parse_tot_len(wiki, 20, 0xffff, 0x73), WIRE_TRUNCATED);
        CHECK_EQ(parse_tot_len(rr_pkt, 60, 77, 76), WIRE_TRUNCATED);
        /* below ihl is judged first, even with a short buffer */
        CHECK_EQ(parse_tot_len(rr_pkt, 60, 59, 60), WIRE_BAD_LENGTH);
}

/*
 * Options: build a header around opts (padded with EOL to a multiple of 4),
 * parse it with the checksum checked, return the status and *bad_off, and
 * check ipv4_parse_options says the same when called directly.
 */
static enum wire_status opt_parse(const uint8_t *opts, unsigned n, struct ipv4_options *o,
                                  unsigned *bad_off)
{
        uint8_t buf[60];
        unsigned optlen = (n + 3) & ~3u;
        struct ipv4_repr r;
        struct ipv4_options o2;
        unsigned bad2 = 999;

        memset(buf, 0, sizeof(buf));
        memcpy(buf, wiki, 20);
        memcpy(buf + 20, opts, n);
        buf[0] = (uint8_t)(0x40 | (20 + optlen) / 4);
        put_be16(buf + 2, (uint16_t)(20 + optlen));
        put_be16(buf + 10, 0);
        put_be16(buf + 10, ip_compute_csum(buf, 20 + optlen));
        *bad_off = 999;

        enum wire_status st = ipv4_parse(buf, 20 + optlen, true, &r, bad_off);

        if (st == WIRE_OK)
                *o = r.opt;
        if (ipv4_parse_options(buf + 20, optlen, &o2, &bad2) != st || bad2 != *bad_off)
                TEST_FAIL("ipv4_parse_options disagrees with ipv4_parse");
        if (st == WIRE_OK && memcmp(&o2, o, sizeof(o2)) != 0)
                TEST_FAIL("ipv4_parse_options found other offsets");
        return st;
}

#define OPT_BAD(off, ...)                                                                          \
        do {                                                                                       \
                static const uint8_t o_[] = { __VA_ARGS__ };                                       \
                struct ipv4_options opt_;                                                          \
                unsigned bad_;                                                                     \
                CHECK_EQ(opt_parse(o_, sizeof(o_), &opt_, &bad_), WIRE_BAD_OPTION);                \
                CHECK_EQ(bad_, off);                                                               \
        } while (0)

#define OPT_OK(opt, ...)                                                                           \
        do {                                                                                       \
                static const uint8_t o_[] = { __VA_ARGS__ };                                       \
                unsigned bad_;                                                                     \
                CHECK_EQ(opt_parse(o_, sizeof(o_), &(opt), &bad_), WIRE_OK);                       \
                CHECK_EQ(bad_, 999);                                                               \
        } while (0)

static void option_length_0_or_1(void)
{
        OPT_BAD(20, IPOPT_RR, 0, 4, 0);
        OPT_BAD(20, IPOPT_RR, 1, 4, 0);
        OPT_BAD(20, IPOPT_TS, 0, 5, 0);
        OPT_BAD(20, IPOPT_RA, 1, 0, 0);
        OPT_BAD(20, 0x88, 0, 0, 0); /* unknown types too (stream id) */
        OPT_BAD(21, IPOPT_NOOP, IPOPT_LSRR, 1, 0);
}

static void option_past_header(void)
{
        OPT_BAD(20, IPOPT_RR, 5, 4, 0);                       /* 5 > 4 left */
        OPT_BAD(21, IPOPT_NOOP, IPOPT_RR, 11, 4, 0, 0, 0, 0); /* 11 > 7 left */
        OPT_BAD(20, IPOPT_RR, 255, 4, 0);
        OPT_BAD(23, IPOPT_NOOP, IPOPT_NOOP, IPOPT_NOOP, IPOPT_RR); /* no room for a length */
        OPT_BAD(23, IPOPT_NOOP, IPOPT_NOOP, IPOPT_NOOP, 0x88);
}

static void source_route_rules(void)
{
        struct ipv4_options o;

        OPT_BAD(21, IPOPT_LSRR, 2, 0, 0);          /* length < 3: the length byte */
        OPT_BAD(22, IPOPT_LSRR, 3, 3, 0);          /* pointer < 4: the pointer byte */
        OPT_BAD(22, IPOPT_SSRR, 7, 0, 1, 2, 3, 4); /* pointer 0 */
        OPT_BAD(27, IPOPT_LSRR, 7, 4, 10, 0, 0, 1, IPOPT_SSRR, 7, 4, 10, 0, 0, 2); /* second */
        OPT_OK(o, IPOPT_SSRR, 7, 4, 10, 0, 0, 1);
        CHECK_EQ(o.srr, 20);
        CHECK(o.is_strictroute);
        OPT_OK(o, IPOPT_LSRR, 3, 4); /* an empty route parses; its use is checked later */
        CHECK_EQ(o.srr, 20);
        CHECK(!o.is_strictroute);
}

static void record_route_rules(void)
{
        struct ipv4_options o;

        OPT_BAD(21, IPOPT_RR, 2, 4, 0);                /* length < 3 */
        OPT_BAD(22, IPOPT_RR, 7, 3, 0, 0, 0, 0);       /* pointer < 4 */
        OPT_BAD(22, IPOPT_RR, 7, 0, 0, 0, 0, 0);       /* pointer 0 */
        OPT_BAD(22, IPOPT_RR, 7, 5, 0, 0, 0, 0);       /* slot at 5 does not fit in 7 */
        OPT_BAD(22, IPOPT_RR, 9, 8, 0, 0, 0, 0, 0, 0); /* slot at 8 does not fit in 9 */
        OPT_BAD(27, IPOPT_RR, 7, 8, 0, 0, 0, 0, IPOPT_RR, 7, 8, 0, 0, 0, 0); /* duplicate */
        /* the duplicate is judged before its own length */
        OPT_BAD(27, IPOPT_RR, 7, 8, 0, 0, 0, 0, IPOPT_RR, 2, 0, 0);
        OPT_OK(o, IPOPT_RR, 7, 8, 1, 2, 3, 4); /* full */
        CHECK_EQ(o.rr, 20);
        OPT_OK(o, IPOPT_RR, 7, 200, 1, 2, 3, 4); /* past the end counts as full */
        OPT_OK(o, IPOPT_RR, 3, 4);               /* no slots at all: full */
        OPT_OK(o, IPOPT_NOOP, IPOPT_RR, 7, 4, 0, 0, 0, 0);
        CHECK_EQ(o.rr, 21);
}

static void timestamp_rules(void)
{
        struct ipv4_options o;

        OPT_BAD(21, IPOPT_TS, 3, 5, 0);                          /* length < 4 */
        OPT_BAD(22, IPOPT_TS, 8, 4, 0, 0, 0, 0, 0);              /* pointer < 5 */
        OPT_BAD(22, IPOPT_TS, 8, 0, 0, 0, 0, 0, 0);              /* pointer 0 */
        OPT_BAD(22, IPOPT_TS, 8, 6, 0, 0, 0, 0, 0);              /* slot at 6 does not fit in 8 */
        OPT_BAD(22, IPOPT_TS, 8, 5, 1, 0, 0, 0, 0);              /* addr+time needs 8 bytes */
        OPT_BAD(22, IPOPT_TS, 12, 9, 3, 0, 0, 0, 0, 0, 0, 0, 0); /* prespecified, 8 bytes */
        OPT_BAD(23, IPOPT_TS, 8, 9, 0xf0, 0, 0, 0, 0);           /* full, overflow would wrap */
        OPT_BAD(28, IPOPT_TS, 8, 9, 0, 0, 0, 0, 0, IPOPT_TS, 8, 9, 0, 0, 0, 0, 0); /* twice */
        OPT_OK(o, IPOPT_TS, 8, 5, 0, 0, 0, 0, 0); /* tsonly, one slot */
        CHECK_EQ(o.ts, 20);
        OPT_OK(o, IPOPT_TS, 12, 5, 1, 0, 0, 0, 0, 0, 0, 0, 0);
        OPT_OK(o, IPOPT_TS, 8, 9, 0xe0, 0, 0, 0, 0); /* full, overflow 14 */
        OPT_OK(o, IPOPT_TS, 8, 9, 0xf3, 0, 0, 0, 0); /* prespecified: no counter */
        OPT_OK(o, IPOPT_TS, 8, 5, 2, 0, 0, 0, 0);    /* unknown flag: accepted */
}

static void router_alert_rules(void)
{
        struct ipv4_options o;

        OPT_BAD(21, IPOPT_RA, 3, 0, 0);
        OPT_BAD(21, IPOPT_RA, 6, 0, 0, 0, 0, 0, 0);
        OPT_BAD(21, IPOPT_RA, 2, 0, 0);
        OPT_BAD(24, IPOPT_RA, 4, 0, 0, IPOPT_RA, 4, 0, 0); /* duplicate */
        OPT_BAD(24, IPOPT_RA, 4, 0, 1, IPOPT_RA, 4, 0, 0); /* even after a reserved value */
        OPT_OK(o, IPOPT_NOOP, IPOPT_RA, 4, 0, 0);
        CHECK_EQ(o.router_alert, 21);
        OPT_OK(o, IPOPT_RA, 4, 0, 1); /* reserved value: not an alert, as Linux */
        CHECK_EQ(o.router_alert, 0);
}

static void end_nop_and_unknown(void)
{
        struct ipv4_options o;

        /* After EOL anything goes: it is padding. */
        OPT_OK(o, IPOPT_END, IPOPT_RR, 0, 0, 0xff, 0xff, 0xff, 0xff);
        CHECK_EQ(o.rr, 0);
        CHECK_EQ(o.optlen, 8);
        OPT_OK(o, IPOPT_NOOP, IPOPT_NOOP, IPOPT_NOOP, IPOPT_NOOP);
        OPT_OK(o, 0x88, 4, 0x12, 0x34); /* stream id: skipped */
        OPT_OK(o, IPOPT_SEC, 11, 0, 0, 0, 0, 0, 0, 0, 0, 0, IPOPT_SEC, 4, 0, 0);
        CHECK_EQ(o.sec, 20);
        OPT_OK(o, 0x19, 2, IPOPT_RR, 7, 4, 0, 0, 0, 0); /* unknown with length 2 */
        CHECK_EQ(o.rr, 22);
}

static void options_direct_call(void)
{
        uint8_t opts[44];
        struct ipv4_options o;
        unsigned bad = 7;

        memset(opts, IPOPT_NOOP, sizeof(opts));
        CHECK_EQ(ipv4_parse_options(opts, 0, &o, &bad), WIRE_OK);
        CHECK_EQ(o.optlen, 0);
        CHECK_EQ(ipv4_parse_options(opts, 40, &o, &bad), WIRE_OK);
        CHECK_EQ(ipv4_parse_options(opts, 44, &o, &bad), WIRE_BAD_HDRLEN);
        CHECK_EQ(bad, 7);
        opts[3] = IPOPT_RR;
        opts[4] = 0;
        CHECK_EQ(ipv4_parse_options(opts, 8, &o, NULL), WIRE_BAD_OPTION); /* NULL bad_off */
        CHECK_EQ(ipv4_parse_options(opts, 8, &o, &bad), WIRE_BAD_OPTION);
        CHECK_EQ(bad, 23);
}

/* The forwarding fast path: every TTL, the checksum stays what a full
 * recompute would store. */
static void set_ttl_keeps_checksum(void)
{
        uint8_t h[60], ref[60];
        struct ipv4_repr r;

        memcpy(h, multi_pkt, 56);
        for (int ttl = 255; ttl >= 0; ttl--) {
                ipv4_set_ttl(h, (uint8_t)ttl);
                CHECK_EQ(h[8], ttl);
                CHECK_EQ(ip_compute_csum(h, 56), 0);
                CHECK_EQ(ipv4_parse(multi_pkt, sizeof(multi_pkt), true, &r, NULL), WIRE_OK);
                r.ttl = (uint8_t)ttl;
                CHECK_EQ(ipv4_emit(&r, multi_pkt + 20, ref, sizeof(ref)), 56);
                CHECK_MEM(h, ref, 56);
        }
        memcpy(h, wiki, 20);
        ipv4_set_ttl(h, 63);
        CHECK_EQ(get_be16(h + 10), 0xb961);
}

static void addr_format(void)
{
        char buf[16];

        CHECK_STR(ipv4_addr_fmt(0xc0a80001, buf), "192.168.0.1");
        CHECK_STR(ipv4_addr_fmt(0, buf), "0.0.0.0");
        CHECK_STR(ipv4_addr_fmt(0xffffffffu, buf), "255.255.255.255");
        CHECK_STR(ipv4_addr_fmt(0x0a00000a, buf), "10.0.0.10");
        CHECK(ipv4_addr_fmt(1, buf) == buf);
}

static void addr_parse(void)
{
        static const char *bad[] = {
                "",         "1",        "1.2.3",     "1.2.3.4.",   "1.2.3.4.5",
                " 1.2.3.4", "1.2.3.4 ", "256.0.0.1", "1.2.3.256",  "1000.1.1.1",
                "01.2.3.4", "1.2.3.04", "1..3.4",    ".1.2.3",     "a.b.c.d",
                "1.2.3.-4", "+1.2.3.4", "0x1.2.3.4", "1.2.3.4/24", "1.2.3.00",
        };
        uint32_t a = 42;

        CHECK_EQ(ipv4_addr_parse("192.168.0.1", &a), 0);
        CHECK_EQ(a, 0xc0a80001);
        CHECK_EQ(ipv4_addr_parse("0.0.0.0", &a), 0);
        CHECK_EQ(a, 0);
        CHECK_EQ(ipv4_addr_parse("255.255.255.255", &a), 0);
        CHECK_EQ(a, 0xffffffffu);
        CHECK_EQ(ipv4_addr_parse("10.0.0.10", &a), 0);
        CHECK_EQ(a, 0x0a00000a);
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                a = 42;
                if (ipv4_addr_parse(bad[i], &a) != -1)
                        TEST_FAIL("accepted \"%s\"", bad[i]);
                CHECK_EQ(a, 42);
        }
}

static void addr_predicates(void)
{
        CHECK(ipv4_is_multicast(0xe0000001) && ipv4_is_multicast(0xefffffff));
        CHECK(!ipv4_is_multicast(0xdfffffff) && !ipv4_is_multicast(0xf0000000));
        CHECK(ipv4_is_lbcast(0xffffffffu) && !ipv4_is_lbcast(0xfffffffe));
        CHECK(ipv4_is_zeronet(0) && ipv4_is_zeronet(0x00ffffff) && !ipv4_is_zeronet(0x01000000));
        CHECK(ipv4_is_loopback(0x7f000001) && !ipv4_is_loopback(0x80000001));
}

static void status_names(void)
{
        CHECK_STR(wire_status_name(WIRE_OK), "ok");
        CHECK_STR(wire_status_name(WIRE_TRUNCATED), "truncated");
        CHECK_STR(wire_status_name(WIRE_BAD_VERSION), "bad_version");
        CHECK_STR(wire_status_name(WIRE_BAD_HDRLEN), "bad_hdrlen");
        CHECK_STR(wire_status_name(WIRE_BAD_LENGTH), "bad_length");
        CHECK_STR(wire_status_name(WIRE_BAD_CSUM), "bad_csum");
        CHECK_STR(wire_status_name(WIRE_BAD_OPTION), "bad_option");
        CHECK_STR(wire_status_name(WIRE_BAD_HWTYPE), "bad_hwtype");
        CHECK_STR(wire_status_name((enum wire_status)99), "unknown");
}

TEST_MAIN(T(parse_plain_header), T(longer_buffer_than_tot_len), T(parse_record_route),
          T(parse_timestamp), T(parse_every_option), T(round_trip), T(emit_options_in_place),
          T(emit_refuses), T(truncated), T(bad_version), T(bad_ihl), T(bad_checksum),
          T(bad_tot_len), T(option_length_0_or_1), T(option_past_header), T(source_route_rules),
          T(record_route_rules), T(timestamp_rules), T(router_alert_rules), T(end_nop_and_unknown),
          T(options_direct_call), T(set_ttl_keeps_checksum), T(addr_format), T(addr_parse),
          T(addr_predicates), T(status_names))
