/* match: which of a workspace's queries (its tags' rules, in the language
 * of docs/query-language.md) each listened item matches. All the queries
 * are compiled into one query set (text/query.h), so an item costs a look
 * at its own words and at the few queries they point to, however many
 * queries the workspace has. A new or changed query is run over the items
 * already stored, so the stream never shows a query's old meaning. */
#include "db/db.h"
#include "listen/listen.h"
#include "text/query.h"
#include "text/text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The fields of one item as tokens, large: one per matcher, not per item. */
struct item_doc {
    struct text_tokens t[QFIELD_COUNT];
    struct buf all, host;
    struct query_doc d;
};

struct listen_matcher {
    struct query_set *set;
    int64_t *tag; /* query number -> tag id */
    uint32_t *got;
    struct item_doc *doc;
};

/* "https://www.svd.se:443/feed" -> "svd.se": what source: looks in. */
static void source_host(const char *url, struct buf *out)
{
    buf_reset(out);
    if (!url)
        return;
    const char *s = strstr(url, "://");
    s = s ? s + 3 : url;
    const char *at = strpbrk(s, "@/?#");
    if (at && *at == '@')
        s = at + 1;
    size_t n = strcspn(s, ":/?#");
    if (n > 4 && strncasecmp(s, "www.", 4) == 0) {
        s += 4;
        n -= 4;
    }
    buf_append(out, s, n);
}

/* Tokenizes the item into x->d: the title and text together as the text
 * (what unfielded terms look in), and each field apart. The language is
 * the item's own (its primary subtag), else the guess from its text when
 * that is sv, fi or en. */
static void item_doc_fill(struct item_doc *x, const struct listen_item_text *it)
{
    const char *title = it->title ? it->title : "", *text = it->text ? it->text : "";
    buf_reset(&x->all);
    buf_printf(&x->all, "%s\n%s", title, text);
    memset(&x->d, 0, sizeof x->d);
    text_tokenize(&x->t[QFIELD_TEXT], x->all.data, x->all.len);
    x->d.field[QFIELD_TEXT] = &x->t[QFIELD_TEXT];
    text_tokenize(&x->t[QFIELD_TITLE], title, strlen(title));
    x->d.field[QFIELD_TITLE] = &x->t[QFIELD_TITLE];
    if (it->author) {
        text_tokenize(&x->t[QFIELD_AUTHOR], it->author, strlen(it->author));
        x->d.field[QFIELD_AUTHOR] = &x->t[QFIELD_AUTHOR];
    }
    source_host(it->source_url, &x->host);
    if (x->host.len) {
        text_tokenize(&x->t[QFIELD_SOURCE], x->host.data, x->host.len);
        x->d.field[QFIELD_SOURCE] = &x->t[QFIELD_SOURCE];
    }
    const char *l = it->lang;
    size_t n = 0;
    if (l)
        while (n < 3 && ((l[n] >= 'a' && l[n] <= 'z') || (l[n] >= 'A' && l[n] <= 'Z')))
            n++;
    if (n >= 2 && (!l[n] || l[n] == '-' || l[n] == '_')) {
        for (size_t i = 0; i < n; i++)
            x->d.lang[i] = (char)(l[i] | 0x20);
    } else {
        enum text_lang g = lang_guess(&x->t[QFIELD_TEXT]);
        if (g == LANG_SV || g == LANG_FI || g == LANG_EN)
            snprintf(x->d.lang, sizeof x->d.lang, "%s", text_lang_name(g));
    }
}

static void item_doc_free(struct item_doc *x)
{
    if (!x)
        return;
    buf_free(&x->all);
    buf_free(&x->host);
    free(x);
}

struct listen_matcher *listen_matcher_load(struct db *db, int64_t ws, struct error *err)
{
    struct db_stmt *q = db_query(db, err,
                                 "SELECT id, rule FROM tags WHERE workspace_id = ? AND rule <> '' "
                                 "ORDER BY id",
                                 "i", ws);
    if (!q)
        return NULL;
    struct listen_matcher *m = xcalloc(1, sizeof *m);
    m->set = query_set_new();
    size_t cap = 0;
    while (db_has_row(q)) {
        /* The tag editor refuses rules that do not compile; an old one
         * must not stop listening, so it is left out. */
        struct error bad = {0};
        struct query *c = query_compile(db_col_text(q, 1), &bad);
        if (c) {
            uint32_t n = query_set_add(m->set, c);
            if (n >= cap) {
                cap = cap ? cap * 2 : 16;
                m->tag = xrealloc(m->tag, cap * sizeof *m->tag);
            }
            m->tag[n] = db_col_int(q, 0);
        }
        if (db_step(q, err) < 0) {
            db_finalize(q);
            listen_matcher_free(m);
            return NULL;
        }
    }
    db_finalize(q);
    m->got = xmalloc((query_set_size(m->set) + 1) * sizeof *m->got);
    return m;
}

size_t listen_matcher_size(const struct listen_matcher *m)
{
    return m ? query_set_size(m->set) : 0;
}

int listen_match_item(struct db *db, struct listen_matcher *m, int64_t item,
                      const struct listen_item_text *it, struct error *err)
{
    if (!m || !query_set_size(m->set))
        return 0;
    if (!m->doc)
        m->doc = xcalloc(1, sizeof *m->doc);
    item_doc_fill(m->doc, it);
    uint32_t n = query_set_match(m->set, &m->doc->d, m->got);
    for (uint32_t i = 0; i < n; i++)
        if (db_run(db, err,
                   "INSERT INTO listen_item_tags (item_id, tag_id) VALUES (?, ?) "
                   "ON CONFLICT (item_id, tag_id) DO NOTHING",
                   "ii", item, m->tag[m->got[i]]) < 0)
            return -1;
    return 0;
}

void listen_matcher_free(struct listen_matcher *m)
{
    if (!m)
        return;
    query_set_free(m->set);
    free(m->tag);
    free(m->got);
    item_doc_free(m->doc);
    free(m);
}

int64_t listen_query_rematch(struct db *db, int64_t ws, int64_t tag, struct error *err)
{
    struct query *q = NULL;
    struct item_doc *x = NULL;
    int64_t *ids = NULL;
    size_t n = 0, cap = 0;
    int64_t rc = -1;
    struct db_stmt *st =
        db_query(db, err, "SELECT rule FROM tags WHERE workspace_id = ? AND id = ?", "ii", ws, tag);
    if (!st)
        return -1;
    if (db_has_row(st)) {
        struct error bad = {0};
        const char *rule = db_col_text(st, 0);
        q = rule[0] ? query_compile(rule, &bad) : NULL; /* a bad old rule matches nothing */
    }
    db_finalize(st);
    if (q) {
        /* Read every item first, then write: one statement at a time. */
        x = xcalloc(1, sizeof *x);
        st = db_query(db, err,
                      "SELECT i.id, i.title, i.text, i.author, i.lang, s.url FROM listen_items i "
                      "JOIN listen_sources s ON s.id = i.source_id WHERE i.workspace_id = ? "
                      "ORDER BY i.id",
                      "i", ws);
        if (!st)
            goto out;
        while (db_has_row(st)) {
            struct listen_item_text it = {
                .title = db_col_text(st, 1),
                .text = db_col_text(st, 2),
                .author = db_col_null(st, 3) ? NULL : db_col_text(st, 3),
                .lang = db_col_null(st, 4) ? NULL : db_col_text(st, 4),
                .source_url = db_col_text(st, 5),
            };
            item_doc_fill(x, &it);
            if (query_match_doc(q, &x->d)) {
                if (n == cap) {
                    cap = cap ? cap * 2 : 64;
                    ids = xrealloc(ids, cap * sizeof *ids);
                }
                ids[n++] = db_col_int(st, 0);
            }
            if (db_step(st, err) < 0) {
                db_finalize(st);
                goto out;
            }
        }
        db_finalize(st);
    }
    if (db_begin(db, err) < 0)
        goto out;
    if (db_run(db, err,
               "DELETE FROM listen_item_tags WHERE tag_id = ? AND item_id IN "
               "(SELECT id FROM listen_items WHERE workspace_id = ?)",
               "ii", tag, ws) < 0)
        goto rollback;
    for (size_t i = 0; i < n; i++)
        if (db_run(db, err, "INSERT INTO listen_item_tags (item_id, tag_id) VALUES (?, ?)", "ii",
                   ids[i], tag) < 0)
            goto rollback;
    if (db_commit(db, err) == 0)
        rc = (int64_t)n;
    goto out;
rollback:
    db_rollback(db);
out:
    query_free(q);
    item_doc_free(x);
    free(ids);
    return rc;
}
