/* store: the listening desk's sources and items in the store, and one
 * round of fetching: each source fetched (conditional on what it answered
 * last), read, and its new entries kept once each, with their sentiment. */
#include "db/db.h"
#include "listen/listen.h"
#include "text/query.h"
#include "text/text.h"

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int listen_source_add(struct db *db, int64_t ws, const char *url, const char *kind,
                      int64_t interval_s, int64_t *id, struct error *err)
{
    if (!url || (strncasecmp(url, "http://", 7) && strncasecmp(url, "https://", 8)) ||
        strlen(url) > 2000)
        return error_field(err, ERR_INVALID, "url",
                           "a source's url must be an http or https address of at most 2000 "
                           "characters");
    if (kind && strcmp(kind, "feed") != 0)
        return error_field(err, ERR_INVALID, "kind",
                           "'%s': only feed sources are read so far (html pages are not)", kind);
    if (interval_s < 60 || interval_s > 7 * 86400)
        return error_field(err, ERR_INVALID, "interval",
                           "%lld: the interval is seconds between 60 and 604800",
                           (long long)interval_s);
    int64_t n = 0;
    if (db_scalar(db, err, &n,
                  "SELECT COUNT(*) FROM listen_sources WHERE workspace_id = ? AND url = ?", "it",
                  ws, url) < 0)
        return -1;
    if (n)
        return error_field(err, ERR_CONFLICT, "url", "the workspace watches %s already", url);
    return db_insert(db, err, id,
                     "INSERT INTO listen_sources (workspace_id, url, kind, interval_s, created_at) "
                     "VALUES (?, ?, 'feed', ?, ?)",
                     "itii", ws, url, interval_s, time_now());
}

int listen_source_remove(struct db *db, int64_t ws, int64_t id, struct error *err)
{
    int64_t n = db_run(db, err, "DELETE FROM listen_sources WHERE workspace_id = ? AND id = ?",
                       "ii", ws, id);
    if (n < 0)
        return -1;
    if (n == 0)
        return error_set(err, ERR_NOT_FOUND, "no source %lld in this workspace", (long long)id);
    return 0;
}

/* The workspace's tag queries, compiled once per round of fetching. A
 * rule that does not compile is left out (the tag editor refuses such
 * rules; an old one must not stop listening). */
struct matcher {
    size_t n;
    int64_t *tag;
    struct query **q;
    struct text_tokens *tokens; /* large: one per round, not per item */
};

static int matcher_load(struct db *db, int64_t ws, struct matcher *m, struct error *err)
{
    memset(m, 0, sizeof *m);
    struct db_stmt *q = db_query(db, err,
                                 "SELECT id, rule FROM tags WHERE workspace_id = ? AND rule <> '' "
                                 "ORDER BY id",
                                 "i", ws);
    if (!q)
        return -1;
    size_t cap = 0;
    while (db_has_row(q)) {
        struct error bad = {0};
        struct query *c = query_compile(db_col_text(q, 1), &bad);
        if (c) {
            if (m->n == cap) {
                cap = cap ? cap * 2 : 8;
                m->tag = xrealloc(m->tag, cap * sizeof *m->tag);
                m->q = xrealloc(m->q, cap * sizeof *m->q);
            }
            m->tag[m->n] = db_col_int(q, 0);
            m->q[m->n++] = c;
        }
        if (db_step(q, err) < 0) {
            db_finalize(q);
            return -1;
        }
    }
    db_finalize(q);
    m->tokens = m->n ? xmalloc(sizeof *m->tokens) : NULL;
    return 0;
}

static void matcher_free(struct matcher *m)
{
    for (size_t i = 0; i < m->n; i++)
        query_free(m->q[i]);
    free(m->q);
    free(m->tag);
    free(m->tokens);
    memset(m, 0, sizeof *m);
}

/* Stores which of the workspace's queries the new item's text matches. */
static int match_item(struct db *db, const struct matcher *m, int64_t source, const char *key,
                      const struct buf *text, struct error *err)
{
    if (!m->n)
        return 0;
    int64_t item = 0;
    if (db_scalar(db, err, &item,
                  "SELECT id FROM listen_items WHERE source_id = ? AND dedupe_key = ?", "it",
                  source, key) != 1)
        return -1;
    text_tokenize(m->tokens, text->data, text->len);
    for (size_t i = 0; i < m->n; i++)
        if (query_match(m->q[i], m->tokens) &&
            db_run(db, err, "INSERT INTO listen_item_tags (item_id, tag_id) VALUES (?, ?)", "ii",
                   item, m->tag[i]) < 0)
            return -1;
    return 0;
}

/* "g:" guid, else "l:" link, else "h:" a hash of title and text: the key an
 * entry is kept once by, whatever the feed does to its other fields. */
static void dedupe_key(const struct feed_entry *e, struct buf *out)
{
    buf_reset(out);
    if (e->guid) {
        buf_printf(out, "g:%.1000s", e->guid);
    } else if (e->link) {
        buf_printf(out, "l:%.1000s", e->link);
    } else {
        unsigned char h[16];
        crypto_generichash_state st;
        crypto_generichash_init(&st, NULL, 0, sizeof h);
        const char *t = e->title ? e->title : "", *s = e->summary ? e->summary : "";
        crypto_generichash_update(&st, (const unsigned char *)t, strlen(t) + 1);
        crypto_generichash_update(&st, (const unsigned char *)s, strlen(s));
        crypto_generichash_final(&st, h, sizeof h);
        char hex[33];
        str_hex(h, sizeof h, hex);
        buf_printf(out, "h:%s", hex);
    }
}

static int store_entries(struct db *db, int64_t ws, int64_t source, const struct feed *f,
                         const struct matcher *m, int64_t *added, struct error *err)
{
    struct buf key = {0}, all = {0};
    int rc = -1;
    int64_t now = time_now();
    if (db_begin(db, err) < 0)
        goto fail;
    for (size_t i = 0; i < f->n_entries; i++) {
        const struct feed_entry *e = &f->entries[i];
        if (!e->title && !e->summary && !e->link)
            continue; /* nothing a person could read */
        dedupe_key(e, &key);
        buf_reset(&all);
        buf_printf(&all, "%s\n%s", e->title ? e->title : "", e->summary ? e->summary : "");
        struct sentiment s;
        char two[3] = "";
        if (e->lang && strlen(e->lang) >= 2)
            snprintf(two, sizeof two, "%.2s", e->lang); /* "sv-FI" is read as Swedish */
        int lang = two[0] ? text_lang_parse(two) : -1;
        sentiment_score(all.data, all.len, lang < 0 ? LANG_AUTO : (enum text_lang)lang, &s);
        int64_t n = db_run(
            db, err,
            "INSERT INTO listen_items (workspace_id, source_id, dedupe_key, guid, title, link, "
            "author, published, text, lang, sentiment, sentiment_label, fetched_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (source_id, dedupe_key) DO NOTHING",
            "iitttttIttdti", ws, source, key.data, e->guid, e->title ? e->title : "", e->link,
            e->author, e->has_published ? &e->published : NULL, e->summary ? e->summary : "",
            e->lang, s.score, sentiment_label_name(s.label), now);
        if (n < 0 || (n == 1 && match_item(db, m, source, key.data, &all, err) < 0)) {
            db_rollback(db);
            goto fail;
        }
        *added += n;
    }
    if (db_commit(db, err) < 0)
        goto fail;
    rc = 0;
fail:
    buf_free(&key);
    buf_free(&all);
    return rc;
}

/* Records how the fetch went on the source's row; the next one is due an
 * interval later, or twice that after an error, so a broken host is not
 * asked every round. */
static int record(struct db *db, int64_t id, int64_t interval, const char *etag, const char *lm,
                  const char *error, struct error *err)
{
    int64_t now = time_now();
    int64_t next = now + (error ? interval * 2 : interval);
    if (error)
        return db_run(db, err,
                      "UPDATE listen_sources SET last_error = ?, last_fetched = ?, next_fetch = ? "
                      "WHERE id = ?",
                      "tiii", error, now, next, id) < 0
                   ? -1
                   : 0;
    return db_run(
               db, err,
               "UPDATE listen_sources SET last_error = NULL, last_fetched = ?, next_fetch = ?, "
               "etag = COALESCE(?, etag), last_modified = COALESCE(?, last_modified) WHERE id = ?",
               "iitti", now, next, etag, lm, id) < 0
               ? -1
               : 0;
}

static int fetch_one(struct db *db, int64_t ws, int64_t id, const char *url, int64_t interval,
                     const char *etag, const char *lm, const struct fetch_opts *opts,
                     const struct matcher *m, struct listen_fetch_stats *st, struct error *err)
{
    struct fetch_result r;
    struct error why = {0};
    st->sources++;
    if (listen_fetch(url, etag, lm, opts, &r, &why) < 0) {
        st->failed++;
        return record(db, id, interval, NULL, NULL, why.msg, err);
    }
    if (r.status == 304) {
        st->not_modified++;
        buf_free(&r.body);
        return record(db, id, interval, NULL, NULL, NULL, err);
    }
    struct feed f;
    struct feed_origin o = {.content_type = r.content_type[0] ? r.content_type : NULL,
                            .url = r.final_url,
                            .content_language = r.content_language[0] ? r.content_language : NULL};
    int rc;
    if (feed_parse(r.body.data ? r.body.data : "", r.body.len, &o, &f, &why) < 0) {
        st->failed++;
        rc = record(db, id, interval, NULL, NULL, why.msg, err);
    } else {
        st->fetched++;
        rc = store_entries(db, ws, id, &f, m, &st->items_added, err);
        if (rc == 0)
            rc = record(db, id, interval, r.etag[0] ? r.etag : NULL,
                        r.last_modified[0] ? r.last_modified : NULL, NULL, err);
        feed_free(&f);
    }
    buf_free(&r.body);
    return rc;
}

int listen_fetch_sources(struct db *db, int64_t ws, int64_t source, const struct fetch_opts *opts,
                         struct listen_fetch_stats *st, struct error *err)
{
    memset(st, 0, sizeof *st);
    /* Read the list first: the store is written between fetches. */
    struct row {
        int64_t id, interval;
        char *url, *etag, *lm;
    } *rows = NULL;
    size_t n = 0, cap = 0;
    int rc = -1;
    struct matcher m = {0};
    struct db_stmt *q = db_query(db, err,
                                 "SELECT id, url, interval_s, etag, last_modified FROM "
                                 "listen_sources WHERE workspace_id = ? AND (? = 0 OR id = ?) "
                                 "ORDER BY id",
                                 "iii", ws, source, source);
    if (!q)
        goto fail;
    while (db_has_row(q)) {
        if (n == cap) {
            cap = cap ? cap * 2 : 8;
            rows = xrealloc(rows, cap * sizeof *rows);
        }
        rows[n].id = db_col_int(q, 0);
        rows[n].url = xstrdup(db_col_text(q, 1));
        rows[n].interval = db_col_int(q, 2);
        rows[n].etag = db_col_null(q, 3) ? NULL : xstrdup(db_col_text(q, 3));
        rows[n].lm = db_col_null(q, 4) ? NULL : xstrdup(db_col_text(q, 4));
        n++;
        if (db_step(q, err) < 0) {
            db_finalize(q);
            goto fail;
        }
    }
    db_finalize(q);
    if (source && n == 0) {
        error_set(err, ERR_NOT_FOUND, "no source %lld in this workspace", (long long)source);
        goto fail;
    }
    if (matcher_load(db, ws, &m, err) < 0)
        goto fail;
    for (size_t i = 0; i < n; i++)
        if (fetch_one(db, ws, rows[i].id, rows[i].url, rows[i].interval, rows[i].etag, rows[i].lm,
                      opts, &m, st, err) < 0)
            goto fail;
    rc = 0;
fail:
    for (size_t i = 0; i < n; i++) {
        free(rows[i].url);
        free(rows[i].etag);
        free(rows[i].lm);
    }
    free(rows);
    matcher_free(&m);
    return rc;
}
