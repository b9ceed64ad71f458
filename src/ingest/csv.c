/* csv: export files read through a column mapping (docs/csv-mappings.md):
 * an RFC 4180 reader (quotes, doubled quotes, CRLF, newlines in cells;
 * comma, semicolon or tab, whichever the header uses) and the mappings kanal
 * ships for Meta Business Suite post exports and the UCI Facebook-metrics
 * layout. Each row is one post with a metric snapshot. */
#include "ingest/internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* What a mapping can fill. The metric fields follow post_metric_names. */
enum cfield {
    CF_ID,
    CF_BODY,
    CF_TITLE,
    CF_PUBLISHED,
    CF_FORMAT,
    CF_PERMALINK,
    CF_LINK,
    CF_LANG,
    CF_ACCOUNT_ID,
    CF_ACCOUNT_NAME,
    CF_TAKEN,
    CF_MONTH, /* with `year`: layouts that give only month and hour */
    CF_HOUR,
    CF_WEEKDAY, /* 1 Sunday ... 7 Saturday: places such a post on its weekday */
    CF_METRIC0,
    CF_COUNT = CF_METRIC0 + PM_COUNT
};
static const char *const cfield_names[CF_METRIC0] = {
    "id",   "body",       "title",        "published_at", "format", "permalink", "link_url",
    "lang", "account_id", "account_name", "taken_at",     "month",  "hour",      "weekday"};

#define MAX_VALUE_MAP 32

struct csv_mapping {
    char *name, *platform;
    /* The zone of the file's local times: "UTC", an IANA name, or
     * "workspace" (the importing workspace's). */
    char *zone;
    char *column[CF_COUNT]; /* header names; "@row" for the data row number */
    int year;
    char *match[8]; /* headers that must all be present for detection */
    int nmatch;
    struct {
        char *from, *to;
    } formats[MAX_VALUE_MAP];
    int nformats;
};

void csv_mapping_free(struct csv_mapping *m)
{
    if (!m)
        return;
    free(m->name);
    free(m->platform);
    free(m->zone);
    for (int i = 0; i < CF_COUNT; i++)
        free(m->column[i]);
    for (int i = 0; i < m->nmatch; i++)
        free(m->match[i]);
    for (int i = 0; i < m->nformats; i++) {
        free(m->formats[i].from);
        free(m->formats[i].to);
    }
    free(m);
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    return s;
}

static int field_index(const char *name)
{
    for (int i = 0; i < CF_METRIC0; i++)
        if (str_eq(name, cfield_names[i]))
            return i;
    for (int i = 0; i < PM_COUNT; i++)
        if (str_eq(name, post_metric_names[i]))
            return CF_METRIC0 + i;
    return -1;
}

struct csv_mapping *csv_mapping_parse(const char *text, size_t len, struct error *err)
{
    struct csv_mapping *m = xcalloc(1, sizeof *m);
    char *copy = xmalloc(len + 1);
    memcpy(copy, text, len);
    copy[len] = '\0';
    int lineno = 0;
    char *save = NULL;
    for (char *ln = copy; ln; ln = save) {
        save = strchr(ln, '\n');
        if (save)
            *save++ = '\0';
        lineno++;
        char *s = trim(ln);
        if (!*s || *s == '#')
            continue;
        char *eq = strchr(s, '=');
        if (!eq) {
            error_set(err, ERR_INVALID, "mapping line %d: expected 'field = column'", lineno);
            goto fail;
        }
        *eq = '\0';
        char *key = trim(s), *val = trim(eq + 1);
        int fi;
        if (str_eq(key, "name")) {
            free(m->name);
            m->name = xstrdup(val);
        } else if (str_eq(key, "platform")) {
            free(m->platform);
            m->platform = xstrdup(val);
        } else if (str_eq(key, "zone")) {
            struct tz *z =
                str_eq(val, "workspace") || str_eq(val, "UTC") ? NULL : tz_load(val, err);
            if (!z && !str_eq(val, "workspace") && !str_eq(val, "UTC")) {
                error_set(err, ERR_INVALID,
                          "mapping line %d: zone '%.60s' is not UTC, workspace or an IANA zone "
                          "(Europe/Stockholm)",
                          lineno, val);
                goto fail;
            }
            tz_free(z);
            free(m->zone);
            m->zone = xstrdup(val);
        } else if (str_eq(key, "year")) {
            int64_t y;
            if (str_to_i64(val, &y) || y < 1970 || y > 9999) {
                error_set(err, ERR_INVALID, "mapping line %d: year must be from 1970 to 9999",
                          lineno);
                goto fail;
            }
            m->year = (int)y;
        } else if (str_eq(key, "match")) {
            if (m->nmatch == (int)ARRAY_LEN(m->match)) {
                error_set(err, ERR_INVALID, "mapping line %d: at most %zu match lines", lineno,
                          ARRAY_LEN(m->match));
                goto fail;
            }
            m->match[m->nmatch++] = xstrdup(val);
        } else if (str_starts_with(key, "format.")) {
            if (m->nformats == MAX_VALUE_MAP) {
                error_set(err, ERR_INVALID, "mapping line %d: at most %d format values", lineno,
                          MAX_VALUE_MAP);
                goto fail;
            }
            m->formats[m->nformats].from = xstrdup(key + strlen("format."));
            m->formats[m->nformats++].to = xstrdup(val);
        } else if ((fi = field_index(key)) >= 0) {
            free(m->column[fi]);
            m->column[fi] = xstrdup(val);
        } else {
            error_set(err, ERR_INVALID, "mapping line %d: unknown field '%.60s'", lineno, key);
            goto fail;
        }
    }
    if (!m->column[CF_ID] || (!m->column[CF_PUBLISHED] && !(m->year && m->column[CF_MONTH]))) {
        error_set(err, ERR_INVALID,
                  "the mapping needs 'id' and 'published_at' (or 'year' with 'month')");
        goto fail;
    }
    /* Exports write local times, and only the mapping's author knows whose. */
    if (!m->zone) {
        error_set(err, ERR_INVALID,
                  "the mapping needs 'zone': the time zone of the file's times (an IANA name "
                  "such as Europe/Stockholm, UTC, or workspace for the importing workspace's)");
        goto fail;
    }
    free(copy);
    return m;
fail:
    free(copy);
    csv_mapping_free(m);
    return NULL;
}

static const char meta_business_suite[] =
    "# Meta Business Suite > Insights > Content > Export (posts, CSV)\n"
    "name = meta-business-suite\n"
    "platform = facebook\n"
    "# Publish time is the page's local time, which kanal takes as the workspace's.\n"
    "zone = workspace\n"
    "match = Post ID\n"
    "match = Publish time\n"
    "id = Post ID\n"
    "account_id = Page ID\n"
    "account_name = Page name\n"
    "body = Description\n"
    "title = Title\n"
    "published_at = Publish time\n"
    "permalink = Permalink\n"
    "format = Post type\n"
    "format.Photos = photo\nformat.Photo = photo\nformat.Videos = video\n"
    "format.Video = video\nformat.Reels = reel\nformat.Reel = reel\n"
    "format.Links = link\nformat.Link = link\nformat.Text = status\nformat.Status = status\n"
    "format.Albums = carousel\nformat.Carousel = carousel\nformat.Live = live\n"
    "format.Stories = story\nformat.Story = story\n"
    "reach = Reach\n"
    "# Meta replaced impressions with views in 2025; exports carry one or the other.\n"
    "impressions = Impressions | Views\n"
    "reactions = Reactions\n"
    "comments = Comments\n"
    "shares = Shares\n"
    "# CTR wants clicks on the post's link; Total clicks counts every click on the post.\n"
    "clicks = Link clicks\n"
    "video_views = 3-second video views\n";

static const char meta_business_suite_instagram[] =
    "# Meta Business Suite > Insights > Content > Export, Instagram account (CSV)\n"
    "name = meta-business-suite-instagram\n"
    "platform = instagram\n"
    "zone = workspace\n"
    "match = Post ID\n"
    "match = Account username\n"
    "match = Publish time\n"
    "id = Post ID\n"
    "account_id = Account ID\n"
    "account_name = Account username\n"
    "body = Description\n"
    "published_at = Publish time\n"
    "permalink = Permalink\n"
    "format = Post type\n"
    "format.IG image = photo\nformat.IG carousel = carousel\nformat.IG reel = reel\n"
    "format.IG video = video\nformat.IG story = story\nformat.IG stories = story\n"
    "reach = Reach\n"
    "impressions = Impressions | Views\n"
    "reactions = Likes\n"
    "comments = Comments\n"
    "shares = Shares\n"
    "saves = Saves\n"
    "video_views = Plays\n";

static const char uci_facebook_metrics[] =
    "# Moro, Rita & Vala (2016), UCI \"Facebook metrics\": one brand's page in 2014.\n"
    "# No post id or date: rows are numbered, and a post is placed at its hour on the\n"
    "# first day of its month that is its weekday (1 Sunday ... 7 Saturday): the day of\n"
    "# the month is made up, the month, weekday and hour are the file's. The hour is\n"
    "# local; the file does not say where, so it is taken as the workspace's.\n"
    "name = uci-facebook-metrics\n"
    "platform = facebook\n"
    "zone = workspace\n"
    "match = Lifetime Post Total Reach\n"
    "match = Post Month\n"
    "id = @row\n"
    "year = 2014\n"
    "month = Post Month\n"
    "hour = Post Hour\n"
    "weekday = Post Weekday\n"
    "format = Type\n"
    "format.Photo = photo\nformat.Status = status\nformat.Link = link\nformat.Video = video\n"
    "reach = Lifetime Post Total Reach\n"
    "impressions = Lifetime Post Total Impressions\n"
    "reactions = like\n"
    "comments = comment\n"
    "shares = share\n"
    "clicks = Lifetime Post Consumers\n";

/* In the order detection tries them: the Instagram export has the Facebook
 * one's match columns too. */
static const struct {
    const char *name, *text;
    size_t len;
} builtins[] = {
#define BUILTIN(n, t)                                                                              \
    {                                                                                              \
        n, t, sizeof t - 1                                                                         \
    }
    BUILTIN("meta-business-suite-instagram", meta_business_suite_instagram),
    BUILTIN("meta-business-suite", meta_business_suite),
    BUILTIN("uci-facebook-metrics", uci_facebook_metrics),
#undef BUILTIN
};

/* Parsed once and kept: the CLI and the fuzzers are single-threaded users. */
const struct csv_mapping *csv_mapping_builtin(const char *name)
{
    static struct csv_mapping *parsed[ARRAY_LEN(builtins)];
    struct error err = {0};
    for (size_t i = 0; i < ARRAY_LEN(builtins); i++) {
        if (!str_eq(name, builtins[i].name))
            continue;
        if (!parsed[i])
            parsed[i] = csv_mapping_parse(builtins[i].text, builtins[i].len, &err);
        return parsed[i];
    }
    return NULL;
}

/* ---- reading ---------------------------------------------------------------------------- */

void csv_reader_start(struct csv_reader *rd, const char *data, size_t len)
{
    memset(rd, 0, sizeof *rd);
    rd->p = data;
    rd->end = data + len;
    rd->line = 1;
    if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
        rd->p += 3;
    /* The header's own separator: whichever of , ; TAB it has most of. */
    const char *nl = memchr(rd->p, '\n', (size_t)(rd->end - rd->p));
    const char *he = nl ? nl : rd->end;
    int counts[3] = {0};
    for (const char *q = rd->p; q < he; q++)
        counts[0] += *q == ',', counts[1] += *q == ';', counts[2] += *q == '\t';
    rd->delim = counts[2] > counts[0] && counts[2] > counts[1] ? '\t'
                : counts[1] > counts[0]                        ? ';'
                                                               : ',';
}

int csv_next_row(struct csv_reader *rd, struct pctx *pc, size_t nh, char where[32], int64_t *rowno,
                 struct error *err)
{
    for (;;) {
        int64_t start = rd->line;
        int got = csv_read_row(rd);
        if (got == 0)
            return 0;
        snprintf(where, 32, "line %lld", (long long)start);
        if (got < 0)
            return error_set(err, ERR_INVALID,
                             "%s: a quoted cell is not closed before the file ends", where);
        if (rd->ncells == 1 && !*rd->cells[0])
            continue; /* blank line */
        if (rowno)
            ++*rowno;
        if (rd->ncells == nh)
            return 1;
        if (rec_reject(pc, where, "%zu cells where the header has %zu", rd->ncells, nh))
            return -1;
    }
}

void csv_reader_free(struct csv_reader *rd)
{
    buf_free(&rd->cell);
    free(rd->cells);
    free(rd->offs);
}

int csv_read_header(struct csv_reader *rd, struct error *err)
{
    int hr = csv_read_row(rd);
    if (hr > 0)
        return 0;
    return error_set(err, ERR_INVALID, "line 1: %s",
                     hr == 0 ? "the file is empty; a header line was expected"
                             : "a quoted header cell is not closed");
}

int csv_read_row(struct csv_reader *r)
{
    if (r->p >= r->end)
        return 0;
    buf_reset(&r->cell);
    r->ncells = 0;
    for (;;) {
        if (r->ncells == r->cap) {
            r->cap = r->cap ? r->cap * 2 : 32;
            r->offs = xrealloc(r->offs, r->cap * sizeof *r->offs);
            r->cells = xrealloc(r->cells, r->cap * sizeof *r->cells);
        }
        r->offs[r->ncells++] = r->cell.len;
        if (r->p < r->end && *r->p == '"') {
            r->p++;
            for (;;) {
                if (r->p >= r->end)
                    return -1;
                if (*r->p == '"') {
                    if (r->p + 1 < r->end && r->p[1] == '"') {
                        buf_putc(&r->cell, '"');
                        r->p += 2;
                        continue;
                    }
                    r->p++;
                    break;
                }
                if (*r->p == '\n')
                    r->line++;
                buf_putc(&r->cell, *r->p++);
            }
        }
        while (r->p < r->end && *r->p != r->delim && *r->p != '\n' && *r->p != '\r')
            buf_putc(&r->cell, *r->p++);
        buf_putc(&r->cell, '\0');
        if (r->p < r->end && *r->p == r->delim) {
            r->p++;
            continue;
        }
        if (r->p < r->end && *r->p == '\r')
            r->p++;
        if (r->p < r->end && *r->p == '\n')
            r->p++;
        r->line++;
        break;
    }
    for (size_t i = 0; i < r->ncells; i++)
        r->cells[i] = r->cell.data + r->offs[i];
    return 1;
}

static bool header_has(char **cells, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (str_eq(cells[i], name))
            return true;
    return false;
}

int csv_count(const char *s, int64_t *out)
{
    /* Exports group thousands ("1,234" or "1 234"); kanal reads the digits. */
    char digits[32];
    size_t n = 0;
    for (; *s; s++) {
        if (isdigit((unsigned char)*s)) {
            if (n + 1 == sizeof digits)
                return -1;
            digits[n++] = *s;
        } else if (*s != ',' && *s != ' ') {
            return -1;
        }
    }
    digits[n] = '\0';
    return n ? str_to_i64(digits, out) : -1;
}

bool csv_named(const char *s, size_t n, const char *names)
{
    for (const char *a = names; a;) {
        const char *bar = strchr(a, '|');
        size_t an = bar ? (size_t)(bar - a) : strlen(a);
        if (an == n && strncasecmp(a, s, n) == 0)
            return true;
        a = bar ? bar + 1 : NULL;
    }
    return false;
}

/* The instant of wall-clock time `wall` (seconds as if it were UTC) in
 * zone z (NULL: UTC). In a DST gap or overlap it takes the offset in force
 * just before. */
int64_t csv_local_instant(const struct tz *z, int64_t wall)
{
    return z ? wall - tz_offset(z, wall - tz_offset(z, wall)) : wall;
}

/* Whether an ISO 8601 text says its offset ("Z", "+02:00", "-0500"): the
 * date's own '-'s come before the time. */
static bool iso_has_offset(const char *s)
{
    const char *time = strpbrk(s, "T ");
    return time && strpbrk(time, "Zz+-");
}

/* "2024-03-01T10:00:00Z" and the others time_parse_iso reads, Unix
 * seconds, and Meta Business Suite's "03/01/2024 10:00" (month first).
 * Times without an offset are wall-clock times in zone z. */
static int parse_when(const char *s, const struct tz *z, int64_t *t)
{
    if (time_parse_iso(s, t) == 0) {
        if (!iso_has_offset(s))
            *t = csv_local_instant(z, *t);
        return 0;
    }
    if (str_to_i64(s, t) == 0 && *t > 0) /* Unix seconds */
        return 0;
    int mo, d, y, h = 0, mi = 0;
    char tail;
    int n = sscanf(s, "%d/%d/%d %d:%d%c", &mo, &d, &y, &h, &mi, &tail);
    if ((n != 3 && n != 5) || mo < 1 || mo > 12 || d < 1 || d > 31 || y < 1970 || y > 9999 ||
        h < 0 || h > 23 || mi < 0 || mi > 59)
        return -1;
    *t = csv_local_instant(z, time_days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 +
                                  h * 3600 + mi * 60);
    return 0;
}

static int row(struct pctx *pc, const struct csv_mapping *m, const struct tz *z, const int *col,
               char *const *name, char **cells, size_t n, int64_t rowno, const char *where)
{
    const char *v[CF_COUNT] = {0};
    for (int f = 0; f < CF_COUNT; f++) {
        if (col[f] >= 0 && (size_t)col[f] < n)
            v[f] = ingest_fix_mojibake(cells[col[f]], &pc->arena);
        else if (col[f] >= 0)
            v[f] = "";
    }
    struct ingest_record r;
    rec_start(&r, REC_POST, m->platform, where);
    r.post_id =
        col[CF_ID] == -2 ? arena_printf(&pc->arena, "row-%lld", (long long)rowno) : v[CF_ID];
    if (!r.post_id || !*r.post_id)
        return rec_reject(pc, where, "column '%s' (the post id) is empty", name[CF_ID]);
    r.body = with_title(pc, v[CF_TITLE], v[CF_BODY]);
    r.permalink = v[CF_PERMALINK] && *v[CF_PERMALINK] ? v[CF_PERMALINK] : NULL;
    r.link_url = v[CF_LINK] && *v[CF_LINK] ? v[CF_LINK] : NULL;
    r.lang = v[CF_LANG] && *v[CF_LANG] && strlen(v[CF_LANG]) <= 8 ? v[CF_LANG] : NULL;
    r.account_id = v[CF_ACCOUNT_ID] && *v[CF_ACCOUNT_ID] ? v[CF_ACCOUNT_ID] : NULL;
    r.account_name = v[CF_ACCOUNT_NAME] && *v[CF_ACCOUNT_NAME] ? v[CF_ACCOUNT_NAME] : NULL;
    if (v[CF_PUBLISHED]) {
        if (parse_when(v[CF_PUBLISHED], z, &r.published_at))
            return rec_reject(pc, where, "column '%s' is not a time: '%.40s'", name[CF_PUBLISHED],
                              v[CF_PUBLISHED]);
    } else {
        int64_t mo, h = 0;
        if (str_to_i64(v[CF_MONTH], &mo) || mo < 1 || mo > 12)
            return rec_reject(pc, where, "column '%s' is not a month (1-12): '%.20s'",
                              name[CF_MONTH], v[CF_MONTH]);
        if (v[CF_HOUR] && *v[CF_HOUR] && (str_to_i64(v[CF_HOUR], &h) || h < 0 || h > 23))
            return rec_reject(pc, where, "column '%s' is not an hour (0-23): '%.20s'",
                              name[CF_HOUR], v[CF_HOUR]);
        int64_t day = time_days_from_civil(m->year, (unsigned)mo, 1), wd = 0;
        if (v[CF_WEEKDAY] && *v[CF_WEEKDAY]) {
            if (str_to_i64(v[CF_WEEKDAY], &wd) || wd < 1 || wd > 7)
                return rec_reject(pc, where,
                                  "column '%s' is not a weekday (1 Sunday ... 7 Saturday): '%.20s'",
                                  name[CF_WEEKDAY], v[CF_WEEKDAY]);
            /* 1970-01-01 was a Thursday: (day + 4) % 7 is 0 on Sundays. */
            day += ((wd - 1) - (day + 4) % 7 + 7) % 7;
        }
        r.published_at = csv_local_instant(z, day * 86400 + h * 3600);
    }
    r.format = "status";
    if (v[CF_FORMAT] && *v[CF_FORMAT]) {
        r.format = NULL;
        for (int i = 0; i < m->nformats && !r.format; i++)
            if (str_eq(m->formats[i].from, v[CF_FORMAT]))
                r.format = m->formats[i].to;
        if (!r.format)
            return rec_reject(pc, where, "column '%s': '%.40s' is not a format the mapping knows",
                              name[CF_FORMAT], v[CF_FORMAT]);
    }
    r.taken_at = pc->opts->taken_at;
    if (v[CF_TAKEN] && *v[CF_TAKEN] && parse_when(v[CF_TAKEN], z, &r.taken_at))
        return rec_reject(pc, where, "column '%s' is not a time: '%.40s'", name[CF_TAKEN],
                          v[CF_TAKEN]);
    for (int i = 0; i < PM_COUNT; i++) {
        const char *s = v[CF_METRIC0 + i];
        if (!s || !*s)
            continue; /* an empty cell: not reported */
        if (csv_count(s, &r.metrics[i]))
            return rec_reject(pc, where, "column '%s' is not a number: '%.40s'",
                              name[CF_METRIC0 + i], s);
        r.has_metrics = true;
    }
    return rec_emit(pc, &r);
}

int parse_csv(struct pctx *pc, const char *data, size_t len, struct error *err)
{
    struct csv_reader rd;
    csv_reader_start(&rd, data, len);
    int rc = -1;
    struct tz *own = NULL; /* the mapping's zone, when it names one */
    if (csv_read_header(&rd, err))
        goto done;
    char **hdr = xmalloc(rd.ncells * sizeof *hdr);
    size_t nh = rd.ncells;
    for (size_t i = 0; i < nh; i++)
        hdr[i] = xstrdup(trim(rd.cells[i]));
    const struct csv_mapping *m = pc->opts->mapping;
    for (size_t b = 0; !m && b < ARRAY_LEN(builtins); b++) {
        const struct csv_mapping *c = csv_mapping_builtin(builtins[b].name);
        bool all = c && c->nmatch > 0;
        for (int k = 0; all && k < c->nmatch; k++)
            all = header_has(hdr, nh, c->match[k]);
        if (all)
            m = c;
    }
    int col[CF_COUNT];
    char *hdr_of[CF_COUNT]; /* the header each field was found under */
    if (!m) {
        error_set(err, ERR_INVALID,
                  "line 1: the header matches no CSV mapping kanal ships "
                  "(meta-business-suite, meta-business-suite-instagram, uci-facebook-metrics); "
                  "give one with --mapping");
        goto free_hdr;
    }
    for (int f = 0; f < CF_COUNT; f++) {
        col[f] = -1;
        hdr_of[f] = m->column[f];
        if (!m->column[f])
            continue;
        if (str_eq(m->column[f], "@row")) {
            col[f] = -2;
            continue;
        }
        /* "A | B": the first of these columns the file has. */
        for (const char *alt = m->column[f]; alt && col[f] < 0;) {
            const char *bar = strchr(alt, '|');
            size_t an = bar ? (size_t)(bar - alt) : strlen(alt);
            while (an && alt[an - 1] == ' ')
                an--;
            for (size_t i = 0; i < nh && col[f] < 0; i++)
                if (strlen(hdr[i]) == an && memcmp(hdr[i], alt, an) == 0)
                    col[f] = (int)i, hdr_of[f] = hdr[i];
            alt = bar ? bar + 1 : NULL;
            while (alt && *alt == ' ')
                alt++;
        }
        /* Exports differ in which metrics they carry: only the columns a
         * row cannot do without are required. */
        bool needed = f == CF_ID || f == CF_PUBLISHED || f == CF_MONTH;
        if (col[f] < 0 && needed) {
            error_set(err, ERR_INVALID, "line 1: mapping '%s' needs a column '%.80s'",
                      m->name ? m->name : "given", m->column[f]);
            goto free_hdr;
        }
    }
    /* Local times are read in the mapping's zone: "workspace" is the one
     * the importer passes (none when a file is parsed alone: UTC). */
    const struct tz *z = str_eq(m->zone, "workspace") ? pc->opts->zone : NULL;
    if (!str_eq(m->zone, "workspace") && !str_eq(m->zone, "UTC") &&
        !(z = own = tz_load(m->zone, err)))
        goto free_hdr;
    int64_t rowno = 0;
    char where[32];
    int got;
    while ((got = csv_next_row(&rd, pc, nh, where, &rowno, err)) > 0) {
        if (row(pc, m, z, col, hdr_of, rd.cells, rd.ncells, rowno, where))
            goto free_hdr;
        if (rowno % 4096 == 0)
            arena_free(&pc->arena);
    }
    rc = got;
free_hdr:
    tz_free(own);
    for (size_t i = 0; i < nh; i++)
        free(hdr[i]);
    free(hdr);
done:
    csv_reader_free(&rd);
    return rc;
}
