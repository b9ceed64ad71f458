/* cli: the `kanal` command line. Each subcommand lives in its own file as
 * `int cmd_NAME(int argc, char **argv)` with argv[0] the subcommand's name,
 * and returns the process exit status (0 ok, 1 failed, 2 usage). */
#ifndef KANAL_CLI_H
#define KANAL_CLI_H

#include <stddef.h>

#include "base/base.h"

int cli_main(int argc, char **argv);

/* For commands with actions (`kanal link add|list|stats`): runs the action
 * argv[1] names with argv shifted by one, or prints the usage line. */
struct cli_action {
    const char *name;
    int (*run)(int argc, char **argv);
};
int cli_run_action(int argc, char **argv, const struct cli_action *actions, size_t n);
/* Opens the store at url and brings its schema up to date; *applied (if
 * not NULL) gets how many migrations ran. Log lines below warnings are
 * silenced: a command's output is its answer. The caller closes the result
 * with db_close; NULL and err if it cannot be opened. */
struct db;
struct error;
struct db *cli_open_db(const char *url, int *applied, struct error *err);

/* Prints "kanal CMD: message" on stderr, the one shape of every error the
 * command line prints. */
void cli_error(const char *cmd, const char *fmt, ...) PRINTF_LIKE(2, 3);

int cmd_version(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_migrate(int argc, char **argv);
int cmd_user(int argc, char **argv);
int cmd_demo(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_link(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_sentiment(int argc, char **argv);

#endif
