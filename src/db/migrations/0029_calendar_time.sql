-- 0029: the calendar asks for the variants of a window by their time on
-- it, the publish time or else the scheduled one. Without an index on that
-- expression every window read all of a workspace's variants (the bench's
-- week: 100,000 rows for 3,828, about 50 ms); with it, only the window's
-- (5 ms). Both stores index an expression; the query must say it the same
-- way (publish/calendar.c, VARIANTS_IN_WINDOW).

CREATE INDEX post_variants_calendar ON post_variants ((COALESCE(published_at, scheduled_at)));
