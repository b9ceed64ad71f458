/* tiktok: the TikTok connector: Login Kit (OAuth 2 authorization code with
 * PKCE; the app is named by its client_key; access tokens last 24 hours,
 * refresh tokens 365 days), a sync through the Display API (the account's
 * follower count from /v2/user/info/, its videos with their counts from
 * /v2/video/list/, paged by cursor and has_more), each answer handed as it
 * came to ingest/tiktok_api.c, and publishing through the Content Posting
 * API (a photo or a video TikTok pulls from a public address). TikTok's
 * public API gives most apps no comments and no way to reply, hide or
 * delete: the connector says so rather than pretend. Errors are TikTok's
 * {"error": {"code", "message", "log_id"}} (OAuth's {error,
 * error_description} at the token endpoint). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "connect/connect.h"

extern const struct connector connector_tiktok;

#define TT_API_URL    "https://open.tiktokapis.com"
#define TT_AUTH_URL   "https://www.tiktok.com/v2/auth/authorize/"
#define TT_TOKEN_PATH "/v2/oauth/token/"
#define TT_SCOPES     "user.info.basic,user.info.profile,user.info.stats,video.list,video.publish"
#define TT_USER_FIELDS                                                                             \
    "open_id,union_id,display_name,username,follower_count,following_count,likes_count,"           \
    "video_count"
#define TT_VIDEO_FIELDS                                                                            \
    "id,create_time,title,video_description,share_url,duration,like_count,comment_count,"          \
    "share_count,view_count"

enum {
    TT_PAGE = 20,           /* the most /v2/video/list/ gives a page */
    TT_MAX_PAGES = 50,      /* 1,000 videos a sync */
    TT_WINDOW = 14 * 86400, /* videos this much older than the newest get fresh counts */
    TT_STATUS_POLLS = 5,    /* status/fetch calls after a publish */
    TT_LOOKUP_SLACK = 120,
};

/* ---- helpers ---------------------------------------------------------------------------- */

/* ---- errors ------------------------------------------------------------------------------ */

/* The outcome of TikTok's error code (the status's when it names none). */
static enum connect_outcome tt_outcome(const char *code, enum connect_outcome by_status)
{
    static const char *const auth[] = {"access_token_invalid",
                                       "invalid_grant",
                                       "invalid_token",
                                       "token_expired",
                                       "scope_not_authorized",
                                       "scope_permission_missed",
                                       NULL};
    static const char *const later[] = {"internal_error", "server_error", NULL};
    for (const char *const *a = auth; *a; a++)
        if (str_eq(code, *a))
            return CO_AUTH;
    if (str_eq(code, "rate_limit_exceeded"))
        return CO_RATE;
    for (const char *const *a = later; *a; a++)
        if (str_eq(code, *a))
            return CO_TEMPORARY;
    /* spam_risk_too_many_posts, spam_risk_user_banned_from_posting,
     * reached_active_user_cap, unaudited_client_can_only_post_to_private_
     * accounts, privacy_level_option_mismatch, invalid_params, ...: sent
     * again as it is, it fails again. */
    return by_status == CO_AUTH || by_status == CO_RATE || by_status == CO_TEMPORARY ? by_status
                                                                                     : CO_REJECTED;
}

/* An answer that is not a success (or a success status whose body says
 * error.code other than "ok") into res. Returns -1. */
static int tt_fail(struct connect_result *res, const char *what, const struct connect_response *r,
                   int rc, const struct error *err, bool sent_action)
{
    connect_fail_http(res, what, r, rc, err, sent_action);
    if (rc != 0)
        return -1;
    json_t *j = connect_body_json(r), *e = json_object_get(j, "error");
    const char *code =
        json_is_object(e) ? json_string_value(json_object_get(e, "code")) : json_string_value(e);
    const char *msg = json_is_object(e)
                          ? json_string_value(json_object_get(e, "message"))
                          : json_string_value(json_object_get(j, "error_description"));
    if (code && str_eq(code, "ok"))
        code = NULL;
    if (code)
        snprintf(res->code, sizeof res->code, "%s", code);
    enum connect_outcome o = code ? tt_outcome(code, res->outcome) : res->outcome;
    if (o == CO_RATE)
        res->retry_at = rate_limit_resume_at(&r->rl);
    const char *then = o == CO_AUTH ? "; connect the channel again" : "";
    connect_fail(res, o, "%s: TikTok: %.200s (%s, HTTP %ld)%s", what, msg && *msg ? msg : "refused",
                 code ? code : "no code", r->status, then);
    json_decref(j);
    return -1;
}

/* 0 and *out (caller decrefs) for a 2xx answer whose error.code is "ok"
 * or absent; else tt_fail. */
static int tt_check(struct connect_result *res, const char *what, const struct connect_response *r,
                    int rc, const struct error *err, bool sent_action, json_t **out)
{
    if (connect_check(tt_fail, res, what, r, rc, err, sent_action))
        return -1;
    json_t *j = connect_body_json(r);
    const char *code = json_string_value(json_object_get(json_object_get(j, "error"), "code"));
    if (!json_is_object(j) || (code && !str_eq(code, "ok"))) {
        json_decref(j);
        if (!code)
            return connect_fail(res, sent_action ? CO_LOST : CO_TEMPORARY,
                                "%s: TikTok's answer is not a JSON object", what);
        return tt_fail(res, what, r, 0, err, sent_action);
    }
    if (out)
        *out = j;
    else
        json_decref(j);
    return 0;
}

/* A JSON POST to the API with the channel's token, read by tt_check. body
 * is taken (released here). r keeps the answer's bytes for the caller to
 * free; NULL when *out is all that is wanted. */
static int tt_post(struct connect_session *s, const char *path, json_t *body, const char *what,
                   bool action, struct connect_response *r, json_t **out,
                   struct connect_result *res)
{
    struct connect_response own = {0};
    struct connect_response *answer = r ? r : &own;
    struct error e = {0};
    int rc = connect_http_post_json(s->http, path, s->tokens->access_token, body, answer, &e);
    json_decref(body);
    rc = tt_check(res, what, answer, rc, &e, action, out);
    if (!r)
        connect_response_free(&own);
    return rc;
}

/* ---- Login Kit ---------------------------------------------------------------------------- */

static int tt_authorize_url(const struct connect_session *s, const char *state,
                            const char *code_challenge, struct buf *url, struct error *err)
{
    static const struct consent_form form = {
        .no_client = "TikTok needs the app's client key: set KANAL_TIKTOK_CLIENT_ID (and "
                     "KANAL_TIKTOK_CLIENT_SECRET)",
        .incomplete = "TikTok's authorization needs a redirect URI, a state and a PKCE challenge",
        .client_param = "client_key",
        .scopes = TT_SCOPES,
        .auth_url = TT_AUTH_URL,
        .pkce = true};
    return connect_consent_url(&form, s, state, code_challenge, url, err);
}

/* POSTs the token request (fields: NULL-terminated pairs; client_key and
 * client_secret added) and fills out from the answer. */
static int tt_token(struct connect_session *s, const char *const *fields,
                    struct channel_tokens *out, struct connect_result *res)
{
    const struct connect_platform_config *c = s->cfg;
    const char *what = "POST " TT_TOKEN_PATH;
    if (!c->client_id || !c->client_secret)
        return connect_fail(res, CO_REJECTED,
                            "%s: KANAL_TIKTOK_CLIENT_ID or KANAL_TIKTOK_CLIENT_SECRET is not set",
                            what);
    const char *client[] = {"client_key", c->client_id, "client_secret", c->client_secret, NULL};
    static const char *const headers[] = {"Cache-Control: no-cache", NULL};
    struct token_post tp = {.http = s->http,
                            .path = TT_TOKEN_PATH,
                            .url = c->token_url,
                            .url_setting = "KANAL_TIKTOK_TOKEN_URL",
                            .headers = headers,
                            .pairs = {client, fields}};
    struct connect_response r;
    struct error e = {0};
    int rc = connect_token_post(&tp, &r, &e);
    if (rc == -2)
        return connect_fail(res, CO_REJECTED, "%s", e.msg);
    json_t *j = NULL;
    /* TikTok answers a refused grant with 200 and {"error": "invalid_grant"}. */
    if (tt_check(res, what, &r, rc, &e, false, &j) < 0 ||
        (json_is_string(json_object_get(j, "error")) && tt_fail(res, what, &r, 0, &e, false))) {
        if (res->outcome == CO_REJECTED && str_eq(res->code, "invalid_grant"))
            res->outcome = CO_AUTH;
        json_decref(j);
        connect_response_wipe(&r);
        return -1;
    }
    int ret = connect_token_read(j, s->now, "TikTok's", what, 0, out, res);
    json_decref(j);
    connect_response_wipe(&r);
    return ret;
}

/* GET /v2/user/info/ with the given token: who it is for. */
static int tt_me(struct connect_session *s, const char *bearer, struct connect_response *r,
                 struct connect_account *acc, struct connect_result *res)
{
    const char *what = "GET /v2/user/info/";
    struct error e = {0};
    json_t *j = NULL;
    int rc = connect_http_get(s->http, "/v2/user/info/?fields=" TT_USER_FIELDS, bearer, r, &e);
    if (tt_check(res, what, r, rc, &e, false, &j) < 0)
        return -1;
    json_t *u = json_object_get(json_object_get(j, "data"), "user");
    const char *user = json_string_value(json_object_get(u, "username"));
    const char *name = json_string_value(json_object_get(u, "display_name"));
    int ret = 0;
    if (!user || !*user) {
        ret = connect_fail(res, CO_REJECTED,
                           "%s: TikTok gave no username (was user.info.profile granted?)", what);
    } else {
        connect_account_of_user(acc, user, user, name);
    }
    json_decref(j);
    return ret;
}

static const struct code_grant tt_grant = {
    .who = "TikTok's",
    .token = tt_token,
    .me = tt_me,
    .no_refresh = "TikTok gave no refresh token; connect the channel again"};

static int tt_exchange(struct connect_session *s, const char *code, const char *verifier,
                       struct channel_tokens *tokens, struct connect_account *accounts, int max,
                       int *n, struct connect_result *res)
{
    *n = 0;
    if (max < 1 || !code || !*code || !verifier || !*verifier || !s->cfg->redirect_uri)
        return connect_fail(res, CO_REJECTED,
                            "TikTok's token request needs the code, the PKCE verifier and the "
                            "redirect URI (PUBLIC_URL)");
    return connect_code_exchange(&tt_grant, s, code, verifier, tokens, accounts, max, n, res);
}

static int tt_refresh(struct connect_session *s, struct channel_tokens *out,
                      struct connect_result *res)
{
    return connect_code_refresh(&tt_grant, s, out, res);
}

/* ---- sync ---------------------------------------------------------------------------------- */

static int tt_sync(struct connect_session *s, struct sync_sink *sink, struct connect_result *res)
{
    if (!s->tokens)
        return connect_fail(res, CO_AUTH, "the channel is not connected");
    struct connect_response r = {0};
    struct error e = {0};
    const char *what = "GET /v2/user/info/";
    int rc = connect_http_get(s->http, "/v2/user/info/?fields=" TT_USER_FIELDS,
                              s->tokens->access_token, &r, &e);
    if (tt_check(res, what, &r, rc, &e, false, NULL) < 0 ||
        connect_sink_page(sink, INGEST_TIKTOK_API, what, &r, NULL, res) < 0) {
        connect_response_free(&r);
        return -1;
    }
    connect_response_free(&r);

    /* Videos newest first: read back to TT_WINDOW before the newest seen
     * last time (their counts move), all of them the first time. */
    int64_t newest_before = connect_kept_time(sink, "videos"), newest = newest_before;
    int64_t stop_before = newest_before > TT_WINDOW ? newest_before - TT_WINDOW : 0;
    long long cursor = 0;
    bool more = true;
    for (int page = 1; more && page <= TT_MAX_PAGES; page++) {
        char w[80];
        snprintf(w, sizeof w, "POST /v2/video/list/, page %d", page);
        json_t *body = json_pack("{s:i}", "max_count", TT_PAGE);
        if (cursor)
            json_object_set_new(body, "cursor", json_integer(cursor));
        json_t *j = NULL;
        rc = tt_post(s, "/v2/video/list/?fields=" TT_VIDEO_FIELDS, body, w, false, &r, &j, res);
        if (rc == 0)
            rc = connect_sink_page(sink, INGEST_TIKTOK_API, w, &r, NULL, res);
        connect_response_free(&r);
        if (rc) {
            json_decref(j);
            return -1;
        }
        json_t *d = json_object_get(j, "data"), *v;
        size_t i;
        bool older = false;
        json_array_foreach (json_object_get(d, "videos"), i, v) {
            json_t *t = json_object_get(v, "create_time");
            int64_t at = json_is_integer(t) ? json_integer_value(t) : 0;
            if (at > newest)
                newest = at;
            if (at && at < stop_before)
                older = true;
        }
        json_t *c = json_object_get(d, "cursor");
        more = json_is_true(json_object_get(d, "has_more")) && json_is_integer(c) &&
               json_array_size(json_object_get(d, "videos")) && !older;
        cursor = json_is_integer(c) ? json_integer_value(c) : 0;
        json_decref(j);
    }
    if (newest > newest_before && connect_keep_time(sink, "videos", newest, &e) < 0)
        return connect_fail(res, CO_TEMPORARY, "keeping TikTok's videos cursor: %s", e.msg);
    return 0;
}

/* ---- publishing ------------------------------------------------------------------------------ */

/* The privacy level to post with: public when the creator may, else the
 * first TikTok offers (an unaudited app may only post privately). */
static int creator_privacy(struct connect_session *s, char *out, size_t n,
                           struct connect_result *res)
{
    const char *what = "POST /v2/post/publish/creator_info/query/";
    json_t *j = NULL;
    if (tt_post(s, "/v2/post/publish/creator_info/query/", json_object(), what, false, NULL, &j,
                res))
        return -1;
    json_t *opts = json_object_get(json_object_get(j, "data"), "privacy_level_options"), *o;
    size_t i;
    snprintf(out, n, "%s", "");
    json_array_foreach (opts, i, o) {
        const char *p = json_string_value(o);
        if (p && (!*out || str_eq(p, "PUBLIC_TO_EVERYONE")))
            snprintf(out, n, "%s", p);
    }
    json_decref(j);
    if (!*out)
        return connect_fail(res, CO_REJECTED, "%s: TikTok offers this creator no privacy level",
                            what);
    return 0;
}

/* Polls status/fetch until the post is public (its id in out) or failed. */
static int await_publish(struct connect_session *s, const char *publish_id,
                         struct connect_done *out, struct connect_result *res)
{
    const char *what = "POST /v2/post/publish/status/fetch/";
    for (int i = 0; i < TT_STATUS_POLLS; i++) {
        if (i)
            sleep(1);
        json_t *j = NULL, *body = json_pack("{s:s}", "publish_id", publish_id);
        if (tt_post(s, "/v2/post/publish/status/fetch/", body, what, false, NULL, &j, res))
            return -1;
        json_t *d = json_object_get(j, "data");
        const char *st = json_string_value(json_object_get(d, "status"));
        const char *id =
            json_string_value(json_array_get(json_object_get(d, "publicaly_available_post_id"), 0));
        json_t *idn = json_array_get(json_object_get(d, "publicaly_available_post_id"), 0);
        int ret = 1;
        if (st && str_eq(st, "PUBLISH_COMPLETE")) {
            if (id)
                snprintf(out->id, sizeof out->id, "%s", id);
            else if (json_is_integer(idn))
                snprintf(out->id, sizeof out->id, "%lld", (long long)json_integer_value(idn));
            else
                snprintf(out->id, sizeof out->id, "%s", publish_id);
            ret = 0;
        } else if (st && str_eq(st, "FAILED")) {
            const char *why = json_string_value(json_object_get(d, "fail_reason"));
            ret = connect_fail(res, CO_REJECTED, "%s: TikTok did not publish it: %s", what,
                               why ? why : "no reason given");
        }
        json_decref(j);
        if (ret <= 0)
            return ret;
    }
    /* Still processing: TikTok finishes on its own; the next sync brings
     * the video. The publish id stands for it meanwhile. */
    snprintf(out->id, sizeof out->id, "%s", publish_id);
    return 0;
}

static int tt_act(struct connect_session *s, const struct connect_action *a,
                  struct connect_done *out, struct connect_result *res)
{
    memset(out, 0, sizeof *out);
    if (!s->tokens)
        return connect_fail(res, CO_AUTH, "the channel is not connected");
    if (a->kind != ACT_PUBLISH)
        return connect_fail(res, CO_REJECTED,
                            "TikTok's API cannot %s: it gives apps no comments to answer, hide "
                            "or delete, and no way to delete a video",
                            connect_action_name(a->kind, "do that"));
    if (!a->link || !*a->link)
        return connect_fail(res, CO_REJECTED,
                            "TikTok publishes a photo or a video it fetches from a public "
                            "address (the action's link); it takes no text-only posts");
    char privacy[64];
    if (creator_privacy(s, privacy, sizeof privacy, res))
        return -1;
    static const char *const video_ext[] = {".mp4", ".mov", ".webm", NULL};
    bool video = connect_link_has_ext(a->link, video_ext);
    const char *text = a->text ? a->text : "";
    json_t *body;
    const char *path, *what;
    if (video) {
        path = "/v2/post/publish/video/init/";
        what = "POST /v2/post/publish/video/init/";
        body =
            json_pack("{s:{s:s, s:s}, s:{s:s, s:s}}", "post_info", "title", text, "privacy_level",
                      privacy, "source_info", "source", "PULL_FROM_URL", "video_url", a->link);
    } else {
        path = "/v2/post/publish/content/init/";
        what = "POST /v2/post/publish/content/init/";
        body = json_pack("{s:{s:s, s:s}, s:{s:s, s:i, s:[s]}, s:s, s:s}", "post_info",
                         "description", text, "privacy_level", privacy, "source_info", "source",
                         "PULL_FROM_URL", "photo_cover_index", 0, "photo_images", a->link,
                         "post_mode", "DIRECT_POST", "media_type", "PHOTO");
    }
    json_t *j = NULL;
    if (tt_post(s, path, body, what, true, NULL, &j, res))
        return -1;
    const char *pid = json_string_value(json_object_get(json_object_get(j, "data"), "publish_id"));
    char publish_id[128];
    snprintf(publish_id, sizeof publish_id, "%s", pid ? pid : "");
    json_decref(j);
    if (!*publish_id)
        return connect_fail(res, CO_LOST, "%s: TikTok's answer has no publish_id", what);
    return await_publish(s, publish_id, out, res);
}

/* A publish whose answer was lost: the account's newest videos say whether
 * one with its text was posted since it was sent. */
static int tt_lookup(struct connect_session *s, const struct connect_action *a,
                     struct connect_done *out, struct connect_result *res)
{
    memset(out, 0, sizeof *out);
    if (a->kind != ACT_PUBLISH)
        return 0;
    int64_t since = a->first_sent_at > TT_LOOKUP_SLACK ? a->first_sent_at - TT_LOOKUP_SLACK : 0;
    json_t *j = NULL, *body = json_pack("{s:i}", "max_count", TT_PAGE);
    if (tt_post(s, "/v2/video/list/?fields=" TT_VIDEO_FIELDS, body, "POST /v2/video/list/", false,
                NULL, &j, res))
        return -1;
    json_t *v;
    size_t i;
    int found = 0;
    json_array_foreach (json_object_get(json_object_get(j, "data"), "videos"), i, v) {
        json_t *t = json_object_get(v, "create_time");
        const char *d = json_string_value(json_object_get(v, "video_description"));
        const char *title = json_string_value(json_object_get(v, "title"));
        const char *want = a->text ? a->text : "";
        if (json_is_integer(t) && json_integer_value(t) >= since &&
            ((d && str_eq(d, want)) || (title && str_eq(title, want)))) {
            const char *id = json_string_value(json_object_get(v, "id"));
            const char *share = json_string_value(json_object_get(v, "share_url"));
            snprintf(out->id, sizeof out->id, "%s", id ? id : "");
            if (share)
                snprintf(out->permalink, sizeof out->permalink, "%.*s", (int)strcspn(share, "?"),
                         share);
            found = 1;
            break;
        }
    }
    json_decref(j);
    return found;
}

const struct connector connector_tiktok = {
    .platform = "tiktok",
    .title = "TikTok",
    .scopes = TT_SCOPES,
    .api_url = TT_API_URL,
    .auth_url = TT_AUTH_URL,
    .pkce = true,
    .actions = 1u << ACT_PUBLISH,
    .authorize_url = tt_authorize_url,
    .exchange = tt_exchange,
    .refresh = tt_refresh,
    .sync = tt_sync,
    .act = tt_act,
    .lookup = tt_lookup,
};
