/*
 * `ip route add|append|replace|change|del ...` in iproute2's own words, for
 * an embedding program and for the conformance runner's shell lines.  The
 * words become the fib_route (metrics included) that iproute2 would have
 * sent as RTM_NEWROUTE / RTM_DELROUTE, and the route goes in through the
 * same api_route_insert the rtnetlink handler calls; the conversions
 * iproute2 makes before sending (rtt in 1/8 ms, rttvar in 1/4 ms, rto_min
 * always locked, scope link for a route without gateway) are made here,
 * so that `ip route show` afterwards prints what the words said.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/api.h"
#include "ipv4/ipv4.h"
#include "wire/ipv4.h"

static int parse_u32(const char *s, uint32_t *v)
{
        char *end;
        if (!s || !*s)
                return -EINVAL;
        unsigned long x = strtoul(s, &end, 0);
        if (*end || x > 0xffffffffUL || s[0] == '-')
                return -EINVAL;
        *v = (uint32_t)x;
        return 0;
}

/* get_time_rtt: ms, or with a unit (s, ms); *raw without a unit. */
static int parse_time_ms(const char *s, uint32_t *v, bool *raw)
{
        char *end;
        double t = strtod(s, &end);
        if (end == s || t < 0)
                return -EINVAL;
        *raw = !*end;
        if (!strcasecmp(end, "s") || !strcasecmp(end, "sec") || !strcasecmp(end, "secs"))
                t *= 1000;
        else if (*end && strcasecmp(end, "ms") && strcasecmp(end, "msec") &&
                 strcasecmp(end, "msecs"))
                return -EINVAL;
        if (t > 0xffffffffu)
                return -EINVAL;
        *v = (uint32_t)t;
        return 0;
}

static const struct {
        const char *name;
        int type;
} metric_names[] = {
        { "mtu", RTAX_MTU },
        { "window", RTAX_WINDOW },
        { "rtt", RTAX_RTT },
        { "rttvar", RTAX_RTTVAR },
        { "ssthresh", RTAX_SSTHRESH },
        { "cwnd", RTAX_CWND },
        { "advmss", RTAX_ADVMSS },
        { "reordering", RTAX_REORDERING },
        { "hoplimit", RTAX_HOPLIMIT },
        { "initcwnd", RTAX_INITCWND },
        { "features", RTAX_FEATURES },
        { "rto_min", RTAX_RTO_MIN },
        { "initrwnd", RTAX_INITRWND },
        { "quickack", RTAX_QUICKACK },
        { "fastopen_no_cookie", RTAX_FASTOPEN_NO_COOKIE },
};

/* One metric's value words at *argv (after its name): [lock] VALUE. */
static int parse_metric(int type, char ***argv, struct fib_metrics *m)
{
        char *w = *(*argv)++;
        if (w && !strcmp(w, "lock")) {
                m->v[RTAX_LOCK - 1] |= 1u << type;
                w = *(*argv)++;
        }
        if (!w)
                return -EINVAL;
        uint32_t v = 0;
        bool raw = false;
        switch (type) {
        case RTAX_RTT:
        case RTAX_RTTVAR:
        case RTAX_RTO_MIN:
                if (parse_time_ms(w, &v, &raw))
                        return -EINVAL;
                if (type == RTAX_RTT && !raw)
                        v *= 8;
                else if (type == RTAX_RTTVAR && !raw)
                        v *= 4;
                else if (type == RTAX_RTO_MIN)
                        m->v[RTAX_LOCK - 1] |= 1u << RTAX_RTO_MIN; /* as iproute2 */
                break;
        case RTAX_FEATURES:
                if (strcmp(w, "ecn"))
                        return -EINVAL;
                v = 1; /* RTAX_FEATURE_ECN */
                break;
        default:
                if (parse_u32(w, &v))
                        return -EINVAL;
                if ((type == RTAX_HOPLIMIT && v > 255) ||
                    ((type == RTAX_QUICKACK || type == RTAX_FASTOPEN_NO_COOKIE) && v > 1))
                        return -EINVAL;
        }
        const char *why = NULL;
        return fib_metrics_set(m, type, v, &why);
}

static int parse_table(const char *w, uint32_t *t)
{
        if (!w)
                return -EINVAL;
        if (!strcmp(w, "main"))
                *t = RT_TABLE_MAIN;
        else if (!strcmp(w, "local"))
                *t = RT_TABLE_LOCAL;
        else if (!strcmp(w, "default"))
                *t = RT_TABLE_DEFAULT;
        else
                return parse_u32(w, t);
        return 0;
}

/* The words after the command into r (dev by name, through net). */
static int parse_route(struct net *net, char **argv, struct fib_route *r, struct fib_metrics *m,
                       bool *has_dst)
{
        for (char *w; (w = *argv++);) {
                char *arg = *argv;
                size_t i;
                for (i = 0; i < sizeof(metric_names) / sizeof(metric_names[0]); i++)
                        if (!strcmp(w, metric_names[i].name))
                                break;
                if (i < sizeof(metric_names) / sizeof(metric_names[0])) {
                        if (parse_metric(metric_names[i].type, &argv, m))
                                return -EINVAL;
                        r->metrics = m;
                        continue;
                }
                if (!strcmp(w, "via") || !strcmp(w, "dev") || !strcmp(w, "table") ||
                    !strcmp(w, "metric") || !strcmp(w, "priority") || !strcmp(w, "preference") ||
                    !strcmp(w, "src") || !strcmp(w, "to")) {
                        if (!arg)
                                return -EINVAL;
                        argv++;
                }
                int err = 0;
                if (!strcmp(w, "onlink")) {
                        r->nh_flags |= RTNH_F_ONLINK;
                } else if (!strcmp(w, "via")) {
                        err = ipv4_addr_parse(arg, &r->gw) < 0 ? -EINVAL : 0;
                } else if (!strcmp(w, "dev")) {
                        r->dev = dev_get_by_name(net, arg);
                        err = r->dev ? 0 : -ENODEV;
                } else if (!strcmp(w, "table")) {
                        err = parse_table(arg, &r->table);
                } else if (!strcmp(w, "metric") || !strcmp(w, "priority") ||
                           !strcmp(w, "preference")) {
                        err = parse_u32(arg, &r->priority);
                } else if (!strcmp(w, "src")) {
                        err = ipv4_addr_parse(arg, &r->prefsrc) < 0 ? -EINVAL : 0;
                } else if (*has_dst) {
                        err = -EINVAL; /* a word iproute2 has and Strata does not read */
                } else {
                        const char *d = !strcmp(w, "to") ? arg : w;
                        if (api_route_type(d, &r->type) == 0 && strcmp(d, "unicast") != 0)
                                continue; /* the type comes before the prefix */
                        if (!strcmp(d, "unicast"))
                                continue;
                        *has_dst = true;
                        if (!strcmp(d, "default"))
                                r->dst = r->plen = 0;
                        else
                                err = api_parse_cidr(d, &r->dst, &r->plen);
                }
                if (err)
                        return err;
        }
        return 0;
}

int strata_ip_route(struct strata_net *sn, const char *cmd)
{
        char buf[512], *argv[64];
        int argc = 0;
        if (!cmd || strlen(cmd) >= sizeof(buf))
                return -EINVAL;
        strcpy(buf, cmd);
        char *save = NULL;
        for (char *w = strtok_r(buf, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
                if (argc == 63)
                        return -EINVAL;
                argv[argc++] = w;
        }
        argv[argc] = NULL;
        if (argc < 2)
                return -EINVAL;
        static const struct {
                const char *name;
                int how; /* API_ROUTE_*, or -1: delete */
        } cmds[] = { { "add", API_ROUTE_EXCL },
                     { "append", API_ROUTE_APPEND },
                     { "replace", API_ROUTE_REPLACE },
                     { "change", API_ROUTE_CHANGE },
                     { "del", -1 },
                     { "delete", -1 } };
        int how = -2;
        for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
                if (!strcmp(argv[0], cmds[i].name))
                        how = cmds[i].how;
        if (how == -2)
                return -EINVAL;
        struct fib_route r = { .type = RTN_UNICAST, .protocol = RTPROT_BOOT };
        struct fib_metrics m = { { 0 } };
        bool has_dst = false;
        struct net *net = api_lock(sn);
        int err = parse_route(net, argv + 1, &r, &m, &has_dst);
        if (!err && !has_dst)
                err = -EINVAL;
        if (!err && (r.dst & ~(r.plen ? ~0u << (32 - r.plen) : 0)))
                err = -EINVAL; /* "Invalid prefix for given prefix length" */
        if (err)
                goto out;
        if (!r.table)
                r.table = RT_TABLE_MAIN;
        struct fib_table *t = how == -1 ? fib_get_table(net, r.table) : fib_new_table(net, r.table);
        if (!t) {
                err = how == -1 ? -ESRCH : -ENOMEM;
                goto out;
        }
        if (how == -1) {
                r.type = 0; /* any type, as `ip route del` without one */
                err = fib_table_delete(t, &r);
                goto out;
        }
        if (r.type == RTN_UNICAST && !r.gw && !r.dev) {
                err = -ENODEV; /* "Device only routes require an egress device" */
                goto out;
        }
        r.scope = r.gw || r.type != RTN_UNICAST ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
        if (r.prefsrc && !inet_addr_local(net, r.prefsrc)) {
                err = -EINVAL; /* "Invalid prefsrc address" */
                goto out;
        }
        err = api_route_insert(net, t, &r, how);
out:
        api_unlock(sn);
        return err;
}
