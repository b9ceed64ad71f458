/* session: a connector made ready to run for one channel: its connection
 * (the API's address, whether it needs reconnecting), its tokens opened
 * from the vault and refreshed when they are about to expire, and how a
 * run that failed is written down on the channel. */
#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "connect/internal.h"

int connect_fail_error(struct connect_result *res, const struct error *err)
{
    return connect_fail(res, CO_TEMPORARY, "%s", err->msg[0] ? err->msg : "kanal's store failed");
}

/* Trades the tokens for new ones and seals those. 0, or -1 and res. */
static int refresh(struct db *db, const struct connect_env *env, struct channel_run *r, int64_t now,
                   struct connect_result *res)
{
    struct channel_tokens fresh = {0};
    struct connect_result rr = {0};
    if (r->c->refresh(&r->s, &fresh, &rr) != 0) {
        channel_tokens_clear(&fresh);
        /* A refused refresh token is the platform saying "connect again";
         * any other failure waits for the next try while the token still
         * holds. */
        if (rr.outcome == CO_AUTH || r->tokens.expires_at <= now) {
            *res = rr;
            return -1;
        }
        log_warn("channel %lld: the tokens could not be refreshed yet (%s); the access token "
                 "holds until it expires",
                 (long long)r->ch.id, rr.message);
        return 0;
    }
    /* A platform that does not rotate the refresh token sends none back. */
    if (!fresh.refresh_token && r->tokens.refresh_token)
        fresh.refresh_token = xstrdup(r->tokens.refresh_token);
    if (!fresh.scopes && r->tokens.scopes)
        fresh.scopes = xstrdup(r->tokens.scopes);
    struct error err = {0};
    if (vault_store(db, env->key, r->ch.id, &fresh, now, &err)) {
        channel_tokens_clear(&fresh);
        return connect_fail_error(res, &err);
    }
    channel_tokens_clear(&r->tokens);
    r->tokens = fresh;
    log_info("channel %lld: tokens refreshed", (long long)r->ch.id);
    return 0;
}

/* connect_session.tokens_renewed: seals the tokens a connector renewed in
 * the middle of a call (Bluesky's refresh token works once: unsealed, the
 * channel would be left with a spent one). */
static int store_renewed(struct connect_session *s, const struct channel_tokens *t,
                         struct error *err)
{
    struct channel_run *r = s->ctx;
    struct channel_tokens keep = *t;
    if (!keep.scopes)
        keep.scopes = r->tokens.scopes;
    return vault_store(r->db, r->env->key, r->ch.id, &keep, s->now, err);
}

int channel_run_open(struct db *db, const struct connect_env *env, int64_t channel_id, int64_t now,
                     struct channel_run *r, struct connect_result *res)
{
    assert(db && env && r && res);
    memset(r, 0, sizeof *r);
    struct error err = {0};
    if (channel_ref_get(db, channel_id, &r->ch, &err))
        return err.kind == ERR_NOT_FOUND ? connect_fail(res, CO_REJECTED, "%s", err.msg)
                                         : connect_fail_error(res, &err);
    int got = connection_get(db, channel_id, &r->conn, &err);
    if (got < 0)
        return connect_fail_error(res, &err);
    if (got == 0)
        return connect_fail(res, CO_REJECTED, "channel %lld is not connected (connect it first)",
                            (long long)channel_id);
    if (str_eq(r->conn.state, "needs_reconnect")) {
        r->held = true;
        return connect_fail(res, CO_AUTH, "channel %lld needs reconnecting: %s",
                            (long long)channel_id, r->conn.problem);
    }
    if (!str_eq(r->conn.state, "connected")) {
        r->held = true;
        return connect_fail(res, CO_REJECTED, "channel %lld is %s", (long long)channel_id,
                            r->conn.state);
    }
    r->c = env->connector ? env->connector : connector_find(r->ch.platform);
    if (!r->c)
        return connect_fail(res, CO_REJECTED, "kanal has no connector for %s (channel %lld)",
                            r->ch.platform, (long long)channel_id);
    connect_config_from_env(r->c, env->public_url, &r->env_cfg);
    r->cfg = r->env_cfg.cfg;
    if (*r->conn.api_url) /* a Mastodon server's own address */
        r->cfg.api_url = r->conn.api_url;
    if (!env->key)
        return connect_fail(res, CO_REJECTED,
                            "no secret key (--secret-key-file or KANAL_SECRET_KEY): channel "
                            "%lld's tokens cannot be opened",
                            (long long)channel_id);
    struct connect_http_config hc = {.base_url = r->cfg.api_url};
    r->s.http = connect_http_new(&hc, &err);
    if (!r->s.http)
        return connect_fail(res, CO_REJECTED, "%s API address: %s", r->c->title, err.msg);
    got = vault_load(db, env->key, channel_id, &r->tokens, &err);
    if (got < 0)
        return err.kind == ERR_AUTH ? connect_fail(res, CO_REJECTED, "%s", err.msg)
                                    : connect_fail_error(res, &err);
    if (got == 0)
        return connect_fail(res, CO_AUTH, "channel %lld has no tokens stored: connect it again",
                            (long long)channel_id);
    r->s.cfg = &r->cfg;
    r->s.tokens = &r->tokens;
    r->s.account_id = *r->ch.platform_id ? r->ch.platform_id : NULL;
    r->s.account_handle = *r->ch.handle ? r->ch.handle : NULL;
    r->s.now = now;
    r->db = db;
    r->env = env;
    r->s.tokens_renewed = store_renewed;
    r->s.ctx = r;
    int64_t margin = env->refresh_margin ? env->refresh_margin : CONNECT_REFRESH_MARGIN;
    if (r->tokens.expires_at && r->tokens.expires_at - now <= margin && r->c->refresh)
        return refresh(db, env, r, now, res);
    return 0;
}

void channel_run_close(struct channel_run *r)
{
    connect_http_free(r->s.http);
    channel_tokens_clear(&r->tokens);
    memset(r, 0, sizeof *r);
}

void channel_run_record(struct db *db, int64_t channel_id, const struct connect_result *res,
                        int64_t now)
{
    struct error err = {0};
    int rc = res->outcome == CO_AUTH
                 ? connection_needs_reconnect(db, channel_id, res->message, now, &err)
                 : connection_error(db, channel_id, res->message, now, &err);
    if (rc && err.kind != ERR_NOT_FOUND)
        log_error("channel %lld: what happened could not be written down: %s",
                  (long long)channel_id, err.msg);
}
