// crisis: the crisis switch on the desk. A pause holds every scheduled post
// of the workspace (or of chosen channels) until it is resumed or its end
// time passes; while one holds, every page shows a banner with its reason,
// who paused and since when. Resuming asks what to do with the posts whose
// time passed meanwhile: the API's publish_now, hold or reschedule.
import { html, useState, useEffect, useRef, useCallback } from "/ui.js";
import { api } from "/api.js";
import { t, fmtTime, toZoned, fromZoned, isoUtc } from "/i18n.js";

const POLL_MS = 30000;

// The pauses in force for ws, read again on every change of view, every
// POLL_MS and whenever refresh() is called (after a pause or a resume).
export function usePauses(ws, route) {
  const [pauses, setPauses] = useState(null);
  const [error, setError] = useState("");
  const refresh = useCallback(async () => {
    if (!ws) return;
    try {
      setPauses(await api("GET", `/workspaces/${ws.id}/publishing/pause`));
      setError("");
    } catch (e) {
      setError(t("error.load", { what: t("crisis.what"), why: e.message }));
    }
  }, [ws?.id]);
  useEffect(() => {
    refresh();
    const timer = setInterval(refresh, POLL_MS);
    return () => clearInterval(timer);
  }, [refresh, route.view, route.id]);
  return { pauses, error, refresh };
}

export function canSwitch(me) {
  return ["admin", "editor"].includes(me?.user?.role);
}

// The banner every page shows while a pause holds.
export function CrisisBanner({ ws, me, pauses, onResume }) {
  if (!pauses?.paused) return null;
  return html`<section class="crisis" id="crisis-banner" aria-labelledby="crisis-title">
    <h2 id="crisis-title">${t("crisis.bannerTitle")}</h2>
    <ul>${pauses.items.map((p) => html`<li data-pause=${p.id}>
      <strong>${p.channel ? t("crisis.channelPaused", { channel: p.channel }) : t("crisis.allPaused")}</strong>
      ${" "}<span class="crisis-reason">${p.reason}</span>
      <span class="meta">${t("crisis.by", { who: p.paused_by_name || t("crisis.someone"),
        since: fmtTime(p.paused_at, ws.timezone) })}${p.until ? " · " + t("crisis.until", { until: fmtTime(p.until, ws.timezone) }) : ""}</span>
    </li>`)}</ul>
    ${canSwitch(me) ? html`<button type="button" id="crisis-resume" onClick=${onResume}>${t("crisis.resume")}</button>` : null}
  </section>`;
}

// The button that opens the pause dialog (in the frame and on the calendar).
export function PauseButton({ me, onPause, id = "crisis-pause" }) {
  if (!canSwitch(me)) return null;
  return html`<button type="button" class="danger" id=${id} onClick=${onPause}>${t("crisis.pause")}</button>`;
}

function useDialog(open, onClose) {
  const ref = useRef(null);
  useEffect(() => {
    const d = ref.current;
    if (!d) return undefined;
    if (open && !d.open) d.showModal();
    if (!open && d.open) d.close();
    const closed = () => onClose();
    d.addEventListener("close", closed);
    return () => d.removeEventListener("close", closed);
  }, [open]);
  return ref;
}

// A wall-clock time typed in the workspace's zone, as the API's UTC ISO time.
function zonedToIso(value, zone) {
  return isoUtc(fromZoned(Date.parse(value + "Z"), zone));
}

export function PauseDialog({ ws, open, onClose, onDone }) {
  const [reason, setReason] = useState("");
  const [scope, setScope] = useState("all");
  const [chosen, setChosen] = useState(new Set());
  const [until, setUntil] = useState("");
  const [channels, setChannels] = useState([]);
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const ref = useDialog(open, onClose);
  useEffect(() => {
    if (!open) return;
    setError("");
    api("GET", `/workspaces/${ws.id}/channels?limit=200`)
      .then((page) => setChannels(page.items.filter((c) => !c.is_peer)))
      .catch((e) => setError(t("error.load", { what: t("nav.channels"), why: e.message })));
  }, [open, ws.id]);
  const toggle = (id) => {
    const next = new Set(chosen);
    if (next.has(id)) next.delete(id); else next.add(id);
    setChosen(next);
  };
  const submit = async (e) => {
    e.preventDefault();
    setError("");
    if (scope === "some" && !chosen.size) { setError(t("crisis.chooseChannels")); return; }
    const body = { reason };
    if (scope === "some") body.channels = [...chosen];
    if (until) body.until = zonedToIso(until, ws.timezone);
    setBusy(true);
    try {
      const out = await api("POST", `/workspaces/${ws.id}/publishing/pause`, body);
      setReason(""); setUntil(""); setChosen(new Set()); setScope("all");
      onDone(out.sending?.length ? t("crisis.pausedSending", { n: out.sending.length,
        which: out.sending.map((s) => s.message).join(" ") }) : t("crisis.paused"));
    } catch (err) {
      setError(t("crisis.pauseFailed", { why: err.message }));
    } finally {
      setBusy(false);
    }
  };
  return html`<dialog ref=${ref} id="pause-dialog" aria-labelledby="pause-title">
    <form onSubmit=${submit}>
      <h2 id="pause-title">${t("crisis.pauseTitle")}</h2>
      <p class="muted">${t("crisis.pauseHelp")}</p>
      <label class="stack">${t("crisis.reason")}
        <textarea id="pause-reason" rows="3" required maxlength="1000" value=${reason}
          onInput=${(e) => setReason(e.target.value)}></textarea></label>
      <fieldset class="stack">
        <legend>${t("crisis.scope")}</legend>
        <label><input type="radio" name="pause-scope" value="all" checked=${scope === "all"}
          onChange=${() => setScope("all")} /> ${t("crisis.scopeAll")}</label>
        <label><input type="radio" name="pause-scope" value="some" id="pause-some" checked=${scope === "some"}
          onChange=${() => setScope("some")} /> ${t("crisis.scopeSome")}</label>
        ${scope === "some" ? html`<div class="channel-choice">${channels.map((c) => html`<label>
          <input type="checkbox" value=${c.id} checked=${chosen.has(c.id)} onChange=${() => toggle(c.id)} />
          ${c.name} (${c.platform})</label>`)}</div>` : null}
      </fieldset>
      <label class="stack">${t("crisis.untilLabel", { zone: ws.timezone })}
        <input type="datetime-local" id="pause-until" value=${until}
          onInput=${(e) => setUntil(e.target.value)} /></label>
      <p class="problem" role="alert">${error}</p>
      <div class="actions">
        <button type="submit" class="danger" id="pause-submit" disabled=${busy}>${t("crisis.pauseNow")}</button>
        <button type="button" onClick=${() => ref.current?.close()}>${t("frame.cancel")}</button>
      </div>
    </form>
  </dialog>`;
}

export function ResumeDialog({ ws, open, onClose, onDone }) {
  const [late, setLate] = useState("hold");
  const [at, setAt] = useState("");
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const ref = useDialog(open, onClose);
  useEffect(() => {
    if (!open) return;
    setError("");
    // A suggestion for the reschedule: an hour on, on the hour.
    setAt(toZoned(Math.ceil(Date.now() / 3600000) * 3600000 + 3600000, ws.timezone).slice(0, 16));
  }, [open]);
  const submit = async (e) => {
    e.preventDefault();
    setError("");
    const body = { late };
    if (late === "reschedule") body.at = zonedToIso(at, ws.timezone);
    setBusy(true);
    try {
      const out = await api("POST", `/workspaces/${ws.id}/publishing/resume`, body);
      onDone(t("crisis.resumed", { n: out.late_posts ?? 0 }));
    } catch (err) {
      setError(t("crisis.resumeFailed", { why: err.message }));
    } finally {
      setBusy(false);
    }
  };
  const choice = (value, label) => html`<label><input type="radio" name="resume-late" value=${value}
    id=${"resume-" + value} checked=${late === value} onChange=${() => setLate(value)} />
    ${label}</label>`;
  return html`<dialog ref=${ref} id="resume-dialog" aria-labelledby="resume-title">
    <form onSubmit=${submit}>
      <h2 id="resume-title">${t("crisis.resumeTitle")}</h2>
      <fieldset class="stack">
        <legend>${t("crisis.lateQuestion")}</legend>
        ${choice("hold", t("crisis.late_hold"))}${choice("publish_now", t("crisis.late_publish_now"))}
        ${choice("reschedule", t("crisis.late_reschedule"))}
      </fieldset>
      ${late === "reschedule" ? html`<label class="stack">${t("crisis.rescheduleAt", { zone: ws.timezone })}
        <input type="datetime-local" id="resume-at" required value=${at}
          onInput=${(e) => setAt(e.target.value)} /></label>` : null}
      <p class="problem" role="alert">${error}</p>
      <div class="actions">
        <button type="submit" class="primary" id="resume-submit" disabled=${busy}>${t("crisis.resumeNow")}</button>
        <button type="button" onClick=${() => ref.current?.close()}>${t("frame.cancel")}</button>
      </div>
    </form>
  </dialog>`;
}
