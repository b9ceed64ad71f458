/* alert: what listening tells the desk on its own. An alert watches one
 * tag query: each new match, a digest of the matches every hour or day, or
 * a spike (the volume of matches, or their share of negative items, in the
 * past hour far above the same hour of the past four weeks' days). When it
 * fires it is recorded (the desk's in-app list of alerts) and sent by
 * e-mail and to the workspace's webhook through notify/, saying which
 * query, which items and why. */
#include "db/db.h"
#include "listen/listen.h"
#include "notify/notify.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ALERT_ITEMS_MAX   50 /* items named in one alert; the count says the rest */
#define ALERT_ITEMS_TEXT  20 /* of those, in an e-mail's text */
#define ALERT_ADDRESS_MAX 254
#define ALERT_SPIKE_GAP   3600 /* a spike alert fires at most once an hour */

void listen_spike_test(const double *baseline, size_t n, double current, double k, double sd_floor,
                       struct listen_spike *out)
{
    double mean = 0, var = 0;
    for (size_t i = 0; i < n; i++)
        mean += baseline[i];
    mean = n ? mean / (double)n : 0;
    for (size_t i = 0; i < n; i++)
        var += (baseline[i] - mean) * (baseline[i] - mean);
    /* The population's deviation: the baseline is all the days there are. */
    double sd = n ? sqrt(var / (double)n) : 0;
    out->mean = mean;
    out->sd = sd;
    double eff = sd > sd_floor ? sd : sd_floor;
    out->threshold = mean + k * eff;
    out->fired = current > out->threshold;
}

static const char *const modes[] = {"each", "hourly", "daily", "spike_volume", "spike_negative"};

static bool mode_known(const char *m)
{
    for (size_t i = 0; i < ARRAY_LEN(modes); i++)
        if (str_eq(m, modes[i]))
            return true;
    return false;
}

/* Each comma-separated word of list passes ok(); at least one. */
static bool list_ok(const char *list, bool (*ok)(const char *, size_t))
{
    if (!list || !*list)
        return false;
    for (const char *p = list; *p;) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        if (!ok(p, n))
            return false;
        p += n + (comma ? 1 : 0);
    }
    return true;
}

static bool via_word(const char *p, size_t n)
{
    return (n == 6 && !strncmp(p, "in_app", 6)) || (n == 5 && !strncmp(p, "email", 5)) ||
           (n == 7 && !strncmp(p, "webhook", 7));
}

static bool address_word(const char *p, size_t n)
{
    if (n < 3 || n > ALERT_ADDRESS_MAX || !memchr(p, '@', n))
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)p[i] <= ' ' || p[i] == '<' || p[i] == '>' || p[i] == '"' ||
            (unsigned char)p[i] >= 0x7f)
            return false;
    return true;
}

int listen_alert_add(struct db *db, int64_t ws, const struct listen_alert_in *in,
                     int64_t created_by, int64_t *id, struct error *err)
{
    if (!in->tag || !*in->tag)
        return error_field(err, ERR_INVALID, "tag",
                           "tag: an alert watches a tag query; give its name");
    if (!in->mode || !mode_known(in->mode))
        return error_field(err, ERR_INVALID, "mode",
                           "mode: '%s': an alert's mode is each, hourly, daily, spike_volume or "
                           "spike_negative",
                           in->mode ? in->mode : "");
    const char *via = in->via && *in->via ? in->via : "in_app";
    if (strlen(via) > 100 || !list_ok(via, via_word))
        return error_field(err, ERR_INVALID, "via",
                           "via: '%s' is not a comma list of in_app, email and webhook", via);
    const char *to = in->email_to ? in->email_to : "";
    if (*to && (strlen(to) > 2000 || !list_ok(to, address_word)))
        return error_field(err, ERR_INVALID, "email_to",
                           "email_to: '%s' is not a comma list of e-mail addresses (no "
                           "spaces, no names)",
                           to);
    int64_t tag = 0;
    int found = db_scalar(db, err, &tag, "SELECT id FROM tags WHERE workspace_id = ? AND name = ?",
                          "it", ws, in->tag);
    if (found < 0)
        return -1;
    if (!found)
        return error_field(err, ERR_NOT_FOUND, "tag", "tag: the workspace has no tag '%s'",
                           in->tag);
    int64_t last = 0;
    if (db_scalar(db, err, &last, "SELECT COALESCE(MAX(id), 0) FROM listen_items", "") < 0)
        return -1;
    const int64_t *by = created_by ? &created_by : NULL;
    return db_insert(db, err, id,
                     "INSERT INTO listen_alerts (workspace_id, tag_id, mode, via, email_to, "
                     "last_item_id, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                     "iitttiIi", ws, tag, in->mode, via, to, last, by, time_now());
}

int listen_alert_remove(struct db *db, int64_t ws, int64_t id, struct error *err)
{
    int64_t n = db_run(db, err, "DELETE FROM listen_alerts WHERE workspace_id = ? AND id = ?", "ii",
                       ws, id);
    return n > 0 ? 0 : model_no_row((int)n, "alert", id, err);
}

int listen_alert_set(struct db *db, int64_t ws, int64_t id, int muted, int64_t snooze_until,
                     struct error *err)
{
    int64_t n = 0;
    if (db_scalar(db, err, &n,
                  "SELECT COUNT(*) FROM listen_alerts WHERE workspace_id = ? AND "
                  "id = ?",
                  "ii", ws, id) < 0)
        return -1;
    if (!n)
        return error_set(err, ERR_NOT_FOUND, "no alert %lld in this workspace", (long long)id);
    if (muted >= 0 && db_run(db, err, "UPDATE listen_alerts SET muted = ? WHERE id = ?", "ii",
                             (int64_t)(muted != 0), id) < 0)
        return -1;
    if (snooze_until >= 0 &&
        db_run(db, err, "UPDATE listen_alerts SET snoozed_until = ? WHERE id = ?", "Ii",
               snooze_until ? &snooze_until : NULL, id) < 0)
        return -1;
    return 0;
}

static json_t *alert_json(struct db_stmt *q)
{
    return json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:b, s:o, s:o}", "id",
                     (json_int_t)db_col_int(q, 0), "tag", db_col_text(q, 1), "rule",
                     db_col_text(q, 2), "mode", db_col_text(q, 3), "via", db_col_text(q, 4),
                     "email_to", db_col_text(q, 5), "muted", (int)(db_col_int(q, 6) != 0),
                     "snoozed_until", json_time_col(q, 7), "last_fired_at", json_time_col(q, 8));
}

json_t *listen_alerts_list(struct db *db, int64_t ws, struct error *err)
{
    return json_items(
        db_query(db, err,
                 "SELECT a.id, t.name, t.rule, a.mode, a.via, a.email_to, a.muted, "
                 "a.snoozed_until, a.last_fired_at FROM listen_alerts a JOIN tags t ON "
                 "t.id = a.tag_id WHERE a.workspace_id = ? ORDER BY a.id",
                 "i", ws),
        alert_json, err);
}

/* The items with these ids, as the desk and the webhook show them. */
static json_t *items_json(struct db *db, json_t *ids, struct error *err)
{
    json_t *out = json_array();
    size_t i;
    json_t *v;
    json_array_foreach (ids, i, v) {
        struct db_stmt *q =
            db_query(db, err,
                     "SELECT id, title, link, published, sentiment_label, text FROM listen_items "
                     "WHERE id = ?",
                     "i", (int64_t)json_integer_value(v));
        if (!q) {
            json_decref(out);
            return NULL;
        }
        if (db_has_row(q)) {
            char snippet[161];
            snprintf(snippet, sizeof snippet, "%s", db_col_text(q, 5));
            /* Cut at a character, not inside one. */
            size_t n = strlen(snippet);
            while (n && !utf8_valid(snippet, n))
                snippet[--n] = '\0';
            json_array_append_new(
                out, json_pack("{s:I, s:s, s:o, s:o, s:o, s:s}", "id", (json_int_t)db_col_int(q, 0),
                               "title", db_col_text(q, 1), "link", json_text_col(q, 2), "published",
                               json_time_col(q, 3), "sentiment_label", json_text_col(q, 4), "text",
                               snippet));
        }
        db_finalize(q);
    }
    return out;
}

json_t *listen_alert_events(struct db *db, int64_t ws, int64_t alert, int limit, struct error *err)
{
    json_t *items = json_array();
    struct db_stmt *q = db_query(
        db, err,
        "SELECT e.id, e.alert_id, t.name, a.mode, e.fired_at, e.reason, e.items FROM "
        "listen_alert_events e JOIN listen_alerts a ON a.id = e.alert_id JOIN tags t ON t.id = "
        "a.tag_id WHERE a.workspace_id = ? AND (? = 0 OR a.id = ?) ORDER BY e.id DESC LIMIT ?",
        "iiii", ws, alert, alert, (int64_t)limit);
    if (!q)
        goto fail;
    while (db_has_row(q)) {
        json_error_t je;
        json_t *ids = json_loads(db_col_text(q, 6), 0, &je);
        json_array_append_new(
            items,
            json_pack("{s:I, s:I, s:s, s:s, s:o, s:s, s:o}", "id", (json_int_t)db_col_int(q, 0),
                      "alert_id", (json_int_t)db_col_int(q, 1), "tag", db_col_text(q, 2), "mode",
                      db_col_text(q, 3), "fired_at", json_time_col(q, 4), "reason",
                      db_col_text(q, 5), "items", ids ? ids : json_array()));
        if (db_step(q, err) < 0) {
            db_finalize(q);
            goto fail;
        }
    }
    db_finalize(q);
    /* The items' titles and links, after the statement above is closed. */
    size_t i;
    json_t *ev;
    json_array_foreach (items, i, ev) {
        json_t *full = items_json(db, json_object_get(ev, "items"), err);
        if (!full)
            goto fail;
        json_object_set_new(ev, "items", full);
    }
    return json_pack("{s:o}", "items", items);
fail:
    json_decref(items);
    return NULL;
}

/* ---- running ------------------------------------------------------------------------ */

struct alert_row {
    int64_t id, ws, tag, last_item, last_fired, created_at, created_by, digest_at;
    bool muted, has_fired;
    char mode[20], via[101], email_to[2001], tag_name[256], rule[2001];
};

/* New matches of the alert's tag after its last item: up to
 * ALERT_ITEMS_MAX ids (oldest first), their count, the largest id. */
static int new_matches(struct db *db, const struct alert_row *a, json_t *ids, int64_t *count,
                       int64_t *max_id, struct error *err)
{
    *count = 0;
    *max_id = a->last_item;
    struct db_stmt *q = db_query(db, err,
                                 "SELECT it.item_id FROM listen_item_tags it JOIN listen_items i "
                                 "ON i.id = it.item_id WHERE it.tag_id = ? AND i.workspace_id = ? "
                                 "AND it.item_id > ? ORDER BY it.item_id",
                                 "iii", a->tag, a->ws, a->last_item);
    if (!q)
        return -1;
    while (db_has_row(q)) {
        int64_t id = db_col_int(q, 0);
        if (json_array_size(ids) < ALERT_ITEMS_MAX)
            json_array_append_new(ids, json_integer(id));
        (*count)++;
        *max_id = id;
        if (db_step(q, err) < 0) {
            db_finalize(q);
            return -1;
        }
    }
    db_finalize(q);
    /* Items of other queries came in too: the alert has looked past them. */
    int64_t newest = 0;
    if (db_scalar(db, err, &newest, "SELECT COALESCE(MAX(id), 0) FROM listen_items", "") < 0)
        return -1;
    if (newest > *max_id)
        *max_id = newest;
    return 0;
}

/* Counts of the tag's items (and the negative ones) in the hour before now
 * and in the same hour on each of the past LISTEN_SPIKE_DAYS days, by the
 * time they were published (else fetched): a source added with a backlog
 * is not a spike. */
static int day_counts(struct db *db, const struct alert_row *a, int64_t now, double *total,
                      double *neg, json_t *ids, struct error *err)
{
    memset(total, 0, (LISTEN_SPIKE_DAYS + 1) * sizeof *total);
    memset(neg, 0, (LISTEN_SPIKE_DAYS + 1) * sizeof *neg);
    struct db_stmt *q = db_query(
        db, err,
        "SELECT i.id, (? - COALESCE(i.published, i.fetched_at)) / 86400, i.sentiment_label "
        "FROM listen_item_tags it JOIN listen_items i ON i.id = it.item_id "
        "WHERE it.tag_id = ? AND i.workspace_id = ? AND COALESCE(i.published, i.fetched_at) <= ? "
        "AND COALESCE(i.published, i.fetched_at) > ? "
        "AND (? - COALESCE(i.published, i.fetched_at)) % 86400 < 3600 ORDER BY i.id",
        "iiiiii", now, a->tag, a->ws, now, now - (int64_t)(LISTEN_SPIKE_DAYS + 1) * 86400, now);
    if (!q)
        return -1;
    while (db_has_row(q)) {
        int64_t d = db_col_int(q, 1);
        if (d >= 0 && d <= LISTEN_SPIKE_DAYS) {
            total[d] += 1;
            bool is_neg = !db_col_null(q, 2) && str_eq(db_col_text(q, 2), "neg");
            neg[d] += is_neg;
            if (d == 0 && json_array_size(ids) < ALERT_ITEMS_MAX &&
                (str_eq(a->mode, "spike_volume") || is_neg))
                json_array_append_new(ids, json_integer(db_col_int(q, 0)));
        }
        if (db_step(q, err) < 0) {
            db_finalize(q);
            return -1;
        }
    }
    db_finalize(q);
    return 0;
}

/* Who sees an in-app alert in their notifications: the desk that keeps
 * listening (admins and editors, who add sources, queries and alerts), the
 * alert's maker, and whoever of its e-mail list has an account; users who
 * are disabled, never. Users are the installation's, so these are the
 * workspace's members who should know (docs/listening.md). The e-mail list
 * is compared ignoring case, as users' addresses are kept in lower case.
 * *users: caller frees. */
static int in_app_people(struct db *db, const struct alert_row *a, int64_t **users, size_t *n,
                         struct error *err)
{
    *users = NULL;
    *n = 0;
    struct db_stmt *q =
        db_query(db, err, "SELECT id, role, email FROM users WHERE disabled = 0 ORDER BY id", "");
    if (!q)
        return -1;
    int rc;
    for (rc = db_has_row(q) ? 1 : 0; rc == 1; rc = db_step(q, err)) {
        int64_t id = db_col_int(q, 0);
        const char *role = db_col_text(q, 1);
        if (str_eq(role, "admin") || str_eq(role, "editor") || id == a->created_by ||
            (a->email_to[0] && str_listed_nocase(a->email_to, db_col_text(q, 2)))) {
            *users = xrealloc(*users, (*n + 1) * sizeof **users);
            (*users)[(*n)++] = id;
        }
    }
    db_finalize(q);
    if (rc < 0) {
        free(*users);
        *users = NULL;
        *n = 0;
        return -1;
    }
    return 0;
}

/* Records the event and sends it as the alert's via says. */
static int fire(struct db *db, const struct alert_row *a, int64_t now, const char *reason,
                json_t *ids, struct error *err)
{
    char *ids_text = json_dumps(ids, JSON_COMPACT);
    int64_t ev;
    int rc = db_insert(db, err, &ev,
                       "INSERT INTO listen_alert_events (alert_id, fired_at, reason, items) "
                       "VALUES (?, ?, ?, ?)",
                       "iitt", a->id, now, reason, ids_text);
    free(ids_text);
    if (rc)
        return -1;
    bool email = str_listed(a->via, "email"), hook = str_listed(a->via, "webhook"),
         in_app = str_listed(a->via, "in_app");
    if (!email && !hook && !in_app)
        return 0;
    json_t *items = items_json(db, ids, err);
    if (!items)
        return -1;
    struct buf title = {0}, text = {0}, summary = {0};
    int64_t *users = NULL;
    size_t n_users = 0;
    buf_printf(&title, "Alert on '%s': %s", a->tag_name, reason);
    /* The in-app row: why, and the first items' titles. */
    buf_printf(&summary, "Query: %s", a->rule);
    size_t n_items = json_array_size(items);
    for (size_t k = 0; k < n_items && k < 5; k++)
        buf_printf(&summary, "%s%s", k ? "; " : " · Items: ",
                   json_string_value(json_object_get(json_array_get(items, k), "title")));
    if (n_items > 5)
        buf_printf(&summary, "; and %zu more", n_items - 5);
    buf_printf(&text, "The listening alert on the query '%s' fired.\n\nWhy: %s\nQuery: %s\n",
               a->tag_name, reason, a->rule);
    if (json_array_size(items))
        buf_printf(&text, "\nItems:\n");
    size_t i;
    json_t *it;
    json_array_foreach (items, i, it) {
        if (i == ALERT_ITEMS_TEXT) {
            buf_printf(&text, "- and %zu more\n", json_array_size(items) - i);
            break;
        }
        const char *link = json_string_value(json_object_get(it, "link"));
        buf_printf(&text, "- %s%s%s\n", json_string_value(json_object_get(it, "title")),
                   link ? "\n  " : "", link ? link : "");
    }
    buf_printf(&text, "\nAlert %lld (%s). This message was sent by kanal.\n", (long long)a->id,
               a->mode);
    /* The addresses: the alert's list, else its creator's. */
    char *list = NULL;
    const char **emails = NULL;
    size_t n = 0;
    if (email && a->email_to[0]) {
        list = xstrdup(a->email_to);
        for (char *p = list; p && *p;) {
            char *comma = strchr(p, ',');
            if (comma)
                *comma = '\0';
            emails = xrealloc(emails, (n + 1) * sizeof *emails);
            emails[n++] = p;
            p = comma ? comma + 1 : NULL;
        }
    } else if (email && a->created_by) {
        struct db_stmt *q = db_query(
            db, err, "SELECT email FROM users WHERE id = ? AND disabled = 0", "i", a->created_by);
        if (!q) {
            rc = -1;
            goto done;
        }
        if (db_has_row(q)) {
            list = xstrdup(db_col_text(q, 0));
            emails = xmalloc(sizeof *emails);
            emails[n++] = list;
        }
        db_finalize(q);
    }
    if (in_app && in_app_people(db, a, &users, &n_users, err) < 0) {
        rc = -1;
        goto done;
    }
    json_t *extra =
        json_pack("{s:I, s:s, s:s, s:s, s:s, s:O}", "alert_id", (json_int_t)a->id, "query",
                  a->tag_name, "rule", a->rule, "mode", a->mode, "reason", reason, "items", items);
    struct notify_message_in m = {.event = "listen_alert",
                                  .title = title.data,
                                  .text = text.data,
                                  .summary = summary.data,
                                  .users = users,
                                  .n_users = n_users,
                                  .emails = emails,
                                  .n_emails = n,
                                  .webhook = hook,
                                  .extra = extra};
    rc = notify_message(db, a->ws, &m, err) < 0 ? -1 : 0;
    json_decref(extra);
done:
    free(users);
    free(emails);
    free(list);
    json_decref(items);
    buf_free(&title);
    buf_free(&text);
    buf_free(&summary);
    return rc;
}

/* One alert: 1 fired, 0 not, -1 and err. Runs inside a transaction. */
static int run_one(struct db *db, const struct alert_row *a, int64_t now, struct error *err)
{
    json_t *ids = json_array();
    int64_t count = 0, max_id = a->last_item;
    int rc = -1;
    char reason[600] = "";
    bool spike = !strncmp(a->mode, "spike_", 6);
    if (!spike) {
        int64_t period = str_eq(a->mode, "hourly") ? 3600 : str_eq(a->mode, "daily") ? 86400 : 0;
        int64_t since = a->digest_at ? a->digest_at : a->created_at;
        /* A digest is due when a period's boundary (UTC) has passed since
         * the last one (or since the alert was made). */
        if (period && !a->muted && now / period == since / period) {
            rc = 0;
            goto done;
        }
        if (new_matches(db, a, ids, &count, &max_id, err) < 0)
            goto done;
        if (a->muted || count == 0) {
            /* Muted: what came in is passed over, not kept for later. An
             * empty digest is a period looked at all the same. */
            rc = db_do(db, err,
                       "UPDATE listen_alerts SET last_item_id = ?, digest_at = CASE WHEN ? = 1 "
                       "THEN ? ELSE digest_at END WHERE id = ?",
                       "iiii", max_id, (int64_t)(period && !a->muted), now, a->id);
            goto done;
        }
        if (period)
            snprintf(reason, sizeof reason, "%lld item%s matched the query in the past %s",
                     (long long)count, count == 1 ? "" : "s", period == 3600 ? "hour" : "day");
        else
            snprintf(reason, sizeof reason, "%lld new item%s matched the query", (long long)count,
                     count == 1 ? "" : "s");
    } else {
        if (a->muted || (a->has_fired && now - a->last_fired < ALERT_SPIKE_GAP)) {
            rc = 0;
            goto done;
        }
        double total[LISTEN_SPIKE_DAYS + 1], neg[LISTEN_SPIKE_DAYS + 1];
        if (day_counts(db, a, now, total, neg, ids, err) < 0)
            goto done;
        struct listen_spike s;
        if (total[0] < LISTEN_SPIKE_MIN) {
            rc = 0;
            goto done;
        }
        if (str_eq(a->mode, "spike_volume")) {
            listen_spike_test(total + 1, LISTEN_SPIKE_DAYS, total[0], LISTEN_SPIKE_K, 1.0, &s);
            if (!s.fired) {
                rc = 0;
                goto done;
            }
            snprintf(reason, sizeof reason,
                     "%.0f items in the past hour, above the usual %.1f (sd %.1f) for this hour "
                     "over the past %d days: more than %.1f is a spike",
                     total[0], s.mean, s.sd, LISTEN_SPIKE_DAYS, s.threshold);
        } else {
            double shares[LISTEN_SPIKE_DAYS];
            size_t n = 0;
            for (int d = 1; d <= LISTEN_SPIKE_DAYS; d++)
                if (total[d] > 0)
                    shares[n++] = neg[d] / total[d];
            double share = neg[0] / total[0];
            listen_spike_test(shares, n, share, LISTEN_SPIKE_K, 0.05, &s);
            if (!s.fired) {
                rc = 0;
                goto done;
            }
            snprintf(reason, sizeof reason,
                     "%.0f%% of the past hour's %.0f items are negative, above the usual %.0f%% "
                     "(sd %.0f points, %zu days with items) for this hour: more than %.0f%% is a "
                     "spike",
                     share * 100, total[0], s.mean * 100, s.sd * 100, n, s.threshold * 100);
        }
    }
    if (fire(db, a, now, reason, ids, err) < 0)
        goto done;
    rc = db_run(db, err,
                "UPDATE listen_alerts SET last_fired_at = ?, digest_at = ?, last_item_id = CASE "
                "WHEN ? > last_item_id THEN ? ELSE last_item_id END WHERE id = ?",
                "iiiii", now, now, max_id, max_id, a->id) < 0
             ? -1
             : 1;
done:
    json_decref(ids);
    return rc;
}

/* Alert ID as it stands now, inside the caller's transaction and held
 * until its end: 1 and *a, 0 when it is gone, snoozed, or held by another
 * process that is running it (PostgreSQL's SKIP LOCKED; on SQLite the
 * transaction is already the only writer), -1 and err. Read here rather
 * than with the list of alerts, so that an alert another process fired
 * since is seen with its new last item and not fired again. */
static int read_alert(struct db *db, int64_t id, int64_t now, struct alert_row *a,
                      struct error *err)
{
    char sql[1024];
    snprintf(sql, sizeof sql, "%s%s",
             "SELECT a.id, a.workspace_id, a.tag_id, a.mode, a.via, a.email_to, a.last_item_id, "
             "a.last_fired_at, a.created_at, a.created_by, a.muted, "
             "(SELECT t.name FROM tags t WHERE t.id = a.tag_id), "
             "(SELECT t.rule FROM tags t WHERE t.id = a.tag_id), COALESCE(a.digest_at, 0) "
             "FROM listen_alerts a WHERE a.id = ? AND (a.snoozed_until IS NULL OR "
             "a.snoozed_until <= ?)",
             db_skip_locked(db));
    struct db_stmt *q = db_query(db, err, sql, "ii", id, now);
    if (!q)
        return -1;
    int found = db_has_row(q);
    if (found) {
        memset(a, 0, sizeof *a);
        a->id = db_col_int(q, 0);
        a->ws = db_col_int(q, 1);
        a->tag = db_col_int(q, 2);
        snprintf(a->mode, sizeof a->mode, "%s", db_col_text(q, 3));
        snprintf(a->via, sizeof a->via, "%s", db_col_text(q, 4));
        snprintf(a->email_to, sizeof a->email_to, "%s", db_col_text(q, 5));
        a->last_item = db_col_int(q, 6);
        a->has_fired = !db_col_null(q, 7);
        a->last_fired = a->has_fired ? db_col_int(q, 7) : 0;
        a->created_at = db_col_int(q, 8);
        a->created_by = db_col_null(q, 9) ? 0 : db_col_int(q, 9);
        a->muted = db_col_int(q, 10) != 0;
        snprintf(a->tag_name, sizeof a->tag_name, "%s", db_col_text(q, 11));
        snprintf(a->rule, sizeof a->rule, "%s", db_col_text(q, 12));
        a->digest_at = db_col_int(q, 13);
    }
    db_finalize(q);
    return found;
}

int listen_alerts_run(struct db *db, int64_t now, struct listen_alert_stats *st, struct error *err)
{
    memset(st, 0, sizeof *st);
    size_t n;
    int64_t *ids = db_ids(db, err, &n,
                          "SELECT id FROM listen_alerts WHERE snoozed_until IS NULL OR "
                          "snoozed_until <= ? ORDER BY id",
                          "i", now);
    if (!ids)
        return -1;
    int rc = 0;
    struct alert_row *a = xmalloc(sizeof *a);
    for (size_t i = 0; i < n && rc == 0; i++) {
        if (db_begin(db, err) < 0) {
            rc = -1;
            break;
        }
        int found = read_alert(db, ids[i], now, a, err);
        int fired = found > 0 ? run_one(db, a, now, err) : found;
        if (db_end(db, fired < 0, err)) {
            rc = -1;
            break;
        }
        st->looked += found;
        st->fired += fired;
    }
    free(a);
    free(ids);
    return rc;
}
