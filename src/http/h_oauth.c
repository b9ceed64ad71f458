/* h_oauth: connecting an account over HTTP: the platforms kanal can
 * connect (and what each still needs configured), starting a consent, and
 * the callback the platform sends the browser back to, which finishes it
 * and takes the person to the desk's channels. No answer here holds a
 * token, a secret or a PKCE verifier. */
#include "connect/connect.h"
#include "http/internal.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void h_connectors(struct request *r)
{
    if (!request_params(r, NULL))
        return;
    json_t *items = json_array();
    for (const struct connector *const *c = connectors; *c; c++) {
        char why[400];
        bool off = oauth_unconfigured(*c, r->cfg->public_url, r->cfg->secret_key, why, sizeof why);
        struct connect_env_config env;
        connect_config_from_env(*c, r->cfg->public_url, &env);
        json_array_append_new(
            items,
            json_pack("{s:s, s:s, s:s, s:b, s:o, s:b, s:b, s:b, s:o}", "platform", (*c)->platform,
                      "title", (*c)->title, "scopes", (*c)->scopes ? (*c)->scopes : "",
                      "configured", !off, "problem", off ? json_string(why) : json_null(), "pkce",
                      (*c)->pkce, "per_instance", (*c)->per_instance_app,
                      /* no consent screen: the desk asks for identifier and password */
                      "credentials", !(*c)->authorize_url, "redirect_uri",
                      env.cfg.redirect_uri ? json_string(env.cfg.redirect_uri) : json_null()));
    }
    reply_json(r, 200, json_pack("{s:o}", "items", items));
}

/* A platform without a consent screen (Bluesky): the account's own
 * identifier and app password, exchanged at once; 201 with the channels. */
static void connect_direct(struct request *r, const struct oauth_begin *b, json_t *in)
{
    json_t *id = json_object_get(in, "identifier"), *pw = json_object_get(in, "password");
    struct error err = {0};
    struct oauth_outcome out;
    if (oauth_connect_direct(r->db, r->cfg->secret_key, b, json_string_value(id),
                             json_string_value(pw), &out, &err)) {
        reply_error(r, &err);
        return;
    }
    json_t *chans = json_array();
    for (int i = 0; i < out.n; i++)
        json_array_append_new(chans,
                              json_pack("{s:I, s:s, s:s, s:b}", "channel_id",
                                        (json_int_t)out.channels[i].channel_id, "platform",
                                        out.channels[i].platform, "handle", out.channels[i].handle,
                                        "created", out.channels[i].created));
    reply_json(
        r, 201,
        json_pack("{s:I, s:o}", "workspace_id", (json_int_t)out.workspace_id, "channels", chans));
}

void h_connect_start(struct request *r)
{
    static const char *const known[] = {"platform",   "workspace_id", "instance", "channel_id",
                                        "identifier", "password",     NULL};
    json_t *in = request_json_fields(r, known,
                                     "platform, workspace_id, and instance, channel_id, or "
                                     "identifier and password where they apply");
    if (!in)
        return;
    struct error err = {0};
    const char *platform = json_string_value(json_object_get(in, "platform"));
    const struct connector *c = connector_find(platform);
    if (!c) {
        error_field(&err, ERR_INVALID, "platform",
                    "platform: kanal cannot connect '%s' (GET /api/v1/connectors lists what it "
                    "can)",
                    platform ? platform : "");
        reply_error(r, &err);
        return;
    }
    json_t *ws = json_object_get(in, "workspace_id"), *ch = json_object_get(in, "channel_id"),
           *inst = json_object_get(in, "instance");
    char ref[32] = "";
    int64_t ws_id = 0;
    if (json_is_integer(ws))
        snprintf(ref, sizeof ref, "%lld", (long long)json_integer_value(ws));
    if (!(json_is_integer(ws) || json_is_string(ws)) ||
        workspace_resolve(r->db, json_is_string(ws) ? json_string_value(ws) : ref, &ws_id, &err)) {
        if (!err.msg[0])
            error_field(&err, ERR_INVALID, "workspace_id",
                        "workspace_id: required, the workspace's id or slug");
        reply_error(r, &err);
        return;
    }
    if ((ch && !json_is_null(ch) && (!json_is_integer(ch) || json_integer_value(ch) < 1)) ||
        (inst && !json_is_null(inst) && !json_is_string(inst))) {
        reply_errorf(r, 400, "invalid",
                     "channel_id must be a channel's id and instance a server's address");
        return;
    }
    char why[400];
    if (oauth_unconfigured(c, r->cfg->public_url, r->cfg->secret_key, why, sizeof why)) {
        reply_errorf(r, 503, "not_configured", "%s", why);
        return;
    }
    struct oauth_begin b = {.connector = c,
                            .public_url = r->cfg->public_url,
                            .workspace_id = ws_id,
                            .user_id = r->user.id,
                            .instance = json_string_value(inst),
                            .channel_id = json_is_integer(ch) ? json_integer_value(ch) : 0,
                            .now = time_now()};
    if (!c->authorize_url) {
        connect_direct(r, &b, in);
        return;
    }
    struct oauth_consent out;
    if (oauth_start(r->db, r->cfg->secret_key, &b, &out, &err)) {
        reply_error(r, &err);
        return;
    }
    char expires[21];
    time_format_iso(out.expires_at, expires);
    reply_json(r, 200,
               json_pack("{s:s, s:s, s:s, s:s*}", "authorize_url", out.url, "scopes",
                         out.scopes ? out.scopes : "", "expires_at", expires, "instance",
                         out.api_url[0] ? out.api_url : NULL));
    free(out.url);
}

/* ---- the callback ----------------------------------------------------------------- */

/* A small page for the person in the browser: what happened, in words. */
static void page(struct request *r, unsigned status, const char *title, const char *text,
                 const char *pre, const char *refresh)
{
    r->status = status;
    r->content_type = "text/html; charset=utf-8";
    buf_reset(&r->out);
    buf_puts(&r->out, "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
    if (refresh) {
        buf_puts(&r->out, "<meta http-equiv=\"refresh\" content=\"0; url=");
        buf_html_escape(&r->out, refresh);
        buf_puts(&r->out, "\">");
    }
    buf_puts(&r->out, "<title>kanal: ");
    buf_html_escape(&r->out, title);
    buf_puts(&r->out, "</title><link rel=\"stylesheet\" href=\"/style.css\"></head>\n<body><main>"
                      "<h1>");
    buf_html_escape(&r->out, title);
    buf_puts(&r->out, "</h1>\n<p>");
    buf_html_escape(&r->out, text);
    buf_puts(&r->out, "</p>\n");
    if (pre) {
        buf_puts(&r->out, "<pre>");
        buf_html_escape(&r->out, pre);
        buf_puts(&r->out, "</pre>\n");
    }
    buf_puts(&r->out, "<p><a href=\"/\">Back to the desk</a></p></main></body></html>\n");
}

static unsigned error_status(const struct error *err)
{
    switch (err->kind) {
    case ERR_NOT_FOUND:
        return 404;
    case ERR_CONFLICT:
        return 409;
    case ERR_DENIED:
        return 403;
    case ERR_AUTH:
        return 401;
    case ERR_LIMIT:
        return 429;
    case ERR_INTERNAL:
    case ERR_NONE:
        return 500;
    case ERR_INVALID:
        break;
    }
    return 400;
}

static void page_error(struct request *r, const struct error *err)
{
    unsigned status = error_status(err);
    if (status == 500) {
        log_error("%s %s: %s", r->method, r->url, err->msg);
        page(r, 500, "The account was not connected",
             "kanal could not complete the connection; its log says why.", NULL, NULL);
        return;
    }
    page(r, status, "The account was not connected", err->msg, NULL, NULL);
}

/* The person declined at the platform (error=access_denied) or it
 * refused: the consent is used up either way, and the page says what the
 * platform said. `st` NULL: kanal knows no such consent. */
static void declined(struct request *r, const char *state, int64_t user_id,
                     const struct oauth_state *st, const char *error, const char *desc)
{
    struct error err = {0};
    if (oauth_decline(r->db, state, user_id, time_now(), &err) && err.kind != ERR_NOT_FOUND &&
        err.kind != ERR_CONFLICT && err.kind != ERR_INVALID) {
        page_error(r, &err);
        return;
    }
    const struct connector *c = st ? connector_find(st->platform) : NULL;
    bool d = desc && *desc;
    char text[900];
    snprintf(text, sizeof text, "%s answered %.60s%s%.600s%s. Nothing was connected.",
             c ? c->title : "The platform", error, d ? ": " : "", d ? desc : "",
             str_eq(error, "access_denied") ? " (the consent was declined)" : "");
    page(r, str_eq(error, "access_denied") ? 403 : 400, "The account was not connected", text, NULL,
         NULL);
}

void h_oauth_callback(struct request *r)
{
    const char *state = json_string_value(json_object_get(r->query, "state"));
    const char *code = json_string_value(json_object_get(r->query, "code"));
    const char *error = json_string_value(json_object_get(r->query, "error"));
    const char *desc = json_string_value(json_object_get(r->query, "error_description"));
    struct error err = {0};
    if (!state || !*state) {
        page(r, 400, "The account was not connected",
             "The platform came back without a state, so this is no answer to a consent kanal "
             "started. Start connecting the account again from the desk.",
             NULL, NULL);
        return;
    }
    if (!r->cfg->secret_key) {
        page(r, 503, "The account was not connected",
             "This kanal has no secret key to seal tokens with (--secret-key-file or "
             "KANAL_SECRET_KEY), so it connects no account.",
             NULL, NULL);
        return;
    }
    struct oauth_state st;
    int found = oauth_state_get(r->db, state, &st, &err);
    if (found < 0) {
        page_error(r, &err);
        return;
    }
    if (found && st.user_id == 0 && error) {
        declined(r, state, OAUTH_ANY_USER, &st, error, desc);
        return;
    }
    if (found && st.user_id == 0) {
        /* Started with `kanal connect start`: the person pastes the code
         * back there, where the consent is finished. */
        struct buf cmd = {0};
        buf_printf(&cmd, "kanal connect finish --state '%s' --code '", st.state);
        for (const char *p = code ? code : ""; *p; p++)
            buf_puts(&cmd, *p == '\'' ? "'\\''" : (char[]){*p, 0});
        buf_putc(&cmd, '\'');
        page(r, 200, "Finish connecting on the command line",
             "This consent was started from the command line. Run this there to finish it "
             "(within ten minutes of starting):",
             cmd.data, NULL);
        buf_free(&cmd);
        return;
    }
    if (!r->signed_in) {
        /* The session cookie is SameSite=Strict, so a browser coming back
         * from the platform's site leaves it behind; a navigation from
         * kanal's own page brings it. One hop, then a real answer. */
        if (json_object_get(r->query, "hop")) {
            page(r, 401, "Sign in to connect the account",
                 "Sign in to kanal in this browser as the person who started connecting the "
                 "account, then start again.",
                 NULL, NULL);
            return;
        }
        struct buf url = {0};
        buf_puts(&url, "/oauth/callback?");
        const char *k;
        json_t *v;
        json_object_foreach (r->query, k, v) {
            connect_put_enc(&url, k);
            buf_putc(&url, '=');
            connect_put_enc(&url, json_string_value(v));
            buf_putc(&url, '&');
        }
        buf_puts(&url, "hop=1");
        page(r, 200, "Connecting the account", "Back in kanal: finishing the connection.", NULL,
             url.data);
        buf_free(&url);
        return;
    }
    if (!access_allows(ACC_EDIT, r->user.role)) {
        page(r, 403, "The account was not connected",
             "Only an admin or an editor connects accounts.", NULL, NULL);
        return;
    }
    if (error) {
        declined(r, state, r->user.id, found ? &st : NULL, error, desc);
        return;
    }
    int64_t now = time_now();
    struct oauth_outcome *out = xmalloc(sizeof *out);
    if (oauth_finish(r->db, r->cfg->secret_key, NULL, r->cfg->public_url, state, code, r->user.id,
                     now, out, &err)) {
        page_error(r, &err);
        free(out);
        return;
    }
    struct buf loc = {0};
    buf_printf(&loc, "/?workspace=%lld&connected=", (long long)out->workspace_id);
    for (int i = 0; i < out->n; i++)
        buf_printf(&loc, "%s%lld", i ? "," : "", (long long)out->channels[i].channel_id);
    buf_puts(&loc, "#channels");
    free(out);
    r->status = 303;
    r->content_type = "text/plain";
    buf_reset(&r->out);
    r->location = buf_steal(&loc);
}
