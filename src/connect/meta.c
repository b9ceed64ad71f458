/* meta: the connectors for Facebook Pages and Instagram business accounts,
 * which share Meta's Graph API: one Facebook Login finds a person's Pages
 * (each with its own Page token) and the Instagram accounts linked to them;
 * one error body (code, subcode, message) says what went wrong for both.
 * What is fetched goes, as Meta's own bytes, to ingest/'s meta_graph and
 * instagram parsers through the sync sink. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "connect/connect.h"

#define META_API_URL  "https://graph.facebook.com/v21.0"
#define META_AUTH_URL "https://www.facebook.com/v21.0/dialog/oauth"

/* What one login asks for: reading and managing the Pages' posts and
 * comments, their insights and Messenger, and the linked Instagram
 * accounts' media, comments, insights and publishing. */
#define META_SCOPES                                                                                \
    "pages_show_list,pages_read_engagement,pages_read_user_content,pages_manage_posts,"            \
    "pages_manage_engagement,read_insights,pages_messaging,business_management,instagram_basic,"   \
    "instagram_manage_comments,instagram_manage_insights,instagram_content_publish"

/* The fields asked for: every field the parsers read, so that a synced
 * answer holds what an export of the same list would. */
#define FB_POST_FIELDS                                                                             \
    "id,message,created_time,updated_time,permalink_url,status_type,from,"                         \
    "attachments{media_type,type,unshimmed_url,url,title,description},shares,"                     \
    "reactions.summary(total_count).limit(0),comments.filter(stream).summary(true).limit(0)"
#define FB_COMMENT_FIELDS                                                                          \
    "id,message,created_time,from,parent{id},permalink_url,like_count,comment_count,is_hidden"
#define FB_CONVERSATION_FIELDS "id,updated_time,messages.limit(25){id,created_time,from,to,message}"
#define IG_MEDIA_FIELDS                                                                            \
    "id,caption,media_type,media_product_type,permalink,timestamp,like_count,comments_count"
#define IG_COMMENT_FIELDS                                                                          \
    "id,text,timestamp,username,like_count,hidden,media{id},"                                      \
    "replies{id,text,timestamp,username,like_count,hidden}"

enum {
    PAGE_LIMIT = 25,     /* posts or media a page of a list */
    MAX_LIST_PAGES = 40, /* pages of one list read in one sync (1,000 posts) */
    MAX_COMMENT_PAGES = 20,
    METRICS_WINDOW = 7 * 86400, /* posts this much older than the newest get fresh metrics */
    LOOKUP_SLACK = 120,         /* seconds before first_sent_at a lookup searches from */
};

/* ---- requests -------------------------------------------------------------------------- */

/* Meta's error body ({"error": {"message", "type", "code", "error_subcode",
 * "fbtrace_id"}}) into res, with the outcome its code means; falls back to
 * the status when the body says nothing. Returns -1. */
static int meta_fail(struct connect_result *res, const char *what,
                     const struct connect_response *resp, int call_rc, const struct error *call_err,
                     bool sent_action)
{
    json_t *j = call_rc == 0 ? connect_body_json(resp) : NULL;
    json_t *e = json_object_get(j, "error");
    if (!json_is_object(e) || !json_is_integer(json_object_get(e, "code"))) {
        json_decref(j);
        return connect_fail_http(res, what, resp, call_rc, call_err, sent_action);
    }
    long long code = json_integer_value(json_object_get(e, "code"));
    long long sub = json_integer_value(json_object_get(e, "error_subcode"));
    const char *msg = json_string_value(json_object_get(e, "message"));
    const char *user_msg = json_string_value(json_object_get(e, "error_user_msg"));
    char said[300];
    snprintf(said, sizeof said, "%.200s%s%.90s", msg ? msg : "no message", user_msg ? ": " : "",
             user_msg ? user_msg : "");
    res->status = resp->status;
    snprintf(res->code, sizeof res->code, "%lld", code);
    char sub_text[32] = "";
    if (sub)
        snprintf(sub_text, sizeof sub_text, "/%lld", sub);
    enum connect_outcome o;
    const char *why = "";
    switch (code) {
    case 190: /* the token expired, was revoked or the password changed */
    case 102:
        o = CO_AUTH;
        break;
    case 4: /* the app's, the person's or the Page's call budget */
    case 17:
    case 32:
    case 613:
    case 80001: /* the business use case limits */
    case 80002:
    case 80004:
        o = CO_RATE;
        res->retry_at = resp->rl.retry_at;
        break;
    case 1: /* Meta's own trouble, or a temporary block */
    case 2:
    case 341:
    case 368:
        o = CO_TEMPORARY;
        break;
    case 10: /* a permission not granted or taken back */
        o = CO_REJECTED;
        why = "; reconnect the channel and grant what it asks for";
        break;
    default:
        o = code >= 200 && code <= 299 ? CO_REJECTED
            : resp->status >= 500      ? CO_TEMPORARY
                                       : CO_REJECTED;
        if (code >= 200 && code <= 299)
            why = "; reconnect the channel and grant what it asks for";
        break;
    }
    json_decref(j);
    if (o == CO_RATE && resp->rl.usage_percent >= 0)
        return connect_fail(res, o, "%s: Meta: %s (%lld%s); %d%% of the call budget used%s", what,
                            said, code, sub_text, resp->rl.usage_percent, why);
    return connect_fail(res, o, "%s: Meta: %s (%lld%s)%s", what, said, code, sub_text, why);
}

int connect_meta_fail(struct connect_result *res, const char *what,
                      const struct connect_response *resp, int call_rc,
                      const struct error *call_err, bool sent_action)
{
    return meta_fail(res, what, resp, call_rc, call_err, sent_action);
}

bool connect_meta_gone(struct connect_result *res)
{
    if (!str_eq(res->code, "100") || res->outcome != CO_REJECTED)
        return false;
    memset(res, 0, sizeof *res);
    return true;
}

/* One call; *out gets the answer's JSON on success (caller decrefs), and
 * raw (may be NULL) its bytes. method "GET", "POST" (form) or "DELETE". */
struct call {
    const char *method;
    const char *path;                 /* under api_url, or a `next` link */
    const char *const *form;          /* POST: name/value pairs, NULL-terminated; NULL: none */
    const char *bearer;               /* NULL: the session's token */
    const struct connect_request *rq; /* a request built by the caller (multipart) */
    const char *what;
    bool action;
};

static int meta_call(struct connect_session *s, const struct call *c, struct connect_response *resp,
                     json_t **out, struct connect_result *res)
{
    struct error err = {0};
    const char *bearer = c->bearer ? c->bearer : s->tokens ? s->tokens->access_token : NULL;
    int rc = c->rq ? connect_http_send(s->http, c->rq, resp, &err)
                   : connect_http_call(s->http, c->method, c->path, bearer, c->form, resp, &err);
    if (connect_check(meta_fail, res, c->what, resp, rc, &err, c->action))
        return -1;
    json_error_t je;
    json_t *j = json_loadb(resp->body.data ? resp->body.data : "", resp->body.len, 0, &je);
    if (!json_is_object(j)) {
        json_decref(j);
        return connect_fail(res, c->action ? CO_LOST : CO_TEMPORARY,
                            "%s: Meta's answer is not a JSON object (%s)", c->what,
                            j ? "another JSON value" : je.text);
    }
    if (out)
        *out = j;
    else
        json_decref(j);
    return 0;
}

static const char *jstring(json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

static void copy(char *dst, size_t n, const char *src)
{
    snprintf(dst, n, "%s", src ? src : "");
}

/* ---- connecting ------------------------------------------------------------------------ */

static int meta_authorize_url(const struct connect_session *s, const char *state,
                              const char *code_challenge, struct buf *url, struct error *err)
{
    /* Facebook Login for Business takes the app secret instead of PKCE. */
    static const struct consent_form form = {
        .no_client = "Meta's app id is not set (KANAL_FACEBOOK_CLIENT_ID, or "
                     "KANAL_INSTAGRAM_CLIENT_ID for Instagram)",
        .incomplete = "the redirect URI is not set (PUBLIC_URL)",
        .scopes = META_SCOPES,
        .auth_url = META_AUTH_URL};
    return connect_consent_url(&form, s, state, code_challenge, url, err);
}

/* The token answer's access_token and expires_in. */
static int token_answer(json_t *j, const char *what, char **token, int64_t *expires_in,
                        struct connect_result *res)
{
    const char *t = jstring(j, "access_token");
    if (!t || !*t)
        return connect_fail(res, CO_REJECTED, "%s: Meta's answer holds no access_token", what);
    *token = xstrdup(t);
    json_t *e = json_object_get(j, "expires_in");
    *expires_in = json_is_integer(e) ? json_integer_value(e) : 0;
    return 0;
}

static int meta_exchange(struct connect_session *s, const char *code, const char *verifier,
                         struct channel_tokens *tokens, struct connect_account *accounts, int max,
                         int *n, struct connect_result *res)
{
    (void)verifier;
    const struct connect_platform_config *cfg = s->cfg;
    *n = 0;
    if (!cfg->client_id || !cfg->client_secret || !cfg->redirect_uri)
        return connect_fail(res, CO_REJECTED,
                            "Meta's app id, app secret or the redirect URI is not set");
    const char *token_path = cfg->token_url ? cfg->token_url : "/oauth/access_token";
    char *short_token = NULL, *user_token = NULL;
    int64_t expires_in = 0;
    json_t *j = NULL;
    struct connect_response resp = {0};
    struct buf path = {0};
    int rc = -1;

    /* The code for a short-lived user token... */
    buf_puts(&path, token_path);
    connect_put_param(&path, "client_id", cfg->client_id);
    connect_put_param(&path, "redirect_uri", cfg->redirect_uri);
    connect_put_param(&path, "client_secret", cfg->client_secret);
    connect_put_param(&path, "code", code);
    struct call c = {.method = "GET", .path = path.data, .what = "GET /oauth/access_token"};
    if (meta_call(s, &c, &resp, &j, res) || token_answer(j, c.what, &short_token, &expires_in, res))
        goto done;
    json_decref(j), j = NULL;
    connect_response_wipe(&resp);

    /* ...that for a long-lived one (60 days), whose Page tokens do not
     * expire... */
    explicit_bzero(path.data, path.cap);
    buf_reset(&path);
    buf_puts(&path, token_path);
    connect_put_param(&path, "grant_type", "fb_exchange_token");
    connect_put_param(&path, "client_id", cfg->client_id);
    connect_put_param(&path, "client_secret", cfg->client_secret);
    connect_put_param(&path, "fb_exchange_token", short_token);
    c.path = path.data;
    c.what = "GET /oauth/access_token (fb_exchange_token)";
    if (meta_call(s, &c, &resp, &j, res) || token_answer(j, c.what, &user_token, &expires_in, res))
        goto done;
    json_decref(j), j = NULL;
    connect_response_wipe(&resp);

    /* ...and that for the person's Pages, each with its Page token and
     * the Instagram account linked to it. */
    buf_reset(&path);
    buf_puts(&path, "/me/accounts?fields=id,name,username,access_token,"
                    "instagram_business_account%7Bid,username,name%7D&limit=100");
    char *next = NULL;
    for (int pages = 0; pages < 10; pages++) {
        struct call a = {.method = "GET",
                         .path = next ? next : path.data,
                         .bearer = user_token,
                         .what = "GET /me/accounts"};
        int r = meta_call(s, &a, &resp, &j, res);
        free(next), next = NULL;
        if (r)
            goto done;
        size_t i;
        json_t *p;
        json_array_foreach (json_object_get(j, "data"), i, p) {
            const char *id = jstring(p, "id"), *tok = jstring(p, "access_token");
            if (!id || !tok)
                continue; /* a Page the person cannot act for */
            json_t *ig = json_object_get(p, "instagram_business_account");
            for (int k = 0; k < (ig ? 2 : 1) && *n < max; k++) {
                struct connect_account *acc = &accounts[*n];
                memset(acc, 0, sizeof *acc);
                json_t *who = k ? ig : p;
                if (!jstring(who, "id"))
                    break;
                copy(acc->id, sizeof acc->id, jstring(who, "id"));
                copy(acc->handle, sizeof acc->handle,
                     jstring(who, "username") ? jstring(who, "username") : jstring(who, "id"));
                copy(acc->name, sizeof acc->name,
                     jstring(who, "name") ? jstring(who, "name") : acc->handle);
                copy(acc->platform, sizeof acc->platform, k ? "instagram" : "facebook");
                /* Both act with the Page's token: Instagram's API is
                 * reached through the Page it is linked to. */
                tokens[*n] = (struct channel_tokens){
                    .access_token = xstrdup(tok), .expires_at = 0, .scopes = xstrdup(META_SCOPES)};
                (*n)++;
            }
        }
        json_t *nx = json_object_get(json_object_get(j, "paging"), "next");
        if (json_is_string(nx))
            next = xstrdup(json_string_value(nx));
        json_decref(j), j = NULL;
        connect_response_wipe(&resp);
        if (!next || *n >= max)
            break;
    }
    free(next);
    if (*n == 0) {
        connect_fail(res, CO_REJECTED,
                     "Meta: the login gave kanal no Page; the person must manage a Page and "
                     "choose it when asked which Pages kanal may use");
        goto done;
    }
    rc = 0;
done:
    json_decref(j);
    connect_response_wipe(&resp);
    connect_buf_wipe(&path);
    vault_free(short_token);
    vault_free(user_token);
    if (rc)
        for (int i = 0; i < *n; i++)
            channel_tokens_clear(&tokens[i]);
    if (rc)
        *n = 0;
    return rc;
}

/* ---- syncing --------------------------------------------------------------------------- */

/* Hands one answer's bytes to the sink. */
static int to_sink(struct sync_sink *sink, enum ingest_format f, const char *what,
                   const struct connect_response *resp, int64_t *added, struct connect_result *res)
{
    struct error err = {0};
    if (sink->page(sink, f, what, resp->body.data ? resp->body.data : "", resp->body.len, added,
                   &err))
        return connect_fail(res, CO_REJECTED, "%s: %s", what,
                            err.msg[0] ? err.msg : "not imported");
    return 0;
}

/* A list read page by page through paging.next, each page to the sink.
 * on_item (may be NULL) sees each item. */
struct list_walk {
    enum ingest_format format;
    const char *first; /* the first page's path */
    const char *what;  /* "GET /ID/feed" */
    int max_pages;
    const char *time_key; /* the items' time ("created_time"), for *newest; NULL none */
    int64_t newest;
    /* Lists newest first: stop after a page reaching back before this
     * (0: read every page). */
    int64_t stop_before;
    void (*on_item)(json_t *item, void *ctx);
    void *ctx;
};

static int walk_list(struct connect_session *s, struct sync_sink *sink, struct list_walk *w,
                     struct connect_result *res)
{
    char *next = NULL;
    int rc = 0;
    for (int page = 1; page <= w->max_pages; page++) {
        char what[200];
        snprintf(what, sizeof what, "%s, page %d", w->what, page);
        struct connect_response resp = {0};
        json_t *j = NULL;
        struct call c = {.method = "GET", .path = next ? next : w->first, .what = what};
        rc = meta_call(s, &c, &resp, &j, res);
        free(next), next = NULL;
        if (rc == 0)
            rc = to_sink(sink, w->format, what, &resp, NULL, res);
        if (rc == 0) {
            size_t i;
            json_t *x;
            bool older = false;
            json_array_foreach (json_object_get(j, "data"), i, x) {
                int64_t t;
                if (w->time_key && jstring(x, w->time_key) &&
                    time_parse_iso(jstring(x, w->time_key), &t) == 0) {
                    if (t > w->newest)
                        w->newest = t;
                    if (t < w->stop_before)
                        older = true;
                }
                if (w->on_item)
                    w->on_item(x, w->ctx);
            }
            json_t *nx = json_object_get(json_object_get(j, "paging"), "next");
            if (json_is_string(nx) && json_array_size(json_object_get(j, "data")) && !older)
                next = xstrdup(json_string_value(nx));
        }
        json_decref(j);
        connect_response_free(&resp);
        if (rc || !next)
            break;
    }
    free(next);
    return rc;
}

/* One object (a Page's or account's follower count) to the sink. */
static int fetch_one(struct connect_session *s, struct sync_sink *sink, enum ingest_format f,
                     const char *path, const char *what, struct connect_result *res)
{
    struct connect_response resp = {0};
    struct call c = {.method = "GET", .path = path, .what = what};
    int rc = meta_call(s, &c, &resp, NULL, res);
    if (rc == 0)
        rc = to_sink(sink, f, what, &resp, NULL, res);
    connect_response_free(&resp);
    return rc;
}

/* The cursor kept for `resource`: the newest item's time seen, from which
 * the next sync reads back METRICS_WINDOW (so recent posts get fresh
 * metrics). 0 when none is kept: the first sync reads back as far as
 * MAX_LIST_PAGES go. */
static int64_t since_of(struct sync_sink *sink, const char *resource)
{
    int64_t t = connect_kept_time(sink, resource);
    return t > METRICS_WINDOW ? t - METRICS_WINDOW : 0;
}

static int keep_newest(struct sync_sink *sink, const char *resource, int64_t newest,
                       struct connect_result *res)
{
    if (!newest)
        return 0;
    struct error err = {0};
    if (connect_keep_time(sink, resource, newest, &err))
        return connect_fail(res, CO_TEMPORARY, "keeping the %s cursor: %s", resource, err.msg);
    return 0;
}

/* The list `edge` of object id ("/ID/feed") from METRICS_WINDOW before
 * the time kept under the cursor `edge`, which then moves to the newest
 * item's time. w gives the rest (format, time_key, on_item). */
static int walk_since(struct connect_session *s, struct sync_sink *sink, const char *id,
                      const char *edge, const char *fields, struct list_walk *w,
                      struct connect_result *res)
{
    struct buf path = {0}, what = {0};
    int64_t since = since_of(sink, edge);
    buf_printf(&path, "/%s/%s?fields=", id, edge);
    connect_put_enc(&path, fields);
    buf_printf(&path, "&limit=%d", PAGE_LIMIT);
    if (since)
        buf_printf(&path, "&since=%lld", (long long)since);
    buf_printf(&what, "GET /%s/%s", id, edge);
    w->first = path.data;
    w->what = what.data;
    w->max_pages = MAX_LIST_PAGES;
    int rc = walk_list(s, sink, w, res);
    if (rc == 0)
        rc = keep_newest(sink, edge, w->newest, res);
    buf_free(&path);
    buf_free(&what);
    return rc;
}

/* The comments of each post in ids (query: what the call adds before
 * fields=). */
static int walk_comments(struct connect_session *s, struct sync_sink *sink, enum ingest_format f,
                         const struct connect_ids *ids, const char *query, const char *fields,
                         int limit, struct connect_result *res)
{
    struct buf path = {0}, what = {0};
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < ids->n; i++) {
        buf_reset(&path), buf_reset(&what);
        buf_printf(&path, "/%s/comments?%sfields=", ids->v[i], query);
        connect_put_enc(&path, fields);
        buf_printf(&path, "&limit=%d", limit);
        buf_printf(&what, "GET /%s/comments", ids->v[i]);
        struct list_walk cw = {
            .format = f, .first = path.data, .what = what.data, .max_pages = MAX_COMMENT_PAGES};
        rc = walk_list(s, sink, &cw, res);
    }
    buf_free(&path);
    buf_free(&what);
    return rc;
}

/* Facebook: posts with comments to read. */
static void fb_post_seen(json_t *p, void *ctx)
{
    json_t *n =
        json_object_get(json_object_get(json_object_get(p, "comments"), "summary"), "total_count");
    const char *id = jstring(p, "id");
    if (id && (!json_is_integer(n) || json_integer_value(n) > 0))
        connect_ids_add(ctx, id);
}

static int fb_sync(struct connect_session *s, struct sync_sink *sink, struct connect_result *res)
{
    const char *page = s->account_id;
    if (!page || !*page)
        return connect_fail(res, CO_REJECTED, "the channel has no Page id");
    struct buf path = {0}, what = {0};
    struct connect_ids posts = {0};
    int rc;

    buf_printf(&path, "/%s?fields=id,name,username,fan_count,followers_count", page);
    buf_printf(&what, "GET /%s", page);
    if ((rc = fetch_one(s, sink, INGEST_META_GRAPH, path.data, what.data, res)))
        goto done;

    struct list_walk feed = {.format = INGEST_META_GRAPH,
                             .time_key = "created_time",
                             .on_item = fb_post_seen,
                             .ctx = &posts};
    if ((rc = walk_since(s, sink, page, "feed", FB_POST_FIELDS, &feed, res)))
        goto done;

    /* Comments and replies (filter=stream: every level, each with its
     * parent) of the posts just read. */
    if ((rc = walk_comments(s, sink, INGEST_META_GRAPH, &posts,
                            "filter=stream&order=chronological&summary=true&", FB_COMMENT_FIELDS,
                            100, res)))
        goto done;

    /* Messenger: the conversations changed since the last sync, each with
     * its latest messages. A Page token without pages_messaging (or a Page
     * without Messenger) is refused: then there is nothing to read. */
    buf_reset(&path), buf_reset(&what);
    buf_printf(&path, "/%s/conversations?platform=messenger&fields=", page);
    connect_put_enc(&path, FB_CONVERSATION_FIELDS);
    buf_printf(&path, "&limit=%d", PAGE_LIMIT);
    buf_printf(&what, "GET /%s/conversations", page);
    struct list_walk conv = {.format = INGEST_META_GRAPH,
                             .first = path.data,
                             .what = what.data,
                             .max_pages = MAX_LIST_PAGES,
                             .time_key = "updated_time",
                             .stop_before = connect_kept_time(sink, "conversations")};
    struct connect_result one = {0};
    if (walk_list(s, sink, &conv, &one)) {
        if (one.outcome != CO_REJECTED || one.status == 0) {
            *res = one;
            rc = -1;
            goto done;
        }
    } else if ((rc = keep_newest(sink, "conversations", conv.newest, res))) {
        goto done;
    }

    /* The Page's daily followers and reach. */
    buf_reset(&path), buf_reset(&what);
    buf_printf(&path, "/%s/insights?metric=page_follows,page_impressions_unique&period=day", page);
    buf_printf(&what, "GET /%s/insights", page);
    rc = fetch_one(s, sink, INGEST_META_GRAPH, path.data, what.data, res);
done:
    connect_ids_free(&posts);
    buf_free(&path);
    buf_free(&what);
    return rc;
}

static void ig_media_seen(json_t *m, void *ctx)
{
    const char *id = jstring(m, "id");
    json_t *n = json_object_get(m, "comments_count");
    struct connect_ids *ids = ctx;
    if (id)
        connect_ids_add(&ids[0], id);
    if (id && (!json_is_integer(n) || json_integer_value(n) > 0))
        connect_ids_add(&ids[1], id);
}

static int ig_sync(struct connect_session *s, struct sync_sink *sink, struct connect_result *res)
{
    const char *ig = s->account_id;
    if (!ig || !*ig)
        return connect_fail(res, CO_REJECTED, "the channel has no Instagram account id");
    struct buf path = {0}, what = {0};
    struct connect_ids media[2] = {{0}}; /* all read, those with comments */
    int rc;

    buf_printf(&path, "/%s?fields=id,username,name,followers_count,media_count", ig);
    buf_printf(&what, "GET /%s", ig);
    if ((rc = fetch_one(s, sink, INGEST_INSTAGRAM, path.data, what.data, res)))
        goto done;

    struct list_walk mw = {.format = INGEST_INSTAGRAM,
                           .time_key = "timestamp",
                           .on_item = ig_media_seen,
                           .ctx = media};
    if ((rc = walk_since(s, sink, ig, "media", IG_MEDIA_FIELDS, &mw, res)) ||
        (rc = walk_comments(s, sink, INGEST_INSTAGRAM, &media[1], "", IG_COMMENT_FIELDS, 50, res)))
        goto done;

    /* Each media's lifetime reach, saves and views. Meta refuses them for
     * some media (made before the account was a business one, stories
     * gone): that media is skipped, the rest read. */
    for (size_t i = 0; i < media[0].n; i++) {
        buf_reset(&path), buf_reset(&what);
        buf_printf(&path, "/%s/insights?metric=reach,saved,views", media[0].v[i]);
        buf_printf(&what, "GET /%s/insights", media[0].v[i]);
        struct connect_result one = {0};
        if (fetch_one(s, sink, INGEST_INSTAGRAM, path.data, what.data, &one)) {
            if (one.outcome == CO_REJECTED && one.status != 0)
                continue;
            *res = one;
            rc = -1;
            goto done;
        }
    }

    buf_reset(&path), buf_reset(&what);
    buf_printf(&path, "/%s/insights?metric=reach,follower_count&period=day", ig);
    buf_printf(&what, "GET /%s/insights", ig);
    rc = fetch_one(s, sink, INGEST_INSTAGRAM, path.data, what.data, res);
done:
    connect_ids_free(&media[0]);
    connect_ids_free(&media[1]);
    buf_free(&path);
    buf_free(&what);
    return rc;
}

/* ---- acting ---------------------------------------------------------------------------- */

static int done_with(json_t *j, const char *key, struct connect_done *out)
{
    copy(out->id, sizeof out->id, jstring(j, key) ? jstring(j, key) : jstring(j, "id"));
    return 0;
}

/* A Facebook post id (PAGE_POST) as its address. */
static void fb_permalink(const char *post_id, struct connect_done *out)
{
    const char *us = strchr(post_id, '_');
    if (us)
        snprintf(out->permalink, sizeof out->permalink, "https://www.facebook.com/%.*s/posts/%s",
                 (int)(us - post_id), post_id, us + 1);
}

/* Simple calls: a form POST or a DELETE on one object, answering
 * {"success": true} or {"id": ...}. */
static int simple(struct connect_session *s, const char *method, const char *path,
                  const char *const *form, const char *what, struct connect_done *out,
                  struct connect_result *res)
{
    struct connect_response resp = {0};
    json_t *j = NULL;
    struct call c = {.method = method, .path = path, .form = form, .what = what, .action = true};
    int rc = meta_call(s, &c, &resp, &j, res);
    if (rc == 0) {
        json_t *ok = json_object_get(j, "success");
        if (json_is_false(ok))
            rc = connect_fail(res, CO_REJECTED, "%s: Meta answered success: false", what);
        else if (out)
            done_with(j, "id", out);
    }
    json_decref(j);
    connect_response_free(&resp);
    return rc;
}

/* An action on an object that makes nothing new (delete, hide, like):
 * METHOD /TARGET + suffix, with form; out's id is left empty. `note` is
 * added to the call's name in messages (" (is_hidden)"). */
static int on_object(struct connect_session *s, const char *method, const char *t,
                     const char *suffix, const char *note, const char *const *form,
                     struct connect_done *out, struct connect_result *res)
{
    char path[300], what[340];
    snprintf(path, sizeof path, "/%s%s", t, suffix);
    snprintf(what, sizeof what, "%s %s%s", method, path, note);
    if (simple(s, method, path, form, what, out, res))
        return -1;
    out->id[0] = '\0';
    return 0;
}

static int fb_publish_photo(struct connect_session *s, const struct connect_action *a,
                            struct connect_done *out, struct connect_result *res)
{
    /* multipart/form-data: the caption and the image's bytes as `source`. */
    char boundary[64];
    snprintf(boundary, sizeof boundary, "kanal-%016llx", (unsigned long long)s->now * 2654435761u);
    struct buf body = {0}, path = {0}, ctype = {0};
    if (a->text && *a->text) {
        buf_printf(&body, "--%s\r\nContent-Disposition: form-data; name=\"message\"\r\n\r\n",
                   boundary);
        buf_puts(&body, a->text);
        buf_puts(&body, "\r\n");
    }
    buf_printf(&body,
               "--%s\r\nContent-Disposition: form-data; name=\"source\"; filename=\"image\"\r\n"
               "Content-Type: %s\r\n\r\n",
               boundary, a->image_type ? a->image_type : "application/octet-stream");
    buf_append(&body, a->image, a->image_len);
    buf_printf(&body, "\r\n--%s--\r\n", boundary);
    buf_printf(&path, "/%s/photos", s->account_id);
    buf_printf(&ctype, "multipart/form-data; boundary=%s", boundary);
    char what[160];
    snprintf(what, sizeof what, "POST /%s/photos", s->account_id);
    struct connect_request rq = {.method = "POST",
                                 .path = path.data,
                                 .bearer = s->tokens->access_token,
                                 .content_type = ctype.data,
                                 .body = body.data,
                                 .body_len = body.len};
    struct connect_response resp = {0};
    json_t *j = NULL;
    struct call c = {.rq = &rq, .what = what, .action = true};
    int rc = meta_call(s, &c, &resp, &j, res);
    if (rc == 0) {
        done_with(j, "post_id", out);
        fb_permalink(out->id, out);
    }
    json_decref(j);
    connect_response_free(&resp);
    buf_free(&body);
    buf_free(&path);
    buf_free(&ctype);
    return rc;
}

/* A form POSTed to /ID/EDGE ("/PAGE/feed"), as simple. */
static int post_to(struct connect_session *s, const char *id, const char *edge,
                   const char *const *form, struct connect_done *out, struct connect_result *res)
{
    char path[300], what[320];
    snprintf(path, sizeof path, "/%s/%s", id, edge);
    snprintf(what, sizeof what, "POST /%s/%s", id, edge);
    return simple(s, "POST", path, form, what, out, res);
}

/* The action's text as a reply: a "message" POSTed to /TARGET/EDGE. */
static int reply_to(struct connect_session *s, const struct connect_action *a, const char *edge,
                    struct connect_done *out, struct connect_result *res)
{
    if (!a->text || !*a->text)
        return connect_fail(res, CO_REJECTED, "a reply needs text");
    const char *form[] = {"message", a->text, NULL};
    return post_to(s, a->target, edge, form, out, res);
}

static int fb_act(struct connect_session *s, const struct connect_action *a,
                  struct connect_done *out, struct connect_result *res)
{
    const char *t = connect_act_target(s, a, "the post's or comment's", out, res);
    if (!t)
        return -1;
    switch (a->kind) {
    case ACT_PUBLISH: {
        if (a->image)
            return fb_publish_photo(s, a, out, res);
        if ((!a->text || !*a->text) && !a->link)
            return connect_fail(res, CO_REJECTED, "a post needs text or a link");
        const char *form[] = {"message", a->text ? a->text : "", a->link ? "link" : NULL, a->link,
                              NULL};
        if (post_to(s, s->account_id, "feed", form, out, res))
            return -1;
        fb_permalink(out->id, out);
        return 0;
    }
    case ACT_DELETE_POST:
    case ACT_DELETE_MESSAGE:
        return on_object(s, "DELETE", t, "", "", NULL, out, res);
    case ACT_REPLY:
        return reply_to(s, a, "comments", out, res);
    case ACT_HIDE:
    case ACT_UNHIDE: {
        const char *form[] = {"is_hidden", a->kind == ACT_HIDE ? "true" : "false", NULL};
        return on_object(s, "POST", t, "", " (is_hidden)", form, out, res);
    }
    case ACT_LIKE:
        return on_object(s, "POST", t, "/likes", "", NULL, out, res);
    default:
        return connect_fail(res, CO_REJECTED, "Facebook cannot %s",
                            connect_action_name(a->kind, "do that"));
    }
}

static int ig_act(struct connect_session *s, const struct connect_action *a,
                  struct connect_done *out, struct connect_result *res)
{
    const char *t = connect_act_target(s, a, "the media's or comment's", out, res);
    if (!t)
        return -1;
    switch (a->kind) {
    case ACT_PUBLISH: {
        /* Instagram fetches the image itself from a public address: a
         * container is made from it, then published. */
        if (!a->link || !*a->link)
            return connect_fail(res, CO_REJECTED,
                                "Instagram publishes an image from its public address (the "
                                "action's link); it takes no text-only posts and no uploaded "
                                "bytes");
        const char *form[] = {"image_url", a->link, "caption", a->text ? a->text : "", NULL};
        struct connect_done container = {0};
        struct connect_result r1 = {0};
        if (post_to(s, s->account_id, "media", form, &container, &r1)) {
            /* A container whose answer was lost is never published: the
             * action can be sent again as it is. */
            if (r1.outcome == CO_LOST)
                r1.outcome = CO_TEMPORARY;
            *res = r1;
            return -1;
        }
        if (!container.id[0])
            return connect_fail(res, CO_TEMPORARY, "POST /%s/media: Meta gave no container id",
                                s->account_id);
        const char *pub[] = {"creation_id", container.id, NULL};
        return post_to(s, s->account_id, "media_publish", pub, out, res);
    }
    case ACT_REPLY:
        return reply_to(s, a, "replies", out, res);
    case ACT_HIDE:
    case ACT_UNHIDE: {
        const char *form[] = {"hide", a->kind == ACT_HIDE ? "true" : "false", NULL};
        return on_object(s, "POST", t, "", " (hide)", form, out, res);
    }
    case ACT_DELETE_MESSAGE:
        return on_object(s, "DELETE", t, "", "", NULL, out, res);
    default:
        return connect_fail(res, CO_REJECTED, "Instagram's API cannot %s",
                            connect_action_name(a->kind, "do that"));
    }
}

/* ---- looking up a lost action ------------------------------------------------------------ */

/* Searches a list (following next, a few pages) for an item whose
 * text_key is text, by `from` (when not NULL: from.id or username),
 * not older than since. 1 found (its id in out), 0 not, -1 res. */
struct find {
    const char *text_key, *text, *from_id, *from_name, *time_key;
    int64_t since;
};

static int find_in_list(struct connect_session *s, const char *first, const char *what,
                        const struct find *f, struct connect_done *out, struct connect_result *res)
{
    char *next = NULL;
    int found = 0;
    for (int page = 0; page < 5 && !found; page++) {
        struct connect_response resp = {0};
        json_t *j = NULL;
        struct call c = {.method = "GET", .path = next ? next : first, .what = what};
        int rc = meta_call(s, &c, &resp, &j, res);
        free(next), next = NULL;
        connect_response_free(&resp);
        if (rc)
            return -1;
        size_t i;
        json_t *x;
        json_array_foreach (json_object_get(j, "data"), i, x) {
            const char *text = jstring(x, f->text_key);
            int64_t t = 0;
            if (f->time_key && jstring(x, f->time_key))
                time_parse_iso(jstring(x, f->time_key), &t);
            if (!str_eq(text ? text : "", f->text ? f->text : "") || (t && t < f->since))
                continue;
            json_t *from = json_object_get(x, "from");
            if (f->from_id && !(jstring(from, "id") && str_eq(jstring(from, "id"), f->from_id)))
                continue;
            if (f->from_name &&
                !(jstring(x, "username") && str_eq(jstring(x, "username"), f->from_name)))
                continue;
            copy(out->id, sizeof out->id, jstring(x, "id"));
            copy(out->permalink, sizeof out->permalink,
                 jstring(x, "permalink_url") ? jstring(x, "permalink_url")
                                             : jstring(x, "permalink"));
            found = 1;
            break;
        }
        json_t *nx = json_object_get(json_object_get(j, "paging"), "next");
        if (!found && json_is_string(nx) && json_array_size(json_object_get(j, "data")))
            next = xstrdup(json_string_value(nx));
        json_decref(j);
        if (!next)
            break;
    }
    free(next);
    return found;
}

/* A delete or hide whose answer was lost: the object's state says whether
 * it happened. */
static int lookup_state(struct connect_session *s, const struct connect_action *a,
                        const char *hidden_field, struct connect_result *res)
{
    char path[300], what[320];
    bool hide = a->kind == ACT_HIDE || a->kind == ACT_UNHIDE;
    snprintf(path, sizeof path, "/%s?fields=id%s%s", a->target, hide ? "," : "",
             hide ? hidden_field : "");
    snprintf(what, sizeof what, "GET /%s", a->target);
    struct connect_response resp = {0};
    json_t *j = NULL;
    struct call c = {.method = "GET", .path = path, .what = what};
    int rc = meta_call(s, &c, &resp, &j, res);
    connect_response_free(&resp);
    if (rc) {
        /* A deleted object does not exist (100, subcode 33): the delete was done. */
        return !hide && connect_meta_gone(res) ? 1 : -1;
    }
    int done = hide ? json_is_true(json_object_get(j, hidden_field)) == (a->kind == ACT_HIDE) : 0;
    json_decref(j);
    return done;
}

static int meta_lookup(struct connect_session *s, const struct connect_action *a,
                       struct connect_done *out, bool instagram, struct connect_result *res)
{
    memset(out, 0, sizeof *out);
    struct buf path = {0};
    char what[200];
    int64_t since = a->first_sent_at > LOOKUP_SLACK ? a->first_sent_at - LOOKUP_SLACK : 0;
    int rc;
    switch (a->kind) {
    case ACT_PUBLISH: {
        struct find f = {.text_key = instagram ? "caption" : "message",
                         .text = a->text,
                         .time_key = instagram ? "timestamp" : "created_time",
                         .since = since};
        buf_printf(&path, "/%s/%s?fields=%s&limit=%d&since=%lld", s->account_id,
                   instagram ? "media" : "published_posts",
                   instagram ? "id,caption,timestamp,permalink"
                             : "id,message,created_time,permalink_url",
                   PAGE_LIMIT, (long long)since);
        snprintf(what, sizeof what, "GET /%s/%s", s->account_id,
                 instagram ? "media" : "published_posts");
        rc = find_in_list(s, path.data, what, &f, out, res);
        break;
    }
    case ACT_REPLY: {
        struct find f = {.text_key = instagram ? "text" : "message",
                         .text = a->text,
                         .time_key = instagram ? "timestamp" : "created_time",
                         .since = since,
                         .from_id = instagram ? NULL : s->account_id,
                         .from_name = instagram && s->account_handle
                                          ? s->account_handle + (*s->account_handle == '@')
                                          : NULL};
        if (instagram)
            buf_printf(&path, "/%s/replies?fields=id,text,timestamp,username&limit=50", a->target);
        else
            buf_printf(&path,
                       "/%s/comments?filter=stream&fields=id,message,created_time,from,"
                       "permalink_url&limit=100",
                       a->target);
        snprintf(what, sizeof what, "GET /%s/%s", a->target, instagram ? "replies" : "comments");
        rc = find_in_list(s, path.data, what, &f, out, res);
        break;
    }
    case ACT_DELETE_POST:
    case ACT_DELETE_MESSAGE:
    case ACT_HIDE:
    case ACT_UNHIDE:
        rc = lookup_state(s, a, instagram ? "hidden" : "is_hidden", res);
        break;
    default:
        rc = 0; /* a like sent twice is one like */
        break;
    }
    buf_free(&path);
    return rc;
}

/* ---- the two connectors ---------------------------------------------------------------- */

static int fb_lookup(struct connect_session *s, const struct connect_action *a,
                     struct connect_done *out, struct connect_result *res)
{
    return meta_lookup(s, a, out, false, res);
}

static int ig_lookup(struct connect_session *s, const struct connect_action *a,
                     struct connect_done *out, struct connect_result *res)
{
    return meta_lookup(s, a, out, true, res);
}

const struct connector connector_facebook = {
    .platform = "facebook",
    .title = "Facebook Pages",
    .scopes = META_SCOPES,
    .api_url = META_API_URL,
    .auth_url = META_AUTH_URL,
    .actions = 1u << ACT_PUBLISH | 1u << ACT_DELETE_POST | 1u << ACT_REPLY | 1u << ACT_HIDE |
               1u << ACT_UNHIDE | 1u << ACT_DELETE_MESSAGE | 1u << ACT_LIKE,
    .authorize_url = meta_authorize_url,
    .exchange = meta_exchange,
    .sync = fb_sync,
    .act = fb_act,
    .lookup = fb_lookup,
};

const struct connector connector_instagram = {
    .platform = "instagram",
    .title = "Instagram (business accounts, through their Facebook Page)",
    .scopes = META_SCOPES,
    .api_url = META_API_URL,
    .auth_url = META_AUTH_URL,
    .actions = 1u << ACT_PUBLISH | 1u << ACT_REPLY | 1u << ACT_HIDE | 1u << ACT_UNHIDE |
               1u << ACT_DELETE_MESSAGE,
    .authorize_url = meta_authorize_url,
    .exchange = meta_exchange,
    .sync = ig_sync,
    .act = ig_act,
    .lookup = ig_lookup,
};
