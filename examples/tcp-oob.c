/*
 * tcp-oob: TCP urgent data ("out-of-band", MSG_OOB) with Strata's socket
 * API, on a TAP device -- the Strata side of tests/interop/tcp_urg.sh.
 *
 * usage: tcp-oob [--tap NAME] [--addr CIDR] [--port N]
 *
 * It prints "tcp-oob: eth0 on TAP" once listening, then for the one
 * connection it accepts: waits for POLLPRI (the peer's send(MSG_OOB)
 * arrived), reads the normal data up to the mark (SIOCATMARK) and the
 * urgent byte with recv(MSG_OOB), prints "received normal=... oob=...",
 * then sends "xyz" with MSG_OOB (so 'z' is urgent for the peer) and reads
 * until the peer closes.  Exit 0, or 1 with a message.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "strata/socket.h"
#include "strata/strata.h"

static int die(const char *what, int err)
{
        fprintf(stderr, "tcp-oob: %s: %s\n", what, strerror(err < 0 ? -err : err));
        return 1;
}

static int serve(struct strata_net *net, int port)
{
        int l = strata_socket(net, AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
        int err = strata_bind(net, l, (struct sockaddr *)&sin, sizeof(sin));
        if (!err)
                err = strata_listen(net, l, 1);
        if (err)
                return die("listen", err);
        printf("tcp-oob: eth0 on TAP\n");
        fflush(stdout);
        int s = strata_accept(net, l, NULL, NULL);
        if (s < 0)
                return die("accept", s);
        struct pollfd p = { .fd = s, .events = POLLPRI };
        if (strata_poll(net, &p, 1, 20000) != 1 || !(p.revents & POLLPRI))
                return die("no POLLPRI", ETIMEDOUT);
        char normal[64] = "", oob[8] = "";
        size_t n = 0;
        for (;;) {
                int mark = 0;
                err = strata_ioctl(net, s, SIOCATMARK, &mark);
                if (err)
                        return die("SIOCATMARK", err);
                if (mark)
                        break;
                ssize_t r = strata_recv(net, s, normal + n, sizeof(normal) - 1 - n, 0);
                if (r <= 0)
                        return die("recv", r < 0 ? (int)r : EPIPE);
                n += (size_t)r;
        }
        ssize_t r = strata_recv(net, s, oob, sizeof(oob) - 1, MSG_OOB);
        if (r != 1)
                return die("recv MSG_OOB", r < 0 ? (int)r : EPROTO);
        printf("received normal=%s oob=%s\n", normal, oob);
        fflush(stdout);
        if (strata_send(net, s, "xyz", 3, MSG_OOB) != 3)
                return die("send MSG_OOB", EIO);
        char sink[64];
        while (strata_recv(net, s, sink, sizeof(sink), 0) > 0)
                ;
        strata_close(net, s);
        strata_close(net, l);
        return 0;
}

int main(int argc, char **argv)
{
        const char *tap = "strata0", *addr = "10.0.0.2/24";
        int port = 7000;
        for (int i = 1; i < argc; i++) {
                if (i + 1 < argc && !strcmp(argv[i], "--tap"))
                        tap = argv[++i];
                else if (i + 1 < argc && !strcmp(argv[i], "--addr"))
                        addr = argv[++i];
                else if (i + 1 < argc && !strcmp(argv[i], "--port"))
                        port = atoi(argv[++i]);
                else {
                        fprintf(stderr, "usage: tcp-oob [--tap NAME] [--addr CIDR] [--port N]\n");
                        return !!strcmp(argv[i], "--help") && !!strcmp(argv[i], "-h");
                }
        }
        if (port <= 0 || port > 65535) {
                fprintf(stderr, "tcp-oob: bad port\n");
                return 1;
        }
        struct strata_net *net;
        int err = strata_net_new("tcp-urg", NULL, 0, &net);
        if (err)
                return die("namespace", err);
        if ((err = strata_tap_attach(net, tap, "eth0")) ||
            (err = strata_link_set_up(net, "eth0", true)) ||
            (err = strata_addr_add(net, "eth0", addr)) || (err = strata_run_thread(net)))
                return die("setting up the TAP", err);
        int rc = serve(net, port);
        strata_stop_thread(net);
        strata_net_free(net);
        return rc;
}
