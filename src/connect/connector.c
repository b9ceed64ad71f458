/* connector: what every connector shares: the table of them, and the
 * mapping of an answer that is not a success to the outcome the job layer
 * acts on (retry, wait, stop, reconnect). One file per platform holds the
 * rest. */
#include <assert.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "connect/connect.h"

const char *const connect_outcome_names[CO_OUTCOME_COUNT] = {
    [CO_OK] = "ok",
    [CO_AUTH] = "auth",
    [CO_RATE] = "rate",
    [CO_TEMPORARY] = "temporary",
    [CO_REJECTED] = "rejected",
    [CO_LOST] = "lost",
};

const char *const connect_action_names[ACT_KIND_COUNT] = {
    [ACT_PUBLISH] = "publish", [ACT_DELETE_POST] = "delete-post",
    [ACT_REPLY] = "reply",     [ACT_HIDE] = "hide",
    [ACT_UNHIDE] = "unhide",   [ACT_DELETE_MESSAGE] = "delete-message",
    [ACT_LIKE] = "like",
};

const char *connect_action_name(enum connect_action_kind k, const char *other)
{
    return (unsigned)k < ACT_KIND_COUNT ? connect_action_names[k] : other;
}

const char *connect_act_target(const struct connect_session *s, const struct connect_action *a,
                               const char *whose, struct connect_done *out,
                               struct connect_result *res)
{
    memset(out, 0, sizeof *out);
    if (!s->tokens || !s->account_id) {
        connect_fail(res, CO_AUTH, "the channel is not connected");
        return NULL;
    }
    const char *t = a->target ? a->target : "";
    if (a->kind != ACT_PUBLISH && !*t) {
        connect_fail(res, CO_REJECTED, "%s needs %s id", connect_action_name(a->kind, "do that"),
                     whose);
        return NULL;
    }
    return t;
}

int connect_need_token(const struct connect_session *s, const char *no_token,
                       struct connect_result *res)
{
    if (!s->tokens || !s->tokens->access_token)
        return connect_fail(res, CO_AUTH, "%s", no_token);
    return 0;
}

int connect_act_begin(const struct connect_session *s, struct connect_done *out,
                      const char *no_token, struct connect_result *res)
{
    *out = (struct connect_done){0};
    return connect_need_token(s, no_token, res);
}

bool connect_link_has_ext(const char *link, const char *const *exts)
{
    size_t n = strcspn(link, "?#");
    for (const char *const *e = exts; *e; e++) {
        size_t k = strlen(*e);
        if (n > k && strncasecmp(link + n - k, *e, k) == 0)
            return true;
    }
    return false;
}

void connect_account_of_user(struct connect_account *acc, const char *id, const char *user,
                             const char *name)
{
    snprintf(acc->id, sizeof acc->id, "%s", id);
    snprintf(acc->handle, sizeof acc->handle, "@%s", user);
    snprintf(acc->name, sizeof acc->name, "%s", name && *name ? name : user);
}

/* Each platform's file defines its connector; the table lists them. */
extern const struct connector connector_bluesky, connector_facebook, connector_instagram,
    connector_mastodon, connector_x;
extern const struct connector connector_threads, connector_tiktok;
extern const struct connector connector_youtube, connector_linkedin;

const struct connector *const connectors[] = {
    &connector_bluesky,   &connector_facebook,
    &connector_instagram, &connector_mastodon,
    &connector_x,         &connector_threads,
    &connector_tiktok,    &connector_youtube,
    &connector_linkedin,  NULL,
};

const struct connector *connector_find(const char *platform)
{
    for (const struct connector *const *c = connectors; platform && *c; c++)
        if (strcmp((*c)->platform, platform) == 0)
            return *c;
    return NULL;
}

int(connect_fail)(struct connect_result *r, enum connect_outcome o, const char *fmt, ...)
{
    r->outcome = o;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->message, sizeof r->message, fmt, ap);
    va_end(ap);
    return -1;
}

int connect_fail_http(struct connect_result *r, const char *what,
                      const struct connect_response *resp, int call_rc,
                      const struct error *call_err, bool sent_action)
{
    r->status = call_rc == 0 ? resp->status : 0;
    if (call_rc != 0) {
        const char *why = call_err && call_err->msg[0] ? call_err->msg : "no answer";
        if (sent_action && resp->retriable)
            return connect_fail(r, CO_LOST,
                                "%s: %s; it may have been done, so it is looked up "
                                "before it is sent again",
                                what, why);
        return connect_fail(r, resp->retriable ? CO_TEMPORARY : CO_REJECTED, "%s", why);
    }
    if (resp->status == 429 || resp->rl.limited) {
        r->retry_at = resp->rl.retry_at;
        return connect_fail(r, CO_RATE, "%s: rate limited (HTTP %ld)", what, resp->status);
    }
    if (resp->status == 401)
        return connect_fail(r, CO_AUTH, "%s: the platform no longer accepts the token (HTTP 401)",
                            what);
    if (resp->status >= 500)
        return connect_fail(r, CO_TEMPORARY, "%s: the platform failed (HTTP %ld)", what,
                            resp->status);
    return connect_fail(r, CO_REJECTED, "%s: refused (HTTP %ld)", what, resp->status);
}

/* KANAL_<PLATFORM>_<WHAT>, or NULL when unset or empty. */
static const char *env_for(const char *platform, const char *what)
{
    char name[96];
    size_t n = (size_t)snprintf(name, sizeof name, "KANAL_%s_%s", platform, what);
    assert(n < sizeof name);
    for (char *p = name; *p; p++)
        *p = (char)toupper((unsigned char)*p);
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

void connect_config_from_env(const struct connector *c, const char *public_url,
                             struct connect_env_config *out)
{
    *out = (struct connect_env_config){0};
    struct connect_platform_config *cfg = &out->cfg;
    const char *v;
    cfg->api_url = (v = env_for(c->platform, "API_URL")) ? v : c->api_url;
    cfg->auth_url = (v = env_for(c->platform, "AUTH_URL")) ? v : c->auth_url;
    cfg->token_url = env_for(c->platform, "TOKEN_URL");
    cfg->client_id = env_for(c->platform, "CLIENT_ID");
    cfg->client_secret = env_for(c->platform, "CLIENT_SECRET");
    if (public_url && *public_url) {
        size_t n = strlen(public_url);
        while (n && public_url[n - 1] == '/')
            n--;
        snprintf(out->redirect_buf, sizeof out->redirect_buf, "%.*s/oauth/callback", (int)n,
                 public_url);
        cfg->redirect_uri = out->redirect_buf;
    }
}

int connect_sink_page(struct sync_sink *sink, enum ingest_format format, const char *what,
                      const struct connect_response *r, int64_t *added, struct connect_result *res)
{
    struct error e = {0};
    if (sink->page(sink, format, what, r->body.data ? r->body.data : "", r->body.len, added, &e) <
        0)
        return connect_fail(res, CO_REJECTED, "%s: the answer could not be imported: %s", what,
                            e.msg);
    return 0;
}

int64_t connect_kept_time(struct sync_sink *sink, const char *resource)
{
    const char *v = sink->cursor_get ? sink->cursor_get(sink, resource) : NULL;
    int64_t t;
    return v && str_to_i64(v, &t) == 0 ? t : 0;
}

int connect_keep_time(struct sync_sink *sink, const char *resource, int64_t t, struct error *err)
{
    if (!sink->cursor_set)
        return 0;
    char v[32];
    snprintf(v, sizeof v, "%lld", (long long)t);
    return sink->cursor_set(sink, resource, v, err) < 0 ? -1 : 0;
}

void connect_ids_add(struct connect_ids *ids, const char *id)
{
    if (ids->n == ids->cap) {
        ids->cap = ids->cap ? ids->cap * 2 : 32;
        ids->v = xrealloc(ids->v, ids->cap * sizeof *ids->v);
    }
    ids->v[ids->n++] = xstrdup(id);
}

void connect_ids_free(struct connect_ids *ids)
{
    for (size_t i = 0; i < ids->n; i++)
        free(ids->v[i]);
    free(ids->v);
    *ids = (struct connect_ids){0};
}
