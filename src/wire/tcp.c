/*
 * TCP header and option parse/emit.  Options are written in the order Linux
 * writes them (tcp_options_write), so a SYN from Strata and one from the
 * kernel are byte-for-byte comparable: MSS, SACK-permitted with timestamps,
 * window scale.
 */
#include "tcp.h"

#include <string.h>

#include "bytes.h"
#include "checksum.h"
#include "ipv4.h"

/* tcp_parse_fastopen_option: an even length of 0 (a cookie request) or
 * 4..16 (a cookie) is taken; another even length cancels the option, an odd
 * one is ignored.  Only SYNs carry it: the receiver checks the flags. */
static void parse_fastopen(struct tcp_options *o, const uint8_t *v, unsigned len, bool exp)
{
        if (len & 1)
                return;
        if (len != 0 && (len < TCP_FASTOPEN_COOKIE_MIN || len > TCP_FASTOPEN_COOKIE_MAX)) {
                o->fo_ok = false;
                return;
        }
        o->fo_ok = true;
        o->fo_exp = exp;
        o->fo_len = (uint8_t)len;
        memcpy(o->fo_cookie, v, len);
}

/* Bytes the Fast Open option takes, padded to 4 (tcp_options_write). */
static size_t fastopen_len(const struct tcp_options *o)
{
        if (!o->fo_ok)
                return 0;
        size_t n = (o->fo_exp ? 4u : 2u) + o->fo_len;
        return (n + 3) & ~(size_t)3;
}

static enum wire_status parse_options(const uint8_t *p, size_t len, struct tcp_options *o)
{
        memset(o, 0, sizeof(*o));
        size_t i = 0;
        while (i < len) {
                uint8_t kind = p[i];
                if (kind == TCPOPT_EOL)
                        break;
                if (kind == TCPOPT_NOP) {
                        i++;
                        continue;
                }
                /* tcp_parse_options: a partial or malformed option ends the
                 * parsing; what came before stands and the segment lives */
                if (i + 1 >= len)
                        break;
                uint8_t olen = p[i + 1];
                if (olen < 2 || i + olen > len)
                        break;
                const uint8_t *v = p + i + 2;
                switch (kind) {
                case TCPOPT_MSS:
                        if (olen == 4 && get_be16(v)) { /* an MSS of 0 is ignored */
                                o->mss_ok = true;
                                o->mss = get_be16(v);
                        }
                        break;
                case TCPOPT_WINDOW:
                        if (olen == 3) {
                                o->ws_ok = true;
                                o->ws = v[0] > 14 ? 14 : v[0]; /* RFC 7323 2.3 */
                        }
                        break;
                case TCPOPT_SACK_PERM:
                        if (olen == 2)
                                o->sack_ok = true;
                        break;
                case TCPOPT_TIMESTAMP:
                        if (olen == 10) {
                                o->ts_ok = true;
                                o->tsval = get_be32(v);
                                o->tsecr = get_be32(v + 4);
                        }
                        break;
                case TCPOPT_SACK:
                        if (olen >= 10 && (olen - 2) % 8 == 0) {
                                unsigned n = (olen - 2u) / 8u;
                                for (unsigned b = 0; b < n && o->nsack < TCP_MAX_SACK; b++) {
                                        o->sack[o->nsack][0] = get_be32(v + 8 * b);
                                        o->sack[o->nsack][1] = get_be32(v + 8 * b + 4);
                                        o->nsack++;
                                }
                        }
                        break;
                case TCPOPT_FASTOPEN:
                        parse_fastopen(o, v, olen - 2u, false);
                        break;
                case TCPOPT_MD5SIG:
                        if (olen == 18) {
                                o->md5_ok = true;
                                o->md5_off = (uint8_t)(TCP_HLEN_MIN + i + 2);
                        }
                        break;
                case TCPOPT_EXP:
                        /* RFC 6994: the magic says whose option it is */
                        if (olen >= 4 && get_be16(v) == TCPOPT_FASTOPEN_MAGIC)
                                parse_fastopen(o, v + 2, olen - 4u, true);
                        break;
                default:
                        break; /* unknown: skipped by its length */
                }
                i += olen;
        }
        return WIRE_OK;
}

enum wire_status tcp_parse(const uint8_t *buf, size_t len, struct tcp_repr *out)
{
        if (len < TCP_HLEN_MIN)
                return WIRE_TRUNCATED;
        unsigned doff = (buf[12] >> 4) * 4u;
        if (doff < TCP_HLEN_MIN)
                return WIRE_BAD_HDRLEN;
        if (doff > len)
                return WIRE_TRUNCATED;
        out->sport = get_be16(buf);
        out->dport = get_be16(buf + 2);
        out->seq = get_be32(buf + 4);
        out->ack = get_be32(buf + 8);
        out->doff = (uint8_t)doff;
        out->flags = buf[13];
        out->window = get_be16(buf + 14);
        out->check = get_be16(buf + 16);
        out->urg = get_be16(buf + 18);
        return parse_options(buf + TCP_HLEN_MIN, doff - TCP_HLEN_MIN, &out->opt);
}

size_t tcp_options_len(const struct tcp_options *o)
{
        size_t n = 0;
        if (o->mss_ok)
                n += 4;
        if (o->ts_ok)
                n += 12; /* SACKperm+TS, or NOP NOP TS */
        else if (o->sack_ok)
                n += 4;  /* NOP NOP SACKperm */
        if (o->ws_ok)
                n += 4;  /* NOP WS */
        if (o->nsack)
                n += 4 + 8u * o->nsack; /* NOP NOP SACK */
        if (o->md5_ok)
                n += 20; /* NOP NOP MD5 */
        return n + fastopen_len(o);
}

size_t tcp_emit(const struct tcp_repr *r, uint8_t *buf, size_t cap)
{
        size_t olen = tcp_options_len(&r->opt);
        size_t hlen = TCP_HLEN_MIN + olen;
        if (cap < hlen || hlen > TCP_HLEN_MAX)
                return 0;
        put_be16(buf, r->sport);
        put_be16(buf + 2, r->dport);
        put_be32(buf + 4, r->seq);
        put_be32(buf + 8, r->ack);
        buf[12] = (uint8_t)((hlen / 4) << 4);
        buf[13] = r->flags;
        put_be16(buf + 14, r->window);
        put_be16(buf + 16, 0);
        put_be16(buf + 18, r->urg);
        uint8_t *p = buf + TCP_HLEN_MIN;
        const struct tcp_options *o = &r->opt;
        if (o->md5_ok) {
                /* the digest (offset 24) is the signer's to fill in */
                p[0] = p[1] = TCPOPT_NOP;
                p[2] = TCPOPT_MD5SIG;
                p[3] = 18;
                memset(p + 4, 0, 16);
                p += 20;
        }
        if (o->mss_ok) {
                p[0] = TCPOPT_MSS;
                p[1] = 4;
                put_be16(p + 2, o->mss);
                p += 4;
        }
        if (o->ts_ok) {
                if (o->sack_ok) {
                        p[0] = TCPOPT_SACK_PERM;
                        p[1] = 2;
                } else {
                        p[0] = p[1] = TCPOPT_NOP;
                }
                p[2] = TCPOPT_TIMESTAMP;
                p[3] = 10;
                put_be32(p + 4, o->tsval);
                put_be32(p + 8, o->tsecr);
                p += 12;
        } else if (o->sack_ok) {
                p[0] = p[1] = TCPOPT_NOP;
                p[2] = TCPOPT_SACK_PERM;
                p[3] = 2;
                p += 4;
        }
        if (o->ws_ok) {
                p[0] = TCPOPT_NOP;
                p[1] = TCPOPT_WINDOW;
                p[2] = 3;
                p[3] = o->ws;
                p += 4;
        }
        if (o->nsack) {
                p[0] = p[1] = TCPOPT_NOP;
                p[2] = TCPOPT_SACK;
                p[3] = (uint8_t)(2 + 8 * o->nsack);
                p += 4;
                for (unsigned b = 0; b < o->nsack; b++) {
                        put_be32(p, o->sack[b][0]);
                        put_be32(p + 4, o->sack[b][1]);
                        p += 8;
                }
        }
        if (o->fo_ok) {
                size_t n = fastopen_len(o);
                memset(p, TCPOPT_NOP, n);
                if (o->fo_exp) {
                        p[0] = TCPOPT_EXP;
                        p[1] = (uint8_t)(4 + o->fo_len);
                        put_be16(p + 2, TCPOPT_FASTOPEN_MAGIC);
                        memcpy(p + 4, o->fo_cookie, o->fo_len);
                } else {
                        p[0] = TCPOPT_FASTOPEN;
                        p[1] = (uint8_t)(2 + o->fo_len);
                        memcpy(p + 2, o->fo_cookie, o->fo_len);
                }
                p += n;
        }
        return hlen;
}

uint16_t tcp_csum_ipv4(uint32_t saddr, uint32_t daddr, const uint8_t *seg, size_t len)
{
        uint32_t sum = csum_tcpudp_ipv4(saddr, daddr, IPPROTO_TCP_, (uint16_t)len);
        return csum_fold(csum_partial(seg, len, sum));
}

bool tcp_csum_ok_ipv4(uint32_t saddr, uint32_t daddr, const uint8_t *seg, size_t len)
{
        uint32_t sum = csum_tcpudp_ipv4(saddr, daddr, IPPROTO_TCP_, (uint16_t)len);
        return csum_fold(csum_partial(seg, len, sum)) == 0;
}
