/* Unit tests for the job table (model/job.c) on an in-memory SQLite store:
 * idempotent enqueue, claims and leases, taking back a dead worker's job,
 * backoff, the last attempt and the payload naming a job's row. The clock
 * is the tests': every call is given `now`. Several processes on
 * PostgreSQL: tests/e2e/test_jobs.py. */
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
    return db;
}

static int64_t enqueue(struct db *db, const char *kind, const char *key, int64_t run_after,
                       int max_attempts)
{
    struct error err = {0};
    struct job_in in = {
        .kind = kind, .key = key, .run_after = run_after, .max_attempts = max_attempts};
    int64_t id = 0;
    assert_int_equal(job_enqueue(db, &in, T0, &id, &err), 0);
    assert_true(id > 0);
    return id;
}

/* Claims one job as `owner` at `now` and returns its id (0: none due). */
static int64_t claim(struct db *db, const char *owner, int64_t now, int *attempts)
{
    struct error err = {0};
    struct job j;
    int got = job_claim(db, owner, NULL, 60, now, &j, &err);
    assert_int_not_equal(got, -1);
    int64_t id = got ? j.id : 0;
    if (attempts)
        *attempts = j.attempts;
    job_clear(&j);
    return id;
}

static int64_t state_count(struct db *db, enum job_state s)
{
    struct error err = {0};
    int64_t counts[JOB_STATE_COUNT];
    assert_int_equal(job_counts(db, counts, &err), 0);
    return counts[s];
}

static void test_enqueue_by_key_is_idempotent(void **state)
{
    struct db *db = fresh();
    struct error err = {0};
    int64_t a = enqueue(db, "sync", "sync:channel:1", 0, 0);
    struct job_in again = {.kind = "sync", .key = "sync:channel:1"};
    int64_t b = 0;
    assert_int_equal(job_enqueue(db, &again, T0 + 5, &b, &err), 1);
    assert_int_equal(b, a);
    /* While it runs the key is still taken... */
    assert_int_equal(claim(db, "w1", T0, NULL), a);
    assert_int_equal(job_enqueue(db, &again, T0 + 6, &b, &err), 1);
    assert_int_equal(b, a);
    /* ...and free once it is done. */
    assert_int_equal(job_finish(db, a, "w1", T0 + 7, &err), 0);
    assert_int_equal(job_enqueue(db, &again, T0 + 8, &b, &err), 0);
    assert_true(b != a);
    /* Without a key every enqueue is a job of its own. */
    int64_t c = enqueue(db, "publish", NULL, 0, 0), d = enqueue(db, "publish", NULL, 0, 0);
    assert_true(c != d && c > b && d > c);
    assert_int_equal(state_count(db, JOB_QUEUED), 3);
    assert_int_equal(state_count(db, JOB_DONE), 1);
    db_close(db);
}

static void test_enqueue_rejects_bad_input(void **state)
{
    struct db *db = fresh();
    struct error err = {0};
    int64_t id;
    struct job_in in = {.kind = "Sync"};
    assert_int_equal(job_enqueue(db, &in, T0, &id, &err), -1);
    assert_int_equal(err.kind, ERR_INVALID);
    assert_non_null(strstr(err.msg, "kind"));
    in = (struct job_in){.kind = "sync", .payload = "{\"since\": "};
    assert_int_equal(job_enqueue(db, &in, T0, &id, &err), -1);
    assert_non_null(strstr(err.msg, "payload: not a JSON object: "));
    in = (struct job_in){.kind = "sync", .payload = "[1]"};
    assert_int_equal(job_enqueue(db, &in, T0, &id, &err), -1);
    in = (struct job_in){.kind = "sync", .max_attempts = JOB_ATTEMPTS_MAX + 1};
    assert_int_equal(job_enqueue(db, &in, T0, &id, &err), -1);
    assert_non_null(strstr(err.msg, "max_attempts"));
    assert_int_equal(state_count(db, JOB_QUEUED), 0);
    db_close(db);
}

static void test_claim_takes_each_due_job_once(void **state)
{
    struct db *db = fresh();
    struct error err = {0};
    int64_t later = enqueue(db, "sync", NULL, T0 + 100, 0);
    int64_t first = enqueue(db, "sync", NULL, 0, 0);
    struct job_in in = {.kind = "publish", .channel_id = 0, .payload = "{\"post\": 7}"};
    int64_t pub = 0;
    assert_int_equal(job_enqueue(db, &in, T0 + 1, &pub, &err), 0);

    /* By kind: only publish jobs, with their payload. */
    struct job j;
    assert_int_equal(job_claim(db, "w1", "publish", 60, T0 + 1, &j, &err), 1);
    assert_int_equal(j.id, pub);
    assert_string_equal(j.kind, "publish");
    assert_string_equal(j.payload, "{\"post\": 7}");
    assert_int_equal(j.attempts, 1);
    assert_int_equal(j.lease_until, T0 + 61);
    job_clear(&j);
    assert_int_equal(job_claim(db, "w1", "publish", 60, T0 + 1, &j, &err), 0);

    /* Due ones in order; the one not due yet waits for its time. */
    assert_int_equal(claim(db, "w2", T0 + 1, NULL), first);
    assert_int_equal(claim(db, "w3", T0 + 1, NULL), 0);
    assert_int_equal(claim(db, "w3", T0 + 100, NULL), later);
    assert_int_equal(state_count(db, JOB_RUNNING), 3);

    /* Only the lease's owner finishes it. */
    assert_int_equal(job_finish(db, first, "w3", T0 + 2, &err), -1);
    assert_int_equal(err.kind, ERR_CONFLICT);
    assert_non_null(strstr(err.msg, "leased to w2"));
    assert_int_equal(job_extend(db, first, "w2", 600, T0 + 2, &err), 0);
    assert_int_equal(job_finish(db, first, "w2", T0 + 3, &err), 0);
    assert_int_equal(job_finish(db, first, "w2", T0 + 3, &err), -1);
    assert_int_equal(err.kind, ERR_CONFLICT);
    assert_int_equal(job_finish(db, 999, "w2", T0 + 3, &err), -1);
    assert_int_equal(err.kind, ERR_NOT_FOUND);
    db_close(db);
}

static void test_reclaim_takes_back_a_dead_workers_job(void **state)
{
    struct db *db = fresh();
    struct error err = {0};
    int64_t id = enqueue(db, "sync", "k", 0, 2);
    assert_int_equal(claim(db, "crashed", T0, NULL), id); /* lease until T0 + 60 */
    /* Not before the lease ends. */
    assert_int_equal(job_reclaim(db, T0 + 60, &err), 0);
    assert_int_equal(state_count(db, JOB_RUNNING), 1);
    assert_int_equal(job_reclaim(db, T0 + 61, &err), 1);
    assert_int_equal(state_count(db, JOB_QUEUED), 1);
    json_t *l = job_list(db, "queued", 10, &err);
    json_t *row = json_array_get(json_object_get(l, "items"), 0);
    assert_string_equal(json_string_value(json_object_get(row, "last_error")),
                        "lease expired: worker crashed stopped");
    assert_true(json_is_null(json_object_get(row, "lease_owner")));
    json_decref(l);

    /* The dead worker cannot finish what another now runs. */
    int attempts;
    assert_int_equal(claim(db, "w2", T0 + 61, &attempts), id);
    assert_int_equal(attempts, 2);
    assert_int_equal(job_finish(db, id, "crashed", T0 + 62, &err), -1);
    assert_int_equal(err.kind, ERR_CONFLICT);
    assert_int_equal(job_extend(db, id, "crashed", 60, T0 + 62, &err), -1);

    /* That was its last attempt: lost again, it stays failed. */
    assert_int_equal(job_reclaim(db, T0 + 200, &err), 1);
    assert_int_equal(state_count(db, JOB_FAILED), 1);
    assert_int_equal(claim(db, "w3", T0 + 10000, NULL), 0);
    /* An operator's retry queues it with fresh attempts. */
    assert_int_equal(job_retry(db, id, T0 + 300, &err), 0);
    assert_int_equal(claim(db, "w3", T0 + 300, &attempts), id);
    assert_int_equal(attempts, 1);
    assert_int_equal(job_retry(db, id, T0 + 300, &err), -1);
    assert_int_equal(err.kind, ERR_CONFLICT);
    db_close(db);
}

static void test_backoff_doubles_up_to_a_cap(void **state)
{
    assert_int_equal(job_backoff(1), JOB_BACKOFF_BASE);
    assert_int_equal(job_backoff(2), 2 * JOB_BACKOFF_BASE);
    assert_int_equal(job_backoff(3), 4 * JOB_BACKOFF_BASE);
    assert_int_equal(job_backoff(7), 64 * JOB_BACKOFF_BASE);
    assert_int_equal(job_backoff(8), JOB_BACKOFF_CAP);
    assert_int_equal(job_backoff(JOB_ATTEMPTS_MAX), JOB_BACKOFF_CAP);
}

static void test_fail_waits_then_stays_failed(void **state)
{
    struct db *db = fresh();
    struct error err = {0};
    int64_t id = enqueue(db, "sync", NULL, 0, 4);
    /* Attempt 1 fails: back in 30 s, not sooner. */
    assert_int_equal(claim(db, "w", T0, NULL), id);
    assert_int_equal(job_fail(db, id, "w", "HTTP 502 from graph.facebook.com", 0, false, T0, &err),
                     JOB_QUEUED);
    assert_int_equal(claim(db, "w", T0 + JOB_BACKOFF_BASE - 1, NULL), 0);
    assert_int_equal(claim(db, "w", T0 + JOB_BACKOFF_BASE, NULL), id);
    /* Attempt 2: a platform's Retry-After later than the backoff wins. */
    int64_t t = T0 + JOB_BACKOFF_BASE;
    assert_int_equal(job_fail(db, id, "w", "HTTP 429", t + 900, false, t, &err), JOB_QUEUED);
    assert_int_equal(claim(db, "w", t + 2 * JOB_BACKOFF_BASE, NULL), 0);
    assert_int_equal(claim(db, "w", t + 899, NULL), 0);
    assert_int_equal(claim(db, "w", t + 900, NULL), id);
    /* Attempt 3: a Retry-After sooner than the backoff is honoured as
     * said: the retry is due then, not after the doubled backoff. */
    t += 900;
    assert_int_equal(job_fail(db, id, "w", "HTTP 429", t + 3, false, t, &err), JOB_QUEUED);
    assert_int_equal(claim(db, "w", t + 2, NULL), 0);
    assert_int_equal(claim(db, "w", t + 3, NULL), id);
    /* Attempt 4 of 4: failed for good, with its error. */
    assert_int_equal(job_fail(db, id, "w", "HTTP 500", 0, false, t + 3, &err), JOB_FAILED);
    assert_int_equal(claim(db, "w", t + 100000, NULL), 0);
    json_t *l = job_list(db, "failed", 10, &err);
    json_t *row = json_array_get(json_object_get(l, "items"), 0);
    assert_string_equal(json_string_value(json_object_get(row, "last_error")), "HTTP 500");
    assert_int_equal(json_integer_value(json_object_get(row, "attempts")), 4);
    assert_int_equal(json_integer_value(json_object_get(row, "finished_at")), t + 3);
    json_decref(l);

    /* A permanent failure (a revoked token) does not wait to be tried again. */
    int64_t p = enqueue(db, "sync", NULL, 0, 5);
    assert_int_equal(claim(db, "w", T0, NULL), p);
    assert_int_equal(job_fail(db, p, "w", "token revoked", 0, true, T0, &err), JOB_FAILED);
    assert_int_equal(state_count(db, JOB_FAILED), 2);
    /* Failing a job one does not hold changes nothing. */
    assert_int_equal(job_fail(db, p, "w", "again", 0, false, T0, &err), -1);
    assert_int_equal(err.kind, ERR_CONFLICT);
    db_close(db);
}

static void test_fail_keeps_errors_storable(void **state)
{
    struct db *db = fresh();
    struct error err = {0};
    int64_t id = enqueue(db, "sync", NULL, 0, 1);
    assert_int_equal(claim(db, "w", T0, NULL), id);
    /* Invalid UTF-8 becomes '?', and a long message is cut at a character. */
    char msg[3 * JOB_ERROR_MAX];
    strcpy(msg, "bad \xff byte ");
    while (strlen(msg) + 2 < sizeof msg)
        strcat(msg, "\xc3\xa4"); /* ä */
    assert_int_equal(job_fail(db, id, "w", msg, 0, false, T0, &err), JOB_FAILED);
    json_t *l = job_list(db, NULL, 10, &err);
    const char *last = json_string_value(
        json_object_get(json_array_get(json_object_get(l, "items"), 0), "last_error"));
    assert_true(strncmp(last, "bad ? byte \xc3\xa4", 13) == 0);
    assert_true(strlen(last) <= JOB_ERROR_MAX && strlen(last) >= JOB_ERROR_MAX - 1);
    assert_true(utf8_valid(last, strlen(last)));
    json_decref(l);
    assert_null(job_list(db, "stuck", 10, &err));
    assert_int_equal(err.kind, ERR_INVALID);
    db_close(db);
}

/* The payload a worker's job names its row in reads back as written; a
 * payload without the member, or not JSON, names none. */
static void test_payload_names_one_row(void **state)
{
    (void)state;
    char payload[64];
    job_payload_put(payload, sizeof payload, "action", 9007199254740993LL);
    assert_string_equal(payload, "{\"action\": 9007199254740993}");
    struct job j = {.payload = payload};
    int64_t id = -1;
    assert_true(job_payload_id(&j, "action", &id));
    assert_int_equal(id, 9007199254740993LL);
    assert_false(job_payload_id(&j, "source", &id));
    assert_int_equal(id, 0);
    char *others[] = {NULL, "", "not json", "{\"action\": \"12\"}", "[12]"};
    for (size_t i = 0; i < sizeof others / sizeof *others; i++) {
        j.payload = others[i];
        id = -1;
        assert_false(job_payload_id(&j, "action", &id));
        assert_int_equal(id, 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_enqueue_by_key_is_idempotent),
        cmocka_unit_test(test_enqueue_rejects_bad_input),
        cmocka_unit_test(test_claim_takes_each_due_job_once),
        cmocka_unit_test(test_reclaim_takes_back_a_dead_workers_job),
        cmocka_unit_test(test_backoff_doubles_up_to_a_cap),
        cmocka_unit_test(test_fail_waits_then_stays_failed),
        cmocka_unit_test(test_fail_keeps_errors_storable),
        cmocka_unit_test(test_payload_names_one_row),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
