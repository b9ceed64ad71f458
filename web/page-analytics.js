// page-analytics: the analytics API to explore: every grouping and filter it
// has, each group beside the previous period, a campaign beside the earlier
// campaigns of its theme, what works (each feature's lift with its 95 %
// interval drawn), the top list with the peers, CSV and PNG exports and the
// monthly report. Charts are uPlot's; each has a table of its numbers. Every
// choice lives in the URL.
import { html, useState, useEffect, everyItem, Empty, useReady, useLoad } from "/ui.js";
import { api } from "/api.js";
import { t, fmtNumber, fmtPercent, fmtDay } from "/i18n.js";
import { setParams } from "/router.js";
import { Chart } from "/chart.js";

const GROUPINGS = ["channel", "platform", "campaign", "format", "tag", "day", "week", "month", "none"];
const TIME = new Set(["day", "week", "month"]);
// The KPIs shown as columns (docs/metrics.md), and how each reads.
const KPIS = [["posts", "count"], ["reach", "count"], ["impressions", "count"], ["interactions", "count"],
  ["er_reach", "rate"], ["er_impressions", "rate"], ["clicks", "count"], ["ctr", "rate"],
  ["video_views", "count"], ["follower_growth", "count"], ["response_rate", "rate"]];
const KIND = Object.fromEntries(KPIS);
const TOP_METRICS = ["interactions", "er_reach", "reach", "impressions", "clicks", "follower_growth", "response_rate"];

function value(k, v) {
  if (v == null) return "–";
  return KIND[k] === "rate" ? fmtPercent(v, 2) : fmtNumber(Math.round(v * 100) / 100);
}

function change(k, c) {
  if (!c) return "–";
  if (KIND[k] === "rate")
    return c.absolute == null ? "–" : t("dash.pp", { n: fmtNumber(c.absolute * 100, { maximumFractionDigits: 1, signDisplay: "always" }) });
  return c.relative == null ? "–" : fmtNumber(c.relative, { style: "percent", maximumFractionDigits: 1, signDisplay: "always" });
}

function rowLabel(by, r) {
  if (by === "day") return fmtDay(r.label);
  return r.label;
}

// A file the browser saves, made here (no request): the CSV of a table.
function download(name, type, text) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

function toCsv(header, rows) {
  // Names (a channel's, a campaign's) are text a spreadsheet must not run
  // as a formula: one that starts like one gets a leading apostrophe.
  const cell = (v) => {
    let s = v == null ? "" : String(v);
    if (typeof v === "string" && /^[=+\-@\t\r]/.test(s)) s = "'" + s;
    return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return [header, ...rows].map((r) => r.map(cell).join(",")).join("\r\n") + "\r\n";
}

function Filters({ route, p, channels, campaigns, data }) {
  return html`<div class="filters">
    <label>${t("dash.since")} <input type="date" id="a-since" value=${p.since || data?.since || ""}
      onChange=${(e) => setParams(route, { since: e.target.value })} /></label>
    <label>${t("dash.until")} <input type="date" id="a-until" value=${p.until || data?.until || ""}
      onChange=${(e) => setParams(route, { until: e.target.value })} /></label>
    <label>${t("analytics.by")} <select id="a-by" value=${p.by || "channel"} onChange=${(e) => setParams(route, { by: e.target.value })}>
      ${GROUPINGS.map((g) => html`<option value=${g}>${t("grouping." + g)}</option>`)}</select></label>
    <label>${t("dash.channel")} <select id="a-channel" value=${p.channel || ""} onChange=${(e) => setParams(route, { channel: e.target.value })}>
      <option value="">${t("filter.any")}</option>
      ${channels.map((c) => html`<option value=${c.id}>${c.name} (${c.platform})</option>`)}</select></label>
    <label>${t("dash.campaign")} <select id="a-campaign" value=${p.campaign || ""} onChange=${(e) => setParams(route, { campaign: e.target.value })}>
      <option value="">${t("filter.any")}</option>
      ${campaigns.map((c) => html`<option value=${c.id}>${c.name}</option>`)}</select></label>
    <label><input type="checkbox" id="a-compare" checked=${p.compare !== "none"}
      onChange=${(e) => setParams(route, { compare: e.target.checked ? "" : "none" })} /> ${t("analytics.comparePrevious")}</label>
    <label>${t("analytics.metric")} <select id="a-metric" value=${p.metric || "interactions"} onChange=${(e) => setParams(route, { metric: e.target.value })}>
      ${KPIS.map(([k]) => html`<option value=${k}>${t("kpi." + k)}</option>`)}</select></label>
  </div>`;
}

function Groups({ ws, data, by, metric }) {
  const compare = !!data.previous;
  const rows = data.rows;
  const labels = rows.map((r) => rowLabel(by, r));
  const series = [{ label: t("kpi." + metric), color: "#1f5fbf", values: rows.map((r) => r[metric] ?? null), format: (v) => value(metric, v) }];
  const csv = () => {
    const header = [t("grouping." + by), ...KPIS.map(([k]) => k), ...(compare && !TIME.has(by) ? KPIS.map(([k]) => `${k}_change`) : [])];
    const body = rows.map((r) => [r.label, ...KPIS.map(([k]) => r[k]),
      ...(compare && !TIME.has(by) ? KPIS.map(([k]) => (KIND[k] === "rate" ? r.change?.[k]?.absolute : r.change?.[k]?.relative)) : [])]);
    body.push([t("analytics.total"), ...KPIS.map(([k]) => data.total[k])]);
    download(`kanal-${ws.slug}-${by}-${data.since}-${data.until}.csv`, "text/csv;charset=utf-8", toCsv(header, body));
  };
  return html`<section aria-labelledby="groups-title">
    <h2 id="groups-title">${t("analytics.groupsTitle", { by: t("grouping." + by) })}</h2>
    ${rows.length ? html`<${Chart} id="groups-chart" labels=${labels} series=${series} kind=${TIME.has(by) ? "line" : "bars"}
      table="groups" label=${t("analytics.chartOf", { metric: t("kpi." + metric), by: t("grouping." + by) })} />` : null}
    <div class="actions"><button type="button" id="export-csv" onClick=${csv}>${t("analytics.csv")}</button></div>
    <div class="scroll" tabindex="0" role="region" aria-labelledby="groups-title"><table id="groups">
      <caption class="visually-hidden">${t("analytics.groupsTitle", { by: t("grouping." + by) })}</caption>
      <thead><tr><th scope="col">${t("grouping." + by)}</th>
        ${KPIS.map(([k]) => html`<th scope="col" class="num">${t("kpi." + k)}</th>`)}</tr></thead>
      <tbody>${rows.map((r) => html`<tr>
        <th scope="row">${rowLabel(by, r)}</th>
        ${KPIS.map(([k]) => html`<td class="num">${value(k, r[k])}
          ${compare && r.change ? html`<span class="delta">${change(k, r.change[k])}<span class="visually-hidden"> ${t("dash.vsPrevious")}</span></span>` : null}</td>`)}
      </tr>`)}</tbody>
      <tfoot><tr><th scope="row">${t("analytics.total")}</th>
        ${KPIS.map(([k]) => html`<td class="num">${value(k, data.total[k])}
          ${compare ? html`<span class="delta">${change(k, data.change?.[k])}<span class="visually-hidden"> ${t("dash.vsPrevious")}</span></span>` : null}</td>`)}</tr>
        ${compare ? html`<tr><th scope="row">${t("analytics.previousTotal")}</th>
          ${KPIS.map(([k]) => html`<td class="num">${value(k, data.previous[k])}</td>`)}</tr>` : null}</tfoot>
    </table></div>
  </section>`;
}

function CampaignComparison({ ws, route, p, campaigns }) {
  const [data, setData] = useState(null);
  const [error, setError] = useState("");
  useLoad((fresh) => {
    if (!p.vs) { setData(null); return; }
    fresh(api("GET", `/workspaces/${ws.id}/campaigns/${p.vs}/comparison`)).then((d) => { setData(d); setError(""); })
      .catch((e) => { setData(null); setError(t("error.load", { what: t("analytics.campaignsTitle"), why: e.message })); });
  }, [ws.id, p.vs]);
  return html`<section aria-labelledby="campaigns-title">
    <h2 id="campaigns-title">${t("analytics.campaignsTitle")}</h2>
    <label>${t("dash.campaign")} <select id="a-vs" value=${p.vs || ""} onChange=${(e) => setParams(route, { vs: e.target.value })}>
      <option value="">${t("analytics.pickCampaign")}</option>
      ${campaigns.map((c) => html`<option value=${c.id}>${c.name}</option>`)}</select></label>
    <p class="problem" role="alert">${error}</p>
    ${data ? html`<p class="muted">${t("analytics.campaignPeriod", { name: data.campaign.name, since: fmtDay(data.campaign.since), until: fmtDay(data.campaign.until) })}</p>
      ${data.earlier.length ? html`<table id="campaign-comparison">
        <caption class="visually-hidden">${t("analytics.campaignsTitle")}</caption>
        <thead><tr><th scope="col">${t("analytics.kpi")}</th><th scope="col" class="num">${data.campaign.name}</th>
          ${data.earlier.map((e) => html`<th scope="col" class="num">${e.name}</th>`)}
          <th scope="col" class="num">${t("analytics.earlierMean")}</th><th scope="col" class="num">${t("analytics.relative")}</th></tr></thead>
        <tbody>${KPIS.map(([k]) => html`<tr><th scope="row">${t("kpi." + k)}</th><td class="num">${value(k, data.campaign.kpis[k])}</td>
          ${data.earlier.map((e) => html`<td class="num">${value(k, e.kpis[k])}</td>`)}
          <td class="num">${value(k, data.earlier_mean[k])}</td>
          <td class="num">${data.relative_to_earlier[k] == null ? "–" : fmtNumber(data.relative_to_earlier[k], { style: "percent", maximumFractionDigits: 1, signDisplay: "always" })}</td></tr>`)}</tbody>
      </table>` : html`<${Empty} title=${t("analytics.noEarlierTitle")} next=${t("analytics.noEarlierNext")} />`}` : null}
  </section>`;
}

function Insights({ ws, q, go }) {
  const [data, setData] = useState(null);
  const [error, setError] = useState("");
  useLoad((fresh) => {
    if (!go) return;
    fresh(api("GET", `/workspaces/${ws.id}/analytics/insights?${q}`)).then((d) => { setData(d); setError(""); })
      .catch((e) => setError(t("error.load", { what: t("analytics.insightsTitle"), why: e.message })));
  }, [ws.id, q, go]);
  const measured = data ? data.lifts.filter((l) => l.lift != null) : [];
  const labels = measured.map((l) => `${l.feature}: ${l.value}`);
  const series = [{ label: t("analytics.lift"), color: "#c0392b", values: measured.map((l) => l.lift), format: (v) => fmtPercent(v, 0) }];
  const intervals = measured.map((l) => l.lift_ci95 || [null, null]);
  return html`<section aria-labelledby="insights-title">
    <h2 id="insights-title">${t("analytics.insightsTitle")}</h2>
    <p class="problem" role="alert">${error}</p>
    ${data ? html`<p class="muted">${t("analytics.insightsIntro", { posts: fmtNumber(data.posts), er: data.er == null ? "–" : fmtPercent(data.er, 2), min: data.min_posts })}</p>
      ${measured.length ? html`<${Chart} id="insights-chart" labels=${labels} series=${series} kind="points" intervals=${intervals}
        table="insights" label=${t("analytics.insightsChart")} />` : html`<${Empty} title=${t("analytics.noInsightsTitle")} next=${t("analytics.noInsightsNext")} />`}
      <div class="scroll" tabindex="0" role="region" aria-labelledby="insights-title"><table id="insights">
        <caption class="visually-hidden">${t("analytics.insightsTitle")}</caption>
        <thead><tr><th scope="col">${t("analytics.feature")}</th><th scope="col" class="num">${t("kpi.posts")}</th>
          <th scope="col" class="num">${t("analytics.er")}</th><th scope="col" class="num">${t("analytics.otherEr")}</th>
          <th scope="col" class="num">${t("analytics.lift")}</th><th scope="col">${t("analytics.interval")}</th></tr></thead>
        <tbody>${data.lifts.map((l) => html`<tr><th scope="row">${l.feature}: ${l.value}</th><td class="num">${fmtNumber(l.posts)}</td>
          <td class="num">${l.er == null ? "–" : fmtPercent(l.er, 2)}</td><td class="num">${l.other_er == null ? "–" : fmtPercent(l.other_er, 2)}</td>
          <td class="num">${l.lift == null ? "–" : fmtNumber(l.lift, { style: "percent", maximumFractionDigits: 0, signDisplay: "always" })}</td>
          <td>${l.lift_ci95 ? t("analytics.between", { lo: fmtNumber(l.lift_ci95[0], { style: "percent", maximumFractionDigits: 0, signDisplay: "always" }),
            hi: fmtNumber(l.lift_ci95[1], { style: "percent", maximumFractionDigits: 0, signDisplay: "always" }) })
            : l.note === "too few posts" ? t("analytics.tooFew") : (l.note || "–")}</td></tr>`)}</tbody>
      </table></div>` : html`<p aria-busy="true">${t("frame.loading")}</p>`}
  </section>`;
}

function TopList({ ws, route, p, q, go }) {
  const [data, setData] = useState(null);
  const [error, setError] = useState("");
  const metric = TOP_METRICS.includes(p.top) ? p.top : "interactions";
  useLoad((fresh) => {
    if (!go) return;
    const qq = new URLSearchParams(q);
    qq.set("metric", metric);
    if (p.platform) qq.set("platform", p.platform);
    fresh(api("GET", `/workspaces/${ws.id}/analytics/toplist?${qq}`)).then((d) => { setData(d); setError(""); })
      .catch((e) => setError(t("error.load", { what: t("analytics.topTitle"), why: e.message })));
  }, [ws.id, q, go, metric, p.platform]);
  const rows = data?.rows || [];
  const labels = rows.map((r) => r.label);
  const own = { label: t("analytics.own"), color: "#1f5fbf", values: rows.map((r) => (r.is_peer ? null : r.value)), format: (v) => value(metric, v) };
  const peers = { label: t("analytics.peer"), color: "#8a4b08", values: rows.map((r) => (r.is_peer ? r.value : null)), format: (v) => value(metric, v) };
  return html`<section aria-labelledby="top-title">
    <h2 id="top-title">${t("analytics.topTitle")}</h2>
    <div class="filters">
      <label>${t("analytics.metric")} <select id="a-top" value=${metric} onChange=${(e) => setParams(route, { top: e.target.value })}>
        ${TOP_METRICS.map((k) => html`<option value=${k}>${t("kpi." + k)}</option>`)}</select></label>
      <label>${t("channels.platform")} <select id="a-platform" value=${p.platform || ""} onChange=${(e) => setParams(route, { platform: e.target.value })}>
        <option value="">${t("filter.any")}</option>
        ${["facebook", "instagram", "x", "linkedin", "tiktok", "youtube", "mastodon", "threads", "bluesky"].map((x) => html`<option value=${x}>${x}</option>`)}</select></label>
    </div>
    <p class="problem" role="alert">${error}</p>
    ${data === null ? html`<p aria-busy="true">${t("frame.loading")}</p>` : rows.length ? html`
      <${Chart} id="top-chart" labels=${labels} series=${[own, peers]} kind="bars" table="toplist"
        label=${t("analytics.topChart", { metric: t("kpi." + metric) })} />
      <table id="toplist"><caption class="visually-hidden">${t("analytics.topTitle")}</caption>
        <thead><tr><th scope="col" class="num">${t("links.rank")}</th><th scope="col">${t("channels.name")}</th>
          <th scope="col">${t("analytics.whose")}</th><th scope="col" class="num">${t("kpi." + metric)}</th></tr></thead>
        <tbody>${rows.map((r) => html`<tr class=${r.is_peer ? "peer" : ""}><td class="num">${r.rank}</td><th scope="row">${r.label}</th>
          <td>${r.is_peer ? t("analytics.peer") : t("analytics.own")}</td><td class="num">${value(metric, r.value)}</td></tr>`)}</tbody>
      </table>` : html`<${Empty} title=${t("analytics.noTopTitle")} next=${t("analytics.noTopNext")} />`}
  </section>`;
}

function Report({ ws, route, p, data }) {
  const month = /^\d{4}-\d{2}$/.test(p.month || "") ? p.month : (data?.until || "").slice(0, 7);
  return html`<section aria-labelledby="report-title">
    <h2 id="report-title">${t("analytics.reportTitle")}</h2>
    <div class="filters">
      <label>${t("analytics.month")} <input type="month" id="a-month" value=${month}
        onChange=${(e) => setParams(route, { month: e.target.value })} /></label>
      ${month ? html`<a id="report-link" class="button" target="_blank" rel="noopener"
        href=${`/api/v1/workspaces/${ws.id}/reports/monthly?month=${encodeURIComponent(month)}`}>
        ${t("analytics.openReport", { month })}</a>` : null}
    </div>
  </section>`;
}

export function Analytics({ ws, route, setError }) {
  const p = route.params;
  const [data, setData] = useState(null);
  const [problem, setProblem] = useState("");
  const [channels, setChannels] = useState([]);
  const [campaigns, setCampaigns] = useState([]);
  // The filters whose grouped table has been drawn (or refused). "What
  // works" and the top list ask only then, so that their answers and their
  // drawing do not hold up the table the filter change is for.
  const [settled, setSettled] = useState(null);
  useReady("analytics", data);
  const by = GROUPINGS.includes(p.by) ? p.by : "channel";
  const metric = KIND[p.metric] ? p.metric : "interactions";
  // The period and filters every part of the page asks with.
  const base = new URLSearchParams();
  for (const k of ["since", "until", "channel", "campaign"]) if (p[k]) base.set(k, p[k]);
  const q = base.toString();
  useEffect(() => {
    Promise.all([everyItem(api, ws.id, "channels"), everyItem(api, ws.id, "campaigns")])
      .then(([cs, cps]) => { setChannels(cs); setCampaigns(cps); })
      .catch((e) => setError(t("error.load", { what: t("nav.analytics"), why: e.message })));
  }, [ws.id]);
  useLoad((fresh) => {
    const qq = new URLSearchParams(q);
    qq.set("by", by);
    qq.set("compare", p.compare === "none" ? "none" : "previous");
    fresh(api("GET", `/workspaces/${ws.id}/analytics?${qq}`)).then((d) => { setData(d); setProblem(""); })
      .catch((e) => setProblem(t("analytics.failed", { why: e.message, field: e.field || "–" })))
      .finally(() => setSettled(`${ws.id}?${q}`));
  }, [ws.id, q, by, p.compare]);
  return html`<h1>${t("nav.analytics")}</h1>
    <${Filters} route=${route} p=${p} channels=${channels.filter((c) => !c.is_peer)} campaigns=${campaigns} data=${data} />
    <p class="problem" role="alert" id="analytics-problem">${problem}</p>
    ${data ? html`<p class="muted" id="analytics-period">${t("dash.period", { since: fmtDay(data.since), until: fmtDay(data.until), zone: data.timezone })}</p>
      ${data.total.posts === 0 ? html`<${Empty} title=${t("analytics.emptyTitle")} next=${t("analytics.emptyNext")} />` : null}
      <${Groups} ws=${ws} data=${data} by=${data.by || by} metric=${metric} />` : problem ? null : html`<p aria-busy="true">${t("frame.loading")}</p>`}
    <${CampaignComparison} ws=${ws} route=${route} p=${p} campaigns=${campaigns} />
    <${Insights} ws=${ws} q=${q} go=${settled === `${ws.id}?${q}`} />
    <${TopList} ws=${ws} route=${route} p=${p} q=${q} go=${settled === `${ws.id}?${q}`} />
    <${Report} ws=${ws} route=${route} p=${p} data=${data} />`;
}
