/* bulk: a spam wave hidden at once, and undone. The messages a filter of
 * the inbox finds (or the ids a moderator ticked) are each hidden through
 * the moderation path of answer.c, as an action (and a job) of its own, so
 * that one platform's refusal or a slow channel holds up nothing else; the
 * operation keeps which action hid which message, so that undo shows again
 * exactly what it hid. */
#include "connect/connect.h"
#include "publish/publish.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Why a message's channel cannot be asked to hide it; NULL when it can. */
static const char *cannot_hide(struct db *db, int64_t ws, int64_t message_id, char *why, size_t n,
                               struct error *err)
{
    struct db_stmt *st;
    int found = db_row(db, err, &st,
                       "SELECT c.platform FROM messages m JOIN channels c ON c.id = "
                       "m.channel_id WHERE m.id = ? AND m.workspace_id = ?",
                       "ii", message_id, ws);
    if (found < 0)
        return NULL;
    if (!found) {
        snprintf(why, n, "no message %lld in this workspace", (long long)message_id);
        return why;
    }
    const struct connector *c = connector_find(db_col_text(st, 0));
    if (!c)
        snprintf(why, n, "its channel (%s) has no connector: hide it on the platform",
                 db_col_text(st, 0));
    else if (!(c->actions & (1u << ACT_HIDE)))
        snprintf(why, n, "%s cannot hide messages: hide it on the platform", c->title);
    db_finalize(st);
    return c && (c->actions & (1u << ACT_HIDE)) ? NULL : why;
}

/* Reads the selection: the filter's parameters or the ids ticked. */
static int read_selection(struct db *db, int64_t ws, json_t *in, int64_t me, int limit,
                          int64_t *ids, int *n, bool *more, struct error *err)
{
    json_t *filter = json_object_get(in, "filter"), *list = json_object_get(in, "message_ids");
    if (!filter == !list)
        return error_field(err, ERR_INVALID, "filter",
                           "give either filter (the inbox's parameters) or message_ids");
    *n = 0;
    *more = false;
    if (list) {
        if (!json_is_array(list) || json_array_size(list) == 0)
            return error_field(err, ERR_INVALID, "message_ids",
                               "message_ids: a list of 1 to %d message ids", limit);
        if (json_array_size(list) > (size_t)limit)
            return error_field(err, ERR_INVALID, "message_ids",
                               "message_ids: at most %d in one operation, not %zu", limit,
                               json_array_size(list));
        size_t i;
        json_t *v;
        json_array_foreach (list, i, v) {
            if (!json_is_integer(v) || json_integer_value(v) < 1)
                return error_field(err, ERR_INVALID, "message_ids",
                                   "message_ids[%zu]: not a message id", i);
            int64_t id = json_integer_value(v);
            bool seen = false;
            for (int k = 0; k < *n && !seen; k++)
                seen = ids[k] == id;
            if (!seen)
                ids[(*n)++] = id;
        }
        return 0;
    }
    if (!json_is_object(filter))
        return error_field(err, ERR_INVALID, "filter",
                           "filter: an object of the inbox's parameters, as strings");
    struct message_filter f;
    if (message_filter_parse(&f, filter, me, err)) {
        char field[64];
        snprintf(field, sizeof field, "filter.%.50s", err->field);
        snprintf(err->field, sizeof err->field, "%s", field);
        return -1;
    }
    /* Only what is still there to hide: not the organisation's own, not
     * hidden or removed, nor being hidden (a hide queued and not done). */
    return message_select(db, ws, &f,
                          "is_own = 0 AND status NOT IN ('hidden', 'removed') AND NOT EXISTS "
                          "(SELECT 1 FROM connect_actions a WHERE a.channel_id = "
                          "messages.channel_id AND a.target = messages.platform_id AND a.kind = "
                          "'hide' AND a.state IN ('queued', 'sent', 'unknown'))",
                          limit, ids, n, more, err);
}

json_t *publish_bulk_moderate(struct db *db, int64_t ws, json_t *in, const struct actor *who,
                              int64_t now, struct error *err)
{
    assert(db && who);
    if (!json_is_object(in)) {
        error_set(err, ERR_INVALID, "send a JSON object");
        return NULL;
    }
    const char *k;
    json_t *v;
    json_object_foreach (in, k, v) {
        if (!str_eq(k, "action") && !str_eq(k, "reason") && !str_eq(k, "filter") &&
            !str_eq(k, "message_ids") && !str_eq(k, "limit") && !str_eq(k, "dry_run")) {
            error_field(err, ERR_INVALID, k,
                        "%.40s: not a field here (action, reason, filter, message_ids, limit, "
                        "dry_run)",
                        k);
            return NULL;
        }
    }
    json_t *jaction = json_object_get(in, "action"), *jreason = json_object_get(in, "reason");
    json_t *jlimit = json_object_get(in, "limit");
    if (!json_is_string(jaction) || !str_eq(json_string_value(jaction), "hide")) {
        error_field(err, ERR_INVALID, "action", "action: 'hide' (the only bulk action)");
        return NULL;
    }
    if (jreason && !json_is_null(jreason) &&
        (!json_is_string(jreason) || json_string_length(jreason) > 500)) {
        error_field(err, ERR_INVALID, "reason", "reason: a text of at most 500 bytes");
        return NULL;
    }
    const char *reason = json_is_string(jreason) ? json_string_value(jreason) : "";
    int limit = PUBLISH_BULK_MAX;
    if (jlimit && !json_is_null(jlimit)) {
        if (!json_is_integer(jlimit) || json_integer_value(jlimit) < 1 ||
            json_integer_value(jlimit) > PUBLISH_BULK_MAX) {
            error_field(err, ERR_INVALID, "limit", "limit: 1 to %d messages", PUBLISH_BULK_MAX);
            return NULL;
        }
        limit = (int)json_integer_value(jlimit);
    }
    int64_t *ids = xmalloc(sizeof *ids * (size_t)limit);
    int n = 0;
    bool more = false;
    json_t *out = NULL;
    int64_t bulk = 0;
    json_t *dry = json_object_get(in, "dry_run");
    if (dry && !json_is_boolean(dry)) {
        error_field(err, ERR_INVALID, "dry_run", "dry_run: true or false");
        goto done;
    }
    if (read_selection(db, ws, in, who->user_id, limit, ids, &n, &more, err))
        goto done;
    if (json_is_true(dry)) {
        /* What it would hide, for the desk's "Hide 200 messages?". */
        json_t *list = json_array();
        for (int i = 0; i < n; i++)
            json_array_append_new(list, json_integer(ids[i]));
        out = json_pack("{s:i, s:b, s:i, s:o}", "matched", n, "more", more, "limit", limit,
                        "message_ids", list);
        goto done;
    }
    json_t *sel = json_object();
    json_object_set(sel, json_object_get(in, "filter") ? "filter" : "message_ids",
                    json_object_get(in, json_object_get(in, "filter") ? "filter" : "message_ids"));
    char *selection = json_dumps(sel, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(sel);
    int64_t by_id = who->user_id, *by = by_id ? &by_id : NULL;
    int rc =
        db_insert(db, err, &bulk,
                  "INSERT INTO bulk_moderations (workspace_id, action, reason, selection, "
                  "matched, more, requested_by, created_at) VALUES (?, 'hide', ?, ?, ?, ?, ?, ?)",
                  "ittiiIi", ws, reason, selection, (int64_t)n, (int64_t)more, by, now);
    free(selection);
    if (rc < 0)
        goto done;
    char detail[600];
    snprintf(detail, sizeof detail, "hide %d messages%s: %s", n,
             more ? " (the filter found more)" : "", *reason ? reason : "(no reason given)");
    if (audit_record(db, ws, who->user_id, "bulk-hide", "bulk_moderation", bulk, detail, err))
        goto done;
    /* One action each, each in a transaction of its own (the queue's): a
     * message that cannot be hidden is kept with why, and stops nothing. */
    for (int i = 0; i < n; i++) {
        char why[600] = "", key[64];
        struct error e = {0};
        int64_t action = 0;
        if (!cannot_hide(db, ws, ids[i], why, sizeof why, &e)) {
            if (e.kind) {
                *err = e;
                goto done;
            }
            snprintf(key, sizeof key, "bulk-%lld-%lld-hide", (long long)bulk, (long long)ids[i]);
            if (publish_moderate_key(db, ws, ids[i], "hide", reason, key, who, now, &action, &e) <
                0) {
                if (e.kind != ERR_INVALID && e.kind != ERR_NOT_FOUND) {
                    *err = e;
                    goto done;
                }
                snprintf(why, sizeof why, "%s", e.msg);
                action = 0;
            }
        }
        int64_t *aid = action ? &action : NULL;
        if (db_run(db, err,
                   "INSERT INTO bulk_moderation_items (bulk_id, message_id, action_id, skipped) "
                   "SELECT ?, id, ?, ? FROM messages WHERE id = ? AND workspace_id = ?",
                   "iItii", bulk, aid, why, ids[i], ws) < 0)
            goto done;
    }
    out = publish_bulk_get(db, ws, bulk, err);
    if (out)
        json_object_set_new(out, "limit", json_integer(limit));
done:
    free(ids);
    return out;
}

/* The counts of each action state (and skipped) among the items' actions
 * in column `col` (action_id or undo_action_id). */
static json_t *counts(struct db *db, int64_t bulk, const char *col, struct error *err)
{
    char sql[400];
    snprintf(sql, sizeof sql,
             "SELECT COALESCE(a.state, CASE WHEN i.skipped <> '' THEN 'skipped' ELSE 'none' END), "
             "count(*) FROM bulk_moderation_items i LEFT JOIN connect_actions a ON a.id = i.%s "
             "WHERE i.bulk_id = ? GROUP BY 1",
             col);
    struct db_stmt *st = db_query(db, err, sql, "i", bulk);
    if (!st)
        return NULL;
    json_t *out = json_pack("{s:i, s:i, s:i, s:i, s:i, s:i}", "queued", 0, "sent", 0, "unknown", 0,
                            "done", 0, "failed", 0, "skipped", 0);
    int rc;
    for (rc = db_has_row(st); rc == 1; rc = db_step(st, err))
        if (json_object_get(out, db_col_text(st, 0)))
            json_object_set_new(out, db_col_text(st, 0), json_integer(db_col_int(st, 1)));
    db_finalize(st);
    if (rc < 0) {
        json_decref(out);
        return NULL;
    }
    return out;
}

static json_t *operation(struct db_stmt *st)
{
    json_error_t je;
    json_t *sel = json_loads(db_col_text(st, 3), 0, &je);
    json_t *o = json_pack(
        "{s:I, s:s, s:s, s:o, s:I, s:b, s:I, s:o, s:o, s:o}", "id", (json_int_t)db_col_int(st, 0),
        "action", db_col_text(st, 1), "reason", db_col_text(st, 2), "selection",
        sel ? sel : json_object(), "matched", (json_int_t)db_col_int(st, 4), "more",
        db_col_int(st, 5) != 0, "created_at", (json_int_t)db_col_int(st, 7), "requested_by",
        json_int_col(st, 6), "undone_at", json_int_col(st, 8), "undone_by", json_int_col(st, 9));
    return o;
}

#define OPERATION_COLUMNS                                                                          \
    "id, action, reason, selection, matched, more, requested_by, created_at, undone_at, undone_by"

json_t *publish_bulk_get(struct db *db, int64_t ws, int64_t id, struct error *err)
{
    struct db_stmt *st = model_row(db, "bulk operation", id, err,
                                   "SELECT " OPERATION_COLUMNS " FROM bulk_moderations "
                                   "WHERE id = ? AND workspace_id = ?",
                                   "ii", id, ws);
    if (!st)
        return NULL;
    json_t *out = operation(st);
    db_finalize(st);
    bool undone = !json_is_null(json_object_get(out, "undone_at"));
    json_t *c = counts(db, id, "action_id", err),
           *u = undone ? counts(db, id, "undo_action_id", err) : json_null();
    if (!c || !u) {
        json_decref(c);
        json_decref(u);
        json_decref(out);
        return NULL;
    }
    json_object_set_new(out, "counts", c);
    json_object_set_new(out, "undo_counts", u);
    st = db_query(db, err,
                  "SELECT i.message_id, i.action_id, COALESCE(a.state, ''), COALESCE(a.error, ''), "
                  "i.skipped, i.undo_action_id, COALESCE(b.state, '') FROM bulk_moderation_items i "
                  "LEFT JOIN connect_actions a ON a.id = i.action_id LEFT JOIN connect_actions b "
                  "ON b.id = i.undo_action_id WHERE i.bulk_id = ? ORDER BY i.message_id DESC",
                  "i", id);
    if (!st) {
        json_decref(out);
        return NULL;
    }
    json_t *items = json_array();
    int rc;
    for (rc = db_has_row(st); rc == 1; rc = db_step(st, err)) {
        bool skipped = db_col_null(st, 1);
        json_array_append_new(
            items,
            json_pack("{s:I, s:o, s:s, s:s, s:o, s:o}", "message_id", (json_int_t)db_col_int(st, 0),
                      "action_id", skipped ? json_null() : json_integer(db_col_int(st, 1)), "state",
                      skipped ? "skipped" : db_col_text(st, 2), "error",
                      skipped ? db_col_text(st, 4) : db_col_text(st, 3), "undo_action_id",
                      json_int_col(st, 5), "undo_state",
                      db_col_null(st, 5) ? json_null() : json_string(db_col_text(st, 6))));
    }
    db_finalize(st);
    json_object_set_new(out, "items", items);
    if (rc < 0) {
        json_decref(out);
        return NULL;
    }
    return out;
}

json_t *publish_bulk_list(struct db *db, int64_t ws, struct error *err)
{
    return json_items(db_query(db, err,
                               "SELECT " OPERATION_COLUMNS " FROM bulk_moderations "
                               "WHERE workspace_id = ? ORDER BY created_at DESC, id DESC "
                               "LIMIT 50",
                               "i", ws),
                      operation, err);
}

/* Cancels the operation's hides still queued; one the worker took
 * meanwhile is left to finish (a later undo shows it again). */
static int cancel_queued(struct db *db, int64_t bulk, int64_t now, struct error *err)
{
    size_t n;
    int64_t *ids = db_ids(db, err, &n,
                          "SELECT i.action_id FROM bulk_moderation_items i JOIN "
                          "connect_actions a ON a.id = i.action_id WHERE i.bulk_id = ? "
                          "AND a.state = 'queued'",
                          "i", bulk);
    if (!ids)
        return -1;
    int rc = 0;
    char why[96];
    snprintf(why, sizeof why, "cancelled: bulk operation %lld was undone", (long long)bulk);
    struct action_outcome o = {.error = why};
    for (size_t i = 0; rc >= 0 && i < n; i++) {
        struct error e = {0};
        if (action_move(db, ids[i], ACTION_FAILED, &o, now, &e) && e.kind != ERR_CONFLICT) {
            *err = e;
            rc = -1;
        }
    }
    free(ids);
    return rc < 0 ? -1 : 0;
}

json_t *publish_bulk_undo(struct db *db, int64_t ws, int64_t id, const struct actor *who,
                          int64_t now, struct error *err)
{
    assert(db && who);
    int64_t undone = 0;
    int found = db_scalar(db, err, &undone,
                          "SELECT COALESCE(undone_at, 0) FROM bulk_moderations WHERE id = ? AND "
                          "workspace_id = ?",
                          "ii", id, ws);
    if (found <= 0) {
        model_no_row(found, "bulk operation", id, err);
        return NULL;
    }
    /* A hide on its way to the platform may be done or not: undo waits
     * for it. One still queued is cancelled instead (the worker's own move
     * from queued then fails, as the state it read is gone). */
    int64_t running = 0;
    if (db_scalar(db, err, &running,
                  "SELECT count(*) FROM bulk_moderation_items i JOIN connect_actions a ON a.id = "
                  "i.action_id WHERE i.bulk_id = ? AND a.state IN ('sent', 'unknown')",
                  "i", id) < 0)
        return NULL;
    if (running) {
        error_set(err, ERR_CONFLICT,
                  "%lld of the operation's hides are being sent to the platform: undo it when "
                  "they are done",
                  (long long)running);
        return NULL;
    }
    if (cancel_queued(db, id, now, err))
        return NULL;
    /* An undo cut short (a lost connection) is finished by asking again:
     * only the items without their unhide yet are queued, each under a key
     * of its own, so that two moderators undoing at once unhide each once. */
    int64_t by_id = who->user_id, *by = by_id ? &by_id : NULL;
    if (db_run(db, err,
               "UPDATE bulk_moderations SET undone_at = ?, undone_by = ? WHERE id = ? AND "
               "undone_at IS NULL",
               "iIi", now, by, id) < 0)
        return NULL;
    size_t count;
    int64_t *ids = db_ids(db, err, &count,
                          "SELECT i.message_id FROM bulk_moderation_items i JOIN "
                          "connect_actions a ON a.id = i.action_id WHERE i.bulk_id = ? "
                          "AND a.state = 'done' AND i.undo_action_id IS NULL "
                          "ORDER BY i.message_id",
                          "i", id);
    if (!ids)
        return NULL;
    json_t *out = NULL;
    if (undone && count == 0) {
        error_set(err, ERR_CONFLICT, "bulk operation %lld was undone already", (long long)id);
        goto done;
    }
    char detail[64];
    snprintf(detail, sizeof detail, "unhide %zu messages", count);
    if (audit_record(db, ws, who->user_id, "bulk-undo", "bulk_moderation", id, detail, err))
        goto done;
    for (size_t i = 0; i < count; i++) {
        char key[64], reason[64];
        int64_t action = 0;
        snprintf(key, sizeof key, "bulk-%lld-%lld-unhide", (long long)id, (long long)ids[i]);
        snprintf(reason, sizeof reason, "undo of bulk operation %lld", (long long)id);
        if (publish_moderate_key(db, ws, ids[i], "unhide", reason, key, who, now, &action, err) <
                0 ||
            db_run(db, err,
                   "UPDATE bulk_moderation_items SET undo_action_id = ? WHERE bulk_id = ? AND "
                   "message_id = ?",
                   "iii", action, id, ids[i]) < 0)
            goto done;
    }
    out = publish_bulk_get(db, ws, id, err);
done:
    free(ids);
    return out;
}
