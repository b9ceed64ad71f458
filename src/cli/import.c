/* import: `kanal import` reads platform exports, API answers and webhook
 * payloads from files into the store, each file in one transaction, and
 * says per entity what was inserted, updated, unchanged or rejected. */
#include "cli/cli.h"
#include "cli/options.h"
#include "ingest/ingest.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define EXIT_REJECTED   3 /* imported, but some rows were rejected */
#define DEFAULT_REJECTS "import-rejects.tsv"
#define MAPPING_MAX     (1 << 20) /* a mapping file is a few dozen lines */

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
    assert(done >= 0);
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
    bool any = c->rejects || c->unknown_account || c->shares_skipped || c->nnot_read;
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

/* Reads --mapping: a built-in mapping's name, else a mapping file, which
 * *own receives (the caller frees it). NULL and err if neither. */
static const struct csv_mapping *read_mapping(const char *name, struct csv_mapping **own,
                                              struct error *err)
{
    const struct csv_mapping *m = csv_mapping_builtin(name);
    if (m)
        return m;
    struct buf text = {0};
    struct error read_err;
    if (buf_read_file(&text, name, MAPPING_MAX, &read_err) == 0)
        *own = csv_mapping_parse(text.data ? text.data : "", text.len, err);
    else if (read_err.kind == ERR_NOT_FOUND)
        error_set(err, ERR_INVALID, "no built-in mapping or file by that name");
    else
        *err = read_err;
    buf_free(&text);
    return *own;
}

int cmd_import(int argc, char **argv)
{
    const char *db_url = DEFAULT_DB, *format_s = "auto", *workspace = NULL, *channel = NULL,
               *mapping = NULL, *rejects_file = NULL, *taken_at = NULL;
    const struct cli_opt opts[] = {
        OPT_DB(&db_url),
        OPT_STRING("format", "FORMAT", NULL, &format_s,
                   "auto, meta-graph, meta-webhook, instagram, x-api, x-archive, youtube, "
                   "mastodon, csv, ndjson, tiktok, tiktok-csv, linkedin-xls, bluesky, tiktok-api, "
                   "threads or linkedin-api"),
        OPT_STRING("workspace", "ID", NULL, &workspace,
                   "workspace to import into (default: the only one)"),
        OPT_STRING("channel", "ID", NULL, &channel,
                   "channel of every row (default: found or created from the page/account id)"),
        OPT_STRING("mapping", "NAME|FILE", NULL, &mapping,
                   "CSV column mapping: meta-business-suite, meta-business-suite-instagram, "
                   "uci-facebook-metrics or a mapping file (default: by the header)"),
        OPT_STRING("rejects", "FILE", NULL, &rejects_file,
                   "write rejected rows here (default: " DEFAULT_REJECTS " when there are any)"),
        OPT_STRING("taken-at", "TIME", NULL, &taken_at,
                   "time of the metric snapshots when the file does not say (default: file's "
                   "mtime)"),
    };
    struct cli_cmd cmd;
    struct error err = {0};
    struct ingest_opts io = {0};
    struct ingest_target t = {.create_channels = true};
    int format = -1;
    FILE *rejects = NULL;
    struct csv_mapping *own_mapping = NULL;
    if (!cli_cmd_begin(
            &cmd, argc, argv, opts, ARRAY_LEN(opts),
            "import [--format FORMAT] [--channel ID] FILE...",
            "Imports platform exports, API answers and webhook payloads. Each file is one\n"
            "transaction: all of it or, on an error, none. Rows that cannot be read are\n"
            "listed in the rejects file (FILE<TAB>line or JSON path<TAB>reason).\n"
            "Exit status: 0 all imported, 1 a file failed, 2 usage, 3 some rows rejected.") ||
        ((format = ingest_format_parse(format_s)) < 0 &&
         !cli_cmd_usage(&cmd, "unknown --format '%s' (see kanal import --help)", format_s)) ||
        (cmd.p.npos == 0 && !cli_cmd_usage(&cmd, "name at least one FILE")) ||
        (((workspace && !cli_id(workspace, &t.workspace_id)) ||
          (channel && !cli_id(channel, &t.channel_id))) &&
         !cli_cmd_usage(&cmd, "--workspace and --channel take a numeric id")) ||
        (taken_at && time_parse_iso(taken_at, &io.taken_at) &&
         !cli_cmd_usage(&cmd, "--taken-at: '%s' is not an ISO 8601 time", taken_at)) ||
        (mapping && !(io.mapping = read_mapping(mapping, &own_mapping, &err)) &&
         !cli_cmd_usage(&cmd, "--mapping %s: %s", mapping, err.msg)) ||
        !cli_cmd_open_db(&cmd, db_url, CLI_DB_CREATE))
        goto done;
    struct db *db = cmd.db;
    if (!t.workspace_id &&
        (db_begin(db, &cmd.err) || workspace_default(db, &t.workspace_id, &cmd.err) < 0 ||
         db_commit(db, &cmd.err))) {
        db_rollback(db);
        goto done;
    }
    /* Without --rejects, rejects go to a scratch file first and are kept
     * (in the current directory) only if there are any. */
    const char *rejects_path = rejects_file ? rejects_file : DEFAULT_REJECTS;
    rejects = rejects_file ? fopen(rejects_path, "w") : tmpfile();
    if (!rejects) {
        cli_error(cmd.name, "cannot write the rejects file %s", rejects_path);
        goto done;
    }
    bool tty = isatty(STDERR_FILENO);
    struct ingest_counts total = {0};
    int failed = 0;
    for (int i = 0; i < cmd.p.npos; i++) {
        struct ingest_counts c = {0};
        enum ingest_format used = INGEST_AUTO;
        struct bar b = {cmd.p.pos[i], time_mono_ns()};
        error_clear(&err);
        struct import_job job = {.db = db,
                                 .target = t,
                                 .format = (enum ingest_format)format,
                                 .opts = io,
                                 .rejects = rejects,
                                 .progress = tty ? show_progress : NULL,
                                 .progress_ctx = &b};
        int r = ingest_import_file(&job, cmd.p.pos[i], &c, &used, &err);
        if (tty)
            fprintf(stderr, "\r\033[K");
        if (format == INGEST_AUTO && used != INGEST_AUTO)
            printf("%s: detected format %s\n", cmd.p.pos[i], ingest_format_name(used));
        if (r) {
            cli_error(cmd.name, "%s (nothing from this file was stored)", err.msg);
            failed++;
            continue;
        }
        print_counts(stdout, cmd.p.pos[i], &c);
        if (c.shares_skipped)
            printf("%s: %lld retweets or boosts skipped (shares of a post, which its share count "
                   "holds)\n",
                   cmd.p.pos[i], (long long)c.shares_skipped);
        if (c.unknown_account)
            printf("%s: %lld entries for accounts no channel has, skipped\n", cmd.p.pos[i],
                   (long long)c.unknown_account);
        for (int k = 0; k < c.nnot_read; k++)
            printf("%s: not read: %lld %s\n", cmd.p.pos[i], (long long)c.not_read[k].n,
                   c.not_read[k].what);
        for (int e = 0; e < IE_COUNT; e++) {
            total.inserted[e] += c.inserted[e];
            total.updated[e] += c.updated[e];
            total.unchanged[e] += c.unchanged[e];
            total.rejected[e] += c.rejected[e];
        }
        total.rejects += c.rejects;
        total.unknown_account += c.unknown_account;
        total.shares_skipped += c.shares_skipped;
        for (int k = 0; k < c.nnot_read; k++)
            ingest_counts_not_read(&total, c.not_read[k].what, c.not_read[k].n);
    }
    if (cmd.p.npos > 1)
        print_counts(stdout, "total", &total);
    int64_t nrej = rejected_total(&total);
    if (nrej && !rejects_file && keep_rejects(rejects, rejects_path)) {
        cli_error(cmd.name, "cannot write the rejects file %s", rejects_path);
        failed++;
    } else if (nrej) {
        cli_error(cmd.name, "%lld rows rejected; see %s", (long long)nrej, rejects_path);
    }
    cmd.rc = failed ? 1 : nrej ? EXIT_REJECTED : 0;
done:
    if (rejects)
        fclose(rejects);
    csv_mapping_free(own_mapping);
    return cli_cmd_end(&cmd);
}
