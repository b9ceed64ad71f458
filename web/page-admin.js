// page-admin: what an administrator keeps in order: the people (add, role,
// disable, new password, signing them out everywhere), API tokens, the
// workspaces and channels (each deleted only after a dialog that names it;
// the server keeps one that holds posts or messages), the campaigns, the tags with their rules (each rule tried on
// the stored messages while it is written), and the audit log with its
// filters. Which part is open, and the log's filters, live in the URL.
// Others see a word on who can do this instead.
import { html, useState, useEffect, useRef, everyItem, Empty, useReady, useLoad } from "/ui.js";
import { api } from "/api.js";
import { t, fmtTime, fmtNumber, toZoned, fromZoned, isoUtc } from "/i18n.js";
import { href, setParams } from "/router.js";

const SECTIONS = ["users", "tokens", "workspaces", "channels", "campaigns", "tags", "audit"];
const PLATFORMS = ["facebook", "instagram", "x", "linkedin", "tiktok", "youtube", "mastodon", "threads", "bluesky", "other"];
const PURPOSES = ["", "reach", "dialogue", "conversion", "paid"];
const ROLES = ["admin", "editor", "author", "moderator", "analyst"];
const TAG_KINDS = ["theme", "topic", "audience", "other"];

// One line of outcome per section: what was done, or what went wrong.
function useOutcome() {
  const [done, setDone] = useState("");
  const [error, setError] = useState("");
  const ok = (s) => { setError(""); setDone(s); };
  const fail = (s) => { setDone(""); setError(s); };
  const view = html`<p role="status" class="done">${done}</p><p class="problem" role="alert">${error}</p>`;
  return { ok, fail, view };
}

function Dialog({ id, title, children, onClose }) {
  const ref = useRef(null);
  useEffect(() => { ref.current.showModal(); }, []);
  return html`<dialog ref=${ref} id=${id} aria-labelledby=${id + "-title"} onClose=${onClose}>
    <h2 id=${id + "-title"}>${title}</h2>
    ${children(() => ref.current.close())}
  </dialog>`;
}

// Deleting a workspace or a channel: the dialog names what will go and
// starts on Cancel; when the server refuses (it keeps one that holds posts
// or messages), its reason is shown in the dialog, which stays open.
function DeleteDialog({ id, title, what, path, onDone, onClose }) {
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  return html`<${Dialog} id=${id} title=${title} onClose=${onClose}>
    ${(close) => html`<form onSubmit=${async (e) => {
      e.preventDefault();
      setBusy(true);
      try {
        await api("DELETE", path);
        close();
        await onDone();
      } catch (err) {
        setError(t("admin.deleteRefused", { why: err.message }));
      } finally {
        setBusy(false);
      }
    }}>
      <p id=${id + "-what"}>${what}</p>
      <p class="problem" role="alert" id=${id + "-error"}>${error}</p>
      <div class="actions"><button type="submit" class="danger" id=${id + "-confirm"} disabled=${busy}>${t("admin.delete")}</button>
        <button type="button" id=${id + "-cancel"} autofocus onClick=${close}>${t("frame.cancel")}</button></div>
    </form>`}
  <//>`;
}

// ---- users -------------------------------------------------------------------

function PasswordDialog({ user, onClose, out }) {
  const [password, setPassword] = useState("");
  const [error, setError] = useState("");
  return html`<${Dialog} id="password" title=${t("admin.newPasswordFor", { email: user.email })} onClose=${onClose}>
    ${(close) => html`<form onSubmit=${async (e) => {
      e.preventDefault();
      try {
        await api("POST", `/users/${user.id}/password`, { password });
        out.ok(t("admin.passwordSet", { email: user.email }));
        close();
      } catch (err) {
        setError(t("admin.passwordFailed", { why: err.message }));
      }
    }}>
      <p class="muted">${t("admin.passwordHint")}</p>
      <label class="stack" for="new-password">${t("admin.password")}
        <input id="new-password" type="password" autocomplete="new-password" required minlength="12"
          value=${password} onInput=${(e) => setPassword(e.target.value)} /></label>
      <p class="problem" role="alert">${error}</p>
      <div class="actions"><button type="submit" id="set-password">${t("admin.setPassword")}</button>
        <button type="button" onClick=${close}>${t("frame.cancel")}</button></div>
    </form>`}
  <//>`;
}

function UserTokens({ user, ws }) {
  const [items, setItems] = useState(null);
  const [error, setError] = useState("");
  useEffect(() => {
    api("GET", `/users/${user.id}/tokens`).then((r) => setItems(r.items))
      .catch((e) => setError(t("error.load", { what: t("admin.tokens"), why: e.message })));
  }, [user.id]);
  if (error) return html`<p class="problem" role="alert">${error}</p>`;
  if (!items) return html`<p aria-busy="true">${t("frame.loading")}</p>`;
  if (!items.length) return html`<p class="muted">${t("admin.noTokensOf", { email: user.email })}</p>`;
  return html`<ul class="plain">${items.map((k) => html`<li>${k.name} · ${tokenState(k, ws)}</li>`)}</ul>`;
}

function tokenState(k, ws) {
  if (k.revoked_at) return t("admin.tokenRevoked", { when: fmtTime(k.revoked_at, ws.timezone) });
  if (k.expires_at && Date.parse(k.expires_at) < Date.now()) return t("admin.tokenExpired", { when: fmtTime(k.expires_at, ws.timezone) });
  return t("admin.tokenActive", { used: k.last_used_at ? fmtTime(k.last_used_at, ws.timezone) : t("channels.never"),
    expires: k.expires_at ? fmtTime(k.expires_at, ws.timezone) : t("admin.never") });
}

function Users({ ws, me }) {
  const [users, setUsers] = useState(null);
  useReady("admin", users);
  const [form, setForm] = useState({ email: "", name: "", role: "author", password: "" });
  const [resetting, setResetting] = useState(null);
  const [showTokens, setShowTokens] = useState(null);
  const out = useOutcome();
  const load = () => api("GET", "/users").then((r) => setUsers(r.items))
    .catch((e) => out.fail(t("error.load", { what: t("admin.users"), why: e.message })));
  useEffect(() => { load(); }, []);
  const patch = async (u, body, said) => {
    try {
      await api("PATCH", `/users/${u.id}`, body);
      out.ok(said);
      await load();
    } catch (e) {
      out.fail(t("admin.userFailed", { email: u.email, why: e.message }));
      await load();
    }
  };
  const revoke = async (u) => {
    try {
      await api("POST", `/users/${u.id}/revoke`, {});
      out.ok(t("admin.revoked", { email: u.email }));
    } catch (e) {
      out.fail(t("admin.userFailed", { email: u.email, why: e.message }));
    }
  };
  const add = async (e) => {
    e.preventDefault();
    try {
      const body = { email: form.email.trim(), role: form.role, password: form.password };
      if (form.name.trim()) body.name = form.name.trim();
      await api("POST", "/users", body);
      out.ok(t("admin.userAdded", { email: body.email }));
      setForm({ email: "", name: "", role: "author", password: "" });
      await load();
    } catch (err) {
      out.fail(t("admin.addFailed", { why: err.message }));
    }
  };
  const field = (k, label, attrs = {}) => html`<label class="stack" for=${"nu-" + k}>${label}
    <input id=${"nu-" + k} value=${form[k]} onInput=${(e) => setForm({ ...form, [k]: e.target.value })} ...${attrs} /></label>`;
  return html`
    ${out.view}
    ${users === null ? html`<p aria-busy="true">${t("frame.loading")}</p>` : html`<table id="users">
      <caption class="visually-hidden">${t("admin.users")}</caption>
      <thead><tr><th scope="col">${t("admin.name")}</th><th scope="col">${t("admin.email")}</th>
        <th scope="col">${t("admin.role")}</th><th scope="col">${t("admin.state")}</th>
        <th scope="col"><span class="visually-hidden">${t("channels.actions")}</span></th></tr></thead>
      <tbody>${users.map((u) => html`<tr data-id=${u.id} data-email=${u.email}>
        <td>${u.name || "–"}</td><td>${u.email}</td>
        <td><select class="role" aria-label=${t("admin.roleOf", { email: u.email })} value=${u.role}
          onChange=${(e) => patch(u, { role: e.target.value }, t("admin.roleChanged", { email: u.email, role: t("role." + e.target.value) }))}>
          ${ROLES.map((r) => html`<option value=${r}>${t("role." + r)}</option>`)}</select></td>
        <td>${u.disabled ? t("admin.disabled") : t("admin.active")}</td>
        <td class="row-actions">
          <button type="button" class="toggle" aria-label=${t(u.disabled ? "admin.enableLabel" : "admin.disableLabel", { email: u.email })}
            disabled=${u.id === me.user.id}
            onClick=${() => patch(u, { disabled: !u.disabled }, t(u.disabled ? "admin.enabled" : "admin.disabledNow", { email: u.email }))}>
            ${t(u.disabled ? "admin.enable" : "admin.disable")}</button>
          <button type="button" class="reset" aria-label=${t("admin.resetLabel", { email: u.email })}
            onClick=${() => setResetting(u)}>${t("admin.resetPassword")}</button>
          <button type="button" class="revoke" aria-label=${t("admin.revokeLabel", { email: u.email })}
            onClick=${() => revoke(u)}>${t("admin.revoke")}</button>
          <button type="button" class="show-tokens" aria-expanded=${showTokens === u.id}
            aria-label=${t("admin.tokensOf", { email: u.email })}
            onClick=${() => setShowTokens(showTokens === u.id ? null : u.id)}>${t("admin.tokens")}</button>
          ${showTokens === u.id ? html`<${UserTokens} user=${u} ws=${ws} />` : null}
        </td></tr>`)}</tbody></table>`}
    <h3>${t("admin.addUser")}</h3>
    <p class="muted">${t("admin.addUserHint")}</p>
    <form id="add-user" class="row" onSubmit=${add}>
      ${field("email", t("admin.email"), { type: "email", required: true, autocomplete: "off" })}
      ${field("name", t("admin.name"))}
      <label class="stack" for="nu-role">${t("admin.role")}
        <select id="nu-role" value=${form.role} onChange=${(e) => setForm({ ...form, role: e.target.value })}>
          ${ROLES.map((r) => html`<option value=${r}>${t("role." + r)}</option>`)}</select></label>
      ${field("password", t("admin.firstPassword"), { type: "password", required: true, minlength: "12", autocomplete: "new-password" })}
      <div class="actions"><button type="submit" id="add-user-button">${t("admin.add")}</button></div>
    </form>
    ${resetting ? html`<${PasswordDialog} user=${resetting} out=${out} onClose=${() => setResetting(null)} />` : null}`;
}

// ---- API tokens (the signed-in admin's own) --------------------------------------

function Tokens({ ws }) {
  const [items, setItems] = useState(null);
  const [name, setName] = useState("");
  const [days, setDays] = useState("90");
  const [secret, setSecret] = useState(null);
  const out = useOutcome();
  const load = () => api("GET", "/tokens").then((r) => setItems(r.items))
    .catch((e) => out.fail(t("error.load", { what: t("admin.tokens"), why: e.message })));
  useEffect(() => { load(); }, []);
  const make = async (e) => {
    e.preventDefault();
    try {
      const body = { name: name.trim() };
      if (days) body.expires_in_days = Number(days);
      const made = await api("POST", "/tokens", body);
      setSecret(made);
      setName("");
      out.ok(t("admin.tokenMade", { name: made.name }));
      await load();
    } catch (err) {
      out.fail(t("admin.tokenFailed", { why: err.message }));
    }
  };
  const revoke = async (k) => {
    try {
      await api("DELETE", `/tokens/${k.id}`);
      out.ok(t("admin.tokenRevokedNow", { name: k.name }));
      await load();
    } catch (err) {
      out.fail(t("admin.tokenFailed", { why: err.message }));
    }
  };
  return html`<p class="muted">${t("admin.tokensIntro")}</p>
    ${out.view}
    ${secret ? html`<div class="made"><label class="stack" for="token-secret">${t("admin.tokenOnce", { name: secret.name })}
      <input id="token-secret" readonly value=${secret.token} size="70" /></label></div>` : null}
    ${items === null ? html`<p aria-busy="true">${t("frame.loading")}</p>` : items.length ? html`<table id="tokens">
      <caption class="visually-hidden">${t("admin.tokens")}</caption>
      <thead><tr><th scope="col">${t("admin.name")}</th><th scope="col">${t("admin.created")}</th>
        <th scope="col">${t("admin.state")}</th><th scope="col"><span class="visually-hidden">${t("channels.actions")}</span></th></tr></thead>
      <tbody>${items.map((k) => html`<tr data-id=${k.id}><td>${k.name}</td><td>${fmtTime(k.created_at, ws.timezone)}</td>
        <td>${tokenState(k, ws)}</td>
        <td>${k.revoked_at ? null : html`<button type="button" class="revoke-token" aria-label=${t("admin.revokeTokenLabel", { name: k.name })}
          onClick=${() => revoke(k)}>${t("admin.revokeToken")}</button>`}</td></tr>`)}</tbody></table>`
      : html`<${Empty} title=${t("admin.noTokensTitle")} next=${t("admin.noTokensNext")} />`}
    <h3>${t("admin.newToken")}</h3>
    <form id="new-token" class="row" onSubmit=${make}>
      <label class="stack" for="token-name">${t("admin.name")}
        <input id="token-name" required value=${name} onInput=${(e) => setName(e.target.value)} /></label>
      <label class="stack" for="token-days">${t("admin.expiresInDays")}
        <input id="token-days" type="number" min="1" max="3650" value=${days} onInput=${(e) => setDays(e.target.value)} /></label>
      <div class="actions"><button type="submit" id="make-token">${t("admin.makeToken")}</button></div>
    </form>`;
}

// ---- workspaces ----------------------------------------------------------------

function Workspaces({ ws }) {
  const [items, setItems] = useState(null);
  const [form, setForm] = useState({ name: "", slug: "", timezone: ws.timezone });
  const [editing, setEditing] = useState(null);
  const [deleting, setDeleting] = useState(null);
  const out = useOutcome();
  const load = () => api("GET", "/workspaces?limit=200").then((r) => setItems(r.items))
    .catch((e) => out.fail(t("error.load", { what: t("frame.workspaces"), why: e.message })));
  useEffect(() => { load(); }, []);
  // The frame's switcher follows; a deleted current workspace sends the
  // desk to the first one, with a word on why.
  const changed = () => { window.dispatchEvent(new Event("kanal:workspaces")); return load(); };
  const save = async (e) => {
    e.preventDefault();
    try {
      if (editing) {
        await api("PATCH", `/workspaces/${editing}`, { name: form.name.trim(), timezone: form.timezone.trim() });
        out.ok(t("admin.workspaceSaved", { name: form.name.trim() }));
      } else {
        await api("POST", "/workspaces", { name: form.name.trim(), slug: form.slug.trim(), timezone: form.timezone.trim() });
        out.ok(t("admin.workspaceMade", { name: form.name.trim() }));
      }
      setEditing(null);
      setForm({ name: "", slug: "", timezone: ws.timezone });
      await changed();
    } catch (err) {
      out.fail(t("admin.workspaceFailed", { why: err.message }));
    }
  };
  const input = (k, label, attrs = {}) => html`<label class="stack" for=${"wsf-" + k}>${label}
    <input id=${"wsf-" + k} value=${form[k]} onInput=${(e) => setForm({ ...form, [k]: e.target.value })} ...${attrs} /></label>`;
  return html`${out.view}
    ${items === null ? html`<p aria-busy="true">${t("frame.loading")}</p>` : html`<table id="workspaces">
      <caption class="visually-hidden">${t("frame.workspaces")}</caption>
      <thead><tr><th scope="col">${t("admin.name")}</th><th scope="col">${t("admin.slug")}</th>
        <th scope="col">${t("admin.timezone")}</th><th scope="col"><span class="visually-hidden">${t("channels.actions")}</span></th></tr></thead>
      <tbody>${items.map((w) => html`<tr data-id=${w.id}><td><a href=${href(w.id, "dashboard")}>${w.name}</a></td>
        <td>${w.slug}</td><td>${w.timezone}</td>
        <td class="row-actions"><button type="button" class="edit" aria-label=${t("admin.editLabel", { name: w.name })}
          onClick=${() => { setEditing(w.id); setForm({ name: w.name, slug: w.slug, timezone: w.timezone }); }}>
          ${t("links.edit")}</button>
          <button type="button" class="delete" aria-label=${t("admin.deleteLabel", { name: w.name })}
            onClick=${() => setDeleting(w)}>${t("admin.delete")}</button></td></tr>`)}</tbody></table>`}
    ${deleting ? html`<${DeleteDialog} id="delete-workspace" path=${`/workspaces/${deleting.id}`}
      title=${t("admin.deleteWorkspaceTitle", { name: deleting.name })}
      what=${t("admin.deleteWorkspaceWhat", { name: deleting.name, slug: deleting.slug })}
      onClose=${() => setDeleting(null)}
      onDone=${() => { out.ok(t("admin.workspaceDeleted", { name: deleting.name })); return changed(); }} />` : null}
    <h3>${editing ? t("admin.editWorkspace") : t("admin.newWorkspace")}</h3>
    <form id="workspace-form" class="row" onSubmit=${save}>
      ${input("name", t("admin.name"), { required: true })}
      ${editing ? null : input("slug", t("admin.slug"), { required: true, pattern: "[a-z0-9-]+" })}
      ${input("timezone", t("admin.timezone"), { required: true })}
      <div class="actions"><button type="submit" id="save-workspace">${t(editing ? "links.save" : "admin.add")}</button>
        ${editing ? html`<button type="button" onClick=${() => { setEditing(null); setForm({ name: "", slug: "", timezone: ws.timezone }); }}>
          ${t("frame.cancel")}</button>` : null}</div>
    </form>`;
}

// ---- channels (the accounts; connecting them is on the Channels page) ---------------

function ChannelsAdmin({ ws }) {
  const blank = { platform: "facebook", handle: "", name: "", purpose: "", is_peer: false };
  const [items, setItems] = useState(null);
  const [form, setForm] = useState(blank);
  const [editing, setEditing] = useState(null);
  const [deleting, setDeleting] = useState(null);
  const out = useOutcome();
  const load = () => everyItem(api, ws.id, "channels").then(setItems)
    .catch((e) => out.fail(t("error.load", { what: t("nav.channels"), why: e.message })));
  useEffect(() => { load(); }, [ws.id]);
  const save = async (e) => {
    e.preventDefault();
    const body = { handle: form.handle.trim(), name: form.name.trim(), purpose: form.purpose, is_peer: form.is_peer };
    try {
      if (editing) await api("PATCH", `/workspaces/${ws.id}/channels/${editing}`, body);
      else await api("POST", `/workspaces/${ws.id}/channels`, { ...body, platform: form.platform });
      out.ok(t("admin.channelSaved", { name: body.name }));
      setEditing(null);
      setForm(blank);
      await load();
    } catch (err) {
      out.fail(t("admin.channelFailed", { why: err.message }));
    }
  };
  const input = (k, label) => html`<label class="stack" for=${"chf-" + k}>${label}
    <input id=${"chf-" + k} required value=${form[k]} onInput=${(e) => setForm({ ...form, [k]: e.target.value })} /></label>`;
  return html`${out.view}
    ${items === null ? html`<p aria-busy="true">${t("frame.loading")}</p>` : items.length ? html`<table id="channels-admin">
      <caption class="visually-hidden">${t("nav.channels")}</caption>
      <thead><tr><th scope="col">${t("channels.name")}</th><th scope="col">${t("channels.platform")}</th>
        <th scope="col">${t("channels.handle")}</th><th scope="col">${t("admin.purpose")}</th><th scope="col">${t("admin.whose")}</th>
        <th scope="col"><span class="visually-hidden">${t("channels.actions")}</span></th></tr></thead>
      <tbody>${items.map((c) => html`<tr data-id=${c.id}><td>${c.name}</td><td>${c.platform}</td><td>${c.handle}</td>
        <td>${c.purpose ? t("purpose." + c.purpose) : "–"}</td><td>${c.is_peer ? t("analytics.peer") : t("analytics.own")}</td>
        <td class="row-actions"><button type="button" class="edit" aria-label=${t("admin.editLabel", { name: c.name })}
          onClick=${() => { setEditing(c.id); setForm({ platform: c.platform, handle: c.handle, name: c.name, purpose: c.purpose || "", is_peer: !!c.is_peer }); }}>
          ${t("links.edit")}</button>
          <button type="button" class="delete" aria-label=${t("admin.deleteLabel", { name: c.name })}
            onClick=${() => setDeleting(c)}>${t("admin.delete")}</button></td></tr>`)}</tbody></table>`
      : html`<${Empty} title=${t("channels.emptyTitle")} next=${t("admin.noChannelsNext")} />`}
    ${deleting ? html`<${DeleteDialog} id="delete-channel" path=${`/workspaces/${ws.id}/channels/${deleting.id}`}
      title=${t("admin.deleteChannelTitle", { name: deleting.name })}
      what=${t("admin.deleteChannelWhat", { name: deleting.name, platform: deleting.platform, handle: deleting.handle, workspace: ws.name })}
      onClose=${() => setDeleting(null)}
      onDone=${() => { out.ok(t("admin.channelDeleted", { name: deleting.name })); return load(); }} />` : null}
    <h3>${editing ? t("admin.editChannel") : t("admin.newChannel")}</h3>
    <form id="channel-form" onSubmit=${save}>
      <div class="row">
        ${editing ? null : html`<label class="stack" for="chf-platform">${t("channels.platform")}
          <select id="chf-platform" value=${form.platform} onChange=${(e) => setForm({ ...form, platform: e.target.value })}>
            ${PLATFORMS.map((x) => html`<option value=${x}>${x}</option>`)}</select></label>`}
        ${input("name", t("channels.name"))}
        ${input("handle", t("channels.handle"))}
        <label class="stack" for="chf-purpose">${t("admin.purpose")}
          <select id="chf-purpose" value=${form.purpose} onChange=${(e) => setForm({ ...form, purpose: e.target.value })}>
            ${PURPOSES.map((x) => html`<option value=${x}>${x ? t("purpose." + x) : t("links.none")}</option>`)}</select></label>
        <label><input type="checkbox" id="chf-peer" checked=${form.is_peer}
          onChange=${(e) => setForm({ ...form, is_peer: e.target.checked })} /> ${t("admin.isPeer")}</label>
      </div>
      <div class="actions"><button type="submit" id="save-channel">${t(editing ? "links.save" : "admin.add")}</button>
        ${editing ? html`<button type="button" onClick=${() => { setEditing(null); setForm(blank); }}>${t("frame.cancel")}</button>` : null}</div>
    </form>`;
}

// ---- campaigns -------------------------------------------------------------------

// A campaign's start or end as the date input holds it (the workspace's day).
const dayOf = (iso, zone) => (iso ? toZoned(Date.parse(iso), zone).slice(0, 10) : "");
const isoOf = (day, zone) => (day ? isoUtc(fromZoned(Date.parse(day + "T00:00:00Z"), zone)) : null);

function Campaigns({ ws }) {
  const blank = { name: "", description: "", starts: "", ends: "", target_tag_id: "" };
  const [items, setItems] = useState(null);
  const [tags, setTags] = useState([]);
  const [form, setForm] = useState(blank);
  const [editing, setEditing] = useState(null);
  const out = useOutcome();
  const load = () => Promise.all([everyItem(api, ws.id, "campaigns"), everyItem(api, ws.id, "tags")])
    .then(([c, tg]) => { setItems(c); setTags(tg); })
    .catch((e) => out.fail(t("error.load", { what: t("admin.campaigns"), why: e.message })));
  useEffect(() => { load(); }, [ws.id]);
  const save = async (e) => {
    e.preventDefault();
    const body = { name: form.name.trim(), description: form.description.trim(),
      starts_at: isoOf(form.starts, ws.timezone), ends_at: isoOf(form.ends, ws.timezone),
      target_tag_id: form.target_tag_id ? Number(form.target_tag_id) : null };
    try {
      if (editing) await api("PATCH", `/workspaces/${ws.id}/campaigns/${editing}`, body);
      else await api("POST", `/workspaces/${ws.id}/campaigns`, body);
      out.ok(t("admin.campaignSaved", { name: body.name }));
      setEditing(null);
      setForm(blank);
      await load();
    } catch (err) {
      out.fail(t("admin.campaignFailed", { why: err.message }));
    }
  };
  const remove = async (c) => {
    try {
      await api("DELETE", `/workspaces/${ws.id}/campaigns/${c.id}`);
      out.ok(t("admin.campaignDeleted", { name: c.name }));
      await load();
    } catch (err) {
      out.fail(t("admin.campaignFailed", { why: err.message }));
    }
  };
  const tagName = (id) => tags.find((x) => x.id === id)?.name ?? "–";
  return html`${out.view}
    ${items === null ? html`<p aria-busy="true">${t("frame.loading")}</p>` : items.length ? html`<table id="campaigns">
      <caption class="visually-hidden">${t("admin.campaigns")}</caption>
      <thead><tr><th scope="col">${t("admin.name")}</th><th scope="col">${t("admin.starts")}</th><th scope="col">${t("admin.ends")}</th>
        <th scope="col">${t("admin.targetTag")}</th><th scope="col"><span class="visually-hidden">${t("channels.actions")}</span></th></tr></thead>
      <tbody>${items.map((c) => html`<tr data-id=${c.id}><td>${c.name}</td>
        <td>${c.starts_at ? fmtTime(c.starts_at, ws.timezone) : "–"}</td><td>${c.ends_at ? fmtTime(c.ends_at, ws.timezone) : "–"}</td>
        <td>${c.target_tag_id ? tagName(c.target_tag_id) : "–"}</td>
        <td class="row-actions"><button type="button" class="edit" aria-label=${t("admin.editLabel", { name: c.name })}
          onClick=${() => { setEditing(c.id); setForm({ name: c.name, description: c.description || "",
            starts: dayOf(c.starts_at, ws.timezone), ends: dayOf(c.ends_at, ws.timezone), target_tag_id: String(c.target_tag_id || "") }); }}>
          ${t("links.edit")}</button>
          <button type="button" class="delete" aria-label=${t("admin.deleteLabel", { name: c.name })}
            onClick=${() => remove(c)}>${t("admin.delete")}</button></td></tr>`)}</tbody></table>`
      : html`<${Empty} title=${t("admin.noCampaignsTitle")} next=${t("admin.noCampaignsNext")} />`}
    <h3>${editing ? t("admin.editCampaign") : t("admin.newCampaign")}</h3>
    <form id="campaign-form" onSubmit=${save}>
      <div class="row">
        <label class="stack" for="cf-name">${t("admin.name")}
          <input id="cf-name" required value=${form.name} onInput=${(e) => setForm({ ...form, name: e.target.value })} /></label>
        <label class="stack" for="cf-starts">${t("admin.starts")}
          <input id="cf-starts" type="date" value=${form.starts} onInput=${(e) => setForm({ ...form, starts: e.target.value })} /></label>
        <label class="stack" for="cf-ends">${t("admin.ends")}
          <input id="cf-ends" type="date" value=${form.ends} onInput=${(e) => setForm({ ...form, ends: e.target.value })} /></label>
        <label class="stack" for="cf-tag">${t("admin.targetTag")}
          <select id="cf-tag" value=${form.target_tag_id} onChange=${(e) => setForm({ ...form, target_tag_id: e.target.value })}>
            <option value="">${t("links.none")}</option>
            ${tags.map((tg) => html`<option value=${tg.id}>${tg.name}</option>`)}</select></label>
      </div>
      <label class="stack" for="cf-description">${t("admin.description")}
        <textarea id="cf-description" rows="2" value=${form.description}
          onInput=${(e) => setForm({ ...form, description: e.target.value })}></textarea></label>
      <p class="muted">${t("admin.targetTagHint")}</p>
      <div class="actions"><button type="submit" id="save-campaign">${t(editing ? "links.save" : "admin.add")}</button>
        ${editing ? html`<button type="button" onClick=${() => { setEditing(null); setForm(blank); }}>${t("frame.cancel")}</button>` : null}</div>
    </form>`;
}

// ---- tags and their rules ----------------------------------------------------------

// What the rule being written would catch among the stored messages,
// asked again after each pause in typing.
function RulePreview({ ws, rule }) {
  const [res, setRes] = useState(null);
  const [error, setError] = useState("");
  useEffect(() => {
    if (!rule.trim()) { setRes(null); setError(""); return undefined; }
    let live = true;
    const timer = setTimeout(async () => {
      try {
        const out = await api("POST", `/workspaces/${ws.id}/tags/test`, { rule });
        if (live) { setRes(out); setError(""); }
      } catch (e) {
        if (live) { setRes(null); setError(t("admin.ruleProblem", { why: e.message })); }
      }
    }, 300);
    return () => { live = false; clearTimeout(timer); };
  }, [rule]);
  return html`<div id="rule-preview" aria-live="polite">
    <p class="problem">${error}</p>
    ${res ? html`<p id="rule-count">${t(res.complete ? "admin.ruleMatches" : "admin.ruleMatchesNewest", {
      matched: fmtNumber(res.matched), examined: fmtNumber(res.examined) })}</p>
      ${res.messages.length ? html`<ul class="posts" id="rule-examples">${res.messages.map((m) => html`<li data-id=${m.id}>
        <div class="meta">${m.author_name || m.author_handle || t("inbox.someone")} · ${fmtTime(m.created_at, ws.timezone)}</div>
        <p>${m.body}</p></li>`)}</ul>` : null}` : null}
  </div>`;
}

function Tags({ ws }) {
  const blank = { name: "", kind: "theme", rule: "" };
  const [items, setItems] = useState(null);
  const [form, setForm] = useState(blank);
  const [editing, setEditing] = useState(null);
  const out = useOutcome();
  const load = () => everyItem(api, ws.id, "tags").then(setItems)
    .catch((e) => out.fail(t("error.load", { what: t("admin.tags"), why: e.message })));
  useEffect(() => { load(); }, [ws.id]);
  const save = async (e) => {
    e.preventDefault();
    const body = { name: form.name.trim(), kind: form.kind, rule: form.rule.trim() };
    try {
      if (editing) await api("PATCH", `/workspaces/${ws.id}/tags/${editing}`, body);
      else await api("POST", `/workspaces/${ws.id}/tags`, body);
      out.ok(t("admin.tagSaved", { name: body.name }));
      setEditing(null);
      setForm(blank);
      await load();
    } catch (err) {
      out.fail(t("admin.tagFailed", { why: err.message }));
    }
  };
  const remove = async (tg) => {
    try {
      await api("DELETE", `/workspaces/${ws.id}/tags/${tg.id}`);
      out.ok(t("admin.tagDeleted", { name: tg.name }));
      await load();
    } catch (err) {
      out.fail(t("admin.tagFailed", { why: err.message }));
    }
  };
  return html`${out.view}
    ${items === null ? html`<p aria-busy="true">${t("frame.loading")}</p>` : items.length ? html`<table id="tags">
      <caption class="visually-hidden">${t("admin.tags")}</caption>
      <thead><tr><th scope="col">${t("admin.name")}</th><th scope="col">${t("admin.kind")}</th><th scope="col">${t("admin.rule")}</th>
        <th scope="col"><span class="visually-hidden">${t("channels.actions")}</span></th></tr></thead>
      <tbody>${items.map((tg) => html`<tr data-id=${tg.id}><td>${tg.name}</td><td>${t("tagKind." + tg.kind)}</td>
        <td><code>${tg.rule || "–"}</code></td>
        <td class="row-actions"><button type="button" class="edit" aria-label=${t("admin.editLabel", { name: tg.name })}
          onClick=${() => { setEditing(tg.id); setForm({ name: tg.name, kind: tg.kind, rule: tg.rule || "" }); }}>${t("links.edit")}</button>
          <button type="button" class="delete" aria-label=${t("admin.deleteLabel", { name: tg.name })}
            onClick=${() => remove(tg)}>${t("admin.delete")}</button></td></tr>`)}</tbody></table>`
      : html`<${Empty} title=${t("admin.noTagsTitle")} next=${t("admin.noTagsNext")} />`}
    <h3>${editing ? t("admin.editTag") : t("admin.newTag")}</h3>
    <form id="tag-form" onSubmit=${save}>
      <div class="row">
        <label class="stack" for="tf-name">${t("admin.name")}
          <input id="tf-name" required value=${form.name} onInput=${(e) => setForm({ ...form, name: e.target.value })} /></label>
        <label class="stack" for="tf-kind">${t("admin.kind")}
          <select id="tf-kind" value=${form.kind} onChange=${(e) => setForm({ ...form, kind: e.target.value })}>
            ${TAG_KINDS.map((k) => html`<option value=${k}>${t("tagKind." + k)}</option>`)}</select></label>
      </div>
      <label class="stack" for="tf-rule">${t("admin.rule")}
        <textarea id="tf-rule" rows="2" aria-describedby="tf-rule-hint" value=${form.rule}
          onInput=${(e) => setForm({ ...form, rule: e.target.value })}></textarea></label>
      <p class="muted" id="tf-rule-hint">${t("admin.ruleHint")}</p>
      <${RulePreview} ws=${ws} rule=${form.rule} />
      <div class="actions"><button type="submit" id="save-tag">${t(editing ? "links.save" : "admin.add")}</button>
        ${editing ? html`<button type="button" onClick=${() => { setEditing(null); setForm(blank); }}>${t("frame.cancel")}</button>` : null}</div>
    </form>`;
}

// ---- the audit log -------------------------------------------------------------------

const AUDIT_FILTERS = ["user", "action", "entity", "workspace", "since", "until"];

function Audit({ ws, route }) {
  const p = route.params;
  const [rows, setRows] = useState(null);
  const [cursor, setCursor] = useState(null);
  const [users, setUsers] = useState([]);
  const [workspaces, setWorkspaces] = useState([]);
  const out = useOutcome();
  useReady("admin", rows);
  const query = (more) => {
    const q = new URLSearchParams({ limit: "50" });
    for (const k of AUDIT_FILTERS) if (p[k]) q.set(k, p[k]);
    if (more) q.set("cursor", more);
    return q;
  };
  useEffect(() => {
    Promise.all([api("GET", "/users"), api("GET", "/workspaces?limit=200")])
      .then(([u, w]) => { setUsers(u.items); setWorkspaces(w.items); })
      .catch((e) => out.fail(t("error.load", { what: t("admin.users"), why: e.message })));
  }, []);
  useLoad((fresh) => {
    setRows(null);
    fresh(api("GET", `/audit?${query(null)}`)).then((r) => { setRows(r.items); setCursor(r.next_cursor); out.ok(""); })
      .catch((e) => { setRows([]); out.fail(t("error.load", { what: t("admin.audit"), why: e.message })); });
  }, AUDIT_FILTERS.map((k) => p[k]));
  const more = async () => {
    try {
      const r = await api("GET", `/audit?${query(cursor)}`);
      setRows([...rows, ...r.items]);
      setCursor(r.next_cursor);
    } catch (e) {
      out.fail(t("error.load", { what: t("admin.audit"), why: e.message }));
    }
  };
  const text = (k, label) => html`<${FilterText} id=${"af-" + k} label=${label} value=${p[k] || ""}
    commit=${(v) => setParams(route, { [k]: v })} />`;
  return html`<div class="filters">
      <label>${t("admin.who")} <select id="af-user" value=${p.user || ""} onChange=${(e) => setParams(route, { user: e.target.value })}>
        <option value="">${t("filter.any")}</option>
        ${users.map((u) => html`<option value=${u.id}>${u.email}</option>`)}</select></label>
      ${text("action", t("admin.action"))}
      ${text("entity", t("admin.entity"))}
      <label>${t("frame.workspace")} <select id="af-workspace" value=${p.workspace || ""}
        onChange=${(e) => setParams(route, { workspace: e.target.value })}>
        <option value="">${t("filter.any")}</option>
        ${workspaces.map((w) => html`<option value=${w.id}>${w.name}</option>`)}</select></label>
      <label>${t("dash.since")} <input type="date" id="af-since" value=${p.since || ""}
        onChange=${(e) => setParams(route, { since: e.target.value })} /></label>
      <label>${t("dash.until")} <input type="date" id="af-until" value=${p.until || ""}
        onChange=${(e) => setParams(route, { until: e.target.value })} /></label>
    </div>
    <p class="muted">${t("admin.auditHint")}</p>
    ${out.view}
    ${rows === null ? html`<p aria-busy="true">${t("frame.loading")}</p>` : rows.length ? html`<table id="audit">
      <caption class="visually-hidden">${t("admin.audit")}</caption>
      <thead><tr><th scope="col">${t("admin.when")}</th><th scope="col">${t("admin.who")}</th><th scope="col">${t("admin.action")}</th>
        <th scope="col">${t("admin.entity")}</th><th scope="col">${t("frame.workspace")}</th><th scope="col">${t("admin.detail")}</th></tr></thead>
      <tbody>${rows.map((a) => html`<tr data-id=${a.id}><td>${fmtTime(a.at, ws.timezone)}</td>
        <td>${a.user_email || t("admin.kanalItself")}</td><td>${a.action}</td>
        <td>${a.entity}${a.entity_id ? ` ${a.entity_id}` : ""}</td>
        <td>${a.workspace_id ? workspaces.find((w) => w.id === a.workspace_id)?.name ?? a.workspace_id : "–"}</td>
        <td>${a.detail}</td></tr>`)}</tbody></table>
      ${cursor ? html`<button type="button" id="audit-more" onClick=${more}>${t("frame.more")}</button>` : null}`
      : html`<${Empty} title=${t("admin.noAuditTitle")} next=${t("admin.noAuditNext")} />`}`;
}

// A text filter applied on Enter or leaving the field. What is typed is its
// own state until then: bound to the URL's value alone, a re-render (the
// list of the previous filter arriving) would put that value back over it.
function FilterText({ id, label, value, commit }) {
  const [draft, setDraft] = useState(value);
  useEffect(() => setDraft(value), [value]);
  return html`<label>${label} <input id=${id} value=${draft} size="12"
    onInput=${(e) => setDraft(e.target.value)} onChange=${(e) => commit(e.target.value.trim())} /></label>`;
}

// ---- the page ---------------------------------------------------------------------------

const PARTS = { users: Users, tokens: Tokens, workspaces: Workspaces, channels: ChannelsAdmin, campaigns: Campaigns,
  tags: Tags, audit: Audit };

export function Admin({ ws, me, route }) {
  if (me?.user.role !== "admin")
    return html`<h1>${t("nav.admin")}</h1>
      <${Empty} title=${t("admin.onlyAdmins")} next=${t("admin.onlyAdminsNext", { role: t("role." + me?.user.role) })} />`;
  const section = SECTIONS.includes(route.params.section) ? route.params.section : "users";
  const Part = PARTS[section];
  return html`<h1>${t("nav.admin")}</h1>
    <nav aria-label=${t("admin.sections")} class="tabs"><ul>
      ${SECTIONS.map((s) => html`<li><a id=${"admin-" + s} href=${href(ws.id, "admin", { section: s })}
        aria-current=${s === section ? "page" : null}>${t("admin." + s)}</a></li>`)}
    </ul></nav>
    <section aria-labelledby="admin-title">
      <h2 id="admin-title">${t("admin." + section)}</h2>
      <${Part} key=${section} ws=${ws} me=${me} route=${route} />
    </section>`;
}
