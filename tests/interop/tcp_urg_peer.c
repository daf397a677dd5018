/*
 * The Strata side of tests/interop/tcp_urg.sh: a TCP server on a TAP that
 * exchanges urgent data with the kernel.
 *
 * usage: tcp_urg_peer TAP CIDR PORT
 *
 * It prints "tcp_urg_peer: eth0 on TAP" once listening, then for the one
 * connection it accepts: waits for POLLPRI (the kernel's send(MSG_OOB)
 * arrived), reads the normal data up to the mark and the urgent byte with
 * recv(MSG_OOB), prints "received normal=... oob=...", then sends "xyz"
 * with MSG_OOB (so 'z' is urgent for the kernel) and waits for the kernel
 * to close.  Exit 0, or 1 with a message.
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
        fprintf(stderr, "tcp_urg_peer: %s: %s\n", what, strerror(err < 0 ? -err : err));
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
        printf("tcp_urg_peer: eth0 on TAP\n");
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
        if (argc != 4) {
                fprintf(stderr, "usage: tcp_urg_peer TAP CIDR PORT\n");
                return 2;
        }
        struct strata_net *net;
        int err = strata_net_new("tcp-urg", NULL, 0, &net);
        if (err)
                return die("namespace", err);
        if ((err = strata_tap_attach(net, argv[1], "eth0")) ||
            (err = strata_link_set_up(net, "eth0", true)) ||
            (err = strata_addr_add(net, "eth0", argv[2])) || (err = strata_run_thread(net)))
                return die("setting up the TAP", err);
        int rc = serve(net, atoi(argv[3]));
        strata_stop_thread(net);
        strata_net_free(net);
        return rc;
}
