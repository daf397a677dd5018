/*
 * The runner's state while one script runs: the namespace and its probe
 * device, the simulated clock and the script's notion of time, the flow
 * being tested (ports, both ISNs, the timestamp offset) and the segments
 * Strata sent that no `>` line has consumed yet.
 *
 * Script time is in microseconds from the script's start; the namespace
 * clock is start_ns + 1000 * script time.  A failure anywhere (a mismatch,
 * a bad argument, a call that never returns) goes through pd_fail(), which
 * records the message and jumps back to pd_run_script(): the script is
 * over, even when the failure happens inside a blocking call that Strata
 * is driving through the runner's driver.
 */
#ifndef STRATA_TESTS_CONFORMANCE_PD_RUN_H
#define STRATA_TESTS_CONFORMANCE_PD_RUN_H

#include <setjmp.h>

/* probe.h is header-only (static functions): not every file uses them all */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#include "../sim/probe.h"
#pragma GCC diagnostic pop
#include "pd.h"
#include "strata/socket.h"
#include "strata/strata.h"

#define PD_MAX_FRAME 2048
#define PD_MAX_SENT  512
/* where the remote's script sequence numbers start on the wire */
#define REMOTE_ISN_BASE 0x5eed0000u

struct pd_sent {
        int64_t t_us; /* script time it left */
        size_t len;
        uint8_t ip[PD_MAX_FRAME]; /* from the IP header on */
};

struct pd_runner {
        struct pd_script *s;
        const char *dir; /* the script's directory, for shell paths */
        struct strata_clock *clk;
        struct strata_net *sn;
        struct probe probe;
        uint64_t start_ns;
        jmp_buf fail;
        char *err;
        size_t errcap;
        size_t next_ev;  /* the next event to run */
        int64_t base_us; /* time relative (+T) times count from */
        int depth;       /* nested blocking calls being driven */
        int64_t block_limit_us;
        /* the flow */
        uint16_t local_port, remote_port;
        /* a listen() since the last passive SYN: the next SYN is a new
         * peer, from a new port (packetdrill's next_ephemeral_port) */
        bool new_listener, had_passive_syn;
        bool ports_known;
        uint32_t local_isn, remote_isn; /* live ISNs (remote: with the base) */
        uint32_t local_isn_script;       /* the ISN Strata's SYN has in the script */
        bool local_isn_known;
        uint32_t ts_offset; /* actual TS val - script TS val */
        bool ts_known;
        /* script TS val -> the TS val Strata sent under it, latest first */
#define PD_TS_MAP 64
        uint32_t ts_map[PD_TS_MAP][2];
        size_t nts_map;
        /* what Strata sent, oldest first */
        struct pd_sent *sent;
        size_t nsent;
        int last_fd; /* socket %{ }% blocks read tcp_info from */
        /* nstat's history (the counters as the last `nstat` saw them) */
        struct pd_nstat {
                char name[48]; /* "TcpExtOutOfWindowIcmps" */
                uint64_t v;
        } nstat[400];
        size_t nnstat;
        struct pd_code_env *code;
};

_Noreturn void pd_fail(struct pd_runner *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

int64_t pd_now_us(struct pd_runner *r);
/* Run the namespace up to script time t_us: timers in order, every frame
 * it sends collected (ARP requests for the remote answered). */
void pd_advance_to(struct pd_runner *r, int64_t t_us);
/* Poll until idle and collect what was sent, without moving the clock. */
void pd_settle(struct pd_runner *r);
/* Run one event (also called from inside blocking calls). */
void pd_run_event(struct pd_runner *r, struct pd_event *ev);
/* Scheduled time of an event from the current base (ranges: their start). */
int64_t pd_event_time(struct pd_runner *r, const struct pd_event *ev);

#endif
