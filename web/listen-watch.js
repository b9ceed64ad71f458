// listen-watch: what the Listening page watches and how it tells the desk.
// Sources: the feeds, pages (read with CSS selectors), sitemaps and
// Mastodon timelines the workspace fetches, each with its interval, when it
// was last fetched, its last error and how many fetches in a row failed
// (and so how long it backs off); added with the server's reasons shown
// beside the field they are about, deleted after a confirmation. Alerts:
// per query each match, a digest or a spike, muted or snoozed, and the
// alerts that fired (which query, which items, why).
import { html, useState, useEffect, useRef, Empty, outsideLink } from "/ui.js";
import { api } from "/api.js";
import { t, fmtNumber, fmtTime } from "/i18n.js";

const KINDS = ["feed", "html", "sitemap", "mastodon_tag", "mastodon_public"];
const SELECTORS = ["item", "title", "link", "time", "author"];
// Intervals offered (seconds): the server takes 60 to 604800.
const INTERVALS = [300, 900, 1800, 3600, 6 * 3600, 86400, 7 * 86400];
const MODES = ["each", "hourly", "daily", "spike_volume", "spike_negative"];
const VIAS = ["in_app", "email", "webhook"];
const SNOOZES = [1, 8, 24, 72]; // hours

function fmtInterval(s) {
  if (s % 86400 === 0) return t("listen.everyDays", { n: fmtNumber(s / 86400) });
  if (s % 3600 === 0) return t("listen.everyHours", { n: fmtNumber(s / 3600) });
  return t("listen.everyMinutes", { n: fmtNumber(Math.round(s / 60)) });
}

// A field's problem from the server, beside it (aria-describedby names it).
function Problem({ id, errs, name }) {
  return html`<span id=${id} class="problem field-problem">${errs[name] || ""}</span>`;
}

// The server's error by the field it names; one it does not place goes
// to the form's own line.
function placed(e, fields) {
  const f = e.field && fields.find((x) => e.field === x || e.field.startsWith(x + "."));
  return f ? { [e.field === "selectors" ? "selectors.item" : e.field]: e.message } : { form: e.message };
}

// Delete with a confirmation: the button asks, and focus moves to the
// question's "yes" so the keyboard lands where the choice is.
function Confirmed({ label, question, onYes, cls }) {
  const [asking, setAsking] = useState(false);
  const yes = useRef(null);
  const ask = useRef(null);
  useEffect(() => { if (asking) yes.current?.focus(); }, [asking]);
  const cancel = () => { setAsking(false); setTimeout(() => ask.current?.focus(), 0); };
  return asking ? html`<span class="confirm" role="group" aria-label=${question}>
      <span>${question}</span>
      <button type="button" ref=${yes} class=${"danger confirm-yes " + cls} onClick=${onYes}>${t("listen.confirmDelete")}</button>
      <button type="button" class="confirm-no" onClick=${cancel}>${t("listen.cancel")}</button>
    </span>`
    : html`<button type="button" ref=${ask} class=${cls} aria-label=${label} onClick=${() => setAsking(true)}>${t("listen.delete")}</button>`;
}

function sourceState(s, zone) {
  if (!s.last_error) return s.last_fetched ? t("listen.sourceOk") : t("listen.sourceNotYet");
  const at = fmtTime(s.last_error_at, zone);
  return s.failures === 1 ? t("listen.sourceFailedOnce", { at }) : t("listen.sourceFailing", { n: fmtNumber(s.failures), at });
}

function SourceRow({ s, ws, canEdit, onDeleted, setError }) {
  const remove = async () => {
    try {
      await api("DELETE", `/workspaces/${ws.id}/listen/sources/${s.id}`);
      onDeleted(s.id);
      setError("");
    } catch (e) {
      setError(t("listen.sourceDeleteFailed", { why: e.message }));
    }
  };
  return html`<tr data-source=${s.id}>
    <th scope="row"><span class="source-url">${s.url}</span>
      ${s.kind === "html" && s.selectors ? html`<div class="muted selectors">${SELECTORS.filter((k) => s.selectors[k])
        .map((k) => html`<span>${t("listen.selector." + k)}: <code>${s.selectors[k]}</code> </span>`)}</div>` : null}</th>
    <td class="kind">${t("listen.kind." + s.kind)}</td>
    <td>${fmtInterval(s.interval)}</td>
    <td class="last-fetched">${s.last_fetched ? fmtTime(s.last_fetched, ws.timezone) : t("listen.never")}</td>
    <td class="num">${fmtNumber(s.items)}</td>
    <td class="state">
      <span class=${s.last_error ? "problem" : ""}>${sourceState(s, ws.timezone)}</span>
      ${s.last_error ? html`<div class="last-error">${s.last_error}</div>` : null}
      <div class="muted next-fetch">${t(s.failures ? "listen.backoffUntil" : "listen.nextFetch", { at: fmtTime(s.next_fetch, ws.timezone) })}</div>
    </td>
    ${canEdit ? html`<td><${Confirmed} cls="source-delete" label=${t("listen.deleteSource", { url: s.url })}
      question=${t("listen.deleteSourceQ", { url: s.url })} onYes=${remove} /></td>` : null}
  </tr>`;
}

function AddSource({ ws, onAdded }) {
  const blank = { url: "", kind: "feed", interval: "900", item: "", title: "", link: "", time: "", author: "" };
  const [f, setF] = useState(blank);
  const [errs, setErrs] = useState({});
  const [said, setSaid] = useState("");
  const set = (k) => (e) => setF({ ...f, [k]: e.target.value });
  const submit = async (e) => {
    e.preventDefault();
    const body = { url: f.url, kind: f.kind, interval: Number(f.interval) };
    if (f.kind === "html") {
      body.selectors = {};
      for (const k of SELECTORS) if (f[k].trim()) body.selectors[k] = f[k].trim();
    }
    try {
      await api("POST", `/workspaces/${ws.id}/listen/sources`, body);
      setErrs({});
      setSaid(t("listen.sourceAdded", { url: f.url }));
      setF(blank);
      onAdded();
    } catch (err) {
      setSaid("");
      setErrs(placed(err, ["url", "kind", "interval", "selectors"]));
    }
  };
  const described = (name) => ({ "aria-describedby": "se-" + name.replace(".", "-"), "aria-invalid": errs[name] ? "true" : null });
  return html`<h2 id="listen-add-source-title">${t("listen.addSource")}</h2>
    <form id="listen-add-source" class="stacked" aria-labelledby="listen-add-source-title" onSubmit=${submit} novalidate>
      <label>${t("listen.sourceUrl")} <input type="url" id="source-url" required size="60" value=${f.url}
        placeholder="https://example.org/feed.xml" onInput=${set("url")} ...${described("url")} /></label>
      <${Problem} id="se-url" errs=${errs} name="url" />
      <label>${t("listen.sourceKind")} <select id="source-kind" value=${f.kind} onChange=${set("kind")} ...${described("kind")}>
        ${KINDS.map((k) => html`<option value=${k}>${t("listen.kind." + k)}</option>`)}
      </select></label>
      <${Problem} id="se-kind" errs=${errs} name="kind" />
      <label>${t("listen.interval")} <select id="source-interval" value=${f.interval} onChange=${set("interval")} ...${described("interval")}>
        ${INTERVALS.map((s) => html`<option value=${String(s)}>${fmtInterval(s)}</option>`)}
      </select></label>
      <${Problem} id="se-interval" errs=${errs} name="interval" />
      ${f.kind === "html" ? html`<fieldset id="source-selectors">
        <legend>${t("listen.selectors")}</legend>
        <p class="muted">${t("listen.selectorsHelp")}</p>
        ${SELECTORS.map((k) => html`<label>${t("listen.selector." + k)} <input type="text" id=${"source-sel-" + k}
            value=${f[k]} required=${k === "item"} onInput=${set(k)} ...${described("selectors." + k)} /></label>
          <${Problem} id=${"se-selectors-" + k} errs=${errs} name=${"selectors." + k} />`)}
      </fieldset>` : null}
      <button type="submit" class="primary">${t("listen.add")}</button>
      <p class="problem" id="source-form-problem" role="alert">${errs.form || (Object.keys(errs).length ? t("listen.fixFields") : "")}</p>
      <p role="status" id="source-said">${said}</p>
    </form>`;
}

export function Sources({ ws, canEdit, setError }) {
  const [list, setList] = useState(null);
  const load = async () => {
    try {
      setList((await api("GET", `/workspaces/${ws.id}/listen/sources`)).items);
    } catch (e) {
      setError(t("error.load", { what: t("listen.tabSources"), why: e.message }));
    }
  };
  useEffect(() => { load(); }, [ws.id]);
  if (!list) return html`<p aria-busy="true">${t("frame.loading")}</p>`;
  return html`<p class="muted">${t("listen.sourcesHelp")}</p>
    ${list.length ? html`<table id="listen-source-list">
      <caption class="visually-hidden">${t("listen.tabSources")}</caption>
      <thead><tr><th scope="col">${t("listen.sourceUrl")}</th><th scope="col">${t("listen.sourceKind")}</th>
        <th scope="col">${t("listen.interval")}</th><th scope="col">${t("listen.lastFetched")}</th>
        <th scope="col" class="num">${t("listen.items")}</th><th scope="col">${t("listen.sourceStatus")}</th>
        ${canEdit ? html`<th scope="col"><span class="visually-hidden">${t("listen.actions")}</span></th>` : null}</tr></thead>
      <tbody>${list.map((s) => html`<${SourceRow} key=${s.id} s=${s} ws=${ws} canEdit=${canEdit} setError=${setError}
        onDeleted=${(id) => setList(list.filter((x) => x.id !== id))} />`)}</tbody>
    </table>` : html`<${Empty} title=${t("listen.noSourcesTitle")} next=${t(canEdit ? "listen.noSourcesAdd" : "listen.noSourcesNext", { slug: ws.slug })} />`}
    ${canEdit ? html`<${AddSource} ws=${ws} onAdded=${load} />` : null}`;
}

// ---- alerts ------------------------------------------------------------------

function AlertRow({ a, ws, canEdit, onChange, setError }) {
  const [hours, setHours] = useState("8");
  const patch = async (body, said) => {
    try {
      const all = await api("PATCH", `/workspaces/${ws.id}/listen/alerts/${a.id}`, body);
      onChange(all.items, said);
      setError("");
    } catch (e) {
      setError(t("listen.alertSaveFailed", { why: e.message }));
    }
  };
  const remove = async () => {
    try {
      await api("DELETE", `/workspaces/${ws.id}/listen/alerts/${a.id}`);
      onChange(null, t("listen.alertDeleted", { query: a.tag }));
      setError("");
    } catch (e) {
      setError(t("listen.alertSaveFailed", { why: e.message }));
    }
  };
  const snoozed = a.snoozed_until && new Date(a.snoozed_until) > new Date();
  const snooze = (e) => {
    e.preventDefault();
    const until = new Date(Date.now() + Number(hours) * 3600e3).toISOString().replace(/\.\d+Z$/, "Z");
    patch({ snoozed_until: until }, t("listen.alertSnoozed", { query: a.tag, at: fmtTime(until, ws.timezone) }));
  };
  return html`<li data-alert=${a.id}>
    <strong>${a.tag}</strong> · ${t("listen.mode." + a.mode)}
    <div class="meta">${t("listen.via")}: ${a.via.split(",").map((v) => t("listen.via." + v)).join(", ")}
      ${a.email_to ? html` · ${a.email_to}` : null}
      · <span class="alert-state">${a.muted ? t("listen.muted") : snoozed ? t("listen.snoozedUntil", { at: fmtTime(a.snoozed_until, ws.timezone) }) : t("listen.active")}</span>
      ${a.last_fired_at ? html` · ${t("listen.lastFired", { at: fmtTime(a.last_fired_at, ws.timezone) })}` : null}</div>
    <p class="muted"><code>${a.rule}</code></p>
    ${canEdit ? html`<div class="controls">
      <button type="button" class="alert-mute" aria-pressed=${a.muted ? "true" : "false"}
        onClick=${() => patch({ muted: !a.muted }, t(a.muted ? "listen.alertUnmuted" : "listen.alertMutedSaid", { query: a.tag }))}>${t("listen.mute")}</button>
      ${snoozed ? html`<button type="button" class="alert-unsnooze"
          onClick=${() => patch({ snoozed_until: null }, t("listen.alertUnsnoozed", { query: a.tag }))}>${t("listen.endSnooze")}</button>`
        : html`<form class="alert-snooze" onSubmit=${snooze}>
          <label>${t("listen.snoozeFor")} <select class="snooze-hours" value=${hours} onChange=${(e) => setHours(e.target.value)}>
            ${SNOOZES.map((h) => html`<option value=${String(h)}>${t("listen.hours", { n: fmtNumber(h) })}</option>`)}
          </select></label>
          <button type="submit">${t("listen.snooze")}</button>
        </form>`}
      <${Confirmed} cls="alert-delete" label=${t("listen.deleteAlert", { query: a.tag })}
        question=${t("listen.deleteAlertQ", { query: a.tag })} onYes=${remove} />
    </div>` : null}
  </li>`;
}

function AddAlert({ ws, queries, onAdded }) {
  const blank = { tag: queries[0]?.name ?? "", mode: "each", via: ["in_app"], email_to: "" };
  const [f, setF] = useState(blank);
  const [errs, setErrs] = useState({});
  const set = (k) => (e) => setF({ ...f, [k]: e.target.value });
  const tick = (v) => (e) => setF({ ...f, via: e.target.checked ? [...f.via, v] : f.via.filter((x) => x !== v) });
  const submit = async (e) => {
    e.preventDefault();
    try {
      await api("POST", `/workspaces/${ws.id}/listen/alerts`,
        { tag: f.tag, mode: f.mode, via: VIAS.filter((v) => f.via.includes(v)).join(","), email_to: f.email_to.trim() });
      setErrs({});
      setF(blank);
      onAdded(t("listen.alertAdded", { query: f.tag }));
    } catch (err) {
      setErrs(placed(err, ["tag", "mode", "via", "email_to"]));
    }
  };
  const described = (name) => ({ "aria-describedby": "ae-" + name, "aria-invalid": errs[name] ? "true" : null });
  return html`<h2 id="listen-add-alert-title">${t("listen.addAlert")}</h2>
    <form id="listen-add-alert" class="stacked" aria-labelledby="listen-add-alert-title" onSubmit=${submit} novalidate>
      <label>${t("listen.query")} <select id="alert-tag" value=${f.tag} onChange=${set("tag")} ...${described("tag")}>
        ${queries.map((q) => html`<option value=${q.name}>${q.name}</option>`)}
      </select></label>
      <${Problem} id="ae-tag" errs=${errs} name="tag" />
      <label>${t("listen.alertMode")} <select id="alert-mode" value=${f.mode} onChange=${set("mode")} ...${described("mode")}>
        ${MODES.map((m) => html`<option value=${m}>${t("listen.mode." + m)}</option>`)}
      </select></label>
      <p class="muted">${t("listen.modeHelp." + f.mode)}</p>
      <${Problem} id="ae-mode" errs=${errs} name="mode" />
      <fieldset id="alert-via" ...${described("via")}><legend>${t("listen.via")}</legend>
        ${VIAS.map((v) => html`<label><input type="checkbox" id=${"alert-via-" + v} checked=${f.via.includes(v)}
          onChange=${tick(v)} /> ${t("listen.via." + v)}</label>`)}
      </fieldset>
      <${Problem} id="ae-via" errs=${errs} name="via" />
      <label>${t("listen.emailTo")} <input type="text" id="alert-email-to" size="50" value=${f.email_to}
        placeholder="a@example.org,b@example.org" onInput=${set("email_to")} ...${described("email_to")} /></label>
      <${Problem} id="ae-email_to" errs=${errs} name="email_to" />
      <button type="submit" class="primary">${t("listen.add")}</button>
      <p class="problem" id="alert-form-problem" role="alert">${errs.form || (Object.keys(errs).length ? t("listen.fixFields") : "")}</p>
    </form>`;
}

function Events({ events, ws }) {
  if (!events.length) return html`<p class="muted" id="listen-no-events">${t("listen.noEvents")}</p>`;
  return html`<ol id="listen-events" class="posts">
    ${events.map((ev) => html`<li key=${ev.id} data-event=${ev.id} data-alert=${ev.alert_id}>
      <div class="meta">${fmtTime(ev.fired_at, ws.timezone)} · ${t("listen.mode." + ev.mode)}</div>
      <h3 class="event-query">${ev.tag}</h3>
      <p class="event-reason">${ev.reason}</p>
      ${ev.items.length ? html`<ul class="event-items">${ev.items.map((it) => html`<li data-item=${it.id}>
        ${outsideLink(it.link) ? html`<a href=${outsideLink(it.link)} rel="noopener noreferrer" target="_blank">${it.title || t("listen.untitled")}</a>`
          : it.title || t("listen.untitled")}</li>`)}</ul>` : null}
    </li>`)}
  </ol>`;
}

export function Alerts({ ws, queries, canEdit, setError }) {
  const [alerts, setAlerts] = useState(null);
  const [events, setEvents] = useState([]);
  const [said, setSaid] = useState("");
  const load = async () => {
    try {
      const [a, ev] = await Promise.all([api("GET", `/workspaces/${ws.id}/listen/alerts`),
        api("GET", `/workspaces/${ws.id}/listen/alerts/events?limit=30`)]);
      setAlerts(a.items);
      setEvents(ev.items);
    } catch (e) {
      setError(t("error.load", { what: t("listen.tabAlerts"), why: e.message }));
    }
  };
  useEffect(() => { load(); }, [ws.id]);
  if (!alerts) return html`<p aria-busy="true">${t("frame.loading")}</p>`;
  const changed = (id) => (all, words) => {
    setAlerts(all ?? alerts.filter((x) => x.id !== id));
    setSaid(words);
  };
  return html`<p class="muted">${t("listen.alertsHelp")}</p>
    <p role="status" id="alert-said">${said}</p>
    ${alerts.length ? html`<ul id="listen-alerts" class="posts">
      ${alerts.map((a) => html`<${AlertRow} key=${a.id} a=${a} ws=${ws} canEdit=${canEdit} setError=${setError} onChange=${changed(a.id)} />`)}
    </ul>` : html`<${Empty} title=${t("listen.noAlertsTitle")} next=${t(queries.length ? "listen.noAlertsNext" : "listen.noQueriesNext")} />`}
    ${canEdit && queries.length ? html`<${AddAlert} ws=${ws} queries=${queries}
      onAdded=${(words) => { setSaid(words); load(); }} />` : null}
    <h2 id="listen-events-title">${t("listen.recentAlerts")}</h2>
    <${Events} events=${events} ws=${ws} />`;
}
