/* connect: `kanal connect start|finish|list`: connecting an account from
 * the command line. `start` prints the address to consent at; the browser
 * comes back to kanal's /oauth/callback, which shows the code to paste
 * into `finish` (or the address bar holds it, when no kanal serves the
 * public URL). `list` shows the channels' connections. No command prints
 * a token. */
#include "cli/cli.h"
#include "cli/options.h"
#include "connect/connect.h"
#include "db/db.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* clang-format off */
#define OPT_PUBLIC_URL(var) \
    OPT_STRING("public-url", "URL", "KANAL_PUBLIC_URL", var, \
               "the address kanal serve is reached at (the redirect URI is under it)")
/* clang-format on */

/* A platform without a consent screen: the identifier and the password
 * from stdin, exchanged at once; prints the channels. 0 or 1 (err says). */
static int connect_direct(struct db *db, const struct vault_key *k, struct oauth_begin *b,
                          const char *workspace, const char *identifier, bool password_stdin,
                          struct error *err)
{
    if (!identifier || !password_stdin) {
        error_set(err, ERR_INVALID,
                  "%s has no consent screen: give --identifier and the app password on stdin "
                  "with --password-stdin",
                  b->connector->title);
        return 1;
    }
    if (workspace_resolve(db, workspace, &b->workspace_id, err))
        return 1;
    char *password = cli_read_line();
    if (!password) {
        error_set(err, ERR_INVALID, "no password on stdin");
        return 1;
    }
    struct oauth_outcome out;
    int rc = oauth_connect_direct(db, k, b, identifier, password, &out, err);
    sodium_memzero(password, strlen(password));
    free(password);
    if (rc)
        return 1;
    for (int i = 0; i < out.n; i++)
        printf("connected channel %lld (%s %s)%s\n", (long long)out.channels[i].channel_id,
               out.channels[i].platform, out.channels[i].handle,
               out.channels[i].created ? ", new" : "");
    return 0;
}

/* The connector --platform names; else the usage error naming those there are. */
static const struct connector *platform_arg(struct cli_cmd *c, const char *platform)
{
    const struct connector *conn = connector_find(platform);
    if (conn)
        return conn;
    struct buf names = {0};
    for (const struct connector *const *k = connectors; *k; k++)
        buf_printf(&names, "%s%s", names.len ? ", " : "", (*k)->platform);
    cli_cmd_usage(c, "--platform: kanal cannot connect '%s' (it can: %s)", platform ? platform : "",
                  names.len ? names.data : "none yet");
    buf_free(&names);
    return NULL;
}

static int connect_start(int argc, char **argv)
{
    const char *db_url = DEFAULT_DB, *key_file = NULL, *public_url = NULL, *platform = NULL,
               *workspace = NULL, *instance = NULL, *channel_s = NULL, *identifier = NULL;
    bool password_stdin = false;
    const struct cli_opt opts[] = {
        OPT_DB(&db_url),
        OPT_KEY_FILE(&key_file),
        OPT_PUBLIC_URL(&public_url),
        OPT_STRING("platform", "NAME", NULL, &platform,
                   "mastodon, facebook, x, bluesky, youtube, linkedin, ..."),
        OPT_STRING("workspace", "ID|SLUG", "KANAL_WORKSPACE", &workspace, "the workspace"),
        OPT_STRING("instance", "URL", NULL, &instance, "the Mastodon server (https://...)"),
        OPT_STRING("channel", "ID", NULL, &channel_s, "reconnect this channel"),
        OPT_STRING("identifier", "HANDLE", NULL, &identifier,
                   "Bluesky: the account's handle, DID or e-mail (no consent screen)"),
        OPT_BOOL("password-stdin", NULL, &password_stdin,
                 "Bluesky: read the account's app password from stdin's first line"),
    };
    struct cli_cmd c;
    const struct connector *conn = NULL;
    int64_t channel = 0;
    if (!cli_cmd_begin(&c, argc, argv, opts, ARRAY_LEN(opts),
                       "connect start --platform NAME --workspace W [options]",
                       "Starts connecting an account: prints the address to open, "
                       "where the account's owner consents. Finish with `kanal connect "
                       "finish` within ten minutes. A platform without a consent screen "
                       "(Bluesky) connects at once with --identifier and "
                       "--password-stdin.") ||
        !cli_cmd_no_args(&c) || !(conn = platform_arg(&c, platform)) ||
        (!workspace && !cli_cmd_usage(&c, "give --workspace (its id or slug)")) ||
        !cli_cmd_id(&c, channel_s, &channel, "--channel must be a channel's id") ||
        !cli_cmd_key(&c, key_file) || !cli_cmd_open_db(&c, db_url, CLI_DB_EXISTING))
        return cli_cmd_end(&c);
    struct oauth_begin b = {.connector = conn,
                            .public_url = public_url,
                            .instance = instance,
                            .channel_id = channel,
                            .now = time_now()};
    if (!conn->authorize_url) {
        c.rc = connect_direct(c.db, c.key, &b, workspace, identifier, password_stdin, &c.err);
        return cli_cmd_end(&c);
    }
    struct oauth_consent out = {0};
    if (workspace_resolve(c.db, workspace, &b.workspace_id, &c.err) ||
        oauth_start(c.db, c.key, &b, &out, &c.err))
        return cli_cmd_end(&c);
    char expires[21];
    time_format_iso(out.expires_at, expires);
    printf("Open this address and consent as the account to connect:\n\n  %s\n\n"
           "scopes asked: %s\nstate: %s\nexpires: %s\n\n"
           "Then run: kanal connect finish --state %s --code CODE\n"
           "(CODE is what the browser comes back with to /oauth/callback)\n",
           out.url, out.scopes && *out.scopes ? out.scopes : "-", out.state, expires, out.state);
    free(out.url);
    c.rc = 0;
    return cli_cmd_end(&c);
}

static int connect_finish(int argc, char **argv)
{
    const char *db_url = DEFAULT_DB, *key_file = NULL, *public_url = NULL, *state = NULL,
               *code = NULL;
    const struct cli_opt opts[] = {
        OPT_DB(&db_url),
        OPT_KEY_FILE(&key_file),
        OPT_PUBLIC_URL(&public_url),
        OPT_STRING("state", "STATE", NULL, &state, "what `connect start` printed"),
        OPT_STRING("code", "CODE", NULL, &code, "the code the platform gave back"),
    };
    struct cli_cmd c;
    if (!cli_cmd_begin(&c, argc, argv, opts, ARRAY_LEN(opts),
                       "connect finish --state STATE --code CODE [options]",
                       "Finishes connecting: trades the code for the account's tokens, "
                       "seals them, and makes or finds the account's channel.") ||
        ((c.p.npos || !state || !code) && !cli_cmd_usage(&c, "give --state and --code")) ||
        !cli_cmd_key(&c, key_file) || !cli_cmd_open_db(&c, db_url, CLI_DB_EXISTING))
        return cli_cmd_end(&c);
    struct oauth_outcome *out = xmalloc(sizeof *out);
    if (oauth_finish(c.db, c.key, NULL, public_url, state, code, OAUTH_ANY_USER, time_now(), out,
                     &c.err) == 0)
        c.rc = 0;
    for (int i = 0; c.rc == 0 && i < out->n; i++)
        printf("channel %lld: %s %s connected%s\n", (long long)out->channels[i].channel_id,
               out->channels[i].platform, out->channels[i].handle,
               out->channels[i].created ? " (new channel)" : "");
    free(out);
    return cli_cmd_end(&c);
}

static int connect_list(int argc, char **argv)
{
    const char *db_url = DEFAULT_DB, *workspace = NULL;
    const struct cli_opt opts[] = {
        OPT_DB(&db_url),
        OPT_STRING("workspace", "ID|SLUG", "KANAL_WORKSPACE", &workspace,
                   "only this workspace's channels"),
    };
    struct cli_cmd c;
    json_t *list = NULL;
    if (!cli_cmd_begin(&c, argc, argv, opts, ARRAY_LEN(opts), "connect list [options]",
                       "Lists connected channels: their state (connected, or "
                       "needs_reconnect with the platform's words), last sync and when "
                       "the token expires.") ||
        !cli_cmd_open_db(&c, db_url, CLI_DB_EXISTING) ||
        (workspace && workspace_resolve(c.db, workspace, &c.ws, &c.err)) ||
        !(list = connection_list(c.db, c.ws, &c.err)))
        return cli_cmd_end(&c);
    json_t *items = json_object_get(list, "items"), *it;
    size_t i;
    printf("%-8s %-10s %-32s %-16s %-21s %s\n", "CHANNEL", "PLATFORM", "HANDLE", "STATE", "SYNCED",
           "PROBLEM");
    json_array_foreach (items, i, it) {
        const char *synced = json_string_value(json_object_get(it, "synced_at"));
        const char *problem = json_string_value(json_object_get(it, "problem"));
        printf("%-8lld %-10s ", (long long)json_integer_value(json_object_get(it, "channel_id")),
               json_string_value(json_object_get(it, "platform")));
        cli_print_padded(stdout, json_string_value(json_object_get(it, "handle")), 32);
        printf(" %-16s %-21s %s\n", json_string_value(json_object_get(it, "state")),
               synced ? synced : "never", problem && *problem ? problem : "-");
    }
    if (json_array_size(items) == 0)
        printf("(no channel is connected)\n");
    json_decref(list);
    c.rc = 0;
    return cli_cmd_end(&c);
}

int cmd_connect(int argc, char **argv)
{
    static const struct cli_action actions[] = {
        {"start", .run = connect_start},
        {"finish", .run = connect_finish},
        {"list", .run = connect_list},
    };
    return cli_run_action(argc, argv, actions, ARRAY_LEN(actions));
}
