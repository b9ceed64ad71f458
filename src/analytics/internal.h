/* analytics internals: docs/metrics.md's definitions (definitions.c), which
 * the reports (kpi.c), what works (insights.c) and the top posts all use,
 * and the period's post tags that the reports and what works share. */
#ifndef KANAL_ANALYTICS_INTERNAL_H
#define KANAL_ANALYTICS_INTERNAL_H

#include "analytics/analytics.h"

/* A post variant's latest numbers (docs/metrics.md, "Post metrics"), by
 * the model's enum post_metric. A number the platform did not report is
 * missing (has[i] false), not 0. */
struct post_metrics {
    int64_t v[PM_COUNT];
    bool has[PM_COUNT];
};

/* The variant columns a query selects (variant as v) for post_metrics_read,
 * in enum post_metric's order. */
#define POST_METRIC_COLUMNS                                                                        \
    "v.m_reach, v.m_impressions, v.m_reactions, v.m_comments, v.m_shares, v.m_saves, "             \
    "v.m_clicks, v.m_video_views"
void post_metrics_read(struct db_stmt *st, int first_column, struct post_metrics *m);

/* The organisation's post variants (v, with their posts p and channels c)
 * published in a period, peers' left out: bind workspace, since, until. */
#define OWN_POSTS_IN_PERIOD                                                                        \
    " FROM post_variants v JOIN posts p ON p.id = v.post_id JOIN channels c ON "                   \
    "c.id = v.channel_id WHERE p.workspace_id = ? AND c.is_peer = 0 AND v.published_at >= ? "      \
    "AND v.published_at < ?"

/* Interactions: reactions + comments + shares + saves, a missing part
 * counting 0 when at least one part is there. False (and *out 0) when the
 * platform reported none of them: the post has no interactions figure. */
bool kpi_interactions(const struct post_metrics *m, int64_t *out);

/* One post's engagement rate by reach (interactions / reach), for posts
 * with both and a reach above 0; false otherwise. */
bool kpi_post_er_reach(const struct post_metrics *m, double *out);

/* What one pass collects for a group of posts, messages and channel-days,
 * from which kpi_json computes every KPI. */
struct kpi_sums {
    int64_t posts;
    int64_t sum[PM_COUNT];      /* Σ of each number over the posts that report it */
    int64_t reported[PM_COUNT]; /* how many posts report it */
    int64_t interactions, with_interactions;
    /* the numerators and denominators of the ratios of sums, each over the
     * posts that have both of its parts */
    int64_t er_reach_num, er_reach_den, er_impr_num, er_impr_den, ctr_num, ctr_den;
    int64_t incoming, answered;
    struct imap waits; /* first-response histogram: bin -> count (model/message_stats.c) */
    /* service levels: messages held to one, answered within it, and the
     * histogram of first answers in working time (model/sla.c) */
    int64_t held, within;
    struct imap work_waits;
    int64_t elsewhere; /* of the answered: first answered outside kanal */
    /* ER by followers: per-day sums over the report's days (NULL: no
     * follower base for this group) */
    double *day_inter, *day_followers;
    int64_t followers_start, followers_end;
    bool has_followers;
};

/* Adds one post's numbers; day is its index among the report's days. */
void kpi_add_post(struct kpi_sums *s, const struct post_metrics *m, int64_t day);

/* Every KPI of analytics_kpis, in that order, for a group spanning `days`
 * of the report's `ndays`. Caller owns the object. */
json_t *kpi_json(const struct kpi_sums *s, int64_t days, int64_t ndays);

void kpi_sums_free(struct kpi_sums *s);

/* The tags of the workspace's posts with a variant published in
 * [since, until), as a list per post: for (i = first(post); i >= 0; i =
 * next[i]) tag[i]. Shared by the reports and what works. */
struct post_tags {
    struct imap first; /* post id -> index of its first tag */
    int64_t *tag, *next;
    size_t n, cap;
};
int post_tags_load(struct db *db, int64_t workspace_id, int64_t since, int64_t until,
                   struct post_tags *pt, struct error *err);
int64_t post_tags_first(const struct post_tags *pt, int64_t post_id); /* -1: none */
void post_tags_free(struct post_tags *pt);

#endif
