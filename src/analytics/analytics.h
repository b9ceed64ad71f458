/* analytics: the KPIs of docs/metrics.md, aggregated by channel, platform,
 * campaign, format, theme (tag) or period in the workspace's time zone,
 * with the previous period for comparison. Reads the store, writes nothing. */
#ifndef KANAL_ANALYTICS_H
#define KANAL_ANALYTICS_H

#include "model/model.h"

enum analytics_dim {
    BY_NONE,
    BY_CHANNEL,
    BY_PLATFORM,
    BY_CAMPAIGN,
    BY_FORMAT,
    BY_TAG,
    BY_DAY,
    BY_WEEK,
    BY_MONTH,
    BY_TEAM, /* the messages' response figures per team (posts: the total only) */
};

struct analytics_query {
    int64_t since, until;                /* UTC instants of local midnights; until exclusive */
    char since_date[11], until_date[11]; /* as given, YYYY-MM-DD (local) */
    enum analytics_dim by;
    bool compare;                    /* add the previous period's totals */
    int64_t channel_id, campaign_id; /* 0: all */
    bool include_peers;              /* count peers' channels too (top lists) */
};

#define ANALYTICS_MAX_DAYS 3660

/* Reads since, until (local dates YYYY-MM-DD; default the 28 days up to
 * today), by (none, channel, platform, campaign, format, tag, day, week,
 * month, team), compare (previous), channel, campaign from query-string
 * values. `extra` (NULL-terminated, may be NULL) names the caller's own
 * parameters, which q may hold too and are left to the caller to read;
 * any other is ERR_INVALID. */
int analytics_query_parse(struct db *db, int64_t workspace_id, json_t *q, const char *const *extra,
                          struct analytics_query *out, struct error *err);

/* {"timezone", "since", "until", "by", "total": {...}, "rows": [{"key",
 * "label", ...kpis}], "previous": {...}, "change": {...}}; with compare,
 * rows not by day, week or month have their own "previous" and "change"
 * too. Caller owns. */
json_t *analytics_report(struct db *db, int64_t workspace_id, const struct analytics_query *q,
                         struct error *err);

/* What works: for the posts published in q's period, the lift in mean
 * engagement rate by reach of posts with each feature (format, theme,
 * weekday, hour, text length, question, calls to action, emoji, hashtags)
 * over the others, with sample sizes and a bootstrap 95% interval; "too
 * few posts" under 10 on either side. Caller owns the result. */
json_t *analytics_insights(struct db *db, int64_t workspace_id, const struct analytics_query *q,
                           struct error *err);

/* Top list: every channel, own and peers', ranked by `metric`
 * (interactions, er_followers, er_reach, follower_growth,
 * follower_growth_pct) over q's period, optionally one platform's only. */
json_t *analytics_toplist(struct db *db, int64_t workspace_id, const struct analytics_query *q,
                          const char *metric, const char *platform, struct error *err);

/* A campaign's KPIs beside those of the earlier campaigns with the same
 * target tag, and their mean. */
json_t *analytics_campaign(struct db *db, int64_t workspace_id, int64_t campaign_id,
                           struct error *err);

/* The organisation's `limit` posts of q's period with the most
 * interactions (posts without them last, ties in the order stored), each
 * with its body, channel, format, permalink, interactions, reach and
 * engagement rate by reach: {"since", "until", "posts": [...]}. Caller
 * owns the result. */
json_t *analytics_top_posts(struct db *db, int64_t workspace_id, const struct analytics_query *q,
                            int limit, struct error *err);

/* The KPI names in report order, for tables and CSV. */
extern const char *const analytics_kpis[];

#endif
