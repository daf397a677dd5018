/*
 * UDP header (RFC 768).
 */
#ifndef STRATA_WIRE_UDP_H
#define STRATA_WIRE_UDP_H

#include <stddef.h>
#include <stdint.h>

#include "wire.h"

#define UDP_HLEN 8

struct udp_repr {
        uint16_t sport;
        uint16_t dport;
        uint16_t len;   /* header + payload, from the length field */
        uint16_t check; /* as received; 0 means "no checksum" over IPv4 */
};

/* Parse the header of a datagram of buflen bytes: WIRE_TRUNCATED if
 * buflen < 8 or the length field exceeds buflen, WIRE_BAD_LENGTH if the
 * length field is below 8.  Bytes past the length field are padding. */
enum wire_status udp_parse(const uint8_t *buf, size_t buflen, struct udp_repr *out);

/* Write the 8-byte header (check as given); returns 8, or 0 if cap < 8. */
size_t udp_emit(const struct udp_repr *r, uint8_t *buf, size_t cap);

/* The checksum field value for a datagram (header with check = 0, then
 * payload) over IPv4: the pseudo-header sum folded, with 0 sent as 0xffff
 * (RFC 768). */
uint16_t udp_csum_ipv4(uint32_t saddr, uint32_t daddr, const uint8_t *udp, size_t len);

/* Does a received datagram's checksum verify (a zero field always does)? */
int udp_csum_ok_ipv4(uint32_t saddr, uint32_t daddr, const uint8_t *udp, size_t len);

#endif
