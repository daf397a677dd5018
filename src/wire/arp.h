/*
 * ARP (RFC 826) for Ethernet hardware and IPv4 protocol addresses only.
 */
#ifndef STRATA_WIRE_ARP_H
#define STRATA_WIRE_ARP_H

#include <stddef.h>
#include <stdint.h>

#include "wire.h"

#define ARP_HLEN      28 /* Ethernet/IPv4 ARP packet */
#define ARPHRD_ETHER  1
#define ARPOP_REQUEST 1
#define ARPOP_REPLY   2

struct arp_repr {
        uint16_t op;    /* ARPOP_* */
        uint8_t sha[6]; /* sender hardware address */
        uint32_t spa;   /* sender protocol address, host order */
        uint8_t tha[6]; /* target hardware address */
        uint32_t tpa;   /* target protocol address, host order */
};

/* Parse an ARP packet (the bytes after the Ethernet header).
 * WIRE_TRUNCATED if shorter than the 8-byte fixed part; then
 * WIRE_BAD_HWTYPE unless htype=1, ptype=0x0800, hlen=6, plen=4; then
 * WIRE_TRUNCATED if shorter than the 28 bytes those sizes make.
 * The op is not checked (the caller decides what to do with unknown ops). */
enum wire_status arp_parse(const uint8_t *buf, size_t len, struct arp_repr *out);

/* Write a 28-byte Ethernet/IPv4 ARP packet; returns ARP_HLEN or 0 if cap is
 * too small. */
size_t arp_emit(const struct arp_repr *r, uint8_t *buf, size_t cap);

#endif
