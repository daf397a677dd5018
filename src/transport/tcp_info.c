/*
 * struct tcp_info in the kernel's layout (<linux/tcp.h>, what ss and
 * current programs read), from the values tcp.c gathered; see tcp_info.h
 * for why this file stands apart.
 */
#include <linux/tcp.h>
#include <string.h>

#include "transport/tcp_info.h"

size_t tcp_info_pack(const struct tcp_info_vals *v, void *buf, size_t cap)
{
        struct tcp_info ti;
        memset(&ti, 0, sizeof(ti));
        ti.tcpi_state = v->state;
        ti.tcpi_ca_state = v->ca_state;
        ti.tcpi_retransmits = v->retransmits;
        ti.tcpi_probes = v->probes;
        ti.tcpi_backoff = v->backoff;
        ti.tcpi_options = v->options;
        ti.tcpi_snd_wscale = v->snd_wscale & 0xf;
        ti.tcpi_rcv_wscale = v->rcv_wscale & 0xf;
        ti.tcpi_rto = v->rto_us;
        ti.tcpi_snd_mss = v->snd_mss;
        ti.tcpi_rcv_mss = v->rcv_mss;
        ti.tcpi_ato = v->ato_us;
        ti.tcpi_busy_time = v->busy_us;
        ti.tcpi_rwnd_limited = v->rwnd_limited_us;
        ti.tcpi_sndbuf_limited = v->sndbuf_limited_us;
        ti.tcpi_rcv_ssthresh = v->rcv_ssthresh;
        ti.tcpi_unacked = v->unacked;
        ti.tcpi_sacked = v->sacked;
        ti.tcpi_lost = v->lost;
        ti.tcpi_retrans = v->retrans;
        ti.tcpi_last_data_sent = v->last_data_sent_ms;
        ti.tcpi_last_data_recv = v->last_data_recv_ms;
        ti.tcpi_last_ack_recv = v->last_ack_recv_ms;
        ti.tcpi_rtt = v->rtt_us;
        ti.tcpi_rttvar = v->rttvar_us;
        ti.tcpi_snd_ssthresh = v->snd_ssthresh;
        ti.tcpi_snd_cwnd = v->snd_cwnd;
        ti.tcpi_advmss = v->advmss;
        ti.tcpi_reordering = v->reordering;
        ti.tcpi_rcv_space = v->rcv_space;
        ti.tcpi_rcv_rtt = v->rcv_rtt_us;
        ti.tcpi_total_retrans = v->total_retrans;
        ti.tcpi_bytes_acked = v->bytes_acked;
        ti.tcpi_bytes_received = v->bytes_received;
        ti.tcpi_segs_out = v->segs_out;
        ti.tcpi_segs_in = v->segs_in;
        ti.tcpi_notsent_bytes = v->notsent_bytes;
        ti.tcpi_snd_wnd = v->snd_wnd;
        ti.tcpi_reord_seen = v->reord_seen;
        ti.tcpi_delivered = v->delivered;
        ti.tcpi_delivered_ce = v->delivered_ce;
        size_t n = cap < sizeof(ti) ? cap : sizeof(ti);
        memcpy(buf, &ti, n);
        return n;
}
