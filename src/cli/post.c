/* post: `kanal post add|list|submit|approve|reject|schedule|unschedule` and `kanal
 * calendar`: the desk's workflow from the command line, through the same
 * publish/ functions as the API. --as EMAIL acts as that user (their role
 * and the rule that nobody approves their own post); without it the
 * command is kanal itself. */
#include "cli/cli.h"
#include "cli/options.h"
#include "publish/publish.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void print_post(json_t *p)
{
    printf("%lld\t%s", (long long)json_integer_value(json_object_get(p, "id")),
           json_string_value(json_object_get(p, "status")));
    size_t i;
    json_t *v;
    json_array_foreach (json_object_get(p, "variants"), i, v) {
        printf("\tvariant %lld: %s", (long long)json_integer_value(json_object_get(v, "id")),
               json_string_value(json_object_get(v, "status")));
    }
    printf("\n");
}

static int post_add(int argc, char **argv)
{
    const char *db_url = DEFAULT_DB, *workspace = NULL, *as = NULL, *body = NULL, *title = NULL,
               *channel = NULL, *at = NULL, *campaign = NULL;
    const struct cli_opt opts[] = {
        OPT_DB(&db_url),
        OPT_WORKSPACE(&workspace),
        OPT_AS(&as),
        OPT_STRING("body", "TEXT", NULL, &body, "the post's text"),
        OPT_STRING("title", "TEXT", NULL, &title, "its title on the desk"),
        OPT_STRING("channel", "ID[,ID...]", NULL, &channel, "a variant on each of these channels"),
        OPT_STRING("at", "TIME", NULL, &at, "when the variants are planned (ISO 8601)"),
        OPT_STRING("campaign", "ID", NULL, &campaign, "its campaign"),
    };
    struct cli_cmd c;
    int64_t camp;
    struct actor who;
    if (!cli_cmd_begin(&c, argc, argv, opts, ARRAY_LEN(opts),
                       "post add --workspace WS --body TEXT [--channel ID,ID --at TIME]",
                       "Writes a draft post with a variant per channel, each checked "
                       "against its platform's rules; prints its id and statuses.") ||
        (!body && !cli_cmd_usage(&c, "--body is required")) ||
        !cli_cmd_id(&c, campaign, &camp, "--campaign must be an id, not '%s'", campaign) ||
        !cli_cmd_open_desk(&c, db_url, workspace, as, &who))
        return cli_cmd_end(&c);
    json_t *in = json_pack("{s:s, s:[]}", "body", body, "variants"), *post = NULL;
    cli_json_put(in, "title", title);
    if (camp)
        json_object_set_new(in, "campaign_id", json_integer(camp));
    for (const char *ch = channel; ch && *ch;) {
        const char *comma = strchr(ch, ',');
        char one[24];
        snprintf(one, sizeof one, "%.*s", (int)(comma ? comma - ch : (long)strlen(ch)), ch);
        int64_t id;
        if (!cli_id(one, &id)) {
            cli_error(c.name, "--channel: '%s' is not a channel id", one);
            goto done;
        }
        json_t *v = json_pack("{s:I}", "channel_id", (json_int_t)id);
        cli_json_put(v, "scheduled_at", at);
        json_array_append_new(json_object_get(in, "variants"), v);
        ch = comma ? comma + 1 : ch + strlen(ch);
    }
    if (!publish_check_post(c.db, c.ws, in, &c.err) &&
        (post = post_create(c.db, c.ws, in, &who, &c.err))) {
        print_post(post);
        c.rc = 0;
    }
done:
    json_decref(post);
    json_decref(in);
    return cli_cmd_end(&c);
}

static int post_list_cmd(int argc, char **argv)
{
    const char *db_url = DEFAULT_DB, *workspace = NULL, *status = NULL;
    const struct cli_opt opts[] = {
        OPT_DB(&db_url),
        OPT_WORKSPACE(&workspace),
        OPT_STRING("status", "STATUS", NULL, &status, "only posts in this status"),
    };
    struct cli_cmd c;
    struct actor who;
    if (!cli_cmd_begin(&c, argc, argv, opts, ARRAY_LEN(opts),
                       "post list --workspace WS [--status STATUS]",
                       "Lists the newest 200 posts: id, status, each variant's status.") ||
        !cli_cmd_open_desk(&c, db_url, workspace, NULL, &who))
        return cli_cmd_end(&c);
    struct post_filter f;
    json_t *q = json_object(), *list = NULL;
    cli_json_put(q, "status", status);
    struct page pg = {.limit = MODEL_PAGE_MAX};
    if (!post_filter_parse(&f, q, &c.err) && (list = post_list(c.db, c.ws, &f, &pg, &c.err))) {
        size_t i;
        json_t *it;
        json_array_foreach (json_object_get(list, "items"), i, it)
            print_post(it);
        c.rc = 0;
    }
    json_decref(q);
    json_decref(list);
    return cli_cmd_end(&c);
}

enum step { STEP_SUBMIT, STEP_APPROVE, STEP_REJECT, STEP_SCHEDULE, STEP_UNSCHEDULE };

static int post_step(int argc, char **argv, int step)
{
    static const char *const names[] = {"post submit", "post approve", "post reject",
                                        "post schedule", "post unschedule"};
    const char *db_url = DEFAULT_DB, *workspace = NULL, *as = NULL, *post = NULL, *comment = NULL,
               *at = NULL, *variant = NULL;
    const struct cli_opt opts[] = {
        OPT_DB(&db_url),
        OPT_WORKSPACE(&workspace),
        OPT_AS(&as),
        OPT_STRING("post", "ID", NULL, &post, "the post"),
        OPT_STRING("comment", "TEXT", NULL, &comment, "a comment (a rejection's reason)"),
        OPT_STRING("at", "TIME", NULL, &at, "schedule: when (default: each variant's own time)"),
        OPT_STRING("variant", "ID", NULL, &variant, "schedule, unschedule: this variant only"),
    };
    char synopsis[128];
    snprintf(synopsis, sizeof synopsis, "%s --workspace WS --post ID [--as EMAIL]", names[step]);
    struct cli_cmd c;
    int64_t id, vid;
    struct actor who;
    if (!cli_cmd_begin(&c, argc, argv, opts, ARRAY_LEN(opts), synopsis,
                       "Moves the post one step in the desk's workflow and prints its "
                       "statuses.") ||
        !cli_cmd_id(&c, post, &id, "--post must be an id, not '%s'", post) ||
        !cli_cmd_id(&c, variant, &vid, "--variant must be an id, not '%s'", variant) ||
        (!id && !cli_cmd_usage(&c, "--post is required")) ||
        !cli_cmd_open_desk(&c, db_url, workspace, as, &who))
        return cli_cmd_end(&c);
    struct db *db = c.db;
    int64_t ws = c.ws;
    struct error *err = &c.err;
    json_t *out = step == STEP_SUBMIT       ? publish_submit(db, ws, id, &who, err)
                  : step == STEP_UNSCHEDULE ? publish_unschedule(db, ws, id, vid, &who, err)
                  : step == STEP_SCHEDULE
                      ? publish_schedule(db, ws, id, vid, at, &who, err)
                      : publish_decide(db, ws, id, &who, step == STEP_APPROVE, comment, 0, err);
    if (out) {
        print_post(out);
        c.rc = 0;
    }
    json_decref(out);
    return cli_cmd_end(&c);
}

int cmd_post(int argc, char **argv)
{
    static const struct cli_action actions[] = {
        {"add", .run = post_add},
        {"list", .run = post_list_cmd},
        {"submit", .run_what = post_step, .what = STEP_SUBMIT},
        {"approve", .run_what = post_step, .what = STEP_APPROVE},
        {"reject", .run_what = post_step, .what = STEP_REJECT},
        {"schedule", .run_what = post_step, .what = STEP_SCHEDULE},
        {"unschedule", .run_what = post_step, .what = STEP_UNSCHEDULE},
    };
    return cli_run_action(argc, argv, actions, ARRAY_LEN(actions));
}

int cmd_calendar(int argc, char **argv)
{
    const char *db_url = DEFAULT_DB, *workspace = NULL, *since = NULL, *until = NULL,
               *channel = NULL, *campaign = NULL, *status = NULL;
    bool ics = false;
    const struct cli_opt opts[] = {
        OPT_DB(&db_url),
        OPT_WORKSPACE(&workspace),
        OPT_STRING("since", "DATE", NULL, &since, "from (default: a week ago)"),
        OPT_STRING("until", "DATE", NULL, &until, "until (default: six weeks after --since)"),
        OPT_STRING("channel", "ID", NULL, &channel, "one channel's variants"),
        OPT_STRING("campaign", "ID", NULL, &campaign, "one campaign's"),
        OPT_STRING("status", "S[,S...]", NULL, &status, "variants in these statuses"),
        OPT_BOOL("ics", NULL, &ics, "print an iCalendar file (RFC 5545) instead of JSON"),
    };
    struct cli_cmd c;
    struct actor who;
    if (!cli_cmd_begin(&c, argc, argv, opts, ARRAY_LEN(opts),
                       "calendar --workspace WS [--ics] [--since D --until D]",
                       "Prints the publishing calendar: variants in time and campaigns "
                       "as bands, as JSON or with --ics as iCalendar.") ||
        !cli_cmd_open_desk(&c, db_url, workspace, NULL, &who))
        return cli_cmd_end(&c);
    json_t *q = json_object();
    cli_json_put(q, "since", since);
    cli_json_put(q, "until", until);
    cli_json_put(q, "channel", channel);
    cli_json_put(q, "campaign", campaign);
    cli_json_put(q, "status", status);
    struct calendar_filter f;
    struct buf out = {0};
    int bad = calendar_filter_parse(&f, q, &c.err);
    json_decref(q);
    if (!bad && ics) {
        bad = publish_ics(c.db, c.ws, &f, workspace, &out, &c.err);
    } else if (!bad) {
        json_t *cal = publish_calendar(c.db, c.ws, &f, &c.err);
        char *s = cal ? json_dumps(cal, JSON_INDENT(2)) : NULL;
        bad = !s;
        if (s) {
            buf_puts(&out, s);
            buf_putc(&out, '\n');
        }
        free(s);
        json_decref(cal);
    }
    if (!bad) {
        fwrite(out.data, 1, out.len, stdout);
        c.rc = 0;
    }
    buf_free(&out);
    return cli_cmd_end(&c);
}
