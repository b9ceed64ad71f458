/* bluesky: the connector for Bluesky, over the AT Protocol's XRPC API
 * (docs.bsky.app) at the account's PDS (cfg->api_url, https://bsky.social
 * by default, which hands the app.bsky.* reads to the AppView).
 *
 * Connecting is not an OAuth redirect: a person makes an app password in
 * Bluesky's settings and gives kanal "HANDLE:APP-PASSWORD" as exchange's
 * code; com.atproto.server.createSession turns it into a session (accessJwt
 * as the access token, refreshJwt as the refresh token, the expiry from the
 * access JWT's exp). The app password itself is never stored. A refresh
 * (com.atproto.server.refreshSession) spends the refresh token and gives
 * new ones; a call the PDS answers ExpiredToken is refreshed and tried once
 * more when the caller stores renewed tokens (connect_session.tokens_renewed).
 *
 * Sync: the author feed back to the newest post the last sync saw, the
 * notifications (mentions, replies, quotes) back to the newest seen, and
 * the profile's followers, each answer handed to the sink as format
 * bluesky, as a file of it would be read. Act: publish (text with link
 * facets on UTF-8 byte offsets; an image through uploadBlob, or the link as
 * a card), delete a post or an own reply (deleteRecord by its rkey), reply
 * (root and parent refs from getPostThread), like. */
#include <assert.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "connect/connect.h"

#define FEED_PAGES   50 /* at most 5,000 posts back on a first sync */
#define LOOKUP_PAGES 10
#define SKEW         300 /* seconds a lost action's createdAt may be before first_sent_at */

/* One connector call's state: the tokens it uses (renewed ones once it
 * refreshed) and the account. */
struct bsky {
    struct connect_session *s;
    const char *access, *refresh;
    struct channel_tokens fresh;
    bool refreshed;
    char did[128];
};

/* ---- small readers ------------------------------------------------------------------ */

/* A JWT's payload claims (not verified: kanal only reads its own token's
 * expiry and subject); NULL when it is no JWT. */
static json_t *jwt_claims(const char *jwt)
{
    const char *a = jwt ? strchr(jwt, '.') : NULL;
    const char *z = a ? strchr(a + 1, '.') : NULL;
    if (!z || z - a - 1 > 4096)
        return NULL;
    unsigned char bin[3100];
    size_t n = 0;
    if (sodium_base642bin(bin, sizeof bin, a + 1, (size_t)(z - a - 1), NULL, &n, NULL,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
        return NULL;
    return json_loadb((const char *)bin, n, 0, NULL);
}

static const char *jget(json_t *o, const char *const *path)
{
    for (; *path && o; path++)
        o = json_object_get(o, *path);
    return json_string_value(o);
}

/* ---- errors ---------------------------------------------------------------------------- */

/* An XRPC answer that is not a success: the shared mapping, then what the
 * body's {"error", "message"} says better. */
static int xrpc_fail(struct connect_result *res, const char *what, const struct connect_response *r,
                     int rc, const struct error *e, bool action)
{
    connect_fail_http(res, what, r, rc, e, action);
    if (rc != 0)
        return -1;
    json_t *j = connect_body_json(r);
    const char *name = json_string_value(json_object_get(j, "error"));
    const char *msg = json_string_value(json_object_get(j, "message"));
    if (name) {
        snprintf(res->code, sizeof res->code, "%s", name);
        if (str_eq(name, "InvalidToken") || str_eq(name, "ExpiredToken") ||
            str_eq(name, "AuthenticationRequired") || str_eq(name, "AccountTakedown") ||
            str_eq(name, "AccountDeactivated"))
            res->outcome = CO_AUTH;
        else if (str_eq(name, "RateLimitExceeded"))
            res->outcome = CO_RATE;
        if (res->outcome == CO_RATE && !res->retry_at)
            res->retry_at = rate_limit_resume_at(&r->rl);
        snprintf(res->message, sizeof res->message, "%s: Bluesky: %s (%s, HTTP %ld)", what,
                 msg ? msg : "no message", name, r->status);
    }
    json_decref(j);
    return -1;
}

/* ---- sessions ---------------------------------------------------------------------------- */

/* A session answer (createSession, refreshSession) into t and, when acct
 * is not NULL, the account. */
static int read_session(const struct connect_response *r, struct channel_tokens *t,
                        struct connect_account *acct, struct connect_result *res)
{
    json_t *j = connect_body_json(r);
    const char *access = json_string_value(json_object_get(j, "accessJwt"));
    const char *refresh = json_string_value(json_object_get(j, "refreshJwt"));
    const char *did = json_string_value(json_object_get(j, "did"));
    const char *handle = json_string_value(json_object_get(j, "handle"));
    if (!access || !refresh || !did) {
        json_decref(j);
        return connect_fail(res, CO_TEMPORARY,
                            "Bluesky: the session answer lacks accessJwt, refreshJwt or did");
    }
    *t = (struct channel_tokens){0};
    t->access_token = strdup(access);
    t->refresh_token = strdup(refresh);
    json_t *claims = jwt_claims(access);
    json_t *exp = json_object_get(claims, "exp");
    t->expires_at = json_is_integer(exp) ? json_integer_value(exp) : 0;
    const char *scope = json_string_value(json_object_get(claims, "scope"));
    t->scopes = scope ? strdup(scope) : NULL;
    json_decref(claims);
    if (acct) {
        *acct = (struct connect_account){0};
        snprintf(acct->id, sizeof acct->id, "%s", did);
        snprintf(acct->handle, sizeof acct->handle, "%s", handle ? handle : did);
        snprintf(acct->name, sizeof acct->name, "%s", handle ? handle : did);
    }
    json_decref(j);
    return 0;
}

static int refresh_with(struct connect_session *s, const char *refresh_token,
                        struct channel_tokens *out, struct connect_result *res)
{
    const char *what = "POST com.atproto.server.refreshSession";
    if (!refresh_token)
        return connect_fail(res, CO_AUTH, "%s: the channel has no refresh token; reconnect it",
                            what);
    struct connect_request rq = {.method = "POST",
                                 .path = "/xrpc/com.atproto.server.refreshSession",
                                 .bearer = refresh_token};
    struct connect_response r;
    struct error err = {0};
    int rc = connect_http_send(s->http, &rq, &r, &err);
    if (rc != 0 || r.status != 200) {
        xrpc_fail(res, what, &r, rc, &err, false);
        /* A refresh token that expired or was spent is no session at all. */
        if (str_eq(res->code, "ExpiredToken"))
            res->outcome = CO_AUTH;
        connect_response_free(&r);
        return -1;
    }
    rc = read_session(&r, out, NULL, res);
    connect_response_free(&r);
    return rc;
}

/* After ExpiredToken: new tokens, handed to the caller to store, used for
 * the rest of this call. 0 when the call may be tried again. */
static int renew(struct bsky *b, struct connect_result *res)
{
    struct connect_session *s = b->s;
    if (!s->tokens_renewed) {
        res->outcome = CO_TEMPORARY;
        res->retry_at = s->now;
        return -1;
    }
    struct connect_result rr = {0};
    struct channel_tokens t;
    if (refresh_with(s, b->refresh, &t, &rr) != 0) {
        *res = rr;
        return -1;
    }
    struct error err = {0};
    if (s->tokens_renewed(s, &t, &err) != 0) {
        channel_tokens_clear(&t);
        return connect_fail(res, CO_TEMPORARY, "Bluesky: the renewed session was not stored: %s",
                            err.msg);
    }
    channel_tokens_clear(&b->fresh);
    b->fresh = t;
    b->access = t.access_token;
    b->refresh = t.refresh_token;
    b->refreshed = true;
    return 0;
}

/* ---- XRPC calls ---------------------------------------------------------------------------- */

struct call {
    const char *method; /* "GET", "POST" */
    const char *nsid;
    const char *query; /* GET's parameters, escaped; NULL none */
    json_t *body;      /* POST's JSON; NULL none */
    const char *raw;   /* POST's bytes (uploadBlob), with raw_type */
    size_t raw_len;
    const char *raw_type;
    bool action; /* a write: a lost answer is CO_LOST */
};

/* One call with the session's token; an ExpiredToken answer renews the
 * session and tries once more. 0 with the 2xx answer in *out (the caller
 * frees it), -1 and res. */
static int xrpc(struct bsky *b, const struct call *c, struct connect_response *out,
                struct connect_result *res)
{
    struct buf path = {0}, what = {0};
    buf_printf(&path, "/xrpc/%s%s%s", c->nsid, c->query ? "?" : "", c->query ? c->query : "");
    buf_printf(&what, "%s %s", c->method, c->nsid);
    char *json = c->body ? json_dumps(c->body, JSON_COMPACT) : NULL;
    int ret = -1;
    for (int attempt = 0; attempt < 2; attempt++) {
        struct connect_request rq = {.method = c->method, .path = path.data, .bearer = b->access};
        if (json) {
            rq.content_type = "application/json";
            rq.body = json;
            rq.body_len = strlen(json);
        } else if (c->raw) {
            rq.content_type = c->raw_type;
            rq.body = c->raw;
            rq.body_len = c->raw_len;
        }
        struct error err = {0};
        int rc = connect_http_send(b->s->http, &rq, out, &err);
        if (rc == 0 && out->status >= 200 && out->status < 300) {
            ret = 0;
            break;
        }
        xrpc_fail(res, what.data, out, rc, &err, c->action);
        connect_response_free(out);
        if (attempt == 0 && str_eq(res->code, "ExpiredToken") && !b->refreshed) {
            char said[sizeof res->message];
            snprintf(said, sizeof said, "%s", res->message);
            if (renew(b, res) == 0) {
                memset(res, 0, sizeof *res);
                continue;
            }
            if (res->outcome == CO_TEMPORARY && !res->message[0])
                snprintf(res->message, sizeof res->message, "%s", said);
        }
        break;
    }
    free(json);
    buf_free(&path);
    buf_free(&what);
    return ret;
}

static int bsky_start(struct bsky *b, struct connect_session *s, struct connect_result *res)
{
    *b = (struct bsky){.s = s};
    if (connect_need_token(s, "Bluesky: the channel is not connected", res))
        return -1;
    b->access = s->tokens->access_token;
    b->refresh = s->tokens->refresh_token;
    const char *did = s->account_id;
    json_t *claims = NULL;
    if (!did || !*did) { /* the session's own subject */
        claims = jwt_claims(b->access);
        did = json_string_value(json_object_get(claims, "sub"));
    }
    if (!did || !str_starts_with(did, "did:")) {
        json_decref(claims);
        return connect_fail(res, CO_REJECTED, "Bluesky: the channel has no DID (%s)",
                            did ? did : "none");
    }
    snprintf(b->did, sizeof b->did, "%s", did);
    json_decref(claims);
    return 0;
}

/* An action's or a lookup's start: nothing done yet, and the session. */
static int act_begin(struct bsky *b, struct connect_session *s, struct connect_done *out,
                     struct connect_result *res)
{
    *out = (struct connect_done){0};
    return bsky_start(b, s, res);
}

static void bsky_end(struct bsky *b)
{
    channel_tokens_clear(&b->fresh);
}

/* ---- connecting ---------------------------------------------------------------------------- */

static int bsky_exchange(struct connect_session *s, const char *code, const char *verifier,
                         struct channel_tokens *tokens, struct connect_account *accounts, int max,
                         int *n, struct connect_result *res)
{
    (void)verifier;
    *n = 0;
    const char *colon = code ? strrchr(code, ':') : NULL;
    if (!colon || colon == code || !colon[1] || max < 1)
        return connect_fail(res, CO_REJECTED,
                            "Bluesky: give the handle and an app password as HANDLE:APP-PASSWORD "
                            "(Settings > Privacy and security > App passwords)");
    char *ident = strndup(code, (size_t)(colon - code));
    json_t *body = json_pack("{s:s, s:s}", "identifier", ident, "password", colon + 1);
    free(ident);
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    struct connect_request rq = {.method = "POST",
                                 .path = "/xrpc/com.atproto.server.createSession",
                                 .content_type = "application/json",
                                 .body = text,
                                 .body_len = strlen(text)};
    struct connect_response r;
    struct error err = {0};
    int rc = connect_http_send(s->http, &rq, &r, &err);
    vault_free(text); /* it held the app password */
    if (rc != 0 || r.status != 200) {
        xrpc_fail(res, "POST com.atproto.server.createSession", &r, rc, &err, false);
        connect_response_free(&r);
        return -1;
    }
    rc = read_session(&r, &tokens[0], &accounts[0], res);
    connect_response_free(&r);
    if (rc != 0)
        return -1;
    *n = 1;
    /* The name people know it by is the profile's; the handle will do
     * when the profile cannot be read now. */
    struct bsky b = {.s = s, .access = tokens[0].access_token};
    struct buf q = {0};
    buf_puts(&q, "actor=");
    connect_put_enc(&q, accounts[0].id);
    struct connect_response pr;
    struct connect_result ignored = {0};
    struct call c = {.method = "GET", .nsid = "app.bsky.actor.getProfile", .query = q.data};
    if (xrpc(&b, &c, &pr, &ignored) == 0) {
        json_t *p = connect_body_json(&pr);
        const char *name = json_string_value(json_object_get(p, "displayName"));
        if (name && *name)
            snprintf(accounts[0].name, sizeof accounts[0].name, "%s", name);
        json_decref(p);
        connect_response_free(&pr);
    }
    buf_free(&q);
    return 0;
}

static int bsky_refresh(struct connect_session *s, struct channel_tokens *out,
                        struct connect_result *res)
{
    return refresh_with(s, s->tokens ? s->tokens->refresh_token : NULL, out, res);
}

/* ---- sync ---------------------------------------------------------------------------------- */

/* When an item was indexed: a feed item's post (a repost's own time), or a
 * notification. */
static int64_t item_time(json_t *x)
{
    static const char *const repost[] = {"reason", "indexedAt", NULL};
    static const char *const post[] = {"post", "indexedAt", NULL};
    static const char *const self[] = {"indexedAt", NULL};
    const char *s = jget(x, repost);
    if (!s)
        s = jget(x, post);
    if (!s)
        s = jget(x, self);
    int64_t t = 0;
    return s && time_parse_iso(s, &t) == 0 ? t : 0;
}

/* Pages a list (the author feed or the notifications) from the newest back
 * to what the cursor `resource` says the last sync saw, each page into the
 * sink; then keeps the newest time seen. */
static int sync_list(struct bsky *b, struct sync_sink *sink, const char *nsid, const char *params,
                     const char *list_key, const char *resource, struct connect_result *res)
{
    const char *kept = sink->cursor_get(sink, resource);
    int64_t since = 0, newest = 0;
    if (kept && time_parse_iso(kept, &since) != 0)
        since = 0; /* unreadable: read back as far as a first sync */
    newest = since;
    char *cursor = NULL;
    int rc = 0;
    for (int page = 1; page <= FEED_PAGES; page++) {
        struct buf q = {0};
        buf_printf(&q, "%slimit=100", params);
        if (cursor) {
            buf_puts(&q, "&cursor=");
            connect_put_enc(&q, cursor);
        }
        struct call c = {.method = "GET", .nsid = nsid, .query = q.data};
        struct connect_response r;
        rc = xrpc(b, &c, &r, res);
        buf_free(&q);
        if (rc != 0)
            break;
        char what[160];
        snprintf(what, sizeof what, "GET %s, page %d", nsid, page);
        struct error err = {0};
        if (sink->page(sink, INGEST_BLUESKY, what, r.body.data, r.body.len, NULL, &err) != 0) {
            connect_response_free(&r);
            rc = connect_fail(res, CO_REJECTED, "%s", err.msg);
            break;
        }
        json_t *j = connect_body_json(&r);
        connect_response_free(&r);
        json_t *items = json_object_get(j, list_key), *x;
        size_t i;
        int64_t oldest = INT64_MAX;
        json_array_foreach (items, i, x) {
            int64_t t = item_time(x);
            if (t > newest)
                newest = t;
            if (t && t < oldest)
                oldest = t;
        }
        free(cursor);
        const char *next = json_string_value(json_object_get(j, "cursor"));
        cursor = next && json_array_size(items) ? strdup(next) : NULL;
        json_decref(j);
        if (!cursor || oldest <= since)
            break;
    }
    free(cursor);
    if (rc == 0 && newest > since) {
        char iso[21];
        time_format_iso(newest, iso);
        struct error err = {0};
        if (sink->cursor_set(sink, resource, iso, &err) != 0)
            rc = connect_fail(res, CO_TEMPORARY, "%s", err.msg);
    }
    return rc;
}

static int bsky_sync(struct connect_session *s, struct sync_sink *sink, struct connect_result *res)
{
    struct bsky b;
    if (bsky_start(&b, s, res) != 0)
        return -1;
    struct buf actor = {0};
    buf_puts(&actor, "actor=");
    connect_put_enc(&actor, b.did);
    struct buf feed = {0};
    buf_printf(&feed, "%s&", actor.data);
    int rc = sync_list(&b, sink, "app.bsky.feed.getAuthorFeed", feed.data, "feed", "feed", res);
    if (rc == 0)
        rc = sync_list(&b, sink, "app.bsky.notification.listNotifications", "", "notifications",
                       "notifications", res);
    if (rc == 0) {
        struct call c = {.method = "GET", .nsid = "app.bsky.actor.getProfile", .query = actor.data};
        struct connect_response r;
        if ((rc = xrpc(&b, &c, &r, res)) == 0) {
            struct error err = {0};
            if (sink->page(sink, INGEST_BLUESKY, "GET app.bsky.actor.getProfile", r.body.data,
                           r.body.len, NULL, &err) != 0)
                rc = connect_fail(res, CO_REJECTED, "%s", err.msg);
            connect_response_free(&r);
        }
    }
    buf_free(&actor);
    buf_free(&feed);
    bsky_end(&b);
    return rc;
}

/* ---- acting -------------------------------------------------------------------------------- */

/* The text a publish sends: the link appended when the text lacks it. */
static char *compose_text(const struct connect_action *a)
{
    const char *text = a->text ? a->text : "";
    struct buf b = {0};
    buf_puts(&b, text);
    if (a->kind == ACT_PUBLISH && a->link && *a->link && !strstr(text, a->link))
        buf_printf(&b, "%s%s", *text ? "\n\n" : "", a->link);
    if (!b.data)
        buf_puts(&b, "");
    return buf_steal(&b);
}

json_t *bluesky_link_facets(const char *text)
{
    json_t *facets = json_array();
    for (const char *p = text; *p;) {
        bool at_word = p == text || strchr(" \t\r\n(\"'<[", p[-1]);
        if (!at_word || !(str_starts_with(p, "https://") || str_starts_with(p, "http://"))) {
            p++;
            continue;
        }
        size_t n = strcspn(p, " \t\r\n\"<>");
        while (n && strchr(".,;:!?)]'", p[n - 1]))
            n--;
        const char *host = strstr(p, "://") + 3;
        if ((size_t)(host - p) < n) {
            char *uri = strndup(p, n);
            json_array_append_new(facets,
                                  json_pack("{s:{s:I, s:I}, s:[{s:s, s:s}]}", "index", "byteStart",
                                            (json_int_t)(p - text), "byteEnd",
                                            (json_int_t)(p - text + (long)n), "features", "$type",
                                            "app.bsky.richtext.facet#link", "uri", uri));
            free(uri);
        }
        p += n ? n : 1;
    }
    if (!json_array_size(facets)) {
        json_decref(facets);
        return NULL;
    }
    return facets;
}

static void now_iso(const struct connect_session *s, char out[32])
{
    char iso[21];
    time_format_iso(s->now ? s->now : time_now(), iso);
    /* "2026-12-05T09:00:00Z" with milliseconds, as Bluesky's clients write */
    snprintf(out, 32, "%.19s.000Z", iso);
}

/* A post's uri and cid, and the root of its thread, from getPostThread. */
struct ref {
    char uri[512], cid[128], root_uri[512], root_cid[128], like[512];
};

/* 1 found, 0 not found (NotFound), -1 and res. */
static int post_ref(struct bsky *b, const char *uri, struct ref *out, struct connect_result *res)
{
    struct buf q = {0};
    buf_puts(&q, "uri=");
    connect_put_enc(&q, uri);
    buf_puts(&q, "&depth=0&parentHeight=0");
    struct call c = {.method = "GET", .nsid = "app.bsky.feed.getPostThread", .query = q.data};
    struct connect_response r;
    int rc = xrpc(b, &c, &r, res);
    buf_free(&q);
    if (rc != 0)
        return str_eq(res->code, "NotFound") ? 0 : -1;
    json_t *j = connect_body_json(&r);
    connect_response_free(&r);
    static const char *const p_uri[] = {"thread", "post", "uri", NULL};
    static const char *const p_cid[] = {"thread", "post", "cid", NULL};
    static const char *const r_uri[] = {"thread", "post", "record", "reply", "root", "uri", NULL};
    static const char *const r_cid[] = {"thread", "post", "record", "reply", "root", "cid", NULL};
    static const char *const liked[] = {"thread", "post", "viewer", "like", NULL};
    const char *pu = jget(j, p_uri), *pc = jget(j, p_cid);
    if (!pu || !pc) {
        json_decref(j);
        return 0; /* #notFoundPost, #blockedPost */
    }
    *out = (struct ref){0};
    snprintf(out->uri, sizeof out->uri, "%s", pu);
    snprintf(out->cid, sizeof out->cid, "%s", pc);
    const char *ru = jget(j, r_uri), *rc2 = jget(j, r_cid);
    snprintf(out->root_uri, sizeof out->root_uri, "%s", ru && rc2 ? ru : pu);
    snprintf(out->root_cid, sizeof out->root_cid, "%s", ru && rc2 ? rc2 : pc);
    snprintf(out->like, sizeof out->like, "%s", jget(j, liked) ? jget(j, liked) : "");
    json_decref(j);
    return 1;
}

static void done_from(const char *uri, const char *handle, struct connect_done *out)
{
    snprintf(out->id, sizeof out->id, "%s", uri);
    const char *rkey = strrchr(uri, '/');
    if (rkey && handle && *handle)
        snprintf(out->permalink, sizeof out->permalink, "https://bsky.app/profile/%s/post/%s",
                 handle, rkey + 1);
}

/* An at:// URI's collection and rkey, when it is in the account's repo. */
static bool own_record(const struct bsky *b, const char *uri, char *coll, size_t cn, char *rkey,
                       size_t rn)
{
    size_t dn = strlen(b->did);
    if (!uri || !str_starts_with(uri, "at://") || strncmp(uri + 5, b->did, dn) != 0 ||
        uri[5 + dn] != '/')
        return false;
    const char *c = uri + 5 + dn + 1, *slash = strchr(c, '/');
    if (!slash || !slash[1] || strchr(slash + 1, '/'))
        return false;
    snprintf(coll, cn, "%.*s", (int)(slash - c), c);
    snprintf(rkey, rn, "%s", slash + 1);
    return true;
}

static int create_record(struct bsky *b, const char *collection, json_t *record,
                         struct connect_done *out, struct connect_result *res)
{
    json_t *body =
        json_pack("{s:s, s:s, s:o}", "repo", b->did, "collection", collection, "record", record);
    struct call c = {
        .method = "POST", .nsid = "com.atproto.repo.createRecord", .body = body, .action = true};
    struct connect_response r;
    int rc = xrpc(b, &c, &r, res);
    json_decref(body);
    if (rc != 0)
        return -1;
    json_t *j = connect_body_json(&r);
    connect_response_free(&r);
    const char *uri = json_string_value(json_object_get(j, "uri"));
    if (!uri) {
        json_decref(j);
        return connect_fail(res, CO_TEMPORARY, "POST %s: Bluesky's answer has no uri", c.nsid);
    }
    if (str_eq(collection, "app.bsky.feed.post"))
        done_from(uri, b->s->account_handle, out);
    json_decref(j);
    return 0;
}

static int upload_image(struct bsky *b, const struct connect_action *a, json_t **blob,
                        struct connect_result *res)
{
    struct call c = {.method = "POST",
                     .nsid = "com.atproto.repo.uploadBlob",
                     .raw = a->image,
                     .raw_len = a->image_len,
                     .raw_type = a->image_type ? a->image_type : "application/octet-stream"};
    struct connect_response r;
    if (xrpc(b, &c, &r, res) != 0) {
        if (res->outcome == CO_LOST) /* a blob alone is no post: send it again */
            res->outcome = CO_TEMPORARY;
        return -1;
    }
    json_t *j = connect_body_json(&r);
    connect_response_free(&r);
    *blob = json_incref(json_object_get(j, "blob"));
    json_decref(j);
    if (!*blob)
        return connect_fail(res, CO_TEMPORARY, "POST %s: Bluesky's answer has no blob", c.nsid);
    return 0;
}

static json_t *post_record(const struct connect_session *s, const char *text)
{
    char at[32];
    now_iso(s, at);
    json_t *rec =
        json_pack("{s:s, s:s, s:s}", "$type", "app.bsky.feed.post", "text", text, "createdAt", at);
    json_t *facets = bluesky_link_facets(text);
    if (facets)
        json_object_set_new(rec, "facets", facets);
    return rec;
}

static int bsky_act(struct connect_session *s, const struct connect_action *a,
                    struct connect_done *out, struct connect_result *res)
{
    struct bsky b;
    if (act_begin(&b, s, out, res) != 0)
        return -1;
    int rc = -1;
    struct ref ref = {0};
    char coll[128], rkey[128];
    switch (a->kind) {
    case ACT_PUBLISH:
    case ACT_REPLY: {
        if (a->kind == ACT_REPLY && (!a->target || !a->text || !*a->text)) {
            rc = connect_fail(res, CO_REJECTED,
                              "Bluesky: a reply needs the post it answers and "
                              "a text");
            break;
        }
        if (a->kind == ACT_REPLY) {
            int found = post_ref(&b, a->target, &ref, res);
            if (found <= 0) {
                if (found == 0)
                    rc = connect_fail(res, CO_REJECTED, "Bluesky: the post to answer is gone (%s)",
                                      a->target);
                break;
            }
        }
        char *text = compose_text(a);
        json_t *rec = post_record(s, text);
        free(text);
        if (a->kind == ACT_REPLY)
            json_object_set_new(rec, "reply",
                                json_pack("{s:{s:s, s:s}, s:{s:s, s:s}}", "root", "uri",
                                          ref.root_uri, "cid", ref.root_cid, "parent", "uri",
                                          ref.uri, "cid", ref.cid));
        if (a->kind == ACT_PUBLISH && a->image && a->image_len) {
            json_t *blob = NULL;
            if (upload_image(&b, a, &blob, res) != 0) {
                json_decref(rec);
                break;
            }
            json_object_set_new(rec, "embed",
                                json_pack("{s:s, s:[{s:s, s:o}]}", "$type", "app.bsky.embed.images",
                                          "images", "alt", a->image_alt ? a->image_alt : "",
                                          "image", blob));
        } else if (a->kind == ACT_PUBLISH && a->link && *a->link) {
            json_object_set_new(rec, "embed",
                                json_pack("{s:s, s:{s:s, s:s, s:s}}", "$type",
                                          "app.bsky.embed.external", "external", "uri", a->link,
                                          "title", "", "description", ""));
        }
        rc = create_record(&b, "app.bsky.feed.post", rec, out, res);
        break;
    }
    case ACT_DELETE_POST:
    case ACT_DELETE_MESSAGE: {
        if (!own_record(&b, a->target, coll, sizeof coll, rkey, sizeof rkey)) {
            rc = connect_fail(res, CO_REJECTED,
                              "Bluesky: an account can delete only its own records, and %s is "
                              "not one of %s's",
                              a->target ? a->target : "(none)", b.did);
            break;
        }
        json_t *body =
            json_pack("{s:s, s:s, s:s}", "repo", b.did, "collection", coll, "rkey", rkey);
        struct call c = {.method = "POST",
                         .nsid = "com.atproto.repo.deleteRecord",
                         .body = body,
                         .action = true};
        struct connect_response r;
        rc = xrpc(&b, &c, &r, res);
        json_decref(body);
        if (rc == 0)
            connect_response_free(&r);
        break;
    }
    case ACT_LIKE: {
        int found = a->target ? post_ref(&b, a->target, &ref, res) : 0;
        if (found <= 0) {
            rc = found == 0 ? connect_fail(res, CO_REJECTED,
                                           "Bluesky: the post to like is gone "
                                           "(%s)",
                                           a->target ? a->target : "none")
                            : -1;
            break;
        }
        if (ref.like[0]) { /* liked already: done */
            rc = 0;
            break;
        }
        char at[32];
        now_iso(s, at);
        json_t *rec = json_pack("{s:s, s:{s:s, s:s}, s:s}", "$type", "app.bsky.feed.like",
                                "subject", "uri", ref.uri, "cid", ref.cid, "createdAt", at);
        rc = create_record(&b, "app.bsky.feed.like", rec, out, res);
        break;
    }
    default:
        rc = connect_fail(res, CO_REJECTED, "Bluesky cannot %s: it has no such action",
                          connect_action_names[a->kind]);
    }
    bsky_end(&b);
    return rc;
}

/* Whether an action whose answer was lost happened. A post or reply: the
 * author feed from first_sent_at on, for a post of the same text (and
 * parent). A delete: the post is gone. A like: the post says the account
 * likes it. */
static int bsky_lookup(struct connect_session *s, const struct connect_action *a,
                       struct connect_done *out, struct connect_result *res)
{
    struct bsky b;
    if (act_begin(&b, s, out, res) != 0)
        return -1;
    int rc = 0;
    struct ref ref = {0};
    if (a->kind == ACT_DELETE_POST || a->kind == ACT_DELETE_MESSAGE || a->kind == ACT_LIKE) {
        int found = post_ref(&b, a->target ? a->target : "", &ref, res);
        if (found < 0)
            rc = -1;
        else if (a->kind == ACT_LIKE)
            rc = found == 1 && ref.like[0];
        else
            rc = found == 0;
        bsky_end(&b);
        return rc;
    }
    if (a->kind != ACT_PUBLISH && a->kind != ACT_REPLY) {
        bsky_end(&b);
        return 0;
    }
    char *text = compose_text(a);
    char *cursor = NULL;
    for (int page = 0; page < LOOKUP_PAGES && rc == 0; page++) {
        struct buf q = {0};
        buf_puts(&q, "actor=");
        connect_put_enc(&q, b.did);
        buf_puts(&q, "&limit=100");
        if (cursor) {
            buf_puts(&q, "&cursor=");
            connect_put_enc(&q, cursor);
        }
        struct call c = {.method = "GET", .nsid = "app.bsky.feed.getAuthorFeed", .query = q.data};
        struct connect_response r;
        int got = xrpc(&b, &c, &r, res);
        buf_free(&q);
        if (got != 0) {
            rc = -1;
            break;
        }
        json_t *j = connect_body_json(&r);
        connect_response_free(&r);
        json_t *items = json_object_get(j, "feed"), *x;
        size_t i;
        bool older = false;
        json_array_foreach (items, i, x) {
            static const char *const p_text[] = {"post", "record", "text", NULL};
            static const char *const p_at[] = {"post", "record", "createdAt", NULL};
            static const char *const p_parent[] = {"post",   "record", "reply",
                                                   "parent", "uri",    NULL};
            static const char *const p_uri[] = {"post", "uri", NULL};
            static const char *const p_did[] = {"post", "author", "did", NULL};
            int64_t t = 0;
            const char *at = jget(x, p_at);
            if (at && time_parse_iso(at, &t) == 0 && a->first_sent_at &&
                t < a->first_sent_at - SKEW)
                older = true;
            const char *parent = jget(x, p_parent);
            if (!str_eq(jget(x, p_did), b.did) || !str_eq(jget(x, p_text), text))
                continue;
            if (a->kind == ACT_REPLY ? !str_eq(parent, a->target) : parent != NULL)
                continue;
            if (a->first_sent_at && t && t < a->first_sent_at - SKEW)
                continue;
            done_from(jget(x, p_uri), s->account_handle, out);
            rc = 1;
            break;
        }
        free(cursor);
        const char *next = json_string_value(json_object_get(j, "cursor"));
        cursor = next && !older && json_array_size(items) ? strdup(next) : NULL;
        json_decref(j);
        if (!cursor)
            break;
    }
    free(cursor);
    free(text);
    bsky_end(&b);
    return rc;
}

const struct connector connector_bluesky = {
    .platform = "bluesky",
    .title = "Bluesky",
    .scopes = "an app password (com.atproto.appPass): read the account's posts, notifications "
              "and profile; post, reply, like and delete; no direct messages",
    .api_url = "https://bsky.social",
    .auth_url = NULL,
    .actions = 1u << ACT_PUBLISH | 1u << ACT_DELETE_POST | 1u << ACT_REPLY |
               1u << ACT_DELETE_MESSAGE | 1u << ACT_LIKE,
    .register_app = NULL,
    .authorize_url = NULL,
    .exchange = bsky_exchange,
    .refresh = bsky_refresh,
    .sync = bsky_sync,
    .act = bsky_act,
    .lookup = bsky_lookup,
};
