/* link: short links and clicks in the store. Targets arrive already checked
 * and tagged by links/; this file keeps them, finds them for the redirect
 * and counts their clicks. Every query is scoped to one workspace. */
#include "model/internal.h"

#include <assert.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#define STATS_ROWS_MAX 1000

static const char link_columns[] =
    "l.id, l.workspace_id, l.code, l.url, l.target_url, l.campaign_id, l.channel_id, "
    "l.post_id, l.advocate, l.utm_source, l.utm_medium, l.utm_campaign, l.utm_term, "
    "l.utm_content, l.created_by, l.created_at, "
    "(SELECT COUNT(*) FROM clicks c WHERE c.link_id = l.id AND c.is_bot = 0), l.retired_at";

static json_t *link_row(struct db_stmt *st)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(db_col_int(st, 0)));
    json_object_set_new(o, "workspace_id", json_integer(db_col_int(st, 1)));
    json_object_set_new(o, "code", json_string(db_col_text(st, 2)));
    json_object_set_new(o, "url", json_string(db_col_text(st, 3)));
    json_object_set_new(o, "target_url", json_string(db_col_text(st, 4)));
    json_object_set_new(o, "campaign_id", json_int_col(st, 5));
    json_object_set_new(o, "channel_id", json_int_col(st, 6));
    json_object_set_new(o, "post_id", json_int_col(st, 7));
    json_object_set_new(o, "advocate", json_string(db_col_text(st, 8)));
    static const char *const utm[] = {"utm_source", "utm_medium", "utm_campaign", "utm_term",
                                      "utm_content"};
    for (int i = 0; i < 5; i++)
        json_object_set_new(o, utm[i], json_string(db_col_text(st, 9 + i)));
    json_object_set_new(o, "created_by", json_int_col(st, 14));
    json_object_set_new(o, "created_at", json_time(db_col_int(st, 15)));
    json_object_set_new(o, "clicks", json_integer(db_col_int(st, 16)));
    json_object_set_new(o, "retired_at", json_time_col(st, 17));
    char path[80];
    snprintf(path, sizeof path, "/l/%s", db_col_text(st, 2));
    json_object_set_new(o, "short_path", json_string(path));
    return o;
}

int link_insert(struct db *db, int64_t workspace_id, const struct link_in *l,
                const struct actor *who, int64_t *id, struct error *err)
{
    assert(db && l && l->code && l->url && l->target_url);
    for (size_t i = 0; i < ARRAY_LEN(l->utm); i++)
        assert(l->utm[i]); /* "" for a part not set */
    int64_t uid = who ? who->user_id : 0;
    int64_t newid = 0;
    if (db_begin(db, err))
        return -1;
    /* /l/ABC beside /l/abc would read as one link and go to two places. */
    int rc =
        db_scalar(db, err, NULL, "SELECT 1 FROM links WHERE lower(code) = lower(?)", "t", l->code);
    if (rc > 0)
        error_field(err, ERR_CONFLICT, "code",
                    "the short code '%s' is taken (codes that differ only in case count as one)",
                    l->code);
    if (rc != 0)
        goto fail;
    rc = db_scalar(
        db, err, &newid,
        "INSERT INTO links (workspace_id, code, url, target_url, campaign_id, channel_id, "
        "post_id, advocate, utm_source, utm_medium, utm_campaign, utm_term, utm_content, "
        "created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "RETURNING id",
        "ittt"
        "III"
        "tttttt"
        "Ii",
        workspace_id, l->code, l->url, l->target_url, l->campaign_id ? &l->campaign_id : NULL,
        l->channel_id ? &l->channel_id : NULL, l->post_id ? &l->post_id : NULL,
        l->advocate ? l->advocate : "", l->utm[0], l->utm[1], l->utm[2], l->utm[3], l->utm[4],
        uid ? &uid : NULL, time_now());
    if (rc < 0) {
        if (err && err->kind == ERR_CONFLICT)
            error_field(err, ERR_CONFLICT, "code", "the short code '%s' is taken", l->code);
        goto fail;
    }
    if (audit_record(db, workspace_id, uid, "create", "link", newid, l->target_url, err))
        goto fail;
    if (db_commit(db, err))
        goto fail;
    if (id)
        *id = newid;
    return 0;
fail:
    db_rollback(db);
    return -1;
}

/* Ends the transaction of a change to link `id` that an UPDATE made
 * (`changed`: the rows it changed, or -1): audited as `action` and
 * committed, or rolled back (ERR_NOT_FOUND when it changed none). */
static int link_changed(struct db *db, int64_t workspace_id, int64_t id, int64_t changed,
                        const char *action, const char *detail, const struct actor *who,
                        struct error *err)
{
    if (changed <= 0)
        model_no_row((int)changed, "link", id, err);
    return db_end(db,
                  changed <= 0 || audit_record(db, workspace_id, who ? who->user_id : 0, action,
                                               "link", id, detail, err),
                  err);
}

int link_update(struct db *db, int64_t workspace_id, int64_t id, const struct link_in *l,
                const struct actor *who, struct error *err)
{
    assert(db && l && l->url && l->target_url && l->advocate);
    if (db_begin(db, err))
        return -1;
    int64_t rc =
        db_run(db, err,
               "UPDATE links SET url = ?, target_url = ?, campaign_id = ?, channel_id = ?, "
               "post_id = ?, advocate = ?, utm_source = ?, utm_medium = ?, utm_campaign = ?, "
               "utm_term = ?, utm_content = ? WHERE id = ? AND workspace_id = ?",
               "tt"
               "III"
               "tttttt"
               "ii",
               l->url, l->target_url, l->campaign_id ? &l->campaign_id : NULL,
               l->channel_id ? &l->channel_id : NULL, l->post_id ? &l->post_id : NULL, l->advocate,
               l->utm[0], l->utm[1], l->utm[2], l->utm[3], l->utm[4], id, workspace_id);
    return link_changed(db, workspace_id, id, rc, "update", l->target_url, who, err);
}

int link_retire(struct db *db, int64_t workspace_id, int64_t id, bool retired,
                const struct actor *who, struct error *err)
{
    int64_t now = time_now();
    if (db_begin(db, err))
        return -1;
    /* Retiring twice keeps the first time: when it stopped leading anywhere. */
    int64_t rc =
        retired ? db_run(db, err,
                         "UPDATE links SET retired_at = COALESCE(retired_at, ?) "
                         "WHERE id = ? AND workspace_id = ?",
                         "iii", now, id, workspace_id)
                : db_run(db, err,
                         "UPDATE links SET retired_at = NULL WHERE id = ? AND workspace_id = ?",
                         "ii", id, workspace_id);
    return link_changed(db, workspace_id, id, rc, retired ? "retire" : "restore", "", who, err);
}

json_t *link_get(struct db *db, int64_t workspace_id, int64_t id, struct error *err)
{
    char sql[1024];
    snprintf(sql, sizeof sql, "SELECT %s FROM links l WHERE l.id = ? AND l.workspace_id = ?",
             link_columns);
    struct db_stmt *st = model_row(db, "link", id, err, sql, "ii", id, workspace_id);
    if (!st)
        return NULL;
    json_t *out = link_row(st);
    db_finalize(st);
    return out;
}

/* since and until bound the clicks counted (link_stats), not the links. */
static const struct query_filter link_filters[] = {
    {"campaign", QF_ID, offsetof(struct link_filter, campaign_id), "l.campaign_id = ?", NULL},
    {"channel", QF_ID, offsetof(struct link_filter, channel_id), "l.channel_id = ?", NULL},
    {"post", QF_ID, offsetof(struct link_filter, post_id), "l.post_id = ?", NULL},
    {"since", QF_TIME, offsetof(struct link_filter, since), NULL, NULL},
    {"until", QF_TIME, offsetof(struct link_filter, until), NULL, NULL},
    {"advocate", QF_TEXT, offsetof(struct link_filter, advocate), "l.advocate = ?", NULL},
    {"retired", QF_BOOL, offsetof(struct link_filter, retired),
     "CASE WHEN l.retired_at IS NULL THEN 0 ELSE 1 END = ?", NULL},
    {0},
};

int link_filter_parse(struct link_filter *f, json_t *query, struct error *err)
{
    static const char *const by[] = {"by", NULL}; /* link_stats' grouping */
    return query_filters_parse(f, sizeof *f, link_filters, by, query, err);
}

json_t *link_list(struct db *db, int64_t workspace_id, const struct link_filter *f,
                  const struct page *pg, struct error *err)
{
    int64_t before = INT64_MAX;
    if (pg->cursor && (str_to_i64(pg->cursor, &before) || before < 1)) {
        error_field(err, ERR_INVALID, "cursor", "parameter 'cursor' is not one kanal gave out");
        return NULL;
    }
    struct qb q;
    char head[1024];
    snprintf(head, sizeof head, "SELECT %s FROM links l WHERE l.workspace_id = ? AND l.id < ?",
             link_columns);
    qb_start(&q, head, "ii", workspace_id, before);
    qb_filters(&q, f, link_filters);
    qb_append(&q, " ORDER BY l.id DESC LIMIT ?", "i", (int64_t)pg->limit + 1); /* newest first */
    struct db_stmt *st = qb_prepare(&q, db, err);
    if (!st)
        return NULL;
    return page_rows(st, link_row, pg->limit, -1, err); /* the cursor is the last id */
}

int link_target(struct db *db, const char *code, int64_t *id, struct buf *target, struct error *err)
{
    struct db_stmt *st;
    int found = db_row(db, err, &st,
                       "SELECT id, target_url, CASE WHEN retired_at IS NULL THEN 0 ELSE 1 END "
                       "FROM links WHERE code = ?",
                       "t", code);
    if (found <= 0)
        return found;
    *id = db_col_int(st, 0);
    buf_reset(target);
    if (db_col_int(st, 2))
        found = 2; /* retired: known, but leads nowhere */
    else
        buf_puts(target, db_col_text(st, 1));
    db_finalize(st);
    return found;
}

/* The impressions a post has had: the latest reading of each variant, summed. */
static int post_impressions(struct db *db, int64_t post_id, int64_t *out, struct error *err)
{
    return db_scalar(db, err, out,
                     "SELECT COALESCE(SUM(m.impressions), 0) FROM post_metrics m "
                     "JOIN post_variants v ON v.id = m.variant_id WHERE v.post_id = ? "
                     "AND m.impressions IS NOT NULL AND m.taken_at = (SELECT MAX(m2.taken_at) "
                     "FROM post_metrics m2 WHERE m2.variant_id = m.variant_id "
                     "AND m2.impressions IS NOT NULL)",
                     "i", post_id);
}

static const struct {
    const char *by;
    const char *key;   /* the grouping expression */
    const char *label; /* what people call it */
    const char *join;
    const char *where;
} groupings[] = {
    {"link", "l.id", "l.code", "", ""},
    {"campaign", "l.campaign_id", "cp.name", " LEFT JOIN campaigns cp ON cp.id = l.campaign_id",
     ""},
    {"channel", "l.channel_id", "ch.name", " LEFT JOIN channels ch ON ch.id = l.channel_id", ""},
    {"post", "l.post_id", "p.title", " JOIN posts p ON p.id = l.post_id", ""},
    {"advocate", "l.advocate", "l.advocate", "", " AND l.advocate <> ''"},
    {"day", "c.at / 86400", "c.at / 86400", "", " AND c.id IS NOT NULL"},
};

json_t *link_stats(struct db *db, int64_t workspace_id, const char *by, const struct link_filter *f,
                   struct error *err)
{
    size_t g = 0;
    while (g < ARRAY_LEN(groupings) && !str_eq(groupings[g].by, by ? by : "link"))
        g++;
    if (g == ARRAY_LEN(groupings)) {
        error_field(err, ERR_INVALID, "by",
                    "parameter 'by' must be link, campaign, channel, post, advocate or day");
        return NULL;
    }
    bool day = str_eq(groupings[g].by, "day");
    /* The time window sits in the join, so links without clicks still show
     * with zero, except for days, which only exist where clicks do. */
    struct buf sql = {0};
    buf_printf(&sql,
               "SELECT %s, MIN(%s), "
               "SUM(CASE WHEN c.id IS NOT NULL AND c.is_bot = 0 THEN 1 ELSE 0 END), "
               "COUNT(DISTINCT CASE WHEN c.is_bot = 0 THEN c.visitor_hash END), "
               "SUM(CASE WHEN c.is_bot = 1 THEN 1 ELSE 0 END) "
               "FROM links l%s LEFT JOIN clicks c ON c.link_id = l.id AND c.at >= ? AND c.at < ? "
               "WHERE l.workspace_id = ?%s",
               groupings[g].key, groupings[g].label, groupings[g].join, groupings[g].where);
    struct qb q;
    qb_start(&q, sql.data, "iii", f->since, f->until ? f->until : INT64_MAX, workspace_id);
    qb_filters(&q, f, link_filters);
    buf_reset(&sql);
    buf_printf(&sql, " GROUP BY %s ORDER BY %s LIMIT %d", groupings[g].key, day ? "1" : "3 DESC, 1",
               STATS_ROWS_MAX);
    qb_append(&q, sql.data, "");
    buf_free(&sql);
    struct db_stmt *st = qb_prepare(&q, db, err);
    if (!st)
        return NULL;
    json_t *items = json_array();
    int rc, rank = 0;
    while ((rc = db_step(st, err)) == 1) {
        json_t *row = json_object();
        if (day) {
            int y;
            unsigned m, d;
            time_civil_from_days(db_col_int(st, 0), &y, &m, &d);
            char date[16];
            snprintf(date, sizeof date, "%04d-%02u-%02u", y, m, d);
            json_object_set_new(row, "day", json_string(date));
        } else if (str_eq(groupings[g].by, "advocate")) {
            json_object_set_new(row, "rank", json_integer(++rank));
            json_object_set_new(row, "advocate", json_string(db_col_text(st, 0)));
        } else {
            char key[16];
            snprintf(key, sizeof key, "%s_id", groupings[g].by);
            json_object_set_new(row, key, json_int_col(st, 0));
            json_object_set_new(row, str_eq(groupings[g].by, "link") ? "code" : "name",
                                json_text_col(st, 1));
        }
        json_object_set_new(row, "clicks", json_integer(db_col_int(st, 2)));
        json_object_set_new(row, "unique_visitors", json_integer(db_col_int(st, 3)));
        json_object_set_new(row, "bot_clicks", json_integer(db_col_int(st, 4)));
        json_array_append_new(items, row);
    }
    db_finalize(st);
    if (rc < 0)
        goto fail;
    if (str_eq(groupings[g].by, "post")) {
        size_t k;
        json_t *row;
        json_array_foreach (items, k, row) {
            int64_t imp = 0;
            if (post_impressions(db, json_integer_value(json_object_get(row, "post_id")), &imp,
                                 err) < 0)
                goto fail;
            int64_t clicks = json_integer_value(json_object_get(row, "clicks"));
            json_object_set_new(row, "impressions", json_integer(imp));
            json_object_set_new(row, "ctr",
                                imp > 0 ? json_real((double)clicks / (double)imp) : json_null());
        }
    }
    return json_pack("{s:s, s:o}", "by", groupings[g].by, "items", items);
fail:
    json_decref(items);
    return NULL;
}
