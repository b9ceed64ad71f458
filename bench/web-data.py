#!/usr/bin/env python3
"""bench/web-data: the desk's bench database, made once and kept.

The data set of bench/analytics.py (100,000 posts, 5,000,000 metric
snapshots, 10,000,000 messages on 10 channels over half a year up to
2026-11-01), with every fifth message left open so the inbox has a queue,
the last 200 posts put in review so the review page has work, and an admin
user who can see every page. The database is built under build/ (path
given) and reused while it exists: delete it to build it again.

--posts-only makes only the posts and their variants (no metric snapshots,
no messages): what the calendar and the review page read, built in about a
minute instead of most of an hour. The other pages are then nearly empty.

usage: bench/web-data.py DB [--kanal build/kanal] [--scale S] [--posts-only]
"""
import argparse
import os
import sqlite3
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import analytics  # noqa: E402  (the same generator, in bulk SQL)

EMAIL, PASSWORD = "web-bench@example.org", "web bench password 123"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("db")
    ap.add_argument("--kanal", default="build/kanal")
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--posts-only", action="store_true")
    a = ap.parse_args()
    if os.path.exists(a.db):
        print(f"reusing {a.db} ({os.path.getsize(a.db) / 2**20:.0f} MiB)")
        return 0
    os.makedirs(os.path.dirname(os.path.abspath(a.db)), exist_ok=True)
    part = a.db + ".part"
    for sfx in ("", "-wal", "-shm"):
        if os.path.exists(part + sfx):
            os.unlink(part + sfx)
    t = time.time()
    secs, p, s, m = analytics.build(part, a.kanal, a.scale, open_every=5,
                                  posts_only=a.posts_only)
    con = sqlite3.connect(part)
    last = con.execute("SELECT max(id) FROM posts").fetchone()[0]
    con.execute("UPDATE posts SET status = 'in_review' WHERE id > ?", (last - 200,))
    con.execute("UPDATE post_variants SET status = 'in_review', platform_id = NULL, "
                "published_at = NULL WHERE post_id > ?", (last - 200,))
    con.commit()
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    subprocess.run([a.kanal, "user", "add", "--db", part, "--email", EMAIL, "--role", "admin",
                    "--password-stdin"], input=(PASSWORD + "\n").encode(), check=True,
                   capture_output=True)
    # One file, no write-ahead log beside it, before it gets its name.
    con = sqlite3.connect(part)
    con.execute("PRAGMA journal_mode=DELETE")
    con.close()
    os.rename(part, a.db)
    print(f"built {p} posts, {s} snapshots, {m} messages in {time.time() - t:.0f} s "
          f"({os.path.getsize(a.db) / 2**20:.0f} MiB) at {a.db}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
