// page-inbox: messages to the organisation, filtered by status, sentiment
// and topic (the filters live in the URL), to be worked: a moderator sets a
// message's status and corrects its sentiment, which teaches the
// workspace's learner. A message opened (?open=ID) shows its conversation
// beside the list (and answering is done there, not in the list); the
// keyboard moves through the list and acts on the open message (INBOX_KEYS, listed in the frame's shortcut help).
// In bulk mode a spam wave is hidden at once (the messages ticked, or every
// one the filters find), followed as it goes, and undone.
import { html, useState, useEffect, useRef, everyItem, Empty, useReady, useLoad } from "/ui.js";
import { api } from "/api.js";
import { t, fmtTime } from "/i18n.js";
import { href, setParams } from "/router.js";
import { Conversation } from "/conversation.js";

// Key -> what it does, for the handler below and the frame's help.
export const INBOX_KEYS = [["j", "inbox.keyNext"], ["k", "inbox.keyPrevious"], ["a", "inbox.keyAssign"],
  ["e", "inbox.keyClose"], ["c", "inbox.keyClose"], ["r", "inbox.keyReply"]];

const SENTIMENTS = ["pos", "neu", "neg"];
const STATUSES = ["open", "assigned", "answered", "closed"];

function Choice({ label, name, options, value, disabled, onChange }) {
  // A value the desk does not set (none yet; hidden at the platform) is
  // shown, not offered.
  const known = options.includes(value);
  return html`<label>${label}
    <select value=${value ?? ""} disabled=${disabled} onChange=${(e) => onChange(e.target)}>
      ${known ? null : html`<option value=${value ?? ""} disabled>${value ? t(name + "." + value) : "—"}</option>`}
      ${options.map((o) => html`<option value=${o}>${t(name + "." + o)}</option>`)}
    </select></label>`;
}

function Message({ m, ws, channels, tags, canModerate, setError, route, open, compact, onChange, ticked, onTick }) {
  const [answer, setAnswer] = useState("");
  const [sent, setSent] = useState("");
  const c = channels.get(m.channel_id);
  // An answer or a moderation goes to the platform through the channel's
  // connector: queued here, done by the worker, told back to the message.
  const act = async (path, body, done) => {
    try {
      await api("POST", `/workspaces/${ws.id}/messages/${m.id}/${path}`, body);
      setSent(done);
      setError("");
      return true;
    } catch (e) {
      setError(t("inbox.actFailed", { why: e.message }));
      return false;
    }
  };
  const send = async (e) => {
    e.preventDefault();
    if (answer.trim() && await act("reply", { text: answer }, t("inbox.replyQueued")))
      setAnswer("");
  };
  const who = m.author_name || m.author_handle || t("inbox.someone");
  // A change is sent at once; on failure the control goes back and says why.
  const save = async (target, field) => {
    try {
      const out = await api("PATCH", `/workspaces/${ws.id}/messages/${m.id}`, { [field]: target.value });
      onChange({ ...m, ...out });
      setError("");
    } catch (e) {
      target.value = m[field] ?? "";
      setError(t("inbox.saveFailed", { why: e.message }));
    }
  };
  return html`<li data-id=${m.id} class=${m.sentiment ? "sent-" + m.sentiment : ""}
    aria-current=${open ? "true" : null}>
    ${onTick ? html`<input type="checkbox" class="tick" checked=${ticked}
      aria-label=${t("bulk.tick", { who })} onChange=${(e) => onTick(m.id, e.target.checked)} />` : null}
    <div class="meta">${fmtTime(m.created_at, ws.timezone)} · ${c ? `${c.name} (${c.platform})` : t("inbox.channel", { id: m.channel_id })} · ${t("kind." + m.kind)} · ${who}</div>
    <p>${m.body}</p>
    ${m.listen_item_id ? html`<p><a class="listen-link" href=${href(ws.id, "listening", { item: m.listen_item_id })}>
      ${t("inbox.fromListening")}</a></p>` : null}
    <div class="controls">
      <${Choice} label=${t("inbox.sentiment")} name="sentiment" options=${SENTIMENTS} value=${m.sentiment}
        disabled=${!canModerate} onChange=${(el) => save(el, "sentiment")} />
      <${Choice} label=${t("inbox.status")} name="status" options=${STATUSES} value=${m.status}
        disabled=${!canModerate} onChange=${(el) => save(el, "status")} />
      ${(m.tag_ids ?? []).map((id) => tags.get(id)).filter(Boolean).map((tg) => html`<span class="tag">${tg.name}</span>`)}
      <button type="button" class="open" aria-pressed=${open ? "true" : "false"}
        onClick=${() => setParams(route, { open: open ? "" : m.id })}>${t("inbox.open")}</button>
    </div>
    ${canModerate && m.platform_id && !m.is_own && !compact ? html`<form class="answer" onSubmit=${send}>
      <label for=${"answer-" + m.id}>${t("inbox.answer")}</label>
      <textarea id=${"answer-" + m.id} rows="2" value=${answer} onInput=${(e) => setAnswer(e.target.value)}></textarea>
      <button type="submit" class="primary send">${t("inbox.send")}</button>
      <button type="button" class="hide" onClick=${() => act("moderate", { action: "hide" }, t("inbox.hideQueued"))}>
        ${t("inbox.hide")}</button>
      <span role="status" class="sent">${sent}</span>
    </form>` : null}
  </li>`;
}

// The state of one side of an operation (its hides, or its undo's unhides).
const waiting = (c) => (c ? c.queued + c.sent + c.unknown : 0);

// Bulk mode: what to hide (ticked, or what the filters find), a confirmation
// that says how many, the operation's progress read back from the server
// until nothing waits, and its undo.
function BulkBar({ ws, filter, ticked, setTicked, setError, onChanged }) {
  const [reason, setReason] = useState("");
  const [confirm, setConfirm] = useState(null);
  const [op, setOp] = useState(null);
  const path = `/workspaces/${ws.id}/moderation/bulk`;
  const fail = (e) => setError(t("bulk.failed", { why: e.message }));
  const ask = async (selection) => {
    try {
      const dry = await api("POST", path, { action: "hide", ...selection, dry_run: true });
      setConfirm({ ...dry, selection });
      setError("");
    } catch (e) { fail(e); }
  };
  const go = async () => {
    try {
      const out = await api("POST", path, { action: "hide", reason, ...confirm.selection });
      setConfirm(null);
      setTicked(new Set());
      setOp(out);
      setError("");
    } catch (e) { fail(e); }
  };
  const undo = async () => {
    try {
      setOp(await api("POST", `${path}/${op.id}/undo`, {}));
      setError("");
    } catch (e) { fail(e); }
  };
  // Followed while anything waits; the list is read again when it settles.
  useEffect(() => {
    if (!op) return undefined;
    if (!waiting(op.counts) && !waiting(op.undo_counts)) {
      onChanged();
      return undefined;
    }
    const timer = setTimeout(async () => {
      try { setOp(await api("GET", `${path}/${op.id}`)); } catch (e) { fail(e); }
    }, 1000);
    return () => clearTimeout(timer);
  }, [op]);
  const n = op ? op.matched : 0;
  const hidden = op ? op.counts.done : 0;
  return html`<section class="bulk card" aria-labelledby="bulk-title">
    <h2 id="bulk-title">${t("bulk.title")}</h2>
    <div class="filters">
      <label>${t("bulk.reason")} <input id="bulk-reason" value=${reason} maxlength="500"
        onInput=${(e) => setReason(e.target.value)} /></label>
      <button type="button" id="bulk-ticked" disabled=${!ticked.size}
        onClick=${() => ask({ message_ids: [...ticked] })}>${t("bulk.ticked", { n: ticked.size })}</button>
      <button type="button" id="bulk-filter" onClick=${() => ask({ filter })}>${t("bulk.byFilter")}</button>
    </div>
    ${confirm ? html`<div id="bulk-confirm" role="alertdialog" aria-labelledby="bulk-question">
      ${confirm.matched ? html`<p id="bulk-question">${t("bulk.confirmQ", { n: confirm.matched })}</p>
        ${confirm.more ? html`<p>${t("bulk.more", { limit: confirm.limit })}</p>` : null}
        <button type="button" class="primary" id="bulk-go" onClick=${go}>${t("bulk.confirm", { n: confirm.matched })}</button>`
      : html`<p id="bulk-question">${t("bulk.none")}</p>`}
      <button type="button" onClick=${() => setConfirm(null)}>${t("bulk.cancel")}</button>
    </div>` : null}
    ${op ? html`<div id="bulk-op" data-id=${op.id}>
      <progress max=${n || 1} value=${op.undone_at ? op.undo_counts.done : hidden}
        aria-label=${t("bulk.progressLabel")}></progress>
      <p role="status" id="bulk-progress">${op.undone_at
        ? t("bulk.undone", { done: op.undo_counts.done, waiting: waiting(op.undo_counts), failed: op.undo_counts.failed })
        : t("bulk.progress", { done: hidden, n, waiting: waiting(op.counts), failed: op.counts.failed, skipped: op.counts.skipped })}</p>
      ${op.undone_at ? null : html`<button type="button" id="bulk-undo" onClick=${undo}>${t("bulk.undo")}</button>`}
    </div>` : null}
  </section>`;
}

export function Inbox({ ws, me, route, setError }) {
  const p = route.params;
  const status = p.status ?? "open";
  const [channels, setChannels] = useState(new Map());
  const [tags, setTags] = useState(null);
  const [items, setItems] = useState(null);
  const [cursor, setCursor] = useState(null);
  const [said, setSaid] = useState("");
  useReady("inbox", items);
  const canModerate = ["admin", "editor", "moderator"].includes(me.user.role);
  const open = Number(p.open) || null;
  const answerRef = useRef(null);
  const change = (m) => setItems((all) => all.map((x) => (x.id === m.id ? m : x)));

  // The keys act on what is on the screen now; the handler is added once.
  const now = useRef({});
  now.current = { items, open, route, canModerate };
  useEffect(() => {
    let afterG = false;
    const patch = async (body, done) => {
      const { open: id, canModerate: may } = now.current;
      if (!id || !may) return;
      try {
        const out = await api("PATCH", `/workspaces/${ws.id}/messages/${id}`, body);
        setItems((all) => all.map((x) => (x.id === id ? { ...x, ...out } : x)));
        setSaid(done);
        setError("");
      } catch (e) {
        setError(t("inbox.saveFailed", { why: e.message }));
      }
    };
    const move = (step) => {
      const { items: list, open: id, route: r } = now.current;
      if (!list?.length) return;
      const at = list.findIndex((x) => x.id === id);
      const next = list[at < 0 ? 0 : Math.min(list.length - 1, Math.max(0, at + step))];
      setParams(r, { open: next.id });
      document.querySelector(`#inbox li[data-id="${next.id}"]`)?.scrollIntoView({ block: "nearest" });
    };
    const onKey = (e) => {
      const tag = e.target.tagName;
      if (e.ctrlKey || e.metaKey || e.altKey || ["INPUT", "TEXTAREA", "SELECT"].includes(tag) ||
          e.target.isContentEditable || document.querySelector("dialog[open]")) return;
      // "g" then a letter is the frame's way to another view.
      if (afterG) { afterG = false; return; }
      if (e.key === "g") { afterG = true; return; }
      const act = {
        j: () => move(1),
        k: () => move(-1),
        a: () => patch({ assigned_user_id: me.user.id, status: "assigned" }, t("inbox.assigned")),
        e: () => patch({ status: "closed" }, t("inbox.closed")),
        c: () => patch({ status: "closed" }, t("inbox.closed")),
        r: () => answerRef.current?.focus(),
      }[e.key];
      if (!act) return;
      e.preventDefault();
      act();
    };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, [ws.id]);
  const bulk = canModerate && p.bulk === "1";
  const [ticked, setTicked] = useState(new Set());
  const [reloads, setReloads] = useState(0);
  // The list's own filter, as the bulk operation takes it.
  const filter = { own: "false" };
  if (status !== "any") filter.status = status;
  if (p.sentiment) filter.sentiment = p.sentiment;
  if (p.tag) filter.tag = p.tag;
  const tick = (id, on) => {
    const next = new Set(ticked);
    if (on) next.add(id); else next.delete(id);
    setTicked(next);
  };

  const load = async (after) => {
    const q = new URLSearchParams({ limit: "20", ...filter });
    if (after) q.set("cursor", after);
    return api("GET", `/workspaces/${ws.id}/messages?${q}`);
  };
  useLoad((fresh) => {
    (async () => {
      try {
        // The channels and tags (once) beside the first page, not before it.
        const [names, page] = await fresh(Promise.all([tags ? null
          : Promise.all([everyItem(api, ws.id, "channels"), everyItem(api, ws.id, "tags")]), load(null)]));
        if (names) {
          setChannels(new Map(names[0].map((c) => [c.id, c])));
          setTags(new Map(names[1].map((x) => [x.id, x])));
        }
        setItems(page.items);
        setCursor(page.next_cursor);
      } catch (e) {
        setError(t("error.load", { what: t("nav.inbox"), why: e.message }));
      }
    })();
  }, [ws.id, status, p.sentiment, p.tag, reloads]);
  const more = async () => {
    try {
      const page = await load(cursor);
      setItems([...items, ...page.items]);
      setCursor(page.next_cursor);
    } catch (e) {
      setError(t("error.load", { what: t("nav.inbox"), why: e.message }));
    }
  };
  const filtered = status !== "open" || p.sentiment || p.tag;
  return html`<h1>${t("nav.inbox")}</h1>
    <div class="filters">
      <label>${t("inbox.status")} <select id="f-status" value=${status}
        onChange=${(e) => setParams(route, { status: e.target.value })}>
        ${[...STATUSES, "hidden"].map((s) => html`<option value=${s}>${t("status." + s)}</option>`)}
        <option value="any">${t("filter.any")}</option>
      </select></label>
      <label>${t("inbox.sentiment")} <select id="f-sentiment" value=${p.sentiment || ""}
        onChange=${(e) => setParams(route, { sentiment: e.target.value })}>
        <option value="">${t("filter.any")}</option>
        ${SENTIMENTS.map((s) => html`<option value=${s}>${t("sentiment." + s)}</option>`)}
      </select></label>
      <label>${t("inbox.topic")} <select id="f-tag" value=${p.tag || ""}
        onChange=${(e) => setParams(route, { tag: e.target.value })}>
        <option value="">${t("filter.any")}</option>
        ${[...(tags?.values() ?? [])].map((x) => html`<option value=${x.id}>${x.name}</option>`)}
      </select></label>
      ${canModerate ? html`<label><input type="checkbox" id="f-bulk" checked=${bulk}
        onChange=${(e) => setParams(route, { bulk: e.target.checked ? "1" : "" })} /> ${t("inbox.bulkMode")}</label>` : null}
    </div>
    <p role="status" id="inbox-said" class="muted">${said}</p>
    ${bulk ? html`<${BulkBar} ws=${ws} filter=${filter} ticked=${ticked} setTicked=${setTicked}
      setError=${setError} onChanged=${() => setReloads(reloads + 1)} />` : null}
    <div class=${open ? "inbox-desk open" : "inbox-desk"}>
      <div>
        ${items === null ? html`<p aria-busy="true">${t("frame.loading")}</p>` : items.length ? html`
          <ol id="inbox" class="posts inbox">
            ${items.map((m) => html`<${Message} key=${m.id} m=${m} ws=${ws} channels=${channels} tags=${tags}
              canModerate=${canModerate} setError=${setError} route=${route} open=${m.id === open}
              compact=${!!open} onChange=${change}
              ticked=${ticked.has(m.id)} onTick=${bulk ? tick : null} />`)}
          </ol>` : html`<${Empty} title=${t("inbox.emptyTitle")}
            next=${t(filtered ? "inbox.emptyFiltered" : "inbox.emptyNext")} />`}
        ${cursor ? html`<button type="button" id="more-inbox" onClick=${more}>${t("frame.more")}</button>` : null}
      </div>
      ${open && tags ? html`<${Conversation} ws=${ws} id=${open} me=${me} channels=${channels}
        canModerate=${canModerate} setError=${setError} answerRef=${answerRef} onChange=${change} />` : null}
    </div>`;
}
