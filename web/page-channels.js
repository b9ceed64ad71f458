// page-channels: the workspace's channels with their connection: connected,
// or needing reconnection with the platform's own message, and when they
// last synced. Connect starts the server's OAuth flow after showing what
// kanal will ask the platform for.
import { html, useState, useEffect, useRef, everyItem, Empty, useReady } from "/ui.js";
import { api } from "/api.js";
import { t, fmtTime, fmtNumber } from "/i18n.js";

function ConnectDialog({ ws, channel, connector, onClose }) {
  const ref = useRef(null);
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const [identifier, setIdentifier] = useState(channel.handle || "");
  const [password, setPassword] = useState("");
  useEffect(() => { ref.current.showModal(); }, []);
  const scopes = (connector.scopes || "").split(",").map((s) => s.trim()).filter(Boolean);
  const start = async () => {
    setBusy(true);
    setError("");
    try {
      if (connector.credentials) {
        // No consent screen (Bluesky): the account's own app password, sent once.
        const out = await api("POST", "/connect", { platform: channel.platform,
          workspace_id: ws.id, channel_id: channel.id, identifier, password });
        const ids = out.channels.map((c) => c.channel_id).join(",");
        location.assign(`/?workspace=${encodeURIComponent(ws.id)}&connected=${encodeURIComponent(ids)}`);
        return;
      }
      const out = await api("POST", "/connect", { platform: channel.platform, workspace_id: ws.id,
        channel_id: channel.id });
      location.assign(out.authorize_url);
    } catch (e) {
      setError(t("channels.connectFailed", { why: e.message }));
      setBusy(false);
    }
  };
  return html`<dialog ref=${ref} id="connect" aria-labelledby="connect-title" onClose=${onClose}>
    <h2 id="connect-title">${t("channels.connectTitle", { name: channel.name, platform: connector.title })}</h2>
    <p>${t(connector.credentials ? "channels.credentialsIntro" : "channels.scopesIntro")}</p>
    <ul id="scopes">${scopes.map((s) => html`<li><code>${s}</code></li>`)}</ul>
    ${connector.configured ? null : html`<p class="muted">${t("channels.notConfigured", { why: connector.problem })}</p>`}
    ${connector.credentials ? html`<p><label for="connect-identifier">${t("channels.identifier")}</label>
      <input id="connect-identifier" autocomplete="username" value=${identifier}
        onInput=${(e) => setIdentifier(e.target.value)} /></p>
      <p><label for="connect-password">${t("channels.appPassword")}</label>
      <input id="connect-password" type="password" autocomplete="off" value=${password}
        onInput=${(e) => setPassword(e.target.value)} /></p>` : null}
    <p class="problem" role="alert">${error}</p>
    <div class="actions">
      <button type="button" class="primary" id="connect-continue" disabled=${busy} onClick=${start}>
        ${t(connector.credentials ? "channels.connectNow" : "channels.continue")}</button>
      <button type="button" onClick=${() => ref.current.close()}>${t("frame.cancel")}</button>
    </div>
  </dialog>`;
}

export function Channels({ ws, route, setError }) {
  const connected = (route.params.connected || "").split(",").map(Number).filter(Boolean);
  const [channels, setChannels] = useState(null);
  const [connectors, setConnectors] = useState(new Map());
  const [connecting, setConnecting] = useState(null);
  useReady("channels", channels);
  useEffect(() => {
    (async () => {
      try {
        const [list, conns] = await Promise.all([everyItem(api, ws.id, "channels"),
          api("GET", "/connectors")]);
        setConnectors(new Map(conns.items.map((c) => [c.platform, c])));
        setChannels(list);
      } catch (e) {
        setError(t("error.load", { what: t("nav.channels"), why: e.message }));
      }
    })();
  }, [ws.id]);
  if (!channels) return html`<h1>${t("nav.channels")}</h1><p aria-busy="true">${t("frame.loading")}</p>`;
  const own = channels;
  const names = connected.map((id) => channels.find((c) => c.id === id)).filter(Boolean)
    .map((c) => `${c.name} (${c.platform})`);
  return html`<h1>${t("nav.channels")}</h1>
    <p role="status" class="done" id="connected">${names.length ? t("channels.connected", { names: names.join(", ") }) : ""}</p>
    ${own.length ? html`<table id="channels">
      <thead><tr><th scope="col">${t("channels.name")}</th><th scope="col">${t("channels.platform")}</th>
        <th scope="col">${t("channels.handle")}</th><th scope="col">${t("channels.state")}</th>
        <th scope="col">${t("channels.lastSync")}</th><th scope="col"><span class="visually-hidden">${t("channels.actions")}</span></th></tr></thead>
      <tbody>${own.map((c) => {
        const conn = c.connection || { state: "not_connected" };
        const connector = connectors.get(c.platform);
        return html`<tr data-id=${c.id}>
          <td>${c.name}</td><td>${c.platform}</td><td>${c.handle}</td>
          <td><span class=${"state state-" + conn.state}>${t("state." + conn.state)}</span>
            ${conn.problem ? html`<span class="state-problem">${conn.problem}</span>` : null}
            ${conn.last_error && !conn.problem ? html`<span class="last-error">${t("channels.lastError", {
              when: fmtTime(conn.last_error_at, ws.timezone), error: conn.last_error })}</span>` : null}
            ${conn.jobs && (conn.jobs.queued || conn.jobs.running || conn.jobs.failed) ? html`<span class="jobs">${t("channels.jobs", {
              queued: fmtNumber(conn.jobs.queued), running: fmtNumber(conn.jobs.running), failed: fmtNumber(conn.jobs.failed) })}</span>` : null}</td>
          <td>${conn.synced_at ? fmtTime(conn.synced_at, ws.timezone) : t("channels.never")}</td>
          <td>${c.is_peer ? html`<span class="muted">${t("channels.peer")}</span>` : connector ? html`<button type="button" class="connect"
              aria-label=${t(conn.state !== "not_connected" ? "channels.reconnectLabel" : "channels.connectLabel", { name: c.name, platform: c.platform })}
              onClick=${() => setConnecting({ channel: c, connector })}>
              ${t(conn.state === "not_connected" ? "channels.connect" : "channels.reconnect")}</button>`
            : html`<span class="muted">${t("channels.filesOnly")}</span>`}</td>
        </tr>`;
      })}</tbody>
    </table>` : html`<${Empty} title=${t("channels.emptyTitle")} next=${t("channels.emptyNext", { ws: ws.id })} />`}
    ${connecting ? html`<${ConnectDialog} ws=${ws} channel=${connecting.channel}
      connector=${connecting.connector} onClose=${() => setConnecting(null)} />` : null}`;
}
