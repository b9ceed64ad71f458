/* definitions: docs/metrics.md's KPIs, each written once. The reports sum
 * posts into kpi_sums and turn them into KPIs here; what works and the top
 * posts take a post's interactions and engagement rate from here too. */
#include "analytics/internal.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

const char *const analytics_kpis[] = {"posts",
                                      "posts_per_week",
                                      "reach",
                                      "impressions",
                                      "reactions",
                                      "comments",
                                      "shares",
                                      "saves",
                                      "interactions",
                                      "clicks",
                                      "video_views",
                                      "er_reach",
                                      "er_impressions",
                                      "er_followers",
                                      "ctr",
                                      "followers_start",
                                      "followers_end",
                                      "follower_growth",
                                      "follower_growth_pct",
                                      "incoming",
                                      "answered",
                                      "answered_elsewhere",
                                      "response_rate",
                                      "median_response_seconds",
                                      "median_response_work_seconds",
                                      "held_to_level",
                                      "answered_within_level",
                                      "within_level_rate",
                                      NULL};

void post_metrics_read(struct db_stmt *st, int first_column, struct post_metrics *m)
{
    for (int i = 0; i < PM_COUNT; i++) {
        m->has[i] = !db_col_null(st, first_column + i);
        m->v[i] = m->has[i] ? db_col_int(st, first_column + i) : 0;
    }
}

bool kpi_interactions(const struct post_metrics *m, int64_t *out)
{
    static const enum post_metric parts[] = {PM_REACTIONS, PM_COMMENTS, PM_SHARES, PM_SAVES};
    bool any = false;
    *out = 0;
    for (size_t i = 0; i < ARRAY_LEN(parts); i++)
        if (m->has[parts[i]]) {
            *out += m->v[parts[i]];
            any = true;
        }
    return any;
}

bool kpi_post_er_reach(const struct post_metrics *m, double *out)
{
    int64_t inter;
    if (!kpi_interactions(m, &inter) || !m->has[PM_REACH] || m->v[PM_REACH] <= 0)
        return false;
    *out = (double)inter / (double)m->v[PM_REACH];
    return true;
}

void kpi_add_post(struct kpi_sums *s, const struct post_metrics *m, int64_t day)
{
    assert(day >= 0); /* the report's days start at its first */
    s->posts++;
    for (int i = 0; i < PM_COUNT; i++)
        if (m->has[i]) {
            s->sum[i] += m->v[i];
            s->reported[i]++;
        }
    int64_t inter;
    bool any = kpi_interactions(m, &inter);
    s->interactions += inter;
    s->with_interactions += any;
    if (any && m->has[PM_REACH]) {
        s->er_reach_num += inter;
        s->er_reach_den += m->v[PM_REACH];
    }
    if (any && m->has[PM_IMPRESSIONS]) {
        s->er_impr_num += inter;
        s->er_impr_den += m->v[PM_IMPRESSIONS];
    }
    if (m->has[PM_CLICKS] && m->has[PM_IMPRESSIONS]) {
        s->ctr_num += m->v[PM_CLICKS];
        s->ctr_den += m->v[PM_IMPRESSIONS];
    }
    if (s->day_inter && any)
        s->day_inter[day] += (double)inter;
}

/* A sum over the posts that report a number: missing, not 0, when there
 * are posts and none of them reports it (a platform without saves). */
static json_t *sum(const struct kpi_sums *s, int64_t total, int64_t reported)
{
    assert(reported <= s->posts);
    return s->posts && !reported ? json_null() : json_integer(total);
}

static json_t *metric_sum(const struct kpi_sums *s, enum post_metric m)
{
    return sum(s, s->sum[m], s->reported[m]);
}

/* A ratio of sums; missing when nothing is under it. */
static json_t *ratio(int64_t num, int64_t den)
{
    return den > 0 ? json_real((double)num / (double)den) : json_null();
}

/* Socialbakers' engagement rate by followers: the mean over the days with
 * a follower count of that day's interactions / followers. */
static json_t *er_followers(const struct kpi_sums *s, int64_t ndays)
{
    if (!s->day_followers)
        return json_null();
    double sum = 0;
    int64_t n = 0;
    for (int64_t d = 0; d < ndays; d++)
        if (s->day_followers[d] > 0) {
            sum += s->day_inter[d] / s->day_followers[d];
            n++;
        }
    return n ? json_real(sum / (double)n) : json_null();
}

json_t *kpi_json(const struct kpi_sums *s, int64_t days, int64_t ndays)
{
    assert(days >= 0 && days <= ndays);
    json_t *o = json_object();
    json_object_set_new(o, "posts", json_integer(s->posts));
    json_object_set_new(o, "posts_per_week",
                        days ? json_real((double)s->posts * 7.0 / (double)days) : json_null());
    json_object_set_new(o, "reach", metric_sum(s, PM_REACH));
    json_object_set_new(o, "impressions", metric_sum(s, PM_IMPRESSIONS));
    json_object_set_new(o, "reactions", metric_sum(s, PM_REACTIONS));
    json_object_set_new(o, "comments", metric_sum(s, PM_COMMENTS));
    json_object_set_new(o, "shares", metric_sum(s, PM_SHARES));
    json_object_set_new(o, "saves", metric_sum(s, PM_SAVES));
    json_object_set_new(o, "interactions", sum(s, s->interactions, s->with_interactions));
    json_object_set_new(o, "clicks", metric_sum(s, PM_CLICKS));
    json_object_set_new(o, "video_views", metric_sum(s, PM_VIDEO_VIEWS));
    json_object_set_new(o, "er_reach", ratio(s->er_reach_num, s->er_reach_den));
    json_object_set_new(o, "er_impressions", ratio(s->er_impr_num, s->er_impr_den));
    json_object_set_new(o, "er_followers", er_followers(s, ndays));
    json_object_set_new(o, "ctr", ratio(s->ctr_num, s->ctr_den));
    if (s->has_followers) {
        int64_t growth = s->followers_end - s->followers_start;
        json_object_set_new(o, "followers_start", json_integer(s->followers_start));
        json_object_set_new(o, "followers_end", json_integer(s->followers_end));
        json_object_set_new(o, "follower_growth", json_integer(growth));
        json_object_set_new(o, "follower_growth_pct",
                            s->followers_start > 0
                                ? json_real((double)growth / (double)s->followers_start)
                                : json_null());
    } else {
        json_object_set_new(o, "followers_start", json_null());
        json_object_set_new(o, "followers_end", json_null());
        json_object_set_new(o, "follower_growth", json_null());
        json_object_set_new(o, "follower_growth_pct", json_null());
    }
    json_object_set_new(o, "incoming", json_integer(s->incoming));
    json_object_set_new(o, "answered", json_integer(s->answered));
    json_object_set_new(o, "answered_elsewhere", json_integer(s->elsewhere));
    json_object_set_new(o, "response_rate", ratio(s->answered, s->incoming));
    double median;
    json_object_set_new(o, "median_response_seconds",
                        wait_hist_median(&s->waits, &median) ? json_real(median) : json_null());
    json_object_set_new(o, "median_response_work_seconds",
                        wait_hist_median(&s->work_waits, &median) ? json_real(median)
                                                                  : json_null());
    json_object_set_new(o, "held_to_level", json_integer(s->held));
    json_object_set_new(o, "answered_within_level", json_integer(s->within));
    json_object_set_new(o, "within_level_rate", ratio(s->within, s->held));
    /* One key per name of analytics_kpis, which CSV headers are made from. */
    assert(json_object_size(o) == ARRAY_LEN(analytics_kpis) - 1);
    return o;
}

void kpi_sums_free(struct kpi_sums *s)
{
    imap_free(&s->waits);
    imap_free(&s->work_waits);
    free(s->day_inter);
    free(s->day_followers);
    memset(s, 0, sizeof *s);
}
