/*
 * The Internet checksum (RFC 1071) and its incremental update (RFC 1624).
 *
 * The one's-complement sum of 16-bit words is the same value modulo 0xffff
 * whatever width the words are added in, because 2^16 == 1 (mod 0xffff).
 * csum_partial() therefore adds 32-bit words into a 64-bit accumulator --
 * no carry handling inside the loop -- and folds back only once at the end.
 * A 64-bit accumulator cannot overflow for any buffer shorter than 16 GB.
 */
#include "checksum.h"

#include <string.h>

#include "bytes.h"

/* Fold a 64-bit sum to 32 bits, keeping its value modulo 0xffff. */
static uint32_t fold64(uint64_t s)
{
        s = (s & 0xffffffffu) + (s >> 32);
        s = (s & 0xffffffffu) + (s >> 32);
        return (uint32_t)s;
}

uint32_t csum_partial(const void *buf, size_t len, uint32_t sum)
{
        /*
         * Sum native-endian 64-bit loads as two 32-bit halves (no byte swaps
         * in the loop), then turn the folded 16-bit result to big-endian
         * order once: the one's-complement sum commutes with byte swapping
         * (RFC 1071, "byte order independence").
         */
        const uint8_t *p = buf;
        uint64_t s = 0;
        while (len >= 32) {
                uint64_t w[4];
                memcpy(w, p, sizeof(w));
                s += (w[0] & 0xffffffffu) + (w[0] >> 32) + (w[1] & 0xffffffffu) + (w[1] >> 32);
                s += (w[2] & 0xffffffffu) + (w[2] >> 32) + (w[3] & 0xffffffffu) + (w[3] >> 32);
                p += 32;
                len -= 32;
        }
        while (len >= 8) {
                uint64_t w;
                memcpy(&w, p, sizeof(w));
                s += (w & 0xffffffffu) + (w >> 32);
                p += 8;
                len -= 8;
        }
        if (len >= 4) {
                uint32_t w;
                memcpy(&w, p, sizeof(w));
                s += w;
                p += 4;
                len -= 4;
        }
        if (len >= 2) {
                uint16_t w;
                memcpy(&w, p, sizeof(w));
                s += w;
                p += 2;
                len -= 2;
        }
        /* RFC 1071: a trailing odd byte is the high half of a big-endian word
         * whose low half is zero -- in native order, the byte at its address */
        if (len) {
                uint16_t w = 0;
                memcpy(&w, p, 1);
                s += w;
        }
        uint32_t f = fold64(s);
        f = (f & 0xffff) + (f >> 16);
        f = (f & 0xffff) + (f >> 16);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        f = (uint32_t)__builtin_bswap16((uint16_t)f);
#endif
        return fold64((uint64_t)sum + f);
}

uint16_t csum_fold(uint32_t sum)
{
        sum = (sum & 0xffff) + (sum >> 16);
        sum = (sum & 0xffff) + (sum >> 16);
        return (uint16_t)~sum;
}

uint16_t ip_compute_csum(const void *buf, size_t len)
{
        return csum_fold(csum_partial(buf, len, 0));
}

uint32_t csum_tcpudp_ipv4(uint32_t saddr, uint32_t daddr, uint8_t proto, uint16_t len)
{
        /* At most six 16-bit terms: cannot overflow 32 bits. */
        return (saddr >> 16) + (saddr & 0xffff) + (daddr >> 16) + (daddr & 0xffff) + proto + len;
}

/*
 * RFC 1624 eqn. 3, HC' = ~(~HC + ~m + m'), rather than eqn. 2
 * (HC - ~m - m'): eqn. 3 never produces 0xffff where a full recompute would
 * give 0x0000, so both paths store identical bytes.  The one exception is
 * data that becomes all zeros (recompute: 0xffff, eqn. 3: 0x0000), which no
 * IP, TCP or UDP header can be.
 */
void csum_replace2(uint8_t *csum, uint16_t old, uint16_t new_)
{
        uint32_t s = (uint16_t)~get_be16(csum);

        s += (uint16_t)~old;
        s += new_;
        put_be16(csum, csum_fold(s));
}

void csum_replace4(uint8_t *csum, uint32_t old, uint32_t new_)
{
        uint32_t s = (uint16_t)~get_be16(csum);

        s += (uint16_t) ~(old >> 16);
        s += (uint16_t)~old;
        s += new_ >> 16;
        s += new_ & 0xffff;
        put_be16(csum, csum_fold(s));
}
