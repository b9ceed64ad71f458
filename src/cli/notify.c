/* notify: `kanal notify list|read|prefs|deliver|deliveries|webhook`: a
 * person's notifications from the command line, delivering what is queued
 * once (the same runs `kanal serve` does), what was delivered and why not,
 * and a workspace's webhook. */
#include "cli/cli.h"
#include "cli/options.h"
#include "notify/notify.h"

#include <stdio.h>
#include <string.h>

int cli_smtp_config(const char *cmd, const struct cli_smtp *s, struct notify_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->smtp_host = s->host && *s->host ? s->host : NULL;
    cfg->smtp_from = s->from;
    cfg->smtp_user = s->user;
    cfg->smtp_password = s->password;
    int tls = notify_tls_parse(s->tls ? s->tls : "none");
    if (tls < 0) {
        cli_error(cmd, "--smtp-tls must be none, starttls or tls");
        return -1;
    }
    cfg->smtp_tls = (enum notify_tls)tls;
    int64_t port = 0;
    if (s->port && (str_to_i64(s->port, &port) || port < 1 || port > 65535)) {
        cli_error(cmd, "--smtp-port must be from 1 to 65535");
        return -1;
    }
    cfg->smtp_port = (int)port;
    if (cfg->smtp_host && (!s->from || !strchr(s->from, '@'))) {
        cli_error(cmd, "--smtp-from (KANAL_SMTP_FROM) must give an address with '@' when "
                       "--smtp-host is set");
        return -1;
    }
    return 0;
}

/* The user --user names (an e-mail address), into *id. */
static struct db *open_user(const char *cmd, const char *db_url, const char *email, int64_t *id)
{
    struct error err = {0};
    if (!email) {
        cli_error(cmd, "--user: give the person's e-mail address");
        return NULL;
    }
    struct db *db = cli_open_db(db_url, CLI_DB_EXISTING, NULL, &err);
    if (!db || user_find(db, email, id, &err)) {
        cli_error(cmd, "%s", err.msg);
        db_close(db);
        return NULL;
    }
    return db;
}

static int notify_list_cmd(int argc, char **argv)
{
    const char *db_url = DEFAULT_DB, *user = NULL;
    bool unread = false, as_json = false;
    const struct cli_opt opts[] = {
        OPT_DB(&db_url),
        OPT_STRING("user", "EMAIL", NULL, &user, "whose notifications"),
        OPT_BOOL("unread", NULL, &unread, "only the unread ones"),
        OPT_BOOL("json", NULL, &as_json, "print the API's JSON"),
    };
    struct cli_parse p;
    int rc =
        cli_parse_options(argc, argv, opts, ARRAY_LEN(opts), "notify list --user EMAIL [--unread]",
                          "Lists a person's notifications, newest first: id, read or "
                          "unread, event, post, title.",
                          &p);
    if (p.stop)
        goto done;
    rc = 1;
    int64_t uid;
    struct db *db = open_user("notify list", db_url, user, &uid);
    if (!db)
        goto done;
    struct error err = {0};
    json_t *list = notify_list(db, uid, unread, NOTIFY_LIST_MAX, &err);
    db_close(db);
    if (!list) {
        cli_error("notify list", "%s", err.msg);
        goto done;
    }
    if (as_json) {
        char *s = json_dumps(list, JSON_INDENT(2) | JSON_SORT_KEYS);
        printf("%s\n", s);
        free(s);
    } else {
        size_t i;
        json_t *n;
        json_array_foreach (json_object_get(list, "items"), i, n)
            printf("%lld\t%s\t%s\t%lld\t%s\n",
                   (long long)json_integer_value(json_object_get(n, "id")),
                   json_is_true(json_object_get(n, "read")) ? "read" : "unread",
                   json_string_value(json_object_get(n, "event")),
                   (long long)json_integer_value(json_object_get(n, "post_id")),
                   json_string_value(json_object_get(n, "title")));
    }
    json_decref(list);
    rc = 0;
done:
    cli_parse_free(&p);
    return rc;
}

static int notify_read_cmd(int argc, char **argv)
{
    const char *db_url = DEFAULT_DB, *user = NULL;
    bool all = false;
    const struct cli_opt opts[] = {
        OPT_DB(&db_url),
        OPT_STRING("user", "EMAIL", NULL, &user, "whose notifications"),
        OPT_BOOL("all", NULL, &all, "mark every one read"),
    };
    struct cli_parse p;
    int rc = cli_parse_options(argc, argv, opts, ARRAY_LEN(opts),
                               "notify read --user EMAIL (ID | --all)",
                               "Marks a notification (or every one) read.", &p);
    if (p.stop)
        goto done;
    rc = 2;
    int64_t id = 0;
    if ((all && p.npos) || (!all && (p.npos != 1 || str_to_i64(p.pos[0], &id) || id < 1))) {
        cli_error("notify read", "give one notification id, or --all");
        goto done;
    }
    rc = 1;
    int64_t uid;
    struct db *db = open_user("notify read", db_url, user, &uid);
    if (!db)
        goto done;
    struct error err = {0};
    int64_t n = notify_mark_read(db, uid, id, &err);
    db_close(db);
    if (n < 0) {
        cli_error("notify read", "%s", err.msg);
        goto done;
    }
    printf("marked %lld read\n", (long long)n);
    rc = 0;
done:
    cli_parse_free(&p);
    return rc;
}

static int notify_deliver_cmd(int argc, char **argv)
{
    const char *db_url = DEFAULT_DB;
    struct cli_smtp smtp = {0};
    bool now = false;
    const struct cli_opt opts[] = {
        OPT_DB(&db_url),
        OPT_SMTP(&smtp),
        OPT_BOOL("now", NULL, &now, "also those waiting out a backoff after a failure"),
    };
    struct cli_parse p;
    int rc = cli_parse_options(argc, argv, opts, ARRAY_LEN(opts), "notify deliver [--now]",
                               "Sends every due notification e-mail and webhook call once, "
                               "and says how many went and how many failed.",
                               &p);
    if (p.stop)
        goto done;
    rc = 2;
    struct notify_config cfg;
    if (cli_smtp_config("notify deliver", &smtp, &cfg))
        goto done;
    rc = 1;
    struct error err = {0};
    struct db *db = cli_open_db(db_url, CLI_DB_EXISTING, NULL, &err);
    int sent = 0, failed = 0;
    if (!db || notify_deliver_due(db, &cfg, now, &sent, &failed, &err)) {
        cli_error("notify deliver", "%s", err.msg);
        db_close(db);
        goto done;
    }
    db_close(db);
    printf("sent %d, failed %d\n", sent, failed);
    rc = failed ? 3 : 0;
done:
    cli_parse_free(&p);
    return rc;
}

static int notify_deliveries_cmd(int argc, char **argv)
{
    const char *db_url = DEFAULT_DB, *ws = NULL, *state = NULL;
    const struct cli_opt opts[] = {
        OPT_DB(&db_url),
        OPT_WORKSPACE(&ws),
        OPT_STRING("state", "STATE", NULL, &state, "queued, sent or failed"),
    };
    struct cli_parse p;
    int rc = cli_parse_options(argc, argv, opts, ARRAY_LEN(opts),
                               "notify deliveries --workspace WS [--state STATE]",
                               "Lists the workspace's e-mails and webhook calls: id, via, "
                               "state, attempts, target, last error.",
                               &p);
    if (p.stop)
        goto done;
    rc = 1;
    int64_t wsid;
    struct db *db = cli_open_workspace("notify deliveries", db_url, ws, &wsid);
    if (!db)
        goto done;
    struct error err = {0};
    json_t *list = notify_deliveries(db, wsid, state, NOTIFY_LIST_MAX, &err);
    db_close(db);
    if (!list) {
        cli_error("notify deliveries", "%s", err.msg);
        goto done;
    }
    size_t i;
    json_t *d;
    json_array_foreach (json_object_get(list, "items"), i, d) {
        json_t *last = json_object_get(d, "last_error");
        printf("%lld\t%s\t%s\t%lld\t%s\t%s\n",
               (long long)json_integer_value(json_object_get(d, "id")),
               json_string_value(json_object_get(d, "via")),
               json_string_value(json_object_get(d, "state")),
               (long long)json_integer_value(json_object_get(d, "attempts")),
               json_string_value(json_object_get(d, "target")),
               json_is_string(last) ? json_string_value(last) : "");
    }
    json_decref(list);
    rc = 0;
done:
    cli_parse_free(&p);
    return rc;
}

static int notify_webhook_cmd(int argc, char **argv)
{
    const char *db_url = DEFAULT_DB, *ws = NULL;
    bool remove = false;
    const struct cli_opt opts[] = {
        OPT_DB(&db_url),
        OPT_WORKSPACE(&ws),
        OPT_BOOL("delete", NULL, &remove, "remove the workspace's webhook"),
    };
    struct cli_parse p;
    int rc = cli_parse_options(argc, argv, opts, ARRAY_LEN(opts),
                               "notify webhook --workspace WS (URL | --delete)",
                               "Sets the workspace's outgoing webhook and prints its new "
                               "signing secret (shown only now), or removes it.",
                               &p);
    if (p.stop)
        goto done;
    rc = 2;
    if (remove ? p.npos != 0 : p.npos != 1) {
        cli_error("notify webhook", "give the webhook's URL, or --delete");
        goto done;
    }
    rc = 1;
    int64_t wsid;
    struct db *db = cli_open_workspace("notify webhook", db_url, ws, &wsid);
    if (!db)
        goto done;
    struct error err = {0};
    json_t *out = NULL;
    int failed = remove ? notify_webhook_delete(db, wsid, NULL, &err)
                        : !(out = notify_webhook_set(db, wsid, p.pos[0], NULL, &err));
    db_close(db);
    if (failed) {
        cli_error("notify webhook", "%s", err.msg);
        goto done;
    }
    if (out)
        printf("secret %s\n", json_string_value(json_object_get(out, "secret")));
    json_decref(out);
    rc = 0;
done:
    cli_parse_free(&p);
    return rc;
}

int cmd_notify(int argc, char **argv)
{
    static const struct cli_action actions[] = {
        {"list", .run = notify_list_cmd},       {"read", .run = notify_read_cmd},
        {"deliver", .run = notify_deliver_cmd}, {"deliveries", .run = notify_deliveries_cmd},
        {"webhook", .run = notify_webhook_cmd},
    };
    return cli_run_action(argc, argv, actions, ARRAY_LEN(actions));
}
