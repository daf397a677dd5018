/* Trace and capture for control clients: see ctl_observe.h. */
#include "ctl/ctl_observe.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "strata/ctl.h"

#define OBS_MAX_CAPTURES 16

struct ctl_observe {
        struct strata_net *net;
        ctl_send_to_fn send_to;
        void *ctx;
        uint64_t tracer; /* the client tracing (0: none) */
        struct {
                uint64_t owner; /* 0: free slot */
                char dev[32];
        } caps[OBS_MAX_CAPTURES];
};

struct ctl_observe *ctl_observe_new(struct strata_net *net, ctl_send_to_fn send_to, void *ctx)
{
        struct ctl_observe *ob = calloc(1, sizeof(*ob));
        if (ob)
                *ob = (struct ctl_observe){ .net = net, .send_to = send_to, .ctx = ctx };
        return ob;
}

bool ctl_observe_is_ours(uint16_t type)
{
        return type >= STRATA_TRACE_START && type <= STRATA_CAPTURE_STOP &&
               type != STRATA_TRACE_EVENT;
}

/* strata_trace_fn: one step, as a datagram for the tracing client. */
static void on_trace(const struct strata_trace_event *ev, void *ctx)
{
        struct ctl_observe *ob = ctx;
        if (!ob->tracer)
                return;
        struct nl_out o;
        nl_out_init(&o, 0);
        nlmsg_begin(&o, STRATA_TRACE_EVENT, 0, 0);
        nla_put_u32(&o, STRATA_OBS_A_ID, ev->id);
        nla_put_u64(&o, STRATA_OBS_A_TIME, ev->time_ns);
        nla_put_str(&o, STRATA_OBS_A_NETNS, ev->netns ? ev->netns : "");
        if (ev->dev)
                nla_put_str(&o, STRATA_OBS_A_DEV, ev->dev);
        nla_put_str(&o, STRATA_OBS_A_LAYER, ev->layer);
        if (ev->drop_reason)
                nla_put_str(&o, STRATA_OBS_A_DROP, ev->drop_reason);
        nla_put_str(&o, STRATA_OBS_A_WHERE, ev->where ? ev->where : "");
        nla_put_str(&o, STRATA_OBS_A_MSG, ev->msg ? ev->msg : "");
        nlmsg_end(&o);
        if (!o.err && o.head && o.head->len)
                ob->send_to(ob->tracer, o.head->data, o.head->len, ob->ctx);
        nl_out_free(&o);
}

static void trace_stop(struct ctl_observe *ob)
{
        strata_trace(ob->net, 0, NULL, NULL);
        strata_trace_filter(ob->net, NULL);
        ob->tracer = 0;
}

static int trace_start(struct ctl_observe *ob, uint64_t from, struct nl_attr *tb)
{
        if (ob->tracer && ob->tracer != from)
                return -EBUSY;
        uint32_t packets = 0;
        struct strata_trace_filter f = { 0 };
        if ((tb[STRATA_OBS_A_PACKETS].data && nla_get_u32(&tb[STRATA_OBS_A_PACKETS], &packets)) ||
            (tb[STRATA_OBS_A_PROTO].data && nla_get_u8(&tb[STRATA_OBS_A_PROTO], &f.proto)) ||
            (tb[STRATA_OBS_A_ADDR].data && nla_get_in_addr(&tb[STRATA_OBS_A_ADDR], &f.addr)) ||
            (tb[STRATA_OBS_A_PORT].data && nla_get_u16(&tb[STRATA_OBS_A_PORT], &f.port)))
                return -EINVAL;
        ob->tracer = from;
        strata_trace_filter(ob->net, &f);
        return strata_trace(ob->net, packets ? (long)packets : -1, on_trace, ob);
}

static int capture(struct ctl_observe *ob, uint64_t from, struct nl_attr *tb, bool start)
{
        char dev[32], path[4096];
        if (nla_get_str(&tb[STRATA_OBS_A_DEV], dev, sizeof(dev)))
                return -EINVAL;
        int slot = -1;
        for (int i = 0; i < OBS_MAX_CAPTURES; i++) {
                if (ob->caps[i].owner && !strcmp(ob->caps[i].dev, dev)) {
                        if (start)
                                return -EBUSY; /* someone captures it already */
                        if (ob->caps[i].owner != from)
                                return -EPERM;
                        ob->caps[i].owner = 0;
                        return strata_capture(ob->net, dev, NULL);
                }
                if (!ob->caps[i].owner && slot < 0)
                        slot = i;
        }
        if (!start)
                return -ENOENT;
        if (nla_get_str(&tb[STRATA_OBS_A_PATH], path, sizeof(path)) || path[0] != '/')
                return -EINVAL;
        if (slot < 0)
                return -ENOSPC;
        int err = strata_capture(ob->net, dev, path);
        if (err)
                return err;
        ob->caps[slot].owner = from;
        strcpy(ob->caps[slot].dev, dev);
        return 0;
}

void ctl_observe_request(struct ctl_observe *ob, uint64_t from, const struct nl_msg *m,
                         struct nl_out *o)
{
        struct nl_attr tb[STRATA_OBS_A_MAX + 1];
        int err = nla_parse(tb, STRATA_OBS_A_MAX, m->payload, m->payload_len);
        const char *why = NULL;
        if (!err) {
                switch (m->type) {
                case STRATA_TRACE_START:
                        err = trace_start(ob, from, tb);
                        if (err == -EBUSY)
                                why = "another client is tracing this namespace";
                        break;
                case STRATA_TRACE_STOP:
                        if (ob->tracer == from)
                                trace_stop(ob);
                        break;
                case STRATA_CAPTURE_START:
                case STRATA_CAPTURE_STOP:
                        err = capture(ob, from, tb, m->type == STRATA_CAPTURE_START);
                        if (err == -EBUSY)
                                why = "the device is being captured already";
                        else if (err == -EINVAL && m->type == STRATA_CAPTURE_START)
                                why = "capture needs DEV and an absolute PATH";
                        break;
                default:
                        err = -EOPNOTSUPP;
                }
        }
        nlmsg_error(o, m, err, why);
}

void ctl_observe_client_gone(struct ctl_observe *ob, uint64_t client)
{
        if (ob->tracer == client)
                trace_stop(ob);
        for (int i = 0; i < OBS_MAX_CAPTURES; i++)
                if (ob->caps[i].owner == client) {
                        ob->caps[i].owner = 0;
                        strata_capture(ob->net, ob->caps[i].dev, NULL);
                }
}

void ctl_observe_free(struct ctl_observe *ob)
{
        if (!ob)
                return;
        if (ob->tracer)
                trace_stop(ob);
        for (int i = 0; i < OBS_MAX_CAPTURES; i++)
                if (ob->caps[i].owner)
                        strata_capture(ob->net, ob->caps[i].dev, NULL);
        free(ob);
}
