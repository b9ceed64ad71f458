/* media: the images a post or an action carries, stored in the store so that
 * any node can send them. What arrives is checked here, once, whatever way
 * it came (API upload, CLI file): its first bytes must be the image type
 * it claims, and its size within what any platform kanal speaks to takes. */
#include "model/internal.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

/* Read a big-endian / little-endian number from untrusted bytes whose length
 * the caller has checked. */
static uint32_t be16(const unsigned char *p)
{
    return (uint32_t)p[0] << 8 | p[1];
}
static uint32_t le16(const unsigned char *p)
{
    return (uint32_t)p[1] << 8 | p[0];
}

/* JPEG's size sits in its first start-of-frame segment (SOF0..SOF15 but the
 * DHT, JPG and DAC markers C4, C8, CC); segments before it are skipped by
 * their lengths. 0 when the file ends first. */
static int jpeg_size(const unsigned char *b, size_t n, int64_t *w, int64_t *h)
{
    size_t i = 2;
    while (i + 4 <= n) {
        if (b[i] != 0xFF)
            return 0;
        unsigned m = b[i + 1];
        if (m == 0xFF) { /* fill byte */
            i++;
            continue;
        }
        if (m == 0xD8 || (m >= 0xD0 && m <= 0xD7) || m == 0x01) {
            i += 2;
            continue;
        }
        uint32_t len = be16(b + i + 2);
        if (len < 2)
            return 0;
        if (m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC) {
            if (i + 9 > n)
                return 0;
            *h = be16(b + i + 5);
            *w = be16(b + i + 7);
            return 1;
        }
        i += 2 + (size_t)len;
    }
    return 0;
}

const char *media_sniff(const void *data, size_t n, int64_t *w, int64_t *h)
{
    const unsigned char *b = data;
    *w = *h = 0;
    if (n >= 24 && !memcmp(b, "\x89PNG\r\n\x1a\n", 8) && !memcmp(b + 12, "IHDR", 4)) {
        *w = be32_get(b + 16);
        *h = be32_get(b + 20);
        return "image/png";
    }
    if (n >= 10 && (!memcmp(b, "GIF87a", 6) || !memcmp(b, "GIF89a", 6))) {
        *w = le16(b + 6);
        *h = le16(b + 8);
        return "image/gif";
    }
    if (n >= 4 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF) {
        jpeg_size(b, n, w, h);
        return "image/jpeg";
    }
    if (n >= 16 && !memcmp(b, "RIFF", 4) && !memcmp(b + 8, "WEBPVP8", 7))
        return "image/webp";
    return NULL;
}

int media_create(struct db *db, const struct media_in *in, int64_t now, int64_t *id,
                 struct error *err)
{
    if (in->len == 0)
        return error_field(err, ERR_INVALID, "image", "image: the file is empty");
    if (in->len > MEDIA_MAX_BYTES)
        return error_field(err, ERR_LIMIT, "image",
                           "image: %zu bytes; kanal takes images up to %d MiB", in->len,
                           MEDIA_MAX_BYTES >> 20);
    int64_t w, h;
    const char *found = media_sniff(in->data, in->len, &w, &h);
    if (!found)
        return error_field(err, ERR_INVALID, "image",
                           "image: not a JPEG, PNG, GIF or WebP file (its first bytes say so)");
    if (in->content_type && *in->content_type && !str_eq(in->content_type, found))
        return error_field(err, ERR_INVALID, "content_type",
                           "content_type: the file is %s, not %.40s", found, in->content_type);
    size_t alt_len = in->alt ? strlen(in->alt) : 0;
    if (alt_len > MEDIA_ALT_MAX || (alt_len && !utf8_valid(in->alt, alt_len)))
        return error_field(err, ERR_INVALID, "alt",
                           "alt: at most %d bytes of UTF-8 text (Mastodon's limit is 1,500 "
                           "characters)",
                           MEDIA_ALT_MAX);
    unsigned char sum[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(sum, in->data, in->len);
    char hex[2 * sizeof sum + 1];
    sodium_bin2hex(hex, sizeof hex, sum, sizeof sum);
    int ws_ok =
        db_scalar(db, err, NULL, "SELECT 1 FROM workspaces WHERE id = ?", "i", in->workspace_id);
    if (ws_ok <= 0)
        return ws_ok < 0 ? -1
                         : error_set(err, ERR_NOT_FOUND, "no workspace %lld",
                                     (long long)in->workspace_id);
    struct db_stmt *st = db_prepare(
        db,
        "INSERT INTO media (workspace_id, content_type, bytes, size, sha256, alt, width, height, "
        "created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        err);
    if (!st)
        return -1;
    db_bind_int(st, 1, in->workspace_id);
    db_bind_text(st, 2, found);
    db_bind_blob(st, 3, in->data, in->len);
    db_bind_int(st, 4, (int64_t)in->len);
    db_bind_text(st, 5, hex);
    db_bind_text(st, 6, in->alt ? in->alt : "");
    if (w > 0 && h > 0) {
        db_bind_int(st, 7, w);
        db_bind_int(st, 8, h);
    } else {
        db_bind_null(st, 7);
        db_bind_null(st, 8);
    }
    if (in->created_by > 0)
        db_bind_int(st, 9, in->created_by);
    else
        db_bind_null(st, 9);
    db_bind_int(st, 10, now);
    int rc = db_step(st, err);
    if (rc == 1)
        *id = db_col_int(st, 0);
    db_finalize(st);
    if (rc != 1)
        return rc == 0 ? error_set(err, ERR_INTERNAL, "media: no id came back") : -1;
    return 0;
}

int media_get(struct db *db, int64_t ws, int64_t id, bool with_bytes, struct media *out,
              struct error *err)
{
    memset(out, 0, sizeof *out);
    struct db_stmt *st =
        model_row(db, "image", id, err,
                  with_bytes ? "SELECT id, content_type, size, sha256, alt, width, height, "
                               "created_at, bytes FROM media WHERE id = ? AND workspace_id = ?"
                             : "SELECT id, content_type, size, sha256, alt, width, height, "
                               "created_at FROM media WHERE id = ? AND workspace_id = ?",
                  "ii", id, ws);
    if (!st)
        return -1;
    out->id = db_col_int(st, 0);
    snprintf(out->content_type, sizeof out->content_type, "%s", db_col_text(st, 1));
    out->size = db_col_int(st, 2);
    snprintf(out->sha256, sizeof out->sha256, "%s", db_col_text(st, 3));
    out->alt = xstrdup(db_col_text(st, 4));
    out->width = db_col_int(st, 5);
    out->height = db_col_int(st, 6);
    out->created_at = db_col_int(st, 7);
    if (with_bytes) {
        size_t n;
        const void *p = db_col_blob(st, 8, &n);
        out->bytes = xmalloc(n ? n : 1);
        if (n)
            memcpy(out->bytes, p, n);
        out->len = n;
    }
    db_finalize(st);
    return 0;
}

void media_clear(struct media *m)
{
    free(m->alt);
    free(m->bytes);
    memset(m, 0, sizeof *m);
}

json_t *media_to_json(const struct media *m)
{
    json_t *o = json_pack("{s:I, s:s, s:I, s:s, s:s, s:I}", "id", (json_int_t)m->id, "content_type",
                          m->content_type, "size", (json_int_t)m->size, "sha256", m->sha256, "alt",
                          m->alt ? m->alt : "", "created_at", (json_int_t)m->created_at);
    if (m->width > 0 && m->height > 0) {
        json_object_set_new(o, "width", json_integer(m->width));
        json_object_set_new(o, "height", json_integer(m->height));
    }
    return o;
}
