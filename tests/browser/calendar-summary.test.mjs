// The calendar on a busy week: above the API's threshold (300 posts in the
// window) the week comes as a summary, a busy hour shows its first post
// and "+N more" (decision 130), and opening that (by keyboard) lists all of
// the hour's posts, checked against the API; another week and back draws
// the same from the answer already in the page; the list view is
// summarised the same way; axe-core finds nothing.
import { test } from "node:test";
import assert from "node:assert/strict";
import { admin, base, noViolations, openDesk, useDesk, withPage } from "./harness.mjs";

useDesk();

const BUSY = 40, SPREAD = 290;
const iso = (ms) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");

test("a busy hour shows '+N more'; opening it lists the hour's posts", () =>
  withPage("calendar-summary", async (page) => {
    const made = await admin("POST", "/workspaces", { name: "Kalender", slug: "kalender" });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    const ws = made.body.id, path = `/workspaces/${ws}`;
    const ch = (await admin("POST", `${path}/channels`, { platform: "mastodon", handle: "k@m.se",
      name: "Kalenderkanal" })).body.id;
    // A Tuesday two weeks or more ahead: 40 posts in its 08:00 UTC hour,
    // then from Wednesday one every 20 minutes (three an hour).
    const now = new Date();
    const monday = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 14 -
      ((now.getUTCDay() + 6) % 7));
    const busyAt = monday + 86400e3 + 8 * 3600e3;
    const times = [...Array(BUSY)].map((_, i) => busyAt + i * 60e3)
      .concat([...Array(SPREAD)].map((_, i) => monday + 2 * 86400e3 + i * 20 * 60e3));
    for (const [n, at] of times.entries()) {
      const r = await admin("POST", `${path}/posts`, { title: `Inlägg ${n}`, body: `Text ${n}`,
        variants: [{ channel_id: ch, scheduled_at: iso(at) }] });
      assert.equal(r.status, 201, JSON.stringify(r.body));
    }
    // The hour's whole list, as the API answers it.
    const hour = await admin("GET", `${path}/calendar?since=${iso(busyAt)}&until=${iso(busyAt + 3600e3)}`);
    assert.equal(hour.body.items.length, BUSY);

    await openDesk(page);
    await page.goto(`${base}/#/${ws}/calendar?view=week&date=${iso(busyAt).slice(0, 10)}`);
    const more = page.locator(".fc-event.more-slot", { hasText: `+${BUSY - 1} more` });
    await more.waitFor();
    assert.equal(await more.count(), 1);
    // The week asks for one post an hour: the busy hour's first is drawn,
    // the rest are not, and an hour of three shows one and "+2 more".
    const drawn = (i) => page.locator(".fc-event", { hasText: new RegExp(`: ${hour.body.items[i].title}$`) });
    await drawn(0).waitFor();
    assert.equal(await drawn(1).count(), 0);
    assert.ok(await page.locator(".fc-event.more-slot", { hasText: "+2 more" }).count() > 0);
    await noViolations(page);
    // Next week and back: the week comes again from the answer the page
    // already has, drawn the same.
    const ready = () => page.evaluate(() => performance.getEntriesByName("kanal:ready:calendar").length);
    let marks = await ready();
    await page.click(".fc-next-button");
    await page.waitForFunction((n) => performance.getEntriesByName("kanal:ready:calendar").length > n, marks);
    assert.equal(await more.count(), 0);
    marks = await ready();
    await page.click(".fc-prev-button");
    await page.waitForFunction((n) => performance.getEntriesByName("kanal:ready:calendar").length > n, marks);
    await more.waitFor();
    await drawn(0).waitFor();
    assert.equal(await drawn(1).count(), 0);

    // By keyboard: Enter on "+39 more" opens the hour's posts.
    await more.focus();
    await page.keyboard.press("Enter");
    await page.waitForSelector("#calendar-slot[open] .slot-posts li");
    const listed = await page.$$eval("#calendar-slot .slot-posts li", (ls) => ls.map((l) => Number(l.dataset.variant)));
    assert.deepEqual(listed, hour.body.items.map((i) => i.variant_id));
    assert.match(await page.textContent("#calendar-slot"), new RegExp(`${BUSY} posts`));
    await noViolations(page);
    // Escape closes it and gives the focus back to the "+N more".
    await page.keyboard.press("Escape");
    await page.waitForSelector("#calendar-slot", { state: "detached" });
    assert.ok(await more.evaluate((el) => el === document.activeElement));

    // The list view (the same dates, asked for anew) is summarised too:
    // three of the busy hour's posts, one line each, then "+37 more", which
    // opens the same hour.
    marks = await ready();
    await page.click(".fc-listWeek-button");
    await page.waitForFunction((n) => performance.getEntriesByName("kanal:ready:calendar").length > n, marks);
    const listMore = page.locator(".fc-list-event.more-slot", { hasText: `+${BUSY - 3} more` });
    await listMore.waitFor();
    for (const i of [0, 1, 2]) await drawn(i).waitFor();
    assert.equal(await drawn(3).count(), 0);
    // A line for each post the API's summary of the list's week holds and
    // one for each "+N more" (the list had asked for every post).
    const asked = await page.evaluate(() => performance.getEntriesByType("resource")
      .map((e) => e.name).filter((n) => n.includes("/calendar?") && n.includes("shown=3")));
    assert.equal(asked.length, 1);
    const week = (await admin("GET", `${path}/calendar?${asked[0].split("calendar?")[1]}`)).body;
    assert.ok(week.summarised);
    assert.equal(await page.locator(".fc-list-event").count(),
      week.items.length + week.slots.filter((x) => x.more > 0).length);
    await noViolations(page);
    await listMore.click();
    await page.waitForSelector("#calendar-slot[open] .slot-posts li");
    const again = await page.$$eval("#calendar-slot .slot-posts li", (ls) => ls.map((l) => Number(l.dataset.variant)));
    assert.deepEqual(again, hour.body.items.map((i) => i.variant_id));
  }));
