/*
 * Per-namespace pseudo-random numbers (see random.h): xoshiro256** by
 * Blackman and Vigna, seeded through splitmix64 so that nearby seeds (1, 2,
 * 3...) still give unrelated streams.  The only file that reads host
 * entropy, and only when asked for seed 0.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/random.h>
#include <unistd.h>

#include "core/compiler.h"
#include "core/random.h"

static uint64_t splitmix64(uint64_t *x)
{
        uint64_t z = (*x += 0x9e3779b97f4a7c15ull);

        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        return z ^ (z >> 31);
}

static inline uint64_t rotl(uint64_t x, int k)
{
        return (x << k) | (x >> (64 - k));
}

/* Fill buf from the host's entropy; false if there is none to be had. */
static bool host_entropy(void *buf, size_t len)
{
        unsigned char *p = buf;
        size_t got = 0;
        int fd;

        while (got < len) {
                ssize_t n = getrandom(p + got, len - got, 0);

                if (n > 0)
                        got += (size_t)n;
                else if (n < 0 && errno != EINTR)
                        break;
        }
        if (got == len)
                return true;
        /* Kernels before 3.17 lack getrandom(2). */
        fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return false;
        while (got < len) {
                ssize_t n = read(fd, p + got, len - got);

                if (n > 0)
                        got += (size_t)n;
                else if (n == 0 || errno != EINTR)
                        break;
        }
        close(fd);
        return got == len;
}

void random_seed(struct strata_random *r, uint64_t seed)
{
        if (seed == 0) {
                /* A silently predictable "random" seed would be worse than
                 * stopping: seed 0 is how a real deployment asks for one. */
                STRATA_ASSERT(host_entropy(r->s, sizeof(r->s)));
                /* xoshiro's one bad state; 2^-256, but cheap to rule out. */
                if ((r->s[0] | r->s[1] | r->s[2] | r->s[3]) == 0)
                        r->s[0] = 0x9e3779b97f4a7c15ull;
                return;
        }
        for (size_t i = 0; i < ARRAY_SIZE(r->s); i++)
                r->s[i] = splitmix64(&seed);
}

uint64_t random_u64(struct strata_random *r)
{
        uint64_t *s = r->s;
        uint64_t result = rotl(s[1] * 5, 7) * 9;
        uint64_t t = s[1] << 17;

        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = rotl(s[3], 45);
        return result;
}

uint32_t random_u32(struct strata_random *r)
{
        /* The high half: xoshiro's low bits are its (slightly) weaker ones. */
        return (uint32_t)(random_u64(r) >> 32);
}

uint32_t random_below(struct strata_random *r, uint32_t n)
{
        uint64_t m;
        uint32_t low;

        STRATA_ASSERT(n > 0);
        /* Lemire's multiply-shift: the high word of x * n is uniform in
         * [0, n) once the few x whose low word falls under 2^32 mod n are
         * rejected; the division is only needed when rejection is possible. */
        m = (uint64_t)random_u32(r) * n;
        low = (uint32_t)m;
        if (low < n) {
                uint32_t threshold = (uint32_t)-n % n;

                while (low < threshold) {
                        m = (uint64_t)random_u32(r) * n;
                        low = (uint32_t)m;
                }
        }
        return (uint32_t)(m >> 32);
}
