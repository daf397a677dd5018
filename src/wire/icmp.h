/*
 * ICMP for IPv4 (RFC 792).
 */
#ifndef STRATA_WIRE_ICMP_H
#define STRATA_WIRE_ICMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wire.h"

#define ICMP_HLEN 8

#define ICMP_ECHOREPLY      0
#define ICMP_DEST_UNREACH   3
#define ICMP_SOURCE_QUENCH  4
#define ICMP_REDIRECT       5
#define ICMP_ECHO           8
#define ICMP_TIME_EXCEEDED  11
#define ICMP_PARAMETERPROB  12
#define ICMP_TIMESTAMP      13
#define ICMP_TIMESTAMPREPLY 14
#define NR_ICMP_TYPES       18

/* Codes for ICMP_DEST_UNREACH */
#define ICMP_NET_UNREACH  0
#define ICMP_HOST_UNREACH 1
#define ICMP_PROT_UNREACH 2
#define ICMP_PORT_UNREACH 3
#define ICMP_FRAG_NEEDED  4
#define ICMP_SR_FAILED    5
#define ICMP_NET_UNKNOWN  6
#define ICMP_HOST_UNKNOWN 7
#define ICMP_PKT_FILTERED 13

/* Codes for ICMP_TIME_EXCEEDED */
#define ICMP_EXC_TTL      0
#define ICMP_EXC_FRAGTIME 1

struct icmp_repr {
        uint8_t type;
        uint8_t code;
        uint16_t checksum;      /* as received; computed by icmp_emit */
        uint32_t rest;          /* bytes 4..7: id<<16|seq for echo, gateway, mtu... */
        const uint8_t *payload; /* bytes after the 8-byte header */
        size_t payload_len;
};

static inline uint16_t icmp_echo_id(const struct icmp_repr *r)
{
        return (uint16_t)(r->rest >> 16);
}
static inline uint16_t icmp_echo_seq(const struct icmp_repr *r)
{
        return (uint16_t)r->rest;
}

/* Parse an ICMP message of len bytes; payload points into buf.
 * WIRE_TRUNCATED if len < 8; WIRE_BAD_CSUM if verify_csum and the checksum
 * over all len bytes does not verify. */
enum wire_status icmp_parse(const uint8_t *buf, size_t len, bool verify_csum,
                            struct icmp_repr *out);

/* Write header and payload (payload may already sit at buf + 8, in which
 * case it is not copied) and the checksum.  Returns 8 + payload_len, or 0 if
 * cap is too small. */
size_t icmp_emit(const struct icmp_repr *r, uint8_t *buf, size_t cap);

#endif
