/* worktime: office hours, Swedish and Finnish public holidays, and the
 * working-time clock that service levels are measured on (worktime.h). */
#include "base/worktime.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

int holidays_parse(const char *s)
{
    return str_eq(s, "se")     ? HOLIDAYS_SE
           : str_eq(s, "fi")   ? HOLIDAYS_FI
           : str_eq(s, "none") ? HOLIDAYS_NONE
                               : -1;
}

/* Easter Sunday of year y (Gregorian), as days since 1970-01-01: the
 * anonymous Gregorian algorithm (Meeus/Jones/Butcher). */
static int64_t easter(int y)
{
    int a = y % 19, b = y / 100, c = y % 100, d = b / 4, e = b % 4, f = (b + 8) / 25,
        g = (b - f + 1) / 3, h = (19 * a + b - d - g + 15) % 30, i = c / 4, k = c % 4,
        l = (32 + 2 * e + 2 * i - h - k) % 7, m = (a + 11 * h + 22 * l) / 451;
    unsigned month = (unsigned)((h + l - 7 * m + 114) / 31),
             day = (unsigned)((h + l - 7 * m + 114) % 31 + 1);
    return time_days_from_civil(y, month, day);
}

/* 0 Monday .. 6 Sunday; 1970-01-01 was a Thursday. */
static int weekday(int64_t day)
{
    return (int)(((day % 7) + 7 + 3) % 7);
}

/* The first day with weekday wd (0 Monday) on or after y-m-d. */
static int64_t first_weekday_from(int y, unsigned m, unsigned d, int wd)
{
    int64_t day = time_days_from_civil(y, m, d);
    return day + (wd - weekday(day) + 7) % 7;
}

bool holiday_is(enum holidays cal, int y, unsigned m, unsigned d, const char **name)
{
    const char *n = NULL;
    if (cal == HOLIDAYS_NONE)
        return false;
    bool se = cal == HOLIDAYS_SE;
    int64_t day = time_days_from_civil(y, m, d), e = easter(y);
    /* Midsummer Day: the Saturday of 20-26 June; All Saints' Day: the
     * Saturday of 31 October - 6 November (both countries). */
    int64_t midsummer = first_weekday_from(y, 6, 20, 5),
            all_saints = first_weekday_from(y, 10, 31, 5);
    if (m == 1 && d == 1)
        n = se ? "nyårsdagen" : "uudenvuodenpäivä";
    else if (m == 1 && d == 6)
        n = se ? "trettondedag jul" : "loppiainen";
    else if (day == e - 2)
        n = se ? "långfredagen" : "pitkäperjantai";
    else if (day == e)
        n = se ? "påskdagen" : "pääsiäispäivä";
    else if (day == e + 1)
        n = se ? "annandag påsk" : "2. pääsiäispäivä";
    else if (m == 5 && d == 1)
        n = se ? "första maj" : "vappu";
    else if (day == e + 39)
        n = se ? "Kristi himmelsfärds dag" : "helatorstai";
    else if (day == e + 49)
        n = se ? "pingstdagen" : "helluntaipäivä";
    else if (se && m == 6 && d == 6)
        n = "Sveriges nationaldag";
    else if (day == midsummer - 1)
        n = se ? "midsommarafton" : "juhannusaatto";
    else if (day == midsummer)
        n = se ? "midsommardagen" : "juhannuspäivä";
    else if (day == all_saints)
        n = se ? "alla helgons dag" : "pyhäinpäivä";
    else if (!se && m == 12 && d == 6)
        n = "itsenäisyyspäivä";
    else if (m == 12 && d == 24)
        n = se ? "julafton" : "jouluaatto";
    else if (m == 12 && d == 25)
        n = se ? "juldagen" : "joulupäivä";
    else if (m == 12 && d == 26)
        n = se ? "annandag jul" : "tapaninpäivä";
    else if (se && m == 12 && d == 31)
        n = "nyårsafton";
    if (n && name)
        *name = n;
    return n != NULL;
}

/* ---- office hours --------------------------------------------------------- */

static const char *const day_names[7] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

static int read_day(const char **p, int *out)
{
    for (int i = 0; i < 7; i++)
        if (!strncmp(*p, day_names[i], 3)) {
            *out = i;
            *p += 3;
            return 0;
        }
    return -1;
}

/* "HH:MM" (00:00 to 24:00) into seconds. */
static int read_clock(const char **p, int32_t *out)
{
    const char *s = *p;
    if (!isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[1]) || s[2] != ':' ||
        !isdigit((unsigned char)s[3]) || !isdigit((unsigned char)s[4]))
        return -1;
    int h = (s[0] - '0') * 10 + (s[1] - '0'), m = (s[3] - '0') * 10 + (s[4] - '0');
    if (h > 24 || m > 59 || (h == 24 && m))
        return -1;
    *out = h * 3600 + m * 60;
    *p += 5;
    return 0;
}

int worktime_parse_hours(struct worktime *w, const char *spec, struct error *err)
{
    int32_t open[7] = {0}, close[7] = {0};
    const char *p = spec, *what = NULL;
    if (strlen(spec) > WORKTIME_HOURS_MAX)
        return error_field(err, ERR_INVALID, "office_hours", "office hours are at most %d bytes",
                           WORKTIME_HOURS_MAX);
    bool any = false;
    while (*p) {
        while (*p == ' ')
            p++;
        int a, b;
        if (read_day(&p, &a)) {
            what = "a day (mon, tue, wed, thu, fri, sat, sun)";
            goto bad;
        }
        b = a;
        if (*p == '-') {
            p++;
            if (read_day(&p, &b) || b < a) {
                what = "a later day after '-'";
                goto bad;
            }
        }
        if (*p != ' ') {
            what = "a space before the hours";
            goto bad;
        }
        p++;
        int32_t o, c;
        if (read_clock(&p, &o) || *p++ != '-' || read_clock(&p, &c)) {
            what = "hours as HH:MM-HH:MM";
            goto bad;
        }
        if (c <= o) {
            what = "a closing time after the opening time";
            goto bad;
        }
        for (int i = a; i <= b; i++) {
            if (close[i]) {
                what = "each day once";
                goto bad;
            }
            open[i] = o;
            close[i] = c;
        }
        any = true;
        while (*p == ' ')
            p++;
        if (*p == ',')
            p++;
        else if (*p) {
            what = "',' between day ranges";
            goto bad;
        }
    }
    if (!any) {
        what = "at least one day with hours, e.g. 'mon-fri 08:00-17:00'";
        goto bad;
    }
    memcpy(w->open, open, sizeof open);
    memcpy(w->close, close, sizeof close);
    return 0;
bad:
    return error_field(err, ERR_INVALID, "office_hours", "office hours, column %d: expected %s",
                       (int)(p - spec) + 1, what);
}

/* The instant of local time `secs` after local midnight of `day`: as
 * tz_day_start does, with the offset in force at that time of day (summer
 * time starts and ends at night, outside office hours). */
static int64_t local_at(const struct worktime *w, int64_t day, int32_t secs)
{
    int64_t local = day * 86400 + secs;
    int64_t t = local - tz_offset(w->zone, local);
    return local - tz_offset(w->zone, t);
}

/* Day `day`'s office window as instants; false when it is closed. */
static bool window(const struct worktime *w, int64_t day, int64_t *from, int64_t *to)
{
    int wd = weekday(day);
    if (w->close[wd] <= w->open[wd])
        return false;
    int y;
    unsigned m, d;
    time_civil_from_days(day, &y, &m, &d);
    if (holiday_is(w->cal, y, m, d, NULL))
        return false;
    *from = local_at(w, day, w->open[wd]);
    *to = local_at(w, day, w->close[wd]);
    return true;
}

int64_t worktime_between(const struct worktime *w, int64_t from, int64_t to)
{
    if (to <= from)
        return 0;
    int64_t total = 0, last = tz_local_day(w->zone, to);
    for (int64_t day = tz_local_day(w->zone, from); day <= last; day++) {
        int64_t a, b;
        if (!window(w, day, &a, &b))
            continue;
        a = a > from ? a : from;
        b = b < to ? b : to;
        if (b > a)
            total += b - a;
    }
    return total;
}

#define DEADLINE_DAYS (3 * 366) /* how far a deadline is looked for */

int64_t worktime_deadline(const struct worktime *w, int64_t from, int64_t seconds)
{
    int64_t left = seconds, day = tz_local_day(w->zone, from);
    for (int64_t n = 0; n < DEADLINE_DAYS; n++, day++) {
        int64_t a, b;
        if (!window(w, day, &a, &b) || b <= from)
            continue;
        a = a > from ? a : from;
        if (b - a >= left)
            return a + left;
        left -= b - a;
    }
    return INT64_MAX;
}
