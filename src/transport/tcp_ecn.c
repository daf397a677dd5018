/*
 * RFC 3168 ECN for TCP (see tcp_ecn.h): the handshake, ECT(0) on new data,
 * the receiver's ECE echo and the sender's CWR mark.  The congestion
 * response itself (CWR state, PRR) is tcp_recovery.c's.
 */
#include "transport/tcp_ecn.h"

#include "transport/tcp.h"

uint8_t tcp_ecn_syn_flags(struct sock *sk)
{
        struct tcp_sock *tp = tcp_sk(sk);
        const struct tcp_cfg *cfg = tcp_cfg(sk->net);
        if (tp->retransmits) {
                /* RFC 3168 6.1.1.1: an ECN-setup SYN may be what a broken
                 * middlebox drops; the retransmission goes without */
                if (cfg->ecn_fallback || !(tp->ecn_flags & TCP_ECN_OK))
                        return 0;
                return TCPF_ECE | TCPF_CWR;
        }
        tp->ecn_flags = 0;
        if (cfg->ecn != 1)
                return 0;
        tp->ecn_flags = TCP_ECN_OK;
        return TCPF_ECE | TCPF_CWR;
}

uint8_t tcp_ecn_synack_flags(const struct tcp_sock *tp)
{
        return (tp->ecn_flags & TCP_ECN_OK) ? TCPF_ECE : 0;
}

void tcp_ecn_rcv_synack(struct tcp_sock *tp, uint8_t th_flags)
{
        if ((tp->ecn_flags & TCP_ECN_OK) && (!(th_flags & TCPF_ECE) || (th_flags & TCPF_CWR)))
                tp->ecn_flags &= (uint8_t)~TCP_ECN_OK;
}

void tcp_ecn_rcv_syn(struct tcp_sock *tp, uint8_t th_flags)
{
        if ((tp->ecn_flags & TCP_ECN_OK) && (!(th_flags & TCPF_ECE) || !(th_flags & TCPF_CWR)))
                tp->ecn_flags &= (uint8_t)~TCP_ECN_OK;
}

void tcp_ecn_create_request(struct sock *child, uint8_t th_flags, uint8_t ip_tos)
{
        struct tcp_sock *tp = tcp_sk(child);
        tp->ecn_flags = 0;
        if ((th_flags & (TCPF_ECE | TCPF_CWR)) != (TCPF_ECE | TCPF_CWR))
                return;
        /* RFC 3168 6.1.1: a SYN is sent not-ECT; one that arrives ECT was
         * rewritten on the way, and ECN through that path is not trusted */
        if ((ip_tos & INET_ECN_MASK) != INET_ECN_NOT_ECT)
                return;
        if (tcp_cfg(child->net)->ecn)
                tp->ecn_flags = TCP_ECN_OK;
}

uint8_t tcp_ecn_send(struct sock *sk, uint32_t payload, uint32_t seq)
{
        struct tcp_sock *tp = tcp_sk(sk);
        uint8_t flags = 0;
        if (!(tp->ecn_flags & TCP_ECN_OK))
                return 0;
        if (payload && !seq_before(seq, tp->snd_nxt)) {
                /* new data: ECT(0) (INET_ECN_xmit), and the CWR owed */
                sk->tos = (uint8_t)((sk->tos & ~INET_ECN_MASK) | INET_ECN_ECT_0);
                if (tp->ecn_flags & TCP_ECN_QUEUE_CWR) {
                        tp->ecn_flags &= (uint8_t)~TCP_ECN_QUEUE_CWR;
                        flags |= TCPF_CWR;
                }
        } else {
                /* an ACK or a retransmission: not-ECT (INET_ECN_dontxmit) */
                sk->tos &= (uint8_t)~INET_ECN_MASK;
        }
        if (tp->ecn_flags & TCP_ECN_DEMAND_CWR)
                flags |= TCPF_ECE;
        return flags;
}

void tcp_ecn_accept_cwr(struct sock *sk, uint8_t th_flags, bool has_data)
{
        struct tcp_sock *tp = tcp_sk(sk);
        if (!(th_flags & TCPF_CWR))
                return;
        tp->ecn_flags &= (uint8_t)~TCP_ECN_DEMAND_CWR;
        /* the sender just cut its window, perhaps to one segment: an ACK
         * now rather than a delayed one */
        if (has_data)
                tp->ack.pending |= TCP_ACK_NOW;
}

void tcp_ecn_check_ce(struct sock *sk, uint8_t ip_tos)
{
        struct tcp_sock *tp = tcp_sk(sk);
        if (!(tp->ecn_flags & TCP_ECN_OK))
                return;
        switch (ip_tos & INET_ECN_MASK) {
        case INET_ECN_NOT_ECT:
                /* not-ECT after ECT was seen: most likely a retransmission,
                 * which the sender wants acknowledged quickly */
                if (tp->ecn_flags & TCP_ECN_SEEN)
                        tcp_enter_quickack_mode_max(sk, 2);
                break;
        case INET_ECN_CE:
                if (!(tp->ecn_flags & TCP_ECN_DEMAND_CWR)) {
                        /* the sender's window may be small: no delayed ACK */
                        tcp_enter_quickack_mode_max(sk, 2);
                        tp->ecn_flags |= TCP_ECN_DEMAND_CWR;
                }
                tp->ecn_flags |= TCP_ECN_SEEN;
                break;
        default:
                tp->ecn_flags |= TCP_ECN_SEEN;
                break;
        }
}

bool tcp_ecn_rcv_ecn_echo(const struct tcp_sock *tp, uint8_t th_flags)
{
        return (th_flags & TCPF_ECE) && !(th_flags & TCPF_SYN) && (tp->ecn_flags & TCP_ECN_OK);
}

void tcp_ecn_queue_cwr(struct tcp_sock *tp)
{
        if (tp->ecn_flags & TCP_ECN_OK)
                tp->ecn_flags |= TCP_ECN_QUEUE_CWR;
}

void tcp_ecn_withdraw_cwr(struct tcp_sock *tp)
{
        tp->ecn_flags &= (uint8_t)~TCP_ECN_QUEUE_CWR;
}
