/*
 * `strata trace` and `strata capture` against a running namespace: the
 * server side of STRATA_TRACE_* and STRATA_CAPTURE_* (include/strata/ctl.h).
 * What a client starts belongs to its connection: it stops when the client
 * says so or goes away.  Clients are named by the server's serial numbers,
 * never by descriptors, which the kernel reuses.
 */
#ifndef STRATA_CTL_OBSERVE_H
#define STRATA_CTL_OBSERVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ctl/nlmsg.h"
#include "strata/strata.h"

/* Queue one datagram for client `to` (called with the namespace locked,
 * from whatever thread runs it). */
typedef void (*ctl_send_to_fn)(uint64_t to, const void *dgram, size_t len, void *ctx);

struct ctl_observe;
struct ctl_observe *ctl_observe_new(struct strata_net *net, ctl_send_to_fn send_to, void *ctx);
/* Stops every trace and capture. */
void ctl_observe_free(struct ctl_observe *ob);
/* Is this message one of ours? */
bool ctl_observe_is_ours(uint16_t type);
/* Answer one request of client `from` into o (ACK or NLMSG_ERROR). */
void ctl_observe_request(struct ctl_observe *ob, uint64_t from, const struct nl_msg *m,
                         struct nl_out *o);
void ctl_observe_client_gone(struct ctl_observe *ob, uint64_t client);

#endif
