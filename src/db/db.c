/* db: the two backends behind one statement API. SQLite is used directly;
 * for PostgreSQL, `?` placeholders are rewritten to $n, values are sent as
 * text parameters and the whole result is fetched on the first step. */
#include "db/db.h"
#include "base/asset.h"

#include <libpq-fe.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Prepared SQLite statements kept for reuse: imports run the same few
 * statements for every row, and parsing the SQL again each time was most of
 * their cost. Keyed by the SQL text; a statement in use is not in here. */
#define STMT_CACHE 32

struct db {
    enum db_backend backend;
    sqlite3 *lite;
    PGconn *pg;
    sqlite3_stmt *cache[STMT_CACHE];
    int ncache;
};

struct db_stmt {
    struct db *db;
    sqlite3_stmt *lite;
    int lite_rc; /* last sqlite3_step result */
    /* PostgreSQL */
    char *sql;
    int nparams;
    char **params;
    PGresult *res;
    int row, nrows;
    bool executed;
    int64_t changes;
};

enum db_backend db_backend(const struct db *db)
{
    return db->backend;
}

/* ---- opening ------------------------------------------------------------ */

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

/* Before SQLite's first use: no counting of its memory. The count takes a
 * process-wide mutex around every allocation, which kanal never reads and
 * which a second thread (an import's reader, the server's) makes a real
 * lock. */
static pthread_once_t lite_once = PTHREAD_ONCE_INIT;

static void lite_configure(void)
{
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

static struct db *open_sqlite(const char *path, struct error *err)
{
    pthread_once(&lite_once, lite_configure);
    sqlite3 *lite = NULL;
    int rc = sqlite3_open_v2(
        path, &lite, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        error_set(err, ERR_INTERNAL, "cannot open database '%s': %s", path,
                  lite ? sqlite3_errmsg(lite) : sqlite3_errstr(rc));
        sqlite3_close(lite);
        return NULL;
    }
    sqlite3_busy_timeout(lite, 10000);
    struct db *db = xcalloc(1, sizeof *db);
    db->backend = DB_SQLITE;
    db->lite = lite;
    /* WAL lets readers (the dashboard) run beside one writer (an import);
     * synchronous=NORMAL is durable across application crashes in WAL.
     * Reads go through a memory map of up to 1 GiB of the file: a report
     * touches thousands of scattered pages, and a pread(2) per page was a
     * third of a campaign comparison's time. */
    if (db_exec(db,
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
                "PRAGMA temp_store=MEMORY; PRAGMA mmap_size=1073741824;",
                err)) {
        db_close(db);
        return NULL;
    }
    return db;
}

static struct db *open_pg(const char *url, struct error *err)
{
    PGconn *pg = PQconnectdb(url);
    if (PQstatus(pg) != CONNECTION_OK) {
        char *msg = PQerrorMessage(pg);
        size_t n = strlen(msg);
        while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
            msg[--n] = '\0';
        error_set(err, ERR_INTERNAL, "cannot connect to PostgreSQL: %s", msg);
        PQfinish(pg);
        return NULL;
    }
    struct db *db = xcalloc(1, sizeof *db);
    db->backend = DB_POSTGRES;
    db->pg = pg;
    if (db_exec(db, "SET client_min_messages = warning; SET TIME ZONE 'UTC'", err)) {
        db_close(db);
        return NULL;
    }
    return db;
}

struct db *db_open(const char *url, struct error *err)
{
    if (!url || !*url) {
        error_set(err, ERR_INVALID, "no database given (use --db PATH or KANAL_DB)");
        return NULL;
    }
    if (str_starts_with(url, "postgres://") || str_starts_with(url, "postgresql://"))
        return open_pg(url, err);
    if (str_starts_with(url, "sqlite:"))
        url += strlen("sqlite:");
    return open_sqlite(url, err);
}

void db_close(struct db *db)
{
    if (!db)
        return;
    for (int i = 0; i < db->ncache; i++)
        sqlite3_finalize(db->cache[i]);
    if (db->lite)
        sqlite3_close_v2(db->lite);
    if (db->pg)
        PQfinish(db->pg);
    free(db);
}

/* ---- PostgreSQL helpers ---------------------------------------------------- */

static int pg_result_error(PGresult *res, PGconn *pg, struct error *err)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    const char *msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    if (!msg)
        msg = res ? PQresultErrorMessage(res) : PQerrorMessage(pg);
    enum error_kind kind = ERR_INTERNAL;
    if (state && str_eq(state, "23505"))
        kind = ERR_CONFLICT;
    else if (state && (str_eq(state, "23503") || str_eq(state, "23514") || str_eq(state, "23502")))
        kind = ERR_INVALID;
    char clean[400];
    snprintf(clean, sizeof clean, "%s", msg ? msg : "unknown error");
    size_t n = strlen(clean);
    while (n && (clean[n - 1] == '\n' || clean[n - 1] == ' '))
        clean[--n] = '\0';
    return error_set(err, kind, "database: %s", clean);
}

/* Rewrites `?` placeholders to $1..$n, leaving quoted text and comments. */
static char *pg_placeholders(const char *sql, int *nparams)
{
    struct buf b = {0};
    int n = 0;
    for (const char *p = sql; *p; p++) {
        if (*p == '\'' || *p == '"') {
            char q = *p;
            buf_putc(&b, *p++);
            while (*p && *p != q)
                buf_putc(&b, *p++);
            if (!*p)
                break;
            buf_putc(&b, *p);
        } else if (p[0] == '-' && p[1] == '-') {
            while (*p && *p != '\n')
                buf_putc(&b, *p++);
            if (!*p)
                break;
            buf_putc(&b, *p);
        } else if (*p == '?') {
            buf_printf(&b, "$%d", ++n);
        } else {
            buf_putc(&b, *p);
        }
    }
    *nparams = n;
    return buf_steal(&b);
}

/* The migrations are written for SQLite; these are the only words that
 * differ for PostgreSQL in the subset they use. */
static char *pg_ddl(const char *sql)
{
    static const struct {
        const char *from, *to;
    } words[] = {
        {"INTEGER PRIMARY KEY", "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"},
        {"INTEGER", "BIGINT"},
        {"REAL", "DOUBLE PRECISION"},
    };
    struct buf b = {0};
    const char *p = sql;
    while (*p) {
        bool word_start = p == sql || !(p[-1] == '_' || (p[-1] >= 'A' && p[-1] <= 'Z') ||
                                        (p[-1] >= 'a' && p[-1] <= 'z'));
        size_t i;
        for (i = 0; word_start && i < ARRAY_LEN(words); i++) {
            size_t n = strlen(words[i].from);
            if (strncmp(p, words[i].from, n) != 0)
                continue;
            char next = p[n]; /* within the string: the first n bytes matched */
            if (!(next == '_' || (next >= 'A' && next <= 'Z') || (next >= 'a' && next <= 'z'))) {
                buf_puts(&b, words[i].to);
                p += n;
                break;
            }
        }
        if (!word_start || i == ARRAY_LEN(words))
            buf_putc(&b, *p++);
    }
    return buf_steal(&b);
}

/* ---- statements ------------------------------------------------------------ */

int db_exec(struct db *db, const char *sql, struct error *err)
{
    if (db->backend == DB_SQLITE) {
        char *msg = NULL;
        int rc = sqlite3_exec(db->lite, sql, NULL, NULL, &msg);
        if (rc != SQLITE_OK) {
            error_set(err, rc == SQLITE_FULL ? ERR_LIMIT : ERR_INTERNAL, "database: %s",
                      msg ? msg : sqlite3_errstr(rc));
            sqlite3_free(msg);
            return -1;
        }
        return 0;
    }
    PGresult *res = PQexec(db->pg, sql);
    ExecStatusType s = PQresultStatus(res);
    int rc = 0;
    if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK)
        rc = pg_result_error(res, db->pg, err);
    PQclear(res);
    return rc;
}

struct db_stmt *db_prepare(struct db *db, const char *sql, struct error *err)
{
    struct db_stmt *st = xcalloc(1, sizeof *st);
    st->db = db;
    if (db->backend == DB_SQLITE) {
        for (int i = db->ncache - 1; i >= 0; i--) {
            if (strcmp(sqlite3_sql(db->cache[i]), sql) == 0) {
                st->lite = db->cache[i];
                db->cache[i] = db->cache[--db->ncache];
                return st;
            }
        }
        int rc = sqlite3_prepare_v2(db->lite, sql, -1, &st->lite, NULL);
        if (rc != SQLITE_OK) {
            lite_error(db->lite, rc, err, "database");
            free(st);
            return NULL;
        }
        return st;
    }
    st->sql = pg_placeholders(sql, &st->nparams);
    st->params = xcalloc((size_t)st->nparams + 1, sizeof *st->params);
    return st;
}

static void pg_set_param(struct db_stmt *st, int i, char *value)
{
    if (i < 1 || i > st->nparams) {
        free(value);
        return;
    }
    free(st->params[i - 1]);
    st->params[i - 1] = value;
}

void db_bind_int(struct db_stmt *st, int i, int64_t v)
{
    if (st->lite) {
        sqlite3_bind_int64(st->lite, i, v);
        return;
    }
    char tmp[24];
    snprintf(tmp, sizeof tmp, "%lld", (long long)v);
    pg_set_param(st, i, xstrdup(tmp));
}

void db_bind_double(struct db_stmt *st, int i, double v)
{
    if (st->lite) {
        sqlite3_bind_double(st->lite, i, v);
        return;
    }
    char tmp[40];
    snprintf(tmp, sizeof tmp, "%.17g", v);
    pg_set_param(st, i, xstrdup(tmp));
}

void db_bind_text(struct db_stmt *st, int i, const char *s)
{
    if (st->lite) {
        if (s)
            sqlite3_bind_text(st->lite, i, s, -1, SQLITE_TRANSIENT);
        else
            sqlite3_bind_null(st->lite, i);
        return;
    }
    pg_set_param(st, i, s ? xstrdup(s) : NULL);
}

void db_bind_null(struct db_stmt *st, int i)
{
    if (st->lite)
        sqlite3_bind_null(st->lite, i);
    else
        pg_set_param(st, i, NULL);
}

int db_step(struct db_stmt *st, struct error *err)
{
    if (st->lite) {
        st->lite_rc = sqlite3_step(st->lite);
        if (st->lite_rc == SQLITE_ROW)
            return 1;
        if (st->lite_rc == SQLITE_DONE) {
            st->changes = sqlite3_changes64(st->db->lite);
            return 0;
        }
        return lite_error(st->db->lite, st->lite_rc, err, "database");
    }
    if (!st->executed) {
        st->res = PQexecParams(st->db->pg, st->sql, st->nparams, NULL,
                               (const char *const *)st->params, NULL, NULL, 0);
        st->executed = true;
        st->row = -1;
        ExecStatusType s = PQresultStatus(st->res);
        if (s != PGRES_TUPLES_OK && s != PGRES_COMMAND_OK) {
            pg_result_error(st->res, st->db->pg, err);
            PQclear(st->res);
            st->res = NULL;
            st->nrows = 0;
            return -1;
        }
        st->nrows = PQntuples(st->res);
        const char *n = PQcmdTuples(st->res);
        st->changes = n && *n ? atoll(n) : 0;
    }
    if (!st->res)
        return -1;
    if (st->row + 1 < st->nrows) {
        st->row++;
        return 1;
    }
    return 0;
}

bool db_col_null(struct db_stmt *st, int i)
{
    if (st->lite)
        return sqlite3_column_type(st->lite, i) == SQLITE_NULL;
    return !st->res || st->row < 0 || PQgetisnull(st->res, st->row, i);
}

int64_t db_col_int(struct db_stmt *st, int i)
{
    if (st->lite)
        return sqlite3_column_int64(st->lite, i);
    if (db_col_null(st, i))
        return 0;
    return strtoll(PQgetvalue(st->res, st->row, i), NULL, 10);
}

double db_col_double(struct db_stmt *st, int i)
{
    if (st->lite)
        return sqlite3_column_double(st->lite, i);
    if (db_col_null(st, i))
        return 0;
    return strtod(PQgetvalue(st->res, st->row, i), NULL);
}

const char *db_col_text(struct db_stmt *st, int i)
{
    if (st->lite) {
        const unsigned char *s = sqlite3_column_text(st->lite, i);
        return s ? (const char *)s : "";
    }
    if (db_col_null(st, i))
        return "";
    return PQgetvalue(st->res, st->row, i);
}

int db_col_count(struct db_stmt *st)
{
    if (st->lite)
        return sqlite3_column_count(st->lite);
    return st->res ? PQnfields(st->res) : 0;
}

const char *db_col_name(struct db_stmt *st, int i)
{
    if (st->lite)
        return sqlite3_column_name(st->lite, i);
    return st->res ? PQfname(st->res, i) : "";
}

void db_reset(struct db_stmt *st)
{
    if (st->lite) {
        sqlite3_reset(st->lite);
        sqlite3_clear_bindings(st->lite);
        st->lite_rc = 0;
        return;
    }
    PQclear(st->res);
    st->res = NULL;
    st->executed = false;
    for (int i = 0; i < st->nparams; i++) {
        free(st->params[i]);
        st->params[i] = NULL;
    }
}

void db_finalize(struct db_stmt *st)
{
    if (!st)
        return;
    if (st->lite) {
        struct db *db = st->db;
        sqlite3_reset(st->lite);
        sqlite3_clear_bindings(st->lite);
        /* Full: the oldest goes, so a burst of one-off SQL does not pin it. */
        if (db->ncache == STMT_CACHE) {
            sqlite3_finalize(db->cache[0]);
            memmove(db->cache, db->cache + 1, (STMT_CACHE - 1) * sizeof *db->cache);
            db->ncache--;
        }
        db->cache[db->ncache++] = st->lite;
    } else {
        db_reset(st);
        free(st->params);
        free(st->sql);
    }
    free(st);
}

int64_t db_stmt_changes(struct db_stmt *st)
{
    return st->changes;
}

bool db_has_row(struct db_stmt *st)
{
    if (st->lite)
        return st->lite_rc == SQLITE_ROW;
    return st->res && st->row >= 0 && st->row < st->nrows;
}

static void bind_va(struct db_stmt *st, const char *types, va_list ap)
{
    for (int i = 0; types[i]; i++) {
        switch (types[i]) {
        case 'i':
            db_bind_int(st, i + 1, va_arg(ap, int64_t));
            break;
        case 'I': {
            const int64_t *p = va_arg(ap, const int64_t *);
            if (p)
                db_bind_int(st, i + 1, *p);
            else
                db_bind_null(st, i + 1);
            break;
        }
        case 'd':
            db_bind_double(st, i + 1, va_arg(ap, double));
            break;
        case 'D': {
            const double *p = va_arg(ap, const double *);
            if (p)
                db_bind_double(st, i + 1, *p);
            else
                db_bind_null(st, i + 1);
            break;
        }
        case 't':
            db_bind_text(st, i + 1, va_arg(ap, const char *));
            break;
        default:
            abort(); /* a programming error, not an input error */
        }
    }
}

static struct db_stmt *query_va(struct db *db, struct error *err, const char *sql,
                                const char *types, va_list ap)
{
    struct db_stmt *st = db_prepare(db, sql, err);
    if (!st)
        return NULL;
    int want = st->lite ? sqlite3_bind_parameter_count(st->lite) : st->nparams;
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

int64_t db_run(struct db *db, struct error *err, const char *sql, const char *types, ...)
{
    va_list ap;
    va_start(ap, types);
    struct db_stmt *st = query_va(db, err, sql, types, ap);
    va_end(ap);
    if (!st)
        return -1;
    /* Drain RETURNING rows so the statement completes; stepping one that is
     * already done would make SQLite run it again. */
    int rc = 0;
    if (db_has_row(st))
        while ((rc = db_step(st, err)) == 1)
            ;
    int64_t changes = db_stmt_changes(st);
    db_finalize(st);
    return rc < 0 ? -1 : changes;
}

int db_scalar(struct db *db, struct error *err, int64_t *out, const char *sql, const char *types,
              ...)
{
    va_list ap;
    va_start(ap, types);
    struct db_stmt *st = query_va(db, err, sql, types, ap);
    va_end(ap);
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

int db_insert(struct db *db, struct error *err, int64_t *id, const char *sql, const char *types,
              ...)
{
    char pg_sql[2048];
    if (db->backend != DB_SQLITE) {
        int n = snprintf(pg_sql, sizeof pg_sql, "%s RETURNING id", sql);
        if (n < 0 || (size_t)n >= sizeof pg_sql) {
            fprintf(stderr, "kanal: bug: INSERT too long for db_insert: %s\n", sql);
            abort();
        }
        sql = pg_sql;
    }
    va_list ap;
    va_start(ap, types);
    struct db_stmt *st = query_va(db, err, sql, types, ap);
    va_end(ap);
    if (!st)
        return -1;
    int rc = 0;
    if (db->backend == DB_SQLITE) {
        *id = sqlite3_last_insert_rowid(db->lite);
    } else if (db_has_row(st)) {
        *id = db_col_int(st, 0);
    } else {
        rc = error_set(err, ERR_INTERNAL, "database: the INSERT gave no id");
    }
    db_finalize(st);
    return rc;
}

/* ---- transactions ----------------------------------------------------------- */

int db_begin(struct db *db, struct error *err)
{
    /* IMMEDIATE takes SQLite's write lock up front, so two writers queue on
     * busy_timeout instead of one failing halfway through. */
    return db_exec(db, db->backend == DB_SQLITE ? "BEGIN IMMEDIATE" : "BEGIN", err);
}

int db_commit(struct db *db, struct error *err)
{
    return db_exec(db, "COMMIT", err);
}

void db_rollback(struct db *db)
{
    db_exec(db, "ROLLBACK", NULL);
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
            rc = db_run(db, err,
                        "UPDATE sqlite_schema SET sql = ? WHERE type = 'table' AND name = ?", "tt",
                        sqls[i], names[i]) < 0
                     ? -1
                     : 0;
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

int db_migrate(struct db *db, struct error *err)
{
    int applied = 0;
    /* Two servers starting at once against one PostgreSQL must not both
     * migrate; SQLite's write lock does the same through BEGIN IMMEDIATE. */
    if (db->backend == DB_POSTGRES && db_exec(db, "SELECT pg_advisory_lock(7406391)", err))
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
        char *sql = db->backend == DB_POSTGRES ? pg_ddl((const char *)m->data)
                                               : db_sqlite_checks((const char *)m->data);
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
    if (db->backend == DB_SQLITE && lite_fast_checks(db, err) < 0)
        goto fail;
    if (db->backend == DB_POSTGRES)
        db_exec(db, "SELECT pg_advisory_unlock(7406391)", NULL);
    return applied;
fail:
    if (db->backend == DB_POSTGRES)
        db_exec(db, "SELECT pg_advisory_unlock(7406391)", NULL);
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

void db_pool_put(struct db_pool *pool, struct db *db)
{
    pthread_mutex_lock(&pool->lock);
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
