/* Fuzzes the ingest parser for x api input (see fuzz_ingest.h). */
#define FUZZ_FORMAT INGEST_X_API
#include "fuzz_ingest.h"
