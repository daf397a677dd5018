/*
 * The kernel's struct tcp_info is <linux/tcp.h>'s, and that header cannot
 * share a translation unit with glibc's <netinet/tcp.h>, which the socket
 * layer uses.  So tcp.c reads a socket into plain values, and tcp_info.c,
 * which includes the kernel header alone, lays them out as the kernel does.
 */
#ifndef STRATA_TRANSPORT_TCP_INFO_H
#define STRATA_TRANSPORT_TCP_INFO_H

#include <stddef.h>
#include <stdint.h>

struct tcp_info_vals {
        uint8_t state, ca_state, retransmits, probes, backoff, options;
        uint8_t snd_wscale, rcv_wscale;
        uint32_t rto_us, snd_mss, rcv_mss, unacked, sacked, lost, retrans;
        uint32_t last_data_sent_ms, last_data_recv_ms, last_ack_recv_ms;
        uint32_t rtt_us, rttvar_us, snd_ssthresh, snd_cwnd, advmss, reordering;
        uint32_t rcv_space, total_retrans, segs_in, segs_out, notsent_bytes, snd_wnd;
        uint32_t ato_us, rcv_ssthresh, rcv_rtt_us;
        uint64_t busy_us, rwnd_limited_us, sndbuf_limited_us;
        uint32_t reord_seen;
        uint32_t delivered, delivered_ce;
        uint64_t bytes_acked, bytes_received;
};

/* Lay v out as the kernel's struct tcp_info, at most cap bytes of it into
 * buf (the kernel copies min(len, sizeof)); returns how many. */
size_t tcp_info_pack(const struct tcp_info_vals *v, void *buf, size_t cap);

#endif
