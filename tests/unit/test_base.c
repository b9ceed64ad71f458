/* Unit tests for base/: time arithmetic against known dates, ISO parsing,
 * UTF-8 strictness, buffers and arenas. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "base/base.h"

static void test_civil_matches_timegm(void **state)
{
    /* Every day from 1900 to 2100 against the C library's own conversion. */
    for (int64_t day = -25567; day < 47482; day += 1) {
        int y;
        unsigned m, d;
        time_civil_from_days(day, &y, &m, &d);
        struct tm tm = {.tm_year = y - 1900, .tm_mon = (int)m - 1, .tm_mday = (int)d};
        assert_int_equal((int64_t)timegm(&tm), day * 86400);
        assert_int_equal(time_days_from_civil(y, m, d), day);
    }
}

static void test_iso_parse(void **state)
{
    int64_t t;
    assert_int_equal(time_parse_iso("1970-01-01T00:00:00Z", &t), 0);
    assert_int_equal(t, 0);
    assert_int_equal(time_parse_iso("2024-02-29", &t), 0);
    assert_int_equal(t, 1709164800);
    assert_int_equal(time_parse_iso("2021-03-04T10:11:12+0000", &t), 0);
    assert_int_equal(t, 1614852672);
    assert_int_equal(time_parse_iso("2021-03-04T11:11:12.999+01:00", &t), 0);
    assert_int_equal(t, 1614852672);
    assert_int_equal(time_parse_iso("2021-03-04 10:11:12", &t), 0);
    assert_int_equal(t, 1614852672);
    assert_int_equal(time_parse_iso("2023-02-29", &t), -1);
    assert_int_equal(time_parse_iso("2023-13-01", &t), -1);
    assert_int_equal(time_parse_iso("2023-01-01T25:00", &t), -1);
    assert_int_equal(time_parse_iso("2023-01-01Tjunk", &t), -1);
    assert_int_equal(time_parse_iso("2023-01-01T10:00:00Zx", &t), -1);
    assert_int_equal(time_parse_iso("", &t), -1);
}

static void test_iso_format(void **state)
{
    char out[21];
    time_format_iso(1614852672, out);
    assert_string_equal(out, "2021-03-04T10:11:12Z");
    time_format_iso(-1, out);
    assert_string_equal(out, "1969-12-31T23:59:59Z");
}

static void test_utf8(void **state)
{
    static const char ok[] = "h\xc3\xa4j \xe2\x82\xac \xf0\x9f\x98\x80";
    assert_true(utf8_valid(ok, sizeof ok - 1));
    assert_false(utf8_valid("\xc0\xaf", 2));         /* overlong '/' */
    assert_false(utf8_valid("\xed\xa0\x80", 3));     /* surrogate */
    assert_false(utf8_valid("\xf4\x90\x80\x80", 4)); /* > U+10FFFF */
    assert_false(utf8_valid("\xe2\x82", 2));         /* truncated */
    assert_false(utf8_valid("\x80", 1));
    /* A text of min to max bytes: "häj € 😀" is 13. */
    assert_true(utf8_text(ok, 13, 13) && utf8_text(ok, 0, 200) && utf8_text("", 0, 1));
    assert_false(utf8_text(ok, 14, 200) || utf8_text(ok, 1, 12) || utf8_text("", 1, 200));
    assert_false(utf8_text(NULL, 0, 200) || utf8_text("a\xc0\xaf", 0, 200));
    char out[4];
    for (uint32_t cp = 1; cp <= 0x10FFFF; cp += 7) {
        size_t n = utf8_encode(cp, out);
        if (cp >= 0xD800 && cp <= 0xDFFF) {
            assert_int_equal(n, 0);
            continue;
        }
        const char *p = out;
        assert_int_equal(utf8_decode(&p, out + n), (int32_t)cp);
        assert_ptr_equal(p, out + n);
    }
}

static void test_buf_and_arena(void **state)
{
    struct buf b = {0};
    for (int i = 0; i < 1000; i++)
        buf_printf(&b, "%d,", i);
    assert_int_equal(strncmp(b.data, "0,1,2,", 6), 0);
    assert_int_equal(b.len, strlen(b.data));
    buf_reset(&b);
    buf_html_escape(&b, "<a href=\"x\">&'</a>");
    assert_string_equal(b.data, "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;");
    buf_free(&b);

    struct arena a = {0};
    char *big = arena_alloc(&a, 100000);
    memset(big, 1, 100000);
    char *s = arena_printf(&a, "%s-%d", "x", 42);
    assert_string_equal(s, "x-42");
    assert_int_equal((uintptr_t)arena_alloc(&a, 3) % _Alignof(max_align_t), 0);
    arena_free(&a);
}

static void test_buf_read_file(void **state)
{
    /* A file of several read chunks with a NUL in it, appended after what
     * the buffer held; too long, missing and a directory fail and leave the
     * buffer as it was. */
    char path[] = "/tmp/kanal-test-read-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "wb");
    for (int i = 0; i < 5000; i++)
        fprintf(f, "line %d\n", i);
    fputc('\0', f);
    fputs("end", f);
    fclose(f);
    struct buf b = {0};
    struct error err = {0};
    buf_puts(&b, "before:");
    assert_int_equal(buf_read_file(&b, path, 1 << 20, &err), 0);
    assert_int_equal(strncmp(b.data, "before:line 0\nline 1\n", 21), 0);
    assert_string_equal(b.data + b.len - 3, "end");
    assert_int_equal(b.data[b.len - 4], '\0');
    size_t whole = b.len - strlen("before:");
    buf_reset(&b);
    buf_puts(&b, "kept");
    assert_int_equal(buf_read_file(&b, path, whole - 1, &err), -1);
    assert_int_equal(err.kind, ERR_LIMIT);
    assert_string_equal(b.data, "kept");
    assert_int_equal(buf_read_file(&b, path, whole, &err), 0);
    assert_int_equal(b.len, 4 + whole);
    unlink(path);
    assert_int_equal(buf_read_file(&b, path, 100, &err), -1);
    assert_int_equal(err.kind, ERR_NOT_FOUND);
    assert_non_null(strstr(err.msg, path));
    assert_int_equal(buf_read_file(&b, "/tmp", 100, &err), -1);
    assert_int_equal(err.kind, ERR_INVALID);
    assert_int_equal(b.len, 4 + whole);
    buf_free(&b);
}

static void test_zalloc_aligned(void **state)
{
    /* A size that is no multiple of the alignment is rounded up for
     * aligned_alloc; the block is zeroed all the same. */
    for (size_t size = 1; size < 300; size += 37) {
        unsigned char *p = xzalloc_aligned(64, size);
        assert_int_equal((uintptr_t)p % 64, 0);
        for (size_t i = 0; i < size; i++)
            assert_int_equal(p[i], 0);
        free(p);
    }
}

static void test_str_to_i64(void **state)
{
    int64_t v;
    assert_int_equal(str_to_i64("-42", &v), 0);
    assert_int_equal(v, -42);
    assert_int_equal(str_to_i64("9223372036854775808", &v), -1);
    assert_int_equal(str_to_i64("12x", &v), -1);
    assert_int_equal(str_to_i64(" 1", &v), -1);
    assert_int_equal(str_to_i64("", &v), -1);
}

/* A role in a rule's list: whole items only, not a prefix or a part. */
static void test_str_listed(void **state)
{
    assert_true(str_listed("admin,editor", "admin"));
    assert_true(str_listed("admin,editor", "editor"));
    assert_false(str_listed("admin,editor", "edit"));
    assert_false(str_listed("administrator", "admin"));
    assert_false(str_listed("", "admin"));
    assert_false(str_listed("admin,", ""));
    assert_false(str_listed("Admin,editor", "admin"));
    assert_true(str_listed_nocase("anna@example.org,Bo@Example.ORG", "bo@example.org"));
    assert_true(str_listed_nocase("anna@example.org,Bo@Example.ORG", "ANNA@example.org"));
    assert_false(str_listed_nocase("anna@example.org", "anna@example.or"));
    assert_false(str_listed_nocase("", "anna@example.org"));
}

/* Every byte value in every place, as inet_ntop writes it. */
static void test_str_ipv4(void **state)
{
    unsigned char a[4];
    char got[16], want[INET_ADDRSTRLEN];
    for (int place = 0; place < 4; place++)
        for (int v = 0; v < 256; v++)
            for (int other = 0; other < 256; other += 51) {
                memset(a, other, sizeof a);
                a[place] = (unsigned char)v;
                size_t n = str_ipv4(a, got);
                assert_non_null(inet_ntop(AF_INET, a, want, sizeof want));
                assert_string_equal(got, want);
                assert_int_equal(n, strlen(want));
            }
}

static void test_imap(void **state)
{
    struct imap m = {0};
    assert_null(imap_get(&m, 7));
    /* Against a plain array as the reference, with keys that collide in the
     * low bits and negative keys. */
    static int64_t ref[20000];
    for (int64_t i = 0; i < 20000; i++) {
        int64_t key = (i - 10000) * 4096;
        imap_put(&m, key, i * 3);
        ref[i] = i * 3;
    }
    imap_put(&m, -10000 * 4096, 42);
    ref[0] = 42;
    assert_int_equal(m.len, 20000);
    for (int64_t i = 0; i < 20000; i++) {
        int64_t *v = imap_get(&m, (i - 10000) * 4096);
        assert_non_null(v);
        assert_int_equal(*v, ref[i]);
    }
    assert_null(imap_get(&m, 1));
    imap_free(&m);
}

/* The learners' blobs are little-endian whatever the machine: the bytes
 * are pinned, and each reader gives back what its writer was given. */
static void test_little_endian(void **state)
{
    (void)state;
    struct buf b = {0};
    buf_put_le64(&b, 0x0102030405060708u);
    buf_put_f32(&b, -1.5f);
    buf_put_le32(&b, 0xA1B2C3D4u);
    static const unsigned char want[16] = {8,    7,    6,    5,    4,    3,    2,    1,
                                           0x00, 0x00, 0xC0, 0xBF, 0xD4, 0xC3, 0xB2, 0xA1};
    assert_int_equal(b.len, sizeof want);
    assert_memory_equal(b.data, want, sizeof want);
    assert_true(le64_get((const unsigned char *)b.data) == 0x0102030405060708u);
    assert_true(f32_get((const unsigned char *)b.data + 8) == -1.5f);
    assert_true(le32_get((const unsigned char *)b.data + 12) == 0xA1B2C3D4u);
    assert_true(be32_get((const unsigned char *)b.data + 12) == 0xD4C3B2A1u);
    uint64_t seed = 1, v = 0;
    for (int i = 0; i < 1000; i++) {
        v = xorshift64(&seed);
        buf_reset(&b);
        buf_put_le64(&b, v);
        assert_true(le64_get((const unsigned char *)b.data) == v);
        float f = (float)(int64_t)(v >> 40) / 3.0f;
        buf_reset(&b);
        buf_put_f32(&b, f);
        assert_true(f32_get((const unsigned char *)b.data) == f);
    }
    assert_true(v != 0 && seed == v);
    buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_civil_matches_timegm),
        cmocka_unit_test(test_iso_parse),
        cmocka_unit_test(test_iso_format),
        cmocka_unit_test(test_utf8),
        cmocka_unit_test(test_buf_and_arena),
        cmocka_unit_test(test_zalloc_aligned),
        cmocka_unit_test(test_str_to_i64),
        cmocka_unit_test(test_str_listed),
        cmocka_unit_test(test_str_ipv4),
        cmocka_unit_test(test_imap),
        cmocka_unit_test(test_buf_read_file),
        cmocka_unit_test(test_little_endian),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
