/* link: `kanal link add|list|stats` make tagged short links and read their
 * clicks from the command line, through the same functions as the API. */
#include "cli/cli.h"
#include "cli/options.h"
#include "links/links.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Every action has the store and the workspace. */

static int link_add(int argc, char **argv)
{
    const char *db_url = DEFAULT_DB, *workspace = NULL, *url = NULL, *campaign_s = NULL,
               *channel = NULL, *post = NULL, *advocate = NULL, *code = NULL, *utm_source = NULL,
               *utm_medium = NULL, *utm_campaign = NULL, *utm_term = NULL, *utm_content = NULL;
    const struct cli_opt opts[] = {
        OPT_DB(&db_url),
        OPT_WORKSPACE(&workspace),
        OPT_STRING("url", "URL", NULL, &url, "where the link leads"),
        OPT_STRING("campaign", "ID|NAME", NULL, &campaign_s, "campaign (fills utm_campaign)"),
        OPT_STRING("channel", "ID", NULL, &channel, "channel (fills utm_source and utm_medium)"),
        OPT_STRING("post", "ID", NULL, &post, "the post the link is in, for click-through rates"),
        OPT_STRING("advocate", "NAME", NULL, &advocate,
                   "the employee sharing it (fills utm_content)"),
        OPT_STRING("code", "CODE", NULL, &code, "a chosen short code instead of a random one"),
        OPT_STRING("utm-source", "S", NULL, &utm_source, "utm_source"),
        OPT_STRING("utm-medium", "M", NULL, &utm_medium, "utm_medium"),
        OPT_STRING("utm-campaign", "C", NULL, &utm_campaign, "utm_campaign"),
        OPT_STRING("utm-term", "T", NULL, &utm_term, "utm_term"),
        OPT_STRING("utm-content", "C", NULL, &utm_content, "utm_content"),
    };
    struct cli_parse p;
    int rc = cli_parse_options(argc, argv, opts, ARRAY_LEN(opts),
                               "link add --workspace WS --url URL [--campaign C --channel CH "
                               "--utm-source S ...]",
                               "Makes a short link to URL tagged with UTM parameters and prints "
                               "its code and target.",
                               &p);
    if (p.stop)
        goto done;
    rc = 2;
    if (!url) {
        cli_error("link add", "--url is required");
        goto done;
    }
    int64_t ws = 0;
    struct db *db = cli_open_workspace("link add", db_url, workspace, &ws);
    rc = 1;
    if (!db)
        goto done;
    struct error err = {0};
    json_t *in = json_pack("{s:s}", "url", url);
    int64_t campaign = 0, n;
    if (campaign_s && cli_lookup(db, "campaigns", "name", campaign_s, ws, &campaign, &err))
        goto fail;
    if (campaign)
        json_object_set_new(in, "campaign_id", json_integer(campaign));
    /* The optional fields of the link, each under its API name. */
    const struct {
        const char *key, *option, *value;
    } ids[] = {{"channel_id", "channel", channel}, {"post_id", "post", post}};
    const struct {
        const char *key, *value;
    } texts[] = {{"advocate", advocate},         {"code", code},
                 {"utm_source", utm_source},     {"utm_medium", utm_medium},
                 {"utm_campaign", utm_campaign}, {"utm_term", utm_term},
                 {"utm_content", utm_content}};
    for (size_t i = 0; i < ARRAY_LEN(ids); i++) {
        if (!ids[i].value)
            continue;
        if (str_to_i64(ids[i].value, &n) || n < 1) {
            error_set(&err, ERR_INVALID, "--%s must be an id", ids[i].option);
            goto fail;
        }
        json_object_set_new(in, ids[i].key, json_integer(n));
    }
    for (size_t i = 0; i < ARRAY_LEN(texts); i++)
        if (texts[i].value)
            json_object_set_new(in, texts[i].key, json_string(texts[i].value));
    struct actor who = {0};
    json_t *link = links_create(db, ws, in, &who, &err);
    if (!link)
        goto fail;
    size_t i;
    json_t *w;
    json_array_foreach (json_object_get(link, "warnings"), i, w) {
        cli_error("link add", "warning: %s", json_string_value(w));
    }
    printf("%lld\t%s\t%s\n", (long long)json_integer_value(json_object_get(link, "id")),
           json_string_value(json_object_get(link, "short_path")),
           json_string_value(json_object_get(link, "target_url")));
    json_decref(link);
    rc = 0;
fail:
    if (rc)
        cli_error("link add", "%s", err.msg);
    json_decref(in);
    db_close(db);
done:
    cli_parse_free(&p);
    return rc;
}

static int link_list_cmd(int argc, char **argv)
{
    const char *db_url = DEFAULT_DB, *workspace = NULL;
    const struct cli_opt opts[] = {OPT_DB(&db_url), OPT_WORKSPACE(&workspace)};
    struct cli_parse p;
    int rc = cli_parse_options(argc, argv, opts, ARRAY_LEN(opts), "link list --workspace WS",
                               "Lists the newest 200 links: id, short path, clicks, target.", &p);
    if (p.stop)
        goto done;
    int64_t ws = 0;
    struct db *db = cli_open_workspace("link list", db_url, workspace, &ws);
    rc = 1;
    if (!db)
        goto done;
    struct error err = {0};
    struct link_filter f = {0};
    struct page pg = {.limit = MODEL_PAGE_MAX};
    json_t *list = link_list(db, ws, &f, &pg, &err);
    db_close(db);
    if (!list) {
        cli_error("link list", "%s", err.msg);
        goto done;
    }
    size_t i;
    json_t *l;
    json_array_foreach (json_object_get(list, "items"), i, l) {
        printf("%lld\t%s\t%lld\t%s\n", (long long)json_integer_value(json_object_get(l, "id")),
               json_string_value(json_object_get(l, "short_path")),
               (long long)json_integer_value(json_object_get(l, "clicks")),
               json_string_value(json_object_get(l, "target_url")));
    }
    json_decref(list);
    rc = 0;
done:
    cli_parse_free(&p);
    return rc;
}

/* A JSON scalar as a table cell; `space` holds a number's digits. */
static const char *cell_text(json_t *v, char space[32])
{
    if (json_is_string(v))
        return json_string_value(v);
    if (json_is_integer(v))
        snprintf(space, 32, "%lld", (long long)json_integer_value(v));
    else if (json_is_real(v))
        snprintf(space, 32, "%.4g", json_real_value(v));
    else if (json_is_boolean(v))
        return json_is_true(v) ? "yes" : "no";
    else
        return "-";
    return space;
}

/* Rows of flat objects as a table for a person: a column per key of the
 * first row, as wide as its longest cell; a column of numbers (and nulls,
 * shown as -) to the right. */
static void print_table(json_t *items)
{
    json_t *first = json_array_get(items, 0);
    size_t ncol = json_object_size(first), i, c;
    if (!ncol)
        return;
    size_t *width = xcalloc(ncol, sizeof *width);
    bool *right = xcalloc(ncol, sizeof *right);
    const char *key;
    json_t *v, *row;
    char space[32];
    c = 0;
    json_object_foreach (first, key, v)
        width[c++] = strlen(key);
    json_array_foreach (items, i, row) {
        c = 0;
        json_object_foreach (first, key, v) {
            json_t *cell = json_object_get(row, key);
            size_t w = cli_text_width(cell_text(cell, space));
            width[c] = w > width[c] ? w : width[c];
            right[c] = right[c] || json_is_number(cell);
            c++;
        }
    }
    for (i = 0; i <= json_array_size(items); i++) {
        row = i ? json_array_get(items, i - 1) : NULL;
        c = 0;
        json_object_foreach (first, key, v) {
            const char *s = row ? cell_text(json_object_get(row, key), space) : key;
            size_t pad = width[c] - cli_text_width(s);
            printf("%s%*s%s%*s", c ? "  " : "", right[c] ? (int)pad : 0, "", s,
                   right[c] || c == ncol - 1 ? 0 : (int)pad, "");
            c++;
        }
        fputc('\n', stdout);
    }
    free(width);
    free(right);
}

static int link_stats_cmd(int argc, char **argv)
{
    const char *db_url = DEFAULT_DB, *workspace = NULL, *by = "link", *since = NULL, *until = NULL,
               *format = isatty(STDOUT_FILENO) ? "table" : "json";
    const struct cli_opt opts[] = {
        OPT_DB(&db_url),
        OPT_WORKSPACE(&workspace),
        OPT_STRING("by", "WHAT", NULL, &by, "link, campaign, channel, post, day or advocate"),
        OPT_STRING("since", "DATE", NULL, &since, "first day (ISO 8601)"),
        OPT_STRING("until", "DATE", NULL, &until, "end, not included (ISO 8601)"),
        OPT_STRING("format", "FMT", NULL, &format,
                   "table or json (JSON lines; the default when not on a terminal)"),
    };
    struct cli_parse p;
    int rc = cli_parse_options(argc, argv, opts, ARRAY_LEN(opts),
                               "link stats --workspace WS [--by WHAT --since DATE --until DATE]",
                               "Prints clicks (without bots), unique visitors and bot clicks "
                               "per group: a table on a terminal, else JSON lines.",
                               &p);
    if (p.stop)
        goto done;
    int64_t ws = 0;
    struct link_filter f = {0};
    rc = 2;
    if (!str_eq(format, "table") && !str_eq(format, "json")) {
        cli_error("link stats", "--format must be table or json");
        goto done;
    }
    if ((since && time_parse_iso(since, &f.since)) || (until && time_parse_iso(until, &f.until))) {
        cli_error("link stats", "--since and --until take ISO 8601 dates");
        goto done;
    }
    struct db *db = cli_open_workspace("link stats", db_url, workspace, &ws);
    rc = 1;
    if (!db)
        goto done;
    struct error err = {0};
    json_t *stats = link_stats(db, ws, by, &f, &err);
    db_close(db);
    if (!stats) {
        cli_error("link stats", "%s", err.msg);
        goto done;
    }
    size_t i;
    json_t *row;
    if (str_eq(format, "table"))
        print_table(json_object_get(stats, "items"));
    else
        json_array_foreach (json_object_get(stats, "items"), i, row) {
            char *s = json_dumps(row, JSON_COMPACT | JSON_PRESERVE_ORDER);
            printf("%s\n", s);
            free(s);
        }
    json_decref(stats);
    rc = 0;
done:
    cli_parse_free(&p);
    return rc;
}

int cmd_link(int argc, char **argv)
{
    static const struct cli_action actions[] = {
        {"add", .run = link_add},
        {"list", .run = link_list_cmd},
        {"stats", .run = link_stats_cmd},
    };
    return cli_run_action(argc, argv, actions, ARRAY_LEN(actions));
}
