/* Fuzzes what an API request body goes through: JSON parsing, then the
 * validation and writes of every entity and of posts, on an in-memory
 * database with the real schema. Any crash, leak or sanitizer report fails. */
#include <stdint.h>
#include <stdlib.h>

#include "analytics/analytics.h"
#include "model/model.h"

static struct db *db;
static int64_t ws;

static void setup(void)
{
    struct error err = {0};
    log_set_level(LOG_QUIET);
    db = db_open(":memory:", &err);
    if (!db || db_migrate(db, &err) < 0)
        abort();
    json_t *in = json_pack("{s:s, s:s}", "name", "W", "slug", "w");
    json_t *w = entity_create(db, &entity_workspace, 0, in, NULL, &err);
    ws = json_integer_value(json_object_get(w, "id"));
    json_decref(in);
    json_decref(w);
    in = json_pack("{s:s, s:s, s:s}", "platform", "x", "handle", "h", "name", "n");
    json_decref(entity_create(db, &entity_channel, ws, in, NULL, &err));
    json_decref(in);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!db)
        setup();
    json_error_t je;
    json_t *in = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &je);
    if (!in)
        return 0;
    struct error err = {0};
    const struct entity *entities[] = {&entity_workspace, &entity_channel, &entity_campaign,
                                       &entity_tag};
    for (size_t i = 0; i < ARRAY_LEN(entities); i++) {
        json_t *out = entity_create(db, entities[i], ws, in, NULL, &err);
        json_decref(out);
        out = entity_update(db, entities[i], ws, 1, in, NULL, &err);
        json_decref(out);
        struct page pg = {.limit = 3};
        json_decref(entity_list(db, entities[i], ws, json_is_object(in) ? in : NULL, &pg, &err));
    }
    json_decref(post_create(db, ws, in, NULL, &err));
    json_decref(message_update(db, ws, 1, in, NULL, &err));
    struct post_filter pf;
    if (json_is_object(in) && post_filter_parse(&pf, in, &err) == 0) {
        struct page pg = {.limit = 2};
        json_decref(post_list(db, ws, &pf, &pg, &err));
    }
    struct analytics_query aq;
    if (json_is_object(in) && analytics_query_parse(db, ws, in, NULL, &aq, &err) == 0)
        json_decref(analytics_report(db, ws, &aq, &err));
    json_decref(in);
    return 0;
}
