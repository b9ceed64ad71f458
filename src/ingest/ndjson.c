/* ndjson: kanal's own import schema (docs/ndjson.md): one JSON object a
 * line, "type" post, metrics, message or channel_metrics. It is what other
 * tools should write when they feed kanal, and what the bench measures. */
#include "ingest/internal.h"

#include <stdio.h>
#include <string.h>

/* ---- a line's members, read without a tree ----------------------------
 * jansson builds a hash table per object and a heap string per key and
 * value: for a flat post line that was a fifth of the import's time and
 * most of its mallocs (bench/import: NDJSON at 0.64 of the SQLite floor,
 * CSV at 0.92). A line is instead read into this flat list, straight from
 * the bytes where the line is plain (no escapes, no arrays, no reals, at
 * most one nested object); anything else goes through jansson, whose
 * verdict (and error message) stands, and is copied into the same list.
 * So every line is judged by one function, line(), whichever way it came. */
enum fkind { F_NULL, F_TRUE, F_FALSE, F_INT, F_STR, F_OBJ, F_OTHER };

struct fmember {
    const char *key; /* NUL-terminated */
    int parent;      /* -1: the line's object; else the F_OBJ member's index */
    enum fkind kind;
    int64_t i;
    const char *s; /* F_STR, NUL-terminated */
};

#define FLAT_MAX 64

struct flat {
    struct fmember m[FLAT_MAX];
    int n;
};

/* Member key of object `parent`; the last one wins, as in jansson. */
static const struct fmember *fget(const struct flat *f, int parent, const char *key)
{
    for (int i = f->n - 1; i >= 0; i--)
        if (f->m[i].parent == parent && str_eq(f->m[i].key, key))
            return &f->m[i];
    return NULL;
}

static int64_t num(const struct flat *f, int parent, const char *key, bool *bad)
{
    const struct fmember *v = fget(f, parent, key);
    if (!v || v->kind == F_NULL)
        return -1;
    if (v->kind != F_INT || v->i < 0) {
        *bad = true;
        return -1;
    }
    return v->i;
}

/* As jstr: strings repaired, integers as decimal, else NULL. */
static const char *fstr(struct pctx *pc, const struct flat *f, const char *key)
{
    const struct fmember *v = fget(f, -1, key);
    if (v && v->kind == F_STR)
        return ingest_fix_mojibake(v->s, &pc->arena);
    if (v && v->kind == F_INT)
        return arena_printf(&pc->arena, "%lld", (long long)v->i);
    return NULL;
}

/* As jtime: Unix seconds above 0 or an ISO 8601 string; else 0. */
static int64_t ftime(const struct flat *f, const char *key)
{
    const struct fmember *v = fget(f, -1, key);
    int64_t t;
    if (v && v->kind == F_INT)
        return v->i > 0 ? v->i : 0;
    if (v && v->kind == F_STR && time_parse_iso(v->s, &t) == 0)
        return t;
    return 0;
}

static const char *skip_ws(const char *p, const char *e)
{
    while (p < e && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
        p++;
    return p;
}

/* A string without escapes at p (the opening quote) into the arena; NULL
 * where the fast reader must give the line to jansson. */
static const char *plain_string(struct pctx *pc, const char **pp, const char *e)
{
    const char *p = *pp + 1, *q = p;
    while (q < e && *q != '"' && *q != '\\' && (unsigned char)*q >= 0x20)
        q++;
    if (q >= e || *q != '"')
        return NULL;
    *pp = q + 1;
    return arena_strndup(&pc->arena, p, (size_t)(q - p));
}

/* Reads the line's object of plain members into f; -1 where jansson must
 * read it (anything the fast reader does not handle, valid or not). */
static int read_plain(struct pctx *pc, const char *p, const char *e, struct flat *f)
{
    int parent = -1;
    f->n = 0;
    p = skip_ws(p, e);
    if (p >= e || *p++ != '{')
        return -1;
    p = skip_ws(p, e);
    if (p < e && *p == '}') {
        p++;
        goto closed;
    }
    for (;;) {
        p = skip_ws(p, e);
        if (p >= e || *p != '"' || f->n == FLAT_MAX)
            return -1;
        struct fmember *m = &f->m[f->n];
        if (!(m->key = plain_string(pc, &p, e)))
            return -1;
        p = skip_ws(p, e);
        if (p >= e || *p++ != ':')
            return -1;
        p = skip_ws(p, e);
        if (p >= e)
            return -1;
        m->parent = parent;
        m->i = 0;
        m->s = NULL;
        f->n++;
        if (*p == '"') {
            m->kind = F_STR;
            if (!(m->s = plain_string(pc, &p, e)))
                return -1;
        } else if (*p == '-' || (*p >= '0' && *p <= '9')) {
            bool minus = *p == '-';
            const char *d = p + minus, *q = d;
            while (q < e && *q >= '0' && *q <= '9')
                q++;
            /* JSON's integers: no leading zero, no more digits than int64
             * surely holds; reals and exponents go to jansson. */
            if (q == d || q - d > 18 || (*d == '0' && q - d > 1) ||
                (q < e && (*q == '.' || *q == 'e' || *q == 'E')))
                return -1;
            int64_t v = 0;
            for (const char *c = d; c < q; c++)
                v = v * 10 + (*c - '0');
            m->kind = F_INT;
            m->i = minus ? -v : v;
            p = q;
        } else if (e - p >= 4 && memcmp(p, "true", 4) == 0) {
            m->kind = F_TRUE;
            p += 4;
        } else if (e - p >= 5 && memcmp(p, "false", 5) == 0) {
            m->kind = F_FALSE;
            p += 5;
        } else if (e - p >= 4 && memcmp(p, "null", 4) == 0) {
            m->kind = F_NULL;
            p += 4;
        } else if (*p == '{' && parent < 0) { /* "metrics": one level down */
            m->kind = F_OBJ;
            parent = f->n - 1;
            p = skip_ws(p + 1, e);
            if (p < e && *p == '}') {
                p++;
                parent = -1;
            } else {
                continue;
            }
        } else {
            return -1;
        }
        for (;;) { /* after a value: the next member, or the end of objects */
            p = skip_ws(p, e);
            if (p >= e)
                return -1;
            if (*p == ',') {
                p++;
                break;
            }
            if (*p != '}')
                return -1;
            p++;
            if (parent < 0)
                goto closed;
            parent = -1;
        }
    }
closed:
    return skip_ws(p, e) == e ? 0 : -1;
}

/* The members line() reads, copied from jansson's object o; strings stay
 * jansson's (valid until o is freed). Only these keys, so that no object
 * overflows the list. */
static void from_json(json_t *o, int parent, struct flat *f)
{
    static const char *const keys[] = {
        "type",     "platform",     "account_id", "account_name", "taken_at",    "id",
        "post_id",  "metrics",      "body",       "format",       "permalink",   "lang",
        "link_url", "published_at", "kind",       "parent_id",    "author_name", "author_handle",
        "is_own",   "created_at",   "followers",  "reach",        "impressions"};
    size_t nk = parent < 0 ? ARRAY_LEN(keys) : 0;
    for (size_t k = 0; k < nk + PM_COUNT; k++) {
        const char *key = k < nk ? keys[k] : post_metric_names[k - nk];
        json_t *v = json_object_get(o, key);
        if (!v || fget(f, parent, key) || f->n == FLAT_MAX)
            continue;
        struct fmember *m = &f->m[f->n++];
        *m = (struct fmember){.key = key, .parent = parent, .kind = F_OTHER};
        if (json_is_null(v))
            m->kind = F_NULL;
        else if (json_is_true(v))
            m->kind = F_TRUE;
        else if (json_is_false(v))
            m->kind = F_FALSE;
        else if (json_is_integer(v))
            m->kind = F_INT, m->i = json_integer_value(v);
        else if (json_is_string(v))
            m->kind = F_STR, m->s = json_string_value(v);
        else if (json_is_object(v) && parent < 0) {
            m->kind = F_OBJ;
            from_json(v, f->n - 1, f);
        }
    }
}

static int metrics_into(const struct flat *f, int m, struct ingest_record *r, const char **badkey)
{
    bool bad = false;
    for (int i = 0; i < PM_COUNT && !bad; i++) {
        r->metrics[i] = num(f, m, post_metric_names[i], &bad);
        if (bad)
            *badkey = post_metric_names[i];
    }
    return bad ? -1 : 0;
}

static int line(struct pctx *pc, const struct flat *o, const char *where)
{
    const struct fmember *tv = fget(o, -1, "type");
    const char *type = tv && tv->kind == F_STR ? tv->s : NULL;
    struct ingest_record r;
    rec_init(&r, REC_POST, "%s", where);
    r.platform = fstr(pc, o, "platform");
    r.account_id = fstr(pc, o, "account_id");
    r.account_name = fstr(pc, o, "account_name");
    const char *badkey = NULL;
    bool bad = false;
    const struct fmember *t = fget(o, -1, "taken_at");
    r.taken_at = t ? ftime(o, "taken_at") : pc->opts->taken_at;
    if (t && !r.taken_at)
        return rec_reject(pc, where, "'taken_at' is not an ISO 8601 time or Unix seconds");
    if (!type)
        return rec_reject(pc, where,
                          "'type' is missing: post, metrics, message or "
                          "channel_metrics");
    if (str_eq(type, "post") || str_eq(type, "metrics")) {
        r.kind = str_eq(type, "post") ? REC_POST : REC_POST_METRICS;
        r.post_id = fstr(pc, o, r.kind == REC_POST ? "id" : "post_id");
        if (!r.post_id)
            return rec_reject(pc, where, "'%s' is missing", r.kind == REC_POST ? "id" : "post_id");
        const struct fmember *mv = r.kind == REC_POST ? fget(o, -1, "metrics") : NULL;
        /* A post's counts are in its "metrics" object, a metrics line's
         * at the top; jansson's json_object_get read any non-object
         * "metrics" as an object without members. */
        int m = mv ? (mv->kind == F_OBJ ? (int)(mv - o->m) : -2) : -1;
        bool has = r.kind != REC_POST || mv;
        if (has && metrics_into(o, m, &r, &badkey))
            return rec_reject(pc, where, "'%s' is not a count (a whole number, 0 or more)", badkey);
        r.has_metrics = has;
        if (r.kind == REC_POST_METRICS)
            return rec_emit(pc, &r);
        r.body = fstr(pc, o, "body");
        r.format = fstr(pc, o, "format");
        r.permalink = fstr(pc, o, "permalink");
        r.lang = fstr(pc, o, "lang");
        r.link_url = fstr(pc, o, "link_url");
        r.published_at = ftime(o, "published_at");
        if (!r.published_at)
            return rec_reject(pc, where, "'published_at' is missing or not a time");
        return rec_emit(pc, &r);
    }
    if (str_eq(type, "message")) {
        r.kind = REC_MESSAGE;
        r.msg_id = fstr(pc, o, "id");
        r.msg_kind = fstr(pc, o, "kind");
        if (!r.msg_kind)
            r.msg_kind = "comment";
        r.post_id = fstr(pc, o, "post_id");
        r.parent_msg_id = fstr(pc, o, "parent_id");
        r.author_name = fstr(pc, o, "author_name");
        r.author_handle = fstr(pc, o, "author_handle");
        r.body = fstr(pc, o, "body");
        r.lang = fstr(pc, o, "lang");
        r.is_own = fget(o, -1, "is_own") && fget(o, -1, "is_own")->kind == F_TRUE;
        r.created_at = ftime(o, "created_at");
        if (!r.msg_id)
            return rec_reject(pc, where, "'id' is missing");
        if (!r.created_at)
            return rec_reject(pc, where, "'created_at' is missing or not a time");
        return rec_emit(pc, &r);
    }
    if (str_eq(type, "channel_metrics")) {
        r.kind = REC_CHANNEL_METRICS;
        r.followers = num(o, -1, "followers", &bad);
        r.reach = num(o, -1, "reach", &bad);
        r.impressions = num(o, -1, "impressions", &bad);
        if (bad)
            return rec_reject(pc, where, "followers, reach and impressions must be counts");
        return rec_emit(pc, &r);
    }
    return rec_reject(pc, where, "unknown type '%.40s': post, metrics, message or channel_metrics",
                      type);
}

int parse_ndjson(struct pctx *pc, const char *data, size_t len, struct error *err)
{
    const char *p = data, *end = data + len;
    int64_t n = 0;
    struct flat flat;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *e = nl ? nl : end;
        n++;
        const char *s = p;
        p = nl ? nl + 1 : end;
        while (s < e && (*s == ' ' || *s == '\t' || *s == '\r'))
            s++;
        if (s == e)
            continue; /* blank lines are allowed, a trailing one especially */
        char where[32];
        snprintf(where, sizeof where, "line %lld", (long long)n);
        /* A file that is not UTF-8 is not kanal's NDJSON: all of it goes. */
        if (!utf8_valid(s, (size_t)(e - s)))
            return error_set(err, ERR_INVALID, "%s: the line is not UTF-8 text", where);
        int rc;
        if (read_plain(pc, s, e, &flat) == 0) {
            rc = line(pc, &flat, where);
        } else {
            json_error_t je;
            json_t *o = json_loadb(s, (size_t)(e - s), 0, &je);
            if (!json_is_object(o)) {
                rc = o ? rec_reject(pc, where, "expected a JSON object")
                       : rec_reject(pc, where, "column %d: not valid JSON: %s", je.column, je.text);
            } else {
                flat.n = 0;
                from_json(o, -1, &flat);
                rc = line(pc, &flat, where);
            }
            json_decref(o);
        }
        if (rc)
            return -1;
        /* Strings of this line were repaired into the arena: let it go. */
        if (n % 4096 == 0)
            arena_free(&pc->arena);
    }
    return 0;
}
