/* db: one connection type over SQLite (default) and PostgreSQL. Queries use
 * `?` placeholders on both; values are always bound, never spliced. Numbered
 * migrations from src/db/migrations/ run at start. */
#ifndef KANAL_DB_H
#define KANAL_DB_H

#include "base/base.h"

enum db_backend { DB_SQLITE, DB_POSTGRES };

struct db;
struct db_stmt;

/* Opens "PATH" or "sqlite:PATH" (SQLite, WAL mode, foreign keys on) or
 * "postgres://..." / "postgresql://..." (libpq connection URI). The caller
 * owns the result and closes it with db_close. NULL and err on failure. */
struct db *db_open(const char *url, struct error *err);
void db_close(struct db *db);
enum db_backend db_backend(const struct db *db);

/* Applies the embedded migrations not yet applied, each in its own
 * transaction, and records them in schema_migrations. Returns how many ran,
 * or -1. */
int db_migrate(struct db *db, struct error *err);
/* A migration's text as `backend` runs it: lines starting "-- sqlite: " or
 * "-- postgres: " are SQL for that backend only (db.c). Caller frees. */
char *db_migration_for(const char *sql, enum db_backend backend);
/* Highest applied migration number, 0 for none, -1 on error. */
int db_schema_version(struct db *db, struct error *err);

/* Runs SQL without parameters or results (may hold several statements). */
int db_exec(struct db *db, const char *sql, struct error *err);

/* Prepares one statement. Owned by the caller: db_finalize it. */
struct db_stmt *db_prepare(struct db *db, const char *sql, struct error *err);
/* Parameters are numbered from 1. A NULL string binds SQL NULL. */
void db_bind_int(struct db_stmt *st, int i, int64_t v);
void db_bind_double(struct db_stmt *st, int i, double v);
void db_bind_text(struct db_stmt *st, int i, const char *s);
/* As db_bind_text, for a string (not NULL) that stays unchanged until the
 * statement is stepped to its end, reset or finalized: SQLite reads it in
 * place instead of copying it (a copy and a free each, in a loop that
 * stores many rows); PostgreSQL copies it as before. */
void db_bind_text_ref(struct db_stmt *st, int i, const char *s);
void db_bind_null(struct db_stmt *st, int i);
/* Bytes (an image) into a BLOB column (bytea on PostgreSQL); copied. */
void db_bind_blob(struct db_stmt *st, int i, const void *p, size_t n);
/* 1: a row is ready; 0: done; -1: error (err filled; a unique-key clash is
 * ERR_CONFLICT, a failed foreign key or check ERR_INVALID). */
int db_step(struct db_stmt *st, struct error *err);
/* Columns are numbered from 0; valid until the next step/reset/finalize. */
bool db_col_null(struct db_stmt *st, int i);
int64_t db_col_int(struct db_stmt *st, int i);
double db_col_double(struct db_stmt *st, int i);
const char *db_col_text(struct db_stmt *st, int i); /* "" for NULL */
/* A copy of a text column (caller frees), or NULL for SQL NULL. */
char *db_col_dup(struct db_stmt *st, int i);
/* A BLOB column's bytes and *n, owned by the statement until its next
 * step or reset; NULL and *n 0 for SQL NULL. */
const void *db_col_blob(struct db_stmt *st, int i, size_t *n);
int db_col_count(struct db_stmt *st);
const char *db_col_name(struct db_stmt *st, int i);
/* Clears results and bindings so the statement can run again. */
void db_reset(struct db_stmt *st);
void db_finalize(struct db_stmt *st);
/* Rows changed by the statement's last run. */
int64_t db_stmt_changes(struct db_stmt *st);

/* Runs one statement with parameters given by a type string, one letter per
 * `?`: 'i' int64_t, 'I' const int64_t * (NULL binds NULL), 'd' double,
 * 'D' const double * (NULL binds NULL),
 * 't' const char * (NULL binds NULL). Returns the statement stepped once
 * (check db_has_row), or NULL and err. Caller finalizes. */
struct db_stmt *db_query(struct db *db, struct error *err, const char *sql, const char *types, ...);
bool db_has_row(struct db_stmt *st);
/* For a SELECT whose first row is all that is wanted: 1 with *st on that
 * row (caller finalizes), 0 for no row (nothing to finalize), or -1 and
 * err. Types as db_query. */
int db_row(struct db *db, struct error *err, struct db_stmt **st, const char *sql,
           const char *types, ...);
/* db_row with its arguments as a va_list: for a caller that is variadic
 * itself (model_row). */
int db_row_va(struct db *db, struct error *err, struct db_stmt **st, const char *sql,
              const char *types, va_list ap);
/* Like db_query for statements whose result is not needed; returns the
 * number of rows changed, or -1. */
int64_t db_run(struct db *db, struct error *err, const char *sql, const char *types, ...);
/* db_run for a statement whose success is all that is wanted: 0, or -1
 * and err. */
int db_do(struct db *db, struct error *err, const char *sql, const char *types, ...);
/* For "INSERT ... RETURNING id" and "SELECT x ...": the first column of the
 * first row as an integer. Returns 1 with *out set, 0 for no row, -1. */
int db_scalar(struct db *db, struct error *err, int64_t *out, const char *sql, const char *types,
              ...);
/* For "SELECT id ...": the first column of every row as integers, *n of
 * them; caller frees (an array even when there are none, so NULL means
 * failure). NULL and err when the query or a step fails. Types as
 * db_query. */
int64_t *db_ids(struct db *db, struct error *err, size_t *n, const char *sql, const char *types,
                ...);
/* Runs an INSERT into a table with an integer primary key `id` and sets
 * *id to the new row's. Write the INSERT without RETURNING: PostgreSQL gets
 * "RETURNING id" added, SQLite answers with the rowid, because its
 * RETURNING costs several times the insert itself. 0, or -1 and err. */
int db_insert(struct db *db, struct error *err, int64_t *id, const char *sql, const char *types,
              ...);

/* SQL with each `CHECK (NAME IN ('x', ...))` written as `NAME = 'x' OR ...`,
 * the form SQLite checks cheaply; what db_migrate runs on SQLite. Caller
 * frees. */
char *db_sqlite_checks(const char *sql);

int db_begin(struct db *db, struct error *err);
/* The clause to end a SELECT with, inside a transaction, when several
 * processes take rows off one queue: PostgreSQL's " FOR UPDATE SKIP
 * LOCKED" (each takes rows no other holds), "" on SQLite, where
 * db_begin's BEGIN IMMEDIATE already makes the transaction the only
 * writer. */
const char *db_skip_locked(const struct db *db);
int db_commit(struct db *db, struct error *err);
void db_rollback(struct db *db);
/* Ends the transaction db_begin began: commits it when `failed` is 0, else
 * (or when the commit fails) rolls it back. 0, or -1 with err as set. */
int db_end(struct db *db, int failed, struct error *err);

/* A fixed set of connections shared by server threads: get blocks until one
 * is free. The pool owns the connections. */
struct db_pool;
struct db_pool *db_pool_open(const char *url, int size, struct error *err);
struct db *db_pool_get(struct db_pool *pool);
void db_pool_put(struct db_pool *pool, struct db *db);
void db_pool_close(struct db_pool *pool);

#endif
