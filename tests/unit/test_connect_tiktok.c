/* Unit tests for the TikTok connector (connect/tiktok.c) against the TikTok
 * fake (tests/fakes/tiktok.py): Login Kit's consent and token requests with
 * client_key and PKCE, refresh, the sync's paging by cursor and its cursor
 * kept (a second sync adds only snapshots), TikTok's error bodies mapped to
 * outcomes, the rate limit, publishing photos and videos pulled from an
 * address, and a publish whose answer was lost looked up rather than sent
 * twice. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "connect/connect.h"
#include "ingest/ingest.h"
#include "fake_platform.h"

#define REDIRECT "http://127.0.0.1:9/oauth/callback"

static const char VERIFIER[] = "kanal-test-verifier-0123456789-abcdefghijklmnopqrstuvwxyz";

struct tt {
    struct fake_platform f;
    char auth_url[96];
    struct connect_platform_config cfg;
    struct connect_session s;
    struct channel_tokens tok;
    struct connect_account acc;
};

static const struct connector *tiktok(void)
{
    const struct connector *c = connector_find("tiktok");
    assert_non_null(c);
    return c;
}

static json_t *fake_state(struct tt *t, const char *json)
{
    struct connect_request rq = {.method = "POST",
                                 .path = "/_fake/state",
                                 .content_type = "application/json",
                                 .body = json,
                                 .body_len = strlen(json)};
    struct connect_response r;
    struct error err = {0};
    assert_int_equal(connect_http_send(t->f.http, &rq, &r, &err), 0);
    assert_int_equal(r.status, 200);
    json_t *j = json_loadb(r.body.data, r.body.len, 0, NULL);
    assert_non_null(j);
    connect_response_free(&r);
    return j;
}

static int logged(struct fake_platform *f, const char *method, const char *prefix)
{
    json_t *log = fake_log(f), *e;
    size_t i;
    int n = 0;
    json_array_foreach (log, i, e) {
        if (str_eq(json_string_value(json_object_get(e, "method")), method) &&
            str_starts_with(json_string_value(json_object_get(e, "path")), prefix))
            n++;
    }
    json_decref(log);
    return n;
}

static json_t *last_request(struct fake_platform *f, const char *prefix)
{
    json_t *log = fake_log(f), *e, *found = NULL;
    size_t i;
    json_array_foreach (log, i, e) {
        if (str_starts_with(json_string_value(json_object_get(e, "path")), prefix))
            found = e;
    }
    json_incref(found);
    json_decref(log);
    return found;
}

/* Consents on the fake's screen as a person would; the code from the
 * redirect into code (128 bytes). */
static void consent(struct tt *t, const char *state, const char *challenge, char *code)
{
    struct buf url = {0};
    struct error err = {0};
    assert_int_equal(tiktok()->authorize_url(&t->s, state, challenge, &url, &err), 0);
    assert_non_null(strstr(url.data, "client_key=kanal-tt"));
    struct connect_response r;
    assert_int_equal(connect_http_get(t->f.http, url.data, NULL, &r, &err), 0);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body.data, "video.publish")); /* the scopes are shown */
    connect_response_free(&r);
    struct buf form = {0};
    buf_printf(&form, "%s&decision=allow", strchr(url.data, '?') + 1);
    struct connect_request rq = {.method = "POST",
                                 .path = "/v2/auth/authorize/",
                                 .content_type = "application/x-www-form-urlencoded",
                                 .body = form.data,
                                 .body_len = form.len};
    assert_int_equal(connect_http_send(t->f.http, &rq, &r, &err), 0);
    assert_int_equal(r.status, 302);
    const char *p = strstr(r.body.data, "code=");
    assert_non_null(p);
    p += strlen("code=");
    snprintf(code, 128, "%.*s", (int)strcspn(p, "&'"), p);
    connect_response_free(&r);
    buf_free(&url);
    buf_free(&form);
}

static void connect_tt(struct tt *t)
{
    memset(t, 0, sizeof *t);
    fake_start(&t->f, "tiktok");
    snprintf(t->auth_url, sizeof t->auth_url, "%s/v2/auth/authorize/", t->f.url);
    t->cfg = (struct connect_platform_config){.api_url = t->f.url,
                                              .auth_url = t->auth_url,
                                              .client_id = "kanal-tt",
                                              .client_secret = "tt-secret",
                                              .redirect_uri = REDIRECT};
    struct error err = {0};
    struct connect_http_config hc = {.base_url = t->f.url, .timeout_ms = 5000};
    t->s.http = connect_http_new(&hc, &err);
    assert_non_null(t->s.http);
    t->s.cfg = &t->cfg;
    t->s.now = time_now();
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, (const unsigned char *)VERIFIER, strlen(VERIFIER));
    char challenge[64], code[128];
    sodium_bin2base64(challenge, sizeof challenge, h, sizeof h,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    consent(t, "st-1", challenge, code);
    struct connect_result res = {0};
    int n = 0;
    assert_int_equal(tiktok()->exchange(&t->s, code, VERIFIER, &t->tok, &t->acc, 4, &n, &res), 0);
    assert_int_equal(n, 1);
    t->s.tokens = &t->tok;
    t->s.account_id = t->acc.id;
    t->s.account_handle = t->acc.handle;
}

static void disconnect_tt(struct tt *t)
{
    channel_tokens_clear(&t->tok);
    connect_http_free(t->s.http);
    fake_stop(&t->f);
}

/* ---- a sink that imports into an in-memory database ------------------------------------ */

struct dbsink {
    struct sync_sink sink;
    struct db *db;
    int64_t ws, channel, taken_at;
    json_t *cursors;
    struct ingest_counts counts;
};

static int sink_page(struct sync_sink *s, enum ingest_format format, const char *what,
                     const char *data, size_t len, int64_t *added, struct error *err)
{
    struct dbsink *d = s->ctx;
    assert_int_equal(format, INGEST_TIKTOK_API);
    struct import_job job = {.db = d->db,
                             .target = {.workspace_id = d->ws, .channel_id = d->channel},
                             .format = format,
                             .filename = what,
                             .opts = {.taken_at = d->taken_at}};
    if (ingest_import(&job, data, len, &d->counts, err) < 0)
        return -1;
    if (added)
        *added = 0;
    return 0;
}

static const char *sink_get(struct sync_sink *s, const char *resource)
{
    struct dbsink *d = s->ctx;
    return json_string_value(json_object_get(d->cursors, resource));
}

static int sink_set(struct sync_sink *s, const char *resource, const char *value, struct error *err)
{
    struct dbsink *d = s->ctx;
    json_object_set_new(d->cursors, resource, json_string(value));
    return 0;
}

static void dbsink_init(struct dbsink *d, const struct connect_account *acc)
{
    memset(d, 0, sizeof *d);
    struct error err = {0};
    d->db = db_open(":memory:", &err);
    assert_non_null(d->db);
    log_set_level(LOG_QUIET);
    assert_true(db_migrate(d->db, &err) >= 1);
    assert_int_equal(workspace_default(d->db, &d->ws, &err), 0);
    json_t *in = json_pack("{s:s, s:s, s:s, s:s}", "platform", "tiktok", "handle", acc->handle,
                           "name", acc->name, "platform_id", acc->id);
    json_t *ch = entity_create(d->db, &entity_channel, d->ws, in, NULL, &err);
    json_decref(in);
    assert_non_null(ch);
    d->channel = json_integer_value(json_object_get(ch, "id"));
    json_decref(ch);
    d->taken_at = 1764900000;
    d->cursors = json_object();
    d->sink = (struct sync_sink){
        .page = sink_page, .cursor_get = sink_get, .cursor_set = sink_set, .ctx = d};
}

static void dbsink_free(struct dbsink *d)
{
    json_decref(d->cursors);
    db_close(d->db);
}

static int64_t rows(struct db *db, const char *sql)
{
    int64_t n = -1;
    struct error err = {0};
    assert_int_equal(db_scalar(db, &err, &n, sql, ""), 1);
    return n;
}

/* ---- tests ------------------------------------------------------------------------------ */

static void test_login_kit(void **state)
{
    (void)state;
    struct tt t;
    connect_tt(&t);
    assert_string_equal(t.acc.id, "helsinginkaupunki");
    assert_string_equal(t.acc.handle, "@helsinginkaupunki");
    assert_string_equal(t.acc.name, "Helsingin kaupunki");
    assert_non_null(t.tok.refresh_token);
    assert_true(t.tok.expires_at >= t.s.now + 86000 && t.tok.expires_at <= t.s.now + 86500);
    json_t *tr = last_request(&t.f, "/v2/oauth/token");
    const char *body = json_string_value(json_object_get(tr, "body"));
    assert_non_null(strstr(body, "client_key=kanal-tt"));
    assert_non_null(strstr(body, "client_secret=tt-secret"));
    assert_non_null(strstr(body, "grant_type=authorization_code"));
    assert_non_null(strstr(body, "code_verifier="));
    json_decref(tr);

    /* Refresh: new tokens; the old refresh token is what was sent. */
    struct channel_tokens fresh = {0};
    struct connect_result res = {0};
    assert_int_equal(tiktok()->refresh(&t.s, &fresh, &res), 0);
    assert_string_not_equal(fresh.access_token, t.tok.access_token);
    tr = last_request(&t.f, "/v2/oauth/token");
    assert_non_null(
        strstr(json_string_value(json_object_get(tr, "body")), "grant_type=refresh_token"));
    json_decref(tr);
    channel_tokens_clear(&fresh);

    /* A revoked refresh token: TikTok's invalid_grant asks for reconnecting. */
    json_decref(fake_state(&t, "{\"revoke\": true}"));
    memset(&res, 0, sizeof res);
    assert_int_equal(tiktok()->refresh(&t.s, &fresh, &res), -1);
    assert_int_equal(res.outcome, CO_AUTH);
    assert_string_equal(res.code, "invalid_grant");
    assert_null(strstr(res.message, t.tok.refresh_token));
    disconnect_tt(&t);
}

static void test_sync(void **state)
{
    (void)state;
    struct tt t;
    connect_tt(&t);
    /* 3 videos from the start and 40 more: three pages of at most 20. */
    json_decref(fake_state(&t, "{\"seed_videos\": 40}"));
    struct dbsink d;
    dbsink_init(&d, &t.acc);
    struct connect_result res = {0};
    assert_int_equal(tiktok()->sync(&t.s, &d.sink, &res), 0);
    assert_int_equal(rows(d.db, "SELECT count(*) FROM post_variants"), 43);
    assert_int_equal(rows(d.db, "SELECT count(*) FROM post_metrics"), 43);
    assert_int_equal(rows(d.db, "SELECT count(*) FROM channel_metrics"), 1);
    assert_int_equal(logged(&t.f, "POST", "/v2/video/list"), 3);
    json_t *rq = last_request(&t.f, "/v2/video/list");
    assert_non_null(strstr(json_string_value(json_object_get(rq, "body")), "\"cursor\""));
    json_decref(rq);
    assert_non_null(sink_get(&d.sink, "videos"));

    /* Later: one new video; the window of recent ones gets fresh counts
     * (every video here is recent), nothing is a new post but the one. */
    json_decref(fake_state(&t, "{\"seed_videos\": 1}"));
    d.taken_at += 3600;
    assert_int_equal(tiktok()->sync(&t.s, &d.sink, &res), 0);
    assert_int_equal(rows(d.db, "SELECT count(*) FROM post_variants"), 44);
    assert_int_equal(rows(d.db, "SELECT count(*) FROM post_metrics"), 43 + 44);
    dbsink_free(&d);
    disconnect_tt(&t);
}

static void test_errors_and_rate_limit(void **state)
{
    (void)state;
    struct tt t;
    connect_tt(&t);
    struct dbsink d;
    dbsink_init(&d, &t.acc);
    struct connect_result res = {0};

    /* The per-minute window used up: 429 and rate_limit_exceeded. */
    json_decref(fake_state(&t, "{\"limits\": {\"POST /v2/video/list/\": 0}}"));
    assert_int_equal(tiktok()->sync(&t.s, &d.sink, &res), -1);
    assert_int_equal(res.outcome, CO_RATE);
    assert_string_equal(res.code, "rate_limit_exceeded");
    assert_true(res.retry_at > 0);
    json_decref(fake_state(&t, "{\"limits\": {\"POST /v2/video/list/\": 600}}"));

    /* TikTok's error body as documented, whatever the status. */
    fake_control(&t.f, "/_fake/script",
                 "{\"path\": \"/v2/user/info/\", \"status\": 400, \"body\": {\"data\": {}, "
                 "\"error\": {\"code\": \"scope_not_authorized\", \"message\": \"The user did "
                 "not authorize the scope\", \"log_id\": \"x\"}}}");
    memset(&res, 0, sizeof res);
    assert_int_equal(tiktok()->sync(&t.s, &d.sink, &res), -1);
    assert_int_equal(res.outcome, CO_AUTH);
    assert_non_null(strstr(res.message, "did not authorize"));

    /* An expired token. */
    json_decref(fake_state(&t, "{\"expire_access\": true}"));
    memset(&res, 0, sizeof res);
    assert_int_equal(tiktok()->sync(&t.s, &d.sink, &res), -1);
    assert_int_equal(res.outcome, CO_AUTH);
    assert_string_equal(res.code, "access_token_invalid");
    assert_int_equal(res.status, 401);

    /* TikTok's own trouble: try again later. */
    fake_control(&t.f, "/_fake/script",
                 "{\"path\": \"/v2/user/info/\", \"status\": 500, \"body\": {\"data\": {}, "
                 "\"error\": {\"code\": \"internal_error\", \"message\": \"Something went "
                 "wrong\", \"log_id\": \"x\"}}}");
    memset(&res, 0, sizeof res);
    assert_int_equal(tiktok()->sync(&t.s, &d.sink, &res), -1);
    assert_int_equal(res.outcome, CO_TEMPORARY);
    dbsink_free(&d);
    disconnect_tt(&t);
}

static void test_publish(void **state)
{
    (void)state;
    struct tt t;
    connect_tt(&t);
    struct connect_result res = {0};
    struct connect_done done;
    struct connect_action photo = {.kind = ACT_PUBLISH,
                                   .text = "Uimarannat aukeavat 1.6.",
                                   .link = "https://media.example.org/ranta.jpg"};
    assert_int_equal(tiktok()->act(&t.s, &photo, &done, &res), 0);
    assert_true(strlen(done.id) >= 19);
    json_t *rq = last_request(&t.f, "/v2/post/publish/content/init");
    const char *b = json_string_value(json_object_get(rq, "body"));
    assert_non_null(strstr(b, "\"PULL_FROM_URL\""));
    assert_non_null(strstr(b, "\"PHOTO\""));
    assert_non_null(strstr(b, "\"PUBLIC_TO_EVERYONE\""));
    json_decref(rq);
    assert_int_equal(logged(&t.f, "POST", "/v2/post/publish/creator_info/query"), 1);
    assert_int_equal(logged(&t.f, "POST", "/v2/post/publish/status/fetch"), 1);

    struct connect_action video = {
        .kind = ACT_PUBLISH, .text = "Joulukatu", .link = "https://media.example.org/joulu.mp4"};
    assert_int_equal(tiktok()->act(&t.s, &video, &done, &res), 0);
    assert_int_equal(logged(&t.f, "POST", "/v2/post/publish/video/init"), 1);

    /* What TikTok cannot do, and what it refuses. */
    struct connect_action text_only = {.kind = ACT_PUBLISH, .text = "Hei"};
    assert_int_equal(tiktok()->act(&t.s, &text_only, &done, &res), -1);
    assert_int_equal(res.outcome, CO_REJECTED);
    struct connect_action hide = {.kind = ACT_HIDE, .target = "1"};
    assert_int_equal(tiktok()->act(&t.s, &hide, &done, &res), -1);
    assert_int_equal(res.outcome, CO_REJECTED);
    assert_false(tiktok()->actions & (1u << ACT_HIDE));
    json_decref(fake_state(&t, "{\"spam\": true}"));
    memset(&res, 0, sizeof res);
    assert_int_equal(tiktok()->act(&t.s, &photo, &done, &res), -1);
    assert_int_equal(res.outcome, CO_REJECTED);
    assert_string_equal(res.code, "spam_risk_too_many_posts");
    assert_non_null(strstr(res.message, "daily post cap"));
    disconnect_tt(&t);
}

static void test_lost_publish(void **state)
{
    (void)state;
    struct tt t;
    connect_tt(&t);
    json_t *st = fake_state(&t, "{}");
    int64_t before = json_integer_value(json_object_get(st, "videos"));
    json_decref(st);
    fake_control(&t.f, "/_fake/script",
                 "{\"method\": \"POST\", \"path\": \"/v2/post/publish/content/init\", "
                 "\"drop\": true, \"after\": true}");
    struct connect_action a = {.kind = ACT_PUBLISH,
                               .text = "Kadonnut vastaus",
                               .link = "https://media.example.org/a.jpg",
                               .first_sent_at = time_now()};
    struct connect_done done;
    struct connect_result res = {0};
    assert_int_equal(tiktok()->act(&t.s, &a, &done, &res), -1);
    assert_int_equal(res.outcome, CO_LOST);
    /* It was posted: the lookup finds it, so it is not sent again. */
    assert_int_equal(tiktok()->lookup(&t.s, &a, &done, &res), 1);
    assert_true(strlen(done.id) >= 19);
    assert_non_null(strstr(done.permalink, done.id));
    st = fake_state(&t, "{}");
    assert_int_equal(json_integer_value(json_object_get(st, "videos")), before + 1);
    json_decref(st);
    /* Another text was not. */
    struct connect_action other = a;
    other.text = "Ei koskaan l\xC3\xA4hetetty";
    assert_int_equal(tiktok()->lookup(&t.s, &other, &done, &res), 0);
    disconnect_tt(&t);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_login_kit),
        cmocka_unit_test(test_sync),
        cmocka_unit_test(test_errors_and_rate_limit),
        cmocka_unit_test(test_publish),
        cmocka_unit_test(test_lost_publish),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
