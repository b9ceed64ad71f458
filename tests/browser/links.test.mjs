// The Links page as a communicator uses it: a link made with the UTM
// builder (a channel, a campaign and an advocate fill its parts), copied,
// its QR code downloaded, clicked, counted on the leaderboard, edited and
// retired; each result read back through the API and the redirect itself.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { admin, base, noViolations, openDesk, useDesk, withPage } from "./harness.mjs";

useDesk();

async function channelOf(platform) {
  const r = await admin("GET", "/workspaces/1/channels?limit=200");
  return r.body.items.find((c) => c.platform === platform && !c.is_peer);
}

async function redirect(code) {
  const r = await fetch(`${base}/l/${code}`, { redirect: "manual", headers: { "User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0" } });
  return { status: r.status, location: r.headers.get("location") };
}

async function until(what, fn) {
  for (let i = 0; i < 100; i++) {
    const v = await fn();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`waited in vain for ${what}`);
}

test("a link is made with the UTM builder, copied, its QR code downloaded, clicked and counted", () =>
  withPage("links-make", async (page) => {
    const fb = await channelOf("facebook");
    const campaign = (await admin("GET", "/workspaces/1/campaigns?limit=200")).body.items[0];
    await page.context().grantPermissions(["clipboard-read", "clipboard-write"], { origin: base });
    await openDesk(page);
    await page.click("#nav-links");
    await page.waitForURL(/#\/1\/links$/);
    await page.waitForSelector("#links-title");
    // The empty list says what to do (the clicks and the leaderboard too).
    await page.waitForFunction(() => /No links here yet.*Make one above/.test(
      document.querySelector("section[aria-labelledby=links-title]").textContent));
    await noViolations(page);

    await page.fill("#nl-url", "https://example.org/sv/pension");
    await page.selectOption("#nl-channel-id", String(fb.id));
    await page.waitForFunction(() => document.querySelector("#nl-utm-source").value === "facebook");
    assert.equal(await page.inputValue("#nl-utm-medium"), "social");
    await page.selectOption("#nl-campaign-id", String(campaign.id));
    await page.waitForFunction(() => document.querySelector("#nl-utm-campaign").value !== "");
    await page.fill("#nl-advocate", "Anna Berg");
    await page.waitForFunction(() => document.querySelector("#nl-utm-content").value === "anna-berg");
    // A part the user typed is theirs: a later choice does not overwrite it.
    await page.fill("#nl-utm-term", "höst");
    await page.waitForSelector("#nl-target");
    await page.waitForFunction(() => /utm_term=h/.test(document.querySelector("#nl-target").textContent));
    assert.match(await page.textContent("#nl-target"), /^https:\/\/example\.org\/sv\/pension\?utm_source=facebook&utm_medium=social&utm_campaign=/);
    await page.click("#make-link");
    await page.waitForSelector("#made");

    const links = (await admin("GET", "/workspaces/1/links")).body.items;
    assert.equal(links.length, 1);
    const link = links[0];
    assert.equal(link.channel_id, fb.id);
    assert.equal(link.campaign_id, campaign.id);
    assert.equal(link.advocate, "anna-berg");
    assert.equal(link.utm_term, "höst");
    assert.equal(link.utm_source, "facebook");
    assert.match(await page.textContent("#made"), new RegExp(`/l/${link.code}`));
    await page.waitForSelector(`#links tr[data-id="${link.id}"]`);
    await noViolations(page);

    // Copy: the full short URL on the clipboard.
    await page.click("#made-copy");
    await page.waitForFunction(() => /Copied/.test(document.querySelector("#made").textContent));
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), `${base}/l/${link.code}`);

    // The QR code downloads as a PNG named for the code.
    const [download] = await Promise.all([page.waitForEvent("download"),
      page.click(`#links tr[data-id="${link.id}"] a.qr`)]);
    assert.equal(download.suggestedFilename(), `${link.code}.png`);
    const png = readFileSync(await download.path());
    assert.deepEqual([...png.subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47]);

    // A click is counted, by link and on the advocates' leaderboard.
    assert.deepEqual(await redirect(link.code), { status: 302, location: link.target_url });
    await until("the click to be stored", async () =>
      (await admin("GET", "/workspaces/1/links/stats?by=advocate")).body.items[0]?.clicks === 1);
    await page.selectOption("#f-by", "advocate");
    await page.waitForURL(/by=advocate/);
    await page.waitForSelector("#leaderboard");
    await page.waitForFunction(() => /anna-berg/.test(document.querySelector("#click-stats")?.textContent || ""));
    assert.equal(await page.$$eval("#clicks-chart canvas", (xs) => xs.length), 1);
    const row = await page.textContent("#leaderboard tbody tr");
    assert.match(row, /1\s*anna-berg\s*1/);
    await noViolations(page);
  }));

test("a link is edited (its code kept, its new channel's UTM parts filled) and retired", () =>
  withPage("links-edit", async (page) => {
    const fb = await channelOf("facebook");
    const li = await channelOf("linkedin");
    const made = await admin("POST", "/workspaces/1/links", { url: "https://example.org/old", channel_id: fb.id });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    const link = made.body;
    await openDesk(page);
    // Deep link: the edit dialog opens from the URL.
    await page.goto(`${base}/#/1/links?edit=${link.id}`);
    await page.waitForSelector("#edit-link[open]");
    assert.equal(await page.inputValue("#el-url"), "https://example.org/old");
    await noViolations(page);
    await page.fill("#el-url", "https://example.org/new");
    await page.selectOption("#el-channel-id", String(li.id));
    await page.waitForFunction(() => document.querySelector("#el-utm-source").value === "linkedin");
    await page.click("#save-link");
    await page.waitForSelector("#edit-link", { state: "detached" });
    await page.waitForFunction(() => !/edit=/.test(location.hash));
    assert.match(await page.textContent("#links-done"), new RegExp(`Saved the link /l/${link.code}`));
    const after = (await admin("GET", `/workspaces/1/links/${link.id}`)).body;
    assert.equal(after.code, link.code);
    assert.equal(after.channel_id, li.id);
    assert.equal(after.target_url, "https://example.org/new?utm_source=linkedin&utm_medium=social");
    assert.deepEqual(await redirect(link.code), { status: 302, location: after.target_url });

    // Retired: the redirect answers 410, the list says so, the filter finds it.
    await page.click(`#links tr[data-id="${link.id}"] button.retire`);
    await page.waitForSelector(`#links tr[data-id="${link.id}"] button.restore`);
    assert.match(await page.textContent("#links-done"), /Retired/);
    assert.ok((await admin("GET", `/workspaces/1/links/${link.id}`)).body.retired_at);
    assert.equal((await redirect(link.code)).status, 410);
    await page.selectOption("#f-retired", "true");
    await page.waitForURL(/retired=true/);
    await page.waitForFunction((id) => [...document.querySelectorAll("#links tbody tr")].every((r) => r.dataset.id === String(id)), link.id);
    // Keyboard: restore by focus and Enter.
    await page.focus(`#links tr[data-id="${link.id}"] button.restore`);
    await page.keyboard.press("Enter");
    await page.waitForFunction(() => /Restored/.test(document.querySelector("#links-done").textContent));
    assert.equal((await admin("GET", `/workspaces/1/links/${link.id}`)).body.retired_at, null);
    assert.equal((await redirect(link.code)).status, 302);
    await noViolations(page);
  }));

test("the Links page speaks Swedish and says what went wrong", () =>
  withPage("links-sv", async (page) => {
    await openDesk(page);
    await page.goto(`${base}/#/1/links?edit=999999`);
    await page.waitForSelector("#links-title");
    assert.equal(await page.textContent("main h1"), "Länkar");
    await page.waitForSelector("main .problem[role=alert]:not(:empty)");
    assert.match(await page.textContent("main"), /Det finns ingen länk 999999/);
    // A URL the server refuses: its reason, naming the field.
    await page.fill("#nl-url", "ftp://example.org");
    await page.click("#make-link");
    await page.waitForFunction(() => /Länken skapades inte/.test(document.querySelector("#new-link").textContent));
    await noViolations(page);
  }, { locale: "sv-SE" }));
