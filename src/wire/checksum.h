/*
 * The Internet checksum (RFC 1071) and its incremental update (RFC 1624).
 *
 * csum_partial() accumulates a 32-bit one's-complement sum that can be
 * continued over several buffers (pseudo-header, header, payload) and is
 * folded to 16 bits once at the end.  Byte order: the sum is computed over
 * the buffer as big-endian 16-bit words, so the folded result can be written
 * with put_be16().
 */
#ifndef STRATA_WIRE_CHECKSUM_H
#define STRATA_WIRE_CHECKSUM_H

#include <stddef.h>
#include <stdint.h>

/* Add the bytes of buf to sum (odd lengths padded with a zero byte).
 * Continuing a sum over several buffers is only valid when every buffer but
 * the last has an even length. */
uint32_t csum_partial(const void *buf, size_t len, uint32_t sum);

/* Fold a 32-bit accumulated sum to 16 bits and complement it: the value to
 * store in a checksum field. */
uint16_t csum_fold(uint32_t sum);

/* Checksum of one buffer: csum_fold(csum_partial(buf, len, 0)).  A buffer
 * whose checksum field is correct yields 0. */
uint16_t ip_compute_csum(const void *buf, size_t len);

/* Sum of the TCP/UDP IPv4 pseudo-header (addresses host order), to be passed
 * as the initial sum of csum_partial() over the transport header+payload. */
uint32_t csum_tcpudp_ipv4(uint32_t saddr, uint32_t daddr, uint8_t proto, uint16_t len);

/* Incrementally update the big-endian checksum field at csum (2 bytes) after
 * a 16-bit (or 32-bit) header field changed from old to new, per RFC 1624
 * eqn. 3: HC' = ~(~HC + ~m + m').  Values are host order. */
void csum_replace2(uint8_t *csum, uint16_t old, uint16_t new_);
void csum_replace4(uint8_t *csum, uint32_t old, uint32_t new_);

#endif
