// The tag learner on the desk: a tag (no rule) taught through the API with
// moderators' corrections of the demo's messages (added on messages that
// have a word, declined on messages that have not), then suggested on a
// message it was not taught, in the conversation view: accepted with one
// click (itself a correction: the tag is on, the topic filter finds it, and
// it is no longer suggested), another declined in Swedish; the dashboard's
// agreement line says what the API says. axe-core on each state.
import { test } from "node:test";
import assert from "node:assert/strict";
import { useDesk, withPage, openDesk, noViolations, base, admin } from "./harness.mjs";

useDesk();

// A tag, and the demo's incoming messages split by a word that some of them
// have: taught yes on `teach` of them, no on as many without it; the rest
// with the word are left for the learner to suggest on.
let plan = null;
async function taught() {
  if (plan) return plan;
  const items = (await admin("GET", "/workspaces/1/messages?own=false&limit=200")).body.items;
  const words = (m) => new Set(m.body.toLowerCase().match(/\p{L}{5,}/gu) ?? []);
  const count = new Map();
  for (const m of items) for (const w of words(m)) count.set(w, (count.get(w) ?? 0) + 1);
  // The commonest long word that at most half the messages have.
  const [word] = [...count].filter(([, n]) => n >= 8 && n <= items.length / 2)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0] ?? [];
  assert.ok(word, "the demo has a word that some of its messages share");
  const withIt = items.filter((m) => words(m).has(word));
  const without = items.filter((m) => !words(m).has(word));
  const made = await admin("POST", "/workspaces/1/tags", { name: `om ${word}` });
  assert.equal(made.status, 201, JSON.stringify(made.body));
  const tag = made.body;
  const teach = Math.ceil(withIt.length / 2);
  for (let i = 0; i < teach; i++) {
    for (const [m, change] of [[withIt[i], { add_tag_ids: [tag.id] }],
      [without[i], { remove_tag_ids: [tag.id] }]]) {
      const r = await admin("PATCH", `/workspaces/1/messages/${m.id}`, change);
      assert.equal(r.status, 200, JSON.stringify(r.body));
    }
  }
  // Those it suggests the tag on, among the ones it was not taught.
  const suggested = [];
  for (const m of withIt.slice(teach)) {
    const got = (await admin("GET", `/workspaces/1/messages/${m.id}`)).body;
    assert.ok(!got.tag_ids.includes(tag.id), "the learner never sets a tag itself");
    if (got.suggested_tags.some((g) => g.tag_id === tag.id)) suggested.push(got);
  }
  assert.ok(suggested.length >= 2, `suggested on ${suggested.length} of ${withIt.length - teach} untaught messages with "${word}"`);
  plan = { tag, suggested };
  return plan;
}

async function openConversation(page, m) {
  await page.goto(`${base}/#/1/inbox?status=${m.status}&open=${m.id}`);
  await page.waitForSelector(`#conversation[data-id="${m.id}"]`);
}

test("a suggested tag is shown in the conversation and accepted with one click", () =>
  withPage("tag-suggest", async (page) => {
    const { tag, suggested: [m] } = await taught();
    const g = m.suggested_tags.find((x) => x.tag_id === tag.id);
    await openDesk(page);
    await openConversation(page, m);
    const row = `#suggested-tags li[data-tag="${tag.id}"]`;
    await page.waitForSelector(row);
    assert.equal(await page.textContent("#conv-suggest-title"), "Suggested tags");
    assert.equal(await page.textContent(`${row} .tag`), tag.name);
    const pct = new Intl.NumberFormat("en-GB", { style: "percent", maximumFractionDigits: 0 }).format(g.p);
    assert.equal(await page.textContent(`${row} .muted`), `${pct} likely`);
    await noViolations(page);

    await page.click(`${row} button.accept-tag`);
    await page.waitForFunction(() => /added/.test(document.querySelector(".suggested-tags .said")?.textContent ?? "") ||
      !document.querySelector(".suggested-tags"));
    await page.waitForSelector(row, { state: "detached" });
    const after = (await admin("GET", `/workspaces/1/messages/${m.id}`)).body;
    assert.ok(after.tag_ids.includes(tag.id), JSON.stringify(after));
    assert.ok(!after.suggested_tags.some((x) => x.tag_id === tag.id));
    // The topic filter finds it now, with the tag on its row.
    await page.goto(`${base}/#/1/inbox?status=any&tag=${tag.id}`);
    await page.waitForFunction(([id, name]) => [...document.querySelectorAll(`#inbox li[data-id="${id}"] .tag`)]
      .some((e) => e.textContent === name), [m.id, tag.name]);
    await noViolations(page);

    // The dashboard counts it, as the API does.
    const a = (await admin("GET", "/workspaces/1/learner/agreement?days=30")).body;
    const s = a.tag_suggestions;
    assert.ok(s.accepted >= 1 && s.judged >= 1, JSON.stringify(s));
    await page.goto(`${base}/#/1/dashboard`);
    await page.waitForSelector('#agreement-suggest');
    const share = new Intl.NumberFormat("en-GB", { style: "percent", maximumFractionDigits: 1 }).format(s.agreement);
    assert.equal(await page.textContent('#agreement-suggest'),
      `Suggested tags: ${share} agreed with the moderators' tag corrections (${s.agreed} of ${s.judged}; ${s.accepted} suggestions accepted)`);
    await noViolations(page);
  }));

test("a suggestion declined in Swedish is not suggested again and the tag stays off", () =>
  withPage("tag-decline", async (page) => {
    const { tag, suggested } = await taught();
    const m = suggested[suggested.length - 1];
    await openDesk(page);
    await openConversation(page, m);
    const row = `#suggested-tags li[data-tag="${tag.id}"]`;
    await page.waitForSelector(row);
    assert.equal(await page.textContent("#conv-suggest-title"), "Föreslagna taggar");
    assert.equal(await page.getAttribute(`${row} button.decline-tag`, "aria-label"), `Taggen ${tag.name} passar inte`);
    await noViolations(page);
    await page.click(`${row} button.decline-tag`);
    await page.waitForSelector(row, { state: "detached" });
    const after = (await admin("GET", `/workspaces/1/messages/${m.id}`)).body;
    assert.ok(!after.tag_ids.includes(tag.id));
    assert.ok(!after.suggested_tags.some((x) => x.tag_id === tag.id));
    await noViolations(page);
  }, { locale: "sv-SE" }));
