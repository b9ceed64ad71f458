/* Unit tests for what every connector shares (connect/connector.c): the
 * outcome an answer that is not a success maps to, and requests with any
 * method, extra headers and binary bodies, sent to the probe fake
 * (tests/fakes/probe.py) through tests/unit/fake_platform.h. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "connect/connect.h"
#include "fake_platform.h"

static void test_outcomes(void **state)
{
    (void)state;
    struct connect_result r = {0};
    struct connect_response resp = {0};
    rate_limit_init(&resp.rl);

    resp.status = 401;
    assert_int_equal(connect_fail_http(&r, "GET /me", &resp, 0, NULL, false), -1);
    assert_int_equal(r.outcome, CO_AUTH);
    assert_int_equal(r.status, 401);

    memset(&r, 0, sizeof r);
    resp.status = 429;
    resp.rl.limited = true;
    resp.rl.retry_at = 1764900100;
    connect_fail_http(&r, "GET /feed", &resp, 0, NULL, false);
    assert_int_equal(r.outcome, CO_RATE);
    assert_int_equal(r.retry_at, 1764900100);
    assert_non_null(strstr(r.message, "GET /feed"));

    /* A 200 with the budget used up is a rate limit too (X's remaining 0). */
    memset(&r, 0, sizeof r);
    resp.status = 200;
    connect_fail_http(&r, "GET /feed", &resp, 0, NULL, false);
    assert_int_equal(r.outcome, CO_RATE);
    rate_limit_init(&resp.rl);

    memset(&r, 0, sizeof r);
    resp.status = 503;
    connect_fail_http(&r, "GET /feed", &resp, 0, NULL, false);
    assert_int_equal(r.outcome, CO_TEMPORARY);

    memset(&r, 0, sizeof r);
    resp.status = 422;
    connect_fail_http(&r, "POST /statuses", &resp, 0, NULL, true);
    assert_int_equal(r.outcome, CO_REJECTED);
    assert_non_null(strstr(r.message, "422"));

    /* No answer: a fetch is tried again, an action is looked up first. */
    struct error e = {0};
    error_set(&e, ERR_INTERNAL, "no answer within 30000 ms");
    resp = (struct connect_response){.retriable = true};
    memset(&r, 0, sizeof r);
    connect_fail_http(&r, "GET /feed", &resp, -1, &e, false);
    assert_int_equal(r.outcome, CO_TEMPORARY);
    assert_int_equal(r.status, 0);
    memset(&r, 0, sizeof r);
    connect_fail_http(&r, "POST /statuses", &resp, -1, &e, true);
    assert_int_equal(r.outcome, CO_LOST);
    assert_non_null(strstr(r.message, "looked up"));

    assert_string_equal(connect_outcome_names[CO_LOST], "lost");
    assert_string_equal(connect_action_names[ACT_DELETE_MESSAGE], "delete-message");
    assert_null(connector_find("no-such-platform"));
    assert_null(connector_find(NULL));
}

static void test_link_next(void **state)
{
    (void)state;
    struct connect_response r = {0};
    char next[256];
    assert_false(connect_link_next(&r, next, sizeof next));
    snprintf(r.link, sizeof r.link, "%s",
             "<https://m.example/api/v1/accounts/1/statuses?max_id=9>; rel=\"next\", "
             "<https://m.example/api/v1/accounts/1/statuses?min_id=20>; rel=\"prev\"");
    assert_true(connect_link_next(&r, next, sizeof next));
    assert_string_equal(next, "https://m.example/api/v1/accounts/1/statuses?max_id=9");
    /* Only prev: the last page. */
    snprintf(r.link, sizeof r.link, "%s", "<https://m.example/a?min_id=20>; rel=\"prev\"");
    assert_false(connect_link_next(&r, next, sizeof next));
    /* next second, unquoted; a URL too long for out is not cut. */
    snprintf(r.link, sizeof r.link, "%s",
             "<https://m.example/a?min_id=2>; rel=prev, <https://m.example/a?max_id=1>; rel=next");
    assert_true(connect_link_next(&r, next, sizeof next));
    assert_string_equal(next, "https://m.example/a?max_id=1");
    assert_false(connect_link_next(&r, next, 10));
    snprintf(r.link, sizeof r.link, "%s", "<https://m.example/a; rel=next");
    assert_false(connect_link_next(&r, next, sizeof next));
}

static void test_send_any_request(void **state)
{
    (void)state;
    struct fake_platform f;
    fake_start(&f, "probe");
    struct error err = {0};
    struct connect_response r;

    const char *hdrs[] = {"Idempotency-Key: kanal-action-7", "LinkedIn-Version: 202411", NULL};
    static const char image[] = {'\x89', 'P', 'N', 'G', '\0', '\r', '\n', 'x'};
    struct connect_request rq = {.method = "PUT",
                                 .path = "/echo/upload",
                                 .bearer = "tok",
                                 .headers = hdrs,
                                 .content_type = "image/png",
                                 .body = image,
                                 .body_len = sizeof image};
    assert_int_equal(connect_http_send(f.http, &rq, &r, &err), 0);
    assert_int_equal(r.status, 200);
    json_t *j = json_loads(r.body.data, 0, NULL);
    assert_string_equal(json_string_value(json_object_get(j, "method")), "PUT");
    assert_string_equal(json_string_value(json_object_get(j, "bearer")), "tok");
    assert_int_equal(json_integer_value(json_object_get(j, "body_len")), sizeof image);
    assert_true(json_is_true(json_object_get(j, "body_nul")));
    json_t *h = json_object_get(j, "headers");
    assert_string_equal(json_string_value(json_object_get(h, "idempotency-key")), "kanal-action-7");
    assert_string_equal(json_string_value(json_object_get(h, "linkedin-version")), "202411");
    json_decref(j);
    connect_response_free(&r);

    assert_int_equal(connect_http_delete(f.http, "/echo/post-1", "tok", &r, &err), 0);
    j = json_loads(r.body.data, 0, NULL);
    assert_string_equal(json_string_value(json_object_get(j, "method")), "DELETE");
    json_decref(j);
    connect_response_free(&r);

    /* A header that would smuggle a second one in is refused before sending. */
    const char *bad[] = {"X-A: 1\r\nX-B: 2", NULL};
    struct connect_request rq2 = {.path = "/echo/x", .headers = bad};
    assert_int_equal(connect_http_send(f.http, &rq2, &r, &err), -1);
    assert_int_equal(err.kind, ERR_INVALID);
    connect_response_free(&r);

    /* The fake's control API: a scripted failure, then the log. */
    fake_control(&f, "/_fake/script", "{\"path\": \"/echo/\", \"status\": 503}");
    assert_int_equal(connect_http_get(f.http, "/echo/y", NULL, &r, &err), 0);
    assert_int_equal(r.status, 503);
    assert_true(r.retriable);
    connect_response_free(&r);
    json_t *log = fake_log(&f);
    assert_int_equal(json_array_size(log), 3); /* the refused header never went */
    json_decref(log);

    /* An action whose connection drops after it was done is sent once:
     * libcurl must not send it again on a fresh connection by itself (it
     * does for a kept-alive one that dies), or a post would be made twice. */
    fake_control(&f, "/_fake/reset", NULL);
    assert_int_equal(connect_http_get(f.http, "/echo/warm", NULL, &r, &err), 0);
    connect_response_free(&r);
    fake_control(&f, "/_fake/script",
                 "{\"method\": \"POST\", \"path\": \"/echo/\", \"drop\": true, \"after\": true}");
    json_t *one = json_pack("{s:s}", "text", "hej");
    assert_int_equal(connect_http_post_json(f.http, "/echo/post", "tok", one, &r, &err), -1);
    json_decref(one);
    assert_true(r.retriable);
    connect_response_free(&r);
    log = fake_log(&f);
    assert_int_equal(json_array_size(log), 2); /* the GET and one POST */
    json_decref(log);
    fake_stop(&f);
}

/* A POST whose answer is lost is reported lost, never sent again by
 * libcurl on another connection (it would publish twice); a GET may be. */
static void test_post_not_resent(void **state)
{
    (void)state;
    struct fake_platform f;
    fake_start(&f, "probe");
    struct error err = {0};
    struct connect_response r;
    /* The connection is kept alive after this one. */
    assert_int_equal(connect_http_get(f.http, "/echo/warm", NULL, &r, &err), 0);
    connect_response_free(&r);
    fake_control(&f, "/_fake/script",
                 "{\"method\": \"POST\", \"path\": \"/echo/\", \"after\": true, \"drop\": true}");
    struct connect_request rq = {.method = "POST",
                                 .path = "/echo/publish",
                                 .content_type = "application/json",
                                 .body = "{}",
                                 .body_len = 2};
    assert_int_equal(connect_http_send(f.http, &rq, &r, &err), -1);
    assert_true(r.retriable);
    connect_response_free(&r);
    json_t *log = fake_log(&f);
    size_t posts = 0, i;
    json_t *e;
    json_array_foreach (log, i, e)
        posts += strcmp(json_string_value(json_object_get(e, "method")), "POST") == 0;
    assert_int_equal(posts, 1);
    json_decref(log);
    fake_stop(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_outcomes),
        cmocka_unit_test(test_link_next),
        cmocka_unit_test(test_send_any_request),
        cmocka_unit_test(test_post_not_resent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
