/* sync: `kanal sync [--channel ID]` syncs connected channels once, in the
 * foreground, and says what each added or why it failed; `kanal act`
 * queues an action on a channel's platform (publish, reply, hide, ...) for
 * the worker in `kanal serve`, or runs it at once with --now. */
#include "cli/cli.h"
#include "cli/options.h"
#include "connect/connect.h"
#include "model/model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void print_sync(int64_t channel, const char *platform, const struct connect_sync_stats *st)
{
    const struct ingest_counts *c = &st->counts;
    printf("channel %lld (%s): %lld new: %lld posts, %lld snapshots, %lld messages, %lld "
           "channel figures (%lld page%s)\n",
           (long long)channel, platform, (long long)st->added, (long long)c->inserted[IE_POSTS],
           (long long)c->inserted[IE_METRICS], (long long)c->inserted[IE_MESSAGES],
           (long long)c->inserted[IE_CHANNEL_METRICS], (long long)st->pages,
           st->pages == 1 ? "" : "s");
}

int cmd_sync(int argc, char **argv)
{
    const char *db_url = DEFAULT_DB, *key_file = NULL, *channel_s = NULL, *public_url = NULL;
    const struct cli_opt opts[] = {
        OPT_DB(&db_url),
        OPT_KEY_FILE(&key_file),
        OPT_STRING("channel", "ID", NULL, &channel_s, "only this channel"),
        OPT_STRING("public-url", "URL", "KANAL_PUBLIC_URL", &public_url,
                   "the address kanal is reached at (for the platforms' redirect URI)"),
    };
    struct cli_cmd c;
    int64_t only = 0;
    if (!cli_cmd_begin(&c, argc, argv, opts, ARRAY_LEN(opts), "sync [--channel ID]",
                       "Syncs connected channels once, now, and prints what each added "
                       "or why it failed.") ||
        ((c.p.npos || (channel_s && !cli_id(channel_s, &only))) &&
         !cli_cmd_usage(&c, "--channel must be a channel's id, and nothing else is taken")) ||
        !cli_cmd_key(&c, key_file) || !cli_cmd_open_db(&c, db_url, CLI_DB_EXISTING))
        return cli_cmd_end(&c);
    json_t *list = connection_errors(c.db, &c.err);
    if (!list)
        return cli_cmd_end(&c);
    struct connect_env env = {.key = c.key, .public_url = public_url};
    int failed = 0, ran = 0;
    size_t i;
    json_t *ch;
    json_array_foreach (list, i, ch) {
        int64_t channel = json_integer_value(json_object_get(ch, "channel_id"));
        const char *platform = json_string_value(json_object_get(ch, "platform"));
        if (only && channel != only)
            continue;
        ran++;
        struct connect_sync_stats st;
        struct connect_result res;
        if (connect_sync_channel(c.db, &env, channel, time_now(), &st, &res) == 0) {
            print_sync(channel, platform, &st);
            continue;
        }
        failed++;
        if (st.pages)
            print_sync(channel, platform, &st);
        printf("channel %lld (%s): failed (%s): %s\n", (long long)channel, platform,
               connect_outcome_names[res.outcome], res.message);
    }
    json_decref(list);
    if (only && !ran) {
        error_set(&c.err, ERR_NOT_FOUND, "channel %lld is not connected", (long long)only);
        return cli_cmd_end(&c);
    }
    if (!ran)
        printf("no channel is connected\n");
    c.rc = failed ? 1 : 0;
    return cli_cmd_end(&c);
}

/* Stores the image file in the channel's workspace and names it in body. */
static int act_image(struct db *db, int64_t channel, const char *path, const char *alt,
                     json_t *body, struct error *err)
{
    struct channel_ref ch;
    if (channel_ref_get(db, channel, &ch, err))
        return -1;
    struct buf b = {0};
    int64_t id;
    struct media_in in = {.workspace_id = ch.workspace_id, .alt = alt};
    int rc = buf_read_file(&b, path, MEDIA_MAX_BYTES, err);
    if (rc == 0) {
        in.data = b.data;
        in.len = b.len;
        rc = media_create(db, &in, time_now(), &id, err);
        if (rc) { /* the file's name first, as the import's errors are */
            char msg[sizeof err->msg];
            memcpy(msg, err->msg, sizeof msg);
            error_set(err, err->kind, "%.200s: %.300s", path, msg);
        }
    }
    buf_free(&b);
    if (rc == 0)
        json_object_set_new(body, "media_id", json_integer(id));
    return rc;
}

/* --now: the action done in the foreground, and queued again for the
 * worker when the platform may yet take it; 0, or 1 (c->err says why when
 * it was not the platform). */
static int act_now(struct cli_cmd *c, const struct action_in *in, const char *public_url)
{
    int64_t id = 0;
    if (action_create(c->db, in, time_now(), &id, &c->err) < 0)
        return 1;
    struct connect_env env = {.key = c->key, .public_url = public_url};
    struct connect_result res;
    if (connect_act(c->db, &env, id, time_now(), &res) == 0) {
        struct action a;
        if (action_get(c->db, id, &a, &c->err))
            return 1;
        printf("action %lld done%s%s%s%s\n", (long long)id, a.platform_id ? ": " : "",
               a.platform_id ? a.platform_id : "", a.permalink ? " " : "",
               a.permalink ? a.permalink : "");
        action_clear(&a);
        return 0;
    }
    printf("action %lld not done (%s): %s\n", (long long)id, connect_outcome_names[res.outcome],
           res.message);
    /* Left for the worker, which tries again (and looks a lost one up
     * first). */
    if (res.outcome != CO_REJECTED &&
        connect_queue_action(c->db, in, time_now(), &id, &c->err) >= 0)
        printf("action %lld queued to be tried again\n", (long long)id);
    return 1;
}

/* The action queued for `kanal serve`'s worker; 0 or 1 (c->err says why). */
static int act_queue(struct cli_cmd *c, const struct action_in *in)
{
    int64_t id = 0;
    int made = connect_queue_action(c->db, in, time_now(), &id, &c->err);
    if (made < 0)
        return 1;
    printf("action %lld %s\n", (long long)id, made == 1 ? "already queued" : "queued");
    return 0;
}

int cmd_act(int argc, char **argv)
{
    const char *db_url = DEFAULT_DB, *key_file = NULL, *channel_s = NULL, *target = NULL,
               *text = NULL, *link = NULL, *key = NULL, *public_url = NULL, *image = NULL,
               *alt = NULL;
    bool now_flag = false;
    const struct cli_opt opts[] = {
        OPT_DB(&db_url),
        OPT_KEY_FILE(&key_file),
        OPT_STRING("channel", "ID", NULL, &channel_s, "the channel acting (required)"),
        OPT_STRING("target", "ID", NULL, &target,
                   "the platform's id of the post or message acted on (all but publish)"),
        OPT_STRING("text", "TEXT", NULL, &text, "the post's or reply's text"),
        OPT_STRING("link", "URL", NULL, &link, "a link to publish with the text"),
        OPT_STRING("image", "FILE", NULL, &image,
                   "an image to publish with the text (JPEG, PNG, GIF or WebP)"),
        OPT_STRING("alt", "TEXT", NULL, &alt, "the image's description"),
        OPT_STRING("key", "KEY", NULL, &key,
                   "the action's name: the same key twice is one action (default: a new one)"),
        OPT_STRING("public-url", "URL", "KANAL_PUBLIC_URL", &public_url,
                   "the address kanal is reached at"),
        OPT_BOOL("now", NULL, &now_flag, "do it now, in the foreground, and say how it ended"),
    };
    struct cli_cmd c;
    int64_t channel = 0;
    if (!cli_cmd_begin(&c, argc, argv, opts, ARRAY_LEN(opts),
                       "act --channel ID publish|delete-post|reply|hide|unhide|"
                       "delete-message|like [options]",
                       "Queues an action on the channel's platform for `kanal serve` "
                       "(or does it now with --now) and prints its id.") ||
        ((!channel_s || !cli_id(channel_s, &channel) || c.p.npos != 1) &&
         !cli_cmd_usage(&c, "give --channel ID and one action: publish, delete-post, reply, "
                            "hide, unhide, delete-message or like")) ||
        (now_flag && !cli_cmd_key(&c, key_file)) || !cli_cmd_open_db(&c, db_url, CLI_DB_EXISTING))
        return cli_cmd_end(&c);
    json_t *body = json_object();
    cli_json_put(body, "text", text);
    cli_json_put(body, "link", link);
    struct action_in in = {
        .channel_id = channel, .kind = c.p.pos[0], .target = target, .body = body, .key = key};
    if (!image || act_image(c.db, channel, image, alt, body, &c.err) == 0)
        c.rc = now_flag ? act_now(&c, &in, public_url) : act_queue(&c, &in);
    json_decref(body);
    return cli_cmd_end(&c);
}
