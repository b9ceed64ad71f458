/* report: `kanal report` prints the KPIs of docs/metrics.md as a table on a
 * terminal, or as CSV or JSON for spreadsheets and scripts. */
#include "analytics/analytics.h"
#include "cli/cli.h"
#include "cli/options.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void csv_field(FILE *f, const char *s)
{
    bool quote = strpbrk(s, ",\"\n\r") != NULL;
    if (!quote) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static void csv_value(FILE *f, json_t *v)
{
    if (json_is_integer(v))
        fprintf(f, "%lld", (long long)json_integer_value(v));
    else if (json_is_real(v))
        fprintf(f, "%.6g", json_real_value(v));
}

static void print_csv(json_t *rep)
{
    fputs("label", stdout);
    for (const char *const *k = analytics_kpis; *k; k++)
        printf(",%s", *k);
    fputc('\n', stdout);
    json_t *rows = json_object_get(rep, "rows");
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row) {
        csv_field(stdout, json_string_value(json_object_get(row, "label")));
        for (const char *const *k = analytics_kpis; *k; k++) {
            fputc(',', stdout);
            csv_value(stdout, json_object_get(row, *k));
        }
        fputc('\n', stdout);
    }
    fputs("total", stdout);
    for (const char *const *k = analytics_kpis; *k; k++) {
        fputc(',', stdout);
        csv_value(stdout, json_object_get(json_object_get(rep, "total"), *k));
    }
    fputc('\n', stdout);
}

static void cell(json_t *v, const char *kind)
{
    char s[32] = "-";
    if (json_is_number(v)) {
        double x = json_number_value(v);
        if (str_eq(kind, "pct"))
            snprintf(s, sizeof s, "%.2f%%", x * 100);
        else if (str_eq(kind, "dur"))
            snprintf(s, sizeof s, "%dh%02dm", (int)(x / 3600), (int)(x / 60) % 60);
        else
            snprintf(s, sizeof s, "%.0f", x);
    }
    printf(" %10s", s);
}

static void print_table(json_t *rep)
{
    static const struct {
        const char *key, *head, *kind;
    } cols[] = {
        {"posts", "posts", "int"},         {"reach", "reach", "int"},
        {"interactions", "interact.", "int"}, {"er_reach", "ER reach", "pct"},
        {"er_followers", "ER foll.", "pct"}, {"ctr", "CTR", "pct"},
        {"follower_growth", "followers", "int"}, {"response_rate", "answered", "pct"},
        {"median_response_seconds", "median resp", "dur"},
    };
    printf("%s to %s (%s)\n\n%-32s", json_string_value(json_object_get(rep, "since")),
           json_string_value(json_object_get(rep, "until")),
           json_string_value(json_object_get(rep, "timezone")), "");
    for (size_t c = 0; c < ARRAY_LEN(cols); c++)
        printf(" %10s", cols[c].head);
    fputc('\n', stdout);
    json_t *rows = json_object_get(rep, "rows");
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row) {
        printf("%-32.32s", json_string_value(json_object_get(row, "label")));
        for (size_t c = 0; c < ARRAY_LEN(cols); c++)
            cell(json_object_get(row, cols[c].key), cols[c].kind);
        fputc('\n', stdout);
    }
    printf("%-32s", "total");
    for (size_t c = 0; c < ARRAY_LEN(cols); c++)
        cell(json_object_get(json_object_get(rep, "total"), cols[c].key), cols[c].kind);
    fputc('\n', stdout);
    json_t *prev = json_object_get(rep, "previous");
    if (prev) {
        printf("%-32s", "previous period");
        for (size_t c = 0; c < ARRAY_LEN(cols); c++)
            cell(json_object_get(prev, cols[c].key), cols[c].kind);
        fputc('\n', stdout);
    }
}

int cmd_report(int argc, char **argv)
{
    struct cli_opt opts[] = {
        {"db", "PATH|URL", "KANAL_DB", "SQLite file or postgres:// URL", DEFAULT_DB},
        {"workspace", "SLUG|ID", "KANAL_WORKSPACE", "the workspace to report on", NULL},
        {"since", "DATE", NULL, "first day, local (default: 28 days before --until)", NULL},
        {"until", "DATE", NULL, "day after the last, local (default: tomorrow)", NULL},
        {"by", "DIM", NULL, "none, channel, platform, campaign, format, tag, day, week, month",
         "channel"},
        {"compare", "previous", NULL, "add the previous period of the same length", NULL},
        {"format", "FMT", NULL, "table, csv or json", "table"},
    };
    struct cli_parse p;
    int rc = cli_parse_options(argc, argv, opts, ARRAY_LEN(opts), "report --workspace SLUG [options]",
                               "Prints the KPIs of docs/metrics.md for a period, grouped by one "
                               "dimension, in the workspace's time zone.",
                               &p);
    if (p.stop)
        goto done;
    rc = 2;
    const char *fmt = opts[6].value;
    if (!str_eq(fmt, "table") && !str_eq(fmt, "csv") && !str_eq(fmt, "json")) {
        fprintf(stderr, "kanal report: --format must be table, csv or json\n");
        goto done;
    }
    if (!opts[1].value) {
        fprintf(stderr, "kanal report: --workspace is required\n");
        goto done;
    }
    struct error err = {0};
    log_set_level(LOG_WARN);
    struct db *db = db_open(opts[0].value, &err);
    rc = 1;
    int64_t ws = 0;
    json_t *q = json_object(), *rep = NULL;
    if (!db || db_migrate(db, &err) < 0)
        goto fail;
    int found = db_scalar(db, &err, &ws, "SELECT id FROM workspaces WHERE slug = ? OR CAST(id AS TEXT) = ?",
                          "tt", opts[1].value, opts[1].value);
    if (found <= 0) {
        if (found == 0)
            error_set(&err, ERR_NOT_FOUND, "no workspace '%s'", opts[1].value);
        goto fail;
    }
    static const char *const params[] = {"since", "until", "by", "compare"};
    for (size_t i = 0; i < ARRAY_LEN(params); i++)
        if (opts[2 + i].value)
            json_object_set_new(q, params[i], json_string(opts[2 + i].value));
    struct analytics_query aq;
    if (analytics_query_parse(db, ws, q, &aq, &err) || !(rep = analytics_report(db, ws, &aq, &err)))
        goto fail;
    if (str_eq(fmt, "json")) {
        char *s = json_dumps(rep, JSON_INDENT(2));
        puts(s);
        free(s);
    } else if (str_eq(fmt, "csv")) {
        print_csv(rep);
    } else {
        print_table(rep);
    }
    rc = 0;
    goto out;
fail:
    fprintf(stderr, "kanal report: %s%s%s\n", err.field[0] ? "--" : "", err.field[0] ? err.field : "",
            err.field[0] ? ": " : "");
    fprintf(stderr, "%s\n", err.msg);
out:
    json_decref(q);
    json_decref(rep);
    db_close(db);
done:
    cli_parse_free(&p);
    return rc;
}
