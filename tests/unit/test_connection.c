/* Unit tests for connected channels (model/connection.c) on an in-memory
 * SQLite store: needs-reconnect holds a channel's jobs and reconnecting
 * lets them run, last error and synced_at, cursors, periodic syncs queued
 * once, and the moves an action may make. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/model.h"

#define T0 1700000000

static struct db *fresh(void)
{
    struct error err = {0};
    struct db *db = db_open(":memory:", &err);
    assert_non_null(db);
    log_set_level(LOG_ERROR);
    assert_true(db_migrate(db, &err) >= 1);
    assert_int_equal(db_exec(db,
                             "INSERT INTO workspaces (name, slug, created_at, updated_at) VALUES "
                             "('W', 'w', 0, 0); INSERT INTO channels (workspace_id, platform, "
                             "handle, name, created_at, updated_at) VALUES (1, 'mastodon', 'a', "
                             "'A', 0, 0), (1, 'x', 'b', 'B', 0, 0), (1, 'x', 'c', 'C', 0, 0)",
                             &err),
                     0);
    assert_int_equal(connection_connected(db, 1, "http://127.0.0.1:9", 0, T0, &err), 0);
    assert_int_equal(connection_connected(db, 2, "", 0, T0, &err), 0);
    return db;
}

static int64_t claim(struct db *db, int64_t now)
{
    struct error err = {0};
    struct job j;
    int got = job_claim(db, "w", NULL, 60, now, &j, &err);
    assert_int_not_equal(got, -1);
    int64_t id = got ? j.id : 0;
    job_clear(&j);
    return id;
}

static void test_needs_reconnect_holds_jobs(void **state)
{
    struct db *db = fresh();
    struct error err = {0};
    int64_t a, b;
    struct job_in in1 = {.kind = "sync", .channel_id = 1}, in2 = {.kind = "sync", .channel_id = 2};
    assert_int_equal(job_enqueue(db, &in1, T0, &a, &err), 0);
    assert_int_equal(job_enqueue(db, &in2, T0, &b, &err), 0);
    assert_int_equal(connection_needs_reconnect(
                         db, 1, "Mastodon: The access token was revoked (HTTP 401)", T0, &err),
                     0);
    struct connection c;
    assert_int_equal(connection_get(db, 1, &c, &err), 1);
    assert_string_equal(c.state, "needs_reconnect");
    assert_string_equal(c.problem, "Mastodon: The access token was revoked (HTTP 401)");
    /* Channel 1's job is passed over, channel 2's runs. */
    assert_int_equal(claim(db, T0 + 1), b);
    assert_int_equal(claim(db, T0 + 2), 0);
    /* Reconnecting lets it run, and clears the problem. */
    assert_int_equal(connection_connected(db, 1, "http://127.0.0.1:9", 0, T0 + 3, &err), 0);
    assert_int_equal(connection_get(db, 1, &c, &err), 1);
    assert_string_equal(c.state, "connected");
    assert_string_equal(c.problem, "");
    assert_int_equal(claim(db, T0 + 4), a);
    /* A channel never connected is not held, and has no connection. */
    assert_int_equal(connection_get(db, 3, &c, &err), 0);
    assert_int_equal(connection_needs_reconnect(db, 3, "x", T0, &err), -1);
    assert_int_equal(err.kind, ERR_NOT_FOUND);
    db_close(db);
}

static void test_errors_and_synced(void **state)
{
    struct db *db = fresh();
    struct error err = {0};
    struct connection c;
    assert_int_equal(
        connection_error(db, 2, "GET /2/tweets: the platform failed (HTTP 503)", T0 + 5, &err), 0);
    assert_int_equal(connection_get(db, 2, &c, &err), 1);
    assert_string_equal(c.last_error, "GET /2/tweets: the platform failed (HTTP 503)");
    assert_int_equal(c.last_error_at, T0 + 5);
    assert_int_equal(c.synced_at, 0);
    json_t *errs = connection_errors(db, &err);
    assert_int_equal(json_array_size(errs), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(errs, 1), "last_error")),
                        "GET /2/tweets: the platform failed (HTTP 503)");
    json_decref(errs);
    assert_int_equal(connection_synced(db, 2, T0 + 9, &err), 0);
    assert_int_equal(connection_get(db, 2, &c, &err), 1);
    assert_string_equal(c.last_error, "");
    assert_int_equal(c.synced_at, T0 + 9);
    /* Invalid UTF-8 in a platform's message is stored as '?', never refused. */
    assert_int_equal(connection_error(db, 2, "bad \xff byte", T0, &err), 0);
    assert_int_equal(connection_get(db, 2, &c, &err), 1);
    assert_string_equal(c.last_error, "bad ? byte");
    json_t *j = connection_to_json(&c);
    assert_string_equal(json_string_value(json_object_get(j, "state")), "connected");
    assert_null(json_object_get(j, "access_token"));
    json_decref(j);
    db_close(db);
}

static void test_cursors(void **state)
{
    struct db *db = fresh();
    struct error err = {0};
    char *v = NULL;
    assert_int_equal(sync_cursor_get(db, 1, "statuses", &v, &err), 0);
    assert_null(v);
    assert_int_equal(sync_cursor_set(db, 1, "statuses", "109", T0, &err), 0);
    assert_int_equal(sync_cursor_set(db, 1, "statuses", "110", T0 + 1, &err), 0);
    assert_int_equal(sync_cursor_set(db, 2, "statuses", "7", T0, &err), 0);
    assert_int_equal(sync_cursor_get(db, 1, "statuses", &v, &err), 1);
    assert_string_equal(v, "110");
    free(v);
    assert_int_equal(sync_cursor_set(db, 1, "statuses", NULL, T0, &err), 0);
    assert_int_equal(sync_cursor_get(db, 1, "statuses", &v, &err), 0);
    assert_int_equal(sync_cursor_get(db, 2, "statuses", &v, &err), 1);
    assert_string_equal(v, "7");
    free(v);
    assert_int_equal(sync_cursor_set(db, 1, "", "1", T0, &err), -1);
    assert_int_equal(err.kind, ERR_INVALID);
    assert_int_equal(sync_cursor_set(db, 1, "statuses", "\xc3", T0, &err), -1);
    assert_int_equal(err.kind, ERR_INVALID);
    db_close(db);
}

static void test_queue_syncs_once(void **state)
{
    struct db *db = fresh();
    struct error err = {0};
    assert_int_equal(connection_queue_syncs(db, T0, &err), 2);
    assert_int_equal(connection_queue_syncs(db, T0 + 60, &err), 0);
    assert_int_equal(connection_needs_reconnect(db, 2, "revoked", T0, &err), 0);
    int64_t id = claim(db, T0 + 61);
    assert_true(id > 0);
    assert_int_equal(job_finish(db, id, "w", T0 + 62, &err), 0);
    /* Channel 1's is done, so it gets a new one; channel 2 needs
     * reconnecting and still has its own waiting. */
    assert_int_equal(connection_queue_syncs(db, T0 + 900, &err), 1);
    db_close(db);
}

static void test_action_moves(void **state)
{
    struct db *db = fresh();
    struct error err = {0};
    json_t *body = json_pack("{s:s}", "text", "Hej!");
    struct action_in in = {.channel_id = 1, .kind = "publish", .body = body, .key = "k1"};
    int64_t id, again;
    assert_int_equal(action_create(db, &in, T0, &id, &err), 0);
    assert_int_equal(action_create(db, &in, T0, &again, &err), 1);
    assert_int_equal(again, id);
    in.channel_id = 2;
    assert_int_equal(action_create(db, &in, T0, &again, &err), -1);
    assert_int_equal(err.kind, ERR_CONFLICT);
    /* sent -> unknown -> (looked up, found) done */
    assert_int_equal(action_move(db, id, ACTION_SENT, NULL, T0 + 1, &err), 0);
    struct action_outcome lost = {.error = "no answer"};
    assert_int_equal(action_move(db, id, ACTION_UNKNOWN, &lost, T0 + 2, &err), 0);
    assert_int_equal(action_move(db, id, ACTION_SENT, NULL, T0 + 3, &err), 0);
    struct action_outcome made = {.platform_id = "1101", .permalink = "https://m.example/@a/1101"};
    assert_int_equal(action_move(db, id, ACTION_DONE, &made, T0 + 4, &err), 0);
    struct action a;
    assert_int_equal(action_get(db, id, &a, &err), 0);
    assert_int_equal(a.state, ACTION_DONE);
    assert_string_equal(a.platform_id, "1101");
    assert_int_equal(a.first_sent_at, T0 + 1); /* the first send, not the second */
    action_clear(&a);
    /* A done action is never sent again. */
    assert_int_equal(action_move(db, id, ACTION_SENT, NULL, T0 + 5, &err), -1);
    assert_int_equal(err.kind, ERR_CONFLICT);
    /* A reply needs its target and text; a key is made when none is given. */
    struct action_in bad = {.channel_id = 1, .kind = "reply", .body = body};
    assert_int_equal(action_create(db, &bad, T0, &again, &err), -1);
    assert_int_equal(err.kind, ERR_INVALID);
    assert_non_null(strstr(err.msg, "target"));
    bad.target = "55";
    assert_int_equal(action_create(db, &bad, T0, &again, &err), 0);
    assert_int_equal(action_get(db, again, &a, &err), 0);
    assert_true(strncmp(a.key, "kanal-", 6) == 0);
    action_clear(&a);
    struct action_in nochan = {.channel_id = 99, .kind = "hide", .target = "5"};
    assert_int_equal(action_create(db, &nochan, T0, &again, &err), -1);
    assert_int_equal(err.kind, ERR_NOT_FOUND);
    json_t *list = action_list(db, 1, 10, &err);
    assert_int_equal(json_array_size(json_object_get(list, "items")), 2);
    json_decref(list);
    json_decref(body);
    db_close(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_needs_reconnect_holds_jobs),
        cmocka_unit_test(test_errors_and_synced),
        cmocka_unit_test(test_cursors),
        cmocka_unit_test(test_queue_syncs_once),
        cmocka_unit_test(test_action_moves),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
