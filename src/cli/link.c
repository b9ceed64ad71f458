/* link: `kanal link add|list|stats|edit|retire|restore` make tagged short
 * links, change and retire them and read their clicks from the command
 * line, through the same functions as the API. */
#include "cli/cli.h"
#include "cli/options.h"
#include "links/links.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A link's fields as options, the same for add and edit. */
struct link_opts {
    const char *url, *campaign, *channel, *post, *advocate, *code;
    const char *utm[5]; /* source, medium, campaign, term, content */
};
/* clang-format off */
#define LINK_FIELD_OPTS(o) \
    OPT_STRING("url", "URL", NULL, &(o)->url, "where the link leads"), \
    OPT_STRING("campaign", "ID|NAME", NULL, &(o)->campaign, "campaign (fills utm_campaign)"), \
    OPT_STRING("channel", "ID", NULL, &(o)->channel, "channel (fills utm_source and utm_medium)"), \
    OPT_STRING("post", "ID", NULL, &(o)->post, "the post the link is in, for click-through rates"), \
    OPT_STRING("advocate", "NAME", NULL, &(o)->advocate, "the employee sharing it (fills utm_content)")
#define LINK_UTM_OPTS(o) \
    OPT_STRING("utm-source", "S", NULL, &(o)->utm[0], "utm_source"), \
    OPT_STRING("utm-medium", "M", NULL, &(o)->utm[1], "utm_medium"), \
    OPT_STRING("utm-campaign", "C", NULL, &(o)->utm[2], "utm_campaign"), \
    OPT_STRING("utm-term", "T", NULL, &(o)->utm[3], "utm_term"), \
    OPT_STRING("utm-content", "C", NULL, &(o)->utm[4], "utm_content")
/* clang-format on */

/* The options given, under their API names, into `in` (links_create's
 * input or links_update's patch). With `clear` (edit) an empty value
 * takes the field away: an id becomes null, a text "". */
static int link_fields(struct db *db, int64_t ws, const struct link_opts *o, bool clear, json_t *in,
                       struct error *err)
{
    int64_t campaign = 0, n;
    cli_json_put(in, "url", o->url);
    if (o->campaign && clear && !*o->campaign)
        json_object_set_new(in, "campaign_id", json_null());
    else if (o->campaign && cli_lookup(db, "campaigns", "name", o->campaign, ws, &campaign, err))
        return -1;
    if (campaign)
        json_object_set_new(in, "campaign_id", json_integer(campaign));
    const struct {
        const char *key, *option, *value;
    } ids[] = {{"channel_id", "channel", o->channel}, {"post_id", "post", o->post}};
    for (size_t i = 0; i < ARRAY_LEN(ids); i++) {
        if (!ids[i].value)
            continue;
        if (clear && !*ids[i].value) {
            json_object_set_new(in, ids[i].key, json_null());
            continue;
        }
        if (!cli_id(ids[i].value, &n))
            return error_set(err, ERR_INVALID, "--%s must be an id", ids[i].option);
        json_object_set_new(in, ids[i].key, json_integer(n));
    }
    const char *texts[][2] = {{"advocate", o->advocate},   {"code", o->code},
                              {"utm_source", o->utm[0]},   {"utm_medium", o->utm[1]},
                              {"utm_campaign", o->utm[2]}, {"utm_term", o->utm[3]},
                              {"utm_content", o->utm[4]}};
    for (size_t i = 0; i < ARRAY_LEN(texts); i++)
        cli_json_put(in, texts[i][0], texts[i][1]);
    return 0;
}

static void print_warnings(const char *cmd, json_t *link)
{
    size_t i;
    json_t *w;
    json_array_foreach (json_object_get(link, "warnings"), i, w)
        cli_error(cmd, "warning: %s", json_string_value(w));
}

static int link_add(int argc, char **argv)
{
    const char *db_url = DEFAULT_DB, *workspace = NULL;
    struct link_opts o = {0};
    const struct cli_opt opts[] = {
        OPT_DB(&db_url),
        OPT_WORKSPACE(&workspace),
        LINK_FIELD_OPTS(&o),
        OPT_STRING("code", "CODE", NULL, &o.code, "a chosen short code instead of a random one"),
        LINK_UTM_OPTS(&o),
    };
    struct cli_cmd c;
    if (!cli_cmd_begin(&c, argc, argv, opts, ARRAY_LEN(opts),
                       "link add --workspace WS --url URL [--campaign C --channel CH "
                       "--utm-source S ...]",
                       "Makes a short link to URL tagged with UTM parameters and prints "
                       "its code and target.") ||
        (!o.url && !cli_cmd_usage(&c, "--url is required")) || !cli_cmd_open(&c, db_url, workspace))
        return cli_cmd_end(&c);
    json_t *in = json_object(), *link = NULL;
    struct actor who = {0};
    if (link_fields(c.db, c.ws, &o, false, in, &c.err) == 0 &&
        (link = links_create(c.db, c.ws, in, &who, &c.err))) {
        print_warnings(c.name, link);
        printf("%lld\t%s\t%s\n", (long long)json_integer_value(json_object_get(link, "id")),
               json_string_value(json_object_get(link, "short_path")),
               json_string_value(json_object_get(link, "target_url")));
        c.rc = 0;
    }
    json_decref(link);
    json_decref(in);
    return cli_cmd_end(&c);
}

/* edit, retire and restore: one link, named by --link, changed through
 * the functions the API's PATCH, retire and restore call. */
enum { LINK_EDIT, LINK_RETIRE, LINK_RESTORE };

static int link_change(int argc, char **argv, int what)
{
    static const char *const synopses[] = {
        ("link edit --workspace WS --link ID|CODE [--url URL --campaign C --channel CH --post P "
         "--advocate NAME --utm-source S ...]"),
        "link retire --workspace WS --link ID|CODE", "link restore --workspace WS --link ID|CODE"};
    static const char *const abouts[] = {
        "Changes a link's target and what it is counted with (never its code, which printed QR "
        "codes carry); an empty value takes a field away. Prints the link as JSON.",
        "Retires a link: its short link answers 410 Gone and counts nothing, its clicks stay "
        "counted. Prints the link as JSON.",
        "Brings a retired link back. Prints the link as JSON."};
    const char *db_url = DEFAULT_DB, *workspace = NULL, *link_s = NULL;
    struct link_opts o = {0};
    const struct cli_opt opts[] = {
        OPT_DB(&db_url),
        OPT_WORKSPACE(&workspace),
        OPT_STRING("link", "ID|CODE", NULL, &link_s, "the link: its id, or else its code"),
        LINK_FIELD_OPTS(&o),
        LINK_UTM_OPTS(&o),
    };
    struct cli_cmd c;
    bool edit = what == LINK_EDIT;
    if (!cli_cmd_begin(&c, argc, argv, opts, edit ? ARRAY_LEN(opts) : 3, synopses[what],
                       abouts[what]))
        return cli_cmd_end(&c);
    bool changes = o.url || o.campaign || o.channel || o.post || o.advocate;
    for (size_t i = 0; i < ARRAY_LEN(o.utm); i++)
        changes = changes || o.utm[i];
    if (c.p.npos)
        cli_cmd_usage(&c, "unexpected argument '%s' (give the link as --link ID)", c.p.pos[0]);
    else if (!link_s || !*link_s)
        cli_cmd_usage(&c, "--link is required: the link's id or code");
    else if (edit && !changes)
        cli_cmd_usage(&c, "nothing to change: give --url, --campaign, --channel, --post, "
                          "--advocate or a --utm-... option");
    else if (cli_cmd_open(&c, db_url, workspace)) {
        int64_t id = 0;
        struct actor who = {0};
        json_t *patch = json_object(), *out = NULL;
        if (cli_lookup(c.db, "links", "code", link_s, c.ws, &id, &c.err) == 0) {
            if (edit && link_fields(c.db, c.ws, &o, true, patch, &c.err) == 0)
                out = links_update(c.db, c.ws, id, patch, &who, &c.err);
            else if (!edit && link_retire(c.db, c.ws, id, what == LINK_RETIRE, &who, &c.err) == 0)
                out = link_get(c.db, c.ws, id, &c.err);
        }
        if (out) {
            print_warnings(c.name, out);
            cli_print_json(out);
            c.rc = 0;
        }
        cli_cmd_field_error(&c);
        json_decref(patch);
        json_decref(out);
    }
    return cli_cmd_end(&c);
}

static json_t *newest_links(struct db *db, int64_t ws, struct error *err)
{
    struct link_filter f = {0};
    struct page pg = {.limit = MODEL_PAGE_MAX};
    return link_list(db, ws, &f, &pg, err);
}

static void print_link(json_t *l)
{
    printf("%lld\t%s\t%lld\t%s\n", (long long)json_integer_value(json_object_get(l, "id")),
           json_string_value(json_object_get(l, "short_path")),
           (long long)json_integer_value(json_object_get(l, "clicks")),
           json_string_value(json_object_get(l, "target_url")));
}

static int link_list_cmd(int argc, char **argv)
{
    static const struct cli_list l = {"link list --workspace WS",
                                      "Lists the newest 200 links: id, short path, clicks, target.",
                                      newest_links, print_link};
    return cli_list_run(argc, argv, &l);
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
    struct cli_cmd c;
    struct link_filter f = {0};
    if (!cli_cmd_begin(&c, argc, argv, opts, ARRAY_LEN(opts),
                       "link stats --workspace WS [--by WHAT --since DATE --until DATE]",
                       "Prints clicks (without bots), unique visitors and bot clicks "
                       "per group: a table on a terminal, else JSON lines."))
        return cli_cmd_end(&c);
    if (!str_eq(format, "table") && !str_eq(format, "json"))
        cli_cmd_usage(&c, "--format must be table or json");
    else if ((since && time_parse_iso(since, &f.since)) ||
             (until && time_parse_iso(until, &f.until)))
        cli_cmd_usage(&c, "--since and --until take ISO 8601 dates");
    else if (cli_cmd_open(&c, db_url, workspace)) {
        json_t *stats = link_stats(c.db, c.ws, by, &f, &c.err);
        if (stats && str_eq(format, "table"))
            print_table(json_object_get(stats, "items"));
        else if (stats)
            cli_print_json_lines(json_object_get(stats, "items"));
        c.rc = stats ? 0 : 1;
        json_decref(stats);
    }
    return cli_cmd_end(&c);
}

int cmd_link(int argc, char **argv)
{
    static const struct cli_action actions[] = {
        {"add", .run = link_add},
        {"list", .run = link_list_cmd},
        {"stats", .run = link_stats_cmd},
        {"edit", .run_what = link_change, .what = LINK_EDIT},
        {"retire", .run_what = link_change, .what = LINK_RETIRE},
        {"restore", .run_what = link_change, .what = LINK_RESTORE},
    };
    return cli_run_action(argc, argv, actions, ARRAY_LEN(actions));
}
