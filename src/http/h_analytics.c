/* h_analytics: KPIs for the dashboard, as docs/metrics.md defines them. */
#include "analytics/analytics.h"
#include "http/internal.h"

void h_analytics(struct request *r)
{
    struct error err = {0};
    struct analytics_query q;
    if (analytics_query_parse(r->db, r->ws, r->query, &q, &err)) {
        reply_error(r, &err);
        return;
    }
    json_t *out = analytics_report(r->db, r->ws, &q, &err);
    out ? reply_json(r, 200, out) : reply_error(r, &err);
}
