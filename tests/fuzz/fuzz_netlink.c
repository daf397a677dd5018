/*
 * libFuzzer target for the netlink server: any bytes, as one request
 * datagram of rtnetlink (or, first byte odd, the Strata sysctl family),
 * through strata_ctl_handle on a live namespace with a veth pair.  Every
 * reply must be well formed -- whole messages covering each datagram,
 * stamped with the client's port id, NLMSG_ERROR carrying a negative errno
 * or 0 -- and nothing may crash, leak or read out of bounds.  The namespace
 * is rebuilt every few hundred inputs so state the inputs create (links,
 * routes, neighbours) stays bounded.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/nlmsg.h"
#include "strata/ctl.h"
#include "strata/strata.h"

#define PORTID 4711u

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int check_reply(const void *d, size_t len, void *ctx)
{
        const uint8_t *b = d;
        size_t off = 0;
        struct nl_msg m;
        int r;
        if (len == 0)
                abort(); /* empty datagrams are never sent */
        while ((r = nlmsg_next(b, len, &off, &m)) == 1) {
                if (m.pid != PORTID)
                        abort();
                if (m.type == NLMSG_ERROR_) {
                        if (m.payload_len < 4 + NL_HDRLEN)
                                abort();
                        int32_t e = (int32_t)nl_rd32(m.payload);
                        if (e > 0 || e < -4095)
                                abort();
                }
        }
        if (r < 0 || off != len)
                abort(); /* a reply the server built must walk cleanly */
        return 0;
}

static struct strata_net *fresh(struct strata_clock *clk)
{
        struct strata_net *ns;
        if (strata_net_new("fuzz", clk, 1, &ns))
                abort();
        strata_veth_add(ns, "v0", ns, "v1");
        strata_addr_add(ns, "v0", "10.0.0.1/24");
        strata_link_set_up(ns, "v0", true);
        strata_link_set_up(ns, "v1", true);
        strata_route_add(ns, "default", "10.0.0.254", NULL);
        return ns;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static struct strata_clock *clk;
        static struct strata_net *ns;
        static unsigned runs;
        if (!clk)
                clk = strata_clock_new(true);
        if (!ns || ++runs % 256 == 0) {
                strata_net_free(ns);
                ns = fresh(clk);
        }
        if (size < 1)
                return 0;
        struct strata_ctl_client c = { .portid = PORTID,
                                       .protocol = (data[0] & 1) ? STRATA_NETLINK_CTL : 0,
                                       .uid = 0 };
        /* the library reads the request in place: give it an exact copy so
         * the sanitizer sees any read past the end */
        uint8_t *req = malloc(size - 1 ? size - 1 : 1);
        memcpy(req, data + 1, size - 1);
        strata_ctl_handle(ns, &c, req, size - 1, check_reply, NULL);
        free(req);
        return 0;
}
