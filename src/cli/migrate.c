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
    struct cli_parse p;
    int rc = cli_parse_options(argc, argv, opts, ARRAY_LEN(opts), "migrate [--db PATH|URL]",
                               "Applies the schema migrations not yet applied.", &p);
    if (p.stop)
        goto done;
    struct error err = {0};
    int n = -1;
    struct db *db = cli_open_db(db_url, CLI_DB_CREATE, &n, &err);
    if (db &&
        (message_stats_refresh(db, 0, &err) || message_terms_refresh(db, INT64_MAX, &err) < 0))
        n = -1;
    int v = n >= 0 ? db_schema_version(db, &err) : -1;
    db_close(db);
    if (n < 0 || v < 0) {
        cli_error("migrate", "%s", err.msg);
        rc = 1;
        goto done;
    }
    printf("applied %d migration%s; schema version %d\n", n, n == 1 ? "" : "s", v);
done:
    cli_parse_free(&p);
    return rc;
}
