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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_files_private),
        cmocka_unit_test(test_do),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
