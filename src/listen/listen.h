/* listen: the listening desk's reading side. Feeds (RSS 0.9x, 1.0, 2.0,
 * Atom 0.3 and 1.0, JSON Feed) become records of plain text that the store
 * and the matcher take; nothing here touches the network or the store.
 * Uses base/ only (and libxml2, jansson). */
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

/* ---- fetching (fetch.c) ------------------------------------------------ */

struct sockaddr;
/* True for addresses inside a network: loopback, private, link-local,
 * carrier NAT, multicast, unspecified (and IPv4 ones inside IPv6). */
bool listen_address_private(const struct sockaddr *sa);

struct fetch_opts {
    long timeout_ms;    /* the whole transfer */
    size_t max_bytes;   /* the decoded body */
    bool allow_private; /* an admin's choice; tests against a local server */
};

struct fetch_result {
    long status; /* 200, or 304 (not modified: body empty) */
    struct buf body;
    char etag[512], last_modified[128], content_type[256], content_language[64];
    char final_url[2048]; /* after redirects: relative links resolve against it */
};

/* GETs url (http or https only), conditional on etag / last_modified when
 * given, following at most 5 redirects. 0 with *out (caller frees
 * out->body), or -1 with err: ERR_DENIED for an address inside the network,
 * ERR_LIMIT for a body over the cap, ERR_INVALID for the rest (an HTTP
 * error, a timeout, a truncated answer). */
int listen_fetch(const char *url, const char *etag, const char *last_modified,
                 const struct fetch_opts *opts, struct fetch_result *out, struct error *err);

/* ---- sources and items in the store (store.c) ----------------------------- */

struct db;
/* Adds a source to workspace ws: 0 and *id, or -1 and err (ERR_INVALID for
 * a URL that is not http(s) or a kind other than feed, ERR_CONFLICT when
 * the workspace watches the URL already). */
int listen_source_add(struct db *db, int64_t ws, const char *url, const char *kind,
                      int64_t interval_s, int64_t *id, struct error *err);
/* Removes source id of ws and its items: 0, or -1 and err (ERR_NOT_FOUND). */
int listen_source_remove(struct db *db, int64_t ws, int64_t id, struct error *err);

struct listen_fetch_stats {
    int64_t sources, fetched, not_modified, failed, items_added;
};

/* Fetches the sources of ws (only `source` when not 0) once, now, whether
 * due or not, and stores their new items. A source that fails keeps its
 * items, gets the error on its row and does not stop the others. -1 and err
 * only when the store itself fails. */
int listen_fetch_sources(struct db *db, int64_t ws, int64_t source, const struct fetch_opts *opts,
                         struct listen_fetch_stats *stats, struct error *err);

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

#endif
