/*
 * The netlink request loop: one datagram from a client in, every reply out,
 * as the kernel's netlink_rcv_skb and rtnetlink_rcv_msg answer.
 *
 * Walk the messages (a header shorter than 16 bytes -- zero padding -- or
 * one whose length runs past the datagram ends the walk, silently, as in
 * the kernel); skip non-requests and control types; dispatch by type.  A
 * GET with NLM_F_DUMP emits NLM_F_MULTI messages closed by NLMSG_DONE and
 * no ACK; anything else is answered NLMSG_ERROR (with the request echoed)
 * on failure, and the ACK when NLM_F_ACK asked for one.
 *
 * The namespace is locked for the whole datagram, so a dump is a
 * consistent snapshot; replies are built in memory and handed to the
 * caller's emit function once the lock is released.
 *
 * The socket server answers dumps a batch at a time instead
 * (ctl_handle_batch): about CTL_DUMP_BATCH bytes of messages, then the
 * request waits in a cursor until the client reads them and asks for
 * more, so a dump of 100,000 routes never sits in memory whole -- as the
 * kernel's netlink_dump fills one skb, then the next on a later recvmsg.
 * Each batch re-runs the dump, dropping unbuilt the messages sent before
 * (struct nl_out's skip).  As in the kernel, a dump spanning batches is
 * not a snapshot: changes between batches may show or not.
 */
#include <errno.h>
#include <string.h>

#include "ctl/diag.h"
#include "ctl/rtnl.h"
#include "ipv4/ipv4.h"
#include "strata/ctl.h"

#define RTM_NEWNSID_ 88
#define RTM_GETNSID_ 90
#define NETNSA_NSID_ 1

/* RTM_GETNSID (ip monitor asks it for every /run/netns entry): Strata
 * assigns no ids to other namespaces, so the answer is the kernel's for a
 * peer without one, NETNSA_NSID -1; a dump is empty. */
static int rtnl_getnsid(struct rtnl_req *req)
{
        if (req->dump)
                return 0;
        nlmsg_begin(req->out, RTM_NEWNSID_, 0, req->msg->seq);
        uint8_t h[4] = { AF_UNSPEC_ };
        nl_put(req->out, h, sizeof(h));
        nla_put_u32(req->out, NETNSA_NSID_, 0xffffffffu);
        nlmsg_end(req->out);
        return 0;
}

static rtnl_handler rtnl_lookup(uint16_t type)
{
        switch (type) {
        case RTM_GETNSID_:
                return rtnl_getnsid;
        case RTM_NEWLINK_:
        case RTM_SETLINK_:
                return rtnl_newlink;
        case RTM_DELLINK_:
                return rtnl_dellink;
        case RTM_GETLINK_:
                return rtnl_getlink;
        case RTM_NEWADDR_:
                return rtnl_newaddr;
        case RTM_DELADDR_:
                return rtnl_deladdr;
        case RTM_GETADDR_:
                return rtnl_getaddr;
        case RTM_NEWROUTE_:
                return rtnl_newroute;
        case RTM_DELROUTE_:
                return rtnl_delroute;
        case RTM_GETROUTE_:
                return rtnl_getroute;
        case RTM_NEWRULE_:
                return rtnl_newrule;
        case RTM_DELRULE_:
                return rtnl_delrule;
        case RTM_GETRULE_:
                return rtnl_getrule;
        case RTM_NEWNEXTHOP_:
                return rtnl_newnexthop;
        case RTM_DELNEXTHOP_:
                return rtnl_delnexthop;
        case RTM_GETNEXTHOP_:
                return rtnl_getnexthop;
        case RTM_NEWNEIGH_:
                return rtnl_newneigh;
        case RTM_DELNEIGH_:
                return rtnl_delneigh;
        case RTM_GETNEIGH_:
                return rtnl_getneigh;
        default:
                return NULL;
        }
}

/* One message.  Returns 0 / -errno for the ACK logic, or 1 when a dump
 * was emitted (no ACK, as the kernel's -EINTR from netlink_dump_start). */
static int rtnl_rcv_msg(struct rtnl_req *req, int protocol)
{
        const struct nl_msg *m = req->msg;
        if (protocol == STRATA_NETLINK_CTL)
                return ctl_sysctl_rcv(req);
        if (protocol == NETLINK_SOCK_DIAG_)
                return diag_rcv(req);
        if (protocol != 0) {
                req->extack = "Strata: this netlink protocol is not served yet";
                return -EPROTONOSUPPORT;
        }
        if (m->type > RTM_MAX_)
                return -EOPNOTSUPP;
        if (m->payload_len < 1)
                return 0; /* shorter than struct rtgenmsg: the kernel ignores it */
        rtnl_handler h = rtnl_lookup(m->type);
        if (!h)
                return -EOPNOTSUPP;
        bool get = (m->type & 3) == 2;
        req->dump = get && (m->flags & NLM_F_DUMP_);
        int err = h(req);
        if (req->dump && err == 0) {
                nlmsg_done(req->out, m->seq);
                return 1;
        }
        return err;
}

/* Answer buf[*off..len) for client c into out, the message at *off
 * continuing its dump after *sent messages; with budget, a dump cut by it
 * leaves *off at its message and *sent advanced, and 1 is returned. */
static int handle_from(struct strata_net *sn, struct net *net, const struct strata_ctl_client *c,
                       struct ctl_cursor *cur, size_t budget, struct nl_out *out)
{
        const uint8_t *buf = cur->req;
        size_t len = cur->len, *off = &cur->off;
        uint32_t *sent = &cur->sent;
        struct nl_msg m;
        size_t at = *off;
        while (nlmsg_next(buf, len, off, &m) == 1) {
                struct rtnl_req req = {
                        .sn = sn, .net = net, .msg = &m, .out = out, .uid = c->uid
                };
                int err = 0;
                if ((m.flags & NLM_F_REQUEST_) && m.type >= NLMSG_MIN_TYPE_) {
                        size_t mark = out->tail ? out->tail->len : 0;
                        struct nl_dgram *mark_d = out->tail;
                        out->budget = budget;
                        out->skip = cur->positioned ? 0 : *sent;
                        out->index = out->kept = 0;
                        out->cut = false;
                        out->positioned = false;
                        out->resuming = cur->positioned;
                        /* rtnetlink: the route generation, as the
                         * kernel's cb->seq from rt_genid/dev_base_seq */
                        uint32_t gen = c->protocol == 0 ? ipv4_of(net)->rt_genid : 0;
                        bool first = !*sent && !cur->positioned;
                        out->intr = budget && !first && gen != cur->genid;
                        if (first)
                                cur->genid = gen;
                        memcpy(out->resume, cur->pos, sizeof(out->resume));
                        err = rtnl_rcv_msg(&req, c->protocol);
                        out->budget = 0;
                        out->intr = false;
                        if (err < 0 && req.dump) {
                                /* a failed dump: drop what it emitted */
                                if (mark_d) {
                                        for (struct nl_dgram *d = mark_d->next; d; d = d->next)
                                                d->len = 0;
                                        mark_d->len = mark;
                                } else {
                                        for (struct nl_dgram *d = out->head; d; d = d->next)
                                                d->len = 0;
                                }
                        } else if (out->cut) {
                                *sent += out->kept;
                                cur->positioned = out->positioned;
                                memcpy(cur->pos, out->pos, sizeof(cur->pos));
                                *off = at;
                                return 1;
                        }
                        *sent = 0;
                        cur->positioned = false;
                        if (err == 1) {
                                at = *off;
                                continue;
                        }
                }
                *sent = 0;
                if (err || (m.flags & NLM_F_ACK_))
                        nlmsg_error(out, &m, err, req.extack);
                if (out->err)
                        break;
                at = *off;
        }
        return 0;
}

/* Hand out's datagrams to emit (an out of memory turned into -ENOBUFS). */
static int emit_out(struct nl_out *out, const struct strata_ctl_client *c,
                    strata_ctl_emit_fn emit, void *ctx)
{
        int oom = out->err;
        if (oom) {
                /* out of memory: say so, as the kernel's -ENOBUFS */
                static const uint8_t empty[NL_HDRLEN] = { NL_HDRLEN };
                struct nl_msg none = { .len = NL_HDRLEN, .raw = empty };
                nl_out_free(out);
                nl_out_init(out, c->portid);
                nlmsg_error(out, &none, -ENOBUFS, NULL);
        }
        int err = 0;
        for (struct nl_dgram *d = out->head; d && !err; d = d->next)
                if (d->len)
                        err = emit(d->data, d->len, ctx);
        nl_out_free(out);
        return err ? err : oom;
}

int ctl_handle_batch(struct strata_net *sn, const struct strata_ctl_client *c,
                     struct ctl_cursor *cur, strata_ctl_emit_fn emit, void *ctx)
{
        struct nl_out out;
        nl_out_init(&out, c->portid);
        struct net *net = api_lock(sn);
        int more = handle_from(sn, net, c, cur, CTL_DUMP_BATCH, &out);
        api_unlock(sn);
        int err = emit_out(&out, c, emit, ctx);
        return err ? err : more;
}

int strata_ctl_handle(struct strata_net *sn, const struct strata_ctl_client *c, const void *buf,
                      size_t len, strata_ctl_emit_fn emit, void *ctx)
{
        struct nl_out out;
        nl_out_init(&out, c->portid);
        struct net *net = api_lock(sn);
        struct ctl_cursor cur = { .req = buf, .len = len };
        handle_from(sn, net, c, &cur, 0, &out);
        api_unlock(sn);
        return emit_out(&out, c, emit, ctx);
}
