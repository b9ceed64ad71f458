// app: the desk's first page: pick a workspace, see its channels, its inbox
// (messages to the organisation, to sort by status, sentiment and topic and
// to work: a moderator sets a message's status and corrects its sentiment,
// which teaches the workspace's learner) and its most recent posts. All text
// from the API goes in through textContent.
import { api, session, ApiError } from "/api.js";

const $ = (id) => document.getElementById(id);
let nextCursor = null;
let workspaceId = null;
let channelsById = new Map();
let tagsById = new Map();
let inboxCursor = null;
let canModerate = false;

const SENTIMENTS = [["pos", "Positive"], ["neu", "Neutral"], ["neg", "Negative"]];
const STATUSES = [["open", "Open"], ["assigned", "Assigned"], ["answered", "Answered"],
  ["closed", "Closed"]];

function showError(e) {
  $("status").textContent = e.message;
}

function cell(tr, text) {
  const td = document.createElement("td");
  td.textContent = text ?? "";
  tr.append(td);
}

function fmtTime(iso) {
  return new Date(iso).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

// Every item of a workspace's list, page after page.
async function* everyItem(what) {
  let cursor = null;
  do {
    const q = new URLSearchParams({ limit: "200" });
    if (cursor) q.set("cursor", cursor);
    const page = await api("GET", `/workspaces/${workspaceId}/${what}?${q}`);
    yield* page.items;
    cursor = page.next_cursor;
  } while (cursor);
}

async function loadChannels() {
  const tbody = $("channels").querySelector("tbody");
  tbody.replaceChildren();
  channelsById = new Map();
  const teams = new Map();
  for await (const t of everyItem("teams")) teams.set(t.id, t.name);
  for await (const c of everyItem("channels")) {
    channelsById.set(c.id, c);
    const tr = document.createElement("tr");
    cell(tr, c.platform);
    cell(tr, c.name);
    cell(tr, c.handle);
    cell(tr, c.team_id ? teams.get(c.team_id) ?? "" : "");
    cell(tr, c.purpose);
    tbody.append(tr);
  }
}

async function loadTags() {
  tagsById = new Map();
  const select = $("f-tag");
  select.replaceChildren(new Option("Any", ""));
  for await (const t of everyItem("tags")) {
    tagsById.set(t.id, t);
    select.append(new Option(t.name, String(t.id)));
  }
}

function choice(label, options, value, onChange) {
  const wrap = document.createElement("label");
  wrap.textContent = `${label} `;
  const select = document.createElement("select");
  // A value the desk does not set (none yet; hidden or removed at the
  // platform) is shown, not offered.
  if (!options.some(([v]) => v === value)) {
    const o = new Option(value ?? "—", value ?? "");
    o.disabled = true;
    select.append(o);
  }
  for (const [v, text] of options) select.append(new Option(text, v));
  select.value = value ?? "";
  select.disabled = !canModerate;
  select.addEventListener("change", () => onChange(select));
  wrap.append(select);
  return wrap;
}

function messageItem(m) {
  const li = document.createElement("li");
  li.dataset.id = m.id;
  const paint = () => { li.className = m.sentiment ? `sent-${m.sentiment}` : ""; };
  paint();
  const meta = document.createElement("div");
  meta.className = "meta";
  const c = channelsById.get(m.channel_id);
  const who = m.author_name || m.author_handle || "someone";
  meta.textContent = `${fmtTime(m.created_at)} · ${c ? `${c.name} (${c.platform})` : `channel ${m.channel_id}`} · ${m.kind} · ${who}`;
  const body = document.createElement("p");
  body.textContent = m.body;
  const controls = document.createElement("div");
  controls.className = "controls";
  // A change is sent at once; on failure the control goes back and says why.
  const save = async (select, field, old) => {
    try {
      const out = await api("PATCH", `/workspaces/${workspaceId}/messages/${m.id}`,
        { [field]: select.value });
      Object.assign(m, out);
      paint();
      $("status").textContent = "";
    } catch (e) {
      select.value = old() ?? "";
      showError(e);
    }
  };
  controls.append(
    choice("Sentiment", SENTIMENTS, m.sentiment, (s) => save(s, "sentiment", () => m.sentiment)),
    choice("Status", STATUSES, m.status, (s) => save(s, "status", () => m.status)));
  for (const id of m.tag_ids ?? []) {
    const t = tagsById.get(id);
    if (!t) continue;
    const span = document.createElement("span");
    span.className = "tag";
    span.textContent = t.name;
    controls.append(span);
  }
  li.append(meta, body, controls);
  return li;
}

async function loadInbox(append) {
  const list = $("inbox");
  if (!append) {
    list.replaceChildren();
    inboxCursor = null;
  }
  const q = new URLSearchParams({ limit: "20", own: "false" });
  for (const [param, id] of [["status", "f-status"], ["sentiment", "f-sentiment"], ["tag", "f-tag"]])
    if ($(id).value) q.set(param, $(id).value);
  if (inboxCursor) q.set("cursor", inboxCursor);
  const page = await api("GET", `/workspaces/${workspaceId}/messages?${q}`);
  for (const m of page.items) list.append(messageItem(m));
  inboxCursor = page.next_cursor;
  $("more-inbox").hidden = !inboxCursor;
  $("inbox-empty").hidden = list.children.length > 0;
}

async function loadPosts(append) {
  const list = $("posts");
  if (!append) {
    list.replaceChildren();
    nextCursor = null;
  }
  const q = new URLSearchParams({ limit: "20" });
  if (nextCursor) q.set("cursor", nextCursor);
  const page = await api("GET", `/workspaces/${workspaceId}/posts?${q}`);
  for (const p of page.items) {
    const li = document.createElement("li");
    const meta = document.createElement("div");
    meta.className = "meta";
    const where = p.variants.map((v) => {
      const c = channelsById.get(v.channel_id);
      return c ? `${c.name} (${c.platform})` : `channel ${v.channel_id}`;
    });
    meta.textContent = `${fmtTime(p.at)} · ${p.format} · ${p.status} · ${where.join(", ")}`;
    const body = document.createElement("p");
    body.textContent = p.title ? `${p.title}: ${p.body}` : p.body;
    li.append(meta, body);
    list.append(li);
  }
  nextCursor = page.next_cursor;
  $("more").hidden = !nextCursor;
}

async function selectWorkspace(id) {
  workspaceId = id;
  $("status").textContent = "";
  try {
    await loadChannels();
    await loadTags();
    await loadInbox(false);
    await loadPosts(false);
  } catch (e) {
    showError(e);
  }
}

async function start() {
  let me;
  try {
    me = await session();
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) {
      location.assign("/login");
      return;
    }
    showError(e);
    return;
  }
  $("who").textContent = `${me.user.email} (${me.user.role})`;
  canModerate = ["admin", "editor", "moderator"].includes(me.user.role);
  const ws = await api("GET", "/workspaces?limit=200");
  const select = $("workspace");
  for (const w of ws.items) {
    const o = document.createElement("option");
    o.value = w.id;
    o.textContent = w.name;
    select.append(o);
  }
  select.addEventListener("change", () => selectWorkspace(Number(select.value)));
  $("more").addEventListener("click", () => loadPosts(true));
  $("more-inbox").addEventListener("click", () => loadInbox(true).catch(showError));
  for (const id of ["f-status", "f-sentiment", "f-tag"])
    $(id).addEventListener("change", () => loadInbox(false).catch(showError));
  $("signout").addEventListener("click", async () => {
    await api("DELETE", "/session");
    location.assign("/login");
  });
  if (ws.items.length) await selectWorkspace(ws.items[0].id);
  else $("status").textContent = "No workspaces yet.";
}

start();
