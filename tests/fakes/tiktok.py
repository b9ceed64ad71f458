"""A fake of TikTok's APIs as TikTok documents them (developers.tiktok.com):
Login Kit (the consent screen at /v2/auth/authorize/ with client_key, scope,
state and a PKCE challenge; POST /v2/oauth/token/ with client_key and
client_secret for authorization_code and refresh_token grants; access tokens
of 24 hours, refresh tokens of 365 days), the Display API (GET
/v2/user/info/ and POST /v2/video/list/ with `fields` in the query, paged
by cursor and has_more, max_count at most 20) and the Content Posting API
(creator_info/query, content/init for photos and video/init for videos,
both PULL_FROM_URL, and status/fetch). Every answer is {"data", "error":
{"code", "message", "log_id"}}; HTTP 429 and rate_limit_exceeded when an
endpoint's per-minute window is used up.

Clients: "kanal-tt" with secret "tt-secret".

POST /_fake/state, any of:
  {"seed_videos": N}      N new videos by the account
  {"revoke": true}        every access and refresh token stops working
  {"expire_access": true} every access token has expired
  {"limits": {"POST /v2/video/list/": 2}}  a window of that many calls a minute
  {"spam": true}          the next publish is refused: spam_risk_too_many_posts
Every answer is the state: {"videos", "published" (publish ids), "codes", "tokens"}.
"""
import base64
import hashlib
import html
import os
import sys
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fakebase import Fake, Reply, main  # noqa: E402

CLIENTS = {"kanal-tt": "tt-secret"}
SCOPES = {"user.info.basic", "user.info.profile", "user.info.stats", "video.list",
          "video.publish", "video.upload", "artist.certification.read"}
USER_FIELDS = {"open_id": "user.info.basic", "union_id": "user.info.basic",
               "avatar_url": "user.info.basic", "display_name": "user.info.basic",
               "bio_description": "user.info.profile", "profile_deep_link": "user.info.profile",
               "is_verified": "user.info.profile", "username": "user.info.profile",
               "follower_count": "user.info.stats", "following_count": "user.info.stats",
               "likes_count": "user.info.stats", "video_count": "user.info.stats"}
VIDEO_FIELDS = {"id", "create_time", "cover_image_url", "share_url", "video_description",
                "duration", "height", "width", "title", "embed_html", "embed_link",
                "like_count", "comment_count", "share_count", "view_count"}
LIMITS = {"GET /v2/user/info/": 600, "POST /v2/video/list/": 600,
          "POST /v2/post/publish/creator_info/query/": 20,
          "POST /v2/post/publish/content/init/": 6, "POST /v2/post/publish/video/init/": 6,
          "POST /v2/post/publish/status/fetch/": 30}
USER = {"open_id": "-000OBQAAAA1Abc", "union_id": "c9c60f44-a68e-4f5d-84dd-ce22faeb0ba1",
        "display_name": "Helsingin kaupunki", "username": "helsinginkaupunki",
        "avatar_url": "https://p16.tiktokcdn.com/a.jpeg", "bio_description": "Helsinki",
        "profile_deep_link": "https://vm.tiktok.com/ZMabc/", "is_verified": True,
        "follower_count": 48210, "following_count": 12, "likes_count": 902113,
        "video_count": 0}
TEXTS = ["Kevät tulee Senaatintorille! #helsinki", "Kirjasto Oodi 5 vuotta",
         "Uimarannat aukeavat", "Joulukatu avataan tänään"]


def err(code, message, status=400):
    return Reply(status, {"data": {}, "error": {"code": code, "message": message,
                                                "log_id": "2024%016x" % int(time.time() * 1e6)}})


def ok(data):
    return Reply(200, {"data": data, "error": {"code": "ok", "message": "",
                                               "log_id": "2024%016x" % int(time.time() * 1e6)}})


class TikTok(Fake):
    name = "tiktok"

    def __init__(self, data_dir):
        super().__init__(data_dir)
        self.videos = []
        self.codes = {}
        self.access = {}
        self.refresh = {}
        self.published = {}
        self.windows = {}
        self.limits = dict(LIMITS)
        self.spam = False
        self.n = 0
        self.ids_lock = threading.Lock()
        self.seed(3, start=1709290500)
        self.route("GET", "/v2/auth/authorize", self.authorize)
        self.route("POST", "/v2/auth/authorize", self.consent)
        self.route("POST", "/v2/oauth/token", self.token)
        self.route("GET", "/v2/user/info", self.api(self.user_info, "GET /v2/user/info/"))
        self.route("POST", "/v2/video/list", self.api(self.video_list, "POST /v2/video/list/",
                                                      "video.list"))
        self.route("POST", "/v2/post/publish/creator_info/query",
                   self.api(self.creator_info, "POST /v2/post/publish/creator_info/query/",
                            "video.publish"))
        self.route("POST", "/v2/post/publish/content/init",
                   self.api(self.content_init, "POST /v2/post/publish/content/init/",
                            "video.publish"))
        self.route("POST", "/v2/post/publish/video/init",
                   self.api(self.video_init, "POST /v2/post/publish/video/init/",
                            "video.publish"))
        self.route("POST", "/v2/post/publish/status/fetch",
                   self.api(self.status_fetch, "POST /v2/post/publish/status/fetch/",
                            "video.publish"))

    def seed(self, n, start=None):
        with self.ids_lock:
            t = start or int(time.time())
            for _ in range(n):
                self.n += 1
                vid = str(7342000000000000000 + self.n)
                self.videos.insert(0, {
                    "id": vid, "create_time": t + self.n * 60,
                    "title": "", "video_description": TEXTS[self.n % len(TEXTS)] + " #%d" % self.n,
                    "share_url": "https://www.tiktok.com/@%s/video/%s?utm_source=open_api"
                                 % (USER["username"], vid),
                    "duration": 15, "like_count": 10 * self.n, "comment_count": self.n,
                    "share_count": 1, "view_count": 100 * self.n})
            self.videos.sort(key=lambda v: -v["create_time"])

    # ---- Login Kit -----------------------------------------------------------------------

    def args(self, req):
        return {k: req.arg(k, "") for k in ("client_key", "scope", "response_type",
                                             "redirect_uri", "state", "code_challenge",
                                             "code_challenge_method")}

    def check_authorize(self, a):
        if a["client_key"] not in CLIENTS:
            return "client_key: unknown app"
        if a["response_type"] != "code":
            return "response_type must be code"
        if not a["redirect_uri"] or not a["state"]:
            return "redirect_uri and state are required"
        scopes = a["scope"].split(",")
        if not a["scope"] or any(s not in SCOPES for s in scopes):
            return "scope: unknown scope in %s" % a["scope"]
        if a["code_challenge"] and a["code_challenge_method"] != "S256":
            return "code_challenge_method must be S256"
        return None

    def authorize(self, req):
        a = self.args(req)
        bad = self.check_authorize(a)
        if bad:
            return Reply(400, raw="<p>%s</p>" % html.escape(bad), content_type="text/html")
        hidden = "".join("<input type='hidden' name='%s' value='%s'>" % (k, html.escape(v, True))
                         for k, v in a.items())
        scopes = "".join("<li>%s</li>" % html.escape(s) for s in a["scope"].split(","))
        page = ("<!doctype html><title>TikTok</title><h1>%s would like to access your TikTok "
                "account</h1><p>@%s</p><ul id='scopes'>%s</ul>"
                "<form method='post' action='/v2/auth/authorize/'>%s"
                "<input type='hidden' name='decision' value='allow'><button>Authorize</button></form>"
                "<form method='post' action='/v2/auth/authorize/'>%s"
                "<input type='hidden' name='decision' value='deny'><button>Cancel</button></form>"
                % (html.escape(a["client_key"]), USER["username"], scopes, hidden, hidden))
        return Reply(200, raw=page, content_type="text/html; charset=utf-8")

    def consent(self, req):
        a = self.args(req)
        bad = self.check_authorize(a)
        if bad:
            return Reply(400, raw=html.escape(bad), content_type="text/html")
        if req.arg("decision") != "allow":
            q = {"error": "access_denied", "error_description": "The user denied the request",
                 "state": a["state"]}
        else:
            code = base64.urlsafe_b64encode(os.urandom(24)).decode().rstrip("=")
            with self.lock:
                self.codes[code] = dict(a, used=False)
            q = {"code": code, "scopes": a["scope"], "state": a["state"]}
        loc = a["redirect_uri"] + ("&" if "?" in a["redirect_uri"] else "?") + \
            urllib.parse.urlencode(q)
        return Reply(302, raw="<a href='%s'>back</a>" % html.escape(loc, True),
                     headers={"Location": loc}, content_type="text/html")

    def token(self, req):
        def oauth_err(code, desc):
            return Reply(200 if code == "invalid_grant" else 400,
                         {"error": code, "error_description": desc, "log_id": "2024tok"})
        ctype = (req.headers.get("Content-Type") or "").split(";")[0]
        if ctype != "application/x-www-form-urlencoded":
            return oauth_err("invalid_request", "Content-Type must be application/x-www-form-urlencoded")
        key, secret = req.arg("client_key"), req.arg("client_secret")
        if key not in CLIENTS or CLIENTS[key] != secret:
            return oauth_err("invalid_client", "Client key or secret is incorrect.")
        grant = req.arg("grant_type")
        with self.lock:
            if grant == "authorization_code":
                c = self.codes.get(req.arg("code", ""))
                if not c or c["used"]:
                    return oauth_err("invalid_grant", "Authorization code is expired.")
                if c["redirect_uri"] != req.arg("redirect_uri"):
                    return oauth_err("invalid_request", "redirect_uri does not match")
                if c["code_challenge"]:
                    v = req.arg("code_verifier", "")
                    want = base64.urlsafe_b64encode(hashlib.sha256(v.encode()).digest()) \
                        .decode().rstrip("=")
                    if want != c["code_challenge"]:
                        return oauth_err("invalid_grant", "Code verifier does not match.")
                c["used"] = True
                scope = c["scope"]
            elif grant == "refresh_token":
                r = self.refresh.get(req.arg("refresh_token", ""))
                if not r:
                    return oauth_err("invalid_grant", "Refresh token is invalid or expired.")
                scope = r["scope"]
            else:
                return oauth_err("unsupported_grant_type", "grant_type is not supported")
            access = "act." + base64.urlsafe_b64encode(os.urandom(24)).decode().rstrip("=")
            refresh = "rft." + base64.urlsafe_b64encode(os.urandom(24)).decode().rstrip("=")
            self.access[access] = {"scope": scope, "expires": time.time() + 86400}
            self.refresh[refresh] = {"scope": scope}
        return Reply(200, {"access_token": access, "expires_in": 86400,
                           "open_id": USER["open_id"], "refresh_expires_in": 31536000,
                           "refresh_token": refresh, "scope": scope, "token_type": "Bearer"})

    # ---- the APIs --------------------------------------------------------------------------

    def api(self, fn, name, scope=None):
        def run(req, **kw):
            tok = req.bearer()
            with self.lock:
                t = self.access.get(tok or "")
                if not t or t["expires"] < time.time():
                    return err("access_token_invalid",
                               "The access token is invalid or not found in the request.", 401)
                if scope and scope not in t["scope"].split(","):
                    return err("scope_not_authorized",
                               "The user did not authorize the scope required for completing "
                               "this request.", 401)
                minute = int(time.time() // 60)
                w = self.windows.get(name)
                if not w or w[0] != minute:
                    w = self.windows[name] = [minute, 0]
                w[1] += 1
                if w[1] > self.limits.get(name, 600):
                    r = err("rate_limit_exceeded",
                            "The API rate limit was exceeded. Please try again later.", 429)
                    r.headers["Retry-After"] = str(60 - int(time.time()) % 60)
                    return r
            if req.method == "POST" and name != "POST /v2/post/publish/creator_info/query/" \
                    and req.json is None:
                return err("invalid_params", "The request body must be JSON.")
            return fn(req, t, **kw)
        return run

    def fields(self, req, known):
        f = [x for x in (req.arg("fields") or "").split(",") if x]
        if not f:
            return None, err("invalid_params", "fields is required")
        bad = [x for x in f if x not in known]
        if bad:
            return None, err("invalid_params", "Invalid fields: %s" % ",".join(bad))
        return f, None

    def user_info(self, req, tok):
        f, bad = self.fields(req, USER_FIELDS)
        if bad:
            return bad
        scopes = tok["scope"].split(",")
        missing = [x for x in f if USER_FIELDS[x] not in scopes]
        if missing:
            return err("scope_not_authorized", "Fields need scopes not granted: %s"
                       % ",".join(missing), 401)
        u = dict(USER, video_count=len(self.videos))
        return ok({"user": {k: u[k] for k in f}})

    def video_list(self, req, tok):
        f, bad = self.fields(req, VIDEO_FIELDS)
        if bad:
            return bad
        body = req.json or {}
        n = body.get("max_count", 10)
        if not isinstance(n, int) or n < 1 or n > 20:
            return err("invalid_params", "max_count must be between 1 and 20")
        cursor = body.get("cursor")
        with self.lock:
            vids = [v for v in self.videos if cursor is None or v["create_time"] * 1000 < cursor]
            chunk = vids[:n]
        more = len(vids) > n
        nxt = chunk[-1]["create_time"] * 1000 if chunk else (cursor or 0)
        return ok({"videos": [{k: v[k] for k in f if k in v} for v in chunk],
                   "cursor": nxt, "has_more": more})

    def creator_info(self, req, tok):
        return ok({"creator_avatar_url": USER["avatar_url"], "creator_username": USER["username"],
                   "creator_nickname": USER["display_name"],
                   "privacy_level_options": ["PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS",
                                             "SELF_ONLY"],
                   "comment_disabled": False, "duet_disabled": False, "stitch_disabled": True,
                   "max_video_post_duration_sec": 600})

    def publish(self, text, url, privacy, kind):
        if privacy not in ("PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS", "FOLLOWER_OF_CREATOR",
                           "SELF_ONLY"):
            return err("privacy_level_option_mismatch", "privacy_level is not one of the creator's")
        if not url or not url.startswith("https://"):
            return err("invalid_params", "the media URL must be https and verified")
        if len(text) > (4000 if kind == "photo" else 2200):
            return err("invalid_params", "The text is too long.")
        with self.lock:
            if self.spam:
                self.spam = False
                return err("spam_risk_too_many_posts",
                           "The daily post cap from the API is reached for the current user.", 403)
        self.seed(1)
        with self.lock:
            v = self.videos[0]
            v["video_description"] = text
            pid = "p_pub_url~v2.%d" % self.n if kind == "photo" else "v_pub_url~v2.%d" % self.n
            self.published[pid] = v["id"]
        return ok({"publish_id": pid})

    def content_init(self, req, tok):
        b = req.json
        info, src = b.get("post_info") or {}, b.get("source_info") or {}
        if b.get("media_type") != "PHOTO" or b.get("post_mode") not in ("DIRECT_POST", "MEDIA_UPLOAD"):
            return err("invalid_params", "media_type must be PHOTO and post_mode DIRECT_POST or MEDIA_UPLOAD")
        if src.get("source") != "PULL_FROM_URL" or not src.get("photo_images"):
            return err("invalid_params", "source_info needs PULL_FROM_URL and photo_images")
        return self.publish(info.get("description", ""), src["photo_images"][0],
                            info.get("privacy_level"), "photo")

    def video_init(self, req, tok):
        b = req.json
        info, src = b.get("post_info") or {}, b.get("source_info") or {}
        if src.get("source") != "PULL_FROM_URL" or not src.get("video_url"):
            return err("invalid_params", "source_info needs PULL_FROM_URL and video_url")
        return self.publish(info.get("title", ""), src["video_url"], info.get("privacy_level"),
                            "video")

    def status_fetch(self, req, tok):
        pid = (req.json or {}).get("publish_id")
        with self.lock:
            vid = self.published.get(pid)
        if not vid:
            return err("invalid_publish_id", "publish_id does not exist")
        return ok({"status": "PUBLISH_COMPLETE", "publicaly_available_post_id": [int(vid)],
                   "uploaded_bytes": 0})

    # ---- control ------------------------------------------------------------------------------

    def state(self, req):
        s = req.json or {}
        if s.get("seed_videos"):
            self.seed(int(s["seed_videos"]))
        with self.lock:
            if s.get("revoke"):
                self.access.clear()
                self.refresh.clear()
            if s.get("expire_access"):
                for t in self.access.values():
                    t["expires"] = 0
            if "limits" in s:
                self.limits.update(s["limits"])
                self.windows.clear()
            if s.get("spam"):
                self.spam = True
            return Reply(200, {"videos": len(self.videos), "published": list(self.published),
                               "codes": len(self.codes), "tokens": list(self.access)})


if __name__ == "__main__":
    main(TikTok)
