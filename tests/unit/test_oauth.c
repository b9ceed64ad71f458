/* Unit tests for connecting an account (connect/oauth.c, model/oauth.c) on
 * an in-memory SQLite store: PKCE against RFC 7636's own example, the
 * state's form, secrets sealed per context, a consent used once, expired,
 * unknown or finished by someone else, and a whole start and finish with
 * a connector written here that checks what a platform checks (the code
 * it gave, the verifier against the challenge it was sent). The flow
 * against a platform's fake is tests/e2e/test_connect.py's. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "connect/connect.h"
#include "model/model.h"

#define KEY    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
#define PUBLIC "https://desk.example.org/"
#define NOW    1764900000

static struct db *fresh(void)
{
    struct error err = {0};
    struct db *db = db_open(":memory:", &err);
    assert_non_null(db);
    log_set_level(LOG_ERROR);
    assert_true(db_migrate(db, &err) >= 1);
    assert_int_equal(db_exec(db,
                             "INSERT INTO workspaces (name, slug, created_at, updated_at) VALUES "
                             "('W', 'w', 0, 0); INSERT INTO users (email, name, role, "
                             "password_hash, created_at, updated_at) VALUES ('a@x', 'A', 'admin', "
                             "'x', 0, 0), ('b@x', 'B', 'editor', 'x', 0, 0)",
                             &err),
                     0);
    return db;
}

static struct vault_key *key(void)
{
    struct error err = {0};
    struct vault_key *k = vault_key_load(NULL, KEY, &err);
    assert_non_null(k);
    return k;
}

static bool base64url(const char *s)
{
    for (; *s; s++)
        if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", *s))
            return false;
    return true;
}

static void test_pkce_rfc7636(void **state)
{
    (void)state;
    /* RFC 7636, appendix B. */
    char challenge[OAUTH_B64_LEN];
    oauth_pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk", challenge);
    assert_string_equal(challenge, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
    /* A verifier of ours: 43 characters (RFC 7636 asks 43 to 128) of its alphabet. */
    char a[OAUTH_B64_LEN], b[OAUTH_B64_LEN];
    oauth_random_text(a);
    oauth_random_text(b);
    assert_int_equal(strlen(a), 43);
    assert_true(base64url(a));
    assert_string_not_equal(a, b);
}

static void test_sealed_context(void **state)
{
    (void)state;
    struct vault_key *k = key();
    char *sealed = vault_seal(k, "oauth_state:abc", "the-verifier");
    assert_null(strstr(sealed, "the-verifier"));
    char *open = vault_open(k, "oauth_state:abc", sealed);
    assert_string_equal(open, "the-verifier");
    vault_free(open);
    /* Moved to another consent, it does not open. */
    assert_null(vault_open(k, "oauth_state:abd", sealed));
    assert_null(vault_open(k, "oauth_state:ab", sealed));
    free(sealed);
    vault_key_free(k);
}

static struct oauth_state consent(const char *s, int64_t user, int64_t created)
{
    struct oauth_state st = {.workspace_id = 1,
                             .user_id = user,
                             .created_at = created,
                             .expires_at = created + OAUTH_STATE_TTL};
    snprintf(st.state, sizeof st.state, "%s", s);
    snprintf(st.platform, sizeof st.platform, "x");
    return st;
}

static void test_state_once(void **state)
{
    (void)state;
    struct db *db = fresh();
    struct error err = {0};
    struct oauth_state st = consent("AAAAAAAAAAAAAAAAAAAAAA", 1, NOW), got;
    assert_int_equal(oauth_state_insert(db, &st, &err), 0);
    /* A state of the wrong form is refused before it is stored or looked up. */
    struct oauth_state bad = consent("short", 1, NOW);
    assert_int_equal(oauth_state_insert(db, &bad, &err), -1);
    assert_int_equal(err.kind, ERR_INVALID);
    assert_int_equal(oauth_state_get(db, "x' OR '1'='1", &got, &err), 0);

    assert_int_equal(oauth_state_claim(db, st.state, NOW + 5, &got, &err), 0);
    assert_int_equal(got.used_at, NOW + 5);
    assert_int_equal(got.workspace_id, 1);
    assert_int_equal(got.user_id, 1);
    /* Used once. */
    memset(&err, 0, sizeof err);
    assert_int_equal(oauth_state_claim(db, st.state, NOW + 6, &got, &err), -1);
    assert_int_equal(err.kind, ERR_CONFLICT);
    assert_non_null(strstr(err.msg, "already used"));
    /* Unknown. */
    memset(&err, 0, sizeof err);
    assert_int_equal(oauth_state_claim(db, "BBBBBBBBBBBBBBBBBBBBBB", NOW, &got, &err), -1);
    assert_int_equal(err.kind, ERR_NOT_FOUND);
    assert_non_null(strstr(err.msg, "unknown state"));
    db_close(db);
}

static void test_state_expiry(void **state)
{
    (void)state;
    struct db *db = fresh();
    struct error err = {0};
    struct oauth_state st = consent("CCCCCCCCCCCCCCCCCCCCCC", 1, NOW), got;
    assert_int_equal(oauth_state_insert(db, &st, &err), 0);
    /* The last second counts; the next one does not. */
    assert_int_equal(oauth_state_claim(db, st.state, NOW + OAUTH_STATE_TTL, &got, &err), -1);
    assert_int_equal(err.kind, ERR_INVALID);
    assert_non_null(strstr(err.msg, "expired"));
    assert_non_null(strstr(err.msg, "10 minutes"));
    struct oauth_state st2 = consent("DDDDDDDDDDDDDDDDDDDDDD", 1, NOW);
    assert_int_equal(oauth_state_insert(db, &st2, &err), 0);
    assert_int_equal(oauth_state_claim(db, st2.state, NOW + OAUTH_STATE_TTL - 1, &got, &err), 0);
    /* Forgotten a day after they expired, not before. */
    assert_int_equal(oauth_states_purge(db, NOW + OAUTH_STATE_TTL + 10, &err), 0);
    assert_int_equal(oauth_states_purge(db, NOW + OAUTH_STATE_TTL + 86401, &err), 2);
    db_close(db);
}

/* ---- a whole consent, with a connector written here -------------------------------- */

static char seen_challenge[OAUTH_B64_LEN];
static int exchanges;

static int t_authorize(const struct connect_session *s, const char *state, const char *challenge,
                       struct buf *url, struct error *err)
{
    snprintf(seen_challenge, sizeof seen_challenge, "%s", challenge ? challenge : "");
    buf_printf(url, "%s?client_id=%s&redirect_uri=%s&state=%s&code_challenge=%s", s->cfg->auth_url,
               s->cfg->client_id, s->cfg->redirect_uri, state, challenge);
    return 0;
}

/* Gives tokens for code "good-code" when the verifier matches the challenge. */
static int t_exchange(struct connect_session *s, const char *code, const char *verifier,
                      struct channel_tokens *tokens, struct connect_account *acc, int max, int *n,
                      struct connect_result *res)
{
    exchanges++;
    char challenge[OAUTH_B64_LEN];
    if (!verifier)
        return connect_fail(res, CO_REJECTED, "no code_verifier");
    oauth_pkce_challenge(verifier, challenge);
    if (strcmp(challenge, seen_challenge) != 0)
        return connect_fail(res, CO_REJECTED, "invalid_grant: the verifier does not match");
    if (strcmp(code, "good-code") != 0)
        return connect_fail(res, CO_REJECTED, "invalid_grant: unknown code");
    assert_true(max >= 1);
    tokens[0].access_token = xstrdup("secret-access-token-123");
    tokens[0].refresh_token = xstrdup("secret-refresh-token-456");
    tokens[0].expires_at = s->now + 7200;
    snprintf(acc[0].id, sizeof acc[0].id, "9001");
    snprintf(acc[0].handle, sizeof acc[0].handle, "kanal_desk");
    snprintf(acc[0].name, sizeof acc[0].name, "Kanal Desk");
    *n = 1;
    return 0;
}

static const struct connector test_x = {
    .platform = "x",
    .title = "X",
    .scopes = "tweet.read tweet.write users.read offline.access",
    .api_url = "http://127.0.0.1:9",
    .auth_url = "https://x.example/i/oauth2/authorize",
    .pkce = true,
    .authorize_url = t_authorize,
    .exchange = t_exchange,
};

static void start(struct db *db, struct vault_key *k, int64_t user, int64_t channel, int64_t now,
                  struct oauth_consent *out)
{
    struct error err = {0};
    struct oauth_begin b = {.connector = &test_x,
                            .public_url = PUBLIC,
                            .workspace_id = 1,
                            .user_id = user,
                            .channel_id = channel,
                            .now = now};
    int rc = oauth_start(db, k, &b, out, &err);
    if (rc)
        fail_msg("oauth_start: %s", err.msg);
    assert_non_null(strstr(out->url, "redirect_uri=https://desk.example.org/oauth/callback&"));
    assert_non_null(strstr(out->url, out->state));
    assert_int_equal(out->expires_at, now + OAUTH_STATE_TTL);
}

static void test_configuration_named(void **state)
{
    (void)state;
    struct vault_key *k = key();
    char why[400];
    unsetenv("KANAL_X_CLIENT_ID");
    assert_true(oauth_unconfigured(&test_x, PUBLIC, NULL, why, sizeof why));
    assert_non_null(strstr(why, "KANAL_SECRET_KEY"));
    assert_true(oauth_unconfigured(&test_x, NULL, k, why, sizeof why));
    assert_non_null(strstr(why, "KANAL_PUBLIC_URL"));
    assert_true(oauth_unconfigured(&test_x, PUBLIC, k, why, sizeof why));
    assert_non_null(strstr(why, "KANAL_X_CLIENT_ID"));
    assert_non_null(strstr(why, "KANAL_X_CLIENT_SECRET"));
    assert_non_null(strstr(why, "https://desk.example.org/oauth/callback"));
    /* Starting refuses with the same words. */
    struct db *db = fresh();
    struct error err = {0};
    struct oauth_consent out;
    struct oauth_begin b = {.connector = &test_x, .public_url = PUBLIC, .workspace_id = 1};
    assert_int_equal(oauth_start(db, k, &b, &out, &err), -1);
    assert_non_null(strstr(err.msg, "KANAL_X_CLIENT_ID"));
    setenv("KANAL_X_CLIENT_ID", "client-1", 1);
    assert_false(oauth_unconfigured(&test_x, PUBLIC, k, why, sizeof why));
    db_close(db);
    vault_key_free(k);
}

static void test_start_and_finish(void **state)
{
    (void)state;
    setenv("KANAL_X_CLIENT_ID", "client-1", 1);
    struct db *db = fresh();
    struct vault_key *k = key();
    struct error err = {0};
    struct oauth_consent c;
    start(db, k, 1, 0, NOW, &c);
    /* The verifier is kept sealed, never as it was sent. */
    struct oauth_state st;
    assert_int_equal(oauth_state_get(db, c.state, &st, &err), 1);
    assert_true(st.verifier[0]);
    assert_int_equal(st.user_id, 1);
    assert_string_equal(st.platform, "x");

    /* Another user cannot finish it, and does not use it up. */
    struct oauth_outcome *out = malloc(sizeof *out);
    assert_int_equal(
        oauth_finish(db, k, &test_x, PUBLIC, c.state, "good-code", 2, NOW + 10, out, &err), -1);
    assert_int_equal(err.kind, ERR_DENIED);
    assert_non_null(strstr(err.msg, "another user"));

    exchanges = 0;
    memset(&err, 0, sizeof err);
    int rc = oauth_finish(db, k, &test_x, PUBLIC, c.state, "good-code", 1, NOW + 20, out, &err);
    if (rc)
        fail_msg("oauth_finish: %s", err.msg);
    assert_int_equal(out->n, 1);
    assert_true(out->channels[0].created);
    assert_string_equal(out->channels[0].handle, "kanal_desk");
    int64_t ch = out->channels[0].channel_id;
    struct channel_tokens t;
    assert_int_equal(vault_load(db, k, ch, &t, &err), 1);
    assert_string_equal(t.access_token, "secret-access-token-123");
    assert_string_equal(t.refresh_token, "secret-refresh-token-456");
    assert_string_equal(t.scopes, test_x.scopes);
    channel_tokens_clear(&t);
    json_t *list = connection_list(db, 1, &err);
    json_t *row = json_array_get(json_object_get(list, "items"), 0);
    assert_string_equal(json_string_value(json_object_get(row, "state")), "connected");
    assert_string_equal(json_string_value(json_object_get(row, "handle")), "kanal_desk");
    json_decref(list);

    /* Used once: the second try does not reach the platform. */
    memset(&err, 0, sizeof err);
    assert_int_equal(
        oauth_finish(db, k, &test_x, PUBLIC, c.state, "good-code", 1, NOW + 30, out, &err), -1);
    assert_int_equal(err.kind, ERR_CONFLICT);
    assert_int_equal(exchanges, 1);

    /* A code the platform refuses: its words, no channel, the consent used up. */
    struct oauth_consent c2;
    start(db, k, 1, 0, NOW + 40, &c2);
    memset(&err, 0, sizeof err);
    assert_int_equal(
        oauth_finish(db, k, &test_x, PUBLIC, c2.state, "bad-code", 1, NOW + 50, out, &err), -1);
    assert_non_null(strstr(err.msg, "invalid_grant"));
    assert_null(strstr(err.msg, "secret-"));
    int64_t n = 0;
    db_scalar(db, &err, &n, "SELECT count(*) FROM channels", "");
    assert_int_equal(n, 1);

    /* Reconnecting a channel that needs it: the same channel, connected again. */
    assert_int_equal(db_run(db, &err,
                            "UPDATE channel_connections SET state = 'needs_reconnect', problem = "
                            "'token revoked' WHERE channel_id = ?",
                            "i", ch),
                     1);
    struct oauth_consent c3;
    start(db, k, 1, ch, NOW + 60, &c3);
    assert_int_equal(
        oauth_finish(db, k, &test_x, PUBLIC, c3.state, "good-code", 1, NOW + 70, out, &err), 0);
    assert_int_equal(out->channels[0].channel_id, ch);
    assert_false(out->channels[0].created);
    struct db_stmt *q = db_query(db, &err,
                                 "SELECT state, problem FROM channel_connections WHERE channel_id "
                                 "= ?",
                                 "i", ch);
    assert_true(db_has_row(q));
    assert_string_equal(db_col_text(q, 0), "connected");
    assert_string_equal(db_col_text(q, 1), "");
    db_finalize(q);

    /* Reconnecting a channel of another workspace or platform is refused at the start. */
    struct oauth_begin b = {.connector = &test_x,
                            .public_url = PUBLIC,
                            .workspace_id = 1,
                            .channel_id = ch + 100,
                            .now = NOW};
    memset(&err, 0, sizeof err);
    free(c2.url);
    assert_int_equal(oauth_start(db, k, &b, &c2, &err), -1);
    assert_int_equal(err.kind, ERR_NOT_FOUND);
    free(out);
    free(c.url);
    free(c3.url);
    db_close(db);
    vault_key_free(k);
}

static void test_channel_from_import(void **state)
{
    (void)state;
    /* A channel a file import made (a handle, no platform id) is the one connected. */
    struct db *db = fresh();
    struct error err = {0};
    assert_int_equal(db_exec(db,
                             "INSERT INTO channels (workspace_id, platform, handle, name, "
                             "created_at, updated_at) VALUES (1, 'x', 'kanal_desk', 'K', 0, 0)",
                             &err),
                     0);
    struct actor who = {0};
    int64_t id = 0;
    bool created = true;
    assert_int_equal(
        oauth_channel_for(db, 1, "x", "9001", "kanal_desk", "Kanal", &who, &id, &created, &err), 0);
    assert_int_equal(id, 1);
    assert_false(created);
    /* Found by its id from then on, even under a new handle. */
    assert_int_equal(
        oauth_channel_for(db, 1, "x", "9001", "renamed", "Kanal", &who, &id, &created, &err), 0);
    assert_int_equal(id, 1);
    /* Another account with a handle taken: a conflict that says what to do. */
    assert_int_equal(
        oauth_channel_for(db, 1, "x", "9002", "kanal_desk", "K", &who, &id, &created, &err), -1);
    assert_int_equal(err.kind, ERR_CONFLICT);
    db_close(db);
}

static void test_decline_uses_up(void **state)
{
    (void)state;
    setenv("KANAL_X_CLIENT_ID", "client-1", 1);
    struct db *db = fresh();
    struct vault_key *k = key();
    struct error err = {0};
    struct oauth_consent c;
    start(db, k, 0, 0, NOW, &c); /* from the command line */
    /* A signed-in user cannot finish what the command line started. */
    assert_int_equal(oauth_decline(db, c.state, 1, NOW + 1, &err), -1);
    assert_int_equal(err.kind, ERR_DENIED);
    assert_non_null(strstr(err.msg, "command line"));
    assert_int_equal(oauth_decline(db, c.state, OAUTH_ANY_USER, NOW + 2, &err), 0);
    struct oauth_outcome *out = malloc(sizeof *out);
    memset(&err, 0, sizeof err);
    assert_int_equal(oauth_finish(db, k, &test_x, PUBLIC, c.state, "good-code", OAUTH_ANY_USER,
                                  NOW + 3, out, &err),
                     -1);
    assert_int_equal(err.kind, ERR_CONFLICT);
    free(out);
    free(c.url);
    db_close(db);
    vault_key_free(k);
}

/* ---- a per-instance platform: an app registered on each server once ------------------ */

static int registrations;

static int m_register(struct connect_session *s, char *client_id, char *client_secret,
                      struct connect_result *res)
{
    registrations++;
    assert_non_null(s->cfg->redirect_uri);
    snprintf(client_id, 256, "app-%d", registrations);
    snprintf(client_secret, 256, "app-secret-%d", registrations);
    return 0;
}

static const char *m_seen_client_id;

static int m_authorize(const struct connect_session *s, const char *state, const char *challenge,
                       struct buf *url, struct error *err)
{
    assert_null(challenge);
    m_seen_client_id = s->cfg->client_id;
    buf_printf(url, "%s?client_id=%s&state=%s", s->cfg->auth_url, s->cfg->client_id, state);
    return 0;
}

static const struct connector test_m = {
    .platform = "mastodon",
    .title = "Mastodon",
    .scopes = "read write",
    .api_url = "https://mastodon.example",
    .per_instance_app = true,
    .register_app = m_register,
    .authorize_url = m_authorize,
};

static void test_app_per_server(void **state)
{
    (void)state;
    struct db *db = fresh();
    struct vault_key *k = key();
    struct error err = {0};
    struct oauth_consent c;
    struct oauth_begin b = {.connector = &test_m,
                            .public_url = PUBLIC,
                            .workspace_id = 1,
                            .user_id = 1,
                            .instance = " HTTPS://Social.Example.ORG/ ",
                            .now = NOW};
    registrations = 0;
    assert_int_equal(oauth_start(db, k, &b, &c, &err), 0);
    assert_string_equal(c.api_url, "https://social.example.org");
    assert_non_null(strstr(c.url, "https://social.example.org/oauth/authorize?client_id=app-1&"));
    free(c.url);
    /* Once per server. */
    b.instance = "social.example.org";
    assert_int_equal(oauth_start(db, k, &b, &c, &err), 0);
    free(c.url);
    assert_int_equal(registrations, 1);
    /* The secret is kept sealed. */
    struct db_stmt *q = db_query(db, &err, "SELECT client_secret FROM oauth_apps", "");
    assert_true(db_has_row(q));
    assert_null(strstr(db_col_text(q, 0), "app-secret"));
    db_finalize(q);
    /* Another server, another app. */
    b.instance = "https://other.example";
    assert_int_equal(oauth_start(db, k, &b, &c, &err), 0);
    free(c.url);
    assert_int_equal(registrations, 2);
    /* A new public URL: the first server's app was registered for the old
     * redirect URI, so kanal registers again and keeps the new one. */
    b.instance = "https://social.example.org";
    b.public_url = "https://kanal.example.net";
    assert_int_equal(oauth_start(db, k, &b, &c, &err), 0);
    free(c.url);
    assert_int_equal(registrations, 3);
    assert_string_equal(m_seen_client_id, "app-3");
    int64_t n = 0;
    db_scalar(db, &err, &n, "SELECT count(*) FROM oauth_apps", "");
    assert_int_equal(n, 2);
    /* Another key does not open the kept secret, and says so. */
    struct vault_key *other = vault_key_load(
        NULL, "1f1e1d1c1b1a191817161514131211100f0e0d0c0b0a09080706050403020100", &err);
    memset(&err, 0, sizeof err);
    assert_int_equal(oauth_start(db, other, &b, &c, &err), -1);
    assert_int_equal(err.kind, ERR_AUTH);
    assert_non_null(strstr(err.msg, "sealed with key"));
    assert_int_equal(registrations, 3);
    /* Addresses that are not a server's, or would carry tokens in the clear. */
    const char *bad[] = {"http://social.example.org", "https://social.example.org/path",
                         "ftp://x.example", "https://", "https://a b"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        b.instance = bad[i];
        memset(&err, 0, sizeof err);
        if (oauth_start(db, k, &b, &c, &err) == 0)
            fail_msg("'%s' was taken as a server's address", bad[i]);
        assert_int_equal(err.kind, ERR_INVALID);
        assert_string_equal(err.field, "instance");
    }
    b.instance = "http://127.0.0.1:8099"; /* this machine: a test's fake */
    assert_int_equal(oauth_start(db, k, &b, &c, &err), 0);
    free(c.url);
    vault_key_free(other);
    vault_key_free(k);
    db_close(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pkce_rfc7636),        cmocka_unit_test(test_sealed_context),
        cmocka_unit_test(test_state_once),          cmocka_unit_test(test_state_expiry),
        cmocka_unit_test(test_configuration_named), cmocka_unit_test(test_start_and_finish),
        cmocka_unit_test(test_channel_from_import), cmocka_unit_test(test_decline_uses_up),
        cmocka_unit_test(test_app_per_server),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
