/*
 * TCP MD5 signatures (RFC 2385; Linux's tcp_md5_* in tcp_ipv4.c): the
 * per-socket key list, signing and checking.  The option itself (NOP NOP
 * kind 19 length 18, first among the options, as Linux writes it) is
 * placed by tcp_output.c and found by the option parser.
 */
#include "transport/tcp_md5.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>

#include "core/dropreason.h"
#include "core/mib.h"
#include "transport/tcp.h"

#ifndef TCP_MD5SIG_FLAG_IFINDEX
#define TCP_MD5SIG_FLAG_IFINDEX 2
#endif

static bool prefix_match(uint32_t a, uint32_t b, unsigned plen)
{
        uint32_t mask = plen ? ~0u << (32 - plen) : 0;
        return (a & mask) == (b & mask);
}

const struct tcp_md5_key *tcp_md5_lookup(const struct sock *sk, uint32_t addr, int ifindex)
{
        const struct tcp_md5_key *best = NULL;
        for (const struct tcp_md5_key *k = tcp_sk((struct sock *)sk)->md5_keys; k; k = k->next) {
                if (k->ifindex && k->ifindex != ifindex)
                        continue;
                if (!prefix_match(k->addr, addr, k->prefixlen))
                        continue;
                if (!best || k->prefixlen > best->prefixlen)
                        best = k;
        }
        return best;
}

static struct tcp_md5_key **find_exact(struct tcp_sock *tp, uint32_t addr, uint8_t plen)
{
        for (struct tcp_md5_key **pk = &tp->md5_keys; *pk; pk = &(*pk)->next)
                if ((*pk)->addr == addr && (*pk)->prefixlen == plen)
                        return pk;
        return NULL;
}

static int add_key(struct tcp_sock *tp, uint32_t addr, uint8_t plen, const uint8_t *key,
                   uint8_t keylen)
{
        struct tcp_md5_key **pk = find_exact(tp, addr, plen);
        struct tcp_md5_key *k = pk ? *pk : calloc(1, sizeof(*k));
        if (!k)
                return -ENOMEM;
        k->addr = addr;
        k->prefixlen = plen;
        k->keylen = keylen;
        memcpy(k->key, key, keylen);
        if (!pk) {
                k->next = tp->md5_keys;
                tp->md5_keys = k;
        }
        return 0;
}

int tcp_md5_setsockopt(struct sock *sk, int name, const void *val, socklen_t len)
{
        struct tcp_md5sig cmd;
        if (len < sizeof(cmd))
                return -EINVAL;
        memcpy(&cmd, val, sizeof(cmd));
        struct sockaddr_in sin;
        memcpy(&sin, &cmd.tcpm_addr, sizeof(sin));
        if (sin.sin_family != AF_INET)
                return -EINVAL;
        uint8_t plen = 32;
        if (name == TCP_MD5SIG_EXT && (cmd.tcpm_flags & TCP_MD5SIG_FLAG_PREFIX)) {
                if (cmd.tcpm_prefixlen > 32)
                        return -EINVAL;
                plen = cmd.tcpm_prefixlen;
        }
        if (name == TCP_MD5SIG_EXT && (cmd.tcpm_flags & TCP_MD5SIG_FLAG_IFINDEX))
                return -EINVAL; /* keys bound to a VRF device: Strata has no l3mdev */
        uint32_t addr = ntohl(sin.sin_addr.s_addr);
        struct tcp_sock *tp = tcp_sk(sk);
        if (!cmd.tcpm_keylen) {
                struct tcp_md5_key **pk = find_exact(tp, addr, plen);
                if (!pk)
                        return -ENOENT;
                struct tcp_md5_key *k = *pk;
                *pk = k->next;
                free(k);
                return 0;
        }
        if (cmd.tcpm_keylen > TCP_MD5_KEY_MAX)
                return -EINVAL;
        return add_key(tp, addr, plen, cmd.tcpm_key, (uint8_t)cmd.tcpm_keylen);
}

int tcp_md5_copy(struct sock *child, const struct sock *listener, uint32_t addr)
{
        const struct tcp_md5_key *k = tcp_md5_lookup(listener, addr, 0);
        if (!k)
                return 0;
        /* the child keeps the one key for its peer, as a /32 */
        return add_key(tcp_sk(child), addr, 32, k->key, k->keylen);
}

void tcp_md5_free(struct sock *sk)
{
        struct tcp_sock *tp = tcp_sk(sk);
        while (tp->md5_keys) {
                struct tcp_md5_key *k = tp->md5_keys;
                tp->md5_keys = k->next;
                memset(k->key, 0, sizeof(k->key));
                free(k);
        }
}

void tcp_md5_sign(const struct tcp_md5_key *key, uint32_t saddr, uint32_t daddr,
                  const uint8_t *th, size_t seglen, const uint8_t *payload, size_t plen,
                  uint8_t out[MD5_DIGEST_SIZE])
{
        uint8_t ph[12] = { (uint8_t)(saddr >> 24), (uint8_t)(saddr >> 16), (uint8_t)(saddr >> 8),
                           (uint8_t)saddr, (uint8_t)(daddr >> 24), (uint8_t)(daddr >> 16),
                           (uint8_t)(daddr >> 8), (uint8_t)daddr, 0, IPPROTO_TCP,
                           (uint8_t)(seglen >> 8), (uint8_t)seglen };
        uint8_t hdr[20];
        memcpy(hdr, th, sizeof(hdr));
        hdr[16] = hdr[17] = 0; /* the checksum counts as zero */
        struct md5_ctx c;
        md5_init(&c);
        md5_update(&c, ph, sizeof(ph));
        md5_update(&c, hdr, sizeof(hdr));
        if (plen)
                md5_update(&c, payload, plen);
        md5_update(&c, key->key, key->keylen);
        md5_final(&c, out);
}

int tcp_md5_inbound(struct net *net, const struct tcp_md5_key *key, uint32_t saddr,
                    uint32_t daddr, const uint8_t *th, size_t hdrlen, const uint8_t *payload,
                    size_t plen, const uint8_t *opt)
{
        if (!key && !opt)
                return 0;
        if (key && !opt) {
                TCPEXT_INC(net, TCPMD5NotFound);
                return SKB_DROP_REASON_TCP_MD5NOTFOUND;
        }
        if (!key) {
                TCPEXT_INC(net, TCPMD5Unexpected);
                return SKB_DROP_REASON_TCP_MD5UNEXPECTED;
        }
        uint8_t want[MD5_DIGEST_SIZE];
        tcp_md5_sign(key, saddr, daddr, th, hdrlen + plen, payload, plen, want);
        if (memcmp(want, opt, sizeof(want))) {
                TCPEXT_INC(net, TCPMD5Failure);
                return SKB_DROP_REASON_TCP_MD5FAILURE;
        }
        return 0;
}

void tcp_md5_options(struct tcp_sock *tp, struct tcp_options *o, uint8_t flags)
{
        o->md5_ok = true;
        /* tcp_syn_options: a signed SYN carries no timestamps;
         * tcp_synack_options: nor a signed SYN-ACK when SACK is on (the
         * connection then goes without) */
        if ((flags & TCPF_SYN) && !(flags & TCPF_ACK))
                o->ts_ok = false;
        if ((flags & TCPF_SYN) && (flags & TCPF_ACK) && o->sack_ok && o->ts_ok) {
                o->ts_ok = false;
                tp->tstamp_ok = false;
        }
        /* tcp_established_options: SACK blocks only as far as room is left */
        while (o->nsack && tcp_options_len(o) > TCP_HLEN_MAX - TCP_HLEN_MIN)
                o->nsack--;
}
