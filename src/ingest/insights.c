/* insights: the Graph API's insights arrays, shared by Facebook pages and
 * Instagram accounts: metrics with a time (end_time) belong to the account,
 * lifetime metrics of a post or media to that post. Readings of one owner at
 * one time are merged into one snapshot, so no metric overwrites another. */
#include "ingest/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct slot {
    char owner[96];
    int64_t at;
    bool post;
    int64_t pm[PM_COUNT];
    int64_t followers, reach, impressions;
    char where[64];
};

static int post_metric(const char *name)
{
    static const struct {
        const char *name;
        int m;
    } map[] = {
        {"impressions", PM_IMPRESSIONS},
        {"post_impressions", PM_IMPRESSIONS},
        {"reach", PM_REACH},
        {"post_impressions_unique", PM_REACH},
        {"saved", PM_SAVES},
        {"likes", PM_REACTIONS},
        {"post_reactions_total", PM_REACTIONS},
        {"comments", PM_COMMENTS},
        {"shares", PM_SHARES},
        {"video_views", PM_VIDEO_VIEWS},
        {"plays", PM_VIDEO_VIEWS},
        {"post_video_views", PM_VIDEO_VIEWS},
        {"post_clicks", PM_CLICKS},
        {"clicks", PM_CLICKS},
    };
    for (size_t i = 0; i < ARRAY_LEN(map); i++)
        if (str_eq(map[i].name, name))
            return map[i].m;
    return -1;
}

/* 0 followers, 1 reach, 2 impressions; -1 not one kanal keeps. */
static int account_metric(const char *name)
{
    if (str_eq(name, "follower_count") || str_eq(name, "followers_count") ||
        str_eq(name, "page_fans") || str_eq(name, "page_follows"))
        return 0;
    if (str_eq(name, "reach") || str_eq(name, "page_impressions_unique"))
        return 1;
    if (str_eq(name, "impressions") || str_eq(name, "page_impressions"))
        return 2;
    return -1;
}

static struct slot *slot_for(struct slot **slots, size_t *n, size_t *cap, const char *owner,
                             int64_t at, bool post)
{
    for (size_t i = 0; i < *n; i++)
        if ((*slots)[i].at == at && (*slots)[i].post == post && str_eq((*slots)[i].owner, owner))
            return &(*slots)[i];
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 8;
        *slots = xrealloc(*slots, *cap * sizeof **slots);
    }
    struct slot *s = &(*slots)[(*n)++];
    memset(s, 0, sizeof *s);
    snprintf(s->owner, sizeof s->owner, "%s", owner);
    s->at = at;
    s->post = post;
    for (int i = 0; i < PM_COUNT; i++)
        s->pm[i] = -1;
    s->followers = s->reach = s->impressions = -1;
    return s;
}

int parse_graph_insights(struct pctx *pc, json_t *data, const char *platform, struct error *err)
{
    struct slot *slots = NULL;
    size_t n = 0, cap = 0, i;
    json_t *m;
    int rc = 0;
    json_array_foreach (data, i, m) {
        char where[48];
        snprintf(where, sizeof where, "$.data[%zu]", i);
        const char *name = json_string_value(json_object_get(m, "name"));
        const char *id = json_string_value(json_object_get(m, "id"));
        const char *period = json_string_value(json_object_get(m, "period"));
        if (!name || !id) {
            if ((rc = rec_reject(pc, where, "an insights metric needs 'name' and 'id'")))
                goto done;
            continue;
        }
        const char *slash = strchr(id, '/');
        char owner[96];
        snprintf(owner, sizeof owner, "%.*s", (int)(slash ? slash - id : (long)strlen(id)), id);
        json_t *values = json_object_get(m, "values"), *v;
        json_t *total = json_object_get(json_object_get(m, "total_value"), "value");
        size_t k;
        /* The newer shape gives one total_value instead of dated values. */
        json_t *one = NULL;
        if (!json_is_array(values) && json_is_integer(total)) {
            one = json_pack("[{s:O}]", "value", total);
            values = one;
        }
        json_array_foreach (values, k, v) {
            json_t *val = json_object_get(v, "value");
            if (!json_is_integer(val))
                continue; /* breakdown objects: kanal keeps totals only */
            int64_t at = jtime(v, "end_time");
            bool post = !at && (str_eq(platform, "facebook") ? strchr(owner, '_') != NULL
                                                             : str_eq(period, "lifetime"));
            int which = post ? post_metric(name) : account_metric(name);
            if (which < 0)
                continue;
            struct slot *s = slot_for(&slots, &n, &cap, owner, at ? at : pc->opts->taken_at, post);
            snprintf(s->where, sizeof s->where, "%s", where);
            int64_t x = json_integer_value(val);
            if (post)
                s->pm[which] = x;
            else if (which == 0)
                s->followers = x;
            else if (which == 1)
                s->reach = x;
            else
                s->impressions = x;
        }
        json_decref(one);
    }
    for (size_t s = 0; s < n && !rc; s++) {
        struct ingest_record r;
        rec_init(&r, slots[s].post ? REC_POST_METRICS : REC_CHANNEL_METRICS, "%s", slots[s].where);
        r.platform = platform;
        r.taken_at = slots[s].at;
        if (slots[s].post) {
            r.post_id = slots[s].owner;
            r.has_metrics = true;
            memcpy(r.metrics, slots[s].pm, sizeof r.metrics);
            /* A Facebook post id is PAGE_POST: the page is the account. */
            char page[96];
            const char *us = strchr(slots[s].owner, '_');
            if (us) {
                snprintf(page, sizeof page, "%.*s", (int)(us - slots[s].owner), slots[s].owner);
                r.account_id = page;
            }
            rc = rec_emit(pc, &r);
        } else {
            r.account_id = slots[s].owner;
            r.followers = slots[s].followers;
            r.reach = slots[s].reach;
            r.impressions = slots[s].impressions;
            rc = rec_emit(pc, &r);
        }
    }
done:
    free(slots);
    (void)err;
    return rc;
}
