/*
 * SipHash-2-4, written from the paper's description: the message is read in
 * 64-bit little-endian words, the last word carries the remaining bytes and
 * the length in its top byte; two compression rounds per word, four
 * finalization rounds.
 */
#include "core/siphash.h"

static inline uint64_t rotl(uint64_t x, int b)
{
        return (x << b) | (x >> (64 - b));
}

#define SIPROUND                                                                                   \
        do {                                                                                       \
                v0 += v1;                                                                          \
                v1 = rotl(v1, 13);                                                                 \
                v1 ^= v0;                                                                          \
                v0 = rotl(v0, 32);                                                                 \
                v2 += v3;                                                                          \
                v3 = rotl(v3, 16);                                                                 \
                v3 ^= v2;                                                                          \
                v0 += v3;                                                                          \
                v3 = rotl(v3, 21);                                                                 \
                v3 ^= v0;                                                                          \
                v2 += v1;                                                                          \
                v1 = rotl(v1, 17);                                                                 \
                v1 ^= v2;                                                                          \
                v2 = rotl(v2, 32);                                                                 \
        } while (0)

static uint64_t le64(const uint8_t *p, size_t n)
{
        uint64_t v = 0;
        for (size_t i = 0; i < n; i++)
                v |= (uint64_t)p[i] << (8 * i);
        return v;
}

uint64_t siphash(const void *data, size_t len, const struct siphash_key *key)
{
        const uint8_t *p = data;
        uint64_t v0 = 0x736f6d6570736575ull ^ key->key[0];
        uint64_t v1 = 0x646f72616e646f6dull ^ key->key[1];
        uint64_t v2 = 0x6c7967656e657261ull ^ key->key[0];
        uint64_t v3 = 0x7465646279746573ull ^ key->key[1];
        size_t words = len / 8;
        for (size_t i = 0; i < words; i++) {
                uint64_t m = le64(p + 8 * i, 8);
                v3 ^= m;
                SIPROUND;
                SIPROUND;
                v0 ^= m;
        }
        uint64_t b = (uint64_t)len << 56 | le64(p + 8 * words, len % 8);
        v3 ^= b;
        SIPROUND;
        SIPROUND;
        v0 ^= b;
        v2 ^= 0xff;
        SIPROUND;
        SIPROUND;
        SIPROUND;
        SIPROUND;
        return v0 ^ v1 ^ v2 ^ v3;
}
