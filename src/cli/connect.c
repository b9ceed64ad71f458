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
    if (!db)
        return 1;
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
    struct cli_parse p;
    int rc = cli_parse_options(argc, argv, opts, ARRAY_LEN(opts),
                               "connect start --platform NAME --workspace W [options]",
                               "Starts connecting an account: prints the address to open, "
                               "where the account's owner consents. Finish with `kanal connect "
                               "finish` within ten minutes. A platform without a consent screen "
                               "(Bluesky) connects at once with --identifier and "
                               "--password-stdin.",
                               &p);
    if (p.stop)
        goto done;
    rc = 2;
    const struct connector *c = connector_find(platform);
    int64_t channel = 0;
    if (p.npos) {
        cli_error("connect start", "unexpected argument '%s'", p.pos[0]);
        goto done;
    }
    if (!c) {
        struct buf names = {0};
        for (const struct connector *const *k = connectors; *k; k++)
            buf_printf(&names, "%s%s", names.len ? ", " : "", (*k)->platform);
        cli_error("connect start", "--platform: kanal cannot connect '%s' (it can: %s)",
                  platform ? platform : "", names.len ? names.data : "none yet");
        buf_free(&names);
        goto done;
    }
    if (!workspace) {
        cli_error("connect start", "give --workspace (its id or slug)");
        goto done;
    }
    if (channel_s && (str_to_i64(channel_s, &channel) || channel < 1)) {
        cli_error("connect start", "--channel must be a channel's id");
        goto done;
    }
    rc = 1;
    struct vault_key *k = cli_secret_key("connect start", key_file, true);
    if (!k)
        goto done;
    struct error err = {0};
    struct oauth_consent out = {0};
    int64_t ws = 0;
    struct db *db = cli_open_db(db_url, CLI_DB_EXISTING, NULL, &err);
    struct oauth_begin b = {.connector = c,
                            .public_url = public_url,
                            .instance = instance,
                            .channel_id = channel,
                            .now = time_now()};
    if (!c->authorize_url) {
        rc = connect_direct(db, k, &b, workspace, identifier, password_stdin, &err);
        db_close(db);
        vault_key_free(k);
        if (rc)
            cli_error("connect start", "%s", err.msg);
        goto done;
    }
    if (db && workspace_resolve(db, workspace, &ws, &err) == 0) {
        b.workspace_id = ws;
        if (oauth_start(db, k, &b, &out, &err) == 0)
            rc = 0;
    }
    db_close(db);
    vault_key_free(k);
    if (rc) {
        cli_error("connect start", "%s", err.msg);
        goto done;
    }
    char expires[21];
    time_format_iso(out.expires_at, expires);
    printf("Open this address and consent as the account to connect:\n\n  %s\n\n"
           "scopes asked: %s\nstate: %s\nexpires: %s\n\n"
           "Then run: kanal connect finish --state %s --code CODE\n"
           "(CODE is what the browser comes back with to /oauth/callback)\n",
           out.url, out.scopes && *out.scopes ? out.scopes : "-", out.state, expires, out.state);
    free(out.url);
done:
    cli_parse_free(&p);
    return rc;
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
    struct cli_parse p;
    int rc = cli_parse_options(argc, argv, opts, ARRAY_LEN(opts),
                               "connect finish --state STATE --code CODE [options]",
                               "Finishes connecting: trades the code for the account's tokens, "
                               "seals them, and makes or finds the account's channel.",
                               &p);
    if (p.stop)
        goto done;
    rc = 2;
    if (p.npos || !state || !code) {
        cli_error("connect finish", "give --state and --code");
        goto done;
    }
    rc = 1;
    struct vault_key *k = cli_secret_key("connect finish", key_file, true);
    if (!k)
        goto done;
    struct error err = {0};
    struct oauth_outcome *out = xmalloc(sizeof *out);
    struct db *db = cli_open_db(db_url, CLI_DB_EXISTING, NULL, &err);
    if (db && oauth_finish(db, k, NULL, public_url, state, code, OAUTH_ANY_USER, time_now(), out,
                           &err) == 0)
        rc = 0;
    db_close(db);
    vault_key_free(k);
    if (rc)
        cli_error("connect finish", "%s", err.msg);
    for (int i = 0; rc == 0 && i < out->n; i++)
        printf("channel %lld: %s %s connected%s\n", (long long)out->channels[i].channel_id,
               out->channels[i].platform, out->channels[i].handle,
               out->channels[i].created ? " (new channel)" : "");
    free(out);
done:
    cli_parse_free(&p);
    return rc;
}

static int connect_list(int argc, char **argv)
{
    const char *db_url = DEFAULT_DB, *workspace = NULL;
    const struct cli_opt opts[] = {
        OPT_DB(&db_url),
        OPT_STRING("workspace", "ID|SLUG", "KANAL_WORKSPACE", &workspace,
                   "only this workspace's channels"),
    };
    struct cli_parse p;
    int rc = cli_parse_options(argc, argv, opts, ARRAY_LEN(opts), "connect list [options]",
                               "Lists connected channels: their state (connected, or "
                               "needs_reconnect with the platform's words), last sync and when "
                               "the token expires.",
                               &p);
    if (p.stop)
        goto done;
    rc = 1;
    struct error err = {0};
    int64_t ws = 0;
    json_t *list = NULL;
    struct db *db = cli_open_db(db_url, CLI_DB_EXISTING, NULL, &err);
    if (db && (!workspace || workspace_resolve(db, workspace, &ws, &err) == 0))
        list = connection_list(db, ws, &err);
    db_close(db);
    if (!list) {
        cli_error("connect list", "%s", err.msg);
        goto done;
    }
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
    rc = 0;
done:
    cli_parse_free(&p);
    return rc;
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
