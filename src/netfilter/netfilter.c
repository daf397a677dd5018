/* Registration and traversal of netfilter hook functions. */
#include <errno.h>
#include <stdlib.h>

#include "core/trace.h"
#include "netfilter/netfilter.h"

static const char *const hook_names[] = { "prerouting", "input", "forward", "output",
                                          "postrouting" };

int nf_register_hook(struct net *net, enum nf_inet_hooks hook, nf_hookfn fn, void *priv,
                     int priority)
{
        if ((unsigned)hook >= NF_INET_NUMHOOKS || !fn)
                return -EINVAL;
        struct nf_hook_entry *e = malloc(sizeof(*e));
        if (!e)
                return -ENOMEM;
        e->hook = fn;
        e->priv = priv;
        e->priority = priority;
        struct nf_hook_entry **pp = &net->nf_hooks[hook];
        while (*pp && (*pp)->priority <= priority)
                pp = &(*pp)->next;
        e->next = *pp;
        *pp = e;
        return 0;
}

void nf_unregister_hook(struct net *net, enum nf_inet_hooks hook, nf_hookfn fn, void *priv)
{
        for (struct nf_hook_entry **pp = &net->nf_hooks[hook]; *pp; pp = &(*pp)->next)
                if ((*pp)->hook == fn && (*pp)->priv == priv) {
                        struct nf_hook_entry *e = *pp;
                        *pp = e->next;
                        free(e);
                        return;
                }
}

void nf_hooks_free(struct net *net)
{
        for (int h = 0; h < NF_INET_NUMHOOKS; h++)
                while (net->nf_hooks[h]) {
                        struct nf_hook_entry *e = net->nf_hooks[h];
                        net->nf_hooks[h] = e->next;
                        free(e);
                }
}

bool nf_hook_slow(struct net *net, enum nf_inet_hooks hook, struct sk_buff *skb,
                  struct net_device *in, struct net_device *out)
{
        struct nf_hook_state st = { .hook = hook, .in = in, .out = out, .net = net };
        for (struct nf_hook_entry *e = net->nf_hooks[hook]; e; e = e->next) {
                unsigned v = e->hook(e->priv, skb, &st);
                if (v == NF_ACCEPT)
                        continue;
                if (v == NF_STOLEN)
                        return false;
                TRACE(net, skb, NF_HOOK, "%s: dropped by hook (priority %d)", hook_names[hook],
                      e->priority);
                kfree_skb_reason(net, skb, SKB_DROP_REASON_NETFILTER_DROP);
                return false;
        }
        TRACE(net, skb, NF_HOOK, "%s: accepted", hook_names[hook]);
        return true;
}
