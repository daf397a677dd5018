/*
 * Multipath routes (ECMP): which next hop a flow takes, as Linux's
 * fib_select_multipath.  Every flow is hashed to 31 bits; the live next
 * hops -- those whose device is up -- share that range in proportion to
 * their weights (fib_rebalance's upper bounds, w << 31 / total rounded,
 * minus one), and a flow takes the first whose bound its hash does not
 * exceed (hash-threshold, RFC 2992): adding or losing a next hop moves
 * only the flows whose region changed hands.  With no live next hop the
 * first one is used, as the kernel's fallback.
 *
 * The hash follows net.ipv4.fib_multipath_hash_policy: 0 (the default)
 * the source and destination addresses, 1 those plus the protocol and
 * ports -- not for fragments, whose ports only the first carries, so all
 * pieces of a datagram take one path.  Like Linux's hash it is keyed with
 * a random secret per namespace, so which path a given flow takes is not
 * predictable from outside (and is not the kernel's choice for the same
 * addresses); policies 2 and 3 (inner headers, custom fields) are refused.
 */
#include <errno.h>

#include "core/sysctl.h"
#include "ipv4/ip_input.h"
#include "ipv4/ipv4.h"
#include "wire/bytes.h"
#include "wire/ipv4.h"

static uint64_t mix64(uint64_t v)
{
        v ^= v >> 33;
        v *= 0xff51afd7ed558ccdull;
        v ^= v >> 33;
        v *= 0xc4ceb9fe1a85ec53ull;
        v ^= v >> 33;
        return v;
}

uint32_t fib_multipath_hash(struct net *net, const struct flowi4 *fl)
{
        const struct ipv4_net *in = ipv4_of(net);
        uint64_t v = in->mp_hash_key[0] ^ ((uint64_t)fl->saddr << 32 | fl->daddr);
        v = mix64(v);
        if (in->fib_multipath_hash_policy == 1) {
                v ^= in->mp_hash_key[1] ^
                     ((uint64_t)fl->proto << 32 | (uint32_t)fl->sport << 16 | fl->dport);
                v = mix64(v);
        }
        return (uint32_t)(v >> 33); /* 31 bits, as fib_multipath_hash >> 1 */
}

uint32_t fib_multipath_hash_skb(struct net *net, const struct sk_buff *skb)
{
        const struct ip_cb *cb = IPCB((struct sk_buff *)skb);
        struct flowi4 fl = { .daddr = cb->iph.daddr, .saddr = cb->iph.saddr };
        if (ipv4_of(net)->fib_multipath_hash_policy == 1) {
                fl.proto = cb->iph.protocol;
                unsigned ihl = cb->iph.ihl;
                bool frag = cb->iph.frag_off & (IP_MF | IP_OFFMASK);
                if (!frag && (fl.proto == IPPROTO_TCP_ || fl.proto == IPPROTO_UDP_) &&
                    skb->len >= ihl + 4) {
                        fl.sport = get_be16(skb->data + ihl);
                        fl.dport = get_be16(skb->data + ihl + 2);
                }
        }
        return fib_multipath_hash(net, &fl);
}

static bool nh_alive(const struct fib_nh *nh)
{
        return nh->dev && netif_running(nh->dev);
}

int fib_select_multipath(const struct fib_route *r, uint32_t hash)
{
        if (!r->nhs)
                return 0;
        uint64_t total = 0;
        for (int i = 0; i < r->nhs; i++)
                if (nh_alive(&r->nh[i]))
                        total += r->nh[i].weight;
        if (!total)
                return 0;
        uint64_t w = 0;
        for (int i = 0; i < r->nhs; i++) {
                if (!nh_alive(&r->nh[i]))
                        continue;
                w += r->nh[i].weight;
                /* fib_rebalance: DIV_ROUND_CLOSEST_ULL(w << 31, total) - 1 */
                int64_t upper = (int64_t)(((w << 31) + total / 2) / total) - 1;
                if ((int64_t)hash <= upper)
                        return i;
        }
        return 0;
}

int fib_route_nh_by_dev(const struct fib_route *r, const struct net_device *dev)
{
        if (!r->nhs)
                return r->dev == dev ? 0 : -1;
        for (int i = 0; i < r->nhs; i++)
                if (r->nh[i].dev == dev)
                        return i;
        return -1;
}

int fib_multipath_init(struct net *net)
{
        struct ipv4_net *in = ipv4_of(net);
        in->mp_hash_key[0] = random_u64(&net->rnd);
        in->mp_hash_key[1] = random_u64(&net->rnd);
        in->fib_multipath_hash_policy = 0;
        return sysctl_register(net, "net.ipv4.fib_multipath_hash_policy",
                               &in->fib_multipath_hash_policy, 1, 0, 1, SYSCTL_UNIT_1, NULL);
}
