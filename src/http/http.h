/* http: kanal's web server: the JSON API under /api/v1, the web UI, health
 * and metrics, on libmicrohttpd. */
#ifndef KANAL_HTTP_H
#define KANAL_HTTP_H

#include "base/base.h"

struct vault_key;
struct connect_worker_config;

struct server_config {
    const char *db_url;
    const char *host; /* numeric address to bind: 127.0.0.1, ::1, 0.0.0.0 */
    int port;
    int threads;         /* libmicrohttpd's workers */
    int report_threads;  /* threads that answer reports, apart from them; 0: 2 */
    size_t max_body;     /* bytes */
    size_t max_upload;   /* bytes of an image upload (POST .../media); 0: MEDIA_MAX_BYTES */
    int max_per_address; /* open connections from one address; 0: no limit */
    int header_timeout;  /* seconds to send a request's headers; 0: 10 */
    bool secure_cookies; /* add Secure: set when served behind TLS */
    /* Comma-separated addresses of reverse proxies whose X-Forwarded-For
     * header names the client; NULL: the peer is the client. */
    const char *trusted_proxies;
    /* short links */
    const char *click_log;   /* NULL: beside the SQLite file, else ./kanal-clicks.log */
    bool click_fsync_always; /* fdatasync each click before its redirect */
    int click_batch_ms;      /* how often logged clicks are stored; 0: 200 */
    const char *public_url;  /* "https://go.example.org" for QR codes; NULL: the Host header */
    /* The Bearer token that reads /metrics and /healthz's details; NULL:
     * /metrics is not served. */
    const char *metrics_token;
    /* Meta webhooks (/hooks/meta): NULL leaves them answering 503. */
    const char *meta_app_secret, *meta_verify_token;
    /* The key that seals connected channels' tokens (connect/vault.c);
     * NULL: no channel can be connected. The caller keeps it. */
    const struct vault_key *secret_key;
    /* The connectors' worker (connect/worker.c) http_serve runs beside the
     * server once the store is migrated, and stops before it; NULL: none. */
    const struct connect_worker_config *connect_worker;
};

/* Parses "HOST:PORT", "[V6]:PORT" or ":PORT" into cfg->host (caller keeps
 * `buf` alive) and cfg->port. */
int http_parse_listen(const char *s, char *buf, size_t bufsize, struct server_config *cfg,
                      struct error *err);

/* A running server: its own pool, click log, link cache, metrics and
 * sign-in limits, so that several can run in one process (tests do). */
struct server;

/* Migrates the database and starts serving on background threads. Returns
 * the server, which the caller stops with http_server_stop, or NULL and err.
 * Signals are the caller's business. */
struct server *http_server_start(const struct server_config *cfg, struct error *err);
/* The port the server listens on (the one picked when cfg->port was 0). */
int http_server_port(const struct server *s);
/* Stops accepting, lets open connections finish (at most 10 s), stores
 * every click still in the log and frees s. */
void http_server_stop(struct server *s);

/* Starts a server, serves until SIGTERM or SIGINT, then stops it and
 * returns 0; -1 and err if it cannot start. */
int http_serve(const struct server_config *cfg, struct error *err);

#endif
