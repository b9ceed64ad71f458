/* sync: one channel's sync. Its connector fetches what is new since the
 * cursors kept in sync_cursors and hands each answer, as the platform's own
 * bytes, to the sink here, which imports it through ingest/ into that
 * channel in one transaction per page: a synced answer and the same answer
 * imported from a file give the same rows. */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "connect/internal.h"

struct sink_ctx {
    struct sync_sink sink;
    struct db *db;
    const struct connect_env *env;
    const struct channel_run *run;
    int64_t now;
    struct connect_sync_stats *stats;
    char *cursor; /* the last cursor_get's answer */
    /* The sink's own failure (the store, a lost lease), which says more
     * than whatever the connector makes of it. */
    bool failed;
    struct error err;
};

static void counts_add(struct ingest_counts *to, const struct ingest_counts *c)
{
    for (int e = 0; e < IE_COUNT; e++) {
        to->inserted[e] += c->inserted[e];
        to->updated[e] += c->updated[e];
        to->unchanged[e] += c->unchanged[e];
        to->rejected[e] += c->rejected[e];
    }
    to->rejects += c->rejects;
    to->shares_skipped += c->shares_skipped;
}

/* The sink's own failure, kept in x for the run's answer and said to the
 * connector in err. Returns -1. */
static int sink_failed(struct sink_ctx *x, struct error *err)
{
    x->failed = true;
    return error_set(err, x->err.kind, "%s", x->err.msg);
}

static int sink_page(struct sync_sink *s, enum ingest_format format, const char *what,
                     const char *data, size_t len, int64_t *added, struct error *err)
{
    struct sink_ctx *x = s->ctx;
    struct import_job job = {
        .db = x->db,
        .target = {.workspace_id = x->run->ch.workspace_id,
                   .channel_id = x->run->ch.id,
                   .create_channels = false},
        .format = format,
        .filename = what,
        /* Every page of one sync is the same moment: a metric read twice in
         * one run is one snapshot, a later sync a new one. */
        .opts = {.taken_at = x->now},
    };
    struct ingest_counts c = {0};
    if (ingest_import(&job, data, len, &c, &x->err)) {
        return sink_failed(x, err);
    }
    int64_t n = 0;
    for (int e = 0; e < IE_COUNT; e++)
        n += c.inserted[e];
    if (c.rejects)
        log_warn("channel %lld: %s: %lld item%s could not be read", (long long)x->run->ch.id,
                 what ? what : "a page", (long long)c.rejects, c.rejects == 1 ? "" : "s");
    counts_add(&x->stats->counts, &c);
    x->stats->pages++;
    x->stats->added += n;
    if (added)
        *added = n;
    if (x->env->progress && x->env->progress(x->env->progress_ctx, &x->err)) {
        return sink_failed(x, err);
    }
    return 0;
}

static const char *sink_cursor_get(struct sync_sink *s, const char *resource)
{
    struct sink_ctx *x = s->ctx;
    free(x->cursor);
    x->cursor = NULL;
    struct error err = {0};
    if (sync_cursor_get(x->db, x->run->ch.id, resource, &x->cursor, &err) < 0) {
        /* Syncing from the start again is slower, never wrong: imports
         * are idempotent. */
        log_warn("channel %lld: cursor '%s' could not be read (%s): syncing it from the start",
                 (long long)x->run->ch.id, resource, err.msg);
        return NULL;
    }
    return x->cursor;
}

static int sink_cursor_set(struct sync_sink *s, const char *resource, const char *value,
                           struct error *err)
{
    struct sink_ctx *x = s->ctx;
    if (sync_cursor_set(x->db, x->run->ch.id, resource, value, x->now, &x->err)) {
        return sink_failed(x, err);
    }
    return 0;
}

int connect_sync_channel(struct db *db, const struct connect_env *env, int64_t channel_id,
                         int64_t now, struct connect_sync_stats *stats, struct connect_result *res)
{
    assert(db && env && res);
    struct connect_sync_stats local;
    if (!stats)
        stats = &local;
    memset(stats, 0, sizeof *stats);
    *res = (struct connect_result){0};
    struct channel_run run;
    int rc = channel_run_open(db, env, channel_id, now, &run, res);
    struct sink_ctx x = {
        .sink = {.page = sink_page, .cursor_get = sink_cursor_get, .cursor_set = sink_cursor_set},
        .db = db,
        .env = env,
        .run = &run,
        .now = now,
        .stats = stats,
    };
    x.sink.ctx = &x;
    if (rc == 0 && !run.c->sync)
        rc = connect_fail(res, CO_REJECTED, "the %s connector does not sync", run.c->title);
    else if (rc == 0)
        rc = run.c->sync(&run.s, &x.sink, res) ? -1 : 0;
    if (rc == 0 && x.failed) /* a connector that went on after its sink failed */
        rc = -1;
    if (rc && x.failed)
        connect_fail(res, CO_TEMPORARY, "channel %lld: importing what the platform sent failed: %s",
                     (long long)channel_id, x.err.msg);
    struct error err = {0};
    if (rc == 0) {
        res->outcome = CO_OK;
        if (connection_synced(db, channel_id, now, &err)) {
            rc = connect_fail_error(res, &err);
            channel_run_record(db, channel_id, res, now);
        }
    } else if (!run.held) {
        channel_run_record(db, channel_id, res, now);
    }
    channel_run_close(&run);
    free(x.cursor);
    return rc;
}
