/*
 * The tcp_info fields that the kernel's <linux/tcp.h> has and glibc's
 * <netinet/tcp.h> lacks (the two headers cannot share a file), with their
 * offsets in the kernel's layout -- the one Strata's TCP_INFO fills.
 */
#include <linux/tcp.h>
#include <stddef.h>

#include "pd.h"

#define F(name)                                                                                    \
        {                                                                                          \
#name, offsetof(struct tcp_info, name), sizeof(((struct tcp_info *)0)->name)       \
        }
const struct pd_ti_field pd_ti_kernel_fields[] = {
        F(tcpi_delivered),     F(tcpi_delivered_ce), F(tcpi_segs_in), F(tcpi_segs_out),
        F(tcpi_notsent_bytes), F(tcpi_snd_wnd),      { NULL, 0, 0 },
};
#undef F

const size_t pd_ti_kernel_size = sizeof(struct tcp_info);
