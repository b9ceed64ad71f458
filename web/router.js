// router: every view's state lives in the URL's hash, #/WS/VIEW?k=v (and
// #/WS/posts/ID), so a view can be bookmarked, shared and reloaded.
export const VIEWS = ["dashboard", "channels", "inbox", "calendar", "review", "listening", "analytics", "links", "admin"];

export function parse(hash = location.hash) {
  const [path, query = ""] = hash.replace(/^#\/?/, "").split("?");
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  return {
    ws: parts[0] ? Number(parts[0]) || null : null,
    view: parts[1] || "dashboard",
    id: parts[2] ? Number(parts[2]) : null,
    params: Object.fromEntries(new URLSearchParams(query)),
  };
}

export function href(ws, view, params = {}, id = null) {
  const q = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== "" && v != null));
  const qs = q.toString();
  return `#/${ws}/${view}${id ? `/${id}` : ""}${qs ? `?${qs}` : ""}`;
}

export function go(ws, view, params, id) {
  location.hash = href(ws, view, params, id);
}

// A filter change: the same view with new parameters, without a new
// history entry for every keystroke.
export function setParams(route, params) {
  const next = href(route.ws, route.view, { ...route.params, ...params }, route.id);
  history.replaceState(null, "", next);
  window.dispatchEvent(new HashChangeEvent("hashchange"));
}
