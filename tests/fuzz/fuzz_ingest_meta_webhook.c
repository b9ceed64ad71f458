/* Fuzzes the ingest parser for meta webhook input (see fuzz_ingest.h). */
#define FUZZ_FORMAT INGEST_META_WEBHOOK
#include "fuzz_ingest.h"
