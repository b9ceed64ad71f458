"""A fake of LinkedIn's 3-legged OAuth and its versioned REST API (Restli
2.0) for organisation pages, as LinkedIn documents them: the consent screen
at /oauth/v2/authorization, codes and refresh tokens at POST
/oauth/v2/accessToken (client id and secret in the form; access tokens of
60 days, refresh tokens that keep their value), and under /rest:
organizationAcls (the member's pages), organizations/ID, networkSizes (the
follower count), posts by author (start/count paging) and POST/DELETE
posts, organizationalEntityShareStatistics, socialActions/URN/comments
(list, create, delete). Every /rest call must name a LinkedIn-Version
(YYYYMM, one LinkedIn still serves) and X-Restli-Protocol-Version 2.0.0;
errors are LinkedIn's {status, serviceErrorCode, code, message}; a created
post's URN comes back in the x-restli-id header; the same text posted twice
is 422 DUPLICATE_POST; each member has a daily call budget (429).

The member administers two pages: 2414183 (kanal-desk) and 1337 (kanal-labs).
Client: "kanal-li" with secret "li-secret".

POST /_fake/state, any of:
  {"seed_posts": N, "seed_comments": N}  N new posts on the first page / comments on its newest post
  {"revoke": true}         every access and refresh token stops working
  {"expire_access": true}  every access token has expired (refresh tokens still work)
  {"calls_left": N}        N calls left today (then 429)
Every answer is the state: {"org", "posts", "comments" (counts), "texts" (the
first page's posts' texts), "replies" (the page's comments' texts), "deleted",
"codes", "access_tokens", "images" ({urn: {owner, type, base64}}: what each
upload got), "media" ({post urn: content.media}, any page's)}.

Image posts (the Images API): POST /rest/images?action=initializeUpload with
{"initializeUploadRequest": {"owner": page}} gives value.uploadUrl (on this
fake, PUT /_upload/KEY: the bearer, an image/jpeg, png or gif, at most
36152320 bytes) and value.image; a post names it in content.media.id, only
once it is uploaded and only for the page that owns it.
"""
import base64
import html
import os
import re
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fakebase import Fake, Reply, main  # noqa: E402

CLIENTS = {"kanal-li": "li-secret"}
SCOPES = {"r_organization_social", "w_organization_social", "rw_organization_admin",
          "r_basicprofile", "r_organization_admin", "openid", "profile", "email"}
ORGS = {"2414183": {"id": 2414183, "localizedName": "Kanal Desk", "vanityName": "kanal-desk"},
        "1337": {"id": 1337, "localizedName": "Kanal Labs", "vanityName": "kanal-labs"}}
ORG = "urn:li:organization:2414183"
VERSIONS = re.compile(r"^20(2[4-9])(0[1-9]|1[0-2])$")
PEOPLE = [("urn:li:person:Ab12Cd", "Maja Lind"), ("urn:li:person:Ef34Gh", "Aino Virtanen")]


def lerr(status, code, message, service=100):
    return Reply(status, {"status": status, "serviceErrorCode": service, "code": code,
                          "message": message})


class LinkedIn(Fake):
    name = "linkedin"

    def __init__(self, data_dir):
        super().__init__(data_dir)
        self.n = 7100000000000000000
        self.posts = []       # newest first
        self.comments = {}    # post urn: [comment], oldest first
        self.codes, self.access, self.refresh = {}, {}, {}
        self.deleted = []
        self.images = {}      # image urn: {owner, key, type, data (bytes, None until uploaded)}
        self.calls_left = 100000
        t0 = 1709197200000
        for i, text in enumerate(["Hyvää huomenta!", "Ny rapport om kollektivtrafiken",
                                  "Öppet hus på lördag"]):
            p = self.new_post(ORG, text, t0 + i * 86400000,
                              "https://example.org/rapport" if i == 1 else None)
            if i == 2:
                for j, (who, name) in enumerate(PEOPLE):
                    self.new_comment(p["id"], who, ["När öppnar ni?", "Kiitos!"][j], name=name)
        self.route("GET", "/oauth/v2/authorization", self.authorize)
        self.route("POST", "/oauth/v2/authorization", self.consent)
        self.route("POST", "/oauth/v2/accessToken", self.token)
        self.route("GET", "/rest/organizationAcls", self.api(self.acls))
        self.route("GET", "/rest/organizations/{id}", self.api(self.organization))
        self.route("GET", "/rest/networkSizes/{urn}", self.api(self.network_size))
        self.route("GET", "/rest/posts", self.api(self.posts_list))
        self.route("POST", "/rest/posts", self.api(self.posts_create, write=True))
        self.route("DELETE", "/rest/posts/{urn}", self.api(self.posts_delete, write=True))
        self.route("POST", "/rest/images", self.api(self.images_init, write=True))
        self.route("PUT", "/_upload/{key}", self.upload)
        self.route("GET", "/rest/organizationalEntityShareStatistics", self.api(self.stats))
        self.route("GET", "/rest/socialActions/{urn}/comments", self.api(self.comments_list))
        self.route("POST", "/rest/socialActions/{urn}/comments",
                   self.api(self.comments_create, write=True))
        self.route("DELETE", "/rest/socialActions/{urn}/comments/{cid}",
                   self.api(self.comments_delete, write=True))

    def new_post(self, author, text, at, link=None):
        self.n += 1
        p = {"id": "urn:li:share:%d" % self.n, "author": author, "commentary": text,
             "visibility": "PUBLIC", "lifecycleState": "PUBLISHED", "createdAt": at,
             "publishedAt": at, "lastModifiedAt": at, "isReshareDisabledByAuthor": False,
             "distribution": {"feedDistribution": "MAIN_FEED", "targetEntities": [],
                              "thirdPartyDistributionChannels": []},
             "stats": {"impressionCount": 100 + self.n % 1000, "uniqueImpressionsCount": 80,
                       "likeCount": 5, "commentCount": 0, "shareCount": 1, "clickCount": 3}}
        if link:
            p["content"] = {"article": {"source": link, "title": link}}
        self.posts.insert(0, p)
        self.posts.sort(key=lambda x: x["lastModifiedAt"], reverse=True)
        return p

    def new_comment(self, obj, actor, text, parent=None, name=None):
        self.n += 1
        cid = str(self.n)
        c = {"id": cid, "$URN": "urn:li:comment:(%s,%s)" % (obj, cid), "actor": actor,
             "object": obj, "message": {"text": text},
             "created": {"actor": actor, "time": int(time.time() * 1000)},
             "lastModified": {"actor": actor, "time": int(time.time() * 1000)}}
        if name:
            c["actorName"] = name
        if parent:
            c["parentComment"] = parent
        self.comments.setdefault(obj, []).append(c)
        return c

    # ---- OAuth ------------------------------------------------------------------------

    ARGS = ("response_type", "client_id", "redirect_uri", "state", "scope")

    def check(self, a):
        if a["response_type"] != "code":
            return "response_type must be code"
        if a["client_id"] not in CLIENTS:
            return "invalid client_id"
        if not a["redirect_uri"] or not a["state"]:
            return "redirect_uri and state are required"
        bad = [s for s in a["scope"].split() if s not in SCOPES]
        if not a["scope"] or bad:
            return "Scope \"%s\" is not authorized for your application" % " ".join(bad)
        return None

    def authorize(self, req):
        a = {k: req.arg(k, "") for k in self.ARGS}
        bad = self.check(a)
        if bad:
            return Reply(400, raw="<!doctype html><p>%s</p>" % html.escape(bad),
                         content_type="text/html; charset=utf-8")
        hidden = "".join('<input type="hidden" name="%s" value="%s">' % (k, html.escape(v, True))
                         for k, v in a.items())
        scopes = "".join("<li>%s</li>" % html.escape(s) for s in a["scope"].split())
        return Reply(200, raw="<!doctype html><title>LinkedIn</title><h1>kanal would like to "
                              "access your pages</h1><ul>%s</ul><form method=\"post\" "
                              "action=\"/oauth/v2/authorization\">%s<button name=\"decision\" "
                              "value=\"allow\">Allow</button><button name=\"decision\" "
                              "value=\"deny\">Cancel</button></form>" % (scopes, hidden),
                     content_type="text/html; charset=utf-8")

    def consent(self, req):
        a = {k: req.arg(k, "") for k in self.ARGS}
        bad = self.check(a)
        if bad:
            return Reply(400, raw=html.escape(bad), content_type="text/html")
        if req.arg("decision") != "allow":
            q = {"error": "user_cancelled_authorize",
                 "error_description": "The user cancelled the authorization", "state": a["state"]}
        else:
            code = "AQ" + base64.urlsafe_b64encode(os.urandom(24)).decode().rstrip("=")
            with self.lock:
                self.codes[code] = dict(a, used=False)
            q = {"code": code, "state": a["state"]}
        loc = a["redirect_uri"] + ("&" if "?" in a["redirect_uri"] else "?") + urllib.parse.urlencode(q)
        return Reply(302, raw='<a href="%s">%s</a>' % (html.escape(loc, True), html.escape(loc)),
                     headers={"Location": loc}, content_type="text/html")

    def issue(self, scope, refresh=None):
        tok = {"access_token": "AQV" + base64.urlsafe_b64encode(os.urandom(40)).decode().rstrip("="),
               "expires_in": 5183999, "scope": scope.replace(" ", ",")}
        self.access[tok["access_token"]] = {"scope": scope.split(), "expires": time.time() + 5183999}
        if not refresh:
            refresh = "AQX" + base64.urlsafe_b64encode(os.urandom(40)).decode().rstrip("=")
            self.refresh[refresh] = scope
        tok["refresh_token"] = refresh
        tok["refresh_token_expires_in"] = 31535999
        return tok

    def token(self, req):
        ctype = (req.headers.get("Content-Type") or "").split(";")[0].strip()
        if ctype != "application/x-www-form-urlencoded":
            return Reply(400, {"error": "invalid_request",
                               "error_description": "Content-Type must be application/x-www-form-urlencoded"})
        cid = req.arg("client_id")
        if cid not in CLIENTS or CLIENTS[cid] != req.arg("client_secret"):
            return Reply(401, {"error": "invalid_client",
                               "error_description": "Client authentication failed"})
        grant = req.arg("grant_type")
        with self.lock:
            if grant == "authorization_code":
                code = self.codes.get(req.arg("code") or "")
                if not code or code["used"] or req.arg("redirect_uri") != code["redirect_uri"]:
                    return Reply(400, {"error": "invalid_request",
                                       "error_description": "Unable to retrieve access token: "
                                       "appid/redirect uri/code verifier does not match "
                                       "authorization code. Or authorization code expired."})
                code["used"] = True
                return Reply(200, self.issue(code["scope"]))
            if grant == "refresh_token":
                rt = req.arg("refresh_token") or ""
                if rt not in self.refresh:
                    return Reply(400, {"error": "invalid_request",
                                       "error_description": "The provided authorization grant or "
                                       "refresh token is invalid, expired or revoked."})
                return Reply(200, self.issue(self.refresh[rt], rt))
        return Reply(400, {"error": "unsupported_grant_type",
                           "error_description": "grant_type must be authorization_code or refresh_token"})

    # ---- the API ----------------------------------------------------------------------

    def api(self, fn, write=False):
        def handler(req, **args):
            ver = req.headers.get("LinkedIn-Version") or ""
            if not ver:
                return lerr(400, "VERSION_MISSING", "A version must be present. Please specify a "
                            "version by adding the LinkedIn-Version header.")
            if not VERSIONS.match(ver):
                return lerr(426, "NONEXISTENT_VERSION", "Requested version %s is not active" % ver)
            if req.headers.get("X-Restli-Protocol-Version") != "2.0.0":
                return lerr(400, "ILLEGAL_ARGUMENT", "Restli protocol version 2.0.0 is required")
            with self.lock:
                tok = self.access.get(req.bearer() or "")
                if not tok or tok["expires"] < time.time():
                    return lerr(401, "INVALID_ACCESS_TOKEN", "Invalid access token", 65600)
                if self.calls_left <= 0:
                    return Reply(429, {"status": 429, "message": "Resource level throttle APPLICATION "
                                       "DAY limit for calls to this resource is reached."})
                self.calls_left -= 1
                if write and "w_organization_social" not in tok["scope"]:
                    return lerr(403, "ACCESS_DENIED", "Not enough permissions to access: "
                                "partnerApiPostsExternal.CREATE.20241101")
                return fn(req, **args)
        return handler

    def window(self, items, req, max_count=100):
        try:
            start = int(req.arg("start", "0"))
            count = int(req.arg("count", "10"))
        except ValueError:
            return None, lerr(400, "ILLEGAL_ARGUMENT", "start and count must be integers")
        if start < 0 or not 0 < count <= max_count:
            return None, lerr(400, "ILLEGAL_ARGUMENT", "count must be between 1 and %d" % max_count)
        return {"paging": {"start": start, "count": count, "links": [], "total": len(items)},
                "elements": items[start:start + count]}, None

    def acls(self, req):
        if req.arg("q") != "roleAssignee":
            return lerr(400, "ILLEGAL_ARGUMENT", "q must be roleAssignee")
        els = [{"roleAssignee": "urn:li:person:K4n4l", "state": "APPROVED", "role": "ADMINISTRATOR",
                "organization": "urn:li:organization:" + oid} for oid in ORGS]
        return Reply(200, {"paging": {"start": 0, "count": 10, "links": []}, "elements": els})

    def organization(self, req, id):
        if id not in ORGS:
            return lerr(404, "NOT_FOUND", "Organization %s not found" % id)
        return Reply(200, ORGS[id])

    def network_size(self, req, urn):
        if req.arg("edgeType") != "COMPANY_FOLLOWED_BY_MEMBER":
            return lerr(400, "ILLEGAL_ARGUMENT", "edgeType must be COMPANY_FOLLOWED_BY_MEMBER")
        if not urn.startswith("urn:li:organization:"):
            return lerr(400, "ILLEGAL_ARGUMENT", "Invalid URN: " + urn)
        return Reply(200, {"firstDegreeSize": 1523 if urn == ORG else 42})

    def view(self, p):
        return {k: v for k, v in p.items() if k != "stats"}

    def posts_list(self, req):
        if req.arg("q") != "author" or not req.arg("author"):
            return lerr(400, "ILLEGAL_ARGUMENT", "q=author and author are required")
        mine = [self.view(p) for p in self.posts if p["author"] == req.arg("author")]
        body, err = self.window(mine, req)
        return err or Reply(200, body)

    def posts_create(self, req):
        b = req.json if isinstance(req.json, dict) else None
        if b is None:
            return lerr(400, "ILLEGAL_ARGUMENT", "The request body is not JSON")
        for f in ("author", "commentary", "visibility", "distribution", "lifecycleState"):
            if f not in b:
                return lerr(422, "UNPROCESSABLE_ENTITY", "/%s :: field is required but not found "
                            "and has no default value" % f)
        if b["author"] not in ["urn:li:organization:" + o for o in ORGS]:
            return lerr(403, "ACCESS_DENIED", "Member is not an administrator of %s" % b["author"])
        if len(b["commentary"]) > 3000:
            return lerr(422, "UNPROCESSABLE_ENTITY", "/commentary :: length is over 3000")
        if any(p["commentary"] == b["commentary"] and p["author"] == b["author"] for p in self.posts):
            return lerr(422, "UNPROCESSABLE_ENTITY", "Content is a duplicate of urn:li:share:%s"
                        % next(p["id"] for p in self.posts if p["commentary"] == b["commentary"]))
        content = b.get("content") or {}
        link = (content.get("article") or {}).get("source")
        media = content.get("media")
        if media is not None:
            img = self.images.get((media or {}).get("id") or "")
            if not img:
                return lerr(422, "UNPROCESSABLE_ENTITY", "/content/media/id :: unknown image %s"
                            % (media or {}).get("id"))
            if img["data"] is None:
                return lerr(422, "UNPROCESSABLE_ENTITY", "Image %s has not been uploaded"
                            % media["id"])
            if img["owner"] != b["author"]:
                return lerr(403, "ACCESS_DENIED", "Image %s belongs to %s" % (media["id"], img["owner"]))
        p = self.new_post(b["author"], b["commentary"], int(time.time() * 1000), link)
        if media is not None:
            p["content"] = {"media": {"id": media["id"], "altText": media.get("altText", "")}}
        return Reply(201, None, headers={"x-restli-id": p["id"], "x-linkedin-id": p["id"]})

    def images_init(self, req):
        # Images API: initializeUpload for a page gives an upload URL and the
        # image's URN; the URL is on this fake (its own Host), as LinkedIn's
        # is on its own upload host.
        if req.arg("action") != "initializeUpload":
            return lerr(400, "ILLEGAL_ARGUMENT", "action must be initializeUpload")
        b = req.json if isinstance(req.json, dict) else {}
        owner = (b.get("initializeUploadRequest") or {}).get("owner")
        if not owner:
            return lerr(422, "UNPROCESSABLE_ENTITY", "/initializeUploadRequest/owner :: field is "
                        "required but not found and has no default value")
        if owner not in ["urn:li:organization:" + o for o in ORGS]:
            return lerr(403, "ACCESS_DENIED", "Member is not an administrator of %s" % owner)
        self.n += 1
        urn = "urn:li:image:D4E10AQ%d" % self.n
        key = "k%d" % self.n
        self.images[urn] = {"owner": owner, "key": key, "type": None, "data": None}
        host = req.headers.get("Host") or "127.0.0.1"
        return Reply(200, {"value": {"uploadUrlExpiresAt": int(time.time() * 1000) + 86400000,
                                     "uploadUrl": "http://%s/_upload/%s" % (host, key),
                                     "image": urn}})

    def upload(self, req, key):
        with self.lock:
            if not (self.access.get(req.bearer() or "") or {}).get("expires", 0) > time.time():
                return lerr(401, "INVALID_ACCESS_TOKEN", "Invalid access token", 65600)
            img = next((i for i in self.images.values() if i["key"] == key), None)
            if not img:
                return lerr(404, "NOT_FOUND", "No upload %s" % key)
            ctype = (req.headers.get("Content-Type") or "").split(";")[0].strip().lower()
            if ctype not in ("image/jpeg", "image/png", "image/gif"):
                return lerr(422, "UNPROCESSABLE_ENTITY", "Unsupported media type %s" % ctype)
            if not req.body or len(req.body) > 36152320:
                return lerr(422, "UNPROCESSABLE_ENTITY", "The image is empty or over 36152320 bytes")
            img["type"], img["data"] = ctype, bytes(req.body)
            return Reply(201)

    def posts_delete(self, req, urn):
        p = next((p for p in self.posts if p["id"] == urn), None)
        if not p:
            return lerr(404, "NOT_FOUND", "Post %s not found" % urn)
        self.posts.remove(p)
        self.deleted.append(urn)
        return Reply(204)

    def stats(self, req):
        if req.arg("q") != "organizationalEntity" or not req.arg("organizationalEntity"):
            return lerr(400, "ILLEGAL_ARGUMENT", "q=organizationalEntity is required")
        want = []
        for param in ("shares", "ugcPosts"):
            v = req.arg(param)
            if v:
                m = re.fullmatch(r"List\((.*)\)", v)
                if not m:
                    return lerr(400, "ILLEGAL_ARGUMENT", "%s must be List(...)" % param)
                want += [urllib.parse.unquote(u) for u in m.group(1).split(",") if u]
        els = []
        for p in self.posts:
            if p["id"] in want and p["author"] == req.arg("organizationalEntity"):
                st = dict(p["stats"], commentCount=len(self.comments.get(p["id"], [])),
                          engagement=0.05)
                els.append({"organizationalEntity": p["author"], "share": p["id"],
                            "totalShareStatistics": st})
        return Reply(200, {"paging": {"start": 0, "count": 10, "links": []}, "elements": els})

    def comments_list(self, req, urn):
        items = self.comments.get(urn, [])
        if urn.startswith("urn:li:comment:"):
            items = [c for cs in self.comments.values() for c in cs if c.get("parentComment") == urn]
        body, err = self.window(list(items), req)
        return err or Reply(200, body)

    def comments_create(self, req, urn):
        b = req.json if isinstance(req.json, dict) else {}
        text = (b.get("message") or {}).get("text")
        if not b.get("actor") or not b.get("object") or not isinstance(text, str) or not text:
            return lerr(422, "UNPROCESSABLE_ENTITY", "actor, object and message.text are required")
        if urn.startswith("urn:li:comment:"):
            if b.get("parentComment") != urn:
                return lerr(422, "UNPROCESSABLE_ENTITY", "parentComment must be " + urn)
            obj = urn[len("urn:li:comment:("):].rsplit(",", 1)[0]
        else:
            obj = urn
        if b["object"] != obj or not any(p["id"] == obj for p in self.posts):
            return lerr(404, "NOT_FOUND", "Object %s not found" % b["object"])
        c = self.new_comment(obj, b["actor"], text, b.get("parentComment"))
        return Reply(201, c, headers={"x-restli-id": c["id"]})

    def comments_delete(self, req, urn, cid):
        cs = self.comments.get(urn, [])
        c = next((c for c in cs if c["id"] == cid), None)
        if not c:
            return lerr(404, "NOT_FOUND", "Comment %s not found" % cid)
        if not req.arg("actor", "").startswith("urn:li:organization:"):
            return lerr(403, "ACCESS_DENIED", "actor is required")
        cs.remove(c)
        self.deleted.append(c["$URN"])
        return Reply(204)

    # ---- control ------------------------------------------------------------------------

    def state(self, req):
        s = req.json or {}
        with self.lock:
            for i in range(int(s.get("seed_posts", 0))):
                self.new_post(ORG, "Seeded post %d" % (self.n + 1), int(time.time() * 1000) + i)
            for i in range(int(s.get("seed_comments", 0))):
                who, name = PEOPLE[i % 2]
                newest = next(p for p in self.posts if p["author"] == ORG)
                self.new_comment(newest["id"], who, "Seeded comment %d" % (self.n + 1), name=name)
            if s.get("revoke"):
                self.access.clear()
                self.refresh.clear()
            if s.get("expire_access"):
                for t in self.access.values():
                    t["expires"] = 0
            if "calls_left" in s:
                self.calls_left = int(s["calls_left"])
            mine = [p for p in self.posts if p["author"] == ORG]
            return Reply(200, {"org": ORG, "posts": len(mine),
                               "comments": sum(len(v) for v in self.comments.values()),
                               "texts": [p["commentary"] for p in mine[:50]],
                               "replies": [c["message"]["text"] for cs in self.comments.values()
                                           for c in cs if c["actor"] == ORG],
                               "deleted": list(self.deleted), "codes": len(self.codes),
                               "images": {u: {"owner": i["owner"], "type": i["type"],
                                              "base64": base64.b64encode(i["data"]).decode()
                                              if i["data"] is not None else None}
                                          for u, i in self.images.items()},
                               "media": {p["id"]: p["content"]["media"] for p in self.posts
                                         if "media" in p.get("content", {})},
                               "access_tokens": len(self.access)})


if __name__ == "__main__":
    main(LinkedIn)
