/*
 * SipHash-2-4 (Aumasson and Bernstein, "SipHash: a fast short-input PRF",
 * 2012): a keyed 64-bit hash, the one Linux's lib/siphash.c computes.  TCP
 * Fast Open cookies are SipHash of the addresses under the server's key, so
 * Strata computes exactly the cookie a Linux server with the same key would.
 * Pure: no state, no allocation.
 */
#ifndef STRATA_CORE_SIPHASH_H
#define STRATA_CORE_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

/* The 128-bit key as two 64-bit words, as Linux's siphash_key_t. */
struct siphash_key {
        uint64_t key[2];
};

/* SipHash-2-4 of len bytes at data under key. */
uint64_t siphash(const void *data, size_t len, const struct siphash_key *key);

#endif
