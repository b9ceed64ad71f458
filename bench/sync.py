#!/usr/bin/env python3
"""bench/sync: what a sync costs beside the import it feeds.

The Mastodon fake (tests/fakes/mastodon.py) is seeded with CHANNELS accounts
of one server, together POSTS statuses and COMMENTS mentions of them (every
other one a reply to a status). Each round then does the three below, the sync
first in odd rounds and last in even ones, so that none always meets a
warmer machine:

  sync    `kanal sync` of all the channels into a fresh SQLite store: the
          connectors' whole path (sealed tokens, HTTP through libcurl,
          paging with Link headers, cursors, the importer);
  fetch   the same requests the first sync made (from the fake's log), replayed by
          curl in one process, each answer saved to a file: what serving the
          answers costs the fake and the loopback, with no kanal at all;
  import  `kanal import --format mastodon --channel C` of those saved
          answers, one process per channel, into a fresh store.

It prints items (posts + messages) per second of each and the ratio that
says what the sync adds: (sync - fetch) / import, taken round by round and
quoted as median and spread. 1.0 means the sync costs no more than fetching
plus importing. Prints numbers, never pass/fail.

Usage: bench/sync.py [--channels 100] [--posts 1000] [--comments 100000]
                     [--rounds 5] [--kanal build/kanal]
"""
import argparse
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FAKE = os.path.join(ROOT, "tests", "fakes", "mastodon.py")


def control(base, what, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + "/_fake/" + what, data=data,
                                 method="POST" if data is not None else "GET",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=600) as r:
        return json.loads(r.read())


def timed(cmd, **kw):
    """Runs cmd; returns (wall seconds, CPU seconds of the child, its output)."""
    before = os.times()
    t0 = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True, **kw)
    wall = time.perf_counter() - t0
    after = os.times()
    if out.returncode not in (0, 3):
        sys.exit("bench/sync: %s failed (%d): %s" % (cmd[0:2], out.returncode,
                                                      (out.stderr or out.stdout)[-800:]))
    cpu = (after.children_user - before.children_user) + (after.children_system -
                                                          before.children_system)
    return wall, cpu, out.stdout


def template_db(kanal, path, fake_base, accounts, env):
    subprocess.run([kanal, "migrate", "--db", path], check=True, capture_output=True)
    with sqlite3.connect(path) as c:
        c.execute("INSERT INTO workspaces (name, slug, created_at, updated_at) "
                  "VALUES ('Bench', 'bench', 0, 0)")
        for i, a in enumerate(accounts):
            c.execute("INSERT INTO channels (workspace_id, platform, handle, name, platform_id, "
                      "created_at, updated_at) VALUES (1, 'mastodon', ?, ?, ?, 0, 0)",
                      (a["acct"], "Organisation %d" % i, a["account_id"]))
            c.execute("INSERT INTO channel_connections (channel_id, api_url, connected_at, "
                      "updated_at) VALUES (?, ?, 0, 0)", (i + 1, fake_base))
    for i, a in enumerate(accounts):
        subprocess.run([kanal, "channel-token", "set", str(i + 1), "--db", path],
                       input=a["token"] + "\n", text=True, env=env, check=True,
                       capture_output=True)
    with sqlite3.connect(path) as c:  # all of it in the file, which the rounds copy
        c.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def replay_config(tmp, base, log, token_channel):
    """A curl config that makes the sync's GET requests again, one output
    file per answer, and those files grouped by channel in request order."""
    answers = os.path.join(tmp, "answers")
    os.makedirs(answers, exist_ok=True)
    cfg, files = [], {}
    for n, e in enumerate(log):
        auth = e["headers"].get("Authorization", "")
        ch = token_channel.get(auth.split()[-1] if auth else "")
        if e["method"] != "GET" or ch is None:
            continue
        q = urllib.parse.urlencode(e["query"], doseq=True)
        out_file = os.path.join(answers, "c%d-%06d.json" % (ch, n))
        files.setdefault(ch, []).append(out_file)
        cfg.append('url = "%s%s%s"\nheader = "Authorization: %s"\noutput = "%s"\n'
                   % (base, e["path"], "?" + q if q else "", auth, out_file))
    path = os.path.join(tmp, "curl.cfg")
    with open(path, "w") as f:
        f.write("silent\nfail\n" + "next\n".join(cfg))
    return path, files


def items_of(sync_out):
    """Posts + messages the sync said it added."""
    n = 0
    for line in sync_out.splitlines():
        for word, what in zip(line.split()[:-1], line.split()[1:]):
            if what.rstrip(",") in ("posts", "messages") and word.isdigit():
                n += int(word)
    return n


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--channels", type=int, default=100)
    ap.add_argument("--posts", type=int, default=1000)
    ap.add_argument("--comments", type=int, default=100000)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--kanal", default=os.path.join(ROOT, "build", "kanal"))
    a = ap.parse_args()
    kanal = os.path.abspath(a.kanal)
    for tool in ("curl",):
        if not shutil.which(tool):
            sys.exit("bench/sync: needs %s (make deps)" % tool)
    if not os.access(kanal, os.X_OK):
        sys.exit("bench/sync: build kanal first (make)")
    k = a.channels
    tmp = tempfile.mkdtemp(prefix="kanal-bench-sync.")
    fake = subprocess.Popen([sys.executable, FAKE, "--data", os.path.join(tmp, "none")],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                            start_new_session=True)
    try:
        line = fake.stdout.readline()
        if not line.startswith("listening "):
            sys.exit("bench/sync: the fake did not start: %r" % line)
        base = "http://127.0.0.1:%d" % int(line.split()[1])
        t0 = time.perf_counter()
        seeded = control(base, "state", {"bench": {"accounts": k, "statuses": a.posts // k,
                                                   "mentions": a.comments // k},
                                         "rate_limit": 1000000})
        accounts = seeded["bench"]
        seed_s = time.perf_counter() - t0
        key = subprocess.run([kanal, "secret-key"], capture_output=True, text=True,
                             check=True).stdout.strip()
        env = dict(os.environ, KANAL_SECRET_KEY=key)
        tpl = os.path.join(tmp, "template.db")
        template_db(kanal, tpl, base, accounts, env)
        token_channel = {acc["token"]: i + 1 for i, acc in enumerate(accounts)}

        print("bench/sync: Mastodon fake, %d channels, %d statuses and %d mentions in all "
              "(seeded in %.1f s), SQLite, %d CPUs, %d rounds"
              % (k, (a.posts // k) * k, (a.comments // k) * k, seed_s, os.cpu_count(),
                 a.rounds))
        print("%5s %8s %10s %10s %10s %12s %12s %12s %8s"
              % ("round", "items", "sync s", "fetch s", "import s", "sync it/s",
                 "import it/s", "sync CPU s", "ratio"))
        ratios, rows = [], []
        cfg_path, files, items = None, {}, None
        for rnd in range(1, a.rounds + 1):
            db = os.path.join(tmp, "sync.db")
            imp_db = os.path.join(tmp, "import.db")
            for f in (db, imp_db):
                for old in (f, f + "-wal", f + "-shm"):
                    if os.path.exists(old):
                        os.unlink(old)
                shutil.copy(tpl, f)

            def sync():
                control(base, "reset", {})
                wall, cpu, out = timed([kanal, "sync", "--db", db], env=env)
                if os.environ.get("BENCH_DEBUG"):
                    print(out)
                return wall, cpu, items_of(out), control(base, "log")

            def fetch():
                return timed(["curl", "-K", cfg_path])[0]

            def imp():
                wall = 0.0
                for ch in sorted(files):
                    wall += timed([kanal, "import", "--db", imp_db, "--format", "mastodon",
                                   "--channel", str(ch), "--rejects",
                                   os.path.join(tmp, "rejects.tsv")] + files[ch])[0]
                return wall
            if cfg_path is None or rnd % 2:
                sync_wall, sync_cpu, said, log = sync()
                if cfg_path is None:
                    cfg_path, files = replay_config(tmp, base, log, token_channel)
                    if not files:
                        sys.exit("bench/sync: the sync made no requests: %s" % said)
                fetch_s = fetch()
                import_s = imp()
            else:  # the other order: the sync last
                fetch_s = fetch()
                import_s = imp()
                sync_wall, sync_cpu, said, log = sync()
            items = said
            with sqlite3.connect(imp_db) as c:
                imported = c.execute("SELECT (SELECT count(*) FROM post_variants) + "
                                     "(SELECT count(*) FROM messages)").fetchone()[0]
            with sqlite3.connect(db) as c:
                synced = c.execute("SELECT (SELECT count(*) FROM post_variants) + "
                                   "(SELECT count(*) FROM messages)").fetchone()[0]
            if imported != synced or synced != items:
                sys.exit("bench/sync: round %d: the sync stored %d items (said %d), the import "
                         "%d: not the same work" % (rnd, synced, items, imported))
            ratio = (sync_wall - fetch_s) / import_s
            ratios.append(ratio)
            rows.append((sync_wall, fetch_s, import_s))
            print("%5d %8d %10.2f %10.2f %10.2f %12.0f %12.0f %12.2f %8.2f"
                  % (rnd, items, sync_wall, fetch_s, import_s, items / sync_wall,
                     items / import_s, sync_cpu, ratio))
        print("(sync - fetch) / import: median %.2f, min %.2f, max %.2f (%d rounds; 1.0: the "
              "sync adds nothing to fetching and importing)"
              % (statistics.median(ratios), min(ratios), max(ratios), len(ratios)))
        print("sync / import alone: median %.2f (the fake's own serving time included)"
              % statistics.median(r[0] / r[2] for r in rows))
    finally:
        os.killpg(fake.pid, 9)
        fake.wait()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
