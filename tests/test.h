/*
 * A minimal test harness: each test binary lists its cases in a table and
 * calls test_main().  One line per case ("PASS name" / "FAIL name: where:
 * what" / "SKIP name: why") so tests/run.sh can count them across binaries.
 *
 * A failed CHECK stops the case (longjmp) and the next case runs; teardown
 * code that must run anyway belongs in the case before the first CHECK or in
 * a fixture function the case calls.
 */
#ifndef STRATA_TESTS_TEST_H
#define STRATA_TESTS_TEST_H

#include <inttypes.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct test_case {
        const char *name;
        void (*fn)(void);
};

extern jmp_buf test_jmp;
extern const char *test_skip_reason;

#define TEST_FAIL(...)                                                                             \
        do {                                                                                       \
                printf("FAIL %s: %s:%d: ", test_current, __FILE__, __LINE__);                      \
                printf(__VA_ARGS__);                                                               \
                printf("\n");                                                                      \
                fflush(stdout);                                                                    \
                longjmp(test_jmp, 1);                                                              \
        } while (0)

#define CHECK(cond)                                                                                \
        do {                                                                                       \
                if (!(cond))                                                                       \
                        TEST_FAIL("%s", #cond);                                                    \
        } while (0)

#define CHECK_EQ(a, b)                                                                             \
        do {                                                                                       \
                long long a_ = (long long)(a), b_ = (long long)(b);                                \
                if (a_ != b_)                                                                      \
                        TEST_FAIL("%s == %s (%lld != %lld)", #a, #b, a_, b_);                      \
        } while (0)

#define CHECK_MEM(a, b, n)                                                                         \
        do {                                                                                       \
                if (memcmp((a), (b), (n)) != 0)                                                    \
                        TEST_FAIL("memcmp(%s, %s, %s) != 0", #a, #b, #n);                          \
        } while (0)

#define CHECK_STR(a, b)                                                                            \
        do {                                                                                       \
                const char *a_ = (a), *b_ = (b);                                                   \
                if (strcmp(a_, b_) != 0)                                                           \
                        TEST_FAIL("%s == %s (\"%s\" != \"%s\")", #a, #b, a_, b_);                  \
        } while (0)

/* Mark the current case skipped (e.g. not root) and leave it. */
#define SKIP(why)                                                                                  \
        do {                                                                                       \
                test_skip_reason = (why);                                                          \
                longjmp(test_jmp, 2);                                                              \
        } while (0)

extern const char *test_current;

/* Runs every case; returns the exit status (0 when none failed). */
int test_main(const struct test_case *cases, size_t n);

#define TEST_MAIN(...)                                                                             \
        int main(void)                                                                             \
        {                                                                                          \
                static const struct test_case cases_[] = { __VA_ARGS__ };                          \
                return test_main(cases_, sizeof(cases_) / sizeof(cases_[0]));                      \
        }

#define T(fn)                                                                                      \
        {                                                                                          \
#fn, fn                                                                            \
        }

#endif
