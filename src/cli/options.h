/* options: one parser for every subcommand's options. A value comes from the
 * first of: a --flag, the environment (KANAL_DB, ...), the config file
 * (--config FILE, else $KANAL_CONFIG, else ./kanal.conf if present), the
 * default. */
#ifndef KANAL_CLI_OPTIONS_H
#define KANAL_CLI_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>

#include "base/base.h"

/* One row of a command's option table, bound to the variable the command
 * reads (git's OPT_STRING): the variable holds the default before the parse
 * and the result after it. Write rows with the OPT_ macros. */
struct cli_opt {
    const char *name; /* "db" is --db and "db = ..." in the config file */
    const char *arg;  /* "PATH"; NULL for a switch */
    const char *env;  /* "KANAL_DB", or NULL */
    const char *help;
    const char **str; /* a valued option's variable (the value is owned by the parse) */
    bool *flag;       /* a switch's variable: set by --name, or by a value other than "0" */
};

/* A row per line (clang-format would spread the braces over four). */
/* clang-format off */
#define OPT_STRING(name, arg, env, var, help) {(name), (arg), (env), (help), (var), NULL}
#define OPT_BOOL(name, env, var, help)        {(name), NULL, (env), (help), NULL, (var)}
#define OPT_DB(var) \
    OPT_STRING("db", "PATH|URL", "KANAL_DB", var, "SQLite file or postgres:// URL")
/* clang-format on */
/* --workspace, as every command that works in one names it. */
#define OPT_WORKSPACE(var)                                                                         \
    OPT_STRING("workspace", "ID|SLUG", "KANAL_WORKSPACE", var,                                     \
               "the workspace (default: the only one)")
/* --as, the user a desk command acts as (cli_open_desk). */
#define OPT_AS(var) OPT_STRING("as", "EMAIL", NULL, var, "act as this user (default: kanal itself)")
/* --secret-key-file, for the commands that unseal channels' tokens (cli_secret_key). */
#define OPT_KEY_FILE(var)                                                                          \
    OPT_STRING("secret-key-file", "PATH", "KANAL_SECRET_KEY_FILE", var,                            \
               "file holding the key that seals channels' tokens (else $KANAL_SECRET_KEY)")

struct cli_parse {
    struct arena arena; /* holds values from the config file; freed by cli_parse_free */
    bool stop;          /* help was printed or the options were wrong */
    int npos;           /* positional arguments */
    char **pos;
};

/* Returns the exit status so far: with out->stop set, the command is done
 * (0 after --help, 2 after a usage error it printed). `synopsis` is the
 * usage line after "kanal "; its leading lower-case words ("link add") name
 * the command in messages. Call cli_parse_free(out) in every case. */
int cli_parse_options(int argc, char **argv, const struct cli_opt *opts, size_t nopts,
                      const char *synopsis, const char *about, struct cli_parse *out);
void cli_parse_free(struct cli_parse *p);
/* The command's name for messages: the synopsis's leading words of
 * lower-case letters ("link add" of "link add --workspace WS ..."). */
void cli_command_name(const char *synopsis, char *out, size_t size);

/* The SMTP relay notifications are e-mailed through (`serve`, `notify
 * deliver`): the rows and where their values go, cli/notify.c. */
struct notify_config;
struct cli_smtp {
    const char *host, *port, *from, *tls, *user, *password;
};
/* clang-format off */
#define OPT_SMTP(s) \
    OPT_STRING("smtp-host", "HOST", "KANAL_SMTP_HOST", &(s)->host, "SMTP relay for notification e-mail (unset: none is sent)"), \
    OPT_STRING("smtp-port", "PORT", "KANAL_SMTP_PORT", &(s)->port, "the relay's port (default 25, 465 with --smtp-tls tls)"), \
    OPT_STRING("smtp-from", "ADDRESS", "KANAL_SMTP_FROM", &(s)->from, "the From address of notification e-mail"), \
    OPT_STRING("smtp-tls", "MODE", "KANAL_SMTP_TLS", &(s)->tls, "none, starttls (required) or tls (implicit, smtps)"), \
    OPT_STRING("smtp-user", "NAME", "KANAL_SMTP_USER", &(s)->user, "the relay's user name (unset: no AUTH)"), \
    OPT_STRING("smtp-password", "PASSWORD", "KANAL_SMTP_PASSWORD", &(s)->password, "the relay's password")
/* clang-format on */
/* Fills cfg from the parsed options; prints cmd's error and returns -1
 * when one is wrong. */
int cli_smtp_config(const char *cmd, const struct cli_smtp *s, struct notify_config *cfg);

/* Defaults shared by the commands. */
#define DEFAULT_DB     "kanal.db"
#define DEFAULT_LISTEN "127.0.0.1:8080"

#endif
