/* tokens: `kanal secret-key` makes the key that seals channels' tokens, and
 * `kanal channel-token set|show|delete` stores a token a person already has
 * (a Meta system user's, a Mastodon or Bluesky app token), tells whether
 * the key opens a channel's tokens and when they expire, and forgets them.
 * No command prints a token. */
#include "cli/cli.h"
#include "cli/options.h"
#include "connect/connect.h"
#include "db/db.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct vault_key *cli_secret_key(const char *cmd, const char *file, bool required)
{
    struct error err = {0};
    struct vault_key *k = vault_key_load(file, getenv("KANAL_SECRET_KEY"), &err);
    if (!k && err.kind != ERR_NONE)
        cli_error(cmd, "%s", err.msg);
    else if (!k && required)
        cli_error(cmd, "no secret key: give --secret-key-file PATH or set KANAL_SECRET_KEY "
                       "(`kanal secret-key` makes one)");
    return k;
}

int cmd_secret_key(int argc, char **argv)
{
    struct cli_cmd c;
    if (cli_cmd_begin(&c, argc, argv, NULL, 0, "secret-key",
                      "Prints a new random key for --secret-key-file or "
                      "KANAL_SECRET_KEY (64 hex digits).")) {
        char key[2 * VAULT_KEY_BYTES + 1];
        vault_key_generate(key);
        printf("%s\n", key);
        sodium_memzero(key, sizeof key);
        c.rc = 0;
    }
    return cli_cmd_end(&c);
}

static int token_set(int argc, char **argv)
{
    const char *db_url = DEFAULT_DB, *key_file = NULL, *expires_s = NULL, *scopes = NULL;
    const struct cli_opt opts[] = {
        OPT_DB(&db_url),
        OPT_KEY_FILE(&key_file),
        OPT_STRING("expires-in", "SECONDS", NULL, &expires_s, "the access token's life left"),
        OPT_STRING("scopes", "LIST", NULL, &scopes, "the scopes granted, space-separated"),
    };
    struct cli_cmd c;
    int64_t channel, expires_in = 0;
    if (!cli_cmd_begin(&c, argc, argv, opts, ARRAY_LEN(opts), "channel-token set CHANNEL",
                       "Seals and stores a channel's tokens read from stdin: the access "
                       "token on the first line, a refresh token on the second if any.") ||
        !cli_cmd_id_arg(&c, &channel, "give the channel's id") ||
        (expires_s && (str_to_i64(expires_s, &expires_in) || expires_in < 1) &&
         !cli_cmd_usage(&c, "--expires-in must be a number of seconds")) ||
        !cli_cmd_key(&c, key_file))
        return cli_cmd_end(&c);
    struct channel_tokens t = {.access_token = cli_read_line()};
    if (t.access_token)
        t.refresh_token = cli_read_line();
    if (t.refresh_token && !*t.refresh_token) {
        free(t.refresh_token);
        t.refresh_token = NULL;
    }
    int64_t now = time_now();
    t.expires_at = expires_in ? now + expires_in : 0;
    t.scopes = scopes ? xstrdup(scopes) : NULL;
    if (!t.access_token)
        error_set(&c.err, ERR_INVALID, "no access token on stdin");
    else if (cli_cmd_open_db(&c, db_url, CLI_DB_EXISTING) &&
             vault_store(c.db, c.key, channel, &t, now, &c.err) == 0) {
        printf("channel %lld: tokens sealed and stored\n", (long long)channel);
        c.rc = 0;
    }
    channel_tokens_clear(&t);
    return cli_cmd_end(&c);
}

static int token_show(int argc, char **argv)
{
    const char *db_url = DEFAULT_DB, *key_file = NULL;
    const struct cli_opt opts[] = {OPT_DB(&db_url), OPT_KEY_FILE(&key_file)};
    struct cli_cmd c;
    int64_t channel;
    if (!cli_cmd_begin(&c, argc, argv, opts, ARRAY_LEN(opts), "channel-token show CHANNEL",
                       "Says whether the key opens the channel's tokens, when the "
                       "access token expires and its scopes (never the tokens).") ||
        !cli_cmd_id_arg(&c, &channel, "give the channel's id") || !cli_cmd_key(&c, key_file) ||
        !cli_cmd_open_db(&c, db_url, CLI_DB_EXISTING))
        return cli_cmd_end(&c);
    struct channel_tokens t = {0};
    int got = vault_load(c.db, c.key, channel, &t, &c.err);
    if (got == 0) {
        printf("channel %lld: no tokens (not connected)\n", (long long)channel);
    } else if (got > 0) {
        char expires[21] = "never";
        if (t.expires_at)
            time_format_iso(t.expires_at, expires);
        printf("channel %lld: tokens open with this key\naccess token expires: %s\n"
               "refresh token: %s\nscopes: %s\n",
               (long long)channel, expires, t.refresh_token ? "yes" : "no",
               t.scopes && *t.scopes ? t.scopes : "-");
    }
    channel_tokens_clear(&t);
    c.rc = got < 0 ? 1 : 0;
    return cli_cmd_end(&c);
}

static int token_delete(int argc, char **argv)
{
    const char *db_url = DEFAULT_DB;
    const struct cli_opt opts[] = {OPT_DB(&db_url)};
    struct cli_cmd c;
    int64_t channel;
    int gone = -1;
    if (cli_cmd_begin(&c, argc, argv, opts, ARRAY_LEN(opts), "channel-token delete CHANNEL",
                      "Forgets the channel's tokens (no key needed).") &&
        cli_cmd_id_arg(&c, &channel, "give the channel's id") &&
        cli_cmd_open_db(&c, db_url, CLI_DB_EXISTING) &&
        (gone = vault_delete(c.db, channel, &c.err)) >= 0) {
        printf("channel %lld: %s\n", (long long)channel,
               gone ? "tokens forgotten" : "had no tokens");
        c.rc = 0;
    }
    return cli_cmd_end(&c);
}

int cmd_channel_token(int argc, char **argv)
{
    static const struct cli_action actions[] = {
        {"set", .run = token_set},
        {"show", .run = token_show},
        {"delete", .run = token_delete},
    };
    return cli_run_action(argc, argv, actions, ARRAY_LEN(actions));
}
