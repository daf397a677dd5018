/*
 * IPv4 header (RFC 791) with bounded option parsing.
 *
 * Addresses are host order everywhere inside Strata's IPv4 code; they are
 * converted at the wire (here) and at the socket API boundary.
 */
#ifndef STRATA_WIRE_IPV4_H
#define STRATA_WIRE_IPV4_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wire.h"

#define IPV4_HLEN_MIN 20
#define IPV4_HLEN_MAX 60
#define IP_DF         0x4000
#define IP_MF         0x2000
#define IP_OFFMASK    0x1fff

#define IPPROTO_ICMP_ 1 /* trailing underscore: netinet/in.h may define the plain names */
#define IPPROTO_TCP_  6
#define IPPROTO_UDP_  17

/* Option types (copy bit included, as on the wire). */
#define IPOPT_END  0
#define IPOPT_NOOP 1
#define IPOPT_RR   7
#define IPOPT_TS   68
#define IPOPT_SEC  130
#define IPOPT_LSRR 131
#define IPOPT_SSRR 137
#define IPOPT_RA   148

/*
 * Where each option sits, as offsets from the start of the IP header (0 when
 * absent), in the spirit of Linux's struct ip_options.  Parsing validates
 * lengths and pointers so that later stages can use the offsets blindly.
 */
struct ipv4_options {
        uint8_t optlen; /* bytes of options (ihl - 20) */
        uint8_t srr;    /* LSRR or SSRR option */
        uint8_t rr;     /* record route */
        uint8_t ts;     /* timestamp */
        uint8_t router_alert;
        uint8_t sec; /* security (RFC 1108) */
        bool is_strictroute;
};

struct ipv4_repr {
        uint8_t ihl;      /* header length in bytes (20..60) */
        uint8_t tos;      /* DSCP+ECN byte */
        uint16_t tot_len; /* total length from the header */
        uint16_t id;
        uint16_t frag_off; /* flags (IP_DF, IP_MF) and offset in 8-byte units */
        uint8_t ttl;
        uint8_t protocol;
        uint16_t check; /* as received; ignored by ipv4_emit */
        uint32_t saddr; /* host order */
        uint32_t daddr; /* host order */
        struct ipv4_options opt;
};

/*
 * Validate and parse an IPv4 header at buf (len bytes available, possibly
 * more than tot_len: link-layer padding).  Checks, in Linux's order
 * (ip_rcv_core): len >= 20, version 4, ihl >= 5, len >= ihl, header checksum
 * (when verify_csum), tot_len >= ihl and tot_len <= len; then options.
 * On WIRE_BAD_OPTION, *bad_off (if not NULL) gets the offset from the start
 * of the header of the offending byte, for ICMP parameter problem.
 */
enum wire_status ipv4_parse(const uint8_t *buf, size_t len, bool verify_csum, struct ipv4_repr *out,
                            unsigned *bad_off);

/* Validate the options of a header whose fixed part was already checked:
 * opts points at byte 20 (the first option byte), optlen = ihl - 20;
 * offsets (and *bad_off) count from the start of the IP header.  Rules (as ip_options_compile):
 * EOL ends the list; NOP is one byte; every other option has a length byte
 * >= 2 that fits in what is left; RR/LSRR/SSRR length >= 3 and pointer >= 4;
 * TS length >= 4, pointer >= 5; a second RR, TS, SRR or RA is an error;
 * RA length must be 4. */
enum wire_status ipv4_parse_options(const uint8_t *opts, unsigned optlen, struct ipv4_options *opt,
                                    unsigned *bad_off);

/* Write the header (and r->ihl - 20 bytes of options copied from opts, which
 * may be NULL when ihl is 20) and compute the header checksum.  Returns ihl,
 * or 0 if cap is too small or ihl is invalid. */
size_t ipv4_emit(const struct ipv4_repr *r, const uint8_t *opts, uint8_t *buf, size_t cap);

/* Change the TTL of an emitted header in place, updating the checksum
 * incrementally (the forwarding fast path). */
void ipv4_set_ttl(uint8_t *hdr, uint8_t ttl);

/* Format a host-order address as dotted quad into buf (>= 16 bytes). */
char *ipv4_addr_fmt(uint32_t addr, char *buf);

/* Parse a dotted quad; returns 0 and sets *addr (host order), or -1. */
int ipv4_addr_parse(const char *s, uint32_t *addr);

static inline bool ipv4_is_multicast(uint32_t a)
{
        return (a & 0xf0000000u) == 0xe0000000u;
}
static inline bool ipv4_is_lbcast(uint32_t a)
{
        return a == 0xffffffffu;
}
static inline bool ipv4_is_zeronet(uint32_t a)
{
        return (a & 0xff000000u) == 0;
}
static inline bool ipv4_is_loopback(uint32_t a)
{
        return (a & 0xff000000u) == 0x7f000000u;
}

#endif
