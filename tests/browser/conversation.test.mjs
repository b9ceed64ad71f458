// The inbox's conversation view in the browser: a message opened with its
// post, thread and the organisation's answer; a note for a colleague that
// @mentions her (and she is told); her presence seen ("is writing an
// answer") and the warning before answering over her; a saved reply
// inserted into the answer box and sent through the channel's connector;
// the inbox's keyboard shortcuts (j, k, a, e/c, r), listed in the frame's
// help and silent while typing in a field. axe-core on each state.
import { test } from "node:test";
import assert from "node:assert/strict";
import { useDesk, withPage, openDesk, noViolations, client, base, admin } from "./harness.mjs";

useDesk();

const ANNA = { email: "anna.lind@kanal.local", password: "a long moderator password 1" };

// The demo's answered messages: each has the organisation's own answer.
async function answered() {
  const list = (await admin("GET", "/workspaces/1/messages?status=answered&own=false&limit=5")).body.items;
  assert.ok(list.length > 0);
  return list[0];
}

test("a message's conversation: thread, a note that mentions, presence, a saved reply sent", () =>
  withPage("conversation", async (page) => {
    const made = await admin("POST", "/users", { email: ANNA.email, name: "Anna Lind", role: "moderator",
      password: ANNA.password });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    const anna = await client(ANNA.email, ANNA.password);
    const m = await answered();
    const conv = (await admin("GET", `/workspaces/1/messages/${m.id}/conversation`)).body;
    assert.ok(conv.answers.length > 0 && conv.post);
    const reply = await admin("POST", "/workspaces/1/saved-replies", { name: "tack", lang: "sv",
      body: "Hej {first_name}! Tack för att du skrev till {channel}." });
    assert.equal(reply.status, 201, JSON.stringify(reply.body));
    const rendered = (await admin("POST", `/workspaces/1/saved-replies/${reply.body.id}/render`,
      { message_id: m.id })).body.text;
    // Anna has it open and is writing before the admin opens it.
    assert.equal((await anna("POST", `/workspaces/1/messages/${m.id}/presence`, { state: "typing" })).status, 200);

    await openDesk(page);
    await page.goto(`${base}/#/1/inbox?status=answered&open=${m.id}`);
    await page.waitForSelector(`#conversation[data-id="${m.id}"]`);
    assert.equal(await page.textContent("#thread li.this p"), m.body);
    assert.equal(await page.locator("#thread li.own").count(), conv.answers.length);
    assert.equal(await page.textContent("#conv-post"), (conv.post.title ? conv.post.title + " " : "") + conv.post.body);
    assert.equal(await page.getAttribute(`#inbox li[data-id="${m.id}"]`, "aria-current"), "true");
    await page.waitForFunction(() => document.getElementById("conv-presence").textContent.trim() ===
      "Anna Lind is writing an answer.");
    // The admin's page beats too: Anna sees them.
    const othersOfAnna = async (state) =>
      (await anna("POST", `/workspaces/1/messages/${m.id}/presence`, { state })).body.others;
    const until = async (state, ok) => {
      let got = [];
      for (let i = 0; i < 50 && !ok(got = await othersOfAnna(state)); i++)
        await new Promise((r) => setTimeout(r, 100));
      return got;
    };
    const seen = await until("typing", (o) => o.length > 0);
    assert.deepEqual(seen.map((o) => [o.name, o.state]), [["Demo Admin", "viewing"]]);

    // A note that mentions Anna: shown, and she is told.
    await page.fill("#note-text", "@anna.lind kan du ta den här? Ring inte @okänd.");
    await page.click("form.note button[type=submit]");
    await page.waitForSelector("#notes li");
    assert.equal(await page.textContent("#notes li p"), "@anna.lind kan du ta den här? Ring inte @okänd.");
    assert.match(await page.textContent("form.note .said"), /^Note added; 1 colleague\(s\) told\. “@okänd” names nobody here\.$/);
    const told = (await anna("GET", "/notifications")).body.items.filter((n) => n.event === "mentioned");
    assert.equal(told.length, 1);
    assert.equal(told[0].message_id, m.id);
    await noViolations(page);

    // A saved reply into the answer box, sent over Anna's answer after the warning.
    await page.selectOption("#saved-reply", String(reply.body.id));
    await page.click("#insert-reply");
    await page.waitForFunction((want) => document.getElementById("conv-answer-text").value === want, rendered);
    assert.equal(await page.evaluate(() => document.activeElement.id), "conv-answer-text");
    const before = (await admin("GET", `/workspaces/1/channels/${m.channel_id}/actions`)).body.items.length;
    await page.click("#conversation button.send");
    await page.waitForSelector("#double-answer");
    assert.match(await page.textContent("#double-answer p"), /^Anna Lind is writing an answer to this too\./);
    assert.equal((await admin("GET", `/workspaces/1/channels/${m.channel_id}/actions`)).body.items.length, before);
    await noViolations(page);
    await page.click("#send-anyway");
    await page.waitForFunction(() => document.querySelector("#conversation .sent").textContent.startsWith("Answer queued"));
    assert.equal(await page.inputValue("#conv-answer-text"), "");
    const actions = (await admin("GET", `/workspaces/1/channels/${m.channel_id}/actions`)).body.items;
    assert.equal(actions.length, before + 1);
    assert.equal(actions[0].kind, "reply");
    assert.equal(actions[0].target, m.platform_id);
    assert.equal(actions[0].body.text, rendered);
    // The queued answer is shown in the conversation until the platform has it.
    await page.waitForSelector("#conversation ul.pending li");

    // Closing the conversation tells the others at once.
    await page.click(`#inbox li[data-id="${m.id}"] button.open`);
    await page.waitForFunction(() => !document.getElementById("conversation"));
    assert.deepEqual(await until("viewing", (o) => o.length === 0), []);
  }));

test("the inbox's keyboard: j and k open the next and previous, a assigns, e closes, r answers", () =>
  withPage("inbox-keys", async (page) => {
    const me = (await admin("GET", "/session")).body.user.id;
    await openDesk(page);
    await page.goto(`${base}/#/1/inbox`);
    await page.waitForSelector("#inbox li");
    const ids = await page.$$eval("#inbox li", (lis) => lis.map((li) => Number(li.dataset.id)));
    assert.ok(ids.length >= 3);
    const openIs = async (id) => {
      await page.waitForFunction((i) => new URLSearchParams(location.hash.split("?")[1]).get("open") === String(i) &&
        document.getElementById("conversation")?.dataset.id === String(i), id);
      assert.equal(await page.getAttribute(`#inbox li[data-id="${id}"]`, "aria-current"), "true");
    };
    await page.keyboard.press("j");
    await openIs(ids[0]);
    await page.keyboard.press("j");
    await openIs(ids[1]);
    await page.keyboard.press("j");
    await openIs(ids[2]);
    await page.keyboard.press("k");
    await openIs(ids[1]);
    await noViolations(page);

    await page.keyboard.press("a");
    await page.waitForFunction(() => document.getElementById("inbox-said").textContent === "Assigned to you.");
    let m = (await admin("GET", `/workspaces/1/messages/${ids[1]}`)).body;
    assert.equal(m.assigned_user_id, me);
    assert.equal(m.status, "assigned");

    // "g c" is the frame's way to Channels: it does not close the message.
    await page.keyboard.press("g");
    await page.keyboard.press("c");
    await page.waitForSelector('#nav-channels[aria-current="page"]');
    assert.equal((await admin("GET", `/workspaces/1/messages/${ids[1]}`)).body.status, "assigned");
    await page.goto(`${base}/#/1/inbox?status=any&open=${ids[1]}`);
    await openIs(ids[1]);

    // r: into the answer box, where letters are text, not shortcuts.
    await page.keyboard.press("r");
    await page.waitForFunction(() => document.activeElement.id === "conv-answer-text");
    await page.keyboard.type("jake");
    assert.equal(await page.inputValue("#conv-answer-text"), "jake");
    assert.equal((await admin("GET", `/workspaces/1/messages/${ids[1]}`)).body.status, "assigned");
    await openIs(ids[1]);
    await page.fill("#conv-answer-text", "");
    await page.locator("#conv-answer-text").blur();

    await page.keyboard.press("e");
    await page.waitForFunction(() => document.getElementById("inbox-said").textContent === "Closed.");
    m = (await admin("GET", `/workspaces/1/messages/${ids[1]}`)).body;
    assert.equal(m.status, "closed");
    // c closes too.
    await page.keyboard.press("j");
    await openIs(ids[2]);
    await page.keyboard.press("c");
    let status = "";
    for (let i = 0; i < 50 && status !== "closed"; i++) {
      await new Promise((r) => setTimeout(r, 100));
      status = (await admin("GET", `/workspaces/1/messages/${ids[2]}`)).body.status;
    }
    assert.equal(status, "closed");

    // The frame's help lists them.
    await page.keyboard.press("?");
    await page.waitForSelector("#help[open]");
    const help = await page.textContent("#help");
    for (const want of ["Next message", "Previous message", "Assign the open message to me",
      "Close the open message", "Write an answer to the open message"])
      assert.ok(help.includes(want), want);
    const keys = await page.$$eval('#help dl[aria-labelledby="help-inbox"] kbd', (ks) => ks.map((k) => k.textContent));
    assert.deepEqual(keys, ["j", "k", "a", "e", "c", "r"]);
    await noViolations(page);
    // Keys do nothing while the help is open.
    const hash = await page.evaluate(() => location.hash);
    await page.keyboard.press("j");
    assert.equal(await page.evaluate(() => location.hash), hash);
  }));
