/*
 * TCP header and options (RFC 9293, RFC 7323, RFC 2018).
 */
#ifndef STRATA_WIRE_TCP_H
#define STRATA_WIRE_TCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wire.h"

#define TCP_HLEN_MIN 20
#define TCP_HLEN_MAX 60

#define TCPF_FIN 0x01
#define TCPF_SYN 0x02
#define TCPF_RST 0x04
#define TCPF_PSH 0x08
#define TCPF_ACK 0x10
#define TCPF_URG 0x20
#define TCPF_ECE 0x40
#define TCPF_CWR 0x80

#define TCPOPT_EOL       0
#define TCPOPT_NOP       1
#define TCPOPT_MSS       2
#define TCPOPT_WINDOW    3
#define TCPOPT_SACK_PERM 4
#define TCPOPT_SACK      5
#define TCPOPT_TIMESTAMP 8
#define TCPOPT_MD5SIG    19  /* RFC 2385 */
#define TCPOPT_FASTOPEN  34  /* RFC 7413 */
#define TCPOPT_EXP       254 /* RFC 6994 experimental, with a 16-bit magic */
#define TCPOPT_FASTOPEN_MAGIC 0xF989 /* the experimental Fast Open option */

#define TCP_FASTOPEN_COOKIE_MIN 4
#define TCP_FASTOPEN_COOKIE_MAX 16

#define TCP_MAX_SACK 4

struct tcp_options {
        bool mss_ok, ws_ok, sack_ok, ts_ok;
        uint16_t mss;
        uint8_t ws;       /* shift count */
        uint32_t tsval, tsecr;
        uint8_t nsack;    /* SACK blocks present */
        uint32_t sack[TCP_MAX_SACK][2];
        /* Fast Open (RFC 7413): fo_ok when a valid option came or is to
         * go -- fo_len 0 is a cookie request, else 4..16 cookie bytes;
         * fo_exp for the experimental form (254, magic 0xF989) */
        bool fo_ok, fo_exp;
        uint8_t fo_len;
        uint8_t fo_cookie[TCP_FASTOPEN_COOKIE_MAX];
        /* MD5 signature (RFC 2385): md5_off is the digest's offset in the
         * header (0: none), where the parser found it or the emitter put
         * it (first, after NOP NOP kind length, as Linux writes it: 24) */
        bool md5_ok;
        uint8_t md5_off;
};

struct tcp_repr {
        uint16_t sport, dport;
        uint32_t seq, ack;
        uint8_t doff;     /* header length in bytes */
        uint8_t flags;    /* TCPF_* */
        uint16_t window;  /* unscaled, as on the wire */
        uint16_t check;
        uint16_t urg;
        struct tcp_options opt;
};

/* Parse header and options of a segment of len bytes.  WIRE_TRUNCATED when
 * len < 20 or < the data offset; WIRE_BAD_HDRLEN for a data offset < 5;
 * WIRE_BAD_OPTION for an option whose length runs past the header or is
 * wrong for its kind (as Linux's tcp_parse_options, unknown kinds are
 * skipped by their length). */
enum wire_status tcp_parse(const uint8_t *buf, size_t len, struct tcp_repr *out);

/* Bytes the options of r take on the wire, padded to 4, in Linux's order:
 * MSS, then SACK-permitted+timestamps (or NOP,NOP,TS / NOP,NOP,SACKperm),
 * then window scale; then SACK blocks; then Fast Open (NOP-padded). */
size_t tcp_options_len(const struct tcp_options *o);

/* Write header and options (check left 0); returns the header length, or 0
 * if cap is too small. */
size_t tcp_emit(const struct tcp_repr *r, uint8_t *buf, size_t cap);

/* Checksum field for a segment over IPv4 (header with check 0 + data). */
uint16_t tcp_csum_ipv4(uint32_t saddr, uint32_t daddr, const uint8_t *seg, size_t len);
bool tcp_csum_ok_ipv4(uint32_t saddr, uint32_t daddr, const uint8_t *seg, size_t len);

/* Sequence-space comparisons (RFC 1982 style). */
static inline bool seq_before(uint32_t a, uint32_t b)
{
        return (int32_t)(a - b) < 0;
}
static inline bool seq_after(uint32_t a, uint32_t b)
{
        return seq_before(b, a);
}
static inline bool seq_leq(uint32_t a, uint32_t b)
{
        return !seq_after(a, b);
}
static inline bool seq_geq(uint32_t a, uint32_t b)
{
        return !seq_before(a, b);
}

#endif
