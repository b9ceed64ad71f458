"""Connected channels synced and acted on against the Mastodon fake
(tests/fakes/mastodon.py), on SQLite and PostgreSQL: `kanal sync` twice (the
second adds nothing but new snapshots), publish and reply with `kanal act`,
an answer dropped after the post was made reconciled without a second post,
a revoked token turning the channel "needs reconnect" and holding its jobs,
and the worker inside `kanal serve` running queued actions and honouring a
rate limit. The channel's connection row is written here as the OAuth flow
writes it (that flow has its own tests)."""
import json
import os
import sqlite3
import subprocess
import sys
import time
import urllib.parse
import urllib.request

import pytest

from conftest import ROOT, Server, add_users, run_kanal

FAKE = os.path.join(ROOT, "tests", "fakes", "mastodon.py")
TOKEN = "e2e-mastodon-token"


class Fake:
    def __init__(self):
        self.proc = subprocess.Popen([sys.executable, FAKE], stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, text=True)
        line = self.proc.stdout.readline()
        assert line.startswith("listening "), line
        self.base = "http://127.0.0.1:%d" % int(line.split()[1])

    def control(self, what, body=None):
        data = json.dumps(body or {}).encode() if body is not None or what != "log" else None
        req = urllib.request.Request(self.base + "/_fake/" + what, data=data,
                                     method="GET" if data is None else "POST",
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read())

    def posts(self):
        return [e for e in self.control("log")
                if e["method"] == "POST" and e["path"] == "/api/v1/statuses"]

    def stop(self):
        self.proc.kill()
        self.proc.wait()


@pytest.fixture
def fake():
    f = Fake()
    yield f
    f.stop()


def sql(db_url, statement):
    """One statement's rows (as text) on either store."""
    if db_url.startswith("postgresql://"):
        out = subprocess.run(["psql", db_url, "-At", "-F", "\t", "-c", statement],
                             capture_output=True, text=True, check=True)
        return [line.split("\t") for line in out.stdout.splitlines() if line]
    with sqlite3.connect(db_url) as c:
        return [[str(v) for v in row] for row in c.execute(statement).fetchall()]


@pytest.fixture
def key():
    return run_kanal("secret-key").stdout.strip()


@pytest.fixture
def channel(db_url, fake, key):
    """A Mastodon channel connected to the fake: workspace, channel, its
    connection (api_url: the fake) and its sealed token. Returns its id."""
    me = fake.control("state", {"token": TOKEN})
    run_kanal("migrate", "--db", db_url)
    sql(db_url, "INSERT INTO workspaces (name, slug, created_at, updated_at) VALUES "
                "('Kommunen', 'kommunen', 0, 0)")
    sql(db_url, "INSERT INTO channels (workspace_id, platform, handle, name, platform_id, "
                "created_at, updated_at) VALUES (1, 'mastodon', '%s', 'Kanal', '%s', 0, 0)"
        % (me["acct"], me["account_id"]))
    sql(db_url, "INSERT INTO channel_connections (channel_id, api_url, connected_at, updated_at) "
                "VALUES (1, '%s', 0, 0)" % fake.base)
    run_kanal("channel-token", "set", "1", "--db", db_url, stdin=TOKEN + "\n",
              env={"KANAL_SECRET_KEY": key})
    return 1


def kanal(key, *args, check=True):
    return run_kanal(*args, env={"KANAL_SECRET_KEY": key}, check=check)


def count(db_url, table):
    return int(sql(db_url, "SELECT count(*) FROM " + table)[0][0])


def test_sync_twice_second_adds_only_snapshots(db_url, fake, key, channel):
    out = kanal(key, "sync", "--db", db_url).stdout
    assert "channel 1 (mastodon): " in out, out
    assert " 3 posts," in out and " 2 messages," in out and " 1 channel figures" in out, out
    posts, messages = count(db_url, "post_variants"), count(db_url, "messages")
    snapshots = count(db_url, "post_metrics")
    assert (posts, messages) == (3, 2)
    assert snapshots == 3
    assert sql(db_url, "SELECT value FROM sync_cursors WHERE resource = 'statuses'")
    time.sleep(1.1)  # a snapshot is per second: the second sync is a later one
    out = kanal(key, "sync", "--db", db_url, "--channel", "1").stdout
    assert " 0 posts," in out and " 0 messages," in out and " 3 snapshots," in out, out
    assert count(db_url, "post_variants") == posts
    assert count(db_url, "messages") == messages
    assert count(db_url, "post_metrics") == snapshots + 3
    assert sql(db_url, "SELECT synced_at IS NOT NULL, last_error FROM channel_connections") == \
        [["1" if db_url.startswith("postgresql") is False else "t", ""]]


def test_publish_and_reply(db_url, fake, key, channel):
    kanal(key, "sync", "--db", db_url)
    before = fake.control("state", {})["statuses"]
    out = kanal(key, "act", "--db", db_url, "--channel", "1", "publish", "--text",
                "Öppet hus på lördag: https://example.com/oppet-hus", "--now").stdout
    assert out.startswith("action 1 done: "), out
    posted = out.split()[3]
    mention = sql(db_url, "SELECT platform_id FROM messages WHERE body LIKE '%när öppnar%'")[0][0]
    out = kanal(key, "act", "--db", db_url, "--channel", "1", "reply", "--target", mention,
                "--text", "Klockan tio!", "--now").stdout
    assert out.startswith("action 2 done: "), out
    assert fake.control("state", {})["statuses"] == before + 2
    assert sql(db_url, "SELECT state, platform_id FROM connect_actions ORDER BY id")[0] == \
        ["done", posted]
    # Asked again under its key, a done action is not sent again.
    kanal(key, "act", "--db", db_url, "--channel", "1", "hide", "--target", mention,
          "--now", check=False)
    assert len(fake.posts()) == 2


def test_dropped_answer_reconciled_without_duplicate(db_url, fake, key, channel):
    fake.control("script", {"method": "POST", "path": "/api/v1/statuses", "times": 1,
                            "drop": True, "after": True})
    before = fake.control("state", {})["statuses"]
    args = ("act", "--db", db_url, "--channel", "1", "publish", "--key", "launch-post",
            "--text", "Vi lanserar idag!", "--now")
    p = kanal(key, *args, check=False)
    assert p.returncode == 1 and "not done (lost)" in p.stdout, p.stdout + p.stderr
    assert sql(db_url, "SELECT state FROM connect_actions") == [["unknown"]]
    assert fake.control("state", {})["statuses"] == before + 1  # it was made
    out = kanal(key, *args).stdout
    assert out.startswith("action 1 done: "), out
    assert fake.control("state", {})["statuses"] == before + 1  # and only once
    assert len(fake.posts()) == 1


def post_directly(fake, n):
    """n statuses made by the account itself (another tool, a colleague)."""
    for i in range(n):
        req = urllib.request.Request(fake.base + "/api/v1/statuses", method="POST",
                                     data=json.dumps({"status": "Annat inlägg %d" % i}).encode(),
                                     headers={"Authorization": "Bearer " + TOKEN,
                                              "Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as r:
            assert r.status == 200


def test_lost_answer_behind_more_statuses_than_a_lookup_reads(db_url, fake, key, channel):
    """A lookup reads the account's 200 newest statuses. When more were made
    since a lost publish, not finding it is not knowing it was not made:
    within Mastodon's hour of Idempotency-Key it is sent again under that
    key (Mastodon answers with the status made the first time); after the
    hour the action fails and says a person must look."""
    def lost(k):
        fake.control("script", {"method": "POST", "path": "/api/v1/statuses", "times": 1,
                                "drop": True, "after": True})
        args = ("act", "--db", db_url, "--channel", "1", "publish", "--key", k,
                "--text", "Vi lanserar idag, %s!" % k, "--now")
        p = kanal(key, *args, check=False)
        assert p.returncode == 1 and "not done (lost)" in p.stdout, p.stdout + p.stderr
        return args

    first = lost("busy-morning")
    second = lost("busy-evening")
    post_directly(fake, 210)
    before = fake.control("state", {})["statuses"]
    p = kanal(key, *first)
    assert p.stdout.startswith("action 1 done: "), p.stdout
    assert "more than 200 statuses since action busy-morning was first sent" in p.stderr, p.stderr
    assert fake.control("state", {})["statuses"] == before  # the key made it once
    # The second, as if first sent 70 minutes ago: the key is forgotten by now.
    sql(db_url, "UPDATE connect_actions SET first_sent_at = first_sent_at - 4200 "
                "WHERE key = 'busy-evening'")
    calls = len(fake.posts())
    p = kanal(key, *second, check=False)
    assert p.returncode == 1 and "cannot be told: look on Mastodon" in p.stdout, p.stdout
    assert sql(db_url, "SELECT state FROM connect_actions ORDER BY id") == [["done"], ["failed"]]
    assert len(fake.posts()) == calls and fake.control("state", {})["statuses"] == before


def test_revoked_token_needs_reconnect_and_holds_jobs(db_url, fake, key, channel):
    fake.control("state", {"revoke": TOKEN})
    p = kanal(key, "sync", "--db", db_url, check=False)
    assert p.returncode == 1 and "failed (auth)" in p.stdout, p.stdout
    state, problem = sql(db_url, "SELECT state, problem FROM channel_connections")[0]
    assert state == "needs_reconnect"
    assert "The access token is invalid" in problem, problem
    # Its jobs wait: a queued action is not claimed.
    kanal(key, "act", "--db", db_url, "--channel", "1", "publish", "--text", "Hej")
    assert run_kanal("jobs", "claim", "--db", db_url).stdout == ""
    # A sync by hand says why, without calling the platform.
    calls = len(fake.control("log"))
    p = kanal(key, "sync", "--db", db_url, check=False)
    assert "needs reconnecting" in p.stdout and len(fake.control("log")) == calls


def wait_for(what, seconds=20):
    end = time.time() + seconds
    while time.time() < end:
        v = what()
        if v:
            return v
        time.sleep(0.2)
    raise AssertionError("timed out waiting")


def test_worker_in_serve_runs_actions_and_honours_rate_limit(db_url, fake, key, channel,
                                                               tmp_path):
    add_users(db_url)
    s = Server(db_url, str(tmp_path), extra_args=("--sync-every", "1"),
               env={"KANAL_SECRET_KEY": key})
    try:
        c = s.client()
        assert c.login("editor@example.org").status == 201
        # Started, the worker queues the channel's sync at once and runs it.
        conn = wait_for(lambda: (lambda j: j if j.get("synced_at") else None)(
            c.get("/api/v1/workspaces/1/channels/1/connection").json()))
        assert conn["state"] == "connected" and "token" not in json.dumps(conn)
        ch = c.get("/api/v1/workspaces/1/channels/1").json()
        assert ch["connection"]["state"] == "connected"
        r = c.post("/api/v1/workspaces/1/channels/1/actions",
                   {"kind": "publish", "text": "Från skrivbordet"})
        assert r.status == 201, r
        action = r.json()["id"]
        done = wait_for(lambda: (lambda a: a if a["state"] == "done" else None)(
            c.get("/api/v1/workspaces/1/channels/1/actions").json()["items"][0]))
        assert done["id"] == action and done["platform_id"]
        # A moderator answers but does not publish.
        m = s.client()
        assert m.login("moderator@example.org").status == 201
        r = m.post("/api/v1/workspaces/1/channels/1/actions", {"kind": "publish", "text": "x"})
        assert r.status == 403, r
        # The platform says no calls are left: the action waits for its reset.
        fake.control("state", {"rate_remaining": 0})
        r = c.post("/api/v1/workspaces/1/channels/1/actions",
                   {"kind": "publish", "text": "Väntar på gränsen"})
        assert r.status == 201, r
        queued_at = int(time.time())
        run_after = wait_for(lambda: (lambda rows: int(rows[0][0]) if rows else None)(
            sql(db_url, "SELECT run_after FROM jobs WHERE kind = 'action' AND state = 'queued' "
                        "AND last_error LIKE '%(HTTP 429)%'")))
        assert run_after >= queued_at + 30  # the platform's reset, not an immediate retry
        posts = len(fake.posts())
        time.sleep(2)
        assert len(fake.posts()) == posts
        metrics = urllib.request.urlopen(urllib.request.Request(
            s.base + "/metrics", headers={"Authorization": "Bearer metrics-token-for-tests"}),
            timeout=10).read().decode()
        assert 'kanal_channel_connected{channel="1",platform="mastodon",state="connected"} 1' \
            in metrics
        assert 'kanal_channel_last_error_timestamp_seconds{channel="1",platform="mastodon",' \
            in metrics and "Too many requests (HTTP 429)" in metrics
    finally:
        code, log = s.stop()
    assert code == 0, log


def png(width, height, pad=0):
    """A real PNG of width x height grey pixels (and pad bytes of a text chunk)."""
    import struct
    import zlib

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(
            ">I", zlib.crc32(kind + data) & 0xffffffff)
    rows = b"".join(b"\0" + b"\x80" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0,
                                                                0, 0))
            + (chunk(b"tEXt", b"pad\0" + b"x" * pad) if pad else b"")
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def uploads(fake):
    return [e for e in fake.control("log")
            if e["method"] == "POST" and e["path"] == "/api/v2/media"]


def test_image_uploaded_through_the_api_and_published(db_url, fake, key, channel, tmp_path):
    import base64
    import hashlib
    add_users(db_url)
    s = Server(db_url, str(tmp_path), extra_args=("--sync-every", "60", "--max-upload", "4096"),
               env={"KANAL_SECRET_KEY": key})
    try:
        c = s.client()
        assert c.login("editor@example.org").status == 201
        image = png(3, 2)
        url = "/api/v1/workspaces/1/media?alt=" + urllib.parse.quote("Tre grå punkter")
        # Not an image body, not the type it says, too large: each refused, nothing stored.
        r = c.post(url, {"image": "x"})
        assert r.status == 415 and "Content-Type image/" in r.json()["error"]["message"], r
        r = c.request("POST", url, raw=b"hello, not a picture",
                      headers={"Content-Type": "image/png"})
        assert r.status == 400 and r.json()["error"]["field"] == "image", r
        r = c.request("POST", url, raw=b"\xff\xd8\xff\xe0" + b"\0" * 40,
                      headers={"Content-Type": "image/png"})
        assert r.status == 400 and r.json()["error"]["field"] == "content_type", r
        assert "image/jpeg" in r.json()["error"]["message"]
        r = c.request("POST", url, raw=png(3, 2, pad=5000), headers={"Content-Type": "image/png"})
        assert r.status == 413 and "4096 bytes" in r.json()["error"]["message"], r
        assert count(db_url, "media") == 0
        # A real one: its size read from its header, its sum from its bytes.
        r = c.request("POST", url, raw=image, headers={"Content-Type": "image/png"})
        assert r.status == 201, r
        m = r.json()
        assert (m["content_type"], m["width"], m["height"], m["size"]) == \
            ("image/png", 3, 2, len(image))
        assert m["sha256"] == hashlib.sha256(image).hexdigest()
        assert m["alt"] == "Tre grå punkter"
        assert c.get("/api/v1/workspaces/1/media/%d" % m["id"]).json() == m
        assert c.get("/api/v1/workspaces/1/media/%d" % (m["id"] + 99)).status == 404
        # An image goes with a post only, and only one that exists.
        r = c.post("/api/v1/workspaces/1/channels/1/actions",
                   {"kind": "reply", "target": "1", "text": "x", "media_id": m["id"]})
        assert r.status == 400 and "media_id" in r.json()["error"]["message"], r
        r = c.post("/api/v1/workspaces/1/channels/1/actions",
                   {"kind": "publish", "text": "x", "media_id": m["id"] + 99})
        assert r.status == 400 and "no image" in r.json()["error"]["message"], r
        r = c.post("/api/v1/workspaces/1/channels/1/actions",
                   {"kind": "publish", "text": "Med bild", "media_id": m["id"]})
        assert r.status == 201, r
        done = wait_for(lambda: (lambda a: a if a["state"] in ("done", "failed") else None)(
            c.get("/api/v1/workspaces/1/channels/1/actions").json()["items"][0]))
        assert done["state"] == "done", done
        # The platform got the very bytes, with their description, and the post carries them.
        up = uploads(fake)
        assert len(up) == 1
        body = base64.b64decode(up[0]["body_base64"]) if "body_base64" in up[0] else \
            up[0]["body"].encode("latin-1")
        assert image in body and "Tre grå punkter".encode() in body
        post = [e for e in fake.posts() if "Med bild" in e.get("body", "")]
        assert len(post) == 1 and "media_ids" in post[0]["body"]
    finally:
        code, log = s.stop()
    assert code == 0, log


def test_image_published_from_the_cli(db_url, fake, key, channel, tmp_path):
    image = png(5, 4)
    path = tmp_path / "bild.png"
    path.write_bytes(image)
    out = kanal(key, "act", "--db", db_url, "--channel", "1", "--now", "publish", "--text",
                "Bild från terminalen", "--image", str(path), "--alt", "Fem gånger fyra").stdout
    assert "done" in out, out
    assert sql(db_url, "SELECT width, height, alt FROM media") == [["5", "4", "Fem gånger fyra"]]
    assert len(uploads(fake)) == 1
    bad = tmp_path / "inte-bild.png"
    bad.write_text("just text")
    r = kanal(key, "act", "--db", db_url, "--channel", "1", "--now", "publish", "--text", "x",
              "--image", str(bad), check=False)
    assert r.returncode == 1 and "inte-bild.png: image: not a JPEG, PNG, GIF or WebP" in r.stderr, \
        r.stderr
    assert len(uploads(fake)) == 1 and count(db_url, "media") == 1


def test_inbox_answers_and_moderates_through_the_worker(db_url, fake, key, channel, tmp_path):
    kanal(key, "sync", "--db", db_url)
    mention = sql(db_url, "SELECT id, platform_id FROM messages WHERE body LIKE '%öppnar ni%'")
    assert len(mention) == 1
    mid, pid = int(mention[0][0]), mention[0][1]
    add_users(db_url)
    s = Server(db_url, str(tmp_path), extra_args=("--sync-every", "60"),
               env={"KANAL_SECRET_KEY": key})
    try:
        c = s.client()
        assert c.login("moderator@example.org").status == 201
        base = "/api/v1/workspaces/1/messages/%d" % mid
        # Over Mastodon's 500 characters: refused with the count, nothing queued.
        r = c.post(base + "/reply", {"text": "x" * 501})
        assert r.status == 400 and r.json()["error"]["field"] == "text", r
        assert "500" in r.json()["error"]["message"]
        r = c.post(base + "/reply", {"text": "Vi öppnar klockan nio!", "extra": "x"})
        assert r.status == 400, r
        assert c.post("/api/v1/workspaces/1/messages/99999/reply", {"text": "x"}).status == 404
        r = c.post(base + "/reply", {"text": "Vi öppnar klockan nio!", "key": "svar-1"})
        assert r.status == 201, r
        action = r.json()
        done = wait_for(lambda: (lambda a: a if a["state"] in ("done", "failed") else None)(
            c.get("/api/v1/workspaces/1/channels/1/actions").json()["items"][0]))
        assert done["id"] == action["id"] and done["state"] == "done", done
        # Sent once, as an answer to that very status.
        sent = [e for e in fake.posts() if "Vi öppnar klockan nio" in e.get("body", "")]
        assert len(sent) == 1 and pid in sent[0]["body"], sent
        # The message has its answer now, counted as its first response.
        got = c.get(base).json()
        assert got["first_response_at"], got
        own = sql(db_url, "SELECT is_own, parent_id, platform_id FROM messages WHERE "
                          "body = 'Vi öppnar klockan nio!'")
        assert own == [["1", str(mid), done["platform_id"]]], own
        # The same key again is the same action, not a second answer.
        r = c.post(base + "/reply", {"text": "Vi öppnar klockan nio!", "key": "svar-1"})
        assert r.status == 200 and r.json()["id"] == action["id"], r
        # Mastodon cannot hide another account's reply: the action says so,
        # the message stays as it was, and the reason is in the audit log.
        r = c.post(base + "/moderate", {"action": "hide", "reason": "spam"})
        assert r.status == 201, r
        failed = wait_for(lambda: (lambda a: a if a["state"] in ("done", "failed") else None)(
            c.get("/api/v1/workspaces/1/channels/1/actions").json()["items"][0]))
        assert failed["state"] == "failed" and "cannot hide" in failed["error"], failed
        assert c.get(base).json()["status"] != "hidden"
        r = c.post(base + "/moderate", {"action": "archive"})
        assert r.status == 400 and r.json()["error"]["field"] == "action", r
        assert sql(db_url, "SELECT detail FROM audit_log WHERE action = 'hide' AND "
                           "entity = 'message'") == [["hide on mastodon: spam"]]
    finally:
        code, log = s.stop()
    assert code == 0, log
