/*
 * Where control sockets live: one per namespace, RUNDIR/NS.sock, with
 * RUNDIR /run/strata for root and the user's runtime directory otherwise,
 * so stratad, `strata exec` and `strata sysctl` agree without being told.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "strata/ctl.h"

int strata_ctl_runtime_dir(char *buf, size_t cap)
{
        int n;
        const char *xdg = getenv("XDG_RUNTIME_DIR");
        if (geteuid() == 0)
                n = snprintf(buf, cap, "/run/strata");
        else if (xdg && xdg[0] == '/')
                n = snprintf(buf, cap, "%s/strata", xdg);
        else
                n = snprintf(buf, cap, "/tmp/strata-%u", (unsigned)geteuid());
        return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 0;
}

int strata_ctl_socket_path(const char *dir, const char *ns, char *buf, size_t cap)
{
        char d[256];
        if (!dir) {
                int err = strata_ctl_runtime_dir(d, sizeof(d));
                if (err)
                        return err;
                dir = d;
        }
        if (!ns[0] || ns[0] == '.' || strchr(ns, '/'))
                return -EINVAL;
        int n = snprintf(buf, cap, "%s/%s.sock", dir, ns);
        /* sockaddr_un holds 108 bytes */
        return n < 0 || (size_t)n >= cap || n >= 108 ? -ENAMETOOLONG : 0;
}
