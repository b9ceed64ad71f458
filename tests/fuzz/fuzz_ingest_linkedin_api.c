/* Fuzzes the ingest parser for LinkedIn REST API answers (see fuzz_ingest.h). */
#define FUZZ_FORMAT INGEST_LINKEDIN_API
#include "fuzz_ingest.h"
