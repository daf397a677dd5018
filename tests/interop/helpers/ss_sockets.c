/*
 * Helper of tests/interop/ctl_ss_sockets.sh: a Strata namespace holding
 * the sockets the script also makes in a kernel namespace, served on a
 * control socket so that Debian's ss can be run against both.
 *
 * Over lo, on the real clock, driven by the namespace's own thread: a TCP
 * listener on 0.0.0.0:8080 (backlog 16), a TCP socket never bound, two
 * connections to 127.0.0.1:8080 -- the first accepted, with 100 bytes sent
 * to the accepting side and left unread, the second left in the accept
 * queue -- and a UDP socket bound to 0.0.0.0:5353 holding one 10-byte
 * datagram from a second UDP socket.  Prints "ready" when all is in place
 * and serves until SIGTERM or SIGINT.
 *
 * Usage: ss_sockets SOCKET_PATH
 */
#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "strata/ctl.h"
#include "strata/socket.h"
#include "strata/strata.h"

static struct sockaddr_in sin_of(const char *ip, uint16_t port)
{
        struct sockaddr_in s = { .sin_family = AF_INET, .sin_port = htons(port) };
        inet_pton(AF_INET, ip, &s.sin_addr);
        return s;
}

static int fail(const char *what, int err)
{
        fprintf(stderr, "ss_sockets: %s: %s\n", what, strerror(err < 0 ? -err : err));
        return 1;
}

int main(int argc, char **argv)
{
        if (argc != 2) {
                fprintf(stderr, "usage: ss_sockets SOCKET_PATH\n");
                return 2;
        }
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGTERM);
        sigaddset(&set, SIGINT);
        sigprocmask(SIG_BLOCK, &set, NULL);
        int sfd = signalfd(-1, &set, SFD_CLOEXEC);

        struct strata_net *ns;
        int err = strata_net_new("ss", NULL, 1, &ns);
        if (err)
                return fail("namespace", err);
        if ((err = strata_run_thread(ns)))
                return fail("thread", err);
        struct sockaddr_in any = sin_of("0.0.0.0", 8080), to = sin_of("127.0.0.1", 8080);
        int l = strata_socket(ns, AF_INET, SOCK_STREAM, 0);
        if ((err = strata_bind(ns, l, (struct sockaddr *)&any, sizeof(any))) ||
            (err = strata_listen(ns, l, 16)))
                return fail("listener", err);
        if ((err = strata_socket(ns, AF_INET, SOCK_STREAM, 0)) < 0)
                return fail("socket", err);
        int c1 = strata_socket(ns, AF_INET, SOCK_STREAM, 0);
        if ((err = strata_connect(ns, c1, (struct sockaddr *)&to, sizeof(to))))
                return fail("connect", err);
        int s1 = strata_accept(ns, l, NULL, NULL);
        if (s1 < 0)
                return fail("accept", s1);
        int c2 = strata_socket(ns, AF_INET, SOCK_STREAM, 0);
        if ((err = strata_connect(ns, c2, (struct sockaddr *)&to, sizeof(to))))
                return fail("connect", err);
        char data[100] = { 1 };
        if ((err = strata_send(ns, c1, data, sizeof(data), 0)) != 100)
                return fail("send", err);
        struct sockaddr_in uany = sin_of("0.0.0.0", 5353), uto = sin_of("127.0.0.1", 5353);
        int u = strata_socket(ns, AF_INET, SOCK_DGRAM, 0);
        if ((err = strata_bind(ns, u, (struct sockaddr *)&uany, sizeof(uany))))
                return fail("udp bind", err);
        int ua = strata_socket(ns, AF_INET, SOCK_DGRAM, 0);
        if ((err = strata_sendto(ns, ua, data, 10, 0, (struct sockaddr *)&uto, sizeof(uto))) != 10)
                return fail("udp send", err);
        usleep(200 * 1000); /* the ACKs and the datagram land */

        struct strata_ctl_server *srv;
        if ((err = strata_ctl_server_new(ns, argv[1], &srv)))
                return fail("control socket", err);
        printf("ready\n");
        fflush(stdout);
        strata_ctl_server_run(srv, sfd);
        strata_ctl_server_free(srv);
        strata_stop_thread(ns);
        strata_net_free(ns);
        return 0;
}
