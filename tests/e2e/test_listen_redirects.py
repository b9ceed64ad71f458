"""Each redirect of a listening fetch is a request of its own, under the
rules of the host it goes to: that host's robots.txt (fetched first, and
what it disallows never asked for), one request at a time and its delay
(Crawl-delay) before the page, a scheme other than http(s) refused, and at
most 5 of them; on SQLite and PostgreSQL, with `kanal listen fetch`."""
import re

from conftest import run_kanal
from feed_hosts import Host
from test_listen import sql

OTHER_ROBOTS = """User-agent: *
Disallow: /secret/
Crawl-delay: 2
"""


def test_redirect_hops_follow_the_target_hosts_rules(db_url):
    a, b = Host(), Host(robots=OTHER_ROBOTS)
    try:
        a.redirects = {
            "/go/b": b.base + "/feed.xml",                # to another host, allowed there
            "/go/b-secret": b.base + "/secret/feed.xml",  # disallowed by that host
            "/go/a-private": "/private/feed.xml",         # this host's own robots.txt says no
            "/go/ftp": "ftp://127.0.0.1/feed.xml",
            **{f"/hop/{i}": f"/hop/{i + 1}" for i in range(6)},
        }
        db = db_url
        run_kanal("migrate", "--db", db)
        sql(db, "INSERT INTO workspaces (name, slug, created_at, updated_at) "
                "VALUES ('Desk', 'desk', 0, 0)")
        cli = lambda *x, check=True: run_kanal("listen", *x, "--db", db, "--workspace", "desk",
                                               check=check)
        for p in ["/go/b", "/go/b-secret", "/go/a-private", "/go/ftp", "/hop/0"]:
            cli("source", "add", a.base + p)
        cli("fetch", "--allow-private", "--min-delay", "50", check=False)

        errors = {u: e for u, e in sql(db, "SELECT url, COALESCE(last_error, '') FROM listen_sources")}
        # Another host's robots.txt was asked before its page, and honoured.
        blog = b.requests()
        assert [e[0] for e in blog] == ["/robots.txt", "/feed.xml"], blog
        assert "robots.txt disallows" in errors[a.base + "/go/b-secret"]
        assert b.base + "/secret/feed.xml" in errors[a.base + "/go/b-secret"]
        # ... and its Crawl-delay (2 s) kept between the two.
        assert blog[1][3] - blog[0][4] >= 1.95, blog
        # This host's robots.txt holds for where its own redirect goes.
        assert "robots.txt disallows" in errors[a.base + "/go/a-private"]
        assert not a.requests("/private/feed.xml")
        assert "only http and https" in errors[a.base + "/go/ftp"]
        # At most 5 redirects, each asked once, one at a time with the delay
        # (this host's Crawl-delay, 1 s) between two.
        assert "more than 5 redirects" in errors[a.base + "/hop/0"]
        assert [e[0] for e in a.requests() if e[0].startswith("/hop/")] == \
            [f"/hop/{i}" for i in range(6)]
        alog = a.requests()
        gaps = [y[3] - x[4] for x, y in zip(alog, alog[1:])]
        assert a.most_at_once == 1 and min(gaps) >= 0.95, gaps
        # The page read is the other host's, its links resolved against it.
        assert errors[a.base + "/go/b"] == ""
        links = [r[0] for r in sql(db, "SELECT link FROM listen_items ORDER BY link")]
        assert links == [b.base + "/a/p1", b.base + "/a/p2"]
    finally:
        a.close()
        b.close()
