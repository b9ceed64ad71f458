/* metrics: the request counters and latency histograms of /metrics, one set
 * per server, in Prometheus' text format. Every label takes its values from
 * a fixed list (the route table's patterns, the methods HTTP defines, the
 * status codes kanal answers with, else the status class), so the series
 * are bounded by construction and none is ever dropped: whatever clients
 * send, a later 429 or 500 is counted. */
#include "http/internal.h"

#include <assert.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

/* Latency buckets in seconds, as Prometheus histograms expect them. */
static const double bounds[] = {0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5};
#define NB ARRAY_LEN(bounds)

/* Clients choose the method string; anything else is OTHER. */
static const char *const methods[] = {"GET",   "HEAD",   "POST",    "PUT",
                                      "PATCH", "DELETE", "OPTIONS", "OTHER"};
#define NM ARRAY_LEN(methods)

/* The codes kanal and libmicrohttpd answer with; any other is counted under
 * its class (the last five labels). */
static const unsigned codes[] = {200, 201, 204, 301, 302, 304, 400, 401, 403, 404,
                                 405, 409, 413, 414, 415, 429, 431, 500, 502, 503};
static const char *const classes[] = {"1xx", "2xx", "3xx", "4xx", "5xx"};
#define NC (ARRAY_LEN(codes) + ARRAY_LEN(classes))

struct series {
    uint64_t count;
    uint64_t buckets[NB];
    double sum;
};

struct metrics {
    pthread_mutex_t lock;
    const char *const *routes; /* the route labels, static storage */
    size_t nroutes;
    struct series *series; /* nroutes * NM * NC, indexed by series_of */
};

struct metrics *metrics_new(const char *const *routes, size_t nroutes)
{
    assert(routes && nroutes > 0);
    struct metrics *m = xcalloc(1, sizeof *m);
    pthread_mutex_init(&m->lock, NULL);
    m->routes = routes;
    m->nroutes = nroutes;
    m->series = xcalloc(nroutes * NM * NC, sizeof *m->series);
    return m;
}

void metrics_free(struct metrics *m)
{
    if (!m)
        return;
    pthread_mutex_destroy(&m->lock);
    free(m->series);
    free(m);
}

static size_t method_index(const char *method)
{
    for (size_t i = 0; i + 1 < NM; i++)
        if (str_eq(methods[i], method))
            return i;
    return NM - 1;
}

static size_t code_index(unsigned status)
{
    for (size_t i = 0; i < ARRAY_LEN(codes); i++)
        if (codes[i] == status)
            return i;
    assert(status >= 100 && status < 600);
    return ARRAY_LEN(codes) + status / 100 - 1;
}

static void code_label(size_t c, char out[8])
{
    if (c < ARRAY_LEN(codes))
        snprintf(out, 8, "%u", codes[c]);
    else
        snprintf(out, 8, "%s", classes[c - ARRAY_LEN(codes)]);
}

/* The route's label index; the last label is for what matches none. */
static size_t route_index(const struct metrics *m, const char *route)
{
    /* A route's label is the very pattern dispatch names it by, so the
     * pointers are compared first: comparing the text of every label
     * before the redirect's was a tenth of a short link's own work. */
    for (size_t i = 0; i < m->nroutes; i++)
        if (m->routes[i] == route)
            return i;
    for (size_t i = 0; i < m->nroutes; i++)
        if (str_eq(m->routes[i], route))
            return i;
    return m->nroutes - 1;
}

void metrics_observe(struct metrics *m, const char *method, const char *route, unsigned status,
                     uint64_t ns)
{
    assert(route && status >= 100 && status < 600);
    size_t at = (route_index(m, route) * NM + method_index(method)) * NC + code_index(status);
    assert(at < m->nroutes * NM * NC);
    double secs = (double)ns / 1e9;
    pthread_mutex_lock(&m->lock);
    struct series *s = &m->series[at];
    s->count++;
    s->sum += secs;
    for (size_t b = 0; b < NB; b++)
        if (secs <= bounds[b])
            s->buckets[b]++;
    pthread_mutex_unlock(&m->lock);
}

/* Writes the labels of series `at` into lb. */
static void labels(const struct metrics *m, size_t at, struct buf *lb)
{
    char code[8];
    code_label(at % NC, code);
    buf_reset(lb);
    buf_printf(lb, "method=\"%s\",route=\"%s\",code=\"%s\"", methods[at / NC % NM],
               m->routes[at / NC / NM], code);
}

void metrics_render(struct metrics *m, struct buf *out)
{
    size_t n = m->nroutes * NM * NC;
    struct buf lb = {0};
    pthread_mutex_lock(&m->lock);
    buf_puts(out, "# HELP kanal_http_requests_total HTTP requests answered.\n"
                  "# TYPE kanal_http_requests_total counter\n");
    for (size_t i = 0; i < n; i++) {
        if (!m->series[i].count)
            continue;
        labels(m, i, &lb);
        buf_printf(out, "kanal_http_requests_total{%s} %llu\n", lb.data,
                   (unsigned long long)m->series[i].count);
    }
    buf_puts(out, "# HELP kanal_http_request_duration_seconds Time to answer a request.\n"
                  "# TYPE kanal_http_request_duration_seconds histogram\n");
    for (size_t i = 0; i < n; i++) {
        const struct series *s = &m->series[i];
        if (!s->count)
            continue;
        labels(m, i, &lb);
        for (size_t b = 0; b < NB; b++)
            buf_printf(out, "kanal_http_request_duration_seconds_bucket{%s,le=\"%g\"} %llu\n",
                       lb.data, bounds[b], (unsigned long long)s->buckets[b]);
        buf_printf(out, "kanal_http_request_duration_seconds_bucket{%s,le=\"+Inf\"} %llu\n",
                   lb.data, (unsigned long long)s->count);
        buf_printf(out, "kanal_http_request_duration_seconds_sum{%s} %.6f\n", lb.data, s->sum);
        buf_printf(out, "kanal_http_request_duration_seconds_count{%s} %llu\n", lb.data,
                   (unsigned long long)s->count);
    }
    pthread_mutex_unlock(&m->lock);
    buf_free(&lb);
}
