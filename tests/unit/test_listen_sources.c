/* Unit tests for listen/'s other sources and its manners: robots.txt rules
 * (groups, longest match, wildcards, Crawl-delay), the CSS selector
 * matcher and HTML pages read with it, sitemaps, Mastodon timelines, the
 * spike test's arithmetic and the backoff of a failing source. Expected
 * values are worked out by hand beside each check. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <libxml/HTMLparser.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "listen/listen.h"

/* ---- robots.txt ------------------------------------------------------------------ */

static bool allowed(const char *txt, const char *path)
{
    struct robots r;
    robots_parse(txt, strlen(txt), LISTEN_ROBOTS_AGENT, &r);
    bool ok = robots_allowed(&r, path);
    robots_free(&r);
    return ok;
}

static void test_robots_groups(void **state)
{
    (void)state;
    /* Our group wins over "*", whatever their order; "*" only without ours. */
    const char *txt = "User-agent: *\nDisallow: /\n\n"
                      "User-agent: Kanal-Listen\nDisallow: /private\n";
    assert_true(allowed(txt, "/news/1"));
    assert_false(allowed(txt, "/private/x"));
    assert_false(allowed("User-agent: *\nDisallow: /\n", "/news"));
    assert_true(allowed("User-agent: otherbot\nDisallow: /\n", "/news"));
    /* Several user-agent lines start one group; two groups naming us merge. */
    txt = "User-agent: a\nUser-agent: kanal-listen\nDisallow: /a\n\n"
          "User-agent: kanal-listen\nDisallow: /b\n";
    assert_false(allowed(txt, "/a1"));
    assert_false(allowed(txt, "/b1"));
    assert_true(allowed(txt, "/c"));
    /* A product token with a version still names us; comments and case. */
    assert_false(allowed("USER-AGENT: kanal-listen/1.0 # us\nDISALLOW: /x # no\n", "/x"));
    /* An empty Disallow allows everything; /robots.txt is always allowed. */
    assert_true(allowed("User-agent: *\nDisallow:\n", "/anything"));
    assert_true(allowed("User-agent: *\nDisallow: /\n", "/robots.txt"));
    /* No rules at all (an empty file): everything. */
    assert_true(allowed("", "/"));
    /* CRLF and a BOM. */
    assert_false(allowed("\xef\xbb\xbfUser-agent: *\r\nDisallow: /feed\r\n", "/feed.xml"));
}

static void test_robots_longest_match(void **state)
{
    (void)state;
    const char *txt = "User-agent: *\nDisallow: /forum/\nAllow: /forum/public/\n"
                      "Disallow: /forum/public/secret\n";
    assert_false(allowed(txt, "/forum/thread/1"));
    assert_true(allowed(txt, "/forum/public/1")); /* 14 > 7 characters: allow */
    assert_false(allowed(txt, "/forum/public/secret.html"));
    /* A tie: allow wins. */
    assert_true(allowed("User-agent: *\nDisallow: /page\nAllow: /page\n", "/page"));
    assert_true(allowed("User-agent: *\nAllow: /page\nDisallow: /page\n", "/page"));
    /* Wildcards and the end anchor. */
    txt = "User-agent: *\nDisallow: /*.php$\nDisallow: /*?sid=\nAllow: /$\nDisallow: /\n";
    assert_true(allowed(txt, "/"));
    assert_false(allowed(txt, "/index.php"));
    assert_false(allowed(txt, "/index.html")); /* "Disallow: /" */
    txt = "User-agent: *\nDisallow: /*.php$\nDisallow: /*?sid=\n";
    assert_true(allowed(txt, "/index.php5"));
    assert_false(allowed(txt, "/a/b.php"));
    assert_false(allowed(txt, "/list?page=2&x=1?sid=9"));
    assert_true(allowed(txt, "/list?page=2"));
    /* '*' matching across several segments, and a backtrack. */
    assert_false(allowed("User-agent: *\nDisallow: /a*b*c\n", "/axxbyyc"));
    assert_true(allowed("User-agent: *\nDisallow: /a*b*c$\n", "/axxbyycd"));
}

static void test_robots_crawl_delay(void **state)
{
    (void)state;
    struct robots r;
    const char *txt = "User-agent: *\nCrawl-delay: 10\n\nUser-agent: kanal-listen\nCrawl-delay: "
                      "2.5\nDisallow: /x\n";
    robots_parse(txt, strlen(txt), LISTEN_ROBOTS_AGENT, &r);
    assert_int_equal(r.crawl_delay_ms, 2500);
    robots_free(&r);
    robots_parse("User-agent: *\nDisallow: /\n", 26, LISTEN_ROBOTS_AGENT, &r);
    assert_int_equal(r.crawl_delay_ms, -1);
    robots_free(&r);
    robots_parse("User-agent: *\nCrawl-delay: soon\n", 32, LISTEN_ROBOTS_AGENT, &r);
    assert_int_equal(r.crawl_delay_ms, -1);
    robots_free(&r);
}

/* ---- selectors ----------------------------------------------------------------------- */

static const char PAGE[] =
    "<html lang=\"sv\"><head><title>Forum</title><base href=\"https://forum.example/t/\"></head>"
    "<body><div id=\"main\"><ul class=\"threads list\">"
    "<li class=\"thread hot\" data-id=\"1\"><a class=\"title\" href=\"1-pension\">Pensionen "
    "&amp; skatten</a><span class=\"by\">Anna</span><time datetime=\"2024-03-01T08:00:00Z\">1 "
    "mars</time></li>"
    "<li class=\"thread\" data-id=\"2\"><a class=\"title\" href=\"/t/2\">Andra</a>"
    "<span class=\"by\"><b>Bo</b></span><time>Fri, 01 Mar 2024 09:00:00 GMT</time></li>"
    "<li class=\"ad\"><a href=\"javascript:alert(1)\">Köp</a></li>"
    "</ul></div><div class=\"thread\">outside</div></body></html>";

static size_t count(htmlDocPtr d, const char *sel)
{
    struct error err = {0};
    struct css_selector *s = css_compile(sel, &err);
    if (!s)
        fail_msg("%s: %s", sel, err.msg);
    xmlNode *out[32];
    size_t n = css_select(s, (xmlNode *)d, out, 32);
    css_free(s);
    return n;
}

static void test_selectors(void **state)
{
    (void)state;
    htmlDocPtr d = htmlReadMemory(PAGE, (int)strlen(PAGE), NULL, "UTF-8",
                                  HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING);
    assert_non_null(d);
    assert_int_equal(count(d, "li"), 3);
    assert_int_equal(count(d, "LI"), 3); /* HTML names: any case */
    assert_int_equal(count(d, ".thread"), 3);
    assert_int_equal(count(d, "li.thread"), 2);
    assert_int_equal(count(d, "li.thread.hot"), 1);
    assert_int_equal(count(d, "#main .thread"), 2);   /* descendant */
    assert_int_equal(count(d, "#main > .thread"), 0); /* child: li's parent is ul */
    assert_int_equal(count(d, "ul > li > a"), 3);
    assert_int_equal(count(d, "ul.list a.title"), 2);
    assert_int_equal(count(d, "[data-id]"), 2);
    assert_int_equal(count(d, "[data-id=\"2\"]"), 1);
    assert_int_equal(count(d, "[class~=hot]"), 1);
    assert_int_equal(count(d, "a[href^=\"javascript\"]"), 1);
    assert_int_equal(count(d, "a[href$=pension]"), 1);
    assert_int_equal(count(d, "a[href*=\"/t/\"]"), 1);
    assert_int_equal(count(d, "span.by, time"), 4); /* a list, in document order */
    /* html head title base body div ul, li a span time, li a span b time, li a, div */
    assert_int_equal(count(d, "*"), 19);
    xmlFreeDoc(d);

    /* What is not supported says so, with the column. */
    struct error err = {0};
    assert_null(css_compile("li:first-child", &err));
    assert_non_null(strstr(err.msg, "pseudo-classes are not supported"));
    assert_null(css_compile("a + b", &err));
    assert_non_null(strstr(err.msg, "sibling"));
    assert_null(css_compile("a[href", &err));
    assert_non_null(strstr(err.msg, "column 7"));
    assert_null(css_compile("", &err));
    assert_null(css_compile("a >", &err));
    assert_null(css_compile(".", &err));
}

static void test_page(void **state)
{
    (void)state;
    struct page_selectors sel = {
        .item = "li.thread", .title = "a.title", .time = "time", .author = ".by"};
    struct feed_origin o = {.url = "https://forum.example/list", .content_type = "text/html"};
    struct feed f;
    struct error err = {0};
    assert_int_equal(listen_page_parse(PAGE, strlen(PAGE), &o, &sel, &f, &err), 0);
    assert_int_equal(f.n_entries, 2);
    assert_string_equal(f.title, "Forum");
    assert_string_equal(f.lang, "sv");
    assert_string_equal(f.entries[0].title, "Pensionen & skatten");
    /* Relative links resolve against <base href>, not the page's address. */
    assert_string_equal(f.entries[0].link, "https://forum.example/t/1-pension");
    assert_string_equal(f.entries[1].link, "https://forum.example/t/2");
    assert_string_equal(f.entries[0].author, "Anna");
    assert_string_equal(f.entries[1].author, "Bo");
    assert_true(f.entries[0].has_published);
    assert_int_equal(f.entries[0].published, 1709280000); /* the datetime attribute */
    assert_int_equal(f.entries[1].published, 1709283600); /* else the element's text */
    assert_non_null(strstr(f.entries[0].summary, "Anna"));
    feed_free(&f);

    /* Without a link selector the item's first a[href]; a javascript: link
     * is dropped; without a title selector the link's text. */
    sel = (struct page_selectors){.item = "li"};
    assert_int_equal(listen_page_parse(PAGE, strlen(PAGE), &o, &sel, &f, &err), 0);
    assert_int_equal(f.n_entries, 3);
    assert_string_equal(f.entries[1].title, "Andra");
    assert_null(f.entries[2].link);
    assert_string_equal(f.entries[2].title, "Köp");
    feed_free(&f);

    /* Without <base>, the page's address; a bad selector names its field. */
    const char *plain = "<div class=x><a href='../a'>A</a></div>";
    sel = (struct page_selectors){.item = "div.x"};
    o.url = "https://n.example/news/today/";
    assert_int_equal(listen_page_parse(plain, strlen(plain), &o, &sel, &f, &err), 0);
    assert_string_equal(f.entries[0].link, "https://n.example/news/a");
    feed_free(&f);
    sel.time = "time:last";
    assert_int_equal(listen_page_parse(plain, strlen(plain), &o, &sel, &f, &err), -1);
    assert_non_null(strstr(err.msg, "selectors.time"));

    /* The charset is read from the Content-Type as a feed's is: quoted,
     * after a blank, in any case; the page says it in lower case. */
    const char *latin1 = "<div class=x><a href='/a'>K\xf6p</a></div>";
    sel = (struct page_selectors){.item = "div.x"};
    o.content_type = "text/html; charset= \"ISO-8859-1\"";
    assert_int_equal(listen_page_parse(latin1, strlen(latin1), &o, &sel, &f, &err), 0);
    assert_string_equal(f.encoding, "iso-8859-1");
    assert_string_equal(f.entries[0].title, "K\xc3\xb6p");
    feed_free(&f);
}

/* ---- sitemaps ------------------------------------------------------------------------ */

static void test_sitemaps(void **state)
{
    (void)state;
    const char *urlset =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
        "<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\" "
        "xmlns:news=\"http://www.google.com/schemas/sitemap-news/0.9\">"
        "<url><loc>https://n.example/a</loc><lastmod>2024-03-01</lastmod></url>"
        "<url><loc> /b </loc><lastmod>2024-03-01T08:00:00+01:00</lastmod>"
        "<news:news><news:publication><news:name>N</news:name><news:language>fi</news:language>"
        "</news:publication><news:publication_date>2024-02-29T10:00:00Z</news:publication_date>"
        "<news:title>Eläkkeet nousevat</news:title></news:news></url>"
        "<url><lastmod>2024-01-01</lastmod></url>" /* no loc: left out */
        "<url><loc>javascript:x()</loc></url>"
        "</urlset>";
    struct feed_origin o = {.url = "https://n.example/sitemap.xml"};
    struct feed f;
    struct error err = {0};
    assert_int_equal(listen_sitemap_parse(urlset, strlen(urlset), &o, &f, &err), 0);
    assert_string_equal(f.version, "sitemap");
    assert_false(f.bozo);
    assert_int_equal(f.n_entries, 2);
    assert_string_equal(f.entries[0].link, "https://n.example/a");
    assert_int_equal(f.entries[0].updated, 1709251200); /* 2024-03-01T00:00:00Z */
    assert_int_equal(f.entries[0].published, 1709251200);
    assert_string_equal(f.entries[1].link, "https://n.example/b");
    assert_int_equal(f.entries[1].updated, 1709276400); /* 07:00Z */
    assert_int_equal(f.entries[1].published, 1709200800);
    assert_string_equal(f.entries[1].title, "Eläkkeet nousevat");
    assert_string_equal(f.entries[1].lang, "fi");
    feed_free(&f);

    const char *index = "<sitemapindex><sitemap><loc>https://n.example/s1.xml</loc>"
                        "<lastmod>2024-03-02</lastmod></sitemap><sitemap><loc>s2.xml</loc>"
                        "</sitemap></sitemapindex>";
    assert_int_equal(listen_sitemap_parse(index, strlen(index), &o, &f, &err), 0);
    assert_string_equal(f.version, "sitemapindex");
    assert_int_equal(f.n_entries, 2);
    assert_string_equal(f.entries[1].link, "https://n.example/s2.xml");
    feed_free(&f);

    /* Broken: read as far as it goes, bozo; not a sitemap at all: an error. */
    const char *broken = "<urlset><url><loc>https://n.example/a</loc></url><url><loc>x";
    assert_int_equal(listen_sitemap_parse(broken, strlen(broken), &o, &f, &err), 0);
    assert_true(f.bozo);
    assert_true(f.n_entries >= 1);
    feed_free(&f);
    assert_int_equal(listen_sitemap_parse("<rss/>", 6, &o, &f, &err), -1);
    assert_non_null(strstr(err.msg, "<rss>"));
}

/* ---- Mastodon ---------------------------------------------------------------------- */

static void test_mastodon(void **state)
{
    (void)state;
    const char *page =
        "[{\"id\": \"109\", \"uri\": \"https://m.example/users/a/statuses/109\", \"url\": "
        "\"https://m.example/@a/109\", \"created_at\": \"2024-03-01T08:00:00.000Z\", "
        "\"language\": \"sv\", \"spoiler_text\": \"\", \"content\": \"<p>Pensionen "
        "&amp; <a "
        "href=\\\"https://m.example/tags/pension\\\">#pension</a></p><script>x</script>\", "
        "\"account\": {\"acct\": \"a@m.example\", \"display_name\": \"Anna\", \"url\": "
        "\"https://m.example/@a\"}},"
        "{\"id\": \"99\", \"uri\": \"u99\", \"url\": null, \"created_at\": \"bad\", "
        "\"reblog\": {\"uri\": \"https://o.example/s/5\", \"url\": \"https://o.example/@b/5\", "
        "\"content\": \"boosted\", \"account\": {\"acct\": \"b@o.example\", \"display_name\": "
        "\"\"}}},"
        "{\"id\": \"x1\"}]";
    struct feed f;
    struct error err = {0};
    assert_int_equal(listen_mastodon_parse(page, strlen(page), &f, &err), 0);
    assert_int_equal(f.n_entries, 2);
    assert_string_equal(f.title, "109"); /* the next since_id */
    assert_true(f.bozo);                 /* the status without a numeric id */
    assert_string_equal(f.entries[0].summary, "Pensionen & #pension");
    assert_string_equal(f.entries[0].author, "Anna");
    assert_string_equal(f.entries[0].lang, "sv");
    assert_int_equal(f.entries[0].published, 1709280000);
    assert_string_equal(f.entries[0].guid, "https://m.example/users/a/statuses/109");
    /* A boost is what was boosted; an empty display name falls back to acct. */
    assert_string_equal(f.entries[1].summary, "boosted");
    assert_string_equal(f.entries[1].author, "b@o.example");
    assert_string_equal(f.entries[1].link, "https://o.example/@b/5");
    assert_false(f.entries[1].has_published);
    feed_free(&f);
    assert_int_equal(listen_mastodon_parse("{}", 2, &f, &err), -1);
    /* Ids compare as numbers: "1000" is newer than "999". */
    const char *two = "[{\"id\": \"999\"}, {\"id\": \"1000\"}]";
    assert_int_equal(listen_mastodon_parse(two, strlen(two), &f, &err), 0);
    assert_string_equal(f.title, "1000");
    feed_free(&f);

    char url[300];
    assert_int_equal(
        listen_mastodon_url("https://m.example/tags/pension", "mastodon_tag", "5", url, sizeof url),
        0);
    assert_string_equal(url,
                        "https://m.example:443/api/v1/timelines/tag/pension?limit=40&since_id=5");
    assert_int_equal(listen_mastodon_url("http://m.example:8080/?local=true", "mastodon_public",
                                         NULL, url, sizeof url),
                     0);
    assert_string_equal(url, "http://m.example:8080/api/v1/timelines/public?limit=40&local=true");
    assert_int_equal(
        listen_mastodon_url("https://m.example/about", "mastodon_tag", NULL, url, sizeof url), -1);
    assert_int_equal(
        listen_mastodon_url("https://m.example/tags/a&b", "mastodon_tag", NULL, url, sizeof url),
        -1);
}

/* ---- spikes and backoff ------------------------------------------------------------ */

static void test_spike(void **state)
{
    (void)state;
    struct listen_spike s;
    /* 2, 4, 4, 4, 5, 5, 7, 9: mean 5, population sd 2; threshold 5 + 3*2 = 11. */
    double base[] = {2, 4, 4, 4, 5, 5, 7, 9};
    listen_spike_test(base, 8, 11, 3, 1, &s);
    assert_true(fabs(s.mean - 5) < 1e-9 && fabs(s.sd - 2) < 1e-9);
    assert_true(fabs(s.threshold - 11) < 1e-9);
    assert_false(s.fired); /* at the threshold is not above it */
    listen_spike_test(base, 8, 11.5, 3, 1, &s);
    assert_true(s.fired);
    /* A flat baseline: the floor stands in for sd 0. */
    double zeros[28] = {0};
    listen_spike_test(zeros, 28, 3, 3, 1, &s);
    assert_true(fabs(s.threshold - 3) < 1e-9);
    assert_false(s.fired);
    listen_spike_test(zeros, 28, 4, 3, 1, &s);
    assert_true(s.fired);
    /* No baseline at all (shares of days without items): mean 0. */
    listen_spike_test(NULL, 0, 0.2, 3, 0.05, &s);
    assert_true(fabs(s.threshold - 0.15) < 1e-9);
    assert_true(s.fired);
}

static void test_backoff(void **state)
{
    (void)state;
    assert_int_equal(listen_backoff(900, 0), 900);
    assert_int_equal(listen_backoff(900, 1), 1800);
    assert_int_equal(listen_backoff(900, 3), 7200);
    assert_int_equal(listen_backoff(900, 10), 86400); /* at most a day */
    assert_int_equal(listen_backoff(900, 1000), 86400);
    assert_int_equal(listen_backoff(7 * 86400, 2), 7 * 86400); /* a long interval stays */
}

static void test_url_host(void **state)
{
    (void)state;
    char host[200], path[200];
    assert_int_equal(
        listen_url_host("HTTPS://Feeds.Example/a/b?x=1#f", host, sizeof host, path, sizeof path),
        0);
    assert_string_equal(host, "https://feeds.example:443");
    assert_string_equal(path, "/a/b?x=1");
    assert_int_equal(listen_url_host("http://feeds.example", host, sizeof host, path, sizeof path),
                     0);
    assert_string_equal(host, "http://feeds.example:80");
    assert_string_equal(path, "/");
    assert_int_equal(listen_url_host("not a url", host, sizeof host, NULL, 0), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_robots_groups),
        cmocka_unit_test(test_robots_longest_match),
        cmocka_unit_test(test_robots_crawl_delay),
        cmocka_unit_test(test_selectors),
        cmocka_unit_test(test_page),
        cmocka_unit_test(test_sitemaps),
        cmocka_unit_test(test_mastodon),
        cmocka_unit_test(test_spike),
        cmocka_unit_test(test_backoff),
        cmocka_unit_test(test_url_host),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
