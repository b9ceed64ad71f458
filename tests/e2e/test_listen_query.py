"""End-to-end: listening's queries. Items read from a local feed are matched
by the workspace's tag rules with the listening extensions of the query
language (inflected words, exact case, fields, lang:), and a tag created or
changed through the API runs over the items already stored at once, without
another fetch. On SQLite and PostgreSQL."""
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from conftest import run_kanal

RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>Nytt</title>
<link>https://example.org/</link>
<item><title>Pensionerna sänks</title><guid>s1</guid><dc:creator>Anna Svensson</dc:creator>
<dc:language>sv</dc:language><description>Regeringen föreslår lägre pension.</description></item>
<item><title>Pensionsverket informerar</title><guid>s2</guid><dc:language>sv</dc:language>
<description>Om tjänsten för pensionssparare.</description></item>
<item><title>Eläkkeen leikkaus</title><guid>f1</guid><dc:language>fi</dc:language>
<description>Hallitus leikkaa eläkkeitä.</description></item>
<item><title>SAS ställer in</title><guid>e1</guid><dc:language>sv</dc:language>
<description>Flyget från Arlanda.</description></item>
<item><title>Sas och bönor</title><guid>e2</guid><dc:language>sv</dc:language>
<description>Ett recept.</description></item>
</channel></rss>""".encode()


class Feed(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml")
        self.send_header("Content-Length", str(len(RSS)))
        self.end_headers()
        self.wfile.write(RSS)


@pytest.fixture
def feed():
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Feed)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{srv.server_address[1]}/feed.xml"
    srv.shutdown()
    srv.server_close()


def test_queries_match_items_and_rematch_when_changed(server, workspace, admin, feed):
    ws = f"/api/v1/workspaces/{workspace}"

    def tag(name, rule):
        r = admin.post(ws + "/tags", {"name": name, "kind": "topic", "rule": rule})
        assert r.status == 201, r
        return r.json()["id"]

    def tags_by_title():
        items = admin.get(ws + "/listen/items?limit=50").json()["items"]
        return {i["title"]: i["tags"] for i in items}

    pension = tag("Pension", "pension~")
    tag("Eläke", "eläke~ lang:fi")
    tag("Byline", "author:svensson")
    tag("SAS", "=SAS")
    run = lambda *a: run_kanal("listen", *a, "--db", server.db_url, "--workspace", "test-agency")
    run("source", "add", feed)
    assert "5 new items" in run("fetch", "--allow-private").stdout
    assert tags_by_title() == {
        "Pensionerna sänks": ["Byline", "Pension"],  # an inflected form, the author field
        "Pensionsverket informerar": [],  # a compound is not an inflected form
        "Eläkkeen leikkaus": ["Eläke"],  # Voikko's base form, in a Finnish item
        "SAS ställer in": ["SAS"],  # exact case
        "Sas och bönor": [],
    }

    # A changed query runs over the stored items: now a wildcard that would
    # catch the agency's own name, excluded by an exact-case NOT.
    r = admin.patch(f"{ws}/tags/{pension}", {"rule": "pension* AND NOT =Pensionsverket"})
    assert r.status == 200, r
    got = tags_by_title()
    assert got["Pensionerna sänks"] == ["Byline", "Pension"]
    assert got["Pensionsverket informerar"] == []
    r = admin.patch(f"{ws}/tags/{pension}", {"rule": "pension*"})
    assert tags_by_title()["Pensionsverket informerar"] == ["Pension"]

    # A new query finds what is already stored, with no fetch in between.
    tag("Leikkaus", "title:leikkaus~ NEAR/1 title:eläke~")
    assert tags_by_title()["Eläkkeen leikkaus"] == ["Eläke", "Leikkaus"]
    # NEAR across the title and the text: the title's last word and the
    # text's first are next to each other; the title's first is one further.
    near = tag("Hallitus", "title:leikkaus~ NEAR/0 hallitus")
    assert tags_by_title()["Eläkkeen leikkaus"] == ["Eläke", "Hallitus", "Leikkaus"]
    r = admin.patch(f"{ws}/tags/{near}", {"rule": "title:eläke~ NEAR/0 hallitus"})
    assert r.status == 200, r
    assert tags_by_title()["Eläkkeen leikkaus"] == ["Eläke", "Leikkaus"]
    r = admin.patch(f"{ws}/tags/{near}", {"rule": "author:svensson NEAR/3 pension~"})
    assert r.status == 400 and "column 24: NEAR/n compares positions within one field" in \
        r.json()["error"]["message"], r
    # A query emptied matches nothing any more.
    r = admin.patch(f"{ws}/tags/{pension}", {"rule": ""})
    assert r.status == 200, r
    assert tags_by_title()["Pensionerna sänks"] == ["Byline"]

    # A query that does not compile is refused with its column.
    r = admin.post(ws + "/tags", {"name": "Bad", "kind": "topic", "rule": "title:(a OR author:b)"})
    assert r.status == 400 and "column 13" in r.json()["error"]["message"], r
