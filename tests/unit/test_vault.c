/* Unit tests for the token vault (connect/vault.c) on an in-memory SQLite
 * store: the key's forms, a round trip, a wrong key, a changed value and one
 * moved to another channel, and that no message quotes a token. The stored
 * file itself is read by tests/e2e/test_tokens.py. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "connect/connect.h"
#include "model/model.h"

#define KEY_A "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
#define KEY_B "1f1e1d1c1b1a191817161514131211100f0e0d0c0b0a09080706050403020100"
/* KEY_A in base64 */
#define KEY_A64 "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
#define ACCESS  "EAAGm0PX4ZCpsBAsecretaccesstoken"
#define REFRESH "refresh-token-that-must-stay-secret"

static struct db *fresh(void)
{
    struct error err = {0};
    struct db *db = db_open(":memory:", &err);
    assert_non_null(db);
    log_set_level(LOG_ERROR);
    assert_true(db_migrate(db, &err) >= 1);
    assert_int_equal(db_exec(db,
                             "INSERT INTO workspaces (name, slug, created_at, updated_at) VALUES "
                             "('W', 'w', 0, 0); INSERT INTO channels (workspace_id, platform, "
                             "handle, name, created_at, updated_at) VALUES (1, 'facebook', 'a', "
                             "'A', 0, 0), (1, 'x', 'b', 'B', 0, 0)",
                             &err),
                     0);
    return db;
}

static struct vault_key *key(const char *text)
{
    struct error err = {0};
    struct vault_key *k = vault_key_load(NULL, text, &err);
    assert_non_null(k);
    return k;
}

static void store(struct db *db, struct vault_key *k, int64_t channel)
{
    struct error err = {0};
    struct channel_tokens t = {.access_token = ACCESS,
                               .refresh_token = REFRESH,
                               .expires_at = 1800000000,
                               .scopes = "pages_show_list pages_manage_posts"};
    assert_int_equal(vault_store(db, k, channel, &t, 1700000000, &err), 0);
}

static void test_key_forms(void **state)
{
    struct error err = {0};
    char a[17], a64[17], b[17];
    struct vault_key *ka = key(KEY_A), *ka64 = key("  " KEY_A64 "\n"), *kb = key(KEY_B);
    vault_key_id(ka, a);
    vault_key_id(ka64, a64);
    vault_key_id(kb, b);
    assert_string_equal(a, a64); /* hex and base64 of one key are one key */
    assert_string_not_equal(a, b);
    assert_int_equal(strlen(a), 16);
    vault_key_free(ka);
    vault_key_free(ka64);
    vault_key_free(kb);

    /* Nothing given: no key and no error. */
    assert_null(vault_key_load(NULL, NULL, &err));
    assert_int_equal(err.kind, ERR_NONE);
    /* 31 bytes, junk, empty: refused, naming where the key came from. */
    assert_null(vault_key_load(
        NULL, "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e", &err));
    assert_int_equal(err.kind, ERR_INVALID);
    assert_non_null(strstr(err.msg, "KANAL_SECRET_KEY: the secret key must be 32 bytes"));
    assert_null(vault_key_load(NULL, "correct horse battery staple", &err));
    assert_null(vault_key_load(NULL, " \n", &err));
    assert_non_null(strstr(err.msg, "is empty"));
    assert_null(vault_key_load("/nonexistent/kanal.key", NULL, &err));
    assert_non_null(strstr(err.msg, "/nonexistent/kanal.key"));

    /* From a file, which wins over the environment's value. */
    char path[] = "/tmp/kanal-test-key-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, KEY_B "\n", strlen(KEY_B) + 1), (ssize_t)strlen(KEY_B) + 1);
    close(fd);
    struct vault_key *kf = vault_key_load(path, KEY_A, &err);
    assert_non_null(kf);
    vault_key_id(kf, a);
    assert_string_equal(a, b);
    vault_key_free(kf);
    unlink(path);

    /* Generated keys load, and differ. */
    char g1[65], g2[65];
    vault_key_generate(g1);
    vault_key_generate(g2);
    assert_string_not_equal(g1, g2);
    vault_key_free(key(g1));
}

static void test_round_trip(void **state)
{
    struct db *db = fresh();
    struct vault_key *k = key(KEY_A);
    struct error err = {0};
    struct channel_tokens t = {0};
    assert_int_equal(vault_load(db, k, 1, &t, &err), 0); /* not connected */
    store(db, k, 1);
    assert_int_equal(vault_load(db, k, 1, &t, &err), 1);
    assert_string_equal(t.access_token, ACCESS);
    assert_string_equal(t.refresh_token, REFRESH);
    assert_int_equal(t.expires_at, 1800000000);
    assert_string_equal(t.scopes, "pages_show_list pages_manage_posts");
    channel_tokens_clear(&t);
    assert_null(t.access_token);

    /* The stored column is neither the token nor the same twice. */
    struct db_stmt *st =
        db_query(db, &err, "SELECT access_token FROM channel_tokens WHERE channel_id = 1", "");
    assert_true(db_has_row(st));
    char *first = strdup(db_col_text(st, 0));
    db_finalize(st);
    assert_null(strstr(first, ACCESS));
    store(db, k, 1); /* replaced: a fresh nonce */
    st = db_query(db, &err, "SELECT access_token, count(*) FROM channel_tokens", "");
    assert_string_not_equal(db_col_text(st, 0), first);
    assert_int_equal(db_col_int(st, 1), 1);
    db_finalize(st);
    free(first);

    /* Without a refresh token or expiry. */
    struct channel_tokens only = {.access_token = "mastodon-app-token"};
    assert_int_equal(vault_store(db, k, 2, &only, 1700000000, &err), 0);
    assert_int_equal(vault_load(db, k, 2, &t, &err), 1);
    assert_string_equal(t.access_token, "mastodon-app-token");
    assert_null(t.refresh_token);
    assert_int_equal(t.expires_at, 0);
    channel_tokens_clear(&t);

    assert_int_equal(vault_delete(db, 2, &err), 1);
    assert_int_equal(vault_delete(db, 2, &err), 0);
    assert_int_equal(vault_load(db, k, 2, &t, &err), 0);
    vault_key_free(k);
    db_close(db);
}

static void test_bad_input(void **state)
{
    struct db *db = fresh();
    struct vault_key *k = key(KEY_A);
    struct error err = {0};
    struct channel_tokens t = {.access_token = "has space"};
    assert_int_equal(vault_store(db, k, 1, &t, 0, &err), -1);
    assert_int_equal(err.kind, ERR_INVALID);
    assert_non_null(strstr(err.msg, "access_token: holds a space"));
    assert_null(strstr(err.msg, "has space"));
    t.access_token = "";
    assert_int_equal(vault_store(db, k, 1, &t, 0, &err), -1);
    t.access_token = NULL;
    assert_int_equal(vault_store(db, k, 1, &t, 0, &err), -1);
    assert_non_null(strstr(err.msg, "required"));
    t.access_token = "fine";
    assert_int_equal(vault_store(db, k, 99, &t, 0, &err), -1);
    assert_int_equal(err.kind, ERR_NOT_FOUND);
    vault_key_free(k);
    db_close(db);
}

static void test_wrong_key(void **state)
{
    struct db *db = fresh();
    struct vault_key *a = key(KEY_A), *b = key(KEY_B);
    struct error err = {0};
    store(db, a, 1);
    struct channel_tokens t = {0};
    assert_int_equal(vault_load(db, b, 1, &t, &err), -1);
    assert_int_equal(err.kind, ERR_AUTH);
    assert_non_null(strstr(err.msg, "the secret key does not open channel 1's tokens"));
    char ida[17], idb[17];
    vault_key_id(a, ida);
    vault_key_id(b, idb);
    assert_non_null(strstr(err.msg, ida)); /* which key sealed them, which is given */
    assert_non_null(strstr(err.msg, idb));
    assert_null(strstr(err.msg, ACCESS));
    assert_null(t.access_token);
    assert_int_equal(vault_load(db, a, 1, &t, &err), 1); /* the right one still opens */
    channel_tokens_clear(&t);
    vault_key_free(a);
    vault_key_free(b);
    db_close(db);
}

static void test_tampered_or_moved(void **state)
{
    struct db *db = fresh();
    struct vault_key *k = key(KEY_A);
    struct error err = {0};
    struct channel_tokens t = {0};
    store(db, k, 1);
    /* One base64 character changed in the sealed refresh token. */
    assert_int_equal(db_exec(db,
                             "UPDATE channel_tokens SET refresh_token = substr(refresh_token, 1, "
                             "40) || CASE substr(refresh_token, 41, 1) WHEN 'A' THEN 'B' ELSE "
                             "'A' END || substr(refresh_token, 42)",
                             &err),
                     0);
    assert_int_equal(vault_load(db, k, 1, &t, &err), -1);
    assert_int_equal(err.kind, ERR_AUTH);
    assert_non_null(strstr(err.msg, "does not open channel 1's tokens: the stored values were "
                                    "changed or damaged"));
    assert_null(t.access_token); /* nothing half-opened is handed out */
    /* Cut short, and not base64 at all. */
    assert_int_equal(db_exec(db, "UPDATE channel_tokens SET access_token = 'AAAA'", &err), 0);
    assert_int_equal(vault_load(db, k, 1, &t, &err), -1);
    assert_int_equal(db_exec(db, "UPDATE channel_tokens SET access_token = '%%%'", &err), 0);
    assert_int_equal(vault_load(db, k, 1, &t, &err), -1);

    /* A value sealed for channel 1 does not open as channel 2's, nor an
     * access token as a refresh token. */
    store(db, k, 1);
    assert_int_equal(db_exec(db,
                             "INSERT INTO channel_tokens (channel_id, access_token, key_id, "
                             "updated_at) SELECT 2, access_token, key_id, 0 FROM channel_tokens "
                             "WHERE channel_id = 1",
                             &err),
                     0);
    assert_int_equal(vault_load(db, k, 2, &t, &err), -1);
    assert_int_equal(db_exec(db, "UPDATE channel_tokens SET refresh_token = access_token", &err),
                     0);
    assert_int_equal(vault_load(db, k, 1, &t, &err), -1);
    vault_key_free(k);
    db_close(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_forms),         cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_bad_input),         cmocka_unit_test(test_wrong_key),
        cmocka_unit_test(test_tampered_or_moved),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
