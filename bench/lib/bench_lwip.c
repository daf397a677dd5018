/*
 * bench_lwip: loading Debian's lwIP and the wire between two netifs (see
 * bench_lwip.h).
 */
#include "bench_lwip.h"

#ifdef HAVE_LWIP
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

#include "lwip/priv/memp_priv.h"

const char *lwip_open(struct lwip_lib *L, bool own_lmid)
{
        memset(L, 0, sizeof(*L));
        L->own_lmid = own_lmid;
        static const char *const names[] = { "liblwip.so.0", "liblwip.so" };
        for (int i = 0; i < 2 && !L->handle; i++)
                L->handle = own_lmid ? dlmopen(LM_ID_NEWLM, names[i], RTLD_NOW | RTLD_LOCAL)
                                     : dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
        if (!L->handle)
                return own_lmid ? "liblwip.so.0 not loadable with dlmopen (apt-get install "
                                  "liblwip-dev; scripts/deps.sh bench)"
                                : "liblwip.so.0 not loadable (apt-get install liblwip-dev; "
                                  "scripts/deps.sh bench)";
#define LW_SYM(name)                                                                               \
        do {                                                                                       \
                if (!(L->name = (__typeof__(L->name))dlsym(L->handle, #name)))                     \
                        return "liblwip.so.0 lacks " #name;                                        \
        } while (0)
        LW_SYM(lwip_init);
        LW_SYM(netif_add);
        LW_SYM(netif_set_up);
        LW_SYM(netif_set_link_up);
        LW_SYM(ethernet_input);
        LW_SYM(etharp_output);
        LW_SYM(pbuf_alloc);
        LW_SYM(pbuf_alloced_custom);
        LW_SYM(pbuf_copy_partial);
        LW_SYM(pbuf_cat);
        LW_SYM(pbuf_free);
        LW_SYM(pbuf_ref);
        LW_SYM(raw_new);
        LW_SYM(raw_recv);
        LW_SYM(raw_sendto_if_src);
        LW_SYM(tcp_new);
        LW_SYM(tcp_bind);
        LW_SYM(tcp_listen_with_backlog);
        LW_SYM(tcp_accept);
        LW_SYM(tcp_connect);
        LW_SYM(tcp_arg);
        LW_SYM(tcp_recv);
        LW_SYM(tcp_err);
        LW_SYM(tcp_write);
        LW_SYM(tcp_output);
        LW_SYM(tcp_recved);
        LW_SYM(tcp_abort);
        LW_SYM(tcp_close);
        LW_SYM(tcp_tmr);
        LW_SYM(memp_pools);
#undef LW_SYM
        /* lwIP's heap is its libc's malloc (MEM_LIBC_MALLOC): with a link map
         * of its own, that is a second libc with a heap of its own */
        if (own_lmid) {
                Lmid_t id;
                if (dlinfo(L->handle, RTLD_DI_LMID, &id) < 0 ||
                    !(L->libc = dlmopen(id, "libc.so.6", RTLD_NOW | RTLD_LOCAL)))
                        return "the libc of lwIP's link map not found";
                L->mallinfo2 = (__typeof__(L->mallinfo2))dlsym(L->libc, "mallinfo2");
                L->malloc_trim = (__typeof__(L->malloc_trim))dlsym(L->libc, "malloc_trim");
        } else {
                L->mallinfo2 = mallinfo2;
                L->malloc_trim = malloc_trim;
        }
        if (!L->mallinfo2 || !L->malloc_trim)
                return "mallinfo2 not found in lwIP's libc";
        /* NO_SYS 0 build, driven from our one thread without tcpip_thread:
         * sys_check_core_locking() checks the lock only once a tcpip thread
         * exists, so calling the core here is as if we held the core lock */
        L->lwip_init();
        return NULL;
}

size_t lwip_heap_bytes(const struct lwip_lib *L)
{
        struct mallinfo2 mi = L->mallinfo2();
        return mi.uordblks + mi.hblkhd;
}

unsigned lwip_pool_size(const struct lwip_lib *L, memp_t pool)
{
        return L->memp_pools[pool]->size;
}

/* --- the wire ---------------------------------------------------------------------- */

/* A frame of another instance, lent to the receiving instance. */
struct lent {
        struct pbuf_custom pc; /* the receiver's pbuf (first: freed through it) */
        struct pbuf *orig;     /* the sender's frame, one reference held */
        struct lwip_lib *owner;
        struct lent *next;
};

static struct lent *lent_free; /* single-threaded: the benches run one thread */

static void lent_release(struct pbuf *p)
{
        struct lent *l = (struct lent *)(void *)p;
        l->owner->pbuf_free(l->orig);
        l->next = lent_free;
        lent_free = l;
}

/* Bytes of an Ethernet + IPv4 + TCP frame's headers, options included;
 * 0 if it is something else. */
static u16_t tcp_header_len(const uint8_t *f, u16_t len)
{
        if (len < 14 + 20 + 20 || f[12] != 0x08 || f[13] != 0x00 || f[14 + 9] != 6)
                return 0;
        u16_t ip = (u16_t)((f[14] & 15) * 4);
        if (len < 14 + ip + 20)
                return 0;
        u16_t hl = (u16_t)(14 + ip + (f[14 + ip + 12] >> 4) * 4);
        return hl <= len ? hl : 0;
}

/* A frame of the other instance, for the receiving instance: its headers
 * copied into a pbuf of the receiver's (lwIP's input rewrites the TCP
 * header in place, in host byte order, and the sender still reads that
 * header on its retransmission queue), then the payload lent by reference
 * (nobody writes it). */
static struct pbuf *lend(struct lwip_port *pt, struct lwip_lib *to, struct pbuf *p)
{
        u16_t hl = p->next ? 0 : tcp_header_len(p->payload, p->len);
        struct pbuf *q = to->pbuf_alloc(PBUF_RAW, hl ? hl : p->tot_len, PBUF_RAM);
        if (!q)
                return NULL;
        if (!hl || hl == p->len) { /* not TCP, or no payload: copied whole */
                pt->lib->pbuf_copy_partial(p, q->payload, p->tot_len, 0);
                pt->copied++;
                return q;
        }
        memcpy(q->payload, p->payload, hl);
        struct lent *l = lent_free;
        if (l)
                lent_free = l->next;
        else if (!(l = malloc(sizeof(*l)))) {
                to->pbuf_free(q);
                return NULL;
        }
        memset(&l->pc, 0, sizeof(l->pc));
        l->pc.custom_free_function = lent_release;
        l->orig = p;
        l->owner = pt->lib;
        pt->lib->pbuf_ref(p);
        struct pbuf *r = to->pbuf_alloced_custom(PBUF_RAW, (u16_t)(p->len - hl), PBUF_REF, &l->pc,
                                                 (uint8_t *)p->payload + hl, (u16_t)(p->len - hl));
        to->pbuf_cat(q, r);
        pt->lent++;
        return q;
}

static err_t port_linkoutput(struct netif *nif, struct pbuf *p)
{
        struct lwip_port *pt = nif->state, *peer = pt->peer;
        if (!peer->lib)
                return ERR_OK; /* the other end is not plugged in yet */
        if (peer->tail - peer->head >= LWIP_RING) {
                peer->ring_full++;
                return ERR_OK; /* dropped on the wire, counted */
        }
        struct pbuf *q = p;
        if (peer->lib == pt->lib)
                pt->lib->pbuf_ref(p);
        else if (!(q = lend(pt, peer->lib, p)))
                return ERR_MEM;
        pt->frames++;
        peer->ring[peer->tail++ % LWIP_RING] = q;
        return ERR_OK;
}

static err_t port_init(struct netif *nif)
{
        struct lwip_port *pt = nif->state;
        nif->name[0] = 'v';
        nif->name[1] = 'e';
        nif->hwaddr_len = 6;
        memcpy(nif->hwaddr, pt->mac, 6);
        nif->mtu = pt->mtu;
        nif->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET;
        nif->output = pt->lib->etharp_output;
        nif->linkoutput = port_linkoutput;
        return ERR_OK;
}

const char *lwip_port_add(struct lwip_port *pt, uint8_t mac_last, const ip4_addr_t *ip,
                          unsigned mtu)
{
        ip4_addr_t mask, gw;
        IP4_ADDR(&mask, 255, 255, 255, 0);
        IP4_ADDR(&gw, 0, 0, 0, 0);
        pt->head = pt->tail = 0;
        const uint8_t mac[6] = { 0x02, 0, 0, 0, 0, mac_last };
        memcpy(pt->mac, mac, 6);
        pt->mtu = (u16_t)mtu;
        struct lwip_lib *lib = pt->lib;
        if (!lib->netif_add(&pt->nif, ip, &mask, &gw, pt, port_init, lib->ethernet_input))
                return "netif_add failed";
        lib->netif_set_up(&pt->nif);
        lib->netif_set_link_up(&pt->nif);
        return NULL;
}

int lwip_port_poll(struct lwip_port *pt)
{
        int n = 0;
        unsigned end = pt->tail;
        while (pt->head != end) {
                struct pbuf *p = pt->ring[pt->head++ % LWIP_RING];
                if (pt->nif.input(p, &pt->nif) != ERR_OK)
                        pt->lib->pbuf_free(p);
                n++;
        }
        return n;
}
#endif /* HAVE_LWIP */
