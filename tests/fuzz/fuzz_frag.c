/*
 * libFuzzer target: IPv4 reassembly.  Each input is a sequence of
 * fragment records, turned into well-formed frames (valid header checksum,
 * so they reach ip_defrag rather than dying in ip_rcv) from one of a few
 * sources with one of a few IP ids, so queues collide, overlap, duplicate,
 * contradict each other, time out and get evicted:
 *
 *   byte 0     source (low 2 bits) and id (next 3 bits); bit 5: DF;
 *              bits 6-7: ECN
 *   bytes 1-2  flags/offset field (MF and the 13-bit offset, big-endian)
 *   byte 3     payload length / 4 (0..1020 bytes)
 *   byte 4     clock advance in units of 500 ms (timeouts at 30 s)
 *
 * ipfrag_high_thresh is lowered to 64 KB (low 48 KB) so eviction happens
 * within a short input.  Invariants checked after every record: the
 * memory charged to queues stays within the threshold, and the buffers
 * still out of the pool are those the queues hold (heads + data, 2 each),
 * plus none leaked: when the namespace is freed every buffer is back.
 */
#include <stdlib.h>

#include "../sim/probe.h"
#include "ipv4/ipv4.h"
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
            strata_addr_add(ns, "probe0", "10.0.0.2/24") ||
            strata_sysctl_set(ns, "net.ipv4.ipfrag_high_thresh", "65536") ||
            strata_sysctl_set(ns, "net.ipv4.ipfrag_low_thresh", "49152"))
                abort();
        probe.keep = false; /* what the stack sends (ICMP, ARP) is freed at once */
        atexit(teardown);
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static uint8_t frame[ETH_HLEN + 20 + 1024];
        for (size_t off = 0; off + 5 <= size; off += 5) {
                const uint8_t *r = data + off;
                unsigned len = r[3] * 4u;
                struct eth_repr e;
                memcpy(e.dst, probe.dev->dev_addr, 6);
                memcpy(e.src, probe.peer_mac, 6);
                e.ethertype = ETH_P_IP;
                eth_emit(&e, frame, ETH_HLEN);
                uint16_t fo = (uint16_t)((r[1] << 8 | r[2]) & (IP_MF | IP_OFFMASK));
                if (r[0] & 0x20)
                        fo |= IP_DF;
                struct ipv4_repr ip = { .ihl = 20,
                                        .tos = (uint8_t)(r[0] >> 6),
                                        .tot_len = (uint16_t)(20 + len),
                                        .id = (uint16_t)((r[0] >> 2) & 7),
                                        .frag_off = fo,
                                        .ttl = 64,
                                        .protocol = IPPROTO_ICMP_,
                                        .saddr = 0x0a000001u + (r[0] & 3),
                                        .daddr = 0x0a000002u };
                ipv4_emit(&ip, NULL, frame + ETH_HLEN, 20);
                for (unsigned i = 0; i < len; i++)
                        frame[ETH_HLEN + 20 + i] = (uint8_t)(i + r[1]);
                probe_inject(&probe, frame, ETH_HLEN + 20 + len);
                strata_sim_run(&ns, 1, strata_clock_now(clock_) + 1000 + r[4] * 500000000ull);

                unsigned queues;
                unsigned long mem;
                ipfrag_usage(ns->net, &queues, &mem);
                if (mem > 65536)
                        abort();
                /* every buffer out is a queued fragment, or one waiting in
                 * the neighbour queue for 10.0.0.x to resolve (at most
                 * unres_qlen_bytes worth per neighbour) */
                if (skb_pool_outstanding(ns->net->pool) > 2 * (long)(queues + 4 * 200))
                        abort();
        }
        return 0;
}
