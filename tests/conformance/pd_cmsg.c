/*
 * recvmsg's ancillary data as the scripts write it:
 *
 *   msg_control=[{cmsg_level=SOL_SOCKET, cmsg_type=SCM_TIMESTAMPING,
 *                 cmsg_data={scm_sec=0, scm_nsec=20000000}},
 *                {cmsg_level=CMSG_LEVEL_IP, cmsg_type=CMSG_TYPE_RECVERR,
 *                 cmsg_data={ee_errno=ENOMSG, ee_origin=..., ee_type=0,
 *                            ee_code=0, ee_info=..., ee_data=...}}]
 *
 * Each listed cmsg must come back in order with its level and type; its
 * data is an int, a struct sock_extended_err (each field compared unless
 * written `...`), or a struct scm_timestamping whose software stamp ts[0]
 * must lie within the script's tolerance of the given script time -- the
 * namespace's wall clock is the simulated clock, so script time t is
 * start_ns + t.  Nothing more may come back than the script lists.
 */
#include <time.h>
#include <linux/errqueue.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "pd_run.h"

#define NS_PER_US 1000

struct ck {
        char *err;
        size_t cap;
};

static int fail(struct ck *k, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct ck *k, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(k->err, k->cap, fmt, ap);
        va_end(ap);
        return -1;
}

/* An integer expression: a number, a symbol, or `|` of them. */
static int eval(struct ck *k, const struct pd_expr *e, long long *out)
{
        long long a, b;
        switch (e->kind) {
        case PD_E_INT:
                *out = e->ival;
                return 0;
        case PD_E_WORD:
                if (pd_symbol(e->s, out))
                        return 0;
                return fail(k, "unknown symbol %s", e->s);
        case PD_E_OR:
                if (eval(k, e->kids[0], &a) || eval(k, e->kids[1], &b))
                        return -1;
                *out = a | b;
                return 0;
        default:
                return fail(k, "msg_control: expected an integer");
        }
}

static const struct pd_expr *field(const struct pd_expr *e, const char *name)
{
        if (e->kind != PD_E_STRUCT)
                return NULL;
        for (size_t i = 0; i < e->nkids; i++) {
                const struct pd_expr *f = e->kids[i];
                if (f->kind == PD_E_ASSIGN && f->kids[0]->kind == PD_E_WORD &&
                    strcmp(f->kids[0]->s, name) == 0)
                        return f->kids[1];
        }
        return NULL;
}

static int check_int(struct ck *k, size_t i, const char *what, const struct pd_expr *e,
                     long long got)
{
        long long want;
        if (!e || e->kind == PD_E_ELLIPSIS)
                return 0;
        if (eval(k, e, &want))
                return -1;
        if (want != got)
                return fail(k, "msg_control: cmsg %zu: %s is %lld, script expects %lld", i, what,
                            got, want);
        return 0;
}

static size_t data_len(const struct cmsghdr *c)
{
        return c->cmsg_len - CMSG_LEN(0);
}

static int check_ee(struct ck *k, size_t i, const struct pd_expr *d, const struct cmsghdr *c)
{
        struct sock_extended_err ee;
        if (data_len(c) < sizeof(ee))
                return fail(k, "msg_control: cmsg %zu carries %zu bytes, not a sock_extended_err",
                            i, data_len(c));
        memcpy(&ee, CMSG_DATA(c), sizeof(ee));
        static const char *const names[] = { "ee_errno", "ee_origin", "ee_type",
                                             "ee_code",  "ee_info",   "ee_data" };
        long long got[] = { ee.ee_errno, ee.ee_origin, ee.ee_type,
                            ee.ee_code,  ee.ee_info,   ee.ee_data };
        for (size_t f = 0; f < 6; f++)
                if (check_int(k, i, names[f], field(d, names[f]), got[f]))
                        return -1;
        return 0;
}

static int check_ts(struct pd_runner *r, struct ck *k, size_t i, const struct pd_expr *d,
                    const struct cmsghdr *c)
{
        struct scm_timestamping tss;
        if (data_len(c) < sizeof(tss))
                return fail(k, "msg_control: cmsg %zu carries %zu bytes, not a scm_timestamping",
                            i, data_len(c));
        memcpy(&tss, CMSG_DATA(c), sizeof(tss));
        long long sec, nsec;
        if (eval(k, field(d, "scm_sec"), &sec) || eval(k, field(d, "scm_nsec"), &nsec))
                return -1;
        int64_t got_ns = (int64_t)tss.ts[0].tv_sec * 1000000000 + tss.ts[0].tv_nsec -
                         (int64_t)r->start_ns;
        int64_t want_ns = sec * 1000000000 + nsec;
        int64_t diff = got_ns > want_ns ? got_ns - want_ns : want_ns - got_ns;
        if (diff > r->s->tolerance_us * NS_PER_US)
                return fail(k,
                            "msg_control: cmsg %zu: timestamp at script time %.6f s, script "
                            "expects %.6f s",
                            i, (double)got_ns / 1e9, (double)want_ns / 1e9);
        return 0;
}

int pd_cmsg_check(struct pd_runner *r, const struct pd_expr *want, struct msghdr *mh, char *err,
                  size_t errcap)
{
        struct ck k = { err, errcap };
        if (want->kind == PD_E_ELLIPSIS)
                return 0;
        if (want->kind != PD_E_ARRAY)
                return fail(&k, "msg_control must be [{cmsg_level=..., cmsg_type=..., "
                                "cmsg_data=...}, ...]");
        struct cmsghdr *got = mh->msg_controllen ? CMSG_FIRSTHDR(mh) : NULL;
        for (size_t i = 0; i < want->nkids; i++, got = got ? CMSG_NXTHDR(mh, got) : NULL) {
                const struct pd_expr *w = want->kids[i];
                const struct pd_expr *lv = field(w, "cmsg_level"), *ty = field(w, "cmsg_type"),
                                     *da = field(w, "cmsg_data");
                long long level, type;
                if (!lv || !ty || !da)
                        return fail(&k, "a cmsg needs cmsg_level, cmsg_type and cmsg_data");
                if (eval(&k, lv, &level) || eval(&k, ty, &type))
                        return -1;
                if (!got)
                        return fail(&k, "msg_control: cmsg %zu (level %lld type %lld) not received",
                                    i + 1, level, type);
                if (got->cmsg_level != level || got->cmsg_type != type)
                        return fail(&k,
                                    "msg_control: cmsg %zu is level %d type %d, script expects "
                                    "level %lld type %lld",
                                    i + 1, got->cmsg_level, got->cmsg_type, level, type);
                if (da->kind == PD_E_STRUCT && field(da, "ee_errno")) {
                        if (check_ee(&k, i + 1, da, got))
                                return -1;
                } else if (da->kind == PD_E_STRUCT && field(da, "scm_sec")) {
                        if (check_ts(r, &k, i + 1, da, got))
                                return -1;
                } else if (da->kind == PD_E_STRUCT) {
                        return fail(&k, "runner: unsupported syntax: cmsg_data struct");
                } else {
                        int v;
                        if (got->cmsg_len != CMSG_LEN(sizeof(v)))
                                return fail(&k,
                                            "msg_control: cmsg %zu carries %zu bytes, script "
                                            "expects an int",
                                            i + 1, data_len(got));
                        memcpy(&v, CMSG_DATA(got), sizeof(v));
                        if (check_int(&k, i + 1, "cmsg_data", da, v))
                                return -1;
                }
        }
        if (got)
                return fail(&k,
                            "msg_control: more cmsgs received than the script lists (level %d "
                            "type %d)",
                            got->cmsg_level, got->cmsg_type);
        return 0;
}
