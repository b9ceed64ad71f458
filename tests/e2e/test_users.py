"""What an admin changes about users after creating them (role, disabled,
password, sign-outs), the audit log that records it, API tokens that expire,
the deny-list of common passwords and the demo-password warning, over the API
and the CLI, on SQLite and on PostgreSQL."""
import calendar
import time

import pytest

from conftest import PASSWORD, ROLES, Server, run_kanal
from test_auth import run_sql

NEW_PASSWORD = "plum kettle orbit seven"


def unix(iso):
    return calendar.timegm(time.strptime(iso, "%Y-%m-%dT%H:%M:%SZ"))


def user_id(admin, email):
    users = admin.get("/api/v1/users").json()["items"]
    return next(u["id"] for u in users if u["email"] == email)


def audit(admin, query=""):
    r = admin.get("/api/v1/audit" + query)
    assert r.status == 200, r
    return r.json()


def signed_in_with_token(server, email, **token_fields):
    """A signed-in client for email, and a second client using an API token of it."""
    c = server.client()
    assert c.login(email).status == 201
    r = c.post("/api/v1/tokens", {"name": "script", **token_fields})
    assert r.status == 201, r
    bot = server.client()
    bot.token = r.json()["token"]
    return c, bot, r.json()


# ---- API --------------------------------------------------------------------------------

def test_an_admin_changes_role_and_name_and_nobody_else_may(server, admin, as_role):
    editor = as_role("editor")
    eid = user_id(admin, "editor@example.org")
    r = admin.patch(f"/api/v1/users/{eid}", {"role": "analyst", "name": "Eddie"})
    assert r.status == 200, r
    assert (r.json()["role"], r.json()["name"]) == ("analyst", "Eddie")
    # The live session now has the analyst's power: no channels made any more.
    assert editor.get("/api/v1/session").json()["user"]["role"] == "analyst"
    assert editor.post("/api/v1/workspaces", {"name": "W", "slug": "w"}).status == 403
    for role in ROLES[1:]:
        c = as_role(role)
        assert c.patch(f"/api/v1/users/{eid}", {"role": "admin"}).status == 403, role
        assert c.post(f"/api/v1/users/{eid}/revoke").status == 403, role
        assert c.post(f"/api/v1/users/{eid}/password", {"password": NEW_PASSWORD}).status == 403
        assert c.get("/api/v1/audit").status == 403, role
    assert admin.get("/api/v1/users").json()["items"][1]["role"] == "analyst"
    for bad in ({"role": "boss"}, {"disabled": "yes"}, {"email": "x@example.org"}, {},
                {"name": "x" * 121}):
        assert admin.patch(f"/api/v1/users/{eid}", bad).status == 400, bad
    assert admin.patch("/api/v1/users/9999", {"role": "admin"}).status == 404


def test_disabling_ends_sessions_and_tokens_at_once(server, admin):
    editor, bot, _ = signed_in_with_token(server, "editor@example.org")
    assert bot.get("/api/v1/workspaces").status == 200
    eid = user_id(admin, "editor@example.org")
    r = admin.patch(f"/api/v1/users/{eid}", {"disabled": True})
    assert r.status == 200 and r.json()["disabled"] is True, r
    assert editor.get("/api/v1/workspaces").status == 401
    assert bot.get("/api/v1/workspaces").status == 401
    assert server.client().login("editor@example.org").status == 401
    # Enabled again, they sign in; the token revoked by the disabling stays so.
    assert admin.patch(f"/api/v1/users/{eid}", {"disabled": False}).status == 200
    again = server.client()
    assert again.login("editor@example.org").status == 201
    assert bot.get("/api/v1/workspaces").status == 401
    tokens = again.get("/api/v1/tokens").json()["items"]
    assert len(tokens) == 1 and tokens[0]["revoked_at"] is not None


def test_the_last_active_admin_cannot_be_disabled_or_demoted(server, admin):
    aid = user_id(admin, "admin@example.org")
    for change in ({"disabled": True}, {"role": "editor"}):
        r = admin.patch(f"/api/v1/users/{aid}", change)
        assert r.status == 409 and "last active admin" in r.json()["error"]["message"], r
    assert admin.get("/api/v1/session").json()["user"]["role"] == "admin"
    # With a second admin the first may step down; then the second is the last.
    eid = user_id(admin, "editor@example.org")
    assert admin.patch(f"/api/v1/users/{eid}", {"role": "admin"}).status == 200
    assert admin.patch(f"/api/v1/users/{aid}", {"role": "editor"}).status == 200
    second = server.client()
    assert second.login("editor@example.org").status == 201
    assert second.patch(f"/api/v1/users/{eid}", {"disabled": True}).status == 409
    # A disabled admin does not count as one.
    assert second.patch(f"/api/v1/users/{aid}", {"role": "admin", "disabled": True}).status == 200
    assert second.patch(f"/api/v1/users/{eid}", {"role": "analyst"}).status == 409


def test_an_admin_resets_a_password_and_a_user_changes_their_own(server, admin, as_role):
    author = as_role("author")
    uid = user_id(admin, "author@example.org")
    r = admin.post(f"/api/v1/users/{uid}/password", {"password": "qwertyuiop"})
    assert r.status == 400 and "common" in r.json()["error"]["message"], r
    r = admin.post(f"/api/v1/users/{uid}/password", {"password": "short"})
    assert r.status == 400 and "10 to" in r.json()["error"]["message"], r
    assert author.get("/api/v1/session").status == 200  # nothing changed yet
    assert admin.post(f"/api/v1/users/{uid}/password", {"password": NEW_PASSWORD}).status == 200
    assert author.get("/api/v1/session").status == 401  # the reset ended the session
    assert server.client().login("author@example.org").status == 401
    me = server.client()
    assert me.login("author@example.org", NEW_PASSWORD).status == 201
    # Their own change needs the current password.
    wrong = me.post("/api/v1/session/password",
                    {"old_password": PASSWORD, "password": "another fine phrase"})
    assert wrong.status == 400 and wrong.json()["error"]["field"] == "old_password", wrong
    assert me.get("/api/v1/session").status == 200  # a wrong old password signs nobody out
    common = me.post("/api/v1/session/password",
                     {"old_password": NEW_PASSWORD, "password": "Password123"})
    assert common.status == 400 and "common" in common.json()["error"]["message"], common
    assert me.post("/api/v1/session/password", {"password": "another fine phrase"}).status == 400
    ok = me.post("/api/v1/session/password",
                 {"old_password": NEW_PASSWORD, "password": "another fine phrase"})
    assert ok.status == 200, ok
    assert server.client().login("author@example.org", NEW_PASSWORD).status == 401
    assert server.client().login("author@example.org", "another fine phrase").status == 201


def test_revoking_signs_a_user_out_everywhere(server, admin):
    moderator, bot, _ = signed_in_with_token(server, "moderator@example.org")
    uid = user_id(admin, "moderator@example.org")
    assert admin.post(f"/api/v1/users/{uid}/revoke").status == 200
    assert moderator.get("/api/v1/session").status == 401
    assert bot.get("/api/v1/session").status == 401
    # Not disabled: they may sign in again.
    assert server.client().login("moderator@example.org").status == 201
    assert admin.get("/api/v1/session").status == 200  # others keep theirs


def test_the_audit_log_says_who_did_what_and_pages(server, admin, workspace):
    aid, eid = user_id(admin, "admin@example.org"), user_id(admin, "editor@example.org")
    before = time.time()
    admin.patch(f"/api/v1/users/{eid}", {"role": "analyst"})
    admin.post(f"/api/v1/users/{eid}/revoke")
    admin.post(f"/api/v1/users/{eid}/password", {"password": NEW_PASSWORD})
    mine = audit(admin, f"?user={aid}&entity=user")["items"]
    assert [e["action"] for e in mine] == ["reset_password", "revoke_access", "update"]
    update = mine[2]
    assert update["user_email"] == "admin@example.org" and update["entity_id"] == eid
    assert "editor -> analyst" in update["detail"]
    assert abs(unix(update["at"]) - before) < 60
    # Users added with the CLI were recorded as kanal's own doing (no user).
    created = audit(admin, "?action=create&entity=user")["items"]
    assert len(created) == len(ROLES) and all(e["user_id"] is None for e in created)
    in_ws = audit(admin, f"?workspace={workspace}")["items"]
    assert in_ws and all(e["workspace_id"] == workspace for e in in_ws)
    # Pages of two walk the whole log once, newest first.
    everything = audit(admin, "?limit=200")["items"]
    seen, cursor = [], None
    while True:
        page = audit(admin, "?limit=2" + (f"&cursor={cursor}" if cursor else ""))
        assert len(page["items"]) <= 2
        seen += [e["id"] for e in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == [e["id"] for e in everything] and len(seen) > 2
    assert audit(admin, "?since=2100-01-01")["items"] == []
    assert len(audit(admin, "?until=2100-01-01&limit=200")["items"]) == len(everything)
    for bad in ("?user=x", "?since=soon", "?limit=0", "?cursor=zz", "?colour=red", "?action="):
        assert admin.get("/api/v1/audit" + bad).status == 400, bad


def test_tokens_expire_and_the_list_shows_their_life(server, admin):
    _, bot, made = signed_in_with_token(server, "analyst@example.org", expires_in_days=30)
    days = (unix(made["expires_at"]) - time.time()) / 86400
    assert 29.9 < days < 30.1, made
    assert bot.get("/api/v1/workspaces").status == 200
    listed = bot.get("/api/v1/tokens").json()["items"][0]
    assert listed["expires_at"] == made["expires_at"]
    assert listed["last_used_at"] is not None and listed["created_at"]
    assert listed["revoked_at"] is None
    # An admin sees anyone's; nobody else sees another's.
    aid = user_id(admin, "analyst@example.org")
    assert admin.get(f"/api/v1/users/{aid}/tokens").json()["items"] == [listed]
    assert bot.get(f"/api/v1/users/{aid}/tokens").status == 403
    assert admin.get("/api/v1/users/9999/tokens").status == 404
    # The expiry passes: refused like a revoked token.
    run_sql(server.db_url, f"UPDATE api_tokens SET expires_at = {int(time.time()) - 1}")
    r = bot.get("/api/v1/workspaces")
    assert r.status == 401 and "expired" in r.json()["error"]["message"], r
    for bad in ({"name": "x", "expires_at": "2001-01-01"}, {"name": "x", "expires_in_days": 0},
                {"name": "x", "expires_in_days": "7"}, {"name": "x", "expires_at": "soon"},
                {"name": "x", "expires_at": "2100-01-01", "expires_in_days": 3},
                {"name": "x", "colour": "red"}):
        assert admin.post("/api/v1/tokens", bad).status == 400, bad
    dated = admin.post("/api/v1/tokens", {"name": "dated", "expires_at": "2030-06-01"})
    assert dated.status == 201 and dated.json()["expires_at"] == "2030-06-01T00:00:00Z", dated
    forever = admin.post("/api/v1/tokens", {"name": "forever"})
    assert forever.status == 201 and forever.json()["expires_at"] is None


def test_common_passwords_are_refused_everywhere(server, admin, db_url):
    for pw in ("password123", "QWERTYUIOP", "1234567890", "iloveyou12", "salasana123",
               "zzzzzzzzzzzz"):
        r = admin.post("/api/v1/users", {"email": "new@example.org", "role": "author",
                                         "password": pw})
        assert r.status == 400 and "common" in r.json()["error"]["message"], (pw, r)
    p = run_kanal("user", "add", "--db", db_url, "--email", "new@example.org", "--role", "author",
                  "--password-stdin", stdin="letmein123\n", check=False)
    assert p.returncode == 1 and "common" in p.stderr, p.stderr
    assert admin.post("/api/v1/users", {"email": "new@example.org", "role": "author",
                                        "password": "letmein123 but longer"}).status == 201


# ---- CLI --------------------------------------------------------------------------------

def kanal_user(db_url, *args, stdin=None):
    return run_kanal("user", *args, "--db", db_url, stdin=stdin, check=False)


def test_the_cli_changes_users(server, db_url):
    for action in ("set-role", "disable", "enable", "reset-password", "revoke"):
        assert run_kanal("user", action, "--help").stdout.startswith(f"usage: kanal user {action}")
    c = server.client()
    assert c.login("editor@example.org").status == 201
    p = kanal_user(db_url, "set-role", "--email", "Editor@example.org", "--role", "moderator")
    assert p.returncode == 0, p.stderr
    assert c.get("/api/v1/session").json()["user"]["role"] == "moderator"
    assert kanal_user(db_url, "disable", "--email", "editor@example.org").returncode == 0
    assert c.get("/api/v1/session").status == 401
    assert "editor@example.org\tmoderator\tdisabled" in kanal_user(db_url, "list").stdout
    assert server.client().login("editor@example.org").status == 401
    assert kanal_user(db_url, "enable", "--email", "editor@example.org").returncode == 0
    assert c.login("editor@example.org").status == 201
    p = kanal_user(db_url, "reset-password", "--email", "editor@example.org", "--password-stdin",
                   stdin="welcome123\n")
    assert p.returncode == 1 and "common" in p.stderr, p.stderr
    p = kanal_user(db_url, "reset-password", "--email", "editor@example.org")
    assert p.returncode == 2 and "--password-stdin" in p.stderr
    p = kanal_user(db_url, "reset-password", "--email", "editor@example.org", "--password-stdin",
                   stdin=NEW_PASSWORD + "\n")
    assert p.returncode == 0, p.stderr
    assert c.get("/api/v1/session").status == 401
    assert c.login("editor@example.org", NEW_PASSWORD).status == 201
    assert kanal_user(db_url, "revoke", "--email", "editor@example.org").returncode == 0
    assert c.get("/api/v1/session").status == 401
    p = kanal_user(db_url, "disable", "--email", "admin@example.org")
    assert p.returncode == 1 and "last active admin" in p.stderr, p.stderr
    p = kanal_user(db_url, "set-role", "--email", "admin@example.org", "--role", "analyst")
    assert p.returncode == 1 and "last active admin" in p.stderr, p.stderr
    p = kanal_user(db_url, "disable", "--email", "nobody@example.org")
    assert p.returncode == 1 and "no user" in p.stderr
    admin = server.client()
    assert admin.login("admin@example.org").status == 201
    edits = audit(admin, "?entity=user")["items"]
    actions = [e["action"] for e in edits if e["user_id"] is None and e["action"] != "create"]
    assert actions == ["revoke_access", "reset_password", "update", "update", "update"], actions


def test_cli_tokens_expire(server, db_url):
    p = kanal_user(db_url, "token", "--email", "analyst@example.org", "--name", "s",
                   "--expires", "7")
    assert p.returncode == 0, p.stderr
    bot = server.client()
    bot.token = p.stdout.strip()
    listed = bot.get("/api/v1/tokens").json()["items"][0]
    left = unix(listed["expires_at"]) - time.time()
    assert 6.9 * 86400 < left < 7.1 * 86400, listed
    for bad in ("0", "soon", "2001-01-01"):
        p = kanal_user(db_url, "token", "--email", "analyst@example.org", "--name", "s",
                       "--expires", bad)
        assert p.returncode in (1, 2) and "expire" in p.stderr, (bad, p.stderr)


# ---- the demo's published password ---------------------------------------------------

def test_serve_warns_while_the_demo_admin_has_the_published_password(db_url, tmp_path):
    run_kanal("user", "add", "--db", db_url, "--email", "demo@kanal.local", "--role", "admin",
              "--password-stdin", stdin="kanal-demo-password\n")
    s = Server(db_url, str(tmp_path))
    code, log = s.stop()
    assert code == 0 and "demo@kanal.local still has the demo's published password" in log, log
    kanal_user(db_url, "reset-password", "--email", "demo@kanal.local", "--password-stdin",
               stdin=NEW_PASSWORD + "\n")
    s = Server(db_url, str(tmp_path))
    code, log = s.stop()
    assert code == 0 and "published password" not in log, log
