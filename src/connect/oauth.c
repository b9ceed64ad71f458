/* oauth: connecting an account through the platform's OAuth 2, the same for
 * every platform through its connector (connect.h says how). The state and
 * the PKCE verifier stay in the store (sealed), not in a cookie, so that a
 * consent started from the command line can be finished there, and any
 * node of a cluster can take the callback. */
#include "connect/connect.h"

#include <assert.h>
#include <ctype.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void oauth_random_text(char out[OAUTH_B64_LEN])
{
    unsigned char b[OAUTH_RANDOM_BYTES];
    if (sodium_init() < 0)
        abort(); /* no randomness: nothing safe to hand out */
    randombytes_buf(b, sizeof b);
    sodium_bin2base64(out, OAUTH_B64_LEN, b, sizeof b, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(b, sizeof b);
}

void oauth_pkce_challenge(const char *verifier, char out[OAUTH_B64_LEN])
{
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, (const unsigned char *)verifier, strlen(verifier));
    sodium_bin2base64(out, OAUTH_B64_LEN, h, sizeof h, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

/* KANAL_<PLATFORM>_<what>, as connect_config_from_env reads it. */
static void env_name(const struct connector *c, const char *what, char *out, size_t n)
{
    snprintf(out, n, "KANAL_%s_%s", c->platform, what);
    for (char *p = out; *p; p++)
        *p = (char)toupper((unsigned char)*p);
}

bool oauth_unconfigured(const struct connector *c, const char *public_url,
                        const struct vault_key *key, char *why, size_t n)
{
    char var[96];
    struct connect_env_config env;
    connect_config_from_env(c, public_url, &env);
    if (!key) {
        snprintf(why, n,
                 "no secret key to seal the tokens with: start kanal with --secret-key-file or "
                 "KANAL_SECRET_KEY (`kanal secret-key` makes one)");
        return true;
    }
    if (!c->authorize_url)
        return false; /* credentials the person types (Bluesky): no app, no redirect */
    if (!env.cfg.redirect_uri) {
        snprintf(why, n,
                 "no public URL: start kanal with --public-url or KANAL_PUBLIC_URL (the address "
                 "people reach kanal at; %s returns them to it + /oauth/callback)",
                 c->title);
        return true;
    }
    if (!c->per_instance_app && !env.cfg.client_id) {
        env_name(c, "CLIENT_ID", var, sizeof var);
        snprintf(why, n,
                 "%s is not configured: set %s (and %.*sSECRET) to the app's credentials at "
                 "%s, whose redirect URI is %s",
                 c->title, var, (int)(strlen(var) - 2), var, c->title, env.cfg.redirect_uri);
        return true;
    }
    if (!c->per_instance_app && (!env.cfg.auth_url || !*env.cfg.auth_url)) {
        env_name(c, "AUTH_URL", var, sizeof var);
        snprintf(why, n, "%s has no consent address: set %s", c->title, var);
        return true;
    }
    return false;
}

/* The server's address as the person wrote it ("mastodon.social",
 * "https://m.example/") as kanal keeps it ("https://m.example"): https,
 * or http to this machine only (a token never crosses a network in the
 * clear); a host and a port, no path, query or user. */
static int instance_url(const char *in, char out[512], struct error *err)
{
    while (*in == ' ' || *in == '\t')
        in++;
    size_t n = strlen(in);
    while (n && (in[n - 1] == ' ' || in[n - 1] == '\t'))
        n--;
    const char *scheme = "https://";
    if (n >= 8 && strncasecmp(in, "https://", 8) == 0)
        in += 8, n -= 8;
    else if (n >= 7 && strncasecmp(in, "http://", 7) == 0)
        in += 7, n -= 7, scheme = "http://";
    else if (memchr(in, ':', n) && memmem(in, n, "://", 3))
        return error_field(err, ERR_INVALID, "instance",
                           "instance: the server's address must be https:// (or its host name "
                           "alone)");
    while (n && in[n - 1] == '/')
        n--;
    if (n == 0 || n > 253 || in[0] == ':')
        return error_field(err, ERR_INVALID, "instance",
                           "instance: give the server's address, such as https://mastodon.social");
    char host[256];
    for (size_t i = 0; i < n; i++) {
        char ch = in[i];
        if (!(isalnum((unsigned char)ch) || ch == '.' || ch == '-' || ch == ':' || ch == '[' ||
              ch == ']'))
            return error_field(err, ERR_INVALID, "instance",
                               "instance: '%.*s' is not a server's address (a host name and "
                               "perhaps a port, with no path; character %zu)",
                               (int)n, in, i + 1);
        host[i] = (char)tolower((unsigned char)ch);
    }
    host[n] = '\0';
    bool local = str_starts_with(host, "127.0.0.1") || str_starts_with(host, "localhost") ||
                 str_starts_with(host, "[::1]");
    if (str_eq(scheme, "http://") && !local)
        return error_field(err, ERR_INVALID, "instance",
                           "instance: http://%s would send the tokens in the clear; use https://",
                           host);
    snprintf(out, 512, "%s%s", scheme, host);
    return 0;
}

/* A platform's configuration for one consent: the environment's, and for
 * a per-instance platform the server's addresses and the app kanal
 * registered there. */
struct setup {
    struct connect_env_config env;
    char api[512], auth[600], token[600], client_id[256];
    char *secret; /* opened from oauth_apps; wiped and freed */
};

static void setup_free(struct setup *s)
{
    vault_free(s->secret);
    s->secret = NULL;
}

static void setup_instance(struct setup *s, const char *api_url)
{
    snprintf(s->api, sizeof s->api, "%s", api_url);
    snprintf(s->auth, sizeof s->auth, "%s/oauth/authorize", api_url);
    snprintf(s->token, sizeof s->token, "%s/oauth/token", api_url);
    s->env.cfg.api_url = s->api;
    s->env.cfg.auth_url = s->auth;
    s->env.cfg.token_url = s->token;
}

/* The app's secret is sealed under the redirect URI it was registered
 * with too: after --public-url changes it no longer opens, and the app is
 * registered again rather than sending people to a consent screen that
 * refuses the new address. */
static void app_context(const struct connector *c, const struct setup *s, char *out, size_t n)
{
    snprintf(out, n, "oauth_app:%s:%s %s", c->platform, s->api, s->env.cfg.redirect_uri);
}

/* The app's id and secret on the server from oauth_apps into s (1), 0
 * when kanal has none there yet, 2 when it has one registered for another
 * redirect URI. */
static int app_load(struct db *db, const struct vault_key *k, const struct connector *c,
                    struct setup *s, struct error *err)
{
    char sealed[OAUTH_SEALED_MAX], ctx[1200], sealed_with[17] = "", key_id[17];
    int found = oauth_app_get(db, c->platform, s->api, s->client_id, sealed, sealed_with, err);
    if (found <= 0)
        return found;
    app_context(c, s, ctx, sizeof ctx);
    s->secret = *sealed ? vault_open(k, ctx, sealed) : NULL;
    vault_key_id(k, key_id);
    if (*sealed && !s->secret && str_eq(key_id, sealed_with))
        return 2;
    if (*sealed && !s->secret)
        return error_set(err, ERR_AUTH,
                         "the secret key does not open kanal's app secret for %s: it was sealed "
                         "with key %s and this is key %s",
                         s->api, sealed_with, key_id);
    s->env.cfg.client_id = s->client_id;
    s->env.cfg.client_secret = s->secret;
    return 1;
}

static int http_for(const struct setup *s, struct connect_http **out, struct error *err)
{
    struct connect_http_config hc = {.base_url = s->env.cfg.api_url};
    *out = connect_http_new(&hc, err);
    return *out ? 0 : -1;
}

/* Registers kanal as an app on the server once, and keeps it. */
static int app_register(struct db *db, const struct vault_key *k, const struct connector *c,
                        struct setup *s, bool replace, int64_t now, struct error *err)
{
    if (!c->register_app)
        return error_set(err, ERR_INTERNAL, "%s registers no app per server", c->title);
    struct connect_http *http = NULL;
    if (http_for(s, &http, err))
        return -1;
    char id[256] = "", secret[256] = "";
    struct connect_result res = {0};
    struct connect_session sess = {.cfg = &s->env.cfg, .http = http, .now = now};
    int rc = c->register_app(&sess, id, secret, &res);
    connect_http_free(http);
    if (rc) {
        sodium_memzero(secret, sizeof secret);
        return error_field(err, ERR_INVALID, "instance",
                           "%s at %s: kanal could not register "
                           "as an app there: %s",
                           c->title, s->api, res.message);
    }
    char ctx[1200], key_id[17];
    app_context(c, s, ctx, sizeof ctx);
    vault_key_id(k, key_id);
    char *sealed = vault_seal(k, ctx, secret);
    sodium_memzero(secret, sizeof secret);
    rc = oauth_app_put(db, c->platform, s->api, id, sealed, key_id, replace, now, err);
    free(sealed);
    if (rc)
        return -1;
    /* Another consent may have registered at the same moment: its app won. */
    int found = app_load(db, k, c, s, err);
    return found == 1 ? 0 : found < 0 ? -1 : error_set(err, ERR_INTERNAL, "the app was not kept");
}

/* The workspace exists and the channel being reconnected (if any) is one of
 * its channels of this platform; its server's address into conn_api. */
static int check_target(struct db *db, const struct oauth_begin *b, char *conn_api, size_t n,
                        struct error *err)
{
    const struct connector *c = b->connector;
    int64_t one;
    int found =
        db_scalar(db, err, &one, "SELECT 1 FROM workspaces WHERE id = ?", "i", b->workspace_id);
    if (found <= 0)
        return found < 0 ? -1
                         : error_field(err, ERR_NOT_FOUND, "workspace_id", "no workspace %lld",
                                       (long long)b->workspace_id);
    *conn_api = '\0';
    if (!b->channel_id)
        return 0;
    struct db_stmt *st = db_query(db, err,
                                  "SELECT c.platform, k.api_url FROM channels c LEFT JOIN "
                                  "channel_connections k ON k.channel_id = c.id WHERE c.id = "
                                  "? AND c.workspace_id = ?",
                                  "ii", b->channel_id, b->workspace_id);
    if (!st)
        return -1;
    bool ok = db_has_row(st) &&
              (str_eq(db_col_text(st, 0), c->platform) || connector_find(db_col_text(st, 0)) == c);
    if (ok)
        snprintf(conn_api, n, "%s", db_col_text(st, 1));
    db_finalize(st);
    return ok ? 0
              : error_field(err, ERR_NOT_FOUND, "channel_id",
                            "channel_id: workspace %lld has no %s channel %lld",
                            (long long)b->workspace_id, c->title, (long long)b->channel_id);
}

int oauth_start(struct db *db, const struct vault_key *k, const struct oauth_begin *b,
                struct oauth_consent *out, struct error *err)
{
    assert(db && b && b->connector && out);
    const struct connector *c = b->connector;
    *out = (struct oauth_consent){0};
    char why[400];
    if (oauth_unconfigured(c, b->public_url, k, why, sizeof why))
        return error_set(err, ERR_INVALID, "%s", why);
    if (!c->authorize_url)
        return error_field(err, ERR_INVALID, "identifier",
                           "%s connects with the account's own credentials, not a consent "
                           "screen: send identifier and password (%s)",
                           c->title, c->scopes ? c->scopes : "");
    struct setup s = {0};
    connect_config_from_env(c, b->public_url, &s.env);
    char conn_api[512] = "";
    if (check_target(db, b, conn_api, sizeof conn_api, err))
        return -1;
    int found;
    int rc = -1;
    struct buf url = {0};
    char *sealed = NULL;
    if (c->per_instance_app) {
        /* Reconnecting goes back to the channel's own server. */
        const char *where = b->instance && *b->instance ? b->instance
                            : *conn_api                 ? conn_api
                                                        : s.env.cfg.api_url;
        if (!where || !*where) {
            error_field(err, ERR_INVALID, "instance",
                        "instance: give the %s server's address (https://...)", c->title);
            goto done;
        }
        if (instance_url(where, out->api_url, err))
            goto done;
        setup_instance(&s, out->api_url);
        found = app_load(db, k, c, &s, err);
        if (found < 0 || (found != 1 && app_register(db, k, c, &s, found == 2, b->now, err)))
            goto done;
    }
    struct oauth_state st = {.workspace_id = b->workspace_id,
                             .user_id = b->user_id,
                             .channel_id = b->channel_id,
                             .created_at = b->now,
                             .expires_at = b->now + OAUTH_STATE_TTL};
    oauth_random_text(st.state);
    snprintf(st.platform, sizeof st.platform, "%s", c->platform);
    snprintf(st.api_url, sizeof st.api_url, "%s", out->api_url);
    char challenge[OAUTH_B64_LEN] = "";
    if (c->pkce) {
        char verifier[OAUTH_B64_LEN], ctx[OAUTH_STATE_MAX + 16];
        oauth_random_text(verifier);
        oauth_pkce_challenge(verifier, challenge);
        snprintf(ctx, sizeof ctx, "oauth_state:%s", st.state);
        sealed = vault_seal(k, ctx, verifier);
        sodium_memzero(verifier, sizeof verifier);
        assert(strlen(sealed) < sizeof st.verifier);
        snprintf(st.verifier, sizeof st.verifier, "%s", sealed);
    }
    struct connect_session sess = {.cfg = &s.env.cfg, .now = b->now};
    if (c->authorize_url(&sess, st.state, c->pkce ? challenge : NULL, &url, err))
        goto done;
    struct error purge_err = {0};
    if (oauth_states_purge(db, b->now, &purge_err) < 0)
        log_warn("old consents could not be forgotten: %s", purge_err.msg);
    if (oauth_state_insert(db, &st, err))
        goto done;
    memcpy(out->state, st.state, sizeof out->state);
    out->url = buf_steal(&url);
    out->scopes = c->scopes;
    out->expires_at = st.expires_at;
    rc = 0;
done:
    free(sealed);
    buf_free(&url);
    setup_free(&s);
    return rc;
}

/* Whether `user_id` may finish the consent. */
static int may_finish(const struct oauth_state *st, int64_t user_id, struct error *err)
{
    if (user_id == OAUTH_ANY_USER || st->user_id == user_id)
        return 0;
    if (st->user_id == 0)
        return error_set(err, ERR_DENIED,
                         "this consent was started from the command line: finish it there with "
                         "`kanal connect finish`");
    return error_set(err, ERR_DENIED,
                     "this consent was started by another user: the person who starts "
                     "connecting an account must be the one who finishes it");
}

/* Reads and uses up the consent, after checking who finishes it. */
static int claim(struct db *db, const char *state, int64_t user_id, int64_t now,
                 struct oauth_state *st, struct error *err)
{
    int found = oauth_state_get(db, state, st, err);
    if (found < 0)
        return -1;
    if (found && may_finish(st, user_id, err))
        return -1;
    return oauth_state_claim(db, state, now, st, err);
}

int oauth_decline(struct db *db, const char *state, int64_t user_id, int64_t now, struct error *err)
{
    struct oauth_state st;
    return claim(db, state, user_id, now, &st, err);
}

/* Stores what the exchange gave, in one transaction. */
static int store_accounts(struct db *db, const struct vault_key *k, const struct connector *c,
                          const struct oauth_state *st, struct channel_tokens *tokens,
                          const struct connect_account *acc, int n, int64_t now,
                          struct oauth_outcome *out, struct error *err)
{
    struct actor who = {.user_id = st->user_id, .role = ROLE_ADMIN};
    if (db_begin(db, err))
        return -1;
    bool reconnected = false;
    for (int i = 0; i < n; i++) {
        struct oauth_connected *ch = &out->channels[i];
        const char *platform = acc[i].platform[0] ? acc[i].platform : c->platform;
        snprintf(ch->platform, sizeof ch->platform, "%s", platform);
        snprintf(ch->handle, sizeof ch->handle, "%s", acc[i].handle[0] ? acc[i].handle : acc[i].id);
        if (!acc[i].id[0]) {
            error_set(err, ERR_INVALID, "%s named an account without an id", c->title);
            goto fail;
        }
        if (!tokens[i].scopes && c->scopes)
            tokens[i].scopes = xstrdup(c->scopes);
        char detail[400];
        snprintf(detail, sizeof detail, "%s %s", platform, ch->handle);
        if (oauth_channel_for(db, st->workspace_id, platform, acc[i].id, acc[i].handle, acc[i].name,
                              &who, &ch->channel_id, &ch->created, err) ||
            vault_store(db, k, ch->channel_id, &tokens[i], now, err) ||
            connection_connected(db, ch->channel_id, st->api_url, st->user_id, now, err) ||
            /* synced at once by whichever node runs jobs, not at the next
             * round of --sync-every */
            connection_queue_sync(db, ch->channel_id, now, err) < 0 ||
            audit_record(db, st->workspace_id, st->user_id, "connect", "channel", ch->channel_id,
                         detail, err))
            goto fail;
        reconnected |= ch->channel_id == st->channel_id;
        out->n = i + 1;
    }
    if (st->channel_id && !reconnected) {
        error_set(err, ERR_CONFLICT,
                  "channel %lld is not among the accounts %s signed in as (%s%s): sign in at %s "
                  "as the channel's account, then reconnect it again",
                  (long long)st->channel_id, c->title, out->channels[0].handle,
                  n > 1 ? ", ..." : "", c->title);
        goto fail;
    }
    if (db_commit(db, err))
        goto fail;
    return 0;
fail:
    db_rollback(db);
    out->n = 0;
    return -1;
}

/* The code (or typed credentials) exchanged for tokens with the platform,
 * and the accounts stored as channels: what finishing a consent and a
 * direct connect share. */
static int exchange_and_store(struct db *db, const struct vault_key *k, const struct connector *c,
                              const char *public_url, const struct oauth_state *stp,
                              const char *code, int64_t now, struct oauth_outcome *out,
                              struct error *err)
{
    struct oauth_state st = *stp;
    int rc = -1, n = 0;
    struct setup s = {0};
    struct connect_http *http = NULL;
    char *verifier = NULL;
    struct channel_tokens *tokens = xcalloc(OAUTH_ACCOUNTS_MAX, sizeof *tokens);
    struct connect_account *acc = xcalloc(OAUTH_ACCOUNTS_MAX, sizeof *acc);
    connect_config_from_env(c, public_url, &s.env);
    if (st.verifier[0]) {
        char ctx[OAUTH_STATE_MAX + 16];
        snprintf(ctx, sizeof ctx, "oauth_state:%s", st.state);
        if (!(verifier = vault_open(k, ctx, st.verifier))) {
            error_set(err, ERR_AUTH,
                      "the secret key does not open this consent's PKCE verifier (was the key "
                      "changed since it started?): start connecting again");
            goto done;
        }
    }
    if (c->per_instance_app) {
        setup_instance(&s, st.api_url);
        int found = app_load(db, k, c, &s, err);
        if (found != 1) {
            if (found >= 0)
                error_set(err, ERR_INVALID,
                          "kanal has no app registered at %s for this redirect address: start "
                          "again",
                          st.api_url);
            goto done;
        }
    }
    if (http_for(&s, &http, err))
        goto done;
    struct connect_result res = {0};
    struct connect_session sess = {.cfg = &s.env.cfg, .http = http, .now = now};
    if (c->exchange(&sess, code, verifier, tokens, acc, OAUTH_ACCOUNTS_MAX, &n, &res)) {
        error_set(err, res.outcome == CO_RATE ? ERR_LIMIT : ERR_INVALID,
                  "%s did not give kanal the account's tokens: %s; start connecting again",
                  c->title, res.message);
        goto done;
    }
    assert(n >= 0 && n <= OAUTH_ACCOUNTS_MAX);
    if (n == 0) {
        error_set(err, ERR_INVALID, "%s named no account to connect for this login", c->title);
        goto done;
    }
    rc = store_accounts(db, k, c, &st, tokens, acc, n, now, out, err);
done:
    for (int i = 0; i < OAUTH_ACCOUNTS_MAX; i++)
        channel_tokens_clear(&tokens[i]);
    free(tokens);
    free(acc);
    vault_free(verifier);
    connect_http_free(http);
    setup_free(&s);
    return rc;
}

int oauth_finish(struct db *db, const struct vault_key *k, const struct connector *c,
                 const char *public_url, const char *state, const char *code, int64_t user_id,
                 int64_t now, struct oauth_outcome *out, struct error *err)
{
    assert(db && k && out);
    *out = (struct oauth_outcome){0};
    if (!code || !*code || strlen(code) > 2048)
        return error_field(err, ERR_INVALID, "code",
                           "code: the platform's authorization code is missing or too long");
    struct oauth_state st;
    if (claim(db, state, user_id, now, &st, err))
        return -1;
    out->workspace_id = st.workspace_id;
    out->user_id = st.user_id;
    out->channel_id = st.channel_id;
    if (!c)
        c = connector_find(st.platform);
    if (!c || !str_eq(c->platform, st.platform))
        return error_set(err, ERR_INVALID, "kanal has no connector for %s", st.platform);
    char why[400];
    if (oauth_unconfigured(c, public_url, k, why, sizeof why))
        return error_set(err, ERR_INVALID, "%s", why);

    return exchange_and_store(db, k, c, public_url, &st, code, now, out, err);
}

int oauth_connect_direct(struct db *db, const struct vault_key *k, const struct oauth_begin *b,
                         const char *identifier, const char *password, struct oauth_outcome *out,
                         struct error *err)
{
    assert(db && b && b->connector && out);
    const struct connector *c = b->connector;
    *out = (struct oauth_outcome){0};
    if (c->authorize_url)
        return error_set(err, ERR_INVALID,
                         "%s connects through its own consent screen: start connecting without "
                         "identifier and password",
                         c->title);
    char why[400];
    if (oauth_unconfigured(c, b->public_url, k, why, sizeof why))
        return error_set(err, ERR_INVALID, "%s", why);
    size_t il = identifier ? strlen(identifier) : 0, pl = password ? strlen(password) : 0;
    if (il == 0 || il > 256 || !utf8_valid(identifier, il))
        return error_field(err, ERR_INVALID, "identifier",
                           "identifier: the account's handle, DID or e-mail (at most 256 bytes)");
    /* The connector splits "IDENTIFIER:PASSWORD" at the last colon. */
    if (pl == 0 || pl > 256 || strchr(password, ':') || !utf8_valid(password, pl))
        return error_field(err, ERR_INVALID, "password",
                           "password: the app password %s gave (at most 256 bytes, no ':')",
                           c->title);
    char conn_api[512];
    if (check_target(db, b, conn_api, sizeof conn_api, err))
        return -1;
    struct oauth_state st = {.workspace_id = b->workspace_id,
                             .user_id = b->user_id,
                             .channel_id = b->channel_id,
                             .created_at = b->now,
                             .expires_at = b->now};
    snprintf(st.platform, sizeof st.platform, "%s", c->platform);
    const char *where = b->instance && *b->instance ? b->instance : conn_api;
    if (*where && instance_url(where, st.api_url, err))
        return -1;
    out->workspace_id = st.workspace_id;
    out->user_id = st.user_id;
    out->channel_id = st.channel_id;
    struct buf code = {0};
    buf_printf(&code, "%s:%s", identifier, password);
    int rc = exchange_and_store(db, k, c, b->public_url, &st, code.data, b->now, out, err);
    connect_buf_wipe(&code);
    return rc;
}
