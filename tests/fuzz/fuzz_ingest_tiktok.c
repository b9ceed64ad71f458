/* Fuzzes the ingest parser for TikTok's data download (see fuzz_ingest.h). */
#define FUZZ_FORMAT INGEST_TIKTOK
#include "fuzz_ingest.h"
