/* Unit tests for analytics/definitions.c: docs/metrics.md's KPI arithmetic
 * on posts written here, with every expected value worked out by hand from
 * the definitions (a missing number is not 0; rates are ratios of sums over
 * the posts that have both parts). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analytics/internal.h"

/* A post from its numbers in enum post_metric order; -1: not reported. */
static struct post_metrics post(int64_t reach, int64_t impressions, int64_t reactions,
                                int64_t comments, int64_t shares, int64_t saves, int64_t clicks,
                                int64_t views)
{
    int64_t v[PM_COUNT] = {reach, impressions, reactions, comments, shares, saves, clicks, views};
    struct post_metrics m = {0};
    for (int i = 0; i < PM_COUNT; i++) {
        m.has[i] = v[i] >= 0;
        m.v[i] = m.has[i] ? v[i] : 0;
    }
    return m;
}

static void expect_int(json_t *o, const char *k, int64_t want)
{
    json_t *v = json_object_get(o, k);
    if (!json_is_integer(v))
        fail_msg("%s is not an integer", k);
    assert_int_equal(json_integer_value(v), want);
}

static void expect_real(json_t *o, const char *k, double want)
{
    json_t *v = json_object_get(o, k);
    if (!json_is_real(v))
        fail_msg("%s is not a number", k);
    if (fabs(json_real_value(v) - want) > 1e-12)
        fail_msg("%s: %.15g, want %.15g", k, json_real_value(v), want);
}

static void expect_null(json_t *o, const char *k)
{
    if (!json_is_null(json_object_get(o, k)))
        fail_msg("%s is not null", k);
}

static void test_interactions(void **state)
{
    int64_t n;
    struct post_metrics m = post(100, -1, 5, 2, 1, 3, -1, -1);
    assert_true(kpi_interactions(&m, &n));
    assert_int_equal(n, 11);                  /* 5 + 2 + 1 + 3 */
    m = post(100, -1, 5, -1, -1, -1, -1, -1); /* only reactions: the rest count 0 */
    assert_true(kpi_interactions(&m, &n));
    assert_int_equal(n, 5);
    m = post(100, 200, -1, -1, -1, -1, 4, 9); /* no part at all: no figure */
    assert_false(kpi_interactions(&m, &n));
    assert_int_equal(n, 0);
    m = post(-1, -1, 0, 0, 0, 0, -1, -1); /* all reported as 0: a figure of 0 */
    assert_true(kpi_interactions(&m, &n));
    assert_int_equal(n, 0);
}

static void test_post_er_reach(void **state)
{
    double er;
    struct post_metrics m = post(200, -1, 10, 4, -1, -1, -1, -1);
    assert_true(kpi_post_er_reach(&m, &er));
    assert_true(fabs(er - 14.0 / 200.0) < 1e-15);
    m = post(0, -1, 10, -1, -1, -1, -1, -1); /* reach 0: no rate */
    assert_false(kpi_post_er_reach(&m, &er));
    m = post(-1, 50, 10, -1, -1, -1, -1, -1); /* no reach */
    assert_false(kpi_post_er_reach(&m, &er));
    m = post(200, -1, -1, -1, -1, -1, -1, -1); /* no interactions */
    assert_false(kpi_post_er_reach(&m, &er));
}

/* Three posts over 14 days, two of them X-like (no saves, no video views). */
static void test_sums_and_rates(void **state)
{
    struct kpi_sums s = {0};
    struct post_metrics a = post(1000, 1500, 40, 5, 5, -1, 30, -1);
    struct post_metrics b = post(500, -1, 10, -1, -1, -1, -1, -1);
    struct post_metrics c = post(-1, 800, 6, 2, -1, -1, 8, -1);
    kpi_add_post(&s, &a, 0);
    kpi_add_post(&s, &b, 3);
    kpi_add_post(&s, &c, 3);
    json_t *o = kpi_json(&s, 14, 14);
    expect_int(o, "posts", 3);
    expect_real(o, "posts_per_week", 3 * 7.0 / 14); /* 1.5 */
    expect_int(o, "reach", 1500);
    expect_int(o, "impressions", 2300);
    expect_int(o, "reactions", 56);
    expect_int(o, "comments", 7);
    expect_int(o, "shares", 5);
    expect_null(o, "saves"); /* no post reports saves: missing, not 0 */
    expect_null(o, "video_views");
    expect_int(o, "interactions", 50 + 10 + 8);
    expect_int(o, "clicks", 38);
    /* by reach: posts a and b (c has no reach): (50 + 10) / (1000 + 500) */
    expect_real(o, "er_reach", 60.0 / 1500.0);
    /* by impressions: posts a and c: (50 + 8) / (1500 + 800) */
    expect_real(o, "er_impressions", 58.0 / 2300.0);
    /* CTR: posts with clicks and impressions, a and c: 38 / 2300 */
    expect_real(o, "ctr", 38.0 / 2300.0);
    expect_null(o, "er_followers"); /* no follower base given */
    expect_null(o, "follower_growth");
    expect_int(o, "incoming", 0);
    expect_null(o, "response_rate");
    /* One name of analytics_kpis per key, in that order. */
    size_t i = 0;
    const char *k;
    json_t *v;
    json_object_foreach (o, k, v)
        assert_string_equal(k, analytics_kpis[i++]);
    assert_null(analytics_kpis[i]);
    json_decref(o);
    kpi_sums_free(&s);

    /* No posts at all: nothing went unreported, the sums are 0. */
    o = kpi_json(&s, 7, 7);
    expect_int(o, "saves", 0);
    expect_int(o, "interactions", 0);
    expect_real(o, "posts_per_week", 0);
    json_decref(o);
}

/* Socialbakers' ER by followers: the mean over days with a count of
 * interactions / followers, days without posts counting 0. */
static void test_er_followers_and_growth(void **state)
{
    struct kpi_sums s = {0};
    s.day_inter = calloc(4, sizeof *s.day_inter);
    s.day_followers = calloc(4, sizeof *s.day_followers);
    double followers[4] = {1000, 1000, 0, 1250}; /* day 2: no count */
    memcpy(s.day_followers, followers, sizeof followers);
    struct post_metrics a = post(-1, -1, 20, -1, -1, -1, -1, -1);
    struct post_metrics b = post(-1, -1, 25, -1, -1, -1, -1, -1);
    kpi_add_post(&s, &a, 0);
    kpi_add_post(&s, &b, 3);
    s.followers_start = 1000;
    s.followers_end = 1250;
    s.has_followers = true;
    json_t *o = kpi_json(&s, 4, 4);
    /* days 0, 1, 3: 20/1000, 0/1000, 25/1250 -> (0.02 + 0 + 0.02) / 3 */
    expect_real(o, "er_followers", 0.04 / 3);
    expect_int(o, "follower_growth", 250);
    expect_real(o, "follower_growth_pct", 0.25);
    json_decref(o);
    kpi_sums_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_interactions),
        cmocka_unit_test(test_post_er_reach),
        cmocka_unit_test(test_sums_and_rates),
        cmocka_unit_test(test_er_followers_and_growth),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
