/* bench/inbox: the inbox at scale. Builds a SQLite workspace of N messages
 * (default 10 million; one transaction, prepared statements) on 20
 * channels and 10 teams with 200 routing rules saved through the model (as
 * the API saves them), then prints, as the median and spread of ROUNDS
 * rounds:
 *   - routing rules applied to incoming messages per second, through
 *     router_open/router_route (the importer's path), each round rolled back;
 *   - the inbox's first page for a team filter (the desk's: team, own=false,
 *     status=open, 20 a page) through message_list (the one call the
 *     API's handler makes, with tags and service levels), beside SQLite's
 *     own time for the page's SQL on the same file (libsqlite3, no kanal);
 *   - EXPLAIN QUERY PLAN of that SQL.
 * Prints numbers, never pass/fail; the database is made under /tmp and
 * deleted at the end (unless --keep).
 * Usage: inbox [--messages N] [--rounds R] [--keep] */
#include "base/base.h"
#include "db/db.h"
#include "model/model.h"

#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CHANNELS 20
#define TEAMS    10
#define RULES    200
#define ROUTED   5000 /* messages routed per round */

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* "median M (min A, max B)" of v[0..n). */
static void spread(const char *what, double *v, int n, const char *unit)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    double med = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    printf("%-44s median %10.2f %s  (min %.2f, max %.2f, %d rounds)\n", what, med, unit, v[0],
           v[n - 1], n);
}

/* The database's directory, removed on the way out whatever happens. */
static char bench_dir[64];

static void remove_db(void)
{
    if (!bench_dir[0])
        return;
    char f[96];
    const char *sfx[] = {"", "-wal", "-shm"};
    for (int i = 0; i < 3; i++) {
        snprintf(f, sizeof f, "%s/inbox.db%s", bench_dir, sfx[i]);
        unlink(f);
    }
    rmdir(bench_dir);
    printf("deleted %s\n", bench_dir);
    bench_dir[0] = 0;
}

static void die(const char *where, const struct error *err)
{
    fprintf(stderr, "bench/inbox: %s: %s\n", where, err->msg);
    remove_db();
    exit(1);
}

static const char *const platforms[] = {"facebook", "instagram", "x", "linkedin", "youtube"};
static const char *const kinds[] = {"comment", "mention", "dm", "comment", "reply"};
static const char *const langs[] = {"sv", "fi", "en", "sv", "sv"};
static const char *const sentiments[] = {"pos", "neu", "neg"};
static const char *const statuses[] = {"open",   "answered", "closed", "answered",
                                       "closed", "open",     "closed", "answered"};
static const char *const words[] = {"pension",       "betalning", "ansökan", "blankett",
                                    "eläke",         "maksu",     "payment", "form",
                                    "kundtjänst",    "telefon",   "svar",    "fråga",
                                    "bostadsbidrag", "skatt",     "hakemus", "kiitos"};
#define NWORDS (sizeof words / sizeof *words)

/* Workspace, channels, teams, tags and the rules, through the model. */
static void setup(struct db *db, struct error *err)
{
    if (db_exec(db,
                "INSERT INTO workspaces (id, name, slug, timezone, created_at, updated_at) "
                "VALUES (1, 'Bench', 'bench', 'Europe/Stockholm', 0, 0)",
                err))
        die("workspace", err);
    for (int i = 0; i < CHANNELS; i++) {
        char handle[16];
        snprintf(handle, sizeof handle, "h%d", i);
        if (db_run(db, err,
                   "INSERT INTO channels (workspace_id, platform, handle, name, created_at, "
                   "updated_at) VALUES (1, ?, ?, ?, 0, 0)",
                   "ttt", platforms[i % 5], handle, "Kanal") < 0)
            die("channel", err);
    }
    for (int i = 0; i < TEAMS; i++) {
        char name[32];
        snprintf(name, sizeof name, "Team %d", i + 1);
        if (db_run(db, err,
                   "INSERT INTO teams (workspace_id, name, created_at, updated_at) VALUES (1, ?, "
                   "0, 0)",
                   "t", name) < 0)
            die("team", err);
    }
    struct actor who = {.user_id = 0, .role = ROLE_ADMIN};
    for (int i = 0; i < RULES; i++) {
        /* Conditions of every sort; actions that hand on without looping. */
        json_t *cond = json_object();
        if (i % 3 == 0)
            json_object_set_new(cond, "platforms", json_pack("[s]", platforms[i % 5]));
        if (i % 4 == 1)
            json_object_set_new(cond, "kinds", json_pack("[s]", kinds[i % 5]));
        if (i % 5 == 2)
            json_object_set_new(cond, "langs", json_pack("[s]", langs[i % 5]));
        if (i % 7 == 3)
            json_object_set_new(cond, "sentiments", json_pack("[s]", sentiments[i % 3]));
        if (i % 2 == 0) {
            char q[96];
            snprintf(q, sizeof q, "%.5s* AND NOT \"%s\"", words[i % NWORDS],
                     words[(i + 3) % NWORDS]);
            json_object_set_new(cond, "query", json_string(q));
        }
        if (i % 11 == 5)
            json_object_set_new(cond, "authors", json_pack("[s]", "@spammer"));
        if (json_object_size(cond) == 0)
            json_object_set_new(cond, "channel_ids", json_pack("[i]", 1 + i % CHANNELS));
        char name[32];
        snprintf(name, sizeof name, "rule %d", i + 1);
        json_t *in =
            json_pack("{s:s, s:o, s:{s:i, s:s}}", "name", name, "conditions", cond, "actions",
                      "team_id", 1 + i % TEAMS, "priority", i % 9 == 0 ? "high" : "normal");
        json_t *out = routing_rule_create(db, 1, in, &who, err);
        json_decref(in);
        if (!out)
            die("rule", err);
        json_decref(out);
    }
}

/* n messages in one transaction: most handed to a team, recent ones open,
 * a few words each; already indexed for search (as kanal would have). */
static void fill(struct db *db, int64_t n, int64_t end, struct error *err)
{
    if (db_exec(db, "PRAGMA synchronous=OFF", err) || db_begin(db, err))
        die("begin", err);
    struct db_stmt *st = db_prepare(
        db,
        "INSERT INTO messages (workspace_id, channel_id, kind, platform_id, author_name, "
        "author_handle, is_own, body, lang, sentiment, sentiment_score, status, team_id, "
        "priority, terms_indexed, created_at, received_at, updated_at) VALUES (1, ?, ?, ?, ?, ?, "
        "0, ?, ?, ?, 0, ?, ?, ?, 1, ?, ?, ?)",
        err);
    if (!st)
        die("prepare", err);
    uint64_t x = 88172645463325252ull;
    char pid[32], body[160], author[32];
    int64_t span = 365 * 86400;
    for (int64_t i = 0; i < n; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        int64_t at = end - span + (int64_t)((double)i / (double)n * (double)span);
        snprintf(pid, sizeof pid, "m%lld", (long long)i);
        snprintf(body, sizeof body, "%s %s %s, %s?", words[x % NWORDS], words[(x >> 8) % NWORDS],
                 words[(x >> 16) % NWORDS], words[(x >> 24) % NWORDS]);
        snprintf(author, sizeof author, "Person %u", (unsigned)(x >> 32) % 50000);
        /* Older messages are mostly done with; the last days' mostly open. */
        bool recent = i > n - n / 50;
        const char *status = recent ? (x >> 40) % 4 ? "open" : "assigned" : statuses[(x >> 40) % 8];
        db_bind_int(st, 1, 1 + (int64_t)((x >> 5) % CHANNELS));
        db_bind_text(st, 2, kinds[(x >> 9) % 5]);
        db_bind_text(st, 3, pid);
        db_bind_text(st, 4, author);
        db_bind_text(st, 5, "@p");
        db_bind_text(st, 6, body);
        db_bind_text(st, 7, langs[(x >> 12) % 5]);
        db_bind_text(st, 8, sentiments[(x >> 14) % 3]);
        db_bind_text(st, 9, status);
        if ((x >> 20) % 10 == 0)
            db_bind_null(st, 10); /* not routed anywhere */
        else
            db_bind_int(st, 10, 1 + (int64_t)((x >> 22) % TEAMS));
        db_bind_text(st, 11, (x >> 30) % 9 == 0 ? "high" : "normal");
        db_bind_int(st, 12, at);
        db_bind_int(st, 13, at);
        db_bind_int(st, 14, at);
        if (db_step(st, err) < 0)
            die("insert", err);
        db_reset(st);
        if (i && i % 1000000 == 0) {
            fprintf(stderr, "  %lld messages\n", (long long)i);
        }
    }
    db_finalize(st);
    if (db_commit(db, err) || db_exec(db, "PRAGMA synchronous=NORMAL; ANALYZE", err))
        die("commit", err);
}

/* Rules applied per second over the newest ROUTED messages, rolled back. */
static double route_round(struct db *db, int64_t first, struct error *err)
{
    if (db_begin(db, err))
        die("begin", err);
    double t0 = now_ms();
    struct router *r = router_open(db, 1, err);
    if (!r)
        die("router", err);
    struct db_stmt *st = db_prepare(db,
                                    "SELECT m.id, m.channel_id, c.platform, m.kind, m.lang, "
                                    "m.sentiment, m.author_name, m.author_handle, m.body FROM "
                                    "messages m JOIN channels c ON c.id = m.channel_id WHERE "
                                    "m.id >= ? ORDER BY m.id LIMIT ?",
                                    err);
    if (!st)
        die("select", err);
    db_bind_int(st, 1, first);
    db_bind_int(st, 2, ROUTED);
    int64_t n = 0, matched = 0;
    /* Read first (the importer has the message in hand), then routed. */
    struct row {
        int64_t id, channel;
        char *s[7];
    } *rows = xcalloc(ROUTED, sizeof *rows);
    int rc;
    while ((rc = db_step(st, err)) == 1 && n < ROUTED) {
        rows[n].id = db_col_int(st, 0);
        rows[n].channel = db_col_int(st, 1);
        for (int k = 0; k < 7; k++)
            rows[n].s[k] = xstrdup(db_col_text(st, 2 + k));
        n++;
    }
    db_finalize(st);
    if (rc < 0)
        die("select", err);
    double t1 = now_ms();
    for (int64_t i = 0; i < n; i++) {
        struct route_message m = {.channel_id = rows[i].channel,
                                  .platform = rows[i].s[0],
                                  .kind = rows[i].s[1],
                                  .lang = rows[i].s[2],
                                  .sentiment = rows[i].s[3],
                                  .author_name = rows[i].s[4],
                                  .author_handle = rows[i].s[5],
                                  .body = rows[i].s[6]};
        struct route_result res;
        int got = router_route(r, db, rows[i].id, &m, &res, err);
        if (got < 0)
            die("route", err);
        matched += got;
    }
    double t2 = now_ms();
    router_close(r);
    db_rollback(db);
    for (int64_t i = 0; i < n; i++)
        for (int k = 0; k < 7; k++)
            free(rows[i].s[k]);
    free(rows);
    static bool said;
    if (!said) {
        printf("routing: %lld messages, %lld matched a rule, %zu rules; compile+read %.1f ms\n",
               (long long)n, (long long)matched, (size_t)RULES, t1 - t0);
        said = true;
    }
    return (double)n / ((t2 - t1) / 1e3);
}

#define PAGE_SQL                                                                                   \
    "SELECT id, workspace_id, channel_id, variant_id, parent_id, kind, platform_id, author_name, " \
    "author_handle, is_own, body, lang, sentiment, sentiment_score, status, team_id, "             \
    "assigned_user_id, priority, routed_rule_id, received_at, first_response_at, "                 \
    "answered_elsewhere_at, answered_elsewhere_via, created_at, updated_at FROM messages "         \
    "WHERE workspace_id = 1 AND status = 'open' AND is_own = 0 AND team_id = %d "                  \
    "ORDER BY created_at DESC, id DESC LIMIT 21"

/* SQLite alone: the page's SQL stepped through, on its own connection. */
static double sqlite_page(sqlite3 *s, int team)
{
    char sql[1024];
    snprintf(sql, sizeof sql, PAGE_SQL, team);
    double t0 = now_ms();
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s, sql, -1, &st, NULL) != SQLITE_OK) {
        fprintf(stderr, "bench/inbox: %s\n", sqlite3_errmsg(s));
        exit(1);
    }
    int rows = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        for (int c = 0; c < sqlite3_column_count(st); c++)
            (void)sqlite3_column_text(st, c);
        rows++;
    }
    sqlite3_finalize(st);
    double ms = now_ms() - t0;
    if (rows != 21) {
        fprintf(stderr, "bench/inbox: team %d has %d open messages, not a page\n", team, rows);
        exit(1);
    }
    return ms;
}

/* kanal: the handler's call, from the query string to the page's JSON. */
static double kanal_page(struct db *db, int team, struct error *err)
{
    char t[16];
    snprintf(t, sizeof t, "%d", team);
    double t0 = now_ms();
    json_t *q = json_pack("{s:s, s:s, s:s, s:s}", "team", t, "own", "false", "status", "open",
                          "limit", "20");
    struct message_filter f;
    struct page pg;
    if (page_parse(&pg, "20", NULL, err) || message_filter_parse(&f, q, 0, err))
        die("filter", err);
    json_t *out = message_list(db, 1, &f, &pg, err);
    if (!out)
        die("message_list", err);
    char *text = json_dumps(out, JSON_COMPACT);
    double ms = now_ms() - t0;
    if (json_array_size(json_object_get(out, "items")) != 20)
        die("page", &(struct error){.msg = "not 20 messages"});
    free(text);
    json_decref(out);
    json_decref(q);
    return ms;
}

int main(int argc, char **argv)
{
    int64_t n = 10000000;
    int rounds = 5;
    bool keep = false;
    for (int i = 1; i < argc; i++) {
        if (str_eq(argv[i], "--messages") && i + 1 < argc)
            n = strtoll(argv[++i], NULL, 10);
        else if (str_eq(argv[i], "--rounds") && i + 1 < argc)
            rounds = atoi(argv[++i]);
        else if (str_eq(argv[i], "--keep"))
            keep = true;
        else {
            fprintf(stderr, "usage: inbox [--messages N] [--rounds R] [--keep]\n");
            return 2;
        }
    }
    if (n < 100000 || rounds < 1 || rounds > 100) {
        fprintf(stderr, "bench/inbox: --messages at least 100000, --rounds 1 to 100\n");
        return 2;
    }
    char dir[] = "/tmp/kanal-bench-inbox-XXXXXX", path[64];
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(path, sizeof path, "%s/inbox.db", dir);
    snprintf(bench_dir, sizeof bench_dir, "%s", dir);
    struct error err = {0};
    setvbuf(stdout, NULL, _IOLBF, 0);
    struct db *db = db_open(path, &err);
    if (!db || db_migrate(db, &err) < 0)
        die("open", &err);
    printf("bench/inbox: %lld messages, %d channels, %d teams, %d rules; %ld cores online "
           "(shared with other work: the machine is busy)\n",
           (long long)n, CHANNELS, TEAMS, RULES, sysconf(_SC_NPROCESSORS_ONLN));
    double t0 = now_ms();
    setup(db, &err);
    fill(db, n, time_now(), &err);
    printf("built %s in %.1f s\n", path, (now_ms() - t0) / 1e3);

    double *v = xcalloc((size_t)rounds, sizeof *v), *w = xcalloc((size_t)rounds, sizeof *w);
    for (int i = 0; i < rounds; i++)
        v[i] = route_round(db, n - ROUTED * (i + 1), &err);
    spread("rules applied (messages/s)", v, rounds, "msg/s");

    sqlite3 *s;
    if (sqlite3_open_v2(path, &s, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
        die("sqlite3", &(struct error){.msg = "cannot open"});
    char sql[1024];
    snprintf(sql, sizeof sql, "EXPLAIN QUERY PLAN " PAGE_SQL, 3);
    sqlite3_stmt *st;
    sqlite3_prepare_v2(s, sql, -1, &st, NULL);
    printf("query plan of the page's SQL:\n");
    while (sqlite3_step(st) == SQLITE_ROW)
        printf("  %s\n", (const char *)sqlite3_column_text(st, 3));
    sqlite3_finalize(st);
    /* Warm both, then alternate teams round by round. */
    kanal_page(db, 1, &err);
    sqlite_page(s, 1);
    for (int i = 0; i < rounds; i++) {
        int team = 1 + i % TEAMS;
        v[i] = kanal_page(db, team, &err);
        w[i] = sqlite_page(s, team);
    }
    double kv[100], sv[100];
    memcpy(kv, v, sizeof *v * (size_t)rounds);
    memcpy(sv, w, sizeof *w * (size_t)rounds);
    spread("first page, team filter: kanal message_list", v, rounds, "ms");
    spread("first page, team filter: sqlite3 alone", w, rounds, "ms");
    double ratio[100];
    for (int i = 0; i < rounds; i++)
        ratio[i] = kv[i] / (sv[i] > 0 ? sv[i] : 1e-6);
    spread("kanal / sqlite3 (same round)", ratio, rounds, "x");
    sqlite3_close(s);
    db_close(db);
    free(v);
    free(w);
    if (keep) {
        printf("kept %s\n", path);
        bench_dir[0] = 0;
    }
    remove_db();
    return 0;
}
