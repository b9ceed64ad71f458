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
#include "ingest/ingest.h"
#include "model/model.h"

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
/* A key for another purpose ("approval links"), derived from this one with
 * a keyed hash: one secret to keep, and no use of it can be turned into
 * another's. The caller wipes out when done. */
void vault_key_derive(const struct vault_key *k, const char *purpose,
                      unsigned char out[VAULT_KEY_BYTES]);

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

/* A secret that is not a channel's token (a consent's PKCE verifier, an
 * app's client secret), sealed the same way under `context` ("oauth_state:
 * STATE", "oauth_app:mastodon:https://m.example"): a value moved to another
 * row does not open. vault_seal returns base64 (caller frees); vault_open
 * the value (caller wipes and frees with vault_free), or NULL when it does
 * not open. */
char *vault_seal(const struct vault_key *k, const char *context, const char *value);
char *vault_open(const struct vault_key *k, const char *context, const char *sealed);
/* Wipes and frees a secret string: vault_open's value, or any other (a
 * token read from an answer, a request that held a password). NULL is
 * fine. */
void vault_free(char *s);

/* ---- the HTTP client (connect/http.c) -----------------------------------------------
 * Requests to one platform's API over libcurl: a base URL from configuration
 * (so tests point it at a local fake), a bearer token, a total timeout and a
 * cap on the answer's size. Redirects are not followed and a full URL is
 * only taken when it is under the base URL (a paging `next` link), so a
 * token never goes to another host. Messages name the method and the URL
 * without its query (Meta's `next` links carry the token there). */

/* What the platform said about its rate limits, read from the answer's
 * headers: HTTP 429 and Retry-After (seconds or an HTTP date), X's
 * x-rate-limit-limit/-remaining/-reset, the IETF draft's
 * RateLimit-Limit/-Remaining/-Reset (Bluesky's, whose reset is a Unix time;
 * the draft's seconds from now are read too), Meta's X-App-Usage and
 * X-Business-Use-Case-Usage (percent used, estimated_time_to_regain_access
 * in minutes), Mastodon's X-RateLimit-Limit/-Remaining/-Reset (an ISO 8601
 * time). */
struct rate_limit {
    bool limited;             /* stop calling now: 429, no calls left, a budget at 100% */
    int64_t retry_at;         /* Unix seconds when calling may resume; 0: not said */
    int64_t limit, remaining; /* X's, Mastodon's or RateLimit-*'s window; -1 when not sent */
    int64_t reset_at;         /* the window ends (Unix seconds); 0 when not sent */
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
/* When calling may resume: the Retry-After time, else the end of the
 * window; 0 when the answer said neither. */
int64_t rate_limit_resume_at(const struct rate_limit *rl);

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
    /* The Link header (RFC 8288), which Mastodon pages with:
     * `<https://.../statuses?max_id=1>; rel="next", <...>; rel="prev"`;
     * "" when none or longer than this. connect_link_next reads it. */
    char link[2048];
    char restli_id[256]; /* LinkedIn's x-restli-id: what a POST made ("urn:li:share:1"); "" */
    struct rate_limit rl;
    /* Worth trying again later: a 429, a 5xx, or (when the call returned
     * -1) a timeout or a dropped connection. */
    bool retriable;
};
void connect_response_free(struct connect_response *r);
/* The URL of the Link header's rel="next" into out (size n); false when
 * there is none (the last page) or it does not fit. */
bool connect_link_next(const struct connect_response *r, char *out, size_t n);

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
/* body as compact JSON, sent with `method` ("PUT"); the body stays the
 * caller's. connect_http_post_json is this with "POST". */
int connect_http_send_json(struct connect_http *c, const char *method, const char *path,
                           const char *bearer, json_t *body, struct connect_response *out,
                           struct error *err);
int connect_http_post_json(struct connect_http *c, const char *path, const char *bearer,
                           json_t *body, struct connect_response *out, struct error *err);
int connect_http_delete(struct connect_http *c, const char *path, const char *bearer,
                        struct connect_response *out, struct error *err);
/* connect_http_post_form ("POST"; fields NULL: an empty form),
 * connect_http_delete ("DELETE") or else connect_http_get, by method. */
int connect_http_call(struct connect_http *c, const char *method, const char *path,
                      const char *bearer, const char *const *fields, struct connect_response *out,
                      struct error *err);

/* Any request: the calls above are this with fewer fields. */
struct connect_request {
    const char *method; /* "GET", "POST", "PUT", "DELETE"; NULL: POST with a body, else GET */
    const char *path;   /* as for connect_http_get */
    const char *bearer; /* NULL: no Authorization header */
    const char *const *headers; /* "Name: value" lines, NULL-terminated; NULL: none */
    const char *content_type;   /* required with a body */
    const char *body;           /* NULL: none; may hold NUL bytes (an image) */
    size_t body_len;
};
/* As connect_http_get; ERR_INVALID for a header that is not one line. */
int connect_http_send(struct connect_http *c, const struct connect_request *rq,
                      struct connect_response *out, struct error *err);

/* ---- connectors (connect/connector.c; one file per platform) ------------------------
 * One connector per platform behind one table of functions, so the sync,
 * the calendar and the inbox never see a platform's paths, paging or error
 * bodies. A connector is pure HTTP and mapping: it reads no database. What
 * it fetches it hands, as the platform's own bytes, to a sync_sink that
 * imports them through ingest/ (so a synced answer and the same answer
 * imported from a file give the same rows) and keeps its paging cursors;
 * what it is told to do it does with one call and says how it ended in a
 * connect_result the job layer acts on (retry, wait, stop, reconnect). */

/* How a call to a platform ended, in the terms the job layer acts on. */
enum connect_outcome {
    CO_OK = 0,
    /* The token expired or was revoked (Meta 190, HTTP 401, OAuth's
     * invalid_grant): the channel needs reconnecting; its jobs stop. */
    CO_AUTH,
    /* Rate limited (429, X's remaining 0, Meta's usage at 100%): try again
     * at retry_at (0: not said; the job's backoff decides). */
    CO_RATE,
    /* Worth trying again after a backoff: 5xx, a timeout, a dropped
     * connection before the request was sent, Meta 1, 2 and 368
     * (temporarily blocked). */
    CO_TEMPORARY,
    /* The platform refused the request as it is (Meta 100, X 403 duplicate
     * content, Mastodon 422, LinkedIn 422, a 400): retrying it unchanged
     * would fail again. */
    CO_REJECTED,
    /* An action was sent and no answer came (timeout or dropped connection
     * after sending): it may have happened, so it is looked up
     * (connector.lookup) before it is ever sent again. */
    CO_LOST,
    CO_OUTCOME_COUNT
};
extern const char *const connect_outcome_names[CO_OUTCOME_COUNT];

struct connect_result {
    enum connect_outcome outcome;
    int64_t retry_at; /* CO_RATE, CO_TEMPORARY: Unix seconds; 0 not said */
    long status;      /* the HTTP status; 0 when no answer came */
    char code[48];    /* the platform's error code: "190", "invalid_grant", "187"; "" none */
    /* What went wrong, in the platform's own words where it gave some
     * ("Meta: Error validating access token: Session has expired (190)"),
     * for the desk and the job's last error. Never holds a token. */
    char message[400];
};
/* Sets r's outcome and message (printf-like); returns -1 so that a
 * connector can `return connect_fail(res, CO_REJECTED, ...)`. */
int connect_fail(struct connect_result *r, enum connect_outcome o, const char *fmt, ...)
    PRINTF_LIKE(3, 4);
#ifdef __clang_analyzer__
#define connect_fail(...) analyzer_fails(connect_fail(__VA_ARGS__))
#endif
/* The outcome of an answer that is not a success, from what every platform
 * shares: no answer (a lost action when `sent_action`, else temporary), 401
 * (auth), 429 or rl.limited (rate, retry_at from rl), 5xx (temporary), other
 * 4xx (rejected). A connector calls it after reading its own error body
 * (which may say better: Meta sends 190 with status 400). `what` names the
 * call ("POST /api/v1/statuses"); call_err is the client's error when the
 * call returned -1. Returns -1. */
int connect_fail_http(struct connect_result *r, const char *what,
                      const struct connect_response *resp, int call_rc,
                      const struct error *call_err, bool sent_action);

/* ---- what the OAuth 2 connectors share (connect/oauth2.c) ---------------------------- */

/* Percent-encodes s onto b: RFC 3986's unreserved characters stay. */
void connect_put_enc(struct buf *b, const char *s);
/* Appends "&name=value" to url, or "?name=value" when url has no query
 * yet; value percent-encoded, name (a literal) as it is. */
void connect_put_param(struct buf *url, const char *name, const char *value);
/* base, then '?' (or '&' when base has a query), then the NULL-terminated
 * name/value pairs, each percent-encoded: an authorization URL. */
void connect_put_query(struct buf *url, const char *base, const char *const *pairs);
/* The answer's body as JSON, or NULL (empty or not JSON). */
json_t *connect_body_json(const struct connect_response *r);
/* Wipes the answer's body (it may hold a token) and frees it. */
void connect_response_wipe(struct connect_response *r);
/* Wipes all of b's memory and frees it: a buffer that held a secret (a
 * form with a code or a client secret, a path with a token, a key file). */
void connect_buf_wipe(struct buf *b);

/* A connector's reading of an answer that is not a success (its error
 * body, then connect_fail_http's mapping) into res. Returns -1. */
typedef int (*connect_fail_fn)(struct connect_result *res, const char *what,
                               const struct connect_response *resp, int call_rc,
                               const struct error *call_err, bool sent_action);
/* 0 for an answer with a 2xx status, else fail's outcome (-1). */
int connect_check(connect_fail_fn fail, struct connect_result *res, const char *what,
                  const struct connect_response *r, int rc, const struct error *err,
                  bool sent_action);

struct connect_session;

/* A token request as OAuth 2 has it: a form POSTed to the token endpoint. */
struct token_post {
    struct connect_http *http;   /* the API's client, for `path` */
    const char *path;            /* the endpoint on the API's host... */
    const char *url;             /* ...or elsewhere (a client of its own); NULL, "": path */
    const char *url_setting;     /* url's setting ("KANAL_X_TOKEN_URL"), for a bad url */
    const char *const *headers;  /* NULL-terminated, or NULL */
    const char *const *pairs[3]; /* NULL-terminated name/value lists, sent in this order */
    /* For connect_token_get: how the answer is read. */
    const char *what;     /* the call in messages ("POST /oauth/v2/accessToken") */
    const char *who;      /* the platform's, in messages ("LinkedIn's") */
    unsigned flags;       /* TOKEN_* */
    connect_fail_fn fail; /* the outcome of a refusal */
};
/* Sends it and wipes the form (a secret, a code or a refresh token): what
 * connect_http_send returns, or -2 with err naming url_setting when url
 * cannot be used. */
int connect_token_post(const struct token_post *t, struct connect_response *r, struct error *err);

enum {
    TOKEN_EXPIRY_STRICT = 1, /* an expires_in that is not a positive number is refused */
    TOKEN_SCOPE_COMMAS = 2,  /* the scopes are listed with commas (LinkedIn) */
};
/* A token answer ({access_token, refresh_token, scope, expires_in}) into
 * out, expiry counted from now. `who` is the platform in messages ("X's").
 * 0, or -1 and res (CO_REJECTED). */
int connect_token_read(json_t *j, int64_t now, const char *who, const char *what, unsigned flags,
                       struct channel_tokens *out, struct connect_result *res);
/* The whole token call: connect_token_post, a status other than 2xx to
 * t->fail, the answer read by connect_token_read into out (expiry from
 * now), and wiped. 0, or -1 and res (CO_REJECTED for a url that cannot be
 * used). */
int connect_token_get(const struct token_post *t, int64_t now, struct channel_tokens *out,
                      struct connect_result *res);
/* connect_token_get for an app that sends its id and secret in the form
 * (LinkedIn, Google), then `fields`, to cfg's token_url or else t->url; t's
 * pairs are not read. Refused (CO_REJECTED: "WHAT: set PREFIX_CLIENT_ID and
 * PREFIX_CLIENT_SECRET", `prefix` the settings' "KANAL_LINKEDIN") while
 * either is not set. */
int connect_client_token_get(const struct token_post *t, const struct connect_session *s,
                             const char *prefix, const char *const *fields,
                             struct channel_tokens *out, struct connect_result *res);
/* After a refresh: what the platform did not send again (the refresh
 * token, the scopes) carried over from `before`, so that the next refresh
 * has them. */
void connect_tokens_carry(struct channel_tokens *out, const struct channel_tokens *before);

struct connect_account;

/* What a platform's consent address is made of (connect_consent_url). */
struct consent_form {
    const char *no_client;    /* the error when the app's client id is not set */
    const char *incomplete;   /* the error when the redirect URI, the state or (pkce) the
                                 challenge is missing */
    const char *client_param; /* the client id's name in the query; NULL: "client_id" */
    const char *scopes;       /* what is asked for */
    const char *auth_url;     /* when the configuration has none; NULL: it always has one */
    bool pkce;                /* the S256 challenge is required and sent */
    const char *const *extra; /* more name/value pairs, NULL-terminated; NULL: none */
};
/* A connector's authorize_url as OAuth 2 has it: the configured auth_url
 * (or f's) with response_type=code, the client id, the redirect URI, the
 * scopes, the state and, with pkce, the challenge, then f's extra pairs.
 * 0, or -1 and err (ERR_INVALID: f's no_client or incomplete). */
int connect_consent_url(const struct consent_form *f, const struct connect_session *s,
                        const char *state, const char *code_challenge, struct buf *url,
                        struct error *err);

/* A code exchange for one account (X, YouTube, TikTok): the token call,
 * then who the token is for. */
struct code_grant {
    const char *who; /* whose token request, in messages ("Google's") */
    /* POSTs the token request with these fields (NULL-terminated pairs),
     * into out. 0, or -1 and res. */
    int (*token)(struct connect_session *s, const char *const *fields, struct channel_tokens *out,
                 struct connect_result *res);
    /* The account the token (bearer) is for, into acc; r is the answer
     * (freed by the caller). 0, or -1 and res. */
    int (*me)(struct connect_session *s, const char *bearer, struct connect_response *r,
              struct connect_account *acc, struct connect_result *res);
    /* CO_AUTH's message when the channel has no refresh token. */
    const char *no_refresh;
};
/* The code (and PKCE verifier) into tokens[0] and accounts[0], *n 1; the
 * code, the verifier and the redirect URI are required. 0, or -1 and res
 * with nothing kept. */
int connect_code_exchange(const struct code_grant *g, struct connect_session *s, const char *code,
                          const char *verifier, struct channel_tokens *tokens,
                          struct connect_account *accounts, int max, int *n,
                          struct connect_result *res);
/* New tokens for the channel's refresh token (grant_type refresh_token)
 * through g->token; none is CO_AUTH with g->no_refresh. 0, or -1 and res. */
int connect_code_refresh(const struct code_grant *g, struct connect_session *s,
                         struct channel_tokens *out, struct connect_result *res);

/* How a platform is named in its failures' messages. */
struct platform_voice {
    const char *name;    /* "X", "YouTube" */
    const char *grantor; /* who refuses a grant ("Google"); NULL: name */
    const char *account; /* what is connected: "channel", "page" */
};
/* A failure's message in the platform's words, as outcome o has it: a
 * grant spent or refused (`oauth`: OAuth's error code) asks to connect
 * again; a token not accepted says so; a rate limit says when calls
 * resume; else the words and the HTTP status. Returns -1. */
int connect_fail_said(struct connect_result *res, enum connect_outcome o, const char *what,
                      const struct platform_voice *v, const char *words, const char *oauth,
                      long status);

/* The outcome of a Meta-style error body ({"error": {"message", "code",
 * "error_subcode"}}: 190 expired, 4/17/32/613 rate, 1/2/368 temporary,
 * 10 and 200-299 a permission missing), which Facebook, Instagram and
 * Threads send alike (connect/meta.c); connect_fail_http's when the body
 * says nothing. Returns -1. */
int connect_meta_fail(struct connect_result *res, const char *what,
                      const struct connect_response *resp, int call_rc,
                      const struct error *call_err, bool sent_action);
/* Whether connect_meta_fail's res says the object does not exist (Meta's
 * code 100, refused): a deleted post or comment. res is then cleared. */
bool connect_meta_gone(struct connect_result *res);

/* A platform's configuration: base URLs (so tests point them at a fake)
 * and the app's credentials. Strings are the caller's. */
struct connect_platform_config {
    const char *api_url; /* "https://graph.facebook.com/v21.0" */
    const char
        *auth_url; /* where a person consents: "https://www.facebook.com/v21.0/dialog/oauth" */
    const char *token_url;     /* where codes become tokens, when not under api_url; NULL: the
                                  connector's path under api_url */
    const char *client_id;     /* the app's id at the platform */
    const char *client_secret; /* the app's secret; never logged */
    const char *redirect_uri;  /* fixed by configuration: PUBLIC_URL/oauth/callback */
};

/* Who a connected channel is at the platform. */
struct connect_account {
    char id[128];      /* the page's, user's or DID's id: the channel's platform_id */
    char handle[128];  /* "@kanal@mastodon.social", "kanal.bsky.social", the page's username */
    char name[200];    /* what people know it by */
    char platform[16]; /* set when one login finds several kinds (a Page's Instagram account):
                          "instagram" */
};
/* An account known by a user name (X, TikTok, Threads): id, "@user" as its
 * handle, and name, or the user name when name is NULL or "". */
void connect_account_of_user(struct connect_account *acc, const char *id, const char *user,
                             const char *name);

/* What one connector call has to work with. */
struct connect_session {
    const struct connect_platform_config *cfg;
    struct connect_http *http;           /* to cfg->api_url */
    const struct channel_tokens *tokens; /* NULL before the code is exchanged */
    const char *account_id;              /* the channel's platform_id; NULL before connecting */
    const char *account_handle;
    int64_t now;
    /* Called when a connector renews the tokens itself in the middle of a
     * call (Bluesky refreshes a session the PDS calls expired, then retries
     * once) before it goes on with them: the caller stores them, since the
     * refresh token they replace no longer works. NULL: the connector does
     * not renew on its own, and an expired token ends the call with
     * CO_TEMPORARY and code "ExpiredToken" (the job layer refreshes, then
     * tries again). 0, or -1 and err (the call then stops, CO_TEMPORARY). */
    int (*tokens_renewed)(struct connect_session *s, const struct channel_tokens *t,
                          struct error *err);
    void *ctx; /* the caller's, for tokens_renewed */
};

/* Where a sync puts what it fetched. The functions are the caller's. */
struct sync_sink {
    /* Imports one fetched answer (the platform's bytes, `format` as a file
     * of that format would be read) into the channel. `what` names it in
     * errors and rejects ("GET /api/v1/accounts/1/statuses, page 2").
     * *added (may be NULL) gets how many posts, messages or snapshots were
     * new, so a connector can stop paging back once a page adds nothing.
     * 0, or -1 and err: the sync stops there (what was imported stays). */
    int (*page)(struct sync_sink *s, enum ingest_format format, const char *what, const char *data,
                size_t len, int64_t *added, struct error *err);
    /* A paging cursor kept between syncs per `resource` ("statuses",
     * "notifications", "comments:POSTID"): since_id, a `next` link, a
     * timestamp. get returns NULL when none is kept (the string lives until
     * the next call); set stores one (NULL forgets it), after the page it
     * follows was imported. */
    const char *(*cursor_get)(struct sync_sink *s, const char *resource);
    int (*cursor_set)(struct sync_sink *s, const char *resource, const char *value,
                      struct error *err);
    void *ctx;
};

/* What the connectors' syncs share (connect/connector.c). */

/* One answer's body to the sink as `format` (an empty body as ""); a page
 * not imported is CO_REJECTED ("WHAT: the answer could not be imported:
 * WHY"). 0, or -1 and res. */
int connect_sink_page(struct sync_sink *sink, enum ingest_format format, const char *what,
                      const struct connect_response *r, int64_t *added, struct connect_result *res);
/* A cursor that is a time (Meta's, Threads' and TikTok's syncs): the newest
 * item's time seen, in Unix seconds kept as decimal digits under
 * `resource`, from which the next sync reads back a window. 0 when none is
 * kept, the sink keeps no cursors, or what is kept is not digits. */
int64_t connect_kept_time(struct sync_sink *sink, const char *resource);
/* Keeps t under `resource` for connect_kept_time (nothing when the sink
 * keeps no cursors). 0, or -1 and err. */
int connect_keep_time(struct sync_sink *sink, const char *resource, int64_t t, struct error *err);

/* The ids of a list's items worth a second call (posts with comments). */
struct connect_ids {
    char **v;
    size_t n, cap;
};
void connect_ids_add(struct connect_ids *ids, const char *id);
void connect_ids_free(struct connect_ids *ids);

enum connect_action_kind {
    ACT_PUBLISH,     /* text, with a link or an image */
    ACT_DELETE_POST, /* target: the post */
    ACT_REPLY,       /* target: the comment, mention or post answered; text */
    ACT_HIDE,        /* target: a comment */
    ACT_UNHIDE,
    ACT_DELETE_MESSAGE, /* target: a comment or reply */
    ACT_LIKE,           /* target: a post or comment */
    ACT_KIND_COUNT
};
extern const char *const connect_action_names[ACT_KIND_COUNT]; /* "publish", "delete-post", ... */
/* k's name, or `other` for a kind out of range, as the messages "cannot %s"
 * say it ("do that"). */
const char *connect_action_name(enum connect_action_kind k, const char *other);

struct connect_action {
    enum connect_action_kind kind;
    const char *target; /* the post's or message's id at the platform; NULL for publish */
    const char *text;   /* publish, reply; UTF-8 */
    const char *link;   /* publish: a link to attach; NULL none */
    const char *image;  /* publish: the image's bytes; NULL none */
    size_t image_len;
    const char *image_type; /* "image/jpeg", "image/png" */
    const char *image_alt;  /* its description; NULL none */
    /* kanal's name for this action ("kanal-action-42"): sent as an
     * Idempotency-Key where the platform takes one; lookup matches on it or
     * on the text. */
    const char *key;
    int64_t first_sent_at; /* when it was first sent (lookup searches from there) */
};

struct connect_done {
    char id[128]; /* the new post's or reply's id at the platform; "" for hide, like, delete */
    char permalink[512]; /* its address, when the platform says; "" */
};

/* What an action on Facebook, Instagram or Threads checks first: a
 * connected channel (else CO_AUTH, "the channel is not connected") and, but
 * for a publish, a target (else CO_REJECTED, "reply needs WHOSE id"). Clears
 * out. The target ("" for a publish without one), or NULL and res. */
const char *connect_act_target(const struct connect_session *s, const struct connect_action *a,
                               const char *whose, struct connect_done *out,
                               struct connect_result *res);
/* Whether the channel has an access token to call with: 0, or -1 and res
 * CO_AUTH saying no_token, each platform's own words ("the X channel has no
 * token; connect it"). */
int connect_need_token(const struct connect_session *s, const char *no_token,
                       struct connect_result *res);
/* What an action (and Mastodon's look-up) on LinkedIn, Mastodon, X and
 * YouTube does first: out cleared, then connect_need_token. */
int connect_act_begin(const struct connect_session *s, struct connect_done *out,
                      const char *no_token, struct connect_result *res);
/* Whether a link's path (what comes before '?' or '#') ends in one of exts
 * (".jpg", ...; NULL-terminated), case ignored: how Threads and TikTok,
 * which fetch what the link names, tell an image or a video. */
bool connect_link_has_ext(const char *link, const char *const *exts);

struct connector {
    const char *platform;  /* the channels' platform: "mastodon" */
    const char *title;     /* "Mastodon" */
    const char *scopes;    /* what it asks for, shown before connecting */
    const char *api_url;   /* the default api_url */
    const char *auth_url;  /* the default auth_url */
    bool pkce;             /* sends code_challenge (S256) */
    bool per_instance_app; /* Mastodon: the app is registered on each server */
    unsigned actions;      /* 1u << connect_action_kind it can do */

    /* Registers kanal as an app on the server at cfg->api_url (Mastodon),
     * filling client id and secret (out: caller's buffers of 256).
     * NULL when the platform has one app. */
    int (*register_app)(struct connect_session *s, char *client_id, char *client_secret,
                        struct connect_result *res);
    /* The address a person is sent to to consent: cfg's auth_url with
     * client_id, redirect_uri, scopes, state and, with pkce, the S256
     * challenge. Appends to url. NULL for a platform connected without a
     * redirect (Bluesky's app passwords): the desk and the CLI then ask for
     * the credentials and hand them to exchange as its code. */
    int (*authorize_url)(const struct connect_session *s, const char *state,
                         const char *code_challenge, struct buf *url, struct error *err);
    /* Trades the code from the callback (and the PKCE verifier, or NULL) for
     * tokens and finds who they are for (without authorize_url, the code is
     * the credentials the person typed: Bluesky's "HANDLE:APP-PASSWORD",
     * split at the last ':'): accounts[i] with tokens[i], *n of
     * them (at most max). One login may stand for several accounts (a
     * person's Pages, each with its own Page token, and their Instagram
     * accounts). The caller clears each tokens[i]. */
    int (*exchange)(struct connect_session *s, const char *code, const char *verifier,
                    struct channel_tokens *tokens, struct connect_account *accounts, int max,
                    int *n, struct connect_result *res);
    /* New tokens from the refresh token (or Meta's long-lived exchange).
     * NULL when the platform's tokens do not expire. */
    int (*refresh)(struct connect_session *s, struct channel_tokens *out,
                   struct connect_result *res);
    /* Fetches what is new since the sink's cursors: posts and their
     * metrics, comments and replies, mentions, followers, conversations
     * where the platform allows, paging as the platform does. */
    int (*sync)(struct connect_session *s, struct sync_sink *sink, struct connect_result *res);
    /* Does one action. */
    int (*act)(struct connect_session *s, const struct connect_action *a, struct connect_done *out,
               struct connect_result *res);
    /* Whether an action whose answer was lost happened: 1 and *out when it
     * did, 0 when it did not (it may be sent again), -1 and res when the
     * platform cannot tell now. */
    int (*lookup)(struct connect_session *s, const struct connect_action *a,
                  struct connect_done *out, struct connect_result *res);
};

/* ---- connecting an account (connect/oauth.c) -----------------------------------------
 * The OAuth 2 authorization-code flow, the same for every platform through
 * its connector: start a consent (a random one-use state, the PKCE
 * verifier sealed beside it, the app registered on a per-instance server
 * once), then finish it with the code the browser brings back: the tokens
 * sealed and stored, and each account the login stands for made or found
 * as a channel and marked connected, in one transaction. No function here
 * puts a token, a secret or a verifier in an error or a log line. */

#define OAUTH_RANDOM_BYTES 32
#define OAUTH_B64_LEN      44 /* base64url of 32 bytes, unpadded, and the NUL */
#define OAUTH_ACCOUNTS_MAX 100

/* base64url (RFC 4648, no padding) of 32 random bytes: a state, a verifier. */
void oauth_random_text(char out[OAUTH_B64_LEN]);
/* RFC 7636's S256 challenge of a verifier: base64url(SHA-256(verifier)). */
void oauth_pkce_challenge(const char *verifier, char out[OAUTH_B64_LEN]);

/* What keeps a platform from being connected on this kanal, as something
 * an operator can act on ("set KANAL_X_CLIENT_ID ..."), into why (size n);
 * false when nothing does. `key` may be NULL (then that is what). */
bool oauth_unconfigured(const struct connector *c, const char *public_url,
                        const struct vault_key *key, char *why, size_t n);

struct oauth_begin {
    const struct connector *connector;
    const char *public_url; /* --public-url: the redirect URI is under it */
    int64_t workspace_id;
    int64_t user_id;      /* who starts it; 0: the command line */
    const char *instance; /* per-instance platforms: the server ("https://m.example");
                             NULL: the configured KANAL_<PLATFORM>_API_URL */
    int64_t channel_id;   /* reconnecting this channel of the workspace; 0: none */
    int64_t now;
};
struct oauth_consent {
    char state[OAUTH_B64_LEN];
    char *url;          /* where the person consents; caller frees */
    const char *scopes; /* what is asked for (the connector's) */
    char api_url[512];  /* the server, for per-instance platforms; "" */
    int64_t expires_at;
};
/* Starts a consent. ERR_INVALID naming what to configure or give (no
 * public URL, no client id, a server address that is not one), ERR_NOT_FOUND
 * for a channel to reconnect that is not the workspace's on that platform;
 * a failed app registration says what the server answered. */
int oauth_start(struct db *db, const struct vault_key *k, const struct oauth_begin *b,
                struct oauth_consent *out, struct error *err);

struct oauth_connected {
    int64_t channel_id;
    bool created;
    char platform[16];
    char handle[128];
};
struct oauth_outcome {
    int64_t workspace_id;
    int64_t user_id;    /* who started it; 0: the command line */
    int64_t channel_id; /* the channel reconnected, 0: none */
    int n;
    struct oauth_connected channels[OAUTH_ACCOUNTS_MAX];
};
/* Connects with credentials the person types, for a connector without a
 * consent screen (authorize_url NULL: Bluesky's app passwords): no state,
 * the exchange at once, the accounts stored as oauth_finish stores them.
 * The password is sent once and never stored. b->instance: the account's
 * server where the platform has several (NULL: the configured one). */
int oauth_connect_direct(struct db *db, const struct vault_key *k, const struct oauth_begin *b,
                         const char *identifier, const char *password, struct oauth_outcome *out,
                         struct error *err);
/* Who may finish a consent: the signed-in user who came back to the
 * callback (it must be the one who started it), or the command line. */
#define OAUTH_ANY_USER (-1)
/* Finishes a consent: the state checked and used up (unknown, used or
 * expired: an error saying so), the code exchanged, the accounts' channels
 * found or made, their tokens sealed and stored and their connections set,
 * in one transaction. `user_id` is the user who came back, or
 * OAUTH_ANY_USER. `c` NULL: the state's platform's connector. */
int oauth_finish(struct db *db, const struct vault_key *k, const struct connector *c,
                 const char *public_url, const char *state, const char *code, int64_t user_id,
                 int64_t now, struct oauth_outcome *out, struct error *err);
/* Uses the consent up without connecting (the person declined at the
 * platform), with the same checks as oauth_finish. */
int oauth_decline(struct db *db, const char *state, int64_t user_id, int64_t now,
                  struct error *err);

/* A platform's configuration from the environment, each connector's
 * defaults where a variable is not set: KANAL_<PLATFORM>_API_URL,
 * _AUTH_URL, _TOKEN_URL, _CLIENT_ID, _CLIENT_SECRET (PLATFORM upper-case:
 * KANAL_MASTODON_API_URL). redirect_uri is PUBLIC_URL + "/oauth/callback"
 * (public_url may be NULL: none). The strings point into the environment
 * or the connector, or into out->redirect_buf. */
struct connect_env_config {
    struct connect_platform_config cfg;
    char redirect_buf[512];
};
void connect_config_from_env(const struct connector *c, const char *public_url,
                             struct connect_env_config *out);

/* Bluesky (connect/bluesky.c): the link facets of a post's text: every
 * http:// or https:// address, at its UTF-8 byte offsets (what the AT
 * Protocol counts in), without the punctuation a sentence puts after it, as
 * app.bsky.richtext.facet objects. NULL when there is none. */
json_t *bluesky_link_facets(const char *text);

/* The connector for a channel platform; NULL when kanal has none. */
const struct connector *connector_find(const char *platform);
/* All of them, NULL-terminated. */
extern const struct connector *const connectors[];

/* ---- running connectors for channels (connect/session.c, sync.c, act.c) ------------
 * The layer between the connectors and the rest of kanal: it loads a
 * channel's connection and tokens, refreshes tokens about to expire, builds
 * the connector's session, imports what a sync fetches through ingest/
 * (one transaction per page) with its cursors in sync_cursors, runs
 * actions so that none is done twice, and writes down how each ended
 * (needs reconnect, last error, synced_at). */

#define CONNECT_REFRESH_MARGIN 300 /* tokens expiring within this many seconds are refreshed */

struct connect_env {
    const struct vault_key *key; /* opens the channels' tokens; NULL: none (every run fails) */
    const char *public_url;      /* for the redirect URI; NULL: none */
    /* The connector to use whatever the channel's platform; NULL: the
     * registry's (connector_find). Tests pass a test double here. */
    const struct connector *connector;
    int64_t refresh_margin; /* 0: CONNECT_REFRESH_MARGIN */
    /* Called after each page a sync imported (a worker extends its lease
     * there); -1 and err stop the sync. NULL: none. */
    int (*progress)(void *ctx, struct error *err);
    void *progress_ctx;
};

struct connect_sync_stats {
    int64_t pages;
    int64_t added; /* new posts, snapshots, messages and channel figures */
    struct ingest_counts counts;
};

/* Syncs one connected channel: what is new since its cursors is fetched by
 * its connector and imported into it. 0 (and the connection's synced_at
 * set), or -1 with res saying why: CO_AUTH (the channel is marked
 * needs_reconnect with the platform's words; its jobs wait), CO_RATE (try
 * at res->retry_at), CO_TEMPORARY, CO_REJECTED; every failure is also kept
 * as the connection's last_error. stats (may be NULL) gets what was
 * imported, the pages before a failure included. */
int connect_sync_channel(struct db *db, const struct connect_env *env, int64_t channel_id,
                         int64_t now, struct connect_sync_stats *stats, struct connect_result *res);

/* Runs one connect_actions row: 0 when it is done (now or before), -1 and
 * res otherwise. An action whose answer was lost is left 'unknown' and the
 * next run asks the platform (connector.lookup) before sending it again, so
 * nothing is posted twice; CO_REJECTED fails it with the platform's
 * message; CO_AUTH marks the channel needs_reconnect and leaves the action
 * queued; CO_RATE and CO_TEMPORARY leave it queued for a later try. */
int connect_act(struct db *db, const struct connect_env *env, int64_t action_id, int64_t now,
                struct connect_result *res);

/* ---- the worker inside `kanal serve` (connect/worker.c) ----------------------------- */

#define CONNECT_JOB_SYNC   "sync"
#define CONNECT_JOB_ACTION "action" /* payload {"action": ID} */

/* Runs one claimed job of kind sync or action and ends it: finished, or
 * failed with the outcome's wait (CO_RATE: not before retry_at), permanent
 * for CO_REJECTED; a CO_AUTH job is queued again and waits, held, until
 * its channel is reconnected. env->progress is set here to extend the
 * lease. Returns the outcome (CO_OK when done), or -1 and err when the job
 * could not be ended (its lease was lost). */
int connect_run_job(struct db *db, const struct connect_env *env, const struct job *j,
                    const char *owner, int64_t lease, struct error *err);

/* Queues the job that runs action `action_id` on its channel, inside the
 * caller's transaction: key "action:ID", so an action is queued once at a
 * time. 0, or -1 and err. */
int connect_queue_action_job(struct db *db, int64_t channel_id, int64_t action_id, int64_t now,
                             struct error *err);
/* Queues an action and the job that runs it (connect_queue_action_job).
 * *id as action_create: 0 new, 1 the key named an existing action. */
int connect_queue_action(struct db *db, const struct action_in *in, int64_t now, int64_t *id,
                         struct error *err);

struct connect_worker_config {
    const char *db_url;
    const struct vault_key *key;
    const char *public_url;
    int threads;        /* 1 or 2 */
    int64_t sync_every; /* seconds between queuing every connected channel's sync; 0: never */
    int64_t lease;      /* seconds; 0: 300 */
    int64_t poll_ms;    /* how often an idle thread looks for due jobs; 0: 1000 */
    const char *owner;  /* the lease's owner prefix; NULL: host:pid */
    /* Called by the first thread about once a second with its connection
     * (publish/'s scheduler, which queues actions here and settles them;
     * connect/ cannot call it by name, being above it). NULL: none. */
    int (*tick)(struct db *db, int64_t now, void *ctx, struct error *err);
    void *tick_ctx;
};
struct connect_worker;
/* Starts the threads (each with its own database connection). NULL and err. */
struct connect_worker *connect_worker_start(const struct connect_worker_config *cfg,
                                            struct error *err);
/* Asks the threads to stop, waits for the jobs they run to end, frees. */
void connect_worker_stop(struct connect_worker *w);

#endif
