/*
 * ICMP for IPv4: the 8-byte header and a pointer to what follows.  The
 * meaning of bytes 4..7 depends on the type, so they are kept as one raw
 * 32-bit value and interpreted by the ICMP layer.
 */
#include "icmp.h"

#include <string.h>

#include "bytes.h"
#include "checksum.h"

enum wire_status icmp_parse(const uint8_t *buf, size_t len, bool verify_csum, struct icmp_repr *out)
{
        if (len < ICMP_HLEN)
                return WIRE_TRUNCATED;
        /* The checksum covers the whole message, payload included. */
        if (verify_csum && ip_compute_csum(buf, len) != 0)
                return WIRE_BAD_CSUM;
        out->type = buf[0];
        out->code = buf[1];
        out->checksum = get_be16(buf + 2);
        out->rest = get_be32(buf + 4);
        out->payload = buf + ICMP_HLEN;
        out->payload_len = len - ICMP_HLEN;
        return WIRE_OK;
}

size_t icmp_emit(const struct icmp_repr *r, uint8_t *buf, size_t cap)
{
        if (r->payload_len > SIZE_MAX - ICMP_HLEN || cap < ICMP_HLEN + r->payload_len)
                return 0;
        if (r->payload_len && !r->payload)
                return 0;

        size_t len = ICMP_HLEN + r->payload_len;

        /* memmove: the payload may overlap buf (an echo reply built in the
         * request's buffer, shifted or not). */
        if (r->payload_len && r->payload != buf + ICMP_HLEN)
                memmove(buf + ICMP_HLEN, r->payload, r->payload_len);
        buf[0] = r->type;
        buf[1] = r->code;
        put_be16(buf + 2, 0);
        put_be32(buf + 4, r->rest);
        put_be16(buf + 2, ip_compute_csum(buf, len));
        return len;
}
