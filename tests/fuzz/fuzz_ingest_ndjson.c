/* Fuzzes the ingest parser for ndjson input (see fuzz_ingest.h). */
#define FUZZ_FORMAT INGEST_NDJSON
#include "fuzz_ingest.h"
