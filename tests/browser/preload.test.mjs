// web/index.html preloads every module the desk imports (app.js and what
// it imports, all the way down), so the browser asks for them at once
// instead of one import level after another; a module added without its
// preload line is named here.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";

function imported() {
  const seen = new Set();
  const queue = ["app.js"];
  while (queue.length) {
    const f = queue.shift();
    if (seen.has(f)) continue;
    seen.add(f);
    if (f.startsWith("vendor/")) continue; // built from npm; imports nothing of ours
    const src = readFileSync(`web/${f}`, "utf8");
    for (const m of src.matchAll(/^(?:import|export)\s[^;]*?\sfrom\s+"\/([^"]+)"/gms)) queue.push(m[1]);
  }
  seen.delete("app.js");
  return [...seen].sort();
}

test("index.html preloads exactly the modules the desk imports", () => {
  const html = readFileSync("web/index.html", "utf8");
  const preloaded = [...html.matchAll(/<link rel="modulepreload" href="\/([^"]+)">/g)].map((m) => m[1]).sort();
  const want = imported();
  assert.ok(want.length > 10, want.join(" "));
  assert.deepEqual(preloaded, want);
});
