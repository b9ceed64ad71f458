/* user: people who sign in, their roles, what an admin changes about them
 * later, and their browser sessions and API tokens. Secrets never rest in
 * the store in the clear: passwords as argon2id, tokens as SHA-256. */
#include "base/asset.h"
#include "model/internal.h"

#include <assert.h>
#include <ctype.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static const char *const role_names[ROLE_COUNT] = {"admin", "editor", "author", "moderator",
                                                   "analyst"};

int role_parse(const char *name)
{
    for (int i = 0; i < ROLE_COUNT; i++)
        if (str_eq(name, role_names[i]))
            return i;
    return -1;
}

const char *role_name(enum role r)
{
    return r < ROLE_COUNT ? role_names[r] : "unknown";
}

/* ---- users ----------------------------------------------------------------------- */

static int normalise_email(const char *in, char out[256], struct error *err)
{
    size_t n = in ? strlen(in) : 0;
    if (n == 0 || n > 254)
        return error_field(err, ERR_INVALID, "email",
                           "an email address of 1 to 254 characters is required");
    const char *at = strchr(in, '@');
    if (!at || at == in || !at[1] || strchr(at + 1, '@') || !strchr(at + 1, '.'))
        return error_field(err, ERR_INVALID, "email", "'%.80s' is not an email address", in);
    for (size_t i = 0; i <= n; i++) {
        unsigned char c = (unsigned char)in[i];
        if (c && (c <= ' ' || c == 0x7f))
            return error_field(err, ERR_INVALID, "email",
                               "an email address may not contain spaces");
        out[i] = (char)tolower(c);
    }
    return 0;
}

/* True when `pw` is a line of one of the deny-lists (any case). The lists
 * are a few kilobytes, read once per password set: no index is worth it. */
static bool password_common(const char *pw)
{
    size_t len = strlen(pw);
    for (const struct asset *a = password_lists; a->name; a++) {
        const char *p = (const char *)a->data, *end = p + a->len;
        while (p < end) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            if (!nl)
                nl = end;
            size_t n = (size_t)(nl - p);
            if (n && p[n - 1] == '\r')
                n--;
            if (n == len && *p != '#' && strncasecmp(p, pw, n) == 0)
                return true;
            p = nl + 1;
        }
    }
    return false;
}

int password_check(const char *password, struct error *err)
{
    size_t plen = password ? strlen(password) : 0;
    if (plen < PASSWORD_MIN || plen > PASSWORD_MAX)
        return error_field(err, ERR_INVALID, "password",
                           "a password must be %d to %d characters long", PASSWORD_MIN,
                           PASSWORD_MAX);
    bool one_char = strspn(password, (char[]){password[0], '\0'}) == plen;
    if (one_char || password_common(password))
        return error_field(err, ERR_INVALID, "password",
                           "this password is one of the most common ones, which attackers try "
                           "first; choose another (a few unrelated words make a good one)");
    return 0;
}

static int password_hash(const char *password, char hash[crypto_pwhash_STRBYTES], struct error *err)
{
    if (sodium_init() < 0)
        return error_set(err, ERR_INTERNAL, "libsodium could not start");
    /* INTERACTIVE limits keep a login under ~100 ms on small servers. */
    if (crypto_pwhash_str_alg(hash, password, strlen(password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                              crypto_pwhash_MEMLIMIT_INTERACTIVE, crypto_pwhash_ALG_ARGON2ID13))
        return error_set(err, ERR_INTERNAL, "out of memory while hashing the password");
    return 0;
}

int user_create(struct db *db, const char *email, const char *name, const char *role,
                const char *password, int64_t *id, struct error *err)
{
    char norm[256];
    if (normalise_email(email, norm, err))
        return -1;
    if (role_parse(role) < 0)
        return error_field(err, ERR_INVALID, "role",
                           "unknown role '%.40s': use admin, editor, author, moderator or analyst",
                           role ? role : "");
    if (password_check(password, err))
        return -1;
    if (name && strlen(name) > 120)
        return error_field(err, ERR_INVALID, "name", "a name may be at most 120 bytes");
    char hash[crypto_pwhash_STRBYTES];
    if (password_hash(password, hash, err))
        return -1;
    int64_t now = time_now(), newid = 0;
    int rc = db_scalar(db, err, &newid,
                       "INSERT INTO users (email, name, role, password_hash, created_at, "
                       "updated_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                       "ttttii", norm, name ? name : "", role, hash, now, now);
    if (rc < 0) {
        if (err && err->kind == ERR_CONFLICT)
            error_field(err, ERR_CONFLICT, "email", "a user with email %s already exists", norm);
        return -1;
    }
    if (id)
        *id = newid;
    return audit_record(db, 0, 0, "create", "user", newid, norm, err);
}

static void user_from_row(struct user *u, struct db_stmt *st)
{
    u->id = db_col_int(st, 0);
    snprintf(u->email, sizeof u->email, "%s", db_col_text(st, 1));
    snprintf(u->name, sizeof u->name, "%s", db_col_text(st, 2));
    int r = role_parse(db_col_text(st, 3));
    u->role = r < 0 ? ROLE_ANALYST : (enum role)r; /* least power if the row is odd */
    u->disabled = db_col_int(st, 4) != 0;
}

static char dummy_hash[crypto_pwhash_STRBYTES];
static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;

static void make_dummy_hash(void)
{
    unsigned char secret[32];
    randombytes_buf(secret, sizeof secret);
    if (crypto_pwhash_str_alg(dummy_hash, (const char *)secret, sizeof secret,
                              crypto_pwhash_OPSLIMIT_INTERACTIVE,
                              crypto_pwhash_MEMLIMIT_INTERACTIVE, crypto_pwhash_ALG_ARGON2ID13))
        dummy_hash[0] = '\0';
}

#define USER_COLS "u.id, u.email, u.name, u.role, u.disabled"

int user_authenticate(struct db *db, const char *email, const char *password, struct user *out,
                      struct error *err)
{
    char norm[256];
    static const char bad[] = "wrong email or password";
    if (normalise_email(email, norm, NULL) || !password)
        return error_set(err, ERR_AUTH, bad);
    struct db_stmt *st = db_query(db, err,
                                  "SELECT " USER_COLS ", u.password_hash FROM users u "
                                  "WHERE u.email = ?",
                                  "t", norm);
    if (!st)
        return -1;
    int rc = -1;
    if (!db_has_row(st)) {
        /* Spend the time a real check would, so timing does not reveal
         * which emails exist. */
        pthread_once(&dummy_once, make_dummy_hash);
        if (crypto_pwhash_str_verify(dummy_hash, password, strlen(password)) == 0)
            log_warn("a password matched the timing dummy");
        error_set(err, ERR_AUTH, bad);
        goto done;
    }
    if (crypto_pwhash_str_verify(db_col_text(st, 5), password, strlen(password)) != 0) {
        error_set(err, ERR_AUTH, bad);
        goto done;
    }
    user_from_row(out, st);
    if (out->disabled) {
        error_set(err, ERR_AUTH, bad);
        goto done;
    }
    rc = 0;
done:
    db_finalize(st);
    return rc;
}

int user_get(struct db *db, int64_t id, struct user *out, struct error *err)
{
    struct db_stmt *st =
        db_query(db, err, "SELECT " USER_COLS " FROM users u WHERE u.id = ?", "i", id);
    if (!st)
        return -1;
    int rc = 0;
    if (db_has_row(st))
        user_from_row(out, st);
    else
        rc = error_set(err, ERR_NOT_FOUND, "no user %lld", (long long)id);
    db_finalize(st);
    return rc;
}

json_t *user_to_json(const struct user *u)
{
    return json_pack("{s:I, s:s, s:s, s:s, s:b}", "id", (json_int_t)u->id, "email", u->email,
                     "name", u->name, "role", role_name(u->role), "disabled", u->disabled);
}

static json_t *user_row_json(struct db_stmt *st)
{
    struct user u;
    user_from_row(&u, st);
    return user_to_json(&u);
}

json_t *user_list(struct db *db, struct error *err)
{
    json_t *items =
        json_rows(db_query(db, err, "SELECT " USER_COLS " FROM users u ORDER BY u.id", ""),
                  user_row_json, err);
    return items ? page_result(items, NULL) : NULL;
}

int user_find(struct db *db, const char *email, int64_t *id, struct error *err)
{
    char norm[256];
    if (normalise_email(email, norm, err))
        return -1;
    int found = db_scalar(db, err, id, "SELECT id FROM users WHERE email = ?", "t", norm);
    if (found == 0)
        error_set(err, ERR_NOT_FOUND, "no user with email %s", norm);
    return found == 1 ? 0 : -1;
}

/* Ends what lets user `id` in: their sessions, and their tokens unless
 * `sessions_only`. Part of the caller's transaction. */
static int end_access(struct db *db, int64_t id, bool sessions_only, struct error *err)
{
    if (db_run(db, err, "DELETE FROM sessions WHERE user_id = ?", "i", id) < 0)
        return -1;
    if (sessions_only)
        return 0;
    return db_do(db, err,
                 "UPDATE api_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL",
                 "ii", time_now(), id);
}

/* The patch's values over the user's own; ERR_INVALID names a wrong field. */
static int user_patch_parse(json_t *patch, struct user *u, struct error *err)
{
    if (!json_is_object(patch) || json_object_size(patch) == 0)
        return error_set(err, ERR_INVALID, "send one or more of role, disabled and name");
    const char *key;
    json_t *v;
    json_object_foreach (patch, key, v) {
        if (str_eq(key, "role")) {
            int r = json_is_string(v) ? role_parse(json_string_value(v)) : -1;
            if (r < 0)
                return error_field(err, ERR_INVALID, "role",
                                   "role must be admin, editor, author, moderator or analyst");
            u->role = (enum role)r;
        } else if (str_eq(key, "disabled")) {
            if (!json_is_boolean(v))
                return error_field(err, ERR_INVALID, "disabled", "disabled must be true or false");
            u->disabled = json_is_true(v);
        } else if (str_eq(key, "name")) {
            if (!json_is_string(v) || json_string_length(v) > 120 ||
                !utf8_valid(json_string_value(v), json_string_length(v)))
                return error_field(err, ERR_INVALID, "name",
                                   "name must be text of at most 120 bytes");
            snprintf(u->name, sizeof u->name, "%s", json_string_value(v));
        } else {
            return error_field(err, ERR_INVALID, key,
                               "unknown field '%s' (a user's role, disabled and name change)", key);
        }
    }
    return 0;
}

int user_update(struct db *db, int64_t id, json_t *patch, const struct actor *who,
                struct error *err)
{
    assert(db && who);
    struct user before, after;
    if (db_begin(db, err))
        return -1;
    /* Touching every active admin's row first makes two admins demoting
     * each other at once take turns on PostgreSQL too, so the count below
     * sees the other's change and one of them keeps the role. */
    if (db_run(db, err,
               "UPDATE users SET updated_at = updated_at WHERE role = 'admin' AND disabled = 0",
               "") < 0 ||
        user_get(db, id, &before, err))
        goto fail;
    after = before;
    if (user_patch_parse(patch, &after, err))
        goto fail;
    bool was_admin = before.role == ROLE_ADMIN && !before.disabled;
    bool is_admin = after.role == ROLE_ADMIN && !after.disabled;
    if (was_admin && !is_admin) {
        int64_t others = 0;
        if (db_scalar(
                db, err, &others,
                "SELECT COUNT(*) FROM users WHERE role = 'admin' AND disabled = 0 AND id <> ?", "i",
                id) < 0)
            goto fail;
        if (others == 0) {
            error_set(err, ERR_CONFLICT,
                      "%s is the last active admin: make another user admin first", before.email);
            goto fail;
        }
    }
    int64_t now = time_now();
    if (db_run(db, err,
               "UPDATE users SET role = ?, name = ?, disabled = ?, updated_at = ? WHERE id = ?",
               "ttiii", role_name(after.role), after.name, (int64_t)after.disabled, now, id) < 0)
        goto fail;
    if (before.disabled != after.disabled &&
        db_run(db, err, "UPDATE users SET disabled_at = ? WHERE id = ?", "Ii",
               after.disabled ? &now : NULL, id) < 0)
        goto fail;
    if (after.disabled && !before.disabled && end_access(db, id, false, err))
        goto fail;
    char detail[600];
    snprintf(detail, sizeof detail, "%s: role %s -> %s%s%s%s", before.email, role_name(before.role),
             role_name(after.role),
             before.disabled == after.disabled ? ""
             : after.disabled                  ? ", disabled"
                                               : ", enabled",
             str_eq(before.name, after.name) ? "" : ", name -> ",
             str_eq(before.name, after.name) ? "" : after.name);
    if (audit_record(db, 0, who->user_id, "update", "user", id, detail, err) || db_commit(db, err))
        goto fail;
    return 0;
fail:
    db_rollback(db);
    return -1;
}

int user_set_password(struct db *db, int64_t id, const char *old, const char *password,
                      const struct actor *who, struct error *err)
{
    assert(db && who);
    if (password_check(password, err))
        return -1;
    if (old) {
        struct db_stmt *st =
            db_query(db, err, "SELECT password_hash FROM users WHERE id = ?", "i", id);
        if (!st)
            return -1;
        bool ok =
            db_has_row(st) && crypto_pwhash_str_verify(db_col_text(st, 0), old, strlen(old)) == 0;
        db_finalize(st);
        if (!ok)
            return error_field(err, ERR_INVALID, "old_password", "the current password is wrong");
    }
    char hash[crypto_pwhash_STRBYTES];
    if (password_hash(password, hash, err) || db_begin(db, err))
        return -1;
    int64_t now = time_now();
    int64_t n = db_run(db, err,
                       "UPDATE users SET password_hash = ?, password_changed_at = ?, "
                       "updated_at = ? WHERE id = ?",
                       "tiii", hash, now, now, id);
    if (n == 0)
        error_set(err, ERR_NOT_FOUND, "no user %lld", (long long)id);
    return db_end(db,
                  n <= 0 || (!old && end_access(db, id, true, err)) ||
                      audit_record(db, 0, who->user_id, old ? "change_password" : "reset_password",
                                   "user", id, "", err),
                  err);
}

int user_revoke_access(struct db *db, int64_t id, const struct actor *who, struct error *err)
{
    assert(db && who);
    struct user u;
    if (user_get(db, id, &u, err) || db_begin(db, err))
        return -1;
    return db_end(db,
                  end_access(db, id, false, err) ||
                      audit_record(db, 0, who->user_id, "revoke_access", "user", id, u.email, err),
                  err);
}

int model_active_user(struct db *db, int64_t id, const char *field, const char *label,
                      struct error *err)
{
    int found =
        db_scalar(db, err, NULL, "SELECT 1 FROM users WHERE id = ? AND disabled = 0", "i", id);
    if (found < 0)
        return -1;
    if (!found)
        return error_field(err, ERR_INVALID, field, "%s: no active user %lld", label,
                           (long long)id);
    return 0;
}

/* ---- tokens ------------------------------------------------------------------------ */

void token_new(char out[TOKEN_HEX + 1])
{
    unsigned char raw[TOKEN_HEX / 2];
    randombytes_buf(raw, sizeof raw);
    str_hex(raw, sizeof raw, out);
}

void token_hash(const char *token, char out[65])
{
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, (const unsigned char *)token, strlen(token));
    str_hex(h, sizeof h, out);
}

static bool token_shape(const char *t, size_t prefix_len)
{
    if (!t || strlen(t) != prefix_len + TOKEN_HEX)
        return false;
    for (const char *p = t + prefix_len; *p; p++)
        if (!isxdigit((unsigned char)*p) || isupper((unsigned char)*p))
            return false;
    return true;
}

int session_create(struct db *db, int64_t user_id, char token[TOKEN_HEX + 1],
                   char csrf[TOKEN_HEX + 1], struct error *err)
{
    if (sodium_init() < 0)
        return error_set(err, ERR_INTERNAL, "libsodium could not start");
    char hash[65];
    token_new(token);
    token_new(csrf);
    token_hash(token, hash);
    int64_t now = time_now();
    /* Expired sessions are swept here rather than by a timer thread. */
    if (db_run(db, err, "DELETE FROM sessions WHERE expires_at < ?", "i", now) < 0)
        return -1;
    if (db_run(db, err,
               "INSERT INTO sessions (user_id, token_hash, csrf_token, created_at, expires_at) "
               "VALUES (?, ?, ?, ?, ?)",
               "ittii", user_id, hash, csrf, now, now + SESSION_TTL) < 0)
        return -1;
    return audit_record(db, 0, user_id, "login", "session", 0, "", err);
}

/* The user a session's or an API token's row names (its query takes the
 * token's hash and the time now), positioned on that row for the caller's
 * column 5 and to be finalized by it; NULL, with the error set, when the
 * row is gone or the user disabled. */
static struct db_stmt *user_by_token(struct db *db, const char *sql, const char *token,
                                     const char *gone, struct user *u, struct error *err)
{
    char hash[65];
    token_hash(token, hash);
    struct db_stmt *st = db_query(db, err, sql, "ti", hash, time_now());
    if (!st)
        return NULL;
    if (!db_has_row(st)) {
        error_set(err, ERR_AUTH, "%s", gone);
    } else {
        user_from_row(u, st);
        if (!u->disabled)
            return st;
        error_set(err, ERR_AUTH, "this user is disabled");
    }
    db_finalize(st);
    return NULL;
}

int session_resolve(struct db *db, const char *token, struct user *u, char csrf[TOKEN_HEX + 1],
                    struct error *err)
{
    if (!token_shape(token, 0))
        return error_set(err, ERR_AUTH, "not signed in");
    struct db_stmt *st = user_by_token(db,
                                       "SELECT " USER_COLS ", s.csrf_token FROM sessions s "
                                       "JOIN users u ON u.id = s.user_id "
                                       "WHERE s.token_hash = ? AND s.expires_at > ?",
                                       token, "the session has expired; sign in again", u, err);
    if (!st)
        return -1;
    snprintf(csrf, TOKEN_HEX + 1, "%s", db_col_text(st, 5));
    db_finalize(st);
    return 0;
}

int session_delete(struct db *db, const char *token, struct error *err)
{
    if (!token_shape(token, 0))
        return 0;
    char hash[65];
    token_hash(token, hash);
    return db_do(db, err, "DELETE FROM sessions WHERE token_hash = ?", "t", hash);
}

int api_token_create(struct db *db, int64_t user_id, const char *name, int64_t expires_at,
                     char token[API_TOKEN_LEN + 1], int64_t *id, struct error *err)
{
    if (!name || !*name || strlen(name) > 100)
        return error_field(err, ERR_INVALID, "name", "a token needs a name of 1 to 100 bytes");
    int64_t now = time_now();
    if (expires_at && (expires_at <= now || expires_at > now + TOKEN_LIFE_MAX))
        return error_field(err, ERR_INVALID, "expires_at",
                           "a token must expire in the future and within %d days",
                           TOKEN_LIFE_MAX / 86400);
    if (sodium_init() < 0)
        return error_set(err, ERR_INTERNAL, "libsodium could not start");
    char hex[TOKEN_HEX + 1], hash[65];
    token_new(hex);
    snprintf(token, API_TOKEN_LEN + 1, "kanal_%s", hex);
    token_hash(token, hash);
    int64_t newid = 0;
    if (db_scalar(db, err, &newid,
                  "INSERT INTO api_tokens (user_id, name, token_hash, created_at, expires_at) "
                  "VALUES (?, ?, ?, ?, ?) RETURNING id",
                  "ittiI", user_id, name, hash, now, expires_at ? &expires_at : NULL) < 0)
        return -1;
    if (id)
        *id = newid;
    return audit_record(db, 0, user_id, "create", "api_token", newid, name, err);
}

int api_token_resolve(struct db *db, const char *token, struct user *u, struct error *err)
{
    if (!token || !str_starts_with(token, "kanal_") || !token_shape(token, 6))
        return error_set(err, ERR_AUTH, "the API token is not valid");
    struct db_stmt *st =
        user_by_token(db,
                      "SELECT " USER_COLS ", t.id FROM api_tokens t "
                      "JOIN users u ON u.id = t.user_id "
                      "WHERE t.token_hash = ? AND t.revoked_at IS NULL "
                      "AND (t.expires_at IS NULL OR t.expires_at > ?)",
                      token, "the API token is not valid, has expired or has been revoked", u, err);
    if (!st)
        return -1;
    int64_t tid = db_col_int(st, 5);
    db_finalize(st);
    return db_do(db, err, "UPDATE api_tokens SET last_used_at = ? WHERE id = ?", "ii", time_now(),
                 tid);
}

static json_t *token_json(struct db_stmt *st)
{
    json_t *o = json_pack("{s:I, s:s, s:o}", "id", (json_int_t)db_col_int(st, 0), "name",
                          db_col_text(st, 1), "created_at", json_time(db_col_int(st, 2)));
    for (int c = 3; c <= 5; c++) /* last_used_at, revoked_at, expires_at */
        json_object_set_new(o, db_col_name(st, c), json_time_col(st, c));
    return o;
}

json_t *api_token_list(struct db *db, int64_t user_id, struct error *err)
{
    json_t *items = json_rows(db_query(db, err,
                                       "SELECT id, name, created_at, last_used_at, revoked_at, "
                                       "expires_at "
                                       "FROM api_tokens WHERE user_id = ? ORDER BY id",
                                       "i", user_id),
                              token_json, err);
    return items ? page_result(items, NULL) : NULL;
}

int api_token_revoke(struct db *db, int64_t user_id, int64_t id, struct error *err)
{
    int64_t n = db_run(db, err,
                       "UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND user_id = ? "
                       "AND revoked_at IS NULL",
                       "iii", time_now(), id, user_id);
    if (n < 0)
        return -1;
    if (n == 0)
        return error_set(err, ERR_NOT_FOUND, "no active token %lld of yours", (long long)id);
    return audit_record(db, 0, user_id, "revoke", "api_token", id, "", err);
}

const char *const model_count_names[6] = {"workspaces",    "channels", "posts",
                                          "post_variants", "messages", "users"};

int model_counts(struct db *db, int64_t counts[6], struct error *err)
{
    for (int i = 0; i < 6; i++) {
        char sql[80];
        snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM %s", model_count_names[i]);
        if (db_scalar(db, err, &counts[i], sql, "") < 0)
            return -1;
    }
    return 0;
}
