// chart: the desk's charts, drawn by uPlot over labelled points (x is the
// point's index): lines over time, bars for categories, points with their
// intervals. A chart is an image for those who see it; its numbers are in
// the table its `table` names, and it can be saved as a PNG.
import { html, useEffect, useRef } from "/ui.js";
import { t } from "/i18n.js";
import uPlot from "/vendor/uplot.js";

export function Chart({ id, labels, series, kind, table, label, intervals }) {
  const box = useRef(null);
  const plot = useRef(null);
  useEffect(() => {
    if (!labels.length) return undefined;
    const xs = labels.map((_, i) => i);
    const crowded = labels.length > 4 && kind !== "line";
    const short = (l) => (l.length > 26 ? l.slice(0, 25) + "…" : l);
    const hooks = intervals ? { draw: [(u) => {
      // Each lift's 95 % interval, a whisker from its low to its high end.
      const ctx = u.ctx;
      ctx.save();
      ctx.strokeStyle = "#1a4f9c";
      ctx.lineWidth = 2 * devicePixelRatio;
      intervals.forEach(([lo, hi], i) => {
        if (lo == null || hi == null) return;
        const x = u.valToPos(i, "x", true), y0 = u.valToPos(lo, "y", true), y1 = u.valToPos(hi, "y", true);
        const w = 6 * devicePixelRatio;
        ctx.beginPath();
        ctx.moveTo(x, y0); ctx.lineTo(x, y1);
        ctx.moveTo(x - w, y0); ctx.lineTo(x + w, y0);
        ctx.moveTo(x - w, y1); ctx.lineTo(x + w, y1);
        ctx.stroke();
      });
      const zero = u.valToPos(0, "y", true);
      ctx.strokeStyle = "#5b6475";
      ctx.lineWidth = devicePixelRatio;
      ctx.beginPath(); ctx.moveTo(u.bbox.left, zero); ctx.lineTo(u.bbox.left + u.bbox.width, zero); ctx.stroke();
      ctx.restore();
    }] } : {};
    let yRange;
    if (intervals) {
      const all = intervals.flat().concat(series[0].values).filter((v) => v != null);
      yRange = [Math.min(0, ...all) * 1.1, Math.max(0, ...all) * 1.1];
    }
    const opts = {
      width: Math.max(320, box.current.clientWidth - 16), height: 280,
      scales: { x: { time: false, range: [-0.5, labels.length - 0.5] }, y: yRange ? { range: yRange } : {} },
      legend: { show: series.length > 1 },
      series: [{ label: "", value: (u, v) => (v == null ? "" : labels[v] ?? "") },
        ...series.map((s) => ({ label: s.label, stroke: s.color, fill: kind === "bars" ? s.color + "cc" : undefined,
          width: 2, value: (u, v) => s.format(v),
          paths: kind === "bars" ? uPlot.paths.bars({ size: [0.7 / series.length, 80] })
            : kind === "points" ? () => null : undefined,
          points: kind === "points" ? { show: true, size: 9, fill: s.color } : undefined }))],
      // Many categories: their names slanted, long ones shortened (the
      // table has them whole).
      axes: [{ values: (u, splits) => splits.map((i) => (Number.isInteger(i) ? short(labels[i] ?? "") : "")),
        rotate: crowded ? -40 : 0, incrs: [1, 2, 5, 10, 20, 50], size: crowded ? 120 : 50 },
      { values: (u, vals) => vals.map((v) => series[0].format(v)), size: 70 }],
      hooks,
    };
    plot.current = new uPlot(opts, [xs, ...series.map((s) => s.values)], box.current);
    return () => { plot.current?.destroy(); plot.current = null; };
  }, [JSON.stringify([labels, series.map((s) => [s.label, s.values]), kind, intervals])]);
  const png = () => plot.current?.ctx.canvas.toBlob((b) => {
    const url = URL.createObjectURL(b);
    const a = document.createElement("a");
    a.href = url; a.download = `${id}.png`;
    document.body.append(a); a.click(); a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  });
  return html`<figure class="figure">
    <div ref=${box} id=${id} class="chart" role="img" aria-label=${label} aria-describedby=${table}></div>
    <figcaption><button type="button" id=${id + "-png"} onClick=${png}>${t("analytics.png")}</button>
      <span class="muted">${t("analytics.numbersBelow")}</span></figcaption>
  </figure>`;
}
