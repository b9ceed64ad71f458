"""End-to-end: `kanal listen source` and `kanal listen fetch` against a
local HTTP server that answers as real feed hosts do: an ETag and 304,
gzip, a redirect, a slow answer, a truncated one, a redirect loop. On
SQLite and PostgreSQL. The server is on 127.0.0.1, so it also shows that a
private address is refused until --allow-private says an admin allows it."""
import gzip
import os
import sqlite3
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from conftest import run_kanal

CORPUS_ATOM = os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "data", "feeds",
                           "feedparser", "wellformed", "atom10", "entry_title.xml")

RSS = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Pensionsnytt</title><link>https://example.org/</link>
<language>sv</language>
<item><title>Pensionen h\xc3\xb6js</title><link>/a/1</link><guid>a1</guid>
<pubDate>Wed, 31 Dec 2003 10:14:55 GMT</pubDate>
<description>&lt;p&gt;Bra nyheter f\xc3\xb6r alla&lt;/p&gt;&lt;script&gt;x()&lt;/script&gt;</description></item>
<item><title>Utan guid</title><link>/a/2</link></item>
<item><title>Bara text</title><description>Ingen l\xc3\xa4nk alls</description></item>
</channel></rss>"""

ATOM = b"""<feed xmlns="http://www.w3.org/2005/Atom"><title>Moved</title>
<entry><id>urn:m1</id><title>First</title><link href="items/1"/>
<updated>2003-12-31T10:14:55Z</updated></entry>
<entry><id>urn:m2</id><title>Second</title><link href="items/2"/></entry></feed>"""


class Feeds(BaseHTTPRequestHandler):
    seen = []  # (path, status, gzipped)

    def log_message(self, *a):
        pass

    def send(self, status, body=b"", headers=()):
        gz = "gzip" in self.headers.get("Accept-Encoding", "") and body
        if gz:
            body = gzip.compress(body)
        # Recorded before anything is sent: kanal may close the connection
        # as soon as it has read a 304's headers (and exit before a record
        # made after the write), and a write to that socket, even of nothing,
        # can then fail with a broken pipe.
        self.seen.append((self.path, status, bool(gz)))
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        if gz:
            self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body:
            self.wfile.write(body)

    def do_GET(self):
        # The list of the moment the request came: /slow's handler wakes
        # after kanal has given up on it, perhaps in the next test or fetch,
        # and must not write into their list.
        self.seen = Feeds.seen
        if self.path == "/feed.xml":
            if self.headers.get("If-None-Match") == '"v1"':
                return self.send(304)
            return self.send(200, RSS, [("Content-Type", "application/rss+xml"),
                                        ("ETag", '"v1"')])
        if self.path == "/moved":
            return self.send(302, headers=[("Location", "/new/atom.xml")])
        if self.path == "/new/atom.xml":
            return self.send(200, ATOM, [("Content-Type", "application/atom+xml"),
                                         ("Last-Modified", "Wed, 31 Dec 2003 10:14:55 GMT")])
        if self.path == "/corpus.xml":
            with open(CORPUS_ATOM, "rb") as f:
                return self.send(200, f.read(), [("Content-Type", "application/atom+xml")])
        if self.path == "/slow":
            time.sleep(4)
            return self.send(200, RSS)
        if self.path == "/truncated":
            self.seen.append((self.path, 200, False))
            self.send_response(200)
            self.send_header("Content-Length", "5000")
            self.end_headers()
            self.wfile.write(RSS[:200])
            return
        if self.path == "/loop":
            return self.send(302, headers=[("Location", "/loop")])
        self.send(404, b"no")


@pytest.fixture
def feeds():
    Feeds.seen = []
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Feeds)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()
    srv.server_close()


def sql(db_url, statement):
    if db_url.startswith("postgresql://"):
        out = subprocess.run(["psql", db_url, "-At", "-F", "\t", "-c", statement],
                             capture_output=True, text=True, check=True)
        return [line.split("\t") for line in out.stdout.splitlines() if line]
    with sqlite3.connect(db_url) as c:
        return [[str(v) for v in row] for row in c.execute(statement).fetchall()]


def listen(db_url, *args, check=True):
    return run_kanal("listen", *args, "--db", db_url, "--workspace", "desk", check=check)


def test_fetch_conditional_gzip_redirects_and_failures(db_url, feeds):
    run_kanal("migrate", "--db", db_url)
    sql(db_url, "INSERT INTO workspaces (name, slug, created_at, updated_at) "
                "VALUES ('Desk', 'desk', 0, 0)")
    paths = ["/feed.xml", "/moved", "/slow", "/truncated", "/loop"]
    if os.path.exists(CORPUS_ATOM):
        paths.append("/corpus.xml")
    for p in paths:
        assert listen(db_url, "source", "add", feeds + p).stdout.startswith("source ")

    # A private address (the local server) is refused unless an admin allows it.
    out = listen(db_url, "fetch", "--min-delay", "100", "--timeout", "2").stdout
    assert f"{len(paths)} sources: 0 read, 0 not modified, {len(paths)} failed; 0 new" in out
    assert Feeds.seen == []  # refused before any connection
    err = sql(db_url, "SELECT last_error FROM listen_sources WHERE url LIKE '%/feed.xml'")[0][0]
    assert "inside the network" in err and "127.0.0.1" in err

    # The workspace's tag queries are matched against each new item.
    sql(db_url, "INSERT INTO tags (workspace_id, name, kind, rule, created_at, updated_at) VALUES "
                "(1, 'Pension', 'topic', 'pension* AND NOT bank', 0, 0), "
                "(1, 'Moved', 'topic', '\"second\" OR first', 0, 0)")
    out = listen(db_url, "fetch", "--min-delay", "100", "--timeout", "2", "--allow-private").stdout
    good = 3 if "/corpus.xml" in paths else 2
    assert f"{good} read, 0 not modified, 3 failed" in out
    items = {r[0]: r for r in sql(db_url, "SELECT title, link, text, lang, published, sentiment, "
                                          "dedupe_key FROM listen_items")}
    assert items["Pensionen höjs"][1] == feeds + "/a/1"
    assert items["Pensionen höjs"][2] == "Bra nyheter för alla"  # HTML out, script gone
    assert items["Pensionen höjs"][3] == "sv"
    assert items["Pensionen höjs"][4] == "1072865695"
    assert items["Pensionen höjs"][6] == "g:a1"
    assert items["Utan guid"][6] == "l:" + feeds + "/a/2"
    assert items["Bara text"][6].startswith("h:")
    # Relative links resolve against the address after the redirect.
    assert items["First"][1] == feeds + "/new/items/1"
    assert ("/feed.xml", 200, True) in Feeds.seen  # gzip was asked for and read
    errors = dict(sql(db_url, "SELECT url, last_error FROM listen_sources"))
    assert "timed out" in errors[feeds + "/slow"].lower() or "timeout" in errors[feeds + "/slow"].lower()
    assert errors[feeds + "/truncated"]
    assert "redirects" in errors[feeds + "/loop"]
    assert errors[feeds + "/feed.xml"] in ("", "None")
    n = len(items)
    matched = sql(db_url, "SELECT i.title, t.name FROM listen_item_tags it JOIN listen_items i "
                          "ON i.id = it.item_id JOIN tags t ON t.id = it.tag_id ORDER BY i.title")
    assert matched == [["First", "Moved"], ["Pensionen höjs", "Pension"], ["Second", "Moved"]]

    # The second fetch adds nothing, and the feed with an ETag answers 304.
    Feeds.seen = []
    out = listen(db_url, "fetch", "--min-delay", "100", "--timeout", "2", "--allow-private",
                 "--source", sql(db_url, "SELECT id FROM listen_sources WHERE url LIKE "
                                         "'%/feed.xml'")[0][0]).stdout
    assert "1 sources: 0 read, 1 not modified, 0 failed; 0 new items" in out
    assert Feeds.seen == [("/feed.xml", 304, False)]
    out = listen(db_url, "fetch", "--min-delay", "100", "--timeout", "2", "--allow-private").stdout
    assert "; 0 new items" in out
    assert int(sql(db_url, "SELECT count(*) FROM listen_items")[0][0]) == n

    listed = listen(db_url, "source", "list").stdout
    assert "\tfeed\t3 items\tok\tnext " in listed and listed.split("\n")[0].endswith(
        feeds + "/feed.xml")
    sid = sql(db_url, "SELECT id FROM listen_sources WHERE url LIKE '%/feed.xml'")[0][0]
    listen(db_url, "source", "remove", sid)
    assert int(sql(db_url, "SELECT count(*) FROM listen_items")[0][0]) == n - 3


def test_source_input_refused_with_reasons(sqlite_url):
    run_kanal("migrate", "--db", sqlite_url)
    sql(sqlite_url, "INSERT INTO workspaces (name, slug, created_at, updated_at) "
                    "VALUES ('Desk', 'desk', 0, 0)")
    p = listen(sqlite_url, "source", "add", "file:///etc/passwd", check=False)
    assert p.returncode == 1 and "http or https" in p.stderr
    p = listen(sqlite_url, "source", "add", "https://example.org/f", "--interval", "5",
               check=False)
    assert p.returncode == 1 and "between 60" in p.stderr
    listen(sqlite_url, "source", "add", "https://example.org/f")
    p = listen(sqlite_url, "source", "add", "https://example.org/f", check=False)
    assert p.returncode == 1 and "already" in p.stderr
    p = listen(sqlite_url, "source", "remove", "99", check=False)
    assert p.returncode == 1 and "no source 99" in p.stderr
    p = listen(sqlite_url, "fetch", "--source", "99", check=False)
    assert p.returncode == 1 and "no source 99" in p.stderr


def test_items_api_pages_with_matched_tags(server, workspace, as_role, feeds):
    db_url = server.db_url
    run = lambda *a: run_kanal("listen", *a, "--db", db_url, "--workspace", "test-agency")
    run("source", "add", feeds + "/feed.xml")
    sql(db_url, f"INSERT INTO tags (workspace_id, name, kind, rule, created_at, updated_at) "
                f"VALUES ({workspace}, 'Pension', 'topic', 'pension*', 0, 0)")
    assert "3 new items" in run("fetch", "--allow-private").stdout
    viewer = as_role("analyst")  # reading the stream needs no edit right
    base = f"/api/v1/workspaces/{workspace}/listen/items"
    first = viewer.get(base + "?limit=2")
    assert first.status == 200, first
    page = first.json()
    assert [i["title"] for i in page["items"]] == ["Bara text", "Utan guid"]
    assert page["next_cursor"]
    rest = viewer.get(base + "?limit=2&cursor=" + page["next_cursor"]).json()
    assert rest["next_cursor"] is None
    [item] = rest["items"]
    assert item["title"] == "Pensionen höjs" and item["tags"] == ["Pension"]
    assert item["published"] == "2003-12-31T10:14:55Z"
    assert item["link"] == feeds + "/a/1" and item["lang"] == "sv"
    assert item["sentiment_label"] in ("pos", "neu", "neg")
    bad = viewer.get(base + "?cursor=abc")
    assert bad.status == 400 and "cursor" in bad.json()["error"]["message"]
    assert viewer.get(base + "?source=x").status == 400
