/* connect: kanal's side of the platforms' APIs. Today the pieces every
 * connector shares: the token vault (tokens sealed at rest with a key kept
 * outside the store) and the HTTP client (libcurl, with the platforms'
 * rate-limit signals read into one struct). Uses base/, db/ and model/;
 * never http/ or cli/. */
#ifndef KANAL_CONNECT_H
#define KANAL_CONNECT_H

#include <jansson.h>

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

/* ---- the HTTP client (connect/http.c) -----------------------------------------------
 * Requests to one platform's API over libcurl: a base URL from configuration
 * (so tests point it at a local fake), a bearer token, a total timeout and a
 * cap on the answer's size. Redirects are not followed and a full URL is
 * only taken when it is under the base URL (a paging `next` link), so a
 * token never goes to another host. Messages name the method and the URL
 * without its query (Meta's `next` links carry the token there). */

/* What the platform said about its rate limits, read from the answer's
 * headers: HTTP 429 and Retry-After (seconds or an HTTP date), X's
 * x-rate-limit-limit/-remaining/-reset, Meta's X-App-Usage and
 * X-Business-Use-Case-Usage (percent used, estimated_time_to_regain_access
 * in minutes). */
struct rate_limit {
    bool limited;             /* stop calling now: 429, no calls left, a budget at 100% */
    int64_t retry_at;         /* Unix seconds when calling may resume; 0: not said */
    int64_t limit, remaining; /* X's window; -1 when not sent */
    int64_t reset_at;         /* X's window ends (Unix seconds); 0 when not sent */
    int usage_percent;        /* Meta: the most used of its budgets; -1 when not sent */
    char problem[200];        /* the first rate-limit header that could not be read, or "" */
};
void rate_limit_init(struct rate_limit *rl);
/* Reads one response header into rl (a header it does not know changes
 * nothing); `now` is when the answer came. Returns false, and notes it in
 * rl->problem, for a rate-limit header it cannot read. */
bool rate_limit_header(struct rate_limit *rl, const char *name, const char *value, int64_t now);
/* The answer's status into rl (429 is limited). */
void rate_limit_status(struct rate_limit *rl, long status);

struct connect_http_config {
    const char *base_url;    /* "https://graph.facebook.com", no trailing '/' needed */
    long timeout_ms;         /* the whole request; 0: 30000 */
    long connect_timeout_ms; /* 0: 10000 */
    size_t max_body;         /* the longest answer read; 0: 16 MiB */
};

struct connect_response {
    long status;
    struct buf body; /* NUL-terminated when not empty */
    char content_type[128];
    struct rate_limit rl;
    /* Worth trying again later: a 429, a 5xx, or (when the call returned
     * -1) a timeout or a dropped connection. */
    bool retriable;
};
void connect_response_free(struct connect_response *r);

/* One client per thread: it keeps its connection alive between requests. */
struct connect_http;
/* NULL and err for a base URL that is not http:// or https://. */
struct connect_http *connect_http_new(const struct connect_http_config *cfg, struct error *err);
void connect_http_free(struct connect_http *c);

/* `path` is "/v19.0/me" (joined to the base URL) or a full URL under the
 * base URL. `bearer` (NULL: none) goes in the Authorization header. 0 when
 * an answer came (any status: out->status says which), -1 and err when none
 * did (timeout, dropped connection, answer too long: out->retriable tells
 * which is worth retrying). Caller frees out with connect_response_free in
 * both cases. */
int connect_http_get(struct connect_http *c, const char *path, const char *bearer,
                     struct connect_response *out, struct error *err);
/* A form body from name/value pairs, NULL-terminated: {"a", "1", NULL}. */
int connect_http_post_form(struct connect_http *c, const char *path, const char *bearer,
                           const char *const *fields, struct connect_response *out,
                           struct error *err);
int connect_http_post_json(struct connect_http *c, const char *path, const char *bearer,
                           json_t *body, struct connect_response *out, struct error *err);

#endif
