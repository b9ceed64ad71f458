/* Unit tests for publish/: text counted as each platform counts it (X's
 * weights, graphemes, Mastodon's links and mentions), the limits and media
 * rules of publish_check with the field each error names. Expected values
 * are worked out by hand from the platforms' documented rules (twitter-text
 * 3's configuration, Unicode's grapheme clusters), not taken from kanal. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "publish/publish.h"

static int64_t xlen(const char *s)
{
    return publish_x_length(s, strlen(s));
}

static int64_t graphemes(const char *s)
{
    return publish_graphemes(s, strlen(s));
}

static char *repeat(const char *unit, int times)
{
    size_t n = strlen(unit);
    char *s = malloc(n * (size_t)times + 1);
    for (int i = 0; i < times; i++)
        memcpy(s + n * (size_t)i, unit, n);
    s[n * (size_t)times] = '\0';
    return s;
}

static void test_x_weights(void **state)
{
    assert_int_equal(xlen(""), 0);
    assert_int_equal(xlen("hello"), 5);
    /* Latin with diacritics, precomposed, is in X's light range. */
    assert_int_equal(xlen("Ünïcödé"), 7);
    /* Combining marks: e + U+0301 is é after NFC: one, not two. */
    assert_int_equal(xlen("e\xcc\x81"), 1);
    assert_int_equal(xlen("Cafe\xcc\x81 ok"), 7);
    /* CJK and Hangul weigh two. */
    assert_int_equal(xlen("日本語"), 6);
    assert_int_equal(xlen("한"), 2);
    /* General punctuation U+2010-201F is light, the euro sign is not. */
    assert_int_equal(xlen("a\xe2\x80\x94"
                          "b"),
                     3);
    assert_int_equal(xlen("€"), 2);
    /* Devanagari (U+0900-097F) is counted code point by code point. */
    assert_int_equal(xlen("नमस्ते"), 6);
    /* Emoji: each whole sequence weighs two. */
    assert_int_equal(xlen("😀"), 2);
    assert_int_equal(xlen("👍🏽"), 2);                  /* skin tone */
    assert_int_equal(xlen("👨‍👩‍👧‍👦"), 2); /* ZWJ family */
    assert_int_equal(xlen("🇸🇪"), 2);                        /* flag */
    assert_int_equal(xlen("🇸🇪🇫🇮"), 4);
    assert_int_equal(xlen("1\xef\xb8\x8f\xe2\x83\xa3"), 2); /* keycap 1️⃣ */
    assert_int_equal(xlen("\xe2\x9d\xa4\xef\xb8\x8f"), 2);  /* ❤️ */
    assert_int_equal(xlen("\xc2\xa9"), 1);                  /* © as text */
    assert_int_equal(xlen("hi 😀!"), 6);
    /* Not UTF-8. */
    assert_int_equal(publish_x_length("\xff", 1), -1);
}

static void test_x_urls(void **state)
{
    assert_int_equal(xlen("https://example.com"), 23);
    assert_int_equal(xlen("Read https://example.com/a/very/long/path/that/goes/on?x=1 now"),
                     5 + 23 + 4);
    assert_int_equal(xlen("http://a.se"), 23);
    /* Bare domains count as links; the full stop after one does not. */
    assert_int_equal(xlen("see example.com."), 4 + 23 + 1);
    assert_int_equal(xlen("polisen.se/aktuellt?id=1"), 23);
    /* Two links, 23 each, whatever their lengths. */
    assert_int_equal(xlen("https://a.io https://example.org/x/y/z/w"), 23 + 1 + 23);
    /* Not links: an e-mail address's domain, an unknown TLD, a bare word. */
    assert_int_equal(xlen("a@example.com"), 13);
    assert_int_equal(xlen("file.txt"), 8);
    assert_int_equal(xlen("https://"), 8);
}

static void test_x_limit(void **state)
{
    struct error err = {0};
    char *ok = repeat("a", 280), *over = repeat("a", 281);
    struct variant_check v = {.platform = "x", .body = ok};
    assert_int_equal(publish_check(&v, &err), 0);
    v.body = over;
    assert_int_equal(publish_check(&v, &err), -1);
    assert_string_equal(err.field, "body");
    assert_non_null(strstr(err.msg, "281"));
    assert_non_null(strstr(err.msg, "280"));
    free(ok);
    free(over);
    /* 140 CJK characters fill X; 141 do not fit. */
    char *cjk = repeat("日", 140);
    v.body = cjk;
    assert_int_equal(publish_check(&v, &err), 0);
    free(cjk);
    cjk = repeat("日", 141);
    v.body = cjk;
    assert_int_equal(publish_check(&v, &err), -1);
    free(cjk);
    /* A long link in a full text: 257 + 23 = 280. */
    char *text = repeat("a", 256);
    char buf[512];
    snprintf(buf, sizeof buf, "%s https://example.com/%s", text, "x/y/z/a/very/long/path");
    v.body = buf;
    assert_int_equal(xlen(buf), 280);
    assert_int_equal(publish_check(&v, &err), 0);
    free(text);
}

static void test_graphemes(void **state)
{
    assert_int_equal(graphemes(""), 0);
    assert_int_equal(graphemes("abc"), 3);
    assert_int_equal(graphemes("e\xcc\x81"), 1);
    assert_int_equal(graphemes("👨‍👩‍👧‍👦"), 1);
    assert_int_equal(graphemes("🇸🇪🇫🇮"), 2);
    assert_int_equal(graphemes("👍🏽x"), 2);
    assert_int_equal(graphemes("\r\n"), 1);
    assert_int_equal(publish_code_points("e\xcc\x81", 3), 2);
    assert_int_equal(publish_graphemes("\xc3", 1), -1);
}

static void test_bluesky(void **state)
{
    struct error err = {0};
    /* 300 é as e + U+0301 are 300 graphemes; 200 family emoji are 200 (but 5,000 bytes: over
     * Bluesky's 3,000-byte limit, which it keeps as well). */
    char *s = repeat("e\xcc\x81", 300);
    struct variant_check v = {.platform = "bluesky", .body = s};
    assert_int_equal(publish_check(&v, &err), 0);
    free(s);
    s = repeat("e\xcc\x81", 301);
    v.body = s;
    assert_int_equal(publish_check(&v, &err), -1);
    assert_string_equal(err.field, "body");
    assert_non_null(strstr(err.msg, "301 graphemes"));
    free(s);
    s = repeat("👨‍👩‍👧‍👦", 200);
    v.body = s;
    assert_int_equal(publish_check(&v, &err), -1);
    assert_non_null(strstr(err.msg, "bytes"));
    free(s);
}

static void test_mastodon(void **state)
{
    assert_int_equal(publish_mastodon_length("@alice@example.social hi", 24), 9);
    assert_int_equal(publish_mastodon_length("@alice hi", 9), 9);
    const char *u = "see https://example.com/a/long/path/that/is/long";
    assert_int_equal(publish_mastodon_length(u, strlen(u)), 4 + 23);
    /* Mastodon does not shorten a bare domain. */
    assert_int_equal(publish_mastodon_length("example.com", 11), 11);
    struct error err = {0};
    char *s = repeat("ä", 501);
    struct variant_check v = {.platform = "mastodon", .body = s};
    assert_int_equal(publish_check(&v, &err), -1);
    assert_string_equal(err.field, "body");
    /* An instance with a larger limit, set on the channel. */
    v.text_limit = 5000;
    assert_int_equal(publish_check(&v, &err), 0);
    v.text_limit = 100;
    assert_int_equal(publish_check(&v, &err), -1);
    assert_non_null(strstr(err.msg, "at most 100"));
    free(s);
}

static void test_meta_linkedin_youtube(void **state)
{
    struct error err = {0};
    char *s = repeat("ä", 2200);
    const char *image[] = {"image"};
    struct variant_check v = {.platform = "instagram", .body = s, .media = image, .nmedia = 1};
    assert_int_equal(publish_check(&v, &err), 0);
    free(s);
    s = repeat("ä", 2201);
    v.body = s;
    assert_int_equal(publish_check(&v, &err), -1);
    assert_string_equal(err.field, "body");
    free(s);
    /* 30 hashtags pass, 31 do not; "a#b" is no hashtag. */
    s = repeat("#tag ", 30);
    v.body = s;
    assert_int_equal(publish_hashtags(s, strlen(s)), 30);
    assert_int_equal(publish_check(&v, &err), 0);
    free(s);
    s = repeat("#tag ", 31);
    v.body = s;
    assert_int_equal(publish_check(&v, &err), -1);
    assert_non_null(strstr(err.msg, "31 hashtags"));
    free(s);
    assert_int_equal(publish_hashtags("a#b #c ##", 9), 1);
    /* Instagram needs a medium. */
    v.body = "hi";
    v.nmedia = 0;
    assert_int_equal(publish_check(&v, &err), -1);
    assert_string_equal(err.field, "media");

    s = repeat("a", 3001);
    v = (struct variant_check){.platform = "linkedin", .body = s};
    assert_int_equal(publish_check(&v, &err), -1);
    free(s);
    s = repeat("a", 63206);
    v = (struct variant_check){.platform = "facebook", .body = s};
    assert_int_equal(publish_check(&v, &err), 0);
    free(s);
    s = repeat("a", 63207);
    v.body = s;
    assert_int_equal(publish_check(&v, &err), -1);
    free(s);
    s = repeat("a", 501);
    v = (struct variant_check){.platform = "threads", .body = s};
    assert_int_equal(publish_check(&v, &err), -1);
    free(s);

    const char *video[] = {"video"};
    char *title = repeat("ö", 100);
    v = (struct variant_check){
        .platform = "youtube", .body = "", .title = title, .media = video, .nmedia = 1};
    assert_int_equal(publish_check(&v, &err), 0);
    free(title);
    title = repeat("ö", 101);
    v.title = title;
    assert_int_equal(publish_check(&v, &err), -1);
    assert_string_equal(err.field, "title");
    free(title);
    v.title = "a <b>";
    assert_int_equal(publish_check(&v, &err), -1);
    assert_string_equal(err.field, "title");
    v.title = "";
    assert_int_equal(publish_check(&v, &err), -1);
    assert_string_equal(err.field, "title");
    v.title = "ok";
    v.media = image;
    assert_int_equal(publish_check(&v, &err), -1);
    assert_string_equal(err.field, "media[0]");
}

static void test_media_and_comment(void **state)
{
    struct error err = {0};
    const char *four[] = {"image", "image", "image", "image", "image"};
    struct variant_check v = {.platform = "x", .body = "hi", .media = four, .nmedia = 4};
    assert_int_equal(publish_check(&v, &err), 0);
    v.nmedia = 5;
    assert_int_equal(publish_check(&v, &err), -1);
    assert_string_equal(err.field, "media");
    const char *mixed[] = {"image", "video"};
    v.media = mixed;
    v.nmedia = 2;
    assert_int_equal(publish_check(&v, &err), -1);
    assert_string_equal(err.field, "media");
    const char *gifs[] = {"gif", "image"};
    v.media = gifs;
    assert_int_equal(publish_check(&v, &err), -1);
    v.nmedia = 1;
    assert_int_equal(publish_check(&v, &err), 0);
    const char *bad[] = {"image", "pdf"};
    v.media = bad;
    v.nmedia = 2;
    assert_int_equal(publish_check(&v, &err), -1);
    assert_string_equal(err.field, "media[1]");
    /* Instagram's carousel mixes images and videos, up to ten. */
    const char *carousel[] = {"image", "video", "image", "image", "image", "image",
                              "image", "image", "image", "image", "image"};
    v = (struct variant_check){
        .platform = "instagram", .body = "x", .media = carousel, .nmedia = 10};
    assert_int_equal(publish_check(&v, &err), 0);
    v.nmedia = 11;
    assert_int_equal(publish_check(&v, &err), -1);
    /* A first comment where the platform has one, and its limit. */
    v.nmedia = 1;
    v.first_comment = "#more #tags";
    assert_int_equal(publish_check(&v, &err), 0);
    v = (struct variant_check){.platform = "x", .body = "x", .first_comment = "reply"};
    assert_int_equal(publish_check(&v, &err), -1);
    assert_string_equal(err.field, "first_comment");
    char *c = repeat("a", 1251);
    v = (struct variant_check){.platform = "linkedin", .body = "x", .first_comment = c};
    assert_int_equal(publish_check(&v, &err), -1);
    assert_string_equal(err.field, "first_comment");
    free(c);
    /* Text that is not UTF-8 is refused on its field. */
    v = (struct variant_check){.platform = "facebook", .body = "a\xc3("};
    assert_int_equal(publish_check(&v, &err), -1);
    assert_string_equal(err.field, "body");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_x_weights),
        cmocka_unit_test(test_x_urls),
        cmocka_unit_test(test_x_limit),
        cmocka_unit_test(test_graphemes),
        cmocka_unit_test(test_bluesky),
        cmocka_unit_test(test_mastodon),
        cmocka_unit_test(test_meta_linkedin_youtube),
        cmocka_unit_test(test_media_and_comment),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
