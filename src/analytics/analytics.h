/* analytics: the KPIs of docs/metrics.md, aggregated by channel, platform,
 * campaign, format, theme (tag) or period in the workspace's time zone,
 * with the previous period for comparison. Reads the store, writes nothing. */
#ifndef KANAL_ANALYTICS_H
#define KANAL_ANALYTICS_H

#include "model/model.h"

enum analytics_dim {
    BY_NONE, BY_CHANNEL, BY_PLATFORM, BY_CAMPAIGN, BY_FORMAT, BY_TAG, BY_DAY, BY_WEEK, BY_MONTH,
};

struct analytics_query {
    int64_t since, until; /* UTC instants of local midnights; until exclusive */
    char since_date[11], until_date[11]; /* as given, YYYY-MM-DD (local) */
    enum analytics_dim by;
    bool compare;                  /* add the previous period's totals */
    int64_t channel_id, campaign_id; /* 0: all */
};

#define ANALYTICS_MAX_DAYS 3660

/* Reads since, until (local dates YYYY-MM-DD; default the 28 days up to
 * today), by (none, channel, platform, campaign, format, tag, day, week,
 * month), compare (previous), channel, campaign from query-string values. */
int analytics_query_parse(struct db *db, int64_t workspace_id, json_t *q,
                          struct analytics_query *out, struct error *err);

/* {"timezone", "since", "until", "by", "total": {...}, "rows": [{"key",
 * "label", ...kpis}], "previous": {...}, "change": {...}}. Caller owns. */
json_t *analytics_report(struct db *db, int64_t workspace_id, const struct analytics_query *q,
                         struct error *err);

/* The KPI names in report order, for tables and CSV. */
extern const char *const analytics_kpis[];

#endif
