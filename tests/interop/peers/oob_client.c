/*
 * The kernel's side of the tcp_urg interop test: a client that sends
 * "abc" with MSG_OOB (so 'c' is urgent) to examples/tcp-oob, then waits
 * for urgent data back (an exceptional condition for select), takes it
 * with recv(MSG_OOB) and the normal bytes before it.  Plain sockets: it
 * runs in the test's kernel namespace, not on Strata.
 *
 *   oob_client IP PORT SECONDS
 *
 * Prints "kernel received normal=... oob=..." (exit 0) or what failed
 * (1); gives up after SECONDS.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
        if (argc != 4) {
                fprintf(stderr, "usage: oob_client IP PORT SECONDS\n");
                return 2;
        }
        alarm((unsigned)atoi(argv[3]));
        int s = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[2])) };
        if (s < 0 || inet_pton(AF_INET, argv[1], &to.sin_addr) != 1 ||
            connect(s, (struct sockaddr *)&to, sizeof(to))) {
                perror("oob_client: connect");
                return 1;
        }
        if (send(s, "abc", 3, MSG_OOB) != 3) {
                perror("oob_client: send MSG_OOB");
                return 1;
        }
        fd_set ex;
        FD_ZERO(&ex);
        FD_SET(s, &ex);
        if (select(s + 1, NULL, NULL, &ex, NULL) != 1) {
                perror("oob_client: select");
                return 1;
        }
        char oob = 0, normal[16] = "";
        if (recv(s, &oob, 1, MSG_OOB) != 1) {
                perror("oob_client: recv MSG_OOB");
                return 1;
        }
        size_t n = 0;
        while (n < 2) {
                ssize_t r = recv(s, normal + n, sizeof(normal) - 1 - n, 0);
                if (r <= 0)
                        break;
                n += (size_t)r;
        }
        printf("kernel received normal=%s oob=%c\n", normal, oob);
        close(s);
        return 0;
}
