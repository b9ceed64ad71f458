/* h_system: what operators and browsers fetch that is not the API: health,
 * Prometheus metrics and the embedded web UI. */
#include "http/internal.h"
#include "base/asset.h"
#include "links/links.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

void h_healthz(struct request *r)
{
    struct error err = {0};
    int v = db_schema_version(r->db, &err);
    if (v < 0) {
        log_error("healthz: %s", err.msg);
        reply_json(r, 503, json_pack("{s:s, s:s}", "status", "unavailable", "db", "error"));
        return;
    }
    reply_json(r, 200,
               json_pack("{s:s, s:s, s:i, s:s}", "status", "ok", "db", "ok", "schema", v, "version",
                         KANAL_VERSION));
}

/* ---- metrics ------------------------------------------------------------------------ */

/* Latency buckets in seconds, as Prometheus histograms expect them. */
static const double bounds[] = {0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5};
#define NB         ARRAY_LEN(bounds)
#define MAX_SERIES 128

struct series {
    char method[8];
    const char *route; /* a pattern from the route table: static storage */
    unsigned status;
    uint64_t count;
    uint64_t buckets[NB];
    double sum;
};

static struct series series[MAX_SERIES];
static size_t nseries;
static pthread_mutex_t mlock = PTHREAD_MUTEX_INITIALIZER;

void metrics_observe(const char *method, const char *route, unsigned status, uint64_t ns)
{
    /* Clients choose the method string; keep the label set small and known. */
    static const char *const methods[] = {"GET",   "HEAD",   "POST",   "PUT",
                                          "PATCH", "DELETE", "OPTIONS"};
    const char *m = "OTHER";
    for (size_t i = 0; i < ARRAY_LEN(methods); i++)
        if (str_eq(methods[i], method))
            m = methods[i];
    method = m;
    double secs = (double)ns / 1e9;
    pthread_mutex_lock(&mlock);
    struct series *s = NULL;
    for (size_t i = 0; i < nseries && !s; i++)
        if (series[i].status == status && series[i].route == route &&
            str_eq(series[i].method, method))
            s = &series[i];
    if (!s && nseries < MAX_SERIES) {
        s = &series[nseries++];
        snprintf(s->method, sizeof s->method, "%s", method);
        s->route = route;
        s->status = status;
    }
    if (s) {
        s->count++;
        s->sum += secs;
        for (size_t b = 0; b < NB; b++)
            if (secs <= bounds[b])
                s->buckets[b]++;
    }
    pthread_mutex_unlock(&mlock);
}

void metrics_render(struct buf *out)
{
    pthread_mutex_lock(&mlock);
    buf_puts(out, "# HELP kanal_http_requests_total HTTP requests answered.\n"
                  "# TYPE kanal_http_requests_total counter\n");
    for (size_t i = 0; i < nseries; i++)
        buf_printf(out, "kanal_http_requests_total{method=\"%s\",route=\"%s\",code=\"%u\"} %llu\n",
                   series[i].method, series[i].route, series[i].status,
                   (unsigned long long)series[i].count);
    buf_puts(out, "# HELP kanal_http_request_duration_seconds Time to answer a request.\n"
                  "# TYPE kanal_http_request_duration_seconds histogram\n");
    for (size_t i = 0; i < nseries; i++) {
        const struct series *s = &series[i];
        struct buf lb = {0};
        buf_printf(&lb, "method=\"%s\",route=\"%s\",code=\"%u\"", s->method, s->route, s->status);
        const char *labels = lb.data;
        for (size_t b = 0; b < NB; b++)
            buf_printf(out, "kanal_http_request_duration_seconds_bucket{%s,le=\"%g\"} %llu\n",
                       labels, bounds[b], (unsigned long long)s->buckets[b]);
        buf_printf(out, "kanal_http_request_duration_seconds_bucket{%s,le=\"+Inf\"} %llu\n", labels,
                   (unsigned long long)s->count);
        buf_printf(out, "kanal_http_request_duration_seconds_sum{%s} %.6f\n", labels, s->sum);
        buf_printf(out, "kanal_http_request_duration_seconds_count{%s} %llu\n", labels,
                   (unsigned long long)s->count);
        buf_free(&lb);
    }
    pthread_mutex_unlock(&mlock);
}

void h_metrics(struct request *r)
{
    struct buf *out = &r->out;
    buf_reset(out);
    buf_printf(out,
               "# HELP kanal_build_info The running kanal's version.\n"
               "# TYPE kanal_build_info gauge\nkanal_build_info{version=\"%s\"} 1\n",
               KANAL_VERSION);
    metrics_render(out);
    buf_printf(out,
               "# HELP kanal_clicks_lost_total Redirects answered whose click could not be "
               "logged.\n# TYPE kanal_clicks_lost_total counter\nkanal_clicks_lost_total %llu\n",
               (unsigned long long)clicklog_lost_total());
    int64_t counts[6];
    struct error err = {0};
    if (model_counts(r->db, counts, &err) == 0) {
        buf_puts(out, "# HELP kanal_rows Rows stored, by table.\n# TYPE kanal_rows gauge\n");
        for (int i = 0; i < 6; i++)
            buf_printf(out, "kanal_rows{table=\"%s\"} %lld\n", model_count_names[i],
                       (long long)counts[i]);
    }
    r->status = 200;
    r->content_type = "text/plain; version=0.0.4; charset=utf-8";
}

/* ---- the web UI ---------------------------------------------------------------------- */

void h_static(struct request *r)
{
    const char *name = r->url + 1;
    if (!*name)
        name = "index.html";
    else if (str_eq(name, "login"))
        name = "login.html";
    for (const struct asset *a = web_assets; a->name; a++) {
        if (str_eq(a->name, name)) {
            buf_reset(&r->out);
            buf_append(&r->out, a->data, a->len);
            r->status = 200;
            r->content_type = a->content_type;
            return;
        }
    }
    r->status = 404;
    r->content_type = "text/plain; charset=utf-8";
    buf_reset(&r->out);
    buf_puts(&r->out, "not found\n");
}
