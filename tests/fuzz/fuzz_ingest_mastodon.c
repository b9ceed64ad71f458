/* Fuzzes the ingest parser for mastodon input (see fuzz_ingest.h). */
#define FUZZ_FORMAT INGEST_MASTODON
#include "fuzz_ingest.h"
