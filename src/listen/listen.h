/* listen: the listening desk's reading side. Feeds (RSS 0.9x, 1.0, 2.0,
 * Atom 0.3 and 1.0, JSON Feed) become records of plain text that the store
 * and the matcher take; nothing here touches the network or the store.
 * The parsers use base/ only (and libxml2, jansson); the store, the
 * fetcher and the alerts use db/, model/ (the job table) and notify/. */
#ifndef KANAL_LISTEN_H
#define KANAL_LISTEN_H

#include "base/base.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Upper bounds on what a feed may hold, so a hostile feed costs bounded
 * memory: more entries than this are dropped (and the feed marked bozo). */
#define FEED_MAX_ENTRIES 5000
#define FEED_MAX_BYTES   ((size_t)32 << 20)

/* One item of a feed. Strings are UTF-8 plain text (HTML turned into text),
 * NULL when the feed has none. Times are UTC seconds; has_* says if set. */
struct feed_entry {
    const char *title;
    const char *link; /* absolute: resolved against xml:base / the feed URL */
    const char *guid;
    const char *author; /* the name, else the e-mail */
    const char *author_email;
    const char *author_uri;
    const char *summary; /* plain text of the description, else of the content */
    const char *content; /* plain text of the full content (content:encoded, atom content) */
    const char *lang;
    int64_t published, updated;
    bool has_published, has_updated;
};

struct feed {
    const char *version;  /* "rss20", "rss10", "atom10", "atom03", "json1", ... or "" */
    const char *encoding; /* the encoding the bytes were read in, lower case */
    const char *title, *link, *lang, *subtitle, *author, *author_email;
    bool bozo;               /* not well-formed, or encodings in conflict: read anyway */
    const char *bozo_reason; /* why, for a person; NULL when not bozo */
    struct feed_entry *entries;
    size_t n_entries;
    struct arena arena; /* owns every string above */
};

/* Where the bytes came from: the HTTP Content-Type (may be NULL), the URL
 * relative links are resolved against (may be NULL), Content-Language. */
struct feed_origin {
    const char *content_type;
    const char *url;
    const char *content_language;
};

/* Reads a feed from `len` bytes. A broken feed is read as far as it goes and
 * marked bozo; only input that is no feed at all (nothing readable, no known
 * root) fails, with err saying why. On success the caller frees *out with
 * feed_free; on failure *out holds nothing to free. */
int feed_parse(const char *data, size_t len, const struct feed_origin *origin, struct feed *out,
               struct error *err);
void feed_free(struct feed *f);

/* Parses a feed date: RFC 822 / 2822 and their common wrong forms (no day
 * name, two-digit years, named and military zones, missing seconds or
 * zone), RFC 3339 / W3C-DTF (partial dates too) and asctime. The result is
 * UTC; a missing zone is taken as UTC. Returns 0 and sets *t, or -1. */
int feed_parse_date(const char *s, int64_t *t);

/* Appends the plain text of an HTML fragment to out: tags dropped, entities
 * decoded, script/style and comments left out, block elements as line
 * breaks, runs of spaces collapsed. The result is safe to show as text. */
void feed_html_to_text(const char *html, size_t len, struct buf *out);

/* ---- robots.txt (robots.c) ------------------------------------------------ */

/* The agent token kanal's fetcher answers to in robots.txt. */
#define LISTEN_ROBOTS_AGENT "kanal-listen"

struct robots_rule {
    bool allow;
    char *pattern; /* as written: '*' any run, a final '$' the end */
};
struct robots {
    struct robots_rule *rules;
    size_t n_rules, cap;
    int64_t crawl_delay_ms; /* -1: none given */
};
/* Reads robots.txt (RFC 9309) for `agent`: the rules of every group whose
 * user-agent names it (merged), else those of the "*" groups; Crawl-delay
 * of those groups. Never fails: what is not a rule is ignored. At most the
 * first 500 KiB are read. Caller frees *out with robots_free. */
void robots_parse(const char *txt, size_t len, const char *agent, struct robots *out);
void robots_free(struct robots *r);
/* May `path` (path and query, "/a?b") be fetched? The longest matching
 * pattern decides, Allow on a tie; no match allows; /robots.txt always. */
bool robots_allowed(const struct robots *r, const char *path);

/* ---- CSS selectors over libxml2's HTML tree (select.c) -------------------- */

/* Compiles a selector list: compounds of a type (or '*'), #id, .class,
 * [attr], [attr=value] (also ~= ^= $= *=), joined by descendant (space) and
 * child (>) combinators, several separated by commas. NULL and err
 * (ERR_INVALID, naming the column) for anything else. */
struct css_selector;
struct css_selector *css_compile(const char *sel, struct error *err);
void css_free(struct css_selector *s);
/* Elements under `root` (not root itself) that match, in document order,
 * at most `max`; the count. Ancestors above root count for combinators, as
 * in a browser's querySelectorAll. `out` holds xmlNode pointers. */
struct _xmlNode;
size_t css_select(const struct css_selector *s, struct _xmlNode *root, struct _xmlNode **out,
                  size_t max);

/* ---- other kinds of source read into a struct feed (page.c) --------------- */

struct page_selectors {
    const char *item;                         /* required */
    const char *title, *link, *time, *author; /* each optional */
};
/* Reads an HTML page with CSS selectors: each `item` match is an entry; in
 * it the first `title` match's text (else the first link's), the first
 * `link` match's href (or its first a[href]; without a selector, the
 * item's first a[href]) resolved against <base href> and the page's URL,
 * the first `time` match's datetime attribute (else its text) as a date,
 * the first `author` match's text; the item's text as the summary. ERR_INVALID
 * naming the selector that does not compile; an empty result is no error. */
int listen_page_parse(const char *data, size_t len, const struct feed_origin *origin,
                      const struct page_selectors *sel, struct feed *out, struct error *err);

/* Reads a sitemap: a urlset becomes one entry per <url> (link = loc,
 * updated = lastmod, Google News' title and publication date when given);
 * a sitemapindex one entry per <sitemap> (its loc and lastmod) and
 * out->version "sitemapindex" (the caller fetches those). */
int listen_sitemap_parse(const char *data, size_t len, const struct feed_origin *origin,
                         struct feed *out, struct error *err);

/* Reads a Mastodon timeline (the JSON array of statuses of
 * /api/v1/timelines/tag/:hashtag or /public): guid the status's uri, link
 * its url, the text of its content (and spoiler), author the display name
 * (else acct), published created_at, lang language. out->title holds the
 * largest status id read (the next since_id), NULL for an empty page. */
int listen_mastodon_parse(const char *data, size_t len, struct feed *out, struct error *err);

/* ---- fetching (fetch.c) ------------------------------------------------ */

struct sockaddr;
struct db;
/* True for addresses inside a network: loopback, private, link-local,
 * carrier NAT, multicast, unspecified (and IPv4 ones inside IPv6). */
bool listen_address_private(const struct sockaddr *sa);

struct fetch_opts {
    long timeout_ms;    /* the whole transfer */
    size_t max_bytes;   /* the decoded body */
    bool allow_private; /* an admin's choice; tests against a local server */
    bool one_hop;       /* a redirect is not followed: its 3xx answers, with location */
};

struct fetch_result {
    long status; /* 200, or 304 (not modified: body empty) */
    struct buf body;
    char etag[512], last_modified[128], content_type[256], content_language[64];
    char final_url[2048]; /* after redirects: relative links resolve against it */
    char location[2048];  /* one_hop: a 3xx's target, resolved against the url */
};

/* GETs url (http or https only), conditional on etag / last_modified when
 * given, following at most 5 redirects (none with opts->one_hop: then a
 * 301, 302, 303, 307 or 308 is 0 with its status and out->location). 0 with *out (caller frees
 * out->body), or -1 with err: ERR_DENIED for an address inside the network,
 * ERR_LIMIT for a body over the cap, ERR_INVALID for the rest (an HTTP
 * error, a timeout, a truncated answer). */
int listen_fetch(const char *url, const char *etag, const char *last_modified,
                 const struct fetch_opts *opts, struct fetch_result *out, struct error *err);

/* ---- polite fetching (polite.c) -------------------------------------------- */

#define LISTEN_MIN_DELAY_MS  1000 /* between two requests to one host, at least */
#define LISTEN_MAX_REDIRECTS 5    /* followed for one fetch, each as a request of its own */

struct listen_config {
    struct fetch_opts fetch;
    int64_t min_delay_ms; /* 0: LISTEN_MIN_DELAY_MS */
    const char *owner;    /* who holds a host's lease: "HOST:PID" */
};

/* The wall clock in milliseconds (hosts' delays are kept in it). */
int64_t listen_now_ms(void);
/* "scheme://host:port" (lower case, the port always given) of url into
 * host, and its path and query into path (NULL: not wanted). 0 or -1. */
int listen_url_host(const char *url, char *host, size_t hcap, char *path, size_t pcap);
/* One request to url as a polite crawler: 0 fetched (*out as listen_fetch
 * gives it; caller frees out->body); 1 not fetched, *why says why (the
 * fetch failed, or robots.txt disallows the address); 2 not now: the host
 * is busy or its delay has not passed (or robots.txt was fetched first),
 * come back at *wait_until_ms; -1 and err when the store failed. Each
 * redirect (at most LISTEN_MAX_REDIRECTS) is a request of its own under its
 * host's robots.txt, lease and delay, waited for here up to 5 s in all
 * (longer: 2, and the next try starts again from url). */
int listen_polite_fetch(struct db *db, const struct listen_config *cfg, const char *url,
                        const char *etag, const char *last_modified, struct fetch_result *out,
                        int64_t *wait_until_ms, struct error *why, struct error *err);

/* ---- sources and items in the store (store.c) ----------------------------- */

struct listen_source_in {
    const char *url;
    const char *format; /* feed (NULL), html, sitemap, mastodon_tag, mastodon_public */
    int64_t interval_s;
    struct page_selectors selectors; /* html only; item required */
};
/* Adds a source to workspace ws: 0 and *id, or -1 and err (ERR_INVALID
 * naming the field: a URL that is not http(s), an unknown kind, an
 * interval outside 60 s - 7 days, a selector that does not compile, a
 * Mastodon hashtag address without /tags/NAME; ERR_CONFLICT when the
 * workspace watches the URL already). */
int listen_source_add(struct db *db, int64_t ws, const struct listen_source_in *in, int64_t *id,
                      struct error *err);
/* Removes source id of ws and its items: 0, or -1 and err (ERR_NOT_FOUND). */
int listen_source_remove(struct db *db, int64_t ws, int64_t id, struct error *err);
/* {"items": [{id, url, kind, selectors, interval, last_error,
 * last_error_at, failures, last_fetched, next_fetch, items}]}. Caller owns. */
json_t *listen_sources_list(struct db *db, int64_t ws, struct error *err);

/* Seconds to the next fetch of a source after `failures` failures in a
 * row: interval * 2^failures, at most a day (or the interval if longer). */
int64_t listen_backoff(int64_t interval, int64_t failures);
/* The API address of a Mastodon source (its /tags/NAME page, or the
 * server for the public timeline; ?local=true kept) with since_id when
 * given. 0, or -1 when the address names no hashtag. */
int listen_mastodon_url(const char *url, const char *format, const char *since_id, char *out,
                        size_t cap);

struct listen_fetch_stats {
    int64_t sources, fetched, not_modified, failed, items_added;
};

/* Fetches source id (of ws; 0: any workspace's) once, politely, and
 * stores its new items: 0 when done (a failure is written on the source's
 * row with its backoff), 2 when the host must not be asked before
 * *wait_until_ms (nothing changed), -1 and err when the store failed. */
int listen_fetch_source(struct db *db, const struct listen_config *cfg, int64_t ws, int64_t id,
                        struct listen_fetch_stats *st, int64_t *wait_until_ms, struct error *err);
/* Fetches the sources of ws (only `source` when not 0) once, now, whether
 * due or not, waiting for each host's turn, and stores their new items. A
 * source that fails keeps its items, gets the error on its row and does
 * not stop the others. -1 and err only when the store itself fails. */
int listen_fetch_sources(struct db *db, int64_t ws, int64_t source, const struct listen_config *cfg,
                         struct listen_fetch_stats *st, struct error *err);

/* ---- in `kanal serve` (worker.c) ------------------------------------------ */

#define LISTEN_JOB_KIND "listen_fetch"

struct job;
/* Queues a "listen_fetch" job (key "listen:ID") for each source whose
 * next_fetch has come and that has none queued or running. How many, or -1. */
int64_t listen_queue_due(struct db *db, int64_t now, struct error *err);
/* Runs one claimed listen_fetch job: the source fetched and the job
 * finished, or put back (job_defer) until its host's turn. 0, or -1 and err
 * when the store failed. cfg->owner must be the job's lease owner. */
int listen_run_job(struct db *db, const struct listen_config *cfg, const struct job *j, int64_t now,
                   struct error *err);
/* The thread that fetches due sources and runs the alerts. The worker
 * copies cfg (its strings must outlive it) and sets its own owner. */
struct listen_worker;
struct listen_worker *listen_worker_start(const char *db_url, const struct listen_config *cfg,
                                          int poll_ms, struct error *err);
void listen_worker_stop(struct listen_worker *w);

/* ---- alerts (alert.c) -------------------------------------------------------- */

/* A spike: the current value against a baseline of past values (the same
 * hour of each of the past days). It fires when current > mean + k * sd,
 * with sd at least sd_floor (a flat baseline of zeros would otherwise fire
 * on one item). */
struct listen_spike {
    double mean, sd, threshold;
    bool fired;
};
void listen_spike_test(const double *baseline, size_t n, double current, double k, double sd_floor,
                       struct listen_spike *out);

#define LISTEN_SPIKE_K    3.0
#define LISTEN_SPIKE_DAYS 28 /* the baseline: the same hour on each of the past 4 weeks' days */
#define LISTEN_SPIKE_MIN  3  /* fewer items than this in the hour never fire */

struct listen_alert_in {
    const char *tag;      /* the tag query's name */
    const char *mode;     /* each, hourly, daily, spike_volume, spike_negative */
    const char *via;      /* comma list of in_app, email, webhook; NULL: in_app */
    const char *email_to; /* comma list of addresses; NULL/"": the creator's */
};
/* 0 and *id, or -1 and err (ERR_INVALID naming the field, ERR_NOT_FOUND
 * for a tag the workspace has not). Items already stored are not alerted
 * on: the alert starts from now. */
int listen_alert_add(struct db *db, int64_t ws, const struct listen_alert_in *in,
                     int64_t created_by, int64_t *id, struct error *err);
int listen_alert_remove(struct db *db, int64_t ws, int64_t id, struct error *err);
/* muted: 0 or 1, -1 unchanged; snooze_until: Unix seconds, 0 clears, -1
 * unchanged. ERR_NOT_FOUND. */
int listen_alert_set(struct db *db, int64_t ws, int64_t id, int muted, int64_t snooze_until,
                     struct error *err);
/* {"items": [{id, tag, rule, mode, via, email_to, muted, snoozed_until,
 * last_fired_at}]}. Caller owns. */
json_t *listen_alerts_list(struct db *db, int64_t ws, struct error *err);
/* What the workspace's alerts said (alert 0: all), newest first: {"items":
 * [{id, alert_id, tag, mode, fired_at, reason, items: [{id, title, link,
 * published, sentiment_label}]}]}. Caller owns. */
json_t *listen_alert_events(struct db *db, int64_t ws, int64_t alert, int limit, struct error *err);

struct listen_alert_stats {
    int64_t looked, fired;
};
/* Looks at every alert that is neither muted nor snoozed: fires those
 * whose condition holds (new matches; a digest's period over; a spike in
 * the current hour), recording the event and sending it as its `via`
 * says. Each alert is read again and held in its own transaction, so
 * that several processes running the alerts at once (every node's worker,
 * `kanal listen alert run`) tell each new item once. 0, or -1 and err. */
int listen_alerts_run(struct db *db, int64_t now, struct listen_alert_stats *st, struct error *err);

/* ---- the desk (desk.c) ------------------------------------------------------ */

#define LISTEN_DEFAULT_DAYS 30   /* the analytics' period when none is given */
#define LISTEN_MAX_DAYS     3660 /* the longest period asked for */
#define LISTEN_MAX_COMPARE  20   /* queries compared at once */
/* The platform id of the channel that listening's inbox tasks arrive on. */
#define LISTEN_TASK_CHANNEL_ID "kanal:listening"

enum listen_relevance {
    LISTEN_REL_ANY = 0,
    LISTEN_REL_YES = 1,
    LISTEN_REL_NO = 2,
    LISTEN_REL_UNMARKED = 3,
};

/* Which items: of one source, matching one query (a tag with a rule), of
 * one sentiment label, marked so, published (else fetched) in a period of
 * local days, inclusive. 0 and "" are "any". */
struct listen_filter {
    int64_t source, tag;
    char sentiment[4];
    enum listen_relevance relevant;
    bool has_period;
    int64_t since_day, until_day; /* local days since 1970, inclusive */
    int64_t since, until;         /* their UTC bounds, until exclusive */
    /* analytics only: the queries compared (share of voice); none: all */
    int64_t compare[LISTEN_MAX_COMPARE];
    int n_compare;
};

/* Reads source, query, sentiment (pos, neu, neg), relevant (yes, no,
 * unmarked), since, until (local dates YYYY-MM-DD in the workspace's time
 * zone, inclusive) and compare (query ids, comma-separated) from
 * query-string values (limit and cursor pass).
 * period_default: with no period, the LISTEN_DEFAULT_DAYS up to today (else
 * no bound). ERR_INVALID names the parameter. */
struct actor;
int listen_filter_parse(struct db *db, int64_t ws, json_t *q, bool period_default,
                        struct listen_filter *f, struct error *err);

/* A page of ws's items that f lets through, newest first by id: {"items":
 * [...], "next_cursor": "ID" or null}. `cursor` is the next_cursor of the
 * page before (NULL for the first). Each item has its source ({title,
 * url}), title, link, author, published (ISO UTC), fetched_at, text, lang,
 * sentiment, sentiment_label, the names (tags) and ids (query_ids) of the
 * queries it matched, relevant (true, false, null) and message_id (its
 * inbox task, or null). Caller decrefs; NULL and err otherwise. */
json_t *listen_items_list(struct db *db, int64_t ws, const struct listen_filter *f, int limit,
                          const char *cursor, struct error *err);
/* One item as in the list; ERR_NOT_FOUND when ws has no such item. */
json_t *listen_item_get(struct db *db, int64_t ws, int64_t id, struct error *err);
/* {"relevant": true | false | null}: marks the item (null unmarks), audited
 * as who's. Returns the item. */
json_t *listen_item_mark(struct db *db, int64_t ws, int64_t id, json_t *in, const struct actor *who,
                         struct error *err);
/* {"team_id": N, "priority": "high"?}: the item becomes an inbox message
 * (kind mention, on the workspace's listening channel, made on first use)
 * given to the team, linked both ways (message.listen_item_id,
 * item.message_id). An item sent before answers its task and *created
 * false. Returns the message. */
json_t *listen_item_task(struct db *db, int64_t ws, int64_t id, json_t *in, const struct actor *who,
                         bool *created, struct error *err);
/* The items f lets through in its period (f->has_period): {timezone, since,
 * until, items, mentions, days: [dates], per_day: [items a day], queries:
 * [{id, name, rule, mentions, share_of_voice, per_day}], sources: [{id,
 * title, url, items}], sentiment: {pos, neu, neg, none}}. An item is one
 * mention of each query it matched; a query's share of voice is its
 * mentions over all queries' mentions (null when there are none). With
 * f->compare, only those queries are counted and compared; ERR_INVALID on
 * "compare" for an id that is not one of ws's queries. */
json_t *listen_analytics(struct db *db, int64_t ws, const struct listen_filter *f,
                         struct error *err);

/* ---- matching the workspace's queries (match.c) ------------------------------
 * A workspace's queries are its tags' rules (docs/query-language.md). */

struct listen_matcher;
/* The queries of ws compiled into one query set; a rule that does not
 * compile is left out. Caller frees with listen_matcher_free; NULL and err
 * when the store fails. */
struct listen_matcher *listen_matcher_load(struct db *db, int64_t ws, struct error *err);
/* How many queries the matcher holds. */
size_t listen_matcher_size(const struct listen_matcher *m);

/* An item as its queries see it: unfielded terms look in the title and
 * text together, source: in the host of the source's address. Any may be
 * NULL. */
struct listen_item_text {
    const char *title, *text, *author, *lang, *source_url;
};

/* Stores in listen_item_tags which of m's queries stored item `item`
 * matches: 0, or -1 and err when the store fails. m may be NULL (none). */
int listen_match_item(struct db *db, struct listen_matcher *m, int64_t item,
                      const struct listen_item_text *it, struct error *err);
void listen_matcher_free(struct listen_matcher *m);

/* Runs tag `tag`'s query, as stored now, over every item ws keeps, so that
 * listen_item_tags says exactly which items it matches (none when its rule
 * is empty, does not compile, or the tag is gone). For a new or changed
 * query. Returns how many items match, or -1 and err. */
int64_t listen_query_rematch(struct db *db, int64_t ws, int64_t tag, struct error *err);

#endif
