/*
 * The neighbour (NUD) state machine of src/link/neigh.c, driven through ARP
 * on a simulated clock: two namespaces joined by a veth pair, a packet tap on
 * the near end recording every frame sent with its exact time.  Checks the
 * transitions and their timing against Linux's net/core/neighbour.c and
 * net/ipv4/arp.c: INCOMPLETE and its broadcast requests, FAILED with ICMP
 * host unreachable, REACHABLE, STALE, DELAY, PROBE with unicast probes, the
 * unresolved queue limits, sysctls, gratuitous ARP, deletion and garbage
 * collection.
 */
#include <stdbool.h>
#include <stdint.h>

#include "api/api.h"
#include "ipv4/ipv4.h"
#include "link/neigh.h"
#include "wire/arp.h"
#include "wire/bytes.h"
#include "wire/ethernet.h"
#include "../test.h"

#define MS  NSEC_PER_MSEC
#define SEC NSEC_PER_SEC

#define IP_A    0x0a000001u /* 10.0.0.1 on veth0 (namespace a) */
#define IP_B    0x0a000002u /* 10.0.0.2 on veth1 (namespace b) */
#define IP_NONE 0x0a000063u /* 10.0.0.99: nobody */

static const uint8_t bcast[ETH_ALEN] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t zero_mac[ETH_ALEN];

/* One frame seen leaving veth0. */
struct frame {
        uint64_t t;
        uint8_t dst[ETH_ALEN];
        uint16_t type;
        struct arp_repr arp; /* when type is ARP */
        uint8_t ip_proto;    /* when type is IPv4 */
        uint8_t icmp_type;
        uint32_t ip_dst;
};

#define MAX_FRAMES 256

struct capture {
        struct packet_tap tap;
        struct frame f[MAX_FRAMES];
        int n;
};

static void capture_fn(struct packet_tap *tap, struct net_device *dev, const struct sk_buff *skb,
                       bool outgoing)
{
        struct capture *c = container_of(tap, struct capture, tap);
        if (!outgoing || c->n == MAX_FRAMES || skb->len < ETH_HLEN)
                return;
        struct frame *f = &c->f[c->n++];
        memset(f, 0, sizeof(*f));
        f->t = net_now(dev->net);
        memcpy(f->dst, skb->data, ETH_ALEN);
        f->type = get_be16(skb->data + 12);
        const uint8_t *p = skb->data + ETH_HLEN;
        size_t len = skb->len - ETH_HLEN;
        if (f->type == ETH_P_ARP)
                arp_parse(p, len, &f->arp);
        else if (f->type == ETH_P_IP && len >= 21) {
                f->ip_proto = p[9];
                f->ip_dst = get_be32(p + 16);
                f->icmp_type = p[20];
        }
}

/* ARP requests among the captured frames, in order. */
static int arp_requests(const struct capture *c, const struct frame **out, int max)
{
        int n = 0;
        for (int i = 0; i < c->n; i++)
                if (c->f[i].type == ETH_P_ARP && c->f[i].arp.op == ARPOP_REQUEST && n < max)
                        out[n++] = &c->f[i];
        return n;
}

static int count_type(const struct capture *c, uint16_t type)
{
        int n = 0;
        for (int i = 0; i < c->n; i++)
                n += c->f[i].type == type;
        return n;
}

/* What the pinger of namespace a heard. */
#define MAX_PINGS 32
struct pings {
        struct strata_ping_result r[MAX_PINGS];
        uint64_t t[MAX_PINGS];
        int n;
};

struct lab {
        struct strata_clock *clk;
        struct strata_net *a, *b;
        struct net_device *va, *vb; /* veth0 in a, veth1 in b */
        struct capture cap;         /* frames sent on veth0 */
        struct pings pings;
        uint64_t t0; /* when the case starts */
};

static struct lab L;

static void on_ping(const struct strata_ping_result *r, void *ctx)
{
        struct lab *l = ctx;
        if (l->pings.n < MAX_PINGS) {
                l->pings.t[l->pings.n] = strata_clock_now(l->clk);
                l->pings.r[l->pings.n++] = *r;
        }
}

static uint64_t now(void)
{
        return strata_clock_now(L.clk);
}

/* Run both namespaces to time t (inclusive); the clock ends at t. */
static void run_to(uint64_t t)
{
        struct strata_net *nets[2] = { L.a, L.b };
        int err = strata_sim_run(nets, 2, t);
        CHECK_EQ(err, 0);
        if (now() < t)
                strata_clock_advance_to(L.clk, t);
        CHECK_EQ(now(), t);
}

static struct neigh_table *tbl_of(struct strata_net *sn)
{
        return &ipv4_of(sn->net)->arp_tbl;
}

static struct neighbour *lookup(struct strata_net *sn, struct net_device *dev, uint32_t ip)
{
        uint8_t key[4];
        put_be32(key, ip);
        return neigh_lookup(tbl_of(sn), key, dev);
}

static uint64_t counter(struct strata_net *sn, const char *name)
{
        uint64_t v = 0;
        CHECK_EQ(strata_counter(sn, name, &v), 0);
        return v;
}

static void set_sysctl(struct strata_net *sn, const char *name, const char *value)
{
        CHECK_EQ(strata_sysctl_set(sn, name, value), 0);
}

/* A neighbour entry in a, made as `ip neigh replace IP lladdr MAC nud
 * STATE dev veth0` would. */
static struct neighbour *admin_entry(uint32_t ip, const uint8_t *mac, uint8_t state)
{
        uint8_t key[4];
        put_be32(key, ip);
        struct neighbour *n = neigh_create(tbl_of(L.a), key, L.va);
        CHECK(n);
        CHECK_EQ(neigh_update(n, mac, state, NEIGH_UPDATE_F_OVERRIDE | NEIGH_UPDATE_F_ADMIN), 0);
        return n;
}

/* Free what a case left behind (a failed CHECK leaves the case early): run
 * by the next setup and at exit. */
static void release(void)
{
        if (L.va)
                dev_remove_tap(L.va, &L.cap.tap);
        if (L.a)
                strata_net_free(L.a);
        if (L.b)
                strata_net_free(L.b);
        if (L.clk)
                strata_clock_free(L.clk);
        memset(&L, 0, sizeof(L));
}

/*
 * a: veth0 10.0.0.1/24, b: veth1 10.0.0.2/24 (when b_addr), both up, the
 * simulated clock starting at `start`.  When warm, each table's first
 * periodic run (which re-randomises reachable_time) happens before the case
 * starts, so the reachable_time read at t0 holds for the whole case.  The
 * case starts (t0) 1 s after `start`, or 16 s after when warm.
 */
static void setup_at(uint64_t start, bool b_addr, bool warm)
{
        static bool registered;
        if (!registered)
                atexit(release);
        registered = true;
        release();
        L.clk = strata_clock_new(true);
        CHECK(L.clk);
        strata_clock_advance_to(L.clk, start);
        CHECK_EQ(strata_net_new("a", L.clk, 11, &L.a), 0);
        CHECK_EQ(strata_net_new("b", L.clk, 22, &L.b), 0);
        CHECK_EQ(strata_veth_add(L.a, "veth0", L.b, "veth1"), 0);
        L.va = dev_get_by_name(L.a->net, "veth0");
        L.vb = dev_get_by_name(L.b->net, "veth1");
        CHECK(L.va && L.vb);
        CHECK_EQ(strata_addr_add(L.a, "veth0", "10.0.0.1/24"), 0);
        if (b_addr)
                CHECK_EQ(strata_addr_add(L.b, "veth1", "10.0.0.2/24"), 0);
        CHECK_EQ(strata_link_set_up(L.a, "veth0", true), 0);
        CHECK_EQ(strata_link_set_up(L.b, "veth1", true), 0);
        CHECK_EQ(strata_ping_listen(L.a, 7, on_ping, &L), 0);
        run_to(start + 1 * SEC);
        if (warm) {
                struct neighbour *da = arp_neigh(L.va, 0x0a0000fau);
                struct neighbour *db = arp_neigh(L.vb, 0x0a0000fau);
                CHECK(da && db);
                run_to(start + 16 * SEC);
                neigh_delete(lookup(L.a, L.va, 0x0a0000fau));
                neigh_delete(lookup(L.b, L.vb, 0x0a0000fau));
                CHECK_EQ(tbl_of(L.a)->entries, 0);
                CHECK_EQ(tbl_of(L.b)->entries, 0);
        }
        dev_add_tap(L.va, &L.cap.tap);
        L.cap.tap.fn = capture_fn;
        L.cap.n = 0;
        L.t0 = now();
}

/* Cases start at 1000 s: far enough from 0 that no time computed by
 * subtraction from "now" can wrap. */
static void setup(bool b_addr, bool warm)
{
        setup_at(1000 * SEC, b_addr, warm);
}

/* Leak check and teardown. */
static void teardown(void)
{
        CHECK_EQ(skb_pool_outstanding(L.a->net->pool), 0);
        CHECK_EQ(skb_pool_outstanding(L.b->net->pool), 0);
        release();
}

static void ping(const char *dst, uint16_t seq)
{
        CHECK_EQ(strata_ping_send(L.a, dst, 7, seq, 56), 0);
}

static void check_broadcast_request(const struct frame *f, uint64_t t, uint32_t target)
{
        CHECK_EQ(f->t, t);
        CHECK_MEM(f->dst, bcast, ETH_ALEN);
        CHECK_EQ(f->arp.op, ARPOP_REQUEST);
        CHECK_EQ(f->arp.spa, IP_A);
        CHECK_EQ(f->arp.tpa, target);
        CHECK_MEM(f->arp.sha, L.va->dev_addr, ETH_ALEN);
        CHECK_MEM(f->arp.tha, zero_mac, ETH_ALEN);
}

/* --- resolution ------------------------------------------------------------ */

static void first_packet_creates_incomplete_and_requests_at_once(void)
{
        setup(false, true);
        CHECK(lookup(L.a, L.va, IP_NONE) == NULL);
        ping("10.0.0.99", 1);
        struct neighbour *n = lookup(L.a, L.va, IP_NONE);
        CHECK(n);
        CHECK_EQ(n->nud_state, NUD_INCOMPLETE);
        CHECK_EQ(n->arp_queue.qlen, 1);
        CHECK_EQ(n->updated, L.t0);
        CHECK_EQ(L.cap.n, 1);
        check_broadcast_request(&L.cap.f[0], L.t0, IP_NONE);
        CHECK_EQ(tbl_of(L.a)->entries, 1);
        run_to(L.t0 + 5 * SEC); /* let it fail: nothing may stay queued */
        teardown();
}

static void unanswered_requests_every_retrans_time_then_failed(void)
{
        setup(false, true);
        const uint64_t t0 = L.t0;
        ping("10.0.0.99", 1);
        struct neighbour *n = lookup(L.a, L.va, IP_NONE);
        CHECK(n);
        run_to(t0 + 3 * SEC - 1 * MS);
        CHECK_EQ(n->nud_state, NUD_INCOMPLETE);
        CHECK_EQ(n->arp_queue.qlen, 1);
        CHECK_EQ(L.pings.n, 0);
        const struct frame *req[8];
        CHECK_EQ(arp_requests(&L.cap, req, 8), 3);
        check_broadcast_request(req[0], t0, IP_NONE);
        check_broadcast_request(req[1], t0 + 1 * SEC, IP_NONE);
        check_broadcast_request(req[2], t0 + 2 * SEC, IP_NONE);

        run_to(t0 + 3 * SEC);
        CHECK_EQ(n->nud_state, NUD_FAILED);
        CHECK_EQ(n->updated, t0 + 3 * SEC);
        CHECK_EQ(n->arp_queue.qlen, 0);
        CHECK_EQ(n->arp_queue_len_bytes, 0);
        CHECK_EQ(counter(L.a, "NEIGH_FAILED"), 1);
        CHECK_EQ(tbl_of(L.a)->res_failed, 1);
        /* "From 10.0.0.1 icmp_seq=1 Destination Host Unreachable" */
        CHECK_EQ(L.pings.n, 1);
        CHECK_EQ(L.pings.t[0], t0 + 3 * SEC);
        CHECK_EQ(L.pings.r[0].seq, 1);
        CHECK_EQ(L.pings.r[0].icmp_type, 3);
        CHECK_EQ(L.pings.r[0].icmp_code, 1);
        CHECK_STR(L.pings.r[0].from, "10.0.0.1");
        CHECK_EQ(counter(L.a, "Icmp.OutDestUnreachs"), 1);
        CHECK_EQ(counter(L.a, "IcmpMsg.OutType3"), 1);
        CHECK_EQ(counter(L.a, "Icmp.InDestUnreachs"), 1);
        CHECK_EQ(counter(L.a, "IcmpMsg.InType3"), 1);
        /* no fourth request, and FAILED is not timed */
        run_to(t0 + 10 * SEC);
        CHECK_EQ(arp_requests(&L.cap, req, 8), 3);
        CHECK_EQ(n->nud_state, NUD_FAILED);
        CHECK_EQ(L.pings.n, 1);

        /* a new packet to a FAILED entry starts resolving again */
        ping("10.0.0.99", 2);
        CHECK_EQ(n->nud_state, NUD_INCOMPLETE);
        CHECK_EQ(arp_requests(&L.cap, req, 8), 4);
        check_broadcast_request(req[3], t0 + 10 * SEC, IP_NONE);
        run_to(t0 + 13 * SEC);
        CHECK_EQ(n->nud_state, NUD_FAILED);
        CHECK_EQ(arp_requests(&L.cap, req, 8), 6);
        CHECK_EQ(counter(L.a, "NEIGH_FAILED"), 2);
        CHECK_EQ(L.pings.n, 2);
        CHECK_EQ(L.pings.r[1].seq, 2);
        teardown();
}

static void reply_makes_reachable_and_sends_queued_packet(void)
{
        setup(true, true);
        const uint64_t t0 = L.t0;
        ping("10.0.0.2", 1);
        struct neighbour *n = lookup(L.a, L.va, IP_B);
        CHECK(n);
        CHECK_EQ(n->nud_state, NUD_INCOMPLETE);
        run_to(t0);
        CHECK_EQ(n->nud_state, NUD_REACHABLE);
        CHECK_MEM(n->ha, L.vb->dev_addr, ETH_ALEN);
        CHECK_EQ(n->confirmed, t0);
        CHECK_EQ(n->updated, t0);
        CHECK_EQ(n->arp_queue.qlen, 0);
        CHECK_EQ(n->arp_queue_len_bytes, 0);
        /* request, then the queued echo request to b's address */
        CHECK_EQ(L.cap.n, 2);
        check_broadcast_request(&L.cap.f[0], t0, IP_B);
        CHECK_EQ(L.cap.f[1].type, ETH_P_IP);
        CHECK_EQ(L.cap.f[1].t, t0);
        CHECK_MEM(L.cap.f[1].dst, L.vb->dev_addr, ETH_ALEN);
        CHECK_EQ(L.cap.f[1].icmp_type, 8);
        CHECK_EQ(L.cap.f[1].ip_dst, IP_B);
        CHECK_EQ(L.pings.n, 1);
        CHECK_EQ(L.pings.r[0].icmp_type, 0);
        CHECK_STR(L.pings.r[0].from, "10.0.0.2");
        /* b learnt a from the request: STALE, as Linux's neigh_event_ns */
        struct neighbour *nb = lookup(L.b, L.vb, IP_A);
        CHECK(nb);
        CHECK_MEM(nb->ha, L.va->dev_addr, ETH_ALEN);
        /* the next packet goes straight out: no new request */
        ping("10.0.0.2", 2);
        CHECK_EQ(L.cap.n, 3);
        CHECK_EQ(L.cap.f[2].type, ETH_P_IP);
        run_to(t0 + 1 * SEC);
        CHECK_EQ(L.pings.n, 2);
        CHECK_EQ(counter(L.a, "NEIGH_FAILED"), 0);
        teardown();
}

/* --- REACHABLE, STALE, DELAY, PROBE ---------------------------------------- */

static void reachable_becomes_stale_after_reachable_time_when_unused(void)
{
        setup(true, true);
        /* b does not answer echo, so it never uses (and probes) its entry */
        set_sysctl(L.b, "net.ipv4.icmp_echo_ignore_all", "1");
        const uint64_t t0 = L.t0;
        ping("10.0.0.2", 1);
        run_to(t0);
        struct neighbour *n = lookup(L.a, L.va, IP_B);
        CHECK(n);
        CHECK_EQ(n->nud_state, NUD_REACHABLE);
        uint64_t rt = n->parms->reachable_time;
        CHECK(n->parms == L.va->arp_parms);
        CHECK(rt >= 15 * SEC && rt < 45 * SEC);
        CHECK_EQ(rt % MS, 0);
        run_to(t0 + rt - 1 * MS);
        CHECK_EQ(n->parms->reachable_time, rt);
        CHECK_EQ(n->nud_state, NUD_REACHABLE);
        /* Linux re-arms for HZ/100 when the timer finds the entry exactly at
         * confirmed + reachable_time, then moves it to STALE */
        run_to(t0 + rt + 10 * MS);
        CHECK_EQ(n->nud_state, NUD_STALE);
        CHECK(n->updated >= t0 + rt && n->updated <= t0 + rt + 10 * MS);
        CHECK_MEM(n->ha, L.vb->dev_addr, ETH_ALEN);
        /* STALE is not timed and sends nothing */
        int frames = L.cap.n;
        run_to(t0 + rt + 20 * SEC);
        CHECK_EQ(n->nud_state, NUD_STALE);
        CHECK_EQ(L.cap.n, frames);
        teardown();
}

static void stale_used_goes_delay_then_probe_then_reachable_on_reply(void)
{
        setup(true, true);
        set_sysctl(L.b, "net.ipv4.icmp_echo_ignore_all", "1");
        const uint64_t t0 = L.t0;
        struct neighbour *n = admin_entry(IP_B, L.vb->dev_addr, NUD_STALE);
        CHECK_EQ(n->nud_state, NUD_STALE);
        run_to(t0 + 1 * SEC);
        CHECK_EQ(n->nud_state, NUD_STALE);
        CHECK_EQ(L.cap.n, 0);

        const uint64_t t1 = t0 + 1 * SEC;
        ping("10.0.0.2", 1);
        /* sent at once with the known address */
        CHECK_EQ(n->nud_state, NUD_DELAY);
        CHECK_EQ(n->updated, t1);
        CHECK_EQ(n->arp_queue.qlen, 0);
        CHECK_EQ(L.cap.n, 1);
        CHECK_EQ(L.cap.f[0].type, ETH_P_IP);
        CHECK_EQ(L.cap.f[0].t, t1);
        CHECK_MEM(L.cap.f[0].dst, L.vb->dev_addr, ETH_ALEN);

        run_to(t1 + 5 * SEC - 1 * MS);
        CHECK_EQ(n->nud_state, NUD_DELAY);
        CHECK_EQ(L.cap.n, 1);
        /* delay_first_probe_time without confirmation: PROBE, and the first
         * unicast probe at once; b answers it */
        run_to(t1 + 5 * SEC);
        const struct frame *req[8];
        CHECK_EQ(arp_requests(&L.cap, req, 8), 1);
        CHECK_EQ(req[0]->t, t1 + 5 * SEC);
        CHECK_MEM(req[0]->dst, L.vb->dev_addr, ETH_ALEN);
        CHECK_EQ(req[0]->arp.spa, IP_A);
        CHECK_EQ(req[0]->arp.tpa, IP_B);
        CHECK_EQ(n->nud_state, NUD_REACHABLE);
        CHECK_EQ(n->confirmed, t1 + 5 * SEC);
        /* no more probes */
        run_to(t1 + 9 * SEC);
        CHECK_EQ(arp_requests(&L.cap, req, 8), 1);
        CHECK_EQ(n->nud_state, NUD_REACHABLE);
        teardown();
}

static void delay_confirmed_returns_to_reachable_without_probe(void)
{
        setup(true, true);
        set_sysctl(L.b, "net.ipv4.icmp_echo_ignore_all", "1");
        const uint64_t t0 = L.t0;
        struct neighbour *n = admin_entry(IP_B, L.vb->dev_addr, NUD_STALE);
        ping("10.0.0.2", 1);
        CHECK_EQ(n->nud_state, NUD_DELAY);
        run_to(t0 + 2 * SEC);
        neigh_confirm(n); /* an upper layer saw progress (TCP ACK) */
        CHECK_EQ(n->confirmed, t0 + 2 * SEC);
        run_to(t0 + 5 * SEC);
        CHECK_EQ(n->nud_state, NUD_REACHABLE);
        CHECK_EQ(n->updated, t0 + 5 * SEC);
        CHECK_EQ(count_type(&L.cap, ETH_P_ARP), 0);
        teardown();
}

static void probe_without_answer_sends_unicast_probes_then_fails(void)
{
        setup(false, true); /* b has no address: it answers nothing */
        const uint64_t t0 = L.t0;
        struct neighbour *n = admin_entry(IP_B, L.vb->dev_addr, NUD_STALE);
        ping("10.0.0.2", 1);
        CHECK_EQ(n->nud_state, NUD_DELAY);
        run_to(t0 + 5 * SEC);
        CHECK_EQ(n->nud_state, NUD_PROBE);
        run_to(t0 + 8 * SEC - 1 * MS);
        CHECK_EQ(n->nud_state, NUD_PROBE);
        /* ucast_solicit (3) probes, one per retrans_time, all unicast to the
         * address being verified (Linux's arp_solicit: probes < ucast_solicit) */
        const struct frame *req[8];
        CHECK_EQ(arp_requests(&L.cap, req, 8), 3);
        for (int i = 0; i < 3; i++) {
                CHECK_EQ(req[i]->t, t0 + (uint64_t)(5 + i) * SEC);
                CHECK_EQ(req[i]->arp.tpa, IP_B);
                CHECK_EQ(req[i]->arp.spa, IP_A);
                if (memcmp(req[i]->dst, L.vb->dev_addr, ETH_ALEN) != 0)
                        TEST_FAIL("probe %d of 3 (at +%d s) is not unicast to the neighbour", i + 1,
                                  5 + i);
        }
        run_to(t0 + 8 * SEC);
        CHECK_EQ(n->nud_state, NUD_FAILED);
        CHECK_EQ(arp_requests(&L.cap, req, 8), 3);
        /* nothing was waiting in the queue: no drop, no ICMP */
        CHECK_EQ(counter(L.a, "NEIGH_FAILED"), 0);
        CHECK_EQ(counter(L.a, "Icmp.InDestUnreachs"), 0);
        teardown();
}

/* Linux's arp_solicit passes no target hardware address: a unicast probe
 * carries 00:00:00:00:00:00 in tha, like a broadcast request. */
static void unicast_probe_has_zero_target_hw(void)
{
        setup(false, true);
        const uint64_t t0 = L.t0;
        admin_entry(IP_B, L.vb->dev_addr, NUD_STALE);
        ping("10.0.0.2", 1);
        run_to(t0 + 5 * SEC);
        const struct frame *req[8];
        CHECK_EQ(arp_requests(&L.cap, req, 8), 1);
        CHECK_MEM(req[0]->dst, L.vb->dev_addr, ETH_ALEN);
        CHECK_MEM(req[0]->arp.tha, zero_mac, ETH_ALEN);
        run_to(t0 + 9 * SEC);
        teardown();
}

/* A request from a neighbour whose entry is REACHABLE with the same address
 * must not demote it (neigh_update: same lladdr, new STALE, not admin ->
 * keep the old state). */
static void peer_request_keeps_reachable_entry_reachable(void)
{
        setup(true, true);
        const uint64_t t0 = L.t0;
        ping("10.0.0.2", 1);
        run_to(t0);
        struct neighbour *n = lookup(L.a, L.va, IP_B);
        CHECK(n);
        CHECK_EQ(n->nud_state, NUD_REACHABLE);
        /* b used its entry for a (the echo reply): DELAY, then at t0+5s a
         * unicast probe to a, which a answers */
        struct neighbour *nb = lookup(L.b, L.vb, IP_A);
        CHECK(nb);
        CHECK_EQ(nb->nud_state, NUD_DELAY);
        run_to(t0 + 5 * SEC);
        CHECK_EQ(nb->nud_state, NUD_REACHABLE);
        CHECK_EQ(n->nud_state, NUD_REACHABLE);
        CHECK_EQ(n->confirmed, t0);
        teardown();
}

/* A simulated clock starts at 0.  An entry created there, before
 * reachable_time has elapsed, is still "never confirmed": used while STALE it
 * must go DELAY -> PROBE, not back to REACHABLE.  (Linux starts confirmed at
 * now - 2 * base_reachable_time and compares with time_before_eq, which is
 * wrap-safe.) */
static void delay_probes_for_entry_created_early_in_simulated_time(void)
{
        setup_at(0, false, false);
        CHECK_EQ(L.t0, 1 * SEC);
        struct neighbour *n = admin_entry(IP_B, L.vb->dev_addr, NUD_STALE);
        ping("10.0.0.2", 1);
        CHECK_EQ(n->nud_state, NUD_DELAY);
        run_to(L.t0 + 5 * SEC);
        CHECK_EQ(n->nud_state, NUD_PROBE);
        CHECK_EQ(count_type(&L.cap, ETH_P_ARP), 1);
        run_to(L.t0 + 9 * SEC);
        CHECK_EQ(n->nud_state, NUD_FAILED);
        teardown();
}

/* --- the queue of unresolved packets --------------------------------------- */

static void unres_qlen_drops_oldest_queued_packets(void)
{
        setup(false, true);
        const uint64_t t0 = L.t0;
        set_sysctl(L.a, "net.ipv4.neigh.veth0.unres_qlen", "3");
        for (uint16_t s = 1; s <= 5; s++)
                ping("10.0.0.99", s);
        struct neighbour *n = lookup(L.a, L.va, IP_NONE);
        CHECK(n);
        CHECK_EQ(n->arp_queue.qlen, 3);
        CHECK_EQ(counter(L.a, "NEIGH_QUEUEFULL"), 2);
        CHECK_EQ(tbl_of(L.a)->unres_discards, 2);
        /* only the first packet triggers a request */
        CHECK_EQ(count_type(&L.cap, ETH_P_ARP), 1);
        run_to(t0 + 3 * SEC);
        CHECK_EQ(n->nud_state, NUD_FAILED);
        CHECK_EQ(counter(L.a, "NEIGH_FAILED"), 3);
        /* the survivors were the newest three */
        CHECK_EQ(L.pings.n, 3);
        CHECK_EQ(L.pings.r[0].seq, 3);
        CHECK_EQ(L.pings.r[1].seq, 4);
        CHECK_EQ(L.pings.r[2].seq, 5);
        teardown();
}

static void unres_qlen_bytes_bounds_queue_by_truesize(void)
{
        setup(false, true);
        const uint64_t t0 = L.t0;
        /* a 56-byte ping sits in a small buffer: truesize is buffer + head */
        uint32_t truesize = SKB_SMALL_SIZE + (uint32_t)sizeof(struct sk_buff);
        char v[32];
        snprintf(v, sizeof(v), "%u", 2 * truesize);
        set_sysctl(L.a, "net.ipv4.neigh.veth0.unres_qlen_bytes", v);
        for (uint16_t s = 1; s <= 2; s++)
                ping("10.0.0.99", s);
        struct neighbour *n = lookup(L.a, L.va, IP_NONE);
        CHECK(n);
        CHECK_EQ(n->arp_queue.qlen, 2);
        CHECK_EQ(n->arp_queue_len_bytes, 2 * truesize);
        CHECK_EQ(counter(L.a, "NEIGH_QUEUEFULL"), 0);
        ping("10.0.0.99", 3);
        ping("10.0.0.99", 4);
        CHECK_EQ(n->arp_queue.qlen, 2);
        CHECK_EQ(n->arp_queue_len_bytes, 2 * truesize);
        CHECK_EQ(counter(L.a, "NEIGH_QUEUEFULL"), 2);
        run_to(t0 + 3 * SEC);
        CHECK_EQ(L.pings.n, 2);
        CHECK_EQ(L.pings.r[0].seq, 3);
        CHECK_EQ(L.pings.r[1].seq, 4);
        CHECK_EQ(n->arp_queue_len_bytes, 0);
        teardown();
}

/* --- sysctls --------------------------------------------------------------- */

static void retrans_time_sysctls_set_request_interval(void)
{
        setup(false, true);
        char buf[32];
        set_sysctl(L.a, "net.ipv4.neigh.veth0.retrans_time_ms", "200");
        CHECK_EQ(strata_sysctl_get(L.a, "net.ipv4.neigh.veth0.retrans_time", buf, sizeof(buf)), 0);
        CHECK_STR(buf, "20"); /* USER_HZ */
        const uint64_t t0 = L.t0;
        ping("10.0.0.99", 1);
        struct neighbour *n = lookup(L.a, L.va, IP_NONE);
        run_to(t0 + 600 * MS - 1 * MS);
        CHECK_EQ(n->nud_state, NUD_INCOMPLETE);
        const struct frame *req[8];
        CHECK_EQ(arp_requests(&L.cap, req, 8), 3);
        CHECK_EQ(req[0]->t, t0);
        CHECK_EQ(req[1]->t, t0 + 200 * MS);
        CHECK_EQ(req[2]->t, t0 + 400 * MS);
        run_to(t0 + 600 * MS);
        CHECK_EQ(n->nud_state, NUD_FAILED);

        /* the USER_HZ view: 50 hundredths = 500 ms */
        set_sysctl(L.a, "net.ipv4.neigh.veth0.retrans_time", "50");
        CHECK_EQ(strata_sysctl_get(L.a, "net.ipv4.neigh.veth0.retrans_time_ms", buf, sizeof(buf)),
                 0);
        CHECK_STR(buf, "500");
        const uint64_t t1 = t0 + 1 * SEC;
        run_to(t1);
        L.cap.n = 0;
        ping("10.0.0.99", 2);
        run_to(t1 + 1500 * MS);
        CHECK_EQ(arp_requests(&L.cap, req, 8), 3);
        CHECK_EQ(req[0]->t, t1);
        CHECK_EQ(req[1]->t, t1 + 500 * MS);
        CHECK_EQ(req[2]->t, t1 + 1000 * MS);
        CHECK_EQ(n->nud_state, NUD_FAILED);
        CHECK_EQ(n->updated, t1 + 1500 * MS);
        teardown();
}

static void mcast_solicit_zero_fails_at_once(void)
{
        setup(false, true);
        set_sysctl(L.a, "net.ipv4.neigh.veth0.mcast_solicit", "0");
        ping("10.0.0.99", 1);
        struct neighbour *n = lookup(L.a, L.va, IP_NONE);
        CHECK(n);
        CHECK_EQ(n->nud_state, NUD_FAILED);
        CHECK_EQ(n->arp_queue.qlen, 0);
        CHECK_EQ(counter(L.a, "NEIGH_FAILED"), 1);
        CHECK_EQ(L.cap.n, 0);
        CHECK_EQ(skb_pool_outstanding(L.a->net->pool), 0);
        run_to(L.t0 + 5 * SEC);
        CHECK_EQ(L.cap.n, 0);
        /* as Linux's __neigh_event_send: dropped without an ICMP error */
        CHECK_EQ(counter(L.a, "Icmp.InDestUnreachs"), 0);
        teardown();
}

static void mcast_solicit_sets_number_of_broadcast_requests(void)
{
        setup(false, true);
        set_sysctl(L.a, "net.ipv4.neigh.veth0.mcast_solicit", "5");
        const uint64_t t0 = L.t0;
        ping("10.0.0.99", 1);
        struct neighbour *n = lookup(L.a, L.va, IP_NONE);
        run_to(t0 + 5 * SEC - 1 * MS);
        CHECK_EQ(n->nud_state, NUD_INCOMPLETE);
        const struct frame *req[8];
        CHECK_EQ(arp_requests(&L.cap, req, 8), 5);
        for (int i = 0; i < 5; i++)
                check_broadcast_request(req[i], t0 + (uint64_t)i * SEC, IP_NONE);
        run_to(t0 + 5 * SEC);
        CHECK_EQ(n->nud_state, NUD_FAILED);
        teardown();
}

static void device_ucast_solicit_sets_number_of_probes(void)
{
        setup(false, true);
        set_sysctl(L.a, "net.ipv4.neigh.veth0.ucast_solicit", "1");
        const uint64_t t0 = L.t0;
        struct neighbour *n = admin_entry(IP_B, L.vb->dev_addr, NUD_STALE);
        ping("10.0.0.2", 1);
        run_to(t0 + 6 * SEC - 1 * MS);
        CHECK_EQ(n->nud_state, NUD_PROBE);
        CHECK_EQ(count_type(&L.cap, ETH_P_ARP), 1);
        run_to(t0 + 6 * SEC);
        CHECK_EQ(n->nud_state, NUD_FAILED);
        CHECK_EQ(count_type(&L.cap, ETH_P_ARP), 1);
        teardown();
}

/* Writing net.ipv4.neigh.default.X reaches every device that has not set
 * its own X (Linux's neigh_copy_dflt_parms). */
static void default_ucast_solicit_reaches_existing_device(void)
{
        setup(false, true);
        char buf[32];
        set_sysctl(L.a, "net.ipv4.neigh.default.ucast_solicit", "1");
        CHECK_EQ(strata_sysctl_get(L.a, "net.ipv4.neigh.veth0.ucast_solicit", buf, sizeof(buf)), 0);
        CHECK_STR(buf, "1");
        const uint64_t t0 = L.t0;
        struct neighbour *n = admin_entry(IP_B, L.vb->dev_addr, NUD_STALE);
        ping("10.0.0.2", 1);
        run_to(t0 + 6 * SEC);
        CHECK_EQ(n->nud_state, NUD_FAILED);
        CHECK_EQ(count_type(&L.cap, ETH_P_ARP), 1);
        teardown();
}

static void device_own_value_survives_default_change(void)
{
        setup(false, true);
        char buf[32];
        set_sysctl(L.a, "net.ipv4.neigh.veth0.ucast_solicit", "5");
        set_sysctl(L.a, "net.ipv4.neigh.default.ucast_solicit", "1");
        CHECK_EQ(strata_sysctl_get(L.a, "net.ipv4.neigh.veth0.ucast_solicit", buf, sizeof(buf)), 0);
        CHECK_STR(buf, "5");
        CHECK_EQ(strata_sysctl_get(L.a, "net.ipv4.neigh.default.ucast_solicit", buf, sizeof(buf)),
                 0);
        CHECK_STR(buf, "1");
        /* a device created now starts from the new default */
        CHECK_EQ(strata_veth_add(L.a, "veth2", L.b, "veth3"), 0);
        CHECK_EQ(strata_sysctl_get(L.a, "net.ipv4.neigh.veth2.ucast_solicit", buf, sizeof(buf)), 0);
        CHECK_STR(buf, "1");
        teardown();
}

/* Writing base_reachable_time re-randomises reachable_time at once
 * (neigh_proc_base_reachable_time), not at the next periodic run. */
static void base_reachable_time_change_rerandomizes_reachable_time(void)
{
        setup(true, true);
        set_sysctl(L.b, "net.ipv4.icmp_echo_ignore_all", "1");
        set_sysctl(L.a, "net.ipv4.neigh.veth0.base_reachable_time_ms", "2000");
        const struct neigh_parms *p = L.va->arp_parms;
        CHECK(p);
        CHECK_EQ(p->base_reachable_time, 2000);
        CHECK(p->reachable_time >= 1 * SEC && p->reachable_time < 3 * SEC);
        const uint64_t t0 = L.t0;
        ping("10.0.0.2", 1);
        run_to(t0);
        struct neighbour *n = lookup(L.a, L.va, IP_B);
        CHECK_EQ(n->nud_state, NUD_REACHABLE);
        /* reachable_time is now below 3 s: by then the entry has left
         * REACHABLE -- for DELAY, as it was used (the ping) less than
         * delay_first_probe_time (5 s) ago */
        run_to(t0 + 3 * SEC + 10 * MS);
        CHECK_EQ(n->nud_state, NUD_DELAY);
        teardown();
}

/* Linux first re-randomises reachable_time 300 s after the table's
 * creation at the earliest (neigh_table_init: last_rand = now +
 * 20 * reachable_time; neigh_periodic_work: after last_rand + 300 s). */
static void reachable_time_stable_before_300_seconds(void)
{
        setup(true, false);
        set_sysctl(L.b, "net.ipv4.icmp_echo_ignore_all", "1");
        const struct neigh_parms *p = L.va->arp_parms;
        uint64_t rt_dev = p->reachable_time, rt_tbl = tbl_of(L.a)->parms.reachable_time;
        ping("10.0.0.2", 1);
        run_to(L.t0 + 14 * SEC);
        CHECK_EQ(lookup(L.a, L.va, IP_B)->nud_state, NUD_REACHABLE);
        run_to(L.t0 + 15 * SEC + 1 * MS); /* past the first periodic run */
        CHECK_EQ(p->reachable_time, rt_dev);
        CHECK_EQ(tbl_of(L.a)->parms.reachable_time, rt_tbl);
        teardown();
}

static void neigh_sysctls_have_linux_defaults(void)
{
        setup(false, false);
        static const struct {
                const char *key, *val;
        } want[] = {
                { "net.ipv4.neigh.default.base_reachable_time_ms", "30000" },
                { "net.ipv4.neigh.default.base_reachable_time", "30" },
                { "net.ipv4.neigh.default.retrans_time_ms", "1000" },
                { "net.ipv4.neigh.default.retrans_time", "100" },
                { "net.ipv4.neigh.default.delay_first_probe_time", "5" },
                { "net.ipv4.neigh.default.gc_stale_time", "60" },
                { "net.ipv4.neigh.default.ucast_solicit", "3" },
                { "net.ipv4.neigh.default.app_solicit", "0" },
                { "net.ipv4.neigh.default.mcast_solicit", "3" },
                { "net.ipv4.neigh.default.mcast_resolicit", "0" },
                { "net.ipv4.neigh.default.unres_qlen_bytes", "212992" },
                { "net.ipv4.neigh.default.unres_qlen", "101" },
                { "net.ipv4.neigh.default.locktime", "100" },
                { "net.ipv4.neigh.default.gc_interval", "30" },
                { "net.ipv4.neigh.default.gc_thresh1", "128" },
                { "net.ipv4.neigh.default.gc_thresh2", "512" },
                { "net.ipv4.neigh.default.gc_thresh3", "1024" },
                { "net.ipv4.neigh.veth0.retrans_time_ms", "1000" },
                { "net.ipv4.neigh.veth0.mcast_solicit", "3" },
                { "net.ipv4.neigh.lo.ucast_solicit", "3" },
        };
        char buf[64];
        for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
                int err = strata_sysctl_get(L.a, want[i].key, buf, sizeof(buf));
                if (err)
                        TEST_FAIL("%s: %d", want[i].key, err);
                if (strcmp(buf, want[i].val) != 0)
                        TEST_FAIL("%s = %s, want %s", want[i].key, buf, want[i].val);
        }
        teardown();
}

/* --- gratuitous ARP, deletion, garbage collection -------------------------- */

/* Linux sends no gratuitous ARP on address add, nor on link up unless
 * net.ipv4.conf.*.arp_notify=1 (checked against the kernel in a netns). */
static void gratuitous_arp_only_with_arp_notify(void)
{
        setup(true, true);
        const uint64_t t0 = L.t0;
        CHECK_EQ(strata_addr_add(L.a, "veth0", "10.0.0.5/24"), 0);
        CHECK_EQ(L.cap.n, 0);
        CHECK_EQ(strata_link_set_up(L.a, "veth0", false), 0);
        CHECK_EQ(strata_link_set_up(L.a, "veth0", true), 0);
        CHECK_EQ(L.cap.n, 0);

        CHECK_EQ(strata_sysctl_set(L.a, "net.ipv4.conf.veth0.arp_notify", "1"), 0);
        CHECK_EQ(strata_link_set_up(L.a, "veth0", false), 0);
        CHECK_EQ(strata_link_set_up(L.a, "veth0", true), 0);
        CHECK_EQ(count_type(&L.cap, ETH_P_ARP), 2); /* 10.0.0.1 and 10.0.0.5 */
        const struct frame *f = &L.cap.f[1];
        CHECK_EQ(f->t, t0);
        CHECK_MEM(f->dst, bcast, ETH_ALEN);
        CHECK_EQ(f->arp.op, ARPOP_REQUEST);
        CHECK_EQ(f->arp.spa, 0x0a000005u);
        CHECK_EQ(f->arp.tpa, 0x0a000005u);
        CHECK_MEM(f->arp.sha, L.va->dev_addr, ETH_ALEN);
        CHECK_MEM(f->arp.tha, zero_mac, ETH_ALEN);
        run_to(t0 + 1 * MS);
        /* b had no entry for 10.0.0.5: a gratuitous ARP creates none */
        CHECK(lookup(L.b, L.vb, 0x0a000005u) == NULL);

        /* conf.all counts too: the device uses max(all, dev) */
        CHECK_EQ(strata_sysctl_set(L.a, "net.ipv4.conf.veth0.arp_notify", "0"), 0);
        CHECK_EQ(strata_sysctl_set(L.a, "net.ipv4.conf.all.arp_notify", "1"), 0);
        CHECK_EQ(strata_link_set_up(L.a, "veth0", false), 0);
        CHECK_EQ(strata_link_set_up(L.a, "veth0", true), 0);
        CHECK_EQ(count_type(&L.cap, ETH_P_ARP), 4);
        run_to(t0 + 1 * SEC);
        teardown();
}

static void neigh_delete_drops_queued_packets_dead(void)
{
        setup(false, true);
        ping("10.0.0.99", 1);
        ping("10.0.0.99", 2);
        struct neighbour *n = lookup(L.a, L.va, IP_NONE);
        CHECK(n);
        CHECK_EQ(n->arp_queue.qlen, 2);
        uint32_t entries = tbl_of(L.a)->entries;
        neigh_delete(n);
        CHECK_EQ(counter(L.a, "NEIGH_DEAD"), 2);
        CHECK_EQ(tbl_of(L.a)->entries, entries - 1);
        CHECK(lookup(L.a, L.va, IP_NONE) == NULL);
        /* its timer went with it: no more requests, no ICMP */
        run_to(L.t0 + 5 * SEC);
        CHECK_EQ(skb_pool_outstanding(L.a->net->pool), 0);
        CHECK_EQ(count_type(&L.cap, ETH_P_ARP), 1);
        CHECK_EQ(L.pings.n, 0);
        CHECK_EQ(counter(L.a, "NEIGH_FAILED"), 0);
        teardown();
}

static void fail_four_entries(void)
{
        ping("10.0.0.100", 1);
        ping("10.0.0.101", 2);
        ping("10.0.0.102", 3);
        ping("10.0.0.103", 4);
        run_to(L.t0 + 4 * SEC);
        CHECK_EQ(tbl_of(L.a)->entries, 4);
        for (uint32_t ip = 0x0a000064u; ip <= 0x0a000067u; ip++)
                CHECK_EQ(lookup(L.a, L.va, ip)->nud_state, NUD_FAILED);
}

static void gc_removes_failed_entries_past_gc_thresh1(void)
{
        setup(false, true);
        set_sysctl(L.a, "net.ipv4.neigh.default.gc_thresh1", "3");
        fail_four_entries();
        /* the periodic work runs every base_reachable_time/2 = 15 s */
        run_to(L.t0 + 16 * SEC);
        CHECK_EQ(tbl_of(L.a)->entries, 0);
        for (uint32_t ip = 0x0a000064u; ip <= 0x0a000067u; ip++)
                CHECK(lookup(L.a, L.va, ip) == NULL);
        CHECK_EQ(tbl_of(L.a)->destroys, 4 + 1 /* the warm-up entry */);
        teardown();
}

static void gc_keeps_entries_below_gc_thresh1(void)
{
        setup(false, true);
        fail_four_entries();
        run_to(L.t0 + 100 * SEC);
        CHECK_EQ(tbl_of(L.a)->entries, 4);
        teardown();
}

static void gc_removes_stale_entries_idle_past_gc_stale_time(void)
{
        setup(false, true);
        set_sysctl(L.a, "net.ipv4.neigh.default.gc_thresh1", "1");
        const uint64_t t0 = L.t0;
        struct neighbour *n = admin_entry(IP_B, L.vb->dev_addr, NUD_STALE);
        CHECK_EQ(n->used, t0);
        run_to(t0 + 60 * SEC - 1 * MS);
        CHECK(lookup(L.a, L.va, IP_B) == n);
        CHECK_EQ(n->nud_state, NUD_STALE);
        /* unused for gc_stale_time (60 s): collected by the next run */
        run_to(t0 + 76 * SEC);
        CHECK(lookup(L.a, L.va, IP_B) == NULL);
        CHECK_EQ(tbl_of(L.a)->entries, 0);
        teardown();
}

static void device_down_flushes_its_entries(void)
{
        setup(false, true);
        ping("10.0.0.99", 1);
        admin_entry(IP_B, L.vb->dev_addr, NUD_STALE);
        CHECK_EQ(tbl_of(L.a)->entries, 2);
        CHECK_EQ(strata_link_set_up(L.a, "veth0", false), 0);
        CHECK_EQ(tbl_of(L.a)->entries, 0);
        CHECK_EQ(counter(L.a, "NEIGH_DEAD"), 1);
        CHECK(lookup(L.a, L.va, IP_B) == NULL);
        run_to(L.t0 + 5 * SEC);
        teardown();
}

TEST_MAIN(T(first_packet_creates_incomplete_and_requests_at_once),
          T(unanswered_requests_every_retrans_time_then_failed),
          T(reply_makes_reachable_and_sends_queued_packet),
          T(reachable_becomes_stale_after_reachable_time_when_unused),
          T(stale_used_goes_delay_then_probe_then_reachable_on_reply),
          T(delay_confirmed_returns_to_reachable_without_probe),
          T(probe_without_answer_sends_unicast_probes_then_fails),
          T(unicast_probe_has_zero_target_hw), T(peer_request_keeps_reachable_entry_reachable),
          T(delay_probes_for_entry_created_early_in_simulated_time),
          T(unres_qlen_drops_oldest_queued_packets), T(unres_qlen_bytes_bounds_queue_by_truesize),
          T(retrans_time_sysctls_set_request_interval), T(mcast_solicit_zero_fails_at_once),
          T(mcast_solicit_sets_number_of_broadcast_requests),
          T(device_ucast_solicit_sets_number_of_probes),
          T(default_ucast_solicit_reaches_existing_device),
          T(device_own_value_survives_default_change),
          T(base_reachable_time_change_rerandomizes_reachable_time),
          T(reachable_time_stable_before_300_seconds), T(neigh_sysctls_have_linux_defaults),
          T(gratuitous_arp_only_with_arp_notify), T(neigh_delete_drops_queued_packets_dead),
          T(gc_removes_failed_entries_past_gc_thresh1), T(gc_keeps_entries_below_gc_thresh1),
          T(gc_removes_stale_entries_idle_past_gc_stale_time), T(device_down_flushes_its_entries))
