/* entity: workspaces, channels, campaigns and tags, driven by field tables
 * (the engine is field.c), with the get/create/update/delete/list they share
 * and the workspace, channel and tag lookups imports need. One validation
 * path for every input, so an API request, a CLI command and the demo
 * generator obey the same rules and produce the same errors. */
#include "model/internal.h"
#include "text/query.h"

#include <assert.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- field-level rules ----------------------------------------------------- */

static int check_slug(const char *s, struct error *err)
{
    for (const char *p = s; *p; p++)
        if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '-'))
            return error_set(err, ERR_INVALID,
                             "'%s' is not a slug: use lower-case letters, digits and '-'", s);
    return 0;
}

static int check_timezone(const char *s, struct error *err)
{
    /* An IANA name such as Europe/Stockholm: letters, '/', '_', '-', '+', digits,
     * never "..". It must load as the reports and the response figures load
     * it: a file in the zone database that is not a zone (leapseconds) once
     * passed here and then stopped the server from starting. */
    bool ok = *s && *s != '/' && !strstr(s, "..");
    for (const char *p = s; ok && *p; p++)
        ok = isalnum((unsigned char)*p) || strchr("/_-+", *p);
    struct error why = {0}; /* names a file of the server's: not for the request */
    struct tz *z = ok ? tz_load(s, &why) : NULL;
    ok = z != NULL;
    tz_free(z);
    return ok ? 0 : error_set(err, ERR_INVALID, "'%s' is not an IANA time zone", s);
}

/* A tag rule is stored only if the query language compiles it, so intake
 * never meets a rule it cannot match. */
static int check_rule(const char *s, struct error *err)
{
    struct query *q = query_compile(s, err);
    if (!q)
        return -1;
    query_free(q);
    return 0;
}

/* ---- the tables -------------------------------------------------------------- */

const char *const channel_platforms[] = {"facebook", "instagram", "x",        "linkedin",
                                         "tiktok",   "youtube",   "mastodon", "threads",
                                         "bluesky",  "other",     NULL};
static const char *const purposes[] = {"", "reach", "dialogue", "conversion", "paid", NULL};
static const char *const tag_kinds[] = {"theme", "topic", "audience", "other", NULL};

static int check_hours(const char *v, struct error *err)
{
    struct worktime w = {0};
    return worktime_parse_hours(&w, v, err);
}
static const char *const holiday_calendars[] = {"se", "fi", "none", NULL};

static const struct field workspace_fields[] = {
    {"name", FT_TEXT, F_REQ | F_NOEMPTY, 200, NULL, NULL, NULL},
    {"slug", FT_TEXT, F_REQ | F_NOEMPTY, 64, NULL, NULL, check_slug},
    {"timezone", FT_TEXT, F_NOEMPTY, 64, NULL, NULL, check_timezone},
    /* the service levels' clock (model/sla.c) */
    {"office_hours", FT_TEXT, F_NOEMPTY, WORKTIME_HOURS_MAX, NULL, NULL, check_hours},
    {"holidays", FT_ENUM, 0, 0, holiday_calendars, NULL, NULL},
};
/* Deleting a workspace or a channel cascades to its posts and messages: the
 * schema would take them silently, so a delete of either is refused while
 * any is stored, with the counts, and the caller decides what to do. */
static int keeps_content(const char *what, int64_t id, int64_t posts, int64_t messages,
                         struct error *err)
{
    if (posts == 0 && messages == 0)
        return 0;
    return error_set(err, ERR_CONFLICT,
                     "%s %lld still holds %lld post%s and %lld message%s; deleting it would "
                     "delete them too, so kanal keeps it",
                     what, (long long)id, (long long)posts, posts == 1 ? "" : "s",
                     (long long)messages, messages == 1 ? "" : "s");
}

static int workspace_keeps(struct db *db, int64_t workspace_id, int64_t id, struct error *err)
{
    (void)workspace_id; /* not scoped: the workspace is the id */
    int64_t posts = 0, messages = 0;
    if (db_scalar(db, err, &posts, "SELECT count(*) FROM posts WHERE workspace_id = ?", "i", id) <
            0 ||
        db_scalar(db, err, &messages, "SELECT count(*) FROM messages WHERE workspace_id = ?", "i",
                  id) < 0)
        return -1;
    return keeps_content("workspace", id, posts, messages, err);
}

/* Counted in the request's workspace only: another one's channel is a 404,
 * as the delete itself says, whatever it holds. */
static int channel_keeps(struct db *db, int64_t workspace_id, int64_t id, struct error *err)
{
    int64_t posts = 0, messages = 0;
    if (db_scalar(db, err, &posts,
                  "SELECT count(DISTINCT v.post_id) FROM post_variants v JOIN channels c ON c.id = "
                  "v.channel_id WHERE v.channel_id = ? AND c.workspace_id = ?",
                  "ii", id, workspace_id) < 0 ||
        db_scalar(db, err, &messages,
                  "SELECT count(*) FROM messages WHERE channel_id = ? AND workspace_id = ?", "ii",
                  id, workspace_id) < 0)
        return -1;
    return keeps_content("channel", id, posts, messages, err);
}

const struct entity entity_workspace = {
    "workspace", "workspaces",   false, workspace_fields, ARRAY_LEN(workspace_fields),
    NULL,        workspace_keeps};

static const struct field channel_fields[] = {
    {"platform", FT_ENUM, F_REQ | F_FILTER, 0, channel_platforms, NULL, NULL},
    {"handle", FT_TEXT, F_REQ | F_NOEMPTY, 200, NULL, NULL, NULL},
    {"name", FT_TEXT, F_REQ | F_NOEMPTY, 200, NULL, NULL, NULL},
    {"platform_id", FT_TEXT, F_NULL, 200, NULL, NULL, NULL},
    {"team_id", FT_REF, F_NULL | F_FILTER, 0, NULL, "teams", NULL},
    {"purpose", FT_ENUM, F_FILTER, 0, purposes, NULL, NULL},
    {"audience", FT_TEXT, 0, 2000, NULL, NULL, NULL},
    {"is_peer", FT_BOOL, F_FILTER, 0, NULL, NULL, NULL},
    /* A Mastodon instance's own text limit (publish/ checks variants by it). */
    {"text_limit", FT_INT, F_NULL, 0, NULL, NULL, NULL},
};
const struct entity entity_channel = {
    "channel", "channels", true, channel_fields, ARRAY_LEN(channel_fields), NULL, channel_keeps};

static int campaign_check(json_t *c, struct error *err)
{
    json_t *s = json_object_get(c, "starts_at"), *e = json_object_get(c, "ends_at");
    int64_t ts, te;
    if (json_is_string(s) && json_is_string(e) && !time_parse_iso(json_string_value(s), &ts) &&
        !time_parse_iso(json_string_value(e), &te) && te < ts)
        return error_field(err, ERR_INVALID, "ends_at",
                           "field 'ends_at': the campaign ends before it starts");
    return 0;
}

static const struct field campaign_fields[] = {
    {"name", FT_TEXT, F_REQ | F_NOEMPTY, 200, NULL, NULL, NULL},
    {"description", FT_TEXT, 0, 4000, NULL, NULL, NULL},
    {"target_tag_id", FT_REF, F_NULL, 0, NULL, "tags", NULL},
    {"starts_at", FT_TIME, F_NULL, 0, NULL, NULL, NULL},
    {"ends_at", FT_TIME, F_NULL, 0, NULL, NULL, NULL},
};
const struct entity entity_campaign = {
    "campaign",     "campaigns", true, campaign_fields, ARRAY_LEN(campaign_fields),
    campaign_check, NULL};

static const struct field tag_fields[] = {
    {"name", FT_TEXT, F_REQ | F_NOEMPTY, 100, NULL, NULL, NULL},
    {"kind", FT_ENUM, F_FILTER, 0, tag_kinds, NULL, NULL},
    {"rule", FT_TEXT, 0, 4000, NULL, NULL, check_rule},
};
const struct entity entity_tag = {"tag", "tags", true, tag_fields, ARRAY_LEN(tag_fields),
                                  NULL,  NULL};

/* A team answers a topic's messages; its members are in team.c. */
static const struct field team_fields[] = {
    {"name", FT_TEXT, F_REQ | F_NOEMPTY | F_FILTER, 200, NULL, NULL, NULL},
};
const struct entity entity_team = {"team", "teams", true, team_fields, ARRAY_LEN(team_fields),
                                   NULL,   NULL};

const char *entity_name(const struct entity *e)
{
    return e->name;
}

struct tz *workspace_tz(struct db *db, int64_t ws, struct error *err)
{
    json_t *w = entity_get(db, &entity_workspace, 0, ws, err);
    if (!w)
        return NULL;
    struct tz *z = tz_load(json_string_value(json_object_get(w, "timezone")), err);
    json_decref(w);
    return z;
}
/* ---- operations --------------------------------------------------------------------- */

/* The WHERE clause that keeps every query inside the caller's workspace. */
static void scope_sql(const struct entity *e, struct buf *b)
{
    assert(e && e->table);
    buf_printf(b, " FROM %s WHERE id = ?%s", e->table, e->scoped ? " AND workspace_id = ?" : "");
}

json_t *entity_get(struct db *db, const struct entity *e, int64_t workspace_id, int64_t id,
                   struct error *err)
{
    struct buf sql = {0};
    buf_puts(&sql, "SELECT ");
    entity_columns(e, &sql, NULL);
    scope_sql(e, &sql);
    struct db_stmt *st = db_prepare(db, sql.data, err);
    buf_free(&sql);
    if (!st)
        return NULL;
    db_bind_int(st, 1, id);
    if (e->scoped)
        db_bind_int(st, 2, workspace_id);
    json_t *out = NULL;
    int rc = db_step(st, err);
    if (rc == 1)
        out = entity_row(e, st);
    else if (rc == 0)
        error_set(err, ERR_NOT_FOUND, "no %s %lld%s", e->name, (long long)id,
                  e->scoped ? " in this workspace" : "");
    db_finalize(st);
    return out;
}

/* What a unique-key conflict on e's table is about, for the error. */
static const char *unique_key(const struct entity *e)
{
    return e == &entity_workspace ? "slug" : e == &entity_channel ? "platform and handle" : "name";
}

/* Audits `action` on row `id` with `detail` (the caller's) as the
 * change's detail, and answers the row as it is now. */
static json_t *audited(struct db *db, const struct entity *e, int64_t workspace_id, int64_t id,
                       const char *action, json_t *detail, const struct actor *who,
                       struct error *err)
{
    if (audit_record_json(db, e->scoped ? workspace_id : id, who ? who->user_id : 0, action,
                          e->name, id, json_incref(detail), err))
        return NULL;
    return entity_get(db, e, workspace_id, id, err);
}

int entity_insert(struct db *db, const struct entity *e, const char *head, const int64_t *vals,
                  int nvals, json_t *in, int64_t now, int64_t *id, struct error *err)
{
    struct buf sql = {0}, marks = {0};
    buf_printf(&sql, "INSERT INTO %s (%s", e->table, head);
    for (int k = 0; k < nvals; k++)
        buf_puts(&marks, "?, ");
    const char *key;
    json_t *v;
    json_object_foreach (in, key, v) {
        buf_printf(&sql, "%s, ", field_find(e, key)->name); /* names from our table, not input */
        buf_puts(&marks, "?, ");
    }
    buf_printf(&sql, "created_at, updated_at) VALUES (%s?, ?) RETURNING id",
               marks.data ? marks.data : "");
    buf_free(&marks);
    struct db_stmt *st = db_prepare(db, sql.data, err);
    buf_free(&sql);
    if (!st)
        return -1;
    int i = 1;
    for (int k = 0; k < nvals; k++, i++)
        if (vals[k])
            db_bind_int(st, i, vals[k]);
        else
            db_bind_null(st, i);
    json_object_foreach (in, key, v) {
        field_bind(st, i++, field_find(e, key), v);
    }
    db_bind_int(st, i++, now);
    db_bind_int(st, i++, now);
    int rc = db_step(st, err);
    if (rc == 1) {
        *id = db_col_int(st, 0);
        rc = db_step(st, err);
    }
    db_finalize(st);
    return rc < 0 ? -1 : 0;
}

json_t *entity_create(struct db *db, const struct entity *e, int64_t workspace_id, json_t *in,
                      const struct actor *who, struct error *err)
{
    assert(db && e);
    if (entity_validate(e, in, true, db, workspace_id, err))
        return NULL;
    if (e->check && e->check(in, err))
        return NULL;
    int64_t id = 0;
    if (entity_insert(db, e, e->scoped ? "workspace_id, " : "", &workspace_id, e->scoped, in,
                      time_now(), &id, err)) {
        if (err && err->kind == ERR_CONFLICT)
            error_set(err, ERR_CONFLICT, "a %s with that %s already exists", e->name,
                      unique_key(e));
        return NULL;
    }
    /* A new workspace has no messages: its (empty) response figures are
     * already cut in its time zone, and are kept from the first message. */
    if (e == &entity_workspace &&
        db_run(db, err, "UPDATE workspaces SET stats_tz = timezone WHERE id = ?", "i", id) < 0)
        return NULL;
    return audited(db, e, workspace_id, id, "create", in, who, err);
}

json_t *entity_update(struct db *db, const struct entity *e, int64_t workspace_id, int64_t id,
                      json_t *patch, const struct actor *who, struct error *err)
{
    assert(db && e);
    json_t *current = entity_get(db, e, workspace_id, id, err);
    if (!current)
        return NULL;
    json_t *out = NULL;
    if (entity_validate(e, patch, false, db, workspace_id, err))
        goto done;
    if (e->check) {
        json_t *merged = json_deep_copy(current);
        json_object_update(merged, patch);
        int rc = e->check(merged, err);
        json_decref(merged);
        if (rc)
            goto done;
    }
    if (json_object_size(patch) == 0) {
        out = json_incref(current);
        goto done;
    }
    struct buf sql = {0};
    buf_printf(&sql, "UPDATE %s SET ", e->table);
    const char *key;
    json_t *v;
    json_object_foreach (patch, key, v) {
        buf_printf(&sql, "%s = ?, ", field_find(e, key)->name);
    }
    buf_puts(&sql, "updated_at = ? WHERE id = ?");
    struct db_stmt *st = db_prepare(db, sql.data, err);
    buf_free(&sql);
    if (!st)
        goto done;
    int i = 1;
    json_object_foreach (patch, key, v) {
        field_bind(st, i++, field_find(e, key), v);
    }
    db_bind_int(st, i++, time_now());
    db_bind_int(st, i++, id);
    int rc = db_step(st, err);
    db_finalize(st);
    if (rc < 0) {
        if (err && err->kind == ERR_CONFLICT)
            error_set(err, ERR_CONFLICT, "another %s already has that %s", e->name, unique_key(e));
        goto done;
    }
    out = audited(db, e, workspace_id, id, "update", patch, who, err);
done:
    json_decref(current);
    return out;
}

int entity_delete(struct db *db, const struct entity *e, int64_t workspace_id, int64_t id,
                  const struct actor *who, struct error *err)
{
    if (e->keeps && e->keeps(db, workspace_id, id, err))
        return -1;
    struct buf sql = {0};
    buf_printf(&sql, "DELETE");
    scope_sql(e, &sql);
    int64_t n = e->scoped ? db_run(db, err, sql.data, "ii", id, workspace_id)
                          : db_run(db, err, sql.data, "i", id);
    buf_free(&sql);
    if (n < 0)
        return -1;
    if (n == 0)
        return error_set(err, ERR_NOT_FOUND, "no %s %lld%s", e->name, (long long)id,
                         e->scoped ? " in this workspace" : "");
    return audit_record(db, e->scoped ? workspace_id : 0, who ? who->user_id : 0, "delete", e->name,
                        id, "", err);
}

json_t *entity_list(struct db *db, const struct entity *e, int64_t workspace_id, json_t *filters,
                    const struct page *pg, struct error *err)
{
    assert(db && e && pg && pg->limit >= 1 && pg->limit <= MODEL_PAGE_MAX);
    int64_t after = 0;
    if (pg->cursor && (str_to_i64(pg->cursor, &after) || after < 0)) {
        error_field(err, ERR_INVALID, "cursor", "parameter 'cursor' is not one kanal gave out");
        return NULL;
    }
    const char *takes[QUERY_PARAMS_MAX];
    int ntakes = 0;
    for (size_t i = 0; i < e->nfields; i++)
        if (e->fields[i].flags & F_FILTER) {
            assert(ntakes < QUERY_PARAMS_MAX - 2);
            takes[ntakes++] = e->fields[i].name;
        }
    takes[ntakes++] = "limit";
    takes[ntakes++] = "cursor";
    if (filters && query_params_check(filters, takes, ntakes, err))
        return NULL;
    struct buf sql = {0};
    buf_puts(&sql, "SELECT ");
    entity_columns(e, &sql, NULL);
    buf_printf(&sql, " FROM %s WHERE id > ?", e->table);
    if (e->scoped)
        buf_puts(&sql, " AND workspace_id = ?");
    /* Filters: validated as their field's type, bound as parameters. */
    const char *key;
    json_t *v;
    json_t *typed = json_object();
    json_object_foreach (filters, key, v) {
        if (str_eq(key, "limit") || str_eq(key, "cursor"))
            continue;
        const struct field *f = field_find(e, key); /* one query_params_check took */
        json_t *tv;
        const char *s = json_string_value(v);
        int64_t n;
        if (f->type == FT_BOOL)
            tv = str_eq(s, "true")    ? json_true()
                 : str_eq(s, "false") ? json_false()
                                      : json_string(s);
        else if (f->type == FT_INT || f->type == FT_REF)
            tv = str_to_i64(s, &n) ? json_string(s) : json_integer(n);
        else
            tv = json_string(s);
        json_object_set_new(typed, key, tv);
        if (field_validate(e, f, tv, db, workspace_id, err)) {
            char why[sizeof err->msg];
            snprintf(why, sizeof why, "%s", err->msg);
            error_field(err, ERR_INVALID, key, "parameter %s", why + strlen("field "));
            goto fail;
        }
        buf_printf(&sql, " AND %s = ?", f->name);
    }
    buf_puts(&sql, " ORDER BY id LIMIT ?");
    struct db_stmt *st = db_prepare(db, sql.data, err);
    if (!st)
        goto fail;
    int i = 1;
    db_bind_int(st, i++, after);
    if (e->scoped)
        db_bind_int(st, i++, workspace_id);
    json_object_foreach (typed, key, v) {
        field_bind(st, i++, field_find(e, key), v);
    }
    db_bind_int(st, i++, pg->limit + 1); /* one more tells whether a next page exists */
    json_t *out = page_collect(st, e, pg->limit, -1, err); /* typed's texts are bound */
    buf_free(&sql);
    json_decref(typed);
    return out;
fail:
    buf_free(&sql);
    json_decref(typed);
    return NULL;
}

/* ---- writes keyed on platform ids, shared by post.c and message.c ------------ */

int platform_found(int found, const char *what, const char *platform_id, struct error *err)
{
    if (found > 0)
        return 0;
    return found < 0
               ? -1
               : error_set(err, ERR_NOT_FOUND, "no %s %.80s in this channel", what, platform_id);
}

int upsert_of_changes(int64_t n)
{
    return n < 0 ? -1 : n ? UPSERT_UPDATED : UPSERT_UNCHANGED;
}

int platform_edit_body(struct db *db, const char *what, int found, int64_t id, const char *sql,
                       const char *platform_id, const char *body, struct error *err)
{
    if (platform_found(found, what, platform_id, err))
        return -1;
    const char *text = body ? body : "";
    return upsert_of_changes(db_run(db, err, sql, "tiit", text, time_now(), id, text));
}

/* ---- workspaces, channels and tags as imports find them ----------------------- */

int workspace_only(struct db *db, int64_t *id, struct error *err)
{
    struct db_stmt *st = db_query(db, err, "SELECT id, slug FROM workspaces ORDER BY id", "");
    if (!st)
        return -1;
    int n = 0, step;
    struct buf slugs = {0};
    for (step = db_has_row(st) ? 1 : 0; step == 1; step = db_step(st, err)) {
        if (n++ == 0)
            *id = db_col_int(st, 0);
        if (n <= 5)
            buf_printf(&slugs, "%s%s", n > 1 ? ", " : "", db_col_text(st, 1));
    }
    db_finalize(st);
    int rc = step < 0 ? -1 : n == 1 ? 1 : 0;
    if (step == 0 && n > 1)
        rc = error_set(err, ERR_INVALID,
                       "there are %d workspaces (%s%s); say which with --workspace", n, slugs.data,
                       n > 5 ? ", ..." : "");
    buf_free(&slugs);
    return rc;
}

int workspace_default(struct db *db, int64_t *id, struct error *err)
{
    int found = workspace_only(db, id, err);
    if (found != 0)
        return found;
    json_t *in = json_pack("{s:s, s:s}", "name", "Imported", "slug", "imported");
    json_t *w = entity_create(db, &entity_workspace, 0, in, NULL, err);
    json_decref(in);
    if (!w)
        return -1;
    *id = json_integer_value(json_object_get(w, "id"));
    json_decref(w);
    return 0;
}

int workspace_resolve(struct db *db, const char *ref, int64_t *id, struct error *err)
{
    /* Only the canonical form is an id, so "01" or "+1" is a slug (or nothing)
     * and a path names one workspace however it is written. */
    int64_t n = 0;
    bool numeric = ref[0] >= '1' && ref[0] <= '9' && strspn(ref, "0123456789") == strlen(ref) &&
                   str_to_i64(ref, &n) == 0;
    int found = numeric
                    ? db_scalar(db, err, id, "SELECT id FROM workspaces WHERE id = ?", "i", n)
                    : db_scalar(db, err, id, "SELECT id FROM workspaces WHERE slug = ?", "t", ref);
    if (found == 0)
        return error_set(err, ERR_NOT_FOUND, "no workspace '%s'", ref);
    assert(found < 0 || *id > 0);
    return found < 0 ? -1 : 0;
}

int channel_in_workspace(struct db *db, int64_t workspace_id, int64_t channel_id, struct error *err)
{
    return model_in_workspace(db, "channels", "channel", "channel_id", channel_id, workspace_id,
                              err);
}

int channel_find_platform(struct db *db, int64_t *workspace_id, const char *platform,
                          const char *platform_id, int64_t *channel_id, struct error *err)
{
    struct db_stmt *st;
    int found = *workspace_id
                    ? db_row(db, err, &st,
                             "SELECT id, workspace_id FROM channels WHERE workspace_id = ? AND "
                             "platform = ? AND platform_id = ? ORDER BY id LIMIT 1",
                             "itt", *workspace_id, platform, platform_id)
                    : db_row(db, err, &st,
                             "SELECT id, workspace_id FROM channels WHERE platform = ? AND "
                             "platform_id = ? ORDER BY id LIMIT 1",
                             "tt", platform, platform_id);
    if (found <= 0)
        return found;
    *channel_id = db_col_int(st, 0);
    *workspace_id = db_col_int(st, 1);
    db_finalize(st);
    return 1;
}

/* Whether a payload's name for an account fits a channel's name field (at
 * most 200 bytes, not blank): one that does not leaves the handle. */
static bool channel_name_fits(const char *name)
{
    return name && strlen(name) <= 200 && name[strspn(name, " \t\r\n")];
}

int channel_upsert_platform(struct db *db, int64_t workspace_id, const char *platform,
                            const char *platform_id, const char *handle, const char *name,
                            bool peer, int64_t *channel_id, struct error *err)
{
    int64_t ws = workspace_id;
    int rc = channel_find_platform(db, &ws, platform, platform_id, channel_id, err);
    if (rc)
        return rc < 0 ? -1 : UPSERT_UNCHANGED;
    const char *h = handle && *handle ? handle : platform_id;
    struct db_stmt *st = db_query(db, err,
                                  "SELECT id, platform_id FROM channels WHERE workspace_id = ? "
                                  "AND platform = ? AND handle = ?",
                                  "itt", workspace_id, platform, h);
    if (!st)
        return -1;
    if (db_has_row(st)) {
        int64_t id = db_col_int(st, 0);
        bool unset = db_col_null(st, 1);
        db_finalize(st);
        if (!unset)
            return error_set(err, ERR_CONFLICT,
                             "the %s channel '%.80s' belongs to another account id than %.80s; "
                             "import with --channel ID",
                             platform, h, platform_id);
        *channel_id = id;
        return db_run(db, err, "UPDATE channels SET platform_id = ?, updated_at = ? WHERE id = ?",
                      "tii", platform_id, time_now(), id) < 0
                   ? -1
                   : UPSERT_UPDATED;
    }
    db_finalize(st);
    json_t *in =
        json_pack("{s:s, s:s, s:s, s:s, s:b}", "platform", platform, "handle", h, "name",
                  channel_name_fits(name) ? name : h, "platform_id", platform_id, "is_peer", peer);
    json_t *c = entity_create(db, &entity_channel, workspace_id, in, NULL, err);
    json_decref(in);
    if (!c)
        return -1;
    *channel_id = json_integer_value(json_object_get(c, "id"));
    json_decref(c);
    return UPSERT_INSERTED;
}

int channel_name_unnamed(struct db *db, int64_t channel_id, const char *name, struct error *err)
{
    if (!channel_name_fits(name))
        return 0;
    int64_t n = db_run(
        db, err, "UPDATE channels SET name = ?, updated_at = ? WHERE id = ? AND name = platform_id",
        "tii", name, time_now(), channel_id);
    return n < 0 ? -1 : n > 0;
}

int channel_platform_info(struct db *db, int64_t workspace_id, int64_t channel_id,
                          char platform[16], char platform_id[201], char handle[201],
                          struct error *err)
{
    struct db_stmt *st;
    int found = db_row(db, err, &st,
                       "SELECT platform, platform_id, handle FROM channels "
                       "WHERE id = ? AND workspace_id = ?",
                       "ii", channel_id, workspace_id);
    if (found <= 0)
        return found < 0 ? -1
                         : error_set(err, ERR_NOT_FOUND, "no channel %lld in workspace %lld",
                                     (long long)channel_id, (long long)workspace_id);
    snprintf(platform, 16, "%s", db_col_text(st, 0));
    snprintf(platform_id, 201, "%s", db_col_text(st, 1));
    snprintf(handle, 201, "%s", db_col_text(st, 2));
    db_finalize(st);
    return 0;
}

int tag_rules_load(struct db *db, int64_t workspace_id, struct arena *a, int64_t **ids,
                   char ***rules, struct error *err)
{
    int64_t count = 0;
    if (db_scalar(db, err, &count,
                  "SELECT COUNT(*) FROM tags WHERE workspace_id = ? AND rule <> ''", "i",
                  workspace_id) < 0)
        return -1;
    *ids = arena_alloc(a, sizeof **ids * (size_t)(count + 1));
    *rules = arena_alloc(a, sizeof **rules * (size_t)(count + 1));
    struct db_stmt *st = db_query(db, err,
                                  "SELECT id, rule FROM tags WHERE workspace_id = ? AND rule <> '' "
                                  "ORDER BY id",
                                  "i", workspace_id);
    if (!st)
        return -1;
    int n = 0, rc = db_has_row(st);
    for (; rc == 1 && n < count; rc = db_step(st, err), n++) {
        (*ids)[n] = db_col_int(st, 0);
        (*rules)[n] = arena_strdup(a, db_col_text(st, 1));
    }
    db_finalize(st);
    return rc < 0 ? -1 : n;
}

int model_in_workspace(struct db *db, const char *table, const char *what, const char *field,
                       int64_t id, int64_t ws, struct error *err)
{
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT 1 FROM %s WHERE id = ? AND workspace_id = ?", table);
    int found = db_scalar(db, err, NULL, sql, "ii", id, ws);
    if (found)
        return found < 0 ? -1 : 0;
    if (field)
        return error_field(err, ERR_INVALID, field, "no %s %lld in this workspace", what,
                           (long long)id);
    return error_set(err, ERR_NOT_FOUND, "no %s %lld in this workspace", what, (long long)id);
}

int(model_no_row)(int found, const char *what, int64_t id, struct error *err)
{
    assert(found <= 0);
    if (found < 0)
        return -1;
    return error_set(err, ERR_NOT_FOUND, "no %s %lld in this workspace", what, (long long)id);
}

struct db_stmt *model_row(struct db *db, const char *what, int64_t id, struct error *err,
                          const char *sql, const char *types, ...)
{
    struct db_stmt *st;
    va_list ap;
    va_start(ap, types);
    int found = db_row_va(db, err, &st, sql, types, ap);
    va_end(ap);
    if (found <= 0)
        model_no_row(found, what, id, err);
    return st;
}
