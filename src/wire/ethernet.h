/*
 * Ethernet II frame header (IEEE 802.3 with EtherType), no FCS.
 */
#ifndef STRATA_WIRE_ETHERNET_H
#define STRATA_WIRE_ETHERNET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wire.h"

#define ETH_ALEN     6
#define ETH_HLEN     14
#define ETH_ZLEN     60 /* minimum frame without FCS: short frames are padded */
#define ETH_DATA_LEN 1500
#define ETH_P_IP     0x0800
#define ETH_P_ARP    0x0806
#define ETH_P_8021Q  0x8100
#define ETH_P_IPV6   0x86DD

struct eth_repr {
        uint8_t dst[ETH_ALEN];
        uint8_t src[ETH_ALEN];
        uint16_t ethertype; /* host order */
};

/* Parse the 14-byte header at buf.  WIRE_TRUNCATED if len < ETH_HLEN. */
enum wire_status eth_parse(const uint8_t *buf, size_t len, struct eth_repr *out);

/* Write the header to buf; returns ETH_HLEN, or 0 if cap < ETH_HLEN. */
size_t eth_emit(const struct eth_repr *r, uint8_t *buf, size_t cap);

static inline bool eth_addr_is_multicast(const uint8_t *a)
{
        return a[0] & 1;
}

static inline bool eth_addr_is_broadcast(const uint8_t *a)
{
        return (a[0] & a[1] & a[2] & a[3] & a[4] & a[5]) == 0xff;
}

static inline bool eth_addr_is_zero(const uint8_t *a)
{
        return (a[0] | a[1] | a[2] | a[3] | a[4] | a[5]) == 0;
}

/* A valid unicast station address: not multicast, not all zeros. */
static inline bool eth_addr_is_valid(const uint8_t *a)
{
        return !eth_addr_is_multicast(a) && !eth_addr_is_zero(a);
}

/* Format as "aa:bb:cc:dd:ee:ff" into buf (at least 18 bytes); returns buf. */
char *eth_addr_fmt(const uint8_t *a, char *buf);

#endif
