/* report: the documents made from analytics for people who do not open
 * kanal: the monthly HTML report. Reads figures only through analytics.h;
 * writes nothing to the store. */
#ifndef KANAL_REPORT_H
#define KANAL_REPORT_H

#include "analytics/analytics.h"

/* The monthly report for `month` ("2026-10") as one self-contained HTML
 * page with SVG charts, appended to out (the caller's buffer). */
int report_html_month(struct db *db, int64_t workspace_id, const char *month, struct buf *out,
                      struct error *err);

#endif
