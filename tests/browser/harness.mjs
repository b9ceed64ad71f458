// What every browser test file shares: a demo database, kanal serving it
// (with the Bluesky fake beside it), headless Chromium, and the helpers that
// open the desk as a user would. A test file calls useDesk() once at its top;
// each file runs in a process of its own with a server of its own. A failing
// test leaves its screenshot in build/browser/.
import { before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, mkdirSync, openSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";

export const KANAL = process.env.KANAL_BIN || "build/kanal";
export const dir = mkdtempSync(join(tmpdir(), "kanal-browser-"));
export const db = join(dir, "kanal.db");
const logPath = join(dir, "serve.log");
const AXE = readFileSync("node_modules/axe-core/axe.min.js", "utf8");
export const PASSWORD = "kanal-demo-password";
export const AUTHOR = { email: "author@kanal.local", password: "a long author password 1" };
export const X_CONSENT = "http://127.0.0.1:9/i/oauth2/authorize";
let server, bluesky;
export let base, browser, blueskyUrl, admin;

// Bluesky's fake (tests/fakes/bluesky.py): it has no consent page, so the
// desk asks for the handle and an app password and kanal sends them there.
async function startBluesky() {
  bluesky = spawn("python3", ["tests/fakes/bluesky.py"], { stdio: ["ignore", "pipe", "ignore"] });
  const line = await new Promise((resolve, reject) => {
    bluesky.stdout.once("data", (d) => resolve(String(d)));
    bluesky.once("exit", () => reject(new Error("the Bluesky fake did not start")));
  });
  return "http://127.0.0.1:" + line.match(/listening (\d+)/)[1];
}

async function startServer() {
  const log = openSync(logPath, "w");
  // X is configured (its consent page is answered by the test itself, see
  // the channels test); Facebook is not, so both answers are seen.
  server = spawn(KANAL, ["serve", "--db", db, "--listen", "127.0.0.1:0"], {
    stdio: ["ignore", log, log],
    env: { ...process.env, KANAL_SECRET_KEY: "00".repeat(32), KANAL_PUBLIC_URL: "http://127.0.0.1:1",
      KANAL_X_CLIENT_ID: "desk-test", KANAL_X_AUTH_URL: X_CONSENT,
      KANAL_BLUESKY_API_URL: blueskyUrl },
  });
  for (let i = 0; i < 300; i++) {
    const m = readFileSync(logPath, "utf8").match(/listening on (http:\/\/127\.0\.0\.1:\d+)\//);
    if (m) return m[1];
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error("kanal did not start: " + readFileSync(logPath, "utf8"));
}

// The API as another person: a session of their own, from Node.
export async function client(email, password) {
  const res = await fetch(base + "/api/v1/session", {
    method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ email, password }),
  });
  const text = await res.text();
  assert.equal(res.status, 201, text);
  const cookie = res.headers.get("set-cookie").split(";")[0];
  const { csrf_token: csrf } = JSON.parse(text);
  const call = async (method, path, body) => {
    const r = await fetch(base + "/api/v1" + path, {
      method, body: body === undefined ? undefined : JSON.stringify(body),
      headers: { "Content-Type": "application/json", Cookie: cookie, "X-CSRF-Token": csrf },
    });
    return { status: r.status, body: await r.json() };
  };
  call.cookie = cookie;
  return call;
}

export function useDesk() {
  before(async () => {
    execFileSync(KANAL, ["demo", "--db", db, "--end", "2026-11-01", "--days", "60"]);
    execFileSync(KANAL, ["user", "add", "--db", db, "--email", AUTHOR.email, "--role", "author",
      "--password-stdin"], { input: AUTHOR.password + "\n" });
    blueskyUrl = await startBluesky();
    base = await startServer();
    admin = await client("demo@kanal.local", PASSWORD);
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
      args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
  });

  after(async () => {
    await browser?.close();
    bluesky?.kill("SIGTERM");
    server.kill("SIGTERM");
    const code = await new Promise((r) => server.on("exit", r));
    const log = readFileSync(logPath, "utf8");
    assert.equal(code, 0, log);
    assert.ok(!/Sanitizer|runtime error:/.test(log), log);
  });
}

// A fresh page (English unless told) that records script errors and CSP
// violations; on failure its screenshot is kept.
export async function withPage(name, fn, { locale = "en-GB" } = {}) {
  const context = await browser.newContext({ locale, viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const problems = [];
  page.on("pageerror", (e) => problems.push(`script error: ${e.message}`));
  page.on("console", (m) => {
    if (/Content Security Policy/.test(m.text())) problems.push(`CSP: ${m.text()}`);
  });
  try {
    await fn(page);
    assert.deepEqual(problems, []);
  } catch (e) {
    mkdirSync("build/browser", { recursive: true });
    await page.screenshot({ path: `build/browser/fail-${name}.png`, fullPage: true }).catch(() => {});
    throw e;
  } finally {
    await context.close();
  }
}

export async function signIn(page, password = PASSWORD, email = "demo@kanal.local") {
  await page.goto(base + "/");
  await page.waitForURL(base + "/login");
  await page.fill("#email", email);
  await page.fill("#password", password);
  await page.click("button[type=submit]");
}

// The desk, signed in as the demo admin without the sign-in page (whose
// own test is above): each sign-in costs a password hash.
export async function openDesk(page) {
  const [name, value] = admin.cookie.split("=");
  await page.context().addCookies([{ name, value, url: base }]);
  await page.goto(base + "/");
  await page.waitForURL(/#\/1\/dashboard/);
}

// axe-core on the page as it is now: WCAG 2.1 A and AA.
export async function noViolations(page) {
  await page.evaluate(AXE + "\n;0");
  const found = await page.evaluate(async () => {
    const r = await window.axe.run(document, { runOnly: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] });
    return r.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).slice(0, 3).join(", ")}`);
  });
  assert.deepEqual(found, []);
}

// A post by the author for channel 3 (X) at a time, submitted for review.
export async function submittedPost(title, at) {
  const author = await client(AUTHOR.email, AUTHOR.password);
  const r = await author("POST", "/workspaces/1/posts", { title, body: `${title}: ny information`,
    variants: [{ channel_id: 3, scheduled_at: at }] });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  assert.equal((await author("POST", `/workspaces/1/posts/${r.body.id}/submit`, {})).body.status, "in_review");
  return r.body;
}

export function daysFromNow(n, hourUtc) {
  const d = new Date();
  d.setUTCDate(d.getUTCDate() + n);
  d.setUTCHours(hourUtc, 0, 0, 0);
  return d;
}
