// page-dashboard: the period's KPIs (docs/metrics.md, computed by the
// analytics API) beside the previous period's, and the days of the period
// as a chart (uPlot) with the same numbers in a table for those who do not
// read charts.
import { html, useState, useEffect, useRef, everyItem, Empty, useReady } from "/ui.js";
import { api } from "/api.js";
import { t, fmtNumber, fmtPercent, fmtDay, currentLang } from "/i18n.js";
import { setParams } from "/router.js";
import uPlot from "/vendor/uplot.js";

// Counts compare as a relative change; rates as percentage points.
const KPIS = [
  ["posts", "count"], ["reach", "count"], ["impressions", "count"], ["interactions", "count"],
  ["er_reach", "rate"], ["clicks", "count"], ["response_rate", "rate"], ["follower_growth", "count"],
];
const SERIES = [["reach", "#1f5fbf"], ["interactions", "#c0392b"]];

function delta(kind, now, before) {
  if (now == null || before == null) return { text: t("dash.noPrevious"), sign: 0 };
  if (kind === "rate") {
    const pp = (now - before) * 100;
    return { text: t("dash.pp", { n: fmtNumber(pp, { maximumFractionDigits: 1, signDisplay: "always" }) }), sign: Math.sign(pp) };
  }
  if (before === 0) return { text: t("dash.noPrevious"), sign: 0 };
  const r = (now - before) / Math.abs(before);
  return { text: fmtNumber(r, { style: "percent", maximumFractionDigits: 1, signDisplay: "always" }), sign: Math.sign(r) };
}

function fmtShortDay(seconds) {
  return new Intl.DateTimeFormat(currentLang(), { day: "numeric", month: "short", timeZone: "UTC" })
    .format(new Date(seconds * 1000));
}

function value(kind, v) {
  return kind === "rate" ? fmtPercent(v, 2) : fmtNumber(v);
}

function Chart({ rows }) {
  const box = useRef(null);
  useEffect(() => {
    if (!rows.length) return undefined;
    const xs = rows.map((r) => {
      const [y, m, d] = r.label.split("-").map(Number);
      return Date.UTC(y, m - 1, d) / 1000;
    });
    const plot = new uPlot({
      width: Math.max(320, box.current.clientWidth), height: 260, tzDate: (ts) => uPlot.tzDate(new Date(ts * 1e3), "UTC"),
      series: [{}, ...SERIES.map(([k, c]) => ({ label: t("kpi." + k), stroke: c, width: 2,
        value: (u, v) => fmtNumber(v) }))],
      axes: [{ values: (u, vals) => vals.map((v) => fmtShortDay(v)) }, { values: (u, vals) => vals.map((v) => fmtNumber(v, { notation: "compact" })), size: 60 }],
    }, [xs, ...SERIES.map(([k]) => rows.map((r) => r[k] ?? null))], box.current);
    return () => plot.destroy();
  }, [rows]);
  return html`<div ref=${box} class="chart" role="img" aria-label=${t("dash.chartLabel")}></div>`;
}

// How much the workspace's model agrees with its moderators: the share of
// the last 30 days' messages whose sentiment, or tags, nobody corrected; and
// how often the tag learner's word (before it learned from it) matched the
// moderators' tag corrections of those days.
function Agreement({ ws }) {
  const [a, setA] = useState(null);
  useEffect(() => {
    api("GET", `/workspaces/${ws.id}/learner/agreement?days=30`).then(setA, () => setA(null));
  }, [ws.id]);
  if (!a) return null;
  const line = (key, f) => t(key, { share: fmtPercent(f.agreement), corrected: fmtNumber(f.corrected), n: fmtNumber(a.messages) });
  const suggest = (f) => (f.judged
    ? t("dash.agreeSuggest", { share: fmtPercent(f.agreement), agreed: fmtNumber(f.agreed),
      judged: fmtNumber(f.judged), accepted: fmtNumber(f.accepted) })
    : t("dash.agreeSuggestNone", { min: fmtNumber(f.min_corrections) }));
  return html`<section aria-labelledby="agree-title">
    <h2 id="agree-title">${t("dash.agreeTitle", { days: a.days })}</h2>
    ${a.messages ? html`<ul id="agreement">
      <li data-kind="sentiment">${line("dash.agreeSentiment", a.sentiment)}</li>
      <li data-kind="tags">${line("dash.agreeTags", a.tags)}</li>
    </ul>` : html`<p id="agreement">${t("dash.agreeNone")}</p>`}
    <p id="agreement-suggest">${suggest(a.tag_suggestions)}</p>
  </section>`;
}

export function Dashboard({ ws, route, setError }) {
  const [data, setData] = useState(null);
  const [channels, setChannels] = useState([]);
  const [campaigns, setCampaigns] = useState([]);
  const p = route.params;
  useReady("dashboard", data);
  // The filters' choices are asked for once (the page is the workspace's);
  // a filter change asks only for the figures.
  const choices = useRef(null);
  useEffect(() => {
    // An answer for filters that changed meanwhile is dropped: the last
    // filters win, not the slowest answer.
    let stale = false;
    (async () => {
      try {
        const q = new URLSearchParams({ by: "day", compare: "previous" });
        for (const k of ["since", "until", "channel", "campaign"]) if (p[k]) q.set(k, p[k]);
        // Together, not in turn: the page waits for the slowest, not the sum.
        choices.current ??= Promise.all([everyItem(api, ws.id, "channels"), everyItem(api, ws.id, "campaigns")])
          .catch((e) => { choices.current = null; throw e; });
        const [[all, cps], out] = await Promise.all([choices.current,
          api("GET", `/workspaces/${ws.id}/analytics?${q}`)]);
        const cs = all.filter((c) => !c.is_peer);
        if (stale) return;
        setChannels(cs);
        setCampaigns(cps);
        setData(out);
      } catch (e) {
        if (!stale) setError(t("error.load", { what: t("nav.dashboard"), why: e.message }));
      }
    })();
    return () => { stale = true; };
  }, [ws.id, p.since, p.until, p.channel, p.campaign]);

  const filters = html`<div class="filters">
    <label>${t("dash.since")} <input type="date" id="f-since" value=${p.since || data?.since || ""}
      onChange=${(e) => setParams(route, { since: e.target.value })} /></label>
    <label>${t("dash.until")} <input type="date" id="f-until" value=${p.until || data?.until || ""}
      onChange=${(e) => setParams(route, { until: e.target.value })} /></label>
    <label>${t("dash.channel")} <select id="f-channel" value=${p.channel || ""}
      onChange=${(e) => setParams(route, { channel: e.target.value })}>
      <option value="">${t("filter.any")}</option>
      ${channels.map((c) => html`<option value=${c.id}>${c.name} (${c.platform})</option>`)}
    </select></label>
    <label>${t("dash.campaign")} <select id="f-campaign" value=${p.campaign || ""}
      onChange=${(e) => setParams(route, { campaign: e.target.value })}>
      <option value="">${t("filter.any")}</option>
      ${campaigns.map((c) => html`<option value=${c.id}>${c.name}</option>`)}
    </select></label>
  </div>`;
  if (!data) return html`<h1>${t("nav.dashboard")}</h1>${filters}<p aria-busy="true">${t("frame.loading")}</p>`;
  const prev = data.previous?.total ?? data.previous;
  return html`<h1>${t("nav.dashboard")}</h1>
    ${filters}
    <p class="muted">${t("dash.period", { since: fmtDay(data.since), until: fmtDay(data.until), zone: data.timezone })}</p>
    ${data.total.posts === 0 ? html`<${Empty} title=${t("dash.emptyTitle")} next=${t("dash.emptyNext")} />` : null}
    <ul class="kpis">
      ${KPIS.map(([k, kind]) => {
        const d = delta(kind, data.total[k], prev?.[k]);
        return html`<li class="kpi" data-kpi=${k}>
          <span class="kpi-name">${t("kpi." + k)}</span>
          <strong class="kpi-value">${value(kind, data.total[k])}</strong>
          <span class=${"kpi-delta " + (d.sign > 0 ? "up" : d.sign < 0 ? "down" : "")}>${d.text}
            <span class="visually-hidden"> ${t("dash.vsPrevious")}</span></span>
        </li>`;
      })}
    </ul>
    <h2 id="chart-title">${t("dash.overTime")}</h2>
    <${Chart} rows=${data.rows} />
    <table id="chart-table" aria-labelledby="chart-title">
      <thead><tr><th scope="col">${t("dash.day")}</th>
        ${SERIES.map(([k]) => html`<th scope="col" class="num">${t("kpi." + k)}</th>`)}
        <th scope="col" class="num">${t("kpi.posts")}</th></tr></thead>
      <tbody>${data.rows.map((r) => html`<tr><th scope="row">${fmtDay(r.label)}</th>
        ${SERIES.map(([k]) => html`<td class="num">${fmtNumber(r[k])}</td>`)}
        <td class="num">${fmtNumber(r.posts)}</td></tr>`)}</tbody>
    </table>
    <${Agreement} ws=${ws} />`;
}
