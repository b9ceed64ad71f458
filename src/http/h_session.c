/* h_session: sign in and out with a browser session (HttpOnly, SameSite=Strict
 * cookie plus a CSRF token the page sends back in X-CSRF-Token), with
 * failed sign-ins throttled per client address and account. */
#include "http/internal.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

static json_t *session_json(const struct request *r, const char *csrf)
{
    return json_pack("{s:o, s:s}", "user", user_to_json(&r->user), "csrf_token", csrf);
}

void h_session_create(struct request *r)
{
    static const char *const known[] = {"email", "password", NULL};
    json_t *in = request_json_fields(r, known, "email and password");
    if (!in)
        return;
    const char *email_in = json_string_value(json_object_get(in, "email"));
    const char *password = json_string_value(json_object_get(in, "password"));
    if (!email_in || !password) {
        reply_errorf(r, 400, "invalid", "fields 'email' and 'password' are required strings");
        return;
    }
    /* Three counts, so that nobody can lock out someone else: an address
     * gets 5 tries at one account and 30 over all (r->client is the real
     * client behind a --trusted-proxy); an account gets 10 tries from
     * anywhere, then each further try waits 5, 10, 20 ... up to 60 seconds
     * after the last failure. Its owner, elsewhere, waits a minute at most. */
    if (strlen(email_in) > 254) {
        reply_errorf(r, 400, "invalid", "field 'email' is longer than an address can be");
        return;
    }
    char email[256], pair_key[400], client_key[80], account_key[300];
    snprintf(email, sizeof email, "%s", email_in);
    for (char *p = email; *p; p++)
        *p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
    snprintf(pair_key, sizeof pair_key, "p:%s %s", r->client, email);
    snprintf(client_key, sizeof client_key, "c:%s", r->client);
    snprintf(account_key, sizeof account_key, "a:%s", email);
    struct ratelimit *rl = r->srv->limits;
    int64_t now = time_now();
    int64_t waits[] = {ratelimit_wait(rl, pair_key, 5, 0, now),
                       ratelimit_wait(rl, client_key, 30, 0, now),
                       ratelimit_wait(rl, account_key, 10, 60, now)};
    int64_t wait = 0;
    for (size_t i = 0; i < ARRAY_LEN(waits); i++)
        wait = waits[i] > wait ? waits[i] : wait;
    if (wait > 0) {
        snprintf(r->retry_after, sizeof r->retry_after, "%lld", (long long)wait);
        reply_errorf(r, 429, "rate_limited", "too many failed sign-ins; try again in %lld seconds",
                     (long long)wait);
        return;
    }
    struct error err = {0};
    if (user_authenticate(r->db, email_in, password, &r->user, &err)) {
        if (err.kind == ERR_AUTH) {
            ratelimit_fail(rl, pair_key, now);
            ratelimit_fail(rl, client_key, now);
            ratelimit_fail(rl, account_key, now);
        }
        reply_error(r, &err);
        return;
    }
    assert(r->user.id > 0);
    ratelimit_reset(rl, pair_key);
    char token[TOKEN_HEX + 1], csrf[TOKEN_HEX + 1];
    if (session_create(r->db, r->user.id, token, csrf, &err)) {
        reply_error(r, &err);
        return;
    }
    /* The cookie the browser held is replaced: end its session too. */
    if (r->session_token[0] && session_delete(r->db, r->session_token, &err))
        log_warn("sign-in: the replaced session stays until it expires: %s", err.msg);
    r->signed_in = true;
    snprintf(r->set_cookie, sizeof r->set_cookie,
             "kanal_session=%s; Path=/; Max-Age=%d; HttpOnly; SameSite=Strict%s", token,
             SESSION_TTL, r->cfg->secure_cookies ? "; Secure" : "");
    reply_json(r, 201, session_json(r, csrf));
}

void h_session_get(struct request *r)
{
    if (r->via_token) {
        reply_json(r, 200, json_pack("{s:o, s:n}", "user", user_to_json(&r->user), "csrf_token"));
        return;
    }
    reply_json(r, 200, session_json(r, r->csrf));
}

void h_session_delete(struct request *r)
{
    struct error err = {0};
    if (!r->via_token && session_delete(r->db, r->session_token, &err)) {
        reply_error(r, &err);
        return;
    }
    snprintf(r->set_cookie, sizeof r->set_cookie,
             "kanal_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict%s",
             r->cfg->secure_cookies ? "; Secure" : "");
    reply_json(r, 200, json_pack("{s:b}", "signed_out", 1));
}
