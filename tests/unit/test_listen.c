/* Unit tests for listen/'s feed reader: dates in the forms feeds use, HTML
 * turned into text, encodings and their conflicts, broken XML read as far
 * as it goes, relative links, JSON Feed, and what a hostile feed must not
 * do (external entities, runaway entities). Expected instants are worked
 * out by hand (2003-12-31T10:14:55Z is 1072865695). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "listen/listen.h"

#define T0 1072865695 /* 2003-12-31T10:14:55Z */

static void check_date(const char *s, int64_t want)
{
    int64_t t = 0;
    if (feed_parse_date(s, &t) != 0)
        fail_msg("not read: %s", s);
    if (t != want)
        fail_msg("%s: %lld, want %lld", s, (long long)t, (long long)want);
}

static void test_dates(void **state)
{
    (void)state;
    check_date("Wed, 31 Dec 2003 10:14:55 GMT", T0);
    check_date("Wed, 31 Dec 2003 10:14:55 +0000", T0);
    check_date("Wed, 31 Dec 2003 11:14:55 +0100", T0);
    check_date("Wed, 31 Dec 2003 05:14:55 EST", T0);
    check_date("Wed, 31 Dec 2003 02:14:55 PST", T0);
    check_date("31 Dec 2003 10:14:55 Z", T0);      /* no day name */
    check_date("Wed, 31 Dec 03 10:14:55 GMT", T0); /* two-digit year */
    check_date("Wed 31 Dec 2003 10:14:55 UT", T0); /* no comma */
    check_date("Wed, 31 December 2003 10:14:55 GMT", T0);
    check_date("Wed, 31 Dec 2003 10:14:55", T0); /* no zone: UTC */
    check_date("Wed, 31 Dec 2003 11:14:55 +01:00", T0);
    check_date("Wed Dec 31 10:14:55 2003", T0); /* asctime */
    check_date("Wed Dec 31 02:14:55 PST 2003", T0);
    check_date("Dec 31, 2003 10:14:55 AM", T0);
    check_date("  Wed, 31 Dec 2003 10:14:55 GMT\n", T0);
    check_date("2003-12-31T10:14:55Z", T0);
    check_date("2003-12-31T10:14:55.25Z", T0);
    check_date("2003-12-31T11:14:55+01:00", T0);
    check_date("2003-12-31T05:14:55-05:00", T0);
    check_date("2003-12-31T11:14:55+0100", T0);
    check_date("2003-12-31 10:14:55", T0);
    check_date("20031231T101455Z", T0);
    check_date("2003-12-31T10:14:55", T0);
    check_date("2003-12", 1070236800);
    check_date("2003", 1041379200);
    int64_t t;
    assert_int_equal(feed_parse_date("", &t), -1);
    assert_int_equal(feed_parse_date("yesterday", &t), -1);
    assert_int_equal(feed_parse_date("2003-13-01", &t), -1);
    assert_int_equal(feed_parse_date("Wed, 32 Dec 2003 10:14:55 GMT", &t), -1);
    assert_int_equal(feed_parse_date("2003-02-30", &t), -1);
    assert_int_equal(feed_parse_date(NULL, &t), -1);
}

static void check_text(const char *html, const char *want)
{
    struct buf b = {0};
    feed_html_to_text(html, strlen(html), &b);
    buf_putc(&b, '\0');
    assert_string_equal(b.data, want);
    buf_free(&b);
}

static void test_html_to_text(void **state)
{
    (void)state;
    check_text("plain   words\n here", "plain words here");
    check_text("<p>one</p><p>two &amp; three</p>", "one\ntwo & three");
    check_text("safe<script>alert(1)</script> <b>text</b>", "safe text");
    check_text("<style>p{}</style>x<!-- hidden -->y", "xy");
    check_text("caf&eacute; &#8217;", "caf\xc3\xa9 \xe2\x80\x99");
    check_text("<a href=\"javascript:x\" onclick=\"y\">link</a>", "link");
    check_text("<title>no</title>body", "nobody"); /* a fragment: all of it is body */
    check_text("", "");
}

static struct feed parse_ok(const char *xml, const char *ct, const char *url)
{
    struct feed f;
    struct error err = {0};
    struct feed_origin o = {.content_type = ct, .url = url};
    if (feed_parse(xml, strlen(xml), &o, &f, &err) != 0)
        fail_msg("not read: %s", err.msg);
    return f;
}

static void test_rss_and_links(void **state)
{
    (void)state;
    struct feed f = parse_ok("<rss version=\"2.0\"><channel><title>T</title>"
                             "<link>/home</link><language>sv</language>"
                             "<item><title>A &amp; B</title><link>a/1</link>"
                             "<guid isPermaLink=\"false\">g1</guid>"
                             "<author>me@example.com (Maja)</author>"
                             "<pubDate>Wed, 31 Dec 2003 10:14:55 GMT</pubDate>"
                             "<description>&lt;p&gt;Hi &lt;b&gt;there&lt;/b&gt;</description>"
                             "</item></channel></rss>",
                             NULL, "http://example.com/feeds/x.xml");
    assert_string_equal(f.version, "rss20");
    assert_false(f.bozo);
    assert_string_equal(f.title, "T");
    assert_string_equal(f.link, "http://example.com/home");
    assert_int_equal(f.n_entries, 1);
    const struct feed_entry *e = &f.entries[0];
    assert_string_equal(e->title, "A & B");
    assert_string_equal(e->link, "http://example.com/feeds/a/1");
    assert_string_equal(e->guid, "g1");
    assert_string_equal(e->author, "Maja");
    assert_string_equal(e->author_email, "me@example.com");
    assert_true(e->has_published);
    assert_int_equal(e->published, T0);
    assert_string_equal(e->summary, "Hi there");
    assert_string_equal(e->lang, "sv");
    feed_free(&f);
}

static void test_atom_xml_base(void **state)
{
    (void)state;
    struct feed f = parse_ok("<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"fi\" "
                             "xml:base=\"http://a.example/b/\"><title type=\"html\">&lt;i&gt;F"
                             "&lt;/i&gt;</title><entry xml:base=\"c/\"><id>urn:x</id>"
                             "<link rel=\"enclosure\" href=\"e.mp3\"/><link href=\"d.html\"/>"
                             "<updated>2003-12-31T11:14:55+01:00</updated>"
                             "<content type=\"xhtml\"><div xmlns=\"http://www.w3.org/1999/xhtml\">"
                             "<p>x</p><script>bad()</script></div></content></entry></feed>",
                             "application/atom+xml", NULL);
    assert_string_equal(f.version, "atom10");
    assert_string_equal(f.title, "F");
    assert_string_equal(f.entries[0].link, "http://a.example/b/c/d.html");
    assert_string_equal(f.entries[0].lang, "fi");
    assert_int_equal(f.entries[0].published, T0); /* the updated time stands in */
    assert_string_equal(f.entries[0].summary, "x");
    feed_free(&f);
}

static void test_encodings(void **state)
{
    (void)state;
    /* ISO-8859-1 prolog: the é byte becomes UTF-8. */
    struct feed f = parse_ok("<?xml version=\"1.0\" encoding=\"iso-8859-1\"?>"
                             "<rss><channel><title>caf\xe9</title></channel></rss>",
                             NULL, NULL);
    assert_string_equal(f.title, "caf\xc3\xa9");
    assert_false(f.bozo);
    feed_free(&f);
    /* The HTTP charset wins over the prolog (RFC 3023). */
    f = parse_ok("<?xml version=\"1.0\" encoding=\"utf-8\"?>"
                 "<rss><channel><title>caf\xe9</title></channel></rss>",
                 "application/xml; charset=\"iso-8859-1\"", NULL);
    assert_string_equal(f.encoding, "iso-8859-1");
    assert_string_equal(f.title, "caf\xc3\xa9");
    feed_free(&f);
    /* text/xml without a charset is us-ascii: a high byte is bozo, yet read. */
    f = parse_ok("<rss><channel><title>caf\xe9</title></channel></rss>", "text/xml", NULL);
    assert_true(f.bozo);
    assert_non_null(f.title);
    feed_free(&f);
    /* A UTF-16 BOM decides over a prolog that says otherwise. */
    const char u16[] =
        "\xff\xfe<\0r\0s\0s\0>\0<\0c\0h\0a\0n\0n\0e\0l\0>\0<\0t\0i\0t\0l\0e\0>\0"
        "Z\0<\0/\0t\0i\0t\0l\0e\0>\0<\0/\0c\0h\0a\0n\0n\0e\0l\0>\0<\0/\0r\0s\0s\0>\0";
    struct error err = {0};
    assert_int_equal(feed_parse(u16, sizeof u16 - 1, NULL, &f, &err), 0);
    assert_string_equal(f.encoding, "utf-16le");
    assert_string_equal(f.title, "Z");
    feed_free(&f);
}

static void test_broken_and_hostile(void **state)
{
    (void)state;
    /* Unclosed tags: bozo, and the first item is still read. */
    struct feed f = parse_ok("<rss><channel><item><title>one</title></item>"
                             "<item><title>two &nbsp; <b>x</title>",
                             NULL, NULL);
    assert_true(f.bozo);
    /* libxml2's words, on one line: its message ends in a newline. */
    assert_non_null(f.bozo_reason);
    assert_true(str_starts_with(f.bozo_reason, "line 1: "));
    assert_null(strpbrk(f.bozo_reason, "\r\n"));
    assert_true(f.n_entries >= 1);
    assert_string_equal(f.entries[0].title, "one");
    feed_free(&f);
    /* A sitemap cut short says why the same way. */
    struct error err = {0};
    static const char map[] = "<urlset><url><loc>https://a.se/x</loc></url>\n<url><loc>";
    memset(&f, 0, sizeof f);
    assert_int_equal(listen_sitemap_parse(map, sizeof map - 1, NULL, &f, &err), 0);
    assert_true(f.bozo && str_starts_with(f.bozo_reason, "line 2: "));
    assert_null(strpbrk(f.bozo_reason, "\r\n"));
    feed_free(&f);
    /* An external entity is never loaded. */
    f = parse_ok("<?xml version=\"1.0\"?><!DOCTYPE rss [<!ENTITY x SYSTEM "
                 "\"file:///etc/passwd\">]><rss><channel><title>a&x;b</title></channel></rss>",
                 NULL, NULL);
    assert_null(f.title ? strstr(f.title, "root:") : NULL);
    feed_free(&f);
    /* Runaway entities stop early instead of eating memory. */
    struct buf b = {0};
    buf_puts(&b, "<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY a \"aaaaaaaaaa\">");
    for (char c = 'b'; c <= 'k'; c++)
        buf_printf(&b, "<!ENTITY %c \"&%c;&%c;&%c;&%c;&%c;&%c;&%c;&%c;&%c;&%c;\">", c, c - 1, c - 1,
                   c - 1, c - 1, c - 1, c - 1, c - 1, c - 1, c - 1, c - 1);
    buf_puts(&b, "]><rss><channel><title>&k;</title></channel></rss>");
    if (feed_parse(b.data, b.len, NULL, &f, &err) == 0) {
        assert_true(!f.title || strlen(f.title) < 100000000);
        feed_free(&f);
    }
    buf_free(&b);
    /* Something that is no feed fails and says why. */
    assert_int_equal(feed_parse("<html><body>hi</body></html>", 28, NULL, &f, &err), -1);
    assert_non_null(strstr(err.msg, "<html>"));
    assert_int_equal(feed_parse("", 0, NULL, &f, &err), -1);
    assert_true(err.msg[0] != '\0');
}

static void test_json_feed(void **state)
{
    (void)state;
    struct feed f = parse_ok("{\"version\": \"https://jsonfeed.org/version/1.1\", \"title\": \"J\","
                             "\"language\": \"en\", \"items\": [{\"id\": 7, \"url\": \"/p/7\","
                             "\"content_html\": \"<p>Hello <script>x</script>world</p>\","
                             "\"date_published\": \"2003-12-31T10:14:55Z\","
                             "\"authors\": [{\"name\": \"Ann\"}]}, 5]}",
                             "application/feed+json", "https://j.example/feed.json");
    assert_string_equal(f.version, "json11");
    assert_int_equal(f.n_entries, 1);
    assert_string_equal(f.entries[0].guid, "7");
    assert_string_equal(f.entries[0].link, "https://j.example/p/7");
    assert_string_equal(f.entries[0].summary, "Hello world");
    assert_string_equal(f.entries[0].author, "Ann");
    assert_int_equal(f.entries[0].published, T0);
    feed_free(&f);
    struct error err = {0};
    assert_int_equal(feed_parse("{\"items\": []}", 13, NULL, &f, &err), -1);
    assert_non_null(strstr(err.msg, "jsonfeed.org"));
}

/* Only http and https links are kept: a browser drops blanks and control
 * characters before a URL's scheme and tabs and newlines inside it, so a
 * list of schemes to refuse is one such a link gets past. */
static void test_links_only_http(void **state)
{
    (void)state;
    static const char json[] = "{\"version\": \"https://jsonfeed.org/version/1.1\", \"items\": ["
                               "{\"id\": 1, \"url\": \" javascript:alert(1)\"},"
                               "{\"id\": 2, \"url\": \"\\u0001javascript:alert(1)\"},"
                               "{\"id\": 3, \"url\": \"vbscript:msgbox(1)\"},"
                               "{\"id\": 4, \"url\": \"java\\tscript:alert(1)\"},"
                               "{\"id\": 5, \"url\": \"HTTPS://example.org/ok\"},"
                               "{\"id\": 6, \"url\": \"mailto:a@example.org\"},"
                               "{\"id\": 7, \"url\": \"data:text/html,<script>alert(1)</script>\"},"
                               "{\"id\": 8, \"url\": \"  http://example.org/a  \"}]}";
    struct feed f;
    struct error err = {0};
    assert_int_equal(feed_parse(json, strlen(json), NULL, &f, &err), 0);
    assert_int_equal(f.n_entries, 8);
    for (size_t i = 0; i < f.n_entries; i++) {
        if (i == 4)
            assert_string_equal(f.entries[i].link, "HTTPS://example.org/ok");
        else if (i == 7)
            assert_string_equal(f.entries[i].link, "http://example.org/a");
        else
            assert_null(f.entries[i].link);
    }
    feed_free(&f);
    /* In XML, a tab inside the scheme and blanks before it; with a base the
     * link may resolve to an http link under it, which is harmless. */
    f = parse_ok(
        "<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>T</title>"
        "<entry><id>1</id><title>a</title><link href=\"java&#9;script:alert(1)\"/></entry>"
        "<entry><id>2</id><title>b</title><link href=\" &#10;javascript:alert(1)\"/></entry>"
        "<entry><id>3</id><title>c</title><link href=\"VBScript:x\"/></entry></feed>",
        NULL, NULL);
    assert_int_equal(f.n_entries, 3);
    for (size_t i = 0; i < f.n_entries; i++)
        assert_true(!f.entries[i].link || !strncmp(f.entries[i].link, "http", 4));
    feed_free(&f);
}

static bool private_addr(const char *s)
{
    struct sockaddr_in v4 = {.sin_family = AF_INET};
    struct sockaddr_in6 v6 = {.sin6_family = AF_INET6};
    if (inet_pton(AF_INET, s, &v4.sin_addr) == 1)
        return listen_address_private((struct sockaddr *)&v4);
    if (inet_pton(AF_INET6, s, &v6.sin6_addr) != 1)
        fail_msg("not an address: %s", s);
    return listen_address_private((struct sockaddr *)&v6);
}

static void test_private_addresses(void **state)
{
    (void)state;
    const char *inward[] = {"127.0.0.1",
                            "127.5.6.7",
                            "10.1.2.3",
                            "172.16.0.1",
                            "172.31.255.255",
                            "192.168.1.1",
                            "169.254.169.254",
                            "100.64.0.1",
                            "0.0.0.0",
                            "224.0.0.1",
                            "255.255.255.255",
                            "::1",
                            "::",
                            "fe80::1",
                            "fd00::1",
                            "fc00::2",
                            "ff02::1",
                            "::ffff:127.0.0.1",
                            "::ffff:10.0.0.1",
                            "64:ff9b::a00:1"};
    const char *outward[] = {"93.184.216.34",  "8.8.8.8",         "172.32.0.1",
                             "192.169.0.1",    "100.128.0.1",     "2606:4700::1111",
                             "::ffff:8.8.8.8", "64:ff9b::808:808"};
    for (size_t i = 0; i < sizeof inward / sizeof *inward; i++)
        if (!private_addr(inward[i]))
            fail_msg("%s should be refused", inward[i]);
    for (size_t i = 0; i < sizeof outward / sizeof *outward; i++)
        if (private_addr(outward[i]))
            fail_msg("%s should be allowed", outward[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dates),
        cmocka_unit_test(test_html_to_text),
        cmocka_unit_test(test_rss_and_links),
        cmocka_unit_test(test_atom_xml_base),
        cmocka_unit_test(test_encodings),
        cmocka_unit_test(test_broken_and_hostile),
        cmocka_unit_test(test_json_feed),
        cmocka_unit_test(test_links_only_http),
        cmocka_unit_test(test_private_addresses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
