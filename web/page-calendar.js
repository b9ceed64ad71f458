// page-calendar: the publishing calendar (FullCalendar, from npm) fed by
// the calendar API: week and month views, the view and its date in the
// URL. Dragging a post asks the server to reschedule it; the server checks
// the rules again, and a refusal puts the post back and says why. Clicking
// a post opens it. FullCalendar is shown in UTC with the workspace's
// wall-clock times, so that the desk sees its own zone whatever the
// browser's.
import { html, useEffect, useRef, loadScript, markReady } from "/ui.js";
import { api } from "/api.js";
import { t, currentLang, toZoned, fromZoned, isoUtc } from "/i18n.js";
import { go } from "/router.js";
import { PauseButton } from "/crisis.js";

// The list is the same posts as text, for reading rather than placing.
const VIEWS = { week: "timeGridWeek", month: "dayGridMonth", list: "listWeek" };

async function loadCalendar(lang) {
  await loadScript("/vendor/fullcalendar.js");
  if (lang !== "en") await loadScript(`/vendor/fullcalendar-${lang}.js`);
  return window.FullCalendar;
}

export function Calendar({ ws, me, route, setError, crisis }) {
  const box = useRef(null);
  const p = route.params;
  useEffect(() => {
    let cal = null, gone = false, fetched = false;
    (async () => {
      let FC;
      try {
        FC = await loadCalendar(currentLang());
      } catch (e) {
        setError(t("error.load", { what: t("nav.calendar"), why: e.message }));
        return;
      }
      if (gone) return;
      const view = VIEWS[p.view] || VIEWS.week;
      cal = new FC.Calendar(box.current, {
        locale: currentLang(),
        timeZone: "UTC",
        initialView: view,
        initialDate: /^\d{4}-\d{2}-\d{2}$/.test(p.date || "") ? p.date : undefined,
        headerToolbar: { left: "prev,next today", center: "title", right: "timeGridWeek,dayGridMonth,listWeek" },
        height: "auto",
        nowIndicator: true,
        editable: true,
        eventDurationEditable: false,
        // Blocks, not dots, in the month view: white on the status colour.
        eventDisplay: "block",
        dayMaxEvents: 4,
        // The same in the week: a busy hour shows three posts and "+N more",
        // not hundreds of overlapping boxes (which took seconds to draw).
        eventMaxStack: 3,
        events: async (info) => {
          const q = new URLSearchParams({ since: isoUtc(fromZoned(info.start.valueOf(), ws.timezone)),
            until: isoUtc(fromZoned(info.end.valueOf(), ws.timezone)) });
          try {
            const out = await api("GET", `/workspaces/${ws.id}/calendar?${q}`);
            fetched = true;
            return out.items.map((i) => ({
              id: String(i.variant_id),
              title: `${i.channel} (${i.platform}): ${i.title || i.body}`,
              start: toZoned(Date.parse(i.at), ws.timezone),
              classNames: ["status-" + i.status],
              editable: i.status !== "published",
              extendedProps: { post: i.post_id, variant: i.variant_id, status: i.status },
            }));
          } catch (e) {
            setError(t("error.load", { what: t("nav.calendar"), why: e.message }));
            return [];
          }
        },
        // Drawn: the events of a period that was just fetched are on the page.
        eventsSet: () => {
          if (fetched) { fetched = false; markReady("calendar"); }
        },
        datesSet: (info) => {
          // FullCalendar's arrows are icons inside buttons that have their
          // own names; an icon without a name is noise to a screen reader.
          for (const i of box.current.querySelectorAll(".fc-icon")) i.setAttribute("aria-hidden", "true");
          const name = Object.keys(VIEWS).find((k) => VIEWS[k] === info.view.type) || "week";
          const date = info.view.currentStart.toISOString().slice(0, 10);
          if (name !== (p.view || "week") || date !== p.date)
            history.replaceState(null, "", location.hash.split("?")[0] + "?" +
              new URLSearchParams({ ...parseQuery(), view: name, date }));
        },
        eventDrop: async (info) => {
          const e = info.event;
          const at = isoUtc(fromZoned(e.start.valueOf(), ws.timezone));
          try {
            await api("POST", `/workspaces/${ws.id}/posts/${e.extendedProps.post}/schedule`,
              { variant_id: e.extendedProps.variant, at });
            setError("");
          } catch (err) {
            info.revert();
            setError(t("calendar.moveRefused", { why: err.message }));
          }
        },
        eventClick: (info) => {
          info.jsEvent.preventDefault();
          go(ws.id, "posts", {}, info.event.extendedProps.post);
        },
        eventDidMount: (info) => {
          // Reachable by keyboard: Enter opens the post like a click.
          info.el.tabIndex = 0;
          info.el.setAttribute("role", "link");
          info.el.addEventListener("keydown", (ev) => {
            if (ev.key === "Enter") go(ws.id, "posts", {}, info.event.extendedProps.post);
          });
        },
      });
      cal.render();
    })();
    return () => { gone = true; cal?.destroy(); };
  }, [ws.id]);
  return html`<div class="title-row"><h1>${t("nav.calendar")}</h1>
      ${crisis?.pauses?.paused ? html`<p class="crisis-note">${t("crisis.calendarPaused")}</p>`
        : html`<${PauseButton} me=${me} onPause=${crisis?.pause} id="calendar-pause" />`}</div>
    <p class="muted">${t("calendar.help", { zone: ws.timezone })}</p>
    <div ref=${box} id="calendar"></div>`;
}

function parseQuery() {
  return Object.fromEntries(new URLSearchParams(location.hash.split("?")[1] || ""));
}
