// ui: the desk's rendering library in one place (Preact with htm: components
// as tagged templates, no build step) and the few pieces every page shares.
// Text from the API only ever goes in as template values, which Preact sets
// as text, never as HTML.
import { h, render } from "/vendor/preact.js";
import htm from "/vendor/htm.js";
import { useEffect } from "/vendor/hooks.js";
export { useState, useEffect, useRef, useMemo, useCallback } from "/vendor/hooks.js";
export { render };
export const html = htm.bind(h);

// bench/web's yardstick: a page marks "kanal:ready:VIEW" (a performance
// mark) each time it has drawn the data it loaded. useReady's effect runs
// after Preact has put the new data in the page and the browser has painted
// it; a page that draws outside Preact (the calendar) calls markReady.
export function markReady(view) {
  performance.mark(`kanal:ready:${view}`);
}
export function useReady(view, data) {
  useEffect(() => { if (data != null) markReady(view); }, [data]);
}

// An effect that loads what the URL's filters ask for. Its `fresh(promise)`
// settles only while those filters are still the newest: an older, slower
// answer (the unfiltered first page, a filter typed before the last) never
// draws over the newer one. `run` may return a cleanup, as an effect does.
export function useLoad(run, deps) {
  useEffect(() => {
    let live = true;
    const fresh = (p) => new Promise((ok, no) => p.then((v) => { if (live) ok(v); }, (e) => { if (live) no(e); }));
    const cleanup = run(fresh);
    return () => { live = false; if (typeof cleanup === "function") cleanup(); };
  }, deps);
}

// Every item of a workspace's list, page after page.
export async function everyItem(api, ws, what) {
  const items = [];
  let cursor = null;
  do {
    const q = new URLSearchParams({ limit: "200" });
    if (cursor) q.set("cursor", cursor);
    const page = await api("GET", `/workspaces/${ws}/${what}?${q}`);
    items.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor);
  return items;
}

// A page's message: what went wrong, with the server's own words.
export function Problem({ error }) {
  if (!error) return null;
  return html`<p class="problem" role="alert">${error}</p>`;
}

// An empty list says what to do next, not just that it is empty.
export function Empty({ title, next }) {
  return html`<div class="empty"><p><strong>${title}</strong></p><p>${next}</p></div>`;
}

// An outside link as a page may show it: http or https, else null. Preact
// sets an href as given, so a `javascript:` link would run when clicked;
// the server keeps no other kind, and this holds for anything stored before.
export function outsideLink(url) {
  return typeof url === "string" && /^https?:\/\//i.test(url) ? url : null;
}

// A classic script (FullCalendar's bundle) loaded once, when a page needs it.
const scripts = new Map();
export function loadScript(src) {
  if (!scripts.has(src)) {
    scripts.set(src, new Promise((resolve, reject) => {
      const s = document.createElement("script");
      s.src = src;
      s.onload = resolve;
      s.onerror = () => reject(new Error(`${src} could not be loaded`));
      document.head.append(s);
    }));
  }
  return scripts.get(src);
}
