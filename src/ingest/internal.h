/* ingest internals: what every parser shares: the context it emits through,
 * JSON field readers that repair Meta's mojibake and accept counts given as
 * strings, and the reject helper. Not for other parts. */
#ifndef KANAL_INGEST_INTERNAL_H
#define KANAL_INGEST_INTERNAL_H

#include <jansson.h>

#include "ingest/ingest.h"

#define INGEST_MAX_DEPTH 64 /* JSON nesting kanal accepts from outside */

struct pctx {
    const struct ingest_opts *opts;
    ingest_emit_fn emit;
    void *ctx;
    struct arena arena; /* strings repaired or built while parsing */
    bool stopped;       /* the emit callback said stop */
};

/* A record with every metric "not reported" and where set from fmt. */
void rec_init(struct ingest_record *r, enum ingest_kind kind, const char *fmt, ...)
    PRINTF_LIKE(3, 4);
/* rec_init for a record of `platform`'s, read at `where`: how a platform's
 * reader starts each record it makes. */
void rec_start(struct ingest_record *r, enum ingest_kind kind, const char *platform,
               const char *where);
/* Marks r as carrying figures (likes, views ...) counted at the import's
 * snapshot time, opts->taken_at: how a reader keeps the counts an answer
 * gives with a post. */
void rec_measured(struct pctx *pc, struct ingest_record *r);
/* rec_start for an account's figures now (REC_CHANNEL_METRICS: its
 * followers as a profile gives them), counted at the import's snapshot
 * time, as rec_measured marks a post's. A day's row, complete at its own
 * end, sets its own taken_at instead. */
void rec_account_now(struct pctx *pc, struct ingest_record *r, const char *platform,
                     const char *where);
/* Emits r; returns -1 once the callback asked to stop. */
int rec_emit(struct pctx *pc, const struct ingest_record *r);
/* Emits a REC_REJECT at `where` with a printf-style reason. */
int rec_reject(struct pctx *pc, const char *where, const char *fmt, ...) PRINTF_LIKE(3, 4);
/* Emits a REC_SHARE at `where`: a retweet or boost, counted and skipped. */
int rec_share(struct pctx *pc, const char *where);

/* Emits a REC_SKIP at `where`: n items kanal does not keep, `what` they
 * are (the summary prints it). Nothing for n = 0. */
int rec_skip(struct pctx *pc, const char *where, int64_t n, const char *what);

/* A title before a text with a blank line between, in the arena; an empty
 * or NULL part is left out (text itself when there is no title). */
const char *with_title(struct pctx *pc, const char *title, const char *text);

/* The text of an HTML fragment (Mastodon's content, YouTube's
 * textDisplay): tags dropped, <br> a newline and </p> a blank line (none
 * at the very end), named and numeric entities decoded, U+FEFF dropped.
 * With tags false only entities are decoded and U+FEFF dropped: an X
 * archive escapes &, < and > in plain text. In the arena; NULL for NULL. */
const char *html_text(struct pctx *pc, const char *html, bool tags);

/* Member `key` of o as text: strings (repaired), integers as decimal;
 * NULL if absent or another type. */
const char *jstr(struct pctx *pc, json_t *o, const char *key);
/* s when it can be a language tag ("en", "pt-BR", "zh-Hant"): 8 characters
 * at most, as the importer accepts; else NULL, so that a platform's odd
 * value is dropped rather than its record rejected. */
const char *lang_tag(const char *s);
/* Member as a count: a non-negative integer, or a string of digits (X's
 * archive); -1 if absent or not a count. */
int64_t jcount(json_t *o, const char *key);
/* Member as an instant: ISO 8601 strings (with "+0000" offsets) or Unix
 * seconds; 0 if absent or unreadable. */
int64_t jtime(json_t *o, const char *key);
/* o.a.b...: nested objects, NULL at the first missing step. */
json_t *jpath(json_t *o, const char *const *keys);
/* Calls fn(pc, item, "PREFIX[i]", arg) for every element of `array` (none
 * if it is not one); stops at the first non-zero return and returns it. */
typedef int (*ingest_item_fn)(struct pctx *pc, json_t *item, const char *where, void *arg);
int each_item(struct pctx *pc, json_t *array, const char *prefix, ingest_item_fn fn, void *arg);
/* each_item over a list fetched with its owner (a Graph field expansion,
 * owner.EDGE.data: a post's or media's comments, a comment's replies, a
 * conversation's messages), each at "WHERE.EDGE.data[i]". */
int each_nested(struct pctx *pc, json_t *owner, const char *where, const char *edge,
                ingest_item_fn fn, void *arg);
/* each_item over Graph objects fetched by their ids (?ids=A,B answers
 * {"A": {...}, "B": {...}}), each at "$[\"ID\"]". */
int each_by_id(struct pctx *pc, json_t *objects, ingest_item_fn fn, void *arg);
/* Parses a whole document as JSON; -1 and err with line and column. */
json_t *json_doc(const char *data, size_t len, struct error *err);

/* Parses on a second thread while this one calls write(ctx, r, read) for
 * every record in the file's order; read is what enr made of r's body for
 * posts and messages, else NULL. enr is the reader's until this returns;
 * the reader never touches the database. Returns 0; -1 when write failed
 * (write set its own error) or the parse did (err says why); 1 when no
 * second thread could be started and nothing was read. */
struct enricher;
struct enrichment;
typedef int (*ingest_write_fn)(void *ctx, const struct ingest_record *r,
                               const struct enrichment *read);
int ingest_parse_beside(enum ingest_format f, const char *data, size_t len,
                        const struct ingest_opts *opts, struct enricher *enr, ingest_write_fn write,
                        void *ctx, struct error *err);

/* The parsers, one file each. */
int parse_x_archive(struct pctx *pc, const char *data, size_t len, struct error *err);
int parse_csv(struct pctx *pc, const char *data, size_t len, struct error *err);
int parse_ndjson(struct pctx *pc, const char *data, size_t len, struct error *err);
int parse_tiktok_csv(struct pctx *pc, const char *data, size_t len, struct error *err);
int parse_linkedin_xls(struct pctx *pc, const char *data, size_t len, struct error *err);
/* The readers of the formats that are one JSON document: ingest_parse
 * reads the document (json_doc) and frees it once the reader is done. */
int read_bluesky(struct pctx *pc, json_t *j, struct error *err);
int read_instagram(struct pctx *pc, json_t *j, struct error *err);
int read_linkedin_api(struct pctx *pc, json_t *j, struct error *err);
int read_mastodon(struct pctx *pc, json_t *j, struct error *err);
int read_meta_graph(struct pctx *pc, json_t *j, struct error *err);
int read_meta_webhook(struct pctx *pc, json_t *j, struct error *err);
int read_threads(struct pctx *pc, json_t *j, struct error *err);
int read_tiktok(struct pctx *pc, json_t *j, struct error *err);
int read_tiktok_api(struct pctx *pc, json_t *j, struct error *err);
int read_x_api(struct pctx *pc, json_t *j, struct error *err);
int read_youtube(struct pctx *pc, json_t *j, struct error *err);
/* Whether a CSV file's header is one of TikTok's analytics exports'. */
bool tiktok_csv_header(const char *data, size_t len);

/* The CSV reader (csv.c), shared by the formats that are CSV files of a
 * fixed layout: RFC 4180 (quotes, doubled quotes, CRLF, newlines in
 * cells), a UTF-8 byte-order mark skipped, and the separator (comma,
 * semicolon or tab) the header uses most. */
struct csv_reader {
    const char *p, *end;
    char delim;
    int64_t line; /* physical line the next record starts on */
    struct buf cell;
    char **cells; /* offsets into `cell` after a row is read */
    size_t ncells, cap;
    size_t *offs;
};
void csv_reader_start(struct csv_reader *rd, const char *data, size_t len);
/* Reads one record into rd->cells; 0 at the end, 1 a row, -1 a quote not
 * closed before the file ends. */
int csv_read_row(struct csv_reader *rd);
/* Reads the header, the first record: 0, or -1 with "line 1: ..." in err
 * (an empty file, or a quoted cell not closed). */
int csv_read_header(struct csv_reader *rd, struct error *err);
void csv_reader_free(struct csv_reader *rd);
/* Reads the next data row of a file whose header has nh cells, with
 * "line N" into where: 1 a row of nh cells, 0 the end, -1 when the file
 * cannot be read on (err: a quote not closed) or the emit stopped at a
 * reject (err untouched). Blank lines are passed over; a row of another
 * width is rejected and passed over. *rowno (may be NULL) counts the rows
 * that are not blank, rejected ones too. */
int csv_next_row(struct csv_reader *rd, struct pctx *pc, size_t nh, char where[32], int64_t *rowno,
                 struct error *err);
/* A count as exports write it: digits, thousands grouped by ',' or ' '
 * ("1,234", "1 234"); -1 for anything else. */
int csv_count(const char *s, int64_t *out);
/* Whether the n bytes at s are one of `names` ("Likes|Reactions": '|'
 * between alternatives), ignoring case: how an export's columns are found
 * by their header cells. */
bool csv_named(const char *s, size_t n, const char *names);
/* The instant of wall-clock time `wall` (seconds as if it were UTC) in
 * zone z (NULL: UTC). */
int64_t csv_local_instant(const struct tz *z, int64_t wall);

/* An X direct message: id, text, the time and the sender under the given
 * keys (the API says created_at and sender_id, the archive createdAt and
 * senderId). Shared by x_api and x_archive. */
int x_dm(struct pctx *pc, json_t *m, const char *where, const char *time_key,
         const char *sender_key);
/* A tweet's "lang" (API and archive) as a tag; NULL also for "und", X's
 * "could not tell". */
const char *x_lang(struct pctx *pc, json_t *tweet);

/* What a Graph list's paging link says of it: ".../v19.0/OWNER/EDGE?..."
 * (a page's or account's /feed, /photos, /media, /tags; a post's or
 * media's /comments; a comment's /replies). Both NULL when the list has no
 * paging link or another shape. */
struct graph_edge {
    const char *owner, *name;
};
struct graph_edge graph_list_edge(struct pctx *pc, json_t *list);

/* Shared by the Graph-shaped formats (Facebook and Instagram): one insights
 * array ({data:[{name, period, values:[{value,end_time}], id}]}). */
int parse_graph_insights(struct pctx *pc, json_t *data, const char *platform, struct error *err);
/* Whether a Graph list's data is an insights array (its first item has a
 * 'name' and a 'period') rather than a list of items. */
bool graph_list_is_insights(json_t *data);

#endif
