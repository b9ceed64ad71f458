"""KPIs against an independent computation: the test reads the raw rows of
a demo database and computes docs/metrics.md's definitions itself (latest
snapshot per post from post_metrics, first replies from the replies, local
days with Python's zoneinfo), then compares kanal's report, on SQLite and
on PostgreSQL fed the same deterministic demo."""
import csv
import json
import os
import shutil
import sqlite3
import statistics
from collections import defaultdict
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from conftest import SHARED_DATA, Server, run_kanal

TZ = ZoneInfo("Europe/Stockholm")
END = "2026-11-01"


def local_midnight(d):
    return int(datetime(d.year, d.month, d.day, tzinfo=TZ).timestamp())


def local_day(t):
    return datetime.fromtimestamp(t, TZ).date()


class Expected:
    """docs/metrics.md, written again from the definitions."""

    def __init__(self, db, since, until):
        con = sqlite3.connect(db)
        self.since, self.until = since, until
        self.t0, self.t1 = local_midnight(since), local_midnight(until)
        self.days = (until - since).days
        self.channels = {r[0]: r[1:] for r in con.execute(
            "SELECT id, name, platform, is_peer FROM channels")}
        latest = {}
        for vid, t, *vals in con.execute(
                "SELECT variant_id, taken_at, reach, impressions, reactions, comments, shares, "
                "saves, clicks, video_views FROM post_metrics ORDER BY variant_id, taken_at"):
            latest[vid] = vals
        self.posts = []
        for vid, ch, at, post, campaign, fmt in con.execute(
                "SELECT v.id, v.channel_id, v.published_at, p.id, p.campaign_id, p.format "
                "FROM post_variants v JOIN posts p ON p.id = v.post_id"):
            if self.t0 <= at < self.t1 and not self.channels[ch][2]:
                self.posts.append(dict(ch=ch, day=local_day(at), post=post, campaign=campaign,
                                       format=fmt, m=latest.get(vid, [None] * 8)))
        self.tags = defaultdict(list)
        for post, tag in con.execute("SELECT post_id, tag_id FROM post_tags"):
            self.tags[post].append(tag)
        replies = {}
        for parent, t in con.execute("SELECT parent_id, created_at FROM messages "
                                     "WHERE is_own = 1 AND parent_id IS NOT NULL"):
            replies[parent] = min(t, replies.get(parent, t))
        self.messages = [dict(ch=ch, day=local_day(t), wait=replies[i] - t if i in replies else None)
                         for i, ch, t in con.execute(
                             "SELECT id, channel_id, created_at FROM messages WHERE is_own = 0")
                         if self.t0 <= t < self.t1 and not self.channels[ch][2]]
        self.followers = defaultdict(list)
        for ch, t, f in con.execute("SELECT channel_id, taken_at, followers FROM channel_metrics "
                                    "WHERE followers IS NOT NULL ORDER BY taken_at"):
            self.followers[ch].append((t, f))

    def followers_at(self, ch, t):
        """Latest count strictly before instant t."""
        last = None
        for at, f in self.followers[ch]:
            if at < t:
                last = f
        return last

    def growth_ends(self, ch, t0, t1):
        """(start, end) counts of docs/metrics.md's follower growth from t0 to
        t1, or None when they are not two counts: the latest before t0, else
        the first from t0 on; and the latest before t1."""
        before = [(at, f) for at, f in self.followers[ch] if at < t0]
        inside = [(at, f) for at, f in self.followers[ch] if t0 <= at < t1]
        start = before[-1] if before else inside[0] if inside else None
        end = (before + inside)[-1] if before + inside else None
        if start is None or start[0] == end[0]:
            return None
        return start[1], end[1]

    def kpis(self, posts, messages, channels):
        k = dict(posts=len(posts), posts_per_week=len(posts) / (self.days / 7))
        names = ["reach", "impressions", "reactions", "comments", "shares", "saves", "clicks",
                 "video_views"]
        # A number no post reports is missing, not 0 (docs/metrics.md).
        total = lambda vals: None if posts and all(v is None for v in vals) else sum(
            v or 0 for v in vals)
        for i, n in enumerate(names):
            k[n] = total([p["m"][i] for p in posts])
        inter = lambda m: sum(x or 0 for x in m[2:6])
        k["interactions"] = total([None if all(x is None for x in p["m"][2:6]) else
                                   inter(p["m"]) for p in posts])
        with_reach = [p for p in posts if p["m"][0] is not None]
        k["er_reach"] = (sum(inter(p["m"]) for p in with_reach) / sum(p["m"][0] for p in with_reach)
                         if with_reach else None)
        with_ctr = [p for p in posts if p["m"][6] is not None and p["m"][1]]
        k["ctr"] = (sum(p["m"][6] for p in with_ctr) / sum(p["m"][1] for p in with_ctr)
                    if with_ctr else None)
        k["incoming"] = len(messages)
        waits = [m["wait"] for m in messages if m["wait"] is not None]
        k["answered"] = len(waits)
        k["response_rate"] = len(waits) / len(messages) if messages else None
        k["median_response_seconds"] = statistics.median(waits) if waits else None
        if channels is not None:
            ends = [e for e in (self.growth_ends(c, self.t0, self.t1) for c in channels) if e]
            k["follower_growth"] = sum(e - s for s, e in ends) if ends else None
            rates = []
            for d in range(self.days):
                day = self.since + timedelta(days=d)
                fol = sum(self.followers_at(c, local_midnight(day + timedelta(days=1))) or 0
                          for c in channels)
                if fol:
                    rates.append(sum(inter(p["m"]) for p in posts if p["day"] == day) / fol)
            k["er_followers"] = sum(rates) / len(rates) if rates else None
        return k

    def total(self):
        own = [c for c, v in self.channels.items() if not v[2]]
        return self.kpis(self.posts, self.messages, own)

    def by_channel(self):
        return {c: self.kpis([p for p in self.posts if p["ch"] == c],
                             [m for m in self.messages if m["ch"] == c], [c])
                for c, v in self.channels.items() if not v[2]}


def close(a, b, what, rel=1e-9):
    if a is None or b is None:
        assert a is None and b is None, (what, a, b)
    else:
        assert a == pytest.approx(b, rel=rel, abs=1e-9), (what, a, b)


# Medians are read from kanal's response-time histogram (docs/metrics.md):
# exact below 256 seconds, within 1/256 above.
MEDIAN_REL = 1 / 256


def compare(got, want, what):
    for k, v in want.items():
        close(got[k], v, f"{what}.{k}", MEDIAN_REL if k == "median_response_seconds" else 1e-9)


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    db = str(tmp_path_factory.mktemp("analytics") / "demo.db")
    run_kanal("demo", "--db", db, "--end", END, "--days", "120")
    return db


def report(db, *args):
    out = run_kanal("report", "--db", db, "--workspace", "pensionsverket", "--format", "json",
                    *args).stdout
    return json.loads(out)



def test_totals_and_channels_match_the_definitions(demo_db):
    since, until = date(2026, 9, 1), date(2026, 10, 1)
    exp = Expected(demo_db, since, until)
    rep = report(demo_db, "--since", str(since), "--until", str(until), "--by", "channel")
    assert rep["timezone"] == "Europe/Stockholm" and rep["by"] == "channel"
    compare(rep["total"], exp.total(), "total")
    rows = {r["key"]: r for r in rep["rows"]}
    want = exp.by_channel()
    assert set(rows) == set(want)  # every own channel has follower data, so each is a row
    for c, k in want.items():
        compare(rows[c], k, f"channel {c}")
    assert exp.total()["posts"] > 50 and exp.total()["incoming"] > 100


def test_months_tags_and_formats(demo_db):
    since, until = date(2026, 8, 1), date(2026, 11, 1)
    exp = Expected(demo_db, since, until)
    months = report(demo_db, "--since", str(since), "--until", str(until), "--by", "month")
    assert [r["label"] for r in months["rows"]] == ["2026-08", "2026-09", "2026-10"]
    for r in months["rows"]:
        y, m = map(int, r["label"].split("-"))
        posts = [p for p in exp.posts if (p["day"].year, p["day"].month) == (y, m)]
        assert r["posts"] == len(posts)
        assert r["interactions"] == sum(sum(x or 0 for x in p["m"][2:6]) for p in posts)
    assert sum(r["posts"] for r in months["rows"]) == months["total"]["posts"] == len(exp.posts)

    tags = report(demo_db, "--since", str(since), "--until", str(until), "--by", "tag")
    counts = defaultdict(int)
    for p in exp.posts:
        for t in exp.tags.get(p["post"], [0]):
            counts[t] += 1
    assert {r["key"]: r["posts"] for r in tags["rows"]} == counts
    assert any(r["label"] == "(untagged)" for r in tags["rows"]) == (0 in counts)

    formats = report(demo_db, "--since", str(since), "--until", str(until), "--by", "format")
    by_format = defaultdict(int)
    for p in exp.posts:
        by_format[p["format"]] += 1
    assert {r["label"]: r["posts"] for r in formats["rows"]} == by_format


def test_posts_per_week_over_the_days_of_each_row(demo_db):
    """Posting frequency is posts / (days / 7), each row over its own days
    inside the report: 1-4 October is 4 days of ISO week 40, 12-14 October
    3 days of week 42; August from the 15th is 17 days."""
    def check(since, until, by, days):
        exp = Expected(demo_db, since, until)
        rep = report(demo_db, "--since", str(since), "--until", str(until), "--by", by)
        assert [r["label"] for r in rep["rows"]] == list(days)
        for r in rep["rows"]:
            key = {"week": lambda d: "%d-W%02d" % d.isocalendar()[:2],
                   "month": lambda d: d.strftime("%Y-%m")}[by]
            posts = sum(1 for p in exp.posts if key(p["day"]) == r["label"])
            assert posts > 0 and r["posts"] == posts, r["label"]
            close(r["posts_per_week"], posts * 7 / days[r["label"]], r["label"])
        close(rep["total"]["posts_per_week"], len(exp.posts) * 7 / (until - since).days, "total")
    check(date(2026, 10, 1), date(2026, 10, 15), "week",
          {"2026-W40": 4, "2026-W41": 7, "2026-W42": 3})
    check(date(2026, 8, 15), date(2026, 11, 1), "month",
          {"2026-08": 17, "2026-09": 30, "2026-10": 31})


def test_weeks_are_iso_weeks_in_local_time(demo_db):
    rep = report(demo_db, "--since", "2026-10-05", "--until", "2026-10-19", "--by", "week")
    assert [r["label"] for r in rep["rows"]] == ["2026-W41", "2026-W42"]
    days = report(demo_db, "--since", "2026-10-25", "--until", "2026-10-27", "--by", "day")
    exp = Expected(demo_db, date(2026, 10, 25), date(2026, 10, 27))
    # 2026-10-25 is the day Sweden leaves summer time: a 25-hour local day.
    want = defaultdict(int)
    for p in exp.posts:
        want[str(p["day"])] += 1
    assert want["2026-10-25"] > 0, want  # the long day has posts, or the check proves nothing
    assert {r["label"]: r["posts"] for r in days["rows"] if r["posts"]} == want


def test_previous_period_comparison(demo_db):
    rep = report(demo_db, "--since", "2026-10-01", "--until", "2026-11-01", "--compare", "previous")
    prev = Expected(demo_db, date(2026, 8, 31), date(2026, 10, 1)).total()  # 31 days before
    compare(rep["previous"], prev, "previous")
    now = rep["total"]
    assert rep["change"]["posts"]["absolute"] == now["posts"] - prev["posts"]
    close(rep["change"]["reach"]["relative"], (now["reach"] - prev["reach"]) / prev["reach"], "rel")


def test_previous_period_for_every_row(demo_db):
    """Each row by channel or campaign has its own previous figures, from
    the same days before, and its change."""
    prev = Expected(demo_db, date(2026, 8, 31), date(2026, 10, 1))  # October's 31 days before
    rep = report(demo_db, "--since", "2026-10-01", "--until", "2026-11-01", "--by", "channel",
                 "--compare", "previous")
    want = prev.by_channel()
    assert {r["key"] for r in rep["rows"]} == set(want)
    for r in rep["rows"]:
        compare(r["previous"], want[r["key"]], f"previous of channel {r['key']}")
        assert r["change"]["posts"]["absolute"] == r["posts"] - want[r["key"]]["posts"]
        assert r["change"]["reach"]["absolute"] == r["reach"] - want[r["key"]]["reach"]
    rep = report(demo_db, "--since", "2026-10-01", "--until", "2026-11-01", "--by", "campaign",
                 "--compare", "previous")
    posts = defaultdict(int)
    for p in prev.posts:
        posts[p["campaign"] or 0] += 1
    for r in rep["rows"]:
        assert r["previous"]["posts"] == posts[r["key"]], r["label"]
    assert any(r["previous"]["posts"] for r in rep["rows"] if r["key"])


def test_monthly_html_channel_table(demo_db):
    """The monthly report's channel table shows impressions, and under each
    channel its previous month (the 31 days before October)."""
    import re
    page = run_kanal("report", "--db", demo_db, "--workspace", "pensionsverket", "--html",
                     "2026-10").stdout
    now = Expected(demo_db, date(2026, 10, 1), date(2026, 11, 1))
    before = Expected(demo_db, date(2026, 8, 31), date(2026, 10, 1))
    spaced = lambda n: f"{n:,}".replace(",", " ")
    table = page.split("<h2>Channels</h2>")[1].split("</table>")[0]
    assert "<th>Reach</th><th>Impressions</th>" in table
    want, prev = now.by_channel(), before.by_channel()
    for c, (name, platform, _) in ((c, v) for c, v in now.channels.items() if not v[2]):
        cells = [spaced(want[c][k]) for k in ("posts", "reach", "impressions")]
        cells_before = [spaced(prev[c][k]) for k in ("posts", "reach", "impressions")]
        row = re.escape(f"<tr><td>{name} ({platform})</td><td>" + "</td><td>".join(cells) +
                        "</td>")
        row += r"[^\n]*\n" + re.escape('<tr class="prev"><td>previous month</td><td>' +
                                       "</td><td>".join(cells_before) + "</td>")
        assert re.search(row, table), (name, platform, cells, cells_before)


def test_follower_growth_needs_two_counts(demo_db, tmp_path):
    """A channel with a single follower count (a page file gives one) has no
    growth: it adds nothing to the total, not its whole count."""
    import shutil
    db = str(tmp_path / "f.db")
    shutil.copy(demo_db, db)
    con = sqlite3.connect(db)
    con.execute("INSERT INTO channels (workspace_id, platform, handle, name, created_at, "
                "updated_at) VALUES (1, 'facebook', 'sidan', 'Sidan', 0, 0)")
    page = con.execute("SELECT MAX(id) FROM channels").fetchone()[0]
    con.execute("INSERT INTO channel_metrics (channel_id, taken_at, followers) VALUES (?, ?, ?)",
                (page, local_midnight(date(2026, 10, 15)) + 3600, 216_436_120))
    con.commit()
    since, until = date(2026, 10, 1), date(2026, 11, 1)
    rep = report(db, "--since", str(since), "--until", str(until), "--compare", "previous")
    # The demo's own channels alone, from the unchanged copy's raw counts.
    demo = Expected(demo_db, since, until)
    own = [c for c, v in demo.channels.items() if not v[2]]
    growth = sum(demo.followers_at(c, demo.t1) - demo.followers_at(c, demo.t0) for c in own)
    assert rep["total"]["follower_growth"] == growth
    assert abs(growth) < 100_000  # the demo's seven channels, not the page's 216 million
    assert rep["total"]["followers_end"] == sum(demo.followers_at(c, demo.t1) for c in own)
    rows = {r["key"]: r for r in report(db, "--since", str(since), "--until", str(until))["rows"]}
    assert rows[page]["follower_growth"] is None and rows[page]["follower_growth_pct"] is None
    # Its one count still says how many follow it: ER by followers has it.
    assert rows[page]["posts"] == 0 and rows[page]["er_followers"] == 0
    top = report(db, "--since", str(since), "--until", str(until), "--toplist", "follower_growth")
    assert top["rows"][-1]["key"] == page and top["rows"][-1]["value"] is None


def need(path):
    """Real files live in ../shared/data, which a lone clone lacks."""
    if not os.path.exists(path):
        if os.environ.get("CI"):
            pytest.fail(f"{path} is missing and CI is set")
        pytest.skip(f"{path} is absent (real-data fixtures come from ../shared/data)")
    return path


def test_a_page_file_count_is_no_growth(tmp_path):
    """Two Graph files: a page counted on 20 April and 20 May, and a
    second channel (the feed's) whose only count, from the same page file,
    is of 10 May. May's growth is the first page's (its two counts are
    equal: 0), not the second channel's whole count."""
    graph = os.path.join(SHARED_DATA, "meta", "graph")
    page = need(os.path.join(graph, "pages_single_fields_page.json"))
    feed = need(os.path.join(graph, "posts_feeds_default_fields_p1.json"))
    db = str(tmp_path / "g.db")
    imp = lambda *a: run_kanal("import", "--db", db, *a, cwd=tmp_path)
    imp("--taken-at", "2024-04-20T12:00:00Z", page)
    imp("--taken-at", "2024-05-20T12:00:00Z", page)
    imp(feed)
    con = sqlite3.connect(db)
    (first, fans), = con.execute("SELECT DISTINCT channel_id, followers FROM channel_metrics")
    (other,), = con.execute("SELECT id FROM channels WHERE id <> ?", (first,))
    imp("--channel", str(other), "--taken-at", "2024-05-10T12:00:00Z", page)
    assert fans == json.load(open(page))["fan_count"]
    ws = con.execute("SELECT slug FROM workspaces").fetchone()[0]
    rep = json.loads(run_kanal("report", "--db", db, "--workspace", ws, "--format", "json",
                               "--since", "2024-05-01", "--until", "2024-06-01").stdout)
    rows = {r["key"]: r for r in rep["rows"]}
    assert rows[first]["follower_growth"] == 0 and rows[other]["follower_growth"] is None
    assert rep["total"]["follower_growth"] == 0
    assert rep["total"]["followers_start"] == rep["total"]["followers_end"] == fans
    html = run_kanal("report", "--db", db, "--workspace", ws, "--html", "2024-05").stdout
    assert 'Follower growth</div><div class="v">0</div>' in html


def test_previous_growth_before_the_first_count(demo_db):
    """A previous period that starts before the first follower count grows
    from that first count (docs/metrics.md), not from nothing."""
    rep = report(demo_db, "--since", "2026-07-10", "--until", "2026-08-10", "--by", "none",
                 "--compare", "previous")
    con = sqlite3.connect(demo_db)
    t0, t1 = local_midnight(date(2026, 6, 9)), local_midnight(date(2026, 7, 10))
    assert con.execute("SELECT MIN(taken_at) FROM channel_metrics").fetchone()[0] > t0
    want = 0
    for (ch,) in con.execute("SELECT id FROM channels WHERE is_peer = 0"):
        counts = con.execute("SELECT followers FROM channel_metrics WHERE channel_id = ? AND "
                             "taken_at < ? ORDER BY taken_at", (ch, t1)).fetchall()
        want += counts[-1][0] - counts[0][0]
    assert rep["previous"]["follower_growth"] == want
    assert abs(want) < 10_000  # five days of the demo's channels, not their whole audience


def test_numbers_no_post_reports_are_missing_not_zero(demo_db):
    """X, LinkedIn and the Finnish page report no saves, most channels no
    video views: their sums are null in JSON and empty in CSV, not 0."""
    since, until = "2026-09-01", "2026-10-01"
    exp = Expected(demo_db, date(2026, 9, 1), date(2026, 10, 1))
    rows = {r["key"]: r for r in report(demo_db, "--since", since, "--until", until)["rows"]}
    out = run_kanal("report", "--db", demo_db, "--workspace", "pensionsverket", "--format", "csv",
                    "--since", since, "--until", until).stdout
    cells = list(csv.DictReader(out.splitlines()))
    missing = {"saves": 0, "video_views": 0}
    for ch, row in rows.items():
        posts = [p for p in exp.posts if p["ch"] == ch]
        assert posts, ch
        for name, i in [("saves", 5), ("video_views", 7)]:
            reported = [p["m"][i] for p in posts if p["m"][i] is not None]
            line = next(c for c in cells if c["label"] == row["label"])
            if reported:
                assert row[name] == sum(reported) and line[name] == str(sum(reported))
            else:
                assert row[name] is None and line[name] == "", (ch, name, row[name])
                missing[name] += 1
    assert missing["saves"] >= 2 and missing["video_views"] >= 2, missing


def test_previous_period_for_every_row_in_table_and_csv(demo_db):
    """`--compare previous` shows each row's previous figures and change in
    the table and in CSV too, not only the total's: the figures of the same
    days before, computed here from the stored rows."""
    now = Expected(demo_db, date(2026, 10, 1), date(2026, 11, 1))
    before = Expected(demo_db, date(2026, 8, 31), date(2026, 10, 1))  # October's 31 days before
    want_now, want_prev = now.by_channel(), before.by_channel()
    want_now[None], want_prev[None] = now.total(), before.total()
    # Which label is which channel: the JSON report says (a name alone may
    # be shared by a page on two platforms).
    label = {r["key"]: r["label"] for r in report(
        demo_db, "--since", "2026-10-01", "--until", "2026-11-01", "--by", "channel")["rows"]}
    assert set(label) == {c for c, v in now.channels.items() if not v[2]}
    label[None] = "total"
    assert len(set(label.values())) == len(label) == 8  # 7 own channels and the total
    assert any(want_prev[c]["posts"] for c in label), "the period before must have posts"

    def change(c, k):
        n, p = want_now[c][k], want_prev[c][k]
        return None if n is None or p is None or p == 0 else (n - p) / p

    args = ["report", "--db", demo_db, "--workspace", "pensionsverket", "--since", "2026-10-01",
            "--until", "2026-11-01", "--by", "channel", "--compare", "previous"]
    got = {r["label"]: r for r in csv.DictReader(
        run_kanal(*args, "--format", "csv").stdout.splitlines())}
    assert set(got) == set(label.values())
    for c, name in label.items():
        for k in ("posts", "reach", "interactions", "er_reach", "ctr", "response_rate"):
            for col, want in ((k, want_now[c][k]), (f"previous_{k}", want_prev[c][k]),
                              (f"change_{k}", change(c, k))):
                cell = got[name][col]
                if want is None:
                    assert cell == "", (name, col, cell)
                else:
                    assert float(cell) == pytest.approx(want, rel=1e-5, abs=1e-9), (name, col)

    # The table: under each row, "previous period" then "change" (posts,
    # reach and interactions are the first three columns).
    lines = run_kanal(*args).stdout.splitlines()
    heads = {}
    for i, line in enumerate(lines):
        name = line[:len(line) - 9 * 11].rstrip()
        if name in label.values():
            heads[name] = i
    assert set(heads) == set(label.values())
    fmt = lambda v: "-" if v is None else f"{v:.0f}"
    pct = lambda v: "-" if v is None else f"{v * 100:+.1f}%"
    for c, name in label.items():
        prev_line, change_line = lines[heads[name] + 1].split(), lines[heads[name] + 2].split()
        assert prev_line[:2] == ["previous", "period"] and change_line[0] == "change", name
        assert prev_line[2:5] == [fmt(want_prev[c][k]) for k in
                                  ("posts", "reach", "interactions")], (name, prev_line)
        assert change_line[1:4] == [pct(change(c, k)) for k in
                                    ("posts", "reach", "interactions")], (name, change_line)


def test_report_formats_and_errors(demo_db):
    csv = run_kanal("report", "--db", demo_db, "--workspace", "pensionsverket", "--format", "csv",
                    "--since", "2026-10-01", "--until", "2026-11-01").stdout.splitlines()
    assert csv[0].startswith("label,posts,posts_per_week,reach")
    assert csv[-1].startswith("total,") and len(csv) == 9  # header, 7 own channels, total
    table = run_kanal("report", "--db", demo_db, "--workspace", "pensionsverket",
                      "--since", "2026-10-01", "--until", "2026-11-01").stdout
    assert "Europe/Stockholm" in table and "total" in table
    for args, msg in [(["--since", "2026-13-01"], "since"), (["--by", "colour"], "by"),
                      (["--since", "2026-10-02", "--until", "2026-10-01"], "until"),
                      (["--since", "2000-01-01", "--until", "2026-01-01"], "at most")]:
        p = run_kanal("report", "--db", demo_db, "--workspace", "pensionsverket", *args,
                      check=False)
        assert p.returncode == 1 and msg in p.stderr, (args, p.stderr)
    p = run_kanal("report", "--db", demo_db, "--workspace", "nobody", check=False)
    assert p.returncode == 1 and "no workspace" in p.stderr


def test_api_on_both_backends(db_url, demo_db, tmp_path):
    run_kanal("demo", "--db", db_url, "--end", END, "--days", "120")
    exp = Expected(demo_db, date(2026, 9, 1), date(2026, 10, 1))  # same seed, same rows
    s = Server(db_url, str(tmp_path))
    try:
        c = s.client()
        assert c.login("demo@kanal.local", "kanal-demo-password").status == 201
        r = c.get("/api/v1/workspaces/1/analytics?since=2026-09-01&until=2026-10-01&by=platform")
        assert r.status == 200, r
        compare(r.json()["total"], exp.total(), "api total")
        assert {row["label"] for row in r.json()["rows"]} == {
            "facebook", "instagram", "x", "linkedin", "tiktok", "youtube"}
        ins = c.get("/api/v1/workspaces/1/analytics/insights?since=2026-07-01&until=2026-11-01")
        assert ins.status == 200 and ins.json()["posts"] > 100
        assert {l["feature"] for l in ins.json()["lifts"]} >= {
            "format", "theme", "weekday", "hour", "text length", "question", "calls to action",
            "emoji", "hashtags"}
        top = c.get("/api/v1/workspaces/1/analytics/toplist?since=2026-10-01&until=2026-11-01"
                    "&metric=er_followers")
        assert top.status == 200 and len(top.json()["rows"]) == 9
        values = [r["value"] for r in top.json()["rows"] if r["value"] is not None]
        assert values == sorted(values, reverse=True)
        assert c.get("/api/v1/workspaces/1/analytics/toplist?metric=likes").status == 400
        assert c.get("/api/v1/workspaces/1/campaigns/1/comparison").status == 200
        assert c.get("/api/v1/workspaces/1/campaigns/999/comparison").status == 404
        assert c.get("/api/v1/workspaces/1/analytics?by=colour").status == 400
        assert c.get("/api/v1/workspaces/1/analytics?since=yesterday").status == 400
        assert c.get("/api/v1/workspaces/1/analytics?foo=1").status == 400
    finally:
        code, log = s.stop()
    assert code == 0, log
    # The monthly report ranks top posts and compares rows in C: the same
    # rows give the same page on either backend.
    html = lambda db: run_kanal("report", "--db", db, "--workspace", "pensionsverket", "--html",
                                "2026-10").stdout
    assert html(db_url) == html(demo_db)


def test_insights_lifts_match_the_definition(demo_db):
    since, until = date(2026, 7, 1), date(2026, 11, 1)
    rep = report(demo_db, "--since", str(since), "--until", str(until), "--insights")
    con = sqlite3.connect(demo_db)
    t0, t1 = local_midnight(since), local_midnight(until)
    latest = {}
    for vid, *vals in con.execute(
            "SELECT variant_id, reach, reactions, comments, shares, saves FROM post_metrics "
            "ORDER BY variant_id, taken_at"):
        latest[vid] = vals
    posts = []
    for vid, at, fmt, body, peer in con.execute(
            "SELECT v.id, v.published_at, p.format, p.body, c.is_peer FROM post_variants v "
            "JOIN posts p ON p.id = v.post_id JOIN channels c ON c.id = v.channel_id"):
        m = latest.get(vid)
        if t0 <= at < t1 and not peer and m and m[0]:
            posts.append(dict(er=sum(x or 0 for x in m[1:]) / m[0], format=fmt, body=body,
                              weekday=datetime.fromtimestamp(at, TZ).weekday()))
    assert rep["posts"] == len(posts)
    lifts = {(l["feature"], l["value"]): l for l in rep["lifts"]}

    def check(key, has):
        a = [p["er"] for p in posts if has(p)]
        b = [p["er"] for p in posts if not has(p)]
        got = lifts[key]
        assert (got["posts"], got["other_posts"]) == (len(a), len(b)), key
        if len(a) < 10 or len(b) < 10:
            assert got["lift"] is None and got["note"] == "too few posts"
            return
        want = statistics.mean(a) / statistics.mean(b) - 1
        close(got["lift"], want, key)
        lo, hi = got["lift_ci95"]
        assert lo <= want <= hi and hi - lo > 0, (key, lo, want, hi)
    for fmt in ["photo", "video", "link", "status", "reel", "live"]:
        check(("format", fmt), lambda p, f=fmt: p["format"] == f)
    for i, day in enumerate(["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday",
                             "Sunday"]):
        check(("weekday", day), lambda p, i=i: p["weekday"] == i)
    check(("question", "asks a question"), lambda p: "?" in p["body"])
    # Same data, same interval: the bootstrap is seeded.
    again = report(demo_db, "--since", str(since), "--until", str(until), "--insights")
    assert again == rep


def test_toplist_ranks_own_and_peer_channels(demo_db):
    since, until = date(2026, 10, 1), date(2026, 11, 1)
    rep = report(demo_db, "--since", str(since), "--until", str(until), "--toplist",
                 "interactions", "--platform", "facebook")
    con = sqlite3.connect(demo_db)
    t0, t1 = local_midnight(since), local_midnight(until)
    latest = {}
    for vid, *vals in con.execute("SELECT variant_id, reactions, comments, shares, saves FROM "
                                  "post_metrics ORDER BY variant_id, taken_at"):
        latest[vid] = vals
    totals = defaultdict(int)
    names = {}
    for ch, name, peer in con.execute("SELECT id, name, is_peer FROM channels "
                                      "WHERE platform = 'facebook'"):
        names[ch] = (name, peer)
        totals[ch] = 0
    for vid, ch, at in con.execute("SELECT id, channel_id, published_at FROM post_variants"):
        if ch in names and t0 <= at < t1:
            totals[ch] += sum(x or 0 for x in latest.get(vid, []))
    want = sorted(totals, key=lambda c: (-totals[c], c))
    assert [r["key"] for r in rep["rows"]] == want
    assert [r["rank"] for r in rep["rows"]] == list(range(1, len(want) + 1))
    assert [r["value"] for r in rep["rows"]] == [totals[c] for c in want]
    assert {r["label"].split(" (")[0] for r in rep["rows"] if r["is_peer"]} == {
        "Socialverket", "Arbetsverket"}
    p = run_kanal("report", "--db", demo_db, "--workspace", "pensionsverket", "--toplist",
                  "likes", check=False)
    assert p.returncode == 1 and "metric" in p.stderr


def test_campaign_against_earlier_campaigns(demo_db, tmp_path):
    db = str(tmp_path / "c.db")
    import shutil
    shutil.copy(demo_db, db)
    con = sqlite3.connect(db)
    first_id, tag, first_end = con.execute(
        "SELECT id, target_tag_id, ends_at FROM campaigns WHERE name = 'Kolla din pension'").fetchone()
    # A later campaign on the same theme, holding five later pension posts.
    # No dates of its own: it starts when it was created, after the first.
    now = int(datetime.now().timestamp())
    con.execute("INSERT INTO campaigns (workspace_id, name, target_tag_id, created_at, updated_at) "
                "VALUES (1, 'Höstens pensionskoll', ?, ?, ?)", (tag, now, now))
    later_id = con.execute("SELECT MAX(id) FROM campaigns").fetchone()[0]
    chosen = [r[0] for r in con.execute(
        "SELECT p.id FROM posts p JOIN post_tags t ON t.post_id = p.id JOIN post_variants v "
        "ON v.post_id = p.id JOIN channels c ON c.id = v.channel_id WHERE t.tag_id = ? "
        "AND p.campaign_id IS NULL AND c.is_peer = 0 AND v.published_at > ? "
        "ORDER BY p.id LIMIT 5", (tag, first_end))]
    assert len(chosen) == 5
    con.execute(f"UPDATE posts SET campaign_id = ? WHERE id IN ({','.join('?' * 5)})",
                (later_id, *chosen))
    con.commit()

    def reach_of(campaign):
        return con.execute(
            "SELECT SUM(m.reach), COUNT(*) FROM posts p JOIN post_variants v ON v.post_id = p.id "
            "JOIN post_metrics m ON m.variant_id = v.id AND m.taken_at = (SELECT MAX(taken_at) "
            "FROM post_metrics WHERE variant_id = v.id) WHERE p.campaign_id = ?",
            (campaign,)).fetchone()
    rep = report(db, "--campaign", str(later_id))
    mine_reach, mine_posts = reach_of(later_id)
    assert rep["campaign"]["kpis"]["posts"] == mine_posts == 5
    assert rep["campaign"]["kpis"]["reach"] == mine_reach
    assert [e["id"] for e in rep["earlier"]] == [first_id]
    first_reach, first_posts = reach_of(first_id)
    assert rep["earlier"][0]["kpis"]["reach"] == first_reach
    assert rep["earlier"][0]["kpis"]["posts"] == first_posts
    close(rep["relative_to_earlier"]["reach"], mine_reach / first_reach - 1, "vs earlier")
    # The first campaign has nothing earlier to compare with.
    assert report(db, "--campaign", str(first_id))["earlier"] == []
    p = run_kanal("report", "--db", db, "--workspace", "pensionsverket", "--campaign", "999",
                  check=False)
    assert p.returncode == 1 and "no campaign 999" in p.stderr


def test_monthly_html_report(demo_db, tmp_path):
    import html.parser
    import shutil
    db = str(tmp_path / "h.db")
    shutil.copy(demo_db, db)
    con = sqlite3.connect(db)
    con.execute("UPDATE channels SET name = '<script>alert(1)</script> & Co' WHERE id = 1")
    con.commit()
    page = run_kanal("report", "--db", db, "--workspace", "pensionsverket", "--html",
                     "2026-10").stdout

    class Checker(html.parser.HTMLParser):
        def __init__(self):
            super().__init__()
            self.stack, self.tags, self.text = [], defaultdict(int), []
            self.void = {"meta", "br", "img", "rect", "path"}

        def handle_starttag(self, tag, attrs):
            self.tags[tag] += 1
            if tag not in self.void:
                self.stack.append(tag)

        def handle_startendtag(self, tag, attrs):
            self.tags[tag] += 1

        def handle_endtag(self, tag):
            if tag in self.void:
                return
            assert self.stack and self.stack[-1] == tag, (tag, self.stack[-5:])
            self.stack.pop()

        def handle_data(self, data):
            self.text.append(data)
    c = Checker()
    c.feed(page)
    c.close()
    assert c.stack == []  # every element closed, in order
    assert c.tags["script"] == 0 and c.tags["svg"] == 4 and c.tags["rect"] > 31
    text = "".join(c.text)
    assert "<script>alert(1)</script> & Co" in text  # shown, escaped, not run
    assert "http://" not in page and "https://" not in page.split("<ol")[0]  # self-contained
    want = Expected(db, date(2026, 10, 1), date(2026, 11, 1)).total()
    spaced = lambda n: f"{n:,}".replace(",", " ")
    assert f"Posts</div><div class=\"v\">{spaced(want['posts'])}<" in page
    assert f"Reach</div><div class=\"v\">{spaced(want['reach'])}<" in page
    assert f"{want['er_reach'] * 100:.2f} %" in page
    for bad in ["2026-13", "2026-1", "october"]:
        p = run_kanal("report", "--db", db, "--workspace", "pensionsverket", "--html", bad,
                      check=False)
        assert p.returncode == 1 and "2026-10" in p.stderr, bad


UCI = os.path.join(SHARED_DATA, "metrics", "uci-facebook-metrics.csv")


def uci_expected():
    """docs/metrics.md's post KPIs computed straight from the UCI file (its
    rows are a cosmetics brand's 2014 Facebook posts, month and hour only),
    by the columns docs/csv-mappings.md maps: like, comment, share, reach,
    impressions and consumers as clicks. An empty cell is "not reported"."""
    def num(v):
        return int(v) if v != "" else None
    groups = defaultdict(list)
    with open(UCI, newline="") as f:
        for row in csv.DictReader(f):
            m = dict(reach=num(row["Lifetime Post Total Reach"]),
                     impressions=num(row["Lifetime Post Total Impressions"]),
                     reactions=num(row["like"]), comments=num(row["comment"]),
                     shares=num(row["share"]), clicks=num(row["Lifetime Post Consumers"]))
            # The file's own total is comment + like + share where all are given.
            if None not in (m["reactions"], m["comments"], m["shares"]):
                assert int(row["Total Interactions"]) == (m["reactions"] + m["comments"]
                                                          + m["shares"])
            groups[None].append(m)
            groups["month", int(row["Post Month"])].append(m)
            groups["format", row["Type"].lower()].append(m)

    def kpis(ms):
        inter = lambda m: sum(m[k] or 0 for k in ("reactions", "comments", "shares"))
        k = dict(posts=len(ms), interactions=sum(inter(m) for m in ms))
        for n in ("reach", "impressions", "reactions", "comments", "shares", "clicks"):
            k[n] = sum(m[n] or 0 for m in ms)
        r = [m for m in ms if m["reach"] is not None]
        k["er_reach"] = sum(inter(m) for m in r) / sum(m["reach"] for m in r) if r else None
        i = [m for m in ms if m["impressions"] is not None]
        k["er_impressions"] = (sum(inter(m) for m in i) / sum(m["impressions"] for m in i)
                               if i else None)
        c = [m for m in ms if m["clicks"] is not None and m["impressions"]]
        k["ctr"] = sum(m["clicks"] for m in c) / sum(m["impressions"] for m in c) if c else None
        return k
    return {g: kpis(ms) for g, ms in groups.items()}


def test_uci_facebook_metrics_by_month_and_format(server, admin, tmp_path):
    want = uci_expected()
    assert want[None]["posts"] == 500
    ws = admin.post("/api/v1/workspaces",
                    {"name": "Cosmetics", "slug": "cosmetics", "timezone": "UTC"}).json()["id"]
    ch = admin.post(f"/api/v1/workspaces/{ws}/channels",
                    {"platform": "facebook", "handle": "brand", "name": "Brand"}).json()["id"]
    p = run_kanal("import", "--db", server.db_url, "--workspace", str(ws), "--channel", str(ch),
                  "--taken-at", "2015-01-15T00:00:00Z", UCI, cwd=tmp_path, check=False)
    assert p.returncode == 0, p.stderr
    base = f"/api/v1/workspaces/{ws}/analytics?since=2014-01-01&until=2015-01-01"
    r = admin.get(base + "&by=month")
    assert r.status == 200, r
    got = r.json()
    compare(got["total"], want[None], "total")
    months = {int(row["label"][5:7]): row for row in got["rows"]}
    want_months = {g[1]: k for g, k in want.items() if g and g[0] == "month"}
    assert set(months) == set(want_months)
    for m, k in want_months.items():
        compare(months[m], k, f"month {m}")
    rows = {row["label"]: row for row in admin.get(base + "&by=format").json()["rows"]}
    want_formats = {g[1]: k for g, k in want.items() if g and g[0] == "format"}
    assert set(rows) == set(want_formats) == {"photo", "status", "link", "video"}
    for f, k in want_formats.items():
        compare(rows[f], k, f"format {f}")


def figures(db):
    """message_stats' kept rows, to compare kept with built from scratch."""
    con = sqlite3.connect(db)
    days = sorted(con.execute("SELECT channel_id, day, incoming, answered, waits FROM message_days "
                              "WHERE incoming <> 0 OR answered <> 0"))
    posts = sorted(con.execute("SELECT id, msg_incoming, msg_answered, msg_waits FROM "
                               "post_variants WHERE msg_incoming <> 0"))
    con.close()
    return days, posts


def test_response_figures_follow_every_change(demo_db, tmp_path):
    """Response figures are kept as messages arrive (new, edited to another
    day, answered, answered earlier); what is kept equals what a rebuild from
    the messages gives, and a new time zone re-cuts the days."""
    db = str(tmp_path / "kept.db")
    with sqlite3.connect(demo_db) as src, sqlite3.connect(db) as dst:
        src.backup(dst)
    con = sqlite3.connect(db)
    ch, post = con.execute(
        "SELECT v.channel_id, v.platform_id FROM post_variants v JOIN channels c ON "
        "c.id = v.channel_id WHERE c.is_peer = 0 AND v.platform_id IS NOT NULL AND "
        "v.published_at >= ? ORDER BY v.id LIMIT 1", (local_midnight(date(2026, 10, 1)),)).fetchone()
    con.close()

    def imp(lines):
        f = tmp_path / "in.ndjson"
        f.write_text("\n".join(json.dumps(r) for r in lines) + "\n")
        run_kanal("import", "--db", db, "--workspace", "1", "--channel", str(ch),
                  str(f), cwd=tmp_path)

    # 21:30 UTC is 23:30 in Stockholm and 00:30 the next day in Helsinki.
    q1 = dict(type="message", id="t-q1", post_id=post, body="När kommer beslutet?",
              created_at="2026-10-14T21:30:00Z")
    q2 = dict(type="message", id="t-q2", body="Hej! Fråga om min ansökan",
              created_at="2026-10-15T08:00:00Z", kind="dm")
    r1 = dict(type="message", id="t-r1", parent_id="t-q1", is_own=True, body="Svar",
              created_at="2026-10-15T06:00:00Z", kind="reply")
    imp([q1, q2, r1])
    # Edited at the platform to another day; answered earlier by another reply.
    q1["created_at"] = "2026-10-13T21:30:00Z"
    r0 = dict(r1, id="t-r0", created_at="2026-10-14T05:00:00Z")
    imp([q1, q2, r0])
    # A reply again after the first one changes nothing.
    imp([dict(r1, id="t-r2", created_at="2026-10-20T12:00:00Z")])

    since, until = date(2026, 10, 1), date(2026, 11, 1)
    exp = Expected(db, since, until)
    for by in ["channel", "day", "week"]:
        rep = report(db, "--since", str(since), "--until", str(until), "--by", by)
        compare(rep["total"], exp.total(), f"{by} total")
    rows = {r["key"]: r for r in report(db, "--since", str(since), "--until", str(until),
                                        "--by", "channel")["rows"]}
    for c, k in exp.by_channel().items():
        compare(rows[c], k, f"channel {c}")
    days = report(db, "--since", str(since), "--until", str(until), "--by", "day")["rows"]
    want = defaultdict(int)
    for m in exp.messages:
        want[str(m["day"])] += 1
    assert len(want) > 1, want  # messages on several days, or the check proves nothing
    assert {r["label"]: r["incoming"] for r in days if r["incoming"]} == want

    # By format: the messages on each format's posts of the period, whenever they came.
    con = sqlite3.connect(db)
    by_format = defaultdict(lambda: [0, 0])
    for fmt, first in con.execute(
            "SELECT p.format, m.first_response_at FROM messages m JOIN post_variants v ON "
            "v.id = m.variant_id JOIN posts p ON p.id = v.post_id JOIN channels c ON "
            "c.id = v.channel_id WHERE m.is_own = 0 AND c.is_peer = 0 AND v.published_at >= ? "
            "AND v.published_at < ?", (exp.t0, exp.t1)):
        by_format[fmt][0] += 1
        by_format[fmt][1] += first is not None
    con.close()
    rep = report(db, "--since", str(since), "--until", str(until), "--by", "format")
    assert {r["label"]: [r["incoming"], r["answered"]] for r in rep["rows"]
            if r["incoming"]} == by_format

    kept = figures(db)
    assert kept[0] and kept[1]
    con = sqlite3.connect(db)
    con.execute("UPDATE workspaces SET stats_tz = NULL")
    con.commit()
    run_kanal("migrate", "--db", db)
    assert figures(db) == kept

    # Helsinki: the same messages on other local days, built again on the next report.
    con.execute("UPDATE workspaces SET timezone = 'Europe/Helsinki'")
    con.commit()
    con.close()
    hel = ZoneInfo("Europe/Helsinki")
    rep = report(db, "--since", str(since), "--until", str(until), "--by", "day")
    assert rep["timezone"] == "Europe/Helsinki"
    t0 = int(datetime(2026, 10, 1, tzinfo=hel).timestamp())
    t1 = int(datetime(2026, 11, 1, tzinfo=hel).timestamp())
    con = sqlite3.connect(db)
    want = defaultdict(int)
    for (t,) in con.execute("SELECT m.created_at FROM messages m JOIN channels c ON "
                            "c.id = m.channel_id WHERE m.is_own = 0 AND c.is_peer = 0"):
        if t0 <= t < t1:
            want[str(datetime.fromtimestamp(t, hel).date())] += 1
    assert {r["label"]: r["incoming"] for r in rep["rows"] if r["incoming"]} == want
    assert con.execute("SELECT stats_tz FROM workspaces").fetchone()[0] == "Europe/Helsinki"
    con.close()


def test_insight_intervals_match_a_plain_bootstrap(demo_db, tmp_path):
    """With hundreds of posts on a side, kanal draws a resample's mean from
    its normal law instead of drawing every post (docs/metrics.md); its
    interval must agree with a plain percentile bootstrap done here."""
    import random
    rnd = random.Random(7)
    db = str(tmp_path / "many.db")
    with sqlite3.connect(demo_db) as src, sqlite3.connect(db) as dst:
        src.backup(dst)
    lines = []
    for i in range(1200):
        reach = rnd.randint(500, 20000)
        question = rnd.random() < 0.3
        er = rnd.lognormvariate(-3.2 + (0.25 if question else 0), 0.8)  # skewed, as ERs are
        lines.append(json.dumps({
            "type": "post", "platform": "facebook", "account_id": "boot", "account_name": "boot",
            "id": f"b{i}", "published_at": 1735776000 + i * 3600,  # from 2025-01-02
            "format": ["photo", "video", "link"][i % 3],
            "body": "Vad tycker du?" if question else "Nytt från oss.",
            "metrics": {"reach": reach, "reactions": int(er * reach)}}))
    f = tmp_path / "posts.ndjson"
    f.write_text("\n".join(lines) + "\n")
    run_kanal("import", "--db", db, "--workspace", "1", str(f), cwd=tmp_path)
    rep = report(db, "--since", "2025-01-01", "--until", "2025-03-01", "--insights")
    lifts = {(l["feature"], l["value"]): l for l in rep["lifts"]}
    con = sqlite3.connect(db)
    posts = [dict(er=r / reach, q="?" in body, fmt=fmt) for reach, r, body, fmt in con.execute(
        "SELECT v.m_reach, v.m_reactions, p.body, p.format FROM post_variants v "
        "JOIN posts p ON p.id = v.post_id WHERE v.platform_id LIKE 'b%'")]
    con.close()
    assert len(posts) == 1200

    def plain(a, b, n=2000):
        lifts = sorted(statistics.fmean(rnd.choices(a, k=len(a))) /
                       statistics.fmean(rnd.choices(b, k=len(b))) - 1 for _ in range(n))
        return lifts[int(0.025 * (n - 1))], lifts[int(0.975 * (n - 1))]

    for key, has in [(("question", "asks a question"), lambda p: p["q"]),
                     (("format", "photo"), lambda p: p["fmt"] == "photo")]:
        a = [p["er"] for p in posts if has(p)]
        b = [p["er"] for p in posts if not has(p)]
        assert min(len(a), len(b)) < 500 < max(len(a), len(b))  # both ways of drawing
        lo, hi = plain(a, b)
        got = lifts[key]["lift_ci95"]
        width = hi - lo
        assert abs(got[0] - lo) < 0.1 * width and abs(got[1] - hi) < 0.1 * width, (key, got, lo, hi)


def test_report_names_a_workspace_as_every_command_does(demo_db, tmp_path):
    """A --workspace of digits is an id, for report as for the rest: a
    slug of digits does not stand in for it (report once matched either,
    so "7" named the workspace with slug 7, or id 7, whichever came
    first)."""
    db = str(tmp_path / "two.db")
    shutil.copy(demo_db, db)
    con = sqlite3.connect(db)
    (ws,), = con.execute("SELECT id FROM workspaces WHERE slug = 'pensionsverket'")
    digits = str(ws + 100)
    con.execute("INSERT INTO workspaces (name, slug, created_at, updated_at) "
                "VALUES ('Digits', ?, 0, 0)", (digits,))
    con.commit()
    by_slug = report(db)
    by_id = json.loads(run_kanal("report", "--db", db, "--workspace", str(ws), "--format",
                                 "json").stdout)
    assert by_id == by_slug and by_slug["rows"]
    for cmd in (["report"], ["rule", "list"]):
        p = run_kanal(*cmd, "--db", db, "--workspace", digits, check=False)
        assert p.returncode == 1, (cmd, p.stderr)
        assert f"no workspace '{digits}'" in p.stderr, (cmd, p.stderr)


def test_a_command_not_told_a_workspace_takes_the_only_one(demo_db, tmp_path):
    """An organisation with one workspace need not name it; with none or
    several, the command says so and names them, and stores nothing."""
    db = str(tmp_path / "one.db")
    shutil.copy(demo_db, db)
    alone = run_kanal("report", "--db", db, "--format", "json").stdout
    assert json.loads(alone) == report(db)
    assert (run_kanal("rule", "list", "--db", db).stdout
            == run_kanal("rule", "list", "--db", db, "--workspace", "pensionsverket").stdout)
    con = sqlite3.connect(db)
    con.execute("INSERT INTO workspaces (name, slug, created_at, updated_at) "
                "VALUES ('Polisen Syd', 'polisen-syd', 0, 0)")
    con.commit()
    before = con.execute("SELECT COUNT(*) FROM posts").fetchone()
    for cmd in (["report"], ["rule", "list"], ["post", "add", "--body", "Hej"]):
        p = run_kanal(*cmd, "--db", db, check=False)
        assert (p.returncode, p.stderr) == (1, f"kanal: {' '.join(cmd[:2])}: there are 2 workspaces "
                                               "(pensionsverket, polisen-syd); say which with "
                                               "--workspace\n"), (cmd, p.stderr)
    assert con.execute("SELECT COUNT(*) FROM posts").fetchone() == before
    empty = str(tmp_path / "empty.db")
    run_kanal("migrate", "--db", empty)
    p = run_kanal("report", "--db", empty, check=False)
    assert p.returncode == 1 and "there is no workspace yet" in p.stderr, p.stderr
