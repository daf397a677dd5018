/*
 * Internet checksum: the RFC 1071 worked example, odd lengths, sums
 * continued over several buffers, the incremental updates of RFC 1624
 * against a full recompute, and the UDP pseudo-header on a known packet.
 */
#include "../test.h"

#include "wire/bytes.h"
#include "wire/checksum.h"

/* A deterministic generator for the randomised cases (xorshift32). */
static uint32_t rnd(uint32_t *s)
{
        *s ^= *s << 13;
        *s ^= *s >> 17;
        *s ^= *s << 5;
        return *s;
}

/* Reference: the textbook 16-bit word loop of RFC 1071 section 4.1. */
static uint16_t ref_csum(const uint8_t *p, size_t len, uint32_t init)
{
        uint64_t s = init;

        for (; len > 1; p += 2, len -= 2)
                s += (uint32_t)p[0] << 8 | p[1];
        if (len)
                s += (uint32_t)p[0] << 8;
        while (s >> 16)
                s = (s & 0xffff) + (s >> 16);
        return (uint16_t)~s;
}

/* RFC 1071 section 3: words 0001 f203 f4f5 f6f7 sum to ddf2. */
static void rfc1071_example(void)
{
        static const uint8_t b[] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };

        CHECK_EQ((uint16_t)~csum_fold(csum_partial(b, sizeof(b), 0)), 0xddf2);
        CHECK_EQ(ip_compute_csum(b, sizeof(b)), 0x220d);
}

/* A trailing odd byte counts as the high half of a zero-padded word. */
static void odd_length_pads_with_zero(void)
{
        static const uint8_t b[] = { 0x01, 0x02, 0x03 };
        static const uint8_t padded[] = { 0x01, 0x02, 0x03, 0x00 };

        CHECK_EQ(ip_compute_csum(b, 3), 0xfbfd);
        CHECK_EQ(ip_compute_csum(b, 3), ip_compute_csum(padded, 4));
        CHECK_EQ(ip_compute_csum(b, 1), (uint16_t)~0x0100);
        CHECK_EQ(ip_compute_csum(b, 0), 0xffff);
}

/* Wikipedia's IPv4 header example: checksum b861. */
static void known_ipv4_header(void)
{
        uint8_t h[] = { 0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
                        0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7 };

        CHECK_EQ(ip_compute_csum(h, sizeof(h)), 0);
        put_be16(h + 10, 0);
        CHECK_EQ(ip_compute_csum(h, sizeof(h)), 0xb861);
}

static void fold_edges(void)
{
        CHECK_EQ(csum_fold(0), 0xffff);
        CHECK_EQ(csum_fold(0xffff), 0);
        CHECK_EQ(csum_fold(0xffffffffu), 0);
        CHECK_EQ(csum_fold(0x0001fffeu), 0);
        CHECK_EQ(csum_fold(0x12345678u), (uint16_t) ~(0x1234 + 0x5678));
}

/* Every length 0..300 at every alignment, with initial sums up to the
 * 32-bit maximum, against the reference loop. */
static void matches_reference_loop(void)
{
        uint8_t buf[320];
        uint32_t s = 12345;
        static const uint32_t inits[] = { 0, 1, 0xffff, 0x10000, 0xfffffffe, 0xffffffffu };

        for (size_t i = 0; i < sizeof(buf); i++)
                buf[i] = (uint8_t)rnd(&s);
        for (size_t align = 0; align < 4; align++)
                for (size_t len = 0; len <= 300; len++)
                        for (size_t k = 0; k < sizeof(inits) / sizeof(inits[0]); k++)
                                CHECK_EQ(csum_fold(csum_partial(buf + align, len, inits[k])),
                                         ref_csum(buf + align, len, inits[k]));
}

/* A large all-ones buffer: the accumulator must not overflow. */
static void large_buffer_no_overflow(void)
{
        static uint8_t big[1 << 20];

        memset(big, 0xff, sizeof(big));
        CHECK_EQ(ip_compute_csum(big, sizeof(big)), ref_csum(big, sizeof(big), 0));
        CHECK_EQ(csum_fold(csum_partial(big, sizeof(big), 0xffffffffu)),
                 ref_csum(big, sizeof(big), 0xffffffffu));
}

/* Continuing over several buffers equals one pass when the first ones
 * have even lengths. */
static void continued_sum_equals_one_pass(void)
{
        uint8_t buf[200];
        uint32_t s = 99;

        for (size_t i = 0; i < sizeof(buf); i++)
                buf[i] = (uint8_t)rnd(&s);
        for (size_t cut = 0; cut <= sizeof(buf); cut += 2) {
                uint32_t a = csum_partial(buf, cut, 0);

                a = csum_partial(buf + cut, sizeof(buf) - cut, a);
                CHECK_EQ(csum_fold(a), ip_compute_csum(buf, sizeof(buf)));
        }
}

/* Change random 16-bit fields of random headers; csum_replace2 must store
 * exactly what a full recompute would (not the 0xffff/0x0000 twin). */
static void replace2_equals_recompute(void)
{
        uint32_t s = 0xc0ffee;
        uint8_t h[20];

        for (int iter = 0; iter < 100000; iter++) {
                for (size_t i = 0; i < sizeof(h); i++)
                        h[i] = (uint8_t)rnd(&s);
                h[0] = 0x45;
                if (iter % 7 == 0)
                        memset(h + 1, 0, 19); /* sparse headers hit the edges */
                put_be16(h + 10, 0);
                put_be16(h + 10, ip_compute_csum(h, 20));

                unsigned off = 2 * (rnd(&s) % 10);

                if (off == 10)
                        off = 8;
                uint16_t old = get_be16(h + off);
                uint16_t new_ = iter % 5 == 0 ? (uint16_t)~old : (uint16_t)rnd(&s);

                put_be16(h + off, new_);
                csum_replace2(h + 10, old, new_);

                uint16_t got = get_be16(h + 10);

                put_be16(h + 10, 0);
                CHECK_EQ(got, ip_compute_csum(h, 20));
        }
}

static void replace4_equals_recompute(void)
{
        uint32_t s = 0xfeed;
        uint8_t h[20];

        for (int iter = 0; iter < 100000; iter++) {
                for (size_t i = 0; i < sizeof(h); i++)
                        h[i] = (uint8_t)rnd(&s);
                h[0] = 0x45;
                put_be16(h + 10, 0);
                put_be16(h + 10, ip_compute_csum(h, 20));

                unsigned off = iter & 1 ? 12 : 16; /* saddr or daddr (NAT) */
                uint32_t old = get_be32(h + off);
                uint32_t new_ = iter % 3 == 0 ? 0 : rnd(&s);

                put_be32(h + off, new_);
                csum_replace4(h + 10, old, new_);

                uint16_t got = get_be16(h + 10);

                put_be16(h + 10, 0);
                CHECK_EQ(got, ip_compute_csum(h, 20));
                CHECK(got != 0xffff);
        }
}

/* A DNS query for example.com A, 192.168.1.100:53124 -> 8.8.8.8:53, UDP
 * checksum 0x7435 (37 bytes: exercises the odd tail too). */
static void udp_pseudo_header_known_packet(void)
{
        uint8_t pkt[] = {
                0x45, 0x00, 0x00, 0x39, 0x30, 0x39, 0x00, 0x00, 0x40, 0x11, 0x78, 0x5f,
                0xc0, 0xa8, 0x01, 0x64, 0x08, 0x08, 0x08, 0x08, 0xcf, 0x84, 0x00, 0x35,
                0x00, 0x25, 0x74, 0x35, 0x1a, 0x2b, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00,
                0x00, 0x00, 0x00, 0x00, 0x07, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65,
                0x03, 0x63, 0x6f, 0x6d, 0x00, 0x00, 0x01, 0x00, 0x01,
        };
        uint8_t *udp = pkt + 20;
        uint16_t ulen = get_be16(udp + 4);

        CHECK_EQ(ulen, 37);
        CHECK_EQ(ip_compute_csum(pkt, 20), 0);

        uint32_t ph = csum_tcpudp_ipv4(0xc0a80164, 0x08080808, 17, ulen);

        CHECK_EQ(csum_fold(csum_partial(udp, ulen, ph)), 0);
        put_be16(udp + 6, 0);
        CHECK_EQ(csum_fold(csum_partial(udp, ulen, ph)), 0x7435);
        /* Pseudo-header, then header, then payload, as a stack sums them. */
        CHECK_EQ(csum_fold(csum_partial(udp + 8, ulen - 8, csum_partial(udp, 8, ph))), 0x7435);
}

TEST_MAIN(T(rfc1071_example), T(odd_length_pads_with_zero), T(known_ipv4_header), T(fold_edges),
          T(matches_reference_loop), T(large_buffer_no_overflow), T(continued_sum_equals_one_pass),
          T(replace2_equals_recompute), T(replace4_equals_recompute),
          T(udp_pseudo_header_known_packet))
