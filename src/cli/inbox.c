/* inbox: `kanal messages list|answered|bulk|conversation|note`, `kanal reply
 * add|list|update|delete|render`, `kanal team add|list|members|join|leave|level|levels` and `kanal
 * rule add|list|test|delete`: the inbox's lists, teams and routing rules from the command line,
 * through the same model functions as the API (the list's filters are the API's query parameters,
 * read by one parser). */
#include "cli/cli.h"
#include "cli/options.h"
#include "model/model.h"
#include "notify/notify.h"
#include "publish/publish.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- messages ------------------------------------------------------------------------ */

/* The list's filters: each option is the API's query parameter of the same
 * name (bulk-hide takes the same). */
#define FILTER_COUNT 13
static const char *const filter_params[FILTER_COUNT] = {
    "q",       "assigned_user", "team",      "lang",  "author", "priority", "status",
    "channel", "kind",          "sentiment", "since", "until",  "sla"};
#define FILTER_OPTS(v)                                                                             \
    OPT_STRING("q", "WORDS", NULL, &(v)[0], "words, each found by its stem (sv, fi, en)"),         \
        OPT_STRING("assigned-user", "me|EMAIL|ID", NULL, &(v)[1], "the assignee ('me' is --as)"),  \
        OPT_STRING("team", "NAME|ID", NULL, &(v)[2], "the team"),                                  \
        OPT_STRING("lang", "LANG", NULL, &(v)[3], "sv, fi, en or other"),                          \
        OPT_STRING("author", "NAME", NULL, &(v)[4], "the writer's name or handle"),                \
        OPT_STRING("priority", "P", NULL, &(v)[5], "low, normal, high or urgent"),                 \
        OPT_STRING("status", "S", NULL, &(v)[6], "open, assigned, answered, closed, ..."),         \
        OPT_STRING("channel", "ID", NULL, &(v)[7], "the channel"),                                 \
        OPT_STRING("kind", "K", NULL, &(v)[8], "comment, reply, mention, dm or review"),           \
        OPT_STRING("sentiment", "S", NULL, &(v)[9], "pos, neu or neg"),                            \
        OPT_STRING("since", "DATE", NULL, &(v)[10], "written on or after (ISO 8601)"),             \
        OPT_STRING("until", "DATE", NULL, &(v)[11], "written before (ISO 8601)"),                  \
        OPT_STRING("sla", "S", NULL, &(v)[12], "service level: ok, at_risk, breached or met")

/* The options given as the API's query object (names the API takes as ids,
 * the command line also takes by name); NULL and err. */
static json_t *filter_query(struct db *db, int64_t ws, const char *const v[FILTER_COUNT],
                            struct error *err)
{
    json_t *q = json_object();
    char num[24];
    int64_t id;
    for (size_t i = 0; i < FILTER_COUNT; i++) {
        const char *val = v[i];
        if (val && str_eq(filter_params[i], "team")) {
            if (cli_lookup(db, "teams", "name", val, ws, &id, err))
                goto fail;
            snprintf(num, sizeof num, "%lld", (long long)id);
            val = num;
        } else if (val && str_eq(filter_params[i], "assigned_user") && strchr(val, '@')) {
            if (user_find(db, val, &id, err))
                goto fail;
            snprintf(num, sizeof num, "%lld", (long long)id);
            val = num;
        }
        cli_json_put(q, filter_params[i], val);
    }
    return q;
fail:
    json_decref(q);
    return NULL;
}

static int messages_list(int argc, char **argv)
{
    const char *db_url = DEFAULT_DB, *workspace = NULL, *as = NULL, *limit = "50";
    const char *v[FILTER_COUNT] = {0};
    const struct cli_opt opts[] = {
        OPT_DB(&db_url),
        OPT_WORKSPACE(&workspace),
        FILTER_OPTS(v),
        OPT_STRING("as", "EMAIL", "KANAL_USER", &as, "who 'me' is"),
        OPT_STRING("limit", "N", NULL, &limit, "at most N messages, newest first (1-200)"),
    };
    struct cli_cmd c;
    if (!cli_cmd_begin(&c, argc, argv, opts, ARRAY_LEN(opts),
                       "messages list --workspace WS [--q WORDS --assigned-user me --team "
                       "T --lang L --author A --priority P ...]",
                       "Lists the inbox's messages, newest first, as JSON lines.") ||
        !cli_cmd_open(&c, db_url, workspace))
        return cli_cmd_end(&c);
    int64_t me = 0;
    json_t *q = NULL, *list = NULL;
    struct page pg;
    struct message_filter f;
    if ((!as || user_find(c.db, as, &me, &c.err) == 0) &&
        (q = filter_query(c.db, c.ws, v, &c.err)) && page_parse(&pg, limit, NULL, &c.err) == 0 &&
        message_filter_parse(&f, q, me, &c.err) == 0 &&
        (list = message_list(c.db, c.ws, &f, &pg, &c.err))) {
        cli_print_json_lines(json_object_get(list, "items"));
        c.rc = 0;
    }
    cli_cmd_field_error(&c);
    json_decref(list);
    json_decref(q);
    return cli_cmd_end(&c);
}

/* Prints a bulk operation: one line of counts, then each message's line. */
static void print_bulk(json_t *op)
{
    json_t *c = json_object_get(op, "counts"), *u = json_object_get(op, "undo_counts");
    printf("bulk %lld: hide %lld messages%s (queued %lld, done %lld, failed %lld, skipped %lld)",
           (long long)json_integer_value(json_object_get(op, "id")),
           (long long)json_integer_value(json_object_get(op, "matched")),
           json_is_true(json_object_get(op, "more")) ? ", the filter found more" : "",
           (long long)(json_integer_value(json_object_get(c, "queued")) +
                       json_integer_value(json_object_get(c, "sent")) +
                       json_integer_value(json_object_get(c, "unknown"))),
           (long long)json_integer_value(json_object_get(c, "done")),
           (long long)json_integer_value(json_object_get(c, "failed")),
           (long long)json_integer_value(json_object_get(c, "skipped")));
    if (json_is_object(u))
        printf("; undone: unhide queued %lld, done %lld, failed %lld",
               (long long)(json_integer_value(json_object_get(u, "queued")) +
                           json_integer_value(json_object_get(u, "sent")) +
                           json_integer_value(json_object_get(u, "unknown"))),
               (long long)json_integer_value(json_object_get(u, "done")),
               (long long)json_integer_value(json_object_get(u, "failed")));
    printf("\n");
    cli_print_json_lines(json_object_get(op, "items"));
}

/* A spam wave: every message the filter finds (or the ids given) hidden on
 * its platform, each by an action of its own; undone by the operation's id. */
static int messages_bulk(int argc, char **argv)
{
    const char *db_url = DEFAULT_DB, *workspace = NULL, *as = NULL, *limit = NULL, *ids = NULL,
               *reason = NULL, *bulk = NULL;
    const char *v[FILTER_COUNT] = {0};
    bool undo = false;
    const struct cli_opt opts[] = {
        OPT_DB(&db_url),
        OPT_WORKSPACE(&workspace),
        FILTER_OPTS(v),
        OPT_STRING("ids", "ID,ID,...", NULL, &ids, "these messages instead of a filter"),
        OPT_STRING("reason", "TEXT", NULL, &reason, "why they are hidden (kept)"),
        OPT_STRING("limit", "N", NULL, &limit, "at most N messages, newest first (1-500)"),
        OPT_STRING("bulk", "ID", NULL, &bulk, "show this operation (with --undo: undo it)"),
        OPT_BOOL("undo", NULL, &undo, "show again what operation --bulk hid"),
        OPT_STRING("as", "EMAIL", "KANAL_USER", &as, "the moderator (and who 'me' is)"),
    };
    struct cli_cmd c;
    int64_t bid = 0;
    if (!cli_cmd_begin(&c, argc, argv, opts, ARRAY_LEN(opts),
                       "messages bulk --workspace WS [FILTERS | --ids ID,...] --reason R "
                       "[--limit N] | --bulk ID [--undo]",
                       "Hides every message a filter finds on its platform (or shows "
                       "again what an operation hid).") ||
        !cli_cmd_id(&c, bulk, &bid, "--bulk: '%s' is not an operation id", bulk) ||
        (undo && !bulk && !cli_cmd_usage(&c, "--undo needs --bulk ID")) ||
        !cli_cmd_open(&c, db_url, workspace))
        return cli_cmd_end(&c);
    struct error *err = &c.err;
    struct actor who = {.role = ROLE_MODERATOR};
    json_t *in = NULL, *out = NULL;
    if (as && user_find(c.db, as, &who.user_id, err))
        goto fail;
    if (bulk) {
        out = undo ? publish_bulk_undo(c.db, c.ws, bid, &who, time_now(), err)
                   : publish_bulk_get(c.db, c.ws, bid, err);
    } else {
        in = json_pack("{s:s}", "action", "hide");
        cli_json_put(in, "reason", reason);
        if (limit) {
            int64_t n;
            if (str_to_i64(limit, &n)) {
                error_field(err, ERR_INVALID, "limit", "'%s' is not a number", limit);
                goto fail;
            }
            json_object_set_new(in, "limit", json_integer(n));
        }
        if (ids) {
            json_t *list = json_array();
            json_object_set_new(in, "message_ids", list);
            char *copy = xstrdup(ids), *save = NULL;
            for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
                int64_t n;
                if (!cli_id(t, &n)) {
                    error_field(err, ERR_INVALID, "ids", "'%s' is not a message id", t);
                    free(copy);
                    goto fail;
                }
                json_array_append_new(list, json_integer(n));
            }
            free(copy);
        } else {
            json_t *q = filter_query(c.db, c.ws, v, err);
            if (!q)
                goto fail;
            json_object_set_new(in, "filter", q);
        }
        out = publish_bulk_moderate(c.db, c.ws, in, &who, time_now(), err);
    }
    if (!out)
        goto fail;
    print_bulk(out);
    c.rc = 0;
fail:
    cli_cmd_field_error(&c);
    json_decref(in);
    json_decref(out);
    return cli_cmd_end(&c);
}

/* A moderator answered by phone or e-mail: the message counts as answered then. */
static int messages_answered(int argc, char **argv)
{
    const char *db_url = DEFAULT_DB, *workspace = NULL, *message = NULL, *via = NULL, *at = NULL,
               *as = NULL;
    const struct cli_opt opts[] = {
        OPT_DB(&db_url),
        OPT_WORKSPACE(&workspace),
        OPT_STRING("message", "ID", NULL, &message, "the message"),
        OPT_STRING("via", "HOW", NULL, &via, "phone, email or other"),
        OPT_STRING("at", "TIME", NULL, &at, "when it was answered (ISO 8601; default now)"),
        OPT_STRING("as", "EMAIL", "KANAL_USER", &as, "the moderator who answered"),
    };
    struct cli_cmd c;
    int64_t mid = 0;
    if (!cli_cmd_begin(&c, argc, argv, opts, ARRAY_LEN(opts),
                       "messages answered --workspace WS --message ID --via phone|email|"
                       "other [--at TIME --as EMAIL]",
                       "Marks a message answered outside kanal; the figures count it "
                       "answered then.") ||
        ((!message || !via) && !cli_cmd_usage(&c, "--message and --via are required")) ||
        !cli_cmd_id(&c, message, &mid, "--message: '%s' is not a message id", message) ||
        !cli_cmd_open(&c, db_url, workspace))
        return cli_cmd_end(&c);
    struct actor who = {.role = ROLE_MODERATOR};
    json_t *in = json_pack("{s:s}", "via", via), *out = NULL;
    cli_json_put(in, "at", at);
    if ((!as || user_find(c.db, as, &who.user_id, &c.err) == 0) &&
        (out = message_answered_elsewhere(c.db, c.ws, mid, in, &who, &c.err))) {
        cli_print_json(out);
        c.rc = 0;
    }
    json_decref(in);
    json_decref(out);
    return cli_cmd_end(&c);
}

/* A message with its thread, the author's earlier messages and the notes
 * (the API's conversation), as one JSON object. */
static int messages_conversation(int argc, char **argv)
{
    const char *db_url = DEFAULT_DB, *workspace = NULL, *message = NULL, *limit = NULL, *as = NULL;
    const struct cli_opt opts[] = {
        OPT_DB(&db_url),
        OPT_WORKSPACE(&workspace),
        OPT_STRING("message", "ID", NULL, &message, "the message"),
        OPT_STRING("limit", "N", NULL, &limit, "at most N earlier messages of the author (1-100)"),
        OPT_STRING("as", "EMAIL", "KANAL_USER", &as, "who asks (left out of the presence)"),
    };
    struct cli_cmd c;
    if (!cli_cmd_begin(&c, argc, argv, opts, ARRAY_LEN(opts),
                       "messages conversation --workspace WS --message ID [--limit N]",
                       "Shows a message with its post, thread, answers, the author's "
                       "earlier messages and the notes on it, as JSON."))
        return cli_cmd_end(&c);
    int64_t mid = 0, history = CONV_HISTORY_DEFAULT, me = 0;
    if (!message || !cli_id(message, &mid))
        cli_cmd_usage(&c, "--message: give a message id%s%s", message ? ", not " : "",
                      message ? message : "");
    else if (limit && !cli_int(limit, 1, CONV_HISTORY_MAX, &history))
        cli_cmd_usage(&c, "--limit: a whole number from 1 to %d, not '%s'", CONV_HISTORY_MAX,
                      limit);
    else if (cli_cmd_open(&c, db_url, workspace)) {
        json_t *out = NULL;
        if ((!as || user_find(c.db, as, &me, &c.err) == 0) &&
            (out = message_conversation(c.db, c.ws, mid, me, (int)history, time_now(), &c.err))) {
            cli_print_json(out);
            c.rc = 0;
        }
        json_decref(out);
    }
    return cli_cmd_end(&c);
}

/* A private note on a message; its @mentions are told (docs/inbox.md). */
static int messages_note(int argc, char **argv)
{
    const char *db_url = DEFAULT_DB, *workspace = NULL, *message = NULL, *text = NULL, *as = NULL;
    const struct cli_opt opts[] = {
        OPT_DB(&db_url),
        OPT_WORKSPACE(&workspace),
        OPT_STRING("message", "ID", NULL, &message, "the message"),
        OPT_STRING("text", "TEXT", NULL, &text, "the note (@name tells a colleague)"),
        OPT_STRING("as", "EMAIL", "KANAL_USER", &as, "who writes it"),
    };
    struct cli_cmd c;
    int64_t mid = 0;
    if (!cli_cmd_begin(&c, argc, argv, opts, ARRAY_LEN(opts),
                       "messages note --workspace WS --message ID --text TEXT --as EMAIL",
                       "Adds a note for colleagues to a message (never sent to the "
                       "platform); the colleagues it @mentions are notified.") ||
        ((!message || !text || !as) &&
         !cli_cmd_usage(&c, "--message, --text and --as are required")) ||
        !cli_cmd_id(&c, message, &mid, "--message: '%s' is not a message id", message) ||
        !cli_cmd_open(&c, db_url, workspace))
        return cli_cmd_end(&c);
    struct actor who = {.role = ROLE_MODERATOR};
    json_t *in = json_pack("{s:s}", "body", text), *out = NULL;
    if (!in)
        error_field(&c.err, ERR_INVALID, "body", "field 'body': not UTF-8 text");
    else if (user_find(c.db, as, &who.user_id, &c.err) == 0 &&
             (out = notify_note_add(c.db, c.ws, mid, in, &who, &c.err))) {
        cli_print_json(out);
        c.rc = 0;
    }
    if (c.rc && str_eq(c.err.field, "body")) { /* the model's "field 'body': why" */
        const char *why = strstr(c.err.msg, ": ");
        cli_error(c.name, "--text%s", why ? why : c.err.msg);
        c.err.msg[0] = '\0';
    }
    json_decref(in);
    json_decref(out);
    return cli_cmd_end(&c);
}

int cmd_messages(int argc, char **argv)
{
    static const struct cli_action actions[] = {{"list", .run = messages_list},
                                                {"answered", .run = messages_answered},
                                                {"bulk", .run = messages_bulk},
                                                {"conversation", .run = messages_conversation},
                                                {"note", .run = messages_note}};
    return cli_run_action(argc, argv, actions, ARRAY_LEN(actions));
}

/* ---- teams ------------------------------------------------------------------------------- */

static int team_add(int argc, char **argv)
{
    const char *db_url = DEFAULT_DB, *workspace = NULL, *name = NULL;
    const struct cli_opt opts[] = {OPT_DB(&db_url), OPT_WORKSPACE(&workspace),
                                   OPT_STRING("name", "NAME", NULL, &name, "the team's name")};
    struct cli_cmd c;
    if (!cli_cmd_begin(&c, argc, argv, opts, ARRAY_LEN(opts), "team add --workspace WS --name NAME",
                       "Makes a team and prints its id.") ||
        (!name && !cli_cmd_usage(&c, "--name is required")) || !cli_cmd_open(&c, db_url, workspace))
        return cli_cmd_end(&c);
    json_t *in = json_pack("{s:s}", "name", name);
    struct actor who = {0};
    json_t *out = entity_create(c.db, &entity_team, c.ws, in, &who, &c.err);
    if (out) {
        printf("%lld\n", (long long)json_integer_value(json_object_get(out, "id")));
        c.rc = 0;
    }
    json_decref(in);
    json_decref(out);
    return cli_cmd_end(&c);
}

static json_t *all_teams(struct db *db, int64_t ws, struct error *err)
{
    struct page pg = {.limit = MODEL_PAGE_MAX};
    return entity_list(db, &entity_team, ws, NULL, &pg, err);
}

static int team_list(int argc, char **argv)
{
    static const struct cli_list l = {"team list --workspace WS", "Lists the teams as JSON lines.",
                                      all_teams, NULL};
    return cli_list_run(argc, argv, &l);
}

/* join, leave and members: a team and (but for members) a user. */
enum { MEMBER_JOIN, MEMBER_LEAVE, MEMBERS };

static int team_member_cmd(int argc, char **argv, int what)
{
    const char *db_url = DEFAULT_DB, *workspace = NULL, *team = NULL, *user = NULL;
    bool away = false;
    const struct cli_opt opts[] = {
        OPT_DB(&db_url),
        OPT_WORKSPACE(&workspace),
        OPT_STRING("team", "NAME|ID", NULL, &team, "the team"),
        OPT_STRING("user", "EMAIL|ID", NULL, &user, "the member"),
        OPT_BOOL("away", NULL, &away, "join as not on duty (routing passes them by)"),
    };
    static const char *const synopses[] = {
        "team join --workspace WS --team T --user EMAIL [--away]",
        "team leave --workspace WS --team T --user EMAIL", "team members --workspace WS --team T"};
    static const char *const abouts[] = {
        "Adds a member to a team, or says whether they are on duty.",
        "Takes a member out of a team.", "Lists a team's members as JSON lines."};
    struct cli_cmd c;
    if (!cli_cmd_begin(&c, argc, argv, opts, ARRAY_LEN(opts), synopses[what], abouts[what]) ||
        ((!team || (what != MEMBERS && !user)) &&
         !cli_cmd_usage(&c, what != MEMBERS ? "--team and --user are required"
                                            : "--team is required")) ||
        !cli_cmd_open(&c, db_url, workspace))
        return cli_cmd_end(&c);
    int64_t tid = 0, uid = 0;
    struct actor who = {0};
    json_t *list = NULL;
    if (cli_lookup(c.db, "teams", "name", team, c.ws, &tid, &c.err) ||
        (user && str_to_i64(user, &uid) && user_find(c.db, user, &uid, &c.err)))
        goto fail;
    if (what == MEMBER_JOIN && team_member_set(c.db, c.ws, tid, uid, !away, &who, &c.err))
        goto fail;
    if (what == MEMBER_LEAVE && team_member_remove(c.db, c.ws, tid, uid, &who, &c.err))
        goto fail;
    if (what == MEMBERS) {
        if (!(list = team_member_list(c.db, c.ws, tid, &c.err)))
            goto fail;
        cli_print_json_lines(json_object_get(list, "items"));
    }
    c.rc = 0;
fail:
    json_decref(list);
    return cli_cmd_end(&c);
}

/* A team's service level for one priority: set (--minutes) or dropped (--off). */
static int team_level(int argc, char **argv)
{
    const char *db_url = DEFAULT_DB, *workspace = NULL, *team = NULL, *priority = NULL,
               *minutes = NULL, *at_risk = NULL;
    bool off = false;
    const struct cli_opt opts[] = {
        OPT_DB(&db_url),
        OPT_WORKSPACE(&workspace),
        OPT_STRING("team", "NAME|ID", NULL, &team, "the team"),
        OPT_STRING("priority", "P", NULL, &priority, "low, normal, high or urgent"),
        OPT_STRING("minutes", "N", NULL, &minutes, "first answer within N working minutes"),
        OPT_STRING("at-risk", "PCT", NULL, &at_risk, "flag at PCT% of the time used (default 80)"),
        OPT_BOOL("off", NULL, &off, "drop the level"),
    };
    struct cli_cmd c;
    int64_t tid = 0, n = 0, pct = 0;
    if (!cli_cmd_begin(
            &c, argc, argv, opts, ARRAY_LEN(opts),
            "team level --workspace WS --team T --priority P (--minutes N [--at-risk PCT] | --off)",
            "Sets or drops a team's service level for a priority, in working time (the "
            "workspace's office_hours and holidays).") ||
        ((!team || !priority || !minutes == !off) &&
         !cli_cmd_usage(&c, "--team, --priority and one of --minutes and --off are required")) ||
        (minutes && str_to_i64(minutes, &n) &&
         !cli_cmd_usage(&c, "--minutes: '%s' is not a whole number", minutes)) ||
        (at_risk && str_to_i64(at_risk, &pct) &&
         !cli_cmd_usage(&c, "--at-risk: '%s' is not a whole number", at_risk)) ||
        !cli_cmd_open(&c, db_url, workspace))
        return cli_cmd_end(&c);
    struct actor who = {0};
    json_t *in = NULL, *out = NULL;
    if (cli_lookup(c.db, "teams", "name", team, c.ws, &tid, &c.err))
        goto fail;
    if (off) {
        if (service_level_delete(c.db, c.ws, tid, priority, &who, &c.err))
            goto fail;
    } else {
        in = json_pack("{s:I}", "first_answer_minutes", (json_int_t)n);
        if (at_risk)
            json_object_set_new(in, "at_risk_percent", json_integer(pct));
        if (!(out = service_level_set(c.db, c.ws, tid, priority, in, &who, &c.err)))
            goto fail;
        cli_print_json(out);
    }
    c.rc = 0;
fail:
    if (c.rc &&
        (str_eq(c.err.field, "first_answer_minutes") || str_eq(c.err.field, "at_risk_percent"))) {
        cli_error(c.name, "--%s: %s", c.err.field[0] == 'f' ? "minutes" : "at-risk", c.err.msg);
        c.err.msg[0] = '\0';
    }
    json_decref(in);
    json_decref(out);
    return cli_cmd_end(&c);
}

static int team_levels(int argc, char **argv)
{
    static const struct cli_list l = {"team levels --workspace WS",
                                      "Lists the teams' service levels as JSON lines.",
                                      service_level_list, NULL};
    return cli_list_run(argc, argv, &l);
}

int cmd_team(int argc, char **argv)
{
    static const struct cli_action actions[] = {
        {"add", .run = team_add},
        {"list", .run = team_list},
        {"join", .run_what = team_member_cmd, .what = MEMBER_JOIN},
        {"leave", .run_what = team_member_cmd, .what = MEMBER_LEAVE},
        {"members", .run_what = team_member_cmd, .what = MEMBERS},
        {"level", .run = team_level},
        {"levels", .run = team_levels},
    };
    return cli_run_action(argc, argv, actions, ARRAY_LEN(actions));
}

/* ---- saved replies ------------------------------------------------------------------------- */

enum { REPLY_ADD, REPLY_LIST, REPLY_UPDATE, REPLY_DELETE, REPLY_RENDER };

/* Every `kanal reply` action: the same options, each action reading those it needs. */
static int reply_cmd(int argc, char **argv, int what)
{
    static const char *const synopses[] = {
        "reply add --workspace WS --name NAME --lang sv|fi|en --body TEXT",
        "reply list --workspace WS [--lang L]",
        "reply update --workspace WS --reply ID [--name NAME --lang L --body TEXT]",
        "reply delete --workspace WS --reply ID",
        "reply render --workspace WS --reply ID --message ID"};
    static const char *const abouts[] = {
        "Saves a reply; its body may use {first_name}, {name}, {handle} and {channel}.",
        "Lists the saved replies as JSON lines.", "Changes a saved reply.",
        "Deletes a saved reply.", "Prints a saved reply filled in for a message."};
    const char *db_url = DEFAULT_DB, *workspace = NULL, *name = NULL, *lang = NULL, *body = NULL,
               *reply = NULL, *message = NULL;
    const struct cli_opt opts[] = {
        OPT_DB(&db_url),
        OPT_WORKSPACE(&workspace),
        OPT_STRING("name", "NAME", NULL, &name, "the reply's name"),
        OPT_STRING("lang", "LANG", NULL, &lang, "sv, fi or en"),
        OPT_STRING("body", "TEXT", NULL, &body, "the reply, with {first_name} and {channel}"),
        OPT_STRING("reply", "ID", NULL, &reply, "the saved reply"),
        OPT_STRING("message", "ID", NULL, &message, "the message to fill it in for"),
    };
    struct cli_cmd c;
    if (!cli_cmd_begin(&c, argc, argv, opts, ARRAY_LEN(opts), synopses[what], abouts[what]))
        return cli_cmd_end(&c);
    int64_t rid = 0, mid = 0;
    if ((what == REPLY_ADD && (!name || !lang || !body)) ||
        ((what == REPLY_UPDATE || what == REPLY_DELETE || what == REPLY_RENDER) && !reply) ||
        (what == REPLY_RENDER && !message))
        cli_cmd_usage(&c, "usage: kanal %s", synopses[what]);
    else if (cli_cmd_id(&c, reply, &rid, "--reply: '%s' is not an id", reply) &&
             cli_cmd_id(&c, message, &mid, "--message: '%s' is not an id", message) &&
             cli_cmd_open(&c, db_url, workspace)) {
        struct actor who = {0};
        struct page pg = {.limit = MODEL_PAGE_MAX};
        const struct entity *k = &entity_saved_reply;
        json_t *in = json_object(), *out = NULL;
        cli_json_put(in, "name", name);
        cli_json_put(in, "lang", lang);
        cli_json_put(in, "body", body);
        switch (what) {
        case REPLY_ADD:
            out = entity_create(c.db, k, c.ws, in, &who, &c.err);
            break;
        case REPLY_LIST:
            out = entity_list(c.db, k, c.ws, in, &pg, &c.err);
            break;
        case REPLY_UPDATE:
            out = entity_update(c.db, k, c.ws, rid, in, &who, &c.err);
            break;
        case REPLY_DELETE:
            out = entity_delete(c.db, k, c.ws, rid, &who, &c.err)
                      ? NULL
                      : json_pack("{s:b}", "deleted", 1);
            break;
        default:
            out = saved_reply_render(c.db, c.ws, rid, mid, &c.err);
        }
        if (out && what == REPLY_LIST)
            cli_print_json_lines(json_object_get(out, "items"));
        else if (out && what == REPLY_RENDER)
            printf("%s\n", json_string_value(json_object_get(out, "text")));
        else if (out)
            cli_print_json(out);
        c.rc = out ? 0 : 1;
        json_decref(in);
        json_decref(out);
    }
    return cli_cmd_end(&c);
}

int cmd_reply(int argc, char **argv)
{
    static const struct cli_action actions[] = {
        {"add", .run_what = reply_cmd, .what = REPLY_ADD},
        {"list", .run_what = reply_cmd, .what = REPLY_LIST},
        {"update", .run_what = reply_cmd, .what = REPLY_UPDATE},
        {"delete", .run_what = reply_cmd, .what = REPLY_DELETE},
        {"render", .run_what = reply_cmd, .what = REPLY_RENDER},
    };
    return cli_run_action(argc, argv, actions, ARRAY_LEN(actions));
}

/* ---- routing rules --------------------------------------------------------------------------- */

/* add and test: the rule from options; test tries it on 30 days, add saves it. */
static int rule_write(int argc, char **argv, int test)
{
    const char *db_url = DEFAULT_DB, *workspace = NULL, *name = NULL, *conditions = "{}",
               *actions = "{}", *position = NULL;
    bool stop = false, disabled = false;
    const struct cli_opt opts[] = {
        OPT_DB(&db_url),
        OPT_WORKSPACE(&workspace),
        OPT_STRING("name", "NAME", NULL, &name, "the rule's name"),
        OPT_STRING("conditions", "JSON", NULL, &conditions,
                   "{channel_ids, platforms, kinds, langs, sentiments, query, tag_ids, authors}"),
        OPT_STRING("actions", "JSON", NULL, &actions, "{team_id, user_id, priority, add_tag_ids}"),
        OPT_STRING("position", "N", NULL, &position, "where in the order (default: last)"),
        OPT_BOOL("stop", NULL, &stop, "try no later rule after this one matched"),
        OPT_BOOL("disabled", NULL, &disabled, "save it switched off"),
    };
    struct cli_cmd c;
    if (!cli_cmd_begin(
            &c, argc, argv, opts, ARRAY_LEN(opts),
            test ? "rule test --workspace WS --conditions JSON --actions JSON"
                 : "rule add --workspace WS --name NAME --conditions JSON --actions JSON [--stop]",
            test ? "Tries a rule on the last 30 days' messages without saving it: how many it "
                   "would have matched."
                 : "Saves a routing rule (docs/inbox.md) and prints it.") ||
        !cli_cmd_open(&c, db_url, workspace))
        return cli_cmd_end(&c);
    struct error *err = &c.err;
    int64_t pos = 0;
    json_error_t je;
    json_t *in = json_pack("{s:s, s:b, s:b}", "name", name ? name : "test", "stop", stop, "enabled",
                           !disabled),
           *out = NULL;
    json_t *cond = json_loads(conditions, 0, &je);
    if (!cond) {
        error_set(err, ERR_INVALID, "--conditions: column %d: %s", je.column, je.text);
        goto fail;
    }
    json_object_set_new(in, "conditions", cond);
    json_t *a = json_loads(actions, 0, &je);
    if (!a) {
        error_set(err, ERR_INVALID, "--actions: column %d: %s", je.column, je.text);
        goto fail;
    }
    json_object_set_new(in, "actions", a);
    if (position) {
        if (str_to_i64(position, &pos) || pos < 0) {
            error_set(err, ERR_INVALID, "--position must be a whole number");
            goto fail;
        }
        json_object_set_new(in, "position", json_integer(pos));
    }
    if (!test && !name) {
        error_set(err, ERR_INVALID, "--name is required");
        goto fail;
    }
    struct actor who = {0};
    out = test ? routing_rule_test(c.db, c.ws, in, time_now(), err)
               : routing_rule_create(c.db, c.ws, in, &who, err);
    if (!out)
        goto fail;
    if (test)
        printf("would have matched %lld of %lld messages in the last 30 days\n",
               (long long)json_integer_value(json_object_get(out, "matched")),
               (long long)json_integer_value(json_object_get(out, "examined")));
    else
        cli_print_json(out);
    c.rc = 0;
fail:
    json_decref(out);
    json_decref(in);
    return cli_cmd_end(&c);
}

static int rule_list(int argc, char **argv)
{
    static const struct cli_list l = {
        "rule list --workspace WS",
        "Lists the routing rules in the order they are tried, as JSON lines.", routing_rule_list,
        NULL};
    return cli_list_run(argc, argv, &l);
}

static int rule_delete(int argc, char **argv)
{
    const char *db_url = DEFAULT_DB, *workspace = NULL, *rule = NULL;
    const struct cli_opt opts[] = {OPT_DB(&db_url), OPT_WORKSPACE(&workspace),
                                   OPT_STRING("rule", "NAME|ID", NULL, &rule, "the rule")};
    struct cli_cmd c;
    int64_t id = 0;
    struct actor who = {0};
    if (cli_cmd_begin(&c, argc, argv, opts, ARRAY_LEN(opts),
                      "rule delete --workspace WS --rule NAME|ID", "Deletes a routing rule.") &&
        (rule || cli_cmd_usage(&c, "--rule is required")) && cli_cmd_open(&c, db_url, workspace) &&
        cli_lookup(c.db, "routing_rules", "name", rule, c.ws, &id, &c.err) == 0 &&
        routing_rule_delete(c.db, c.ws, id, &who, &c.err) == 0)
        c.rc = 0;
    return cli_cmd_end(&c);
}

int cmd_rule(int argc, char **argv)
{
    static const struct cli_action actions[] = {
        {"add", .run_what = rule_write, .what = 0},
        {"list", .run = rule_list},
        {"test", .run_what = rule_write, .what = 1},
        {"delete", .run = rule_delete},
    };
    return cli_run_action(argc, argv, actions, ARRAY_LEN(actions));
}
