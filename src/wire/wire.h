/*
 * Common result codes of the wire parsers.
 *
 * src/wire/ is pure: each parser checks a byte range once and fills a small
 * host-order representation; each emitter writes one back.  No allocation,
 * no clock, no globals.  A parser says *why* it refused a buffer so that the
 * layer calling it can drop the packet with the matching named reason
 * (see src/core/dropreason.h) -- the parser itself knows nothing of skbs.
 */
#ifndef STRATA_WIRE_WIRE_H
#define STRATA_WIRE_WIRE_H

enum wire_status {
        WIRE_OK = 0,
        WIRE_TRUNCATED,   /* buffer shorter than the header or its length field */
        WIRE_BAD_VERSION, /* IP version field is not the expected one */
        WIRE_BAD_HDRLEN,  /* header length field out of range (IPv4 IHL < 5, ...) */
        WIRE_BAD_LENGTH,  /* total-length field inconsistent with header or buffer */
        WIRE_BAD_CSUM,    /* checksum does not verify */
        WIRE_BAD_OPTION,  /* malformed option (length, pointer, duplicate) */
        WIRE_BAD_HWTYPE,  /* ARP hardware/protocol type or sizes not Ethernet/IPv4 */
};

/* Human-readable name of a status, for tests and traces ("truncated"). */
const char *wire_status_name(enum wire_status st);

#endif
