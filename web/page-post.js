// page-post: one post, its variants per channel with their status and time,
// and its review (round, approvals needed, comments). An approved or
// scheduled variant can be given a new time here too: the keyboard's way to
// do what dragging does on the calendar.
import { html, useState, useEffect, everyItem } from "/ui.js";
import { api } from "/api.js";
import { t, fmtTime, toZoned, fromZoned, isoUtc } from "/i18n.js";

function Reschedule({ ws, post, variant, onDone }) {
  const [value, setValue] = useState(toZoned(Date.parse(variant.scheduled_at), ws.timezone).slice(0, 16));
  const [error, setError] = useState("");
  const submit = async (e) => {
    e.preventDefault();
    setError("");
    try {
      const at = isoUtc(fromZoned(Date.parse(value + ":00Z"), ws.timezone));
      await api("POST", `/workspaces/${ws.id}/posts/${post.id}/schedule`, { variant_id: variant.id, at });
      onDone();
    } catch (err) {
      setError(t("calendar.moveRefused", { why: err.message }));
    }
  };
  return html`<form class="reschedule" onSubmit=${submit}>
    <label>${t("post.newTime", { zone: ws.timezone })}
      <input type="datetime-local" required value=${value} onInput=${(e) => setValue(e.target.value)} /></label>
    <button type="submit">${t("post.reschedule")}</button>
    <p class="problem" role="alert">${error}</p>
  </form>`;
}
import { href } from "/router.js";

export function Post({ ws, route, setError }) {
  const [post, setPost] = useState(null);
  const [review, setReview] = useState(null);
  const [channels, setChannels] = useState(new Map());
  const [done, setDone] = useState("");
  const reload = async () => {
    setPost(await api("GET", `/workspaces/${ws.id}/posts/${route.id}`));
    setDone(t("post.rescheduled"));
  };
  useEffect(() => {
    (async () => {
      try {
        const cs = await everyItem(api, ws.id, "channels");
        setChannels(new Map(cs.map((c) => [c.id, c])));
        setPost(await api("GET", `/workspaces/${ws.id}/posts/${route.id}`));
        setReview(await api("GET", `/workspaces/${ws.id}/posts/${route.id}/review`).catch(() => null));
      } catch (e) {
        setError(t("error.load", { what: t("post.title", { id: route.id }), why: e.message }));
      }
    })();
  }, [ws.id, route.id]);
  if (!post) return html`<h1>${t("post.title", { id: route.id })}</h1>`;
  return html`<p><a href=${href(ws.id, "calendar")}>${t("post.back")}</a></p>
    <h1 id="post-title">${post.title || t("post.title", { id: post.id })}</h1>
    <p class="muted">${t("status." + post.status)}</p>
    <p role="status" class="done">${done}</p>
    <p id="post-body">${post.body}</p>
    <h2>${t("post.variants")}</h2>
    <table id="variants"><thead><tr><th scope="col">${t("channels.name")}</th><th scope="col">${t("inbox.status")}</th>
      <th scope="col">${t("post.when")}</th><th scope="col">${t("post.text")}</th></tr></thead>
      <tbody>${post.variants.map((v) => {
        const c = channels.get(v.channel_id);
        return html`<tr data-id=${v.id}><td>${c ? `${c.name} (${c.platform})` : v.channel_id}</td>
          <td>${t("status." + v.status)}</td>
          <td>${fmtTime(v.scheduled_at || v.published_at, ws.timezone)}
            ${["approved", "scheduled"].includes(v.status) && v.scheduled_at ? html`<${Reschedule} key=${v.scheduled_at}
              ws=${ws} post=${post} variant=${v} onDone=${() => reload().catch((e) => setError(e.message))} />` : null}</td>
          <td>${v.body || post.body}</td></tr>`;
      })}</tbody></table>
    ${review?.comments?.length ? html`<h2>${t("post.comments")}</h2><ul class="posts">
      ${review.comments.map((c) => html`<li><div class="meta">${fmtTime(c.created_at, ws.timezone)}</div><p>${c.body}</p></li>`)}
    </ul>` : null}`;
}
