"""`kanal link edit|retire|restore` end to end, on SQLite and PostgreSQL: the
CLI changes a link through the functions the API's PATCH, retire and restore
call, so the API then answers with the change and the short link follows it
(410 Gone while retired); bad links and options are errors that name them,
with exit status 2 for a wrong call and 1 for what the store refuses."""
import http.client
import json

from conftest import run_kanal


def hit(server, path):
    """One GET of a short link, redirects not followed: (status, Location)."""
    c = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    c.request("GET", path, headers={"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0"})
    r = c.getresponse()
    r.read()
    c.close()
    return r.status, r.getheader("Location")


def make(admin, ws, kind, body):
    r = admin.post(f"/api/v1/workspaces/{ws}/{kind}", body)
    assert r.status == 201, r
    return r.json()


def cli(db_url, ws, *args, check=True):
    return run_kanal("link", *args, "--db", db_url, "--workspace", str(ws), check=check)


def get_link(admin, ws, lid):
    r = admin.get(f"/api/v1/workspaces/{ws}/links/{lid}")
    assert r.status == 200, r
    return r.json()


def test_edit_changes_what_the_api_and_the_short_link_give(server, admin, workspace, db_url):
    ch = make(admin, workspace, "channels", {"platform": "facebook", "handle": "kommunen",
                                             "name": "Kommunen"})
    cp = make(admin, workspace, "campaigns", {"name": "Vårkampanj"})
    link = make(admin, workspace, "links", {"url": "https://example.org/old",
                                            "channel_id": ch["id"], "campaign_id": cp["id"]})
    assert "utm_campaign=v%C3%A5rkampanj" in link["target_url"]

    # By id: a new URL and source; the campaign taken away with an empty value.
    p = cli(db_url, workspace, "edit", "--link", str(link["id"]), "--url",
            "https://example.org/new", "--utm-source", "Newsletter", "--campaign", "")
    printed = json.loads(p.stdout)
    want = "https://example.org/new?utm_source=newsletter&utm_medium=social"
    assert printed["target_url"] == want and printed["campaign_id"] is None
    got = get_link(admin, workspace, link["id"])
    assert (got["url"], got["target_url"], got["utm_source"], got["campaign_id"]) == \
        ("https://example.org/new", want, "newsletter", None)
    assert got["code"] == link["code"]  # never changes: printed QR codes carry it
    assert got["channel_id"] == ch["id"]  # what the edit does not name stays
    assert hit(server, link["short_path"]) == (302, want)

    # By code: the campaign back, by its name; the API's list says the same.
    p = cli(db_url, workspace, "edit", "--link", link["code"], "--campaign", "Vårkampanj")
    assert json.loads(p.stdout)["campaign_id"] == cp["id"]
    items = admin.get(f"/api/v1/workspaces/{workspace}/links").json()["items"]
    assert [i["campaign_id"] for i in items if i["id"] == link["id"]] == [cp["id"]]


def test_retire_answers_410_and_restore_brings_it_back(server, admin, workspace, db_url):
    a = make(admin, workspace, "links", {"url": "https://example.org/a"})
    b = make(admin, workspace, "links", {"url": "https://example.org/b"})

    p = cli(db_url, workspace, "retire", "--link", str(a["id"]))
    assert json.loads(p.stdout)["retired_at"]
    assert get_link(admin, workspace, a["id"])["retired_at"]
    assert hit(server, a["short_path"])[0] == 410
    assert hit(server, b["short_path"]) == (302, b["target_url"])  # the others lead on
    listed = admin.get(f"/api/v1/workspaces/{workspace}/links?retired=true").json()["items"]
    assert [i["id"] for i in listed] == [a["id"]]

    p = cli(db_url, workspace, "restore", "--link", a["code"])
    assert json.loads(p.stdout)["retired_at"] is None
    assert get_link(admin, workspace, a["id"])["retired_at"] is None
    listed = admin.get(f"/api/v1/workspaces/{workspace}/links?retired=false").json()["items"]
    assert sorted(i["id"] for i in listed) == sorted([a["id"], b["id"]])

    # This server keeps what it answered for a code up to a minute (the CLI
    # is another process), so the redirect's way back is seen on a link it
    # has not answered for yet: retired, then restored, leads on again.
    c = make(admin, workspace, "links", {"url": "https://example.org/c"})
    cli(db_url, workspace, "retire", "--link", str(c["id"]))
    cli(db_url, workspace, "restore", "--link", str(c["id"]))
    assert hit(server, c["short_path"]) == (302, c["target_url"])
    # Retiring twice keeps the first time.
    first = json.loads(cli(db_url, workspace, "retire", "--link", str(c["id"])).stdout)
    again = json.loads(cli(db_url, workspace, "retire", "--link", str(c["id"])).stdout)
    assert again["retired_at"] == first["retired_at"]


def test_bad_links_and_options_are_named(server, admin, workspace, db_url):
    link = make(admin, workspace, "links", {"url": "https://example.org/x"})
    lid = str(link["id"])
    cases = [
        # (arguments, exit status, what stderr must say)
        (["edit", "--link", "999999", "--url", "https://example.org/"], 1,
         "kanal: link edit: no link 999999 in this workspace"),
        (["retire", "--link", "no-such-code"], 1, "kanal: link retire: no link 'no-such-code'"),
        (["restore"], 2, "kanal: link restore: --link is required"),
        (["retire", lid], 2, "kanal: link retire: unexpected argument"),
        (["edit", "--link", lid], 2, "kanal: link edit: nothing to change"),
        (["edit", "--link", lid, "--url", "javascript:alert(1)"], 1, "kanal: link edit: --url: "),
        (["edit", "--link", lid, "--channel", "x"], 1, "kanal: link edit: --channel must be an id"),
        (["edit", "--link", lid, "--channel", "424242"], 1, "kanal: link edit: --channel: "),
        (["edit", "--link", lid, "--campaign", "Nope"], 1, "kanal: link edit: no campaign 'Nope'"),
        (["edit", "--link", lid, "--code", "other"], 2,
         "kanal: link edit: unknown option '--code'"),
        (["retire", "--link", lid, "--url", "https://example.org/"], 2,
         "kanal: link retire: unknown option '--url'"),
    ]
    for args, status, message in cases:
        p = cli(db_url, workspace, *args, check=False)
        assert (p.returncode, p.stdout) == (status, ""), (args, p)
        assert message in p.stderr, (args, p.stderr)
    p = run_kanal("link", "retire", "--db", db_url, "--workspace", "nope", "--link", lid,
                  check=False)
    assert p.returncode == 1 and "workspace" in p.stderr
    # Nothing above changed the link.
    got = get_link(admin, workspace, link["id"])
    assert (got["target_url"], got["retired_at"]) == (link["target_url"], None)
    assert hit(server, link["short_path"]) == (302, link["target_url"])
    for action in ("edit", "retire", "restore"):
        assert run_kanal("link", action, "--help").returncode == 0
