/* Unit tests for model/conversation.c: how @mentions are read from a note
 * and whom they name (e-mail's local part, name, first name, quoted name,
 * ambiguity), presence expiring after its lifetime on an in-memory SQLite
 * store, and db.c's per-backend migration lines. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/model.h"

/* The mentions of body as "a|b|\"c d\"" (quoted ones in quotes). */
static void scans(const char *body, const char *want)
{
    struct note_mention m[8];
    int n = note_mentions_scan(body, m, 8);
    char got[256] = "";
    for (int i = 0; i < n; i++)
        snprintf(got + strlen(got), sizeof got - strlen(got), "%s%s%.*s%s", i ? "|" : "",
                 m[i].quoted ? "\"" : "", (int)m[i].len, m[i].text, m[i].quoted ? "\"" : "");
    assert_string_equal(got, want);
}

static void test_scan(void **state)
{
    (void)state;
    scans("", "");
    scans("no mention here", "");
    scans("@anna", "anna");
    scans("Hej @anna.lind, kolla. @Bo.", "anna.lind|Bo");
    scans("skriv till karin@example.se eller @karin", "karin");
    scans("(@sven) och @åsa-", "sven|åsa");
    scans("@\"Anna Lind\" och @\"\" och @\"open", "\"Anna Lind\"");
    scans("@ alone, @@x", "x");
    /* at most max */
    struct note_mention m[2];
    assert_int_equal(note_mentions_scan("@a @b @c @d", m, 2), 2);
}

static const struct note_user users[] = {
    {1, "anna.lind@pv.se", "Anna Lind"}, {2, "bo@pv.se", "Bo Ek"},   {3, "asa@pv.se", "Åsa Öberg"},
    {4, "anna@other.se", "Anna Berg"},   {5, "bo@elsewhere.se", ""},
};

static int who(const char *text, bool quoted)
{
    struct note_mention m = {text, strlen(text), quoted};
    int i = note_mention_match(&m, users, (int)(sizeof users / sizeof users[0]));
    return i < 0 ? i : (int)users[i].id;
}

static void test_match(void **state)
{
    (void)state;
    assert_int_equal(who("anna.lind", false), 1); /* e-mail's local part */
    assert_int_equal(who("ANNA.LIND", false), 1); /* any case */
    assert_int_equal(who("anna", false), 4);      /* anna@other.se's local part first */
    assert_int_equal(who("AnnaLind", false), 1);  /* the name without its space */
    assert_int_equal(who("åsa", false), 3);       /* first name, Latin-1 case */
    assert_int_equal(who("ÅsaÖberg", false), 3);
    assert_int_equal(who("åsaöberg", false), 3);
    assert_int_equal(who("bo", false), -2); /* two people's local part: nobody */
    assert_int_equal(who("Ek", false), -1); /* a last name alone is not a mention */
    assert_int_equal(who("nobody", false), -1);
    assert_int_equal(who("anna lind", true), 1); /* quoted: the whole name */
    assert_int_equal(who("Anna Berg", true), 4);
    assert_int_equal(who("Anna", true), 4);      /* quoted, still a local part */
    assert_int_equal(who("AnnaLind", true), -1); /* quoted names keep their spaces */
}

static void test_migration_lines(void **state)
{
    (void)state;
    const char *sql = "CREATE TABLE t (x INTEGER);\n"
                      "-- sqlite: DROP TABLE a;\n"
                      "-- postgres: ALTER TABLE a DROP CONSTRAINT a_x_check;\n"
                      "-- a comment\n"
                      "  -- sqlite: indented lines stay comments\n"
                      "-- sqlite: last line without its end";
    char *lite = db_migration_for(sql, DB_SQLITE), *pg = db_migration_for(sql, DB_POSTGRES);
    assert_string_equal(lite, "CREATE TABLE t (x INTEGER);\n"
                              "DROP TABLE a;\n"
                              "-- postgres: ALTER TABLE a DROP CONSTRAINT a_x_check;\n"
                              "-- a comment\n"
                              "  -- sqlite: indented lines stay comments\n"
                              "last line without its end");
    assert_string_equal(pg, "CREATE TABLE t (x INTEGER);\n"
                            "-- sqlite: DROP TABLE a;\n"
                            "ALTER TABLE a DROP CONSTRAINT a_x_check;\n"
                            "-- a comment\n"
                            "  -- sqlite: indented lines stay comments\n"
                            "-- sqlite: last line without its end");
    free(lite);
    free(pg);
}

/* Two moderators on one message, heartbeats at chosen instants. */
static void test_presence_expires(void **state)
{
    (void)state;
    struct error err = {0};
    log_set_level(LOG_WARN);
    struct db *db = db_open(":memory:", &err);
    assert_non_null(db);
    assert_true(db_migrate(db, &err) >= 1);
    json_t *win = json_pack("{s:s, s:s}", "name", "P", "slug", "p");
    json_t *w = entity_create(db, &entity_workspace, 0, win, NULL, &err);
    int64_t ws = json_integer_value(json_object_get(w, "id"));
    json_t *cin =
        json_pack("{s:s, s:s, s:s}", "platform", "facebook", "handle", "pv", "name", "PV");
    json_t *c = entity_create(db, &entity_channel, ws, cin, NULL, &err);
    json_decref(win);
    json_decref(cin);
    assert_non_null(c);
    int64_t a, b, mid;
    assert_int_equal(user_create(db, "a@pv.se", "Anna", "moderator", "a long password 1", &a, &err),
                     0);
    assert_int_equal(user_create(db, "b@pv.se", "", "moderator", "a long password 1", &b, &err), 0);
    struct message_in m = {.channel_id = json_integer_value(json_object_get(c, "id")),
                           .kind = "comment",
                           .platform_id = "1",
                           .author_name = "K",
                           .body = "hej",
                           .created_at = 500};
    assert_int_equal(message_upsert(db, ws, &m, &mid, &err), UPSERT_INSERTED);

    json_t *out = presence_beat(db, ws, mid, a, "viewing", 1000, &err);
    assert_int_equal(json_array_size(json_object_get(out, "others")), 0);
    json_decref(out);
    out = presence_beat(db, ws, mid, b, "typing", 1010, &err);
    json_t *o = json_array_get(json_object_get(out, "others"), 0);
    assert_int_equal(json_integer_value(json_object_get(o, "user_id")), a);
    assert_string_equal(json_string_value(json_object_get(o, "name")), "Anna");
    assert_string_equal(json_string_value(json_object_get(o, "state")), "viewing");
    json_decref(out);
    /* a's 29 s old heartbeat still counts; b without a name is shown by e-mail */
    out = presence_others(db, mid, b, 1029, &err);
    assert_int_equal(json_array_size(out), 1);
    json_decref(out);
    out = presence_others(db, mid, a, 1029, &err);
    assert_string_equal(json_string_value(json_object_get(json_array_get(out, 0), "name")),
                        "b@pv.se");
    json_decref(out);
    /* 30 s after a's last heartbeat: gone, and swept by b's next one */
    out = presence_beat(db, ws, mid, b, "typing", 1030, &err);
    assert_int_equal(json_array_size(json_object_get(out, "others")), 0);
    json_decref(out);
    int64_t rows = 0;
    assert_int_equal(db_scalar(db, &err, &rows, "SELECT COUNT(*) FROM message_presence", ""), 1);
    assert_int_equal(rows, 1);
    /* a's new heartbeat keeps when b came (the first to come first) */
    out = presence_beat(db, ws, mid, a, "viewing", 1031, &err);
    o = json_array_get(json_object_get(out, "others"), 0);
    assert_string_equal(json_string_value(json_object_get(o, "since")), "1970-01-01T00:16:50Z");
    json_decref(out);
    assert_null(presence_beat(db, ws, mid, a, "away", 1032, &err));
    assert_string_equal(err.field, "state");
    assert_null(presence_beat(db, ws, mid + 1, a, "viewing", 1032, &err));
    assert_int_equal(err.kind, ERR_NOT_FOUND);
    json_decref(w);
    json_decref(c);
    db_close(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scan),
        cmocka_unit_test(test_match),
        cmocka_unit_test(test_migration_lines),
        cmocka_unit_test(test_presence_expires),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
