/*
 * Seedable pseudo-random numbers, one generator per namespace.
 *
 * Everything random in the stack (ARP timer jitter, IP ids, later ISNs and
 * ephemeral ports) draws from the namespace's generator, so a lab run with
 * a given seed is reproducible.  A seed of 0 asks for one from the host's
 * entropy (getrandom).  xoshiro256** -- fast, and good enough statistically;
 * security-sensitive values (TCP ISN, RFC 6528) will mix in a keyed hash.
 */
#ifndef STRATA_CORE_RANDOM_H
#define STRATA_CORE_RANDOM_H

#include <stdint.h>

struct strata_random {
        uint64_t s[4];
};

void random_seed(struct strata_random *r, uint64_t seed);
uint64_t random_u64(struct strata_random *r);
uint32_t random_u32(struct strata_random *r);
/* Uniform in [0, n) (n > 0), without modulo bias. */
uint32_t random_below(struct strata_random *r, uint32_t n);

#endif
