// bench/web: every page of the desk on the bench data (bench/web-data.py:
// 100,000 posts, 5,000,000 metric snapshots, 10,000,000 messages), in
// headless Chromium (Debian's, through playwright-core, as the browser
// tests drive it), timed by the browser's own performance marks: each page
// marks "kanal:ready:VIEW" when it has drawn the data it loaded (web/ui.js
// useReady). Per page and round:
//   - first render: a fresh browser context (no cache) opens the page's
//     URL; the time is the ready mark's startTime, i.e. from the
//     navigation's start to the data on the page;
//   - filter change: the page's filter is changed in the page right after
//     a "kanal:filter" mark; the time is from that mark to the next ready
//     mark (the new data drawn).
// Prints the median and spread of ROUNDS rounds per page against the
// targets (1 s, 200 ms), after one unmeasured round that warms the
// server's and the OS's caches, beside the machine's floor in the same
// rounds (the sign-in page, which loads no data). Numbers, never pass/fail.
//
// --pages calendar,review measures only those pages; --posts-only builds
// (and reuses) bench/web-data.py's data set of posts alone, in seconds,
// at build/bench-web/posts.db unless --db says otherwise: what the
// calendar and review read. --raw prints every round's times as JSON too,
// for comparing two builds run in turn (see docs/web-desk.md).
//
// usage: node bench/web.mjs [--kanal build/kanal] [--db build/bench-web/kanal.db] [--rounds 5]
//                          [--scale 1] [--pages a,b] [--posts-only] [--raw]
import { spawn, execFileSync } from "node:child_process";
import { openSync, readFileSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { chromium } from "playwright-core";

const arg = (name, fallback) => {
  const i = process.argv.indexOf("--" + name);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const flag = (name) => process.argv.includes("--" + name);
const KANAL = arg("kanal", "build/kanal");
const POSTS_ONLY = flag("posts-only");
const DB = arg("db", POSTS_ONLY ? "build/bench-web/posts.db" : "build/bench-web/kanal.db");
const ONLY = arg("pages", null)?.split(",");
const ROUNDS = Number(arg("rounds", "5"));
const SCALE = arg("scale", "1"); // of the data set, when it is built
const EMAIL = "web-bench@example.org", PASSWORD = "web bench password 123";
const FIRST_MS = 1000, FILTER_MS = 200;

// Each page at a URL with data in it (the bench's half year ends on
// 2026-11-01), and the filter a person would change there. `change` runs
// in the page; null: the page has no filter.
const MONTH = "since=2026-10-01&until=2026-10-31";
const select = (sel, value) => ({ sel, value, kind: "select" });
const ALL_PAGES = [
  { view: "dashboard", url: `dashboard?${MONTH}`, change: select("#f-channel", "2"), what: "channel 2" },
  { view: "channels", url: "channels", change: null },
  { view: "inbox", url: "inbox", change: select("#f-status", "closed"), what: "status: closed" },
  { view: "calendar", url: "calendar?view=week&date=2026-10-05", change: { sel: ".fc-prev-button", kind: "click" }, what: "previous week" },
  { view: "review", url: "review", change: null },
  { view: "listening", url: "listening", change: select("#lf-sentiment", "neg"), what: "sentiment: negative" },
  { view: "analytics", url: `analytics?${MONTH}`, change: select("#a-channel", "2"), what: "channel 2" },
  { view: "links", url: "links", change: select("#f-channel", "2"), what: "channel 2" },
  // The Users part is what Administration opens on; the filter is the
  // audit log's (its part opened, unmeasured, before the change).
  { view: "admin", url: "admin", change: { sel: "#af-action", value: "create", kind: "input" },
    before: "admin?section=audit", what: "audit action: create" },
];
const PAGES = ONLY ? ALL_PAGES.filter((p) => ONLY.includes(p.view)) : ALL_PAGES;

function startServer() {
  mkdirSync(dirname(DB), { recursive: true });
  const logPath = DB + ".serve.log";
  const log = openSync(logPath, "w");
  // A process group of its own (setsid), killed as a group at the end.
  const server = spawn(KANAL, ["serve", "--db", DB, "--listen", "127.0.0.1:0"], {
    stdio: ["ignore", log, log], detached: true,
    env: { ...process.env, KANAL_SECRET_KEY: "00".repeat(32) },
  });
  return { server, logPath };
}

async function listening(logPath) {
  for (let i = 0; i < 1200; i++) {
    const m = readFileSync(logPath, "utf8").match(/listening on (http:\/\/127\.0\.0\.1:\d+)\//);
    if (m) return m[1];
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error("kanal did not start: " + readFileSync(logPath, "utf8"));
}

async function signIn(base) {
  const res = await fetch(base + "/api/v1/session", {
    method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ email: EMAIL, password: PASSWORD }),
  });
  if (res.status !== 201) throw new Error(`sign-in: ${res.status} ${await res.text()}`);
  const [name, value] = res.headers.get("set-cookie").split(";")[0].split("=");
  return { name, value, url: base };
}

// The latest ready mark of the view after `since` (ms from time origin).
function waitReady(page, view, since) {
  return page.waitForFunction(([v, s]) => {
    const m = performance.getEntriesByName(`kanal:ready:${v}`).filter((e) => e.startTime > s);
    return m.length ? m[0].startTime : false;
  }, [view, since], { timeout: 60000, polling: "raf" }).then((h) => h.jsonValue());
}

async function round(browser, base, cookie, p) {
  const context = await browser.newContext({ locale: "en-GB", viewport: { width: 1280, height: 900 } });
  await context.addCookies([cookie]);
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  try {
    await page.goto(`${base}/#/1/${p.url}`);
    const first = await waitReady(page, p.view, -1);
    let filter = null;
    if (p.change) {
      let since = first;
      if (p.before) {
        await page.evaluate((h) => { location.hash = h; }, `#/1/${p.before}`);
        since = await waitReady(page, p.view, first);
      }
      await page.waitForSelector(p.change.sel);
      const start = await page.evaluate((c) => {
        const el = document.querySelector(c.sel);
        const mark = performance.mark("kanal:filter").startTime;
        if (c.kind === "click") el.click();
        else {
          el.value = c.value;
          el.dispatchEvent(new Event("change", { bubbles: true }));
        }
        return mark;
      }, p.change);
      const drawn = await waitReady(page, p.view, Math.max(start, since));
      filter = drawn - start;
    }
    if (errors.length) throw new Error(`${p.view}: ${errors.join("; ")}`);
    return { first, filter };
  } finally {
    await context.close();
  }
}

// The machine's floor in the same rounds: the sign-in page (a form and
// a small script, no API call) from navigation start to its load event.
async function floor(browser, base) {
  const context = await browser.newContext({ locale: "en-GB", viewport: { width: 1280, height: 900 } });
  try {
    const page = await context.newPage();
    await page.goto(`${base}/login`, { waitUntil: "load" });
    return await page.evaluate(() => performance.getEntriesByType("navigation")[0].loadEventEnd);
  } finally {
    await context.close();
  }
}

function stats(v) {
  const s = [...v].sort((a, b) => a - b);
  const n = s.length;
  const med = n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  return { med, min: s[0], max: s[n - 1] };
}

const fmt = (x) => (x == null ? "–" : `${Math.round(x)}`);
const cell = (st, target) => (st ? `${fmt(st.med)} (${fmt(st.min)}–${fmt(st.max)})`.padEnd(20) +
  (st.med <= target ? " ok  " : " MISS") : "–".padEnd(25));

async function main() {
  execFileSync("python3", ["bench/web-data.py", DB, "--kanal", KANAL, "--scale", SCALE,
    ...(POSTS_ONLY ? ["--posts-only"] : [])], { stdio: "inherit" });
  const { server, logPath } = startServer();
  let browser;
  try {
    const base = await listening(logPath);
    const cookie = await signIn(base);
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
      args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
    const times = new Map(PAGES.map((p) => [p.view, { first: [], filter: [] }]));
    const floors = [];
    for (let r = 0; r <= ROUNDS; r++) {
      const f = await floor(browser, base);
      if (r > 0) floors.push(f);
      for (const p of PAGES) {
        const got = await round(browser, base, cookie, p);
        if (r === 0) continue; // warm-up, not counted
        times.get(p.view).first.push(got.first);
        if (got.filter != null) times.get(p.view).filter.push(got.filter);
      }
      process.stderr.write(r === 0 ? "warm-up round done\n" : `round ${r}/${ROUNDS} done\n`);
    }
    console.log(`\nbench/web: ${ROUNDS} rounds (after one warm-up), headless Chromium, ms: median (min–max)`);
    console.log(`${"page".padEnd(10)} ${"first render".padEnd(25)} ${"filter change".padEnd(25)} filter changed`);
    console.log(`${"".padEnd(10)} ${"target 1000".padEnd(25)} ${"target 200".padEnd(25)}`);
    console.log(`${"(floor)".padEnd(10)} ${cell(stats(floors), FIRST_MS)} ${"".padEnd(25)} the sign-in page's load event, no data`);
    for (const p of PAGES) {
      const t = times.get(p.view);
      console.log(`${p.view.padEnd(10)} ${cell(stats(t.first), FIRST_MS)} ${cell(t.filter.length ? stats(t.filter) : null, FILTER_MS)} ${p.what || "(no filter on this page)"}`);
    }
    if (flag("raw"))
      console.log(JSON.stringify({ kanal: KANAL, floor: floors, ...Object.fromEntries(times) }));
  } finally {
    await browser?.close();
    try { process.kill(-server.pid, "SIGTERM"); } catch { /* gone already */ }
    await new Promise((r) => (server.exitCode != null ? r() : server.on("exit", r)));
  }
}

main().catch((e) => { console.error("bench/web:", e.message); process.exitCode = 1; });
