"""The connectors beyond the first ones, end to end through the CLI against
their fakes (tests/fakes/youtube.py), on SQLite and PostgreSQL: connect
through the fake's consent screen with `kanal connect start|finish`, sync
twice (the second adds nothing but snapshots), reply and hide, a lost reply
reconciled without a second one, and a revoked token turning the channel
"needs reconnect"."""
import base64
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
from test_sync import png

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


def sql(db_url, statement):
    if db_url.startswith("postgresql://"):
        out = subprocess.run(["psql", db_url, "-At", "-F", "\t", "-c", statement],
                             capture_output=True, text=True, check=True)
        return [line.split("\t") for line in out.stdout.splitlines() if line]
    with sqlite3.connect(db_url) as c:
        return [[str(v) for v in row] for row in c.execute(statement).fetchall()]


def count(db_url, table):
    return int(sql(db_url, "SELECT count(*) FROM " + table)[0][0])


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kw):
        return None


def consent(authorize_url):
    """What a person does on the consent screen: read it, press Allow.
    Returns the query the platform sends the browser back with."""
    with urllib.request.urlopen(authorize_url, timeout=10) as r:
        page = r.read().decode()
    action, inner = re.search(r'<form method="post" action="([^"]+)">(.*?)</form>', page, re.S).groups()
    fields = {html.unescape(n): html.unescape(v)
              for n, v in re.findall(r'name="([^"]+)" value="([^"]*)"', inner)}
    fields["decision"] = "allow"
    base = re.match(r"https?://[^/]+", authorize_url).group(0)
    opener = urllib.request.build_opener(NoRedirect())
    try:
        opener.open(base + action, urllib.parse.urlencode(fields).encode(), timeout=10)
        raise AssertionError("the consent screen did not redirect")
    except urllib.error.HTTPError as e:
        assert e.code == 302, e.read()
        back = e.headers["Location"]
    assert back.startswith(CALLBACK + "?"), back
    return urllib.parse.parse_qs(urllib.parse.urlsplit(back).query)


@pytest.fixture
def youtube():
    f = Fake("youtube")
    yield f
    f.stop()


@pytest.fixture
def yt_env(youtube):
    key = run_kanal("secret-key").stdout.strip()
    return {"KANAL_SECRET_KEY": key,
            "KANAL_YOUTUBE_API_URL": youtube.base,
            "KANAL_YOUTUBE_AUTH_URL": youtube.base + "/o/oauth2/v2/auth",
            "KANAL_YOUTUBE_TOKEN_URL": youtube.base + "/token",
            "KANAL_YOUTUBE_CLIENT_ID": "kanal-yt.apps.googleusercontent.com",
            "KANAL_YOUTUBE_CLIENT_SECRET": "yt-secret"}


def connect_cli(db_url, env, platform):
    """`kanal connect start`, the consent screen, `kanal connect finish`:
    the new channel's id."""
    run_kanal("migrate", "--db", db_url)
    sql(db_url, "INSERT INTO workspaces (name, slug, created_at, updated_at) VALUES "
                "('Kommunen', 'kommunen', 0, 0)")
    p = run_kanal("connect", "start", "--db", db_url, "--platform", platform, "--workspace",
                  "kommunen", "--public-url", PUBLIC_URL, env=env)
    url = re.search(r"^  (http\S+)$", p.stdout, re.M).group(1)
    state = re.search(r"^state: (\S+)$", p.stdout, re.M).group(1)
    back = consent(url)
    assert back["state"] == [state]
    p = run_kanal("connect", "finish", "--db", db_url, "--state", state, "--code",
                  back["code"][0], "--public-url", PUBLIC_URL, env=env)
    m = re.search(r"^channel (\d+): %s (\S+) connected \(new channel\)$" % platform, p.stdout,
                  re.M)
    assert m, p.stdout
    return int(m.group(1)), p.stdout


def test_youtube_connect_sync_reply_hide(db_url, youtube, yt_env):
    channel, out = connect_cli(db_url, yt_env, "youtube")
    assert "@kanaldesk" in out
    st = youtube.control("state", {})
    assert sql(db_url, "SELECT platform, platform_id FROM channels WHERE id = %d" % channel) == \
        [["youtube", st["channel_id"]]]
    # Offline access was asked for, and the PKCE verifier was sent.
    tok = youtube.calls("POST", "/token")[0]["body"]
    assert "code_verifier=" in tok and "grant_type=authorization_code" in tok
    assert sql(db_url, "SELECT refresh_token IS NOT NULL FROM channel_tokens")[0][0] in ("1", "t")

    out = run_kanal("sync", "--db", db_url, env=yt_env).stdout
    assert "channel %d (youtube): " % channel in out, out
    posts, messages = count(db_url, "post_variants"), count(db_url, "messages")
    snapshots = count(db_url, "post_metrics")
    assert posts == st["videos"] and messages == st["comments"], out
    assert snapshots == posts
    assert sql(db_url, "SELECT followers FROM channel_metrics") == [["678"]]

    time.sleep(1.1)  # a snapshot is per second: the second sync is a later one
    out = run_kanal("sync", "--db", db_url, "--channel", str(channel), env=yt_env).stdout
    assert " 0 posts," in out and " 0 messages," in out and " %d snapshots," % posts in out, out
    assert count(db_url, "post_variants") == posts and count(db_url, "messages") == messages
    assert count(db_url, "post_metrics") == snapshots + posts

    # Reply to a comment of someone else's, then hide it.
    target = sql(db_url, "SELECT platform_id FROM messages WHERE parent_id IS NULL AND "
                         "platform_id NOT LIKE '%.%' ORDER BY id LIMIT 1")[0][0]
    out = run_kanal("act", "--db", db_url, "--channel", str(channel), "reply", "--target", target,
                    "--text", "Tack för frågan!", "--now", env=yt_env).stdout
    assert out.startswith("action 1 done: " + target + "."), out
    assert youtube.control("state", {})["replies"] == ["Tack för frågan!"]
    out = run_kanal("act", "--db", db_url, "--channel", str(channel), "hide", "--target", target,
                    "--now", env=yt_env).stdout
    assert out.startswith("action 2 done"), out
    assert youtube.control("state", {})["moderation"] == {target: "heldForReview"}

    # A reply whose answer is lost after it was made: looked up, not sent again.
    youtube.control("script", {"method": "POST", "path": "/youtube/v3/comments", "times": 2,
                               "drop": True, "after": True})
    args = ("act", "--db", db_url, "--channel", str(channel), "reply", "--target", target,
            "--key", "svar-2", "--text", "Vi återkommer.", "--now")
    p = run_kanal(*args, env=yt_env, check=False)
    assert p.returncode == 1 and "not done (lost)" in p.stdout, p.stdout + p.stderr
    out = run_kanal(*args, env=yt_env).stdout
    assert "done" in out, out
    assert youtube.control("state", {})["replies"].count("Vi återkommer.") == 1

    # Publishing is not something YouTube's API does for text: refused clearly.
    p = run_kanal("act", "--db", db_url, "--channel", str(channel), "publish", "--text", "Hej",
                  "--now", env=yt_env, check=False)
    assert p.returncode != 0 and "youtube" in (p.stdout + p.stderr).lower(), p.stdout + p.stderr

    # Revoked at Google: the refresh fails with invalid_grant, reconnect.
    youtube.control("state", {"revoke": True})
    p = run_kanal("sync", "--db", db_url, env=yt_env, check=False)
    assert p.returncode == 1 and "failed (auth)" in p.stdout, p.stdout
    state, problem = sql(db_url, "SELECT state, problem FROM channel_connections")[0]
    assert state == "needs_reconnect" and problem, problem


@pytest.fixture
def linkedin():
    f = Fake("linkedin")
    yield f
    f.stop()


@pytest.fixture
def li_env(linkedin):
    key = run_kanal("secret-key").stdout.strip()
    return {"KANAL_SECRET_KEY": key,
            "KANAL_LINKEDIN_API_URL": linkedin.base,
            "KANAL_LINKEDIN_AUTH_URL": linkedin.base + "/oauth/v2/authorization",
            "KANAL_LINKEDIN_TOKEN_URL": linkedin.base + "/oauth/v2/accessToken",
            "KANAL_LINKEDIN_CLIENT_ID": "kanal-li",
            "KANAL_LINKEDIN_CLIENT_SECRET": "li-secret"}


def test_linkedin_connect_sync_publish_reply(db_url, linkedin, li_env, tmp_path):
    channel, out = connect_cli(db_url, li_env, "linkedin")
    # One login, both pages the member administers.
    assert re.search(r"^channel \d+: linkedin kanal-labs connected \(new channel\)$", out, re.M), out
    assert sql(db_url, "SELECT platform_id FROM channels WHERE id = %d" % channel) == \
        [["urn:li:organization:2414183"]]
    st = linkedin.control("state", {})

    out = run_kanal("sync", "--db", db_url, "--channel", str(channel), env=li_env).stdout
    assert "channel %d (linkedin): " % channel in out, out
    posts, messages = count(db_url, "post_variants"), count(db_url, "messages")
    snapshots = count(db_url, "post_metrics")
    assert (posts, messages) == (st["posts"], st["comments"]), out
    assert snapshots == posts
    assert sql(db_url, "SELECT followers FROM channel_metrics") == [["1523"]]
    # Every call named its version and Restli 2.0.
    rest = [e for e in linkedin.control("log") if e["path"].startswith("/rest/")]
    assert rest and all(e["headers"].get("LinkedIn-Version") == "202411" and
                        e["headers"].get("X-Restli-Protocol-Version") == "2.0.0" for e in rest)

    time.sleep(1.1)
    out = run_kanal("sync", "--db", db_url, "--channel", str(channel), env=li_env).stdout
    assert " 0 posts," in out and " 0 messages," in out and " %d snapshots," % posts in out, out
    assert count(db_url, "post_variants") == posts and count(db_url, "messages") == messages
    assert count(db_url, "post_metrics") == snapshots + posts

    # Publish a link post; reply to a comment.
    out = run_kanal("act", "--db", db_url, "--channel", str(channel), "publish", "--text",
                    "Vi söker sommarvikarier", "--link", "https://example.org/jobb", "--now",
                    env=li_env).stdout
    assert re.match(r"action 1 done: urn:li:share:\d+", out), out
    assert linkedin.control("state", {})["texts"][0] == "Vi söker sommarvikarier"
    target = sql(db_url, "SELECT platform_id FROM messages WHERE body = 'När öppnar ni?'")[0][0]
    out = run_kanal("act", "--db", db_url, "--channel", str(channel), "reply", "--target", target,
                    "--text", "Klockan tio!", "--now", env=li_env).stdout
    assert out.startswith("action 2 done: urn:li:comment:("), out
    assert linkedin.control("state", {})["replies"] == ["Klockan tio!"]

    # An image post: the Images API gets the exact bytes, the post its URN.
    image = png(6, 3)
    path = tmp_path / "bild.png"
    path.write_bytes(image)
    out = run_kanal("act", "--db", db_url, "--channel", str(channel), "--now", "publish",
                    "--text", "Kuva päivästä", "--image", str(path), "--alt", "Tiimi toimistolla",
                    env=li_env).stdout
    m = re.match(r"action \d+ done: (urn:li:share:\d+)", out)
    assert m, out
    st = linkedin.control("state", {})
    media = st["media"][m.group(1)]
    assert media["id"].startswith("urn:li:image:") and media["altText"] == "Tiimi toimistolla"
    got = st["images"][media["id"]]
    assert base64.b64decode(got["base64"]) == image and got["type"] == "image/png", got
    calls = [e for e in linkedin.control("log")
             if e["path"].startswith(("/rest/images", "/_upload/", "/rest/posts"))][-3:]
    assert [(e["method"], e["path"].split("/")[1:3]) for e in calls] == [
        ("POST", ["rest", "images"]), ("PUT", ["_upload", calls[1]["path"].split("/")[2]]),
        ("POST", ["rest", "posts"])], calls
    assert got["owner"] == json.loads(calls[2]["body"])["author"], got

    # The same text again: LinkedIn's 422 duplicate reaches the user.
    p = run_kanal("act", "--db", db_url, "--channel", str(channel), "publish", "--text",
                  "Vi söker sommarvikarier", "--key", "again", "--now", env=li_env, check=False)
    assert p.returncode == 1 and "duplicate" in (p.stdout + p.stderr).lower(), p.stdout + p.stderr

    # A post whose answer was lost: looked up, not posted twice.
    linkedin.control("script", {"method": "POST", "path": "/rest/posts", "times": 2,
                                "drop": True, "after": True})
    args = ("act", "--db", db_url, "--channel", str(channel), "publish", "--key", "launch",
            "--text", "Lanseringen är idag", "--now")
    p = run_kanal(*args, env=li_env, check=False)
    assert p.returncode == 1 and "not done (lost)" in p.stdout, p.stdout + p.stderr
    out = run_kanal(*args, env=li_env).stdout
    assert "done" in out, out
    assert linkedin.control("state", {})["texts"].count("Lanseringen är idag") == 1

    # Expired and revoked: needs reconnect.
    linkedin.control("state", {"revoke": True})
    p = run_kanal("sync", "--db", db_url, "--channel", str(channel), env=li_env, check=False)
    assert p.returncode == 1 and "failed (auth)" in p.stdout, p.stdout
    assert sql(db_url, "SELECT state FROM channel_connections WHERE channel_id = %d"
               % channel) == [["needs_reconnect"]]
