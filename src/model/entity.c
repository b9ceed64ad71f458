/* entity: workspaces, channels, campaigns and tags, driven by field tables.
 * One validation path for every input, so an API request, a CLI command and
 * the demo generator obey the same rules and produce the same errors. */
#include "model/internal.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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
     * never "..", and present in the system's zone database when there is one. */
    bool ok = *s && *s != '/' && !strstr(s, "..");
    for (const char *p = s; ok && *p; p++)
        ok = isalnum((unsigned char)*p) || strchr("/_-+", *p);
    if (ok) {
        struct stat sb;
        char path[256];
        if (stat("/usr/share/zoneinfo", &sb) == 0) {
            snprintf(path, sizeof path, "/usr/share/zoneinfo/%s", s);
            ok = stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
        }
    }
    return ok ? 0 : error_set(err, ERR_INVALID, "'%s' is not an IANA time zone", s);
}

int model_check_url(const char *s, struct error *err)
{
    if (!(str_starts_with(s, "https://") || str_starts_with(s, "http://")) || strlen(s) < 10)
        return error_set(err, ERR_INVALID, "'%.80s' is not an http(s) URL", s);
    for (const char *p = s; *p; p++)
        if ((unsigned char)*p <= ' ')
            return error_set(err, ERR_INVALID,
                             "a URL may not contain spaces or control characters");
    return 0;
}

static int (*rule_check)(const char *rule, struct error *err);

void model_set_rule_check(int (*check)(const char *rule, struct error *err))
{
    rule_check = check;
}

static int check_rule(const char *s, struct error *err)
{
    return rule_check ? rule_check(s, err) : 0;
}

/* ---- the tables -------------------------------------------------------------- */

static const char *const platforms[] = {"facebook", "instagram", "x",        "linkedin",
                                        "tiktok",   "youtube",   "mastodon", "threads",
                                        "bluesky",  "other",     NULL};
static const char *const purposes[] = {"", "reach", "dialogue", "conversion", "paid", NULL};
static const char *const tag_kinds[] = {"theme", "topic", "audience", "other", NULL};
const char *const post_formats[] = {"photo", "video", "link",     "status", "reel",
                                    "story", "live",  "carousel", NULL};
const char *const post_statuses[] = {"draft",     "in_review", "approved", "scheduled",
                                     "published", "failed",    "archived", NULL};

static const struct field workspace_fields[] = {
    {"name", FT_TEXT, F_REQ | F_NOEMPTY, 200, NULL, NULL, NULL},
    {"slug", FT_TEXT, F_REQ | F_NOEMPTY, 64, NULL, NULL, check_slug},
    {"timezone", FT_TEXT, F_NOEMPTY, 64, NULL, NULL, check_timezone},
};
const struct entity entity_workspace = {
    "workspace", "workspaces", false, workspace_fields, ARRAY_LEN(workspace_fields), NULL};

static const struct field channel_fields[] = {
    {"platform", FT_ENUM, F_REQ | F_FILTER, 0, platforms, NULL, NULL},
    {"handle", FT_TEXT, F_REQ | F_NOEMPTY, 200, NULL, NULL, NULL},
    {"name", FT_TEXT, F_REQ | F_NOEMPTY, 200, NULL, NULL, NULL},
    {"platform_id", FT_TEXT, F_NULL, 200, NULL, NULL, NULL},
    {"owner_team", FT_TEXT, F_FILTER, 200, NULL, NULL, NULL},
    {"purpose", FT_ENUM, F_FILTER, 0, purposes, NULL, NULL},
    {"audience", FT_TEXT, 0, 2000, NULL, NULL, NULL},
    {"is_peer", FT_BOOL, F_FILTER, 0, NULL, NULL, NULL},
};
const struct entity entity_channel = {
    "channel", "channels", true, channel_fields, ARRAY_LEN(channel_fields), NULL};

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
    "campaign", "campaigns", true, campaign_fields, ARRAY_LEN(campaign_fields), campaign_check};

static const struct field tag_fields[] = {
    {"name", FT_TEXT, F_REQ | F_NOEMPTY, 100, NULL, NULL, NULL},
    {"kind", FT_ENUM, F_FILTER, 0, tag_kinds, NULL, NULL},
    {"rule", FT_TEXT, 0, 4000, NULL, NULL, check_rule},
};
const struct entity entity_tag = {"tag", "tags", true, tag_fields, ARRAY_LEN(tag_fields), NULL};

const char *entity_name(const struct entity *e)
{
    return e->name;
}

/* ---- validation ----------------------------------------------------------------- */

const struct field *field_find(const struct entity *e, const char *name)
{
    for (size_t i = 0; i < e->nfields; i++)
        if (str_eq(e->fields[i].name, name))
            return &e->fields[i];
    return NULL;
}

static const char *json_type_name(json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
        return "an integer";
    case JSON_REAL:
        return "a number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean";
    case JSON_NULL:
        return "null";
    }
    return "something else";
}

static bool blank(const char *s)
{
    for (; *s; s++)
        if (!isspace((unsigned char)*s))
            return false;
    return true;
}

int field_validate(const struct entity *e, const struct field *f, json_t *v, struct db *db,
                   int64_t workspace_id, struct error *err)
{
    const char *n = f->name;
    if (json_is_null(v)) {
        if (f->flags & F_NULL)
            return 0;
        return error_field(err, ERR_INVALID, n, "field '%s' may not be null", n);
    }
    switch (f->type) {
    case FT_TEXT: {
        if (!json_is_string(v))
            return error_field(err, ERR_INVALID, n, "field '%s': expected a string, got %s", n,
                               json_type_name(v));
        const char *s = json_string_value(v);
        size_t len = json_string_length(v);
        if (strlen(s) != len)
            return error_field(err, ERR_INVALID, n, "field '%s' contains a NUL character", n);
        if (len > f->max_len)
            return error_field(err, ERR_INVALID, n,
                               "field '%s' is %zu bytes long; the limit is %zu", n, len,
                               f->max_len);
        if ((f->flags & F_NOEMPTY) && blank(s))
            return error_field(err, ERR_INVALID, n, "field '%s' may not be empty", n);
        if (f->check && *s && f->check(s, err)) {
            char why[sizeof err->msg];
            snprintf(why, sizeof why, "%s", err->msg);
            return error_field(err, ERR_INVALID, n, "field '%s': %s", n, why);
        }
        return 0;
    }
    case FT_INT:
        if (!json_is_integer(v))
            return error_field(err, ERR_INVALID, n, "field '%s': expected an integer, got %s", n,
                               json_type_name(v));
        return 0;
    case FT_REAL:
        if (!json_is_number(v) || !isfinite(json_number_value(v)))
            return error_field(err, ERR_INVALID, n, "field '%s': expected a number, got %s", n,
                               json_type_name(v));
        return 0;
    case FT_BOOL:
        if (!json_is_boolean(v))
            return error_field(err, ERR_INVALID, n, "field '%s': expected true or false, got %s", n,
                               json_type_name(v));
        return 0;
    case FT_TIME: {
        int64_t t;
        if (!json_is_string(v) || time_parse_iso(json_string_value(v), &t))
            return error_field(err, ERR_INVALID, n,
                               "field '%s': expected an ISO 8601 time such as "
                               "\"2026-03-01T09:00:00Z\"",
                               n);
        return 0;
    }
    case FT_ENUM: {
        if (json_is_string(v))
            for (const char *const *p = f->values; *p; p++)
                if (str_eq(*p, json_string_value(v)))
                    return 0;
        struct buf allowed = {0};
        for (const char *const *p = f->values; *p; p++)
            buf_printf(&allowed, "%s'%s'", p == f->values ? "" : ", ", *p);
        error_field(err, ERR_INVALID, n, "field '%s' must be one of %s", n, allowed.data);
        buf_free(&allowed);
        return -1;
    }
    case FT_REF: {
        if (!json_is_integer(v))
            return error_field(err, ERR_INVALID, n, "field '%s': expected an id, got %s", n,
                               json_type_name(v));
        char sql[160];
        snprintf(sql, sizeof sql, "SELECT 1 FROM %s WHERE id = ? AND workspace_id = ?", f->ref);
        int found =
            db_scalar(db, err, NULL, sql, "ii", (int64_t)json_integer_value(v), workspace_id);
        if (found < 0)
            return -1;
        if (!found)
            return error_field(err, ERR_INVALID, n, "field '%s': no %.*s %lld in this workspace", n,
                               (int)strlen(f->ref) - 1, f->ref, (long long)json_integer_value(v));
        return 0;
    }
    }
    (void)e;
    return 0;
}

int entity_validate(const struct entity *e, json_t *in, bool creating, struct db *db,
                    int64_t workspace_id, struct error *err)
{
    if (!json_is_object(in))
        return error_set(err, ERR_INVALID, "expected a JSON object, got %s", json_type_name(in));
    const char *key;
    json_t *v;
    json_object_foreach (in, key, v) {
        const struct field *f = field_find(e, key);
        if (!f)
            return error_field(err, ERR_INVALID, key, "unknown field '%s' for a %s", key, e->name);
        if (f->flags & F_RO)
            return error_field(err, ERR_INVALID, key,
                               "field '%s' is set by kanal, not by a request", key);
        if (field_validate(e, f, v, db, workspace_id, err))
            return -1;
    }
    if (creating)
        for (size_t i = 0; i < e->nfields; i++)
            if ((e->fields[i].flags & F_REQ) && !json_object_get(in, e->fields[i].name))
                return error_field(err, ERR_INVALID, e->fields[i].name,
                                   "field '%s' is required for a %s", e->fields[i].name, e->name);
    return 0;
}

void field_bind(struct db_stmt *st, int i, const struct field *f, json_t *v)
{
    if (json_is_null(v)) {
        db_bind_null(st, i);
        return;
    }
    switch (f->type) {
    case FT_TEXT:
    case FT_ENUM:
        db_bind_text(st, i, json_string_value(v));
        break;
    case FT_INT:
    case FT_REF:
        db_bind_int(st, i, json_integer_value(v));
        break;
    case FT_REAL:
        db_bind_double(st, i, json_number_value(v));
        break;
    case FT_BOOL:
        db_bind_int(st, i, json_is_true(v));
        break;
    case FT_TIME: {
        int64_t t = 0;
        time_parse_iso(json_string_value(v), &t);
        db_bind_int(st, i, t);
        break;
    }
    }
}

/* ---- JSON out ----------------------------------------------------------------------- */

json_t *json_time(int64_t t)
{
    char s[21];
    time_format_iso(t, s);
    return json_string(s);
}

void field_to_json(json_t *obj, const struct field *f, struct db_stmt *st, int i)
{
    json_t *v;
    if (db_col_null(st, i)) {
        v = json_null();
    } else {
        switch (f->type) {
        case FT_TEXT:
        case FT_ENUM:
            v = json_string(db_col_text(st, i));
            break;
        case FT_INT:
        case FT_REF:
            v = json_integer(db_col_int(st, i));
            break;
        case FT_REAL:
            v = json_real(db_col_double(st, i));
            break;
        case FT_BOOL:
            v = json_boolean(db_col_int(st, i) != 0);
            break;
        case FT_TIME:
            v = json_time(db_col_int(st, i));
            break;
        default:
            v = json_null();
        }
    }
    json_object_set_new(obj, f->name, v ? v : json_null());
}

void entity_columns(const struct entity *e, struct buf *b, const char *alias)
{
    const char *a = alias ? alias : "";
    const char *dot = alias ? "." : "";
    buf_printf(b, "%s%sid, ", a, dot);
    if (e->scoped)
        buf_printf(b, "%s%sworkspace_id, ", a, dot);
    for (size_t i = 0; i < e->nfields; i++)
        buf_printf(b, "%s%s%s, ", a, dot, e->fields[i].name);
    buf_printf(b, "%s%screated_at, %s%supdated_at", a, dot, a, dot);
}

json_t *entity_row(const struct entity *e, struct db_stmt *st)
{
    json_t *o = json_object();
    int c = 0;
    json_object_set_new(o, "id", json_integer(db_col_int(st, c++)));
    if (e->scoped)
        json_object_set_new(o, "workspace_id", json_integer(db_col_int(st, c++)));
    for (size_t i = 0; i < e->nfields; i++)
        field_to_json(o, &e->fields[i], st, c++);
    json_object_set_new(o, "created_at", json_time(db_col_int(st, c++)));
    json_object_set_new(o, "updated_at", json_time(db_col_int(st, c++)));
    return o;
}

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
    return 0;
}

int cursor_parse_at_id(const char *cursor, int64_t *at, int64_t *id, struct error *err)
{
    char tmp[64];
    const char *dot = strchr(cursor, '.');
    if (!dot || (size_t)(dot - cursor) >= sizeof tmp)
        goto bad;
    memcpy(tmp, cursor, (size_t)(dot - cursor));
    tmp[dot - cursor] = '\0';
    if (str_to_i64(tmp, at) || str_to_i64(dot + 1, id))
        goto bad;
    return 0;
bad:
    return error_field(err, ERR_INVALID, "cursor", "parameter 'cursor' is not one kanal gave out");
}

int query_known(json_t *q, const char *const *known, struct error *err)
{
    const char *key;
    json_t *v;
    json_object_foreach (q, key, v) {
        bool ok = false;
        for (const char *const *k = known; *k && !ok; k++)
            ok = str_eq(*k, key);
        if (!ok)
            return error_field(err, ERR_INVALID, key, "unknown parameter '%s'", key);
        if (!json_is_string(v)) /* query strings are strings; other callers must match */
            return error_field(err, ERR_INVALID, key, "parameter '%s' must be a string", key);
    }
    return 0;
}

int query_int(json_t *q, const char *name, int64_t *out, struct error *err)
{
    json_t *v = json_object_get(q, name);
    if (!v)
        return 0;
    if (str_to_i64(json_string_value(v), out) || *out < 1)
        return error_field(err, ERR_INVALID, name, "parameter '%s' must be an id", name);
    return 0;
}

int query_time(json_t *q, const char *name, int64_t *out, struct error *err)
{
    json_t *v = json_object_get(q, name);
    if (!v)
        return 0;
    if (time_parse_iso(json_string_value(v), out))
        return error_field(err, ERR_INVALID, name,
                           "parameter '%s' must be an ISO 8601 date or time", name);
    return 0;
}

int query_enum(json_t *q, const char *name, const char *const *values, const char **out,
               struct error *err)
{
    json_t *v = json_object_get(q, name);
    if (!v)
        return 0;
    for (const char *const *p = values; *p; p++)
        if (str_eq(*p, json_string_value(v))) {
            *out = *p;
            return 0;
        }
    return error_field(err, ERR_INVALID, name, "parameter '%s' has an unknown value '%.60s'", name,
                       json_string_value(v));
}

/* ---- query builder and pages --------------------------------------------------------- */

static void qb_vadd(struct qb *q, const char *types, va_list ap)
{
    for (const char *t = types; *t; t++) {
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
    struct db_stmt *st = db_prepare(db, q->sql.data, err);
    for (int i = 0; st && i < q->n; i++) {
        if (q->types[i] == 'i')
            db_bind_int(st, i + 1, q->ints[i]);
        else
            db_bind_text(st, i + 1, q->texts[i]);
    }
    buf_free(&q->sql);
    return st;
}

json_t *page_collect(struct db_stmt *st, const struct entity *e, int limit, int at_col,
                     struct error *err)
{
    json_t *items = json_array();
    int rc, count = 0;
    char next[48] = "";
    bool more = false;
    while ((rc = db_step(st, err)) == 1) {
        if (count == limit) {
            more = true;
            break;
        }
        snprintf(next, sizeof next, "%lld.%lld", (long long)db_col_int(st, at_col),
                 (long long)db_col_int(st, 0));
        json_array_append_new(items, entity_row(e, st));
        count++;
    }
    db_finalize(st);
    if (rc < 0) {
        json_decref(items);
        return NULL;
    }
    return page_result(items, more ? next : NULL);
}

/* ---- operations --------------------------------------------------------------------- */

/* The WHERE clause that keeps every query inside the caller's workspace. */
static void scope_sql(const struct entity *e, struct buf *b)
{
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

static char *compact(json_t *v)
{
    return json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);
}

json_t *entity_create(struct db *db, const struct entity *e, int64_t workspace_id, json_t *in,
                      const struct actor *who, struct error *err)
{
    if (entity_validate(e, in, true, db, workspace_id, err))
        return NULL;
    if (e->check && e->check(in, err))
        return NULL;
    struct buf sql = {0}, vals = {0};
    buf_printf(&sql, "INSERT INTO %s (", e->table);
    if (e->scoped) {
        buf_puts(&sql, "workspace_id, ");
        buf_puts(&vals, "?, ");
    }
    const char *key;
    json_t *v;
    json_object_foreach (in, key, v) {
        buf_printf(&sql, "%s, ", field_find(e, key)->name); /* names from our table, not input */
        buf_puts(&vals, "?, ");
    }
    buf_printf(&sql, "created_at, updated_at) VALUES (%s?, ?) RETURNING id",
               vals.data ? vals.data : "");
    buf_free(&vals);

    json_t *out = NULL;
    struct db_stmt *st = db_prepare(db, sql.data, err);
    buf_free(&sql);
    if (!st)
        return NULL;
    int i = 1;
    if (e->scoped)
        db_bind_int(st, i++, workspace_id);
    json_object_foreach (in, key, v) {
        field_bind(st, i++, field_find(e, key), v);
    }
    int64_t now = time_now();
    db_bind_int(st, i++, now);
    db_bind_int(st, i++, now);
    int rc = db_step(st, err);
    int64_t id = rc == 1 ? db_col_int(st, 0) : 0;
    if (rc == 1)
        rc = db_step(st, err);
    db_finalize(st);
    if (rc < 0) {
        if (err && err->kind == ERR_CONFLICT)
            error_set(err, ERR_CONFLICT, "a %s with that %s already exists", e->name,
                      e == &entity_workspace ? "slug"
                      : e == &entity_channel ? "platform and handle"
                                             : "name");
        return NULL;
    }
    /* A new workspace has no messages: its (empty) response figures are
     * already cut in its time zone, and are kept from the first message. */
    if (e == &entity_workspace &&
        db_run(db, err, "UPDATE workspaces SET stats_tz = timezone WHERE id = ?", "i", id) < 0)
        return NULL;
    char *detail = compact(in);
    rc = audit_record(db, e->scoped ? workspace_id : id, who ? who->user_id : 0, "create", e->name,
                      id, detail, err);
    free(detail);
    if (rc == 0)
        out = entity_get(db, e, workspace_id, id, err);
    return out;
}

json_t *entity_update(struct db *db, const struct entity *e, int64_t workspace_id, int64_t id,
                      json_t *patch, const struct actor *who, struct error *err)
{
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
            error_set(err, ERR_CONFLICT, "another %s already has that %s", e->name,
                      e == &entity_workspace ? "slug"
                      : e == &entity_channel ? "platform and handle"
                                             : "name");
        goto done;
    }
    char *detail = compact(patch);
    rc = audit_record(db, e->scoped ? workspace_id : id, who ? who->user_id : 0, "update", e->name,
                      id, detail, err);
    free(detail);
    if (rc == 0)
        out = entity_get(db, e, workspace_id, id, err);
done:
    json_decref(current);
    return out;
}

int entity_delete(struct db *db, const struct entity *e, int64_t workspace_id, int64_t id,
                  const struct actor *who, struct error *err)
{
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
    int64_t after = 0;
    if (pg->cursor && (str_to_i64(pg->cursor, &after) || after < 0)) {
        error_field(err, ERR_INVALID, "cursor", "parameter 'cursor' is not one kanal gave out");
        return NULL;
    }
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
        const struct field *f = field_find(e, key);
        if (!f || !(f->flags & F_FILTER)) {
            error_field(err, ERR_INVALID, key, "unknown parameter '%s'", key);
            goto fail;
        }
        if (!json_is_string(v)) {
            error_field(err, ERR_INVALID, key, "parameter '%s' must be a string", key);
            goto fail;
        }
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
    json_t *items = json_array();
    int rc, count = 0;
    int64_t last = 0;
    bool more = false;
    while ((rc = db_step(st, err)) == 1) {
        if (count == pg->limit) {
            more = true;
            break;
        }
        last = db_col_int(st, 0);
        json_array_append_new(items, entity_row(e, st));
        count++;
    }
    db_finalize(st);
    if (rc < 0) {
        json_decref(items);
        goto fail;
    }
    buf_free(&sql);
    json_decref(typed);
    char next[24];
    snprintf(next, sizeof next, "%lld", (long long)last);
    return page_result(items, more ? next : NULL);
fail:
    buf_free(&sql);
    json_decref(typed);
    return NULL;
}

int attach_tag_ids(struct db *db, json_t *items, const char *table, const char *key,
                   struct error *err)
{
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
