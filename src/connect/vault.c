/* vault: a connected channel's tokens, sealed at rest (connect.h says how).
 * Whoever reads the database, or a backup of it, learns no token without
 * the key, which lives in a file or the environment of `kanal serve`. */
#include "connect/connect.h"

#include <assert.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct vault_key {
    unsigned char k[VAULT_KEY_BYTES];
};

/* ---- the key ------------------------------------------------------------------ */

/* 32 bytes from 64 hex digits or base64 (either alphabet, padded or not). */
static bool key_parse(const char *text, size_t n, unsigned char out[VAULT_KEY_BYTES])
{
    size_t got = 0;
    if (n == 2 * VAULT_KEY_BYTES)
        return sodium_hex2bin(out, VAULT_KEY_BYTES, text, n, NULL, &got, NULL) == 0 &&
               got == VAULT_KEY_BYTES;
    static const int variants[] = {
        sodium_base64_VARIANT_ORIGINAL, sodium_base64_VARIANT_ORIGINAL_NO_PADDING,
        sodium_base64_VARIANT_URLSAFE, sodium_base64_VARIANT_URLSAFE_NO_PADDING};
    for (size_t i = 0; i < ARRAY_LEN(variants); i++) {
        const char *end = NULL;
        if (sodium_base642bin(out, VAULT_KEY_BYTES, text, n, NULL, &got, &end, variants[i]) == 0 &&
            got == VAULT_KEY_BYTES && end == text + n)
            return true;
    }
    return false;
}

struct vault_key *vault_key_load(const char *file, const char *value, struct error *err)
{
    if (err)
        *err = (struct error){0};
    if (!file && !value)
        return NULL;
    if (sodium_init() < 0) {
        error_set(err, ERR_INTERNAL, "libsodium could not start");
        return NULL;
    }
    struct buf b = {0};
    const char *where = file ? file : "KANAL_SECRET_KEY";
    if (file) {
        if (buf_read_file(&b, file, 4096, err))
            return NULL;
        struct stat sb;
        if (stat(file, &sb) == 0 && (sb.st_mode & 077))
            log_warn("%s: the secret key file can be read by other users (chmod 600 it)", file);
    } else {
        buf_puts(&b, value);
    }
    const char *s = b.data ? b.data : "";
    size_t n = b.len;
    while (n && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    while (n && (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r'))
        s++, n--;
    struct vault_key *k = sodium_malloc(sizeof *k);
    if (!k) {
        connect_buf_wipe(&b);
        error_set(err, ERR_INTERNAL, "no memory for the secret key");
        return NULL;
    }
    bool ok = n > 0 && key_parse(s, n, k->k);
    connect_buf_wipe(&b);
    if (!ok) {
        sodium_free(k);
        if (n == 0)
            error_set(err, ERR_INVALID, "%s: the secret key is empty", where);
        else
            error_set(err, ERR_INVALID,
                      "%s: the secret key must be %d bytes written as %d hex digits or in "
                      "base64 (`kanal secret-key` makes one); this is %zu characters that are "
                      "neither",
                      where, VAULT_KEY_BYTES, 2 * VAULT_KEY_BYTES, n);
        return NULL;
    }
    return k;
}

void vault_key_free(struct vault_key *k)
{
    if (k)
        sodium_free(k); /* wipes it */
}

void vault_key_generate(char out[2 * VAULT_KEY_BYTES + 1])
{
    unsigned char k[VAULT_KEY_BYTES];
    if (sodium_init() < 0)
        abort(); /* no randomness: nothing safe to hand out */
    randombytes_buf(k, sizeof k);
    sodium_bin2hex(out, 2 * VAULT_KEY_BYTES + 1, k, sizeof k);
    sodium_memzero(k, sizeof k);
}

void vault_key_id(const struct vault_key *k, char out[17])
{
    static const char what[] = "kanal vault key id";
    unsigned char h[8];
    crypto_generichash(h, sizeof h, (const unsigned char *)what, sizeof what - 1, k->k,
                       sizeof k->k);
    sodium_bin2hex(out, 17, h, sizeof h);
}

void vault_key_derive(const struct vault_key *k, const char *purpose,
                      unsigned char out[VAULT_KEY_BYTES])
{
    crypto_generichash(out, VAULT_KEY_BYTES, (const unsigned char *)purpose, strlen(purpose), k->k,
                       sizeof k->k);
}

/* ---- sealing ------------------------------------------------------------------ */

/* base64(nonce || secretbox(PREFIX token)); caller frees. */
static char *seal_with(const struct vault_key *k, const char *prefix, size_t np, const char *token)
{
    size_t nt = strlen(token), mlen = np + nt;
    unsigned char *m = sodium_malloc(mlen);
    size_t blen = crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + mlen;
    unsigned char *box = xmalloc(blen);
    if (!m)
        abort();
    memcpy(m, prefix, np);
    memcpy(m + np, token, nt);
    randombytes_buf(box, crypto_secretbox_NONCEBYTES);
    crypto_secretbox_easy(box + crypto_secretbox_NONCEBYTES, m, mlen, box, k->k);
    sodium_free(m);
    size_t n64 = sodium_base64_encoded_len(blen, sodium_base64_VARIANT_ORIGINAL);
    char *out = xmalloc(n64);
    sodium_bin2base64(out, n64, box, blen, sodium_base64_VARIANT_ORIGINAL);
    free(box);
    return out;
}

/* "CHANNEL:FIELD:", what a channel's token is sealed behind; its length. */
static size_t field_prefix(char prefix[48], int64_t channel_id, const char *field)
{
    int np = snprintf(prefix, 48, "%lld:%s:", (long long)channel_id, field);
    assert(np > 0 && np < 48);
    return (size_t)np;
}

/* base64(nonce || secretbox("CHANNEL:FIELD:" token)); caller frees. */
static char *seal(const struct vault_key *k, int64_t channel_id, const char *field,
                  const char *token)
{
    char prefix[48];
    size_t np = field_prefix(prefix, channel_id, field);
    return seal_with(k, prefix, np, token);
}

/* The token sealed in `stored` behind PREFIX, or NULL when it does not open
 * (a wrong key, a changed value, one moved from elsewhere). */
static char *open_with(const struct vault_key *k, const char *prefix, size_t np, const char *stored)
{
    size_t n64 = strlen(stored), blen = 0;
    unsigned char *box = xmalloc(n64 + 1);
    char *token = NULL;
    unsigned char *m = NULL;
    if (sodium_base642bin(box, n64 + 1, stored, n64, NULL, &blen, NULL,
                          sodium_base64_VARIANT_ORIGINAL) ||
        blen < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES)
        goto done;
    size_t mlen = blen - crypto_secretbox_NONCEBYTES - crypto_secretbox_MACBYTES;
    m = sodium_malloc(mlen + 1);
    if (!m || crypto_secretbox_open_easy(m, box + crypto_secretbox_NONCEBYTES,
                                         blen - crypto_secretbox_NONCEBYTES, box, k->k) != 0)
        goto done;
    if (np > mlen || memcmp(m, prefix, np) != 0)
        goto done;
    token = xmalloc(mlen - np + 1);
    memcpy(token, m + np, mlen - np);
    token[mlen - np] = '\0';
done:
    if (m)
        sodium_free(m);
    free(box);
    return token;
}

static char *open_sealed(const struct vault_key *k, int64_t channel_id, const char *field,
                         const char *stored)
{
    char prefix[48];
    size_t np = field_prefix(prefix, channel_id, field);
    return open_with(k, prefix, np, stored);
}

/* The context ends in a NUL byte in the sealed text, so that no context is
 * a prefix of another's (a channel's "N:access:" holds none). */
char *vault_seal(const struct vault_key *k, const char *context, const char *value)
{
    assert(k && context && value);
    return seal_with(k, context, strlen(context) + 1, value);
}

char *vault_open(const struct vault_key *k, const char *context, const char *sealed)
{
    assert(k && context && sealed);
    return open_with(k, context, strlen(context) + 1, sealed);
}

void vault_free(char *s)
{
    if (s) {
        sodium_memzero(s, strlen(s));
        free(s);
    }
}

void channel_tokens_clear(struct channel_tokens *t)
{
    if (!t)
        return;
    vault_free(t->access_token);
    vault_free(t->refresh_token);
    free(t->scopes);
    *t = (struct channel_tokens){0};
}

static int token_check(const char *what, const char *s, struct error *err)
{
    size_t n = strlen(s);
    if (n == 0 || n > VAULT_TOKEN_MAX)
        return error_set(err, ERR_INVALID, "%s: must be 1 to %d bytes", what, VAULT_TOKEN_MAX);
    for (const char *p = s; *p; p++) /* tokens are printable ASCII on every platform */
        if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f)
            return error_set(err, ERR_INVALID,
                             "%s: holds a space, control character or non-ASCII byte at "
                             "byte %zu",
                             what, (size_t)(p - s) + 1);
    return 0;
}

int vault_store(struct db *db, const struct vault_key *k, int64_t channel_id,
                const struct channel_tokens *t, int64_t now, struct error *err)
{
    assert(db && k && t && channel_id > 0);
    if (!t->access_token || token_check("access_token", t->access_token, err))
        return t->access_token ? -1 : error_set(err, ERR_INVALID, "access_token: required");
    if (t->refresh_token && token_check("refresh_token", t->refresh_token, err))
        return -1;
    if (t->scopes && !utf8_text(t->scopes, 0, 2000))
        return error_set(err, ERR_INVALID, "scopes: must be at most 2000 bytes of UTF-8");
    if (t->expires_at < 0)
        return error_set(err, ERR_INVALID, "expires_at: must not be negative");
    int64_t one;
    int found = db_scalar(db, err, &one, "SELECT 1 FROM channels WHERE id = ?", "i", channel_id);
    if (found <= 0)
        return found < 0 ? -1
                         : error_set(err, ERR_NOT_FOUND, "no channel %lld", (long long)channel_id);
    char id[17];
    vault_key_id(k, id);
    char *access = seal(k, channel_id, "access", t->access_token);
    char *refresh = t->refresh_token ? seal(k, channel_id, "refresh", t->refresh_token) : NULL;
    const int64_t *expires = t->expires_at ? &t->expires_at : NULL;
    int64_t n = db_run(db, err,
                       "INSERT INTO channel_tokens (channel_id, access_token, refresh_token, "
                       "expires_at, scopes, key_id, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?) "
                       "ON CONFLICT (channel_id) DO UPDATE SET access_token = "
                       "excluded.access_token, refresh_token = excluded.refresh_token, "
                       "expires_at = excluded.expires_at, scopes = excluded.scopes, key_id = "
                       "excluded.key_id, updated_at = excluded.updated_at",
                       "ittItti", channel_id, access, refresh, expires, t->scopes ? t->scopes : "",
                       id, now);
    free(access);
    free(refresh);
    if (n < 0) {
        /* The database's message may quote the values: they are sealed,
         * but say only what failed. */
        return error_set(err, err ? err->kind : ERR_INTERNAL,
                         "channel %lld: the tokens could not be stored", (long long)channel_id);
    }
    return 0;
}

int vault_load(struct db *db, const struct vault_key *k, int64_t channel_id,
               struct channel_tokens *out, struct error *err)
{
    assert(db && k && out);
    *out = (struct channel_tokens){0};
    struct db_stmt *st;
    int found = db_row(db, err, &st,
                       "SELECT access_token, refresh_token, expires_at, scopes, key_id "
                       "FROM channel_tokens WHERE channel_id = ?",
                       "i", channel_id);
    if (found <= 0)
        return found;
    char id[17], sealed_with[17];
    vault_key_id(k, id);
    snprintf(sealed_with, sizeof sealed_with, "%s", db_col_text(st, 4));
    out->access_token = open_sealed(k, channel_id, "access", db_col_text(st, 0));
    bool ok = out->access_token != NULL;
    if (ok && !db_col_null(st, 1)) {
        out->refresh_token = open_sealed(k, channel_id, "refresh", db_col_text(st, 1));
        ok = out->refresh_token != NULL;
    }
    out->expires_at = db_col_null(st, 2) ? 0 : db_col_int(st, 2);
    out->scopes = xstrdup(db_col_text(st, 3));
    db_finalize(st);
    if (ok)
        return 1;
    channel_tokens_clear(out);
    if (!str_eq(id, sealed_with))
        return error_set(err, ERR_AUTH,
                         "the secret key does not open channel %lld's tokens: they were sealed "
                         "with key %s and this is key %s (give the key they were sealed with, or "
                         "connect the channel again)",
                         (long long)channel_id, sealed_with, id);
    return error_set(err, ERR_AUTH,
                     "the secret key does not open channel %lld's tokens: the stored values were "
                     "changed or damaged (connect the channel again)",
                     (long long)channel_id);
}

int vault_delete(struct db *db, int64_t channel_id, struct error *err)
{
    assert(db);
    int64_t n = db_run(db, err, "DELETE FROM channel_tokens WHERE channel_id = ?", "i", channel_id);
    return n < 0 ? -1 : n > 0;
}
