// The Listening page's Sources and Alerts tabs in a real browser, used with
// the keyboard as a person would: a source added with the server's reasons
// shown beside the field they are about (a wrong selector, a wrong
// address), one that failed showing its error, failures and backoff, a
// source deleted after confirming; an alert added, muted, snoozed and
// deleted, and an alert that fired shown with its query, items and reason
// (and in the bell). Everything checked against the API; axe-core on each
// view, under the server's strict Content-Security-Policy (harness.mjs).
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { createServer } from "node:http";
import { KANAL, admin, base, db, noViolations, openDesk, useDesk, withPage } from "./harness.mjs";

useDesk();

const WS = 1;
const RSS = `<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Bevakat</title>
<language>sv</language>
<item><guid>b1</guid><title>Bostadstillägget höjs</title><link>/b1</link><description>Fler får stöd.</description></item>
<item><guid>b2</guid><title>Vädret</title><link>/b2</link><description>Regn.</description></item>
</channel></rss>`;

let feed, feedUrl, deadUrl;
const run = async (...a) => (await promisify(execFile)(KANAL, a, { encoding: "utf8" })).stdout;
const listen = (...a) => run("listen", ...a, "--db", db, "--workspace", "pensionsverket");
const sources = async () => (await admin("GET", `/workspaces/${WS}/listen/sources`)).body.items;
const alerts = async () => (await admin("GET", `/workspaces/${WS}/listen/alerts`)).body.items;

let ready;
const setUp = () => (ready ??= (async () => {
  feed = createServer((req, res) => {
    res.writeHead(200, { "Content-Type": "application/rss+xml" });
    res.end(RSS);
  });
  await new Promise((r) => feed.listen(0, "127.0.0.1", r));
  feedUrl = `http://127.0.0.1:${feed.address().port}/feed.xml`;
  // A port nothing listens on: a source there fails.
  const gone = createServer();
  await new Promise((r) => gone.listen(0, "127.0.0.1", r));
  deadUrl = `http://127.0.0.1:${gone.address().port}/feed.xml`;
  await new Promise((r) => gone.close(r));
  const r = await admin("POST", `/workspaces/${WS}/tags`, { name: "Bostadstillägg", kind: "topic", rule: "bostadstillägg*" });
  assert.equal(r.status, 201, JSON.stringify(r.body));
})());

after(() => feed?.close());

async function sourcesTab(page) {
  await openDesk(page);
  await page.goto(`${base}/#/1/listening?tab=sources`);
  await page.waitForSelector("#listen-add-source");
}

test("listening sources: added with the server's reasons beside the field, failing ones plain, deleted after confirming", () =>
  withPage("listen-sources", async (page) => {
    await setUp();
    await sourcesTab(page);
    await noViolations(page);
    const before = await sources();

    // An html source with a selector the server refuses: its reason under
    // the item selector's field, the field marked invalid, nothing stored.
    await page.fill("#source-url", "http://127.0.0.1:9/forum");
    await page.selectOption("#source-kind", "html");
    await page.fill("#source-sel-item", "tr.row:first-child");
    await page.fill("#source-sel-title", "a.subject");
    await page.focus("#source-sel-title");
    await page.keyboard.press("Enter");
    await page.waitForSelector("#se-selectors-item:not(:empty)");
    assert.match(await page.textContent("#se-selectors-item"), /selectors\.item: .*column/);
    assert.equal(await page.getAttribute("#source-sel-item", "aria-invalid"), "true");
    assert.equal(await page.getAttribute("#source-sel-item", "aria-describedby"), "se-selectors-item");
    assert.match(await page.textContent("#source-form-problem"), /correct the field/);
    assert.deepEqual(await sources(), before);
    await noViolations(page);

    // Put right: stored with its selectors, the problem gone.
    await page.fill("#source-sel-item", "tr.row");
    await page.selectOption("#source-interval", "3600");
    await page.click("#listen-add-source button[type=submit]");
    await page.waitForSelector("#source-said:not(:empty)");
    assert.equal(await page.textContent("#source-form-problem"), "");
    assert.equal(await page.$("#source-selectors"), null); // the form is blank again: a feed
    let html = (await sources()).find((s) => s.url === "http://127.0.0.1:9/forum");
    assert.deepEqual([html.kind, html.interval, html.selectors], ["html", 3600, { item: "tr.row", title: "a.subject" }]);
    const row = page.locator(`#listen-source-list tr[data-source="${html.id}"]`);
    await row.waitFor();
    assert.match(await row.locator(".kind").textContent(), /Web page/);
    assert.match(await row.textContent(), /every 1 h/);
    assert.match(await row.locator(".last-fetched").textContent(), /never/);

    // A wrong address: the server's reason beside the address field.
    await page.fill("#source-url", "ftp://example.org/feed");
    await page.click("#listen-add-source button[type=submit]");
    await page.waitForSelector("#se-url:not(:empty)");
    assert.match(await page.textContent("#se-url"), /http or https/);
    // The same address twice: refused, beside the address.
    await page.fill("#source-url", "http://127.0.0.1:9/forum");
    await page.selectOption("#source-kind", "feed");
    await page.click("#listen-add-source button[type=submit]");
    await page.waitForFunction(() => /already/.test(document.querySelector("#se-url").textContent));

    // A feed that works and one that fails, fetched: what each says is
    // what the API says, the failure's error and backoff in plain words.
    for (const url of [feedUrl, deadUrl]) {
      await page.fill("#source-url", url);
      await page.click("#listen-add-source button[type=submit]");
      await page.waitForFunction((u) => [...document.querySelectorAll("#listen-source-list .source-url")]
        .some((x) => x.textContent === u), url);
    }
    // (kanal serve's own worker may try them first: it is not allowed
    // private addresses, so it fails them too; the failures add up.)
    await listen("fetch", "--allow-private", "--min-delay", "50", "--timeout", "2").catch(() => {});
    await page.reload();
    const now = await sources();
    const ok = now.find((s) => s.url === feedUrl);
    const bad = now.find((s) => s.url === deadUrl);
    assert.ok(ok.last_fetched && !ok.last_error && ok.items === 2, JSON.stringify(ok));
    assert.ok(bad.last_error && bad.failures >= 1, JSON.stringify(bad));
    const okRow = page.locator(`#listen-source-list tr[data-source="${ok.id}"]`);
    const badRow = page.locator(`#listen-source-list tr[data-source="${bad.id}"]`);
    await badRow.locator(".last-error").waitFor();
    assert.equal(await badRow.locator(".last-error").textContent(), bad.last_error);
    assert.match(await badRow.locator(".state").textContent(),
      bad.failures === 1 ? /Failed once, at / : new RegExp(`Failed ${bad.failures} times in a row, last at `));
    assert.match(await badRow.locator(".next-fetch").textContent(), /Backing off: next try/);
    assert.match(await okRow.locator(".state").textContent(), /Fetched without errors/);
    assert.match(await okRow.locator("td.num").textContent(), /^2$/);
    assert.doesNotMatch(await okRow.locator(".last-fetched").textContent(), /never/);
    await noViolations(page);

    // Delete with the keyboard: asked first (focus on the question's yes);
    // cancelled keeps it, confirmed removes it.
    await badRow.locator(".source-delete").focus();
    await page.keyboard.press("Enter");
    await page.waitForFunction(() => document.activeElement?.classList.contains("confirm-yes"));
    await noViolations(page);
    await page.keyboard.press("Tab");
    await page.keyboard.press("Enter"); // cancel
    await badRow.locator(".source-delete").waitFor();
    assert.ok((await sources()).some((s) => s.id === bad.id));
    await badRow.locator(".source-delete").click();
    await badRow.locator(".confirm-yes").click();
    await badRow.waitFor({ state: "detached" });
    assert.ok(!(await sources()).some((s) => s.id === bad.id));
    html = (await sources()).find((s) => s.url === "http://127.0.0.1:9/forum");
    assert.ok(html);
  }));

test("listening alerts: added, muted, snoozed and deleted; one that fired shows its query, items and why", () =>
  withPage("listen-alerts", async (page) => {
    await setUp();
    await openDesk(page);
    await page.goto(`${base}/#/1/listening?tab=alerts`);
    await page.waitForSelector("#listen-add-alert");
    await noViolations(page);

    // A wrong e-mail list: the server's reason beside that field.
    await page.selectOption("#alert-tag", "Bostadstillägg");
    await page.selectOption("#alert-mode", "each");
    await page.check("#alert-via-email");
    await page.fill("#alert-email-to", "not an address");
    await page.click("#listen-add-alert button[type=submit]");
    await page.waitForSelector("#ae-email_to:not(:empty)");
    assert.match(await page.textContent("#ae-email_to"), /email_to/);
    assert.equal(await page.getAttribute("#alert-email-to", "aria-invalid"), "true");
    assert.deepEqual(await alerts(), []);
    await noViolations(page);

    // Put right: an alert on each match, in the app and by e-mail.
    await page.fill("#alert-email-to", "desk@example.org");
    await page.click("#listen-add-alert button[type=submit]");
    await page.waitForFunction(() => /added/.test(document.querySelector("#alert-said").textContent));
    let [a] = await alerts();
    assert.deepEqual([a.tag, a.mode, a.via, a.email_to, a.muted], ["Bostadstillägg", "each", "in_app,email", "desk@example.org", false]);
    const li = page.locator(`#listen-alerts > li[data-alert="${a.id}"]`);
    await li.waitFor();
    assert.match(await li.textContent(), /Each match/);

    // Mute, then unmute: the pressed button and the API agree.
    await li.locator(".alert-mute").click();
    await li.locator('.alert-mute[aria-pressed="true"]').waitFor();
    assert.equal((await alerts())[0].muted, true);
    assert.match(await li.locator(".alert-state").textContent(), /Muted/);
    await li.locator(".alert-mute").click();
    await li.locator('.alert-mute[aria-pressed="false"]').waitFor();
    assert.equal((await alerts())[0].muted, false);

    // Snooze for 8 hours (with the keyboard), then end it.
    const t0 = Date.now();
    await li.locator(".snooze-hours").selectOption("8");
    await li.locator(".alert-snooze button[type=submit]").focus();
    await page.keyboard.press("Enter");
    await li.locator(".alert-unsnooze").waitFor();
    a = (await alerts())[0];
    const until = Date.parse(a.snoozed_until);
    assert.ok(Math.abs(until - (t0 + 8 * 3600e3)) < 120e3, a.snoozed_until);
    assert.match(await li.locator(".alert-state").textContent(), /Snoozed until/);
    await noViolations(page);
    await li.locator(".alert-unsnooze").click();
    await li.locator(".alert-snooze").waitFor();
    assert.equal((await alerts())[0].snoozed_until, null);

    // It fires: the feed's matching item comes in and the alert runs.
    // (An alert starts from when it is made: the feed is read anew, as
    // another source.)
    await listen("source", "add", feedUrl + "?again");
    assert.match(await listen("fetch", "--allow-private", "--min-delay", "50", "--timeout", "2")
      .catch((e) => e.stdout), /2 new items/);
    // The server's own worker looks at the alerts every few seconds and
    // may have fired it already (a slow machine, a sanitizer build): the
    // run here fires it only if that has not happened, and either way it
    // fired exactly once.
    assert.match(await run("listen", "alert", "run", "--db", db), /1 alerts looked at, [01] fired/);
    const events = (await admin("GET", `/workspaces/${WS}/listen/alerts/events`)).body.items;
    assert.equal(events.length, 1, JSON.stringify(events));
    const [ev] = events;
    assert.deepEqual(ev.items.map((i) => i.title), ["Bostadstillägget höjs"]);
    await page.reload();
    const shown = page.locator(`#listen-events > li[data-event="${ev.id}"]`);
    await shown.waitFor();
    assert.equal(await shown.locator(".event-query").textContent(), "Bostadstillägg");
    assert.equal(await shown.locator(".event-reason").textContent(), ev.reason);
    assert.match(ev.reason, /1 new item matched the query/);
    assert.deepEqual(await shown.locator(".event-items a").allTextContents(), ["Bostadstillägget höjs"]);
    assert.equal(await shown.locator(".event-items a").getAttribute("href"), ev.items[0].link);
    await noViolations(page);

    // In the bell too (the admin is told), linking to the alerts.
    await page.click("#notify-button");
    const bell = page.locator("#notify-list > li", { hasText: "Alert on 'Bostadstillägg'" });
    await bell.waitFor();
    assert.match(await bell.textContent(), /Listening alert/);
    assert.match(await bell.locator("a").getAttribute("href"), /listening\?tab=alerts/);
    await noViolations(page);
    await page.keyboard.press("Escape");

    // Deleted after confirming.
    await li.locator(".alert-delete").click();
    await li.locator(".confirm-yes").click();
    await li.waitFor({ state: "detached" });
    assert.deepEqual(await alerts(), []);
  }));

test("listening sources and alerts in Swedish and Finnish", async () => {
  await setUp();
  for (const [locale, tab, word] of [["sv-SE", "sources", "Lägg till en källa"], ["fi-FI", "alerts", "Lisää hälytys"]]) {
    await withPage("listen-watch-" + locale, async (page) => {
      await openDesk(page);
      await page.goto(`${base}/#/1/listening?tab=${tab}`);
      await page.waitForFunction((w) => document.body.textContent.includes(w), word);
      await noViolations(page);
    }, { locale });
  }
});
