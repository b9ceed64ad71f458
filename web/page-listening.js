// page-listening: what people write elsewhere (feeds the workspace watches)
// that the workspace's queries found. The stream is read and worked here:
// an item marked relevant or not, or sent to a team as an inbox task. The
// analytics count mentions by query, source, sentiment and day, with each
// query's share of voice (the organisation against its peers), as a chart
// and as tables of the same numbers. Queries are tags with a rule, kept
// here too, and so are the sources and the alerts (listen-watch.js). Every
// filter and the tab live in the URL.
import { html, useState, useEffect, useRef, everyItem, Empty, useReady, useLoad, outsideLink } from "/ui.js";
import { api } from "/api.js";
import { t, fmtNumber, fmtPercent, fmtDay, fmtTime, currentLang } from "/i18n.js";
import { href, setParams } from "/router.js";
import uPlot from "/vendor/uplot.js";
import { Sources, Alerts } from "/listen-watch.js";

const SENTIMENTS = ["pos", "neu", "neg"];
const RELEVANCE = { yes: "listen.relevantYes", no: "listen.relevantNo", unmarked: "listen.relevantUnmarked" };
const TABS = { stream: "listen.tabStream", analytics: "listen.tabAnalytics", queries: "listen.tabQueries",
  sources: "listen.tabSources", alerts: "listen.tabAlerts" };
const FILTERS = ["query", "source", "sentiment", "relevant", "since", "until"];
// Colours that stay apart for most kinds of colour vision (Okabe and Ito).
const COLOURS = ["#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#000000"];

function filterQuery(p, extra = {}) {
  const q = new URLSearchParams(extra);
  for (const k of FILTERS) if (p[k]) q.set(k, p[k]);
  return q;
}

function sourceName(s) {
  return s.title || s.url;
}

function Item({ it: initial, ws, teams, canModerate, setError }) {
  const [it, setIt] = useState(initial);
  const [team, setTeam] = useState("");
  const [said, setSaid] = useState("");
  const mark = async (value) => {
    // Pressing the pressed button takes the mark back.
    const next = it.relevant === value ? null : value;
    try {
      setIt(await api("PATCH", `/workspaces/${ws.id}/listen/items/${it.id}`, { relevant: next }));
      setSaid(next === null ? t("listen.unmarked") : next ? t("listen.markedYes") : t("listen.markedNo"));
      setError("");
    } catch (e) {
      setError(t("listen.markFailed", { why: e.message }));
    }
  };
  const send = async (e) => {
    e.preventDefault();
    if (!team) { setError(t("listen.pickTeam")); return; }
    try {
      const m = await api("POST", `/workspaces/${ws.id}/listen/items/${it.id}/task`, { team_id: Number(team) });
      setIt({ ...it, message_id: m.id });
      setSaid(t("listen.sent", { team: teams.find((x) => x.id === Number(team))?.name ?? team }));
      setError("");
    } catch (err) {
      setError(t("listen.sendFailed", { why: err.message }));
    }
  };
  const when = it.published || it.fetched_at;
  const title = it.title || t("listen.untitled");
  return html`<li data-id=${it.id} class=${it.sentiment_label ? "sent-" + it.sentiment_label : ""}>
    <div class="meta">${fmtTime(when, ws.timezone)} · ${sourceName(it.source)}
      ${it.sentiment_label ? html` · ${t("sentiment." + it.sentiment_label)}` : null}
      ${it.author ? html` · ${it.author}` : null}</div>
    <h2 class="item-title">${outsideLink(it.link) ? html`<a href=${outsideLink(it.link)} rel="noopener noreferrer" target="_blank">${title}</a>` : title}</h2>
    ${it.text ? html`<p>${it.text.length > 400 ? it.text.slice(0, 400) + "…" : it.text}</p>` : null}
    <div class="controls">
      ${it.tags.map((name) => html`<span class="tag">${name}</span>`)}
      ${canModerate ? html`
        <button type="button" class="mark-yes" aria-pressed=${it.relevant === true ? "true" : "false"}
          onClick=${() => mark(true)}>${t("listen.markYes")}</button>
        <button type="button" class="mark-no" aria-pressed=${it.relevant === false ? "true" : "false"}
          onClick=${() => mark(false)}>${t("listen.markNo")}</button>`
        : it.relevant !== null ? html`<span>${t(it.relevant ? "listen.relevantYes" : "listen.relevantNo")}</span>` : null}
      ${it.message_id ? html`<a class="task-link" href=${href(ws.id, "inbox", { status: "any" })}>
          ${t("listen.inInbox", { id: it.message_id })}</a>`
        : canModerate && teams.length ? html`<form class="send-task" onSubmit=${send}>
          <label>${t("listen.team")} <select class="task-team" value=${team} onChange=${(e) => setTeam(e.target.value)}>
            <option value="">—</option>
            ${teams.map((x) => html`<option value=${x.id}>${x.name}</option>`)}
          </select></label>
          <button type="submit" class="primary">${t("listen.sendToTeam")}</button>
        </form>` : canModerate ? html`<span class="muted">${t("listen.noTeams", { ws: ws.id })}</span>` : null}
      <span role="status" class="said">${said}</span>
    </div>
  </li>`;
}

function Stream({ ws, route, teams, canModerate, setError, hasSources, hasQueries }) {
  const p = route.params;
  const [items, setItems] = useState(null);
  const [cursor, setCursor] = useState(null);
  const [one, setOne] = useState(null);
  useReady("listening", items);
  const load = (after) => {
    const q = filterQuery(p, { limit: "25" });
    if (after) q.set("cursor", after);
    return api("GET", `/workspaces/${ws.id}/listen/items?${q}`);
  };
  useLoad((fresh) => {
    (async () => {
      try {
        // An item the inbox links back to is shown first, whatever the filters.
        const [item, page] = await fresh(Promise.all([
          p.item ? api("GET", `/workspaces/${ws.id}/listen/items/${Number(p.item)}`) : null, load(null)]));
        setOne(item);
        setItems(page.items);
        setCursor(page.next_cursor);
      } catch (e) {
        setError(t("error.load", { what: t("nav.listening"), why: e.message }));
      }
    })();
  }, [ws.id, ...FILTERS.map((k) => p[k]), p.item]);
  const more = async () => {
    try {
      const page = await load(cursor);
      setItems([...items, ...page.items]);
      setCursor(page.next_cursor);
    } catch (e) {
      setError(t("error.load", { what: t("nav.listening"), why: e.message }));
    }
  };
  const filtered = FILTERS.some((k) => p[k]);
  const props = { ws, teams, canModerate, setError };
  return html`
    ${one ? html`<h2>${t("listen.fromInbox")}</h2>
      <ol class="posts inbox listen" id="listen-one"><${Item} key=${"one" + one.id} it=${one} ...${props} /></ol>
      <h2>${t("listen.tabStream")}</h2>` : null}
    ${items === null ? html`<p aria-busy="true">${t("frame.loading")}</p>` : items.length ? html`
      <ol id="listen-stream" class="posts inbox listen">
        ${items.map((it) => html`<${Item} key=${it.id} it=${it} ...${props} />`)}
      </ol>` : !hasSources ? html`<${Empty} title=${t("listen.noSourcesTitle")} next=${t("listen.noSourcesNext", { slug: ws.slug })} />`
      : !hasQueries ? html`<${Empty} title=${t("listen.noQueriesTitle")} next=${t("listen.noQueriesNext")} />`
      : html`<${Empty} title=${t("listen.emptyTitle")} next=${t(filtered ? "listen.emptyFiltered" : "listen.emptyNext")} />`}
    ${cursor ? html`<button type="button" id="more-listen" onClick=${more}>${t("frame.more")}</button>` : null}`;
}

function fmtShortDay(day) {
  const [y, m, d] = day.split("-").map(Number);
  return new Intl.DateTimeFormat(currentLang(), { day: "numeric", month: "short", timeZone: "UTC" })
    .format(new Date(Date.UTC(y, m - 1, d)));
}

function Chart({ data }) {
  const box = useRef(null);
  useEffect(() => {
    if (!data.queries.length) return undefined;
    const xs = data.days.map((d) => {
      const [y, m, dd] = d.split("-").map(Number);
      return Date.UTC(y, m - 1, dd) / 1000;
    });
    const plot = new uPlot({
      width: Math.max(320, box.current.clientWidth), height: 260,
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1e3), "UTC"),
      series: [{}, ...data.queries.map((q, i) => ({ label: q.name, stroke: COLOURS[i % COLOURS.length], width: 2,
        value: (u, v) => fmtNumber(v) }))],
      // Ticks on whole days only: the counts are per day.
      axes: [{ incrs: [1, 2, 7, 14, 28, 91, 182, 364].map((d) => d * 86400),
        values: (u, vals) => vals.map((v) => fmtShortDay(new Date(v * 1000).toISOString().slice(0, 10))) },
        { values: (u, vals) => vals.map((v) => fmtNumber(v)), size: 50 }],
    }, [xs, ...data.queries.map((q) => q.per_day)], box.current);
    return () => plot.destroy();
  }, [data]);
  return html`<div ref=${box} class="chart" role="img" aria-label=${t("listen.chartLabel")}></div>`;
}

// Which queries the analytics compare (all when none is picked): the
// organisation's and its peers', for a share of voice between them.
function Compare({ route, queries }) {
  const picked = (route.params.compare || "").split(",").filter(Boolean).map(Number);
  const on = (id) => !picked.length || picked.includes(id);
  const toggle = (id) => (e) => {
    let next = queries.map((q) => q.id).filter((x) => (x === id ? e.target.checked : on(x)));
    if (next.length === queries.length) next = [];
    if (e.target.checked || next.length) setParams(route, { compare: next.join(",") });
    else e.target.checked = true; // nothing compared would say nothing
  };
  return html`<fieldset id="listen-compare" class="filters">
    <legend>${t("listen.compare")}</legend>
    ${queries.map((q) => html`<label><input type="checkbox" value=${q.id} checked=${on(q.id)}
      onChange=${toggle(q.id)} /> ${q.name}</label>`)}
  </fieldset>`;
}

function Analytics({ ws, route, data, queries, hasQueries }) {
  if (!data) return html`<p aria-busy="true">${t("frame.loading")}</p>`;
  const sent = [...SENTIMENTS, "none"];
  return html`
    <p class="muted" id="listen-period">${t("listen.period", { since: fmtDay(data.since), until: fmtDay(data.until), zone: data.timezone })}
      · ${t("listen.totals", { items: fmtNumber(data.items), mentions: fmtNumber(data.mentions) })}</p>
    ${!data.sources.length ? html`<${Empty} title=${t("listen.noSourcesTitle")} next=${t("listen.noSourcesNext", { slug: ws.slug })} />` : null}
    ${!hasQueries ? html`<${Empty} title=${t("listen.noQueriesTitle")} next=${t("listen.noQueriesNext")} />` : null}
    ${queries?.length > 1 ? html`<${Compare} route=${route} queries=${queries} />` : null}
    <h2 id="listen-chart-title">${t("listen.perDay")}</h2>
    <${Chart} data=${data} />
    <table id="listen-chart-table" aria-labelledby="listen-chart-title">
      <thead><tr><th scope="col">${t("listen.day")}</th>
        ${data.queries.map((q) => html`<th scope="col" class="num">${q.name}</th>`)}
        <th scope="col" class="num">${t("listen.allItems")}</th></tr></thead>
      <tbody>${data.days.map((d, i) => html`<tr><th scope="row">${fmtDay(d)}</th>
        ${data.queries.map((q) => html`<td class="num">${fmtNumber(q.per_day[i])}</td>`)}
        <td class="num">${fmtNumber(data.per_day[i])}</td></tr>`)}</tbody>
    </table>
    <h2 id="listen-sov-title">${t("listen.shareOfVoice")}</h2>
    <p class="muted">${t("listen.sovHelp")}</p>
    <table id="listen-sov" aria-labelledby="listen-sov-title">
      <thead><tr><th scope="col">${t("listen.query")}</th><th scope="col" class="num">${t("listen.mentions")}</th>
        <th scope="col" class="num">${t("listen.share")}</th></tr></thead>
      <tbody>${data.queries.map((q) => html`<tr data-query=${q.id}><th scope="row">${q.name}</th>
        <td class="num">${fmtNumber(q.mentions)}</td>
        <td class="num">${q.share_of_voice === null ? "–" : html`${fmtPercent(q.share_of_voice)}
          <meter min="0" max="1" value=${q.share_of_voice} aria-label=${t("listen.shareOf", { name: q.name })}></meter>`}</td></tr>`)}</tbody>
    </table>
    <h2 id="listen-sources-title">${t("listen.bySource")}</h2>
    <table id="listen-sources" aria-labelledby="listen-sources-title">
      <thead><tr><th scope="col">${t("listen.source")}</th><th scope="col" class="num">${t("listen.items")}</th></tr></thead>
      <tbody>${data.sources.map((s) => html`<tr data-source=${s.id}><th scope="row">${sourceName(s)}</th>
        <td class="num">${fmtNumber(s.items)}</td></tr>`)}</tbody>
    </table>
    <h2 id="listen-sentiment-title">${t("listen.bySentiment")}</h2>
    <table id="listen-sentiment" aria-labelledby="listen-sentiment-title">
      <thead><tr><th scope="col">${t("inbox.sentiment")}</th><th scope="col" class="num">${t("listen.items")}</th></tr></thead>
      <tbody>${sent.map((s) => html`<tr data-sentiment=${s}><th scope="row">${s === "none" ? t("listen.noSentiment") : t("sentiment." + s)}</th>
        <td class="num">${fmtNumber(data.sentiment[s])}</td></tr>`)}</tbody>
    </table>`;
}

function Query({ q, ws, canEdit, onChange, setError }) {
  const [rule, setRule] = useState(q.rule);
  const save = async (e) => {
    e.preventDefault();
    try {
      onChange(await api("PATCH", `/workspaces/${ws.id}/tags/${q.id}`, { rule }));
      setError("");
    } catch (err) {
      setError(t("listen.querySaveFailed", { why: err.message }));
    }
  };
  const remove = async () => {
    try {
      await api("DELETE", `/workspaces/${ws.id}/tags/${q.id}`);
      onChange(null);
      setError("");
    } catch (err) {
      setError(t("listen.querySaveFailed", { why: err.message }));
    }
  };
  return html`<li data-query=${q.id}>
    <strong>${q.name}</strong>
    ${canEdit ? html`<form class="query-edit" onSubmit=${save}>
      <label>${t("listen.rule")} <input type="text" class="query-rule" value=${rule} size="50"
        onInput=${(e) => setRule(e.target.value)} /></label>
      <button type="submit">${t("listen.save")}</button>
      <button type="button" class="query-delete" onClick=${remove}
        aria-label=${t("listen.deleteQuery", { name: q.name })}>${t("listen.delete")}</button>
    </form>` : html`<p><code>${q.rule}</code></p>`}
  </li>`;
}

function Queries({ ws, queries, setQueries, canEdit, setError }) {
  const [name, setName] = useState("");
  const [rule, setRule] = useState("");
  const add = async (e) => {
    e.preventDefault();
    try {
      const made = await api("POST", `/workspaces/${ws.id}/tags`, { name, rule, kind: "topic" });
      setQueries([...queries, made]);
      setName("");
      setRule("");
      setError("");
    } catch (err) {
      setError(t("listen.querySaveFailed", { why: err.message }));
    }
  };
  const changed = (id) => (q) => setQueries(q ? queries.map((x) => (x.id === id ? q : x)) : queries.filter((x) => x.id !== id));
  return html`
    <p class="muted">${t("listen.queriesHelp")}</p>
    ${queries.length ? html`<ul id="listen-queries" class="posts">
      ${queries.map((q) => html`<${Query} key=${q.id} q=${q} ws=${ws} canEdit=${canEdit} onChange=${changed(q.id)} setError=${setError} />`)}
    </ul>` : html`<${Empty} title=${t("listen.noQueriesTitle")} next=${t("listen.noQueriesNext")} />`}
    ${canEdit ? html`<h2 id="listen-add-title">${t("listen.addQuery")}</h2>
    <form id="listen-add-query" class="filters" aria-labelledby="listen-add-title" onSubmit=${add}>
      <label>${t("listen.name")} <input type="text" id="query-name" required value=${name} onInput=${(e) => setName(e.target.value)} /></label>
      <label>${t("listen.rule")} <input type="text" id="query-rule" required size="50" value=${rule}
        placeholder="pension* AND NOT spam" onInput=${(e) => setRule(e.target.value)} /></label>
      <button type="submit" class="primary">${t("listen.add")}</button>
    </form>` : null}`;
}

export function Listening({ ws, me, route, setError }) {
  const p = route.params;
  const tab = TABS[p.tab] ? p.tab : "stream";
  const [queries, setQueries] = useState(null);
  const [teams, setTeams] = useState([]);
  const [data, setData] = useState(null);
  const canModerate = ["admin", "editor", "moderator"].includes(me.user.role);
  const canEdit = ["admin", "editor"].includes(me.user.role);
  useEffect(() => {
    (async () => {
      try {
        const [tags, ts] = await Promise.all([everyItem(api, ws.id, "tags"), everyItem(api, ws.id, "teams")]);
        setQueries(tags.filter((x) => x.rule));
        setTeams(ts);
      } catch (e) {
        setError(t("error.load", { what: t("nav.listening"), why: e.message }));
      }
    })();
  }, [ws.id]);
  // The analytics also name every source, which the filter offers.
  useEffect(() => {
    (async () => {
      try {
        const q = filterQuery(p);
        if (p.compare) q.set("compare", p.compare);
        setData(await api("GET", `/workspaces/${ws.id}/listen/analytics?${q}`));
      } catch (e) {
        setError(t("error.load", { what: t("listen.tabAnalytics"), why: e.message }));
      }
    })();
  }, [ws.id, ...FILTERS.map((k) => p[k]), p.compare, queries?.length]);
  const set = (k) => (e) => setParams(route, { [k]: e.target.value, item: "" });
  const filters = html`<div class="filters" id="listen-filters">
    <label>${t("listen.query")} <select id="lf-query" value=${p.query || ""} onChange=${set("query")}>
      <option value="">${t("filter.any")}</option>
      ${(queries ?? []).map((q) => html`<option value=${q.id}>${q.name}</option>`)}
    </select></label>
    <label>${t("listen.source")} <select id="lf-source" value=${p.source || ""} onChange=${set("source")}>
      <option value="">${t("filter.any")}</option>
      ${(data?.sources ?? []).map((s) => html`<option value=${s.id}>${sourceName(s)}</option>`)}
    </select></label>
    <label>${t("inbox.sentiment")} <select id="lf-sentiment" value=${p.sentiment || ""} onChange=${set("sentiment")}>
      <option value="">${t("filter.any")}</option>
      ${SENTIMENTS.map((s) => html`<option value=${s}>${t("sentiment." + s)}</option>`)}
    </select></label>
    <label>${t("listen.relevance")} <select id="lf-relevant" value=${p.relevant || ""} onChange=${set("relevant")}>
      <option value="">${t("filter.any")}</option>
      ${Object.entries(RELEVANCE).map(([v, k]) => html`<option value=${v}>${t(k)}</option>`)}
    </select></label>
    <label>${t("dash.since")} <input type="date" id="lf-since" value=${p.since || ""} onChange=${set("since")} /></label>
    <label>${t("dash.until")} <input type="date" id="lf-until" value=${p.until || ""} onChange=${set("until")} /></label>
  </div>`;
  const hasSources = (data?.sources.length ?? 1) > 0;
  const hasQueries = (queries?.length ?? 1) > 0;
  return html`<h1>${t("nav.listening")}</h1>
    <nav aria-label=${t("listen.tabs")}><ul class="tabs">
      ${Object.entries(TABS).map(([k, label]) => html`<li><a id=${"listen-tab-" + k}
        href=${href(ws.id, "listening", { ...p, tab: k === "stream" ? "" : k, item: "" })}
        aria-current=${tab === k ? "page" : null}>${t(label)}</a></li>`)}
    </ul></nav>
    ${tab === "stream" || tab === "analytics" ? filters : null}
    ${tab === "stream" ? html`<${Stream} ws=${ws} route=${route} teams=${teams} canModerate=${canModerate}
        setError=${setError} hasSources=${hasSources} hasQueries=${hasQueries} />`
      : tab === "analytics" ? html`<${Analytics} ws=${ws} route=${route} data=${data} queries=${queries}
          hasQueries=${hasQueries} />`
      : tab === "sources" ? html`<${Sources} ws=${ws} canEdit=${canEdit} setError=${setError} />`
      : !queries ? html`<p aria-busy="true">${t("frame.loading")}</p>`
      : tab === "alerts" ? html`<${Alerts} ws=${ws} queries=${queries} canEdit=${canEdit} setError=${setError} />`
      : queries ? html`<${Queries} ws=${ws} queries=${queries} setQueries=${setQueries} canEdit=${canEdit} setError=${setError} />`
      : html`<p aria-busy="true">${t("frame.loading")}</p>`}`;
}
