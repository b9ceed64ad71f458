/* query: the statements behind lists: a WHERE clause built from optional
 * filters with its values, time-ordered pages and their "AT.ID" cursors, and
 * the checks on query-string parameters that feed them. */
#include "model/internal.h"
#include "text/text.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

json_t *page_result(json_t *items, const char *next_cursor)
{
    json_t *o = json_object();
    json_object_set_new(o, "items", items);
    json_object_set_new(o, "next_cursor", next_cursor ? json_string(next_cursor) : json_null());
    return o;
}

/* ---- paging and query strings ------------------------------------------------------ */

int page_parse(struct page *p, const char *limit, const char *cursor, struct error *err)
{
    p->limit = MODEL_PAGE_DEFAULT;
    p->cursor = cursor && *cursor ? cursor : NULL;
    if (limit) {
        int64_t n;
        if (str_to_i64(limit, &n) || n < 1 || n > MODEL_PAGE_MAX)
            return error_field(err, ERR_INVALID, "limit",
                               "parameter 'limit' must be a whole number from 1 to %d",
                               MODEL_PAGE_MAX);
        p->limit = (int)n;
    }
    assert(p->limit >= 1 && p->limit <= MODEL_PAGE_MAX);
    return 0;
}

int cursor_parse_at_id(const char *cursor, int64_t *at, int64_t *id, struct error *err)
{
    assert(cursor && at && id);
    char tmp[64];
    const char *dot = strchr(cursor, '.');
    if (!dot || (size_t)(dot - cursor) >= sizeof tmp)
        goto bad;
    memcpy(tmp, cursor, (size_t)(dot - cursor));
    tmp[dot - cursor] = '\0';
    if (str_to_i64(tmp, at) || str_to_i64(dot + 1, id))
        goto bad;
    assert(dot > cursor && dot[1]); /* both parts were numbers */
    return 0;
bad:
    return error_field(err, ERR_INVALID, "cursor", "parameter 'cursor' is not one kanal gave out");
}

static const char *const booleans[] = {"true", "false", NULL};

/* The value of a filter in the filter struct at f. */
static int64_t *filter_int(void *f, const struct query_filter *d)
{
    return (int64_t *)((char *)f + d->offset);
}

static const char **filter_text(void *f, const struct query_filter *d)
{
    return (const char **)((char *)f + d->offset);
}

int query_params_check(json_t *query, const char *const *takes, int n, struct error *err)
{
    if (n < 0) {
        n = 0;
        while (takes && takes[n])
            n++;
    }
    const char *key;
    json_t *v;
    json_object_foreach (query, key, v) {
        int i = 0;
        while (i < n && !str_eq(takes[i], key))
            i++;
        if (i == n) {
            struct buf names = {0};
            buf_put_choices(&names, takes, n);
            int rc = error_field(err, ERR_INVALID, key, "unknown parameter '%s' (%s)", key,
                                 n ? names.data : "this takes none");
            buf_free(&names);
            return rc;
        }
        if (!json_is_string(v)) /* query strings are strings; other callers must match */
            return error_field(err, ERR_INVALID, key, "parameter '%s' must be a string", key);
    }
    return 0;
}

/* ERR_INVALID for a value not in `values`, naming those it may have: a
 * client should not have to read the source to find that a sentiment is
 * "neg", not "negative". */
static int unknown_value(struct error *err, const struct query_filter *d, const char *s,
                         const char *const *values)
{
    struct buf may = {0};
    buf_put_choices(&may, values, -1);
    int rc = error_field(err, ERR_INVALID, d->param,
                         "parameter '%s' has an unknown value '%.60s' (%s)", d->param, s, may.data);
    buf_free(&may);
    return rc;
}

/* One parameter's value v (a string) into f, or ERR_INVALID saying what it
 * must be. */
static int filter_read(void *f, const struct query_filter *d, json_t *v, struct error *err)
{
    const char *s = json_string_value(v), *what = NULL;
    const char *const *values = d->type == QF_BOOL ? booleans : d->values;
    switch (d->type) {
    case QF_ID:
        if (str_to_i64(s, filter_int(f, d)) || *filter_int(f, d) < 1)
            what = "an id";
        break;
    case QF_TIME:
        if (time_parse_iso(s, filter_int(f, d)))
            what = "an ISO 8601 date or time";
        break;
    case QF_ENUM:
    case QF_BOOL:
        for (; *values; values++)
            if (str_eq(*values, s)) {
                *filter_text(f, d) = *values;
                return 0;
            }
        return unknown_value(err, d, s, d->type == QF_BOOL ? booleans : d->values);
    case QF_USER:
        if (str_eq(s, "me"))
            *filter_int(f, d) = QF_USER_ME;
        else if (str_to_i64(s, filter_int(f, d)) || *filter_int(f, d) < 1)
            what = "a user's id or 'me'";
        break;
    case QF_TERMS: {
        size_t words = search_words(s, NULL, 0);
        if (words == 0)
            what = "one or more words";
        else if (words > QF_TERMS_MAX)
            return error_field(err, ERR_INVALID, d->param,
                               "parameter '%s' has %zu words; search with at most %d", d->param,
                               words, QF_TERMS_MAX);
        *filter_text(f, d) = s;
        break;
    }
    case QF_WORD:
    case QF_TEXT:
        if (d->type == QF_WORD && (json_string_length(v) == 0 || json_string_length(v) > 40))
            what = "1 to 40 characters";
        *filter_text(f, d) = s;
        break;
    }
    if (what)
        return error_field(err, ERR_INVALID, d->param, "parameter '%s' must be %s", d->param, what);
    return 0;
}

int query_filters_parse(void *f, size_t size, const struct query_filter *defs,
                        const char *const *extra, json_t *q, struct error *err)
{
    assert(f && defs);
    memset(f, 0, size);
    const char *takes[QUERY_PARAMS_MAX];
    int n = 0;
    for (const struct query_filter *d = defs; d->param; d++) {
        assert(n < QUERY_PARAMS_MAX - 2);
        takes[n++] = d->param;
    }
    for (const char *const *k = extra; k && *k; k++) {
        assert(n < QUERY_PARAMS_MAX - 2);
        takes[n++] = *k;
    }
    takes[n++] = "limit";
    takes[n++] = "cursor";
    if (query_params_check(q, takes, n, err))
        return -1;
    json_t *v;
    for (const struct query_filter *d = defs; d->param; d++) {
        assert(d->offset + sizeof(int64_t) <= size);
        v = json_object_get(q, d->param);
        if (v && filter_read(f, d, v, err))
            return -1;
    }
    return 0;
}

bool search_token(const struct token *t)
{
    return t->kind == TOK_WORD || t->kind == TOK_NUMBER || t->kind == TOK_HASHTAG;
}

size_t search_words(const char *s, char (*words)[QF_TERM_BYTES], size_t max)
{
    struct text_tokens *t = xmalloc(sizeof *t);
    text_tokenize(t, s, strlen(s));
    size_t n = 0;
    for (size_t i = 0; i < t->n; i++) {
        if (!search_token(&t->tok[i]))
            continue;
        if (n < max) {
            size_t len = t->tok[i].nlen < QF_TERM_BYTES - 1 ? t->tok[i].nlen : QF_TERM_BYTES - 1;
            while (len > 0 && len < t->tok[i].nlen &&
                   ((unsigned char)text_token_norm(t, i)[len] & 0xC0) == 0x80)
                len--;
            memcpy(words[n], text_token_norm(t, i), len);
            words[n][len] = '\0';
        }
        n++;
    }
    free(t);
    return n;
}

/* One condition per word of s, each with the word's stem in sv, fi and en
 * and its folded form, which the builder keeps until it is prepared. */
static void qb_terms(struct qb *q, const char *where, const char *s)
{
    char words[QF_TERMS_MAX][QF_TERM_BYTES];
    size_t n = search_words(s, words, QF_TERMS_MAX);
    assert(n <= QF_TERMS_MAX); /* the parser refused more */
    static const enum text_lang as[] = {LANG_SV, LANG_FI, LANG_EN, LANG_OTHER};
    for (size_t w = 0; w < n; w++) {
        const char *forms[4];
        for (size_t l = 0; l < 4; l++) {
            if (q->nheld == QB_MAX)
                abort(); /* a programming error, as in qb_vadd */
            char *held = xmalloc(QF_TERM_BYTES);
            text_stem(as[l], words[w], strlen(words[w]), held, QF_TERM_BYTES);
            q->held[q->nheld++] = held;
            forms[l] = held;
        }
        qb_and(q, where, "tttt", forms[0], forms[1], forms[2], forms[3]);
    }
}

void qb_filters(struct qb *q, const void *f, const struct query_filter *defs)
{
    for (const struct query_filter *d = defs; d->param; d++) {
        const void *v = (const char *)f + d->offset;
        if (d->type == QF_TERMS) {
            const char *s = *(const char *const *)v;
            if (s)
                qb_terms(q, d->where, s);
            continue;
        }
        bool number = d->type == QF_ID || d->type == QF_TIME || d->type == QF_USER;
        int64_t n = number ? *(const int64_t *)v : 0;
        const char *s = number ? NULL : *(const char *const *)v;
        if (!d->where || (!n && !s))
            continue;
        if (n)
            qb_and(q, d->where, "i", n);
        else if (d->type == QF_BOOL)
            qb_and(q, d->where, "i", (int64_t)str_eq(s, "true"));
        else
            qb_and(q, d->where, "t", s);
    }
}

/* ---- query builder and pages --------------------------------------------------------- */

static void qb_vadd(struct qb *q, const char *types, va_list ap)
{
    for (const char *t = types; *t; t++) {
        assert(*t == 'i' || *t == 't');
        if (q->n == QB_MAX)
            abort(); /* a programming error: more filters than the builder holds */
        q->types[q->n] = *t;
        if (*t == 'i')
            q->ints[q->n] = va_arg(ap, int64_t);
        else
            q->texts[q->n] = va_arg(ap, const char *);
        q->n++;
    }
}

void qb_start(struct qb *q, const char *head, const char *types, ...)
{
    memset(q, 0, sizeof *q);
    buf_puts(&q->sql, head);
    va_list ap;
    va_start(ap, types);
    qb_vadd(q, types, ap);
    va_end(ap);
}

int qb_start_list(struct qb *q, const struct entity *e, const char *table, const char *alias,
                  int64_t workspace_id, const struct page *pg, int64_t *cat, int64_t *cid,
                  struct error *err)
{
    *cat = *cid = 0;
    if (pg->cursor && cursor_parse_at_id(pg->cursor, cat, cid, err))
        return -1;
    struct buf head = {0};
    buf_puts(&head, "SELECT ");
    entity_columns(e, &head, alias);
    buf_printf(&head, " FROM %s%s%s WHERE %s%sworkspace_id = ?", table, alias ? " " : "",
               alias ? alias : "", alias ? alias : "", alias ? "." : "");
    qb_start(q, head.data, "i", workspace_id);
    buf_free(&head);
    return 0;
}

void qb_and(struct qb *q, const char *clause, const char *types, ...)
{
    buf_printf(&q->sql, " AND %s", clause);
    va_list ap;
    va_start(ap, types);
    qb_vadd(q, types, ap);
    va_end(ap);
}

void qb_append(struct qb *q, const char *sql, const char *types, ...)
{
    buf_puts(&q->sql, sql);
    va_list ap;
    va_start(ap, types);
    qb_vadd(q, types, ap);
    va_end(ap);
}

void qb_time_page(struct qb *q, const char *at, const char *id, int64_t since, int64_t until,
                  const struct page *pg, int64_t cat, int64_t cid)
{
    assert(pg && pg->limit >= 1 && pg->limit <= MODEL_PAGE_MAX);
    char clause[160];
    if (since) {
        snprintf(clause, sizeof clause, "%s >= ?", at);
        qb_and(q, clause, "i", since);
    }
    if (until) {
        snprintf(clause, sizeof clause, "%s < ?", at);
        qb_and(q, clause, "i", until);
    }
    if (pg->cursor) {
        snprintf(clause, sizeof clause, "(%s < ? OR (%s = ? AND %s < ?))", at, at, id);
        qb_and(q, clause, "iii", cat, cat, cid);
    }
    snprintf(clause, sizeof clause, " ORDER BY %s DESC, %s DESC LIMIT ?", at, id);
    qb_append(q, clause, "i", (int64_t)pg->limit + 1);
}

struct db_stmt *qb_prepare(struct qb *q, struct db *db, struct error *err)
{
    assert(db && q->sql.data && q->n <= QB_MAX);
    struct db_stmt *st = db_prepare(db, q->sql.data, err);
    for (int i = 0; st && i < q->n; i++) {
        assert(q->types[i] == 'i' || q->types[i] == 't');
        if (q->types[i] == 'i')
            db_bind_int(st, i + 1, q->ints[i]);
        else
            db_bind_text(st, i + 1, q->texts[i]);
    }
    buf_free(&q->sql);
    for (int i = 0; i < q->nheld; i++)
        free(q->held[i]);
    q->nheld = 0;
    return st;
}

/* page_collect's and page_rows' loop: each row is row(st), or e's
 * entity_row without row. */
static json_t *page_of(struct db_stmt *st, const struct entity *e, json_t *(*row)(struct db_stmt *),
                       int limit, int at_col, struct error *err)
{
    assert((e != NULL) != (row != NULL));
    assert(limit >= 1 && limit <= MODEL_PAGE_MAX);
    assert(at_col == -1 || at_col > 0); /* column 0 is the id */
    json_t *items = json_array();
    int rc, count = 0;
    char next[48] = "";
    bool more = false;
    while ((rc = db_step(st, err)) == 1) {
        if (count == limit) {
            more = true;
            break;
        }
        if (at_col < 0)
            snprintf(next, sizeof next, "%lld", (long long)db_col_int(st, 0));
        else
            snprintf(next, sizeof next, "%lld.%lld", (long long)db_col_int(st, at_col),
                     (long long)db_col_int(st, 0));
        json_array_append_new(items, row ? row(st) : entity_row(e, st));
        count++;
    }
    db_finalize(st);
    if (rc < 0) {
        json_decref(items);
        return NULL;
    }
    return page_result(items, more ? next : NULL);
}

json_t *page_collect(struct db_stmt *st, const struct entity *e, int limit, int at_col,
                     struct error *err)
{
    assert(e);
    return page_of(st, e, NULL, limit, at_col, err);
}

json_t *page_rows(struct db_stmt *st, json_t *(*row)(struct db_stmt *st), int limit, int at_col,
                  struct error *err)
{
    assert(row);
    return page_of(st, NULL, row, limit, at_col, err);
}

int attach_tag_ids(struct db *db, json_t *items, const char *table, const char *key,
                   struct error *err)
{
    assert(db && table && key);
    size_t n = json_array_size(items), i;
    if (n == 0)
        return 0;
    struct imap at = {0}; /* id -> index in items */
    struct buf sql = {0};
    json_t *it;
    buf_printf(&sql, "SELECT %s, tag_id FROM %s WHERE %s IN (", key, table, key);
    json_array_foreach (items, i, it) {
        int64_t id = json_integer_value(json_object_get(it, "id"));
        imap_put(&at, id, (int64_t)i);
        json_object_set_new(it, "tag_ids", json_array());
        /* integers formatted here, not input */
        buf_printf(&sql, "%s%lld", i ? "," : "", (long long)id);
    }
    buf_printf(&sql, ") ORDER BY %s, tag_id", key);
    int rc = -1;
    struct db_stmt *st = db_prepare(db, sql.data, err);
    if (st) {
        while ((rc = db_step(st, err)) == 1) {
            const int64_t *idx = imap_get(&at, db_col_int(st, 0));
            if (idx)
                json_array_append_new(
                    json_object_get(json_array_get(items, (size_t)*idx), "tag_ids"),
                    json_integer(db_col_int(st, 1)));
        }
        db_finalize(st);
    }
    imap_free(&at);
    buf_free(&sql);
    return rc < 0 ? -1 : 0;
}
