/* message_stats: the response figures of docs/metrics.md kept as messages
 * arrive, so reports never scan the messages themselves.
 *
 * For each channel and local day (message_days) and each post variant
 * (post_variants.msg_*): incoming messages, how many were answered, and a
 * histogram of their first-response times. Every write of a message goes
 * through message_stats_change() with what the message counted as before and
 * after, inside the writer's transaction. Local days depend on the
 * workspace's time zone; workspaces.stats_tz records the zone message_days
 * were cut in, and when it is not the workspace's zone (never built, or the
 * zone changed) writers leave the figures alone and message_stats_refresh()
 * builds them again from the messages.
 *
 * The histogram's bins are exact below WAIT_EXACT seconds and then 128 per
 * doubling (like a float with a 7-bit mantissa), so a bin's middle is within
 * 0.4% of every wait in it, and a median read from it is too. It is stored
 * as text, "bin:count bin:count ...", in ascending bins. */
#include "model/internal.h"

#include <assert.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WAIT_EXACT 256 /* seconds below which every second is its own bin */
#define WAIT_SUB   128 /* bins per doubling above that */

int64_t wait_bin(int64_t w)
{
    if (w < WAIT_EXACT)
        return w < 0 ? 0 : w;
    int e = 63 - __builtin_clzll((unsigned long long)w); /* 2^e <= w < 2^(e+1), e >= 8 */
    int shift = e - 7;
    return (int64_t)shift * WAIT_SUB + (w >> shift);
}

double wait_bin_value(int64_t bin)
{
    assert(bin >= 0);
    if (bin < WAIT_EXACT)
        return (double)bin;
    int64_t shift = bin / WAIT_SUB - 1, m = bin % WAIT_SUB + WAIT_SUB;
    int64_t lo = m << shift, hi = ((m + 1) << shift) - 1;
    return ((double)lo + (double)hi) / 2;
}

int wait_hist_parse(struct imap *h, const char *s)
{
    while (*s) {
        char *end;
        long long bin = strtoll(s, &end, 10);
        if (end == s || *end != ':' || bin < 0)
            return -1;
        s = end + 1;
        long long n = strtoll(s, &end, 10);
        if (end == s || (*end && *end != ' '))
            return -1;
        s = *end ? end + 1 : end;
        int64_t *c = imap_get(h, bin);
        if (c)
            *c += n;
        else
            imap_put(h, bin, n);
    }
    return 0;
}

static int cmp_bin(const void *a, const void *b)
{
    int64_t x = ((const int64_t *)a)[0], y = ((const int64_t *)b)[0];
    return x < y ? -1 : x > y;
}

/* The histogram as (bin, count) pairs in ascending bins, without empty
 * bins; returns the number of pairs. */
static size_t hist_sorted(const struct imap *h, int64_t **out)
{
    int64_t *p = xmalloc((h->len + 1) * 2 * sizeof *p);
    size_t n = 0;
    for (size_t i = 0; i < h->cap; i++)
        if (h->used[i] && h->vals[i] > 0) {
            p[2 * n] = h->keys[i];
            p[2 * n + 1] = h->vals[i];
            n++;
        }
    sort_array(p, n, 2 * sizeof *p, cmp_bin);
    *out = p;
    return n;
}

bool wait_hist_median(const struct imap *h, double *median)
{
    int64_t *p;
    size_t n = hist_sorted(h, &p);
    int64_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += p[2 * i + 1];
    if (total == 0) {
        free(p);
        return false;
    }
    /* The values at ranks lo and hi (0-based): the middle one, or the two
     * middle ones of an even count. */
    int64_t lo = (total - 1) / 2, hi = total / 2, seen = 0;
    double vlo = 0, vhi = 0;
    for (size_t i = 0; i < n; i++) {
        int64_t next = seen + p[2 * i + 1];
        if (lo >= seen && lo < next)
            vlo = wait_bin_value(p[2 * i]);
        if (hi >= seen && hi < next) {
            vhi = wait_bin_value(p[2 * i]);
            break;
        }
        seen = next;
    }
    free(p);
    *median = (vlo + vhi) / 2;
    return true;
}

static void hist_format(const struct imap *h, struct buf *b)
{
    int64_t *p;
    size_t n = hist_sorted(h, &p);
    buf_reset(b);
    buf_puts(b, ""); /* "" rather than NULL when empty */
    for (size_t i = 0; i < n; i++)
        buf_printf(b, "%s%lld:%lld", i ? " " : "", (long long)p[2 * i], (long long)p[2 * i + 1]);
    free(p);
}

static void hist_add(struct imap *h, int64_t bin, int64_t n)
{
    int64_t *c = imap_get(h, bin);
    if (c)
        *c += n;
    else
        imap_put(h, bin, n);
}

/* ---- time zones, shared by every writer -------------------------------------------- */

/* Loaded zones are kept for the life of the process, never freed (a
 * writer may hold one while another thread loads the next): there are at
 * most a few hundred, they never change, and a message write must not read
 * a zoneinfo file. */
static pthread_mutex_t zones_lock = PTHREAD_MUTEX_INITIALIZER;
static struct tz **zones;
static size_t nzones, capzones;

struct tz *model_zone(const char *name, struct error *err)
{
    pthread_mutex_lock(&zones_lock);
    struct tz *z = NULL;
    for (size_t i = 0; i < nzones && !z; i++)
        if (str_eq(tz_name(zones[i]), name))
            z = zones[i];
    if (!z && (z = tz_load(name, err))) {
        if (nzones == capzones) {
            capzones = capzones ? capzones * 2 : 8;
            zones = xrealloc(zones, capzones * sizeof *zones);
        }
        zones[nzones++] = z;
    }
    pthread_mutex_unlock(&zones_lock);
    return z;
}

/* The zone the workspace's figures are cut in, or NULL with *stale set when
 * they are to be built again (and a writer should leave them alone). */
static int stats_zone(struct db *db, int64_t ws, struct tz **z, struct error *err)
{
    struct db_stmt *st =
        db_query(db, err, "SELECT timezone, stats_tz FROM workspaces WHERE id = ?", "i", ws);
    if (!st)
        return -1;
    *z = NULL;
    int rc = 0;
    if (db_has_row(st) && !db_col_null(st, 1) && str_eq(db_col_text(st, 0), db_col_text(st, 1)))
        rc = (*z = model_zone(db_col_text(st, 0), err)) ? 0 : -1;
    db_finalize(st);
    return rc;
}

/* ---- keeping them as messages change ------------------------------------------------ */

/* Adds sign × one message's figures to a row's (incoming, answered, waits). */
static int adjust(struct db *db, bool day_row, int64_t a, int64_t b, int sign,
                  const struct msg_fact *f, struct error *err)
{
    if (!f->answered)
        return day_row ? db_do(db, err,
                               "INSERT INTO message_days (channel_id, day, incoming, held) "
                               "VALUES (?, ?, ?, ?) ON CONFLICT (channel_id, day) DO UPDATE SET "
                               "incoming = message_days.incoming + excluded.incoming, "
                               "held = message_days.held + excluded.held",
                               "iiii", a, b, (int64_t)sign, (int64_t)(f->held ? sign : 0))
                       : db_do(db, err,
                               "UPDATE post_variants SET msg_incoming = msg_incoming + ? "
                               "WHERE id = ?",
                               "ii", (int64_t)sign, a);
    /* An answered message changes the histogram: read, change, write, with
     * the row made first and, on PostgreSQL, locked, so two writers on the
     * same day or post cannot lose each other's change (SQLite has one
     * writer at a time). */
    bool pg = db_backend(db) == DB_POSTGRES;
    if (day_row && db_run(db, err,
                          "INSERT INTO message_days (channel_id, day) VALUES (?, ?) "
                          "ON CONFLICT (channel_id, day) DO NOTHING",
                          "ii", a, b) < 0)
        return -1;
    struct db_stmt *st =
        day_row ? db_query(db, err,
                           pg ? "SELECT incoming, answered, waits, held, within_level, "
                                "work_waits, elsewhere FROM message_days "
                                "WHERE channel_id = ? AND day = ? FOR UPDATE"
                              : "SELECT incoming, answered, waits, held, within_level, "
                                "work_waits, elsewhere FROM message_days "
                                "WHERE channel_id = ? AND day = ?",
                           "ii", a, b)
                : db_query(db, err,
                           pg ? "SELECT msg_incoming, msg_answered, msg_waits FROM post_variants "
                                "WHERE id = ? FOR UPDATE"
                              : "SELECT msg_incoming, msg_answered, msg_waits FROM post_variants "
                                "WHERE id = ?",
                           "i", a);
    if (!st)
        return -1;
    if (!db_has_row(st)) {
        db_finalize(st);
        return 0; /* the variant is gone */
    }
    int64_t incoming = db_col_int(st, 0), answered = db_col_int(st, 1);
    int64_t held = day_row ? db_col_int(st, 3) : 0, within = day_row ? db_col_int(st, 4) : 0,
            elsewhere = day_row ? db_col_int(st, 6) : 0;
    struct imap h = {0}, wh = {0};
    int bad = wait_hist_parse(&h, db_col_text(st, 2)) ||
              (day_row && wait_hist_parse(&wh, db_col_text(st, 5)));
    db_finalize(st);
    if (bad) {
        imap_free(&h);
        imap_free(&wh);
        return error_set(err, ERR_INTERNAL, "malformed response-time histogram");
    }
    hist_add(&h, wait_bin(f->first_response_at - f->created_at), sign);
    if (f->has_work)
        hist_add(&wh, wait_bin(f->work_wait), sign);
    struct buf text = {0}, wtext = {0};
    hist_format(&h, &text);
    hist_format(&wh, &wtext);
    imap_free(&h);
    imap_free(&wh);
    int64_t rc = day_row ? db_run(db, err,
                                  "UPDATE message_days SET incoming = ?, answered = ?, waits = ?, "
                                  "held = ?, within_level = ?, work_waits = ?, elsewhere = ? "
                                  "WHERE channel_id = ? AND day = ?",
                                  "iitiitiii", incoming + sign, answered + sign, text.data,
                                  held + (f->held ? sign : 0), within + (f->within ? sign : 0),
                                  wtext.data, elsewhere + (f->elsewhere ? sign : 0), a, b)
                         : db_run(db, err,
                                  "UPDATE post_variants SET msg_incoming = ?, msg_answered = ?, "
                                  "msg_waits = ? WHERE id = ?",
                                  "iiti", incoming + sign, answered + sign, text.data, a);
    buf_free(&text);
    buf_free(&wtext);
    return rc < 0 ? -1 : 0;
}

static int apply(struct db *db, const struct tz *z, const struct msg_fact *f, int sign,
                 struct error *err)
{
    if (!f->counted)
        return 0;
    if (adjust(db, true, f->channel_id, tz_local_day(z, f->created_at), sign, f, err))
        return -1;
    return f->variant_id ? adjust(db, false, f->variant_id, 0, sign, f, err) : 0;
}

static bool same_fact(const struct msg_fact *x, const struct msg_fact *y)
{
    if (x->counted != y->counted)
        return false;
    return !x->counted ||
           (x->channel_id == y->channel_id && x->variant_id == y->variant_id &&
            x->created_at == y->created_at && x->answered == y->answered &&
            (!x->answered || x->first_response_at == y->first_response_at) && x->held == y->held &&
            x->within == y->within && x->has_work == y->has_work && x->elsewhere == y->elsewhere &&
            (!x->has_work || x->work_wait == y->work_wait));
}

int message_stats_change(struct db *db, int64_t ws, const struct msg_fact *before,
                         const struct msg_fact *after, struct error *err)
{
    static const struct msg_fact none = {0};
    before = before ? before : &none;
    after = after ? after : &none;
    assert(!after->counted || after->channel_id > 0);
    if (same_fact(before, after))
        return 0;
    struct tz *z;
    if (stats_zone(db, ws, &z, err))
        return -1;
    if (!z)
        return 0; /* to be built again from the messages */
    return apply(db, z, before, -1, err) || apply(db, z, after, 1, err) ? -1 : 0;
}

/* ---- building them from the messages ------------------------------------------------ */

#define acc response_figures

static void acc_add(struct acc *a, bool answered, int64_t wait, const struct msg_fact *f)
{
    a->incoming++;
    a->held += f->held;
    a->within += f->within;
    a->elsewhere += f->elsewhere;
    if (f->has_work)
        hist_add(&a->work_waits, wait_bin(f->work_wait), 1);
    if (!answered)
        return;
    a->answered++;
    hist_add(&a->waits, wait_bin(wait), 1);
}

/* Writes one local day's rows (one per channel seen that day). */
static int flush_day(struct db *db, int64_t day, struct imap *index, struct acc *accs,
                     int64_t *channels, size_t n, struct error *err)
{
    struct buf text = {0}, wtext = {0};
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        hist_format(&accs[i].waits, &text);
        hist_format(&accs[i].work_waits, &wtext);
        if (db_run(db, err,
                   "INSERT INTO message_days (channel_id, day, incoming, answered, waits, held, "
                   "within_level, work_waits, elsewhere) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   "iiiitiiti", channels[i], day, accs[i].incoming, accs[i].answered, text.data,
                   accs[i].held, accs[i].within, wtext.data, accs[i].elsewhere) < 0)
            rc = -1;
    }
    for (size_t i = 0; i < n; i++) {
        imap_free(&accs[i].waits);
        imap_free(&accs[i].work_waits);
    }
    buf_free(&text);
    buf_free(&wtext);
    imap_free(index);
    return rc;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Per variant: every counted message as one key, variant << 13 | (bin + 1)
 * (0 for unanswered), sorted, so each variant's messages are one run. */
#define VBITS 13
static int write_variants(struct db *db, uint64_t *keys, size_t n, struct error *err)
{
    sort_array(keys, n, sizeof *keys, cmp_u64); /* keys is NULL for none */
    struct buf text = {0};
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0;) {
        uint64_t variant = keys[i] >> VBITS;
        struct acc a = {0};
        for (; i < n && keys[i] >> VBITS == variant; i++) {
            int64_t bin = (int64_t)(keys[i] & ((1u << VBITS) - 1)) - 1;
            a.incoming++;
            if (bin >= 0) {
                a.answered++;
                int64_t *c = imap_get(&a.waits, bin);
                if (c)
                    ++*c;
                else
                    imap_put(&a.waits, bin, 1);
            }
        }
        hist_format(&a.waits, &text);
        imap_free(&a.waits);
        if (db_run(db, err,
                   "UPDATE post_variants SET msg_incoming = ?, msg_answered = ?, msg_waits = ? "
                   "WHERE id = ?",
                   "iiti", a.incoming, a.answered, text.data, (int64_t)variant) < 0)
            rc = -1;
    }
    buf_free(&text);
    return rc;
}

static int rebuild(struct db *db, int64_t ws, const char *zone_name, struct error *err)
{
    struct tz *z = model_zone(zone_name, err);
    if (!z)
        return -1;
    if (db_run(db, err,
               "DELETE FROM message_days WHERE channel_id IN "
               "(SELECT id FROM channels WHERE workspace_id = ?)",
               "i", ws) < 0 ||
        db_run(db, err,
               "UPDATE post_variants SET msg_incoming = 0, msg_answered = 0, msg_waits = '' "
               "WHERE channel_id IN (SELECT id FROM channels WHERE workspace_id = ?) AND "
               "(msg_incoming <> 0 OR msg_answered <> 0)",
               "i", ws) < 0)
        return -1;
    /* In time order, local days come one after another: one day's rows are
     * summed at a time. */
    struct db_stmt *st = db_query(db, err,
                                  "SELECT m.channel_id, COALESCE(m.variant_id, 0), m.created_at, "
                                  "m.first_response_at, " MSG_FACT_COLUMNS
                                  " FROM messages m WHERE m.workspace_id = ? AND "
                                  "m.is_own = 0 ORDER BY m.created_at",
                                  "i", ws);
    if (!st)
        return -1;
    int rc = db_has_row(st) ? 1 : 0;
    struct imap index = {0}; /* channel -> slot of the current day */
    struct acc *accs = NULL;
    int64_t *channels = NULL, day = INT64_MIN;
    size_t n = 0, cap = 0, nkeys = 0, capkeys = 0;
    uint64_t *keys = NULL;
    for (; rc == 1; rc = db_step(st, err)) {
        int64_t ch = db_col_int(st, 0), variant = db_col_int(st, 1), at = db_col_int(st, 2);
        bool answered = !db_col_null(st, 3);
        int64_t wait = db_col_int(st, 3) - at, d = tz_local_day(z, at);
        if (d != day) {
            size_t had = n;
            n = 0; /* flush_day frees the day's sums, whatever it returns */
            if (had && flush_day(db, day, &index, accs, channels, had, err)) {
                rc = -1;
                break;
            }
            day = d;
        }
        int64_t *slot = imap_get(&index, ch);
        if (!slot) {
            if (n == cap) {
                cap = cap ? cap * 2 : 16;
                accs = xrealloc(accs, cap * sizeof *accs);
                channels = xrealloc(channels, cap * sizeof *channels);
            }
            accs[n] = (struct acc){0};
            channels[n] = ch;
            slot = imap_put(&index, ch, (int64_t)n++);
        }
        assert(*slot >= 0 && (size_t)*slot < n); /* the index holds this day's channels */
        struct msg_fact f = msg_fact_read(st, 4, ch, variant, at);
        acc_add(&accs[*slot], answered, wait, &f);
        if (variant > 0) {
            if (nkeys == capkeys) {
                capkeys = capkeys ? capkeys * 2 : 1024;
                keys = xrealloc(keys, capkeys * sizeof *keys);
            }
            keys[nkeys++] =
                (uint64_t)variant << VBITS | (uint64_t)(answered ? wait_bin(wait) + 1 : 0);
        }
    }
    db_finalize(st);
    if (rc == 0 && n) {
        size_t had = n;
        n = 0;
        rc = flush_day(db, day, &index, accs, channels, had, err);
    }
    if (rc == 0)
        rc = write_variants(db, keys, nkeys, err);
    for (size_t i = 0; i < n; i++) {
        imap_free(&accs[i].waits);
        imap_free(&accs[i].work_waits);
    }
    imap_free(&index);
    free(accs);
    free(channels);
    free(keys);
    if (rc == 0 &&
        db_run(db, err, "UPDATE workspaces SET stats_tz = ? WHERE id = ?", "ti", zone_name, ws) < 0)
        rc = -1;
    return rc ? -1 : 0;
}

int message_stats_refresh(struct db *db, int64_t workspace_id, struct error *err)
{
    struct db_stmt *st = db_query(db, err,
                                  "SELECT id, timezone FROM workspaces WHERE (stats_tz IS NULL "
                                  "OR stats_tz <> timezone) AND (? = 0 OR id = ?) ORDER BY id",
                                  "ii", workspace_id, workspace_id);
    if (!st)
        return -1;
    struct stale {
        int64_t id;
        char tz[64];
    } *stale = NULL;
    size_t n = 0, cap = 0;
    int rc = db_has_row(st);
    for (; rc == 1; rc = db_step(st, err)) {
        if (n == cap) {
            cap = cap ? cap * 2 : 4;
            stale = xrealloc(stale, cap * sizeof *stale);
        }
        stale[n].id = db_col_int(st, 0);
        snprintf(stale[n].tz, sizeof stale[n].tz, "%s", db_col_text(st, 1));
        n++;
    }
    db_finalize(st);
    for (size_t i = 0; i < n && rc == 0; i++) {
        if (db_begin(db, err))
            rc = -1;
        else if (rebuild(db, stale[i].id, stale[i].tz, err)) {
            db_rollback(db);
            rc = -1;
        } else if (db_commit(db, err)) {
            rc = -1;
        } else {
            log_info("built the response figures of workspace %lld (%s)", (long long)stale[i].id,
                     stale[i].tz);
        }
    }
    free(stale);
    return rc < 0 ? -1 : 0;
}

/* ---- the same figures per team, read from the messages ------------------------------ */

int message_figures_by_team(struct db *db, int64_t ws, int64_t since, int64_t until,
                            void (*fn)(int64_t team, int64_t channel,
                                       const struct response_figures *f, void *arg),
                            void *arg, struct error *err)
{
    assert(db && fn && since <= until);
    /* A team is not a property of a channel-day: it is the message's, and
     * changes as it is handed on. So the figures are summed from the
     * messages as the channel-day rows are built (msg_fact_read, acc_add),
     * one (team, channel) at a time, the rows in that order. */
    struct db_stmt *st = db_query(db, err,
                                  "SELECT COALESCE(m.team_id, 0), m.channel_id, m.created_at, "
                                  "m.first_response_at, " MSG_FACT_COLUMNS
                                  " FROM messages m WHERE m.workspace_id = ? AND m.is_own = 0 "
                                  "AND m.created_at >= ? AND m.created_at < ? "
                                  "ORDER BY 1, 2",
                                  "iii", ws, since, until);
    if (!st)
        return -1;
    struct acc a = {0};
    int64_t team = -1, channel = -1;
    int rc = db_has_row(st);
    for (; rc == 1; rc = db_step(st, err)) {
        int64_t t = db_col_int(st, 0), ch = db_col_int(st, 1), at = db_col_int(st, 2);
        if ((t != team || ch != channel) && a.incoming) {
            fn(team, channel, &a, arg);
            imap_free(&a.waits);
            imap_free(&a.work_waits);
            a = (struct acc){0};
        }
        team = t;
        channel = ch;
        struct msg_fact f = msg_fact_read(st, 4, ch, 0, at);
        acc_add(&a, !db_col_null(st, 3), db_col_int(st, 3) - at, &f);
    }
    if (rc == 0 && a.incoming)
        fn(team, channel, &a, arg);
    imap_free(&a.waits);
    imap_free(&a.work_waits);
    db_finalize(st);
    return rc < 0 ? -1 : 0;
}
