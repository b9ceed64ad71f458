/* Unit tests for the LinkedIn connector (connect/linkedin.c) against the
 * LinkedIn fake (tests/fakes/linkedin.py): the 3-legged consent and token
 * requests (one login, every page the member administers), refresh, the
 * version headers every call sends, the sync (followers, posts with
 * start/count paging, share statistics, comments) and a second sync adding
 * only snapshots, LinkedIn's errors mapped to outcomes (401, 422 duplicate,
 * 429, an expired refresh token), actions, and a lost post looked up rather
 * than sent twice. */
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
#define CLIENT   "kanal-li"

struct li {
    struct fake_platform f;
    char auth_url[96], token_url[96];
    struct connect_platform_config cfg;
    struct connect_session s;
    struct channel_tokens tok;
    struct connect_account acc;
};

static const struct connector *li(void)
{
    const struct connector *c = connector_find("linkedin");
    assert_non_null(c);
    return c;
}

/* The fake's state (its answer to /_fake/state with `json`); caller decrefs. */
static json_t *fake_state(struct li *t, const char *json)
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

static int64_t state_int(struct li *t, const char *name)
{
    json_t *st = fake_state(t, "{}");
    int64_t n = json_integer_value(json_object_get(st, name));
    json_decref(st);
    return n;
}

/* The requests the fake was sent to paths starting with `prefix`. */
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

/* The last logged request to `prefix` (a new reference), or NULL. */
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

static const char *query_arg(json_t *req, const char *name)
{
    return json_string_value(
        json_array_get(json_object_get(json_object_get(req, "query"), name), 0));
}

/* ---- a sink that imports into an in-memory database ------------------------------- */

struct dbsink {
    struct sync_sink sink;
    struct db *db;
    int64_t ws, channel, taken_at;
    json_t *cursors;
    json_t *pages; /* the bytes of every page, in order */
    int npages;
};

static int sink_page(struct sync_sink *s, enum ingest_format format, const char *what,
                     const char *data, size_t len, int64_t *added, struct error *err)
{
    struct dbsink *d = s->ctx;
    assert_int_equal(format, INGEST_LINKEDIN_API);
    struct ingest_counts c = {0};
    struct import_job job = {.db = d->db,
                             .target = {.workspace_id = d->ws, .channel_id = d->channel},
                             .format = format,
                             .filename = what,
                             .opts = {.taken_at = d->taken_at}};
    if (ingest_import(&job, data, len, &c, err) < 0)
        return -1;
    json_array_append_new(d->pages, json_stringn(data, len));
    d->npages++;
    if (added)
        *added = c.inserted[IE_POSTS] + c.inserted[IE_MESSAGES] + c.inserted[IE_METRICS] +
                 c.inserted[IE_CHANNEL_METRICS];
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
    if (value)
        json_object_set_new(d->cursors, resource, json_string(value));
    else
        json_object_del(d->cursors, resource);
    return 0;
}

static struct db *fresh_db(int64_t *ws)
{
    struct error err = {0};
    struct db *db = db_open(":memory:", &err);
    assert_non_null(db);
    log_set_level(LOG_QUIET);
    assert_true(db_migrate(db, &err) >= 1);
    assert_int_equal(workspace_default(db, ws, &err), 0);
    return db;
}

static int64_t add_channel(struct db *db, int64_t ws, const struct connect_account *acc)
{
    struct error err = {0};
    json_t *in = json_pack("{s:s, s:s, s:s, s:s}", "platform", "linkedin", "handle", acc->handle,
                           "name", acc->name, "platform_id", acc->id);
    json_t *ch = entity_create(db, &entity_channel, ws, in, NULL, &err);
    json_decref(in);
    assert_non_null(ch);
    int64_t id = json_integer_value(json_object_get(ch, "id"));
    json_decref(ch);
    return id;
}

static void dbsink_init(struct dbsink *d, const struct connect_account *acc)
{
    memset(d, 0, sizeof *d);
    d->db = fresh_db(&d->ws);
    d->channel = add_channel(d->db, d->ws, acc);
    d->taken_at = 1764900000;
    d->cursors = json_object();
    d->pages = json_array();
    d->sink = (struct sync_sink){
        .page = sink_page, .cursor_get = sink_get, .cursor_set = sink_set, .ctx = d};
}

static void dbsink_free(struct dbsink *d)
{
    json_decref(d->cursors);
    json_decref(d->pages);
    db_close(d->db);
}

static int64_t rows(struct db *db, const char *sql)
{
    int64_t n = -1;
    struct error err = {0};
    assert_int_equal(db_scalar(db, &err, &n, sql, ""), 1);
    return n;
}

static void setup_client(struct li *t)
{
    snprintf(t->auth_url, sizeof t->auth_url, "%s/oauth/v2/authorization", t->f.url);
    snprintf(t->token_url, sizeof t->token_url, "%s/oauth/v2/accessToken", t->f.url);
    t->cfg = (struct connect_platform_config){.api_url = t->f.url,
                                              .auth_url = t->auth_url,
                                              .token_url = t->token_url,
                                              .client_id = CLIENT,
                                              .client_secret = "li-secret",
                                              .redirect_uri = REDIRECT};
    struct error err = {0};
    struct connect_http_config hc = {.base_url = t->f.url, .timeout_ms = 3000};
    t->s.http = connect_http_new(&hc, &err);
    assert_non_null(t->s.http);
    t->s.cfg = &t->cfg;
    t->s.now = time_now();
}

/* Goes through the consent screen as a person would ("Allow") and returns
 * the code from the redirect (out: 128 bytes). */
static void consent(struct li *t, const char *state, const char *challenge, char *code)
{
    struct buf url = {0};
    struct error err = {0};
    assert_int_equal(li()->authorize_url(&t->s, state, challenge, &url, &err), 0);
    struct connect_response r;
    assert_int_equal(connect_http_get(t->f.http, url.data, NULL, &r, &err), 0);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body.data, "w_organization_social")); /* the scopes are shown */
    connect_response_free(&r);
    struct buf form = {0};
    buf_printf(&form, "%s&decision=allow", strchr(url.data, '?') + 1);
    struct connect_request rq = {.method = "POST",
                                 .path = "/oauth/v2/authorization",
                                 .content_type = "application/x-www-form-urlencoded",
                                 .body = form.data,
                                 .body_len = form.len};
    assert_int_equal(connect_http_send(t->f.http, &rq, &r, &err), 0);
    assert_int_equal(r.status, 302);
    /* LinkedIn sends ?code=...&state=... back. */
    char want[64];
    snprintf(want, sizeof want, "&amp;state=%s\"", state);
    assert_non_null(strstr(r.body.data, want));
    const char *p = strstr(r.body.data, "?code=");
    assert_non_null(p);
    p += strlen("?code=");
    char enc[128];
    snprintf(enc, sizeof enc, "%.*s", (int)strcspn(p, "\"&<"), p);
    size_t j = 0;
    for (size_t i = 0; enc[i] && j < 127; i++) {
        if (enc[i] == '%' && enc[i + 1] && enc[i + 2]) {
            unsigned v;
            sscanf(enc + i + 1, "%2x", &v);
            code[j++] = (char)v;
            i += 2;
        } else
            code[j++] = enc[i];
    }
    code[j] = '\0';
    connect_response_free(&r);
    buf_free(&url);
    buf_free(&form);
}

static void connect_li(struct li *t)
{
    memset(t, 0, sizeof *t);
    fake_start(&t->f, "linkedin");
    setup_client(t);
    char code[128];
    consent(t, "st-1", NULL, code);
    struct connect_result res = {0};
    int n = 0;
    struct channel_tokens toks[4] = {0};
    struct connect_account accs[4] = {0};
    assert_int_equal(li()->exchange(&t->s, code, NULL, toks, accs, 4, &n, &res), 0);
    assert_int_equal(n, 2); /* both pages the member administers */
    t->tok = toks[0];
    t->acc = accs[0];
    assert_string_equal(accs[1].id, "urn:li:organization:1337");
    assert_string_equal(accs[1].handle, "kanal-labs");
    channel_tokens_clear(&toks[1]);
    t->s.tokens = &t->tok;
    t->s.account_id = t->acc.id;
    t->s.account_handle = t->acc.handle;
}

static void disconnect_li(struct li *t)
{
    channel_tokens_clear(&t->tok);
    connect_http_free(t->s.http);
    fake_stop(&t->f);
}

static int64_t state_len(struct li *t, const char *name)
{
    json_t *st = fake_state(t, "{}");
    int64_t n = (int64_t)json_array_size(json_object_get(st, name));
    json_decref(st);
    return n;
}

/* ---- OAuth ------------------------------------------------------------------------- */

static void test_oauth(void **state)
{
    (void)state;
    struct li t;
    connect_li(&t);
    assert_string_equal(t.acc.id, "urn:li:organization:2414183");
    assert_string_equal(t.acc.handle, "kanal-desk");
    assert_string_equal(t.acc.name, "Kanal Desk");
    assert_non_null(t.tok.refresh_token);
    assert_true(t.tok.expires_at > t.s.now + 59 * 86400);
    assert_string_equal(t.tok.scopes,
                        "r_organization_social w_organization_social rw_organization_admin");
    assert_false(li()->pkce);

    struct buf url = {0};
    struct error err = {0};
    assert_int_equal(li()->authorize_url(&t.s, "s1", NULL, &url, &err), 0);
    assert_non_null(strstr(url.data, "scope=r_organization_social%20w_organization_social"));
    assert_non_null(strstr(url.data, "response_type=code"));
    assert_null(strstr(url.data, "code_challenge"));
    buf_free(&url);

    /* Every /rest call names its version and Restli 2.0. */
    json_t *rq = last_request(&t.f, "/rest/organizations/");
    json_t *h = json_object_get(rq, "headers");
    assert_string_equal(json_string_value(json_object_get(h, "LinkedIn-Version")), "202411");
    assert_string_equal(json_string_value(json_object_get(h, "X-Restli-Protocol-Version")),
                        "2.0.0");
    json_decref(rq);
    rq = last_request(&t.f, "/oauth/v2/accessToken");
    const char *body = json_string_value(json_object_get(rq, "body"));
    assert_non_null(strstr(body, "client_secret=li-secret"));
    assert_non_null(strstr(body, "grant_type=authorization_code"));
    json_decref(rq);

    /* A code used twice: refused, the person connects again. */
    char code[128];
    consent(&t, "st-2", NULL, code);
    struct channel_tokens tk[2] = {0};
    struct connect_account ac[2];
    struct connect_result res = {0};
    int n = 0;
    assert_int_equal(li()->exchange(&t.s, code, NULL, tk, ac, 2, &n, &res), 0);
    channel_tokens_clear(&tk[0]);
    channel_tokens_clear(&tk[1]);
    res = (struct connect_result){0};
    assert_int_equal(li()->exchange(&t.s, code, NULL, tk, ac, 2, &n, &res), -1);
    assert_int_equal(res.outcome, CO_AUTH); /* spent or expired: consent again */
    assert_non_null(strstr(res.message, "authorization code"));

    /* Refresh keeps the refresh token; once revoked it is "needs reconnect". */
    struct channel_tokens fresh = {0};
    assert_int_equal(li()->refresh(&t.s, &fresh, &res), 0);
    assert_string_not_equal(fresh.access_token, t.tok.access_token);
    assert_string_equal(fresh.refresh_token, t.tok.refresh_token);
    channel_tokens_clear(&fresh);
    json_decref(fake_state(&t, "{\"revoke\": true}"));
    res = (struct connect_result){0};
    assert_int_equal(li()->refresh(&t.s, &fresh, &res), -1);
    assert_int_equal(res.outcome, CO_AUTH);
    assert_non_null(strstr(res.message, "expired or revoked"));
    disconnect_li(&t);
}

/* ---- sync -------------------------------------------------------------------------- */

static void test_sync(void **state)
{
    (void)state;
    struct li t;
    connect_li(&t);
    json_decref(fake_state(&t, "{\"seed_posts\": 60, \"seed_comments\": 3}"));
    int64_t nposts = state_int(&t, "posts"), ncomments = state_int(&t, "comments");
    struct dbsink d;
    dbsink_init(&d, &t.acc);
    struct connect_result res = {0};
    if (li()->sync(&t.s, &d.sink, &res) != 0)
        fail_msg("%s", res.message);
    assert_int_equal(logged(&t.f, "GET", "/rest/posts"), 2); /* 50, then the rest */
    json_t *rq = last_request(&t.f, "/rest/posts");
    assert_string_equal(query_arg(rq, "start"), "50");
    assert_string_equal(query_arg(rq, "author"), "urn:li:organization:2414183");
    json_decref(rq);
    assert_int_equal(logged(&t.f, "GET", "/rest/organizationalEntityShareStatistics"), 1);
    assert_int_equal(rows(d.db, "SELECT COUNT(*) FROM post_variants"), nposts);
    assert_int_equal(rows(d.db, "SELECT COUNT(*) FROM messages"), ncomments);
    assert_int_equal(rows(d.db, "SELECT COUNT(*) FROM channel_metrics WHERE followers = 1523"), 1);
    int64_t snapshots = rows(d.db, "SELECT COUNT(*) FROM post_metrics");
    assert_int_equal(snapshots, 50); /* the newest page's statistics */

    /* Again, later: one page of posts, new snapshots only. */
    fake_control(&t.f, "/_fake/reset", "{}");
    d.taken_at += 3600;
    assert_int_equal(li()->sync(&t.s, &d.sink, &res), 0);
    assert_int_equal(logged(&t.f, "GET", "/rest/posts"), 1);
    assert_int_equal(rows(d.db, "SELECT COUNT(*) FROM post_variants"), nposts);
    assert_int_equal(rows(d.db, "SELECT COUNT(*) FROM messages"), ncomments);
    assert_int_equal(rows(d.db, "SELECT COUNT(*) FROM post_metrics"), snapshots + 50);
    dbsink_free(&d);
    disconnect_li(&t);
}

/* ---- errors ------------------------------------------------------------------------ */

static void test_errors(void **state)
{
    (void)state;
    struct li t;
    connect_li(&t);
    struct dbsink d;
    dbsink_init(&d, &t.acc);
    struct connect_result res = {0};
    json_decref(fake_state(&t, "{\"calls_left\": 0}"));
    assert_int_equal(li()->sync(&t.s, &d.sink, &res), -1);
    assert_int_equal(res.outcome, CO_RATE);
    assert_non_null(strstr(res.message, "throttle"));
    json_decref(fake_state(&t, "{\"calls_left\": 100000}"));

    /* 422 duplicate: refused as it stands. */
    struct connect_action a = {.kind = ACT_PUBLISH, .text = "Hyvää huomenta!"};
    struct connect_done done;
    res = (struct connect_result){0};
    assert_int_equal(li()->act(&t.s, &a, &done, &res), -1);
    assert_int_equal(res.outcome, CO_REJECTED);
    assert_string_equal(res.code, "duplicate");
    assert_int_equal(res.status, 422);

    /* A version LinkedIn no longer serves would be 426: refused. */
    fake_control(&t.f, "/_fake/script",
                 "{\"path\": \"/rest/networkSizes\", \"status\": 426, \"body\": {\"status\": 426, "
                 "\"code\": \"NONEXISTENT_VERSION\", \"message\": \"Requested version 202301 is "
                 "not active\"}}");
    res = (struct connect_result){0};
    assert_int_equal(li()->sync(&t.s, &d.sink, &res), -1);
    assert_int_equal(res.outcome, CO_REJECTED);
    assert_string_equal(res.code, "NONEXISTENT_VERSION");

    /* 5xx: temporary. */
    fake_control(&t.f, "/_fake/script", "{\"path\": \"/rest/posts\", \"status\": 504}");
    res = (struct connect_result){0};
    assert_int_equal(li()->sync(&t.s, &d.sink, &res), -1);
    assert_int_equal(res.outcome, CO_TEMPORARY);

    /* Expired: 401 INVALID_ACCESS_TOKEN. */
    json_decref(fake_state(&t, "{\"expire_access\": true}"));
    res = (struct connect_result){0};
    assert_int_equal(li()->sync(&t.s, &d.sink, &res), -1);
    assert_int_equal(res.outcome, CO_AUTH);
    assert_string_equal(res.code, "INVALID_ACCESS_TOKEN");
    dbsink_free(&d);
    disconnect_li(&t);
}

/* ---- actions ----------------------------------------------------------------------- */

static void test_actions(void **state)
{
    (void)state;
    struct li t;
    connect_li(&t);
    struct connect_result res = {0};
    struct connect_done done;
    struct connect_action a = {
        .kind = ACT_PUBLISH, .text = "Vi söker sommarvikarier", .link = "https://example.org/jobb"};
    assert_int_equal(li()->act(&t.s, &a, &done, &res), 0);
    assert_true(str_starts_with(done.id, "urn:li:share:"));
    assert_non_null(strstr(done.permalink, done.id));
    json_t *rq = last_request(&t.f, "/rest/posts");
    json_t *body = json_loads(json_string_value(json_object_get(rq, "body")), 0, NULL);
    assert_string_equal(json_string_value(json_object_get(body, "author")), t.acc.id);
    assert_string_equal(
        json_string_value(json_object_get(
            json_object_get(json_object_get(body, "content"), "article"), "source")),
        "https://example.org/jobb");
    json_decref(body);
    json_decref(rq);
    char post[128];
    snprintf(post, sizeof post, "%s", done.id);

    /* Comment on the post, reply to that comment, delete the reply. */
    struct connect_action c = {.kind = ACT_REPLY, .target = post, .text = "Ansök senast 1 maj"};
    assert_int_equal(li()->act(&t.s, &c, &done, &res), 0);
    assert_true(str_starts_with(done.id, "urn:li:comment:(urn:li:share:"));
    char comment[128];
    snprintf(comment, sizeof comment, "%s", done.id);
    struct connect_action r2 = {.kind = ACT_REPLY, .target = comment, .text = "Och via e-post"};
    assert_int_equal(li()->act(&t.s, &r2, &done, &res), 0);
    rq = last_request(&t.f, "/rest/socialActions/");
    body = json_loads(json_string_value(json_object_get(rq, "body")), 0, NULL);
    assert_string_equal(json_string_value(json_object_get(body, "parentComment")), comment);
    assert_string_equal(json_string_value(json_object_get(body, "object")), post);
    json_decref(body);
    json_decref(rq);
    assert_int_equal(state_len(&t, "replies"), 2);
    struct connect_action del = {.kind = ACT_DELETE_MESSAGE, .target = comment};
    assert_int_equal(li()->act(&t.s, &del, &done, &res), 0);
    assert_int_equal(state_len(&t, "replies"), 1);

    /* Delete the post; again is done too (404 is gone already). */
    struct connect_action dp = {.kind = ACT_DELETE_POST, .target = post};
    assert_int_equal(li()->act(&t.s, &dp, &done, &res), 0);
    assert_int_equal(li()->act(&t.s, &dp, &done, &res), 0);
    assert_int_equal(state_len(&t, "deleted"), 2);

    /* Refused: hide (LinkedIn's API has none), a target that is not a URN. */
    struct connect_action h = {.kind = ACT_HIDE, .target = comment};
    assert_int_equal(li()->act(&t.s, &h, &done, &res), -1);
    assert_int_equal(res.outcome, CO_REJECTED);
    struct connect_action bad = {.kind = ACT_DELETE_MESSAGE, .target = "urn:li:share:1"};
    assert_int_equal(li()->act(&t.s, &bad, &done, &res), -1);
    assert_int_equal(res.outcome, CO_REJECTED);
    disconnect_li(&t);
}

/* A post made but its answer lost: CO_LOST, then found by lookup. */
static void test_lost_post(void **state)
{
    (void)state;
    struct li t;
    connect_li(&t);
    fake_control(&t.f, "/_fake/script",
                 "{\"method\": \"POST\", \"path\": \"/rest/posts\", \"drop\": true, \"after\": "
                 "true, \"times\": 2}");
    struct connect_action a = {.kind = ACT_PUBLISH, .text = "Lanseringen är idag"};
    struct connect_result res = {0};
    struct connect_done done;
    assert_int_equal(li()->act(&t.s, &a, &done, &res), -1);
    assert_int_equal(res.outcome, CO_LOST);
    assert_int_equal(li()->lookup(&t.s, &a, &done, &res), 1);
    assert_true(str_starts_with(done.id, "urn:li:share:"));
    a.text = "Något annat";
    assert_int_equal(li()->lookup(&t.s, &a, &done, &res), 0);
    disconnect_li(&t);
}

/* An image post: initializeUpload for the page, the bytes PUT to the URL
 * it gave, then the post naming the image's URN, in that order and each
 * with LinkedIn's version headers. */
static void test_image_post(void **state)
{
    (void)state;
    struct li t;
    connect_li(&t);
    json_t *log = fake_log(&t.f);
    size_t n0 = json_array_size(log);
    json_decref(log);
    static const char png[] = "\x89PNG\r\n\x1a\n\0\0\0\rIHDR kanal";
    struct connect_action a = {.kind = ACT_PUBLISH,
                               .text = "Kuva päivästä",
                               .image = png,
                               .image_len = sizeof png - 1,
                               .image_type = "image/png",
                               .image_alt = "Tiimi toimistolla"};
    struct connect_result res = {0};
    struct connect_done done;
    assert_int_equal(li()->act(&t.s, &a, &done, &res), 0);
    assert_true(str_starts_with(done.id, "urn:li:share:"));

    log = fake_log(&t.f);
    assert_int_equal(json_array_size(log), n0 + 3);
    json_t *init = json_array_get(log, n0), *put = json_array_get(log, n0 + 1),
           *post = json_array_get(log, n0 + 2);
    const char *methods[] = {"POST", "PUT", "POST"};
    const char *paths[] = {"/rest/images", "/_upload/", "/rest/posts"};
    json_t *each[] = {init, put, post};
    for (int i = 0; i < 3; i++) {
        assert_string_equal(json_string_value(json_object_get(each[i], "method")), methods[i]);
        assert_true(str_starts_with(json_string_value(json_object_get(each[i], "path")), paths[i]));
        json_t *h = json_object_get(each[i], "headers");
        assert_string_equal(json_string_value(json_object_get(h, "LinkedIn-Version")), "202411");
        assert_string_equal(json_string_value(json_object_get(h, "X-Restli-Protocol-Version")),
                            "2.0.0");
    }
    assert_string_equal(query_arg(init, "action"), "initializeUpload");
    json_t *b = json_loads(json_string_value(json_object_get(init, "body")), 0, NULL);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(b, "initializeUploadRequest"), "owner")),
        t.acc.id);
    json_decref(b);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(put, "headers"), "Content-Type")),
        "image/png");
    assert_string_equal(json_string_value(json_object_get(put, "body_base64")),
                        "iVBORw0KGgoAAAANSUhEUiBrYW5hbA==");
    b = json_loads(json_string_value(json_object_get(post, "body")), 0, NULL);
    json_t *media = json_object_get(json_object_get(b, "content"), "media");
    const char *urn = json_string_value(json_object_get(media, "id"));
    assert_non_null(urn);
    assert_true(str_starts_with(urn, "urn:li:image:"));
    assert_string_equal(json_string_value(json_object_get(media, "altText")), "Tiimi toimistolla");
    /* The fake got those bytes for that image, for the page. */
    json_t *st = fake_state(&t, "{}");
    json_t *img = json_object_get(json_object_get(st, "images"), urn);
    assert_string_equal(json_string_value(json_object_get(img, "base64")),
                        "iVBORw0KGgoAAAANSUhEUiBrYW5hbA==");
    assert_string_equal(json_string_value(json_object_get(img, "owner")), t.acc.id);
    json_decref(st);
    json_decref(b);
    json_decref(log);

    /* The upload refused (422): rejected with LinkedIn's words, no post. */
    a.text = "Toinen kuva";
    a.image_type = "image/tiff";
    res = (struct connect_result){0};
    assert_int_equal(li()->act(&t.s, &a, &done, &res), -1);
    assert_int_equal(res.outcome, CO_REJECTED);
    assert_non_null(strstr(res.message, "Unsupported media type"));
    /* initializeUpload rate limited (429). */
    a.image_type = "image/png";
    json_decref(fake_state(&t, "{\"calls_left\": 0}"));
    res = (struct connect_result){0};
    assert_int_equal(li()->act(&t.s, &a, &done, &res), -1);
    assert_int_equal(res.outcome, CO_RATE);
    json_decref(fake_state(&t, "{\"calls_left\": 100000}"));
    /* An upload URL off LinkedIn's hosts: the token is not sent there. */
    fake_control(&t.f, "/_fake/script",
                 "{\"method\": \"POST\", \"path\": \"/rest/images\", \"status\": 200, "
                 "\"body\": {\"value\": {\"uploadUrl\": \"https://linkedin.com.example.org/up\", "
                 "\"image\": \"urn:li:image:D4E10AQ1\"}}}");
    int puts = logged(&t.f, "PUT", "/");
    res = (struct connect_result){0};
    assert_int_equal(li()->act(&t.s, &a, &done, &res), -1);
    assert_int_equal(res.outcome, CO_TEMPORARY);
    assert_non_null(strstr(res.message, "linkedin.com host"));
    assert_int_equal(logged(&t.f, "PUT", "/"), puts);
    /* An expired token at initializeUpload: auth. */
    json_decref(fake_state(&t, "{\"expire_access\": true}"));
    res = (struct connect_result){0};
    assert_int_equal(li()->act(&t.s, &a, &done, &res), -1);
    assert_int_equal(res.outcome, CO_AUTH);
    disconnect_li(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_oauth),     cmocka_unit_test(test_sync),
        cmocka_unit_test(test_errors),    cmocka_unit_test(test_actions),
        cmocka_unit_test(test_lost_post), cmocka_unit_test(test_image_post),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
