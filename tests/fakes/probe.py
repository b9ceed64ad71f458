"""A fake with no platform behind it: it answers what it was sent (method,
path, headers, body length), so tests of the HTTP client and of fakebase
itself can see what went over the wire."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fakebase import Fake, Reply, main  # noqa: E402


class Probe(Fake):
    name = "probe"

    def __init__(self, data_dir):
        super().__init__(data_dir)
        for m in ("GET", "POST", "PUT", "DELETE"):
            self.route(m, "/echo/{what}", self.echo)

    def echo(self, req, what):
        return Reply(200, {"method": req.method, "what": what, "bearer": req.bearer(),
                           "headers": {k.lower(): v for k, v in req.headers.items()},
                           "body_len": len(req.body), "body_nul": b"\0" in req.body})


if __name__ == "__main__":
    main(Probe)
