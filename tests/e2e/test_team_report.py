"""The response figures per team, on SQLite and PostgreSQL: messages routed
to two teams (and one to none), answered by the page within and after the
level and by phone; `/analytics?by=team` and `kanal report --by team` give
each team its time to first answer, share answered within the level and
answered elsewhere, and the rows add up to the figures the rest of the
reports give (the same figures, not a second definition of them)."""
from conftest import Server, run_kanal, migrated_with_users
from test_service_levels import (FRI_1500, MON_0810, MON_0840, MON_0930, PAGE, SECRET,
                                 change)


def test_response_figures_per_team(db_url, tmp_path):
    migrated_with_users(db_url)
    s = Server(db_url, str(tmp_path), extra_args=["--meta-app-secret", SECRET,
                                                 "--meta-verify-token", "v"])
    try:
        admin = s.client()
        assert admin.login("admin@example.org").status == 201
        ws = admin.post("/api/v1/workspaces", {"name": "Verket", "slug": "verket",
                                               "timezone": "Europe/Stockholm"}).json()["id"]
        api = f"/api/v1/workspaces/{ws}"
        admin.post(f"{api}/channels", {"platform": "facebook", "handle": "verket",
                                       "name": "Verket", "platform_id": PAGE})
        kund = admin.post(f"{api}/teams", {"name": "Kundservice"}).json()["id"]
        press = admin.post(f"{api}/teams", {"name": "Press"}).json()["id"]
        for team in (kund, press):
            r = admin.request("PUT", f"{api}/teams/{team}/service-levels/high",
                              {"first_answer_minutes": 120})
            assert r.status == 200, r
        for name, query, team in [("pension", "pension*", kund), ("press", "reporter*", press)]:
            r = admin.post(f"{api}/routing-rules", {"name": name, "conditions": {"query": query},
                                                    "actions": {"team_id": team,
                                                                "priority": "high"}})
            assert r.status == 201, r
        hook = lambda raw_h: s.client().request("POST", "/hooks/meta", raw=raw_h[0],
                                                headers=raw_h[1]).status
        assert hook(change("9001_1", "Var är min pension?", FRI_1500)) == 200
        assert hook(change("9001_2", "Pensionen kom inte", MON_0810, sender="Sven")) == 200
        assert hook(change("9001_3", "Reporter från SVT här", MON_0810, sender="Eva")) == 200
        assert hook(change("9001_7", "Tack!", MON_0810, sender="Ola")) == 200  # no team
        # The page answers 9001_2 at 08:40 (within) and 9001_1 at 09:30 (late).
        assert hook(change("9001_4", "Vi kollar!", MON_0840, sender_id=int(PAGE),
                           sender="Verket", parent="9001_2")) == 200
        assert hook(change("9001_5", "Den är på väg.", MON_0930, sender_id=int(PAGE),
                           sender="Verket", parent="9001_1")) == 200
        items = {m["platform_id"]: m for m in admin.get(f"{api}/messages").json()["items"]}
        assert items["9001_3"]["team_id"] == press and items["9001_7"]["team_id"] is None
        # The press answered the reporter by phone at 08:20.
        r = admin.post(f"{api}/messages/{items['9001_3']['id']}/answered-elsewhere",
                       {"via": "phone", "at": "2026-03-30T08:20:00+02:00"})
        assert r.status == 200, r

        period = "since=2026-03-27&until=2026-03-31"
        r = admin.get(f"{api}/analytics?{period}&by=team")
        assert r.status == 200, r
        rep = r.json()
        assert rep["by"] == "team"
        rows = {row["label"]: row for row in rep["rows"]}
        assert sorted(rows) == ["(no team)", "Kundservice", "Press"], rows
        k, p, none = rows["Kundservice"], rows["Press"], rows["(no team)"]
        assert (k["key"], p["key"], none["key"]) == (kund, press, 0)
        assert (k["incoming"], k["answered"], k["answered_elsewhere"], k["held_to_level"],
                k["answered_within_level"], k["within_level_rate"]) == (2, 2, 0, 2, 1, 0.5), k
        assert (p["incoming"], p["answered"], p["answered_elsewhere"], p["held_to_level"],
                p["answered_within_level"], p["within_level_rate"]) == (1, 1, 1, 1, 1, 1.0), p
        assert (none["incoming"], none["answered"], none["held_to_level"]) == (1, 0, 0), none
        # 10 working minutes by phone; Kundservice: 30 min and 2.5 h.
        assert abs(p["median_response_work_seconds"] - 600) <= 0.004 * 600, p
        assert abs(k["median_response_work_seconds"] - 5400) <= 0.004 * 9000, k
        # The rows add up to the report's total, which is the by=none total.
        total = admin.get(f"{api}/analytics?{period}").json()["total"]
        for f in ("incoming", "answered", "answered_elsewhere", "held_to_level",
                  "answered_within_level"):
            assert sum(row[f] for row in rows.values()) == total[f] == rep["total"][f], f
        # With the previous period, each team's row has its own.
        rep = admin.get(f"{api}/analytics?{period}&by=team&compare=previous").json()
        assert all(row["previous"]["incoming"] == 0 for row in rep["rows"]), rep["rows"]
        r = admin.get(f"{api}/analytics?{period}&by=teams")
        assert r.status == 400 and "team" in r.json()["error"]["message"], r
    finally:
        code, log = s.stop()
        assert code == 0, log

    out = run_kanal("report", "--db", db_url, "--workspace", "verket", "--since", "2026-03-27",
                    "--until", "2026-03-31", "--by", "team").stdout
    lines = out.splitlines()
    head = next(line for line in lines if "incoming" in line)
    assert "within lvl" in head and "elsewhere" in head and "reach" not in head, out
    press_line = next(line for line in lines if line.startswith("Press"))
    assert press_line.split()[1:3] == ["1", "1"] and "100" in press_line, out
    assert any(line.startswith("Kundservice") and "50" in line for line in lines), out
