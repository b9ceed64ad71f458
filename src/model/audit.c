/* audit: the log of who changed what and when (every model write that an
 * admin would ask about later records one row), and its reading, newest
 * first, filtered and paged like the other lists. */
#include "model/internal.h"

#include <assert.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int audit_record(struct db *db, int64_t workspace_id, int64_t user_id, const char *action,
                 const char *entity, int64_t entity_id, const char *detail, struct error *err)
{
    assert(db && action && entity);
    int64_t *ws = workspace_id ? &workspace_id : NULL, *uid = user_id ? &user_id : NULL;
    return db_do(db, err,
                 "INSERT INTO audit_log (workspace_id, user_id, at, action, entity, entity_id, "
                 "detail) VALUES (?, ?, ?, ?, ?, ?, ?)",
                 "IIittit", ws, uid, time_now(), action, entity, entity_id, detail ? detail : "");
}

int audit_record_json(struct db *db, int64_t workspace_id, int64_t user_id, const char *action,
                      const char *entity, int64_t entity_id, json_t *detail, struct error *err)
{
    char *d = json_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(detail);
    int rc = audit_record(db, workspace_id, user_id, action, entity, entity_id, d, err);
    free(d);
    return rc;
}

/* action and entity are words: short, since the log's own are. */
static const struct query_filter audit_filters[] = {
    {"workspace", QF_ID, offsetof(struct audit_filter, workspace_id), "a.workspace_id = ?", NULL},
    {"user", QF_ID, offsetof(struct audit_filter, user_id), "a.user_id = ?", NULL},
    {"action", QF_WORD, offsetof(struct audit_filter, action), "a.action = ?", NULL},
    {"entity", QF_WORD, offsetof(struct audit_filter, entity), "a.entity = ?", NULL},
    {"since", QF_TIME, offsetof(struct audit_filter, since), NULL, NULL},
    {"until", QF_TIME, offsetof(struct audit_filter, until), NULL, NULL},
    {0},
};

int audit_filter_parse(struct audit_filter *f, json_t *q, struct error *err)
{
    return query_filters_parse(f, sizeof *f, audit_filters, NULL, q, err);
}

static json_t *audit_row(struct db_stmt *st)
{
    /* user_id NULL: kanal itself (the command line, an import). */
    return json_pack("{s:I, s:o, s:o, s:o, s:o, s:s, s:s, s:o, s:s}", "id",
                     (json_int_t)db_col_int(st, 0), "at", json_time(db_col_int(st, 1)),
                     "workspace_id", json_int_col(st, 2), "user_id", json_int_col(st, 3),
                     "user_email", json_text_col(st, 4), "action", db_col_text(st, 5), "entity",
                     db_col_text(st, 6), "entity_id", json_int_col(st, 7), "detail",
                     db_col_text(st, 8));
}

json_t *audit_list(struct db *db, const struct audit_filter *f, const struct page *pg,
                   struct error *err)
{
    int64_t cat = 0, cid = 0;
    if (pg->cursor && cursor_parse_at_id(pg->cursor, &cat, &cid, err))
        return NULL;
    struct qb q;
    qb_start(&q,
             "SELECT a.id, a.at, a.workspace_id, a.user_id, u.email, a.action, a.entity, "
             "a.entity_id, a.detail FROM audit_log a LEFT JOIN users u ON u.id = a.user_id "
             "WHERE 1 = 1",
             "");
    qb_filters(&q, f, audit_filters);
    qb_time_page(&q, "a.at", "a.id", f->since, f->until, pg, cat, cid);
    struct db_stmt *st = qb_prepare(&q, db, err);
    if (!st)
        return NULL;
    return page_rows(st, audit_row, pg->limit, 1, err); /* ordered by a.at, column 1 */
}
