/* monthly: the monthly report as one self-contained HTML file (inline CSS
 * and SVG charts, no scripts, no outside requests), for mailing to a
 * director or printing. Everything from the store is escaped. */
#include "report/report.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void esc(struct buf *b, const char *s)
{
    buf_html_escape(b, s ? s : "");
}

static double num(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

/* "12 345", "3.21 %", "3 h 50 min", "–" for missing. */
static void fmt(struct buf *b, double v, const char *kind)
{
    if (isnan(v)) {
        buf_puts(b, "–");
        return;
    }
    if (str_eq(kind, "pct")) {
        buf_printf(b, "%.2f %%", v * 100);
    } else if (str_eq(kind, "dur")) {
        buf_printf(b, "%d h %02d min", (int)(v / 3600), (int)(v / 60) % 60);
    } else {
        char digits[32], out[48];
        snprintf(digits, sizeof digits, "%.0f", fabs(v));
        size_t n = strlen(digits), o = 0;
        if (v < 0)
            out[o++] = '-';
        for (size_t i = 0; i < n; i++) {
            if (i && (n - i) % 3 == 0)
                out[o++] = ' ';
            out[o++] = digits[i];
        }
        assert(o < sizeof out); /* 31 digits, 10 spaces and a sign at most */
        out[o] = '\0';
        buf_puts(b, out);
    }
}

/* The arrow says which way the number went; the colour whether that is good
 * (for response times, lower is better). */
static void change(struct buf *b, json_t *rep, const char *k, bool lower_is_better)
{
    json_t *c = json_object_get(json_object_get(rep, "change"), k);
    double rel = num(c, "relative");
    if (isnan(rel))
        return;
    bool good = (rel >= 0) != lower_is_better;
    buf_printf(b, "<span class=\"%s\">%s%.0f %% vs previous month</span>", good ? "up" : "down",
               rel >= 0 ? "▲ " : "▼ ", fabs(rel) * 100);
}

static void tile(struct buf *b, json_t *rep, const char *k, const char *title, const char *kind)
{
    buf_printf(b, "<div class=\"tile\"><div class=\"k\">%s</div><div class=\"v\">", title);
    fmt(b, num(json_object_get(rep, "total"), k), kind);
    buf_puts(b, "</div>");
    change(b, rep, k, str_eq(kind, "dur"));
    buf_puts(b, "</div>\n");
}

/* At most `max` characters of s, with an ellipsis when cut. */
static void short_label(struct buf *b, const char *s, size_t max)
{
    const char *p = s ? s : "";
    size_t chars = 0;
    while (*p && chars < max) {
        p++;
        while ((*p & 0xC0) == 0x80)
            p++;
        chars++;
    }
    char *cut = xstrdup(s ? s : "");
    cut[p - (s ? s : "")] = '\0';
    esc(b, cut);
    if (*p)
        buf_puts(b, "…");
    free(cut);
}

/* The largest value of k over rows, 0 when none is above 0: the bars' scale. */
static double largest(json_t *rows, const char *k)
{
    double max = 0;
    size_t i;
    json_t *r;
    json_array_foreach (rows, i, r) {
        double v = num(r, k);
        if (!isnan(v) && v > max)
            max = v;
    }
    return max;
}

/* Horizontal bars: one per row of `rows`, labelled, scaled to the largest. */
static void bars(struct buf *b, json_t *rows, const char *k, const char *kind, const char *title)
{
    size_t n = json_array_size(rows), i;
    double max = largest(rows, k);
    json_t *r;
    int h = 26, w = 640, left = 220;
    buf_printf(b,
               "<figure><figcaption>%s</figcaption><svg viewBox=\"0 0 %d %zu\" role=\"img\" "
               "aria-label=\"",
               title, w + 120, n * (size_t)h + 10);
    esc(b, title);
    buf_puts(b, "\">\n");
    json_array_foreach (rows, i, r) {
        double v = num(r, k);
        double len = max > 0 && !isnan(v) ? (double)(w - left) * v / max : 0;
        buf_printf(b, "<text x=\"%d\" y=\"%zu\" class=\"l\">", left - 8, i * (size_t)h + 18);
        short_label(b, json_string_value(json_object_get(r, "label")), 30);
        buf_printf(b,
                   "</text><rect x=\"%d\" y=\"%zu\" width=\"%.1f\" height=\"%d\"/>"
                   "<text x=\"%.1f\" y=\"%zu\">",
                   left, i * (size_t)h + 5, len, h - 8, left + len + 6, i * (size_t)h + 18);
        fmt(b, v, kind);
        buf_puts(b, "</text>\n");
    }
    buf_puts(b, "</svg></figure>\n");
}

/* Columns over the days of the month. */
static void daily(struct buf *b, json_t *rows, const char *k, const char *title)
{
    size_t n = json_array_size(rows), i;
    double max = largest(rows, k);
    json_t *r;
    int w = 760, h = 180, bw = n ? (w - 40) / (int)n : 0;
    buf_printf(b, "<figure><figcaption>%s</figcaption><svg viewBox=\"0 0 %d %d\" role=\"img\">\n",
               title, w, h + 30);
    json_array_foreach (rows, i, r) {
        double v = num(r, k), bh = max > 0 && !isnan(v) ? (h - 10) * v / max : 0;
        buf_printf(b, "<rect x=\"%zu\" y=\"%.1f\" width=\"%d\" height=\"%.1f\"><title>",
                   30 + i * (size_t)bw, h - bh, bw > 2 ? bw - 2 : 1, bh);
        esc(b, json_string_value(json_object_get(r, "label")));
        buf_puts(b, ": ");
        fmt(b, v, "int");
        buf_puts(b, "</title></rect>\n");
        if (i % 7 == 0) {
            buf_printf(b, "<text x=\"%zu\" y=\"%d\" class=\"d\">", 30 + i * (size_t)bw, h + 18);
            esc(b, json_string_value(json_object_get(r, "label")) + 5);
            buf_puts(b, "</text>\n");
        }
    }
    buf_puts(b, "</svg></figure>\n");
}

static void top_posts(struct buf *b, json_t *top)
{
    buf_puts(b, "<h2>Top posts</h2><ol class=\"top\">\n");
    size_t i;
    json_t *p;
    json_array_foreach (json_object_get(top, "posts"), i, p) {
        buf_puts(b, "<li><div class=\"meta\">");
        esc(b, json_string_value(json_object_get(p, "channel")));
        buf_puts(b, " (");
        esc(b, json_string_value(json_object_get(p, "platform")));
        buf_puts(b, ") · ");
        esc(b, json_string_value(json_object_get(p, "format")));
        buf_puts(b, " · ");
        fmt(b, num(p, "interactions"), "int");
        buf_puts(b, " interactions");
        if (!isnan(num(p, "er_reach"))) {
            buf_puts(b, " · ER ");
            fmt(b, num(p, "er_reach"), "pct");
        }
        const char *link = json_string_value(json_object_get(p, "permalink"));
        if (link && (str_starts_with(link, "https://") || str_starts_with(link, "http://"))) {
            buf_puts(b, " · <a href=\"");
            esc(b, link);
            buf_puts(b, "\">open</a>");
        }
        buf_puts(b, "</div><p>");
        const char *body = json_string_value(json_object_get(p, "body"));
        char excerpt[281];
        snprintf(excerpt, sizeof excerpt, "%s", body);
        /* Do not cut a character in half. */
        size_t n = strlen(excerpt);
        while (n && ((unsigned char)excerpt[n - 1] & 0xC0) == 0x80)
            n--;
        if (n && (unsigned char)excerpt[n - 1] >= 0xC0)
            n--;
        if (strlen(body) > 280)
            excerpt[n] = '\0';
        esc(b, excerpt);
        buf_puts(b, "</p></li>\n");
    }
    buf_puts(b, "</ol>\n");
}

/* The channel table's cells after the first, and the row's end. */
static void channel_cells(struct buf *b, json_t *kpis)
{
    static const struct {
        const char *k, *kind;
    } cols[] = {{"posts", "int"},           {"reach", "int"},        {"impressions", "int"},
                {"interactions", "int"},    {"er_reach", "pct"},     {"ctr", "pct"},
                {"follower_growth", "int"}, {"response_rate", "pct"}};
    for (size_t c = 0; c < ARRAY_LEN(cols); c++) {
        buf_puts(b, "</td><td>");
        fmt(b, num(kpis, cols[c].k), cols[c].kind);
    }
    buf_puts(b, "</td></tr>\n");
}

static const char css[] =
    "body{font:15px/1.45 system-ui,sans-serif;color:#1d2330;max-width:60rem;margin:2rem auto;"
    "padding:0 1rem}h1{color:#1f5fbf;margin-bottom:0}.sub{color:#5b6475}"
    ".tiles{display:grid;grid-template-columns:repeat(4,1fr);gap:.7rem;margin:1.5rem 0}"
    ".tile{border:1px solid #dde2ea;border-radius:6px;padding:.6rem .8rem}.k{color:#5b6475;"
    "font-size:.8rem}.v{font-size:1.35rem;font-weight:600}.up{color:#1a7f37;font-size:.75rem}"
    ".down{color:#b00020;font-size:.75rem}figure{margin:1.5rem 0}figcaption{font-weight:600;"
    "margin-bottom:.4rem}svg{width:100%;height:auto}rect{fill:#1f5fbf}text{font-size:12px;"
    "fill:#1d2330}text.l{text-anchor:end}text.d{fill:#5b6475;font-size:11px}"
    "table{border-collapse:collapse;width:100%}th,td{text-align:right;padding:.3rem .5rem;"
    "border-bottom:1px solid #dde2ea}.prev "
    "td{color:#5b6475;font-size:.8rem}th:first-child,td:first-child{text-align:left}"
    ".top li{margin-bottom:.6rem}.meta{color:#5b6475;font-size:.8rem}.top p{margin:.1rem 0}"
    "footer{color:#5b6475;font-size:.8rem;margin-top:2rem}@media print{.tiles{"
    "grid-template-columns:repeat(4,1fr)}}";

int report_html_month(struct db *db, int64_t workspace_id, const char *month, struct buf *out,
                      struct error *err)
{
    unsigned y, m;
    char since[16], until[16], extra;
    if (!month || sscanf(month, "%4u-%2u%c", &y, &m, &extra) != 2 || strlen(month) != 7 || m < 1 ||
        m > 12 || y < 1970 || y > 9998)
        return error_field(err, ERR_INVALID, "month", "a month is written 2026-10");
    snprintf(since, sizeof since, "%04u-%02u-01", y, m);
    snprintf(until, sizeof until, "%04u-%02u-01", m == 12 ? y + 1 : y, m == 12 ? 1 : m + 1);
    json_t *ws = entity_get(db, &entity_workspace, 0, workspace_id, err);
    json_t *q = json_pack("{s:s, s:s, s:s}", "since", since, "until", until, "compare", "previous");
    json_t *total = NULL, *by_day = NULL, *by_channel = NULL, *by_format = NULL, *ins = NULL,
           *top = NULL;
    struct analytics_query aq;
    int rc = -1;
    if (!ws || analytics_query_parse(db, workspace_id, q, NULL, &aq, err) ||
        !(total = analytics_report(db, workspace_id, &aq, err)))
        goto done;
    aq.by = BY_CHANNEL; /* each channel beside its previous month */
    if (!(by_channel = analytics_report(db, workspace_id, &aq, err)))
        goto done;
    aq.compare = false;
    aq.by = BY_DAY;
    if (!(by_day = analytics_report(db, workspace_id, &aq, err)))
        goto done;
    aq.by = BY_FORMAT;
    if (!(by_format = analytics_report(db, workspace_id, &aq, err)))
        goto done;
    if (!(ins = analytics_insights(db, workspace_id, &aq, err)) ||
        !(top = analytics_top_posts(db, workspace_id, &aq, 5, err)))
        goto done;

    struct buf *b = out;
    buf_puts(b, "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>");
    esc(b, json_string_value(json_object_get(ws, "name")));
    buf_printf(b, " · %s</title><style>%s</style></head><body>\n<h1>", month, css);
    esc(b, json_string_value(json_object_get(ws, "name")));
    buf_printf(b, "</h1><p class=\"sub\">Monthly report, %s (%s to %s, ", month, since, until);
    esc(b, json_string_value(json_object_get(total, "timezone")));
    buf_puts(b, "; until exclusive)</p>\n<div class=\"tiles\">\n");
    tile(b, total, "posts", "Posts", "int");
    tile(b, total, "reach", "Reach", "int");
    tile(b, total, "interactions", "Interactions", "int");
    tile(b, total, "er_reach", "Engagement rate (reach)", "pct");
    tile(b, total, "er_followers", "Engagement rate (followers)", "pct");
    tile(b, total, "follower_growth", "Follower growth", "int");
    tile(b, total, "response_rate", "Response rate", "pct");
    tile(b, total, "median_response_seconds", "Median first response", "dur");
    buf_puts(b, "</div>\n");
    daily(b, json_object_get(by_day, "rows"), "interactions", "Interactions per day");
    bars(b, json_object_get(by_channel, "rows"), "interactions", "int", "Interactions by channel");
    bars(b, json_object_get(by_channel, "rows"), "er_reach", "pct",
         "Engagement rate by reach, by channel");
    bars(b, json_object_get(by_format, "rows"), "er_reach", "pct", "Engagement rate by format");

    buf_puts(b, "<h2>Channels</h2><table><tr><th>Channel</th><th>Posts</th><th>Reach</th>"
                "<th>Impressions</th><th>Interactions</th><th>ER reach</th><th>CTR</th>"
                "<th>Followers ±</th><th>Answered</th></tr>\n");
    size_t i;
    json_t *r;
    json_array_foreach (json_object_get(by_channel, "rows"), i, r) {
        buf_puts(b, "<tr><td>");
        esc(b, json_string_value(json_object_get(r, "label")));
        channel_cells(b, r);
        buf_puts(b, "<tr class=\"prev\"><td>previous month");
        channel_cells(b, json_object_get(r, "previous"));
    }
    buf_puts(b, "</table>\n");
    top_posts(b, top);
    /* What works: only lifts whose interval excludes zero are worth a line. */
    buf_puts(b, "<h2>What worked this month</h2><ul>\n");
    int shown = 0;
    json_array_foreach (json_object_get(ins, "lifts"), i, r) {
        json_t *ci = json_object_get(r, "lift_ci95");
        double lo = json_number_value(json_array_get(ci, 0)),
               hi = json_number_value(json_array_get(ci, 1));
        if (!json_is_array(ci) || (lo <= 0 && hi >= 0))
            continue;
        buf_puts(b, "<li>");
        esc(b, json_string_value(json_object_get(r, "feature")));
        buf_puts(b, " <b>");
        esc(b, json_string_value(json_object_get(r, "value")));
        buf_printf(
            b, "</b>: engagement %+.0f %% (95 %% interval %+.0f %% to %+.0f %%, %lld posts)</li>\n",
            num(r, "lift") * 100, lo * 100, hi * 100,
            (long long)json_integer_value(json_object_get(r, "posts")));
        shown++;
    }
    if (!shown)
        buf_puts(b, "<li>No feature made a clear difference this month.</li>\n");
    buf_puts(b,
             "</ul>\n<footer>Interactions are reactions + comments + shares + saves. Engagement "
             "rate by reach is interactions / reach over the month's posts; by followers, the "
             "mean of daily rates. Response rate: answered / incoming messages; first response "
             "time: to the organisation's first reply. Made by kanal.</footer>\n</body></html>\n");
    rc = 0;
done:
    json_decref(ws);
    json_decref(q);
    json_decref(total);
    json_decref(by_day);
    json_decref(by_channel);
    json_decref(by_format);
    json_decref(ins);
    json_decref(top);
    return rc;
}
