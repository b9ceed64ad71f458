// The desk's translations: every key in all three languages, none empty,
// the same {placeholders} in each, and every key the code asks for exists.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";

const langs = ["en", "sv", "fi"];
const files = Object.fromEntries(langs.map((l) =>
  [l, JSON.parse(readFileSync(`web/i18n/${l}.json`, "utf8"))]));

test("every key exists in sv, fi and en, with the same placeholders", () => {
  const keys = Object.keys(files.en).sort();
  assert.ok(keys.length > 50);
  for (const l of langs) {
    assert.deepEqual(Object.keys(files[l]).sort(), keys, l);
    for (const k of keys) {
      assert.ok(files[l][k].trim(), `${l}: ${k} is empty`);
      const holes = (s) => (s.match(/\{\w+\}/g) || []).sort();
      assert.deepEqual(holes(files[l][k]), holes(files.en[k]), `${l}: ${k}`);
    }
  }
});

test("every key the desk's code asks for is translated", () => {
  const code = readdirSync("web").filter((f) => f.endsWith(".js"))
    .map((f) => readFileSync(`web/${f}`, "utf8")).join("\n");
  // A key ending in a dot is a prefix (t("listen.kind." + k)): listed below.
  const asked = new Set([...code.matchAll(/\bt\("([a-zA-Z]+\.[a-zA-Z_.]+)"/g)].map((m) => m[1])
    .filter((k) => !k.endsWith(".")));
  // Keys built from a prefix and a value (t("status." + s)) are listed by
  // what the API can answer.
  const built = { status: ["open", "assigned", "answered", "closed", "hidden", "draft", "in_review",
    "approved", "scheduled", "published", "failed"], sentiment: ["pos", "neu", "neg"],
  kind: ["comment", "reply", "mention", "dm", "review"], state: ["not_connected", "connected",
    "needs_reconnect", "paused"], role: ["admin", "editor", "author", "moderator", "analyst"],
  lang: langs, nav: ["dashboard", "channels", "inbox", "calendar", "review", "analytics", "links", "admin"],
  clicksBy: ["link", "campaign", "channel", "post", "day", "advocate"],
  admin: ["users", "tokens", "workspaces", "channels", "campaigns", "tags", "audit"],
  purpose: ["reach", "dialogue", "conversion", "paid"],
  tagKind: ["theme", "topic", "audience", "other"],
  grouping: ["channel", "platform", "campaign", "format", "tag", "day", "week", "month", "none"],
  "listen.kind": ["feed", "html", "sitemap", "mastodon_tag", "mastodon_public"],
  "listen.selector": ["item", "title", "link", "time", "author"],
  "listen.mode": ["each", "hourly", "daily", "spike_volume", "spike_negative"],
  "listen.modeHelp": ["each", "hourly", "daily", "spike_volume", "spike_negative"],
  "listen.via": ["in_app", "email", "webhook"] };
  for (const [p, vs] of Object.entries(built)) for (const v of vs) asked.add(`${p}.${v}`);
  assert.ok(asked.size > 50);
  for (const k of asked) assert.ok(k in files.en, `${k} is used but not in web/i18n/en.json`);
});
