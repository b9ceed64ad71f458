/* options: one parser for every subcommand's options. A value comes from the
 * first of: a --flag, the environment (KANAL_DB, ...), the config file
 * (--config FILE, else $KANAL_CONFIG, else ./kanal.conf if present), the
 * default. */
#ifndef KANAL_CLI_OPTIONS_H
#define KANAL_CLI_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>

#include "base/base.h"

struct cli_opt {
    const char *name; /* "db" is --db and "db = ..." in the config file */
    const char *arg;  /* "PATH"; NULL for a switch (value "1" when given) */
    const char *env;  /* "KANAL_DB", or NULL */
    const char *help;
    const char *value; /* the default in; the result out (owned by the parse) */
};

struct cli_parse {
    struct arena arena; /* holds the values; freed by cli_parse_free */
    bool stop;          /* help was printed or the options were wrong */
    int npos;           /* positional arguments */
    char **pos;
};

/* Returns the exit status so far: with out->stop set, the command is done
 * (0 after --help, 2 after a usage error it printed). `synopsis` is the
 * usage line after "kanal ". */
int cli_parse_options(int argc, char **argv, struct cli_opt *opts, size_t nopts,
                      const char *synopsis, const char *about, struct cli_parse *out);
void cli_parse_free(struct cli_parse *p);
/* The value of option `name` (NULL if unset). */
const char *cli_opt_value(const struct cli_opt *opts, size_t nopts, const char *name);

/* Defaults shared by the commands. */
#define DEFAULT_DB     "kanal.db"
#define DEFAULT_LISTEN "127.0.0.1:8080"

#endif
