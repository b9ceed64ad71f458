/* Fuzzes the ingest parser for bluesky input (see fuzz_ingest.h). */
#define FUZZ_FORMAT INGEST_BLUESKY
#include "fuzz_ingest.h"
