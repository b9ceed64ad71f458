"""The calendar's summary on SQLite and PostgreSQL: a window of more than
300 variants asked with per=hour or per=day answers the first 3 (or
`shown`, 1 to 3) of each local hour or day and how many more each holds; a
slot's own window gives its whole list. Every count is checked against the
posts the test made."""
import datetime
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

ZONE = ZoneInfo("Europe/Helsinki")
BUSY = 40     # variants in one hour
SPREAD = 290  # variants 25 minutes apart over the next five days


def iso(dt):
    return dt.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def slot_start(dt, per):
    local = dt.astimezone(ZONE)
    if per == "day":
        return local.replace(hour=0, minute=0, second=0)
    return local.replace(minute=0, second=0)


def slot_until(start, per):
    # Wall-clock arithmetic in the zone, then back: a day is 23 or 25 hours across DST.
    if per == "day":
        nxt = (start + datetime.timedelta(days=1)).replace(tzinfo=None)
        return nxt.replace(tzinfo=ZONE)
    return (start.astimezone(datetime.timezone.utc) + datetime.timedelta(hours=1)).astimezone(ZONE)


def expected(made, per, per_slot=3):
    """made: [(time, variant_id)] -> the slots and the items the summary shows."""
    slots, shown = {}, []
    for t, vid in sorted(made):
        s = slot_start(t, per)
        slots.setdefault(s, []).append(vid)
        if len(slots[s]) <= per_slot:
            shown.append(vid)
    return [{"start": iso(s), "until": iso(slot_until(s, per)), "total": len(v),
             "more": max(0, len(v) - per_slot)} for s, v in sorted(slots.items())], shown


def test_busy_window_is_summarised_per_hour_and_day(admin, workspace):
    base = f"/api/v1/workspaces/{workspace}"
    assert admin.patch(base, {"timezone": "Europe/Helsinki"}).status == 200
    channels = [admin.post(f"{base}/channels", {"platform": "mastodon", "handle": f"k{i}@m.fi",
                                                "name": f"Kanava {i}"}).json()["id"] for i in range(3)]
    # A Monday at least two weeks ahead, 00:00 in Helsinki.
    today = datetime.datetime.now(ZONE).date()
    monday = today + datetime.timedelta(days=14 - today.weekday())
    day0 = datetime.datetime.combine(monday, datetime.time(0), ZONE)
    times = [day0.replace(hour=10) + datetime.timedelta(minutes=i) for i in range(BUSY)]
    times += [day0 + datetime.timedelta(days=1, minutes=25 * i) for i in range(SPREAD)]
    made = []
    for n, t in enumerate(times):
        r = admin.post(f"{base}/posts", {"title": f"Inlägg {n}", "body": f"Text {n}", "variants": [
            {"channel_id": channels[n % 3], "scheduled_at": iso(t)}]})
        assert r.status == 201, r
        made.append((t.astimezone(datetime.timezone.utc), r.json()["variants"][0]["id"]))
    window = {"since": iso(day0), "until": iso(day0 + datetime.timedelta(days=7))}

    def calendar(**q):
        r = admin.get(f"{base}/calendar?{urlencode({**window, **q})}")
        assert r.status == 200, r
        return r.json()

    # Without per: the whole list, as before.
    full = calendar()
    assert full["summarised"] is False and full["total"] == BUSY + SPREAD
    assert [i["variant_id"] for i in full["items"]] == [v for _, v in sorted(made)]
    assert "slots" not in full

    for per in ("hour", "day"):
        out = calendar(per=per)
        slots, shown = expected(made, per)
        assert out["summarised"] is True and out["per"] == per and out["shown"] == 3
        assert out["total"] == BUSY + SPREAD
        assert out["slots"] == slots, per
        assert [i["variant_id"] for i in out["items"]] == shown, per
        assert sum(s["total"] for s in out["slots"]) == BUSY + SPREAD

    # Fewer per slot, as the desk's week view asks (decision 130): the same
    # slots and totals, only the first `shown` of each listed.
    for n in (1, 2, 3):
        out = calendar(per="hour", shown=str(n))
        slots, shown = expected(made, "hour", n)
        assert out["summarised"] is True and out["shown"] == n
        assert out["total"] == BUSY + SPREAD
        assert out["slots"] == slots, n
        assert [i["variant_id"] for i in out["items"]] == shown, n
    # Below the threshold `shown` changes nothing: the whole list.
    few = calendar(per="hour", shown="1", channel=str(channels[0]))
    assert few["summarised"] is False and len(few["items"]) == few["total"]

    # The busy hour: 3 shown, 37 more; its own window is its whole list.
    busy = next(s for s in calendar(per="hour")["slots"] if s["total"] == BUSY)
    assert busy["start"] == iso(day0.replace(hour=10)) and busy["more"] == BUSY - 3
    r = admin.get(f"{base}/calendar?{urlencode({'since': busy['start'], 'until': busy['until']})}")
    assert r.status == 200, r
    assert [i["variant_id"] for i in r.json()["items"]] == [v for _, v in sorted(made)[:BUSY]]
    # Asked with per, a slot's window is below the threshold: the list, not a summary.
    one = admin.get(f"{base}/calendar?{urlencode({'since': busy['start'], 'until': busy['until'], 'per': 'hour'})}").json()
    assert one["summarised"] is False and one["total"] == BUSY and len(one["items"]) == BUSY

    # At the threshold and below it (one channel: 110 variants) no summary.
    few = calendar(per="hour", channel=str(channels[0]))
    assert few["summarised"] is False and few["total"] == len(range(0, BUSY + SPREAD, 3))
    # Filtered by status in C, counted the same way: none are published.
    assert calendar(per="hour", status="published")["total"] == 0

    # Bad input names the parameter.
    r = admin.get(f"{base}/calendar?{urlencode({**window, 'per': 'week'})}")
    assert r.status == 400 and r.json()["error"]["field"] == "per", r
    for bad in ("0", "4", "two", "", "1.5"):
        r = admin.get(f"{base}/calendar?{urlencode({**window, 'per': 'hour', 'shown': bad})}")
        assert r.status == 400 and r.json()["error"]["field"] == "shown", (bad, r)
        assert "shown" in r.json()["error"]["message"], r
