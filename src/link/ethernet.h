/*
 * Ethernet on a device: building the link header on the way out and
 * classifying frames on the way in (eth_type_trans), plus the MAC address
 * helpers drivers use.
 */
#ifndef STRATA_LINK_ETHERNET_H
#define STRATA_LINK_ETHERNET_H

#include <stdint.h>

#include "core/netdev.h"

struct net;

/* Receive: set protocol/pkt_type/mac_header and pull the 14-byte header. */
int eth_type_trans(struct sk_buff *skb, struct net_device *dev);
/* Transmit: prepend a header to daddr (NULL: broadcast). */
int eth_header_create(struct sk_buff *skb, struct net_device *dev, uint16_t type,
                      const uint8_t *daddr);
/* A random locally administered unicast MAC, from the namespace's generator
 * (eth_random_addr). */
void eth_random_addr(struct net *net, uint8_t *addr);

#endif
