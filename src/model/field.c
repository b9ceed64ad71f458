/* field: the engine behind every table entity. A field table says what each
 * column is; from it come the checks on input, the bound SQL parameters and
 * the JSON of a row, so every entity obeys the same rules. */
#include "model/internal.h"

#include <assert.h>
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/* ---- rules shared by several tables ------------------------------------------ */

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

/* ---- validation ----------------------------------------------------------------- */

const struct field *field_find(const struct entity *e, const char *name)
{
    assert(e && e->fields && e->nfields > 0);
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

/* 0 when ok, else ERR_INVALID saying what field n expected and what v is. */
static int expect(bool ok, const char *n, const char *what, json_t *v, struct error *err)
{
    if (ok)
        return 0;
    return error_field(err, ERR_INVALID, n, "field '%s': expected %s, got %s", n, what,
                       json_type_name(v));
}

int field_validate(const struct entity *e, const struct field *f, json_t *v, struct db *db,
                   int64_t workspace_id, struct error *err)
{
    assert(f && v);
    assert(f->type != FT_ENUM || f->values);
    assert(f->type != FT_REF || f->ref);
    const char *n = f->name;
    if (json_is_null(v)) {
        if (f->flags & F_NULL)
            return 0;
        return error_field(err, ERR_INVALID, n, "field '%s' may not be null", n);
    }
    switch (f->type) {
    case FT_TEXT: {
        if (expect(json_is_string(v), n, "a string", v, err))
            return -1;
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
        return expect(json_is_integer(v), n, "an integer", v, err);
    case FT_REAL:
        return expect(json_is_number(v) && isfinite(json_number_value(v)), n, "a number", v, err);
    case FT_BOOL:
        return expect(json_is_boolean(v), n, "true or false", v, err);
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
        if (json_is_string(v) && str_index(f->values, json_string_value(v)) >= 0)
            return 0;
        struct buf allowed = {0};
        for (const char *const *p = f->values; *p; p++)
            buf_printf(&allowed, "%s'%s'", p == f->values ? "" : ", ", *p);
        error_field(err, ERR_INVALID, n, "field '%s' must be one of %s", n, allowed.data);
        buf_free(&allowed);
        return -1;
    }
    case FT_REF: {
        if (expect(json_is_integer(v), n, "an id", v, err))
            return -1;
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
    assert(e && e->fields && e->nfields > 0);
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
    assert(st && f && v && i >= 1);
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
        int bad = time_parse_iso(json_string_value(v), &t);
        assert(!bad); /* bound only after field_validate */
        (void)bad;
        db_bind_int(st, i, t);
        break;
    }
    }
}

/* ---- JSON out ----------------------------------------------------------------------- */

const char *json_unknown_member(json_t *in, const char *const *known)
{
    const char *key;
    json_t *v;
    json_object_foreach (in, key, v) {
        if (str_index(known, key) < 0)
            return key;
    }
    return NULL;
}

json_t *json_time(int64_t t)
{
    char s[21];
    time_format_iso(t, s);
    return json_string(s);
}

json_t *json_time_col(struct db_stmt *st, int i)
{
    return db_col_null(st, i) ? json_null() : json_time(db_col_int(st, i));
}

json_t *json_int_col(struct db_stmt *st, int i)
{
    return db_col_null(st, i) ? json_null() : json_integer(db_col_int(st, i));
}

json_t *json_text_col(struct db_stmt *st, int i)
{
    return db_col_null(st, i) ? json_null() : json_string(db_col_text(st, i));
}

json_t *json_rows(struct db_stmt *st, json_t *(*row)(struct db_stmt *st), struct error *err)
{
    if (!st)
        return NULL;
    json_t *rows = json_array();
    int rc;
    for (rc = db_has_row(st) ? 1 : 0; rc == 1; rc = db_step(st, err))
        json_array_append_new(rows, row(st));
    db_finalize(st);
    if (rc < 0) {
        json_decref(rows);
        return NULL;
    }
    return rows;
}

json_t *json_items(struct db_stmt *st, json_t *(*row)(struct db_stmt *st), struct error *err)
{
    json_t *rows = json_rows(st, row, err);
    return rows ? json_pack("{s:o}", "items", rows) : NULL;
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
    assert(e && e->fields && e->nfields > 0);
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
    assert(e && e->fields && st);
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
