/*
 * Small language helpers shared by every module: container_of, branch
 * hints, array size, and the invariant assertion macro.
 */
#ifndef STRATA_CORE_COMPILER_H
#define STRATA_CORE_COMPILER_H

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#define container_of(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))
#define likely(x)                       __builtin_expect(!!(x), 1)
#define unlikely(x)                     __builtin_expect(!!(x), 0)
#define ARRAY_SIZE(a)                   (sizeof(a) / sizeof((a)[0]))
#define MIN(a, b)                       ((a) < (b) ? (a) : (b))
#define MAX(a, b)                       ((a) > (b) ? (a) : (b))

/* Invariant check, active in every build: a broken invariant in a network
 * stack corrupts memory later and far away, so stop at once and say where. */
#define STRATA_ASSERT(cond)                                                                        \
        do {                                                                                       \
                if (unlikely(!(cond))) {                                                           \
                        fprintf(stderr, "strata: assertion failed: %s (%s:%d)\n", #cond, __FILE__, \
                                __LINE__);                                                         \
                        abort();                                                                   \
                }                                                                                  \
        } while (0)

#endif
