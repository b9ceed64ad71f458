/* connect: kanal's side of the platforms' APIs. Today the pieces every
 * connector shares: the token vault (tokens sealed at rest with a key kept
 * outside the store) and the HTTP client (libcurl, with the platforms'
 * rate-limit signals read into one struct). Uses base/, db/ and model/;
 * never http/ or cli/. */
#ifndef KANAL_CONNECT_H
#define KANAL_CONNECT_H

#include "base/base.h"
#include "db/db.h"

/* ---- the token vault (connect/vault.c) -------------------------------------------
 * Tokens are sealed with libsodium's crypto_secretbox (XSalsa20-Poly1305, a
 * random nonce per value) under a 32-byte key that is never stored in the
 * database. Opened tokens live in memory that is wiped when cleared. No
 * function here logs a token or puts one in an error message. */

#define VAULT_KEY_BYTES 32
#define VAULT_TOKEN_MAX 8192 /* the longest token stored (Meta's are ~200 bytes) */

/* The key, in memory libsodium guards (sodium_malloc). */
struct vault_key;

/* Reads the key from `file` (its text: 64 hex digits or base64 of 32
 * bytes, surrounding white space ignored) when file is not NULL, else from
 * `value` (the same forms; KANAL_SECRET_KEY's). NULL and err (naming the
 * file or "KANAL_SECRET_KEY") for a missing or malformed key; NULL with
 * err->kind ERR_NONE when both are NULL (no key given). Caller frees with
 * vault_key_free. */
struct vault_key *vault_key_load(const char *file, const char *value, struct error *err);
void vault_key_free(struct vault_key *k);
/* A new random key as 64 hex digits (out: 65 bytes). */
void vault_key_generate(char out[2 * VAULT_KEY_BYTES + 1]);
/* The key's public name: 16 hex digits of a keyed hash of it (out: 17
 * bytes). Stored beside what it sealed; says nothing about the key. */
void vault_key_id(const struct vault_key *k, char out[17]);

struct channel_tokens {
    char *access_token;  /* required */
    char *refresh_token; /* NULL: none */
    int64_t expires_at;  /* 0: does not expire */
    char *scopes;        /* space-separated; NULL: none */
};
/* Wipes and frees the strings (the struct itself is the caller's). */
void channel_tokens_clear(struct channel_tokens *t);

/* Seals and stores (or replaces) the channel's tokens. ERR_INVALID for an
 * empty or too long token or text that is not UTF-8; ERR_NOT_FOUND for no
 * such channel. */
int vault_store(struct db *db, const struct vault_key *k, int64_t channel_id,
                const struct channel_tokens *t, int64_t now, struct error *err);
/* Opens the channel's tokens into *out (caller clears). 1 found, 0 the
 * channel has none, -1 and err: ERR_AUTH "the secret key does not open
 * channel N's tokens" when the key is not the one that sealed them or a
 * value was changed. */
int vault_load(struct db *db, const struct vault_key *k, int64_t channel_id,
               struct channel_tokens *out, struct error *err);
/* Forgets the channel's tokens (disconnecting it). 1 removed, 0 none, -1. */
int vault_delete(struct db *db, int64_t channel_id, struct error *err);

#endif
