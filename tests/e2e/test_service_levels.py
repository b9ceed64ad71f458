"""Service levels on SQLite and PostgreSQL: a team's level for a priority,
webhook comments routed to the team and answered by the page, and the
report's time to first answer in working time and share answered within
the level. The comments are written at fixed instants around the change to
summer time in Stockholm (Friday 27 March 2026, 15:00 CET, and Monday 30
March, 08:10 CEST), so the office-hours clock stops over the weekend; the
webhooks are written here, in the shape of Meta's feed change."""
import hashlib
import hmac
import json

from conftest import Server, add_users, run_kanal, migrated_with_users

SECRET = "sla-app-secret"
PAGE = "5550001112223"
FRI_1500 = 1774620000  # 2026-03-27T14:00:00Z, 15:00 CET
MON_0810 = 1774851000  # 2026-03-30T06:10:00Z, 08:10 CEST
MON_0840 = MON_0810 + 1800
MON_0930 = 1774855800  # 2026-03-30T07:30:00Z, 09:30 CEST


def change(cid, text, at, sender_id=4242, sender="Karin Berg", parent=None):
    value = {"item": "comment", "verb": "add", "comment_id": cid,
             "post_id": f"{PAGE}_9001", "parent_id": parent or f"{PAGE}_9001",
             "from": {"id": str(sender_id), "name": sender},
             "sender_id": sender_id, "sender_name": sender, "created_time": at, "message": text}
    body = {"object": "page", "entry": [{"id": PAGE, "time": at,
                                         "changes": [{"field": "feed", "value": value}]}]}
    raw = json.dumps(body, ensure_ascii=True).encode()
    sig = "sha256=" + hmac.new(SECRET.encode(), raw, hashlib.sha256).hexdigest()
    return raw, {"Content-Type": "application/json", "X-Hub-Signature-256": sig}


def test_level_clock_flags_and_report(db_url, tmp_path):
    migrated_with_users(db_url)
    s = Server(db_url, str(tmp_path), extra_args=["--meta-app-secret", SECRET,
                                                 "--meta-verify-token", "v"])
    try:
        admin = s.client()
        assert admin.login("admin@example.org").status == 201
        ws = admin.post("/api/v1/workspaces", {"name": "Verket", "slug": "verket",
                                               "timezone": "Europe/Stockholm"}).json()["id"]
        api = f"/api/v1/workspaces/{ws}"
        r = admin.request("PATCH", api, {"office_hours": "mon-fri 08:00-16:00", "holidays": "se"})
        assert r.status == 200, r
        r = admin.request("PATCH", api, {"office_hours": "mon-fri 08:00-25:00"})
        assert r.status == 400 and r.json()["error"]["field"] == "office_hours", r
        admin.post(f"{api}/channels", {"platform": "facebook", "handle": "verket",
                                       "name": "Verket", "platform_id": PAGE})
        team = admin.post(f"{api}/teams", {"name": "Kundservice"}).json()["id"]

        r = admin.request("PUT", f"{api}/teams/{team}/service-levels/high",
                          {"first_answer_minutes": 120})
        assert r.status == 200, r
        assert (r.json()["first_answer_seconds"], r.json()["at_risk_percent"]) == (7200, 80)
        r = admin.request("PUT", f"{api}/teams/{team}/service-levels/asap",
                          {"first_answer_minutes": 120})
        assert r.status == 400 and r.json()["error"]["field"] == "priority", r
        r = admin.request("PUT", f"{api}/teams/{team}/service-levels/high",
                          {"first_answer_minutes": 0})
        assert r.status == 400 and r.json()["error"]["field"] == "first_answer_minutes", r
        r = admin.post(f"{api}/routing-rules", {
            "name": "pension", "conditions": {"query": "pension*"},
            "actions": {"team_id": team, "priority": "high"}})
        assert r.status == 201, r

        hook = lambda raw_h: s.client().request("POST", "/hooks/meta", raw=raw_h[0],
                                                headers=raw_h[1]).status
        assert hook(change("9001_1", "Var är min pension?", FRI_1500)) == 200
        assert hook(change("9001_2", "Pensionen kom inte", MON_0810, sender="Sven")) == 200
        assert hook(change("9001_3", "Tack för svaret", MON_0810)) == 200  # not routed
        items = {m["platform_id"]: m for m in admin.get(f"{api}/messages").json()["items"]}
        fri, mon = items["9001_1"], items["9001_2"]
        # Friday 15:00 CET + 2 working hours: one hour on Friday, one from
        # Monday 08:00 CEST (06:00Z); at risk after 96 minutes.
        assert fri["sla_due_at"].startswith("2026-03-30T07:00:00"), fri
        assert fri["sla_at_risk_at"].startswith("2026-03-30T06:36:00"), fri
        assert fri["sla"] == "breached" and mon["sla"] == "breached"  # it is later now
        assert items["9001_3"]["sla"] == "none" and items["9001_3"]["sla_due_at"] is None
        breached = [m["platform_id"] for m in
                    admin.get(f"{api}/messages?sla=breached").json()["items"]]
        assert sorted(breached) == ["9001_1", "9001_2"]
        assert admin.get(f"{api}/messages?sla=at_risk").json()["items"] == []
        r = admin.get(f"{api}/messages?sla=late")
        assert r.status == 400 and r.json()["error"]["field"] == "sla"

        # The page answers: Monday at 08:40 (within) and 09:30 (late).
        assert hook(change("9001_4", "Vi kollar!", MON_0840, sender_id=int(PAGE),
                           sender="Verket", parent="9001_2")) == 200
        assert hook(change("9001_5", "Den är på väg.", MON_0930, sender_id=int(PAGE),
                           sender="Verket", parent="9001_1")) == 200
        items = {m["platform_id"]: m for m in admin.get(f"{api}/messages").json()["items"]}
        assert (items["9001_1"]["sla"], items["9001_2"]["sla"]) == ("breached", "met")
        met = [m["platform_id"] for m in admin.get(f"{api}/messages?sla=met").json()["items"]]
        assert met == ["9001_2"]

        rep = admin.get(f"{api}/analytics?since=2026-03-27&until=2026-03-31&by=day").json()
        t = rep["total"]
        assert (t["incoming"], t["answered"], t["held_to_level"], t["answered_within_level"]) == \
            (3, 2, 2, 1), t
        assert t["within_level_rate"] == 0.5
        # Working time: 30 min and 2.5 h (1 h on Friday, 1.5 h on Monday);
        # wall clock: 30 min and 2 days 18.5 h. Medians within the
        # histogram's 0.4%.
        assert abs(t["median_response_work_seconds"] - (1800 + 9000) / 2) <= 0.004 * 9000, t
        assert t["median_response_seconds"] > 100000, t
        days = {row["key"]: row for row in rep["rows"]}
        fri_row = days[FRI_1500 // 86400]  # rows by day are keyed by days since 1970
        assert (fri_row["held_to_level"], fri_row["answered_within_level"],
                fri_row["within_level_rate"]) == (1, 0, 0.0), fri_row

        # Answered elsewhere: a third routed message, answered by phone at
        # 08:20 CEST on Monday (10 working minutes): within the level, and
        # counted apart as answered outside kanal.
        assert hook(change("9001_6", "Ring mig om pensionen", MON_0810, sender="Anna")) == 200
        items = {m["platform_id"]: m for m in admin.get(f"{api}/messages").json()["items"]}
        third = items["9001_6"]["id"]
        r = admin.post(f"{api}/messages/{third}/answered-elsewhere", {"via": "fax"})
        assert r.status == 400 and r.json()["error"]["field"] == "via", r
        r = admin.post(f"{api}/messages/{third}/answered-elsewhere",
                       {"via": "phone", "at": "2026-03-27T10:00:00Z"})
        assert r.status == 400 and r.json()["error"]["field"] == "at", r
        r = admin.post(f"{api}/messages/{items['9001_4']['id']}/answered-elsewhere", {"via": "phone"})
        assert r.status == 400 and "own" in r.json()["error"]["message"], r
        p = run_kanal("messages", "answered", "--db", db_url, "--workspace", "verket",
                      "--message", str(third), "--via", "phone", "--at", "2026-03-30T08:20:00+02:00",
                      "--as", "moderator@example.org")
        m = json.loads(p.stdout)
        assert (m["status"], m["sla"], m["answered_elsewhere_via"]) == ("answered", "met", "phone")
        assert m["answered_elsewhere_at"].startswith("2026-03-30T06:20:00"), m
        t = admin.get(f"{api}/analytics?since=2026-03-27&until=2026-03-31").json()["total"]
        assert (t["incoming"], t["answered"], t["answered_elsewhere"], t["held_to_level"],
                t["answered_within_level"]) == (4, 3, 1, 3, 2), t
        assert abs(t["within_level_rate"] - 2 / 3) < 1e-9
        assert abs(t["median_response_work_seconds"] - 1800) <= 0.004 * 1800, t
        # The figures built again from the messages (a new time zone and
        # back) are the same as those kept as they changed.
        for tz in ("Europe/Helsinki", "Europe/Stockholm"):
            assert admin.request("PATCH", api, {"timezone": tz}).status == 200
        t2 = admin.get(f"{api}/analytics?since=2026-03-27&until=2026-03-31").json()["total"]
        assert t2 == t

        # A changed level holds the waiting messages to it; answered ones keep theirs.
        r = admin.request("DELETE", f"{api}/teams/{team}/service-levels/high")
        assert r.status == 200, r
        assert admin.get(f"{api}/service-levels").json()["items"] == []
    finally:
        code, log = s.stop()
        assert code == 0, log


def test_cli_levels(sqlite_url, tmp_path):
    run_kanal("migrate", "--db", sqlite_url)
    add_users(sqlite_url)
    db = ["--db", sqlite_url]
    s = Server(sqlite_url, str(tmp_path))
    try:
        admin = s.client()
        assert admin.login("admin@example.org").status == 201
        admin.post("/api/v1/workspaces", {"name": "V", "slug": "v"})
    finally:
        s.stop()
    run_kanal("team", "add", *db, "--workspace", "v", "--name", "Press")
    p = run_kanal("team", "level", *db, "--workspace", "v", "--team", "Press",
                  "--priority", "urgent", "--minutes", "30", "--at-risk", "50")
    level = json.loads(p.stdout)
    assert (level["priority"], level["first_answer_seconds"], level["at_risk_percent"]) == \
        ("urgent", 1800, 50)
    p = run_kanal("team", "level", *db, "--workspace", "v", "--team", "Press",
                  "--priority", "urgent", "--minutes", "30", "--at-risk", "100", check=False)
    assert p.returncode == 1 and "--at-risk" in p.stderr and "1 to 99" in p.stderr
    p = run_kanal("team", "levels", *db, "--workspace", "v")
    assert [json.loads(x)["first_answer_seconds"] for x in p.stdout.splitlines()] == [1800]
    run_kanal("team", "level", *db, "--workspace", "v", "--team", "Press", "--priority", "urgent",
              "--off")
    assert run_kanal("team", "levels", *db, "--workspace", "v").stdout == ""
    p = run_kanal("team", "level", *db, "--workspace", "v", "--team", "Press", "--priority", "urgent",
                  "--off", check=False)
    assert p.returncode == 1 and "no service level" in p.stderr
    p = run_kanal("messages", "list", *db, "--workspace", "v", "--sla", "at_risk")
    assert p.stdout == ""


def test_saved_replies(db_url, tmp_path):
    """Saved replies in sv, fi and en: written, refused with an unknown
    variable named, and filled in for a message (API and CLI)."""
    migrated_with_users(db_url)
    s = Server(db_url, str(tmp_path), extra_args=["--meta-app-secret", SECRET,
                                                 "--meta-verify-token", "v"])
    try:
        admin = s.client()
        assert admin.login("admin@example.org").status == 201
        mod = s.client()
        assert mod.login("moderator@example.org").status == 201
        ws = admin.post("/api/v1/workspaces", {"name": "Verket", "slug": "verket"}).json()["id"]
        api = f"/api/v1/workspaces/{ws}"
        admin.post(f"{api}/channels", {"platform": "facebook", "handle": "verket",
                                       "name": "Pensionsverket", "platform_id": PAGE})
        raw, h = change("9001_1", "Hur söker jag?", MON_0810, sender="Åsa Lindqvist")
        assert s.client().request("POST", "/hooks/meta", raw=raw, headers=h).status == 200
        mid = admin.get(f"{api}/messages").json()["items"][0]["id"]

        r = mod.post(f"{api}/saved-replies", {"name": "tack", "lang": "sv",
                                              "body": "Hej {first_name}! Tack för att du skrev "
                                                      "till {channel}."})
        assert r.status == 201, r
        sv = r.json()["id"]
        r = mod.post(f"{api}/saved-replies", {"name": "tack", "lang": "fi",
                                              "body": "Hei {etunimi}!"})
        assert r.status == 400 and r.json()["error"]["field"] == "body", r
        assert "unknown variable {etunimi}" in r.json()["error"]["message"]
        r = mod.post(f"{api}/saved-replies", {"name": "tack", "lang": "de", "body": "Hallo"})
        assert r.status == 400 and r.json()["error"]["field"] == "lang", r
        fi = mod.post(f"{api}/saved-replies", {"name": "tack", "lang": "fi",
                                               "body": "Hei {first_name}, kiitos!"}).json()["id"]
        r = mod.post(f"{api}/saved-replies/{sv}/render", {"message_id": mid})
        assert r.status == 200, r
        assert r.json()["text"] == "Hej Åsa! Tack för att du skrev till Pensionsverket."
        r = mod.post(f"{api}/saved-replies/{sv}/render", {"message_id": 999999})
        assert r.status == 400 and r.json()["error"]["field"] == "message_id", r
        r = mod.post(f"{api}/saved-replies/{sv}/render", {})
        assert r.status == 400, r
        assert [x["lang"] for x in mod.get(f"{api}/saved-replies?lang=fi").json()["items"]] == ["fi"]
        assert mod.request("PATCH", f"{api}/saved-replies/{fi}",
                           {"body": "Hei {first_name} ({handle})!"}).status == 200
        p = run_kanal("reply", "render", "--db", db_url, "--workspace", "verket",
                      "--reply", str(fi), "--message", str(mid))
        assert p.stdout == "Hei Åsa (4242)!\n"
        p = run_kanal("reply", "add", "--db", db_url, "--workspace", "verket", "--name", "x",
                      "--lang", "en", "--body", "Hi {firstname}", check=False)
        assert p.returncode == 1 and "unknown variable {firstname}" in p.stderr
        assert mod.request("DELETE", f"{api}/saved-replies/{fi}").status == 200
        assert len(mod.get(f"{api}/saved-replies").json()["items"]) == 1
    finally:
        code, log = s.stop()
        assert code == 0, log
