"""The JSON API's behaviour: CRUD, validation with clear errors, paging,
limits, workspace isolation. Refused input must leave nothing stored."""
import json

import pytest


def test_workspace_crud_and_validation(admin):
    r = admin.post("/api/v1/workspaces", {"name": "Polisen Syd", "slug": "polisen-syd",
                                          "timezone": "Europe/Stockholm"})
    assert r.status == 201, r
    ws = r.json()
    assert ws["timezone"] == "Europe/Stockholm" and ws["created_at"].endswith("Z")
    cases = [
        ({"name": "X", "slug": "polisen-syd"}, 409, None),
        ({"name": "X", "slug": "Has Spaces"}, 400, "slug"),
        ({"name": "X", "slug": "x", "timezone": "Mars/Olympus"}, 400, "timezone"),
        ({"name": "X", "slug": "x", "timezone": "../../etc/passwd"}, 400, "timezone"),
        ({"name": "   ", "slug": "x"}, 400, "name"),
        ({"slug": "x"}, 400, "name"),
        ({"name": 5, "slug": "x"}, 400, "name"),
        ({"name": "X", "slug": "x", "colour": "blue"}, 400, "colour"),
        ({"name": "X" * 201, "slug": "x"}, 400, "name"),
        ({"name": "X", "slug": "x", "id": 99}, 400, "id"),
    ]
    for body, status, field in cases:
        r = admin.post("/api/v1/workspaces", body)
        assert r.status == status, (body, r)
        err = r.json()["error"]
        assert err["message"]
        if field:
            assert err["field"] == field, (body, err)
    assert len(admin.get("/api/v1/workspaces").json()["items"]) == 1
    r = admin.patch(f"/api/v1/workspaces/{ws['id']}", {"name": "Polisregion Syd"})
    assert r.status == 200 and r.json()["name"] == "Polisregion Syd"
    assert r.json()["slug"] == "polisen-syd"
    assert admin.get(f"/api/v1/workspaces/{ws['id']}").json()["name"] == "Polisregion Syd"
    assert admin.delete(f"/api/v1/workspaces/{ws['id']}").status == 200
    assert admin.get(f"/api/v1/workspaces/{ws['id']}").status == 404


def test_bad_bodies_are_4xx_and_store_nothing(admin, workspace):
    path = f"/api/v1/workspaces/{workspace}/channels"
    good = {"platform": "facebook", "handle": "page", "name": "Page"}
    cases = [
        (dict(raw=b'{"platform": "facebook",', headers={"Content-Type": "application/json"}),
         400, "malformed_json"),
        (dict(raw=b'[1, 2]', headers={"Content-Type": "application/json"}), 400, "invalid"),
        (dict(raw=b'{"a": 1, "a": 2}', headers={"Content-Type": "application/json"}), 400,
         "malformed_json"),
        (dict(raw=json.dumps(good).encode(), headers={"Content-Type": "text/plain"}), 415,
         "unsupported_media_type"),
        (dict(raw=b"", headers={"Content-Type": "application/json"}), 400, "invalid"),
        (dict(raw=b'{"name": "\xff"}', headers={"Content-Type": "application/json"}), 400,
         "malformed_json"),
        (dict(body={**good, "platform": "myspace"}), 400, "invalid"),
        (dict(body={**good, "is_peer": "yes"}), 400, "invalid"),
        (dict(body={**good, "extra": None}), 400, "invalid"),
        (dict(body={**good, "name": "a\u0000b"}), 400, "malformed_json"),
        (dict(raw=b"{" + b'"x":' + b"1" * (2 << 20) + b"}",
              headers={"Content-Type": "application/json"}), 413, "limit"),
    ]
    for kw, status, code in cases:
        r = admin.request("POST", path, **kw)
        assert r.status == status, (kw.get("body"), r)
        assert r.json()["error"]["code"] == code, r
    assert admin.get(path).json()["items"] == []
    assert admin.post(path, good).status == 201
    r = admin.post(path, good)
    assert r.status == 409 and "already exists" in r.json()["error"]["message"]


def test_not_found_and_method_not_allowed(admin, workspace):
    assert admin.get("/api/v1/nothing").status == 404
    assert admin.get(f"/api/v1/workspaces/{workspace}/channels/999").status == 404
    assert admin.get("/api/v1/workspaces/999/channels").status == 404
    assert admin.get("/api/v1/workspaces/0/channels").status == 404
    assert admin.get("/api/v1/workspaces/01/channels").status == 404
    assert admin.get("/api/v1/workspaces/99999999999999999999/channels").status == 404
    r = admin.request("PUT", f"/api/v1/workspaces/{workspace}", {"name": "x"})
    assert r.status == 405


def test_workspaces_are_isolated(admin, workspace):
    other = admin.post("/api/v1/workspaces", {"name": "Other", "slug": "other"}).json()["id"]
    tag = admin.post(f"/api/v1/workspaces/{other}/tags", {"name": "secret"}).json()["id"]
    ch = admin.post(f"/api/v1/workspaces/{other}/channels",
                    {"platform": "x", "handle": "o", "name": "O"}).json()["id"]
    # Neither read nor referenced from the first workspace.
    assert admin.get(f"/api/v1/workspaces/{workspace}/tags/{tag}").status == 404
    assert admin.patch(f"/api/v1/workspaces/{workspace}/tags/{tag}", {"name": "x"}).status == 404
    assert admin.delete(f"/api/v1/workspaces/{workspace}/channels/{ch}").status == 404
    r = admin.post(f"/api/v1/workspaces/{workspace}/campaigns", {"name": "C", "target_tag_id": tag})
    assert r.status == 400 and r.json()["error"]["field"] == "target_tag_id"
    r = admin.post(f"/api/v1/workspaces/{workspace}/posts",
                   {"body": "x", "variants": [{"channel_id": ch}]})
    assert r.status == 400 and "variants[0]" in r.json()["error"]["message"]
    assert admin.get(f"/api/v1/workspaces/{workspace}/posts").json()["items"] == []


def test_campaign_dates(admin, workspace):
    path = f"/api/v1/workspaces/{workspace}/campaigns"
    r = admin.post(path, {"name": "Vår", "starts_at": "2026-03-01", "ends_at": "2026-02-01"})
    assert r.status == 400 and r.json()["error"]["field"] == "ends_at"
    r = admin.post(path, {"name": "Vår", "starts_at": "2026-03-01T08:00:00+01:00",
                          "ends_at": "2026-04-01"})
    assert r.status == 201 and r.json()["starts_at"] == "2026-03-01T07:00:00Z"
    cid = r.json()["id"]
    r = admin.patch(f"{path}/{cid}", {"ends_at": "2026-01-01"})
    assert r.status == 400
    assert admin.get(f"{path}/{cid}").json()["ends_at"] == "2026-04-01T00:00:00Z"
    r = admin.post(path, {"name": "X", "starts_at": "first of March"})
    assert r.status == 400 and "ISO 8601" in r.json()["error"]["message"]


def test_paging_walks_every_row_once(admin, workspace):
    path = f"/api/v1/workspaces/{workspace}/tags"
    names = {f"tema-{i:02}" for i in range(23)}
    for n in sorted(names):
        assert admin.post(path, {"name": n}).status == 201
    seen, cursor, pages = [], None, 0
    while True:
        r = admin.get(path + "?limit=5" + (f"&cursor={cursor}" if cursor else "")).json()
        seen += [t["name"] for t in r["items"]]
        pages += 1
        cursor = r["next_cursor"]
        if not cursor:
            break
    assert pages == 5 and len(seen) == 23 and set(seen) == names
    for bad in ["limit=0", "limit=201", "limit=ten", "cursor=abc", "kind=weird", "colour=red"]:
        r = admin.get(f"{path}?{bad}")
        assert r.status == 400, (bad, r)
    assert len(admin.get(path + "?kind=theme&limit=200").json()["items"]) == 23


def test_posts_with_variants_filters_and_audit(admin, workspace, server):
    ws = workspace
    fb = admin.post(f"/api/v1/workspaces/{ws}/channels",
                    {"platform": "facebook", "handle": "fb", "name": "FB"}).json()["id"]
    ig = admin.post(f"/api/v1/workspaces/{ws}/channels",
                    {"platform": "instagram", "handle": "ig", "name": "IG"}).json()["id"]
    tag = admin.post(f"/api/v1/workspaces/{ws}/tags", {"name": "pension"}).json()["id"]
    r = admin.post(f"/api/v1/workspaces/{ws}/posts", {
        "title": "Orange kuvert", "body": "Nu kommer pensionsbeskedet.", "format": "photo",
        "tag_ids": [tag], "link_url": "https://example.org/kuvert",
        "variants": [{"channel_id": fb, "scheduled_at": "2036-03-02T08:00:00Z"},
                     {"channel_id": ig, "body": "Kolla brevlådan! #pension",
                      "scheduled_at": "2036-03-01T10:00:00Z"}]})
    assert r.status == 201, r
    p = r.json()
    assert p["at"] == "2036-03-01T10:00:00Z"  # the earliest variant
    assert [v["channel_id"] for v in p["variants"]] == [fb, ig]
    assert p["variants"][1]["body"] == "Kolla brevlådan! #pension" and p["tag_ids"] == [tag]
    admin.post(f"/api/v1/workspaces/{ws}/posts",
               {"body": "Later", "variants": [{"channel_id": fb, "scheduled_at": "2036-05-01"}]})
    admin.post(f"/api/v1/workspaces/{ws}/posts", {"body": "Only a draft"})

    def bodies(q):
        r = admin.get(f"/api/v1/workspaces/{ws}/posts?{q}")
        assert r.status == 200, r
        return [x["body"] for x in r.json()["items"]]
    assert bodies(f"channel={ig}") == ["Nu kommer pensionsbeskedet."]
    assert bodies(f"channel={fb}") == ["Later", "Nu kommer pensionsbeskedet."]
    assert bodies(f"tag={tag}") == ["Nu kommer pensionsbeskedet."]
    assert bodies("since=2036-04-01&until=2036-06-01") == ["Later"]
    assert bodies("format=photo") == ["Nu kommer pensionsbeskedet."]
    assert len(bodies("status=draft")) == 3
    for bad in ["format=gif", "since=yesterday", "channel=-1", "sort=asc"]:
        assert admin.get(f"/api/v1/workspaces/{ws}/posts?{bad}").status == 400, bad
    r = admin.post(f"/api/v1/workspaces/{ws}/posts", {"body": "x", "link_url": "javascript:alert(1)"})
    assert r.status == 400 and r.json()["error"]["field"] == "link_url"
    r = admin.post(f"/api/v1/workspaces/{ws}/posts", {"body": "x", "variants": [{"body": "no channel"}]})
    assert r.status == 400
    r = admin.patch(f"/api/v1/workspaces/{ws}/posts/{p['id']}", {"title": "Nytt", "tag_ids": []})
    assert r.status == 200 and r.json()["title"] == "Nytt" and r.json()["tag_ids"] == []
    assert admin.delete(f"/api/v1/workspaces/{ws}/posts/{p['id']}").status == 200
    assert admin.get(f"/api/v1/workspaces/{ws}/posts/{p['id']}").status == 404


def test_message_moderation(admin, workspace, server):
    from test_auth import seed_message
    ch = admin.post(f"/api/v1/workspaces/{workspace}/channels",
                    {"platform": "facebook", "handle": "fb", "name": "FB"}).json()["id"]
    mid = seed_message(server, workspace, ch)
    path = f"/api/v1/workspaces/{workspace}/messages/{mid}"
    team = admin.post(f"/api/v1/workspaces/{workspace}/teams", {"name": "Kundservice"}).json()["id"]
    r = admin.patch(path, {"status": "assigned", "team_id": team,
                           "assigned_user_id": 1, "sentiment": "pos"})
    assert r.status == 200, r
    m = r.json()
    assert (m["status"], m["team_id"], m["sentiment"]) == ("assigned", team, "pos")
    for body in [{"body": "rewritten"}, {"status": "deleted"}, {"assigned_user_id": 999}]:
        assert admin.patch(path, body).status == 400, body
    assert admin.get(path).json()["body"] == "Hej!"
    lst = admin.get(f"/api/v1/workspaces/{workspace}/messages?team={team}&status=assigned")
    assert [x["id"] for x in lst.json()["items"]] == [mid]
    assert admin.get(f"/api/v1/workspaces/{workspace}/messages?status=open").json()["items"] == []
    # The inbox is the messages to the organisation; its own replies apart.
    ids = lambda q: [x["id"] for x in admin.get(
        f"/api/v1/workspaces/{workspace}/messages?{q}").json()["items"]]
    assert ids("own=false") == [mid] and ids("own=true") == []
    assert admin.get(f"/api/v1/workspaces/{workspace}/messages?own=yes").status == 400


def test_users_api(admin):
    r = admin.post("/api/v1/users", {"email": "press@example.org", "role": "moderator",
                                     "password": "long enough password"})
    assert r.status == 201 and r.json()["role"] == "moderator" and "password" not in r.body
    assert admin.post("/api/v1/users", {"email": "press@example.org", "role": "moderator",
                                        "password": "long enough password"}).status == 409
    assert admin.post("/api/v1/users", {"email": "x@example.org", "role": "god",
                                        "password": "long enough password"}).status == 400
    assert admin.post("/api/v1/users", {"email": "x@example.org", "role": "admin",
                                        "password": 12345678901}).status == 400
    emails = [u["email"] for u in admin.get("/api/v1/users").json()["items"]]
    assert "press@example.org" in emails and "x@example.org" not in emails


def test_analytics_of_a_new_workspace(admin, workspace):
    """A team's first look at the dashboard: no channels, nothing stored.
    Every report answers with empty rows (the ASan+UBSan run of this test
    caught qsort handed NULL for the empty group list)."""
    base = f"/api/v1/workspaces/{workspace}/analytics"
    for by in ["week", "day", "month", "channel", "platform", "campaign", "format", "tag"]:
        r = admin.get(f"{base}?since=2026-09-01&until=2026-11-01&by={by}&compare=previous")
        assert r.status == 200, (by, r)
        assert r.json()["rows"] == [] and r.json()["total"]["posts"] == 0, (by, r.json())
        assert "previous" in r.json(), by
    assert admin.get(f"{base}/insights?since=2026-07-01&until=2026-11-01").status == 200
    top = admin.get(f"{base}/toplist?since=2026-10-01&until=2026-11-01&metric=er_followers")
    assert top.status == 200 and top.json()["rows"] == []


def test_workspace_paths_take_the_slug_as_the_cli_does(admin, workspace):
    """/api/v1/workspaces/{ws}/... takes the slug as well as the id, for every
    resource, and an unknown slug is a 404 as an unknown id is."""
    by_id, by_slug = f"/api/v1/workspaces/{workspace}", "/api/v1/workspaces/test-agency"
    r = admin.get(by_slug)
    assert r.status == 200, r
    assert r.json()["id"] == workspace and r.json()["slug"] == "test-agency"
    ch = admin.post(f"{by_slug}/channels", {"platform": "x", "handle": "h", "name": "H"})
    assert ch.status == 201, ch
    ch = ch.json()["id"]
    assert admin.get(f"{by_id}/channels/{ch}").json()["name"] == "H"
    assert [c["id"] for c in admin.get(f"{by_slug}/channels").json()["items"]] == [ch]
    r = admin.patch(f"{by_slug}/channels/{ch}", {"name": "Renamed"})
    assert r.status == 200 and r.json()["name"] == "Renamed", r
    tag = admin.post(f"{by_slug}/tags", {"name": "t"})
    assert tag.status == 201, tag
    assert admin.get(f"{by_slug}/tags/{tag.json()['id']}").json()["name"] == "t"
    post = admin.post(f"{by_slug}/posts", {"body": "hello", "variants": [{"channel_id": ch}]})
    assert post.status == 201, post
    items = admin.get(f"{by_slug}/posts").json()["items"]
    assert [p["id"] for p in items] == [post.json()["id"]]
    assert admin.get(f"{by_slug}/analytics").status == 200
    # The other workspace's slug reaches only that one.
    other = admin.post("/api/v1/workspaces", {"name": "Other", "slug": "other"}).json()["id"]
    assert admin.get("/api/v1/workspaces/other/channels").json()["items"] == []
    assert admin.get(f"/api/v1/workspaces/other/channels/{ch}").status == 404
    assert admin.get("/api/v1/workspaces/other").json()["id"] == other
    for path in ("/api/v1/workspaces/no-such-slug", "/api/v1/workspaces/no-such-slug/channels",
                 "/api/v1/workspaces/Test-Agency/tags", "/api/v1/workspaces/no-such/posts"):
        r = admin.get(path)
        assert r.status == 404 and r.json()["error"]["code"] == "not_found", (path, r)
    r = admin.post("/api/v1/workspaces/no-such-slug/tags", {"name": "t"})
    assert r.status == 404, r
    # A workspace holding a post is kept (tests/e2e/test_entity_delete.py);
    # without it, it goes.
    assert admin.delete(by_slug).status == 409
    assert admin.delete(f"{by_slug}/posts/{post.json()['id']}").status == 200
    assert admin.delete(by_slug).status == 200
    assert admin.get(by_id).status == 404 and admin.get(by_slug).status == 404


def test_a_misspelt_parameter_is_refused_with_the_names_the_path_takes(admin, workspace):
    """A filter nobody reads would answer as if unfiltered; every GET refuses
    a parameter it does not take and names those it does."""
    ws = f"/api/v1/workspaces/{workspace}"
    takes = {
        f"{ws}/messages": "(channel, post_variant, kind, status, sentiment, own, tag, since, "
                          "until, team, assigned_user, lang, author, priority, sla, q, limit or "
                          "cursor)",
        f"{ws}/posts": "(channel, campaign, tag, status, format, since, until, limit or cursor)",
        f"{ws}/channels": "(platform, team_id, purpose, is_peer, limit or cursor)",
        f"{ws}/campaigns": "(limit or cursor)",
        f"{ws}/calendar": "(since, until, channel, campaign, status, per or shown)",
        f"{ws}/analytics": "(since, until, by, compare, channel or campaign)",
        f"{ws}/analytics/toplist": "(since, until, by, compare, channel, campaign, metric or "
                                   "platform)",
        f"{ws}/listen/items": "(source, query, sentiment, relevant, since, until, compare, limit "
                              "or cursor)",
        f"{ws}/learner/agreement": "(days)",
        f"{ws}/messages/1/conversation": "(history)",
        f"{ws}/listen/alerts/events": "(alert or limit)",
        f"{ws}/listen/sources": "(this takes none)",
        f"{ws}/routing-rules": "(this takes none)",
        f"{ws}/posts/1": "(this takes none)",
        f"{ws}/messages/1": "(this takes none)",
        f"{ws}/notify/deliveries": "(state)",
        f"{ws}/reports/monthly": "(month)",
        "/api/v1/notifications": "(unread or limit)",
        "/api/v1/users": "(this takes none)",
        "/api/v1/audit": "(workspace, user, action, entity, since, until, limit or cursor)",
    }
    for path, names in takes.items():
        r = admin.get(f"{path}?colour=red")
        assert r.status == 400, (path, r)
        err = r.json()["error"]
        assert (err["code"], err["field"]) == ("invalid", "colour"), (path, err)
        assert err["message"] == f"unknown parameter 'colour' {names}", (path, err)
    # What a path takes it still takes, the endpoint's own parameters too.
    for path in [f"{ws}/analytics/toplist?metric=interactions&platform=x",
                 f"{ws}/analytics/insights?since=2026-10-01&until=2026-11-01",
                 f"{ws}/learner/agreement?days=30", f"{ws}/listen/alerts/events?limit=5",
                 "/api/v1/notifications?unread=1&limit=5", f"{ws}/notify/deliveries?state=failed",
                 f"{ws}/listen/sources", f"{ws}/campaigns?limit=5"]:
        r = admin.get(path)
        assert r.status == 200, (path, r)
    # A value the filter does not know is refused with the values it does.
    r = admin.get(f"{ws}/messages?sentiment=positive")
    assert r.status == 400 and r.json()["error"] == {
        "code": "invalid", "field": "sentiment",
        "message": "parameter 'sentiment' has an unknown value 'positive' (pos, neu or neg)"}
