"""End-to-end: the listening desk's API on SQLite and PostgreSQL. Items come
the real way: two feeds on a local HTTP server, read by `kanal listen
fetch` and matched against the workspace's queries (tags with rules made
through the API). Then: the stream's filters, marking items relevant or
not, an item sent to a team as an inbox task (and back), and the period's
analytics and share of voice, each figure checked against what the feeds
hold."""
import datetime
import threading
import zoneinfo
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from xml.sax.saxutils import escape

import pytest

from conftest import run_kanal

STOCKHOLM = zoneinfo.ZoneInfo("Europe/Stockholm")
NOW = datetime.datetime.now(STOCKHOLM)
# "Today" is the workspace's day, in Stockholm: between 23:00 and 24:00 UTC
# it is already tomorrow there, and kanal's default period ends on it.
TODAY = NOW.date()
MIDNIGHT = datetime.datetime(TODAY.year, TODAY.month, TODAY.day, tzinfo=STOCKHOLM)
# An item's time of day: noon, or halfway into today if it is not noon yet,
# so that today's item is neither in the future nor on another day.
INTO_DAY = min(datetime.timedelta(hours=12), (NOW - MIDNIGHT) / 2)


def on_day(days_ago):
    """A time on the Stockholm date days_ago days back, never in the future."""
    d = TODAY - datetime.timedelta(days=days_ago)
    return (datetime.datetime(d.year, d.month, d.day, tzinfo=STOCKHOLM) + INTO_DAY
            ).astimezone(datetime.timezone.utc)


# (feed, guid, title, text, days ago). "Pensionsmyndigheten" is the
# organisation, "Försäkringskassan" the peer it is compared with.
ITEMS = [
    ("a", "a1", "Pensionsmyndigheten höjer garantipensionen", "Ett bra och glädjande besked.", 2),
    ("a", "a2", "Försäkringskassan och Pensionsmyndigheten", "Myndigheterna samarbetar.", 2),
    ("a", "a3", "Försäkringskassan ändrar reglerna", "Kritik mot långa väntetider.", 1),
    ("b", "b1", "Försäkringskassan svarar", "Handläggningen tar tid.", 1),
    ("b", "b2", "Vädret i Stockholm", "Sol och vind.", 0),
    ("b", "b3", "Försäkringskassan förr", "En gammal nyhet.", 400),
]


def rss(feed):
    items = "".join(
        f"<item><title>{escape(t)}</title><guid>{g}</guid><link>/{g}</link>"
        f"<pubDate>{format_datetime(on_day(ago))}</pubDate><description>{escape(x)}</description>"
        f"</item>" for f, g, t, x, ago in ITEMS if f == feed)
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>Feed {feed}</title><language>sv</language>{items}</channel></rss>").encode()


class Feeds(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def do_GET(self):
        body = rss(self.path.strip("/").split(".")[0])
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def feeds():
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Feeds)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()
    srv.server_close()


@pytest.fixture
def desk(server, workspace, admin, feeds):
    """The workspace with two queries, two sources and their items fetched."""
    api = f"/api/v1/workspaces/{workspace}"
    ours = admin.post(f"{api}/tags", {"name": "Vi", "kind": "other",
                                      "rule": "pensionsmyndigheten"})
    peer = admin.post(f"{api}/tags", {"name": "Kassan", "kind": "other",
                                      "rule": "försäkringskassan"})
    other = admin.post(f"{api}/tags", {"name": "Väder", "kind": "other", "rule": "vädret"})
    assert ours.status == 201 and peer.status == 201 and other.status == 201, (ours, peer, other)
    run = lambda *a: run_kanal("listen", *a, "--db", server.db_url, "--workspace", "test-agency")
    for f in ("a", "b"):
        run("source", "add", f"{feeds}/{f}.xml")
    assert "6 new items" in run("fetch", "--allow-private").stdout
    items = admin.get(f"{api}/listen/items?limit=50").json()["items"]
    by_guid = {i["link"].rsplit("/", 1)[1]: i for i in items}
    return {"api": api, "ours": ours.json()["id"], "peer": peer.json()["id"],
            "other": other.json()["id"], "items": by_guid}


def day(ago):
    return (TODAY - datetime.timedelta(days=ago)).isoformat()


def titles(r):
    assert r.status == 200, r
    return sorted(i["title"] for i in r.json()["items"])


def test_stream_filters(desk, as_role):
    api, items, viewer = desk["api"], desk["items"], as_role("analyst")
    base = f"{api}/listen/items"
    assert items["a2"]["tags"] == ["Kassan", "Vi"]
    assert sorted(items["a2"]["query_ids"]) == sorted([desk["ours"], desk["peer"]])
    assert items["a1"]["source"]["url"].endswith("/a.xml")
    assert items["a1"]["relevant"] is None and items["a1"]["message_id"] is None
    assert titles(viewer.get(f"{base}?query={desk['ours']}")) == sorted(
        t for f, g, t, x, ago in ITEMS if "Pensionsmyndigheten" in t)
    source_b = items["b1"]["source_id"]
    assert titles(viewer.get(f"{base}?source={source_b}")) == sorted(
        t for f, g, t, x, ago in ITEMS if f == "b")
    assert titles(viewer.get(f"{base}?since={day(1)}&until={day(0)}")) == sorted(
        t for f, g, t, x, ago in ITEMS if ago <= 1)
    label = items["a3"]["sentiment_label"]
    assert titles(viewer.get(f"{base}?sentiment={label}")) == sorted(
        i["title"] for i in items.values() if i["sentiment_label"] == label)
    for q, field in (("relevant=maybe", "relevant"), ("sentiment=bad", "sentiment"),
                     ("since=yesterday", "since"), ("query=x", "query"), ("colour=red", "colour"),
                     (f"since={day(0)}&until={day(2)}", "until")):
        r = viewer.get(f"{base}?{q}")
        assert r.status == 400 and r.json()["error"]["field"] == field, (q, r)


def test_relevance_kept_and_filterable(desk, as_role):
    api, items = desk["api"], desk["items"]
    mod, viewer = as_role("moderator"), as_role("analyst")
    one, three = items["a1"]["id"], items["a3"]["id"]
    r = mod.patch(f"{api}/listen/items/{one}", {"relevant": True})
    assert r.status == 200 and r.json()["relevant"] is True, r
    assert mod.patch(f"{api}/listen/items/{three}", {"relevant": False}).json()["relevant"] is False
    # Kept: read again, it says so.
    assert viewer.get(f"{api}/listen/items/{one}").json()["relevant"] is True
    base = f"{api}/listen/items"
    assert titles(viewer.get(f"{base}?relevant=yes")) == [items["a1"]["title"]]
    assert titles(viewer.get(f"{base}?relevant=no")) == [items["a3"]["title"]]
    assert len(viewer.get(f"{base}?relevant=unmarked").json()["items"]) == len(ITEMS) - 2
    # Unmarked again with null.
    assert mod.patch(f"{api}/listen/items/{three}", {"relevant": None}).json()["relevant"] is None
    assert titles(viewer.get(f"{base}?relevant=no")) == []
    # Refused: a reader, a wrong value, another workspace's or no item.
    assert viewer.patch(f"{api}/listen/items/{one}", {"relevant": True}).status == 403
    bad = mod.patch(f"{api}/listen/items/{one}", {"relevant": "yes"})
    assert bad.status == 400 and bad.json()["error"]["field"] == "relevant"
    assert mod.patch(f"{api}/listen/items/999999", {"relevant": True}).status == 404
    audit = as_role("admin").get("/api/v1/audit?limit=200").json()["items"]
    assert any(a["entity"] == "listen_item" and a["entity_id"] == one for a in audit)


def test_item_sent_to_team_becomes_inbox_task(desk, as_role, admin):
    api, item = desk["api"], desk["items"]["a3"]
    mod = as_role("moderator")
    team = admin.post(f"{api}/teams", {"name": "Press"}).json()["id"]
    r = mod.post(f"{api}/listen/items/{item['id']}/task", {"team_id": team, "priority": "high"})
    assert r.status == 201, r
    m = r.json()
    assert (m["kind"], m["team_id"], m["priority"], m["listen_item_id"]) == (
        "mention", team, "high", item["id"])
    assert item["title"] in m["body"] and item["text"] in m["body"] and item["link"] in m["body"]
    assert m["status"] == "open" and m["sentiment"] == item["sentiment_label"]
    # The item names its task; sending it again answers the same task.
    assert mod.get(f"{api}/listen/items/{item['id']}").json()["message_id"] == m["id"]
    again = mod.post(f"{api}/listen/items/{item['id']}/task", {"team_id": team})
    assert again.status == 200 and again.json()["id"] == m["id"]
    # In the team's inbox, with the link back, on the listening channel.
    inbox = mod.get(f"{api}/messages?team={team}&own=false").json()["items"]
    assert [(x["id"], x["listen_item_id"]) for x in inbox] == [(m["id"], item["id"])]
    channel = mod.get(f"{api}/channels/{m['channel_id']}").json()
    assert (channel["platform"], channel["handle"]) == ("other", "listening")
    # A second item uses the same channel.
    other = mod.post(f"{api}/listen/items/{desk['items']['b1']['id']}/task", {"team_id": team})
    assert other.status == 201 and other.json()["channel_id"] == m["channel_id"]
    # Refused with reasons.
    for body, field in (({}, "team_id"), ({"team_id": 99999}, "team_id"),
                        ({"team_id": team, "colour": 1}, "colour"),
                        ({"team_id": team, "priority": "asap"}, "priority")):
        r = mod.post(f"{api}/listen/items/{desk['items']['b2']['id']}/task", body)
        assert r.status == 400 and r.json()["error"]["field"] == field, (body, r)
    assert mod.get(f"{api}/listen/items/{desk['items']['b2']['id']}").json()["message_id"] is None
    assert as_role("analyst").post(f"{api}/listen/items/{item['id']}/task",
                                   {"team_id": team}).status == 403
    assert mod.post(f"{api}/listen/items/999999/task", {"team_id": team}).status == 404


def expected(since_ago, until_ago, keep=lambda g: True):
    """What the analytics must say for the feeds' items in the period."""
    inside = [(f, g, t, ago) for f, g, t, x, ago in ITEMS if until_ago <= ago <= since_ago and keep(g)]
    days = [day(a) for a in range(since_ago, until_ago - 1, -1)]
    per = lambda word: [sum(1 for f, g, t, ago in inside if word in t and day(ago) == d)
                        for d in days]
    return inside, days, per("Pensionsmyndigheten"), per("Försäkringskassan")


def test_analytics_by_query_source_sentiment_day_and_share_of_voice(desk, as_role):
    api, items, viewer = desk["api"], desk["items"], as_role("analyst")
    r = viewer.get(f"{api}/listen/analytics?since={day(2)}&until={day(0)}")
    assert r.status == 200, r
    a = r.json()
    inside, days, ours, peer = expected(2, 0)
    assert (a["since"], a["until"], a["days"]) == (day(2), day(0), days)
    assert a["timezone"] == "Europe/Stockholm"
    assert a["items"] == len(inside) == 5
    assert a["per_day"] == [sum(1 for *_, ago in inside if day(ago) == d) for d in days]
    q = {x["name"]: x for x in a["queries"]}
    assert q["Vi"]["per_day"] == ours and q["Kassan"]["per_day"] == peer
    assert (q["Vi"]["mentions"], q["Kassan"]["mentions"]) == (sum(ours), sum(peer)) == (2, 3)
    assert q["Väder"]["mentions"] == 1 and a["mentions"] == 6
    assert q["Vi"]["share_of_voice"] == pytest.approx(2 / 6)
    assert q["Kassan"]["share_of_voice"] == pytest.approx(3 / 6)
    # The organisation against its peer only: the third query leaves the comparison.
    c = viewer.get(f"{api}/listen/analytics?since={day(2)}&until={day(0)}"
                   f"&compare={desk['peer']},{desk['ours']}").json()
    assert [x["name"] for x in c["queries"]] == ["Kassan", "Vi"] and c["mentions"] == 5
    assert [x["share_of_voice"] for x in c["queries"]] == pytest.approx([3 / 5, 2 / 5])
    assert c["items"] == a["items"]  # what is compared is the queries, not the items
    for bad, status in ((f"compare={desk['ours']},x", 400), ("compare=999999", 400),
                        ("compare=" + ",".join(["1"] * 21), 413)):
        r = viewer.get(f"{api}/listen/analytics?{bad}")
        assert r.status == status and r.json()["error"]["field"] == "compare", (bad, r)
    assert viewer.get(f"{api}/listen/items?compare={desk['ours']}").status == 400
    src = {s["url"].rsplit("/", 1)[1]: s["items"] for s in a["sources"]}
    assert src == {"a.xml": sum(1 for f, *_ in inside if f == "a"),
                   "b.xml": sum(1 for f, *_ in inside if f == "b")}
    labels = [items[g]["sentiment_label"] for f, g, t, ago in inside]
    assert a["sentiment"] == {"pos": labels.count("pos"), "neu": labels.count("neu"),
                              "neg": labels.count("neg"), "none": 0}
    # The default period is the 30 days up to today: the same five items.
    d = viewer.get(f"{api}/listen/analytics").json()
    assert (d["since"], d["until"], d["items"]) == (day(29), day(0), 5)
    # Filters narrow the figures: only what was marked relevant.
    mod = as_role("moderator")
    for g in ("a1", "a3"):
        mod.patch(f"{api}/listen/items/{items[g]['id']}", {"relevant": True})
    rel = viewer.get(f"{api}/listen/analytics?since={day(2)}&until={day(0)}&relevant=yes").json()
    inside, days, ours, peer = expected(2, 0, lambda g: g in ("a1", "a3"))
    q = {x["name"]: x for x in rel["queries"]}
    assert rel["items"] == 2 and (q["Vi"]["per_day"], q["Kassan"]["per_day"]) == (ours, peer)
    assert q["Vi"]["share_of_voice"] == pytest.approx(0.5) and q["Väder"]["mentions"] == 0
    # A period with nothing in it: zero, and no share to speak of.
    empty = viewer.get(f"{api}/listen/analytics?since=2020-01-01&until=2020-01-02").json()
    assert empty["items"] == 0 and empty["per_day"] == [0, 0]
    assert all(x["share_of_voice"] is None for x in empty["queries"])
    too_long = viewer.get(f"{api}/listen/analytics?since=2000-01-01&until=2020-01-01")
    assert too_long.status == 413 and too_long.json()["error"]["field"] == "since"
