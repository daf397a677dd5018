/*
 * AF_PACKET driver: a Strata device on an existing host interface (a veth
 * end, a NIC), sharing its wire with the host kernel's own stack.
 *
 * See packet.c for what Strata sees and sends.
 */
#ifndef STRATA_DRIVERS_PACKET_H
#define STRATA_DRIVERS_PACKET_H

struct net;
struct net_device;

/*
 * Open a raw packet socket on the host interface host_ifname, put the
 * interface in promiscuous mode for as long as the socket lives (Strata's
 * device has a MAC address of its own), and register Strata device
 * dev_name (NULL: the host interface's name) on it, down, with a random
 * MAC.  Needs CAP_NET_RAW.  Returns 0 and *out, or a negative errno:
 * -ENODEV (no such interface), -EPERM, or netdev_register's errors.
 */
int packet_create(struct net *net, const char *host_ifname, const char *dev_name,
                  struct net_device **out);

#endif
