/*
 * ARP packets for Ethernet/IPv4 (RFC 826).  Only the one layout Strata
 * speaks is accepted, so the representation has fixed-size addresses and
 * nothing downstream ever looks at hlen/plen again.
 */
#include "arp.h"

#include <string.h>

#include "bytes.h"

#define ARP_FIXED_LEN 8 /* htype, ptype, hlen, plen, op */

enum wire_status arp_parse(const uint8_t *buf, size_t len, struct arp_repr *out)
{
        if (len < ARP_FIXED_LEN)
                return WIRE_TRUNCATED;

        uint16_t htype = get_be16(buf);
        uint16_t ptype = get_be16(buf + 2);
        uint8_t hlen = buf[4], plen = buf[5];

        /* Sizes first, as arp_rcv() compares them with the device's before
         * trusting them for the length check; once they are 6 and 4 the
         * packet needs exactly ARP_HLEN bytes. */
        if (htype != ARPHRD_ETHER || ptype != 0x0800 || hlen != 6 || plen != 4)
                return WIRE_BAD_HWTYPE;
        if (len < ARP_FIXED_LEN + 2 * (size_t)hlen + 2 * (size_t)plen)
                return WIRE_TRUNCATED;

        out->op = get_be16(buf + 6);
        memcpy(out->sha, buf + 8, 6);
        out->spa = get_be32(buf + 14);
        memcpy(out->tha, buf + 18, 6);
        out->tpa = get_be32(buf + 24);
        return WIRE_OK;
}

size_t arp_emit(const struct arp_repr *r, uint8_t *buf, size_t cap)
{
        if (cap < ARP_HLEN)
                return 0;
        put_be16(buf, ARPHRD_ETHER);
        put_be16(buf + 2, 0x0800);
        buf[4] = 6;
        buf[5] = 4;
        put_be16(buf + 6, r->op);
        memcpy(buf + 8, r->sha, 6);
        put_be32(buf + 14, r->spa);
        memcpy(buf + 18, r->tha, 6);
        put_be32(buf + 24, r->tpa);
        return ARP_HLEN;
}
