/* youtube: the YouTube connector over the YouTube Data API v3: Google's
 * OAuth 2.0 (authorization code with PKCE, access_type=offline and
 * prompt=consent so a refresh token is given); a sync of the channel
 * (subscribers), its uploads with their statistics and its comment threads,
 * each answer handed as it came to ingest/youtube.c; and the actions the API
 * allows on a channel's comments: reply, hide (held for review), unhide
 * (published), delete, and deleting a video. Google's error bodies
 * ({error: {errors: [{reason}]}}) are read before the shared mapping: a
 * spent quota waits for the daily reset. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "connect/connect.h"

extern const struct connector connector_youtube;

#define YT_TOKEN_URL "https://oauth2.googleapis.com/token"
#define YT_API       "/youtube/v3"
/* A sync reads at most this many pages of each list: 50 uploads and 100
 * threads a page, each page one unit of the 10,000 a day. */
#define YT_MAX_PAGES 20
#define YT_ID_MAX    100

/* Why a sync or an action cannot start: the channel has no token. */
#define YT_NO_TOKEN "the YouTube channel has no token; connect it"

/* ---- small helpers ------------------------------------------------------------------ */

/* YouTube's ids (channels, videos, comments, page tokens) are base64url
 * text, a reply's id two of them joined by '.'; nothing else is sent. */
static bool is_yt_id(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    return n >= 1 && n <= YT_ID_MAX &&
           strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.") == n;
}

/* ---- errors ------------------------------------------------------------------------- */

/* The next time the daily quota comes back: midnight Pacific time, which is
 * 08:00 UTC in winter and 07:00 in summer; 08:00 is never too early. */
static int64_t quota_reset(int64_t now)
{
    int64_t day = now - now % 86400, at = day + 8 * 3600;
    return at > now ? at : at + 86400;
}

/* The outcome of an answer that is not a success, in Google's words: the
 * API's {error: {code, message, errors: [{reason}]}} and OAuth's {error,
 * error_description}. 401 and invalid_grant ask for reconnecting;
 * quotaExceeded waits for the daily reset, rateLimitExceeded for a backoff.
 * Returns -1. */
static int yt_fail(struct connect_result *res, const char *what,
                   const struct connect_response *resp, int call_rc, const struct error *call_err,
                   bool sent_action)
{
    connect_fail_http(res, what, resp, call_rc, call_err, sent_action);
    if (call_rc != 0)
        return -1;
    json_t *j = connect_body_json(resp);
    json_t *e = json_object_get(j, "error");
    const char *oauth = json_string_value(e);
    const char *words = oauth ? json_string_value(json_object_get(j, "error_description"))
                              : json_string_value(json_object_get(e, "message"));
    const char *reason = json_string_value(
        json_object_get(json_array_get(json_object_get(e, "errors"), 0), "reason"));
    if (oauth)
        snprintf(res->code, sizeof res->code, "%s", oauth);
    else if (reason)
        snprintf(res->code, sizeof res->code, "%s", reason);
    long st = resp->status;
    enum connect_outcome o = res->outcome;
    if (st == 401 || str_eq(oauth, "invalid_grant"))
        o = CO_AUTH;
    else if (str_eq(reason, "quotaExceeded") || str_eq(reason, "dailyLimitExceeded")) {
        o = CO_RATE;
        res->retry_at = quota_reset(time_now());
    } else if (str_eq(reason, "rateLimitExceeded") || str_eq(reason, "userRateLimitExceeded") ||
               st == 429) {
        o = CO_RATE;
        res->retry_at = resp->rl.retry_at;
    }
    static const struct platform_voice voice = {
        .name = "YouTube", .grantor = "Google", .account = "channel"};
    connect_fail_said(res, o, what, &voice, words, oauth, st);
    json_decref(j);
    return -1;
}

static int yt_check(struct connect_result *res, const char *what, const struct connect_response *r,
                    int rc, const struct error *err, bool sent_action)
{
    return connect_check(yt_fail, res, what, r, rc, err, sent_action);
}

/* ---- OAuth 2.0 (Google) ------------------------------------------------------------- */

static int yt_authorize_url(const struct connect_session *s, const char *state,
                            const char *code_challenge, struct buf *url, struct error *err)
{
    /* offline: a refresh token; consent: given again on a reconnect, which
     * Google otherwise answers without one. */
    static const char *const extra[] = {
        "access_type", "offline", "prompt", "consent", "include_granted_scopes", "true", NULL};
    const struct consent_form form = {
        .no_client = "YouTube needs the app's client id: set KANAL_YOUTUBE_CLIENT_ID (an "
                     "OAuth client of type web application in Google Cloud's console)",
        .incomplete = "Google's authorization needs a redirect URI, a state and a PKCE challenge",
        .scopes = connector_youtube.scopes,
        .pkce = true,
        .extra = extra};
    return connect_consent_url(&form, s, state, code_challenge, url, err);
}

/* POSTs a token request (fields NULL-terminated pairs; client id and secret
 * added) to Google's token endpoint, or KANAL_YOUTUBE_TOKEN_URL. */
static int yt_token(struct connect_session *s, const char *const *fields,
                    struct channel_tokens *out, struct connect_result *res)
{
    static const struct token_post tp = {.url = YT_TOKEN_URL,
                                         .url_setting = "KANAL_YOUTUBE_TOKEN_URL",
                                         .what = "POST /token (Google)",
                                         .who = "Google's",
                                         .flags = TOKEN_EXPIRY_STRICT,
                                         .fail = yt_fail};
    return connect_client_token_get(&tp, s, "KANAL_YOUTUBE", fields, out, res);
}

/* GET channels?mine=true: the channel the token is for, its uploads
 * playlist (out: 128 bytes, may be NULL), and the answer for the sink. */
static int yt_me(struct connect_session *s, const char *bearer, struct connect_response *r,
                 struct connect_account *acc, char *uploads, struct connect_result *res)
{
    const char *what = "GET " YT_API "/channels?mine=true";
    struct error e = {0};
    int rc = connect_http_get(s->http,
                              YT_API "/channels?part=snippet,statistics,contentDetails&mine=true",
                              bearer, r, &e);
    if (yt_check(res, what, r, rc, &e, false) < 0)
        return -1;
    json_t *j = connect_body_json(r);
    json_t *ch = json_array_get(json_object_get(j, "items"), 0);
    json_t *sn = json_object_get(ch, "snippet");
    const char *id = json_string_value(json_object_get(ch, "id"));
    const char *title = json_string_value(json_object_get(sn, "title"));
    const char *handle = json_string_value(json_object_get(sn, "customUrl"));
    const char *up = json_string_value(json_object_get(
        json_object_get(json_object_get(ch, "contentDetails"), "relatedPlaylists"), "uploads"));
    int ret = 0;
    if (!ch)
        ret = connect_fail(res, CO_REJECTED,
                           "%s: the Google account has no YouTube channel; make one, then "
                           "connect again",
                           what);
    else if (!is_yt_id(id))
        ret = connect_fail(res, CO_REJECTED, "%s: YouTube's answer has no channel id", what);
    else {
        if (acc) {
            snprintf(acc->id, sizeof acc->id, "%s", id);
            snprintf(acc->handle, sizeof acc->handle, "%s", handle ? handle : id);
            snprintf(acc->name, sizeof acc->name, "%s", title ? title : id);
        }
        if (uploads)
            snprintf(uploads, 128, "%s", is_yt_id(up) ? up : "");
    }
    json_decref(j);
    return ret;
}

static int yt_me_account(struct connect_session *s, const char *bearer, struct connect_response *r,
                         struct connect_account *acc, struct connect_result *res)
{
    return yt_me(s, bearer, r, acc, NULL, res);
}

static const struct code_grant yt_grant = {
    .who = "Google's",
    .token = yt_token,
    .me = yt_me_account,
    .no_refresh =
        "Google gave no refresh token (offline access was not granted); reconnect the channel"};

static int yt_exchange(struct connect_session *s, const char *code, const char *verifier,
                       struct channel_tokens *tokens, struct connect_account *accounts, int max,
                       int *n, struct connect_result *res)
{
    return connect_code_exchange(&yt_grant, s, code, verifier, tokens, accounts, max, n, res);
}

static int yt_refresh(struct connect_session *s, struct channel_tokens *out,
                      struct connect_result *res)
{
    if (connect_code_refresh(&yt_grant, s, out, res) < 0)
        return -1;
    /* Google keeps the refresh token (it sends no new one): carry it over,
     * or the next refresh would have none. */
    connect_tokens_carry(out, s->tokens);
    return 0;
}

/* ---- sync --------------------------------------------------------------------------- */

/* GETs path into r; parsed JSON into *j (a list answer: an object with
 * items), or -1 and res. */
static int yt_get_list(struct connect_session *s, const char *path, const char *what,
                       struct connect_response *r, json_t **j, struct connect_result *res)
{
    struct error e = {0};
    int rc = connect_http_get(s->http, path, s->tokens->access_token, r, &e);
    if (yt_check(res, what, r, rc, &e, false) < 0)
        return -1;
    *j = connect_body_json(r);
    if (!json_is_array(json_object_get(*j, "items"))) {
        json_decref(*j);
        *j = NULL;
        return connect_fail(res, CO_REJECTED, "%s: YouTube's answer is not a list (no 'items')",
                            what);
    }
    return 0;
}

static void next_token(json_t *j, char *out, size_t n)
{
    const char *t = json_string_value(json_object_get(j, "nextPageToken"));
    snprintf(out, n, "%s", is_yt_id(t) || (t && strlen(t) < n && !strpbrk(t, "&?#/ ")) ? t : "");
}

/* The uploads: playlistItems newest first, until the newest video the last
 * sync saw; then their statistics with videos?id= (50 at a time). The
 * first page's videos are read every time, so the newest 50 get a new
 * snapshot of their counts. */
static int sync_videos(struct connect_session *s, struct sync_sink *sink, const char *uploads,
                       struct connect_result *res)
{
    const char *known_c = sink->cursor_get(sink, "uploads");
    char known[128];
    snprintf(known, sizeof known, "%s", known_c ? known_c : "");
    json_t *ids = json_array();
    char next[256] = "", newest[128] = "";
    int ret = 0;
    bool reached = false;
    for (int page = 1; page <= YT_MAX_PAGES && !reached; page++) {
        struct buf path = {0};
        buf_printf(&path, YT_API "/playlistItems?part=contentDetails&maxResults=50&playlistId=%s",
                   uploads);
        if (*next)
            connect_put_param(&path, "pageToken", next);
        char what[96];
        snprintf(what, sizeof what, "GET " YT_API "/playlistItems, page %d", page);
        struct connect_response r;
        json_t *j = NULL;
        ret = yt_get_list(s, path.data, what, &r, &j, res);
        buf_free(&path);
        connect_response_free(&r);
        if (ret < 0)
            break;
        size_t i;
        json_t *it;
        json_array_foreach (json_object_get(j, "items"), i, it) {
            const char *v = json_string_value(
                json_object_get(json_object_get(it, "contentDetails"), "videoId"));
            if (!is_yt_id(v))
                continue;
            if (!*newest)
                snprintf(newest, sizeof newest, "%s", v);
            if (*known && str_eq(v, known))
                reached = true;
            if (page == 1 || !reached)
                json_array_append_new(ids, json_string(v));
        }
        next_token(j, next, sizeof next);
        json_decref(j);
        if (!*next)
            break;
    }
    for (size_t at = 0; ret == 0 && at < json_array_size(ids); at += 50) {
        struct buf path = {0};
        buf_puts(&path, YT_API "/videos?part=snippet,statistics,liveStreamingDetails&id=");
        for (size_t i = at; i < at + 50 && i < json_array_size(ids); i++) {
            buf_puts(&path, i > at ? "," : "");
            buf_puts(&path, json_string_value(json_array_get(ids, i)));
        }
        const char *what = "GET " YT_API "/videos";
        struct connect_response r;
        json_t *j = NULL;
        ret = yt_get_list(s, path.data, what, &r, &j, res);
        buf_free(&path);
        json_decref(j);
        if (ret == 0)
            ret = connect_sink_page(sink, INGEST_YOUTUBE, what, &r, NULL, res);
        connect_response_free(&r);
    }
    json_decref(ids);
    struct error e = {0};
    if (ret == 0 && *newest && sink->cursor_set(sink, "uploads", newest, &e) < 0)
        ret = connect_fail(res, CO_TEMPORARY, "keeping YouTube's uploads cursor: %s", e.msg);
    return ret;
}

/* A list read page by page through nextPageToken, each page to the sink.
 * on_item (may be NULL) sees each item; its failure stops the walk. */
struct yt_list {
    const char *path; /* the first page's */
    const char *what; /* "GET /youtube/v3/commentThreads" */
    bool until_known; /* stop after a page that added nothing (the rest was imported before) */
    int (*on_item)(struct connect_session *s, struct sync_sink *sink, json_t *item,
                   struct connect_result *res);
};

static int yt_walk(struct connect_session *s, struct sync_sink *sink, const struct yt_list *l,
                   struct connect_result *res)
{
    char next[256] = "";
    for (int page = 1; page <= YT_MAX_PAGES; page++) {
        struct buf path = {0};
        buf_puts(&path, l->path);
        if (*next)
            connect_put_param(&path, "pageToken", next);
        char what[200];
        snprintf(what, sizeof what, "%s, page %d", l->what, page);
        struct connect_response r;
        json_t *j = NULL;
        int64_t added = 0;
        int rc = yt_get_list(s, path.data, what, &r, &j, res);
        buf_free(&path);
        if (rc == 0)
            rc = connect_sink_page(sink, INGEST_YOUTUBE, what, &r, &added, res);
        connect_response_free(&r);
        if (rc == 0) {
            next_token(j, next, sizeof next);
            size_t i;
            json_t *it;
            json_array_foreach (json_object_get(j, "items"), i, it) {
                if (l->on_item && (rc = l->on_item(s, sink, it, res)) < 0)
                    break;
            }
        }
        json_decref(j);
        if (rc < 0)
            return -1;
        if (!*next || (l->until_known && added == 0))
            break;
    }
    return 0;
}

/* A thread's replies beyond the five commentThreads carries: comments by
 * parentId, page by page. */
static int sync_replies(struct connect_session *s, struct sync_sink *sink, json_t *thread,
                        struct connect_result *res)
{
    json_t *sn = json_object_get(thread, "snippet");
    json_int_t total = json_integer_value(json_object_get(sn, "totalReplyCount"));
    size_t got = json_array_size(json_object_get(json_object_get(thread, "replies"), "comments"));
    const char *parent = json_string_value(json_object_get(thread, "id"));
    if (total <= (json_int_t)got || !is_yt_id(parent))
        return 0;
    char path[300], what[160];
    snprintf(path, sizeof path,
             YT_API "/comments?part=snippet&maxResults=100&textFormat=plainText&parentId=%s",
             parent);
    snprintf(what, sizeof what, "GET " YT_API "/comments?parentId=%s", parent);
    struct yt_list l = {.path = path, .what = what};
    return yt_walk(s, sink, &l, res);
}

/* Every comment thread on the channel's videos, newest first, until a page
 * adds nothing (the rest was imported before). */
static int sync_threads(struct connect_session *s, struct sync_sink *sink, const char *channel,
                        struct connect_result *res)
{
    struct buf path = {0};
    buf_printf(&path,
               YT_API "/commentThreads?part=snippet,replies&maxResults=100&order=time"
                      "&textFormat=plainText&allThreadsRelatedToChannelId=%s",
               channel);
    struct yt_list l = {.path = path.data,
                        .what = "GET " YT_API "/commentThreads",
                        .until_known = true,
                        .on_item = sync_replies};
    int rc = yt_walk(s, sink, &l, res);
    buf_free(&path);
    return rc;
}

static int yt_sync(struct connect_session *s, struct sync_sink *sink, struct connect_result *res)
{
    if (connect_need_token(s, YT_NO_TOKEN, res))
        return -1;
    struct connect_response r;
    struct connect_account me = {0};
    char uploads[128] = "";
    if (yt_me(s, s->tokens->access_token, &r, &me, uploads, res) < 0) {
        connect_response_free(&r);
        return -1;
    }
    if (s->account_id && *s->account_id && !str_eq(s->account_id, me.id)) {
        connect_response_free(&r);
        return connect_fail(res, CO_AUTH,
                            "YouTube: the channel's token is for the channel %s (%s), not %s; "
                            "reconnect it with the right Google account",
                            me.name, me.id, s->account_id);
    }
    int rc =
        connect_sink_page(sink, INGEST_YOUTUBE, "GET " YT_API "/channels?mine=true", &r, NULL, res);
    connect_response_free(&r);
    if (rc < 0)
        return -1;
    if (*uploads && sync_videos(s, sink, uploads, res) < 0)
        return -1;
    return sync_threads(s, sink, me.id, res);
}

/* ---- actions ------------------------------------------------------------------------ */

/* The top-level comment a reply goes under: a reply's id is its thread's
 * id, '.', and its own. */
static void thread_of(const char *target, char *out, size_t n)
{
    snprintf(out, n, "%.*s", (int)strcspn(target, "."), target);
}

static void comment_done(const struct connect_session *s, const char *id, json_t *c,
                         struct connect_done *out)
{
    snprintf(out->id, sizeof out->id, "%s", id);
    const char *video =
        json_string_value(json_object_get(json_object_get(c, "snippet"), "videoId"));
    if (is_yt_id(video))
        snprintf(out->permalink, sizeof out->permalink, "https://www.youtube.com/watch?v=%s&lc=%s",
                 video, id);
}

static int reply(struct connect_session *s, const struct connect_action *a,
                 struct connect_done *out, struct connect_result *res)
{
    if (!a->text || !*a->text)
        return connect_fail(res, CO_REJECTED, "YouTube: a reply needs text");
    char parent[YT_ID_MAX + 1];
    thread_of(a->target, parent, sizeof parent);
    json_t *body =
        json_pack("{s:{s:s, s:s}}", "snippet", "parentId", parent, "textOriginal", a->text);
    if (!body)
        return connect_fail(res, CO_REJECTED, "YouTube: the reply's text is not UTF-8");
    const char *what = "POST " YT_API "/comments";
    struct connect_response r;
    struct error e = {0};
    int rc = connect_http_post_json(s->http, YT_API "/comments?part=snippet",
                                    s->tokens->access_token, body, &r, &e);
    json_decref(body);
    if (yt_check(res, what, &r, rc, &e, true) < 0) {
        connect_response_free(&r);
        return -1;
    }
    json_t *j = connect_body_json(&r);
    const char *id = json_string_value(json_object_get(j, "id"));
    int ret = 0;
    if (is_yt_id(id))
        comment_done(s, id, j, out);
    else
        ret = connect_fail(res, CO_LOST, "%s: YouTube's answer has no comment id", what);
    json_decref(j);
    connect_response_free(&r);
    return ret;
}

static int yt_act(struct connect_session *s, const struct connect_action *a,
                  struct connect_done *out, struct connect_result *res)
{
    if (connect_act_begin(s, out, YT_NO_TOKEN, res))
        return -1;
    if (!is_yt_id(a->target))
        return connect_fail(res, CO_REJECTED, "YouTube: '%.40s' is not a video or comment id",
                            a->target ? a->target : "");
    char path[256], what[256];
    struct connect_request rq = {.bearer = s->tokens->access_token, .path = path};
    switch (a->kind) {
    case ACT_REPLY:
        return reply(s, a, out, res);
    case ACT_HIDE:
    case ACT_UNHIDE:
        /* Held for review: gone from the public page until published again
         * (rejected would be for good). */
        snprintf(path, sizeof path,
                 YT_API "/comments/setModerationStatus?id=%s&moderationStatus=%s", a->target,
                 a->kind == ACT_HIDE ? "heldForReview" : "published");
        snprintf(what, sizeof what, "POST " YT_API "/comments/setModerationStatus (%s)",
                 a->kind == ACT_HIDE ? "heldForReview" : "published");
        rq.method = "POST";
        break;
    case ACT_DELETE_MESSAGE:
        snprintf(path, sizeof path, YT_API "/comments?id=%s", a->target);
        snprintf(what, sizeof what, "DELETE " YT_API "/comments");
        rq.method = "DELETE";
        break;
    case ACT_DELETE_POST:
        snprintf(path, sizeof path, YT_API "/videos?id=%s", a->target);
        snprintf(what, sizeof what, "DELETE " YT_API "/videos");
        rq.method = "DELETE";
        break;
    default:
        return connect_fail(res, CO_REJECTED, "YouTube cannot do '%s' through its API",
                            connect_action_names[a->kind]);
    }
    struct connect_response r;
    struct error e = {0};
    int rc = connect_http_send(s->http, &rq, &r, &e);
    if (rc == 0 && a->kind == ACT_DELETE_MESSAGE && r.status == 403) {
        /* Only its author deletes a comment; the channel's owner removes
         * someone else's by rejecting it. */
        connect_response_free(&r);
        snprintf(path, sizeof path,
                 YT_API "/comments/setModerationStatus?id=%s&moderationStatus=rejected", a->target);
        snprintf(what, sizeof what, "POST " YT_API "/comments/setModerationStatus (rejected)");
        rq.method = "POST";
        rc = connect_http_send(s->http, &rq, &r, &e);
    }
    /* Moderating and deleting again do no harm: a lost answer is tried again. */
    int ret = yt_check(res, what, &r, rc, &e, false);
    connect_response_free(&r);
    return ret;
}

/* Whether a reply whose answer was lost was made: the thread's replies by
 * the channel with the same text. */
static int yt_lookup(struct connect_session *s, const struct connect_action *a,
                     struct connect_done *out, struct connect_result *res)
{
    *out = (struct connect_done){0};
    if (a->kind != ACT_REPLY)
        return 0; /* sending again does what was meant, once */
    if (!s->tokens || !s->tokens->access_token || !is_yt_id(a->target))
        return connect_fail(res, CO_AUTH, "YouTube: looking up needs the channel's token");
    char parent[YT_ID_MAX + 1], next[256] = "";
    thread_of(a->target, parent, sizeof parent);
    int found = 0;
    for (int page = 1; page <= YT_MAX_PAGES && !found; page++) {
        struct buf path = {0};
        buf_printf(&path,
                   YT_API "/comments?part=snippet&maxResults=100&textFormat=plainText"
                          "&parentId=%s",
                   parent);
        if (*next)
            connect_put_param(&path, "pageToken", next);
        struct connect_response r;
        json_t *j = NULL;
        int rc = yt_get_list(s, path.data, "GET " YT_API "/comments (lookup)", &r, &j, res);
        buf_free(&path);
        connect_response_free(&r);
        if (rc < 0)
            return -1;
        size_t i;
        json_t *c;
        json_array_foreach (json_object_get(j, "items"), i, c) {
            json_t *sn = json_object_get(c, "snippet");
            const char *author =
                json_string_value(json_object_get(json_object_get(sn, "authorChannelId"), "value"));
            const char *text = json_string_value(json_object_get(sn, "textOriginal"));
            const char *id = json_string_value(json_object_get(c, "id"));
            if (is_yt_id(id) && str_eq(text, a->text) &&
                (!s->account_id || str_eq(author, s->account_id))) {
                comment_done(s, id, c, out);
                found = 1;
                break;
            }
        }
        next_token(j, next, sizeof next);
        json_decref(j);
        if (!*next)
            break;
    }
    return found;
}

const struct connector connector_youtube = {
    .platform = "youtube",
    .title = "YouTube",
    /* force-ssl: reading the channel and its comments, and replying to,
     * moderating and deleting them (youtube.readonly cannot act). */
    .scopes = "https://www.googleapis.com/auth/youtube.force-ssl",
    .api_url = "https://www.googleapis.com",
    .auth_url = "https://accounts.google.com/o/oauth2/v2/auth",
    .pkce = true,
    .actions = 1u << ACT_REPLY | 1u << ACT_HIDE | 1u << ACT_UNHIDE | 1u << ACT_DELETE_MESSAGE |
               1u << ACT_DELETE_POST,
    .authorize_url = yt_authorize_url,
    .exchange = yt_exchange,
    .refresh = yt_refresh,
    .sync = yt_sync,
    .act = yt_act,
    .lookup = yt_lookup,
};
