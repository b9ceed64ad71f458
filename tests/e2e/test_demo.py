"""`kanal demo`: deterministic, plausible, and served by the API. The checks
compute what they expect from the rows themselves, never from kanal's own
summaries."""
import sqlite3
import statistics
from collections import defaultdict

from conftest import Server, run_kanal

END = "2026-11-01"
END_TS = 1793491200  # 2026-11-01T00:00:00Z


def demo(db, seed="1"):
    return run_kanal("demo", "--db", db, "--end", END, "--seed", seed).stdout


def dump(db):
    con = sqlite3.connect(db)
    q = {
        "channels": "SELECT c.platform, c.handle, c.name, t.name, c.purpose, c.is_peer FROM channels c "
                    "LEFT JOIN teams t ON t.id = c.team_id ORDER BY c.id",
        "posts": "SELECT body, format, lang, status, at, campaign_id FROM posts ORDER BY id",
        "variants": "SELECT post_id, channel_id, platform_id, published_at FROM post_variants ORDER BY id",
        "metrics": "SELECT * FROM post_metrics ORDER BY id",
        "channel_metrics": "SELECT * FROM channel_metrics ORDER BY id",
        "messages": "SELECT channel_id, variant_id, parent_id, kind, platform_id, author_name, body, "
                    "sentiment, status, is_own, created_at FROM messages ORDER BY id",
    }
    return {k: con.execute(v).fetchall() for k, v in q.items()}


def test_same_seed_same_data(tmp_path):
    a, b, c = (str(tmp_path / f"{n}.db") for n in "abc")
    demo(a), demo(b), demo(c, seed="2")
    da, db_, dc = dump(a), dump(b), dump(c)
    assert da == db_
    assert da["posts"] != dc["posts"]


def test_running_twice_is_refused_and_changes_nothing(tmp_path):
    db = str(tmp_path / "d.db")
    demo(db)
    before = dump(db)
    p = run_kanal("demo", "--db", db, "--end", END, check=False)
    assert p.returncode == 1 and "already has the demo workspace" in p.stderr
    assert dump(db) == before


def test_demo_is_plausible(tmp_path):
    db = str(tmp_path / "d.db")
    demo(db)
    con = sqlite3.connect(db)
    platforms = {r[0] for r in con.execute("SELECT platform FROM channels WHERE is_peer = 0")}
    assert platforms == {"facebook", "instagram", "x", "linkedin", "tiktok", "youtube"}
    langs = {r[0] for r in con.execute("SELECT DISTINCT lang FROM posts")}
    assert langs == {"sv", "fi", "en"}
    first, last = con.execute("SELECT MIN(at), MAX(at) FROM posts").fetchone()
    assert last <= END_TS + 86400 and last - first > 170 * 86400
    # every platform posts, and every week has posts
    weeks = {(at - first) // (7 * 86400) for (at,) in con.execute("SELECT at FROM posts")}
    assert len(weeks) >= 25
    # metrics never shrink as a post ages
    series = defaultdict(list)
    for vid, t, reach, reactions in con.execute(
            "SELECT variant_id, taken_at, reach, reactions FROM post_metrics ORDER BY taken_at"):
        series[vid].append((reach, reactions))
    assert len(series) > 400
    for points in series.values():
        assert points == sorted(points)
    # engagement rate by reach, per platform, at the last snapshot: plausible medians
    rates = defaultdict(list)
    for platform, reach, reactions in con.execute(
            "SELECT c.platform, m.reach, m.reactions FROM post_metrics m "
            "JOIN post_variants v ON v.id = m.variant_id JOIN channels c ON c.id = v.channel_id "
            "WHERE m.taken_at = (SELECT MAX(taken_at) FROM post_metrics WHERE variant_id = v.id)"):
        rates[platform].append(reactions / reach)
    assert platforms <= set(rates), rates.keys()
    for platform, r in rates.items():
        assert 0.003 < statistics.median(r) < 0.1, (platform, statistics.median(r))
    # answers: own, after the question, within a working day or so
    waits = [r - q for q, r in con.execute(
        "SELECT q.created_at, a.created_at FROM messages a JOIN messages q ON q.id = a.parent_id "
        "WHERE a.is_own = 1")]
    assert len(waits) > 100 and min(waits) > 0
    assert 1800 < statistics.median(waits) < 86400
    sentiments = {r[0] for r in con.execute("SELECT DISTINCT sentiment FROM messages WHERE is_own = 0")}
    assert sentiments == {"pos", "neu", "neg"}
    # campaigns hold posts on their theme, inside their dates: each of the
    # four of src/demo/demo.c (a LEFT JOIN, so one without posts counts 0)
    held = con.execute("SELECT c.name, COUNT(p.id) FROM campaigns c "
                       "LEFT JOIN posts p ON p.campaign_id = c.id GROUP BY c.id, c.name").fetchall()
    assert len(held) == 4 and all(n > 0 for _, n in held), held
    outside = con.execute("SELECT COUNT(*) FROM posts p JOIN campaigns c ON c.id = p.campaign_id "
                          "WHERE p.at < c.starts_at OR p.at >= c.ends_at").fetchone()[0]
    assert outside == 0


def test_demo_is_served(db_url, tmp_path):
    run_kanal("demo", "--db", db_url, "--end", END, "--days", "30")
    s = Server(db_url, str(tmp_path))
    try:
        c = s.client()
        assert c.login("demo@kanal.local", "kanal-demo-password").status == 201
        ws = c.get("/api/v1/workspaces").json()["items"]
        assert [w["slug"] for w in ws] == ["pensionsverket"]
        posts = c.get(f"/api/v1/workspaces/{ws[0]['id']}/posts?limit=10").json()
        ats = [p["at"] for p in posts["items"]]
        assert len(ats) == 10 and ats == sorted(ats, reverse=True) and posts["next_cursor"]
        assert all(p["variants"][0]["platform_id"].startswith("demo-") for p in posts["items"])
        msgs = c.get(f"/api/v1/workspaces/{ws[0]['id']}/messages?kind=reply&limit=5").json()
        assert len(msgs["items"]) == 5, msgs
        assert all(m["is_own"] and m["parent_id"] for m in msgs["items"])
    finally:
        code, log = s.stop()
    assert code == 0, log
