/* What the OAuth 2 connectors share: percent-encoding, authorization URLs,
 * the token request and the reading of its answer. Each platform keeps what
 * is its own (which fields, which auth, which error words). */
#include <string.h>

#include <sodium.h>

#include "connect/connect.h"

void connect_put_enc(struct buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            *p == '-' || *p == '.' || *p == '_' || *p == '~') {
            buf_putc(b, (char)*p);
        } else {
            buf_putc(b, '%');
            buf_putc(b, hex[*p >> 4]);
            buf_putc(b, hex[*p & 15]);
        }
    }
}

void connect_put_param(struct buf *url, const char *name, const char *value)
{
    buf_putc(url, url->data && strchr(url->data, '?') ? '&' : '?');
    buf_puts(url, name);
    buf_putc(url, '=');
    connect_put_enc(url, value);
}

static void put_pairs(struct buf *b, const char *const *pairs)
{
    for (const char *const *f = pairs; f && f[0]; f += 2) {
        if (b->len && b->data[b->len - 1] != '?' && b->data[b->len - 1] != '&')
            buf_putc(b, '&');
        connect_put_enc(b, f[0]);
        buf_putc(b, '=');
        connect_put_enc(b, f[1]);
    }
}

void connect_put_query(struct buf *url, const char *base, const char *const *pairs)
{
    buf_puts(url, base);
    buf_putc(url, strchr(base, '?') ? '&' : '?');
    put_pairs(url, pairs);
}

int connect_consent_url(const struct consent_form *f, const struct connect_session *s,
                        const char *state, const char *code_challenge, struct buf *url,
                        struct error *err)
{
    const struct connect_platform_config *c = s->cfg;
    if (!c->client_id || !*c->client_id)
        return error_set(err, ERR_INVALID, "%s", f->no_client);
    if (!c->redirect_uri || !state || !*state || (f->pkce && (!code_challenge || !*code_challenge)))
        return error_set(err, ERR_INVALID, "%s", f->incomplete);
    const char *q[] = {"response_type",
                       "code",
                       f->client_param ? f->client_param : "client_id",
                       c->client_id,
                       "redirect_uri",
                       c->redirect_uri,
                       "scope",
                       f->scopes,
                       "state",
                       state,
                       f->pkce ? "code_challenge" : NULL,
                       code_challenge,
                       "code_challenge_method",
                       "S256",
                       NULL};
    connect_put_query(url, c->auth_url ? c->auth_url : f->auth_url, q);
    put_pairs(url, f->extra);
    return 0;
}

json_t *connect_body_json(const struct connect_response *r)
{
    return r->body.len ? json_loadb(r->body.data, r->body.len, 0, NULL) : NULL;
}

void connect_response_wipe(struct connect_response *r)
{
    if (r->body.data)
        sodium_memzero(r->body.data, r->body.cap);
    connect_response_free(r);
}

void connect_buf_wipe(struct buf *b)
{
    if (b->data)
        sodium_memzero(b->data, b->cap);
    buf_free(b);
}

int connect_token_post(const struct token_post *t, struct connect_response *r, struct error *err)
{
    memset(r, 0, sizeof *r);
    struct buf body = {0};
    buf_puts(&body, "");
    for (int i = 0; i < 3; i++)
        put_pairs(&body, t->pairs[i]);
    /* The token endpoint on another host than the API: a client of its own,
     * so that nothing is sent anywhere not configured. */
    struct connect_http *http = t->http, *own = NULL;
    const char *path = t->path;
    if (t->url && *t->url) {
        struct connect_http_config hc = {.base_url = t->url};
        struct error e = {0};
        own = http = connect_http_new(&hc, &e);
        path = t->url;
        if (!own) {
            connect_buf_wipe(&body);
            error_set(err, ERR_INVALID, "%s: %s", t->url_setting ? t->url_setting : "token URL",
                      e.msg);
            return -2;
        }
    }
    struct connect_request rq = {.method = "POST",
                                 .path = path,
                                 .headers = t->headers,
                                 .content_type = "application/x-www-form-urlencoded",
                                 .body = body.data,
                                 .body_len = body.len};
    int rc = connect_http_send(http, &rq, r, err);
    connect_buf_wipe(&body);
    connect_http_free(own);
    return rc;
}

int connect_token_read(json_t *j, int64_t now, const char *who, const char *what, unsigned flags,
                       struct channel_tokens *out, struct connect_result *res)
{
    const char *access = json_string_value(json_object_get(j, "access_token"));
    const char *refresh = json_string_value(json_object_get(j, "refresh_token"));
    const char *scope = json_string_value(json_object_get(j, "scope"));
    json_t *exp = json_object_get(j, "expires_in");
    bool exp_ok = json_is_integer(exp) && json_integer_value(exp) > 0;
    if (!access || !*access || strlen(access) > VAULT_TOKEN_MAX)
        return connect_fail(res, CO_REJECTED, "%s: %s answer has no access_token", what, who);
    if ((flags & TOKEN_EXPIRY_STRICT) && exp && !exp_ok)
        return connect_fail(res, CO_REJECTED, "%s: %s expires_in is not a positive number", what,
                            who);
    out->access_token = xstrdup(access);
    out->refresh_token = refresh && *refresh ? xstrdup(refresh) : NULL;
    out->expires_at = exp_ok ? now + json_integer_value(exp) : 0;
    out->scopes = scope ? xstrdup(scope) : NULL;
    for (char *p = out->scopes; p && (flags & TOKEN_SCOPE_COMMAS) && *p; p++)
        if (*p == ',')
            *p = ' ';
    return 0;
}

int connect_fail_said(struct connect_result *res, enum connect_outcome o, const char *what,
                      const struct platform_voice *v, const char *words, const char *oauth,
                      long status)
{
    if (o == CO_AUTH && oauth)
        /* The code or the refresh token is spent or revoked: only the
         * person can give a new one. */
        return connect_fail(res, o, "%s: %s: %s (%s); connect the %s again", what,
                            v->grantor ? v->grantor : v->name, words ? words : "refused", oauth,
                            v->account);
    if (o == CO_AUTH)
        /* Expired (a refresh may help) or revoked (then the refresh fails). */
        return connect_fail(res, o, "%s: %s does not accept the %s's token: %s (HTTP %ld)", what,
                            v->name, v->account, words ? words : "unauthorized", status);
    if (o == CO_RATE && res->retry_at) {
        char at[21];
        time_format_iso(res->retry_at, at);
        return connect_fail(res, o, "%s: %s: %s (HTTP %ld); calls resume at %s", what, v->name,
                            words ? words : "rate limited", status, at);
    }
    return connect_fail(res, o, "%s: %s: %s (HTTP %ld)", what, v->name, words ? words : "refused",
                        status);
}

int connect_check(connect_fail_fn fail, struct connect_result *res, const char *what,
                  const struct connect_response *r, int rc, const struct error *err,
                  bool sent_action)
{
    if (rc == 0 && r->status >= 200 && r->status < 300)
        return 0;
    return fail(res, what, r, rc, err, sent_action);
}

int connect_token_get(const struct token_post *t, int64_t now, struct channel_tokens *out,
                      struct connect_result *res)
{
    struct connect_response r;
    struct error e = {0};
    int rc = connect_token_post(t, &r, &e);
    if (rc == -2)
        return connect_fail(res, CO_REJECTED, "%s", e.msg);
    int ret = connect_check(t->fail, res, t->what, &r, rc, &e, false);
    if (ret == 0) {
        json_t *j = connect_body_json(&r);
        ret = connect_token_read(j, now, t->who, t->what, t->flags, out, res);
        json_decref(j);
    }
    connect_response_wipe(&r);
    return ret;
}

int connect_code_exchange(const struct code_grant *g, struct connect_session *s, const char *code,
                          const char *verifier, struct channel_tokens *tokens,
                          struct connect_account *accounts, int max, int *n,
                          struct connect_result *res)
{
    *n = 0;
    if (max < 1 || !code || !*code || !verifier || !*verifier)
        return connect_fail(res, CO_REJECTED,
                            "%s token request needs the code and the PKCE verifier", g->who);
    if (!s->cfg->redirect_uri)
        return connect_fail(res, CO_REJECTED,
                            "%s token request needs the redirect URI (PUBLIC_URL)", g->who);
    const char *fields[] = {"code",
                            code,
                            "grant_type",
                            "authorization_code",
                            "redirect_uri",
                            s->cfg->redirect_uri,
                            "code_verifier",
                            verifier,
                            NULL};
    struct channel_tokens t = {0};
    if (g->token(s, fields, &t, res) < 0)
        return -1;
    struct connect_response r = {0};
    struct connect_account acc = {0};
    int rc = g->me(s, t.access_token, &r, &acc, res);
    connect_response_free(&r);
    if (rc < 0) {
        channel_tokens_clear(&t);
        return -1;
    }
    tokens[0] = t;
    accounts[0] = acc;
    *n = 1;
    return 0;
}

int connect_code_refresh(const struct code_grant *g, struct connect_session *s,
                         struct channel_tokens *out, struct connect_result *res)
{
    const char *rt = s->tokens ? s->tokens->refresh_token : NULL;
    if (!rt || !*rt)
        return connect_fail(res, CO_AUTH, "%s", g->no_refresh);
    const char *fields[] = {"refresh_token", rt, "grant_type", "refresh_token", NULL};
    return g->token(s, fields, out, res);
}

int connect_client_token_get(const struct token_post *t, const struct connect_session *s,
                             const char *prefix, const char *const *fields,
                             struct channel_tokens *out, struct connect_result *res)
{
    const struct connect_platform_config *c = s->cfg;
    if (!c->client_id || !*c->client_id || !c->client_secret || !*c->client_secret)
        return connect_fail(res, CO_REJECTED, "%s: set %s_CLIENT_ID and %s_CLIENT_SECRET", t->what,
                            prefix, prefix);
    const char *client[] = {"client_id", c->client_id, "client_secret", c->client_secret, NULL};
    struct token_post tp = *t;
    if (c->token_url && *c->token_url)
        tp.url = c->token_url;
    tp.pairs[0] = client;
    tp.pairs[1] = fields;
    return connect_token_get(&tp, s->now, out, res);
}

void connect_tokens_carry(struct channel_tokens *out, const struct channel_tokens *before)
{
    if (!out->refresh_token && before->refresh_token)
        out->refresh_token = xstrdup(before->refresh_token);
    if (!out->scopes && before->scopes)
        out->scopes = xstrdup(before->scopes);
}
