"""The desk's workflow end to end on SQLite and PostgreSQL: an author writes
and submits, an editor rejects, the author fixes, the editor and an
external approver (through a signed link) approve, it is scheduled, and it
shows on the calendar and in the .ics feed, read back with a real
iCalendar parser. Bad input answers 4xx and changes nothing."""
import datetime
import threading

import pytest
from icalendar import Calendar

from conftest import Server, run_kanal, PASSWORD, migrated_with_users

KEY = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"


@pytest.fixture
def desk(db_url, tmp_path):
    migrated_with_users(db_url)
    run_kanal("user", "add", "--db", db_url, "--email", "editor2@example.org", "--role", "editor",
              "--password-stdin", stdin=PASSWORD + "\n")
    s = Server(db_url, str(tmp_path), env={"KANAL_SECRET_KEY": KEY})
    yield s
    code, log = s.stop()
    assert code == 0, log


def signed_in(server, email):
    c = server.client()
    assert c.login(email).status == 201
    return c


def iso(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_author_editor_and_external_approver(desk):
    admin = signed_in(desk, "admin@example.org")
    editor = signed_in(desk, "editor@example.org")
    editor2 = signed_in(desk, "editor2@example.org")
    author = signed_in(desk, "author@example.org")
    ws = admin.post("/api/v1/workspaces", {"name": "Polisen; Syd, region", "slug": "syd"}).json()["id"]
    base = f"/api/v1/workspaces/{ws}"
    x = admin.post(f"{base}/channels", {"platform": "x", "handle": "polisen", "name": "X"}).json()["id"]
    masto = admin.post(f"{base}/channels", {"platform": "mastodon", "handle": "p@m.se",
                                            "name": "Mastodon", "text_limit": 1000}).json()["id"]
    peer = admin.post(f"{base}/channels", {"platform": "x", "handle": "other", "name": "Peer",
                                           "is_peer": True}).json()["id"]
    camp_start = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0) + datetime.timedelta(days=1)
    camp = admin.post(f"{base}/campaigns", {"name": "Trafiksäkerhet", "starts_at": iso(camp_start),
                                            "ends_at": iso(camp_start + datetime.timedelta(days=6))}).json()["id"]
    when = camp_start + datetime.timedelta(days=2)

    def count_posts():
        return len(admin.get(f"{base}/posts").json()["items"])

    # Bad input: a clear 4xx naming the field, nothing stored.
    for variants, field in (([{"channel_id": peer}], "variants[0].channel_id"),
                            ([{"channel_id": 9999}], "variants[0].channel_id"),
                            ([{"channel_id": x, "scheduled_at": "2001-01-01T00:00:00Z"}],
                             "variants[0].scheduled_at"),
                            ([{"channel_id": x, "body": "日" * 141}], "variants[0].body")):
        r = author.post(f"{base}/posts", {"body": "x", "variants": variants})
        assert r.status == 400 and r.json()["error"]["field"] == field, (field, r)
    assert count_posts() == 0

    long_text = "Trafikolycka på E4 vid Kista; kör försiktigt, " + "ä" * 300
    r = author.post(f"{base}/posts", {
        "title": "Olycka E4", "body": "Trafikolycka på E4 vid Kista", "campaign_id": camp,
        "variants": [{"channel_id": x, "scheduled_at": iso(when)},
                     {"channel_id": masto, "body": long_text, "scheduled_at": iso(when)}]})
    assert r.status == 201, r
    post = r.json()
    pid, vx = post["id"], post["variants"][0]["id"]
    p = f"{base}/posts/{pid}"
    assert author.post(f"{p}/submit", {}).json()["status"] == "in_review"
    # Its author may not approve it; a rejection needs its reason.
    assert author.post(f"{p}/approve", {}).status == 403
    assert editor.post(f"{p}/reject", {}).status == 400
    assert editor.post(f"{p}/comments", {"body": "Vilken väg?"}).status == 201
    r = editor.post(f"{p}/reject", {"comment": "Name the road and the direction"})
    assert r.status == 200 and r.json()["status"] == "draft", r
    # The author fixes the X variant; over its limit it is refused and unchanged.
    r = author.patch(f"{p}/variants/{vx}", {"body": "a" * 281})
    assert r.status == 400 and r.json()["error"]["field"] == "body", r
    r = author.patch(f"{p}/variants/{vx}", {"body": "Trafikolycka på E4 norrgående vid Kista 😀"})
    assert r.status == 200, r
    assert author.post(f"{p}/submit", {}).status == 200
    # Two approvals: an editor and an external approver.
    assert admin.post(f"{base}/approval-rules", {"approvals": 2, "roles": ["editor", "external"]}).status == 200
    review = editor.get(f"{p}/review").json()
    assert review["round"] == 2 and review["needed"] == 2
    assert review["comments"][0]["body"] == "Vilken väg?"
    assert editor.post(f"{p}/approve", {"round": 1}).status == 409
    # Two browsers of one editor at once: one approval counts, the other is a 409.
    results = []
    threads = [threading.Thread(target=lambda: results.append(editor.post(f"{p}/approve", {"round": 2})))
               for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r.status for r in results) == [200, 409], results
    assert editor.get(p).json()["status"] == "in_review"
    # The external approver: a signed, single-use link.
    r = editor.post(f"{p}/approval-links", {"name": "Juristen", "ttl": 86400})
    assert r.status == 201, r
    link = r.json()
    anon = desk.client()
    forged = link["token"][:-1] + ("A" if link["token"][-1] != "A" else "B")
    assert anon.get(f"/api/v1/approval-links/{forged}").status == 404
    view = anon.get(link["path"])
    assert view.status == 200 and view.json()["post"]["id"] == pid
    assert anon.post(link["path"], {"decision": "maybe"}).status == 400
    r = anon.post(link["path"], {"decision": "approve", "comment": "OK från juridik"})
    assert r.status == 200 and r.json()["post"]["status"] == "approved", r
    # The link's decision and its comment both name the link, and no user.
    review = editor.get(f"{p}/review").json()
    by_link = [d for d in review["decisions"] if "link_id" in d]
    assert [(d["link_name"], d["comment"], "user_id" in d) for d in by_link] == [
        ("Juristen", "OK från juridik", False)], review
    assert [(c["body"], "user_email" in c) for c in review["comments"]
            if c.get("link_id") == by_link[0]["link_id"]] == [("OK från juridik", False)], review
    assert anon.post(link["path"], {"decision": "approve"}).status == 409  # replayed
    assert editor2.post(f"{p}/approve", {}).status == 409  # already approved

    # Scheduling: not in the past, only by the desk.
    assert author.post(f"{p}/schedule", {}).status == 403
    assert editor.post(f"{p}/schedule", {"at": "2001-01-01T00:00:00Z"}).status == 400
    r = editor.post(f"{p}/schedule", {})
    assert r.status == 200 and r.json()["status"] == "scheduled", r

    # The calendar: both variants at their time, the campaign as a band.
    since = (camp_start - datetime.timedelta(days=1)).strftime("%Y-%m-%d")
    cal = author.get(f"{base}/calendar?since={since}&status=scheduled").json()
    assert sorted(i["channel_id"] for i in cal["items"]) == sorted([x, masto])
    assert all(i["at"] == iso(when) for i in cal["items"])
    assert [c["id"] for c in cal["campaigns"]] == [camp]
    assert author.get(f"{base}/calendar?channel={masto}&since={since}").json()["items"][0]["body"] == long_text
    assert author.get(f"{base}/calendar?status=bogus").status == 400
    assert author.get(f"{base}/calendar?since=soon").status == 400

    # The .ics feed, parsed by a real iCalendar parser, event by event.
    assert author.post(f"{base}/calendar-feeds", {}).status == 403
    feed = editor.post(f"{base}/calendar-feeds", {}).json()
    r = anon.get(feed["path"])
    assert r.status == 200 and r.headers["Content-Type"].startswith("text/calendar")
    raw = r.body.encode()
    assert all(len(line) <= 75 for line in raw.split(b"\r\n")), "a line longer than 75 octets"
    events = [e for e in Calendar.from_ical(raw).walk("VEVENT")]
    by_uid = {str(e["UID"]): e for e in events}
    assert set(by_uid) == {f"variant-{v['id']}@kanal" for v in post["variants"]} | {f"campaign-{camp}@kanal"}
    for v in post["variants"]:
        e = by_uid[f"variant-{v['id']}@kanal"]
        assert e.decoded("DTSTART") == when
        assert e.decoded("DTSTART").tzinfo is not None
        assert e.get("DTSTAMP") is not None
        assert str(e["STATUS"]) == "CONFIRMED"
    masto_event = by_uid[f"variant-{post['variants'][1]['id']}@kanal"]
    assert str(masto_event["DESCRIPTION"]) == long_text  # folded, escaped, read back whole
    band = by_uid[f"campaign-{camp}@kanal"]
    assert str(band["SUMMARY"]) == "Trafiksäkerhet"
    assert band.decoded("DTSTART") == camp_start.date()
    # A channel's feed holds that channel only; a revoked feed is gone.
    chfeed = editor.post(f"{base}/calendar-feeds", {"channel_id": x}).json()
    events = list(Calendar.from_ical(anon.get(chfeed["path"]).body.encode()).walk("VEVENT"))
    assert [str(e["UID"]) for e in events if str(e["UID"]).startswith("variant")] == [f"variant-{vx}@kanal"]
    assert editor.delete(f"{base}/calendar-feeds/{feed['id']}").status == 200
    assert anon.get(feed["path"]).status == 404

    # An edit after approval sends it back to review.
    r = author.patch(f"{p}/variants/{vx}", {"body": "Trafikolycka på E4: två körfält stängda"})
    assert r.status == 200 and r.json()["status"] == "in_review", r

    # Every transition is in the audit log.
    actions = {a["action"] for a in admin.get("/api/v1/audit?entity=post&limit=200").json()["items"]}
    assert {"create", "submit", "reject", "approve", "approved", "schedule", "link_create",
            "edit", "edit_after_approval", "comment"} <= actions, actions


def test_cli_post_and_calendar(desk):
    db = desk.db_url
    admin = signed_in(desk, "admin@example.org")
    ws = admin.post("/api/v1/workspaces", {"name": "CLI", "slug": "cli"}).json()["id"]
    ch = admin.post(f"/api/v1/workspaces/{ws}/channels",
                    {"platform": "bluesky", "handle": "p.bsky", "name": "Bluesky"}).json()["id"]
    when = iso(datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=3))
    r = run_kanal("post", "add", "--db", db, "--workspace", "cli", "--as", "author@example.org",
                  "--body", "e\u0301" * 301, "--channel", str(ch), check=False)
    assert r.returncode == 1 and "301 graphemes" in r.stderr, r.stderr
    out = run_kanal("post", "add", "--db", db, "--workspace", "cli", "--as", "author@example.org",
                    "--body", "Hej från CLI", "--channel", str(ch), "--at", when).stdout
    pid = out.split("\t")[0]
    assert "draft" in out
    run_kanal("post", "submit", "--db", db, "--workspace", "cli", "--post", pid, "--as", "author@example.org")
    r = run_kanal("post", "approve", "--db", db, "--workspace", "cli", "--post", pid,
                  "--as", "author@example.org", check=False)
    assert r.returncode == 1 and "own post" in r.stderr
    run_kanal("post", "approve", "--db", db, "--workspace", "cli", "--post", pid, "--as", "editor@example.org")
    out = run_kanal("post", "schedule", "--db", db, "--workspace", "cli", "--post", pid).stdout
    assert "scheduled" in out
    assert "scheduled" in run_kanal("post", "list", "--db", db, "--workspace", "cli").stdout
    # Its variant posts the base text: that cannot change behind the review.
    r = admin.patch(f"/api/v1/workspaces/{ws}/posts/{pid}", {"body": "Ändrad bastext"})
    assert r.status == 409 and r.json()["error"]["field"] == "body", r
    assert admin.patch(f"/api/v1/workspaces/{ws}/posts/{pid}", {"title": "Ny rubrik"}).status == 200
    ics = run_kanal("calendar", "--db", db, "--workspace", "cli", "--ics").stdout
    events = list(Calendar.from_ical(ics).walk("VEVENT"))
    assert len(events) == 1 and str(events[0]["DESCRIPTION"]) == "Hej från CLI"
