/* Fuzzes the ingest parser for x archive input (see fuzz_ingest.h). */
#define FUZZ_FORMAT INGEST_X_ARCHIVE
#include "fuzz_ingest.h"
