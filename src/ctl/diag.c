/*
 * The sock_diag codec (NETLINK_SOCK_DIAG): SOCK_DIAG_BY_FAMILY requests
 * (struct inet_diag_req_v2) and the older TCPDIAG_GETSOCK (struct
 * inet_diag_req) answered as the kernel's inet_diag answers them, from the
 * sockets diag_walk describes (diag_sock.c).
 *
 * A dump lists the sockets of the asked family and protocol whose state is
 * in idiag_states, one NLM_F_MULTI message each, closed by NLMSG_DONE; a
 * request without NLM_F_DUMP names one socket by its id (-ENOENT when
 * none matches).  Each message is struct inet_diag_msg and the attributes
 * inet_sk_diag_fill puts: SHUTDOWN, SOCKOPT, CGROUP_ID, MARK for a
 * privileged client, and by idiag_ext: TOS, CLASS_ID, MEMINFO, SKMEMINFO,
 * and for TCP INFO (struct tcp_info of <linux/tcp.h>) and CONG.  Bytecode
 * filters are not run: ss filters what it receives itself.
 *
 * Families and protocols Strata has no sockets of (IPv6, raw, SCTP,
 * AF_UNIX, AF_PACKET, netlink...) are answered with an empty dump, never
 * an error: an error makes ss read the host's /proc/net files instead,
 * which would list the host's sockets as the namespace's.
 */
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "ctl/diag.h"
#include "ctl/rtnl.h"

_Static_assert((int)DIAG_MEM_VARS == (int)SK_MEMINFO_VARS, "SK_MEMINFO_* order");
_Static_assert(NETLINK_SOCK_DIAG_ == 4, "NETLINK_SOCK_DIAG");

struct diag_dump {
        struct rtnl_req *req;
        uint16_t type;
        uint16_t flags;
        uint8_t family, ext;
        uint32_t states;
        bool one; /* not a dump: only the socket named by id */
        struct inet_diag_sockid id;
        int found;
        bool destroy;    /* SOCK_DESTROY: find, do not describe */
        struct sock *sk; /* what was found */
};

static void put_sockid(struct inet_diag_sockid *id, const struct diag_sk *d)
{
        memset(id, 0, sizeof(*id));
        id->idiag_sport = htons(d->sport);
        id->idiag_dport = htons(d->dport);
        id->idiag_src[0] = htonl(d->saddr);
        id->idiag_dst[0] = htonl(d->daddr);
        id->idiag_if = d->ifindex;
        id->idiag_cookie[0] = (uint32_t)d->cookie;
        id->idiag_cookie[1] = (uint32_t)(d->cookie >> 32);
}

/* inet_sk_diag_fill */
static void diag_fill(struct diag_dump *dd, const struct diag_sk *d)
{
        struct nl_out *o = dd->req->out;
        struct inet_diag_msg m;
        memset(&m, 0, sizeof(m));
        m.idiag_family = d->family;
        m.idiag_state = d->state;
        m.idiag_timer = d->timer;
        m.idiag_retrans = d->retrans;
        put_sockid(&m.id, d);
        m.idiag_expires = d->expires;
        m.idiag_rqueue = d->rqueue;
        m.idiag_wqueue = d->wqueue;
        m.idiag_uid = d->uid;
        m.idiag_inode = d->inode;
        uint8_t ext = dd->ext;
        nlmsg_begin(o, dd->type, dd->flags, dd->req->msg->seq);
        nl_put(o, &m, sizeof(m));
        nla_put_u8(o, INET_DIAG_SHUTDOWN, d->shutdown);
        if (ext & (1u << (INET_DIAG_TOS - 1)))
                nla_put_u8(o, INET_DIAG_TOS, d->tos);
        if (dd->req->uid == 0)
                nla_put_u32(o, INET_DIAG_MARK, d->mark); /* CAP_NET_ADMIN only */
        if (ext & ((1u << (INET_DIAG_CLASS_ID - 1)) | (1u << (INET_DIAG_TCLASS - 1))))
                nla_put_u32(o, INET_DIAG_CLASS_ID, d->priority); /* no cgroup class */
        nla_put_u64(o, INET_DIAG_CGROUP_ID, 0);
        struct inet_diag_sockopt so;
        memset(&so, 0, sizeof(so));
        so.is_icsk = d->is_tcp;
        so.mc_loop = 1;
        so.mc_all = 1;
        nla_put(o, INET_DIAG_SOCKOPT, &so, sizeof(so));
        if (ext & (1u << (INET_DIAG_MEMINFO - 1))) {
                struct inet_diag_meminfo mi = {
                        .idiag_rmem = d->mem[DIAG_MEM_RMEM_ALLOC],
                        .idiag_wmem = d->mem[DIAG_MEM_WMEM_QUEUED],
                        .idiag_fmem = d->mem[DIAG_MEM_FWD_ALLOC],
                        .idiag_tmem = d->mem[DIAG_MEM_WMEM_ALLOC],
                };
                nla_put(o, INET_DIAG_MEMINFO, &mi, sizeof(mi));
        }
        if (ext & (1u << (INET_DIAG_SKMEMINFO - 1)))
                nla_put(o, INET_DIAG_SKMEMINFO, d->mem, sizeof(d->mem));
        if (d->is_tcp) {
                if (ext & (1u << (INET_DIAG_INFO - 1)))
                        nla_put(o, INET_DIAG_INFO, d->tcp_info, d->tcp_info_len);
                if ((ext & (1u << (INET_DIAG_CONG - 1))) && d->cong[0])
                        nla_put_str(o, INET_DIAG_CONG, d->cong);
        }
        nlmsg_end(o);
}

static bool id_matches(const struct inet_diag_sockid *want, const struct diag_sk *d)
{
        struct inet_diag_sockid have;
        put_sockid(&have, d);
        if (want->idiag_sport != have.idiag_sport || want->idiag_dport != have.idiag_dport ||
            want->idiag_src[0] != have.idiag_src[0] || want->idiag_dst[0] != have.idiag_dst[0])
                return false;
        if (want->idiag_if && want->idiag_if != have.idiag_if)
                return false;
        /* INET_DIAG_NOCOOKIE: any; else it must be this socket's */
        if (want->idiag_cookie[0] == INET_DIAG_NOCOOKIE &&
            want->idiag_cookie[1] == INET_DIAG_NOCOOKIE)
                return true;
        return want->idiag_cookie[0] == have.idiag_cookie[0] &&
               want->idiag_cookie[1] == have.idiag_cookie[1];
}

/* diag_want_fn: a dump skips unwanted states, and the sockets an earlier
 * batch sent, before they are described (struct nl_out's skip, counted
 * here as nlmsg_begin would count them). */
static bool diag_want(uint8_t state, void *ctx)
{
        struct diag_dump *dd = ctx;
        if (dd->one)
                return true;
        if (!(dd->states & (1u << state)))
                return false;
        struct nl_out *o = dd->req->out;
        if (o->budget && o->index < o->skip) {
                o->index++;
                return false;
        }
        return !(o->budget && o->cut); /* past the batch: dropped anyway */
}

static int diag_visit(const struct diag_sk *d, void *ctx)
{
        struct diag_dump *dd = ctx;
        if (dd->one) {
                if (!id_matches(&dd->id, d))
                        return 0;
                dd->found = 1;
                dd->sk = d->sk;
                if (!dd->destroy)
                        diag_fill(dd, d);
                return 1; /* one is enough */
        }
        if (!(dd->states & (1u << d->state)))
                return 0;
        diag_fill(dd, d);
        return dd->req->out->err;
}

static int diag_run(struct rtnl_req *req, struct diag_dump *dd, int protocol)
{
        const struct nl_msg *m = req->msg;
        dd->req = req;
        dd->type = m->type;
        dd->one = !(m->flags & NLM_F_DUMP_);
        dd->flags = dd->one ? 0 : NLM_F_MULTI_;
        if (dd->family == AF_INET && (protocol == IPPROTO_TCP || protocol == IPPROTO_UDP)) {
                int err = diag_walk(req->net, protocol, diag_want, diag_visit, dd);
                if (err < 0)
                        return err;
                if (req->out->err)
                        return req->out->err;
        }
        if (dd->one)
                return dd->found ? 1 : -ENOENT; /* the reply is the answer: no ACK */
        req->dump = true;
        nlmsg_done(req->out, m->seq);
        return 1;
}

int diag_rcv(struct rtnl_req *req)
{
        const struct nl_msg *m = req->msg;
        struct diag_dump dd;
        memset(&dd, 0, sizeof(dd));
        switch (m->type) {
        case SOCK_DIAG_BY_FAMILY: {
                struct inet_diag_req_v2 r;
                if (m->payload_len < sizeof(struct sock_diag_req))
                        return -EINVAL;
                uint8_t family = m->payload[0];
                if (family >= AF_MAX)
                        return -EINVAL;
                if (family != AF_INET && family != AF_INET6) {
                        /* AF_UNIX, AF_PACKET, AF_NETLINK...: none here */
                        dd.family = family;
                        return diag_run(req, &dd, 0);
                }
                if (m->payload_len < sizeof(r))
                        return -EINVAL;
                memcpy(&r, m->payload, sizeof(r));
                dd.family = r.sdiag_family;
                dd.ext = r.idiag_ext;
                dd.states = r.idiag_states;
                dd.id = r.id;
                int protocol = r.sdiag_protocol;
                /* INET_DIAG_REQ_PROTOCOL overrides the u8 (IPPROTO_MPTCP) */
                struct nl_attr tb[INET_DIAG_REQ_PROTOCOL + 1];
                if (nla_parse(tb, INET_DIAG_REQ_PROTOCOL, m->payload + sizeof(r),
                              m->payload_len - sizeof(r)) < 0)
                        return -EINVAL;
                if (tb[INET_DIAG_REQ_PROTOCOL].data) {
                        uint32_t p;
                        if (tb[INET_DIAG_REQ_PROTOCOL].len != 4 ||
                            nla_get_u32(&tb[INET_DIAG_REQ_PROTOCOL], &p) < 0)
                                return -EINVAL;
                        protocol = (int)p;
                }
                return diag_run(req, &dd, protocol);
        }
        case TCPDIAG_GETSOCK:
        case DCCPDIAG_GETSOCK: {
                struct inet_diag_req r;
                if (m->payload_len < sizeof(r))
                        return -EINVAL;
                memcpy(&r, m->payload, sizeof(r));
                dd.family = r.idiag_family;
                dd.ext = r.idiag_ext;
                dd.states = r.idiag_states;
                dd.id = r.id;
                return diag_run(req, &dd, m->type == TCPDIAG_GETSOCK ? IPPROTO_TCP : IPPROTO_DCCP);
        }
        case SOCK_DESTROY: {
                /* inet_diag_cmd_exact + sock_diag_destroy: the socket named
                 * exactly (cookie included), CAP_NET_ADMIN */
                struct inet_diag_req_v2 r;
                if (m->payload_len < sizeof(r))
                        return -EINVAL;
                memcpy(&r, m->payload, sizeof(r));
                if (r.sdiag_family != AF_INET || (r.sdiag_protocol != IPPROTO_TCP &&
                                                  r.sdiag_protocol != IPPROTO_UDP))
                        return r.sdiag_family == AF_INET6 ? -ENOENT : -EINVAL;
                dd.family = r.sdiag_family;
                dd.id = r.id;
                dd.one = true;
                dd.destroy = true;
                dd.req = req;
                int err = diag_walk(req->net, r.sdiag_protocol, NULL, diag_visit, &dd);
                if (err < 0)
                        return err;
                if (!dd.found)
                        return -ENOENT;
                if (req->uid != 0)
                        return -EPERM;
                return diag_destroy(dd.sk);
        }
        default:
                return -EINVAL;
        }
}
