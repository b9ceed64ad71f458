// A filtered list never shows an older, slower answer over a newer one:
// the audit log opened unfiltered, its first answer held back by the
// network, and a filter set before it arrives. When the held answer comes,
// the rows stay those of the filter (read back through the API).
import { test } from "node:test";
import assert from "node:assert/strict";
import { admin, base, openDesk, useDesk, withPage } from "./harness.mjs";

useDesk();

test("a slow answer to an older filter does not draw over the newer one", () =>
  withPage("stale-audit", async (page) => {
    await openDesk(page);
    let release;
    const held = new Promise((ok) => { release = ok; });
    let delivered;
    const done = new Promise((ok) => { delivered = ok; });
    // Only the unfiltered first page is held back.
    await page.route((url) => url.pathname === "/api/v1/audit" && !url.searchParams.has("entity"), async (route) => {
      const res = await route.fetch();
      await held;
      await route.fulfill({ response: res });
      delivered();
    });
    await page.goto(`${base}/#/1/admin?section=audit`);
    await page.waitForSelector("#af-entity");
    await page.fill("#af-entity", "workspace");
    await page.press("#af-entity", "Enter");
    await page.waitForURL(/entity=workspace/);
    const want = (await admin("GET", "/audit?entity=workspace&limit=50")).body.items;
    const all = (await admin("GET", "/audit?limit=50")).body.items;
    assert.ok(want.length > 0 && all.length > want.length, `${want.length} of ${all.length}`);
    const ids = () => page.$$eval("#audit tbody tr", (xs) => xs.map((x) => Number(x.dataset.id)));
    await page.waitForFunction((n) => document.querySelectorAll("#audit tbody tr").length === n, want.length);
    assert.deepEqual(await ids(), want.map((a) => a.id));
    // Now the older answer arrives; two frames later the rows are unchanged.
    release();
    await done;
    await page.evaluate(() => new Promise((ok) => requestAnimationFrame(() => requestAnimationFrame(ok))));
    assert.deepEqual(await ids(), want.map((a) => a.id));
  }));
