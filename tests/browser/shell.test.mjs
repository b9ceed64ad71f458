// The web shell in a real browser: Debian's Chromium, headless, driven by
// playwright-core, against the built kanal serving a demo database.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";

const KANAL = process.env.KANAL_BIN || "build/kanal";
const dir = mkdtempSync(join(tmpdir(), "kanal-browser-"));
const db = join(dir, "kanal.db");
const logPath = join(dir, "serve.log");
let server, base, browser;

async function startServer() {
  const { openSync } = await import("node:fs");
  const log = openSync(logPath, "w");
  server = spawn(KANAL, ["serve", "--db", db, "--listen", "127.0.0.1:0"], {
    stdio: ["ignore", log, log],
  });
  for (let i = 0; i < 300; i++) {
    const m = readFileSync(logPath, "utf8").match(/listening on (http:\/\/127\.0\.0\.1:\d+)\//);
    if (m) return m[1];
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error("kanal did not start: " + readFileSync(logPath, "utf8"));
}

before(async () => {
  execFileSync(KANAL, ["demo", "--db", db, "--end", "2026-11-01", "--days", "60"]);
  base = await startServer();
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
});

after(async () => {
  await browser?.close();
  server.kill("SIGTERM");
  const code = await new Promise((r) => server.on("exit", r));
  const log = readFileSync(logPath, "utf8");
  assert.equal(code, 0, log);
  assert.ok(!/Sanitizer|runtime error:/.test(log), log);
});

async function signIn(page, password = "kanal-demo-password") {
  await page.goto(base + "/");
  await page.waitForURL(base + "/login");
  await page.fill("#email", "demo@kanal.local");
  await page.fill("#password", password);
  await page.click("button[type=submit]");
}

test("signing in shows the demo's channels and recent posts", async () => {
  const page = await browser.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await signIn(page);
  await page.waitForURL(base + "/");
  await page.waitForSelector("#posts li");
  const rows = await page.$$eval("#channels tbody tr", (trs) =>
    trs.map((tr) => [...tr.children].map((td) => td.textContent)));
  assert.equal(rows.length, 9);
  const platforms = new Set(rows.map((r) => r[0]));
  for (const p of ["facebook", "instagram", "x", "linkedin", "tiktok", "youtube"])
    assert.ok(platforms.has(p), p);
  assert.equal(await page.locator("#posts li").count(), 20);
  assert.match(await page.textContent("#who"), /demo@kanal\.local \(admin\)/);
  assert.match(await page.textContent("#posts li .meta"), / · .+\((facebook|instagram|x|linkedin|tiktok|youtube)\)/);
  mkdirSync("build/browser", { recursive: true });
  await page.screenshot({ path: "build/browser/desk.png", fullPage: false });
  await page.click("#more");
  await page.waitForFunction(() => document.querySelectorAll("#posts li").length === 40);
  assert.deepEqual(errors, []);
  await page.close();
});

test("a wrong password is told, and nothing opens", async () => {
  const page = await browser.newPage();
  await signIn(page, "not the password");
  await page.waitForFunction(() => document.getElementById("error").textContent.length > 0);
  assert.equal(await page.textContent("#error"), "wrong email or password");
  assert.equal(page.url(), base + "/login");
  await page.close();
});

test("text from the API is shown as text, never run as HTML", async () => {
  const page = await browser.newPage();
  await signIn(page);
  await page.waitForSelector("#channels tbody tr");
  const created = await page.evaluate(async () => {
    const s = await (await fetch("/api/v1/session")).json();
    const r = await fetch("/api/v1/workspaces/1/channels", {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": s.csrf_token },
      body: JSON.stringify({ platform: "other", handle: "xss",
        name: "<img src=x onerror=\"window.pwned=1\">" }),
    });
    return r.status;
  });
  assert.equal(created, 201);
  await page.reload();
  await page.waitForFunction(() => document.querySelectorAll("#channels tbody tr").length === 10);
  assert.equal(await page.evaluate(() => window.pwned), undefined);
  assert.equal(await page.locator("#channels img").count(), 0);
  const names = await page.$$eval("#channels tbody tr td:nth-child(2)", (t) => t.map((x) => x.textContent));
  assert.ok(names.includes("<img src=x onerror=\"window.pwned=1\">"));
  await page.close();
});

test("the inbox filters messages and a moderator's corrections are kept", async () => {
  const page = await browser.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await signIn(page);
  await page.waitForSelector("#inbox li");
  // Open messages to the organisation, newest first, 20 a page.
  assert.equal(await page.locator("#inbox li").count(), 20);
  const api = (path, method = "GET", body) => page.evaluate(async ([path, method, body]) => {
    const s = await (await fetch("/api/v1/session")).json();
    const r = await fetch("/api/v1/workspaces/1" + path, {
      method, body: body && JSON.stringify(body),
      headers: { "Content-Type": "application/json", "X-CSRF-Token": s.csrf_token },
    });
    return r.json();
  }, [path, method, body]);
  const open = await api("/messages?own=false&status=open&limit=20");
  assert.deepEqual(await page.$$eval("#inbox li", (lis) => lis.map((li) => Number(li.dataset.id))),
    open.items.map((m) => m.id));
  assert.ok(open.items.every((m) => !m.is_own && m.status === "open"));
  // Only the negative ones.
  await page.selectOption("#f-sentiment", "neg");
  await page.waitForFunction(() => [...document.querySelectorAll("#inbox li")].every(
    (li) => li.className === "sent-neg") && document.querySelectorAll("#inbox li").length > 0);
  const negIds = await page.$$eval("#inbox li", (lis) => lis.map((li) => Number(li.dataset.id)));
  const neg = await api("/messages?own=false&status=open&sentiment=neg&limit=20");
  assert.deepEqual(negIds, neg.items.map((m) => m.id));
  // A moderator corrects the first one to neutral: stored, and counted as a
  // correction the workspace's learner learned from.
  const first = negIds[0];
  const li = page.locator(`#inbox li[data-id="${first}"]`);
  await li.locator("select").first().selectOption("neu");
  await page.waitForFunction((id) =>
    document.querySelector(`#inbox li[data-id="${id}"]`).className === "sent-neu", first);
  const after = await api(`/messages/${first}`);
  assert.equal(after.sentiment, "neu");
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
  const wsTags = await api("/tags?limit=200");
  assert.deepEqual(tags.slice(1), wsTags.items.map((t) => t.name));
  mkdirSync("build/browser", { recursive: true });
  await page.screenshot({ path: "build/browser/inbox.png", fullPage: false });
  assert.deepEqual(errors, []);
  await page.close();
});
