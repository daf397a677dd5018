/*
 * MD5 (RFC 1321), for the TCP MD5 signature option (RFC 2385), which BGP
 * speakers still require of their peers.  Incremental: a signature covers
 * a pseudo-header, the TCP header, the payload and the key, fed in turn.
 * Pure: no allocation.
 */
#ifndef STRATA_CORE_MD5_H
#define STRATA_CORE_MD5_H

#include <stddef.h>
#include <stdint.h>

#define MD5_DIGEST_SIZE 16

struct md5_ctx {
        uint32_t state[4];
        uint64_t bytes;      /* fed so far */
        uint8_t block[64];   /* the partial block */
};

void md5_init(struct md5_ctx *c);
void md5_update(struct md5_ctx *c, const void *data, size_t len);
void md5_final(struct md5_ctx *c, uint8_t digest[MD5_DIGEST_SIZE]);

#endif
