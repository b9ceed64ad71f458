/* Fuzzes the ingest parser for the Threads API's answers (see fuzz_ingest.h). */
#define FUZZ_FORMAT INGEST_THREADS
#include "fuzz_ingest.h"
