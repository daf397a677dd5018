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
 * addresses).  Policy 2 hashes the addresses of the inner IPv4 header of
 * an IPIP or plain GRE packet (the outer ones otherwise), policy 3 the
 * fields net.ipv4.fib_multipath_hash_fields selects, inner ones included.
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

/* What a hash covers; unselected fields are zero. */
struct mp_keys {
        uint32_t saddr, daddr;
        uint8_t proto;
        uint16_t sport, dport;
};

static uint64_t mp_mix(const struct ipv4_net *in, uint64_t v, const struct mp_keys *k, bool l4)
{
        v = mix64(v ^ in->mp_hash_key[0] ^ ((uint64_t)k->saddr << 32 | k->daddr));
        if (l4)
                v = mix64(v ^ in->mp_hash_key[1] ^
                          ((uint64_t)k->proto << 32 | (uint32_t)k->sport << 16 | k->dport));
        return v;
}

/* Policy 3: the fields net.ipv4.fib_multipath_hash_fields selects, of the
 * outer header (bits 0x01-0x20) and of an inner one (0x40-0x800). */
#define MP_F_SRC_IP      0x01
#define MP_F_DST_IP      0x02
#define MP_F_PROTO       0x04
#define MP_F_SPORT       0x10
#define MP_F_DPORT       0x20
#define MP_F_INNER_SHIFT 6

static struct mp_keys mp_select(const struct mp_keys *k, unsigned f)
{
        return (struct mp_keys){ .saddr = f & MP_F_SRC_IP ? k->saddr : 0,
                                 .daddr = f & MP_F_DST_IP ? k->daddr : 0,
                                 .proto = f & MP_F_PROTO ? k->proto : 0,
                                 .sport = f & MP_F_SPORT ? k->sport : 0,
                                 .dport = f & MP_F_DPORT ? k->dport : 0 };
}

/* outer: the packet's (or flow's) keys; inner: an encapsulated IPv4
 * header's, or NULL. */
static uint32_t mp_hash(struct net *net, const struct mp_keys *outer, const struct mp_keys *inner)
{
        const struct ipv4_net *in = ipv4_of(net);
        uint64_t v = 0;
        switch (in->fib_multipath_hash_policy) {
        case 1:
                v = mp_mix(in, 0, outer, true);
                break;
        case 2: /* layer 3, the inner one when there is one */
                v = mp_mix(in, 0, inner ? inner : outer, false);
                break;
        case 3: {
                unsigned f = (unsigned)in->fib_multipath_hash_fields;
                struct mp_keys o = mp_select(outer, f);
                v = mp_mix(in, 0, &o, true);
                if (inner && (f >> MP_F_INNER_SHIFT)) {
                        struct mp_keys i = mp_select(inner, f >> MP_F_INNER_SHIFT);
                        v = mp_mix(in, v, &i, true);
                }
                break;
        }
        default:
                v = mp_mix(in, 0, outer, false);
        }
        return (uint32_t)(v >> 33); /* 31 bits, as fib_multipath_hash >> 1 */
}

uint32_t fib_multipath_hash(struct net *net, const struct flowi4 *fl)
{
        struct mp_keys k = { .saddr = fl->saddr,
                             .daddr = fl->daddr,
                             .proto = fl->proto,
                             .sport = fl->sport,
                             .dport = fl->dport };
        return mp_hash(net, &k, NULL);
}

/* The keys of the IPv4 header at p (len bytes): ports only for TCP and
 * UDP, and not in a fragment.  False when it is not a whole header. */
static bool mp_keys_of(const uint8_t *p, size_t len, struct mp_keys *k)
{
        if (len < IPV4_HLEN_MIN || (p[0] >> 4) != 4)
                return false;
        unsigned ihl = (p[0] & 0xf) * 4u;
        if (ihl < IPV4_HLEN_MIN || len < ihl)
                return false;
        *k =
            (struct mp_keys){ .saddr = get_be32(p + 12), .daddr = get_be32(p + 16), .proto = p[9] };
        bool frag = get_be16(p + 6) & (IP_MF | IP_OFFMASK);
        if (!frag && (k->proto == IPPROTO_TCP_ || k->proto == IPPROTO_UDP_) && len >= ihl + 4) {
                k->sport = get_be16(p + ihl);
                k->dport = get_be16(p + ihl + 2);
        }
        return true;
}

uint32_t fib_multipath_hash_skb(struct net *net, const struct sk_buff *skb)
{
        const struct ip_cb *cb = IPCB((struct sk_buff *)skb);
        struct mp_keys outer = { .saddr = cb->iph.saddr, .daddr = cb->iph.daddr };
        struct mp_keys inner, *pin = NULL;
        int policy = ipv4_of(net)->fib_multipath_hash_policy;
        if (policy != 0) {
                outer.proto = cb->iph.protocol;
                unsigned ihl = cb->iph.ihl;
                bool frag = cb->iph.frag_off & (IP_MF | IP_OFFMASK);
                if (!frag && (outer.proto == IPPROTO_TCP_ || outer.proto == IPPROTO_UDP_) &&
                    skb->len >= ihl + 4) {
                        outer.sport = get_be16(skb->data + ihl);
                        outer.dport = get_be16(skb->data + ihl + 2);
                }
                /* the dissector's encapsulations: IPIP, and GRE without
                 * options carrying IPv4 */
                if (!frag && policy >= 2 && skb->len > ihl) {
                        const uint8_t *p = skb->data + ihl;
                        size_t left = skb->len - ihl;
                        if (outer.proto == 47 && left >= 4 && get_be16(p) == 0 &&
                            get_be16(p + 2) == 0x0800) {
                                p += 4;
                                left -= 4;
                        } else if (outer.proto != 4) {
                                left = 0;
                        }
                        if (left && mp_keys_of(p, left, &inner))
                                pin = &inner;
                }
        }
        return mp_hash(net, &outer, pin);
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
        in->fib_multipath_hash_fields = MP_F_SRC_IP | MP_F_DST_IP | MP_F_PROTO;
        int err = sysctl_register(net, "net.ipv4.fib_multipath_hash_policy",
                                  &in->fib_multipath_hash_policy, 1, 0, 3, SYSCTL_UNIT_1, NULL);
        if (!err) /* FIB_MULTIPATH_HASH_FIELD_ALL_MASK: 0xfff (flow labels count for IPv6) */
                err = sysctl_register(net, "net.ipv4.fib_multipath_hash_fields",
                                      &in->fib_multipath_hash_fields, 1, 1, 0xfff, SYSCTL_UNIT_1,
                                      NULL);
        return err;
}
