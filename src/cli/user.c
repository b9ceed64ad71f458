/* user: `kanal user add|list|token` manage who may sign in. Passwords are
 * read from standard input, never from the command line (which other users
 * of the machine can see in the process list). */
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
    while (n && (out[n - 1] == '\n' || out[n - 1] == '\r'))
        out[--n] = '\0';
    return 0;
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
    struct cli_parse p;
    int rc = cli_parse_options(argc, argv, opts, ARRAY_LEN(opts),
                               "user add --email EMAIL --role ROLE --password-stdin [--name NAME]",
                               "Adds a user who can sign in to the web UI and the API.", &p);
    if (p.stop)
        goto done;
    rc = 2;
    if (!email || !role) {
        cli_error("user add", "--email and --role are required");
        goto done;
    }
    if (!password_stdin) {
        cli_error("user add", "give the password on stdin with --password-stdin");
        goto done;
    }
    char password[PASSWORD_MAX + 2];
    int pr = read_password(password, sizeof password);
    if (pr) {
        cli_error("user add", "%s", pr == -2 ? "the password is too long" : "no password on stdin");
        goto done;
    }
    struct error err = {0};
    struct db *db = cli_open_db(db_url, CLI_DB_CREATE, NULL, &err);
    int64_t id = 0;
    rc = 1;
    if (db && user_create(db, email, name, role, password, &id, &err) == 0) {
        printf("added user %lld (%s)\n", (long long)id, role);
        rc = 0;
    } else {
        cli_error("user add", "%s", err.msg);
    }
    sodium_memzero(password, sizeof password);
    db_close(db);
done:
    cli_parse_free(&p);
    return rc;
}

static int user_list_cmd(int argc, char **argv)
{
    const char *db_url = DEFAULT_DB;
    const struct cli_opt opts[] = {OPT_DB(&db_url)};
    struct cli_parse p;
    int rc = cli_parse_options(argc, argv, opts, ARRAY_LEN(opts), "user list [--db PATH|URL]",
                               "Lists the users: id, email, role, and whether disabled.", &p);
    if (p.stop)
        goto done;
    struct error err = {0};
    struct db *db = cli_open_db(db_url, CLI_DB_EXISTING, NULL, &err);
    json_t *list = db ? user_list(db, &err) : NULL;
    db_close(db);
    if (!list) {
        cli_error("user list", "%s", err.msg);
        rc = 1;
        goto done;
    }
    size_t i;
    json_t *u;
    json_array_foreach (json_object_get(list, "items"), i, u) {
        printf("%lld\t%s\t%s%s\n", (long long)json_integer_value(json_object_get(u, "id")),
               json_string_value(json_object_get(u, "email")),
               json_string_value(json_object_get(u, "role")),
               json_is_true(json_object_get(u, "disabled")) ? "\tdisabled" : "");
    }
    json_decref(list);
done:
    cli_parse_free(&p);
    return rc;
}

static int user_token(int argc, char **argv)
{
    const char *db_url = DEFAULT_DB, *email_arg = NULL, *name = NULL;
    const struct cli_opt opts[] = {
        OPT_DB(&db_url),
        OPT_STRING("email", "EMAIL", NULL, &email_arg, "whose token it is"),
        OPT_STRING("name", "NAME", NULL, &name, "what the token is for, e.g. 'reporting script'"),
    };
    struct cli_parse p;
    int rc =
        cli_parse_options(argc, argv, opts, ARRAY_LEN(opts), "user token --email EMAIL --name NAME",
                          "Creates an API token for the user and prints it once; send it as "
                          "'Authorization: Bearer TOKEN'.",
                          &p);
    if (p.stop)
        goto done;
    if (!email_arg || !name) {
        cli_error("user token", "--email and --name are required");
        rc = 2;
        goto done;
    }
    struct error err = {0};
    struct db *db = cli_open_db(db_url, CLI_DB_EXISTING, NULL, &err);
    rc = 1;
    int64_t uid = 0;
    char token[API_TOKEN_LEN + 1];
    char email[256];
    snprintf(email, sizeof email, "%s", email_arg);
    for (char *c = email; *c; c++)
        *c = (char)(*c >= 'A' && *c <= 'Z' ? *c + 32 : *c);
    int found =
        db ? db_scalar(db, &err, &uid, "SELECT id FROM users WHERE email = ?", "t", email) : -1;
    if (found == 0)
        error_set(&err, ERR_NOT_FOUND, "no user with email %s", email);
    if (found == 1 && api_token_create(db, uid, name, token, NULL, &err) == 0) {
        printf("%s\n", token);
        rc = 0;
    } else {
        cli_error("user token", "%s", err.msg);
    }
    db_close(db);
done:
    cli_parse_free(&p);
    return rc;
}

int cmd_user(int argc, char **argv)
{
    static const struct cli_action actions[] = {
        {"add", user_add},
        {"list", user_list_cmd},
        {"token", user_token},
    };
    return cli_run_action(argc, argv, actions, ARRAY_LEN(actions));
}
