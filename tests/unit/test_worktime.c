/* Unit tests for base/worktime.c: the Swedish and Finnish holidays (Easter
 * and the days that move with it, midsummer, All Saints', independence
 * day), office hours read from a spec, and the working-time clock across
 * summer time in Europe/Stockholm and Europe/Helsinki. Expected dates and
 * instants are worked out by hand from the calendars. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "base/worktime.h"

static int64_t at(const char *iso)
{
    int64_t t;
    assert_int_equal(time_parse_iso(iso, &t), 0);
    return t;
}

static void off(enum holidays cal, int y, unsigned m, unsigned d, const char *name)
{
    const char *n = NULL;
    if (!holiday_is(cal, y, m, d, &n))
        fail_msg("%04d-%02u-%02u is not a day off", y, m, d);
    assert_string_equal(n, name);
}

static void test_holidays(void **state)
{
    /* Easter Sunday: 2024-03-31, 2025-04-20, 2026-04-05, 2038-04-25 */
    off(HOLIDAYS_SE, 2024, 3, 31, "påskdagen");
    off(HOLIDAYS_SE, 2025, 4, 20, "påskdagen");
    off(HOLIDAYS_FI, 2026, 4, 5, "pääsiäispäivä");
    off(HOLIDAYS_SE, 2038, 4, 25, "påskdagen");
    off(HOLIDAYS_SE, 2026, 4, 3, "långfredagen");
    off(HOLIDAYS_FI, 2026, 4, 6, "2. pääsiäispäivä");
    off(HOLIDAYS_SE, 2026, 5, 14, "Kristi himmelsfärds dag");
    off(HOLIDAYS_FI, 2026, 5, 24, "helluntaipäivä");
    /* midsummer eve is the Friday of 19-25 June */
    off(HOLIDAYS_SE, 2026, 6, 19, "midsommarafton");
    off(HOLIDAYS_SE, 2025, 6, 20, "midsommarafton");
    off(HOLIDAYS_FI, 2027, 6, 25, "juhannusaatto");
    off(HOLIDAYS_FI, 2027, 6, 26, "juhannuspäivä");
    off(HOLIDAYS_SE, 2026, 10, 31, "alla helgons dag");
    off(HOLIDAYS_FI, 2025, 11, 1, "pyhäinpäivä");
    off(HOLIDAYS_SE, 2026, 6, 6, "Sveriges nationaldag");
    off(HOLIDAYS_FI, 2027, 12, 6, "itsenäisyyspäivä");
    off(HOLIDAYS_SE, 2026, 12, 31, "nyårsafton");
    off(HOLIDAYS_FI, 2026, 12, 24, "jouluaatto");
    /* not days off */
    assert_false(holiday_is(HOLIDAYS_SE, 2027, 12, 6, NULL)); /* Finland's day */
    assert_false(holiday_is(HOLIDAYS_FI, 2026, 6, 6, NULL));  /* Sweden's day */
    assert_false(holiday_is(HOLIDAYS_FI, 2026, 12, 31, NULL));
    assert_false(holiday_is(HOLIDAYS_SE, 2026, 6, 18, NULL));
    assert_false(holiday_is(HOLIDAYS_SE, 2026, 4, 2, NULL));
    assert_false(holiday_is(HOLIDAYS_NONE, 2026, 12, 25, NULL));
}

static void test_hours_spec(void **state)
{
    struct worktime w = {0};
    struct error err = {0};
    assert_int_equal(worktime_parse_hours(&w, "mon-thu 08:00-16:30, fri 08:00-15:00", &err), 0);
    assert_int_equal(w.open[0], 8 * 3600);
    assert_int_equal(w.close[3], 16 * 3600 + 1800);
    assert_int_equal(w.close[4], 15 * 3600);
    assert_int_equal(w.close[5], 0);
    assert_int_equal(worktime_parse_hours(&w, "mon-fri 08:00-25:00", &err), -1);
    assert_non_null(strstr(err.msg, "office hours, column "));
    assert_non_null(strstr(err.msg, "expected hours as HH:MM-HH:MM"));
    assert_int_equal(worktime_parse_hours(&w, "fri-mon 08:00-16:00", &err), -1);
    assert_non_null(strstr(err.msg, "a later day"));
    assert_int_equal(worktime_parse_hours(&w, "mon 09:00-08:00", &err), -1);
    assert_non_null(strstr(err.msg, "closing time after"));
    assert_int_equal(worktime_parse_hours(&w, "mon-fri 08:00-16:00, wed 10:00-11:00", &err), -1);
    assert_non_null(strstr(err.msg, "each day once"));
    assert_int_equal(worktime_parse_hours(&w, "", &err), -1);
    assert_string_equal(err.field, "office_hours");
}

static struct worktime office(const struct tz *z, enum holidays cal)
{
    struct worktime w = {.zone = z, .cal = cal};
    struct error err = {0};
    assert_int_equal(worktime_parse_hours(&w, "mon-fri 08:00-17:00", &err), 0);
    return w;
}

static void test_clock_across_summer_time_and_holidays(void **state)
{
    struct error err = {0};
    struct tz *sto = tz_load("Europe/Stockholm", &err), *hel = tz_load("Europe/Helsinki", &err);
    assert_non_null(sto);
    assert_non_null(hel);
    struct worktime se = office(sto, HOLIDAYS_SE), fi = office(hel, HOLIDAYS_FI);
    /* Friday 16:00 CET + 2 h: one hour on Friday, one on Monday, which is
     * summer time (clocks went forward on Sunday 29 March): 09:00 CEST. */
    assert_int_equal(worktime_deadline(&se, at("2026-03-27T15:00:00Z"), 7200),
                     at("2026-03-30T07:00:00Z"));
    assert_int_equal(worktime_between(&se, at("2026-03-27T15:00:00Z"), at("2026-03-30T07:00:00Z")),
                     7200);
    /* Helsinki, back to winter time on Sunday 25 October: Friday 16:30
     * EEST + 1 h is Monday 08:30 EET. */
    assert_int_equal(worktime_deadline(&fi, at("2026-10-23T13:30:00Z"), 3600),
                     at("2026-10-26T06:30:00Z"));
    /* Midsummer: Thursday 16:00 + 2 h skips midsummer eve and the weekend */
    assert_int_equal(worktime_deadline(&se, at("2026-06-18T14:00:00Z"), 7200),
                     at("2026-06-22T07:00:00Z"));
    /* Easter: Maundy Thursday 16:00 + 2 h skips Good Friday to Easter Monday */
    assert_int_equal(worktime_deadline(&se, at("2026-04-02T14:00:00Z"), 7200),
                     at("2026-04-07T07:00:00Z"));
    /* Independence day, Monday 6 December 2027: off in Helsinki, not in
     * Stockholm. Friday 16:00 local + 2 h. */
    assert_int_equal(worktime_deadline(&fi, at("2027-12-03T14:00:00Z"), 7200),
                     at("2027-12-07T07:00:00Z"));
    assert_int_equal(worktime_deadline(&se, at("2027-12-03T15:00:00Z"), 7200),
                     at("2027-12-06T08:00:00Z"));
    /* a message written on a Saturday night: the clock starts on Monday */
    assert_int_equal(worktime_between(&se, at("2026-11-07T22:00:00Z"), at("2026-11-09T07:30:00Z")),
                     1800);
    assert_int_equal(worktime_deadline(&se, at("2026-11-07T22:00:00Z"), 0),
                     at("2026-11-09T07:00:00Z"));
    /* a week of office hours, minus nothing: 5 x 9 h */
    assert_int_equal(worktime_between(&se, at("2026-11-09T00:00:00Z"), at("2026-11-16T00:00:00Z")),
                     5 * 9 * 3600);
    assert_int_equal(worktime_between(&se, at("2026-11-16T00:00:00Z"), at("2026-11-09T00:00:00Z")),
                     0);
    tz_free(sto);
    tz_free(hel);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_holidays),
        cmocka_unit_test(test_hours_spec),
        cmocka_unit_test(test_clock_across_summer_time_and_holidays),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
