/* listen: `kanal listen parse FILE` reads a feed file as the fetcher would
 * and prints what kanal understood as JSON, for checking feeds by hand and
 * for the corpus test (tests/e2e/test_listen_corpus.py); `listen source
 * add|list|remove` keeps a workspace's sources and `listen fetch` fetches
 * them once, now. */
#include "cli/cli.h"
#include "cli/options.h"
#include "db/db.h"
#include "listen/listen.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
    struct cli_parse p;
    int rc = cli_parse_options(argc, argv, opts, ARRAY_LEN(opts), "listen parse FILE",
                               "Reads a feed file (RSS, Atom or JSON Feed) and prints what was "
                               "read of it as JSON.",
                               &p);
    struct buf b = {0};
    if (p.stop)
        goto done;
    rc = 2;
    if (p.npos != 1) {
        cli_error("listen parse", "give one feed file");
        goto done;
    }
    rc = 1;
    struct error err = {0};
    if (buf_read_file(&b, p.pos[0], FEED_MAX_BYTES, &err) < 0) {
        cli_error("listen parse", "%s", err.msg);
        goto done;
    }
    struct feed f;
    struct feed_origin o = {.content_type = ct, .url = url, .content_language = clang};
    if (feed_parse(b.data, b.len, &o, &f, &err) < 0) {
        cli_error("listen parse", "%s: %s", p.pos[0], err.msg);
        goto done;
    }
    json_t *j = feed_json(&f);
    json_dumpf(j, stdout, JSON_INDENT(1) | JSON_ENSURE_ASCII);
    putchar('\n');
    json_decref(j);
    feed_free(&f);
    rc = 0;
done:
    buf_free(&b);
    cli_parse_free(&p);
    return rc;
}

/* Who holds a host's lease while this command fetches. */
static void owner_name(char *out, size_t cap)
{
    char host[64] = "localhost";
    gethostname(host, sizeof host - 1);
    snprintf(out, cap, "cli:%s:%ld", host, (long)getpid());
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
    struct cli_parse p;
    int rc = cli_parse_options(argc, argv, opts, ARRAY_LEN(opts), "listen source add URL",
                               "Adds a source the workspace watches: a feed, an HTML page read "
                               "with CSS selectors, a sitemap, or a Mastodon hashtag "
                               "(https://SERVER/tags/NAME) or public timeline (https://SERVER/).",
                               &p);
    struct db *db = NULL;
    if (p.stop)
        goto done;
    rc = 2;
    int64_t interval = 0;
    if (p.npos != 1 || str_to_i64(interval_s, &interval)) {
        cli_error("listen source add", "give one URL (and --interval as a number of seconds)");
        goto done;
    }
    rc = 1;
    int64_t ws, id;
    db = cli_open_workspace("listen source add", db_url, workspace, &ws);
    if (!db)
        goto done;
    struct error err = {0};
    struct listen_source_in in = {
        .url = p.pos[0], .format = kind, .interval_s = interval, .selectors = sel};
    if (listen_source_add(db, ws, &in, &id, &err) < 0) {
        cli_error("listen source add", "%s", err.msg);
        goto done;
    }
    printf("source %lld: %s\n", (long long)id, p.pos[0]);
    rc = 0;
done:
    if (db)
        db_close(db);
    cli_parse_free(&p);
    return rc;
}

static int source_list(int argc, char **argv)
{
    const char *db_url = DEFAULT_DB, *workspace = NULL;
    const struct cli_opt opts[] = {OPT_DB(&db_url), OPT_WORKSPACE(&workspace)};
    struct cli_parse p;
    int rc = cli_parse_options(argc, argv, opts, ARRAY_LEN(opts), "listen source list",
                               "Lists the workspace's sources: id, items, last error, url.", &p);
    struct db *db = NULL;
    if (p.stop)
        goto done;
    rc = 1;
    int64_t ws;
    db = cli_open_workspace("listen source list", db_url, workspace, &ws);
    if (!db)
        goto done;
    struct error err = {0};
    json_t *list = listen_sources_list(db, ws, &err);
    if (!list) {
        cli_error("listen source list", "%s", err.msg);
        goto done;
    }
    /* id, kind, items, state (ok, or the failures in a row and the last
     * error), the next fetch, url. */
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(list, "items"), i, s)
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
    json_decref(list);
    rc = 0;
done:
    if (db)
        db_close(db);
    cli_parse_free(&p);
    return rc;
}

static int source_remove(int argc, char **argv)
{
    const char *db_url = DEFAULT_DB, *workspace = NULL;
    const struct cli_opt opts[] = {OPT_DB(&db_url), OPT_WORKSPACE(&workspace)};
    struct cli_parse p;
    int rc = cli_parse_options(argc, argv, opts, ARRAY_LEN(opts), "listen source remove ID",
                               "Removes a source and the items read from it.", &p);
    struct db *db = NULL;
    if (p.stop)
        goto done;
    rc = 2;
    int64_t id = 0;
    if (p.npos != 1 || str_to_i64(p.pos[0], &id) || id < 1) {
        cli_error("listen source remove", "give one source id");
        goto done;
    }
    rc = 1;
    int64_t ws;
    db = cli_open_workspace("listen source remove", db_url, workspace, &ws);
    if (!db)
        goto done;
    struct error err = {0};
    if (listen_source_remove(db, ws, id, &err) < 0) {
        cli_error("listen source remove", "%s", err.msg);
        goto done;
    }
    rc = 0;
done:
    if (db)
        db_close(db);
    cli_parse_free(&p);
    return rc;
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
    struct cli_parse p;
    int rc =
        cli_parse_options(argc, argv, opts, ARRAY_LEN(opts), "listen fetch [--source ID]",
                          "Fetches the workspace's sources once, now, and stores new items.", &p);
    struct db *db = NULL;
    if (p.stop)
        goto done;
    rc = 2;
    int64_t source = 0, timeout = 0, max = 0, delay = 0;
    if (p.npos || (source_s && (str_to_i64(source_s, &source) || source < 1)) ||
        str_to_i64(delay_s, &delay) || delay < 1 || delay > 3600000 ||
        str_to_i64(timeout_s, &timeout) || timeout < 1 || timeout > 600 ||
        str_to_i64(max_s, &max) || max < 1024 || max > (int64_t)FEED_MAX_BYTES) {
        cli_error("listen fetch",
                  "--source is an id, --timeout 1-600 seconds, --max-bytes "
                  "1024-%zu, --min-delay 1-3600000 ms; nothing else is taken",
                  FEED_MAX_BYTES);
        goto done;
    }
    rc = 1;
    int64_t ws;
    db = cli_open_workspace("listen fetch", db_url, workspace, &ws);
    if (!db)
        goto done;
    struct error err = {0};
    struct fetch_opts fo = {.timeout_ms = (long)timeout * 1000,
                            .max_bytes = (size_t)max,
                            .allow_private = allow_private};
    char owner[160];
    owner_name(owner, sizeof owner);
    struct listen_config cfg = {.fetch = fo, .min_delay_ms = delay, .owner = owner};
    struct listen_fetch_stats st;
    if (listen_fetch_sources(db, ws, source, &cfg, &st, &err) < 0) {
        cli_error("listen fetch", "%s", err.msg);
        goto done;
    }
    printf("%lld sources: %lld read, %lld not modified, %lld failed; %lld new items\n",
           (long long)st.sources, (long long)st.fetched, (long long)st.not_modified,
           (long long)st.failed, (long long)st.items_added);
    rc = 0;
done:
    if (db)
        db_close(db);
    cli_parse_free(&p);
    return rc;
}

/* `listen source add|list|remove`: a second level of actions, its usage
 * named in full. */
static int listen_source(int argc, char **argv)
{
    static const struct cli_action actions[] = {
        {"add", source_add},
        {"list", source_list},
        {"remove", source_remove},
    };
    if (argc < 2 || str_eq(argv[1], "--help") || str_eq(argv[1], "-h")) {
        fputs("usage: kanal listen source add|list|remove [options] (each has --help)\n",
              argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    return cli_run_action(argc, argv, actions, ARRAY_LEN(actions));
}

int cmd_listen(int argc, char **argv)
{
    static const struct cli_action actions[] = {
        {"parse", listen_parse},
        {"fetch", listen_fetch_cmd},
        {"source", listen_source},
    };
    return cli_run_action(argc, argv, actions, ARRAY_LEN(actions));
}
