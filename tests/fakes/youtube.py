"""A fake of Google's OAuth 2.0 and the YouTube Data API v3 as Google
documents them: the consent screen at /o/oauth2/v2/auth (access_type,
prompt, PKCE), codes and refresh tokens at POST /token (a confidential
client: client_id and client_secret in the form; refresh tokens are not
rotated), and under /youtube/v3: channels?mine=true, playlistItems of the
uploads, videos?id= with statistics, commentThreads by
allThreadsRelatedToChannelId and comments by parentId (pageToken /
nextPageToken), comments.insert, comments.setModerationStatus,
comments.delete and videos.delete; Google's error bodies
({error: {code, message, errors: [{reason, domain}]}}), quota units spent
per call and 403 quotaExceeded when the day's quota is used up.

The comment threads are ../shared/data/youtube/comment_threads_*_all_to_me.json
and a parent's replies comments_comments_by_parent_paged_{1,2}.json when
that data is there (real answers; their channel's id becomes the fake
channel's), else a few built-in ones.

Client: "kanal-yt.apps.googleusercontent.com" with secret "yt-secret".

POST /_fake/state, any of:
  {"seed_videos": N, "seed_comments": N}  N new uploads / top-level comments
  {"revoke": true}         every access and refresh token stops working
  {"expire_access": true}  every access token has expired (refresh tokens still work)
  {"quota": N}             N units left today
Every answer is the state: {"channel_id", "videos", "threads", "comments" (counts),
"replies" (texts of the channel's own replies), "moderation" (id: status),
"deleted" (ids), "quota_used", "codes", "access_tokens"}.
"""
import base64
import copy
import hashlib
import html
import json
import os
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fakebase import Fake, Reply, main, page  # noqa: E402

CLIENTS = {"kanal-yt.apps.googleusercontent.com": "yt-secret"}
SCOPE = "https://www.googleapis.com/auth/youtube.force-ssl"
SCOPES = {SCOPE, "https://www.googleapis.com/auth/youtube",
          "https://www.googleapis.com/auth/youtube.readonly"}
# Quota units per call (the API's cost table); 10,000 a day.
COST = {"list": 1, "insert": 50, "setModerationStatus": 50, "delete": 50}
CHANNEL = "UCa-vrCLQHviTOVnEKDOdetQ"


def gerror(code, message, reason, domain="youtube.api"):
    return {"error": {"code": code, "message": message,
                      "errors": [{"message": message, "domain": domain, "reason": reason}]}}


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(t))


def comment(cid, channel, video, author, author_id, text, at, parent=None):
    sn = {"authorDisplayName": author, "authorChannelId": {"value": author_id},
          "channelId": channel, "videoId": video, "textDisplay": html.escape(text),
          "textOriginal": text, "canRate": True, "viewerRating": "none", "likeCount": 0,
          "publishedAt": at, "updatedAt": at}
    if parent:
        sn["parentId"] = parent
    if not video:  # a comment on the channel itself
        del sn["videoId"]
    return {"kind": "youtube#comment", "etag": "e-" + cid, "id": cid, "snippet": sn}


class YouTube(Fake):
    name = "youtube"

    def __init__(self, data_dir):
        super().__init__(data_dir)
        self.channel_id = CHANNEL
        self.videos = []
        self.threads = []   # commentThread resources, newest first
        self.replies = {}   # parent id: [comment], oldest first
        self.n = 0
        for i in range(3):
            self.add_video("Video %d" % (i + 1), "2019-11-%02dT10:00:00.000Z" % (20 + i))
        p = self.data("youtube", "comment_threads_comment_threads_all_to_me.json")
        if p:
            with open(p, encoding="utf-8") as f:
                self.threads = json.load(f)["items"]
            self.channel_id = self.threads[0]["snippet"].get("channelId", CHANNEL)
            for t in self.threads:
                t["snippet"]["channelId"] = self.channel_id
                t["snippet"]["topLevelComment"]["snippet"]["channelId"] = self.channel_id
        else:
            for i, (who, text) in enumerate([("Maja Lind", "När är nästa video?"),
                                             ("Aino Virtanen", "Kiitos, hyvä video!")]):
                cid = "UgzBuiltin%03dAaABAg" % i
                c = comment(cid, self.channel_id, self.videos[i]["id"], who, "UCauthor%d" % i,
                            text, "2019-12-0%dT10:00:00.000Z" % (i + 1))
                self.threads.append(self.thread_of(c))
        for i, (name, nxt) in enumerate((("comments_comments_by_parent_paged_1.json", True),
                                         ("comments_comments_by_parent_paged_2.json", False))):
            q = self.data("youtube", name)
            if q:
                with open(q, encoding="utf-8") as f:
                    for c in json.load(f)["items"]:
                        self.replies.setdefault(c["snippet"]["parentId"], []).insert(0, c)
        for t in self.threads:
            n = len(self.replies.get(t["id"], []))
            t["snippet"]["totalReplyCount"] = max(t["snippet"].get("totalReplyCount", 0), n)
        for v in self.videos:
            v["snippet"]["channelId"] = self.channel_id
        # Videos the comments are on exist too.
        for vid in {t["snippet"].get("videoId") for t in self.threads} - {None} - {v["id"] for v in self.videos}:
            self.add_video("Video " + vid, "2019-11-01T10:00:00.000Z", vid)
        self.codes, self.access, self.refresh = {}, {}, {}
        self.moderation, self.deleted = {}, []
        self.quota = 10000
        self.quota_used = 0
        self.route("GET", "/o/oauth2/v2/auth", self.authorize)
        self.route("POST", "/o/oauth2/v2/auth", self.consent)
        self.route("POST", "/token", self.token)
        for method, path, fn, cost in (
                ("GET", "channels", self.channels, "list"),
                ("GET", "playlistItems", self.playlist_items, "list"),
                ("GET", "videos", self.videos_list, "list"),
                ("DELETE", "videos", self.video_delete, "delete"),
                ("GET", "commentThreads", self.comment_threads, "list"),
                ("GET", "comments", self.comments_list, "list"),
                ("POST", "comments", self.comments_insert, "insert"),
                ("DELETE", "comments", self.comments_delete, "delete"),
                ("POST", "comments/setModerationStatus", self.set_moderation, "setModerationStatus")):
            self.route(method, "/youtube/v3/" + path, self.api(fn, cost))

    def add_video(self, title, at, vid=None):
        self.n += 1
        vid = vid or base64.urlsafe_b64encode(hashlib.sha1(title.encode()).digest()).decode()[:11]
        self.videos.insert(0, {"kind": "youtube#video", "id": vid, "snippet": {
            "publishedAt": at, "channelId": getattr(self, "channel_id", CHANNEL),
            "title": title, "description": "", "channelTitle": "Kanal Desk",
            "liveBroadcastContent": "none"},
            "statistics": {"viewCount": str(100 * self.n), "likeCount": str(self.n),
                           "favoriteCount": "0", "commentCount": "0"}})
        self.videos.sort(key=lambda v: v["snippet"]["publishedAt"], reverse=True)
        return vid

    def thread_of(self, c):
        return {"kind": "youtube#commentThread", "etag": "t-" + c["id"], "id": c["id"],
                "snippet": {"channelId": self.channel_id, "videoId": c["snippet"].get("videoId"),
                            "topLevelComment": c, "canReply": True, "totalReplyCount": 0,
                            "isPublic": True}}

    # ---- OAuth ------------------------------------------------------------------------

    AUTH_ARGS = ("response_type", "client_id", "redirect_uri", "scope", "state", "code_challenge",
                 "code_challenge_method", "access_type", "prompt", "include_granted_scopes")

    def check_authorize(self, a):
        if a["client_id"] not in CLIENTS:
            return "Error 401: invalid_client. The OAuth client was not found."
        if a["response_type"] != "code":
            return "Error 400: invalid_request. response_type must be code"
        if not a["redirect_uri"] or not a["state"]:
            return "Error 400: invalid_request. redirect_uri and state are required"
        if a["code_challenge"] and a["code_challenge_method"] != "S256":
            return "Error 400: invalid_request. code_challenge_method must be S256"
        if a["access_type"] not in ("", "online", "offline"):
            return "Error 400: invalid_request. Invalid access_type: " + a["access_type"]
        bad = [s for s in a["scope"].split() if s not in SCOPES]
        if not a["scope"] or bad:
            return "Error 400: invalid_scope. Some requested scopes were invalid: " + " ".join(bad)
        return None

    def authorize(self, req):
        a = {k: req.arg(k, "") for k in self.AUTH_ARGS}
        bad = self.check_authorize(a)
        if bad:
            return Reply(400, raw="<!doctype html><p>%s</p>" % html.escape(bad),
                         content_type="text/html; charset=utf-8")
        hidden = "".join('<input type="hidden" name="%s" value="%s">' % (k, html.escape(v, True))
                         for k, v in a.items())
        scopes = "".join("<li>%s</li>" % html.escape(s) for s in a["scope"].split())
        return Reply(200, raw="<!doctype html><title>Sign in - Google Accounts</title>"
                              "<h1>kanal wants access to your Google Account</h1><ul>%s</ul>"
                              "<form method=\"post\" action=\"/o/oauth2/v2/auth\">%s"
                              "<button name=\"decision\" value=\"allow\">Allow</button>"
                              "<button name=\"decision\" value=\"deny\">Cancel</button></form>"
                              % (scopes, hidden), content_type="text/html; charset=utf-8")

    def consent(self, req):
        a = {k: req.arg(k, "") for k in self.AUTH_ARGS}
        bad = self.check_authorize(a)
        if bad:
            return Reply(400, raw=html.escape(bad), content_type="text/html")
        if req.arg("decision") != "allow":
            q = {"error": "access_denied", "state": a["state"]}
        else:
            code = "4/" + base64.urlsafe_b64encode(os.urandom(24)).decode().rstrip("=")
            with self.lock:
                self.codes[code] = dict(a, used=False)
            q = {"state": a["state"], "code": code, "scope": a["scope"]}
        loc = a["redirect_uri"] + ("&" if "?" in a["redirect_uri"] else "?") + urllib.parse.urlencode(q)
        return Reply(302, raw='<a href="%s">%s</a>' % (html.escape(loc, True), html.escape(loc)),
                     headers={"Location": loc}, content_type="text/html")

    def issue(self, scope, offline):
        tok = {"access_token": "ya29." + base64.urlsafe_b64encode(os.urandom(30)).decode().rstrip("="),
               "expires_in": 3599, "scope": scope, "token_type": "Bearer"}
        self.access[tok["access_token"]] = {"scope": scope.split(), "expires": time.time() + 3599}
        if offline:
            tok["refresh_token"] = "1//" + base64.urlsafe_b64encode(os.urandom(30)).decode().rstrip("=")
            self.refresh[tok["refresh_token"]] = scope
        return tok

    def token(self, req):
        ctype = (req.headers.get("Content-Type") or "").split(";")[0].strip()
        if ctype != "application/x-www-form-urlencoded":
            return Reply(400, {"error": "invalid_request", "error_description": "Bad Request"})
        cid = req.arg("client_id")
        if cid not in CLIENTS or CLIENTS[cid] != req.arg("client_secret"):
            return Reply(401, {"error": "invalid_client", "error_description": "Unauthorized"})
        grant = req.arg("grant_type")
        with self.lock:
            if grant == "authorization_code":
                code = self.codes.get(req.arg("code") or "")
                if not code or code["used"] or code["client_id"] != cid \
                        or req.arg("redirect_uri") != code["redirect_uri"]:
                    return Reply(400, {"error": "invalid_grant", "error_description": "Bad Request"})
                if code["code_challenge"]:
                    v = req.arg("code_verifier") or ""
                    want = base64.urlsafe_b64encode(hashlib.sha256(v.encode()).digest()).decode().rstrip("=")
                    if want != code["code_challenge"]:
                        return Reply(400, {"error": "invalid_grant",
                                           "error_description": "Invalid code verifier."})
                code["used"] = True
                # A refresh token only with offline access, and on a second
                # consent only when prompt=consent asked for one again.
                return Reply(200, self.issue(code["scope"], code["access_type"] == "offline"))
            if grant == "refresh_token":
                scope = self.refresh.get(req.arg("refresh_token") or "")
                if not scope:
                    return Reply(400, {"error": "invalid_grant",
                                       "error_description": "Token has been expired or revoked."})
                return Reply(200, self.issue(scope, False))
        return Reply(400, {"error": "unsupported_grant_type",
                           "error_description": "Invalid grant_type: %s" % grant})

    # ---- the API ----------------------------------------------------------------------

    def api(self, fn, cost):
        def handler(req, **args):
            with self.lock:
                tok = self.access.get(req.bearer() or "")
                if not tok or tok["expires"] < time.time():
                    return Reply(401, gerror(401, "Request had invalid authentication credentials. "
                                             "Expected OAuth 2 access token, login cookie or other "
                                             "valid authentication credential.", "authError",
                                             "global"),
                                 headers={"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/"'})
                if self.quota < COST[cost]:
                    return Reply(403, gerror(403, "The request cannot be completed because you have "
                                             "exceeded your <a href=\"/youtube/v3/getting-started#quota\">quota</a>.",
                                             "quotaExceeded", "youtube.quota"))
                self.quota -= COST[cost]
                self.quota_used += COST[cost]
            if req.method != "GET" and SCOPE not in tok["scope"] \
                    and "https://www.googleapis.com/auth/youtube" not in tok["scope"]:
                return Reply(403, gerror(403, "Request had insufficient authentication scopes.",
                                         "insufficientPermissions", "global"))
            with self.lock:
                return fn(req)
        return handler

    def need(self, req, *names):
        for n in names:
            if not req.arg(n):
                return Reply(400, gerror(400, "No filter selected. Expected one of: %s" % n,
                                         "missingRequiredParameter", "youtube.parameter"))
        return None

    def listing(self, kind, items, req, max_limit=50):
        mr = req.arg("maxResults", "5")
        if not mr.isdigit() or not 0 <= int(mr) <= max_limit:
            return Reply(400, gerror(400, "Invalid value for maxResults: %s" % mr,
                                     "invalidParameter", "youtube.parameter"))
        tok = req.arg("pageToken")
        if tok:
            try:
                cursor = base64.urlsafe_b64decode(tok + "==").decode()
                int(cursor)
            except ValueError:
                return Reply(400, gerror(400, "The request specifies an invalid page token.",
                                         "invalidPageToken", "youtube.parameter"))
        else:
            cursor = "0"
        chunk, nxt = page(items, cursor, int(mr) or 5, max_limit)
        body = {"kind": "youtube#%sListResponse" % kind, "etag": "e",
                "pageInfo": {"totalResults": len(items), "resultsPerPage": int(mr)},
                "items": chunk}
        if nxt:
            body["nextPageToken"] = base64.urlsafe_b64encode(nxt.encode()).decode().rstrip("=")
        return Reply(200, body)

    def channels(self, req):
        bad = self.need(req, "part")
        if bad:
            return bad
        if req.arg("mine") != "true":
            return Reply(400, gerror(400, "No filter selected.", "missingRequiredParameter"))
        ch = {"kind": "youtube#channel", "etag": "c", "id": self.channel_id,
              "snippet": {"title": "Kanal Desk", "customUrl": "@kanaldesk",
                          "publishedAt": "2015-01-01T00:00:00Z"},
              "contentDetails": {"relatedPlaylists": {"likes": "", "uploads": "UU" + self.channel_id[2:]}},
              "statistics": {"viewCount": "12345", "subscriberCount": "678",
                             "hiddenSubscriberCount": False, "videoCount": str(len(self.videos))}}
        return Reply(200, {"kind": "youtube#channelListResponse", "etag": "l",
                           "pageInfo": {"totalResults": 1, "resultsPerPage": 5}, "items": [ch]})

    def playlist_items(self, req):
        bad = self.need(req, "part", "playlistId")
        if bad:
            return bad
        if req.arg("playlistId") != "UU" + self.channel_id[2:]:
            return Reply(404, gerror(404, "The playlist identified with the request's playlistId "
                                     "parameter cannot be found.", "playlistNotFound"))
        items = [{"kind": "youtube#playlistItem", "id": "PI" + v["id"],
                  "contentDetails": {"videoId": v["id"], "videoPublishedAt": v["snippet"]["publishedAt"]}}
                 for v in self.videos]
        return self.listing("playlistItem", items, req)

    def videos_list(self, req):
        bad = self.need(req, "part", "id")
        if bad:
            return bad
        ids = req.arg("id").split(",")
        if len(ids) > 50:
            return Reply(400, gerror(400, "Too many ids", "invalidParameter"))
        by = {v["id"]: v for v in self.videos}
        return Reply(200, {"kind": "youtube#videoListResponse", "etag": "v",
                           "pageInfo": {"totalResults": len(ids), "resultsPerPage": len(ids)},
                           "items": [by[i] for i in ids if i in by]})

    def video_delete(self, req):
        v = next((v for v in self.videos if v["id"] == req.arg("id")), None)
        if not v:
            return Reply(404, gerror(404, "The video that you are trying to delete cannot be found.",
                                     "videoNotFound"))
        self.videos.remove(v)
        self.deleted.append(v["id"])
        return Reply(204)

    def comment_threads(self, req):
        bad = self.need(req, "part", "allThreadsRelatedToChannelId")
        if bad:
            return bad
        if req.arg("allThreadsRelatedToChannelId") != self.channel_id:
            return Reply(200, {"kind": "youtube#commentThreadListResponse", "items": []})
        out = []
        for t in self.threads:
            t = copy.deepcopy(t)
            reps = self.replies.get(t["id"], [])
            t["snippet"]["totalReplyCount"] = len(reps)
            if "replies" in (req.arg("part") or "") and reps:
                t["replies"] = {"comments": list(reversed(reps))[:5]}
            out.append(t)
        return self.listing("commentThread", out, req, 100)

    def find(self, cid):
        for t in self.threads:
            c = t["snippet"]["topLevelComment"]
            if c["id"] == cid:
                return c, t
            for r in self.replies.get(t["id"], []):
                if r["id"] == cid:
                    return r, t
        return None, None

    def comments_list(self, req):
        bad = self.need(req, "part", "parentId")
        if bad:
            return bad
        parent, _ = self.find(req.arg("parentId"))
        if not parent:
            return Reply(404, gerror(404, "The comment identified by the parentId parameter could "
                                     "not be found.", "parentCommentNotFound"))
        return self.listing("comment", self.replies.get(parent["id"], []), req, 100)

    def comments_insert(self, req):
        body = req.json if isinstance(req.json, dict) else {}
        sn = body.get("snippet") or {}
        text, parent_id = sn.get("textOriginal"), sn.get("parentId")
        if not isinstance(text, str) or not text.strip():
            return Reply(400, gerror(400, "The comment's text is empty.", "commentTextRequired"))
        if len(text) > 10000:
            return Reply(400, gerror(400, "The comment's text is too long.", "commentTextTooLong"))
        parent, thread = self.find(parent_id or "")
        if not parent or parent.get("snippet", {}).get("parentId"):
            return Reply(404, gerror(404, "The comment identified by the parentId parameter could "
                                     "not be found.", "parentCommentNotFound"))
        cid = "%s.%s" % (parent["id"], base64.urlsafe_b64encode(os.urandom(9)).decode())
        c = comment(cid, self.channel_id, thread["snippet"].get("videoId"), "Kanal Desk",
                    self.channel_id, text, iso(time.time()), parent["id"])
        self.replies.setdefault(parent["id"], []).append(c)
        return Reply(200, c)

    def comments_delete(self, req):
        c, t = self.find(req.arg("id") or "")
        if not c:
            return Reply(404, gerror(404, "The comment could not be found.", "commentNotFound"))
        if c["snippet"]["authorChannelId"]["value"] != self.channel_id:
            return Reply(403, gerror(403, "The comment could not be deleted: only its author can.",
                                     "forbidden"))
        self.replies[c["snippet"]["parentId"]].remove(c)
        self.deleted.append(c["id"])
        return Reply(204)

    def set_moderation(self, req):
        status = req.arg("moderationStatus")
        if status not in ("heldForReview", "published", "rejected"):
            return Reply(400, gerror(400, "Invalid moderationStatus", "invalidModerationStatus"))
        ids = (req.arg("id") or "").split(",")
        for i in ids:
            c, _ = self.find(i)
            if not c:
                return Reply(404, gerror(404, "The comment could not be found.", "commentNotFound"))
            if c["snippet"]["authorChannelId"]["value"] == self.channel_id:
                return Reply(400, gerror(400, "The channel's own comment cannot be moderated.",
                                         "operationNotSupported"))
        for i in ids:
            self.moderation[i] = status
        return Reply(204)

    # ---- control ------------------------------------------------------------------------

    def state(self, req):
        s = req.json or {}
        with self.lock:
            for _ in range(int(s.get("seed_videos", 0))):
                self.add_video("Seeded video %d" % self.n, iso(time.time() + self.n))
            for i in range(int(s.get("seed_comments", 0))):
                self.n += 1
                cid = "UgzSeed%05dAaABAg" % self.n
                c = comment(cid, self.channel_id, self.videos[0]["id"], "Seeder %d" % i,
                            "UCseed%d" % i, "Seeded comment %d" % self.n, iso(time.time()))
                self.threads.insert(0, self.thread_of(c))
            if s.get("revoke"):
                self.access.clear()
                self.refresh.clear()
            if s.get("expire_access"):
                for t in self.access.values():
                    t["expires"] = 0
            if "quota" in s:
                self.quota = int(s["quota"])
            own = [r["snippet"]["textOriginal"] for rs in self.replies.values() for r in rs
                   if r["snippet"]["authorChannelId"]["value"] == self.channel_id]
            return Reply(200, {"channel_id": self.channel_id, "videos": len(self.videos),
                               "threads": len(self.threads), "replies": own,
                               "comments": len(self.threads) + sum(map(len, self.replies.values())),
                               "moderation": dict(self.moderation), "deleted": list(self.deleted),
                               "quota_used": self.quota_used, "codes": len(self.codes),
                               "access_tokens": len(self.access)})


if __name__ == "__main__":
    main(YouTube)
