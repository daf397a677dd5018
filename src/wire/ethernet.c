/*
 * Ethernet II header: parse, emit and address formatting.  The FCS is never
 * seen (devices strip it), and padding of short frames is the transmit
 * path's business, not the header's.
 */
#include "ethernet.h"

#include <stdio.h>
#include <string.h>

#include "bytes.h"

enum wire_status eth_parse(const uint8_t *buf, size_t len, struct eth_repr *out)
{
        if (len < ETH_HLEN)
                return WIRE_TRUNCATED;
        memcpy(out->dst, buf, ETH_ALEN);
        memcpy(out->src, buf + 6, ETH_ALEN);
        out->ethertype = get_be16(buf + 12);
        return WIRE_OK;
}

size_t eth_emit(const struct eth_repr *r, uint8_t *buf, size_t cap)
{
        if (cap < ETH_HLEN)
                return 0;
        memcpy(buf, r->dst, ETH_ALEN);
        memcpy(buf + 6, r->src, ETH_ALEN);
        put_be16(buf + 12, r->ethertype);
        return ETH_HLEN;
}

char *eth_addr_fmt(const uint8_t *a, char *buf)
{
        snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", a[0], a[1], a[2], a[3], a[4], a[5]);
        return buf;
}
