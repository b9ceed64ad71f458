/* demo: a realistic, deterministic organisation for trying kanal and for
 * tests that need plausible data: same seed and end date, same rows. */
#ifndef KANAL_DEMO_H
#define KANAL_DEMO_H

#include "model/model.h"

struct demo_options {
    uint64_t seed;
    int64_t end; /* the last day covered (Unix seconds, midnight UTC) */
    int days;    /* how far back from `end` */
    /* The demo's own "now": nothing is dated after it, so no message sits
     * in the inbox from the future. 0: the clock. Never later than the end
     * of the last day; with an `end` in the past the rows depend only on the
     * seed and `end`. */
    int64_t now;
    bool create_user; /* add the demo admin if missing */
};

struct demo_summary {
    int64_t workspace_id;
    int channels, campaigns, tags, posts, variants, post_metrics, channel_metrics, messages;
};

#define DEMO_EMAIL    "demo@kanal.local"
#define DEMO_PASSWORD "kanal-demo-password"

/* Fills the database in one transaction. ERR_CONFLICT if the demo
 * workspace is already there. */
int demo_fill(struct db *db, const struct demo_options *o, struct demo_summary *s,
              struct error *err);

#endif
