/* listen: `kanal listen parse FILE` reads a feed file as the fetcher would
 * and prints what kanal understood as JSON, for checking feeds by hand and
 * for the corpus test (tests/e2e/test_listen_corpus.py); `listen source
 * add|list|remove` keeps a workspace's sources and `listen fetch` fetches
 * them once, now. */
#include "cli/cli.h"
#include "cli/options.h"
#include "db/db.h"
#include "listen/listen.h"
#include "model/model.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void put_str(json_t *o, const char *key, const char *s)
{
    json_object_set_new(o, key, s ? json_string(s) : json_null());
}

static void put_time(json_t *o, const char *key, bool has, int64_t t)
{
    json_object_set_new(o, key, has ? json_integer(t) : json_null());
}

static json_t *feed_json(const struct feed *f)
{
    json_t *o = json_object();
    put_str(o, "version", f->version);
    put_str(o, "encoding", f->encoding);
    json_object_set_new(o, "bozo", json_boolean(f->bozo));
    put_str(o, "bozo_reason", f->bozo_reason);
    put_str(o, "title", f->title);
    put_str(o, "link", f->link);
    put_str(o, "lang", f->lang);
    put_str(o, "subtitle", f->subtitle);
    put_str(o, "author", f->author);
    put_str(o, "author_email", f->author_email);
    json_t *a = json_array();
    for (size_t i = 0; i < f->n_entries; i++) {
        const struct feed_entry *e = &f->entries[i];
        json_t *j = json_object();
        put_str(j, "title", e->title);
        put_str(j, "link", e->link);
        put_str(j, "guid", e->guid);
        put_str(j, "author", e->author);
        put_str(j, "author_email", e->author_email);
        put_str(j, "author_uri", e->author_uri);
        put_str(j, "summary", e->summary);
        put_str(j, "content", e->content);
        put_str(j, "lang", e->lang);
        put_time(j, "published", e->has_published, e->published);
        put_time(j, "updated", e->has_updated, e->updated);
        json_array_append_new(a, j);
    }
    json_object_set_new(o, "entries", a);
    return o;
}

static int listen_parse(int argc, char **argv)
{
    const char *ct = NULL, *url = NULL, *clang = NULL;
    const struct cli_opt opts[] = {
        OPT_STRING("content-type", "TYPE", NULL, &ct, "the Content-Type it was served with"),
        OPT_STRING("url", "URL", NULL, &url, "the address it came from (for relative links)"),
        OPT_STRING("content-language", "LANG", NULL, &clang, "the Content-Language it had"),
    };
    struct cli_cmd c;
    if (!cli_cmd_begin(&c, argc, argv, opts, ARRAY_LEN(opts), "listen parse FILE",
                       "Reads a feed file (RSS, Atom or JSON Feed) and prints what was read of it "
                       "as JSON.") ||
        (c.p.npos != 1 && !cli_cmd_usage(&c, "give one feed file")))
        return cli_cmd_end(&c);
    c.rc = 1;
    struct buf b = {0};
    struct feed f;
    struct feed_origin o = {.content_type = ct, .url = url, .content_language = clang};
    if (buf_read_file(&b, c.p.pos[0], FEED_MAX_BYTES, &c.err) < 0) {
        /* c.err says "PATH: why" */
    } else if (feed_parse(b.data, b.len, &o, &f, &c.err) < 0) {
        cli_error(c.name, "%s: %s", c.p.pos[0], c.err.msg);
        error_clear(&c.err); /* printed with the file's name */
    } else {
        json_t *j = feed_json(&f);
        cli_print_json_doc(j, JSON_INDENT(1) | JSON_ENSURE_ASCII);
        json_decref(j);
        feed_free(&f);
        c.rc = 0;
    }
    buf_free(&b);
    return cli_cmd_end(&c);
}

static int source_add(int argc, char **argv)
{
    const char *db_url = DEFAULT_DB, *workspace = NULL, *kind = "feed", *interval_s = "900";
    struct page_selectors sel = {0};
    const struct cli_opt opts[] = {
        OPT_DB(&db_url),
        OPT_WORKSPACE(&workspace),
        OPT_STRING("kind", "KIND", NULL, &kind,
                   "feed, html, sitemap, mastodon_tag or mastodon_public (feed)"),
        OPT_STRING("interval", "SECONDS", NULL, &interval_s, "time between fetches (900)"),
        OPT_STRING("select-item", "CSS", NULL, &sel.item, "html: the elements that are items"),
        OPT_STRING("select-title", "CSS", NULL, &sel.title, "html: an item's title"),
        OPT_STRING("select-link", "CSS", NULL, &sel.link, "html: an item's link"),
        OPT_STRING("select-time", "CSS", NULL, &sel.time, "html: an item's time"),
        OPT_STRING("select-author", "CSS", NULL, &sel.author, "html: an item's author"),
    };
    struct cli_cmd c;
    int64_t interval = 0, id;
    if (!cli_cmd_begin(&c, argc, argv, opts, ARRAY_LEN(opts), "listen source add URL",
                       "Adds a source the workspace watches: a feed, an HTML page read "
                       "with CSS selectors, a sitemap, or a Mastodon hashtag "
                       "(https://SERVER/tags/NAME) or public timeline (https://SERVER/).") ||
        ((c.p.npos != 1 || str_to_i64(interval_s, &interval)) &&
         !cli_cmd_usage(&c, "give one URL (and --interval as a number of seconds)")) ||
        !cli_cmd_open(&c, db_url, workspace))
        return cli_cmd_end(&c);
    struct listen_source_in in = {
        .url = c.p.pos[0], .format = kind, .interval_s = interval, .selectors = sel};
    if (listen_source_add(c.db, c.ws, &in, &id, &c.err) >= 0) {
        printf("source %lld: %s\n", (long long)id, c.p.pos[0]);
        c.rc = 0;
    }
    return cli_cmd_end(&c);
}

/* A source as a line: id, kind, items, state (ok, or the failures in a row
 * and the last error), the next fetch, url. */
static void print_source(json_t *s)
{
    const char *error = json_string_value(json_object_get(s, "last_error"));
    long long failures = (long long)json_integer_value(json_object_get(s, "failures"));
    printf("%lld\t%s\t%lld items\t", (long long)json_integer_value(json_object_get(s, "id")),
           json_string_value(json_object_get(s, "kind")),
           (long long)json_integer_value(json_object_get(s, "items")));
    if (error)
        printf("failed %lldx: %s", failures, error);
    else
        printf("ok");
    printf("\tnext %s\t%s\n", json_string_value(json_object_get(s, "next_fetch")),
           json_string_value(json_object_get(s, "url")));
}

static int source_list(int argc, char **argv)
{
    static const struct cli_list l = {"listen source list",
                                      "Lists the workspace's sources: id, items, last error, url.",
                                      listen_sources_list, print_source};
    return cli_list_run(argc, argv, &l);
}

static int source_remove(int argc, char **argv)
{
    const char *db_url = DEFAULT_DB, *workspace = NULL;
    const struct cli_opt opts[] = {OPT_DB(&db_url), OPT_WORKSPACE(&workspace)};
    struct cli_cmd c;
    int64_t id = 0;
    if (cli_cmd_begin(&c, argc, argv, opts, ARRAY_LEN(opts), "listen source remove ID",
                      "Removes a source and the items read from it.") &&
        cli_cmd_id_arg(&c, &id, "give one source id") && cli_cmd_open(&c, db_url, workspace) &&
        listen_source_remove(c.db, c.ws, id, &c.err) >= 0)
        c.rc = 0;
    return cli_cmd_end(&c);
}

static int listen_fetch_cmd(int argc, char **argv)
{
    const char *db_url = DEFAULT_DB, *workspace = NULL, *source_s = NULL, *timeout_s = "30",
               *max_s = "10485760", *delay_s = "1000";
    bool allow_private = false;
    const struct cli_opt opts[] = {
        OPT_DB(&db_url),
        OPT_WORKSPACE(&workspace),
        OPT_STRING("source", "ID", NULL, &source_s, "only this source"),
        OPT_STRING("timeout", "SECONDS", "KANAL_LISTEN_TIMEOUT", &timeout_s,
                   "a fetch's whole time (30)"),
        OPT_STRING("max-bytes", "N", "KANAL_LISTEN_MAX_BYTES", &max_s,
                   "the largest answer read (10 MiB)"),
        OPT_BOOL("allow-private", "KANAL_LISTEN_ALLOW_PRIVATE", &allow_private,
                 "an admin's choice: fetch from loopback and private addresses too"),
        OPT_STRING("min-delay", "MS", "KANAL_LISTEN_MIN_DELAY", &delay_s,
                   "the least time between two requests to one host (1000 ms)"),
    };
    struct cli_cmd c;
    int64_t source = 0, timeout = 0, max = 0, delay = 0;
    if (!cli_cmd_begin(&c, argc, argv, opts, ARRAY_LEN(opts), "listen fetch [--source ID]",
                       "Fetches the workspace's sources once, now, and stores new items."))
        return cli_cmd_end(&c);
    if (c.p.npos || (source_s && !cli_id(source_s, &source)) ||
        !cli_int(delay_s, 1, 3600000, &delay) || !cli_int(timeout_s, 1, 600, &timeout) ||
        !cli_int(max_s, 1024, (int64_t)FEED_MAX_BYTES, &max)) {
        cli_cmd_usage(&c,
                      "--source is an id, --timeout 1-600 seconds, --max-bytes "
                      "1024-%zu, --min-delay 1-3600000 ms; nothing else is taken",
                      FEED_MAX_BYTES);
        return cli_cmd_end(&c);
    }
    if (!cli_cmd_open(&c, db_url, workspace))
        return cli_cmd_end(&c);
    struct fetch_opts fo = {.timeout_ms = (long)timeout * 1000,
                            .max_bytes = (size_t)max,
                            .allow_private = allow_private};
    /* Who holds a host's lease while this command fetches. */
    char me[128], owner[160];
    job_owner_name(me, sizeof me, NULL);
    snprintf(owner, sizeof owner, "cli:%s", me);
    struct listen_config cfg = {.fetch = fo, .min_delay_ms = delay, .owner = owner};
    struct listen_fetch_stats st;
    if (listen_fetch_sources(c.db, c.ws, source, &cfg, &st, &c.err) >= 0) {
        printf("%lld sources: %lld read, %lld not modified, %lld failed; %lld new items\n",
               (long long)st.sources, (long long)st.fetched, (long long)st.not_modified,
               (long long)st.failed, (long long)st.items_added);
        c.rc = 0;
    }
    return cli_cmd_end(&c);
}

/* ---- alerts ---------------------------------------------------------------------- */

/* The common part of the alert commands, after their options: one alert
 * id (or no argument at all), then the workspace opened. */
static bool alert_open(struct cli_cmd *c, bool needs_id, int64_t *id, const char *db_url,
                       const char *workspace)
{
    if (needs_id ? !cli_cmd_id_arg(c, id, "give one alert id")
                 : c->p.npos && !cli_cmd_usage(c, "no arguments are taken"))
        return false;
    return cli_cmd_open(c, db_url, workspace);
}

static int alert_add(int argc, char **argv)
{
    const char *db_url = DEFAULT_DB, *workspace = NULL;
    struct listen_alert_in in = {0};
    const struct cli_opt opts[] = {
        OPT_DB(&db_url),
        OPT_WORKSPACE(&workspace),
        OPT_STRING("tag", "NAME", NULL, &in.tag, "the tag query watched"),
        OPT_STRING("mode", "MODE", NULL, &in.mode,
                   "each, hourly, daily, spike_volume or spike_negative"),
        OPT_STRING("via", "LIST", NULL, &in.via, "in_app, email, webhook (comma list; in_app)"),
        OPT_STRING("email-to", "LIST", NULL, &in.email_to,
                   "addresses for via email (comma list; else the creator's)"),
    };
    struct cli_cmd c;
    int64_t id;
    if (cli_cmd_begin(&c, argc, argv, opts, ARRAY_LEN(opts), "listen alert add --tag NAME --mode M",
                      "Adds an alert on a tag query: each match, an hourly or daily digest, or a "
                      "spike of volume or of negative items.") &&
        alert_open(&c, false, NULL, db_url, workspace) &&
        listen_alert_add(c.db, c.ws, &in, 0, &id, &c.err) >= 0) {
        printf("alert %lld: %s on '%s'\n", (long long)id, in.mode, in.tag);
        c.rc = 0;
    }
    return cli_cmd_end(&c);
}

static int alert_list(int argc, char **argv)
{
    const char *db_url = DEFAULT_DB, *workspace = NULL;
    const struct cli_opt opts[] = {OPT_DB(&db_url), OPT_WORKSPACE(&workspace)};
    struct cli_cmd c;
    if (cli_cmd_begin(&c, argc, argv, opts, ARRAY_LEN(opts), "listen alert list",
                      "Lists the workspace's alerts: id, mode, tag, via, state.") &&
        alert_open(&c, false, NULL, db_url, workspace)) {
        json_t *list = listen_alerts_list(c.db, c.ws, &c.err);
        if (list) {
            size_t i;
            json_t *a;
            json_array_foreach (json_object_get(list, "items"), i, a) {
                const char *snooze = json_string_value(json_object_get(a, "snoozed_until"));
                printf("%lld\t%s\t%s\t%s\t%s\n",
                       (long long)json_integer_value(json_object_get(a, "id")),
                       json_string_value(json_object_get(a, "mode")),
                       json_string_value(json_object_get(a, "tag")),
                       json_string_value(json_object_get(a, "via")),
                       json_is_true(json_object_get(a, "muted")) ? "muted"
                       : snooze                                  ? snooze
                                                                 : "on");
            }
            json_decref(list);
            c.rc = 0;
        }
    }
    return cli_cmd_end(&c);
}

/* mute, unmute, snooze and remove: one id, one change. */
enum { ALERT_MUTE, ALERT_UNMUTE, ALERT_SNOOZE, ALERT_REMOVE };
static const struct {
    const char *usage, *help;
    int muted; /* 1, 0, or -1: left as it is */
} alert_changes[] = {
    [ALERT_MUTE] = {"listen alert mute ID",
                    "Mutes an alert: nothing is sent, and what matches meanwhile is passed over.",
                    1},
    [ALERT_UNMUTE] = {"listen alert unmute ID", "Unmutes an alert (and ends its snooze).", 0},
    [ALERT_SNOOZE] = {"listen alert snooze ID --until TIME|--minutes N",
                      "Snoozes an alert: quiet until then, when what matched meanwhile is sent "
                      "at once.",
                      -1},
    [ALERT_REMOVE] = {"listen alert remove ID", "Removes an alert and what it said.", -1},
};

static int alert_change(int argc, char **argv, int what)
{
    bool snooze = what == ALERT_SNOOZE, remove = what == ALERT_REMOVE;
    const char *db_url = DEFAULT_DB, *workspace = NULL, *until_s = NULL, *minutes_s = NULL;
    const struct cli_opt with_time[] = {
        OPT_DB(&db_url),
        OPT_WORKSPACE(&workspace),
        OPT_STRING("until", "TIME", NULL, &until_s, "quiet until then (2026-01-31T08:00:00Z)"),
        OPT_STRING("minutes", "N", NULL, &minutes_s, "quiet for N minutes"),
    };
    struct cli_cmd c;
    int64_t id = 0;
    if (cli_cmd_begin(&c, argc, argv, with_time, snooze ? 4 : 2, alert_changes[what].usage,
                      alert_changes[what].help) &&
        alert_open(&c, true, &id, db_url, workspace)) {
        int64_t until = -1, minutes = 0;
        if (snooze) {
            if ((!until_s == !minutes_s) ||
                (until_s && (time_parse_iso(until_s, &until) || until < 1)) ||
                (minutes_s && !cli_int(minutes_s, 1, 366 * 24 * 60, &minutes))) {
                cli_cmd_usage(&c, "give --until TIME (2026-01-31T08:00:00Z) or --minutes N (1 to "
                                  "527040)");
                return cli_cmd_end(&c);
            }
            if (minutes_s)
                until = time_now() + minutes * 60;
        }
        int rc = remove
                     ? listen_alert_remove(c.db, c.ws, id, &c.err)
                     : listen_alert_set(c.db, c.ws, id, alert_changes[what].muted, until, &c.err);
        c.rc = rc < 0 ? 1 : 0;
    }
    return cli_cmd_end(&c);
}

static int alert_events(int argc, char **argv)
{
    const char *db_url = DEFAULT_DB, *workspace = NULL, *alert_s = NULL;
    const struct cli_opt opts[] = {OPT_DB(&db_url), OPT_WORKSPACE(&workspace),
                                   OPT_STRING("alert", "ID", NULL, &alert_s, "only this alert")};
    struct cli_cmd c;
    int64_t alert = 0;
    if (cli_cmd_begin(&c, argc, argv, opts, ARRAY_LEN(opts), "listen alert events [--alert ID]",
                      "Prints what the alerts said, newest first, as JSON.") &&
        alert_open(&c, false, NULL, db_url, workspace)) {
        if (!cli_cmd_id(&c, alert_s, &alert, "--alert is an alert's id"))
            return cli_cmd_end(&c);
        json_t *ev = listen_alert_events(c.db, c.ws, alert, 200, &c.err);
        if (ev) {
            cli_print_json_doc(ev, JSON_INDENT(1) | JSON_ENSURE_ASCII);
            json_decref(ev);
            c.rc = 0;
        }
    }
    return cli_cmd_end(&c);
}

/* Runs every workspace's alerts once, now (what `kanal serve` does every
 * few seconds). */
static int alert_run(int argc, char **argv)
{
    const char *db_url = DEFAULT_DB;
    const struct cli_opt opts[] = {OPT_DB(&db_url)};
    struct cli_cmd c;
    struct listen_alert_stats st;
    if (cli_cmd_begin(&c, argc, argv, opts, ARRAY_LEN(opts), "listen alert run",
                      "Looks at every alert once, now, and sends those that fire.") &&
        cli_cmd_open_db(&c, db_url, CLI_DB_EXISTING) &&
        listen_alerts_run(c.db, time_now(), &st, &c.err) >= 0) {
        printf("%lld alerts looked at, %lld fired\n", (long long)st.looked, (long long)st.fired);
        c.rc = 0;
    }
    return cli_cmd_end(&c);
}

static int listen_alert(int argc, char **argv)
{
    static const struct cli_action actions[] = {
        {"add", .run = alert_add},
        {"list", .run = alert_list},
        {"mute", .run_what = alert_change, .what = ALERT_MUTE},
        {"unmute", .run_what = alert_change, .what = ALERT_UNMUTE},
        {"snooze", .run_what = alert_change, .what = ALERT_SNOOZE},
        {"remove", .run_what = alert_change, .what = ALERT_REMOVE},
        {"events", .run = alert_events},
        {"run", .run = alert_run},
    };
    return cli_run_actions_of("listen alert", argc, argv, actions, ARRAY_LEN(actions));
}

/* `listen source add|list|remove`: a second level of actions. */
static int listen_source(int argc, char **argv)
{
    static const struct cli_action actions[] = {
        {"add", .run = source_add},
        {"list", .run = source_list},
        {"remove", .run = source_remove},
    };
    return cli_run_actions_of("listen source", argc, argv, actions, ARRAY_LEN(actions));
}

int cmd_listen(int argc, char **argv)
{
    static const struct cli_action actions[] = {
        {"parse", .run = listen_parse},
        {"fetch", .run = listen_fetch_cmd},
        {"source", .run = listen_source},
        {"alert", .run = listen_alert},
    };
    return cli_run_action(argc, argv, actions, ARRAY_LEN(actions));
}
