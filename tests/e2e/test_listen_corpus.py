"""End-to-end: every feed of ../shared/data/feeds/feedparser (Python
feedparser's test corpus) read by `kanal listen parse`, and each file's
`Expect:` expression evaluated against what kanal read, mapped onto
feedparser's names. Prints a pass rate per group (well-formed, ill-formed,
and per directory). An expression that asks for something kanal does not
keep (title_detail, tags, enclosures, ...) counts as "unmapped", not as a
failure; docs/listening.md says which and why.

Text is compared as text: kanal keeps plain text, feedparser sanitized HTML,
so an expected value is turned into its text (tags dropped, entities
decoded, spaces collapsed) before it is compared."""
import builtins
import html
import html.parser
import os
import re
import subprocess
import json
import time
import urllib.parse
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor

import pytest

from conftest import SANITIZER_MARKS

KANAL = os.environ.get("KANAL_BIN", "build/kanal")
CORPUS = os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "data", "feeds",
                      "feedparser")

# Pass rates the reader must keep (of the expressions it can map); measured
# when this test was written, a little below, so that a regression fails.
MIN_RATES = {"wellformed": 0.90, "illformed": 0.75, "encoding": 0.85, "entities": 0.95}


class Unmapped(Exception):
    """The expression asks for a field kanal does not keep."""


class _Text(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out, self.skip = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self.skip += 1
        if tag in ("p", "br", "div", "li", "tr", "h1", "h2", "h3", "blockquote", "pre"):
            self.out.append(" ")

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self.skip:
            self.skip -= 1

    def handle_data(self, data):
        if not self.skip:
            self.out.append(data)


def as_text(s):
    if "<" in s:
        p = _Text()
        p.feed(s)
        p.close()
        s = "".join(p.out)
    elif "&" in s:
        s = html.unescape(s)
    return " ".join(s.split())


class Text(str):
    """A string kanal read: equal to an expected value with the same text."""

    def __eq__(self, other):
        if isinstance(other, str):
            mine = " ".join(self.split())
            return mine == " ".join(other.split()) or mine == as_text(other)
        return NotImplemented

    def __ne__(self, other):
        r = self.__eq__(other)
        return r if r is NotImplemented else not r

    __hash__ = str.__hash__


class FD(dict):
    """feedparser's FeedParserDict: keys and attributes, unknown keys unmapped."""

    def __missing__(self, key):
        raise Unmapped(key)

    def __getattr__(self, key):
        if key.startswith("__"):
            raise AttributeError(key)
        return self[key]

    def get(self, key, default=None):
        if key in self:
            return self[key]
        raise Unmapped(key)


def text(v):
    return Text(v) if isinstance(v, str) else v


def struct(t):
    return None if t is None else tuple(time.gmtime(t))


def person(name, email):
    if name and email:
        return f"{name} ({email})"
    return name or email


def entry_env(e):
    d = FD()
    for k in ("title", "link", "summary"):
        if e.get(k) is not None:
            d[k] = text(e[k])
    if e.get("summary") is not None:
        d["description"] = text(e["summary"])
    if e.get("guid") is not None:
        d["id"] = text(e["guid"])
        d["guid"] = d["id"]
    if e.get("author") or e.get("author_email"):
        d["author"] = text(person(e.get("author"), e.get("author_email")))
        ad = FD()
        for k, v in (("name", e.get("author")), ("email", e.get("author_email")),
                     ("href", e.get("author_uri"))):
            if v is not None:
                ad[k] = text(v)
        d["author_detail"] = ad
    if e.get("content") is not None:
        d["content"] = [FD(value=text(e["content"]))]
    if e.get("published") is not None:
        d["published_parsed"] = struct(e["published"])
        d["issued_parsed"] = d["published_parsed"]
        d["created_parsed"] = d["published_parsed"]
    if e.get("updated") is not None:
        d["updated_parsed"] = struct(e["updated"])
        d["modified_parsed"] = d["updated_parsed"]
    if "updated_parsed" not in d and "published_parsed" in d:
        d["updated_parsed"] = d["published_parsed"]
    return d


def feed_env(r):
    f = FD()
    for k, name in (("title", "title"), ("link", "link"), ("lang", "language"),
                    ("subtitle", "subtitle")):
        if r.get(k) is not None:
            f[name] = text(r[k])
    if r.get("author") or r.get("author_email"):
        f["author"] = text(person(r.get("author"), r.get("author_email")))
    if "subtitle" in f:
        f["tagline"] = f["description"] = f["subtitle"]
    return f


class Env(dict):
    def __missing__(self, key):
        if hasattr(builtins, key):
            return getattr(builtins, key)
        raise Unmapped(key)


def header_block(path):
    with open(path, "rb") as fh:
        head = fh.read(4096).decode("latin-1")
    m = re.search(r"<!--(.*?)-->", head, re.S)
    block = m.group(1) if m else ""
    fields = defaultdict(list)
    for line in block.splitlines():
        m = re.match(r"\s*(Description|Expect|Header|SkipUnless):\s*(.*)", line)
        if m:
            fields[m.group(1)].append(m.group(2).strip())
    return fields


def check(path):
    """'pass', 'fail', 'unmapped' or 'skip' for one file, and a reason."""
    fields = header_block(path)
    if not fields["Expect"]:
        return "skip", "no Expect line"
    for cond in fields["SkipUnless"]:
        try:
            if not eval(cond, {"__builtins__": builtins}):
                return "skip", cond
        except Exception:
            return "skip", cond
    args = [KANAL, "listen", "parse", path]
    # feedparser's harness serves http_* files from a local server: their
    # address is the base that relative links resolve against.
    rel = os.path.relpath(path, CORPUS).replace(os.sep, "/")
    docuri = f"http://127.0.0.1:8097/tests/{rel}"
    url = docuri if os.path.basename(path).startswith("http") else None
    for h in fields["Header"]:
        name, _, value = h.partition(":")
        name = name.strip().lower()
        if name == "content-type":
            args += ["--content-type", value.strip()]
        elif name == "content-location":
            url = urllib.parse.urljoin(docuri, value.strip())
        elif name == "content-language":
            args += ["--content-language", value.strip()]
    if url:
        args += ["--url", url]
    r = subprocess.run(args, capture_output=True, timeout=30)
    # Under ASan/UBSan a report goes to stderr and (for UBSan) the exit code
    # may still be 0: the file is a sanitizer finding whatever it read.
    err = r.stderr.decode("utf-8", "replace")
    marks = [m for m in SANITIZER_MARKS if m in err]
    if marks:
        return "sanitizer", f"{marks[0]}: {err[-1500:]}"
    if r.returncode < 0 or r.returncode > 2:
        return "fail", f"kanal died: {r.returncode} {r.stderr[-300:]!r}"
    if r.returncode == 0:
        out = json.loads(r.stdout)
    else:  # no feed at all: feedparser answers bozo with nothing in it
        out = {"bozo": True, "encoding": None, "version": "", "entries": []}
    env = Env(bozo=1 if out["bozo"] else 0, encoding=out.get("encoding"),
              version=out.get("version"), feed=feed_env(out),
              entries=[entry_env(e) for e in out["entries"]])
    expect = " and ".join(f"({e})" for e in fields["Expect"])
    try:
        ok = eval(expect, {"__builtins__": builtins}, env)
    except Unmapped as e:
        return "unmapped", f"needs {e}"
    except Exception as e:  # an entry missing, a None compared: kanal read less
        return "fail", f"{type(e).__name__}: {e}"
    return ("pass", "") if ok else ("fail", expect[:200])


def corpus_files():
    for root, _, files in os.walk(CORPUS):
        for f in sorted(files):
            if f.endswith((".xml", ".json", ".rdf", ".atom")):
                yield os.path.join(root, f)


def test_feedparser_corpus():
    if not os.path.isdir(CORPUS):
        if os.environ.get("CI"):
            pytest.fail(f"{CORPUS}: missing, and CI is set")
        pytest.skip(f"{CORPUS} not found (../shared/data is not here)")
    groups = defaultdict(lambda: defaultdict(int))
    failures, sanitizer = [], []
    paths = sorted(corpus_files())
    # Two thousand short runs of kanal: a few at a time, so one's start-up
    # overlaps another's (the results are taken in the files' order).
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(check, paths))
    for path, (status, why) in zip(paths, results):
        rel = os.path.relpath(path, CORPUS)
        top = rel.split(os.sep)[0]
        sub = os.path.dirname(rel)
        for g in (top, sub, "all"):
            groups[g][status] += 1
        if status == "fail":
            failures.append(f"{rel}: {why}")
        elif status == "sanitizer":
            sanitizer.append(f"{rel}: {why}")
    print()
    print(f"{'group':28} {'pass':>5} {'fail':>5} {'unmapped':>8} {'skip':>5}  rate (of mapped)")
    for g in sorted(groups, key=lambda g: (g == "all", g)):
        c = groups[g]
        mapped = c["pass"] + c["fail"]
        rate = c["pass"] / mapped if mapped else 1.0
        print(f"{g:28} {c['pass']:5} {c['fail']:5} {c['unmapped']:8} {c['skip']:5}  {rate:6.1%}")
    if os.environ.get("LISTEN_CORPUS_FAILURES"):
        print("\n".join(failures))
    assert not sanitizer, f"{len(sanitizer)} file(s) with sanitizer reports; the first:\n" + \
        "\n".join(sanitizer[:3])
    for g, floor in MIN_RATES.items():
        c = groups[g]
        rate = c["pass"] / max(1, c["pass"] + c["fail"])
        assert rate >= floor, f"{g}: {rate:.1%} < {floor:.0%}; first failures:\n" + "\n".join(
            f for f in failures if f.startswith(g))[:3000]
