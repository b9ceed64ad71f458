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
    if (s->port && !cli_int(s->port, 1, 65535, &port)) {
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

/* The store, and the user --user names (an e-mail address) into *id. */
static bool open_user(struct cli_cmd *c, const char *db_url, const char *email, int64_t *id)
{
    c->rc = 1;
    if (!email) {
        cli_error(c->name, "--user: give the person's e-mail address");
        return false;
    }
    return cli_cmd_open_db(c, db_url, CLI_DB_EXISTING) && user_find(c->db, email, id, &c->err) == 0;
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
    struct cli_cmd c;
    int64_t uid;
    if (!cli_cmd_begin(&c, argc, argv, opts, ARRAY_LEN(opts), "notify list --user EMAIL [--unread]",
                       "Lists a person's notifications, newest first: id, read or "
                       "unread, event, post, title.") ||
        !open_user(&c, db_url, user, &uid))
        return cli_cmd_end(&c);
    json_t *list = notify_list(c.db, uid, unread, NOTIFY_LIST_MAX, &c.err);
    if (list && as_json) {
        cli_print_json_doc(list, JSON_INDENT(2) | JSON_SORT_KEYS);
    } else if (list) {
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
    c.rc = list ? 0 : 1;
    json_decref(list);
    return cli_cmd_end(&c);
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
    struct cli_cmd c;
    int64_t id = 0, uid;
    if (!cli_cmd_begin(&c, argc, argv, opts, ARRAY_LEN(opts),
                       "notify read --user EMAIL (ID | --all)",
                       "Marks a notification (or every one) read.") ||
        (((all && c.p.npos) || (!all && (c.p.npos != 1 || !cli_id(c.p.pos[0], &id)))) &&
         !cli_cmd_usage(&c, "give one notification id, or --all")) ||
        !open_user(&c, db_url, user, &uid))
        return cli_cmd_end(&c);
    int64_t n = notify_mark_read(c.db, uid, id, &c.err);
    if (n >= 0) {
        printf("marked %lld read\n", (long long)n);
        c.rc = 0;
    }
    return cli_cmd_end(&c);
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
    struct cli_cmd c;
    struct notify_config cfg;
    int sent = 0, failed = 0;
    if (cli_cmd_begin(&c, argc, argv, opts, ARRAY_LEN(opts), "notify deliver [--now]",
                      "Sends every due notification e-mail and webhook call once, "
                      "and says how many went and how many failed.") &&
        !cli_smtp_config(c.name, &smtp, &cfg) && cli_cmd_open_db(&c, db_url, CLI_DB_EXISTING) &&
        !notify_deliver_due(c.db, &cfg, now, &sent, &failed, &c.err)) {
        printf("sent %d, failed %d\n", sent, failed);
        c.rc = failed ? 3 : 0;
    }
    return cli_cmd_end(&c);
}

static int notify_deliveries_cmd(int argc, char **argv)
{
    const char *db_url = DEFAULT_DB, *ws = NULL, *state = NULL;
    const struct cli_opt opts[] = {
        OPT_DB(&db_url),
        OPT_WORKSPACE(&ws),
        OPT_STRING("state", "STATE", NULL, &state, "queued, sent or failed"),
    };
    struct cli_cmd c;
    if (!cli_cmd_begin(&c, argc, argv, opts, ARRAY_LEN(opts),
                       "notify deliveries --workspace WS [--state STATE]",
                       "Lists the workspace's e-mails and webhook calls: id, via, "
                       "state, attempts, target, last error.") ||
        !cli_cmd_open(&c, db_url, ws))
        return cli_cmd_end(&c);
    json_t *list = notify_deliveries(c.db, c.ws, state, NOTIFY_LIST_MAX, &c.err);
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
    c.rc = list ? 0 : 1;
    json_decref(list);
    return cli_cmd_end(&c);
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
    struct cli_cmd c;
    if (!cli_cmd_begin(&c, argc, argv, opts, ARRAY_LEN(opts),
                       "notify webhook --workspace WS (URL | --delete)",
                       "Sets the workspace's outgoing webhook and prints its new "
                       "signing secret (shown only now), or removes it.") ||
        ((remove ? c.p.npos != 0 : c.p.npos != 1) &&
         !cli_cmd_usage(&c, "give the webhook's URL, or --delete")) ||
        !cli_cmd_open(&c, db_url, ws))
        return cli_cmd_end(&c);
    json_t *out = NULL;
    int failed = remove ? notify_webhook_delete(c.db, c.ws, NULL, &c.err)
                        : !(out = notify_webhook_set(c.db, c.ws, c.p.pos[0], NULL, &c.err));
    if (out)
        printf("secret %s\n", json_string_value(json_object_get(out, "secret")));
    c.rc = failed ? 1 : 0;
    json_decref(out);
    return cli_cmd_end(&c);
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
