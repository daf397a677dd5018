/*
 * IPv4 header: validation in the order of Linux's ip_rcv_core(), option
 * validation by the rules of ip_options_compile(), emit, the incremental TTL
 * update of the forwarding path, and dotted-quad conversion.
 *
 * Unlike Linux, parsing never writes to the packet: ip_options_compile()
 * on receive also advances RR/TS pointers and rewrites padding after EOL.
 * Here those edits belong to whoever consumes the offsets; the checks below
 * guarantee that an RR or TS slot the pointer designates lies inside the
 * option, so the consumer may write it without checking again.
 */
#include "ipv4.h"

#include <stdio.h>
#include <string.h>

#include "bytes.h"
#include "checksum.h"

/* Timestamp option flags (low nibble of its 4th byte), RFC 791. */
#define IPOPT_TS_TSONLY    0
#define IPOPT_TS_TSANDADDR 1
#define IPOPT_TS_PRESPEC   3

enum wire_status ipv4_parse(const uint8_t *buf, size_t len, bool verify_csum, struct ipv4_repr *out,
                            unsigned *bad_off)
{
        if (len < IPV4_HLEN_MIN)
                return WIRE_TRUNCATED;
        if (buf[0] >> 4 != 4)
                return WIRE_BAD_VERSION;

        unsigned ihl = (buf[0] & 0x0f) * 4u;

        if (ihl < IPV4_HLEN_MIN)
                return WIRE_BAD_HDRLEN;
        if (len < ihl)
                return WIRE_TRUNCATED;
        if (verify_csum && ip_compute_csum(buf, ihl) != 0)
                return WIRE_BAD_CSUM;

        unsigned tot_len = get_be16(buf + 2);

        if (tot_len < ihl)
                return WIRE_BAD_LENGTH;
        /* Fewer bytes than the header claims: the packet was cut short
         * (Linux: SKB_DROP_REASON_PKT_TOO_SMALL, InTruncatedPkts). */
        if (tot_len > len)
                return WIRE_TRUNCATED;

        out->ihl = (uint8_t)ihl;
        out->tos = buf[1];
        out->tot_len = (uint16_t)tot_len;
        out->id = get_be16(buf + 4);
        out->frag_off = get_be16(buf + 6);
        out->ttl = buf[8];
        out->protocol = buf[9];
        out->check = get_be16(buf + 10);
        out->saddr = get_be32(buf + 12);
        out->daddr = get_be32(buf + 16);
        return ipv4_parse_options(buf + IPV4_HLEN_MIN, ihl - IPV4_HLEN_MIN, &out->opt, bad_off);
}

/*
 * The parameter is named hdr in the header but, as its comment says, it
 * points at the first option byte (byte 20 of the IP header); offsets
 * reported are still counted from the start of the IP header, as Linux does
 * for options that came from setsockopt(IP_OPTIONS) and have no header.
 *
 * Error offsets follow ip_options_compile(): the option's type byte for a
 * bad length or a duplicate, its length byte for a length too small for
 * the type, its pointer byte for a bad pointer, and the flags byte for a
 * timestamp overflow counter that would wrap.
 */
enum wire_status ipv4_parse_options(const uint8_t *hdr, unsigned optlen, struct ipv4_options *opt,
                                    unsigned *bad_off)
{
        const uint8_t *p = hdr;
        bool seen_ra = false;
        unsigned i = 0, off;

        memset(opt, 0, sizeof(*opt));
        if (optlen > IPV4_HLEN_MAX - IPV4_HLEN_MIN)
                return WIRE_BAD_HDRLEN;
        opt->optlen = (uint8_t)optlen;

        /* Bounded: i grows by at least one each turn and stops at optlen. */
        while (i < optlen) {
                uint8_t type = p[i];

                if (type == IPOPT_END)
                        break; /* what follows EOL is padding, whatever it holds */
                if (type == IPOPT_NOOP) {
                        i++;
                        continue;
                }

                unsigned left = optlen - i;

                if (left < 2) {
                        off = i;
                        goto bad;
                }

                unsigned olen = p[i + 1];

                if (olen < 2 || olen > left) {
                        off = i;
                        goto bad;
                }

                const uint8_t *o = p + i;
                uint8_t here = (uint8_t)(IPV4_HLEN_MIN + i);
                /* Pointer byte of RR/SRR/TS; each case checks olen >= 3
                 * before using it. */
                unsigned ptr = left >= 3 ? o[2] : 0;

                switch (type) {
                case IPOPT_SSRR:
                case IPOPT_LSRR:
                        /* Linux checks the duplicate after the pointer here,
                         * unlike RR and TS; keep its order so bad_off agrees. */
                        if (olen < 3) {
                                off = i + 1;
                                goto bad;
                        }
                        if (ptr < 4) {
                                off = i + 2;
                                goto bad;
                        }
                        if (opt->srr) {
                                off = i;
                                goto bad;
                        }
                        opt->is_strictroute = type == IPOPT_SSRR;
                        opt->srr = here;
                        break;
                case IPOPT_RR:
                        if (opt->rr) {
                                off = i;
                                goto bad;
                        }
                        if (olen < 3) {
                                off = i + 1;
                                goto bad;
                        }
                        if (ptr < 4) {
                                off = i + 2;
                                goto bad;
                        }
                        /* Not full: the next slot must fit entirely. */
                        if (ptr <= olen && ptr + 3 > olen) {
                                off = i + 2;
                                goto bad;
                        }
                        opt->rr = here;
                        break;
                case IPOPT_TS:
                        if (opt->ts) {
                                off = i;
                                goto bad;
                        }
                        if (olen < 4) {
                                off = i + 1;
                                goto bad;
                        }
                        if (ptr < 5) {
                                off = i + 2;
                                goto bad;
                        }
                        if (ptr <= olen) {
                                unsigned flags = o[3] & 0x0f;

                                if (ptr + 3 > olen) {
                                        off = i + 2;
                                        goto bad;
                                }
                                /* Address+time slots are 8 bytes. */
                                if ((flags == IPOPT_TS_TSANDADDR || flags == IPOPT_TS_PRESPEC) &&
                                    ptr + 7 > olen) {
                                        off = i + 2;
                                        goto bad;
                                }
                        } else if ((o[3] & 0x0f) != IPOPT_TS_PRESPEC && o[3] >> 4 == 15) {
                                /* Full, and the overflow counter the next hop
                                 * must bump is already at its maximum. */
                                off = i + 3;
                                goto bad;
                        }
                        opt->ts = here;
                        break;
                case IPOPT_RA:
                        /* Stricter than Linux (which accepts a repeat and
                         * any length >= 4): RFC 2113 fixes the length at 4. */
                        if (seen_ra) {
                                off = i;
                                goto bad;
                        }
                        if (olen != 4) {
                                off = i + 1;
                                goto bad;
                        }
                        seen_ra = true;
                        /* As Linux: only value 0 ("examine packet") is an
                         * alert; other values are reserved and ignored. */
                        if (o[2] == 0 && o[3] == 0)
                                opt->router_alert = here;
                        break;
                case IPOPT_SEC:
                        if (!opt->sec)
                                opt->sec = here;
                        break;
                default:
                        /* Unknown options are skipped, as Linux does on
                         * receive. */
                        break;
                }
                i += olen;
        }
        return WIRE_OK;

bad:
        if (bad_off)
                *bad_off = IPV4_HLEN_MIN + off;
        return WIRE_BAD_OPTION;
}

size_t ipv4_emit(const struct ipv4_repr *r, const uint8_t *opts, uint8_t *buf, size_t cap)
{
        unsigned ihl = r->ihl;

        if (ihl < IPV4_HLEN_MIN || ihl > IPV4_HLEN_MAX || ihl % 4 != 0 || cap < ihl)
                return 0;
        if (ihl > IPV4_HLEN_MIN && !opts)
                return 0;

        /* Options first, with memmove: they may already sit at buf + 20 or
         * overlap the fixed part being written. */
        if (ihl > IPV4_HLEN_MIN && opts != buf + IPV4_HLEN_MIN)
                memmove(buf + IPV4_HLEN_MIN, opts, ihl - IPV4_HLEN_MIN);
        buf[0] = (uint8_t)(0x40 | ihl / 4);
        buf[1] = r->tos;
        put_be16(buf + 2, r->tot_len);
        put_be16(buf + 4, r->id);
        put_be16(buf + 6, r->frag_off);
        buf[8] = r->ttl;
        buf[9] = r->protocol;
        put_be16(buf + 10, 0);
        put_be32(buf + 12, r->saddr);
        put_be32(buf + 16, r->daddr);
        put_be16(buf + 10, ip_compute_csum(buf, ihl));
        return ihl;
}

void ipv4_set_ttl(uint8_t *hdr, uint8_t ttl)
{
        /* TTL shares its 16-bit checksum word with the protocol byte. */
        uint16_t old = get_be16(hdr + 8);
        uint16_t new_ = (uint16_t)((uint16_t)ttl << 8 | hdr[9]);

        hdr[8] = ttl;
        csum_replace2(hdr + 10, old, new_);
}

/* By hand rather than snprintf: addresses are formatted per packet for
 * callbacks and traces, and stdio costs ~80 ns a call. */
char *ipv4_addr_fmt(uint32_t addr, char *buf)
{
        char *p = buf;
        for (int shift = 24; shift >= 0; shift -= 8) {
                unsigned b = (addr >> shift) & 0xff;
                if (b >= 100)
                        *p++ = (char)('0' + b / 100);
                if (b >= 10)
                        *p++ = (char)('0' + b / 10 % 10);
                *p++ = (char)('0' + b % 10);
                *p++ = shift ? '.' : '\0';
        }
        return buf;
}

/*
 * Strict dotted quad, as glibc's inet_pton(AF_INET): exactly four decimal
 * parts of 0..255, no leading zeros (they read as octal to inet_aton), no
 * signs, spaces or trailing characters.
 */
int ipv4_addr_parse(const char *s, uint32_t *addr)
{
        uint32_t a = 0;

        for (int part = 0; part < 4; part++) {
                unsigned v = 0, digits = 0;

                if (part > 0 && *s++ != '.')
                        return -1;
                while (*s >= '0' && *s <= '9') {
                        if (digits == 1 && v == 0)
                                return -1; /* leading zero */
                        v = v * 10 + (unsigned)(*s - '0');
                        if (v > 255)
                                return -1;
                        digits++;
                        s++;
                }
                if (digits == 0)
                        return -1;
                a = a << 8 | v;
        }
        if (*s != '\0')
                return -1;
        *addr = a;
        return 0;
}
