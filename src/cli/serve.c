/* serve: `kanal serve` runs the web server until SIGTERM. */
#include "cli/cli.h"
#include "cli/options.h"
#include "http/http.h"

#include <stdio.h>

int cmd_serve(int argc, char **argv)
{
    struct cli_opt opts[] = {
        {"db", "PATH|URL", "KANAL_DB", "SQLite file or postgres:// URL", DEFAULT_DB},
        {"listen", "HOST:PORT", "KANAL_LISTEN", "address to listen on", DEFAULT_LISTEN},
        {"threads", "N", "KANAL_THREADS", "worker threads (and database connections)", "4"},
        {"max-body", "BYTES", "KANAL_MAX_BODY", "largest request body accepted", "1048576"},
        {"log-level", "LEVEL", "KANAL_LOG_LEVEL", "debug, info, warn or error", "info"},
        {"secure-cookies", NULL, "KANAL_SECURE_COOKIES",
         "mark cookies Secure (when served behind TLS)", NULL},
        {"click-log", "PATH", "KANAL_CLICK_LOG",
         "short-link click log (default: beside the SQLite file, else ./kanal-clicks.log)", NULL},
        {"click-fsync", "POLICY", "KANAL_CLICK_FSYNC",
         "batch (sync with each batch) or always (sync before each redirect)", "batch"},
        {"public-url", "URL", "KANAL_PUBLIC_URL",
         "the address short links are reached at, for QR codes", NULL},
        {"click-batch-ms", "MS", "KANAL_CLICK_BATCH_MS", "how often logged clicks are stored",
         "200"},
        {"meta-app-secret", "SECRET", "KANAL_META_APP_SECRET",
         "Meta app secret: verifies webhook signatures at /hooks/meta", NULL},
        {"meta-verify-token", "TOKEN", "KANAL_META_VERIFY_TOKEN",
         "token Meta sends when subscribing the webhook", NULL},
        {"metrics-token", "TOKEN", "KANAL_METRICS_TOKEN",
         "Bearer token that reads /metrics (unset: /metrics is not served)", NULL},
        {"trusted-proxy", "ADDR,...", "KANAL_TRUSTED_PROXY",
         "reverse proxies whose X-Forwarded-For names the client", NULL},
        {"max-per-address", "N", "KANAL_MAX_PER_ADDRESS",
         "open connections one address may hold (0: no limit)", "64"},
        {"header-timeout", "SECONDS", "KANAL_HEADER_TIMEOUT",
         "time a client has to send a request's headers", "10"},
        {"report-threads", "N", "KANAL_REPORT_THREADS",
         "threads (and database connections) that answer reports", "2"},
    };
    struct cli_parse p;
    int rc = cli_parse_options(argc, argv, opts, ARRAY_LEN(opts), "serve [options]",
                               "Serves the API, the web UI, /healthz and /metrics.", &p);
    if (p.stop)
        goto done;
    rc = 2;
    if (p.npos) {
        fprintf(stderr, "kanal serve: unexpected argument '%s'\n", p.pos[0]);
        goto done;
    }
    struct server_config cfg = {.db_url = opts[0].value};
    char host[64];
    struct error err = {0};
    int64_t threads, max_body;
    int level = log_level_parse(opts[4].value);
    if (http_parse_listen(opts[1].value, host, sizeof host, &cfg, &err)) {
        fprintf(stderr, "kanal serve: --listen: %s\n", err.msg);
        goto done;
    }
    if (str_to_i64(opts[2].value, &threads) || threads < 1 || threads > 256) {
        fprintf(stderr, "kanal serve: --threads must be from 1 to 256\n");
        goto done;
    }
    if (str_to_i64(opts[3].value, &max_body) || max_body < 1024 || max_body > (64 << 20)) {
        fprintf(stderr, "kanal serve: --max-body must be from 1024 to 67108864 bytes\n");
        goto done;
    }
    if (level < 0) {
        fprintf(stderr, "kanal serve: --log-level must be debug, info, warn or error\n");
        goto done;
    }
    log_set_level((enum log_level)level);
    cfg.threads = (int)threads;
    cfg.max_body = (size_t)max_body;
    cfg.secure_cookies = opts[5].value && !str_eq(opts[5].value, "0");
    cfg.click_log = opts[6].value;
    if (!str_eq(opts[7].value, "batch") && !str_eq(opts[7].value, "always")) {
        fprintf(stderr, "kanal serve: --click-fsync must be batch or always\n");
        goto done;
    }
    cfg.click_fsync_always = str_eq(opts[7].value, "always");
    cfg.public_url = opts[8].value;
    int64_t batch_ms;
    if (str_to_i64(opts[9].value, &batch_ms) || batch_ms < 10 || batch_ms > 3600000) {
        fprintf(stderr, "kanal serve: --click-batch-ms must be from 10 to 3600000\n");
        goto done;
    }
    cfg.click_batch_ms = (int)batch_ms;
    if (cfg.public_url && !str_starts_with(cfg.public_url, "http://") &&
        !str_starts_with(cfg.public_url, "https://")) {
        fprintf(stderr, "kanal serve: --public-url must start with http:// or https://\n");
        goto done;
    }
    cfg.meta_app_secret = opts[10].value;
    cfg.meta_verify_token = opts[11].value;
    cfg.metrics_token = opts[12].value;
    cfg.trusted_proxies = opts[13].value;
    int64_t per_address, header_timeout;
    if (str_to_i64(opts[14].value, &per_address) || per_address < 0 || per_address > 100000 ||
        str_to_i64(opts[15].value, &header_timeout) || header_timeout < 1 ||
        header_timeout > 3600) {
        fprintf(stderr, "kanal serve: --max-per-address must be from 0 to 100000 and "
                        "--header-timeout from 1 to 3600 seconds\n");
        goto done;
    }
    cfg.max_per_address = (int)per_address;
    cfg.header_timeout = (int)header_timeout;
    int64_t report_threads;
    if (str_to_i64(opts[16].value, &report_threads) || report_threads < 1 || report_threads > 64) {
        fprintf(stderr, "kanal serve: --report-threads must be from 1 to 64\n");
        goto done;
    }
    cfg.report_threads = (int)report_threads;
    if (http_serve(&cfg, &err)) {
        fprintf(stderr, "kanal serve: %s\n", err.msg);
        rc = 1;
        goto done;
    }
    rc = 0;
done:
    cli_parse_free(&p);
    return rc;
}
