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
    struct cli_cmd c;
    if (!cli_cmd_begin(&c, argc, argv, opts, ARRAY_LEN(opts), "serve [options]",
                       "Serves the API, the web UI, /healthz and /metrics.") ||
        !cli_cmd_no_args(&c))
        return cli_cmd_end(&c);
    struct server_config cfg = {.db_url = db_url};
    char host[64];
    struct error err = {0};
    int64_t threads, max_body, max_upload = MEDIA_MAX_BYTES, batch_ms, per_address, header_timeout,
                               report_threads;
    int level = log_level_parse(log_level);
    if ((http_parse_listen(listen, host, sizeof host, &cfg, &err) &&
         !cli_cmd_usage(&c, "--listen: %s", err.msg)) ||
        !cli_cmd_int(&c, "threads", threads_s, 1, 256, "", &threads) ||
        !cli_cmd_int(&c, "max-body", max_body_s, 1024, 64 << 20, " bytes", &max_body) ||
        (level < 0 && !cli_cmd_usage(&c, "--log-level must be debug, info, warn or error")) ||
        (max_upload_s && !cli_cmd_int(&c, "max-upload", max_upload_s, 1024, MEDIA_MAX_BYTES,
                                      " bytes", &max_upload)))
        return cli_cmd_end(&c);
    log_set_level((enum log_level)level);
    if ((!str_eq(click_fsync, "batch") && !str_eq(click_fsync, "always") &&
         !cli_cmd_usage(&c, "--click-fsync must be batch or always")) ||
        !cli_cmd_int(&c, "click-batch-ms", batch_ms_s, 10, 3600000, "", &batch_ms) ||
        (public_url && !str_starts_with(public_url, "http://") &&
         !str_starts_with(public_url, "https://") &&
         !cli_cmd_usage(&c, "--public-url must start with http:// or https://")) ||
        ((!cli_int(per_address_s, 0, 100000, &per_address) ||
          !cli_int(header_timeout_s, 1, 3600, &header_timeout)) &&
         !cli_cmd_usage(&c, "--max-per-address must be from 0 to 100000 and --header-timeout "
                            "from 1 to 3600 seconds")) ||
        !cli_cmd_int(&c, "report-threads", report_threads_s, 1, 64, "", &report_threads))
        return cli_cmd_end(&c);
    cfg.max_upload = (size_t)max_upload;
    cfg.threads = (int)threads;
    cfg.max_body = (size_t)max_body;
    cfg.secure_cookies = secure_cookies;
    cfg.click_log = click_log;
    cfg.click_fsync_always = str_eq(click_fsync, "always");
    cfg.public_url = public_url;
    cfg.click_batch_ms = (int)batch_ms;
    cfg.meta_app_secret = meta_app_secret;
    cfg.meta_verify_token = meta_verify_token;
    cfg.metrics_token = metrics_token;
    cfg.trusted_proxies = trusted_proxies;
    cfg.max_per_address = (int)per_address;
    cfg.header_timeout = (int)header_timeout;
    cfg.report_threads = (int)report_threads;
    c.key = cli_secret_key(c.name, secret_key_file, false);
    if (!c.key && (secret_key_file || getenv("KANAL_SECRET_KEY")))
        return cli_cmd_end(&c); /* given but malformed: said why */
    if (!c.key)
        log_info("no secret key (--secret-key-file or KANAL_SECRET_KEY): channels cannot be "
                 "connected");
    cfg.secret_key = c.key;
    int64_t sync_every, connect_threads, lease, listen_threads, listen_delay, listen_timeout;
    /* Notifications are delivered on every node: the job table's leases
     * keep each delivery to one of them. */
    struct notify_config ncfg;
    if (!cli_cmd_int(&c, "lease", lease_s, 1, 86400, " seconds", &lease) ||
        ((!cli_int(sync_every_s, 0, 7 * 24 * 60, &sync_every) ||
          !cli_int(connect_threads_s, 0, 2, &connect_threads)) &&
         !cli_cmd_usage(&c, "--sync-every must be from 0 to 10080 minutes and --connect-threads "
                            "0, 1 or 2")) ||
        cli_smtp_config(c.name, &smtp, &ncfg) ||
        ((!cli_int(listen_threads_s, 0, 1, &listen_threads) ||
          !cli_int(listen_delay_s, 1, 3600000, &listen_delay) ||
          !cli_int(listen_timeout_s, 1, 600, &listen_timeout)) &&
         !cli_cmd_usage(&c, "--listen-threads must be 0 or 1, --min-delay from 1 to 3600000 ms "
                            "and --timeout from 1 to 600 seconds")))
        return cli_cmd_end(&c);
    /* Without a key no channel's tokens open, so there is nothing to run. */
    struct connect_worker_config worker = {.db_url = db_url,
                                           .key = c.key,
                                           .public_url = public_url,
                                           .threads = (int)connect_threads,
                                           .sync_every = sync_every * 60,
                                           .lease = lease,
                                           .tick = scheduler_tick,
                                           .tick_ctx = (void *)public_url};
    if (c.key && connect_threads)
        cfg.connect_worker = &worker;
    c.rc = 1;
    struct notify_worker *notifier = notify_worker_start(db_url, &ncfg, 1000, &c.err);
    if (!notifier)
        return cli_cmd_end(&c);
    struct listen_config lcfg = {.fetch = {.timeout_ms = (long)listen_timeout * 1000,
                                           .max_bytes = (size_t)10 << 20,
                                           .allow_private = allow_private},
                                 .min_delay_ms = listen_delay};
    struct listen_worker *listener =
        listen_threads ? listen_worker_start(db_url, &lcfg, 1000, &c.err) : NULL;
    if (listen_threads && !listener) {
        notify_worker_stop(notifier);
        return cli_cmd_end(&c);
    }
    c.rc = 0;
    if (http_serve(&cfg, &err)) {
        cli_error(c.name, "%s", err.msg);
        c.rc = 1;
    }
    listen_worker_stop(listener);
    notify_worker_stop(notifier);
    return cli_cmd_end(&c);
}
