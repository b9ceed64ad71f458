/* Unit tests for links/: URL checks and normalisation, the UTM builder,
 * short codes and their collision retry, user-agent and referrer reduction,
 * the visitor hash, QR output and the click log's exactly-once replay.
 * Expected values are worked out by hand from the standards (RFC 3986,
 * IDNA2008's well-known räksmörgås example), not taken from kanal. */
#include <stdarg.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <sodium.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "links/links.h"

static void expect_url(const char *in, const char *want)
{
    struct buf out = {0};
    struct error err = {0};
    int rc = links_url_normalise(in, &out, &err);
    if (rc)
        fail_msg("'%s' refused: %s", in, err.msg);
    assert_string_equal(out.data, want);
    buf_free(&out);
}

static void expect_refused(const char *in)
{
    struct buf out = {0};
    struct error err = {0};
    if (links_url_normalise(in, &out, &err) == 0)
        fail_msg("'%s' accepted as '%s'", in, out.data);
    assert_int_equal(err.kind, ERR_INVALID);
    assert_string_equal(err.field, "url");
    buf_free(&out);
}

static void test_url_normalise(void **state)
{
    expect_url("HTTPS://Example.COM", "https://example.com/");
    expect_url("http://example.com:8080/A/b", "http://example.com:8080/A/b");
    expect_url("https://example.com/p?q=1&r=2#frag", "https://example.com/p?q=1&r=2#frag");
    expect_url("https://example.com?q=1", "https://example.com/?q=1");
    expect_url("  https://example.com/x  ", "https://example.com/x");
    /* Percent-encoding: spaces, UTF-8, a lone '%', and what is already encoded. */
    expect_url("https://example.com/a b", "https://example.com/a%20b");
    expect_url("https://example.com/å", "https://example.com/%C3%A5");
    expect_url("https://example.com/100%", "https://example.com/100%25");
    expect_url("https://example.com/%41%e5", "https://example.com/%41%e5");
    expect_url("https://example.com/\"<x>\"", "https://example.com/%22%3Cx%3E%22");
    /* A second '#' is data, not a second fragment. */
    expect_url("https://example.com/#a#b", "https://example.com/#a%23b");
    /* IDN: IDNA2008's classic Swedish example. */
    expect_url("https://räksmörgås.se/", "https://xn--rksmrgs-5wao1o.se/");
    expect_url("https://[2001:DB8::1]:443/", "https://[2001:db8::1]:443/");

    expect_refused("javascript:alert(1)");
    expect_refused("JaVaScRiPt:alert(1)");
    expect_refused("data:text/html,<script>x</script>");
    expect_refused("ftp://example.com/");
    expect_refused("//example.com/");
    expect_refused("example.com");
    expect_refused("https://");
    expect_refused("https:///path");
    expect_refused("https://user:pw@example.com/");
    expect_refused("https://example.com@evil.example/");
    expect_refused("https://example.com:0/");
    expect_refused("https://example.com:65536/");
    expect_refused("https://example.com:8x/");
    expect_refused("https://exa mple.com/");
    expect_refused("https://example.com/\r\nSet-Cookie: a=b");
    expect_refused("https://example.com/\x7f");
    expect_refused("https://bad..example/");
    expect_refused("https://exa_mple.com/");
    expect_refused("https://example.com/\xff");
    char long_url[LINKS_URL_MAX + 10];
    memset(long_url, 'a', sizeof long_url - 1);
    memcpy(long_url, "https://e.se/", 13);
    long_url[sizeof long_url - 1] = '\0';
    expect_refused(long_url);
}

static void test_utm_normalise(void **state)
{
    char out[LINKS_UTM_MAX + 1];
    struct error err = {0};
    assert_int_equal(links_utm_normalise(UTM_CAMPAIGN, "  Spring   Sale ", out, &err), 0);
    assert_string_equal(out, "spring-sale");
    assert_int_equal(links_utm_normalise(UTM_CAMPAIGN, "ÅÄÖ Kampanj", out, &err), 0);
    assert_string_equal(out, "åäö-kampanj");
    assert_int_equal(links_utm_normalise(UTM_SOURCE, "", out, &err), 0);
    assert_string_equal(out, "");
    assert_int_equal(links_utm_normalise(UTM_TERM, "a\tb", out, &err), -1);
    assert_string_equal(err.field, "utm_term");
    char big[LINKS_UTM_MAX + 2];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    assert_int_equal(links_utm_normalise(UTM_CONTENT, big, out, &err), -1);
    assert_string_equal(err.field, "utm_content");
    big[LINKS_UTM_MAX] = '\0'; /* exactly the limit is allowed */
    assert_int_equal(links_utm_normalise(UTM_CONTENT, big, out, &err), 0);
    assert_string_equal(out, big);
    /* The limit counts the bytes kept: 50 two-byte "Å" fold to 100 of "å". */
    char wide[2 * 50 + 1] = "", folded[2 * 50 + 1] = "";
    for (int i = 0; i < 50; i++) {
        strcat(wide, "Å");
        strcat(folded, "å");
    }
    assert_int_equal(links_utm_normalise(UTM_CONTENT, wide, out, &err), 0);
    assert_string_equal(out, folded);
    /* Latin-1's capitals U+00C0-U+00DE fold to U+00E0-U+00FE (Unicode's
     * simple case mapping), but for × (U+00D7); ß (U+00DF) stays. */
    assert_int_equal(links_utm_normalise(UTM_CAMPAIGN, "ÀÉÎÑØÜÞ×ß", out, &err), 0);
    assert_string_equal(out, "àéîñøüþ×ß");
    assert_int_equal(links_utm_normalise(UTM_CONTENT, "\xc3", out, &err), -1);
}

static void expect_apply(const char *url, const char *source, const char *campaign,
                         const char *want, bool want_had)
{
    struct utm u = {0};
    snprintf(u.v[UTM_SOURCE], sizeof u.v[0], "%s", source);
    snprintf(u.v[UTM_CAMPAIGN], sizeof u.v[0], "%s", campaign);
    struct buf out = {0};
    bool had = !want_had;
    links_utm_apply(url, &u, &out, &had);
    assert_string_equal(out.data, want);
    assert_int_equal(had, want_had);
    buf_free(&out);
}

static void test_utm_apply(void **state)
{
    expect_apply("https://e.se/p", "fb", "", "https://e.se/p?utm_source=fb", false);
    /* Before the fragment, after an existing query. */
    expect_apply("https://e.se/p#f", "fb", "", "https://e.se/p?utm_source=fb#f", false);
    expect_apply("https://e.se/p?a=1#f", "fb", "x",
                 "https://e.se/p?a=1&utm_source=fb&utm_campaign=x#f", false);
    /* Existing UTM parameters: warned about; the ones we set replace them. */
    expect_apply("https://e.se/?utm_source=old&a=1", "fb", "", "https://e.se/?a=1&utm_source=fb",
                 true);
    expect_apply("https://e.se/?UTM_Source=old", "fb", "", "https://e.se/?utm_source=fb", true);
    expect_apply("https://e.se/?utm_campaign=keep", "fb", "",
                 "https://e.se/?utm_campaign=keep&utm_source=fb", true);
    expect_apply("https://e.se/?utm_id=7", "", "", "https://e.se/?utm_id=7", true);
    /* Values are percent-encoded: "vår" is v, C3 A5, r; '&' would end the value. */
    expect_apply("https://e.se/", "a&b", "vår",
                 "https://e.se/?utm_source=a%26b&utm_campaign=v%C3%A5r", false);
    expect_apply("https://e.se/?", "fb", "", "https://e.se/?utm_source=fb", false);

    const char *s, *m;
    assert_true(links_utm_preset("facebook", &s, &m));
    assert_string_equal(s, "facebook");
    assert_string_equal(m, "social");
    assert_false(links_utm_preset("other", &s, &m));
}

static void test_code_alphabet(void **state)
{
    /* 56 symbols: 2-9, a-z without l and o, A-Z without I and O. */
    assert_int_equal(strlen(links_code_alphabet), 8 + 24 + 24);
    for (const char *bad = "01lIoO"; *bad; bad++)
        assert_null(strchr(links_code_alphabet, *bad));
    int seen[256] = {0};
    char codes[2000][LINKS_CODE_LEN + 1];
    for (int i = 0; i < 2000; i++) {
        links_code_new(codes[i]);
        assert_int_equal(strlen(codes[i]), LINKS_CODE_LEN);
        for (const char *p = codes[i]; *p; p++) {
            assert_non_null(strchr(links_code_alphabet, *p));
            seen[(unsigned char)*p]++;
        }
        assert_true(links_code_valid(codes[i]));
    }
    for (const char *p = links_code_alphabet; *p; p++)
        assert_true(seen[(unsigned char)*p] > 0); /* 14000 draws leave none out */
    for (int i = 0; i < 2000; i++)
        for (int j = i + 1; j < 2000; j++)
            assert_string_not_equal(codes[i], codes[j]);
    assert_false(links_code_valid("ab"));
    assert_false(links_code_valid("a b"));
    assert_false(links_code_valid("a/b"));
    assert_true(links_code_valid("var-2026"));
}

/* Random bytes that repeat: the first two codes drawn are the same. */
static int draws;
static void repeating_random(void *buf, size_t n)
{
    memset(buf, draws++ < 2 ? 0 : 1, n);
}

static struct db *fresh_db(int64_t *ws)
{
    struct error err = {0};
    struct db *db = db_open(":memory:", &err);
    assert_non_null(db);
    log_set_level(LOG_WARN);
    assert_true(db_migrate(db, &err) >= 2);
    json_t *in = json_pack("{s:s, s:s}", "name", "W", "slug", "w");
    json_t *w = entity_create(db, &entity_workspace, 0, in, NULL, &err);
    assert_non_null(w);
    *ws = json_integer_value(json_object_get(w, "id"));
    json_decref(in);
    json_decref(w);
    return db;
}

static json_t *create(struct db *db, int64_t ws, const char *json, struct error *err)
{
    json_t *in = json_loads(json, 0, NULL);
    assert_non_null(in);
    json_t *out = links_create(db, ws, in, NULL, err);
    json_decref(in);
    return out;
}

static void test_code_collision_retry(void **state)
{
    int64_t ws;
    struct db *db = fresh_db(&ws);
    struct error err = {0};
    draws = 0;
    links_random = repeating_random;
    /* Byte 0 is the alphabet's first symbol '2', byte 1 its second, '3'. */
    json_t *a = create(db, ws, "{\"url\": \"https://e.se/a\"}", &err);
    json_t *b = create(db, ws, "{\"url\": \"https://e.se/b\"}", &err);
    links_random = randombytes_buf;
    assert_non_null(a);
    assert_non_null(b);
    assert_string_equal(json_string_value(json_object_get(a, "code")), "2222222");
    assert_string_equal(json_string_value(json_object_get(b, "code")), "3333333");
    /* A chosen code that is taken is not silently replaced. */
    json_t *c = create(db, ws, "{\"url\": \"https://e.se/c\", \"code\": \"2222222\"}", &err);
    assert_null(c);
    assert_int_equal(err.kind, ERR_CONFLICT);
    assert_string_equal(err.field, "code");
    /* Nor is one that differs from a taken code only in case: /l/ABC and
     * /l/abc look like one link. */
    json_t *d = create(db, ws, "{\"url\": \"https://e.se/d\", \"code\": \"Sommar-26\"}", &err);
    assert_non_null(d);
    for (const char *code = "sommar-26\0SOMMAR-26\0sOMMAR-26\0"; *code; code += strlen(code) + 1) {
        char json[96];
        snprintf(json, sizeof json, "{\"url\": \"https://e.se/e\", \"code\": \"%s\"}", code);
        assert_null(create(db, ws, json, &err));
        assert_int_equal(err.kind, ERR_CONFLICT);
        assert_string_equal(err.field, "code");
    }
    json_t *e = create(db, ws, "{\"url\": \"https://e.se/e\", \"code\": \"Sommar-27\"}", &err);
    assert_non_null(e);
    json_decref(a);
    json_decref(b);
    json_decref(d);
    json_decref(e);
    db_close(db);
}

static void test_create_validation(void **state)
{
    int64_t ws;
    struct db *db = fresh_db(&ws);
    struct error err = {0};
    assert_null(create(db, ws, "{\"url\": \"javascript:alert(1)\"}", &err));
    assert_string_equal(err.field, "url");
    assert_null(create(db, ws, "{}", &err));
    assert_string_equal(err.field, "url");
    assert_null(create(db, ws, "{\"url\": \"https://e.se/\", \"colour\": 1}", &err));
    assert_string_equal(err.field, "colour");
    assert_null(create(db, ws, "{\"url\": \"https://e.se/\", \"campaign_id\": 99}", &err));
    assert_string_equal(err.field, "campaign_id");
    json_t *l =
        create(db, ws,
               "{\"url\": \"https://e.se/?utm_source=x\", \"utm_medium\": \"Social Media\", "
               "\"advocate\": \"Anna Berg\"}",
               &err);
    assert_non_null(l);
    assert_string_equal(json_string_value(json_object_get(l, "target_url")),
                        "https://e.se/?utm_source=x&utm_medium=social-media&utm_content=anna-berg");
    /* Two warnings: existing UTM, and a medium without a source of our own. */
    assert_int_equal(json_array_size(json_object_get(l, "warnings")), 2);
    json_decref(l);
    db_close(db);
}

static void expect_ua(const char *ua, enum device dev, bool bot)
{
    enum device d;
    bool b;
    links_classify_ua(ua, &d, &b);
    if (d != dev || b != bot)
        fail_msg("'%s': got %s%s", ua ? ua : "(null)", links_device_names[d], b ? " bot" : "");
}

static void test_user_agents(void **state)
{
    expect_ua("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
              "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1",
              DEVICE_MOBILE, false);
    expect_ua("Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15", DEVICE_TABLET,
              false);
    expect_ua("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/120.0 Mobile "
              "Safari/537.36",
              DEVICE_MOBILE, false);
    expect_ua("Mozilla/5.0 (Linux; Android 13; SM-X700) AppleWebKit/537.36 Chrome/120.0 "
              "Safari/537.36",
              DEVICE_TABLET, false);
    expect_ua("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120.0 "
              "Safari/537.36",
              DEVICE_DESKTOP, false);
    expect_ua("Mozilla/5.0 (Macintosh; Intel Mac OS X 14_1) Gecko/20100101 Firefox/120.0",
              DEVICE_DESKTOP, false);
    expect_ua("Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0",
              DEVICE_DESKTOP, false);
    expect_ua("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
              DEVICE_OTHER, true);
    expect_ua("facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
              DEVICE_OTHER, true);
    expect_ua("Twitterbot/1.0", DEVICE_OTHER, true);
    expect_ua("curl/8.4.0", DEVICE_OTHER, true);
    expect_ua("python-requests/2.31", DEVICE_OTHER, true);
    expect_ua("", DEVICE_OTHER, true);
    expect_ua(NULL, DEVICE_OTHER, true);
    expect_ua("SomethingNew/1.0", DEVICE_OTHER, false);
}

/* The classifier as it was written first, one strstr per mark: the one-pass
 * scan must find every mark this finds, wherever it stands. */
static void ua_by_search(const char *ua, enum device *device, bool *bot)
{
    static const char *const bots[] = {
        "bot",           "crawl",          "spider",          "slurp",      "facebookexternalhit",
        "embedly",       "preview",        "curl/",           "wget",       "python-requests",
        "python-urllib", "go-http-client", "java/",           "libwww",     "httpclient",
        "headless",      "lighthouse",     "scrapy",          "node-fetch", "axios/",
        "okhttp",        "whatsapp",       "skypeuripreview", "monitor",    "validator",
    };
    *device = DEVICE_OTHER;
    *bot = true;
    if (!ua || !*ua)
        return;
    char h[512];
    size_t n = 0;
    for (; n < sizeof h - 1 && ua[n]; n++)
        h[n] = (char)(ua[n] >= 'A' && ua[n] <= 'Z' ? ua[n] + 32 : ua[n]);
    h[n] = '\0';
    for (size_t i = 0; i < sizeof bots / sizeof *bots; i++)
        if (strstr(h, bots[i]))
            return;
    *bot = false;
    bool android = strstr(h, "android");
    if (strstr(h, "ipad") || strstr(h, "tablet") || strstr(h, "kindle") || strstr(h, "silk/") ||
        (android && !strstr(h, "mobile")))
        *device = DEVICE_TABLET;
    else if (strstr(h, "mobi") || strstr(h, "iphone") || strstr(h, "ipod") || android ||
             strstr(h, "windows phone") || strstr(h, "blackberry") || strstr(h, "opera mini"))
        *device = DEVICE_MOBILE;
    else if (strstr(h, "windows nt") || strstr(h, "macintosh") || strstr(h, "x11") ||
             strstr(h, "cros") || strstr(h, "linux"))
        *device = DEVICE_DESKTOP;
}

/* 200,000 headers made of marks, their cut-off beginnings, other case and
 * filler, some longer than the 511 bytes read: the scan and the searches
 * agree on every one. */
static void test_user_agents_as_searched(void **state)
{
    static const char *const parts[] = {
        "Mozilla/5.0 (",
        "Android",
        "android 14; ",
        "Mobile",
        "mobi",
        "iPhone",
        "iPad",
        "ipod",
        "Tablet",
        "Kindle",
        "Silk/",
        "silk",
        "Windows NT 10.0",
        "Windows Phone",
        "windows ph",
        "BlackBerry",
        "Opera Mini",
        "opera min",
        "Macintosh",
        "X11",
        "x1",
        "CrOS",
        "Linux",
        "Googlebot",
        "bo",
        "crawl",
        "Spider",
        "slurp",
        "facebookexternalhit",
        "facebookextern",
        "Embedly",
        "preview",
        "curl/",
        "curl",
        "Wget",
        "python-requests",
        "python-urllib",
        "Go-http-client",
        "Java/",
        "java",
        "libwww",
        "HttpClient",
        "HeadlessChrome",
        "Lighthouse",
        "Scrapy",
        "node-fetch",
        "axios/",
        "OkHttp",
        "WhatsApp",
        "SkypeUriPreview",
        "Monitor",
        "validator",
        "; ",
        ") ",
        "AppleWebKit/537.36 ",
        "Safari",
        "x",
        "m",
        "w",
        "a",
        "\xc3\xa5",
        "\xff",
    };
    uint64_t r = 88172645463325252ULL;
    char ua[700];
    for (int k = 0; k < 200000; k++) {
        size_t n = 0;
        r ^= r << 13, r ^= r >> 7, r ^= r << 17;
        int count = (int)(r % 12);
        for (int j = 0; j < count; j++) {
            r ^= r << 13, r ^= r >> 7, r ^= r << 17;
            const char *s = parts[r % (sizeof parts / sizeof *parts)];
            size_t len = strlen(s);
            if ((r >> 20) % 4 == 0) /* a part cut short */
                len = (size_t)((r >> 24) % (len + 1));
            if ((r >> 30) % 16 == 0) /* filler to push the rest past 511 bytes */
                for (int f = 0; f < 90 && n < sizeof ua - 1; f++)
                    ua[n++] = 'q';
            for (size_t i = 0; i < len && n < sizeof ua - 1; i++)
                ua[n++] = (r >> (34 + i % 16)) & 1 ? (char)toupper((unsigned char)s[i]) : s[i];
        }
        ua[n] = '\0';
        enum device d1, d2;
        bool b1, b2;
        links_classify_ua(ua, &d1, &b1);
        ua_by_search(ua, &d2, &b2);
        if (d1 != d2 || b1 != b2)
            fail_msg("'%s': scan %s%s, search %s%s", ua, links_device_names[d1], b1 ? " bot" : "",
                     links_device_names[d2], b2 ? " bot" : "");
    }
}

static void expect_ref(const char *ref, const char *want)
{
    char out[256];
    links_referrer_host(ref, out);
    assert_string_equal(out, want);
}

static void test_referrer(void **state)
{
    expect_ref("https://l.facebook.com/l.php?u=x", "l.facebook.com");
    expect_ref("https://User:pw@WWW.Example.SE:8443/path#x", "www.example.se");
    expect_ref("http://t.co", "t.co");
    expect_ref("https://[2001:db8::1]:443/", "[2001:db8::1]");
    expect_ref("android-app://com.linkedin.android/", "");
    expect_ref("https://bad host/", "");
    expect_ref("", "");
    expect_ref(NULL, "");
}

static void test_visitor_hash(void **state)
{
    char a[LINKS_VISITOR_HEX + 1], b[LINKS_VISITOR_HEX + 1], c[LINKS_VISITOR_HEX + 1],
        d[LINKS_VISITOR_HEX + 1];
    int64_t noon = 20000 * 86400LL + 43200;
    links_visitor_hash("192.0.2.1", "ua", noon, a);
    links_visitor_hash("192.0.2.1", "ua", noon + 3600, b);
    links_visitor_hash("192.0.2.2", "ua", noon, c);
    assert_int_equal(strlen(a), 32);
    assert_string_equal(a, b);     /* same day, same visitor */
    assert_string_not_equal(a, c); /* another address */
    links_visitor_hash("192.0.2.1", "ub", noon, c);
    assert_string_not_equal(a, c); /* another browser */
    links_visitor_hash("192.0.2.1", "2ua", noon, c);
    links_visitor_hash("192.0.2.12", "ua", noon, b);
    assert_string_not_equal(b, c); /* where the address ends counts */
    /* A user agent longer than the stack buffer hashes the same way:
     * all of it counts. */
    char long_ua[3000];
    memset(long_ua, 'x', sizeof long_ua - 1);
    long_ua[sizeof long_ua - 1] = '\0';
    links_visitor_hash("192.0.2.1", long_ua, noon, b);
    links_visitor_hash("192.0.2.1", long_ua, noon + 60, c);
    assert_string_equal(b, c);
    long_ua[2500] = 'y';
    links_visitor_hash("192.0.2.1", long_ua, noon, c);
    assert_string_not_equal(b, c);
    links_visitor_hash(NULL, NULL, noon, c);
    assert_int_equal(strlen(c), 32);
    links_visitor_hash("192.0.2.1", "ua", noon, b);
    assert_string_equal(a, b);
    links_visitor_hash("192.0.2.1", "ua", noon + 86400, d);
    assert_string_not_equal(a, d); /* the next day's salt */
    /* Hex digits only, so no part of the address stands in it readably
     * ("192" itself turns up in about one random hash in 140). */
    assert_int_equal(strspn(a, "0123456789abcdef"), LINKS_VISITOR_HEX);
}

/* What zbarimg (zbar-tools) reads from image, or NULL when it is not
 * installed. Caller frees. */
static char *qr_decode(const struct buf *image, const char *ext)
{
    if (system("command -v zbarimg > /dev/null 2>&1") != 0) {
        assert_null(getenv("CI")); /* CI installs it: scripts/install-deps.sh */
        return NULL;
    }
    char path[64];
    snprintf(path, sizeof path, "/tmp/kanal-test-qr-XXXXXX%s", ext);
    int fd = mkstemps(path, (int)strlen(ext));
    assert_true(fd >= 0);
    assert_int_equal(write(fd, image->data, image->len), (ssize_t)image->len);
    close(fd);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "zbarimg --quiet --raw %s 2> /dev/null", path);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    char line[512] = "";
    if (!fgets(line, sizeof line, p))
        line[0] = '\0';
    pclose(p);
    unlink(path);
    line[strcspn(line, "\n")] = '\0';
    return strdup(line);
}

static void test_qr(void **state)
{
    struct buf svg = {0}, png = {0};
    struct error err = {0};
    assert_int_equal(links_qr_svg("https://go.example.org/l/abc2345", &svg, &err), 0);
    assert_true(str_starts_with(svg.data, "<?xml"));
    assert_non_null(strstr(svg.data, "</svg>"));
    assert_int_equal(links_qr_png("https://go.example.org/l/abc2345", 4, &png, &err), 0);
    assert_true(png.len > 8);
    assert_memory_equal(png.data, "\x89PNG\r\n\x1a\n", 8);
    /* The image says the URL it was made for, at a small scale too. */
    char *read = qr_decode(&png, ".png");
    if (!read) {
        print_message("zbarimg is not installed: the QR images are not decoded\n");
    } else {
        assert_string_equal(read, "https://go.example.org/l/abc2345");
        free(read);
        buf_reset(&png);
        assert_int_equal(links_qr_png("https://go.example.org/l/XyZ-_9", 2, &png, &err), 0);
        read = qr_decode(&png, ".png");
        assert_string_equal(read, "https://go.example.org/l/XyZ-_9");
        free(read);
    }
    buf_free(&svg);
    buf_free(&png);
}

/* ---- the click log --------------------------------------------------------------- */

static int64_t count(struct db *db, const char *sql)
{
    struct error err = {0};
    int64_t n = -1;
    assert_int_equal(db_scalar(db, &err, &n, sql, ""), 1);
    return n;
}

/* A store in memory with one link, whose id goes to *link. */
static struct db *db_with_link(int64_t *link)
{
    int64_t ws;
    struct db *db = fresh_db(&ws);
    struct error err = {0};
    json_t *l = create(db, ws, "{\"url\": \"https://e.se/\"}", &err);
    assert_non_null(l);
    *link = json_integer_value(json_object_get(l, "id"));
    json_decref(l);
    return db;
}

static void append(struct click_log *log, int64_t link_id, int n)
{
    struct error err = {0};
    for (int i = 0; i < n; i++) {
        struct click c = {.link_id = link_id, .at = 1795000000 + i, .device = DEVICE_MOBILE};
        snprintf(c.visitor, sizeof c.visitor, "%032x", i);
        snprintf(c.referrer_host, sizeof c.referrer_host, "%s", i % 2 ? "t.co" : "");
        assert_int_equal(clicklog_append(log, &c, &err), 0);
    }
}

static void test_clicklog_exactly_once(void **state)
{
    char path[] = "/tmp/kanal-test-clicklog-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    unlink(path); /* clicklog_open creates it */
    int64_t link;
    struct db *db = db_with_link(&link);
    struct error err = {0};

    struct click_log *log = clicklog_open(path, FSYNC_BATCH, &err);
    assert_non_null(log);
    assert_null(clicklog_open(path, FSYNC_BATCH, &err)); /* one server per log */
    append(log, link, 5);
    append(log, 9999, 1); /* a link that is gone: dropped, not an error */
    /* Gone and kept links whose ids share a slot of store_batch's memo of
     * which links exist, each answered for its own id. */
    append(log, link + 64, 1);
    append(log, link, 1);
    append(log, link + 64, 1);
    assert_int_equal(clicklog_apply(log, db, &err), 6);
    assert_int_equal(clicklog_apply(log, db, &err), 0);
    assert_int_equal(count(db, "SELECT COUNT(*) FROM clicks"), 6);
    assert_int_equal(
        count(db, "SELECT COUNT(*) FROM clicks WHERE link_id <> (SELECT MIN(id) FROM links)"), 0);
    assert_int_equal(count(db, "SELECT COUNT(*) FROM clicks WHERE referrer_host = 't.co'"), 2);
    append(log, link, 2);
    clicklog_close(log); /* not applied: as after kill -9 */

    /* A crash mid-write leaves half a line; reopening cuts it off. */
    FILE *f = fopen(path, "a");
    fputs("8 1 1795000000 1 0 abc", f);
    fclose(f);
    log = clicklog_open(path, FSYNC_BATCH, &err);
    assert_non_null(log);
    assert_int_equal(clicklog_apply(log, db, &err), 2);
    assert_int_equal(clicklog_apply(log, db, &err), 0);
    assert_int_equal(count(db, "SELECT COUNT(*) FROM clicks"), 8);
    append(log, link, 1);
    clicklog_close(log);

    /* Replaying again stores nothing twice. */
    log = clicklog_open(path, FSYNC_BATCH, &err);
    assert_int_equal(clicklog_apply(log, db, &err), 1);
    assert_int_equal(count(db, "SELECT COUNT(*) FROM clicks"), 9);
    clicklog_close(log);
    log = clicklog_open(path, FSYNC_BATCH, &err);
    assert_int_equal(clicklog_apply(log, db, &err), 0);
    assert_int_equal(count(db, "SELECT COUNT(*) FROM clicks"), 9);
    clicklog_close(log);
    db_close(db);

    /* A file that is not a click log is left alone. */
    f = fopen(path, "w");
    fputs("something else\n", f);
    fclose(f);
    assert_null(clicklog_open(path, FSYNC_BATCH, &err));
    unlink(path);
}

static char *fresh_path(void)
{
    static char path[] = "/tmp/kanal-test-clicklog-XXXXXX";
    memcpy(path + strlen(path) - 6, "XXXXXX", 6);
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    return path;
}

/* A store with one link, and a click log on a new file. */
static struct click_log *fresh_log(struct db **db, int64_t *link, char **path)
{
    struct error err = {0};
    *db = db_with_link(link);
    *path = fresh_path();
    struct click_log *log = clicklog_open(*path, FSYNC_BATCH, &err);
    assert_non_null(log);
    return log;
}

/* Clicks are stored sixteen rows to a statement and the rest one by one:
 * each row keeps its own click's fields, in the log's order, with the
 * clicks of a deleted link left out wherever they fall. clicklog_pending
 * counts what is logged and not yet stored. */
static void test_clicklog_rows_in_groups(void **state)
{
    int64_t link;
    struct db *db;
    char *path;
    struct click_log *log = fresh_log(&db, &link, &path);
    struct error err = {0};
    struct buf want = {0};
    int n = 0;
    for (int i = 0; i < 45; i++) {
        struct click c = {.link_id = i % 7 == 3 ? link + 1 : link,
                          .at = 1795000000 + i * 3,
                          .device = (enum device)(i % 4),
                          .bot = i % 5 == 0};
        snprintf(c.visitor, sizeof c.visitor, "%032x", i * 7919);
        snprintf(c.referrer_host, sizeof c.referrer_host, "%s", i % 3 ? "t.co" : "");
        assert_int_equal(clicklog_append(log, &c, &err), 0);
        if (c.link_id != link)
            continue;
        buf_printf(&want, "%s%lld,%s,%s,%d,%s", n++ ? ";" : "", (long long)c.at, c.referrer_host,
                   links_device_names[c.device], c.bot, c.visitor);
    }
    assert_int_equal(n, 39); /* two statements of sixteen and seven single rows */
    assert_int_equal(clicklog_pending(log), 45);
    assert_int_equal(clicklog_apply(log, db, &err), n);
    assert_int_equal(clicklog_pending(log), 0);
    struct db_stmt *st = db_prepare(
        db,
        "SELECT group_concat(at || ',' || referrer_host || ',' || device || ',' || is_bot || ',' "
        "|| visitor_hash, ';') FROM (SELECT * FROM clicks WHERE link_id = ? ORDER BY id)",
        &err);
    assert_non_null(st);
    db_bind_int(st, 1, link);
    assert_int_equal(db_step(st, &err), 1);
    assert_string_equal(db_col_text(st, 0), want.data);
    db_finalize(st);
    assert_int_equal(count(db, "SELECT COUNT(*) FROM clicks"), n);
    buf_free(&want);
    clicklog_close(log);
    db_close(db);
    unlink(path);
}

/* The line a click is written as, field by field (the log's format is read
 * back by older and newer servers alike), and the click stored from it. */
static void test_clicklog_line_fields(void **state)
{
    int64_t link;
    struct db *db;
    char *path;
    struct click_log *log = fresh_log(&db, &link, &path);
    struct error err = {0};
    struct click c = {.link_id = link, .at = -86399, .device = DEVICE_TABLET, .bot = true};
    snprintf(c.visitor, sizeof c.visitor, "%s", "0123456789abcdef0123456789abcdef");
    snprintf(c.referrer_host, sizeof c.referrer_host, "%s", "sv.m.wikipedia.org");
    assert_int_equal(clicklog_append(log, &c, &err), 0);
    struct click d = {.link_id = link, .at = INT64_MAX, .device = DEVICE_OTHER};
    assert_int_equal(clicklog_append(log, &d, &err), 0);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[512], want[512];
    assert_non_null(fgets(line, sizeof line, f)); /* the header */
    for (int i = 0; i < 2; i++) {
        const struct click *x = i ? &d : &c;
        assert_non_null(fgets(line, sizeof line, f));
        snprintf(want, sizeof want, "%d %lld %lld %d %d %s %s ", i + 1, (long long)x->link_id,
                 (long long)x->at, (int)x->device, x->bot ? 1 : 0, x->visitor[0] ? x->visitor : "-",
                 x->referrer_host[0] ? x->referrer_host : "-");
        /* what it says, then eight hex digits of checksum and the newline */
        assert_int_equal(strlen(line), strlen(want) + 9);
        assert_memory_equal(line, want, strlen(want));
        assert_int_equal(strspn(line + strlen(want), "0123456789abcdef"), 8);
    }
    fclose(f);
    assert_int_equal(clicklog_apply(log, db, &err), 2);
    assert_int_equal(count(db, "SELECT COUNT(*) FROM clicks WHERE at = -86399 AND device = "
                               "'tablet' AND is_bot = 1 AND referrer_host = 'sv.m.wikipedia.org' "
                               "AND visitor_hash = '0123456789abcdef0123456789abcdef'"),
                     1);
    assert_int_equal(count(db, "SELECT COUNT(*) FROM clicks WHERE at = 9223372036854775807 AND "
                               "device = 'other' AND is_bot = 0 AND referrer_host = '' AND "
                               "visitor_hash = ''"),
                     1);
    clicklog_close(log);
    unlink(path);
    db_close(db);
}

/* Numbers at the edges of int64_t in a line (each line checksummed as the
 * log's writer does, FNV-1a): the smallest and the largest are read, one
 * past either end is a damaged line and passed over. */
static void test_clicklog_numbers_at_the_edges(void **state)
{
    int64_t link;
    struct db *db;
    char *path;
    struct click_log *log = fresh_log(&db, &link, &path);
    struct error err = {0};
    append(log, link, 1); /* the header, and click 1 */
    clicklog_close(log);
    const char *ats[] = {"-9223372036854775808", "9223372036854775808", "-9223372036854775809",
                         "99999999999999999999", "9223372036854775807"};
    FILE *f = fopen(path, "a");
    assert_non_null(f);
    for (int i = 0; i < 5; i++) {
        char body[200];
        snprintf(body, sizeof body, "%d %lld %s 3 0 - -", i + 2, (long long)link, ats[i]);
        uint32_t h = 2166136261u;
        for (const char *p = body; *p; p++)
            h = (h ^ (unsigned char)*p) * 16777619u;
        fprintf(f, "%s %08x\n", body, h);
    }
    fclose(f);
    log = clicklog_open(path, FSYNC_BATCH, &err);
    assert_non_null(log);
    assert_int_equal(clicklog_apply(log, db, &err), 3);
    assert_int_equal(count(db, "SELECT COUNT(*) FROM clicks WHERE at = -9223372036854775807 - 1"),
                     1);
    assert_int_equal(count(db, "SELECT COUNT(*) FROM clicks WHERE at = 9223372036854775807"), 1);
    assert_int_equal(count(db, "SELECT COUNT(*) FROM clicks"), 3);
    clicklog_close(log);
    unlink(path);
    db_close(db);
}

/* A file another start left empty, or with half its header, holds no click:
 * a server starts over it instead of refusing to start. */
static void test_clicklog_unfinished_file(void **state)
{
    int64_t link;
    struct db *db = db_with_link(&link);
    struct error err = {0};
    char *path = fresh_path(); /* mkstemp leaves it 0 bytes */
    for (int round = 0; round < 2; round++) {
        struct click_log *log = clicklog_open(path, FSYNC_BATCH, &err);
        assert_non_null(log);
        append(log, link, 3);
        assert_int_equal(clicklog_apply(log, db, &err), 3);
        clicklog_close(log);
        FILE *f = fopen(path, "w");
        fputs("kanal-cli", f);
        fclose(f);
    }
    assert_int_equal(count(db, "SELECT COUNT(*) FROM clicks"), 6);
    unlink(path);
    db_close(db);
}

/* A line whose checksum does not match what it says (a torn or damaged
 * write) is passed over: its click is not stored, the lines around it are. */
static void test_clicklog_damaged_line(void **state)
{
    int64_t link;
    struct db *db;
    char *path;
    struct click_log *log = fresh_log(&db, &link, &path);
    struct error err = {0};
    append(log, link, 3); /* at 1795000000, ...01, ...02 */
    clicklog_close(log);
    /* The second click's time, one digit changed in place: same length,
     * still a well-formed line, but no longer the line that was summed. */
    struct buf b = {0};
    assert_int_equal(buf_read_file(&b, path, 1 << 20, &err), 0);
    char *at = strstr(b.data, " 1795000001 ");
    assert_non_null(at);
    at[10] = '9';
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fwrite(b.data, 1, b.len, f), b.len);
    fclose(f);
    buf_free(&b);
    log = clicklog_open(path, FSYNC_BATCH, &err);
    assert_non_null(log);
    assert_int_equal(clicklog_apply(log, db, &err), 2);
    clicklog_close(log);
    assert_int_equal(count(db, "SELECT COUNT(*) FROM clicks WHERE at IN (1795000000, 1795000002)"),
                     2);
    assert_int_equal(count(db, "SELECT COUNT(*) FROM clicks"), 2);
    unlink(path);
    db_close(db);
}

#define RACERS 4
struct racer {
    const char *path;
    pthread_barrier_t *go;
    struct click_log *log;
};

static void *race_open(void *arg)
{
    struct racer *r = arg;
    struct error err = {0};
    pthread_barrier_wait(r->go);
    r->log = clicklog_open(r->path, FSYNC_BATCH, &err);
    return NULL;
}

/* Servers starting at once on a fresh database: one gets the log, the rest
 * are told it is in use, and the file is whole for every later start. */
static void test_clicklog_open_race(void **state)
{
    char *path = fresh_path();
    for (int round = 0; round < 200; round++) {
        unlink(path);
        pthread_barrier_t go;
        pthread_barrier_init(&go, NULL, RACERS);
        pthread_t t[RACERS];
        struct racer r[RACERS];
        for (int i = 0; i < RACERS; i++) {
            r[i] = (struct racer){.path = path, .go = &go};
            assert_int_equal(pthread_create(&t[i], NULL, race_open, &r[i]), 0);
        }
        int opened = 0;
        for (int i = 0; i < RACERS; i++) {
            pthread_join(t[i], NULL);
            opened += r[i].log != NULL;
        }
        for (int i = 0; i < RACERS; i++)
            clicklog_close(r[i].log);
        pthread_barrier_destroy(&go);
        assert_int_equal(opened, 1);
        struct error err = {0};
        struct click_log *log = clicklog_open(path, FSYNC_BATCH, &err);
        if (!log)
            fail_msg("round %d: %s", round, err.msg);
        clicklog_close(log);
    }
    unlink(path);
}

/* A disk that is full: RLIMIT_FSIZE makes writes past a size fail as
 * ENOSPC would (EFBIG), without root. Every click not written is counted,
 * the file keeps only whole lines, and once there is room again the clicks
 * that were written are stored exactly once. */
static void test_clicklog_full_disk(void **state)
{
    int64_t link;
    struct db *db = db_with_link(&link); /* in memory: the limit touches only the log */
    struct error err = {0};
    char *path = fresh_path();
    unlink(path);
    mode_t mask = umask(022);
    struct click_log *log = clicklog_open(path, FSYNC_BATCH, &err);
    umask(mask);
    assert_non_null(log);
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600); /* clicks are no other local user's business */
    struct rlimit old, lim;
    getrlimit(RLIMIT_FSIZE, &old);
    lim = old;
    lim.rlim_cur = (rlim_t)sb.st_size + 300; /* room for about four lines */
    void (*was)(int) = signal(SIGXFSZ, SIG_IGN);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
    assert_int_equal(clicklog_lost(log), 0);
    int written = 0;
    for (int i = 0; i < 20; i++) {
        struct click c = {.link_id = link, .at = 1795000000 + i, .device = DEVICE_MOBILE};
        snprintf(c.visitor, sizeof c.visitor, "%032x", i);
        written += clicklog_append(log, &c, &err) == 0;
    }
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    signal(SIGXFSZ, was);
    assert_true(written > 0 && written < 20);
    assert_int_equal(clicklog_lost(log), 20 - written);
    assert_int_equal(stat(path, &sb), 0);
    FILE *f = fopen(path, "r");
    char text[1024];
    size_t n = fread(text, 1, sizeof text, f);
    fclose(f);
    assert_int_equal(n, (size_t)sb.st_size);
    assert_int_equal(text[n - 1], '\n'); /* no half line left behind */
    append(log, link, 2);
    assert_int_equal(clicklog_apply(log, db, &err), written + 2);
    clicklog_close(log);
    log = clicklog_open(path, FSYNC_BATCH, &err); /* and a restart stores nothing twice */
    assert_non_null(log);
    assert_int_equal(clicklog_apply(log, db, &err), 0);
    clicklog_close(log);
    assert_int_equal(count(db, "SELECT COUNT(*) FROM clicks"), written + 2);
    unlink(path);
    db_close(db);
}

/* Lines go into a mapped window of the file's end, so a server killed with
 * clicks in it leaves the window's unused zeros behind its last line: a
 * reopen reads them as the end, stores every click (lines across a window's
 * edge too) and cuts the zeros off; a clean close leaves none. */
static void test_clicklog_window_left_by_a_crash(void **state)
{
    int64_t link;
    struct db *db = db_with_link(&link);
    char *path = fresh_path();
    unlink(path);
    enum { N = 60000 }; /* about 3.9 MiB of lines: four windows */
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct error err = {0};
        struct click_log *log = clicklog_open(path, FSYNC_BATCH, &err);
        if (!log)
            _exit(2);
        for (int i = 0; i < N; i++) {
            struct click c = {.link_id = link, .at = 1795000000 + i, .device = DEVICE_DESKTOP};
            snprintf(c.visitor, sizeof c.visitor, "%032x", i);
            if (clicklog_append(log, &c, &err))
                _exit(3);
        }
        _exit(0); /* no close: as kill -9 leaves it */
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    off_t crashed = sb.st_size;
    int fd = open(path, O_RDONLY);
    char last;
    assert_int_equal(pread(fd, &last, 1, crashed - 1), 1);
    close(fd);
    assert_int_equal(last, '\0'); /* the window's zeros */

    struct error err = {0};
    struct click_log *log = clicklog_open(path, FSYNC_BATCH, &err);
    assert_non_null(log);
    assert_int_equal(clicklog_apply(log, db, &err), N);
    assert_int_equal(count(db, "SELECT COUNT(DISTINCT visitor_hash) FROM clicks"), N);
    assert_int_equal(stat(path, &sb), 0);
    assert_true(sb.st_size < crashed);
    append(log, link, 3);
    clicklog_close(log);
    assert_int_equal(stat(path, &sb), 0);
    fd = open(path, O_RDONLY);
    assert_int_equal(pread(fd, &last, 1, sb.st_size - 1), 1);
    close(fd);
    assert_int_equal(last, '\n'); /* a clean close leaves no zeros */
    log = clicklog_open(path, FSYNC_BATCH, &err);
    assert_non_null(log);
    assert_int_equal(clicklog_apply(log, db, &err), 3);
    clicklog_close(log);
    assert_int_equal(count(db, "SELECT COUNT(*) FROM clicks"), N + 3);
    unlink(path);
    db_close(db);
}

/* Once everything in it is stored and it holds 8 MiB, the log starts afresh
 * (a new file whose header carries the last stored number), and the window
 * moves to the new file: what comes after is stored once, across a close, a
 * crash and a reopen. */
static void test_clicklog_compaction(void **state)
{
    int64_t link;
    struct db *db;
    char *path;
    struct click_log *log = fresh_log(&db, &link, &path);
    struct error err = {0};
    enum { N = 140000 }; /* about 9 MiB of lines */
    append(log, link, N);
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    assert_true(sb.st_size > (8 << 20));
    assert_int_equal(clicklog_apply(log, db, &err), N);
    assert_int_equal(stat(path, &sb), 0);
    assert_true(sb.st_size < 100); /* the new file's header alone */
    FILE *f = fopen(path, "r");
    char header[128];
    assert_non_null(fgets(header, sizeof header, f));
    fclose(f);
    assert_non_null(strstr(header, " 140000\n"));
    append(log, link, 5);
    assert_int_equal(clicklog_apply(log, db, &err), 5);
    append(log, link, 2);
    clicklog_close(log); /* two left in the log */
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct click_log *child = clicklog_open(path, FSYNC_BATCH, &err);
        if (!child)
            _exit(2);
        for (int i = 0; i < 3; i++) {
            struct click c = {.link_id = link, .at = 1796000000 + i, .device = DEVICE_OTHER};
            if (clicklog_append(child, &c, &err))
                _exit(3);
        }
        _exit(0); /* crashed with five unstored */
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    log = clicklog_open(path, FSYNC_BATCH, &err);
    assert_non_null(log);
    assert_int_equal(clicklog_apply(log, db, &err), 5);
    clicklog_close(log);
    log = clicklog_open(path, FSYNC_BATCH, &err);
    assert_int_equal(clicklog_apply(log, db, &err), 0);
    clicklog_close(log);
    assert_int_equal(count(db, "SELECT COUNT(*) FROM clicks"), N + 10);
    assert_int_equal(count(db, "SELECT COUNT(*) FROM clicks WHERE device = 'other'"), 3);
    unlink(path);
    db_close(db);
}

/* A store that fails mid-round (a full disk, PostgreSQL gone) stores none
 * of the round's clicks and does not move the log's mark: the clicks stay in
 * the log, and the next round stores each of them once. */
static void test_clicklog_store_failure_keeps_clicks(void **state)
{
    int64_t link;
    struct db *db;
    char *path;
    struct click_log *log = fresh_log(&db, &link, &path);
    struct error err = {0};
    append(log, link, 40); /* more than one statement of INSERT_ROWS */
    assert_int_equal(clicklog_apply(log, db, &err), 40);
    append(log, link, 37);
    /* The 21st insert of the round fails. */
    assert_int_equal(db_exec(db,
                             "CREATE TRIGGER down BEFORE INSERT ON clicks "
                             "WHEN (SELECT COUNT(*) FROM clicks) >= 60 "
                             "BEGIN SELECT RAISE(ABORT, 'the store is down'); END",
                             &err),
                     0);
    assert_int_equal(clicklog_apply(log, db, &err), -1);
    assert_non_null(strstr(err.msg, "the store is down"));
    assert_int_equal(count(db, "SELECT COUNT(*) FROM clicks"), 40);
    assert_int_equal(count(db, "SELECT seq FROM click_log_applied"), 40);
    assert_int_equal(clicklog_pending(log), 37);
    assert_int_equal(db_exec(db, "DROP TRIGGER down", &err), 0);
    append(log, link, 3);
    assert_int_equal(clicklog_apply(log, db, &err), 40);
    assert_int_equal(clicklog_apply(log, db, &err), 0);
    assert_int_equal(count(db, "SELECT COUNT(*) FROM clicks"), 80);
    assert_int_equal(count(db, "SELECT COUNT(DISTINCT visitor_hash || at) FROM clicks"), 40);
    assert_int_equal(clicklog_pending(log), 0);
    clicklog_close(log);
    unlink(path);
    db_close(db);
}

/* Writes a log by hand: the header line, then each line with its checksum. */
static void hand_log(const char *path, const char *header, const char **bodies, int n)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(header, f);
    for (int i = 0; i < n; i++) {
        uint32_t h = 2166136261u;
        for (const char *p = bodies[i]; *p; p++)
            h = (h ^ (unsigned char)*p) * 16777619u;
        fprintf(f, "%s %08x\n", bodies[i], h);
    }
    fclose(f);
}

/* What the fuzzer found a hand (or a disk) can put in the log, each read
 * without stopping the server's start: a line for link 0 or below is
 * passed over (it stopped the store on an assertion), a header must be one
 * whole line (it read the next line as its base), and a sequence number no
 * real log reaches is refused (counting on from it overflowed). */
static void test_clicklog_hand_made_files(void **state)
{
    int64_t link;
    struct db *db = db_with_link(&link);
    char *path = fresh_path();
    struct error err = {0};
    char one[64];
    snprintf(one, sizeof one, "3 %lld 1795000000 1 0 - -", (long long)link);
    const char *bodies[] = {"1 0 1795000000 1 0 - -", "2 -4 1795000000 1 0 - -", one};
    hand_log(path, "kanal-clicks 1 0123456789abcdef0123456789abcdef 0\n", bodies, 3);
    struct click_log *log = clicklog_open(path, FSYNC_BATCH, &err);
    assert_non_null(log);
    assert_int_equal(clicklog_apply(log, db, &err), 1);
    clicklog_close(log);

    hand_log(path, "kanal-clicks 1 0123456789abcdef0123456789abcdef\n", bodies + 2, 1);
    assert_null(clicklog_open(path, FSYNC_BATCH, &err));
    assert_non_null(strstr(err.msg, "is not a kanal click log"));
    hand_log(path, "kanal-clicks 1 0123456789abcdef0123456789abcdef -5\n", bodies + 2, 1);
    err = (struct error){0};
    assert_null(clicklog_open(path, FSYNC_BATCH, &err)); /* numbers start after 0 */
    assert_non_null(strstr(err.msg, "is not a kanal click log"));

    hand_log(path, "kanal-clicks 1 0123456789abcdef0123456789abcdef 9223372036854775806\n", NULL,
             0);
    err = (struct error){0};
    assert_null(clicklog_open(path, FSYNC_BATCH, &err));
    assert_non_null(strstr(err.msg, "sequence number 9223372036854775806 is beyond any real log"));
    /* At the last number a log takes it opens, and a click past it is lost. */
    hand_log(path, "kanal-clicks 1 0123456789abcdef0123456789abcdef 4611686018427387903\n", NULL,
             0);
    log = clicklog_open(path, FSYNC_BATCH, &err);
    assert_non_null(log);
    struct click c = {.link_id = link, .at = 1795000000, .device = DEVICE_MOBILE};
    assert_int_equal(clicklog_append(log, &c, &err), -1);
    assert_int_equal(clicklog_lost(log), 1);
    clicklog_close(log);
    assert_int_equal(count(db, "SELECT COUNT(*) FROM clicks"), 1);
    unlink(path);
    db_close(db);
}

/* fdatasync as the disk answers it, unless a test makes it fail: the test
 * binary's own definition is the one clicklog.c calls. */
static bool sync_fails;
int fdatasync(int fd)
{
    if (sync_fails) {
        errno = EIO;
        return -1;
    }
    return (int)syscall(SYS_fdatasync, fd);
}

/* --click-fsync always: a click whose line cannot be synced is counted
 * lost, and its line in the window is blanked, so that neither it nor the
 * clicks after it are stored wrongly and its number goes to the next one. */
static void test_clicklog_sync_failure_blanks_the_line(void **state)
{
    int64_t link;
    struct db *db = db_with_link(&link);
    char *path = fresh_path();
    unlink(path);
    struct error err = {0};
    struct click_log *log = clicklog_open(path, FSYNC_ALWAYS, &err);
    assert_non_null(log);
    append(log, link, 1);
    struct click c = {.link_id = link, .at = 1795000100, .device = DEVICE_TABLET};
    sync_fails = true;
    assert_int_equal(clicklog_append(log, &c, &err), -1);
    sync_fails = false;
    assert_int_equal(clicklog_lost(log), 1);
    assert_int_equal(clicklog_pending(log), 1);
    append(log, link, 2);
    assert_int_equal(clicklog_apply(log, db, &err), 3);
    clicklog_close(log);
    log = clicklog_open(path, FSYNC_ALWAYS, &err);
    assert_non_null(log);
    assert_int_equal(clicklog_apply(log, db, &err), 0);
    append(log, link, 1);
    assert_int_equal(clicklog_apply(log, db, &err), 1);
    clicklog_close(log);
    assert_int_equal(count(db, "SELECT COUNT(*) FROM clicks"), 4);
    assert_int_equal(count(db, "SELECT COUNT(*) FROM clicks WHERE device = 'tablet'"), 0);
    unlink(path);
    db_close(db);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_url_normalise),
        cmocka_unit_test(test_utm_normalise),
        cmocka_unit_test(test_utm_apply),
        cmocka_unit_test(test_code_alphabet),
        cmocka_unit_test(test_code_collision_retry),
        cmocka_unit_test(test_create_validation),
        cmocka_unit_test(test_user_agents),
        cmocka_unit_test(test_user_agents_as_searched),
        cmocka_unit_test(test_referrer),
        cmocka_unit_test(test_visitor_hash),
        cmocka_unit_test(test_qr),
        cmocka_unit_test(test_clicklog_exactly_once),
        cmocka_unit_test(test_clicklog_unfinished_file),
        cmocka_unit_test(test_clicklog_line_fields),
        cmocka_unit_test(test_clicklog_numbers_at_the_edges),
        cmocka_unit_test(test_clicklog_rows_in_groups),
        cmocka_unit_test(test_clicklog_damaged_line),
        cmocka_unit_test(test_clicklog_open_race),
        cmocka_unit_test(test_clicklog_full_disk),
        cmocka_unit_test(test_clicklog_window_left_by_a_crash),
        cmocka_unit_test(test_clicklog_sync_failure_blanks_the_line),
        cmocka_unit_test(test_clicklog_hand_made_files),
        cmocka_unit_test(test_clicklog_compaction),
        cmocka_unit_test(test_clicklog_store_failure_keeps_clicks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
