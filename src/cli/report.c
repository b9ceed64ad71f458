/* report: `kanal report` prints the KPIs of docs/metrics.md as a table on a
 * terminal, or as CSV or JSON for spreadsheets and scripts. */
#include "cli/cli.h"
#include "cli/options.h"
#include "report/report.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

/* The width of a table's text column: its longest value of `key` in rows,
 * at least min (the heading's room), so that no name is ever cut. */
static size_t column_width(json_t *rows, const char *key, size_t min)
{
    size_t i, w = min;
    json_t *row;
    json_array_foreach (rows, i, row) {
        const char *s = json_string_value(json_object_get(row, key));
        size_t n = s ? cli_text_width(s) : 0;
        w = n > w ? n : w;
    }
    return w;
}

static void padded(const char *s, size_t width)
{
    cli_print_padded(stdout, s, width);
}

/* A text cell. One a spreadsheet would take for a formula (=, +, -, @, a
 * tab or a CR first) gets a leading ' and quotes, as OWASP's advice on CSV
 * injection has it, so that it shows as the text it is. Numbers are written
 * by csv_value and never come here: a negative one stays a number. */
static void csv_field(FILE *f, const char *s)
{
    bool formula = s[0] && strchr("=+-@\t\r", s[0]);
    bool quote = formula || strpbrk(s, ",\"\n\r") != NULL;
    if (!quote) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    if (formula)
        fputc('\'', f);
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

/* One CSV line's figures: each KPI of `now`, and with a comparison each of
 * `before` and each relative change (a fraction, as the rates are). A row
 * that has no previous figures of its own (by day, week or month) leaves
 * those cells empty. */
static void csv_figures(json_t *now, bool compare, json_t *before, json_t *change)
{
    for (const char *const *k = analytics_kpis; *k; k++) {
        fputc(',', stdout);
        csv_value(stdout, json_object_get(now, *k));
    }
    for (const char *const *k = analytics_kpis; compare && *k; k++) {
        fputc(',', stdout);
        csv_value(stdout, json_object_get(before, *k));
    }
    for (const char *const *k = analytics_kpis; compare && *k; k++) {
        fputc(',', stdout);
        csv_value(stdout, json_object_get(json_object_get(change, *k), "relative"));
    }
    fputc('\n', stdout);
}

static void print_csv(json_t *rep)
{
    bool compare = json_object_get(rep, "previous") != NULL;
    fputs("label", stdout);
    for (const char *const *k = analytics_kpis; *k; k++)
        printf(",%s", *k);
    for (const char *const *k = analytics_kpis; compare && *k; k++)
        printf(",previous_%s", *k);
    for (const char *const *k = analytics_kpis; compare && *k; k++)
        printf(",change_%s", *k);
    fputc('\n', stdout);
    json_t *rows = json_object_get(rep, "rows");
    size_t i;
    json_t *row;
    json_array_foreach (rows, i, row) {
        csv_field(stdout, json_string_value(json_object_get(row, "label")));
        csv_figures(row, compare, json_object_get(row, "previous"), json_object_get(row, "change"));
    }
    fputs("total", stdout);
    csv_figures(json_object_get(rep, "total"), compare, json_object_get(rep, "previous"),
                json_object_get(rep, "change"));
}

/* kind: "pct" a rate, "dur" seconds, "int" a count, "chg" a relative change. */
static void cell(json_t *v, const char *kind)
{
    assert(str_eq(kind, "pct") || str_eq(kind, "dur") || str_eq(kind, "int") ||
           str_eq(kind, "chg"));
    char s[32] = "-";
    if (json_is_number(v)) {
        double x = json_number_value(v);
        if (str_eq(kind, "chg"))
            snprintf(s, sizeof s, "%+.1f%%", x * 100);
        else if (str_eq(kind, "pct"))
            snprintf(s, sizeof s, "%.2f%%", x * 100);
        else if (str_eq(kind, "dur"))
            snprintf(s, sizeof s, "%dh%02dm", (int)(x / 3600), (int)(x / 60) % 60);
        else
            snprintf(s, sizeof s, "%.0f", x);
    }
    printf(" %10s", s);
}

struct table_col {
    const char *key, *head, *kind;
};
static const struct table_col post_cols[] = {
    {"posts", "posts", "int"},
    {"reach", "reach", "int"},
    {"interactions", "interact.", "int"},
    {"er_reach", "ER reach", "pct"},
    {"er_followers", "ER foll.", "pct"},
    {"ctr", "CTR", "pct"},
    {"follower_growth", "followers", "int"},
    {"response_rate", "answered", "pct"},
    {"median_response_seconds", "median resp", "dur"},
    {NULL, NULL, NULL},
};
/* Rows per team have messages and no posts: the response figures. */
static const struct table_col response_cols[] = {
    {"incoming", "incoming", "int"},
    {"answered", "answered", "int"},
    {"response_rate", "answ. rate", "pct"},
    {"median_response_seconds", "median resp", "dur"},
    {"median_response_work_seconds", "median work", "dur"},
    {"held_to_level", "held", "int"},
    {"within_level_rate", "within lvl", "pct"},
    {"answered_elsewhere", "elsewhere", "int"},
    {NULL, NULL, NULL},
};

/* A table line: the label, then each column's figure of `figures`; for a
 * change line (`change` set), each column's relative change. */
static void table_line(const struct table_col *cols, const char *label, size_t width,
                       json_t *figures, bool change)
{
    padded(label, width);
    for (const struct table_col *c = cols; c->key; c++) {
        json_t *v = json_object_get(figures, c->key);
        if (change)
            cell(json_object_get(v, "relative"), "chg");
        else
            cell(v, c->kind);
    }
    fputc('\n', stdout);
}

/* With a comparison, a row's previous figures and its change go under it. */
static void table_compared(const struct table_col *cols, json_t *row, size_t width)
{
    if (!json_object_get(row, "previous"))
        return;
    table_line(cols, "  previous period", width, json_object_get(row, "previous"), false);
    table_line(cols, "  change", width, json_object_get(row, "change"), true);
}

static void print_table(json_t *rep)
{
    json_t *rows = json_object_get(rep, "rows");
    const struct table_col *cols =
        str_eq(json_string_value(json_object_get(rep, "by")), "team") ? response_cols : post_cols;
    size_t width = column_width(rows, "label", 32);
    printf("%s to %s (%s)\n\n", json_string_value(json_object_get(rep, "since")),
           json_string_value(json_object_get(rep, "until")),
           json_string_value(json_object_get(rep, "timezone")));
    padded("", width);
    for (const struct table_col *c = cols; c->key; c++)
        printf(" %10s", c->head);
    fputc('\n', stdout);
    size_t i;
    json_t *row;
    json_array_foreach (rows, i, row) {
        table_line(cols, json_string_value(json_object_get(row, "label")), width, row, false);
        table_compared(cols, row, width);
    }
    table_line(cols, "total", width, json_object_get(rep, "total"), false);
    table_compared(cols, rep, width);
}

/* Insights, top lists and campaign comparisons on a terminal. */
static void print_other(json_t *rep, const char *kind)
{
    size_t i;
    json_t *row;
    if (str_eq(kind, "insights")) {
        printf("What works, %s to %s: %lld posts\n\n",
               json_string_value(json_object_get(rep, "since")),
               json_string_value(json_object_get(rep, "until")),
               (long long)json_integer_value(json_object_get(rep, "posts")));
        json_t *lifts = json_object_get(rep, "lifts");
        size_t fw = column_width(lifts, "feature", 16), vw = column_width(lifts, "value", 26);
        printf("%-*s %-*s %6s %9s   %s\n", (int)fw, "feature", (int)vw, "value", "posts", "lift",
               "95% interval");
        json_array_foreach (lifts, i, row) {
            json_t *lift = json_object_get(row, "lift"), *ci = json_object_get(row, "lift_ci95");
            padded(json_string_value(json_object_get(row, "feature")), fw + 1);
            padded(json_string_value(json_object_get(row, "value")), vw + 1);
            printf("%6lld ", (long long)json_integer_value(json_object_get(row, "posts")));
            if (json_is_number(lift))
                printf("%+8.1f%%   %+.1f%% .. %+.1f%%\n", json_number_value(lift) * 100,
                       json_number_value(json_array_get(ci, 0)) * 100,
                       json_number_value(json_array_get(ci, 1)) * 100);
            else
                printf("%9s   %s\n", "-", json_string_value(json_object_get(row, "note")));
        }
        return;
    }
    if (str_eq(kind, "toplist")) {
        printf("Top list by %s, %s to %s\n\n", json_string_value(json_object_get(rep, "metric")),
               json_string_value(json_object_get(rep, "since")),
               json_string_value(json_object_get(rep, "until")));
        json_t *ranked = json_object_get(rep, "rows");
        size_t lw = column_width(ranked, "label", 41);
        json_array_foreach (ranked, i, row) {
            printf("%3lld. ", (long long)json_integer_value(json_object_get(row, "rank")));
            padded(json_string_value(json_object_get(row, "label")), lw);
            fputs(json_is_true(json_object_get(row, "is_peer")) ? "peer " : "     ", stdout);
            cell(json_object_get(row, "value"),
                 str_starts_with(json_string_value(json_object_get(rep, "metric")), "er_") ||
                         str_eq(json_string_value(json_object_get(rep, "metric")),
                                "follower_growth_pct")
                     ? "pct"
                     : "int");
            fputc('\n', stdout);
        }
        return;
    }
    json_t *c = json_object_get(rep, "campaign");
    size_t nw = column_width(json_object_get(rep, "earlier"), "name", 32);
    printf("%s\n\n", json_string_value(json_object_get(c, "name")));
    padded("", nw);
    static const char *const keys[] = {"posts", "reach", "interactions", "er_reach", "ctr"};
    for (size_t k = 0; k < ARRAY_LEN(keys); k++)
        printf(" %12s", keys[k]);
    fputc('\n', stdout);
    json_t *rows = json_array();
    json_array_append(rows, c);
    json_array_extend(rows, json_object_get(rep, "earlier"));
    json_array_foreach (rows, i, row) {
        padded(i == 0 ? "this campaign" : json_string_value(json_object_get(row, "name")), nw);
        for (size_t k = 0; k < ARRAY_LEN(keys); k++)
            cell(json_object_get(json_object_get(row, "kpis"), keys[k]), k >= 3 ? "pct" : "int");
        fputc('\n', stdout);
    }
    json_decref(rows);
}

int cmd_report(int argc, char **argv)
{
    const char *db_url = DEFAULT_DB, *workspace = NULL, *since = NULL, *until = NULL,
               *by = "channel", *compare = NULL, *fmt = "table", *toplist = NULL, *platform = NULL,
               *campaign_s = NULL, *html_month = NULL;
    bool insights = false;
    const struct cli_opt opts[] = {
        OPT_DB(&db_url),
        OPT_STRING("workspace", "SLUG|ID", "KANAL_WORKSPACE", &workspace,
                   "the workspace to report on (default: the only one)"),
        OPT_STRING("since", "DATE", NULL, &since,
                   "first day, local (default: 28 days before --until)"),
        OPT_STRING("until", "DATE", NULL, &until, "day after the last, local (default: tomorrow)"),
        OPT_STRING("by", "DIM", NULL, &by,
                   "none, channel, platform, campaign, format, tag, day, week, month, team"),
        OPT_STRING("compare", "previous", NULL, &compare,
                   "add the previous period of the same length"),
        OPT_STRING("format", "FMT", NULL, &fmt, "table, csv or json"),
        OPT_BOOL("insights", NULL, &insights,
                 "what works: engagement lift by feature (JSON or table)"),
        OPT_STRING("toplist", "METRIC", NULL, &toplist,
                   "rank all channels, peers too: interactions, er_followers, er_reach, "
                   "follower_growth"),
        OPT_STRING("platform", "NAME", NULL, &platform, "with --toplist: one platform only"),
        OPT_STRING("campaign", "ID", NULL, &campaign_s,
                   "compare a campaign with earlier ones on the same theme"),
        OPT_STRING("html", "MONTH", NULL, &html_month,
                   "the monthly report for MONTH (2026-10) as one HTML file"),
    };
    struct cli_cmd c;
    if (!cli_cmd_begin(&c, argc, argv, opts, ARRAY_LEN(opts), "report --workspace SLUG [options]",
                       "Prints the KPIs of docs/metrics.md for a period, grouped by one "
                       "dimension, in the workspace's time zone.") ||
        (!str_eq(fmt, "table") && !str_eq(fmt, "csv") && !str_eq(fmt, "json") &&
         !cli_cmd_usage(&c, "--format must be table, csv or json")) ||
        !cli_cmd_open(&c, db_url, workspace))
        return cli_cmd_end(&c);
    struct db *db = c.db;
    struct error *err = &c.err;
    int64_t ws = c.ws;
    json_t *q = json_object(), *rep = NULL;
    cli_json_put(q, "since", since);
    cli_json_put(q, "until", until);
    cli_json_put(q, "by", by);
    cli_json_put(q, "compare", compare);
    struct analytics_query aq;
    int64_t campaign = 0;
    if (campaign_s && !cli_id(campaign_s, &campaign)) {
        error_field(err, ERR_INVALID, "campaign", "--campaign takes a campaign id");
        goto fail;
    }
    if (html_month) {
        struct buf html = {0};
        if (report_html_month(db, ws, html_month, &html, err)) {
            buf_free(&html);
            goto fail;
        }
        fwrite(html.data, 1, html.len, stdout);
        buf_free(&html);
        c.rc = 0;
        goto out;
    }
    if (campaign)
        rep = analytics_campaign(db, ws, campaign, err);
    else if (analytics_query_parse(db, ws, q, NULL, &aq, err) == 0)
        rep = insights  ? analytics_insights(db, ws, &aq, err)
              : toplist ? analytics_toplist(db, ws, &aq, toplist, platform, err)
                        : analytics_report(db, ws, &aq, err);
    if (!rep)
        goto fail;
    if ((insights || toplist || campaign) && !str_eq(fmt, "json")) {
        print_other(rep, insights ? "insights" : toplist ? "toplist" : "campaign");
        c.rc = 0;
        goto out;
    }
    if (str_eq(fmt, "json")) {
        cli_print_json_doc(rep, JSON_INDENT(2));
    } else if (str_eq(fmt, "csv")) {
        print_csv(rep);
    } else {
        print_table(rep);
    }
    c.rc = 0;
    goto out;
fail:
    /* Name the option an analytics error is about, unless the message does. */
    if (err->field[0] && !str_starts_with(err->msg, "--"))
        cli_error(c.name, "--%s: %s", err->field, err->msg);
    else
        cli_error(c.name, "%s", err->msg);
    error_clear(err); /* printed */
out:
    json_decref(q);
    json_decref(rep);
    return cli_cmd_end(&c);
}
