/*
 * The packetdrill-compatible conformance runner: what its parts share.
 *
 * A script goes through three stages, each in its own file:
 *   pd_lex.c    text -> tokens (with line numbers for every message);
 *   pd_parse.c  tokens -> a list of timed events (packets, system calls,
 *               shell commands, %{ }% code blocks) and the script options;
 *   pd_run.c    events -> a fresh Strata namespace on a simulated clock,
 *               with pd_packet.c (build inbound / match outbound segments),
 *               pd_syscall.c (system calls through Strata's socket API),
 *               pd_shell.c (backquoted lines -> Strata sysctls) and
 *               pd_code.c (the tcp_info expression evaluator).
 * packetdrill.c walks the corpus, runs each script in a child process (a
 * crash or a hang in the stack costs one script, not the run), compares
 * with the expected-failures list and prints the summary.
 *
 * Written from the grammar in ../shared/conformance/packetdrill/syntax.md
 * and the scripts themselves; no code of packetdrill is used.
 */
#ifndef STRATA_TESTS_CONFORMANCE_PD_H
#define STRATA_TESTS_CONFORMANCE_PD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PD_ERR_MAX 1024

/* --- tokens (pd_lex.c) ------------------------------------------------------ */

enum pd_tok_kind {
        PD_T_EOF,
        PD_T_INT,      /* decimal or hex (is_hex) */
        PD_T_FLOAT,    /* 0.100, .1 */
        PD_T_WORD,     /* identifiers, flags ("S", "P."), option names */
        PD_T_STRING,   /* "..." with escapes resolved */
        PD_T_OPTION,   /* --name[=value] before the events */
        PD_T_SHELL,    /* `...` (raw text) */
        PD_T_CODE,     /* %{ ... }% (raw text) */
        PD_T_ELLIPSIS, /* ... */
        PD_T_PUNCT,    /* ( ) [ ] { } , : = < > | ~ + - * ! & / ; && || == != <= >= */
};

struct pd_tok {
        enum pd_tok_kind kind;
        int line;
        bool is_hex;
        bool space_before; /* whitespace separated it from the previous token */
        long long ival;
        double fval;
        char *text; /* owned */
};

struct pd_toks {
        struct pd_tok *v;
        size_t n, cap;
};

int pd_lex(const char *src, struct pd_toks *out, char *err, size_t errcap);
void pd_toks_free(struct pd_toks *t);

/* --- syscall argument expressions ------------------------------------------ */

enum pd_expr_kind {
        PD_E_ELLIPSIS, /* ... */
        PD_E_INT,
        PD_E_WORD, /* a symbolic constant (SOCK_STREAM) */
        PD_E_STRING,
        PD_E_ARRAY,  /* [a, b] */
        PD_E_STRUCT, /* {a, b=c} */
        PD_E_OR,     /* a | b */
        PD_E_ASSIGN, /* lhs = rhs inside a struct */
        PD_E_CALL,   /* htons(8080), inet_addr("..."), msg_iov(1) */
};

struct pd_expr {
        enum pd_expr_kind kind;
        int line;
        long long ival;
        char *s; /* WORD / STRING / CALL name */
        struct pd_expr **kids;
        size_t nkids;
};

void pd_expr_free(struct pd_expr *e);
/* Append e, as the script would write it, to buf. */
void pd_expr_fmt(const struct pd_expr *e, char *buf, size_t cap);

/* --- packets ---------------------------------------------------------------- */

#define PD_MAX_OPTS 16

enum pd_opt_kind {
        PD_O_NOP,
        PD_O_EOL,
        PD_O_MSS,
        PD_O_WSCALE,
        PD_O_SACKOK,
        PD_O_SACK,
        PD_O_TS,
        PD_O_FO,    /* Fast Open (kind 34) */
        PD_O_FOEXP, /* experimental Fast Open (kind 254, magic 0xF989) */
        PD_O_MD5,
        PD_O_OTHER, /* an outbound option the runner does not name */
};

struct pd_opt {
        enum pd_opt_kind kind;
        uint32_t v1, v2; /* mss / wscale / TS val, ecr */
        int nsack;
        uint32_t sack[4][2];
        int bloblen;
        uint8_t blob[40];
};

struct pd_packet {
        char dir; /* '<' inbound, '>' outbound */
        int ecn;  /* -1 not given; else 0 noecn, 1 ect1, 2 ect0, 3 ce */
        int tos;  /* -1 not given */
        int ttl;  /* -1 not given */
        uint8_t flags;
        uint32_t seq, end_seq, len;
        bool has_ack, has_win, has_urg;
        uint32_t ack, win, urg;
        int opts_mode; /* 0: none, 1: list, 2: <...> (anything) */
        int nopts;
        struct pd_opt opts[PD_MAX_OPTS];
        /* an ICMP error (`< icmp unreachable host_unreachable [0:10(10)]`):
         * quoting a TCP segment of the connection at script seq echo_seq */
        bool icmp;
        uint8_t icmp_type, icmp_code;
        uint32_t icmp_mtu;
        uint32_t echo_seq, echo_end, echo_len;
};

/* --- events ----------------------------------------------------------------- */

enum pd_event_kind { PD_EV_PACKET, PD_EV_SYSCALL, PD_EV_SHELL, PD_EV_CODE };

enum pd_time_kind {
        PD_TIME_ABS,       /* T */
        PD_TIME_REL,       /* +T */
        PD_TIME_ANY,       /* * */
        PD_TIME_ABS_RANGE, /* T1~T2 */
        PD_TIME_REL_RANGE, /* +T1~+T2 */
};

struct pd_syscall {
        char *name;
        struct pd_expr **args;
        size_t nargs;
        struct pd_expr *ret;
        char *errno_name; /* NULL when none expected */
        bool has_end;     /* +T...END: a blocking call */
        int64_t end_us;
};

struct pd_event {
        int line;
        enum pd_event_kind kind;
        enum pd_time_kind tkind;
        int64_t t_us, t2_us; /* as written (relative or absolute) */
        struct pd_packet pkt;
        struct pd_syscall sc;
        char *text; /* shell or code body */
};

struct pd_script {
        /* options */
        int64_t tolerance_us;
        int64_t ts_tick_us; /* 0: TS val not checked */
        bool strict_segments;
        uint32_t local_ip, remote_ip; /* host order */
        int mss;                      /* --mss (0: not given) */
        struct pd_event *ev;
        size_t nev, cap;
};

/* Parse a whole script; 0, or -1 with a message naming the line. */
int pd_parse(const char *src, struct pd_script *s, char *err, size_t errcap);
void pd_script_free(struct pd_script *s);

/* --- running (pd_run.c and friends) ---------------------------------------- */

struct pd_runner;

/* Run one script (path only for messages and relative shell paths).
 * dir is the script's directory (shell paths are relative to it).
 * 0 passed; -1 failed with the first mismatch in err. */
int pd_run_script(const char *path, const char *dir, struct pd_script *s, char *err, size_t errcap);

/* pd_shell.c: a backquoted command; 0 or -1 with err.  With lenient
 * sysctls (--lenient-sysctls, for diagnosis only), keys Strata lacks are
 * ignored instead of failing the script. */
extern bool pd_lenient_sysctls;
int pd_shell(struct pd_runner *r, const char *script_dir, const char *text, int line, char *err,
             size_t errcap);

/* pd_code.c: a %{ }% block evaluated over the tcp_info of the socket the
 * runner last used; 0 or -1 with err. */
struct pd_code_env;
struct pd_code_env *pd_code_env_new(void);
void pd_code_env_free(struct pd_code_env *env);
int pd_code_run(struct pd_code_env *env, const void *tcp_info, size_t info_len, const char *text,
                int line, char *err, size_t errcap);
/* pd_tcpinfo.c: where a field of the kernel's struct tcp_info lies (false:
 * not one Strata fills), and the struct's size. */
bool pd_tcpinfo_field(const char *name, size_t *off, size_t *size);
size_t pd_tcpinfo_size(void);
/* Evaluate an integer arithmetic expression (the $((...)) of shell lines);
 * 0 or -1. */
int pd_arith(const char *text, long long *out);

/* pd_syscall.c (failures go through pd_fail in pd_run.h) */
/* end_us: when a blocking call (+T...END) must have returned, in script time */
void pd_syscall(struct pd_runner *r, struct pd_event *ev, int64_t end_us);
/* a symbolic constant by name (SOCK_STREAM, EINPROGRESS, ...); false when unknown */
bool pd_symbol(const char *name, long long *out);

/* pd_files.c: the script's private /tmp.  pd_sandbox_path maps /tmp/NAME
 * into it (0, or -1 with err for any other path); pd_file_cmd runs a
 * shell line that is one of the file commands it knows (0 done, -1
 * failed with err, 1 not one of them); pd_sandbox_cleanup removes it. */
int pd_sandbox_path(const char *path, char *out, size_t cap, char *err, size_t errcap);
int pd_file_cmd(const char *cmd, int line, char *err, size_t errcap);
void pd_sandbox_cleanup(void);

/* pd_cmsg.c: recvmsg's msg_control=[{cmsg_level=..., cmsg_type=...,
 * cmsg_data=...}, ...] against the cmsgs in mh (int data, a struct
 * sock_extended_err {ee_errno=..., ...} or a struct scm_timestamping
 * {scm_sec=..., scm_nsec=...} in script time); 0, or -1 with err. */
struct msghdr;
int pd_cmsg_check(struct pd_runner *r, const struct pd_expr *want, struct msghdr *mh, char *err,
                  size_t errcap);

/* pd_packet.c */
void pd_packet_inject(struct pd_runner *r, const struct pd_packet *p, int line);
/* Match the next segments Strata sent against ev's packet, sent within
 * [lo_us, hi_us] of script time; returns the time the first one left. */
int64_t pd_packet_expect(struct pd_runner *r, const struct pd_event *ev, int64_t lo_us,
                         int64_t hi_us);
/* Take an outbound frame (from the IP header) into the sent list. */
void pd_packet_collect(struct pd_runner *r, const uint8_t *frame, size_t len);

#endif
