"""Connected through the consent screen, then kept current and acted on by
the worker inside `kanal serve`, for the connectors besides Mastodon (whose
own file is test_sync.py): X (OAuth 2.0 with PKCE) and Facebook Pages
(Facebook Login, long-lived Page tokens), each against its fake under
tests/fakes/, on SQLite and PostgreSQL. The path is the one a team takes:
the desk starts the consent, the platform sends the browser back, the
worker syncs the channel and publishes what the desk queues."""
import html
import re
import time
import urllib.parse

import pytest

from conftest import Server, run_kanal, migrated_with_users
from test_connect import CALLBACK, PUBLIC_URL, SECRET_KEY, Fake, fetch, sql, to_server


def consent_x(url):
    status, _, page = fetch(url)
    assert status == 200 and "wants to access your X account" in page, page
    fields = {n: html.unescape(v) for n, v in
              re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page)}
    fields["decision"] = "allow"
    base = url.split("/i/oauth2/")[0]
    status, headers, body = fetch(base + "/i/oauth2/authorize", fields)
    assert status == 302, body
    return headers["Location"]


def consent_meta(url):
    status, _, page = fetch(url)
    assert status == 200 and "Log in with Facebook" in page, page
    fields = {n: html.unescape(v) for n, v in
              re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page)}
    fields["consent"] = "yes"
    status, headers, body = fetch(url.split("?")[0], fields)
    assert status == 302, body
    return headers["Location"].split("#")[0]


PLATFORMS = {
    "x": dict(fake="x", consent=consent_x,
              env=lambda b: {"KANAL_X_API_URL": b, "KANAL_X_AUTH_URL": b + "/i/oauth2/authorize",
                             "KANAL_X_TOKEN_URL": b + "/2/oauth2/token",
                             "KANAL_X_CLIENT_ID": "kanal-x"}),
    "facebook": dict(fake="meta", consent=consent_meta,
                     env=lambda b: {"KANAL_FACEBOOK_API_URL": b + "/v21.0",
                                    "KANAL_FACEBOOK_AUTH_URL": b + "/v21.0/dialog/oauth",
                                    "KANAL_FACEBOOK_CLIENT_ID": "kanal-meta-app",
                                    "KANAL_FACEBOOK_CLIENT_SECRET": "kanal-meta-secret"}),
}


def wait_for(what, seconds=30):
    end = time.time() + seconds
    while time.time() < end:
        got = what()
        if got:
            return got
        time.sleep(0.2)
    raise AssertionError("waited %d s in vain" % seconds)


@pytest.mark.parametrize("platform", sorted(PLATFORMS))
def test_connect_sync_and_publish_through_the_worker(platform, db_url, tmp_path):
    p = PLATFORMS[platform]
    fake = Fake(p["fake"])
    migrated_with_users(db_url)
    s = Server(db_url, str(tmp_path), extra_args=["--public-url", PUBLIC_URL,
                                                  "--sync-every", "1"],
               env=dict(p["env"](fake.base), KANAL_SECRET_KEY=SECRET_KEY))
    try:
        admin = s.client()
        assert admin.login("admin@example.org").status == 201
        ws = admin.post("/api/v1/workspaces", {"name": "Verket", "slug": "verket"}).json()["id"]
        r = admin.post("/api/v1/connect", {"platform": platform, "workspace_id": ws})
        assert r.status == 200, r
        assert r.json()["scopes"]
        back = p["consent"](r.json()["authorize_url"])
        assert back.startswith(CALLBACK + "?"), back
        status, headers, body = fetch(to_server(s, back), jar=admin.jar)
        assert status == 303, body
        channel = int(re.search(r"connected=(\d+)", headers["Location"]).group(1))
        base = f"/api/v1/workspaces/{ws}/channels/{channel}"

        # The worker syncs the new channel at once: posts and their figures arrive.
        conn = wait_for(lambda: (lambda j: j if j.get("synced_at") else None)(
            admin.get(base + "/connection").json()))
        assert conn["state"] == "connected" and not conn["last_error"], conn
        posts = int(sql(db_url, "SELECT count(*) FROM post_variants v JOIN posts p ON "
                                "p.id = v.post_id WHERE v.channel_id = ?", channel)[0][0])
        assert posts > 0
        assert int(sql(db_url, "SELECT count(*) FROM post_metrics")[0][0]) > 0

        # What the desk queues, the worker publishes, once.
        r = admin.post(base + "/actions", {"kind": "publish", "text": "Nytt från verket",
                                           "key": "e2e-publish-1"})
        assert r.status == 201, r
        done = wait_for(lambda: (lambda a: a if a["state"] in ("done", "failed") else None)(
            admin.get(base + "/actions").json()["items"][0]))
        assert done["state"] == "done" and done["platform_id"], done
        r = admin.post(base + "/actions", {"kind": "publish", "text": "Nytt från verket",
                                           "key": "e2e-publish-1"})
        assert r.status == 200 and r.json()["id"] == done["id"], r
        sent = [e for e in fake.control("log") if e["method"] == "POST"
                and "Nytt från verket" in urllib.parse.unquote_plus(e.get("body") or "")]
        assert len(sent) == 1, sent
    finally:
        code, log = s.stop()
        fake.stop()
    assert code == 0, log


def test_bluesky_connects_with_an_app_password_and_the_worker_syncs_it(db_url, tmp_path):
    fake = Fake("bluesky")
    me = fake.control("state", {})
    migrated_with_users(db_url)
    env = {"KANAL_BLUESKY_API_URL": fake.base, "KANAL_SECRET_KEY": SECRET_KEY}
    s = Server(db_url, str(tmp_path), extra_args=["--sync-every", "1"], env=env)
    try:
        admin = s.client()
        assert admin.login("admin@example.org").status == 201
        ws = admin.post("/api/v1/workspaces", {"name": "Verket", "slug": "verket"}).json()["id"]
        listed = {c["platform"]: c for c in admin.get("/api/v1/connectors").json()["items"]}
        assert listed["bluesky"]["configured"] is True  # no app, no redirect address needed
        # No consent screen to send anyone to: the identifier and password are asked for.
        r = admin.post("/api/v1/connect", {"platform": "bluesky", "workspace_id": ws})
        assert r.status == 400 and r.json()["error"]["field"] == "identifier", r
        r = admin.post("/api/v1/connect", {"platform": "bluesky", "workspace_id": ws,
                                           "identifier": me["handle"], "password": "a:b"})
        assert r.status == 400 and r.json()["error"]["field"] == "password", r
        r = admin.post("/api/v1/connect", {"platform": "bluesky", "workspace_id": ws,
                                           "identifier": me["handle"], "password": "wrong-pass"})
        assert r.status == 400 and "Invalid identifier or password" in r.body, r
        assert sql(db_url, "SELECT count(*) FROM channels") == [("0",)]
        r = admin.post("/api/v1/connect", {"platform": "bluesky", "workspace_id": ws,
                                           "identifier": me["handle"],
                                           "password": me["password"]})
        assert r.status == 201, r
        got = r.json()["channels"]
        assert len(got) == 1 and got[0]["platform"] == "bluesky" and got[0]["created"] is True
        channel = got[0]["channel_id"]
        # The app password went to the platform once and is nowhere in kanal.
        assert me["password"] not in s.read_log()
        rows = sql(db_url, "SELECT access_token, refresh_token FROM channel_tokens")
        assert len(rows) == 1 and me["password"] not in "".join(rows[0])
        base = f"/api/v1/workspaces/{ws}/channels/{channel}"
        conn = wait_for(lambda: (lambda j: j if j.get("synced_at") else None)(
            admin.get(base + "/connection").json()))
        assert conn["state"] == "connected" and not conn["last_error"], conn
        assert int(sql(db_url, "SELECT count(*) FROM post_variants WHERE channel_id = ?",
                       channel)[0][0]) > 0
        r = admin.post(base + "/actions", {"kind": "publish", "text": "Hej från verket"})
        assert r.status == 201, r
        done = wait_for(lambda: (lambda a: a if a["state"] in ("done", "failed") else None)(
            admin.get(base + "/actions").json()["items"][0]))
        assert done["state"] == "done" and done["platform_id"].startswith("at://"), done
    finally:
        code, log = s.stop()
    assert code == 0, log
    # The command line: the same, the password on stdin, the channel found again.
    p = run_kanal("connect", "start", "--db", db_url, "--platform", "bluesky", "--workspace",
                  "verket", "--identifier", me["handle"], "--password-stdin",
                  stdin=me["password"] + "\n", env=env)
    assert p.stdout.strip() == f"connected channel {channel} (bluesky {got[0]['handle']})", \
        p.stdout
    p = run_kanal("connect", "start", "--db", db_url, "--platform", "bluesky", "--workspace",
                  "verket", env=env, check=False)
    assert p.returncode == 1 and "--identifier" in p.stderr, p.stderr
    fake.stop()
