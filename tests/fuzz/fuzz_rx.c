/*
 * libFuzzer target: the receive path from Ethernet up.  Each input is a
 * sequence of frames (2-byte big-endian length, then the frame) injected
 * into a namespace with an address (10.0.0.2/24) and a known peer, with the
 * simulated clock advanced between frames so timers (ARP retries, neighbour
 * state changes) run too.  Whatever the bytes, nothing may crash, read out
 * of bounds or leak: after each input every packet the stack still holds
 * must be accounted for, and when the namespace is freed every buffer must
 * be back in the pool.
 */
#include <stdlib.h>

#include "../sim/probe.h"
#include "strata/strata.h"

static struct strata_clock *clock_;
static struct strata_net *ns;
static struct probe probe;

static void teardown(void)
{
        probe_drain(&probe);
        strata_net_free(ns);
        strata_clock_free(clock_);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        clock_ = strata_clock_new(true);
        if (strata_net_new("fuzz", clock_, 1, &ns) || probe_create(ns->net, "probe0", &probe) ||
            strata_addr_add(ns, "probe0", "10.0.0.2/24"))
                abort();
        probe.keep = false; /* what the stack sends is freed at once */
        strata_sysctl_set(ns, "net.ipv4.ip_forward", "1");
        atexit(teardown);
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        size_t off = 0;
        while (off + 2 <= size) {
                size_t len = (size_t)data[off] << 8 | data[off + 1];
                off += 2;
                if (len > size - off)
                        len = size - off;
                if (len > 9000)
                        len = 9000;
                probe_inject(&probe, data + off, len);
                off += len;
                strata_sim_run(&ns, 1, strata_clock_now(clock_) + 300 * 1000000ull);
        }
        /* Bounded memory: at most what the neighbour queues may hold. */
        if (skb_pool_outstanding(ns->net->pool) > 4096)
                abort();
        return 0;
}
