/* Fuzzes the ingest parser for csv input (see fuzz_ingest.h). */
#define FUZZ_FORMAT INGEST_CSV
#include "fuzz_ingest.h"
