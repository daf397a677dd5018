/*
 * The sysctl name table of a namespace: a sorted singly linked list.  It is
 * consulted only by the control plane, never on the packet path, so a list
 * is enough even with a few hundred per-device entries.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/net.h"
#include "core/sysctl.h"

int sysctl_register(struct net *net, const char *name, int *data, int nvals, int min, int max,
                    int unit, const void *owner)
{
        struct sysctl_entry **pp = &net->sysctls;
        while (*pp && strcmp((*pp)->name, name) < 0)
                pp = &(*pp)->next;
        if (*pp && strcmp((*pp)->name, name) == 0)
                return -EEXIST;
        struct sysctl_entry *e = calloc(1, sizeof(*e));
        if (!e || !(e->name = strdup(name))) {
                free(e);
                return -ENOMEM;
        }
        e->data = data;
        e->nvals = nvals;
        e->min = min;
        e->max = max;
        e->unit = unit ? unit : 1;
        e->owner = owner;
        e->next = *pp;
        *pp = e;
        return 0;
}

int sysctl_register_str(struct net *net, const char *name, char *buf, size_t cap,
                        int (*validate)(struct net *net, const char *value), const void *owner)
{
        int err = sysctl_register(net, name, NULL, 0, 0, 0, SYSCTL_UNIT_1, owner);
        if (err)
                return err;
        struct sysctl_entry *e = net->sysctls;
        while (strcmp(e->name, name))
                e = e->next;
        e->str = buf;
        e->str_cap = cap;
        e->validate = validate;
        return 0;
}

int sysctl_register_uint(struct net *net, const char *name, unsigned *data, const void *owner)
{
        int err = sysctl_register(net, name, (int *)data, 1, 0, 0, SYSCTL_UNIT_1, owner);
        if (err)
                return err;
        struct sysctl_entry *e = net->sysctls;
        while (strcmp(e->name, name))
                e = e->next;
        e->is_uint = true;
        return 0;
}

void sysctl_unregister_owner(struct net *net, const void *owner)
{
        struct sysctl_entry **pp = &net->sysctls;
        while (*pp) {
                struct sysctl_entry *e = *pp;
                if (e->owner == owner && owner) {
                        *pp = e->next;
                        free(e->name);
                        free(e);
                } else {
                        pp = &e->next;
                }
        }
}

void sysctl_free_all(struct net *net)
{
        while (net->sysctls) {
                struct sysctl_entry *e = net->sysctls;
                net->sysctls = e->next;
                free(e->name);
                free(e);
        }
}

static struct sysctl_entry *lookup(struct net *net, const char *name)
{
        /* Linux accepts '/' as well as '.' as separator (sysctl net/ipv4/...). */
        char key[128];
        size_t n = strlen(name);
        if (n >= sizeof(key))
                return NULL;
        for (size_t i = 0; i <= n; i++)
                key[i] = name[i] == '/' ? '.' : name[i];
        for (struct sysctl_entry *e = net->sysctls; e; e = e->next)
                if (strcmp(e->name, key) == 0)
                        return e;
        return NULL;
}

int sysctl_get(struct net *net, const char *name, char *buf, size_t cap)
{
        struct sysctl_entry *e = lookup(net, name);
        if (!e)
                return -ENOENT;
        size_t len = 0;
        if (cap)
                buf[0] = 0;
        if (e->str)
                return snprintf(buf, cap, "%s", e->str);
        if (e->is_uint)
                return snprintf(buf, cap, "%u", (unsigned)e->data[0]);
        for (int i = 0; i < e->nvals; i++) {
                int r = snprintf(buf + len, cap > len ? cap - len : 0, "%s%d", i ? "\t" : "",
                                 e->data[i] / e->unit);
                if (r > 0)
                        len += (size_t)r;
        }
        return (int)len;
}

int sysctl_set(struct net *net, const char *name, const char *value)
{
        struct sysctl_entry *e = lookup(net, name);
        if (!e)
                return -ENOENT;
        if (e->str) {
                /* one word, trailing whitespace dropped, as proc_dostring */
                size_t n = strlen(value);
                while (n && (value[n - 1] == '\n' || value[n - 1] == ' '))
                        n--;
                if (n >= e->str_cap)
                        return -EINVAL;
                char tmp[256];
                if (n >= sizeof(tmp))
                        return -EINVAL;
                memcpy(tmp, value, n);
                tmp[n] = 0;
                int err = e->validate ? e->validate(net, tmp) : 0;
                if (err)
                        return err;
                memcpy(e->str, tmp, n + 1);
                if (e->on_change)
                        e->on_change(net, e);
                return 0;
        }
        if (e->is_uint) {
                char *endp;
                errno = 0;
                unsigned long v = strtoul(value, &endp, 0);
                while (*endp == ' ' || *endp == '\n')
                        endp++;
                if (endp == value || errno || *endp || v > 0xffffffffUL || value[0] == '-')
                        return -EINVAL;
                e->data[0] = (int)(unsigned)v;
                if (e->on_change)
                        e->on_change(net, e);
                return 0;
        }
        int vals[8];
        const char *p = value;
        int n = 0;
        for (;;) {
                while (*p == ' ' || *p == '\t' || *p == '\n')
                        p++;
                if (!*p)
                        break;
                if (n == e->nvals || n == (int)(sizeof(vals) / sizeof(vals[0])))
                        return -EINVAL;
                char *endp;
                errno = 0;
                long v = strtol(p, &endp, 0); /* proc_dointvec takes 0x.. too */
                if (endp == p || errno || (*endp && *endp != ' ' && *endp != '\t' && *endp != '\n'))
                        return -EINVAL;
                if (v < e->min || v > e->max)
                        return -EINVAL;
                vals[n++] = (int)v;
                p = endp;
        }
        if (n != e->nvals)
                return -EINVAL;
        for (int i = 0; i < n; i++)
                e->data[i] = vals[i] * e->unit;
        if (e->on_change)
                e->on_change(net, e);
        return 0;
}

int sysctl_set_hook(struct net *net, const char *name,
                    void (*on_change)(struct net *net, const struct sysctl_entry *e), void *ctx)
{
        struct sysctl_entry *e = lookup(net, name);
        if (!e)
                return -ENOENT;
        e->on_change = on_change;
        e->ctx = ctx;
        return 0;
}

void sysctl_foreach(struct net *net, void (*fn)(const struct sysctl_entry *e, void *ctx), void *ctx)
{
        for (struct sysctl_entry *e = net->sysctls; e; e = e->next)
                fn(e, ctx);
}
