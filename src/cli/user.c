/* user: `kanal user add|list|token` manage who may sign in. Passwords are
 * read from standard input, never from the command line (which other users
 * of the machine can see in the process list). */
#include "cli/cli.h"
#include "cli/options.h"
#include "model/model.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

static struct db *open_migrated(const char *url, struct error *err)
{
    struct db *db = db_open(url, err);
    if (db && db_migrate(db, err) < 0) {
        db_close(db);
        return NULL;
    }
    return db;
}

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
    struct cli_opt opts[] = {
        {"db", "PATH|URL", "KANAL_DB", "SQLite file or postgres:// URL", DEFAULT_DB},
        {"email", "EMAIL", NULL, "the user's email (their sign-in name)", NULL},
        {"name", "NAME", NULL, "the user's display name", ""},
        {"role", "ROLE", NULL, "admin, editor, author, moderator or analyst", NULL},
        {"password-stdin", NULL, NULL, "read the password from the first line of stdin", NULL},
    };
    struct cli_parse p;
    int rc = cli_parse_options(argc, argv, opts, ARRAY_LEN(opts),
                               "user add --email EMAIL --role ROLE --password-stdin [--name NAME]",
                               "Adds a user who can sign in to the web UI and the API.", &p);
    if (p.stop)
        goto done;
    rc = 2;
    if (!opts[1].value || !opts[3].value) {
        fprintf(stderr, "kanal user add: --email and --role are required\n");
        goto done;
    }
    if (!opts[4].value) {
        fprintf(stderr, "kanal user add: give the password on stdin with --password-stdin\n");
        goto done;
    }
    char password[PASSWORD_MAX + 2];
    int pr = read_password(password, sizeof password);
    if (pr) {
        fprintf(stderr, "kanal user add: %s\n",
                pr == -2 ? "the password is too long" : "no password on stdin");
        goto done;
    }
    struct error err = {0};
    log_set_level(LOG_WARN);
    struct db *db = open_migrated(opts[0].value, &err);
    int64_t id = 0;
    rc = 1;
    if (db &&
        user_create(db, opts[1].value, opts[2].value, opts[3].value, password, &id, &err) == 0) {
        printf("added user %lld (%s)\n", (long long)id, opts[3].value);
        rc = 0;
    } else {
        fprintf(stderr, "kanal user add: %s\n", err.msg);
    }
    sodium_memzero(password, sizeof password);
    db_close(db);
done:
    cli_parse_free(&p);
    return rc;
}

static int user_list_cmd(int argc, char **argv)
{
    struct cli_opt opts[] = {
        {"db", "PATH|URL", "KANAL_DB", "SQLite file or postgres:// URL", DEFAULT_DB},
    };
    struct cli_parse p;
    int rc = cli_parse_options(argc, argv, opts, ARRAY_LEN(opts), "user list [--db PATH|URL]",
                               "Lists the users: id, email, role, and whether disabled.", &p);
    if (p.stop)
        goto done;
    struct error err = {0};
    log_set_level(LOG_WARN);
    struct db *db = open_migrated(opts[0].value, &err);
    json_t *list = db ? user_list(db, &err) : NULL;
    db_close(db);
    if (!list) {
        fprintf(stderr, "kanal user list: %s\n", err.msg);
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
    struct cli_opt opts[] = {
        {"db", "PATH|URL", "KANAL_DB", "SQLite file or postgres:// URL", DEFAULT_DB},
        {"email", "EMAIL", NULL, "whose token it is", NULL},
        {"name", "NAME", NULL, "what the token is for, e.g. 'reporting script'", NULL},
    };
    struct cli_parse p;
    int rc =
        cli_parse_options(argc, argv, opts, ARRAY_LEN(opts), "user token --email EMAIL --name NAME",
                          "Creates an API token for the user and prints it once; send it as "
                          "'Authorization: Bearer TOKEN'.",
                          &p);
    if (p.stop)
        goto done;
    if (!opts[1].value || !opts[2].value) {
        fprintf(stderr, "kanal user token: --email and --name are required\n");
        rc = 2;
        goto done;
    }
    struct error err = {0};
    log_set_level(LOG_WARN);
    struct db *db = open_migrated(opts[0].value, &err);
    rc = 1;
    int64_t uid = 0;
    char token[API_TOKEN_LEN + 1];
    char email[256];
    snprintf(email, sizeof email, "%s", opts[1].value);
    for (char *c = email; *c; c++)
        *c = (char)(*c >= 'A' && *c <= 'Z' ? *c + 32 : *c);
    int found =
        db ? db_scalar(db, &err, &uid, "SELECT id FROM users WHERE email = ?", "t", email) : -1;
    if (found == 0)
        error_set(&err, ERR_NOT_FOUND, "no user with email %s", email);
    if (found == 1 && api_token_create(db, uid, opts[2].value, token, NULL, &err) == 0) {
        printf("%s\n", token);
        rc = 0;
    } else {
        fprintf(stderr, "kanal user token: %s\n", err.msg);
    }
    db_close(db);
done:
    cli_parse_free(&p);
    return rc;
}

int cmd_user(int argc, char **argv)
{
    static const char usage[] = "usage: kanal user add|list|token [options] (each has --help)\n";
    if (argc < 2 || str_eq(argv[1], "--help") || str_eq(argv[1], "-h")) {
        fputs(usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (str_eq(argv[1], "add"))
        return user_add(argc - 1, argv + 1);
    if (str_eq(argv[1], "list"))
        return user_list_cmd(argc - 1, argv + 1);
    if (str_eq(argv[1], "token"))
        return user_token(argc - 1, argv + 1);
    fprintf(stderr, "kanal user: unknown action '%s'\n%s", argv[1], usage);
    return 2;
}
