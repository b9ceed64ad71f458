"""A Bluesky PDS with its AppView behind it, as docs.bsky.app documents the
XRPC API: sessions from an app password, the author feed, notifications,
profiles, threads, and records created and deleted in the account's repo.

  POST /xrpc/com.atproto.server.createSession   {identifier, password} -> accessJwt,
       refreshJwt, did, handle (401 AuthenticationRequired for a wrong password)
  POST /xrpc/com.atproto.server.refreshSession  bearer refreshJwt -> new tokens; the old
       refresh token is spent (rotated)
  GET  /xrpc/app.bsky.feed.getAuthorFeed        actor, limit 1..100 (50), cursor
  GET  /xrpc/app.bsky.notification.listNotifications  limit 1..100 (50), cursor, reasons
  GET  /xrpc/app.bsky.actor.getProfile          actor
  GET  /xrpc/app.bsky.feed.getPostThread        uri, depth, parentHeight
  POST /xrpc/com.atproto.repo.createRecord      {repo, collection, record}: app.bsky.feed.post
       (text of at most 300 graphemes and 3000 bytes, facets on UTF-8 byte offsets, reply
       refs whose cids match, embed images of uploaded blobs or external) and
       app.bsky.feed.like
  POST /xrpc/com.atproto.repo.deleteRecord      {repo, collection, rkey}
  POST /xrpc/com.atproto.repo.uploadBlob        the bytes, Content-Type; at most 1,000,000

Errors are XRPC's: {"error": NAME, "message": TEXT}: 400 InvalidRequest,
ExpiredToken, InvalidToken, NotFound, BlobTooLarge; 401 AuthenticationRequired
(no or a wrong credential); 429 RateLimitExceeded. Every answer carries
ratelimit-limit, ratelimit-remaining, ratelimit-reset (Unix seconds) and
ratelimit-policy ("3000;w=300").

The account: handle verket.test, did:plc:verket000000000000000000, app
password abcd-efgh-ijkl-mnop. Built in: three posts of its own, a repost of
someone else's, a reply to it and a mention.

POST /_fake/state {"posts": N, "reposts": R, "notifications": M, "followers": F,
                   "expire_access": true, "revoke": true, "ratelimit": LIMIT,
                   "access_ttl": SECONDS}
  replaces the built-in posts with N of the account's own (and R reposts),
  M notifications (cycling reply, mention, like), sets followers, expires
  every access token issued so far, revokes every token, sets the rate
  limit's budget per 300-second window (starting a new window), or the
  lifetime of access tokens issued from then on. Answers {ok, did, handle,
  password, posts: [uri...]} (the account's posts, newest first).
"""
import base64
import hashlib
import json
import os
import sys
import threading
import time
import unicodedata

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fakebase import Fake, Reply, main  # noqa: E402

DID = "did:plc:verket000000000000000000"
HANDLE = "verket.test"
PASSWORD = "abcd-efgh-ijkl-mnop"
OTHERS = {"did:plc:anna00000000000000000000": ("anna.test", "Anna Å"),
          "did:plc:bo0000000000000000000000": ("bo.test", "Bo")}
BASE_TIME = 1793491200  # 2026-11-01T00:00:00Z
TID_CHARS = "234567abcdefghijklmnopqrstuvwxyz"
MAX_GRAPHEMES = 300
MAX_BYTES = 3000
MAX_BLOB = 1000000


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(int(t))) + ".%03dZ" % (int(t * 1000) % 1000)


def parse_iso(s):
    s = s.rstrip("Z")
    frac = 0.0
    if "." in s:
        s, f = s.split(".", 1)
        frac = float("0." + f)
    import calendar
    return calendar.timegm(time.strptime(s, "%Y-%m-%dT%H:%M:%S")) + frac


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def graphemes(text):
    """Grapheme clusters, nearly as Unicode's rules count them: combining
    marks, variation selectors, skin tones and what a zero-width joiner joins
    belong to the cluster before them."""
    n, join = 0, False
    for ch in text:
        cp = ord(ch)
        if join:
            join = False
            continue
        if cp == 0x200D:
            join = True
            continue
        if unicodedata.combining(ch) or 0xFE00 <= cp <= 0xFE0F or 0x1F3FB <= cp <= 0x1F3FF:
            continue
        n += 1
    return n


def xrpc_error(status, name, message, headers=None):
    return Reply(status, {"error": name, "message": message}, headers)


class Bluesky(Fake):
    name = "bluesky"

    def __init__(self, data_dir):
        super().__init__(data_dir)
        self.clock = 0
        self.access = {}    # token -> {"did", "exp", "revoked"}
        self.refresh = {}   # token -> {"did", "spent", "revoked"}
        self.access_ttl = 7200
        self.posts = []     # the repo's and others' posts: dicts, see new_post
        self.feed_extra = []  # reposts: {"post": uri, "at": t}
        self.notes = []
        self.blobs = {}
        self.likes = {}     # like uri -> subject uri
        self.followers = 1234
        self.rl_limit, self.rl_used, self.rl_window = 3000, 0, time.time()
        self.seed(3, 1, 2)
        x = "/xrpc/"
        self.route("POST", x + "com.atproto.server.createSession", self.create_session)
        self.route("POST", x + "com.atproto.server.refreshSession", self.refresh_session)
        self.route("GET", x + "app.bsky.feed.getAuthorFeed", self.author_feed)
        self.route("GET", x + "app.bsky.notification.listNotifications", self.notifications)
        self.route("GET", x + "app.bsky.actor.getProfile", self.profile)
        self.route("GET", x + "app.bsky.feed.getPostThread", self.post_thread)
        self.route("POST", x + "com.atproto.repo.createRecord", self.create_record)
        self.route("POST", x + "com.atproto.repo.deleteRecord", self.delete_record)
        self.route("POST", x + "com.atproto.repo.uploadBlob", self.upload_blob)

    # ---- identifiers ------------------------------------------------------------------

    def tid(self):
        with self.lock:
            us = max(int(time.time() * 1e6), self.clock + 1)
            self.clock = us
        v = (us << 10) | 7
        return "".join(TID_CHARS[(v >> (5 * (12 - i))) & 31] for i in range(13))

    @staticmethod
    def cid(data):
        return "bafyrei" + base64.b32encode(hashlib.sha256(data.encode()).digest()).decode().lower().rstrip("=")[:52]

    def jwt(self, did, scope, ttl):
        now = int(time.time())
        head = b64url(json.dumps({"typ": "at+jwt", "alg": "HS256"}).encode())
        body = b64url(json.dumps({"scope": scope, "sub": did, "iat": now, "exp": now + ttl,
                                  "aud": "did:web:fake.bsky", "jti": os.urandom(8).hex()}).encode())
        return "%s.%s.%s" % (head, body, b64url(os.urandom(32)))

    def session(self, did):
        a = self.jwt(did, "com.atproto.appPass", self.access_ttl)
        r = self.jwt(did, "com.atproto.refresh", 90 * 86400)
        with self.lock:
            self.access[a] = {"did": did, "exp": time.time() + self.access_ttl, "revoked": False}
            self.refresh[r] = {"did": did, "spent": False, "revoked": False}
        return {"accessJwt": a, "refreshJwt": r, "did": did, "handle": HANDLE, "active": True,
                "email": "press@verket.test", "emailConfirmed": True}

    # ---- the repo ---------------------------------------------------------------------

    def author(self, did):
        if did == DID:
            return {"did": DID, "handle": HANDLE, "displayName": "Verket"}
        h, n = OTHERS.get(did, ("unknown.test", ""))
        return {"did": did, "handle": h, "displayName": n}

    def new_post(self, did, record, at, rkey=None):
        rkey = rkey or self.tid()
        uri = "at://%s/app.bsky.feed.post/%s" % (did, rkey)
        p = {"uri": uri, "cid": self.cid(uri + json.dumps(record, sort_keys=True)), "did": did,
             "record": record, "at": at, "likes": set(), "reposts": 0, "quotes": 0}
        self.posts.append(p)
        return p

    def find(self, uri):
        for p in self.posts:
            if p["uri"] == uri:
                return p
        return None

    def replies_to(self, uri):
        return [p for p in self.posts if ((p["record"].get("reply") or {}).get("parent") or {}).get("uri") == uri]

    def seed(self, n, reposts, notes):
        self.posts, self.feed_extra, self.notes, self.likes = [], [], [], {}
        others = sorted(OTHERS)
        for i in range(n):
            t = BASE_TIME + 60 * i
            rec = {"$type": "app.bsky.feed.post", "text": "Inlägg %d från Verket – läs mer" % (i + 1),
                   "createdAt": iso(t), "langs": ["sv"]}
            p = self.new_post(DID, rec, t, rkey="3m%011d" % i)
            p["reposts"], p["quotes"] = i % 3, i % 2
        for i in range(reposts):
            t = BASE_TIME - 3600 + i
            rec = {"$type": "app.bsky.feed.post", "text": "Någon annans inlägg %d" % i, "createdAt": iso(t)}
            p = self.new_post(others[i % 2], rec, t, rkey="3o%011d" % i)
            self.feed_extra.append({"post": p["uri"], "at": t + 30})
        own = [p for p in self.posts if p["did"] == DID]
        for i in range(notes):
            who = others[i % 2]
            t = BASE_TIME + 60 * n + 30 * i
            target = own[i % len(own)] if own else None
            kind = ("reply", "mention", "like")[i % 3]
            if kind == "reply" and target:
                rec = {"$type": "app.bsky.feed.post", "text": "Fråga %d: var finns bilagan? 🤔" % i,
                       "createdAt": iso(t),
                       "reply": {"root": {"uri": target["uri"], "cid": target["cid"]},
                                 "parent": {"uri": target["uri"], "cid": target["cid"]}}}
                p = self.new_post(who, rec, t, rkey="3n%011d" % i)
                self.notes.append({"reason": "reply", "post": p, "subject": target["uri"], "at": t})
            elif kind == "mention" or not target:
                rec = {"$type": "app.bsky.feed.post", "text": "@%s hjälp %d" % (HANDLE, i),
                       "createdAt": iso(t),
                       "facets": [{"index": {"byteStart": 0, "byteEnd": len(HANDLE) + 1},
                                   "features": [{"$type": "app.bsky.richtext.facet#mention", "did": DID}]}]}
                p = self.new_post(who, rec, t, rkey="3n%011d" % i)
                self.notes.append({"reason": "mention", "post": p, "subject": None, "at": t})
            else:
                target["likes"].add(who)
                uri = "at://%s/app.bsky.feed.like/3l%011d" % (who, i)
                self.notes.append({"reason": "like", "uri": uri, "who": who, "subject": target["uri"],
                                   "at": t, "record": {"$type": "app.bsky.feed.like",
                                                       "subject": {"uri": target["uri"], "cid": target["cid"]},
                                                       "createdAt": iso(t)}})

    def view(self, p, viewer=None):
        v = {"uri": p["uri"], "cid": p["cid"], "author": self.author(p["did"]), "record": p["record"],
             "replyCount": len(self.replies_to(p["uri"])), "repostCount": p["reposts"],
             "likeCount": len(p["likes"]), "quoteCount": p["quotes"], "indexedAt": iso(p["at"]),
             "labels": []}
        embed = p["record"].get("embed")
        if embed and embed.get("$type") == "app.bsky.embed.external":
            v["embed"] = {"$type": "app.bsky.embed.external#view", "external": embed["external"]}
        if viewer:
            like = [u for u, s in self.likes.items() if s == p["uri"] and u.startswith("at://" + viewer + "/")]
            v["viewer"] = {"like": like[0]} if like else {}
        return v

    # ---- the checks every call makes ---------------------------------------------------

    def limited(self):
        """The rate limit's headers, and whether this call is over it."""
        with self.lock:
            now = time.time()
            if now - self.rl_window >= 300:
                self.rl_window, self.rl_used = now, 0
            over = self.rl_used >= self.rl_limit
            if not over:
                self.rl_used += 1
            h = {"ratelimit-limit": self.rl_limit,
                 "ratelimit-remaining": max(0, self.rl_limit - self.rl_used),
                 "ratelimit-reset": int(self.rl_window + 300),
                 "ratelimit-policy": "%d;w=300" % self.rl_limit}
        return h, over

    def auth(self, req, refresh=False):
        """The caller's DID, or the XRPC error to answer."""
        tok = req.bearer()
        if not tok:
            return None, xrpc_error(401, "AuthenticationRequired", "Authentication Required")
        with self.lock:
            if refresh:
                r = self.refresh.get(tok)
                if not r and tok in self.access:
                    return None, xrpc_error(400, "InvalidToken", "Invalid token type")
                if not r or r["revoked"] or r["spent"]:
                    return None, xrpc_error(400, "InvalidToken", "Token has been revoked")
                return r["did"], None
            a = self.access.get(tok)
            if not a and tok in self.refresh:
                return None, xrpc_error(400, "InvalidToken", "Bad token scope")
            if not a or a["revoked"]:
                return None, xrpc_error(400, "InvalidToken", "Token could not be verified")
            if a["exp"] <= time.time():
                return None, xrpc_error(400, "ExpiredToken", "Token has expired")
            return a["did"], None

    def wrap(self, fn, refresh=False, anonymous=False):
        def handler(req, **kw):
            headers, over = self.limited()
            if over:
                return xrpc_error(429, "RateLimitExceeded", "Rate Limit Exceeded", headers)
            did = None
            if not anonymous:
                did, err = self.auth(req, refresh)
                if err:
                    err.headers.update(headers)
                    return err
            with self.lock:
                reply = fn(req, did) if not anonymous else fn(req)
            reply.headers.update(headers)
            return reply
        return handler

    def route(self, method, pattern, fn):
        name = pattern.rsplit("/", 1)[1]
        wrapped = self.wrap(fn, refresh=name == "com.atproto.server.refreshSession",
                            anonymous=name == "com.atproto.server.createSession")
        super().route(method, pattern, wrapped)

    @staticmethod
    def limit_arg(req):
        v = req.arg("limit", "50")
        try:
            n = int(v)
        except ValueError:
            return None, xrpc_error(400, "InvalidRequest", "limit must be an integer")
        if n < 1 or n > 100:
            return None, xrpc_error(400, "InvalidRequest", "limit can not be %s 100" % ("greater than" if n > 100 else "less than 1"))
        return n, None

    @staticmethod
    def page(items, cursor, limit):
        """items newest first as (sort time, value); the cursor is the last
        item's time: the next page is what is older."""
        if cursor:
            try:
                c = float(cursor)
            except ValueError:
                return None, None, xrpc_error(400, "InvalidRequest", "Malformed cursor")
            items = [x for x in items if x[0] < c]
        chunk = items[:limit]
        nxt = repr(chunk[-1][0]) if len(items) > limit else None
        return [v for _, v in chunk], nxt, None

    # ---- the routes -------------------------------------------------------------------

    def create_session(self, req):
        j = req.json
        if not isinstance(j, dict) or not isinstance(j.get("identifier"), str) or not isinstance(j.get("password"), str):
            return xrpc_error(400, "InvalidRequest", "Input must have the properties \"identifier\" and \"password\"")
        if j["identifier"].lstrip("@").lower() not in (HANDLE, DID, "press@verket.test") or j["password"] != PASSWORD:
            return xrpc_error(401, "AuthenticationRequired", "Invalid identifier or password")
        return Reply(200, self.session(DID))

    def refresh_session(self, req, did):
        self.refresh[req.bearer()]["spent"] = True
        return Reply(200, self.session(did))

    def resolve(self, actor):
        if actor in (DID, HANDLE):
            return DID
        for d, (h, _) in OTHERS.items():
            if actor in (d, h):
                return d
        return None

    def author_feed(self, req, did):
        actor = req.arg("actor")
        if not actor:
            return xrpc_error(400, "InvalidRequest", "Error: Params must have the property \"actor\"")
        limit, err = self.limit_arg(req)
        if err:
            return err
        who = self.resolve(actor)
        if not who:
            return xrpc_error(400, "InvalidRequest", "Profile not found")
        items = [(p["at"], {"post": self.view(p, did)}) for p in self.posts if p["did"] == who]
        for r in self.feed_extra:
            if who == DID:
                p = self.find(r["post"])
                if p:
                    items.append((r["at"], {"post": self.view(p, did), "reason": {
                        "$type": "app.bsky.feed.defs#reasonRepost", "by": self.author(DID),
                        "indexedAt": iso(r["at"])}}))
        items.sort(key=lambda x: -x[0])
        chunk, nxt, err = self.page(items, req.arg("cursor"), limit)
        if err:
            return err
        body = {"feed": chunk}
        if nxt:
            body["cursor"] = nxt
        return Reply(200, body)

    def notifications(self, req, did):
        limit, err = self.limit_arg(req)
        if err:
            return err
        reasons = req.query.get("reasons") or []
        items = []
        for n in self.notes:
            if reasons and n["reason"] not in reasons:
                continue
            if "post" in n:
                p = n["post"]
                v = {"uri": p["uri"], "cid": p["cid"], "author": self.author(p["did"]),
                     "reason": n["reason"], "record": p["record"], "isRead": False,
                     "indexedAt": iso(n["at"]), "labels": []}
            else:
                v = {"uri": n["uri"], "cid": self.cid(n["uri"]), "author": self.author(n["who"]),
                     "reason": n["reason"], "record": n["record"], "isRead": False,
                     "indexedAt": iso(n["at"]), "labels": []}
            if n["subject"]:
                v["reasonSubject"] = n["subject"]
            items.append((n["at"], v))
        items.sort(key=lambda x: -x[0])
        chunk, nxt, err = self.page(items, req.arg("cursor"), limit)
        if err:
            return err
        body = {"notifications": chunk, "seenAt": iso(BASE_TIME)}
        if nxt:
            body["cursor"] = nxt
        return Reply(200, body)

    def profile(self, req, did):
        actor = req.arg("actor")
        if not actor:
            return xrpc_error(400, "InvalidRequest", "Error: Params must have the property \"actor\"")
        who = self.resolve(actor)
        if not who:
            return xrpc_error(400, "InvalidRequest", "Profile not found")
        a = self.author(who)
        a.update({"followersCount": self.followers if who == DID else 10, "followsCount": 3,
                  "postsCount": len([p for p in self.posts if p["did"] == who]),
                  "indexedAt": iso(BASE_TIME)})
        return Reply(200, a)

    def thread_of(self, p, depth, viewer):
        t = {"$type": "app.bsky.feed.defs#threadViewPost", "post": self.view(p, viewer)}
        if depth > 0:
            t["replies"] = [self.thread_of(r, depth - 1, viewer) for r in self.replies_to(p["uri"])]
        return t

    def post_thread(self, req, did):
        uri = req.arg("uri")
        if not uri:
            return xrpc_error(400, "InvalidRequest", "Error: Params must have the property \"uri\"")
        try:
            depth = int(req.arg("depth", "6"))
        except ValueError:
            return xrpc_error(400, "InvalidRequest", "depth must be an integer")
        if depth < 0 or depth > 1000:
            return xrpc_error(400, "InvalidRequest", "depth must be 0..1000")
        p = self.find(uri)
        if not p:
            return xrpc_error(400, "NotFound", "Post not found: %s" % uri)
        return Reply(200, {"thread": self.thread_of(p, depth, did)})

    def bad_ref(self, ref, what):
        if not isinstance(ref, dict) or not isinstance(ref.get("uri"), str) or not isinstance(ref.get("cid"), str):
            return "Record/%s must have the properties \"uri\" and \"cid\"" % what
        p = self.find(ref["uri"])
        if not p:
            return "Record/%s: could not locate record: %s" % (what, ref["uri"])
        if p["cid"] != ref["cid"]:
            return "Record/%s: cid does not match the record's" % what
        return None

    def check_post(self, rec):
        text = rec.get("text")
        if not isinstance(text, str):
            return "Record must have the property \"text\""
        if graphemes(text) > MAX_GRAPHEMES:
            return "Record/text must not be longer than %d graphemes" % MAX_GRAPHEMES
        raw = text.encode("utf-8")
        if len(raw) > MAX_BYTES:
            return "Record/text must not be longer than %d characters" % MAX_BYTES
        if not isinstance(rec.get("createdAt"), str):
            return "Record must have the property \"createdAt\""
        try:
            parse_iso(rec["createdAt"])
        except ValueError:
            return "Record/createdAt must be an valid atproto datetime"
        for i, f in enumerate(rec.get("facets") or []):
            idx = f.get("index") if isinstance(f, dict) else None
            if not isinstance(idx, dict) or not isinstance(idx.get("byteStart"), int) or not isinstance(idx.get("byteEnd"), int):
                return "Record/facets/%d/index must have byteStart and byteEnd" % i
            s, e = idx["byteStart"], idx["byteEnd"]
            if not (0 <= s < e <= len(raw)):
                return "Record/facets/%d/index is outside the text" % i
            for feat in f.get("features") or []:
                if feat.get("$type") == "app.bsky.richtext.facet#link":
                    try:
                        covered = raw[s:e].decode("utf-8")
                    except UnicodeDecodeError:
                        return "Record/facets/%d/index splits a character" % i
                    if not isinstance(feat.get("uri"), str) or not feat["uri"].startswith(("http://", "https://")):
                        return "Record/facets/%d/features/0/uri must be a valid uri" % i
                    if covered not in feat["uri"] and feat["uri"] not in covered:
                        return "Record/facets/%d covers \"%s\", not its link" % (i, covered)
        reply = rec.get("reply")
        if reply is not None:
            for what in ("root", "parent"):
                bad = self.bad_ref((reply or {}).get(what), "reply/" + what)
                if bad:
                    return bad
        embed = rec.get("embed")
        if embed is not None:
            t = embed.get("$type")
            if t == "app.bsky.embed.images":
                imgs = embed.get("images")
                if not isinstance(imgs, list) or not 1 <= len(imgs) <= 4:
                    return "Record/embed/images must hold 1 to 4 images"
                for i, im in enumerate(imgs):
                    if not isinstance(im.get("alt"), str):
                        return "Record/embed/images/%d must have the property \"alt\"" % i
                    ref = ((im.get("image") or {}).get("ref") or {}).get("$link")
                    if ref not in self.blobs:
                        return "Record/embed/images/%d/image: blob not found: %s" % (i, ref)
            elif t == "app.bsky.embed.external":
                ext = embed.get("external") or {}
                for k in ("uri", "title", "description"):
                    if not isinstance(ext.get(k), str):
                        return "Record/embed/external must have the property \"%s\"" % k
            else:
                return "Record/embed: unknown type %s" % t
        return None

    def repo_of(self, req, did):
        j = req.json
        if not isinstance(j, dict):
            return None, xrpc_error(400, "InvalidRequest", "Input must be an object")
        if j.get("repo") not in (did, HANDLE if did == DID else None):
            return None, xrpc_error(400, "InvalidRequest", "Invalid repo: %s" % j.get("repo"))
        return j, None

    def create_record(self, req, did):
        j, err = self.repo_of(req, did)
        if err:
            return err
        coll, rec = j.get("collection"), j.get("record")
        if not isinstance(rec, dict):
            return xrpc_error(400, "InvalidRequest", "Input must have the property \"record\"")
        if rec.get("$type", coll) != coll:
            return xrpc_error(400, "InvalidRequest", "Invalid $type: expected %s" % coll)
        if coll == "app.bsky.feed.post":
            bad = self.check_post(rec)
            if bad:
                return xrpc_error(400, "InvalidRequest", "Invalid app.bsky.feed.post record: " + bad)
            p = self.new_post(did, rec, time.time())
            return Reply(200, {"uri": p["uri"], "cid": p["cid"], "validationStatus": "valid",
                               "commit": {"cid": self.cid(p["uri"] + "c"), "rev": self.tid()}})
        if coll == "app.bsky.feed.like":
            bad = self.bad_ref(rec.get("subject"), "subject")
            if bad or not isinstance(rec.get("createdAt"), str):
                return xrpc_error(400, "InvalidRequest", "Invalid app.bsky.feed.like record: " + (bad or "Record must have the property \"createdAt\""))
            uri = "at://%s/app.bsky.feed.like/%s" % (did, self.tid())
            self.likes[uri] = rec["subject"]["uri"]
            self.find(rec["subject"]["uri"])["likes"].add(did)
            return Reply(200, {"uri": uri, "cid": self.cid(uri), "validationStatus": "valid"})
        return xrpc_error(400, "InvalidRequest", "This fake does not create %s records" % coll)

    def delete_record(self, req, did):
        j, err = self.repo_of(req, did)
        if err:
            return err
        coll, rkey = j.get("collection"), j.get("rkey")
        if not isinstance(coll, str) or not isinstance(rkey, str):
            return xrpc_error(400, "InvalidRequest", "Input must have the properties \"collection\" and \"rkey\"")
        uri = "at://%s/%s/%s" % (did, coll, rkey)
        # Deleting what is not there is not an error: the record is gone either way.
        self.posts = [p for p in self.posts if p["uri"] != uri]
        if uri in self.likes:
            p = self.find(self.likes.pop(uri))
            if p:
                p["likes"].discard(did)
        return Reply(200, {"commit": {"cid": self.cid(uri + "d"), "rev": self.tid()}})

    def upload_blob(self, req, did):
        ctype = (req.headers.get("Content-Type") or "").split(";")[0].strip()
        if not ctype or ctype == "application/x-www-form-urlencoded":
            return xrpc_error(400, "InvalidRequest", "Content-Type is required")
        if len(req.body) > MAX_BLOB:
            return xrpc_error(400, "BlobTooLarge", "This file is too large. It is %d bytes but the maximum size is %d bytes." % (len(req.body), MAX_BLOB))
        if not req.body:
            return xrpc_error(400, "InvalidRequest", "The blob is empty")
        ref = "bafkrei" + base64.b32encode(hashlib.sha256(req.body).digest()).decode().lower().rstrip("=")[:52]
        self.blobs[ref] = (ctype, len(req.body))
        return Reply(200, {"blob": {"$type": "blob", "ref": {"$link": ref}, "mimeType": ctype,
                                    "size": len(req.body)}})

    # ---- control ----------------------------------------------------------------------

    def state(self, req):
        s = req.json or {}
        with self.lock:
            if "posts" in s or "notifications" in s or "reposts" in s:
                self.seed(int(s.get("posts", 0)), int(s.get("reposts", 0)), int(s.get("notifications", 0)))
            if "followers" in s:
                self.followers = int(s["followers"])
            if s.get("expire_access"):
                for a in self.access.values():
                    a["exp"] = time.time() - 1
            if s.get("revoke"):
                for a in list(self.access.values()) + list(self.refresh.values()):
                    a["revoked"] = True
            if "ratelimit" in s:
                self.rl_limit, self.rl_used, self.rl_window = int(s["ratelimit"]), 0, time.time()
            if "access_ttl" in s:
                self.access_ttl = int(s["access_ttl"])
            own = sorted((p for p in self.posts if p["did"] == DID), key=lambda p: -p["at"])
            return Reply(200, {"ok": True, "did": DID, "handle": HANDLE, "password": PASSWORD,
                               "posts": [p["uri"] for p in own]})


if __name__ == "__main__":
    main(Bluesky)
