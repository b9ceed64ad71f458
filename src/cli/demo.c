/* demo: `kanal demo` fills a database with the demo organisation. */
#include "cli/cli.h"
#include "cli/options.h"
#include "demo/demo.h"

#include <stdio.h>

int cmd_demo(int argc, char **argv)
{
    const char *db_url = DEFAULT_DB, *end = NULL, *days_s = "183", *seed_s = "1";
    bool no_user = false;
    const struct cli_opt opts[] = {
        OPT_DB(&db_url),
        OPT_STRING("end", "DATE", NULL, &end, "last day of the demo period (default: today, UTC)"),
        OPT_STRING("days", "N", NULL, &days_s, "length of the demo period in days"),
        OPT_STRING("seed", "N", NULL, &seed_s,
                   "random seed; the same seed and end give the same data"),
        OPT_BOOL("no-user", NULL, &no_user, "do not add the demo admin user"),
    };
    struct cli_parse p;
    int rc = cli_parse_options(argc, argv, opts, ARRAY_LEN(opts), "demo [options]",
                               "Adds the demo organisation Pensionsverket: channels, half a year "
                               "of posts, metrics, comments and campaigns, and a demo admin "
                               "(" DEMO_EMAIL " / " DEMO_PASSWORD ").",
                               &p);
    if (p.stop)
        goto done;
    rc = 2;
    struct demo_options o = {.create_user = !no_user};
    int64_t days, seed;
    if (end) {
        if (time_parse_iso(end, &o.end)) {
            cli_error("demo", "--end '%s' is not a date such as 2026-11-01", end);
            goto done;
        }
    } else {
        o.end = time_now();
    }
    o.end -= ((o.end % 86400) + 86400) % 86400; /* midnight UTC */
    if (str_to_i64(days_s, &days) || days < 1 || days > 3660) {
        cli_error("demo", "--days must be from 1 to 3660");
        goto done;
    }
    if (str_to_i64(seed_s, &seed) || seed < 0) {
        cli_error("demo", "--seed must be a non-negative whole number");
        goto done;
    }
    o.days = (int)days;
    o.seed = (uint64_t)seed;
    struct error err = {0};
    struct db *db = cli_open_db(db_url, CLI_DB_CREATE, NULL, &err);
    struct demo_summary s;
    rc = 1;
    if (!db || demo_fill(db, &o, &s, &err)) {
        cli_error("demo", "%s", err.msg);
        db_close(db);
        goto done;
    }
    db_close(db);
    printf("demo workspace %lld: %d channels, %d campaigns, %d tags, %d posts, %d metric "
           "snapshots, %d channel-days, %d messages\n",
           (long long)s.workspace_id, s.channels, s.campaigns, s.tags, s.posts, s.post_metrics,
           s.channel_metrics, s.messages);
    if (o.create_user)
        printf("sign in as %s with password %s\n", DEMO_EMAIL, DEMO_PASSWORD);
    rc = 0;
done:
    cli_parse_free(&p);
    return rc;
}
