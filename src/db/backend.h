/* db backend: the table of methods a store fills (SQLite's pMethods) and the
 * base structs its connection and statement extend. Only src/db/ includes
 * this; everything above db/ sees the opaque types of db.h. */
#ifndef KANAL_DB_BACKEND_H
#define KANAL_DB_BACKEND_H

#include "db/db.h"

/* The front (db.c) keeps this much that every backend shares; a backend's
 * own connection and statement structs start with these, so the front's
 * pointer is also the backend's. */
#define DB_STMT_CACHE 32

struct db {
    const struct db_methods *m;
    /* Finished statements kept for reuse, keyed by their SQL: imports run
     * the same few statements for every row, and preparing them again each
     * time was most of their cost. A statement in use is not in here. */
    struct db_stmt *cache[DB_STMT_CACHE];
    int ncache;
};

struct db_stmt {
    struct db *db;
    char *sql;       /* as the caller wrote it: the cache's key */
    bool row;        /* the last step gave a row */
    int64_t changes; /* rows the last run changed, set by the backend */
};

struct db_methods {
    enum db_backend backend;
    /* Runs SQL without parameters or results (may hold several statements). */
    int (*exec)(struct db *db, const char *sql, struct error *err);
    /* A new statement for sql, `?` placeholders as written; the front sets
     * its base fields. NULL and err on failure. */
    struct db_stmt *(*prepare)(struct db *db, const char *sql, struct error *err);
    int (*param_count)(struct db_stmt *st);
    void (*bind_int)(struct db_stmt *st, int i, int64_t v);
    void (*bind_double)(struct db_stmt *st, int i, double v);
    void (*bind_text)(struct db_stmt *st, int i, const char *s); /* NULL: SQL NULL */
    /* s not NULL, kept by the caller until reset (db_bind_text_ref); NULL
     * where the backend copies anyway. */
    void (*bind_text_ref)(struct db_stmt *st, int i, const char *s);
    void (*bind_blob)(struct db_stmt *st, int i, const void *p, size_t n);
    /* 1 row, 0 done, -1 error; sets st->changes when the statement is done. */
    int (*step)(struct db_stmt *st, struct error *err);
    bool (*col_null)(struct db_stmt *st, int i);
    int64_t (*col_int)(struct db_stmt *st, int i);
    double (*col_double)(struct db_stmt *st, int i);
    const char *(*col_text)(struct db_stmt *st, int i); /* "" for NULL */
    /* The bytes, valid until the next step or reset; *n 0 for NULL. */
    const void *(*col_blob)(struct db_stmt *st, int i, size_t *n);
    int (*col_count)(struct db_stmt *st);
    const char *(*col_name)(struct db_stmt *st, int i);
    /* Clears results and bindings: what a statement is in the cache. */
    void (*reset)(struct db_stmt *st);
    /* Frees the backend's part of st and st itself (not st->sql). */
    void (*finalize)(struct db_stmt *st);
    /* Frees the connection (its statements are gone by then). */
    void (*close)(struct db *db);

    /* How a transaction starts. */
    const char *begin_sql;
    /* Ends a SELECT of rows the transaction will change so that other
     * transactions pass over them instead of waiting (db_skip_locked). */
    const char *skip_locked;
    /* Added to an INSERT so that its first step answers with the new id (""
     * when the backend knows it without), and how that id is read then. */
    const char *insert_returning;
    int (*inserted_id)(struct db_stmt *st, int64_t *id);

    /* A migration (written for SQLite) in this backend's SQL; caller frees. */
    char *(*migration_sql)(const char *sql);
    /* Held while migrating, so two servers starting at once do not both
     * migrate; NULL when BEGIN IMMEDIATE already serialises them. */
    const char *migrate_lock, *migrate_unlock;
    /* Run after the migrations, or NULL. */
    int (*after_migrations)(struct db *db, struct error *err);
};

/* Each backend's way in, called by db_open. */
struct db *db_sqlite_open(const char *path, struct error *err);
struct db *db_pg_open(const char *url, struct error *err);

#endif
