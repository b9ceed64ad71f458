/* Unit tests for db/ that need no server: what SQLite leaves on disk. The
 * statement API itself is exercised through every model test, on both
 * backends by the e2e suite. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "db/db.h"

static unsigned mode_of(const char *path)
{
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    return sb.st_mode & 0777;
}

/* The database holds password hashes and session tokens: no other local
 * user may read it, nor its WAL and shared-memory files, which hold the
 * same pages. The umask is the usual 022, under which SQLite alone makes
 * all three 0644. */
static void test_files_private(void **state)
{
    char dir[] = "/tmp/kanal-test-db-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[64], wal[70], shm[70];
    snprintf(path, sizeof path, "%s/k.db", dir);
    snprintf(wal, sizeof wal, "%s-wal", path);
    snprintf(shm, sizeof shm, "%s-shm", path);
    mode_t old = umask(022);
    struct error err = {0};
    struct db *db = db_open(path, &err);
    assert_non_null(db);
    assert_int_equal(db_exec(db, "CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1)", &err), 0);
    /* Open, the connection keeps its WAL and shared memory in place. */
    assert_int_equal(mode_of(path), 0600);
    assert_int_equal(mode_of(wal), 0600);
    assert_int_equal(mode_of(shm), 0600);
    db_close(db);

    /* A file its owner made readable stays as they made it. */
    assert_int_equal(chmod(path, 0640), 0);
    db = db_open(path, &err);
    assert_non_null(db);
    assert_int_equal(mode_of(path), 0640);
    db_close(db);
    umask(old);
    unlink(wal);
    unlink(shm);
    unlink(path);
    rmdir(dir);
}

/* db_do says only whether the statement ran: 0 whether or not it changed
 * a row (db_run counts them), -1 with err when it failed. */
static void test_do(void **state)
{
    struct error err = {0};
    struct db *db = db_open(":memory:", &err);
    assert_non_null(db);
    assert_int_equal(db_exec(db, "CREATE TABLE t (x INTEGER UNIQUE)", &err), 0);
    assert_int_equal(
        db_do(db, &err, "INSERT INTO t (x) VALUES (?), (?)", "ii", (int64_t)1, (int64_t)2), 0);
    assert_int_equal(db_do(db, &err, "UPDATE t SET x = x WHERE x > ?", "i", (int64_t)9), 0);
    assert_int_equal(db_run(db, &err, "UPDATE t SET x = x WHERE x > ?", "i", (int64_t)0), 2);
    assert_int_equal(db_do(db, &err, "INSERT INTO t (x) VALUES (?)", "i", (int64_t)1), -1);
    assert_int_equal(err.kind, ERR_CONFLICT);
    db_close(db);
}

/* A string bound by reference is read in place while the statement runs,
 * and a statement from the connection's cache starts with no bindings left
 * from its last use (they would point at memory that is gone by then). */
static void test_bind_text_ref(void **state)
{
    struct error err = {0};
    struct db *db = db_open(":memory:", &err);
    assert_non_null(db);
    assert_int_equal(db_exec(db, "CREATE TABLE t (k INTEGER, s TEXT)", &err), 0);
    const char *sql = "INSERT INTO t (k, s) VALUES (?, ?)";
    char text[16];
    for (int k = 1; k <= 2; k++) {
        snprintf(text, sizeof text, "row %d", k);
        struct db_stmt *st = db_prepare(db, sql, &err);
        assert_non_null(st);
        db_bind_int(st, 1, k);
        db_bind_text_ref(st, 2, text);
        assert_int_equal(db_step(st, &err), 0);
        db_finalize(st);
        memset(text, 'x', sizeof text - 1); /* after the step: the row keeps its own copy */
    }
    struct db_stmt *st = db_prepare(db, sql, &err);
    assert_non_null(st);
    db_bind_int(st, 1, 3); /* the second parameter left unbound: NULL, not a stale pointer */
    assert_int_equal(db_step(st, &err), 0);
    db_finalize(st);
    st = db_prepare(db, "SELECT k, s IS NULL, coalesce(s, '') FROM t ORDER BY k", &err);
    assert_non_null(st);
    const char *want[] = {"row 1", "row 2", ""};
    for (int k = 1; k <= 3; k++) {
        assert_int_equal(db_step(st, &err), 1);
        assert_int_equal(db_col_int(st, 0), k);
        assert_int_equal(db_col_int(st, 1), k == 3);
        assert_string_equal(db_col_text(st, 2), want[k - 1]);
    }
    assert_int_equal(db_step(st, &err), 0);
    db_finalize(st);
    db_close(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_files_private),
        cmocka_unit_test(test_do),
        cmocka_unit_test(test_bind_text_ref),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
