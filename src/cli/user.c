/* user: `kanal user add|list|token|set-role|disable|enable|reset-password|
 * revoke` manage who may sign in. Passwords are read from standard input,
 * never from the command line (which other users of the machine can see in
 * the process list). Changes made here are audited as kanal's own. */
#include "cli/cli.h"
#include "cli/options.h"
#include "model/model.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

static int read_password(char *out, size_t size)
{
    if (!fgets(out, (int)size, stdin))
        return -1;
    size_t n = strlen(out);
    if (n && out[n - 1] != '\n' && !feof(stdin))
        return -2; /* longer than the buffer */
    cli_chomp(out, n);
    return 0;
}

/* The password on stdin's first line into out (PASSWORD_MAX + 2 bytes), or
 * -1 after saying what is wrong as command `cmd`. */
static int password_from_stdin(const char *cmd, bool password_stdin, char out[PASSWORD_MAX + 2])
{
    int pr = password_stdin ? read_password(out, PASSWORD_MAX + 2) : -3;
    if (pr)
        cli_error(cmd, "%s",
                  pr == -3   ? "give the password on stdin with --password-stdin"
                  : pr == -2 ? "the password is too long"
                             : "no password on stdin");
    return pr ? -1 : 0;
}

static int user_add(int argc, char **argv)
{
    const char *db_url = DEFAULT_DB, *email = NULL, *name = "", *role = NULL;
    bool password_stdin = false;
    const struct cli_opt opts[] = {
        OPT_DB(&db_url),
        OPT_STRING("email", "EMAIL", NULL, &email, "the user's email (their sign-in name)"),
        OPT_STRING("name", "NAME", NULL, &name, "the user's display name"),
        OPT_STRING("role", "ROLE", NULL, &role, "admin, editor, author, moderator or analyst"),
        OPT_BOOL("password-stdin", NULL, &password_stdin,
                 "read the password from the first line of stdin"),
    };
    struct cli_cmd c;
    char password[PASSWORD_MAX + 2] = "";
    int64_t id = 0;
    if (cli_cmd_begin(&c, argc, argv, opts, ARRAY_LEN(opts),
                      "user add --email EMAIL --role ROLE --password-stdin [--name NAME]",
                      "Adds a user who can sign in to the web UI and the API.") &&
        ((email && role) || cli_cmd_usage(&c, "--email and --role are required")) &&
        !password_from_stdin(c.name, password_stdin, password) &&
        cli_cmd_open_db(&c, db_url, CLI_DB_CREATE) &&
        user_create(c.db, email, name, role, password, &id, &c.err) == 0) {
        printf("added user %lld (%s)\n", (long long)id, role);
        c.rc = 0;
    }
    sodium_memzero(password, sizeof password);
    return cli_cmd_end(&c);
}

static int user_list_cmd(int argc, char **argv)
{
    const char *db_url = DEFAULT_DB;
    const struct cli_opt opts[] = {OPT_DB(&db_url)};
    struct cli_cmd c;
    json_t *list = NULL;
    if (cli_cmd_begin(&c, argc, argv, opts, ARRAY_LEN(opts), "user list [--db PATH|URL]",
                      "Lists the users: id, email, role, and whether disabled.") &&
        cli_cmd_open_db(&c, db_url, CLI_DB_EXISTING) && (list = user_list(c.db, &c.err))) {
        size_t i;
        json_t *u;
        json_array_foreach (json_object_get(list, "items"), i, u) {
            printf("%lld\t%s\t%s%s\n", (long long)json_integer_value(json_object_get(u, "id")),
                   json_string_value(json_object_get(u, "email")),
                   json_string_value(json_object_get(u, "role")),
                   json_is_true(json_object_get(u, "disabled")) ? "\tdisabled" : "");
        }
        c.rc = 0;
    }
    json_decref(list);
    return cli_cmd_end(&c);
}

/* --expires (DAYS or an ISO 8601 DATE) as the time the token stops working
 * into *at (0: never); else the usage error and false. */
static bool expires_arg(struct cli_cmd *c, const char *expires, int64_t *at)
{
    int64_t days = 0;
    if (!expires)
        return true;
    if (str_to_i64(expires, &days) == 0) {
        if (days < 1 || days > TOKEN_LIFE_MAX / 86400)
            return cli_cmd_usage(c, "--expires DAYS must be from 1 to %d", TOKEN_LIFE_MAX / 86400);
        *at = time_now() + days * 86400;
        return true;
    }
    return time_parse_iso(expires, at) == 0 ||
           cli_cmd_usage(c, "--expires takes a number of days or an ISO 8601 date, not '%s'",
                         expires);
}

static int user_token(int argc, char **argv)
{
    const char *db_url = DEFAULT_DB, *email = NULL, *name = NULL, *expires = NULL;
    const struct cli_opt opts[] = {
        OPT_DB(&db_url),
        OPT_STRING("email", "EMAIL", NULL, &email, "whose token it is"),
        OPT_STRING("name", "NAME", NULL, &name, "what the token is for, e.g. 'reporting script'"),
        OPT_STRING("expires", "DAYS|DATE", NULL, &expires,
                   "when the token stops working: in DAYS days, or on an ISO 8601 DATE "
                   "(default: never)"),
    };
    struct cli_cmd c;
    int64_t expires_at = 0, uid = 0;
    char token[API_TOKEN_LEN + 1];
    if (cli_cmd_begin(&c, argc, argv, opts, ARRAY_LEN(opts),
                      "user token --email EMAIL --name NAME [--expires DAYS|DATE]",
                      "Creates an API token for the user and prints it once; send it as "
                      "'Authorization: Bearer TOKEN'.") &&
        ((email && name) || cli_cmd_usage(&c, "--email and --name are required")) &&
        expires_arg(&c, expires, &expires_at) && cli_cmd_open_db(&c, db_url, CLI_DB_EXISTING) &&
        user_find(c.db, email, &uid, &c.err) == 0 &&
        api_token_create(c.db, uid, name, expires_at, token, NULL, &c.err) == 0) {
        printf("%s\n", token);
        c.rc = 0;
    }
    return cli_cmd_end(&c);
}

/* ---- an admin's changes: one user by email, one change each ---------------------- */

enum user_change { CHANGE_ROLE, CHANGE_DISABLE, CHANGE_ENABLE, CHANGE_PASSWORD, CHANGE_REVOKE };

static const struct {
    const char *synopsis, *about, *done;
} changes[] = {
    [CHANGE_ROLE] = {"user set-role --email EMAIL --role ROLE", "Gives the user another role.",
                     "is now"},
    [CHANGE_DISABLE] = {"user disable --email EMAIL",
                        "Stops the user from signing in; their sessions end and their API "
                        "tokens are revoked at once.",
                        "is disabled"},
    [CHANGE_ENABLE] = {"user enable --email EMAIL",
                       "Lets a disabled user sign in again (with new tokens).", "is enabled"},
    [CHANGE_PASSWORD] = {"user reset-password --email EMAIL --password-stdin",
                         "Sets a new password for the user, read from stdin; their sessions end.",
                         "has a new password"},
    [CHANGE_REVOKE] = {"user revoke --email EMAIL",
                       "Ends all the user's sessions and revokes all their API tokens.",
                       "is signed out everywhere"},
};

/* Makes one change to one user. The command line acts as kanal itself: the
 * audit log records no user for it. */
static int apply_change(struct db *db, int what, int64_t id, const char *role, const char *password,
                        struct error *err)
{
    static const struct actor kanal = {0};
    json_t *patch = what == CHANGE_ROLE      ? json_pack("{s:s}", "role", role)
                    : what == CHANGE_DISABLE ? json_pack("{s:b}", "disabled", 1)
                    : what == CHANGE_ENABLE  ? json_pack("{s:b}", "disabled", 0)
                                             : NULL;
    int rc = patch                     ? user_update(db, id, patch, &kanal, err)
             : what == CHANGE_PASSWORD ? user_set_password(db, id, NULL, password, &kanal, err)
                                       : user_revoke_access(db, id, &kanal, err);
    json_decref(patch);
    return rc;
}

static int user_change(int argc, char **argv, int what)
{
    const char *db_url = DEFAULT_DB, *email = NULL, *role = NULL;
    bool password_stdin = false;
    const struct cli_opt all[] = {
        OPT_DB(&db_url),
        OPT_STRING("email", "EMAIL", NULL, &email, "the user's email"),
        OPT_STRING("role", "ROLE", NULL, &role, "admin, editor, author, moderator or analyst"),
        OPT_BOOL("password-stdin", NULL, &password_stdin,
                 "read the new password from the first line of stdin"),
    };
    /* Each change takes --db and --email, and set-role and reset-password
     * one option more. */
    const struct cli_opt opts[] = {all[0], all[1], all[what == CHANGE_PASSWORD ? 3 : 2]};
    size_t nopts = what == CHANGE_ROLE || what == CHANGE_PASSWORD ? 3 : 2;
    struct cli_cmd c;
    char password[PASSWORD_MAX + 2] = "";
    int64_t id = 0;
    if (cli_cmd_begin(&c, argc, argv, opts, nopts, changes[what].synopsis, changes[what].about) &&
        ((email && (what != CHANGE_ROLE || role)) ||
         cli_cmd_usage(&c, "--email%s required",
                       what == CHANGE_ROLE ? " and --role are" : " is")) &&
        (what != CHANGE_PASSWORD || !password_from_stdin(c.name, password_stdin, password)) &&
        cli_cmd_open_db(&c, db_url, CLI_DB_EXISTING) && user_find(c.db, email, &id, &c.err) == 0 &&
        apply_change(c.db, what, id, role, password, &c.err) == 0) {
        printf("%s %s%s%s\n", email, changes[what].done, role ? " " : "", role ? role : "");
        c.rc = 0;
    }
    sodium_memzero(password, sizeof password);
    return cli_cmd_end(&c);
}

int cmd_user(int argc, char **argv)
{
    static const struct cli_action actions[] = {
        {"add", .run = user_add},
        {"list", .run = user_list_cmd},
        {"token", .run = user_token},
        {"set-role", .run_what = user_change, .what = CHANGE_ROLE},
        {"disable", .run_what = user_change, .what = CHANGE_DISABLE},
        {"enable", .run_what = user_change, .what = CHANGE_ENABLE},
        {"reset-password", .run_what = user_change, .what = CHANGE_PASSWORD},
        {"revoke", .run_what = user_change, .what = CHANGE_REVOKE},
    };
    return cli_run_action(argc, argv, actions, ARRAY_LEN(actions));
}
