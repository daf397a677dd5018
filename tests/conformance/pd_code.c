/*
 * %{ ... }% blocks: a small evaluator for the Python subset the scripts
 * use to assert on tcp_info, so no Python interpreter is needed.
 *
 * Statements (separated by newlines or ';', '\' continues a line, '#'
 * comments): `assert EXPR[, MESSAGE]`, `print(EXPR)` / `print EXPR`,
 * `NAME = EXPR`, `NAME += EXPR`, `NAME -= EXPR`.  Expressions: integers,
 * strings ('...' or "..."), names, parentheses; or/and/not (also || && !),
 * chained comparisons (a <= b <= c), | ^ & << >> + - * / // % and unary
 * - + ~; `'fmt %d' % x` formats a message.  Names are tcp_info fields
 * (tcpi_*, read from the socket the script used last), constants
 * (TCPI_OPT_*, TCP_CA_*, TCP_INFINITE_SSTHRESH) and variables the script
 * assigned, which live as long as the script.  Nothing else exists: an
 * unknown name is an error that names it.
 */
#include <ctype.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pd.h"

#define VAR_MAX 32

struct pd_code_env {
        int nvars;
        char names[VAR_MAX][32];
        long long vals[VAR_MAX];
};

struct val {
        bool is_str;
        long long i;
        char s[256];
};

struct ev {
        const char *p;
        struct pd_code_env *env;
        const struct tcp_info *ti;
        size_t ti_len;
        char *err;
        size_t errcap;
        int line;
        int depth;
        bool failed;
};

struct pd_code_env *pd_code_env_new(void)
{
        return calloc(1, sizeof(struct pd_code_env));
}

void pd_code_env_free(struct pd_code_env *env)
{
        free(env);
}

static void eerr(struct ev *e, const char *fmt, ...)
{
        if (e->failed)
                return;
        e->failed = true;
        va_list ap;
        int n = snprintf(e->err, e->errcap, "line %d: %%{ }%%: ", e->line);
        va_start(ap, fmt);
        if (n >= 0 && (size_t)n < e->errcap)
                vsnprintf(e->err + n, e->errcap - (size_t)n, fmt, ap);
        va_end(ap);
}

static const struct {
        const char *name;
        long long v;
} consts[] = {
        { "TCPI_OPT_TIMESTAMPS", 1 },
        { "TCPI_OPT_SACK", 2 },
        { "TCPI_OPT_WSCALE", 4 },
        { "TCPI_OPT_ECN", 8 },
        { "TCPI_OPT_ECN_SEEN", 16 },
        { "TCPI_OPT_SYN_DATA", 32 },
        { "TCP_CA_Open", 0 },
        { "TCP_CA_Disorder", 1 },
        { "TCP_CA_CWR", 2 },
        { "TCP_CA_Recovery", 3 },
        { "TCP_CA_Loss", 4 },
        { "True", 1 },
        { "False", 0 },
        { "TCP_INFINITE_SSTHRESH", 0x7fffffff },
};

static bool lookup(struct ev *e, const char *name, long long *out)
{
        for (int i = 0; i < e->env->nvars; i++)
                if (strcmp(e->env->names[i], name) == 0) {
                        *out = e->env->vals[i];
                        return true;
                }
        for (size_t i = 0; i < sizeof(consts) / sizeof(consts[0]); i++)
                if (strcmp(consts[i].name, name) == 0) {
                        *out = consts[i].v;
                        return true;
                }
        size_t off, size;
        if (strcmp(name, "tcpi_snd_wscale") == 0 || strcmp(name, "tcpi_rcv_wscale") == 0 ||
            pd_tcpinfo_field(name, &off, &size)) {
                if (!e->ti) {
                        eerr(e, "no tcp_info to read %s from (no TCP socket yet)", name);
                        return false;
                }
                if (strcmp(name, "tcpi_snd_wscale") == 0) {
                        *out = e->ti->tcpi_snd_wscale;
                        return true;
                }
                if (strcmp(name, "tcpi_rcv_wscale") == 0) {
                        *out = e->ti->tcpi_rcv_wscale;
                        return true;
                }
                if (off + size > e->ti_len) {
                        eerr(e, "Strata's TCP_INFO is too short for %s", name);
                        return false;
                }
                const uint8_t *b = (const uint8_t *)e->ti + off;
                if (size == 1) {
                        *out = *b;
                } else if (size == 4) {
                        uint32_t v;
                        memcpy(&v, b, 4);
                        *out = v;
                } else {
                        uint64_t v;
                        memcpy(&v, b, 8);
                        *out = (long long)v;
                }
                return true;
        }
        if (strncmp(name, "tcpi_", 5) == 0)
                eerr(e, "tcp_info field %s is not provided by Strata's TCP_INFO", name);
        else
                eerr(e, "unknown name '%s'", name);
        return false;
}

static void skip_ws(struct ev *e)
{
        for (;;) {
                while (*e->p == ' ' || *e->p == '\t' || *e->p == '\r')
                        e->p++;
                if (e->p[0] == '\\' && e->p[1] == '\n') {
                        e->p += 2;
                        e->line++;
                        continue;
                }
                return;
        }
}

static bool accept_tok(struct ev *e, const char *tok)
{
        skip_ws(e);
        size_t n = strlen(tok);
        if (strncmp(e->p, tok, n) != 0)
                return false;
        if (isalpha((unsigned char)tok[0]) && (isalnum((unsigned char)e->p[n]) || e->p[n] == '_'))
                return false;
        /* do not take '<' from '<=' or '<<', '*' from '**' and the like */
        if (n == 1 && strchr("<>=!/|&*", tok[0]) && e->p[1] && strchr("<>=/|&*", e->p[1]) &&
            !(tok[0] == '=' && e->p[1] != '='))
                return false;
        e->p += n;
        return true;
}

static struct val expr(struct ev *e);

static struct val ival(long long i)
{
        struct val v = { .i = i };
        return v;
}

static long long need_int(struct ev *e, struct val v)
{
        if (v.is_str)
                eerr(e, "a string where a number is needed");
        return v.i;
}

static struct val atom(struct ev *e)
{
        skip_ws(e);
        const char *p = e->p;
        if (accept_tok(e, "(")) {
                struct val v = expr(e);
                if (!accept_tok(e, ")"))
                        eerr(e, "expected ')'");
                return v;
        }
        if (isdigit((unsigned char)*p)) {
                char *end;
                long long v = strtoll(p, &end, 0);
                e->p = end;
                return ival(v);
        }
        if (*p == '\'' || *p == '"') {
                struct val v = { .is_str = true };
                char q = *p++;
                size_t n = 0;
                while (*p && *p != q && *p != '\n') {
                        if (n < sizeof(v.s) - 1)
                                v.s[n++] = *p;
                        p++;
                }
                if (*p != q)
                        eerr(e, "unterminated string");
                else
                        p++;
                e->p = p;
                return v;
        }
        if (isalpha((unsigned char)*p) || *p == '_') {
                char name[64];
                size_t n = 0;
                while (isalnum((unsigned char)*p) || *p == '_') {
                        if (n < sizeof(name) - 1)
                                name[n++] = *p;
                        p++;
                }
                name[n] = 0;
                e->p = p;
                long long v = 0;
                lookup(e, name, &v);
                return ival(v);
        }
        eerr(e, "unexpected '%.10s'", *p ? p : "end of block");
        return ival(0);
}

static struct val factor(struct ev *e)
{
        if (++e->depth > 100) {
                eerr(e, "expression nested too deeply");
                e->depth--;
                return ival(0);
        }
        struct val v;
        if (accept_tok(e, "-"))
                v = ival(-need_int(e, factor(e)));
        else if (accept_tok(e, "+"))
                v = ival(need_int(e, factor(e)));
        else if (accept_tok(e, "~"))
                v = ival(~need_int(e, factor(e)));
        else
                v = atom(e);
        e->depth--;
        return v;
}

static struct val format(struct ev *e, struct val fmt, struct val arg)
{
        struct val out = { .is_str = true };
        char *pc = strchr(fmt.s, '%');
        if (!pc || !pc[1]) {
                snprintf(out.s, sizeof(out.s), "%s", fmt.s);
                return out;
        }
        char argtxt[300];
        if (arg.is_str)
                snprintf(argtxt, sizeof(argtxt), "%s", arg.s);
        else
                snprintf(argtxt, sizeof(argtxt), "%lld", arg.i);
        snprintf(out.s, sizeof(out.s), "%.*s%.100s%.100s", (int)(pc - fmt.s), fmt.s, argtxt,
                 pc + 2);
        return out;
}

static struct val term(struct ev *e)
{
        struct val l = factor(e);
        for (;;) {
                if (accept_tok(e, "//") || accept_tok(e, "/")) {
                        long long r = need_int(e, factor(e));
                        if (r == 0) {
                                eerr(e, "division by zero");
                                return ival(0);
                        }
                        l = ival(need_int(e, l) / r);
                } else if (accept_tok(e, "*")) {
                        l = ival(need_int(e, l) * need_int(e, factor(e)));
                } else if (accept_tok(e, "%")) {
                        struct val r = factor(e);
                        if (l.is_str) {
                                l = format(e, l, r);
                                continue;
                        }
                        long long d = need_int(e, r);
                        if (d == 0) {
                                eerr(e, "modulo by zero");
                                return ival(0);
                        }
                        l = ival(l.i % d);
                } else {
                        return l;
                }
        }
}

static struct val arith(struct ev *e)
{
        struct val l = term(e);
        for (;;) {
                if (accept_tok(e, "+"))
                        l = ival(need_int(e, l) + need_int(e, term(e)));
                else if (accept_tok(e, "-"))
                        l = ival(need_int(e, l) - need_int(e, term(e)));
                else
                        return l;
        }
}

static struct val shift(struct ev *e)
{
        struct val l = arith(e);
        for (;;) {
                if (accept_tok(e, "<<"))
                        l = ival(need_int(e, l) << (need_int(e, arith(e)) & 63));
                else if (accept_tok(e, ">>"))
                        l = ival(need_int(e, l) >> (need_int(e, arith(e)) & 63));
                else
                        return l;
        }
}

static struct val bits(struct ev *e, int level)
{
        static const char *const ops[] = { "|", "^", "&" };
        struct val l = level == 2 ? shift(e) : bits(e, level + 1);
        while (accept_tok(e, ops[level])) {
                long long r = need_int(e, level == 2 ? shift(e) : bits(e, level + 1));
                long long a = need_int(e, l);
                l = ival(level == 0 ? (a | r) : level == 1 ? (a ^ r) : (a & r));
        }
        return l;
}

static struct val comparison(struct ev *e)
{
        static const char *const ops[] = { "==", "!=", "<=", ">=", "<", ">" };
        struct val l = bits(e, 0);
        bool result = true, any = false;
        for (;;) {
                int op = -1;
                for (int i = 0; i < 6 && op < 0; i++)
                        if (accept_tok(e, ops[i]))
                                op = i;
                if (op < 0)
                        break;
                struct val r = bits(e, 0);
                long long a = need_int(e, l), b = need_int(e, r);
                bool ok = op == 0   ? a == b
                          : op == 1 ? a != b
                          : op == 2 ? a <= b
                          : op == 3 ? a >= b
                          : op == 4 ? a < b
                                    : a > b;
                result = result && ok;
                any = true;
                l = r;
        }
        return any ? ival(result) : l;
}

static struct val not_test(struct ev *e)
{
        if (accept_tok(e, "not") || (accept_tok(e, "!")))
                return ival(!need_int(e, not_test(e)));
        return comparison(e);
}

static struct val and_test(struct ev *e)
{
        struct val l = not_test(e);
        while (accept_tok(e, "and") || accept_tok(e, "&&")) {
                long long r = need_int(e, not_test(e));
                l = ival(need_int(e, l) && r);
        }
        return l;
}

static struct val expr(struct ev *e)
{
        struct val l = and_test(e);
        while (accept_tok(e, "or") || accept_tok(e, "||")) {
                long long r = need_int(e, and_test(e));
                l = ival(need_int(e, l) || r);
        }
        return l;
}

static bool at_end_of_stmt(struct ev *e)
{
        skip_ws(e);
        if (*e->p == '#')
                while (*e->p && *e->p != '\n')
                        e->p++;
        return !*e->p || *e->p == '\n' || *e->p == ';';
}

static void set_var(struct ev *e, const char *name, long long v)
{
        for (int i = 0; i < e->env->nvars; i++)
                if (strcmp(e->env->names[i], name) == 0) {
                        e->env->vals[i] = v;
                        return;
                }
        if (e->env->nvars == VAR_MAX) {
                eerr(e, "too many variables");
                return;
        }
        snprintf(e->env->names[e->env->nvars], sizeof(e->env->names[0]), "%s", name);
        e->env->vals[e->env->nvars++] = v;
}

static void statement(struct ev *e)
{
        skip_ws(e);
        if (accept_tok(e, "assert")) {
                const char *src = e->p;
                struct val c = expr(e);
                const char *src_end = e->p;
                struct val msg = { .is_str = true };
                if (accept_tok(e, ","))
                        msg = expr(e);
                if (!e->failed && !need_int(e, c)) {
                        char m[300];
                        if (msg.is_str)
                                snprintf(m, sizeof(m), "%s", msg.s);
                        else
                                snprintf(m, sizeof(m), "%lld", msg.i);
                        while (src < src_end && isspace((unsigned char)*src))
                                src++;
                        eerr(e, "assertion failed: %.*s (%s)", (int)(src_end - src), src, m);
                }
                return;
        }
        if (accept_tok(e, "print")) {
                struct val v = expr(e);
                (void)v; /* printing is for humans running upstream */
                return;
        }
        const char *p = e->p;
        if (isalpha((unsigned char)*p) || *p == '_') {
                char name[32];
                size_t n = 0;
                while ((isalnum((unsigned char)p[n]) || p[n] == '_') && n < sizeof(name) - 1) {
                        name[n] = p[n];
                        n++;
                }
                name[n] = 0;
                e->p = p + n;
                int op = accept_tok(e, "+=")   ? 1
                         : accept_tok(e, "-=") ? 2
                         : accept_tok(e, "=")  ? 3
                                               : 0;
                if (op) {
                        long long v = need_int(e, expr(e)), old = 0;
                        if (op != 3 && !lookup(e, name, &old))
                                return;
                        set_var(e, name, op == 1 ? old + v : op == 2 ? old - v : v);
                        return;
                }
                e->p = p;
        }
        expr(e); /* an expression statement */
}

int pd_code_run(struct pd_code_env *env, const void *tcp_info, size_t info_len, const char *text,
                int line, char *err, size_t errcap)
{
        struct ev e = { .p = text,
                        .env = env,
                        .ti = tcp_info,
                        .ti_len = info_len,
                        .err = err,
                        .errcap = errcap,
                        .line = line };
        while (*e.p && !e.failed) {
                if (at_end_of_stmt(&e)) {
                        if (*e.p == '\n')
                                e.line++;
                        if (*e.p)
                                e.p++;
                        continue;
                }
                statement(&e);
                if (!e.failed && !at_end_of_stmt(&e))
                        eerr(&e, "unexpected '%.20s'", e.p);
        }
        return e.failed ? -1 : 0;
}

int pd_arith(const char *text, long long *out)
{
        struct pd_code_env env = { 0 };
        char err[128];
        struct ev e = { .p = text, .env = &env, .err = err, .errcap = sizeof(err) };
        struct val v = expr(&e);
        skip_ws(&e);
        if (e.failed || v.is_str || *e.p)
                return -1;
        *out = v.i;
        return 0;
}
