/*
 * Dumps answered a batch at a time, for the socket server (rtnl.c
 * implements it beside strata_ctl_handle).  Kept apart from rtnl.h so that
 * a test can drive it with the kernel's uapi headers in scope.
 */
#ifndef STRATA_CTL_BATCH_H
#define STRATA_CTL_BATCH_H

#include <stddef.h>
#include <stdint.h>

#include "ctl/nlmsg.h"
#include "strata/ctl.h"

/* A request whose dump is answered a batch at a time (the socket
 * server's): the request datagram, the message whose dump is under way and
 * how many of its messages were sent. */
struct ctl_cursor {
        const uint8_t *req;
        size_t len;
        size_t off;
        uint32_t sent;      /* messages of it sent (a dump that skips) */
        bool positioned;    /* or where it stands (a dump that resumes) */
        uint64_t pos[2];
        uint32_t genid;     /* the route generation when the dump began */
};
#define CTL_DUMP_BATCH (4 * NL_DGRAM_SOFT) /* bytes of dump messages per batch */
/* Answer cur's request from where it stands: every message up to a dump
 * that outgrows CTL_DUMP_BATCH, whose first batch goes out.  An
 * rtnetlink dump whose namespace changed (its route generation moved:
 * routes, rules, addresses, devices) since its first batch flags the
 * messages of the later ones NLM_F_DUMP_INTR, as the kernel does.  1: more of it
 * remains (cur says where; call again for the next batch); 0: all
 * answered; or emit's error.  Any reply goes through emit, as
 * strata_ctl_handle. */
int ctl_handle_batch(struct strata_net *sn, const struct strata_ctl_client *c,
                     struct ctl_cursor *cur, strata_ctl_emit_fn emit, void *ctx);

#endif
