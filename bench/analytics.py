#!/usr/bin/env python3
"""bench/analytics: dashboard endpoints on a large workspace.

Builds a SQLite database with (at --scale 1) 100,000 posts, 5,000,000 metric
snapshots and 10,000,000 messages over half a year on 10 channels, filling the
same maintained columns kanal keeps (latest metrics per variant, first
response per message; `kanal migrate` then builds the per channel-day and
per post response figures), then starts `kanal serve` and times each dashboard
endpoint. Prints numbers, never pass/fail; the target is under 100 ms each.

usage: bench/analytics.py [--scale S] [--kanal build/kanal] [--keep DB]
"""
import argparse
import json
import os
import re
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
END = 1793491200  # 2026-11-01T00:00:00Z
DAYS = 183


def build(db, kanal, scale, open_every=0, posts_only=False):
    """open_every: every Nth message is left open (0: all closed), for the inbox.
    posts_only: the posts and their variants, no metric snapshots and no messages
    (what the calendar reads; seconds instead of most of an hour)."""
    posts, snaps_per, messages = int(100_000 * scale), 50, int(10_000_000 * scale)
    if posts_only:
        snaps_per, messages = 0, 0
    subprocess.run([kanal, "migrate", "--db", db], check=True, capture_output=True)
    subprocess.run([kanal, "user", "add", "--db", db, "--email", "bench@example.org", "--role",
                    "analyst", "--password-stdin"], input=b"bench password 123\n", check=True,
                   capture_output=True)
    con = sqlite3.connect(db)
    con.executescript("PRAGMA synchronous=OFF; PRAGMA journal_mode=WAL;")
    start = END - DAYS * 86400
    t = time.time()
    con.execute("INSERT INTO workspaces (name, slug, timezone, created_at, updated_at) "
                "VALUES ('Bench', 'bench', 'Europe/Stockholm', 0, 0)")
    platforms = ["facebook", "instagram", "x", "linkedin", "tiktok", "youtube", "facebook",
                 "instagram", "x", "facebook"]
    for i, p in enumerate(platforms):
        con.execute("INSERT INTO channels (workspace_id, platform, handle, name, created_at, "
                    "updated_at) VALUES (1, ?, ?, ?, 0, 0)", (p, f"h{i}", f"Channel {i}"))
    for i in range(3):
        con.execute("INSERT INTO tags (workspace_id, name, created_at, updated_at) "
                    "VALUES (1, ?, 0, 0)", (f"theme {i}",))
        # One target tag: each campaign is compared with the ones before it.
        con.execute("INSERT INTO campaigns (workspace_id, name, target_tag_id, created_at, "
                    "updated_at) VALUES (1, ?, 1, ?, 0)", (f"campaign {i}", i))
    q = f"""
    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {posts})
    INSERT INTO posts (id, workspace_id, campaign_id, body, format, status, at, created_at, updated_at)
    SELECT i, 1, CASE WHEN i % 5 = 0 THEN 1 + i % 3 END, 'Post number ' || i || CASE WHEN i % 4 = 0 THEN '?' ELSE '.' END,
           CASE i % 5 WHEN 0 THEN 'photo' WHEN 1 THEN 'video' WHEN 2 THEN 'link' WHEN 3 THEN 'status' ELSE 'reel' END,
           'published', {start} + (i * {DAYS * 86400 // posts}), 0, 0 FROM n"""
    con.execute(q)
    con.execute(f"""INSERT INTO post_variants (id, post_id, channel_id, platform_id, status,
        published_at, created_at, updated_at)
        SELECT id, id, 1 + id % 10, 'p' || id, 'published', at, 0, 0 FROM posts""")
    con.execute("INSERT INTO post_tags (post_id, tag_id) SELECT id, 1 + id % 3 FROM posts WHERE id % 2 = 0")
    if snaps_per:
        con.execute(f"""
    WITH RECURSIVE k(j) AS (SELECT 0 UNION ALL SELECT j + 1 FROM k WHERE j < {snaps_per - 1})
    INSERT INTO post_metrics (variant_id, taken_at, reach, impressions, reactions, comments, shares, saves, clicks, video_views)
    SELECT v.id, v.published_at + 3600 * (k.j + 1), 1000 + (v.id * 7919) % 5000 + k.j * 10,
           1500 + (v.id * 104729) % 7000 + k.j * 15, 20 + v.id % 90 + k.j, v.id % 13, v.id % 7, NULL,
           v.id % 40, NULL
    FROM post_variants v, k""")
        con.execute(f"""UPDATE post_variants SET m_at = published_at + 3600 * {snaps_per},
        m_reach = 1000 + (id * 7919) % 5000 + {(snaps_per - 1) * 10},
        m_impressions = 1500 + (id * 104729) % 7000 + {(snaps_per - 1) * 15},
        m_reactions = 20 + id % 90 + {snaps_per - 1}, m_comments = id % 13, m_shares = id % 7,
        m_clicks = id % 40""")
    con.execute(f"""
    WITH RECURSIVE d(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM d WHERE i <= {DAYS})
    INSERT INTO channel_metrics (channel_id, taken_at, followers)
    SELECT c.id, {start} + d.i * 86400, 10000 + c.id * 1000 + d.i * (c.id + 3) FROM channels c, d""")
    if messages:
        con.execute(f"""
    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {messages})
    INSERT INTO messages (workspace_id, channel_id, variant_id, kind, platform_id, body, status,
        created_at, received_at, updated_at, first_response_at)
    SELECT 1, 1 + i % 10, 1 + (i * 7) % {posts}, 'comment', 'm' || i, 'Hej',
           {f"CASE WHEN i % {open_every} = 0 THEN 'open' ELSE 'closed' END" if open_every else "'closed'"},
           {start} + (i * {DAYS * 86400} / {messages}), 0, 0,
           CASE WHEN i % 3 <> 0 THEN {start} + (i * {DAYS * 86400} / {messages}) + 600 + (i % 50) * 300 END
    FROM n""")
    con.commit()
    con.execute("ANALYZE")
    con.close()
    # The response figures (message_days, post_variants.msg_*) kanal builds
    # itself from the messages, as after an upgrade.
    t2 = time.time()
    subprocess.run([kanal, "migrate", "--db", db], check=True, capture_output=True)
    print(f"kanal built the response figures of {messages} messages in {time.time() - t2:.1f} s")
    return time.time() - t, posts, posts * snaps_per, messages


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--kanal", default=os.path.join(ROOT, "build", "kanal"))
    ap.add_argument("--keep", help="reuse or keep the database at this path")
    ap.add_argument("--runs", type=int, default=15)
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="kanal-bench-")
    db = a.keep or os.path.join(tmp, "bench.db")
    if not os.path.exists(db):
        secs, p, s, m = build(db, a.kanal, a.scale)
        print(f"built {p} posts, {s} snapshots, {m} messages in {secs:.1f} s "
              f"({os.path.getsize(db) / 2**20:.0f} MiB)")
    log = open(os.path.join(tmp, "serve.log"), "w+")
    srv = subprocess.Popen([a.kanal, "serve", "--db", db, "--listen", "127.0.0.1:0"],
                           stdout=log, stderr=subprocess.STDOUT)
    try:
        for _ in range(200):
            log.seek(0)
            m = re.search(r"listening on (http://127\.0\.0\.1:\d+)/", log.read())
            if m:
                break
            time.sleep(0.05)
        base = m.group(1)
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
        req = urllib.request.Request(base + "/api/v1/session", method="POST",
                                     data=json.dumps({"email": "bench@example.org",
                                                      "password": "bench password 123"}).encode(),
                                     headers={"Content-Type": "application/json"})
        opener.open(req).read()
        month = "since=2026-10-01&until=2026-11-01"
        half = "since=2026-05-01&until=2026-11-01"
        endpoints = [
            ("total, one month", f"analytics?{month}"),
            ("by channel, one month, vs previous", f"analytics?{month}&by=channel&compare=previous"),
            ("by day, half a year", f"analytics?{half}&by=day"),
            ("by week, half a year", f"analytics?{half}&by=week"),
            ("by campaign, half a year", f"analytics?{half}&by=campaign"),
            ("by format, one month", f"analytics?{month}&by=format"),
            ("by tag, one month", f"analytics?{month}&by=tag"),
            ("top list, one month", f"analytics/toplist?{month}&metric=er_followers"),
            ("what works, one month", f"analytics/insights?{month}"),
            ("campaign vs two earlier ones", "campaigns/3/comparison"),
            ("posts, first page", "posts?limit=50"),
            ("messages, first page", "messages?limit=50"),
        ]
        print(f"{'endpoint':40} {'median ms':>10} {'p95 ms':>10} {'max ms':>10}  (target < 100)")
        for name, path in endpoints:
            times = []
            for _ in range(a.runs):
                t = time.perf_counter()
                body = opener.open(f"{base}/api/v1/workspaces/1/{path}").read()
                times.append((time.perf_counter() - t) * 1000)
            json.loads(body)
            times.sort()
            print(f"{name:40} {statistics.median(times):10.1f} "
                  f"{times[int(0.95 * (len(times) - 1))]:10.1f} {times[-1]:10.1f}")
    finally:
        srv.terminate()
        srv.wait()


if __name__ == "__main__":
    sys.exit(main())
