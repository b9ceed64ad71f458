// app: the desk's first page: pick a workspace, see its channels and its
// most recent posts. All text from the API goes in through textContent.
import { api, session, ApiError } from "/api.js";

const $ = (id) => document.getElementById(id);
let nextCursor = null;
let workspaceId = null;
let channelsById = new Map();

function cell(tr, text) {
  const td = document.createElement("td");
  td.textContent = text ?? "";
  tr.append(td);
}

function fmtTime(iso) {
  return new Date(iso).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

async function loadChannels() {
  const tbody = $("channels").querySelector("tbody");
  tbody.replaceChildren();
  channelsById = new Map();
  let cursor = null;
  do {
    const q = new URLSearchParams({ limit: "200" });
    if (cursor) q.set("cursor", cursor);
    const page = await api("GET", `/workspaces/${workspaceId}/channels?${q}`);
    for (const c of page.items) {
      channelsById.set(c.id, c);
      const tr = document.createElement("tr");
      cell(tr, c.platform);
      cell(tr, c.name);
      cell(tr, c.handle);
      cell(tr, c.owner_team);
      cell(tr, c.purpose);
      tbody.append(tr);
    }
    cursor = page.next_cursor;
  } while (cursor);
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
    await loadPosts(false);
  } catch (e) {
    $("status").textContent = e.message;
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
    $("status").textContent = e.message;
    return;
  }
  $("who").textContent = `${me.user.email} (${me.user.role})`;
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
  $("signout").addEventListener("click", async () => {
    await api("DELETE", "/session");
    location.assign("/login");
  });
  if (ws.items.length) await selectWorkspace(ws.items[0].id);
  else $("status").textContent = "No workspaces yet.";
}

start();
