/* kpi: one pass over the period's posts, messages and follower counts,
 * accumulating the sums of docs/metrics.md per group, then turning them into
 * rates. Groups are keyed by an integer (an id, a local day, week or month
 * number) through a hash map, so a year by day is as cheap as a total. */
#include "analytics/internal.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAY 86400

struct group {
    int64_t key;
    struct kpi_sums k;
};

struct channel_info {
    int64_t id;
    char platform[16], name[200];
    bool peer;
};

struct run {
    struct db *db;
    int64_t ws;
    const struct analytics_query *q;
    struct tz *tz;
    int64_t first_day, ndays;
    struct channel_info *channels;
    size_t nchannels;
    struct imap channel_index;
    struct imap groups_index; /* key -> index in groups */
    struct group *groups;
    size_t ngroups, capgroups;
    struct group total;    /* every row once, whatever the dimension */
    struct post_tags tags; /* for the tag dimension */
};

static const char *const dims[] = {"none", "channel", "platform", "campaign", "format", "tag",
                                   "day",  "week",    "month",    "team",     NULL};
static const char *const platforms[] = {"facebook", "instagram", "x",        "linkedin",
                                        "tiktok",   "youtube",   "mastodon", "threads",
                                        "bluesky",  "other",     NULL};

/* ---- query ------------------------------------------------------------------ */

static int query_int_param(json_t *q, const char *name, int64_t *out, struct error *err)
{
    const char *s = json_string_value(json_object_get(q, name));
    if (s && (str_to_i64(s, out) || *out < 1))
        return error_field(err, ERR_INVALID, name, "parameter '%s' must be an id", name);
    return 0;
}

static int local_date(const char *s, struct tz *tz, int64_t *day, struct error *err,
                      const char *name)
{
    int64_t t;
    if (!s || strlen(s) != 10 || time_parse_iso(s, &t))
        return error_field(err, ERR_INVALID, name,
                           "parameter '%s' must be a date such as 2026-10-01", name);
    *day = t / DAY;
    (void)tz;
    return 0;
}

int analytics_query_parse(struct db *db, int64_t workspace_id, json_t *q, const char *const *extra,
                          struct analytics_query *out, struct error *err)
{
    enum { EXTRA_MAX = 4 };
    const char *takes[6 + EXTRA_MAX] = {"since", "until", "by", "compare", "channel", "campaign"};
    int n = 6;
    for (const char *const *k = extra; k && *k; k++) {
        assert(n < (int)ARRAY_LEN(takes));
        takes[n++] = *k;
    }
    memset(out, 0, sizeof *out);
    if (query_params_check(q, takes, n, err))
        return -1;
    struct tz *tz = workspace_tz(db, workspace_id, err);
    if (!tz)
        return -1;
    int rc = -1;
    int64_t today = tz_local_day(tz, time_now()), since_day, until_day;
    const char *since = json_string_value(json_object_get(q, "since"));
    const char *until = json_string_value(json_object_get(q, "until"));
    if (until) {
        if (local_date(until, tz, &until_day, err, "until"))
            goto done;
    } else {
        until_day = today + 1;
    }
    if (since) {
        if (local_date(since, tz, &since_day, err, "since"))
            goto done;
    } else {
        since_day = until_day - 28;
    }
    if (until_day <= since_day) {
        error_field(err, ERR_INVALID, "until", "'until' must be after 'since'");
        goto done;
    }
    if (until_day - since_day > ANALYTICS_MAX_DAYS) {
        error_field(err, ERR_LIMIT, "since", "a report covers at most %d days", ANALYTICS_MAX_DAYS);
        goto done;
    }
    out->since = tz_day_start(tz, since_day);
    out->until = tz_day_start(tz, until_day);
    assert(out->since < out->until);
    int y;
    unsigned m, d;
    time_civil_from_days(since_day, &y, &m, &d);
    snprintf(out->since_date, sizeof out->since_date, "%04d-%02u-%02u", y, m, d);
    time_civil_from_days(until_day, &y, &m, &d);
    snprintf(out->until_date, sizeof out->until_date, "%04d-%02u-%02u", y, m, d);
    const char *by = json_string_value(json_object_get(q, "by"));
    int dim = by ? str_index(dims, by) : BY_NONE;
    if (dim < 0) {
        error_field(err, ERR_INVALID, "by",
                    "parameter 'by' must be none, channel, platform, campaign, format, tag, day, "
                    "week, month or team");
        goto done;
    }
    out->by = (enum analytics_dim)dim;
    const char *cmp = json_string_value(json_object_get(q, "compare"));
    if (cmp && !str_eq(cmp, "previous") && !str_eq(cmp, "none")) {
        error_field(err, ERR_INVALID, "compare",
                    "parameter 'compare' must be 'previous' or 'none'");
        goto done;
    }
    out->compare = cmp && str_eq(cmp, "previous");
    if (query_int_param(q, "channel", &out->channel_id, err) ||
        query_int_param(q, "campaign", &out->campaign_id, err))
        goto done;
    rc = 0;
done:
    tz_free(tz);
    return rc;
}

/* ---- groups ------------------------------------------------------------------- */

static struct group *group_for(struct run *r, int64_t key)
{
    int64_t *ix = imap_get(&r->groups_index, key);
    if (ix)
        return &r->groups[*ix];
    if (r->ngroups == r->capgroups) {
        r->capgroups = r->capgroups ? r->capgroups * 2 : 16;
        r->groups = xrealloc(r->groups, r->capgroups * sizeof *r->groups);
    }
    struct group *g = &r->groups[r->ngroups];
    memset(g, 0, sizeof *g);
    g->key = key;
    imap_put(&r->groups_index, key, (int64_t)r->ngroups++);
    assert(r->ngroups <= r->capgroups);
    return g;
}

/* Monday-first ISO week number since the epoch's week, and months as
 * year*12+month: integers that sort in time order. */
static int64_t week_of(int64_t day)
{
    return (day + 3) >= 0 ? (day + 3) / 7 : (day + 3 - 6) / 7; /* 1970-01-01 was a Thursday */
}

static int64_t month_of(int64_t day)
{
    int y;
    unsigned m, d;
    time_civil_from_days(day, &y, &m, &d);
    return (int64_t)y * 12 + (m - 1);
}

/* The period key of a local day, for the period dimensions. */
static int64_t period_key(enum analytics_dim by, int64_t day)
{
    return by == BY_DAY ? day : by == BY_WEEK ? week_of(day) : month_of(day);
}

static bool is_period(enum analytics_dim by)
{
    return by == BY_DAY || by == BY_WEEK || by == BY_MONTH;
}

/* Keys for what does not depend on a post: channel-level metrics. */
static bool key_of_channel_day(const struct run *r, const struct channel_info *c, int64_t day,
                               int64_t *key)
{
    switch (r->q->by) {
    case BY_NONE:
        *key = 0;
        return true;
    case BY_CHANNEL:
        *key = c->id;
        return true;
    case BY_PLATFORM:
        *key = str_index(platforms, c->platform);
        assert(*key >= 0); /* the channels table's CHECK allows only these */
        return true;
    case BY_DAY:
    case BY_WEEK:
    case BY_MONTH:
        *key = period_key(r->q->by, day);
        return true;
    default:
        return false; /* campaign, format, tag: not a property of a channel-day */
    }
}

static void ensure_days(struct run *r, struct group *g)
{
    if (!g->k.day_inter) {
        g->k.day_inter = xcalloc((size_t)r->ndays, sizeof *g->k.day_inter);
        g->k.day_followers = xcalloc((size_t)r->ndays, sizeof *g->k.day_followers);
    }
}

/* ---- loading -------------------------------------------------------------------- */

static int load_channels(struct run *r, struct error *err)
{
    struct db_stmt *st = db_query(r->db, err,
                                  "SELECT id, platform, name, is_peer FROM channels "
                                  "WHERE workspace_id = ? ORDER BY id",
                                  "i", r->ws);
    if (!st)
        return -1;
    int rc = db_has_row(st);
    size_t cap = 0;
    for (; rc == 1; rc = db_step(st, err)) {
        if (r->nchannels == cap) {
            cap = cap ? cap * 2 : 16;
            r->channels = xrealloc(r->channels, cap * sizeof *r->channels);
        }
        struct channel_info *c = &r->channels[r->nchannels];
        c->id = db_col_int(st, 0);
        snprintf(c->platform, sizeof c->platform, "%s", db_col_text(st, 1));
        snprintf(c->name, sizeof c->name, "%s", db_col_text(st, 2));
        c->peer = db_col_int(st, 3) != 0;
        imap_put(&r->channel_index, c->id, (int64_t)r->nchannels++);
    }
    db_finalize(st);
    return rc < 0 ? -1 : 0;
}

static const struct channel_info *channel(const struct run *r, int64_t id)
{
    int64_t *ix = imap_get(&r->channel_index, id);
    return ix ? &r->channels[*ix] : NULL;
}

/* Counted in the organisation's numbers: its own channels, and the one asked for. */
static bool counts(const struct run *r, const struct channel_info *c)
{
    return c && (!c->peer || r->q->include_peers) &&
           (!r->q->channel_id || c->id == r->q->channel_id);
}

int post_tags_load(struct db *db, int64_t ws, int64_t since, int64_t until, struct post_tags *pt,
                   struct error *err)
{
    /* Driven by the period's variants; DISTINCT for posts on several channels. */
    struct db_stmt *st = db_query(db, err,
                                  "SELECT DISTINCT pt.post_id, pt.tag_id FROM post_variants v "
                                  "JOIN posts p ON p.id = v.post_id JOIN post_tags pt ON "
                                  "pt.post_id = p.id WHERE p.workspace_id = ? AND "
                                  "v.published_at >= ? AND v.published_at < ? "
                                  "ORDER BY pt.post_id, pt.tag_id DESC",
                                  "iii", ws, since, until);
    if (!st)
        return -1;
    int rc = db_has_row(st);
    for (; rc == 1; rc = db_step(st, err)) {
        if (pt->n == pt->cap) {
            pt->cap = pt->cap ? pt->cap * 2 : 64;
            pt->tag = xrealloc(pt->tag, pt->cap * sizeof *pt->tag);
            pt->next = xrealloc(pt->next, pt->cap * sizeof *pt->next);
        }
        int64_t post = db_col_int(st, 0), *head = imap_get(&pt->first, post);
        pt->tag[pt->n] = db_col_int(st, 1);
        pt->next[pt->n] = head ? *head : -1;
        imap_put(&pt->first, post, (int64_t)pt->n++);
    }
    db_finalize(st);
    return rc < 0 ? -1 : 0;
}

int64_t post_tags_first(const struct post_tags *pt, int64_t post_id)
{
    int64_t *ix = imap_get(&pt->first, post_id);
    return ix ? *ix : -1;
}

void post_tags_free(struct post_tags *pt)
{
    imap_free(&pt->first);
    free(pt->tag);
    free(pt->next);
    *pt = (struct post_tags){0};
}

/* Calls fn for each group key a post (or a message on it) belongs to. */
static void post_keys(struct run *r, const struct channel_info *c, int64_t day, int64_t post,
                      int64_t campaign, const char *format,
                      void (*fn)(struct run *, int64_t, void *), void *arg)
{
    int64_t key;
    switch (r->q->by) {
    case BY_CAMPAIGN:
        fn(r, campaign, arg);
        return; /* 0: no campaign */
    case BY_FORMAT:
        fn(r, str_index(post_formats, format), arg);
        return;
    case BY_TAG: {
        int64_t first = post ? post_tags_first(&r->tags, post) : -1;
        if (first < 0) {
            fn(r, 0, arg); /* untagged */
            return;
        }
        for (int64_t i = first; i >= 0; i = r->tags.next[i])
            fn(r, r->tags.tag[i], arg);
        return;
    }
    default:
        if (key_of_channel_day(r, c, day, &key))
            fn(r, key, arg);
    }
}

struct post_row {
    int64_t day;
    const struct post_metrics *m;
    const struct message_figures *msg; /* the messages on the post, or NULL: not counted here */
};

/* Incoming messages, answered ones and their first-response histogram, as
 * message_stats keeps them per channel-day and per post. */
struct message_figures {
    int64_t incoming, answered;
    struct imap waits;
    /* service levels (per channel-day only): held to one, answered within
     * it, and the working-time first answers */
    int64_t held, within, elsewhere;
    struct imap work_waits;
};

static void hist_merge(struct imap *into, const struct imap *from)
{
    for (size_t i = 0; i < from->cap; i++)
        if (from->used[i]) {
            int64_t *c = imap_get(into, from->keys[i]);
            if (c)
                *c += from->vals[i];
            else
                imap_put(into, from->keys[i], from->vals[i]);
        }
}

static void add_messages(struct kpi_sums *g, const struct message_figures *f)
{
    g->incoming += f->incoming;
    g->answered += f->answered;
    g->held += f->held;
    g->within += f->within;
    g->elsewhere += f->elsewhere;
    hist_merge(&g->waits, &f->waits);
    hist_merge(&g->work_waits, &f->work_waits);
}

static void hist_empty(struct imap *h)
{
    if (h->cap) { /* emptied, keeping its memory for the next row */
        memset(h->used, 0, h->cap);
        h->len = 0;
    }
}

/* Reads columns i, i+1, i+2 (incoming, answered, waits) into f, reusing its
 * maps; with `levels` (a channel-day row) also i+3..i+5 (held,
 * within_level, work_waits, elsewhere). */
static int read_figures(struct db_stmt *st, int i, bool levels, struct message_figures *f,
                        struct error *err)
{
    f->incoming = db_col_int(st, i);
    f->answered = db_col_int(st, i + 1);
    f->held = levels ? db_col_int(st, i + 3) : 0;
    f->within = levels ? db_col_int(st, i + 4) : 0;
    f->elsewhere = levels ? db_col_int(st, i + 6) : 0;
    hist_empty(&f->waits);
    hist_empty(&f->work_waits);
    if (wait_hist_parse(&f->waits, db_col_text(st, i + 2)) ||
        (levels && wait_hist_parse(&f->work_waits, db_col_text(st, i + 5))))
        return error_set(err, ERR_INTERNAL, "malformed response-time histogram");
    return 0;
}

static void accumulate_post(struct run *r, struct group *g, const struct post_row *p)
{
    /* Posts are read by published_at in [since, until), local midnights. */
    assert(p->day >= r->first_day && p->day < r->first_day + r->ndays);
    kpi_add_post(&g->k, p->m, p->day - r->first_day);
    if (p->msg)
        add_messages(&g->k, p->msg);
}

static void add_post(struct run *r, int64_t key, void *arg)
{
    accumulate_post(r, group_for(r, key), arg);
}

/* Prepares `select` (ending in "WHERE <ws> = ? AND <time> >= ? AND <time> < ?")
 * with the run's workspace and period, and its campaign filter (the query
 * must join posts as p). */
static struct db_stmt *prepare_period(struct run *r, struct buf *sql, struct error *err)
{
    if (r->q->campaign_id)
        buf_puts(sql, " AND p.campaign_id = ?");
    struct db_stmt *st = db_prepare(r->db, sql->data, err);
    buf_free(sql);
    if (!st)
        return NULL;
    db_bind_int(st, 1, r->ws);
    db_bind_int(st, 2, r->q->since);
    db_bind_int(st, 3, r->q->until);
    if (r->q->campaign_id)
        db_bind_int(st, 4, r->q->campaign_id);
    return st;
}

static bool is_post_dim(enum analytics_dim by)
{
    return by == BY_CAMPAIGN || by == BY_FORMAT || by == BY_TAG;
}

/* Whose messages count where (docs/metrics.md): a campaign's, and the rows
 * of the post dimensions, count the messages on their posts; everything
 * else counts the messages created in the period. */
static bool messages_by_post(const struct run *r)
{
    return is_post_dim(r->q->by) || r->q->campaign_id;
}

static int load_posts(struct run *r, struct error *err)
{
    struct buf sql = {0};
    buf_puts(
        &sql,
        "SELECT v.channel_id, v.published_at, p.id, p.campaign_id, p.format, " POST_METRIC_COLUMNS
        ", v.msg_incoming, v.msg_answered, v.msg_waits ");
    /* A campaign's posts are few beside the period's: start from them
     * (SQLite keeps a CROSS JOIN's order; PostgreSQL plans it as any join). */
    buf_puts(&sql, r->q->campaign_id
                       ? "FROM posts p CROSS JOIN post_variants v WHERE v.post_id = p.id AND "
                       : "FROM post_variants v JOIN posts p ON p.id = v.post_id WHERE ");
    buf_puts(&sql, "p.workspace_id = ? AND v.published_at >= ? AND v.published_at < ?");
    struct db_stmt *st = prepare_period(r, &sql, err);
    if (!st)
        return -1;
    bool by_post = messages_by_post(r);
    struct message_figures msg = {0};
    int rc;
    while ((rc = db_step(st, err)) == 1) {
        const struct channel_info *c = channel(r, db_col_int(st, 0));
        if (!counts(r, c))
            continue;
        struct post_metrics m;
        post_metrics_read(st, 5, &m);
        if (by_post && read_figures(st, 13, false, &msg, err)) {
            rc = -1;
            break;
        }
        struct post_row row = {
            .day = tz_local_day(r->tz, db_col_int(st, 1)), .m = &m, .msg = by_post ? &msg : NULL};
        post_keys(r, c, row.day, db_col_int(st, 2), db_col_int(st, 3), db_col_text(st, 4), add_post,
                  &row);
        /* The total counts a post's messages only for a campaign's figures;
         * otherwise it has the period's messages from load_messages. */
        row.msg = r->q->campaign_id ? &msg : NULL;
        accumulate_post(r, &r->total, &row);
    }
    imap_free(&msg.waits);
    imap_free(&msg.work_waits);
    db_finalize(st);
    return rc < 0 ? -1 : 0;
}

/* A (team, channel)'s figures into the team's row. */
static void add_team(int64_t team, int64_t channel_id, const struct response_figures *f, void *arg)
{
    struct run *r = arg;
    if (!counts(r, channel(r, channel_id)))
        return;
    struct message_figures m = {.incoming = f->incoming,
                                .answered = f->answered,
                                .waits = f->waits,
                                .held = f->held,
                                .within = f->within,
                                .elsewhere = f->elsewhere,
                                .work_waits = f->work_waits};
    add_messages(&group_for(r, team)->k, &m);
}

/* The period's messages, from message_stats' channel-day rows (and for
 * rows per team, the same figures summed per team from the messages). */
static int load_messages(struct run *r, struct error *err)
{
    if (r->q->campaign_id)
        return 0; /* a campaign's messages are those on its posts */
    if (r->q->by == BY_TEAM &&
        message_figures_by_team(r->db, r->ws, r->q->since, r->q->until, add_team, r, err))
        return -1;
    struct db_stmt *st =
        db_query(r->db, err,
                 "SELECT d.channel_id, d.day, d.incoming, d.answered, d.waits, "
                 "d.held, d.within_level, d.work_waits, d.elsewhere FROM message_days d JOIN "
                 "channels c ON c.id = d.channel_id "
                 "WHERE c.workspace_id = ? AND d.day >= ? AND d.day < ?",
                 "iii", r->ws, r->first_day, r->first_day + r->ndays);
    if (!st)
        return -1;
    bool groups = !is_post_dim(r->q->by);
    struct message_figures msg = {0};
    int rc = db_has_row(st);
    for (; rc == 1; rc = db_step(st, err)) {
        const struct channel_info *c = channel(r, db_col_int(st, 0));
        if (!counts(r, c))
            continue;
        if (read_figures(st, 2, true, &msg, err)) {
            rc = -1;
            break;
        }
        int64_t key;
        if (groups && key_of_channel_day(r, c, db_col_int(st, 1), &key))
            add_messages(&group_for(r, key)->k, &msg);
        add_messages(&r->total.k, &msg);
    }
    imap_free(&msg.waits);
    imap_free(&msg.work_waits);
    db_finalize(st);
    return rc < 0 ? -1 : 0;
}

/* A follower count and the instant it was taken, which tells one count
 * from two equal ones. followers -1: no count. */
struct count {
    int64_t followers, at;
};

/* Adds a channel's follower growth over the report's days a..b to k
 * (docs/metrics.md): from the latest count before the span, else the first
 * in the report's period, to the latest by the span's end. A channel with
 * no two counts to compare (one count, as a page file gives) has no growth
 * and adds nothing, not its whole count. */
static void add_growth(struct kpi_sums *k, const struct count *before, const struct count *first,
                       const struct count *daily, int64_t a, int64_t b)
{
    assert(a <= b);
    struct count start = a == 0 ? *before : daily[a - 1];
    /* None before the span: none before the period's first count either. */
    if (start.followers < 0)
        start = *first;
    const struct count *end = &daily[b];
    if (start.followers < 0 || end->followers < 0 || start.at == end->at)
        return;
    k->followers_start += start.followers;
    k->followers_end += end->followers;
    k->has_followers = true;
}

/* Followers per channel and day (the latest count on or before the day),
 * summed into each group's days, and each group's start and end counts. */
static int load_followers(struct run *r, struct error *err)
{
    struct count *daily = xmalloc((size_t)r->ndays * sizeof *daily);
    int rc = 0;
    for (size_t ci = 0; ci < r->nchannels && rc == 0; ci++) {
        const struct channel_info *c = &r->channels[ci];
        if (!counts(r, c))
            continue;
        /* (For campaign, format and tag groups there is no follower base:
         * key_of_channel_day says so, and only the total gets the counts.)
         * The count before the period, then every count inside it. */
        struct db_stmt *st = db_query(r->db, err,
                                      "SELECT taken_at, followers FROM channel_metrics "
                                      "WHERE channel_id = ? AND followers IS NOT NULL AND "
                                      "taken_at < ? AND taken_at >= COALESCE((SELECT MAX(taken_at) "
                                      "FROM channel_metrics WHERE channel_id = ? AND taken_at < ? "
                                      "AND followers IS NOT NULL), ?) ORDER BY taken_at",
                                      "iiiii", c->id, r->q->until, c->id, r->q->since, r->q->since);
        if (!st) {
            rc = -1;
            break;
        }
        /* Rows come in time order: first those before the period (only the
         * latest matters), then each day's. */
        struct count current = {-1, 0}, before = {-1, 0}, first = {-1, 0};
        int step = db_has_row(st);
        while (step == 1 && db_col_int(st, 0) < r->q->since) {
            before = current = (struct count){db_col_int(st, 1), db_col_int(st, 0)};
            step = db_step(st, err);
        }
        for (int64_t d = 0; d < r->ndays && step >= 0; d++) {
            int64_t day_end = tz_day_start(r->tz, r->first_day + d + 1);
            while (step == 1 && db_col_int(st, 0) < day_end) {
                current = (struct count){db_col_int(st, 1), db_col_int(st, 0)};
                if (first.followers < 0)
                    first = current;
                step = db_step(st, err);
            }
            daily[d] = current;
        }
        if (step < 0)
            rc = -1;
        db_finalize(st);
        if (rc)
            break;
        ensure_days(r, &r->total);
        for (int64_t d = 0; d < r->ndays; d++) {
            if (daily[d].followers > 0)
                r->total.k.day_followers[d] += (double)daily[d].followers;
            int64_t key;
            if (!key_of_channel_day(r, c, r->first_day + d, &key))
                continue;
            struct group *g = group_for(r, key);
            ensure_days(r, g);
            if (daily[d].followers > 0)
                g->k.day_followers[d] += (double)daily[d].followers;
        }
        add_growth(&r->total.k, &before, &first, daily, 0, r->ndays - 1);
        /* Each group's span: for period groups their own days, otherwise
         * the whole period. */
        int64_t span_start = 0;
        for (int64_t d = 0; d < r->ndays; d++) {
            int64_t key;
            if (!key_of_channel_day(r, c, r->first_day + d, &key))
                continue;
            bool last_of_group =
                d == r->ndays - 1 ||
                (is_period(r->q->by) && period_key(r->q->by, r->first_day + d + 1) != key);
            if (!last_of_group)
                continue;
            add_growth(&group_for(r, key)->k, &before, &first, daily, span_start, d);
            span_start = d + 1;
        }
    }
    free(daily);
    return rc;
}

/* ---- the report ----------------------------------------------------------------------- */

static void free_groups(struct run *r)
{
    for (size_t i = 0; i < r->ngroups; i++)
        kpi_sums_free(&r->groups[i].k);
    free(r->groups);
    r->groups = NULL;
    r->ngroups = r->capgroups = 0;
    imap_free(&r->groups_index);
    kpi_sums_free(&r->total.k);
}

static int aggregate(struct run *r, const struct analytics_query *q, struct error *err)
{
    free_groups(r);
    r->q = q;
    r->first_day = tz_local_day(r->tz, q->since);
    r->ndays = tz_local_day(r->tz, q->until - 1) - r->first_day + 1;
    assert(r->ndays >= 1 && r->ndays <= ANALYTICS_MAX_DAYS); /* analytics_query_parse's bounds */
    if (load_followers(r, err) || load_posts(r, err) || load_messages(r, err))
        return -1;
    return 0;
}

/* Days of the group inside the report's range. */
static int64_t group_days(const struct run *r, const struct group *g)
{
    if (!is_period(r->q->by) || g == &r->total)
        return r->ndays;
    int64_t n = 0;
    for (int64_t d = 0; d < r->ndays; d++)
        n += period_key(r->q->by, r->first_day + d) == g->key;
    return n;
}

static json_t *kpis(const struct run *r, const struct group *g)
{
    return kpi_json(&g->k, group_days(r, g), r->ndays);
}

static char *name_of(struct db *db, const char *table, int64_t id, int64_t ws, struct arena *a)
{
    char sql[120];
    snprintf(sql, sizeof sql, "SELECT name FROM %s WHERE id = ? AND workspace_id = ?", table);
    struct db_stmt *st = db_query(db, NULL, sql, "ii", id, ws);
    char *out = NULL;
    if (st && db_has_row(st))
        out = arena_strdup(a, db_col_text(st, 0));
    db_finalize(st);
    return out ? out : arena_printf(a, "%s %lld", table, (long long)id);
}

static char *label(struct run *r, int64_t key, struct arena *a)
{
    int y;
    unsigned m, d;
    switch (r->q->by) {
    case BY_NONE:
        return arena_strdup(a, "total");
    case BY_CHANNEL: {
        const struct channel_info *c = channel(r, key);
        return c ? arena_printf(a, "%s (%s)", c->name, c->platform) : arena_strdup(a, "?");
    }
    case BY_PLATFORM:
        return arena_strdup(a, key >= 0 ? platforms[key] : "?");
    case BY_FORMAT:
        return arena_strdup(a, key >= 0 ? post_formats[key] : "?");
    case BY_CAMPAIGN:
        return key ? name_of(r->db, "campaigns", key, r->ws, a) : arena_strdup(a, "(no campaign)");
    case BY_TAG:
        return key ? name_of(r->db, "tags", key, r->ws, a) : arena_strdup(a, "(untagged)");
    case BY_TEAM:
        return key ? name_of(r->db, "teams", key, r->ws, a) : arena_strdup(a, "(no team)");
    case BY_DAY:
        time_civil_from_days(key, &y, &m, &d);
        return arena_printf(a, "%04d-%02u-%02u", y, m, d);
    case BY_WEEK: {
        int64_t thursday = key * 7 - 3 + 3; /* the ISO week's year is its Thursday's */
        time_civil_from_days(thursday, &y, &m, &d);
        int64_t jan1 = time_days_from_civil(y, 1, 1);
        return arena_printf(a, "%04d-W%02lld", y, (long long)((thursday - jan1) / 7 + 1));
    }
    case BY_MONTH:
        return arena_printf(a, "%04lld-%02lld", (long long)(key / 12), (long long)(key % 12 + 1));
    }
    return arena_strdup(a, "?");
}

static int cmp_group(const void *a, const void *b)
{
    const struct group *x = a, *y = b;
    return x->key < y->key ? -1 : x->key > y->key;
}

/* The totals of one pass; the groups stay in r for the rows. */
static json_t *total_of(struct run *r, const struct analytics_query *q, struct error *err)
{
    if (aggregate(r, q, err))
        return NULL;
    return kpis(r, &r->total);
}

/* How each number of `now` changed from `before`: {"absolute", "relative"}
 * per KPI that has a value in both. Caller owns the object. */
static json_t *change_of(json_t *now, json_t *before)
{
    json_t *change = json_object();
    const char *k;
    json_t *v;
    json_object_foreach (now, k, v) {
        json_t *pv = json_object_get(before, k);
        if (json_is_number(v) && json_is_number(pv)) {
            double n = json_number_value(v), b = json_number_value(pv);
            json_object_set_new(change, k,
                                json_pack("{s:f, s:o}", "absolute", n - b, "relative",
                                          b != 0 ? json_real((n - b) / b) : json_null()));
        }
    }
    return change;
}

json_t *analytics_report(struct db *db, int64_t workspace_id, const struct analytics_query *q,
                         struct error *err)
{
    struct run r = {.db = db, .ws = workspace_id};
    struct arena a = {0};
    json_t *out = NULL, *rows = NULL, *total = NULL, *prev = NULL, *prev_rows = json_array();
    struct imap prev_index = {0}; /* key -> index in prev_rows */
    struct analytics_query pq = *q;
    /* Figures cut in another time zone (it changed) are built again first. */
    if (message_stats_refresh(db, workspace_id, err))
        return NULL;
    r.tz = workspace_tz(db, workspace_id, err);
    if (!r.tz)
        goto done;
    if (q->compare) {
        /* The same days before, grouped the same way, so that each row has
         * its own previous figures; rows by day, week or month are each
         * other's comparison, so those groups are not repeated. */
        int64_t first = tz_local_day(r.tz, q->since), last = tz_local_day(r.tz, q->until - 1);
        pq.since = tz_day_start(r.tz, first - (last - first + 1));
        pq.until = q->since;
        pq.by = is_period(q->by) ? BY_NONE : q->by;
        assert(pq.since < pq.until);
    }
    if (load_channels(&r, err) ||
        (q->by == BY_TAG && post_tags_load(db, workspace_id, pq.since, q->until, &r.tags, err)))
        goto done;
    if (q->compare) {
        if (!(prev = total_of(&r, &pq, err)))
            goto done;
        for (size_t i = 0; pq.by != BY_NONE && i < r.ngroups; i++) {
            imap_put(&prev_index, r.groups[i].key, (int64_t)json_array_size(prev_rows));
            json_array_append_new(prev_rows, kpis(&r, &r.groups[i]));
        }
    }
    if (!(total = total_of(&r, q, err)))
        goto done;
    rows = json_array();
    if (q->by != BY_NONE) {
        sort_array(r.groups, r.ngroups, sizeof *r.groups, cmp_group);
        for (size_t i = 0; i < r.ngroups; i++) {
            json_t *row = kpis(&r, &r.groups[i]);
            json_object_set_new(row, "key", json_integer(r.groups[i].key));
            json_object_set_new(row, "label", json_string(label(&r, r.groups[i].key, &a)));
            if (pq.by != BY_NONE && q->compare) {
                /* A row with nothing before (a new channel) had nothing. */
                int64_t *ix = imap_get(&prev_index, r.groups[i].key);
                struct group none = {.key = r.groups[i].key};
                json_t *before =
                    ix ? json_incref(json_array_get(prev_rows, (size_t)*ix)) : kpis(&r, &none);
                json_object_set_new(row, "change", change_of(row, before));
                json_object_set_new(row, "previous", before);
            }
            json_array_append_new(rows, row);
        }
    }
    out = json_pack("{s:s, s:s, s:s, s:s, s:O, s:O}", "timezone", tz_name(r.tz), "since",
                    q->since_date, "until", q->until_date, "by", dims[q->by], "total", total,
                    "rows", rows);
    if (prev) {
        json_object_set(out, "previous", prev);
        json_object_set_new(out, "change", change_of(total, prev));
    }
done:
    json_decref(rows);
    json_decref(total);
    json_decref(prev);
    json_decref(prev_rows);
    imap_free(&prev_index);
    free_groups(&r);
    free(r.channels);
    imap_free(&r.channel_index);
    post_tags_free(&r.tags);
    tz_free(r.tz);
    arena_free(&a);
    return out;
}

/* ---- top lists ------------------------------------------------------------------------ */

static const char *const toplist_metrics[] = {"interactions",    "er_followers",        "er_reach",
                                              "follower_growth", "follower_growth_pct", NULL};

static int cmp_rank(const void *a, const void *b)
{
    json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
    json_t *vx = json_object_get(x, "value"), *vy = json_object_get(y, "value");
    if (json_is_null(vx) != json_is_null(vy))
        return json_is_null(vx) ? 1 : -1; /* no value: last */
    double dx = json_number_value(vx), dy = json_number_value(vy);
    if (dx != dy)
        return dx > dy ? -1 : 1;
    return json_integer_value(json_object_get(x, "key")) <
                   json_integer_value(json_object_get(y, "key"))
               ? -1
               : 1;
}

json_t *analytics_toplist(struct db *db, int64_t workspace_id, const struct analytics_query *q,
                          const char *metric, const char *platform, struct error *err)
{
    if (!metric || str_index(toplist_metrics, metric) < 0) {
        error_field(err, ERR_INVALID, "metric",
                    "parameter 'metric' must be interactions, er_followers, er_reach, "
                    "follower_growth or follower_growth_pct");
        return NULL;
    }
    if (platform && str_index(platforms, platform) < 0) {
        error_field(err, ERR_INVALID, "platform", "unknown platform '%.40s'", platform);
        return NULL;
    }
    struct analytics_query all = *q;
    all.by = BY_CHANNEL;
    all.include_peers = true;
    all.compare = false;
    json_t *rep = analytics_report(db, workspace_id, &all, err);
    if (!rep)
        return NULL;
    json_t *rows = json_object_get(rep, "rows");
    size_t n = json_array_size(rows), kept = 0;
    json_t **sorted = xcalloc(n + 1, sizeof *sorted);
    /* Channel facts for the list: platform and whether it is a peer. */
    struct page pg = {.limit = MODEL_PAGE_MAX};
    json_t *channels = entity_list(db, &entity_channel, workspace_id, NULL, &pg, err);
    size_t i;
    json_t *row;
    json_array_foreach (rows, i, row) {
        json_t *ch = NULL, *c;
        size_t j;
        json_array_foreach (json_object_get(channels, "items"), j, c) {
            if (json_integer_value(json_object_get(c, "id")) ==
                json_integer_value(json_object_get(row, "key")))
                ch = c;
        }
        if (!ch ||
            (platform && !str_eq(json_string_value(json_object_get(ch, "platform")), platform)))
            continue;
        json_object_set(row, "platform", json_object_get(ch, "platform"));
        json_object_set(row, "is_peer", json_object_get(ch, "is_peer"));
        json_object_set(row, "value", json_object_get(row, metric));
        sorted[kept++] = row;
    }
    sort_array(sorted, kept, sizeof *sorted, cmp_rank);
    json_t *ranked = json_array();
    for (i = 0; i < kept; i++) {
        json_object_set_new(sorted[i], "rank", json_integer((json_int_t)i + 1));
        json_array_append(ranked, sorted[i]);
    }
    json_t *out = json_pack("{s:s, s:s, s:s, s:s, s:o}", "since", q->since_date, "until",
                            q->until_date, "metric", metric, "timezone",
                            json_string_value(json_object_get(rep, "timezone")), "rows", ranked);
    if (platform)
        json_object_set_new(out, "platform", json_string(platform));
    free(sorted);
    json_decref(channels);
    json_decref(rep);
    return out;
}

/* ---- campaigns -------------------------------------------------------------------------- */

/* The campaign's KPIs over its own dates (or its posts' dates when it has
 * none), counting only its posts. */
static json_t *campaign_kpis(struct db *db, int64_t ws, json_t *c, struct error *err)
{
    int64_t id = json_integer_value(json_object_get(c, "id")), from = 0, to = 0;
    const char *s = json_string_value(json_object_get(c, "starts_at"));
    const char *e = json_string_value(json_object_get(c, "ends_at"));
    if (!s || !e || time_parse_iso(s, &from) || time_parse_iso(e, &to)) {
        struct db_stmt *st = db_query(db, err,
                                      "SELECT MIN(v.published_at), MAX(v.published_at) FROM "
                                      "post_variants v JOIN posts p ON p.id = v.post_id "
                                      "WHERE p.campaign_id = ? AND p.workspace_id = ?",
                                      "ii", id, ws);
        if (!st)
            return NULL;
        bool none = db_col_null(st, 0);
        from = db_col_int(st, 0);
        to = db_col_int(st, 1);
        db_finalize(st);
        if (none)
            return json_pack("{s:I, s:o, s:s}", "id", (json_int_t)id, "name",
                             json_incref(json_object_get(c, "name")), "note", "no posts");
    }
    json_t *q = json_object();
    char d[21];
    time_format_iso(from, d);
    d[10] = '\0';
    json_object_set_new(q, "since", json_string(d));
    time_format_iso(to + 86400, d);
    d[10] = '\0';
    json_object_set_new(q, "until", json_string(d));
    char cid[24];
    snprintf(cid, sizeof cid, "%lld", (long long)id);
    json_object_set_new(q, "campaign", json_string(cid));
    struct analytics_query aq;
    json_t *rep = NULL;
    if (analytics_query_parse(db, ws, q, NULL, &aq, err) == 0)
        rep = analytics_report(db, ws, &aq, err);
    json_decref(q);
    if (!rep)
        return NULL;
    json_t *out = json_pack("{s:I, s:O, s:s, s:s, s:O}", "id", (json_int_t)id, "name",
                            json_object_get(c, "name"), "since", aq.since_date, "until",
                            aq.until_date, "kpis", json_object_get(rep, "total"));
    json_decref(rep);
    return out;
}

json_t *analytics_campaign(struct db *db, int64_t workspace_id, int64_t campaign_id,
                           struct error *err)
{
    json_t *c = entity_get(db, &entity_campaign, workspace_id, campaign_id, err);
    if (!c)
        return NULL;
    json_t *out = NULL, *earlier = json_array(), *mine = campaign_kpis(db, workspace_id, c, err);
    json_t *tag = json_object_get(c, "target_tag_id");
    if (!mine)
        goto done;
    if (json_is_integer(tag)) {
        /* Earlier: same target tag, started before this one. */
        struct db_stmt *st = db_query(db, err,
                                      "SELECT id FROM campaigns WHERE workspace_id = ? AND "
                                      "target_tag_id = ? AND id <> ? AND COALESCE(starts_at, "
                                      "created_at) < (SELECT COALESCE(starts_at, created_at) "
                                      "FROM campaigns WHERE id = ?) ORDER BY starts_at, id",
                                      "iiii", workspace_id, (int64_t)json_integer_value(tag),
                                      campaign_id, campaign_id);
        if (!st)
            goto done;
        int64_t ids[64];
        int n = 0;
        for (int rc = db_has_row(st); rc == 1 && n < 64; rc = db_step(st, err))
            ids[n++] = db_col_int(st, 0);
        db_finalize(st);
        for (int i = 0; i < n; i++) {
            json_t *ec = entity_get(db, &entity_campaign, workspace_id, ids[i], err);
            json_t *k = ec ? campaign_kpis(db, workspace_id, ec, err) : NULL;
            json_decref(ec);
            if (!k)
                goto done;
            json_array_append_new(earlier, k);
        }
    }
    /* Mean of the earlier campaigns' numbers, and this one against it. */
    json_t *mean_kpis = json_object(), *vs = json_object();
    json_t *mk = json_object_get(mine, "kpis");
    const char *k;
    json_t *v;
    json_object_foreach (mk, k, v) {
        double sum = 0;
        int cnt = 0;
        size_t i;
        json_t *e;
        json_array_foreach (earlier, i, e) {
            json_t *ev = json_object_get(json_object_get(e, "kpis"), k);
            if (json_is_number(ev)) {
                sum += json_number_value(ev);
                cnt++;
            }
        }
        if (!cnt)
            continue;
        double m = sum / cnt;
        json_object_set_new(mean_kpis, k, json_real(m));
        if (json_is_number(v) && m != 0)
            json_object_set_new(vs, k, json_real(json_number_value(v) / m - 1));
    }
    out = json_pack("{s:O, s:O, s:o, s:o}", "campaign", mine, "earlier", earlier, "earlier_mean",
                    mean_kpis, "relative_to_earlier", vs);
done:
    json_decref(c);
    json_decref(mine);
    json_decref(earlier);
    return out;
}
