/* publish: `kanal publish run|pause|resume|status|settings`: the scheduler
 * once from the command line (what `kanal serve` does every second), and
 * the crisis switch, through the same publish/ functions as the API. */
#include "cli/cli.h"
#include "cli/options.h"
#include "connect/connect.h"
#include "publish/publish.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RUN_JOBS_MAX 100000 /* a bound on one run, so a job that keeps coming back ends it */

static int publish_run(int argc, char **argv)
{
    const char *db_url = DEFAULT_DB, *key_file = NULL, *public_url = NULL;
    const struct cli_opt opts[] = {
        OPT_DB(&db_url),
        OPT_KEY_FILE(&key_file),
        OPT_STRING("public-url", "URL", "KANAL_PUBLIC_URL", &public_url,
                   "the address kanal is reached at (for the platforms' redirect URI)"),
    };
    struct cli_cmd c;
    if (!cli_cmd_begin(&c, argc, argv, opts, ARRAY_LEN(opts), "publish run",
                       "Posts the scheduled variants that are due, once, now: hands them "
                       "to their channels, runs the actions that are due, and prints "
                       "how many were published, failed, held or are still waiting.") ||
        !cli_cmd_no_args(&c) || !cli_cmd_key(&c, key_file) ||
        !cli_cmd_open_db(&c, db_url, CLI_DB_EXISTING))
        return cli_cmd_end(&c);
    struct publish_tick_stats total = {0}, st;
    char owner[64];
    snprintf(owner, sizeof owner, "cli:%ld", (long)getpid());
    struct connect_env env = {.key = c.key, .public_url = public_url};
    if (publish_tick(c.db, time_now(), public_url, &st, &c.err))
        return cli_cmd_end(&c);
    total = st;
    /* Only the publish actions' jobs would do, but every due action job is
     * the same work and another node would run it anyway. */
    for (int n = 0; n < RUN_JOBS_MAX; n++) {
        struct job j;
        int got = job_claim(c.db, owner, CONNECT_JOB_ACTION, 300, time_now(), &j, &c.err);
        if (got < 0)
            return cli_cmd_end(&c);
        if (!got)
            break;
        int out = connect_run_job(c.db, &env, &j, owner, 300, &c.err);
        job_clear(&j);
        if (out < 0)
            return cli_cmd_end(&c);
    }
    if (publish_tick(c.db, time_now(), public_url, &st, &c.err))
        return cli_cmd_end(&c);
    total.published += st.published;
    total.failed += st.failed;
    total.held += st.held;
    total.queued += st.queued;
    int64_t waiting = 0;
    if (db_scalar(c.db, &c.err, &waiting,
                  "SELECT count(*) FROM post_variants WHERE status = 'scheduled' AND "
                  "action_id IS NOT NULL",
                  "") < 0)
        return cli_cmd_end(&c);
    printf("%lld published, %lld failed, %lld held (late), %lld waiting for a retry\n",
           (long long)total.published, (long long)total.failed, (long long)total.held,
           (long long)waiting);
    c.rc = total.failed ? 1 : 0;
    return cli_cmd_end(&c);
}

/* "1,2,3" as a JSON array of ids; NULL and an error printed for anything else. */
static json_t *channel_list(const char *cmd, const char *s)
{
    json_t *a = json_array();
    const char *q = s;
    while (*q) {
        char *end;
        long long id = strtoll(q, &end, 10);
        if (end == q || id <= 0 || (*end && *end != ',')) {
            cli_error(cmd, "--channel must be channel ids separated by commas, not '%s'", s);
            json_decref(a);
            return NULL;
        }
        json_array_append_new(a, json_integer(id));
        q = *end ? end + 1 : end;
    }
    return a;
}

static void print_pauses(json_t *out)
{
    size_t i;
    json_t *z;
    if (!json_array_size(json_object_get(out, "items")))
        printf("nothing is paused\n");
    json_array_foreach (json_object_get(out, "items"), i, z) {
        json_t *c = json_object_get(z, "channel_id");
        json_t *u = json_object_get(z, "until");
        printf("pause %lld\t%s\tsince %s\t%s\t%s\n",
               (long long)json_integer_value(json_object_get(z, "id")),
               json_is_integer(c) ? "channel" : "workspace",
               json_string_value(json_object_get(z, "paused_at")),
               json_is_string(u) ? json_string_value(u) : "until resumed",
               json_string_value(json_object_get(z, "reason")));
    }
    json_t *late = json_object_get(out, "late_posts");
    if (late)
        printf("%lld post%s whose time passed during the pause\n",
               (long long)json_integer_value(late), json_integer_value(late) == 1 ? "" : "s");
}

/* pause, resume and status share their shape: a workspace, an actor, an
 * object in, publish/'s answer out. */
enum switch_step { SW_PAUSE, SW_RESUME, SW_STATUS };

static int switch_cmd(int argc, char **argv, int step)
{
    const char *db_url = DEFAULT_DB, *workspace = NULL, *as = NULL, *reason = NULL, *channel = NULL,
               *until = NULL, *late = NULL, *at = NULL;
    struct cli_opt opts[8] = {OPT_DB(&db_url), OPT_WORKSPACE(&workspace)};
    size_t nopts = 2;
    if (step != SW_STATUS) {
        opts[nopts++] = (struct cli_opt)OPT_AS(&as);
        opts[nopts++] = (struct cli_opt)OPT_STRING("channel", "ID[,ID...]", NULL, &channel,
                                                   "only these channels (default: every one)");
    }
    if (step == SW_PAUSE) {
        opts[nopts++] = (struct cli_opt)OPT_STRING("reason", "TEXT", NULL, &reason,
                                                   "why (shown to everyone on the desk)");
        opts[nopts++] = (struct cli_opt)OPT_STRING("until", "TIME", NULL, &until,
                                                   "resume by itself then (ISO 8601)");
    }
    if (step == SW_RESUME) {
        opts[nopts++] = (struct cli_opt)OPT_STRING(
            "late", "WHAT", NULL, &late,
            "posts whose time passed: publish_now, hold (for the desk) or reschedule");
        opts[nopts++] = (struct cli_opt)OPT_STRING("at", "TIME", NULL, &at,
                                                   "with --late reschedule: the new time");
    }
    static const char *const synopses[] = {
        "publish pause --workspace WS --reason TEXT [--channel ID,...] [--until TIME]",
        "publish resume --workspace WS --late publish_now|hold|reschedule [--at TIME]",
        "publish status --workspace WS"};
    static const char *const helps[] = {
        ("Pauses every scheduled post of the workspace (or of the channels given): the "
         "scheduler posts none of them until resumed."),
        "Ends the pause; --late says what happens to the posts whose time passed meanwhile.",
        "Prints the pauses in force and their reasons."};
    struct cli_cmd c;
    if (!cli_cmd_begin(&c, argc, argv, opts, nopts, synopses[step], helps[step]) ||
        !cli_cmd_no_args(&c))
        return cli_cmd_end(&c);
    json_t *in = json_object(), *out = NULL;
    if (channel) {
        json_t *a = channel_list(c.name, channel);
        if (!a)
            goto done;
        json_object_set_new(in, "channels", a);
    }
    cli_json_put(in, "reason", reason);
    cli_json_put(in, "until", until);
    cli_json_put(in, "late", late);
    cli_json_put(in, "at", at);
    struct actor who;
    if (!cli_cmd_open_desk(&c, db_url, workspace, as, &who))
        goto done;
    out = step == SW_PAUSE    ? publish_pause(c.db, c.ws, in, &who, &c.err)
          : step == SW_RESUME ? publish_resume(c.db, c.ws, in, &who, &c.err)
                              : publish_pauses(c.db, c.ws, time_now(), &c.err);
    if (out)
        print_pauses(out);
    c.rc = out ? 0 : c.err.kind == ERR_INVALID ? 2 : 1;
done:
    json_decref(in);
    json_decref(out);
    return cli_cmd_end(&c);
}

static int publish_settings_cmd(int argc, char **argv)
{
    const char *db_url = DEFAULT_DB, *workspace = NULL, *as = NULL, *policy = NULL, *after = NULL;
    const struct cli_opt opts[] = {
        OPT_DB(&db_url),
        OPT_WORKSPACE(&workspace),
        OPT_AS(&as),
        OPT_STRING("late-policy", "POLICY", NULL, &policy,
                   "posts whose time passed while kanal was down: publish_late or hold"),
        OPT_STRING("late-after", "SECONDS", NULL, &after,
                   "how far past its time a post counts as late"),
    };
    struct cli_cmd c;
    int64_t secs = 0;
    struct actor who;
    if (!cli_cmd_begin(&c, argc, argv, opts, ARRAY_LEN(opts),
                       "publish settings --workspace WS [--late-policy P --late-after S]",
                       "Prints, or sets, what the scheduler does with late posts.") ||
        ((c.p.npos || (after && str_to_i64(after, &secs))) &&
         !cli_cmd_usage(&c, "--late-after must be a number of seconds")) ||
        !cli_cmd_open_desk(&c, db_url, workspace, as, &who))
        return cli_cmd_end(&c);
    json_t *out;
    if (policy || after) {
        json_t *in = json_object();
        cli_json_put(in, "late_policy", policy);
        if (after)
            json_object_set_new(in, "late_after", json_integer(secs));
        out = publish_settings_set(c.db, c.ws, in, &who, &c.err);
        json_decref(in);
    } else {
        out = publish_settings_get(c.db, c.ws, &c.err);
    }
    if (out)
        printf("late_policy %s\tlate_after %lld\n",
               json_string_value(json_object_get(out, "late_policy")),
               (long long)json_integer_value(json_object_get(out, "late_after")));
    c.rc = out ? 0 : c.err.kind == ERR_INVALID ? 2 : 1;
    json_decref(out);
    return cli_cmd_end(&c);
}

int cmd_publish(int argc, char **argv)
{
    static const struct cli_action actions[] = {
        {"run", .run = publish_run},
        {"pause", .run_what = switch_cmd, .what = SW_PAUSE},
        {"resume", .run_what = switch_cmd, .what = SW_RESUME},
        {"status", .run_what = switch_cmd, .what = SW_STATUS},
        {"settings", .run = publish_settings_cmd},
    };
    return cli_run_action(argc, argv, actions, ARRAY_LEN(actions));
}
