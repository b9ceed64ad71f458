"""A channel's tokens as an operator handles them: sealed with the key from
--secret-key-file or KANAL_SECRET_KEY, never in the store as written, never
printed, never in the API's channel, and a wrong key or a changed value is
a clear error, not a crash. `kanal serve` takes the key too."""
import os
import subprocess

from conftest import Server, run_kanal

ACCESS = "EAAGm0PX4ZCpsBAe2e-plaintext-access-token"
REFRESH = "e2e-plaintext-refresh-token"


def make_channel(admin, workspace):
    r = admin.post(f"/api/v1/workspaces/{workspace}/channels",
                   {"platform": "facebook", "handle": "kommunen", "name": "Kommunen"})
    assert r.status == 201, r
    return str(r.json()["id"])


def stored_text(db_url):
    """Everything the store holds for the tokens, as bytes on disk or rows."""
    if db_url.startswith("postgresql://"):
        out = subprocess.run(["psql", db_url, "-At", "-c", "SELECT * FROM channel_tokens"],
                             capture_output=True, check=True)
        return out.stdout
    data = b""
    for suffix in ("", "-wal"):
        if os.path.exists(db_url + suffix):
            with open(db_url + suffix, "rb") as f:
                data += f.read()
    return data


def test_tokens_sealed_at_rest(server, admin, workspace, tmp_path):
    db = server.db_url
    channel = make_channel(admin, workspace)
    key = run_kanal("secret-key").stdout.strip()
    assert len(key) == 64
    key_file = tmp_path / "kanal.key"
    key_file.write_text(key + "\n")
    key_file.chmod(0o600)
    out = run_kanal("channel-token", "set", channel, "--db", db, "--secret-key-file",
                    str(key_file), "--expires-in", "3600", "--scopes", "pages_manage_posts",
                    stdin=f"{ACCESS}\n{REFRESH}\n")
    assert ACCESS not in out.stdout + out.stderr
    stored = stored_text(db)
    assert b"pages_manage_posts" in stored  # the row is there...
    assert ACCESS.encode() not in stored and REFRESH.encode() not in stored  # ...sealed

    # The key from the environment opens them too; nothing prints a token.
    shown = run_kanal("channel-token", "show", channel, "--db", db,
                      env={"KANAL_SECRET_KEY": key})
    assert "tokens open with this key" in shown.stdout and "refresh token: yes" in shown.stdout
    assert ACCESS not in shown.stdout + shown.stderr

    # A wrong key and a malformed one: clear errors, exit 1, no token.
    other = run_kanal("secret-key").stdout.strip()
    wrong = run_kanal("channel-token", "show", channel, "--db", db, check=False,
                      env={"KANAL_SECRET_KEY": other})
    assert wrong.returncode == 1
    assert f"the secret key does not open channel {channel}'s tokens" in wrong.stderr
    assert ACCESS not in wrong.stderr
    bad = run_kanal("channel-token", "show", channel, "--db", db, check=False,
                    env={"KANAL_SECRET_KEY": "not-a-key"})
    assert bad.returncode == 1 and "KANAL_SECRET_KEY: the secret key must be 32 bytes" in bad.stderr
    none = run_kanal("channel-token", "show", channel, "--db", db, check=False)
    assert none.returncode == 1 and "no secret key" in none.stderr

    # The API's channel says nothing of them.
    r = admin.get(f"/api/v1/workspaces/{workspace}/channels/{channel}")
    assert r.status == 200 and ACCESS not in r.body and "token" not in r.body

    assert "tokens forgotten" in run_kanal("channel-token", "delete", channel, "--db", db).stdout
    assert "no tokens" in run_kanal("channel-token", "show", channel, "--db", db,
                                    env={"KANAL_SECRET_KEY": key}).stdout


def test_serve_takes_the_key_and_refuses_a_malformed_one(sqlite_url, tmp_path):
    run_kanal("migrate", "--db", sqlite_url)
    good = tmp_path / "good.key"
    good.write_text(run_kanal("secret-key").stdout)
    good.chmod(0o600)
    s = Server(sqlite_url, str(tmp_path), extra_args=("--secret-key-file", str(good)))
    assert s.client().get("/healthz").status == 200
    code, log = s.stop()
    assert code == 0 and "no secret key" not in log
    bad = tmp_path / "bad.key"
    bad.write_text("0123\n")
    p = run_kanal("serve", "--db", sqlite_url, "--listen", "127.0.0.1:0", "--secret-key-file",
                  str(bad), check=False)
    assert p.returncode == 2
    assert f"{bad}: the secret key must be 32 bytes" in p.stderr
    p = run_kanal("serve", "--db", sqlite_url, "--listen", "127.0.0.1:0", "--secret-key-file",
                  str(tmp_path / "missing.key"), check=False)
    assert p.returncode == 2 and "missing.key" in p.stderr


def test_commands_that_unseal_tokens_ask_for_the_key_before_the_store(tmp_path):
    db = str(tmp_path / "never.db")
    no_key = ("no secret key: give --secret-key-file PATH or set KANAL_SECRET_KEY "
              "(`kanal secret-key` makes one)")
    commands = [
        ("sync", ["sync"]),
        ("publish run", ["publish", "run"]),
        ("act", ["act", "--channel", "1", "publish", "--now"]),
        ("connect start", ["connect", "start", "--platform", "mastodon", "--workspace", "w"]),
        ("connect finish", ["connect", "finish", "--state", "s", "--code", "c"]),
        ("channel-token set", ["channel-token", "set", "1"]),
        ("channel-token show", ["channel-token", "show", "1"]),
    ]
    for name, args in commands:
        p = run_kanal(*args, "--db", db, check=False)
        assert (p.returncode, p.stderr) == (1, f"kanal: {name}: {no_key}\n"), args
    for name, args in commands[:2]:
        p = run_kanal(*args, "extra", "--db", db, check=False)
        assert p.returncode == 2 and p.stderr.startswith(f"kanal: {name}: "), args
    assert not os.path.exists(db)
