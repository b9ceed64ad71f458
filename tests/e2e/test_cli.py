"""The command line as an operator uses it: help, errors, users, options from
flags, environment and config file in that order."""
import os
import re
import sqlite3

from conftest import PASSWORD, ROOT, run_kanal

COMMANDS = ["serve", "migrate", "user", "demo", "version"]


def test_every_command_has_help():
    top = run_kanal("--help")
    for cmd in COMMANDS:
        assert cmd in top.stdout
        out = run_kanal(cmd, "--help")
        assert out.stdout.startswith(f"usage: kanal {cmd}"), out.stdout
    for action in ["add", "list", "token"]:
        assert run_kanal("user", action, "--help").stdout.startswith(f"usage: kanal user {action}")


def test_unknown_command_and_option_are_usage_errors():
    p = run_kanal("frobnicate", check=False)
    assert p.returncode == 2 and "unknown command 'frobnicate'" in p.stderr
    p = run_kanal("migrate", "--no-such-flag", check=False)
    assert p.returncode == 2 and "unknown option '--no-such-flag'" in p.stderr
    p = run_kanal("serve", "--listen", "localhost:80", check=False)
    assert p.returncode == 2 and "numeric" in p.stderr


def test_version():
    out = run_kanal("version").stdout
    assert out.startswith("kanal ") and len(out.split()) == 2


def test_migrate_is_idempotent(sqlite_url):
    files = sorted(f for f in os.listdir(os.path.join(ROOT, "src", "db", "migrations"))
                   if f.endswith(".sql"))
    first = run_kanal("migrate", "--db", sqlite_url).stdout
    assert first.startswith(f"applied {len(files)} migration")
    assert first.rstrip().endswith(f"schema version {int(files[-1][:4])}")
    again = run_kanal("migrate", "--db", sqlite_url).stdout
    assert again.startswith("applied 0 migrations;")
    con = sqlite3.connect(sqlite_url)
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_user_add_validates_and_stores_only_a_hash(sqlite_url):
    def add(email, role, password):
        return run_kanal("user", "add", "--db", sqlite_url, "--email", email, "--role", role,
                         "--password-stdin", stdin=password + "\n", check=False)

    p = add("a@example.org", "boss", PASSWORD)
    assert p.returncode == 1 and "unknown role 'boss'" in p.stderr
    p = add("a@example.org", "editor", "short")
    assert p.returncode == 1 and "password must be" in p.stderr
    p = add("not-an-email", "editor", PASSWORD)
    assert p.returncode == 1 and "not an email address" in p.stderr
    p = add("Anna@Example.org", "editor", PASSWORD)
    assert p.returncode == 0, p.stderr
    p = add("anna@example.org", "analyst", PASSWORD)
    assert p.returncode == 1 and "already exists" in p.stderr
    rows = sqlite3.connect(sqlite_url).execute("SELECT email, role, password_hash FROM users").fetchall()
    assert len(rows) == 1
    email, role, hashed = rows[0]
    assert (email, role) == ("anna@example.org", "editor")
    assert hashed.startswith("$argon2id$") and PASSWORD not in hashed
    listed = run_kanal("user", "list", "--db", sqlite_url).stdout
    assert "anna@example.org\teditor" in listed


def test_password_is_never_taken_from_the_command_line(sqlite_url):
    p = run_kanal("user", "add", "--db", sqlite_url, "--email", "a@example.org", "--role", "admin",
                  check=False)
    assert p.returncode == 2 and "--password-stdin" in p.stderr


def test_token_command_prints_a_token_once(sqlite_url):
    run_kanal("user", "add", "--db", sqlite_url, "--email", "a@example.org", "--role", "admin",
              "--password-stdin", stdin=PASSWORD)
    token = run_kanal("user", "token", "--db", sqlite_url, "--email", "A@example.org", "--name",
                      "script").stdout.strip()
    assert token.startswith("kanal_") and len(token) == 70
    stored = sqlite3.connect(sqlite_url).execute("SELECT token_hash FROM api_tokens").fetchone()[0]
    assert token not in stored and token[6:] not in stored
    p = run_kanal("user", "token", "--db", sqlite_url, "--email", "nobody@example.org", "--name",
                  "x", check=False)
    assert p.returncode == 1 and "no user" in p.stderr


def test_option_precedence_flag_env_config(tmp_path):
    flag_db, env_db, conf_db = (str(tmp_path / n) for n in ("flag.db", "env.db", "conf.db"))
    conf = tmp_path / "kanal.conf"
    conf.write_text(f"# kanal settings\ndb = {conf_db}\n")
    run_kanal("migrate", cwd=tmp_path)  # ./kanal.conf is read by default
    assert os.path.exists(conf_db)
    run_kanal("migrate", env={"KANAL_DB": env_db}, cwd=tmp_path)
    assert os.path.exists(env_db)
    run_kanal("migrate", "--db", flag_db, env={"KANAL_DB": env_db}, cwd=tmp_path)
    assert os.path.exists(flag_db)
    other = tmp_path / "other.conf"
    other.write_text(f"db = {tmp_path / 'other.db'}\n")
    run_kanal("migrate", "--config", str(other), cwd=tmp_path)
    assert os.path.exists(tmp_path / "other.db")


def test_config_file_errors_name_file_and_line(tmp_path):
    conf = tmp_path / "bad.conf"
    conf.write_text("db = x.db\n\nlisten 127.0.0.1:1\n")
    p = run_kanal("migrate", "--config", str(conf), check=False)
    assert p.returncode == 2 and f"{conf}:3: expected 'name = value'" in p.stderr
    conf.write_text("colour = blue\n")
    p = run_kanal("migrate", "--config", str(conf), check=False)
    assert p.returncode == 2 and f"{conf}:1: unknown setting 'colour'" in p.stderr
    p = run_kanal("migrate", "--config", str(tmp_path / "missing.conf"), check=False)
    assert p.returncode == 2 and "cannot read config file" in p.stderr


def test_unreachable_database_is_a_clear_error(tmp_path):
    p = run_kanal("migrate", "--db", str(tmp_path / "no" / "such" / "dir.db"), check=False)
    assert p.returncode == 1 and "cannot open database" in p.stderr
    p = run_kanal("migrate", "--db", "postgresql://kanal@127.0.0.1:1/none", check=False)
    assert p.returncode == 1 and "cannot connect to PostgreSQL" in p.stderr
