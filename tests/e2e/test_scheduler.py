"""The scheduler and the crisis switch against the Mastodon fake
(tests/fakes/mastodon.py), on SQLite and PostgreSQL: a variant the desk
scheduled is posted by `kanal serve` at its time; a 429's Retry-After is
waited out; an answer dropped after the post was made is looked up, not
posted again; a late post is held per the workspace's policy; a pause holds a
due post and the resume publishes it; and two `kanal serve` on one
PostgreSQL post many due variants each exactly once, also when one of them
is killed with SIGKILL midway."""
import datetime
import os
import signal
import time

import pytest

from conftest import Server, run_kanal, migrated_with_users
from test_sync import TOKEN, Fake, sql  # noqa: F401 (the fake and the store's helper)

WS = "kommunen"


@pytest.fixture
def fake():
    f = Fake()
    yield f
    f.stop()


@pytest.fixture
def key():
    return run_kanal("secret-key").stdout.strip()


@pytest.fixture
def channel(db_url, fake, key):
    """A workspace with users of every role and a Mastodon channel connected
    to the fake (its connection row as the OAuth flow writes it)."""
    me = fake.control("state", {"token": TOKEN})
    migrated_with_users(db_url)
    sql(db_url, "INSERT INTO workspaces (name, slug, created_at, updated_at) VALUES "
                "('Kommunen', '%s', 0, 0)" % WS)
    sql(db_url, "INSERT INTO channels (workspace_id, platform, handle, name, platform_id, "
                "created_at, updated_at) VALUES (1, 'mastodon', '%s', 'Kanal', '%s', 0, 0)"
        % (me["acct"], me["account_id"]))
    sql(db_url, "INSERT INTO channel_connections (channel_id, api_url, connected_at, updated_at) "
                "VALUES (1, '%s', 0, 0)" % fake.base)
    run_kanal("channel-token", "set", "1", "--db", db_url, stdin=TOKEN + "\n",
              env={"KANAL_SECRET_KEY": key})
    return 1


def iso(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def desk(db_url, *args, check=True):
    return run_kanal(*args, "--db", db_url, "--workspace", WS, check=check)


def scheduled(db_url, text, lead, at=None):
    """A post written, submitted, approved and scheduled through the CLI
    `lead` seconds after it is approved (or at `at`, Unix seconds). The time
    is taken after the first three commands, which take seconds of their
    own under ASan. Returns its variant's id and the time."""
    out = desk(db_url, "post", "add", "--as", "author@example.org", "--body", text,
               "--channel", "1", "--at", iso(int(time.time()) + 3600)).stdout
    pid = out.split("\t")[0]
    desk(db_url, "post", "submit", "--post", pid, "--as", "author@example.org")
    desk(db_url, "post", "approve", "--post", pid, "--as", "editor@example.org")
    if at is None:
        at = int(time.time()) + lead
    desk(db_url, "post", "schedule", "--post", pid, "--at", iso(at))
    return int(sql(db_url, "SELECT id FROM post_variants WHERE post_id = %s" % pid)[0][0]), at


def variant(db_url, vid):
    return sql(db_url, "SELECT status, COALESCE(platform_id, ''), COALESCE(permalink, ''), "
                       "hold_reason, publish_error FROM post_variants WHERE id = %d" % vid)[0]


def wait_for(what, seconds=30):
    end = time.time() + seconds
    while time.time() < end:
        v = what()
        if v:
            return v
        time.sleep(0.2)
    raise AssertionError("timed out waiting")


def serve(db_url, tmp_path, key, *extra):
    return Server(db_url, str(tmp_path), extra_args=("--sync-every", "0", *extra),
                  env={"KANAL_SECRET_KEY": key})


def audit_actions(db_url):
    return [r[0] for r in sql(db_url, "SELECT action FROM audit_log ORDER BY id")]


def test_serve_posts_a_scheduled_variant_at_its_time(db_url, fake, key, channel, tmp_path):
    vid, at = scheduled(db_url, "Öppet hus på lördag klockan tio", 6)
    s = serve(db_url, tmp_path, key)
    try:
        time.sleep(max(0, at - time.time() - 1.5))
        assert fake.posts() == [], "posted before its time"
        got = wait_for(lambda: (lambda v: v if v[0] == "published" else None)(variant(db_url, vid)))
        sent = time.time()
    finally:
        code, log = s.stop()
    assert code == 0, log
    assert sent >= at and sent - at < 5, (sent, at)
    posts = fake.posts()
    assert len(posts) == 1
    assert posts[0]["headers"].get("Idempotency-Key", "").startswith("kanal-variant-%d-" % vid)
    texts = fake.control("state", {"own_texts": True})["own_texts"]
    assert texts.count("Öppet hus på lördag klockan tio") == 1
    assert got[1] and got[2].startswith("https://"), got
    actions = audit_actions(db_url)
    assert "publish_start" in actions and "published" in actions, actions
    assert sql(db_url, "SELECT status FROM posts")[0][0] == "published"


def test_rate_limit_retry_after_is_waited_out(db_url, fake, key, channel, tmp_path):
    fake.control("script", {"method": "POST", "path": "/api/v1/statuses", "times": 1,
                            "status": 429, "body": {"error": "Too many requests"},
                            "headers": {"Retry-After": "3"}})
    vid, at = scheduled(db_url, "Väntar ut gränsen", 4)
    s = serve(db_url, tmp_path, key)
    try:
        wait_for(lambda: len(fake.posts()) >= 1)
        refused = time.time()
        wait_for(lambda: variant(db_url, vid)[0] == "published")
        done = time.time()
    finally:
        code, log = s.stop()
    assert code == 0, log
    assert len(fake.posts()) == 2  # the refused one and the one after the wait
    assert done - refused >= 2.5, done - refused  # not before Retry-After
    assert "429" in sql(db_url, "SELECT last_error FROM jobs WHERE kind = 'action'")[0][0]


def test_dropped_answer_is_looked_up_not_posted_twice(db_url, fake, key, channel):
    fake.control("script", {"method": "POST", "path": "/api/v1/statuses", "times": 1,
                            "drop": True, "after": True})
    vid, at = scheduled(db_url, "Ett svar som tappas", 2)
    time.sleep(max(0, at - time.time()) + 0.2)
    env = {"KANAL_SECRET_KEY": key}
    p = run_kanal("publish", "run", "--db", db_url, env=env)
    assert "0 published" in p.stdout and "1 waiting" in p.stdout, p.stdout
    assert sql(db_url, "SELECT state FROM connect_actions")[0][0] == "unknown"
    # The retry falls due (its backoff is 30 s; the test does not wait it out).
    sql(db_url, "UPDATE jobs SET run_after = 0 WHERE state = 'queued'")
    p = run_kanal("publish", "run", "--db", db_url, env=env)
    assert "1 published" in p.stdout, p.stdout
    assert variant(db_url, vid)[0] == "published"
    texts = fake.control("state", {"own_texts": True})["own_texts"]
    assert texts.count("Ett svar som tappas") == 1


def test_rejected_post_fails_with_the_platforms_words(db_url, fake, key, channel):
    fake.control("script", {"method": "POST", "path": "/api/v1/statuses", "times": 1,
                            "status": 422, "body": {"error": "Validation failed: Text is spam"}})
    vid, at = scheduled(db_url, "Avvisas", 2)
    time.sleep(max(0, at - time.time()) + 0.2)
    p = run_kanal("publish", "run", "--db", db_url, env={"KANAL_SECRET_KEY": key}, check=False)
    assert p.returncode == 1 and "1 failed" in p.stdout, p.stdout
    v = variant(db_url, vid)
    assert v[0] == "failed" and "Text is spam" in v[4], v
    assert "publish_failed" in audit_actions(db_url)


def test_late_posts_held_per_policy(db_url, fake, key, channel):
    out = desk(db_url, "publish", "settings", "--late-policy", "hold", "--late-after", "1").stdout
    assert "late_policy hold" in out, out
    vid, at = scheduled(db_url, "Kom för sent", 2)
    time.sleep(max(0, at - time.time()) + 2.5)  # kanal was "down" past its time
    p = run_kanal("publish", "run", "--db", db_url, env={"KANAL_SECRET_KEY": key})
    assert "1 held" in p.stdout, p.stdout
    v = variant(db_url, vid)
    assert v[0] == "approved" and "holds late posts" in v[3], v
    assert fake.posts() == []
    assert "hold" in audit_actions(db_url)
    # Bad settings: a clear error naming the field, nothing changed.
    r = desk(db_url, "publish", "settings", "--late-policy", "sometimes", check=False)
    assert r.returncode == 2 and "late_policy" in r.stderr, r.stderr


def test_pause_holds_a_due_post_and_resume_publishes_it(db_url, fake, key, channel, tmp_path):
    s = serve(db_url, tmp_path, key)
    try:
        editor = s.client()
        assert editor.login("editor@example.org").status == 201
        author = s.client()
        assert author.login("author@example.org").status == 201
        r = author.post("/api/v1/workspaces/1/publishing/pause", {"reason": "x"})
        assert r.status == 403, r
        r = editor.post("/api/v1/workspaces/1/publishing/pause", {"channels": [1]})
        assert r.status == 400 and r.json()["error"]["field"] == "reason", r
        r = editor.post("/api/v1/workspaces/1/publishing/pause",
                        {"reason": "x", "channels": [99]})
        assert r.status == 400 and r.json()["error"]["field"] == "channels", r
        r = editor.post("/api/v1/workspaces/1/publishing/pause",
                        {"reason": "Olyckan i centrum: inga glada inlägg i dag"})
        assert r.status == 201 and r.json()["paused"] is True, r
        seen = author.get("/api/v1/workspaces/1/publishing/pause").json()
        assert seen["items"][0]["reason"].startswith("Olyckan i centrum"), seen
        vid, at = scheduled(db_url, "Glad fredag!", 3)
        time.sleep(max(0, at - time.time()) + 2.5)
        assert variant(db_url, vid)[0] == "scheduled" and fake.posts() == []
        r = editor.post("/api/v1/workspaces/1/publishing/resume", {})
        assert r.status == 400 and r.json()["error"]["field"] == "late", r
        r = editor.post("/api/v1/workspaces/1/publishing/resume",
                        {"late": "reschedule"})
        assert r.status == 400 and r.json()["error"]["field"] == "at", r
        r = editor.post("/api/v1/workspaces/1/publishing/resume", {"late": "publish_now"})
        assert r.status == 200 and r.json()["late_posts"] == 1 and r.json()["paused"] is False, r
        wait_for(lambda: variant(db_url, vid)[0] == "published")
        r = editor.post("/api/v1/workspaces/1/publishing/resume", {"late": "hold"})
        assert r.status == 409, r
    finally:
        code, log = s.stop()
    assert code == 0, log
    assert len(fake.posts()) == 1
    rows = sql(db_url, "SELECT action, user_id, detail FROM audit_log WHERE action IN "
                       "('pause', 'resume') ORDER BY id")
    assert [r[0] for r in rows] == ["pause", "resume"]
    editor_id = sql(db_url, "SELECT id FROM users WHERE email = 'editor@example.org'")[0][0]
    assert rows[0][1] == editor_id and "Olyckan i centrum" in rows[0][2], rows


def test_cli_pause_until_and_resume_hold(db_url, fake, key, channel):
    until = iso(int(time.time()) + 3600)
    out = desk(db_url, "publish", "pause", "--as", "admin@example.org", "--channel", "1",
               "--reason", "Stormen", "--until", until).stdout
    assert "channel" in out and "Stormen" in out and until in out, out
    vid, at = scheduled(db_url, "Efter stormen", 2)
    time.sleep(max(0, at - time.time()) + 0.5)
    p = run_kanal("publish", "run", "--db", db_url, env={"KANAL_SECRET_KEY": key})
    assert "0 published" in p.stdout and variant(db_url, vid)[0] == "scheduled", p.stdout
    out = desk(db_url, "publish", "resume", "--as", "admin@example.org", "--late", "hold").stdout
    assert "1 post whose time passed" in out, out
    v = variant(db_url, vid)
    assert v[0] == "approved" and "pause" in v[3], v
    assert fake.posts() == []


def bulk_scheduled(db_url, n, at):
    """n approved, scheduled variants due at `at`, written straight into the
    store (the desk's steps for each would take longer than the scheduler)."""
    sql(db_url, "INSERT INTO posts (workspace_id, body, status, at, created_at, updated_at) "
                "SELECT 1, 'Massutskick ' || g, 'scheduled', %d, 0, 0 FROM %s"
        % (at, gen(db_url, n)))
    sql(db_url, "INSERT INTO post_variants (post_id, channel_id, status, scheduled_at, "
                "created_at, updated_at) SELECT id, 1, 'scheduled', %d, 0, 0 FROM posts "
                "WHERE body LIKE 'Massutskick %%'" % at)


def gen(db_url, n):
    if db_url.startswith("postgresql://"):
        return "generate_series(1, %d) AS g" % n
    return ("(WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < %d) "
            "SELECT g FROM s)" % n)


MANY = int(os.environ.get("KANAL_TEST_DUE_VARIANTS", "1000"))


def test_two_nodes_post_each_due_variant_once_even_when_one_is_killed(db_url, fake, key,
                                                                       channel, tmp_path):
    if not db_url.startswith("postgresql://"):
        pytest.skip("several nodes share one store only on PostgreSQL")
    # Mastodon allows 300 calls per window per account; this test is about
    # exactly once, not about waiting for the window, so the fake allows more.
    fake.control("state", {"rate_limit": 100 * MANY})
    # Each post takes the fake 20 ms.
    busy = {"method": "POST", "path": "/api/v1/statuses", "times": 10 * MANY, "delay_ms": 20}
    fake.control("script", busy)
    bulk_scheduled(db_url, MANY, int(time.time()))
    # A lease longer than the stall below, so only the killed node's jobs run out.
    a = serve(db_url, tmp_path, key, "--lease", "10", "--click-log", str(tmp_path / "a.clicks"))
    b = serve(db_url, tmp_path, key, "--lease", "10", "--click-log", str(tmp_path / "b.clicks"))
    try:
        wait_for(lambda: len(fake.posts()) >= MANY // 3, seconds=120)
        # Hold every worker thread of both nodes (two each) inside a post,
        # then kill one node: its two posts are made at the platform but
        # their answers are lost, whatever the machine's load.
        stall = 8000
        fake.control("reset")
        fake.control("script", {"method": "POST", "path": "/api/v1/statuses", "times": 4,
                                "delay_ms": stall})
        fake.control("script", busy)
        wait_for(lambda: sum(1 for e in fake.control("log")
                             if e.get("scripted", {}).get("delay_ms") == stall) == 4, seconds=6)
        a.proc.send_signal(signal.SIGKILL)
        a.proc.wait()
        wait_for(lambda: int(sql(db_url, "SELECT count(*) FROM post_variants WHERE status = "
                                         "'published'")[0][0]) == MANY, seconds=180)
    finally:
        a.log.close()
        code, log = b.stop()
    assert code == 0, log
    # The survivor took the dead node's jobs back and asked the platform
    # about both posts it was sending before sending either again. Both had
    # been made, but the account has made hundreds of statuses since, more
    # than a lookup reads: then the answer is sending it again under its
    # Idempotency-Key, which the platform answers with the status it made.
    assert "took back" in log, log
    asked = (log.count("had been done at Mastodon: not sent again")
             + log.count("sent again under its Idempotency-Key"))
    assert asked == 2, log
    texts = fake.control("state", {"own_texts": True})["own_texts"]
    mine = [t for t in texts if t.startswith("Massutskick ")]
    assert len(mine) == MANY and len(set(mine)) == MANY, (len(mine), len(set(mine)))
    assert sql(db_url, "SELECT count(*) FROM post_variants WHERE status <> 'published'") == [["0"]]


def test_change_after_hand_over_takes_the_action_back_or_says_it_is_sent(db_url, fake, key,
                                                                          channel, tmp_path):
    """The window between the scheduler handing a variant over and a worker
    sending it, held open deterministically: the channel needs reconnecting,
    so its action job waits in the queue (job_claim passes it over)."""
    sql(db_url, "UPDATE channel_connections SET state = 'needs_reconnect', problem = 'test'")
    one, at = scheduled(db_url, "Första inlägget", 10)
    two, _ = scheduled(db_url, "Andra inlägget", None, at=at)
    post_of = {v: int(sql(db_url, "SELECT post_id FROM post_variants WHERE id = %d" % v)[0][0])
               for v in (one, two)}
    s = serve(db_url, tmp_path, key)
    try:
        wait_for(lambda: sql(db_url, "SELECT count(*) FROM post_variants WHERE action_id IS NOT "
                                     "NULL")[0][0] == "2")
        editor = s.client()
        assert editor.login("editor@example.org").status == 201
        # Handed over, not sent: the edit takes the action back.
        r = editor.patch("/api/v1/workspaces/1/posts/%d/variants/%d" % (post_of[one], one),
                         {"body": "Första inlägget, rättat"})
        assert r.status == 200, r
        assert variant(db_url, one)[0] == "in_review"
        assert sql(db_url, "SELECT count(*) FROM post_variants WHERE action_id IS NULL AND "
                           "id = %d" % one)[0][0] == "1"
        rows = sql(db_url, "SELECT j.state, a.state, j.last_error FROM jobs j JOIN "
                           "connect_actions a ON j.dedup_key = 'action:' || a.id "
                           "WHERE a.key = 'kanal-variant-%d-1'" % one)
        assert rows[0][:2] == ["failed", "failed"] and "edited on the desk" in rows[0][2], rows
        # A worker has the other one: the unschedule is refused, nothing changes.
        sql(db_url, "UPDATE jobs SET state = 'running', lease_owner = 'w', lease_until = %d "
                    "WHERE state = 'queued' AND kind = 'action'" % (time.time() + 600))
        r = editor.post("/api/v1/workspaces/1/posts/%d/unschedule" % post_of[two],
                        {"variant_id": two})
        assert r.status == 409 and "being sent right now" in r.json()["error"]["message"], r
        assert variant(db_url, two)[0] == "scheduled"
        r = editor.post("/api/v1/workspaces/1/publishing/pause", {"reason": "Olycka"})
        assert r.status == 201, r
        assert r.json()["withdrawn"] == 0 and \
            [x["variant_id"] for x in r.json()["sending"]] == [two], r
    finally:
        code, log = s.stop()
    assert code == 0, log
    assert fake.posts() == []
    assert "unschedule" not in audit_actions(db_url)
