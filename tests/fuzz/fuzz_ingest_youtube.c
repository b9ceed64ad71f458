/* Fuzzes the ingest parser for youtube input (see fuzz_ingest.h). */
#define FUZZ_FORMAT INGEST_YOUTUBE
#include "fuzz_ingest.h"
