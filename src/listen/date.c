/* date: the dates feeds carry, in the forms they really use: RFC 822 with
 * its many wrong variants, RFC 3339 / W3C-DTF (partial ones too) and
 * asctime, all read into UTC seconds. */
#include "listen/listen.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int month_of(const char *s, size_t n)
{
    static const char *names[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                  "jul", "aug", "sep", "oct", "nov", "dec"};
    if (n < 3)
        return 0;
    for (int i = 0; i < 12; i++)
        if (strncasecmp(s, names[i], 3) == 0)
            return i + 1;
    return 0;
}

/* Zone names RFC 822 knows, and the ones feeds add; minutes east of UTC. */
static bool zone_of(const char *s, size_t n, int *minutes)
{
    static const struct {
        const char *name;
        int min;
    } zones[] = {{"ut", 0},         {"utc", 0},        {"gmt", 0},       {"z", 0},
                 {"est", -5 * 60},  {"edt", -4 * 60},  {"cst", -6 * 60}, {"cdt", -5 * 60},
                 {"mst", -7 * 60},  {"mdt", -6 * 60},  {"pst", -8 * 60}, {"pdt", -7 * 60},
                 {"cet", 60},       {"cest", 120},     {"eet", 120},     {"eest", 180},
                 {"bst", 60},       {"ast", -4 * 60},  {"adt", -3 * 60}, {"hst", -10 * 60},
                 {"akst", -9 * 60}, {"akdt", -8 * 60}, {"jst", 9 * 60},  {"kst", 9 * 60}};
    for (size_t i = 0; i < sizeof zones / sizeof zones[0]; i++)
        if (strlen(zones[i].name) == n && strncasecmp(s, zones[i].name, n) == 0) {
            *minutes = zones[i].min;
            return true;
        }
    /* Military letters other than Z: RFC 822 got their signs backwards and
     * RFC 1123 says to treat them as unknown, so they count as UTC. */
    if (n == 1 && isalpha((unsigned char)s[0]) && tolower((unsigned char)s[0]) != 'j') {
        *minutes = 0;
        return true;
    }
    return false;
}

static bool valid_civil(int64_t y, int mo, int d, int h, int mi, int s)
{
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return y >= 1 && y <= 9999 && mo >= 1 && mo <= 12 && d >= 1 && d <= mdays[mo - 1] && h >= 0 &&
           h <= 24 && mi >= 0 && mi <= 59 && s >= 0 && s <= 60;
}

static int64_t to_epoch(int64_t y, int mo, int d, int h, int mi, int s, int zone_min)
{
    return time_days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + s -
           (int64_t)zone_min * 60;
}

/* Reads up to max digits; returns how many were read. */
static int digits(const char **p, int max, int *out)
{
    int n = 0, v = 0;
    while (n < max && isdigit((unsigned char)**p)) {
        v = v * 10 + (**p - '0');
        (*p)++;
        n++;
    }
    *out = v;
    return n;
}

/* "+01:00", "-0500", "+01", "Z" or a zone name; false if none parses. */
static bool parse_offset(const char *p, int *minutes)
{
    while (*p == ' ')
        p++;
    if (*p == '+' || *p == '-') {
        int sign = *p == '-' ? -1 : 1, hh = 0, mm = 0;
        p++;
        int n = digits(&p, 2, &hh);
        if (n == 0)
            return false;
        if (*p == ':')
            p++;
        digits(&p, 2, &mm);
        if (hh > 23 || mm > 59)
            return false;
        *minutes = sign * (hh * 60 + mm);
        return true;
    }
    size_t n = 0;
    while (isalpha((unsigned char)p[n]))
        n++;
    if (n == 0) {
        *minutes = 0;
        return *p == '\0';
    }
    return zone_of(p, n, minutes);
}

/* W3C-DTF / RFC 3339: 2003-12-31T10:14:55.1Z, 2003-12-31, 2003-12, 2003,
 * 20031231T101455Z, and with a space for the T. */
static int parse_iso(const char *s, int64_t *t)
{
    const char *p = s;
    int y, mo = 1, d = 1, h = 0, mi = 0, sec = 0, zone = 0;
    if (digits(&p, 4, &y) != 4)
        return -1;
    bool compact = isdigit((unsigned char)*p);
    if (*p == '-' || compact) {
        if (!compact)
            p++;
        if (digits(&p, 2, &mo) != 2)
            return -1;
        if (*p == '-' || (compact && isdigit((unsigned char)*p))) {
            if (!compact)
                p++;
            if (digits(&p, 2, &d) != 2)
                return -1;
        }
    }
    if (*p == 'T' || *p == 't' || (*p == ' ' && isdigit((unsigned char)p[1]))) {
        p++;
        if (digits(&p, 2, &h) != 2)
            return -1;
        if (*p == ':')
            p++;
        if (digits(&p, 2, &mi) != 2)
            return -1;
        if (*p == ':' || isdigit((unsigned char)*p)) {
            if (*p == ':')
                p++;
            if (digits(&p, 2, &sec) != 2)
                return -1;
        }
        if (*p == '.' || *p == ',') {
            p++;
            while (isdigit((unsigned char)*p))
                p++;
        }
        if (*p && !parse_offset(p, &zone))
            return -1;
    } else if (*p) {
        while (*p == ' ')
            p++;
        if (*p)
            return -1;
    }
    if (!valid_civil(y, mo, d, h, mi, sec))
        return -1;
    *t = to_epoch(y, mo, d, h, mi, sec, zone);
    return 0;
}

/* RFC 822 and its relatives, read as tokens so the order of the parts may
 * vary: "Sun, 04 Jan 2004 16:29:06 GMT", "04 Jan 04 16:29 +0100",
 * "Sun Jan  4 16:29:06 PST 2004", "Jan 4, 2004 4:29:06 PM", "4-Jan-2004". */
static int parse_rfc822(const char *s, int64_t *t)
{
    int y = -1, mo = 0, d = -1, h = 0, mi = 0, sec = 0, zone = 0;
    bool have_time = false, pm = false, am = false;
    const char *p = s;
    while (*p) {
        if (strchr(" ,\t\r\n-/.", *p) &&
            !(*p == '-' && isdigit((unsigned char)p[1]) && have_time)) {
            p++;
            continue;
        }
        if (*p == '+' || (*p == '-' && have_time)) {
            if (!parse_offset(p, &zone))
                return -1;
            p++;
            while (isdigit((unsigned char)*p) || *p == ':')
                p++;
            continue;
        }
        if (isalpha((unsigned char)*p)) {
            size_t n = 0;
            while (isalpha((unsigned char)p[n]))
                n++;
            int m = month_of(p, n);
            int z;
            if (m && !mo)
                mo = m;
            else if (n == 2 && strncasecmp(p, "pm", 2) == 0)
                pm = true;
            else if (n == 2 && strncasecmp(p, "am", 2) == 0)
                am = true;
            else if (zone_of(p, n, &z))
                zone = z;
            /* day names and words such as "at" are skipped */
            p += n;
            continue;
        }
        if (isdigit((unsigned char)*p)) {
            const char *q = p;
            int v;
            int n = digits(&q, 9, &v);
            if (*q == ':') { /* a time */
                if (n > 2)
                    return -1;
                h = v;
                q++;
                if (digits(&q, 2, &mi) == 0)
                    return -1;
                if (*q == ':') {
                    q++;
                    digits(&q, 2, &sec);
                }
                if (*q == '.')
                    for (q++; isdigit((unsigned char)*q); q++)
                        ;
                have_time = true;
            } else if (n >= 3 || (d >= 0 && y < 0)) {
                y = v;
                if (n <= 2)
                    y += v < 50 ? 2000 : 1900;
                else if (n == 3)
                    y += 1900; /* "103": a year from a C tm_year */
            } else if (d < 0)
                d = v;
            else
                return -1;
            p = q;
            continue;
        }
        return -1;
    }
    if (pm && h < 12)
        h += 12;
    if (am && h == 12)
        h = 0;
    if (y < 0 || mo == 0 || d < 0 || !valid_civil(y, mo, d, h, mi, sec))
        return -1;
    *t = to_epoch(y, mo, d, h, mi, sec, zone);
    return 0;
}

int feed_parse_date(const char *s, int64_t *t)
{
    if (!s)
        return -1;
    while (isspace((unsigned char)*s))
        s++;
    char tmp[128];
    size_t n = strlen(s);
    if (n == 0 || n >= sizeof tmp)
        return -1;
    memcpy(tmp, s, n + 1);
    while (n && isspace((unsigned char)tmp[n - 1]))
        tmp[--n] = '\0';
    if (isdigit((unsigned char)tmp[0]) && isdigit((unsigned char)tmp[1]) &&
        isdigit((unsigned char)tmp[2]) && isdigit((unsigned char)tmp[3]) && parse_iso(tmp, t) == 0)
        return 0;
    return parse_rfc822(tmp, t);
}
