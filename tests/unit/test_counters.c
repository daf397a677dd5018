/*
 * The counters as strata_print_counters prints them, in /proc/net/snmp's
 * shape: a names line and a values line per group, Linux's values for a
 * fresh namespace (Tcp: RtoAlgorithm 1, RtoMin 200, RtoMax 120000 and
 * MaxConn -1, the one signed field).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../test.h"
#include "strata/strata.h"

static void tcp_group_as_linux_prints_it(void)
{
        struct strata_clock *clk = strata_clock_new(true);
        struct strata_net *sn;
        CHECK_EQ(strata_net_new("c", clk, 1, &sn), 0);
        char *text = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);
        CHECK(f != NULL);
        strata_print_counters(sn, f);
        fclose(f);
        const char *names = strstr(text, "Tcp: RtoAlgorithm RtoMin RtoMax MaxConn ");
        CHECK(names != NULL);
        const char *vals = names ? strstr(names + 1, "\nTcp: ") : NULL;
        CHECK(vals != NULL);
        if (vals && strncmp(vals + 1, "Tcp: 1 200 120000 -1 ", 21) != 0)
                TEST_FAIL("Tcp values line: %.40s", vals + 1);
        free(text);
        strata_net_free(sn);
        strata_clock_free(clk);
}

TEST_MAIN(T(tcp_group_as_linux_prints_it))
