// page-calendar: the publishing calendar (FullCalendar, from npm) fed by
// the calendar API: week and month views, the view and its date in the
// URL. Dragging a post asks the server to reschedule it; the server checks
// the rules again, and a refusal puts the post back and says why. Clicking
// a post opens it. FullCalendar is shown in UTC with the workspace's
// wall-clock times, so that the desk sees its own zone whatever the
// browser's.
//
// A busy week or month comes as a summary (the API's `per`): the first
// posts of each hour (or day) and how many more there are; the "+N more"
// of a slot opens a dialog that fetches and lists that slot's posts, since
// laying out thousands of events was what made the page slow (issue 23).
import { html, useEffect, useRef, useState, loadScript, markReady } from "/ui.js";
import { api } from "/api.js";
import { t, currentLang, toZoned, fromZoned, isoUtc, fmtNumber } from "/i18n.js";
import { go, href } from "/router.js";
import { PauseButton } from "/crisis.js";

// The list is the same posts as text, for reading rather than placing.
const VIEWS = { week: "timeGridWeek", month: "dayGridMonth", list: "listWeek" };
// The summary's slot per view. A busy week shows one post an hour, at the
// day's full width, and its "+N more": three side by side were a few
// letters each, and laying out 672 events instead of 336 was what kept
// another week over 200 ms (design decision 130). The list, one line a
// post, shows three an hour and "+N more": it asked for every post, and a
// week of more than 5,000 was refused.
const PER = { timeGridWeek: "hour", dayGridMonth: "day", listWeek: "hour" };
const SHOWN = { timeGridWeek: 1, listWeek: 3 };
const MINUTE = 60e3;
// How long an answer already in the page is drawn again without asking.
const FRESH = 60e3;

// A post as FullCalendar's event. In a summarised week a post is drawn
// 20 minutes long, so the hour's first post and its "+N more" (from
// minute 40) sit in the hour without covering the next one.
function postEvent(i, zone, summarised) {
  const start = toZoned(Date.parse(i.at), zone);
  return {
    id: String(i.variant_id),
    title: `${i.channel} (${i.platform}): ${i.title || i.body}`,
    start,
    end: summarised ? toZoned(Date.parse(i.at) + 20 * MINUTE, zone) : undefined,
    classNames: ["status-" + i.status],
    editable: i.status !== "published",
    extendedProps: { post: i.post_id, variant: i.variant_id, status: i.status, order: 0 },
  };
}

// A slot's "+N more": not movable, drawn last in its hour or day.
function moreEvent(s, zone, per) {
  const start = Date.parse(s.start), until = Date.parse(s.until);
  return {
    id: "more-" + s.start,
    title: t("calendar.more", { n: fmtNumber(s.more) }),
    start: toZoned(per === "hour" ? Math.max(start, until - 20 * MINUTE) : start, zone),
    end: per === "hour" ? toZoned(until, zone) : undefined,
    allDay: false,
    classNames: ["more-slot"],
    editable: false,
    extendedProps: { slot: s, order: 1 },
  };
}

// The posts of one slot, fetched when its "+N more" is opened: the whole
// list of that hour or day (the API's own limit applies).
function SlotDialog({ ws, slot, onClose }) {
  const ref = useRef(null);
  const [posts, setPosts] = useState(null);
  const [error, setError] = useState("");
  useEffect(() => {
    ref.current.showModal();
    let live = true;
    const q = new URLSearchParams({ since: slot.start, until: slot.until });
    api("GET", `/workspaces/${ws.id}/calendar?${q}`).then(
      (out) => { if (live) setPosts(out.items); },
      (e) => { if (live) setError(t("error.load", { what: t("nav.calendar"), why: e.message })); });
    return () => { live = false; };
  }, []);
  const zone = ws.timezone;
  const time = (iso, withDay) => new Intl.DateTimeFormat(currentLang(), { timeZone: zone,
    ...(withDay ? { dateStyle: "full", timeStyle: "short" } : { timeStyle: "short" }) }).format(new Date(iso));
  const when = t(slot.per === "day" ? "calendar.slotDay" : "calendar.slotHour", {
    day: new Intl.DateTimeFormat(currentLang(), { timeZone: zone, dateStyle: "full" }).format(new Date(slot.start)),
    from: time(slot.start), to: time(slot.until) });
  return html`<dialog ref=${ref} id="calendar-slot" aria-labelledby="calendar-slot-title" onClose=${onClose}>
    <h2 id="calendar-slot-title">${when}</h2>
    <p class="muted">${t("calendar.slotCount", { n: fmtNumber(slot.total) })}</p>
    ${error ? html`<p class="problem" role="alert">${error}</p>` : null}
    ${posts ? html`<ul class="slot-posts">${posts.map((i) => html`<li key=${i.variant_id} data-variant=${i.variant_id}>
        <span class="slot-time">${time(i.at)}</span>
        <a href=${href(ws.id, "posts", {}, i.post_id)}>${i.channel} (${i.platform}): ${i.title || i.body}</a>
        <span class="muted"> · ${t("status." + i.status)}</span></li>`)}</ul>`
      : error ? null : html`<p role="status">${t("calendar.slotLoading")}</p>`}
    <button type="button" onClick=${() => ref.current.close()}>${t("help.close")}</button>
  </dialog>`;
}

async function loadCalendar(lang) {
  await loadScript("/vendor/fullcalendar.js");
  if (lang !== "en") await loadScript(`/vendor/fullcalendar-${lang}.js`);
  return window.FullCalendar;
}

export function Calendar({ ws, me, route, setError, crisis }) {
  const box = useRef(null);
  const p = route.params;
  // The open "+N more": its slot, and the element to give focus back to.
  const [open, setOpen] = useState(null);
  useEffect(() => {
    let cal = null, gone = false, fetched = false, lastShown = "";
    // The calendar API's answers while the page is open, by window: a
    // week's answer is asked for before it is shown (askBeside), and one
    // older than FRESH is asked for again. A post moved here empties it.
    const answers = new Map();
    const ask = (start, end, type) => {
      const per = PER[type], shown = SHOWN[type];
      const q = new URLSearchParams({ since: isoUtc(fromZoned(start, ws.timezone)),
        until: isoUtc(fromZoned(end, ws.timezone)), ...(per ? { per } : {}),
        ...(shown ? { shown } : {}) }).toString();
      let a = answers.get(q);
      if (a && Date.now() - a.at < FRESH) return a;
      a = { at: Date.now(), out: null };
      a.promise = api("GET", `/workspaces/${ws.id}/calendar?${q}`).then((out) => (a.out = out));
      a.promise.catch(() => { if (answers.get(q) === a) answers.delete(q); });
      answers.set(q, a);
      return a;
    };
    // The weeks before and after a week, asked for once it is drawn (not
    // while it is: that slowed the first drawing on a busy machine), so
    // that "previous" and "next" draw without waiting.
    let beside = null;
    const askBeside = ([start, end]) => {
      if (gone) return;
      for (const from of [2 * start - end, end])
        ask(from, from + end - start, "timeGridWeek").promise.catch(() => {});
    };
    const toEvents = (out, per) => {
      const events = out.items.map((i) => postEvent(i, ws.timezone, out.summarised && per === "hour"));
      if (out.summarised)
        for (const s of out.slots)
          if (s.more > 0) events.push(moreEvent({ ...s, per: out.per }, ws.timezone, out.per));
      return events;
    };
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
        // A post happens at an instant: its time is its start. (The 20
        // minutes a summarised week draws it are room on the page, not an
        // end; and FullCalendar makes a new Intl formatter for every
        // event's "from–to", which was a third of a week's drawing.)
        displayEventEnd: false,
        dayMaxEvents: 4,
        // The same in the week: a busy hour shows its first posts and
        // "+N more", not hundreds of overlapping boxes. Below the API's
        // summary threshold FullCalendar's own "+N" does this; above it the
        // server's summary has one post and a "+N more" an hour.
        eventMaxStack: 4,
        eventOrder: "order,start,-duration,allDay,title",
        // A period already answered (or being asked for) is drawn from that
        // answer at once, in the same pass as the new dates.
        events: (info, ok) => {
          const type = cal ? cal.view.type : view, per = PER[type];
          const start = info.start.valueOf(), end = info.end.valueOf();
          const a = ask(start, end, type);
          const drawn = (out) => {
            fetched = true;
            beside = type === "timeGridWeek" ? [start, end] : null;
            ok(toEvents(out, per));
          };
          if (a.out) drawn(a.out);
          else a.promise.then(drawn, (e) => {
            setError(t("error.load", { what: t("nav.calendar"), why: e.message }));
            ok([]);
          });
        },
        // Drawn: the events of a period that was just fetched are on the page.
        eventsSet: () => {
          if (!fetched) return;
          fetched = false;
          markReady("calendar");
          if (beside) setTimeout(askBeside, 0, beside);
        },
        datesSet: (info) => {
          // FullCalendar asks for events again only when the dates change;
          // the week and the list show the same dates but ask differently.
          const shownAs = info.view.type + " " + info.start.valueOf() + " " + info.end.valueOf();
          if (lastShown && lastShown !== shownAs && lastShown.endsWith(shownAs.split(" ").slice(1).join(" ")))
            cal?.refetchEvents();
          lastShown = shownAs;
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
            answers.clear();
            setError("");
          } catch (err) {
            info.revert();
            setError(t("calendar.moveRefused", { why: err.message }));
          }
        },
        // A "+N more" says only that, without a time (as text, not HTML).
        eventContent: (arg) => (arg.event.extendedProps.slot ? arg.event.title : true),
        eventClick: (info) => {
          info.jsEvent.preventDefault();
          const { slot, post } = info.event.extendedProps;
          if (slot) setOpen({ slot, opener: info.el });
          else go(ws.id, "posts", {}, post);
        },
        eventDidMount: (info) => {
          // Reachable by keyboard: Enter opens the post like a click, and
          // Enter or Space opens a "+N more".
          const { slot, post } = info.event.extendedProps;
          info.el.tabIndex = 0;
          info.el.setAttribute("role", slot ? "button" : "link");
          if (slot) {
            info.el.setAttribute("aria-haspopup", "dialog");
            info.el.setAttribute("aria-label", t("calendar.moreLabel", { n: fmtNumber(slot.more),
              total: fmtNumber(slot.total) }));
          }
          info.el.addEventListener("keydown", (ev) => {
            if (slot && (ev.key === "Enter" || ev.key === " ")) {
              ev.preventDefault();
              setOpen({ slot, opener: info.el });
            } else if (!slot && ev.key === "Enter") go(ws.id, "posts", {}, post);
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
    <div ref=${box} id="calendar"></div>
    ${open ? html`<${SlotDialog} ws=${ws} slot=${open.slot} onClose=${() => {
      setOpen(null);
      if (open.opener.isConnected) open.opener.focus();
    }} />` : null}`;
}

function parseQuery() {
  return Object.fromEntries(new URLSearchParams(location.hash.split("?")[1] || ""));
}
