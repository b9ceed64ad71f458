/* Unit tests for the Facebook and Instagram connectors (connect/meta.c)
 * against the Graph API fake (tests/fakes/meta.py): the login's three
 * exchanges and the Page tokens they give, what sync asks for and pages
 * through, each of Meta's documented errors, the actions, a publish whose
 * answer was lost looked up rather than repeated, and a synced page giving
 * the rows its file gives when imported. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "connect/connect.h"
#include "fake_platform.h"
#include "ingest/ingest.h"
#include "shared_data.h"

#define REDIRECT "https://desk.example/oauth/callback"

/* ---- the fake and a session on it ---------------------------------------------------- */

struct meta_env {
    struct fake_platform f;
    char api[96];
    struct connect_platform_config cfg;
    struct connect_http *http;
    char page_id[64], ig_id[64];
    char ig_handle[128];
    struct channel_tokens page_token; /* from the exchange */
};

/* POSTs to /_fake/state and answers its JSON (caller decrefs). */
static json_t *fake_state(struct fake_platform *f, const char *json_text)
{
    struct connect_request rq = {.method = "POST",
                                 .path = "/_fake/state",
                                 .content_type = "application/json",
                                 .body = json_text,
                                 .body_len = strlen(json_text)};
    struct connect_response r;
    struct error err = {0};
    assert_int_equal(connect_http_send(f->http, &rq, &r, &err), 0);
    assert_int_equal(r.status, 200);
    json_t *j = json_loadb(r.body.data, r.body.len, 0, NULL);
    assert_non_null(j);
    connect_response_free(&r);
    return j;
}

static struct connect_session session(struct meta_env *e, const char *account)
{
    return (struct connect_session){.cfg = &e->cfg,
                                    .http = e->http,
                                    .tokens = e->page_token.access_token ? &e->page_token : NULL,
                                    .account_id = account,
                                    .account_handle =
                                        str_eq(account, e->ig_id) ? e->ig_handle : NULL,
                                    .now = 1764900000};
}

/* Logs in through the fake: a code, then the exchange. Returns the number
 * of accounts found, into accounts/tokens. */
static int login(struct meta_env *e, struct connect_account *accounts,
                 struct channel_tokens *tokens, int max, struct connect_result *res)
{
    json_t *st = fake_state(&e->f, "{\"issue_code\": \"" REDIRECT "\"}");
    char code[128];
    snprintf(code, sizeof code, "%s", json_string_value(json_object_get(st, "code")));
    json_decref(st);
    struct connect_session s = session(e, NULL);
    s.tokens = NULL;
    int n = -1;
    const struct connector *c = connector_find("facebook");
    if (c->exchange(&s, code, NULL, tokens, accounts, max, &n, res))
        return -1;
    return n;
}

static void env_start(struct meta_env *e)
{
    memset(e, 0, sizeof *e);
    log_set_level(LOG_QUIET);
    fake_start(&e->f, "meta");
    snprintf(e->api, sizeof e->api, "%s/v21.0", e->f.url);
    e->cfg =
        (struct connect_platform_config){.api_url = e->api,
                                         .auth_url = "https://www.facebook.com/v21.0/dialog/oauth",
                                         .client_id = "kanal-meta-app",
                                         .client_secret = "kanal-meta-secret",
                                         .redirect_uri = REDIRECT};
    struct error err = {0};
    struct connect_http_config hc = {.base_url = e->api, .timeout_ms = 5000};
    e->http = connect_http_new(&hc, &err);
    assert_non_null(e->http);
    json_t *st = fake_state(&e->f, "{}");
    snprintf(e->page_id, sizeof e->page_id, "%s",
             json_string_value(json_object_get(st, "page_id")));
    snprintf(e->ig_id, sizeof e->ig_id, "%s", json_string_value(json_object_get(st, "ig_id")));
    json_decref(st);
    struct connect_account acc[4];
    struct channel_tokens tok[4] = {{0}};
    struct connect_result res = {0};
    assert_int_equal(login(e, acc, tok, 4, &res), 2);
    e->page_token = tok[0];
    snprintf(e->ig_handle, sizeof e->ig_handle, "%s", acc[1].handle);
    channel_tokens_clear(&tok[1]);
    fake_control(&e->f, "/_fake/reset", "{}");
}

static void env_stop(struct meta_env *e)
{
    channel_tokens_clear(&e->page_token);
    connect_http_free(e->http);
    fake_stop(&e->f);
}

/* The state's object `id` (NULL when the fake has none); caller decrefs st. */
static json_t *object_of(json_t *st, const char *id)
{
    return json_object_get(json_object_get(st, "objects"), id);
}

/* ---- a sink that imports into a SQLite store ----------------------------------------- */

struct store_sink {
    struct sync_sink sink;
    struct db *db;
    int64_t ws, channel;
    int pages;
    char formats[64]; /* one letter per page: g graph, i instagram */
    struct {
        char resource[64], value[64];
    } cursors[16];
    int ncursors;
    struct ingest_counts counts;
};

static int store_page(struct sync_sink *s, enum ingest_format f, const char *what, const char *data,
                      size_t len, int64_t *added, struct error *err)
{
    struct store_sink *st = s->ctx;
    struct ingest_counts c = {0};
    struct import_job job = {.db = st->db,
                             .target = {.workspace_id = st->ws, .channel_id = st->channel},
                             .format = f,
                             .filename = what,
                             .opts = {.taken_at = 1000}};
    if (ingest_import(&job, data, len, &c, err))
        return -1;
    if ((size_t)st->pages + 1 < sizeof st->formats)
        st->formats[st->pages] = f == INGEST_INSTAGRAM ? 'i' : 'g';
    st->pages++;
    for (int i = 0; i < IE_COUNT; i++) {
        st->counts.inserted[i] += c.inserted[i];
        st->counts.unchanged[i] += c.unchanged[i];
    }
    st->counts.rejects += c.rejects;
    if (added)
        *added = c.inserted[IE_POSTS] + c.inserted[IE_MESSAGES] + c.inserted[IE_METRICS];
    return 0;
}

static const char *store_cursor_get(struct sync_sink *s, const char *resource)
{
    struct store_sink *st = s->ctx;
    for (int i = 0; i < st->ncursors; i++)
        if (str_eq(st->cursors[i].resource, resource))
            return st->cursors[i].value;
    return NULL;
}

static int store_cursor_set(struct sync_sink *s, const char *resource, const char *value,
                            struct error *err)
{
    (void)err;
    struct store_sink *st = s->ctx;
    int i = 0;
    while (i < st->ncursors && !str_eq(st->cursors[i].resource, resource))
        i++;
    assert_true(i < 16);
    if (i == st->ncursors)
        st->ncursors++;
    snprintf(st->cursors[i].resource, sizeof st->cursors[i].resource, "%s", resource);
    snprintf(st->cursors[i].value, sizeof st->cursors[i].value, "%s", value);
    return 0;
}

static int64_t add_channel(struct db *db, int64_t ws, const char *platform, const char *platform_id)
{
    struct error err = {0};
    json_t *in = json_pack("{s:s, s:s, s:s, s:s}", "platform", platform, "handle", "desk", "name",
                           "Desk", "platform_id", platform_id);
    json_t *ch = entity_create(db, &entity_channel, ws, in, NULL, &err);
    json_decref(in);
    assert_non_null(ch);
    int64_t id = json_integer_value(json_object_get(ch, "id"));
    json_decref(ch);
    return id;
}

static void store_open(struct store_sink *st, const char *platform, const char *platform_id)
{
    memset(st, 0, sizeof *st);
    struct error err = {0};
    st->db = db_open(":memory:", &err);
    assert_non_null(st->db);
    assert_true(db_migrate(st->db, &err) >= 1);
    assert_int_equal(workspace_default(st->db, &st->ws, &err), 0);
    st->channel = add_channel(st->db, st->ws, platform, platform_id);
    st->sink = (struct sync_sink){.page = store_page,
                                  .cursor_get = store_cursor_get,
                                  .cursor_set = store_cursor_set,
                                  .ctx = st};
}

static int64_t rows(struct db *db, const char *sql)
{
    int64_t n = -1;
    struct error err = {0};
    assert_int_equal(db_scalar(db, &err, &n, sql, ""), 1);
    return n;
}

/* Every row of a query as text, one line a row, for comparing two stores. */
static char *dump(struct db *db, const char *sql)
{
    struct error err = {0};
    struct db_stmt *q = db_query(db, &err, sql, "");
    assert_non_null(q);
    struct buf b = {0};
    while (db_has_row(q)) {
        for (int i = 0; i < db_col_count(q); i++)
            buf_printf(&b, "%s|", db_col_null(q, i) ? "NULL" : db_col_text(q, i));
        buf_putc(&b, '\n');
        assert_true(db_step(q, &err) >= 0);
    }
    db_finalize(q);
    buf_putc(&b, '\0');
    return buf_steal(&b);
}

/* ---- connecting ------------------------------------------------------------------------ */

static void test_authorize_url(void **state)
{
    (void)state;
    const struct connector *fb = connector_find("facebook"), *ig = connector_find("instagram");
    assert_non_null(fb);
    assert_non_null(ig);
    assert_string_equal(fb->api_url, "https://graph.facebook.com/v21.0");
    struct connect_platform_config cfg = {.auth_url = fb->auth_url,
                                          .client_id = "123",
                                          .redirect_uri = "https://desk.example/oauth/callback"};
    struct connect_session s = {.cfg = &cfg};
    struct buf url = {0};
    struct error err = {0};
    assert_int_equal(fb->authorize_url(&s, "st ate", NULL, &url, &err), 0);
    assert_true(str_starts_with(url.data, "https://www.facebook.com/v21.0/dialog/oauth?"));
    assert_non_null(strstr(url.data, "client_id=123"));
    assert_non_null(strstr(url.data, "redirect_uri=https%3A%2F%2Fdesk.example%2Foauth%2Fcallback"));
    assert_non_null(strstr(url.data, "state=st%20ate"));
    assert_non_null(strstr(url.data, "response_type=code"));
    assert_non_null(strstr(url.data, "pages_manage_engagement"));
    assert_non_null(strstr(url.data, "instagram_content_publish"));
    buf_free(&url);
    cfg.client_id = NULL;
    assert_int_equal(ig->authorize_url(&s, "x", NULL, &url, &err), -1);
    assert_non_null(strstr(err.msg, "CLIENT_ID"));
    buf_free(&url);
    /* A consent without a state is refused, not read through (Meta's used
     * to dereference it, before the connectors shared one builder). */
    cfg.client_id = "123";
    const char *no_state[] = {NULL, ""};
    for (size_t i = 0; i < 2; i++) {
        error_clear(&err);
        assert_int_equal(fb->authorize_url(&s, no_state[i], NULL, &url, &err), -1);
        assert_int_equal(err.kind, ERR_INVALID);
        buf_free(&url);
    }
}

static void test_exchange_long_lived_and_page_tokens(void **state)
{
    (void)state;
    struct meta_env e;
    env_start(&e);
    struct connect_account acc[4];
    struct channel_tokens tok[4] = {{0}};
    struct connect_result res = {0};
    assert_int_equal(login(&e, acc, tok, 4, &res), 2);
    assert_string_equal(acc[0].platform, "facebook");
    assert_string_equal(acc[0].id, e.page_id);
    assert_string_equal(acc[1].platform, "instagram");
    assert_string_equal(acc[1].id, e.ig_id);
    assert_true(acc[1].handle[0] != '\0');
    /* Page tokens got through a long-lived user token do not expire; the
     * Instagram account acts with its Page's. */
    assert_int_equal(tok[0].expires_at, 0);
    assert_string_equal(tok[0].access_token, tok[1].access_token);

    json_t *log = fake_log(&e.f);
    assert_int_equal(json_array_size(log), 3);
    json_t *q0 = json_object_get(json_array_get(log, 0), "query");
    json_t *q1 = json_object_get(json_array_get(log, 1), "query");
    json_t *r2 = json_array_get(log, 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(log, 0), "path")),
                        "/v21.0/oauth/access_token");
    assert_string_equal(json_string_value(json_array_get(json_object_get(q0, "redirect_uri"), 0)),
                        REDIRECT);
    assert_string_equal(json_string_value(json_array_get(json_object_get(q1, "grant_type"), 0)),
                        "fb_exchange_token");
    assert_string_equal(json_string_value(json_object_get(r2, "path")), "/v21.0/me/accounts");
    const char *auth =
        json_string_value(json_object_get(json_object_get(r2, "headers"), "Authorization"));
    assert_non_null(auth);
    /* /me/accounts is asked with the long-lived token, not the code's. */
    const char *short_tok =
        json_string_value(json_array_get(json_object_get(q1, "fb_exchange_token"), 0));
    assert_non_null(short_tok);
    assert_null(strstr(auth, short_tok));
    json_decref(log);
    for (int i = 0; i < 2; i++)
        channel_tokens_clear(&tok[i]);

    /* A code used twice is Meta's error 100, refused, with its words. */
    fake_control(&e.f, "/_fake/reset", "{}");
    struct connect_session s = session(&e, NULL);
    s.tokens = NULL;
    int n = 9;
    memset(&res, 0, sizeof res);
    assert_int_equal(
        connector_find("facebook")->exchange(&s, "AQ-not-issued", NULL, tok, acc, 4, &n, &res), -1);
    assert_int_equal(n, 0);
    assert_int_equal(res.outcome, CO_REJECTED);
    assert_string_equal(res.code, "100");
    assert_non_null(strstr(res.message, "authorization code"));
    env_stop(&e);
}

/* ---- errors ------------------------------------------------------------------------------ */

struct error_case {
    const char *script;
    enum connect_outcome outcome;
    const char *code, *words;
};

static void test_errors_mapped(void **state)
{
    (void)state;
    struct meta_env e;
    env_start(&e);
    static const struct error_case cases[] = {
        {"{\"status\": 400, \"body\": {\"error\": {\"message\": \"Error validating access token: "
         "Session has expired on Friday\", \"type\": \"OAuthException\", \"code\": 190, "
         "\"error_subcode\": 463, \"fbtrace_id\": \"A1\"}}}",
         CO_AUTH, "190", "Session has expired"},
        {"{\"status\": 400, \"body\": {\"error\": {\"message\": \"You've been temporarily "
         "blocked\", "
         "\"type\": \"OAuthException\", \"code\": 368, \"fbtrace_id\": \"A2\"}}}",
         CO_TEMPORARY, "368", "temporarily blocked"},
        {"{\"status\": 500, \"body\": {\"error\": {\"message\": \"An unknown error has "
         "occurred.\", "
         "\"type\": \"OAuthException\", \"code\": 1, \"fbtrace_id\": \"A3\"}}}",
         CO_TEMPORARY, "1", "unknown error"},
        {"{\"status\": 503, \"body\": {\"error\": {\"message\": \"Service temporarily "
         "unavailable\", "
         "\"type\": \"OAuthException\", \"code\": 2, \"fbtrace_id\": \"A4\"}}}",
         CO_TEMPORARY, "2", "unavailable"},
        {"{\"status\": 400, \"body\": {\"error\": {\"message\": \"(#100) Invalid parameter\", "
         "\"type\": \"OAuthException\", \"code\": 100, \"fbtrace_id\": \"A5\"}}}",
         CO_REJECTED, "100", "Invalid parameter"},
        {"{\"status\": 403, \"headers\": {\"X-App-Usage\": \"{\\\"call_count\\\": 100, "
         "\\\"total_cputime\\\": 20, \\\"total_time\\\": 30}\"}, \"body\": {\"error\": "
         "{\"message\": \"(#4) Application request limit reached\", \"type\": \"OAuthException\", "
         "\"code\": 4, \"fbtrace_id\": \"A6\"}}}",
         CO_RATE, "4", "100% of the call budget"},
        {"{\"status\": 400, \"body\": {\"error\": {\"message\": \"(#17) User request limit "
         "reached\", \"type\": \"OAuthException\", \"code\": 17, \"fbtrace_id\": \"A7\"}}}",
         CO_RATE, "17", "User request limit"},
        {"{\"status\": 400, \"headers\": {\"X-Business-Use-Case-Usage\": \"{\\\"PAGE\\\": "
         "[{\\\"type\\\": \\\"pages\\\", \\\"call_count\\\": 100, \\\"total_cputime\\\": 5, "
         "\\\"total_time\\\": 5, \\\"estimated_time_to_regain_access\\\": 5}]}\"}, \"body\": "
         "{\"error\": {\"message\": \"(#32) Page request limit reached\", \"type\": "
         "\"OAuthException\", \"code\": 32, \"fbtrace_id\": \"A8\"}}}",
         CO_RATE, "32", "Page request limit"},
        {"{\"status\": 400, \"body\": {\"error\": {\"message\": \"(#613) Calls to this api have "
         "exceeded the rate limit.\", \"type\": \"OAuthException\", \"code\": 613, "
         "\"fbtrace_id\": \"A9\"}}}",
         CO_RATE, "613", "exceeded the rate limit"},
        {"{\"status\": 403, \"body\": {\"error\": {\"message\": \"(#200) Permissions error\", "
         "\"type\": \"OAuthException\", \"code\": 200, \"fbtrace_id\": \"B1\"}}}",
         CO_REJECTED, "200", "reconnect the channel"},
        /* No Meta body: the shared status mapping. */
        {"{\"status\": 502}", CO_TEMPORARY, "", "HTTP 502"},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        char script[1400];
        snprintf(script, sizeof script, "{\"method\": \"GET\", \"path\": \"/v21.0/%s\", %s",
                 e.page_id, cases[i].script + 1);
        fake_control(&e.f, "/_fake/script", script);
        struct store_sink st;
        store_open(&st, "facebook", e.page_id);
        struct connect_session s = session(&e, e.page_id);
        struct connect_result res = {0};
        assert_int_equal(connector_find("facebook")->sync(&s, &st.sink, &res), -1);
        if (res.outcome != cases[i].outcome || !strstr(res.message, cases[i].words))
            fail_msg("case %zu: outcome %s, message '%s'", i, connect_outcome_names[res.outcome],
                     res.message);
        assert_string_equal(res.code, cases[i].code);
        if (i == 7) /* 5 minutes to regain access */
            assert_true(res.retry_at >= time_now() + 240 && res.retry_at <= time_now() + 360);
        assert_int_equal(st.pages, 0);
        db_close(st.db);
    }

    /* The fake's own: an expired token (after the login) and an unknown
     * version, as Meta answers them. */
    json_decref(fake_state(&e.f, "{\"expire\": true}"));
    struct store_sink st;
    store_open(&st, "facebook", e.page_id);
    struct connect_session s = session(&e, e.page_id);
    struct connect_result res = {0};
    assert_int_equal(connector_find("facebook")->sync(&s, &st.sink, &res), -1);
    assert_int_equal(res.outcome, CO_AUTH);
    assert_non_null(strstr(res.message, "Meta: Error validating access token"));
    assert_non_null(strstr(res.message, "190/463"));
    /* The message never holds the token. */
    assert_null(strstr(res.message, e.page_token.access_token));
    json_decref(fake_state(&e.f, "{\"expire\": false}"));

    /* The fake's own budget at 100%: code 4 with both usage headers, the
     * wait Meta estimates (5 minutes) kept for the retry. */
    json_decref(fake_state(&e.f, "{\"usage\": 100}"));
    memset(&res, 0, sizeof res);
    assert_int_equal(connector_find("facebook")->sync(&s, &st.sink, &res), -1);
    assert_int_equal(res.outcome, CO_RATE);
    assert_string_equal(res.code, "4");
    assert_non_null(strstr(res.message, "100% of the call budget"));
    assert_true(res.retry_at >= time_now() + 240 && res.retry_at <= time_now() + 360);
    json_decref(fake_state(&e.f, "{\"usage\": 0}"));

    char old[96];
    snprintf(old, sizeof old, "%s/v19.0", e.f.url);
    struct connect_http_config hc = {.base_url = old, .timeout_ms = 5000};
    struct error err = {0};
    struct connect_http *h = connect_http_new(&hc, &err);
    s.http = h;
    memset(&res, 0, sizeof res);
    assert_int_equal(connector_find("facebook")->sync(&s, &st.sink, &res), -1);
    assert_int_equal(res.outcome, CO_REJECTED);
    assert_non_null(strstr(res.message, "Unknown path components: /v19.0"));
    connect_http_free(h);
    db_close(st.db);
    env_stop(&e);
}

/* ---- syncing ----------------------------------------------------------------------------- */

/* Every request the fake saw: under /v21.0, with the Page token as a
 * bearer and never in the query. */
static void check_requests(struct meta_env *e, int *feed_pages, int *with_since)
{
    json_t *log = fake_log(&e->f);
    size_t i;
    json_t *r;
    char bearer[600];
    snprintf(bearer, sizeof bearer, "Bearer %s", e->page_token.access_token);
    *feed_pages = *with_since = 0;
    json_array_foreach (log, i, r) {
        const char *path = json_string_value(json_object_get(r, "path"));
        json_t *q = json_object_get(r, "query");
        assert_true(str_starts_with(path, "/v21.0/"));
        assert_null(json_object_get(q, "access_token"));
        assert_string_equal(
            json_string_value(json_object_get(json_object_get(r, "headers"), "Authorization")),
            bearer);
        size_t n = strlen(path);
        if ((n > 5 && str_eq(path + n - 5, "/feed")) || (n > 6 && str_eq(path + n - 6, "/media"))) {
            (*feed_pages)++;
            const char *fields = json_string_value(json_array_get(json_object_get(q, "fields"), 0));
            assert_non_null(fields);
            assert_string_equal(json_string_value(json_array_get(json_object_get(q, "limit"), 0)),
                                "25");
            if (json_object_get(q, "since"))
                (*with_since)++;
        }
        if (n > 9 && str_eq(path + n - 9, "/comments") && strstr(path, "_"))
            assert_string_equal(json_string_value(json_array_get(json_object_get(q, "filter"), 0)),
                                "stream");
    }
    json_decref(log);
}

static void test_sync_facebook_pages_and_since(void **state)
{
    (void)state;
    struct meta_env e;
    env_start(&e);
    /* 30 posts more than the fake holds, so the feed has a second page
     * whatever its data. */
    struct connect_session s = session(&e, e.page_id);
    for (int i = 0; i < 30; i++) {
        char text[64];
        snprintf(text, sizeof text, "Notice number %d", i);
        struct connect_action a = {.kind = ACT_PUBLISH, .text = text};
        struct connect_done d;
        struct connect_result res = {0};
        assert_int_equal(connector_find("facebook")->act(&s, &a, &d, &res), 0);
    }
    fake_control(&e.f, "/_fake/reset", "{}");
    struct store_sink st;
    store_open(&st, "facebook", e.page_id);
    struct connect_result res = {0};
    assert_int_equal(connector_find("facebook")->sync(&s, &st.sink, &res), 0);
    int pages, since;
    check_requests(&e, &pages, &since);
    assert_true(pages >= 2);
    assert_int_equal(since, 0);
    int64_t posts = rows(st.db, "SELECT COUNT(*) FROM post_variants");
    assert_true(posts >= 33);
    assert_true(rows(st.db, "SELECT COUNT(*) FROM post_metrics") >= 33);
    assert_true(rows(st.db, "SELECT COUNT(*) FROM channel_metrics") >= 1);
    assert_int_equal(st.counts.rejects, 0);
    assert_non_null(store_cursor_get(&st.sink, "feed"));

    /* Again: asked since the kept cursor, nothing new but snapshots. */
    fake_control(&e.f, "/_fake/reset", "{}");
    memset(&st.counts, 0, sizeof st.counts);
    assert_int_equal(connector_find("facebook")->sync(&s, &st.sink, &res), 0);
    check_requests(&e, &pages, &since);
    assert_int_equal(since, pages);
    assert_int_equal(st.counts.inserted[IE_POSTS], 0);
    assert_int_equal(st.counts.inserted[IE_MESSAGES], 0);
    assert_int_equal(rows(st.db, "SELECT COUNT(*) FROM post_variants"), posts);
    db_close(st.db);
    env_stop(&e);
}

static void test_sync_comments_and_instagram(void **state)
{
    (void)state;
    struct meta_env e;
    env_start(&e);
    /* A comment and the Page's reply to it, through the connector, so the
     * test holds with the fake's data and with its own. */
    struct connect_session s = session(&e, e.page_id);
    struct connect_action pub = {.kind = ACT_PUBLISH, .text = "Open house on Friday"};
    struct connect_done post, reply;
    struct connect_result res = {0};
    assert_int_equal(connector_find("facebook")->act(&s, &pub, &post, &res), 0);
    struct connect_action rep = {.kind = ACT_REPLY, .target = post.id, .text = "Welcome, all"};
    assert_int_equal(connector_find("facebook")->act(&s, &rep, &reply, &res), 0);
    struct connect_action rep2 = {.kind = ACT_REPLY, .target = reply.id, .text = "See you there"};
    struct connect_done reply2;
    assert_int_equal(connector_find("facebook")->act(&s, &rep2, &reply2, &res), 0);

    struct store_sink st;
    store_open(&st, "facebook", e.page_id);
    assert_int_equal(connector_find("facebook")->sync(&s, &st.sink, &res), 0);
    char sql[600];
    snprintf(sql, sizeof sql,
             "SELECT COUNT(*) FROM messages m JOIN messages p ON m.parent_id = p.id "
             "WHERE m.platform_id = '%s' AND p.platform_id = '%s' AND m.kind = 'reply'",
             reply2.id, reply.id);
    assert_int_equal(rows(st.db, sql), 1);
    snprintf(sql, sizeof sql,
             "SELECT COUNT(*) FROM messages m JOIN post_variants v ON m.variant_id = v.id "
             "WHERE m.platform_id = '%s' AND v.platform_id = '%s' AND m.is_own = 1",
             reply.id, post.id);
    assert_int_equal(rows(st.db, sql), 1);
    /* Messenger: the conversation's messages, the Page's own told apart. */
    assert_int_equal(rows(st.db, "SELECT COUNT(*) FROM messages WHERE kind = 'dm'"), 2);
    assert_int_equal(rows(st.db, "SELECT COUNT(*) FROM messages WHERE kind = 'dm' AND is_own = 1"),
                     1);
    assert_non_null(store_cursor_get(&st.sink, "conversations"));
    db_close(st.db);

    /* Instagram: the account, its media, their comments and replies, and
     * insights, each page read by the Instagram parser. */
    struct connect_session is = session(&e, e.ig_id);
    struct connect_action ipub = {.kind = ACT_PUBLISH,
                                  .text = "From the archive",
                                  .link = "https://desk.example/media/1.jpg"};
    struct connect_done media;
    assert_int_equal(connector_find("instagram")->act(&is, &ipub, &media, &res), 0);
    assert_true(media.id[0] != '\0');
    store_open(&st, "instagram", e.ig_id);
    fake_control(&e.f, "/_fake/reset", "{}");
    assert_int_equal(connector_find("instagram")->sync(&is, &st.sink, &res), 0);
    assert_null(strchr(st.formats, 'g'));
    snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM post_variants WHERE platform_id = '%s'",
             media.id);
    assert_int_equal(rows(st.db, sql), 1);
    assert_true(rows(st.db, "SELECT COUNT(*) FROM post_variants") >= 3);
    assert_true(rows(st.db, "SELECT COUNT(*) FROM post_metrics WHERE reach IS NOT NULL") >= 1);
    assert_true(rows(st.db, "SELECT COUNT(*) FROM channel_metrics") >= 1);
    int pages, since;
    check_requests(&e, &pages, &since);
    assert_int_equal(since, 0);
    db_close(st.db);
    env_stop(&e);
}

/* A Page synced from the fake and the same Graph answers imported as
 * files give the same rows. */
static void test_sync_equals_import(void **state)
{
    (void)state;
    needs_shared_data();
    struct meta_env e;
    env_start(&e);
    assert_string_equal(e.page_id, "19292868552"); /* the fake serves the real feed */
    struct store_sink synced, imported;
    store_open(&synced, "facebook", e.page_id);
    store_open(&imported, "facebook", e.page_id);
    struct connect_session s = session(&e, e.page_id);
    struct connect_result res = {0};
    assert_int_equal(connector_find("facebook")->sync(&s, &synced.sink, &res), 0);
    static const char *const files[] = {
        SHARED_DATA "meta/graph/posts_feeds_default_fields_p1.json",
        SHARED_DATA "meta/graph/posts_feeds_default_fields_p2.json",
    };
    for (size_t i = 0; i < ARRAY_LEN(files); i++) {
        struct buf b = {0};
        struct error err = {0};
        assert_int_equal(buf_read_file(&b, files[i], 1 << 24, &err), 0);
        assert_int_equal(
            store_page(&imported.sink, INGEST_META_GRAPH, files[i], b.data, b.len, NULL, &err), 0);
        buf_free(&b);
    }
    static const char *const queries[] = {
        "SELECT v.platform_id, p.body, p.format, p.link_url, v.permalink, v.published_at "
        "FROM post_variants v JOIN posts p ON p.id = v.post_id ORDER BY v.platform_id",
        "SELECT v.platform_id, m.taken_at, m.reach, m.impressions, m.reactions, m.comments, "
        "m.shares, m.saves, m.clicks, m.video_views FROM post_metrics m "
        "JOIN post_variants v ON v.id = m.variant_id ORDER BY v.platform_id, m.taken_at",
        /* ../shared/data holds no Messenger answer: the fake's own
         * conversations are not in the files. */
        "SELECT platform_id, kind, body, author_handle FROM messages WHERE kind <> 'dm' "
        "ORDER BY platform_id",
    };
    for (size_t i = 0; i < ARRAY_LEN(queries); i++) {
        char *a = dump(synced.db, queries[i]), *b = dump(imported.db, queries[i]);
        assert_string_equal(a, b);
        if (i < 2)
            assert_true(strlen(a) > 100);
        free(a);
        free(b);
    }
    db_close(synced.db);
    db_close(imported.db);
    env_stop(&e);
}

/* ---- acting ------------------------------------------------------------------------------ */

static void act_ok(struct connect_session *s, const char *platform, struct connect_action *a,
                   struct connect_done *d)
{
    struct connect_result res = {0};
    if (connector_find(platform)->act(s, a, d, &res))
        fail_msg("%s %s: %s", platform, connect_action_names[a->kind], res.message);
}

static void test_actions(void **state)
{
    (void)state;
    struct meta_env e;
    env_start(&e);
    struct connect_session s = session(&e, e.page_id);
    struct connect_done post, link, photo, c, d;

    struct connect_action a = {.kind = ACT_PUBLISH, .text = "Hello from the desk"};
    act_ok(&s, "facebook", &a, &post);
    assert_true(str_starts_with(post.id, e.page_id));
    assert_true(str_starts_with(post.permalink, "https://www.facebook.com/"));
    a = (struct connect_action){
        .kind = ACT_PUBLISH, .text = "Our report", .link = "https://example.org/report"};
    act_ok(&s, "facebook", &a, &link);
    static const char png[] = "\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
    a = (struct connect_action){.kind = ACT_PUBLISH,
                                .text = "A photo",
                                .image = png,
                                .image_len = sizeof png - 1,
                                .image_type = "image/png"};
    act_ok(&s, "facebook", &a, &photo);
    assert_true(str_starts_with(photo.id, e.page_id));
    a = (struct connect_action){.kind = ACT_REPLY, .target = post.id, .text = "First!"};
    act_ok(&s, "facebook", &a, &c);
    a = (struct connect_action){.kind = ACT_HIDE, .target = c.id};
    act_ok(&s, "facebook", &a, &d);
    json_t *st = fake_state(&e.f, "{}");
    assert_true(json_is_true(json_object_get(object_of(st, c.id), "is_hidden")));
    json_decref(st);
    a = (struct connect_action){.kind = ACT_UNHIDE, .target = c.id};
    act_ok(&s, "facebook", &a, &d);
    a = (struct connect_action){.kind = ACT_LIKE, .target = c.id};
    act_ok(&s, "facebook", &a, &d);
    st = fake_state(&e.f, "{}");
    assert_true(json_is_false(json_object_get(object_of(st, c.id), "is_hidden")));
    assert_true(json_is_true(json_object_get(object_of(st, c.id), "_liked")));
    assert_string_equal(json_string_value(json_object_get(object_of(st, link.id), "message")),
                        "Our report");
    json_decref(st);
    a = (struct connect_action){.kind = ACT_DELETE_MESSAGE, .target = c.id};
    act_ok(&s, "facebook", &a, &d);
    a = (struct connect_action){.kind = ACT_DELETE_POST, .target = photo.id};
    act_ok(&s, "facebook", &a, &d);
    st = fake_state(&e.f, "{}");
    assert_true(json_is_true(json_object_get(object_of(st, c.id), "_deleted")));
    assert_true(json_is_true(json_object_get(object_of(st, photo.id), "_deleted")));
    json_decref(st);

    /* What went over the wire: forms, the photo as multipart bytes. */
    json_t *log = fake_log(&e.f);
    size_t i;
    json_t *r;
    int multipart = 0;
    json_array_foreach (log, i, r) {
        const char *ct =
            json_string_value(json_object_get(json_object_get(r, "headers"), "Content-Type"));
        if (ct && str_starts_with(ct, "multipart/form-data; boundary=")) {
            multipart++;
            assert_non_null(json_object_get(r, "body_base64")); /* the PNG's NUL bytes */
        }
    }
    assert_int_equal(multipart, 1);
    json_decref(log);

    /* Refused before sending, and by Meta. */
    struct connect_result res = {0};
    a = (struct connect_action){.kind = ACT_PUBLISH};
    assert_int_equal(connector_find("facebook")->act(&s, &a, &d, &res), -1);
    assert_int_equal(res.outcome, CO_REJECTED);
    a = (struct connect_action){.kind = ACT_REPLY, .target = "1_404", .text = "x"};
    memset(&res, 0, sizeof res);
    assert_int_equal(connector_find("facebook")->act(&s, &a, &d, &res), -1);
    assert_int_equal(res.outcome, CO_REJECTED);
    assert_non_null(strstr(res.message, "does not exist"));
    json_decref(fake_state(&e.f, "{\"block\": true}"));
    a = (struct connect_action){.kind = ACT_PUBLISH, .text = "Too fast"};
    memset(&res, 0, sizeof res);
    assert_int_equal(connector_find("facebook")->act(&s, &a, &d, &res), -1);
    assert_int_equal(res.outcome, CO_TEMPORARY);
    assert_string_equal(res.code, "368");
    json_decref(fake_state(&e.f, "{\"block\": false}"));

    /* Instagram: a container then media_publish; reply, hide, delete. */
    struct connect_session is = session(&e, e.ig_id);
    struct connect_done m, ir;
    a = (struct connect_action){
        .kind = ACT_PUBLISH, .text = "Sunset", .link = "https://x.example/a.jpg"};
    act_ok(&is, "instagram", &a, &m);
    st = fake_state(&e.f, "{}");
    assert_string_equal(json_string_value(json_object_get(object_of(st, m.id), "_kind")),
                        "ig_media");
    json_decref(st);
    a = (struct connect_action){.kind = ACT_PUBLISH, .text = "No image"};
    memset(&res, 0, sizeof res);
    assert_int_equal(connector_find("instagram")->act(&is, &a, &d, &res), -1);
    assert_int_equal(res.outcome, CO_REJECTED);
    assert_int_equal(connector_find("instagram")->actions & (1u << ACT_LIKE), 0);
    /* A comment to answer: the first the fake's media list has. */
    char comment_id[64] = "";
    st = fake_state(&e.f, "{}");
    const char *k;
    json_t *o;
    json_object_foreach (json_object_get(st, "objects"), k, o)
        if (!comment_id[0] && str_eq(json_string_value(json_object_get(o, "_kind")), "ig_comment"))
            snprintf(comment_id, sizeof comment_id, "%s", k);
    json_decref(st);
    assert_true(comment_id[0] != '\0');
    a = (struct connect_action){.kind = ACT_REPLY, .target = comment_id, .text = "Thank you!"};
    act_ok(&is, "instagram", &a, &ir);
    a = (struct connect_action){.kind = ACT_HIDE, .target = comment_id};
    act_ok(&is, "instagram", &a, &d);
    a = (struct connect_action){.kind = ACT_DELETE_MESSAGE, .target = ir.id};
    act_ok(&is, "instagram", &a, &d);
    st = fake_state(&e.f, "{}");
    assert_true(json_is_true(json_object_get(object_of(st, comment_id), "hidden")));
    assert_true(json_is_true(json_object_get(object_of(st, ir.id), "_deleted")));
    json_decref(st);
    env_stop(&e);
}

/* Count of the fake's objects whose text is `text`. */
static int with_text(struct fake_platform *f, const char *key, const char *text)
{
    json_t *st = fake_state(f, "{}");
    const char *k;
    json_t *o;
    int n = 0;
    json_object_foreach (json_object_get(st, "objects"), k, o)
        if (str_eq(json_string_value(json_object_get(o, key)), text) &&
            !json_is_true(json_object_get(o, "_deleted")))
            n++;
    json_decref(st);
    return n;
}

static void test_lost_publish_looked_up(void **state)
{
    (void)state;
    struct meta_env e;
    env_start(&e);
    struct connect_session s = session(&e, e.page_id);
    s.now = time_now();
    char script[600];
    snprintf(
        script, sizeof script,
        "{\"method\": \"POST\", \"path\": \"/v21.0/%s/feed\", \"after\": true, \"drop\": true}",
        e.page_id);
    fake_control(&e.f, "/_fake/script", script);
    struct connect_action a = {.kind = ACT_PUBLISH,
                               .text = "The answer to this one is lost",
                               .key = "kanal-action-1",
                               .first_sent_at = s.now};
    struct connect_done d;
    struct connect_result res = {0};
    assert_int_equal(connector_find("facebook")->act(&s, &a, &d, &res), -1);
    assert_int_equal(res.outcome, CO_LOST);
    /* Looked up, it is found: not sent again. */
    memset(&res, 0, sizeof res);
    assert_int_equal(connector_find("facebook")->lookup(&s, &a, &d, &res), 1);
    assert_true(str_starts_with(d.id, e.page_id));
    assert_int_equal(with_text(&e.f, "message", a.text), 1);
    /* One never sent is not found, so it may be sent. */
    struct connect_action b = a;
    b.text = "Never sent";
    assert_int_equal(connector_find("facebook")->lookup(&s, &b, &d, &res), 0);

    /* A lost reply, hide and delete are found done too. */
    struct connect_done post, c;
    struct connect_action p = {.kind = ACT_PUBLISH, .text = "Question time"};
    act_ok(&s, "facebook", &p, &post);
    struct connect_action r = {
        .kind = ACT_REPLY, .target = post.id, .text = "Ask away", .first_sent_at = s.now};
    snprintf(script, sizeof script,
             "{\"method\": \"POST\", \"path\": \"/v21.0/%s/comments\", \"after\": true, "
             "\"drop\": true}",
             post.id);
    fake_control(&e.f, "/_fake/script", script);
    memset(&res, 0, sizeof res);
    assert_int_equal(connector_find("facebook")->act(&s, &r, &c, &res), -1);
    assert_int_equal(res.outcome, CO_LOST);
    assert_int_equal(connector_find("facebook")->lookup(&s, &r, &c, &res), 1);
    assert_int_equal(with_text(&e.f, "message", "Ask away"), 1);
    struct connect_action h = {.kind = ACT_HIDE, .target = c.id};
    assert_int_equal(connector_find("facebook")->lookup(&s, &h, &d, &res), 0);
    act_ok(&s, "facebook", &h, &d);
    assert_int_equal(connector_find("facebook")->lookup(&s, &h, &d, &res), 1);
    struct connect_action del = {.kind = ACT_DELETE_MESSAGE, .target = c.id};
    assert_int_equal(connector_find("facebook")->lookup(&s, &del, &d, &res), 0);
    act_ok(&s, "facebook", &del, &d);
    assert_int_equal(connector_find("facebook")->lookup(&s, &del, &d, &res), 1);

    /* Instagram: media_publish's answer lost, the media found by caption. */
    struct connect_session is = session(&e, e.ig_id);
    is.now = s.now;
    snprintf(script, sizeof script,
             "{\"method\": \"POST\", \"path\": \"/v21.0/%s/media_publish\", \"after\": true, "
             "\"drop\": true}",
             e.ig_id);
    fake_control(&e.f, "/_fake/script", script);
    struct connect_action ia = {.kind = ACT_PUBLISH,
                                .text = "Lost at sea",
                                .link = "https://x.example/sea.jpg",
                                .first_sent_at = s.now};
    memset(&res, 0, sizeof res);
    assert_int_equal(connector_find("instagram")->act(&is, &ia, &d, &res), -1);
    assert_int_equal(res.outcome, CO_LOST);
    assert_int_equal(connector_find("instagram")->lookup(&is, &ia, &d, &res), 1);
    assert_int_equal(with_text(&e.f, "caption", "Lost at sea"), 2); /* container and media */

    /* And a reply to a comment, found among the comment's replies by the
     * account's username. */
    char comment_id[64] = "";
    json_t *st = fake_state(&e.f, "{}");
    const char *k;
    json_t *o;
    json_object_foreach (json_object_get(st, "objects"), k, o)
        if (!comment_id[0] && str_eq(json_string_value(json_object_get(o, "_kind")), "ig_comment"))
            snprintf(comment_id, sizeof comment_id, "%s", k);
    json_decref(st);
    snprintf(script, sizeof script,
             "{\"method\": \"POST\", \"path\": \"/v21.0/%s/replies\", \"after\": true, "
             "\"drop\": true}",
             comment_id);
    fake_control(&e.f, "/_fake/script", script);
    struct connect_action ir = {.kind = ACT_REPLY,
                                .target = comment_id,
                                .text = "Glad you like it",
                                .first_sent_at = s.now};
    memset(&res, 0, sizeof res);
    assert_int_equal(connector_find("instagram")->act(&is, &ir, &d, &res), -1);
    assert_int_equal(res.outcome, CO_LOST);
    assert_int_equal(connector_find("instagram")->lookup(&is, &ir, &d, &res), 1);
    assert_int_equal(with_text(&e.f, "text", "Glad you like it"), 1);
    ir.text = "Never said";
    assert_int_equal(connector_find("instagram")->lookup(&is, &ir, &d, &res), 0);
    env_stop(&e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_authorize_url),
        cmocka_unit_test(test_exchange_long_lived_and_page_tokens),
        cmocka_unit_test(test_errors_mapped),
        cmocka_unit_test(test_sync_facebook_pages_and_since),
        cmocka_unit_test(test_sync_comments_and_instagram),
        cmocka_unit_test(test_sync_equals_import),
        cmocka_unit_test(test_actions),
        cmocka_unit_test(test_lost_publish_looked_up),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
