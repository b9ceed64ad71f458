/* mastodon (connect): the connector for Mastodon servers. kanal registers
 * itself as an app on each server (POST /api/v1/apps), people consent there
 * (OAuth 2, scopes "read write"; tokens do not expire), and a sync fetches
 * the account's statuses, its mention notifications and its follower count,
 * handing each answer to ingest/'s Mastodon parser. Actions: publish (text,
 * link, one image), reply, delete a status, favourite. Mastodon cannot hide
 * other people's replies, so there is no hide. */
#include <assert.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "connect/connect.h"

#define SCOPES       "read write"
#define STATUS_PAGE  40  /* the most GET /accounts/:id/statuses gives */
#define NOTIFY_PAGE  80  /* the most GET /notifications gives */
#define MAX_PAGES    250 /* per list and sync: 10,000 statuses back at most */
#define LOOKUP_PAGES 5   /* statuses searched for a lost publish: 200 */
#define LOOKUP_SLACK 300 /* seconds of clock skew allowed when looking up */
/* Mastodon keeps an Idempotency-Key an hour; ten minutes are left for skew. */
#define IDEMPOTENCY_SAFE (3600 - 600)

/* Why a sync or an action cannot start: the channel has no token. */
#define NOT_CONNECTED "Mastodon: the channel is not connected"

/* ---- small helpers --------------------------------------------------------------- */

/* Mastodon's ids are decimal strings that grow with time (snowflakes):
 * compared as numbers, by length first. Others (a fork's) as text. */
static int id_cmp(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (strspn(a, "0123456789") == la && strspn(b, "0123456789") == lb && la != lb)
        return la < lb ? -1 : 1;
    return strcmp(a, b);
}

static const char *bearer(const struct connect_session *s)
{
    return s->tokens ? s->tokens->access_token : NULL;
}

/* Fills res from an answer that is not a success, in Mastodon's own words
 * where its body has some ({"error": "..."}, or OAuth's error and
 * error_description). Returns -1. */
static int fail(struct connect_result *res, const char *what, const struct connect_response *r,
                int call_rc, const struct error *call_err, bool action)
{
    connect_fail_http(res, what, r, call_rc, call_err, action);
    if (call_rc != 0 || !r->body.data)
        return -1;
    json_t *j = connect_body_json(r);
    const char *error = json_string_value(json_object_get(j, "error"));
    const char *desc = json_string_value(json_object_get(j, "error_description"));
    if (error && desc) {
        snprintf(res->code, sizeof res->code, "%s", error);
        /* A code that is used up or was never given: connect again. */
        if (str_eq(error, "invalid_grant"))
            res->outcome = CO_AUTH;
        snprintf(res->message, sizeof res->message, "%s: Mastodon: %s (%s)", what, desc, error);
    } else if (error) {
        snprintf(res->message, sizeof res->message, "%s: Mastodon: %s (HTTP %ld)", what, error,
                 r->status);
    }
    json_decref(j);
    return -1;
}

/* Sends rq; 0 for a 2xx answer (in *resp), else -1 with res filled. The
 * caller frees *resp either way. */
static int call(struct connect_session *s, const struct connect_request *rq, const char *what,
                bool action, struct connect_response *resp, struct connect_result *res)
{
    struct error err = {0};
    int rc = connect_http_send(s->http, rq, resp, &err);
    return connect_check(fail, res, what, resp, rc, &err, action);
}

/* The answer's JSON, or NULL with res filled: an action that was done
 * and whose answer cannot be read is lost (looked up before it is sent
 * again); a fetch is tried again later. */
static json_t *answer_json(const struct connect_response *r, const char *what, bool action,
                           struct connect_result *res)
{
    json_t *j = connect_body_json(r);
    if (!j)
        connect_fail(res, action ? CO_LOST : CO_TEMPORARY,
                     "%s: Mastodon's answer is not JSON (HTTP %ld)", what, r->status);
    return j;
}

/* Copies a string field into out (size n); false when absent or too long. */
static bool copy_field(json_t *o, const char *key, char *out, size_t n)
{
    const char *v = json_string_value(json_object_get(o, key));
    if (!v || strlen(v) >= n)
        return false;
    memcpy(out, v, strlen(v) + 1);
    return true;
}

/* The server's host ("mastodon.social") from its base URL, for handles. */
static void host_of(const char *url, char *out, size_t n)
{
    const char *p = strstr(url, "://");
    p = p ? p + 3 : url;
    size_t len = strcspn(p, "/?#");
    snprintf(out, n, "%.*s", (int)len, p);
}

/* ---- connecting ---------------------------------------------------------------- */

static int mastodon_register_app(struct connect_session *s, char *client_id, char *client_secret,
                                 struct connect_result *res)
{
    const char *what = "POST /api/v1/apps";
    if (!s->cfg->redirect_uri)
        return connect_fail(res, CO_REJECTED, "%s: no redirect address is configured (PUBLIC_URL)",
                            what);
    const char *fields[] = {"client_name", "kanal", "redirect_uris", s->cfg->redirect_uri, "scopes",
                            SCOPES,        NULL};
    struct connect_response r;
    struct error err = {0};
    int rc = connect_http_post_form(s->http, "/api/v1/apps", NULL, fields, &r, &err);
    if (rc != 0 || r.status != 200) {
        fail(res, what, &r, rc, &err, false);
        connect_response_free(&r);
        return -1;
    }
    json_t *j = answer_json(&r, what, false, res);
    rc = -1;
    if (j && copy_field(j, "client_id", client_id, 256) &&
        copy_field(j, "client_secret", client_secret, 256))
        rc = 0;
    else if (j)
        connect_fail(res, CO_REJECTED, "%s: the answer has no client_id and client_secret", what);
    json_decref(j);
    connect_response_free(&r);
    return rc;
}

static int mastodon_authorize_url(const struct connect_session *s, const char *state,
                                  const char *code_challenge, struct buf *url, struct error *err)
{
    const struct connect_platform_config *c = s->cfg;
    if (!c->client_id || !c->redirect_uri || !state)
        return error_set(err, ERR_INVALID,
                         "Mastodon: the app's client id, the redirect address and a state are "
                         "needed to ask for consent");
    struct buf home = {0}; /* the server's own /oauth/authorize */
    if (!c->auth_url) {
        size_t n = strlen(c->api_url);
        while (n && c->api_url[n - 1] == '/')
            n--;
        buf_printf(&home, "%.*s/oauth/authorize", (int)n, c->api_url);
    }
    /* The challenge when there is one: Mastodon 4.3 and later take PKCE. */
    const char *const q[] = {"response_type",
                             "code",
                             "client_id",
                             c->client_id,
                             "redirect_uri",
                             c->redirect_uri,
                             "scope",
                             SCOPES,
                             "state",
                             state,
                             code_challenge ? "code_challenge_method" : NULL,
                             "S256",
                             "code_challenge",
                             code_challenge,
                             NULL};
    connect_put_query(url, c->auth_url ? c->auth_url : home.data, q);
    buf_free(&home);
    return 0;
}

/* Who the token is for: GET /api/v1/accounts/verify_credentials. */
static int whoami(struct connect_session *s, const char *token, struct connect_account *a,
                  struct connect_result *res)
{
    const char *what = "GET /api/v1/accounts/verify_credentials";
    struct connect_request rq = {.path = "/api/v1/accounts/verify_credentials", .bearer = token};
    struct connect_response r;
    int rc = call(s, &rq, what, false, &r, res);
    json_t *j = rc == 0 ? answer_json(&r, what, false, res) : NULL;
    if (rc == 0 && j) {
        char host[128];
        host_of(s->cfg->api_url, host, sizeof host);
        const char *acct = json_string_value(json_object_get(j, "acct"));
        if (!copy_field(j, "id", a->id, sizeof a->id) || !acct) {
            rc = connect_fail(res, CO_REJECTED, "%s: the account has no id or acct", what);
        } else {
            /* acct is "user" on its own server, "user@server" elsewhere. */
            snprintf(a->handle, sizeof a->handle, strchr(acct, '@') ? "@%s" : "@%s@%s", acct, host);
            const char *name = json_string_value(json_object_get(j, "display_name"));
            snprintf(a->name, sizeof a->name, "%s", name && *name ? name : acct);
        }
    } else {
        rc = -1;
    }
    json_decref(j);
    connect_response_free(&r);
    return rc;
}

static int mastodon_exchange(struct connect_session *s, const char *code, const char *verifier,
                             struct channel_tokens *tokens, struct connect_account *accounts,
                             int max, int *n, struct connect_result *res)
{
    const char *what = "POST /oauth/token";
    const struct connect_platform_config *c = s->cfg;
    *n = 0;
    if (max < 1 || !code || !c->client_id || !c->client_secret || !c->redirect_uri)
        return connect_fail(res, CO_REJECTED,
                            "%s: the code, the app's credentials and the redirect address are "
                            "needed",
                            what);
    const char *fields[] = {"grant_type",
                            "authorization_code",
                            "code",
                            code,
                            "client_id",
                            c->client_id,
                            "client_secret",
                            c->client_secret,
                            "redirect_uri",
                            c->redirect_uri,
                            "scope",
                            SCOPES,
                            verifier ? "code_verifier" : NULL,
                            verifier,
                            NULL};
    struct connect_response r;
    struct error err = {0};
    int rc = connect_http_post_form(s->http, c->token_url ? c->token_url : "/oauth/token", NULL,
                                    fields, &r, &err);
    if (rc != 0 || r.status != 200) {
        fail(res, what, &r, rc, &err, false);
        connect_response_free(&r);
        return -1;
    }
    json_t *j = answer_json(&r, what, false, res);
    connect_response_free(&r);
    if (!j)
        return -1;
    const char *token = json_string_value(json_object_get(j, "access_token"));
    const char *scope = json_string_value(json_object_get(j, "scope"));
    if (!token || !*token || strlen(token) > VAULT_TOKEN_MAX) {
        json_decref(j);
        return connect_fail(res, CO_REJECTED, "%s: the answer has no access_token", what);
    }
    struct connect_account a = {0};
    if (whoami(s, token, &a, res)) {
        json_decref(j);
        return -1;
    }
    tokens[0] = (struct channel_tokens){.access_token = strdup(token),
                                        .scopes = strdup(scope ? scope : SCOPES)};
    json_decref(j);
    if (!tokens[0].access_token || !tokens[0].scopes) {
        channel_tokens_clear(&tokens[0]);
        return connect_fail(res, CO_TEMPORARY, "%s: out of memory", what);
    }
    accounts[0] = a;
    *n = 1;
    return 0;
}

/* ---- sync ---------------------------------------------------------------------- */

/* The first and last "id" of a list answer; false when it is not a list. */
static bool list_ends(const struct connect_response *r, size_t *count, char *first, char *last,
                      size_t n)
{
    json_t *j = connect_body_json(r);
    bool ok = json_is_array(j);
    *count = ok ? json_array_size(j) : 0;
    first[0] = last[0] = '\0';
    if (*count) {
        copy_field(json_array_get(j, 0), "id", first, n);
        copy_field(json_array_get(j, *count - 1), "id", last, n);
    }
    json_decref(j);
    return ok;
}

/* Fetches one list newest first, from `path` back along the Link
 * header's next pages, handing each page to the sink, until a page reaches
 * the kept cursor (the newest id seen before), adds nothing, or is the
 * last. Then keeps the newest id as the cursor. */
static int sync_list(struct connect_session *s, struct sync_sink *sink, const char *resource,
                     const char *first_path, const char *name, struct connect_result *res)
{
    char since[64] = "", newest[64] = "", path[2048];
    const char *kept = sink->cursor_get(sink, resource);
    if (kept && strlen(kept) < sizeof since)
        snprintf(since, sizeof since, "%s", kept);
    snprintf(path, sizeof path, "%s", first_path);
    for (int page = 1; page <= MAX_PAGES; page++) {
        char what[160];
        snprintf(what, sizeof what, "GET %s, page %d", name, page);
        struct connect_request rq = {.path = path, .bearer = bearer(s)};
        struct connect_response r;
        if (call(s, &rq, what, false, &r, res)) {
            connect_response_free(&r);
            return -1;
        }
        size_t count;
        char first[64], last[64];
        if (!list_ends(&r, &count, first, last, sizeof first)) {
            connect_response_free(&r);
            return connect_fail(res, CO_TEMPORARY, "%s: Mastodon's answer is not a list", what);
        }
        int64_t added = 0;
        struct error err = {0};
        if (count &&
            sink->page(sink, INGEST_MASTODON, what, r.body.data, r.body.len, &added, &err)) {
            connect_response_free(&r);
            return connect_fail(res, CO_TEMPORARY, "%s: %s", what, err.msg);
        }
        if (page == 1 && first[0])
            snprintf(newest, sizeof newest, "%s", first);
        bool more = count && added > 0 && !(since[0] && last[0] && id_cmp(last, since) <= 0) &&
                    connect_link_next(&r, path, sizeof path);
        connect_response_free(&r);
        if (!more)
            break;
    }
    if (newest[0] && (!since[0] || id_cmp(newest, since) > 0)) {
        struct error err = {0};
        if (sink->cursor_set(sink, resource, newest, &err))
            return connect_fail(res, CO_TEMPORARY, "%s: %s", name, err.msg);
    }
    return 0;
}

static int mastodon_sync(struct connect_session *s, struct sync_sink *sink,
                         struct connect_result *res)
{
    if (connect_need_token(s, NOT_CONNECTED, res))
        return -1;
    /* The account: its follower count, a snapshot. */
    const char *what = "GET /api/v1/accounts/verify_credentials";
    struct connect_request rq = {.path = "/api/v1/accounts/verify_credentials",
                                 .bearer = bearer(s)};
    struct connect_response r;
    if (call(s, &rq, what, false, &r, res)) {
        connect_response_free(&r);
        return -1;
    }
    char id[128] = "";
    json_t *me = answer_json(&r, what, false, res);
    if (!me || !copy_field(me, "id", id, sizeof id)) {
        json_decref(me);
        connect_response_free(&r);
        return me ? connect_fail(res, CO_TEMPORARY, "%s: the account has no id", what) : -1;
    }
    json_decref(me);
    if (s->account_id && !str_eq(s->account_id, id)) {
        connect_response_free(&r);
        return connect_fail(res, CO_AUTH,
                            "Mastodon: the token is for account %s, not the channel's %s: "
                            "connect the channel again",
                            id, s->account_id);
    }
    int64_t added = 0;
    struct error err = {0};
    int rc = sink->page(sink, INGEST_MASTODON, what, r.body.data, r.body.len, &added, &err);
    connect_response_free(&r);
    if (rc)
        return connect_fail(res, CO_TEMPORARY, "%s: %s", what, err.msg);

    /* Its statuses: the first page always (their counts change), then
     * back to the newest seen before. */
    struct buf path = {0};
    buf_puts(&path, "/api/v1/accounts/");
    connect_put_enc(&path, id);
    buf_printf(&path, "/statuses?limit=%d", STATUS_PAGE);
    rc = sync_list(s, sink, "statuses", path.data, "/api/v1/accounts/:id/statuses", res);
    buf_free(&path);
    if (rc)
        return -1;

    /* Mentions, replies to it among them: only the new ones. */
    buf_printf(&path, "/api/v1/notifications?types%%5B%%5D=mention&limit=%d", NOTIFY_PAGE);
    const char *since = sink->cursor_get(sink, "notifications");
    if (since && *since)
        connect_put_param(&path, "since_id", since);
    rc = sync_list(s, sink, "notifications", path.data, "/api/v1/notifications", res);
    buf_free(&path);
    return rc;
}

/* ---- actions ------------------------------------------------------------------- */

/* A multipart/form-data body for POST /api/v2/media: the file and its
 * description. The boundary is chosen so that it occurs in neither. */
static void media_body(const struct connect_action *a, struct buf *body, char *ctype, size_t n)
{
    char boundary[64];
    for (unsigned i = 0;; i++) {
        snprintf(boundary, sizeof boundary, "kanal-%08x-%s", i, "b7f3c1e9a2d45086");
        if (!memmem(a->image, a->image_len, boundary, strlen(boundary)) &&
            !(a->image_alt && strstr(a->image_alt, boundary)))
            break;
    }
    snprintf(ctype, n, "multipart/form-data; boundary=%s", boundary);
    const char *type = a->image_type ? a->image_type : "application/octet-stream";
    const char *ext = strstr(type, "png") ? "png" : strstr(type, "gif") ? "gif" : "jpg";
    buf_printf(body,
               "--%s\r\nContent-Disposition: form-data; name=\"file\"; filename=\"image.%s\"\r\n"
               "Content-Type: %s\r\n\r\n",
               boundary, ext, type);
    buf_append(body, a->image, a->image_len);
    if (a->image_alt && *a->image_alt)
        buf_printf(body,
                   "\r\n--%s\r\nContent-Disposition: form-data; name=\"description\"\r\n\r\n%s",
                   boundary, a->image_alt);
    buf_printf(body, "\r\n--%s--\r\n", boundary);
}

static int upload_image(struct connect_session *s, const struct connect_action *a, char *id,
                        size_t n, struct connect_result *res)
{
    const char *what = "POST /api/v2/media";
    struct buf body = {0};
    char ctype[128];
    media_body(a, &body, ctype, sizeof ctype);
    struct connect_request rq = {.method = "POST",
                                 .path = "/api/v2/media",
                                 .bearer = bearer(s),
                                 .content_type = ctype,
                                 .body = body.data,
                                 .body_len = body.len};
    struct connect_response r;
    /* An upload whose answer is lost is only an unused attachment: it is
     * tried again, not looked up. */
    int rc = call(s, &rq, what, false, &r, res);
    buf_free(&body);
    json_t *j = rc == 0 ? answer_json(&r, what, false, res) : NULL;
    if (rc == 0 && j && !copy_field(j, "id", id, n))
        rc = connect_fail(res, CO_TEMPORARY, "%s: the answer has no id", what);
    if (rc == 0 && !j)
        rc = -1;
    json_decref(j);
    connect_response_free(&r);
    return rc;
}

/* The acct of the status answered, so a reply names (and notifies) its
 * author as Mastodon's own apps do; "" when it is the account's own. */
static int author_of(struct connect_session *s, const char *status_id, char *acct, size_t n,
                     struct connect_result *res)
{
    const char *what = "GET /api/v1/statuses/:id";
    struct buf path = {0};
    buf_puts(&path, "/api/v1/statuses/");
    connect_put_enc(&path, status_id);
    struct connect_request rq = {.path = path.data, .bearer = bearer(s)};
    struct connect_response r;
    int rc = call(s, &rq, what, false, &r, res);
    buf_free(&path);
    json_t *j = rc == 0 ? answer_json(&r, what, false, res) : NULL;
    acct[0] = '\0';
    if (j) {
        json_t *account = json_object_get(j, "account");
        const char *aid = json_string_value(json_object_get(account, "id"));
        if (!(s->account_id && aid && str_eq(aid, s->account_id)))
            copy_field(account, "acct", acct, n);
    } else {
        rc = -1;
    }
    json_decref(j);
    connect_response_free(&r);
    return rc;
}

static int publish(struct connect_session *s, const struct connect_action *a,
                   struct connect_done *out, struct connect_result *res)
{
    const char *what = "POST /api/v1/statuses";
    bool reply = a->kind == ACT_REPLY;
    if (reply && !a->target)
        return connect_fail(res, CO_REJECTED, "Mastodon: a reply needs the status it answers");
    if ((!a->text || !*a->text) && !a->image)
        return connect_fail(res, CO_REJECTED, "Mastodon: a status needs text or an image");
    struct buf text = {0};
    if (reply) {
        char acct[200];
        if (author_of(s, a->target, acct, sizeof acct, res))
            return -1;
        char at[210];
        snprintf(at, sizeof at, "@%s", acct);
        if (acct[0] && !(a->text && strstr(a->text, at)))
            buf_printf(&text, "%s ", at);
    }
    buf_puts(&text, a->text ? a->text : "");
    if (a->link && *a->link && !(a->text && strstr(a->text, a->link)))
        buf_printf(&text, "%s%s", text.len ? "\n\n" : "", a->link);

    char media_id[128] = "";
    if (a->image && upload_image(s, a, media_id, sizeof media_id, res)) {
        buf_free(&text);
        return -1;
    }
    json_t *body = json_object();
    json_object_set_new(body, "status", json_string(text.data ? text.data : ""));
    json_object_set_new(body, "visibility", json_string("public"));
    if (reply)
        json_object_set_new(body, "in_reply_to_id", json_string(a->target));
    if (media_id[0])
        json_object_set_new(body, "media_ids", json_pack("[s]", media_id));
    buf_free(&text);
    char *json = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    if (!json)
        return connect_fail(res, CO_REJECTED, "%s: the text is not UTF-8", what);
    /* Mastodon keeps the key for an hour: a status sent twice with it is
     * posted once, and the second answer is the first status. */
    char key[300];
    snprintf(key, sizeof key, "Idempotency-Key: %s", a->key ? a->key : "");
    const char *headers[] = {key, NULL};
    struct connect_request rq = {.method = "POST",
                                 .path = "/api/v1/statuses",
                                 .bearer = bearer(s),
                                 .headers = a->key && *a->key ? headers : NULL,
                                 .content_type = "application/json",
                                 .body = json,
                                 .body_len = strlen(json)};
    struct connect_response r;
    int rc = call(s, &rq, what, true, &r, res);
    free(json);
    json_t *j = rc == 0 ? answer_json(&r, what, true, res) : NULL;
    if (rc == 0 && j) {
        if (!copy_field(j, "id", out->id, sizeof out->id))
            rc = connect_fail(res, CO_LOST, "%s: the answer has no id; it is looked up", what);
        copy_field(j, "url", out->permalink, sizeof out->permalink);
    } else {
        rc = -1;
    }
    json_decref(j);
    connect_response_free(&r);
    return rc;
}

/* DELETE /api/v1/statuses/:id or POST .../favourite. A status that is
 * already gone is deleted: the action is done, not failed. */
static int on_status(struct connect_session *s, const struct connect_action *a, bool del,
                     struct connect_result *res)
{
    if (!a->target || !*a->target)
        return connect_fail(res, CO_REJECTED, "Mastodon: %s needs the status's id",
                            connect_action_names[a->kind]);
    const char *what = del ? "DELETE /api/v1/statuses/:id" : "POST /api/v1/statuses/:id/favourite";
    struct buf path = {0};
    buf_puts(&path, "/api/v1/statuses/");
    connect_put_enc(&path, a->target);
    if (!del)
        buf_puts(&path, "/favourite");
    struct connect_request rq = {
        .method = del ? "DELETE" : "POST", .path = path.data, .bearer = bearer(s)};
    struct connect_response r;
    struct error err = {0};
    int rc = connect_http_send(s->http, &rq, &r, &err);
    buf_free(&path);
    if (rc == 0 && (r.status / 100 == 2 || (del && r.status == 404)))
        rc = 0;
    else
        rc = fail(res, what, &r, rc, &err, true);
    connect_response_free(&r);
    return rc;
}

static int mastodon_act(struct connect_session *s, const struct connect_action *a,
                        struct connect_done *out, struct connect_result *res)
{
    if (connect_act_begin(s, out, NOT_CONNECTED, res))
        return -1;
    switch (a->kind) {
    case ACT_PUBLISH:
    case ACT_REPLY:
        return publish(s, a, out, res);
    case ACT_DELETE_POST:
    case ACT_DELETE_MESSAGE:
        return on_status(s, a, true, res);
    case ACT_LIKE:
        return on_status(s, a, false, res);
    case ACT_HIDE:
    case ACT_UNHIDE:
    case ACT_KIND_COUNT:
        break;
    }
    return connect_fail(res, CO_REJECTED, "Mastodon cannot %s a status",
                        connect_action_name(a->kind, "do that to"));
}

/* ---- lookup -------------------------------------------------------------------- */

/* Text with its white space runs made one space, trimmed (Mastodon's HTML
 * turns line breaks into paragraphs; the parser back into blank lines). */
static void squeeze(const char *s, struct buf *out)
{
    bool space = false;
    for (; s && *s; s++) {
        if (isspace((unsigned char)*s)) {
            space = out->len > 0;
            continue;
        }
        if (space)
            buf_putc(out, ' ');
        space = false;
        buf_putc(out, *s);
    }
    if (!out->data)
        buf_puts(out, "");
}

struct finding {
    const struct connect_action *a;
    const char *account_id; /* the channel's; NULL: any */
    const char *text;       /* the action's text, squeezed */
    int64_t from;           /* statuses older than this are not it */
    int64_t oldest;         /* the oldest status on the page */
    struct connect_done *out;
    bool found;
};

static int consider(void *ctx, const struct ingest_record *r)
{
    struct finding *f = ctx;
    if (r->kind != REC_POST || f->found || !r->post_id)
        return 0;
    if (!f->oldest || r->published_at < f->oldest)
        f->oldest = r->published_at;
    if (r->published_at < f->from)
        return 0;
    if (f->account_id && r->account_id && !str_eq(f->account_id, r->account_id))
        return 0;
    if (f->a->kind == ACT_REPLY && !(r->reply_to && str_eq(r->reply_to, f->a->target)))
        return 0;
    struct buf body = {0};
    squeeze(r->body, &body);
    bool same = strstr(body.data, f->text) != NULL;
    buf_free(&body);
    if (!same)
        return 0;
    snprintf(f->out->id, sizeof f->out->id, "%s", r->post_id);
    snprintf(f->out->permalink, sizeof f->out->permalink, "%s", r->permalink ? r->permalink : "");
    f->found = true;
    return 0;
}

/* A publish or reply whose answer was lost: the account's statuses since
 * it was first sent, read through the parser, searched for its text. */
static int find_status(struct connect_session *s, const struct connect_action *a,
                       struct connect_done *out, struct connect_result *res)
{
    char id[128];
    if (s->account_id) {
        snprintf(id, sizeof id, "%s", s->account_id);
    } else {
        struct connect_account me = {0};
        if (whoami(s, bearer(s), &me, res))
            return -1;
        snprintf(id, sizeof id, "%s", me.id);
    }
    struct buf text = {0};
    squeeze(a->text, &text);
    struct finding f = {.a = a,
                        .account_id = id,
                        .text = text.data,
                        .out = out,
                        .from = a->first_sent_at ? a->first_sent_at - LOOKUP_SLACK : 0};
    struct buf first = {0};
    buf_puts(&first, "/api/v1/accounts/");
    connect_put_enc(&first, id);
    buf_printf(&first, "/statuses?limit=%d", STATUS_PAGE);
    char path[2048];
    snprintf(path, sizeof path, "%s", first.data);
    buf_free(&first);
    int rc = 0;
    bool searched_all = false;
    for (int page = 1; page <= LOOKUP_PAGES && !f.found; page++) {
        struct connect_request rq = {.path = path, .bearer = bearer(s)};
        struct connect_response r;
        if (call(s, &rq, "GET /api/v1/accounts/:id/statuses", false, &r, res)) {
            connect_response_free(&r);
            rc = -1;
            break;
        }
        struct ingest_opts o = {.taken_at = s->now};
        struct error err = {0};
        f.oldest = 0;
        if (ingest_parse(INGEST_MASTODON, r.body.data ? r.body.data : "", r.body.len, &o, consider,
                         &f, &err)) {
            connect_response_free(&r);
            rc = connect_fail(res, CO_TEMPORARY, "GET /api/v1/accounts/:id/statuses: %s", err.msg);
            break;
        }
        bool more =
            !f.found && f.oldest >= f.from && f.oldest && connect_link_next(&r, path, sizeof path);
        connect_response_free(&r);
        if (!more) {
            searched_all = true;
            break;
        }
    }
    buf_free(&text);
    if (rc < 0 || f.found)
        return rc < 0 ? -1 : 1;
    if (!searched_all) {
        /* More statuses since it was first sent than a lookup reads: not
         * found is not "not done". Within the hour Mastodon keeps the
         * Idempotency-Key, sending it again is safe (the answer is the
         * status made the first time); after it, only a person can tell. */
        if (a->key && *a->key && s->now - a->first_sent_at < IDEMPOTENCY_SAFE) {
            log_warn("Mastodon: more than %d statuses since action %s was first sent; "
                     "sent again under its Idempotency-Key, which Mastodon keeps an hour",
                     LOOKUP_PAGES * STATUS_PAGE, a->key);
            return 0;
        }
        return connect_fail(res, CO_REJECTED,
                            "Mastodon: the account made more than %d statuses since this was "
                            "first sent, so whether it was made cannot be told: look on "
                            "Mastodon before doing it again",
                            LOOKUP_PAGES * STATUS_PAGE);
    }
    return 0;
}

/* A delete or favourite whose answer was lost: the status says. */
static int status_state(struct connect_session *s, const struct connect_action *a,
                        struct connect_result *res)
{
    const char *what = "GET /api/v1/statuses/:id";
    struct buf path = {0};
    buf_puts(&path, "/api/v1/statuses/");
    connect_put_enc(&path, a->target ? a->target : "");
    struct connect_request rq = {.path = path.data, .bearer = bearer(s)};
    struct connect_response r;
    struct error err = {0};
    int rc = connect_http_send(s->http, &rq, &r, &err);
    buf_free(&path);
    bool del = a->kind != ACT_LIKE;
    if (rc == 0 && r.status == 404 && del) {
        rc = 1;
    } else if (rc == 0 && r.status == 200) {
        json_t *j = answer_json(&r, what, false, res);
        rc = !j ? -1 : del ? 0 : json_is_true(json_object_get(j, "favourited")) ? 1 : 0;
        json_decref(j);
    } else {
        rc = fail(res, what, &r, rc, &err, false);
    }
    connect_response_free(&r);
    return rc;
}

static int mastodon_lookup(struct connect_session *s, const struct connect_action *a,
                           struct connect_done *out, struct connect_result *res)
{
    if (connect_act_begin(s, out, NOT_CONNECTED, res))
        return -1;
    switch (a->kind) {
    case ACT_PUBLISH:
    case ACT_REPLY:
        if (!a->text || !*a->text) /* an image alone: nothing to know it by */
            return connect_fail(res, CO_REJECTED,
                                "Mastodon: a status without text cannot be looked up");
        return find_status(s, a, out, res);
    case ACT_DELETE_POST:
    case ACT_DELETE_MESSAGE:
    case ACT_LIKE:
        return status_state(s, a, res);
    default:
        return connect_fail(res, CO_REJECTED, "Mastodon cannot %s a status",
                            connect_action_names[a->kind]);
    }
}

const struct connector connector_mastodon = {
    .platform = "mastodon",
    .title = "Mastodon",
    .scopes = SCOPES,
    .api_url = "https://mastodon.social",
    .auth_url = NULL, /* the server's own /oauth/authorize */
    .pkce = false,
    .per_instance_app = true,
    .actions = 1u << ACT_PUBLISH | 1u << ACT_DELETE_POST | 1u << ACT_REPLY |
               1u << ACT_DELETE_MESSAGE | 1u << ACT_LIKE,
    .register_app = mastodon_register_app,
    .authorize_url = mastodon_authorize_url,
    .exchange = mastodon_exchange,
    .refresh = NULL, /* Mastodon's tokens do not expire; they are revoked */
    .sync = mastodon_sync,
    .act = mastodon_act,
    .lookup = mastodon_lookup,
};
