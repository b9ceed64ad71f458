// The web desk in a real browser: Debian's Chromium, headless, driven by
// playwright-core, against the built kanal serving a demo database. Each
// page's main job is done as a user would and its result read back through
// the API; every page runs axe-core and must show no violation and no
// Content-Security-Policy report (harness.mjs starts it all).
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import {
  PASSWORD, X_CONSENT, admin, base, daysFromNow, db,
  noViolations, openDesk, signIn, submittedPost, useDesk, withPage,
} from "./harness.mjs";

useDesk();

test("the server sends a strict Content-Security-Policy", async () => {
  const r = await fetch(base + "/");
  const csp = r.headers.get("content-security-policy");
  const d = Object.fromEntries(csp.split(";").map((x) => x.trim().split(/\s+/)).map(([k, ...v]) => [k, v]));
  assert.deepEqual(d["default-src"], ["'none'"]);
  assert.deepEqual(d["script-src"], ["'self'"]);
  // 'self', and an empty <style> (the hash of "") that FullCalendar fills
  // through the CSSOM.
  assert.deepEqual(d["style-src"], ["'self'", "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='"]);
  assert.deepEqual(d["object-src"], ["'none'"]);
  assert.deepEqual(d["frame-ancestors"], ["'none'"]);
  assert.ok(!/unsafe/.test(csp), csp);
});

test("signing in opens the desk: navigation, workspace, user menu, shortcuts", () =>
  withPage("frame", async (page) => {
    await signIn(page);
    await page.waitForURL(/#\/1\/dashboard/);
    await page.waitForSelector(".kpi");
    await noViolations(page);
    // The views are links whose URL holds the view.
    await page.click("#nav-inbox");
    await page.waitForURL(/#\/1\/inbox$/);
    // The URL changes before the frame re-renders: wait for the mark, not just the URL.
    await page.waitForSelector('#nav-inbox[aria-current="page"]');
    assert.equal(await page.getAttribute("#nav-inbox", "aria-current"), "page");
    // Keyboard: g c goes to the channels, ? opens the help, Escape closes it.
    await page.locator("body").press("g");
    await page.locator("body").press("c");
    await page.waitForURL(/#\/1\/channels$/);
    await page.keyboard.press("?");
    await page.waitForSelector("#help[open]");
    assert.match(await page.textContent("#help"), /Keyboard shortcuts/);
    await noViolations(page);
    await page.keyboard.press("Escape");
    await page.waitForSelector("#help:not([open])", { state: "attached" });
    // The user's menu, by keyboard, says who and signs out.
    await page.focus("#user-menu");
    await page.keyboard.press("Enter");
    assert.match(await page.textContent("#who"), /demo@kanal\.local \(administrator\)/);
    await page.click("#signout");
    await page.waitForURL(base + "/login");
    const r = await page.evaluate(async () => (await fetch("/api/v1/session")).status);
    assert.equal(r, 401);
  }));

test("the workspace switcher opens another workspace; an empty one says what to do", () =>
  withPage("workspaces", async (page) => {
    const made = await admin("POST", "/workspaces", { name: "Tom arbetsyta", slug: "tom" });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    await openDesk(page);
    await page.waitForSelector("#nav-channels");
    await page.click("#nav-channels");
    await page.selectOption("#workspace", String(made.body.id));
    await page.waitForURL(new RegExp(`#/${made.body.id}/channels$`));
    await page.waitForSelector(".empty");
    assert.match(await page.textContent(".empty"), /No channels yet.*\/api\/v1\/workspaces\/\d+\/channels/);
    await page.click("#nav-review");
    await page.waitForSelector(".empty");
    assert.match(await page.textContent(".empty"), /Nothing waits for review/);
    await noViolations(page);
    assert.equal((await admin("DELETE", `/workspaces/${made.body.id}`)).status, 200);
    // A link to a workspace that is gone says so, and shows the first one.
    await page.goto(`${base}/#/${made.body.id}/inbox`);
    await page.reload();
    await page.waitForURL(/#\/1\/dashboard$/);
    await page.waitForFunction(() => /^There is no workspace \d+ that you can see; showing Pensionsverket \(demo\)\.$/
      .test(document.querySelector("main .problem")?.textContent));
  }));

test("the desk speaks the browser's language, and a chosen one is kept", () =>
  withPage("language", async (page) => {
    await page.goto(base + "/login");
    await page.waitForFunction(() => document.getElementById("l-submit").textContent === "Kirjaudu sisään");
    await noViolations(page);
    await signIn(page);
    await page.waitForSelector("#nav-inbox");
    assert.equal(await page.textContent("#nav-inbox"), "Saapuneet");
    assert.equal(await page.getAttribute("html", "lang"), "fi");
    await page.selectOption("#lang", "sv");
    await page.waitForFunction(() => document.getElementById("nav-inbox").textContent === "Inkorg");
    await page.goto(base + "/#/1/dashboard?since=2026-10-01&until=2026-10-31");
    await page.waitForFunction(() => /^1 okt\. 2026$/.test(document.querySelector("#chart-table tbody th")?.textContent));
    assert.equal(await page.textContent("#nav-inbox"), "Inkorg");
    // Numbers and days in Swedish: a space groups thousands, months by name.
    const reach = await page.textContent('[data-kpi="reach"] .kpi-value');
    assert.match(reach, /^\d{1,3}(\u00a0\d{3})+$/);
    await noViolations(page);
  }, { locale: "fi-FI" }));

test("a wrong password is told, and nothing opens", () =>
  withPage("login", async (page) => {
    await signIn(page, "not the password");
    await page.waitForFunction(() => document.getElementById("error").textContent.length > 0);
    assert.equal(await page.textContent("#error"), "wrong email or password");
    assert.equal(page.url(), base + "/login");
  }));

test("the dashboard shows the API's KPIs with the previous period, filtered in the URL", () =>
  withPage("dashboard", async (page) => {
    await openDesk(page);
    await page.waitForSelector(".kpi");
    await page.goto(base + "/#/1/dashboard?since=2026-10-01&until=2026-10-31");
    const api = (await admin("GET", "/workspaces/1/analytics?since=2026-10-01&until=2026-10-31&by=day&compare=previous")).body;
    await page.waitForFunction((n) => document.querySelectorAll("#chart-table tbody tr").length === n,
      api.rows.length);
    const num = (s) => Number(s.replace(/[^\d-]/g, ""));
    assert.equal(num(await page.textContent('[data-kpi="reach"] .kpi-value')), api.total.reach);
    assert.equal(num(await page.textContent('[data-kpi="posts"] .kpi-value')), api.total.posts);
    const change = (api.total.reach - api.previous.reach) / api.previous.reach;
    assert.match(await page.textContent('[data-kpi="reach"] .kpi-delta'),
      new RegExp(`^[+-]${Math.abs(change * 100).toFixed(1).replace(/\.0$/, "")}%`));
    // The chart is drawn, and the table has its numbers.
    assert.equal(await page.locator(".chart canvas").count(), 1);
    const first = await page.$$eval("#chart-table tbody tr:first-child td", (t) => t.map((x) => x.textContent));
    assert.equal(num(first[0]), api.rows[0].reach);
    // One channel: the URL says so, and the numbers are that channel's.
    await page.selectOption("#f-channel", "3");
    await page.waitForURL(/channel=3/);
    const x = (await admin("GET", "/workspaces/1/analytics?since=2026-10-01&until=2026-10-31&channel=3")).body;
    await page.waitForFunction((n) => Number(document.querySelector('[data-kpi="reach"] .kpi-value')
      .textContent.replace(/[^\d-]/g, "")) === n, x.total.reach);
    // And one campaign of that channel: both in the URL, the API's numbers.
    await page.selectOption("#f-campaign", "1");
    await page.waitForURL(/channel=3.*campaign=1|campaign=1.*channel=3/);
    const xc = (await admin("GET", "/workspaces/1/analytics?since=2026-10-01&until=2026-10-31&channel=3&campaign=1")).body;
    await page.waitForFunction((n) => Number(document.querySelector('[data-kpi="posts"] .kpi-value')
      .textContent.replace(/[^\d-]/g, "")) === n, xc.total.posts);
    await noViolations(page);
  }));

test("channels show their connection, and Connect shows the scopes before starting", () =>
  withPage("channels", async (page) => {
    await openDesk(page);
    await page.waitForSelector("#nav-channels");
    // Instagram was connected, synced, and then its token was revoked: the
    // connector stores the platform's own words (what sync does on Meta's
    // error 190).
    execFileSync("sqlite3", [db, "INSERT INTO channel_connections (channel_id, state, problem, " +
      "connected_at, synced_at, updated_at) VALUES (2, 'needs_reconnect', 'Error validating access " +
      "token: The session has been invalidated because the user changed their password.', " +
      "1790000000, 1793000000, 1793000000)"]);
    await page.goto(base + "/#/1/channels");
    await page.waitForSelector("#channels tbody tr");
    const ig = (await admin("GET", "/workspaces/1/channels/2/connection")).body;
    assert.equal(ig.state, "needs_reconnect");
    assert.equal(await page.textContent('#channels tr[data-id="2"] .state'), "Needs reconnect");
    assert.equal(await page.textContent('#channels tr[data-id="2"] .state-problem'), ig.problem);
    assert.equal(await page.textContent('#channels tr[data-id="2"] td:nth-child(5)'),
      new Intl.DateTimeFormat("en", { dateStyle: "medium", timeStyle: "short",
        timeZone: "Europe/Stockholm" }).format(new Date(ig.synced_at)));
    assert.equal(await page.textContent('#channels tr[data-id="2"] button.connect'), "Reconnect");
    const channels = (await admin("GET", "/workspaces/1/channels?limit=200")).body.items;
    assert.equal(await page.locator("#channels tbody tr").count(), channels.length);
    assert.equal(await page.textContent('#channels tr[data-id="1"] .state'), "Not connected");
    // A connected channel whose last sync failed says so, with the platform's words.
    execFileSync("sqlite3", [db, "INSERT INTO channel_connections (channel_id, state, connected_at, " +
      "last_error, last_error_at, updated_at) VALUES (4, 'connected', 1790000000, " +
      "'GET /2/users/:id/tweets: Too Many Requests (HTTP 429)', 1793000000, 1793000000)"]);
    // ...and shows its work in the job table: one action waiting, one that gave up.
    execFileSync("sqlite3", [db, "INSERT INTO jobs (kind, channel_id, state, run_after, created_at, " +
      "updated_at) VALUES ('action', 4, 'queued', 4102444800, 0, 0), ('sync', 4, 'failed', 0, 0, 0)"]);
    await page.reload();
    await page.waitForSelector('#channels tr[data-id="4"] .last-error');
    const jobs = (await admin("GET", "/workspaces/1/channels/4")).body.connection.jobs;
    assert.deepEqual(jobs, { queued: 1, running: 0, failed: 1 });
    assert.equal(await page.textContent('#channels tr[data-id="4"] .jobs'),
      "Work waiting: 1 queued, 0 running, 1 failed");
    assert.match(await page.textContent('#channels tr[data-id="4"] .last-error'),
      /^Last error \(.+\): GET \/2\/users\/:id\/tweets: Too Many Requests \(HTTP 429\)$/);
    await noViolations(page);
    // Connect: the dialog lists what kanal asks the platform for.
    await page.click('#channels tr[data-id="1"] button.connect');
    await page.waitForSelector("#connect[open]");
    const connectors = (await admin("GET", "/connectors")).body.items;
    const fb = connectors.find((c) => c.platform === "facebook");
    const scopes = await page.$$eval("#scopes li", (l) => l.map((x) => x.textContent));
    assert.deepEqual(scopes, fb.scopes.split(","));
    await noViolations(page);
    // Facebook has no app configured on this server: the server's reason
    // is told, and nothing changes.
    await page.click("#connect-continue");
    await page.waitForFunction(() => document.querySelector("#connect .problem").textContent.length > 0);
    assert.match(await page.textContent("#connect .problem"),
      /^Could not start connecting: Facebook Pages is not configured: set KANAL_FACEBOOK_CLIENT_ID/);
    assert.equal((await admin("GET", "/workspaces/1/channels/1/connection")).body.state, "not_connected");
    await page.keyboard.press("Escape");
    await page.waitForSelector("#connect", { state: "detached" });
    // X is: Continue goes to X's consent page (answered here, nothing leaves
    // the machine) with kanal's client id, its state and a PKCE challenge.
    await page.route(X_CONSENT + "?**", (route) => route.fulfill({ contentType: "text/html",
      body: "<!doctype html><title>X</title><p>consent</p>" }));
    await page.click('#channels tr[data-id="3"] button.connect');
    await page.waitForSelector("#connect[open]");
    const x = connectors.find((c) => c.platform === "x");
    assert.deepEqual(await page.$$eval("#scopes li", (l) => l.map((e) => e.textContent)),
      x.scopes.split(",").map((v) => v.trim()).filter(Boolean));
    await page.click("#connect-continue");
    await page.waitForURL((u) => u.href.startsWith(X_CONSENT));
    const consent = new URL(page.url());
    assert.equal(consent.searchParams.get("client_id"), "desk-test");
    assert.equal(consent.searchParams.get("redirect_uri"), "http://127.0.0.1:1/oauth/callback");
    assert.ok(consent.searchParams.get("state").length >= 16);
    assert.equal(consent.searchParams.get("code_challenge_method"), "S256");
    assert.equal((await admin("GET", "/workspaces/1/channels/3/connection")).body.state, "not_connected");
    // Back from a consent, the server sends the browser to
    // /?workspace=1&connected=IDS: the channels view says what was connected.
    await page.goto(base + "/?workspace=1&connected=3");
    await page.waitForURL(base + "/#/1/channels?connected=3");
    await page.waitForFunction(() => document.getElementById("connected")?.textContent === "Connected: Pensionsverket (x).");
  }));

test("a Bluesky channel connects with its handle and an app password", () =>
  withPage("bluesky", async (page) => {
    const made = await admin("POST", "/workspaces/1/channels", { platform: "bluesky",
      handle: "verket.test", name: "Verket på Bluesky" });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    const id = made.body.id;
    await openDesk(page);
    await page.goto(base + "/#/1/channels");
    await page.click(`#channels tr[data-id="${id}"] button.connect`);
    await page.waitForSelector("#connect[open] #connect-password");
    assert.equal(await page.inputValue("#connect-identifier"), "verket.test");
    await noViolations(page);
    // A wrong password: Bluesky's words, nothing connected.
    await page.fill("#connect-password", "wrong-pass-word");
    await page.click("#connect-continue");
    await page.waitForFunction(() => document.querySelector("#connect .problem").textContent.length > 0);
    assert.match(await page.textContent("#connect .problem"), /Invalid identifier or password/);
    assert.equal((await admin("GET", `/workspaces/1/channels/${id}/connection`)).body.state,
      "not_connected");
    // The right one: connected, and the desk says so.
    await page.fill("#connect-password", "abcd-efgh-ijkl-mnop");
    await page.click("#connect-continue");
    await page.waitForURL(base + `/#/1/channels?connected=${id}`);
    await page.waitForFunction(() => document.getElementById("connected")?.textContent
      === "Connected: Verket på Bluesky (bluesky).");
    assert.equal((await admin("GET", `/workspaces/1/channels/${id}/connection`)).body.state,
      "connected");
  }));

test("text from the API is shown as text, never run as HTML", () =>
  withPage("xss", async (page) => {
    await openDesk(page);
    await page.waitForSelector("#nav-channels");
    const created = await admin("POST", "/workspaces/1/channels", { platform: "other", handle: "xss",
      name: "<img src=x onerror=\"window.pwned=1\">" });
    assert.equal(created.status, 201);
    await page.goto(base + "/#/1/channels");
    await page.waitForSelector(`#channels tr[data-id="${created.body.id}"]`);
    assert.equal(await page.evaluate(() => window.pwned), undefined);
    assert.equal(await page.locator("#channels img").count(), 0);
    assert.equal(await page.textContent(`#channels tr[data-id="${created.body.id}"] td`),
      "<img src=x onerror=\"window.pwned=1\">");
    assert.equal((await admin("DELETE", `/workspaces/1/channels/${created.body.id}`)).status, 200);
  }));

test("a moderator answers and hides a message from the inbox, through its channel", () =>
  withPage("answer", async (page) => {
    await openDesk(page);
    await page.goto(base + "/#/1/inbox?status=answered");
    await page.waitForSelector("#inbox li form.answer");
    const id = Number(await page.getAttribute("#inbox li:has(form.answer)", "data-id"));
    const m = (await admin("GET", `/workspaces/1/messages/${id}`)).body;
    const li = page.locator(`#inbox li[data-id="${id}"]`);
    await noViolations(page);
    // Too long for its platform: the server's count, nothing queued.
    await li.locator("textarea").fill("x".repeat(70000));
    await li.locator("button.send").click();
    await page.waitForFunction(() => /^Not sent: /.test(document.querySelector(".problem, [role=alert]")?.textContent ?? ""));
    const before = (await admin("GET", `/workspaces/1/channels/${m.channel_id}/actions`)).body.items.length;
    await li.locator("textarea").fill("Tack, vi tittar på det i dag.");
    await li.locator("button.send").click();
    await page.waitForFunction((i) => document.querySelector(`#inbox li[data-id="${i}"] .sent`).textContent
      .startsWith("Answer queued"), id);
    assert.equal(await li.locator("textarea").inputValue(), "");
    let actions = (await admin("GET", `/workspaces/1/channels/${m.channel_id}/actions`)).body.items;
    assert.equal(actions.length, before + 1);
    assert.equal(actions[0].kind, "reply");
    assert.equal(actions[0].target, m.platform_id);
    assert.equal(actions[0].body.text, "Tack, vi tittar på det i dag.");
    await li.locator("button.hide").click();
    await page.waitForFunction((i) => document.querySelector(`#inbox li[data-id="${i}"] .sent`).textContent
      .startsWith("Hiding queued"), id);
    actions = (await admin("GET", `/workspaces/1/channels/${m.channel_id}/actions`)).body.items;
    assert.equal(actions[0].kind, "hide");
    assert.equal(actions[0].target, m.platform_id);
  }));

test("the inbox filters messages (in the URL) and a moderator's corrections are kept", () =>
  withPage("inbox", async (page) => {
    await openDesk(page);
    await page.waitForSelector("#nav-inbox");
    await page.goto(base + "/#/1/inbox");
    await page.waitForSelector("#inbox li");
    assert.equal(await page.locator("#inbox li").count(), 20);
    const open = (await admin("GET", "/workspaces/1/messages?own=false&status=open&limit=20")).body;
    assert.deepEqual(await page.$$eval("#inbox li", (lis) => lis.map((li) => Number(li.dataset.id))),
      open.items.map((m) => m.id));
    await noViolations(page);
    // Only the negative ones; the filter is in the URL and survives a reload.
    await page.selectOption("#f-sentiment", "neg");
    await page.waitForURL(/sentiment=neg/);
    await page.reload();
    await page.waitForFunction(() => document.querySelectorAll("#inbox li").length > 0 &&
      [...document.querySelectorAll("#inbox li")].every((li) => li.className === "sent-neg"));
    assert.equal(await page.inputValue("#f-sentiment"), "neg");
    const negIds = await page.$$eval("#inbox li", (lis) => lis.map((li) => Number(li.dataset.id)));
    const neg = (await admin("GET", "/workspaces/1/messages?own=false&status=open&sentiment=neg&limit=20")).body;
    assert.deepEqual(negIds, neg.items.map((m) => m.id));
    // A moderator corrects the first one to neutral: stored, and counted as
    // a correction the workspace's learner learned from.
    const first = negIds[0];
    const li = page.locator(`#inbox li[data-id="${first}"]`);
    await li.locator("select").first().selectOption("neu");
    await page.waitForFunction((id) =>
      document.querySelector(`#inbox li[data-id="${id}"]`).className === "sent-neu", first);
    assert.equal((await admin("GET", `/workspaces/1/messages/${first}`)).body.sentiment, "neu");
    const learned = execFileSync("sqlite3", [db,
      `SELECT previous || '>' || label FROM sentiment_corrections WHERE message_id = ${first}`],
    { encoding: "utf8" }).trim();
    assert.equal(learned, "neg>neu");
    // Closing it takes it out of the open inbox on the next load.
    await li.locator("select").nth(1).selectOption("closed");
    await page.waitForFunction(async (id) => {
      const m = await (await fetch(`/api/v1/workspaces/1/messages/${id}`)).json();
      return m.status === "closed";
    }, first);
    await page.selectOption("#f-sentiment", "");
    await page.waitForFunction((id) => document.querySelectorAll("#inbox li").length === 20 &&
      !document.querySelector(`#inbox li[data-id="${id}"]`), first);
    // A topic filter lists the workspace's tags.
    const tags = await page.$$eval("#f-tag option", (os) => os.map((o) => o.textContent));
    const wsTags = (await admin("GET", "/workspaces/1/tags?limit=200")).body;
    assert.deepEqual(tags.slice(1), wsTags.items.map((t) => t.name));
    // More, by keyboard.
    await page.focus("#more-inbox");
    await page.keyboard.press("Enter");
    await page.waitForFunction(() => document.querySelectorAll("#inbox li").length === 40);
  }));

test("the review queue: an editor approves one post and sends another back", () =>
  withPage("review", async (page) => {
    const one = await submittedPost("Godkänn mig", daysFromNow(3, 9).toISOString().replace(/\.000/, ""));
    const two = await submittedPost("Avvisa mig", daysFromNow(4, 9).toISOString().replace(/\.000/, ""));
    await openDesk(page);
    await page.waitForSelector("#nav-review");
    await page.click("#nav-review");
    await page.waitForSelector(`#review li[data-id="${two.id}"]`);
    await noViolations(page);
    // A rejection without a reason is refused by the server, and told.
    const item2 = page.locator(`#review li[data-id="${two.id}"]`);
    await item2.locator("button.reject").click();
    await page.waitForFunction((id) => document.querySelector(`#review li[data-id="${id}"] .problem`)
      .textContent.startsWith("Not rejected: "), two.id);
    await item2.locator("textarea").fill("Nämn datumet");
    await item2.locator("button.reject").click();
    await page.waitForSelector(`#review li[data-id="${two.id}"]`, { state: "detached" });
    await page.locator(`#review li[data-id="${one.id}"] button.approve`).click();
    await page.waitForSelector(`#review li[data-id="${one.id}"]`, { state: "detached" });
    assert.equal((await admin("GET", `/workspaces/1/posts/${one.id}`)).body.status, "approved");
    const back = (await admin("GET", `/workspaces/1/posts/${two.id}/review`)).body;
    assert.equal(back.status, "draft");
    assert.equal(back.reject_reason, "Nämn datumet");
  }));

test("the calendar: a week of posts, drag to reschedule, click opens the post", () =>
  withPage("calendar", async (page) => {
    // Two days ahead at 12:00 UTC, approved and scheduled.
    const at = daysFromNow(2, 12);
    const post = await submittedPost("Flytta mig", at.toISOString().replace(/\.000/, ""));
    assert.equal((await admin("POST", `/workspaces/1/posts/${post.id}/approve`, {})).body.status, "approved");
    assert.equal((await admin("POST", `/workspaces/1/posts/${post.id}/schedule`, {})).status, 200);
    const day = at.toISOString().slice(0, 10);
    await openDesk(page);
    await page.waitForSelector("#nav-calendar");
    await page.goto(`${base}/#/1/calendar?view=week&date=${day}`);
    const ev = page.locator(".fc-event", { hasText: "Flytta mig" });
    await ev.waitFor();
    // Shown at its time in the workspace's zone (Stockholm).
    const local = new Intl.DateTimeFormat("en-US", { timeZone: "Europe/Stockholm", hour: "numeric",
      minute: "2-digit" }).format(at).split(" ")[0];
    assert.ok((await ev.textContent()).startsWith(local), local);
    await noViolations(page);
    // Drag it one day on (or back, at the week's end).
    const cols = await page.$$eval(".fc-timegrid-col[data-date]", (cs) => cs.map((c) => c.dataset.date));
    const i = cols.indexOf(day);
    const target = cols[i + 1] ?? cols[i - 1];
    const shift = cols[i + 1] ? 1 : -1;
    await ev.scrollIntoViewIfNeeded();
    const from = await ev.boundingBox();
    const col = await page.locator(`.fc-timegrid-col[data-date="${target}"]`).boundingBox();
    await page.mouse.move(from.x + from.width / 2, from.y + 5);
    await page.mouse.down();
    await page.mouse.move(from.x + from.width / 2 + 10, from.y + 5, { steps: 3 });
    await page.mouse.move(col.x + col.width / 2, from.y + 5, { steps: 8 });
    await page.mouse.up();
    const want = new Date(at.getTime() + shift * 86400e3).toISOString().replace(/\.000/, "");
    let stored;
    for (let n = 0; n < 50; n++) {
      stored = (await admin("GET", `/workspaces/1/posts/${post.id}`)).body.variants[0].scheduled_at;
      if (stored === want) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(stored, want);
    // The month view, in the URL too; a move into the past is refused by
    // the server, told, and the post stays where it was.
    await page.click(".fc-dayGridMonth-button");
    await page.waitForURL(/view=month/);
    const today = new Date().toISOString().slice(0, 10);
    const firstCell = await page.$eval(".fc-daygrid-day[data-date]", (d) => d.dataset.date);
    if (firstCell < today) {
      const mev = page.locator(".fc-event", { hasText: "Flytta mig" });
      await mev.scrollIntoViewIfNeeded();
      const a = await mev.boundingBox();
      const cell = await page.locator(`.fc-daygrid-day[data-date="${firstCell}"]`).boundingBox();
      await page.mouse.move(a.x + 5, a.y + a.height / 2);
      await page.mouse.down();
      await page.mouse.move(a.x + 15, a.y + a.height / 2, { steps: 3 });
      await page.mouse.move(cell.x + cell.width / 2, cell.y + cell.height / 2, { steps: 8 });
      await page.mouse.up();
      await page.waitForFunction(() => /^Not moved: /.test(document.querySelector("main .problem")?.textContent || ""));
      assert.equal((await admin("GET", `/workspaces/1/posts/${post.id}`)).body.variants[0].scheduled_at, want);
      await noViolations(page);
    }
    // The list view: the same posts as text, in the URL too.
    await page.click(".fc-listWeek-button");
    await page.waitForURL(/view=list/);
    await page.waitForSelector(".fc-list-event");
    await noViolations(page);
    // Enter on it (a click too) opens the post.
    await page.locator(".fc-event", { hasText: "Flytta mig" }).focus();
    await page.keyboard.press("Enter");
    await page.waitForURL(new RegExp(`#/1/posts/${post.id}$`));
    assert.equal(await page.textContent("#post-title"), "Flytta mig");
    assert.equal(await page.title(), `Post ${post.id} · Pensionsverket (demo) · kanal`);
    await noViolations(page);
    // The keyboard's way to move it: a new time in Stockholm's wall clock.
    const input = page.locator(".reschedule input");
    assert.equal(await input.inputValue(), new Intl.DateTimeFormat("sv-SE", { timeZone: "Europe/Stockholm",
      dateStyle: "short", timeStyle: "short" }).format(new Date(want)).replace(" ", "T"));
    const later = new Date(Date.parse(want) + 3600e3);
    await input.fill(new Intl.DateTimeFormat("sv-SE", { timeZone: "Europe/Stockholm", dateStyle: "short",
      timeStyle: "short" }).format(later).replace(" ", "T"));
    await input.press("Enter");
    await page.waitForSelector("#post-title ~ .done:not(:empty)");
    assert.equal((await admin("GET", `/workspaces/1/posts/${post.id}`)).body.variants[0].scheduled_at,
      later.toISOString().replace(/\.000/, ""));
    // The past is refused with the server's words.
    await page.locator(".reschedule input").fill("2020-01-01T10:00");
    await page.locator(".reschedule input").press("Enter");
    await page.waitForFunction(() => /^Not moved: .*past/.test(document.querySelector(".reschedule .problem").textContent));
  }));
