/* x: the X (Twitter) connector over X API v2: OAuth 2.0 Authorization Code
 * with PKCE and rotating refresh tokens; a sync of the account's own tweets
 * and its mentions (since_id, pagination_token) and its follower count, each
 * answer handed as it came to ingest/x_api.c; and the actions X allows:
 * publish (text, link, one image), delete, reply, hide and unhide a reply,
 * like. X's problem bodies are read before the shared status mapping. */
#include <ctype.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "connect/connect.h"

extern const struct connector connector_x;

#define X_TOKEN_PATH "/2/oauth2/token"
/* What a synced tweet is asked to carry: everything ingest/x_api.c reads. */
#define X_TWEET_FIELDS                                                                             \
    "created_at,public_metrics,author_id,conversation_id,in_reply_to_user_id,"                     \
    "referenced_tweets,entities,attachments,lang,note_tweet"
#define X_EXPANSIONS "author_id,referenced_tweets.id,attachments.media_keys"
/* X keeps the newest 3,200 tweets of a timeline and 800 mentions: 100 a page. */
#define X_MAX_PAGES 40
#define X_ID_MAX    19 /* X's ids are ^[0-9]{1,19}$ */

/* Why a sync or an action cannot start: the channel has no token. */
#define X_NO_TOKEN "the X channel has no token; connect it"

/* ---- small helpers ------------------------------------------------------------------ */

static bool is_x_id(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    return n >= 1 && n <= X_ID_MAX && strspn(s, "0123456789") == n;
}

/* The account's handle without its '@', for permalinks; "i/web" (which X
 * redirects to the tweet) when the channel's handle is not known. */
static void permalink(const struct connect_session *s, const char *id, struct connect_done *out)
{
    const char *h = s->account_handle && *s->account_handle ? s->account_handle : NULL;
    if (h && *h == '@')
        h++;
    snprintf(out->permalink, sizeof out->permalink, "https://x.com/%s/status/%s",
             h && *h ? h : "i/web", id);
}

/* ---- errors ------------------------------------------------------------------------- */

/* The outcome of an answer that is not a success, in X's words: its problem
 * bodies ({title, detail, type}, errors[]) and OAuth's {error,
 * error_description}. 401 and invalid_grant ask for reconnecting; 403
 * duplicate content is refused as it stands; 429 or no calls left wait for
 * x-rate-limit-reset. Returns -1. */
static int x_fail(struct connect_result *res, const char *what, const struct connect_response *resp,
                  int call_rc, const struct error *call_err, bool sent_action)
{
    connect_fail_http(res, what, resp, call_rc, call_err, sent_action);
    if (call_rc != 0)
        return -1;
    json_t *j = connect_body_json(resp);
    const char *title = json_string_value(json_object_get(j, "title"));
    const char *detail = json_string_value(json_object_get(j, "detail"));
    const char *type = json_string_value(json_object_get(j, "type"));
    const char *oauth = json_string_value(json_object_get(j, "error"));
    const char *oauth_desc = json_string_value(json_object_get(j, "error_description"));
    json_t *e0 = json_array_get(json_object_get(j, "errors"), 0);
    const char *first = json_string_value(json_object_get(e0, "message"));
    if (!first)
        first = json_string_value(json_object_get(e0, "detail"));
    /* An invalid request's detail is generic; its errors[] say which field. */
    const char *words = first && type && strstr(type, "invalid-request") ? first
                        : detail                                         ? detail
                        : first                                          ? first
                        : oauth_desc                                     ? oauth_desc
                                                                         : title;
    if (oauth)
        snprintf(res->code, sizeof res->code, "%s", oauth);
    else if (type && strrchr(type, '/'))
        snprintf(res->code, sizeof res->code, "%s", strrchr(type, '/') + 1);

    long st = resp->status;
    enum connect_outcome o = res->outcome;
    if (st == 401 || (oauth && str_eq(oauth, "invalid_grant")))
        o = CO_AUTH;
    else if (st == 403 && detail && strstr(detail, "duplicate content")) {
        o = CO_REJECTED;
        snprintf(res->code, sizeof res->code, "duplicate");
    } else if (st == 429 || resp->rl.limited) {
        o = CO_RATE;
        res->retry_at = rate_limit_resume_at(&resp->rl);
    }
    static const struct platform_voice voice = {.name = "X", .account = "channel"};
    connect_fail_said(res, o, what, &voice, words, oauth, st);
    json_decref(j);
    return -1;
}

/* A success status, else x_fail's outcome. */
static int x_check(struct connect_result *res, const char *what, const struct connect_response *r,
                   int rc, const struct error *err, bool sent_action)
{
    return connect_check(x_fail, res, what, r, rc, err, sent_action);
}

/* ---- OAuth 2.0 with PKCE ------------------------------------------------------------ */

static int x_authorize_url(const struct connect_session *s, const char *state,
                           const char *code_challenge, struct buf *url, struct error *err)
{
    const struct consent_form form = {
        .no_client = "X needs the app's client id: set KANAL_X_CLIENT_ID (the OAuth 2.0 "
                     "Client ID in X's developer console)",
        .incomplete = "X's authorization needs a redirect URI, a state and a PKCE challenge",
        .scopes = connector_x.scopes,
        .pkce = true};
    return connect_consent_url(&form, s, state, code_challenge, url, err);
}

/* POSTs the token request (fields: NULL-terminated pairs, client_id added)
 * as X documents it: a form, HTTP Basic for a confidential client. Fills
 * out from the answer. */
static int x_token(struct connect_session *s, const char *const *fields, struct channel_tokens *out,
                   struct connect_result *res)
{
    const struct connect_platform_config *c = s->cfg;
    const char *what = "POST " X_TOKEN_PATH;
    if (!c->client_id || !*c->client_id)
        return connect_fail(res, CO_REJECTED, "%s: KANAL_X_CLIENT_ID is not set", what);
    struct buf basic = {0};
    const char *headers[2] = {NULL, NULL};
    if (c->client_secret && *c->client_secret) {
        struct buf pair = {0};
        connect_put_enc(&pair, c->client_id);
        buf_putc(&pair, ':');
        connect_put_enc(&pair, c->client_secret);
        size_t n = sodium_base64_encoded_len(pair.len, sodium_base64_VARIANT_ORIGINAL);
        char *b64 = xmalloc(n);
        sodium_bin2base64(b64, n, (const unsigned char *)pair.data, pair.len,
                          sodium_base64_VARIANT_ORIGINAL);
        buf_printf(&basic, "Authorization: Basic %s", b64);
        sodium_memzero(b64, n);
        free(b64);
        connect_buf_wipe(&pair);
        headers[0] = basic.data;
    }
    /* The token endpoint is under api_url unless configured elsewhere. */
    const char *client[] = {"client_id", c->client_id, NULL};
    struct token_post tp = {.http = s->http,
                            .path = X_TOKEN_PATH,
                            .url = c->token_url,
                            .url_setting = "KANAL_X_TOKEN_URL",
                            .headers = headers[0] ? headers : NULL,
                            .pairs = {fields, client},
                            .what = what,
                            .who = "X's",
                            .flags = TOKEN_EXPIRY_STRICT,
                            .fail = x_fail};
    int ret = connect_token_get(&tp, s->now, out, res);
    connect_buf_wipe(&basic);
    return ret;
}

/* GET /2/users/me with the given token: who it is for. */
static int x_me(struct connect_session *s, const char *bearer, struct connect_response *r,
                struct connect_account *acc, struct connect_result *res)
{
    const char *what = "GET /2/users/me";
    struct error e = {0};
    int rc = connect_http_get(s->http, "/2/users/me?user.fields=public_metrics,username,name",
                              bearer, r, &e);
    if (x_check(res, what, r, rc, &e, false) < 0)
        return -1;
    json_t *j = connect_body_json(r);
    json_t *d = json_object_get(j, "data");
    const char *id = json_string_value(json_object_get(d, "id"));
    const char *user = json_string_value(json_object_get(d, "username"));
    const char *name = json_string_value(json_object_get(d, "name"));
    int ret = 0;
    if (!is_x_id(id) || !user)
        ret = connect_fail(res, CO_REJECTED, "%s: X's answer has no user id and username", what);
    else if (acc)
        connect_account_of_user(acc, id, user, name);
    json_decref(j);
    return ret;
}

static const struct code_grant x_grant = {
    .who = "X's",
    .token = x_token,
    .me = x_me,
    .no_refresh =
        "X gave no refresh token (offline.access was not granted); reconnect the channel"};

static int x_exchange(struct connect_session *s, const char *code, const char *verifier,
                      struct channel_tokens *tokens, struct connect_account *accounts, int max,
                      int *n, struct connect_result *res)
{
    return connect_code_exchange(&x_grant, s, code, verifier, tokens, accounts, max, n, res);
}

static int x_refresh(struct connect_session *s, struct channel_tokens *out,
                     struct connect_result *res)
{
    /* X rotates refresh tokens: the one sent is spent, the new one must be
     * stored before anything else is tried. */
    return connect_code_refresh(&x_grant, s, out, res);
}

/* ---- sync --------------------------------------------------------------------------- */

/* The cursors of one list ("tweets", "mentions"): `since` is the newest id
 * imported; while a sync is cut short (rate limit, failure) `resource:next`
 * keeps where its paging stopped and `resource:newest` the id it will move
 * `since` to once it has gone through, so no older page is skipped. */
static int cursor_copy(struct sync_sink *sink, const char *res_name, const char *suffix, char *out,
                       size_t n)
{
    char key[64];
    snprintf(key, sizeof key, "%s%s", res_name, suffix);
    const char *v = sink->cursor_get(sink, key);
    snprintf(out, n, "%s", v ? v : "");
    return v ? 1 : 0;
}

static int cursor_put(struct sync_sink *sink, const char *res_name, const char *suffix,
                      const char *value, struct connect_result *res)
{
    char key[64];
    snprintf(key, sizeof key, "%s%s", res_name, suffix);
    struct error e = {0};
    if (sink->cursor_set(sink, key, value && *value ? value : NULL, &e) < 0)
        return connect_fail(res, CO_TEMPORARY, "keeping X's %s cursor: %s", key, e.msg);
    return 0;
}

static void list_path(struct buf *path, const char *uid, const char *list, const char *since,
                      const char *next)
{
    buf_printf(path,
               "/2/users/%s/%s?max_results=100&tweet.fields=" X_TWEET_FIELDS
               "&expansions=" X_EXPANSIONS "&user.fields=username,name&media.fields=type",
               uid, list);
    if (*since) {
        buf_puts(path, "&since_id=");
        buf_puts(path, since);
    }
    if (*next) {
        buf_puts(path, "&pagination_token=");
        connect_put_enc(path, next);
    }
}

/* Fetches one list's new tweets, page by page, into the sink. *later (may
 * be NULL) is set when this was not the list's first sync. */
static int sync_list(struct connect_session *s, struct sync_sink *sink, const char *uid,
                     const char *list, bool *later, struct connect_result *res)
{
    char since[32], next[256], newest[32];
    cursor_copy(sink, list, "", since, sizeof since);
    cursor_copy(sink, list, ":next", next, sizeof next);
    cursor_copy(sink, list, ":newest", newest, sizeof newest);
    if (*since && !is_x_id(since))
        *since = '\0'; /* not an id X gave: start again rather than send it */
    bool resuming = *next != '\0';
    if (later)
        *later = *since && !resuming;
    for (int page = 1; page <= X_MAX_PAGES; page++) {
        struct buf path = {0};
        list_path(&path, uid, list, since, next);
        char what[128];
        snprintf(what, sizeof what, "GET /2/users/%s/%s, page %d", uid, list, page);
        struct connect_response r;
        struct error e = {0};
        int rc = connect_http_get(s->http, path.data, s->tokens->access_token, &r, &e);
        buf_free(&path);
        if (x_check(res, what, &r, rc, &e, false) < 0) {
            connect_response_free(&r);
            /* A paging token X no longer takes: start this list over next time. */
            if (resuming && res->status == 400 && cursor_put(sink, list, ":next", NULL, res) == 0)
                cursor_put(sink, list, ":newest", NULL, res);
            return -1;
        }
        json_t *j = connect_body_json(&r);
        json_t *meta = json_object_get(j, "meta");
        json_t *data = json_object_get(j, "data");
        const char *tok = json_string_value(json_object_get(meta, "next_token"));
        const char *top = json_string_value(json_object_get(meta, "newest_id"));
        if (!json_is_object(j) || (!data && json_object_get(j, "errors"))) {
            json_decref(j);
            int ret = x_fail(res, what, &r, 0, NULL, false);
            res->outcome = CO_REJECTED;
            connect_response_free(&r);
            return ret;
        }
        if (!*newest && is_x_id(top))
            snprintf(newest, sizeof newest, "%s", top);
        snprintf(next, sizeof next, "%s", tok && strlen(tok) < sizeof next ? tok : "");
        size_t ndata = json_array_size(data);
        json_decref(j);
        int64_t added = 0;
        int ret = ndata ? connect_sink_page(sink, INGEST_X_API, what, &r, &added, res) : 0;
        bool limited = r.rl.limited;
        struct connect_response rl_copy = r;
        rl_copy.body = (struct buf){0};
        connect_response_free(&r);
        if (ret < 0)
            return -1;
        /* Done: no more pages, or a page that added nothing (what is below it
         * was imported before). */
        if (!*next || !ndata || (added == 0 && !resuming))
            break;
        if (limited) { /* the window is used up: keep the place, wait for its end */
            if (cursor_put(sink, list, ":next", next, res) < 0 ||
                cursor_put(sink, list, ":newest", newest, res) < 0)
                return -1;
            return x_fail(res, what, &rl_copy, 0, NULL, false);
        }
    }
    if (cursor_put(sink, list, ":next", NULL, res) < 0 ||
        cursor_put(sink, list, ":newest", NULL, res) < 0)
        return -1;
    if (*newest && cursor_put(sink, list, "", newest, res) < 0)
        return -1;
    return 0;
}

static int x_sync(struct connect_session *s, struct sync_sink *sink, struct connect_result *res)
{
    if (connect_need_token(s, X_NO_TOKEN, res))
        return -1;
    /* The user first: its public_metrics are the follower count, and its id
     * is whose timeline this is. */
    struct connect_response r;
    struct connect_account me = {0};
    if (x_me(s, s->tokens->access_token, &r, &me, res) < 0) {
        connect_response_free(&r);
        return -1;
    }
    if (s->account_id && *s->account_id && !str_eq(s->account_id, me.id)) {
        connect_response_free(&r);
        return connect_fail(res, CO_AUTH,
                            "X: the channel's token is for the account %s (%s), not %s; "
                            "reconnect it with the right account",
                            me.handle, me.id, s->account_id);
    }
    int rc = connect_sink_page(sink, INGEST_X_API, "GET /2/users/me", &r, NULL, res);
    connect_response_free(&r);
    if (rc < 0)
        return -1;
    bool later = false;
    if (sync_list(s, sink, me.id, "tweets", &later, res) < 0 ||
        sync_list(s, sink, me.id, "mentions", NULL, res) < 0)
        return -1;
    if (!later)
        return 0; /* the first sync read every tweet's counts just now */
    /* since_id brings only new tweets; the newest 100's counts (likes,
     * replies, reposts) are read again for a new snapshot of each. */
    struct buf path = {0};
    list_path(&path, me.id, "tweets", "", "");
    struct error e = {0};
    rc = connect_http_get(s->http, path.data, s->tokens->access_token, &r, &e);
    buf_free(&path);
    const char *what = "GET /2/users/:id/tweets (the newest tweets' counts)";
    rc = x_check(res, what, &r, rc, &e, false);
    if (rc == 0 && r.body.len)
        rc = connect_sink_page(sink, INGEST_X_API, what, &r, NULL, res);
    connect_response_free(&r);
    return rc;
}

/* ---- actions ------------------------------------------------------------------------ */

/* The text a publish or reply sends: the text, and the link after it when
 * the text does not hold it already. */
static void compose(const struct connect_action *a, struct buf *out)
{
    buf_puts(out, a->text ? a->text : "");
    if (a->kind == ACT_PUBLISH && a->link && *a->link && !strstr(out->data, a->link)) {
        if (out->len)
            buf_puts(out, "\n\n");
        buf_puts(out, a->link);
    }
}

/* POST /2/media/upload (multipart: the image and its category), then its
 * description with POST /2/media/metadata. The media id into id. */
static int upload(struct connect_session *s, const struct connect_action *a, char id[32],
                  struct connect_result *res)
{
    const char *what = "POST /2/media/upload";
    const char *type = a->image_type ? a->image_type : "application/octet-stream";
    if (strpbrk(type, "\r\n\""))
        return connect_fail(res, CO_REJECTED, "%s: the image type is not one line", what);
    char boundary[48];
    unsigned char rnd[12];
    randombytes_buf(rnd, sizeof rnd);
    str_hex(rnd, sizeof rnd, boundary + snprintf(boundary, sizeof boundary, "kanal-"));
    struct buf body = {0}, ctype = {0};
    buf_printf(
        &body,
        "--%s\r\nContent-Disposition: form-data; name=\"media_category\"\r\n\r\n"
        "tweet_image\r\n--%s\r\nContent-Disposition: form-data; name=\"media_type\"\r\n\r\n"
        "%s\r\n--%s\r\nContent-Disposition: form-data; name=\"media\"; filename=\"image\"\r\n"
        "Content-Type: %s\r\n\r\n",
        boundary, boundary, type, boundary, type);
    buf_append(&body, a->image, a->image_len);
    buf_printf(&body, "\r\n--%s--\r\n", boundary);
    buf_printf(&ctype, "multipart/form-data; boundary=%s", boundary);
    struct connect_request rq = {.method = "POST",
                                 .path = "/2/media/upload",
                                 .bearer = s->tokens->access_token,
                                 .content_type = ctype.data,
                                 .body = body.data,
                                 .body_len = body.len};
    struct connect_response r;
    struct error e = {0};
    int rc = connect_http_send(s->http, &rq, &r, &e);
    buf_free(&body);
    buf_free(&ctype);
    if (x_check(res, what, &r, rc, &e, false) < 0) {
        connect_response_free(&r);
        return -1;
    }
    json_t *j = connect_body_json(&r);
    const char *mid = json_string_value(json_object_get(json_object_get(j, "data"), "id"));
    int ret =
        is_x_id(mid) ? 0 : connect_fail(res, CO_REJECTED, "%s: X's answer has no media id", what);
    if (ret == 0)
        snprintf(id, 32, "%s", mid);
    json_decref(j);
    connect_response_free(&r);
    if (ret < 0 || !a->image_alt || !*a->image_alt)
        return ret;
    json_t *meta =
        json_pack("{s:s, s:{s:{s:s}}}", "id", id, "metadata", "alt_text", "text", a->image_alt);
    if (!meta)
        return connect_fail(res, CO_REJECTED, "the image's description is not UTF-8");
    rc =
        connect_http_post_json(s->http, "/2/media/metadata", s->tokens->access_token, meta, &r, &e);
    json_decref(meta);
    ret = x_check(res, "POST /2/media/metadata", &r, rc, &e, false);
    connect_response_free(&r);
    return ret;
}

/* POST /2/tweets: a new tweet, or a reply to a->target. */
static int create_tweet(struct connect_session *s, const struct connect_action *a,
                        struct connect_done *out, struct connect_result *res)
{
    char media[32] = "";
    if (a->kind == ACT_PUBLISH && a->image && a->image_len && upload(s, a, media, res) < 0)
        return -1;
    struct buf text = {0};
    compose(a, &text);
    json_t *body = json_object();
    if (text.len || !*media)
        json_object_set_new(body, "text", json_stringn(text.data ? text.data : "", text.len));
    buf_free(&text);
    if (!json_object_get(body, "text") && !*media) {
        json_decref(body);
        return connect_fail(res, CO_REJECTED, "a tweet needs text (UTF-8) or an image");
    }
    if (a->kind == ACT_REPLY)
        json_object_set_new(body, "reply", json_pack("{s:s}", "in_reply_to_tweet_id", a->target));
    if (*media)
        json_object_set_new(body, "media", json_pack("{s:[s]}", "media_ids", media));
    struct connect_response r;
    struct error e = {0};
    int rc = connect_http_post_json(s->http, "/2/tweets", s->tokens->access_token, body, &r, &e);
    json_decref(body);
    if (x_check(res, "POST /2/tweets", &r, rc, &e, true) < 0) {
        connect_response_free(&r);
        return -1;
    }
    json_t *j = connect_body_json(&r);
    const char *id = json_string_value(json_object_get(json_object_get(j, "data"), "id"));
    int ret = 0;
    if (is_x_id(id)) {
        snprintf(out->id, sizeof out->id, "%s", id);
        permalink(s, id, out);
    } else {
        /* Posted, but which tweet it is cannot be told: look it up. */
        ret = connect_fail(res, CO_LOST, "POST /2/tweets: X's answer has no tweet id");
    }
    json_decref(j);
    connect_response_free(&r);
    return ret;
}

static int x_act(struct connect_session *s, const struct connect_action *a,
                 struct connect_done *out, struct connect_result *res)
{
    if (connect_act_begin(s, out, X_NO_TOKEN, res))
        return -1;
    if (a->kind != ACT_PUBLISH && !is_x_id(a->target))
        return connect_fail(res, CO_REJECTED, "X: '%.40s' is not a tweet id",
                            a->target ? a->target : "");
    char path[96], what[128];
    struct connect_response r;
    struct error e = {0};
    int rc;
    json_t *body = NULL;
    switch (a->kind) {
    case ACT_PUBLISH:
    case ACT_REPLY:
        return create_tweet(s, a, out, res);
    case ACT_DELETE_POST:
    case ACT_DELETE_MESSAGE:
        /* Only the account's own tweets (its posts and replies); X says
         * deleted: false for one that is gone already, which is done too. */
        snprintf(path, sizeof path, "/2/tweets/%s", a->target);
        snprintf(what, sizeof what, "DELETE %s", path);
        rc = connect_http_delete(s->http, path, s->tokens->access_token, &r, &e);
        break;
    case ACT_HIDE:
    case ACT_UNHIDE:
        snprintf(path, sizeof path, "/2/tweets/%s/hidden", a->target);
        snprintf(what, sizeof what, "PUT %s", path);
        body = json_pack("{s:b}", "hidden", a->kind == ACT_HIDE);
        rc = connect_http_send_json(s->http, "PUT", path, s->tokens->access_token, body, &r, &e);
        break;
    case ACT_LIKE:
        if (!is_x_id(s->account_id))
            return connect_fail(res, CO_REJECTED, "X: liking needs the channel's user id");
        snprintf(path, sizeof path, "/2/users/%s/likes", s->account_id);
        snprintf(what, sizeof what, "POST %s", path);
        body = json_pack("{s:s}", "tweet_id", a->target);
        rc = connect_http_post_json(s->http, path, s->tokens->access_token, body, &r, &e);
        break;
    default:
        return connect_fail(res, CO_REJECTED, "X cannot do action %d", (int)a->kind);
    }
    json_decref(body);
    /* Hiding, liking and deleting again do no harm: a lost answer is just
     * tried again (lookup says "not done"). */
    int ret = x_check(res, what, &r, rc, &e, false);
    connect_response_free(&r);
    return ret;
}

/* ---- lookup ------------------------------------------------------------------------- */

/* A tweet's text as it was sent: X gives links as t.co links (entities.urls
 * says what each was) and ends a tweet with an image with a link to it. */
static void text_as_sent(json_t *t, struct buf *out)
{
    const char *text = json_string_value(json_object_get(t, "text"));
    static const char *const urls_path[] = {"entities", "urls", NULL};
    json_t *urls = json_object_get(json_object_get(t, urls_path[0]), urls_path[1]);
    buf_puts(out, "");
    for (const char *p = text ? text : ""; *p;) {
        size_t i;
        json_t *u;
        bool done = false;
        json_array_foreach (urls, i, u) {
            const char *short_url = json_string_value(json_object_get(u, "url"));
            const char *full = json_string_value(json_object_get(u, "expanded_url"));
            size_t n = short_url ? strlen(short_url) : 0;
            if (!n || !full || strncmp(p, short_url, n) != 0)
                continue;
            if (json_object_get(u, "media_key") ||
                ((strstr(full, "://x.com/") || strstr(full, "://twitter.com/")) &&
                 (strstr(full, "/photo/") || strstr(full, "/video/")))) {
                while (out->len && out->data[out->len - 1] == ' ')
                    out->data[--out->len] = '\0';
            } else {
                buf_puts(out, full);
            }
            p += n;
            done = true;
            break;
        }
        if (!done)
            buf_putc(out, *p++);
    }
}

static const char *replied_to(json_t *t)
{
    size_t i;
    json_t *x;
    json_array_foreach (json_object_get(t, "referenced_tweets"), i, x) {
        if (str_eq(json_string_value(json_object_get(x, "type")), "replied_to"))
            return json_string_value(json_object_get(x, "id"));
    }
    return NULL;
}

static int x_lookup(struct connect_session *s, const struct connect_action *a,
                    struct connect_done *out, struct connect_result *res)
{
    *out = (struct connect_done){0};
    if (a->kind != ACT_PUBLISH && a->kind != ACT_REPLY)
        return 0; /* sending again does what was meant, once */
    if (!s->tokens || !s->tokens->access_token || !is_x_id(s->account_id))
        return connect_fail(res, CO_AUTH, "X: looking up needs the channel's token and user id");
    struct buf want = {0};
    compose(a, &want);
    char start[21];
    /* From a little before it was first sent: clocks differ. */
    time_format_iso(a->first_sent_at > 120 ? a->first_sent_at - 120 : 0, start);
    char next[256] = "";
    int found = 0;
    for (int page = 1; page <= 10 && !found; page++) {
        struct buf path = {0};
        buf_printf(&path,
                   "/2/users/%s/tweets?max_results=100&start_time=%s"
                   "&tweet.fields=created_at,entities,referenced_tweets,attachments",
                   s->account_id, start);
        if (*next)
            connect_put_param(&path, "pagination_token", next);
        struct connect_response r;
        struct error e = {0};
        int rc = connect_http_get(s->http, path.data, s->tokens->access_token, &r, &e);
        buf_free(&path);
        if (x_check(res, "GET /2/users/:id/tweets (lookup)", &r, rc, &e, false) < 0) {
            connect_response_free(&r);
            buf_free(&want);
            return -1;
        }
        json_t *j = connect_body_json(&r), *t;
        size_t i;
        json_array_foreach (json_object_get(j, "data"), i, t) {
            struct buf got = {0};
            text_as_sent(t, &got);
            const char *id = json_string_value(json_object_get(t, "id"));
            bool same = str_eq(got.data, want.data ? want.data : "") && is_x_id(id) &&
                        (a->kind != ACT_REPLY || str_eq(replied_to(t), a->target));
            buf_free(&got);
            if (same) {
                snprintf(out->id, sizeof out->id, "%s", id);
                permalink(s, id, out);
                found = 1;
                break;
            }
        }
        const char *tok =
            json_string_value(json_object_get(json_object_get(j, "meta"), "next_token"));
        snprintf(next, sizeof next, "%s", tok && strlen(tok) < sizeof next ? tok : "");
        json_decref(j);
        connect_response_free(&r);
        if (!*next)
            break;
    }
    buf_free(&want);
    return found;
}

const struct connector connector_x = {
    .platform = "x",
    .title = "X",
    /* tweet.moderate.write hides replies, media.write uploads images,
     * offline.access gives the refresh token. */
    .scopes = "tweet.read tweet.write users.read like.write offline.access "
              "tweet.moderate.write media.write",
    .api_url = "https://api.x.com",
    .auth_url = "https://x.com/i/oauth2/authorize",
    .pkce = true,
    .actions = 1u << ACT_PUBLISH | 1u << ACT_DELETE_POST | 1u << ACT_REPLY | 1u << ACT_HIDE |
               1u << ACT_UNHIDE | 1u << ACT_DELETE_MESSAGE | 1u << ACT_LIKE,
    .authorize_url = x_authorize_url,
    .exchange = x_exchange,
    .refresh = x_refresh,
    .sync = x_sync,
    .act = x_act,
    .lookup = x_lookup,
};
