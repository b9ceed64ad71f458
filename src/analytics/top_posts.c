/* top_posts: the organisation's posts of a period ranked by interactions,
 * for the monthly report's list. Ranked here rather than in SQL so that
 * interactions keep their one definition (definitions.c). */
#include "analytics/internal.h"

#include <assert.h>
#include <stdlib.h>

struct ranked {
    int64_t variant, interactions; /* -1: no interactions figure, ranks last */
};

/* Before b: more interactions, then the older variant. */
static bool before(const struct ranked *a, const struct ranked *b)
{
    return a->interactions != b->interactions ? a->interactions > b->interactions
                                              : a->variant < b->variant;
}

json_t *analytics_top_posts(struct db *db, int64_t workspace_id, const struct analytics_query *q,
                            int limit, struct error *err)
{
    assert(limit > 0);
    struct ranked *top = xcalloc((size_t)limit, sizeof *top);
    json_t *out = NULL, *posts = NULL;
    int n = 0;
    /* Pass one: rank the period's variants by their numbers alone. */
    struct db_stmt *st = db_query(db, err, "SELECT v.id, " POST_METRIC_COLUMNS OWN_POSTS_IN_PERIOD,
                                  "iii", workspace_id, q->since, q->until);
    if (!st)
        goto done;
    int rc = db_has_row(st);
    for (; rc == 1; rc = db_step(st, err)) {
        struct post_metrics m;
        post_metrics_read(st, 1, &m);
        struct ranked r = {.variant = db_col_int(st, 0)};
        if (!kpi_interactions(&m, &r.interactions))
            r.interactions = -1;
        if (n == limit && !before(&r, &top[n - 1]))
            continue;
        int i = n < limit ? n++ : n - 1; /* the last place, then move up */
        while (i > 0 && before(&r, &top[i - 1])) {
            top[i] = top[i - 1];
            i--;
        }
        top[i] = r;
        assert(n <= limit && (i == n - 1 || before(&top[i], &top[i + 1])));
    }
    db_finalize(st);
    if (rc < 0)
        goto done;
    /* Pass two: what the list shows of each. */
    posts = json_array();
    for (int i = 0; i < n; i++) {
        st = db_query(db, err,
                      "SELECT COALESCE(v.body, p.body), c.name, c.platform, p.format, "
                      "v.permalink, " POST_METRIC_COLUMNS " FROM post_variants v JOIN posts p ON "
                      "p.id = v.post_id JOIN channels c ON c.id = v.channel_id WHERE v.id = ?",
                      "i", top[i].variant);
        if (!st)
            goto done;
        if (db_has_row(st) != 1) {
            db_finalize(st);
            error_set(err, ERR_INTERNAL, "post variant %lld vanished during a report",
                      (long long)top[i].variant);
            goto done;
        }
        struct post_metrics m;
        post_metrics_read(st, 5, &m);
        int64_t inter;
        double er;
        bool has_inter = kpi_interactions(&m, &inter), has_er = kpi_post_er_reach(&m, &er);
        json_array_append_new(
            posts, json_pack("{s:I, s:s, s:s, s:s, s:s, s:s?, s:o, s:o, s:o}", "id",
                             (json_int_t)top[i].variant, "body", db_col_text(st, 0), "channel",
                             db_col_text(st, 1), "platform", db_col_text(st, 2), "format",
                             db_col_text(st, 3), "permalink",
                             db_col_null(st, 4) ? NULL : db_col_text(st, 4), "interactions",
                             has_inter ? json_integer(inter) : json_null(), "reach",
                             m.has[PM_REACH] ? json_integer(m.v[PM_REACH]) : json_null(),
                             "er_reach", has_er ? json_real(er) : json_null()));
        db_finalize(st);
    }
    out = json_pack("{s:s, s:s, s:O}", "since", q->since_date, "until", q->until_date, "posts",
                    posts);
done:
    json_decref(posts);
    free(top);
    return out;
}
