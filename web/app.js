// app: the desk's frame: who is signed in, which workspace, the navigation
// between views (their state in the URL, router.js), the language, the
// keyboard shortcuts, the place where errors are told, the notifications
// bell and the crisis switch (its banner on every page). Each view is a
// page-*.js module.
import { html, render, useState, useEffect, useRef, Problem } from "/ui.js";
import { api, session, ApiError } from "/api.js";
import { t, LANGS, chooseLang, setLang, currentLang } from "/i18n.js";
import { parse, href, go, VIEWS } from "/router.js";
import { Dashboard } from "/page-dashboard.js";
import { Channels } from "/page-channels.js";
import { Inbox, INBOX_KEYS } from "/page-inbox.js";
import { Calendar } from "/page-calendar.js";
import { Review } from "/page-review.js";
import { Post } from "/page-post.js";
import { Links } from "/page-links.js";
import { Admin } from "/page-admin.js";
import { Analytics } from "/page-analytics.js";
import { Listening } from "/page-listening.js";
import { Notifications } from "/notifications.js";
import { usePauses, CrisisBanner, PauseButton, PauseDialog, ResumeDialog } from "/crisis.js";

const PAGES = { dashboard: Dashboard, channels: Channels, inbox: Inbox, calendar: Calendar,
  review: Review, posts: Post, listening: Listening, links: Links, admin: Admin, analytics: Analytics };
// g then a letter goes to a view.
const KEYS = { d: "dashboard", c: "channels", i: "inbox", k: "calendar", r: "review", s: "listening",
  a: "analytics", l: "links", m: "admin" };

function useRoute() {
  const [route, setRoute] = useState(parse());
  useEffect(() => {
    const on = () => setRoute(parse());
    window.addEventListener("hashchange", on);
    return () => window.removeEventListener("hashchange", on);
  }, []);
  return route;
}

function UserMenu({ me, onSignOut }) {
  const [open, setOpen] = useState(false);
  const ref = useRef(null);
  useEffect(() => {
    if (!open) return undefined;
    const close = (e) => { if (!ref.current?.contains(e.target)) setOpen(false); };
    const esc = (e) => { if (e.key === "Escape") { setOpen(false); ref.current?.querySelector("button")?.focus(); } };
    document.addEventListener("click", close);
    document.addEventListener("keydown", esc);
    return () => { document.removeEventListener("click", close); document.removeEventListener("keydown", esc); };
  }, [open]);
  return html`<div class="menu" ref=${ref}>
    <button type="button" id="user-menu" aria-haspopup="true" aria-expanded=${open}
      aria-controls="user-menu-list" onClick=${() => setOpen(!open)}>${me.user.name || me.user.email}</button>
    <div id="user-menu-list" class="menu-list" hidden=${!open}>
      <p id="who">${me.user.email} (${t("role." + me.user.role)})</p>
      <button type="button" id="signout" onClick=${onSignOut}>${t("frame.signout")}</button>
    </div>
  </div>`;
}

function Help({ dialogRef }) {
  return html`<dialog ref=${dialogRef} id="help" aria-labelledby="help-title">
    <h2 id="help-title">${t("help.title")}</h2>
    <dl class="keys">
      <dt><kbd>?</kbd></dt><dd>${t("help.help")}</dd>
      ${Object.entries(KEYS).map(([k, v]) => html`<dt><kbd>g</kbd> <kbd>${k}</kbd></dt><dd>${t("nav." + v)}</dd>`)}
      <dt><kbd>Esc</kbd></dt><dd>${t("help.close")}</dd>
    </dl>
    <h3 id="help-inbox">${t("nav.inbox")}</h3>
    <dl class="keys" aria-labelledby="help-inbox">
      ${INBOX_KEYS.map(([k, what]) => html`<dt><kbd>${k}</kbd></dt><dd>${t(what)}</dd>`)}
    </dl>
    <form method="dialog"><button>${t("help.close")}</button></form>
  </dialog>`;
}

function App() {
  const route = useRoute();
  const [me, setMe] = useState(null);
  const [workspaces, setWorkspaces] = useState(null);
  const [error, setError] = useState("");
  const [lang, setLangState] = useState(currentLang());
  const help = useRef(null);
  const notice = useRef("");

  // The workspaces again when a page changes them (administration sends
  // "kanal:workspaces"), so the switcher never offers one that is gone.
  useEffect(() => {
    const load = async () => {
      try {
        const ws = await api("GET", "/workspaces?limit=200");
        setWorkspaces(ws.items);
      } catch (e) {
        if (e instanceof ApiError && e.status === 401) { location.assign("/login"); return; }
        setError(t("error.load", { what: t("frame.workspaces"), why: e.message }));
      }
    };
    (async () => {
      try {
        const [s, ws] = await boot;
        setMe(s);
        setWorkspaces(ws.items);
      } catch (e) {
        if (e instanceof ApiError && e.status === 401) { location.assign("/login"); return; }
        setError(t("error.load", { what: t("frame.workspaces"), why: e.message }));
      }
    })();
    window.addEventListener("kanal:workspaces", load);
    return () => window.removeEventListener("kanal:workspaces", load);
  }, []);

  // With no workspace in the URL, the first one; with one the user cannot
  // see, the first one and a word on why.
  useEffect(() => {
    if (!workspaces?.length || workspaces.some((w) => w.id === route.ws)) return;
    const asked = route.ws;
    history.replaceState(null, "", href(workspaces[0].id, asked ? "dashboard" : route.view));
    window.dispatchEvent(new HashChangeEvent("hashchange"));
    if (asked) notice.current = t("error.noWorkspace", { id: asked, name: workspaces[0].name });
  }, [workspaces, route.ws]);

  useEffect(() => {
    let pending = false, timer = 0;
    const onKey = (e) => {
      const tag = e.target.tagName;
      if (e.ctrlKey || e.metaKey || e.altKey || ["INPUT", "TEXTAREA", "SELECT"].includes(tag) ||
          e.target.isContentEditable) return;
      if (e.key === "?") { e.preventDefault(); help.current?.showModal(); return; }
      if (pending && KEYS[e.key]) {
        pending = false;
        const r = parse();
        if (r.ws) go(r.ws, KEYS[e.key]);
        return;
      }
      pending = e.key === "g";
      clearTimeout(timer);
      timer = setTimeout(() => { pending = false; }, 1500);
    };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, []);

  // A new view starts without the old one's error (but with a word on why
  // the frame chose it, if it did).
  useEffect(() => {
    setError(notice.current);
    notice.current = "";
  }, [route.ws, route.view, route.id]);

  const ws = workspaces?.find((w) => w.id === route.ws);
  const crisis = usePauses(ws, route);
  const [switching, setSwitching] = useState(""); // "", "pause" or "resume"
  const [switched, setSwitched] = useState("");
  const switchDone = (message) => {
    setSwitching("");
    setSwitched(message);
    crisis.refresh();
  };
  // The tab's title says where one is, which is also what a screen reader
  // announces on a change of view.
  useEffect(() => {
    if (ws) document.title = `${t(route.view === "posts" ? "post.title" : "nav." + route.view, { id: route.id })} · ${ws.name} · kanal`;
  }, [ws, route.view, route.id, lang]);
  const Page = PAGES[route.view];
  const signOut = async () => {
    try {
      await api("DELETE", "/session");
      location.assign("/login");
    } catch (e) {
      setError(t("error.signout", { why: e.message }));
    }
  };
  const changeLang = async (l) => {
    try {
      await setLang(l, true);
      setLangState(l);
    } catch (e) {
      setError(e.message);
    }
  };

  return html`
    <a class="skip" href="#main" onClick=${(e) => { e.preventDefault(); document.getElementById("main").focus(); }}>${t("frame.skip")}</a>
    <header class="bar">
      <strong class="brand">kanal</strong>
      ${workspaces?.length ? html`<label>${t("frame.workspace")}
        <select id="workspace" value=${route.ws ?? ""}
          onChange=${(e) => go(Number(e.target.value), route.view === "posts" ? "dashboard" : route.view)}>
          ${workspaces.map((w) => html`<option value=${w.id}>${w.name}</option>`)}
        </select></label>` : null}
      <span class="spacer"></span>
      <label>${t("frame.language")}
        <select id="lang" value=${lang} onChange=${(e) => changeLang(e.target.value)}>
          ${LANGS.map((l) => html`<option value=${l}>${t("lang." + l)}</option>`)}
        </select></label>
      ${ws ? html`<${PauseButton} me=${me} onPause=${() => setSwitching("pause")} />` : null}
      ${me ? html`<${Notifications} route=${route} zone=${ws?.timezone} setError=${setError} />` : null}
      <button type="button" id="help-button" aria-keyshortcuts="?" onClick=${() => help.current?.showModal()}>
        ${t("frame.shortcuts")}</button>
      ${me ? html`<${UserMenu} me=${me} onSignOut=${signOut} />` : null}
    </header>
    ${ws ? html`<nav class="views" aria-label=${t("frame.views")}><ul>
      ${VIEWS.map((v) => html`<li><a href=${href(ws.id, v)} id=${"nav-" + v}
        aria-current=${route.view === v ? "page" : null}>${t("nav." + v)}</a></li>`)}
    </ul></nav>` : null}
    ${ws ? html`<${CrisisBanner} ws=${ws} me=${me} pauses=${crisis.pauses}
      onResume=${() => setSwitching("resume")} />` : null}
    <p role="status" class="done" id="crisis-done">${switched}</p>
    <main id="main" tabindex="-1">
      <${Problem} error=${error || crisis.error} />
      ${workspaces && !workspaces.length ? html`<div class="empty"><h1>${t("frame.noWorkspace")}</h1>
        <p>${t("frame.noWorkspaceNext")}</p></div>` : null}
      ${ws && Page ? html`<${Page} key=${`${ws.id}/${route.view}/${route.id}/${lang}`} ws=${ws}
        me=${me} route=${route} setError=${setError}
        crisis=${{ pauses: crisis.pauses, pause: () => setSwitching("pause") }} />` : null}
      ${ws && !Page ? html`<p role="alert" class="problem">${t("error.noView", { view: route.view })}</p>` : null}
    </main>
    <${Help} dialogRef=${help} />
    ${ws ? html`<${PauseDialog} ws=${ws} open=${switching === "pause"} onClose=${() => setSwitching("")}
      onDone=${switchDone} />
    <${ResumeDialog} ws=${ws} open=${switching === "resume"} onClose=${() => setSwitching("")}
      onDone=${switchDone} />` : null}`;
}

// The OAuth callback returns the browser as /?workspace=ID&connected=IDS:
// the channels view of that workspace, saying what was connected.
const back = new URLSearchParams(location.search);
if (back.get("workspace")) {
  history.replaceState(null, "", "/" + href(Number(back.get("workspace")), "channels",
    { connected: back.get("connected") || "" }));
}

// Who is signed in and the workspaces are asked for while the language
// loads, not after it: the first page waits for one round trip, not three.
const boot = Promise.all([session(), api("GET", "/workspaces?limit=200")]);
boot.catch(() => {}); // told by App, which awaits it

(async () => {
  try {
    await setLang(chooseLang(), false);
  } catch (e) {
    await setLang("en", false);
  }
  render(html`<${App} />`, document.getElementById("app"));
})();
