/* import: `kanal import` reads platform exports, API answers and webhook
 * payloads from files into the store, each file in one transaction, and
 * says per entity what was inserted, updated, unchanged or rejected. */
#include "cli/cli.h"
#include "cli/options.h"
#include "ingest/ingest.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define EXIT_REJECTED   3 /* imported, but some rows were rejected */
#define DEFAULT_REJECTS "import-rejects.tsv"

/* Copies the scratch rejects to `path`. */
static int keep_rejects(FILE *scratch, const char *path)
{
    FILE *out = fopen(path, "w");
    if (!out)
        return -1;
    rewind(scratch);
    char chunk[8192];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, scratch)) > 0)
        fwrite(chunk, 1, n, out);
    return fclose(out) ? -1 : 0;
}

struct bar {
    const char *file;
    uint64_t started;
};

/* A one-line bar on a terminal: imports of big files take a while, and a
 * silent terminal looks hung. Formats whose size in records is unknown get
 * a counter instead. */
static void show_progress(void *ctx, int64_t done, int64_t total)
{
    struct bar *b = ctx;
    double s = (double)(time_mono_ns() - b->started) / 1e9;
    double rate = s > 0 ? (double)done / s : 0.0;
    if (total > 0) {
        int width = 30, filled = (int)(done >= total ? width : done * width / total);
        fprintf(stderr, "\r%.40s [%.*s%*s] %3d%% %lld/%lld, %.0f/s ", b->file, filled,
                "##############################", width - filled, "",
                (int)(done >= total ? 100 : done * 100 / total), (long long)done, (long long)total,
                rate);
    } else {
        fprintf(stderr, "\r%.40s: %lld records, %.0f/s ", b->file, (long long)done, rate);
    }
    fflush(stderr);
}

static void print_counts(FILE *f, const char *label, const struct ingest_counts *c)
{
    bool any = c->rejects || c->unknown_account || c->shares_skipped;
    for (int e = 0; e < IE_COUNT; e++) {
        if (!c->inserted[e] && !c->updated[e] && !c->unchanged[e] && !c->rejected[e])
            continue;
        any = true;
        fprintf(f, "%s: %s: %lld inserted, %lld updated, %lld unchanged, %lld rejected\n", label,
                ingest_entity_names[e], (long long)c->inserted[e], (long long)c->updated[e],
                (long long)c->unchanged[e], (long long)c->rejected[e]);
    }
    if (c->rejects)
        fprintf(f, "%s: unreadable rows: %lld rejected\n", label, (long long)c->rejects);
    if (!any)
        fprintf(f, "%s: nothing to import (no posts, messages or metrics kanal keeps)\n", label);
}

static int64_t rejected_total(const struct ingest_counts *c)
{
    int64_t n = c->rejects;
    for (int e = 0; e < IE_COUNT; e++)
        n += c->rejected[e];
    return n;
}

int cmd_import(int argc, char **argv)
{
    struct cli_opt opts[] = {
        {"db", "PATH|URL", "KANAL_DB", "SQLite file or postgres:// URL", DEFAULT_DB},
        {"format", "FORMAT", NULL,
         "auto, meta-graph, meta-webhook, instagram, x-api, x-archive, youtube, mastodon, csv "
         "or ndjson",
         "auto"},
        {"workspace", "ID", NULL, "workspace to import into (default: the only one)", NULL},
        {"channel", "ID", NULL,
         "channel of every row (default: found or created from the page/account id)", NULL},
        {"mapping", "NAME|FILE", NULL,
         "CSV column mapping: meta-business-suite, meta-business-suite-instagram, "
         "uci-facebook-metrics or a mapping file "
         "(default: by the header)",
         NULL},
        {"rejects", "FILE", NULL,
         "write rejected rows here (default: " DEFAULT_REJECTS " when there are any)", NULL},
        {"taken-at", "TIME", NULL,
         "time of the metric snapshots when the file does not say (default: file's mtime)", NULL},
    };
    struct cli_parse p;
    int rc = cli_parse_options(
        argc, argv, opts, ARRAY_LEN(opts), "import [--format FORMAT] [--channel ID] FILE...",
        "Imports platform exports, API answers and webhook payloads. Each file is one\n"
        "transaction: all of it or, on an error, none. Rows that cannot be read are\n"
        "listed in the rejects file (FILE<TAB>line or JSON path<TAB>reason).\n"
        "Exit status: 0 all imported, 1 a file failed, 2 usage, 3 some rows rejected.",
        &p);
    struct db *db = NULL;
    FILE *rejects = NULL;
    struct csv_mapping *own_mapping = NULL;
    if (p.stop)
        goto done;
    rc = 2;
    struct error err = {0};
    struct ingest_opts io = {0};
    struct ingest_target t = {.create_channels = true};
    int format = ingest_format_parse(opts[1].value);
    if (format < 0) {
        fprintf(stderr, "kanal import: unknown --format '%s' (see kanal import --help)\n",
                opts[1].value);
        goto done;
    }
    if (p.npos == 0) {
        fprintf(stderr, "kanal import: name at least one FILE\n");
        goto done;
    }
    if ((opts[2].value && (str_to_i64(opts[2].value, &t.workspace_id) || t.workspace_id < 1)) ||
        (opts[3].value && (str_to_i64(opts[3].value, &t.channel_id) || t.channel_id < 1))) {
        fprintf(stderr, "kanal import: --workspace and --channel take a numeric id\n");
        goto done;
    }
    if (opts[6].value && time_parse_iso(opts[6].value, &io.taken_at)) {
        fprintf(stderr, "kanal import: --taken-at: '%s' is not an ISO 8601 time\n", opts[6].value);
        goto done;
    }
    if (opts[4].value) {
        io.mapping = csv_mapping_builtin(opts[4].value);
        if (!io.mapping) {
            struct buf text = {0};
            FILE *mf = fopen(opts[4].value, "rb");
            char chunk[4096];
            size_t n;
            while (mf && (n = fread(chunk, 1, sizeof chunk, mf)) > 0)
                buf_append(&text, chunk, n);
            if (mf) {
                fclose(mf);
                own_mapping = csv_mapping_parse(text.data ? text.data : "", text.len, &err);
            } else {
                error_set(&err, ERR_INVALID, "no built-in mapping or file by that name");
            }
            buf_free(&text);
            if (!own_mapping) {
                fprintf(stderr, "kanal import: --mapping %s: %s\n", opts[4].value, err.msg);
                goto done;
            }
            io.mapping = own_mapping;
        }
    }
    rc = 1;
    log_set_level(LOG_WARN);
    db = db_open(opts[0].value, &err);
    if (!db || db_migrate(db, &err) < 0) {
        fprintf(stderr, "kanal import: %s\n", err.msg);
        goto done;
    }
    if (!t.workspace_id) {
        if (db_begin(db, &err) || workspace_default(db, &t.workspace_id, &err) < 0 ||
            db_commit(db, &err)) {
            db_rollback(db);
            fprintf(stderr, "kanal import: %s\n", err.msg);
            goto done;
        }
    }
    /* Without --rejects, rejects go to a scratch file first and are kept
     * (in the current directory) only if there are any. */
    const char *rejects_path = opts[5].value ? opts[5].value : DEFAULT_REJECTS;
    rejects = opts[5].value ? fopen(rejects_path, "w") : tmpfile();
    if (!rejects) {
        fprintf(stderr, "kanal import: cannot write the rejects file %s\n", rejects_path);
        goto done;
    }
    bool tty = isatty(STDERR_FILENO);
    struct ingest_counts total = {0};
    int failed = 0;
    for (int i = 0; i < p.npos; i++) {
        struct ingest_counts c = {0};
        enum ingest_format used = INGEST_AUTO;
        struct bar b = {p.pos[i], time_mono_ns()};
        error_clear(&err);
        struct import_job job = {.db = db,
                                 .target = t,
                                 .format = (enum ingest_format)format,
                                 .opts = io,
                                 .rejects = rejects,
                                 .progress = tty ? show_progress : NULL,
                                 .progress_ctx = &b};
        int r = ingest_import_file(&job, p.pos[i], &c, &used, &err);
        if (tty)
            fprintf(stderr, "\r\033[K");
        if (format == INGEST_AUTO && used != INGEST_AUTO)
            printf("%s: detected format %s\n", p.pos[i], ingest_format_name(used));
        if (r) {
            fprintf(stderr, "kanal import: %s (nothing from this file was stored)\n", err.msg);
            failed++;
            continue;
        }
        print_counts(stdout, p.pos[i], &c);
        if (c.shares_skipped)
            printf("%s: %lld retweets or boosts skipped (shares of a post, which its share count "
                   "holds)\n",
                   p.pos[i], (long long)c.shares_skipped);
        if (c.unknown_account)
            printf("%s: %lld entries for accounts no channel has, skipped\n", p.pos[i],
                   (long long)c.unknown_account);
        for (int e = 0; e < IE_COUNT; e++) {
            total.inserted[e] += c.inserted[e];
            total.updated[e] += c.updated[e];
            total.unchanged[e] += c.unchanged[e];
            total.rejected[e] += c.rejected[e];
        }
        total.rejects += c.rejects;
        total.unknown_account += c.unknown_account;
        total.shares_skipped += c.shares_skipped;
    }
    if (p.npos > 1)
        print_counts(stdout, "total", &total);
    int64_t nrej = rejected_total(&total);
    if (nrej && !opts[5].value && keep_rejects(rejects, rejects_path)) {
        fprintf(stderr, "kanal import: cannot write the rejects file %s\n", rejects_path);
        failed++;
    } else if (nrej) {
        fprintf(stderr, "kanal import: %lld rows rejected; see %s\n", (long long)nrej,
                rejects_path);
    }
    rc = failed ? 1 : nrej ? EXIT_REJECTED : 0;
done:
    if (rejects)
        fclose(rejects);
    csv_mapping_free(own_mapping);
    db_close(db);
    cli_parse_free(&p);
    return rc;
}
