/*
 * Netlink codec: the framing every netlink family shares -- message headers
 * (struct nlmsghdr), attributes (struct nlattr, nested, 4-byte aligned),
 * and the control messages NLMSG_ERROR, NLMSG_DONE and the ACK -- parsed
 * from and emitted to byte buffers.
 *
 * Parsing never lays a struct over the buffer: fields are read with memcpy
 * in host byte order (netlink is host-endian).  Every length is checked
 * once, at the walk: a message shorter than its header or running past the
 * end of the datagram is malformed (-EINVAL); trailing bytes shorter than
 * a header end the walk, because clients pad their requests with zeros.
 *
 * Emitting goes to a struct nl_out: a list of datagrams, each filled with
 * whole messages up to NL_DGRAM_SOFT bytes, as the kernel fills one skb per
 * recvmsg of a dump.  Positions inside the message being built are offsets,
 * never pointers, so the buffer may grow.  An allocation failure is sticky
 * (out->err) and turns later calls into no-ops; the caller checks once.
 */
#ifndef STRATA_CTL_NLMSG_H
#define STRATA_CTL_NLMSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NL_ALIGN(n)   (((n) + 3u) & ~(size_t)3u)
#define NL_HDRLEN     16u        /* struct nlmsghdr */
#define NLA_HDRLEN_   4u         /* struct nlattr */
#define NL_DGRAM_SOFT 16384u     /* fill a reply datagram up to this, as a dump skb */
#define NL_REQ_MAX    (1u << 20) /* largest request datagram accepted */

/* Linux's control message types and header flags (<linux/netlink.h>). */
#define NLMSG_NOOP_     0x1
#define NLMSG_ERROR_    0x2
#define NLMSG_DONE_     0x3
#define NLMSG_OVERRUN_  0x4
#define NLMSG_MIN_TYPE_ 0x10

#define NLM_F_REQUEST_     0x01
#define NLM_F_MULTI_       0x02
#define NLM_F_ACK_         0x04
#define NLM_F_ECHO_        0x08
#define NLM_F_DUMP_INTR_   0x10
#define NLM_F_ROOT_        0x100
#define NLM_F_MATCH_       0x200
#define NLM_F_DUMP_        (NLM_F_ROOT_ | NLM_F_MATCH_)
#define NLM_F_REPLACE_     0x100
#define NLM_F_EXCL_        0x200
#define NLM_F_CREATE_      0x400
#define NLM_F_APPEND_      0x800
#define NLM_F_CAPPED_      0x100 /* in NLMSG_ERROR: request not echoed whole */
#define NLM_F_ACK_TLVS_    0x200 /* in NLMSG_ERROR: extended ack attributes follow */
#define NLMSGERR_ATTR_MSG_ 1

#define NLA_F_NESTED_        0x8000
#define NLA_F_NET_BYTEORDER_ 0x4000
#define NLA_TYPE_MASK_       0x3fff

/* One message of a datagram, as parsed. */
struct nl_msg {
        uint32_t len; /* nlmsg_len: header + payload */
        uint16_t type;
        uint16_t flags;
        uint32_t seq;
        uint32_t pid;
        const uint8_t *raw;     /* the header */
        const uint8_t *payload; /* right after the header */
        size_t payload_len;
};

/* One attribute (tb[type] after nla_parse; data NULL when absent). */
struct nl_attr {
        const uint8_t *data;
        uint16_t len; /* payload bytes */
        bool nested;  /* NLA_F_NESTED was set */
};

/*
 * Next message of buf[0, len) from *off.  Returns 1 and fills m (advancing
 * *off past the aligned message), 0 at the end (fewer than NL_HDRLEN bytes
 * left: zero padding), or -EINVAL when the header's length is shorter than
 * a header or runs past the end.
 */
int nlmsg_next(const uint8_t *buf, size_t len, size_t *off, struct nl_msg *m);

/*
 * Parse the attributes in buf[0, len) into tb[0..maxtype] (zeroed first;
 * the last occurrence of a type wins, as the kernel's nla_parse).  Types
 * above maxtype are skipped.  Returns 0, or -EINVAL for an attribute whose
 * length is shorter than its header or runs past the end (bytes left that
 * are shorter than a header are ignored, as the kernel does).
 */
int nla_parse(struct nl_attr *tb, int maxtype, const uint8_t *buf, size_t len);

/* Typed reads: 0 and *out, or -EINVAL when the attribute is shorter than
 * the type ("absent" is the caller's business: check tb[t].data). */
int nla_get_u8(const struct nl_attr *a, uint8_t *out);
int nla_get_u16(const struct nl_attr *a, uint16_t *out);
int nla_get_u32(const struct nl_attr *a, uint32_t *out);
/* An IPv4 address attribute (network order on the wire) in host order. */
int nla_get_in_addr(const struct nl_attr *a, uint32_t *out);
/* A NUL-terminated (or length-bounded) string into buf[cap]; -EINVAL when
 * it does not fit (as the kernel's NLA_NUL_STRING with a maximum). */
int nla_get_str(const struct nl_attr *a, char *buf, size_t cap);

/* Host-order reads from a byte buffer (for the family headers). */
static inline uint32_t nl_rd32(const uint8_t *p)
{
        uint32_t v;
        __builtin_memcpy(&v, p, 4);
        return v;
}
static inline uint16_t nl_rd16(const uint8_t *p)
{
        uint16_t v;
        __builtin_memcpy(&v, p, 2);
        return v;
}

/* --- emitting --------------------------------------------------------------- */

struct nl_dgram {
        struct nl_dgram *next;
        uint8_t *data;
        size_t len, cap;
};

struct nl_out {
        struct nl_dgram *head, *tail;
        uint32_t portid;  /* stamped into every message (nlmsg_pid) */
        size_t msg_start; /* offset in tail of the message being built */
        bool in_msg;
        int err; /* sticky: -ENOMEM */
        /* A dump answered a batch at a time, as the kernel's netlink_dump
         * fills one skb per recvmsg: with budget set, messages are numbered
         * as they are begun; the first skip are dropped unbuilt (an earlier
         * batch sent them), and once budget bytes are kept every later one
         * is dropped too and cut is set.  Dumps are deterministic walks, so
         * the next batch re-walks with skip = skip + kept. */
        size_t budget;  /* 0: no limit */
        uint32_t skip;  /* messages to drop first */
        uint32_t index; /* messages begun so far */
        uint32_t kept;  /* messages kept */
        size_t bytes;   /* bytes kept */
        bool cut;       /* a message was dropped for the budget */
        /* A dump that resumes by position instead (as the kernel's dumps
         * keep cb->args): it sets positioned, names each message's
         * position in pos_next before beginning it, and on the next batch
         * starts after resume (when resuming) with nothing skipped.  pos
         * is the position of the last message kept. */
        bool positioned, resuming;
        uint64_t pos_next[2], pos[2], resume[2];
        /* The namespace changed since the dump's first batch: every
         * message of this one says so (NLM_F_DUMP_INTR), as the kernel's
         * nl_dump_check_consistent. */
        bool intr;
};

void nl_out_init(struct nl_out *o, uint32_t portid);
void nl_out_free(struct nl_out *o);

/* Start a message (header filled, length patched by nlmsg_end). */
void nlmsg_begin(struct nl_out *o, uint16_t type, uint16_t flags, uint32_t seq);
/* Finish it: a datagram past NL_DGRAM_SOFT that held earlier messages
 * gives this one a new datagram. */
void nlmsg_end(struct nl_out *o);
/* Drop the message being built. */
void nlmsg_cancel(struct nl_out *o);
/* Append raw payload (a family header), zero-padded to 4 bytes. */
void nl_put(struct nl_out *o, const void *data, size_t len);

void nla_put(struct nl_out *o, uint16_t type, const void *data, size_t len);
void nla_put_u8(struct nl_out *o, uint16_t type, uint8_t v);
void nla_put_u16(struct nl_out *o, uint16_t type, uint16_t v);
void nla_put_u32(struct nl_out *o, uint16_t type, uint32_t v);
void nla_put_u64(struct nl_out *o, uint16_t type, uint64_t v);
void nla_put_str(struct nl_out *o, uint16_t type, const char *s);
/* An IPv4 address given in host order, written in network order. */
void nla_put_in_addr(struct nl_out *o, uint16_t type, uint32_t addr);
/* Nested attributes: start returns a handle for end (which patches the
 * length); NLA_F_NESTED is set on the type. */
size_t nla_nest_start(struct nl_out *o, uint16_t type);
void nla_nest_end(struct nl_out *o, size_t handle);
/* Same, without NLA_F_NESTED (families that predate the flag: IFLA_STATS
 * containers, IFLA_LINKINFO as the kernel emits them). */
size_t nla_nest_start_noflag(struct nl_out *o, uint16_t type);

/*
 * NLMSG_ERROR answering req: err 0 is the ACK (request header only,
 * NLM_F_CAPPED); a negative errno echoes the whole request, as the kernel
 * does.  msg, when not NULL, goes out as the extended-ack message
 * (NLMSGERR_ATTR_MSG, which iproute2 prints as "Error: MSG.").
 */
void nlmsg_error(struct nl_out *o, const struct nl_msg *req, int err, const char *msg);
/* NLMSG_DONE closing a dump (NLM_F_MULTI, int 0 payload). */
void nlmsg_done(struct nl_out *o, uint32_t seq);

#endif
