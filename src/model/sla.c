/* sla: service levels, a team's promise per priority to answer first
 * within so much working time, and what it means for each incoming
 * message: the instants it is at risk and due on the workspace's
 * office-hours clock (base/worktime.c), kept on the message so that the
 * inbox filters and flags without the clock's arithmetic in SQL. */
#include "model/internal.h"

#include <stdio.h>
#include <string.h>

const char *const sla_state_names[SLA_STATE_COUNT] = {"none", "ok", "at_risk", "breached", "met"};

void sla_times(const struct worktime *w, int64_t created, int64_t seconds, int pct, int64_t *risk,
               int64_t *due)
{
    *due = worktime_deadline(w, created, seconds);
    *risk = worktime_deadline(w, created, seconds * pct / 100);
}

enum sla_state sla_state_at(int64_t risk, int64_t due, int64_t first_response, bool open,
                            int64_t now)
{
    if (!due)
        return SLA_NONE;
    if (first_response)
        return first_response <= due ? SLA_MET : SLA_BREACHED;
    if (!open) /* closed without an answer: no longer on the clock */
        return SLA_NONE;
    return now >= due ? SLA_BREACHED : now >= risk ? SLA_AT_RISK : SLA_OK;
}

/* The workspace's office hours and calendar, in its zone, into *w. */
static int load_worktime(const char *zone, const char *hours, const char *holidays,
                         struct worktime *w, struct error *err)
{
    memset(w, 0, sizeof *w);
    int cal = holidays_parse(holidays);
    if (cal < 0)
        return error_set(err, ERR_INTERNAL, "unknown holiday calendar '%.10s'", holidays);
    w->cal = (enum holidays)cal;
    if (!(w->zone = model_zone(zone, err)))
        return -1;
    return worktime_parse_hours(w, hours, err);
}

int message_refigure(struct db *db, int64_t ws, int64_t mid, const struct msg_fact *before,
                     struct error *err)
{
    struct db_stmt *st;
    int found = db_row(
        db, err, &st,
        "SELECT m.channel_id, COALESCE(m.variant_id, 0), m.created_at, " MSG_FACT_COLUMNS
        ", w.timezone, w.office_hours, w.holidays, l.first_answer_seconds, l.at_risk_percent "
        "FROM messages m JOIN workspaces w ON w.id = m.workspace_id "
        "LEFT JOIN service_levels l ON l.team_id = m.team_id AND l.priority = m.priority "
        "WHERE m.id = ? AND m.workspace_id = ?",
        "ii", mid, ws);
    if (found <= 0)
        return found;
    struct msg_fact now =
        msg_fact_read(st, 3, db_col_int(st, 0), db_col_int(st, 1), db_col_int(st, 2));
    struct msg_fact was = before ? *before : now, after = now;
    int64_t seconds = db_col_null(st, 11) ? 0 : db_col_int(st, 11), risk = 0, due = 0;
    int pct = (int)db_col_int(st, 12), rc = 0;
    struct worktime w;
    /* The clock is read only for what needs it: a level, or an answer. */
    if (now.counted && (seconds || now.answered))
        rc = load_worktime(db_col_text(st, 8), db_col_text(st, 9), db_col_text(st, 10), &w, err);
    db_finalize(st);
    if (rc)
        return -1;
    if (now.counted && seconds)
        sla_times(&w, now.created_at, seconds, pct, &risk, &due);
    /* Hours with no open day never come due: not held to anything. */
    after.held = seconds && due != INT64_MAX;
    after.within = after.held && now.answered && now.first_response_at <= due;
    after.has_work = now.counted && now.answered;
    after.work_wait =
        after.has_work ? worktime_between(&w, now.created_at, now.first_response_at) : 0;
    const int64_t *s = after.held ? &seconds : NULL, *r = after.held ? &risk : NULL,
                  *d = after.held ? &due : NULL, *ww = after.has_work ? &after.work_wait : NULL;
    return db_run(db, err,
                  "UPDATE messages SET sla_seconds = ?, sla_risk_at = ?, sla_due_at = ?, "
                  "first_response_work = ? WHERE id = ?",
                  "IIIIi", s, r, d, ww, mid) < 0 ||
                   message_stats_change(db, ws, &was, &after, err)
               ? -1
               : 0;
}

int message_sla_refresh(struct db *db, int64_t ws, int64_t mid, struct error *err)
{
    return message_refigure(db, ws, mid, NULL, err);
}

/* Every message to the organisation of the team with the priority, still
 * waiting for its first answer, held to the level as it is now. */
static int refresh_team(struct db *db, int64_t ws, int64_t team_id, const char *priority,
                        struct error *err)
{
    int64_t mid = 0;
    int found;
    /* One id at a time: each refresh runs its own statements. */
    while ((found = db_scalar(db, err, &mid,
                              "SELECT id FROM messages WHERE team_id = ? AND priority = ? AND "
                              "is_own = 0 AND first_response_at IS NULL AND id > ? "
                              "ORDER BY id LIMIT 1",
                              "iti", team_id, priority, mid)) == 1)
        if (message_sla_refresh(db, ws, mid, err))
            return -1;
    return found < 0 ? -1 : 0;
}

static const char *known_priority(const char *p)
{
    for (size_t i = 0; p && message_priorities[i]; i++)
        if (str_eq(message_priorities[i], p))
            return message_priorities[i];
    return NULL;
}

static json_t *level_json(struct db_stmt *st)
{
    return json_pack("{s:I, s:I, s:s, s:I, s:I}", "id", (json_int_t)db_col_int(st, 0), "team_id",
                     (json_int_t)db_col_int(st, 1), "priority", db_col_text(st, 2),
                     "first_answer_seconds", (json_int_t)db_col_int(st, 3), "at_risk_percent",
                     (json_int_t)db_col_int(st, 4));
}

json_t *service_level_list(struct db *db, int64_t ws, struct error *err)
{
    return json_items(db_query(db, err,
                               "SELECT id, team_id, priority, first_answer_seconds, "
                               "at_risk_percent FROM service_levels WHERE workspace_id = ? "
                               "ORDER BY team_id, id",
                               "i", ws),
                      level_json, err);
}

/* What a change writes, in one transaction: the level, its audit entry
 * and the waiting messages it holds. */
static int level_write(struct db *db, int64_t ws, int64_t team_id, const char *priority,
                       int64_t seconds, int pct, const struct actor *who, struct error *err)
{
    int64_t now = time_now();
    char detail[160];
    int64_t n =
        seconds ? db_run(db, err,
                         "INSERT INTO service_levels (workspace_id, team_id, priority, "
                         "first_answer_seconds, at_risk_percent, created_at, updated_at) VALUES "
                         "(?, ?, ?, ?, ?, ?, ?) ON CONFLICT (team_id, priority) DO UPDATE SET "
                         "first_answer_seconds = excluded.first_answer_seconds, at_risk_percent = "
                         "excluded.at_risk_percent, updated_at = excluded.updated_at",
                         "iitiiii", ws, team_id, priority, seconds, (int64_t)pct, now, now)
                : db_run(db, err, "DELETE FROM service_levels WHERE team_id = ? AND priority = ?",
                         "it", team_id, priority);
    if (n < 0)
        return -1;
    if (!seconds && n == 0)
        return error_set(err, ERR_NOT_FOUND, "team %lld has no service level for priority '%s'",
                         (long long)team_id, priority);
    if (seconds)
        snprintf(detail, sizeof detail,
                 "priority %s: first answer within %lld working s, at risk at %d%%", priority,
                 (long long)seconds, pct);
    else
        snprintf(detail, sizeof detail, "priority %s: no service level", priority);
    return audit_record(db, ws, who ? who->user_id : 0, seconds ? "set_level" : "delete_level",
                        "team", team_id, detail, err) ||
                   refresh_team(db, ws, team_id, priority, err)
               ? -1
               : 0;
}

static int level_change(struct db *db, int64_t ws, int64_t team_id, const char *priority,
                        int64_t seconds, int pct, const struct actor *who, struct error *err)
{
    if (model_in_workspace(db, "teams", "team", NULL, team_id, ws, err))
        return -1;
    if (!known_priority(priority))
        return error_field(err, ERR_INVALID, "priority",
                           "field 'priority': '%.20s' is not one of low, normal, high, urgent",
                           priority ? priority : "");
    if (db_begin(db, err))
        return -1;
    return db_end(db, level_write(db, ws, team_id, priority, seconds, pct, who, err), err);
}

json_t *service_level_set(struct db *db, int64_t ws, int64_t team_id, const char *priority,
                          json_t *in, const struct actor *who, struct error *err)
{
    json_t *secs = json_object_get(in, "first_answer_seconds"),
           *mins = json_object_get(in, "first_answer_minutes"),
           *pct = json_object_get(in, "at_risk_percent");
    if (!json_is_object(in) || json_object_size(in) != (secs || mins ? 1u : 0u) + (pct ? 1u : 0u)) {
        error_set(err, ERR_INVALID,
                  "send {\"first_answer_minutes\": N} or {\"first_answer_seconds\": N}, with "
                  "\"at_risk_percent\" (1 to 99, default 80) if you like");
        return NULL;
    }
    if (!(secs || mins) || (secs && mins)) {
        error_field(err, ERR_INVALID, "first_answer_minutes",
                    "field 'first_answer_minutes': give it or first_answer_seconds, one of them");
        return NULL;
    }
    json_t *t = secs ? secs : mins;
    const char *tname = secs ? "first_answer_seconds" : "first_answer_minutes";
    int64_t unit = secs ? 1 : 60;
    if (!json_is_integer(t) || json_integer_value(t) < 1 ||
        json_integer_value(t) > 366 * 86400 / unit) {
        error_field(err, ERR_INVALID, tname, "field '%s': a whole number from 1 to %lld", tname,
                    (long long)(366 * 86400 / unit));
        return NULL;
    }
    if (pct &&
        (!json_is_integer(pct) || json_integer_value(pct) < 1 || json_integer_value(pct) > 99)) {
        error_field(err, ERR_INVALID, "at_risk_percent",
                    "field 'at_risk_percent': a whole number from 1 to 99");
        return NULL;
    }
    if (level_change(db, ws, team_id, priority, json_integer_value(t) * unit,
                     pct ? (int)json_integer_value(pct) : 80, who, err))
        return NULL;
    struct db_stmt *st = db_query(db, err,
                                  "SELECT id, team_id, priority, first_answer_seconds, "
                                  "at_risk_percent FROM service_levels WHERE team_id = ? AND "
                                  "priority = ?",
                                  "it", team_id, priority);
    if (!st)
        return NULL;
    json_t *out = db_has_row(st) ? level_json(st) : NULL;
    db_finalize(st);
    if (!out)
        error_set(err, ERR_INTERNAL, "the service level just saved is gone");
    return out;
}

int service_level_delete(struct db *db, int64_t ws, int64_t team_id, const char *priority,
                         const struct actor *who, struct error *err)
{
    return level_change(db, ws, team_id, priority, 0, 0, who, err);
}

int sla_annotate(struct db *db, json_t *items, int64_t now, struct error *err)
{
    size_t i;
    json_t *m;
    json_array_foreach (items, i, m) {
        struct db_stmt *st;
        int found = db_row(db, err, &st,
                           "SELECT sla_risk_at, sla_due_at, first_response_at, status FROM "
                           "messages WHERE id = ?",
                           "i", (int64_t)json_integer_value(json_object_get(m, "id")));
        if (found < 0)
            return -1;
        if (!found)
            continue;
        int64_t due = db_col_null(st, 1) ? 0 : db_col_int(st, 1);
        const char *status = db_col_text(st, 3);
        enum sla_state s =
            sla_state_at(db_col_int(st, 0), due, db_col_null(st, 2) ? 0 : db_col_int(st, 2),
                         str_eq(status, "open") || str_eq(status, "assigned"), now);
        json_object_set_new(m, "sla", json_string(sla_state_names[s]));
        json_object_set_new(m, "sla_due_at", due ? json_time(due) : json_null());
        json_object_set_new(m, "sla_at_risk_at", due ? json_time(db_col_int(st, 0)) : json_null());
        db_finalize(st);
    }
    return 0;
}
