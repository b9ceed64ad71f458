/* Unit tests for base/tz.c against the C library's own reading of the same
 * zones (localtime_r under TZ), hour by hour across years, including the
 * far future where only the zone's rule applies. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <time.h>

#include "base/base.h"

static void check_zone(const char *name)
{
    struct error err = {0};
    struct tz *z = tz_load(name, &err);
    assert_non_null(z);
    setenv("TZ", name, 1);
    tzset();
    /* 1990 .. 2060, every 61 minutes: crosses every transition's hour. */
    for (int64_t t = 631152000; t < 2871763200; t += 61 * 60) {
        time_t tt = (time_t)t;
        struct tm tm;
        localtime_r(&tt, &tm);
        if (tz_offset(z, t) != tm.tm_gmtoff)
            fail_msg("%s at %lld: kanal %d, libc %ld", name, (long long)t, tz_offset(z, t),
                     tm.tm_gmtoff);
        int64_t day =
            time_days_from_civil(tm.tm_year + 1900, (unsigned)tm.tm_mon + 1, (unsigned)tm.tm_mday);
        assert_int_equal(tz_local_day(z, t), day);
    }
    /* Every local day starts at local midnight. */
    for (int64_t day = 7305; day < 32000; day += 1) {
        int64_t s = tz_day_start(z, day);
        time_t tt = (time_t)s;
        struct tm tm;
        localtime_r(&tt, &tm);
        if (tm.tm_hour != 0 || tm.tm_min != 0 || tz_local_day(z, s) != day ||
            tz_local_day(z, s - 1) != day - 1)
            fail_msg("%s: day %lld starts at %lld (%02d:%02d)", name, (long long)day, (long long)s,
                     tm.tm_hour, tm.tm_min);
    }
    tz_free(z);
}

static void test_stockholm(void **state)
{
    check_zone("Europe/Stockholm");
}

static void test_helsinki(void **state)
{
    check_zone("Europe/Helsinki");
}

static void test_utc_and_london(void **state)
{
    check_zone("UTC");
    check_zone("Europe/London");
}

static void test_bad_names(void **state)
{
    struct error err = {0};
    assert_null(tz_load("Mars/Olympus_Mons", &err));
    assert_null(tz_load("../../etc/passwd", &err));
    assert_null(tz_load("/etc/localtime", &err));
    assert_null(tz_load("", &err));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stockholm),
        cmocka_unit_test(test_helsinki),
        cmocka_unit_test(test_utc_and_london),
        cmocka_unit_test(test_bad_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
