/* Fuzzes the ingest parser for TikTok's analytics CSV exports (see
 * fuzz_ingest.h). */
#define FUZZ_FORMAT INGEST_TIKTOK_CSV
#include "fuzz_ingest.h"
