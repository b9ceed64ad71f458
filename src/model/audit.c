/* audit: the log of who changed what and when (every model write that an
 * admin would ask about later records one row), and its reading, newest
 * first, filtered and paged like the other lists. */
#include "model/internal.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

int audit_record(struct db *db, int64_t workspace_id, int64_t user_id, const char *action,
                 const char *entity, int64_t entity_id, const char *detail, struct error *err)
{
    assert(db && action && entity);
    int64_t *ws = workspace_id ? &workspace_id : NULL, *uid = user_id ? &user_id : NULL;
    return db_run(db, err,
                  "INSERT INTO audit_log (workspace_id, user_id, at, action, entity, entity_id, "
                  "detail) VALUES (?, ?, ?, ?, ?, ?, ?)",
                  "IIittit", ws, uid, time_now(), action, entity, entity_id,
                  detail ? detail : "") < 0
               ? -1
               : 0;
}

/* A word filter (action, entity): short, since the log's own are. */
static int query_word(json_t *q, const char *name, const char **out, struct error *err)
{
    json_t *v = json_object_get(q, name);
    if (!v)
        return 0;
    size_t n = json_string_length(v);
    if (n == 0 || n > 40)
        return error_field(err, ERR_INVALID, name, "parameter '%s' must be 1 to 40 characters",
                           name);
    *out = json_string_value(v);
    return 0;
}

int audit_filter_parse(struct audit_filter *f, json_t *q, struct error *err)
{
    static const char *const known[] = {"workspace", "user",  "action", "entity", "since",
                                        "until",     "limit", "cursor", NULL};
    memset(f, 0, sizeof *f);
    if (query_known(q, known, err) || query_int(q, "workspace", &f->workspace_id, err) ||
        query_int(q, "user", &f->user_id, err) || query_word(q, "action", &f->action, err) ||
        query_word(q, "entity", &f->entity, err) || query_time(q, "since", &f->since, err) ||
        query_time(q, "until", &f->until, err))
        return -1;
    return 0;
}

static json_t *nullable_int(struct db_stmt *st, int i)
{
    return db_col_null(st, i) ? json_null() : json_integer(db_col_int(st, i));
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
    if (f->workspace_id)
        qb_and(&q, "a.workspace_id = ?", "i", f->workspace_id);
    if (f->user_id)
        qb_and(&q, "a.user_id = ?", "i", f->user_id);
    if (f->action)
        qb_and(&q, "a.action = ?", "t", f->action);
    if (f->entity)
        qb_and(&q, "a.entity = ?", "t", f->entity);
    qb_time_page(&q, "a.at", "a.id", f->since, f->until, pg, cat, cid);
    struct db_stmt *st = qb_prepare(&q, db, err);
    if (!st)
        return NULL;
    json_t *items = json_array();
    int rc, count = 0;
    char next[48] = "";
    while ((rc = db_step(st, err)) == 1 && count < pg->limit) {
        /* user_id NULL: kanal itself (the command line, an import). */
        json_t *o = json_pack("{s:I, s:o, s:o, s:o, s:o, s:s, s:s, s:o, s:s}", "id",
                              (json_int_t)db_col_int(st, 0), "at", json_time(db_col_int(st, 1)),
                              "workspace_id", nullable_int(st, 2), "user_id", nullable_int(st, 3),
                              "user_email",
                              db_col_null(st, 4) ? json_null() : json_string(db_col_text(st, 4)),
                              "action", db_col_text(st, 5), "entity", db_col_text(st, 6),
                              "entity_id", nullable_int(st, 7), "detail", db_col_text(st, 8));
        json_array_append_new(items, o);
        snprintf(next, sizeof next, "%lld.%lld", (long long)db_col_int(st, 1),
                 (long long)db_col_int(st, 0));
        count++;
    }
    db_finalize(st);
    if (rc < 0) {
        json_decref(items);
        return NULL;
    }
    /* rc == 1 here means a row beyond the page was there: another page. */
    return page_result(items, rc == 1 ? next : NULL);
}
