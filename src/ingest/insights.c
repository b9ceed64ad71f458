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
    {.name = "impressions", .which = PM_IMPRESSIONS},
    {.name = "post_impressions", .which = PM_IMPRESSIONS},
    {.name = "views", .which = PM_IMPRESSIONS, .alias = true},
    {.name = "post_media_view", .which = PM_IMPRESSIONS, .alias = true},
    {.name = "carousel_album_impressions", .which = PM_IMPRESSIONS, .alias = true},
    {.name = "reach", .which = PM_REACH},
    {.name = "post_impressions_unique", .which = PM_REACH},
    {.name = "post_total_media_view_unique", .which = PM_REACH, .alias = true},
    {.name = "carousel_album_reach", .which = PM_REACH, .alias = true},
    {.name = "saved", .which = PM_SAVES},
    {.name = "carousel_album_saved", .which = PM_SAVES, .alias = true},
    {.name = "likes", .which = PM_REACTIONS},
    {.name = "post_reactions_total", .which = PM_REACTIONS},
    {.name = "post_reactions_by_type_total", .which = PM_REACTIONS, .alias = true, .summed = true},
    {.name = "comments", .which = PM_COMMENTS},
    {.name = "shares", .which = PM_SHARES},
    {.name = "video_views", .which = PM_VIDEO_VIEWS},
    {.name = "plays", .which = PM_VIDEO_VIEWS},
    {.name = "post_video_views", .which = PM_VIDEO_VIEWS},
    {.name = "carousel_album_video_views", .which = PM_VIDEO_VIEWS, .alias = true},
    {.name = "post_clicks", .which = PM_CLICKS},
    {.name = "clicks", .which = PM_CLICKS},
};

/* 0 followers, 1 reach, 2 impressions. */
static const struct metric_name account_metrics[] = {
    {.name = "follower_count", .which = 0},
    {.name = "followers_count", .which = 0},
    {.name = "page_fans", .which = 0},
    {.name = "page_follows", .which = 0},
    {.name = "reach", .which = 1},
    {.name = "page_impressions_unique", .which = 1},
    {.name = "page_total_media_view_unique", .which = 1, .alias = true},
    {.name = "impressions", .which = 2},
    {.name = "page_impressions", .which = 2},
    {.name = "views", .which = 2, .alias = true},
    {.name = "page_media_view", .which = 2, .alias = true},
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

bool graph_list_is_insights(json_t *data)
{
    json_t *first = json_array_get(data, 0);
    return json_object_get(first, "period") && json_object_get(first, "name");
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
