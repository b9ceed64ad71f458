/* metrics: the request counters and latency histograms of /metrics, one set
 * per server, in Prometheus' text format. */
#include "http/internal.h"

#include <assert.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

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

struct metrics {
    pthread_mutex_t lock;
    struct series series[MAX_SERIES];
    size_t nseries;
};

struct metrics *metrics_new(void)
{
    struct metrics *m = xcalloc(1, sizeof *m);
    pthread_mutex_init(&m->lock, NULL);
    return m;
}

void metrics_free(struct metrics *m)
{
    if (!m)
        return;
    pthread_mutex_destroy(&m->lock);
    free(m);
}

void metrics_observe(struct metrics *m, const char *method, const char *route, unsigned status,
                     uint64_t ns)
{
    /* Clients choose the method string; keep the label set small and known. */
    static const char *const methods[] = {"GET",   "HEAD",   "POST",   "PUT",
                                          "PATCH", "DELETE", "OPTIONS"};
    const char *known = "OTHER";
    for (size_t i = 0; i < ARRAY_LEN(methods); i++)
        if (str_eq(methods[i], method))
            known = methods[i];
    method = known;
    assert(route && status >= 100 && status < 600);
    double secs = (double)ns / 1e9;
    pthread_mutex_lock(&m->lock);
    struct series *s = NULL;
    for (size_t i = 0; i < m->nseries && !s; i++)
        if (m->series[i].status == status && m->series[i].route == route &&
            str_eq(m->series[i].method, method))
            s = &m->series[i];
    if (!s && m->nseries < MAX_SERIES) {
        s = &m->series[m->nseries++];
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
    pthread_mutex_unlock(&m->lock);
}

void metrics_render(struct metrics *m, struct buf *out)
{
    pthread_mutex_lock(&m->lock);
    buf_puts(out, "# HELP kanal_http_requests_total HTTP requests answered.\n"
                  "# TYPE kanal_http_requests_total counter\n");
    for (size_t i = 0; i < m->nseries; i++)
        buf_printf(out, "kanal_http_requests_total{method=\"%s\",route=\"%s\",code=\"%u\"} %llu\n",
                   m->series[i].method, m->series[i].route, m->series[i].status,
                   (unsigned long long)m->series[i].count);
    buf_puts(out, "# HELP kanal_http_request_duration_seconds Time to answer a request.\n"
                  "# TYPE kanal_http_request_duration_seconds histogram\n");
    for (size_t i = 0; i < m->nseries; i++) {
        const struct series *s = &m->series[i];
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
    pthread_mutex_unlock(&m->lock);
}
