"""End-to-end: listening inside `kanal serve` and its alerts, on SQLite and
PostgreSQL. A local host (feed_hosts.py) serves feeds, a forum page, a
sitemap index and a robots.txt, and logs every request: the test checks
that robots.txt is fetched first and honoured, that one request runs at a
time with the host's Crawl-delay between two, that a failing source backs
off with its error shown (API and CLI), and that conditional GET, gzip,
redirects, slow, truncated and broken answers are handled. Mastodon
timelines are read from the Mastodon fake with since_id; alerts reach the
local SMTP sink and webhook receiver (notify_sinks.py)."""
import hashlib
import hmac
import json
import os
import re
import subprocess
import sys
import time
import urllib.request

import pytest

from conftest import ROOT, Server, free_port, run_kanal, migrated_with_users
from feed_hosts import Host
from notify_sinks import HookReceiver, SMTPSink
from test_listen import sql


def wait_for(what, check, timeout=40):
    end = time.time() + timeout
    while time.time() < end:
        got = check()
        if got:
            return got
        time.sleep(0.25)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def host():
    h = Host()
    yield h
    h.close()


@pytest.fixture
def desk(db_url, tmp_path):
    """kanal serve fetching (private addresses allowed: the host is local),
    with an SMTP sink and a webhook receiver for the alerts."""
    migrated_with_users(db_url)
    smtp_port = free_port()
    env = {"KANAL_SMTP_HOST": "127.0.0.1", "KANAL_SMTP_PORT": str(smtp_port),
           "KANAL_SMTP_FROM": "Kanal Desk <kanal@example.org>"}
    sink = SMTPSink(smtp_port)
    hook = HookReceiver()
    s = Server(db_url, str(tmp_path), env=env,
               extra_args=["--allow-private", "--min-delay", "300", "--timeout", "2"])
    s.sink, s.hook = sink, hook
    yield s
    code, log = s.stop()
    sink.close()
    hook.close()
    assert code == 0, log


def signed_in(server, role):
    c = server.client()
    assert c.login(f"{role}@example.org").status == 201
    return c


def sources_by_url(client, ws):
    r = client.get(f"/api/v1/workspaces/{ws}/listen/sources")
    assert r.status == 200, r
    return {s["url"]: s for s in r.json()["items"]}


def test_serve_fetches_politely_and_backs_off(desk, host):
    admin = signed_in(desk, "admin")
    ws = admin.post("/api/v1/workspaces", {"name": "Desk", "slug": "desk"}).json()["id"]
    editor = signed_in(desk, "editor")
    base = f"/api/v1/workspaces/{ws}/listen/sources"
    h = host.base
    plain = ["/feed.xml", "/moved", "/broken.xml", "/slow", "/truncated", "/fail",
             "/private/feed.xml"]
    for p in plain:
        r = editor.post(base, {"url": h + p, "interval": 60})
        assert r.status == 201, r
    r = editor.post(base, {"url": h + "/forum/", "kind": "html", "interval": 60,
                           "selectors": {"item": "#threads tr.row", "title": "a.subject",
                                         "time": "time", "author": "td.who"}})
    assert r.status == 201, r
    assert editor.post(base, {"url": h + "/sitemap-index.xml", "kind": "sitemap",
                              "interval": 60}).status == 201
    # Refused with the field named: a selector kanal does not read, html without one.
    bad = editor.post(base, {"url": h + "/x", "kind": "html", "selectors": {"item": "li:hover"}})
    assert bad.status == 400 and bad.json()["error"]["field"] == "selectors.item"
    assert "pseudo-classes are not supported" in bad.json()["error"]["message"]
    bad = editor.post(base, {"url": h + "/y", "kind": "html"})
    assert bad.status == 400 and "item selector" in bad.json()["error"]["message"]
    assert signed_in(desk, "analyst").post(base, {"url": h + "/z"}).status == 403

    # The worker fetches every due source on its own.
    srcs = wait_for("every source fetched",
                    lambda: (lambda s: s if all(v["last_fetched"] for v in s.values()) else None)(
                        sources_by_url(editor, ws)), timeout=60)

    log = host.requests()
    # robots.txt first, once; the path it disallows never asked for.
    assert log[0][0] == "/robots.txt" and [e[0] for e in log].count("/robots.txt") == 1
    assert not host.requests("/private/feed.xml")
    priv = srcs[h + "/private/feed.xml"]
    assert "robots.txt" in priv["last_error"] and priv["failures"] == 1
    # One request at a time, and the host's Crawl-delay (1 s) between two,
    # a redirect's next hop too (a timed-out answer ends after kanal gave up
    # on it: that one is not a gap measured).
    assert host.most_at_once == 1
    gaps = [b[3] - a[4] for a, b in zip(log, log[1:]) if a[0] != "/slow"]
    assert min(gaps) >= 0.95, gaps

    # Failures shown on the source with a backoff of two intervals (60 s).
    fail = srcs[h + "/fail"]
    assert "HTTP 500" in fail["last_error"] and fail["failures"] == 1
    t = lambda s: time.mktime(time.strptime(s, "%Y-%m-%dT%H:%M:%SZ"))
    assert 119 <= t(fail["next_fetch"]) - t(fail["last_error_at"]) <= 121
    assert t(srcs[h + "/feed.xml"]["next_fetch"]) - t(srcs[h + "/feed.xml"]["last_fetched"]) == 60
    slow = srcs[h + "/slow"]["last_error"].lower()
    assert "timed out" in slow or "timeout" in slow
    assert srcs[h + "/truncated"]["last_error"]
    assert srcs[h + "/feed.xml"]["last_error"] is None
    assert srcs[h + "/broken.xml"]["last_error"] is None  # read as far as it goes
    listed = run_kanal("listen", "source", "list", "--db", desk.db_url, "--workspace",
                       "desk").stdout
    assert re.search(r"\thtml\t2 items\tok\t", listed)
    assert re.search(r"failed 1x: .*HTTP 500.*" + re.escape(h + "/fail"), listed)

    # What was read: gzip, the redirect's base, the forum's selectors, the sitemaps.
    assert ("/feed.xml", 200, True) == host.requests("/feed.xml")[0][:3]
    items = editor.get(f"/api/v1/workspaces/{ws}/listen/items?limit=100").json()["items"]
    by_title = {i["title"]: i for i in items}
    assert by_title["Flyttad"]["link"] == h + "/new/a/m1"
    assert by_title["Pensionen sänks?"]["link"] == h + "/forum/thread/1"
    assert by_title["Pensionen sänks?"]["author"] == "Anna"
    assert by_title["Pensionen sänks?"]["published"] == "2024-03-01T08:00:00Z"
    assert by_title["Fråga om bostadstillägg"]["published"] == "2024-03-01T09:00:00Z"
    assert "Annons" not in by_title
    assert by_title["Halv & hel"]["link"] == h + "/b/1"
    links = {i["link"] for i in items}
    assert {h + "/news/1", h + "/news/2", h + "/news/3"} <= links
    assert [e[0] for e in host.requests() if e[0] in ("/s1.xml", "/s2.xml")] == ["/s1.xml",
                                                                                 "/s2.xml"]

    # Due again: the feed is asked conditionally and answers 304.
    sql(desk.db_url, f"UPDATE listen_sources SET next_fetch = 0 WHERE url = '{h}/feed.xml'")
    wait_for("the conditional GET", lambda: [e for e in host.requests("/feed.xml")
                                             if e[1] == 304])
    assert sql(desk.db_url, "SELECT count(*) FROM jobs WHERE kind = 'listen_fetch' AND "
                            "state = 'failed'") == [["0"]]

    # Removed over the API, with its items.
    sid = srcs[h + "/forum/"]["id"]
    assert editor.delete(f"{base}/{sid}").status == 200
    assert editor.delete(f"{base}/{sid}").status == 404
    assert h + "/forum/" not in sources_by_url(editor, ws)


# ---- Mastodon ---------------------------------------------------------------------------

class Fake:
    def __init__(self, name):
        self.proc = subprocess.Popen([sys.executable, os.path.join(ROOT, "tests", "fakes",
                                                                   name + ".py")],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        m = re.match(r"listening (\d+)", self.proc.stdout.readline())
        assert m, self.proc.stderr.read()
        self.base = f"http://127.0.0.1:{m.group(1)}"

    def state(self, body):
        req = urllib.request.Request(self.base + "/_fake/state", data=json.dumps(body).encode(),
                                     method="POST", headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read())

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)
        self.proc.stdout.close()
        self.proc.stderr.close()


def test_mastodon_hashtag_and_public_timelines(db_url):
    fake = Fake("mastodon")
    try:
        run_kanal("migrate", "--db", db_url)
        sql(db_url, "INSERT INTO workspaces (name, slug, created_at, updated_at) "
                    "VALUES ('Desk', 'desk', 0, 0)")
        listen = lambda *a: run_kanal("listen", *a, "--db", db_url, "--workspace", "desk")
        fake.state({"public": [{"by": "anna", "text": "Höjd #Pension i år"},
                               {"by": "bertil", "text": "Inget om det"}]})
        listen("source", "add", fake.base + "/tags/pension", "--kind", "mastodon_tag")
        listen("source", "add", fake.base + "/?local=true", "--kind", "mastodon_public")
        p = run_kanal("listen", "source", "add", fake.base + "/about", "--kind", "mastodon_tag",
                      "--db", db_url, "--workspace", "desk", check=False)
        assert p.returncode == 1 and "/tags/NAME" in p.stderr
        out = listen("fetch", "--allow-private", "--min-delay", "50").stdout
        assert "2 sources: 2 read" in out
        rows = sql(db_url, "SELECT s.format, i.text, i.author, i.lang, i.guid FROM listen_items i "
                           "JOIN listen_sources s ON s.id = i.source_id ORDER BY i.id")
        tag = [r for r in rows if r[0] == "mastodon_tag"]
        assert [r[1] for r in tag] == ["Höjd #Pension i år"]
        assert tag[0][2] == "Anna A" and tag[0][3] == "sv" and "/statuses/" in tag[0][4]
        # local=true: the remote account (anna@example.org) is left out.
        public = [r[1] for r in rows if r[0] == "mastodon_public"]
        assert "Inget om det" in public and "Höjd #Pension i år" not in public
        newest = sql(db_url, "SELECT cursor FROM listen_sources WHERE format = 'mastodon_tag'")
        # New statuses: the next fetch asks only for those after the newest read.
        fake.state({"public": [{"by": "bertil", "text": "Mer om #pension"}]})
        out = listen("fetch", "--allow-private", "--min-delay", "50").stdout
        asked = [t for t in fake.state({})["timelines"] if t[0] == "pension"]
        assert asked == [["pension", None], ["pension", newest[0][0]]]
        texts = [r[0] for r in sql(db_url, "SELECT i.text FROM listen_items i JOIN listen_sources "
                                           "s ON s.id = i.source_id WHERE s.format = "
                                           "'mastodon_tag' ORDER BY i.id")]
        assert texts == ["Höjd #Pension i år", "Mer om #pension"]
    finally:
        fake.stop()


# ---- alerts -----------------------------------------------------------------------------

def test_alerts_each_and_spike_reach_mail_webhook_and_desk(desk, host):
    admin = signed_in(desk, "admin")
    ws = admin.post("/api/v1/workspaces", {"name": "Desk", "slug": "desk"}).json()["id"]
    editor = signed_in(desk, "editor")
    secret = admin.request("PUT", f"/api/v1/workspaces/{ws}/notify/webhook",
                           {"url": f"http://127.0.0.1:{desk.hook.port}/hook"}).json()["secret"]
    sql(desk.db_url, f"INSERT INTO tags (workspace_id, name, kind, rule, created_at, updated_at) "
                     f"VALUES ({ws}, 'Pension', 'topic', 'pension*', 0, 0)")
    base = f"/api/v1/workspaces/{ws}/listen/alerts"
    bad = editor.post(base, {"tag": "Pension", "mode": "weekly"})
    assert bad.status == 400 and "mode" in bad.json()["error"]["message"]
    assert editor.post(base, {"tag": "Nope", "mode": "each"}).status == 404
    # A baseline: one matching item at this hour on every other of the past 28 days.
    now = int(time.time())
    sql(desk.db_url, f"INSERT INTO listen_sources (workspace_id, url, interval_s, next_fetch, "
                     f"created_at) VALUES ({ws}, 'https://old.example/', 900, 9999999999, 0)")
    old = sql(desk.db_url, "SELECT id FROM listen_sources WHERE url = 'https://old.example/'")[0][0]
    for d in range(2, 29, 2):
        sql(desk.db_url, f"INSERT INTO listen_items (workspace_id, source_id, dedupe_key, title, "
                         f"published, fetched_at) VALUES ({ws}, {old}, 'k{d}', 'pensionen {d}', "
                         f"{now - d * 86400 - 600}, {now - d * 86400})")
    sql(desk.db_url, "INSERT INTO listen_item_tags (item_id, tag_id) SELECT i.id, t.id FROM "
                     "listen_items i, tags t WHERE i.dedupe_key LIKE 'k%'")
    # Made after the baseline: an alert starts from now.
    each = editor.post(base, {"tag": "Pension", "mode": "each", "via": "in_app,email,webhook",
                              "email_to": "desk@example.org"}).json()["id"]
    spike = editor.post(base, {"tag": "Pension", "mode": "spike_volume",
                               "via": "in_app,webhook"}).json()["id"]
    # The feed: five pension items published in the past hour.
    host.feed_items = [(f"p{i}", f"Pensionen {i}", 5 + i) for i in range(5)] + \
        [("x", "Om väder", 3)]
    assert editor.post(f"/api/v1/workspaces/{ws}/listen/sources",
                       {"url": host.base + "/feed.xml", "interval": 60}).status == 201

    # Each: one mail to the alert's address and one signed webhook call.
    mail = wait_for("the alert's mail", lambda: [m for r, m in desk.sink.parsed()
                                                 if "desk@example.org" in r and
                                                 m["X-Kanal-Event"] == "listen_alert"])
    text = mail[0].get_content()
    assert "Pension" in mail[0]["Subject"] and "5 new items" in mail[0]["Subject"]
    assert "Why: 5 new items matched the query" in text and "Query: pension*" in text
    assert "Pensionen 0" in text and host.base + "/a/p0" in text and "Om väder" not in text
    calls = wait_for("both webhook calls", lambda: len(desk.hook.calls) >= 2 and desk.hook.calls)
    bodies = {}
    for headers, body in calls:
        ts = headers["X-Kanal-Timestamp"]
        want = "sha256=" + hmac.new(secret.encode(), ts.encode() + b"." + body,
                                    hashlib.sha256).hexdigest()
        assert hmac.compare_digest(headers["X-Kanal-Signature"], want)
        ev = json.loads(body)
        assert ev["event"] == "listen_alert" and ev["query"] == "Pension"
        bodies[ev["alert_id"]] = ev
    assert sorted(i["title"] for i in bodies[each]["items"]) == [f"Pensionen {i}"
                                                                 for i in range(5)]
    assert bodies[spike]["mode"] == "spike_volume"
    assert re.match(r"5 items in the past hour, above the usual 0\.5 \(sd 0\.5\)",
                    bodies[spike]["reason"]), bodies[spike]["reason"]
    assert len(bodies[spike]["items"]) == 5
    # In the app: what each alert said, with its items.
    events = editor.get(f"{base}/events").json()["items"]
    assert {e["alert_id"] for e in events} == {each, spike}
    assert all(e["items"] and e["reason"] for e in events)

    # Muted: nothing is said, and what came meanwhile is passed over.
    assert editor.patch(f"{base}/{each}", {"muted": True}).status == 200
    seen = len(desk.hook.calls)
    host.feed_items = host.feed_items + [("p9", "Pensionen nio", 1)]
    host.feed_version = 2
    refetch = lambda: sql(desk.db_url, f"UPDATE listen_sources SET next_fetch = 0 "
                                       f"WHERE url = '{host.base}/feed.xml'")
    refetch()
    wait_for("the new item", lambda: sql(desk.db_url, "SELECT count(*) FROM listen_items WHERE "
                                                      "title = 'Pensionen nio'") == [["1"]])
    time.sleep(6)  # alerts are looked at every 5 s
    assert len(desk.hook.calls) == seen
    assert len(editor.get(f"{base}/events?alert={each}").json()["items"]) == 1
    # Snoozed after unmuting: quiet until the snooze ends, then what came is sent.
    assert editor.patch(f"{base}/{each}", {"muted": False,
                                           "snoozed_until": "2099-01-01T00:00:00Z"}).status == 200
    listed = run_kanal("listen", "alert", "list", "--db", desk.db_url, "--workspace",
                       "desk").stdout
    assert f"{each}\teach\tPension\tin_app,email,webhook\t2099-01-01T00:00:00Z" in listed
    host.feed_items = host.feed_items + [("p10", "Pensionen tio", 1)]
    host.feed_version = 3
    refetch()
    wait_for("the next item", lambda: sql(desk.db_url, "SELECT count(*) FROM listen_items WHERE "
                                                       "title = 'Pensionen tio'") == [["1"]])
    time.sleep(6)
    assert len(desk.hook.calls) == seen
    assert editor.patch(f"{base}/{each}", {"snoozed_until": None}).status == 200
    wait_for("the alert after the snooze", lambda: len(desk.hook.calls) > seen)
    ev = json.loads(desk.hook.calls[-1][1])
    assert ev["alert_id"] == each and [i["title"] for i in ev["items"]] == ["Pensionen tio"]
    assert editor.delete(f"{base}/{spike}").status == 200
    assert [a["id"] for a in editor.get(base).json()["items"]] == [each]


def test_digest_and_cli_alerts(sqlite_url, host):
    db = sqlite_url
    run_kanal("migrate", "--db", db)
    sql(db, "INSERT INTO workspaces (name, slug, created_at, updated_at) "
            "VALUES ('Desk', 'desk', 0, 0)")
    sql(db, "INSERT INTO tags (workspace_id, name, kind, rule, created_at, updated_at) "
            "VALUES (1, 'Pension', 'topic', 'pension*', 0, 0)")
    cli = lambda *a, check=True: run_kanal("listen", *a, "--db", db, "--workspace", "desk",
                                           check=check)
    p = cli("alert", "add", "--tag", "Pension", "--mode", "hourly", "--via", "in_app,sms",
            check=False)
    assert p.returncode == 1 and "via" in p.stderr
    p = cli("alert", "add", "--tag", "Pension", "--mode", "each", "--email-to", "a b@x",
            check=False)
    assert p.returncode == 1 and "email_to" in p.stderr
    aid = re.match(r"alert (\d+)", cli("alert", "add", "--tag", "Pension", "--mode",
                                       "hourly").stdout).group(1)
    cli("source", "add", host.base + "/feed.xml")
    cli("fetch", "--allow-private", "--min-delay", "50")
    run = lambda: run_kanal("listen", "alert", "run", "--db", db).stdout
    sql(db, f"UPDATE listen_alerts SET created_at = {int(time.time())} WHERE id = {aid}")
    assert "1 alerts looked at, 0 fired" in run()  # the hour is not over
    # The hour the alert was made in has passed: the digest goes out, once.
    sql(db, f"UPDATE listen_alerts SET created_at = created_at - 3600 WHERE id = {aid}")
    assert "1 fired" in run()
    assert "0 fired" in run()
    events = json.loads(cli("alert", "events", "--alert", aid).stdout)["items"]
    assert len(events) == 1
    assert events[0]["reason"] == "1 item matched the query in the past hour"
    assert [i["title"] for i in events[0]["items"]] == ["Pensionen höjs"]
    cli("alert", "snooze", aid, "--minutes", "30")
    assert "\thourly\tPension\tin_app\t" in cli("alert", "list").stdout
    assert "muted" in (cli("alert", "mute", aid), cli("alert", "list").stdout)[1]
    cli("alert", "remove", aid)
    p = cli("alert", "remove", aid, check=False)
    assert p.returncode == 1 and f"no alert {aid}" in p.stderr
