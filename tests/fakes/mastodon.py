"""A Mastodon server as its API documentation (docs.joinmastodon.org) describes
it, for kanal's Mastodon connector: app registration per server, the OAuth
consent screen and token endpoint, the account's statuses and its mention
notifications with since_id/max_id/min_id and Link-header paging, a status's
context, posting (500 characters, Idempotency-Key honoured for an hour,
media_ids from POST /api/v2/media), deleting and favouriting, the documented
error bodies ({"error": "..."}), and the X-RateLimit-* headers with 429.

It is stateful: a status it is sent appears in the account's list. Without
../shared/data (which holds no Mastodon payloads today) it serves its own
small built-in account: three statuses, a reply to one of them and a mention.

/_fake/state (JSON, all optional):
  {"seed_statuses": N, "seed_mentions": M}  add N statuses of the account and
                                            M mentions of it by others
  {"token": "T"}                            a token for the account (scope
                                            "read write") without OAuth
  {"revoke": "T"} / {"revoke_all": true}    the token(s) stop working (401)
  {"rate_limit": 300, "rate_remaining": 0}  the window's size and what is left
  {"followers": 1234}                       the account's follower count
  {"public": [{"by": "anna", "text": "..."}]} statuses posted now by others (public;
                                            their #hashtags make them appear on
                                            /api/v1/timelines/tag/:hashtag)
  {"own_texts": true}                       also answer the texts the account posted
  Every answer: the account's id and acct, the counts of statuses,
  notifications, tokens and apps, and the last code the consent screen gave
  (for tests whose HTTP client does not keep the redirect's Location).
"""
import email.parser
import email.policy
import html
import os
import re
import secrets
import sys
import threading
import time
import urllib.parse
from datetime import datetime, timezone

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fakebase import Fake, Reply, main  # noqa: E402

INVALID_TOKEN = {"error": "The access token is invalid"}
NOT_FOUND = {"error": "Record not found"}
NOT_ALLOWED = {"error": "This action is not allowed"}
OUT_OF_SCOPE = {"error": "This action is outside the authorized scopes"}
INVALID_GRANT = {
    "error": "invalid_grant",
    "error_description": "The provided authorization grant is invalid, expired, revoked, does not "
    "match the redirection URI used in the authorization request, or was issued to another client.",
}
INVALID_CLIENT = {
    "error": "invalid_client",
    "error_description": "Client authentication failed due to unknown client, no client "
    "authentication included, or unsupported authentication method.",
}
MAX_CHARS = 500
URL_CHARS = 23  # every URL counts as 23 characters, whatever its length
IDEMPOTENCY_SECONDS = 3600
WINDOW_SECONDS = 300  # 300 requests per 5 minutes per account


def iso(t):
    return datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")


URL_RE = re.compile(r"https?://[^\s<>\"]+")


def text_length(text):
    return len(URL_RE.sub("x" * URL_CHARS, text))


def render(text):
    """Plain text as Mastodon's HTML: paragraphs, <br /> for line breaks,
    links as <a> with the invisible scheme span."""
    def one_para(p):
        out, pos = [], 0
        for m in URL_RE.finditer(p):
            out.append(html.escape(p[pos:m.start()], quote=False).replace("\n", "<br />"))
            url = m.group(0)
            scheme, rest = url.split("://", 1)
            out.append('<a href="%s" rel="nofollow noopener" target="_blank">'
                       '<span class="invisible">%s://</span><span class="">%s</span>'
                       '<span class="invisible"></span></a>'
                       % (html.escape(url), scheme, html.escape(rest)))
            pos = m.end()
        out.append(html.escape(p[pos:], quote=False).replace("\n", "<br />"))
        return "<p>%s</p>" % "".join(out)
    return "".join(one_para(p) for p in re.split(r"\n\s*\n", text.strip()) if p)


class Mastodon(Fake):
    """A fake Mastodon server (see the module's text)."""

    name = "mastodon"

    def __init__(self, data_dir):
        super().__init__(data_dir)
        self.host = "fake.social"
        self.next_id = 113000000000000000
        self.apps = {}       # client_id -> app
        self.codes = {}      # code -> {client_id, redirect_uri, scopes}
        self.tokens = {}     # token -> {client_id, scopes, account}
        self.accounts = {}
        self.statuses = {}   # id (int) -> status (dict, as served, with private _fields)
        self.notifications = {}
        self.by_account = {}  # account id -> its statuses (lists stay short per account)
        self.notes_for = {}   # account id -> the notifications it receives
        self.media = {}
        self.idempotency = {}  # (account, key) -> (time, status id)
        self.rate_limit = 300
        self.rate = {}  # account -> [window start, used]
        self.forced_remaining = None
        self.last_code = None
        self.timeline_log = []  # (tag or "public", since_id) of each timeline asked for
        self.me = self.account("kanal", "Kanal", followers=1520)
        self.others = [self.account("anna", "Anna A", remote="example.org"),
                       self.account("bertil", "Bertil B")]
        base = int(time.time()) - 7 * 86400
        s1 = self.add_status(self.me, "Välkommen till vår nya kanal!", base)
        self.add_status(self.me, "Read the report: https://example.com/report-2026", base + 3600)
        self.add_status(self.me, "Öppet hus på lördag.\n\nVälkomna!", base + 7200)
        r = self.add_status(self.others[0], "@kanal Tack, ser fram emot det!", base + 9000,
                            reply_to=s1)
        self.notify(r)
        m = self.add_status(self.others[1], "@kanal när öppnar ni?", base + 10000)
        self.notify(m)

        self.route("GET", "/api/v1/timelines/public", self.authed(self.timeline_public, None))
        self.route("GET", "/api/v1/timelines/tag/{tag}", self.authed(self.timeline_tag, None))
        self.route("POST", "/api/v1/apps", self.create_app)
        self.route("GET", "/oauth/authorize", self.authorize_page)
        self.route("POST", "/oauth/authorize", self.authorize_post)
        self.route("POST", "/oauth/token", self.token)
        self.route("POST", "/oauth/revoke", self.revoke)
        self.route("GET", "/api/v1/accounts/verify_credentials", self.authed(self.verify, "read"))
        self.route("GET", "/api/v1/accounts/{id}/statuses", self.authed(self.account_statuses, None))
        self.route("GET", "/api/v1/notifications", self.authed(self.list_notifications, "read"))
        self.route("GET", "/api/v1/statuses/{id}", self.authed(self.get_status, None))
        self.route("GET", "/api/v1/statuses/{id}/context", self.authed(self.context, None))
        self.route("POST", "/api/v1/statuses", self.authed(self.post_status, "write"))
        self.route("DELETE", "/api/v1/statuses/{id}", self.authed(self.delete_status, "write"))
        self.route("POST", "/api/v1/statuses/{id}/favourite", self.authed(self.favourite, "write"))
        self.route("POST", "/api/v2/media", self.authed(self.upload, "write"))
        self.route("POST", "/api/v1/media", self.authed(self.upload, "write"))

    # ---- entities --------------------------------------------------------------------

    def new_id(self):
        self.next_id += 1000 + secrets.randbelow(1000)
        return self.next_id

    def account(self, username, name, followers=10, remote=None):
        aid = str(self.new_id())
        a = {"id": aid, "username": username, "acct": username if not remote else
             "%s@%s" % (username, remote), "display_name": name, "locked": False, "bot": False,
             "created_at": iso(1600000000), "note": "", "url": "https://%s/@%s" % (
                 remote or self.host, username),
             "avatar": "https://%s/avatars/%s.png" % (self.host, username),
             "followers_count": followers, "following_count": 12, "statuses_count": 0,
             "last_status_at": None, "emojis": [], "fields": []}
        self.accounts[aid] = a
        return a

    def add_status(self, account, text, t=None, reply_to=None, media=None, visibility="public",
                   language="sv"):
        sid = self.new_id()
        t = int(t or time.time())
        s = {"id": str(sid), "created_at": iso(t),
             "in_reply_to_id": reply_to["id"] if reply_to else None,
             "in_reply_to_account_id": reply_to["account"]["id"] if reply_to else None,
             "sensitive": False, "spoiler_text": "", "visibility": visibility,
             "language": language, "uri": "https://%s/users/%s/statuses/%d" % (
                 self.host, account["username"], sid),
             "url": "https://%s/@%s/%d" % (self.host, account["username"], sid),
             "replies_count": 0, "reblogs_count": 0, "favourites_count": 0,
             "_tags": [t.lower() for t in re.findall(r"#(\w+)", text)],
             "favourited": False, "reblogged": False, "content": render(text), "reblog": None,
             "account": account, "media_attachments": media or [], "mentions": [], "tags": [],
             "emojis": [], "card": None, "poll": None, "_text": text}
        if reply_to:
            reply_to["replies_count"] += 1
        self.statuses[sid] = s
        self.by_account.setdefault(account["id"], []).append(s)
        account["statuses_count"] += 1
        account["last_status_at"] = iso(t)[:10]
        return s

    def notify(self, status, to=None):
        """A mention notification for `to` (the server's own account when
        not given)."""
        nid = self.new_id()
        to = to or self.me
        n = {"id": str(nid), "type": "mention", "created_at": status["created_at"],
             "account": status["account"], "status": status, "_to": to["id"]}
        self.notifications[nid] = n
        self.notes_for.setdefault(to["id"], []).append(n)

    @staticmethod
    def public(s, grant=None):
        """The entity as served: private fields out; a status's favourited
        as the caller sees it."""
        out = {k: v for k, v in s.items() if not k.startswith("_")}
        if "favourited" in out:
            me = grant["account"]["id"] if grant and grant["account"] else None
            out["favourited"] = me in s.get("_favourited_by", ())
        return out

    # ---- auth and rate limits --------------------------------------------------------

    def authed(self, fn, scope):
        """fn behind the bearer token (optional when scope is None: public
        reads), counted against the account's window, with its headers."""
        def run(req, **kw):
            with self.lock:
                tok = req.bearer()
                grant = self.tokens.get(tok) if tok else None
                if tok and not grant or (scope and not grant):
                    return Reply(401, INVALID_TOKEN)
                if scope and scope not in grant["scopes"].split() and \
                        not any(s.startswith(scope + ":") for s in grant["scopes"].split()):
                    return Reply(403, OUT_OF_SCOPE)
                headers = {}
                if grant:
                    now = time.time()
                    w = self.rate.setdefault(grant["account"]["id"], [now, 0])
                    if now - w[0] >= WINDOW_SECONDS:
                        w[0], w[1] = now, 0
                    if self.forced_remaining is not None:
                        w[1] = self.rate_limit - self.forced_remaining
                        self.forced_remaining = None
                    remaining = self.rate_limit - w[1]
                    headers = {"X-RateLimit-Limit": self.rate_limit,
                               "X-RateLimit-Reset": iso(w[0] + WINDOW_SECONDS)}
                    if remaining <= 0:
                        headers["X-RateLimit-Remaining"] = 0
                        return Reply(429, {"error": "Too many requests"}, headers)
                    w[1] += 1
                    headers["X-RateLimit-Remaining"] = remaining - 1
                reply = fn(req, grant, **kw)
                reply.headers.update(headers)
                return reply
        return run

    # ---- apps and OAuth --------------------------------------------------------------

    def create_app(self, req):
        name = req.arg("client_name") or (req.json or {}).get("client_name")
        uris = req.arg("redirect_uris") or (req.json or {}).get("redirect_uris")
        scopes = req.arg("scopes") or (req.json or {}).get("scopes") or "read"
        if not name:
            return Reply(422, {"error": "Validation failed: Application name can't be blank"})
        if not uris:
            return Reply(422, {"error": "Validation failed: Redirect URI can't be blank"})
        uri_list = uris if isinstance(uris, list) else uris.split()
        for u in uri_list:
            p = urllib.parse.urlsplit(u)
            if u != "urn:ietf:wg:oauth:2.0:oob" and (not p.scheme or not p.netloc or p.fragment):
                return Reply(422, {"error": "Validation failed: Redirect URI must be an "
                                   "absolute URI."})
        with self.lock:
            app = {"id": str(self.new_id()), "name": name,
                   "website": req.arg("website") or (req.json or {}).get("website"),
                   "scopes": scopes.split(), "redirect_uri": "\n".join(uri_list),
                   "redirect_uris": uri_list, "client_id": secrets.token_urlsafe(32),
                   "client_secret": secrets.token_urlsafe(32),
                   "vapid_key": "BCk-QqERU0q-CfYZjcuB6lnyyOYfJ2AifKqfeGIm7Z-HiTU5T9eTG5GxVA0_OH5mMlI4UkkDTpaZwozy0TzdZ2M="}
            self.apps[app["client_id"]] = app
        return Reply(200, app)

    def check_authorize(self, req):
        """The app and what it asks for, or an error page."""
        if req.arg("response_type", "code") != "code":
            return None, "The authorization server does not support this response type."
        app = self.apps.get(req.arg("client_id") or "")
        if not app:
            return None, ("Client authentication failed due to unknown client, no client "
                          "authentication included, or unsupported authentication method.")
        if req.arg("redirect_uri") not in app["redirect_uris"]:
            return None, "The redirect uri included is not valid."
        scopes = (req.arg("scope") or "read").split()
        if any(s not in app["scopes"] for s in scopes):
            return None, "The requested scope is invalid, unknown, or malformed."
        return app, None

    @staticmethod
    def page_html(title, body, status=200):
        return Reply(status, raw="<!DOCTYPE html><html><head><meta charset='utf-8'><title>%s"
                     "</title></head><body>%s</body></html>" % (html.escape(title), body),
                     content_type="text/html; charset=utf-8")

    def authorize_page(self, req):
        app, problem = self.check_authorize(req)
        if problem:
            return self.page_html("An error has occurred", "<h1>An error has occurred</h1>"
                                  "<p class='error'>%s</p>" % html.escape(problem), 400)
        hidden = "".join("<input type='hidden' name='%s' value='%s'>" % (
            k, html.escape(req.arg(k) or "", quote=True))
            for k in ("client_id", "redirect_uri", "scope", "state", "response_type"))
        scopes = "".join("<li>%s</li>" % html.escape(s) for s in (req.arg("scope") or "read").split())
        return self.page_html(
            "Authorization required",
            "<h1>Authorization required</h1><p><strong>%s</strong> would like permission to access "
            "your account @%s. It is a third-party application.</p><ul class='scopes'>%s</ul>"
            "<form method='post' action='/oauth/authorize'>%s<button type='submit'>Authorize"
            "</button></form><form method='post' action='/oauth/authorize'>%s"
            "<input type='hidden' name='deny' value='1'><button type='submit'>Deny</button></form>"
            % (html.escape(app["name"]), self.me["acct"], scopes, hidden, hidden))

    def authorize_post(self, req):
        app, problem = self.check_authorize(req)
        if problem:
            return self.page_html("An error has occurred", "<p class='error'>%s</p>"
                                  % html.escape(problem), 400)
        redirect = req.arg("redirect_uri")
        q = {}
        if req.arg("deny"):
            q = {"error": "access_denied", "error_description": "The resource owner or "
                 "authorization server denied the request."}
        else:
            code = secrets.token_urlsafe(32)
            with self.lock:
                self.codes[code] = {"client_id": app["client_id"], "redirect_uri": redirect,
                                    "scopes": req.arg("scope") or "read", "at": time.time()}
            q = {"code": code}
            self.last_code = code
        if req.arg("state") is not None:
            q["state"] = req.arg("state")
        if redirect == "urn:ietf:wg:oauth:2.0:oob":
            return self.page_html("Authorization code", "<code>%s</code>" % q.get("code", ""))
        sep = "&" if "?" in redirect else "?"
        return Reply(302, headers={"Location": redirect + sep + urllib.parse.urlencode(q)})

    def token(self, req):
        def arg(k):
            return req.arg(k) or (req.json or {}).get(k)
        grant_type = arg("grant_type")
        with self.lock:
            app = self.apps.get(arg("client_id") or "")
            if not app or app["client_secret"] != arg("client_secret"):
                return Reply(401, INVALID_CLIENT)
            if grant_type == "client_credentials":
                tok = secrets.token_urlsafe(32)
                self.tokens[tok] = {"client_id": app["client_id"], "scopes": "read",
                                    "account": None}
                return Reply(200, {"access_token": tok, "token_type": "Bearer", "scope": "read",
                                   "created_at": int(time.time())})
            if grant_type != "authorization_code":
                return Reply(400, {"error": "unsupported_grant_type", "error_description":
                                   "The authorization grant type is not supported by the "
                                   "authorization server."})
            code = self.codes.pop(arg("code") or "", None)  # one use only
            if not code or code["client_id"] != app["client_id"] or \
                    code["redirect_uri"] != arg("redirect_uri") or \
                    time.time() - code["at"] > 600:
                return Reply(400, INVALID_GRANT)
            tok = secrets.token_urlsafe(32)
            self.tokens[tok] = {"client_id": app["client_id"], "scopes": code["scopes"],
                                "account": self.me}
            return Reply(200, {"access_token": tok, "token_type": "Bearer",
                               "scope": code["scopes"], "created_at": int(time.time())})

    def revoke(self, req):
        with self.lock:
            app = self.apps.get(req.arg("client_id") or "")
            if not app or app["client_secret"] != req.arg("client_secret"):
                return Reply(403, {"error": "unauthorized_client", "error_description":
                                   "You are not authorized to revoke this token"})
            grant = self.tokens.get(req.arg("token") or "")
            if grant and grant["client_id"] == app["client_id"]:
                del self.tokens[req.arg("token")]
        return Reply(200, {})

    # ---- reading ----------------------------------------------------------------------

    def verify(self, req, grant):
        if not grant["account"]:
            return Reply(422, {"error": "This method requires an authenticated user"})
        a = dict(grant["account"])
        a["source"] = {"privacy": "public", "sensitive": False, "language": "sv", "note": "",
                       "fields": [], "follow_requests_count": 0}
        return Reply(200, a)

    @staticmethod
    def int_arg(req, name):
        v = req.arg(name)
        if v is None or v == "":
            return None
        try:
            return int(v)
        except ValueError:
            return -1

    def paged(self, req, items, default_limit, max_limit, keep=()):
        """One page of items (dicts with string "id", any order) as Mastodon
        pages: newest first; max_id, since_id, min_id; a Link header with
        next (max_id) and prev (min_id) that keeps limit and `keep`."""
        limit = self.int_arg(req, "limit") or default_limit
        limit = max(1, min(limit, max_limit))
        max_id, since_id, min_id = (self.int_arg(req, k) for k in ("max_id", "since_id", "min_id"))
        ids = sorted(int(i["id"]) for i in items)
        by_id = {int(i["id"]): i for i in items}
        if max_id is not None:
            ids = [i for i in ids if i < max_id]
        if since_id is not None:
            ids = [i for i in ids if i > since_id]
        if min_id is not None:  # the page just after min_id
            ids = [i for i in ids if i > min_id][:limit]
            chosen = list(reversed(ids))
        else:
            chosen = list(reversed(ids))[:limit]
        page = [by_id[i] for i in chosen]
        headers = {}
        if page:
            base = "http://%s%s" % (req.headers.get("Host"), req.path)
            q = [("limit", str(limit))]
            for k in keep:
                for v in req.query.get(k, []):
                    q.append((k, v))
            nxt = urllib.parse.urlencode(q + [("max_id", page[-1]["id"])])
            prev = urllib.parse.urlencode(q + [("min_id", page[0]["id"])])
            headers["Link"] = '<%s?%s>; rel="next", <%s?%s>; rel="prev"' % (base, nxt, base, prev)
        return page, headers

    def account_statuses(self, req, grant, id):
        if id not in self.accounts:
            return Reply(404, NOT_FOUND)
        if self.int_arg(req, "limit") == -1:
            return Reply(400, {"error": "limit is not a number"})
        mine = [s for s in self.by_account.get(id, ()) if not s.get("_deleted")]
        if req.arg("exclude_replies") in ("true", "1"):
            mine = [s for s in mine if not s["in_reply_to_id"]]
        page, headers = self.paged(req, mine, 20, 40, keep=("exclude_replies",))
        return Reply(200, [self.public(s, grant) for s in page], headers)

    # ---- public timelines (docs.joinmastodon.org/methods/timelines) ----------------------

    def visible(self, local=False):
        out = [x for x in self.statuses.values()
               if x["visibility"] == "public" and not x.get("_deleted")]
        if local:
            out = [x for x in out if "@" not in x["account"]["acct"]]
        return out

    def timeline_public(self, req, grant):
        if self.int_arg(req, "limit") == -1:
            return Reply(400, {"error": "limit is not a number"})
        items = self.visible(req.arg("local") in ("true", "1"))
        page, headers = self.paged(req, items, 20, 40, keep=("local",))
        self.timeline_log.append(("public", req.arg("since_id")))
        return Reply(200, [self.public(x, grant) for x in page], headers)

    def timeline_tag(self, req, grant, tag):
        if self.int_arg(req, "limit") == -1:
            return Reply(400, {"error": "limit is not a number"})
        items = [x for x in self.visible(req.arg("local") in ("true", "1"))
                 if tag.lower() in x["_tags"]]
        page, headers = self.paged(req, items, 20, 40, keep=("local",))
        self.timeline_log.append((tag, req.arg("since_id")))
        return Reply(200, [self.public(x, grant) for x in page], headers)

    def list_notifications(self, req, grant):
        types = req.query.get("types[]") or req.query.get("types") or []
        exclude = req.query.get("exclude_types[]") or []
        me = grant["account"]["id"] if grant["account"] else None
        items = [n for n in self.notes_for.get(me, ())
                 if n["status"] is None or not n["status"].get("_deleted")]
        items = [n for n in items if (not types or n["type"] in types) and n["type"] not in exclude]
        page, headers = self.paged(req, items, 40, 80, keep=("types[]", "exclude_types[]"))
        out = []
        for n in page:
            n = self.public(n)
            if n["status"] is not None:
                n["status"] = self.public(n["status"], grant)
            out.append(n)
        return Reply(200, out, headers)

    def find(self, id):
        try:
            s = self.statuses.get(int(id))
        except ValueError:
            return None
        return None if not s or s.get("_deleted") else s

    def get_status(self, req, grant, id):
        s = self.find(id)
        return Reply(200, self.public(s, grant)) if s else Reply(404, NOT_FOUND)

    def context(self, req, grant, id):
        s = self.find(id)
        if not s:
            return Reply(404, NOT_FOUND)
        ancestors, p = [], s
        while p["in_reply_to_id"]:
            p = self.find(p["in_reply_to_id"])
            if not p:
                break
            ancestors.insert(0, self.public(p))
        descendants, frontier = [], [s["id"]]
        live = sorted((x for x in self.statuses.values() if not x.get("_deleted")),
                      key=lambda x: int(x["id"]))
        while frontier:
            parent = frontier.pop(0)
            for x in live:
                if x["in_reply_to_id"] == parent:
                    descendants.append(self.public(x))
                    frontier.append(x["id"])
        return Reply(200, {"ancestors": ancestors, "descendants": descendants})

    # ---- writing ----------------------------------------------------------------------

    def post_status(self, req, grant):
        body = req.json if req.json is not None else {}

        def arg(k):
            return body.get(k) if k in body else req.arg(k)
        text = arg("status") or ""
        media_ids = body.get("media_ids") if "media_ids" in body else \
            req.form.get("media_ids[]") or req.form.get("media_ids") or []
        visibility = arg("visibility") or "public"
        me = grant["account"]
        key = req.headers.get("Idempotency-Key")
        now = time.time()
        if key:
            seen = self.idempotency.get((me["id"], key))
            if seen and now - seen[0] < IDEMPOTENCY_SECONDS:
                s = self.statuses.get(seen[1])
                if s:
                    return Reply(200, self.public(s))
        if not text.strip() and not media_ids:
            return Reply(422, {"error": "Validation failed: Text can't be blank"})
        if text_length(text) > MAX_CHARS:
            return Reply(422, {"error": "Validation failed: Text character limit of %d exceeded"
                               % MAX_CHARS})
        if visibility not in ("public", "unlisted", "private", "direct"):
            return Reply(422, {"error": "Validation failed: Visibility is not included in the "
                               "list"})
        if len(media_ids) > 4:
            return Reply(422, {"error": "Validation failed: Media attachments can't be more "
                               "than 4"})
        media = []
        for mid in media_ids:
            m = self.media.get(str(mid))
            if not m or m["_owner"] != me["id"] or m.get("_used"):
                return Reply(422, {"error": "Validation failed: Media attachments are invalid"})
            media.append(m)
        reply_to = None
        if arg("in_reply_to_id"):
            reply_to = self.find(arg("in_reply_to_id"))
            if not reply_to:
                return Reply(404, NOT_FOUND)
        for m in media:
            m["_used"] = True
        s = self.add_status(me, text, now, reply_to=reply_to, visibility=visibility,
                            language=arg("language") or "sv",
                            media=[self.public(m) for m in media])
        if key:
            self.idempotency[(me["id"], key)] = (now, int(s["id"]))
        if reply_to and reply_to["account"]["id"] != me["id"]:
            pass  # the other server would notify its author; nothing to do here
        return Reply(200, self.public(s))

    def delete_status(self, req, grant, id):
        s = self.find(id)
        if not s:
            return Reply(404, NOT_FOUND)
        if s["account"]["id"] != grant["account"]["id"]:
            return Reply(403, NOT_ALLOWED)
        s["_deleted"] = True
        s["account"]["statuses_count"] -= 1
        if s["in_reply_to_id"]:
            parent = self.find(s["in_reply_to_id"])
            if parent:
                parent["replies_count"] -= 1
        out = self.public(s)
        out["text"] = s["_text"]
        return Reply(200, out)

    def favourite(self, req, grant, id):
        s = self.find(id)
        if not s:
            return Reply(404, NOT_FOUND)
        fav = s.setdefault("_favourited_by", set())
        if grant["account"]["id"] not in fav:
            fav.add(grant["account"]["id"])
            s["favourites_count"] += 1
        return Reply(200, self.public(s, grant))

    def upload(self, req, grant):
        ctype = req.headers.get("Content-Type") or ""
        if not ctype.startswith("multipart/form-data"):
            return Reply(422, {"error": "Validation failed: File content type is invalid, File "
                               "is invalid"})
        msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + req.body)
        fields, file_part = {}, None
        for part in msg.iter_parts() if msg.is_multipart() else []:
            name = part.get_param("name", header="content-disposition")
            if name == "file":
                file_part = part
            elif name:
                fields[name] = part.get_content()
        if file_part is None:
            return Reply(422, {"error": "Validation failed: File can't be blank"})
        data = file_part.get_payload(decode=True) or b""
        ptype = file_part.get_content_type()
        kind = ptype.split("/")[0]
        if kind not in ("image", "video", "audio") or not data:
            return Reply(422, {"error": "Validation failed: File content type is invalid, File "
                               "is invalid"})
        if kind == "image" and len(data) > 16 * 1024 * 1024:
            return Reply(422, {"error": "Validation failed: File file size must be less than "
                               "16 MB"})
        desc = fields.get("description")
        if desc and len(desc) > 1500:
            return Reply(422, {"error": "Validation failed: Description is too long (maximum is "
                               "1500 characters)"})
        mid = str(self.new_id())
        m = {"id": mid, "type": kind, "url": "https://%s/media/%s" % (self.host, mid),
             "preview_url": "https://%s/media/%s/small" % (self.host, mid), "remote_url": None,
             "meta": {}, "description": desc, "blurhash": "UFBWY:8_0Jxv4mx]t8t64.%M-:IUWGWAt6M}",
             "_owner": grant["account"]["id"], "_bytes": len(data), "_type": ptype}
        self.media[mid] = m
        return Reply(200, self.public(m))

    # ---- controls ---------------------------------------------------------------------

    def state(self, req):
        s = req.json or {}
        with self.lock:
            base = int(time.time()) - 86400 * 30
            n = int(s.get("seed_statuses") or 0)
            for i in range(n):
                self.add_status(self.me, "Inlägg nummer %d från kanalen: https://example.com/p/%d"
                                % (i + 1, i + 1), base + i * 60)
            m = int(s.get("seed_mentions") or 0)
            own = [x for x in self.statuses.values() if x["account"] is self.me]
            for i in range(m):
                who = self.others[i % len(self.others)]
                parent = own[i % len(own)] if i % 2 == 0 and own else None
                st = self.add_status(who, "@kanal fråga nummer %d" % (i + 1),
                                     base + n * 60 + i * 30, reply_to=parent)
                self.notify(st)
            bench = self.seed_bench(s["bench"], base) if s.get("bench") else None
            if s.get("token"):
                self.tokens[s["token"]] = {"client_id": None, "scopes": s.get("scopes",
                                           "read write"), "account": self.me}
            if s.get("revoke"):
                self.tokens.pop(s["revoke"], None)
            if s.get("revoke_all"):
                self.tokens.clear()
            if "rate_limit" in s:
                self.rate_limit = int(s["rate_limit"])
            if "rate_remaining" in s:
                self.forced_remaining = int(s["rate_remaining"])
            for p in s.get("public") or ():
                who = next(a for a in self.accounts.values() if a["username"] == p["by"])
                self.add_status(who, p["text"], language=p.get("language", "sv"))
            if "followers" in s:
                self.me["followers_count"] = int(s["followers"])
            extra = {"timelines": list(self.timeline_log)}
            if s.get("own_texts"):  # what the account posted, oldest first, to count copies
                extra["own_texts"] = [x["_text"] for x in self.statuses.values()
                                      if x["account"] is self.me and not x.get("_deleted")]
            return Reply(200, {**extra, "account_id": self.me["id"], "acct": self.me["acct"],
                               "statuses": len([x for x in self.statuses.values()
                                                if not x.get("_deleted")]),
                               "own_statuses": self.me["statuses_count"],
                               "notifications": len(self.notifications),
                               "tokens": len(self.tokens), "apps": len(self.apps),
                               "last_code": self.last_code, "bench": bench})

    MENTION_TEXTS = ("när öppnar ni på lördag?", "tack för ett bra svar!",
                     "milloin hakemus käsitellään?", "kiitos nopeasta avusta",
                     "why is the form still broken? this is terrible",
                     "great news, thanks for sharing", "varför har jag inte fått beslut än?")

    def seed_bench(self, b, base):
        """{"accounts": K, "statuses": N, "mentions": M}: K more accounts of
        this server, each with a token "bench-<i>", N statuses and M
        mentions of it by others (every other one a reply to one of its
        statuses), for bench/sync. Returns each account's id, acct and token."""
        out = []
        k, n, m = (int(b.get(x) or 0) for x in ("accounts", "statuses", "mentions"))
        for i in range(k):
            a = self.account("org%d" % i, "Organisation %d" % i, followers=1000 + i)
            own = [self.add_status(a, "Inlägg %d av org%d: https://example.com/%d/%d"
                                   % (j + 1, i, i, j), base + j * 600) for j in range(n)]
            for j in range(m):
                who = self.others[j % len(self.others)]
                text = "@org%d %s (%d)" % (i, self.MENTION_TEXTS[j % len(self.MENTION_TEXTS)], j)
                st = self.add_status(who, text, base + n * 600 + j * 7,
                                     reply_to=own[j % n] if own and j % 2 == 0 else None)
                self.notify(st, to=a)
            tok = "bench-%d" % i
            self.tokens[tok] = {"client_id": None, "scopes": "read write", "account": a}
            out.append({"account_id": a["id"], "acct": a["acct"], "token": tok})
        return out


if __name__ == "__main__":
    main(Mastodon)
