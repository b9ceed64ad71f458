/* linkedin: the LinkedIn connector for organisation pages over LinkedIn's
 * versioned REST API (Restli 2.0): 3-legged OAuth (authorization code; one
 * login stands for every page the member administers), a sync of each
 * page's posts, their share statistics, their comments and the follower
 * count, each answer handed as it came to ingest/linkedin_api.c; and the
 * actions the Community Management API allows: publish a text or link
 * post, delete it, reply to a comment (or comment on a post), delete a
 * comment. LinkedIn's error bodies ({status, serviceErrorCode, code,
 * message}) are read before the shared mapping. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "connect/connect.h"

extern const struct connector connector_linkedin;

#define LI_TOKEN_URL "https://www.linkedin.com/oauth/v2/accessToken"
/* The API version every /rest call names (LinkedIn keeps each a year). */
#define LI_VERSION "202411"
#define LI_ORG     "urn:li:organization:"
#define LI_PAGES   10 /* pages of 50 posts a sync reads back at most */
#define LI_COUNT   50

/* Why a sync or an action cannot start: the page has no token. */
#define LI_NO_TOKEN "the LinkedIn page has no token; connect it"

static const char *const li_headers[] = {"LinkedIn-Version: " LI_VERSION,
                                         "X-Restli-Protocol-Version: 2.0.0", NULL};

/* ---- small helpers ------------------------------------------------------------------ */

/* A URN kanal sends back to LinkedIn: "urn:li:" and printable ASCII
 * without spaces, of a sane length. */
static bool is_urn(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n < 8 || n > 127 || !str_starts_with(s, "urn:li:"))
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] <= ' ' || s[i] > '~')
            return false;
    return true;
}

static int li_send(struct connect_session *s, const char *method, const char *path, json_t *body,
                   struct connect_response *r, struct error *e)
{
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    struct connect_request rq = {.method = method,
                                 .path = path,
                                 .bearer = s->tokens->access_token,
                                 .headers = li_headers,
                                 .content_type = text ? "application/json" : NULL,
                                 .body = text,
                                 .body_len = text ? strlen(text) : 0};
    int rc = connect_http_send(s->http, &rq, r, e);
    free(text);
    return rc;
}

/* ---- errors ------------------------------------------------------------------------- */

/* The outcome of an answer that is not a success, in LinkedIn's words.
 * 401 (and OAuth's invalid_grant, or a refresh token LinkedIn calls
 * expired or revoked) asks for reconnecting; 422 is refused as it stands
 * (a duplicate post: code "duplicate"); 429 waits. Returns -1. */
static int li_fail(struct connect_result *res, const char *what,
                   const struct connect_response *resp, int call_rc, const struct error *call_err,
                   bool sent_action)
{
    connect_fail_http(res, what, resp, call_rc, call_err, sent_action);
    if (call_rc != 0)
        return -1;
    json_t *j = connect_body_json(resp);
    const char *msg = json_string_value(json_object_get(j, "message"));
    const char *code = json_string_value(json_object_get(j, "code"));
    const char *oauth = json_string_value(json_object_get(j, "error"));
    const char *desc = json_string_value(json_object_get(j, "error_description"));
    const char *words = msg ? msg : desc;
    if (oauth)
        snprintf(res->code, sizeof res->code, "%s", oauth);
    else if (code)
        snprintf(res->code, sizeof res->code, "%s", code);
    long st = resp->status;
    enum connect_outcome o = res->outcome;
    bool spent = oauth && (str_eq(oauth, "invalid_grant") ||
                           (desc && (strstr(desc, "expired") || strstr(desc, "revoked"))));
    if (st == 401 || spent)
        o = CO_AUTH;
    else if (st == 429) {
        o = CO_RATE;
        res->retry_at = resp->rl.retry_at;
    } else if (st == 422 && words && strstr(words, "uplicate")) {
        o = CO_REJECTED;
        snprintf(res->code, sizeof res->code, "duplicate");
    }
    static const struct platform_voice voice = {.name = "LinkedIn", .account = "page"};
    connect_fail_said(res, o, what, &voice, words, oauth, st);
    json_decref(j);
    return -1;
}

static int li_check(struct connect_result *res, const char *what, const struct connect_response *r,
                    int rc, const struct error *err, bool sent_action)
{
    return connect_check(li_fail, res, what, r, rc, err, sent_action);
}

/* li_send, then li_check: 0 with the answer in r (the caller frees it), or
 * -1 with res said and r freed already. */
static int li_call(struct connect_session *s, const char *method, const char *path, json_t *body,
                   const char *what, bool sent_action, struct connect_response *r,
                   struct connect_result *res)
{
    struct error e = {0};
    int rc = li_send(s, method, path, body, r, &e);
    if (li_check(res, what, r, rc, &e, sent_action) < 0) {
        connect_response_free(r);
        return -1;
    }
    return 0;
}

/* ---- 3-legged OAuth ----------------------------------------------------------------- */

static int li_authorize_url(const struct connect_session *s, const char *state,
                            const char *code_challenge, struct buf *url, struct error *err)
{
    const struct consent_form form = {
        .no_client = "LinkedIn needs the app's client id: set KANAL_LINKEDIN_CLIENT_ID (the "
                     "app's Auth tab in LinkedIn's developer portal)",
        .incomplete = "LinkedIn's authorization needs a redirect URI and a state",
        .scopes = connector_linkedin.scopes};
    return connect_consent_url(&form, s, state, code_challenge, url, err);
}

static int li_token(struct connect_session *s, const char *const *fields,
                    struct channel_tokens *out, struct connect_result *res)
{
    /* www.linkedin.com, not the API's host. LinkedIn lists the scopes with
     * commas. */
    static const struct token_post tp = {.url = LI_TOKEN_URL,
                                         .url_setting = "KANAL_LINKEDIN_TOKEN_URL",
                                         .what = "POST /oauth/v2/accessToken",
                                         .who = "LinkedIn's",
                                         .flags = TOKEN_EXPIRY_STRICT | TOKEN_SCOPE_COMMAS,
                                         .fail = li_fail};
    return connect_client_token_get(&tp, s, "KANAL_LINKEDIN", fields, out, res);
}

/* The pages the member administers (organizationAcls), each with its name
 * (organizations/ID). */
static int li_pages(struct connect_session *s, struct connect_account *accounts, int max, int *n,
                    struct connect_result *res)
{
    const char *what = "GET /rest/organizationAcls";
    struct connect_response r;
    if (li_call(s, "GET",
                "/rest/organizationAcls?q=roleAssignee&role=ADMINISTRATOR&state=APPROVED"
                "&count=100",
                NULL, what, false, &r, res))
        return -1;
    json_t *j = connect_body_json(&r);
    connect_response_free(&r);
    size_t i;
    json_t *acl;
    int ret = 0;
    json_array_foreach (json_object_get(j, "elements"), i, acl) {
        const char *org = json_string_value(json_object_get(acl, "organization"));
        if (!is_urn(org) || !str_starts_with(org, LI_ORG) || *n >= max)
            continue;
        char path[256];
        snprintf(path, sizeof path, "/rest/organizations/%s", org + strlen(LI_ORG));
        if (li_call(s, "GET", path, NULL, "GET /rest/organizations/:id", false, &r, res)) {
            ret = -1;
            break;
        }
        json_t *o = connect_body_json(&r);
        connect_response_free(&r);
        const char *name = json_string_value(json_object_get(o, "localizedName"));
        const char *vanity = json_string_value(json_object_get(o, "vanityName"));
        struct connect_account *a = &accounts[(*n)++];
        *a = (struct connect_account){0};
        snprintf(a->id, sizeof a->id, "%s", org);
        snprintf(a->handle, sizeof a->handle, "%s", vanity ? vanity : org + strlen(LI_ORG));
        snprintf(a->name, sizeof a->name, "%s", name ? name : a->handle);
        json_decref(o);
    }
    json_decref(j);
    if (ret == 0 && *n == 0)
        ret = connect_fail(res, CO_REJECTED,
                           "%s: the LinkedIn member administers no organisation page; an admin "
                           "of the page must connect it",
                           what);
    return ret;
}

static int li_exchange(struct connect_session *s, const char *code, const char *verifier,
                       struct channel_tokens *tokens, struct connect_account *accounts, int max,
                       int *n, struct connect_result *res)
{
    *n = 0;
    if (max < 1 || !code || !*code)
        return connect_fail(res, CO_REJECTED, "LinkedIn's token request needs the code");
    if (!s->cfg->redirect_uri)
        return connect_fail(res, CO_REJECTED,
                            "LinkedIn's token request needs the redirect URI (PUBLIC_URL)");
    const char *fields[] = {"grant_type",   "authorization_code", "code", code,
                            "redirect_uri", s->cfg->redirect_uri, NULL};
    struct channel_tokens t = {0};
    if (li_token(s, fields, &t, res) < 0)
        return -1;
    const struct channel_tokens *before = s->tokens;
    s->tokens = &t;
    int rc = li_pages(s, accounts, max, n, res);
    s->tokens = before;
    if (rc < 0) {
        *n = 0;
        channel_tokens_clear(&t);
        return -1;
    }
    /* One member's token stands for each page they administer. */
    for (int i = 0; i < *n; i++)
        tokens[i] = (struct channel_tokens){.access_token = xstrdup(t.access_token),
                                            .refresh_token =
                                                t.refresh_token ? xstrdup(t.refresh_token) : NULL,
                                            .expires_at = t.expires_at,
                                            .scopes = t.scopes ? xstrdup(t.scopes) : NULL};
    channel_tokens_clear(&t);
    return 0;
}

static int li_refresh(struct connect_session *s, struct channel_tokens *out,
                      struct connect_result *res)
{
    const char *rt = s->tokens ? s->tokens->refresh_token : NULL;
    if (!rt || !*rt)
        return connect_fail(res, CO_AUTH,
                            "LinkedIn gave no refresh token to this app; its token lasts 60 "
                            "days: reconnect the page");
    const char *fields[] = {"grant_type", "refresh_token", "refresh_token", rt, NULL};
    if (li_token(s, fields, out, res) < 0)
        return -1;
    connect_tokens_carry(out, s->tokens);
    return 0;
}

/* ---- sync --------------------------------------------------------------------------- */

/* GETs path and imports the answer; *j (may be NULL) gets it parsed. */
static int fetch_import(struct connect_session *s, struct sync_sink *sink, const char *path,
                        const char *what, int64_t *added, json_t **j, struct connect_result *res)
{
    struct connect_response r;
    if (li_call(s, "GET", path, NULL, what, false, &r, res))
        return -1;
    int rc = connect_sink_page(sink, INGEST_LINKEDIN_API, what, &r, added, res);
    if (rc == 0 && j)
        *j = connect_body_json(&r);
    connect_response_free(&r);
    return rc;
}

/* The path of the comments on `urn` (a post's or a comment's URN),
 * percent-encoded as Restli 2.0 wants a URN in a path or a query. */
static void put_comments(struct buf *path, const char *urn)
{
    buf_puts(path, "/rest/socialActions/");
    connect_put_enc(path, urn);
    buf_puts(path, "/comments");
}

/* A comment list's pages for one post (or comment). */
static int sync_comments(struct connect_session *s, struct sync_sink *sink, const char *urn,
                         struct connect_result *res)
{
    for (int start = 0, page = 1; page <= LI_PAGES; page++, start += 100) {
        struct buf path = {0};
        put_comments(&path, urn);
        buf_printf(&path, "?count=100&start=%d", start);
        char what[300];
        snprintf(what, sizeof what, "GET /rest/socialActions/%s/comments, page %d", urn, page);
        json_t *j = NULL;
        int rc = fetch_import(s, sink, path.data, what, NULL, &j, res);
        buf_free(&path);
        size_t got = json_array_size(json_object_get(j, "elements"));
        json_decref(j);
        if (rc < 0)
            return -1;
        if (got < 100)
            break;
    }
    return 0;
}

static int li_sync(struct connect_session *s, struct sync_sink *sink, struct connect_result *res)
{
    if (connect_need_token(s, LI_NO_TOKEN, res))
        return -1;
    const char *org = s->account_id;
    if (!is_urn(org) || !str_starts_with(org, LI_ORG))
        return connect_fail(res, CO_REJECTED,
                            "LinkedIn: the channel's id '%.60s' is not an organisation's URN; "
                            "connect the page again",
                            org ? org : "");
    /* The follower count. */
    struct buf path = {0};
    buf_puts(&path, "/rest/networkSizes/");
    connect_put_enc(&path, org);
    buf_puts(&path, "?edgeType=COMPANY_FOLLOWED_BY_MEMBER");
    int rc = fetch_import(s, sink, path.data, "GET /rest/networkSizes", NULL, NULL, res);
    buf_free(&path);
    if (rc < 0)
        return -1;
    /* Posts, newest first, until a page adds nothing. The newest page's
     * statistics are read each time (a new snapshot of each); comments are
     * read under every post this sync went through. */
    json_t *recent = json_array(), *seen = json_array();
    for (int page = 1, start = 0; rc == 0 && page <= LI_PAGES; page++, start += LI_COUNT) {
        buf_puts(&path, "/rest/posts?q=author&author=");
        connect_put_enc(&path, org);
        buf_printf(&path, "&count=%d&start=%d&sortBy=LAST_MODIFIED", LI_COUNT, start);
        char what[64];
        snprintf(what, sizeof what, "GET /rest/posts, page %d", page);
        json_t *j = NULL;
        int64_t added = 0;
        rc = fetch_import(s, sink, path.data, what, &added, &j, res);
        buf_free(&path);
        json_t *els = json_object_get(j, "elements"), *p;
        size_t i;
        json_array_foreach (els, i, p) {
            const char *id = json_string_value(json_object_get(p, "id"));
            if (is_urn(id))
                json_array_append_new(page == 1 ? recent : seen, json_string(id));
        }
        size_t got = json_array_size(els);
        json_decref(j);
        if (got < LI_COUNT || added == 0)
            break;
    }
    /* Their statistics: one call, shares and ugcPosts listed apart. */
    if (rc == 0 && json_array_size(recent)) {
        struct buf shares = {0}, ugc = {0};
        size_t i;
        json_t *id;
        json_array_foreach (recent, i, id) {
            const char *u = json_string_value(id);
            struct buf *b = str_starts_with(u, "urn:li:ugcPost:") ? &ugc : &shares;
            buf_puts(b, b->len ? "," : "");
            connect_put_enc(b, u);
        }
        buf_puts(&path, "/rest/organizationalEntityShareStatistics?q=organizationalEntity"
                        "&organizationalEntity=");
        connect_put_enc(&path, org);
        if (shares.len)
            buf_printf(&path, "&shares=List(%s)", shares.data);
        if (ugc.len)
            buf_printf(&path, "&ugcPosts=List(%s)", ugc.data);
        rc = fetch_import(s, sink, path.data, "GET /rest/organizationalEntityShareStatistics", NULL,
                          NULL, res);
        buf_free(&path);
        buf_free(&shares);
        buf_free(&ugc);
    }
    json_array_extend(recent, seen);
    json_decref(seen);
    size_t i;
    json_t *id;
    json_array_foreach (recent, i, id) {
        if (rc == 0)
            rc = sync_comments(s, sink, json_string_value(id), res);
    }
    json_decref(recent);
    return rc;
}

/* ---- actions ------------------------------------------------------------------------ */

static void compose(const struct connect_action *a, struct buf *out)
{
    buf_puts(out, a->text ? a->text : "");
}

static void post_done(const char *urn, struct connect_done *out)
{
    snprintf(out->id, sizeof out->id, "%.127s", urn);
    snprintf(out->permalink, sizeof out->permalink, "https://www.linkedin.com/feed/update/%s/",
             urn);
}

/* An image for a post, as LinkedIn's Images API has it: initializeUpload
 * for the page gives an upload URL and the image's URN, the bytes go to
 * that URL with a PUT, and the post then names the URN. The URN into urn
 * (size n). An upload whose answer is lost is only an unused image: it is
 * tried again, not looked up. */
static int upload_image(struct connect_session *s, const struct connect_action *a, char *urn,
                        size_t n, struct connect_result *res)
{
    const char *what = "POST /rest/images?action=initializeUpload";
    json_t *body = json_pack("{s:{s:s}}", "initializeUploadRequest", "owner",
                             s->account_id ? s->account_id : "");
    struct connect_response r;
    int rc = li_call(s, "POST", "/rest/images?action=initializeUpload", body, what, false, &r, res);
    json_decref(body);
    if (rc)
        return -1;
    json_t *j = connect_body_json(&r);
    json_t *v = json_object_get(j, "value");
    const char *url = json_string_value(json_object_get(v, "uploadUrl"));
    const char *img = json_string_value(json_object_get(v, "image"));
    char upload[2048] = "";
    if (url && is_urn(img) && strlen(url) < sizeof upload) {
        snprintf(upload, sizeof upload, "%s", url);
        snprintf(urn, n, "%s", img);
    }
    json_decref(j);
    connect_response_free(&r);
    if (!upload[0])
        return connect_fail(res, CO_TEMPORARY, "%s: LinkedIn's answer has no uploadUrl and image",
                            what);
    /* The upload URL is LinkedIn's own (www.linkedin.com in production, not
     * the API's host): a client of its own, https only, unless it is under
     * the API's address (as the fake's is). */
    struct connect_http *own = NULL;
    struct connect_http *h = s->http;
    struct error e = {0};
    if (!s->cfg->api_url || !str_starts_with(upload, s->cfg->api_url)) {
        /* The page's token goes with the bytes: only to LinkedIn's hosts. */
        const char *host = upload + strlen("https://");
        size_t hn = strcspn(host, "/?#:@");
        static const char dom[] = ".linkedin.com";
        if (!str_starts_with(upload, "https://") || host[hn] == '@' || hn < sizeof dom - 1 ||
            strncmp(host + hn - (sizeof dom - 1), dom, sizeof dom - 1) != 0)
            return connect_fail(res, CO_TEMPORARY,
                                "%s: the upload URL is not https on a linkedin.com host", what);
        struct connect_http_config hc = {.base_url = upload};
        own = connect_http_new(&hc, &e);
        if (!own)
            return connect_fail(res, CO_TEMPORARY, "%s: the upload URL: %s", what, e.msg);
        h = own;
    }
    struct connect_request rq = {.method = "PUT",
                                 .path = upload,
                                 .bearer = s->tokens->access_token,
                                 .headers = li_headers,
                                 .content_type = a->image_type && *a->image_type
                                                     ? a->image_type
                                                     : "application/octet-stream",
                                 .body = (const char *)a->image,
                                 .body_len = a->image_len};
    rc = connect_http_send(h, &rq, &r, &e);
    int ret = li_check(res, "PUT the image to LinkedIn's upload URL", &r, rc, &e, false);
    connect_response_free(&r);
    connect_http_free(own);
    return ret;
}

static int publish(struct connect_session *s, const struct connect_action *a,
                   struct connect_done *out, struct connect_result *res)
{
    char image[128] = "";
    if (a->image && a->image_len && upload_image(s, a, image, sizeof image, res) < 0)
        return -1;
    struct buf text = {0};
    compose(a, &text);
    json_t *body = json_pack("{s:s, s:s%, s:s, s:{s:s, s:[], s:[]}, s:s, s:b}", "author",
                             s->account_id, "commentary", text.data ? text.data : "", text.len,
                             "visibility", "PUBLIC", "distribution", "feedDistribution",
                             "MAIN_FEED", "targetEntities", "thirdPartyDistributionChannels",
                             "lifecycleState", "PUBLISHED", "isReshareDisabledByAuthor", 0);
    buf_free(&text);
    if (!body)
        return connect_fail(res, CO_REJECTED, "LinkedIn: the post's text is not UTF-8");
    if (image[0])
        json_object_set_new(body, "content",
                            json_pack("{s:{s:s, s:s}}", "media", "id", image, "altText",
                                      a->image_alt ? a->image_alt : ""));
    else if (a->link && *a->link)
        json_object_set_new(
            body, "content",
            json_pack("{s:{s:s, s:s}}", "article", "source", a->link, "title", a->link));
    struct connect_response r;
    int rc = li_call(s, "POST", "/rest/posts", body, "POST /rest/posts", true, &r, res);
    json_decref(body);
    if (rc)
        return -1;
    int ret = 0;
    if (is_urn(r.restli_id))
        post_done(r.restli_id, out);
    else /* made, but which post it is cannot be told: look it up */
        ret = connect_fail(res, CO_LOST, "POST /rest/posts: LinkedIn's answer has no x-restli-id");
    connect_response_free(&r);
    return ret;
}

/* "urn:li:comment:(OBJECT,ID)": the thing commented on and the comment's
 * id. false for anything else. */
static bool comment_parts(const char *urn, char *object, size_t on, char *id, size_t idn)
{
    const char *pre = "urn:li:comment:(";
    if (!is_urn(urn) || !str_starts_with(urn, pre))
        return false;
    const char *o = urn + strlen(pre), *comma = strrchr(o, ','), *end = strrchr(o, ')');
    if (!comma || !end || end < comma || end[1] || comma == o || end == comma + 1)
        return false;
    snprintf(object, on, "%.*s", (int)(comma - o), o);
    snprintf(id, idn, "%.*s", (int)(end - comma - 1), comma + 1);
    return true;
}

static int reply(struct connect_session *s, const struct connect_action *a,
                 struct connect_done *out, struct connect_result *res)
{
    if (!a->text || !*a->text)
        return connect_fail(res, CO_REJECTED, "LinkedIn: a reply needs text");
    char object[256], cid[64];
    bool nested = comment_parts(a->target, object, sizeof object, cid, sizeof cid);
    if (!nested)
        snprintf(object, sizeof object, "%s", a->target);
    json_t *body = json_pack("{s:s, s:s, s:{s:s}}", "actor", s->account_id, "object", object,
                             "message", "text", a->text);
    if (!body)
        return connect_fail(res, CO_REJECTED, "LinkedIn: the reply's text is not UTF-8");
    if (nested)
        json_object_set_new(body, "parentComment", json_string(a->target));
    struct buf path = {0};
    put_comments(&path, a->target);
    struct connect_response r;
    const char *what = "POST /rest/socialActions/:urn/comments";
    int rc = li_call(s, "POST", path.data, body, what, true, &r, res);
    buf_free(&path);
    json_decref(body);
    if (rc)
        return -1;
    json_t *j = connect_body_json(&r);
    const char *urn = json_string_value(json_object_get(j, "$URN"));
    if (!urn)
        urn = r.restli_id;
    int ret = 0;
    if (is_urn(urn))
        snprintf(out->id, sizeof out->id, "%.127s", urn);
    else
        ret = connect_fail(res, CO_LOST, "%s: LinkedIn's answer has no comment URN", what);
    json_decref(j);
    connect_response_free(&r);
    return ret;
}

static int li_act(struct connect_session *s, const struct connect_action *a,
                  struct connect_done *out, struct connect_result *res)
{
    if (connect_act_begin(s, out, LI_NO_TOKEN, res))
        return -1;
    if (!is_urn(s->account_id))
        return connect_fail(res, CO_REJECTED, "LinkedIn: the channel has no organisation URN");
    if (a->kind == ACT_PUBLISH)
        return publish(s, a, out, res);
    if (!is_urn(a->target))
        return connect_fail(res, CO_REJECTED, "LinkedIn: '%.60s' is not a LinkedIn URN",
                            a->target ? a->target : "");
    struct buf path = {0};
    const char *what;
    char object[256], cid[64];
    switch (a->kind) {
    case ACT_REPLY:
        return reply(s, a, out, res);
    case ACT_DELETE_POST:
        buf_puts(&path, "/rest/posts/");
        connect_put_enc(&path, a->target);
        what = "DELETE /rest/posts/:urn";
        break;
    case ACT_DELETE_MESSAGE:
        if (!comment_parts(a->target, object, sizeof object, cid, sizeof cid))
            return connect_fail(res, CO_REJECTED, "LinkedIn: '%.60s' is not a comment's URN",
                                a->target);
        put_comments(&path, object);
        buf_putc(&path, '/');
        connect_put_enc(&path, cid);
        connect_put_param(&path, "actor", s->account_id);
        what = "DELETE /rest/socialActions/:urn/comments/:id";
        break;
    default:
        return connect_fail(res, CO_REJECTED, "LinkedIn cannot do '%s' through its API",
                            connect_action_names[a->kind]);
    }
    struct connect_response r;
    struct error e = {0};
    int rc = li_send(s, "DELETE", path.data, NULL, &r, &e);
    buf_free(&path);
    /* Deleting what is gone already is done too. */
    int ret = rc == 0 && r.status == 404 ? 0 : li_check(res, what, &r, rc, &e, false);
    connect_response_free(&r);
    return ret;
}

/* Whether a post or reply whose answer was lost was made: the page's
 * newest posts, or the comments under the target, with the same text by
 * the page. */
static int li_lookup(struct connect_session *s, const struct connect_action *a,
                     struct connect_done *out, struct connect_result *res)
{
    *out = (struct connect_done){0};
    if (a->kind != ACT_PUBLISH && a->kind != ACT_REPLY)
        return 0;
    if (!s->tokens || !s->tokens->access_token || !is_urn(s->account_id))
        return connect_fail(res, CO_AUTH, "LinkedIn: looking up needs the page's token");
    if (a->kind == ACT_REPLY && !is_urn(a->target))
        return 0;
    struct buf path = {0}, want = {0};
    compose(a, &want);
    if (a->kind == ACT_PUBLISH) {
        buf_puts(&path, "/rest/posts?q=author&author=");
        connect_put_enc(&path, s->account_id);
        buf_puts(&path, "&count=50&start=0&sortBy=LAST_MODIFIED");
    } else {
        put_comments(&path, a->target);
        buf_puts(&path, "?count=100&start=0");
    }
    struct connect_response r;
    int rc = li_call(s, "GET", path.data, NULL, "GET (lookup)", false, &r, res);
    buf_free(&path);
    if (rc) {
        buf_free(&want);
        return -1;
    }
    json_t *j = connect_body_json(&r), *x;
    connect_response_free(&r);
    size_t i;
    int found = 0;
    json_array_foreach (json_object_get(j, "elements"), i, x) {
        bool mine;
        const char *text, *id;
        if (a->kind == ACT_PUBLISH) {
            mine = str_eq(json_string_value(json_object_get(x, "author")), s->account_id);
            text = json_string_value(json_object_get(x, "commentary"));
            id = json_string_value(json_object_get(x, "id"));
        } else {
            mine = str_eq(json_string_value(json_object_get(x, "actor")), s->account_id);
            text = json_string_value(json_object_get(json_object_get(x, "message"), "text"));
            id = json_string_value(json_object_get(x, "$URN"));
        }
        if (mine && is_urn(id) && str_eq(text, want.data ? want.data : "")) {
            if (a->kind == ACT_PUBLISH)
                post_done(id, out);
            else
                snprintf(out->id, sizeof out->id, "%.127s", id);
            found = 1;
            break;
        }
    }
    json_decref(j);
    buf_free(&want);
    return found;
}

const struct connector connector_linkedin = {
    .platform = "linkedin",
    .title = "LinkedIn",
    /* The Community Management API's page scopes: read and write the
     * page's posts and comments, its statistics and followers. */
    .scopes = "r_organization_social w_organization_social rw_organization_admin",
    .api_url = "https://api.linkedin.com",
    .auth_url = "https://www.linkedin.com/oauth/v2/authorization",
    .pkce = false,
    .actions =
        1u << ACT_PUBLISH | 1u << ACT_DELETE_POST | 1u << ACT_REPLY | 1u << ACT_DELETE_MESSAGE,
    .authorize_url = li_authorize_url,
    .exchange = li_exchange,
    .refresh = li_refresh,
    .sync = li_sync,
    .act = li_act,
    .lookup = li_lookup,
};
