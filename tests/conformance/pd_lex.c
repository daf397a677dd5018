/*
 * The script lexer: packetdrill text to tokens, each with its line.
 *
 * The language mixes three sub-languages that must not be tokenised the
 * usual way, so they come out as one raw token each: backquoted shell
 * commands (`...`, possibly several lines), %{ ... }% code blocks, and
 * --options at the top.  Everything else is C-like: // and block comments,
 * integers (decimal, 0x hex), decimals (".1", "0.100"), strings, words,
 * "..." and punctuation.  A number directly followed by "..." (as in
 * "+0...0.1") stops before the dots.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pd.h"

static int push(struct pd_toks *t, enum pd_tok_kind kind, int line, bool space, const char *s,
                size_t n)
{
        if (t->n == t->cap) {
                size_t cap = t->cap ? t->cap * 2 : 256;
                struct pd_tok *v = realloc(t->v, cap * sizeof(*v));
                if (!v)
                        return -1;
                t->v = v;
                t->cap = cap;
        }
        struct pd_tok *k = &t->v[t->n];
        memset(k, 0, sizeof(*k));
        k->kind = kind;
        k->line = line;
        k->space_before = space;
        k->text = strndup(s, n);
        if (!k->text)
                return -1;
        t->n++;
        return 0;
}

static void fail(char *err, size_t cap, int line, const char *fmt, ...)
{
        va_list ap;
        int n = snprintf(err, cap, "line %d: ", line);
        va_start(ap, fmt);
        if (n >= 0 && (size_t)n < cap)
                vsnprintf(err + n, cap - (size_t)n, fmt, ap);
        va_end(ap);
}

static const char *const puncts2[] = { "&&", "||", "==", "!=", "<=", ">=" };

int pd_lex(const char *src, struct pd_toks *out, char *err, size_t errcap)
{
        const char *p = src;
        int line = 1;
        bool space = true;
        memset(out, 0, sizeof(*out));
        while (*p) {
                if (*p == '\n') {
                        line++;
                        p++;
                        space = true;
                        continue;
                }
                if (isspace((unsigned char)*p)) {
                        p++;
                        space = true;
                        continue;
                }
                if (p[0] == '/' && p[1] == '/') {
                        while (*p && *p != '\n')
                                p++;
                        continue;
                }
                if (p[0] == '/' && p[1] == '*') {
                        int start = line;
                        p += 2;
                        while (*p && !(p[0] == '*' && p[1] == '/')) {
                                if (*p == '\n')
                                        line++;
                                p++;
                        }
                        if (!*p) {
                                fail(err, errcap, start, "unterminated /* comment");
                                return -1;
                        }
                        p += 2;
                        space = true;
                        continue;
                }
                int tl = line;
                const char *s = p;
                if (*p == '`' || (p[0] == '%' && p[1] == '{')) {
                        bool code = *p == '%';
                        p += code ? 2 : 1;
                        const char *body = p;
                        while (*p && !(code ? (p[0] == '}' && p[1] == '%') : *p == '`')) {
                                if (*p == '\n')
                                        line++;
                                p++;
                        }
                        if (!*p) {
                                fail(err, errcap, tl, "unterminated %s",
                                     code ? "%{ code block" : "` shell command");
                                return -1;
                        }
                        if (push(out, code ? PD_T_CODE : PD_T_SHELL, tl, space, body,
                                 (size_t)(p - body)))
                                return -1;
                        p += code ? 2 : 1;
                        space = false;
                        continue;
                }
                if (p[0] == '-' && p[1] == '-' && isalpha((unsigned char)p[2])) {
                        while (*p && !isspace((unsigned char)*p))
                                p++;
                        if (push(out, PD_T_OPTION, tl, space, s + 2, (size_t)(p - s - 2)))
                                return -1;
                        space = false;
                        continue;
                }
                if (p[0] == '.' && p[1] == '.' && p[2] == '.') {
                        p += 3;
                        if (push(out, PD_T_ELLIPSIS, tl, space, s, 3))
                                return -1;
                        space = false;
                        continue;
                }
                if (isdigit((unsigned char)*p) || (*p == '.' && isdigit((unsigned char)p[1]))) {
                        enum pd_tok_kind kind = PD_T_INT;
                        bool hex = false;
                        if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X') &&
                            isxdigit((unsigned char)p[2])) {
                                hex = true;
                                p += 2;
                                while (isxdigit((unsigned char)*p))
                                        p++;
                        } else {
                                while (isdigit((unsigned char)*p))
                                        p++;
                                if (*p == '.' && p[1] != '.') {
                                        kind = PD_T_FLOAT;
                                        p++;
                                        while (isdigit((unsigned char)*p))
                                                p++;
                                }
                        }
                        /* a word glued to digits (a hex cookie like 2a3b...) */
                        if (isalpha((unsigned char)*p) || *p == '_') {
                                while (isalnum((unsigned char)*p) || *p == '_')
                                        p++;
                                if (push(out, PD_T_WORD, tl, space, s, (size_t)(p - s)))
                                        return -1;
                                space = false;
                                continue;
                        }
                        if (push(out, kind, tl, space, s, (size_t)(p - s)))
                                return -1;
                        struct pd_tok *k = &out->v[out->n - 1];
                        k->is_hex = hex;
                        errno = 0;
                        if (kind == PD_T_INT)
                                k->ival = (long long)strtoull(s, NULL, hex ? 16 : 10);
                        else
                                k->fval = strtod(s, NULL);
                        if (errno) {
                                fail(err, errcap, tl, "number out of range: %s", k->text);
                                return -1;
                        }
                        space = false;
                        continue;
                }
                if (isalpha((unsigned char)*p) || *p == '_') {
                        while (isalnum((unsigned char)*p) || *p == '_')
                                p++;
                        if (push(out, PD_T_WORD, tl, space, s, (size_t)(p - s)))
                                return -1;
                        space = false;
                        continue;
                }
                if (*p == '"') {
                        char buf[4096];
                        size_t n = 0;
                        p++;
                        while (*p && *p != '"' && *p != '\n') {
                                char c = *p++;
                                if (c == '\\' && *p == 'x' && isxdigit((unsigned char)p[1])) {
                                        /* \xHH, as C (TCP_FASTOPEN_KEY's bytes) */
                                        char hex[3] = { p[1], 0, 0 };
                                        p += 2;
                                        if (isxdigit((unsigned char)*p))
                                                hex[1] = *p++;
                                        c = (char)strtol(hex, NULL, 16);
                                } else if (c == '\\' && *p) {
                                        c = *p++;
                                        c = c == 'n' ? '\n' : c == 't' ? '\t' : c == '0' ? 0 : c;
                                }
                                if (n < sizeof(buf) - 1)
                                        buf[n++] = c;
                        }
                        if (*p != '"') {
                                fail(err, errcap, tl, "unterminated string");
                                return -1;
                        }
                        p++;
                        if (push(out, PD_T_STRING, tl, space, buf, n))
                                return -1;
                        space = false;
                        continue;
                }
                size_t plen = 1;
                for (size_t i = 0; i < sizeof(puncts2) / sizeof(puncts2[0]); i++)
                        if (p[0] == puncts2[i][0] && p[1] == puncts2[i][1])
                                plen = 2;
                if (plen == 1 && !strchr("()[]{},:=<>|~+-*!&/;.%^", *p)) {
                        fail(err, errcap, tl, "unexpected character '%c'", *p);
                        return -1;
                }
                p += plen;
                if (push(out, PD_T_PUNCT, tl, space, s, plen))
                        return -1;
                space = false;
        }
        return push(out, PD_T_EOF, line, true, "", 0);
}

void pd_toks_free(struct pd_toks *t)
{
        for (size_t i = 0; i < t->n; i++)
                free(t->v[i].text);
        free(t->v);
        memset(t, 0, sizeof(*t));
}
