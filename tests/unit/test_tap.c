/*
 * TAP driver against the real host kernel (root only): the host interface
 * appears and comes up, frames cross in both directions (checked on the
 * host with AF_PACKET sockets), receive respects the budget and the MTU,
 * errors leave nothing behind, and the host interface goes away with the
 * namespace.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <net/if.h> /* if_nametoindex, struct ifreq */
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
/* net/if.h and core/netdev.h both define it (both 16), differently spelled */
#undef IFNAMSIZ

#include "core/clock.h"
#include "core/net.h"
#include "core/netdev.h"
#include "core/skb.h"
#include "drivers/tap.h"
#include "link/ethernet.h"
#include "wire/ethernet.h"
#include "../test.h"

#define TEST_ETHERTYPE 0x88b5 /* IEEE local experimental */

/*
 * One namespace with one TAP device.  A failed CHECK leaves the case at
 * once, so the fixture stays registered here and is torn down by the next
 * case's setup or at exit: no host interface outlives the test binary.
 */
struct fixture {
        struct strata_clock clk;
        struct net *net;
        struct net_device *dev;
        char host[IFNAMSIZ];
        int host_ifindex;
        int pkt_fd; /* host-side AF_PACKET socket, -1 */
};

static struct fixture fx_storage;
static struct fixture *fx_live;

/* What the test EtherType handler saw (packet_type handlers have no
 * context pointer). */
static int rx_seen;
static uint8_t rx_payload[64];
static uint32_t rx_len;
static uint8_t rx_pkt_type;

static void test_ptype_rcv(struct sk_buff *skb, struct net_device *dev)
{
        rx_seen++;
        rx_len = skb->len;
        rx_pkt_type = skb->pkt_type;
        memcpy(rx_payload, skb->data,
               skb->len < sizeof(rx_payload) ? skb->len : sizeof(rx_payload));
        consume_skb(skb);
}

static void fixture_teardown(void)
{
        /* first call comes from the first setup: from then on, exit also
         * releases a fixture a failed case left behind */
        static bool atexit_done;
        if (!atexit_done) {
                atexit_done = true;
                atexit(fixture_teardown);
        }
        struct fixture *f = fx_live;
        if (!f)
                return;
        fx_live = NULL;
        if (f->pkt_fd >= 0)
                close(f->pkt_fd);
        net_free(f->net);
}

static bool host_iface_gone(const char *name)
{
        /* Closing the fd unregisters the interface synchronously today; allow
         * a moment anyway rather than depend on it. */
        for (int i = 0; i < 100; i++) {
                if (if_nametoindex(name) == 0)
                        return true;
                usleep(10000);
        }
        return false;
}

static void need_root(void)
{
        if (geteuid() != 0)
                SKIP("needs root");
        if (access("/dev/net/tun", R_OK | W_OK) != 0)
                SKIP("no /dev/net/tun");
}

/* Namespace + TAP device named after the pid and suffix, Strata side up. */
static struct fixture *fixture_setup(char suffix)
{
        need_root();
        fixture_teardown();
        struct fixture *f = &fx_storage;
        memset(f, 0, sizeof(*f));
        f->pkt_fd = -1;
        f->clk.simulated = true;
        f->clk.sim_now = NSEC_PER_SEC;
        snprintf(f->host, sizeof(f->host), "sttest%d%c", (int)getpid() % 1000000, suffix);
        CHECK_EQ(net_alloc("taptest", &f->clk, 1, &f->net), 0);
        fx_live = f;
        rx_seen = 0;
        struct packet_type pt = { .type = TEST_ETHERTYPE, .func = test_ptype_rcv };
        CHECK_EQ(dev_add_pack(f->net, &pt), 0);
        CHECK_EQ(tap_create(f->net, f->host, "tap0", &f->dev), 0);
        f->host_ifindex = (int)if_nametoindex(f->host);
        CHECK(f->host_ifindex > 0);
        CHECK_EQ(dev_open(f->dev), 0);
        return f;
}

/* A host AF_PACKET socket on the tap interface hearing TEST_ETHERTYPE. */
static void open_host_socket(struct fixture *f)
{
        f->pkt_fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(TEST_ETHERTYPE));
        CHECK(f->pkt_fd >= 0);
        struct sockaddr_ll sll = {
                .sll_family = AF_PACKET,
                .sll_protocol = htons(TEST_ETHERTYPE),
                .sll_ifindex = f->host_ifindex,
        };
        CHECK_EQ(bind(f->pkt_fd, (struct sockaddr *)&sll, sizeof(sll)), 0);
}

/* Send a TEST_ETHERTYPE frame from the host to Strata's MAC address. */
static void host_send(struct fixture *f, const uint8_t *payload, size_t plen)
{
        uint8_t frame[2048];
        CHECK(plen + ETH_HLEN <= sizeof(frame));
        memcpy(frame, f->dev->dev_addr, ETH_ALEN);
        memcpy(frame + 6, "\x02\x00\x00\x00\x00\x99", ETH_ALEN);
        frame[12] = TEST_ETHERTYPE >> 8;
        frame[13] = TEST_ETHERTYPE & 0xff;
        memcpy(frame + ETH_HLEN, payload, plen);
        struct sockaddr_ll to = {
                .sll_family = AF_PACKET,
                .sll_protocol = htons(TEST_ETHERTYPE),
                .sll_ifindex = f->host_ifindex,
                .sll_halen = ETH_ALEN,
        };
        memcpy(to.sll_addr, f->dev->dev_addr, ETH_ALEN);
        ssize_t n =
            sendto(f->pkt_fd, frame, ETH_HLEN + plen, 0, (struct sockaddr *)&to, sizeof(to));
        CHECK_EQ(n, (ssize_t)(ETH_HLEN + plen));
}

/* Wait (as the event loop does) for the tap fd to become readable. */
static bool wait_readable(struct net_device *dev, int ms)
{
        struct pollfd p = { .fd = dev->ops->ndo_get_fd(dev), .events = POLLIN };
        return poll(&p, 1, ms) == 1 && (p.revents & POLLIN);
}

/* Run the event loop's receive step until the handler has seen n frames or
 * 2 s pass: readable -> napi_schedule -> net_poll. */
static void loop_until_seen(struct fixture *f, int n)
{
        for (int i = 0; i < 200 && rx_seen < n; i++) {
                if (!wait_readable(f->dev, 10))
                        continue;
                napi_schedule(f->dev);
                pthread_mutex_lock(&f->net->lock);
                net_poll(f->net);
                pthread_mutex_unlock(&f->net->lock);
        }
}

static int count_fds(void)
{
        DIR *d = opendir("/proc/self/fd");
        if (!d)
                return -1;
        int n = 0;
        while (readdir(d))
                n++;
        closedir(d);
        return n;
}

static void tap_create_brings_host_interface_up(void)
{
        struct fixture *f = fixture_setup('a');
        struct net_device *dev = f->dev;

        int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        CHECK(s >= 0);
        struct ifreq ifr;
        memset(&ifr, 0, sizeof(ifr));
        snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", f->host);
        int r = ioctl(s, SIOCGIFFLAGS, &ifr);
        close(s);
        CHECK_EQ(r, 0);
        CHECK(ifr.ifr_flags & IFF_UP);

        CHECK_STR(dev->name, "tap0");
        CHECK_STR(tap_host_name(dev), f->host);
        CHECK_EQ(dev->type, DEV_TYPE_ETHER);
        CHECK_EQ(dev->mtu, 1500);
        CHECK((dev->dev_addr[0] & 0x03) == 0x02); /* unicast, locally administered */
        int fd = dev->ops->ndo_get_fd(dev);
        CHECK(fd >= 0);
        CHECK(fcntl(fd, F_GETFL) & O_NONBLOCK);
        CHECK(fcntl(fd, F_GETFD) & FD_CLOEXEC);
        CHECK(netif_oper_up(dev));

        /* the host interface lives exactly as long as the device */
        fixture_teardown();
        CHECK(host_iface_gone(f->host));
}

static void tap_xmit_reaches_host_padded(void)
{
        struct fixture *f = fixture_setup('b');
        open_host_socket(f);

        struct sk_buff *skb = alloc_skb_tx(f->net, 10);
        CHECK(skb != NULL);
        memcpy(skb_put(skb, 10), "strata-tap", 10);
        skb->dev = f->dev;
        static const uint8_t dst[ETH_ALEN] = { 0x02, 0, 0, 0, 0, 0x99 };
        CHECK_EQ(f->dev->header_ops->create(skb, f->dev, TEST_ETHERTYPE, dst), 0);
        dev_queue_xmit(skb);
        CHECK_EQ(f->dev->stats.tx_packets, 1);
        CHECK_EQ(f->dev->stats.tx_bytes, ETH_ZLEN); /* counted padded */

        uint8_t buf[2048];
        struct pollfd p = { .fd = f->pkt_fd, .events = POLLIN };
        CHECK_EQ(poll(&p, 1, 2000), 1);
        ssize_t n = recv(f->pkt_fd, buf, sizeof(buf), 0);
        CHECK_EQ(n, ETH_ZLEN);
        CHECK_MEM(buf, dst, ETH_ALEN);
        CHECK_MEM(buf + 6, f->dev->dev_addr, ETH_ALEN);
        CHECK_EQ(buf[12], TEST_ETHERTYPE >> 8);
        CHECK_EQ(buf[13], TEST_ETHERTYPE & 0xff);
        CHECK_MEM(buf + ETH_HLEN, "strata-tap", 10);
        static const uint8_t zeros[ETH_ZLEN];
        CHECK_MEM(buf + ETH_HLEN + 10, zeros, ETH_ZLEN - ETH_HLEN - 10);
        CHECK_EQ(skb_pool_outstanding(f->net->pool), 0);
        fixture_teardown();
}

static void tap_host_frame_delivered_through_poll(void)
{
        struct fixture *f = fixture_setup('c');
        open_host_socket(f);
        uint64_t rx_before = f->dev->stats.rx_packets;

        uint8_t payload[46];
        for (size_t i = 0; i < sizeof(payload); i++)
                payload[i] = (uint8_t)(0xa0 + i);
        host_send(f, payload, sizeof(payload));
        loop_until_seen(f, 1);

        CHECK_EQ(rx_seen, 1);
        CHECK_EQ(rx_len, sizeof(payload)); /* handler sees data past the link header */
        CHECK_MEM(rx_payload, payload, sizeof(payload));
        CHECK_EQ(rx_pkt_type, PACKET_HOST);
        CHECK(f->dev->stats.rx_packets >= rx_before + 1);
        CHECK_EQ(skb_pool_outstanding(f->net->pool), 0);
        fixture_teardown();
}

/* Receive reads at most budget frames per call and reports how many. */
static void tap_poll_respects_budget(void)
{
        struct fixture *f = fixture_setup('d');
        open_host_socket(f);
        uint8_t payload[46] = { 1 };
        for (int i = 0; i < 5; i++)
                host_send(f, payload, sizeof(payload));
        CHECK(wait_readable(f->dev, 2000));
        CHECK_EQ(f->dev->ops->ndo_poll(f->dev, 2), 2);
        /* the rest (plus whatever the host kernel sent by itself, e.g. IPv6
         * router solicitations) comes in later rounds */
        for (int i = 0; i < 100 && rx_seen < 5; i++)
                if (f->dev->ops->ndo_poll(f->dev, 64) == 0)
                        wait_readable(f->dev, 20);
        CHECK_EQ(rx_seen, 5);
        CHECK_EQ(skb_pool_outstanding(f->net->pool), 0);
        fixture_teardown();
}

/* A frame larger than MTU allows is an over error and a named drop. */
static void tap_oversize_frame_counted_and_dropped(void)
{
        struct fixture *f = fixture_setup('e');
        open_host_socket(f);
        CHECK_EQ(dev_set_mtu(f->dev, 100), 0);
        uint8_t payload[600];
        memset(payload, 7, sizeof(payload));
        host_send(f, payload, sizeof(payload));
        host_send(f, payload, 50); /* fits: still delivered after the big one */
        loop_until_seen(f, 1);
        CHECK_EQ(rx_seen, 1);
        CHECK_EQ(rx_len, 50);
        CHECK_EQ(f->dev->stats.rx_over_errors, 1);
        CHECK_EQ(f->dev->drops[SKB_DROP_REASON_PKT_TOO_BIG], 1);
        CHECK_EQ(skb_pool_outstanding(f->net->pool), 0);
        fixture_teardown();
}

/* Failures return -errno and leave no fd, no host interface, no device. */
static void tap_create_errors_leave_nothing(void)
{
        struct fixture *f = fixture_setup('f');
        int fds = count_fds();
        struct net_device *dev = NULL;
        CHECK_EQ(tap_create(f->net, "this-name-is-far-too-long", "tapx", &dev), -EINVAL);
        char other[IFNAMSIZ];
        snprintf(other, sizeof(other), "sttest%d%c", (int)getpid() % 1000000, 'g');
        /* Strata name already taken: the host interface created for it goes */
        CHECK_EQ(tap_create(f->net, other, "tap0", &dev), -EEXIST);
        CHECK(dev == NULL);
        CHECK(host_iface_gone(other));
        CHECK_EQ(count_fds(), fds);
        CHECK(dev_get_by_name(f->net, "tapx") == NULL);
        fixture_teardown();
}

TEST_MAIN(T(tap_create_brings_host_interface_up), T(tap_xmit_reaches_host_padded),
          T(tap_host_frame_delivered_through_poll), T(tap_poll_respects_budget),
          T(tap_oversize_frame_counted_and_dropped), T(tap_create_errors_leave_nothing))
