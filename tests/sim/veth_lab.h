/*
 * Two namespaces on one simulated clock joined by a veth pair: a
 * (10.0.0.1/24) and b (10.0.0.2/24), each driving both when a blocking call
 * waits -- the lab the socket-level sim tests share.  veth_lab_down lets
 * TIME_WAIT and retransmissions run out, checks that every packet buffer
 * is back in its pool, and frees it all.
 */
#ifndef STRATA_TESTS_VETH_LAB_H
#define STRATA_TESTS_VETH_LAB_H

#include "../test.h"
#include "api/api.h"
#include "strata/strata.h"

struct veth_lab {
        struct strata_clock *clock;
        struct strata_net *ns[2];
};

static inline void veth_lab_drive(struct strata_net *sn, uint64_t deadline, void *ctx)
{
        struct veth_lab *lab = ctx;
        uint64_t next = UINT64_MAX;
        for (int i = 0; i < 2; i++) {
                uint64_t d = strata_next_deadline(lab->ns[i]);
                if (d < next)
                        next = d;
        }
        if (next > deadline)
                next = deadline;
        strata_sim_run(lab->ns, 2, next);
}

static inline void veth_lab_up(struct veth_lab *lab)
{
        lab->clock = strata_clock_new(true);
        CHECK_EQ(strata_net_new("a", lab->clock, 1, &lab->ns[0]), 0);
        CHECK_EQ(strata_net_new("b", lab->clock, 2, &lab->ns[1]), 0);
        CHECK_EQ(strata_veth_add(lab->ns[0], "veth0", lab->ns[1], "veth0"), 0);
        CHECK_EQ(strata_addr_add(lab->ns[0], "veth0", "10.0.0.1/24"), 0);
        CHECK_EQ(strata_addr_add(lab->ns[1], "veth0", "10.0.0.2/24"), 0);
        CHECK_EQ(strata_link_set_up(lab->ns[0], "veth0", true), 0);
        CHECK_EQ(strata_link_set_up(lab->ns[1], "veth0", true), 0);
        strata_set_driver(lab->ns[0], veth_lab_drive, lab);
        strata_set_driver(lab->ns[1], veth_lab_drive, lab);
}

static inline void veth_lab_run(struct veth_lab *lab, uint64_t ns)
{
        strata_sim_run(lab->ns, 2, strata_clock_now(lab->clock) + ns);
}

static inline void veth_lab_down(struct veth_lab *lab)
{
        veth_lab_run(lab, 200 * 1000000000ull);
        for (int i = 0; i < 2; i++)
                CHECK_EQ(skb_pool_outstanding(lab->ns[i]->net->pool), 0);
        strata_net_free(lab->ns[1]);
        strata_net_free(lab->ns[0]);
        strata_clock_free(lab->clock);
}

static inline uint64_t veth_lab_ctr(struct strata_net *n, const char *name)
{
        uint64_t v = 0;
        CHECK_EQ(strata_counter(n, name, &v), 0);
        return v;
}

#endif
