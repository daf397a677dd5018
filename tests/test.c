/* The harness behind tests/test.h. */
#include "test.h"

jmp_buf test_jmp;
const char *test_current;
const char *test_skip_reason;

int test_main(const struct test_case *cases, size_t n)
{
        volatile size_t passed = 0, failed = 0, skipped = 0;

        setvbuf(stdout, NULL, _IOLBF, 0);
        for (volatile size_t i = 0; i < n; i++) {
                test_current = cases[i].name;
                switch (setjmp(test_jmp)) {
                case 0:
                        cases[i].fn();
                        printf("PASS %s\n", cases[i].name);
                        passed++;
                        break;
                case 2:
                        printf("SKIP %s: %s\n", cases[i].name, test_skip_reason);
                        skipped++;
                        break;
                default:
                        failed++;
                        break;
                }
        }
        printf("%zu passed, %zu failed, %zu skipped\n", (size_t)passed, (size_t)failed,
               (size_t)skipped);
        return failed ? 1 : 0;
}
