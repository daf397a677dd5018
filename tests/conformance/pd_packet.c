/*
 * Packets: `<` lines built into frames and injected, `>` lines matched
 * against the segments Strata sent.
 *
 * Script sequence numbers are relative: inbound ones to the remote ISN the
 * runner picks, outbound ones (and inbound acks and SACK blocks) to
 * Strata's ISN, learned from its SYN or SYN-ACK.  Timestamps are mapped the
 * same way: the offset between Strata's TS val and the script's is learned
 * from the first outbound timestamp and applied to inbound TS ecr; outbound
 * TS val is checked only when the script sets --tcp_ts_tick_usecs, as
 * upstream does.
 *
 * An outbound segment is converted into the script's terms and compared
 * field by field; a mismatch prints both packets in script syntax.  A
 * large expected packet may be matched by several consecutive segments
 * (Strata segments at the MSS where Linux hands one TSO packet to tun),
 * unless --strict_segments.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pd_run.h"
#include "core/siphash.h"
#include "wire/tcp.h"

#define PASSIVE_REMOTE_PORT 47123
#define DEFAULT_PORT        8080

/* --- formatting -------------------------------------------------------------- */

static void cat(char *buf, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void cat(char *buf, size_t cap, const char *fmt, ...)
{
        size_t n = strlen(buf);
        if (n >= cap)
                return;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(buf + n, cap - n, fmt, ap);
        va_end(ap);
}

static void fmt_opt(char *buf, size_t cap, const struct pd_opt *o)
{
        switch (o->kind) {
        case PD_O_NOP:
                cat(buf, cap, "nop");
                break;
        case PD_O_EOL:
                cat(buf, cap, "eol");
                break;
        case PD_O_MSS:
                cat(buf, cap, "mss %u", o->v1);
                break;
        case PD_O_WSCALE:
                cat(buf, cap, "wscale %u", o->v1);
                break;
        case PD_O_SACKOK:
                cat(buf, cap, "sackOK");
                break;
        case PD_O_SACK:
                cat(buf, cap, "sack");
                for (int i = 0; i < o->nsack; i++)
                        cat(buf, cap, " %u:%u", o->sack[i][0], o->sack[i][1]);
                break;
        case PD_O_TS:
                cat(buf, cap, "TS val %u ecr %u", o->v1, o->v2);
                break;
        case PD_O_FO:
        case PD_O_FOEXP:
                cat(buf, cap, o->kind == PD_O_FO ? "FO" : "FOEXP");
                for (int i = 0; i < o->bloblen; i++)
                        cat(buf, cap, "%s%02x", i ? "" : " ", o->blob[i]);
                break;
        case PD_O_MD5:
                cat(buf, cap, "md5");
                break;
        case PD_O_OTHER:
                cat(buf, cap, "opt%u(len %u)", o->v1, o->v2);
                break;
        }
}

static void fmt_packet(char *buf, size_t cap, const struct pd_packet *p)
{
        static const char *const ecn[] = { "noecn", "ect1", "ect0", "ce", "ect01" };
        buf[0] = 0;
        cat(buf, cap, "%c ", p->dir);
        if (p->ecn >= 0 || p->tos >= 0 || p->ttl >= 0) {
                cat(buf, cap, "[");
                if (p->ecn >= 0)
                        cat(buf, cap, "%s", ecn[p->ecn]);
                if (p->tos >= 0)
                        cat(buf, cap, "%stos 0x%x", p->ecn >= 0 ? "," : "", p->tos);
                if (p->ttl >= 0)
                        cat(buf, cap, "%sttl %d", p->ecn >= 0 || p->tos >= 0 ? "," : "", p->ttl);
                cat(buf, cap, "] ");
        }
        static const char letters[] = "FSRPUEW";
        static const uint8_t bits[] = { 0x01, 0x02, 0x04, 0x08, 0x20, 0x40, 0x80 };
        bool any = false;
        for (int i = 0; i < 7; i++)
                if (p->flags & bits[i]) {
                        cat(buf, cap, "%c", letters[i]);
                        any = true;
                }
        if (p->flags & 0x10)
                cat(buf, cap, ".");
        else if (!any)
                cat(buf, cap, "-");
        cat(buf, cap, " %u:%u(%u)", p->seq, p->end_seq, p->len);
        if (p->has_ack)
                cat(buf, cap, " ack %u", p->ack);
        if (p->has_win)
                cat(buf, cap, " win %u", p->win);
        if (p->has_urg)
                cat(buf, cap, " urg %u", p->urg);
        if (p->opts_mode == 2)
                cat(buf, cap, " <...>");
        if (p->opts_mode == 1) {
                cat(buf, cap, " <");
                for (int i = 0; i < p->nopts; i++) {
                        if (i)
                                cat(buf, cap, ",");
                        fmt_opt(buf, cap, &p->opts[i]);
                }
                cat(buf, cap, ">");
        }
}

/* --- inbound ----------------------------------------------------------------- */

static void ensure_ports(struct pd_runner *r)
{
        if (r->ports_known)
                return;
        r->local_port = DEFAULT_PORT;
        r->remote_port = PASSIVE_REMOTE_PORT;
        r->ports_known = true;
}

/*
 * The symbolic cookie TFO_COOKIE: what a server with the namespace's
 * net.ipv4.tcp_fastopen_key must give the remote address talking to the
 * local one -- SipHash-2-4 of both addresses (network order), the 8 bytes
 * little-endian, as Linux's __tcp_fastopen_cookie_gen_cipher -- computed
 * here from the key text, apart from Strata's own cookie code.
 */
static void tfo_cookie(struct pd_runner *r, uint8_t out[8], int line)
{
        char key[80];
        unsigned w[4];
        if (strata_sysctl_get(r->sn, "net.ipv4.tcp_fastopen_key", key, sizeof(key)) < 0 ||
            sscanf(key, "%x-%x-%x-%x", &w[0], &w[1], &w[2], &w[3]) != 4)
                pd_fail(r, "line %d: TFO_COOKIE: cannot read net.ipv4.tcp_fastopen_key", line);
        struct siphash_key k = { { (uint64_t)w[1] << 32 | w[0], (uint64_t)w[3] << 32 | w[2] } };
        uint8_t msg[8];
        put_be32(msg, r->s->remote_ip);
        put_be32(msg + 4, r->s->local_ip);
        uint64_t h = siphash(msg, sizeof(msg), &k);
        for (int i = 0; i < 8; i++)
                out[i] = (uint8_t)(h >> (8 * i));
}

static uint32_t ts_ecr_live(const struct pd_runner *r, uint32_t ecr);

static size_t emit_options(struct pd_runner *r, const struct pd_packet *p, uint8_t *o, int line)
{
        size_t n = 0;
        for (int i = 0; i < p->nopts; i++) {
                const struct pd_opt *x = &p->opts[i];
                if (n > 40) /* o has room for one more option past 40 */
                        goto too_long;
                switch (x->kind) {
                case PD_O_NOP:
                        o[n++] = 1;
                        break;
                case PD_O_EOL:
                        o[n++] = 0;
                        break;
                case PD_O_MSS:
                        o[n++] = 2;
                        o[n++] = 4;
                        put_be16(o + n, (uint16_t)x->v1);
                        n += 2;
                        break;
                case PD_O_WSCALE:
                        o[n++] = 3;
                        o[n++] = 3;
                        o[n++] = (uint8_t)x->v1;
                        break;
                case PD_O_SACKOK:
                        o[n++] = 4;
                        o[n++] = 2;
                        break;
                case PD_O_SACK:
                        o[n++] = 5;
                        o[n++] = (uint8_t)(2 + 8 * x->nsack);
                        for (int b = 0; b < x->nsack; b++) {
                                uint32_t base = r->local_isn_known ? r->local_isn : 0;
                                put_be32(o + n, base + x->sack[b][0]);
                                put_be32(o + n + 4, base + x->sack[b][1]);
                                n += 8;
                        }
                        break;
                case PD_O_TS:
                        o[n++] = 8;
                        o[n++] = 10;
                        put_be32(o + n, x->v1);
                        put_be32(o + n + 4, ts_ecr_live(r, x->v2));
                        n += 8;
                        break;
                case PD_O_FO:
                case PD_O_FOEXP: {
                        uint8_t sym[8];
                        const uint8_t *blob = x->blob;
                        int bloblen = x->bloblen;
                        if (bloblen < 0) {
                                tfo_cookie(r, sym, line);
                                blob = sym;
                                bloblen = sizeof(sym);
                        }
                        if (x->kind == PD_O_FO) {
                                o[n++] = 34;
                                o[n++] = (uint8_t)(2 + bloblen);
                        } else {
                                o[n++] = 254;
                                o[n++] = (uint8_t)(4 + bloblen);
                                o[n++] = 0xf9;
                                o[n++] = 0x89;
                        }
                        memcpy(o + n, blob, (size_t)bloblen);
                        n += (size_t)bloblen;
                        break;
                }
                case PD_O_MD5:
                        /* the script's 16 bytes as they are: the digest
                         * packetdrill puts in, right or wrong */
                        o[n++] = 19;
                        o[n++] = 18;
                        memset(o + n, 0, 16);
                        memcpy(o + n, x->blob, x->bloblen > 16 ? 16 : (size_t)x->bloblen);
                        n += 16;
                        break;
                case PD_O_OTHER:
                        pd_fail(r, "line %d: runner: unsupported syntax: option", line);
                }
        }
        while (n % 4)
                o[n++] = 0;
        if (n > 40)
                goto too_long;
        return n;
too_long:
        pd_fail(r, "line %d: TCP options longer than 40 bytes", line);
}

/* An ICMP error from the remote quoting a TCP segment Strata sent on the
 * connection: its IP header and first 8 bytes, the sequence number mapped
 * as an outgoing one (packetdrill's map_inbound_icmp_tcp_packet). */
static void inject_icmp(struct pd_runner *r, const struct pd_packet *p)
{
        uint8_t icmp[8 + 28] = { p->icmp_type, p->icmp_code };
        if (p->icmp_mtu)
                put_be16(icmp + 6, (uint16_t)p->icmp_mtu);
        uint8_t *in = icmp + 8;
        in[0] = 0x45;
        put_be16(in + 2, (uint16_t)(40 + p->echo_len));
        put_be16(in + 6, 0x4000);
        in[8] = 64;
        in[9] = 6;
        put_be32(in + 12, r->s->local_ip);
        put_be32(in + 16, r->s->remote_ip);
        put_be16(in + 10, ip_compute_csum(in, 20));
        put_be16(in + 20, r->local_port);
        put_be16(in + 22, r->remote_port);
        put_be32(in + 24, p->echo_seq + (r->local_isn_known ? r->local_isn : 0));
        put_be16(icmp + 2, ip_compute_csum(icmp, sizeof(icmp)));
        uint8_t f[ETH_HLEN + 20 + sizeof(icmp)];
        size_t n = probe_ipv4_frame(&r->probe, f, r->s->remote_ip, r->s->local_ip, 1,
                                    (uint8_t)(p->ttl >= 0 ? p->ttl : 64), icmp, sizeof(icmp));
        probe_inject(&r->probe, f, n);
}

void pd_packet_inject(struct pd_runner *r, const struct pd_packet *p, int line)
{
        static uint16_t ip_id = 1;
        ensure_ports(r);
        if (p->icmp) {
                inject_icmp(r, p);
                return;
        }
        if ((p->flags & (TCPF_SYN | TCPF_ACK)) == TCPF_SYN && r->new_listener) {
                if (r->had_passive_syn)
                        r->remote_port++; /* a new peer for a new listener */
                r->had_passive_syn = true;
                r->new_listener = false;
        }
        if (p->opts_mode == 2)
                pd_fail(r,
                        "line %d: <...> options on an inbound packet: the runner cannot "
                        "invent them",
                        line);
        uint8_t opts[96];
        size_t olen = emit_options(r, p, opts, line);
        size_t tlen = 20 + olen + p->len;
        size_t iplen = 20 + tlen;
        if (iplen > 65535)
                pd_fail(r, "line %d: packet too large", line);
        uint8_t *f = calloc(1, ETH_HLEN + iplen);
        if (!f)
                pd_fail(r, "out of memory");
        struct eth_repr e;
        memcpy(e.dst, r->probe.dev->dev_addr, 6);
        memcpy(e.src, r->probe.peer_mac, 6);
        e.ethertype = ETH_P_IP;
        eth_emit(&e, f, ETH_HLEN);
        uint8_t *ip = f + ETH_HLEN;
        int tos = p->tos >= 0 ? p->tos : 0;
        if (p->ecn >= 0)
                tos = (tos & ~3) | (p->ecn == 4 ? 2 : p->ecn);
        ip[0] = 0x45;
        ip[1] = (uint8_t)tos;
        put_be16(ip + 2, (uint16_t)iplen);
        put_be16(ip + 4, ip_id++);
        put_be16(ip + 6, 0x4000);
        ip[8] = (uint8_t)(p->ttl >= 0 ? p->ttl : 64);
        ip[9] = 6;
        put_be32(ip + 12, r->s->remote_ip);
        put_be32(ip + 16, r->s->local_ip);
        put_be16(ip + 10, ip_compute_csum(ip, 20));
        uint8_t *t = ip + 20;
        put_be16(t, r->remote_port);
        put_be16(t + 2, r->local_port);
        /* packetdrill's remote_seq_script_to_live_offset: a SYN's (or
         * SYN-ACK's) sequence number is the script's own and starts the
         * remote sequence space there; what follows is relative to it */
        if (p->flags & TCPF_SYN)
                r->remote_isn = REMOTE_ISN_BASE + p->seq;
        put_be32(t + 4, (p->flags & TCPF_SYN) ? REMOTE_ISN_BASE + p->seq : r->remote_isn + p->seq);
        uint32_t ack = 0;
        if (p->has_ack && r->local_isn_known)
                ack = p->ack + r->local_isn - ((p->flags & TCPF_SYN) ? r->local_isn_script : 0);
        else if (p->has_ack)
                ack = p->ack;
        put_be32(t + 8, ack);
        t[12] = (uint8_t)(((20 + olen) / 4) << 4);
        t[13] = p->flags;
        put_be16(t + 14, (uint16_t)(p->has_win ? p->win : 0));
        put_be16(t + 18, (uint16_t)(p->has_urg ? p->urg : 0));
        memcpy(t + 20, opts, olen);
        put_be16(t + 16, tcp_csum_ipv4(r->s->remote_ip, r->s->local_ip, t, tlen));
        probe_inject(&r->probe, f, ETH_HLEN + iplen);
        free(f);
}

/* --- outbound ---------------------------------------------------------------- */

void pd_packet_collect(struct pd_runner *r, const uint8_t *ip, size_t len)
{
        if (r->nsent == PD_MAX_SENT)
                pd_fail(r, "Strata sent more than %d segments no line expected", PD_MAX_SENT);
        struct pd_sent *s = &r->sent[r->nsent++];
        s->t_us = pd_now_us(r);
        s->len = len;
        memcpy(s->ip, ip, len < PD_MAX_FRAME ? len : PD_MAX_FRAME);
}

static void pop_sent(struct pd_runner *r)
{
        memmove(&r->sent[0], &r->sent[1], (r->nsent - 1) * sizeof(r->sent[0]));
        r->nsent--;
}

struct seg {
        uint32_t saddr, daddr;
        uint8_t proto, tos, ttl;
        uint16_t sport, dport;
        uint32_t seq, ack;
        uint8_t flags;
        uint16_t win, urg;
        uint32_t len; /* payload */
        int nopts;
        struct pd_opt opts[PD_MAX_OPTS];
        const uint8_t *l4;
        size_t l4len;
};

static void parse_opts(const uint8_t *o, size_t n, struct seg *s)
{
        size_t i = 0;
        while (i < n && s->nopts < PD_MAX_OPTS) {
                struct pd_opt *x = &s->opts[s->nopts++];
                memset(x, 0, sizeof(*x));
                uint8_t kind = o[i];
                if (kind == 0) {
                        x->kind = PD_O_EOL;
                        return; /* the rest is padding */
                }
                if (kind == 1) {
                        x->kind = PD_O_NOP;
                        i++;
                        continue;
                }
                uint8_t l = i + 1 < n ? o[i + 1] : 0;
                if (l < 2 || i + l > n) {
                        x->kind = PD_O_OTHER;
                        x->v1 = kind;
                        x->v2 = l;
                        return;
                }
                const uint8_t *v = o + i + 2;
                if (kind == 2 && l == 4) {
                        x->kind = PD_O_MSS;
                        x->v1 = get_be16(v);
                } else if (kind == 3 && l == 3) {
                        x->kind = PD_O_WSCALE;
                        x->v1 = v[0];
                } else if (kind == 4 && l == 2) {
                        x->kind = PD_O_SACKOK;
                } else if (kind == 5 && (l - 2) % 8 == 0 && l <= 34) {
                        x->kind = PD_O_SACK;
                        x->nsack = (l - 2) / 8;
                        for (int b = 0; b < x->nsack; b++) {
                                x->sack[b][0] = get_be32(v + 8 * b);
                                x->sack[b][1] = get_be32(v + 8 * b + 4);
                        }
                } else if (kind == 8 && l == 10) {
                        x->kind = PD_O_TS;
                        x->v1 = get_be32(v);
                        x->v2 = get_be32(v + 4);
                } else if (kind == 34 || (kind == 254 && l >= 4 && v[0] == 0xf9 && v[1] == 0x89)) {
                        x->kind = kind == 34 ? PD_O_FO : PD_O_FOEXP;
                        int skip = kind == 34 ? 0 : 2;
                        x->bloblen = l - 2 - skip;
                        memcpy(x->blob, v + skip, (size_t)x->bloblen);
                } else if (kind == 19 && l == 18) {
                        x->kind = PD_O_MD5;
                } else {
                        x->kind = PD_O_OTHER;
                        x->v1 = kind;
                        x->v2 = l;
                }
                i += l;
        }
}

static bool parse_seg(const struct pd_sent *m, struct seg *s)
{
        size_t cap = m->len < PD_MAX_FRAME ? m->len : PD_MAX_FRAME;
        const uint8_t *ip = m->ip;
        memset(s, 0, sizeof(*s));
        if (cap < 20 || (ip[0] >> 4) != 4)
                return false;
        size_t ihl = (size_t)(ip[0] & 15) * 4;
        size_t tot = get_be16(ip + 2);
        if (ihl < 20 || tot < ihl || tot > m->len || ihl > cap)
                return false;
        s->tos = ip[1];
        s->ttl = ip[8];
        s->proto = ip[9];
        s->saddr = get_be32(ip + 12);
        s->daddr = get_be32(ip + 16);
        s->l4 = ip + ihl;
        s->l4len = (tot < cap ? tot : cap) - ihl;
        if (s->proto != 6)
                return true;
        const uint8_t *t = s->l4;
        if (s->l4len < 20)
                return false;
        size_t doff = (size_t)(t[12] >> 4) * 4;
        if (doff < 20 || doff > s->l4len)
                return false;
        s->sport = get_be16(t);
        s->dport = get_be16(t + 2);
        s->seq = get_be32(t + 4);
        s->ack = get_be32(t + 8);
        s->flags = t[13];
        s->win = get_be16(t + 14);
        s->urg = get_be16(t + 18);
        s->len = (uint32_t)(tot - ihl - doff);
        parse_opts(t + 20, doff - 20, s);
        return true;
}

/* The segment in script terms, shaped like the expected packet x (fields
 * the script did not give are left out, so the two print alike). */
static void to_script(struct pd_runner *r, const struct seg *s, const struct pd_packet *x,
                      struct pd_packet *out)
{
        memset(out, 0, sizeof(*out));
        out->dir = '>';
        out->ecn = x->ecn >= 0 ? (s->tos & 3) : -1;
        if (x->ecn == 4 && (out->ecn == 1 || out->ecn == 2))
                out->ecn = 4;
        out->tos = x->tos >= 0 ? (x->ecn >= 0 ? (s->tos & ~3) : s->tos) : -1;
        out->ttl = x->ttl >= 0 ? s->ttl : -1;
        out->flags = s->flags;
        uint32_t lisn = r->local_isn_known ? r->local_isn : 0;
        out->seq = s->seq - lisn + ((s->flags & TCPF_SYN) ? r->local_isn_script : 0);
        out->len = s->len;
        out->end_seq = out->seq + s->len;
        out->has_ack = x->has_ack || (s->flags & 0x10);
        /* remote_seq_live_to_script_offset: a SYN-ACK acks the script's
         * own ISN + 1; later segments ack relative to it */
        out->ack = s->ack - ((s->flags & TCPF_SYN) ? REMOTE_ISN_BASE : r->remote_isn);
        out->has_win = x->has_win;
        out->win = s->win;
        out->has_urg = x->has_urg || (s->flags & 0x20);
        out->urg = s->urg;
        out->opts_mode = s->nopts ? 1 : 0;
        out->nopts = s->nopts;
        memcpy(out->opts, s->opts, sizeof(out->opts));
        for (int i = 0; i < out->nopts; i++) {
                struct pd_opt *o = &out->opts[i];
                if (o->kind == PD_O_SACK)
                        for (int b = 0; b < o->nsack; b++) {
                                o->sack[b][0] -= r->remote_isn;
                                o->sack[b][1] -= r->remote_isn;
                        }
                if (o->kind == PD_O_TS && r->ts_known)
                        o->v1 -= r->ts_offset;
        }
}

static const char *compare_opts(struct pd_runner *r, const struct pd_packet *x,
                                const struct pd_packet *a)
{
        if (x->opts_mode == 2)
                return NULL;
        if (x->nopts != a->nopts)
                return "TCP options differ";
        for (int i = 0; i < x->nopts; i++) {
                const struct pd_opt *e = &x->opts[i], *g = &a->opts[i];
                if (e->kind != g->kind)
                        return "TCP options differ";
                switch (e->kind) {
                case PD_O_MSS:
                        if (e->v1 != g->v1)
                                return "MSS option differs";
                        break;
                case PD_O_WSCALE:
                        if (e->v1 != g->v1)
                                return "window scale option differs";
                        break;
                case PD_O_SACK:
                        if (e->nsack != g->nsack ||
                            memcmp(e->sack, g->sack, sizeof(e->sack[0]) * (size_t)e->nsack))
                                return "SACK blocks differ";
                        break;
                case PD_O_TS: {
                        if (e->v2 != g->v2)
                                return "TS ecr differs";
                        if (r->s->ts_tick_us > 0) {
                                int64_t slack = r->s->tolerance_us / r->s->ts_tick_us + 1;
                                int64_t d = (int64_t)(int32_t)(g->v1 - e->v1);
                                if (d > slack || d < -slack)
                                        return "TS val differs";
                        }
                        break;
                }
                case PD_O_FO:
                case PD_O_FOEXP:
                        if (e->bloblen < 0) {
                                uint8_t sym[8];
                                tfo_cookie(r, sym, 0);
                                if (g->bloblen != sizeof(sym) || memcmp(sym, g->blob, sizeof(sym)))
                                        return "Fast Open cookie differs from TFO_COOKIE";
                        } else if (e->bloblen != g->bloblen ||
                                   memcmp(e->blob, g->blob, (size_t)e->bloblen)) {
                                return "Fast Open cookie differs";
                        }
                        break;
                default:
                        break;
                }
        }
        return NULL;
}

/* Learn what the first segments tell: ports, Strata's ISN, TS offset. */
static void learn(struct pd_runner *r, const struct seg *s, const struct pd_packet *x)
{
        /* a SYN the script expects from Strata opens a new connection: a
         * new socket, so a new ephemeral port (packetdrill's
         * handle_connect_for_script_packet) */
        bool new_conn = (s->flags & 0x12) == 0x02 && (x->flags & 0x12) == 0x02;
        if (!r->ports_known || new_conn) {
                r->local_port = s->sport;
                r->remote_port = s->dport;
                r->ports_known = true;
        }
        if ((s->flags & 0x02) && (x->flags & 0x02)) {
                /* packetdrill's local ISN mapping: a SYN's sequence number
                 * is the script's ISN (`> S. 1234:1234(0)`), the numbers of
                 * later segments count from the live ISN */
                r->local_isn = s->seq;
                r->local_isn_script = x->seq;
                r->local_isn_known = true;
        }
        if (x->opts_mode == 1) {
                int i = 0, j = 0;
                while (i < x->nopts && x->opts[i].kind != PD_O_TS)
                        i++;
                while (j < s->nopts && s->opts[j].kind != PD_O_TS)
                        j++;
                if (i < x->nopts && j < s->nopts) {
                        uint32_t sv = x->opts[i].v1, av = s->opts[j].v1;
                        if (!r->ts_known) {
                                r->ts_offset = av - sv;
                                r->ts_known = true;
                        }
                        /* packetdrill's set_outbound_ts_val_mapping: an
                         * inbound ecr of sv echoes this value, the latest
                         * sent under that script value */
                        size_t k = 0;
                        while (k < r->nts_map && r->ts_map[k][0] != sv)
                                k++;
                        if (k == r->nts_map && k < PD_TS_MAP)
                                r->nts_map++;
                        if (k < PD_TS_MAP) {
                                r->ts_map[k][0] = sv;
                                r->ts_map[k][1] = av;
                        }
                }
        }
}

/* The live TS ecr for an inbound script ecr: the value Strata sent under
 * that script value, else offset by the first timestamps (packetdrill's
 * get_outbound_ts_val_mapping, then its tcp_ts_ecr_scaled interpolation). */
static uint32_t ts_ecr_live(const struct pd_runner *r, uint32_t ecr)
{
        for (size_t k = 0; k < r->nts_map; k++)
                if (r->ts_map[k][0] == ecr)
                        return r->ts_map[k][1];
        return r->ts_known ? ecr + r->ts_offset : ecr;
}

static _Noreturn void mismatch(struct pd_runner *r, const struct pd_event *ev, const char *what,
                               const struct pd_packet *x, const struct pd_packet *a, int64_t t)
{
        char xb[512], ab[512];
        fmt_packet(xb, sizeof(xb), x);
        fmt_packet(ab, sizeof(ab), a);
        pd_fail(r, "line %d: %s\n    script: %s\n    actual: %s  (sent at t=%.6f)", ev->line, what,
                xb, ab, t / 1e6);
}

int64_t pd_packet_expect(struct pd_runner *r, const struct pd_event *ev, int64_t lo, int64_t hi)
{
        struct pd_packet want = ev->pkt; /* the part still to match */
        int64_t first = -1;
        uint8_t flags_seen = 0;
        for (int piece = 0;; piece++) {
                while (r->nsent == 0) {
                        int64_t now = pd_now_us(r);
                        if (now >= hi) {
                                char xb[512];
                                fmt_packet(xb, sizeof(xb), &want);
                                pd_fail(r,
                                        "line %d: %s\n    script: %s\n    actual: nothing sent "
                                        "by t=%.6f",
                                        ev->line,
                                        piece ? "the rest of the expected packet was not sent"
                                              : "expected packet was not sent",
                                        xb, hi / 1e6);
                        }
                        uint64_t d = strata_next_deadline(r->sn);
                        int64_t dus =
                            d == UINT64_MAX ? INT64_MAX : (int64_t)((d - r->start_ns) / 1000);
                        pd_advance_to(r, dus < hi ? (dus > now ? dus : now) : hi);
                }
                struct pd_sent *m = &r->sent[0];
                struct seg s;
                struct pd_packet a;
                if (!parse_seg(m, &s))
                        pd_fail(r, "line %d: Strata sent a malformed IPv4 packet (%zu bytes)",
                                ev->line, m->len);
                if (s.proto != 6) {
                        char what[128];
                        snprintf(what, sizeof(what), "a %s packet (protocol %u, %zu bytes)",
                                 s.proto == 1    ? "ICMP"
                                 : s.proto == 17 ? "UDP"
                                                 : "non-TCP",
                                 s.proto, m->len);
                        if (s.proto == 1 && s.l4len >= 2)
                                snprintf(what + strlen(what), sizeof(what) - strlen(what),
                                         " type %u code %u", s.l4[0], s.l4[1]);
                        char xb[512];
                        fmt_packet(xb, sizeof(xb), &want);
                        pd_fail(r, "line %d: Strata sent %s\n    script: %s", ev->line, what, xb);
                }
                /* packetdrill sniffs the connection under test only: what an
                 * earlier connection still sends (the FIN of a closed one)
                 * once a new SYN is expected, or from ports no longer the
                 * current ones, is not the script's business */
                bool want_new = piece == 0 && (want.flags & 0x12) == 0x02;
                bool old_ports =
                    r->ports_known && (s.sport != r->local_port || s.dport != r->remote_port);
                if (!(s.flags & TCPF_SYN) && (want_new || old_ports)) {
                        pop_sent(r);
                        piece--; /* still the same piece */
                        continue;
                }
                learn(r, &s, &want);
                to_script(r, &s, &want, &a);
                if (s.saddr != r->s->local_ip || s.daddr != r->s->remote_ip)
                        mismatch(r, ev, "packet between the wrong addresses", &want, &a, m->t_us);
                if (s.sport != r->local_port || s.dport != r->remote_port)
                        mismatch(r, ev, "packet between the wrong ports", &want, &a, m->t_us);
                if (m->t_us < lo)
                        mismatch(r, ev, "packet sent too early", &want, &a, m->t_us);
                if (m->t_us > hi)
                        mismatch(r, ev, "packet sent too late", &want, &a, m->t_us);
                bool last = a.len >= want.len;
                uint8_t split_ok = 0x08 | 0x01; /* PSH and FIN may sit on one piece only */
                /* A piece that is not the last may end one of the sender's
                 * GSO packets, which carry PSH (__tcp_transmit_skb): where
                 * Linux hands tun one TSO packet per skb, the script shows
                 * one packet without it. */
                uint8_t gso_psh =
                    !last && !r->s->strict_segments && !(want.flags & 0x08) ? 0x08 : 0;
                a.flags &= (uint8_t)~gso_psh;
                if (!last && !r->s->strict_segments && a.len > 0 && a.seq == want.seq &&
                    (a.flags & ~split_ok) == (want.flags & ~split_ok) &&
                    (a.flags & ~want.flags) == 0 && !(a.flags & 0x01)) {
                        /* one piece of a larger expected packet */
                } else if ((a.flags | flags_seen) != want.flags ||
                           (piece && (a.flags & ~split_ok) != (want.flags & ~split_ok))) {
                        mismatch(r, ev, "TCP flags differ", &want, &a, m->t_us);
                }
                if (a.seq != want.seq)
                        mismatch(r, ev, "sequence number differs", &want, &a, m->t_us);
                if (a.len != want.len && (last || r->s->strict_segments || a.len == 0))
                        mismatch(r, ev, "payload length differs", &want, &a, m->t_us);
                if (want.has_ack && a.ack != want.ack)
                        mismatch(r, ev, "ack number differs", &want, &a, m->t_us);
                if (want.has_ack && !(s.flags & 0x10))
                        mismatch(r, ev, "ACK flag missing", &want, &a, m->t_us);
                if (want.has_win && a.win != want.win)
                        mismatch(r, ev, "window differs", &want, &a, m->t_us);
                if (want.has_urg && a.urg != want.urg)
                        mismatch(r, ev, "urgent pointer differs", &want, &a, m->t_us);
                if (want.ecn >= 0 && a.ecn != want.ecn)
                        mismatch(r, ev, "ECN field differs", &want, &a, m->t_us);
                if (want.tos >= 0 && a.tos != want.tos)
                        mismatch(r, ev, "TOS differs", &want, &a, m->t_us);
                if (want.ttl >= 0 && a.ttl != want.ttl)
                        mismatch(r, ev, "TTL differs", &want, &a, m->t_us);
                if (want.opts_mode == 0 && a.nopts)
                        mismatch(r, ev, "unexpected TCP options", &want, &a, m->t_us);
                const char *o = want.opts_mode == 1 ? compare_opts(r, &want, &a) : NULL;
                if (o)
                        mismatch(r, ev, o, &want, &a, m->t_us);
                if (first < 0)
                        first = m->t_us;
                flags_seen |= a.flags;
                pop_sent(r);
                if (last)
                        return first;
                want.seq += a.len;
                want.len -= a.len;
        }
}
