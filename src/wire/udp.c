/* UDP header parse/emit and its IPv4 checksum. */
#include "udp.h"

#include "bytes.h"
#include "checksum.h"
#include "ipv4.h"

enum wire_status udp_parse(const uint8_t *buf, size_t buflen, struct udp_repr *out)
{
        if (buflen < UDP_HLEN)
                return WIRE_TRUNCATED;
        uint16_t len = get_be16(buf + 4);
        if (len < UDP_HLEN)
                return WIRE_BAD_LENGTH;
        if (len > buflen)
                return WIRE_TRUNCATED;
        out->sport = get_be16(buf);
        out->dport = get_be16(buf + 2);
        out->len = len;
        out->check = get_be16(buf + 6);
        return WIRE_OK;
}

size_t udp_emit(const struct udp_repr *r, uint8_t *buf, size_t cap)
{
        if (cap < UDP_HLEN)
                return 0;
        put_be16(buf, r->sport);
        put_be16(buf + 2, r->dport);
        put_be16(buf + 4, r->len);
        put_be16(buf + 6, r->check);
        return UDP_HLEN;
}

uint16_t udp_csum_ipv4(uint32_t saddr, uint32_t daddr, const uint8_t *udp, size_t len)
{
        uint32_t sum = csum_tcpudp_ipv4(saddr, daddr, IPPROTO_UDP_, (uint16_t)len);
        uint16_t c = csum_fold(csum_partial(udp, len, sum));
        return c ? c : 0xffff;
}

int udp_csum_ok_ipv4(uint32_t saddr, uint32_t daddr, const uint8_t *udp, size_t len)
{
        if (get_be16(udp + 6) == 0)
                return 1;
        uint32_t sum = csum_tcpudp_ipv4(saddr, daddr, IPPROTO_UDP_, (uint16_t)len);
        return csum_fold(csum_partial(udp, len, sum)) == 0;
}
