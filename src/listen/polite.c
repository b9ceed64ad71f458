/* polite: every request listening makes goes through here, so that kanal
 * asks each host as a well-behaved crawler does: one request at a time
 * (a lease on the host's row, which holds across `kanal serve` nodes on one
 * PostgreSQL), a minimum delay between two requests (the larger of the
 * configured one and the host's Crawl-delay), and what the host's
 * robots.txt disallows never fetched. robots.txt is fetched once a day per
 * host and kept in listen_hosts. */
#include "db/db.h"
#include "listen/listen.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define ROBOTS_TTL       86400   /* RFC 9309 2.4: a cached copy is kept at most a day */
#define ROBOTS_RETRY     600     /* an unreachable robots.txt is asked again after this */
#define CRAWL_DELAY_CAP  3600000 /* a Crawl-delay is honoured up to an hour */
#define ROBOTS_MAX_BYTES (500 * 1024)
/* How long a redirect waits here, in all, for its host's turn; longer and
 * the fetch is tried again later from its first address. */
#define LISTEN_REDIRECT_WAIT_MS 5000

int64_t listen_now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

int listen_url_host(const char *url, char *host, size_t hcap, char *path, size_t pcap)
{
    CURLU *u = curl_url();
    char *scheme = NULL, *name = NULL, *port = NULL, *p = NULL, *q = NULL;
    int rc = -1;
    if (!u || curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &name, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_PATH, &p, 0) != CURLUE_OK)
        goto done;
    curl_url_get(u, CURLUPART_QUERY, &q, 0);
    for (char *c = scheme; *c; c++)
        *c = (char)(*c >= 'A' && *c <= 'Z' ? *c + 32 : *c);
    for (char *c = name; *c; c++)
        *c = (char)(*c >= 'A' && *c <= 'Z' ? *c + 32 : *c);
    if ((size_t)snprintf(host, hcap, "%s://%s:%s", scheme, name, port) >= hcap)
        goto done;
    if (path &&
        (size_t)snprintf(path, pcap, "%s%s%s", *p ? p : "/", q ? "?" : "", q ? q : "") >= pcap)
        goto done;
    rc = 0;
done:
    curl_free(scheme);
    curl_free(name);
    curl_free(port);
    curl_free(p);
    curl_free(q);
    curl_url_cleanup(u);
    return rc;
}

struct host_row {
    char *robots;
    int64_t robots_status, robots_at, next_at, lease_until;
    bool has_robots_at, leased;
};

static int host_load(struct db *db, const char *host, struct host_row *h, struct error *err)
{
    memset(h, 0, sizeof *h);
    if (db_run(db, err, "INSERT INTO listen_hosts (host) VALUES (?) ON CONFLICT DO NOTHING", "t",
               host) < 0)
        return -1;
    struct db_stmt *q = db_query(db, err,
                                 "SELECT robots, robots_status, robots_at, next_at, lease_until "
                                 "FROM listen_hosts WHERE host = ?",
                                 "t", host);
    if (!q)
        return -1;
    if (db_has_row(q)) {
        h->robots = db_col_null(q, 0) ? NULL : xstrdup(db_col_text(q, 0));
        h->robots_status = db_col_null(q, 1) ? 0 : db_col_int(q, 1);
        h->has_robots_at = !db_col_null(q, 2);
        h->robots_at = h->has_robots_at ? db_col_int(q, 2) : 0;
        h->next_at = db_col_int(q, 3);
        h->leased = !db_col_null(q, 4);
        h->lease_until = h->leased ? db_col_int(q, 4) : 0;
    }
    db_finalize(q);
    return 0;
}

/* The rules robots.txt's fetch left: its text's for a 2xx, none for a 4xx
 * ("unavailable": everything allowed), everything disallowed otherwise
 * ("unreachable", RFC 9309 2.3.1.4), until it is fetched again. */
static void host_rules(const struct host_row *h, struct robots *r)
{
    if (h->robots_status >= 200 && h->robots_status < 300)
        robots_parse(h->robots ? h->robots : "", h->robots ? strlen(h->robots) : 0,
                     LISTEN_ROBOTS_AGENT, r);
    else if (h->robots_status >= 400 && h->robots_status < 500)
        robots_parse("", 0, LISTEN_ROBOTS_AGENT, r);
    else
        robots_parse("User-agent: *\nDisallow: /\n", 26, LISTEN_ROBOTS_AGENT, r);
}

static int64_t host_delay(const struct listen_config *cfg, const struct robots *r)
{
    int64_t d = cfg->min_delay_ms > 0 ? cfg->min_delay_ms : LISTEN_MIN_DELAY_MS;
    int64_t crawl = r->crawl_delay_ms > CRAWL_DELAY_CAP ? CRAWL_DELAY_CAP : r->crawl_delay_ms;
    return crawl > d ? crawl : d;
}

static int release(struct db *db, const char *host, const char *owner, int64_t next_at,
                   struct error *err)
{
    return db_do(db, err,
                 "UPDATE listen_hosts SET lease_owner = NULL, lease_until = NULL, next_at = ? "
                 "WHERE host = ? AND lease_owner = ?",
                 "itt", next_at, host, owner);
}

/* Fetches robots.txt while holding the host's lease, keeps what it said. */
static int fetch_robots(struct db *db, const struct listen_config *cfg, const char *host,
                        struct error *why, struct error *err)
{
    char url[600];
    /* host is scheme://name:port; robots.txt lives at its root. */
    snprintf(url, sizeof url, "%s/robots.txt", host);
    struct fetch_opts o = cfg->fetch;
    if (o.max_bytes > ROBOTS_MAX_BYTES)
        o.max_bytes = ROBOTS_MAX_BYTES;
    struct fetch_result r;
    int got = listen_fetch(url, NULL, NULL, &o, &r, why);
    /* An address kanal must not connect to says nothing about robots.txt:
     * nothing is kept, and the source shows that refusal. */
    if (got < 0 && why->kind == ERR_DENIED)
        return release(db, host, cfg->owner, listen_now_ms(), err) < 0 ? -1 : 1;
    /* A 4xx is "unavailable" and a 5xx "unreachable" (kept as such); no
     * answer at all (refused, a timeout, a loop, too large) is 0. */
    int64_t status = r.status;
    if (got < 0 && !(status >= 400 && status < 600))
        status = 0;
    const char *text = NULL;
    struct buf keep = {0};
    if (got == 0 && r.status == 200) {
        buf_append(&keep, r.body.data ? r.body.data : "", r.body.len);
        buf_putc(&keep, '\0');
        keep.len--;
        /* Text kept in the store must be UTF-8; robots.txt's rules are
         * ASCII, so bytes that are not are blanked. */
        for (size_t i = 0; i < keep.len; i++)
            if ((unsigned char)keep.data[i] >= 0x80 || keep.data[i] == '\0')
                keep.data[i] = ' ';
        text = keep.data;
    }
    if (got == 0)
        buf_free(&r.body);
    if (status)
        log_info("listen: %s: robots.txt answered %lld", host, (long long)status);
    else
        log_warn("listen: %s: robots.txt could not be read: %s", host, why->msg);
    struct robots rules;
    struct host_row h = {.robots = (char *)text, .robots_status = status};
    host_rules(&h, &rules);
    int64_t next = listen_now_ms() + host_delay(cfg, &rules);
    robots_free(&rules);
    memset(why, 0, sizeof *why);
    int rc = db_do(db, err,
                   "UPDATE listen_hosts SET robots = ?, robots_status = ?, robots_at = ?, "
                   "lease_owner = NULL, lease_until = NULL, next_at = ? WHERE host = ? AND "
                   "lease_owner = ?",
                   "tiiitt", text, status, time_now(), next, host, cfg->owner);
    buf_free(&keep);
    return rc;
}

/* One request to url (no redirect followed) under its host's rules:
 * listen_polite_fetch's answers. */
static int polite_once(struct db *db, const struct listen_config *cfg, const char *url,
                       const char *etag, const char *last_modified, struct fetch_result *out,
                       int64_t *wait_until_ms, struct error *why, struct error *err)
{
    char host[400], path[2100];
    memset(out, 0, sizeof *out);
    *wait_until_ms = 0;
    if (listen_url_host(url, host, sizeof host, path, sizeof path) < 0) {
        error_field(why, ERR_INVALID, "url", "%s: not an address kanal can fetch", url);
        return 1;
    }
    struct host_row h;
    if (host_load(db, host, &h, err) < 0)
        return -1;
    int64_t now_ms = listen_now_ms();
    int64_t lease_until = now_ms + cfg->fetch.timeout_ms + 10000;
    int64_t n = db_run(db, err,
                       "UPDATE listen_hosts SET lease_owner = ?, lease_until = ? WHERE host = ? "
                       "AND next_at <= ? AND (lease_until IS NULL OR lease_until < ?)",
                       "titii", cfg->owner, lease_until, host, now_ms, now_ms);
    if (n < 0) {
        free(h.robots);
        return -1;
    }
    if (n == 0) { /* another request to the host runs, or its delay has not passed */
        int64_t until = h.next_at;
        if (h.leased && h.lease_until > until)
            until = h.lease_until;
        *wait_until_ms = until > now_ms ? until : now_ms + 100;
        free(h.robots);
        return 2;
    }
    int64_t age = time_now() - h.robots_at;
    bool ok_status = (h.robots_status >= 200 && h.robots_status < 300) ||
                     (h.robots_status >= 400 && h.robots_status < 500);
    if (!h.has_robots_at || age >= ROBOTS_TTL || (!ok_status && age >= ROBOTS_RETRY)) {
        free(h.robots);
        int got = fetch_robots(db, cfg, host, why, err);
        if (got != 0)
            return got;
        /* That was a request: the page waits its turn after it. */
        if (host_load(db, host, &h, err) < 0)
            return -1;
        *wait_until_ms = h.next_at;
        free(h.robots);
        return 2;
    }
    struct robots rules;
    host_rules(&h, &rules);
    free(h.robots);
    int64_t delay = host_delay(cfg, &rules);
    bool allowed = robots_allowed(&rules, path);
    robots_free(&rules);
    if (!allowed) {
        error_set(why, ERR_DENIED, "%s: the host's robots.txt %s (agent %s)", url,
                  h.robots_status >= 200 && h.robots_status < 300
                      ? "disallows this address"
                      : "could not be read, and that means nothing may be fetched yet",
                  LISTEN_ROBOTS_AGENT);
        return release(db, host, cfg->owner, h.next_at, err) < 0 ? -1 : 1;
    }
    struct fetch_opts o = cfg->fetch;
    o.one_hop = true;
    int got = listen_fetch(url, etag, last_modified, &o, out, why);
    if (release(db, host, cfg->owner, listen_now_ms() + delay, err) < 0) {
        if (got == 0)
            buf_free(&out->body);
        return -1;
    }
    return got == 0 ? 0 : 1;
}

int listen_polite_fetch(struct db *db, const struct listen_config *cfg, const char *url,
                        const char *etag, const char *last_modified, struct fetch_result *out,
                        int64_t *wait_until_ms, struct error *why, struct error *err)
{
    /* Each redirect is a request of its own, to the host it names: under
     * that host's robots.txt, lease and delay, and (in listen_fetch) the
     * address check, like the first. */
    char at[sizeof out->location];
    snprintf(at, sizeof at, "%s", url);
    int64_t waited = 0;
    for (int hop = 0;; hop++) {
        int got = polite_once(db, cfg, at, etag, last_modified, out, wait_until_ms, why, err);
        if (got == 2 && hop > 0) {
            /* A redirect's host must wait: briefly, here; longer, and the
             * fetch starts again from the first address on its next turn. */
            int64_t wait = *wait_until_ms - listen_now_ms();
            if (wait < 10)
                wait = 10; /* each round waits, so the rounds are few */
            if (waited + wait <= LISTEN_REDIRECT_WAIT_MS) {
                nanosleep(&(struct timespec){wait / 1000, (wait % 1000) * 1000000}, NULL);
                waited += wait;
                hop--;
                continue;
            }
        }
        if (got != 0)
            return got;
        if (!out->location[0])
            return 0;
        if (hop == LISTEN_MAX_REDIRECTS) {
            error_set(why, ERR_INVALID, "%s: more than %d redirects", url, LISTEN_MAX_REDIRECTS);
            return 1;
        }
        if (strncasecmp(out->location, "http://", 7) && strncasecmp(out->location, "https://", 8)) {
            error_set(why, ERR_INVALID,
                      "%s: redirected to %s; only http and https addresses are fetched", url,
                      out->location);
            return 1;
        }
        snprintf(at, sizeof at, "%s", out->location);
        memset(out, 0, sizeof *out);
    }
}
