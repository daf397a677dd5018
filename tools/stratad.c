/*
 * stratad: one Strata namespace on the real clock, attached to TAP devices
 * or existing interfaces of the host and served to Linux's own tools over
 * the control socket.
 *
 *   stratad [--name NS] [--tap NAME]... [--packet IFNAME]... [--runtime-dir DIR]
 *           [--sysctl-dir DIR] [--group GROUP] [--syslog]
 *
 * At start: the namespace (lo up, as `ip netns add` + `ip link set lo
 * up`), one Strata device per --tap on a new host TAP interface of the same
 * name, and per --packet on an existing host interface through AF_PACKET
 * (down, like any new device), then every DIR/\*.conf of the
 * sysctl.d-style directory in lexical order -- values written with
 * `strata sysctl -w` live only as long as the process, exactly as on Linux
 * across a reboot.  Then the control socket RUNDIR/NS.sock (0600, same
 * user or root; --group shares it, 0660, with a group's members) until
 * SIGTERM or SIGINT, when the socket file is removed and the TAP interfaces
 * disappear with their file descriptors.  Messages go to stderr, or with
 * --syslog to syslog (daemon facility, LOG_NOTICE).
 */
#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <syslog.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "strata/ctl.h"
#include "strata/strata.h"

#define MAX_TAPS 16

static void usage(FILE *f)
{
        fprintf(f,
                "usage: stratad [--name NS] [--tap NAME]... [--packet IFNAME]... [--runtime-dir DIR]\n"
                "               [--sysctl-dir DIR] [--group GROUP] [--syslog] [--seed N]\n"
                "  --name NS          namespace name (default \"default\"); socket RUNDIR/NS.sock\n"
                "  --tap NAME         attach a new host TAP interface NAME as device NAME\n"
                "  --packet IFNAME    attach the existing host interface IFNAME (a veth end,\n"
                "                     a NIC) through AF_PACKET as device IFNAME\n"
                "  --group GROUP      let GROUP's members use the control socket (mode 0660)\n"
                "  --syslog           log to syslog instead of stderr\n"
                "  --runtime-dir DIR  where the control socket lives (default /run/strata,\n"
                "                     or $XDG_RUNTIME_DIR/strata when not root)\n"
                "  --sysctl-dir DIR   sysctl.d-style *.conf applied at start\n"
                "                     (default /etc/strata/sysctl.d)\n"
                "  --seed N           random seed (default: from the host)\n");
}

/* --syslog: stderr becomes a stream whose lines go to syslog. */
static ssize_t syslog_write(void *cookie, const char *buf, size_t len)
{
        (void)cookie;
        size_t start = 0;
        for (size_t i = 0; i < len; i++) {
                if (buf[i] != '\n')
                        continue;
                const char *line = buf + start;
                int n = (int)(i - start);
                /* "stratad: " is the program name syslog already records */
                if (n >= 9 && !strncmp(line, "stratad: ", 9)) {
                        line += 9;
                        n -= 9;
                }
                syslog(LOG_NOTICE, "%.*s", n, line);
                start = i + 1;
        }
        if (start < len)
                syslog(LOG_NOTICE, "%.*s", (int)(len - start), buf + start);
        return (ssize_t)len;
}

static int log_to_syslog(void)
{
        cookie_io_functions_t io = { .write = syslog_write };
        FILE *f = fopencookie(NULL, "w", io);
        if (!f)
                return -1;
        openlog("stratad", LOG_PID, LOG_DAEMON);
        setvbuf(f, NULL, _IOLBF, 0);
        stderr = f;
        return 0;
}

static int conf_filter(const struct dirent *d)
{
        size_t n = strlen(d->d_name);
        return d->d_name[0] != '.' && n > 5 && strcmp(d->d_name + n - 5, ".conf") == 0;
}

/* Apply one file; failures are reported and counted, never fatal. */
static int apply_file(struct strata_net *sn, const char *path)
{
        FILE *f = fopen(path, "r");
        if (!f) {
                fprintf(stderr, "stratad: %s: %s\n", path, strerror(errno));
                return 1;
        }
        char line[1024];
        int lineno = 0, bad = 0;
        while (fgets(line, sizeof(line), f)) {
                lineno++;
                char *k, *v;
                int ignore;
                int r = strata_sysctl_conf_line(line, &k, &v, &ignore);
                if (r == 0)
                        continue;
                if (r < 0) {
                        fprintf(stderr, "stratad: %s:%d: no '=' in line\n", path, lineno);
                        bad++;
                        continue;
                }
                int err = strata_sysctl_set(sn, k, v);
                if (err && !ignore) {
                        fprintf(stderr, "stratad: %s:%d: %s = %s: %s\n", path, lineno, k, v,
                                err == -ENOENT ? "unknown key" : strata_strerror(err));
                        bad++;
                }
        }
        fclose(f);
        return bad;
}

static void apply_sysctl_dir(struct strata_net *sn, const char *dir, bool explicit_dir)
{
        struct dirent **names;
        int n = scandir(dir, &names, conf_filter, alphasort);
        if (n < 0) {
                if (explicit_dir || errno != ENOENT)
                        fprintf(stderr, "stratad: %s: %s\n", dir, strerror(errno));
                return;
        }
        for (int i = 0; i < n; i++) {
                char path[4096];
                snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
                apply_file(sn, path);
                free(names[i]);
        }
        free(names);
}

static int mkdir_p(const char *dir)
{
        char buf[256];
        if (snprintf(buf, sizeof(buf), "%s", dir) >= (int)sizeof(buf))
                return -ENAMETOOLONG;
        for (char *p = buf + 1; *p; p++) {
                if (*p != '/')
                        continue;
                *p = 0;
                if (mkdir(buf, 0755) < 0 && errno != EEXIST)
                        return -errno;
                *p = '/';
        }
        if (mkdir(buf, 0755) < 0 && errno != EEXIST)
                return -errno;
        return 0;
}

int main(int argc, char **argv)
{
        const char *name = "default", *rundir = NULL, *sysctl_dir = "/etc/strata/sysctl.d";
        const char *taps[MAX_TAPS], *pkts[MAX_TAPS], *group = NULL;
        int ntaps = 0, npkts = 0;
        bool use_syslog = false;
        bool explicit_sysctl = false;
        uint64_t seed = 0;
        for (int i = 1; i < argc; i++) {
                const char *a = argv[i];
                const char *v = i + 1 < argc ? argv[i + 1] : NULL;
                if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
                        usage(stdout);
                        return 0;
                }
                if (!strcmp(a, "--syslog")) {
                        use_syslog = true;
                        continue;
                }
                if (!v) {
                        fprintf(stderr, "stratad: %s: unknown option or missing value\n", a);
                        usage(stderr);
                        return 2;
                }
                i++;
                if (!strcmp(a, "--name"))
                        name = v;
                else if (!strcmp(a, "--runtime-dir"))
                        rundir = v;
                else if (!strcmp(a, "--sysctl-dir"))
                        sysctl_dir = v, explicit_sysctl = true;
                else if (!strcmp(a, "--seed"))
                        seed = strtoull(v, NULL, 0);
                else if (!strcmp(a, "--tap")) {
                        if (ntaps == MAX_TAPS) {
                                fprintf(stderr, "stratad: at most %d --tap\n", MAX_TAPS);
                                return 2;
                        }
                        taps[ntaps++] = v;
                } else if (!strcmp(a, "--packet")) {
                        if (npkts == MAX_TAPS) {
                                fprintf(stderr, "stratad: at most %d --packet\n", MAX_TAPS);
                                return 2;
                        }
                        pkts[npkts++] = v;
                } else if (!strcmp(a, "--group")) {
                        group = v;
                } else {
                        fprintf(stderr, "stratad: %s: unknown option\n", a);
                        usage(stderr);
                        return 2;
                }
        }
        gid_t gid = 0;
        if (group) {
                struct group *g = getgrnam(group);
                char *end;
                unsigned long n = strtoul(group, &end, 10);
                if (g)
                        gid = g->gr_gid;
                else if (*group && !*end)
                        gid = (gid_t)n;
                else {
                        fprintf(stderr, "stratad: --group %s: no such group\n", group);
                        return 2;
                }
        }
        if (use_syslog && log_to_syslog() < 0) {
                perror("stratad: --syslog");
                return 1;
        }
        char dirbuf[256], path[256];
        if (!rundir) {
                if (strata_ctl_runtime_dir(dirbuf, sizeof(dirbuf))) {
                        fprintf(stderr, "stratad: runtime directory name too long\n");
                        return 1;
                }
                rundir = dirbuf;
        }
        int err = strata_ctl_socket_path(rundir, name, path, sizeof(path));
        if (err) {
                fprintf(stderr, "stratad: bad namespace name or runtime directory: %s\n",
                        strata_strerror(err));
                return 2;
        }
        /* signals arrive on a descriptor the server polls */
        sigset_t sigs;
        sigemptyset(&sigs);
        sigaddset(&sigs, SIGTERM);
        sigaddset(&sigs, SIGINT);
        sigaddset(&sigs, SIGHUP);
        pthread_sigmask(SIG_BLOCK, &sigs, NULL);
        signal(SIGPIPE, SIG_IGN);
        int sfd = signalfd(-1, &sigs, SFD_CLOEXEC);
        if (sfd < 0) {
                perror("stratad: signalfd");
                return 1;
        }

        struct strata_net *sn;
        err = strata_net_new(name, NULL, seed, &sn);
        if (err) {
                fprintf(stderr, "stratad: namespace %s: %s\n", name, strata_strerror(err));
                return 1;
        }
        int status = 1;
        struct strata_ctl_server *srv = NULL;
        for (int i = 0; i < ntaps; i++) {
                err = strata_tap_attach(sn, taps[i], taps[i]);
                if (err) {
                        fprintf(stderr, "stratad: --tap %s: %s\n", taps[i], strata_strerror(err));
                        goto out;
                }
        }
        for (int i = 0; i < npkts; i++) {
                err = strata_packet_attach(sn, pkts[i], pkts[i]);
                if (err) {
                        fprintf(stderr, "stratad: --packet %s: %s\n", pkts[i],
                                err == -ENODEV ? "no such interface" : strata_strerror(err));
                        goto out;
                }
        }
        apply_sysctl_dir(sn, sysctl_dir, explicit_sysctl);
        err = mkdir_p(rundir);
        if (!err)
                err = strata_ctl_server_new(sn, path, &srv);
        if (err) {
                fprintf(stderr, "stratad: control socket %s: %s\n", path,
                        err == -EADDRINUSE ? "another stratad serves it" : strata_strerror(err));
                goto out;
        }
        if (!err && group)
                err = strata_ctl_server_set_group(srv, gid);
        if (err) {
                fprintf(stderr, "stratad: --group %s: %s\n", group, strata_strerror(err));
                goto out;
        }
        err = strata_run_thread(sn);
        if (err) {
                fprintf(stderr, "stratad: namespace thread: %s\n", strata_strerror(err));
                goto out;
        }
        fprintf(stderr, "stratad: namespace %s, control socket %s\n", name, path);
        err = strata_ctl_server_run(srv, sfd);
        if (err)
                fprintf(stderr, "stratad: control socket: %s\n", strata_strerror(err));
        else
                fprintf(stderr, "stratad: stopping\n");
        status = err ? 1 : 0;
out:
        strata_ctl_server_free(srv);
        strata_net_free(sn);
        close(sfd);
        return status;
}
