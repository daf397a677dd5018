/*
 * The kernel's side of the tcp_md5 interop test: a listener that signs and
 * checks with TCP_MD5SIG for one peer, takes one connection, reads it to
 * the end and says whether the bytes were tcp-client's body ("%015llu\n"
 * lines counting from 0).  Plain sockets: it runs in the test's kernel
 * namespace, not on Strata.
 *
 *   md5_listen PORT PEER_IP KEY SECONDS
 *
 * Prints "received N bytes, body ok" (exit 0), "... body differs" (1) or
 * what failed (1); gives up after SECONDS.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
        if (argc != 5) {
                fprintf(stderr, "usage: md5_listen PORT PEER_IP KEY SECONDS\n");
                return 2;
        }
        alarm((unsigned)atoi(argv[4]));
        int l = socket(AF_INET, SOCK_STREAM, 0);
        int one = 1;
        setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        struct tcp_md5sig md5;
        memset(&md5, 0, sizeof(md5));
        struct sockaddr_in *peer = (struct sockaddr_in *)&md5.tcpm_addr;
        peer->sin_family = AF_INET;
        if (inet_pton(AF_INET, argv[2], &peer->sin_addr) != 1 ||
            strlen(argv[3]) > TCP_MD5SIG_MAXKEYLEN) {
                fprintf(stderr, "md5_listen: bad peer or key\n");
                return 2;
        }
        md5.tcpm_keylen = (uint16_t)strlen(argv[3]);
        memcpy(md5.tcpm_key, argv[3], md5.tcpm_keylen);
        if (setsockopt(l, IPPROTO_TCP, TCP_MD5SIG, &md5, sizeof(md5))) {
                perror("md5_listen: TCP_MD5SIG");
                return 1;
        }
        struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[1])) };
        if (bind(l, (struct sockaddr *)&a, sizeof(a)) || listen(l, 1)) {
                perror("md5_listen: bind/listen");
                return 1;
        }
        printf("listening\n");
        fflush(stdout);
        int c = accept(l, NULL, NULL);
        if (c < 0) {
                perror("md5_listen: accept");
                return 1;
        }
        unsigned long long got = 0;
        int same = 1;
        char buf[65536], line[24];
        ssize_t n;
        while ((n = read(c, buf, sizeof(buf))) > 0) {
                for (ssize_t i = 0; i < n; i++, got++) {
                        snprintf(line, sizeof(line), "%015llu\n", got / 16);
                        if (buf[i] != line[got % 16])
                                same = 0;
                }
        }
        if (n < 0) {
                perror("md5_listen: read");
                return 1;
        }
        close(c);
        printf("received %llu bytes, body %s\n", got, same ? "ok" : "differs");
        return same ? 0 : 1;
}
