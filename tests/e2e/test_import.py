"""`kanal import` and the Meta webhook as operators and Meta use them, on
SQLite and PostgreSQL: idempotent re-imports, snapshots over time, rejects
with where and why, whole files rolled back on a fatal error, and webhook
signatures, handshakes and hide/edit/remove."""
import hashlib
import hmac
import json
import os
import shutil
import sqlite3
import subprocess

import pytest

from conftest import SHARED_DATA, Server, run_kanal, migrated_with_users

FEED = os.path.join(SHARED_DATA, "meta", "graph", "posts_feeds_default_fields_p1.json")
HOOKS = os.path.join(SHARED_DATA, "meta", "webhooks")
SECRET = "app-secret-for-tests"
VERIFY = "verify-me"


# A large file into PostgreSQL under a sanitizer on a busy machine takes
# minutes, not seconds: the limit is for a hang, not for speed.
def imp(db_url, *args, check=False, cwd=None):
    return run_kanal("import", "--db", db_url, *args, check=check, cwd=cwd, timeout=600)


def test_import_help_and_usage():
    assert run_kanal("import", "--help").stdout.startswith("usage: kanal import")
    p = run_kanal("import", "--format", "nope", "x", check=False)
    assert p.returncode == 2 and "unknown --format" in p.stderr
    p = run_kanal("import", check=False)
    assert p.returncode == 2


def rows(db_url, sql):
    """The rows of a query on the database kanal wrote, SQLite or PostgreSQL,
    as tuples of text: what is stored, not what kanal says it stored."""
    if db_url.startswith("postgresql://"):
        out = subprocess.run(["psql", db_url, "-AtF", "\t", "-c", sql], check=True,
                             capture_output=True, text=True).stdout
        return [tuple(line.split("\t")) for line in out.splitlines()]
    with sqlite3.connect(db_url) as con:
        return [tuple(str(v) for v in r) for r in con.execute(sql)]


# Every stored row the feed's import leaves: posts with their variants, and
# snapshots with their numbers and time.
STORED = ("SELECT v.platform_id, p.body, v.published_at, m.taken_at, m.reactions, m.comments, "
          "m.shares FROM posts p JOIN post_variants v ON v.post_id = p.id "
          "JOIN post_metrics m ON m.variant_id = v.id ORDER BY v.platform_id, m.taken_at")


def test_import_twice_changes_nothing(db_url, tmp_path):
    feed = tmp_path / "feed.json"
    shutil.copy(shared("meta", "graph", "posts_feeds_default_fields_p1.json"), feed)
    os.utime(feed, (1700000000, 1700000000))
    first = imp(db_url, str(feed), cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "detected format meta-graph" in first.stdout
    assert "posts: 5 inserted, 0 updated, 0 unchanged, 0 rejected" in first.stdout
    assert "metric snapshots: 5 inserted" in first.stdout
    stored = rows(db_url, STORED)
    assert len(stored) == 5 and {r[3] for r in stored} == {"1700000000"}, stored
    # The feed's first post, as the file says (read from it by hand).
    assert ("19292868552_10158349356748553", "1625857792", "125", "13", "10") in {
        (r[0], r[2], r[4], r[5], r[6]) for r in stored}, stored
    again = imp(db_url, str(feed), cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert "posts: 0 inserted, 0 updated, 5 unchanged, 0 rejected" in again.stdout
    assert "metric snapshots: 0 inserted, 0 updated, 5 unchanged, 0 rejected" in again.stdout
    assert rows(db_url, STORED) == stored
    assert rows(db_url, "SELECT COUNT(*) FROM channels") == [("1",)]
    assert rows(db_url, "SELECT COUNT(*) FROM posts") == [("5",)]


def test_a_snapshot_is_dated_by_its_file(db_url, tmp_path):
    # Without --taken-at a snapshot is as old as its file: two files a day
    # apart are two snapshots a day apart, however fast they are imported.
    feed = tmp_path / "feed.json"
    shutil.copy(shared("meta", "graph", "posts_feeds_default_fields_p1.json"), feed)
    os.utime(feed, (1714564800, 1714564800))  # 2024-05-01T12:00:00Z
    assert imp(db_url, str(feed), cwd=tmp_path).returncode == 0
    os.utime(feed, (1714651200, 1714651200))  # a day later
    p = imp(db_url, str(feed), cwd=tmp_path)
    assert p.returncode == 0 and "metric snapshots: 5 inserted" in p.stdout, p.stdout
    got = rows(db_url, "SELECT taken_at, COUNT(*) FROM post_metrics GROUP BY taken_at "
                       "ORDER BY taken_at")
    assert got == [("1714564800", "5"), ("1714651200", "5")], got


def test_newer_snapshot_is_a_new_snapshot_not_a_new_post(db_url, tmp_path):
    p = imp(db_url, "--taken-at", "2024-05-01T12:00:00Z", FEED, cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    # The same posts a day later, one with more reactions.
    data = json.load(open(FEED))
    data["data"][0]["reactions"]["summary"]["total_count"] += 40
    later = tmp_path / "feed-later.json"
    later.write_text(json.dumps(data))
    p = imp(db_url, "--taken-at", "2024-05-02T12:00:00Z", str(later), cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert "posts: 0 inserted, 0 updated, 5 unchanged" in p.stdout
    assert "metric snapshots: 5 inserted, 0 updated, 0 unchanged" in p.stdout


def test_bad_rows_are_rejected_with_line_and_reason(db_url, tmp_path):
    nd = tmp_path / "mixed.ndjson"
    nd.write_text(
        '{"type":"post","platform":"facebook","account_id":"77","id":"p1",'
        '"published_at":"2024-01-02T03:04:05Z","body":"ok","metrics":{"reach":5}}\n'
        '{"type":"post","platform":"facebook","account_id":"77","id":"p2"}\n'
        'this is not json\n'
        '{"type":"message","platform":"facebook","account_id":"77","id":"m1","post_id":"p1",'
        '"created_at":"2024-01-02T05:00:00Z","body":"Hej!"}\n')
    rejects = tmp_path / "rej.tsv"
    p = imp(db_url, "--rejects", str(rejects), str(nd), cwd=tmp_path)
    assert p.returncode == 3, (p.stdout, p.stderr)
    assert "2 rows rejected" in p.stderr
    assert "posts: 1 inserted" in p.stdout and "messages: 1 inserted" in p.stdout
    lines = rejects.read_text().splitlines()
    assert len(lines) == 2
    f, where, reason = lines[0].split("\t")
    assert f == str(nd) and where == "line 2" and "published_at" in reason
    assert lines[1].split("\t")[1] == "line 3" and "not valid JSON" in lines[1]
    # Without --rejects they land in the current directory.
    p = imp(db_url, str(nd), cwd=tmp_path)
    assert p.returncode == 3
    assert (tmp_path / "import-rejects.tsv").exists()


def test_a_fatal_error_stores_nothing_from_that_file(db_url, tmp_path):
    good = ('{"type":"post","platform":"x","account_id":"5","id":"t1",'
            '"published_at":"2024-01-01T00:00:00Z"}\n')
    bad = tmp_path / "bad.ndjson"
    # The second post names no account, so kanal cannot tell its channel.
    bad.write_text(good + '{"type":"post","platform":"x","id":"t2","published_at":"2024-01-01"}\n')
    ok = tmp_path / "ok.ndjson"
    ok.write_text(good)
    p = imp(db_url, str(bad), str(ok), cwd=tmp_path)
    assert p.returncode == 1
    assert f"{bad}: line 2:" in p.stderr and "--channel" in p.stderr
    assert "nothing from this file was stored" in p.stderr
    # The good file still imported, and t1 was new to it: bad.ndjson left nothing.
    assert "posts: 1 inserted" in p.stdout


def large_ndjson(n, orphan_at=None):
    """n posts, each with a comment, over 1 MiB: the size at which kanal
    parses on a second thread while it writes."""
    lines = []
    for i in range(n):
        lines.append(json.dumps({
            "type": "post", "platform": "facebook", "account_id": "88", "id": f"p{i}",
            "published_at": 1700000000 + 60 * i, "format": "photo",
            "body": f"Vi söker nya medarbetare till vår pensionsrådgivning, inlägg {i}. " * 2,
            "metrics": {"reach": i, "impressions": 2 * i}}, ensure_ascii=False))
        lines.append(json.dumps({
            "type": "message", "platform": "facebook", "account_id": "88", "id": f"c{i}",
            "post_id": f"p{i}", "created_at": 1700000100 + 60 * i,
            "body": "Tack, riktigt bra!" if i % 2 else "Huono palvelu, olen pettynyt."},
            ensure_ascii=False))
        if i % 500 == 7:
            lines.append('{"type":"post","platform":"facebook","account_id":"88"}')
        if orphan_at == i:
            lines.append('{"type":"post","platform":"facebook","id":"lost",'
                         '"published_at":1700000000}')
    text = "\n".join(lines) + "\n"
    assert len(text.encode()) > 1 << 20
    return text


def test_a_large_file_imports_whole_and_idempotently(db_url, tmp_path):
    n = 2600
    big = tmp_path / "big.ndjson"
    big.write_text(large_ndjson(n))
    rejects = tmp_path / "rej.tsv"
    p = imp(db_url, "--rejects", str(rejects), str(big), cwd=tmp_path)
    assert p.returncode == 3, (p.stdout, p.stderr)  # rows rejected, the rest stored
    assert f"posts: {n} inserted, 0 updated, 0 unchanged" in p.stdout
    assert f"metric snapshots: {n} inserted" in p.stdout
    assert f"messages: {n} inserted" in p.stdout
    wheres = [line.split("\t")[1] for line in rejects.read_text().splitlines()]
    # In file order: line 17 is the first bad one (after posts 0..7 and their comments).
    assert wheres[0] == "line 17" and len(wheres) == len(range(7, n, 500))
    again = imp(db_url, str(big), cwd=tmp_path)
    assert f"posts: 0 inserted, 0 updated, {n} unchanged" in again.stdout
    assert f"messages: 0 inserted, 0 updated, {n} unchanged" in again.stdout


def test_a_fatal_row_deep_in_a_large_file_stores_nothing(db_url, tmp_path):
    bad = tmp_path / "bad.ndjson"
    bad.write_text(large_ndjson(2600, orphan_at=2000))
    p = imp(db_url, str(bad), cwd=tmp_path)
    assert p.returncode == 1
    # posts 0..2000 with their comments and four bad rows come before it
    assert f"{bad}: line 4007:" in p.stderr and "does not say which page" in p.stderr
    assert "nothing from this file was stored" in p.stderr
    good = tmp_path / "good.ndjson"
    good.write_text(large_ndjson(2600))
    p = imp(db_url, str(good), cwd=tmp_path)
    assert "posts: 2600 inserted" in p.stdout, p.stdout


def test_csv_with_the_uci_mapping(db_url, tmp_path):
    csv = os.path.join(SHARED_DATA, "metrics", "uci-facebook-metrics.csv")
    # This layout names no page, so the file cannot pick its channel itself.
    p = imp(db_url, csv, cwd=tmp_path)
    assert p.returncode == 1 and "--channel" in p.stderr
    nd = tmp_path / "page.ndjson"
    nd.write_text('{"type":"channel_metrics","platform":"facebook","account_id":"139441",'
                  '"account_name":"brand","followers":139441}\n')
    assert imp(db_url, str(nd), cwd=tmp_path).returncode == 0
    p = imp(db_url, "--channel", "1", "--mapping", "uci-facebook-metrics", csv, cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert "detected format csv" in p.stdout
    assert "posts: 500 inserted" in p.stdout and "metric snapshots: 500 inserted" in p.stdout


def test_x_archive_and_mastodon_into_a_channel(db_url, tmp_path):
    archive = tmp_path / "tweets.js"
    archive.write_text(
        'window.YTD.tweets.part0 = [ {\n  "tweet" : {\n    "id_str" : "1050118621198921728",\n'
        '    "full_text" : "Ny rapport om pensionerna",\n'
        '    "created_at" : "Wed Oct 10 20:19:24 +0000 2018",\n'
        '    "favorite_count" : "3", "retweet_count" : "1", "lang" : "sv"\n  }\n} ]\n')
    # An archive does not name its account: without --channel nothing is stored.
    p = imp(db_url, str(archive), cwd=tmp_path)
    assert p.returncode == 1 and "--channel" in p.stderr
    assert "detected format x-archive" in p.stdout
    # Channels from account ids: one for X, one for Mastodon.
    nd = tmp_path / "accounts.ndjson"
    nd.write_text('{"type":"channel_metrics","platform":"x","account_id":"11",'
                  '"account_name":"verket","followers":10}\n'
                  '{"type":"channel_metrics","platform":"mastodon","account_id":"42",'
                  '"account_name":"verket@mastodon.example","followers":5}\n')
    p = imp(db_url, str(nd), cwd=tmp_path)
    assert p.returncode == 0 and "channel metrics: 2 inserted" in p.stdout, p.stdout
    p = imp(db_url, "--channel", "1", str(archive), cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert "posts: 1 inserted" in p.stdout and "metric snapshots: 1 inserted" in p.stdout
    assert "\r" not in p.stderr  # no progress bar when stderr is not a terminal
    statuses = tmp_path / "statuses.json"
    statuses.write_text(json.dumps([
        {"id": "109", "created_at": "2024-02-01T10:00:00.000Z", "content": "<p>V\u00e4lkommen</p>",
         "account": {"id": "42", "acct": "verket"}, "replies_count": 1, "reblogs_count": 2,
         "favourites_count": 3, "media_attachments": []},
        {"id": "110", "created_at": "2024-02-01T11:00:00.000Z", "in_reply_to_id": "109",
         "content": "<p>Tack!</p>", "account": {"id": "7", "acct": "anna@example.social"},
         "media_attachments": []}]))
    p = imp(db_url, "--channel", "2", str(statuses), cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert "detected format mastodon" in p.stdout
    # The account's own status is a post; the reply is a comment in the inbox.
    assert "posts: 1 inserted" in p.stdout and "messages: 1 inserted" in p.stdout
    # A boost is a share, counted and not stored; a mention notification
    # brings its status to the inbox; a favourite is nothing to import.
    notes = tmp_path / "notifications.json"
    notes.write_text(json.dumps([
        {"id": "n1", "type": "mention", "account": {"id": "8"},
         "status": {"id": "111", "created_at": "2024-02-02T09:00:00.000Z",
                    "content": "<p>@verket hur ans\u00f6ker jag?</p>",
                    "account": {"id": "8", "acct": "olle@example.social"}}},
        {"id": "n2", "type": "favourite", "account": {"id": "9"},
         "status": {"id": "109", "content": "x", "account": {"id": "42"}}},
        {"id": "112", "created_at": "2024-02-02T10:00:00.000Z", "content": "",
         "account": {"id": "42", "acct": "verket"}, "reblog": {"id": "99", "content": "<p>x</p>"}}]))
    p = imp(db_url, "--channel", "2", str(notes), cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert "messages: 1 inserted" in p.stdout
    assert "1 retweets or boosts skipped" in p.stdout
    only_favs = tmp_path / "favourites.json"
    only_favs.write_text(json.dumps([n for n in json.loads(notes.read_text())
                                     if n.get("type") == "favourite"]))
    p = imp(db_url, "--channel", "2", str(only_favs), cwd=tmp_path)
    assert p.returncode == 0 and "nothing to import" in p.stdout, p.stdout
    # The account's reply to Olle is its answer, not a post: the report
    # counts the mention answered, twenty minutes after it came.
    answer = tmp_path / "answer.json"
    answer.write_text(json.dumps([
        {"id": "113", "created_at": "2024-02-02T09:20:00.000Z", "in_reply_to_id": "111",
         "in_reply_to_account_id": "8", "content": "<p>@olle Via webben.</p>",
         "account": {"id": "42", "acct": "verket"}}]))
    p = imp(db_url, "--channel", "2", str(answer), cwd=tmp_path)
    assert p.returncode == 0 and "messages: 1 inserted" in p.stdout, p.stdout
    assert "posts:" not in p.stdout
    p = run_kanal("report", "--db", db_url, "--workspace", "imported", "--since", "2024-02-01",
                  "--until", "2024-02-03", "--format", "json", cwd=tmp_path)
    row = [r for r in json.loads(p.stdout)["rows"] if r["key"] == 2][0]
    assert (row["posts"], row["incoming"], row["answered"]) == (1, 2, 1), row
    assert abs(row["median_response_seconds"] - 1200) < 10


def shared(*parts):
    """A file of ../shared/data: the test skips when it is absent, and
    fails when CI is set (CI must run it)."""
    path = os.path.join(SHARED_DATA, *parts)
    if not os.path.exists(path):
        if os.environ.get("CI"):
            pytest.fail(f"{path} is missing and CI is set")
        pytest.skip(f"{path} is missing (the shared real-world data is not beside this clone)")
    return path


def test_a_timeline_of_another_account_is_warned(db_url, tmp_path):
    # X's mentions timeline without expansions names no authors: under the
    # wrong --channel its tweets would silently become that channel's posts.
    mentions = shared("x", "api-v2_timeline_timeline_mentions.json")
    nd = tmp_path / "accounts.ndjson"
    nd.write_text('{"type":"channel_metrics","platform":"x","account_id":"11",'
                  '"account_name":"verket","followers":10}\n'
                  '{"type":"channel_metrics","platform":"x","account_id":"2244994945",'
                  '"account_name":"TwitterDev","followers":10}\n')
    assert imp(db_url, str(nd), cwd=tmp_path).returncode == 0
    p = imp(db_url, "--channel", "1", mentions, cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert "none of its 5 posts is by channel 1 (@verket)" in p.stderr, p.stderr
    assert "name @TwitterDev" in p.stderr, p.stderr
    # Under the account they mention: its inbox, and no warning.
    p = imp(db_url, "--channel", "2", mentions, cwd=tmp_path)
    assert p.returncode == 0 and "messages: 5 inserted" in p.stdout, p.stdout
    assert "none of" not in p.stderr, p.stderr
    # A search answer names its authors: none of them is @verket.
    p = imp(db_url, "--channel", "1", shared("x", "api-v2_searches_search_tweets_query.json"),
            cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert "none of the 4 authors named is channel 1 (@verket)" in p.stderr, p.stderr


# ---- webhooks ----------------------------------------------------------------------------

def sign(body):
    return "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()


def hook_body(name, **changes):
    data = json.load(open(os.path.join(HOOKS, name)))
    data["entry"][0]["changes"][0]["value"].update(changes)
    # Meta escapes non-ASCII; the signature covers these exact bytes.
    return json.dumps(data, ensure_ascii=True).encode()


def post_hook(c, body, signature="default"):
    h = {"Content-Type": "application/json"}
    if signature == "default":
        h["X-Hub-Signature-256"] = sign(body)
    elif signature is not None:
        h["X-Hub-Signature-256"] = signature
    return c.request("POST", "/hooks/meta", raw=body, headers=h)


def hook_server(db_url, tmp_path, secret=True):
    migrated_with_users(db_url)
    args = ["--meta-app-secret", SECRET, "--meta-verify-token", VERIFY] if secret else []
    return Server(db_url, str(tmp_path), extra_args=args)


def messages(admin, ws):
    r = admin.get(f"/api/v1/workspaces/{ws}/messages?limit=200")
    assert r.status == 200, r
    return {m["platform_id"]: m for m in r.json()["items"]}


def test_webhook_handshake_signature_and_changes(db_url, tmp_path):
    s = hook_server(db_url, tmp_path)
    try:
        c = s.client()
        r = c.get(f"/hooks/meta?hub.mode=subscribe&hub.verify_token={VERIFY}&hub.challenge=1158201444")
        assert r.status == 200 and r.body == "1158201444"
        r = c.get("/hooks/meta?hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1")
        assert r.status == 403
        admin = s.client()
        assert admin.login("admin@example.org").status == 201
        ws = admin.post("/api/v1/workspaces", {"name": "Verket", "slug": "verket"}).json()["id"]
        r = admin.post(f"/api/v1/workspaces/{ws}/channels",
                       {"platform": "facebook", "handle": "verket", "name": "Verket",
                        "platform_id": "1234567890321"})
        assert r.status == 201, r
        cid = "900728623356296_900744590021366"
        add = hook_body("feed-comment-edited-25.json", message="F\u00f6rsta versionen")
        assert post_hook(c, add, signature=None).status == 401
        assert post_hook(c, add, signature=sign(add + b" ")).status == 403
        assert post_hook(c, add, signature="sha256=" + "0" * 64).status == 403
        assert not messages(admin, ws)
        r = post_hook(c, add)
        assert r.status == 200, r
        m = messages(admin, ws)[cid]
        assert m["body"] == "F\u00f6rsta versionen" and m["status"] == "open"
        # The desk assigns it; an edit at Meta changes the text, not that.
        r = admin.patch(f"/api/v1/workspaces/{ws}/messages/{m['id']}", {"status": "assigned"})
        assert r.status == 200, r
        assert m["lang"] and m["sentiment"] in ("pos", "neu", "neg")
        # An edit is read again: language and sentiment follow the new text.
        bad = "Andra versionen: fruktansvärt dålig service, jag är så arg"
        assert post_hook(c, hook_body("feed-comment-edited-25.json", message=bad)).status == 200
        m = messages(admin, ws)[cid]
        assert m["body"] == bad and m["status"] == "assigned"
        assert m["lang"] == "sv" and m["sentiment"] == "neg" and m["sentiment_score"] < 0
        assert post_hook(c, hook_body("feed-comment-hide.json")).status == 200
        assert messages(admin, ws)[cid]["status"] == "hidden"
        assert post_hook(c, hook_body("feed-comment-unhide.json")).status == 200
        assert messages(admin, ws)[cid]["status"] == "open"
        rm = hook_body("feed-comment-remove-25.json", comment_id=cid)
        assert post_hook(c, rm).status == 200
        assert messages(admin, ws)[cid]["status"] == "removed"
        # Sending the same change again is harmless (Meta retries).
        assert post_hook(c, rm).status == 200
        # A page no channel has: 200, so Meta does not retry forever, and nothing stored.
        other = hook_body("feed-comment-add-25.json")
        other = other.replace(b'"1234567890321"', b'"555"')
        r = post_hook(c, other)
        assert r.status == 200 and r.json()["unknown_account"] == 1
        # Not a webhook at all.
        assert post_hook(c, b'{"hello": 1}').status == 400
    finally:
        code, log = s.stop()
    assert code == 0, log


def test_webhook_without_a_secret_says_so(db_url, tmp_path):
    s = hook_server(db_url, tmp_path, secret=False)
    try:
        c = s.client()
        body = hook_body("feed-comment-add-25.json")
        r = post_hook(c, body)
        assert r.status == 503 and "--meta-app-secret" in r.body
        r = c.get("/hooks/meta?hub.mode=subscribe&hub.verify_token=x&hub.challenge=1")
        assert r.status == 503
    finally:
        code, log = s.stop()
    assert code == 0, log


def test_imported_channels_take_the_name_the_file_gives(db_url, tmp_path):
    """A channel an import creates is called what the payload calls the
    account (the Graph page's name, the YouTube channel's title, the X
    user's name), not its numeric id; one an earlier import left named by its
    id takes the name later; a name a person chose is kept."""
    page_file = shared("meta", "graph", "pages_single_fields_page.json")
    yt_file = shared("youtube", "channel_info_single.json")
    x_file = shared("x", "api-v2_user_user_resp.json")
    with open(page_file) as f:
        page = json.load(f)
    with open(yt_file) as f:
        yt = json.load(f)["items"][0]
    with open(x_file) as f:
        xu = json.load(f)["data"]
    assert page["name"] != page["id"] and yt["snippet"]["title"] and xu["name"]
    # A file that names the page by id alone, as comments and insights do.
    bare = tmp_path / "bare.ndjson"
    bare.write_text(json.dumps({"type": "channel_metrics", "platform": "facebook",
                                "account_id": page["id"], "followers": 1,
                                "taken_at": "2024-01-01T00:00:00Z"}) + "\n")
    r = imp(db_url, str(bare))
    assert r.returncode == 0, r.stderr
    names = "SELECT platform, platform_id, name FROM channels ORDER BY platform, platform_id"
    assert rows(db_url, names) == [("facebook", page["id"], page["id"])]
    for path in (page_file, yt_file, x_file):
        r = imp(db_url, path)
        assert r.returncode == 0, (path, r.stderr)
    assert rows(db_url, names) == sorted([
        ("facebook", page["id"], page["name"]),
        ("x", xu["id"], xu["name"]),
        ("youtube", yt["id"], yt["snippet"]["title"]),
    ])
    # A person's name stays through a re-import of every file.
    rows(db_url, f"UPDATE channels SET name = 'Our page' WHERE platform_id = '{page['id']}'")
    for path in (bare, page_file, yt_file, x_file):
        r = imp(db_url, str(path))
        assert r.returncode == 0, (path, r.stderr)
    assert rows(db_url, names)[0] == ("facebook", page["id"], "Our page")
    assert len(rows(db_url, names)) == 3
