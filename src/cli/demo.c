/* demo: `kanal demo` fills a database with the demo organisation. */
#include "cli/cli.h"
#include "cli/options.h"
#include "demo/demo.h"

#include <stdio.h>

int cmd_demo(int argc, char **argv)
{
    struct cli_opt opts[] = {
        {"db", "PATH|URL", "KANAL_DB", "SQLite file or postgres:// URL", DEFAULT_DB},
        {"end", "DATE", NULL, "last day of the demo period (default: today, UTC)", NULL},
        {"days", "N", NULL, "length of the demo period in days", "183"},
        {"seed", "N", NULL, "random seed; the same seed and end give the same data", "1"},
        {"no-user", NULL, NULL, "do not add the demo admin user", NULL},
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
    struct demo_options o = {.create_user = !opts[4].value};
    int64_t days, seed;
    if (opts[1].value) {
        if (time_parse_iso(opts[1].value, &o.end)) {
            fprintf(stderr, "kanal demo: --end '%s' is not a date such as 2026-11-01\n",
                    opts[1].value);
            goto done;
        }
    } else {
        o.end = time_now();
    }
    o.end -= ((o.end % 86400) + 86400) % 86400; /* midnight UTC */
    if (str_to_i64(opts[2].value, &days) || days < 1 || days > 3660) {
        fprintf(stderr, "kanal demo: --days must be from 1 to 3660\n");
        goto done;
    }
    if (str_to_i64(opts[3].value, &seed) || seed < 0) {
        fprintf(stderr, "kanal demo: --seed must be a non-negative whole number\n");
        goto done;
    }
    o.days = (int)days;
    o.seed = (uint64_t)seed;
    struct error err = {0};
    log_set_level(LOG_WARN);
    struct db *db = db_open(opts[0].value, &err);
    struct demo_summary s;
    rc = 1;
    if (!db || db_migrate(db, &err) < 0 || demo_fill(db, &o, &s, &err)) {
        fprintf(stderr, "kanal demo: %s\n", err.msg);
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
