// Deleting a channel and a workspace from Administration, as an
// administrator does it with the keyboard: the dialog names what goes and
// starts on Cancel; an empty one is deleted, one that holds posts or
// messages is kept and the dialog shows the server's reason. Each result
// is read back through the API.
import { test } from "node:test";
import assert from "node:assert/strict";
import { admin, noViolations, openDesk, useDesk, withPage, base } from "./harness.mjs";

useDesk();

// Opens the row's delete dialog from the keyboard and answers it.
async function deleteRow(page, table, id, dialog) {
  await page.focus(`#${table} tr[data-id="${id}"] button.delete`);
  await page.keyboard.press("Enter");
  await page.waitForSelector(`#${dialog}[open]`);
  // Cancel has the focus: a stray Enter keeps everything.
  assert.equal(await page.evaluate(() => document.activeElement.id), `${dialog}-cancel`);
}

test("an empty channel is deleted; one with posts and messages is kept with the server's reason", () =>
  withPage("admin-delete-channel", async (page) => {
    const made = await admin("POST", "/workspaces/1/channels", { platform: "other", handle: "gone-soon", name: "Gone soon" });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    const channels = (await admin("GET", "/workspaces/1/channels?limit=200")).body.items;
    // A demo channel that holds messages (the demo fills every channel it makes).
    const full = channels.find((c) => c.id !== made.body.id);
    const held = (await admin("GET", `/workspaces/1/messages?channel=${full.id}&limit=1`)).body.items.length;
    assert.equal(held, 1, "the demo channel holds messages");
    await openDesk(page);
    await page.goto(`${base}/#/1/admin?section=channels`);
    await page.waitForSelector(`#channels-admin tr[data-id="${made.body.id}"]`);

    await deleteRow(page, "channels-admin", made.body.id, "delete-channel");
    assert.match(await page.textContent("#delete-channel-title"), /Delete the channel Gone soon\?/);
    assert.match(await page.textContent("#delete-channel-what"), /Gone soon \(other, gone-soon\) in .*cannot be undone/);
    await noViolations(page);
    await page.keyboard.press("Shift+Tab");
    assert.equal(await page.evaluate(() => document.activeElement.id), "delete-channel-confirm");
    await page.keyboard.press("Enter");
    await page.waitForSelector("#delete-channel", { state: "detached" });
    await page.waitForSelector(`#channels-admin tr[data-id="${made.body.id}"]`, { state: "detached" });
    assert.match(await page.textContent("section p.done"), /Deleted the channel Gone soon\./);
    assert.equal((await admin("GET", `/workspaces/1/channels/${made.body.id}`)).status, 404);

    await deleteRow(page, "channels-admin", full.id, "delete-channel");
    await page.keyboard.press("Shift+Tab");
    await page.keyboard.press("Enter");
    await page.waitForFunction(() => document.querySelector("#delete-channel-error")?.textContent);
    assert.match(await page.textContent("#delete-channel-error"),
      new RegExp(`^Nothing was deleted: channel ${full.id} still holds \\d+ posts? and \\d+ messages?; deleting it would delete them too`));
    await noViolations(page);
    await page.keyboard.press("Escape");
    await page.waitForSelector("#delete-channel", { state: "detached" });
    assert.equal((await admin("GET", `/workspaces/1/channels/${full.id}`)).status, 200);
    assert.equal((await admin("GET", `/workspaces/1/messages?channel=${full.id}&limit=1`)).body.items.length, 1);
  }));

test("an empty workspace is deleted and leaves the switcher; the demo's is kept", () =>
  withPage("admin-delete-workspace", async (page) => {
    const made = await admin("POST", "/workspaces", { name: "Tillfällig", slug: "tillfallig" });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    await openDesk(page);
    await page.goto(`${base}/#/1/admin?section=workspaces`);
    await page.waitForSelector(`#workspaces tr[data-id="${made.body.id}"]`);
    assert.equal(await page.locator(`#workspace option[value="${made.body.id}"]`).count(), 1);

    await deleteRow(page, "workspaces", made.body.id, "delete-workspace");
    assert.match(await page.textContent("#delete-workspace-what"), /Tillfällig \(tillfallig\)/);
    await noViolations(page);
    await page.keyboard.press("Shift+Tab");
    await page.keyboard.press("Enter");
    await page.waitForSelector(`#workspaces tr[data-id="${made.body.id}"]`, { state: "detached" });
    assert.match(await page.textContent("section p.done"), /Deleted the workspace Tillfällig\./);
    assert.equal((await admin("GET", `/workspaces/${made.body.id}`)).status, 404);
    await page.waitForSelector(`#workspace option[value="${made.body.id}"]`, { state: "detached" });

    await deleteRow(page, "workspaces", 1, "delete-workspace");
    await page.keyboard.press("Shift+Tab");
    await page.keyboard.press("Enter");
    await page.waitForFunction(() => document.querySelector("#delete-workspace-error")?.textContent);
    assert.match(await page.textContent("#delete-workspace-error"), /^Nothing was deleted: workspace 1 still holds \d+ posts and \d+ messages/);
    await page.click("#delete-workspace-cancel");
    await page.waitForSelector("#delete-workspace", { state: "detached" });
    assert.equal((await admin("GET", "/workspaces/1")).status, 200);
  }));

test("the dialog is in Swedish and Finnish too", () => Promise.all([["sv-SE", /Ta bort kanalen/], ["fi-FI", /Poistetaanko kanava/]]
  .map(([locale, title]) => withPage(`admin-delete-${locale}`, async (page) => {
    const id = (await admin("GET", "/workspaces/1/channels?limit=1")).body.items[0].id;
    await openDesk(page);
    await page.goto(`${base}/#/1/admin?section=channels`);
    await deleteRow(page, "channels-admin", id, "delete-channel");
    assert.match(await page.textContent("#delete-channel-title"), title);
    await noViolations(page);
  }, { locale }))));
