/* h_analytics: KPIs for the dashboard, as docs/metrics.md defines them. */
#include "analytics/analytics.h"
#include "http/internal.h"
#include "report/report.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

/* The period of the KPIs, insights and top lists, plus the endpoint's own
 * parameters (`own`, NULL-terminated, may be NULL), which it reads itself;
 * else replies 400 and returns false. */
static bool period_query(struct request *r, const char *const *own, struct analytics_query *q)
{
    struct error err = {0};
    int rc = analytics_query_parse(r->db, r->ws, r->query, own, q, &err);
    if (rc)
        reply_error(r, &err);
    return rc == 0;
}

/* The KPIs and the insights: the period, and what analytics makes of it. */
static void reply_period(struct request *r,
                         json_t *(*make)(struct db *db, int64_t ws, const struct analytics_query *q,
                                         struct error *err))
{
    struct analytics_query q;
    if (!period_query(r, NULL, &q))
        return;
    struct error err = {0};
    reply_made(r, 200, make(r->db, r->ws, &q, &err), &err);
}

void h_analytics(struct request *r)
{
    reply_period(r, analytics_report);
}

void h_insights(struct request *r)
{
    reply_period(r, analytics_insights);
}

void h_toplist(struct request *r)
{
    static const char *const own[] = {"metric", "platform", NULL};
    struct analytics_query q;
    if (!period_query(r, own, &q))
        return;
    struct error err = {0};
    const char *metric = json_string_value(json_object_get(r->query, "metric"));
    json_t *out = analytics_toplist(r->db, r->ws, &q, metric ? metric : "interactions",
                                    json_string_value(json_object_get(r->query, "platform")), &err);
    reply_made(r, 200, out, &err);
}

void h_campaign_comparison(struct request *r)
{
    if (!request_params(r, NULL))
        return;
    struct error err = {0};
    reply_made(r, 200, analytics_campaign(r->db, r->ws, r->id, &err), &err);
}

/* The monthly report as a page of its own, for the desk to open in a new
 * tab. Its one <style> is allowed by its hash, so nothing else can style
 * it and nothing at all can run in it. */
void h_report_monthly(struct request *r)
{
    static const char *const known[] = {"month", NULL};
    if (!request_params(r, known))
        return;
    const char *month = json_string_value(json_object_get(r->query, "month"));
    if (!month || !*month) {
        reply_errorf(r, 400, "invalid", "parameter 'month' is required, written 2026-10");
        return;
    }
    struct error err = {0};
    struct buf page = {0};
    if (report_html_month(r->db, r->ws, month, &page, &err)) {
        buf_free(&page);
        reply_error(r, &err);
        return;
    }
    const char *open = strstr(page.data, "<style>"),
               *close = open ? strstr(open, "</style>") : NULL;
    unsigned char hash[crypto_hash_sha256_BYTES];
    char b64[sodium_base64_ENCODED_LEN(sizeof hash, sodium_base64_VARIANT_ORIGINAL)];
    open = open ? open + 7 : "";
    crypto_hash_sha256(hash, (const unsigned char *)open, close ? (size_t)(close - open) : 0);
    sodium_bin2base64(b64, sizeof b64, hash, sizeof hash, sodium_base64_VARIANT_ORIGINAL);
    snprintf(r->csp, sizeof r->csp,
             "default-src 'none'; style-src 'sha256-%s'; base-uri 'none'; form-action 'none'; "
             "frame-ancestors 'none'",
             b64);
    r->status = 200;
    r->content_type = "text/html; charset=utf-8";
    buf_reset(&r->out);
    buf_append(&r->out, page.data, page.len);
    buf_free(&page);
}
