/* desk: what a person does with the items listening found: the stream
 * filtered by query, source, sentiment, relevance and period; an item
 * marked relevant or not; an item sent to a team as an inbox task; and the
 * period's mentions counted by query, source, sentiment and day, with each
 * query's share of voice. Reads and writes through db/ and model/. */
#include "db/db.h"
#include "listen/listen.h"
#include "model/model.h"

#include <assert.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAY 86400

static const char *const sentiments[] = {"pos", "neu", "neg", NULL};
static const char *const relevances[] = {"yes", "no", "unmarked", NULL};

static int id_param(json_t *q, const char *name, int64_t *out, struct error *err)
{
    const char *s = json_string_value(json_object_get(q, name));
    *out = 0;
    if (s && *s && (str_to_i64(s, out) || *out < 1))
        return error_field(err, ERR_INVALID, name, "parameter '%s' must be an id", name);
    return 0;
}

static int date_param(json_t *q, const char *name, int64_t *day, bool *given, struct error *err)
{
    const char *s = json_string_value(json_object_get(q, name));
    int64_t t;
    *given = s && *s;
    if (!*given)
        return 0;
    if (strlen(s) != 10 || time_parse_iso(s, &t))
        return error_field(err, ERR_INVALID, name,
                           "parameter '%s' must be a date such as 2026-10-01", name);
    *day = t / DAY;
    return 0;
}

int listen_filter_parse(struct db *db, int64_t ws, json_t *q, bool period_default,
                        struct listen_filter *f, struct error *err)
{
    static const char *const known[] = {"source", "query",   "sentiment", "relevant", "since",
                                        "until",  "compare", "limit",     "cursor",   NULL};
    memset(f, 0, sizeof *f);
    f->relevant = LISTEN_REL_ANY;
    if (query_params_check(q, known, -1, err))
        return -1;
    if (id_param(q, "source", &f->source, err) || id_param(q, "query", &f->tag, err))
        return -1;
    const char *s = json_string_value(json_object_get(q, "sentiment"));
    if (s && *s) {
        if (str_index(sentiments, s) < 0)
            return error_field(err, ERR_INVALID, "sentiment",
                               "parameter 'sentiment' is pos, neu or neg, not '%.20s'", s);
        snprintf(f->sentiment, sizeof f->sentiment, "%s", s);
    }
    const char *r = json_string_value(json_object_get(q, "relevant"));
    if (r && *r) {
        int i = str_index(relevances, r);
        if (i < 0)
            return error_field(err, ERR_INVALID, "relevant",
                               "parameter 'relevant' is yes, no or unmarked, not '%.20s'", r);
        f->relevant = i == 0 ? LISTEN_REL_YES : i == 1 ? LISTEN_REL_NO : LISTEN_REL_UNMARKED;
    }
    const char *cmp = json_string_value(json_object_get(q, "compare"));
    for (const char *c = cmp; c && *c;) {
        const char *end = strchr(c, ',');
        size_t n = end ? (size_t)(end - c) : strlen(c);
        char one[24];
        int64_t id;
        snprintf(one, sizeof one, "%.*s", (int)(n < 23 ? n : 23), c);
        if (n == 0 || n > 20 || str_to_i64(one, &id) || id < 1)
            return error_field(err, ERR_INVALID, "compare",
                               "parameter 'compare' is query ids separated by commas");
        if (f->n_compare == LISTEN_MAX_COMPARE)
            return error_field(err, ERR_LIMIT, "compare", "at most %d queries are compared at once",
                               LISTEN_MAX_COMPARE);
        f->compare[f->n_compare++] = id;
        c = end ? end + 1 : c + n;
    }
    int64_t since_day = 0, until_day = 0;
    bool has_since, has_until;
    if (date_param(q, "since", &since_day, &has_since, err) ||
        date_param(q, "until", &until_day, &has_until, err))
        return -1;
    f->since = INT64_MIN / 2;
    f->until = INT64_MAX / 2;
    if (!has_since && !has_until && !period_default)
        return 0;
    struct tz *z = workspace_tz(db, ws, err);
    if (!z)
        return -1;
    int64_t today = tz_local_day(z, time_now());
    if (!has_until)
        until_day = today;
    if (!has_since)
        since_day = has_until || period_default ? until_day - (LISTEN_DEFAULT_DAYS - 1) : 0;
    if (until_day < since_day) {
        tz_free(z);
        return error_field(err, ERR_INVALID, "until", "'until' must not be before 'since'");
    }
    if (until_day - since_day >= LISTEN_MAX_DAYS) {
        tz_free(z);
        return error_field(err, ERR_LIMIT, "since", "a period covers at most %d days",
                           LISTEN_MAX_DAYS);
    }
    f->since_day = since_day;
    f->until_day = until_day;
    f->since = tz_day_start(z, since_day);
    f->until = tz_day_start(z, until_day + 1);
    f->has_period = true;
    tz_free(z);
    return 0;
}

/* The filter's conditions on listen_items i, bound by bind_filter in this
 * order. Every condition is always there, switched off by its value, so
 * one statement serves every combination. */
#define FILTER_WHERE                                                                               \
    "i.workspace_id = ? AND (? = 0 OR i.source_id = ?) AND (? = '' OR i.sentiment_label = ?) "     \
    "AND (? = 0 OR (? = 1 AND i.relevant = 1) OR (? = 2 AND i.relevant = 0) OR "                   \
    "(? = 3 AND i.relevant IS NULL)) AND COALESCE(i.published, i.fetched_at) >= ? AND "            \
    "COALESCE(i.published, i.fetched_at) < ? AND (? = 0 OR EXISTS (SELECT 1 FROM "                 \
    "listen_item_tags qt WHERE qt.item_id = i.id AND qt.tag_id = ?))"
#define FILTER_PARAMS 13

static int bind_filter(struct db_stmt *st, int at, int64_t ws, const struct listen_filter *f)
{
    int64_t rel = f->relevant;
    db_bind_int(st, at++, ws);
    db_bind_int(st, at++, f->source);
    db_bind_int(st, at++, f->source);
    db_bind_text(st, at++, f->sentiment);
    db_bind_text(st, at++, f->sentiment);
    for (int i = 0; i < 4; i++)
        db_bind_int(st, at++, rel);
    db_bind_int(st, at++, f->since);
    db_bind_int(st, at++, f->until);
    db_bind_int(st, at++, f->tag);
    db_bind_int(st, at++, f->tag);
    return at;
}

/* A statement over the filtered items: sql's "%s" is replaced by the
 * filter's conditions, whose parameters come first; then `extra` ints. */
static struct db_stmt *filtered(struct db *db, int64_t ws, const struct listen_filter *f,
                                const char *sql, const int64_t *extra, int n_extra,
                                struct error *err)
{
    struct buf b = {0};
    const char *at_where = strstr(sql, "%s");
    assert(at_where);
    buf_append(&b, sql, (size_t)(at_where - sql));
    buf_puts(&b, FILTER_WHERE);
    buf_puts(&b, at_where + 2);
    struct db_stmt *st = db_prepare(db, b.data, err);
    buf_free(&b);
    if (!st)
        return NULL;
    int at = bind_filter(st, 1, ws, f);
    for (int i = 0; i < n_extra; i++)
        db_bind_int(st, at++, extra[i]);
    if (db_step(st, err) < 0) {
        db_finalize(st);
        return NULL;
    }
    return st;
}

/* The names of the queries each item of `items` matched, as its "tags". */
static int attach_tags(struct db *db, json_t *items, struct error *err)
{
    for (size_t i = 0; i < json_array_size(items); i++) {
        json_t *it = json_array_get(items, i), *names = json_object_get(it, "tags"),
               *ids = json_object_get(it, "query_ids");
        struct db_stmt *t = db_query(db, err,
                                     "SELECT t.id, t.name FROM listen_item_tags it JOIN tags t ON "
                                     "t.id = it.tag_id WHERE it.item_id = ? ORDER BY t.name",
                                     "i", (int64_t)json_integer_value(json_object_get(it, "id")));
        if (!t)
            return -1;
        while (db_has_row(t)) {
            json_array_append_new(ids, json_integer(db_col_int(t, 0)));
            json_array_append_new(names, json_string(db_col_text(t, 1)));
            if (db_step(t, err) < 0) {
                db_finalize(t);
                return -1;
            }
        }
        db_finalize(t);
    }
    return 0;
}

#define ITEM_COLUMNS                                                                               \
    "i.id, i.source_id, i.title, i.link, i.author, i.published, i.text, i.lang, i.sentiment, "     \
    "i.sentiment_label, i.fetched_at, i.relevant, i.message_id, s.title, s.url"

static json_t *item_json(struct db_stmt *q)
{
    char when[21] = "", fetched[21];
    if (!db_col_null(q, 5))
        time_format_iso(db_col_int(q, 5), when);
    time_format_iso(db_col_int(q, 10), fetched);
    json_t *it = json_pack(
        "{s:I, s:I, s:s, s:o, s:o, s:o, s:s, s:o, s:o, s:o, s:s, s:[], s:[]}", "id",
        (json_int_t)db_col_int(q, 0), "source_id", (json_int_t)db_col_int(q, 1), "title",
        db_col_text(q, 2), "link", json_text_col(q, 3), "author", json_text_col(q, 4), "published",
        when[0] ? json_string(when) : json_null(), "text", db_col_text(q, 6), "lang",
        json_text_col(q, 7), "sentiment",
        db_col_null(q, 8) ? json_null() : json_real(db_col_double(q, 8)), "sentiment_label",
        json_text_col(q, 9), "fetched_at", fetched, "tags", "query_ids");
    json_object_set_new(it, "relevant",
                        db_col_null(q, 11) ? json_null() : json_boolean(db_col_int(q, 11)));
    json_object_set_new(it, "message_id", json_int_col(q, 12));
    const char *title = db_col_text(q, 13);
    json_object_set_new(it, "source",
                        json_pack("{s:s, s:s}", "title", title, "url", db_col_text(q, 14)));
    return it;
}

json_t *listen_items_list(struct db *db, int64_t ws, const struct listen_filter *f, int limit,
                          const char *cursor, struct error *err)
{
    int64_t before = INT64_MAX;
    if (cursor && (str_to_i64(cursor, &before) || before < 1)) {
        error_field(err, ERR_INVALID, "cursor", "parameter 'cursor' is not one this list gave");
        return NULL;
    }
    json_t *items = json_array();
    int64_t last = 0;
    int64_t extra[] = {before, (int64_t)limit + 1};
    struct db_stmt *q = filtered(db, ws, f,
                                 "SELECT " ITEM_COLUMNS " FROM listen_items i JOIN listen_sources "
                                 "s ON s.id = i.source_id WHERE %s AND i.id < ? ORDER BY i.id "
                                 "DESC LIMIT ?",
                                 extra, 2, err);
    if (!q)
        goto fail;
    bool more = false;
    while (db_has_row(q)) {
        if ((int)json_array_size(items) == limit) {
            more = true;
            break;
        }
        last = db_col_int(q, 0);
        json_array_append_new(items, item_json(q));
        if (db_step(q, err) < 0) {
            db_finalize(q);
            goto fail;
        }
    }
    db_finalize(q);
    if (attach_tags(db, items, err))
        goto fail;
    char next[24];
    snprintf(next, sizeof next, "%lld", (long long)last);
    return json_pack("{s:o, s:o}", "items", items, "next_cursor",
                     more ? json_string(next) : json_null());
fail:
    json_decref(items);
    return NULL;
}

json_t *listen_item_get(struct db *db, int64_t ws, int64_t id, struct error *err)
{
    struct db_stmt *q = model_row(db, "listening item", id, err,
                                  "SELECT " ITEM_COLUMNS " FROM listen_items i JOIN listen_sources "
                                  "s ON s.id = i.source_id WHERE i.workspace_id = ? AND i.id = ?",
                                  "ii", ws, id);
    if (!q)
        return NULL;
    json_t *it = item_json(q), *one = json_pack("[o]", it);
    db_finalize(q);
    json_incref(it);
    int rc = attach_tags(db, one, err);
    json_decref(one);
    if (rc) {
        json_decref(it);
        return NULL;
    }
    return it;
}

json_t *listen_item_mark(struct db *db, int64_t ws, int64_t id, json_t *in, const struct actor *who,
                         struct error *err)
{
    json_t *rel = json_object_get(in, "relevant");
    if (json_object_size(in) != 1 || !rel || !(json_is_boolean(rel) || json_is_null(rel))) {
        error_field(err, ERR_INVALID, "relevant",
                    "send {\"relevant\": true}, false, or null to unmark");
        return NULL;
    }
    int64_t v = json_is_true(rel);
    int64_t n = json_is_null(rel)
                    ? db_run(db, err,
                             "UPDATE listen_items SET relevant = NULL, relevant_by = NULL, "
                             "relevant_at = NULL WHERE workspace_id = ? AND id = ?",
                             "ii", ws, id)
                    : db_run(db, err,
                             "UPDATE listen_items SET relevant = ?, relevant_by = ?, "
                             "relevant_at = ? WHERE workspace_id = ? AND id = ?",
                             "iIiii", v, who->user_id ? &who->user_id : NULL, time_now(), ws, id);
    if (n <= 0) {
        model_no_row((int)n, "listening item", id, err);
        return NULL;
    }
    if (audit_record(db, ws, who->user_id, "update", "listen_item", id,
                     json_is_null(rel) ? "relevant: unmarked"
                     : v               ? "relevant: yes"
                                       : "relevant: no",
                     err))
        return NULL;
    return listen_item_get(db, ws, id, err);
}

/* The workspace's channel that listening's tasks arrive on: messages need
 * a channel, and this one says where they came from. Made on first use. */
static int task_channel(struct db *db, int64_t ws, int64_t *channel, struct error *err)
{
    return channel_upsert_platform(db, ws, "other", LISTEN_TASK_CHANNEL_ID, "listening",
                                   "Listening", false, channel, err) < 0
               ? -1
               : 0;
}

json_t *listen_item_task(struct db *db, int64_t ws, int64_t id, json_t *in, const struct actor *who,
                         bool *created, struct error *err)
{
    *created = false;
    json_t *team = json_object_get(in, "team_id"), *prio = json_object_get(in, "priority");
    const char *key;
    json_t *v;
    json_object_foreach (in, key, v) {
        if (!str_eq(key, "team_id") && !str_eq(key, "priority")) {
            error_field(err, ERR_INVALID, key, "unknown field '%s' (team_id, priority)", key);
            return NULL;
        }
    }
    if (!json_is_integer(team)) {
        error_field(err, ERR_INVALID, "team_id", "field 'team_id' must be a team's id");
        return NULL;
    }
    int found = db_scalar(db, err, NULL, "SELECT 1 FROM teams WHERE id = ? AND workspace_id = ?",
                          "ii", (int64_t)json_integer_value(team), ws);
    if (found <= 0) {
        if (found == 0)
            error_field(err, ERR_INVALID, "team_id", "no team %lld in this workspace",
                        (long long)json_integer_value(team));
        return NULL;
    }
    struct db_stmt *q;
    found = db_row(db, err, &q,
                   "SELECT title, text, link, author, published, fetched_at, lang, "
                   "sentiment_label, sentiment, message_id FROM listen_items WHERE "
                   "workspace_id = ? AND id = ?",
                   "ii", ws, id);
    if (found <= 0) {
        model_no_row(found, "listening item", id, err);
        return NULL;
    }
    /* Sent already: the task stands; a second click must not make two. */
    if (!db_col_null(q, 9)) {
        int64_t mid = db_col_int(q, 9);
        db_finalize(q);
        return message_get(db, ws, mid, err);
    }
    struct buf body = {0};
    const char *title = db_col_text(q, 0), *text = db_col_text(q, 1);
    buf_printf(&body, "%s%s%.60000s", title, *title && *text ? "\n\n" : "", text);
    if (!db_col_null(q, 2))
        buf_printf(&body, "\n\n%.2000s", db_col_text(q, 2));
    char platform_id[40], lang[8] = "", label[8] = "";
    snprintf(platform_id, sizeof platform_id, "listen:%lld", (long long)id);
    snprintf(lang, sizeof lang, "%.2s", db_col_text(q, 6));
    snprintf(label, sizeof label, "%s", db_col_text(q, 7));
    char *author = xstrdup(db_col_text(q, 3));
    struct message_in m = {
        .kind = "mention",
        .platform_id = platform_id,
        .author_name = author,
        .body = body.data ? body.data : "",
        .lang = lang[0] ? lang : NULL,
        .sentiment = str_index(sentiments, label) >= 0 ? label : NULL,
        .sentiment_score = db_col_null(q, 8) ? 0 : db_col_double(q, 8),
        .created_at = db_col_null(q, 4) ? db_col_int(q, 5) : db_col_int(q, 4),
    };
    db_finalize(q);
    json_t *out = NULL, *patch = NULL;
    int64_t mid = 0;
    /* Each step can be done again: the message is keyed on the item, so a
     * failure half-way is finished by sending the item again. */
    if (task_channel(db, ws, &m.channel_id, err) || message_upsert(db, ws, &m, &mid, err) < 0 ||
        db_run(db, err, "UPDATE messages SET listen_item_id = ? WHERE id = ?", "ii", id, mid) < 0)
        goto done;
    patch = json_pack("{s:O}", "team_id", team);
    if (prio)
        json_object_set(patch, "priority", prio);
    json_t *updated = message_update(db, ws, mid, patch, who, err);
    if (!updated)
        goto done;
    json_decref(updated);
    if (db_run(db, err, "UPDATE listen_items SET message_id = ? WHERE id = ?", "ii", mid, id) < 0 ||
        audit_record(db, ws, who->user_id, "create", "listen_task", id, platform_id, err))
        goto done;
    *created = true;
    out = message_get(db, ws, mid, err);
done:
    json_decref(patch);
    buf_free(&body);
    free(author);
    return out;
}

/* ---- analytics -------------------------------------------------------------- */

struct counter {
    int64_t id;
    char *name, *url;
    int64_t total;
    int64_t *per_day; /* NULL unless counted by day */
};

static void counters_free(struct counter *c, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(c[i].name);
        free(c[i].url);
        free(c[i].per_day);
    }
    free(c);
}

static struct counter *find_counter(struct counter *c, size_t n, int64_t id)
{
    for (size_t i = 0; i < n; i++) /* a workspace's queries and sources: tens, not thousands */
        if (c[i].id == id)
            return &c[i];
    return NULL;
}

static struct counter *load_counters(struct db *db, const char *sql, int64_t ws, size_t ndays,
                                     size_t *n, struct error *err)
{
    struct counter *c = NULL;
    size_t cap = 0;
    *n = 0;
    struct db_stmt *q = db_query(db, err, sql, "i", ws);
    if (!q)
        return NULL;
    while (db_has_row(q)) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            c = xrealloc(c, cap * sizeof *c);
        }
        c[*n] = (struct counter){.id = db_col_int(q, 0),
                                 .name = xstrdup(db_col_text(q, 1)),
                                 .url = xstrdup(db_col_text(q, 2)),
                                 .per_day = ndays ? xcalloc(ndays, sizeof(int64_t)) : NULL};
        (*n)++;
        if (db_step(q, err) < 0) {
            db_finalize(q);
            counters_free(c, *n);
            return NULL;
        }
    }
    db_finalize(q);
    if (!c)
        c = xcalloc(1, sizeof *c); /* none is an answer, not a failure */
    return c;
}

static json_t *day_array(const int64_t *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_integer(v[i]));
    return a;
}

json_t *listen_analytics(struct db *db, int64_t ws, const struct listen_filter *f,
                         struct error *err)
{
    assert(f->has_period && f->until_day >= f->since_day);
    size_t ndays = (size_t)(f->until_day - f->since_day + 1), nq = 0, ns = 0;
    json_t *out = NULL;
    struct tz *z = workspace_tz(db, ws, err);
    if (!z)
        return NULL;
    int64_t *per_day = xcalloc(ndays, sizeof *per_day), total = 0, sent[4] = {0};
    struct counter *qs = load_counters(db,
                                       "SELECT id, name, rule FROM tags WHERE workspace_id = ? AND "
                                       "rule <> '' ORDER BY name, id",
                                       ws, ndays, &nq, err);
    struct counter *ss = qs ? load_counters(db,
                                            "SELECT id, title, url FROM listen_sources WHERE "
                                            "workspace_id = ? ORDER BY id",
                                            ws, 0, &ns, err)
                            : NULL;
    if (!ss)
        goto done;
    if (f->n_compare) {
        /* Only the queries compared, in the workspace's order. */
        size_t kept = 0;
        for (int c = 0; c < f->n_compare; c++)
            if (!find_counter(qs, nq, f->compare[c])) {
                error_field(err, ERR_INVALID, "compare", "no query %lld in this workspace",
                            (long long)f->compare[c]);
                goto done;
            }
        for (size_t i = 0; i < nq; i++) {
            bool keep = false;
            for (int c = 0; c < f->n_compare; c++)
                keep = keep || qs[i].id == f->compare[c];
            if (keep) {
                qs[kept++] = qs[i];
            } else {
                free(qs[i].name);
                free(qs[i].url);
                free(qs[i].per_day);
            }
        }
        nq = kept;
    }
    /* Items: each counted once, by its day, source and sentiment. */
    struct db_stmt *q = filtered(db, ws, f,
                                 "SELECT COALESCE(i.published, i.fetched_at), i.source_id, "
                                 "i.sentiment_label FROM listen_items i WHERE %s",
                                 NULL, 0, err);
    if (!q)
        goto done;
    while (db_has_row(q)) {
        int64_t day = tz_local_day(z, db_col_int(q, 0)) - f->since_day;
        if (day >= 0 && day < (int64_t)ndays) { /* the bounds are local midnights */
            per_day[day]++;
            total++;
            struct counter *s = find_counter(ss, ns, db_col_int(q, 1));
            if (s)
                s->total++;
            int l = db_col_null(q, 2) ? -1 : str_index(sentiments, db_col_text(q, 2));
            sent[l < 0 ? 3 : l]++;
        }
        if (db_step(q, err) < 0) {
            db_finalize(q);
            goto done;
        }
    }
    db_finalize(q);
    /* Mentions: an item counts once for each query it matched. */
    q = filtered(db, ws, f,
                 "SELECT COALESCE(i.published, i.fetched_at), it.tag_id FROM listen_items i JOIN "
                 "listen_item_tags it ON it.item_id = i.id WHERE %s",
                 NULL, 0, err);
    if (!q)
        goto done;
    int64_t mentions = 0;
    while (db_has_row(q)) {
        int64_t day = tz_local_day(z, db_col_int(q, 0)) - f->since_day;
        struct counter *c = find_counter(qs, nq, db_col_int(q, 1));
        if (c && day >= 0 && day < (int64_t)ndays) {
            c->per_day[day]++;
            c->total++;
            mentions++;
        }
        if (db_step(q, err) < 0) {
            db_finalize(q);
            goto done;
        }
    }
    db_finalize(q);
    json_t *days = json_array(), *queries = json_array(), *sources = json_array();
    for (size_t d = 0; d < ndays; d++) {
        int y;
        unsigned m, dd;
        char s[16];
        time_civil_from_days(f->since_day + (int64_t)d, &y, &m, &dd);
        snprintf(s, sizeof s, "%04d-%02u-%02u", y, m, dd);
        json_array_append_new(days, json_string(s));
    }
    for (size_t i = 0; i < nq; i++)
        json_array_append_new(
            queries,
            json_pack("{s:I, s:s, s:s, s:I, s:o, s:o}", "id", (json_int_t)qs[i].id, "name",
                      qs[i].name, "rule", qs[i].url, "mentions", (json_int_t)qs[i].total,
                      "share_of_voice",
                      mentions ? json_real((double)qs[i].total / (double)mentions) : json_null(),
                      "per_day", day_array(qs[i].per_day, ndays)));
    for (size_t i = 0; i < ns; i++)
        json_array_append_new(sources, json_pack("{s:I, s:s, s:s, s:I}", "id", (json_int_t)ss[i].id,
                                                 "title", ss[i].name, "url", ss[i].url, "items",
                                                 (json_int_t)ss[i].total));
    char since[16], until[16];
    snprintf(since, sizeof since, "%s", json_string_value(json_array_get(days, 0)));
    snprintf(until, sizeof until, "%s", json_string_value(json_array_get(days, ndays - 1)));
    out = json_pack("{s:s, s:s, s:s, s:I, s:I, s:o, s:o, s:o, s:o, s:{s:I, s:I, s:I, s:I}}",
                    "timezone", tz_name(z), "since", since, "until", until, "items",
                    (json_int_t)total, "mentions", (json_int_t)mentions, "days", days, "per_day",
                    day_array(per_day, ndays), "queries", queries, "sources", sources, "sentiment",
                    "pos", (json_int_t)sent[0], "neu", (json_int_t)sent[1], "neg",
                    (json_int_t)sent[2], "none", (json_int_t)sent[3]);
done:
    if (qs)
        counters_free(qs, nq);
    if (ss)
        counters_free(ss, ns);
    free(per_day);
    tz_free(z);
    return out;
}
