/* ndjson: kanal's own import schema (docs/ndjson.md): one JSON object a
 * line, "type" post, metrics, message or channel_metrics. It is what other
 * tools should write when they feed kanal, and what the bench measures. */
#include "ingest/internal.h"

#include <stdio.h>
#include <string.h>

static int64_t num(json_t *o, const char *key, bool *bad)
{
    json_t *v = json_object_get(o, key);
    if (!v || json_is_null(v))
        return -1;
    if (!json_is_integer(v) || json_integer_value(v) < 0) {
        *bad = true;
        return -1;
    }
    return json_integer_value(v);
}

static int metrics_into(json_t *m, struct ingest_record *r, const char **badkey)
{
    bool bad = false;
    for (int i = 0; i < PM_COUNT && !bad; i++) {
        r->metrics[i] = num(m, post_metric_names[i], &bad);
        if (bad)
            *badkey = post_metric_names[i];
    }
    return bad ? -1 : 0;
}

static int line(struct pctx *pc, json_t *o, const char *where)
{
    const char *type = json_string_value(json_object_get(o, "type"));
    struct ingest_record r;
    rec_init(&r, REC_POST, "%s", where);
    r.platform = jstr(pc, o, "platform");
    r.account_id = jstr(pc, o, "account_id");
    r.account_name = jstr(pc, o, "account_name");
    const char *badkey = NULL;
    bool bad = false;
    json_t *t = json_object_get(o, "taken_at");
    r.taken_at = t ? jtime(o, "taken_at") : pc->opts->taken_at;
    if (t && !r.taken_at)
        return rec_reject(pc, where, "'taken_at' is not an ISO 8601 time or Unix seconds");
    if (!type)
        return rec_reject(pc, where,
                          "'type' is missing: post, metrics, message or "
                          "channel_metrics");
    if (str_eq(type, "post") || str_eq(type, "metrics")) {
        r.kind = str_eq(type, "post") ? REC_POST : REC_POST_METRICS;
        r.post_id = jstr(pc, o, r.kind == REC_POST ? "id" : "post_id");
        if (!r.post_id)
            return rec_reject(pc, where, "'%s' is missing", r.kind == REC_POST ? "id" : "post_id");
        json_t *m = r.kind == REC_POST ? json_object_get(o, "metrics") : o;
        if (m && metrics_into(m, &r, &badkey))
            return rec_reject(pc, where, "'%s' is not a count (a whole number, 0 or more)", badkey);
        r.has_metrics = m != NULL;
        if (r.kind == REC_POST_METRICS)
            return rec_emit(pc, &r);
        r.body = jstr(pc, o, "body");
        r.format = jstr(pc, o, "format");
        r.permalink = jstr(pc, o, "permalink");
        r.lang = jstr(pc, o, "lang");
        r.link_url = jstr(pc, o, "link_url");
        r.published_at = jtime(o, "published_at");
        if (!r.published_at)
            return rec_reject(pc, where, "'published_at' is missing or not a time");
        return rec_emit(pc, &r);
    }
    if (str_eq(type, "message")) {
        r.kind = REC_MESSAGE;
        r.msg_id = jstr(pc, o, "id");
        r.msg_kind = jstr(pc, o, "kind");
        if (!r.msg_kind)
            r.msg_kind = "comment";
        r.post_id = jstr(pc, o, "post_id");
        r.parent_msg_id = jstr(pc, o, "parent_id");
        r.author_name = jstr(pc, o, "author_name");
        r.author_handle = jstr(pc, o, "author_handle");
        r.body = jstr(pc, o, "body");
        r.lang = jstr(pc, o, "lang");
        r.is_own = json_is_true(json_object_get(o, "is_own"));
        r.created_at = jtime(o, "created_at");
        if (!r.msg_id)
            return rec_reject(pc, where, "'id' is missing");
        if (!r.created_at)
            return rec_reject(pc, where, "'created_at' is missing or not a time");
        return rec_emit(pc, &r);
    }
    if (str_eq(type, "channel_metrics")) {
        r.kind = REC_CHANNEL_METRICS;
        r.followers = num(o, "followers", &bad);
        r.reach = num(o, "reach", &bad);
        r.impressions = num(o, "impressions", &bad);
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
        json_error_t je;
        json_t *o = json_loadb(s, (size_t)(e - s), 0, &je);
        int rc;
        if (!json_is_object(o))
            rc = o ? rec_reject(pc, where, "expected a JSON object")
                   : rec_reject(pc, where, "column %d: not valid JSON: %s", je.column, je.text);
        else
            rc = line(pc, o, where);
        json_decref(o);
        if (rc)
            return -1;
        /* Strings of this line were repaired into the arena: let it go. */
        if (n % 4096 == 0)
            arena_free(&pc->arena);
    }
    return 0;
}
