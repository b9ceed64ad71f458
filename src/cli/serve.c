/* serve: `kanal serve` runs the web server until SIGTERM. */
#include "cli/cli.h"
#include "cli/options.h"
#include "connect/connect.h"
#include "http/http.h"
#include "listen/listen.h"
#include "notify/notify.h"
#include "publish/publish.h"

#include <stdio.h>
#include <stdlib.h>

/* The scheduler, run by the connect worker's first thread. */
/* ctx: the public URL short links are made under (NULL: none). */
static int scheduler_tick(struct db *db, int64_t now, void *ctx, struct error *err)
{
    struct publish_tick_stats st;
    if (publish_tick(db, now, ctx, &st, err))
        return -1;
    if (st.queued || st.held || st.published || st.failed)
        log_info("scheduler: %lld handed over, %lld held (late), %lld published, %lld failed",
                 (long long)st.queued, (long long)st.held, (long long)st.published,
                 (long long)st.failed);
    return 0;
}

int cmd_serve(int argc, char **argv)
{
    const char *db_url = DEFAULT_DB, *listen = DEFAULT_LISTEN, *threads_s = "4",
               *max_body_s = "1048576", *log_level = "info", *click_log = NULL,
               *click_fsync = "batch", *public_url = NULL, *batch_ms_s = "200",
               *meta_app_secret = NULL, *meta_verify_token = NULL, *metrics_token = NULL,
               *trusted_proxies = NULL, *per_address_s = "64", *header_timeout_s = "10",
               *report_threads_s = "2", *secret_key_file = NULL, *sync_every_s = "15",
               *connect_threads_s = "2", *max_upload_s = NULL, *lease_s = "300",
               *listen_threads_s = "1", *listen_delay_s = "1000", *listen_timeout_s = "30";
    bool secure_cookies = false, allow_private = false;
    struct cli_smtp smtp = {0};
    const struct cli_opt opts[] = {
        OPT_SMTP(&smtp),
        OPT_DB(&db_url),
        OPT_STRING("listen", "HOST:PORT", "KANAL_LISTEN", &listen, "address to listen on"),
        OPT_STRING("threads", "N", "KANAL_THREADS", &threads_s,
                   "worker threads (and database connections)"),
        OPT_STRING("max-body", "BYTES", "KANAL_MAX_BODY", &max_body_s,
                   "largest request body accepted"),
        OPT_STRING("max-upload", "BYTES", "KANAL_MAX_UPLOAD", &max_upload_s,
                   "largest image accepted by POST .../media (default 16 MiB)"),
        OPT_STRING("log-level", "LEVEL", "KANAL_LOG_LEVEL", &log_level,
                   "debug, info, warn or error"),
        OPT_BOOL("secure-cookies", "KANAL_SECURE_COOKIES", &secure_cookies,
                 "mark cookies Secure (when served behind TLS)"),
        OPT_STRING("click-log", "PATH", "KANAL_CLICK_LOG", &click_log,
                   "short-link click log (default: beside the SQLite file, else "
                   "./kanal-clicks.log)"),
        OPT_STRING("click-fsync", "POLICY", "KANAL_CLICK_FSYNC", &click_fsync,
                   "batch (sync with each batch) or always (sync before each redirect)"),
        OPT_STRING("public-url", "URL", "KANAL_PUBLIC_URL", &public_url,
                   "the address kanal is reached at: QR codes, and OAuth's redirect URI (+ "
                   "/oauth/callback)"),
        OPT_STRING("click-batch-ms", "MS", "KANAL_CLICK_BATCH_MS", &batch_ms_s,
                   "how often logged clicks are stored"),
        OPT_STRING("meta-app-secret", "SECRET", "KANAL_META_APP_SECRET", &meta_app_secret,
                   "Meta app secret: verifies webhook signatures at /hooks/meta"),
        OPT_STRING("meta-verify-token", "TOKEN", "KANAL_META_VERIFY_TOKEN", &meta_verify_token,
                   "token Meta sends when subscribing the webhook"),
        OPT_STRING("metrics-token", "TOKEN", "KANAL_METRICS_TOKEN", &metrics_token,
                   "Bearer token that reads /metrics (unset: /metrics is not served)"),
        OPT_STRING("trusted-proxy", "ADDR,...", "KANAL_TRUSTED_PROXY", &trusted_proxies,
                   "reverse proxies whose X-Forwarded-For names the client"),
        OPT_STRING("max-per-address", "N", "KANAL_MAX_PER_ADDRESS", &per_address_s,
                   "open connections one address may hold (0: no limit)"),
        OPT_STRING("header-timeout", "SECONDS", "KANAL_HEADER_TIMEOUT", &header_timeout_s,
                   "time a client has to send a request's headers"),
        OPT_STRING("report-threads", "N", "KANAL_REPORT_THREADS", &report_threads_s,
                   "threads (and database connections) that answer reports"),
        OPT_KEY_FILE(&secret_key_file),
        OPT_STRING("sync-every", "MINUTES", "KANAL_SYNC_EVERY", &sync_every_s,
                   "how often every connected channel is synced (0: only when asked)"),
        OPT_STRING("connect-threads", "N", "KANAL_CONNECT_THREADS", &connect_threads_s,
                   "threads that run syncs and actions: 1 (both), 2 (a second for actions "
                   "only) or 0 (none on this node)"),
        OPT_STRING("lease", "SECONDS", "KANAL_JOB_LEASE", &lease_s,
                   "how long a node holds a job before another may take it back (a node that "
                   "died: its posts are looked up, then finished, this long after)"),
        OPT_STRING("listen-threads", "N", "KANAL_LISTEN_THREADS", &listen_threads_s,
                   "1: fetch the listening sources when due and run their alerts on this node; "
                   "0: not on this node"),
        OPT_STRING("min-delay", "MS", "KANAL_LISTEN_MIN_DELAY", &listen_delay_s,
                   "listening: the least time between two requests to one host (1000 ms; a "
                   "host's Crawl-delay may ask for more)"),
        OPT_STRING("timeout", "SECONDS", "KANAL_LISTEN_TIMEOUT", &listen_timeout_s,
                   "listening: a fetch's whole time (30)"),
        OPT_BOOL("allow-private", "KANAL_LISTEN_ALLOW_PRIVATE", &allow_private,
                 "listening: an admin's choice to fetch from loopback and private addresses"),
    };
    struct cli_parse p;
    int rc = cli_parse_options(argc, argv, opts, ARRAY_LEN(opts), "serve [options]",
                               "Serves the API, the web UI, /healthz and /metrics.", &p);
    if (p.stop)
        goto done;
    rc = 2;
    if (p.npos) {
        cli_error("serve", "unexpected argument '%s'", p.pos[0]);
        goto done;
    }
    struct server_config cfg = {.db_url = db_url};
    char host[64];
    struct error err = {0};
    int64_t threads, max_body;
    int level = log_level_parse(log_level);
    if (http_parse_listen(listen, host, sizeof host, &cfg, &err)) {
        cli_error("serve", "--listen: %s", err.msg);
        goto done;
    }
    if (str_to_i64(threads_s, &threads) || threads < 1 || threads > 256) {
        cli_error("serve", "--threads must be from 1 to 256");
        goto done;
    }
    if (str_to_i64(max_body_s, &max_body) || max_body < 1024 || max_body > (64 << 20)) {
        cli_error("serve", "--max-body must be from 1024 to 67108864 bytes");
        goto done;
    }
    if (level < 0) {
        cli_error("serve", "--log-level must be debug, info, warn or error");
        goto done;
    }
    int64_t max_upload = MEDIA_MAX_BYTES;
    if (max_upload_s && (str_to_i64(max_upload_s, &max_upload) || max_upload < 1024 ||
                         max_upload > MEDIA_MAX_BYTES)) {
        cli_error("serve", "--max-upload must be from 1024 to %d bytes", MEDIA_MAX_BYTES);
        goto done;
    }
    cfg.max_upload = (size_t)max_upload;
    log_set_level((enum log_level)level);
    cfg.threads = (int)threads;
    cfg.max_body = (size_t)max_body;
    cfg.secure_cookies = secure_cookies;
    cfg.click_log = click_log;
    if (!str_eq(click_fsync, "batch") && !str_eq(click_fsync, "always")) {
        cli_error("serve", "--click-fsync must be batch or always");
        goto done;
    }
    cfg.click_fsync_always = str_eq(click_fsync, "always");
    cfg.public_url = public_url;
    int64_t batch_ms;
    if (str_to_i64(batch_ms_s, &batch_ms) || batch_ms < 10 || batch_ms > 3600000) {
        cli_error("serve", "--click-batch-ms must be from 10 to 3600000");
        goto done;
    }
    cfg.click_batch_ms = (int)batch_ms;
    if (cfg.public_url && !str_starts_with(cfg.public_url, "http://") &&
        !str_starts_with(cfg.public_url, "https://")) {
        cli_error("serve", "--public-url must start with http:// or https://");
        goto done;
    }
    cfg.meta_app_secret = meta_app_secret;
    cfg.meta_verify_token = meta_verify_token;
    cfg.metrics_token = metrics_token;
    cfg.trusted_proxies = trusted_proxies;
    int64_t per_address, header_timeout;
    if (str_to_i64(per_address_s, &per_address) || per_address < 0 || per_address > 100000 ||
        str_to_i64(header_timeout_s, &header_timeout) || header_timeout < 1 ||
        header_timeout > 3600) {
        cli_error("serve", "--max-per-address must be from 0 to 100000 and --header-timeout "
                           "from 1 to 3600 seconds");
        goto done;
    }
    cfg.max_per_address = (int)per_address;
    cfg.header_timeout = (int)header_timeout;
    int64_t report_threads;
    if (str_to_i64(report_threads_s, &report_threads) || report_threads < 1 ||
        report_threads > 64) {
        cli_error("serve", "--report-threads must be from 1 to 64");
        goto done;
    }
    cfg.report_threads = (int)report_threads;
    struct vault_key *key = cli_secret_key("serve", secret_key_file, false);
    if (!key && (secret_key_file || getenv("KANAL_SECRET_KEY")))
        goto done; /* given but malformed: said why */
    if (!key)
        log_info("no secret key (--secret-key-file or KANAL_SECRET_KEY): channels cannot be "
                 "connected");
    cfg.secret_key = key;
    int64_t sync_every, connect_threads, lease;
    if (str_to_i64(lease_s, &lease) || lease < 1 || lease > 86400) {
        cli_error("serve", "--lease must be from 1 to 86400 seconds");
        vault_key_free(key);
        goto done;
    }
    if (str_to_i64(sync_every_s, &sync_every) || sync_every < 0 || sync_every > 7 * 24 * 60 ||
        str_to_i64(connect_threads_s, &connect_threads) || connect_threads < 0 ||
        connect_threads > 2) {
        cli_error("serve", "--sync-every must be from 0 to 10080 minutes and --connect-threads "
                           "0, 1 or 2");
        vault_key_free(key);
        goto done;
    }
    /* Without a key no channel's tokens open, so there is nothing to run. */
    struct connect_worker_config worker = {.db_url = db_url,
                                           .key = key,
                                           .public_url = public_url,
                                           .threads = (int)connect_threads,
                                           .sync_every = sync_every * 60,
                                           .lease = lease,
                                           .tick = scheduler_tick,
                                           .tick_ctx = (void *)public_url};
    if (key && connect_threads)
        cfg.connect_worker = &worker;
    /* Notifications are delivered on every node: the job table's leases
     * keep each delivery to one of them. */
    struct notify_config ncfg;
    if (cli_smtp_config("serve", &smtp, &ncfg)) {
        vault_key_free(key);
        goto done;
    }
    int64_t listen_threads, listen_delay, listen_timeout;
    if (str_to_i64(listen_threads_s, &listen_threads) || listen_threads < 0 || listen_threads > 1 ||
        str_to_i64(listen_delay_s, &listen_delay) || listen_delay < 1 || listen_delay > 3600000 ||
        str_to_i64(listen_timeout_s, &listen_timeout) || listen_timeout < 1 ||
        listen_timeout > 600) {
        cli_error("serve", "--listen-threads must be 0 or 1, --min-delay from 1 to 3600000 ms "
                           "and --timeout from 1 to 600 seconds");
        vault_key_free(key);
        goto done;
    }
    struct notify_worker *notifier = notify_worker_start(db_url, &ncfg, 1000, &err);
    if (!notifier) {
        cli_error("serve", "%s", err.msg);
        vault_key_free(key);
        rc = 1;
        goto done;
    }
    struct listen_config lcfg = {.fetch = {.timeout_ms = (long)listen_timeout * 1000,
                                           .max_bytes = (size_t)10 << 20,
                                           .allow_private = allow_private},
                                 .min_delay_ms = listen_delay};
    struct listen_worker *listener =
        listen_threads ? listen_worker_start(db_url, &lcfg, 1000, &err) : NULL;
    if (listen_threads && !listener) {
        cli_error("serve", "%s", err.msg);
        notify_worker_stop(notifier);
        vault_key_free(key);
        rc = 1;
        goto done;
    }
    rc = 0;
    if (http_serve(&cfg, &err)) {
        cli_error("serve", "%s", err.msg);
        rc = 1;
    }
    listen_worker_stop(listener);
    notify_worker_stop(notifier);
    vault_key_free(key);
done:
    cli_parse_free(&p);
    return rc;
}
