/* Fuzzes the ingest parser for meta graph input (see fuzz_ingest.h). */
#define FUZZ_FORMAT INGEST_META_GRAPH
#include "fuzz_ingest.h"
