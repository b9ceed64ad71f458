/* Unit tests for the YouTube connector (connect/youtube.c) against the
 * YouTube fake (tests/fakes/youtube.py): Google's consent and token
 * requests (offline access, PKCE), refresh keeping the refresh token, the
 * sync's lists and paging (uploads, statistics, comment threads, replies by
 * parent), a second sync adding only snapshots, Google's errors mapped to
 * outcomes (quota, 401, invalid_grant), comment actions, and a lost reply
 * looked up rather than sent twice. */
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
#define CLIENT   "kanal-yt.apps.googleusercontent.com"

struct yt {
    struct fake_platform f;
    char auth_url[96], token_url[96];
    struct connect_platform_config cfg;
    struct connect_session s;
    struct channel_tokens tok;
    struct connect_account acc;
};

static const struct connector *yt(void)
{
    const struct connector *c = connector_find("youtube");
    assert_non_null(c);
    return c;
}

/* The fake's state (its answer to /_fake/state with `json`); caller decrefs. */
static json_t *fake_state(struct yt *t, const char *json)
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

static int64_t state_int(struct yt *t, const char *name)
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
    assert_int_equal(format, INGEST_YOUTUBE);
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
    json_t *in = json_pack("{s:s, s:s, s:s, s:s}", "platform", "youtube", "handle", acc->handle,
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

static void setup_client(struct yt *t)
{
    snprintf(t->auth_url, sizeof t->auth_url, "%s/o/oauth2/v2/auth", t->f.url);
    snprintf(t->token_url, sizeof t->token_url, "%s/token", t->f.url);
    t->cfg = (struct connect_platform_config){.api_url = t->f.url,
                                              .auth_url = t->auth_url,
                                              .token_url = t->token_url,
                                              .client_id = CLIENT,
                                              .client_secret = "yt-secret",
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
static void consent(struct yt *t, const char *state, const char *challenge, char *code)
{
    struct buf url = {0};
    struct error err = {0};
    assert_int_equal(yt()->authorize_url(&t->s, state, challenge, &url, &err), 0);
    struct connect_response r;
    assert_int_equal(connect_http_get(t->f.http, url.data, NULL, &r, &err), 0);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body.data, "youtube.force-ssl")); /* the scopes are shown */
    connect_response_free(&r);
    struct buf form = {0};
    buf_printf(&form, "%s&decision=allow", strchr(url.data, '?') + 1);
    struct connect_request rq = {.method = "POST",
                                 .path = "/o/oauth2/v2/auth",
                                 .content_type = "application/x-www-form-urlencoded",
                                 .body = form.data,
                                 .body_len = form.len};
    assert_int_equal(connect_http_send(t->f.http, &rq, &r, &err), 0);
    assert_int_equal(r.status, 302);
    char want[64];
    snprintf(want, sizeof want, "state=%s&amp;code=", state);
    const char *p = strstr(r.body.data, want);
    assert_non_null(p);
    p += strlen(want);
    /* The code is "4/..." percent-encoded in the redirect. */
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

static void challenge_of(const char *verifier, char out[64])
{
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, (const unsigned char *)verifier, strlen(verifier));
    sodium_bin2base64(out, 64, h, sizeof h, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

static const char VERIFIER[] = "kanal-test-verifier-0123456789-abcdefghijklmnopqrstuvwxyz";

static void connect_yt(struct yt *t)
{
    memset(t, 0, sizeof *t);
    fake_start(&t->f, "youtube");
    setup_client(t);
    char challenge[64], code[128];
    challenge_of(VERIFIER, challenge);
    consent(t, "st-1", challenge, code);
    struct connect_result res = {0};
    int n = 0;
    assert_int_equal(yt()->exchange(&t->s, code, VERIFIER, &t->tok, &t->acc, 4, &n, &res), 0);
    assert_int_equal(n, 1);
    t->s.tokens = &t->tok;
    t->s.account_id = t->acc.id;
    t->s.account_handle = t->acc.handle;
}

static void disconnect_yt(struct yt *t)
{
    channel_tokens_clear(&t->tok);
    connect_http_free(t->s.http);
    fake_stop(&t->f);
}

/* ---- OAuth ------------------------------------------------------------------------- */

static void test_oauth(void **state)
{
    (void)state;
    struct yt t;
    connect_yt(&t);
    json_t *st = fake_state(&t, "{}");
    assert_string_equal(t.acc.id, json_string_value(json_object_get(st, "channel_id")));
    json_decref(st);
    assert_string_equal(t.acc.handle, "@kanaldesk");
    assert_string_equal(t.acc.name, "Kanal Desk");
    assert_non_null(t.tok.access_token);
    assert_non_null(t.tok.refresh_token); /* access_type=offline */
    assert_true(t.tok.expires_at >= t.s.now + 3500 && t.tok.expires_at <= t.s.now + 3700);

    struct buf url = {0};
    struct error err = {0};
    assert_int_equal(yt()->authorize_url(&t.s, "s1", "ch", &url, &err), 0);
    assert_non_null(strstr(url.data, "access_type=offline"));
    assert_non_null(strstr(url.data, "prompt=consent"));
    assert_non_null(strstr(url.data, "code_challenge=ch&code_challenge_method=S256"));
    assert_non_null(strstr(url.data, "scope=https%3A%2F%2Fwww.googleapis.com%2Fauth%2Fyoutube"));
    buf_free(&url);
    /* No client id: says what to set. */
    t.cfg.client_id = NULL;
    assert_int_equal(yt()->authorize_url(&t.s, "s1", "ch", &url, &err), -1);
    assert_non_null(strstr(err.msg, "KANAL_YOUTUBE_CLIENT_ID"));
    t.cfg.client_id = CLIENT;
    buf_free(&url);

    /* The token request as Google documents it: a form with the secret and
     * the verifier, to the token endpoint, not the API. */
    json_t *tr = last_request(&t.f, "/token");
    const char *body = json_string_value(json_object_get(tr, "body"));
    assert_non_null(strstr(body, "grant_type=authorization_code"));
    assert_non_null(strstr(body, "client_secret=yt-secret"));
    assert_non_null(strstr(body, "code_verifier=kanal-test-verifier"));
    json_decref(tr);

    /* A code used twice: invalid_grant, the person must connect again. */
    char challenge[64], code[128];
    challenge_of(VERIFIER, challenge);
    consent(&t, "st-2", challenge, code);
    struct channel_tokens tok2 = {0};
    struct connect_account acc2;
    struct connect_result res = {0};
    int n = 0;
    assert_int_equal(yt()->exchange(&t.s, code, "wrong-verifier-wrong-verifier-wrong-verifier-x",
                                    &tok2, &acc2, 1, &n, &res),
                     -1);
    assert_int_equal(res.outcome, CO_AUTH);
    assert_string_equal(res.code, "invalid_grant");
    assert_int_equal(n, 0);

    /* Refresh: a new access token; Google sends no new refresh token, so
     * the one held is kept. */
    struct channel_tokens fresh = {0};
    res = (struct connect_result){0};
    assert_int_equal(yt()->refresh(&t.s, &fresh, &res), 0);
    assert_string_not_equal(fresh.access_token, t.tok.access_token);
    assert_string_equal(fresh.refresh_token, t.tok.refresh_token);
    channel_tokens_clear(&fresh);
    /* Revoked: invalid_grant, CO_AUTH with Google's words. */
    json_decref(fake_state(&t, "{\"revoke\": true}"));
    res = (struct connect_result){0};
    assert_int_equal(yt()->refresh(&t.s, &fresh, &res), -1);
    assert_int_equal(res.outcome, CO_AUTH);
    assert_non_null(strstr(res.message, "expired or revoked"));
    disconnect_yt(&t);
}

/* ---- sync -------------------------------------------------------------------------- */

static void test_sync(void **state)
{
    (void)state;
    struct yt t;
    connect_yt(&t);
    /* 60 uploads: two pages of playlistItems; 120 more threads: two pages. */
    json_decref(fake_state(&t, "{\"seed_videos\": 57, \"seed_comments\": 120}"));
    int64_t nvideos = state_int(&t, "videos"), ncomments = state_int(&t, "comments");
    struct dbsink d;
    dbsink_init(&d, &t.acc);
    struct connect_result res = {0};
    assert_int_equal(yt()->sync(&t.s, &d.sink, &res), 0);
    assert_int_equal(logged(&t.f, "GET", "/youtube/v3/playlistItems"), 2);
    assert_int_equal(logged(&t.f, "GET", "/youtube/v3/videos"), 2); /* 50 ids a call */
    assert_int_equal(logged(&t.f, "GET", "/youtube/v3/commentThreads"), 2);
    json_t *last = last_request(&t.f, "/youtube/v3/commentThreads");
    assert_non_null(query_arg(last, "pageToken"));
    assert_string_equal(query_arg(last, "allThreadsRelatedToChannelId"), t.acc.id);
    json_decref(last);
    assert_int_equal(rows(d.db, "SELECT COUNT(*) FROM post_variants"), nvideos);
    assert_int_equal(rows(d.db, "SELECT COUNT(*) FROM messages"), ncomments);
    assert_int_equal(rows(d.db, "SELECT COUNT(*) FROM channel_metrics WHERE followers = 678"), 1);
    assert_non_null(json_object_get(d.cursors, "uploads"));
    int64_t snapshots = rows(d.db, "SELECT COUNT(*) FROM post_metrics");
    assert_int_equal(snapshots, nvideos);

    /* Again, later: only the first page of uploads is read (its 50 videos
     * get a new snapshot), the threads stop at the first page. */
    fake_control(&t.f, "/_fake/reset", "{}");
    d.taken_at += 3600;
    assert_int_equal(yt()->sync(&t.s, &d.sink, &res), 0);
    assert_int_equal(logged(&t.f, "GET", "/youtube/v3/playlistItems"), 1);
    assert_int_equal(logged(&t.f, "GET", "/youtube/v3/commentThreads"), 1);
    assert_int_equal(rows(d.db, "SELECT COUNT(*) FROM post_variants"), nvideos);
    assert_int_equal(rows(d.db, "SELECT COUNT(*) FROM messages"), ncomments);
    assert_int_equal(rows(d.db, "SELECT COUNT(*) FROM post_metrics"), snapshots + 50);

    /* Two new videos and a comment: they come in. */
    json_decref(fake_state(&t, "{\"seed_videos\": 2, \"seed_comments\": 1}"));
    d.taken_at += 3600;
    assert_int_equal(yt()->sync(&t.s, &d.sink, &res), 0);
    assert_int_equal(rows(d.db, "SELECT COUNT(*) FROM post_variants"), nvideos + 2);
    assert_int_equal(rows(d.db, "SELECT COUNT(*) FROM messages"), ncomments + 1);

    /* Another channel's token: reconnect. */
    t.s.account_id = "UCsomeoneelse000000000";
    assert_int_equal(yt()->sync(&t.s, &d.sink, &res), -1);
    assert_int_equal(res.outcome, CO_AUTH);
    t.s.account_id = t.acc.id;
    dbsink_free(&d);
    disconnect_yt(&t);
}

/* ---- errors ------------------------------------------------------------------------ */

static void test_errors(void **state)
{
    (void)state;
    struct yt t;
    connect_yt(&t);
    struct dbsink d;
    dbsink_init(&d, &t.acc);
    struct connect_result res = {0};

    /* The day's quota used up: 403 quotaExceeded waits for the reset. */
    json_decref(fake_state(&t, "{\"quota\": 0}"));
    assert_int_equal(yt()->sync(&t.s, &d.sink, &res), -1);
    assert_int_equal(res.outcome, CO_RATE);
    assert_string_equal(res.code, "quotaExceeded");
    assert_int_equal(res.status, 403);
    assert_true(res.retry_at > time_now() && res.retry_at <= time_now() + 86400);
    assert_non_null(strstr(res.message, "calls resume at"));
    json_decref(fake_state(&t, "{\"quota\": 10000}"));

    /* A per-user rate limit: rate, no time said. */
    fake_control(&t.f, "/_fake/script",
                 "{\"path\": \"/youtube/v3/channels\", \"status\": 403, \"body\": {\"error\": "
                 "{\"code\": 403, \"message\": \"slow down\", \"errors\": [{\"reason\": "
                 "\"userRateLimitExceeded\"}]}}}");
    res = (struct connect_result){0};
    assert_int_equal(yt()->sync(&t.s, &d.sink, &res), -1);
    assert_int_equal(res.outcome, CO_RATE);

    /* 5xx: temporary; a dropped connection: temporary. */
    fake_control(&t.f, "/_fake/script",
                 "{\"path\": \"/youtube/v3/channels\", \"status\": 503, \"body\": {\"error\": "
                 "{\"code\": 503, \"message\": \"backendError\"}}}");
    res = (struct connect_result){0};
    assert_int_equal(yt()->sync(&t.s, &d.sink, &res), -1);
    assert_int_equal(res.outcome, CO_TEMPORARY);
    /* Twice: libcurl sends again once on a kept-alive connection that closes. */
    fake_control(&t.f, "/_fake/script",
                 "{\"path\": \"/youtube/v3/channels\", \"drop\": true, \"times\": 2}");
    res = (struct connect_result){0};
    assert_int_equal(yt()->sync(&t.s, &d.sink, &res), -1);
    assert_int_equal(res.outcome, CO_TEMPORARY);

    /* An expired access token: 401, reconnect (or refresh) with Google's words. */
    json_decref(fake_state(&t, "{\"expire_access\": true}"));
    res = (struct connect_result){0};
    assert_int_equal(yt()->sync(&t.s, &d.sink, &res), -1);
    assert_int_equal(res.outcome, CO_AUTH);
    assert_string_equal(res.code, "authError");
    assert_non_null(strstr(res.message, "invalid authentication credentials"));
    dbsink_free(&d);
    disconnect_yt(&t);
}

/* ---- actions ----------------------------------------------------------------------- */

/* A top-level comment by someone else, from the fake's threads. */
static void someones_comment(struct yt *t, char *out, size_t n)
{
    struct connect_response r;
    struct error err = {0};
    char path[300];
    snprintf(path, sizeof path,
             "/youtube/v3/commentThreads?part=snippet&maxResults=1&allThreadsRelatedToChannelId=%s",
             t->acc.id);
    assert_int_equal(connect_http_get(t->s.http, path, t->tok.access_token, &r, &err), 0);
    json_t *j = json_loadb(r.body.data, r.body.len, 0, NULL);
    snprintf(
        out, n, "%s",
        json_string_value(json_object_get(json_array_get(json_object_get(j, "items"), 0), "id")));
    json_decref(j);
    connect_response_free(&r);
}

static void test_actions(void **state)
{
    (void)state;
    struct yt t;
    connect_yt(&t);
    json_decref(fake_state(&t, "{\"seed_comments\": 1}"));
    char target[128];
    someones_comment(&t, target, sizeof target);
    assert_true(target[0]);
    struct connect_result res = {0};
    struct connect_done done;

    /* Reply: comments.insert under the thread. */
    struct connect_action a = {.kind = ACT_REPLY, .target = target, .text = "Tack! / Kiitos!"};
    assert_int_equal(yt()->act(&t.s, &a, &done, &res), 0);
    assert_true(str_starts_with(done.id, target));
    assert_non_null(strchr(done.id, '.'));
    assert_non_null(strstr(done.permalink, "https://www.youtube.com/watch?v="));
    json_t *rq = last_request(&t.f, "/youtube/v3/comments");
    assert_string_equal(query_arg(rq, "part"), "snippet");
    json_decref(rq);
    json_t *st = fake_state(&t, "{}");
    assert_string_equal(json_string_value(json_array_get(json_object_get(st, "replies"), 0)),
                        "Tack! / Kiitos!");
    json_decref(st);
    char own[128];
    snprintf(own, sizeof own, "%s", done.id);

    /* A reply to a reply goes under its thread. */
    struct connect_action a2 = {.kind = ACT_REPLY, .target = own, .text = "Och en sak till"};
    assert_int_equal(yt()->act(&t.s, &a2, &done, &res), 0);
    assert_true(str_starts_with(done.id, target));

    /* Hide and unhide: held for review, then published. */
    struct connect_action h = {.kind = ACT_HIDE, .target = target};
    assert_int_equal(yt()->act(&t.s, &h, &done, &res), 0);
    st = fake_state(&t, "{}");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(st, "moderation"), target)),
        "heldForReview");
    json_decref(st);
    h.kind = ACT_UNHIDE;
    assert_int_equal(yt()->act(&t.s, &h, &done, &res), 0);
    st = fake_state(&t, "{}");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(st, "moderation"), target)), "published");
    json_decref(st);

    /* Deleting: the channel's own reply is deleted; someone else's comment
     * is rejected (only its author may delete it). */
    struct connect_action del = {.kind = ACT_DELETE_MESSAGE, .target = own};
    assert_int_equal(yt()->act(&t.s, &del, &done, &res), 0);
    del.target = target;
    assert_int_equal(yt()->act(&t.s, &del, &done, &res), 0);
    st = fake_state(&t, "{}");
    assert_string_equal(json_string_value(json_array_get(json_object_get(st, "deleted"), 0)), own);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(st, "moderation"), target)), "rejected");
    json_decref(st);

    /* Refused: an empty reply, a target that is not an id, publishing. */
    struct connect_action bad = {.kind = ACT_REPLY, .target = target, .text = ""};
    assert_int_equal(yt()->act(&t.s, &bad, &done, &res), -1);
    assert_int_equal(res.outcome, CO_REJECTED);
    bad = (struct connect_action){.kind = ACT_HIDE, .target = "a/b?c"};
    assert_int_equal(yt()->act(&t.s, &bad, &done, &res), -1);
    assert_int_equal(res.outcome, CO_REJECTED);
    bad = (struct connect_action){.kind = ACT_HIDE, .target = "UgzNoSuchComment"};
    res = (struct connect_result){0};
    assert_int_equal(yt()->act(&t.s, &bad, &done, &res), -1);
    assert_int_equal(res.outcome, CO_REJECTED);
    assert_string_equal(res.code, "commentNotFound");
    assert_false(yt()->actions & (1u << ACT_PUBLISH));
    disconnect_yt(&t);
}

/* A reply whose answer was lost after YouTube made it: CO_LOST, then the
 * lookup finds it, so it is not sent twice. */
static void test_lost_reply(void **state)
{
    (void)state;
    struct yt t;
    connect_yt(&t);
    json_decref(fake_state(&t, "{\"seed_comments\": 1}"));
    char target[128];
    someones_comment(&t, target, sizeof target);
    fake_control(&t.f, "/_fake/script",
                 "{\"method\": \"POST\", \"path\": \"/youtube/v3/comments\", \"drop\": true, "
                 "\"after\": true}");
    struct connect_action a = {.kind = ACT_REPLY, .target = target, .text = "Vi svarar snart"};
    struct connect_result res = {0};
    struct connect_done done;
    assert_int_equal(yt()->act(&t.s, &a, &done, &res), -1);
    assert_int_equal(res.outcome, CO_LOST);
    assert_int_equal(yt()->lookup(&t.s, &a, &done, &res), 1);
    assert_true(str_starts_with(done.id, target));
    /* Another text was not sent: not found, may be sent. */
    a.text = "Något annat";
    assert_int_equal(yt()->lookup(&t.s, &a, &done, &res), 0);
    json_t *st = fake_state(&t, "{}");
    assert_int_equal(json_array_size(json_object_get(st, "replies")), 1);
    json_decref(st);
    disconnect_yt(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_oauth),      cmocka_unit_test(test_sync),
        cmocka_unit_test(test_errors),     cmocka_unit_test(test_actions),
        cmocka_unit_test(test_lost_reply),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
