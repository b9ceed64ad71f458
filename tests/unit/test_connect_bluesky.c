/* Unit tests for the Bluesky connector (connect/bluesky.c) against the PDS
 * fake (tests/fakes/bluesky.py): a session from an app password and its
 * refresh, link facets' byte offsets in text with å, ä and emoji, paging
 * the author feed and notifications into a database through the importer
 * (and the same pages imported as files giving the same rows), the XRPC
 * errors' outcomes, and actions: publish, reply, like, delete, and a post
 * whose answer was lost looked up rather than sent twice. */
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
#include "model/model.h"

#define DID      "did:plc:verket000000000000000000"
#define HANDLE   "verket.test"
#define PASSWORD "abcd-efgh-ijkl-mnop"
#define TAKEN_AT 1796000000

struct env {
    struct fake_platform f;
    struct connect_platform_config cfg;
    struct connect_http *http;
    struct channel_tokens tokens;
    struct connect_session s;
    int renewed;
};

/* Stores renewed tokens as a caller would: these are the channel's now. */
static int renewed(struct connect_session *s, const struct channel_tokens *t, struct error *err)
{
    struct env *e = s->ctx;
    channel_tokens_clear(&e->tokens);
    e->tokens.access_token = strdup(t->access_token);
    e->tokens.refresh_token = strdup(t->refresh_token);
    e->tokens.expires_at = t->expires_at;
    e->renewed++;
    return 0;
}

static const struct connector *bsky(void)
{
    const struct connector *c = connector_find("bluesky");
    assert_non_null(c);
    return c;
}

/* The fake, a client to it, and a session connected with the app password. */
static struct env *start(void)
{
    struct env *e = calloc(1, sizeof *e);
    fake_start(&e->f, "bluesky");
    e->cfg.api_url = e->f.url;
    struct error err = {0};
    struct connect_http_config hc = {.base_url = e->f.url, .timeout_ms = 3000};
    e->http = connect_http_new(&hc, &err);
    assert_non_null(e->http);
    e->s = (struct connect_session){.cfg = &e->cfg, .http = e->http, .now = time_now(), .ctx = e};
    struct connect_account acct[2];
    struct connect_result res = {0};
    int n = 0;
    assert_int_equal(
        bsky()->exchange(&e->s, HANDLE ":" PASSWORD, NULL, &e->tokens, acct, 2, &n, &res), 0);
    assert_int_equal(n, 1);
    assert_string_equal(acct[0].id, DID);
    assert_string_equal(acct[0].handle, HANDLE);
    assert_string_equal(acct[0].name, "Verket");
    e->s.tokens = &e->tokens;
    e->s.account_id = DID;
    e->s.account_handle = HANDLE;
    return e;
}

static void stop(struct env *e)
{
    channel_tokens_clear(&e->tokens);
    connect_http_free(e->http);
    fake_stop(&e->f);
    free(e);
}

/* How many requests of the log went to `nsid`. */
static int calls(struct env *e, const char *nsid)
{
    json_t *log = fake_log(&e->f), *x;
    size_t i;
    int n = 0;
    json_array_foreach (log, i, x)
        n += strstr(json_string_value(json_object_get(x, "path")), nsid) != NULL;
    json_decref(log);
    return n;
}

/* The JSON body of the last request to `nsid`; caller decrefs. */
static json_t *last_body(struct env *e, const char *nsid)
{
    json_t *log = fake_log(&e->f), *x, *out = NULL;
    size_t i;
    json_array_foreach (log, i, x)
        if (strstr(json_string_value(json_object_get(x, "path")), nsid)) {
            json_decref(out);
            const char *b = json_string_value(json_object_get(x, "body"));
            out = b ? json_loads(b, 0, NULL) : NULL;
        }
    json_decref(log);
    assert_non_null(out);
    return out;
}

/* ---- sessions ------------------------------------------------------------------------- */

static void test_session_and_refresh(void **state)
{
    (void)state;
    struct env *e = start();
    const struct connector *c = bsky();
    assert_null(c->authorize_url);
    /* The expiry is the access JWT's exp: two hours on the fake. */
    assert_in_range(e->tokens.expires_at, e->s.now + 7200 - 60, e->s.now + 7200 + 60);
    assert_string_equal(e->tokens.scopes, "com.atproto.appPass");

    struct channel_tokens t = {0};
    struct connect_result res = {0};
    assert_int_equal(c->refresh(&e->s, &t, &res), 0);
    assert_string_not_equal(t.access_token, e->tokens.access_token);
    assert_string_not_equal(t.refresh_token, e->tokens.refresh_token);
    /* The old refresh token was spent by that refresh. */
    struct channel_tokens t2 = {0};
    assert_int_equal(c->refresh(&e->s, &t2, &res), -1);
    assert_int_equal(res.outcome, CO_AUTH);
    assert_string_equal(res.code, "InvalidToken");
    channel_tokens_clear(&t);

    /* A wrong password, and a code that is not HANDLE:APP-PASSWORD. */
    struct channel_tokens bad = {0};
    struct connect_account acct[1];
    int n = 9;
    memset(&res, 0, sizeof res);
    assert_int_equal(
        c->exchange(&e->s, HANDLE ":wrong-pass-word-xxxx", NULL, &bad, acct, 1, &n, &res), -1);
    assert_int_equal(res.outcome, CO_AUTH);
    assert_int_equal(n, 0);
    assert_non_null(strstr(res.message, "Invalid identifier or password"));
    memset(&res, 0, sizeof res);
    assert_int_equal(c->exchange(&e->s, "no-password", NULL, &bad, acct, 1, &n, &res), -1);
    assert_int_equal(res.outcome, CO_REJECTED);
    assert_non_null(strstr(res.message, "HANDLE:APP-PASSWORD"));
    /* A DID as the identifier: split at the last ':'. */
    memset(&res, 0, sizeof res);
    assert_int_equal(c->exchange(&e->s, DID ":" PASSWORD, NULL, &bad, acct, 1, &n, &res), 0);
    assert_string_equal(acct[0].id, DID);
    channel_tokens_clear(&bad);
    json_t *body = last_body(e, "com.atproto.server.createSession");
    assert_string_equal(json_string_value(json_object_get(body, "identifier")), DID);
    json_decref(body);
    stop(e);
}

/* ---- facets ---------------------------------------------------------------------------- */

static int64_t facet_at(json_t *facets, size_t i, const char *key)
{
    json_t *idx = json_object_get(json_array_get(facets, i), "index");
    return json_integer_value(json_object_get(idx, key));
}

static void test_facets_byte_offsets(void **state)
{
    (void)state;
    /* "Läs på" and an emoji before the links: byte offsets, not characters. */
    const char *text = "L\xC3\xA4s p\xC3\xA5 https://exempel.se/\xC3\xA5r?x=1, och "
                       "\xF0\x9F\x98\x80 (https://b.example/a). Slut";
    json_t *f = bluesky_link_facets(text);
    assert_non_null(f);
    assert_int_equal(json_array_size(f), 2);
    const char *one = strstr(text, "https://exempel.se");
    assert_int_equal(facet_at(f, 0, "byteStart"), one - text);
    assert_int_equal(facet_at(f, 0, "byteStart"), 9); /* L, ä (2), s, space, p, å (2), space */
    assert_int_equal(facet_at(f, 0, "byteEnd"),
                     one - text + (long)strlen("https://exempel.se/\xC3\xA5r?x=1"));
    const char *two = strstr(text, "https://b.example/a");
    assert_int_equal(facet_at(f, 1, "byteStart"), two - text);
    assert_int_equal(facet_at(f, 1, "byteEnd"), two - text + (long)strlen("https://b.example/a"));
    json_t *feat = json_array_get(json_object_get(json_array_get(f, 1), "features"), 0);
    assert_string_equal(json_string_value(json_object_get(feat, "uri")), "https://b.example/a");
    assert_string_equal(json_string_value(json_object_get(feat, "$type")),
                        "app.bsky.richtext.facet#link");
    json_decref(f);
    assert_null(bluesky_link_facets("no links, only http:// and mailto:x"));

    /* Published: the fake checks each facet covers its link's bytes. */
    struct env *e = start();
    struct connect_action a = {.kind = ACT_PUBLISH, .text = text};
    struct connect_done done;
    struct connect_result res = {0};
    assert_int_equal(bsky()->act(&e->s, &a, &done, &res), 0);
    assert_true(str_starts_with(done.id, "at://" DID "/app.bsky.feed.post/"));
    assert_true(str_starts_with(done.permalink, "https://bsky.app/profile/" HANDLE "/post/"));
    json_t *body = last_body(e, "com.atproto.repo.createRecord");
    json_t *rec = json_object_get(body, "record");
    assert_string_equal(json_string_value(json_object_get(rec, "text")), text);
    assert_int_equal(json_array_size(json_object_get(rec, "facets")), 2);
    json_decref(body);

    /* 300 emoji are 300 graphemes (1,200 bytes): taken; 301 letters are not. */
    struct buf b = {0};
    for (int i = 0; i < 300; i++)
        buf_puts(&b, "\xF0\x9F\x91\x8D");
    a.text = b.data;
    memset(&res, 0, sizeof res);
    assert_int_equal(bsky()->act(&e->s, &a, &done, &res), 0);
    buf_reset(&b);
    for (int i = 0; i < 301; i++)
        buf_puts(&b, "\xC3\xA4");
    a.text = b.data;
    memset(&res, 0, sizeof res);
    assert_int_equal(bsky()->act(&e->s, &a, &done, &res), -1);
    assert_int_equal(res.outcome, CO_REJECTED);
    assert_string_equal(res.code, "InvalidRequest");
    assert_non_null(strstr(res.message, "300 graphemes"));
    buf_free(&b);
    stop(e);
}

/* ---- sync -------------------------------------------------------------------------------- */

/* A sink that imports each page into a channel, keeps cursors in memory,
 * and writes each page to a file of its own for the file import to read. */
struct sink_ctx {
    struct db *db;
    struct ingest_target tg;
    struct ingest_counts c;
    char keys[4][32], vals[4][64];
    int nkeys, pages;
    char dir[64];
};

static int sink_page(struct sync_sink *s, enum ingest_format f, const char *what, const char *data,
                     size_t len, int64_t *added, struct error *err)
{
    struct sink_ctx *x = s->ctx;
    assert_int_equal(f, INGEST_BLUESKY);
    struct import_job job = {.db = x->db,
                             .target = x->tg,
                             .format = f,
                             .filename = what,
                             .opts = {.taken_at = TAKEN_AT}};
    if (ingest_import(&job, data, len, &x->c, err))
        return -1;
    char path[128];
    snprintf(path, sizeof path, "%s/page-%02d.json", x->dir, x->pages++);
    FILE *out = fopen(path, "wb");
    assert_non_null(out);
    assert_int_equal(fwrite(data, 1, len, out), len);
    fclose(out);
    if (added)
        *added = 0;
    return 0;
}

static const char *sink_get(struct sync_sink *s, const char *resource)
{
    struct sink_ctx *x = s->ctx;
    for (int i = 0; i < x->nkeys; i++)
        if (str_eq(x->keys[i], resource))
            return x->vals[i];
    return NULL;
}

static int sink_set(struct sync_sink *s, const char *resource, const char *value, struct error *err)
{
    struct sink_ctx *x = s->ctx;
    int i = 0;
    while (i < x->nkeys && !str_eq(x->keys[i], resource))
        i++;
    if (i == x->nkeys) {
        assert_true(x->nkeys < 4);
        snprintf(x->keys[x->nkeys++], sizeof x->keys[0], "%s", resource);
    }
    snprintf(x->vals[i], sizeof x->vals[0], "%s", value ? value : "");
    return 0;
}

static struct db *fresh_db(int64_t *ws, int64_t *channel)
{
    struct error err = {0};
    struct db *db = db_open(":memory:", &err);
    assert_non_null(db);
    log_set_level(LOG_QUIET);
    assert_true(db_migrate(db, &err) >= 1);
    assert_int_equal(workspace_default(db, ws, &err), 0);
    json_t *in = json_pack("{s:s, s:s, s:s, s:s}", "platform", "bluesky", "handle", HANDLE, "name",
                           "Verket", "platform_id", DID);
    json_t *ch = entity_create(db, &entity_channel, *ws, in, NULL, &err);
    json_decref(in);
    assert_non_null(ch);
    *channel = json_integer_value(json_object_get(ch, "id"));
    json_decref(ch);
    return db;
}

static int64_t rows(struct db *db, const char *sql)
{
    int64_t n = -1;
    struct error err = {0};
    assert_int_equal(db_scalar(db, &err, &n, sql, ""), 1);
    return n;
}

/* Every row the imports made, as text, in a stable order. */
static char *dump(struct db *db)
{
    static const char *const q[] = {
        "SELECT v.platform_id, p.body, p.format, coalesce(p.link_url, ''), v.permalink, "
        "v.published_at FROM post_variants v JOIN posts p ON p.id = v.post_id ORDER BY 1",
        "SELECT v.platform_id, m.taken_at, m.reactions, m.comments, m.shares FROM post_metrics m "
        "JOIN post_variants v ON v.id = m.variant_id ORDER BY 1, 2",
        "SELECT m.platform_id, m.kind, m.body, m.author_handle, m.author_name, m.is_own, "
        "coalesce(q.platform_id, ''), m.created_at FROM messages m LEFT JOIN messages q ON q.id "
        "= m.parent_id ORDER BY 1",
        "SELECT taken_at, followers FROM channel_metrics ORDER BY 1",
    };
    struct buf b = {0};
    struct error err = {0};
    for (size_t i = 0; i < ARRAY_LEN(q); i++) {
        struct db_stmt *st = db_query(db, &err, q[i], "");
        assert_non_null(st);
        for (int rc = db_has_row(st); rc == 1; rc = db_step(st, &err)) {
            for (int c = 0; c < db_col_count(st); c++)
                buf_printf(&b, "%s|", db_col_text(st, c));
            buf_putc(&b, '\n');
        }
        db_finalize(st);
        buf_puts(&b, "--\n");
    }
    return buf_steal(&b);
}

static void test_sync_pages_and_same_rows(void **state)
{
    (void)state;
    struct env *e = start();
    fake_control(&e->f, "/_fake/state",
                 "{\"posts\": 250, \"reposts\": 3, \"notifications\": 7, \"followers\": 4321}");
    fake_control(&e->f, "/_fake/reset", NULL);
    int64_t ws, ch;
    struct sink_ctx x = {.db = fresh_db(&ws, &ch)};
    x.tg = (struct ingest_target){.workspace_id = ws, .channel_id = ch};
    snprintf(x.dir, sizeof x.dir, "/tmp/kanal-bsky-%d", (int)getpid());
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf %s && mkdir -p %s", x.dir, x.dir);
    assert_int_equal(system(cmd), 0);
    struct sync_sink sink = {
        .page = sink_page, .cursor_get = sink_get, .cursor_set = sink_set, .ctx = &x};
    struct connect_result res = {0};
    assert_int_equal(bsky()->sync(&e->s, &sink, &res), 0);
    /* 253 feed items in pages of 100; 7 notifications in one page; the
     * profile. */
    assert_int_equal(calls(e, "app.bsky.feed.getAuthorFeed"), 3);
    assert_int_equal(calls(e, "app.bsky.notification.listNotifications"), 1);
    assert_int_equal(x.pages, 5);
    assert_int_equal(x.c.inserted[IE_POSTS], 250);
    assert_int_equal(x.c.shares_skipped, 3);
    /* Notifications cycle reply, mention, like: 3 replies, 2 mentions. */
    assert_int_equal(x.c.inserted[IE_MESSAGES], 5);
    assert_int_equal(rows(x.db, "SELECT COUNT(*) FROM messages WHERE kind = 'comment' AND "
                                "variant_id IS NOT NULL"),
                     3);
    assert_int_equal(rows(x.db, "SELECT followers FROM channel_metrics"), 4321);
    assert_string_equal(sink_get(&sink, "feed"), "2026-11-01T04:09:00Z"); /* post 250's time */
    assert_non_null(sink_get(&sink, "notifications"));
    json_t *log = fake_log(&e->f);
    json_t *q2 = json_object_get(json_array_get(log, 1), "query");
    assert_string_equal(json_string_value(json_array_get(json_object_get(q2, "limit"), 0)), "100");
    assert_non_null(json_object_get(q2, "cursor"));
    json_decref(log);

    /* The same pages imported as files (the format detected from the
     * bytes) into another database give the same rows. */
    int64_t ws2, ch2;
    struct db *db2 = fresh_db(&ws2, &ch2);
    for (int i = 0; i < x.pages; i++) {
        char path[128];
        snprintf(path, sizeof path, "%s/page-%02d.json", x.dir, i);
        struct import_job job = {.db = db2,
                                 .target = {.workspace_id = ws2, .channel_id = ch2},
                                 .opts = {.taken_at = TAKEN_AT}};
        struct ingest_counts c = {0};
        struct error err = {0};
        enum ingest_format detected = INGEST_AUTO;
        if (ingest_import_file(&job, path, &c, &detected, &err))
            fail_msg("%s: %s", path, err.msg);
        assert_int_equal(detected, INGEST_BLUESKY);
    }
    char *a = dump(x.db), *b = dump(db2);
    assert_true(strlen(a) > 1000);
    assert_string_equal(a, b);
    free(a);
    free(b);
    db_close(db2);

    /* A second sync reads one page of each list: nothing new but a snapshot. */
    fake_control(&e->f, "/_fake/reset", NULL);
    memset(&x.c, 0, sizeof x.c);
    assert_int_equal(bsky()->sync(&e->s, &sink, &res), 0);
    assert_int_equal(calls(e, "app.bsky.feed.getAuthorFeed"), 1);
    assert_int_equal(x.c.inserted[IE_POSTS] + x.c.inserted[IE_MESSAGES], 0);
    snprintf(cmd, sizeof cmd, "rm -rf %s", x.dir);
    assert_int_equal(system(cmd), 0);
    db_close(x.db);
    stop(e);
}

/* ---- errors ------------------------------------------------------------------------------- */

static int sink_drop(struct sync_sink *s, enum ingest_format f, const char *what, const char *data,
                     size_t len, int64_t *added, struct error *err)
{
    (*(int *)s->ctx)++;
    return 0;
}
static const char *no_cursor(struct sync_sink *s, const char *r)
{
    return NULL;
}
static int keep_nothing(struct sync_sink *s, const char *r, const char *v, struct error *err)
{
    return 0;
}

static void test_errors(void **state)
{
    (void)state;
    struct env *e = start();
    int pages = 0;
    struct sync_sink sink = {
        .page = sink_drop, .cursor_get = no_cursor, .cursor_set = keep_nothing, .ctx = &pages};
    struct connect_result res = {0};
    const char *first = strdup(e->tokens.access_token);

    /* Expired, with no one to store renewed tokens: try again later. */
    fake_control(&e->f, "/_fake/state", "{\"expire_access\": true}");
    assert_int_equal(bsky()->sync(&e->s, &sink, &res), -1);
    assert_int_equal(res.outcome, CO_TEMPORARY);
    assert_string_equal(res.code, "ExpiredToken");
    assert_non_null(strstr(res.message, "Token has expired"));
    /* With a caller that stores them: refreshed once, retried, done. */
    e->s.tokens_renewed = renewed;
    memset(&res, 0, sizeof res);
    assert_int_equal(bsky()->sync(&e->s, &sink, &res), 0);
    assert_int_equal(e->renewed, 1);
    assert_string_not_equal(e->tokens.access_token, first);
    assert_int_equal(calls(e, "com.atproto.server.refreshSession"), 1);
    free((char *)first);

    /* Revoked: reconnect. */
    fake_control(&e->f, "/_fake/state", "{\"revoke\": true}");
    memset(&res, 0, sizeof res);
    assert_int_equal(bsky()->sync(&e->s, &sink, &res), -1);
    assert_int_equal(res.outcome, CO_AUTH);
    assert_string_equal(res.code, "InvalidToken");
    assert_non_null(strstr(res.message, "Bluesky: "));
    stop(e);

    /* Rate limited: wait until the window's end the headers name. */
    e = start();
    fake_control(&e->f, "/_fake/state", "{\"ratelimit\": 2}");
    memset(&res, 0, sizeof res);
    assert_int_equal(bsky()->sync(&e->s, &sink, &res), -1);
    assert_int_equal(res.outcome, CO_RATE);
    assert_string_equal(res.code, "RateLimitExceeded");
    assert_int_equal(res.status, 429);
    assert_in_range(res.retry_at, e->s.now + 200, e->s.now + 400);
    fake_control(&e->f, "/_fake/state", "{\"ratelimit\": 3000}");
    /* A 5xx: try again; a dropped read: try again (libcurl itself sends a
     * read again once when a kept-alive connection dies: dropped twice). */
    fake_control(&e->f, "/_fake/script",
                 "{\"path\": \"/xrpc/app.bsky.feed.getAuthorFeed\", \"status\": 502}");
    memset(&res, 0, sizeof res);
    assert_int_equal(bsky()->sync(&e->s, &sink, &res), -1);
    assert_int_equal(res.outcome, CO_TEMPORARY);
    assert_int_equal(res.status, 502);
    fake_control(&e->f, "/_fake/script",
                 "{\"path\": \"/xrpc/app.bsky.actor.getProfile\", \"drop\": true, "
                 "\"times\": 2}");
    memset(&res, 0, sizeof res);
    assert_int_equal(bsky()->sync(&e->s, &sink, &res), -1);
    assert_int_equal(res.outcome, CO_TEMPORARY);
    /* Someone else's post cannot be deleted; a hide is not Bluesky's. */
    struct connect_action a = {.kind = ACT_DELETE_POST,
                               .target = "at://did:plc:anna00000000000000000000/"
                                         "app.bsky.feed.post/3n00000000000"};
    struct connect_done done;
    memset(&res, 0, sizeof res);
    assert_int_equal(bsky()->act(&e->s, &a, &done, &res), -1);
    assert_int_equal(res.outcome, CO_REJECTED);
    a.kind = ACT_HIDE;
    assert_int_equal(bsky()->act(&e->s, &a, &done, &res), -1);
    assert_int_equal(res.outcome, CO_REJECTED);
    assert_false(bsky()->actions & (1u << ACT_HIDE));
    stop(e);
}

/* ---- actions ---------------------------------------------------------------------------- */

/* The account's posts, newest first, as /_fake/state says; caller decrefs. */
static json_t *own_posts(struct env *e)
{
    struct connect_request rq = {.method = "POST",
                                 .path = "/_fake/state",
                                 .content_type = "application/json",
                                 .body = "{}",
                                 .body_len = 2};
    struct connect_response r;
    struct error err = {0};
    assert_int_equal(connect_http_send(e->f.http, &rq, &r, &err), 0);
    json_t *j = json_loads(r.body.data, 0, NULL);
    connect_response_free(&r);
    json_t *posts = json_incref(json_object_get(j, "posts"));
    json_decref(j);
    return posts;
}

static int count_text(json_t *posts, struct env *e, const char *text)
{
    (void)posts;
    struct connect_response r;
    struct error err = {0};
    char path[200];
    snprintf(path, sizeof path, "/xrpc/app.bsky.feed.getAuthorFeed?actor=%s&limit=100", DID);
    assert_int_equal(connect_http_get(e->http, path, e->tokens.access_token, &r, &err), 0);
    json_t *j = json_loads(r.body.data, 0, NULL), *x;
    connect_response_free(&r);
    size_t i;
    int n = 0;
    json_array_foreach (json_object_get(j, "feed"), i, x) {
        const char *t = json_string_value(
            json_object_get(json_object_get(json_object_get(x, "post"), "record"), "text"));
        n += t && str_eq(t, text);
    }
    json_decref(j);
    return n;
}

static void test_actions_and_lost_post(void **state)
{
    (void)state;
    struct env *e = start();
    const struct connector *c = bsky();
    json_t *posts = own_posts(e);
    const char *p0 = json_string_value(json_array_get(posts, 0));
    const char *p1 = json_string_value(json_array_get(posts, 1));
    struct connect_done done, reply1;
    struct connect_result res = {0};

    /* A reply to the account's post, then a reply to that reply: the root
     * stays the first post. */
    struct connect_action a = {
        .kind = ACT_REPLY, .target = p0, .text = "Tack f\xC3\xB6r fr\xC3\xA5gan!"};
    assert_int_equal(c->act(&e->s, &a, &reply1, &res), 0);
    a.target = reply1.id;
    a.text = "Och en till";
    assert_int_equal(c->act(&e->s, &a, &done, &res), 0);
    json_t *body = last_body(e, "com.atproto.repo.createRecord");
    json_t *reply = json_object_get(json_object_get(body, "record"), "reply");
    assert_string_equal(json_string_value(json_object_get(json_object_get(reply, "root"), "uri")),
                        p0);
    assert_string_equal(json_string_value(json_object_get(json_object_get(reply, "parent"), "uri")),
                        reply1.id);
    json_decref(body);

    /* Like, twice (the second finds it done), and the lookup agrees. */
    a = (struct connect_action){.kind = ACT_LIKE, .target = p0};
    assert_int_equal(c->lookup(&e->s, &a, &done, &res), 0);
    assert_int_equal(c->act(&e->s, &a, &done, &res), 0);
    assert_int_equal(c->act(&e->s, &a, &done, &res), 0);
    assert_int_equal(calls(e, "com.atproto.repo.createRecord"), 3);
    assert_int_equal(c->lookup(&e->s, &a, &done, &res), 1);

    /* Delete by rkey; then the post is gone. */
    a = (struct connect_action){.kind = ACT_DELETE_POST, .target = p1};
    assert_int_equal(c->lookup(&e->s, &a, &done, &res), 0);
    assert_int_equal(c->act(&e->s, &a, &done, &res), 0);
    body = last_body(e, "com.atproto.repo.deleteRecord");
    assert_string_equal(json_string_value(json_object_get(body, "collection")),
                        "app.bsky.feed.post");
    assert_string_equal(json_string_value(json_object_get(body, "rkey")), strrchr(p1, '/') + 1);
    json_decref(body);
    assert_int_equal(c->lookup(&e->s, &a, &done, &res), 1);

    /* An image: uploaded as its bytes, then embedded with its alt text. */
    static const char png[] = {'\x89', 'P', 'N', 'G', '\r', '\n', '\x1a', '\n', '\0', '\0', 'x'};
    a = (struct connect_action){.kind = ACT_PUBLISH,
                                .text = "Bild",
                                .image = png,
                                .image_len = sizeof png,
                                .image_type = "image/png",
                                .image_alt = "En graf"};
    assert_int_equal(c->act(&e->s, &a, &done, &res), 0);
    body = last_body(e, "com.atproto.repo.createRecord");
    json_t *img = json_array_get(
        json_object_get(json_object_get(json_object_get(body, "record"), "embed"), "images"), 0);
    assert_string_equal(json_string_value(json_object_get(img, "alt")), "En graf");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(img, "image"), "size")),
                     sizeof png);
    json_decref(body);

    /* A link: added to the text, a facet and a card. */
    a = (struct connect_action){
        .kind = ACT_PUBLISH, .text = "Rapporten", .link = "https://verket.example/r"};
    assert_int_equal(c->act(&e->s, &a, &done, &res), 0);
    body = last_body(e, "com.atproto.repo.createRecord");
    json_t *rec = json_object_get(body, "record");
    assert_string_equal(json_string_value(json_object_get(rec, "text")),
                        "Rapporten\n\nhttps://verket.example/r");
    assert_int_equal(facet_at(json_object_get(rec, "facets"), 0, "byteStart"), 11);
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(json_object_get(rec, "embed"), "external"), "uri")),
                        "https://verket.example/r");
    json_decref(body);

    /* A post whose answer is lost: it was made, so the lookup finds it and
     * it is not sent again. */
    const char *text = "Viktigt: \xC3\xB6ppettider \xF0\x9F\x95\x90 https://verket.example/tider";
    a = (struct connect_action){.kind = ACT_PUBLISH, .text = text, .first_sent_at = e->s.now};
    fake_control(&e->f, "/_fake/script",
                 "{\"method\": \"POST\", \"path\": \"/xrpc/com.atproto.repo.createRecord\", "
                 "\"drop\": true, \"after\": true}");
    memset(&res, 0, sizeof res);
    assert_int_equal(c->act(&e->s, &a, &done, &res), -1);
    assert_int_equal(res.outcome, CO_LOST);
    assert_int_equal(c->lookup(&e->s, &a, &done, &res), 1);
    assert_true(str_starts_with(done.id, "at://" DID "/app.bsky.feed.post/"));
    assert_int_equal(count_text(posts, e, text), 1);
    /* One never sent is not found: it may be sent. */
    a.text = "Aldrig skickat";
    assert_int_equal(c->lookup(&e->s, &a, &done, &res), 0);
    json_decref(posts);
    stop(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_session_and_refresh),      cmocka_unit_test(test_facets_byte_offsets),
        cmocka_unit_test(test_sync_pages_and_same_rows), cmocka_unit_test(test_errors),
        cmocka_unit_test(test_actions_and_lost_post),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
