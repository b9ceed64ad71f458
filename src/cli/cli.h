/* cli: the `kanal` command line. Each subcommand lives in its own file as
 * `int cmd_NAME(int argc, char **argv)` with argv[0] the subcommand's name,
 * and returns the process exit status (0 ok, 1 failed, 2 usage). */
#ifndef KANAL_CLI_H
#define KANAL_CLI_H

#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

#include "base/base.h"
#include "cli/options.h"

int cli_main(int argc, char **argv);

/* For commands with actions (`kanal link add|list|stats`): runs the action
 * argv[1] names with argv shifted by one, or prints the usage line. An
 * action is `run`, or, where several actions are one function that differs
 * only by a value, `run_what` given `what` ({"approve", .run_what = post_step,
 * .what = STEP_APPROVE}). */
struct cli_action {
    const char *name;
    int (*run)(int argc, char **argv);
    int (*run_what)(int argc, char **argv, int what);
    int what;
};
int cli_run_action(int argc, char **argv, const struct cli_action *actions, size_t n);
/* The same for a second level of actions (`listen alert mute`): `cmd`
 * names the command in full in the usage line and errors. */
int cli_run_actions_of(const char *cmd, int argc, char **argv, const struct cli_action *actions,
                       size_t n);
/* Opens the store at url and brings its schema up to date; *applied (if
 * not NULL) gets how many migrations ran. Log lines below warnings are
 * silenced: a command's output is its answer. With CLI_DB_EXISTING a
 * SQLite file that is not there is an error naming it: a command run
 * without --db, or with a mistyped one, must not leave an empty kanal.db
 * behind and report on nothing. The caller closes the result with
 * db_close; NULL and err if it cannot be opened. */
struct db;
struct error;
struct actor;
enum cli_db_mode {
    CLI_DB_EXISTING, /* reading or adding to a store (report, link, user list) */
    CLI_DB_CREATE,   /* making one: migrate, demo, user add, import */
};
struct db *cli_open_db(const char *url, enum cli_db_mode mode, int *applied, struct error *err);

/* Opens the store (CLI_DB_EXISTING) and finds the workspace `ws` names (an
 * id or a slug; NULL: the only one) into *wsid; prints cmd's error and
 * returns NULL when there is no store or no such workspace, or ws is NULL
 * and there is none or more than one. */
struct db *cli_open_workspace(const char *cmd, const char *url, const char *ws, int64_t *wsid);
/* An id, or else the row of `table` whose `column` is s (in workspace ws
 * when it is not 0): ERR_NOT_FOUND "no team 'press'". */
int cli_lookup(struct db *db, const char *table, const char *column, const char *s, int64_t ws,
               int64_t *id, struct error *err);

/* The frame every subcommand shares: its options parsed, the store (and
 * workspace) opened, the model's error printed once as the command's, and
 * all of it closed in one call:
 *
 *     struct cli_cmd c;
 *     if (cli_cmd_begin(&c, argc, argv, opts, ARRAY_LEN(opts), synopsis, about) &&
 *         cli_cmd_open(&c, db_url, workspace)) {
 *         ... the work: c.rc = 0 when done, else c.err says why
 *     }
 *     return cli_cmd_end(&c);
 *
 * The exit status c.rc is 0 after --help, 2 after a usage error (options,
 * or cli_cmd_usage before the store is opened) and 1 from opening on. */
struct cli_cmd {
    char name[48]; /* "team add": the synopsis's leading words, for messages */
    struct cli_parse p;
    struct db *db; /* closed by cli_cmd_end */
    int64_t ws;
    struct error err; /* printed by cli_cmd_end unless rc is 0 (clear it after printing your own) */
    int rc;
    struct vault_key *key; /* cli_cmd_key's (or serve's optional one); freed by cli_cmd_end */
};
/* Parses the options; false when the command is over (help, usage error). */
bool cli_cmd_begin(struct cli_cmd *c, int argc, char **argv, const struct cli_opt *opts, size_t n,
                   const char *synopsis, const char *about);
/* Prints the usage error "kanal: NAME: message", sets rc 2, returns false. */
bool cli_cmd_usage(struct cli_cmd *c, const char *fmt, ...) PRINTF_LIKE(2, 3);
#ifdef __clang_analyzer__
#define cli_cmd_usage(...) analyzer_false(cli_cmd_usage(__VA_ARGS__))
#endif
/* The one argument, an id (`jobs retry ID`), into *id; else the usage
 * error `why` ("give the failed job's id") and false. */
bool cli_cmd_id_arg(struct cli_cmd *c, int64_t *id, const char *why);
/* An option's value s, an id, into *id (0 when the option is not given);
 * else the usage error fmt ("--post must be an id, not '%s'"), rc 2 and
 * false. */
bool cli_cmd_id(struct cli_cmd *c, const char *s, int64_t *id, const char *fmt, ...)
    PRINTF_LIKE(4, 5);
/* --NAME's value s as a whole number from lo to hi into *v; else the usage
 * error "--NAME must be from LO to HI" and `unit` (" bytes", or "") and false. */
bool cli_cmd_int(struct cli_cmd *c, const char *name, const char *s, int64_t lo, int64_t hi,
                 const char *unit, int64_t *v);
/* No argument at all; else the usage error "unexpected argument 'A'". */
bool cli_cmd_no_args(struct cli_cmd *c);
/* The key that seals channels' tokens (cli_secret_key, required) into
 * c->key; rc 1 from here; false (error printed) when there is none. */
bool cli_cmd_key(struct cli_cmd *c, const char *file);
/* Opens the store and the workspace (cli_open_workspace), or the store
 * alone (cli_open_db); rc 1 from here; false (error printed) when not. */
bool cli_cmd_open(struct cli_cmd *c, const char *url, const char *ws);
bool cli_cmd_open_db(struct cli_cmd *c, const char *url, enum cli_db_mode mode);
/* The same with the user --as names (cli_open_desk). */
bool cli_cmd_open_desk(struct cli_cmd *c, const char *url, const char *ws, const char *as,
                       struct actor *who);
/* The model's error about a field of its input (rc 1, c->err.field set),
 * printed now as about the option that gave it, for the commands whose
 * options are the API's fields by other names: "filter.assigned_user" (a
 * bulk operation's filter) is --assigned-user, "campaign_id" --campaign.
 * Any other error is left for cli_cmd_end. */
void cli_cmd_field_error(struct cli_cmd *c);
/* Prints c->err when rc is not 0 and it has a message, closes all (the
 * store, the key), returns rc. */
int cli_cmd_end(struct cli_cmd *c);

/* cli_open_workspace, then the user --as names (`as` NULL: kanal itself,
 * who = {0}) with their role into *who; prints cmd's error and returns NULL
 * when one is not there. */
struct db *cli_open_desk(const char *cmd, const char *url, const char *ws, const char *as,
                         int64_t *wsid, struct actor *who);

/* A command that lists a workspace's rows: options --db and --workspace,
 * `list` called with the workspace, each of the answer's "items" printed
 * by `print` (NULL: as a JSON line). Exit 0, 1 (its error printed) or 2. */
struct cli_list {
    const char *synopsis, *about; /* as cli_parse_options takes them */
    json_t *(*list)(struct db *db, int64_t ws, struct error *err);
    void (*print)(json_t *item);
};
int cli_list_run(int argc, char **argv, const struct cli_list *l);

/* s as a whole number from lo to hi into *v; false when it is not one. */
bool cli_int(const char *s, int64_t lo, int64_t hi, int64_t *v);
/* s as an id (a whole number from 1: what the store's ids are) into *id;
 * false when it is not one. */
bool cli_id(const char *s, int64_t *id);

/* Sets o's `key` to an option's value s when the option was given (s not
 * NULL): how a command hands its options to the model under the API's
 * names. */
void cli_json_put(json_t *o, const char *key, const char *s);

/* One JSON value on one line of stdout (compact, keys in their order);
 * cli_print_json_lines does so for each element of an array. */
void cli_print_json(json_t *v);
void cli_print_json_lines(json_t *items);
/* One JSON value on stdout laid out as jansson's `flags` say
 * (JSON_INDENT(2), ...), then a line end: a command's whole answer. */
void cli_print_json_doc(json_t *v, size_t flags);

/* Prints "kanal: CMD: message" on one line on stderr, the one shape of
 * every error the command line prints. */
void cli_error(const char *cmd, const char *fmt, ...) PRINTF_LIKE(2, 3);

/* Characters in UTF-8 s (not bytes: names are often Swedish or Finnish),
 * for lining up table columns. */
size_t cli_text_width(const char *s);
/* Prints s (NULL as nothing) and spaces up to `width` characters; a longer
 * s is printed whole, never cut. */
void cli_print_padded(FILE *f, const char *s, size_t width);

int cmd_version(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_migrate(int argc, char **argv);
int cmd_user(int argc, char **argv);
int cmd_demo(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_link(int argc, char **argv);
int cmd_post(int argc, char **argv);
int cmd_calendar(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_sentiment(int argc, char **argv);
int cmd_jobs(int argc, char **argv);
int cmd_notify(int argc, char **argv);
int cmd_messages(int argc, char **argv);
int cmd_team(int argc, char **argv);
int cmd_reply(int argc, char **argv);
int cmd_rule(int argc, char **argv);
int cmd_secret_key(int argc, char **argv);
int cmd_channel_token(int argc, char **argv);
int cmd_sync(int argc, char **argv);
int cmd_act(int argc, char **argv);
int cmd_connect(int argc, char **argv);
int cmd_listen(int argc, char **argv);
int cmd_publish(int argc, char **argv);

/* The key that seals channels' tokens, from `file` (--secret-key-file)
 * else $KANAL_SECRET_KEY. NULL when there is none (printed as cmd's error
 * when `required`) or it is malformed (always printed). Caller frees with
 * vault_key_free. */
struct vault_key;
struct vault_key *cli_secret_key(const char *cmd, const char *file, bool required);
/* The line s of n bytes cut before the \n and \r at its end (a line end
 * of any system); returns its new length. */
size_t cli_chomp(char *s, size_t n);
/* One line of stdin without its line end, a new string (caller frees), or
 * NULL at its end. For secrets, which never go on the command line. */
char *cli_read_line(void);

#endif
