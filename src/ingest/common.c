/* ingest common: format names and detection, the JSON readers every parser
 * uses, mojibake repair, and the dispatch from a format to its parser. */
#include "ingest/internal.h"

#include <assert.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const format_names[INGEST_FORMAT_COUNT] = {
    "auto",         "meta-graph", "meta-webhook", "instagram", "x-api",       "x-archive",
    "youtube",      "mastodon",   "csv",          "ndjson",    "tiktok",      "tiktok-csv",
    "linkedin-xls", "bluesky",    "tiktok-api",   "threads",   "linkedin-api"};

const char *ingest_format_name(enum ingest_format f)
{
    return (unsigned)f < INGEST_FORMAT_COUNT ? format_names[f] : "?";
}

int ingest_format_parse(const char *name)
{
    for (int i = 0; i < INGEST_FORMAT_COUNT; i++)
        if (str_eq(name, format_names[i]))
            return i;
    return -1;
}

/* ---- records ------------------------------------------------------------------------- */

void rec_init(struct ingest_record *r, enum ingest_kind kind, const char *fmt, ...)
{
    memset(r, 0, sizeof *r);
    r->kind = kind;
    for (int i = 0; i < PM_COUNT; i++)
        r->metrics[i] = -1;
    r->followers = r->reach = r->impressions = -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->where, sizeof r->where, fmt, ap);
    va_end(ap);
}

void rec_start(struct ingest_record *r, enum ingest_kind kind, const char *platform,
               const char *where)
{
    rec_init(r, kind, "%s", where);
    r->platform = platform;
}

void rec_measured(struct pctx *pc, struct ingest_record *r)
{
    r->has_metrics = true;
    r->taken_at = pc->opts->taken_at;
}

void rec_account_now(struct pctx *pc, struct ingest_record *r, const char *platform,
                     const char *where)
{
    rec_start(r, REC_CHANNEL_METRICS, platform, where);
    r->taken_at = pc->opts->taken_at;
}

int rec_emit(struct pctx *pc, const struct ingest_record *r)
{
    /* Every record says where it came from, and a reject why: the rejects
     * file and error messages print both. */
    assert(r->where[0]);
    assert(r->kind != REC_REJECT || r->reason);
    assert(r->kind != REC_SKIP || (r->reason && r->skipped > 0));
    if (pc->stopped)
        return -1;
    if (pc->emit(pc->ctx, r)) {
        pc->stopped = true;
        return -1;
    }
    return 0;
}

int rec_reject(struct pctx *pc, const char *where, const char *fmt, ...)
{
    struct ingest_record r;
    rec_init(&r, REC_REJECT, "%s", where);
    char reason[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    r.reason = reason;
    return rec_emit(pc, &r);
}

int rec_share(struct pctx *pc, const char *where)
{
    struct ingest_record r;
    rec_init(&r, REC_SHARE, "%s", where);
    return rec_emit(pc, &r);
}

int rec_skip(struct pctx *pc, const char *where, int64_t n, const char *what)
{
    if (n <= 0)
        return 0;
    struct ingest_record r;
    rec_init(&r, REC_SKIP, "%s", where);
    r.reason = what;
    r.skipped = n;
    return rec_emit(pc, &r);
}

void ingest_counts_not_read(struct ingest_counts *c, const char *what, int64_t n)
{
    int i = 0;
    while (i < c->nnot_read && !str_eq(c->not_read[i].what, what))
        i++;
    if (i == c->nnot_read) {
        if (i == (int)ARRAY_LEN(c->not_read)) {
            i--; /* the last slot gathers the rest */
            snprintf(c->not_read[i].what, sizeof c->not_read[i].what, "%s", "other items");
        } else {
            snprintf(c->not_read[i].what, sizeof c->not_read[i].what, "%s", what);
            c->nnot_read++;
        }
    }
    c->not_read[i].n += n;
}

const char *with_title(struct pctx *pc, const char *title, const char *text)
{
    if (!title || !*title)
        return text;
    return text && *text ? arena_printf(&pc->arena, "%s\n\n%s", title, text) : title;
}

/* An entity at p ("&amp;", "&#39;", "&#x1F600;"): its code point, and
 * *len its length; -1 if p is no entity kanal knows. */
static int32_t entity(const char *p, size_t *len)
{
    static const struct {
        const char *name;
        int32_t cp;
    } named[] = {{"&amp;", '&'},  {"&lt;", '<'},    {"&gt;", '>'},
                 {"&quot;", '"'}, {"&apos;", '\''}, {"&nbsp;", 0xA0}};
    for (size_t i = 0; i < ARRAY_LEN(named); i++)
        if (str_starts_with(p, named[i].name)) {
            *len = strlen(named[i].name);
            return named[i].cp;
        }
    if (p[1] != '#')
        return -1;
    bool hex = p[2] == 'x' || p[2] == 'X';
    const char *digits = p + 2 + hex;
    char *end;
    long cp = strtol(digits, &end, hex ? 16 : 10);
    /* strtol takes a sign and spaces; an entity has neither. */
    if (end == digits || *end != ';' || end - digits > 7 ||
        !(hex ? isxdigit((unsigned char)*digits) : isdigit((unsigned char)*digits)) || cp < 1 ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return -1;
    *len = (size_t)(end + 1 - p);
    return (int32_t)cp;
}

const char *html_text(struct pctx *pc, const char *html, bool tags)
{
    if (!html)
        return NULL;
    struct buf b = {0};
    for (const char *p = html; *p;) {
        if (tags && *p == '<') {
            const char *e = strchr(p, '>');
            if (!e)
                break;
            /* Paragraphs are separated by a blank line, <br> is a newline;
             * nothing is added at the very end. */
            bool more = e[1] != '\0';
            if (str_starts_with(p, "<br") && more)
                buf_putc(&b, '\n');
            if (str_starts_with(p, "</p>") && more)
                buf_puts(&b, "\n\n");
            p = e + 1;
            continue;
        }
        size_t n = 0;
        int32_t cp = *p == '&' ? entity(p, &n) : -1;
        if (cp >= 0) {
            char u[4];
            buf_append(&b, u, utf8_encode((uint32_t)cp, u));
            p += n;
        } else if (str_starts_with(p, "\xEF\xBB\xBF")) {
            p += 3; /* U+FEFF, a byte-order mark inside text, is not text */
        } else {
            buf_putc(&b, *p++);
        }
    }
    const char *out = arena_strdup(&pc->arena, b.data ? b.data : "");
    buf_free(&b);
    return out;
}

/* ---- JSON readers --------------------------------------------------------------------- */

const char *jstr(struct pctx *pc, json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    if (json_is_string(v))
        return ingest_fix_mojibake(json_string_value(v), &pc->arena);
    if (json_is_integer(v))
        return arena_printf(&pc->arena, "%lld", (long long)json_integer_value(v));
    return NULL;
}

const char *lang_tag(const char *s)
{
    return s && strlen(s) <= 8 ? s : NULL;
}

int64_t jcount(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    int64_t n;
    if (json_is_integer(v))
        return json_integer_value(v) >= 0 ? json_integer_value(v) : -1;
    if (json_is_string(v) && str_to_i64(json_string_value(v), &n) == 0 && n >= 0)
        return n;
    return -1;
}

int64_t jtime(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    int64_t t;
    if (json_is_integer(v))
        return json_integer_value(v) > 0 ? json_integer_value(v) : 0;
    if (json_is_string(v) && time_parse_iso(json_string_value(v), &t) == 0)
        return t;
    return 0;
}

json_t *jpath(json_t *o, const char *const *keys)
{
    for (; *keys && o; keys++)
        o = json_object_get(o, *keys);
    return o;
}

int each_item(struct pctx *pc, json_t *array, const char *prefix, ingest_item_fn fn, void *arg)
{
    size_t i;
    json_t *x;
    json_array_foreach (array, i, x) {
        char where[128];
        snprintf(where, sizeof where, "%.100s[%zu]", prefix, i);
        int rc = fn(pc, x, where, arg);
        if (rc)
            return rc;
    }
    return 0;
}

int each_nested(struct pctx *pc, json_t *owner, const char *where, const char *edge,
                ingest_item_fn fn, void *arg)
{
    char prefix[128];
    snprintf(prefix, sizeof prefix, "%.90s.%s.data", where, edge);
    return each_item(pc, json_object_get(json_object_get(owner, edge), "data"), prefix, fn, arg);
}

int each_by_id(struct pctx *pc, json_t *objects, ingest_item_fn fn, void *arg)
{
    const char *id;
    json_t *x;
    json_object_foreach (objects, id, x) {
        char where[128];
        snprintf(where, sizeof where, "$[\"%.100s\"]", id);
        int rc = fn(pc, x, where, arg);
        if (rc)
            return rc;
    }
    return 0;
}

json_t *json_doc(const char *data, size_t len, struct error *err)
{
    json_error_t je;
    /* Duplicated keys are allowed: the platforms do not promise otherwise,
     * and jansson keeps the last one, as most readers do. */
    json_t *j = json_loadb(data, len, 0, &je);
    if (!j)
        error_set(err, ERR_INVALID, "line %d, column %d: not valid JSON: %s", je.line, je.column,
                  je.text);
    return j;
}

/* ---- mojibake ------------------------------------------------------------------------- */

const char *ingest_fix_mojibake(const char *s, struct arena *a)
{
    /* Only text whose every code point fits in a byte, with some above
     * ASCII, can be UTF-8 read as Latin-1; it is repaired only if those
     * bytes then form valid UTF-8 with at least one multi-byte sequence
     * ("café" as U+00E9 alone stays as it is). */
    const char *p = s, *end = s + strlen(s);
    size_t n = 0;
    bool high = false;
    while (p < end) {
        if ((unsigned char)*p < 0x80) {
            p++;
            n++;
            continue;
        }
        int32_t cp = utf8_decode(&p, end);
        if (cp < 0 || cp > 0xFF)
            return s;
        high = true;
        n++;
    }
    if (!high)
        return s;
    char *out = arena_alloc(a, n + 1);
    size_t o = 0;
    for (p = s; p < end;) {
        if ((unsigned char)*p < 0x80)
            out[o++] = *p++;
        else
            out[o++] = (char)utf8_decode(&p, end);
    }
    out[o] = '\0';
    return utf8_valid(out, o) ? out : s;
}

struct graph_edge graph_list_edge(struct pctx *pc, json_t *j)
{
    static const char *const next[] = {"paging", "next", NULL};
    static const char *const prev[] = {"paging", "previous", NULL};
    struct graph_edge e = {NULL, NULL};
    const char *url = json_string_value(jpath(j, next));
    if (!url)
        url = json_string_value(jpath(j, prev));
    const char *host = url ? strstr(url, "graph.facebook.com/") : NULL;
    if (!host)
        return e;
    const char *p = host + strlen("graph.facebook.com/");
    if (*p == 'v' && strchr(p, '/')) /* the API version */
        p = strchr(p, '/') + 1;
    size_t on = strcspn(p, "/?#");
    if (!on || p[on] != '/')
        return e;
    const char *edge = p + on + 1;
    size_t en = strcspn(edge, "/?#");
    if (!en || edge[en] == '/')
        return e;
    e.owner = arena_strndup(&pc->arena, p, on);
    e.name = arena_strndup(&pc->arena, edge, en);
    return e;
}

/* ---- detection ------------------------------------------------------------------------ */

static const char *skip_space(const char *p, const char *end)
{
    if (end - p >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
        p += 3;
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
        p++;
    return p;
}

static bool has_key(json_t *o, const char *k)
{
    return json_object_get(o, k) != NULL;
}

static enum ingest_format detect_json(json_t *j)
{
    if (json_is_array(j)) {
        json_t *first = json_array_get(j, 0);
        if (has_key(first, "account") &&
            (has_key(first, "content") || (has_key(first, "type") && has_key(first, "status"))))
            return INGEST_MASTODON; /* statuses, or notifications */
        if (has_key(first, "tweet"))
            return INGEST_X_ARCHIVE;
        /* Graph names its times *_time: posts and comments saved as a bare
         * array (a group feed has only updated_time). */
        if (has_key(first, "id") &&
            (has_key(first, "created_time") || has_key(first, "updated_time")))
            return INGEST_META_GRAPH;
        return INGEST_AUTO;
    }
    if (!json_is_object(j))
        return INGEST_AUTO;
    /* The AT Protocol's answers (Bluesky): records are known by at:// URIs. */
    json_t *item = json_array_get(json_object_get(j, "feed"), 0);
    json_t *note = json_array_get(json_object_get(j, "notifications"), 0);
    const char *uri = json_string_value(json_object_get(json_object_get(item, "post"), "uri"));
    if (!uri)
        uri = json_string_value(json_object_get(note, "uri"));
    if (!uri)
        uri = json_string_value(
            json_object_get(json_object_get(json_object_get(j, "thread"), "post"), "uri"));
    if (uri && str_starts_with(uri, "at://"))
        return INGEST_BLUESKY;
    const char *did = json_string_value(json_object_get(j, "did"));
    if (did && str_starts_with(did, "did:") && has_key(j, "handle") && has_key(j, "followersCount"))
        return INGEST_BLUESKY; /* a profile */
    const char *type = json_string_value(json_object_get(j, "type"));
    if (type && (str_eq(type, "post") || str_eq(type, "metrics") || str_eq(type, "message") ||
                 str_eq(type, "channel_metrics")))
        return INGEST_NDJSON; /* a one-line file of kanal's own */
    if (has_key(j, "account") && has_key(j, "content") && has_key(j, "created_at"))
        return INGEST_MASTODON; /* one status */
    if (has_key(j, "acct") && has_key(j, "username") && has_key(j, "followers_count"))
        return INGEST_MASTODON; /* an account: verify_credentials */
    /* TikTok's data download: its sections are named in English words. */
    if (has_key(json_object_get(j, "Video"), "Videos") ||
        has_key(json_object_get(j, "Post"), "Posts") ||
        has_key(json_object_get(j, "Profile"), "Profile Information"))
        return INGEST_TIKTOK;
    const char *object = json_string_value(json_object_get(j, "object"));
    if (object && json_is_array(json_object_get(j, "entry")))
        return INGEST_META_WEBHOOK;
    /* LinkedIn's REST answers: authors and shares are urn:li: URNs. */
    json_t *el = json_array_get(json_object_get(j, "elements"), 0);
    const char *urn = json_string_value(json_object_get(el, "author"));
    if (!urn)
        urn = json_string_value(json_object_get(el, "actor")); /* a comment */
    if ((urn && str_starts_with(urn, "urn:li:")) || json_object_get(el, "totalShareStatistics") ||
        json_object_get(j, "firstDegreeSize"))
        return INGEST_LINKEDIN_API;
    const char *kind = json_string_value(json_object_get(j, "kind"));
    if (kind && str_starts_with(kind, "youtube#"))
        return INGEST_YOUTUBE;
    if (has_key(j, "includes") || has_key(j, "meta"))
        return INGEST_X_API;
    json_t *data = json_object_get(j, "data");
    json_t *first = json_is_array(data) ? json_array_get(data, 0) : data;
    /* Instagram before X: its media carry a "username" too (stories,
     * tagged media), but X never says "timestamp" or "media_type". */
    if (has_key(first, "timestamp") || has_key(first, "media_type") ||
        has_key(first, "media_url") || has_key(j, "mentioned_comment") ||
        has_key(j, "business_discovery"))
        return INGEST_INSTAGRAM;
    if (has_key(first, "tweet_count") || has_key(first, "event_type") ||
        has_key(first, "username") || has_key(first, "author_id") ||
        (has_key(first, "text") && has_key(first, "created_at")))
        return INGEST_X_API;
    if (has_key(first, "name") && has_key(first, "period") &&
        (has_key(first, "values") || has_key(first, "total_value"))) {
        /* Insights: Facebook's metrics are page_* and post_*, and its post
         * ids PAGE_POST; Instagram's are plain names of plain ids. */
        const char *id = json_string_value(json_object_get(first, "id"));
        const char *name = json_string_value(json_object_get(first, "name"));
        size_t owner = id ? strcspn(id, "/") : 0;
        bool fb = (id && memchr(id, '_', owner)) ||
                  (name && (str_starts_with(name, "page_") || str_starts_with(name, "post_")));
        return fb ? INGEST_META_GRAPH : INGEST_INSTAGRAM;
    }
    if (has_key(first, "created_time") || has_key(first, "updated_time") ||
        has_key(first, "permalink_url") || has_key(j, "fan_count") || has_key(j, "created_time"))
        return INGEST_META_GRAPH;
    /* Graph's answer to ?ids=A,B: {"A": {...}, "B": {...}}. */
    const char *k;
    json_t *v;
    json_object_foreach (j, k, v) {
        if (has_key(v, "media_type") || has_key(v, "timestamp"))
            return INGEST_INSTAGRAM;
        if (has_key(v, "id") &&
            (has_key(v, "created_time") || has_key(v, "permalink_url") || has_key(v, "fan_count")))
            return INGEST_META_GRAPH;
        break;
    }
    return INGEST_AUTO;
}

enum ingest_format ingest_detect(const char *data, size_t len, const char *filename)
{
    /* An Excel 97-2003 workbook (OLE2 compound file): kanal reads
     * LinkedIn's page analytics exports in it. */
    if (len >= 8 && memcmp(data, "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8) == 0)
        return INGEST_LINKEDIN_XLS;
    const char *end = data + len, *p = skip_space(data, end);
    if (end - p >= 7 && memcmp(p, "window.", 7) == 0)
        return INGEST_X_ARCHIVE;
    if (p < end && (*p == '{' || *p == '[')) {
        json_error_t je;
        json_t *j = json_loadb(p, (size_t)(end - p), 0, &je);
        if (j) {
            enum ingest_format f = detect_json(j);
            json_decref(j);
            return f;
        }
        /* Several JSON documents, one a line: kanal's own NDJSON. */
        if (*p == '{') {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            if (nl && (j = json_loadb(p, (size_t)(nl - p), 0, &je))) {
                bool ours = has_key(j, "type");
                json_decref(j);
                if (ours)
                    return INGEST_NDJSON;
            }
        }
        return INGEST_AUTO;
    }
    const char *dot = filename ? strrchr(filename, '.') : NULL;
    /* TikTok's exports are CSV files of fixed layouts, told by the header. */
    if (p < end && tiktok_csv_header(data, len))
        return INGEST_TIKTOK_CSV;
    if (p < end && (dot && (str_eq(dot, ".csv") || str_eq(dot, ".CSV"))))
        return INGEST_CSV;
    /* A header line with commas or tabs and no braces reads as CSV. */
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    size_t first = nl ? (size_t)(nl - p) : (size_t)(end - p);
    if (first && (memchr(p, ',', first) || memchr(p, ';', first) || memchr(p, '\t', first)))
        return INGEST_CSV;
    return INGEST_AUTO;
}

/* ---- dispatch ------------------------------------------------------------------------- */

int ingest_parse(enum ingest_format f, const char *data, size_t len, const struct ingest_opts *opts,
                 ingest_emit_fn emit, void *ctx, struct error *err)
{
    static int (*const parsers[INGEST_FORMAT_COUNT])(struct pctx *, const char *, size_t,
                                                     struct error *) = {
        [INGEST_X_ARCHIVE] = parse_x_archive,
        [INGEST_CSV] = parse_csv,
        [INGEST_NDJSON] = parse_ndjson,
        [INGEST_TIKTOK_CSV] = parse_tiktok_csv,
        [INGEST_LINKEDIN_XLS] = parse_linkedin_xls,
    };
    static int (*const readers[INGEST_FORMAT_COUNT])(struct pctx *, json_t *, struct error *) = {
        [INGEST_META_GRAPH] = read_meta_graph,
        [INGEST_META_WEBHOOK] = read_meta_webhook,
        [INGEST_INSTAGRAM] = read_instagram,
        [INGEST_X_API] = read_x_api,
        [INGEST_YOUTUBE] = read_youtube,
        [INGEST_MASTODON] = read_mastodon,
        [INGEST_TIKTOK] = read_tiktok,
        [INGEST_BLUESKY] = read_bluesky,
        [INGEST_TIKTOK_API] = read_tiktok_api,
        [INGEST_THREADS] = read_threads,
        [INGEST_LINKEDIN_API] = read_linkedin_api,
    };
    if (f == INGEST_AUTO)
        f = ingest_detect(data, len, NULL);
    if ((unsigned)f >= INGEST_FORMAT_COUNT || (!parsers[f] && !readers[f]))
        return error_set(err, ERR_INVALID, "cannot tell the file's format; name it with --format");
    assert(emit && (data || len == 0));
    struct ingest_opts none = {0};
    struct pctx pc = {.opts = opts ? opts : &none, .emit = emit, .ctx = ctx};
    int rc;
    if (readers[f]) {
        json_t *j = json_doc(data, len, err);
        rc = j ? readers[f](&pc, j, err) : -1;
        json_decref(j);
    } else {
        rc = parsers[f](&pc, data, len, err);
    }
    if (pc.stopped)
        rc = -1;
    arena_free(&pc.arena);
    return rc;
}
