"""A moderator's correction of a message's tags, on SQLite and PostgreSQL:
PATCH /messages/:id with add_tag_ids and remove_tag_ids, kept with who and
when, not undone when the tag rules read the message again (an edited
comment arrives), and counted with the sentiment corrections in how much
the workspace's model agrees with its moderators (/learner/agreement)."""
from conftest import Server, migrated_with_users
from test_inbox import SECRET, PAGE, comment


def sql(db_url, statement):
    from test_sync import sql as run
    return run(db_url, statement)


def test_tag_corrections_kept_and_counted(db_url, tmp_path):
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
        admin.post(f"{api}/channels", {"platform": "facebook", "handle": "verket",
                                       "name": "Verket", "platform_id": PAGE})
        pension = admin.post(f"{api}/tags", {"name": "pension", "rule": "pension*"}).json()["id"]
        klagomal = admin.post(f"{api}/tags", {"name": "klagomål"}).json()["id"]
        other_ws = admin.post("/api/v1/workspaces", {"name": "Annat", "slug": "annat"}).json()["id"]
        foreign = admin.post(f"/api/v1/workspaces/{other_ws}/tags", {"name": "x"}).json()["id"]

        for cid, text in [("9001_1", "Var är min pension?"), ("9001_2", "Tack för hjälpen"),
                          ("9001_3", "Pensionen kom i tid"), ("9001_4", "Hej")]:
            raw, h = comment(cid, text)
            assert s.client().request("POST", "/hooks/meta", raw=raw, headers=h).status == 200
        msgs = {m["platform_id"]: m for m in admin.get(f"{api}/messages").json()["items"]}
        m1 = msgs["9001_1"]
        assert m1["tag_ids"] == [pension], m1

        r = mod.get(f"{api}/learner/agreement")
        assert r.status == 200, r
        assert r.json()["messages"] == 4 and r.json()["tags"] == {"corrected": 0, "agreement": 1.0}

        # Bad corrections name the field; nothing is changed.
        for body, field in [({"add_tag_ids": [foreign]}, "add_tag_ids"),
                            ({"add_tag_ids": "x"}, "add_tag_ids"),
                            ({"remove_tag_ids": [0]}, "remove_tag_ids"),
                            ({"add_tag_ids": [klagomal], "remove_tag_ids": [klagomal]},
                             "remove_tag_ids")]:
            r = mod.request("PATCH", f"{api}/messages/{m1['id']}", body)
            assert r.status == 400 and r.json()["error"]["field"] == field, (body, r.json())
        assert mod.get(f"{api}/messages/{m1['id']}").json()["tag_ids"] == [pension]
        assert s.client().request("PATCH", f"{api}/messages/{m1['id']}",
                                  {"add_tag_ids": [klagomal]}).status in (401, 403)

        r = mod.request("PATCH", f"{api}/messages/{m1['id']}",
                        {"add_tag_ids": [klagomal], "remove_tag_ids": [pension], "priority": "high"})
        assert r.status == 200, r.json()
        assert r.json()["tag_ids"] == [klagomal] and r.json()["priority"] == "high", r.json()
        kept = sql(db_url, "SELECT tag_id, added, user_id FROM message_tag_corrections "
                           "ORDER BY tag_id")
        assert kept == [[str(pension), "0", str(me)], [str(klagomal), "1", str(me)]], kept

        # The comment is edited on Facebook: the tag rules read it again and
        # match 'pension*', but the moderator's word stands.
        raw, h = comment("9001_1", "Var är min pension? Den har inte kommit.")
        assert s.client().request("POST", "/hooks/meta", raw=raw, headers=h).status == 200
        got = mod.get(f"{api}/messages/{m1['id']}").json()
        assert got["body"].endswith("inte kommit.") and got["tag_ids"] == [klagomal], got
        # Another message still gets the tag from the same rule.
        assert msgs["9001_3"]["tag_ids"] == [pension]

        # A sentiment correction of another message.
        r = mod.request("PATCH", f"{api}/messages/{msgs['9001_2']['id']}", {"sentiment": "pos"})
        assert r.status == 200, r.json()
        a = mod.get(f"{api}/learner/agreement?days=30").json()
        assert a["messages"] == 4 and a["days"] == 30, a
        assert a["tags"] == {"corrected": 1, "agreement": 0.75}, a
        assert a["sentiment"] == {"corrected": 1, "agreement": 0.75}, a
        assert mod.get(f"{api}/learner/agreement?days=0").status == 400
        assert mod.get(f"{api}/learner/agreement?weeks=1").status == 400
    finally:
        code, log = s.stop()
        assert code == 0, log
