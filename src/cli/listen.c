/* listen: `kanal listen parse FILE` reads a feed file as the fetcher would
 * and prints what kanal understood as JSON, for checking feeds by hand and
 * for the corpus test (tests/e2e/test_listen_corpus.py). */
#include "cli/cli.h"
#include "cli/options.h"
#include "listen/listen.h"

#include <jansson.h>
#include <stdio.h>
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

int cmd_listen(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "parse"))
        return listen_parse(argc - 1, argv + 1);
    fprintf(argc >= 2 && strcmp(argv[1], "--help") ? stderr : stdout,
            "usage: kanal listen parse FILE [--content-type TYPE] [--url URL]\n");
    return argc >= 2 && !strcmp(argv[1], "--help") ? 0 : 2;
}
