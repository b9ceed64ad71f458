/* Fuzzes the ingest parser for TikTok's Display API answers (see fuzz_ingest.h). */
#define FUZZ_FORMAT INGEST_TIKTOK_API
#include "fuzz_ingest.h"
