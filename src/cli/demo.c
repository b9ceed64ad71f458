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
    struct cli_cmd c;
    if (!cli_cmd_begin(&c, argc, argv, opts, ARRAY_LEN(opts), "demo [options]",
                       "Adds the demo organisation Pensionsverket: channels, half a year "
                       "of posts, metrics, comments and campaigns, and a demo admin "
                       "(" DEMO_EMAIL " / " DEMO_PASSWORD ")."))
        return cli_cmd_end(&c);
    struct demo_options o = {.create_user = !no_user, .end = time_now()};
    int64_t days, seed;
    if ((end && time_parse_iso(end, &o.end) &&
         !cli_cmd_usage(&c, "--end '%s' is not a date such as 2026-11-01", end)) ||
        !cli_cmd_int(&c, "days", days_s, 1, 3660, "", &days) ||
        (!cli_int(seed_s, 0, INT64_MAX, &seed) &&
         !cli_cmd_usage(&c, "--seed must be a non-negative whole number")) ||
        !cli_cmd_open_db(&c, db_url, CLI_DB_CREATE))
        return cli_cmd_end(&c);
    o.end -= ((o.end % 86400) + 86400) % 86400; /* midnight UTC */
    o.days = (int)days;
    o.seed = (uint64_t)seed;
    struct demo_summary s;
    if (demo_fill(c.db, &o, &s, &c.err) == 0) {
        printf("demo workspace %lld: %d channels, %d campaigns, %d tags, %d posts, %d metric "
               "snapshots, %d channel-days, %d messages\n",
               (long long)s.workspace_id, s.channels, s.campaigns, s.tags, s.posts, s.post_metrics,
               s.channel_metrics, s.messages);
        if (o.create_user)
            printf("sign in as %s with password %s\n", DEMO_EMAIL, DEMO_PASSWORD);
        c.rc = 0;
    }
    return cli_cmd_end(&c);
}
