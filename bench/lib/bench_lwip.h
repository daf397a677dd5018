/*
 * bench_lwip: Debian's lwIP (liblwip-dev) as a peer of the benchmarks,
 * shared by bench_echo and bench_tcp.
 *
 * The library is loaded at run time (dlopen), so a bench links and runs
 * without it and its lwIP rows say why they are skipped.  Its functions
 * are typed with __typeof__ from lwIP's own prototypes.
 *
 * Two ways to load it:
 *   lwip_open(L, false)  dlopen into our own link map: one lwIP instance.
 *   lwip_open(L, true)   dlmopen(LM_ID_NEWLM): a copy of the library, with
 *                        its own libc, in a link map of its own.  lwIP keeps
 *                        its state in globals, so this is the only way to
 *                        have two independent stacks in one process.
 *
 * The "wire" joins two Ethernet netifs (ports): each port's linkoutput
 * queues the frame on the peer port's ring, and lwip_port_poll() hands the
 * queued frames to the netif's input (ethernet_input), as a veth pair and
 * a NAPI poll do.  Frames move by reference where lwIP allows it:
 *   same instance   pbuf_ref on the frame (bench_echo's two netifs);
 *   two instances   the frame belongs to the sender's heap (its own libc).
 *                   lwIP's tcp_input rewrites the TCP header in place (to
 *                   host byte order) while the sender still reads it on
 *                   its unacked queue, so the headers are copied into a
 *                   pbuf of the receiver's, and the payload is chained
 *                   behind it as a PBUF_REF custom pbuf pointing at the
 *                   sender's frame (a reference held; the receiver's free
 *                   drops it with the sender's pbuf_free).  As a NIC with
 *                   header split would hand them over.  Frames other than
 *                   TCP with payload (ARP, bare ACKs) are copied whole.
 *
 * Built only with lwIP's headers (-isystem /usr/include/lwip, see the
 * Makefile); without them HAVE_LWIP stays undefined.
 */
#ifndef STRATA_BENCH_LWIP_H
#define STRATA_BENCH_LWIP_H

#if defined(__has_include)
#if __has_include("lwip/init.h")
#define HAVE_LWIP 1
#endif
#endif

#ifdef HAVE_LWIP
#include <link.h>
#include <malloc.h>
#include <stdbool.h>
#include <stdint.h>

#include "lwip/etharp.h"
#include "lwip/init.h"
#include "lwip/ip4_addr.h"
#include "lwip/memp.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "lwip/raw.h"
#include "lwip/priv/tcp_priv.h" /* tcp_tmr */
#include "lwip/tcp.h"
#include "netif/ethernet.h"

#define LWIP_NAME "lwIP " LWIP_VERSION_STRING " (Debian)"

/* One loaded copy of liblwip.so.0: its functions, typed from its headers. */
struct lwip_lib {
        void *handle, *libc;
        bool own_lmid; /* loaded with dlmopen(LM_ID_NEWLM) */
        __typeof__(&lwip_init) lwip_init;
        __typeof__(&netif_add) netif_add;
        __typeof__(&netif_set_up) netif_set_up;
        __typeof__(&netif_set_link_up) netif_set_link_up;
        __typeof__(&ethernet_input) ethernet_input;
        __typeof__(&etharp_output) etharp_output;
        __typeof__(&pbuf_alloc) pbuf_alloc;
        __typeof__(&pbuf_alloced_custom) pbuf_alloced_custom;
        __typeof__(&pbuf_copy_partial) pbuf_copy_partial;
        __typeof__(&pbuf_cat) pbuf_cat;
        __typeof__(&pbuf_free) pbuf_free;
        __typeof__(&pbuf_ref) pbuf_ref;
        __typeof__(&raw_new) raw_new;
        __typeof__(&raw_recv) raw_recv;
        __typeof__(&raw_sendto_if_src) raw_sendto_if_src;
        __typeof__(&tcp_new) tcp_new;
        __typeof__(&tcp_bind) tcp_bind;
        __typeof__(&tcp_listen_with_backlog) tcp_listen_with_backlog;
        __typeof__(&tcp_accept) tcp_accept;
        __typeof__(&tcp_connect) tcp_connect;
        __typeof__(&tcp_arg) tcp_arg;
        __typeof__(&tcp_recv) tcp_recv;
        __typeof__(&tcp_err) tcp_err;
        __typeof__(&tcp_write) tcp_write;
        __typeof__(&tcp_output) tcp_output;
        __typeof__(&tcp_recved) tcp_recved;
        __typeof__(&tcp_abort) tcp_abort;
        __typeof__(&tcp_close) tcp_close;
        __typeof__(&tcp_tmr) tcp_tmr;
        const struct memp_desc *const *memp_pools;
        /* the heap lwIP allocates from (MEM_LIBC_MALLOC: its libc's malloc) */
        struct mallinfo2 (*mallinfo2)(void);
        int (*malloc_trim)(size_t);
};

/* Load a copy (own_lmid: in a new link map) and run lwip_init().  NULL, or
 * why lwIP cannot be used. */
const char *lwip_open(struct lwip_lib *L, bool own_lmid);
/* Bytes in use on the heap of L's libc (uordblks + hblkhd). */
size_t lwip_heap_bytes(const struct lwip_lib *L);
/* The element size of one of L's memp pools (MEMP_TCP_PCB, ...): with
 * Debian's MEMP_MEM_MALLOC each element is one malloc of this size. */
unsigned lwip_pool_size(const struct lwip_lib *L, memp_t pool);

#define LWIP_RING 4096

/* One end of the wire: an Ethernet netif of instance lib. */
struct lwip_port {
        struct netif nif;
        struct lwip_lib *lib;
        struct lwip_port *peer;
        uint8_t mac[6];
        u16_t mtu;
        struct pbuf *ring[LWIP_RING]; /* frames waiting for this netif's input */
        unsigned head, tail;
        uint64_t ring_full, frames, lent, copied; /* lent/copied: to another instance */
};

/* Add port pt's netif to pt->lib (set lib and peer first): MAC
 * 02:00:00:00:00:mac_last, address ip/24, mtu, up.  NULL or an error. */
const char *lwip_port_add(struct lwip_port *pt, uint8_t mac_last, const ip4_addr_t *ip,
                          unsigned mtu);
/* Deliver the frames the port's ring held when called.  Returns how many. */
int lwip_port_poll(struct lwip_port *pt);

#endif /* HAVE_LWIP */
#endif
