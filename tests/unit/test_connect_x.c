/* Unit tests for the X connector (connect/x.c) against the X fake
 * (tests/fakes/x.py): the PKCE consent and token requests, refresh with
 * rotating tokens, the sync's paging and cursors, each of X's errors mapped
 * to its outcome, a rate-limit window waited out and resumed, actions, a
 * lost tweet looked up rather than sent twice, and a synced answer giving
 * the same rows as the same bytes imported as a file. */
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

struct xt {
    struct fake_platform f;
    char auth_url[96];
    struct connect_platform_config cfg;
    struct connect_session s;
    struct channel_tokens tok;
    struct connect_account acc;
};

static const struct connector *x(void)
{
    const struct connector *c = connector_find("x");
    assert_non_null(c);
    return c;
}

/* The fake's state (its answer to /_fake/state with `json`); caller decrefs. */
static json_t *fake_state(struct xt *t, const char *json)
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

static void setup_client(struct xt *t, const char *client_id, const char *secret)
{
    snprintf(t->auth_url, sizeof t->auth_url, "%s/i/oauth2/authorize", t->f.url);
    t->cfg = (struct connect_platform_config){.api_url = t->f.url,
                                              .auth_url = t->auth_url,
                                              .client_id = client_id,
                                              .client_secret = secret,
                                              .redirect_uri = REDIRECT};
    struct error err = {0};
    struct connect_http_config hc = {.base_url = t->f.url, .timeout_ms = 3000};
    if (!t->s.http)
        t->s.http = connect_http_new(&hc, &err);
    assert_non_null(t->s.http);
    t->s.cfg = &t->cfg;
    t->s.now = time_now();
}

/* Goes through the consent screen as a person would (the form's "Authorize
 * app"), and returns the code from the redirect (out: 128 bytes). */
static void consent(struct xt *t, const char *state, const char *challenge, char *code)
{
    struct buf url = {0};
    struct error err = {0};
    assert_int_equal(x()->authorize_url(&t->s, state, challenge, &url, &err), 0);
    struct connect_response r;
    assert_int_equal(connect_http_get(t->f.http, url.data, NULL, &r, &err), 0);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body.data, "tweet.moderate.write")); /* the scopes are shown */
    connect_response_free(&r);
    struct buf form = {0};
    buf_printf(&form, "%s&decision=allow", strchr(url.data, '?') + 1);
    struct connect_request rq = {.method = "POST",
                                 .path = "/i/oauth2/authorize",
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
    snprintf(code, 128, "%.*s", (int)strcspn(p, "\"&<"), p);
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

/* Starts the fake and connects the channel through OAuth 2.0 with PKCE. */
static void connect_x(struct xt *t)
{
    memset(t, 0, sizeof *t);
    fake_start(&t->f, "x");
    setup_client(t, "kanal-x", NULL);
    char challenge[64], code[128];
    challenge_of(VERIFIER, challenge);
    consent(t, "st-1", challenge, code);
    struct connect_result res = {0};
    int n = 0;
    assert_int_equal(x()->exchange(&t->s, code, VERIFIER, &t->tok, &t->acc, 4, &n, &res), 0);
    assert_int_equal(n, 1);
    t->s.tokens = &t->tok;
    t->s.account_id = t->acc.id;
    t->s.account_handle = t->acc.handle;
}

static void disconnect_x(struct xt *t)
{
    channel_tokens_clear(&t->tok);
    connect_http_free(t->s.http);
    fake_stop(&t->f);
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
    assert_int_equal(format, INGEST_X_API);
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
    json_t *in = json_pack("{s:s, s:s, s:s, s:s}", "platform", "x", "handle", acc->handle, "name",
                           acc->name, "platform_id", acc->id);
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

/* ---- OAuth ------------------------------------------------------------------------- */

static void test_pkce_and_tokens(void **state)
{
    (void)state;
    struct xt t;
    connect_x(&t);
    json_t *st = fake_state(&t, "{}");
    const char *uid = json_string_value(json_object_get(json_object_get(st, "user"), "id"));
    assert_string_equal(t.acc.id, uid);
    assert_true(t.acc.handle[0] == '@');
    json_decref(st);
    assert_true(x()->pkce);
    assert_non_null(t.tok.refresh_token); /* offline.access */
    assert_true(t.tok.expires_at >= t.s.now + 7000 && t.tok.expires_at <= t.s.now + 7300);
    assert_non_null(strstr(t.tok.scopes, "tweet.moderate.write"));

    /* The authorize request and the token request as X documents them. */
    json_t *a = last_request(&t.f, "/i/oauth2/authorize");
    json_decref(a);
    json_t *tr = last_request(&t.f, "/2/oauth2/token");
    const char *body = json_string_value(json_object_get(tr, "body"));
    assert_non_null(strstr(body, "grant_type=authorization_code"));
    assert_non_null(strstr(body, "code_verifier="));
    assert_non_null(strstr(body, "client_id=kanal-x"));
    assert_null(json_object_get(json_object_get(tr, "headers"), "Authorization"));
    json_decref(tr);
    struct buf url = {0};
    struct error err = {0};
    assert_int_equal(x()->authorize_url(&t.s, "s t", "ch", &url, &err), 0);
    assert_non_null(strstr(url.data, "code_challenge_method=S256"));
    assert_non_null(strstr(url.data, "state=s%20t"));
    assert_non_null(strstr(url.data, "redirect_uri=http%3A%2F%2F127.0.0.1%3A9%2Foauth%2Fcallback"));
    assert_non_null(strstr(url.data, "scope=tweet.read%20tweet.write"));
    buf_free(&url);

    /* "Cancel" on the consent screen: back with access_denied and the state. */
    struct connect_request deny = {.method = "POST",
                                   .path = "/i/oauth2/authorize",
                                   .content_type = "application/x-www-form-urlencoded"};
    assert_int_equal(x()->authorize_url(&t.s, "st-d", "ch", &url, &err), 0);
    struct buf form = {0};
    buf_printf(&form, "%s&decision=deny", strchr(url.data, '?') + 1);
    deny.body = form.data;
    deny.body_len = form.len;
    struct connect_response dr;
    assert_int_equal(connect_http_send(t.f.http, &deny, &dr, &err), 0);
    assert_int_equal(dr.status, 302);
    assert_non_null(strstr(dr.body.data, "error=access_denied&amp;state=st-d"));
    connect_response_free(&dr);
    buf_free(&form);
    buf_free(&url);

    /* A verifier that does not match the challenge: X's invalid_grant. */
    char challenge[64], code[128];
    challenge_of(VERIFIER, challenge);
    consent(&t, "st-2", challenge, code);
    struct channel_tokens tok2 = {0};
    struct connect_account acc2;
    struct connect_result res = {0};
    int n = 0;
    assert_int_equal(x()->exchange(&t.s, code, "another-verifier-that-is-long-enough-0123456789",
                                   &tok2, &acc2, 1, &n, &res),
                     -1);
    assert_int_equal(res.outcome, CO_AUTH);
    assert_string_equal(res.code, "invalid_grant");
    assert_non_null(strstr(res.message, "code verifier"));
    assert_int_equal(n, 0);

    /* A confidential client authenticates with HTTP Basic. */
    setup_client(&t, "kanal-x-conf", "conf-secret");
    consent(&t, "st-3", challenge, code);
    memset(&res, 0, sizeof res);
    assert_int_equal(x()->exchange(&t.s, code, VERIFIER, &tok2, &acc2, 1, &n, &res), 0);
    tr = last_request(&t.f, "/2/oauth2/token");
    const char *auth =
        json_string_value(json_object_get(json_object_get(tr, "headers"), "Authorization"));
    assert_non_null(auth);
    assert_true(str_starts_with(auth, "Basic "));
    json_decref(tr);
    channel_tokens_clear(&tok2);
    /* ...and a wrong secret is refused with X's words. */
    setup_client(&t, "kanal-x-conf", "wrong");
    consent(&t, "st-4", challenge, code);
    memset(&res, 0, sizeof res);
    assert_int_equal(x()->exchange(&t.s, code, VERIFIER, &tok2, &acc2, 1, &n, &res), -1);
    assert_int_equal(res.outcome, CO_AUTH);
    assert_string_equal(res.code, "unauthorized_client");
    assert_non_null(strstr(res.message, "authorization header"));
    disconnect_x(&t);
}

static void test_refresh(void **state)
{
    (void)state;
    struct xt t;
    connect_x(&t);
    char *old_refresh = xstrdup(t.tok.refresh_token);
    struct channel_tokens fresh = {0};
    struct connect_result res = {0};
    assert_int_equal(x()->refresh(&t.s, &fresh, &res), 0);
    assert_string_not_equal(fresh.access_token, t.tok.access_token);
    assert_non_null(fresh.refresh_token);
    assert_string_not_equal(fresh.refresh_token, old_refresh); /* rotated */
    json_t *tr = last_request(&t.f, "/2/oauth2/token");
    assert_non_null(
        strstr(json_string_value(json_object_get(tr, "body")), "grant_type=refresh_token"));
    json_decref(tr);

    /* The spent refresh token: invalid_grant, reconnect. */
    memset(&res, 0, sizeof res);
    struct channel_tokens again = {0};
    assert_int_equal(x()->refresh(&t.s, &again, &res), -1);
    assert_int_equal(res.outcome, CO_AUTH);
    assert_string_equal(res.code, "invalid_grant");

    /* An expired access token: the sync says auth; a refresh brings it back. */
    json_decref(fake_state(&t, "{\"expire_access\": true}"));
    struct dbsink d;
    dbsink_init(&d, &t.acc);
    memset(&res, 0, sizeof res);
    assert_int_equal(x()->sync(&t.s, &d.sink, &res), -1);
    assert_int_equal(res.outcome, CO_AUTH);
    assert_int_equal(res.status, 401);
    channel_tokens_clear(&t.tok);
    t.tok = fresh;
    struct channel_tokens newer = {0};
    assert_int_equal(x()->refresh(&t.s, &newer, &res), 0);
    channel_tokens_clear(&t.tok);
    t.tok = newer;
    memset(&res, 0, sizeof res);
    assert_int_equal(x()->sync(&t.s, &d.sink, &res), 0);
    free(old_refresh);
    dbsink_free(&d);
    disconnect_x(&t);
}

/* ---- sync ---------------------------------------------------------------------------- */

static void test_sync_paging(void **state)
{
    (void)state;
    struct xt t;
    connect_x(&t);
    json_decref(fake_state(&t, "{\"seed_tweets\": 150, \"seed_mentions\": 7}"));
    json_t *st = fake_state(&t, "{}");
    int64_t ntweets = json_integer_value(json_object_get(st, "tweets"));
    int64_t nmentions = json_integer_value(json_object_get(st, "mentions"));
    json_decref(st);
    struct dbsink d;
    dbsink_init(&d, &t.acc);
    struct connect_result res = {0};
    assert_int_equal(x()->sync(&t.s, &d.sink, &res), 0);
    /* Two pages of tweets (100, then the rest), one of mentions. */
    assert_int_equal(logged(&t.f, "GET", "/2/users/me"), 2); /* the exchange's and the sync's */
    char p[200];
    snprintf(p, sizeof p, "/2/users/%s/tweets", t.acc.id);
    assert_int_equal(logged(&t.f, "GET", p), 2);
    json_t *last = last_request(&t.f, p);
    assert_non_null(query_arg(last, "pagination_token"));
    assert_string_equal(query_arg(last, "max_results"), "100");
    assert_non_null(strstr(query_arg(last, "tweet.fields"), "public_metrics"));
    json_decref(last);
    assert_int_equal(rows(d.db, "SELECT COUNT(*) FROM post_variants"), ntweets);
    assert_int_equal(rows(d.db, "SELECT COUNT(*) FROM messages WHERE kind = 'mention'"), nmentions);
    assert_int_equal(rows(d.db, "SELECT COUNT(*) FROM channel_metrics WHERE followers > 0"), 1);
    char since[32];
    snprintf(since, sizeof since, "%s", json_string_value(json_object_get(d.cursors, "tweets")));
    assert_true(since[0]);
    assert_null(json_object_get(d.cursors, "tweets:next"));
    assert_non_null(json_object_get(d.cursors, "mentions"));
    int64_t snapshots = rows(d.db, "SELECT COUNT(*) FROM post_metrics");

    /* Again, later: since_id is sent and nothing new comes; the newest 100
     * tweets are read once more for their counts, a new snapshot each. */
    fake_control(&t.f, "/_fake/reset", "{}");
    d.taken_at += 3600;
    assert_int_equal(x()->sync(&t.s, &d.sink, &res), 0);
    json_t *log = fake_log(&t.f), *e;
    size_t i;
    int with_since = 0, without = 0;
    json_array_foreach (log, i, e) {
        if (!str_eq(json_string_value(json_object_get(e, "path")), p))
            continue;
        const char *sid = query_arg(e, "since_id");
        if (sid && str_eq(sid, since))
            with_since++;
        else if (!sid && !query_arg(e, "pagination_token"))
            without++;
    }
    json_decref(log);
    assert_int_equal(with_since, 1);
    assert_int_equal(without, 1);
    assert_int_equal(rows(d.db, "SELECT COUNT(*) FROM post_variants"), ntweets);
    assert_int_equal(rows(d.db, "SELECT COUNT(*) FROM post_metrics"), snapshots + 100);

    /* Three new tweets: one page, three posts. */
    json_decref(fake_state(&t, "{\"seed_tweets\": 3}"));
    assert_int_equal(x()->sync(&t.s, &d.sink, &res), 0);
    assert_int_equal(rows(d.db, "SELECT COUNT(*) FROM post_variants"), ntweets + 3);

    /* The cursor lost: paging stops at the first page that adds nothing. */
    json_object_del(d.cursors, "tweets");
    fake_control(&t.f, "/_fake/reset", "{}");
    assert_int_equal(x()->sync(&t.s, &d.sink, &res), 0);
    assert_int_equal(logged(&t.f, "GET", p), 1); /* the first sync again: no second reading */
    assert_non_null(json_object_get(d.cursors, "tweets"));
    dbsink_free(&d);
    disconnect_x(&t);
}

/* A sync cut short by X's rate limit keeps its place and resumes there once
 * the window has ended; the older page is not skipped. */
static void test_rate_limit_resume(void **state)
{
    (void)state;
    struct xt t;
    connect_x(&t);
    json_decref(fake_state(&t, "{\"seed_tweets\": 250, \"reset_in\": 600, "
                               "\"limits\": {\"GET /2/users/:id/tweets\": 2}}"));
    json_t *st = fake_state(&t, "{}");
    int64_t ntweets = json_integer_value(json_object_get(st, "tweets"));
    json_decref(st);
    struct dbsink d;
    dbsink_init(&d, &t.acc);
    struct connect_result res = {0};
    int64_t before = time_now();
    assert_int_equal(x()->sync(&t.s, &d.sink, &res), -1);
    assert_int_equal(res.outcome, CO_RATE);
    assert_true(res.retry_at >= before + 590 && res.retry_at <= time_now() + 610);
    assert_non_null(strstr(res.message, "calls resume at"));
    assert_non_null(json_object_get(d.cursors, "tweets:next"));
    assert_null(json_object_get(d.cursors, "tweets"));
    assert_int_equal(rows(d.db, "SELECT COUNT(*) FROM post_variants"), 200);

    /* Before the window ends: X answers 429, and says when it ends. */
    memset(&res, 0, sizeof res);
    assert_int_equal(x()->sync(&t.s, &d.sink, &res), -1);
    assert_int_equal(res.outcome, CO_RATE);
    assert_int_equal(res.status, 429);
    assert_true(res.retry_at >= before + 590);

    /* A new window: the sync goes on from where it stopped. */
    json_decref(fake_state(&t, "{\"limits\": {\"GET /2/users/:id/tweets\": 900}}"));
    fake_control(&t.f, "/_fake/reset", "{}");
    memset(&res, 0, sizeof res);
    assert_int_equal(x()->sync(&t.s, &d.sink, &res), 0);
    char p[200];
    snprintf(p, sizeof p, "/2/users/%s/tweets", t.acc.id);
    json_t *first = last_request(&t.f, p);
    assert_non_null(query_arg(first, "pagination_token"));
    json_decref(first);
    assert_int_equal(rows(d.db, "SELECT COUNT(*) FROM post_variants"), ntweets);
    assert_non_null(json_object_get(d.cursors, "tweets"));
    assert_null(json_object_get(d.cursors, "tweets:next"));
    dbsink_free(&d);
    disconnect_x(&t);
}

/* What a sync imported and the same answers imported as files give the same
 * rows. */
static void test_sync_same_as_import(void **state)
{
    (void)state;
    struct xt t;
    connect_x(&t);
    json_decref(fake_state(&t, "{\"seed_mentions\": 2}"));
    struct dbsink d;
    dbsink_init(&d, &t.acc);
    struct connect_result res = {0};
    assert_int_equal(x()->sync(&t.s, &d.sink, &res), 0);
    assert_true(d.npages >= 3);

    int64_t ws;
    struct db *db = fresh_db(&ws);
    int64_t ch = add_channel(db, ws, &t.acc);
    size_t i;
    json_t *pg;
    json_array_foreach (d.pages, i, pg) {
        char path[] = "/tmp/kanal-x-page-XXXXXX";
        int fd = mkstemp(path);
        assert_true(fd >= 0);
        FILE *f = fdopen(fd, "wb");
        fwrite(json_string_value(pg), 1, json_string_length(pg), f);
        fclose(f);
        struct import_job job = {.db = db,
                                 .target = {.workspace_id = ws, .channel_id = ch},
                                 .format = INGEST_AUTO,
                                 .opts = {.taken_at = d.taken_at}};
        struct ingest_counts c = {0};
        struct error err = {0};
        enum ingest_format got;
        assert_int_equal(ingest_import_file(&job, path, &c, &got, &err), 0);
        assert_int_equal(got, INGEST_X_API);
        unlink(path);
    }
    /* Each query in parentheses: one literal written over several lines. */
    static const char *const q[] = {
        ("SELECT group_concat(x, '|') FROM (SELECT v.platform_id || ':' || p.body || ':' || "
         "p.format || ':' || v.published_at || ':' || coalesce(v.permalink, '') AS x FROM "
         "post_variants v JOIN posts p ON p.id = v.post_id ORDER BY v.platform_id)"),
        ("SELECT group_concat(x, '|') FROM (SELECT m.platform_id || ':' || m.kind || ':' || "
         "m.author_handle || ':' || m.body || ':' || m.created_at AS x FROM messages m ORDER BY "
         "m.platform_id)"),
        ("SELECT group_concat(x, '|') FROM (SELECT v.platform_id || ':' || pm.taken_at || ':' || "
         "coalesce(pm.reactions, -1) || ':' || coalesce(pm.shares, -1) AS x FROM post_metrics pm "
         "JOIN post_variants v ON v.id = pm.variant_id ORDER BY v.platform_id)"),
        ("SELECT group_concat(x, '|') FROM (SELECT taken_at || ':' || followers AS x FROM "
         "channel_metrics ORDER BY taken_at)"),
    };
    for (size_t k = 0; k < ARRAY_LEN(q); k++) {
        struct error err = {0};
        struct db_stmt *a = db_query(d.db, &err, q[k], "");
        struct db_stmt *b = db_query(db, &err, q[k], "");
        assert_non_null(a);
        assert_non_null(b);
        assert_true(strlen(db_col_text(a, 0)) > 0);
        assert_string_equal(db_col_text(a, 0), db_col_text(b, 0));
        db_finalize(a);
        db_finalize(b);
    }
    db_close(db);
    dbsink_free(&d);
    disconnect_x(&t);
}

/* ---- actions and errors ------------------------------------------------------------ */

static void test_actions(void **state)
{
    (void)state;
    struct xt t;
    connect_x(&t);
    static const char png[] = {'\x89', 'P', 'N', 'G', '\r', '\n', '\x1a', '\n', '\0', 'x'};
    struct connect_action a = {.kind = ACT_PUBLISH,
                               .text = "Ny rapport om cykelvägar",
                               .link = "https://example.org/rapport?utm_source=x",
                               .image = png,
                               .image_len = sizeof png,
                               .image_type = "image/png",
                               .image_alt = "Ett diagram",
                               .key = "kanal-action-1"};
    struct connect_done done;
    struct connect_result res = {0};
    assert_int_equal(x()->act(&t.s, &a, &done, &res), 0);
    assert_true(done.id[0]);
    assert_non_null(strstr(done.permalink, done.id));
    json_t *up = last_request(&t.f, "/2/media/upload");
    assert_int_equal(json_integer_value(json_object_get(up, "body_len")) > (json_int_t)sizeof png,
                     1);
    assert_non_null(json_object_get(up, "body_base64")); /* the PNG's bytes as they are */
    json_decref(up);
    json_t *post = last_request(&t.f, "/2/tweets");
    json_t *sent = json_loads(json_string_value(json_object_get(post, "body")), 0, NULL);
    assert_string_equal(json_string_value(json_object_get(sent, "text")),
                        "Ny rapport om cykelvägar\n\nhttps://example.org/rapport?utm_source=x");
    assert_int_equal(json_array_size(json_object_get(json_object_get(sent, "media"), "media_ids")),
                     1);
    json_decref(sent);
    json_decref(post);
    json_t *st = fake_state(&t, "{}");
    const char *alt = NULL, *k;
    json_t *v;
    json_object_foreach (json_object_get(st, "media"), k, v)
        alt = json_string_value(v);
    assert_string_equal(alt, "Ett diagram");
    json_decref(st);

    /* The lookup finds it by its text, though X shows its link as t.co. */
    struct connect_done found;
    a.first_sent_at = time_now();
    assert_int_equal(x()->lookup(&t.s, &a, &found, &res), 1);
    assert_string_equal(found.id, done.id);

    /* Reply to a mention, hide and unhide it, like it, delete the reply. */
    st = fake_state(&t, "{\"seed_mentions\": 1}");
    json_decref(st);
    struct dbsink d;
    dbsink_init(&d, &t.acc);
    assert_int_equal(x()->sync(&t.s, &d.sink, &res), 0);
    /* The published tweet synced back: a photo post with its link, the
     * t.co link read as the link sent. */
    struct error qerr = {0};
    struct db_stmt *q = db_query(d.db, &qerr,
                                 "SELECT p.format, p.link_url FROM posts p JOIN post_variants v "
                                 "ON v.post_id = p.id WHERE v.platform_id = ?",
                                 "t", done.id);
    assert_true(q && db_has_row(q));
    assert_string_equal(db_col_text(q, 0), "photo");
    assert_string_equal(db_col_text(q, 1), "https://example.org/rapport?utm_source=x");
    db_finalize(q);
    const char *mention = json_string_value(json_object_get(d.cursors, "mentions"));
    char mid[32];
    snprintf(mid, sizeof mid, "%s", mention);
    struct connect_action r = {.kind = ACT_REPLY, .target = mid, .text = "Tack, vi svarar snart!"};
    assert_int_equal(x()->act(&t.s, &r, &done, &res), 0);
    char reply_id[128];
    snprintf(reply_id, sizeof reply_id, "%s", done.id);
    /* Synced back, the account's answer to someone is a reply of its own in
     * the inbox, not a post. */
    assert_int_equal(x()->sync(&t.s, &d.sink, &res), 0);
    q = db_query(d.db, &qerr, "SELECT kind, is_own FROM messages WHERE platform_id = ?", "t",
                 reply_id);
    assert_true(q && db_has_row(q));
    assert_string_equal(db_col_text(q, 0), "reply");
    assert_int_equal(db_col_int(q, 1), 1);
    db_finalize(q);
    post = last_request(&t.f, "/2/tweets");
    sent = json_loads(json_string_value(json_object_get(post, "body")), 0, NULL);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(sent, "reply"), "in_reply_to_tweet_id")),
        mid);
    json_decref(sent);
    json_decref(post);
    struct connect_action h = {.kind = ACT_HIDE, .target = mid};
    assert_int_equal(x()->act(&t.s, &h, &done, &res), 0);
    st = fake_state(&t, "{}");
    assert_string_equal(json_string_value(json_array_get(json_object_get(st, "hidden"), 0)), mid);
    json_decref(st);
    h.kind = ACT_UNHIDE;
    assert_int_equal(x()->act(&t.s, &h, &done, &res), 0);
    h.kind = ACT_LIKE;
    assert_int_equal(x()->act(&t.s, &h, &done, &res), 0);
    st = fake_state(&t, "{}");
    assert_int_equal(json_array_size(json_object_get(st, "hidden")), 0);
    assert_string_equal(json_string_value(json_array_get(json_object_get(st, "liked"), 0)), mid);
    json_decref(st);
    struct connect_action del = {.kind = ACT_DELETE_POST, .target = reply_id};
    assert_int_equal(x()->act(&t.s, &del, &done, &res), 0);
    st = fake_state(&t, "{}");
    assert_string_equal(json_string_value(json_array_get(json_object_get(st, "deleted"), 0)),
                        reply_id);
    json_decref(st);
    /* Hiding one's own tweet is refused in X's words. */
    h = (struct connect_action){.kind = ACT_HIDE, .target = found.id};
    assert_int_equal(x()->act(&t.s, &h, &done, &res), -1);
    assert_int_equal(res.outcome, CO_REJECTED);
    assert_non_null(strstr(res.message, "replies to conversations you authored"));
    /* A target that is no tweet id never reaches X. */
    h.target = "../users/1";
    assert_int_equal(x()->act(&t.s, &h, &done, &res), -1);
    assert_int_equal(res.outcome, CO_REJECTED);
    dbsink_free(&d);
    disconnect_x(&t);
}

static void test_errors(void **state)
{
    (void)state;
    struct xt t;
    connect_x(&t);
    struct connect_action a = {.kind = ACT_PUBLISH, .text = "Samma text två gånger"};
    struct connect_done done;
    struct connect_result res = {0};
    assert_int_equal(x()->act(&t.s, &a, &done, &res), 0);
    /* 403 duplicate content: rejected, in X's words. */
    memset(&res, 0, sizeof res);
    assert_int_equal(x()->act(&t.s, &a, &done, &res), -1);
    assert_int_equal(res.outcome, CO_REJECTED);
    assert_int_equal(res.status, 403);
    assert_string_equal(res.code, "duplicate");
    assert_non_null(
        strstr(res.message, "You are not allowed to create a Tweet with duplicate content."));

    /* Longer than 280 weighted characters (an emoji weighs two). */
    char longer[600] = "";
    for (int i = 0; i < 140; i++)
        strcat(longer, "\xF0\x9F\x98\x80");
    a.text = longer;
    assert_int_equal(x()->act(&t.s, &a, &done, &res), 0); /* 280 exactly */
    strcat(longer, "!");
    memset(&res, 0, sizeof res);
    assert_int_equal(x()->act(&t.s, &a, &done, &res), -1);
    assert_int_equal(res.outcome, CO_REJECTED);
    assert_non_null(strstr(res.message, "too long"));

    /* X's invalid-request problem names the field. */
    fake_control(&t.f, "/_fake/script",
                 "{\"method\": \"POST\", \"path\": \"/2/tweets\", \"status\": 400, \"body\": "
                 "{\"errors\": [{\"parameters\": {\"text\": [\"\"]}, \"message\": \"The `text` "
                 "field is invalid\"}], \"title\": \"Invalid Request\", \"detail\": \"One or more "
                 "parameters to your request was invalid.\", \"type\": "
                 "\"https://api.twitter.com/2/problems/invalid-request\"}}");
    a.text = "x";
    memset(&res, 0, sizeof res);
    assert_int_equal(x()->act(&t.s, &a, &done, &res), -1);
    assert_int_equal(res.outcome, CO_REJECTED);
    assert_string_equal(res.code, "invalid-request");
    assert_non_null(strstr(res.message, "The `text` field is invalid"));

    /* 5xx: try again later. */
    fake_control(&t.f, "/_fake/script", "{\"path\": \"/2/tweets\", \"status\": 503}");
    memset(&res, 0, sizeof res);
    assert_int_equal(x()->act(&t.s, &a, &done, &res), -1);
    assert_int_equal(res.outcome, CO_TEMPORARY);

    /* 429 on an action: rate, at the window's end. */
    fake_control(&t.f, "/_fake/script",
                 "{\"path\": \"/2/tweets\", \"status\": 429, \"headers\": {\"x-rate-limit-limit\": "
                 "100, \"x-rate-limit-remaining\": 0, \"x-rate-limit-reset\": 1999999999}, "
                 "\"body\": {\"title\": \"Too Many Requests\", \"detail\": \"Too Many Requests\", "
                 "\"type\": \"about:blank\", \"status\": 429}}");
    memset(&res, 0, sizeof res);
    assert_int_equal(x()->act(&t.s, &a, &done, &res), -1);
    assert_int_equal(res.outcome, CO_RATE);
    assert_int_equal(res.retry_at, 1999999999);

    /* A revoked token: 401, reconnect. */
    json_decref(fake_state(&t, "{\"revoke\": true}"));
    memset(&res, 0, sizeof res);
    assert_int_equal(x()->act(&t.s, &a, &done, &res), -1);
    assert_int_equal(res.outcome, CO_AUTH);
    assert_non_null(strstr(res.message, "does not accept the channel's token: Unauthorized"));
    struct channel_tokens fresh = {0};
    memset(&res, 0, sizeof res);
    assert_int_equal(x()->refresh(&t.s, &fresh, &res), -1);
    assert_int_equal(res.outcome, CO_AUTH);
    assert_non_null(strstr(res.message, "Value passed for the token was invalid."));
    assert_non_null(strstr(res.message, "connect the channel again"));
    disconnect_x(&t);
}

/* A tweet whose answer was lost is looked up, found, and not sent again. */
static void test_lost_tweet(void **state)
{
    (void)state;
    struct xt t;
    connect_x(&t);
    fake_control(
        &t.f, "/_fake/script",
        "{\"method\": \"POST\", \"path\": \"/2/tweets\", \"after\": true, \"drop\": true}");
    struct connect_action a = {.kind = ACT_PUBLISH,
                               .text = "Välkommen till öppet hus",
                               .link = "https://example.org/hus",
                               .first_sent_at = time_now()};
    struct connect_done done;
    struct connect_result res = {0};
    assert_int_equal(x()->act(&t.s, &a, &done, &res), -1);
    assert_int_equal(res.outcome, CO_LOST);
    struct connect_done found;
    memset(&res, 0, sizeof res);
    assert_int_equal(x()->lookup(&t.s, &a, &found, &res), 1);
    assert_true(found.id[0]);
    /* One tweet with that text at X: nothing was sent twice. */
    json_t *st = fake_state(&t, "{}");
    size_t i, n = 0;
    json_t *tx;
    json_array_foreach (json_object_get(st, "texts"), i, tx) {
        if (strstr(json_string_value(tx), "Välkommen till öppet hus"))
            n++;
    }
    assert_int_equal(n, 1);
    json_decref(st);
    assert_int_equal(logged(&t.f, "POST", "/2/tweets"), 1);
    /* A text never sent is not found: it may be sent. */
    struct connect_action other = a;
    other.text = "Något annat";
    assert_int_equal(x()->lookup(&t.s, &other, &found, &res), 0);
    /* A reply is matched to the tweet it answers too. */
    other = (struct connect_action){.kind = ACT_REPLY,
                                    .target = "1",
                                    .text = "Välkommen till öppet hus",
                                    .first_sent_at = a.first_sent_at};
    assert_int_equal(x()->lookup(&t.s, &other, &found, &res), 0);
    disconnect_x(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pkce_and_tokens),
        cmocka_unit_test(test_refresh),
        cmocka_unit_test(test_sync_paging),
        cmocka_unit_test(test_rate_limit_resume),
        cmocka_unit_test(test_sync_same_as_import),
        cmocka_unit_test(test_actions),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_lost_tweet),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
