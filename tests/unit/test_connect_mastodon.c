/* Unit tests for the Mastodon connector (connect/mastodon.c) against the
 * fake server (tests/fakes/mastodon.py): app registration and the OAuth
 * screens, sync with Link-header paging into a SQLite store through
 * ingest/ (and the same answers imported as files giving the same rows),
 * publishing with an Idempotency-Key, lookup after a lost answer, and the
 * mapping of Mastodon's errors. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "connect/connect.h"
#include "fake_platform.h"
#include "ingest/ingest.h"
#include "model/model.h"

#define TAKEN_AT 1764900000 /* the snapshots' time, the same for sync and file */

/* ---- a sink that imports into a SQLite store, as the sync layer does --------------- */

struct test_sink {
    struct sync_sink sink;
    struct db *db;
    int64_t ws, channel;
    char keys[4][32], values[4][64];
    int ncursors;
    int pages;
    /* every page handed over, as files: page-N.json under dir */
    char dir[64];
};

static int sink_page(struct sync_sink *s, enum ingest_format format, const char *what,
                     const char *data, size_t len, int64_t *added, struct error *err)
{
    struct test_sink *t = s->ctx;
    assert_int_equal(format, INGEST_MASTODON);
    struct ingest_counts c = {0};
    struct import_job job = {.db = t->db,
                             .target = {.workspace_id = t->ws, .channel_id = t->channel},
                             .format = format,
                             .filename = what,
                             .opts = {.taken_at = TAKEN_AT}};
    if (ingest_import(&job, data, len, &c, err))
        return -1;
    if (added) {
        *added = 0;
        for (int e = 0; e < IE_COUNT; e++)
            *added += c.inserted[e];
    }
    if (t->dir[0]) {
        char path[128];
        snprintf(path, sizeof path, "%s/page-%02d.json", t->dir, t->pages);
        FILE *f = fopen(path, "wb");
        assert_non_null(f);
        assert_int_equal(fwrite(data, 1, len, f), len);
        fclose(f);
    }
    t->pages++;
    return 0;
}

static const char *sink_get(struct sync_sink *s, const char *resource)
{
    struct test_sink *t = s->ctx;
    for (int i = 0; i < t->ncursors; i++)
        if (strcmp(t->keys[i], resource) == 0)
            return t->values[i];
    return NULL;
}

static int sink_set(struct sync_sink *s, const char *resource, const char *value, struct error *err)
{
    struct test_sink *t = s->ctx;
    int i = 0;
    while (i < t->ncursors && strcmp(t->keys[i], resource) != 0)
        i++;
    assert_true(i < 4);
    snprintf(t->keys[i], sizeof t->keys[i], "%s", resource);
    snprintf(t->values[i], sizeof t->values[i], "%s", value ? value : "");
    if (i == t->ncursors)
        t->ncursors++;
    return 0;
}

static struct db *fresh(int64_t *ws)
{
    struct error err = {0};
    struct db *db = db_open(":memory:", &err);
    assert_non_null(db);
    log_set_level(LOG_QUIET);
    assert_true(db_migrate(db, &err) >= 1);
    assert_int_equal(workspace_default(db, ws, &err), 0);
    return db;
}

static int64_t add_channel(struct db *db, int64_t ws, const char *platform_id)
{
    struct error err = {0};
    json_t *in = json_pack("{s:s, s:s, s:s, s:s}", "platform", "mastodon", "handle", "kanal",
                           "name", "Kanal", "platform_id", platform_id);
    json_t *ch = entity_create(db, &entity_channel, ws, in, NULL, &err);
    json_decref(in);
    assert_non_null(ch);
    int64_t id = json_integer_value(json_object_get(ch, "id"));
    json_decref(ch);
    return id;
}

static void sink_init(struct test_sink *t, const char *account_id)
{
    memset(t, 0, sizeof *t);
    t->db = fresh(&t->ws);
    t->channel = add_channel(t->db, t->ws, account_id);
    t->sink = (struct sync_sink){
        .page = sink_page, .cursor_get = sink_get, .cursor_set = sink_set, .ctx = t};
}

/* The rows a channel has, as text: posts with their snapshots, messages,
 * follower counts (not kanal's own bookkeeping times). */
static char *dump(struct db *db)
{
    static const char *const sql[] = {
        "SELECT v.platform_id, p.body, p.format, coalesce(p.link_url, ''), coalesce(p.lang, ''),"
        " coalesce(v.permalink, ''), v.published_at, v.status FROM post_variants v JOIN posts p"
        " ON p.id = v.post_id ORDER BY v.platform_id",
        "SELECT v.platform_id, m.taken_at, m.reactions, m.comments, m.shares FROM post_metrics m"
        " JOIN post_variants v ON v.id = m.variant_id ORDER BY v.platform_id, m.taken_at",
        "SELECT m.platform_id, m.kind, m.author_handle, m.author_name, m.body, m.is_own,"
        " m.created_at, coalesce(p.platform_id, ''), coalesce(v.platform_id, '') FROM messages m"
        " LEFT JOIN messages p ON p.id = m.parent_id LEFT JOIN post_variants v ON v.id ="
        " m.variant_id ORDER BY m.platform_id",
        "SELECT taken_at, followers FROM channel_metrics ORDER BY taken_at",
    };
    struct buf out = {0};
    struct error err = {0};
    for (size_t q = 0; q < ARRAY_LEN(sql); q++) {
        struct db_stmt *st = db_prepare(db, sql[q], &err);
        assert_non_null(st);
        while (db_step(st, &err) == 1) {
            for (int i = 0; i < db_col_count(st); i++)
                buf_printf(&out, "%s|", db_col_text(st, i));
            buf_putc(&out, '\n');
        }
        db_finalize(st);
        buf_puts(&out, "--\n");
    }
    return buf_steal(&out);
}

static int64_t count_rows(struct db *db, const char *sql)
{
    struct error err = {0};
    int64_t n = -1;
    assert_int_equal(db_scalar(db, &err, &n, sql, ""), 1);
    return n;
}

/* ---- a session against the fake --------------------------------------------------- */

struct world {
    struct fake_platform f;
    struct connect_platform_config cfg;
    struct connect_http *http;
    struct channel_tokens tokens;
    struct connect_session s;
    char account_id[64];
};

/* Reads one field of the fake's /_fake/state answer after sending json. */
static json_t *state(struct fake_platform *f, const char *json)
{
    struct connect_request rq = {.method = "POST",
                                 .path = "/_fake/state",
                                 .content_type = "application/json",
                                 .body = json,
                                 .body_len = strlen(json)};
    struct connect_response r;
    struct error err = {0};
    assert_int_equal(connect_http_send(f->http, &rq, &r, &err), 0);
    assert_int_equal(r.status, 200);
    json_t *j = json_loadb(r.body.data, r.body.len, 0, NULL);
    assert_non_null(j);
    connect_response_free(&r);
    return j;
}

static void world_start(struct world *w, bool with_token)
{
    memset(w, 0, sizeof *w);
    fake_start(&w->f, "mastodon");
    w->cfg = (struct connect_platform_config){
        .api_url = w->f.url, .redirect_uri = "https://kanal.example/oauth/callback"};
    struct error err = {0};
    struct connect_http_config hc = {.base_url = w->f.url, .timeout_ms = 5000};
    w->http = connect_http_new(&hc, &err);
    assert_non_null(w->http);
    json_t *st = state(&w->f, with_token ? "{\"token\": \"tok-1\"}" : "{}");
    snprintf(w->account_id, sizeof w->account_id, "%s",
             json_string_value(json_object_get(st, "account_id")));
    json_decref(st);
    w->tokens.access_token = "tok-1";
    w->s = (struct connect_session){.cfg = &w->cfg,
                                    .http = w->http,
                                    .tokens = with_token ? &w->tokens : NULL,
                                    .account_id = w->account_id,
                                    .now = TAKEN_AT};
}

static void world_stop(struct world *w)
{
    connect_http_free(w->http);
    fake_stop(&w->f);
}

/* The requests the fake was sent whose path starts with prefix, in order. */
static json_t *requests(struct fake_platform *f, const char *method, const char *prefix)
{
    json_t *log = fake_log(f), *out = json_array();
    size_t i;
    json_t *e;
    json_array_foreach (log, i, e) {
        if (strcmp(json_string_value(json_object_get(e, "method")), method) == 0 &&
            strncmp(json_string_value(json_object_get(e, "path")), prefix, strlen(prefix)) == 0)
            json_array_append(out, e);
    }
    json_decref(log);
    return out;
}

static const char *query1(json_t *req, const char *name)
{
    return json_string_value(
        json_array_get(json_object_get(json_object_get(req, "query"), name), 0));
}

static const char *header(json_t *req, const char *name)
{
    const char *k;
    json_t *v;
    json_object_foreach (json_object_get(req, "headers"), k, v)
        if (strcasecmp(k, name) == 0)
            return json_string_value(v);
    return NULL;
}

/* ---- tests -------------------------------------------------------------------------- */

static void test_registered(void **state_)
{
    (void)state_;
    const struct connector *c = connector_find("mastodon");
    assert_non_null(c);
    assert_string_equal(c->scopes, "read write");
    assert_true(c->per_instance_app);
    assert_null(c->refresh);
    /* Mastodon cannot hide someone's reply: no hide, no unhide. */
    assert_false(c->actions & (1u << ACT_HIDE));
    assert_false(c->actions & (1u << ACT_UNHIDE));
    assert_true(c->actions & (1u << ACT_PUBLISH));
    assert_true(c->actions & (1u << ACT_DELETE_MESSAGE));
}

/* Mastodon's rate-limit headers: a reset time in ISO 8601. */
static void test_rate_limit_headers(void **state_)
{
    (void)state_;
    struct rate_limit rl;
    rate_limit_init(&rl);
    assert_true(rate_limit_header(&rl, "X-RateLimit-Limit", "300", 1764900000));
    assert_true(rate_limit_header(&rl, "X-RateLimit-Remaining", "12", 1764900000));
    assert_true(
        rate_limit_header(&rl, "X-RateLimit-Reset", "2025-12-05T02:05:00.000Z", 1764900000));
    assert_int_equal(rl.limit, 300);
    assert_int_equal(rl.remaining, 12);
    assert_int_equal(rl.reset_at, 1764900300);
    assert_false(rl.limited);
    assert_true(rate_limit_header(&rl, "X-RateLimit-Remaining", "0", 1764900000));
    assert_true(rl.limited);
    assert_int_equal(rl.retry_at, 1764900300);
    rate_limit_init(&rl);
    assert_false(rate_limit_header(&rl, "X-RateLimit-Reset", "soon", 1764900000));
    assert_non_null(strstr(rl.problem, "X-RateLimit-Reset"));
}

/* Registering on the server, its consent screen, the code for a token. */
static void test_connect(void **state_)
{
    (void)state_;
    struct world w;
    world_start(&w, false);
    const struct connector *c = connector_find("mastodon");
    struct connect_result res = {0};
    char id[256], secret[256];
    assert_int_equal(c->register_app(&w.s, id, secret, &res), 0);
    json_t *apps = requests(&w.f, "POST", "/api/v1/apps");
    assert_int_equal(json_array_size(apps), 1);
    const char *body = json_string_value(json_object_get(json_array_get(apps, 0), "body"));
    assert_non_null(strstr(body, "redirect_uris=https%3A%2F%2Fkanal.example%2Foauth%2Fcallback"));
    assert_non_null(strstr(body, "scopes=read%20write") ? body : strstr(body, "scopes=read+write"));
    json_decref(apps);
    w.cfg.client_id = id;
    w.cfg.client_secret = secret;

    struct buf url = {0};
    struct error err = {0};
    assert_int_equal(c->authorize_url(&w.s, "st-42", NULL, &url, &err), 0);
    assert_int_equal(strncmp(url.data, w.f.url, strlen(w.f.url)), 0);
    assert_non_null(strstr(url.data, "/oauth/authorize?response_type=code&client_id="));
    assert_non_null(strstr(url.data, "&scope=read%20write&state=st-42"));
    /* The consent screen the person sees, then its form posted. */
    struct connect_response r;
    assert_int_equal(connect_http_get(w.f.http, url.data + strlen(w.f.url), NULL, &r, &err), 0);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body.data, "<form method='post' action='/oauth/authorize'>"));
    assert_non_null(strstr(r.body.data, "<li>write</li>"));
    connect_response_free(&r);
    buf_free(&url);
    const char *form[] = {"client_id", id,           "redirect_uri", w.cfg.redirect_uri,
                          "scope",     "read write", "state",        "st-42",
                          NULL};
    assert_int_equal(connect_http_post_form(w.f.http, "/oauth/authorize", NULL, form, &r, &err), 0);
    assert_int_equal(r.status, 302);
    connect_response_free(&r);
    json_t *posts = requests(&w.f, "POST", "/oauth/authorize");
    assert_int_equal(json_array_size(posts), 1);
    json_decref(posts);
    /* A code the server never gave: connect again. */
    struct channel_tokens tok[2] = {0};
    struct connect_account acc[2] = {0};
    int n = -1;
    memset(&res, 0, sizeof res);
    assert_int_equal(c->exchange(&w.s, "not-a-code", NULL, tok, acc, 2, &n, &res), -1);
    assert_int_equal(res.outcome, CO_AUTH);
    assert_string_equal(res.code, "invalid_grant");
    assert_non_null(strstr(res.message, "Mastodon: The provided authorization grant is invalid"));
    assert_int_equal(n, 0);
    world_stop(&w);
}

/* The whole OAuth round: the code comes back in the redirect. */
static void test_exchange(void **state_)
{
    (void)state_;
    struct world w;
    world_start(&w, false);
    const struct connector *c = connector_find("mastodon");
    struct connect_result res = {0};
    char id[256], secret[256];
    assert_int_equal(c->register_app(&w.s, id, secret, &res), 0);
    w.cfg.client_id = id;
    w.cfg.client_secret = secret;
    /* The consent form, posted as a browser would. The client does not
     * keep the redirect's Location: the fake's state says the code. */
    const char *form[] = {"client_id", id,           "redirect_uri", w.cfg.redirect_uri,
                          "scope",     "read write", "state",        "s1",
                          NULL};
    struct connect_response r;
    struct error err = {0};
    assert_int_equal(connect_http_post_form(w.f.http, "/oauth/authorize", NULL, form, &r, &err), 0);
    assert_int_equal(r.status, 302);
    connect_response_free(&r);
    json_t *st = state(&w.f, "{}");
    const char *code = json_string_value(json_object_get(st, "last_code"));
    assert_non_null(code);
    struct channel_tokens tok[1] = {0};
    struct connect_account acc[1] = {0};
    int n = 0;
    assert_int_equal(c->exchange(&w.s, code, NULL, tok, acc, 1, &n, &res), 0);
    assert_int_equal(n, 1);
    assert_non_null(tok[0].access_token);
    assert_string_equal(tok[0].scopes, "read write");
    assert_int_equal(tok[0].expires_at, 0);
    assert_string_equal(acc[0].id, w.account_id);
    assert_string_equal(acc[0].name, "Kanal");
    char handle[300];
    snprintf(handle, sizeof handle, "@kanal@%s", w.f.url + strlen("http://"));
    assert_string_equal(acc[0].handle, handle);
    json_t *tr = requests(&w.f, "POST", "/oauth/token");
    const char *body = json_string_value(json_object_get(json_array_get(tr, 0), "body"));
    assert_non_null(strstr(body, "grant_type=authorization_code"));
    assert_non_null(strstr(body, "redirect_uri=https%3A%2F%2Fkanal.example%2Foauth%2Fcallback"));
    json_decref(tr);
    /* A code is used once. */
    struct channel_tokens tok2[1] = {0};
    memset(&res, 0, sizeof res);
    assert_int_equal(c->exchange(&w.s, code, NULL, tok2, acc, 1, &n, &res), -1);
    assert_int_equal(res.outcome, CO_AUTH);
    json_decref(st);
    /* The token works. */
    w.s.tokens = &tok[0];
    struct test_sink t;
    sink_init(&t, w.account_id);
    memset(&res, 0, sizeof res);
    assert_int_equal(c->sync(&w.s, &t.sink, &res), 0);
    assert_int_equal(count_rows(t.db, "SELECT count(*) FROM post_variants"), 3);
    db_close(t.db);
    channel_tokens_clear(&tok[0]);
    world_stop(&w);
}

/* Sync pages back along the Link header, keeps cursors, and the second
 * sync fetches only the newest page; the same answers imported as files
 * give the same rows. */
static void test_sync_paging_and_files(void **state_)
{
    (void)state_;
    struct world w;
    world_start(&w, true);
    json_decref(state(&w.f, "{\"seed_statuses\": 95, \"seed_mentions\": 90}"));
    const struct connector *c = connector_find("mastodon");
    struct test_sink t;
    sink_init(&t, w.account_id);
    snprintf(t.dir, sizeof t.dir, "/tmp/kanal-mastodon-XXXXXX");
    assert_non_null(mkdtemp(t.dir));
    struct connect_result res = {0};
    assert_int_equal(c->sync(&w.s, &t.sink, &res), 0);
    /* 98 own statuses, 92 mentions (the built-in account has 3 and 2). */
    assert_int_equal(count_rows(t.db, "SELECT count(*) FROM post_variants"), 98);
    assert_int_equal(count_rows(t.db, "SELECT count(*) FROM messages"), 92);
    assert_int_equal(count_rows(t.db, "SELECT followers FROM channel_metrics"), 1520);
    json_t *sts = requests(&w.f, "GET", "/api/v1/accounts/1");
    /* 40 + 40 + 18, and the empty page after the last (Mastodon links to
     * a next page as long as a page had statuses). */
    assert_int_equal(json_array_size(sts), 4);
    assert_string_equal(query1(json_array_get(sts, 0), "limit"), "40");
    assert_null(query1(json_array_get(sts, 0), "max_id"));
    assert_non_null(query1(json_array_get(sts, 1), "max_id"));
    assert_string_equal(header(json_array_get(sts, 0), "Authorization"), "Bearer tok-1");
    json_decref(sts);
    json_t *nts = requests(&w.f, "GET", "/api/v1/notifications");
    assert_int_equal(json_array_size(nts), 3); /* 80 + 12 + the empty one */
    assert_string_equal(query1(json_array_get(nts, 0), "types[]"), "mention");
    assert_string_equal(query1(json_array_get(nts, 0), "limit"), "80");
    json_decref(nts);
    char newest[64];
    assert_non_null(sink_get(&t.sink, "statuses"));
    snprintf(newest, sizeof newest, "%s", sink_get(&t.sink, "statuses"));
    assert_true(strlen(newest) > 10);
    assert_non_null(sink_get(&t.sink, "notifications"));

    /* The same answers as files, detected by their bytes: the same rows. */
    struct test_sink u;
    sink_init(&u, w.account_id);
    for (int i = 0; i < t.pages; i++) {
        char path[128];
        snprintf(path, sizeof path, "%s/page-%02d.json", t.dir, i);
        struct ingest_counts cnt = {0};
        struct error err = {0};
        enum ingest_format used;
        struct import_job job = {.db = u.db,
                                 .target = {.workspace_id = u.ws, .channel_id = u.channel},
                                 .opts = {.taken_at = TAKEN_AT}};
        assert_int_equal(ingest_import_file(&job, path, &cnt, &used, &err), 0);
        assert_int_equal(used, INGEST_MASTODON);
        unlink(path);
    }
    rmdir(t.dir);
    char *a = dump(t.db), *b = dump(u.db);
    assert_string_equal(a, b);
    assert_true(strlen(a) > 1000);
    free(a);
    free(b);
    db_close(u.db);

    /* Again: one page of statuses (their counts), no new notifications. */
    t.dir[0] = '\0';
    json_decref(state(&w.f, "{\"seed_statuses\": 2}"));
    fake_control(&w.f, "/_fake/reset", "{}");
    memset(&res, 0, sizeof res);
    assert_int_equal(c->sync(&w.s, &t.sink, &res), 0);
    sts = requests(&w.f, "GET", "/api/v1/accounts/1");
    assert_int_equal(json_array_size(sts), 1);
    json_decref(sts);
    nts = requests(&w.f, "GET", "/api/v1/notifications");
    assert_int_equal(json_array_size(nts), 1);
    assert_non_null(query1(json_array_get(nts, 0), "since_id"));
    json_decref(nts);
    assert_int_equal(count_rows(t.db, "SELECT count(*) FROM post_variants"), 100);
    assert_int_equal(count_rows(t.db, "SELECT count(*) FROM messages"), 92);
    assert_string_not_equal(sink_get(&t.sink, "statuses"), newest);
    db_close(t.db);
    world_stop(&w);
}

static void test_errors(void **state_)
{
    (void)state_;
    struct world w;
    world_start(&w, true);
    const struct connector *c = connector_find("mastodon");
    struct test_sink t;
    sink_init(&t, w.account_id);
    struct connect_result res = {0};
    struct connect_done done;

    /* Over 500 characters: Mastodon's 422 and its words. */
    char longtext[520];
    memset(longtext, 'a', sizeof longtext - 1);
    longtext[sizeof longtext - 1] = '\0';
    struct connect_action a = {.kind = ACT_PUBLISH, .text = longtext, .key = "kanal-action-1"};
    assert_int_equal(c->act(&w.s, &a, &done, &res), -1);
    assert_int_equal(res.outcome, CO_REJECTED);
    assert_int_equal(res.status, 422);
    assert_non_null(strstr(res.message, "Validation failed: Text character limit of 500 exceeded"));

    /* A 5xx is worth trying again; a 429 waits for the window's end. */
    fake_control(&w.f, "/_fake/script", "{\"path\": \"/api/v1/accounts/\", \"status\": 503}");
    memset(&res, 0, sizeof res);
    assert_int_equal(c->sync(&w.s, &t.sink, &res), -1);
    assert_int_equal(res.outcome, CO_TEMPORARY);
    json_decref(state(&w.f, "{\"rate_remaining\": 0}"));
    memset(&res, 0, sizeof res);
    assert_int_equal(c->sync(&w.s, &t.sink, &res), -1);
    assert_int_equal(res.outcome, CO_RATE);
    assert_int_equal(res.status, 429);
    assert_true(res.retry_at > time_now());
    assert_non_null(strstr(res.message, "Too many requests"));
    json_decref(state(&w.f, "{\"rate_remaining\": 300}"));

    /* A revoked token: the channel needs reconnecting, in Mastodon's words. */
    json_decref(state(&w.f, "{\"revoke\": \"tok-1\"}"));
    memset(&res, 0, sizeof res);
    assert_int_equal(c->sync(&w.s, &t.sink, &res), -1);
    assert_int_equal(res.outcome, CO_AUTH);
    assert_non_null(strstr(res.message, "The access token is invalid"));
    a.text = "hej";
    memset(&res, 0, sizeof res);
    assert_int_equal(c->act(&w.s, &a, &done, &res), -1);
    assert_int_equal(res.outcome, CO_AUTH);

    /* Hiding is not something Mastodon does. */
    json_decref(state(&w.f, "{\"token\": \"tok-1\"}"));
    struct connect_action hide = {.kind = ACT_HIDE, .target = "1"};
    memset(&res, 0, sizeof res);
    assert_int_equal(c->act(&w.s, &hide, &done, &res), -1);
    assert_int_equal(res.outcome, CO_REJECTED);
    db_close(t.db);
    world_stop(&w);
}

/* Publishing sends the action's key; sent twice it is one status; an
 * answer lost after the status was made is found by lookup. */
static void test_publish_idempotent_and_lookup(void **state_)
{
    (void)state_;
    struct world w;
    world_start(&w, true);
    const struct connector *c = connector_find("mastodon");
    struct connect_result res = {0};
    struct connect_done done, again;
    struct connect_action a = {.kind = ACT_PUBLISH,
                               .text = "Öppet hus på lördag & söndag",
                               .link = "https://example.com/hus",
                               .key = "kanal-action-7",
                               .first_sent_at = time_now()};
    assert_int_equal(c->act(&w.s, &a, &done, &res), 0);
    assert_true(strlen(done.id) > 10);
    assert_non_null(strstr(done.permalink, done.id));
    json_t *p = requests(&w.f, "POST", "/api/v1/statuses");
    json_t *req = json_array_get(p, 0);
    assert_string_equal(header(req, "Idempotency-Key"), "kanal-action-7");
    assert_string_equal(header(req, "Authorization"), "Bearer tok-1");
    json_t *body = json_loads(json_string_value(json_object_get(req, "body")), 0, NULL);
    assert_string_equal(json_string_value(json_object_get(body, "status")),
                        "Öppet hus på lördag & söndag\n\nhttps://example.com/hus");
    assert_string_equal(json_string_value(json_object_get(body, "visibility")), "public");
    json_decref(body);
    json_decref(p);
    assert_int_equal(c->act(&w.s, &a, &again, &res), 0);
    assert_string_equal(again.id, done.id);
    json_t *st = state(&w.f, "{}");
    assert_int_equal(json_integer_value(json_object_get(st, "own_statuses")), 4);
    json_decref(st);

    /* Done at the server, its answer lost: CO_LOST (not sent again on
     * another connection), then found by lookup. */
    fake_control(&w.f, "/_fake/reset", "{}");
    fake_control(&w.f, "/_fake/script",
                 "{\"method\": \"POST\", \"path\": \"/api/v1/statuses\", \"after\": true, "
                 "\"drop\": true}");
    struct connect_action b = {.kind = ACT_PUBLISH,
                               .text = "Nytt nummer\n\nav tidningen",
                               .key = "kanal-action-8",
                               .first_sent_at = time_now()};
    memset(&res, 0, sizeof res);
    assert_int_equal(c->act(&w.s, &b, &done, &res), -1);
    assert_int_equal(res.outcome, CO_LOST);
    assert_int_equal(res.status, 0);
    p = requests(&w.f, "POST", "/api/v1/statuses");
    assert_int_equal(json_array_size(p), 1);
    json_decref(p);
    struct connect_done found;
    memset(&res, 0, sizeof res);
    assert_int_equal(c->lookup(&w.s, &b, &found, &res), 1);
    assert_true(strlen(found.id) > 10);
    assert_non_null(strstr(found.permalink, found.id));
    st = state(&w.f, "{}");
    assert_int_equal(json_integer_value(json_object_get(st, "own_statuses")), 5);
    json_decref(st);
    /* Never sent: not found, may be sent. */
    struct connect_action never = {.kind = ACT_PUBLISH,
                                   .text = "Detta skickades aldrig",
                                   .key = "kanal-action-9",
                                   .first_sent_at = time_now()};
    assert_int_equal(c->lookup(&w.s, &never, &found, &res), 0);
    /* Lost before it reached the server: also not found. */
    fake_control(&w.f, "/_fake/script",
                 "{\"method\": \"POST\", \"path\": \"/api/v1/statuses\", \"drop\": true}");
    never.key = "kanal-action-10";
    memset(&res, 0, sizeof res);
    assert_int_equal(c->act(&w.s, &never, &done, &res), -1);
    assert_int_equal(res.outcome, CO_LOST);
    assert_int_equal(c->lookup(&w.s, &never, &found, &res), 0);
    world_stop(&w);
}

/* An image first, then the status with its id; a reply names its author;
 * like; delete own, not others'. */
static void test_image_reply_like_delete(void **state_)
{
    (void)state_;
    struct world w;
    world_start(&w, true);
    const struct connector *c = connector_find("mastodon");
    struct connect_result res = {0};
    struct connect_done done;
    static const char png[] = {'\x89', 'P', 'N', 'G', '\r', '\n', '\x1a', '\n', '\0', 'x'};
    struct connect_action a = {.kind = ACT_PUBLISH,
                               .text = "Bild från dagen",
                               .image = png,
                               .image_len = sizeof png,
                               .image_type = "image/png",
                               .image_alt = "Folk i en park",
                               .key = "kanal-action-20"};
    assert_int_equal(c->act(&w.s, &a, &done, &res), 0);
    json_t *m = requests(&w.f, "POST", "/api/v2/media");
    assert_int_equal(json_array_size(m), 1);
    assert_non_null(strstr(header(json_array_get(m, 0), "Content-Type"), "multipart/form-data"));
    json_decref(m);
    json_t *p = requests(&w.f, "POST", "/api/v1/statuses");
    json_t *body =
        json_loads(json_string_value(json_object_get(json_array_get(p, 0), "body")), 0, NULL);
    json_t *ids = json_object_get(body, "media_ids");
    assert_int_equal(json_array_size(ids), 1);
    assert_true(strlen(json_string_value(json_array_get(ids, 0))) > 10);
    json_decref(body);
    json_decref(p);

    /* Reply to the built-in mention by @bertil: his name goes first. */
    struct test_sink t;
    sink_init(&t, w.account_id);
    assert_int_equal(c->sync(&w.s, &t.sink, &res), 0);
    struct error err = {0};
    struct db_stmt *st = db_query(
        t.db, &err, "SELECT platform_id FROM messages WHERE author_handle = ?", "t", "bertil");
    assert_non_null(st);
    assert_true(db_has_row(st));
    char mention[64];
    snprintf(mention, sizeof mention, "%s", db_col_text(st, 0));
    db_finalize(st);
    db_close(t.db);
    fake_control(&w.f, "/_fake/reset", "{}");
    struct connect_action r = {.kind = ACT_REPLY,
                               .target = mention,
                               .text = "Klockan tio.",
                               .key = "kanal-action-21",
                               .first_sent_at = time_now()};
    assert_int_equal(c->act(&w.s, &r, &done, &res), 0);
    p = requests(&w.f, "POST", "/api/v1/statuses");
    body = json_loads(json_string_value(json_object_get(json_array_get(p, 0), "body")), 0, NULL);
    assert_string_equal(json_string_value(json_object_get(body, "status")), "@bertil Klockan tio.");
    assert_string_equal(json_string_value(json_object_get(body, "in_reply_to_id")), mention);
    json_decref(body);
    json_decref(p);
    struct connect_done found;
    assert_int_equal(c->lookup(&w.s, &r, &found, &res), 1);
    assert_string_equal(found.id, done.id);

    /* Like the mention; lookup sees it favourited. */
    struct connect_action like = {.kind = ACT_LIKE, .target = mention};
    assert_int_equal(c->act(&w.s, &like, &found, &res), 0);
    assert_int_equal(c->lookup(&w.s, &like, &found, &res), 1);
    /* Deleting someone else's status: Mastodon's 403 in its words. */
    struct connect_action del_other = {.kind = ACT_DELETE_MESSAGE, .target = mention};
    memset(&res, 0, sizeof res);
    assert_int_equal(c->act(&w.s, &del_other, &found, &res), -1);
    assert_int_equal(res.outcome, CO_REJECTED);
    assert_non_null(strstr(res.message, "This action is not allowed"));
    /* Deleting the own reply; again it is already gone, which is done. */
    struct connect_action del = {.kind = ACT_DELETE_MESSAGE, .target = done.id};
    assert_int_equal(c->lookup(&w.s, &del, &found, &res), 0);
    assert_int_equal(c->act(&w.s, &del, &found, &res), 0);
    assert_int_equal(c->lookup(&w.s, &del, &found, &res), 1);
    assert_int_equal(c->act(&w.s, &del, &found, &res), 0);
    json_t *d = requests(&w.f, "DELETE", "/api/v1/statuses/");
    assert_int_equal(json_array_size(d), 3);
    json_decref(d);
    world_stop(&w);
}

/* The consent address, byte for byte: the server's own /oauth/authorize
 * (trailing slashes of its address dropped) or a configured one with a query
 * already, every value percent-encoded, PKCE's two fields last. */
static void test_authorize_url_bytes(void **state)
{
    (void)state;
    const struct connector *c = connector_find("mastodon");
    struct connect_platform_config cfg = {.api_url = "https://m.example//",
                                          .client_id = "id 1",
                                          .redirect_uri = "https://k.example/oauth/callback"};
    struct connect_session s = {.cfg = &cfg};
    struct buf url = {0};
    struct error err = {0};
    assert_int_equal(c->authorize_url(&s, "st-42", NULL, &url, &err), 0);
    assert_string_equal(url.data, "https://m.example/oauth/authorize?response_type=code&client_id="
                                  "id%201&redirect_uri=https%3A%2F%2Fk.example%2Foauth%2Fcallback&"
                                  "scope=read%20write&state=st-42");
    buf_free(&url);
    cfg.auth_url = "https://a.example/authorize?x=1";
    assert_int_equal(c->authorize_url(&s, "st/43", "ch_al~len-ge.", &url, &err), 0);
    assert_string_equal(url.data, "https://a.example/authorize?x=1&response_type=code&client_id="
                                  "id%201&redirect_uri=https%3A%2F%2Fk.example%2Foauth%2Fcallback&"
                                  "scope=read%20write&state=st%2F43&code_challenge_method=S256&"
                                  "code_challenge=ch_al~len-ge.");
    buf_free(&url);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_registered),
        cmocka_unit_test(test_authorize_url_bytes),
        cmocka_unit_test(test_rate_limit_headers),
        cmocka_unit_test(test_connect),
        cmocka_unit_test(test_exchange),
        cmocka_unit_test(test_sync_paging_and_files),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_publish_idempotent_and_lookup),
        cmocka_unit_test(test_image_reply_like_delete),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
