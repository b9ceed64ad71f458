/* http (connect): the client connectors call the platforms with, over
 * libcurl, and the reading of the platforms' rate-limit headers into one
 * struct rate_limit, so the job layer backs off the same way whichever
 * platform said stop. connect.h says what a caller gets. */
#include "connect/connect.h"

#include <assert.h>
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define TIMEOUT_DEFAULT_MS 30000
#define CONNECT_DEFAULT_MS 10000
#define BODY_DEFAULT_MAX   (16u << 20)

/* ---- rate limits -------------------------------------------------------------- */

void rate_limit_init(struct rate_limit *rl)
{
    *rl = (struct rate_limit){.limit = -1, .remaining = -1, .usage_percent = -1};
}

static bool problem(struct rate_limit *rl, const char *name, const char *why)
{
    if (!rl->problem[0])
        snprintf(rl->problem, sizeof rl->problem, "%s: %s", name, why);
    return false;
}

static void wait_until(struct rate_limit *rl, int64_t at)
{
    rl->limited = true;
    if (at > rl->retry_at)
        rl->retry_at = at;
}

/* A non-negative integer header value, white space around it allowed. */
static bool header_int(const char *value, int64_t *out)
{
    while (*value == ' ' || *value == '\t')
        value++;
    char tmp[32];
    size_t n = strcspn(value, " \t\r\n");
    if (n == 0 || n >= sizeof tmp || strspn(value, "0123456789") != n)
        return false;
    memcpy(tmp, value, n);
    tmp[n] = '\0';
    return str_to_i64(tmp, out) == 0 && *out >= 0;
}

/* One of Meta's usage objects: {call_count, total_cputime, total_time} in
 * percent, and in the business use case's also
 * estimated_time_to_regain_access in minutes. */
static bool meta_usage(struct rate_limit *rl, const char *name, json_t *o, int64_t now)
{
    if (!json_is_object(o))
        return problem(rl, name, "an entry is not a JSON object");
    static const char *const budgets[] = {"call_count", "total_cputime", "total_time"};
    for (size_t i = 0; i < ARRAY_LEN(budgets); i++) {
        json_t *v = json_object_get(o, budgets[i]);
        if (!v)
            continue;
        if (!json_is_number(v) || json_number_value(v) < 0 || json_number_value(v) > 1e6)
            return problem(rl, name, "a usage is not a percentage");
        int pct = (int)json_number_value(v);
        if (pct > rl->usage_percent)
            rl->usage_percent = pct;
        if (pct >= 100)
            rl->limited = true;
    }
    json_t *regain = json_object_get(o, "estimated_time_to_regain_access");
    if (regain) {
        if (!json_is_number(regain) || json_number_value(regain) < 0 ||
            json_number_value(regain) > 1e6)
            return problem(rl, name, "estimated_time_to_regain_access is not a number of minutes");
        int64_t minutes = (int64_t)json_number_value(regain);
        if (minutes > 0)
            wait_until(rl, now + minutes * 60);
    }
    return true;
}

static bool meta_header(struct rate_limit *rl, const char *name, const char *value, int64_t now,
                        bool by_business)
{
    json_error_t je;
    json_t *j = json_loads(value, JSON_REJECT_DUPLICATES, &je);
    bool ok;
    if (!json_is_object(j)) {
        ok = problem(rl, name, "not a JSON object");
    } else if (!by_business) {
        ok = meta_usage(rl, name, j, now);
    } else {
        /* {"BUSINESS_ID": [{"type": "pages", ...}, ...], ...} */
        ok = true;
        const char *id;
        json_t *list;
        json_object_foreach (j, id, list) {
            if (!json_is_array(list)) {
                ok = problem(rl, name, "a business's usage is not a list");
                break;
            }
            size_t i;
            json_t *u;
            json_array_foreach (list, i, u)
                if (!(ok = meta_usage(rl, name, u, now)))
                    break;
            if (!ok)
                break;
        }
    }
    json_decref(j);
    return ok;
}

/* The three families of limit, remaining and reset headers; they differ
 * in how the reset is told. */
enum reset_as {
    RESET_UNIX_OR_SECONDS, /* a Unix time, or seconds from now (no window lasts 30 years) */
    RESET_UNIX,
    RESET_ISO, /* an ISO 8601 time ("2026-12-05T09:12:27.000Z") */
};
static const struct {
    const char *prefix;
    enum reset_as reset;
} limit_families[] = {
    {"ratelimit-", RESET_UNIX_OR_SECONDS}, /* the IETF draft's, which Bluesky's PDS sends */
    {"x-rate-limit-", RESET_UNIX},         /* X's */
    {"x-ratelimit-", RESET_ISO},           /* Mastodon's */
};

/* One header of a family (field: what follows its prefix). Headers come in
 * any order: once both are known, none remaining means wait for the
 * window's end. */
static bool limit_field(struct rate_limit *rl, const char *name, const char *field,
                        enum reset_as reset, const char *value, int64_t now)
{
    int64_t n;
    if (strcasecmp(field, "reset") == 0 && reset == RESET_ISO) {
        if (time_parse_iso(value, &n) != 0 || n <= 0)
            return problem(rl, name, "not an ISO 8601 time");
        rl->reset_at = n;
    } else if (strcasecmp(field, "reset") == 0) {
        if (!header_int(value, &n))
            return problem(rl, name, "not a number");
        rl->reset_at = reset == RESET_UNIX || n >= 1000000000 ? n : now + n;
    } else if (strcasecmp(field, "limit") == 0 || strcasecmp(field, "remaining") == 0) {
        if (!header_int(value, &n))
            return problem(rl, name, "not a number");
        *(strcasecmp(field, "limit") == 0 ? &rl->limit : &rl->remaining) = n;
    } else {
        return true;
    }
    if (rl->remaining == 0 && rl->reset_at > 0)
        wait_until(rl, rl->reset_at);
    else if (rl->remaining == 0)
        rl->limited = true;
    return true;
}

bool rate_limit_header(struct rate_limit *rl, const char *name, const char *value, int64_t now)
{
    assert(rl && name && value);
    int64_t n;
    if (strcasecmp(name, "Retry-After") == 0) {
        if (header_int(value, &n)) {
            wait_until(rl, now + (n > 86400 * 30 ? 86400 * 30 : n));
            return true;
        }
        time_t at = curl_getdate(value, NULL); /* an HTTP date */
        if (at < 0)
            return problem(rl, name, "neither seconds nor an HTTP date");
        wait_until(rl, at > now ? (int64_t)at : now);
        return true;
    }
    for (size_t i = 0; i < ARRAY_LEN(limit_families); i++) {
        size_t k = strlen(limit_families[i].prefix);
        if (strncasecmp(name, limit_families[i].prefix, k) == 0)
            return limit_field(rl, name, name + k, limit_families[i].reset, value, now);
    }
    if (strcasecmp(name, "X-App-Usage") == 0)
        return meta_header(rl, name, value, now, false);
    if (strcasecmp(name, "X-Business-Use-Case-Usage") == 0)
        return meta_header(rl, name, value, now, true);
    return true;
}

void rate_limit_status(struct rate_limit *rl, long status)
{
    if (status == 429)
        rl->limited = true;
}

int64_t rate_limit_resume_at(const struct rate_limit *rl)
{
    return rl->retry_at ? rl->retry_at : rl->reset_at;
}

/* ---- the client ---------------------------------------------------------------- */

struct connect_http {
    CURL *curl;
    char *base; /* without a trailing '/' */
    long timeout_ms, connect_timeout_ms;
    size_t max_body;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;

static void curl_init(void)
{
    curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

struct connect_http *connect_http_new(const struct connect_http_config *cfg, struct error *err)
{
    assert(cfg);
    const char *b = cfg->base_url;
    if (!b || !(str_starts_with(b, "http://") || str_starts_with(b, "https://")) ||
        strlen(b) > 1000 || strpbrk(b, "?# \t\r\n")) {
        error_set(err, ERR_INVALID, "base URL '%.100s': must be http:// or https:// and a host",
                  b ? b : "");
        return NULL;
    }
    pthread_once(&curl_once, curl_init);
    if (curl_init_rc != CURLE_OK) {
        error_set(err, ERR_INTERNAL, "libcurl could not start: %s",
                  curl_easy_strerror(curl_init_rc));
        return NULL;
    }
    struct connect_http *c = xcalloc(1, sizeof *c);
    c->curl = curl_easy_init();
    if (!c->curl) {
        free(c);
        error_set(err, ERR_INTERNAL, "libcurl could not make a handle");
        return NULL;
    }
    c->base = xstrdup(b);
    size_t n = strlen(c->base);
    while (n && c->base[n - 1] == '/')
        c->base[--n] = '\0';
    c->timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : TIMEOUT_DEFAULT_MS;
    c->connect_timeout_ms =
        cfg->connect_timeout_ms > 0 ? cfg->connect_timeout_ms : CONNECT_DEFAULT_MS;
    c->max_body = cfg->max_body ? cfg->max_body : BODY_DEFAULT_MAX;
    return c;
}

void connect_http_free(struct connect_http *c)
{
    if (!c)
        return;
    curl_easy_cleanup(c->curl);
    free(c->base);
    free(c);
}

void connect_response_free(struct connect_response *r)
{
    if (r) {
        buf_free(&r->body);
        *r = (struct connect_response){0};
    }
}

/* The request's URL into url: path under the base, or a full URL that is
 * under it. */
static int full_url(const struct connect_http *c, const char *path, struct buf *url,
                    struct error *err)
{
    if (str_starts_with(path, "http://") || str_starts_with(path, "https://")) {
        size_t n = strlen(c->base);
        if (strncmp(path, c->base, n) != 0 || !(path[n] == '/' || path[n] == '?' || !path[n]))
            return error_set(err, ERR_INVALID,
                             "a link to %.*s is not under the platform's address %s: not "
                             "followed",
                             (int)strcspn(path, "?"), path, c->base);
        buf_puts(url, path);
    } else {
        buf_puts(url, c->base);
        if (*path != '/')
            buf_putc(url, '/');
        buf_puts(url, path);
    }
    if (strpbrk(url->data, " \t\r\n"))
        return error_set(err, ERR_INVALID, "the URL holds white space");
    return 0;
}

struct transfer {
    struct connect_response *out;
    size_t max;
    bool too_long;
    int64_t now;
};

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
    struct transfer *t = arg;
    size_t len = size * n;
    if (t->out->body.len + len > t->max) {
        t->too_long = true;
        return 0; /* libcurl stops with CURLE_WRITE_ERROR */
    }
    buf_append(&t->out->body, p, len);
    return len;
}

static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
    struct transfer *t = arg;
    size_t len = size * n;
    if (len >= 5 && strncmp(p, "HTTP/", 5) == 0) {
        /* A new answer (after a 100 Continue): forget the last one's. */
        rate_limit_init(&t->out->rl);
        t->out->content_type[0] = '\0';
        t->out->link[0] = '\0';
        t->out->restli_id[0] = '\0';
        return len;
    }
    const char *colon = memchr(p, ':', len);
    if (!colon || colon == p || len > 8192)
        return len;
    char name[64], value[4096];
    size_t nn = (size_t)(colon - p);
    if (nn >= sizeof name)
        return len;
    memcpy(name, p, nn);
    name[nn] = '\0';
    const char *v = colon + 1, *end = p + len;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
        end--;
    size_t vn = (size_t)(end - v);
    if (vn >= sizeof value)
        vn = sizeof value - 1; /* a value this long is no rate limit */
    memcpy(value, v, vn);
    value[vn] = '\0';
    if (strcasecmp(name, "Link") == 0) {
        if (vn < sizeof t->out->link) {
            memcpy(t->out->link, value, vn);
            t->out->link[vn] = '\0';
        } else
            t->out->link[0] = '\0'; /* cut, it would name a wrong page */
    } else if (strcasecmp(name, "x-restli-id") == 0) {
        if (vn < sizeof t->out->restli_id) {
            memcpy(t->out->restli_id, value, vn + 1);
        } else
            t->out->restli_id[0] = '\0'; /* cut, it would name another resource */
    } else if (strcasecmp(name, "Content-Type") == 0) {
        size_t cn = vn < sizeof t->out->content_type ? vn : sizeof t->out->content_type - 1;
        memcpy(t->out->content_type, value, cn);
        t->out->content_type[cn] = '\0';
    } else
        rate_limit_header(&t->out->rl, name, value, t->now);
    return len;
}

/* The URL without its query, for messages. */
static int url_shown(const char *url)
{
    return (int)strcspn(url, "?");
}

int connect_http_send(struct connect_http *c, const struct connect_request *rq,
                      struct connect_response *out, struct error *err)
{
    assert(c && rq && rq->path && out);
    assert(!rq->body || rq->content_type);
    const char *method = rq->method ? rq->method : (rq->body ? "POST" : "GET");
    *out = (struct connect_response){0};
    rate_limit_init(&out->rl);
    struct buf url = {0}, auth = {0};
    struct curl_slist *headers = NULL;
    int rc = -1;
    if (full_url(c, rq->path, &url, err))
        goto done;
    CURL *h = c->curl;
    curl_easy_reset(h);
    struct transfer t = {.out = out, .max = c->max_body, .now = time_now()};
    curl_easy_setopt(h, CURLOPT_URL, url.data);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, c->timeout_ms);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, c->connect_timeout_ms);
    curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)c->max_body);
    curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, ""); /* whatever libcurl decodes */
    char agent[80];
    snprintf(agent, sizeof agent, "kanal/%s", KANAL_VERSION);
    curl_easy_setopt(h, CURLOPT_USERAGENT, agent);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &t);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &t);
    headers = curl_slist_append(headers, "Accept: application/json");
    if (rq->bearer) {
        buf_printf(&auth, "Authorization: Bearer %s", rq->bearer);
        headers = curl_slist_append(headers, auth.data);
    }
    for (const char *const *hd = rq->headers; hd && *hd; hd++) {
        /* A header is one line: a CR or LF in one would start another. */
        if (strpbrk(*hd, "\r\n") || !strchr(*hd, ':')) {
            error_set(err, ERR_INVALID, "%s %.*s: a request header is not one 'Name: value' line",
                      method, url_shown(url.data), url.data);
            goto done;
        }
        headers = curl_slist_append(headers, *hd);
    }
    if (rq->body) {
        char ct[160];
        snprintf(ct, sizeof ct, "Content-Type: %s", rq->content_type);
        headers = curl_slist_append(headers, ct);
        headers = curl_slist_append(headers, "Expect:"); /* no 100-continue round trip */
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, rq->body);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)rq->body_len);
    }
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    /* On a kept-alive connection that dies before any answer, libcurl
     * sends the request again on a new one by itself: for a POST (a status
     * published, a comment hidden or deleted) that may do it twice. A new connection
     * is never retried, so a lost answer reaches the caller as one
     * (CO_LOST, looked up before it is sent again). */
    curl_easy_setopt(h, CURLOPT_FRESH_CONNECT,
                     strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0 ? 0L : 1L);
    CURLcode cc = curl_easy_perform(h);
    if (cc == CURLE_OK) {
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &out->status);
        rate_limit_status(&out->rl, out->status);
        out->retriable = out->status == 429 || out->status >= 500;
        if (out->body.len)
            buf_putc(&out->body, '\0'), out->body.len--;
        rc = 0;
        goto done;
    }
    int shown = url_shown(url.data);
    if (t.too_long || cc == CURLE_FILESIZE_EXCEEDED) {
        error_set(err, ERR_LIMIT, "%s %.*s: the answer is longer than %zu bytes", method, shown,
                  url.data, c->max_body);
    } else if (cc == CURLE_OPERATION_TIMEDOUT) {
        out->retriable = true;
        error_set(err, ERR_INTERNAL, "%s %.*s: no answer within %ld ms", method, shown, url.data,
                  c->timeout_ms);
    } else if (cc == CURLE_GOT_NOTHING || cc == CURLE_RECV_ERROR || cc == CURLE_SEND_ERROR ||
               cc == CURLE_PARTIAL_FILE) {
        out->retriable = true;
        error_set(err, ERR_INTERNAL,
                  "%s %.*s: the connection was dropped before the answer "
                  "ended (%s)",
                  method, shown, url.data, curl_easy_strerror(cc));
    } else {
        out->retriable = cc == CURLE_COULDNT_CONNECT || cc == CURLE_COULDNT_RESOLVE_HOST;
        error_set(err, ERR_INTERNAL, "%s %.*s: %s", method, shown, url.data,
                  curl_easy_strerror(cc));
    }
    buf_free(&out->body);
done:
    if (auth.data)
        memset(auth.data, 0, auth.len); /* the token */
    buf_free(&auth);
    curl_slist_free_all(headers);
    /* The handle keeps pointers to what this call set; none may outlive it. */
    curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, NULL);
    curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, NULL);
    buf_free(&url);
    return rc;
}

int connect_http_get(struct connect_http *c, const char *path, const char *bearer,
                     struct connect_response *out, struct error *err)
{
    struct connect_request rq = {.method = "GET", .path = path, .bearer = bearer};
    return connect_http_send(c, &rq, out, err);
}

int connect_http_delete(struct connect_http *c, const char *path, const char *bearer,
                        struct connect_response *out, struct error *err)
{
    struct connect_request rq = {.method = "DELETE", .path = path, .bearer = bearer};
    return connect_http_send(c, &rq, out, err);
}

int connect_http_post_form(struct connect_http *c, const char *path, const char *bearer,
                           const char *const *fields, struct connect_response *out,
                           struct error *err)
{
    assert(fields);
    struct buf body = {0};
    buf_puts(&body, "");
    for (const char *const *f = fields; f[0]; f += 2) {
        assert(f[1]); /* pairs */
        char *name = curl_easy_escape(c->curl, f[0], 0),
             *value = curl_easy_escape(c->curl, f[1], 0);
        if (!name || !value)
            abort(); /* out of memory, as xmalloc does */
        buf_printf(&body, "%s%s=%s", f == fields ? "" : "&", name, value);
        curl_free(name);
        curl_free(value);
    }
    struct connect_request rq = {.method = "POST",
                                 .path = path,
                                 .bearer = bearer,
                                 .content_type = "application/x-www-form-urlencoded",
                                 .body = body.data,
                                 .body_len = body.len};
    int rc = connect_http_send(c, &rq, out, err);
    memset(body.data, 0, body.len); /* may hold a client secret or a code */
    buf_free(&body);
    return rc;
}

int connect_http_call(struct connect_http *c, const char *method, const char *path,
                      const char *bearer, const char *const *fields, struct connect_response *out,
                      struct error *err)
{
    static const char *const none[] = {NULL};
    if (str_eq(method, "POST"))
        return connect_http_post_form(c, path, bearer, fields ? fields : none, out, err);
    if (str_eq(method, "DELETE"))
        return connect_http_delete(c, path, bearer, out, err);
    return connect_http_get(c, path, bearer, out, err);
}

int connect_http_send_json(struct connect_http *c, const char *method, const char *path,
                           const char *bearer, json_t *body, struct connect_response *out,
                           struct error *err)
{
    assert(method && body);
    char *text = json_dumps(body, JSON_COMPACT);
    if (!text)
        abort();
    struct connect_request rq = {.method = method,
                                 .path = path,
                                 .bearer = bearer,
                                 .content_type = "application/json",
                                 .body = text,
                                 .body_len = strlen(text)};
    int rc = connect_http_send(c, &rq, out, err);
    free(text);
    return rc;
}

int connect_http_post_json(struct connect_http *c, const char *path, const char *bearer,
                           json_t *body, struct connect_response *out, struct error *err)
{
    return connect_http_send_json(c, "POST", path, bearer, body, out, err);
}

bool connect_link_next(const struct connect_response *r, char *out, size_t n)
{
    /* Entries: <URL>; param; param, <URL>; ... A URL holds no '>'. */
    const char *p = r->link;
    while ((p = strchr(p, '<'))) {
        const char *end = strchr(p, '>');
        if (!end)
            return false;
        const char *params = end + 1, *next = strchr(params, '<');
        size_t plen = next ? (size_t)(next - params) : strlen(params);
        /* rel="next" or rel=next among this entry's parameters */
        bool is_next = false;
        for (const char *q = params; q + 8 <= params + plen; q++)
            if (strncasecmp(q, "rel=", 4) == 0) {
                const char *v = q + 4;
                if (*v == '"')
                    v++;
                is_next = strncasecmp(v, "next", 4) == 0 &&
                          (v[4] == '"' || v[4] == ';' || v[4] == ',' || v[4] == ' ' || !v[4]);
                break;
            }
        if (is_next) {
            size_t ulen = (size_t)(end - p - 1);
            if (ulen == 0 || ulen + 1 > n)
                return false;
            memcpy(out, p + 1, ulen);
            out[ulen] = '\0';
            return true;
        }
        p = end + 1;
    }
    return false;
}
