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
    reply_made(r, 200, out, &err);
}

/* The query for insights and top lists: the same period parameters, plus
 * the endpoint's own (which analytics_query_parse must not see). */
static bool period_only(struct request *r, const char *const *own, struct analytics_query *q)
{
    json_t *rest = json_deep_copy(r->query);
    for (const char *const *k = own; *k; k++)
        json_object_del(rest, *k);
    struct error err = {0};
    int rc = analytics_query_parse(r->db, r->ws, rest, q, &err);
    json_decref(rest);
    if (rc)
        reply_error(r, &err);
    return rc == 0;
}

void h_insights(struct request *r)
{
    static const char *const own[] = {NULL};
    struct analytics_query q;
    if (!period_only(r, own, &q))
        return;
    struct error err = {0};
    json_t *out = analytics_insights(r->db, r->ws, &q, &err);
    reply_made(r, 200, out, &err);
}

void h_toplist(struct request *r)
{
    static const char *const own[] = {"metric", "platform", NULL};
    struct analytics_query q;
    if (!period_only(r, own, &q))
        return;
    struct error err = {0};
    const char *metric = json_string_value(json_object_get(r->query, "metric"));
    json_t *out = analytics_toplist(r->db, r->ws, &q, metric ? metric : "interactions",
                                    json_string_value(json_object_get(r->query, "platform")), &err);
    reply_made(r, 200, out, &err);
}

void h_campaign_comparison(struct request *r)
{
    struct error err = {0};
    json_t *out = analytics_campaign(r->db, r->ws, r->id, &err);
    reply_made(r, 200, out, &err);
}
