/* deliver: sends the queued e-mails (libcurl's SMTP, through the configured
 * relay) and webhook calls (signed POSTs), one "notify" job each. A failed
 * attempt is recorded on the delivery (what the desk sees) and its job
 * retried after a backoff; the thread inside `kanal serve` and `kanal
 * notify deliver` both run jobs through notify_run_job. */
#include "notify/notify.h"

#include <assert.h>
#include <curl/curl.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int notify_tls_parse(const char *s)
{
    if (str_eq(s, "none"))
        return NOTIFY_TLS_NONE;
    if (str_eq(s, "starttls"))
        return NOTIFY_TLS_STARTTLS;
    if (str_eq(s, "tls"))
        return NOTIFY_TLS_IMPLICIT;
    return -1;
}

struct delivery {
    int64_t id, ws;
    char event[32], via[16], state[16];
    char *target, *subject, *body;
};

static void delivery_clear(struct delivery *d)
{
    free(d->target);
    free(d->subject);
    free(d->body);
}

/* 1 found, 0 not, -1 error. */
static int delivery_get(struct db *db, int64_t id, struct delivery *d, struct error *err)
{
    memset(d, 0, sizeof *d);
    struct db_stmt *st;
    int found = db_row(db, err, &st,
                       "SELECT workspace_id, event, via, state, target, subject, body "
                       "FROM notify_deliveries WHERE id = ?",
                       "i", id);
    if (found <= 0)
        return found;
    d->id = id;
    d->ws = db_col_int(st, 0);
    snprintf(d->event, sizeof d->event, "%s", db_col_text(st, 1));
    snprintf(d->via, sizeof d->via, "%s", db_col_text(st, 2));
    snprintf(d->state, sizeof d->state, "%s", db_col_text(st, 3));
    d->target = xstrdup(db_col_text(st, 4));
    d->subject = xstrdup(db_col_text(st, 5));
    d->body = xstrdup(db_col_text(st, 6));
    db_finalize(st);
    return 1;
}

/* ---- e-mail ------------------------------------------------------------------------ */

struct reader {
    const char *p;
    size_t left;
};

static size_t read_cb(char *out, size_t size, size_t nmemb, void *ctx)
{
    struct reader *r = ctx;
    size_t n = size * nmemb < r->left ? size * nmemb : r->left;
    memcpy(out, r->p, n);
    r->p += n;
    r->left -= n;
    return n;
}

/* The bare address of "Name <a@b>" or "a@b", in <>, as SMTP's envelope
 * names it. */
static void envelope(const char *a, char *out, size_t size)
{
    const char *lt = strchr(a, '<');
    if (lt)
        snprintf(out, size, "%s", lt);
    else
        snprintf(out, size, "<%s>", a);
}

static int send_mail(const struct notify_config *cfg, const struct delivery *d, char *why,
                     size_t why_size)
{
    if (!cfg->smtp_host || !*cfg->smtp_host) {
        snprintf(why, why_size,
                 "no SMTP relay is configured (--smtp-host or KANAL_SMTP_HOST): the e-mail "
                 "waits for one");
        return -1;
    }
    const char *from = cfg->smtp_from && *cfg->smtp_from ? cfg->smtp_from : "kanal@localhost";
    /* Message-ID: unique per delivery and attempt-independent, so a relay
     * that saw an attempt whose answer was lost can tell the copy. */
    const char *at = strrchr(from, '@');
    char domain[256], mid[320];
    snprintf(domain, sizeof domain, "%s", at ? at + 1 : "localhost");
    domain[strcspn(domain, ">")] = '\0';
    unsigned char h[8];
    char hex[17];
    crypto_generichash_state hs;
    crypto_generichash_init(&hs, NULL, 0, sizeof h);
    crypto_generichash_update(&hs, (const unsigned char *)d->target, strlen(d->target) + 1);
    crypto_generichash_update(&hs, (const unsigned char *)d->body, strlen(d->body));
    crypto_generichash_final(&hs, h, sizeof h);
    str_hex(h, sizeof h, hex);
    snprintf(mid, sizeof mid, "kanal.%lld.%s@%s", (long long)d->id, hex, domain);
    struct notify_mail m = {.from = from,
                            .to = d->target,
                            .subject = d->subject,
                            .body = d->body,
                            .date = time_now(),
                            .message_id = mid,
                            .event = d->event};
    struct buf msg = {0};
    struct error err = {0};
    if (notify_mail_format(&m, &msg, &err)) {
        snprintf(why, why_size, "%s", err.msg);
        buf_free(&msg);
        return -1;
    }
    int port = cfg->smtp_port ? cfg->smtp_port : cfg->smtp_tls == NOTIFY_TLS_IMPLICIT ? 465 : 25;
    char url[400], from_env[330], to_env[330];
    bool v6 = strchr(cfg->smtp_host, ':') != NULL;
    snprintf(url, sizeof url, "%s://%s%s%s:%d",
             cfg->smtp_tls == NOTIFY_TLS_IMPLICIT ? "smtps" : "smtp", v6 ? "[" : "", cfg->smtp_host,
             v6 ? "]" : "", port);
    envelope(from, from_env, sizeof from_env);
    envelope(d->target, to_env, sizeof to_env);
    CURL *c = curl_easy_init();
    struct curl_slist *rcpt = curl_slist_append(NULL, to_env);
    struct reader r = {msg.data, msg.len};
    char errbuf[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    curl_easy_setopt(c, CURLOPT_MAIL_FROM, from_env);
    curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
    curl_easy_setopt(c, CURLOPT_READFUNCTION, read_cb);
    curl_easy_setopt(c, CURLOPT_READDATA, &r);
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)(cfg->timeout ? cfg->timeout : 30));
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(c, CURLOPT_USE_SSL,
                     cfg->smtp_tls == NOTIFY_TLS_STARTTLS ? (long)CURLUSESSL_ALL
                                                          : (long)CURLUSESSL_NONE);
    if (cfg->smtp_user && *cfg->smtp_user) {
        curl_easy_setopt(c, CURLOPT_USERNAME, cfg->smtp_user);
        curl_easy_setopt(c, CURLOPT_PASSWORD, cfg->smtp_password ? cfg->smtp_password : "");
    }
    CURLcode rc = curl_easy_perform(c);
    if (rc != CURLE_OK) {
        long code = 0;
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
        int n = snprintf(why, why_size, "SMTP relay %s:%d: %s", cfg->smtp_host, port,
                         *errbuf ? errbuf : curl_easy_strerror(rc));
        if (code && n > 0 && (size_t)n < why_size)
            snprintf(why + n, why_size - (size_t)n, " (reply code %ld)", code);
    }
    curl_slist_free_all(rcpt);
    curl_easy_cleanup(c);
    buf_free(&msg);
    return rc == CURLE_OK ? 0 : -1;
}

/* ---- webhooks ---------------------------------------------------------------------- */

static size_t discard_cb(char *p, size_t size, size_t nmemb, void *ctx)
{
    (void)p;
    (void)ctx;
    return size * nmemb;
}

static int send_webhook(struct db *db, const struct notify_config *cfg, const struct delivery *d,
                        char *why, size_t why_size, struct error *err)
{
    /* The URL and secret are read now: a secret rotated since the event
     * was queued is the one the receiver checks against. */
    struct db_stmt *st;
    int found = db_row(
        db, err, &st, "SELECT url, secret FROM notify_webhooks WHERE workspace_id = ?", "i", d->ws);
    if (found < 0)
        return -2;
    if (!found) {
        snprintf(why, why_size, "the workspace's webhook was removed");
        return -1;
    }
    char url[NOTIFY_URL_MAX + 1], secret[129];
    snprintf(url, sizeof url, "%s", db_col_text(st, 0));
    snprintf(secret, sizeof secret, "%s", db_col_text(st, 1));
    db_finalize(st);
    int64_t ts = time_now();
    char sig[NOTIFY_SIGNATURE_SIZE], h_sig[NOTIFY_SIGNATURE_SIZE + 32], h_ts[64], h_ev[80],
        h_id[64];
    notify_sign(secret, ts, d->body, strlen(d->body), sig);
    sodium_memzero(secret, sizeof secret);
    snprintf(h_sig, sizeof h_sig, "X-Kanal-Signature: %s", sig);
    snprintf(h_ts, sizeof h_ts, "X-Kanal-Timestamp: %lld", (long long)ts);
    snprintf(h_ev, sizeof h_ev, "X-Kanal-Event: %s", d->event);
    snprintf(h_id, sizeof h_id, "X-Kanal-Delivery: %lld", (long long)d->id);
    struct curl_slist *hs = NULL;
    hs = curl_slist_append(hs, "Content-Type: application/json");
    hs = curl_slist_append(hs, "User-Agent: kanal-notify");
    hs = curl_slist_append(hs, "Expect:");
    hs = curl_slist_append(hs, h_sig);
    hs = curl_slist_append(hs, h_ts);
    hs = curl_slist_append(hs, h_ev);
    hs = curl_slist_append(hs, h_id);
    CURL *c = curl_easy_init();
    char errbuf[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hs);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, d->body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(d->body));
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard_cb);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)(cfg->timeout ? cfg->timeout : 30));
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
    CURLcode rc = curl_easy_perform(c);
    long code = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    int out = 0;
    if (rc != CURLE_OK) {
        snprintf(why, why_size, "webhook %.200s: %s", url,
                 *errbuf ? errbuf : curl_easy_strerror(rc));
        out = -1;
    } else if (code < 200 || code > 299) {
        snprintf(why, why_size, "webhook %.200s answered HTTP %ld", url, code);
        out = -1;
    }
    curl_slist_free_all(hs);
    curl_easy_cleanup(c);
    return out;
}

/* ---- one job ------------------------------------------------------------------------ */

int notify_run_job(struct db *db, const struct notify_config *cfg, const struct job *j,
                   const char *owner, int64_t lease, struct error *err)
{
    assert(db && cfg && j && owner);
    (void)lease; /* one attempt is bounded by cfg->timeout, far inside any lease */
    int64_t id;
    job_payload_id(j, "delivery", &id);
    struct delivery d;
    int found = id ? delivery_get(db, id, &d, err) : 0;
    if (found < 0)
        return -1;
    if (found == 0) {
        /* Nothing to send: the workspace (and its deliveries) is gone. */
        if (job_fail(db, j->id, owner, "the delivery is gone", 0, true, time_now(), err) < 0)
            return -1;
        return 1;
    }
    char why[600] = "";
    int sent = 0;
    if (str_eq(d.state, "sent")) {
        sent = 0; /* an earlier attempt got through before its job was finished */
    } else if (str_eq(d.via, "email")) {
        sent = send_mail(cfg, &d, why, sizeof why);
    } else {
        sent = send_webhook(db, cfg, &d, why, sizeof why, err);
        if (sent == -2) {
            delivery_clear(&d);
            return -1;
        }
    }
    int64_t now = time_now();
    if (db_begin(db, err))
        goto fail;
    if (sent == 0) {
        if (!str_eq(d.state, "sent") &&
            db_run(db, err,
                   "UPDATE notify_deliveries SET state = 'sent', attempts = attempts + 1, "
                   "last_error = NULL, sent_at = ?, updated_at = ? WHERE id = ?",
                   "iii", now, now, d.id) < 0)
            goto fail;
        if (job_finish(db, j->id, owner, now, err))
            goto fail;
    } else {
        int state = job_fail(db, j->id, owner, why, 0, false, now, err);
        if (state < 0 ||
            db_run(db, err,
                   "UPDATE notify_deliveries SET state = ?, attempts = attempts + 1, "
                   "last_error = ?, updated_at = ? WHERE id = ?",
                   "ttii", state == JOB_FAILED ? "failed" : "queued", why, now, d.id) < 0)
            goto fail;
    }
    if (db_commit(db, err))
        goto fail;
    if (sent == 0)
        log_info("notify: delivery %lld (%s to %s) sent", (long long)d.id, d.via, d.target);
    else
        log_warn("notify: delivery %lld (%s to %s): %s", (long long)d.id, d.via, d.target, why);
    delivery_clear(&d);
    return sent == 0 ? 0 : 1;
fail:
    db_rollback(db);
    delivery_clear(&d);
    return -1;
}

#define LEASE 120 /* seconds: an attempt takes at most its timeout (30 s) and two writes */

int notify_deliver_due(struct db *db, const struct notify_config *cfg, bool now, int *sent,
                       int *failed, struct error *err)
{
    assert(db && cfg && sent && failed);
    *sent = *failed = 0;
    char owner[160];
    job_owner_name(owner, sizeof owner, "deliver");
    if (now && job_hasten(db, NOTIFY_JOB_KIND, time_now(), err) < 0)
        return -1;
    if (job_reclaim(db, time_now(), err) < 0)
        return -1;
    /* Each delivery at most once per run: one that fails is queued again
     * after its backoff, so it is not due again in this loop. */
    for (;;) {
        struct job j;
        int got = job_claim(db, owner, NOTIFY_JOB_KIND, LEASE, time_now(), &j, err);
        if (got < 0)
            return -1;
        if (got == 0)
            return 0;
        int rc = notify_run_job(db, cfg, &j, owner, LEASE, err);
        job_clear(&j);
        if (rc < 0)
            return -1;
        if (rc == 0)
            (*sent)++;
        else
            (*failed)++;
    }
}

/* ---- the thread in `kanal serve` -------------------------------------------------- */

struct notify_worker {
    struct notify_config cfg;
    char *strings[6];
    char owner[160];
    struct job_worker *jobs;
};

static int run(struct db *db, const struct job *j, const char *owner, int64_t now,
               atomic_bool *stop, void *ctx, struct error *err)
{
    (void)now, (void)stop;
    struct notify_worker *w = ctx;
    return notify_run_job(db, &w->cfg, j, owner, LEASE, err);
}

static const char *keep(struct notify_worker *w, int i, const char *s)
{
    w->strings[i] = s ? xstrdup(s) : NULL;
    return w->strings[i];
}

static void notify_worker_free(struct notify_worker *w)
{
    if (w->strings[3])
        sodium_memzero(w->strings[3], strlen(w->strings[3]));
    for (size_t i = 0; i < ARRAY_LEN(w->strings); i++)
        free(w->strings[i]);
    free(w);
}

struct notify_worker *notify_worker_start(const char *db_url, const struct notify_config *cfg,
                                          int poll_ms, struct error *err)
{
    assert(db_url && cfg);
    struct notify_worker *w = xcalloc(1, sizeof *w);
    w->cfg = *cfg;
    w->cfg.smtp_host = keep(w, 0, cfg->smtp_host);
    w->cfg.smtp_from = keep(w, 1, cfg->smtp_from);
    w->cfg.smtp_user = keep(w, 2, cfg->smtp_user);
    w->cfg.smtp_password = keep(w, 3, cfg->smtp_password);
    job_owner_name(w->owner, sizeof w->owner, "notify");
    struct job_worker_config jc = {
        .name = "notify worker",
        .db_url = db_url,
        .owner = w->owner,
        .threads = 1,
        .poll_ms = poll_ms,
        .lease = LEASE,
        .nap_first = true, /* the server migrates the store as it starts */
        .kinds = {NOTIFY_JOB_KIND},
        .run = run,
        .ctx = w,
    };
    if (!(w->jobs = job_worker_start(&jc, err))) {
        notify_worker_free(w);
        return NULL;
    }
    log_info("notify worker: e-mail %s%s", cfg->smtp_host ? "through " : "not configured",
             cfg->smtp_host ? cfg->smtp_host : "");
    return w;
}

void notify_worker_stop(struct notify_worker *w)
{
    if (!w)
        return;
    job_worker_stop(w->jobs);
    notify_worker_free(w);
}
