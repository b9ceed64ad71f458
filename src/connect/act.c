/* act: runs one action (publish, reply, hide, ...) on the platform through
 * the channel's connector, so that nothing is done twice: the action is
 * marked sent before the call, an answer that never came leaves it
 * 'unknown', and an action that was sent before is looked up at the
 * platform (connector.lookup) before it is ever sent again. */
#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "connect/internal.h"

static int kind_parse(const char *name)
{
    for (int i = 0; i < ACT_KIND_COUNT; i++)
        if (str_eq(connect_action_names[i], name))
            return i;
    return -1;
}

static const char *body_string(json_t *body, const char *name)
{
    json_t *v = json_object_get(body, name);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

/* Moves the action, logging a failure to (the job's retry tries again). */
static int move(struct db *db, int64_t id, enum action_state to, const struct action_outcome *o,
                int64_t now, struct connect_result *res)
{
    struct error err = {0};
    if (action_move(db, id, to, o, now, &err) == 0)
        return 0;
    return connect_fail_error(res, &err);
}

/* A done action on a message (its body names message_id: the inbox's
 * answer or moderation) tells the message: a reply is stored as the
 * organisation's own answer to it, so the response figures count it at the
 * time it was sent, without waiting for the next sync to bring it; a hidden,
 * shown again or deleted message changes state in the inbox. The platform
 * has done it whatever happens here: a failure is logged, not returned. */
static void tell_message(struct db *db, const struct channel_run *run, const struct action *a,
                         json_t *body, const struct connect_done *out, int64_t now)
{
    json_t *mid = json_object_get(body, "message_id");
    if (!json_is_integer(mid))
        return;
    struct error err = {0};
    int rc = 0;
    if (str_eq(a->kind, "reply") && out->id[0]) {
        struct message_in m = {.channel_id = run->ch.id,
                               .parent_id = json_integer_value(mid),
                               .kind = "reply",
                               .platform_id = out->id,
                               .author_name = run->ch.handle,
                               .author_handle = run->ch.handle,
                               .body = body_string(body, "text"),
                               .is_own = true,
                               .created_at = a->first_sent_at ? a->first_sent_at : now};
        int64_t id;
        rc = message_upsert(db, run->ch.workspace_id, &m, &id, &err);
    } else if (a->target && (str_eq(a->kind, "hide") || str_eq(a->kind, "unhide") ||
                             str_eq(a->kind, "delete-message"))) {
        const char *st = str_eq(a->kind, "hide")     ? "hidden"
                         : str_eq(a->kind, "unhide") ? "open"
                                                     : "removed";
        rc = message_set_platform_status(db, run->ch.id, a->target, st, &err) < 0 ? -1 : 0;
    }
    if (rc < 0)
        log_warn("action %lld (%s) was done but message %lld was not updated: %s", (long long)a->id,
                 a->kind, (long long)json_integer_value(mid), err.msg);
}

/* The platform has done it: the message is told first and the action
 * marked done after, so whoever sees the action done (the desk, a test, the
 * response figures) finds the answer on the message too. Telling twice is
 * harmless (the reply is upserted by its platform id) if marking fails and
 * the job's retry looks it up again. */
static int done_and_tell(struct db *db, const struct channel_run *run, const struct action *a,
                         json_t *body, const struct connect_done *out, int64_t now,
                         struct connect_result *res)
{
    tell_message(db, run, a, body, out, now);
    struct action_outcome o = {.platform_id = out->id, .permalink = out->permalink};
    return move(db, a->id, ACTION_DONE, &o, now, res);
}

int connect_act(struct db *db, const struct connect_env *env, int64_t action_id, int64_t now,
                struct connect_result *res)
{
    assert(db && env && res);
    *res = (struct connect_result){0};
    struct error err = {0};
    struct action a;
    if (action_get(db, action_id, &a, &err))
        return err.kind == ERR_NOT_FOUND ? connect_fail(res, CO_REJECTED, "%s", err.msg)
                                         : connect_fail_error(res, &err);
    json_error_t je;
    json_t *body = json_loads(a.body, 0, &je);
    struct channel_run run;
    memset(&run, 0, sizeof run);
    struct media image = {0};
    int rc = -1;
    if (a.state == ACTION_DONE) {
        rc = 0;
        goto done;
    }
    if (a.state == ACTION_FAILED) {
        connect_fail(res, CO_REJECTED, "action %lld failed: %s", (long long)a.id, a.error);
        goto done;
    }
    int kind = kind_parse(a.kind);
    assert(kind >= 0); /* the table's CHECK holds the same names */
    if (channel_run_open(db, env, a.channel_id, now, &run, res)) {
        if (!run.held)
            channel_run_record(db, a.channel_id, res, now);
        goto done;
    }
    const struct connector *c = run.c;
    if (kind < 0 || !(c->actions & (1u << kind)) || !c->act) {
        connect_fail(res, CO_REJECTED, "%s cannot %s", c->title, a.kind);
        struct action_outcome o = {.error = res->message};
        move(db, a.id, ACTION_FAILED, &o, now, res);
        goto done;
    }
    struct connect_action ca = {
        .kind = (enum connect_action_kind)kind,
        .target = a.target,
        .text = body_string(body, "text"),
        .link = body_string(body, "link"),
        .key = a.key,
        .first_sent_at = a.first_sent_at,
    };
    json_t *media_id = json_object_get(body, "media_id");
    if (json_is_integer(media_id)) {
        /* The image was checked when it was stored; it may have gone since. */
        if (media_get(db, run.ch.workspace_id, json_integer_value(media_id), true, &image, &err)) {
            if (err.kind != ERR_NOT_FOUND) {
                connect_fail_error(res, &err);
                goto done;
            }
            connect_fail(res, CO_REJECTED, "the action's image is gone: %s", err.msg);
            struct action_outcome o = {.error = res->message};
            move(db, a.id, ACTION_FAILED, &o, now, res);
            goto done;
        }
        ca.image = (const char *)image.bytes;
        ca.image_len = image.len;
        ca.image_type = image.content_type;
        ca.image_alt = image.alt && *image.alt ? image.alt : NULL;
    }
    struct connect_done out = {0};
    if (a.state == ACTION_SENT || a.state == ACTION_UNKNOWN) {
        /* It may have happened: ask before sending it again. */
        if (!c->lookup) {
            connect_fail(res, CO_REJECTED,
                         "the answer to this %s was lost and %s cannot be asked whether it "
                         "happened: look on %s before doing it again",
                         a.kind, c->title, c->title);
            struct action_outcome o = {.error = res->message};
            move(db, a.id, ACTION_FAILED, &o, now, res);
            goto done;
        }
        int found = c->lookup(&run.s, &ca, &out, res);
        if (found < 0) {
            if (res->outcome == CO_AUTH)
                channel_run_record(db, a.channel_id, res, now);
            if (res->outcome == CO_REJECTED) { /* cannot be told: a person looks */
                struct action_outcome o = {.error = res->message};
                struct connect_result kept = *res;
                move(db, a.id, ACTION_FAILED, &o, now, res);
                *res = kept;
            }
            goto done; /* otherwise still unknown: asked again next time */
        }
        if (found == 1) {
            log_info("action %lld (%s) had been done at %s: not sent again", (long long)a.id,
                     a.kind, c->title);
            rc = done_and_tell(db, &run, &a, body, &out, now, res);
            goto done;
        }
        log_info("action %lld (%s) was not done at %s: sending it again", (long long)a.id, a.kind,
                 c->title);
    }
    if (move(db, a.id, ACTION_SENT, NULL, now, res))
        goto done;
    if (!ca.first_sent_at)
        ca.first_sent_at = now;
    memset(&out, 0, sizeof out);
    *res = (struct connect_result){0};
    if (c->act(&run.s, &ca, &out, res) == 0) {
        res->outcome = CO_OK;
        rc = done_and_tell(db, &run, &a, body, &out, now, res);
        goto done;
    }
    struct action_outcome o = {.error = res->message};
    struct connect_result kept = *res;
    switch (res->outcome) {
    case CO_LOST:
        move(db, a.id, ACTION_UNKNOWN, &o, now, res);
        break;
    case CO_REJECTED:
        move(db, a.id, ACTION_FAILED, &o, now, res);
        break;
    default: /* auth, rate, temporary: not done; queued for a later try */
        move(db, a.id, ACTION_QUEUED, &o, now, res);
        break;
    }
    *res = kept;
    channel_run_record(db, a.channel_id, res, now);
done:
    channel_run_close(&run);
    media_clear(&image);
    json_decref(body);
    action_clear(&a);
    return rc;
}
