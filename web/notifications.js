// notifications: the bell in the desk's header. What waits for the person
// signed in (review requests, approvals, rejections, failed posts: the
// notify/ events, and listening's alerts), with the unread count, each a link to its post
// (an alert: to the Listening page's alerts), marked
// read one by one (also by opening it) or all at once. Read again on every
// change of view and every POLL_MS.
import { html, useState, useEffect, useRef, useCallback } from "/ui.js";
import { api } from "/api.js";
import { t, fmtTime } from "/i18n.js";
import { href } from "/router.js";

const POLL_MS = 30000;

// notify/'s events by name (an event kanal does not know yet shows its own name).
function eventName(e) {
  const names = { review_requested: t("notify.event.review_requested"), approved: t("notify.event.approved"),
    rejected: t("notify.event.rejected"), post_failed: t("notify.event.post_failed"),
    listen_alert: t("notify.event.listen_alert") };
  return names[e] || e;
}

export function Notifications({ route, zone, setError }) {
  const [list, setList] = useState({ unread: 0, items: [] });
  const [open, setOpen] = useState(false);
  const ref = useRef(null);
  const refresh = useCallback(async () => {
    try {
      setList(await api("GET", "/notifications?limit=30"));
    } catch (e) {
      setError(t("error.load", { what: t("notify.title"), why: e.message }));
    }
  }, []);
  useEffect(() => {
    refresh();
    const timer = setInterval(refresh, POLL_MS);
    return () => clearInterval(timer);
  }, [refresh, route.ws, route.view, route.id]);
  useEffect(() => {
    if (!open) return undefined;
    const close = (e) => { if (!ref.current?.contains(e.target)) setOpen(false); };
    const esc = (e) => {
      if (e.key !== "Escape") return;
      setOpen(false);
      ref.current?.querySelector("#notify-button")?.focus();
    };
    document.addEventListener("click", close);
    document.addEventListener("keydown", esc);
    return () => { document.removeEventListener("click", close); document.removeEventListener("keydown", esc); };
  }, [open]);
  const mark = async (id) => {
    try {
      await api("POST", id ? `/notifications/${id}/read` : "/notifications/read", {});
      await refresh();
    } catch (e) {
      setError(t("notify.markFailed", { why: e.message }));
    }
  };
  const toggle = () => {
    if (!open) refresh();
    setOpen(!open);
  };
  return html`<div class="menu notify" ref=${ref}>
    <button type="button" id="notify-button" aria-haspopup="true" aria-expanded=${open}
      aria-controls="notify-panel" onClick=${toggle}>
      ${t("notify.title")}${list.unread ? html` <span class="badge" id="notify-count">${list.unread}</span><span
        class="visually-hidden"> ${t("notify.unread")}</span>` : null}
    </button>
    <div id="notify-panel" class="menu-list notify-panel" hidden=${!open}>
      <div class="notify-head">
        <h2>${t("notify.title")}</h2>
        <button type="button" id="notify-read-all" disabled=${!list.unread} onClick=${() => mark(0)}>
          ${t("notify.readAll")}</button>
      </div>
      ${list.items.length ? html`<ul id="notify-list">${list.items.map((n) => html`<li key=${n.id}
        data-id=${n.id} class=${n.read ? "read" : "unread"}>
        <span class="meta">${eventName(n.event)} · ${fmtTime(n.created_at, zone)}${n.read ? "" : " · " + t("notify.new")}</span>
        ${n.post_id ? html`<a href=${href(n.workspace_id, "posts", {}, n.post_id)}
          onClick=${() => { setOpen(false); if (!n.read) mark(n.id); }}>${n.title}</a>`
          : n.event === "listen_alert" ? html`<a href=${href(n.workspace_id, "listening", { tab: "alerts" })}
          onClick=${() => { setOpen(false); if (!n.read) mark(n.id); }}>${n.title}</a>`
          : html`<strong>${n.title}</strong>`}
        ${n.body ? html`<p>${n.body}</p>` : null}
        ${n.read ? null : html`<button type="button" class="notify-read" onClick=${() => mark(n.id)}>
          ${t("notify.markRead")}<span class="visually-hidden">: ${n.title}</span></button>`}
      </li>`)}</ul>` : html`<p class="muted">${t("notify.empty")}</p>`}
    </div>
  </div>`;
}
