/*
 * The kernel's struct tcp_info, by field name, for `%{ }%` blocks: this
 * file includes <linux/tcp.h> alone (it cannot share a translation unit
 * with glibc's <netinet/tcp.h>, whose struct tcp_info stops at
 * tcpi_total_retrans).  A field is readable when Strata's TCP_INFO fills
 * it; asking for another fails the script by name rather than reading a
 * zero that means nothing.
 */
#include <linux/tcp.h>
#include <stddef.h>
#include <string.h>

#include "pd.h"

#define F(name)                                                                                    \
        {                                                                                          \
#name, offsetof(struct tcp_info, name), sizeof(((struct tcp_info *)0)->name)       \
        }
static const struct {
        const char *name;
        size_t off, size;
} fields[] = {
        F(tcpi_state),          F(tcpi_ca_state),        F(tcpi_retransmits),
        F(tcpi_probes),         F(tcpi_backoff),         F(tcpi_options),
        F(tcpi_rto),            F(tcpi_ato),             F(tcpi_snd_mss),
        F(tcpi_rcv_mss),        F(tcpi_unacked),         F(tcpi_sacked),
        F(tcpi_lost),           F(tcpi_retrans),         F(tcpi_fackets),
        F(tcpi_last_data_sent), F(tcpi_last_ack_sent),   F(tcpi_last_data_recv),
        F(tcpi_last_ack_recv),  F(tcpi_pmtu),            F(tcpi_rcv_ssthresh),
        F(tcpi_rtt),            F(tcpi_rttvar),          F(tcpi_snd_ssthresh),
        F(tcpi_snd_cwnd),       F(tcpi_advmss),          F(tcpi_reordering),
        F(tcpi_rcv_rtt),        F(tcpi_rcv_space),       F(tcpi_total_retrans),
        F(tcpi_bytes_acked),    F(tcpi_bytes_received),  F(tcpi_segs_out),
        F(tcpi_segs_in),        F(tcpi_notsent_bytes),   F(tcpi_busy_time),
        F(tcpi_rwnd_limited),   F(tcpi_sndbuf_limited),  F(tcpi_snd_wnd),
        F(tcpi_reord_seen),
};
#undef F

bool pd_tcpinfo_field(const char *name, size_t *off, size_t *size)
{
        for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
                if (strcmp(fields[i].name, name) == 0) {
                        *off = fields[i].off;
                        *size = fields[i].size;
                        return true;
                }
        return false;
}

size_t pd_tcpinfo_size(void)
{
        return sizeof(struct tcp_info);
}
