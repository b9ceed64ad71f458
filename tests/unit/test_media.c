/* Unit tests for model/media.c: what an image's first bytes say (type and
 * size, from headers built here byte by byte, truncated ones included), what
 * is refused before anything is stored, and the bytes coming back whole,
 * NUL bytes and all, through the store's BLOB column. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "model/model.h"

static void test_sniff(void **state)
{
    (void)state;
    int64_t w, h;
    /* PNG: width and height in IHDR, big-endian. */
    const unsigned char png[24] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0,    13,
                                   'I',  'H', 'D', 'R', 0,    0,    0x03, 0x20, 0, 0, 0x02, 0x58};
    assert_string_equal(media_sniff(png, sizeof png, &w, &h), "image/png");
    assert_int_equal(w, 800);
    assert_int_equal(h, 600);
    assert_null(media_sniff(png, 20, &w, &h)); /* cut before its size */
    /* GIF: little-endian. */
    const unsigned char gif[] = "GIF89a\x40\x01\xf0\x00";
    assert_string_equal(media_sniff(gif, 10, &w, &h), "image/gif");
    assert_int_equal(w, 320);
    assert_int_equal(h, 240);
    /* JPEG: an APP0 segment skipped by its length, then SOF2 (progressive);
     * the huffman table marker C4 between them is not a frame. */
    const unsigned char jpg[] = {0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x04, 0xAA, 0xBB,
                                 0xFF, 0xC4, 0x00, 0x03, 0x00, 0xFF, 0xC2, 0x00,
                                 0x11, 0x08, 0x01, 0xE0, 0x02, 0x80, 0x03};
    assert_string_equal(media_sniff(jpg, sizeof jpg, &w, &h), "image/jpeg");
    assert_int_equal(w, 640);
    assert_int_equal(h, 480);
    /* A JPEG cut inside its segments is still a JPEG, of unknown size. */
    assert_string_equal(media_sniff(jpg, 12, &w, &h), "image/jpeg");
    assert_int_equal(w, 0);
    /* A segment length that points past the end, or below 2, stops the walk. */
    const unsigned char liar[] = {0xFF, 0xD8, 0xFF, 0xE0, 0xFF, 0xFF, 0x00, 0x00};
    assert_string_equal(media_sniff(liar, sizeof liar, &w, &h), "image/jpeg");
    assert_int_equal(w, 0);
    const unsigned char webp[] = "RIFF\x10\x00\x00\x00WEBPVP8 ";
    assert_string_equal(media_sniff(webp, 16, &w, &h), "image/webp");
    assert_null(media_sniff("BM\x36\x00\x00\x00", 6, &w, &h)); /* BMP: not taken */
    assert_null(media_sniff("", 0, &w, &h));
}

static void test_create_and_get(void **state)
{
    (void)state;
    struct error err = {0};
    struct db *db = db_open(":memory:", &err);
    assert_non_null(db);
    log_set_level(LOG_ERROR);
    assert_true(db_migrate(db, &err) >= 1);
    assert_int_equal(db_exec(db,
                             "INSERT INTO workspaces (name, slug, created_at, updated_at) "
                             "VALUES ('W', 'w', 0, 0)",
                             &err),
                     0);
    unsigned char gif[64] = "GIF87a\x02\x00\x03\x00";
    for (size_t i = 10; i < sizeof gif; i++)
        gif[i] = (unsigned char)(i % 3 ? 0 : i); /* NUL bytes inside */
    struct media_in in = {.workspace_id = 1, .data = gif, .len = sizeof gif, .alt = "två"};
    int64_t id = 0;
    assert_int_equal(media_create(db, &in, 1000, &id, &err), 0);
    assert_true(id > 0);
    struct media m;
    assert_int_equal(media_get(db, 1, id, true, &m, &err), 0);
    assert_string_equal(m.content_type, "image/gif");
    assert_int_equal(m.len, sizeof gif);
    assert_memory_equal(m.bytes, gif, sizeof gif);
    assert_int_equal(m.width, 2);
    assert_int_equal(m.height, 3);
    assert_string_equal(m.alt, "två");
    assert_int_equal(strlen(m.sha256), 64);
    media_clear(&m);
    /* Another workspace's id is not found. */
    assert_int_equal(media_get(db, 2, id, false, &m, &err), -1);
    assert_int_equal(err.kind, ERR_NOT_FOUND);

    /* Refused, each naming its field; nothing more stored. */
    struct media_in bad = in;
    bad.content_type = "image/png";
    assert_int_equal(media_create(db, &bad, 1000, &id, &err), -1);
    assert_string_equal(err.field, "content_type");
    bad = in;
    bad.data = "<svg/>";
    bad.len = 6;
    assert_int_equal(media_create(db, &bad, 1000, &id, &err), -1);
    assert_string_equal(err.field, "image");
    bad = in;
    bad.alt = "\xff\xfe";
    assert_int_equal(media_create(db, &bad, 1000, &id, &err), -1);
    assert_string_equal(err.field, "alt");
    bad = in;
    bad.len = 0;
    assert_int_equal(media_create(db, &bad, 1000, &id, &err), -1);
    assert_string_equal(err.field, "image");
    bad = in;
    bad.workspace_id = 9;
    assert_int_equal(media_create(db, &bad, 1000, &id, &err), -1);
    assert_int_equal(err.kind, ERR_NOT_FOUND);
    int64_t n = 0;
    assert_int_equal(db_scalar(db, &err, &n, "SELECT count(*) FROM media", ""), 1);
    assert_int_equal(n, 1);
    db_close(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sniff),
        cmocka_unit_test(test_create_and_get),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
