"""Language, sentiment and topic tags as the desk sees them: tag rules are
checked when written, a text is scored with the workspace's own learner,
and moderators' corrections move later scores, per workspace."""
import threading

from test_auth import seed_message


def preview(client, ws, text):
    r = client.post(f"/api/v1/workspaces/{ws}/sentiment", {"text": text})
    assert r.status == 200, r
    return r.json()


def test_tag_rules_are_checked_when_written(admin, workspace):
    path = f"/api/v1/workspaces/{workspace}/tags"
    r = admin.post(path, {"name": "pension", "rule": '("pension" OR premiepension*'})
    assert r.status == 400 and r.json()["error"]["field"] == "rule", r
    assert "column" in r.json()["error"]["message"]
    assert admin.get(path).json()["items"] == []
    ok = admin.post(path, {"name": "pension", "rule": '(pension* OR premiepension*) AND NOT bank'})
    assert ok.status == 201, ok
    tid = ok.json()["id"]
    r = admin.patch(f"{path}/{tid}", {"rule": "NEAR/3"})
    assert r.status == 400
    assert admin.get(f"{path}/{tid}").json()["rule"].startswith("(pension*")


def test_preview_tags_and_language(admin, workspace):
    path = f"/api/v1/workspaces/{workspace}/tags"
    pension = admin.post(path, {"name": "pension", "rule": "pension* AND NOT bank*"}).json()["id"]
    fraud = admin.post(path, {"name": "bedrägeri", "rule": '"falska sms" OR huijau*'}).json()["id"]
    p = preview(admin, workspace, "Min pension kom inte i tid, jag är så besviken")
    assert p["lang"] == "sv" and p["tag_ids"] == [pension]
    assert p["sentiment"] == "neg" and p["score"] < 0
    assert preview(admin, workspace, "Pensionen och banken")["tag_ids"] == []
    p = preview(admin, workspace, "Sain FALSKA SMS:et, onko tämä huijaus?")
    assert p["tag_ids"] == [fraud]
    assert preview(admin, workspace, "Thank you, this was really helpful!")["lang"] == "en"
    r = admin.post(f"/api/v1/workspaces/{workspace}/sentiment", {"text": 5})
    assert r.status == 400


def test_corrections_teach_this_workspace_only(server, admin, as_role, workspace):
    other = admin.post("/api/v1/workspaces", {"name": "Other", "slug": "other"}).json()["id"]
    ch = admin.post(f"/api/v1/workspaces/{workspace}/channels",
                    {"platform": "facebook", "handle": "fb", "name": "FB"}).json()["id"]
    # Team jargon the general lexicons cannot know: "rödlistad" is what this
    # desk's followers say about a case that went badly.
    probe = "Mitt ärende blev rödlistad igen"
    before = preview(admin, workspace, probe)
    assert before["corrections"] == 0
    words = ["idag", "igen", "som vanligt", "tyvärr", "nu", "i veckan", "på nytt", "ännu en gång",
             "förstås", "också"]
    ids = [seed_message(server, workspace, ch, f"Ärende {i} rödlistad, {words[i % 10]}", f"c{i}")
           for i in range(20)]
    moderator = as_role("moderator")
    scores = [before["score"]]
    for mid in ids:
        r = moderator.patch(f"/api/v1/workspaces/{workspace}/messages/{mid}", {"sentiment": "neg"})
        assert r.status == 200, r
        assert r.json()["sentiment"] == "neg" and r.json()["sentiment_score"] <= 0
        scores.append(preview(admin, workspace, probe)["score"])
    # Every consistent correction moves the score the same way, and enough of
    # them turn the label (the learner is slow on purpose: see text/learn.c).
    assert all(b < a for a, b in zip(scores, scores[1:])), scores
    after = preview(admin, workspace, probe)
    assert after["corrections"] == 20
    assert after["sentiment"] == "neg"
    untouched = preview(admin, other, probe)
    assert untouched["corrections"] == 0 and untouched["score"] == before["score"]
    analyst = as_role("analyst")
    r = analyst.patch(f"/api/v1/workspaces/{workspace}/messages/{ids[0]}", {"sentiment": "pos"})
    assert r.status == 403
    r = moderator.patch(f"/api/v1/workspaces/{workspace}/messages/{ids[0]}", {"sentiment": "happy"})
    assert r.status == 400
    assert preview(admin, workspace, probe)["corrections"] == 20


def test_concurrent_corrections_are_all_kept(server, admin, workspace):
    ch = admin.post(f"/api/v1/workspaces/{workspace}/channels",
                    {"platform": "x", "handle": "x", "name": "X"}).json()["id"]
    ids = [seed_message(server, workspace, ch, f"Svar nummer {i}", f"m{i}") for i in range(16)]
    errors = []

    def correct(chunk):
        for mid in chunk:
            r = admin.patch(f"/api/v1/workspaces/{workspace}/messages/{mid}", {"sentiment": "pos"})
            if r.status != 200:
                errors.append(r)
    threads = [threading.Thread(target=correct, args=(ids[i::4],)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert preview(admin, workspace, "Svar")["corrections"] == 16


def test_imported_texts_get_language_sentiment_and_tags(server, admin, workspace, tmp_path):
    """Every incoming post and message is read on intake: its language, its
    sentiment (messages) and the workspace's tag rules. A re-import changes
    nothing; an edited text is read again, but a moderator's label stays."""
    import json

    from conftest import run_kanal
    ws = workspace
    tags = f"/api/v1/workspaces/{ws}/tags"
    pension = admin.post(tags, {"name": "pension", "rule": "pension* AND NOT bank*"}).json()["id"]
    fraud = admin.post(tags, {"name": "fraud", "rule": '"falska sms" OR huijau*'}).json()["id"]
    admin.post(tags, {"name": "plain", "kind": "theme"})  # no rule: never matched
    ch = admin.post(f"/api/v1/workspaces/{ws}/channels",
                    {"platform": "facebook", "handle": "verket", "name": "Verket",
                     "platform_id": "77"}).json()["id"]

    def row(kind, id_, body, **more):
        r = {"type": kind, "platform": "facebook", "account_id": "77", "id": id_, "body": body}
        r.update(more)
        return json.dumps(r)

    def write(lines):
        f = tmp_path / "in.ndjson"
        f.write_text("\n".join(lines) + "\n")
        return str(f)

    rows = [
        row("post", "77_1", "Så fungerar pensionen, steg för steg", published_at="2026-01-05T09:00:00Z"),
        row("message", "c1", "Min pension kom inte i tid, jag är så besviken och arg",
            post_id="77_1", created_at="2026-01-05T10:00:00Z"),
        row("message", "c2", "Thank you, this was really helpful!", post_id="77_1",
            created_at="2026-01-05T10:05:00Z"),
        row("message", "c3", "Sain falska SMS, onko tämä huijaus?", post_id="77_1",
            created_at="2026-01-05T10:06:00Z", lang="fi"),
    ]
    path = write(rows)
    p = run_kanal("import", "--db", server.db_url, "--workspace", str(ws), path, cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    msgs = {m["platform_id"]: m for m in
            admin.get(f"/api/v1/workspaces/{ws}/messages?limit=200").json()["items"]}
    assert msgs["c1"]["lang"] == "sv" and msgs["c1"]["sentiment"] == "neg"
    assert msgs["c1"]["sentiment_score"] < 0 and msgs["c1"]["tag_ids"] == [pension]
    assert msgs["c2"]["lang"] == "en" and msgs["c2"]["sentiment"] == "pos"
    assert msgs["c2"]["tag_ids"] == []
    assert msgs["c3"]["lang"] == "fi" and msgs["c3"]["tag_ids"] == [fraud]
    posts = admin.get(f"/api/v1/workspaces/{ws}/posts?channel={ch}").json()["items"]
    assert [(p_["lang"], p_["tag_ids"]) for p_ in posts] == [("sv", [pension])]
    # The inbox by topic.
    by_tag = admin.get(f"/api/v1/workspaces/{ws}/messages?tag={pension}").json()["items"]
    assert [m["platform_id"] for m in by_tag] == ["c1"]
    assert admin.get(f"/api/v1/workspaces/{ws}/messages?tag=x").status == 400

    again = run_kanal("import", "--db", server.db_url, "--workspace", str(ws), path, cwd=tmp_path)
    assert "messages: 0 inserted, 0 updated, 3 unchanged" in again.stdout, again.stdout
    assert "posts: 0 inserted, 0 updated, 1 unchanged" in again.stdout, again.stdout

    # A moderator says c2 is neutral; then both c1 and c2 are edited at the platform.
    r = admin.patch(f"/api/v1/workspaces/{ws}/messages/{msgs['c2']['id']}", {"sentiment": "neu"})
    assert r.status == 200 and r.json()["sentiment"] == "neu", r
    rows[1] = row("message", "c1", "Tack, pensionen kom till slut och allt är bra nu!",
                  post_id="77_1", created_at="2026-01-05T10:00:00Z")
    rows[2] = row("message", "c2", "Thank you, this was wonderful and really helpful!",
                  post_id="77_1", created_at="2026-01-05T10:05:00Z")
    p = run_kanal("import", "--db", server.db_url, "--workspace", str(ws), write(rows),
                  cwd=tmp_path)
    assert "messages: 0 inserted, 2 updated, 1 unchanged" in p.stdout, p.stdout
    after = {m["platform_id"]: m for m in
             admin.get(f"/api/v1/workspaces/{ws}/messages?limit=200").json()["items"]}
    assert after["c1"]["sentiment"] == "pos" and after["c1"]["tag_ids"] == [pension]
    assert after["c2"]["sentiment"] == "neu"
