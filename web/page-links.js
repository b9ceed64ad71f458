// page-links: the workspace's short links. The UTM builder makes one (a
// channel and a campaign fill source, medium and campaign, as the server
// would: it previews every change); each link can be copied, its QR code
// downloaded, edited (never its code: printed QR codes carry it) and retired.
// Below, the clicks grouped as the stats API groups them, and the advocates'
// leaderboard. Filters, the grouping and the link being edited live in the URL.
import { html, useState, useEffect, useRef, everyItem, Empty, useReady, outsideLink } from "/ui.js";
import { api } from "/api.js";
import { t, fmtNumber, fmtPercent, fmtTime, fmtDay } from "/i18n.js";
import { setParams } from "/router.js";
import { Chart } from "/chart.js";

const UTM = ["utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content"];
const GROUPS = ["link", "campaign", "channel", "post", "day", "advocate"];
// What the builder previews with before a URL is typed: only the UTM parts
// are read from that answer.
const PLACEHOLDER_URL = "https://example.org/";

function shortUrl(link) {
  return location.origin + link.short_path;
}

function idOrNull(v) {
  return v ? Number(v) : null;
}

// Copies text; where the browser refuses (no permission), selects it in a
// field for the user's own Ctrl+C and says so.
async function copy(text, field) {
  try {
    await navigator.clipboard.writeText(text);
    return t("links.copied", { url: text });
  } catch (e) {
    field?.select();
    return t("links.copyByHand");
  }
}

// The link's fields as a form holds them (strings; "" for none).
function formOf(link) {
  const f = { url: link?.url || "", channel_id: String(link?.channel_id || ""),
    campaign_id: String(link?.campaign_id || ""), advocate: link?.advocate || "", code: "" };
  for (const k of UTM) f[k] = link?.[k] || "";
  return f;
}

function bodyOf(f, { withCode }) {
  const b = { url: f.url.trim(), channel_id: idOrNull(f.channel_id), campaign_id: idOrNull(f.campaign_id),
    advocate: f.advocate.trim() };
  for (const k of UTM) b[k] = f[k].trim();
  if (withCode && f.code.trim()) b.code = f.code.trim();
  return b;
}

// The builder's fields: shared by the new-link form and the edit dialog.
// A change of channel, campaign or advocate asks the server what it would
// fill in, and fills those parts of the form with it.
function LinkFields({ ws, form, setForm, channels, campaigns, prefix, withCode }) {
  const [preview, setPreview] = useState(null);
  const [problem, setProblem] = useState("");
  const seq = useRef(0);
  const ask = async (next, refill) => {
    const n = ++seq.current;
    const b = bodyOf(next, { withCode: false });
    if (!b.url) b.url = PLACEHOLDER_URL;
    for (const k of refill) b[k] = "";
    try {
      const out = await api("POST", `/workspaces/${ws.id}/links/preview`, b);
      if (n !== seq.current) return;
      setProblem("");
      if (refill.length) setForm((cur) => ({ ...cur, ...Object.fromEntries(refill.map((k) => [k, out[k]])) }));
      setPreview(next.url.trim() ? out : null);
    } catch (e) {
      if (n !== seq.current) return;
      setPreview(null);
      setProblem(e.field ? t("links.fieldProblem", { field: e.field, why: e.message }) : e.message);
    }
  };
  // The URL and UTM parts as typed: previewed after a pause in typing.
  const timer = useRef(0);
  useEffect(() => () => clearTimeout(timer.current), []);
  // UTM parts the user typed are theirs; the others follow the choices.
  const touched = useRef(new Set());
  const FILLS = { channel_id: ["utm_source", "utm_medium"], campaign_id: ["utm_campaign"], advocate: ["utm_content"] };
  const set = (k, v) => {
    const next = { ...form, [k]: v };
    setForm(next);
    clearTimeout(timer.current);
    if (UTM.includes(k)) touched.current.add(k);
    const refill = (FILLS[k] || []).filter((u) => !touched.current.has(u));
    if (refill.length) ask(next, refill);
    else timer.current = setTimeout(() => ask(next, []), 300);
  };
  const id = (k) => `${prefix}-${k.replace("_", "-")}`;
  const text = (k, label, attrs = {}) => html`<label class="stack" for=${id(k)}>${label}
    <input id=${id(k)} value=${form[k]} onInput=${(e) => set(k, e.target.value)} ...${attrs} /></label>`;
  return html`<div class="link-fields">
    ${text("url", t("links.url"), { type: "url", required: true, placeholder: "https://", autocomplete: "url" })}
    <div class="row">
      <label class="stack" for=${id("channel_id")}>${t("links.channel")}
        <select id=${id("channel_id")} value=${form.channel_id} onChange=${(e) => set("channel_id", e.target.value)}>
          <option value="">${t("links.none")}</option>
          ${channels.map((c) => html`<option value=${c.id}>${c.name} (${c.platform})</option>`)}
        </select></label>
      <label class="stack" for=${id("campaign_id")}>${t("links.campaign")}
        <select id=${id("campaign_id")} value=${form.campaign_id} onChange=${(e) => set("campaign_id", e.target.value)}>
          <option value="">${t("links.none")}</option>
          ${campaigns.map((c) => html`<option value=${c.id}>${c.name}</option>`)}
        </select></label>
      ${text("advocate", t("links.advocate"))}
      ${withCode ? text("code", t("links.code"), { pattern: "[A-Za-z0-9_-]{3,64}", "aria-describedby": `${prefix}-code-hint` }) : null}
    </div>
    ${withCode ? html`<p class="muted hint" id=${`${prefix}-code-hint`}>${t("links.codeHint")}</p>` : null}
    <fieldset class="utm"><legend>${t("links.utm")}</legend>
      <div class="row">${UTM.map((k) => text(k, k))}</div>
    </fieldset>
    <div aria-live="polite" class="preview">
      ${preview ? html`<p>${t("links.leadsTo")} <code id=${`${prefix}-target`}>${preview.target_url}</code></p>
        ${preview.warnings.map((w) => html`<p class="warning">${w}</p>`)}` : null}
    </div>
    <p class="problem" role="alert">${problem}</p>
  </div>`;
}

function NewLink({ ws, channels, campaigns, onMade }) {
  const [form, setForm] = useState(formOf(null));
  const [error, setError] = useState("");
  const [made, setMade] = useState(null);
  const [note, setNote] = useState("");
  const out = useRef(null);
  const submit = async (e) => {
    e.preventDefault();
    setError("");
    try {
      const link = await api("POST", `/workspaces/${ws.id}/links`, bodyOf(form, { withCode: true }));
      setMade(link);
      setNote("");
      setForm(formOf(null));
      onMade(link);
    } catch (err) {
      setError(t("links.makeFailed", { why: err.message }));
    }
  };
  return html`<section aria-labelledby="new-link-title" class="panel">
    <h2 id="new-link-title">${t("links.new")}</h2>
    <form id="new-link" onSubmit=${submit}>
      <${LinkFields} key=${made?.id || 0} ws=${ws} form=${form} setForm=${setForm} channels=${channels}
        campaigns=${campaigns} prefix="nl" withCode=${true} />
      <div class="actions"><button type="submit" id="make-link">${t("links.make")}</button></div>
      <p class="problem" role="alert">${error}</p>
    </form>
    ${made ? html`<div class="made" role="status" id="made">
      <p>${t("links.made", { code: made.code })}</p>
      <div class="row">
        <label class="stack" for="made-url">${t("links.shortUrl")}
          <input id="made-url" readonly value=${shortUrl(made)} ref=${out} size="40" /></label>
        <button type="button" id="made-copy" onClick=${async () => setNote(await copy(shortUrl(made), out.current))}>
          ${t("links.copy")}</button>
        <a class="button" href=${`/api/v1/workspaces/${ws.id}/links/${made.id}/qr.png`} download=${`${made.code}.png`}>
          ${t("links.qrPng")}</a>
      </div>
      ${made.warnings.map((w) => html`<p class="warning">${w}</p>`)}
      <p class="done">${note}</p>
    </div>` : null}
  </section>`;
}

function EditLink({ ws, link, channels, campaigns, onClose, onSaved }) {
  const ref = useRef(null);
  const [form, setForm] = useState(formOf(link));
  const [error, setError] = useState("");
  useEffect(() => { ref.current.showModal(); }, []);
  const save = async (e) => {
    e.preventDefault();
    setError("");
    try {
      const out = await api("PATCH", `/workspaces/${ws.id}/links/${link.id}`, bodyOf(form, { withCode: false }));
      onSaved(out);
      ref.current.close();
    } catch (err) {
      setError(t("links.saveFailed", { why: err.message }));
    }
  };
  return html`<dialog ref=${ref} id="edit-link" aria-labelledby="edit-link-title" onClose=${onClose}>
    <h2 id="edit-link-title">${t("links.editTitle", { code: link.code })}</h2>
    <p class="muted">${t("links.codeKept")}</p>
    <form onSubmit=${save}>
      <${LinkFields} ws=${ws} form=${form} setForm=${setForm} channels=${channels} campaigns=${campaigns}
        prefix="el" withCode=${false} />
      <p class="problem" role="alert">${error}</p>
      <div class="actions">
        <button type="submit" id="save-link">${t("links.save")}</button>
        <button type="button" onClick=${() => ref.current.close()}>${t("frame.cancel")}</button>
      </div>
    </form>
  </dialog>`;
}

function Stats({ ws, route, p, channels, reload }) {
  const [rows, setRows] = useState(null);
  const [board, setBoard] = useState(null);
  const [error, setError] = useState("");
  const by = GROUPS.includes(p.by) ? p.by : "link";
  useEffect(() => {
    (async () => {
      try {
        const q = new URLSearchParams();
        for (const k of ["campaign", "channel", "since", "until"]) if (p[k]) q.set(k, p[k]);
        const [s, a] = await Promise.all([
          api("GET", `/workspaces/${ws.id}/links/stats?by=${by}&${q}`),
          api("GET", `/workspaces/${ws.id}/links/stats?by=advocate&${q}`)]);
        setRows(s.items);
        setBoard(a.items);
        setError("");
      } catch (e) {
        setError(t("error.load", { what: t("links.clicks"), why: e.message }));
      }
    })();
  }, [ws.id, by, p.campaign, p.channel, p.since, p.until, reload]);
  const name = (r) => {
    if (by === "day") return fmtDay(r.day);
    if (by === "link") return r.code ? `/l/${r.code}` : "–";
    if (by === "advocate") return r.advocate;
    if (by === "channel") {
      const c = channels.find((x) => x.id === r.channel_id);
      return c ? `${c.name} (${c.platform})` : t("links.none");
    }
    return r.name ?? t("links.none");
  };
  return html`<section aria-labelledby="clicks-title" class="panel">
    <h2 id="clicks-title">${t("links.clicks")}</h2>
    <div class="filters">
      <label>${t("links.groupBy")} <select id="f-by" value=${by} onChange=${(e) => setParams(route, { by: e.target.value })}>
        ${GROUPS.map((g) => html`<option value=${g}>${t("clicksBy." + g)}</option>`)}</select></label>
      <label>${t("dash.since")} <input type="date" id="f-since" value=${p.since || ""}
        onChange=${(e) => setParams(route, { since: e.target.value })} /></label>
      <label>${t("dash.until")} <input type="date" id="f-until" value=${p.until || ""}
        onChange=${(e) => setParams(route, { until: e.target.value })} /></label>
    </div>
    <p class="problem" role="alert">${error}</p>
    ${rows === null ? html`<p aria-busy="true">${t("frame.loading")}</p>` : rows.length ? html`
      <${Chart} id="clicks-chart" labels=${rows.map(name)} kind=${by === "day" ? "line" : "bars"} table="click-stats"
        label=${t("links.clicksChart", { by: t("clicksBy." + by) })}
        series=${[{ label: t("links.clicks"), color: "#1f5fbf", values: rows.map((r) => r.clicks), format: (v) => fmtNumber(v) }]} />
      <table id="click-stats"><caption class="visually-hidden">${t("links.clicksBy", { by: t("clicksBy." + by) })}</caption>
        <thead><tr><th scope="col">${t("clicksBy." + by)}</th><th scope="col" class="num">${t("links.clicks")}</th>
          <th scope="col" class="num">${t("links.visitors")}</th><th scope="col" class="num">${t("links.bots")}</th>
          ${by === "post" ? html`<th scope="col" class="num">${t("kpi.impressions")}</th><th scope="col" class="num">${t("links.ctr")}</th>` : null}</tr></thead>
        <tbody>${rows.map((r) => html`<tr><th scope="row">${name(r)}</th><td class="num">${fmtNumber(r.clicks)}</td>
          <td class="num">${fmtNumber(r.unique_visitors)}</td><td class="num">${fmtNumber(r.bot_clicks)}</td>
          ${by === "post" ? html`<td class="num">${fmtNumber(r.impressions)}</td><td class="num">${r.ctr == null ? "–" : fmtPercent(r.ctr, 2)}</td>` : null}</tr>`)}</tbody>
      </table>` : html`<${Empty} title=${t("links.noClicksTitle")} next=${t("links.noClicksNext")} />`}
    <h2 id="board-title">${t("links.leaderboard")}</h2>
    ${board === null ? null : board.length ? html`<table id="leaderboard" aria-labelledby="board-title">
      <thead><tr><th scope="col" class="num">${t("links.rank")}</th><th scope="col">${t("links.advocate")}</th>
        <th scope="col" class="num">${t("links.clicks")}</th><th scope="col" class="num">${t("links.visitors")}</th></tr></thead>
      <tbody>${board.map((r) => html`<tr><td class="num">${r.rank}</td><th scope="row">${r.advocate}</th>
        <td class="num">${fmtNumber(r.clicks)}</td><td class="num">${fmtNumber(r.unique_visitors)}</td></tr>`)}</tbody>
    </table>` : html`<${Empty} title=${t("links.noAdvocatesTitle")} next=${t("links.noAdvocatesNext")} />`}
  </section>`;
}

export function Links({ ws, route, setError }) {
  const p = route.params;
  const [links, setLinks] = useState(null);
  const [channels, setChannels] = useState([]);
  const [campaigns, setCampaigns] = useState([]);
  const [done, setDone] = useState("");
  const [version, setVersion] = useState(0);
  const fields = useRef(new Map());
  useReady("links", links);
  useEffect(() => {
    (async () => {
      try {
        const [cs, cps] = await Promise.all([everyItem(api, ws.id, "channels"), everyItem(api, ws.id, "campaigns")]);
        setChannels(cs.filter((c) => !c.is_peer));
        setCampaigns(cps);
      } catch (e) {
        setError(t("error.load", { what: t("nav.links"), why: e.message }));
      }
    })();
  }, [ws.id]);
  useEffect(() => {
    (async () => {
      try {
        const q = new URLSearchParams({ limit: "200" });
        for (const k of ["campaign", "channel", "retired"]) if (p[k]) q.set(k, p[k]);
        const items = [];
        let cursor = null;
        do {
          if (cursor) q.set("cursor", cursor);
          const page = await api("GET", `/workspaces/${ws.id}/links?${q}`);
          items.push(...page.items);
          cursor = page.next_cursor;
        } while (cursor);
        setLinks(items);
      } catch (e) {
        setError(t("error.load", { what: t("nav.links"), why: e.message }));
      }
    })();
  }, [ws.id, p.campaign, p.channel, p.retired, version]);

  // The link being edited is read on its own: the list's filters may hide it.
  const [editing, setEditing] = useState(null);
  const [missing, setMissing] = useState("");
  useEffect(() => {
    setEditing(null);
    setMissing("");
    if (!p.edit) return;
    api("GET", `/workspaces/${ws.id}/links/${encodeURIComponent(p.edit)}`).then(setEditing)
      .catch((e) => setMissing(e.status === 404 ? t("links.noSuchLink", { id: p.edit }) : t("error.load", { what: p.edit, why: e.message })));
  }, [ws.id, p.edit]);
  const campaignName = (id) => campaigns.find((c) => c.id === id)?.name ?? "–";
  const channelName = (id) => { const c = channels.find((x) => x.id === id); return c ? `${c.name} (${c.platform})` : "–"; };
  const retire = async (link, verb) => {
    try {
      await api("POST", `/workspaces/${ws.id}/links/${link.id}/${verb}`, {});
      setDone(t(verb === "retire" ? "links.retired" : "links.restored", { code: link.code }));
      setVersion(version + 1);
    } catch (e) {
      setError(t("links.retireFailed", { code: link.code, why: e.message }));
    }
  };
  return html`<h1>${t("nav.links")}</h1>
    <${NewLink} ws=${ws} channels=${channels} campaigns=${campaigns}
      onMade=${() => setVersion(version + 1)} />
    <section aria-labelledby="links-title" class="panel">
      <h2 id="links-title">${t("links.list")}</h2>
      <div class="filters">
        <label>${t("links.channel")} <select id="f-channel" value=${p.channel || ""}
          onChange=${(e) => setParams(route, { channel: e.target.value })}>
          <option value="">${t("filter.any")}</option>
          ${channels.map((c) => html`<option value=${c.id}>${c.name} (${c.platform})</option>`)}</select></label>
        <label>${t("links.campaign")} <select id="f-campaign" value=${p.campaign || ""}
          onChange=${(e) => setParams(route, { campaign: e.target.value })}>
          <option value="">${t("filter.any")}</option>
          ${campaigns.map((c) => html`<option value=${c.id}>${c.name}</option>`)}</select></label>
        <label>${t("links.state")} <select id="f-retired" value=${p.retired || ""}
          onChange=${(e) => setParams(route, { retired: e.target.value })}>
          <option value="">${t("filter.any")}</option>
          <option value="false">${t("links.active")}</option>
          <option value="true">${t("links.retiredState")}</option></select></label>
      </div>
      <p role="status" class="done" id="links-done">${done}</p>
      ${links === null ? html`<p aria-busy="true">${t("frame.loading")}</p>` : links.length ? html`
      <table id="links">
        <thead><tr><th scope="col">${t("links.shortUrl")}</th><th scope="col">${t("links.target")}</th>
          <th scope="col">${t("links.campaign")}</th><th scope="col">${t("links.channel")}</th>
          <th scope="col">${t("links.advocate")}</th><th scope="col" class="num">${t("links.clicks")}</th>
          <th scope="col">${t("links.state")}</th><th scope="col"><span class="visually-hidden">${t("channels.actions")}</span></th></tr></thead>
        <tbody>${links.map((l) => html`<tr data-id=${l.id} data-code=${l.code}>
          <td><input class="short" readonly aria-label=${t("links.shortUrlOf", { code: l.code })} value=${shortUrl(l)}
            ref=${(el) => fields.current.set(l.id, el)} size="28" /></td>
          <td class="target">${outsideLink(l.target_url)
            ? html`<a href=${l.target_url} rel="noopener noreferrer" target="_blank">${l.target_url}</a>`
            : l.target_url}</td>
          <td>${campaignName(l.campaign_id)}</td><td>${channelName(l.channel_id)}</td><td>${l.advocate || "–"}</td>
          <td class="num">${fmtNumber(l.clicks)}</td>
          <td>${l.retired_at ? t("links.retiredSince", { when: fmtTime(l.retired_at, ws.timezone) }) : t("links.active")}</td>
          <td class="row-actions">
            <button type="button" class="copy" aria-label=${t("links.copyLabel", { code: l.code })}
              onClick=${async () => setDone(await copy(shortUrl(l), fields.current.get(l.id)))}>${t("links.copy")}</button>
            <a class="button qr" href=${`/api/v1/workspaces/${ws.id}/links/${l.id}/qr.png`} download=${`${l.code}.png`}
              aria-label=${t("links.qrLabel", { code: l.code })}>${t("links.qrPng")}</a>
            <a class="button qr-svg" href=${`/api/v1/workspaces/${ws.id}/links/${l.id}/qr.svg`} download=${`${l.code}.svg`}
              aria-label=${t("links.qrSvgLabel", { code: l.code })}>SVG</a>
            <button type="button" class="edit" aria-label=${t("links.editLabel", { code: l.code })}
              onClick=${() => setParams(route, { edit: String(l.id) })}>${t("links.edit")}</button>
            ${l.retired_at
              ? html`<button type="button" class="restore" aria-label=${t("links.restoreLabel", { code: l.code })}
                  onClick=${() => retire(l, "restore")}>${t("links.restore")}</button>`
              : html`<button type="button" class="retire" aria-label=${t("links.retireLabel", { code: l.code })}
                  onClick=${() => retire(l, "retire")}>${t("links.retire")}</button>`}
          </td></tr>`)}</tbody>
      </table>` : html`<${Empty} title=${t("links.emptyTitle")} next=${t("links.emptyNext")} />`}
    </section>
    <${Stats} ws=${ws} route=${route} p=${p} channels=${channels} reload=${version} />
    ${missing ? html`<p class="problem" role="alert">${missing}</p>` : null}
    ${editing ? html`<${EditLink} key=${editing.id} ws=${ws} link=${editing} channels=${channels} campaigns=${campaigns}
      onClose=${() => setParams(route, { edit: "" })}
      onSaved=${(out) => { setDone(t("links.saved", { code: out.code })); setVersion(version + 1); }} />` : null}`;
}
