/* Unit tests for demo/: the demo workspace is written on an in-memory SQLite
 * database, and its rows are read back with SQL of their own, not through
 * the demo's summary. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "demo/demo.h"

#define DAY 86400

static struct db *filled(const struct demo_options *o)
{
    struct error err = {0};
    struct db *db = db_open(":memory:", &err);
    assert_non_null(db);
    log_set_level(LOG_WARN);
    assert_true(db_migrate(db, &err) >= 1);
    struct demo_summary s;
    if (demo_fill(db, o, &s, &err))
        fail_msg("demo_fill: %s", err.msg);
    return db;
}

static int64_t scalar(struct db *db, const char *sql)
{
    struct error err = {0};
    int64_t v = 0;
    assert_int_equal(db_scalar(db, &err, &v, sql, ""), 1);
    return v;
}

/* The latest instant anything in the demo is dated at. */
static int64_t latest(struct db *db)
{
    return scalar(db, "SELECT MAX(t) FROM ("
                      "SELECT MAX(created_at) AS t FROM messages "
                      "UNION ALL SELECT MAX(published_at) FROM post_variants "
                      "UNION ALL SELECT MAX(at) FROM posts "
                      "UNION ALL SELECT MAX(taken_at) FROM post_metrics "
                      "UNION ALL SELECT MAX(taken_at) FROM channel_metrics) AS x");
}

/* Issue 22: demo messages dated in the future sat at the top of the inbox.
 * Made today, the demo dates nothing after the moment it was made. */
static void test_made_today_nothing_is_in_the_future(void **state)
{
    int64_t t = time_now();
    struct demo_options o = {.seed = 1, .end = t - t % DAY, .days = 14};
    struct db *db = filled(&o);
    int64_t done = time_now();
    assert_true(latest(db) <= done);
    db_close(db);
}

/* With the demo's "now" in the middle of its last day: nothing after it, and
 * the morning before it still has its posts and comments. */
static void test_nothing_after_its_now(void **state)
{
    int64_t end = 1793491200; /* 2026-11-01, a Sunday */
    struct demo_options o = {.seed = 3, .end = end - 4 * DAY, .days = 60};
    o.now = o.end + 15 * 3600; /* Wednesday, 15:00 UTC */
    struct db *db = filled(&o);
    assert_true(latest(db) <= o.now);
    char sql[160];
    snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM messages WHERE created_at >= %lld",
             (long long)o.end);
    assert_true(scalar(db, sql) > 0);
    db_close(db);
    /* A period that ended before its "now" reaches the end of its last day. */
    o.now = o.end + 30 * DAY;
    db = filled(&o);
    assert_true(latest(db) <= o.end + DAY);
    assert_true(latest(db) > o.end + 15 * 3600);
    db_close(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_made_today_nothing_is_in_the_future),
        cmocka_unit_test(test_nothing_after_its_now),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
