// The analytics explorer as an analyst uses it: a period grouped and
// filtered as the API allows, beside the previous period; a CSV and a PNG
// exported; a campaign against the earlier ones of its theme; what works
// with its intervals; the top list with the peers; the monthly report
// opened. Every number checked is the API's own.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { admin, base, noViolations, openDesk, useDesk, withPage } from "./harness.mjs";

useDesk();

const PERIOD = "since=2026-10-01&until=2026-10-31";

async function analytics(q) {
  const r = await admin("GET", `/workspaces/1/analytics?${q}`);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body;
}

const count = (page, sel) => page.$$eval(sel, (xs) => xs.length);

test("a period grouped, filtered, compared and exported", () =>
  withPage("analytics-explore", async (page) => {
    await openDesk(page);
    await page.click("#nav-analytics");
    await page.waitForURL(/#\/1\/analytics$/);
    await page.goto(`${base}/#/1/analytics?${PERIOD}`);
    let want = await analytics(`${PERIOD}&by=channel&compare=previous`);
    // The desk first drew its default period; wait for the asked one.
    await page.waitForFunction((n) => {
      const td = document.querySelector("#groups tfoot tr td");
      return td && td.firstChild && td.firstChild.textContent.trim() === n;
    }, want.total.posts.toLocaleString("en-GB"));
    assert.equal(await count(page, "#groups tbody tr"), want.rows.length);
    assert.equal(await count(page, "#groups-chart canvas"), 1);
    // Each row beside the previous period.
    assert.ok(await count(page, "#groups tbody .delta") > 0);
    const posts = await page.$eval("#groups tfoot tr td", (td) => td.firstChild.textContent.trim());
    assert.equal(posts, want.total.posts.toLocaleString("en-GB"));
    await noViolations(page);

    // By week, one channel: the URL holds it, the table is the API's.
    await page.selectOption("#a-by", "week");
    await page.waitForURL(/by=week/);
    const fb = (await admin("GET", "/workspaces/1/channels?platform=facebook")).body.items.find((c) => !c.is_peer);
    await page.selectOption("#a-channel", String(fb.id));
    await page.waitForURL(new RegExp(`channel=${fb.id}`));
    want = await analytics(`${PERIOD}&by=week&compare=previous&channel=${fb.id}`);
    await page.waitForFunction((n) => document.querySelectorAll("#groups tbody tr").length === n &&
      document.querySelector("#groups-title").textContent.includes("Week"), want.rows.length);
    assert.deepEqual(await page.$$eval("#groups tbody th", (xs) => xs.map((x) => x.textContent)), want.rows.map((r) => r.label));
    await page.uncheck("#a-compare");
    await page.waitForURL(/compare=none/);
    await page.waitForFunction(() => !document.querySelector("#groups .delta"));

    // CSV: a header, one line per row and the total, the API's numbers.
    const [csv] = await Promise.all([page.waitForEvent("download"), page.click("#export-csv")]);
    assert.match(csv.suggestedFilename(), /^kanal-pensionsverket-week-2026-10-01-2026-10-31\.csv$/);
    const lines = readFileSync(await csv.path(), "utf8").trim().split("\r\n");
    assert.equal(lines.length, want.rows.length + 2);
    assert.deepEqual(lines[0].split(",").slice(1, 5), ["posts", "reach", "impressions", "interactions"]);
    const first = lines[1].split(",");
    assert.equal(first[0], want.rows[0].label);
    assert.equal(Number(first[2]), want.rows[0].reach);
    assert.equal(Number(lines.at(-1).split(",")[1]), want.total.posts);
    // PNG: the chart as drawn.
    const [png] = await Promise.all([page.waitForEvent("download"), page.click("#groups-chart-png")]);
    assert.deepEqual([...readFileSync(await png.path()).subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47]);

    // A wrong period: the server's reason, naming the parameter.
    await page.goto(`${base}/#/1/analytics?since=2026-10-31&until=2026-10-01`);
    await page.waitForSelector("#analytics-problem:not(:empty)");
    assert.match(await page.textContent("#analytics-problem"), /'until' must be after 'since'.*until/);
    await noViolations(page);
  }));

test("a campaign against the earlier ones, what works, the top list with peers, the monthly report", () =>
  withPage("analytics-compare", async (page) => {
    // Two campaigns of one theme: the later one compares with the earlier.
    const tag = (await admin("GET", "/workspaces/1/tags?limit=200")).body.items[0];
    const first = (await admin("GET", "/workspaces/1/campaigns?limit=200")).body.items
      .find((c) => c.name === "Kolla din pension");
    assert.equal((await admin("PATCH", `/workspaces/1/campaigns/${first.id}`, { target_tag_id: tag.id })).status, 200);
    const later = await admin("POST", "/workspaces/1/campaigns", { name: "Pension i oktober", target_tag_id: tag.id,
      starts_at: "2026-10-15T00:00:00Z", ends_at: "2026-10-31T00:00:00Z" });
    assert.equal(later.status, 201, JSON.stringify(later.body));
    const cmp = (await admin("GET", `/workspaces/1/campaigns/${later.body.id}/comparison`)).body;
    assert.deepEqual(cmp.earlier.map((e) => e.name), ["Kolla din pension"]);

    await openDesk(page);
    await page.goto(`${base}/#/1/analytics?${PERIOD}`);
    await page.waitForSelector("#a-vs option:nth-child(2)", { state: "attached" });
    await page.selectOption("#a-vs", String(later.body.id));
    await page.waitForURL(new RegExp(`vs=${later.body.id}`));
    await page.waitForSelector("#campaign-comparison");
    const head = await page.$$eval("#campaign-comparison thead th", (xs) => xs.map((x) => x.textContent));
    assert.deepEqual(head.slice(1, 3), ["Pension i oktober", "Kolla din pension"]);
    const postsRow = await page.$$eval("#campaign-comparison tbody tr:first-child td", (xs) => xs.map((x) => x.textContent));
    assert.deepEqual(postsRow.slice(0, 2), [cmp.campaign.kpis.posts, cmp.earlier[0].kpis.posts].map((n) => n.toLocaleString("en-GB")));

    // What works: every lift in the table, the measured ones drawn with their intervals.
    const ins = (await admin("GET", `/workspaces/1/analytics/insights?${PERIOD}`)).body;
    await page.waitForSelector("#insights tbody tr");
    assert.equal(await count(page, "#insights tbody tr"), ins.lifts.length);
    assert.equal(await count(page, "#insights-chart canvas"), 1);
    const measured = ins.lifts.findIndex((l) => l.lift_ci95);
    const cells = await page.$$eval(`#insights tbody tr:nth-child(${measured + 1}) td`, (xs) => xs.map((x) => x.textContent));
    const pct = (v) => new Intl.NumberFormat("en", { style: "percent", maximumFractionDigits: 0, signDisplay: "always" }).format(v);
    assert.equal(cells.at(-1), `${pct(ins.lifts[measured].lift_ci95[0])} to ${pct(ins.lifts[measured].lift_ci95[1])}`);

    // The top list: own channels and peers, ranked as the API ranks them.
    await page.selectOption("#a-top", "er_reach");
    await page.waitForURL(/top=er_reach/);
    const top = (await admin("GET", `/workspaces/1/analytics/toplist?${PERIOD}&metric=er_reach`)).body;
    await page.waitForFunction((labels) => JSON.stringify([...document.querySelectorAll("#toplist tbody th")]
      .map((x) => x.textContent)) === labels, JSON.stringify(top.rows.map((r) => r.label)));
    assert.deepEqual(await page.$$eval("#toplist tbody th", (xs) => xs.map((x) => x.textContent)), top.rows.map((r) => r.label));
    assert.equal(await count(page, "#toplist tr.peer"), top.rows.filter((r) => r.is_peer).length);
    assert.ok(top.rows.some((r) => r.is_peer));
    await noViolations(page);

    // The monthly report: the period's month, opened as its own page.
    const reportHref = await page.getAttribute("#report-link", "href");
    assert.equal(reportHref, "/api/v1/workspaces/1/reports/monthly?month=2026-10");
    await page.goto(base + reportHref);
    assert.match(await page.textContent("h1"), /Pensionsverket/);
    assert.match(await page.textContent("body"), /Monthly report, 2026-10/);
  }));

test("the explorer in Finnish, with nothing to show, says what to do", () =>
  withPage("analytics-fi", async (page) => {
    await openDesk(page);
    await page.goto(`${base}/#/1/analytics?since=2020-01-01&until=2020-01-31&by=day`);
    await page.waitForSelector("#analytics-period");
    assert.equal(await page.textContent("main h1"), "Analytiikka");
    const empty = await page.$$eval("main .empty", (xs) => xs.map((x) => x.textContent));
    assert.ok(empty.some((x) => /Ei julkaisuja tällä jaksolla.*Valitse pidempi jakso/.test(x)), empty.join(" | "));
    await noViolations(page);
  }, { locale: "fi-FI" }));

test("a name that reads as a formula is exported as text", () =>
  withPage("analytics-csv-formula", async (page) => {
    const c = (await admin("GET", "/workspaces/1/campaigns?limit=200")).body.items
      .find((x) => x.name === "Kolla din pension");
    assert.equal((await admin("PATCH", `/workspaces/1/campaigns/${c.id}`, { name: "=HYPERLINK(\"x\",\"y\")" })).status, 200);
    await openDesk(page);
    await page.goto(`${base}/#/1/analytics?${PERIOD}&by=campaign`);
    await page.waitForFunction(() => /HYPERLINK/.test(document.querySelector("#groups")?.textContent || ""));
    const [csv] = await Promise.all([page.waitForEvent("download"), page.click("#export-csv")]);
    const text = readFileSync(await csv.path(), "utf8");
    assert.match(text, /\r\n"'=HYPERLINK\(""x"",""y""\)",/);
  }));

test("the grouped table is asked first; what works and the top list only once it is answered", () =>
  withPage("analytics-order", async (page) => {
    await openDesk(page);
    await page.goto(`${base}/#/1/analytics?${PERIOD}`);
    await page.waitForSelector("#groups");
    const seen = [];
    const what = (u) => new URL(u).pathname.replace(/.*\/analytics/, "analytics");
    // The table's answer for channel 1 is held back for a while: nothing
    // else of the new filter may be asked meanwhile.
    await page.route(/\/analytics\?.*channel=/, async (r) => {
      seen.push("asked analytics");
      await new Promise((ok) => setTimeout(ok, 400));
      seen.push("answering analytics");
      await r.continue();
    });
    page.on("request", (r) => { if (/\/analytics\/(insights|toplist)\?.*channel=/.test(r.url())) seen.push(`asked ${what(r.url())}`); });
    const ch = (await admin("GET", "/workspaces/1/channels?limit=200")).body.items.find((c) => !c.is_peer);
    await page.selectOption("#a-channel", String(ch.id));
    for (let i = 0; i < 200 && seen.length < 4; i++) await page.waitForTimeout(25);
    assert.deepEqual(seen.slice(0, 2), ["asked analytics", "answering analytics"], seen.join(", "));
    assert.deepEqual(seen.slice(2).sort(), ["asked analytics/insights", "asked analytics/toplist"], seen.join(", "));
    await page.unroute(/\/analytics\?.*channel=/);
  }));
