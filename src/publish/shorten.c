/* shorten: the links in a variant's text become kanal short links when it is
 * published, each tagged with the variant's UTM (source and medium from its
 * channel's platform, campaign from its post's campaign), so that the clicks
 * a post brings are counted per post and channel without cookies. A link is
 * made once per post, channel and address: publishing again after a lost
 * answer gives the same short link. */
#include "links/links.h"
#include "publish/publish.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

/* The end of the address starting at s: up to white space, without the
 * punctuation that ends a sentence around it ("see https://x.se/a." or
 * "(https://x.se/a)"); a closing bracket stays when the address opened one
 * (Wikipedia's "..._(band)"). */
static size_t url_len(const char *s)
{
    size_t n = 0;
    while (s[n] && !strchr(" \t\r\n<>\"", s[n]))
        n++;
    for (;;) {
        if (n == 0)
            return 0;
        char c = s[n - 1];
        if (strchr(".,;:!?'", c)) {
            n--;
            continue;
        }
        if (c == ')' || c == ']') {
            char open = c == ')' ? '(' : '[';
            int opens = 0, closes = 0;
            for (size_t i = 0; i < n; i++) {
                opens += s[i] == open;
                closes += s[i] == c;
            }
            if (closes > opens) {
                n--;
                continue;
            }
        }
        return n;
    }
}

static bool url_start(const char *text, const char *p)
{
    if (p > text && !strchr(" \t\r\n([\"'", p[-1]))
        return false; /* inside a word: "xhttps://" is not a link */
    return !strncmp(p, "https://", 8) || !strncmp(p, "http://", 7);
}

/* The short link for this post, channel and address: the one made before,
 * else a new one. Its code into code. */
static int short_code(struct db *db, const struct publish_shorten *in, const char *url,
                      char code[LINKS_CODE_LEN + 1], struct error *err)
{
    struct db_stmt *st =
        db_query(db, err,
                 "SELECT code FROM links WHERE workspace_id = ? AND post_id = ? AND "
                 "channel_id = ? AND url = ? ORDER BY id LIMIT 1",
                 "iiit", in->workspace_id, in->post_id, in->channel_id, url);
    if (!st)
        return -1;
    bool found = db_has_row(st) == 1;
    if (found)
        snprintf(code, LINKS_CODE_LEN + 1, "%s", db_col_text(st, 0));
    db_finalize(st);
    if (found)
        return 0;
    json_t *req = json_pack("{s:s, s:I, s:I}", "url", url, "post_id", (json_int_t)in->post_id,
                            "channel_id", (json_int_t)in->channel_id);
    struct actor who = {.user_id = 0, .role = ROLE_ADMIN};
    json_t *made = links_create(db, in->workspace_id, req, &who, err);
    json_decref(req);
    if (!made)
        return -1;
    snprintf(code, LINKS_CODE_LEN + 1, "%s", json_string_value(json_object_get(made, "code")));
    json_decref(made);
    return 0;
}

int publish_shorten_links(struct db *db, const struct publish_shorten *in, struct buf *out,
                          int *made, struct error *err)
{
    assert(db && in && in->text && in->public_url && out);
    size_t base_len = strlen(in->public_url);
    while (base_len && in->public_url[base_len - 1] == '/')
        base_len--;
    int n = 0;
    const char *p = in->text, *copied = in->text;
    while ((p = strstr(p, "http")) != NULL) {
        size_t len = url_start(in->text, p) ? url_len(p) : 0;
        /* kanal's own short links are left as they are */
        bool ours = len > base_len && !strncmp(p, in->public_url, base_len) && p[base_len] == '/';
        if (len < 10 || ours) {
            p += len ? len : 4;
            continue;
        }
        char url[2049];
        if (len >= sizeof url)
            return error_field(err, ERR_INVALID, "body",
                               "body: a link of %zu bytes; kanal shortens links up to 2,048", len);
        memcpy(url, p, len);
        url[len] = '\0';
        char code[LINKS_CODE_LEN + 1];
        if (short_code(db, in, url, code, err))
            return -1;
        buf_append(out, copied, (size_t)(p - copied));
        buf_printf(out, "%.*s/l/%s", (int)base_len, in->public_url, code);
        p += len;
        copied = p;
        n++;
    }
    buf_puts(out, copied);
    if (made)
        *made = n;
    return 0;
}
