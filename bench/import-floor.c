/* bench/import-floor: what SQLite alone needs to store bench/import's rows
 * in kanal's schema the way an import must, row by row: the lookup of the
 * post by (channel, platform id), then the post, its variant with its latest
 * numbers, and the snapshot, each a prepared statement, in one transaction,
 * with kanal's pragmas. No parsing, no text reading, no checks: the floor
 * under `kanal import` on this machine, printed as rows/s.
 *
 * Usage: import-floor DB CSV, DB migrated by `kanal migrate` and holding
 * nothing else; CSV as bench/import-gen.py writes it (no quoted fields). */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static sqlite3_stmt *prepare(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        fprintf(stderr, "import-floor: %s\n", sqlite3_errmsg(db));
        exit(1);
    }
    return st;
}

static void run(sqlite3 *db, sqlite3_stmt *st, int want)
{
    if (sqlite3_step(st) != want) {
        fprintf(stderr, "import-floor: %s\n", sqlite3_errmsg(db));
        exit(1);
    }
    sqlite3_reset(st);
}

int main(int argc, char **argv)
{
    sqlite3 *db;
    FILE *in = argc == 3 ? fopen(argv[2], "r") : NULL;
    if (!in || sqlite3_open(argv[1], &db) != SQLITE_OK) {
        fprintf(stderr, "usage: import-floor DB CSV\n");
        return 2;
    }
    sqlite3_exec(db,
                 "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
                 "PRAGMA temp_store=MEMORY; PRAGMA mmap_size=1073741824;"
                 "INSERT INTO workspaces (name, slug, created_at, updated_at) "
                 "VALUES ('floor', 'floor', 0, 0);"
                 "INSERT INTO channels (workspace_id, platform, handle, name, platform_id, "
                 "created_at, updated_at) VALUES (1, 'facebook', 'h', 'h', '4711', 0, 0);",
                 NULL, NULL, NULL);
    sqlite3_stmt *find = prepare(db, "SELECT v.id, v.post_id, p.body FROM post_variants v "
                                     "JOIN posts p ON p.id = v.post_id "
                                     "WHERE v.channel_id = ? AND v.platform_id = ?");
    sqlite3_stmt *post = prepare(db, "INSERT INTO posts (workspace_id, body, format, lang, "
                                     "status, at, created_at, updated_at) "
                                     "VALUES (1, ?, ?, 'sv', 'published', ?, 0, 0)");
    sqlite3_stmt *variant =
        prepare(db, "INSERT INTO post_variants (post_id, channel_id, platform_id, status, "
                    "published_at, created_at, updated_at, m_at, m_reach, m_impressions, "
                    "m_reactions, m_comments, m_shares) "
                    "VALUES (?, 1, ?, 'published', ?, 0, 0, 1, ?, ?, ?, ?, ?)");
    sqlite3_stmt *snap = prepare(db, "INSERT INTO post_metrics (variant_id, taken_at, reach, "
                                     "impressions, reactions, comments, shares) "
                                     "VALUES (?, 1, ?, ?, ?, ?, ?)");
    char line[8192];
    if (!fgets(line, sizeof line, in))
        return 1;
    double t0 = now();
    sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    long rows = 0;
    while (fgets(line, sizeof line, in)) {
        char *f[10] = {0};
        char *p = line;
        for (int i = 0; i < 10 && p; i++) {
            f[i] = p;
            if ((p = strchr(p, ',')))
                *p++ = '\0';
        }
        if (!f[9])
            continue;
        sqlite3_bind_int(find, 1, 1);
        sqlite3_bind_text(find, 2, f[0], -1, SQLITE_STATIC);
        run(db, find, SQLITE_DONE);
        sqlite3_bind_text(post, 1, f[4], -1, SQLITE_STATIC);
        sqlite3_bind_text(post, 2, f[3], -1, SQLITE_STATIC);
        sqlite3_bind_int64(post, 3, atoll(f[2]));
        run(db, post, SQLITE_DONE);
        sqlite3_int64 pid = sqlite3_last_insert_rowid(db);
        sqlite3_bind_int64(variant, 1, pid);
        sqlite3_bind_text(variant, 2, f[0], -1, SQLITE_STATIC);
        sqlite3_bind_int64(variant, 3, atoll(f[2]));
        for (int i = 0; i < 5; i++)
            sqlite3_bind_int64(variant, 4 + i, atoll(f[5 + i]));
        run(db, variant, SQLITE_DONE);
        sqlite3_bind_int64(snap, 1, sqlite3_last_insert_rowid(db));
        for (int i = 0; i < 5; i++)
            sqlite3_bind_int64(snap, 2 + i, atoll(f[5 + i]));
        run(db, snap, SQLITE_DONE);
        rows++;
    }
    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    double t1 = now();
    sqlite3_finalize(find);
    sqlite3_finalize(post);
    sqlite3_finalize(variant);
    sqlite3_finalize(snap);
    sqlite3_close(db);
    fclose(in);
    printf("%.0f\n", (double)rows / (t1 - t0));
    return 0;
}
