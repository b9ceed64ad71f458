/* Fuzzes the ingest parser for LinkedIn's page analytics workbooks, and
 * libfreexl under it (see fuzz_ingest.h). */
#define FUZZ_FORMAT INGEST_LINKEDIN_XLS
#include "fuzz_ingest.h"
