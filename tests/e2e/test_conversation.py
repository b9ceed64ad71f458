"""A message's conversation, on SQLite and PostgreSQL: a thread written by
Meta webhooks (the page's post, comments, a reply, the page's own answer,
a reply that came before its parent, the same person on another page), the
conversation API around one message of it, private notes whose @mentions
notify the colleagues named (in-app, e-mail to a local sink, the webhook),
and presence seen across two `kanal serve` on one store. The payloads are
written here in the shape of Meta's feed changes (not ../shared/data)."""
import hashlib
import hmac
import json
import time

import pytest

from conftest import Server, add_users, run_kanal, free_port, PASSWORD, migrated_with_users
from notify_sinks import SMTPSink, HookReceiver

SECRET = "conversation-app-secret"
PAGE, PAGE2 = "1234567890321", "5550001112223"


def change(page, value):
    body = {"object": "page", "entry": [{"id": page, "time": value["created_time"],
                                         "changes": [{"field": "feed", "value": value}]}]}
    raw = json.dumps(body, ensure_ascii=False).encode()
    sig = "sha256=" + hmac.new(SECRET.encode(), raw, hashlib.sha256).hexdigest()
    return raw, {"Content-Type": "application/json", "X-Hub-Signature-256": sig}


def comment(page, cid, text, sender, name, at, parent=None, post="9001"):
    return change(page, {"item": "comment", "verb": "add", "comment_id": cid,
                         "post_id": f"{page}_{post}", "parent_id": parent or f"{page}_{post}",
                         "sender_id": sender, "sender_name": name, "created_time": at,
                         "message": text})


def wait_for(what, check, timeout=20):
    end = time.time() + timeout
    while time.time() < end:
        got = check()
        if got:
            return got
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def desk(db_url, tmp_path):
    migrated_with_users(db_url)
    run_kanal("user", "add", "--db", db_url, "--email", "anna.lind@example.org", "--name",
              "Anna Lind", "--role", "moderator", "--password-stdin", stdin=PASSWORD + "\n")
    smtp_port = free_port()
    sink, hook = SMTPSink(smtp_port), HookReceiver()
    env = {"KANAL_SMTP_HOST": "127.0.0.1", "KANAL_SMTP_PORT": str(smtp_port),
           "KANAL_SMTP_FROM": "kanal@example.org"}
    args = ["--meta-app-secret", SECRET, "--meta-verify-token", "v"]
    # Two nodes on one store: what one is told, the other sees.
    a = Server(db_url, str(tmp_path), extra_args=[*args, "--click-log", str(tmp_path / "a.log")],
               env=env)
    b = Server(db_url, str(tmp_path), extra_args=[*args, "--click-log", str(tmp_path / "b.log")],
               env=env)
    a.sink, a.hook, a.other = sink, hook, b
    yield a
    for s in (a, b):
        code, log = s.stop()
        assert code == 0, log
    sink.close()
    hook.close()


def signed_in(server, email):
    c = server.client()
    r = c.login(email)
    assert r.status == 201, r
    return c


def test_conversation_notes_mentions_presence(desk):
    admin = signed_in(desk, "admin@example.org")
    mod = signed_in(desk, "moderator@example.org")
    anna = signed_in(desk.other, "anna.lind@example.org")
    editor = signed_in(desk.other, "editor@example.org")
    analyst = signed_in(desk, "analyst@example.org")
    ids = {who: c.get("/api/v1/session").json()["user"]["id"]
           for who, c in (("mod", mod), ("anna", anna), ("editor", editor))}
    ws = admin.post("/api/v1/workspaces", {"name": "Verket", "slug": "verket"}).json()["id"]
    api = f"/api/v1/workspaces/{ws}"
    for pid, name in ((PAGE, "Verket"), (PAGE2, "Verket Jobb")):
        r = admin.post(f"{api}/channels", {"platform": "facebook", "handle": name.lower(),
                                           "name": name, "platform_id": pid})
        assert r.status == 201, r
    r = admin.request("PUT", f"{api}/notify/webhook",
                      {"url": f"http://127.0.0.1:{desk.hook.port}/kanal"})
    assert r.status == 200, r

    t0 = int(time.time()) - 3600
    hooks = [
        # The page's own post, which the thread is under.
        change(PAGE, {"item": "status", "verb": "add", "post_id": f"{PAGE}_9001",
                      "sender_id": PAGE, "sender_name": "Verket", "created_time": t0,
                      "message": "Nya regler för utbetalning från 1 januari."}),
        # Karin earlier on the other page, and on another post of this one.
        comment(PAGE2, "7001_1", "Finns det lediga jobb?", 4242, "Karin Berg", t0 + 60,
                post="7001"),
        comment(PAGE, "9001_1", "När betalas pensionen ut?", 4242, "Karin Berg", t0 + 600),
        comment(PAGE, "9001_2", "Samma fråga här", 5151, "Sven Ek", t0 + 700),
        # A reply that came before its parent: it waits for 9001_9 by id.
        comment(PAGE, "9001_10", "Jag med!", 6161, "Lisa", t0 + 900, parent="9001_9"),
        comment(PAGE, "9001_3", "Den 25:e varje månad.", 5151, "Sven Ek", t0 + 800,
                parent="9001_1"),
        comment(PAGE, "9001_4", "Hej Karin! Den 25:e, se verket.se/utbetalning.", PAGE,
                "Verket", t0 + 1200, parent="9001_1"),
    ]
    for raw, h in hooks:
        r = desk.client().request("POST", "/hooks/meta", raw=raw, headers=h)
        assert r.status == 200, r
    msgs = {m["platform_id"]: m for m in admin.get(f"{api}/messages?limit=50").json()["items"]}
    karin = msgs["9001_1"]

    r = mod.get(f"{api}/messages/{karin['id']}/conversation")
    assert r.status == 200, r
    c = r.json()
    assert c["message"]["id"] == karin["id"]
    assert c["post"]["body"] == "Nya regler för utbetalning från 1 januari."
    assert c["ancestors"] == [] and c["reply_to"] is None
    assert [m["platform_id"] for m in c["siblings"]] == ["9001_2"]
    assert [m["platform_id"] for m in c["children"]] == ["9001_3", "9001_4"]
    assert [m["platform_id"] for m in c["answers"]] == ["9001_4"]
    assert c["answers"][0]["is_own"] is True
    # Her earlier message on the other page; not the later ones, not others'.
    assert [m["platform_id"] for m in c["author_history"]["items"]] == ["7001_1"]
    assert c["author_history"]["more"] is False
    assert c["notes"] == [] and c["presence"] == []

    # From a reply: its parent above it, the post still found through it.
    c = mod.get(f"{api}/messages/{msgs['9001_3']['id']}/conversation").json()
    assert [m["platform_id"] for m in c["ancestors"]] == ["9001_1"]
    assert [m["platform_id"] for m in c["siblings"]] == ["9001_4"]
    assert c["post"]["post_id"] > 0
    # A reply whose parent has not come yet says which one it waits for.
    c = mod.get(f"{api}/messages/{msgs['9001_10']['id']}/conversation").json()
    assert c["reply_to"] == "9001_9" and c["ancestors"] == []
    # Bad input is named.
    r = mod.get(f"{api}/messages/{karin['id']}/conversation?history=0")
    assert r.status == 400 and "history" in r.json()["error"]["message"], r
    assert mod.get(f"{api}/messages/{karin['id']}/conversation?nosuch=1").status == 400
    assert mod.get(f"{api}/messages/999999/conversation").status == 404

    # A note mentioning two colleagues (by e-mail's local part and by first
    # name), an address and an unknown handle that are not mentions.
    text = ("@editor kan du kolla datumet? @Anna ser du detta. Hon skrev till "
            "karin@example.se, inte till @nobody_here.")
    r = mod.post(f"{api}/messages/{karin['id']}/notes", {"body": text})
    assert r.status == 201, r
    note = r.json()
    assert note["body"] == text and note["user_id"] == ids["mod"]
    assert sorted(note["notified"]) == sorted([ids["editor"], ids["anna"]])
    assert [m["user_id"] for m in note["mentions"]] == sorted([ids["editor"], ids["anna"]])
    assert note["unmatched"] == [{"mention": "nobody_here", "ambiguous": False}]
    # In-app, on the other node too.
    for who, c in (("anna", anna), ("editor", editor)):
        (n,) = [n for n in c.get("/api/v1/notifications").json()["items"]
                if n["event"] == "mentioned"]
        assert n["message_id"] == karin["id"] and n["post_id"] is None
        assert n["title"].startswith("moderator@example.org mentioned you")
    assert [n for n in mod.get("/api/v1/notifications").json()["items"]
            if n["event"] == "mentioned"] == []
    # E-mail, and the workspace's webhook once.
    for who in ("editor@example.org", "anna.lind@example.org"):
        (m,) = wait_for(f"the mention e-mail to {who}", lambda: [
            m for rcpts, m in desk.sink.parsed()
            if who in rcpts and m["X-Kanal-Event"] == "mentioned"])
        assert "När betalas pensionen ut?" in m.get_content()
    calls = wait_for("the webhook", lambda: [json.loads(b) for h, b in desk.hook.calls
                                             if h.get("X-Kanal-Event") == "mentioned"])
    assert len(calls) == 1 and calls[0]["message_id"] == karin["id"]
    assert sorted(calls[0]["mentioned"]) == sorted([ids["editor"], ids["anna"]])

    # Quoted display name; mentioning oneself tells nobody.
    r = anna.post(f"{api}/messages/{karin['id']}/notes",
                  {"body": 'Tack @"anna lind" och @moderator'})
    assert r.status == 201, r
    assert r.json()["notified"] == [ids["mod"]]
    assert [m["user_id"] for m in r.json()["mentions"]] == sorted([ids["mod"], ids["anna"]])
    anna_note = r.json()["id"]
    # A first name two people share names nobody.
    run_kanal("user", "add", "--db", desk.db_url, "--email", "anna.berg@example.org", "--name",
              "Anna Berg", "--role", "editor", "--password-stdin", stdin=PASSWORD + "\n")
    r = mod.post(f"{api}/messages/{karin['id']}/notes", {"body": "@Anna?"})
    assert r.status == 201, r
    assert (r.json()["notified"], r.json()["mentions"]) == ([], [])
    assert r.json()["unmatched"] == [{"mention": "Anna", "ambiguous": True}]
    assert mod.delete(f"{api}/messages/{karin['id']}/notes/{r.json()['id']}").status == 200
    # Notes are never sent anywhere: no action queued for the channel.
    ch = karin["channel_id"]
    assert admin.get(f"{api}/channels/{ch}/actions").json()["items"] == []

    # Bad notes, and who may do what.
    for body, why in (({"body": "   "}, "body"), ({"body": "x" * 4001}, "body"),
                      ({"text": "hej"}, "body")):
        r = mod.post(f"{api}/messages/{karin['id']}/notes", body)
        assert r.status == 400 and r.json()["error"]["field"] == why, r
    assert mod.post(f"{api}/messages/999999/notes", {"body": "x"}).status == 404
    assert analyst.post(f"{api}/messages/{karin['id']}/notes", {"body": "x"}).status == 403
    assert [n["id"] for n in analyst.get(f"{api}/messages/{karin['id']}/notes").json()["items"]] \
        == [note["id"], anna_note]
    r = mod.delete(f"{api}/messages/{karin['id']}/notes/{anna_note}")
    assert r.status == 403, r
    assert anna.delete(f"{api}/messages/{karin['id']}/notes/{anna_note}").status == 200
    assert anna.delete(f"{api}/messages/{karin['id']}/notes/{anna_note}").status == 404
    c = mod.get(f"{api}/messages/{karin['id']}/conversation").json()
    assert [n["id"] for n in c["notes"]] == [note["id"]]

    # Presence: the moderator on one node, Anna on the other.
    path = f"{api}/messages/{karin['id']}/presence"
    r = mod.post(path, {"state": "viewing"})
    assert r.status == 200 and r.json()["others"] == [] and r.json()["ttl_seconds"] == 30, r
    r = anna.post(path, {"state": "typing"})
    (o,) = r.json()["others"]
    assert (o["user_id"], o["state"]) == (ids["mod"], "viewing")
    (o,) = mod.post(path, {}).json()["others"]
    assert (o["user_id"], o["name"], o["state"]) == (ids["anna"], "Anna Lind", "typing")
    (o,) = mod.get(f"{api}/messages/{karin['id']}/conversation").json()["presence"]
    assert o["user_id"] == ids["anna"]
    # Another message: nobody there.
    assert mod.post(f"{api}/messages/{msgs['9001_2']['id']}/presence", {}).json()["others"] == []
    r = mod.post(path, {"state": "sleeping"})
    assert r.status == 400 and r.json()["error"]["field"] == "state", r
    assert mod.post(f"{api}/messages/999999/presence", {}).status == 404
    # Anna leaves: the moderator is alone again.
    assert anna.delete(path).status == 200
    assert mod.post(path, {"state": "viewing"}).json()["others"] == []


def test_cli_conversation_and_note(sqlite_url, tmp_path):
    run_kanal("demo", "--db", sqlite_url, "--end", "2026-11-01", "--days", "20")
    add_users(sqlite_url)
    msgs = [json.loads(l) for l in run_kanal(
        "messages", "list", "--db", sqlite_url, "--workspace", "1", "--status", "answered",
        "--limit", "5").stdout.splitlines()]
    m = next(x for x in msgs if not x["is_own"])
    out = run_kanal("messages", "conversation", "--db", sqlite_url, "--workspace", "1",
                    "--message", str(m["id"]), "--limit", "3")
    c = json.loads(out.stdout)
    assert c["message"]["id"] == m["id"] and c["answers"] and c["post"]
    assert len(c["author_history"]["items"]) <= 3
    out = run_kanal("messages", "note", "--db", sqlite_url, "--workspace", "1", "--message",
                    str(m["id"]), "--text", "@editor ring henne", "--as", "moderator@example.org")
    note = json.loads(out.stdout)
    assert note["body"] == "@editor ring henne" and len(note["notified"]) == 1
    c = json.loads(run_kanal("messages", "conversation", "--db", sqlite_url, "--workspace", "1",
                             "--message", str(m["id"])).stdout)
    assert [n["id"] for n in c["notes"]] == [note["id"]]
    bad = run_kanal("messages", "note", "--db", sqlite_url, "--workspace", "1", "--message",
                    str(m["id"]), "--text", "  ", "--as", "moderator@example.org", check=False)
    assert bad.returncode == 1 and "--text: write the note's text" in bad.stderr, bad.stderr
    bad = run_kanal("messages", "conversation", "--db", sqlite_url, "--workspace", "1",
                    "--message", str(m["id"]), "--limit", "0", check=False)
    assert bad.returncode == 2 and "--limit" in bad.stderr, bad.stderr
