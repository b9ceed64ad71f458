"""The tag learner on SQLite and PostgreSQL: moderators' tag corrections
(PATCH /messages/:id add_tag_ids) teach it, it stays silent until a tag has
had enough of them, then suggests the tag on new messages like the ones
corrected (GET /messages/:id and the conversation, "suggested_tags") without
ever setting it; a suggestion accepted is itself a correction, and
/learner/agreement counts how often its word agreed with the moderators'.
The messages are generated here (seeded), half to teach and half held out:
the agreement printed is measured on the held-out half."""
import random

from conftest import Server, migrated_with_users
from test_inbox import SECRET, PAGE, comment

TOPICS = {
    "utbetalning": ["pensionen", "utbetalningen", "premiepension", "garantipension",
                    "ålderspension", "tjänstepension"],
    "faktura": ["fakturan", "avgiften", "räkningen", "påminnelsen", "autogiro", "inkasso"],
    "inloggning": ["appen", "bankid", "lösenordet", "inloggningen", "mobilen", "kraschar"],
}
EVERYDAY = ("jag har inte fått min när kommer varför hej tack det är igen idag vecka hjälp "
            "snälla svara någon fråga om och med till ni mig väntat länge fel rätt måste kan "
            "ringa brev förra månad nu").split()


def generate(rnd, n):
    """n messages, each (text, set of topics): one topic mostly, now and
    then none; topic words among everyday words."""
    out = []
    names = sorted(TOPICS)
    for _ in range(n):
        k = rnd.random()
        topics = set() if k < 0.15 else {rnd.choice(names)}
        words = [rnd.choice(EVERYDAY) for _ in range(rnd.randint(4, 9))]
        for t in topics:
            for _ in range(rnd.randint(1, 2)):
                words.insert(rnd.randint(0, len(words)), rnd.choice(TOPICS[t]))
        out.append((" ".join(words).capitalize(), topics))
    return out


def test_tag_corrections_teach_suggestions(db_url, tmp_path):
    migrated_with_users(db_url)
    s = Server(db_url, str(tmp_path), extra_args=["--meta-app-secret", SECRET,
                                                 "--meta-verify-token", "v"])
    try:
        admin = s.client()
        assert admin.login("admin@example.org").status == 201
        mod = s.client()
        assert mod.login("moderator@example.org").status == 201
        ws = admin.post("/api/v1/workspaces", {"name": "Verket", "slug": "verket"}).json()["id"]
        api = f"/api/v1/workspaces/{ws}"
        admin.post(f"{api}/channels", {"platform": "facebook", "handle": "verket",
                                       "name": "Verket", "platform_id": PAGE})
        # Tags without rules: only the moderators (and the learner's
        # suggestions they accept) put them on.
        tag = {name: admin.post(f"{api}/tags", {"name": name}).json()["id"] for name in TOPICS}
        name_of = {v: k for k, v in tag.items()}

        rnd = random.Random(19)
        teach, held = generate(rnd, 60), generate(rnd, 30)
        for i, (text, _) in enumerate(teach + held):
            raw, h = comment(f"9001_{i}", text)
            assert s.client().request("POST", "/hooks/meta", raw=raw, headers=h).status == 200
        items = admin.get(f"{api}/messages?limit=100").json()["items"]
        by_pid = {m["platform_id"]: m for m in items}
        ids = [by_pid[f"9001_{i}"]["id"] for i in range(len(teach) + len(held))]
        teach_ids, held_ids = ids[:len(teach)], ids[len(teach):]

        def suggested(mid):
            m = mod.get(f"{api}/messages/{mid}").json()
            return {g["tag_id"] for g in m["suggested_tags"]}, m

        # Nothing learned: nothing suggested.
        assert all(suggested(mid)[0] == set() for mid in held_ids[:3])

        # The moderators tag the messages they teach with; the learner stays
        # silent until a tag has had 3 yes and 3 no (the no's come from the
        # messages corrected with the other tags).
        corrections = corrected = 0
        silent_checked = False
        for mid, (text, topics) in zip(teach_ids, teach):
            if not topics:
                continue
            r = mod.request("PATCH", f"{api}/messages/{mid}",
                            {"add_tag_ids": sorted(tag[t] for t in topics)})
            assert r.status == 200, r.json()
            corrections += len(topics)
            corrected += 1
            if corrected == 2:
                # Two messages corrected: no tag has enough yet.
                assert all(suggested(x)[0] == set() for x in held_ids), n
                silent_checked = True
        assert silent_checked

        # Held out: how often the learner's word agrees with the generator's
        # tags, per message and tag, beside saying nothing at all.
        agree = silent = pairs = tp = fp = fn = 0
        for mid, (text, topics) in zip(held_ids, held):
            got, m = suggested(mid)
            assert m["tag_ids"] == [], m  # suggestions are never set by themselves
            for g in m["suggested_tags"]:
                assert name_of[g["tag_id"]] == g["name"] and 0.5 <= g["p"] <= 1, g
            for name, tid in tag.items():
                said, truth = tid in got, name in topics
                pairs += 1
                agree += said == truth
                silent += not truth
                tp += said and truth
                fp += said and not truth
                fn += truth and not said
        print(f"held-out agreement {agree / pairs:.3f} (saying nothing {silent / pairs:.3f}), "
              f"precision {tp / max(tp + fp, 1):.3f}, recall {tp / max(tp + fn, 1):.3f}, "
              f"{pairs} message-tag pairs, {corrections} corrections")
        assert agree / pairs > silent / pairs
        assert tp > 0 and tp / (tp + fp) >= 0.7, (tp, fp)

        # The conversation shows the same suggestions.
        mid, (text, topics) = next((m, h) for m, h in zip(held_ids, held)
                                   if suggested(m)[0])
        got, m = suggested(mid)
        conv = mod.get(f"{api}/messages/{mid}/conversation").json()
        assert conv["message"]["suggested_tags"] == m["suggested_tags"]

        # Accepting a suggestion is a correction: the tag is on, it is no
        # longer suggested, and the agreement counts it as agreed.
        before = mod.get(f"{api}/learner/agreement").json()["tag_suggestions"]
        assert before["corrections"] == corrections, before
        accept = m["suggested_tags"][0]["tag_id"]
        r = mod.request("PATCH", f"{api}/messages/{mid}", {"add_tag_ids": [accept]})
        assert r.status == 200 and accept in r.json()["tag_ids"], r.json()
        after_got, _ = suggested(mid)
        assert accept not in after_got
        a = mod.get(f"{api}/learner/agreement?days=30").json()
        t = a["tag_suggestions"]
        assert t["corrections"] == corrections + 1, t
        assert t["judged"] == before["judged"] + 1 and t["agreed"] == before["agreed"] + 1, t
        assert t["accepted"] == before["accepted"] + 1, t
        assert t["agreement"] == t["agreed"] / t["judged"], t
        assert t["judged"] <= t["corrections"] and t["agreed"] <= t["judged"], t
        # Beside the sentiment figure, which is untouched.
        assert a["sentiment"] == {"corrected": 0, "agreement": 1.0}, a
        print(f"agreement while learning (each correction judged before it was learned): "
              f"{t['agreed']} of {t['judged']}")

        # A suggestion taken off ("not this one") is a correction too: it is
        # not suggested again, and the tag is not set.
        other = next(m for m in held_ids if suggested(m)[0])
        no = sorted(suggested(other)[0])[0]
        r = mod.request("PATCH", f"{api}/messages/{other}", {"remove_tag_ids": [no]})
        assert r.status == 200 and no not in r.json()["tag_ids"], r.json()
        assert no not in suggested(other)[0]
        t2 = mod.get(f"{api}/learner/agreement").json()["tag_suggestions"]
        assert t2["judged"] == t["judged"] + 1 and t2["agreed"] == t["agreed"], t2
    finally:
        code, log = s.stop()
        assert code == 0, log
