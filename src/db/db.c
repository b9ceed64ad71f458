/* db: the front of the two backends. It picks one by URL and keeps what
 * they share: the statement cache, typed binding of `?` parameters,
 * transactions, migrations and the pool. What differs between SQLite and
 * PostgreSQL sits behind each backend's table of methods (db/backend.h). */
#include "db/db.h"
#include "base/asset.h"
#include "db/backend.h"

#include <assert.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum db_backend db_backend(const struct db *db)
{
    return db->m->backend;
}

struct db *db_open(const char *url, struct error *err)
{
    if (!url || !*url) {
        error_set(err, ERR_INVALID, "no database given (use --db PATH or KANAL_DB)");
        return NULL;
    }
    if (str_starts_with(url, "postgres://") || str_starts_with(url, "postgresql://"))
        return db_pg_open(url, err);
    if (str_starts_with(url, "sqlite:"))
        url += strlen("sqlite:");
    return db_sqlite_open(url, err);
}

static void stmt_free(struct db_stmt *st)
{
    char *sql = st->sql;
    st->db->m->finalize(st);
    free(sql);
}

void db_close(struct db *db)
{
    if (!db)
        return;
    for (int i = 0; i < db->ncache; i++)
        stmt_free(db->cache[i]);
    db->m->close(db);
}

/* ---- statements ------------------------------------------------------------ */

int db_exec(struct db *db, const char *sql, struct error *err)
{
    return db->m->exec(db, sql, err);
}

struct db_stmt *db_prepare(struct db *db, const char *sql, struct error *err)
{
    assert(sql);
    for (int i = db->ncache - 1; i >= 0; i--) {
        struct db_stmt *st = db->cache[i];
        if (str_eq(st->sql, sql)) {
            db->cache[i] = db->cache[--db->ncache];
            assert(st->db == db && !st->row);
            return st;
        }
    }
    struct db_stmt *st = db->m->prepare(db, sql, err);
    if (!st)
        return NULL;
    st->db = db;
    st->sql = xstrdup(sql);
    return st;
}

/* Parameters are numbered from 1 up to the statement's count: one outside
 * that is a programming error that one backend ignores and the other
 * rejects. */
static void check_param(struct db_stmt *st, int i)
{
    assert(i >= 1 && i <= st->db->m->param_count(st));
}

void db_bind_int(struct db_stmt *st, int i, int64_t v)
{
    check_param(st, i);
    st->db->m->bind_int(st, i, v);
}

void db_bind_double(struct db_stmt *st, int i, double v)
{
    check_param(st, i);
    st->db->m->bind_double(st, i, v);
}

void db_bind_text(struct db_stmt *st, int i, const char *s)
{
    check_param(st, i);
    st->db->m->bind_text(st, i, s);
}

void db_bind_text_ref(struct db_stmt *st, int i, const char *s)
{
    assert(s);
    check_param(st, i);
    if (st->db->m->bind_text_ref)
        st->db->m->bind_text_ref(st, i, s);
    else
        st->db->m->bind_text(st, i, s);
}

void db_bind_blob(struct db_stmt *st, int i, const void *p, size_t n)
{
    check_param(st, i);
    st->db->m->bind_blob(st, i, p, n);
}

void db_bind_null(struct db_stmt *st, int i)
{
    db_bind_text(st, i, NULL);
}

int db_step(struct db_stmt *st, struct error *err)
{
    int rc = st->db->m->step(st, err);
    assert(rc >= -1 && rc <= 1);
    st->row = rc == 1;
    return rc;
}

/* Columns are read only from a row the last step gave. */
static void check_col(struct db_stmt *st, int i)
{
    assert(st->row && i >= 0 && i < st->db->m->col_count(st));
}

bool db_col_null(struct db_stmt *st, int i)
{
    check_col(st, i);
    return st->db->m->col_null(st, i);
}

int64_t db_col_int(struct db_stmt *st, int i)
{
    check_col(st, i);
    return st->db->m->col_int(st, i);
}

double db_col_double(struct db_stmt *st, int i)
{
    check_col(st, i);
    return st->db->m->col_double(st, i);
}

const void *db_col_blob(struct db_stmt *st, int i, size_t *n)
{
    check_col(st, i);
    return st->db->m->col_blob(st, i, n);
}

const char *db_col_text(struct db_stmt *st, int i)
{
    check_col(st, i);
    return st->db->m->col_text(st, i);
}

char *db_col_dup(struct db_stmt *st, int i)
{
    return db_col_null(st, i) ? NULL : xstrdup(db_col_text(st, i));
}

int db_col_count(struct db_stmt *st)
{
    return st->db->m->col_count(st);
}

const char *db_col_name(struct db_stmt *st, int i)
{
    return st->db->m->col_name(st, i);
}

void db_reset(struct db_stmt *st)
{
    st->db->m->reset(st);
    st->row = false;
}

void db_finalize(struct db_stmt *st)
{
    if (!st)
        return;
    struct db *db = st->db;
    db_reset(st);
    /* Full: the oldest goes, so a burst of one-off SQL does not pin it. */
    if (db->ncache == DB_STMT_CACHE) {
        stmt_free(db->cache[0]);
        memmove(db->cache, db->cache + 1, (DB_STMT_CACHE - 1) * sizeof *db->cache);
        db->ncache--;
    }
    assert(db->ncache < DB_STMT_CACHE);
    db->cache[db->ncache++] = st;
}

int64_t db_stmt_changes(struct db_stmt *st)
{
    return st->changes;
}

bool db_has_row(struct db_stmt *st)
{
    return st->row;
}

static void bind_va(struct db_stmt *st, const char *types, va_list ap)
{
    for (int i = 0; types[i]; i++) {
        char t = types[i];
        const int64_t *pi;
        const double *pd;
        if (t == 'i')
            db_bind_int(st, i + 1, va_arg(ap, int64_t));
        else if (t == 'd')
            db_bind_double(st, i + 1, va_arg(ap, double));
        else if (t == 't')
            db_bind_text(st, i + 1, va_arg(ap, const char *));
        else if (t == 'I' && (pi = va_arg(ap, const int64_t *)))
            db_bind_int(st, i + 1, *pi);
        else if (t == 'D' && (pd = va_arg(ap, const double *)))
            db_bind_double(st, i + 1, *pd);
        else if (t == 'I' || t == 'D')
            db_bind_null(st, i + 1); /* the pointer was NULL */
        else
            abort(); /* a programming error, not an input error */
    }
}

static struct db_stmt *query_va(struct db *db, struct error *err, const char *sql,
                                const char *types, va_list ap)
{
    struct db_stmt *st = db_prepare(db, sql, err);
    if (!st)
        return NULL;
    int want = db->m->param_count(st);
    if (want != (int)strlen(types)) {
        /* A programming error that would read garbage from the va_list. */
        fprintf(stderr, "kanal: bug: %d placeholders but types \"%s\" in: %s\n", want, types, sql);
        abort();
    }
    bind_va(st, types, ap);
    if (db_step(st, err) < 0) {
        db_finalize(st);
        return NULL;
    }
    return st;
}

struct db_stmt *db_query(struct db *db, struct error *err, const char *sql, const char *types, ...)
{
    va_list ap;
    va_start(ap, types);
    struct db_stmt *st = query_va(db, err, sql, types, ap);
    va_end(ap);
    return st;
}

int db_row_va(struct db *db, struct error *err, struct db_stmt **st, const char *sql,
              const char *types, va_list ap)
{
    *st = query_va(db, err, sql, types, ap);
    if (!*st)
        return -1;
    if (db_has_row(*st))
        return 1;
    db_finalize(*st);
    *st = NULL;
    return 0;
}

int db_row(struct db *db, struct error *err, struct db_stmt **st, const char *sql,
           const char *types, ...)
{
    va_list ap;
    va_start(ap, types);
    int found = db_row_va(db, err, st, sql, types, ap);
    va_end(ap);
    return found;
}

/* The rest of db_run: drains RETURNING rows so the statement completes
 * (stepping one that is already done would make SQLite run it again). */
static int64_t run_finish(struct db_stmt *st, struct error *err)
{
    if (!st)
        return -1;
    int rc = 0;
    if (db_has_row(st))
        while ((rc = db_step(st, err)) == 1)
            ;
    int64_t changes = db_stmt_changes(st);
    db_finalize(st);
    return rc < 0 ? -1 : changes;
}

int64_t db_run(struct db *db, struct error *err, const char *sql, const char *types, ...)
{
    va_list ap;
    va_start(ap, types);
    struct db_stmt *st = query_va(db, err, sql, types, ap);
    va_end(ap);
    return run_finish(st, err);
}

int db_do(struct db *db, struct error *err, const char *sql, const char *types, ...)
{
    va_list ap;
    va_start(ap, types);
    struct db_stmt *st = query_va(db, err, sql, types, ap);
    va_end(ap);
    return run_finish(st, err) < 0 ? -1 : 0;
}

static int scalar_finish(struct db_stmt *st, struct error *err, int64_t *out)
{
    if (!st)
        return -1;
    int found = db_has_row(st);
    if (found && out)
        *out = db_col_int(st, 0);
    /* Finish the statement: an INSERT ... RETURNING is complete only then. */
    while (found && db_step(st, err) == 1)
        ;
    db_finalize(st);
    return found;
}

int db_scalar(struct db *db, struct error *err, int64_t *out, const char *sql, const char *types,
              ...)
{
    va_list ap;
    va_start(ap, types);
    struct db_stmt *st = query_va(db, err, sql, types, ap);
    va_end(ap);
    return scalar_finish(st, err, out);
}

int64_t *db_ids(struct db *db, struct error *err, size_t *n, const char *sql, const char *types,
                ...)
{
    *n = 0;
    va_list ap;
    va_start(ap, types);
    struct db_stmt *st = query_va(db, err, sql, types, ap);
    va_end(ap);
    if (!st)
        return NULL;
    size_t cap = 64;
    int64_t *ids = xmalloc(sizeof *ids * cap);
    int rc;
    for (rc = db_has_row(st); rc == 1; rc = db_step(st, err)) {
        if (*n == cap)
            ids = xrealloc(ids, sizeof *ids * (cap *= 2));
        ids[(*n)++] = db_col_int(st, 0);
    }
    db_finalize(st);
    if (rc < 0) {
        free(ids);
        return NULL;
    }
    return ids;
}

static int insert_finish(struct db_stmt *st, struct error *err, int64_t *id)
{
    if (!st)
        return -1;
    int rc = 0;
    if (st->db->m->inserted_id(st, id))
        rc = error_set(err, ERR_INTERNAL, "database: the INSERT gave no id");
    db_finalize(st);
    return rc;
}

int db_insert(struct db *db, struct error *err, int64_t *id, const char *sql, const char *types,
              ...)
{
    char full[2048];
    const char *ret = db->m->insert_returning;
    int n = *ret ? snprintf(full, sizeof full, "%s%s", sql, ret) : 0;
    if (n < 0 || (size_t)n >= sizeof full) {
        fprintf(stderr, "kanal: bug: INSERT too long for db_insert: %s\n", sql);
        abort();
    }
    va_list ap;
    va_start(ap, types);
    struct db_stmt *st = query_va(db, err, *ret ? full : sql, types, ap);
    va_end(ap);
    return insert_finish(st, err, id);
}

/* ---- transactions ----------------------------------------------------------- */

int db_begin(struct db *db, struct error *err)
{
    return db_exec(db, db->m->begin_sql, err);
}

const char *db_skip_locked(const struct db *db)
{
    return db->m->skip_locked;
}

int db_commit(struct db *db, struct error *err)
{
    return db_exec(db, "COMMIT", err);
}

int db_end(struct db *db, int failed, struct error *err)
{
    if (!failed && !db_commit(db, err))
        return 0;
    db_rollback(db);
    return -1;
}

void db_rollback(struct db *db)
{
    db_exec(db, "ROLLBACK", NULL);
}

/* ---- migrations --------------------------------------------------------------- */

static int ensure_migrations_table(struct db *db, struct error *err)
{
    return db_exec(db,
                   "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER NOT NULL "
                   "PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)",
                   err);
}

int db_schema_version(struct db *db, struct error *err)
{
    if (ensure_migrations_table(db, err))
        return -1;
    int64_t v = 0;
    if (db_scalar(db, err, &v, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations", "") < 0)
        return -1;
    return (int)v;
}

/* A migration as one backend runs it. Migrations are written once, for
 * both stores; the rare step SQL cannot say the same way in both (dropping
 * a CHECK constraint: PostgreSQL alters it, SQLite rebuilds the table) is
 * written on lines that begin "-- sqlite: " or "-- postgres: ". On its own
 * backend such a line loses that prefix; on the other it stays a comment.
 * Caller frees. */
char *db_migration_for(const char *sql, enum db_backend backend)
{
    const char *mine = backend == DB_SQLITE ? "-- sqlite: " : "-- postgres: ";
    size_t n = strlen(mine);
    struct buf b = {0};
    for (const char *p = sql; *p;) {
        if (strncmp(p, mine, n) == 0)
            p += n;
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) + 1 : strlen(p);
        buf_append(&b, p, len);
        p += len;
    }
    return buf_steal(&b);
}

int db_migrate(struct db *db, struct error *err)
{
    int applied = 0;
    const struct db_methods *methods = db->m;
    if (methods->migrate_lock && db_exec(db, methods->migrate_lock, err))
        return -1;
    int current = db_schema_version(db, err);
    if (current < 0)
        goto fail;
    for (const struct asset *m = db_migrations; m->name; m++) {
        int version = atoi(m->name);
        if (version <= 0) {
            error_set(err, ERR_INTERNAL, "migration '%s' has no number", m->name);
            goto fail;
        }
        if (version <= current)
            continue;
        if (db_begin(db, err))
            goto fail;
        /* Re-read inside the lock: another process may have just done it. */
        int64_t done = 0;
        if (db_scalar(db, err, &done, "SELECT COUNT(*) FROM schema_migrations WHERE version = ?",
                      "i", (int64_t)version) < 0) {
            db_rollback(db);
            goto fail;
        }
        if (done) {
            db_rollback(db);
            continue;
        }
        char *mine = db_migration_for((const char *)m->data, methods->backend);
        char *sql = methods->migration_sql(mine);
        free(mine);
        int rc = db_exec(db, sql, err);
        free(sql);
        if (rc == 0)
            rc =
                db_run(db, err,
                       "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                       "iti", (int64_t)version, m->name, time_now()) < 0;
        if (rc == 0)
            rc = db_commit(db, err);
        if (rc) {
            char why[sizeof err->msg];
            snprintf(why, sizeof why, "%s", err ? err->msg : "");
            db_rollback(db);
            error_set(err, ERR_INTERNAL, "migration %s failed: %s", m->name, why);
            goto fail;
        }
        log_info("applied migration %s", m->name);
        applied++;
    }
    if (methods->after_migrations && methods->after_migrations(db, err) < 0)
        goto fail;
    if (methods->migrate_unlock)
        db_exec(db, methods->migrate_unlock, NULL);
    return applied;
fail:
    if (methods->migrate_unlock)
        db_exec(db, methods->migrate_unlock, NULL);
    return -1;
}

/* ---- pool ----------------------------------------------------------------------- */

struct db_pool {
    pthread_mutex_t lock;
    pthread_cond_t freed;
    int size, nfree;
    struct db **all, **free_list;
};

struct db_pool *db_pool_open(const char *url, int size, struct error *err)
{
    assert(size > 0);
    struct db_pool *pool = xcalloc(1, sizeof *pool);
    pthread_mutex_init(&pool->lock, NULL);
    pthread_cond_init(&pool->freed, NULL);
    pool->all = xcalloc((size_t)size, sizeof *pool->all);
    pool->free_list = xcalloc((size_t)size, sizeof *pool->free_list);
    for (int i = 0; i < size; i++) {
        struct db *db = db_open(url, err);
        if (!db) {
            db_pool_close(pool);
            return NULL;
        }
        pool->all[pool->size++] = db;
        pool->free_list[pool->nfree++] = db;
    }
    return pool;
}

struct db *db_pool_get(struct db_pool *pool)
{
    pthread_mutex_lock(&pool->lock);
    while (pool->nfree == 0)
        pthread_cond_wait(&pool->freed, &pool->lock);
    struct db *db = pool->free_list[--pool->nfree];
    pthread_mutex_unlock(&pool->lock);
    return db;
}

/* Whether db is one of the pool's and not already back: a connection put
 * twice would be handed to two threads at once. */
static bool pool_lent(const struct db_pool *pool, const struct db *db)
{
    bool ours = false;
    for (int i = 0; i < pool->size; i++)
        ours = ours || pool->all[i] == db;
    for (int i = 0; i < pool->nfree; i++)
        ours = ours && pool->free_list[i] != db;
    return ours;
}

void db_pool_put(struct db_pool *pool, struct db *db)
{
    pthread_mutex_lock(&pool->lock);
    assert(pool->nfree < pool->size && pool_lent(pool, db));
    pool->free_list[pool->nfree++] = db;
    pthread_cond_signal(&pool->freed);
    pthread_mutex_unlock(&pool->lock);
}

void db_pool_close(struct db_pool *pool)
{
    if (!pool)
        return;
    for (int i = 0; i < pool->size; i++)
        db_close(pool->all[i]);
    free(pool->all);
    free(pool->free_list);
    pthread_mutex_destroy(&pool->lock);
    pthread_cond_destroy(&pool->freed);
    free(pool);
}
