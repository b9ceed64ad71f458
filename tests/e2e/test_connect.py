"""Connecting an account through OAuth, end to end: kanal serve and the CLI
against the Mastodon fake (tests/fakes/mastodon.py), whose consent screen is
a form a person submits. On SQLite and PostgreSQL."""
import html
import json
import os
import re
import sqlite3
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request

import pytest

from conftest import ROOT, Server, run_kanal, migrated_with_users

SECRET_KEY = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
PUBLIC_URL = "https://desk.example.org"
CALLBACK = PUBLIC_URL + "/oauth/callback"


# ---- the fake, and a browser that does not follow redirects ------------------------------

class Fake:
    def __init__(self, name):
        self.proc = subprocess.Popen(
            [sys.executable, os.path.join(ROOT, "tests", "fakes", name + ".py")],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        m = re.match(r"listening (\d+)", line)
        assert m, "the fake did not start: " + line + self.proc.stderr.read()
        self.base = f"http://127.0.0.1:{m.group(1)}"

    def control(self, what, body=None):
        req = urllib.request.Request(self.base + "/_fake/" + what, method="POST" if body is not None
                                     or what != "log" else "GET",
                                     data=json.dumps(body).encode() if body is not None else None,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read())

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)
        self.proc.stdout.close()
        self.proc.stderr.close()


@pytest.fixture
def mastodon():
    f = Fake("mastodon")
    yield f
    f.stop()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kw):
        return None


def fetch(url, data=None, jar=None):
    """(status, headers, body) without following a redirect."""
    handlers = [NoRedirect()]
    if jar is not None:
        handlers.append(urllib.request.HTTPCookieProcessor(jar))
    opener = urllib.request.build_opener(*handlers)
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    try:
        with opener.open(urllib.request.Request(url, data=body), timeout=30) as r:
            return r.status, r.headers, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read().decode()


def consent(authorize_url, deny=False):
    """What a person does on the platform's consent screen: read the page,
    submit its Authorize (or Deny) form. Returns where the platform sends
    the browser back to."""
    status, _, page = fetch(authorize_url)
    assert status == 200, page
    forms = re.findall(r"<form method='post' action='([^']+)'>(.*?)</form>", page, re.S)
    assert len(forms) == 2, page
    action, inner = forms[1] if deny else forms[0]
    fields = {html.unescape(n): html.unescape(v)
              for n, v in re.findall(r"name='([^']+)' value='([^']*)'", inner)}
    base = authorize_url.split("/oauth/")[0]
    status, headers, body = fetch(base + action, fields)
    assert status == 302, body
    back = headers["Location"]
    assert back.startswith(CALLBACK + "?"), back
    return back


def to_server(server, back):
    """The platform sends the browser to the public URL; here that is the test's server."""
    return server.base + back[len(PUBLIC_URL):]


def sql(db_url, query, *args):
    if db_url.startswith("postgresql://"):
        q = query.replace("?", "%s") % tuple(
            "'" + str(a).replace("'", "''") + "'" if isinstance(a, str) else str(a) for a in args)
        out = subprocess.run(["psql", db_url, "-AtF", "\t", "-c", q], capture_output=True,
                             text=True, check=True).stdout
        return [tuple(line.split("\t")) for line in out.splitlines() if line]
    with sqlite3.connect(db_url) as c:
        return [tuple("" if v is None else str(v) for v in row)
                for row in c.execute(query, args).fetchall()]


# ---- a server that can connect -----------------------------------------------------------

@pytest.fixture
def desk(db_url, tmp_path):
    migrated_with_users(db_url)
    s = Server(db_url, str(tmp_path), extra_args=["--public-url", PUBLIC_URL],
               env={"KANAL_SECRET_KEY": SECRET_KEY})
    yield s
    code, log = s.stop()
    assert code == 0, log


def signed_in(server, role):
    c = server.client()
    assert c.login(f"{role}@example.org").status == 201
    return c


def new_workspace(admin):
    r = admin.post("/api/v1/workspaces", {"name": "Kommunen", "slug": "kommunen"})
    assert r.status == 201, r
    return r.json()["id"]


def start(client, ws, **extra):
    r = client.post("/api/v1/connect", {"platform": "mastodon", "workspace_id": ws, **extra})
    assert r.status == 200, r
    return r.json()


def bearer_tokens(fake):
    return {e["headers"].get("Authorization", e["headers"].get("authorization", ""))[7:]
            for e in fake.control("log") if e["path"] == "/api/v1/accounts/verify_credentials"}


def test_connect_through_the_consent_screen(desk, db_url, mastodon):
    admin = signed_in(desk, "admin")
    ws = new_workspace(admin)

    r = admin.get("/api/v1/connectors")
    assert r.status == 200, r
    m = {c["platform"]: c for c in r.json()["items"]}["mastodon"]
    assert m["configured"] is True and m["problem"] is None
    assert m["per_instance"] is True
    assert m["scopes"]
    assert m["redirect_uri"] == CALLBACK

    got = start(admin, ws, instance=mastodon.base + "/")
    assert got["scopes"] == m["scopes"]
    assert got["instance"] == mastodon.base
    url = got["authorize_url"]
    assert url.startswith(mastodon.base + "/oauth/authorize?")
    q = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
    assert q["redirect_uri"] == [CALLBACK]
    state = q["state"][0]
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", state)
    assert mastodon.control("state", {})["apps"] == 1  # registered on the server

    back = consent(url)
    status, headers, body = fetch(to_server(desk, back), jar=admin.jar)
    assert status == 303, body
    loc = headers["Location"]
    m2 = re.fullmatch(rf"/\?workspace={ws}&connected=(\d+)#channels", loc)
    assert m2, loc
    channel = int(m2.group(1))

    ch = admin.get(f"/api/v1/workspaces/{ws}/channels/{channel}").json()
    assert ch["platform"] == "mastodon"
    assert ch["handle"].startswith("@kanal@")
    assert ch["platform_id"] == mastodon.control("state", {})["account_id"]

    # The tokens are sealed: the one the fake gave is nowhere in the store,
    # the answers or the log; the key opens them.
    tokens = bearer_tokens(mastodon)
    assert len(tokens) == 1 and all(len(t) > 20 for t in tokens)
    token = tokens.pop()
    rows = sql(db_url, "SELECT access_token, scopes, key_id FROM channel_tokens WHERE "
               "channel_id = ?", channel)
    assert len(rows) == 1 and token not in rows[0][0] and rows[0][1]
    apps = sql(db_url, "SELECT client_id, client_secret FROM oauth_apps")
    assert len(apps) == 1
    states = sql(db_url, "SELECT verifier, used_at FROM oauth_states WHERE state = ?", state)
    assert states and states[0][1]  # used
    conn = sql(db_url, "SELECT state, problem, api_url FROM channel_connections WHERE "
               "channel_id = ?", channel)
    assert conn == [("connected", "", mastodon.base)]
    show = run_kanal("channel-token", "show", str(channel), "--db", db_url,
                     env={"KANAL_SECRET_KEY": SECRET_KEY})
    assert "tokens open with this key" in show.stdout
    assert token not in show.stdout + body + desk.read_log()

    # The same answer again: the state was used.
    status, _, body = fetch(to_server(desk, back), jar=admin.jar)
    assert status == 409 and "already used" in body, body
    assert bearer_tokens(mastodon) == {token}  # the platform was not asked again

    # A state kanal never gave out.
    status, _, body = fetch(desk.base + "/oauth/callback?code=x&state=" + "A" * 43, jar=admin.jar)
    assert status == 404 and "unknown state" in body, body
    status, _, body = fetch(desk.base + "/oauth/callback?code=x", jar=admin.jar)
    assert status == 400 and "without a state" in body, body

    listed = run_kanal("connect", "list", "--db", db_url, "--workspace", "kommunen")
    # Connected, the channel is synced at once (by the desk's own worker here).
    assert re.search(rf"^{channel}\s+mastodon\s+@kanal@\S+\s+connected\s+"
                     r"(never|\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)\s+-$",
                     listed.stdout, re.M), listed.stdout


def test_declined_consent_is_shown_and_used_up(desk, db_url, mastodon):
    admin = signed_in(desk, "admin")
    ws = new_workspace(admin)
    url = start(admin, ws, instance=mastodon.base)["authorize_url"]
    back = consent(url, deny=True)
    assert "error=access_denied" in back
    status, headers, body = fetch(to_server(desk, back), jar=admin.jar)
    assert status == 403, body
    assert headers["Content-Type"].startswith("text/html")
    assert "access_denied" in body and "denied the request" in body
    assert "Nothing was connected" in body
    assert sql(db_url, "SELECT count(*) FROM channels") == [("0",)]
    state = urllib.parse.parse_qs(urllib.parse.urlsplit(back).query)["state"][0]
    assert sql(db_url, "SELECT used_at IS NOT NULL FROM oauth_states WHERE state = ?",
               state)[0][0] in ("1", "t")


def test_reconnect_clears_needs_reconnect(desk, db_url, mastodon):
    admin = signed_in(desk, "admin")
    ws = new_workspace(admin)
    first = fetch(to_server(desk, consent(start(admin, ws, instance=mastodon.base)
                                          ["authorize_url"])), jar=admin.jar)
    channel = int(re.search(r"connected=(\d+)", first[1]["Location"]).group(1))
    sql(db_url, "UPDATE channel_connections SET state = 'needs_reconnect', problem = "
        "'Mastodon: The access token is invalid' WHERE channel_id = ?", channel)
    listed = run_kanal("connect", "list", "--db", db_url)
    assert "needs_reconnect" in listed.stdout and "access token is invalid" in listed.stdout

    # An editor reconnects it; the channel's own server is used again.
    editor = signed_in(desk, "editor")
    got = start(editor, ws, channel_id=channel)
    assert got["instance"] == mastodon.base
    status, headers, body = fetch(to_server(desk, consent(got["authorize_url"])), jar=editor.jar)
    assert status == 303, body
    assert f"connected={channel}#" in headers["Location"]
    assert sql(db_url, "SELECT state, problem FROM channel_connections WHERE channel_id = ?",
               channel) == [("connected", "")]
    assert sql(db_url, "SELECT count(*) FROM channels") == [("1",)]
    assert mastodon.control("state", {})["apps"] == 1  # the app is registered once per server
    assert len(bearer_tokens(mastodon)) == 2  # a new token, sealed over the old one


def test_only_the_starter_finishes(desk, db_url, mastodon):
    admin, editor = signed_in(desk, "admin"), signed_in(desk, "editor")
    ws = new_workspace(admin)
    back = consent(start(editor, ws, instance=mastodon.base)["authorize_url"])
    status, _, body = fetch(to_server(desk, back), jar=admin.jar)
    assert status == 403 and "another user" in body, body
    # Not signed in: one hop through kanal's own page (a Strict cookie stays
    # behind on a cross-site return), then a page asking to sign in.
    status, _, body = fetch(to_server(desk, back))
    assert status == 200 and 'http-equiv="refresh"' in body and "hop=1" in body, body
    hop = html.unescape(re.search(r'url=([^"]+)"', body).group(1))
    status, _, body = fetch(desk.base + hop)
    assert status == 401 and "Sign in" in body, body
    # The starter still can: none of that used the consent up.
    status, _, body = fetch(to_server(desk, back), jar=editor.jar)
    assert status == 303, body
    # An author may not start one.
    r = signed_in(desk, "author").post("/api/v1/connect", {"platform": "mastodon",
                                                           "workspace_id": ws,
                                                           "instance": mastodon.base})
    assert r.status == 403, r


def test_bad_requests(desk, db_url, mastodon):
    admin = signed_in(desk, "admin")
    ws = new_workspace(admin)
    r = admin.post("/api/v1/connect", {"platform": "myspace", "workspace_id": ws})
    assert r.status == 400 and r.json()["error"]["field"] == "platform", r
    r = admin.post("/api/v1/connect", {"platform": "mastodon", "workspace_id": 999,
                                       "instance": mastodon.base})
    assert r.status == 404, r
    r = admin.post("/api/v1/connect", {"platform": "mastodon", "workspace_id": ws,
                                       "instance": "http://mastodon.example"})
    assert r.status == 400 and "in the clear" in r.json()["error"]["message"], r
    r = admin.post("/api/v1/connect", {"platform": "mastodon", "workspace_id": ws,
                                       "instance": "https://bad host/x"})
    assert r.status == 400 and r.json()["error"]["field"] == "instance", r
    r = admin.post("/api/v1/connect", {"platform": "mastodon", "workspace_id": ws,
                                       "channel_id": 12345})
    assert r.status == 404 and r.json()["error"]["field"] == "channel_id", r
    r = admin.post("/api/v1/connect", {"platform": "mastodon", "workspace_id": ws,
                                       "colour": "blue"})
    assert r.status == 400, r
    # A server that answers registration with an error: its words.
    mastodon.control("script", {"method": "POST", "path": "/api/v1/apps", "status": 422,
                                "body": {"error": "Validation failed: Redirect URI must be "
                                         "an absolute URI."}})
    r = admin.post("/api/v1/connect", {"platform": "mastodon", "workspace_id": ws,
                                       "instance": mastodon.base})
    assert r.status == 400 and "could not register" in r.json()["error"]["message"], r
    assert sql(db_url, "SELECT count(*) FROM oauth_apps") == [("0",)]


def test_not_configured_says_what_to_set(admin, workspace):
    # The plain server: no --public-url and no secret key.
    r = admin.get("/api/v1/connectors")
    m = {c["platform"]: c for c in r.json()["items"]}["mastodon"]
    assert m["configured"] is False and "KANAL_SECRET_KEY" in m["problem"]
    r = admin.post("/api/v1/connect", {"platform": "mastodon", "workspace_id": workspace,
                                       "instance": "https://mastodon.example"})
    assert r.status == 503 and "KANAL_SECRET_KEY" in r.json()["error"]["message"], r


def test_cli_start_and_finish(desk, db_url, mastodon):
    admin = signed_in(desk, "admin")
    new_workspace(admin)
    env = {"KANAL_SECRET_KEY": SECRET_KEY}
    p = run_kanal("connect", "start", "--db", db_url, "--platform", "mastodon", "--workspace",
                  "kommunen", "--instance", mastodon.base, env=env, check=False)
    assert p.returncode == 1 and "KANAL_PUBLIC_URL" in p.stderr, p.stderr
    p = run_kanal("connect", "start", "--db", db_url, "--platform", "mastodon", "--workspace",
                  "kommunen", "--instance", mastodon.base, "--public-url", PUBLIC_URL, env=env)
    url = re.search(r"^  (http\S+)$", p.stdout, re.M).group(1)
    state = re.search(r"^state: (\S+)$", p.stdout, re.M).group(1)
    back = consent(url)
    code = urllib.parse.parse_qs(urllib.parse.urlsplit(back).query)["code"][0]
    # The callback shows a consent the command line started as the command to run.
    status, _, body = fetch(to_server(desk, back), jar=admin.jar)
    assert status == 200 and "kanal connect finish" in body and code in body, body
    p = run_kanal("connect", "finish", "--db", db_url, "--state", state, "--code", code,
                  "--public-url", PUBLIC_URL, env=env)
    assert re.search(r"^channel \d+: mastodon @kanal@\S+ connected \(new channel\)$", p.stdout,
                     re.M), p.stdout
    p = run_kanal("connect", "finish", "--db", db_url, "--state", state, "--code", code,
                  "--public-url", PUBLIC_URL, env=env, check=False)
    assert p.returncode == 1 and "already used" in p.stderr, p.stderr
    p = run_kanal("connect", "finish", "--db", db_url, "--state", "B" * 43, "--code", code,
                  "--public-url", PUBLIC_URL, env=env, check=False)
    assert p.returncode == 1 and "unknown state" in p.stderr, p.stderr
    token = bearer_tokens(mastodon)
    assert token and not any(t in p.stdout + p.stderr for t in token)
