/*
 * Sysctls: the namespace's tunables under Linux's names and defaults.
 *
 * Each layer registers the integers it reads (`net.ipv4.ip_default_ttl`,
 * `net.ipv4.neigh.eth0.ucast_solicit`, ...) with where the value lives and
 * its bounds.  Layers read their own storage directly on the hot path; this
 * table is only the naming, validation and listing for the control plane
 * (strata sysctl, the netlink server, the lab).  Per-device entries are
 * registered when the device appears and removed with it (owner).
 *
 * Units: a value is shown in the unit of its name and stored in
 * milliseconds when it is a time: `base_reachable_time` (seconds) and
 * `base_reachable_time_ms` are two views of one value; Linux's USER_HZ
 * values (`retrans_time`, `locktime`) are hundredths of a second.
 */
#ifndef STRATA_CORE_SYSCTL_H
#define STRATA_CORE_SYSCTL_H

#include <stdbool.h>
#include <stddef.h>

struct net;

#define SYSCTL_UNIT_1      1    /* plain number, or ms */
#define SYSCTL_UNIT_USERHZ 10   /* shown in 1/100 s, stored in ms */
#define SYSCTL_UNIT_SEC    1000 /* shown in s, stored in ms */

struct sysctl_entry {
        char *name;
        int *data;         /* nvals ints */
        int nvals;         /* > 1 for vectors like tcp_rmem */
        int min, max;      /* bounds of each shown value */
        int unit;          /* SYSCTL_UNIT_*: stored = shown * unit */
        const void *owner; /* for unregistering a device's entries */
        /* Called after a successful write (optional): for values whose
         * change must reach further, like neighbour defaults copied to the
         * devices that have not set their own. */
        void (*on_change)(struct net *net, const struct sysctl_entry *e);
        void *ctx;
        bool is_uint;      /* values are unsigned (proc_douintvec) */
        char *str;         /* a string value (tcp_congestion_control), or NULL */
        size_t str_cap;
        /* Accept a string value?  0 or -errno (-ENOENT: unknown algorithm). */
        int (*validate)(struct net *net, const char *value);
        struct sysctl_entry *next;
};

/* A string sysctl kept in buf (cap bytes), checked by validate (optional). */
int sysctl_register_str(struct net *net, const char *name, char *buf, size_t cap,
                        int (*validate)(struct net *net, const char *value), const void *owner);
/* An unsigned integer sysctl (up to 4294967295). */
int sysctl_register_uint(struct net *net, const char *name, unsigned *data, const void *owner);

/* Register an entry; name is copied.  -EEXIST, -ENOMEM. */
int sysctl_register(struct net *net, const char *name, int *data, int nvals, int min, int max,
                    int unit, const void *owner);
/* Attach a change hook (and its context) to a registered entry. */
int sysctl_set_hook(struct net *net, const char *name,
                    void (*on_change)(struct net *net, const struct sysctl_entry *e), void *ctx);
void sysctl_unregister_owner(struct net *net, const void *owner);
void sysctl_free_all(struct net *net);

/* Read a value as text ("4096\t131072\t6291456" for vectors, as /proc/sys).
 * Returns length or -ENOENT. */
int sysctl_get(struct net *net, const char *name, char *buf, size_t cap);
/* Write from text; whitespace separates vector values.  -ENOENT (unknown
 * key), -EINVAL (not a number, wrong count, out of bounds). */
int sysctl_set(struct net *net, const char *name, const char *value);

/* Visit every entry in name order. */
void sysctl_foreach(struct net *net, void (*fn)(const struct sysctl_entry *e, void *ctx),
                    void *ctx);

#endif
