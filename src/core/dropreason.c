/* Names and descriptions of the drop reasons, from the one list. */
#include "core/dropreason.h"

static const char *const names[] = {
#define X(n, d) #n,
        STRATA_DROP_REASONS(X)
#undef X
};

static const char *const descs[] = {
#define X(n, d) d,
        STRATA_DROP_REASONS(X)
#undef X
};

const char *drop_reason_name(enum skb_drop_reason r)
{
        return (unsigned)r < SKB_DROP_REASON_MAX ? names[r] : "?";
}

const char *drop_reason_desc(enum skb_drop_reason r)
{
        return (unsigned)r < SKB_DROP_REASON_MAX ? descs[r] : "?";
}
