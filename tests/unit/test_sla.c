/* Unit tests for model/sla.c's clock and flags: when a message held to a
 * service level is at risk and due, across the changes to and from summer
 * time and over holidays in Europe/Stockholm and Europe/Helsinki, and the
 * state a message is in at the thresholds. Instants are worked out by hand
 * from the calendars (office hours mon-fri 08:00-16:00). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "model/model.h"

static int64_t at(const char *iso)
{
    int64_t t;
    assert_int_equal(time_parse_iso(iso, &t), 0);
    return t;
}

static struct tz *sto, *hel;

static int load_zones(void **state)
{
    (void)state;
    struct error err = {0};
    sto = tz_load("Europe/Stockholm", &err);
    hel = tz_load("Europe/Helsinki", &err);
    return sto && hel ? 0 : -1;
}

/* A message created at `created` held to `minutes` (at risk at 80%): its
 * risk and due instants must be `risk` and `due`. */
static void held(struct tz *z, enum holidays cal, const char *created, int64_t minutes,
                 const char *risk, const char *due)
{
    struct worktime w = {.zone = z, .cal = cal};
    struct error err = {0};
    assert_int_equal(worktime_parse_hours(&w, "mon-fri 08:00-16:00", &err), 0);
    int64_t r, d;
    sla_times(&w, at(created), minutes * 60, 80, &r, &d);
    assert_int_equal(r, at(risk));
    assert_int_equal(d, at(due));
}

static void test_clock_across_summer_time(void **state)
{
    (void)state;
    /* Friday 15:00 CET, 2 h: one hour on Friday, the clock stops over the
     * weekend (summer time begins Sunday 29 March), the rest from Monday
     * 08:00 CEST (06:00Z). At risk after 96 minutes: Monday 08:36 CEST. */
    held(sto, HOLIDAYS_SE, "2026-03-27T14:00:00Z", 120, "2026-03-30T06:36:00Z",
         "2026-03-30T07:00:00Z");
    /* Friday 15:00 CEST, 2 h; summer time ends Sunday 25 October: Monday
     * 08:00 CET is 07:00Z. */
    held(sto, HOLIDAYS_SE, "2026-10-23T13:00:00Z", 120, "2026-10-26T07:36:00Z",
         "2026-10-26T08:00:00Z");
    /* The same in Helsinki (an hour ahead): Friday 15:00 EET is 13:00Z;
     * Monday 08:00 EEST is 05:00Z. */
    held(hel, HOLIDAYS_FI, "2026-03-27T13:00:00Z", 120, "2026-03-30T05:36:00Z",
         "2026-03-30T06:00:00Z");
}

static void test_clock_over_holidays(void **state)
{
    (void)state;
    /* Helsinki, Thursday before Easter 15:30 EEST (12:30Z): 30 minutes on
     * Thursday; Good Friday and Easter Monday are days off; Tuesday 08:00
     * EEST (05:00Z) + 90 min is due, + 66 min at risk. */
    held(hel, HOLIDAYS_FI, "2026-04-02T12:30:00Z", 120, "2026-04-07T06:06:00Z",
         "2026-04-07T06:30:00Z");
    /* Stockholm, Thursday before midsummer after closing (17:00 CEST):
     * midsummer eve is off; Monday 08:00 CEST (06:00Z) + 2 h. */
    held(sto, HOLIDAYS_SE, "2026-06-18T15:00:00Z", 120, "2026-06-22T07:36:00Z",
         "2026-06-22T08:00:00Z");
    /* The same Thursday in Finland's calendar: juhannusaatto is the same
     * Friday, so the same Monday (in Helsinki's time, 05:00Z). */
    held(hel, HOLIDAYS_FI, "2026-06-18T15:00:00Z", 120, "2026-06-22T06:36:00Z",
         "2026-06-22T07:00:00Z");
    /* Inside one working day, no stop: Tuesday 09:00 CET + 60 min. */
    held(sto, HOLIDAYS_SE, "2026-02-03T08:00:00Z", 60, "2026-02-03T08:48:00Z",
         "2026-02-03T09:00:00Z");
}

static void test_flag_thresholds(void **state)
{
    (void)state;
    /* risk at 100, due at 200 */
    assert_int_equal(sla_state_at(100, 200, 0, true, 99), SLA_OK);
    assert_int_equal(sla_state_at(100, 200, 0, true, 100), SLA_AT_RISK);
    assert_int_equal(sla_state_at(100, 200, 0, true, 199), SLA_AT_RISK);
    assert_int_equal(sla_state_at(100, 200, 0, true, 200), SLA_BREACHED);
    /* answered: met up to and at the due instant, whenever it is asked */
    assert_int_equal(sla_state_at(100, 200, 200, true, 9999), SLA_MET);
    assert_int_equal(sla_state_at(100, 200, 150, false, 9999), SLA_MET);
    assert_int_equal(sla_state_at(100, 200, 201, false, 300), SLA_BREACHED);
    /* closed without an answer: off the clock; no level: none */
    assert_int_equal(sla_state_at(100, 200, 0, false, 150), SLA_NONE);
    assert_int_equal(sla_state_at(0, 0, 0, true, 150), SLA_NONE);
    assert_string_equal(sla_state_names[SLA_AT_RISK], "at_risk");
    assert_string_equal(sla_state_names[SLA_BREACHED], "breached");
    /* 80% of 2 h on one open day is 96 minutes */
    struct worktime w = {.zone = sto, .cal = HOLIDAYS_NONE};
    struct error err = {0};
    assert_int_equal(worktime_parse_hours(&w, "mon-sun 00:00-24:00", &err), 0);
    int64_t r, d, t0 = at("2026-01-14T10:00:00Z");
    sla_times(&w, t0, 7200, 80, &r, &d);
    assert_int_equal(r - t0, 5760);
    assert_int_equal(d - t0, 7200);
    /* hours with no open day: never due */
    memset(w.open, 0, sizeof w.open);
    memset(w.close, 0, sizeof w.close);
    sla_times(&w, t0, 7200, 80, &r, &d);
    assert_true(d == INT64_MAX);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clock_across_summer_time),
        cmocka_unit_test(test_clock_over_holidays),
        cmocka_unit_test(test_flag_thresholds),
    };
    return cmocka_run_group_tests(tests, load_zones, NULL);
}
