"""TikTok and Threads end to end, on SQLite and PostgreSQL, against their fakes
(tests/fakes/tiktok.py, tests/fakes/threads.py): an account connected
through the fake's consent screen with `kanal connect start|finish`,
`kanal sync` twice (the second adds nothing but new snapshots), publishing
with `kanal act`, and on Threads a reply, hiding and unhiding it, and an
answer dropped after the thread was made reconciled without a second one."""
import html
import json
import os
import re
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

from conftest import ROOT, run_kanal

PUBLIC_URL = "https://desk.example.org"
CALLBACK = PUBLIC_URL + "/oauth/callback"


class Fake:
    def __init__(self, name):
        self.proc = subprocess.Popen([sys.executable, os.path.join(ROOT, "tests", "fakes",
                                                                   name + ".py")],
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
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

    def calls(self, method, path):
        return [e for e in self.control("log") if e["method"] == method and e["path"] == path]

    def stop(self):
        self.proc.kill()
        self.proc.wait()
        self.proc.stdout.close()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kw):
        return None


def fetch(url, data=None):
    opener = urllib.request.build_opener(NoRedirect())
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    try:
        with opener.open(urllib.request.Request(url, data=body), timeout=30) as r:
            return r.status, r.headers, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read().decode()


def consent(url, fake):
    """A person on the fake's consent screen: reads it (the scopes are
    shown), submits its first form; returns the code the browser brings back."""
    status, _, page = fetch(url)
    assert status == 200 and "<li>" in page, page
    action, inner = re.findall(r"<form method='post' action='([^']+)'>(.*?)</form>", page, re.S)[0]
    fields = {html.unescape(n): html.unescape(v)
              for n, v in re.findall(r"name='([^']+)' value='([^']*)'", inner)}
    status, headers, body = fetch(fake.base + action, fields)
    assert status == 302, body
    back = headers["Location"]
    assert back.startswith(CALLBACK + "?"), back
    return urllib.parse.parse_qs(urllib.parse.urlsplit(back).query)["code"][0]


def sql(db_url, statement):
    if db_url.startswith("postgresql://"):
        out = subprocess.run(["psql", db_url, "-At", "-F", "\t", "-c", statement],
                             capture_output=True, text=True, check=True)
        return [line.split("\t") for line in out.stdout.splitlines() if line]
    with sqlite3.connect(db_url) as c:
        return [[str(v) for v in row] for row in c.execute(statement).fetchall()]


def count(db_url, table):
    return int(sql(db_url, "SELECT count(*) FROM " + table)[0][0])


def env_for(platform, fake, key, auth_path, client, secret):
    p = platform.upper()
    return {"KANAL_SECRET_KEY": key, "KANAL_PUBLIC_URL": PUBLIC_URL,
            "KANAL_%s_API_URL" % p: fake.base, "KANAL_%s_AUTH_URL" % p: fake.base + auth_path,
            "KANAL_%s_CLIENT_ID" % p: client, "KANAL_%s_CLIENT_SECRET" % p: secret}


def connect(db_url, platform, fake, env):
    """Connects through the CLI and the fake's consent screen; the channel's id."""
    run_kanal("migrate", "--db", db_url)
    sql(db_url, "INSERT INTO workspaces (name, slug, created_at, updated_at) VALUES "
                "('Kommunen', 'kommunen', 0, 0)")
    p = run_kanal("connect", "start", "--db", db_url, "--platform", platform, "--workspace",
                  "kommunen", env=env)
    url = re.search(r"^  (http\S+)$", p.stdout, re.M).group(1)
    state = re.search(r"^state: (\S+)$", p.stdout, re.M).group(1)
    code = consent(url, fake)
    p = run_kanal("connect", "finish", "--db", db_url, "--state", state, "--code", code, env=env)
    m = re.search(r"^channel (\d+): %s (\S+) connected \(new channel\)$" % platform, p.stdout, re.M)
    assert m, p.stdout
    tokens = fake.control("state", {}).get("tokens", [])
    assert tokens and not any(t in p.stdout + p.stderr for t in tokens)
    return int(m.group(1)), m.group(2)


@pytest.fixture
def key():
    return run_kanal("secret-key").stdout.strip()


@pytest.fixture
def tiktok():
    f = Fake("tiktok")
    yield f
    f.stop()


@pytest.fixture
def threads():
    f = Fake("threads")
    yield f
    f.stop()


def test_tiktok_connect_sync_publish(db_url, tiktok, key):
    env = env_for("tiktok", tiktok, key, "/v2/auth/authorize/", "kanal-tt", "tt-secret")
    ch, handle = connect(db_url, "tiktok", tiktok, env)
    assert handle == "@helsinginkaupunki"
    out = run_kanal("sync", "--db", db_url, env=env).stdout
    assert "channel %d (tiktok): " % ch in out and " 3 posts," in out, out
    assert count(db_url, "post_variants") == 3 and count(db_url, "post_metrics") == 3
    assert count(db_url, "channel_metrics") == 1
    time.sleep(1.1)  # a snapshot is per second: the second sync is a later one
    out = run_kanal("sync", "--db", db_url, "--channel", str(ch), env=env).stdout
    assert " 0 posts," in out and " 0 messages," in out and " 3 snapshots," in out, out
    assert count(db_url, "post_variants") == 3 and count(db_url, "post_metrics") == 6

    out = run_kanal("act", "--db", db_url, "--channel", str(ch), "publish", "--text",
                    "Uimarannat aukeavat", "--link", "https://media.example.org/ranta.jpg",
                    "--now", env=env).stdout
    assert out.startswith("action 1 done: "), out
    assert len(tiktok.calls("POST", "/v2/post/publish/content/init/")) == 1
    assert tiktok.control("state", {})["videos"] == 4
    # What TikTok's API cannot do is refused with why, and nothing is sent.
    p = run_kanal("act", "--db", db_url, "--channel", str(ch), "hide", "--target", "1", "--now",
                  env=env, check=False)
    assert p.returncode != 0 and "TikTok" in p.stdout + p.stderr, p.stdout + p.stderr
    # A refused publish says TikTok's words.
    tiktok.control("state", {"spam": True})
    p = run_kanal("act", "--db", db_url, "--channel", str(ch), "publish", "--text", "Taas",
                  "--link", "https://media.example.org/b.jpg", "--now", env=env, check=False)
    assert p.returncode != 0 and "daily post cap" in p.stdout + p.stderr, p.stdout + p.stderr


def test_threads_connect_sync_publish_reply_hide(db_url, threads, key):
    env = env_for("threads", threads, key, "/oauth/authorize", "kanal-threads", "th-secret")
    ch, handle = connect(db_url, "threads", threads, env)
    assert handle == "@kanal_desk"
    out = run_kanal("sync", "--db", db_url, env=env).stdout
    assert "channel %d (threads): " % ch in out and " 3 posts," in out and " 2 messages," in out, \
        out
    snapshots = count(db_url, "post_metrics")
    assert snapshots == 3 and count(db_url, "channel_metrics") == 1
    time.sleep(1.1)
    out = run_kanal("sync", "--db", db_url, env=env).stdout
    assert " 0 posts," in out and " 0 messages," in out and " 3 snapshots," in out, out
    assert count(db_url, "post_metrics") == snapshots + 3

    out = run_kanal("act", "--db", db_url, "--channel", str(ch), "publish", "--text",
                    "Simhallen öppnar igen", "--link", "https://example.org/simhallen",
                    "--now", env=env).stdout
    assert out.startswith("action 1 done: "), out
    question = sql(db_url, "SELECT platform_id FROM messages WHERE body LIKE '%söndag%'")[0][0]
    out = run_kanal("act", "--db", db_url, "--channel", str(ch), "reply", "--target", question,
                    "--text", "Klockan tio!", "--now", env=env).stdout
    assert out.startswith("action 2 done: "), out
    run_kanal("act", "--db", db_url, "--channel", str(ch), "hide", "--target", question, "--now",
              env=env)
    assert threads.control("state", {})["hidden"] == [question]
    run_kanal("act", "--db", db_url, "--channel", str(ch), "unhide", "--target", question,
              "--now", env=env)
    assert threads.control("state", {})["hidden"] == []
    assert len(threads.calls("POST", "/v1.0/17841400000000001/threads_publish")) == 2

    # The answer to threads_publish dropped after the thread was made: the
    # action is looked up before it is sent again, and made only once.
    threads.control("script", {"method": "POST",
                               "path": "/v1.0/17841400000000001/threads_publish",
                               "times": 1, "drop": True, "after": True})
    before = threads.control("state", {})["threads"]
    args = ["act", "--db", db_url, "--channel", str(ch), "publish", "--text", "Kadonnut",
            "--key", "lost-1", "--now"]
    run_kanal(*args, env=env, check=False)
    assert threads.control("state", {})["threads"] == before + 1
    out = run_kanal(*args, env=env, check=False).stdout
    assert threads.control("state", {})["threads"] == before + 1
    assert sql(db_url, "SELECT state FROM connect_actions WHERE key = 'lost-1'") == [["done"]], out


def test_tiktok_revoked_needs_reconnect_then_reconnected(db_url, tiktok, key):
    env = env_for("tiktok", tiktok, key, "/v2/auth/authorize/", "kanal-tt", "tt-secret")
    ch, _ = connect(db_url, "tiktok", tiktok, env)
    tiktok.control("state", {"revoke": True})
    p = run_kanal("sync", "--db", db_url, env=env, check=False)
    assert p.returncode != 0 and "access token is invalid" in p.stdout + p.stderr, \
        p.stdout + p.stderr
    # Held: a sync by hand says why without calling TikTok.
    calls = len(tiktok.control("log"))
    p = run_kanal("sync", "--db", db_url, env=env, check=False)
    assert "needs reconnecting" in p.stdout and len(tiktok.control("log")) == calls, p.stdout
    # Connected again through the consent screen: the same channel, synced.
    p = run_kanal("connect", "start", "--db", db_url, "--platform", "tiktok", "--workspace",
                  "kommunen", "--channel", str(ch), env=env)
    url = re.search(r"^  (http\S+)$", p.stdout, re.M).group(1)
    state = re.search(r"^state: (\S+)$", p.stdout, re.M).group(1)
    code = consent(url, tiktok)
    p = run_kanal("connect", "finish", "--db", db_url, "--state", state, "--code", code, env=env)
    assert re.search(r"^channel %d: tiktok @helsinginkaupunki connected" % ch, p.stdout, re.M), \
        p.stdout
    out = run_kanal("sync", "--db", db_url, env=env).stdout
    assert " 3 posts," in out, out
