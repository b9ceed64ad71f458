"""The job table as several workers and an operator see it: processes
claiming from one store at once never get the same job (on PostgreSQL through
FOR UPDATE SKIP LOCKED, on SQLite through its one writer), enqueuing by key is
idempotent, and /metrics counts jobs by state."""
import subprocess

from conftest import KANAL, METRICS_TOKEN, run_kanal

JOBS = 120
WORKERS = 4


def add_jobs(db_url, n):
    ids = []
    for i in range(n):
        out = run_kanal("jobs", "add", "sync", "--db", db_url, "--key", f"sync:{i}").stdout
        ids.append(int(out.split()[0]))
    return ids


def test_claimers_never_share_a_job(db_url):
    run_kanal("migrate", "--db", db_url)
    ids = add_jobs(db_url, JOBS)
    assert len(set(ids)) == JOBS
    # Started together, each claims until the queue is empty.
    procs = [subprocess.Popen([KANAL, "jobs", "claim", "--db", db_url, "--owner", f"w{w}",
                               "--count", str(JOBS)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for w in range(WORKERS)]
    claimed = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        claimed.append([int(line.split("\t")[0]) for line in out.splitlines()])
    every = [i for c in claimed for i in c]
    assert len(every) == len(set(every)), "a job was claimed twice"
    assert sorted(every) == sorted(ids)
    # Each is running under the lease of the one worker that printed it.
    listed = run_kanal("jobs", "list", "--db", db_url, "--state", "running",
                       "--limit", "1000").stdout.splitlines()
    assert len(listed) == JOBS
    assert run_kanal("jobs", "claim", "--db", db_url).stdout == ""


def test_enqueue_by_key_and_metrics(server):
    db = server.db_url
    first = run_kanal("jobs", "add", "sync", "--db", db, "--key", "sync:channel:1").stdout
    again = run_kanal("jobs", "add", "sync", "--db", db, "--key", "sync:channel:1").stdout
    assert again == first.strip() + " (already queued)\n"
    run_kanal("jobs", "add", "publish", "--db", db, "--payload", '{"post": 1}')
    bad = run_kanal("jobs", "add", "publish", "--db", db, "--payload", "{post", check=False)
    assert bad.returncode == 1 and "payload: not a JSON object" in bad.stderr
    out = run_kanal("jobs", "claim", "--db", db, "--kind", "sync", "--finish").stdout
    assert out == first.strip() + "\tsync\n"
    r = server.client().get("/metrics", headers={"Authorization": "Bearer " + METRICS_TOKEN})
    assert r.status == 200
    lines = set(r.body.splitlines())
    for state, n in (("queued", 1), ("running", 0), ("done", 1), ("failed", 0)):
        assert f'kanal_jobs{{state="{state}"}} {n}' in lines
    nope = run_kanal("jobs", "retry", first.strip(), "--db", db, check=False)
    assert nope.returncode == 1 and "has not failed" in nope.stderr
