/* jobs: `kanal jobs list|add|claim|retry` shows and steers the job table
 * that background work runs on: what is queued, what failed and why, a job
 * queued or retried by hand, and jobs taken off the queue by hand (to drain
 * a queue, or to check that several nodes on one database share it). */
#include "cli/cli.h"
#include "cli/options.h"
#include "model/model.h"

#include <stdio.h>
#include <string.h>

static int jobs_list(int argc, char **argv)
{
    const char *db_url = DEFAULT_DB, *state = NULL, *limit_s = "50";
    const struct cli_opt opts[] = {
        OPT_DB(&db_url),
        OPT_STRING("state", "STATE", NULL, &state, "queued, running, done or failed"),
        OPT_STRING("limit", "N", NULL, &limit_s, "at most this many, newest first (1 to 1000)"),
    };
    struct cli_cmd c;
    int64_t limit;
    if (!cli_cmd_begin(&c, argc, argv, opts, ARRAY_LEN(opts), "jobs list [--state STATE]",
                       "Lists jobs: id, kind, state, attempts, channel, key, last error.") ||
        !cli_cmd_int(&c, "limit", limit_s, 1, 1000, "", &limit) ||
        !cli_cmd_open_db(&c, db_url, CLI_DB_EXISTING))
        return cli_cmd_end(&c);
    json_t *list = job_list(c.db, state, (int)limit, &c.err);
    size_t i;
    json_t *j;
    json_array_foreach (json_object_get(list, "items"), i, j) {
        json_t *ch = json_object_get(j, "channel_id"), *key = json_object_get(j, "key"),
               *last = json_object_get(j, "last_error");
        char channel[24] = "-";
        if (!json_is_null(ch))
            snprintf(channel, sizeof channel, "%lld", (long long)json_integer_value(ch));
        printf("%lld\t%s\t%s\t%lld/%lld\t%s\t%s\t%s\n",
               (long long)json_integer_value(json_object_get(j, "id")),
               json_string_value(json_object_get(j, "kind")),
               json_string_value(json_object_get(j, "state")),
               (long long)json_integer_value(json_object_get(j, "attempts")),
               (long long)json_integer_value(json_object_get(j, "max_attempts")), channel,
               json_is_string(key) ? json_string_value(key) : "-",
               json_is_string(last) ? json_string_value(last) : "");
    }
    c.rc = list ? 0 : 1;
    json_decref(list);
    return cli_cmd_end(&c);
}

static int jobs_add(int argc, char **argv)
{
    const char *db_url = DEFAULT_DB, *channel_s = NULL, *key = NULL, *payload = NULL,
               *attempts_s = "0";
    const struct cli_opt opts[] = {
        OPT_DB(&db_url),
        OPT_STRING("channel", "ID", NULL, &channel_s, "the channel the job is for"),
        OPT_STRING("key", "KEY", NULL, &key,
                   "queue nothing while a job with this key waits or runs"),
        OPT_STRING("payload", "JSON", NULL, &payload, "the job's JSON object"),
        OPT_STRING("max-attempts", "N", NULL, &attempts_s, "tries before it stays failed"),
    };
    struct cli_cmd c;
    int64_t channel = 0, attempts, id = 0;
    if (!cli_cmd_begin(&c, argc, argv, opts, ARRAY_LEN(opts), "jobs add KIND [options]",
                       "Queues a job and prints its id (the waiting one's, for a key "
                       "already queued).") ||
        (c.p.npos != 1 && !cli_cmd_usage(&c, "give the job's kind (one word)")) ||
        (((channel_s && !cli_id(channel_s, &channel)) ||
          !cli_int(attempts_s, 0, JOB_ATTEMPTS_MAX, &attempts)) &&
         !cli_cmd_usage(&c, "--channel must be an id and --max-attempts from 1 to %d",
                        JOB_ATTEMPTS_MAX)) ||
        !cli_cmd_open_db(&c, db_url, CLI_DB_CREATE))
        return cli_cmd_end(&c);
    struct job_in in = {.kind = c.p.pos[0],
                        .channel_id = channel,
                        .key = key,
                        .payload = payload,
                        .max_attempts = (int)attempts};
    int added = job_enqueue(c.db, &in, time_now(), &id, &c.err);
    if (added >= 0) {
        printf("%lld%s\n", (long long)id, added == 1 ? " (already queued)" : "");
        c.rc = 0;
    }
    return cli_cmd_end(&c);
}

static int jobs_claim(int argc, char **argv)
{
    const char *db_url = DEFAULT_DB, *owner = NULL, *kind = NULL, *lease_s = "300", *count_s = "1";
    bool finish = false;
    const struct cli_opt opts[] = {
        OPT_DB(&db_url),
        OPT_STRING("owner", "NAME", NULL, &owner, "who holds the lease (default: host:pid)"),
        OPT_STRING("kind", "KIND", NULL, &kind, "only jobs of this kind"),
        OPT_STRING("lease", "SECONDS", NULL, &lease_s, "how long the lease lasts"),
        OPT_STRING("count", "N", NULL, &count_s, "claim up to this many, one at a time"),
        OPT_BOOL("finish", NULL, &finish, "mark each claimed job done (drains a queue)"),
    };
    struct cli_cmd c;
    int64_t lease, count;
    if (!cli_cmd_begin(&c, argc, argv, opts, ARRAY_LEN(opts), "jobs claim [options]",
                       "Takes due jobs off the queue as a worker would and prints "
                       "each one's id and kind.") ||
        ((!cli_int(lease_s, 1, 86400, &lease) || !cli_int(count_s, 1, 100000, &count)) &&
         !cli_cmd_usage(&c, "--lease must be from 1 to 86400 seconds and --count from 1 to "
                            "100000")))
        return cli_cmd_end(&c);
    char host_pid[128];
    if (!owner) {
        job_owner_name(host_pid, sizeof host_pid, NULL);
        owner = host_pid;
    }
    if (!cli_cmd_open_db(&c, db_url, CLI_DB_EXISTING))
        return cli_cmd_end(&c);
    int got = 1;
    for (int64_t i = 0; i < count && got == 1; i++) {
        struct job j;
        int64_t now = time_now();
        got = job_claim(c.db, owner, kind, lease, now, &j, &c.err);
        if (got == 1 && finish && job_finish(c.db, j.id, owner, now, &c.err))
            got = -1;
        if (got == 1)
            printf("%lld\t%s\n", (long long)j.id, j.kind);
        job_clear(&j);
    }
    c.rc = got < 0 ? 1 : 0;
    return cli_cmd_end(&c);
}

static int jobs_retry(int argc, char **argv)
{
    const char *db_url = DEFAULT_DB;
    const struct cli_opt opts[] = {OPT_DB(&db_url)};
    struct cli_cmd c;
    int64_t id;
    if (cli_cmd_begin(&c, argc, argv, opts, ARRAY_LEN(opts), "jobs retry ID",
                      "Queues a failed job again with its attempts reset.") &&
        cli_cmd_id_arg(&c, &id, "give the failed job's id") &&
        cli_cmd_open_db(&c, db_url, CLI_DB_EXISTING) && !job_retry(c.db, id, time_now(), &c.err)) {
        printf("job %lld queued again\n", (long long)id);
        c.rc = 0;
    }
    return cli_cmd_end(&c);
}

int cmd_jobs(int argc, char **argv)
{
    static const struct cli_action actions[] = {
        {"list", .run = jobs_list},
        {"add", .run = jobs_add},
        {"claim", .run = jobs_claim},
        {"retry", .run = jobs_retry},
    };
    return cli_run_action(argc, argv, actions, ARRAY_LEN(actions));
}
