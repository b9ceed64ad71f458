/* Unit tests for the layer between the connectors and kanal (connect/
 * session.c, sync.c, act.c, worker.c) with a test-double connector whose
 * sync hands pages of Mastodon's real status format: tokens refreshed
 * before they expire, a refused token turning the channel "needs
 * reconnect" and holding its jobs, cursors kept between syncs, an action
 * whose answer was lost looked up and not sent twice, and a rate limit
 * keeping the job until the platform's retry time. The real connectors
 * against their fakes: tests/e2e/test_sync.py. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "connect/connect.h"
#include "model/model.h"

#define T0  1700000000
#define KEY "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

/* Two statuses of the account (id 42) in Mastodon's format; each sync is
 * given them again, with a later one after the first. */
static const char *const page1 =
    "[{\"id\": \"110\", \"created_at\": \"2022-11-23T10:00:00.000Z\", \"content\": \"<p>Andra "
    "inlägget</p>\", \"url\": \"https://m.example/@verket/110\", \"replies_count\": 0, "
    "\"reblogs_count\": 1, \"favourites_count\": 3, \"account\": {\"id\": \"42\", \"acct\": "
    "\"verket\"}},"
    "{\"id\": \"109\", \"created_at\": \"2022-11-23T09:30:00.000Z\", \"content\": \"<p>Ny "
    "rapport</p>\", \"url\": \"https://m.example/@verket/109\", \"replies_count\": 2, "
    "\"reblogs_count\": 5, \"favourites_count\": 7, \"account\": {\"id\": \"42\", \"acct\": "
    "\"verket\"}}]";

/* What the double does and saw. */
static struct {
    enum connect_outcome sync_fails; /* CO_OK: it works */
    int64_t retry_at;
    int refreshes, syncs;
    char seen_token[64], seen_cursor[64];
    /* actions: what the "platform" holds, and how the next act ends */
    int posted;
    char posted_key[64];
    enum connect_outcome act_fails;
    bool lost_after_posting; /* CO_LOST: the post was made before the answer got lost */
    int lookups;
    bool renews_mid_call; /* sync renews the tokens itself, as Bluesky does */
} dbl;

static int dbl_refresh(struct connect_session *s, struct channel_tokens *out,
                       struct connect_result *res)
{
    dbl.refreshes++;
    assert_string_equal(s->tokens->refresh_token, "refresh-1");
    out->access_token = xstrdup("access-2");
    out->expires_at = s->now + 7200;
    return 0;
}

static int dbl_sync(struct connect_session *s, struct sync_sink *sink, struct connect_result *res)
{
    dbl.syncs++;
    snprintf(dbl.seen_token, sizeof dbl.seen_token, "%s", s->tokens->access_token);
    const char *c = sink->cursor_get(sink, "statuses");
    snprintf(dbl.seen_cursor, sizeof dbl.seen_cursor, "%s", c ? c : "");
    if (dbl.sync_fails == CO_AUTH)
        return connect_fail(res, CO_AUTH, "Mastodon: The access token was revoked (HTTP 401)");
    struct error err = {0};
    if (dbl.renews_mid_call) {
        assert_non_null(s->tokens_renewed);
        struct channel_tokens t = {
            .access_token = "access-3", .refresh_token = "refresh-3", .expires_at = s->now + 600};
        if (s->tokens_renewed(s, &t, &err))
            return connect_fail(res, CO_TEMPORARY, "%s", err.msg);
    }
    int64_t added = 0;
    if (sink->page(sink, INGEST_MASTODON, "GET /api/v1/accounts/42/statuses", page1, strlen(page1),
                   &added, &err))
        return connect_fail(res, CO_TEMPORARY, "%s", err.msg);
    if (sink->cursor_set(sink, "statuses", "110", &err))
        return connect_fail(res, CO_TEMPORARY, "%s", err.msg);
    if (dbl.sync_fails == CO_RATE) {
        res->retry_at = dbl.retry_at;
        return connect_fail(res, CO_RATE, "GET /api/v1/notifications: rate limited (HTTP 429)");
    }
    return 0;
}

static int dbl_act(struct connect_session *s, const struct connect_action *a,
                   struct connect_done *out, struct connect_result *res)
{
    if (dbl.act_fails == CO_REJECTED)
        return connect_fail(res, CO_REJECTED,
                            "Mastodon: Validation failed: Text character limit "
                            "of 500 exceeded (HTTP 422)");
    if (dbl.act_fails == CO_LOST) {
        if (dbl.lost_after_posting) {
            dbl.posted++;
            snprintf(dbl.posted_key, sizeof dbl.posted_key, "%s", a->key);
        }
        dbl.act_fails = CO_OK; /* the next try gets its answer */
        return connect_fail(res, CO_LOST, "POST /api/v1/statuses: timed out");
    }
    dbl.posted++;
    snprintf(dbl.posted_key, sizeof dbl.posted_key, "%s", a->key);
    snprintf(out->id, sizeof out->id, "%d", 2000 + dbl.posted);
    return 0;
}

static int dbl_lookup(struct connect_session *s, const struct connect_action *a,
                      struct connect_done *out, struct connect_result *res)
{
    dbl.lookups++;
    assert_true(a->first_sent_at > 0);
    if (dbl.posted && str_eq(dbl.posted_key, a->key)) {
        snprintf(out->id, sizeof out->id, "%d", 2000 + dbl.posted);
        return 1;
    }
    return 0;
}

static const struct connector double_connector = {
    .platform = "mastodon",
    .title = "Mastodon",
    .api_url = "http://127.0.0.1:9",
    .actions = 1u << ACT_PUBLISH | 1u << ACT_REPLY,
    .refresh = dbl_refresh,
    .sync = dbl_sync,
    .act = dbl_act,
    .lookup = dbl_lookup,
};

struct fixture {
    struct db *db;
    struct vault_key *key;
    struct connect_env env;
};

static int setup(void **state)
{
    memset(&dbl, 0, sizeof dbl);
    struct fixture *f = calloc(1, sizeof *f);
    struct error err = {0};
    f->db = db_open(":memory:", &err);
    assert_non_null(f->db);
    log_set_level(LOG_ERROR);
    assert_true(db_migrate(f->db, &err) >= 1);
    assert_int_equal(db_exec(f->db,
                             "INSERT INTO workspaces (name, slug, created_at, updated_at) VALUES "
                             "('W', 'w', 0, 0); INSERT INTO channels (workspace_id, platform, "
                             "handle, name, platform_id, created_at, updated_at) VALUES (1, "
                             "'mastodon', 'verket', 'Verket', '42', 0, 0)",
                             &err),
                     0);
    f->key = vault_key_load(NULL, KEY, &err);
    assert_non_null(f->key);
    struct channel_tokens t = {
        .access_token = "access-1", .refresh_token = "refresh-1", .expires_at = T0 + 100};
    assert_int_equal(vault_store(f->db, f->key, 1, &t, T0, &err), 0);
    assert_int_equal(connection_connected(f->db, 1, "", 0, T0, &err), 0);
    f->env = (struct connect_env){.key = f->key, .connector = &double_connector};
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    vault_key_free(f->key);
    db_close(f->db);
    free(f);
    return 0;
}

static int64_t count(struct db *db, const char *sql)
{
    struct error err = {0};
    int64_t n = -1;
    assert_int_equal(db_scalar(db, &err, &n, sql, ""), 1);
    return n;
}

static void test_refresh_before_expiry(void **state)
{
    struct fixture *f = *state;
    struct connect_result res;
    struct error err = {0};
    /* 100 s left: within the margin, so refreshed before the sync... */
    assert_int_equal(connect_sync_channel(f->db, &f->env, 1, T0, NULL, &res), 0);
    assert_int_equal(dbl.refreshes, 1);
    assert_string_equal(dbl.seen_token, "access-2");
    struct channel_tokens t = {0};
    assert_int_equal(vault_load(f->db, f->key, 1, &t, &err), 1);
    assert_string_equal(t.access_token, "access-2");
    assert_string_equal(t.refresh_token, "refresh-1"); /* kept: none came back */
    assert_int_equal(t.expires_at, T0 + 7200);
    channel_tokens_clear(&t);
    /* ...and not again while the new one holds. */
    assert_int_equal(connect_sync_channel(f->db, &f->env, 1, T0 + 60, NULL, &res), 0);
    assert_int_equal(dbl.refreshes, 1);
}

/* Tokens a connector renews in the middle of a call are sealed at once:
 * the refresh token they replace may not work again. */
static void test_tokens_renewed_mid_call_are_stored(void **state)
{
    struct fixture *f = *state;
    struct error err = {0};
    struct channel_tokens t = {
        .access_token = "access-1", .refresh_token = "refresh-1", .scopes = "atproto"};
    assert_int_equal(vault_store(f->db, f->key, 1, &t, T0, &err), 0); /* does not expire */
    dbl.renews_mid_call = true;
    struct connect_result res = {0};
    assert_int_equal(connect_sync_channel(f->db, &f->env, 1, T0, NULL, &res), 0);
    assert_int_equal(dbl.refreshes, 0);
    struct channel_tokens got = {0};
    assert_int_equal(vault_load(f->db, f->key, 1, &got, &err), 1);
    assert_string_equal(got.access_token, "access-3");
    assert_string_equal(got.refresh_token, "refresh-3");
    assert_string_equal(got.scopes, "atproto"); /* kept: the renewal names none */
    assert_int_equal(got.expires_at, T0 + 600);
    channel_tokens_clear(&got);
}

static void test_cursors_kept_and_second_sync_adds_snapshots_only(void **state)
{
    struct fixture *f = *state;
    struct connect_result res;
    struct connect_sync_stats st;
    assert_int_equal(connect_sync_channel(f->db, &f->env, 1, T0, &st, &res), 0);
    assert_string_equal(dbl.seen_cursor, "");
    assert_int_equal(st.pages, 1);
    assert_int_equal(st.counts.inserted[IE_POSTS], 2);
    assert_int_equal(count(f->db, "SELECT count(*) FROM post_variants WHERE channel_id = 1"), 2);
    struct connection c;
    struct error err = {0};
    assert_int_equal(connection_get(f->db, 1, &c, &err), 1);
    assert_int_equal(c.synced_at, T0);
    /* The second sync starts where the first ended, adds no post, and
     * takes a new metric snapshot of each. */
    int64_t snaps = count(f->db, "SELECT count(*) FROM post_metrics");
    assert_int_equal(connect_sync_channel(f->db, &f->env, 1, T0 + 900, &st, &res), 0);
    assert_string_equal(dbl.seen_cursor, "110");
    assert_int_equal(st.counts.inserted[IE_POSTS], 0);
    assert_int_equal(st.counts.inserted[IE_METRICS], 2);
    assert_int_equal(count(f->db, "SELECT count(*) FROM post_variants WHERE channel_id = 1"), 2);
    assert_int_equal(count(f->db, "SELECT count(*) FROM post_metrics"), snaps + 2);
}

static void test_auth_failure_needs_reconnect_and_holds_jobs(void **state)
{
    struct fixture *f = *state;
    struct error err = {0};
    struct connect_result res;
    struct job_in other = {.kind = "action", .channel_id = 1};
    int64_t held;
    assert_int_equal(job_enqueue(f->db, &other, T0, &held, &err), 0);
    dbl.sync_fails = CO_AUTH;
    assert_int_equal(connect_sync_channel(f->db, &f->env, 1, T0, NULL, &res), -1);
    assert_int_equal(res.outcome, CO_AUTH);
    struct connection c;
    assert_int_equal(connection_get(f->db, 1, &c, &err), 1);
    assert_string_equal(c.state, "needs_reconnect");
    assert_string_equal(c.problem, "Mastodon: The access token was revoked (HTTP 401)");
    /* Its jobs are not claimed, and a sync run by hand says why without
     * calling the platform. */
    struct job j;
    assert_int_equal(job_claim(f->db, "w", NULL, 60, T0 + 1, &j, &err), 0);
    int syncs = dbl.syncs;
    assert_int_equal(connect_sync_channel(f->db, &f->env, 1, T0 + 2, NULL, &res), -1);
    assert_int_equal(res.outcome, CO_AUTH);
    assert_non_null(strstr(res.message, "The access token was revoked"));
    assert_int_equal(dbl.syncs, syncs);
    /* Reconnected, they run. */
    assert_int_equal(connection_connected(f->db, 1, "", 0, T0 + 3, &err), 0);
    assert_int_equal(job_claim(f->db, "w", NULL, 60, T0 + 4, &j, &err), 1);
    assert_int_equal(j.id, held);
    job_clear(&j);
}

static int64_t queue(struct fixture *f, const char *kind, const char *text)
{
    struct error err = {0};
    json_t *body = json_pack("{s:s}", "text", text);
    struct action_in in = {.channel_id = 1, .kind = kind, .body = body};
    int64_t id;
    assert_int_equal(connect_queue_action(f->db, &in, T0, &id, &err), 0);
    json_decref(body);
    return id;
}

static enum action_state action_state(struct fixture *f, int64_t id, char *platform_id, size_t n)
{
    struct action a;
    struct error err = {0};
    assert_int_equal(action_get(f->db, id, &a, &err), 0);
    enum action_state s = a.state;
    if (platform_id)
        snprintf(platform_id, n, "%s", a.platform_id ? a.platform_id : "");
    action_clear(&a);
    return s;
}

static void test_lost_action_looked_up_not_sent_twice(void **state)
{
    struct fixture *f = *state;
    struct connect_result res;
    int64_t id = queue(f, "publish", "Hej från kanal");
    /* The post is made, and the answer lost. */
    dbl.act_fails = CO_LOST;
    dbl.lost_after_posting = true;
    assert_int_equal(connect_act(f->db, &f->env, id, T0 + 1, &res), -1);
    assert_int_equal(res.outcome, CO_LOST);
    assert_int_equal(action_state(f, id, NULL, 0), ACTION_UNKNOWN);
    assert_int_equal(dbl.posted, 1);
    /* The next try asks first, finds it, and does not post again. */
    char pid[32];
    assert_int_equal(connect_act(f->db, &f->env, id, T0 + 60, &res), 0);
    assert_int_equal(dbl.lookups, 1);
    assert_int_equal(dbl.posted, 1);
    assert_int_equal(action_state(f, id, pid, sizeof pid), ACTION_DONE);
    assert_string_equal(pid, "2001");
    /* Done is done: another run changes nothing. */
    assert_int_equal(connect_act(f->db, &f->env, id, T0 + 70, &res), 0);
    assert_int_equal(dbl.posted, 1);

    /* Lost before it was made: looked up, not found, sent once more. */
    int64_t id2 = queue(f, "publish", "Andra försöket");
    dbl.act_fails = CO_LOST;
    dbl.lost_after_posting = false;
    assert_int_equal(connect_act(f->db, &f->env, id2, T0 + 80, &res), -1);
    assert_int_equal(dbl.posted, 1);
    assert_int_equal(connect_act(f->db, &f->env, id2, T0 + 90, &res), 0);
    assert_int_equal(dbl.lookups, 2);
    assert_int_equal(dbl.posted, 2);
    assert_int_equal(action_state(f, id2, pid, sizeof pid), ACTION_DONE);
    assert_string_equal(pid, "2002");
}

/* Runs the next due action job through the worker's path; its outcome. */
static int run_next_action(struct fixture *f, int64_t now)
{
    struct error err = {0};
    struct job j;
    assert_int_equal(job_claim(f->db, "w", "action", 60, now, &j, &err), 1);
    int rc = connect_run_job(f->db, &f->env, &j, "w", 60, &err);
    job_clear(&j);
    return rc;
}

static void test_rejected_action_fails_with_platform_words(void **state)
{
    struct fixture *f = *state;
    struct error err = {0};
    int64_t a = queue(f, "publish", "för lång");
    dbl.act_fails = CO_REJECTED;
    assert_int_equal(run_next_action(f, T0), CO_REJECTED);
    struct action got;
    assert_int_equal(action_get(f->db, a, &got, &err), 0);
    assert_int_equal(got.state, ACTION_FAILED);
    assert_non_null(strstr(got.error, "Text character limit of 500 exceeded"));
    action_clear(&got);
    /* What the connector cannot do fails the same way, without a call. */
    struct action_in hide = {.channel_id = 1, .kind = "hide", .target = "77"};
    int64_t h;
    assert_int_equal(connect_queue_action(f->db, &hide, T0, &h, &err), 0);
    assert_int_equal(run_next_action(f, T0), CO_REJECTED);
    assert_int_equal(action_get(f->db, h, &got, &err), 0);
    assert_int_equal(got.state, ACTION_FAILED);
    assert_string_equal(got.error, "Mastodon cannot hide");
    action_clear(&got);
    /* Failed for good: the jobs are not queued again. */
    assert_int_equal(count(f->db, "SELECT count(*) FROM jobs WHERE state = 'failed'"), 2);
    struct job j;
    assert_int_equal(job_claim(f->db, "w", NULL, 60, T0 + 86400, &j, &err), 0);
    assert_int_equal(dbl.posted, 0);
}

static void test_rate_limit_waits_for_retry_at(void **state)
{
    struct fixture *f = *state;
    struct error err = {0};
    struct connection c;
    /* The job layer runs on the real clock: retry_at is hours away, longer
     * than any backoff. */
    int64_t now = time_now();
    assert_int_equal(connection_connected(f->db, 1, "", 0, now, &err), 0);
    dbl.sync_fails = CO_RATE;
    dbl.retry_at = now + 5 * 3600;
    assert_int_equal(connection_queue_syncs(f->db, now, &err), 1);
    struct job j;
    assert_int_equal(job_claim(f->db, "w", "sync", 60, now, &j, &err), 1);
    assert_int_equal(connect_run_job(f->db, &f->env, &j, "w", 60, &err), CO_RATE);
    job_clear(&j);
    int64_t run_after = count(f->db, "SELECT run_after FROM jobs WHERE kind = 'sync'");
    assert_int_equal(run_after, dbl.retry_at);
    assert_int_equal(job_claim(f->db, "w", "sync", 60, dbl.retry_at - 1, &j, &err), 0);
    assert_int_equal(connection_get(f->db, 1, &c, &err), 1);
    assert_non_null(strstr(c.last_error, "rate limited"));
    assert_string_equal(c.state, "connected");
    /* The page before the limit stays imported, and so does its cursor. */
    assert_int_equal(count(f->db, "SELECT count(*) FROM post_variants"), 2);
    char *cur = NULL;
    assert_int_equal(sync_cursor_get(f->db, 1, "statuses", &cur, &err), 1);
    assert_string_equal(cur, "110");
    free(cur);
    /* At retry_at it runs, and ends well. */
    dbl.sync_fails = CO_OK;
    assert_int_equal(job_claim(f->db, "w", "sync", 60, dbl.retry_at, &j, &err), 1);
    assert_int_equal(connect_run_job(f->db, &f->env, &j, "w", 60, &err), CO_OK);
    job_clear(&j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_refresh_before_expiry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tokens_renewed_mid_call_are_stored, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cursors_kept_and_second_sync_adds_snapshots_only,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_auth_failure_needs_reconnect_and_holds_jobs, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_lost_action_looked_up_not_sent_twice, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rejected_action_fails_with_platform_words, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_rate_limit_waits_for_retry_at, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
