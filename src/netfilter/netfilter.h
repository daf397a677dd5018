/*
 * Netfilter hook points.  The IPv4 paths call them from the first commit,
 * as Linux's NF_HOOK does: PRE_ROUTING and LOCAL_IN on input, FORWARD on
 * transit, LOCAL_OUT and POST_ROUTING on output.  With no hook registered a
 * hook point is one predictable branch; the rule engine (nf_tables-style
 * chains, conntrack, NAT) registers its functions here without touching
 * the IP code.
 *
 * Contract of a hook function: it returns NF_ACCEPT (go on), NF_DROP (the
 * packet dies: nf_hook frees it with NETFILTER_DROP) or NF_STOLEN (the hook
 * took the skb and owns it now).  Hooks run in priority order, lowest first.
 */
#ifndef STRATA_NETFILTER_NETFILTER_H
#define STRATA_NETFILTER_NETFILTER_H

#include <stdbool.h>

#include "core/net.h"
#include "core/skb.h"

enum nf_inet_hooks {
        NF_INET_PRE_ROUTING,
        NF_INET_LOCAL_IN,
        NF_INET_FORWARD,
        NF_INET_LOCAL_OUT,
        NF_INET_POST_ROUTING,
        NF_INET_NUMHOOKS
};

#define NF_DROP   0
#define NF_ACCEPT 1
#define NF_STOLEN 2

struct nf_hook_state {
        enum nf_inet_hooks hook;
        struct net_device *in;
        struct net_device *out;
        struct net *net;
};

typedef unsigned (*nf_hookfn)(void *priv, struct sk_buff *skb, const struct nf_hook_state *st);

struct nf_hook_entry {
        nf_hookfn hook;
        void *priv;
        int priority;
        struct nf_hook_entry *next;
};

/* Register / unregister a hook function on one hook point of net. */
int nf_register_hook(struct net *net, enum nf_inet_hooks hook, nf_hookfn fn, void *priv,
                     int priority);
void nf_unregister_hook(struct net *net, enum nf_inet_hooks hook, nf_hookfn fn, void *priv);
void nf_hooks_free(struct net *net);

bool nf_hook_slow(struct net *net, enum nf_inet_hooks hook, struct sk_buff *skb,
                  struct net_device *in, struct net_device *out);

/* Run the hook point: true if the packet may go on; false if it was dropped
 * (freed) or stolen. */
static inline bool nf_hook(struct net *net, enum nf_inet_hooks hook, struct sk_buff *skb,
                           struct net_device *in, struct net_device *out)
{
        if (likely(!net->nf_hooks[hook]))
                return true;
        return nf_hook_slow(net, hook, skb, in, out);
}

#endif
