"""Notifications end to end, on SQLite and PostgreSQL: a post submitted for
review reaches the desk by e-mail (a local SMTP sink), by the workspace's
webhook (a local receiver that checks the HMAC) and in the in-app list;
a rejection reaches its author with the reason; with the relay down the
e-mail waits with its error and is delivered later, nothing lost."""
import datetime
import hashlib
import hmac
import json
import time

import pytest

from conftest import Server, run_kanal, free_port, PASSWORD, migrated_with_users
from notify_sinks import SMTPSink, HookReceiver


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
    smtp_port = free_port()
    env = {"KANAL_SMTP_HOST": "127.0.0.1", "KANAL_SMTP_PORT": str(smtp_port),
           "KANAL_SMTP_FROM": "Kanal Desk <kanal@example.org>"}
    sink = SMTPSink(smtp_port)
    hook = HookReceiver()
    s = Server(db_url, str(tmp_path), env=env)
    s.smtp_env, s.sink, s.hook, s.db_url = env, sink, hook, db_url
    yield s
    code, log = s.stop()
    sink.close()
    hook.close()
    assert code == 0, log


def signed_in(server, email):
    c = server.client()
    assert c.login(email).status == 201
    return c


def mails_to(sink, address, event):
    return [m for rcpts, m in sink.parsed() if address in rcpts and m["X-Kanal-Event"] == event]


def test_review_request_reaches_the_desk(desk):
    admin = signed_in(desk, "admin@example.org")
    editor = signed_in(desk, "editor@example.org")
    author = signed_in(desk, "author@example.org")
    ws = admin.post("/api/v1/workspaces", {"name": "Polisen Syd", "slug": "syd"}).json()["id"]
    base = f"/api/v1/workspaces/{ws}"
    ch = admin.post(f"{base}/channels", {"platform": "mastodon", "handle": "p@m.se",
                                         "name": "Mastodon"}).json()["id"]
    # Bad input: a clear 400 naming the field, nothing stored.
    r = admin.request("PUT", f"{base}/notify/webhook", {"url": "ftp://example.org/x"})
    assert r.status == 400 and r.json()["error"]["field"] == "url", r
    assert admin.get(f"{base}/notify/webhook").json()["url"] is None
    assert author.request("PUT", f"{base}/notify/webhook",
                          {"url": "http://127.0.0.1/"}).status == 403
    r = admin.request("PUT", f"{base}/notify/webhook",
                      {"url": f"http://127.0.0.1:{desk.hook.port}/kanal"})
    assert r.status == 200, r
    secret = r.json()["secret"]
    r = editor.request("PUT", "/api/v1/notification-preferences", {"email": {"nosuch": True}})
    assert r.status == 400 and r.json()["error"]["field"] == "email.nosuch", r

    when = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=2)
    r = author.post(f"{base}/posts", {
        "title": "Trafikolycka på E4", "body": "Trafikolycka på E4 vid Kista",
        "variants": [{"channel_id": ch, "scheduled_at": when.strftime("%Y-%m-%dT%H:%M:%SZ")}]})
    assert r.status == 201, r
    pid = r.json()["id"]
    assert author.post(f"{base}/posts/{pid}/submit", {}).status == 200

    # E-mail: to those the rule lets approve (admin, editor), not the author.
    for who in ("admin@example.org", "editor@example.org"):
        (m,) = wait_for(f"the review request e-mail to {who}",
                        lambda: mails_to(desk.sink, who, "review_requested"))
        assert m["Subject"] == "Review requested: Trafikolycka på E4"
        assert m["To"] == who
        assert m["From"] == "Kanal Desk <kanal@example.org>"
        assert m["Date"].datetime.tzinfo is not None
        assert m["Message-ID"].startswith("<kanal.") and m["Message-ID"].endswith("@example.org>")
        assert "=?UTF-8?B?" in desk.sink.messages[0][2].decode()  # the subject went encoded
        text = m.get_content()
        assert "author" in text and "Trafikolycka på E4" in text and "Polisen Syd" in text
    assert not mails_to(desk.sink, "author@example.org", "review_requested")
    assert not mails_to(desk.sink, "moderator@example.org", "review_requested")

    # Webhook: signed over "TIMESTAMP.BODY" with the secret; checked independently here.
    headers, body = wait_for("the webhook call", lambda: desk.hook.calls)[0]
    ts = headers["X-Kanal-Timestamp"]
    assert abs(int(ts) - time.time()) < 300
    want = "sha256=" + hmac.new(secret.encode(), ts.encode() + b"." + body,
                                hashlib.sha256).hexdigest()
    assert hmac.compare_digest(headers["X-Kanal-Signature"], want)
    assert headers["X-Kanal-Event"] == "review_requested"
    event = json.loads(body)
    assert event["event"] == "review_requested" and event["post_id"] == pid
    assert event["workspace_id"] == ws and event["title"] == "Review requested: Trafikolycka på E4"

    # In-app: the editor's list has it unread; marking read works; not another's.
    mine = editor.get("/api/v1/notifications").json()
    assert mine["unread"] == 1
    (n,) = mine["items"]
    assert n["event"] == "review_requested" and n["post_id"] == pid and n["read"] is False
    assert author.get("/api/v1/notifications").json()["items"] == []
    assert author.post(f"/api/v1/notifications/{n['id']}/read", {}).status == 404
    assert editor.post(f"/api/v1/notifications/{n['id']}/read", {}).json()["marked"] == 1
    mine = editor.get("/api/v1/notifications").json()
    assert mine["unread"] == 0 and mine["items"][0]["read"] is True
    assert editor.get("/api/v1/notifications?unread=1").json()["items"] == []
    assert editor.get("/api/v1/notifications?unread=maybe").status == 400

    # A rejection reaches the author, with the reason, everywhere.
    r = editor.post(f"{base}/posts/{pid}/reject", {"comment": "Fel vägnummer: E20"})
    assert r.status == 200, r
    (m,) = wait_for("the rejection e-mail", lambda: mails_to(desk.sink, "author@example.org",
                                                             "rejected"))
    assert m["Subject"] == "Rejected: Trafikolycka på E4"
    assert "Fel vägnummer: E20" in m.get_content()
    (n,) = [n for n in author.get("/api/v1/notifications").json()["items"]
            if n["event"] == "rejected"]
    assert "Fel vägnummer: E20" in n["body"]
    # CLI: the same list, and marking read.
    out = run_kanal("notify", "list", "--db", desk.db_url, "--user", "author@example.org",
                    "--unread").stdout
    assert f"{n['id']}\tunread\trejected\t{pid}\tRejected: Trafikolycka på E4" in out
    run_kanal("notify", "read", "--db", desk.db_url, "--user", "author@example.org", "--all")
    assert author.get("/api/v1/notifications").json()["unread"] == 0
    # Fixed and submitted again, then approved: the author hears of it.
    assert author.post(f"{base}/posts/{pid}/submit", {}).status == 200
    assert editor.post(f"{base}/posts/{pid}/approve", {}).status == 200
    (m,) = wait_for("the approval e-mail", lambda: mails_to(desk.sink, "author@example.org",
                                                            "approved"))
    assert m["Subject"] == "Approved: Trafikolycka på E4"
    assert [n["event"] for n in author.get("/api/v1/notifications?unread=1").json()["items"]] \
        == ["approved"]
    wait_for("every webhook call", lambda: len(desk.hook.calls) == 4)
    assert [h["X-Kanal-Event"] for h, _ in desk.hook.calls] == \
        ["review_requested", "rejected", "review_requested", "approved"]
    sent = admin.get(f"{base}/notify/deliveries?state=sent").json()["items"]
    assert {d["via"] for d in sent} == {"email", "webhook"}
    assert all(d["attempts"] == 1 and d["last_error"] is None for d in sent)


def test_relay_down_is_retried_nothing_lost(desk):
    admin = signed_in(desk, "admin@example.org")
    author = signed_in(desk, "author@example.org")
    ws = admin.post("/api/v1/workspaces", {"name": "Syd", "slug": "syd"}).json()["id"]
    base = f"/api/v1/workspaces/{ws}"
    ch = admin.post(f"{base}/channels", {"platform": "mastodon", "handle": "p@m.se",
                                         "name": "Mastodon"}).json()["id"]
    # The admin wants no e-mail for review requests: the in-app row only.
    r = admin.request("PUT", "/api/v1/notification-preferences",
                      {"email": {"review_requested": False}})
    assert r.status == 200 and r.json()["email"]["review_requested"] is False
    port = desk.sink.port
    desk.sink.close()  # the relay is down
    pid = author.post(f"{base}/posts", {"title": "Väder", "body": "Storm i kväll",
                                        "variants": [{"channel_id": ch}]}).json()["id"]
    assert author.post(f"{base}/posts/{pid}/submit", {}).status == 200  # not held up

    def failed_once():
        items = admin.get(f"{base}/notify/deliveries").json()["items"]
        return [d for d in items if d["attempts"] >= 1] and items
    items = wait_for("a failed attempt", failed_once)
    (d,) = items
    assert d["via"] == "email" and d["target"] == "editor@example.org"
    assert d["state"] == "queued" and d["next_attempt_at"] is not None
    assert "SMTP relay 127.0.0.1" in d["last_error"], d
    out = run_kanal("notify", "deliveries", "--db", desk.db_url, "--workspace", "syd").stdout
    assert "editor@example.org" in out and "SMTP relay" in out
    assert [n["event"] for n in admin.get("/api/v1/notifications").json()["items"]] == \
        ["review_requested"]

    # The relay comes back; the CLI delivers once, without waiting out the backoff.
    sink = SMTPSink(port)
    try:
        smtp = desk.smtp_env
        p = run_kanal("notify", "deliver", "--now", "--db", desk.db_url,
                      "--smtp-host", smtp["KANAL_SMTP_HOST"], "--smtp-port", str(port),
                      "--smtp-from", smtp["KANAL_SMTP_FROM"], check=False)
        assert p.returncode == 0, p.stderr
        (m,) = wait_for("the e-mail after the relay came back",
                        lambda: mails_to(sink, "editor@example.org", "review_requested"))
        assert m["Subject"] == "Review requested: Väder"
        assert not mails_to(sink, "admin@example.org", "review_requested")
        (d,) = admin.get(f"{base}/notify/deliveries").json()["items"]
        assert d["state"] == "sent" and d["attempts"] == 2
    finally:
        sink.close()
    desk.sink = SMTPSink(0)  # for the fixture to close
