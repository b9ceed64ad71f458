/* saved_reply: a workspace's saved replies in sv, fi and en, and the one
 * way their variables ({first_name}, {channel}, ...) are filled in for a
 * message, so a reply that names a variable kanal does not know is refused
 * when it is saved and never sent with the braces in it. */
#include "model/internal.h"

#include <stdlib.h>
#include <string.h>

static const char *const reply_var_names[REPLY_VAR_COUNT] = {"first_name", "name", "handle",
                                                             "channel"};

int reply_render(const char *tmpl, const char *const vars[REPLY_VAR_COUNT], struct buf *out,
                 struct error *err)
{
    buf_reset(out);
    buf_puts(out, "");
    for (const char *p = tmpl; *p;) {
        if ((p[0] == '{' && p[1] == '{') || (p[0] == '}' && p[1] == '}')) {
            buf_putc(out, p[0]); /* a doubled brace is the brace itself */
            p += 2;
            continue;
        }
        if (*p == '}')
            return error_field(err, ERR_INVALID, "body",
                               "byte %zu: a '}' without its '{' (write '}}' for "
                               "the brace itself)",
                               (size_t)(p - tmpl) + 1);
        if (*p != '{') {
            buf_putc(out, *p++);
            continue;
        }
        const char *end = strchr(p + 1, '}');
        if (!end)
            return error_field(err, ERR_INVALID, "body",
                               "byte %zu: a '{' without its '}' (write '{{' for "
                               "the brace itself)",
                               (size_t)(p - tmpl) + 1);
        size_t n = (size_t)(end - p - 1);
        int v = -1;
        for (int i = 0; i < REPLY_VAR_COUNT && v < 0; i++)
            if (strlen(reply_var_names[i]) == n && !memcmp(reply_var_names[i], p + 1, n))
                v = i;
        if (v < 0)
            return error_field(err, ERR_INVALID, "body",
                               "byte %zu: unknown variable {%.*s}; the variables "
                               "are {first_name}, {name}, {handle} and {channel}",
                               (size_t)(p - tmpl) + 1, (int)(n > 40 ? 40 : n), p + 1);
        if (vars)
            buf_puts(out, vars[v] ? vars[v] : "");
        p = end + 1;
    }
    return 0;
}

/* The entity's rule for a body: every variable known, every brace paired. */
static int check_body(const char *body, struct error *err)
{
    struct buf b = {0};
    int rc = reply_render(body, NULL, &b, err);
    buf_free(&b);
    return rc;
}

static const char *const reply_langs[] = {"sv", "fi", "en", NULL};
static const struct field saved_reply_fields[] = {
    {"name", FT_TEXT, F_REQ | F_NOEMPTY | F_FILTER, 200, NULL, NULL, NULL},
    {"lang", FT_ENUM, F_REQ | F_FILTER, 0, reply_langs, NULL, NULL},
    {"body", FT_TEXT, F_REQ | F_NOEMPTY, 4000, NULL, NULL, check_body},
};
const struct entity entity_saved_reply = {
    "saved reply", "saved_replies", true, saved_reply_fields, ARRAY_LEN(saved_reply_fields), NULL,
    NULL};

json_t *saved_reply_render(struct db *db, int64_t ws, int64_t reply_id, int64_t message_id,
                           struct error *err)
{
    struct db_stmt *st = NULL;
    char *tmpl = NULL, *lang = NULL, *vals[REPLY_VAR_COUNT] = {0};
    struct buf out = {0};
    json_t *res = NULL;
    int found;
    st = model_row(db, "saved reply", reply_id, err,
                   "SELECT body, lang FROM saved_replies WHERE id = ? AND workspace_id = ?", "ii",
                   reply_id, ws);
    if (!st)
        goto fail;
    tmpl = xstrdup(db_col_text(st, 0));
    lang = xstrdup(db_col_text(st, 1));
    db_finalize(st);
    found = db_row(db, err, &st,
                   "SELECT m.author_name, m.author_handle, c.name FROM messages m JOIN "
                   "channels c ON c.id = m.channel_id WHERE m.id = ? AND m.workspace_id = ?",
                   "ii", message_id, ws);
    if (found <= 0) {
        if (!found)
            error_field(err, ERR_INVALID, "message_id",
                        "field 'message_id': no message %lld in this workspace",
                        (long long)message_id);
        goto fail;
    }
    const char *name = db_col_text(st, 0), *handle = db_col_text(st, 1);
    /* The first name: the name's first word; a handle when there is no name. */
    const char *who = *name ? name : handle;
    size_t n = strcspn(who, " \t");
    vals[0] = xmalloc(n + 1);
    memcpy(vals[0], who, n);
    vals[0][n] = '\0';
    vals[1] = xstrdup(*name ? name : handle);
    vals[2] = xstrdup(handle);
    vals[3] = xstrdup(db_col_text(st, 2));
    db_finalize(st);
    st = NULL;
    if (reply_render(tmpl, (const char *const *)vals, &out, err))
        goto fail;
    res = json_pack("{s:I, s:I, s:s, s:s}", "saved_reply_id", (json_int_t)reply_id, "message_id",
                    (json_int_t)message_id, "lang", lang, "text", out.data);
fail:
    if (st)
        db_finalize(st);
    for (int i = 0; i < REPLY_VAR_COUNT; i++)
        free(vals[i]);
    free(tmpl);
    free(lang);
    buf_free(&out);
    return res;
}
