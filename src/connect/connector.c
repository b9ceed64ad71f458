/* connector: what every connector shares: the table of them, and the
 * mapping of an answer that is not a success to the outcome the job layer
 * acts on (retry, wait, stop, reconnect). One file per platform holds the
 * rest. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "connect/connect.h"

const char *const connect_outcome_names[CO_OUTCOME_COUNT] = {
    [CO_OK] = "ok",
    [CO_AUTH] = "auth",
    [CO_RATE] = "rate",
    [CO_TEMPORARY] = "temporary",
    [CO_REJECTED] = "rejected",
    [CO_LOST] = "lost",
};

const char *const connect_action_names[ACT_KIND_COUNT] = {
    [ACT_PUBLISH] = "publish", [ACT_DELETE_POST] = "delete-post",
    [ACT_REPLY] = "reply",     [ACT_HIDE] = "hide",
    [ACT_UNHIDE] = "unhide",   [ACT_DELETE_MESSAGE] = "delete-message",
    [ACT_LIKE] = "like",
};

/* Each platform's file defines its connector; the table lists them. */
const struct connector *const connectors[] = {
    NULL,
};

const struct connector *connector_find(const char *platform)
{
    for (const struct connector *const *c = connectors; platform && *c; c++)
        if (strcmp((*c)->platform, platform) == 0)
            return *c;
    return NULL;
}

int connect_fail(struct connect_result *r, enum connect_outcome o, const char *fmt, ...)
{
    r->outcome = o;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->message, sizeof r->message, fmt, ap);
    va_end(ap);
    return -1;
}

int connect_fail_http(struct connect_result *r, const char *what,
                      const struct connect_response *resp, int call_rc,
                      const struct error *call_err, bool sent_action)
{
    r->status = call_rc == 0 ? resp->status : 0;
    if (call_rc != 0) {
        const char *why = call_err && call_err->msg[0] ? call_err->msg : "no answer";
        if (sent_action && resp->retriable)
            return connect_fail(r, CO_LOST,
                                "%s: %s; it may have been done, so it is looked up "
                                "before it is sent again",
                                what, why);
        return connect_fail(r, resp->retriable ? CO_TEMPORARY : CO_REJECTED, "%s", why);
    }
    if (resp->status == 429 || resp->rl.limited) {
        r->retry_at = resp->rl.retry_at;
        return connect_fail(r, CO_RATE, "%s: rate limited (HTTP %ld)", what, resp->status);
    }
    if (resp->status == 401)
        return connect_fail(r, CO_AUTH, "%s: the platform no longer accepts the token (HTTP 401)",
                            what);
    if (resp->status >= 500)
        return connect_fail(r, CO_TEMPORARY, "%s: the platform failed (HTTP %ld)", what,
                            resp->status);
    return connect_fail(r, CO_REJECTED, "%s: refused (HTTP %ld)", what, resp->status);
}
