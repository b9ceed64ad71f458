"""End-to-end fixtures: the built kanal binary ($KANAL_BIN) started as a user
starts it, on a loopback port it picks itself, against SQLite or a throwaway
PostgreSQL cluster. Stdlib only, so Debian's python3-pytest is all it needs."""
import http.cookiejar
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import types
import urllib.error
import urllib.request
import uuid

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
KANAL = os.environ.get("KANAL_BIN") or os.path.join(ROOT, "build", "kanal")
SHARED_DATA = os.path.join(os.path.dirname(ROOT), "shared", "data")
PASSWORD = "correct horse battery"
METRICS_TOKEN = "metrics-token-for-tests"
ROLES = ["admin", "editor", "author", "moderator", "analyst"]
SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:")


# ---- real-world fixtures ---------------------------------------------------------------
# They sit in ../shared/data, beside the repository, not in it: a clone has none. A test
# that reads them (through a module-level path under SHARED_DATA, in its own code or in a
# helper of its module it calls) is skipped there with one line saying why, and fails
# instead when CI is set, since CI must run it.

def _reads_shared_data(fn, module, seen):
    code = getattr(fn, "__code__", None)
    if code is None or code in seen:
        return False
    seen.add(code)
    names, codes = set(), [code]
    while codes:  # nested functions and lambdas too
        c = codes.pop()
        names.update(c.co_names)
        codes.extend(k for k in c.co_consts if isinstance(k, types.CodeType))
    for name in names:
        value = getattr(module, name, None)
        if isinstance(value, str) and os.path.abspath(value).startswith(SHARED_DATA):
            return True
        if (isinstance(value, types.FunctionType) and value.__module__ == module.__name__
                and _reads_shared_data(value, module, seen)):
            return True
    return False


def pytest_runtest_setup(item):
    fn, module = getattr(item, "function", None), getattr(item, "module", None)
    if os.path.isdir(SHARED_DATA) or fn is None or not _reads_shared_data(fn, module, set()):
        return
    why = f"needs {SHARED_DATA} (real-world files kept beside the repository, not in it)"
    if os.environ.get("CI"):
        pytest.fail(why + ", which CI must have")
    pytest.skip(why)


def run_kanal(*args, stdin=None, env=None, check=True, cwd=None, timeout=300):
    e = dict(os.environ)
    for k in list(e):
        if k.startswith("KANAL_") and k != "KANAL_BIN":
            del e[k]
    e.update(env or {})
    p = subprocess.run([KANAL, *args], input=stdin, capture_output=True, text=True, env=e,
                       cwd=cwd, timeout=timeout)
    assert not any(m in p.stderr for m in SANITIZER_MARKS), p.stderr
    if check:
        assert p.returncode == 0, f"kanal {' '.join(args)} failed ({p.returncode}): {p.stderr}"
    return p


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---- databases -------------------------------------------------------------------------

class Postgres:
    """One cluster per test session; every test gets a database of its own."""
    running = None  # this session's

    def __init__(self):
        # In memory where the machine has it: each test's database is a copy
        # of the template, hundreds of them in a run, removed at the end.
        shm = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None
        self.dir = tempfile.mkdtemp(prefix="kanal-pg-", dir=shm)
        os.chmod(self.dir, 0o755)
        self.port = free_port()
        out = subprocess.run([os.path.join(ROOT, "tests", "pg-start.sh"),
                              os.path.join(self.dir, "pg"), str(self.port)],
                             capture_output=True, text=True, timeout=180)
        if out.returncode != 0:
            raise RuntimeError("cannot start PostgreSQL: " + out.stderr)
        self.admin_url = out.stdout.strip()
        Postgres.running = self

    def new_database(self):
        name = "t_" + uuid.uuid4().hex[:12]
        subprocess.run(["psql", self.admin_url, "-qc", f"CREATE DATABASE {name}"], check=True,
                       capture_output=True)
        return f"postgresql://kanal@127.0.0.1:{self.port}/{name}"

    def stop(self):
        subprocess.run([os.path.join(ROOT, "tests", "pg-stop.sh"), os.path.join(self.dir, "pg")])
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres():
    pg = Postgres()
    yield pg
    pg.stop()


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request, tmp_path):
    if request.param == "sqlite":
        return str(tmp_path / "kanal.db")
    return request.getfixturevalue("postgres").new_database()


@pytest.fixture
def sqlite_url(tmp_path):
    return str(tmp_path / "kanal.db")


# ---- HTTP ------------------------------------------------------------------------------

class Response:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    def json(self):
        return json.loads(self.body)

    def __repr__(self):
        return f"<{self.status} {self.body[:300]!r}>"


class Client:
    """A browser-like client: keeps cookies, sends the CSRF token once it has
    one, unless told otherwise."""

    def __init__(self, base):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.csrf = None
        self.token = None

    def request(self, method, path, body=None, raw=None, headers=None, csrf=True):
        h = dict(headers or {})
        data = raw
        if body is not None:
            data = json.dumps(body).encode()
            h.setdefault("Content-Type", "application/json")
        if csrf and self.csrf and method not in ("GET", "HEAD"):
            h.setdefault("X-CSRF-Token", self.csrf)
        if self.token:
            h.setdefault("Authorization", "Bearer " + self.token)
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=h)
        try:
            with self.opener.open(req, timeout=30) as r:
                return Response(r.status, r.headers, r.read().decode())
        except urllib.error.HTTPError as e:
            return Response(e.code, e.headers, e.read().decode())

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.request("POST", path, body, **kw)

    def patch(self, path, body=None, **kw):
        return self.request("PATCH", path, body, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)

    def login(self, email, password=PASSWORD):
        r = self.post("/api/v1/session", {"email": email, "password": password})
        if r.status == 201:
            self.csrf = r.json()["csrf_token"]
        return r


class Server:
    def __init__(self, db_url, tmp, extra_args=(), env=None, wrap=(), preexec=None):
        """wrap: a command the server runs under (strace ...); preexec: run
        in the child before kanal starts (resource limits)."""
        self.db_url = db_url
        self.log_path = os.path.join(tmp, f"serve-{uuid.uuid4().hex[:6]}.log")
        self.log = open(self.log_path, "w")
        e = dict(os.environ)
        e.setdefault("KANAL_METRICS_TOKEN", METRICS_TOKEN)
        e.update(env or {})
        self.proc = subprocess.Popen(
            [*wrap, KANAL, "serve", "--db", db_url, "--listen", "127.0.0.1:0", "--threads", "4",
             *extra_args], stdout=self.log, stderr=subprocess.STDOUT, env=e, cwd=tmp,
            preexec_fn=preexec)
        deadline = time.time() + 30
        while time.time() < deadline:
            m = re.search(r"listening on http://127\.0\.0\.1:(\d+)/", self.read_log())
            if m:
                self.port = int(m.group(1))
                self.base = f"http://127.0.0.1:{self.port}"
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        raise RuntimeError("kanal serve did not start:\n" + self.read_log())

    def read_log(self):
        with open(self.log_path) as f:
            return f.read()

    def client(self):
        return Client(self.base)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout=30)
        self.log.close()
        log = self.read_log()
        assert not any(m in log for m in SANITIZER_MARKS), log
        return code, log


def add_users(db_url):
    for role in ROLES:
        run_kanal("user", "add", "--db", db_url, "--email", f"{role}@example.org", "--role", role,
                  "--password-stdin", stdin=PASSWORD + "\n")


_SEEDS = {}  # backend -> a migrated store with one user per role, made once a session


def migrated_with_users(db_url):
    """Makes db_url's (new, empty) store migrated with one user per role, as
    `kanal migrate` and add_users would, by copying a store made so once:
    the migrations and the five password hashes are done once a session
    instead of once a test."""
    if db_url.startswith("postgresql://"):
        pg = Postgres.running
        if "postgres" not in _SEEDS:
            seed = pg.new_database()
            run_kanal("migrate", "--db", seed)
            add_users(seed)
            _SEEDS["postgres"] = seed.rsplit("/", 1)[1]
        name = db_url.rsplit("/", 1)[1]
        subprocess.run(["psql", pg.admin_url, "-qc", f"DROP DATABASE {name}",
                        "-c", f"CREATE DATABASE {name} TEMPLATE {_SEEDS['postgres']}"],
                       check=True, capture_output=True)
        return
    if "sqlite" not in _SEEDS:
        seed = os.path.join(tempfile.mkdtemp(prefix="kanal-seed-"), "kanal.db")
        run_kanal("migrate", "--db", seed)
        add_users(seed)
        _SEEDS["sqlite"] = seed
    shutil.copy2(_SEEDS["sqlite"], db_url)  # the file's 0600 too


@pytest.fixture
def server(db_url, tmp_path):
    """A server with one user per role (email ROLE@example.org)."""
    migrated_with_users(db_url)
    s = Server(db_url, str(tmp_path))
    yield s
    code, log = s.stop()
    assert code == 0, log


@pytest.fixture
def as_role(server):
    """as_role('editor') -> a signed-in client."""
    def make(role):
        c = server.client()
        r = c.login(f"{role}@example.org")
        assert r.status == 201, r
        return c
    return make


@pytest.fixture
def admin(as_role):
    return as_role("admin")


@pytest.fixture
def workspace(admin):
    r = admin.post("/api/v1/workspaces", {"name": "Test agency", "slug": "test-agency"})
    assert r.status == 201, r
    return r.json()["id"]
