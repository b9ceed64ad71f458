"""Bulk moderation against the Threads fake (tests/fakes/threads.py), on
SQLite and PostgreSQL: a spam wave found by the inbox's filter is hidden on
the platform by the worker in `kanal serve` (one action each), a message
whose channel cannot hide (TikTok) is skipped with why, the limit is kept
and said, and the operation is undone by its id (through the API and the
CLI), each message shown again on the platform and in the inbox."""
import time

import pytest

from conftest import Server, add_users, run_kanal
from test_connect_tiktok_threads import Fake, connect, env_for, sql


@pytest.fixture
def threads():
    f = Fake("threads")
    yield f
    f.stop()


@pytest.fixture
def key():
    return run_kanal("secret-key").stdout.strip()


def wait_for(what, seconds=30):
    deadline = time.time() + seconds
    while time.time() < deadline:
        got = what()
        if got:
            return got
        time.sleep(0.2)
    raise AssertionError("timed out")


def settled(c, bulk_id, which="counts"):
    def check():
        op = c.get("/api/v1/workspaces/1/moderation/bulk/%d" % bulk_id).json()
        n = op[which]
        return op if n["queued"] + n["sent"] + n["unknown"] == 0 else None
    return wait_for(check)


def test_bulk_hide_and_undo_through_the_worker(db_url, threads, key, tmp_path):
    env = env_for("threads", threads, key, "/oauth/authorize", "kanal-threads", "th-secret")
    ch, _ = connect(db_url, "threads", threads, env)
    threads.control("state", {"seed_replies": 6})
    run_kanal("sync", "--db", db_url, env=env)
    spam = sql(db_url, "SELECT id, platform_id FROM messages WHERE channel_id = %d AND is_own = 0 "
                       "AND body LIKE 'Svar nummer%%' ORDER BY id" % ch)
    assert len(spam) == 6, spam
    # A TikTok comment in the same wave: TikTok's API cannot hide it.
    sql(db_url, "INSERT INTO channels (workspace_id, platform, handle, name, created_at, "
                "updated_at) VALUES (1, 'tiktok', '@kanal', 'TikTok', 0, 0)")
    sql(db_url, "INSERT INTO messages (workspace_id, channel_id, kind, platform_id, author_name, "
                "body, created_at, received_at, updated_at) SELECT 1, id, 'comment', 'tt-1', "
                "'Spam', 'Svar nummer 99', 1, 1, 1 FROM channels WHERE platform = 'tiktok'")
    tiktok_msg = int(sql(db_url, "SELECT id FROM messages WHERE platform_id = 'tt-1'")[0][0])
    add_users(db_url)
    s = Server(db_url, str(tmp_path), extra_args=("--sync-every", "3600"), env=env)
    try:
        c = s.client()
        assert c.login("moderator@example.org").status == 201
        base = "/api/v1/workspaces/1/moderation/bulk"
        # Bad input: each error names its field, nothing is queued.
        for body, field in [({"action": "delete", "filter": {}}, "action"),
                            ({"action": "hide"}, "filter"),
                            ({"action": "hide", "filter": {"lang": "de"}}, "filter.lang"),
                            ({"action": "hide", "filter": {}, "limit": 501}, "limit"),
                            ({"action": "hide", "message_ids": ["x"]}, "message_ids")]:
            r = c.post(base, body)
            assert r.status == 400 and r.json()["error"]["field"] == field, (body, r.json())
        assert sql(db_url, "SELECT count(*) FROM connect_actions") == [["0"]]
        assert c.login("analyst@example.org").status == 201
        assert c.post(base, {"action": "hide", "filter": {}}).status == 403
        assert c.login("moderator@example.org").status == 201

        # A dry run says what it would hide and queues nothing.
        r = c.post(base, {"action": "hide", "filter": {"q": "svar nummer"}, "dry_run": True})
        assert r.status == 200 and r.json()["matched"] == 7, r.json()
        assert sorted(r.json()["message_ids"]) == sorted([int(i) for i, _ in spam] + [tiktok_msg])
        assert sql(db_url, "SELECT count(*) FROM connect_actions") == [["0"]]
        # At most `limit`, newest first, and the answer says more were found.
        r = c.post(base, {"action": "hide", "reason": "spam wave", "limit": 2,
                          "filter": {"q": "svar nummer"}})
        assert r.status == 201, r.json()
        first = r.json()
        assert first["matched"] == 2 and first["more"] is True and first["limit"] == 2, first
        # The rest of the wave (hidden ones are not found again), TikTok's too.
        r = c.post(base, {"action": "hide", "reason": "spam wave", "filter": {"q": "svar nummer"}})
        assert r.status == 201, r.json()
        second = r.json()
        assert second["matched"] == 5 and second["more"] is False, second
        skipped = [i for i in second["items"] if i["state"] == "skipped"]
        assert [i["message_id"] for i in skipped] == [tiktok_msg], second
        assert "TikTok cannot hide" in skipped[0]["error"], skipped
        assert second["counts"]["skipped"] == 1

        for op in (first, second):
            done = settled(c, op["id"])
            assert done["counts"]["failed"] == 0 and done["counts"]["done"] == \
                op["matched"] - op["counts"]["skipped"], done
        assert threads.control("state", {})["hidden"] == sorted(p for _, p in spam)
        listed = c.get("/api/v1/workspaces/1/messages?status=hidden&limit=50").json()["items"]
        assert sorted(m["id"] for m in listed) == sorted(int(i) for i, _ in spam)
        # The reason is kept, once per message.
        assert sql(db_url, "SELECT count(*) FROM audit_log WHERE action = 'hide' AND "
                           "detail = 'hide on threads: spam wave'") == [["6"]]
        # Undo before the hides are done would be refused; now it shows again
        # exactly what the operation hid.
        r = c.post(base + "/%d/undo" % second["id"], {})
        assert r.status == 200, r.json()
        undone = settled(c, second["id"], "undo_counts")
        assert undone["undone_at"] and undone["undo_counts"]["done"] == 4, undone
        assert c.post(base + "/%d/undo" % second["id"], {}).status == 409
        by_id = {int(i): p for i, p in spam}
        hidden = threads.control("state", {})["hidden"]
        assert hidden == sorted(by_id[i["message_id"]] for i in first["items"]), (hidden, spam)
        listed = c.get(base).json()["items"]
        assert [o["id"] for o in listed] == [second["id"], first["id"]], listed
    finally:
        code, log = s.stop()
    assert code == 0, log
    # The CLI: the first operation shown and undone by its id.
    out = run_kanal("messages", "bulk", "--db", db_url, "--workspace", "1", "--bulk",
                    str(first["id"]), env=env).stdout
    assert out.startswith("bulk %d: hide 2 messages, the filter found more (queued 0, done 2,"
                          % first["id"]), out
    out = run_kanal("messages", "bulk", "--db", db_url, "--workspace", "1", "--bulk",
                    str(first["id"]), "--undo", "--as", "moderator@example.org", env=env).stdout
    assert "undone: unhide queued 2" in out, out
    p = run_kanal("messages", "bulk", "--db", db_url, "--workspace", "1", "--ids", "1,x",
                  "--reason", "r", check=False)
    assert p.returncode == 1 and "--ids: 'x' is not a message id" in p.stderr, p.stderr
