// page-review: posts waiting for the desk's approval. An editor approves
// or rejects with a reason; whether their approval counts (their own post,
// the workspace's rules) is the server's to say, and its answer is shown.
import { html, useState, useEffect, everyItem, Empty, useReady } from "/ui.js";
import { api } from "/api.js";
import { t, fmtTime } from "/i18n.js";
import { href } from "/router.js";

function Item({ post, ws, channels, onDone }) {
  const [reason, setReason] = useState("");
  const [error, setError] = useState("");
  const decide = async (verb) => {
    setError("");
    try {
      const body = verb === "reject" ? { comment: reason } : reason ? { comment: reason } : {};
      const out = await api("POST", `/workspaces/${ws.id}/posts/${post.id}/${verb}`, body);
      onDone(post.id, verb, out);
    } catch (e) {
      setError(t(verb === "approve" ? "review.approveFailed" : "review.rejectFailed", { why: e.message }));
    }
  };
  const where = post.variants.map((v) => {
    const c = channels.get(v.channel_id);
    return c ? `${c.name} (${c.platform})` : t("inbox.channel", { id: v.channel_id });
  });
  const first = post.variants.find((v) => v.scheduled_at);
  return html`<li data-id=${post.id}>
    <div class="meta">${where.join(", ")}${first ? ` · ${fmtTime(first.scheduled_at, ws.timezone)}` : ""}</div>
    <p><a href=${href(ws.id, "posts", {}, post.id)}>${post.title || t("review.untitled")}</a></p>
    <p>${post.body}</p>
    <label class="stack">${t("review.reason")}
      <textarea rows="2" value=${reason} onInput=${(e) => setReason(e.target.value)}></textarea></label>
    <div class="actions">
      <button type="button" class="primary approve" onClick=${() => decide("approve")}>${t("review.approve")}</button>
      <button type="button" class="reject" onClick=${() => decide("reject")}>${t("review.reject")}</button>
    </div>
    <p class="problem" role="alert">${error}</p>
  </li>`;
}

export function Review({ ws, setError }) {
  const [posts, setPosts] = useState(null);
  const [channels, setChannels] = useState(new Map());
  const [done, setDone] = useState("");
  useReady("review", posts);
  useEffect(() => {
    (async () => {
      try {
        const [cs, page] = await Promise.all([everyItem(api, ws.id, "channels"),
          api("GET", `/workspaces/${ws.id}/posts?status=in_review&limit=100`)]);
        setChannels(new Map(cs.map((c) => [c.id, c])));
        setPosts(page.items);
      } catch (e) {
        setError(t("error.load", { what: t("nav.review"), why: e.message }));
      }
    })();
  }, [ws.id]);
  const onDone = (id, verb, out) => {
    // Approved by enough people, or sent back: it leaves the queue. An
    // approval that still waits for others stays, saying so.
    if (out.status !== "in_review") setPosts(posts.filter((p) => p.id !== id));
    setDone(t(verb === "approve" ? (out.status === "in_review" ? "review.approvedWaiting" : "review.approved")
      : "review.rejected"));
  };
  return html`<h1>${t("nav.review")}</h1>
    <p role="status" class="done">${done}</p>
    ${posts === null ? html`<p aria-busy="true">${t("frame.loading")}</p>` : posts.length ? html`
      <ol id="review" class="posts">${posts.map((p) => html`<${Item} key=${p.id} post=${p} ws=${ws}
        channels=${channels} onDone=${onDone} />`)}</ol>`
      : html`<${Empty} title=${t("review.emptyTitle")} next=${t("review.emptyNext")} />`}`;
}
