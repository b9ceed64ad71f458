"""Deleting a channel or a workspace never takes stored posts or messages
with it: the API refuses with 409 and says what is stored; an empty one goes."""
import json

from conftest import run_kanal


def test_channel_and_workspace_with_content_are_kept(server, admin, tmp_path):
    ws = admin.post("/api/v1/workspaces", {"name": "Kvar", "slug": "kvar"}).json()["id"]
    make = lambda h: admin.post(f"/api/v1/workspaces/{ws}/channels",
                                {"platform": "facebook", "handle": h, "name": h.upper()}).json()["id"]
    posted, talked, empty = make("posted"), make("talked"), make("empty")
    r = admin.post(f"/api/v1/workspaces/{ws}/posts", {
        "body": "Stays", "variants": [{"channel_id": posted, "scheduled_at": "2036-03-02T08:00:00Z"}]})
    assert r.status == 201, r
    post = r.json()["id"]
    feed = tmp_path / "m.ndjson"
    feed.write_text("".join(json.dumps({"type": "message", "id": f"m{i}", "body": "Hej",
                                        "created_at": 1700000000 + i}) + "\n" for i in range(3)))
    p = run_kanal("import", "--db", server.db_url, "--workspace", str(ws), "--channel", str(talked),
                  "--format", "ndjson", str(feed), cwd=tmp_path, check=False)
    assert p.returncode == 0, p.stderr

    r = admin.delete(f"/api/v1/workspaces/{ws}/channels/{posted}")
    assert r.status == 409, r
    assert r.json()["error"]["message"] == (
        f"channel {posted} still holds 1 post and 0 messages; deleting it would delete them too, "
        "so kanal keeps it")
    r = admin.delete(f"/api/v1/workspaces/{ws}/channels/{talked}")
    assert r.status == 409, r
    assert "0 posts and 3 messages" in r.json()["error"]["message"]
    r = admin.delete(f"/api/v1/workspaces/{ws}")
    assert r.status == 409, r
    assert r.json()["error"]["message"].startswith(f"workspace {ws} still holds 1 post and 3 messages")
    # Nothing went: both channels, the post and the messages are all there.
    assert admin.get(f"/api/v1/workspaces/{ws}/channels/{posted}").status == 200
    assert admin.get(f"/api/v1/workspaces/{ws}/posts/{post}").status == 200
    assert len(admin.get(f"/api/v1/workspaces/{ws}/messages?channel={talked}").json()["items"]) == 3

    # Another workspace's request does not learn what the channel holds.
    other = admin.post("/api/v1/workspaces", {"name": "Annan", "slug": "annan"}).json()["id"]
    assert admin.delete(f"/api/v1/workspaces/{other}/channels/{posted}").status == 404
    assert admin.delete(f"/api/v1/workspaces/{other}").status == 200

    assert admin.delete(f"/api/v1/workspaces/{ws}/channels/{empty}").status == 200
    assert admin.get(f"/api/v1/workspaces/{ws}/channels/{empty}").status == 404
    assert admin.delete(f"/api/v1/workspaces/{ws}/posts/{post}").status == 200
    assert admin.delete(f"/api/v1/workspaces/{ws}/channels/{posted}").status == 200
