// page-inbox: messages to the organisation, filtered by status, sentiment
// and topic (the filters live in the URL), to be worked: a moderator sets a
// message's status and corrects its sentiment, which teaches the
// workspace's learner.
import { html, useState, useEffect, everyItem, Empty } from "/ui.js";
import { api } from "/api.js";
import { t, fmtTime } from "/i18n.js";
import { href, setParams } from "/router.js";

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

function Message({ m: initial, ws, channels, tags, canModerate, setError }) {
  const [m, setM] = useState(initial);
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
      setM({ ...m, ...out });
      setError("");
    } catch (e) {
      target.value = m[field] ?? "";
      setError(t("inbox.saveFailed", { why: e.message }));
    }
  };
  return html`<li data-id=${m.id} class=${m.sentiment ? "sent-" + m.sentiment : ""}>
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
    </div>
    ${canModerate && m.platform_id && !m.is_own ? html`<form class="answer" onSubmit=${send}>
      <label for=${"answer-" + m.id}>${t("inbox.answer")}</label>
      <textarea id=${"answer-" + m.id} rows="2" value=${answer} onInput=${(e) => setAnswer(e.target.value)}></textarea>
      <button type="submit" class="primary send">${t("inbox.send")}</button>
      <button type="button" class="hide" onClick=${() => act("moderate", { action: "hide" }, t("inbox.hideQueued"))}>
        ${t("inbox.hide")}</button>
      <span role="status" class="sent">${sent}</span>
    </form>` : null}
  </li>`;
}

export function Inbox({ ws, me, route, setError }) {
  const p = route.params;
  const status = p.status ?? "open";
  const [channels, setChannels] = useState(new Map());
  const [tags, setTags] = useState(null);
  const [items, setItems] = useState(null);
  const [cursor, setCursor] = useState(null);
  const canModerate = ["admin", "editor", "moderator"].includes(me.user.role);

  const load = async (after) => {
    const q = new URLSearchParams({ limit: "20", own: "false" });
    if (status !== "any") q.set("status", status);
    if (p.sentiment) q.set("sentiment", p.sentiment);
    if (p.tag) q.set("tag", p.tag);
    if (after) q.set("cursor", after);
    return api("GET", `/workspaces/${ws.id}/messages?${q}`);
  };
  useEffect(() => {
    (async () => {
      try {
        if (!tags) {
          const [cs, ts] = await Promise.all([everyItem(api, ws.id, "channels"), everyItem(api, ws.id, "tags")]);
          setChannels(new Map(cs.map((c) => [c.id, c])));
          setTags(new Map(ts.map((x) => [x.id, x])));
        }
        const page = await load(null);
        setItems(page.items);
        setCursor(page.next_cursor);
      } catch (e) {
        setError(t("error.load", { what: t("nav.inbox"), why: e.message }));
      }
    })();
  }, [ws.id, status, p.sentiment, p.tag]);
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
    </div>
    ${items === null ? html`<p aria-busy="true">${t("frame.loading")}</p>` : items.length ? html`
      <ol id="inbox" class="posts inbox">
        ${items.map((m) => html`<${Message} key=${m.id} m=${m} ws=${ws} channels=${channels} tags=${tags}
          canModerate=${canModerate} setError=${setError} />`)}
      </ol>` : html`<${Empty} title=${t("inbox.emptyTitle")}
        next=${t(filtered ? "inbox.emptyFiltered" : "inbox.emptyNext")} />`}
    ${cursor ? html`<button type="button" id="more-inbox" onClick=${more}>${t("frame.more")}</button>` : null}`;
}
