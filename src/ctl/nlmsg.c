/*
 * Netlink framing: walking messages and attributes of untrusted requests,
 * and building replies into datagrams.  See nlmsg.h for the contract.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/nlmsg.h"

int nlmsg_next(const uint8_t *buf, size_t len, size_t *off, struct nl_msg *m)
{
        if (*off >= len || len - *off < NL_HDRLEN)
                return 0; /* end, or zero padding shorter than a header */
        const uint8_t *p = buf + *off;
        size_t left = len - *off;
        uint32_t mlen = nl_rd32(p);
        if (mlen < NL_HDRLEN || mlen > left)
                return -EINVAL;
        m->len = mlen;
        m->type = nl_rd16(p + 4);
        m->flags = nl_rd16(p + 6);
        m->seq = nl_rd32(p + 8);
        m->pid = nl_rd32(p + 12);
        m->raw = p;
        m->payload = p + NL_HDRLEN;
        m->payload_len = mlen - NL_HDRLEN;
        size_t step = NL_ALIGN((size_t)mlen);
        *off += step > left ? left : step;
        return 1;
}

int nla_parse(struct nl_attr *tb, int maxtype, const uint8_t *buf, size_t len)
{
        memset(tb, 0, sizeof(*tb) * (size_t)(maxtype + 1));
        size_t off = 0;
        while (len - off >= NLA_HDRLEN_) {
                uint16_t alen = nl_rd16(buf + off);
                uint16_t atype = nl_rd16(buf + off + 2);
                if (alen < NLA_HDRLEN_ || alen > len - off)
                        return -EINVAL;
                uint16_t t = atype & NLA_TYPE_MASK_;
                if (t <= maxtype) {
                        tb[t].data = buf + off + NLA_HDRLEN_;
                        tb[t].len = (uint16_t)(alen - NLA_HDRLEN_);
                        tb[t].nested = (atype & NLA_F_NESTED_) != 0;
                }
                size_t step = NL_ALIGN((size_t)alen);
                if (step > len - off)
                        break;
                off += step;
        }
        return 0;
}

int nla_get_u8(const struct nl_attr *a, uint8_t *out)
{
        if (!a->data || a->len < 1)
                return -EINVAL;
        *out = a->data[0];
        return 0;
}

int nla_get_u16(const struct nl_attr *a, uint16_t *out)
{
        if (!a->data || a->len < 2)
                return -EINVAL;
        *out = nl_rd16(a->data);
        return 0;
}

int nla_get_u32(const struct nl_attr *a, uint32_t *out)
{
        if (!a->data || a->len < 4)
                return -EINVAL;
        *out = nl_rd32(a->data);
        return 0;
}

int nla_get_in_addr(const struct nl_attr *a, uint32_t *out)
{
        if (!a->data || a->len < 4)
                return -EINVAL;
        const uint8_t *p = a->data;
        *out = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
        return 0;
}

int nla_get_str(const struct nl_attr *a, char *buf, size_t cap)
{
        if (!a->data || cap == 0)
                return -EINVAL;
        size_t n = strnlen((const char *)a->data, a->len);
        if (n >= cap)
                return -EINVAL;
        memcpy(buf, a->data, n);
        buf[n] = 0;
        return 0;
}

/* --- emitting --------------------------------------------------------------- */

void nl_out_init(struct nl_out *o, uint32_t portid)
{
        memset(o, 0, sizeof(*o));
        o->portid = portid;
}

void nl_out_free(struct nl_out *o)
{
        struct nl_dgram *d = o->head;
        while (d) {
                struct nl_dgram *next = d->next;
                free(d->data);
                free(d);
                d = next;
        }
        o->head = o->tail = NULL;
}

static struct nl_dgram *dgram_new(struct nl_out *o)
{
        struct nl_dgram *d = calloc(1, sizeof(*d));
        if (!d) {
                o->err = -ENOMEM;
                return NULL;
        }
        if (o->tail)
                o->tail->next = d;
        else
                o->head = d;
        o->tail = d;
        return d;
}

/* Room for n more bytes in the tail datagram; NULL (and err) on failure. */
static uint8_t *reserve(struct nl_out *o, size_t n)
{
        if (o->err || !o->in_msg)
                return NULL;
        struct nl_dgram *d = o->tail;
        if (n > NL_REQ_MAX || d->len + n > (size_t)UINT32_MAX / 2) {
                o->err = -EMSGSIZE;
                return NULL;
        }
        if (d->len + n > d->cap) {
                size_t cap = d->cap ? d->cap : 4096;
                while (cap < d->len + n)
                        cap *= 2;
                uint8_t *nd = realloc(d->data, cap);
                if (!nd) {
                        o->err = -ENOMEM;
                        return NULL;
                }
                d->data = nd;
                d->cap = cap;
        }
        uint8_t *p = d->data + d->len;
        memset(p, 0, n);
        d->len += n;
        return p;
}

static void wr16(uint8_t *p, uint16_t v)
{
        memcpy(p, &v, 2);
}
static void wr32(uint8_t *p, uint32_t v)
{
        memcpy(p, &v, 4);
}

void nlmsg_begin(struct nl_out *o, uint16_t type, uint16_t flags, uint32_t seq)
{
        if (o->err)
                return;
        if (o->budget) {
                /* dropped messages leave in_msg false: every put on them
                 * is a no-op, nothing is built */
                o->in_msg = false;
                if (o->index++ < o->skip)
                        return;
                if (o->cut || o->bytes >= o->budget) {
                        o->cut = true;
                        return;
                }
                o->kept++;
                o->pos[0] = o->pos_next[0];
                o->pos[1] = o->pos_next[1];
                if (o->intr)
                        flags |= NLM_F_DUMP_INTR_;
        }
        if (!o->tail && !dgram_new(o))
                return;
        o->msg_start = o->tail->len;
        o->in_msg = true;
        uint8_t *h = reserve(o, NL_HDRLEN);
        if (!h) {
                o->in_msg = false;
                return;
        }
        wr16(h + 4, type);
        wr16(h + 6, flags);
        wr32(h + 8, seq);
        wr32(h + 12, o->portid);
}

void nlmsg_end(struct nl_out *o)
{
        if (o->err || !o->in_msg)
                return;
        struct nl_dgram *d = o->tail;
        size_t mlen = d->len - o->msg_start;
        wr32(d->data + o->msg_start, (uint32_t)mlen);
        o->in_msg = false;
        o->bytes += mlen;
        if (d->len > NL_DGRAM_SOFT && o->msg_start > 0) {
                /* move this message to a datagram of its own */
                uint8_t *copy = malloc(mlen);
                struct nl_dgram *nd = copy ? dgram_new(o) : NULL;
                if (!nd) {
                        free(copy);
                        o->err = -ENOMEM;
                        return;
                }
                memcpy(copy, d->data + o->msg_start, mlen);
                d->len = o->msg_start;
                nd->data = copy;
                nd->len = nd->cap = mlen;
        }
        if (o->tail->len >= NL_DGRAM_SOFT)
                dgram_new(o); /* next message starts a new datagram */
}

void nlmsg_cancel(struct nl_out *o)
{
        if (!o->in_msg || !o->tail)
                return;
        o->tail->len = o->msg_start;
        o->in_msg = false;
}

void nl_put(struct nl_out *o, const void *data, size_t len)
{
        uint8_t *p = reserve(o, NL_ALIGN(len));
        if (p && len)
                memcpy(p, data, len);
}

void nla_put(struct nl_out *o, uint16_t type, const void *data, size_t len)
{
        if (len > 0xffff - NLA_HDRLEN_) {
                o->err = o->err ? o->err : -EMSGSIZE;
                return;
        }
        uint8_t *p = reserve(o, NL_ALIGN(NLA_HDRLEN_ + len));
        if (!p)
                return;
        wr16(p, (uint16_t)(NLA_HDRLEN_ + len));
        wr16(p + 2, type);
        if (len)
                memcpy(p + NLA_HDRLEN_, data, len);
}

void nla_put_u8(struct nl_out *o, uint16_t type, uint8_t v)
{
        nla_put(o, type, &v, 1);
}
void nla_put_u16(struct nl_out *o, uint16_t type, uint16_t v)
{
        nla_put(o, type, &v, 2);
}
void nla_put_u32(struct nl_out *o, uint16_t type, uint32_t v)
{
        nla_put(o, type, &v, 4);
}
void nla_put_u64(struct nl_out *o, uint16_t type, uint64_t v)
{
        nla_put(o, type, &v, 8);
}
void nla_put_str(struct nl_out *o, uint16_t type, const char *s)
{
        nla_put(o, type, s, strlen(s) + 1);
}
void nla_put_in_addr(struct nl_out *o, uint16_t type, uint32_t a)
{
        uint8_t b[4] = { (uint8_t)(a >> 24), (uint8_t)(a >> 16), (uint8_t)(a >> 8), (uint8_t)a };
        nla_put(o, type, b, 4);
}

size_t nla_nest_start_noflag(struct nl_out *o, uint16_t type)
{
        if (o->err || !o->in_msg)
                return 0;
        size_t at = o->tail->len;
        uint8_t *p = reserve(o, NLA_HDRLEN_);
        if (!p)
                return 0;
        wr16(p + 2, type);
        return at - o->msg_start + 1; /* +1: 0 means "failed" */
}

size_t nla_nest_start(struct nl_out *o, uint16_t type)
{
        return nla_nest_start_noflag(o, type | NLA_F_NESTED_);
}

void nla_nest_end(struct nl_out *o, size_t handle)
{
        if (o->err || !o->in_msg || handle == 0)
                return;
        size_t at = o->msg_start + handle - 1;
        size_t n = o->tail->len - at;
        if (n > 0xffff) {
                o->err = -EMSGSIZE;
                return;
        }
        wr16(o->tail->data + at, (uint16_t)n);
}

void nlmsg_error(struct nl_out *o, const struct nl_msg *req, int err, const char *msg)
{
        uint16_t flags = 0;
        size_t echo = err ? req->len : NL_HDRLEN;
        if (!err)
                flags |= NLM_F_CAPPED_;
        if (msg)
                flags |= NLM_F_ACK_TLVS_;
        nlmsg_begin(o, NLMSG_ERROR_, flags, req->seq);
        int32_t e = err;
        nl_put(o, &e, 4);
        nl_put(o, req->raw, echo);
        if (msg)
                nla_put_str(o, NLMSGERR_ATTR_MSG_, msg);
        nlmsg_end(o);
}

void nlmsg_done(struct nl_out *o, uint32_t seq)
{
        nlmsg_begin(o, NLMSG_DONE_, NLM_F_MULTI_, seq);
        int32_t zero = 0;
        nl_put(o, &zero, 4);
        nlmsg_end(o);
}
