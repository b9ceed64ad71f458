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
    bool pm_alias[PM_COUNT]; /* pm came from a stand-in name, not its own */
    int64_t acc[3];          /* followers, reach, impressions */
    bool acc_alias[3];
    char where[64];
};

/* The names Meta has given each figure. An alias stands in for a figure
 * when its own name is not in the answer: Meta replaced impressions by
 * views in 2025 and retired post_impressions* and page_impressions* in
 * 2026; Instagram's carousel_album_* were the album's own names. */
struct metric_name {
    const char *name;
    int which;
    bool alias;
    bool summed; /* its value is a breakdown ({"like": n, ...}) whose sum is the figure */
};

static const struct metric_name post_metrics[] = {
    {"impressions", PM_IMPRESSIONS, false, false},
    {"post_impressions", PM_IMPRESSIONS, false, false},
    {"views", PM_IMPRESSIONS, true, false},
    {"post_media_view", PM_IMPRESSIONS, true, false},
    {"carousel_album_impressions", PM_IMPRESSIONS, true, false},
    {"reach", PM_REACH, false, false},
    {"post_impressions_unique", PM_REACH, false, false},
    {"post_total_media_view_unique", PM_REACH, true, false},
    {"carousel_album_reach", PM_REACH, true, false},
    {"saved", PM_SAVES, false, false},
    {"carousel_album_saved", PM_SAVES, true, false},
    {"likes", PM_REACTIONS, false, false},
    {"post_reactions_total", PM_REACTIONS, false, false},
    {"post_reactions_by_type_total", PM_REACTIONS, true, true},
    {"comments", PM_COMMENTS, false, false},
    {"shares", PM_SHARES, false, false},
    {"video_views", PM_VIDEO_VIEWS, false, false},
    {"plays", PM_VIDEO_VIEWS, false, false},
    {"post_video_views", PM_VIDEO_VIEWS, false, false},
    {"carousel_album_video_views", PM_VIDEO_VIEWS, true, false},
    {"post_clicks", PM_CLICKS, false, false},
    {"clicks", PM_CLICKS, false, false},
};

/* 0 followers, 1 reach, 2 impressions. */
static const struct metric_name account_metrics[] = {
    {"follower_count", 0, false, false},
    {"followers_count", 0, false, false},
    {"page_fans", 0, false, false},
    {"page_follows", 0, false, false},
    {"reach", 1, false, false},
    {"page_impressions_unique", 1, false, false},
    {"page_total_media_view_unique", 1, true, false},
    {"impressions", 2, false, false},
    {"page_impressions", 2, false, false},
    {"views", 2, true, false},
    {"page_media_view", 2, true, false},
};

static const struct metric_name *metric(const struct metric_name *map, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (str_eq(map[i].name, name))
            return &map[i];
    return NULL;
}

/* A reading's number: an integer, or for a summed metric the sum of its
 * breakdown's integers; false for anything else (other breakdowns: kanal
 * keeps totals only). */
static bool reading(json_t *val, const struct metric_name *mn, int64_t *out)
{
    if (json_is_integer(val)) {
        *out = json_integer_value(val);
        return true;
    }
    if (!mn->summed || !json_is_object(val) || json_object_size(val) == 0)
        return false;
    const char *k;
    json_t *x;
    int64_t sum = 0;
    json_object_foreach (val, k, x) {
        if (!json_is_integer(x) || json_integer_value(x) < 0 ||
            json_integer_value(x) > INT64_MAX - sum)
            return false;
        sum += json_integer_value(x);
    }
    *out = sum;
    return true;
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
    for (int i = 0; i < 3; i++)
        s->acc[i] = -1;
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
            int64_t at = jtime(v, "end_time");
            bool post = !at && (str_eq(platform, "facebook") ? strchr(owner, '_') != NULL
                                                             : str_eq(period, "lifetime"));
            const struct metric_name *mn =
                post ? metric(post_metrics, ARRAY_LEN(post_metrics), name)
                     : metric(account_metrics, ARRAY_LEN(account_metrics), name);
            int64_t x;
            if (!mn || !reading(json_object_get(v, "value"), mn, &x))
                continue;
            struct slot *s = slot_for(&slots, &n, &cap, owner, at ? at : pc->opts->taken_at, post);
            snprintf(s->where, sizeof s->where, "%s", where);
            int64_t *dst = post ? &s->pm[mn->which] : &s->acc[mn->which];
            bool *alias = post ? &s->pm_alias[mn->which] : &s->acc_alias[mn->which];
            if (mn->alias && *dst >= 0 && !*alias)
                continue; /* the figure's own name was read already */
            *dst = x;
            *alias = mn->alias;
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
            r.followers = slots[s].acc[0];
            r.reach = slots[s].acc[1];
            r.impressions = slots[s].acc[2];
            rc = rec_emit(pc, &r);
        }
    }
done:
    free(slots);
    (void)err;
    return rc;
}
