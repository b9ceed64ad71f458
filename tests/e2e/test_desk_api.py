"""The API routes the web desk's links, administration and analytics pages
needed (issue 23), on SQLite and PostgreSQL: editing and retiring a short
link (the redirect follows at once, a retired code answers 410), trying a
tag rule on the stored messages, and the monthly HTML report with its own
Content-Security-Policy."""
import base64
import hashlib
import re

from test_auth import seed_message
from test_links import hit, make


def test_edit_link_refills_utm_and_redirects_at_once(server, admin, workspace):
    api = f"/api/v1/workspaces/{workspace}"
    fb = make(admin, workspace, "channels", {"platform": "facebook", "handle": "k", "name": "K"})
    li = make(admin, workspace, "channels", {"platform": "linkedin", "handle": "k", "name": "K"})
    spring = make(admin, workspace, "campaigns", {"name": "Spring 2026"})
    link = make(admin, workspace, "links", {"url": "https://example.org/a",
                                            "channel_id": fb["id"], "campaign_id": spring["id"],
                                            "utm_term": "kept"})
    # Cached by the redirect before the edit.
    assert hit(server, link["short_path"])[1]["location"] == link["target_url"]

    r = admin.patch(f"{api}/links/{link['id']}", {"url": "https://example.org/b",
                                                 "channel_id": li["id"]})
    assert r.status == 200, r
    out = r.json()
    assert out["code"] == link["code"]
    # The new channel's preset replaces the old one's; the campaign and term stay.
    assert (out["utm_source"], out["utm_medium"]) == ("linkedin", "social")
    assert (out["utm_campaign"], out["utm_term"]) == ("spring-2026", "kept")
    assert out["target_url"].startswith("https://example.org/b?utm_source=linkedin")
    status, headers, _ = hit(server, link["short_path"])
    assert (status, headers["location"]) == (302, out["target_url"])

    # A campaign taken away takes its utm_campaign with it.
    r = admin.patch(f"{api}/links/{link['id']}", {"campaign_id": None})
    assert r.status == 200 and r.json()["utm_campaign"] == "" and r.json()["campaign_id"] is None

    # The code is what printed QR codes carry: it cannot change.
    r = admin.patch(f"{api}/links/{link['id']}", {"code": "other"})
    assert r.status == 400 and r.json()["error"]["field"] == "code"
    r = admin.patch(f"{api}/links/{link['id']}", {"url": "ftp://example.org"})
    assert r.status == 400 and r.json()["error"]["field"] == "url"
    r = admin.patch(f"{api}/links/{link['id']}", {"colour": "red"})
    assert r.status == 400 and r.json()["error"]["field"] == "colour"
    assert admin.patch(f"{api}/links/999999", {"url": "https://example.org"}).status == 404
    # Nothing the refused edits asked for was stored.
    assert admin.get(f"{api}/links/{link['id']}").json()["target_url"] == out["target_url"].replace(
        "&utm_campaign=spring-2026", "")

    audit = admin.get("/api/v1/audit?limit=50").json()["items"]
    assert [a["action"] for a in audit if a.get("entity") == "link"].count("update") == 2


def test_retire_and_restore(server, admin, as_role, workspace):
    api = f"/api/v1/workspaces/{workspace}"
    link = make(admin, workspace, "links", {"url": "https://example.org/poster"})
    assert hit(server, link["short_path"])[0] == 302  # now cached

    analyst = as_role("analyst")
    assert analyst.post(f"{api}/links/{link['id']}/retire").status == 403
    r = admin.post(f"{api}/links/{link['id']}/retire")
    assert r.status == 200, r
    assert r.json()["retired_at"]
    status, _, body = hit(server, link["short_path"])
    assert status == 410 and b"retired" in body
    ids = lambda q: [i["id"] for i in admin.get(f"{api}/links?{q}").json()["items"]]
    other = make(admin, workspace, "links", {"url": "https://example.org/other"})
    assert ids("retired=true") == [link["id"]]
    assert ids("retired=false") == [other["id"]]
    assert admin.get(f"{api}/links?retired=maybe").status == 400
    # The code stays taken while retired.
    r = admin.post(f"{api}/links", {"url": "https://example.org/x", "code": link["code"]})
    assert r.status == 409

    r = admin.post(f"{api}/links/{link['id']}/restore")
    assert r.status == 200 and r.json()["retired_at"] is None
    status, headers, _ = hit(server, link["short_path"])
    assert (status, headers["location"]) == (302, link["target_url"])
    assert admin.post(f"{api}/links/999999/retire").status == 404
    actions = [a["action"] for a in admin.get("/api/v1/audit?limit=50").json()["items"]
               if a.get("entity") == "link" and a.get("entity_id") == link["id"]]
    assert "retire" in actions and "restore" in actions


def test_tag_rule_test(server, admin, workspace):
    api = f"/api/v1/workspaces/{workspace}"
    ch = make(admin, workspace, "channels", {"platform": "facebook", "handle": "k", "name": "K"})
    bodies = ["Min pension kommer inte", "Pensionen är försenad igen", "Tack för hjälpen!",
              "När öppnar simhallen?"]
    ids = [seed_message(server, workspace, ch["id"], b, f"p{i}") for i, b in enumerate(bodies)]
    r = admin.post(f"{api}/tags/test", {"rule": "pension*"})
    assert r.status == 200, r
    out = r.json()
    assert (out["matched"], out["examined"], out["complete"]) == (2, 4, True)
    assert sorted(m["id"] for m in out["messages"]) == sorted(ids[:2])
    assert {m["body"] for m in out["messages"]} == set(bodies[:2])
    r = admin.post(f"{api}/tags/test", {"rule": "pension* AND NOT försenad"})
    assert [m["id"] for m in r.json()["messages"]] == [ids[0]]
    # Nothing was saved or tagged.
    assert admin.get(f"{api}/tags").json()["items"] == []

    r = admin.post(f"{api}/tags/test", {"rule": "(pension"})
    assert r.status == 400 and r.json()["error"]["field"] == "rule"
    assert "column" in r.json()["error"]["message"]
    r = admin.post(f"{api}/tags/test", {})
    assert r.status == 400 and r.json()["error"]["field"] == "rule"
    r = admin.post(f"{api}/tags/test", {"rule": "x", "limit": 3})
    assert r.status == 400 and r.json()["error"]["field"] == "limit"


def test_monthly_report_route(server, admin, as_role, workspace):
    api = f"/api/v1/workspaces/{workspace}"
    r = as_role("analyst").get(f"{api}/reports/monthly?month=2026-10")
    assert r.status == 200, r
    assert r.headers["content-type"].startswith("text/html")
    page = r.body
    assert "Test agency" in page and "2026-10" in page
    # Its one <style> is allowed by its hash; nothing may run.
    css = re.search(r"<style>(.*?)</style>", page, re.S).group(1)
    want = base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()
    csp = r.headers["content-security-policy"]
    assert f"style-src 'sha256-{want}'" in csp and "default-src 'none'" in csp
    assert "script-src" not in csp
    r = admin.get(f"{api}/reports/monthly?month=2026-13")
    assert r.status == 400 and r.json()["error"]["field"] == "month"
    r = admin.get(f"{api}/reports/monthly")
    assert r.status == 400 and "month" in r.json()["error"]["message"]
    assert admin.get("/api/v1/workspaces/9999/reports/monthly?month=2026-10").status == 404


def test_link_preview_stores_nothing(admin, workspace):
    api = f"/api/v1/workspaces/{workspace}"
    yt = make(admin, workspace, "channels", {"platform": "youtube", "handle": "k", "name": "K"})
    cp = make(admin, workspace, "campaigns", {"name": "Höst Kampanj"})
    r = admin.post(f"{api}/links/preview", {"url": "https://example.org/?utm_source=old",
                                            "channel_id": yt["id"], "campaign_id": cp["id"],
                                            "advocate": "Anna B"})
    assert r.status == 200, r
    out = r.json()
    assert (out["utm_source"], out["utm_medium"], out["utm_content"]) == ("youtube", "video", "anna-b")
    assert out["utm_campaign"] == "höst-kampanj"
    assert out["target_url"].startswith("https://example.org/?utm_source=youtube&utm_medium=video")
    assert len(out["warnings"]) == 1 and "already carries UTM" in out["warnings"][0]
    assert admin.get(f"{api}/links").json()["items"] == []
    r = admin.post(f"{api}/links/preview", {"url": "https://example.org", "channel_id": 99999})
    assert r.status == 400 and r.json()["error"]["field"] == "channel_id"
