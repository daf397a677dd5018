/*
 * The script parser: tokens to timed events (syntax.md's grammar).
 *
 * A script is options (--name=value), then events, each a time and an
 * action: a packet line (< injected, > expected), a system call with its
 * expected result and errno, a backquoted shell command or a %{ }% code
 * block.  Packets are line-oriented (a packet ends with its line); system
 * call arguments may span lines.  Anything the grammar does not allow, or
 * that the runner does not implement (UDP and ICMP packets, explicit
 * ports, IPv6, GRE/MPLS encapsulation), is refused with the line number,
 * never skipped.
 */
#include <arpa/inet.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pd.h"

struct parser {
        struct pd_toks t;
        size_t i;
        char *err;
        size_t errcap;
        int depth;
};

static struct pd_tok *peek(struct parser *p)
{
        return &p->t.v[p->i];
}

static struct pd_tok *peek2(struct parser *p)
{
        return p->i + 1 < p->t.n ? &p->t.v[p->i + 1] : &p->t.v[p->t.n - 1];
}

static struct pd_tok *next(struct parser *p)
{
        struct pd_tok *k = &p->t.v[p->i];
        if (k->kind != PD_T_EOF)
                p->i++;
        return k;
}

static bool is_punct(const struct pd_tok *k, const char *s)
{
        return k->kind == PD_T_PUNCT && strcmp(k->text, s) == 0;
}

static bool is_word(const struct pd_tok *k, const char *s)
{
        return k->kind == PD_T_WORD && strcmp(k->text, s) == 0;
}

static int perr(struct parser *p, int line, const char *fmt, ...)
{
        va_list ap;
        int n = snprintf(p->err, p->errcap, "line %d: ", line);
        va_start(ap, fmt);
        if (n >= 0 && (size_t)n < p->errcap)
                vsnprintf(p->err + n, p->errcap - (size_t)n, fmt, ap);
        va_end(ap);
        return -1;
}

static const char *tokdesc(const struct pd_tok *k)
{
        return k->kind == PD_T_EOF ? "end of script" : k->text;
}

static int expect_punct(struct parser *p, const char *s)
{
        struct pd_tok *k = peek(p);
        if (!is_punct(k, s))
                return perr(p, k->line, "expected '%s', found '%s'", s, tokdesc(k));
        next(p);
        return 0;
}

static int expect_int(struct parser *p, long long *v)
{
        struct pd_tok *k = peek(p);
        if (k->kind != PD_T_INT)
                return perr(p, k->line, "expected an integer, found '%s'", tokdesc(k));
        *v = k->ival;
        next(p);
        return 0;
}

static int expect_u32(struct parser *p, uint32_t *v)
{
        long long x = 0;
        if (expect_int(p, &x))
                return -1;
        if (x < 0 || x > 0xffffffffll)
                return perr(p, p->t.v[p->i - 1].line, "value %lld out of range", x);
        *v = (uint32_t)x;
        return 0;
}

/* --- expressions (syscall arguments) --------------------------------------- */

static struct pd_expr *enew(enum pd_expr_kind kind, int line)
{
        struct pd_expr *e = calloc(1, sizeof(*e));
        if (e) {
                e->kind = kind;
                e->line = line;
        }
        return e;
}

static int eadd(struct pd_expr *e, struct pd_expr *kid)
{
        struct pd_expr **v = realloc(e->kids, (e->nkids + 1) * sizeof(*v));
        if (!v) {
                pd_expr_free(kid);
                return -1;
        }
        e->kids = v;
        e->kids[e->nkids++] = kid;
        return 0;
}

void pd_expr_free(struct pd_expr *e)
{
        if (!e)
                return;
        for (size_t i = 0; i < e->nkids; i++)
                pd_expr_free(e->kids[i]);
        free(e->kids);
        free(e->s);
        free(e);
}

static struct pd_expr *parse_expr(struct parser *p);

static void ecat(char *buf, size_t cap, const char *s)
{
        size_t n = strlen(buf);
        if (n < cap)
                snprintf(buf + n, cap - n, "%s", s);
}

void pd_expr_fmt(const struct pd_expr *e, char *buf, size_t cap)
{
        char num[32];
        switch (e->kind) {
        case PD_E_ELLIPSIS:
                ecat(buf, cap, "...");
                return;
        case PD_E_INT:
                snprintf(num, sizeof(num), "%lld", e->ival);
                ecat(buf, cap, num);
                return;
        case PD_E_WORD:
                ecat(buf, cap, e->s);
                return;
        case PD_E_STRING:
                ecat(buf, cap, "\"");
                ecat(buf, cap, e->s);
                ecat(buf, cap, "\"");
                return;
        case PD_E_OR:
        case PD_E_ASSIGN:
                pd_expr_fmt(e->kids[0], buf, cap);
                ecat(buf, cap, e->kind == PD_E_OR ? "|" : "=");
                pd_expr_fmt(e->kids[1], buf, cap);
                return;
        case PD_E_ARRAY:
        case PD_E_STRUCT:
        case PD_E_CALL:
                if (e->kind == PD_E_CALL)
                        ecat(buf, cap, e->s);
                ecat(buf, cap, e->kind == PD_E_ARRAY ? "[" : e->kind == PD_E_STRUCT ? "{" : "(");
                for (size_t i = 0; i < e->nkids; i++) {
                        if (i)
                                ecat(buf, cap, ", ");
                        pd_expr_fmt(e->kids[i], buf, cap);
                }
                ecat(buf, cap, e->kind == PD_E_ARRAY ? "]" : e->kind == PD_E_STRUCT ? "}" : ")");
                return;
        }
}

/* items up to the closing bracket, comma separated */
static int parse_list(struct parser *p, struct pd_expr *e, const char *close)
{
        if (is_punct(peek(p), close)) {
                next(p);
                return 0;
        }
        for (;;) {
                struct pd_expr *kid = parse_expr(p);
                if (!kid || eadd(e, kid))
                        return -1;
                if (is_punct(peek(p), ",")) {
                        next(p);
                        continue;
                }
                return expect_punct(p, close);
        }
}

static struct pd_expr *parse_primary(struct parser *p)
{
        struct pd_tok *k = peek(p);
        struct pd_expr *e = NULL;
        if (k->kind == PD_T_ELLIPSIS) {
                next(p);
                return enew(PD_E_ELLIPSIS, k->line);
        }
        if (k->kind == PD_T_INT || (is_punct(k, "-") && peek2(p)->kind == PD_T_INT)) {
                bool neg = is_punct(k, "-");
                if (neg)
                        next(p);
                k = next(p);
                e = enew(PD_E_INT, k->line);
                if (e)
                        e->ival = neg ? -k->ival : k->ival;
                return e;
        }
        if (k->kind == PD_T_STRING) {
                next(p);
                e = enew(PD_E_STRING, k->line);
                if (e)
                        e->s = strdup(k->text);
                if (peek(p)->kind == PD_T_ELLIPSIS)
                        next(p); /* "abc"... : a prefix */
                return e;
        }
        if (k->kind == PD_T_WORD) {
                next(p);
                bool call = is_punct(peek(p), "(");
                e = enew(call ? PD_E_CALL : PD_E_WORD, k->line);
                if (!e)
                        return NULL;
                e->s = strdup(k->text);
                if (call) {
                        next(p);
                        if (parse_list(p, e, ")")) {
                                pd_expr_free(e);
                                return NULL;
                        }
                }
                return e;
        }
        if (is_punct(k, "[") || is_punct(k, "{")) {
                bool arr = is_punct(k, "[");
                next(p);
                e = enew(arr ? PD_E_ARRAY : PD_E_STRUCT, k->line);
                if (!e || parse_list(p, e, arr ? "]" : "}")) {
                        pd_expr_free(e);
                        return NULL;
                }
                return e;
        }
        perr(p, k->line, "expected an expression, found '%s'", tokdesc(k));
        return NULL;
}

static struct pd_expr *binary(struct parser *p, enum pd_expr_kind kind, struct pd_expr *l,
                              struct pd_expr *r, int line)
{
        if (!l || !r) {
                pd_expr_free(l);
                pd_expr_free(r);
                return NULL;
        }
        struct pd_expr *e = enew(kind, line);
        if (!e || eadd(e, l) || eadd(e, r)) {
                pd_expr_free(e);
                return NULL;
        }
        return e;
}

static struct pd_expr *parse_expr(struct parser *p)
{
        if (++p->depth > 64) {
                perr(p, peek(p)->line, "expression nested too deeply");
                p->depth--;
                return NULL;
        }
        struct pd_expr *e = parse_primary(p);
        while (e && is_punct(peek(p), "|")) {
                int line = next(p)->line;
                e = binary(p, PD_E_OR, e, parse_primary(p), line);
        }
        if (e && is_punct(peek(p), "=")) {
                int line = next(p)->line;
                e = binary(p, PD_E_ASSIGN, e, parse_expr(p), line);
        }
        p->depth--;
        return e;
}

/* --- times ------------------------------------------------------------------ */

static bool is_number(const struct pd_tok *k)
{
        return k->kind == PD_T_INT || k->kind == PD_T_FLOAT;
}

static int64_t tok_us(const struct pd_tok *k)
{
        if (k->kind == PD_T_INT)
                return k->ival * 1000000;
        return (int64_t)llround(k->fval * 1e6);
}

/* [+]T [~ [+]T] | * ; false when the line does not start with a time */
static int parse_time(struct parser *p, struct pd_event *ev, bool *have)
{
        struct pd_tok *k = peek(p);
        *have = false;
        if (is_punct(k, "*")) {
                next(p);
                ev->tkind = PD_TIME_ANY;
                *have = true;
                return 0;
        }
        bool rel = false;
        if (is_punct(k, "+") && is_number(peek2(p))) {
                rel = true;
                next(p);
        } else if (!is_number(k)) {
                return 0;
        }
        *have = true;
        ev->t_us = tok_us(next(p));
        ev->tkind = rel ? PD_TIME_REL : PD_TIME_ABS;
        if (is_punct(peek(p), "~")) {
                next(p);
                bool rel2 = false;
                if (is_punct(peek(p), "+")) {
                        rel2 = true;
                        next(p);
                }
                if (!is_number(peek(p)))
                        return perr(p, peek(p)->line, "expected a time after '~'");
                if (rel2 != rel)
                        return perr(p, peek(p)->line,
                                    "a time range mixes relative and "
                                    "absolute times");
                ev->t2_us = tok_us(next(p));
                ev->tkind = rel ? PD_TIME_REL_RANGE : PD_TIME_ABS_RANGE;
                if (ev->t2_us < ev->t_us)
                        return perr(p, ev->line, "time range ends before it starts");
        }
        return 0;
}

/* --- packets ------------------------------------------------------------------ */

static int parse_ip_info(struct parser *p, struct pd_packet *pk, const char *close)
{
        for (;;) {
                struct pd_tok *k = next(p);
                if (k->kind != PD_T_WORD)
                        return perr(p, k->line, "bad IP field '%s'", tokdesc(k));
                static const char *const ecn[] = { "noecn", "ect1", "ect0", "ce" };
                bool done = false;
                for (int i = 0; i < 4; i++)
                        if (strcasecmp(k->text, ecn[i]) == 0) {
                                pk->ecn = i;
                                done = true;
                        }
                if (done) {
                } else if (strcasecmp(k->text, "ect01") == 0) {
                        pk->ecn = 4; /* either ECT codepoint */
                } else if (strcmp(k->text, "tos") == 0) {
                        uint32_t v;
                        if (expect_u32(p, &v))
                                return -1;
                        pk->tos = (int)(v & 0xff);
                } else if (strcmp(k->text, "ttl") == 0) {
                        uint32_t v;
                        if (expect_u32(p, &v))
                                return -1;
                        pk->ttl = (int)(v & 0xff);
                } else if (strcmp(k->text, "flowlabel") == 0) {
                        return perr(p, k->line, "runner: unsupported syntax: flowlabel (IPv6)");
                } else {
                        return perr(p, k->line, "bad IP field '%s'", k->text);
                }
                if (is_punct(peek(p), ",")) {
                        next(p);
                        continue;
                }
                return expect_punct(p, close);
        }
}

static int hex_blob(struct parser *p, struct pd_opt *o, int line)
{
        struct pd_tok *k = peek(p);
        if (k->line != line || (k->kind != PD_T_WORD && k->kind != PD_T_INT))
                return 0;
        const char *s = k->text;
        if (k->kind == PD_T_INT && k->is_hex)
                s += 2;
        size_t n = strlen(s);
        bool hex = n % 2 == 0 && n / 2 <= sizeof(o->blob);
        for (size_t i = 0; hex && i < n; i++)
                hex = strchr("0123456789abcdefABCDEF", s[i]) != NULL;
        if (!hex) {
                o->bloblen = -1; /* a symbolic cookie (TFO_COOKIE) */
                next(p);
                return 0;
        }
        for (size_t i = 0; i < n / 2; i++) {
                unsigned b;
                sscanf(s + 2 * i, "%2x", &b);
                o->blob[i] = (uint8_t)b;
        }
        o->bloblen = (int)(n / 2);
        next(p);
        return 0;
}

static int parse_tcp_options(struct parser *p, struct pd_packet *pk, int line)
{
        if (peek(p)->kind == PD_T_ELLIPSIS) {
                next(p);
                pk->opts_mode = 2;
                return expect_punct(p, ">");
        }
        pk->opts_mode = 1;
        for (;;) {
                struct pd_tok *k = next(p);
                if (k->kind != PD_T_WORD)
                        return perr(p, k->line, "bad TCP option '%s'", tokdesc(k));
                if (pk->nopts == PD_MAX_OPTS)
                        return perr(p, k->line, "too many TCP options");
                struct pd_opt *o = &pk->opts[pk->nopts++];
                memset(o, 0, sizeof(*o));
                const char *w = k->text;
                if (strcmp(w, "nop") == 0) {
                        o->kind = PD_O_NOP;
                } else if (strcmp(w, "eol") == 0) {
                        o->kind = PD_O_EOL;
                } else if (strcmp(w, "mss") == 0) {
                        o->kind = PD_O_MSS;
                        if (expect_u32(p, &o->v1))
                                return -1;
                } else if (strcmp(w, "wscale") == 0) {
                        o->kind = PD_O_WSCALE;
                        if (expect_u32(p, &o->v1))
                                return -1;
                } else if (strcmp(w, "sackOK") == 0) {
                        o->kind = PD_O_SACKOK;
                } else if (strcmp(w, "sack") == 0) {
                        o->kind = PD_O_SACK;
                        while (peek(p)->kind == PD_T_INT) {
                                if (o->nsack == 4)
                                        return perr(p, k->line, "more than 4 SACK blocks");
                                if (expect_u32(p, &o->sack[o->nsack][0]) || expect_punct(p, ":") ||
                                    expect_u32(p, &o->sack[o->nsack][1]))
                                        return -1;
                                o->nsack++;
                        }
                } else if (strcmp(w, "TS") == 0) {
                        o->kind = PD_O_TS;
                        if (!is_word(peek(p), "val"))
                                return perr(p, k->line, "expected 'TS val N ecr N'");
                        next(p);
                        if (expect_u32(p, &o->v1))
                                return -1;
                        if (!is_word(peek(p), "ecr"))
                                return perr(p, k->line, "expected 'ecr N' after TS val");
                        next(p);
                        if (expect_u32(p, &o->v2))
                                return -1;
                } else if (strcmp(w, "FO") == 0 || strcmp(w, "FOEXP") == 0) {
                        o->kind = w[2] ? PD_O_FOEXP : PD_O_FO;
                        if (hex_blob(p, o, line))
                                return -1;
                } else if (strcmp(w, "md5") == 0) {
                        o->kind = PD_O_MD5;
                        if (hex_blob(p, o, line))
                                return -1;
                } else {
                        return perr(p, k->line, "unknown TCP option '%s'", w);
                }
                if (is_punct(peek(p), ",")) {
                        next(p);
                        continue;
                }
                return expect_punct(p, ">");
        }
}

static int parse_flags(struct parser *p, struct pd_packet *pk, int line)
{
        struct pd_tok *k = peek(p);
        if (k->line != line)
                return perr(p, line, "packet line without TCP flags");
        if (is_punct(k, "-")) {
                next(p);
                return 0;
        }
        if (k->kind == PD_T_WORD) {
                for (const char *c = k->text; *c; c++) {
                        static const char letters[] = "FSRP.UEWC";
                        static const uint8_t bits[] = { 0x01, 0x02, 0x04, 0x08, 0x10,
                                                        0x20, 0x40, 0x80, 0x80 };
                        const char *f = strchr(letters, *c);
                        if (!f)
                                return perr(p, line, "bad TCP flag '%c' in '%s'", *c, k->text);
                        pk->flags |= bits[f - letters];
                }
                next(p);
                k = peek(p);
                if (is_punct(k, ".") && !k->space_before) {
                        pk->flags |= 0x10;
                        next(p);
                }
                return 0;
        }
        if (is_punct(k, ".")) {
                pk->flags |= 0x10;
                next(p);
                return 0;
        }
        return perr(p, line, "bad TCP flags '%s'", tokdesc(k));
}

/* `icmp TYPE [CODE] [mtu N] [[seq:end(len)]]`, inbound, about TCP. */
static int parse_icmp(struct parser *p, struct pd_packet *pk, int line)
{
        static const struct {
                const char *name;
                int v;
        } types[] = { { "unreachable", 3 },
                      { "time_exceeded", 11 },
                      { "parameter_problem", 12 },
                      { "source_quench", 4 } },
          codes[] = { { "net_unreachable", 0 },
                      { "host_unreachable", 1 },
                      { "protocol_unreachable", 2 },
                      { "port_unreachable", 3 },
                      { "frag_needed", 4 },
                      { "source_route_failed", 5 },
                      { "net_unknown", 6 },
                      { "host_unknown", 7 },
                      { "source_host_isolated", 8 },
                      { "net_prohibited", 9 },
                      { "host_prohibited", 10 },
                      { "net_unreachable_for_tos", 11 },
                      { "host_unreachable_for_tos", 12 },
                      { "packet_filtered", 13 },
                      { "precedence_violation", 14 },
                      { "precedence_cutoff", 15 } };
        if (pk->dir != '<')
                return perr(p, line, "runner: unsupported syntax: outbound icmp packets");
        next(p); /* icmp */
        struct pd_tok *k = next(p);
        int type = -1;
        for (size_t i = 0; k->kind == PD_T_WORD && i < sizeof(types) / sizeof(types[0]); i++)
                if (strcmp(k->text, types[i].name) == 0)
                        type = types[i].v;
        if (type < 0)
                return perr(p, line, "runner: unsupported ICMP type '%s'", tokdesc(k));
        pk->icmp = true;
        pk->icmp_type = (uint8_t)type;
        k = peek(p);
        if (k->line == line && k->kind == PD_T_WORD && !is_word(k, "mtu")) {
                int code = -1;
                for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
                        if (strcmp(k->text, codes[i].name) == 0)
                                code = codes[i].v;
                if (code < 0)
                        return perr(p, line, "unknown ICMP code '%s'", k->text);
                pk->icmp_code = (uint8_t)code;
                next(p);
                k = peek(p);
        }
        if (k->line == line && is_word(k, "mtu")) {
                next(p);
                if (expect_u32(p, &pk->icmp_mtu))
                        return -1;
                k = peek(p);
        }
        if (k->line == line && is_punct(k, "[")) {
                next(p);
                if (is_word(peek(p), "udp") || is_word(peek(p), "raw"))
                        return perr(p, line, "runner: unsupported syntax: ICMP quoting %s",
                                    peek(p)->text);
                if (expect_u32(p, &pk->echo_seq) || expect_punct(p, ":") ||
                    expect_u32(p, &pk->echo_end) || expect_punct(p, "(") ||
                    expect_u32(p, &pk->echo_len) || expect_punct(p, ")") || expect_punct(p, "]"))
                        return -1;
                k = peek(p);
        }
        if (k->line == line && k->kind != PD_T_EOF)
                return perr(p, line, "unexpected '%s' in icmp packet", tokdesc(k));
        return 0;
}

static int parse_packet(struct parser *p, struct pd_event *ev)
{
        struct pd_packet *pk = &ev->pkt;
        int line = ev->line;
        memset(pk, 0, sizeof(*pk));
        pk->ecn = pk->tos = pk->ttl = -1;
        pk->dir = next(p)->text[0];
        struct pd_tok *k = peek(p);
        if (is_punct(k, "[") || is_punct(k, "(")) {
                next(p);
                if (parse_ip_info(p, pk, is_punct(k, "[") ? "]" : ")"))
                        return -1;
                k = peek(p);
        }
        if (is_word(k, "icmp"))
                return parse_icmp(p, pk, line);
        if (is_word(k, "udp") || is_word(k, "ipv4") || is_word(k, "ipv6") || is_word(k, "gre") ||
            is_word(k, "mpls"))
                return perr(p, line, "runner: unsupported syntax: %s packets", k->text);
        if (k->kind == PD_T_INT && is_punct(peek2(p), ">"))
                return perr(p, line, "runner: unsupported syntax: explicit ports");
        if (parse_flags(p, pk, line))
                return -1;
        if (expect_u32(p, &pk->seq) || expect_punct(p, ":") || expect_u32(p, &pk->end_seq) ||
            expect_punct(p, "(") || expect_u32(p, &pk->len) || expect_punct(p, ")"))
                return -1;
        if (pk->end_seq - pk->seq != pk->len)
                return perr(p, line, "sequence range %u:%u does not hold (%u) bytes", pk->seq,
                            pk->end_seq, pk->len);
        for (;;) {
                k = peek(p);
                if (k->line != line || k->kind == PD_T_EOF)
                        break;
                if (is_word(k, "ack") || is_word(k, "win") || is_word(k, "urg")) {
                        next(p);
                        uint32_t v;
                        if (expect_u32(p, &v))
                                return -1;
                        if (k->text[0] == 'a') {
                                pk->has_ack = true;
                                pk->ack = v;
                        } else if (k->text[0] == 'w') {
                                pk->has_win = true;
                                pk->win = v;
                        } else {
                                pk->has_urg = true;
                                pk->urg = v;
                        }
                        continue;
                }
                if (is_punct(k, "<")) {
                        next(p);
                        if (parse_tcp_options(p, pk, line))
                                return -1;
                        continue;
                }
                return perr(p, k->line, "unexpected '%s' in packet", tokdesc(k));
        }
        return 0;
}

/* --- system calls ----------------------------------------------------------- */

static int parse_syscall(struct parser *p, struct pd_event *ev)
{
        struct pd_syscall *sc = &ev->sc;
        struct pd_tok *k = next(p);
        sc->name = strdup(k->text);
        if (!sc->name || expect_punct(p, "("))
                return -1;
        if (!is_punct(peek(p), ")")) {
                for (;;) {
                        struct pd_expr *e = parse_expr(p);
                        if (!e)
                                return -1;
                        struct pd_expr **v = realloc(sc->args, (sc->nargs + 1) * sizeof(*v));
                        if (!v) {
                                pd_expr_free(e);
                                return -1;
                        }
                        sc->args = v;
                        sc->args[sc->nargs++] = e;
                        if (is_punct(peek(p), ",")) {
                                next(p);
                                continue;
                        }
                        break;
                }
        }
        if (expect_punct(p, ")") || expect_punct(p, "="))
                return -1;
        int line = p->t.v[p->i - 1].line;
        sc->ret = parse_expr(p);
        if (!sc->ret)
                return -1;
        k = peek(p);
        if (k->kind == PD_T_WORD && k->line == line) {
                sc->errno_name = strdup(k->text);
                next(p);
        }
        k = peek(p);
        if (is_punct(k, "(") && k->line == line) { /* (strerror text): a note */
                int depth = 0;
                do {
                        k = next(p);
                        if (is_punct(k, "("))
                                depth++;
                        else if (is_punct(k, ")"))
                                depth--;
                } while (depth > 0 && k->kind != PD_T_EOF);
                if (depth)
                        return perr(p, line, "unterminated note after the errno");
        }
        return 0;
}

/* --- options and the whole script ----------------------------------------- */

static int parse_option(struct parser *p, struct pd_script *s, struct pd_tok *k)
{
        char name[64];
        const char *eq = strchr(k->text, '=');
        size_t n = eq ? (size_t)(eq - k->text) : strlen(k->text);
        if (n >= sizeof(name))
                n = sizeof(name) - 1;
        memcpy(name, k->text, n);
        name[n] = 0;
        const char *val = eq ? eq + 1 : NULL;
        char *end = NULL;
        long long v = val ? strtoll(val, &end, 10) : 0;
        bool num = val && *val && end && !*end;
        if (strcmp(name, "tolerance_usecs") == 0 && num) {
                s->tolerance_us = v;
        } else if (strcmp(name, "tcp_ts_tick_usecs") == 0 && num) {
                s->ts_tick_us = v;
        } else if (strcmp(name, "strict_segments") == 0 && !val) {
                s->strict_segments = true;
        } else if (strcmp(name, "mss") == 0 && num) {
                s->mss = (int)v;
        } else if ((strcmp(name, "local_ip") == 0 || strcmp(name, "remote_ip") == 0) && val) {
                struct in_addr a;
                if (inet_pton(AF_INET, val, &a) != 1)
                        return perr(p, k->line, "runner: unsupported syntax: --%s=%s (IPv4 only)",
                                    name, val);
                if (name[0] == 'l')
                        s->local_ip = ntohl(a.s_addr);
                else
                        s->remote_ip = ntohl(a.s_addr);
        } else if (strcmp(name, "ip_version") == 0 && val && strcmp(val, "ipv4") == 0) {
        } else if (strcmp(name, "tcp_ts_ecr_scaled") == 0 && !val) {
                /* packetdrill then maps an inbound TS ecr that echoes no
                 * value Strata sent by the offset of the first timestamps:
                 * what this runner does for every inbound ecr */
        } else {
                return perr(p, k->line, "runner: unsupported syntax: option --%s", k->text);
        }
        return 0;
}

static int add_event(struct pd_script *s, struct pd_event **out)
{
        if (s->nev == s->cap) {
                size_t cap = s->cap ? s->cap * 2 : 64;
                struct pd_event *v = realloc(s->ev, cap * sizeof(*v));
                if (!v)
                        return -1;
                s->ev = v;
                s->cap = cap;
        }
        *out = &s->ev[s->nev++];
        memset(*out, 0, sizeof(**out));
        return 0;
}

int pd_parse(const char *src, struct pd_script *s, char *err, size_t errcap)
{
        struct parser p = { .err = err, .errcap = errcap };
        memset(s, 0, sizeof(*s));
        s->tolerance_us = 4000;
        s->local_ip = 0xc0a80001;  /* 192.168.0.1 */
        s->remote_ip = 0xc0000201; /* 192.0.2.1 */
        if (pd_lex(src, &p.t, err, errcap))
                goto bad;
        while (peek(&p)->kind != PD_T_EOF) {
                struct pd_tok *k = peek(&p);
                if (k->kind == PD_T_OPTION) {
                        next(&p);
                        if (parse_option(&p, s, k))
                                goto bad;
                        continue;
                }
                struct pd_event *ev;
                if (add_event(s, &ev))
                        goto oom;
                ev->line = k->line;
                bool have;
                if (parse_time(&p, ev, &have))
                        goto bad;
                k = peek(&p);
                if (!have && k->kind != PD_T_SHELL) {
                        perr(&p, k->line, "expected a time, found '%s'", tokdesc(k));
                        goto bad;
                }
                if (!have)
                        ev->tkind = PD_TIME_REL; /* init/cleanup command: +0 */
                if (k->kind == PD_T_ELLIPSIS) {
                        next(&p);
                        if (!is_number(peek(&p))) {
                                perr(&p, k->line, "expected the end time after '...'");
                                goto bad;
                        }
                        ev->sc.has_end = true;
                        ev->sc.end_us = tok_us(next(&p));
                        k = peek(&p);
                        if (k->kind != PD_T_WORD || !is_punct(peek2(&p), "(")) {
                                perr(&p, k->line,
                                     "'...' end time before something that is "
                                     "not a system call");
                                goto bad;
                        }
                }
                if (is_punct(k, "<") || is_punct(k, ">")) {
                        ev->kind = PD_EV_PACKET;
                        if (parse_packet(&p, ev))
                                goto bad;
                } else if (k->kind == PD_T_WORD && is_punct(peek2(&p), "(")) {
                        ev->kind = PD_EV_SYSCALL;
                        if (parse_syscall(&p, ev))
                                goto bad;
                } else if (k->kind == PD_T_SHELL || k->kind == PD_T_CODE) {
                        ev->kind = k->kind == PD_T_SHELL ? PD_EV_SHELL : PD_EV_CODE;
                        ev->text = strdup(k->text);
                        next(&p);
                        if (!ev->text)
                                goto oom;
                } else {
                        perr(&p, k->line,
                             "expected a packet, a system call, a command or "
                             "code, found '%s'",
                             tokdesc(k));
                        goto bad;
                }
        }
        pd_toks_free(&p.t);
        return 0;
oom:
        snprintf(err, errcap, "out of memory");
bad:
        pd_toks_free(&p.t);
        pd_script_free(s);
        return -1;
}

void pd_script_free(struct pd_script *s)
{
        for (size_t i = 0; i < s->nev; i++) {
                struct pd_event *e = &s->ev[i];
                free(e->text);
                free(e->sc.name);
                free(e->sc.errno_name);
                for (size_t j = 0; j < e->sc.nargs; j++)
                        pd_expr_free(e->sc.args[j]);
                free(e->sc.args);
                pd_expr_free(e->sc.ret);
        }
        free(s->ev);
        memset(s, 0, sizeof(*s));
}
