/* mastodon: Mastodon status entities, as GET /api/v1/accounts/:id/statuses
 * or a timeline answers (or one status), notifications, whose mentions
 * carry a status, and account entities (GET /api/v1/accounts/verify_credentials),
 * whose follower count is a snapshot of the channel. The account's own
 * statuses are posts; other accounts' statuses (replies, mentions) go to the
 * inbox; boosts are shares. Content is HTML and is turned into plain text. */
#include "ingest/internal.h"

#include <stdio.h>
#include <string.h>

static int status(struct pctx *pc, json_t *s, const char *where, void *arg)
{
    if (!json_is_object(s))
        return rec_reject(pc, where, "expected a status object");
    /* A boost is a share: the boosted status is inside it, counted in its
     * own reblogs_count. */
    if (json_is_object(json_object_get(s, "reblog")))
        return rec_share(pc, where);
    json_t *acct = json_object_get(s, "account");
    struct ingest_record r;
    rec_start(&r, REC_POST, "mastodon", where);
    r.foreign_is_message = true;
    r.post_id = jstr(pc, s, "id");
    r.published_at = jtime(s, "created_at");
    r.created_at = r.published_at;
    r.body = html_text(pc, jstr(pc, s, "content"), true);
    const char *spoiler = jstr(pc, s, "spoiler_text");
    if (spoiler && *spoiler)
        r.body = arena_printf(&pc->arena, "%s\n\n%s", spoiler, r.body ? r.body : "");
    r.permalink = jstr(pc, s, "url");
    r.lang = lang_tag(jstr(pc, s, "language"));
    r.account_id = jstr(pc, acct, "id");
    r.account_name = jstr(pc, acct, "acct");
    r.author_handle = r.account_name;
    r.author_name = jstr(pc, acct, "display_name");
    r.account_title = r.author_name;
    r.reply_to = jstr(pc, s, "in_reply_to_id");
    r.reply_to_account = jstr(pc, s, "in_reply_to_account_id");
    if (!r.post_id)
        return rec_reject(pc, where, "a status needs its 'id'");
    if (!r.published_at)
        return rec_reject(pc, where, "status %s: 'created_at' is missing or not a time", r.post_id);
    if (!r.account_id)
        return rec_reject(pc, where, "status %s: 'account.id' is missing", r.post_id);
    json_t *media = json_object_get(s, "media_attachments");
    const char *type = json_string_value(json_object_get(json_array_get(media, 0), "type"));
    r.format = "status";
    if (type)
        r.format = json_array_size(media) > 1 ? "carousel"
                   : str_eq(type, "image")    ? "photo"
                                              : "video";
    const char *card = jstr(pc, json_object_get(s, "card"), "url");
    if (card) {
        r.link_url = card;
        if (str_eq(r.format, "status"))
            r.format = "link";
    }
    rec_measured(pc, &r);
    r.metrics[PM_REACTIONS] = jcount(s, "favourites_count");
    r.metrics[PM_SHARES] = jcount(s, "reblogs_count");
    r.metrics[PM_COMMENTS] = jcount(s, "replies_count");
    return rec_emit(pc, &r);
}

/* A notification (GET /api/v1/notifications): a mention brings its
 * status, which the channel's import reads as a mention or reply; the
 * others (favourites, boosts, follows, polls) are not messages. */
static bool is_notification(json_t *x)
{
    return json_is_string(json_object_get(x, "type")) && !json_object_get(x, "content");
}

/* An account entity: it has an acct and counts, and no content. */
static bool is_account(json_t *x)
{
    return json_is_object(x) && json_object_get(x, "acct") &&
           json_object_get(x, "followers_count") && !json_object_get(x, "content");
}

static int account(struct pctx *pc, json_t *a, const char *where)
{
    struct ingest_record r;
    rec_account_now(pc, &r, "mastodon", where);
    r.account_id = jstr(pc, a, "id");
    r.account_name = jstr(pc, a, "acct");
    r.account_title = jstr(pc, a, "display_name");
    r.followers = jcount(a, "followers_count");
    if (!r.account_id)
        return rec_reject(pc, where, "an account needs its 'id'");
    if (r.followers < 0)
        return rec_reject(pc, where, "account %s: 'followers_count' is not a count", r.account_id);
    return rec_emit(pc, &r);
}

static int entry(struct pctx *pc, json_t *x, const char *where, void *arg)
{
    /* Only the account the answer is of: a list of accounts (followers,
     * favourited by) is other people, not the channel's counts. */
    if (is_account(x))
        return str_eq(where, "$") ? account(pc, x, where)
                                  : rec_reject(pc, where, "a list of accounts is not read");
    if (!is_notification(x))
        return status(pc, x, where, arg);
    const char *type = json_string_value(json_object_get(x, "type"));
    json_t *s = json_object_get(x, "status");
    if (!str_eq(type, "mention"))
        return 0;
    char w[128];
    snprintf(w, sizeof w, "%.100s.status", where);
    if (!json_is_object(s))
        return rec_reject(pc, where, "a mention notification needs its 'status'");
    return status(pc, s, w, arg);
}

int read_mastodon(struct pctx *pc, json_t *j, struct error *err)
{
    int rc = 0;
    if (json_is_object(j)) {
        rc = entry(pc, j, "$", NULL);
    } else if (json_is_array(j)) {
        rc = each_item(pc, j, "$", entry, NULL);
    } else {
        rc = error_set(err, ERR_INVALID, "$: expected an array of Mastodon statuses");
    }
    return rc;
}
