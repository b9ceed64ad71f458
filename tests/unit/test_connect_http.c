/* Unit tests for the platforms' HTTP client (connect/http.c) against a tiny
 * server started here on a loopback port (libmicrohttpd): bearer tokens,
 * form and JSON bodies, the rate-limit headers of X and Meta and HTTP 429,
 * a 5xx, a slow answer, a dropped connection, an answer too long, and links
 * off the platform's address. The header parsing alone is tested first. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "connect/connect.h"

#define NOW 1764900000 /* 2025-12-05 */

/* ---- rate-limit headers alone ----------------------------------------------- */

static void test_retry_after(void **state)
{
    struct rate_limit rl;
    rate_limit_init(&rl);
    assert_false(rl.limited);
    assert_int_equal(rl.usage_percent, -1);
    assert_true(rate_limit_header(&rl, "Retry-After", "120", NOW));
    assert_true(rl.limited);
    assert_int_equal(rl.retry_at, NOW + 120);

    rate_limit_init(&rl);
    assert_true(rate_limit_header(&rl, "retry-after", "Wed, 21 Oct 2037 07:28:00 GMT", NOW));
    assert_int_equal(rl.retry_at, 2139722880);
    /* A date gone by: call again now. */
    rate_limit_init(&rl);
    assert_true(rate_limit_header(&rl, "Retry-After", "Sun, 06 Nov 1994 08:49:37 GMT", NOW));
    assert_int_equal(rl.retry_at, NOW);

    rate_limit_init(&rl);
    assert_false(rate_limit_header(&rl, "Retry-After", "soon", NOW));
    assert_string_equal(rl.problem, "Retry-After: neither seconds nor an HTTP date");
    assert_false(rl.limited);
    assert_false(rate_limit_header(&rl, "Retry-After", "-5", NOW));

    /* Headers that say nothing of limits change nothing. */
    rate_limit_init(&rl);
    assert_true(rate_limit_header(&rl, "Content-Length", "12", NOW));
    assert_false(rl.limited);
    rate_limit_status(&rl, 200);
    assert_false(rl.limited);
    rate_limit_status(&rl, 429);
    assert_true(rl.limited);
    assert_int_equal(rl.retry_at, 0);
}

static void test_x_headers(void **state)
{
    struct rate_limit rl;
    rate_limit_init(&rl);
    assert_true(rate_limit_header(&rl, "x-rate-limit-limit", "900", NOW));
    assert_true(rate_limit_header(&rl, "x-rate-limit-remaining", "899", NOW));
    assert_true(rate_limit_header(&rl, "x-rate-limit-reset", "1764900900", NOW));
    assert_int_equal(rl.limit, 900);
    assert_int_equal(rl.remaining, 899);
    assert_int_equal(rl.reset_at, 1764900900);
    assert_false(rl.limited);
    /* None left, in either order of the headers: wait for the window. */
    rate_limit_init(&rl);
    assert_true(rate_limit_header(&rl, "X-Rate-Limit-Remaining", "0", NOW));
    assert_true(rl.limited);
    assert_true(rate_limit_header(&rl, "X-Rate-Limit-Reset", "1764900900", NOW));
    assert_int_equal(rl.retry_at, 1764900900);
    rate_limit_init(&rl);
    assert_false(rate_limit_header(&rl, "x-rate-limit-remaining", "lots", NOW));
    assert_string_equal(rl.problem, "x-rate-limit-remaining: not a number");
}

/* The IETF draft's RateLimit-* fields (Bluesky): a reset that is a Unix
 * time, or seconds from now. */
static void test_ietf_headers(void **state)
{
    struct rate_limit rl;
    rate_limit_init(&rl);
    assert_true(rate_limit_header(&rl, "ratelimit-limit", "3000", NOW));
    assert_true(rate_limit_header(&rl, "ratelimit-remaining", "2999", NOW));
    assert_true(rate_limit_header(&rl, "ratelimit-reset", "1764900300", NOW));
    assert_int_equal(rl.limit, 3000);
    assert_int_equal(rl.remaining, 2999);
    assert_int_equal(rl.reset_at, 1764900300);
    assert_false(rl.limited);
    rate_limit_init(&rl);
    assert_true(rate_limit_header(&rl, "RateLimit-Reset", "60", NOW));
    assert_true(rate_limit_header(&rl, "RateLimit-Remaining", "0", NOW));
    assert_true(rl.limited);
    assert_int_equal(rl.retry_at, NOW + 60);
    rate_limit_init(&rl);
    assert_false(rate_limit_header(&rl, "ratelimit-reset", "soon", NOW));
    assert_string_equal(rl.problem, "ratelimit-reset: not a number");
}

static void test_meta_headers(void **state)
{
    struct rate_limit rl;
    rate_limit_init(&rl);
    assert_true(rate_limit_header(
        &rl, "x-app-usage", "{\"call_count\":28,\"total_time\":25,\"total_cputime\":25}", NOW));
    assert_int_equal(rl.usage_percent, 28);
    assert_false(rl.limited);
    assert_true(rate_limit_header(
        &rl, "X-Business-Use-Case-Usage",
        "{\"112233\":[{\"type\":\"pages\",\"call_count\":100,\"total_cputime\":10,"
        "\"total_time\":10,\"estimated_time_to_regain_access\":19}],"
        "\"445566\":[{\"type\":\"instagram\",\"call_count\":5,\"total_cputime\":1,"
        "\"total_time\":1,\"estimated_time_to_regain_access\":0}]}",
        NOW));
    assert_int_equal(rl.usage_percent, 100);
    assert_true(rl.limited);
    assert_int_equal(rl.retry_at, NOW + 19 * 60);

    static const char *const bad[] = {"not json",
                                      "[1]",
                                      "{\"1\": {\"type\": \"pages\"}}",
                                      "{\"1\": [7]}",
                                      "{\"1\": [{\"call_count\": \"lots\"}]}",
                                      "{\"1\": [{\"estimated_time_to_regain_access\": -3}]}"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        rate_limit_init(&rl);
        assert_false(rate_limit_header(&rl, "X-Business-Use-Case-Usage", bad[i], NOW));
        assert_true(strncmp(rl.problem, "X-Business-Use-Case-Usage: ", 27) == 0);
        assert_false(rl.limited);
    }
}

/* ---- a tiny platform -------------------------------------------------------- */

struct upload {
    struct buf body;
};

static void add(struct MHD_Response *r, const char *name, const char *value)
{
    MHD_add_response_header(r, name, value);
}

static enum MHD_Result answer(void *cls, struct MHD_Connection *conn, const char *url,
                              const char *method, const char *version, const char *data,
                              size_t *size, void **con_cls)
{
    struct upload *up = *con_cls;
    if (!up) {
        *con_cls = up = calloc(1, sizeof *up);
        return MHD_YES;
    }
    if (*size) {
        buf_append(&up->body, data, *size);
        *size = 0;
        return MHD_YES;
    }
    if (strcmp(url, "/drop") == 0)
        return MHD_NO; /* closes the connection without an answer */
    if (strcmp(url, "/slow") == 0)
        usleep(1500 * 1000);
    unsigned status = 200;
    struct buf out = {0};
    const char *auth = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
    const char *ct = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Type");
    if (strcmp(url, "/echo") == 0) {
        json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s%}", "method", method, "auth",
                              auth ? auth : "", "type", ct ? ct : "", "url", url, "body",
                              up->body.data ? up->body.data : "", up->body.len);
        char *text = json_dumps(o, JSON_COMPACT);
        buf_puts(&out, text);
        free(text);
        json_decref(o);
    } else if (strcmp(url, "/big") == 0) {
        for (int i = 0; i < 5000; i++)
            buf_puts(&out, "xx");
    } else if (strcmp(url, "/error") == 0) {
        status = 500;
        buf_puts(&out, "{\"error\": {\"message\": \"An unknown error occurred\", \"code\": 1}}");
    } else if (strcmp(url, "/moved") == 0) {
        status = 302;
    } else {
        status = strncmp(url, "/limit", 6) == 0 && strstr(url, "429") ? 429 : 200;
        buf_puts(&out, "{\"data\": []}");
    }
    struct MHD_Response *r = MHD_create_response_from_buffer(
        out.len, out.data ? out.data : (char *)"", MHD_RESPMEM_MUST_COPY);
    buf_free(&out);
    add(r, "Content-Type", "application/json; charset=UTF-8");
    if (strcmp(url, "/limit/429-seconds") == 0) {
        add(r, "Retry-After", "120");
    } else if (strcmp(url, "/limit/429-date") == 0) {
        add(r, "Retry-After", "Wed, 21 Oct 2037 07:28:00 GMT");
    } else if (strcmp(url, "/limit/x") == 0) {
        add(r, "x-rate-limit-limit", "900");
        add(r, "x-rate-limit-remaining", "0");
        add(r, "x-rate-limit-reset", "2000000000");
    } else if (strcmp(url, "/limit/meta") == 0) {
        add(r, "X-App-Usage", "{\"call_count\":28,\"total_time\":25,\"total_cputime\":25}");
        add(r, "X-Business-Use-Case-Usage",
            "{\"112233\":[{\"type\":\"pages\",\"call_count\":97,\"total_cputime\":10,"
            "\"total_time\":10,\"estimated_time_to_regain_access\":0}]}");
    } else if (strcmp(url, "/limit/meta-bad") == 0) {
        add(r, "X-App-Usage", "{\"call_count\":");
    } else if (strcmp(url, "/moved") == 0) {
        add(r, "Location", "http://elsewhere.invalid/steal");
    }
    enum MHD_Result ok = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return ok;
}

static void done(void *cls, struct MHD_Connection *conn, void **con_cls,
                 enum MHD_RequestTerminationCode toe)
{
    struct upload *up = *con_cls;
    if (up) {
        buf_free(&up->body);
        free(up);
        *con_cls = NULL;
    }
}

struct fake {
    struct MHD_Daemon *d;
    char base[64];
};

static int fake_start(void **state)
{
    struct fake *f = calloc(1, sizeof *f);
    f->d = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD, 0,
                            NULL, NULL, answer, NULL, MHD_OPTION_NOTIFY_COMPLETED, done, NULL,
                            MHD_OPTION_END);
    if (!f->d)
        return -1;
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(f->d, MHD_DAEMON_INFO_BIND_PORT);
    snprintf(f->base, sizeof f->base, "http://127.0.0.1:%u", info->port);
    *state = f;
    return 0;
}

static int fake_stop(void **state)
{
    struct fake *f = *state;
    MHD_stop_daemon(f->d);
    free(f);
    return 0;
}

static struct connect_http *client(void **state, long timeout_ms, size_t max_body)
{
    struct fake *f = *state;
    struct error err = {0};
    struct connect_http_config cfg = {
        .base_url = f->base, .timeout_ms = timeout_ms, .max_body = max_body};
    struct connect_http *c = connect_http_new(&cfg, &err);
    assert_non_null(c);
    return c;
}

static json_t *body_json(const struct connect_response *r)
{
    json_error_t je;
    json_t *j = json_loadb(r->body.data, r->body.len, 0, &je);
    assert_non_null(j);
    return j;
}

static void test_requests(void **state)
{
    struct connect_http *c = client(state, 0, 0);
    struct error err = {0};
    struct connect_response r;

    assert_int_equal(connect_http_get(c, "/echo?fields=id,name", "tok-123", &r, &err), 0);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.content_type, "application/json; charset=UTF-8");
    json_t *j = body_json(&r);
    assert_string_equal(json_string_value(json_object_get(j, "method")), "GET");
    assert_string_equal(json_string_value(json_object_get(j, "auth")), "Bearer tok-123");
    json_decref(j);
    assert_false(r.rl.limited);
    assert_false(r.retriable);
    connect_response_free(&r);

    /* A form body, escaped; no token. */
    const char *const form[] = {"grant_type", "authorization_code", "code", "a b&c=d", NULL};
    assert_int_equal(connect_http_post_form(c, "echo", NULL, form, &r, &err), 0);
    j = body_json(&r);
    assert_string_equal(json_string_value(json_object_get(j, "method")), "POST");
    assert_string_equal(json_string_value(json_object_get(j, "auth")), "");
    assert_string_equal(json_string_value(json_object_get(j, "type")),
                        "application/x-www-form-urlencoded");
    assert_string_equal(json_string_value(json_object_get(j, "body")),
                        "grant_type=authorization_code&code=a%20b%26c%3Dd");
    json_decref(j);
    connect_response_free(&r);

    /* A JSON body. */
    json_t *in = json_pack("{s:s, s:i}", "text", "Hej från kommunen", "n", 2);
    assert_int_equal(connect_http_post_json(c, "/echo", "t", in, &r, &err), 0);
    json_decref(in);
    j = body_json(&r);
    assert_string_equal(json_string_value(json_object_get(j, "type")), "application/json");
    assert_string_equal(json_string_value(json_object_get(j, "body")),
                        "{\"text\":\"Hej från kommunen\",\"n\":2}");
    json_decref(j);
    connect_response_free(&r);

    /* A paging link under the base URL is followed; one elsewhere is not,
     * and the message does not show its query (Meta's carry the token). */
    struct fake *f = *state;
    char next[160];
    snprintf(next, sizeof next, "%s/echo?after=QVFIUk&access_token=secret", f->base);
    assert_int_equal(connect_http_get(c, next, "t", &r, &err), 0);
    assert_int_equal(r.status, 200);
    connect_response_free(&r);
    assert_int_equal(
        connect_http_get(c, "http://127.0.0.1:1/echo?access_token=secret", "t", &r, &err), -1);
    assert_int_equal(err.kind, ERR_INVALID);
    assert_non_null(strstr(err.msg, "is not under the platform's address"));
    assert_null(strstr(err.msg, "secret"));
    connect_response_free(&r);
    snprintf(next, sizeof next, "%s.evil.example/echo", f->base);
    assert_int_equal(connect_http_get(c, next, "t", &r, &err), -1);
    connect_response_free(&r);

    /* A redirect is answered, not followed. */
    assert_int_equal(connect_http_get(c, "/moved", "t", &r, &err), 0);
    assert_int_equal(r.status, 302);
    connect_response_free(&r);
    connect_http_free(c);

    struct connect_http_config bad = {.base_url = "ftp://example.org"};
    assert_null(connect_http_new(&bad, &err));
    assert_int_equal(err.kind, ERR_INVALID);
}

static void test_rate_limits_over_http(void **state)
{
    struct connect_http *c = client(state, 0, 0);
    struct error err = {0};
    struct connect_response r;
    int64_t before = time_now();

    assert_int_equal(connect_http_get(c, "/limit/429-seconds", "t", &r, &err), 0);
    assert_int_equal(r.status, 429);
    assert_true(r.rl.limited && r.retriable);
    assert_true(r.rl.retry_at >= before + 120 && r.rl.retry_at <= time_now() + 120);
    connect_response_free(&r);

    assert_int_equal(connect_http_get(c, "/limit/429-date", "t", &r, &err), 0);
    assert_int_equal(r.rl.retry_at, 2139722880);
    connect_response_free(&r);

    assert_int_equal(connect_http_get(c, "/limit/x", "t", &r, &err), 0);
    assert_int_equal(r.status, 200);
    assert_true(r.rl.limited);
    assert_false(r.retriable); /* the answer itself is good */
    assert_int_equal(r.rl.limit, 900);
    assert_int_equal(r.rl.remaining, 0);
    assert_int_equal(r.rl.retry_at, 2000000000);
    connect_response_free(&r);

    assert_int_equal(connect_http_get(c, "/limit/meta", "t", &r, &err), 0);
    assert_int_equal(r.rl.usage_percent, 97);
    assert_false(r.rl.limited);
    assert_string_equal(r.rl.problem, "");
    connect_response_free(&r);

    assert_int_equal(connect_http_get(c, "/limit/meta-bad", "t", &r, &err), 0);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.rl.problem, "X-App-Usage: not a JSON object");
    connect_response_free(&r);
    connect_http_free(c);
}

static void test_failures(void **state)
{
    struct error err = {0};
    struct connect_response r;
    struct connect_http *c = client(state, 300, 1000);

    /* A 5xx is an answer, worth retrying, its body kept for the message. */
    assert_int_equal(connect_http_get(c, "/error", "t", &r, &err), 0);
    assert_int_equal(r.status, 500);
    assert_true(r.retriable);
    assert_non_null(strstr(r.body.data, "An unknown error occurred"));
    connect_response_free(&r);

    /* Too slow: no answer, worth retrying. */
    assert_int_equal(connect_http_get(c, "/slow?access_token=secret", "t", &r, &err), -1);
    assert_true(r.retriable);
    assert_non_null(strstr(err.msg, "/slow: no answer within 300 ms"));
    assert_null(strstr(err.msg, "secret"));
    connect_response_free(&r);

    /* Dropped without an answer. */
    assert_int_equal(connect_http_get(c, "/drop", "t", &r, &err), -1);
    assert_true(r.retriable);
    assert_non_null(strstr(err.msg, "/drop: the connection was dropped"));
    connect_response_free(&r);

    /* Longer than allowed: not retried, nothing half-read handed out. */
    assert_int_equal(connect_http_get(c, "/big", "t", &r, &err), -1);
    assert_int_equal(err.kind, ERR_LIMIT);
    assert_non_null(strstr(err.msg, "longer than 1000 bytes"));
    assert_false(r.retriable);
    assert_int_equal(r.body.len, 0);
    connect_response_free(&r);

    /* The client still works after all that. */
    assert_int_equal(connect_http_get(c, "/echo", "t", &r, &err), 0);
    assert_int_equal(r.status, 200);
    connect_response_free(&r);
    connect_http_free(c);

    /* Nobody listening. */
    struct connect_http_config cfg = {.base_url = "http://127.0.0.1:1", .timeout_ms = 2000};
    c = connect_http_new(&cfg, &err);
    assert_int_equal(connect_http_get(c, "/x", "t", &r, &err), -1);
    assert_true(r.retriable);
    connect_response_free(&r);
    connect_http_free(c);
}

int main(void)
{
    log_set_level(LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_retry_after),
        cmocka_unit_test(test_x_headers),
        cmocka_unit_test(test_ietf_headers),
        cmocka_unit_test(test_meta_headers),
        cmocka_unit_test_setup_teardown(test_requests, fake_start, fake_stop),
        cmocka_unit_test_setup_teardown(test_rate_limits_over_http, fake_start, fake_stop),
        cmocka_unit_test_setup_teardown(test_failures, fake_start, fake_stop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
