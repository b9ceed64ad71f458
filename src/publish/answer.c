/* answer: the inbox acting on the platforms. A reply to a message and its
 * moderation (hide, unhide, delete) are actions queued for the message's
 * channel's connector, as a post is: the worker in `kanal serve` does them
 * once, a lost answer is looked up before it is sent again, and when one is
 * done (connect/act.c) the message learns it: a reply is stored as the
 * organisation's own answer, so the response figures count it at the time
 * it was sent; a hidden message is hidden in the inbox too. */
#include "connect/connect.h"
#include "publish/publish.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

/* The message's channel, platform id and platform, for acting on it. */
static int message_target(struct db *db, int64_t ws, int64_t message_id, int64_t *channel,
                          char *platform_id, size_t idn, char *platform, size_t pn,
                          int64_t *text_limit, struct error *err)
{
    struct db_stmt *st = model_row(db, "message", message_id, err,
                                   "SELECT m.channel_id, COALESCE(m.platform_id, ''), m.is_own, "
                                   "c.platform, COALESCE(c.text_limit, 0) FROM messages m "
                                   "JOIN channels c ON c.id = m.channel_id "
                                   "WHERE m.id = ? AND m.workspace_id = ?",
                                   "ii", message_id, ws);
    if (!st)
        return -1;
    *channel = db_col_int(st, 0);
    snprintf(platform_id, idn, "%s", db_col_text(st, 1));
    bool own = db_col_int(st, 2) != 0;
    snprintf(platform, pn, "%s", db_col_text(st, 3));
    if (text_limit)
        *text_limit = db_col_int(st, 4);
    db_finalize(st);
    if (!*platform_id)
        return error_set(err, ERR_INVALID,
                         "message %lld has no id at its platform (it came from a file without "
                         "one): answer it on the platform",
                         (long long)message_id);
    if (own)
        return error_set(err, ERR_INVALID,
                         "message %lld is the organisation's own: there is nothing to answer or "
                         "moderate",
                         (long long)message_id);
    return 0;
}

/* Hands an action on a message (kind: reply, hide, unhide,
 * delete-message) to the connector's queue, as connect_queue_action does,
 * and releases `body`, which it takes. */
static int queue_on_message(struct db *db, int64_t channel, const char *kind, const char *target,
                            json_t *body, const char *key, const struct actor *who, int64_t now,
                            int64_t *action_id, struct error *err)
{
    struct action_in a = {.channel_id = channel,
                          .kind = kind,
                          .target = target,
                          .body = body,
                          .key = key,
                          .requested_by = who->user_id};
    int made = connect_queue_action(db, &a, now, action_id, err);
    json_decref(body);
    return made;
}

int publish_answer(struct db *db, int64_t ws, int64_t message_id, const char *text, const char *key,
                   const struct actor *who, int64_t now, int64_t *action_id, struct error *err)
{
    assert(db && who && action_id);
    int64_t channel, limit = 0;
    char target[201], platform[16];
    if (message_target(db, ws, message_id, &channel, target, sizeof target, platform,
                       sizeof platform, &limit, err))
        return -1;
    if (!text || !*text)
        return error_field(err, ERR_INVALID, "text", "text: the answer's text is required");
    /* The platform's own count and limit, as a post's: refused here with
     * the numbers rather than by the platform later. */
    struct variant_check v = {.platform = platform, .body = text, .text_limit = limit};
    if (publish_check(&v, err)) {
        if (str_eq(err->field, "body"))
            snprintf(err->field, sizeof err->field, "text");
        return -1;
    }
    return queue_on_message(
        db, channel, "reply", target,
        json_pack("{s:s, s:I}", "text", text, "message_id", (json_int_t)message_id), key, who, now,
        action_id, err);
}

int publish_moderate(struct db *db, int64_t ws, int64_t message_id, const char *what,
                     const char *reason, const struct actor *who, int64_t now, int64_t *action_id,
                     struct error *err)
{
    return publish_moderate_key(db, ws, message_id, what, reason, NULL, who, now, action_id, err);
}

int publish_moderate_key(struct db *db, int64_t ws, int64_t message_id, const char *what,
                         const char *reason, const char *key, const struct actor *who, int64_t now,
                         int64_t *action_id, struct error *err)
{
    assert(db && who && action_id);
    const char *kind = !what                    ? NULL
                       : str_eq(what, "hide")   ? "hide"
                       : str_eq(what, "unhide") ? "unhide"
                       : str_eq(what, "delete") ? "delete-message"
                                                : NULL;
    if (!kind)
        return error_field(err, ERR_INVALID, "action",
                           "action: hide, unhide or delete, not '%.20s'", what ? what : "");
    if (reason && strlen(reason) > 500)
        return error_field(err, ERR_INVALID, "reason", "reason: at most 500 bytes");
    int64_t channel;
    char target[201], platform[16];
    if (message_target(db, ws, message_id, &channel, target, sizeof target, platform,
                       sizeof platform, NULL, err))
        return -1;
    int made = queue_on_message(db, channel, kind, target,
                                json_pack("{s:I}", "message_id", (json_int_t)message_id), key, who,
                                now, action_id, err);
    if (made < 0)
        return -1;
    if (made == 1)
        return made; /* the key's action, asked for (and audited) before */
    /* Why a message was hidden or deleted is the desk's to keep. */
    char detail[600];
    snprintf(detail, sizeof detail, "%s on %s: %s", what, platform,
             reason && *reason ? reason : "(no reason given)");
    return audit_record(db, ws, who->user_id, what, "message", message_id, detail, err) ? -1 : made;
}
