/*
 * Route metrics (RTA_METRICS; `ip route add ... mtu lock 1400 advmss 600
 * initcwnd 11`), kept as Linux keeps them: one u32 per RTAX_* type, the
 * lock bits in the slot of RTAX_LOCK, zero meaning "not set".  A route
 * without metrics carries a NULL pointer (Linux shares dst_default_metrics),
 * so a table of a million routes pays one pointer each for the feature.
 *
 * Values are stored as the tool sent them (iproute2 converts rtt, rttvar
 * and rto_min to its units and back), after Linux's ip_metrics_convert
 * rules: advmss at most 65495, mtu at most 65520, hoplimit at most 255,
 * features only the known bits.  Who reads them: the route decision takes
 * the MTU (a locked one is never lowered by path MTU discovery, and a
 * forwarded packet honours it); TCP takes advmss, initcwnd and initrwnd
 * when a connection starts.  The others are stored and shown only.
 */
#include <errno.h>
#include <string.h>

#include "ipv4/ipv4.h"

#define RTAX_FEATURE_MASK 0x1fu /* ecn, sack, timestamp, allfrag, tcp_usec_ts */

int fib_metrics_set(struct fib_metrics *m, int type, uint32_t val, const char **why)
{
        if (type <= 0)
                return 0; /* ip_metrics_convert skips type 0 */
        if (type > RTAX_MAX) {
                *why = "Invalid metric type";
                return -EINVAL;
        }
        switch (type) {
        case RTAX_CC_ALGO:
                *why = "Strata: a congestion control per route (congctl) is not supported yet";
                return -EOPNOTSUPP;
        case RTAX_ADVMSS:
                if (val > 65535 - 40)
                        val = 65535 - 40;
                break;
        case RTAX_MTU:
                if (val > 65535 - 15)
                        val = 65535 - 15;
                break;
        case RTAX_HOPLIMIT:
                if (val > 255)
                        val = 255;
                break;
        case RTAX_FEATURES:
                if (val & ~RTAX_FEATURE_MASK) {
                        *why = "Unknown flag set in feature mask in metrics attribute";
                        return -EINVAL;
                }
                break;
        }
        m->v[type - 1] = val;
        return 0;
}

bool fib_metrics_empty(const struct fib_metrics *m)
{
        for (int i = 0; i < RTAX_MAX; i++)
                if (m->v[i])
                        return false;
        return true;
}

void fib_route_apply_mtu(struct rt_result *res)
{
        uint32_t mtu = fib_metric(res->route, RTAX_MTU);
        if (!mtu)
                return;
        res->mtu = mtu; /* ipv4_mtu: the route's, above the device's */
        res->mtu_locked = fib_metric_locked(res->route, RTAX_MTU);
}
