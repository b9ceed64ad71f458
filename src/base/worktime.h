/* worktime: office hours and the public holidays of Sweden and Finland, and
 * a clock that runs only inside them: how much working time lies between
 * two instants, and when a given amount of it has passed. Local times are
 * read in an IANA zone (base/tz.c), so a day's opening hours stay 08:00
 * local across the changes to and from summer time. */
#ifndef KANAL_BASE_WORKTIME_H
#define KANAL_BASE_WORKTIME_H

#include "base/base.h"

enum holidays { HOLIDAYS_NONE, HOLIDAYS_SE, HOLIDAYS_FI };

/* "se", "fi", "none" -> the calendar; -1 if unknown. */
int holidays_parse(const char *s);
/* Whether the civil date is a day off in the calendar, and its name
 * (Swedish or Finnish, static) in *name when it is. Easter and the days
 * that move with it (Good Friday, Easter Monday, Ascension, Whitsun),
 * midsummer and All Saints' Day are computed for any year. The eves that
 * offices close on (midsummer eve, Christmas Eve; in Sweden New Year's Eve)
 * count as days off. */
bool holiday_is(enum holidays cal, int y, unsigned m, unsigned d, const char **name);

/* Opening hours per weekday (0 Monday .. 6 Sunday) in seconds after local
 * midnight; open == close: closed that day. */
struct worktime {
    const struct tz *zone; /* not owned */
    enum holidays cal;
    int32_t open[7], close[7];
};
#define WORKTIME_HOURS_MAX 200 /* bytes of a spec */

/* Reads a spec like "mon-fri 08:00-16:30" or "mon-thu 08:00-16:30, fri
 * 08:00-15:00" (days not named are closed) into w's hours. ERR_INVALID
 * naming the column of the problem. */
int worktime_parse_hours(struct worktime *w, const char *spec, struct error *err);
/* Working seconds in [from, to) (0 when to <= from). */
int64_t worktime_between(const struct worktime *w, int64_t from, int64_t to);
/* The instant at which `seconds` of working time have passed since from
 * (from itself for 0 when it is inside office hours, else the next opening).
 * INT64_MAX when the hours have no open day. */
int64_t worktime_deadline(const struct worktime *w, int64_t from, int64_t seconds);

#endif
