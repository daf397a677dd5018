/*
 * TAP driver: a Strata device whose wire is a Linux TAP interface, so the
 * host kernel (or a kernel namespace the interface is moved into) is the
 * peer on the other end of the cable.
 *
 * See tap.c for how the event loop drives it.
 */
#ifndef STRATA_DRIVERS_TAP_H
#define STRATA_DRIVERS_TAP_H

struct net;
struct net_device;

/*
 * Open the host TAP interface host_ifname (created if it does not exist;
 * NULL or a "%d" template lets the kernel pick a name, e.g. "tap%d") and
 * bring it up on the host, then register Strata device dev_name (NULL: the
 * host interface's name; "%d" allowed) on it with a random MAC address.
 * The Strata device starts down, like any new device.
 *
 * Creating an interface needs CAP_NET_ADMIN.  Returns 0 and *out, or a
 * negative errno: from open("/dev/net/tun") (-ENOENT, -EACCES), from
 * TUNSETIFF (-EPERM, -EBUSY when another process holds the interface,
 * -EINVAL for a bad name), from bringing it up, or from netdev_register
 * (-EEXIST, -EINVAL, -ENOMEM).  Nothing is left behind on error (an
 * interface created here disappears with the closed fd).
 */
int tap_create(struct net *net, const char *host_ifname, const char *dev_name,
               struct net_device **out);

/* The host interface's name (what the kernel called it). */
const char *tap_host_name(const struct net_device *dev);

#endif
