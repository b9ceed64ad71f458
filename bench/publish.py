#!/usr/bin/env python3
"""bench/publish: how fast `kanal serve` posts what fell due, beside how fast
the platform fake takes posts at all.

The Mastodon fake (tests/fakes/mastodon.py) gets CHANNELS accounts of one
server (its rate limit lifted). A SQLite store holds CHANNELS connected
Mastodon channels and VARIANTS scheduled variants spread over them. Each
round, on a fresh copy of that store:

  kanal   `kanal serve` is started, then every variant is made due at the
          same second (the due time): the scheduler hands them to the
          connectors' job table and the connect worker posts them. Measured
          from the fake's own log (the time each POST /api/v1/statuses
          arrived): posts/s (variants / (last arrival - due time)) and the
          p50/p99 delay from the due time to the fake receiving each post;
          also when kanal had recorded all of them as published.
  plain   the same number of statuses posted to the same fake by one plain
          HTTP client (Python's http.client, one kept-alive connection,
          the same accounts' tokens and an Idempotency-Key each, as kanal
          sends): what the fake and the loopback can take, with no kanal.

The order alternates between rounds (kanal first in odd ones), so that
neither always meets a warmer machine. Prints each round, then median and
spread (min-max) over the rounds, and kanal's rate as a share of the plain
client's, taken round by round. Prints numbers, never pass/fail.

Usage: bench/publish.py [--channels 100] [--variants 10000] [--rounds 5]
                        [--kanal build/kanal] [--timeout 900]
"""
import argparse
import http.client
import json
import os
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sync import FAKE, control, template_db  # noqa: E402 (bench/sync.py: the same fake and store)

FAR = 4102444800  # 2100-01-01: scheduled, but not due until the round says so


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100.0 * (len(xs) - 1))))]


def store(kanal, path, base, accounts, env, n):
    template_db(kanal, path, base, accounts, env)
    k = len(accounts)
    with sqlite3.connect(path) as c:
        c.executemany("INSERT INTO posts (id, workspace_id, body, status, at, created_at, "
                      "updated_at) VALUES (?, 1, ?, 'scheduled', ?, 0, 0)",
                      ((i + 1, "Bench-inlägg %d till kanal %d: allt som planerats går ut som "
                        "det ska" % (i + 1, i % k + 1), FAR) for i in range(n)))
        c.executemany("INSERT INTO post_variants (post_id, channel_id, status, scheduled_at, "
                      "created_at, updated_at) VALUES (?, ?, 'scheduled', ?, 0, 0)",
                      ((i + 1, i % k + 1, FAR) for i in range(n)))
    with sqlite3.connect(path) as c:  # all of it in the file, which the rounds copy
        c.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def cpu_s(pid):
    """CPU seconds (user + system) a process has used so far."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def fresh(tpl, path):
    for old in (path, path + "-wal", path + "-shm"):
        if os.path.exists(old):
            os.unlink(old)
    shutil.copy(tpl, path)


def run_kanal(kanal, db, base, env, n, timeout, tmp, fake_pid):
    """One round of kanal: (posts/s, p50 s, p99 s, settled s, received, kanal CPU s, fake
    CPU s)."""
    log_path = os.path.join(tmp, "serve.log")
    log = open(log_path, "w")
    srv = subprocess.Popen([kanal, "serve", "--db", db, "--listen", "127.0.0.1:0",
                            "--sync-every", "0", "--threads", "2", "--log-level", "warn"],
                           stdout=log, stderr=log, env=env, start_new_session=True)
    try:
        for _ in range(600):
            with open(log_path) as f:
                if "listening on" in f.read():
                    break
            if srv.poll() is not None:
                sys.exit("bench/publish: kanal serve stopped: " + open(log_path).read()[-800:])
            time.sleep(0.05)
        control(base, "reset", {})
        cpu0, fake0 = cpu_s(srv.pid), cpu_s(fake_pid)
        due = int(time.time()) + 2
        with sqlite3.connect(db, timeout=60) as c:
            c.execute("UPDATE post_variants SET scheduled_at = ?", (due,))
            c.execute("UPDATE posts SET at = ?", (due,))
        end = time.time() + timeout
        settled = None
        # Watched in kanal's store (a WAL reader stops no writer), not by
        # asking the fake, whose time is what is measured.
        with sqlite3.connect(db, timeout=60) as c:
            while time.time() < end:
                sent = c.execute("SELECT count(*) FROM connect_actions WHERE state IN "
                                 "('done', 'failed')").fetchone()[0]
                if sent >= n:
                    break
                time.sleep(0.5)
            while time.time() < end:
                done = c.execute("SELECT count(*) FROM post_variants WHERE status = 'published'"
                                 ).fetchone()[0]
                if done >= n:
                    settled = time.time() - due
                    break
                time.sleep(0.25)
        cpu, fake_cpu = cpu_s(srv.pid) - cpu0, cpu_s(fake_pid) - fake0
        arrivals = [e["at"] for e in control(base, "log")
                    if e["method"] == "POST" and e["path"] == "/api/v1/statuses"]
        if not arrivals:
            sys.exit("bench/publish: the fake received nothing: " + open(log_path).read()[-800:])
        delays = [a - due for a in arrivals]
        return (len(arrivals) / (max(arrivals) - due), pct(delays, 50), pct(delays, 99), settled,
                len(arrivals), cpu, fake_cpu)
    finally:
        os.killpg(srv.pid, signal.SIGTERM)
        srv.wait(timeout=60)
        log.close()


def run_plain(base, accounts, n, round_no, fake_pid):
    """n statuses through one kept-alive http.client connection: (posts/s,
    the fake's CPU s)."""
    fake0 = cpu_s(fake_pid)
    host, port = base.rsplit("/", 1)[-1].split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=60)
    t0 = time.perf_counter()
    for i in range(n):
        body = json.dumps({"status": "Vanlig klient %d/%d: allt som planerats går ut som det ska"
                           % (round_no, i)})
        conn.request("POST", "/api/v1/statuses", body=body, headers={
            "Authorization": "Bearer " + accounts[i % len(accounts)]["token"],
            "Content-Type": "application/json",
            "Idempotency-Key": "plain-%d-%d" % (round_no, i)})
        r = conn.getresponse()
        r.read()
        if r.status != 200:
            sys.exit("bench/publish: the fake answered the plain client %d" % r.status)
    wall = time.perf_counter() - t0
    conn.close()
    return n / wall, cpu_s(fake_pid) - fake0


def spread(xs, fmt):
    return ("%s (%s-%s)" % (fmt % statistics.median(xs), fmt % min(xs), fmt % max(xs))
            if xs else "-")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--channels", type=int, default=100)
    ap.add_argument("--variants", type=int, default=10000)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--timeout", type=int, default=900, help="seconds a round may take")
    ap.add_argument("--kanal", default=os.path.join(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))), "build", "kanal"))
    a = ap.parse_args()
    kanal = os.path.abspath(a.kanal)
    if not os.access(kanal, os.X_OK):
        sys.exit("bench/publish: build kanal first (make)")
    tmp = tempfile.mkdtemp(prefix="kanal-bench-publish.")
    fake = subprocess.Popen([sys.executable, FAKE, "--data", os.path.join(tmp, "none")],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                            start_new_session=True)
    try:
        line = fake.stdout.readline()
        if not line.startswith("listening "):
            sys.exit("bench/publish: the fake did not start: %r" % line)
        base = "http://127.0.0.1:%d" % int(line.split()[1])
        accounts = control(base, "state", {"bench": {"accounts": a.channels},
                                           "rate_limit": 10 ** 9})["bench"]
        key = subprocess.run([kanal, "secret-key"], capture_output=True, text=True,
                             check=True).stdout.strip()
        env = dict(os.environ, KANAL_SECRET_KEY=key)
        tpl = os.path.join(tmp, "template.db")
        store(kanal, tpl, base, accounts, env, a.variants)
        print("bench/publish: %d due variants on %d Mastodon channels (the fake), SQLite, "
              "%d CPUs, %d rounds" % (a.variants, a.channels, os.cpu_count(), a.rounds))
        print("%5s %10s %8s %8s %10s %9s %10s %7s %11s %11s"
              % ("round", "kanal p/s", "p50 s", "p99 s", "settled s", "received", "plain p/s",
                 "ratio", "CPU ms/post", "fake ms/p"))
        print("%5s %10s %8s %8s %10s %9s %10s %7s %11s %11s"
              % ("", "", "", "", "", "", "", "", "kanal", "kanal|plain"))
        rows = []
        for rnd in range(1, a.rounds + 1):
            db = os.path.join(tmp, "round.db")
            fresh(tpl, db)
            if rnd % 2:
                k = run_kanal(kanal, db, base, env, a.variants, a.timeout, tmp, fake.pid)
                plain, plain_cpu = run_plain(base, accounts, a.variants, rnd, fake.pid)
            else:
                plain, plain_cpu = run_plain(base, accounts, a.variants, rnd, fake.pid)
                k = run_kanal(kanal, db, base, env, a.variants, a.timeout, tmp, fake.pid)
            rate, p50, p99, settled, got, cpu, fake_cpu = k
            rows.append((rate, p50, p99, settled, plain, rate / plain, 1000 * cpu / got))
            print("%5d %10.1f %8.2f %8.2f %10s %9d %10.1f %7.3f %11.2f %5.2f|%5.2f"
                  % (rnd, rate, p50, p99, "%.1f" % settled if settled else "-", got, plain,
                     rate / plain, 1000 * cpu / got, 1000 * fake_cpu / got,
                     1000 * plain_cpu / a.variants), flush=True)
            if got < a.variants:
                print("       (round %d: only %d of %d received within %d s)"
                      % (rnd, got, a.variants, a.timeout))
        col = list(zip(*rows))
        print("median (min-max) over %d rounds:" % len(rows))
        print("  kanal posts/s      %s" % spread(col[0], "%.1f"))
        print("  due -> fake p50 s  %s" % spread(col[1], "%.2f"))
        print("  due -> fake p99 s  %s" % spread(col[2], "%.2f"))
        print("  due -> settled s   %s" % spread([x for x in col[3] if x], "%.1f"))
        print("  plain posts/s      %s" % spread(col[4], "%.1f"))
        print("  kanal / plain      %s" % spread(col[5], "%.3f"))
        print("  kanal CPU ms/post  %s" % spread(col[6], "%.2f"))
        print("(the machine is shared: its load average was %.1f on %d CPUs at the end)"
              % (os.getloadavg()[0], os.cpu_count()))
    finally:
        os.killpg(fake.pid, signal.SIGTERM)
        fake.wait()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
