"""The command line as an operator uses it: help, errors, users, options from
flags, environment and config file in that order."""
import csv
import io
import json
import os
import pty
import re
import sqlite3
import subprocess

from conftest import KANAL, PASSWORD, ROOT, run_kanal

COMMANDS = ["serve", "migrate", "user", "demo", "version"]


def test_every_command_has_help():
    top = run_kanal("--help")
    listed = re.findall(r"^  (\S+)( +)\S", top.stdout, re.M)
    names = [name for name, _ in listed]
    assert set(COMMANDS) <= set(names) and "channel-token" in names, top.stdout
    # Every summary starts in one column, however long the command's name.
    assert len({len(name) + len(gap) for name, gap in listed}) == 1, top.stdout
    for cmd in names:
        out = run_kanal(cmd, "--help")
        assert out.stdout.startswith(f"usage: kanal {cmd}"), (cmd, out.stdout)
    for action in ["add", "list", "token"]:
        assert run_kanal("user", action, "--help").stdout.startswith(f"usage: kanal user {action}")


def test_unknown_command_and_option_are_usage_errors():
    p = run_kanal("frobnicate", check=False)
    assert p.returncode == 2 and "unknown command 'frobnicate'" in p.stderr
    p = run_kanal("migrate", "--no-such-flag", check=False)
    assert p.returncode == 2 and "unknown option '--no-such-flag'" in p.stderr
    p = run_kanal("serve", "--listen", "localhost:80", check=False)
    assert p.returncode == 2 and "numeric" in p.stderr


def test_serve_names_the_option_out_of_range_before_it_starts(tmp_path):
    db = str(tmp_path / "never.db")
    cases = [
        (["extra"], "unexpected argument 'extra'"),
        (["--threads", "0"], "--threads must be from 1 to 256"),
        (["--max-body", "1023"], "--max-body must be from 1024 to 67108864 bytes"),
        (["--click-batch-ms", "9"], "--click-batch-ms must be from 10 to 3600000"),
        (["--header-timeout", "3601"],
         "--max-per-address must be from 0 to 100000 and --header-timeout from 1 to 3600 seconds"),
        (["--report-threads", "65"], "--report-threads must be from 1 to 64"),
        (["--lease", "0"], "--lease must be from 1 to 86400 seconds"),
        (["--connect-threads", "3"],
         "--sync-every must be from 0 to 10080 minutes and --connect-threads 0, 1 or 2"),
        (["--min-delay", "0"], "--listen-threads must be 0 or 1, --min-delay from 1 to 3600000 "
                               "ms and --timeout from 1 to 600 seconds"),
        (["--threads", "0", "--lease", "0"], "--threads must be from 1 to 256"),
    ]
    for args, message in cases:
        p = run_kanal("serve", "--db", db, "--log-level", "warn", *args, check=False)
        assert (p.returncode, p.stderr) == (2, f"kanal: serve: {message}\n"), args
    assert not os.path.exists(db)


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


# ---- a new user's first hour -------------------------------------------------------------

LONG_NAME = "Pensionsmyndighetens regionala informationskontor i Norrbotten och Västerbotten"
FORMULA_NAME = '=HYPERLINK("http://evil.example/","x")'


def imported_db(tmp_path):
    """A store with one imported workspace ('imported'): a channel with a long name whose
    followers fall from 100 to 90 in November 2026, and a channel named like a formula."""
    rows = [
        {"type": "post", "platform": "facebook", "account_id": "77", "account_name": LONG_NAME,
         "id": "p1", "published_at": "2026-11-02T10:00:00Z", "body": "hej",
         "metrics": {"reach": 50, "impressions": 60, "reactions": 3}},
        {"type": "post", "platform": "facebook", "account_id": "78", "account_name": FORMULA_NAME,
         "id": "p2", "published_at": "2026-11-02T11:00:00Z", "body": "hej",
         "metrics": {"reach": 40}},
        {"type": "channel_metrics", "platform": "facebook", "account_id": "77",
         "taken_at": "2026-11-01T00:00:00Z", "followers": 100},
        {"type": "channel_metrics", "platform": "facebook", "account_id": "77",
         "taken_at": "2026-11-10T00:00:00Z", "followers": 90},
    ]
    src = tmp_path / "rows.ndjson"
    src.write_text("".join(json.dumps(r) + "\n" for r in rows))
    db = str(tmp_path / "imported.db")
    run_kanal("import", "--db", db, str(src), cwd=tmp_path)
    return db


NOVEMBER = ("--workspace", "imported", "--since", "2026-11-01", "--until", "2026-12-01")


def on_terminal(*args):
    """Runs kanal with its stdout on a pseudo-terminal, as a person at a shell sees it."""
    leader, follower = pty.openpty()
    env = {k: v for k, v in os.environ.items() if not k.startswith("KANAL_") or k == "KANAL_BIN"}
    p = subprocess.Popen([KANAL, *args], stdout=follower, stderr=subprocess.PIPE, env=env)
    os.close(follower)
    out = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # EIO: the other end closed
            break
        if not chunk:
            break
        out += chunk
    os.close(leader)
    assert p.wait(timeout=60) == 0, p.stderr.read()
    return out.decode().replace("\r\n", "\n")


def test_version_flag():
    assert run_kanal("--version").stdout == run_kanal("version").stdout
    assert re.fullmatch(r"kanal \S+\n", run_kanal("--version").stdout)


def test_reading_commands_never_create_a_database(tmp_path):
    reads = [["report", "--workspace", "x"], ["link", "list", "--workspace", "x"],
             ["link", "stats", "--workspace", "x"],
             ["link", "add", "--workspace", "x", "--url", "https://example.org/"],
             ["user", "list"], ["user", "token", "--email", "a@example.org", "--name", "n"]]
    for args in reads:
        for db in ([], ["--db", str(tmp_path / "typo.db")]):
            p = run_kanal(*args, *db, check=False, cwd=tmp_path)
            assert p.returncode == 1, (args, p.stderr)
            name = "typo.db" if db else "kanal.db"
            assert re.fullmatch(rf"kanal: {args[0]}( {args[1]})?: no database at '\S*{name}'.*\n",
                                p.stderr), p.stderr
            assert os.listdir(tmp_path) == [], (args, os.listdir(tmp_path))
    # The commands that make a store still do.
    run_kanal("migrate", cwd=tmp_path)
    assert os.path.exists(tmp_path / "kanal.db")
    run_kanal("user", "add", "--db", str(tmp_path / "u.db"), "--email", "a@example.org", "--role",
              "admin", "--password-stdin", stdin=PASSWORD)
    assert os.path.exists(tmp_path / "u.db")


def test_config_file_takes_any_option_a_command_has(tmp_path):
    db = imported_db(tmp_path)
    conf = tmp_path / "kanal.conf"
    conf.write_text(f"db = {db}\nworkspace = imported\nformat = json\nsince = 2026-11-01\n"
                    "until = 2026-12-01\nby = none\n")
    rep = json.loads(run_kanal("report", "--config", str(conf)).stdout)
    assert (rep["since"], rep["until"]) == ("2026-11-01", "2026-12-01")
    assert rep["total"]["posts"] == 2 and rep["total"]["reach"] == 90
    # Every option of every command is a setting (a value the command refuses is its own
    # error, never "unknown setting").
    top = run_kanal("--help").stdout
    commands = re.findall(r"^  ([a-z]+) ", top, re.M)
    for cmd in commands:
        help_text = run_kanal(cmd, "--help").stdout
        actions = re.match(rf"usage: kanal {cmd} ([a-z|-]+) \[options\]", help_text)
        runs = []
        for action in (actions.group(1).split("|") if actions else [None]):
            # an action with actions of its own (listen source add|list|remove)
            sub = action and re.match(rf"usage: kanal {cmd} {action} ([a-z|-]+) \[options\]",
                                      run_kanal(cmd, action, "--help").stdout)
            runs += [[cmd, action, s] for s in sub.group(1).split("|")] if sub else \
                [[cmd] + ([action] if action else [])]
        for words in runs:
            names = re.findall(r"^  --([a-z-]+)", run_kanal(*words, "--help").stdout, re.M)
            names = [n for n in names if n not in ("config", "help")]
            if cmd in ("sentiment", "version"):
                continue  # no store, no config file
            assert names, words
            conf.write_text("".join(f"{n} = 0\n" for n in names))
            p = run_kanal(*words, "--config", str(conf), stdin="", check=False, cwd=tmp_path)
            assert "unknown setting" not in p.stderr, (words, p.stderr)
    conf.write_text("colour = blue\n")
    p = run_kanal("report", "--config", str(conf), check=False)
    assert p.returncode == 2 and "unknown setting 'colour'" in p.stderr


def test_errors_are_one_line_naming_the_command(tmp_path):
    db = imported_db(tmp_path)
    cases = [
        (["report", "--db", db, "--workspace", "imported", "--since", "someday"], "report"),
        (["report", "--db", db, "--workspace", "imported", "--campaign", "x"], "report"),
        (["report", "--db", db, "--workspace", "nobody"], "report"),
        (["link", "frobnicate"], "link"),
        (["link", "add", "--nope"], "link add"),
        (["user", "frobnicate"], "user"),
        (["migrate", "--config", str(tmp_path / "missing.conf")], "migrate"),
        (["import", "--db", db, "--format", "nope", "x"], "import"),
        (["sentiment", "--eval", str(tmp_path / "missing.tsv")], "sentiment"),
    ]
    for args, cmd in cases:
        p = run_kanal(*args, check=False)
        assert p.returncode in (1, 2), (args, p.stderr)
        assert re.fullmatch(rf"kanal: {cmd}: \S.*\n", p.stderr), (args, p.stderr)
    p = run_kanal("report", "--db", db, "--workspace", "imported", "--since", "someday",
                  check=False)
    assert p.stderr.startswith("kanal: report: --since: ")


def test_report_tables_keep_long_names_whole(tmp_path):
    db = imported_db(tmp_path)
    lines = run_kanal("report", "--db", db, *NOVEMBER).stdout.splitlines()
    head = next(line for line in lines if "reach" in line)
    row = next(line for line in lines if LONG_NAME in line)  # whole, not cut
    total = next(line for line in lines if line.startswith("total"))
    # The numbers still stand under their headings.
    end = head.index(" reach") + len(" reach")
    assert row[:end].endswith(" 50") and total[:end].endswith(" 90"), lines
    top = run_kanal("report", "--db", db, *NOVEMBER, "--toplist", "interactions").stdout
    assert LONG_NAME in top, top


def test_link_stats_is_a_table_on_a_terminal_and_json_lines_for_scripts(tmp_path):
    db = imported_db(tmp_path)
    run_kanal("link", "add", "--db", db, "--workspace", "imported", "--url",
              "https://example.org/a", "--code", "spring")
    stats = ("link", "stats", "--db", db, "--workspace", "imported", "--by", "channel")
    run_kanal("link", "add", "--db", db, "--workspace", "imported", "--url",
              "https://example.org/b", "--channel", "1")
    lines = run_kanal(*stats).stdout.splitlines()
    rows = [json.loads(line) for line in lines]
    assert sorted(r["name"] or "" for r in rows) == ["", LONG_NAME]
    as_json = run_kanal(*stats, "--format", "json").stdout.splitlines()
    assert as_json == lines
    assert on_terminal(*stats, "--format", "json").splitlines() == lines
    table = on_terminal(*stats).splitlines()
    assert "{" not in "".join(table), table
    assert table[0].split() == list(rows[0].keys())
    long_row = next(line for line in table if LONG_NAME in line)  # whole, not cut
    assert long_row.split()[0] == "1" and long_row.split()[-3:] == ["0", "0", "0"]
    assert len(table) == 1 + len(rows)


def test_csv_cells_cannot_start_a_formula(tmp_path):
    db = imported_db(tmp_path)
    out = run_kanal("report", "--db", db, *NOVEMBER, "--format", "csv").stdout
    rows = list(csv.DictReader(io.StringIO(out)))
    labels = [r["label"] for r in rows]
    assert "'" + FORMULA_NAME + " (facebook)" in labels, labels
    assert not any(label[:1] in "=+-@" for label in labels)
    # The cell stays quoted, so a spreadsheet reads it as text whole.
    assert '"\'=HYPERLINK(' in out
    # Numbers are numbers: a fall in followers stays a plain negative number.
    long_row = next(r for r in rows if r["label"].startswith(LONG_NAME))
    assert long_row["follower_growth"] == "-10"
    assert long_row["follower_growth_pct"] == "-0.1"


def test_readme_holds_together_on_a_clone():
    text = open(os.path.join(ROOT, "README.md")).read()
    # The pages it points at are in the repository (a clone has nothing beside it).
    refs = re.findall(r"`([\w./-]+\.md)`", text)
    assert "docs/architecture.md" in refs
    for ref in refs:
        assert not ref.startswith("../") and os.path.exists(os.path.join(ROOT, ref)), ref
    # The API table is one block: no paragraph breaks it.
    lines = text.splitlines()
    rows = [i for i, line in enumerate(lines) if line.startswith("| `/")]
    assert rows == list(range(rows[0], rows[0] + len(rows)))
    # The data folder exists, kanal's own, before the first command uses it.
    block = re.search(r"## Running it for real\n+```sh\n(.*?)```", text, re.S).group(1)
    before = block[:block.index("/var/lib/kanal/kanal.db")]
    assert re.search(r"install -d -o kanal -g kanal -m 0700 /var/lib/kanal\n", before), before
