/* migrate: `kanal migrate` brings the database's schema up to date (serve
 * also does this at start; this is for deployments that migrate first). */
#include "cli/cli.h"
#include "cli/options.h"
#include "db/db.h"
#include "model/model.h"

#include <stdio.h>

int cmd_migrate(int argc, char **argv)
{
    const char *db_url = DEFAULT_DB;
    const struct cli_opt opts[] = {OPT_DB(&db_url)};
    struct cli_cmd c;
    int n = -1, v = -1;
    if (cli_cmd_begin(&c, argc, argv, opts, ARRAY_LEN(opts), "migrate [--db PATH|URL]",
                      "Applies the schema migrations not yet applied.")) {
        c.rc = 1;
        c.db = cli_open_db(db_url, CLI_DB_CREATE, &n, &c.err);
        if (c.db && message_stats_refresh(c.db, 0, &c.err) == 0 &&
            message_terms_refresh(c.db, INT64_MAX, &c.err) >= 0 &&
            (v = db_schema_version(c.db, &c.err)) >= 0) {
            printf("applied %d migration%s; schema version %d\n", n, n == 1 ? "" : "s", v);
            c.rc = 0;
        }
    }
    return cli_cmd_end(&c);
}
