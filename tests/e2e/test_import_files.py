"""`kanal import` of the files teams download from the platforms themselves
when they do not connect an account: TikTok's data download (JSON), TikTok
Studio's analytics CSV and LinkedIn's page analytics workbooks (.xls), on
SQLite and PostgreSQL: what is read is stored once however often the file is
imported, what is not read is counted in the summary, and bad rows are
rejected with where and why."""
import os
import shutil
import sqlite3
import subprocess

from conftest import run_kanal

FIX = os.path.join(os.path.dirname(__file__), "..", "fixtures", "ingest")


def imp(db_url, *args, cwd=None):
    return run_kanal("import", "--db", db_url, *args, check=False, cwd=cwd)


def rows(db_url, sql):
    """What is stored, SQLite or PostgreSQL, as tuples of text."""
    if db_url.startswith("postgresql://"):
        out = subprocess.run(["psql", db_url, "-AtF", "\t", "-c", sql], check=True,
                             capture_output=True, text=True).stdout
        return [tuple(line.split("\t")) for line in out.splitlines()]
    with sqlite3.connect(db_url) as con:
        return [tuple(str(v) for v in r) for r in con.execute(sql)]


def fixture(tmp_path, *parts, mtime=1710000000):
    dst = tmp_path / parts[-1]
    shutil.copy(os.path.join(FIX, *parts), dst)
    os.utime(dst, (mtime, mtime))
    return str(dst)


def test_tiktok_download(db_url, tmp_path):
    f = fixture(tmp_path, "tiktok", "user_data_tiktok.json")
    p = imp(db_url, f, cwd=tmp_path)
    assert "detected format tiktok" in p.stdout, p.stdout + p.stderr
    # Two bad videos are rejected with their JSON path and field: exit 3.
    assert p.returncode == 3, p.stderr
    assert "posts: 3 inserted, 0 updated, 0 unchanged, 0 rejected" in p.stdout, p.stdout
    assert "unreadable rows: 2 rejected" in p.stdout
    assert "metric snapshots: 2 inserted" in p.stdout
    assert "channel metrics: 1 inserted" in p.stdout
    # What is not read is said, with how many.
    assert "not read: 2 comments the account wrote under videos" in p.stdout
    assert "not read: 5 items of the account's own 'Activity' section" in p.stdout
    assert "not read: 1 items of the account's own 'Direct Messages' section" in p.stdout
    assert "not read: 1 items of the account's own 'App Settings' section" in p.stdout
    rej = (tmp_path / "import-rejects.tsv").read_text()
    assert "$.Video.Videos.VideoList[3]" in rej and "'Date'" in rej, rej
    assert "$.Video.Videos.VideoList[4]" in rej and "'Likes'" in rej, rej
    assert rows(db_url, "SELECT platform, handle, platform_id FROM channels") == [
        ("tiktok", "helsinginkaupunki", "helsinginkaupunki")]
    got = rows(db_url, "SELECT v.platform_id, v.published_at, m.reactions, m.taken_at "
                       "FROM post_variants v LEFT JOIN post_metrics m ON m.variant_id = v.id "
                       "ORDER BY v.published_at")
    assert [g[0] for g in got] == ["posted-2024-03-01T09:15:00Z", "7342123456789012345",
                                   "posted-2024-03-06T12:00:00Z"]
    assert got[0][2:] == ("1234", "1710000000") and got[1][2] == "87"
    # "N/A" likes are not reported: no snapshot, not a zero.
    assert got[2][2] in ("None", "")
    assert rows(db_url, "SELECT followers FROM channel_metrics") == [("3",)]
    # The same file again stores nothing new.
    p = imp(db_url, f, cwd=tmp_path)
    assert "posts: 0 inserted, 0 updated, 3 unchanged, 0 rejected" in p.stdout, p.stdout
    assert rows(db_url, "SELECT count(*) FROM post_metrics") == [("2",)]


def test_tiktok_analytics_csv(db_url, tmp_path):
    # The content export names its account in each video's link.
    content = fixture(tmp_path, "tiktok", "content.csv")
    p = imp(db_url, content, cwd=tmp_path)
    assert "detected format tiktok-csv" in p.stdout, p.stdout + p.stderr
    assert p.returncode == 3, p.stderr
    assert "posts: 3 inserted" in p.stdout and "unreadable rows: 3 rejected" in p.stdout
    rej = (tmp_path / "import-rejects.tsv").read_text()
    assert "content.csv\tline 6\tcolumn 'Total likes' is not a count" in rej, rej
    assert "content.csv\tline 7\tcolumn 'Video link'" in rej
    assert "content.csv\tline 8\tcolumn 'Post time'" in rej
    assert rows(db_url, "SELECT platform, handle FROM channels") == [
        ("tiktok", "helsinginkaupunki")]
    got = rows(db_url, "SELECT v.platform_id, m.reactions, m.comments, m.shares, m.video_views "
                       "FROM post_variants v JOIN post_metrics m ON m.variant_id = v.id "
                       "ORDER BY v.platform_id")
    assert got[0] == ("7341000000000000001", "1234", "56", "12", "18400")
    # An empty cell is not reported: NULL, not 0.
    assert got[1][0] == "7342123456789012345" and got[1][3] in ("None", "")
    # The daily exports do not name the account: they need --channel.
    overview = fixture(tmp_path, "tiktok", "overview.csv", mtime=1704153600)  # 2024-01-02
    p = imp(db_url, overview, cwd=tmp_path)
    assert p.returncode == 1 and "--channel" in p.stderr
    p = imp(db_url, "--channel", "1", overview, cwd=tmp_path)
    assert p.returncode == 3, p.stderr
    assert "channel metrics: 4 inserted" in p.stdout, p.stdout
    assert "not read: 4 days of the account's profile views, likes, comments and shares" in p.stdout
    followers = fixture(tmp_path, "tiktok", "followers.csv", mtime=1704240000)  # 2024-01-03
    p = imp(db_url, "--channel", "1", followers, cwd=tmp_path)
    assert p.returncode == 3 and "channel metrics: 0 inserted, 3 updated" in p.stdout, p.stdout
    # One row a day: the overview's views and the follower count merged;
    # "undefined" followers on December 30 stay unknown. December is 2023,
    # the year before the files' January; a day ends at the workspace's
    # midnight (Europe/Stockholm: 23:00 UTC in winter).
    zone = rows(db_url, "SELECT timezone FROM workspaces")[0][0]
    assert zone == "Europe/Stockholm"
    none = "" if db_url.startswith("postgresql") else "None"
    assert rows(db_url, "SELECT taken_at, followers, impressions FROM channel_metrics "
                        "ORDER BY taken_at") == [
        ("1703977200", none, "1441"), ("1704063600", "10", "2110"), ("1704150000", "9", "0"),
        ("1704236400", "9", "9902")]
    # Again: nothing new.
    p = imp(db_url, "--channel", "1", followers, overview, content, cwd=tmp_path)
    assert "inserted, 0 updated" in p.stdout
    assert " 1 inserted" not in p.stdout and " 3 inserted" not in p.stdout, p.stdout


def test_linkedin_page_workbooks(db_url, tmp_path):
    # The workbooks do not name the page: --channel, after a channel exists.
    content = fixture(tmp_path, "linkedin", "content.xls")
    p = imp(db_url, content, cwd=tmp_path)
    assert "detected format linkedin-xls" in p.stdout, p.stdout + p.stderr
    assert p.returncode == 1 and "--channel" in p.stderr
    nd = tmp_path / "page.ndjson"
    nd.write_text('{"type":"channel_metrics","platform":"linkedin","account_id":"12345",'
                  '"account_name":"helsingin-kaupunki","followers":7400,'
                  '"taken_at":"2024-03-10T00:00:00Z"}\n')
    assert imp(db_url, str(nd), cwd=tmp_path).returncode == 0
    p = imp(db_url, "--channel", "1", content, cwd=tmp_path)
    assert p.returncode == 3, p.stderr
    assert "posts: 3 inserted" in p.stdout and "channel metrics: 3 inserted" in p.stdout, p.stdout
    assert "unreadable rows: 4 rejected" in p.stdout
    rej = (tmp_path / "import-rejects.tsv").read_text()
    assert "content.xls\tsheet 'All posts', row 6\tcolumn 'Created date'" in rej, rej
    assert "content.xls\tsheet 'All posts', row 7\tcolumn 'Impressions'" in rej
    assert "content.xls\tsheet 'All posts', row 8\tcolumn 'Post link'" in rej
    assert "content.xls\tsheet 'Metrics', row 5\tcolumn 'Date'" in rej
    got = rows(db_url, "SELECT v.platform_id, v.published_at, m.impressions, m.clicks, "
                       "m.reactions, m.shares, m.video_views FROM post_variants v "
                       "JOIN post_metrics m ON m.variant_id = v.id ORDER BY v.published_at")
    none = "" if db_url.startswith("postgresql") else "None"
    # Dates are the workspace's days (Europe/Stockholm: 23:00 UTC the day before).
    assert got == [
        ("urn:li:activity:7169000000000000001", "1709247600", "4520", "231", "87", "12", none),
        ("urn:li:activity:7170000000000000002", "1709593200", "1234", "152", "45", none, none),
        ("urn:li:ugcPost:7171000000000000003", "1709852400", "12050", "410", "120", "9", "980")]
    assert rows(db_url, "SELECT taken_at, impressions, reach FROM channel_metrics "
                        "WHERE impressions IS NOT NULL ORDER BY taken_at") == [
        ("1709334000", "4300", "2100"), ("1709420400", "2950", "1710"),
        ("1709506800", "4105", "2288")]
    # The followers workbook holds daily gains and demographics: nothing
    # kanal keeps, each sheet's rows counted in the summary.
    followers = fixture(tmp_path, "linkedin", "followers.xls")
    p = imp(db_url, "--channel", "1", followers, cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert "not read: 3 rows of the sheet 'New followers'" in p.stdout, p.stdout
    assert "not read: 2 rows of the sheet 'Location'" in p.stdout
    # Again: nothing new.
    p = imp(db_url, "--channel", "1", content, cwd=tmp_path)
    assert "posts: 0 inserted, 0 updated, 3 unchanged" in p.stdout, p.stdout
    assert "channel metrics: 0 inserted, 0 updated, 3 unchanged" in p.stdout
