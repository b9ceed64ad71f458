"""A local web host for listening's tests: it serves what real hosts serve
(feeds with an ETag and 304, gzip, a redirect, a slow answer, a truncated
one, an ill-formed feed, a server error, a forum page without a feed,
sitemaps and a sitemap index, a robots.txt) and keeps a log of every
request with when it started and ended and how many ran at once, so a test
can check kanal's manners: robots.txt first and honoured, one request at a
time, the delay between two."""
import gzip
import threading
import time
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ROBOTS = """# kanal's tests
User-agent: *
Disallow: /

User-agent: kanal-listen
Disallow: /private/
Allow: /private/open
Crawl-delay: 1
"""


def rss(items, etag_title="Pensionsnytt"):
    """An RSS 2.0 feed of (guid, title, minutes ago) items, dated from now."""
    out = [f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
           f'<title>{etag_title}</title><link>https://example.org/</link><language>sv</language>']
    for guid, title, ago in items:
        out.append(f"<item><guid>{guid}</guid><title>{title}</title><link>/a/{guid}</link>"
                   f"<pubDate>{formatdate(time.time() - ago * 60, usegmt=True)}</pubDate>"
                   f"<description>{title}</description></item>")
    out.append("</channel></rss>")
    return "".join(out).encode()


FORUM = """<!doctype html><html lang="sv"><head><title>Forum</title></head><body>
<table id="threads"><tr class="row"><td><a class="subject" href="thread/1">Pensionen sänks?</a></td>
<td class="who">Anna</td><td><time datetime="2024-03-01T08:00:00Z">igår</time></td></tr>
<tr class="row"><td><a class="subject" href="/forum/thread/2">Fråga om bostadstillägg</a></td>
<td class="who">Bo</td><td><time>Fri, 01 Mar 2024 09:00:00 GMT</time></td></tr>
<tr class="ad"><td><a href="/ad">Annons</a></td></tr></table></body></html>""".encode()

SITEMAP_INDEX = b"""<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<sitemap><loc>/s1.xml</loc><lastmod>2024-03-02</lastmod></sitemap>
<sitemap><loc>/s2.xml</loc><lastmod>2024-03-01</lastmod></sitemap></sitemapindex>"""


def sitemap(paths):
    return ('<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            + "".join(f"<url><loc>{p}</loc><lastmod>2024-03-01T08:00:00Z</lastmod></url>"
                      for p in paths) + "</urlset>").encode()


class Host(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, robots=ROBOTS):
        super().__init__(("127.0.0.1", 0), Handler)
        self.robots = robots
        self.lock = threading.Lock()
        self.logged = threading.Condition(self.lock)
        self.log = []  # (path, status, gzipped, started, ended)
        self.unlogged = 0  # requests begun and not in the log yet
        self.running = 0
        self.most_at_once = 0
        self.feed_items = [("p1", "Pensionen höjs", 5), ("p2", "Bostadstillägg", 6)]
        self.feed_version = 1
        self.redirects = {}  # path -> Location (another host's, a scheme kanal refuses)
        self.base = f"http://127.0.0.1:{self.server_address[1]}"
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def requests(self, path=None):
        # A request is logged after its answer is written, so the client may
        # have read the answer (and kanal exited) before it is in the log:
        # wait (a little) for the requests still being logged.
        with self.logged:
            self.logged.wait_for(lambda: self.unlogged == 0, timeout=5)
            return [e for e in self.log if path is None or e[0] == path]

    def close(self):
        self.shutdown()
        self.server_close()


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def send(self, status, body=b"", headers=(), gz_ok=True):
        gz = gz_ok and body and "gzip" in self.headers.get("Accept-Encoding", "")
        if gz:
            body = gzip.compress(body)
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        if gz:
            self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.gz = bool(gz)
        return status

    def do_GET(self):
        srv = self.server
        started = time.time()
        with srv.lock:
            srv.running += 1
            srv.unlogged += 1
            srv.most_at_once = max(srv.most_at_once, srv.running)
        self.gz = False
        status = 0  # the client went away before the answer was written
        try:
            status = self.answer(srv)
        except (BrokenPipeError, ConnectionResetError):
            pass
        finally:
            with srv.lock:
                if not getattr(self, "uncounted", False):
                    srv.running -= 1
                srv.log.append((self.path, status, self.gz, started, time.time()))
                srv.unlogged -= 1
                srv.logged.notify_all()

    def answer(self, srv):
        p = self.path
        if p in srv.redirects:
            return self.send(302, headers=[("Location", srv.redirects[p])])
        if p == "/robots.txt":
            if srv.robots is None:
                return self.send(404, b"none")
            return self.send(200, srv.robots.encode(), [("Content-Type", "text/plain")])
        if p == "/feed.xml":
            etag = f'"v{srv.feed_version}"'
            if self.headers.get("If-None-Match") == etag:
                return self.send(304)
            return self.send(200, rss(srv.feed_items), [("Content-Type", "application/rss+xml"),
                                                        ("ETag", etag)])
        if p == "/moved":
            return self.send(301, headers=[("Location", "/new/feed.xml")])
        if p == "/new/feed.xml":
            # A relative link: it resolves against the address after the redirect.
            return self.send(200, rss([("m1", "Flyttad", 10)]).replace(b"<link>/a/", b"<link>a/"),
                             [("Content-Type", "application/rss+xml"),
                              ("Last-Modified", "Wed, 31 Dec 2003 10:14:55 GMT")])
        if p == "/broken.xml":  # not well-formed: read as far as it goes
            return self.send(200, b'<rss version="2.0"><channel><title>Trasig</title><item>'
                             b'<title>Halv & hel</title><link>/b/1</link></item><item><title>'
                             b'Andra</title>', [("Content-Type", "application/rss+xml")])
        if p == "/slow":
            # Past kanal's 2 s timeout. Once kanal has given up, the request
            # no longer counts as one in flight: on a loaded machine this
            # thread may wake well after kanal's next request has begun.
            time.sleep(2.0)
            with srv.lock:
                srv.running -= 1
                self.uncounted = True
            time.sleep(0.5)
            return self.send(200, rss([("s1", "Sen", 1)]))
        if p == "/truncated":
            self.send_response(200)
            self.send_header("Content-Length", "5000")
            self.end_headers()
            self.wfile.write(rss([("t1", "Trunkerad", 1)])[:120])
            return 200
        if p == "/fail":
            return self.send(500, b"oops")
        if p == "/forum/":
            return self.send(200, FORUM, [("Content-Type", "text/html; charset=utf-8")])
        if p == "/sitemap-index.xml":
            return self.send(200, SITEMAP_INDEX, [("Content-Type", "application/xml")])
        if p == "/s1.xml":
            return self.send(200, sitemap(["/news/1", "/news/2"]))
        if p == "/s2.xml":
            return self.send(200, sitemap(["/news/3"]))
        if p.startswith("/private/"):
            return self.send(200, rss([("x", "Hemligt", 1)]))
        return self.send(404, b"no")
