"""Short links end to end, on SQLite and PostgreSQL: the API and its roles,
the redirect and its 404, click statistics and CTR worked out here from the
clicks the test itself made, QR codes, the CLI, and durability: clicks that
were answered survive kill -9 and are stored exactly once on restart."""
import datetime
import http.client
import os
import re
import signal
import sqlite3
import subprocess
import time

import pytest

from conftest import METRICS_TOKEN, Server, add_users, run_kanal, migrated_with_users

IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
          "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1")
DESKTOP = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36"
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"


def hit(server, path, ua=IPHONE, referer=None, extra=None):
    """One GET that does not follow redirects: (status, headers, body)."""
    c = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    h = {"User-Agent": ua, **(extra or {})}
    if referer:
        h["Referer"] = referer
    c.request("GET", path, headers=h)
    r = c.getresponse()
    out = (r.status, {k.lower(): v for k, v in r.getheaders()}, r.read())
    c.close()
    return out


def sql(db_url, statement):
    """Runs SQL straight on the store, for what no API writes yet (metrics)."""
    if db_url.startswith("postgresql://"):
        subprocess.run(["psql", db_url, "-qc", statement], check=True, capture_output=True)
    else:
        with sqlite3.connect(db_url) as db:
            db.execute(statement)


def make(admin, ws, kind, body):
    r = admin.post(f"/api/v1/workspaces/{ws}/{kind}", body)
    assert r.status == 201, r
    return r.json()


def stats(client, ws, by, expect_total=None):
    """Stats by `by`; waits (bounded) until the click thread has stored
    expect_total clicks, human and bot together."""
    deadline = time.time() + 20
    while True:
        r = client.get(f"/api/v1/workspaces/{ws}/links/stats?by={by}")
        assert r.status == 200, r
        items = r.json()["items"]
        total = sum(i["clicks"] + i["bot_clicks"] for i in items)
        if expect_total is None or total == expect_total:
            return items
        assert time.time() < deadline, (total, expect_total, items)
        time.sleep(0.1)


def test_create_and_redirect(server, admin, workspace):
    ch = make(admin, workspace, "channels", {"platform": "facebook", "handle": "kommunen",
                                             "name": "Kommunen"})
    cp = make(admin, workspace, "campaigns", {"name": "Spring Sale 2026"})
    link = make(admin, workspace, "links", {"url": "https://Example.org/page#top",
                                            "channel_id": ch["id"], "campaign_id": cp["id"]})
    # The facebook preset, the campaign's name normalised, before the fragment.
    want = ("https://example.org/page?utm_source=facebook&utm_medium=social"
            "&utm_campaign=spring-sale-2026#top")
    assert link["target_url"] == want
    assert link["warnings"] == []
    assert link["short_path"] == "/l/" + link["code"]
    status, headers, body = hit(server, link["short_path"])
    assert status == 302
    assert headers["location"] == want
    assert headers["cache-control"] == "no-store"
    assert headers["referrer-policy"] == "no-referrer"
    assert body == b"" and headers["content-length"] == "0"
    # A click is anyone's: credentials that would be refused elsewhere (a
    # wrong scheme, an unknown token, a session that is gone) are not read.
    for extra in ({"Authorization": "Basic eDp5"}, {"Authorization": "Bearer nosuchtoken"},
                  {"Cookie": "kanal_session=" + "0" * 64}):
        status, headers, _ = hit(server, link["short_path"], extra=extra)
        assert status == 302 and headers["location"] == want, (extra, status)
    # Unknown codes: one answer, whatever the code, naming nothing.
    s1, _, b1 = hit(server, "/l/nosuchcode")
    s2, _, b2 = hit(server, "/l/" + link["code"] + "x")
    assert s1 == s2 == 404
    assert b1 == b2
    assert b"nosuchcode" not in b1 and b"example" not in b1
    # Reading back.
    r = admin.get(f"/api/v1/workspaces/{workspace}/links/{link['id']}")
    assert r.status == 200 and r.json()["target_url"] == want
    r = admin.get(f"/api/v1/workspaces/{workspace}/links")
    assert [l["id"] for l in r.json()["items"]] == [link["id"]]
    # Another workspace does not see it.
    other = admin.post("/api/v1/workspaces", {"name": "Other", "slug": "other"}).json()["id"]
    assert admin.get(f"/api/v1/workspaces/{other}/links/{link['id']}").status == 404


def test_links_alternating_on_kept_alive_connections(server, admin, workspace):
    # Each server thread keeps its last redirect's answer for the next click
    # to the same place: clicks that alternate between links, on connections
    # kept open (so on the same threads), each get their own Location.
    links = [make(admin, workspace, "links", {"url": f"https://example.org/{n}"})
             for n in ("a", "b", "c")]
    conns = [http.client.HTTPConnection("127.0.0.1", server.port, timeout=30) for _ in range(4)]
    try:
        for i in range(60):
            link = links[(i * 7 + i // 5) % 3]
            c = conns[i % 4]
            c.request("GET", link["short_path"], headers={"User-Agent": IPHONE})
            r = c.getresponse()
            r.read()
            assert r.status == 302 and r.getheader("Location") == link["target_url"], (i, link)
            assert r.getheader("Cache-Control") == "no-store"
    finally:
        for c in conns:
            c.close()


def test_validation_and_warnings(admin, workspace):
    base = f"/api/v1/workspaces/{workspace}/links"
    for url in ["javascript:alert(1)", "ftp://example.org/", "https://user:pw@example.org/",
                "example.org", "https://exa mple.org/"]:
        r = admin.post(base, {"url": url})
        assert r.status == 400, (url, r)
        assert r.json()["error"]["field"] == "url"
    r = admin.post(base, {"url": "https://example.org/", "utm_source": "x\ny"})
    assert r.status == 400 and r.json()["error"]["field"] == "utm_source"
    r = admin.post(base, {"url": "https://example.org/", "nonsense": 1})
    assert r.status == 400 and r.json()["error"]["field"] == "nonsense"
    r = admin.post(base, {"url": "https://example.org/?utm_source=newsletter&id=4",
                          "utm_source": "LinkedIn", "utm_medium": "Social Media"})
    assert r.status == 201, r
    link = r.json()
    assert link["target_url"] == ("https://example.org/?id=4&utm_source=linkedin"
                                  "&utm_medium=social-media")
    assert len(link["warnings"]) == 1 and "UTM" in link["warnings"][0]
    r = admin.post(base, {"url": "https://example.org/", "code": link["code"]})
    assert r.status == 409
    r = admin.post(base, {"url": "https://räksmörgås.se/å"})
    assert r.status == 201
    assert r.json()["target_url"] == "https://xn--rksmrgs-5wao1o.se/%C3%A5"


def test_roles(server, as_role, workspace):
    base = f"/api/v1/workspaces/{workspace}/links"
    for role, status in [("admin", 201), ("editor", 201), ("author", 201), ("moderator", 403),
                         ("analyst", 403)]:
        r = as_role(role).post(base, {"url": "https://example.org/" + role})
        assert r.status == status, (role, r)
    analyst = as_role("analyst")
    items = analyst.get(base).json()["items"]
    assert len(items) == 3
    assert analyst.get(base + "/stats").status == 200
    anonymous = server.client()
    assert anonymous.get(base).status == 401
    assert anonymous.post(base, {"url": "https://example.org/"}).status == 401
    status, _, _ = hit(server, items[0]["short_path"])  # the redirect needs no one signed in
    assert status == 302


def test_stats_ctr_and_leaderboard(server, admin, workspace, db_url):
    ws = workspace
    ch = make(admin, ws, "channels", {"platform": "linkedin", "handle": "k", "name": "LinkedIn"})
    ch2 = make(admin, ws, "channels", {"platform": "x", "handle": "k", "name": "X"})
    cp = make(admin, ws, "campaigns", {"name": "Sommarjobb"})
    post = make(admin, ws, "posts", {"title": "Sök sommarjobb", "body": "Länk i texten",
                                      "variants": [{"channel_id": ch["id"]},
                                                   {"channel_id": ch2["id"]}]})
    v1, v2 = [v["id"] for v in post["variants"]]
    # Impressions: the latest reading of each variant counts: 2000 + 500.
    sql(db_url, f"INSERT INTO post_metrics (variant_id, taken_at, impressions) "
                f"VALUES ({v1}, 1000, 1200), ({v1}, 2000, 2000), ({v2}, 1500, 500)")
    anna = make(admin, ws, "links", {"url": "https://example.org/jobb", "post_id": post["id"],
                                     "channel_id": ch["id"], "campaign_id": cp["id"],
                                     "advocate": "Anna Berg"})
    bo = make(admin, ws, "links", {"url": "https://example.org/jobb", "post_id": post["id"],
                                   "advocate": "Bo"})
    plain = make(admin, ws, "links", {"url": "https://example.org/other"})
    assert anna["utm_content"] == "anna-berg" and anna["utm_source"] == "linkedin"

    for ua in [IPHONE, IPHONE, DESKTOP, GOOGLEBOT]:
        assert hit(server, anna["short_path"], ua, "https://www.linkedin.com/feed/")[0] == 302
    for ua in [DESKTOP, DESKTOP]:
        assert hit(server, bo["short_path"], ua)[0] == 302
    assert hit(server, plain["short_path"], IPHONE)[0] == 302
    total = 7  # 6 by people and 1 by a bot

    by_link = {i["link_id"]: i for i in stats(admin, ws, "link", total)}
    assert (by_link[anna["id"]]["clicks"], by_link[anna["id"]]["unique_visitors"],
            by_link[anna["id"]]["bot_clicks"]) == (3, 2, 1)  # iPhone twice, desktop once
    assert (by_link[bo["id"]]["clicks"], by_link[bo["id"]]["unique_visitors"]) == (2, 1)
    assert by_link[plain["id"]]["clicks"] == 1

    by_post = stats(admin, ws, "post")
    assert len(by_post) == 1
    assert by_post[0]["clicks"] == 5 and by_post[0]["impressions"] == 2500
    assert by_post[0]["ctr"] == pytest.approx(5 / 2500)

    board = stats(admin, ws, "advocate")
    assert [(i["rank"], i["advocate"], i["clicks"]) for i in board] == [(1, "anna-berg", 3),
                                                                      (2, "bo", 2)]
    by_campaign = {i["campaign_id"]: i["clicks"] for i in stats(admin, ws, "campaign")}
    assert by_campaign == {cp["id"]: 3, None: 3}
    by_channel = {i["channel_id"]: i["clicks"] for i in stats(admin, ws, "channel")}
    assert by_channel == {ch["id"]: 3, None: 3}
    today = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d")
    days = stats(admin, ws, "day")
    # A run across midnight UTC could split the day; the sum is what must hold.
    assert sum(d["clicks"] for d in days) == 6 and today in [d["day"] for d in days]
    assert admin.get(f"/api/v1/workspaces/{ws}/links/stats?by=colour").status == 400
    later = admin.get(f"/api/v1/workspaces/{ws}/links/stats?by=link&since=2999-01-01")
    # Every link is listed (a LEFT JOIN), each with none of its clicks.
    assert sorted((i["link_id"], i["clicks"]) for i in later.json()["items"]) == sorted(
        (link["id"], 0) for link in (anna, bo, plain))
    r = admin.get(f"/api/v1/workspaces/{ws}/links/{anna['id']}")
    assert r.json()["clicks"] == 3


def need(tool, package):
    """Skips, saying why, when a test tool is missing; under CI that fails."""
    import shutil
    if shutil.which(tool) is None:
        assert not os.environ.get("CI"), f"{tool} is missing: install {package}"
        pytest.skip(f"{tool} is not installed ({package}; scripts/install-deps.sh has it)")


def qr_decode(image, suffix):
    """The text zbarimg (zbar-tools) reads from an image."""
    need("zbarimg", "zbar-tools")
    import tempfile
    with tempfile.NamedTemporaryFile(suffix=suffix) as f:
        f.write(image)
        f.flush()
        p = subprocess.run(["zbarimg", "--quiet", "--raw", f.name], capture_output=True,
                           text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    return p.stdout.strip()


def svg_to_pgm(svg, scale=4):
    """The SVG's modules (each drawn as `Mx yh1v1h-1z` in a square viewBox)
    as a greyscale image zbarimg reads without an SVG renderer."""
    size = int(re.search(r'viewBox="0 0 (\d+) \1"', svg).group(1))
    dark = {(int(x), int(y)) for x, y in re.findall(r"M(\d+) (\d+)h1v1h-1z", svg)}
    assert dark
    rows = bytearray()
    for y in range(size * scale):
        for x in range(size * scale):
            rows.append(0 if (x // scale, y // scale) in dark else 255)
    return b"P5 %d %d 255\n" % (size * scale, size * scale) + bytes(rows)


def test_qr_codes(server, admin, workspace):
    link = make(admin, workspace, "links", {"url": "https://example.org/"})
    base = f"/api/v1/workspaces/{workspace}/links/{link['id']}"
    r = admin.get(base + "/qr.svg")
    assert r.status == 200 and r.headers["Content-Type"] == "image/svg+xml"
    assert r.body.startswith("<?xml") and "</svg>" in r.body
    c = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    c.request("GET", base + "/qr.png", headers={"Cookie": "; ".join(
        f"{k.name}={k.value}" for k in admin.jar)})
    resp = c.getresponse()
    png = resp.read()
    assert resp.status == 200 and resp.getheader("Content-Type") == "image/png"
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    # What a phone reads from them: the short link at the address asked.
    want = f"http://127.0.0.1:{server.port}{link['short_path']}"
    assert qr_decode(png, ".png") == want
    assert qr_decode(svg_to_pgm(r.body), ".pgm") == want
    assert admin.get(base + "/qr.png?scale=0").status == 400
    assert admin.get(f"/api/v1/workspaces/{workspace}/links/999999/qr.svg").status == 404


def test_cli(db_url, tmp_path):
    run_kanal("migrate", "--db", db_url)
    p = run_kanal("link", "add", "--db", db_url, "--workspace", "nope", "--url",
                  "https://example.org/", check=False)
    assert p.returncode == 1 and "workspace" in p.stderr
    sql(db_url, "INSERT INTO workspaces (name, slug, created_at, updated_at) "
                "VALUES ('W', 'w', 0, 0)")
    sql(db_url, "INSERT INTO campaigns (workspace_id, name, created_at, updated_at) "
                "VALUES (1, 'Höstkampanj', 0, 0)")
    p = run_kanal("link", "add", "--db", db_url, "--workspace", "w", "--url",
                  "https://example.org/x?utm_term=a", "--campaign", "Höstkampanj",
                  "--utm-source", "Newsletter", "--utm-medium", "email")
    lid, path, target = p.stdout.strip().split("\t")
    assert target == ("https://example.org/x?utm_term=a&utm_source=newsletter&utm_medium=email"
                      "&utm_campaign=h%C3%B6stkampanj")
    assert "warning" in p.stderr
    p = run_kanal("link", "add", "--db", db_url, "--workspace", "w", "--url", "javascript:x",
                  check=False)
    assert p.returncode == 1 and "http" in p.stderr
    p = run_kanal("link", "list", "--db", db_url, "--workspace", "1")
    assert p.stdout.split("\t")[:3] == [lid, path, "0"]
    p = run_kanal("link", "stats", "--db", db_url, "--workspace", "w", "--by", "campaign")
    assert '"clicks":0' in p.stdout
    assert run_kanal("link", "--help").returncode == 0
    assert run_kanal("link", "add", "--help").returncode == 0


def test_click_applier_runs_behind_the_answers(server):
    """The thread that stores clicks, and only it, runs at nice +10; the
    threads that answer and the one that syncs the click log do not. The
    thread lowers its own priority when it first runs, which on a busy
    machine can come after the server answers: so the test looks again for
    a while (one run read ten threads at the same nice)."""
    def nices():
        out = []
        for tid in os.listdir(f"/proc/{server.proc.pid}/task"):
            with open(f"/proc/{server.proc.pid}/task/{tid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()  # from field 3, the state
            out.append(int(fields[16]))  # field 19, nice
        return out
    deadline = time.monotonic() + 10
    while True:
        seen = nices()
        base = min(seen)  # the server's own, whatever the test runs at
        behind = min(base + 10, 19)
        if seen.count(behind) == 1 or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert seen.count(behind) == 1 and seen.count(base) == len(seen) - 1, seen


def pending_clicks(server):
    body = server.client().get("/metrics", headers={"Authorization": "Bearer " + METRICS_TOKEN}).body
    return int(re.search(r"^kanal_clicks_pending (\d+)$", body, re.M).group(1))


def test_kill9_loses_no_answered_click(db_url, tmp_path):
    migrated_with_users(db_url)
    log = str(tmp_path / "clicks.log")
    # Batches an hour apart: nothing reaches the store before the kill, so
    # every click counted afterwards came from replaying the log.
    args = ["--click-log", log, "--click-batch-ms", "3600000"]
    s = Server(db_url, str(tmp_path), args)
    admin = s.client()
    assert admin.login("admin@example.org").status == 201
    ws = admin.post("/api/v1/workspaces", {"name": "W", "slug": "w"}).json()["id"]
    link = admin.post(f"/api/v1/workspaces/{ws}/links", {"url": "https://example.org/"}).json()
    n = 60
    for i in range(n):
        assert hit(s, link["short_path"], DESKTOP if i % 2 else IPHONE)[0] == 302
    s.proc.kill()
    s.proc.wait(timeout=30)
    s.log.close()

    def clicks_after_restart():
        srv = Server(db_url, str(tmp_path), args)
        c = srv.client()
        assert c.login("admin@example.org").status == 201
        got = c.get(f"/api/v1/workspaces/{ws}/links/{link['id']}").json()["clicks"]
        return srv, got

    s, got = clicks_after_restart()
    assert got == n
    code, _ = s.stop()
    assert code == 0
    s, got = clicks_after_restart()
    assert got == n  # replayed once, not twice
    # /metrics shows what is logged and not yet stored: the applier's lag.
    assert pending_clicks(s) == 0
    # A graceful stop stores what is still in the log.
    for _ in range(5):
        assert hit(s, link["short_path"])[0] == 302
    assert pending_clicks(s) == 5
    code, out = s.stop()
    assert code == 0, out
    s, got = clicks_after_restart()
    assert got == n + 5
    assert s.stop()[0] == 0
    # No address reaches the log or the store.
    with open(log) as f:
        assert "127.0.0.1" not in f.read()
    if not db_url.startswith("postgresql://"):
        with sqlite3.connect(db_url) as db:
            rows = db.execute("SELECT * FROM clicks").fetchall()
        assert len(rows) == n + 5 and not any("127.0.0.1" in str(r) for r in rows)


def test_link_for_post_takes_its_channel_and_campaign(admin, workspace):
    ws = workspace
    fb = make(admin, ws, "channels", {"platform": "facebook", "handle": "k", "name": "FB"})
    li = make(admin, ws, "channels", {"platform": "linkedin", "handle": "k", "name": "LI"})
    cp = make(admin, ws, "campaigns", {"name": "Höstlov"})
    other = make(admin, ws, "campaigns", {"name": "Annat"})
    one = make(admin, ws, "posts", {"title": "a", "campaign_id": cp["id"],
                                     "variants": [{"channel_id": fb["id"]}]})
    link = make(admin, ws, "links", {"url": "https://example.org/", "post_id": one["id"]})
    assert (link["channel_id"], link["campaign_id"]) == (fb["id"], cp["id"])
    # Tagged as a link made with that channel and campaign named would be.
    assert link["target_url"] == ("https://example.org/?utm_source=facebook&utm_medium=social"
                                  "&utm_campaign=h%C3%B6stlov")
    # What the request names wins.
    link = make(admin, ws, "links", {"url": "https://example.org/", "post_id": one["id"],
                                     "channel_id": li["id"], "campaign_id": other["id"]})
    assert (link["channel_id"], link["campaign_id"]) == (li["id"], other["id"])
    # On two channels the post names none of them; its campaign still holds.
    two = make(admin, ws, "posts", {"title": "b", "campaign_id": cp["id"],
                                     "variants": [{"channel_id": fb["id"]},
                                                  {"channel_id": li["id"]}]})
    link = make(admin, ws, "links", {"url": "https://example.org/", "post_id": two["id"]})
    assert (link["channel_id"], link["campaign_id"]) == (None, cp["id"])
    r = admin.get(f"/api/v1/workspaces/{ws}/links?channel={fb['id']}")
    assert len(r.json()["items"]) == 1


def test_restart_counts_a_visitor_again(sqlite_url, tmp_path):
    """The visitor salt lives only in memory: after a restart the same
    browser is a new visitor (the README says so), within the same day."""
    run_kanal("migrate", "--db", sqlite_url)
    add_users(sqlite_url)
    day = datetime.datetime.now(datetime.timezone.utc).date()
    s = Server(sqlite_url, str(tmp_path))
    admin = s.client()
    assert admin.login("admin@example.org").status == 201
    ws = admin.post("/api/v1/workspaces", {"name": "W", "slug": "w"}).json()["id"]
    link = make(admin, ws, "links", {"url": "https://example.org/"})
    for _ in range(2):
        assert hit(s, link["short_path"], DESKTOP)[0] == 302
    assert stats(admin, ws, "link", 2)[0]["unique_visitors"] == 1
    assert s.stop()[0] == 0
    s = Server(sqlite_url, str(tmp_path))
    admin = s.client()
    assert admin.login("admin@example.org").status == 201
    assert hit(s, link["short_path"], DESKTOP)[0] == 302
    row = stats(admin, ws, "link", 3)[0]
    assert s.stop()[0] == 0
    if datetime.datetime.now(datetime.timezone.utc).date() != day:
        pytest.skip("the run crossed midnight UTC, when the salt changes anyway")
    assert (row["clicks"], row["unique_visitors"]) == (3, 2)


def fdatasyncs(db_url, tmp_path, policy, n):
    """How many times the server syncs the click log while it answers n
    redirects and stops, counted by strace on that file alone."""
    need("strace", "strace")
    log = str(tmp_path / f"clicks-{policy}.log")
    trace = str(tmp_path / f"strace-{policy}.txt")
    # Batches an hour apart: the batch thread syncs nothing before the stop.
    args = ["--click-log", log, "--click-batch-ms", "3600000", "--click-fsync", policy]
    # LeakSanitizer cannot run under ptrace; every untraced run still checks leaks.
    asan = ":".join(filter(None, [os.environ.get("ASAN_OPTIONS"), "detect_leaks=0"]))
    s = Server(db_url, str(tmp_path), args, env={"ASAN_OPTIONS": asan},
               wrap=["strace", "-f", "-c", "-o", trace, "-P", log, "-e", "trace=fsync,fdatasync"])
    admin = s.client()
    assert admin.login("admin@example.org").status == 201
    ws = admin.post("/api/v1/workspaces", {"name": policy, "slug": policy}).json()["id"]
    link = make(admin, ws, "links", {"url": "https://example.org/"})
    for _ in range(n):
        assert hit(s, link["short_path"])[0] == 302
    # strace holds off SIGTERM while it runs a command: stop kanal itself.
    with open(f"/proc/{s.proc.pid}/task/{s.proc.pid}/children") as f:
        os.kill(int(f.read().split()[0]), signal.SIGTERM)
    assert s.proc.wait(timeout=60) == 0
    s.log.close()
    with open(trace) as f:
        table = f.read()
    calls = 0
    for line in table.splitlines():
        cols = line.split()
        if cols and cols[-1] in ("fsync", "fdatasync"):
            calls += int(cols[3])
    return calls


def test_click_fsync_always_syncs_before_each_answer(db_url, tmp_path):
    migrated_with_users(db_url)
    n = 25
    always = fdatasyncs(db_url, tmp_path, "always", n)
    batch = fdatasyncs(db_url, tmp_path, "batch", n)
    assert always >= n, always
    assert batch <= 2, batch  # the stop's last batch: what the count above is measured against


def test_full_disk_answers_and_counts_every_lost_click(postgres, tmp_path):
    """A click log that cannot grow (RLIMIT_FSIZE stands in for a full disk;
    the store is PostgreSQL, so the limit touches only the log): every
    redirect is answered, and every click is either stored or counted lost."""
    import resource
    db_url = postgres.new_database()
    migrated_with_users(db_url)
    log = str(tmp_path / "clicks.log")

    def full_disk():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails, as on a full disk
        resource.setrlimit(resource.RLIMIT_FSIZE, (12000, 12000))

    # The limit stops the server's own output file too; only its start is read.
    s = Server(db_url, str(tmp_path), ["--click-log", log], preexec=full_disk)
    admin = s.client()
    assert admin.login("admin@example.org").status == 201
    ws = admin.post("/api/v1/workspaces", {"name": "W", "slug": "w"}).json()["id"]
    link = make(admin, ws, "links", {"url": "https://example.org/"})
    n = 400
    for i in range(n):
        assert hit(s, link["short_path"], DESKTOP if i % 2 else IPHONE)[0] == 302
    metrics = s.client().get("/metrics", headers={"Authorization": "Bearer " + METRICS_TOKEN}).body
    lost = int(re.search(r"^kanal_clicks_lost_total (\d+)$", metrics, re.M).group(1))
    assert s.stop()[0] == 0
    assert 0 < lost < n
    assert os.path.getsize(log) <= 12000
    s = Server(db_url, str(tmp_path), ["--click-log", log])
    admin = s.client()
    assert admin.login("admin@example.org").status == 201
    stored = admin.get(f"/api/v1/workspaces/{ws}/links/{link['id']}").json()["clicks"]
    metrics = s.client().get("/metrics", headers={"Authorization": "Bearer " + METRICS_TOKEN}).body
    assert s.stop()[0] == 0
    assert stored + lost == n, (stored, lost)
    assert "kanal_clicks_lost_total 0" in metrics  # a count of this run only
