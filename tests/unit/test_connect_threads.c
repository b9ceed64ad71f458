/* Unit tests for the Threads connector (connect/threads.c) against the
 * Threads fake (tests/fakes/threads.py): the consent, the code for a
 * short-lived token and that for a long-lived one, refresh, the sync of
 * threads (paged), their conversations and insights and the follower count
 * (a second sync adds only snapshots), Meta's error bodies mapped to
 * outcomes, publishing in two steps, reply, hide, unhide and delete, and a
 * publish whose answer was lost looked up rather than sent twice. */
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

struct th {
    struct fake_platform f;
    char auth_url[96];
    struct connect_platform_config cfg;
    struct connect_session s;
    struct channel_tokens tok;
    struct connect_account acc;
};

static const struct connector *threads(void)
{
    const struct connector *c = connector_find("threads");
    assert_non_null(c);
    return c;
}

static json_t *fake_state(struct th *t, const char *json)
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

/* Requests to exactly that path: Threads' paths share their beginnings. */
static int logged(struct fake_platform *f, const char *method, const char *prefix)
{
    json_t *log = fake_log(f), *e;
    size_t i;
    int n = 0;
    json_array_foreach (log, i, e) {
        if (str_eq(json_string_value(json_object_get(e, "method")), method) &&
            str_eq(json_string_value(json_object_get(e, "path")), prefix))
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
        if (str_eq(json_string_value(json_object_get(e, "path")), prefix))
            found = e;
    }
    json_incref(found);
    json_decref(log);
    return found;
}

/* Consents on the fake's screen as a person would; the code from the
 * redirect into code (128 bytes). */
static void consent(struct th *t, const char *state, const char *challenge, char *code)
{
    struct buf url = {0};
    struct error err = {0};
    assert_int_equal(threads()->authorize_url(&t->s, state, challenge, &url, &err), 0);
    assert_non_null(strstr(url.data, "client_id=kanal-threads"));
    struct connect_response r;
    assert_int_equal(connect_http_get(t->f.http, url.data, NULL, &r, &err), 0);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body.data, "threads_manage_replies")); /* the scopes are shown */
    connect_response_free(&r);
    struct buf form = {0};
    buf_printf(&form, "%s&decision=allow", strchr(url.data, '?') + 1);
    struct connect_request rq = {.method = "POST",
                                 .path = "/oauth/authorize",
                                 .content_type = "application/x-www-form-urlencoded",
                                 .body = form.data,
                                 .body_len = form.len};
    assert_int_equal(connect_http_send(t->f.http, &rq, &r, &err), 0);
    assert_int_equal(r.status, 302);
    const char *p = strstr(r.body.data, "code=");
    assert_non_null(p);
    p += strlen("code=");
    snprintf(code, 128, "%.*s", (int)strcspn(p, "&'#"), p);
    connect_response_free(&r);
    buf_free(&url);
    buf_free(&form);
}

static void connect_th(struct th *t)
{
    memset(t, 0, sizeof *t);
    fake_start(&t->f, "threads");
    snprintf(t->auth_url, sizeof t->auth_url, "%s/oauth/authorize", t->f.url);
    t->cfg = (struct connect_platform_config){.api_url = t->f.url,
                                              .auth_url = t->auth_url,
                                              .client_id = "kanal-threads",
                                              .client_secret = "th-secret",
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
    assert_int_equal(threads()->exchange(&t->s, code, VERIFIER, &t->tok, &t->acc, 4, &n, &res), 0);
    assert_int_equal(n, 1);
    t->s.tokens = &t->tok;
    t->s.account_id = t->acc.id;
    t->s.account_handle = t->acc.handle;
}

static void disconnect_th(struct th *t)
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
    assert_int_equal(format, INGEST_THREADS);
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
    json_t *in = json_pack("{s:s, s:s, s:s, s:s}", "platform", "threads", "handle", acc->handle,
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

static void test_oauth(void **state)
{
    (void)state;
    struct th t;
    connect_th(&t);
    assert_string_equal(t.acc.id, "17841400000000001");
    assert_string_equal(t.acc.handle, "@kanal_desk");
    assert_null(t.tok.refresh_token); /* the long-lived token refreshes itself */
    assert_true(t.tok.expires_at >= t.s.now + 5184000 - 60);
    assert_false(threads()->pkce);
    /* The code, then th_exchange_token: the long-lived token is the one kept. */
    json_t *tr = last_request(&t.f, "/oauth/access_token");
    const char *body = json_string_value(json_object_get(tr, "body"));
    assert_non_null(strstr(body, "grant_type=authorization_code"));
    assert_non_null(strstr(body, "client_secret=th-secret"));
    json_decref(tr);
    tr = last_request(&t.f, "/access_token");
    assert_string_equal(json_string_value(json_array_get(
                            json_object_get(json_object_get(tr, "query"), "grant_type"), 0)),
                        "th_exchange_token");
    json_decref(tr);

    struct channel_tokens fresh = {0};
    struct connect_result res = {0};
    assert_int_equal(threads()->refresh(&t.s, &fresh, &res), 0);
    assert_string_not_equal(fresh.access_token, t.tok.access_token);
    channel_tokens_clear(&fresh);

    /* Expired: Meta's 190 asks for reconnecting, in Meta's words. */
    json_decref(fake_state(&t, "{\"expire\": true}"));
    memset(&res, 0, sizeof res);
    assert_int_equal(threads()->refresh(&t.s, &fresh, &res), -1);
    assert_int_equal(res.outcome, CO_AUTH);
    assert_string_equal(res.code, "190");
    assert_non_null(strstr(res.message, "Session has expired"));
    assert_null(strstr(res.message, t.tok.access_token));
    disconnect_th(&t);
}

static void test_sync(void **state)
{
    (void)state;
    struct th t;
    connect_th(&t);
    /* 3 threads and 30 more: two pages of 25. */
    json_decref(fake_state(&t, "{\"seed_threads\": 30, \"seed_replies\": 2}"));
    struct dbsink d;
    dbsink_init(&d, &t.acc);
    struct connect_result res = {0};
    assert_int_equal(threads()->sync(&t.s, &d.sink, &res), 0);
    assert_int_equal(rows(d.db, "SELECT count(*) FROM post_variants"), 33);
    assert_int_equal(rows(d.db, "SELECT count(*) FROM post_metrics"), 33);
    assert_int_equal(rows(d.db, "SELECT count(*) FROM messages"), 4);
    assert_int_equal(rows(d.db, "SELECT count(*) FROM channel_metrics"), 1);
    assert_int_equal(logged(&t.f, "GET", "/v1.0/17841400000000001/threads"), 2);
    assert_non_null(sink_get(&d.sink, "threads"));

    /* Again, later: fresh snapshots of the recent threads, nothing new. */
    d.taken_at += 3600;
    assert_int_equal(threads()->sync(&t.s, &d.sink, &res), 0);
    assert_int_equal(rows(d.db, "SELECT count(*) FROM post_variants"), 33);
    assert_int_equal(rows(d.db, "SELECT count(*) FROM messages"), 4);
    assert_true(rows(d.db, "SELECT count(*) FROM post_metrics") > 33);
    json_t *rq = last_request(&t.f, "/v1.0/17841400000000001/threads");
    assert_non_null(json_object_get(json_object_get(rq, "query"), "since"));
    json_decref(rq);

    /* The call budget used up: Meta's 17, a rate limit. */
    json_decref(fake_state(&t, "{\"limit\": 0}"));
    memset(&res, 0, sizeof res);
    assert_int_equal(threads()->sync(&t.s, &d.sink, &res), -1);
    assert_int_equal(res.outcome, CO_RATE);
    assert_string_equal(res.code, "17");
    json_decref(fake_state(&t, "{\"limit\": null}"));
    dbsink_free(&d);
    disconnect_th(&t);
}

static void test_actions(void **state)
{
    (void)state;
    struct th t;
    connect_th(&t);
    struct connect_result res = {0};
    struct connect_done done;
    struct connect_action pub = {.kind = ACT_PUBLISH,
                                 .text = "Simhallen \xC3\xB6ppnar igen",
                                 .link = "https://example.org/simhallen"};
    assert_int_equal(threads()->act(&t.s, &pub, &done, &res), 0);
    assert_true(*done.id);
    json_t *c = last_request(&t.f, "/v1.0/17841400000000001/threads");
    const char *b = json_string_value(json_object_get(c, "body"));
    assert_non_null(strstr(b, "media_type=TEXT"));
    assert_non_null(strstr(b, "link_attachment=https"));
    json_decref(c);
    assert_int_equal(logged(&t.f, "POST", "/v1.0/17841400000000001/threads_publish"), 1);

    struct connect_action img = {
        .kind = ACT_PUBLISH, .text = "Bild", .link = "https://media.example.org/bild.jpg"};
    assert_int_equal(threads()->act(&t.s, &img, &done, &res), 0);
    c = last_request(&t.f, "/v1.0/17841400000000001/threads");
    assert_non_null(strstr(json_string_value(json_object_get(c, "body")), "media_type=IMAGE"));
    json_decref(c);

    /* Reply to the first reply of the thread with replies, then hide and
     * unhide that reply, delete our own. */
    json_t *log = fake_log(&t.f);
    json_decref(log);
    const char *target = "18050206876700004"; /* the fake's first reply */
    struct connect_action reply = {.kind = ACT_REPLY, .target = target, .text = "Klockan tio!"};
    assert_int_equal(threads()->act(&t.s, &reply, &done, &res), 0);
    char mine[128];
    snprintf(mine, sizeof mine, "%s", done.id);
    c = last_request(&t.f, "/v1.0/17841400000000001/threads");
    assert_non_null(strstr(json_string_value(json_object_get(c, "body")), "reply_to_id="));
    json_decref(c);
    struct connect_action hide = {.kind = ACT_HIDE, .target = target};
    assert_int_equal(threads()->act(&t.s, &hide, &done, &res), 0);
    json_t *st = fake_state(&t, "{}");
    assert_string_equal(json_string_value(json_array_get(json_object_get(st, "hidden"), 0)),
                        target);
    json_decref(st);
    assert_int_equal(threads()->lookup(&t.s, &hide, &done, &res), 1);
    struct connect_action unhide = {.kind = ACT_UNHIDE, .target = target};
    assert_int_equal(threads()->act(&t.s, &unhide, &done, &res), 0);
    st = fake_state(&t, "{}");
    assert_int_equal(json_array_size(json_object_get(st, "hidden")), 0);
    json_decref(st);
    struct connect_action del = {.kind = ACT_DELETE_MESSAGE, .target = mine};
    assert_int_equal(threads()->act(&t.s, &del, &done, &res), 0);
    assert_int_equal(threads()->lookup(&t.s, &del, &done, &res), 1); /* gone: done */

    /* Meta's 100 for a text over 500 characters: refused as it stands. */
    char long_text[600];
    memset(long_text, 'a', sizeof long_text - 1);
    long_text[sizeof long_text - 1] = '\0';
    struct connect_action too_long = {.kind = ACT_PUBLISH, .text = long_text};
    memset(&res, 0, sizeof res);
    assert_int_equal(threads()->act(&t.s, &too_long, &done, &res), -1);
    assert_int_equal(res.outcome, CO_REJECTED);
    assert_string_equal(res.code, "100");
    assert_non_null(strstr(res.message, "500 characters"));
    disconnect_th(&t);
}

static void test_lost_publish(void **state)
{
    (void)state;
    struct th t;
    connect_th(&t);
    json_t *st = fake_state(&t, "{}");
    int64_t before = json_integer_value(json_object_get(st, "threads"));
    json_decref(st);
    fake_control(&t.f, "/_fake/script",
                 "{\"method\": \"POST\", \"path\": \"/v1.0/17841400000000001/threads_publish\", "
                 "\"drop\": true, \"after\": true}");
    struct connect_action a = {
        .kind = ACT_PUBLISH, .text = "Svaret gick f\xC3\xB6rlorat", .first_sent_at = time_now()};
    struct connect_done done;
    struct connect_result res = {0};
    assert_int_equal(threads()->act(&t.s, &a, &done, &res), -1);
    assert_int_equal(res.outcome, CO_LOST);
    assert_int_equal(threads()->lookup(&t.s, &a, &done, &res), 1);
    assert_true(*done.id);
    assert_non_null(strstr(done.permalink, "threads.net"));
    st = fake_state(&t, "{}");
    assert_int_equal(json_integer_value(json_object_get(st, "threads")), before + 1);
    json_decref(st);
    struct connect_action other = a;
    other.text = "Aldrig skickad";
    assert_int_equal(threads()->lookup(&t.s, &other, &done, &res), 0);
    disconnect_th(&t);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_oauth),
        cmocka_unit_test(test_sync),
        cmocka_unit_test(test_actions),
        cmocka_unit_test(test_lost_publish),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
