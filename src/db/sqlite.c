/* sqlite: the SQLite backend behind db.h's statement API, and the rewriting
 * of the migrations' CHECK constraints that makes SQLite's writes cheap.
 * SQLite is called directly; its statements are what the front caches. */
#include "db/backend.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct lite {
    struct db db; /* first: a struct db * is a struct lite * */
    sqlite3 *handle;
};

struct lite_stmt {
    struct db_stmt st; /* first, as above */
    sqlite3_stmt *handle;
};

static const struct db_methods lite_methods;

static sqlite3 *lite_of(struct db *db)
{
    assert(db->m == &lite_methods);
    return ((struct lite *)db)->handle;
}

static sqlite3_stmt *stmt_of(struct db_stmt *st)
{
    assert(st->db->m == &lite_methods);
    return ((struct lite_stmt *)st)->handle;
}

static int lite_error(sqlite3 *lite, int rc, struct error *err, const char *what)
{
    int ext = lite ? sqlite3_extended_errcode(lite) : rc;
    const char *msg = lite ? sqlite3_errmsg(lite) : sqlite3_errstr(rc);
    enum error_kind kind = ERR_INTERNAL;
    switch (ext) {
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY:
        kind = ERR_CONFLICT;
        break;
    case SQLITE_CONSTRAINT_FOREIGNKEY:
    case SQLITE_CONSTRAINT_CHECK:
    case SQLITE_CONSTRAINT_NOTNULL:
        kind = ERR_INVALID;
        break;
    case SQLITE_FULL:
        kind = ERR_LIMIT;
        break;
    default:
        break;
    }
    return error_set(err, kind, "%s: %s", what, msg);
}

/* ---- statements ------------------------------------------------------------ */

static int lite_exec(struct db *db, const char *sql, struct error *err)
{
    char *msg = NULL;
    int rc = sqlite3_exec(lite_of(db), sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
        error_set(err, rc == SQLITE_FULL ? ERR_LIMIT : ERR_INTERNAL, "database: %s",
                  msg ? msg : sqlite3_errstr(rc));
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

static struct db_stmt *lite_prepare(struct db *db, const char *sql, struct error *err)
{
    sqlite3_stmt *handle = NULL;
    int rc = sqlite3_prepare_v2(lite_of(db), sql, -1, &handle, NULL);
    if (rc != SQLITE_OK) {
        lite_error(lite_of(db), rc, err, "database");
        return NULL;
    }
    struct lite_stmt *ls = xcalloc(1, sizeof *ls);
    ls->handle = handle;
    return &ls->st;
}

static int lite_param_count(struct db_stmt *st)
{
    return sqlite3_bind_parameter_count(stmt_of(st));
}

static void lite_bind_int(struct db_stmt *st, int i, int64_t v)
{
    sqlite3_bind_int64(stmt_of(st), i, v);
}

static void lite_bind_double(struct db_stmt *st, int i, double v)
{
    sqlite3_bind_double(stmt_of(st), i, v);
}

static void lite_bind_text(struct db_stmt *st, int i, const char *s)
{
    if (s)
        sqlite3_bind_text(stmt_of(st), i, s, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(stmt_of(st), i);
}

static void lite_bind_text_ref(struct db_stmt *st, int i, const char *s)
{
    sqlite3_bind_text(stmt_of(st), i, s, -1, SQLITE_STATIC);
}

static void lite_bind_blob(struct db_stmt *st, int i, const void *p, size_t n)
{
    sqlite3_bind_blob64(stmt_of(st), i, n ? p : "", n, SQLITE_TRANSIENT);
}

static int lite_step(struct db_stmt *st, struct error *err)
{
    int rc = sqlite3_step(stmt_of(st));
    if (rc == SQLITE_ROW)
        return 1;
    if (rc == SQLITE_DONE) {
        st->changes = sqlite3_changes64(lite_of(st->db));
        return 0;
    }
    return lite_error(lite_of(st->db), rc, err, "database");
}

static bool lite_col_null(struct db_stmt *st, int i)
{
    return sqlite3_column_type(stmt_of(st), i) == SQLITE_NULL;
}

static int64_t lite_col_int(struct db_stmt *st, int i)
{
    return sqlite3_column_int64(stmt_of(st), i);
}

static double lite_col_double(struct db_stmt *st, int i)
{
    return sqlite3_column_double(stmt_of(st), i);
}

static const char *lite_col_text(struct db_stmt *st, int i)
{
    const unsigned char *s = sqlite3_column_text(stmt_of(st), i);
    return s ? (const char *)s : "";
}

static const void *lite_col_blob(struct db_stmt *st, int i, size_t *n)
{
    const void *p = sqlite3_column_blob(stmt_of(st), i);
    *n = p ? (size_t)sqlite3_column_bytes(stmt_of(st), i) : 0;
    return p;
}

static int lite_col_count(struct db_stmt *st)
{
    return sqlite3_column_count(stmt_of(st));
}

static const char *lite_col_name(struct db_stmt *st, int i)
{
    return sqlite3_column_name(stmt_of(st), i);
}

static void lite_reset(struct db_stmt *st)
{
    sqlite3_reset(stmt_of(st));
    sqlite3_clear_bindings(stmt_of(st));
}

static void lite_finalize(struct db_stmt *st)
{
    sqlite3_finalize(stmt_of(st));
    free(st);
}

/* Its RETURNING costs several times the insert itself; the rowid is free. */
static int lite_inserted_id(struct db_stmt *st, int64_t *id)
{
    *id = sqlite3_last_insert_rowid(lite_of(st->db));
    return 0;
}

/* ---- opening ------------------------------------------------------------ */

/* Before SQLite's first use: no counting of its memory. The count takes a
 * process-wide mutex around every allocation, which kanal never reads and
 * which a second thread (an import's reader, the server's) makes a real
 * lock. */
static pthread_once_t lite_once = PTHREAD_ONCE_INIT;

static void lite_configure(void)
{
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

static void lite_close(struct db *db)
{
    sqlite3_close_v2(lite_of(db));
    free(db);
}

/* A new database file is made here, readable by its owner only: SQLite
 * would make it 0644, and its WAL and shared-memory files copy the mode of
 * the database, so all three would be readable by every local user. An
 * existing file keeps the mode its owner gave it. */
static int create_private(const char *path, struct error *err)
{
    if (!*path || str_eq(path, ":memory:"))
        return 0;
    int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0 && errno != EEXIST)
        return error_set(err, ERR_INTERNAL, "cannot open database '%s': %s", path, strerror(errno));
    if (fd >= 0)
        close(fd);
    return 0;
}

/* Waiting for another connection's write lock. SQLite's busy_timeout sleeps
 * 1, 2, 5, 10, ... 100 ms between tries, so a writer queued behind a
 * transaction of a millisecond slept ten: with the scheduler and two
 * connect threads writing, those sleeps were most of a post's time
 * (bench/publish, strace). Tries again after 0.1 ms, growing by 0.1 ms to
 * 2 ms, and gives up (SQLITE_BUSY) after about 10 s, as busy_timeout did. */
#define BUSY_STEPS      20
#define BUSY_MAX_US     2000
#define BUSY_GIVE_UP_US 10000000LL
static int lite_busy(void *ctx, int tries)
{
    (void)ctx;
    int64_t waited = tries <= BUSY_STEPS ? (int64_t)tries * (tries + 1) / 2 * 100
                                         : (int64_t)BUSY_STEPS * (BUSY_STEPS + 1) / 2 * 100 +
                                               (int64_t)(tries - BUSY_STEPS) * BUSY_MAX_US;
    if (waited >= BUSY_GIVE_UP_US)
        return 0;
    long us = tries < BUSY_STEPS ? 100L * (tries + 1) : BUSY_MAX_US;
    struct timespec ts = {.tv_sec = 0, .tv_nsec = us * 1000};
    nanosleep(&ts, NULL);
    return 1;
}

struct db *db_sqlite_open(const char *path, struct error *err)
{
    pthread_once(&lite_once, lite_configure);
    if (create_private(path, err))
        return NULL;
    sqlite3 *handle = NULL;
    int rc = sqlite3_open_v2(
        path, &handle, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        error_set(err, ERR_INTERNAL, "cannot open database '%s': %s", path,
                  handle ? sqlite3_errmsg(handle) : sqlite3_errstr(rc));
        sqlite3_close(handle);
        return NULL;
    }
    sqlite3_busy_handler(handle, lite_busy, NULL);
    struct lite *lite = xcalloc(1, sizeof *lite);
    lite->db.m = &lite_methods;
    lite->handle = handle;
    /* WAL lets readers (the dashboard) run beside one writer (an import);
     * synchronous=NORMAL is durable across application crashes in WAL.
     * Reads go through a memory map of up to 1 GiB of the file: a report
     * touches thousands of scattered pages, and a pread(2) per page was a
     * third of a campaign comparison's time. */
    if (db_exec(&lite->db,
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
                "PRAGMA temp_store=MEMORY; PRAGMA mmap_size=1073741824;",
                err)) {
        db_close(&lite->db);
        return NULL;
    }
    return &lite->db;
}

/* ---- SQLite's CHECK constraints ----------------------------------------------------
 * SQLite evaluates `CHECK (col IN ('a', 'b', ...))` by building an ephemeral
 * index of the list on every row it writes: about 37,000 instructions per
 * constraint per INSERT (callgrind), more than the insert itself. The same
 * constraint as `col = 'a' OR col = 'b' OR ...` is a few comparisons. So
 * on SQLite the migrations' IN lists are written as OR chains, and tables
 * made before that are rewritten in place (see lite_fast_checks). */

static bool ident_char(char c)
{
    return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static const char *skip_space(const char *p)
{
    while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r')
        p++;
    return p;
}

/* At p (just after "CHECK ("): `NAME IN ('x', ...))`. Appends the OR chain
 * and its closing ")" to b and returns the end of the pattern, or NULL
 * (nothing appended) when p holds anything else. */
static const char *check_in_list(const char *p, struct buf *b)
{
    const char *name = p;
    while (ident_char(*p))
        p++;
    size_t nlen = (size_t)(p - name);
    const char *q = skip_space(p);
    if (!nlen || q == p || strncmp(q, "IN", 2) != 0)
        return NULL;
    q = skip_space(q + 2);
    if (*q != '(')
        return NULL;
    q++;
    struct buf out = {0};
    for (int n = 0;; n++) {
        q = skip_space(q);
        if (*q != '\'')
            goto no;
        const char *lit = q++;
        while (*q && !(*q == '\'' && q[1] != '\''))
            q += *q == '\'' ? 2 : 1;
        if (*q != '\'')
            goto no;
        q++;
        buf_printf(&out, "%s%.*s = %.*s", n ? " OR " : "", (int)nlen, name, (int)(q - lit), lit);
        q = skip_space(q);
        if (*q == ',') {
            q++;
            continue;
        }
        if (*q != ')')
            goto no;
        q = skip_space(q + 1);
        if (*q != ')')
            goto no;
        buf_append(b, out.data, out.len);
        buf_putc(b, ')');
        buf_free(&out);
        return q + 1;
    }
no:
    buf_free(&out);
    return NULL;
}

/* sql with every `CHECK (NAME IN ('x', ...))` as an OR chain. */
char *db_sqlite_checks(const char *sql)
{
    struct buf b = {0};
    const char *p = sql;
    while (*p) {
        const char *end;
        if (strncmp(p, "CHECK (", 7) == 0 && (p == sql || !ident_char(p[-1]))) {
            buf_puts(&b, "CHECK (");
            if ((end = check_in_list(p + 7, &b))) {
                p = end;
                continue;
            }
            p += 7;
            continue;
        }
        buf_putc(&b, *p++);
    }
    return buf_steal(&b);
}

/* Rewrites the CHECK constraints of tables made with IN lists, as SQLite's
 * documentation allows for changes that leave the stored rows as they are
 * ("Making Other Kinds Of Table Schema Changes"): the same constraint,
 * another spelling. Returns how many tables changed, or -1. */
static int lite_fast_checks(struct db *db, struct error *err)
{
    struct db_stmt *st = db_query(db, err,
                                  "SELECT name, sql FROM sqlite_schema WHERE type = 'table' "
                                  "AND sql LIKE '%CHECK (% IN (%'",
                                  "");
    if (!st)
        return -1;
    char **names = NULL, **sqls = NULL;
    size_t n = 0;
    int rc = db_has_row(st);
    for (; rc == 1; rc = db_step(st, err)) {
        char *now = db_sqlite_checks(db_col_text(st, 1));
        if (str_eq(now, db_col_text(st, 1))) {
            free(now);
            continue;
        }
        names = xrealloc(names, (n + 1) * sizeof *names);
        sqls = xrealloc(sqls, (n + 1) * sizeof *sqls);
        names[n] = xstrdup(db_col_text(st, 0));
        sqls[n++] = now;
    }
    db_finalize(st);
    int64_t version = 0;
    if (rc == 0 && n) {
        rc = db_begin(db, err) || db_scalar(db, err, &version, "PRAGMA schema_version", "") < 0 ||
                     db_exec(db, "PRAGMA writable_schema = ON", err)
                 ? -1
                 : 0;
        for (size_t i = 0; i < n && rc == 0; i++)
            rc =
                db_do(db, err, "UPDATE sqlite_schema SET sql = ? WHERE type = 'table' AND name = ?",
                      "tt", sqls[i], names[i]);
        char bump[64];
        snprintf(bump, sizeof bump, "PRAGMA schema_version = %lld", (long long)version + 1);
        if (rc == 0)
            rc = db_exec(db, bump, err);
        db_exec(db, "PRAGMA writable_schema = OFF", NULL);
        rc = rc == 0 ? db_commit(db, err) : rc;
        if (rc)
            db_rollback(db);
        else
            log_info("CHECK constraints of %zu table%s written as OR chains", n, n == 1 ? "" : "s");
    }
    for (size_t i = 0; i < n; i++) {
        free(names[i]);
        free(sqls[i]);
    }
    free(names);
    free(sqls);
    return rc < 0 ? -1 : (int)n;
}

static const struct db_methods lite_methods = {
    .backend = DB_SQLITE,
    .exec = lite_exec,
    .prepare = lite_prepare,
    .param_count = lite_param_count,
    .bind_int = lite_bind_int,
    .bind_double = lite_bind_double,
    .bind_text = lite_bind_text,
    .bind_text_ref = lite_bind_text_ref,
    .bind_blob = lite_bind_blob,
    .step = lite_step,
    .col_null = lite_col_null,
    .col_int = lite_col_int,
    .col_double = lite_col_double,
    .col_text = lite_col_text,
    .col_blob = lite_col_blob,
    .col_count = lite_col_count,
    .col_name = lite_col_name,
    .reset = lite_reset,
    .finalize = lite_finalize,
    .close = lite_close,
    /* IMMEDIATE takes the write lock up front, so two writers queue on
     * busy_timeout instead of one failing halfway through. */
    .begin_sql = "BEGIN IMMEDIATE",
    .skip_locked = "",
    .insert_returning = "",
    .inserted_id = lite_inserted_id,
    .migration_sql = db_sqlite_checks,
    .after_migrations = lite_fast_checks,
};
