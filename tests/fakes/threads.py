"""A fake of Meta's Threads API as Meta documents it (developers.facebook.com/
docs/threads): the consent screen at /oauth/authorize (client_id,
redirect_uri, scope, response_type=code, state), POST /oauth/access_token
for a short-lived token (an hour), GET /access_token?grant_type=
th_exchange_token for a long-lived one (60 days), GET /refresh_access_token
?grant_type=th_refresh_token; under /v1.0: /me, /{user}/threads (paged by
cursors, limit at most 100, `since`), /{id}/insights (views, likes, replies,
reposts, quotes), /{id}/replies and /{id}/conversation, /{user}/
threads_insights (followers_count), publishing in two steps (POST
/{user}/threads makes a container: TEXT or IMAGE with image_url, text at
most 500 characters, reply_to_id; POST /{user}/threads_publish?creation_id),
POST /{reply}/manage_reply (hide), DELETE /{id}, GET /{id}. Meta's error
bodies ({"error": {"message", "type", "code", "error_subcode",
"fbtrace_id"}}): 190 for a bad or expired token, 100 for a bad parameter or
an object that does not exist, 10 for a permission not granted, 17 with
X-App-Usage when the user's call budget is used up.

App: id "kanal-threads", secret "th-secret".

POST /_fake/state, any of:
  {"seed_threads": N}     N new threads by the account
  {"seed_replies": N}     N new replies by others to the newest thread
  {"expire": true}        every token has expired (190, subcode 463)
  {"limit": N}            a window of N API calls (counts restart)
Every answer is the state: {"threads", "replies" (counts), "hidden" (reply
ids), "deleted", "containers", "tokens"}.
"""
import base64
import html
import os
import sys
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fakebase import Fake, Reply, main  # noqa: E402

APPS = {"kanal-threads": "th-secret"}
SCOPES = {"threads_basic", "threads_content_publish", "threads_manage_replies",
          "threads_read_replies", "threads_manage_insights", "threads_delete",
          "threads_keyword_search", "threads_manage_mentions"}
USER = {"id": "17841400000000001", "username": "kanal_desk", "name": "Kanal Desk"}
OTHERS = ["aino_v", "maja.lind", "sugan2424"]
POST_FIELDS = {"id", "media_product_type", "media_type", "media_url", "permalink", "owner",
               "username", "text", "timestamp", "shortcode", "thumbnail_url", "children",
               "is_quote_post", "link_attachment_url", "quoted_post", "reposted_post",
               "alt_text", "hide_status", "is_reply", "replied_to", "root_post",
               "is_reply_owned_by_me", "has_replies", "reply_audience"}
POST_METRICS = {"views", "likes", "replies", "reposts", "quotes", "shares"}
TEXTS = ["Öppet hus på lördag kl. 10–14.", "Ny rapport om kollektivtrafiken",
         "Hyvää huomenta Helsinki!", "Simhallen stänger för renovering"]


def meta_error(code, message, status=400, subcode=None, type_="OAuthException", headers=None):
    e = {"message": message, "type": type_, "code": code,
         "fbtrace_id": "A%s" % base64.b32encode(os.urandom(10)).decode()}
    if subcode:
        e["error_subcode"] = subcode
    return Reply(status, {"error": e}, headers=headers)


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%S+0000", time.gmtime(t))


class Threads(Fake):
    name = "threads"

    def __init__(self, data_dir):
        super().__init__(data_dir)
        self.threads = []   # newest first
        self.replies = []   # every reply, oldest first
        self.codes = {}
        self.short = {}
        self.tokens = {}
        self.containers = {}
        self.hidden = set()
        self.deleted = []
        self.limit = None
        self.calls = 0
        self.n = 0
        self.ids_lock = threading.Lock()
        base = 1709370000
        for _ in range(3):
            self.add_thread(USER["username"], TEXTS[self.n % len(TEXTS)], base + self.n * 3600)
        self.add_reply(self.threads[0]["id"], OTHERS[0], "När öppnar ni på söndag?", base + 20000)
        self.add_reply(self.threads[0]["id"], OTHERS[1], "Tack!", base + 20100)
        self.route("GET", "/oauth/authorize", self.authorize)
        self.route("POST", "/oauth/authorize", self.consent)
        self.route("POST", "/oauth/access_token", self.access_token)
        self.route("GET", "/access_token", self.exchange)
        self.route("GET", "/refresh_access_token", self.refresh)
        self.route("GET", "/v1.0/me", self.api(self.me))
        self.route("GET", "/v1.0/{uid}/threads", self.api(self.list_threads))
        self.route("POST", "/v1.0/{uid}/threads", self.api(self.container, "threads_content_publish"))
        self.route("POST", "/v1.0/{uid}/threads_publish", self.api(self.publish, "threads_content_publish"))
        self.route("GET", "/v1.0/{uid}/threads_insights", self.api(self.user_insights, "threads_manage_insights"))
        self.route("GET", "/v1.0/{id}/insights", self.api(self.insights, "threads_manage_insights"))
        self.route("GET", "/v1.0/{id}/replies", self.api(self.list_replies, "threads_read_replies"))
        self.route("GET", "/v1.0/{id}/conversation", self.api(self.conversation, "threads_read_replies"))
        self.route("POST", "/v1.0/{id}/manage_reply", self.api(self.manage_reply, "threads_manage_replies"))
        self.route("DELETE", "/v1.0/{id}", self.api(self.delete, "threads_delete"))
        self.route("GET", "/v1.0/{id}", self.api(self.get_one))

    # ---- the store -----------------------------------------------------------------------

    def new_id(self):
        with self.ids_lock:
            self.n += 1
            return str(18050206876700000 + self.n)

    def add_thread(self, username, text, t, media_type="TEXT_POST", link=None):
        tid = self.new_id()
        th = {"id": tid, "media_product_type": "THREADS", "media_type": media_type,
              "permalink": "https://www.threads.net/@%s/post/C%s" % (username, tid[-6:]),
              "owner": {"id": USER["id"]}, "username": username, "text": text,
              "timestamp": iso(t), "_t": t, "shortcode": "C" + tid[-6:], "is_quote_post": False,
              "_views": 100 + self.n * 7, "_likes": self.n * 3, "_reposts": 1, "_quotes": 0}
        if link:
            th["link_attachment_url"] = link
        with self.lock:
            self.threads.insert(0, th)
            self.threads.sort(key=lambda x: -x["_t"])
        return th

    def add_reply(self, to_id, username, text, t):
        with self.lock:
            parent = self.find(to_id)
        if not parent:
            return None
        root = parent.get("root_post", {"id": parent["id"]})["id"]
        rid = self.new_id()
        r = {"id": rid, "text": text, "timestamp": iso(t), "_t": t, "username": username,
             "permalink": "https://www.threads.net/@%s/post/R%s" % (username, rid[-6:]),
             "is_reply": True, "root_post": {"id": root}, "replied_to": {"id": parent["id"]},
             "hide_status": "NOT_HUSHED", "media_type": "TEXT_POST",
             "media_product_type": "THREADS"}
        with self.lock:
            self.replies.append(r)
        return r

    def find(self, oid):
        for x in self.threads + self.replies:
            if x["id"] == oid:
                return x
        return None

    def shown(self, x, fields):
        out = {}
        for f in fields:
            if f == "is_reply_owned_by_me":
                out[f] = x.get("username") == USER["username"]
            elif f == "is_reply":
                out[f] = bool(x.get("is_reply"))
            elif f in x and not f.startswith("_"):
                out[f] = x[f]
        return out

    # ---- OAuth ----------------------------------------------------------------------------

    def auth_args(self, req):
        return {k: req.arg(k, "") for k in ("client_id", "redirect_uri", "scope",
                                             "response_type", "state")}

    def check(self, a):
        if a["client_id"] not in APPS:
            return "Invalid client_id"
        if a["response_type"] != "code" or not a["redirect_uri"]:
            return "response_type=code and redirect_uri are required"
        bad = [s for s in a["scope"].split(",") if s not in SCOPES]
        if not a["scope"] or bad:
            return "Invalid Scopes: %s" % ",".join(bad)
        return None

    def authorize(self, req):
        a = self.auth_args(req)
        bad = self.check(a)
        if bad:
            return Reply(400, raw="<p>%s</p>" % html.escape(bad), content_type="text/html")
        hidden = "".join("<input type='hidden' name='%s' value='%s'>" % (k, html.escape(v, True))
                         for k, v in a.items())
        scopes = "".join("<li>%s</li>" % html.escape(s) for s in a["scope"].split(","))
        page = ("<!doctype html><title>Threads</title><h1>Allow %s to access your Threads "
                "profile?</h1><p>@%s</p><ul id='scopes'>%s</ul>"
                "<form method='post' action='/oauth/authorize'>%s"
                "<input type='hidden' name='decision' value='allow'><button>Allow</button></form>"
                "<form method='post' action='/oauth/authorize'>%s"
                "<input type='hidden' name='decision' value='deny'><button>Cancel</button></form>"
                % (html.escape(a["client_id"]), USER["username"], scopes, hidden, hidden))
        return Reply(200, raw=page, content_type="text/html; charset=utf-8")

    def consent(self, req):
        a = self.auth_args(req)
        bad = self.check(a)
        if bad:
            return Reply(400, raw=html.escape(bad), content_type="text/html")
        if req.arg("decision") != "allow":
            q = {"error": "access_denied", "error_reason": "user_denied",
                 "error_description": "Permissions error", "state": a["state"]}
        else:
            code = base64.urlsafe_b64encode(os.urandom(24)).decode().rstrip("=")
            with self.lock:
                self.codes[code] = dict(a, used=False)
            q = {"code": code, "state": a["state"]}
        loc = a["redirect_uri"] + ("&" if "?" in a["redirect_uri"] else "?") + \
            urllib.parse.urlencode(q) + "#_"
        return Reply(302, raw="<a href='%s'>back</a>" % html.escape(loc, True),
                     headers={"Location": loc}, content_type="text/html")

    def new_token(self, table, scope, seconds):
        tok = "TH" + base64.urlsafe_b64encode(os.urandom(30)).decode().rstrip("=")
        table[tok] = {"scope": scope, "expires": time.time() + seconds}
        return tok

    def access_token(self, req):
        if APPS.get(req.arg("client_id")) != req.arg("client_secret"):
            return meta_error(101, "Error validating application. Invalid application ID.")
        if req.arg("grant_type") != "authorization_code":
            return meta_error(100, "Unsupported grant_type")
        with self.lock:
            c = self.codes.get(req.arg("code", ""))
            if not c or c["used"]:
                return meta_error(100, "Invalid verification code format.", subcode=36007)
            if c["redirect_uri"] != req.arg("redirect_uri"):
                return meta_error(100, "Error validating verification code. Please make sure "
                                       "your redirect_uri is identical to the one you used in "
                                       "the OAuth dialog request", subcode=36008)
            c["used"] = True
            tok = self.new_token(self.short, c["scope"], 3600)
        return Reply(200, {"access_token": tok, "user_id": int(USER["id"])})

    def exchange(self, req):
        if req.arg("grant_type") != "th_exchange_token":
            return meta_error(100, "grant_type must be th_exchange_token")
        if req.arg("client_secret") not in APPS.values():
            return meta_error(101, "Error validating client secret.")
        with self.lock:
            s = self.short.pop(req.arg("access_token", ""), None)
            if not s or s["expires"] < time.time():
                return meta_error(190, "Invalid OAuth access token - Cannot parse access token")
            tok = self.new_token(self.tokens, s["scope"], 5184000)
        return Reply(200, {"access_token": tok, "token_type": "bearer", "expires_in": 5184000})

    def refresh(self, req):
        if req.arg("grant_type") != "th_refresh_token":
            return meta_error(100, "grant_type must be th_refresh_token")
        with self.lock:
            old = self.tokens.get(req.arg("access_token", ""))
            if not old or old["expires"] < time.time():
                return meta_error(190, "Error validating access token: Session has expired.",
                                  subcode=463)
            tok = self.new_token(self.tokens, old["scope"], 5184000)
        return Reply(200, {"access_token": tok, "token_type": "bearer", "expires_in": 5184000})

    # ---- the API --------------------------------------------------------------------------

    def api(self, fn, permission=None):
        def run(req, **kw):
            tok = req.bearer() or req.arg("access_token")
            with self.lock:
                t = self.tokens.get(tok or "")
                if not t:
                    return meta_error(190, "Invalid OAuth access token - Cannot parse access token")
                if t["expires"] < time.time():
                    return meta_error(190, "Error validating access token: Session has expired.",
                                      subcode=463)
                if permission and permission not in t["scope"].split(","):
                    return meta_error(10, "Application does not have permission for this action",
                                      status=403)
                self.calls += 1
                if self.limit is not None and self.calls > self.limit:
                    return meta_error(17, "User request limit reached", headers={
                        "X-App-Usage": '{"call_count":100,"total_cputime":10,"total_time":10}'})
            if "uid" in kw and kw["uid"] not in ("me", USER["id"]):
                return meta_error(100, "Unsupported get request. Object with ID '%s' does not "
                                       "exist" % kw["uid"], subcode=33, type_="GraphMethodException")
            return fn(req, **kw)
        return run

    def fields(self, req, default="id"):
        f = [x for x in (req.arg("fields") or default).split(",") if x]
        bad = [x for x in f if x not in POST_FIELDS]
        return f, (meta_error(100, "Tried accessing nonexisting field (%s)" % bad[0]) if bad else None)

    def paged(self, req, items, fields):
        try:
            limit = int(req.arg("limit") or 25)
        except ValueError:
            return meta_error(100, "(#100) Param limit must be a number")
        if limit < 1 or limit > 100:
            return meta_error(100, "(#100) Param limit must be between 1 and 100")
        start = int(req.arg("after") or 0) if (req.arg("after") or "0").isdigit() else 0
        chunk = items[start:start + limit]
        body = {"data": [self.shown(x, fields) for x in chunk]}
        if chunk:
            body["paging"] = {"cursors": {"before": str(start), "after": str(start + len(chunk))}}
            if start + limit < len(items):
                q = {k: v[0] for k, v in req.query.items() if k != "access_token"}
                q["after"] = str(start + limit)
                body["paging"]["next"] = "http://%s%s?%s" % (
                    req.headers.get("Host"), req.path, urllib.parse.urlencode(q))
        return Reply(200, body)

    def me(self, req):
        f = (req.arg("fields") or "id").split(",")
        return Reply(200, {k: USER[k] for k in f if k in USER})

    def list_threads(self, req, uid):
        f, bad = self.fields(req)
        if bad:
            return bad
        since = req.arg("since")
        with self.lock:
            items = [t for t in self.threads if not since or t["_t"] >= int(since)]
        return self.paged(req, items, f)

    def list_replies(self, req, id):
        f, bad = self.fields(req)
        if bad:
            return bad
        with self.lock:
            items = [r for r in self.replies if r["replied_to"]["id"] == id]
        return self.paged(req, items, f)

    def conversation(self, req, id):
        f, bad = self.fields(req)
        if bad:
            return bad
        with self.lock:
            if not self.find(id):
                return meta_error(100, "Object with ID '%s' does not exist" % id, subcode=33)
            items = [r for r in self.replies if r["root_post"]["id"] == id]
        if req.arg("reverse") in ("true", None):
            items = list(reversed(items))
        return self.paged(req, items, f)

    def insights(self, req, id):
        metrics = (req.arg("metric") or "").split(",")
        bad = [m for m in metrics if m not in POST_METRICS]
        if not req.arg("metric") or bad:
            return meta_error(100, "(#100) metric[0] must be one of the following values: "
                                   "views, likes, replies, reposts, quotes, shares")
        with self.lock:
            t = self.find(id)
            if not t or t.get("is_reply"):
                return meta_error(100, "Object with ID '%s' does not exist" % id, subcode=33)
            n_replies = len([r for r in self.replies if r["root_post"]["id"] == id])
            vals = {"views": t["_views"], "likes": t["_likes"], "replies": n_replies,
                    "reposts": t["_reposts"], "quotes": t["_quotes"], "shares": 0}
        return Reply(200, {"data": [{"name": m, "period": "lifetime",
                                     "values": [{"value": vals[m]}], "title": m,
                                     "description": "", "id": "%s/insights/%s/lifetime" % (id, m)}
                                    for m in metrics]})

    def user_insights(self, req, uid):
        if req.arg("metric") != "followers_count":
            return meta_error(100, "(#100) metric must be one of: views, likes, replies, "
                                   "reposts, quotes, clicks, followers_count, follower_demographics")
        return Reply(200, {"data": [{"name": "followers_count", "period": "day",
                                     "title": "followers_count", "description": "",
                                     "total_value": {"value": 2045},
                                     "id": "%s/insights/followers_count/day" % USER["id"]}]})

    def container(self, req, uid):
        mt = req.arg("media_type")
        text = req.arg("text") or ""
        if mt not in ("TEXT", "IMAGE", "VIDEO", "CAROUSEL"):
            return meta_error(100, "The parameter media_type is required.")
        if len(text) > 500:
            return meta_error(100, "Param text must be at most 500 characters long.",
                              subcode=2207006)
        if mt == "TEXT" and not text:
            return meta_error(100, "The parameter text is required for TEXT posts.")
        if mt == "IMAGE" and not (req.arg("image_url") or "").startswith("https://"):
            return meta_error(100, "The parameter image_url is required.", subcode=2207052)
        to = req.arg("reply_to_id")
        if to and not self.find(to):
            return meta_error(100, "Object with ID '%s' does not exist" % to, subcode=33)
        cid = self.new_id()
        with self.lock:
            self.containers[cid] = {"media_type": mt, "text": text, "reply_to": to,
                                    "link": req.arg("link_attachment"), "published": False}
        return Reply(200, {"id": cid})

    def publish(self, req, uid):
        with self.lock:
            c = self.containers.get(req.arg("creation_id") or "")
            if not c or c["published"]:
                return meta_error(24, "The requested resource does not exist", subcode=4279009)
            c["published"] = True
        if c["reply_to"]:
            r = self.add_reply(c["reply_to"], USER["username"], c["text"], int(time.time()))
            return Reply(200, {"id": r["id"]})
        t = self.add_thread(USER["username"], c["text"], int(time.time()),
                            "IMAGE" if c["media_type"] == "IMAGE" else "TEXT_POST", c["link"])
        return Reply(200, {"id": t["id"]})

    def manage_reply(self, req, id):
        hide = req.arg("hide")
        if hide not in ("true", "false"):
            return meta_error(100, "The parameter hide is required.")
        with self.lock:
            r = self.find(id)
            if not r or not r.get("is_reply"):
                return meta_error(100, "Object with ID '%s' does not exist" % id, subcode=33)
            r["hide_status"] = "HIDDEN" if hide == "true" else "UNHUSHED"
            (self.hidden.add if hide == "true" else self.hidden.discard)(id)
        return Reply(200, {"success": True})

    def delete(self, req, id):
        with self.lock:
            x = self.find(id)
            if not x or x.get("username") != USER["username"]:
                return meta_error(100, "Object with ID '%s' does not exist" % id, subcode=33)
            if x in self.threads:
                self.threads.remove(x)
            else:
                self.replies.remove(x)
            self.deleted.append(id)
        return Reply(200, {"success": True, "deleted_id": id})

    def get_one(self, req, id):
        f, bad = self.fields(req)
        if bad:
            return bad
        with self.lock:
            x = self.find(id)
        if not x:
            return meta_error(100, "Unsupported get request. Object with ID '%s' does not exist"
                              % id, subcode=33, type_="GraphMethodException")
        return Reply(200, self.shown(x, f))

    def state(self, req):
        s = req.json or {}
        for _ in range(int(s.get("seed_threads") or 0)):
            self.add_thread(USER["username"], TEXTS[self.n % len(TEXTS)], int(time.time()))
        for i in range(int(s.get("seed_replies") or 0)):
            self.add_reply(self.threads[0]["id"], OTHERS[i % len(OTHERS)],
                           "Svar nummer %d" % self.n, int(time.time()))
        with self.lock:
            if s.get("expire"):
                for t in self.tokens.values():
                    t["expires"] = 0
            if "limit" in s:
                self.limit = s["limit"]
                self.calls = 0
            return Reply(200, {"threads": len(self.threads), "replies": len(self.replies),
                               "hidden": sorted(self.hidden), "deleted": self.deleted,
                               "containers": len(self.containers), "tokens": list(self.tokens)})


if __name__ == "__main__":
    main(Threads)
