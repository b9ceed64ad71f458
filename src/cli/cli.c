/* cli: the command table and dispatch. */
#include "cli/cli.h"
#include "cli/options.h"
#include "base/base.h"
#include "connect/connect.h"
#include "db/db.h"
#include "model/model.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
};

static const struct command commands[] = {
    {"serve", cmd_serve, "serve the API and web UI"},
    {"migrate", cmd_migrate, "bring the database schema up to date"},
    {"user", cmd_user, "add, list and change users, and give them API tokens"},
    {"import", cmd_import, "import platform exports, API answers and webhook payloads"},
    {"demo", cmd_demo, "fill a database with a realistic demo organisation"},
    {"report", cmd_report, "KPIs by channel, campaign, format, theme or period"},
    {"post", cmd_post, "write, submit, approve, reject and schedule posts"},
    {"calendar", cmd_calendar, "the publishing calendar as JSON or iCalendar (--ics)"},
    {"link", cmd_link, "make tagged short links and count their clicks"},
    {"jobs", cmd_jobs, "list, queue, claim and retry background jobs"},
    {"notify", cmd_notify, "notifications: list, mark read, deliver, deliveries, webhook"},
    {"connect", cmd_connect, "connect an account through its platform's OAuth; list connections"},
    {"messages", cmd_messages, "list the inbox's messages by words, assignee, team, language..."},
    {"team", cmd_team, "make teams and say who is in them and on duty"},
    {"reply", cmd_reply, "saved replies in sv, fi and en, filled in for a message"},
    {"rule", cmd_rule, "add, list, test and delete the inbox's routing rules"},
    {"channel-token", cmd_channel_token, "store, check or forget a channel's sealed tokens"},
    {"sync", cmd_sync, "sync connected channels once, now"},
    {"listen", cmd_listen, "read feeds: `listen parse FILE` prints what a feed holds"},
    {"act", cmd_act, "publish, reply, hide ... on a connected channel's platform"},
    {"publish", cmd_publish, "post what is due now; pause and resume scheduled posts"},
    {"secret-key", cmd_secret_key, "print a new key for sealing channels' tokens"},
    {"version", cmd_version, "print the version"},
    {"sentiment", cmd_sentiment, "label texts' sentiment (stdin) or --eval a labelled file"},
};

static void usage(FILE *f)
{
    /* The summaries start in one column, after the longest name. */
    int width = 0;
    for (size_t i = 0; i < ARRAY_LEN(commands); i++)
        if ((int)strlen(commands[i].name) > width)
            width = (int)strlen(commands[i].name);
    fprintf(f, "usage: kanal COMMAND [options]\n\ncommands:\n");
    for (size_t i = 0; i < ARRAY_LEN(commands); i++)
        fprintf(f, "  %-*s  %s\n", width, commands[i].name, commands[i].summary);
    fprintf(f, "\n'kanal COMMAND --help' tells more about one command; 'kanal --version' "
               "prints the version.\n");
}

int cli_main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (str_eq(argv[1], "--help") || str_eq(argv[1], "-h") || str_eq(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    if (str_eq(argv[1], "--version"))
        return cmd_version(1, argv + 1);
    for (size_t i = 0; i < ARRAY_LEN(commands); i++)
        if (str_eq(argv[1], commands[i].name))
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "kanal: unknown command '%s' (see 'kanal --help')\n", argv[1]);
    return 2;
}

int cmd_version(int argc, char **argv)
{
    if (argc > 1 && (str_eq(argv[1], "--help") || str_eq(argv[1], "-h"))) {
        printf("usage: kanal version\n\nPrints kanal's version.\n");
        return 0;
    }
    printf("kanal %s\n", KANAL_VERSION);
    return 0;
}

int cli_run_action(int argc, char **argv, const struct cli_action *actions, size_t n)
{
    assert(argc >= 1);
    return cli_run_actions_of(argv[0], argc, argv, actions, n);
}

int cli_run_actions_of(const char *cmd, int argc, char **argv, const struct cli_action *actions,
                       size_t n)
{
    assert(argc >= 1 && n > 0);
    struct buf usage = {0};
    buf_printf(&usage, "usage: kanal %s ", cmd);
    for (size_t i = 0; i < n; i++)
        buf_printf(&usage, "%s%s", i ? "|" : "", actions[i].name);
    buf_puts(&usage, " [options] (each has --help)\n");
    int rc = 2;
    if (argc < 2 || str_eq(argv[1], "--help") || str_eq(argv[1], "-h")) {
        fputs(usage.data, argc < 2 ? stderr : stdout);
        rc = argc < 2 ? 2 : 0;
        goto done;
    }
    for (size_t i = 0; i < n; i++)
        if (str_eq(argv[1], actions[i].name)) {
            const struct cli_action *a = &actions[i];
            assert(!a->run != !a->run_what);
            rc = a->run ? a->run(argc - 1, argv + 1) : a->run_what(argc - 1, argv + 1, a->what);
            goto done;
        }
    cli_error(cmd, "unknown action '%s' (see 'kanal %s --help')", argv[1], cmd);
done:
    buf_free(&usage);
    return rc;
}

/* The SQLite file url names, or NULL for PostgreSQL. */
static const char *sqlite_path(const char *url)
{
    if (str_starts_with(url, "postgres://") || str_starts_with(url, "postgresql://"))
        return NULL;
    return str_starts_with(url, "sqlite:") ? url + strlen("sqlite:") : url;
}

struct db *cli_open_db(const char *url, enum cli_db_mode mode, int *applied, struct error *err)
{
    log_set_level(LOG_WARN);
    const char *path = url ? sqlite_path(url) : NULL;
    if (mode == CLI_DB_EXISTING && path && *path && access(path, F_OK) != 0) {
        error_set(err, ERR_NOT_FOUND,
                  "no database at '%s' (give --db or KANAL_DB; 'kanal migrate' or 'kanal demo' "
                  "makes one)",
                  path);
        return NULL;
    }
    struct db *db = db_open(url, err);
    int n = db ? db_migrate(db, err) : -1;
    if (n < 0) {
        db_close(db);
        return NULL;
    }
    if (applied)
        *applied = n;
    return db;
}

size_t cli_text_width(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80; /* count lead bytes only */
    return n;
}

void cli_print_padded(FILE *f, const char *s, size_t width)
{
    s = s ? s : "";
    fputs(s, f);
    for (size_t n = cli_text_width(s); n < width; n++)
        fputc(' ', f);
}

void cli_error(const char *cmd, const char *fmt, ...)
{
    struct buf b = {0};
    buf_printf(&b, "kanal: %s: ", cmd);
    va_list ap;
    va_start(ap, fmt);
    buf_vprintf(&b, fmt, ap);
    va_end(ap);
    buf_putc(&b, '\n');
    fwrite(b.data, 1, b.len, stderr); /* one write, so the line stays whole */
    buf_free(&b);
}

struct db *cli_open_workspace(const char *cmd, const char *url, const char *ws, int64_t *wsid)
{
    struct error err = {0};
    struct db *db = cli_open_db(url, CLI_DB_EXISTING, NULL, &err);
    int found = -1;
    if (db && ws)
        found = workspace_resolve(db, ws, wsid, &err) == 0 ? 1 : -1;
    else if (db)
        found = workspace_only(db, wsid, &err);
    if (found > 0)
        return db;
    if (found == 0)
        error_set(&err, ERR_NOT_FOUND,
                  "there is no workspace yet: make one in the web desk or "
                  "with the API, or import into one (kanal import)");
    cli_error(cmd, "%s", err.msg);
    db_close(db);
    return NULL;
}

struct db *cli_open_desk(const char *cmd, const char *url, const char *ws, const char *as,
                         int64_t *wsid, struct actor *who)
{
    struct error err = {0};
    *who = (struct actor){0};
    struct db *db = cli_open_workspace(cmd, url, ws, wsid);
    if (!db || !as)
        return db;
    struct user u;
    if (user_find(db, as, &who->user_id, &err) || user_get(db, who->user_id, &u, &err)) {
        cli_error(cmd, "%s", err.msg);
        db_close(db);
        return NULL;
    }
    who->role = u.role;
    return db;
}

bool cli_cmd_begin(struct cli_cmd *c, int argc, char **argv, const struct cli_opt *opts, size_t n,
                   const char *synopsis, const char *about)
{
    *c = (struct cli_cmd){0};
    cli_command_name(synopsis, c->name, sizeof c->name);
    c->rc = cli_parse_options(argc, argv, opts, n, synopsis, about, &c->p);
    if (c->p.stop)
        return false;
    c->rc = 2;
    return true;
}

/* cli_cmd_usage's body, for it and cli_cmd_id. */
static void usage_v(struct cli_cmd *c, const char *fmt, va_list ap) PRINTF_LIKE(2, 0);

static void usage_v(struct cli_cmd *c, const char *fmt, va_list ap)
{
    struct buf b = {0};
    buf_vprintf(&b, fmt, ap);
    cli_error(c->name, "%s", b.data ? b.data : "");
    buf_free(&b);
    c->rc = 2;
}

bool(cli_cmd_usage)(struct cli_cmd *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    usage_v(c, fmt, ap);
    va_end(ap);
    return false;
}

bool cli_cmd_id_arg(struct cli_cmd *c, int64_t *id, const char *why)
{
    return (c->p.npos == 1 && cli_id(c->p.pos[0], id)) || cli_cmd_usage(c, "%s", why);
}

bool cli_cmd_id(struct cli_cmd *c, const char *s, int64_t *id, const char *fmt, ...)
{
    *id = 0;
    if (!s || cli_id(s, id))
        return true;
    *id = 0;
    va_list ap;
    va_start(ap, fmt);
    usage_v(c, fmt, ap);
    va_end(ap);
    return false;
}

bool cli_cmd_int(struct cli_cmd *c, const char *name, const char *s, int64_t lo, int64_t hi,
                 const char *unit, int64_t *v)
{
    return cli_int(s, lo, hi, v) || cli_cmd_usage(c, "--%s must be from %lld to %lld%s", name,
                                                  (long long)lo, (long long)hi, unit);
}

bool cli_cmd_no_args(struct cli_cmd *c)
{
    return !c->p.npos || cli_cmd_usage(c, "unexpected argument '%s'", c->p.pos[0]);
}

bool cli_cmd_key(struct cli_cmd *c, const char *file)
{
    c->rc = 1;
    c->key = cli_secret_key(c->name, file, true);
    return c->key != NULL;
}

bool cli_cmd_open(struct cli_cmd *c, const char *url, const char *ws)
{
    c->rc = 1;
    c->db = cli_open_workspace(c->name, url, ws, &c->ws);
    return c->db != NULL;
}

bool cli_cmd_open_db(struct cli_cmd *c, const char *url, enum cli_db_mode mode)
{
    c->rc = 1;
    c->db = cli_open_db(url, mode, NULL, &c->err);
    return c->db != NULL;
}

bool cli_cmd_open_desk(struct cli_cmd *c, const char *url, const char *ws, const char *as,
                       struct actor *who)
{
    c->rc = 1;
    c->db = cli_open_desk(c->name, url, ws, as, &c->ws, who);
    return c->db != NULL;
}

void cli_cmd_field_error(struct cli_cmd *c)
{
    if (c->rc != 1 || !c->err.msg[0] || !c->err.field[0])
        return;
    char opt[64];
    const char *f = c->err.field;
    snprintf(opt, sizeof opt, "%s", str_starts_with(f, "filter.") ? f + strlen("filter.") : f);
    size_t n = strlen(opt);
    if (n > 3 && str_eq(opt + n - 3, "_id"))
        opt[n - 3] = '\0';
    for (char *ch = opt; *ch; ch++)
        *ch = *ch == '_' ? '-' : *ch;
    cli_error(c->name, "--%s: %s", opt, c->err.msg);
    c->err.msg[0] = '\0'; /* printed */
}

int cli_cmd_end(struct cli_cmd *c)
{
    if (c->rc && c->err.msg[0])
        cli_error(c->name, "%s", c->err.msg);
    db_close(c->db);
    vault_key_free(c->key);
    cli_parse_free(&c->p);
    return c->rc;
}

int cli_list_run(int argc, char **argv, const struct cli_list *l)
{
    const char *db_url = DEFAULT_DB, *workspace = NULL;
    const struct cli_opt opts[] = {OPT_DB(&db_url), OPT_WORKSPACE(&workspace)};
    struct cli_cmd c;
    json_t *list = NULL;
    if (cli_cmd_begin(&c, argc, argv, opts, ARRAY_LEN(opts), l->synopsis, l->about) &&
        cli_cmd_open(&c, db_url, workspace) && (list = l->list(c.db, c.ws, &c.err))) {
        size_t i;
        json_t *it;
        json_array_foreach (json_object_get(list, "items"), i, it) {
            if (l->print)
                l->print(it);
            else
                cli_print_json(it);
        }
        c.rc = 0;
    }
    json_decref(list);
    return cli_cmd_end(&c);
}

bool cli_int(const char *s, int64_t lo, int64_t hi, int64_t *v)
{
    return str_to_i64(s, v) == 0 && *v >= lo && *v <= hi;
}

bool cli_id(const char *s, int64_t *id)
{
    return cli_int(s, 1, INT64_MAX, id);
}

void cli_json_put(json_t *o, const char *key, const char *s)
{
    if (s)
        json_object_set_new(o, key, json_string(s));
}

void cli_print_json(json_t *v)
{
    cli_print_json_doc(v, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
}

void cli_print_json_doc(json_t *v, size_t flags)
{
    char *s = json_dumps(v, flags);
    printf("%s\n", s ? s : "null");
    free(s);
}

void cli_print_json_lines(json_t *items)
{
    size_t i;
    json_t *it;
    json_array_foreach (items, i, it)
        cli_print_json(it);
}

int cli_lookup(struct db *db, const char *table, const char *column, const char *s, int64_t ws,
               int64_t *id, struct error *err)
{
    if (cli_id(s, id))
        return 0;
    char sql[160];
    snprintf(sql, sizeof sql, "SELECT id FROM %s WHERE %s = ?%s", table, column,
             ws ? " AND workspace_id = ?" : "");
    int found = ws ? db_scalar(db, err, id, sql, "ti", s, ws) : db_scalar(db, err, id, sql, "t", s);
    if (found == 0)
        return error_set(err, ERR_NOT_FOUND, "no %.*s '%s'", (int)strlen(table) - 1, table, s);
    return found < 0 ? -1 : 0;
}

size_t cli_chomp(char *s, size_t n)
{
    while (n && (s[n - 1] == '\n' || s[n - 1] == '\r'))
        s[--n] = '\0';
    return n;
}

/* One line of stdin without its line end into a new string, or NULL. */
char *cli_read_line(void)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t n = getline(&line, &cap, stdin);
    if (n <= 0) {
        free(line);
        return NULL;
    }
    cli_chomp(line, (size_t)n);
    return line;
}
