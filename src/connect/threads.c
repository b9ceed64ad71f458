/* threads: the Threads connector over Meta's Threads API
 * (graph.threads.net): its OAuth (a code for a short-lived token, then
 * th_exchange_token for a long-lived one of 60 days, renewed with
 * th_refresh_token), a sync of the account's threads, each thread's
 * conversation (every reply, at every level) and insights, and the
 * account's follower count, each answer handed as it came to
 * ingest/threads.c; and the actions Threads allows: publish (a text with a
 * link, or an image from its address) in two steps (a container, then
 * threads_publish), reply, hide and unhide a reply, delete. Errors are
 * Meta's bodies, read as for Facebook (connect_meta_fail). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "connect/connect.h"

extern const struct connector connector_threads;

#define TH_API_URL  "https://graph.threads.net"
#define TH_AUTH_URL "https://threads.net/oauth/authorize"
#define TH_V        "/v1.0"
#define TH_SCOPES                                                                                  \
    "threads_basic,threads_content_publish,threads_manage_replies,threads_read_replies,"           \
    "threads_manage_insights,threads_delete"
#define TH_POST_FIELDS                                                                             \
    "id,media_product_type,media_type,permalink,owner,username,text,timestamp,shortcode,"          \
    "is_quote_post,link_attachment_url"
#define TH_REPLY_FIELDS                                                                            \
    "id,text,timestamp,username,permalink,is_reply,root_post,replied_to,hide_status,"              \
    "is_reply_owned_by_me"

enum {
    TH_LIMIT = 25,
    TH_MAX_PAGES = 40,
    TH_REPLY_PAGES = 20,
    TH_WINDOW = 7 * 86400, /* threads this much older than the newest get fresh figures */
    TH_LOOKUP_SLACK = 120,
};

static const char *jstring(json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

/* One call ("GET", "POST" with a form, "DELETE"), with `bearer` or the
 * session's token; *out the answer's JSON object on success (may be NULL:
 * not wanted). The answer's bytes stay in resp (caller frees). */
static int th_call(struct connect_session *s, const char *method, const char *path,
                   const char *const *form, const char *bearer, const char *what, bool action,
                   struct connect_response *resp, json_t **out, struct connect_result *res)
{
    struct error err = {0};
    /* bearer "" sends none: the token calls carry their secrets in the form
     * or the query. */
    const char *tok = bearer      ? (*bearer ? bearer : NULL)
                      : s->tokens ? s->tokens->access_token
                                  : NULL;
    int rc = connect_http_call(s->http, method, path, tok, form, resp, &err);
    if (connect_check(connect_meta_fail, res, what, resp, rc, &err, action))
        return -1;
    json_t *j = connect_body_json(resp);
    if (!json_is_object(j)) {
        json_decref(j);
        return connect_fail(res, action ? CO_LOST : CO_TEMPORARY,
                            "%s: Threads' answer is not a JSON object", what);
    }
    if (out)
        *out = j;
    else
        json_decref(j);
    return 0;
}

/* ---- connecting ------------------------------------------------------------------------------ */

static int th_authorize_url(const struct connect_session *s, const char *state,
                            const char *code_challenge, struct buf *url, struct error *err)
{
    /* Threads' OAuth takes the app secret, not PKCE. */
    static const struct consent_form form = {
        .no_client = "Threads needs the app's id: set KANAL_THREADS_CLIENT_ID (the Threads "
                     "app id) and KANAL_THREADS_CLIENT_SECRET",
        .incomplete = "the redirect URI is not set (PUBLIC_URL)",
        .scopes = TH_SCOPES,
        .auth_url = TH_AUTH_URL};
    return connect_consent_url(&form, s, state, code_challenge, url, err);
}

/* A token answer ({access_token, expires_in}) into out. */
static int token_from(struct connect_session *s, json_t *j, const char *what,
                      struct channel_tokens *out, struct connect_result *res)
{
    const char *t = jstring(j, "access_token");
    if (!t || !*t)
        return connect_fail(res, CO_REJECTED, "%s: Threads' answer has no access_token", what);
    json_t *e = json_object_get(j, "expires_in");
    out->access_token = xstrdup(t);
    out->refresh_token = NULL; /* the long-lived token refreshes itself */
    out->expires_at =
        json_is_integer(e) && json_integer_value(e) > 0 ? s->now + json_integer_value(e) : 0;
    out->scopes = xstrdup(TH_SCOPES);
    return 0;
}

static int th_exchange(struct connect_session *s, const char *code, const char *verifier,
                       struct channel_tokens *tokens, struct connect_account *accounts, int max,
                       int *n, struct connect_result *res)
{
    (void)verifier;
    const struct connect_platform_config *c = s->cfg;
    *n = 0;
    if (max < 1 || !c->client_id || !c->client_secret || !c->redirect_uri || !code)
        return connect_fail(res, CO_REJECTED,
                            "Threads' app id, app secret or the redirect URI is not set");
    struct connect_response r = {0};
    json_t *j = NULL;
    struct buf path = {0};
    char *short_token = NULL;
    struct channel_tokens t = {0};
    int rc = -1;
    /* The code for a short-lived token (an hour)... */
    const char *form[] = {"client_id",
                          c->client_id,
                          "client_secret",
                          c->client_secret,
                          "grant_type",
                          "authorization_code",
                          "redirect_uri",
                          c->redirect_uri,
                          "code",
                          code,
                          NULL};
    const char *what = "POST /oauth/access_token";
    if (th_call(s, "POST", "/oauth/access_token", form, "", what, false, &r, &j, res))
        goto done;
    if (!jstring(j, "access_token")) {
        connect_fail(res, CO_REJECTED, "%s: Threads' answer has no access_token", what);
        goto done;
    }
    short_token = xstrdup(jstring(j, "access_token"));
    json_decref(j), j = NULL;
    connect_response_wipe(&r);
    /* ...that for a long-lived one (60 days). */
    buf_puts(&path, "/access_token?grant_type=th_exchange_token");
    connect_put_param(&path, "client_secret", c->client_secret);
    connect_put_param(&path, "access_token", short_token);
    what = "GET /access_token (th_exchange_token)";
    if (th_call(s, "GET", path.data, NULL, "", what, false, &r, &j, res) ||
        token_from(s, j, what, &t, res))
        goto done;
    json_decref(j), j = NULL;
    connect_response_wipe(&r);
    what = "GET " TH_V "/me";
    if (th_call(s, "GET", TH_V "/me?fields=id,username,name", NULL, t.access_token, what, false, &r,
                &j, res))
        goto done;
    const char *id = jstring(j, "id"), *user = jstring(j, "username"), *name = jstring(j, "name");
    if (!id || !user) {
        connect_fail(res, CO_REJECTED, "%s: Threads' answer has no id and username", what);
        goto done;
    }
    connect_account_of_user(&accounts[0], id, user, name);
    tokens[0] = t;
    t = (struct channel_tokens){0};
    *n = 1;
    rc = 0;
done:
    json_decref(j);
    connect_response_wipe(&r);
    connect_buf_wipe(&path);
    vault_free(short_token);
    channel_tokens_clear(&t);
    return rc;
}

static int th_refresh(struct connect_session *s, struct channel_tokens *out,
                      struct connect_result *res)
{
    if (connect_need_token(s, "the channel is not connected", res))
        return -1;
    struct buf path = {0};
    buf_puts(&path, "/refresh_access_token?grant_type=th_refresh_token");
    connect_put_param(&path, "access_token", s->tokens->access_token);
    struct connect_response r = {0};
    json_t *j = NULL;
    const char *what = "GET /refresh_access_token";
    int rc = th_call(s, "GET", path.data, NULL, "", what, false, &r, &j, res);
    if (rc == 0)
        rc = token_from(s, j, what, out, res);
    json_decref(j);
    connect_response_wipe(&r);
    connect_buf_wipe(&path);
    return rc;
}

/* ---- sync ---------------------------------------------------------------------------------- */

/* A list read through paging.next, each page to the sink; the items' ids
 * into ids (may be NULL), the newest timestamp into *newest. */
static int walk(struct connect_session *s, struct sync_sink *sink, const char *first,
                const char *name, int max_pages, struct connect_ids *ids, int64_t *newest,
                struct connect_result *res)
{
    char *next = NULL;
    int rc = 0;
    for (int page = 1; page <= max_pages; page++) {
        char what[200];
        snprintf(what, sizeof what, "%s, page %d", name, page);
        struct connect_response r = {0};
        json_t *j = NULL;
        rc = th_call(s, "GET", next ? next : first, NULL, NULL, what, false, &r, &j, res);
        free(next), next = NULL;
        if (rc == 0)
            rc = connect_sink_page(sink, INGEST_THREADS, what, &r, NULL, res);
        connect_response_free(&r);
        if (rc) {
            json_decref(j);
            break;
        }
        json_t *x, *data = json_object_get(j, "data");
        size_t i;
        json_array_foreach (data, i, x) {
            int64_t t;
            if (newest && jstring(x, "timestamp") &&
                time_parse_iso(jstring(x, "timestamp"), &t) == 0 && t > *newest)
                *newest = t;
            const char *mt = jstring(x, "media_type");
            if (ids && jstring(x, "id") && !(mt && str_eq(mt, "REPOST_FACADE")))
                connect_ids_add(ids, jstring(x, "id"));
        }
        const char *nx = jstring(json_object_get(j, "paging"), "next");
        if (nx && *nx && json_array_size(data))
            next = xstrdup(nx);
        json_decref(j);
        if (!next)
            break;
    }
    free(next);
    return rc;
}

static int fetch_one(struct connect_session *s, struct sync_sink *sink, const char *path,
                     const char *what, struct connect_result *res)
{
    struct connect_response r = {0};
    int rc = th_call(s, "GET", path, NULL, NULL, what, false, &r, NULL, res);
    if (rc == 0)
        rc = connect_sink_page(sink, INGEST_THREADS, what, &r, NULL, res);
    connect_response_free(&r);
    return rc;
}

static int th_sync(struct connect_session *s, struct sync_sink *sink, struct connect_result *res)
{
    if (!s->tokens || !s->account_id || !*s->account_id)
        return connect_fail(res, CO_AUTH, "the channel is not connected");
    struct buf path = {0}, what = {0};
    struct connect_ids posts = {0};
    struct error e = {0};
    int64_t newest_before = connect_kept_time(sink, "threads"), newest = newest_before;
    int rc;
    buf_printf(&path, TH_V "/%s/threads?fields=" TH_POST_FIELDS "&limit=%d", s->account_id,
               TH_LIMIT);
    if (newest_before > TH_WINDOW)
        buf_printf(&path, "&since=%lld", (long long)(newest_before - TH_WINDOW));
    buf_printf(&what, "GET " TH_V "/%s/threads", s->account_id);
    if ((rc = walk(s, sink, path.data, what.data, TH_MAX_PAGES, &posts, &newest, res)))
        goto done;
    for (size_t i = 0; i < posts.n; i++) {
        buf_reset(&path), buf_reset(&what);
        buf_printf(&path, TH_V "/%s/insights?metric=views,likes,replies,reposts,quotes",
                   posts.v[i]);
        buf_printf(&what, "GET " TH_V "/%s/insights", posts.v[i]);
        struct connect_result one = {0};
        /* A thread Meta keeps no insights for is skipped, not the sync. */
        if (fetch_one(s, sink, path.data, what.data, &one)) {
            if (one.outcome != CO_REJECTED || one.status == 0) {
                *res = one;
                rc = -1;
                goto done;
            }
        }
        buf_reset(&path), buf_reset(&what);
        buf_printf(&path, TH_V "/%s/conversation?fields=" TH_REPLY_FIELDS "&reverse=false",
                   posts.v[i]);
        buf_printf(&what, "GET " TH_V "/%s/conversation", posts.v[i]);
        if ((rc = walk(s, sink, path.data, what.data, TH_REPLY_PAGES, NULL, NULL, res)))
            goto done;
    }
    buf_reset(&path), buf_reset(&what);
    buf_printf(&path, TH_V "/%s/threads_insights?metric=followers_count", s->account_id);
    buf_printf(&what, "GET " TH_V "/%s/threads_insights", s->account_id);
    if ((rc = fetch_one(s, sink, path.data, what.data, res)))
        goto done;
    if (newest > newest_before && connect_keep_time(sink, "threads", newest, &e) < 0)
        rc = connect_fail(res, CO_TEMPORARY, "keeping Threads' cursor: %s", e.msg);
done:
    connect_ids_free(&posts);
    buf_free(&path);
    buf_free(&what);
    return rc;
}

/* ---- acting ---------------------------------------------------------------------------------- */

/* A container, then threads_publish: the new thread's id into out. A
 * container whose answer was lost is never published, so that step is
 * safe to send again (CO_TEMPORARY, not CO_LOST). */
static int publish(struct connect_session *s, const char *const *form, struct connect_done *out,
                   struct connect_result *res)
{
    char path[200], what[220];
    snprintf(path, sizeof path, TH_V "/%s/threads", s->account_id);
    snprintf(what, sizeof what, "POST %s", path);
    struct connect_response r = {0};
    json_t *j = NULL;
    int rc = th_call(s, "POST", path, form, NULL, what, true, &r, &j, res);
    connect_response_free(&r);
    if (rc) {
        if (res->outcome == CO_LOST)
            res->outcome = CO_TEMPORARY;
        return -1;
    }
    char container[128];
    snprintf(container, sizeof container, "%s", jstring(j, "id") ? jstring(j, "id") : "");
    json_decref(j), j = NULL;
    if (!*container)
        return connect_fail(res, CO_TEMPORARY, "%s: Threads gave no container id", what);
    const char *pub[] = {"creation_id", container, NULL};
    snprintf(path, sizeof path, TH_V "/%s/threads_publish", s->account_id);
    snprintf(what, sizeof what, "POST %s", path);
    rc = th_call(s, "POST", path, pub, NULL, what, true, &r, &j, res);
    connect_response_free(&r);
    if (rc)
        return -1;
    snprintf(out->id, sizeof out->id, "%s", jstring(j, "id") ? jstring(j, "id") : "");
    json_decref(j);
    /* The permalink takes one more call; the next sync brings it. */
    return 0;
}

static int th_act(struct connect_session *s, const struct connect_action *a,
                  struct connect_done *out, struct connect_result *res)
{
    const char *t = connect_act_target(s, a, "the thread's or reply's", out, res);
    if (!t)
        return -1;
    const char *name = connect_action_name(a->kind, "?");
    char path[200], what[220];
    struct connect_response r = {0};
    int rc;
    switch (a->kind) {
    case ACT_PUBLISH: {
        if (a->image)
            return connect_fail(res, CO_REJECTED,
                                "Threads fetches an image from its public address (the action's "
                                "link); it takes no uploaded bytes");
        static const char *const image_ext[] = {".jpg", ".jpeg", ".png", ".webp", NULL};
        bool image = a->link && connect_link_has_ext(a->link, image_ext);
        if (!image && (!a->text || !*a->text))
            return connect_fail(res, CO_REJECTED, "a thread needs text or an image's address");
        const char *form[] = {"media_type",
                              image ? "IMAGE" : "TEXT",
                              "text",
                              a->text ? a->text : "",
                              a->link ? (image ? "image_url" : "link_attachment") : NULL,
                              a->link,
                              NULL};
        return publish(s, form, out, res);
    }
    case ACT_REPLY: {
        if (!a->text || !*a->text)
            return connect_fail(res, CO_REJECTED, "a reply needs text");
        const char *form[] = {"media_type", "TEXT", "text", a->text, "reply_to_id", t, NULL};
        return publish(s, form, out, res);
    }
    case ACT_HIDE:
    case ACT_UNHIDE: {
        const char *form[] = {"hide", a->kind == ACT_HIDE ? "true" : "false", NULL};
        snprintf(path, sizeof path, TH_V "/%s/manage_reply", t);
        snprintf(what, sizeof what, "POST %s", path);
        rc = th_call(s, "POST", path, form, NULL, what, true, &r, NULL, res);
        connect_response_free(&r);
        return rc;
    }
    case ACT_DELETE_POST:
    case ACT_DELETE_MESSAGE:
        snprintf(path, sizeof path, TH_V "/%s", t);
        snprintf(what, sizeof what, "DELETE %s", path);
        rc = th_call(s, "DELETE", path, NULL, NULL, what, true, &r, NULL, res);
        connect_response_free(&r);
        return rc;
    default:
        return connect_fail(res, CO_REJECTED, "Threads' API cannot %s", name);
    }
}

/* A thread or reply by the account with the action's text, made since it
 * was first sent, in the list at `first`: 1 found, 0 not, -1. */
static int find_text(struct connect_session *s, const char *first, const char *what,
                     const struct connect_action *a, bool own_only, struct connect_done *out,
                     struct connect_result *res)
{
    int64_t since = a->first_sent_at > TH_LOOKUP_SLACK ? a->first_sent_at - TH_LOOKUP_SLACK : 0;
    const char *me =
        s->account_handle && *s->account_handle == '@' ? s->account_handle + 1 : s->account_handle;
    struct connect_response r = {0};
    json_t *j = NULL, *x;
    if (th_call(s, "GET", first, NULL, NULL, what, false, &r, &j, res)) {
        connect_response_free(&r);
        return -1;
    }
    connect_response_free(&r);
    size_t i;
    int found = 0;
    json_array_foreach (json_object_get(j, "data"), i, x) {
        int64_t at = 0;
        const char *ts = jstring(x, "timestamp"), *text = jstring(x, "text");
        if (ts)
            time_parse_iso(ts, &at);
        if (!text || !str_eq(text, a->text ? a->text : "") || (at && at < since))
            continue;
        if (own_only && !json_is_true(json_object_get(x, "is_reply_owned_by_me")) &&
            !(me && jstring(x, "username") && str_eq(jstring(x, "username"), me)))
            continue;
        snprintf(out->id, sizeof out->id, "%s", jstring(x, "id") ? jstring(x, "id") : "");
        snprintf(out->permalink, sizeof out->permalink, "%s",
                 jstring(x, "permalink") ? jstring(x, "permalink") : "");
        found = 1;
        break;
    }
    json_decref(j);
    return found;
}

static int th_lookup(struct connect_session *s, const struct connect_action *a,
                     struct connect_done *out, struct connect_result *res)
{
    memset(out, 0, sizeof *out);
    char path[400], what[200];
    switch (a->kind) {
    case ACT_PUBLISH:
        snprintf(path, sizeof path, TH_V "/%s/threads?fields=id,text,timestamp,permalink&limit=%d",
                 s->account_id, TH_LIMIT);
        snprintf(what, sizeof what, "GET " TH_V "/%s/threads", s->account_id);
        return find_text(s, path, what, a, false, out, res);
    case ACT_REPLY:
        snprintf(path, sizeof path, TH_V "/%s/replies?fields=" TH_REPLY_FIELDS, a->target);
        snprintf(what, sizeof what, "GET " TH_V "/%s/replies", a->target);
        return find_text(s, path, what, a, true, out, res);
    case ACT_HIDE:
    case ACT_UNHIDE:
    case ACT_DELETE_POST:
    case ACT_DELETE_MESSAGE: {
        bool hide = a->kind == ACT_HIDE || a->kind == ACT_UNHIDE;
        snprintf(path, sizeof path, TH_V "/%s?fields=id%s", a->target, hide ? ",hide_status" : "");
        snprintf(what, sizeof what, "GET " TH_V "/%s", a->target);
        struct connect_response r = {0};
        json_t *j = NULL;
        int rc = th_call(s, "GET", path, NULL, NULL, what, false, &r, &j, res);
        connect_response_free(&r);
        if (rc) {
            /* A deleted object does not exist: the delete was done. */
            return !hide && connect_meta_gone(res) ? 1 : -1;
        }
        const char *hs = jstring(j, "hide_status");
        int done = hide && hs && (str_eq(hs, "HIDDEN") == (a->kind == ACT_HIDE));
        json_decref(j);
        return done;
    }
    default:
        return 0;
    }
}

const struct connector connector_threads = {
    .platform = "threads",
    .title = "Threads",
    .scopes = TH_SCOPES,
    .api_url = TH_API_URL,
    .auth_url = TH_AUTH_URL,
    .actions = 1u << ACT_PUBLISH | 1u << ACT_REPLY | 1u << ACT_HIDE | 1u << ACT_UNHIDE |
               1u << ACT_DELETE_POST | 1u << ACT_DELETE_MESSAGE,
    .authorize_url = th_authorize_url,
    .exchange = th_exchange,
    .refresh = th_refresh,
    .sync = th_sync,
    .act = th_act,
    .lookup = th_lookup,
};
