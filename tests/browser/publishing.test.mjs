// The desk's crisis switch and notifications bell in a real browser (the
// harness: Debian's Chromium driving the built kanal on a demo database).
// What the desk does is read back through the API; every state shown runs
// axe-core and must show no violation.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  AUTHOR, admin, base, client, daysFromNow, noViolations, openDesk, submittedPost, useDesk, withPage,
} from "./harness.mjs";

useDesk();

const inHours = (h) => new Date(Date.now() + h * 3600e3).toISOString().replace(/\.\d{3}Z$/, "Z");

// The desk of another user, signed in through the API (no password form).
async function openAs(page, call) {
  const [name, value] = call.cookie.split("=");
  await page.context().addCookies([{ name, value, url: base }]);
  await page.goto(base + "/");
  await page.waitForURL(/#\/1\/dashboard/);
}

test("the crisis switch: paused from the desk, a banner for everyone, resumed with a choice", () =>
  withPage("crisis", async (page) => {
    // A post scheduled ahead, which the pause must hold.
    const post = await submittedPost("Sommarfest i parken", inHours(30));
    assert.equal((await admin("POST", `/workspaces/1/posts/${post.id}/approve`, {})).status, 200);
    const sch = await admin("POST", `/workspaces/1/posts/${post.id}/schedule`, {});
    assert.equal(sch.status, 200, JSON.stringify(sch.body));

    await openDesk(page);
    await page.click("#nav-calendar");
    await page.waitForSelector("#calendar-pause");
    assert.equal(await page.locator("#crisis-banner").count(), 0);
    // From the calendar: the workspace, with a reason and an end time.
    await page.click("#calendar-pause");
    await page.waitForSelector("#pause-dialog[open]");
    await noViolations(page);
    // A pause without a reason is not sent.
    await page.click("#pause-submit");
    assert.equal((await admin("GET", "/workspaces/1/publishing/pause")).body.paused, false);
    const reason = "Skottlossning i centrum: inga glada inlägg";
    await page.fill("#pause-reason", reason);
    await page.fill("#pause-until", daysFromNow(2, 12).toISOString().slice(0, 16));
    await page.click("#pause-submit");
    await page.waitForSelector("#crisis-banner");
    assert.match(await page.textContent("#crisis-done"), /paused/);

    // The API says paused, by whom, why and until when.
    const p = await admin("GET", "/workspaces/1/publishing/pause");
    assert.equal(p.body.paused, true);
    assert.equal(p.body.items.length, 1);
    assert.equal(p.body.items[0].reason, reason);
    assert.equal(p.body.items[0].channel_id, null);
    assert.ok(p.body.items[0].until, JSON.stringify(p.body));
    const banner = await page.textContent("#crisis-banner");
    assert.ok(banner.includes(reason), banner);
    assert.ok(banner.includes(p.body.items[0].paused_by_name), banner);
    assert.match(banner, /since/);
    assert.match(banner, /until/);
    assert.match(await page.textContent(".crisis-note"), /Paused/);
    await noViolations(page);

    // Every page shows it, and so does everyone else's desk (an author,
    // who may not resume).
    await page.click("#nav-inbox");
    await page.waitForURL(/#\/1\/inbox/);
    assert.ok((await page.textContent("#crisis-banner")).includes(reason));
    const author = await client(AUTHOR.email, AUTHOR.password);
    const other = await page.context().browser().newContext({ locale: "en-GB" });
    try {
      const theirs = await other.newPage();
      await openAs(theirs, author);
      await theirs.waitForSelector("#crisis-banner");
      assert.ok((await theirs.textContent("#crisis-banner")).includes(reason));
      assert.equal(await theirs.locator("#crisis-resume").count(), 0);
      assert.equal(await theirs.locator("#crisis-pause").count(), 0);
    } finally {
      await other.close();
    }

    // Resuming asks about the posts whose time passed: held for the desk.
    await page.click("#crisis-resume");
    await page.waitForSelector("#resume-dialog[open]");
    assert.equal(await page.isChecked("#resume-hold"), true);
    await page.check("#resume-reschedule");
    await page.waitForSelector("#resume-at");
    await noViolations(page);
    await page.check("#resume-publish_now");
    await page.click("#resume-submit");
    await page.waitForSelector("#crisis-banner", { state: "detached" });
    assert.match(await page.textContent("#crisis-done"), /resumed/);
    const after = await admin("GET", "/workspaces/1/publishing/pause");
    assert.equal(after.body.paused, false);
    assert.deepEqual(after.body.items, []);
    // The post scheduled ahead is still scheduled; the audit log has both.
    assert.equal((await admin("GET", `/workspaces/1/posts/${post.id}`)).body.status, "scheduled");
    const audit = await admin("GET", "/audit?workspace=1&entity=workspace&limit=20");
    assert.equal(audit.status, 200, JSON.stringify(audit.body));
    const actions = audit.body.items.map((i) => i.action);
    assert.ok(actions.includes("pause") && actions.includes("resume"), actions.join(","));
  }));

test("the crisis switch for chosen channels, from the frame", () =>
  withPage("crisis-channels", async (page) => {
    await openDesk(page);
    await page.click("#crisis-pause");
    await page.waitForSelector("#pause-dialog[open]");
    await page.fill("#pause-reason", "Bara X: kontot granskas");
    await page.check("#pause-some");
    const boxes = page.locator("#pause-dialog .channel-choice input[type=checkbox]");
    await boxes.first().waitFor();
    const channel = Number(await boxes.first().getAttribute("value"));
    await boxes.first().check();
    await page.click("#pause-submit");
    await page.waitForSelector("#crisis-banner");
    const p = await admin("GET", "/workspaces/1/publishing/pause");
    assert.deepEqual(p.body.items.map((i) => i.channel_id), [channel]);
    assert.ok((await page.textContent("#crisis-banner")).includes(p.body.items[0].channel));
    await page.click("#crisis-resume");
    await page.waitForSelector("#resume-dialog[open]");
    await page.click("#resume-submit"); // the default: hold the late ones
    await page.waitForSelector("#crisis-banner", { state: "detached" });
    assert.equal((await admin("GET", "/workspaces/1/publishing/pause")).body.paused, false);
  }));

test("notifications: a review request reaches the bell, opens its post and is marked read", () =>
  withPage("notifications", async (page) => {
    const before = (await admin("GET", "/notifications?unread=1")).body.unread;
    const one = await submittedPost("Granska mig, bell", inHours(50));
    await openDesk(page);
    await page.waitForSelector("#notify-count");
    assert.equal(Number(await page.textContent("#notify-count")), before + 1);
    // By keyboard: the button opens the list, Escape closes it and gives
    // the focus back.
    await page.focus("#notify-button");
    await page.keyboard.press("Enter");
    await page.waitForSelector("#notify-panel:not([hidden])");
    assert.equal(await page.getAttribute("#notify-button", "aria-expanded"), "true");
    const item = page.locator(`#notify-list li:has-text("Granska mig, bell")`);
    assert.match(await item.textContent(), /Review requested/);
    await noViolations(page);
    await page.keyboard.press("Escape");
    await page.waitForSelector("#notify-panel[hidden]", { state: "attached" });
    assert.equal(await page.evaluate(() => document.activeElement.id), "notify-button");

    // Marked read from the list: the API says so.
    await page.click("#notify-button");
    const id = Number(await item.getAttribute("data-id"));
    await item.locator("button.notify-read").click();
    await page.waitForSelector(`#notify-list li[data-id="${id}"].read`);
    let list = (await admin("GET", "/notifications")).body;
    assert.equal(list.items.find((n) => n.id === id).read, true);
    assert.equal(list.unread, before);

    // A second one arrives while the desk is open: a change of view reads
    // it; opening it goes to the post and marks it read.
    const two = await submittedPost("Granska mig också", inHours(52));
    await page.click("#nav-review");
    await page.waitForURL(/#\/1\/review/);
    await page.waitForFunction((n) => Number(document.querySelector("#notify-count")?.textContent) === n,
      before + 1);
    await page.click("#notify-button");
    await page.click(`#notify-list li:has-text("Granska mig också") a`);
    await page.waitForURL(new RegExp(`#/1/posts/${two.id}$`));
    await page.waitForFunction((n) => (Number(document.querySelector("#notify-count")?.textContent) || 0) === n,
      before);
    list = (await admin("GET", "/notifications")).body;
    const opened = list.items.find((n) => n.post_id === two.id && n.event === "review_requested");
    assert.equal(opened.read, true);

    // Mark all read: nothing unread left, the count gone.
    await submittedPost("Granska mig tredje", inHours(54));
    await page.click("#nav-calendar");
    await page.waitForSelector("#notify-count");
    await page.click("#notify-button");
    await page.click("#notify-read-all");
    await page.waitForSelector("#notify-count", { state: "detached" });
    list = (await admin("GET", "/notifications?unread=1")).body;
    assert.equal(list.unread, 0);
    assert.ok(list.items.length === 0 || !list.items.some((n) => n.post_id === one.id));
  }));
