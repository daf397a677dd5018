/*
 * rtnetlink links: RTM_GETLINK (dump, or one device by index or name),
 * RTM_NEWLINK / RTM_SETLINK (change a device; create a veth pair) and
 * RTM_DELLINK.
 *
 * A link message carries every attribute the kernel sends, in the kernel's
 * order (rtnl_fill_ifinfo), because a tool that misses one asks the host
 * kernel instead (iproute2 falls back to SIOCGIFTXQLEN without
 * IFLA_TXQLEN) -- and then prints the host's value.  Values Strata has no
 * notion of (GSO sizes, queue counts) are the kernel's for the same kind
 * of device.
 */
#include <errno.h>
#include <string.h>

#include "core/netdev.h"
#include "ctl/rtnl.h"
#include "link/loopback.h"

/* Linux's dev_get_flags: RUNNING and LOWER_UP only while up. */
static uint32_t link_flags(const struct net_device *dev)
{
        uint32_t f = dev->flags & ~(uint32_t)(IFF_RUNNING_ | IFF_LOWER_UP_);
        if (netif_running(dev) && dev->carrier)
                f |= IFF_RUNNING_ | IFF_LOWER_UP_;
        return f;
}

/* RFC 2863 operstate as Linux's default_operstate computes it; lo, which
 * has no carrier logic, says UNKNOWN while up.  A veth without carrier is
 * LOWERLAYERDOWN when its peer -- looked up by index in this namespace,
 * as the kernel does -- has none either. */
static uint8_t link_operstate(const struct net_device *dev)
{
        if (!netif_running(dev))
                return IF_OPER_DOWN_;
        if (dev->flags & IFF_LOOPBACK_)
                return IF_OPER_UNKNOWN_;
        if (!dev->carrier) {
                struct net_device *peer = veth_peer(dev);
                struct net_device *lower = peer ? dev_get_by_index(dev->net, peer->ifindex) : NULL;
                if (!lower)
                        return IF_OPER_DOWN_;
                return lower->carrier ? IF_OPER_DOWN_ : IF_OPER_LOWERLAYERDOWN_;
        }
        return IF_OPER_UP_;
}

/* What `ip link` shows as qdisc: a device never brought up has none
 * ("noop"); lo and veth are IFF_NO_QUEUE devices ("noqueue"); others get
 * the default FIFO, which is what Strata's transmit queue is.  Once
 * attached, the qdisc stays when the device goes down, as in Linux. */
static const char *link_qdisc(const struct net_device *dev)
{
        if (!netif_running(dev) && !dev->ever_up)
                return "noop";
        if ((dev->flags & IFF_LOOPBACK_) || veth_peer(dev))
                return "noqueue";
        return "pfifo_fast";
}

static void put_stats(struct nl_out *o, const struct rtnl_link_stats64 *s)
{
        /* rtnl_link_stats64 (24 counters) plus rx_otherhost_dropped */
        uint64_t v64[25] = { 0 };
        _Static_assert(sizeof(*s) == 24 * sizeof(uint64_t), "stats64 layout");
        memcpy(v64, s, sizeof(*s));
        nla_put(o, IFLA_STATS64_, v64, sizeof(v64));
        uint32_t v32[24];
        for (int i = 0; i < 24; i++)
                v32[i] = (uint32_t)v64[i];
        nla_put(o, IFLA_STATS_, v32, sizeof(v32));
}

static void fill_link(struct nl_out *o, const struct net_device *dev, uint16_t type, uint16_t flags,
                      uint32_t seq)
{
        nlmsg_begin(o, type, flags, seq);
        uint8_t ifi[IFINFOMSG_LEN] = { 0 };
        uint16_t t = dev->type;
        int32_t idx = dev->ifindex;
        uint32_t fl = link_flags(dev);
        memcpy(ifi + 2, &t, 2);
        memcpy(ifi + 4, &idx, 4);
        memcpy(ifi + 8, &fl, 4);
        nl_put(o, ifi, sizeof(ifi));

        struct net_device *peer = veth_peer(dev);
        bool lo = dev->flags & IFF_LOOPBACK_;
        nla_put_str(o, IFLA_IFNAME_, dev->name);
        nla_put_u32(o, IFLA_TXQLEN_, dev->tx_queue_len);
        nla_put_u8(o, IFLA_OPERSTATE_, link_operstate(dev));
        nla_put_u8(o, IFLA_LINKMODE_, 0);
        nla_put_u8(o, IFLA_NETNS_IMMUTABLE_, lo);
        nla_put_u32(o, IFLA_MTU_, dev->mtu);
        nla_put_u32(o, IFLA_MIN_MTU_, dev->min_mtu);
        nla_put_u32(o, IFLA_MAX_MTU_, dev->max_mtu);
        nla_put_u32(o, IFLA_GROUP_, 0);
        nla_put_u32(o, IFLA_PROMISCUITY_, (dev->flags & IFF_PROMISC_) ? 1 : 0);
        nla_put_u32(o, IFLA_ALLMULTI_, 0);
        nla_put_u32(o, IFLA_NUM_TX_QUEUES_, 1);
        nla_put_u32(o, IFLA_GSO_MAX_SEGS_, 65535);
        nla_put_u32(o, IFLA_GSO_MAX_SIZE_, 65536);
        nla_put_u32(o, IFLA_GRO_MAX_SIZE_, 65536);
        nla_put_u32(o, IFLA_GSO_IPV4_MAX_SIZE_, 65536);
        nla_put_u32(o, IFLA_GRO_IPV4_MAX_SIZE_, 65536);
        nla_put_u32(o, IFLA_TSO_MAX_SIZE_, 524280);
        nla_put_u32(o, IFLA_TSO_MAX_SEGS_, 65535);
        nla_put_u32(o, IFLA_MAX_PACING_OFFLOAD_HORIZON_, 0);
        nla_put_u32(o, IFLA_NUM_RX_QUEUES_, 1);
        nla_put_u8(o, IFLA_CARRIER_, lo ? 1 : dev->carrier);
        nla_put_u32(o, IFLA_CARRIER_CHANGES_, 0);
        nla_put_u32(o, IFLA_CARRIER_UP_COUNT_, 0);
        nla_put_u32(o, IFLA_CARRIER_DOWN_COUNT_, 0);
        nla_put_u16(o, IFLA_HEADROOM_, 0);
        nla_put_u16(o, IFLA_TAILROOM_, 0);
        nla_put_u8(o, IFLA_PROTO_DOWN_, 0);
        if (dev->addr_len) {
                nla_put(o, IFLA_ADDRESS_, dev->dev_addr, dev->addr_len);
                nla_put(o, IFLA_BROADCAST_, dev->broadcast, dev->addr_len);
        }
        put_stats(o, &dev->stats);
        size_t xdp = nla_nest_start_noflag(o, IFLA_XDP_);
        nla_put_u8(o, IFLA_XDP_ATTACHED_, 0);
        nla_nest_end(o, xdp);
        if (peer) {
                size_t li = nla_nest_start_noflag(o, IFLA_LINKINFO_);
                nla_put_str(o, IFLA_INFO_KIND_, "veth");
                nla_nest_end(o, li);
                nla_put_u32(o, IFLA_LINK_, (uint32_t)peer->ifindex);
        }
        nla_put_str(o, IFLA_QDISC_, link_qdisc(dev));
        uint8_t map[32] = { 0 }; /* struct rtnl_link_ifmap: no I/O resources */
        nla_put(o, IFLA_MAP_, map, sizeof(map));
        nla_nest_end(o, nla_nest_start(o, IFLA_DEVLINK_PORT_));
        nla_nest_end(o, nla_nest_start(o, IFLA_DPLL_PIN_));
        nlmsg_end(o);
}

/* The device a request names: ifi_index if set, else IFLA_IFNAME /
 * IFLA_ALT_IFNAME.  *named tells whether the request named one at all. */
static int link_find(struct rtnl_req *req, const struct nl_attr *tb, struct net_device **dev,
                     bool *named)
{
        int32_t idx = (int32_t)nl_rd32(req->msg->payload + 4);
        *dev = NULL;
        *named = true;
        if (idx > 0) {
                *dev = dev_get_by_index(req->net, idx);
                return *dev ? 0 : -ENODEV;
        }
        const struct nl_attr *n = tb[IFLA_IFNAME_].data ? &tb[IFLA_IFNAME_] : &tb[IFLA_ALT_IFNAME_];
        if (!n->data) {
                *named = false;
                return 0;
        }
        char name[IFNAMSIZ];
        if (nla_get_str(n, name, sizeof(name))) {
                req->extack = "Attribute failed policy validation";
                return -EINVAL;
        }
        *dev = dev_get_by_name(req->net, name);
        return 0;
}

int rtnl_getlink(struct rtnl_req *req)
{
        const struct nl_msg *m = req->msg;
        if (req->dump) {
                for (struct net_device *d = req->net->dev_list; d; d = d->next)
                        fill_link(req->out, d, RTM_NEWLINK_, NLM_F_MULTI_, m->seq);
                return 0;
        }
        if (rtnl_hdr(req, IFINFOMSG_LEN))
                return -EINVAL;
        struct nl_attr tb[IFLA_MAX_ + 1];
        if (nla_parse(tb, IFLA_MAX_, m->payload + IFINFOMSG_LEN, m->payload_len - IFINFOMSG_LEN))
                return -EINVAL;
        struct net_device *dev;
        bool named;
        int err = link_find(req, tb, &dev, &named);
        if (err)
                return err;
        if (!named)
                return -EINVAL;
        if (!dev)
                return -ENODEV;
        fill_link(req->out, dev, RTM_NEWLINK_, 0, m->seq);
        return 0;
}

/* Changes of IFLA_* attributes and flags on an existing device, in the
 * order of the kernel's do_setlink.  Whatever Strata cannot do is refused
 * with a message, never ignored. */
static int link_change(struct rtnl_req *req, struct net_device *dev, const uint8_t *ifi,
                       const struct nl_attr *tb, bool by_index)
{
        if (tb[IFLA_NET_NS_PID_].data || tb[IFLA_NET_NS_FD_].data) {
                req->extack = "Strata: moving devices between namespaces is not supported yet";
                return -EOPNOTSUPP;
        }
        if (by_index && tb[IFLA_IFNAME_].data) {
                char name[IFNAMSIZ];
                if (nla_get_str(&tb[IFLA_IFNAME_], name, sizeof(name)))
                        return -EINVAL;
                if (strcmp(name, dev->name)) {
                        req->extack = "Strata: renaming devices is not supported yet";
                        return -EOPNOTSUPP;
                }
        }
        if (tb[IFLA_ADDRESS_].data) {
                if (tb[IFLA_ADDRESS_].len < dev->addr_len || dev->addr_len == 0)
                        return -EINVAL;
                int err = dev_set_mac_address(dev, tb[IFLA_ADDRESS_].data);
                if (err)
                        return err;
        }
        if (tb[IFLA_MTU_].data) {
                uint32_t mtu;
                if (nla_get_u32(&tb[IFLA_MTU_], &mtu))
                        return -EINVAL;
                if (mtu < dev->min_mtu) {
                        req->extack = "mtu less than device minimum";
                        return -EINVAL;
                }
                if (mtu > dev->max_mtu) {
                        req->extack = "mtu greater than device maximum";
                        return -EINVAL;
                }
                int err = dev_set_mtu(dev, mtu);
                if (err)
                        return err;
        }
        if (tb[IFLA_TXQLEN_].data) {
                uint32_t q;
                if (nla_get_u32(&tb[IFLA_TXQLEN_], &q))
                        return -EINVAL;
                int err = api_dev_set_txqlen(dev, q);
                if (err)
                        return err;
        }
        uint32_t v;
        if ((tb[IFLA_GROUP_].data && (nla_get_u32(&tb[IFLA_GROUP_], &v) || v)) ||
            tb[IFLA_IFALIAS_].data || tb[IFLA_MASTER_].data) {
                req->extack = "Strata: device groups, aliases and masters are not supported yet";
                return -EOPNOTSUPP;
        }
        /* flags: ifi_change 0 means "all" (the kernel's bugwards compatibility) */
        uint32_t want = nl_rd32(ifi + 8), change = nl_rd32(ifi + 12);
        if (!want && !change)
                return 0;
        uint32_t cur = link_flags(dev);
        uint32_t mask = change ? change : 0xffffffffu;
        uint32_t next = (want & mask) | (cur & ~mask);
        const uint32_t unsupported =
            IFF_PROMISC_ | IFF_NOARP_ | IFF_MULTICAST_ | 0x200 /* ALLMULTI */;
        if ((next ^ cur) & unsupported) {
                req->extack = "Strata: changing promisc, arp, multicast or allmulticast is not "
                              "supported yet";
                return -EOPNOTSUPP;
        }
        if ((next ^ cur) & IFF_UP_)
                return (next & IFF_UP_) ? dev_open(dev) : dev_close(dev);
        return 0;
}

/* Settings given with `ip link add` (and for a veth peer) beyond the name. */
static int link_new_settings(struct rtnl_req *req, struct net_device *dev, const uint8_t *ifi,
                             const struct nl_attr *tb)
{
        uint8_t none[IFINFOMSG_LEN] = { 0 };
        struct nl_attr t2[IFLA_MAX_ + 1];
        memcpy(t2, tb, sizeof(t2));
        t2[IFLA_IFNAME_].data = NULL;
        return link_change(req, dev, ifi ? ifi : none, t2, false);
}

static int veth_new(struct rtnl_req *req, const char *name, const struct nl_attr *tb,
                    const struct nl_attr *data)
{
        char peer_name[IFNAMSIZ] = "veth%d";
        const uint8_t *peer_ifi = NULL;
        struct nl_attr ptb[IFLA_MAX_ + 1];
        memset(ptb, 0, sizeof(ptb));
        if (data && data->data) {
                struct nl_attr vtb[VETH_INFO_PEER_ + 1];
                if (nla_parse(vtb, VETH_INFO_PEER_, data->data, data->len))
                        return -EINVAL;
                const struct nl_attr *p = &vtb[VETH_INFO_PEER_];
                if (p->data) {
                        if (p->len < IFINFOMSG_LEN ||
                            nla_parse(ptb, IFLA_MAX_, p->data + IFINFOMSG_LEN,
                                      p->len - IFINFOMSG_LEN))
                                return -EINVAL;
                        peer_ifi = p->data;
                        if (ptb[IFLA_IFNAME_].data &&
                            nla_get_str(&ptb[IFLA_IFNAME_], peer_name, sizeof(peer_name)))
                                return -EINVAL;
                }
        }
        if (ptb[IFLA_NET_NS_PID_].data || ptb[IFLA_NET_NS_FD_].data) {
                req->extack = "Strata: a veth peer in another namespace is made in the lab or "
                              "the embedding program, not yet through netlink";
                return -EOPNOTSUPP;
        }
        if (dev_get_by_name(req->net, name) || dev_get_by_name(req->net, peer_name))
                return -EEXIST;
        /* the peer registers first, as in the kernel: it gets the lower ifindex */
        struct net_device *peer, *dev;
        int err = veth_create(req->net, peer_name, req->net, name, &peer, &dev);
        if (err)
                return err;
        err = link_new_settings(req, dev, req->msg->payload, tb);
        if (!err)
                err = link_new_settings(req, peer, peer_ifi, ptb);
        if (err) {
                netdev_unregister(peer);
                netdev_unregister(dev);
        } else {
                /* registered unfinished (netdev.c tells nobody): now */
                net_rtnl_notify(req->net, NET_RTNL_NEWLINK, peer);
                net_rtnl_notify(req->net, NET_RTNL_NEWLINK, dev);
        }
        return err;
}

int rtnl_newlink(struct rtnl_req *req)
{
        const struct nl_msg *m = req->msg;
        if (rtnl_hdr(req, IFINFOMSG_LEN))
                return -EINVAL;
        struct nl_attr tb[IFLA_MAX_ + 1];
        if (nla_parse(tb, IFLA_MAX_, m->payload + IFINFOMSG_LEN, m->payload_len - IFINFOMSG_LEN))
                return -EINVAL;
        char kind[32] = "";
        struct nl_attr li[IFLA_INFO_MAX_ + 1];
        memset(li, 0, sizeof(li));
        if (tb[IFLA_LINKINFO_].data) {
                if (nla_parse(li, IFLA_INFO_MAX_, tb[IFLA_LINKINFO_].data, tb[IFLA_LINKINFO_].len))
                        return -EINVAL;
                if (li[IFLA_INFO_KIND_].data &&
                    nla_get_str(&li[IFLA_INFO_KIND_], kind, sizeof(kind)))
                        return -EINVAL;
        }
        struct net_device *dev;
        bool named;
        int err = link_find(req, tb, &dev, &named);
        if (err)
                return err;
        if (dev) {
                if (m->flags & NLM_F_EXCL_)
                        return -EEXIST;
                if (kind[0] && strcmp(kind, veth_peer(dev) ? "veth" : "") != 0)
                        return -EOPNOTSUPP;
                return link_change(req, dev, m->payload, tb, nl_rd32(m->payload + 4) != 0);
        }
        /* no such device: iproute2's probe (no name, no NLM_F_CREATE) lands here */
        if (!(m->flags & NLM_F_CREATE_))
                return -ENODEV;
        if (!kind[0]) {
                req->extack = "Unknown device type";
                return -EOPNOTSUPP;
        }
        if (strcmp(kind, "veth") != 0) {
                req->extack = "Strata: this device type is not supported yet (veth is)";
                return -EOPNOTSUPP;
        }
        char name[IFNAMSIZ] = "veth%d";
        if (tb[IFLA_IFNAME_].data && nla_get_str(&tb[IFLA_IFNAME_], name, sizeof(name)))
                return -EINVAL;
        return veth_new(req, name, tb, &li[IFLA_INFO_DATA_]);
}

int rtnl_dellink(struct rtnl_req *req)
{
        const struct nl_msg *m = req->msg;
        if (rtnl_hdr(req, IFINFOMSG_LEN))
                return -EINVAL;
        struct nl_attr tb[IFLA_MAX_ + 1];
        if (nla_parse(tb, IFLA_MAX_, m->payload + IFINFOMSG_LEN, m->payload_len - IFINFOMSG_LEN))
                return -EINVAL;
        struct net_device *dev;
        bool named;
        int err = link_find(req, tb, &dev, &named);
        if (err)
                return err;
        if (!named)
                return -EINVAL;
        if (!dev)
                return -ENODEV;
        if (dev == req->net->loopback_dev)
                return -EOPNOTSUPP; /* lo has no rtnl_link_ops in Linux either */
        /* api_link_del locks (both ends of a cross-namespace veth) itself */
        int ifindex = dev->ifindex;
        api_unlock(req->sn);
        err = api_link_del(req->sn, ifindex);
        api_lock(req->sn);
        return err;
}

void rtnl_link_msg(struct nl_out *o, const struct net_device *dev, uint16_t type)
{
        fill_link(o, dev, type, 0, 0);
}
