/* tz: IANA time zones from the system's zoneinfo (TZif files), so reports
 * can cut days, weeks and months where Stockholm or Helsinki do, without
 * touching the process's TZ (which is global and not thread-safe). */
#include "base.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct tz {
    char name[64];
    int n;           /* transitions */
    int64_t *at;     /* transition instants, ascending */
    int32_t *offset; /* UTC offset in force from at[i] */
    int32_t initial; /* before the first transition */
    /* After the last transition: the POSIX rule from the file's footer,
     * e.g. "CET-1CEST,M3.5.0,M10.5.0/3". */
    bool has_rule;
    int32_t std_off, dst_off;
    struct rule_date {
        int m, w, d, secs; /* Mm.w.d/time */
    } start, end;
};

static int64_t be64(const unsigned char *p)
{
    return (int64_t)((uint64_t)be32_get(p) << 32 | be32_get(p + 4));
}

/* Parses "[+-]hh[:mm[:ss]]" (POSIX sign: west positive); returns seconds. */
static const char *parse_hms(const char *p, int *secs)
{
    int sign = 1;
    if (*p == '+' || *p == '-')
        sign = *p++ == '-' ? -1 : 1;
    int h = 0, m = 0, s = 0;
    if (*p < '0' || *p > '9')
        return NULL;
    while (*p >= '0' && *p <= '9')
        h = h * 10 + (*p++ - '0');
    if (*p == ':') {
        p++;
        m = (int)strtol(p, (char **)&p, 10);
        if (*p == ':') {
            p++;
            s = (int)strtol(p, (char **)&p, 10);
        }
    }
    *secs = sign * (h * 3600 + m * 60 + s);
    return p;
}

static const char *skip_name(const char *p)
{
    if (*p == '<') {
        while (*p && *p != '>')
            p++;
        return *p ? p + 1 : NULL;
    }
    while ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z'))
        p++;
    return p;
}

static const char *parse_date(const char *p, struct rule_date *d)
{
    if (*p++ != 'M')
        return NULL; /* Only the Mm.w.d form, which every European zone uses. */
    d->m = (int)strtol(p, (char **)&p, 10);
    if (*p++ != '.')
        return NULL;
    d->w = (int)strtol(p, (char **)&p, 10);
    if (*p++ != '.')
        return NULL;
    d->d = (int)strtol(p, (char **)&p, 10);
    if (d->m < 1 || d->m > 12 || d->w < 1 || d->w > 5 || d->d < 0 || d->d > 6)
        return NULL; /* rule_instant indexes months by it */
    d->secs = 7200;
    if (*p == '/')
        p = parse_hms(p + 1, &d->secs);
    return p;
}

static bool parse_rule(struct tz *z, const char *p)
{
    int std, dst;
    if (!(p = skip_name(p)) || !(p = parse_hms(p, &std)))
        return false;
    z->std_off = -std;
    if (!*p) { /* no daylight saving */
        z->has_rule = true;
        z->dst_off = z->std_off;
        z->start.m = 0;
        return true;
    }
    if (!(p = skip_name(p)))
        return false;
    dst = std - 3600;
    if (*p != ',' && !(p = parse_hms(p, &dst)))
        return false;
    z->dst_off = -dst;
    if (*p++ != ',' || !(p = parse_date(p, &z->start)) || *p++ != ',' || !parse_date(p, &z->end))
        return false;
    z->has_rule = true;
    return true;
}

struct tz *tz_load(const char *name, struct error *err)
{
    if (!name || !*name || strlen(name) >= 64 || strstr(name, "..") || name[0] == '/') {
        error_set(err, ERR_INVALID, "'%s' is not an IANA time zone name", name ? name : "");
        return NULL;
    }
    char path[128];
    snprintf(path, sizeof path, "/usr/share/zoneinfo/%s", name);
    struct buf b = {0};
    struct error read_err;
    if (buf_read_file(&b, path, 1 << 20, &read_err)) {
        buf_free(&b);
        if (read_err.kind == ERR_NOT_FOUND)
            error_set(err, ERR_INVALID, "unknown time zone '%s' (is tzdata installed?)", name);
        else
            error_set(err, ERR_INVALID, "time zone file %s is not a TZif v2+ file", path);
        return NULL;
    }
    struct tz *z = xcalloc(1, sizeof *z);
    snprintf(z->name, sizeof z->name, "%s", name);
    const unsigned char *d = (const unsigned char *)b.data;
    /* Version 2+ files repeat the data with 64-bit times after the 32-bit
     * block; use that, then the footer's rule for the future. */
    if (b.len < 44 || memcmp(d, "TZif", 4) != 0 || d[4] < '2')
        goto bad;
    size_t off = 0;
    for (int pass = 0; pass < 2; pass++) {
        if (off + 44 > b.len)
            goto bad;
        const unsigned char *h = d + off;
        uint32_t isutcnt = be32_get(h + 20), isstdcnt = be32_get(h + 24),
                 leapcnt = be32_get(h + 28), timecnt = be32_get(h + 32), typecnt = be32_get(h + 36),
                 charcnt = be32_get(h + 40);
        size_t tsize = pass == 0 ? 4 : 8;
        size_t body = timecnt * tsize + timecnt + typecnt * 6 + charcnt + leapcnt * (tsize + 4) +
                      isstdcnt + isutcnt;
        if (typecnt == 0 || typecnt > 256 || timecnt > 100000 || off + 44 + body > b.len)
            goto bad;
        if (pass == 0) {
            off += 44 + body;
            continue;
        }
        const unsigned char *times = h + 44, *idx = times + timecnt * 8, *types = idx + timecnt;
        z->n = (int)timecnt;
        z->at = xcalloc(timecnt + 1, sizeof *z->at);
        z->offset = xcalloc(timecnt + 1, sizeof *z->offset);
        for (uint32_t i = 0; i < timecnt; i++) {
            if (idx[i] >= typecnt)
                goto bad;
            z->at[i] = be64(times + 8 * i);
            z->offset[i] = (int32_t)be32_get(types + 6 * idx[i]);
        }
        z->initial = (int32_t)be32_get(types); /* type 0 */
        off += 44 + body;
    }
    /* footer: "\n<rule>\n" */
    if (off < b.len && d[off] == '\n') {
        const char *rule = (const char *)d + off + 1;
        char *nl = memchr(rule, '\n', b.len - off - 1);
        if (nl) {
            *nl = '\0';
            if (*rule && !parse_rule(z, rule))
                log_warn("time zone %s: its future rule '%s' is not understood", name, rule);
        }
    }
    buf_free(&b);
    return z;
bad:
    buf_free(&b);
    tz_free(z);
    error_set(err, ERR_INVALID, "time zone file %s is not a TZif v2+ file", path);
    return NULL;
}

void tz_free(struct tz *z)
{
    if (!z)
        return;
    free(z->at);
    free(z->offset);
    free(z);
}

const char *tz_name(const struct tz *z)
{
    return z->name;
}

/* The instant (UTC) a rule date happens in year y, given the offset in
 * force just before it. */
static int64_t rule_instant(const struct rule_date *r, int y, int32_t offset_before)
{
    /* Day d (0 = Sunday) of week w (5 = last) of month m. */
    assert(r->m >= 1 && r->m <= 12 && r->w >= 1 && r->w <= 5 && r->d >= 0 && r->d <= 6);
    int64_t first = time_days_from_civil(y, (unsigned)r->m, 1);
    int wday_first = (int)((first + 4) % 7); /* 1970-01-01 was a Thursday */
    if (wday_first < 0)
        wday_first += 7;
    int64_t day = first + (r->d - wday_first + 7) % 7 + (int64_t)(r->w - 1) * 7;
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int len = mdays[r->m - 1] + (r->m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0));
    while (day >= first + len)
        day -= 7;
    return day * 86400 + r->secs - offset_before;
}

int32_t tz_offset(const struct tz *z, int64_t t)
{
    if (z->n == 0 || t < z->at[0])
        return z->n == 0 && z->has_rule ? z->std_off : z->initial;
    if (t < z->at[z->n - 1] || !z->has_rule) {
        int lo = 0, hi = z->n - 1; /* last i with at[i] <= t */
        while (lo < hi) {
            int mid = (lo + hi + 1) / 2;
            if (z->at[mid] <= t)
                lo = mid;
            else
                hi = mid - 1;
        }
        assert(z->at[lo] <= t && (lo == z->n - 1 || t < z->at[lo + 1]));
        return z->offset[lo];
    }
    if (z->start.m == 0)
        return z->std_off;
    int y;
    unsigned m, d;
    time_civil_from_days((t + z->std_off) / 86400, &y, &m, &d);
    int64_t start = rule_instant(&z->start, y, z->std_off);
    int64_t end = rule_instant(&z->end, y, z->dst_off);
    bool dst = start < end ? (t >= start && t < end) : !(t >= end && t < start);
    return dst ? z->dst_off : z->std_off;
}

int64_t tz_local_day(const struct tz *z, int64_t t)
{
    int64_t local = t + tz_offset(z, t);
    return local >= 0 ? local / 86400 : (local - 86399) / 86400;
}

int64_t tz_day_start(const struct tz *z, int64_t day)
{
    /* The offset at local midnight may differ from the one a few hours
     * later; try the offsets on both sides and keep the one that fits. */
    int64_t guess = day * 86400;
    int64_t t = guess - tz_offset(z, guess);
    int64_t t2 = guess - tz_offset(z, t);
    return t2;
}
