/* The loopback device "lo" and in-memory veth pairs. */
#ifndef STRATA_LINK_LOOPBACK_H
#define STRATA_LINK_LOOPBACK_H

#include "core/netdev.h"

struct net;

/* Create net's "lo" (down, as in a new Linux namespace; MTU 65536). */
int loopback_create(struct net *net, struct net_device **out);

/* A veth pair: name_a in net_a, name_b in net_b (may be the same namespace).
 * Frames sent on one end are received on the other, NAPI style; the
 * carrier is on only while both ends are up, as Linux's veth. */
int veth_create(struct net *net_a, const char *name_a, struct net *net_b, const char *name_b,
                struct net_device **out_a, struct net_device **out_b);

/* The other end of a veth device, or NULL (not a veth, or peer gone). */
struct net_device *veth_peer(const struct net_device *dev);

#endif
