/* team: who belongs to a team and who of them is on duty, and the
 * round-robin that gives a team's incoming messages to its members in turn.
 * The team row itself is a plain entity (entity_team in entity.c). */
#include "model/internal.h"

#include <stdio.h>

static int team_in_workspace(struct db *db, int64_t ws, int64_t team_id, struct error *err)
{
    return model_in_workspace(db, "teams", "team", NULL, team_id, ws, err);
}

int team_member_set(struct db *db, int64_t ws, int64_t team_id, int64_t user_id, bool on_duty,
                    const struct actor *who, struct error *err)
{
    if (team_in_workspace(db, ws, team_id, err))
        return -1;
    if (model_active_user(db, user_id, "user_id", "field 'user_id'", err))
        return -1;
    char detail[64];
    snprintf(detail, sizeof detail, "member %lld %s", (long long)user_id,
             on_duty ? "on duty" : "away");
    return db_run(db, err,
                  "INSERT INTO team_members (team_id, user_id, on_duty) VALUES (?, ?, ?) "
                  "ON CONFLICT (team_id, user_id) DO UPDATE SET on_duty = excluded.on_duty",
                  "iii", team_id, user_id, (int64_t)on_duty) < 0 ||
                   audit_record(db, ws, who ? who->user_id : 0, "update", "team", team_id, detail,
                                err)
               ? -1
               : 0;
}

int team_member_remove(struct db *db, int64_t ws, int64_t team_id, int64_t user_id,
                       const struct actor *who, struct error *err)
{
    if (team_in_workspace(db, ws, team_id, err))
        return -1;
    int64_t n = db_run(db, err, "DELETE FROM team_members WHERE team_id = ? AND user_id = ?", "ii",
                       team_id, user_id);
    if (n < 0)
        return -1;
    if (n == 0)
        return error_set(err, ERR_NOT_FOUND, "user %lld is not in team %lld", (long long)user_id,
                         (long long)team_id);
    char detail[64];
    snprintf(detail, sizeof detail, "member %lld removed", (long long)user_id);
    return audit_record(db, ws, who ? who->user_id : 0, "update", "team", team_id, detail, err);
}

static json_t *member_json(struct db_stmt *st)
{
    return json_pack("{s:I, s:s, s:s, s:b}", "user_id", (json_int_t)db_col_int(st, 0), "email",
                     db_col_text(st, 1), "name", db_col_text(st, 2), "on_duty",
                     db_col_int(st, 3) != 0);
}

json_t *team_member_list(struct db *db, int64_t ws, int64_t team_id, struct error *err)
{
    if (team_in_workspace(db, ws, team_id, err))
        return NULL;
    return json_items(db_query(db, err,
                               "SELECT u.id, u.email, u.name, m.on_duty FROM team_members m "
                               "JOIN users u ON u.id = m.user_id WHERE m.team_id = ? "
                               "ORDER BY u.id",
                               "i", team_id),
                      member_json, err);
}

int team_next_member(struct db *db, int64_t team_id, int64_t *user_id, struct error *err)
{
    *user_id = 0;
    int64_t last = 0;
    if (db_scalar(db, err, &last,
                  "SELECT COALESCE(last_assigned_user_id, 0) FROM teams WHERE id = ?", "i",
                  team_id) < 0)
        return -1;
    /* The next on-duty active member after the last one given a message,
     * round the list again from its start. */
    const char *pick = "SELECT m.user_id FROM team_members m JOIN users u ON u.id = m.user_id "
                       "WHERE m.team_id = ? AND m.on_duty = 1 AND u.disabled = 0 "
                       "AND m.user_id > ? ORDER BY m.user_id LIMIT 1";
    int found = db_scalar(db, err, user_id, pick, "ii", team_id, last);
    if (found == 0)
        found = db_scalar(db, err, user_id, pick, "ii", team_id, (int64_t)0);
    if (found <= 0)
        return found;
    return db_run(db, err, "UPDATE teams SET last_assigned_user_id = ? WHERE id = ?", "ii",
                  *user_id, team_id) < 0
               ? -1
               : 1;
}
