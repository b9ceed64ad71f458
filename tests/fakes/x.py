"""A fake of X API v2 as X documents it (docs.x.com): OAuth 2.0 Authorization
Code with PKCE (the consent screen at /i/oauth2/authorize, codes and refresh
tokens at POST /2/oauth2/token), the signed-in user, their timeline and
mentions with X's paging (since_id, pagination_token, max_results 5..100,
fields and expansions only when asked for), posting (weighted 280-character
limit, duplicate content refused), deleting, hiding replies, likes and
media upload, X's problem bodies, and x-rate-limit-* headers on every
answer with a 15-minute window per endpoint and user.

Timelines and mentions are ../shared/data/x/api-v2_timeline_timeline_*.json
when that data is there (X's own samples; the fake adds author_id and the
authors' users as X does when they are asked for), else a few built-in
tweets. The user is ../shared/data/x/api-v2_user_user_resp.json's, else a
built-in one.

Clients: "kanal-x" is a public client (client_id in the body); "kanal-x-conf"
with secret "conf-secret" is a confidential one (HTTP Basic required).

POST /_fake/state, any of:
  {"seed_tweets": N, "seed_mentions": N}  N new tweets by the user / mentions of it
  {"revoke": true}         every access and refresh token stops working
  {"expire_access": true}  every access token has expired (refresh tokens still work)
  {"limits": {"GET /2/users/:id/tweets": 2}}  a window of that many calls (counts restart)
  {"reset_in": 900}        seconds until a window ends (for x-rate-limit-reset)
Every answer is the state: {"user", "tweets", "mentions" (counts), "hidden",
"liked", "deleted" (tweet ids), "media" (id: its alt text), "texts" (the
timeline's texts as they were sent), "codes", "access_tokens"}.
"""
import base64
import hashlib
import html
import json
import os
import re
import sys
import threading
import time
import unicodedata
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fakebase import Fake, Reply, main  # noqa: E402

CLIENTS = {"kanal-x": None, "kanal-x-conf": "conf-secret"}
# The scopes X knows (a request for another is refused on the consent screen).
SCOPES = {"tweet.read", "tweet.write", "tweet.moderate.write", "users.read", "follows.read",
          "follows.write", "offline.access", "space.read", "mute.read", "mute.write",
          "like.read", "like.write", "list.read", "list.write", "block.read", "block.write",
          "bookmark.read", "bookmark.write", "media.write", "dm.read", "dm.write"}
# Per user and 15-minute window, as X's rate-limit tables give them.
LIMITS = {"GET /2/users/me": 75, "GET /2/users/:id/tweets": 900,
          "GET /2/users/:id/mentions": 300, "POST /2/tweets": 100,
          "DELETE /2/tweets/:id": 50, "PUT /2/tweets/:id/hidden": 50,
          "POST /2/users/:id/likes": 50, "POST /2/media/upload": 500,
          "POST /2/media/metadata": 500}
TWEET_FIELDS = {"attachments", "author_id", "context_annotations", "conversation_id",
                "created_at", "edit_controls", "edit_history_tweet_ids", "entities", "geo",
                "id", "in_reply_to_user_id", "lang", "non_public_metrics", "note_tweet",
                "organic_metrics", "possibly_sensitive", "promoted_metrics", "public_metrics",
                "referenced_tweets", "reply_settings", "source", "text", "withheld"}
EXPANSIONS = {"author_id", "referenced_tweets.id", "in_reply_to_user_id",
              "attachments.media_keys", "entities.mentions.username",
              "referenced_tweets.id.author_id", "edit_history_tweet_ids",
              "attachments.poll_ids", "geo.place_id"}

BUILTIN_USER = {"id": "1580000000000000001", "username": "kanal_desk", "name": "Kanal Desk",
                "created_at": "2022-10-12T08:00:00.000Z",
                "public_metrics": {"followers_count": 1234, "following_count": 56,
                                   "tweet_count": 3, "listed_count": 7}}
OTHERS = [{"id": "1001", "username": "sugan2424", "name": "Sugan"},
          {"id": "1002", "username": "lmmx_fan", "name": "Maja Lind"},
          {"id": "1003", "username": "helsinki_ppl", "name": "Aino Virtanen"}]
BUILTIN_TWEETS = [
    {"id": "1600000000000000300", "created_at": "2024-03-02T09:15:00.000Z",
     "text": "Öppet hus på lördag kl. 10–14. Välkomna!",
     "public_metrics": {"retweet_count": 3, "reply_count": 1, "like_count": 12, "quote_count": 0}},
    {"id": "1600000000000000200", "created_at": "2024-03-01T12:00:00.000Z",
     "text": "Ny rapport om kollektivtrafiken https://t.co/abc123XYZ0",
     "entities": {"urls": [{"start": 32, "end": 55, "url": "https://t.co/abc123XYZ0",
                            "expanded_url": "https://example.org/rapport",
                            "display_url": "example.org/rapport"}]},
     "public_metrics": {"retweet_count": 5, "reply_count": 2, "like_count": 20, "quote_count": 1}},
    {"id": "1600000000000000100", "created_at": "2024-02-28T08:30:00.000Z",
     "text": "Hyvää huomenta! Good morning from the desk.",
     "public_metrics": {"retweet_count": 0, "reply_count": 0, "like_count": 4, "quote_count": 0}},
]
BUILTIN_MENTIONS = [
    {"id": "1600000000000000310", "created_at": "2024-03-02T10:00:00.000Z",
     "text": "@kanal_desk När öppnar ni på söndag?",
     "public_metrics": {"retweet_count": 0, "reply_count": 0, "like_count": 0, "quote_count": 0}},
    {"id": "1600000000000000210", "created_at": "2024-03-01T13:00:00.000Z",
     "text": "@kanal_desk Tack för rapporten!",
     "public_metrics": {"retweet_count": 0, "reply_count": 0, "like_count": 1, "quote_count": 0}},
]

URL_RE = re.compile(r"https?://[^\s]+")


def problem(status, title, detail, type_="about:blank", **extra):
    body = {"title": title, "detail": detail, "type": type_, "status": status}
    body.update(extra)
    return body


def invalid_request(param, value, message):
    return {"errors": [{"parameters": {param: [value]}, "message": message}],
            "title": "Invalid Request", "detail": "One or more parameters to your request was invalid.",
            "type": "https://api.twitter.com/2/problems/invalid-request"}


def weighted_length(text):
    """twitter-text v3: code points in the Latin, general punctuation and
    similar ranges weigh 1, all others (CJK, emoji) 2; a URL weighs 23; the
    text is counted after NFC normalisation."""
    text = unicodedata.normalize("NFC", text)
    n = 0
    pos = 0
    for m in URL_RE.finditer(text):
        n += sum(_weight(c) for c in text[pos:m.start()]) + 23
        pos = m.end()
    return n + sum(_weight(c) for c in text[pos:])


def _weight(c):
    o = ord(c)
    if o <= 0x10FF or 0x2000 <= o <= 0x200D or 0x2010 <= o <= 0x201F or 0x2032 <= o <= 0x2037:
        return 1
    return 2


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(t))


class X(Fake):
    name = "x"

    def __init__(self, data_dir):
        super().__init__(data_dir)
        self.user = dict(BUILTIN_USER)
        self.tweets = [dict(t) for t in BUILTIN_TWEETS]
        self.mentions = [dict(t) for t in BUILTIN_MENTIONS]
        p = self.data("x", "api-v2_user_user_resp.json")
        if p:
            with open(p, encoding="utf-8") as f:
                self.user = json.load(f)["data"]
            for name, into in (("api-v2_timeline_timeline_tweets.json", "tweets"),
                               ("api-v2_timeline_timeline_mentions.json", "mentions")):
                q = self.data("x", name)
                if q:
                    with open(q, encoding="utf-8") as f:
                        setattr(self, into, json.load(f)["data"])
        for t in self.tweets:
            t.setdefault("author_id", self.user["id"])
        for i, t in enumerate(self.mentions):
            t.setdefault("author_id", OTHERS[i % len(OTHERS)]["id"])
            t.setdefault("in_reply_to_user_id", self.user["id"])
        for t in self.tweets + self.mentions:
            t.setdefault("conversation_id", t["id"])
            t.setdefault("edit_history_tweet_ids", [t["id"]])
        self.users = {u["id"]: u for u in OTHERS + [self.user]}
        self.codes = {}
        self.access = {}
        self.refresh = {}
        self.hidden = set()
        self.liked = set()
        self.deleted = []
        self.media = {}
        self.windows = {}
        self.limits = dict(LIMITS)
        self.reset_in = 900
        self.next_n = 0
        self.ids_lock = threading.Lock()
        self.route("GET", "/i/oauth2/authorize", self.authorize)
        self.route("POST", "/i/oauth2/authorize", self.consent)
        self.route("POST", "/2/oauth2/token", self.token)
        self.route("GET", "/2/users/me", self.api(self.me, "GET /2/users/me"))
        self.route("GET", "/2/users/{id}/tweets", self.api(self.timeline, "GET /2/users/:id/tweets"))
        self.route("GET", "/2/users/{id}/mentions", self.api(self.mentions_of, "GET /2/users/:id/mentions"))
        self.route("POST", "/2/tweets", self.api(self.create, "POST /2/tweets", "tweet.write"))
        self.route("DELETE", "/2/tweets/{id}", self.api(self.delete, "DELETE /2/tweets/:id", "tweet.write"))
        self.route("PUT", "/2/tweets/{id}/hidden",
                   self.api(self.hide, "PUT /2/tweets/:id/hidden", "tweet.moderate.write"))
        self.route("POST", "/2/users/{id}/likes", self.api(self.like, "POST /2/users/:id/likes", "like.write"))
        self.route("POST", "/2/media/upload", self.api(self.upload, "POST /2/media/upload", "media.write"))
        self.route("POST", "/2/media/metadata", self.api(self.metadata, "POST /2/media/metadata", "media.write"))

    # ---- ids --------------------------------------------------------------------------

    def new_id(self):
        """A snowflake-like id above every id served so far."""
        with self.ids_lock:
            top = max([int(t["id"]) for t in self.tweets + self.mentions] + [0])
            return str(top + 1000)

    # ---- OAuth 2.0 with PKCE --------------------------------------------------------

    def authorize(self, req):
        a = {k: req.arg(k, "") for k in ("response_type", "client_id", "redirect_uri", "scope",
                                          "state", "code_challenge", "code_challenge_method")}
        bad = self.check_authorize(a)
        if bad:
            return Reply(400, raw="<!doctype html><title>X</title><p>%s</p>" % html.escape(bad),
                         content_type="text/html; charset=utf-8")
        hidden = "".join('<input type="hidden" name="%s" value="%s">' % (k, html.escape(v, True))
                         for k, v in a.items())
        scopes = "".join("<li>%s</li>" % html.escape(s) for s in a["scope"].split())
        page = ("<!doctype html><title>Authorize app - X</title>"
                "<h1>%s wants to access your X account</h1><p>@%s</p><ul id=\"scopes\">%s</ul>"
                "<form method=\"post\" action=\"/i/oauth2/authorize\">%s"
                "<button name=\"decision\" value=\"allow\" id=\"allow\">Authorize app</button>"
                "<button name=\"decision\" value=\"deny\" id=\"deny\">Cancel</button></form>"
                % (html.escape(a["client_id"]), html.escape(self.user["username"]), scopes, hidden))
        return Reply(200, raw=page, content_type="text/html; charset=utf-8")

    def check_authorize(self, a):
        if a["response_type"] != "code":
            return "response_type must be code"
        if a["client_id"] not in CLIENTS:
            return "Something went wrong: unknown client_id"
        if not a["redirect_uri"] or not a["state"]:
            return "redirect_uri and state are required"
        if not a["code_challenge"] or a["code_challenge_method"] not in ("S256", "plain"):
            return "code_challenge and code_challenge_method (S256 or plain) are required"
        unknown = [s for s in a["scope"].split() if s not in SCOPES]
        if not a["scope"].split() or unknown:
            return "invalid scope: %s" % " ".join(unknown)
        return None

    def consent(self, req):
        a = {k: req.arg(k, "") for k in ("response_type", "client_id", "redirect_uri", "scope",
                                          "state", "code_challenge", "code_challenge_method")}
        bad = self.check_authorize(a)
        if bad:
            return Reply(400, raw=html.escape(bad), content_type="text/html")
        if req.arg("decision") != "allow":
            q = {"error": "access_denied", "state": a["state"]}
        else:
            code = base64.urlsafe_b64encode(os.urandom(24)).decode().rstrip("=")
            with self.lock:
                self.codes[code] = dict(a, used=False, at=time.time())
            q = {"state": a["state"], "code": code}
        sep = "&" if "?" in a["redirect_uri"] else "?"
        loc = a["redirect_uri"] + sep + urllib.parse.urlencode(q)
        return Reply(302, raw='<a href="%s">%s</a>' % (html.escape(loc, True), html.escape(loc)),
                     headers={"Location": loc}, content_type="text/html")

    def client(self, req):
        """(client_id, None) or (None, error reply): a confidential client
        authenticates with HTTP Basic, a public one names itself in the body."""
        auth = req.headers.get("Authorization") or ""
        if auth.startswith("Basic "):
            try:
                cid, _, secret = base64.b64decode(auth[6:]).decode().partition(":")
                cid, secret = urllib.parse.unquote(cid), urllib.parse.unquote(secret)
            except (ValueError, UnicodeError):
                cid, secret = None, None
            if cid not in CLIENTS or CLIENTS[cid] != secret:
                return None, Reply(401, {"error": "unauthorized_client",
                                         "error_description": "Missing valid authorization header"})
            return cid, None
        cid = req.arg("client_id")
        if cid not in CLIENTS:
            return None, Reply(400, {"error": "invalid_request",
                                     "error_description": "Missing required parameter [client_id]."})
        if CLIENTS[cid] is not None:
            return None, Reply(401, {"error": "unauthorized_client",
                                     "error_description": "Missing valid authorization header"})
        return cid, None

    def issue(self, cid, scope):
        tok = {"token_type": "bearer", "expires_in": 7200, "scope": scope,
               "access_token": base64.urlsafe_b64encode(os.urandom(30)).decode().rstrip("=")}
        self.access[tok["access_token"]] = {"client": cid, "scope": scope.split(),
                                            "user": self.user["id"], "expires": time.time() + 7200}
        if "offline.access" in scope.split():
            tok["refresh_token"] = base64.urlsafe_b64encode(os.urandom(30)).decode().rstrip("=")
            self.refresh[tok["refresh_token"]] = {"client": cid, "scope": scope}
        return tok

    def token(self, req):
        ctype = (req.headers.get("Content-Type") or "").split(";")[0].strip()
        if ctype != "application/x-www-form-urlencoded":
            return Reply(400, {"error": "invalid_request",
                               "error_description": "Content-Type must be application/x-www-form-urlencoded"})
        cid, err = self.client(req)
        if err:
            return err
        grant = req.arg("grant_type")
        with self.lock:
            if grant == "authorization_code":
                code = self.codes.get(req.arg("code") or "")
                if not code or code["used"] or code["client_id"] != cid:
                    return Reply(400, {"error": "invalid_grant",
                                       "error_description": "Value passed for the authorization code was invalid."})
                if req.arg("redirect_uri") != code["redirect_uri"]:
                    return Reply(400, {"error": "invalid_grant",
                                       "error_description": "Value passed for the redirect uri did not match the uri of the authorization code."})
                verifier = req.arg("code_verifier") or ""
                if code["code_challenge_method"] == "S256":
                    want = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
                else:
                    want = verifier
                if not (43 <= len(verifier) <= 128) or want != code["code_challenge"]:
                    return Reply(400, {"error": "invalid_grant",
                                       "error_description": "Value passed for the code verifier did not match the code challenge."})
                code["used"] = True
                return Reply(200, self.issue(cid, code["scope"]))
            if grant == "refresh_token":
                rt = self.refresh.pop(req.arg("refresh_token") or "", None)  # rotating: one use
                if not rt or rt["client"] != cid:
                    return Reply(400, {"error": "invalid_grant",
                                       "error_description": "Value passed for the token was invalid."})
                return Reply(200, self.issue(cid, rt["scope"]))
        return Reply(400, {"error": "unsupported_grant_type",
                           "error_description": "grant_type must be authorization_code or refresh_token"})

    # ---- the API: auth, rate limits ------------------------------------------------

    def api(self, fn, key, scope=None):
        def handler(req, **args):
            auth = req.headers.get("Authorization") or ""
            with self.lock:
                tok = self.access.get(auth[7:]) if auth.startswith("Bearer ") else None
                if not tok or tok["expires"] < time.time():
                    return Reply(401, problem(401, "Unauthorized", "Unauthorized"))
                win_key = (key, tok["user"])
                now = int(time.time())
                w = self.windows.get(win_key)
                if not w or w["reset"] <= now:
                    w = self.windows[win_key] = {"used": 0, "reset": now + self.reset_in}
                limit = self.limits.get(key, 900)
                if w["used"] >= limit:
                    return Reply(429, problem(429, "Too Many Requests", "Too Many Requests"),
                                 headers=self.rl_headers(limit, 0, w["reset"]))
                w["used"] += 1
                headers = self.rl_headers(limit, limit - w["used"], w["reset"])
            needed = {"tweet.read", "users.read"} | ({scope} if scope else set())
            missing = needed - set(tok["scope"])
            if missing:
                r = Reply(403, problem(403, "Forbidden",
                                       "The token is missing the scopes: %s" % " ".join(sorted(missing)),
                                       "https://api.twitter.com/2/problems/oauth2-insufficient-scope"))
            else:
                r = fn(req, tok, **args)
            r.headers.update(headers)
            return r
        return handler

    @staticmethod
    def rl_headers(limit, remaining, reset):
        return {"x-rate-limit-limit": limit, "x-rate-limit-remaining": remaining,
                "x-rate-limit-reset": reset}

    # ---- reading ----------------------------------------------------------------------

    def user_view(self, u, fields):
        out = {k: u[k] for k in ("id", "name", "username") if k in u}
        for f in fields:
            if f in u:
                out[f] = u[f]
        return out

    def me(self, req, tok):
        fields = [f for f in (req.arg("user.fields") or "").split(",") if f]
        return Reply(200, {"data": self.user_view(self.users[tok["user"]], fields)})

    def timeline(self, req, tok, id):
        return self.listing(req, tok, id, self.tweets, 3200)

    def mentions_of(self, req, tok, id):
        return self.listing(req, tok, id, self.mentions, 800)

    def listing(self, req, tok, uid, items, cap):
        if not uid.isdigit():
            return Reply(400, invalid_request("id", uid, "The `id` query parameter value [%s] does not match ^[0-9]{1,19}$" % uid))
        if uid not in self.users:
            return Reply(200, {"errors": [{"value": uid, "detail": "Could not find user with id: [%s]." % uid,
                                           "title": "Not Found Error", "resource_type": "user",
                                           "parameter": "id", "resource_id": uid,
                                           "type": "https://api.twitter.com/2/problems/resource-not-found"}]})
        mr = req.arg("max_results", "10")
        if not mr.isdigit() or not 5 <= int(mr) <= 100:
            return Reply(400, invalid_request("max_results", mr,
                                              "The `max_results` query parameter value [%s] is not between 5 and 100" % mr))
        tfields = [f for f in (req.arg("tweet.fields") or "").split(",") if f]
        exps = [f for f in (req.arg("expansions") or "").split(",") if f]
        ufields = [f for f in (req.arg("user.fields") or "").split(",") if f]
        for f in tfields:
            if f not in TWEET_FIELDS:
                return Reply(400, invalid_request("tweet.fields", f,
                                                  "The `tweet.fields` query parameter value [%s] is not one of %s" % (f, sorted(TWEET_FIELDS))))
        for f in exps:
            if f not in EXPANSIONS:
                return Reply(400, invalid_request("expansions", f,
                                                  "The `expansions` query parameter value [%s] is not one of %s" % (f, sorted(EXPANSIONS))))
        since = req.arg("since_id")
        start = req.arg("start_time")
        with self.lock:
            rows = sorted(items, key=lambda t: int(t["id"]), reverse=True)[:cap]
            rows = [t for t in rows if t.get("author_id") == uid or items is self.mentions]
            if since:
                rows = [t for t in rows if int(t["id"]) > int(since)]
            if start:
                rows = [t for t in rows if t.get("created_at", "") >= start.replace("Z", ".000Z")[:24]]
            # pagination_token is opaque at X; here it is the id to continue below.
            tok_ = req.arg("pagination_token")
            if tok_:
                try:
                    below = int(base64.urlsafe_b64decode(tok_ + "==").decode())
                except ValueError:
                    return Reply(400, invalid_request("pagination_token", tok_,
                                                      "The `pagination_token` query parameter value [%s] is not valid" % tok_))
                rows = [t for t in rows if int(t["id"]) < below]
            chunk = rows[:int(mr)]
            more = len(rows) > len(chunk)
        if not chunk:
            return Reply(200, {"meta": {"result_count": 0}})
        body = {"data": [self.tweet_view(t, tfields, exps) for t in chunk],
                "meta": {"result_count": len(chunk), "newest_id": chunk[0]["id"],
                         "oldest_id": chunk[-1]["id"]}}
        if more:
            body["meta"]["next_token"] = base64.urlsafe_b64encode(chunk[-1]["id"].encode()).decode().rstrip("=")
        if "author_id" in exps:
            seen = []
            for t in chunk:
                if t.get("author_id") in self.users and t["author_id"] not in seen:
                    seen.append(t["author_id"])
            body["includes"] = {"users": [self.user_view(self.users[u], ufields) for u in seen]}
        if "attachments.media_keys" in exps:
            media = [self.media[k] for t in chunk for k in t.get("attachments", {}).get("media_keys", [])
                     if k in self.media]
            if media:
                body.setdefault("includes", {})["media"] = [{"media_key": m["media_key"], "type": "photo"} for m in media]
        return Reply(200, body)

    def tweet_view(self, t, tfields, exps):
        out = {"id": t["id"], "text": t["text"], "edit_history_tweet_ids": t.get("edit_history_tweet_ids", [t["id"]])}
        want = set(tfields)
        if "author_id" in exps:
            want.add("author_id")
        for f in want:
            if f in t and f not in out:
                out[f] = t[f]
        return out

    # ---- writing ------------------------------------------------------------------------

    def create(self, req, tok):
        body = req.json
        if not isinstance(body, dict):
            return Reply(400, problem(400, "Invalid Request", "The request body is not JSON",
                                      "https://api.twitter.com/2/problems/invalid-request"))
        text = body.get("text")
        media_ids = (body.get("media") or {}).get("media_ids") or []
        if not isinstance(text, str) and not media_ids:
            return Reply(400, invalid_request("text", "", "You must provide text or media"))
        text = text or ""
        if weighted_length(text) > 280:
            return Reply(403, problem(403, "Forbidden",
                                      "Your Tweet text is too long. For more information on how X determines "
                                      "text length see https://github.com/twitter/twitter-text."))
        for m in media_ids:
            if m not in {v["id"] for v in self.media.values()}:
                return Reply(400, invalid_request("media.media_ids", m,
                                                  "Your media IDs are invalid."))
        reply_to = (body.get("reply") or {}).get("in_reply_to_tweet_id")
        with self.lock:
            uid = tok["user"]
            if text and any(t["text_sent"] == text for t in self.tweets if t.get("text_sent") is not None):
                return Reply(403, problem(403, "Forbidden",
                                          "You are not allowed to create a Tweet with duplicate content."))
            parent = None
            if reply_to:
                parent = next((t for t in self.tweets + self.mentions if t["id"] == reply_to), None)
                if not parent:
                    return Reply(400, invalid_request("reply.in_reply_to_tweet_id", reply_to,
                                                      "The tweet you are replying to does not exist."))
            tid = self.new_id()
            shown, urls = self.shorten(text)
            t = {"id": tid, "text": shown, "text_sent": text, "author_id": uid,
                 "created_at": iso(time.time()), "conversation_id": parent["conversation_id"] if parent else tid,
                 "edit_history_tweet_ids": [tid], "lang": "und",
                 "public_metrics": {"retweet_count": 0, "reply_count": 0, "like_count": 0,
                                    "quote_count": 0, "bookmark_count": 0, "impression_count": 0}}
            if media_ids:
                keys = [k for k, v in self.media.items() if v["id"] in media_ids]
                t["attachments"] = {"media_keys": keys}
                pic = "https://t.co/p%s" % tid[-8:]
                start = len(shown) + (1 if shown else 0)
                t["text"] = (shown + " " if shown else "") + pic
                urls.append({"start": start, "end": start + len(pic), "url": pic,
                             "expanded_url": "https://x.com/%s/status/%s/photo/1" % (self.users[uid]["username"], tid),
                             "display_url": "pic.x.com/p%s" % tid[-8:], "media_key": keys[0] if keys else None})
            if urls:
                t["entities"] = {"urls": urls}
            if parent:
                t["referenced_tweets"] = [{"type": "replied_to", "id": parent["id"]}]
                t["in_reply_to_user_id"] = parent.get("author_id")
            self.tweets.insert(0, t)
        return Reply(201, {"data": {"id": tid, "text": t["text"], "edit_history_tweet_ids": [tid]}})

    @staticmethod
    def shorten(text):
        """X rewrites every link in a tweet to a t.co link and says what it
        was in entities.urls (start/end count code points)."""
        out, urls, pos = "", [], 0
        for m in URL_RE.finditer(text):
            out += text[pos:m.start()]
            short = "https://t.co/" + hashlib.sha1(m.group().encode()).hexdigest()[:10]
            urls.append({"start": len(out), "end": len(out) + len(short), "url": short,
                         "expanded_url": m.group(), "display_url": m.group().split("://", 1)[1][:25]})
            out += short
            pos = m.end()
        return out + text[pos:], urls

    def delete(self, req, tok, id):
        with self.lock:
            t = next((t for t in self.tweets + self.mentions if t["id"] == id), None)
            if not t:
                return Reply(200, {"data": {"deleted": False}})
            if t.get("author_id") != tok["user"]:
                return Reply(403, problem(403, "Forbidden", "You are not allowed to delete a Tweet that is not yours."))
            self.tweets.remove(t)
            self.deleted.append(id)
        return Reply(200, {"data": {"deleted": True}})

    def hide(self, req, tok, id):
        body = req.json
        if not isinstance(body, dict) or not isinstance(body.get("hidden"), bool):
            return Reply(400, invalid_request("hidden", "", "The `hidden` field is required and must be a boolean"))
        with self.lock:
            t = next((t for t in self.mentions + self.tweets if t["id"] == id), None)
            if not t:
                return Reply(404, problem(404, "Not Found Error", "Could not find tweet with id: [%s]." % id,
                                          "https://api.twitter.com/2/problems/resource-not-found"))
            if t.get("in_reply_to_user_id") != tok["user"] or t.get("author_id") == tok["user"]:
                return Reply(403, problem(403, "Forbidden",
                                          "You can only hide or unhide replies to conversations you authored."))
            (self.hidden.add if body["hidden"] else self.hidden.discard)(id)
        return Reply(200, {"data": {"hidden": body["hidden"]}})

    def like(self, req, tok, id):
        if id != tok["user"]:
            return Reply(403, problem(403, "Forbidden", "You are not allowed to like on behalf of another user."))
        tid = (req.json or {}).get("tweet_id") if isinstance(req.json, dict) else None
        if not tid:
            return Reply(400, invalid_request("tweet_id", "", "The `tweet_id` field is required"))
        with self.lock:
            self.liked.add(tid)
        return Reply(200, {"data": {"liked": True}})

    def upload(self, req, tok):
        ctype = req.headers.get("Content-Type") or ""
        if not ctype.startswith("multipart/form-data") or "boundary=" not in ctype:
            return Reply(400, invalid_request("media", "", "The request must be multipart/form-data"))
        parts = self.multipart(req.body, ctype.split("boundary=", 1)[1].strip('"'))
        data = parts.get("media")
        cat = parts.get("media_category", b"").decode(errors="replace")
        if not data:
            return Reply(400, invalid_request("media", "", "The `media` field is required"))
        if cat != "tweet_image":
            return Reply(400, invalid_request("media_category", cat,
                                              "The `media_category` field must be one of [tweet_image, dm_image, subtitles]"))
        if len(data) > 5 * 1024 * 1024:
            return Reply(400, invalid_request("media", "", "Images must be at most 5 MB"))
        with self.lock:
            mid = str(1880000000000000000 + len(self.media) + 1)
            key = "3_" + mid
            self.media[key] = {"id": mid, "media_key": key, "size": len(data), "alt": None}
        return Reply(200, {"data": {"id": mid, "media_key": key, "size": len(data),
                                    "expires_after_secs": 86400,
                                    "image": {"image_type": parts.get("media_type", b"").decode(errors="replace")}}})

    @staticmethod
    def multipart(body, boundary):
        out = {}
        for part in body.split(b"--" + boundary.encode()):
            head, sep, content = part.partition(b"\r\n\r\n")
            if not sep:
                continue
            m = re.search(rb'name="([^"]+)"', head)
            if m:
                out[m.group(1).decode()] = content[:-2] if content.endswith(b"\r\n") else content
        return out

    def metadata(self, req, tok):
        b = req.json if isinstance(req.json, dict) else {}
        alt = ((b.get("metadata") or {}).get("alt_text") or {}).get("text")
        with self.lock:
            m = next((m for m in self.media.values() if m["id"] == b.get("id")), None)
            if not m or not isinstance(alt, str) or len(alt) > 1000:
                return Reply(400, invalid_request("id", str(b.get("id")), "A media id and an alt text of at most 1000 characters are required"))
            m["alt"] = alt
        return Reply(200, {"data": {"id": m["id"], "associated_metadata": {"alt_text": {"text": alt}}}})

    # ---- control ------------------------------------------------------------------------

    def state(self, req):
        s = req.json or {}
        with self.lock:
            for _ in range(int(s.get("seed_tweets", 0))):
                tid = self.new_id()
                self.tweets.insert(0, {"id": tid, "text": "Seeded tweet %s" % tid, "author_id": self.user["id"],
                                       "created_at": iso(time.time()), "conversation_id": tid,
                                       "public_metrics": {"retweet_count": 0, "reply_count": 0,
                                                          "like_count": 1, "quote_count": 0}})
            for i in range(int(s.get("seed_mentions", 0))):
                tid = self.new_id()
                a = OTHERS[i % len(OTHERS)]
                self.mentions.insert(0, {"id": tid, "text": "@%s seeded mention %s" % (self.user["username"], tid),
                                         "author_id": a["id"], "in_reply_to_user_id": self.user["id"],
                                         "created_at": iso(time.time()), "conversation_id": tid,
                                         "public_metrics": {"retweet_count": 0, "reply_count": 0,
                                                            "like_count": 0, "quote_count": 0}})
            if s.get("revoke"):
                self.access.clear()
                self.refresh.clear()
            if s.get("expire_access"):
                for t in self.access.values():
                    t["expires"] = 0
            if "limits" in s:
                self.limits.update(s["limits"])
                self.windows.clear()
            if "reset_in" in s:
                self.reset_in = int(s["reset_in"])
                self.windows.clear()
            return Reply(200, {"user": self.user, "tweets": len(self.tweets), "mentions": len(self.mentions),
                               "hidden": sorted(self.hidden), "liked": sorted(self.liked),
                               "deleted": list(self.deleted),
                               "media": {m["id"]: m["alt"] for m in self.media.values()},
                               "texts": [t.get("text_sent", t["text"]) for t in self.tweets],
                               "codes": len(self.codes), "access_tokens": len(self.access)})


if __name__ == "__main__":
    main(X)
