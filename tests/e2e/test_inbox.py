"""The inbox as a team's workplace, on SQLite and PostgreSQL: a team with
members, a routing rule tried on the last 30 days and saved, a webhook
comment routed by it to the team's member on duty, found by a word's other
form, and a rule that would loop refused. The webhook is written here, in
the shape of Meta's feed change (its own fixture, not ../shared/data)."""
import hashlib
import hmac
import json
import time

from conftest import Server, add_users, run_kanal, migrated_with_users

SECRET = "inbox-app-secret"
PAGE = "1234567890321"


def comment(cid, text, sender="Karin Berg"):
    now = int(time.time())
    body = {"object": "page", "entry": [{"id": PAGE, "time": now, "changes": [{
        "field": "feed", "value": {
            "item": "comment", "verb": "add", "comment_id": cid,
            "post_id": f"{PAGE}_9001", "parent_id": f"{PAGE}_9001",
            "sender_id": 4242, "sender_name": sender, "created_time": now,
            "message": text}}]}]}
    raw = json.dumps(body, ensure_ascii=True).encode()
    sig = "sha256=" + hmac.new(SECRET.encode(), raw, hashlib.sha256).hexdigest()
    return raw, {"Content-Type": "application/json", "X-Hub-Signature-256": sig}


def test_webhook_comment_routed_to_team_and_found(db_url, tmp_path):
    migrated_with_users(db_url)
    s = Server(db_url, str(tmp_path), extra_args=["--meta-app-secret", SECRET,
                                                 "--meta-verify-token", "v"])
    try:
        admin = s.client()
        assert admin.login("admin@example.org").status == 201
        mod = s.client()
        assert mod.login("moderator@example.org").status == 201
        me = mod.get("/api/v1/session").json()["user"]["id"]
        ws = admin.post("/api/v1/workspaces", {"name": "Verket", "slug": "verket"}).json()["id"]
        api = f"/api/v1/workspaces/{ws}"
        ch = admin.post(f"{api}/channels", {"platform": "facebook", "handle": "verket",
                                            "name": "Verket", "platform_id": PAGE}).json()["id"]
        team = admin.post(f"{api}/teams", {"name": "Kundservice"}).json()["id"]
        r = mod.request("PUT", f"{api}/teams/{team}/members/{me}", {"on_duty": True})
        assert r.status == 200 and [m["user_id"] for m in r.json()["items"]] == [me], r

        # An earlier comment, before any rule: not routed.
        raw, h = comment("9001_1", "Hej, när betalas pensionen ut?")
        assert s.client().request("POST", "/hooks/meta", raw=raw, headers=h).status == 200
        rule = {"name": "pensioner", "conditions": {"platforms": ["facebook"], "query": "pension*"},
                "actions": {"team_id": team, "priority": "high"}}
        r = mod.post(f"{api}/routing-rules/test", rule)
        assert r.status == 200, r
        assert (r.json()["matched"], r.json()["examined"]) == (1, 1)
        assert admin.get(f"{api}/routing-rules").json()["items"] == []  # not saved
        r = admin.post(f"{api}/routing-rules", rule)
        assert r.status == 201, r
        rid = r.json()["id"]

        raw, h = comment("9001_2", "Min pension har inte kommit, vad gör jag?", sender="Sven")
        assert s.client().request("POST", "/hooks/meta", raw=raw, headers=h).status == 200
        items = {m["platform_id"]: m for m in admin.get(f"{api}/messages").json()["items"]}
        first, routed = items["9001_1"], items["9001_2"]
        assert (first["team_id"], first["priority"]) == (None, "normal")
        assert (routed["team_id"], routed["assigned_user_id"], routed["priority"],
                routed["status"], routed["routed_rule_id"]) == (team, me, "high", "assigned", rid)

        ids = lambda who, q: [m["id"] for m in who.get(f"{api}/messages?{q}").json()["items"]]
        assert ids(mod, "assigned_user=me") == [routed["id"]]
        assert ids(admin, "assigned_user=me") == []
        assert ids(mod, f"team={team}&priority=high&lang=sv") == [routed["id"]]
        # "pensionerna" is found by its stem in both
        assert ids(mod, "q=pensionerna") == [routed["id"], first["id"]]
        assert ids(mod, "q=pension%20kommit") == [routed["id"]]
        assert ids(mod, "author=Sven") == [routed["id"]]
        r = mod.get(f"{api}/messages?q=%21%21%21")
        assert r.status == 400 and r.json()["error"]["field"] == "q"

        # A pair of rules that trigger each other through tags is refused.
        t1 = admin.post(f"{api}/tags", {"name": "spam"}).json()["id"]
        t2 = admin.post(f"{api}/tags", {"name": "reklam"}).json()["id"]
        r = admin.post(f"{api}/routing-rules", {"name": "a", "conditions": {"tag_ids": [t1]},
                                                "actions": {"add_tag_ids": [t2]}})
        assert r.status == 201, r
        r = admin.post(f"{api}/routing-rules", {"name": "b", "conditions": {"tag_ids": [t2]},
                                                "actions": {"add_tag_ids": [t1]}})
        assert r.status == 400, r
        assert "would loop" in r.json()["error"]["message"]
        assert len(admin.get(f"{api}/routing-rules").json()["items"]) == 2
        # Moderators may not write rules.
        assert mod.post(f"{api}/routing-rules", {"name": "c", "actions": {"priority": "low"}}).status == 403
    finally:
        code, log = s.stop()
        assert code == 0, log


def test_cli_team_rule_and_messages(sqlite_url, tmp_path):
    run_kanal("migrate", "--db", sqlite_url)
    add_users(sqlite_url)
    db = ["--db", sqlite_url]
    s = Server(sqlite_url, str(tmp_path))
    try:
        admin = s.client()
        assert admin.login("admin@example.org").status == 201
        ws = admin.post("/api/v1/workspaces", {"name": "V", "slug": "v"}).json()["id"]
    finally:
        s.stop()
    team = run_kanal("team", "add", *db, "--workspace", "v", "--name", "Press").stdout.strip()
    assert team.isdigit()
    run_kanal("team", "join", *db, "--workspace", "v", "--team", "Press",
              "--user", "moderator@example.org", "--away")
    members = [json.loads(x) for x in run_kanal(
        "team", "members", *db, "--workspace", "v", "--team", "Press").stdout.splitlines()]
    assert [(m["email"], m["on_duty"]) for m in members] == [("moderator@example.org", False)]
    p = run_kanal("rule", "add", *db, "--workspace", "v", "--name", "press",
                  "--conditions", '{"query": "journalist"}', "--actions", '{"team_id": %s}' % team)
    assert json.loads(p.stdout)["actions"]["team_id"] == int(team)
    p = run_kanal("rule", "test", *db, "--workspace", "v", "--conditions", '{"query": "x"}',
                  "--actions", '{"priority": "low"}')
    assert p.stdout.strip() == "would have matched 0 of 0 messages in the last 30 days"
    p = run_kanal("rule", "add", *db, "--workspace", "v", "--name", "bad",
                  "--conditions", '{"platforms": ["fb"]}', "--actions", '{"priority": "low"}',
                  check=False)
    assert p.returncode == 1 and "conditions.platforms[0]: unknown value 'fb'" in p.stderr
    p = run_kanal("messages", "list", *db, "--workspace", "v", "--assigned-user", "me", check=False)
    assert p.returncode == 1 and "--assigned-user" in p.stderr and "signed-in" in p.stderr
    p = run_kanal("messages", "list", *db, "--workspace", "v", "--assigned-user", "me",
                  "--as", "moderator@example.org", "--q", "pension")
    assert p.stdout == ""
