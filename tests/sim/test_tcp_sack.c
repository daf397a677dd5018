/*
 * SACK (RFC 2018, RFC 2883, RFC 6675) against a peer played by hand on a
 * probe device (10.0.0.1), Strata listening on 10.0.0.2:80, on the
 * simulated clock.
 *
 * Receiver:
 *  - out-of-order data is answered with SACK blocks, the block holding the
 *    newest segment first, older ones after (Linux's tcp_sack_new_ofo_skb);
 *    three blocks with timestamps, four without; a block that grows moves
 *    to the front and swallows the one it reaches; blocks below rcv_nxt go;
 *  - a duplicate segment is reported once as a D-SACK, in front of the
 *    blocks (TcpExt.TCPDSACKOldSent, TCPDSACKOfoSent);
 *  - no blocks when SACK was not negotiated.
 * Sender:
 *  - three SACKs above a hole enter recovery (TcpExt.TCPSackRecovery) and
 *    only the holes are retransmitted; TCP_INFO shows the scoreboard;
 *  - a segment SACKed below the highest SACK raises tcpi_reordering
 *    (TCPSACKReorder); a D-SACK and an invalid block are counted, not used;
 *  - after an RTO the SACKed segments are not sent again.
 * Each case ends with a leak check.
 */
#include <arpa/inet.h>
#include <linux/tcp.h>

#include "../test.h"
#include "probe.h"
#include "tcp_peer.h"
#include "strata/socket.h"
#include "strata/strata.h"
#include "wire/tcp.h"

#define MSS 1000

static uint64_t ctr(struct w *w, const char *name)
{
        uint64_t v = 0;
        CHECK_EQ(strata_counter(w->ns, name, &v), 0);
        return v;
}

/* A segment from the peer acking w->stack_nxt (or ack), with nblk SACK
 * blocks (relative to the stack's ISN+1 base sb), a timestamp when w->ts. */
static void peer_seg(struct w *w, uint8_t flags, uint32_t seq, uint32_t ack, const void *data,
                     size_t dlen, int nblk, const uint32_t (*blk)[2])
{
        struct tcp_repr th = {
                .sport = 40000, .dport = 80, .seq = seq, .ack = ack, .flags = flags, .window = 65535
        };
        if (w->ts) {
                th.opt.ts_ok = true;
                th.opt.tsval = w->now++;
        }
        for (int i = 0; i < nblk; i++) {
                th.opt.sack[i][0] = blk[i][0];
                th.opt.sack[i][1] = blk[i][1];
        }
        th.opt.nsack = (uint8_t)nblk;
        peer_emit(w, &th, NULL, 0, data, dlen);
}

/* Handshake: the peer offers sackOK (if sack), timestamps (if ts), MSS
 * 1000 and no window scaling. */
static void setup(struct w *w, const char *name, bool sack, bool ts)
{
        memset(w, 0, sizeof(*w));
        w->ts = ts;
        w->now = 100;
        peer_lab_up(w, name);
        struct tcp_repr th = {
                .sport = 40000, .dport = 80, .seq = w->peer_nxt, .flags = TCPF_SYN, .window = 65535
        };
        th.opt = (struct tcp_options){
                .mss_ok = true, .mss = MSS, .sack_ok = sack, .ts_ok = ts, .tsval = w->now++
        };
        peer_emit(w, &th, NULL, 0, NULL, 0);
        run(w, MSEC);
        size_t plen;
        CHECK(take_seg(w, &th, &plen));
        CHECK_EQ(th.flags, TCPF_SYN | TCPF_ACK);
        CHECK_EQ(th.opt.sack_ok, sack);
        w->peer_nxt++;
        w->stack_nxt = th.seq + 1;
        peer_seg(w, TCPF_ACK, w->peer_nxt, w->stack_nxt, NULL, 0, 0, NULL);
        run(w, MSEC);
        w->s = strata_accept(w->ns, w->l, NULL, NULL);
        CHECK(w->s >= 0);
        int sndbuf = 1 << 20;
        CHECK_EQ(strata_setsockopt(w->ns, w->s, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf)), 0);
        probe_drain(&w->probe);
}

/* The peer sends MSS bytes at offset off (bytes past its first data byte);
 * returns the stack's answer. */
static struct tcp_repr data_at(struct w *w, uint32_t off)
{
        static char buf[MSS];
        memset(buf, 'a' + (int)(off / MSS) % 26, sizeof(buf));
        peer_seg(w, TCPF_ACK, w->peer_nxt + off, w->stack_nxt, buf, MSS, 0, NULL);
        run(w, MSEC);
        struct tcp_repr th;
        size_t plen;
        memset(&th, 0, sizeof(th));
        if (!take_seg(w, &th, &plen))
                TEST_FAIL("no ACK for data at +%u", off);
        return th;
}

/* Block i of th, as offsets from the peer's first data byte. */
static void expect_block(struct w *w, const struct tcp_repr *th, int i, uint32_t s, uint32_t e)
{
        if (i >= th->opt.nsack)
                TEST_FAIL("ACK %u has %d SACK blocks, no block %d", th->ack - w->peer_nxt,
                          th->opt.nsack, i);
        uint32_t gs = th->opt.sack[i][0] - w->peer_nxt, ge = th->opt.sack[i][1] - w->peer_nxt;
        if (gs != s || ge != e)
                TEST_FAIL("SACK block %d is %u:%u, want %u:%u", i, gs, ge, s, e);
}

static void ooo_data_gets_blocks_newest_first(void)
{
        struct w w;
        setup(&w, "sack-rx", true, true);
        struct tcp_repr th = data_at(&w, 1000);
        CHECK_EQ(th.ack, w.peer_nxt);
        CHECK_EQ(th.opt.nsack, 1);
        expect_block(&w, &th, 0, 1000, 2000);
        th = data_at(&w, 3000);
        CHECK_EQ(th.opt.nsack, 2);
        expect_block(&w, &th, 0, 3000, 4000);
        expect_block(&w, &th, 1, 1000, 2000);
        th = data_at(&w, 5000);
        th = data_at(&w, 7000);
        /* timestamps leave room for three: the oldest is not reported */
        CHECK_EQ(th.opt.nsack, 3);
        expect_block(&w, &th, 0, 7000, 8000);
        expect_block(&w, &th, 1, 5000, 6000);
        expect_block(&w, &th, 2, 3000, 4000);
        /* 4000:5000 joins 3000:4000 and 5000:6000; that block leads */
        th = data_at(&w, 4000);
        CHECK_EQ(th.opt.nsack, 3);
        expect_block(&w, &th, 0, 3000, 6000);
        expect_block(&w, &th, 1, 7000, 8000);
        expect_block(&w, &th, 2, 1000, 2000);
        /* the hole at 0 fills: 1000:2000 is below rcv_nxt now */
        th = data_at(&w, 0);
        CHECK_EQ(th.ack, w.peer_nxt + 2000);
        CHECK_EQ(th.opt.nsack, 2);
        expect_block(&w, &th, 0, 3000, 6000);
        expect_block(&w, &th, 1, 7000, 8000);
        th = data_at(&w, 2000);
        th = data_at(&w, 6000);
        CHECK_EQ(th.ack, w.peer_nxt + 8000);
        CHECK_EQ(th.opt.nsack, 0); /* nothing out of order any more */
        teardown(&w);
}

static void four_blocks_without_timestamps(void)
{
        struct w w;
        setup(&w, "sack-rx4", true, false);
        struct tcp_repr th;
        for (uint32_t off = 1000; off <= 9000; off += 2000)
                th = data_at(&w, off);
        CHECK_EQ(th.opt.nsack, 4);
        expect_block(&w, &th, 0, 9000, 10000);
        expect_block(&w, &th, 3, 3000, 4000);
        teardown(&w);
}

static void no_blocks_without_sack_permitted(void)
{
        struct w w;
        setup(&w, "sack-off", false, true);
        struct tcp_repr th = data_at(&w, 1000);
        CHECK_EQ(th.ack, w.peer_nxt);
        CHECK_EQ(th.opt.nsack, 0);
        teardown(&w);
}

static void duplicate_data_gets_dsack_once(void)
{
        struct w w;
        setup(&w, "dsack", true, true);
        data_at(&w, 0);
        data_at(&w, 1000);
        /* 0:1000 again: below rcv_nxt, a D-SACK for it */
        struct tcp_repr th = data_at(&w, 0);
        CHECK_EQ(th.ack, w.peer_nxt + 2000);
        CHECK_EQ(th.opt.nsack, 1);
        expect_block(&w, &th, 0, 0, 1000);
        CHECK_EQ(ctr(&w, "TcpExt.TCPDSACKOldSent"), 1);
        CHECK_EQ(ctr(&w, "TcpExt.DelayedACKLost"), 1);
        /* out of order, then the same again: D-SACK first, then the block */
        th = data_at(&w, 4000);
        CHECK_EQ(th.opt.nsack, 1);
        th = data_at(&w, 4000);
        CHECK_EQ(th.opt.nsack, 2);
        expect_block(&w, &th, 0, 4000, 5000);
        expect_block(&w, &th, 1, 4000, 5000);
        CHECK_EQ(ctr(&w, "TcpExt.TCPDSACKOfoSent"), 1);
        CHECK_EQ(ctr(&w, "TcpExt.TCPOFOMerge"), 1);
        /* the D-SACK went once: the next ACK has the plain block only */
        th = data_at(&w, 6000);
        CHECK_EQ(th.opt.nsack, 2);
        expect_block(&w, &th, 0, 6000, 7000);
        expect_block(&w, &th, 1, 4000, 5000);
        teardown(&w);
}

/* --- sender ------------------------------------------------------------ */

/* The stack sends n segments of MSS bytes; returns how many it sent now. */
static int stack_sends(struct w *w, int n)
{
        static char buf[20 * MSS];
        memset(buf, 'x', sizeof(buf));
        CHECK_EQ(strata_send(w->ns, w->s, buf, (size_t)n * MSS, MSG_DONTWAIT), n * MSS);
        run(w, MSEC);
        struct tcp_repr th;
        size_t plen;
        int got = 0;
        while (take_seg(w, &th, &plen))
                if (plen)
                        got++;
        return got;
}

/* The peer ACKs ack (offset from the stack's first data byte) with SACK
 * blocks given as segment numbers [from, to) ; collects what the stack
 * sends in answer into sent[] (segment numbers), returns how many. */
static int sack_ack(struct w *w, uint32_t ack_seg, int nblk, const uint32_t (*segs)[2], int *sent,
                    int cap)
{
        uint32_t blk[TCP_MAX_SACK][2];
        for (int i = 0; i < nblk; i++) {
                blk[i][0] = w->stack_nxt + segs[i][0] * MSS;
                blk[i][1] = w->stack_nxt + segs[i][1] * MSS;
        }
        peer_seg(w, TCPF_ACK, w->peer_nxt, w->stack_nxt + ack_seg * MSS, NULL, 0, nblk, blk);
        run(w, MSEC);
        struct tcp_repr th;
        size_t plen;
        int n = 0;
        while (take_seg(w, &th, &plen))
                if (plen && n < cap)
                        sent[n++] = (int)((th.seq - w->stack_nxt) / MSS);
        return n;
}

static struct tcp_info info(struct w *w)
{
        struct tcp_info ti;
        socklen_t len = sizeof(ti);
        memset(&ti, 0, sizeof(ti));
        CHECK_EQ(strata_getsockopt(w->ns, w->s, IPPROTO_TCP, TCP_INFO, &ti, &len), 0);
        return ti;
}

/* RFC 6675's dupthresh rule alone: net.ipv4.tcp_recovery=0 (no RACK). */
static void dupthresh(struct w *w)
{
        CHECK_EQ(strata_sysctl_set(w->ns, "net.ipv4.tcp_recovery", "0"), 0);
}

static void recovery_retransmits_only_the_holes(void)
{
        struct w w;
        setup(&w, "sack-tx", true, false);
        dupthresh(&w);
        CHECK_EQ(stack_sends(&w, 10), 10);
        /* segments 0 and 4 are lost; the peer SACKs the others one by one */
        int sent[16], n;
        uint32_t b1[][2] = { { 1, 2 } };
        n = sack_ack(&w, 0, 1, b1, sent, 16);
        CHECK_EQ(info(&w).tcpi_ca_state, TCP_CA_Disorder);
        CHECK_EQ(info(&w).tcpi_sacked, 1);
        uint32_t b2[][2] = { { 1, 3 } };
        n = sack_ack(&w, 0, 1, b2, sent, 16);
        uint32_t b3[][2] = { { 1, 4 } };
        n = sack_ack(&w, 0, 1, b3, sent, 16);
        /* three SACKed above segment 0 (dupthresh): it is lost and goes */
        CHECK_EQ(ctr(&w, "TcpExt.TCPSackRecovery"), 1);
        CHECK_EQ(n, 1);
        CHECK_EQ(sent[0], 0);
        struct tcp_info ti = info(&w);
        CHECK_EQ(ti.tcpi_ca_state, TCP_CA_Recovery);
        CHECK_EQ(ti.tcpi_unacked, 10); /* segments, not bytes */
        CHECK_EQ(ti.tcpi_sacked, 3);
        CHECK_EQ(ti.tcpi_lost, 1);
        CHECK_EQ(ti.tcpi_retrans, 1);
        /* one SACKed above segment 4: not lost yet, nothing resent */
        uint32_t b4[][2] = { { 5, 6 }, { 1, 4 } };
        n = sack_ack(&w, 0, 2, b4, sent, 16);
        CHECK_EQ(n, 0);
        CHECK_EQ(info(&w).tcpi_lost, 1);
        uint32_t b5[][2] = { { 5, 9 }, { 1, 4 } };
        n = sack_ack(&w, 0, 2, b5, sent, 16);
        /* now 4 has three SACKed above it: it goes, and only it */
        bool four = false;
        for (int i = 0; i < n; i++) {
                if (sent[i] < 10 && sent[i] != 4)
                        TEST_FAIL("segment %d retransmitted though SACKed or resent", sent[i]);
                four |= sent[i] == 4;
        }
        CHECK(four);
        CHECK_EQ(info(&w).tcpi_lost, 2);
        CHECK_EQ(ctr(&w, "TcpExt.TCPFastRetrans"), 2);
        /* everything acked: the episode ends */
        uint32_t none[][2] = { { 0, 0 } };
        n = sack_ack(&w, 10, 0, none, sent, 16);
        ti = info(&w);
        CHECK_EQ(ti.tcpi_ca_state, TCP_CA_Open);
        CHECK_EQ(ti.tcpi_sacked, 0);
        CHECK_EQ(ti.tcpi_lost, 0);
        CHECK_EQ(ti.tcpi_retrans, 0);
        teardown(&w);
}

static void reordering_raises_dupthresh(void)
{
        struct w w;
        setup(&w, "sack-reord", true, false);
        CHECK_EQ(stack_sends(&w, 10), 10);
        int sent[16];
        uint32_t b1[][2] = { { 7, 8 } };
        sack_ack(&w, 0, 1, b1, sent, 16);
        CHECK_EQ(info(&w).tcpi_reordering, 3);
        uint32_t b2[][2] = { { 3, 4 }, { 7, 8 } };
        sack_ack(&w, 0, 2, b2, sent, 16);
        /* 3 arrived after 7: reordered by five segments */
        CHECK_EQ(info(&w).tcpi_reordering, 5);
        CHECK_EQ(ctr(&w, "TcpExt.TCPSACKReorder"), 1);
        CHECK_EQ(ctr(&w, "TcpExt.TCPSackRecovery"), 0);
        teardown(&w);
}

static void dsack_and_bad_blocks_counted_not_used(void)
{
        struct w w;
        setup(&w, "sack-bad", true, false);
        CHECK_EQ(stack_sends(&w, 4), 4);
        int sent[16];
        /* a D-SACK below the cumulative ACK */
        uint32_t d[][2] = { { 0, 1 } };
        sack_ack(&w, 2, 1, d, sent, 16);
        CHECK_EQ(ctr(&w, "TcpExt.TCPDSACKRecv"), 1);
        CHECK_EQ(info(&w).tcpi_sacked, 0);
        /* a block past what was sent */
        uint32_t bad[][2] = { { 3, 9 } };
        sack_ack(&w, 2, 1, bad, sent, 16);
        CHECK_EQ(ctr(&w, "TcpExt.TCPSACKDiscard"), 1);
        CHECK_EQ(info(&w).tcpi_sacked, 0);
        /* a block inside the next one: a D-SACK of out-of-order data */
        uint32_t o[][2] = { { 3, 4 }, { 3, 4 } };
        sack_ack(&w, 2, 2, o, sent, 16);
        CHECK_EQ(ctr(&w, "TcpExt.TCPDSACKOfoRecv"), 1);
        CHECK_EQ(info(&w).tcpi_sacked, 1);
        teardown(&w);
}

static void rto_does_not_resend_sacked(void)
{
        struct w w;
        setup(&w, "sack-rto", true, false);
        dupthresh(&w);
        CHECK_EQ(strata_sysctl_set(w.ns, "net.ipv4.tcp_early_retrans", "0"), 0); /* no TLP */
        CHECK_EQ(stack_sends(&w, 6), 6);
        int sent[16];
        /* 1 and 3 SACKed: too few for recovery; then silence until the RTO */
        uint32_t b[][2] = { { 3, 4 }, { 1, 2 } };
        sack_ack(&w, 0, 2, b, sent, 16);
        CHECK_EQ(info(&w).tcpi_ca_state, TCP_CA_Disorder);
        run(&w, 300 * MSEC); /* one RTO (srtt 1 ms + 200 ms), not two */
        struct tcp_repr th;
        size_t plen;
        int n = 0, first = -1;
        while (take_seg(&w, &th, &plen))
                if (plen) {
                        n++;
                        first = (int)((th.seq - w.stack_nxt) / MSS);
                }
        CHECK_EQ(n, 1);
        CHECK_EQ(first, 0);
        struct tcp_info ti = info(&w);
        CHECK_EQ(ti.tcpi_ca_state, TCP_CA_Loss);
        CHECK_EQ(ti.tcpi_sacked, 2);
        CHECK_EQ(ti.tcpi_lost, 4);
        /* segment 0 arrives: slow start resends the holes 2 and 4, not 1 or 3 */
        uint32_t b2[][2] = { { 3, 4 } };
        int k = sack_ack(&w, 2, 1, b2, sent, 16);
        CHECK_EQ(k, 2);
        CHECK_EQ(sent[0], 2);
        CHECK_EQ(sent[1], 4);
        uint32_t none[][2] = { { 0, 0 } };
        k = sack_ack(&w, 6, 0, none, sent, 16);
        CHECK_EQ(k, 0);
        CHECK_EQ(info(&w).tcpi_ca_state, TCP_CA_Open);
        CHECK_EQ(ctr(&w, "TcpExt.TCPSackFailures"), 1);
        teardown(&w);
}

/* RACK (RFC 8985, the default): one SACK above the first segments, and
 * no more ACKs -- the reordering timer, a quarter RTT after the SACKed
 * segment's RTT, marks the earlier ones lost long before the RTO. */
static void rack_timer_marks_late_segments(void)
{
        struct w w;
        setup(&w, "sack-rack", true, false);
        CHECK_EQ(stack_sends(&w, 6), 6);
        int sent[16];
        uint32_t b[][2] = { { 3, 4 } };
        int n = sack_ack(&w, 0, 1, b, sent, 16);
        CHECK_EQ(n, 0); /* not late yet: the reordering window */
        CHECK_EQ(info(&w).tcpi_ca_state, TCP_CA_Disorder);
        run(&w, 10 * MSEC); /* RTT 1 ms: far below the 200 ms RTO */
        struct tcp_repr th;
        size_t plen;
        n = 0;
        while (take_seg(&w, &th, &plen))
                if (plen) {
                        int seg = (int)((th.seq - w.stack_nxt) / MSS);
                        if (seg >= 3)
                                TEST_FAIL("segment %d resent: not sent before the SACKed one", seg);
                        n++;
                }
        CHECK(n >= 1);
        struct tcp_info ti = info(&w);
        CHECK_EQ(ti.tcpi_ca_state, TCP_CA_Recovery);
        CHECK_EQ(ti.tcpi_lost, 3);
        CHECK_EQ(ctr(&w, "TcpExt.TCPSackRecovery"), 1);
        CHECK_EQ(ctr(&w, "TcpExt.TCPTimeouts"), 0);
        teardown(&w);
}

/* RACK in recovery: one SACK above a hole is enough once the episode runs
 * (no reordering seen: a zero window). */
static void rack_marks_hole_below_newest_sack(void)
{
        struct w w;
        setup(&w, "sack-rack2", true, false);
        CHECK_EQ(stack_sends(&w, 10), 10);
        int sent[16], n;
        uint32_t b1[][2] = { { 1, 2 } }, b2[][2] = { { 1, 3 } }, b3[][2] = { { 1, 4 } };
        sack_ack(&w, 0, 1, b1, sent, 16);
        sack_ack(&w, 0, 1, b2, sent, 16);
        n = sack_ack(&w, 0, 1, b3, sent, 16);
        CHECK_EQ(n, 1);
        CHECK_EQ(sent[0], 0);
        uint32_t b4[][2] = { { 5, 6 }, { 1, 4 } };
        n = sack_ack(&w, 0, 2, b4, sent, 16);
        CHECK_EQ(n, 1);
        CHECK_EQ(sent[0], 4);
        CHECK_EQ(info(&w).tcpi_lost, 2);
        teardown(&w);
}

/* A lost tail: nothing comes back for the last segments.  Two RTTs later
 * (not an RTO) the last segment is resent as a probe (TcpExt.TCPLossProbes);
 * its SACK shows the segments before it lost, which RACK repairs at once. */
static void tail_loss_probe_resends_last_segment(void)
{
        struct w w;
        setup(&w, "sack-tlp", true, false);
        /* an RTT sample of 20 ms first: srtt 20 ms, RTO 220 ms */
        CHECK_EQ(stack_sends(&w, 1), 1);
        run(&w, 19 * MSEC);
        int sent[16];
        uint32_t none[][2] = { { 0, 0 } };
        sack_ack(&w, 1, 0, none, sent, 16);
        w.stack_nxt += MSS;
        CHECK_EQ(stack_sends(&w, 3), 3);
        /* the probe timeout: 2 srtt + 2 ms, well before the RTO */
        run(&w, 60 * MSEC);
        struct tcp_repr th;
        size_t plen;
        int n = 0, seg = -1;
        while (take_seg(&w, &th, &plen))
                if (plen) {
                        n++;
                        seg = (int)((th.seq - w.stack_nxt) / MSS);
                }
        CHECK_EQ(n, 1);
        CHECK_EQ(seg, 2);
        CHECK_EQ(ctr(&w, "TcpExt.TCPLossProbes"), 1);
        CHECK_EQ(ctr(&w, "TcpExt.TCPTimeouts"), 0);
        CHECK_EQ(info(&w).tcpi_ca_state, TCP_CA_Open);
        /* the probe is SACKed: 0 and 1 were sent before it, lost (RACK) */
        uint32_t b[][2] = { { 2, 3 } };
        int k = sack_ack(&w, 0, 1, b, sent, 16);
        /* PRR lets one go for the one delivered; the other follows the
         * next ACK */
        CHECK_EQ(k, 1);
        CHECK_EQ(sent[0], 0);
        struct tcp_info ti = info(&w);
        CHECK_EQ(ti.tcpi_ca_state, TCP_CA_Recovery);
        CHECK_EQ(ti.tcpi_lost, 2);
        uint32_t b2[][2] = { { 2, 3 } };
        k = sack_ack(&w, 1, 1, b2, sent, 16);
        CHECK_EQ(k, 1);
        CHECK_EQ(sent[0], 1);
        teardown(&w);
}

/* A recovery that was not needed: the segment judged lost had only been
 * delayed, and the peer D-SACKs the retransmission.  Every retransmission
 * of the episode D-SACKed: the window cut is undone (TcpExt.TCPDSACKUndo,
 * or TCPFullUndo when the D-SACK comes with the ACK that ends it). */
static void dsack_undoes_needless_recovery(void)
{
        struct w w;
        setup(&w, "sack-undo", true, false);
        CHECK_EQ(stack_sends(&w, 10), 10);
        uint32_t cwnd0 = info(&w).tcpi_snd_cwnd;
        int sent[16], n;
        uint32_t b1[][2] = { { 1, 2 } }, b2[][2] = { { 1, 3 } }, b3[][2] = { { 1, 4 } };
        sack_ack(&w, 0, 1, b1, sent, 16);
        sack_ack(&w, 0, 1, b2, sent, 16);
        n = sack_ack(&w, 0, 1, b3, sent, 16);
        CHECK_EQ(n, 1);
        CHECK_EQ(sent[0], 0);
        struct tcp_info ti = info(&w);
        CHECK_EQ(ti.tcpi_ca_state, TCP_CA_Recovery);
        CHECK(ti.tcpi_snd_cwnd < cwnd0);
        /* the original 0 arrives (ACK 4, the rest SACKed); then the
         * retransmission, reported as a D-SACK */
        uint32_t rest[][2] = { { 4, 10 } };
        n = sack_ack(&w, 4, 1, rest, sent, 16);
        CHECK_EQ(n, 0);
        uint32_t d[][2] = { { 0, 1 }, { 4, 10 } };
        sack_ack(&w, 4, 2, d, sent, 16);
        CHECK_EQ(ctr(&w, "TcpExt.TCPDSACKRecv"), 1);
        CHECK_EQ(ctr(&w, "TcpExt.TCPDSACKUndo"), 1);
        ti = info(&w);
        CHECK(ti.tcpi_ca_state != TCP_CA_Recovery);
        CHECK_EQ(ti.tcpi_snd_cwnd, cwnd0);
        CHECK_EQ(ti.tcpi_snd_ssthresh, 0x7fffffffu);
        teardown(&w);
}

/* Data segments the stack sends within ms, as segment numbers. */
static int sent_within(struct w *w, uint64_t ms, int *sent, int cap)
{
        run(w, ms * MSEC);
        struct tcp_repr th;
        size_t plen;
        int n = 0;
        while (take_seg(w, &th, &plen))
                if (plen && n < cap)
                        sent[n++] = (int)((th.seq - w->stack_nxt) / MSS);
        return n;
}

/* RFC 8985 7.2 (tcp_rack_update_reo_wnd): a D-SACK says a retransmission
 * was needless, so RACK waits longer before calling a segment lost --
 * min_rtt/4 per step (here 1 ms / 4: the handshake's RTT), a step more per
 * round trip that brings a D-SACK, up to srtt. */
static void dsack_widens_rack_reordering_window(void)
{
        for (int dsack = 0; dsack < 2; dsack++) {
                struct w w;
                setup(&w, dsack ? "sack-reo2" : "sack-reo1", true, false);
                /* no tail loss probe: RACK alone decides */
                CHECK_EQ(strata_sysctl_set(w.ns, "net.ipv4.tcp_early_retrans", "0"), 0);
                int sent[16];
                /* 40 round trips of 40 ms, each ACK (with dsack) also
                 * reporting segment 0 again: 40 steps, 10 ms of window */
                for (uint32_t k = 0; k < 40; k++) {
                        CHECK_EQ(stack_sends(&w, 1), 1);
                        run(&w, 39 * MSEC);
                        uint32_t d[][2] = { { 0, 1 } };
                        sack_ack(&w, k + 1, dsack && k ? 1 : 0, d, sent, 16);
                }
                CHECK_EQ(ctr(&w, "TcpExt.TCPDSACKRecv"), dsack ? 39u : 0u);
                /* segments 40..45 at once; 40 ms later only 43 is SACKed */
                CHECK_EQ(stack_sends(&w, 6), 6);
                run(&w, 38 * MSEC);
                uint32_t b[][2] = { { 43, 44 } };
                CHECK_EQ(sack_ack(&w, 40, 1, b, sent, 16), 0);
                /* one step waits 0.25 ms (+2 ms timer slack); 40 wait 10 ms */
                int early = sent_within(&w, 6, sent, 16);
                if (dsack) {
                        CHECK_EQ(early, 0);
                        CHECK(sent_within(&w, 10, sent, 16) >= 1);
                } else {
                        CHECK(early >= 1);
                }
                CHECK_EQ(sent[0], 40);
                teardown(&w);
        }
}

/* F-RTO (RFC 5682, net.ipv4.tcp_frto): the ACKs were only late.  After
 * the RTO resends segment 0, the first ACK covers it -- new data goes, not
 * segment 1 again -- and the next ACK covers segments never resent: the
 * timeout was spurious, and the window and state come back
 * (TcpExt.TCPSpuriousRTOs, TCPLossUndo).  With tcp_frto 0 the same ACK
 * has segment 1 resent, as conventional recovery does. */
static void frto_undoes_spurious_rto(void)
{
        for (int frto = 1; frto >= 0; frto--) {
                struct w w;
                setup(&w, frto ? "sack-frto1" : "sack-frto0", true, false);
                CHECK_EQ(strata_sysctl_set(w.ns, "net.ipv4.tcp_early_retrans", "0"), 0);
                CHECK_EQ(strata_sysctl_set(w.ns, "net.ipv4.tcp_frto", frto ? "2" : "0"), 0);
                /* 20 segments written, the initial window's 10 sent */
                static char buf[20 * MSS];
                CHECK_EQ(strata_send(w.ns, w.s, buf, sizeof(buf), MSG_DONTWAIT), (ssize_t)sizeof(buf));
                int sent[32];
                CHECK_EQ(sent_within(&w, 1, sent, 32), 10);
                uint32_t cwnd0 = info(&w).tcpi_snd_cwnd;
                /* no ACK for 300 ms: the RTO (200 ms) resends segment 0 */
                int n = sent_within(&w, 300, sent, 32);
                CHECK(n >= 1);
                CHECK_EQ(sent[0], 0);
                CHECK_EQ(ctr(&w, "TcpExt.TCPTimeouts"), 1);
                CHECK_EQ(info(&w).tcpi_ca_state, TCP_CA_Loss);
                /* the late ACK of segment 0 */
                n = sack_ack(&w, 1, 0, NULL, sent, 32);
                if (!frto) {
                        CHECK(n >= 1);
                        CHECK_EQ(sent[0], 1); /* resent: taken as lost */
                        teardown(&w);
                        continue;
                }
                CHECK(n >= 1);
                for (int i = 0; i < n; i++)
                        if (sent[i] < 10)
                                TEST_FAIL("segment %d resent after the first ACK (F-RTO sends new data)",
                                          sent[i]);
                /* the late ACKs of segments sent once: spurious */
                sack_ack(&w, 5, 0, NULL, sent, 32);
                CHECK_EQ(ctr(&w, "TcpExt.TCPSpuriousRTOs"), 1);
                CHECK_EQ(ctr(&w, "TcpExt.TCPLossUndo"), 1);
                struct tcp_info ti = info(&w);
                CHECK_EQ(ti.tcpi_ca_state, TCP_CA_Open);
                CHECK(ti.tcpi_snd_cwnd >= cwnd0);
                CHECK_EQ(ti.tcpi_lost, 0);
                teardown(&w);
        }
}

/* Without SACK, RFC 3042: each of the first two duplicate ACKs lets one
 * new segment go (Linux counts them as segments that left, its reno
 * "sacked_out"); the third is the fast retransmit. */
static void limited_transmit_without_sack(void)
{
        struct w w;
        setup(&w, "lt-nosack", false, false);
        static char buf[12 * MSS];
        memset(buf, 'x', sizeof(buf));
        CHECK_EQ(strata_send(w.ns, w.s, buf, sizeof(buf), MSG_DONTWAIT), (ssize_t)sizeof(buf));
        run(&w, MSEC);
        struct tcp_repr th;
        size_t plen;
        int got = 0;
        while (take_seg(&w, &th, &plen))
                got += plen ? 1 : 0;
        CHECK_EQ(got, 10); /* the initial window */
        int sent[16], n;
        uint32_t none[][2] = { { 0, 0 } };
        n = sack_ack(&w, 0, 0, none, sent, 16);
        CHECK_EQ(n, 1);
        CHECK_EQ(sent[0], 10);
        CHECK_EQ(info(&w).tcpi_ca_state, TCP_CA_Disorder);
        n = sack_ack(&w, 0, 0, none, sent, 16);
        CHECK_EQ(n, 1);
        CHECK_EQ(sent[0], 11);
        n = sack_ack(&w, 0, 0, none, sent, 16);
        CHECK_EQ(n, 1);
        CHECK_EQ(sent[0], 0); /* fast retransmit */
        CHECK_EQ(info(&w).tcpi_ca_state, TCP_CA_Recovery);
        teardown(&w);
}

TEST_MAIN(T(dsack_widens_rack_reordering_window), T(frto_undoes_spurious_rto), T(ooo_data_gets_blocks_newest_first), T(four_blocks_without_timestamps),
          T(no_blocks_without_sack_permitted), T(duplicate_data_gets_dsack_once),
          T(recovery_retransmits_only_the_holes), T(reordering_raises_dupthresh),
          T(dsack_and_bad_blocks_counted_not_used), T(rto_does_not_resend_sacked),
          T(rack_timer_marks_late_segments), T(rack_marks_hole_below_newest_sack),
          T(tail_loss_probe_resends_last_segment), T(dsack_undoes_needless_recovery),
          T(limited_transmit_without_sack))
