/* calendar: the desk's plan in time. Variants placed at their scheduled (or
 * published) time and campaigns as bands, as JSON for the web desk (the
 * whole list, or for a busy window a summary per hour or day) and as an
 * iCalendar feed (RFC 5545) for calendar apps, which reach it through a
 * revocable token in the URL since they send no cookies. */
#include "publish/publish.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const variant_statuses[] = {"draft",     "in_review", "approved", "scheduled",
                                               "published", "failed",    "archived", NULL};

static int param_id(json_t *q, const char *name, int64_t *out, struct error *err)
{
    const char *s = json_string_value(json_object_get(q, name));
    *out = 0;
    if (!s)
        return 0;
    if (str_to_i64(s, out) || *out <= 0)
        return error_field(err, ERR_INVALID, name, "parameter '%s': expected an id, got '%.40s'",
                           name, s);
    return 0;
}

static int param_time(json_t *q, const char *name, int64_t *out, struct error *err)
{
    const char *s = json_string_value(json_object_get(q, name));
    if (!s)
        return 0;
    if (time_parse_iso(s, out))
        return error_field(err, ERR_INVALID, name,
                           "parameter '%s': expected an ISO 8601 date or time, got '%.40s'", name,
                           s);
    return 0;
}

int calendar_filter_parse(struct calendar_filter *f, json_t *q, struct error *err)
{
    static const char *const known[] = {"since",  "until", "channel", "campaign",
                                        "status", "per",   "shown",   NULL};
    memset(f, 0, sizeof *f);
    if (query_params_check(q, known, -1, err))
        return -1;
    const char *shown = json_string_value(json_object_get(q, "shown"));
    int64_t n = CALENDAR_SLOT_SHOWN;
    if (shown && (str_to_i64(shown, &n) || n < 1 || n > CALENDAR_SLOT_SHOWN))
        return error_field(err, ERR_INVALID, "shown",
                           "parameter 'shown': expected 1 to %d posts per slot, got '%.40s'",
                           CALENDAR_SLOT_SHOWN, shown);
    f->shown = (int)n;
    const char *per = json_string_value(json_object_get(q, "per"));
    if (per && !str_eq(per, "hour") && !str_eq(per, "day"))
        return error_field(err, ERR_INVALID, "per",
                           "parameter 'per': expected hour or day, got '%.40s'", per);
    int64_t now = time_now();
    f->since = now - now % 86400 - 7 * 86400;
    f->until = 0;
    if (param_time(q, "since", &f->since, err) || param_time(q, "until", &f->until, err) ||
        param_id(q, "channel", &f->channel_id, err) ||
        param_id(q, "campaign", &f->campaign_id, err))
        return -1;
    if (!f->until)
        f->until = f->since + 42 * 86400;
    f->per = !per ? CALENDAR_PER_NONE : str_eq(per, "day") ? CALENDAR_PER_DAY : CALENDAR_PER_HOUR;
    if (f->until <= f->since)
        return error_field(err, ERR_INVALID, "until", "parameter 'until': must be after 'since'");
    if (f->until - f->since > CALENDAR_SPAN_MAX)
        return error_field(err, ERR_INVALID, "until",
                           "parameter 'until': at most %d days after 'since'",
                           CALENDAR_SPAN_MAX / 86400);
    const char *st = json_string_value(json_object_get(q, "status"));
    if (st) {
        /* A comma-separated list of variant statuses. */
        for (const char *p = st; *p;) {
            const char *comma = strchr(p, ',');
            size_t len = comma ? (size_t)(comma - p) : strlen(p);
            int found = -1;
            for (int i = 0; variant_statuses[i]; i++)
                if (strlen(variant_statuses[i]) == len && strncmp(variant_statuses[i], p, len) == 0)
                    found = i;
            if (found < 0)
                return error_field(err, ERR_INVALID, "status",
                                   "parameter 'status': '%.*s' is no status (draft, in_review, "
                                   "approved, scheduled, published, failed, archived)",
                                   (int)(len > 40 ? 40 : len), p);
            f->statuses |= 1u << found;
            p += len + (comma ? 1 : 0);
        }
    }
    return 0;
}

/* The variants of the window; the status is filtered in C (status_wanted). */
#define VARIANTS_IN_WINDOW                                                                         \
    "FROM post_variants v JOIN posts p ON p.id = v.post_id "                                       \
    "JOIN channels c ON c.id = v.channel_id "                                                      \
    "WHERE p.workspace_id = ? AND COALESCE(v.published_at, v.scheduled_at) >= ? "                  \
    "AND COALESCE(v.published_at, v.scheduled_at) < ? "                                            \
    "AND (? = 0 OR v.channel_id = ?) AND (? = 0 OR p.campaign_id = ?) "

/* The variants of the window, in time order; the caller finalizes. */
static struct db_stmt *query_variants(struct db *db, int64_t ws, const struct calendar_filter *f,
                                      struct error *err)
{
    return db_query(
        db, err,
        "SELECT v.id, v.post_id, v.channel_id, c.name, c.platform, v.status, "
        "COALESCE(v.published_at, v.scheduled_at) AS t, p.title, "
        "COALESCE(v.body, p.body), p.campaign_id, v.updated_at, v.permalink " VARIANTS_IN_WINDOW
        "ORDER BY t, v.id",
        "iiiiiii", ws, f->since, f->until, f->channel_id, f->channel_id, f->campaign_id,
        f->campaign_id);
}

/* The variants of the window by status, so that the list or the summary
 * is chosen before either is built. */
static struct db_stmt *count_variants(struct db *db, int64_t ws, const struct calendar_filter *f,
                                      struct error *err)
{
    return db_query(db, err, "SELECT v.status, COUNT(*) " VARIANTS_IN_WINDOW "GROUP BY v.status",
                    "iiiiiii", ws, f->since, f->until, f->channel_id, f->channel_id, f->campaign_id,
                    f->campaign_id);
}

static bool status_wanted(const struct calendar_filter *f, const char *status)
{
    if (!f->statuses)
        return true;
    for (int i = 0; variant_statuses[i]; i++)
        if (str_eq(variant_statuses[i], status))
            return (f->statuses >> i) & 1u;
    return false;
}

static struct db_stmt *query_campaigns(struct db *db, int64_t ws, const struct calendar_filter *f,
                                       struct error *err)
{
    /* A band overlaps the window; one without an end lasts one day. */
    return db_query(db, err,
                    "SELECT id, name, starts_at, COALESCE(ends_at, starts_at + 86400), "
                    "description, updated_at FROM campaigns WHERE workspace_id = ? "
                    "AND starts_at IS NOT NULL AND starts_at < ? "
                    "AND COALESCE(ends_at, starts_at + 86400) >= ? AND (? = 0 OR id = ?) "
                    "ORDER BY starts_at, id",
                    "iiiii", ws, f->until, f->since, f->campaign_id, f->campaign_id);
}

static int too_many(struct error *err)
{
    return error_field(err, ERR_LIMIT, "until",
                       "more than %d variants in this window: ask for a shorter one",
                       CALENDAR_ITEMS_MAX);
}

/* -1 and err, or the number of variants of the window the filter wants. */
static int64_t wanted_variants(struct db *db, int64_t ws, const struct calendar_filter *f,
                               struct error *err)
{
    struct db_stmt *st = count_variants(db, ws, f, err);
    if (!st)
        return -1;
    int rc;
    int64_t n = 0;
    for (rc = db_has_row(st) ? 1 : 0; rc == 1; rc = db_step(st, err))
        if (status_wanted(f, db_col_text(st, 0)))
            n += db_col_int(st, 1);
    db_finalize(st);
    return rc < 0 ? -1 : n;
}

/* The slot [*start, *until) holding instant t: its local hour or day in z,
 * as the desk draws them. */
static void slot_of(const struct tz *z, enum calendar_per per, int64_t t, int64_t *start,
                    int64_t *until)
{
    if (per == CALENDAR_PER_DAY) {
        int64_t day = tz_local_day(z, t);
        *start = tz_day_start(z, day);
        *until = tz_day_start(z, day + 1);
    } else {
        int64_t local = t + tz_offset(z, t);
        *start = t - (local % 3600 + 3600) % 3600;
        *until = *start + 3600;
    }
    assert(*start <= t && t < *until);
}

json_t *publish_calendar(struct db *db, int64_t ws, const struct calendar_filter *f,
                         struct error *err)
{
    int64_t wanted = wanted_variants(db, ws, f, err);
    if (wanted < 0)
        return NULL;
    bool summarise = f->per != CALENDAR_PER_NONE && wanted > CALENDAR_SUMMARY_MIN;
    assert(!summarise || (f->shown >= 1 && f->shown <= CALENDAR_SLOT_SHOWN));
    if (!summarise && wanted > CALENDAR_ITEMS_MAX) {
        too_many(err);
        return NULL;
    }
    struct tz *z = NULL;
    if (summarise && !(z = workspace_tz(db, ws, err)))
        return NULL;
    struct db_stmt *st = query_variants(db, ws, f, err);
    if (!st) {
        tz_free(z);
        return NULL;
    }
    json_t *items = json_array(), *bands = json_array(), *slots = json_array();
    json_t *out = json_pack("{s:o, s:o, s:o, s:o}", "since", json_time(f->since), "until",
                            json_time(f->until), "items", items, "campaigns", bands);
    /* Rows come in time order, so a slot's rows are together. */
    json_t *slot = NULL;
    int64_t slot_until = 0, in_slot = 0, total = 0;
    int rc;
    for (rc = db_has_row(st) ? 1 : 0; rc == 1; rc = db_step(st, err)) {
        if (!status_wanted(f, db_col_text(st, 5)))
            continue;
        total++;
        if (summarise) {
            int64_t t = db_col_int(st, 6), start;
            if (!slot || t >= slot_until) {
                slot_of(z, f->per, t, &start, &slot_until);
                slot =
                    json_pack("{s:o, s:o, s:I, s:I}", "start", json_time(start), "until",
                              json_time(slot_until), "total", (json_int_t)0, "more", (json_int_t)0);
                json_array_append_new(slots, slot);
                in_slot = 0;
            }
            in_slot++;
            json_integer_set(json_object_get(slot, "total"), in_slot);
            if (in_slot > f->shown) {
                json_integer_set(json_object_get(slot, "more"), in_slot - f->shown);
                continue;
            }
        }
        if (json_array_size(items) >= CALENDAR_ITEMS_MAX) {
            rc = too_many(err);
            break;
        }
        json_t *i = json_pack(
            "{s:I, s:I, s:I, s:s, s:s, s:s, s:o, s:s, s:s}", "variant_id",
            (json_int_t)db_col_int(st, 0), "post_id", (json_int_t)db_col_int(st, 1), "channel_id",
            (json_int_t)db_col_int(st, 2), "channel", db_col_text(st, 3), "platform",
            db_col_text(st, 4), "status", db_col_text(st, 5), "at", json_time(db_col_int(st, 6)),
            "title", db_col_text(st, 7), "body", db_col_text(st, 8));
        json_object_set_new(i, "campaign_id", json_int_col(st, 9));
        json_array_append_new(items, i);
    }
    db_finalize(st);
    tz_free(z);
    if (rc < 0)
        goto fail;
    json_object_set_new(out, "total", json_integer(total));
    json_object_set_new(out, "summarised", json_boolean(summarise));
    if (summarise) {
        json_object_set_new(out, "per", json_string(f->per == CALENDAR_PER_DAY ? "day" : "hour"));
        json_object_set_new(out, "shown", json_integer(f->shown));
        json_object_set_new(out, "slots", json_incref(slots));
    }
    st = query_campaigns(db, ws, f, err);
    if (!st)
        goto fail;
    for (rc = db_has_row(st) ? 1 : 0; rc == 1; rc = db_step(st, err))
        json_array_append_new(
            bands, json_pack("{s:I, s:s, s:o, s:o}", "id", (json_int_t)db_col_int(st, 0), "name",
                             db_col_text(st, 1), "starts_at", json_time(db_col_int(st, 2)),
                             "ends_at", json_time(db_col_int(st, 3))));
    db_finalize(st);
    if (rc < 0)
        goto fail;
    json_decref(slots);
    return out;
fail:
    json_decref(slots);
    json_decref(out);
    return NULL;
}

/* ---- iCalendar ----------------------------------------------------------------- */

/* Appends one content line, folded at 75 octets (RFC 5545 3.1) without
 * splitting a UTF-8 sequence, ended by CRLF. */
static void ics_line(struct buf *out, const char *line)
{
    size_t n = strlen(line), at = 0, width = 75;
    while (n - at > width) {
        size_t cut = at + width;
        while (cut > at && ((unsigned char)line[cut] & 0xC0) == 0x80)
            cut--; /* back to the start of a character */
        buf_append(out, line + at, cut - at);
        buf_puts(out, "\r\n ");
        at = cut;
        width = 74; /* the leading space of a continuation counts */
    }
    buf_append(out, line + at, n - at);
    buf_puts(out, "\r\n");
}

/* NAME:VALUE with VALUE escaped as TEXT (RFC 5545 3.3.11). */
static void ics_text(struct buf *out, const char *name, const char *value)
{
    struct buf l = {0};
    buf_printf(&l, "%s:", name);
    for (const char *p = value; *p; p++) {
        switch (*p) {
        case '\\':
        case ';':
        case ',':
            buf_putc(&l, '\\');
            buf_putc(&l, *p);
            break;
        case '\n':
            buf_puts(&l, "\\n");
            break;
        case '\r':
            break;
        default:
            /* Other control characters are not allowed in TEXT. */
            if ((unsigned char)*p >= 0x20 && *p != 0x7f)
                buf_putc(&l, *p);
        }
    }
    ics_line(out, l.data);
    buf_free(&l);
}

static void ics_time(struct buf *out, const char *name, int64_t t)
{
    int y;
    unsigned m, d;
    int64_t days = t >= 0 ? t / 86400 : (t - 86399) / 86400, s = t - days * 86400;
    time_civil_from_days(days, &y, &m, &d);
    char line[64];
    snprintf(line, sizeof line, "%s:%04d%02u%02uT%02d%02d%02dZ", name, y, m, d, (int)(s / 3600),
             (int)(s / 60 % 60), (int)(s % 60));
    ics_line(out, line);
}

static void ics_date(struct buf *out, const char *name, int64_t t)
{
    int y;
    unsigned m, d;
    time_civil_from_days(t >= 0 ? t / 86400 : (t - 86399) / 86400, &y, &m, &d);
    char line[64];
    snprintf(line, sizeof line, "%s;VALUE=DATE:%04d%02u%02u", name, y, m, d);
    ics_line(out, line);
}

/* A summary line: the first line of the text, at most 80 characters. */
static void summary(char *out, size_t size, const char *platform, const char *channel,
                    const char *title, const char *body)
{
    const char *src = title && *title ? title : body;
    size_t n = strcspn(src, "\n"), chars = 0, i = 0;
    while (i < n && chars < 80) {
        i++;
        while (i < n && ((unsigned char)src[i] & 0xC0) == 0x80)
            i++;
        chars++;
    }
    snprintf(out, size, "[%s] %s: %.*s%s", platform, channel, (int)i, src, i < n ? "…" : "");
}

int publish_ics(struct db *db, int64_t ws, const struct calendar_filter *f, const char *name,
                struct buf *out, struct error *err)
{
    struct db_stmt *st = query_variants(db, ws, f, err);
    if (!st)
        return -1;
    ics_line(out, "BEGIN:VCALENDAR");
    ics_line(out, "VERSION:2.0");
    ics_line(out, "PRODID:-//kanal//publishing calendar//EN");
    ics_line(out, "CALSCALE:GREGORIAN");
    ics_line(out, "METHOD:PUBLISH");
    ics_text(out, "X-WR-CALNAME", name ? name : "kanal");
    int rc, n = 0;
    for (rc = db_has_row(st) ? 1 : 0; rc == 1; rc = db_step(st, err)) {
        if (!status_wanted(f, db_col_text(st, 5)))
            continue;
        if (++n > CALENDAR_ITEMS_MAX)
            break; /* a feed shows the first ones rather than nothing */
        char uid[80], sum[512];
        snprintf(uid, sizeof uid, "UID:variant-%lld@kanal", (long long)db_col_int(st, 0));
        summary(sum, sizeof sum, db_col_text(st, 4), db_col_text(st, 3), db_col_text(st, 7),
                db_col_text(st, 8));
        const char *status = db_col_text(st, 5);
        int64_t t = db_col_int(st, 6);
        ics_line(out, "BEGIN:VEVENT");
        ics_line(out, uid);
        ics_time(out, "DTSTAMP", db_col_int(st, 10));
        ics_time(out, "DTSTART", t);
        ics_time(out, "DTEND", t + 15 * 60);
        ics_text(out, "SUMMARY", sum);
        ics_text(out, "DESCRIPTION", db_col_text(st, 8));
        ics_text(out, "CATEGORIES", status);
        /* Published and scheduled are settled; the rest may still move. */
        ics_line(out,
                 str_eq(status, "published") || str_eq(status, "scheduled") ? "STATUS:CONFIRMED"
                 : str_eq(status, "failed") || str_eq(status, "archived")   ? "STATUS:CANCELLED"
                                                                            : "STATUS:TENTATIVE");
        if (!db_col_null(st, 11) && *db_col_text(st, 11))
            ics_text(out, "URL", db_col_text(st, 11));
        ics_line(out, "END:VEVENT");
    }
    db_finalize(st);
    if (rc < 0)
        return -1;
    st = query_campaigns(db, ws, f, err);
    if (!st)
        return -1;
    for (rc = db_has_row(st) ? 1 : 0; rc == 1; rc = db_step(st, err)) {
        char uid[80];
        snprintf(uid, sizeof uid, "UID:campaign-%lld@kanal", (long long)db_col_int(st, 0));
        int64_t start = db_col_int(st, 2), end = db_col_int(st, 3);
        /* All-day band: DTEND is exclusive, so the day after the last. */
        int64_t last_day = (end - 1) - (end - 1) % 86400;
        ics_line(out, "BEGIN:VEVENT");
        ics_line(out, uid);
        ics_time(out, "DTSTAMP", db_col_int(st, 5));
        ics_date(out, "DTSTART", start);
        ics_date(out, "DTEND", (last_day > start ? last_day : start) + 86400);
        ics_text(out, "SUMMARY", db_col_text(st, 1));
        ics_text(out, "DESCRIPTION", db_col_text(st, 4));
        ics_text(out, "CATEGORIES", "campaign");
        ics_line(out, "TRANSP:TRANSPARENT");
        ics_line(out, "END:VEVENT");
    }
    db_finalize(st);
    if (rc < 0)
        return -1;
    ics_line(out, "END:VCALENDAR");
    return 0;
}

/* ---- feed tokens ------------------------------------------------------------------ */

json_t *calendar_feed_create(struct db *db, int64_t ws, int64_t channel_id, int64_t campaign_id,
                             const struct actor *who, struct error *err)
{
    if (channel_id && campaign_id) {
        error_field(err, ERR_INVALID, "campaign_id",
                    "a feed is for the workspace, one channel or one campaign");
        return NULL;
    }
    int found = 1;
    if (channel_id)
        found = db_scalar(db, err, NULL, "SELECT 1 FROM channels WHERE id = ? AND workspace_id = ?",
                          "ii", channel_id, ws);
    else if (campaign_id)
        found =
            db_scalar(db, err, NULL, "SELECT 1 FROM campaigns WHERE id = ? AND workspace_id = ?",
                      "ii", campaign_id, ws);
    if (found < 0)
        return NULL;
    if (!found) {
        error_field(err, ERR_INVALID, channel_id ? "channel_id" : "campaign_id",
                    "no %s %lld in this workspace", channel_id ? "channel" : "campaign",
                    (long long)(channel_id ? channel_id : campaign_id));
        return NULL;
    }
    char token[TOKEN_HEX + 1], hash[65];
    token_new(token);
    token_hash(token, hash);
    int64_t id;
    if (db_begin(db, err))
        return NULL;
    char detail[96];
    snprintf(detail, sizeof detail, "{\"campaign_id\":%lld,\"channel_id\":%lld}",
             (long long)campaign_id, (long long)channel_id);
    int rc =
        db_insert(db, err, &id,
                  "INSERT INTO calendar_feeds (workspace_id, channel_id, campaign_id, token_hash, "
                  "created_by, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                  "iIItIi", ws, channel_id ? &channel_id : NULL, campaign_id ? &campaign_id : NULL,
                  hash, who->user_id ? &who->user_id : NULL, time_now()) ||
        audit_record(db, ws, who->user_id, "create", "calendar_feed", id, detail, err);
    if (db_end(db, rc, err))
        return NULL;
    char path[128];
    snprintf(path, sizeof path, "/ics/%s.ics", token);
    return json_pack("{s:I, s:s, s:s}", "id", (json_int_t)id, "token", token, "path", path);
}

int calendar_feed_revoke(struct db *db, int64_t ws, int64_t id, const struct actor *who,
                         struct error *err)
{
    if (db_begin(db, err))
        return -1;
    int64_t n = db_run(db, err,
                       "UPDATE calendar_feeds SET revoked_at = ? WHERE id = ? AND workspace_id = ? "
                       "AND revoked_at IS NULL",
                       "iii", time_now(), id, ws);
    if (n <= 0)
        model_no_row((int)n, "active calendar feed", id, err);
    return db_end(
        db, n <= 0 || audit_record(db, ws, who->user_id, "revoke", "calendar_feed", id, "", err),
        err);
}

int calendar_feed_resolve(struct db *db, const char *token, struct calendar_filter *f, int64_t *ws,
                          char *name, size_t name_size, struct error *err)
{
    char hash[65];
    if (!token || strlen(token) != TOKEN_HEX)
        return error_set(err, ERR_NOT_FOUND, "no such calendar feed");
    token_hash(token, hash);
    struct db_stmt *st = db_query(
        db, err,
        "SELECT f.workspace_id, COALESCE(f.channel_id, 0), COALESCE(f.campaign_id, 0), "
        "CASE WHEN f.revoked_at IS NULL THEN 0 ELSE 1 END, w.name, COALESCE(c.name, m.name, '') "
        "FROM calendar_feeds f JOIN workspaces w ON w.id = f.workspace_id "
        "LEFT JOIN channels c ON c.id = f.channel_id "
        "LEFT JOIN campaigns m ON m.id = f.campaign_id WHERE f.token_hash = ?",
        "t", hash);
    if (!st)
        return -1;
    bool found = db_has_row(st), revoked = found && db_col_int(st, 3);
    if (found) {
        *ws = db_col_int(st, 0);
        memset(f, 0, sizeof *f);
        f->channel_id = db_col_int(st, 1);
        f->campaign_id = db_col_int(st, 2);
        const char *part = db_col_text(st, 5);
        snprintf(name, name_size, "%s%s%s", db_col_text(st, 4), *part ? ": " : "", part);
    }
    db_finalize(st);
    /* A revoked feed reads as one that never was: nothing to learn from it. */
    if (!found || revoked)
        return error_set(err, ERR_NOT_FOUND, "no such calendar feed");
    /* What a calendar app wants: the recent past and the plan ahead. */
    int64_t now = time_now();
    f->since = now - now % 86400 - 90 * 86400;
    f->until = f->since + CALENDAR_SPAN_MAX;
    return 0;
}
