// The inbox's bulk mode in a real browser: a moderator ticks messages,
// confirms "Hide 2 messages", follows the progress and undoes it; and the
// count the desk asks to confirm for "every message the filters find" is
// the server's. Each step is read back through the API; axe-core on each
// state of the page.
import { test } from "node:test";
import assert from "node:assert/strict";
import { admin, base, noViolations, openDesk, useDesk, withPage } from "./harness.mjs";

useDesk();

test("a moderator hides ticked messages in bulk, follows it and undoes it", () =>
  withPage("bulk", async (page) => {
    await openDesk(page);
    await page.goto(base + "/#/1/inbox?sentiment=neg");
    await page.waitForSelector("#inbox li");
    assert.equal(await page.locator("input.tick").count(), 0);
    await page.check("#f-bulk");
    await page.waitForURL(/bulk=1/);
    await page.waitForSelector("#inbox li:has(form.answer) input.tick");
    await noViolations(page);
    assert.equal(await page.isDisabled("#bulk-ticked"), true);
    const lis = page.locator("#inbox li:has(form.answer)");
    const ids = [Number(await lis.nth(0).getAttribute("data-id")), Number(await lis.nth(1).getAttribute("data-id"))];
    await lis.nth(0).locator("input.tick").check();
    await lis.nth(1).locator("input.tick").check();
    await page.fill("#bulk-reason", "spamvåg");
    assert.equal(await page.textContent("#bulk-ticked"), "Hide the 2 ticked");
    await page.click("#bulk-ticked");
    await page.waitForSelector("#bulk-go");
    assert.equal(await page.textContent("#bulk-question"), "Hide 2 messages on their platforms?");
    assert.equal(await page.textContent("#bulk-go"), "Hide 2 messages");
    await noViolations(page);
    await page.click("#bulk-go");
    await page.waitForSelector("#bulk-progress");
    const id = Number(await page.getAttribute("#bulk-op", "data-id"));
    let op = (await admin("GET", `/workspaces/1/moderation/bulk/${id}`)).body;
    assert.equal(op.matched, 2);
    assert.equal(op.reason, "spamvåg");
    assert.deepEqual(op.items.map((i) => i.message_id).sort(), [...ids].sort());
    assert.ok(/^Hidden \d of 2: /.test(await page.textContent("#bulk-progress")));
    // One hide action per message, on its channel, for its platform id.
    for (const mid of ids) {
      const m = (await admin("GET", `/workspaces/1/messages/${mid}`)).body;
      const item = op.items.find((i) => i.message_id === mid);
      const acts = (await admin("GET", `/workspaces/1/channels/${m.channel_id}/actions`)).body.items;
      const a = acts.find((x) => x.id === item.action_id);
      assert.equal(a.kind, "hide");
      assert.equal(a.target, m.platform_id);
    }
    await noViolations(page);
    await page.click("#bulk-undo");
    await page.waitForFunction(() => /^Undone: /.test(document.querySelector("#bulk-progress")?.textContent ?? ""));
    op = (await admin("GET", `/workspaces/1/moderation/bulk/${id}`)).body;
    assert.ok(op.undone_at);
    // The demo's channels are not connected: the hides were still queued,
    // so undo cancelled them; none is left to do, none shown as hidden.
    for (const i of op.items) {
      assert.ok(i.state === "failed" || i.state === "done", JSON.stringify(i));
      if (i.state === "failed") assert.match(i.error, /cancelled: bulk operation \d+ was undone/);
    }
    for (const mid of ids)
      assert.notEqual((await admin("GET", `/workspaces/1/messages/${mid}`)).body.status, "hidden");
    assert.equal(await page.locator("#bulk-undo").count(), 0);
  }));

test("bulk mode by filter asks to confirm the server's count, and can be cancelled", () =>
  withPage("bulk-filter", async (page) => {
    await openDesk(page);
    await page.goto(base + "/#/1/inbox?sentiment=neg&bulk=1");
    await page.waitForSelector("#bulk-filter");
    await page.click("#bulk-filter");
    await page.waitForSelector("#bulk-confirm");
    const dry = (await admin("POST", "/workspaces/1/moderation/bulk", {
      action: "hide", filter: { own: "false", status: "open", sentiment: "neg" }, dry_run: true })).body;
    assert.ok(dry.matched > 0 && dry.limit === 500, JSON.stringify(dry));
    assert.equal(await page.textContent("#bulk-go"), `Hide ${dry.matched} messages`);
    await noViolations(page);
    const before = (await admin("GET", "/workspaces/1/moderation/bulk")).body.items.length;
    await page.click("#bulk-confirm button:not(#bulk-go)");
    await page.waitForSelector("#bulk-confirm", { state: "detached" });
    assert.equal((await admin("GET", "/workspaces/1/moderation/bulk")).body.items.length, before);
  }));

test("the dashboard shows how much the model agrees with the moderators, as the API says", () =>
  withPage("agreement", async (page) => {
    // A moderator's tag correction through the API is kept on the message.
    const m = (await admin("GET", "/workspaces/1/messages?own=false&limit=1")).body.items[0];
    const tag = (await admin("GET", "/workspaces/1/tags?limit=1")).body.items[0];
    const has = m.tag_ids.includes(tag.id);
    const r = await admin("PATCH", `/workspaces/1/messages/${m.id}`,
      has ? { remove_tag_ids: [tag.id] } : { add_tag_ids: [tag.id] });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.tag_ids.includes(tag.id), !has);
    const a = (await admin("GET", "/workspaces/1/learner/agreement?days=30")).body;
    await openDesk(page);
    await page.waitForSelector("#agreement");
    if (a.messages) {
      const pct = (x) => new Intl.NumberFormat("en-GB", { style: "percent", maximumFractionDigits: 1 }).format(x);
      assert.equal(await page.textContent('#agreement [data-kind="tags"]'),
        `Tags: ${pct(a.tags.agreement)} agreed (${a.tags.corrected} of ${a.messages} messages corrected)`);
      assert.equal(await page.textContent('#agreement [data-kind="sentiment"]'),
        `Sentiment: ${pct(a.sentiment.agreement)} agreed (${a.sentiment.corrected} of ${a.messages} messages corrected)`);
    } else {
      assert.equal(await page.textContent("#agreement"), "No message arrived in this time.");
    }
    assert.equal(await page.textContent("#agree-title"), "The model and the moderators, last 30 days");
    await noViolations(page);
  }));
