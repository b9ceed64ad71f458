"""Writes N generated posts with one metric snapshot each, the same rows as
kanal's NDJSON (docs/ndjson.md) and as CSV with a mapping file for it, for
bench/import.sh. Deterministic: the same N gives the same files."""
import json
import random
import sys

n, out = int(sys.argv[1]), sys.argv[2]
rng = random.Random(42)
words = ("pension avgift rapport nyhet eläke raportti uutinen report news update "
         "möte seminarium webbinar fråga svar").split()
with open(f"{out}.ndjson", "w") as nd, open(f"{out}.csv", "w") as csv:
    csv.write("id,account_id,published_at,format,body,reach,impressions,reactions,comments,shares\n")
    for i in range(n):
        body = " ".join(rng.choice(words) for _ in range(rng.randint(5, 25)))
        t = 1700000000 + i * 60
        m = [rng.randint(100, 50000), rng.randint(100, 90000), rng.randint(0, 900),
             rng.randint(0, 90), rng.randint(0, 50)]
        fmt = rng.choice(["photo", "video", "link", "status"])
        nd.write(json.dumps({
            "type": "post", "platform": "facebook", "account_id": "4711", "id": f"p{i}",
            "published_at": t, "format": fmt, "body": body,
            "metrics": dict(zip(["reach", "impressions", "reactions", "comments", "shares"], m)),
        }, ensure_ascii=False) + "\n")
        csv.write(f"p{i},4711,{t},{fmt},{body}," + ",".join(map(str, m)) + "\n")
with open(f"{out}.mapping", "w") as f:
    f.write("name = bench\nplatform = facebook\nzone = UTC\nid = id\naccount_id = account_id\n"
            "published_at = published_at\nformat = format\nformat.photo = photo\n"
            "format.video = video\nformat.link = link\nformat.status = status\nbody = body\n"
            "reach = reach\nimpressions = impressions\nreactions = reactions\n"
            "comments = comments\nshares = shares\n")
