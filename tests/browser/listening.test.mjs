// The listening page in a real browser, done as a person would: items read
// the real way (a feed on a local server, `kanal listen fetch`), filtered,
// marked relevant, sent to a team and found in the inbox with a link back;
// the analytics' table read against the API; a query added (and a wrong
// one refused with the server's reason). Every view runs axe-core, under
// the server's strict Content-Security-Policy (harness.mjs).
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { createServer } from "node:http";
import { KANAL, admin, base, db, noViolations, openDesk, useDesk, withPage } from "./harness.mjs";

useDesk();

const WS = 1;
const day = (ago) => new Date(Date.now() - ago * 86400e3).toISOString().slice(0, 10);
// Noon UTC: the same date in the workspace's zone (Europe/Stockholm).
const noon = (ago) => new Date(`${day(ago)}T12:00:00Z`).toUTCString();
// (guid, title, text, days ago): the organisation, its peer, and neither.
const ITEMS = [
  ["l1", "Pensionsverket höjer garantipensionen", "Ett glädjande besked för många.", 2],
  ["l2", "Försäkringskassan och Pensionsverket samarbetar", "Gemensam handläggning.", 2],
  ["l3", "Försäkringskassan ändrar reglerna", "Kritik mot väntetiderna.", 1],
  ["l4", "Försäkringskassan svarar på kritiken", "Handläggningen tar tid.", 1],
  ["l5", "Vädret i Stockholm", "Sol och vind.", 0],
];
const esc = (s) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;");
const RSS = `<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Pensionsbloggen</title>
<language>sv</language>${ITEMS.map(([g, title, text, ago]) => `<item><guid>${g}</guid><title>${esc(title)}</title>
<link>/${g}</link><pubDate>${noon(ago)}</pubDate><description>${esc(text)}</description></item>`).join("")}
</channel></rss>`;

let feed, ours, peer, team;
const byTitle = new Map();

// Once, at the first test's start: the harness's own before() must have
// started kanal first.
let ready;
const setUp = () => (ready ??= (async () => {
  feed = createServer((req, res) => {
    res.writeHead(200, { "Content-Type": "application/rss+xml" });
    res.end(RSS);
  });
  await new Promise((r) => feed.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${feed.address().port}/feed.xml`;
  const made = async (path, body) => {
    const r = await admin("POST", `/workspaces/${WS}${path}`, body);
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return r.body.id;
  };
  ours = await made("/tags", { name: "Vi: Pensionsverket", kind: "topic", rule: "pensionsverket" });
  peer = await made("/tags", { name: "Peer: Kassan", kind: "topic", rule: "försäkringskassan" });
  team = await made("/teams", { name: "Bevakningsteamet" });
  // Not execFileSync: the feed is served from this very process.
  const cli = async (...a) => (await promisify(execFile)(KANAL,
    ["listen", ...a, "--db", db, "--workspace", "pensionsverket"], { encoding: "utf8" })).stdout;
  await cli("source", "add", url);
  assert.match(await cli("fetch", "--allow-private"), /5 new items/);
  const items = await admin("GET", `/workspaces/${WS}/listen/items?limit=50`);
  for (const it of items.body.items) byTitle.set(it.title, it);
})());

after(() => feed?.close());

const streamTitles = (page) => page.$$eval("#listen-stream > li .item-title", (xs) => xs.map((x) => x.textContent.trim()));

async function waitForTitles(page, want) {
  await page.waitForFunction((w) => {
    const got = [...document.querySelectorAll("#listen-stream > li .item-title")].map((x) => x.textContent.trim());
    return JSON.stringify(got.sort()) === JSON.stringify([...w].sort());
  }, want);
}

test("listening: filter the stream, mark an item relevant, send it to a team, find it in the inbox", () =>
  withPage("listening-stream", async (page) => {
    await setUp();
    await openDesk(page);
    await page.click("#nav-listening");
    await page.waitForURL(/#\/1\/listening$/);
    await page.waitForSelector("#listen-stream");
    await noViolations(page);

    // Filter by the peer's query: the URL holds it, the stream shows what the API says.
    await page.selectOption("#lf-query", String(peer));
    await page.waitForURL(new RegExp(`query=${peer}`));
    const api = await admin("GET", `/workspaces/${WS}/listen/items?query=${peer}&limit=50`);
    const want = api.body.items.map((i) => i.title);
    assert.deepEqual(want.sort(), ITEMS.filter(([, t]) => t.includes("Försäkringskassan")).map(([, t]) => t).sort());
    await waitForTitles(page, want);

    // Mark one relevant: the button says so, and so does the API.
    const it = byTitle.get("Försäkringskassan ändrar reglerna");
    const li = page.locator(`#listen-stream > li[data-id="${it.id}"]`);
    await li.locator(".mark-yes").click();
    await li.locator('.mark-yes[aria-pressed="true"]').waitFor();
    assert.equal((await admin("GET", `/workspaces/${WS}/listen/items/${it.id}`)).body.relevant, true);
    await page.selectOption("#lf-relevant", "yes");
    await page.waitForURL(/relevant=yes/);
    await waitForTitles(page, [it.title]);
    await noViolations(page);

    // Send it to a team: an inbox task for that team, linked to the item.
    await li.locator(".task-team").selectOption(String(team));
    await li.locator(".send-task button[type=submit]").click();
    await li.locator(".task-link").waitFor();
    const item = (await admin("GET", `/workspaces/${WS}/listen/items/${it.id}`)).body;
    assert.ok(item.message_id);
    const m = (await admin("GET", `/workspaces/${WS}/messages/${item.message_id}`)).body;
    assert.deepEqual([m.team_id, m.listen_item_id, m.kind, m.status], [team, it.id, "mention", "open"]);

    // In the inbox, the task links back to the item.
    await li.locator(".task-link").click();
    await page.waitForURL(/#\/1\/inbox/);
    const task = page.locator(`#inbox > li[data-id="${m.id}"]`);
    await task.waitFor();
    assert.match(await task.textContent(), /Försäkringskassan ändrar reglerna/);
    await task.locator(".listen-link").click();
    await page.waitForURL(new RegExp(`#/1/listening\\?item=${it.id}`));
    await page.waitForSelector(`#listen-one > li[data-id="${it.id}"] .task-link`);
    await noViolations(page);
  }));

test("listening: an item's link is shown only when it is http or https", () =>
  withPage("listening-links", async (page) => {
    await setUp();
    // The feed reader keeps no other kind of link; one stored before it
    // did must still not become a link that runs script when clicked.
    const it = byTitle.get("Vädret i Stockholm");
    const ok = byTitle.get("Försäkringskassan svarar på kritiken");
    await promisify(execFile)("sqlite3", [db,
      `UPDATE listen_items SET link = 'javascript:alert(1)' WHERE id = ${Number(it.id)}`]);
    await openDesk(page);
    await page.goto(`${base}/#/1/listening`);
    const bad = page.locator(`#listen-stream > li[data-id="${it.id}"] .item-title`);
    await bad.waitFor();
    assert.equal(await bad.textContent(), it.title);
    assert.equal(await bad.locator("a").count(), 0);
    const good = page.locator(`#listen-stream > li[data-id="${ok.id}"] .item-title a`);
    assert.match(await good.getAttribute("href"), /^http:\/\/127\.0\.0\.1:\d+\/l4$/);
    assert.equal(await page.locator('a[href^="javascript:"]').count(), 0);
  }));

test("listening analytics: the chart's table and share of voice say what the API counts", () =>
  withPage("listening-analytics", async (page) => {
    await setUp();
    await openDesk(page);
    await page.goto(`${base}/#/1/listening?tab=analytics&since=${day(2)}&until=${day(0)}`);
    await page.waitForSelector("#listen-chart-table tbody tr");
    await page.waitForSelector(".chart canvas");
    const a = (await admin("GET", `/workspaces/${WS}/listen/analytics?since=${day(2)}&until=${day(0)}`)).body;
    const q = Object.fromEntries(a.queries.map((x) => [x.id, x]));
    // By value: two of ours on the first day, the peer's one and two.
    assert.deepEqual(q[ours].per_day, [2, 0, 0]);
    assert.deepEqual(q[peer].per_day, [1, 2, 0]);
    assert.deepEqual(a.per_day, [2, 2, 1]);
    // The table has a column per query and one for every item, in that order.
    const head = await page.$$eval("#listen-chart-table thead th", (xs) => xs.map((x) => x.textContent.trim()));
    assert.deepEqual(head.slice(1), [...a.queries.map((x) => x.name), "All items"]);
    const rows = await page.$$eval("#listen-chart-table tbody tr", (trs) =>
      trs.map((tr) => [...tr.querySelectorAll("td")].map((td) => Number(td.textContent.replace(/\D/g, "")))));
    assert.deepEqual(rows, a.days.map((d, i) => [...a.queries.map((x) => x.per_day[i]), a.per_day[i]]));
    // Share of voice of the organisation against its peer: the person
    // unticks every other query, and the table compares those two only.
    const others = a.queries.filter((x) => x.id !== ours && x.id !== peer);
    for (const [i, x] of others.entries()) {
      await page.uncheck(`#listen-compare input[value="${x.id}"]`);
      await page.waitForFunction((n) => document.querySelectorAll("#listen-sov tbody tr").length === n,
        a.queries.length - i - 1);
    }
    assert.deepEqual(new URL(page.url().replace("#/", "")).searchParams.get("compare")?.split(",").map(Number).sort(),
      [ours, peer].sort());
    const c = (await admin("GET", `/workspaces/${WS}/listen/analytics?since=${day(2)}&until=${day(0)}&compare=${ours},${peer}`)).body;
    assert.deepEqual(c.queries.map((x) => [x.id, x.mentions]).sort(), [[ours, 2], [peer, 3]].sort());
    const sov = await page.$$eval("#listen-sov tbody tr", (trs) =>
      Object.fromEntries(trs.map((tr) => [tr.dataset.query, tr.querySelector("td:last-child").textContent.trim()])));
    assert.deepEqual(sov, { [ours]: "40%", [peer]: "60%" });
    const sources = await page.$$eval("#listen-sources tbody td", (tds) => tds.map((td) => Number(td.textContent)));
    assert.deepEqual(sources, a.sources.map((s) => s.items));
    assert.equal(sources.reduce((x, y) => x + y, 0), ITEMS.length);
    await noViolations(page);
  }));

test("listening queries: added from the page, a wrong rule refused with the server's reason", () =>
  withPage("listening-queries", async (page) => {
    await setUp();
    await openDesk(page);
    await page.goto(`${base}/#/1/listening?tab=queries`);
    await page.waitForSelector("#listen-add-query");
    await noViolations(page);
    await page.fill("#query-name", "Peer: Skatteverket");
    await page.fill("#query-rule", "skatteverket OR \"skatte verket\"");
    await page.click("#listen-add-query button[type=submit]");
    await page.waitForFunction(() => /Peer: Skatteverket/.test(document.querySelector("#listen-queries").textContent));
    const tags = (await admin("GET", `/workspaces/${WS}/tags?limit=200`)).body.items;
    assert.equal(tags.find((x) => x.name === "Peer: Skatteverket").rule, "skatteverket OR \"skatte verket\"");
    // Edited in place, then deleted.
    const made = tags.find((x) => x.name === "Peer: Skatteverket");
    const row = page.locator(`#listen-queries > li[data-query="${made.id}"]`);
    await row.locator(".query-rule").fill("skatteverk*");
    await row.locator("button[type=submit]").click();
    await page.waitForFunction(async (id) => (await (await fetch(`/api/v1/workspaces/1/tags/${id}`)).json()).rule === "skatteverk*", made.id);
    await row.locator(".query-delete").click();
    await row.waitFor({ state: "detached" });
    assert.equal((await admin("GET", `/workspaces/${WS}/tags/${made.id}`)).status, 404);
    await page.fill("#query-name", "Trasig");
    await page.fill("#query-rule", "pension AND (");
    await page.click("#listen-add-query button[type=submit]");
    await page.waitForSelector(".problem");
    assert.match(await page.textContent(".problem"), /Query not saved: .*rule/i);
    assert.ok(!(await admin("GET", `/workspaces/${WS}/tags?limit=200`)).body.items.some((x) => x.name === "Trasig"));
  }));

test("listening in a workspace without sources says what to do next", () =>
  withPage("listening-empty", async (page) => {
    const made = await admin("POST", "/workspaces", { name: "Tyst", slug: "tyst" });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    await openDesk(page);
    await page.goto(`${base}/#/${made.body.id}/listening`);
    await page.waitForSelector(".empty");
    assert.match(await page.textContent(".empty"), /No sources yet.*kanal listen source add URL --workspace tyst/);
    await page.click("#listen-tab-analytics");
    await page.waitForSelector("#listen-chart-table");
    assert.match(await page.textContent("main"), /No queries yet/);
    await noViolations(page);
    assert.equal((await admin("DELETE", `/workspaces/${made.body.id}`)).status, 200);
  }));
