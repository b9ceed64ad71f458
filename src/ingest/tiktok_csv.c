/* tiktok_csv: TikTok's analytics exports (TikTok Studio and Business
 * Center, "Download data" as CSV), read through the shared CSV reader. The
 * layout is told by the header:
 *   content   Video title, Video link, Post time (or Video publish time),
 *             Total likes, Total comments, Total shares, Total views, ...:
 *             one video a row, a post with a metric snapshot;
 *   overview  Date, Video Views, Profile Views, Likes, Comments, Shares:
 *             the account's daily figures; Video Views is read as the
 *             day's impressions, the rest is counted as not read;
 *   followers Date, Followers (, Difference in followers from previous
 *             day): the daily follower count.
 * Daily exports date rows "December 30" (no year) or "2024-03-01". */
#include "ingest/internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum layout { L_NONE = -1, L_CONTENT, L_OVERVIEW, L_FOLLOWERS };

enum col {
    C_TITLE,
    C_LINK,
    C_TIME,
    C_LIKES,
    C_COMMENTS,
    C_SHARES,
    C_VIEWS,
    C_SAVES,
    C_REACH,
    C_DATE,
    C_VIDEO_VIEWS,
    C_FOLLOWERS,
    C_OTHER0, /* overview figures kanal does not keep: counted */
    C_OTHER1,
    C_OTHER2,
    C_OTHER3,
    C_COUNT
};

/* Each column's names, '|' between alternatives, as csv_named reads them. */
static const char *const col_names[C_COUNT] = {
    [C_TITLE] = "Video title|Video description",
    [C_LINK] = "Video link",
    [C_TIME] = "Post time|Video publish time|Publish time",
    [C_LIKES] = "Total likes|Likes",
    [C_COMMENTS] = "Total comments|Comments",
    [C_SHARES] = "Total shares|Shares",
    [C_VIEWS] = "Total views|Video views",
    [C_SAVES] = "Total saves|Saves|Add to Favorites",
    [C_REACH] = "Reach|Total reach",
    [C_DATE] = "Date",
    [C_VIDEO_VIEWS] = "Video Views",
    [C_FOLLOWERS] = "Followers",
    [C_OTHER0] = "Profile Views",
    [C_OTHER1] = "Likes",
    [C_OTHER2] = "Comments",
    [C_OTHER3] = "Shares",
};

/* A header cell is named with the blanks around it passed over. */
static bool named(const char *cell, const char *names)
{
    while (*cell == ' ')
        cell++;
    size_t cn = strlen(cell);
    while (cn && cell[cn - 1] == ' ')
        cn--;
    return csv_named(cell, cn, names);
}

/* Finds each column in the header; the layout the columns make, or L_NONE. */
static enum layout find_columns(char **cells, size_t n, int *col)
{
    for (int c = 0; c < C_COUNT; c++) {
        col[c] = -1;
        for (size_t i = 0; i < n && col[c] < 0; i++)
            if (named(cells[i], col_names[c]))
                col[c] = (int)i;
    }
    if (col[C_LINK] >= 0 && col[C_TIME] >= 0)
        return L_CONTENT;
    if (col[C_DATE] >= 0 && col[C_VIDEO_VIEWS] >= 0 && col[C_OTHER0] >= 0)
        return L_OVERVIEW;
    if (col[C_DATE] >= 0 && col[C_FOLLOWERS] >= 0)
        return L_FOLLOWERS;
    return L_NONE;
}

bool tiktok_csv_header(const char *data, size_t len)
{
    struct csv_reader rd;
    csv_reader_start(&rd, data, len);
    int col[C_COUNT];
    bool yes = csv_read_row(&rd) > 0 && find_columns(rd.cells, rd.ncells, col) != L_NONE;
    csv_reader_free(&rd);
    return yes;
}

/* A cell that says nothing was reported: empty, "-", "N/A", "undefined"
 * (which the follower export writes for a day it has no count of). */
static bool unreported(const char *s)
{
    return !*s || str_eq(s, "-") || str_eq(s, "--") || strcasecmp(s, "N/A") == 0 ||
           str_eq(s, "undefined") || str_eq(s, "null");
}

/* "December 30", "Dec 30" (the year is the latest that puts the day on or
 * before `ref`, the export's time) or "2024-03-01": that day's number. */
static int parse_day(const char *s, int64_t ref, int64_t *day)
{
    int64_t t;
    if (time_parse_iso(s, &t) == 0 && strlen(s) == 10) {
        *day = t / 86400;
        return 0;
    }
    static const char *const months[] = {"january",   "february", "march",    "april",
                                         "may",       "june",     "july",     "august",
                                         "september", "october",  "november", "december"};
    char word[16];
    int d, used = 0;
    if (sscanf(s, "%15[A-Za-z] %d%n", word, &d, &used) != 2 || s[used] || d < 1 || d > 31)
        return -1;
    /* The month's name or its first three letters ("Sept" too). */
    size_t wn = strlen(word);
    int mo = 0;
    for (int i = 0; i < 12 && !mo; i++)
        if (strcasecmp(word, months[i]) == 0 ||
            ((wn == 3 || (wn == 4 && i == 8)) && strncasecmp(word, months[i], wn) == 0))
            mo = i + 1;
    if (!mo)
        return -1;
    int64_t ref_day = ref / 86400;
    int y;
    unsigned rm, rd;
    time_civil_from_days(ref_day, &y, &rm, &rd);
    if ((unsigned)mo > rm || ((unsigned)mo == rm && (unsigned)d > rd))
        y--;
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (d > mdays[mo - 1] || (mo == 2 && d == 29 && !(y % 4 == 0 && (y % 100 || y % 400 == 0))))
        return -1;
    *day = time_days_from_civil(y, (unsigned)mo, (unsigned)d);
    return 0;
}

/* A cell as a count into *n (-1: not reported); -1 when it is no count. */
static int count_cell(const char *s, int64_t *n)
{
    *n = -1;
    return unreported(s) ? 0 : csv_count(s, n);
}

struct ctx {
    struct pctx *pc;
    const struct tz *zone;
    int col[C_COUNT];
    char **hdr;
    int64_t other_rows;
};

static const char *cell(const struct csv_reader *rd, const struct ctx *c, int which)
{
    int i = c->col[which];
    return i >= 0 && (size_t)i < rd->ncells ? rd->cells[i] : NULL;
}

static int bad_count(struct ctx *c, const char *where, int which, const char *v)
{
    return rec_reject(c->pc, where, "column '%s' is not a count (\"1234\" or \"1,234\"): '%.40s'",
                      c->hdr[c->col[which]], v);
}

static int content_row(struct ctx *c, const struct csv_reader *rd, const char *where)
{
    struct pctx *pc = c->pc;
    struct ingest_record r;
    rec_start(&r, REC_POST, "tiktok", where);
    r.format = "video";
    const char *link = cell(rd, c, C_LINK), *when = cell(rd, c, C_TIME);
    /* https://www.tiktok.com/@NAME/video/ID: the video's id and its account. */
    const char *at = link ? strstr(link, "/@") : NULL, *v = link ? strstr(link, "/video/") : NULL;
    size_t idn = 0;
    if (v) {
        v += strlen("/video/");
        while (isdigit((unsigned char)v[idn]))
            idn++;
    }
    if (!idn || idn > 30)
        return rec_reject(
            pc, where, "column '%s' is not a video's link (https://www.tiktok.com/@NAME/video/ID)",
            c->hdr[c->col[C_LINK]]);
    r.post_id = arena_strndup(&pc->arena, v, idn);
    if (at && at < v) {
        at += 2;
        size_t an = strcspn(at, "/?#");
        if (an)
            r.account_id = r.account_name = arena_strndup(&pc->arena, at, an);
    }
    r.permalink = r.account_id ? arena_printf(&pc->arena, "https://www.tiktok.com/@%s/video/%s",
                                              r.account_id, r.post_id)
                               : link;
    /* Studio writes the time in the account's local time, without a zone:
     * read as the workspace's, as Meta's exports are. */
    int64_t t;
    if (!when || time_parse_iso(when, &t))
        return rec_reject(pc, where, "column '%s' is not a time like \"2024-03-01 09:15:00\"",
                          c->hdr[c->col[C_TIME]]);
    const char *tp = strpbrk(when, "T ");
    r.published_at = tp && strpbrk(tp, "Zz+-") ? t : csv_local_instant(c->zone, t);
    const char *title = cell(rd, c, C_TITLE);
    r.body = title && *title ? ingest_fix_mojibake(title, &pc->arena) : NULL;
    static const struct {
        int col, metric;
    } figures[] = {{C_LIKES, PM_REACTIONS},   {C_COMMENTS, PM_COMMENTS}, {C_SHARES, PM_SHARES},
                   {C_VIEWS, PM_VIDEO_VIEWS}, {C_SAVES, PM_SAVES},       {C_REACH, PM_REACH}};
    for (size_t i = 0; i < ARRAY_LEN(figures); i++) {
        const char *s = cell(rd, c, figures[i].col);
        if (!s)
            continue;
        if (count_cell(s, &r.metrics[figures[i].metric]))
            return bad_count(c, where, figures[i].col, s);
        if (r.metrics[figures[i].metric] >= 0)
            r.has_metrics = true;
    }
    r.taken_at = pc->opts->taken_at;
    return rec_emit(pc, &r);
}

static int daily_row(struct ctx *c, const struct csv_reader *rd, const char *where, bool overview)
{
    struct pctx *pc = c->pc;
    const char *date = cell(rd, c, C_DATE);
    int64_t day;
    if (!date || parse_day(date, pc->opts->taken_at, &day))
        return rec_reject(pc, where,
                          "column '%s' is not a day like \"December 30\" or \"2024-12-30\"",
                          c->hdr[c->col[C_DATE]]);
    struct ingest_record r;
    rec_start(&r, REC_CHANNEL_METRICS, "tiktok", where);
    /* A day's figure is complete at its end: the next local midnight. */
    r.taken_at = csv_local_instant(c->zone, (day + 1) * 86400);
    int which = overview ? C_VIDEO_VIEWS : C_FOLLOWERS;
    const char *s = cell(rd, c, which);
    int64_t n;
    if (!s || count_cell(s, &n))
        return bad_count(c, where, which, s ? s : "");
    if (overview) {
        r.impressions = n;
        bool other = false;
        for (int k = C_OTHER0; k <= C_OTHER3; k++) {
            const char *o = cell(rd, c, k);
            other |= o && !unreported(o);
        }
        c->other_rows += other;
    } else {
        r.followers = n;
    }
    return n < 0 ? 0 : rec_emit(pc, &r);
}

int parse_tiktok_csv(struct pctx *pc, const char *data, size_t len, struct error *err)
{
    struct csv_reader rd;
    csv_reader_start(&rd, data, len);
    struct ctx c = {.pc = pc, .zone = pc->opts->zone};
    int rc = -1;
    if (csv_read_header(&rd, err)) {
        csv_reader_free(&rd);
        return -1;
    }
    size_t nh = rd.ncells;
    c.hdr = xmalloc(nh * sizeof *c.hdr);
    for (size_t i = 0; i < nh; i++)
        c.hdr[i] = xstrdup(rd.cells[i]);
    enum layout l = find_columns(c.hdr, nh, c.col);
    if (l == L_NONE) {
        error_set(err, ERR_INVALID,
                  "line 1: not a TikTok export: a content export has 'Video link' and 'Post "
                  "time', an overview 'Date', 'Video Views' and 'Profile Views', a follower "
                  "export 'Date' and 'Followers'");
        goto done;
    }
    char where[32];
    int got;
    while ((got = csv_next_row(&rd, pc, nh, where, NULL, err)) > 0) {
        if (l == L_CONTENT ? content_row(&c, &rd, where)
                           : daily_row(&c, &rd, where, l == L_OVERVIEW))
            goto done;
    }
    if (got < 0)
        goto done;
    rc = rec_skip(pc, "line 2", c.other_rows,
                  "days of the account's profile views, likes, comments and shares (kept per "
                  "video, from the content export)");
done:
    for (size_t i = 0; i < nh; i++)
        free(c.hdr[i]);
    free(c.hdr);
    csv_reader_free(&rd);
    return rc;
}
