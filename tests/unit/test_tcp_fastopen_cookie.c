/*
 * The pieces of TCP Fast Open that are pure functions: SipHash-2-4 against
 * the reference vectors of its authors, the cookie against cookies Linux
 * servers gave (taken from packetdrill scripts recorded on Linux), and the
 * Fast Open option (34, and 254 with magic 0xF989) parsed and written
 * byte for byte as Linux writes it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "../test.h"
#include "core/siphash.h"
#include "transport/tcp_fastopen.h"
#include "wire/tcp.h"

static void siphash_reference_vectors(void)
{
        /* key 00..0f, message 00..(n-1): vectors.h of the SipHash paper */
        uint8_t m[16];
        for (int i = 0; i < 16; i++)
                m[i] = (uint8_t)i;
        struct siphash_key k = { { 0x0706050403020100ull, 0x0f0e0d0c0b0a0908ull } };
        CHECK(siphash(m, 0, &k) == 0x726fdb47dd0e0e31ull);
        CHECK(siphash(m, 8, &k) == 0x93f5f5799a932462ull);
        CHECK(siphash(m, 15, &k) == 0xa129ca6149be45e5ull);
}

static uint32_t ip(const char *s)
{
        struct in_addr a;
        inet_pton(AF_INET, s, &a);
        return ntohl(a.s_addr);
}

static void check_cookie(const char *key, const char *client, const char *server, const char *hex)
{
        uint8_t c[8], want[8];
        for (int i = 0; i < 8; i++) {
                unsigned b;
                sscanf(hex + 2 * i, "%2x", &b);
                want[i] = (uint8_t)b;
        }
        CHECK_EQ(tcp_fastopen_cookie_for(key, ip(client), ip(server), c), 0);
        CHECK_MEM(c, want, 8);
}

static void cookie_is_what_linux_gives(void)
{
        /* fastopen/server/simple1.pkt, simple2.pkt, opt34/basic-rw.pkt,
         * sockopt-fastopen-key.pkt: cookies a Linux server sent */
        check_cookie("a0bf63f7-ed803d81-cd641d30-cebc4a90", "10.248.0.2", "192.168.0.2",
                     "00abaaabe8e954c2");
        check_cookie("a0bf63f7-ed803d81-cd641d30-cebc4a90", "10.248.0.3", "192.168.0.2",
                     "1313a2da994a0951");
        check_cookie("a0bf63f7-ed803d81-cd641d30-cebc4a90", "10.248.0.3", "192.168.0.3",
                     "76d2c1c530f51f79");
        check_cookie("a1a1a1a1-b2b2b2b2-c3c3c3c3-d4d4d4d4", "192.0.2.1", "192.168.0.1",
                     "3021b9d889017eeb");
        check_cookie("00000000-00000000-00000000-00000000", "10.248.0.2", "192.168.0.2",
                     "93b7aa4f550f8a1a");
        uint8_t c[8];
        CHECK_EQ(tcp_fastopen_cookie_for("nope", 1, 2, c), -EINVAL);
}

static size_t emit_syn(const struct tcp_options *o, uint8_t *buf)
{
        struct tcp_repr r = { .sport = 1, .dport = 2, .flags = TCPF_SYN, .opt = *o };
        return tcp_emit(&r, buf, 60);
}

static void option_written_as_linux_writes_it(void)
{
        uint8_t buf[60];
        struct tcp_options o = { .fo_ok = true, .fo_len = 8 };
        memcpy(o.fo_cookie, "\x00\xab\xaa\xab\xe8\xe9\x54\xc2", 8);
        /* kind 34: 10 bytes, padded with NOP NOP */
        CHECK_EQ(emit_syn(&o, buf), 32);
        CHECK_MEM(buf + 20, "\x22\x0a\x00\xab\xaa\xab\xe8\xe9\x54\xc2\x01\x01", 12);
        /* experimental: 254, length, magic, cookie -- 12 bytes, no padding */
        o.fo_exp = true;
        CHECK_EQ(emit_syn(&o, buf), 32);
        CHECK_MEM(buf + 20, "\xfe\x0c\xf9\x89\x00\xab\xaa\xab\xe8\xe9\x54\xc2", 12);
        /* a cookie request: the empty option */
        o.fo_len = 0;
        CHECK_EQ(emit_syn(&o, buf), 24);
        CHECK_MEM(buf + 20, "\xfe\x04\xf9\x89", 4);
        o.fo_exp = false;
        CHECK_EQ(emit_syn(&o, buf), 24);
        CHECK_MEM(buf + 20, "\x22\x02\x01\x01", 4);
}

static enum wire_status parse_opts(const uint8_t *opt, size_t n, struct tcp_repr *r)
{
        uint8_t seg[60] = { 0 };
        seg[12] = (uint8_t)(((20 + n) / 4) << 4);
        seg[13] = TCPF_SYN;
        memcpy(seg + 20, opt, n);
        return tcp_parse(seg, 20 + n, r);
}

static void option_parsed_as_linux_parses_it(void)
{
        struct tcp_repr r;
        CHECK_EQ(
            parse_opts((const uint8_t *)"\x22\x0a\x01\x02\x03\x04\x05\x06\x07\x08\x01\x01", 12, &r),
            WIRE_OK);
        CHECK(r.opt.fo_ok && !r.opt.fo_exp && r.opt.fo_len == 8);
        CHECK_MEM(r.opt.fo_cookie, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
        CHECK_EQ(parse_opts((const uint8_t *)"\xfe\x04\xf9\x89", 4, &r), WIRE_OK);
        CHECK(r.opt.fo_ok && r.opt.fo_exp && r.opt.fo_len == 0);
        /* another experimental option is not Fast Open */
        CHECK_EQ(parse_opts((const uint8_t *)"\xfe\x04\x12\x34", 4, &r), WIRE_OK);
        CHECK(!r.opt.fo_ok);
        /* an odd length is ignored; a 2-byte cookie is no cookie */
        CHECK_EQ(parse_opts((const uint8_t *)"\x22\x05\x01\x02\x03\x01\x01\x01", 8, &r), WIRE_OK);
        CHECK(!r.opt.fo_ok);
        CHECK_EQ(parse_opts((const uint8_t *)"\x22\x04\x01\x02", 4, &r), WIRE_OK);
        CHECK(!r.opt.fo_ok);
        /* the longest cookie, 16 bytes, round trips */
        struct tcp_options o = { .fo_ok = true, .fo_len = 16 };
        memcpy(o.fo_cookie, "0123456789abcdef", 16);
        uint8_t buf[60];
        size_t h = emit_syn(&o, buf);
        CHECK_EQ(tcp_parse(buf, h, &r), WIRE_OK);
        CHECK(r.opt.fo_ok && r.opt.fo_len == 16);
        CHECK_MEM(r.opt.fo_cookie, "0123456789abcdef", 16);
}

TEST_MAIN(T(siphash_reference_vectors), T(cookie_is_what_linux_gives),
          T(option_written_as_linux_writes_it), T(option_parsed_as_linux_parses_it))
