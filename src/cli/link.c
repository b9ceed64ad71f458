/* link: `kanal link add|list|stats` make tagged short links and read their
 * clicks from the command line, through the same functions as the API. */
#include "cli/cli.h"
#include "cli/options.h"
#include "links/links.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DB_OPT                                                                                     \
    {                                                                                              \
        "db", "PATH|URL", "KANAL_DB", "SQLite file or postgres:// URL", DEFAULT_DB                 \
    }
#define WS_OPT                                                                                     \
    {                                                                                              \
        "workspace", "ID|SLUG", "KANAL_WORKSPACE", "the workspace", NULL                           \
    }

/* An id, or else the row of `table` whose `column` is s (in the workspace
 * when ws is not 0). */
static int lookup(struct db *db, const char *table, const char *column, const char *s, int64_t ws,
                  int64_t *id, struct error *err)
{
    if (str_to_i64(s, id) == 0 && *id > 0)
        return 0;
    char sql[160];
    snprintf(sql, sizeof sql, "SELECT id FROM %s WHERE %s = ?%s", table, column,
             ws ? " AND workspace_id = ?" : "");
    int found = ws ? db_scalar(db, err, id, sql, "ti", s, ws) : db_scalar(db, err, id, sql, "t", s);
    if (found == 0)
        return error_set(err, ERR_NOT_FOUND, "no %.*s '%s'", (int)strlen(table) - 1, table, s);
    return found < 0 ? -1 : 0;
}

/* Opens the store and finds the workspace; prints why not and returns NULL. */
static struct db *open_workspace(const char *cmd, const char *url, const char *ws, int64_t *wsid)
{
    struct error err = {0};
    if (!ws) {
        fprintf(stderr, "kanal link %s: --workspace is required\n", cmd);
        return NULL;
    }
    log_set_level(LOG_WARN);
    struct db *db = cli_open_db(url, &err);
    if (db && lookup(db, "workspaces", "slug", ws, 0, wsid, &err) == 0)
        return db;
    fprintf(stderr, "kanal link %s: %s\n", cmd, err.msg);
    db_close(db);
    return NULL;
}

static int link_add(int argc, char **argv)
{
    struct cli_opt opts[] = {
        DB_OPT,
        WS_OPT,
        {"url", "URL", NULL, "where the link leads", NULL},
        {"campaign", "ID|NAME", NULL, "campaign (fills utm_campaign)", NULL},
        {"channel", "ID", NULL, "channel (fills utm_source and utm_medium)", NULL},
        {"post", "ID", NULL, "the post the link is in, for click-through rates", NULL},
        {"advocate", "NAME", NULL, "the employee sharing it (fills utm_content)", NULL},
        {"code", "CODE", NULL, "a chosen short code instead of a random one", NULL},
        {"utm-source", "S", NULL, "utm_source", NULL},
        {"utm-medium", "M", NULL, "utm_medium", NULL},
        {"utm-campaign", "C", NULL, "utm_campaign", NULL},
        {"utm-term", "T", NULL, "utm_term", NULL},
        {"utm-content", "C", NULL, "utm_content", NULL},
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
    if (!opts[2].value) {
        fprintf(stderr, "kanal link add: --url is required\n");
        goto done;
    }
    int64_t ws = 0;
    struct db *db = open_workspace("add", opts[0].value, opts[1].value, &ws);
    rc = 1;
    if (!db)
        goto done;
    struct error err = {0};
    json_t *in = json_pack("{s:s}", "url", opts[2].value);
    int64_t campaign = 0, n;
    if (opts[3].value && lookup(db, "campaigns", "name", opts[3].value, ws, &campaign, &err))
        goto fail;
    if (campaign)
        json_object_set_new(in, "campaign_id", json_integer(campaign));
    static const char *const ids[] = {"channel_id", "post_id"};
    for (int i = 0; i < 2; i++) {
        if (!opts[4 + i].value)
            continue;
        if (str_to_i64(opts[4 + i].value, &n) || n < 1) {
            error_set(&err, ERR_INVALID, "--%s must be an id", opts[4 + i].name);
            goto fail;
        }
        json_object_set_new(in, ids[i], json_integer(n));
    }
    static const char *const texts[] = {"advocate",     "code",     "utm_source", "utm_medium",
                                        "utm_campaign", "utm_term", "utm_content"};
    for (int i = 0; i < 7; i++)
        if (opts[6 + i].value)
            json_object_set_new(in, texts[i], json_string(opts[6 + i].value));
    struct actor who = {0};
    json_t *link = links_create(db, ws, in, &who, &err);
    if (!link)
        goto fail;
    size_t i;
    json_t *w;
    json_array_foreach (json_object_get(link, "warnings"), i, w) {
        fprintf(stderr, "kanal link add: warning: %s\n", json_string_value(w));
    }
    printf("%lld\t%s\t%s\n", (long long)json_integer_value(json_object_get(link, "id")),
           json_string_value(json_object_get(link, "short_path")),
           json_string_value(json_object_get(link, "target_url")));
    json_decref(link);
    rc = 0;
fail:
    if (rc)
        fprintf(stderr, "kanal link add: %s\n", err.msg);
    json_decref(in);
    db_close(db);
done:
    cli_parse_free(&p);
    return rc;
}

static int link_list_cmd(int argc, char **argv)
{
    struct cli_opt opts[] = {DB_OPT, WS_OPT};
    struct cli_parse p;
    int rc = cli_parse_options(argc, argv, opts, ARRAY_LEN(opts), "link list --workspace WS",
                               "Lists the newest 200 links: id, short path, clicks, target.", &p);
    if (p.stop)
        goto done;
    int64_t ws = 0;
    struct db *db = open_workspace("list", opts[0].value, opts[1].value, &ws);
    rc = 1;
    if (!db)
        goto done;
    struct error err = {0};
    struct link_filter f = {0};
    struct page pg = {.limit = MODEL_PAGE_MAX};
    json_t *list = link_list(db, ws, &f, &pg, &err);
    db_close(db);
    if (!list) {
        fprintf(stderr, "kanal link list: %s\n", err.msg);
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

static int link_stats_cmd(int argc, char **argv)
{
    struct cli_opt opts[] = {
        DB_OPT,
        WS_OPT,
        {"by", "WHAT", NULL, "link, campaign, channel, post, day or advocate", "link"},
        {"since", "DATE", NULL, "first day (ISO 8601)", NULL},
        {"until", "DATE", NULL, "end, not included (ISO 8601)", NULL},
    };
    struct cli_parse p;
    int rc = cli_parse_options(argc, argv, opts, ARRAY_LEN(opts),
                               "link stats --workspace WS [--by WHAT --since DATE --until DATE]",
                               "Prints clicks (without bots), unique visitors and bot clicks, "
                               "as JSON lines, one per group.",
                               &p);
    if (p.stop)
        goto done;
    int64_t ws = 0;
    struct link_filter f = {0};
    rc = 2;
    if ((opts[3].value && time_parse_iso(opts[3].value, &f.since)) ||
        (opts[4].value && time_parse_iso(opts[4].value, &f.until))) {
        fprintf(stderr, "kanal link stats: --since and --until take ISO 8601 dates\n");
        goto done;
    }
    struct db *db = open_workspace("stats", opts[0].value, opts[1].value, &ws);
    rc = 1;
    if (!db)
        goto done;
    struct error err = {0};
    json_t *stats = link_stats(db, ws, opts[2].value, &f, &err);
    db_close(db);
    if (!stats) {
        fprintf(stderr, "kanal link stats: %s\n", err.msg);
        goto done;
    }
    size_t i;
    json_t *row;
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
        {"add", link_add},
        {"list", link_list_cmd},
        {"stats", link_stats_cmd},
    };
    return cli_run_action(argc, argv, actions, ARRAY_LEN(actions));
}
