// conversation: one message of the inbox with what is around it, on one
// screen: the post it is under, its thread, the organisation's answers, the
// colleagues' private notes and the answer box, then the other replies and
// the author's earlier messages; and who else has it open (a heartbeat every 10 s; the server forgets one after 30 s),
// so that two people do not answer it twice.
import { html, useState, useEffect } from "/ui.js";
import { api } from "/api.js";
import { t, fmtTime, fmtPercent } from "/i18n.js";

const BEAT_MS = 10000;

function Line({ m, ws, channels, mark }) {
  const c = channels.get(m.channel_id);
  const who = m.is_own ? t("conv.us") : m.author_name || m.author_handle || t("inbox.someone");
  return html`<li data-id=${m.id} class=${[m.is_own ? "own" : "", mark ? "this" : ""].join(" ").trim()}>
    <div class="meta">${fmtTime(m.created_at, ws.timezone)} · ${c ? c.name : t("inbox.channel", { id: m.channel_id })} · ${who}</div>
    <p>${m.body}</p>
  </li>`;
}

// "Anna is also looking at this", "Bo is writing an answer".
function Presence({ others }) {
  return html`<p role="status" class="presence" id="conv-presence">${others.map((o) =>
    html`<span data-user=${o.user_id}>${t(o.state === "typing" ? "conv.typing" : "conv.viewing", { name: o.name })} </span>`)}</p>`;
}

function Notes({ ws, id, me, notes, setNotes, canModerate, setError }) {
  const [text, setText] = useState("");
  const [said, setSaid] = useState("");
  const add = async (e) => {
    e.preventDefault();
    if (!text.trim()) return;
    try {
      const n = await api("POST", `/workspaces/${ws.id}/messages/${id}/notes`, { body: text });
      setNotes([...notes, n]);
      setText("");
      setSaid([t("conv.noteAdded", { n: n.notified.length }),
        ...n.unmatched.map((u) => t(u.ambiguous ? "conv.ambiguous" : "conv.unmatched", { name: u.mention }))].join(" "));
      setError("");
    } catch (err) {
      setError(t("conv.noteFailed", { why: err.message }));
    }
  };
  const remove = async (n) => {
    try {
      await api("DELETE", `/workspaces/${ws.id}/messages/${id}/notes/${n.id}`);
      setNotes(notes.filter((x) => x.id !== n.id));
    } catch (err) {
      setError(t("conv.noteFailed", { why: err.message }));
    }
  };
  return html`<h3 id="conv-notes-title">${t("conv.notes")}</h3>
    ${notes.length ? html`<ul id="notes" class="notes" aria-labelledby="conv-notes-title">
      ${notes.map((n) => html`<li data-id=${n.id}>
        <div class="meta">${n.author} · ${fmtTime(n.created_at, ws.timezone)}</div>
        <p>${n.body}</p>
        ${n.user_id === me.user.id ? html`<button type="button" class="delete-note"
          onClick=${() => remove(n)}>${t("conv.deleteNote")}</button>` : null}
      </li>`)}
    </ul>` : html`<p class="muted">${t("conv.noNotes")}</p>`}
    ${canModerate ? html`<form class="note" onSubmit=${add}>
      <label for="note-text">${t("conv.note")}</label>
      <textarea id="note-text" rows="2" aria-describedby="note-hint" value=${text}
        onInput=${(e) => setText(e.target.value)}></textarea>
      <p id="note-hint" class="muted">${t("conv.noteHint")}</p>
      <button type="submit">${t("conv.addNote")}</button>
      <span role="status" class="said">${said}</span>
    </form>` : null}`;
}

// The tags the workspace's tag learner suggests (learned from the
// moderators' tag corrections; the rules did not set them). It never sets
// one: "Add" and "Not this one" are the moderator's corrections, and teach it.
function SuggestedTags({ ws, m, canModerate, setError, onChanged }) {
  const [busy, setBusy] = useState(false);
  const [said, setSaid] = useState("");
  const tags = m.suggested_tags ?? [];
  if (!tags.length) return null;
  const correct = async (g, add) => {
    setBusy(true);
    try {
      const out = await api("PATCH", `/workspaces/${ws.id}/messages/${m.id}`,
        add ? { add_tag_ids: [g.tag_id] } : { remove_tag_ids: [g.tag_id] });
      setSaid(t(add ? "conv.tagAccepted" : "conv.tagDeclined", { tag: g.name }));
      setError("");
      onChanged(out);
    } catch (e) {
      setError(t("conv.tagFailed", { why: e.message }));
    } finally {
      setBusy(false);
    }
  };
  return html`<div class="suggested-tags">
    <h3 id="conv-suggest-title">${t("conv.suggestedTags")}</h3>
    <p class="muted" id="conv-suggest-hint">${t("conv.suggestHint")}</p>
    <ul id="suggested-tags" aria-labelledby="conv-suggest-title" aria-describedby="conv-suggest-hint">
      ${tags.map((g) => html`<li key=${g.tag_id} data-tag=${g.tag_id}>
        <span class="tag">${g.name}</span>
        <span class="muted">${t("conv.tagLikely", { p: fmtPercent(g.p, 0) })}</span>
        ${canModerate ? html`<button type="button" class="accept-tag" disabled=${busy}
          aria-label=${t("conv.acceptTagLabel", { tag: g.name })}
          onClick=${() => correct(g, true)}>${t("conv.acceptTag")}</button>
        <button type="button" class="decline-tag" disabled=${busy}
          aria-label=${t("conv.declineTagLabel", { tag: g.name })}
          onClick=${() => correct(g, false)}>${t("conv.declineTag")}</button>` : null}
      </li>`)}
    </ul>
    <span role="status" class="said">${said}</span>
  </div>`;
}

// The answer box, with the workspace's saved replies to insert, and a
// warning before sending while a colleague is writing one too.
function Answer({ ws, m, others, answer, setAnswer, answerRef, setError, onSent }) {
  const [replies, setReplies] = useState([]);
  const [pick, setPick] = useState("");
  const [warn, setWarn] = useState(false);
  const [said, setSaid] = useState("");
  useEffect(() => {
    (async () => {
      try {
        const out = await api("GET", `/workspaces/${ws.id}/saved-replies?limit=200`);
        setReplies(out.items);
        if (out.items.length) setPick(String(out.items[0].id));
      } catch (e) {
        setError(t("error.load", { what: t("conv.savedReply"), why: e.message }));
      }
    })();
  }, [ws.id]);
  const insert = async () => {
    try {
      const out = await api("POST", `/workspaces/${ws.id}/saved-replies/${pick}/render`, { message_id: m.id });
      setAnswer(answer ? `${answer}\n${out.text}` : out.text);
      answerRef.current?.focus();
    } catch (e) {
      setError(t("conv.insertFailed", { why: e.message }));
    }
  };
  const writing = others.filter((o) => o.state === "typing");
  const send = async (anyway) => {
    if (!answer.trim()) return;
    if (writing.length && !anyway) {
      setWarn(true);
      return;
    }
    setWarn(false);
    try {
      await api("POST", `/workspaces/${ws.id}/messages/${m.id}/reply`, { text: answer });
      setAnswer("");
      setSaid(t("inbox.replyQueued"));
      setError("");
      onSent();
    } catch (e) {
      setError(t("inbox.actFailed", { why: e.message }));
    }
  };
  return html`<form class="answer conv-answer" onSubmit=${(e) => { e.preventDefault(); send(false); }}>
    <h3>${t("inbox.answer")}</h3>
    ${replies.length ? html`<div class="saved">
      <label>${t("conv.savedReply")} <select id="saved-reply" value=${pick} onChange=${(e) => setPick(e.target.value)}>
        ${replies.map((r) => html`<option value=${r.id}>${r.name} (${r.lang})</option>`)}
      </select></label>
      <button type="button" id="insert-reply" onClick=${insert}>${t("conv.insert")}</button>
    </div>` : null}
    <label for="conv-answer-text" class="visually-hidden">${t("inbox.answer")}</label>
    <textarea id="conv-answer-text" rows="3" ref=${answerRef} value=${answer}
      onInput=${(e) => setAnswer(e.target.value)}></textarea>
    ${warn ? html`<div role="alert" class="warn" id="double-answer">
      <p>${t("conv.othersWriting", { names: writing.map((o) => o.name).join(", ") })}</p>
      <button type="button" id="send-anyway" onClick=${() => send(true)}>${t("conv.sendAnyway")}</button>
    </div>` : null}
    <button type="submit" class="primary send">${t("inbox.send")}</button>
    <span role="status" class="sent">${said}</span>
  </form>`;
}

export function Conversation({ ws, id, me, channels, canModerate, setError, answerRef, onChange }) {
  const [c, setC] = useState(null);
  const [notes, setNotes] = useState([]);
  const [others, setOthers] = useState([]);
  const [answer, setAnswer] = useState("");
  const base = `/workspaces/${ws.id}/messages/${id}`;
  const load = async () => {
    try {
      const out = await api("GET", `${base}/conversation`);
      setC(out);
      setNotes(out.notes);
      setOthers(out.presence);
    } catch (e) {
      setError(t("error.load", { what: t("conv.title"), why: e.message }));
    }
  };
  useEffect(() => {
    setC(null);
    setAnswer("");
    load();
  }, [id]);
  // Here, and writing or not: told now and every 10 s; gone when closed.
  const state = answer.trim() ? "typing" : "viewing";
  useEffect(() => {
    let live = true;
    const beat = async () => {
      try {
        const out = await api("POST", `${base}/presence`, { state });
        if (live) setOthers(out.others);
      } catch (e) {
        // A missed heartbeat is made up by the next one.
      }
    };
    beat();
    const timer = setInterval(beat, BEAT_MS);
    return () => { live = false; clearInterval(timer); };
  }, [id, state]);
  useEffect(() => () => { api("DELETE", `${base}/presence`).catch(() => {}); }, [id]);

  if (!c) return html`<section id="conversation" class="conversation" aria-busy="true"
    aria-label=${t("conv.title")}><p>${t("frame.loading")}</p></section>`;
  const m = c.message;
  const who = m.author_name || m.author_handle || t("inbox.someone");
  const line = (x, mark) => html`<${Line} key=${x.id} m=${x} ws=${ws} channels=${channels} mark=${mark} />`;
  return html`<section id="conversation" class="conversation" aria-labelledby="conv-title" data-id=${m.id}>
    <h2 id="conv-title">${t("conv.title")}</h2>
    <${Presence} others=${others} />
    ${c.post ? html`<div class="conv-post"><h3>${t("conv.post")}</h3>
      <blockquote id="conv-post">${c.post.title ? html`<strong>${c.post.title}</strong> ` : null}${c.post.body}</blockquote></div>` : null}
    <h3>${t("conv.thread")}</h3>
    ${c.reply_to ? html`<p class="muted">${t("conv.waitingParent")}</p>` : null}
    <ol id="thread" class="thread">
      ${c.ancestors.map((x) => line(x, false))}
      ${line(m, true)}
      ${c.children.length ? html`<li class="children"><ol>${c.children.map((x) => line(x, false))}</ol></li>` : null}
    </ol>
    <${SuggestedTags} ws=${ws} m=${m} canModerate=${canModerate} setError=${setError}
      onChanged=${(out) => { onChange?.(out); load(); }} />
    ${c.pending_answers.length ? html`<ul class="pending">${c.pending_answers.map((a) => html`<li>
      ${t("conv.pending", { state: a.state })}: ${a.text}${a.error ? ` (${a.error})` : ""}</li>`)}</ul>` : null}
    <${Notes} ws=${ws} id=${m.id} me=${me} notes=${notes} setNotes=${setNotes} canModerate=${canModerate}
      setError=${setError} />
    ${canModerate && m.platform_id && !m.is_own ? html`<${Answer} ws=${ws} m=${m} others=${others}
      answer=${answer} setAnswer=${setAnswer} answerRef=${answerRef} setError=${setError} onSent=${load} />` : null}
    ${c.siblings.length ? html`<details class="siblings"><summary>${t("conv.siblings", { n: c.siblings.length })}</summary>
      <ol class="thread">${c.siblings.map((x) => line(x, false))}</ol></details>` : null}
    <h3>${t("conv.earlier", { who })}</h3>
    ${c.author_history.items.length ? html`<ol id="author-history" class="thread">
      ${c.author_history.items.map((x) => line(x, false))}</ol>` : html`<p class="muted">${t("conv.noEarlier")}</p>`}
  </section>`;
}
