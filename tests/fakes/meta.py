"""Meta's Graph API as its documentation describes it, for Facebook Pages and
Instagram business accounts: Facebook Login (the dialog, codes, short- and
long-lived user tokens, Page tokens from /me/accounts), a Page's feed,
published posts, comments, insights and Messenger conversations, an
Instagram account's media, comments, replies and insights, and the actions
(publish, reply, hide, delete, like; Instagram's container + media_publish).

Everything is under one version prefix (/v21.0); another version gets Meta's
error for it. Tokens go in the access_token parameter or as a bearer. Errors
are Meta's bodies: {"error": {"message", "type", "code", "error_subcode",
"fbtrace_id"}} (190 invalid or expired token, 100 invalid parameter, 200
permission, 368 blocked, 4 rate limited with X-App-Usage).

With ../shared/data the lists are the real payloads there (the page feed
from meta/graph/posts_feeds_default_fields_p1/p2, its comments, Instagram
media, comments and insights from instagram/graph_*.json), paged as their
_p1/_p2 files are; without it, a small page and account of its own. What it
is sent (posts, replies, hides) shows in the lists after.

State controls (POST /_fake/state): {"expire": true} every token issued so
far expires (190/463); {"block": true} actions are refused with 368;
{"usage": N} X-App-Usage says N percent (100: calls refused with code 4);
{"issue_code": REDIRECT_URI} a code as the consent screen would give it
(for tests that do not drive the screen). Every answer holds the state:
page_id, ig_id, and the objects with their kind, text and hidden/deleted.
"""
import base64
import html
import json
import os
import re
import sys
import time
import urllib.parse
from datetime import datetime, timezone

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fakebase import Fake, Reply, main  # noqa: E402

VERSION = "v21.0"
CLIENT_ID = "kanal-meta-app"
CLIENT_SECRET = "kanal-meta-secret"
FB_TEXT_MAX = 63206  # a Page post's message
IG_CAPTION_MAX = 2200


def graph_time(t):
    return datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S+0000")


def parse_time(s):
    try:
        return int(datetime.strptime(s, "%Y-%m-%dT%H:%M:%S%z").timestamp())
    except (TypeError, ValueError):
        return 0


def split_fields(spec):
    """Graph's fields parameter: top-level names, each maybe with {sub
    fields}, .modifier(x) chains and .as(alias). Returns the keys the answer
    has: the alias when given, else the name."""
    out, depth, cur = [], 0, ""
    for ch in spec or "":
        if ch in "{(":
            depth += 1
        elif ch in "})":
            depth -= 1
        if ch == "," and depth == 0:
            out.append(cur)
            cur = ""
        else:
            cur += ch
    if cur:
        out.append(cur)
    keys = []
    for f in out:
        f = f.strip()
        m = re.search(r"\.as\(([^)]*)\)", f)
        keys.append(m.group(1) if m else re.split(r"[{.(]", f, 1)[0])
    return keys


class Meta(Fake):
    name = "meta"

    def __init__(self, data_dir):
        super().__init__(data_dir)
        self.codes = {}  # code -> redirect_uri
        self.tokens = {}  # token -> {"kind": user|page, "page": id, "expires": t or 0, "long": bool}
        self.expired_all = False
        self.blocked = False
        self.usage = 0
        self.serial = 1000
        self.objects = {}  # id -> dict (kind and fields)
        self.lists = {}  # (owner, edge) -> [items, newest first], or [[page1], [page2]] for files
        self.load()
        r = self.route
        r("GET", "/{ver}/dialog/oauth", self.dialog)
        r("POST", "/{ver}/dialog/oauth", self.consent)
        r("GET", "/{ver}/oauth/access_token", self.access_token)
        r("GET", "/{ver}/me/accounts", self.accounts)
        r("GET", "/{ver}/me", self.me)
        for edge in ("feed", "published_posts", "comments", "insights", "conversations", "media",
                     "replies", "messages"):
            r("GET", "/{ver}/{obj}/" + edge, self.list_edge)
        r("GET", "/{ver}/{obj}", self.get_object)
        r("POST", "/{ver}/{obj}/feed", self.publish_post)
        r("POST", "/{ver}/{obj}/photos", self.publish_photo)
        r("POST", "/{ver}/{obj}/comments", self.reply)
        r("POST", "/{ver}/{obj}/replies", self.ig_reply)
        r("POST", "/{ver}/{obj}/likes", self.like)
        r("POST", "/{ver}/{obj}/media", self.ig_container)
        r("POST", "/{ver}/{obj}/media_publish", self.ig_publish)
        r("POST", "/{ver}/{obj}", self.update_object)
        r("DELETE", "/{ver}/{obj}", self.delete_object)

    # ---- data ---------------------------------------------------------------------------

    def load_json(self, *parts):
        p = self.data(*parts)
        if not p:
            return None
        with open(p, encoding="utf-8") as f:
            return json.load(f)

    def load(self):
        feed1 = self.load_json("meta", "graph", "posts_feeds_default_fields_p1.json")
        feed2 = self.load_json("meta", "graph", "posts_feeds_default_fields_p2.json")
        if feed1 and feed2:
            self.page_id = feed1["data"][0]["id"].split("_")[0]
            self.page = {"id": self.page_id, "name": "Meta for Business", "username": "MetaforBusiness",
                         "fan_count": 0, "followers_count": 0}
            page = self.load_json("meta", "graph", "pages_single_fields_page.json")
            if page and page.get("id") == self.page_id:
                self.page.update(page)
            self.lists[(self.page_id, "feed")] = [feed1["data"], feed2["data"]]
            c1 = self.load_json("meta", "graph", "comments_comments_p1.json")
            c2 = self.load_json("meta", "graph", "comments_comments_p2.json")
            if c1 and c2:
                m = re.search(r"/(\d+_\d+)/comments", c1["paging"]["next"])
                if m:
                    self.lists[(m.group(1), "comments")] = [c1["data"], c2["data"]]
            for p in feed1["data"] + feed2["data"]:
                self.objects[p["id"]] = dict(p, _kind="post", _page=self.page_id)
        else:
            self.page_id = "1001"
            self.page = {"id": "1001", "name": "Kanal Test Page", "username": "kanaltest",
                         "fan_count": 1200, "followers_count": 1234}
            base = 1764000000
            posts = []
            for i, text in enumerate(["Our opening hours change in December.",
                                      "Read the annual report: https://example.org/report",
                                      "Thank you for 1,000 followers!"]):
                pid = "1001_%d" % (5000 + i)
                posts.insert(0, {"id": pid, "message": text, "created_time": graph_time(base + i * 86400),
                                 "permalink_url": "https://www.facebook.com/1001/posts/%d" % (5000 + i),
                                 "status_type": "mobile_status_update",
                                 "reactions": {"data": [], "summary": {"total_count": 10 + i}},
                                 "shares": {"count": i}})
            self.lists[(self.page_id, "feed")] = posts
            for p in posts:
                self.objects[p["id"]] = dict(p, _kind="post", _page="1001")
            for n, p in enumerate(posts[:2]):
                post_no = p["id"].split("_")[1]
                cid = "%s_%d" % (post_no, 7000 + n)
                rid = "%s_%d" % (post_no, 7100 + n)
                c = {"id": cid, "message": "When do you open on Saturdays?" if n == 0 else "Great report",
                     "created_time": graph_time(parse_time(p["created_time"]) + 600),
                     "from": {"id": "3001", "name": "Anna Virtanen"}, "like_count": 1, "comment_count": 1,
                     "permalink_url": "https://www.facebook.com/1001/posts/%s/?comment_id=%d" % (post_no, 7000 + n)}
                rep = {"id": rid, "message": "From ten to four.", "parent": {"id": cid},
                       "created_time": graph_time(parse_time(p["created_time"]) + 1200),
                       "from": {"id": "1001", "name": "Kanal Test Page"}, "like_count": 0, "comment_count": 0,
                       "permalink_url": "https://www.facebook.com/1001/posts/%s/?comment_id=%d&reply_comment_id=%d"
                       % (post_no, 7000 + n, 7100 + n)}
                self.lists[(p["id"], "comments")] = [c, rep]
                self.objects[cid] = dict(c, _kind="comment", _post=p["id"], _page="1001")
                self.objects[rid] = dict(rep, _kind="comment", _post=p["id"], _page="1001")
            for p in posts:
                p["comments"] = {"data": [], "summary": {"total_count": len(self.lists.get((p["id"], "comments"), []))}}
                self.objects[p["id"]]["comments"] = p["comments"]
        self.objects[self.page_id] = dict(self.page, _kind="page")

        m1 = self.load_json("instagram", "graph_users_medias_p1.json")
        m2 = self.load_json("instagram", "graph_users_medias_p2.json")
        if m1 and m2:
            mm = re.search(r"/(\d+)/media", m1["paging"]["next"])
            self.ig_id = mm.group(1) if mm else "17841406338772941"
            self.lists[(self.ig_id, "media")] = [m1["data"], m2["data"]]
            for x in m1["data"] + m2["data"]:
                self.objects[x["id"]] = dict(x, _kind="ig_media", _ig=self.ig_id)
            c1 = self.load_json("instagram", "graph_medias_comments_p1.json")
            c2 = self.load_json("instagram", "graph_medias_comments_p2.json")
            if c1 and c2:
                mc = re.search(r"/(\d+)/comments", c1["paging"]["next"])
                if mc:
                    self.lists[(mc.group(1), "comments")] = [c1["data"], c2["data"]]
                    for x in c1["data"] + c2["data"]:
                        self.objects[x["id"]] = dict(x, _kind="ig_comment", _media=mc.group(1))
            ins = self.load_json("instagram", "graph_users_user_insights.json")
            if ins:
                self.lists[(self.ig_id, "insights")] = ins["data"]
            ins = self.load_json("instagram", "graph_medias_insights.json")
            if ins:
                owner = ins["data"][0]["id"].split("/")[0]
                self.lists[(owner, "insights")] = ins["data"]
            self.ig = {"id": self.ig_id, "username": "ikroskun", "name": "ikroskun", "followers_count": 0,
                       "media_count": len(m1["data"]) + len(m2["data"])}
        else:
            self.ig_id = "17841400000000001"
            self.ig = {"id": self.ig_id, "username": "kanal.test", "name": "Kanal Test",
                       "followers_count": 321, "media_count": 2}
            media = []
            for i in range(2):
                mid = "1790000000000000%d" % i
                media.insert(0, {"id": mid, "caption": "Photo %d from the archive" % (i + 1),
                                 "media_type": "IMAGE", "media_product_type": "FEED",
                                 "permalink": "https://www.instagram.com/p/KANAL%d/" % i,
                                 "timestamp": graph_time(1764000000 + i * 3600),
                                 "like_count": 5 + i, "comments_count": 2 if i == 0 else 0})
            self.lists[(self.ig_id, "media")] = media
            for x in media:
                self.objects[x["id"]] = dict(x, _kind="ig_media", _ig=self.ig_id)
            mid = "17900000000000000"
            c = {"id": "17950000000000001", "text": "Where was this taken?", "username": "anna.v",
                 "timestamp": graph_time(1764000600), "like_count": 0, "hidden": False,
                 "media": {"id": mid},
                 "replies": {"data": [{"id": "17950000000000002", "text": "In Helsinki!",
                                       "username": "kanal.test", "timestamp": graph_time(1764001200),
                                       "like_count": 1}]}}
            self.lists[(mid, "comments")] = [c]
            self.objects[c["id"]] = dict(c, _kind="ig_comment", _media=mid)
            self.objects["17950000000000002"] = dict(c["replies"]["data"][0], _kind="ig_comment", _media=mid)
            self.lists[(self.ig_id, "insights")] = [
                {"name": "reach", "period": "day", "id": "%s/insights/reach/day" % self.ig_id,
                 "values": [{"value": 40, "end_time": graph_time(1764057600)},
                            {"value": 52, "end_time": graph_time(1764144000)}]}]
        self.objects[self.ig_id] = dict(self.ig, _kind="ig_user")
        self.page["instagram_business_account"] = {"id": self.ig_id, "username": self.ig["username"]}
        self.lists[(self.page_id, "insights")] = [
            {"name": n, "period": "day", "id": "%s/insights/%s/day" % (self.page_id, n),
             "values": [{"value": v, "end_time": graph_time(1764057600)},
                        {"value": v + 7, "end_time": graph_time(1764144000)}]}
            for n, v in (("page_follows", 1227), ("page_impressions_unique", 310))]
        self.lists[(self.page_id, "conversations")] = [
            {"id": "t_9001", "updated_time": graph_time(1764003600),
             "messages": {"data": [
                 {"id": "m_9001b", "created_time": graph_time(1764003600), "message": "We are open until four.",
                  "from": {"id": self.page_id, "name": self.page["name"]}},
                 {"id": "m_9001a", "created_time": graph_time(1764003000), "message": "Hello, are you open today?",
                  "from": {"id": "3002", "name": "Mikko Salo"}}]}}]

    def next_id(self):
        with self.lock:
            self.serial += 1
            return str(self.serial)

    # ---- answers -----------------------------------------------------------------------

    def not_found(self, req):
        return self.error(2500, "Unknown path components: %s" % req.path)

    def error(self, code, message, status=400, subcode=None, etype="OAuthException", headers=None):
        e = {"message": message, "type": etype, "code": code,
             "fbtrace_id": base64.b32encode(os.urandom(8)).decode()[:11]}
        if subcode:
            e["error_subcode"] = subcode
        return Reply(status, {"error": e}, headers)

    def usage_headers(self):
        return {"X-App-Usage": json.dumps({"call_count": self.usage, "total_cputime": max(0, self.usage - 10),
                                           "total_time": max(0, self.usage - 5)}),
                "X-Business-Use-Case-Usage": json.dumps({self.page_id: [
                    {"type": "pages", "call_count": self.usage, "total_cputime": 1, "total_time": 1,
                     "estimated_time_to_regain_access": 5 if self.usage >= 100 else 0}]})}

    def ok(self, body):
        return Reply(200, body, self.usage_headers() if self.usage else None)

    def check(self, req, ver, page=False, action=False):
        """The version, the token (and the Page token where a Page acts), and
        the rate budget; None when all is well, else Meta's error."""
        if ver != VERSION:
            return self.error(2500, "Unknown path components: /%s%s" % (ver, req.path[len(ver) + 1:]))
        tok = req.arg("access_token") or req.bearer()
        if not tok:
            return self.error(104, "An access token is required to request this resource.")
        t = self.tokens.get(tok)
        if not t:
            return self.error(190, "Invalid OAuth access token - Cannot parse access token")
        if self.expired_all or (t["expires"] and t["expires"] < time.time()):
            return self.error(190, "Error validating access token: Session has expired on Friday, "
                                   "05-Dec-25 08:00:00 PST. The current time is Saturday, 06-Dec-25 "
                                   "01:00:00 PST.", subcode=463)
        if self.usage >= 100:
            return self.error(4, "(#4) Application request limit reached", 403,
                              etype="OAuthException", headers=self.usage_headers())
        if action and self.blocked:
            return self.error(368, "It looks like you were misusing this feature by going too fast. "
                                   "You've been temporarily blocked from using it.", subcode=1390008)
        if page and t["kind"] != "page":
            return self.error(200, "(#200) If posting to a page, requires both pages_read_engagement "
                                   "and pages_manage_posts as an admin with sufficient administrative "
                                   "permission", 403)
        req.token = t
        return None

    def missing(self, obj):
        return self.error(100, "Unsupported get request. Object with ID '%s' does not exist, cannot be "
                               "loaded due to missing permissions, or does not support this operation. "
                               "Please read the Graph API documentation at "
                               "https://developers.facebook.com/docs/graph-api" % obj,
                          subcode=33, etype="GraphMethodException")

    def shape(self, item, fields):
        """An item with the fields asked for (all it has when none were)."""
        out = {k: v for k, v in item.items() if not k.startswith("_")}
        if not fields:
            return out
        keys = set(split_fields(fields)) | {"id"}
        return {k: v for k, v in out.items() if k in keys}

    # ---- Facebook Login ----------------------------------------------------------------

    def dialog(self, req, ver):
        if ver != VERSION:
            return Reply(400, raw="<p>Unknown version %s</p>" % html.escape(ver), content_type="text/html")
        cid, redirect, state = req.arg("client_id"), req.arg("redirect_uri"), req.arg("state")
        if cid != CLIENT_ID:
            return Reply(400, raw="<p>Invalid App ID: %s</p>" % html.escape(cid or ""), content_type="text/html")
        if not redirect or not redirect.startswith(("http://", "https://")):
            return Reply(400, raw="<p>URL blocked: redirect_uri is missing or not a URL</p>",
                         content_type="text/html")
        scope = req.arg("scope", "")
        hidden = "".join('<input type="hidden" name="%s" value="%s">' % (k, html.escape(v or ""))
                         for k, v in (("client_id", cid), ("redirect_uri", redirect), ("state", state),
                                      ("scope", scope)))
        page = ("<!doctype html><title>Log in with Facebook</title><h1>Kanal wants to manage your Pages</h1>"
                "<p>It asks for: %s</p><p>Pages: %s</p><form method=post>%s"
                "<button name=consent value=yes>Continue</button>"
                "<button name=consent value=no>Cancel</button></form>"
                % (html.escape(scope), html.escape(self.page["name"]), hidden))
        return Reply(200, raw=page, content_type="text/html; charset=utf-8")

    def consent(self, req, ver):
        redirect, state = req.arg("redirect_uri"), req.arg("state")
        if not redirect:
            return Reply(400, raw="<p>redirect_uri is missing</p>", content_type="text/html")
        sep = "&" if "?" in redirect else "?"
        if req.arg("consent") != "yes":
            q = {"error": "access_denied", "error_code": "200", "error_reason": "user_denied",
                 "error_description": "Permissions error", "state": state or ""}
            return Reply(302, headers={"Location": redirect + sep + urllib.parse.urlencode(q)})
        code = "AQ" + base64.urlsafe_b64encode(os.urandom(24)).decode().rstrip("=")
        with self.lock:
            self.codes[code] = redirect
        q = urllib.parse.urlencode({"code": code, "state": state or ""})
        return Reply(302, headers={"Location": redirect + sep + q + "#_=_"})

    def new_token(self, **t):
        tok = "EAA" + base64.urlsafe_b64encode(os.urandom(30)).decode().rstrip("=")
        with self.lock:
            self.tokens[tok] = t
        return tok

    def access_token(self, req, ver):
        if ver != VERSION:
            return self.error(2500, "Unknown path components: /%s/oauth/access_token" % ver)
        if req.arg("client_id") != CLIENT_ID or req.arg("client_secret") != CLIENT_SECRET:
            return self.error(101, "Error validating application. Invalid application ID.")
        if req.arg("grant_type") == "fb_exchange_token":
            short = self.tokens.get(req.arg("fb_exchange_token") or "")
            if not short or short["kind"] != "user" or self.expired_all:
                return self.error(190, "Invalid OAuth access token - Cannot parse access token")
            tok = self.new_token(kind="user", expires=time.time() + 5184000, long=True)
            return self.ok({"access_token": tok, "token_type": "bearer", "expires_in": 5184000})
        code = req.arg("code")
        if not code:
            return self.error(100, "Missing authorization code", etype="OAuthException")
        with self.lock:
            redirect = self.codes.pop(code, None)
        if redirect is None:
            return self.error(100, "This authorization code has been used.", subcode=36009)
        if req.arg("redirect_uri") != redirect:
            return self.error(100, "Error validating verification code. Please make sure your "
                                   "redirect_uri is identical to the one you used in the OAuth dialog "
                                   "request", subcode=36008)
        tok = self.new_token(kind="user", expires=time.time() + 5400, long=False)
        return self.ok({"access_token": tok, "token_type": "bearer", "expires_in": 5400})

    def accounts(self, req, ver):
        bad = self.check(req, ver)
        if bad:
            return bad
        if req.token["kind"] != "user":
            return self.error(100, "(#100) Tried accessing nonexisting field (accounts) on node type (Page)")
        # A Page token from a long-lived user token does not expire; from a
        # short-lived one it lasts as long as that.
        ptok = self.new_token(kind="page", page=self.page_id,
                              expires=0 if req.token["long"] else req.token["expires"], long=req.token["long"])
        item = {"id": self.page_id, "name": self.page["name"], "access_token": ptok,
                "category": "Community", "tasks": ["ANALYZE", "ADVERTISE", "MODERATE", "CREATE_CONTENT", "MANAGE"],
                "username": self.page.get("username"),
                "instagram_business_account": {"id": self.ig_id, "username": self.ig["username"],
                                               "name": self.ig.get("name")}}
        return self.ok({"data": [self.shape(item, req.arg("fields") or "id,name,access_token,category,tasks")],
                        "paging": {"cursors": {"before": "MAZDZD", "after": "MAZDZD"}}})

    def me(self, req, ver):
        bad = self.check(req, ver)
        if bad:
            return bad
        if req.token["kind"] == "page":
            return self.ok(self.shape(self.page, req.arg("fields") or "id,name"))
        return self.ok({"id": "2001", "name": "Desk Person"})

    # ---- reading ------------------------------------------------------------------------

    def get_object(self, req, ver, obj):
        bad = self.check(req, ver)
        if bad:
            return bad
        o = self.objects.get(obj)
        if not o or o.get("_deleted"):
            return self.missing(obj)
        return self.ok(self.shape(o, req.arg("fields")))

    def pages_of(self, owner, edge):
        """The list as pages: a file-backed list is its files; a built one is
        one run of items (paged by limit)."""
        lst = self.lists.get((owner, edge))
        if lst is None:
            return None
        if lst and isinstance(lst[0], list):
            return lst
        return [lst]

    def list_edge(self, req, ver, obj):
        edge = req.path.rstrip("/").rsplit("/", 1)[1]
        bad = self.check(req, ver)
        if bad:
            return bad
        o = self.objects.get(obj)
        if not o or o.get("_deleted"):
            return self.missing(obj)
        kind = o["_kind"]
        allowed = {"page": ("feed", "published_posts", "insights", "conversations"),
                   "post": ("comments", "insights"), "comment": ("comments",),
                   "ig_user": ("media", "insights"), "ig_media": ("comments", "insights"),
                   "ig_comment": ("replies",)}.get(kind, ())
        if edge not in allowed:
            return self.error(100, "(#100) Tried accessing nonexisting field (%s) on node type (%s)"
                              % (edge, {"page": "Page", "post": "Post", "comment": "Comment", "ig_user": "IGUser",
                                        "ig_media": "IGMedia", "ig_comment": "IGComment"}.get(kind, kind)))
        if edge == "conversations":
            if req.arg("platform", "messenger") not in ("messenger", "instagram"):
                return self.error(100, "(#100) platform must be one of {messenger, instagram}")
            if req.token["kind"] != "page":
                return self.error(190, "(#190) This method must be called with a Page Access Token")
        if edge == "insights":
            metric = req.arg("metric")
            if not metric:
                return self.error(100, "(#100) The value must be a valid insights metric")
            names = set(metric.split(","))
            items = [m for m in self.lists.get((obj, "insights"), []) if m["name"] in names]
            if not items and kind in ("post", "ig_media"):
                base = 40 + int(obj[-2:]) if obj[-2:].isdigit() else 40
                items = [{"name": n, "period": "lifetime", "id": "%s/insights/%s/lifetime" % (obj, n),
                          "values": [{"value": base + i * 3}]} for i, n in enumerate(sorted(names))]
            return self.ok({"data": items})
        src = "feed" if edge == "published_posts" else edge
        pages = self.pages_of(obj, src)
        if kind == "comment":  # a comment's replies: those whose parent it is
            pages = [[c for pg in (self.pages_of(o["_post"], "comments") or []) for c in pg
                      if (c.get("parent") or {}).get("id") == obj]]
        elif kind == "ig_comment":
            pages = [list((o.get("replies") or {}).get("data", []))]
        if pages is None:
            pages = [[]]
        if edge == "published_posts":
            pages = [[p for p in pg if p.get("id", "").startswith(obj + "_")
                      and not (p.get("from") and p["from"].get("id") != obj)] for pg in pages]
        # Deleted and hidden objects: deleted leave the lists; a hidden
        # comment stays (the Page sees it) with is_hidden.
        pages = [[dict(self.objects.get(x.get("id"), {}), **x) if x.get("id") in self.objects else x
                  for x in pg if not self.objects.get(x.get("id"), {}).get("_deleted")] for pg in pages]
        if edge in ("feed", "published_posts"):  # a post's comment count as it is now
            pages = [[dict(x, comments={"data": [], "summary": {
                "order": "chronological", "total_count": sum(len(pg) for pg in self.pages_of(x["id"], "comments")),
                "can_comment": True}}) if self.lists.get((x.get("id"), "comments")) is not None else x
                      for x in pg] for pg in pages]
        since = req.arg("since")
        if since:
            try:
                s = int(since)
            except ValueError:
                return self.error(100, "(#100) The parameter since must be a Unix timestamp")
            tk = "timestamp" if kind == "ig_user" else "created_time"
            pages = [[x for x in pg if parse_time(x.get(tk) or x.get("updated_time")) >= s] for pg in pages]
        try:
            limit = int(req.arg("limit", "25"))
        except ValueError:
            return self.error(100, "(#100) The parameter limit must be an integer")
        if limit < 1 or limit > 100:
            return self.error(100, "(#100) The limit must be between 1 and 100")
        # The position is an opaque cursor: "p<page>i<index>".
        after = req.arg("after")
        pi, ii = 0, 0
        if after:
            m = re.fullmatch(r"p(\d+)i(\d+)", base64.urlsafe_b64decode(after + "==").decode("latin-1")
                             if re.fullmatch(r"[A-Za-z0-9_-]+", after) else "")
            if not m:
                return self.error(100, "(#100) Invalid cursor: after")
            pi, ii = int(m.group(1)), int(m.group(2))
        chunk = []
        if pi < len(pages):
            chunk = pages[pi][ii:ii + limit]
            ni, npg = ii + len(chunk), pi
            if ni >= len(pages[pi]):
                npg, ni = pi + 1, 0
            while npg < len(pages) and not pages[npg]:
                npg += 1
        fields = req.arg("fields")
        data = [self.shape(x, fields) for x in chunk]
        if edge == "comments" and req.arg("filter", "toplevel") == "toplevel":
            data = [x for x, c in zip(data, chunk) if not c.get("parent")]
        body = {"data": data}
        enc = lambda p, i: base64.urlsafe_b64encode(("p%di%d" % (p, i)).encode()).decode().rstrip("=")
        paging = {"cursors": {"before": enc(pi, ii), "after": enc(pi, ii)}}
        q = {k: v[0] for k, v in req.query.items() if k not in ("after", "before", "access_token")}
        here = "http://%s/%s/%s/%s?" % (req.headers.get("Host"), VERSION, obj, edge)
        if pi < len(pages) and npg < len(pages):
            paging["cursors"]["after"] = enc(npg, ni)
            paging["next"] = here + urllib.parse.urlencode(dict(q, after=enc(npg, ni)))
        if pi > 0 or ii > 0:
            paging["previous"] = here + urllib.parse.urlencode(dict(q, before=enc(pi, ii)))
        body["paging"] = paging
        if edge == "comments" and req.arg("summary") in ("true", "1"):
            body["summary"] = {"order": "chronological", "total_count": sum(len(p) for p in pages),
                               "can_comment": True}
        return self.ok(body)

    # ---- acting -------------------------------------------------------------------------

    def form_or_multipart(self, req):
        """The fields of a form or a multipart/form-data body (a photo's
        source comes as bytes)."""
        ctype = req.headers.get("Content-Type") or ""
        if not ctype.startswith("multipart/form-data"):
            return {k: v[0] for k, v in req.form.items()}, None
        m = re.search(r"boundary=\"?([^\";]+)\"?", ctype)
        if not m:
            return None, "multipart/form-data without a boundary"
        out, source = {}, None
        for part in req.body.split(b"--" + m.group(1).encode())[1:]:
            if part.startswith(b"--"):
                break
            head, _, val = part.partition(b"\r\n\r\n")
            val = val[:-2] if val.endswith(b"\r\n") else val
            nm = re.search(rb'name="([^"]+)"', head)
            if not nm:
                return None, "a multipart part without a name"
            if b"filename=" in head:
                source = val
            else:
                out[nm.group(1).decode()] = val.decode("utf-8")
        return out, source

    def arg(self, req, fields, name):
        return fields.get(name) if name in fields else req.arg(name)

    def new_post(self, page, message, extra):
        pid = "%s_%s" % (page, self.next_id())
        post = {"id": pid, "message": message, "created_time": graph_time(int(time.time())),
                "permalink_url": "https://www.facebook.com/%s/posts/%s" % (page, pid.split("_")[1]),
                "status_type": "mobile_status_update",
                "reactions": {"data": [], "summary": {"total_count": 0}},
                "comments": {"data": [], "summary": {"total_count": 0}}}
        post.update(extra)
        with self.lock:
            pages = self.pages_of(page, "feed")
            if pages is None:
                self.lists[(page, "feed")] = [[]]
                pages = self.lists[(page, "feed")]
            if isinstance(self.lists[(page, "feed")][0], list):
                self.lists[(page, "feed")][0].insert(0, post)
            else:
                self.lists[(page, "feed")].insert(0, post)
            self.objects[pid] = dict(post, _kind="post", _page=page)
        return pid

    def publish_post(self, req, ver, obj):
        bad = self.check(req, ver, page=True, action=True)
        if bad:
            return bad
        if obj != req.token.get("page"):
            return self.error(200, "(#200) The Page token is not for Page %s" % obj, 403)
        f, _ = self.form_or_multipart(req)
        message, link = self.arg(req, f, "message"), self.arg(req, f, "link")
        if not message and not link:
            return self.error(100, "(#100) Requires one of the params: message, link, place, attachments")
        if message and len(message) > FB_TEXT_MAX:
            return self.error(100, "(#100) The message is too long (%d characters, at most %d)"
                              % (len(message), FB_TEXT_MAX))
        if link and not link.startswith(("http://", "https://")):
            return self.error(100, "(#100) link URL is not properly formatted", subcode=1609005)
        extra = {}
        if link:
            extra = {"status_type": "shared_story",
                     "attachments": {"data": [{"media_type": "link", "unshimmed_url": link, "url": link}]}}
        return self.ok({"id": self.new_post(obj, message or "", extra)})

    def publish_photo(self, req, ver, obj):
        bad = self.check(req, ver, page=True, action=True)
        if bad:
            return bad
        f, source = self.form_or_multipart(req)
        if f is None:
            return self.error(100, "(#100) " + source)
        url = self.arg(req, f, "url")
        if not url and not source:
            return self.error(324, "(#324) Requires upload file")
        if source is not None and not (source.startswith(b"\xff\xd8") or source.startswith(b"\x89PNG")):
            return self.error(324, "(#324) Missing or invalid image file")
        photo = self.next_id()
        pid = self.new_post(obj, self.arg(req, f, "message") or self.arg(req, f, "caption") or "",
                            {"status_type": "added_photos",
                             "attachments": {"data": [{"media_type": "photo", "target": {"id": photo}}]}})
        return self.ok({"id": photo, "post_id": pid})

    def reply(self, req, ver, obj):
        bad = self.check(req, ver, page=True, action=True)
        if bad:
            return bad
        o = self.objects.get(obj)
        if not o or o.get("_deleted") or o["_kind"] not in ("post", "comment"):
            return self.missing(obj)
        f, _ = self.form_or_multipart(req)
        message = self.arg(req, f, "message")
        if not message and not self.arg(req, f, "attachment_url"):
            return self.error(100, "(#100) Missing message or attachment")
        post = obj if o["_kind"] == "post" else o["_post"]
        post_no = post.split("_")[1]
        cid = "%s_%s" % (post_no, self.next_id())
        c = {"id": cid, "message": message, "created_time": graph_time(int(time.time())),
             "from": {"id": req.token["page"], "name": self.page["name"]}, "like_count": 0, "comment_count": 0,
             "permalink_url": "https://www.facebook.com/%s/posts/%s/?comment_id=%s"
             % (req.token["page"], post_no, cid.split("_")[1])}
        if o["_kind"] == "comment":
            c["parent"] = {"id": obj}
        with self.lock:
            self.lists.setdefault((post, "comments"), [])
            lst = self.lists[(post, "comments")]
            (lst[-1] if lst and isinstance(lst[0], list) else lst).append(c)
            self.objects[cid] = dict(c, _kind="comment", _post=post, _page=req.token["page"])
        return self.ok({"id": cid})

    def ig_reply(self, req, ver, obj):
        bad = self.check(req, ver, page=True, action=True)
        if bad:
            return bad
        o = self.objects.get(obj)
        if not o or o.get("_deleted") or o["_kind"] != "ig_comment":
            return self.missing(obj)
        f, _ = self.form_or_multipart(req)
        message = self.arg(req, f, "message")
        if not message:
            return self.error(100, "(#100) The parameter message is required")
        rid = "179" + self.next_id().rjust(14, "0")
        r = {"id": rid, "text": message, "username": self.ig["username"],
             "timestamp": graph_time(int(time.time())), "like_count": 0}
        with self.lock:
            self.objects[rid] = dict(r, _kind="ig_comment", _media=o["_media"], _parent=obj)
            self.objects[obj].setdefault("replies", {"data": []})["data"].append(r)
            for lst in [self.lists.get((o["_media"], "comments")) or []]:
                for pg in (lst if lst and isinstance(lst[0], list) else [lst]):
                    for c in pg:
                        if c.get("id") == obj:
                            c.setdefault("replies", {"data": []})
                            if c["replies"] is not self.objects[obj]["replies"]:
                                c["replies"]["data"].append(r)
        return self.ok({"id": rid})

    def like(self, req, ver, obj):
        bad = self.check(req, ver, page=True, action=True)
        if bad:
            return bad
        o = self.objects.get(obj)
        if not o or o.get("_deleted") or o["_kind"] not in ("post", "comment"):
            return self.missing(obj)
        with self.lock:
            o["_liked"] = True
        return self.ok({"success": True})

    def update_object(self, req, ver, obj):
        bad = self.check(req, ver, page=True, action=True)
        if bad:
            return bad
        o = self.objects.get(obj)
        if not o or o.get("_deleted"):
            return self.missing(obj)
        f, _ = self.form_or_multipart(req)
        if o["_kind"] == "comment":
            v = self.arg(req, f, "is_hidden")
            if v not in ("true", "false"):
                return self.error(100, "(#100) is_hidden must be a boolean")
            with self.lock:
                o["is_hidden"] = v == "true"
            return self.ok({"success": True})
        if o["_kind"] == "ig_comment":
            v = self.arg(req, f, "hide")
            if v not in ("true", "false"):
                return self.error(100, "(#100) hide must be a boolean")
            with self.lock:
                o["hidden"] = v == "true"
            return self.ok({"success": True})
        if o["_kind"] == "post" and self.arg(req, f, "message"):
            with self.lock:
                o["message"] = self.arg(req, f, "message")
            return self.ok({"success": True})
        return self.error(100, "(#100) No fields to update on node type (%s)" % o["_kind"])

    def delete_object(self, req, ver, obj):
        bad = self.check(req, ver, page=True, action=True)
        if bad:
            return bad
        o = self.objects.get(obj)
        if not o or o.get("_deleted") or o["_kind"] not in ("post", "comment", "ig_comment"):
            return self.missing(obj)
        with self.lock:
            o["_deleted"] = True
        return self.ok({"success": True})

    def ig_container(self, req, ver, obj):
        bad = self.check(req, ver, page=True, action=True)
        if bad:
            return bad
        o = self.objects.get(obj)
        if not o or o["_kind"] != "ig_user":
            return self.missing(obj)
        f, _ = self.form_or_multipart(req)
        url = self.arg(req, f, "image_url")
        if not url:
            return self.error(100, "(#100) The parameter image_url is required.", subcode=2207052
                              if self.arg(req, f, "video_url") else None)
        if not url.startswith(("http://", "https://")):
            return self.error(9004, "(#9004) Only photo or video can be accepted as media type.",
                              subcode=2207052)
        caption = self.arg(req, f, "caption") or ""
        if len(caption) > IG_CAPTION_MAX:
            return self.error(100, "(#100) The caption is too long (at most %d characters)" % IG_CAPTION_MAX,
                              subcode=2207028)
        cid = "178" + self.next_id().rjust(14, "0")
        with self.lock:
            self.objects[cid] = {"id": cid, "_kind": "container", "_ig": obj, "caption": caption,
                                 "image_url": url, "status_code": "FINISHED"}
        return self.ok({"id": cid})

    def ig_publish(self, req, ver, obj):
        bad = self.check(req, ver, page=True, action=True)
        if bad:
            return bad
        f, _ = self.form_or_multipart(req)
        cid = self.arg(req, f, "creation_id")
        c = self.objects.get(cid or "")
        if not c or c["_kind"] != "container" or c["_ig"] != obj:
            return self.error(100, "(#100) The parameter creation_id is required and must be a container "
                                   "of this account.", subcode=2207027)
        if c.get("_published"):
            return self.error(100, "(#100) The media has already been published.", subcode=2207008)
        mid = "179" + self.next_id().rjust(14, "0")
        m = {"id": mid, "caption": c["caption"], "media_type": "IMAGE", "media_product_type": "FEED",
             "permalink": "https://www.instagram.com/p/K%s/" % mid[-6:],
             "timestamp": graph_time(int(time.time())), "like_count": 0, "comments_count": 0}
        with self.lock:
            c["_published"] = True
            lst = self.lists.setdefault((obj, "media"), [])
            (lst[0] if lst and isinstance(lst[0], list) else lst).insert(0, m)
            self.objects[mid] = dict(m, _kind="ig_media", _ig=obj)
        return self.ok({"id": mid})

    # ---- control ------------------------------------------------------------------------

    def state(self, req):
        s = req.json or {}
        if "issue_code" in s:  # what the consent screen would redirect with, for tests in C
            code = "AQ" + base64.urlsafe_b64encode(os.urandom(24)).decode().rstrip("=")
            with self.lock:
                self.codes[code] = s["issue_code"]
            return Reply(200, {"code": code})
        with self.lock:
            if "expire" in s:
                self.expired_all = bool(s["expire"])
            if "block" in s:
                self.blocked = bool(s["block"])
            if "usage" in s:
                self.usage = int(s["usage"])
            objs = {k: {kk: vv for kk, vv in v.items() if kk in ("_kind", "_deleted", "_liked", "is_hidden",
                                                                   "hidden", "message", "text", "caption")}
                    for k, v in self.objects.items()}
            return Reply(200, {"page_id": self.page_id, "ig_id": self.ig_id, "expired": self.expired_all,
                               "blocked": self.blocked, "usage": self.usage, "tokens": len(self.tokens),
                               "objects": objs})


if __name__ == "__main__":
    main(Meta)
