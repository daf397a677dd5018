/*
 * SACK blocks and the sender's scoreboard (see tcp_sack.h).
 *
 * The receiver keeps up to four blocks, the most recently changed first
 * (RFC 2018 section 4: "the first SACK block MUST specify the contiguous
 * block of data containing the segment which triggered this ACK"); a block
 * that grows moves to the front and swallows its neighbours, a new one
 * pushes the oldest out.  A D-SACK (RFC 2883) rides in front of them on the
 * next ACK only.  With timestamps three blocks fit in the 40 option bytes.
 *
 * The sender marks write-queue skbs from the blocks it receives.  Blocks
 * are checked as Linux's tcp_is_sackblock_valid does: inside what was sent
 * and not below snd_una unless it is a D-SACK (a block below the cumulative
 * ACK, or inside the second block).  A segment SACKed below the highest
 * SACKed one that was never retransmitted shows reordering; the reordering
 * degree (dupthresh) grows to the distance in segments, up to 300 as
 * Linux's tcp_max_reordering.  Only whole skbs are marked: a block covering
 * part of a segment (Linux splits the skb) marks nothing of it.
 */
#include <stdlib.h>

#include "transport/tcp_sack.h"

#include "transport/tcp.h"

#define TCP_MAX_REORDERING 300 /* net.ipv4.tcp_max_reordering */

/* --- receiver -------------------------------------------------------- */

/* tcp_sack_extend: grow sp by [seq, end) if they touch or overlap. */
static bool sack_extend(struct tcp_sack_block *sp, uint32_t seq, uint32_t end)
{
        if (seq_after(seq, sp->end_seq) || seq_after(sp->start_seq, end))
                return false;
        if (seq_before(seq, sp->start_seq))
                sp->start_seq = seq;
        if (seq_after(end, sp->end_seq))
                sp->end_seq = end;
        return true;
}

/* tcp_sack_maybe_coalesce: the first block may now touch later ones. */
static void sack_coalesce(struct tcp_sack_rx *rx)
{
        struct tcp_sack_block *sp = &rx->blocks[0];
        for (unsigned i = 1; i < rx->num_sacks;) {
                if (sack_extend(sp, rx->blocks[i].start_seq, rx->blocks[i].end_seq)) {
                        rx->num_sacks--;
                        for (unsigned j = i; j < rx->num_sacks; j++)
                                rx->blocks[j] = rx->blocks[j + 1];
                        continue;
                }
                i++;
        }
}

/* The receiver's blocks, made when the first one is needed: a connection
 * that sees no loss or reordering never has any.  NULL when out of memory
 * (the ACK then goes without blocks). */
static struct tcp_sack_rx *rx_get(struct tcp_sock *tp)
{
        if (!tp->rx_sack)
                tp->rx_sack = calloc(1, sizeof(*tp->rx_sack));
        return tp->rx_sack;
}

/* Nothing left to report: the blocks go until needed again. */
static void rx_put(struct tcp_sock *tp)
{
        struct tcp_sack_rx *rx = tp->rx_sack;
        if (rx && !rx->num_sacks && !rx->dsack) {
                free(rx);
                tp->rx_sack = NULL;
        }
}

void tcp_sack_free(struct tcp_sock *tp)
{
        free(tp->rx_sack);
        tp->rx_sack = NULL;
}

void tcp_sack_new_ofo(struct tcp_sock *tp, uint32_t seq, uint32_t end)
{
        if (!tp->sack_ok)
                return;
        struct tcp_sack_rx *rx = rx_get(tp);
        if (!rx)
                return;
        for (unsigned i = 0; i < rx->num_sacks; i++) {
                if (sack_extend(&rx->blocks[i], seq, end)) {
                        /* rotate it to the front, then merge what it reaches */
                        struct tcp_sack_block b = rx->blocks[i];
                        for (; i > 0; i--)
                                rx->blocks[i] = rx->blocks[i - 1];
                        rx->blocks[0] = b;
                        sack_coalesce(rx);
                        return;
                }
        }
        /* a new block in front; the oldest falls off a full list */
        unsigned n = rx->num_sacks < TCP_NUM_SACKS ? rx->num_sacks : TCP_NUM_SACKS - 1;
        for (unsigned i = n; i > 0; i--)
                rx->blocks[i] = rx->blocks[i - 1];
        rx->blocks[0] = (struct tcp_sack_block){ seq, end };
        rx->num_sacks = (uint8_t)(n + 1);
}

void tcp_sack_remove(struct tcp_sock *tp)
{
        struct tcp_sack_rx *rx = tp->rx_sack;
        if (!rx)
                return;
        if (!tp->ooo_queue.first) {
                rx->num_sacks = 0;
                rx_put(tp);
                return;
        }
        for (unsigned i = 0; i < rx->num_sacks;) {
                if (!seq_before(tp->rcv_nxt, rx->blocks[i].start_seq)) {
                        rx->num_sacks--;
                        for (unsigned j = i; j < rx->num_sacks; j++)
                                rx->blocks[j] = rx->blocks[j + 1];
                        continue;
                }
                i++;
        }
        rx_put(tp);
}

void tcp_dsack_set(struct sock *sk, uint32_t seq, uint32_t end)
{
        struct tcp_sock *tp = tcp_sk(sk);
        if (!tp->sack_ok || !tcp_cfg(sk->net)->dsack || !seq_before(seq, end))
                return;
        if (seq_before(seq, tp->rcv_nxt))
                TCPEXT_INC(sk->net, TCPDSACKOldSent);
        else
                TCPEXT_INC(sk->net, TCPDSACKOfoSent);
        struct tcp_sack_rx *rx = rx_get(tp);
        if (!rx)
                return;
        rx->dsack = true;
        rx->duplicate_sack = (struct tcp_sack_block){ seq, end };
}

void tcp_dsack_extend(struct sock *sk, uint32_t seq, uint32_t end)
{
        struct tcp_sock *tp = tcp_sk(sk);
        if (!tp->rx_sack || !tp->rx_sack->dsack)
                tcp_dsack_set(sk, seq, end);
        else
                sack_extend(&tp->rx_sack->duplicate_sack, seq, end);
}

void tcp_sack_options(struct tcp_sock *tp, struct tcp_options *o)
{
        struct tcp_sack_rx *rx = tp->rx_sack;
        if (!tp->sack_ok || !rx || (!rx->dsack && !rx->num_sacks))
                return;
        /* 40 option bytes: 12 go to timestamps, 4 to NOP NOP kind len */
        unsigned max = o->ts_ok ? 3 : 4, n = 0;
        if (rx->dsack) {
                o->sack[n][0] = rx->duplicate_sack.start_seq;
                o->sack[n][1] = rx->duplicate_sack.end_seq;
                n++;
                rx->dsack = false;
        }
        for (unsigned i = 0; i < rx->num_sacks && n < max; i++, n++) {
                o->sack[n][0] = rx->blocks[i].start_seq;
                o->sack[n][1] = rx->blocks[i].end_seq;
        }
        o->nsack = (uint8_t)n;
        rx_put(tp);
}

/* --- sender ---------------------------------------------------------- */

uint32_t tcp_packets_out(const struct tcp_sock *tp)
{
        /* every sent skb is one segment (tcp_tso.c); the SYN counts while
         * unacknowledged, as Linux's SYN skb does */
        return tp->packets_out + (tp->snd_una == tp->iss && tp->snd_nxt != tp->iss ? 1 : 0);
}

uint32_t tcp_packets_in_flight(const struct tcp_sock *tp)
{
        const struct tcp_scoreboard *sb = &tp->sb;
        uint32_t out = tcp_packets_out(tp) + sb->retrans_out;
        uint32_t left = sb->sacked_out + sb->lost_out;
        return out > left ? out - left : 0;
}

uint32_t tcp_left_out_bytes(const struct tcp_sock *tp)
{
        const struct tcp_scoreboard *sb = &tp->sb;
        uint32_t left = sb->sacked_out + sb->lost_out;
        if (left <= sb->retrans_out)
                return 0;
        uint64_t bytes = (uint64_t)(left - sb->retrans_out) * tp->mss;
        uint32_t flight = tp->snd_nxt - tp->snd_una;
        return bytes > flight ? flight : (uint32_t)bytes;
}

/* tcp_check_sack_reordering: low_seq was delivered after data up to the
 * highest SACK: the network reorders by that many segments. */
static void sack_check_reordering(struct sock *sk, uint32_t low_seq)
{
        struct tcp_sock *tp = tcp_sk(sk);
        struct tcp_scoreboard *sb = &tp->sb;
        uint32_t fack = sb->highest_sack, mss = tp->mss;
        if (!fack || !seq_before(low_seq, fack) || !mss)
                return;
        uint32_t metric = fack - low_seq;
        if (metric > sb->reordering * mss) {
                uint32_t r = (metric + mss - 1) / mss;
                sb->reordering = r < TCP_MAX_REORDERING ? r : TCP_MAX_REORDERING;
        }
        sb->reord_seen++;
        TCPEXT_INC(sk->net, TCPSACKReorder);
}

/* tcp_is_sackblock_valid */
static bool sack_block_valid(const struct tcp_sock *tp, bool is_dsack, uint32_t start, uint32_t end)
{
        if (seq_after(end, tp->snd_nxt) || !seq_before(start, end))
                return false;
        if (!seq_before(start, tp->snd_una))
                return true;
        if (!is_dsack)
                return false;
        /* a D-SACK below snd_una: all of it below, and not absurdly old */
        if (seq_after(end, tp->snd_una))
                return false;
        uint32_t win = tp->snd_wnd > 65535 ? tp->snd_wnd : 65535;
        return !seq_before(start, end - win);
}

/* tcp_sacktag_one: a segment the peer holds. */
static void sack_tag_one(struct tcp_sock *tp, struct sk_buff *skb, uint32_t *reord, uint64_t now)
{
        struct tcp_scoreboard *sb = &tp->sb;
        struct tcp_skb_cb *cb = TCP_SKB_CB(skb);
        if (cb->sacked & TCPCB_SACKED_RETRANS) {
                cb->sacked &= (uint8_t)~TCPCB_SACKED_RETRANS;
                sb->retrans_out--;
        }
        if (cb->sacked & TCPCB_LOST) {
                cb->sacked &= (uint8_t)~TCPCB_LOST;
                sb->lost_out--;
        }
        if (!(cb->sacked & TCPCB_EVER_RETRANS) && sb->highest_sack &&
            seq_before(cb->seq, sb->highest_sack) && seq_before(cb->seq, *reord))
                *reord = cb->seq;
        tcp_rack_advance(tp, skb, now);
        cb->sacked |= TCPCB_SACKED_ACKED;
        sb->sacked_out++;
        if (!sb->highest_sack || seq_after(cb->end_seq, sb->highest_sack))
                sb->highest_sack = cb->end_seq;
}

void tcp_sacktag(struct sock *sk, uint32_t ack, const struct tcp_options *o,
                 struct tcp_sack_tag *out)
{
        struct tcp_sock *tp = tcp_sk(sk);
        struct net *net = sk->net;
        out->newly_sacked = 0;
        out->orig_sacked = false;
        out->dsack = false;
        out->prior_fack = tp->sb.sacked_out ? tp->sb.highest_sack : tp->snd_una;
        if (!tp->sack_ok || !o->nsack)
                return;
        unsigned n = o->nsack < TCP_MAX_SACK ? o->nsack : TCP_MAX_SACK;
        /* tcp_check_dsack: below the cumulative ACK, or inside the next block */
        uint32_t s0 = o->sack[0][0], e0 = o->sack[0][1];
        if (seq_before(s0, ack)) {
                out->dsack = true;
                TCPEXT_INC(net, TCPDSACKRecv);
        } else if (n > 1 && !seq_after(e0, o->sack[1][1]) && !seq_before(s0, o->sack[1][0])) {
                out->dsack = true;
                TCPEXT_INC(net, TCPDSACKOfoRecv);
        }
        if (out->dsack)
                tp->sb.rack_dsack_seen = true; /* the reordering window may grow */
        /* the valid blocks, lowest first, so one walk of the queue serves */
        struct tcp_sack_block blk[TCP_MAX_SACK];
        unsigned nb = 0;
        bool dsack_ok = out->dsack;
        for (unsigned i = 0; i < n; i++) {
                uint32_t s = o->sack[i][0], e = o->sack[i][1];
                bool dup = out->dsack && i == 0;
                if (!sack_block_valid(tp, dup, s, e)) {
                        if (!dup)
                                TCPEXT_INC(net, TCPSACKDiscard);
                        else
                                dsack_ok = false; /* Linux's TCPDSACKIgnored* */
                        continue;
                }
                if (dup || !seq_after(e, ack))
                        continue; /* reports a duplicate, or nothing still held */
                unsigned j = nb++;
                for (; j > 0 && seq_after(blk[j - 1].start_seq, s); j--)
                        blk[j] = blk[j - 1];
                blk[j] = (struct tcp_sack_block){ s, e };
        }
        /* a D-SACK for data retransmitted in this episode: one fewer
         * retransmission that may have been needed (tcp_check_dsack) */
        struct tcp_scoreboard *sb = &tp->sb;
        if (dsack_ok && sb->undo_active && sb->undo_retrans > 0 &&
            seq_after(e0, sb->undo_marker) && tp->mss) {
                int32_t segs = (int32_t)((e0 - s0 + tp->mss - 1) / tp->mss);
                sb->undo_retrans = sb->undo_retrans > segs ? sb->undo_retrans - segs : 0;
        }
        if (!nb)
                return;
        uint32_t reord = tp->snd_nxt;
        unsigned b = 0;
        for (struct sk_buff *skb = tp->write_queue.first; skb && b < nb; skb = skb->next) {
                struct tcp_skb_cb *cb = TCP_SKB_CB(skb);
                if (!seq_before(cb->seq, tp->snd_nxt))
                        break; /* not sent yet */
                while (b < nb && !seq_before(cb->seq, blk[b].end_seq))
                        b++;
                if (b == nb)
                        break;
                if (seq_before(cb->seq, blk[b].start_seq) || seq_after(cb->end_seq, blk[b].end_seq))
                        continue; /* not wholly inside this block */
                if (cb->sacked & TCPCB_SACKED_ACKED)
                        continue;
                if (!(cb->sacked & (TCPCB_SACKED_RETRANS | TCPCB_EVER_RETRANS)) &&
                    !seq_after(cb->end_seq, tp->sb.high_seq))
                        out->orig_sacked = true;
                sack_tag_one(tp, skb, &reord, net_now(net));
                out->newly_sacked++;
        }
        if (reord != tp->snd_nxt)
                sack_check_reordering(sk, reord);
}

bool tcp_sack_skb_acked(struct tcp_sock *tp, struct sk_buff *skb)
{
        struct tcp_scoreboard *sb = &tp->sb;
        uint8_t m = TCP_SKB_CB(skb)->sacked;
        if (!(m & TCPCB_SACKED_ACKED))
                tcp_rack_advance(tp, skb, net_now(tp->sk->net));
        if ((m & TCPCB_SACKED_ACKED) && sb->sacked_out)
                sb->sacked_out--;
        if ((m & TCPCB_SACKED_RETRANS) && sb->retrans_out)
                sb->retrans_out--;
        if ((m & TCPCB_LOST) && sb->lost_out)
                sb->lost_out--;
        TCP_SKB_CB(skb)->sacked = m & TCPCB_EVER_RETRANS;
        return m & TCPCB_SACKED_ACKED;
}

/* Called with the cumulative ACK's lowest never-retransmitted, never-SACKed
 * newly acknowledged seq (tcp_clean_rtx_queue's reord). */
void tcp_sack_acked_reorder(struct sock *sk, uint32_t low_seq)
{
        sack_check_reordering(sk, low_seq);
}

void tcp_mark_head_lost(struct tcp_sock *tp)
{
        struct tcp_scoreboard *sb = &tp->sb;
        if (sb->sacked_out < sb->reordering)
                return;
        uint32_t packets = sb->sacked_out - sb->reordering, cnt = 0;
        for (struct sk_buff *skb = tp->write_queue.first; skb; skb = skb->next) {
                struct tcp_skb_cb *cb = TCP_SKB_CB(skb);
                if (!seq_before(cb->seq, tp->snd_nxt))
                        break;
                if (cb->sacked & TCPCB_SACKED_ACKED) {
                        if (++cnt > packets)
                                break;
                        continue;
                }
                if (!(cb->sacked & TCPCB_LOST)) {
                        cb->sacked |= TCPCB_LOST;
                        sb->lost_out++;
                }
        }
}

void tcp_sack_clear(struct tcp_sock *tp)
{
        for (struct sk_buff *skb = tp->write_queue.first; skb; skb = skb->next)
                TCP_SKB_CB(skb)->sacked &= (uint8_t)~TCPCB_SACKED_ACKED;
        tp->sb.sacked_out = 0;
        tp->sb.highest_sack = 0;
}
