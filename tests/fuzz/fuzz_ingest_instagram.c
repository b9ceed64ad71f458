/* Fuzzes the ingest parser for instagram input (see fuzz_ingest.h). */
#define FUZZ_FORMAT INGEST_INSTAGRAM
#include "fuzz_ingest.h"
