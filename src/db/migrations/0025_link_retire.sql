-- 0025: a link can be retired (issue 23): its code stays taken and its
-- clicks stay counted, but the redirect answers 410 Gone, so a QR code on
-- an old poster no longer leads to a page the team has taken down.
-- NULL: in use.
ALTER TABLE links ADD COLUMN retired_at INTEGER;
