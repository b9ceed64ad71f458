/* model/link: short links and their clicks in the store: inserting a link
 * whose target links/ has built, reading links back, the lookup behind the
 * redirect, and click statistics (per link, campaign, channel, day, post
 * with its click-through rate, and the advocates' leaderboard). */
#ifndef KANAL_MODEL_LINK_H
#define KANAL_MODEL_LINK_H

#include "model/model.h"

struct link_in {
    const char *code, *url, *target_url;
    int64_t campaign_id, channel_id, post_id; /* 0: none */
    const char *advocate;
    const char *utm[5]; /* source, medium, campaign, term, content; never NULL */
};

/* Inserts and audits one link. ERR_CONFLICT when the code, or one that
 * differs from it only in case, is taken (the caller picks another). */
int link_insert(struct db *db, int64_t workspace_id, const struct link_in *l,
                const struct actor *who, int64_t *id, struct error *err);
/* {id, code, url, target_url, ..., clicks}; caller owns. */
json_t *link_get(struct db *db, int64_t workspace_id, int64_t id, struct error *err);

struct link_filter {
    int64_t campaign_id, channel_id, post_id; /* 0: any */
    const char *advocate;                     /* NULL: any */
    int64_t since, until;                     /* clicks in [since, until); 0: open */
};
/* Parses campaign, channel, post, advocate, since, until (and allows limit,
 * cursor, by) from a query-string object. */
int link_filter_parse(struct link_filter *f, json_t *query, struct error *err);
json_t *link_list(struct db *db, int64_t workspace_id, const struct link_filter *f,
                  const struct page *pg, struct error *err);

/* The redirect's lookup: 1 and the link's id and target, 0 for no such
 * code, -1 on error. */
int link_target(struct db *db, const char *code, int64_t *id, struct buf *target,
                struct error *err);

/* Clicks grouped `by` "link", "campaign", "channel", "day", "post" or
 * "advocate" (the leaderboard) for the links and time the filter selects. Bots are counted apart
 * and left out of clicks and visitors. Returns {"by": .., "items": [..]}; caller owns. */
json_t *link_stats(struct db *db, int64_t workspace_id, const char *by, const struct link_filter *f,
                   struct error *err);

#endif
