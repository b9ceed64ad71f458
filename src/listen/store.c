/* store: the listening desk's sources and items in the store, and one
 * round of fetching: each source fetched (conditional on what it answered
 * last), read, and its new entries kept once each, with their sentiment. */
#include "db/db.h"
#include "listen/listen.h"
#include "model/model.h"
#include "text/query.h"
#include "text/text.h"

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <ctype.h>
#include <time.h>

static bool format_known(const char *f)
{
    static const char *const formats[] = {"feed", "html", "sitemap", "mastodon_tag",
                                          "mastodon_public"};
    for (size_t i = 0; i < ARRAY_LEN(formats); i++)
        if (str_eq(f, formats[i]))
            return true;
    return false;
}

/* The selectors as the JSON kept on the row; each checked by compiling. */
static char *selectors_json(const struct page_selectors *sel, struct error *err)
{
    const char *v[5] = {sel->item, sel->title, sel->link, sel->time, sel->author};
    static const char *names[5] = {"item", "title", "link", "time", "author"};
    json_t *o = json_object();
    for (int i = 0; i < 5; i++) {
        if (!v[i])
            continue;
        struct error e = {0};
        struct css_selector *c = css_compile(v[i], &e);
        if (!c) {
            char field[32];
            snprintf(field, sizeof field, "selectors.%s", names[i]);
            error_field(err, ERR_INVALID, field, "%s: %s", field, e.msg);
            json_decref(o);
            return NULL;
        }
        css_free(c);
        json_object_set_new(o, names[i], json_string(v[i]));
    }
    char *out = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(o);
    return out;
}

int listen_source_add(struct db *db, int64_t ws, const struct listen_source_in *in, int64_t *id,
                      struct error *err)
{
    const char *url = in->url, *format = in->format ? in->format : "feed";
    char host[400];
    if (!url || (strncasecmp(url, "http://", 7) && strncasecmp(url, "https://", 8)) ||
        strlen(url) > 2000 || listen_url_host(url, host, sizeof host, NULL, 0) < 0)
        return error_field(err, ERR_INVALID, "url",
                           "a source's url must be an http or https address of at most 2000 "
                           "characters");
    if (!format_known(format))
        return error_field(err, ERR_INVALID, "kind",
                           "'%s': a source is a feed, html, sitemap, mastodon_tag or "
                           "mastodon_public",
                           format);
    if (in->interval_s < 60 || in->interval_s > 7 * 86400)
        return error_field(err, ERR_INVALID, "interval",
                           "%lld: the interval is seconds between 60 and 604800",
                           (long long)in->interval_s);
    bool html = str_eq(format, "html");
    const struct page_selectors *sel = &in->selectors;
    if (html && !sel->item)
        return error_field(err, ERR_INVALID, "selectors.item",
                           "an html source needs an item selector (which element is one item)");
    if (!html && (sel->item || sel->title || sel->link || sel->time || sel->author))
        return error_field(err, ERR_INVALID, "selectors",
                           "selectors are for html sources only, not %s", format);
    char api[2100];
    if (str_eq(format, "mastodon_tag") &&
        listen_mastodon_url(url, format, NULL, api, sizeof api) < 0)
        return error_field(err, ERR_INVALID, "url",
                           "%s: a hashtag timeline is the server's /tags/NAME page (or "
                           "/api/v1/timelines/tag/NAME)",
                           url);
    char *selectors = NULL;
    if (html && !(selectors = selectors_json(sel, err)))
        return -1;
    int64_t n = 0;
    int rc = -1;
    if (db_scalar(db, err, &n,
                  "SELECT COUNT(*) FROM listen_sources WHERE workspace_id = ? AND url = ?", "it",
                  ws, url) < 0)
        goto done;
    if (n) {
        error_field(err, ERR_CONFLICT, "url", "the workspace watches %s already", url);
        goto done;
    }
    rc = db_insert(db, err, id,
                   "INSERT INTO listen_sources (workspace_id, url, kind, format, selectors, "
                   "interval_s, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                   "ittttii", ws, url, str_eq(format, "feed") ? "feed" : "html", format, selectors,
                   in->interval_s, time_now());
done:
    free(selectors);
    return rc;
}

/* The source goes with its items. An alert reads the items above the last
 * id it saw, and SQLite gives a new row the id of the newest row deleted,
 * so an alert that had seen past what is left is set back to the newest
 * item left: it has seen all of those, and the next item stored is new to
 * it. (PostgreSQL's sequences never reuse an id; the same step is harmless
 * there.) */
int listen_source_remove(struct db *db, int64_t ws, int64_t id, struct error *err)
{
    if (db_begin(db, err) < 0)
        return -1;
    int64_t n = db_run(db, err, "DELETE FROM listen_sources WHERE workspace_id = ? AND id = ?",
                       "ii", ws, id);
    if (n <= 0)
        model_no_row((int)n, "source", id, err);
    return db_end(db,
                  n <= 0 ||
                      db_run(db, err,
                             "UPDATE listen_alerts SET last_item_id = (SELECT COALESCE(MAX(id), "
                             "0) FROM listen_items) WHERE last_item_id > (SELECT "
                             "COALESCE(MAX(id), 0) FROM listen_items)",
                             "") < 0,
                  err);
}

/* Stores which of the workspace's queries the new item matches. */
static int match_item(struct db *db, struct listen_matcher *m, int64_t source,
                      const char *source_url, const char *key, const struct feed_entry *e,
                      struct error *err)
{
    if (!listen_matcher_size(m))
        return 0;
    int64_t item = 0;
    if (db_scalar(db, err, &item,
                  "SELECT id FROM listen_items WHERE source_id = ? AND dedupe_key = ?", "it",
                  source, key) != 1)
        return -1;
    struct listen_item_text it = {.title = e->title ? e->title : "",
                                  .text = e->summary ? e->summary : "",
                                  .author = e->author,
                                  .lang = e->lang,
                                  .source_url = source_url};
    return listen_match_item(db, m, item, &it, err);
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

static int store_entries(struct db *db, int64_t ws, int64_t source, const char *url,
                         const struct feed *f, struct listen_matcher *m, int64_t *added,
                         struct error *err)
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
        if (n < 0 || (n == 1 && match_item(db, m, source, url, key.data, e, err) < 0)) {
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

/* The source's row, as a fetch needs it. */
struct source_row {
    int64_t id, ws, interval, failures;
    char *url, *format, *selectors, *etag, *lm, *cursor;
};

/* The longest wait between two fetches of a failing source. */
#define BACKOFF_CAP 86400

int64_t listen_backoff(int64_t interval, int64_t failures)
{
    int64_t wait = interval;
    for (int64_t i = 0; i < failures && wait < BACKOFF_CAP; i++)
        wait *= 2;
    return wait < BACKOFF_CAP ? wait : (interval > BACKOFF_CAP ? interval : BACKOFF_CAP);
}

/* Records how the fetch went on the source's row. The next one is due an
 * interval later; after failures in a row, interval * 2^failures (at most
 * a day), so a broken host is not asked every round. */
static int record(struct db *db, const struct source_row *src, const char *etag, const char *lm,
                  const char *cursor, const char *error, struct error *err)
{
    int64_t now = time_now();
    if (error) {
        int64_t failures = src->failures + 1;
        char *text = xstrdup(error);
        /* The store keeps UTF-8: a server's bytes in an error are not. */
        if (!utf8_valid(text, strlen(text)))
            for (char *c = text; *c; c++)
                if ((unsigned char)*c >= 0x80)
                    *c = '?';
        int rc = db_do(db, err,
                       "UPDATE listen_sources SET last_error = ?, last_error_at = ?, "
                       "last_fetched = ?, failures = ?, next_fetch = ? WHERE id = ?",
                       "tiiiii", text, now, now, failures,
                       now + listen_backoff(src->interval, failures), src->id);
        free(text);
        return rc;
    }
    return db_do(db, err,
                 "UPDATE listen_sources SET last_error = NULL, last_error_at = NULL, "
                 "failures = 0, last_fetched = ?, next_fetch = ?, etag = COALESCE(?, etag), "
                 "last_modified = COALESCE(?, last_modified), cursor = COALESCE(?, cursor) "
                 "WHERE id = ?",
                 "iittti", now, now + src->interval, etag, lm, cursor, src->id);
}

int listen_mastodon_url(const char *url, const char *format, const char *since_id, char *out,
                        size_t cap)
{
    char host[400], path[2100];
    if (listen_url_host(url, host, sizeof host, path, sizeof path) < 0)
        return -1;
    /* host is scheme://name:port; curl takes the default port as written. */
    char tag[256] = "";
    if (str_eq(format, "mastodon_tag")) {
        const char *t = NULL;
        if (!strncmp(path, "/tags/", 6))
            t = path + 6;
        else if (!strncmp(path, "/api/v1/timelines/tag/", 22))
            t = path + 22;
        size_t n = t ? strcspn(t, "/?#") : 0;
        if (!n || n >= sizeof tag)
            return -1;
        memcpy(tag, t, n);
        tag[n] = '\0';
        for (char *c = tag; *c; c++)
            if (!(isalnum((unsigned char)*c) || *c == '_' || *c == '%' ||
                  (unsigned char)*c >= 0x80))
                return -1;
    }
    const char *q = strchr(path, '?');
    bool local = q && strstr(q, "local=true");
    int n = *tag ? snprintf(out, cap, "%s/api/v1/timelines/tag/%s?limit=40%s%s", host, tag,
                            since_id ? "&since_id=" : "", since_id ? since_id : "")
                 : snprintf(out, cap, "%s/api/v1/timelines/public?limit=40%s%s%s", host,
                            local ? "&local=true" : "", since_id ? "&since_id=" : "",
                            since_id ? since_id : "");
    return n > 0 && (size_t)n < cap ? 0 : -1;
}

static void source_row_free(struct source_row *r)
{
    free(r->url);
    free(r->format);
    free(r->selectors);
    free(r->etag);
    free(r->lm);
    free(r->cursor);
    memset(r, 0, sizeof *r);
}

static int source_load(struct db *db, int64_t ws, int64_t id, struct source_row *r,
                       struct error *err)
{
    memset(r, 0, sizeof *r);
    struct db_stmt *q = model_row(
        db, "source", id, err,
        "SELECT id, workspace_id, interval_s, failures, url, format, selectors, etag, "
        "last_modified, cursor FROM listen_sources WHERE id = ? AND (? = 0 OR workspace_id = ?)",
        "iii", id, ws, ws);
    if (!q)
        return -1;
    r->id = db_col_int(q, 0);
    r->ws = db_col_int(q, 1);
    r->interval = db_col_int(q, 2);
    r->failures = db_col_int(q, 3);
    r->url = db_col_dup(q, 4);
    r->format = db_col_dup(q, 5);
    r->selectors = db_col_dup(q, 6);
    r->etag = db_col_dup(q, 7);
    r->lm = db_col_dup(q, 8);
    r->cursor = db_col_dup(q, 9);
    db_finalize(q);
    return 0;
}

/* Reads the answer as the source's format says. */
static int read_answer(const struct source_row *src, const struct fetch_result *r, struct feed *f,
                       struct error *why)
{
    struct feed_origin o = {.content_type = r->content_type[0] ? r->content_type : NULL,
                            .url = r->final_url,
                            .content_language =
                                r->content_language[0] ? r->content_language : NULL};
    const char *data = r->body.data ? r->body.data : "";
    if (str_eq(src->format, "html")) {
        json_error_t je;
        json_t *j = json_loads(src->selectors ? src->selectors : "{}", 0, &je);
        struct page_selectors sel = {
            .item = json_string_value(json_object_get(j, "item")),
            .title = json_string_value(json_object_get(j, "title")),
            .link = json_string_value(json_object_get(j, "link")),
            .time = json_string_value(json_object_get(j, "time")),
            .author = json_string_value(json_object_get(j, "author")),
        };
        int rc = listen_page_parse(data, r->body.len, &o, &sel, f, why);
        json_decref(j);
        return rc;
    }
    if (str_eq(src->format, "sitemap"))
        return listen_sitemap_parse(data, r->body.len, &o, f, why);
    if (!strncmp(src->format, "mastodon_", 9))
        return listen_mastodon_parse(data, r->body.len, f, why);
    return feed_parse(data, r->body.len, &o, f, why);
}

#define SITEMAP_CHILDREN 3 /* of an index, the newest this many are read */
#define SITEMAP_WAIT_MS  60000

/* A sitemap index names sitemaps: the newest few (by lastmod) are fetched
 * now, one after another at the host's pace, and their urls stored. */
static int sitemap_children(struct db *db, const struct listen_config *cfg,
                            const struct source_row *src, const struct feed *index,
                            struct listen_matcher *m, struct listen_fetch_stats *st,
                            struct error *why, struct error *err)
{
    size_t order[SITEMAP_CHILDREN], n = 0;
    for (size_t i = 0; i < index->n_entries; i++) {
        /* Insertion into the few newest. */
        size_t k = n < SITEMAP_CHILDREN ? n++ : SITEMAP_CHILDREN;
        if (k == SITEMAP_CHILDREN) {
            const struct feed_entry *last = &index->entries[order[k - 1]];
            if (!index->entries[i].has_updated ||
                (last->has_updated && last->updated >= index->entries[i].updated))
                continue;
            k--;
        }
        while (k > 0) {
            const struct feed_entry *prev = &index->entries[order[k - 1]];
            const struct feed_entry *e = &index->entries[i];
            if (!(e->has_updated && (!prev->has_updated || e->updated > prev->updated)))
                break;
            order[k] = order[k - 1];
            k--;
        }
        order[k] = i;
    }
    for (size_t i = 0; i < n; i++) {
        const char *url = index->entries[order[i]].link;
        struct fetch_result r;
        int64_t until = 0;
        int got;
        while ((got = listen_polite_fetch(db, cfg, url, NULL, NULL, &r, &until, why, err)) == 2) {
            int64_t wait = until - listen_now_ms();
            if (wait > SITEMAP_WAIT_MS)
                return error_set(why, ERR_LIMIT,
                                 "%s: the host asks for more than %d s between requests; the "
                                 "rest of the index waits for the next fetch",
                                 url, SITEMAP_WAIT_MS / 1000);
            if (wait > 0)
                nanosleep(&(struct timespec){wait / 1000, (wait % 1000) * 1000000}, NULL);
        }
        if (got < 0)
            return -1;
        if (got == 1)
            return 1;
        struct feed f;
        struct source_row as_map = *src;
        as_map.format = "sitemap";
        if (read_answer(&as_map, &r, &f, why) < 0) {
            buf_free(&r.body);
            return 1;
        }
        buf_free(&r.body);
        int rc = str_eq(f.version, "sitemap")
                     ? store_entries(db, src->ws, src->id, src->url, &f, m, &st->items_added, err)
                     : 0; /* an index inside an index is not followed */
        feed_free(&f);
        if (rc < 0)
            return -1;
    }
    return 0;
}

int listen_fetch_source(struct db *db, const struct listen_config *cfg, int64_t ws, int64_t id,
                        struct listen_fetch_stats *st, int64_t *wait_until_ms, struct error *err)
{
    struct source_row src;
    struct listen_matcher *m = NULL;
    struct fetch_result r = {0};
    struct error why = {0};
    int rc = -1;
    *wait_until_ms = 0;
    if (source_load(db, ws, id, &src, err) < 0)
        return -1;
    char api[2100];
    const char *url = src.url, *etag = src.etag, *lm = src.lm;
    if (!strncmp(src.format, "mastodon_", 9)) {
        if (listen_mastodon_url(src.url, src.format, src.cursor, api, sizeof api) < 0) {
            error_set(&why, ERR_INVALID, "%s: not a Mastodon timeline's address", src.url);
            st->sources++;
            st->failed++;
            rc = record(db, &src, NULL, NULL, NULL, why.msg, err);
            goto done;
        }
        url = api;
        etag = lm = NULL; /* since_id says what is new */
    }
    int got = listen_polite_fetch(db, cfg, url, etag, lm, &r, wait_until_ms, &why, err);
    if (got < 0)
        goto done;
    if (got == 2) {
        rc = 2;
        goto done;
    }
    st->sources++;
    if (got == 1) {
        st->failed++;
        rc = record(db, &src, NULL, NULL, NULL, why.msg, err);
        goto done;
    }
    if (r.status == 304) {
        st->not_modified++;
        rc = record(db, &src, NULL, NULL, NULL, NULL, err);
        goto done;
    }
    struct feed f;
    if (read_answer(&src, &r, &f, &why) < 0) {
        st->failed++;
        rc = record(db, &src, NULL, NULL, NULL, why.msg, err);
        goto done;
    }
    if (!(m = listen_matcher_load(db, src.ws, err))) {
        feed_free(&f);
        goto done;
    }
    st->fetched++;
    rc = store_entries(db, src.ws, src.id, src.url, &f, m, &st->items_added, err);
    if (rc == 0 && str_eq(f.version, "sitemapindex")) {
        int c = sitemap_children(db, cfg, &src, &f, m, st, &why, err);
        if (c < 0)
            rc = -1;
        else if (c == 1) {
            st->failed++;
            rc = record(db, &src, NULL, NULL, NULL, why.msg, err);
            feed_free(&f);
            goto done;
        }
    }
    bool mastodon = !strncmp(src.format, "mastodon_", 9);
    if (rc == 0)
        rc = record(db, &src, mastodon ? NULL : (r.etag[0] ? r.etag : NULL),
                    mastodon ? NULL : (r.last_modified[0] ? r.last_modified : NULL),
                    mastodon ? f.title : NULL, NULL, err);
    feed_free(&f);
done:
    buf_free(&r.body);
    listen_matcher_free(m);
    source_row_free(&src);
    return rc;
}

int listen_fetch_sources(struct db *db, int64_t ws, int64_t source, const struct listen_config *cfg,
                         struct listen_fetch_stats *st, struct error *err)
{
    memset(st, 0, sizeof *st);
    int rc = -1;
    size_t n;
    int64_t *ids = db_ids(db, err, &n,
                          "SELECT id FROM listen_sources WHERE workspace_id = ? AND "
                          "(? = 0 OR id = ?) ORDER BY id",
                          "iii", ws, source, source);
    if (!ids)
        goto fail;
    if (source && n == 0) {
        error_set(err, ERR_NOT_FOUND, "no source %lld in this workspace", (long long)source);
        goto fail;
    }
    /* Round-robin: a source whose host must wait is passed over and come
     * back to, so one slow host does not hold up the others. */
    bool *done = xcalloc(n ? n : 1, sizeof *done);
    size_t left = n;
    while (left) {
        int64_t soonest = INT64_MAX;
        for (size_t i = 0; i < n; i++) {
            if (done[i])
                continue;
            int64_t until = 0;
            int got = listen_fetch_source(db, cfg, ws, ids[i], st, &until, err);
            if (got < 0) {
                free(done);
                goto fail;
            }
            if (got == 2) {
                soonest = until < soonest ? until : soonest;
                continue;
            }
            done[i] = true;
            left--;
        }
        if (left && soonest != INT64_MAX) {
            int64_t wait = soonest - listen_now_ms();
            if (wait > 0)
                nanosleep(&(struct timespec){wait / 1000, (wait % 1000) * 1000000}, NULL);
        }
    }
    free(done);
    rc = 0;
fail:
    free(ids);
    return rc;
}

static json_t *source_json(struct db_stmt *q)
{
    json_error_t je;
    json_t *sel = db_col_null(q, 3) ? json_null() : json_loads(db_col_text(q, 3), 0, &je);
    return json_pack("{s:I, s:s, s:s, s:o, s:I, s:o, s:o, s:I, s:o, s:o, s:I}", "id",
                     (json_int_t)db_col_int(q, 0), "url", db_col_text(q, 1), "kind",
                     db_col_text(q, 2), "selectors", sel ? sel : json_null(), "interval",
                     (json_int_t)db_col_int(q, 4), "last_error", json_text_col(q, 5),
                     "last_error_at", json_time_col(q, 6), "failures", (json_int_t)db_col_int(q, 7),
                     "last_fetched", json_time_col(q, 8), "next_fetch", json_time(db_col_int(q, 9)),
                     "items", (json_int_t)db_col_int(q, 10));
}

json_t *listen_sources_list(struct db *db, int64_t ws, struct error *err)
{
    return json_items(db_query(db, err,
                               "SELECT s.id, s.url, s.format, s.selectors, s.interval_s, "
                               "s.last_error, s.last_error_at, s.failures, s.last_fetched, "
                               "s.next_fetch, (SELECT COUNT(*) FROM listen_items i WHERE "
                               "i.source_id = s.id) FROM listen_sources s WHERE "
                               "s.workspace_id = ? ORDER BY s.id",
                               "i", ws),
                      source_json, err);
}
