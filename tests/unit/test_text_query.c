/* Unit tests for the topic-tag query language (text/query.h): parse errors
 * with their columns, phrases, wildcards, NEAR/n, NOT, precedence, folding
 * and limits. Columns are counted by hand from the query strings. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text/query.h"

static struct text_tokens toks;

static bool matches(const char *query, const char *text)
{
    struct error err = {0};
    struct query *q = query_compile(query, &err);
    if (!q)
        fail_msg("query '%s' did not compile: %s", query, err.msg);
    text_tokenize(&toks, text, strlen(text));
    bool m = query_match(q, &toks);
    query_free(q);
    return m;
}

static void expect_error(const char *query, const char *msg)
{
    struct error err = {0};
    struct query *q = query_compile(query, &err);
    if (q) {
        query_free(q);
        fail_msg("query '%s' compiled, want error '%s'", query, msg);
    }
    if (strncmp(err.msg, msg, strlen(msg)) != 0)
        fail_msg("query '%s': error '%s', want it to start with '%s'", query, err.msg, msg);
    assert_string_equal(err.field, "query");
}

static void test_errors_name_the_column(void **state)
{
    expect_error("pension AND (bank", "column 18: expected ')' to close the '(' at column 13");
    expect_error("\"pension", "column 1: phrase has no closing");
    expect_error("pe*s", "column 3: '*' only ends a word");
    expect_error("a NEAR/x b", "column 8: NEAR/n needs a whole number");
    expect_error("a NEAR b", "column 3: NEAR needs a distance");
    expect_error("a NEAR/101 b", "column 8: NEAR/n allows at most");
    expect_error("pension)", "column 8: ')' without '('");
    expect_error("fo*", "column 1: a wildcard needs at least 3 letters");
    expect_error("AND pension", "column 1: operator without a term");
    expect_error("pension OR", "column 11: query ends where a term was expected");
    expect_error("()", "column 2: empty parentheses");
    expect_error("", "column 1: query is empty");
    expect_error("   ", "column 1: query is empty");
    expect_error("\"\"", "column 2: empty phrase");
    /* Columns count characters, not bytes: ä and ö are one each. */
    expect_error("ä ö )", "column 5: ')' without '('");
    expect_error("NOT bank", "column 1: query only excludes");
    expect_error("NOT a OR NOT b", "column 1: query only excludes");
    expect_error("(a AND b) NEAR/3 c", "column 1: NEAR/n needs words");
    expect_error("a NEAR/2 b NEAR/2 c", "column 12: chain NEAR");
    expect_error("pension \xff", "column 9: not valid UTF-8");
}

static void test_words_phrases_folding(void **state)
{
    assert_true(matches("pension", "Min PENSION är för låg"));
    assert_false(matches("pension", "premiepensionen"));
    assert_true(matches("pension", "Hela #pension systemet")); /* words match hashtags */
    assert_false(matches("#pension", "om pension"));           /* hashtags only hashtags */
    assert_true(matches("#pension", "Om #Pension!"));
    assert_true(matches("@kela", "kiitos @Kela"));
    assert_false(matches("@kela", "kiitos Kela"));
    assert_true(matches("Malmö", "MALMO stad"));
    assert_true(matches("malmo", "i Malmö"));
    assert_true(matches("kela", "Kela's office")); /* English possessive */
    assert_true(matches("\"sänkt skatt\"", "Vi vill ha SÄNKT skatt!"));
    assert_false(matches("\"sänkt skatt\"", "skatt sänkt"));
    assert_true(matches("\"sänkt skatt\"", "sänkt, skatt")); /* punctuation does not count */
    assert_true(matches("e-post", "skicka e post"));         /* a split term is a phrase */
    assert_true(matches("😡", "nej 😡🏻"));
    assert_true(matches("and", "pension and bank")); /* lower case: a word */
    assert_false(matches("pension and bank", "pension bank"));
}

static void test_wildcards(void **state)
{
    assert_true(matches("pens*", "pensionen"));
    assert_true(matches("pens*", "Pensionärer"));
    assert_true(matches("pens*", "pens"));
    assert_false(matches("pens*", "spens"));
    assert_true(matches("eläk*", "ELÄKKEET nousevat"));
    assert_true(matches("elak*", "eläkkeet")); /* diacritics fold in prefixes too */
    assert_true(matches("\"sänkt pens*\"", "sänkt pensionsålder"));
    assert_false(matches("\"sänkt pens*\"", "sänkt skatt på pension"));
}

static void test_operators_and_precedence(void **state)
{
    const char *q = "(\"pension\" OR \"premiepension\") AND NOT \"bank\"";
    assert_true(matches(q, "Min pension"));
    assert_true(matches(q, "premiepension idag"));
    assert_false(matches(q, "pension från banken och bank"));
    assert_false(matches(q, "inget om det"));
    /* Juxtaposition is AND; AND binds tighter than OR. */
    assert_true(matches("a b OR c", "c"));
    assert_true(matches("a b OR c", "b a"));
    assert_false(matches("a b OR c", "a"));
    assert_false(matches("a OR b c", "b"));
    assert_true(matches("a OR b c", "a"));
    /* NOT binds tighter than AND: "pension NOT bank". */
    assert_true(matches("pension NOT bank", "pension"));
    assert_false(matches("pension NOT bank", "pension bank"));
    assert_true(matches("NOT bank pension", "pension"));
    /* NOT around NEAR: NOT (a NEAR/1 b). */
    assert_true(matches("c NOT a NEAR/1 b", "c a x x b"));
    assert_false(matches("c NOT a NEAR/1 b", "c a b"));
}

static void test_near(void **state)
{
    assert_true(matches("pension NEAR/2 sänkt", "sänkt är nu pension"));          /* 2 between */
    assert_false(matches("pension NEAR/2 sänkt", "sänkt och inte alls pension")); /* 3 */
    assert_true(matches("pension NEAR/0 sänkt", "sänkt pension"));
    assert_true(matches("pension NEAR/0 sänkt", "pension sänkt")); /* either order */
    assert_true(
        matches("(pension OR eläk*) NEAR/3 (sänk* OR leikkaus*)", "eläkkeiden suuri leikkaus"));
    assert_true(matches("\"sänkt skatt\" NEAR/1 pension", "sänkt skatt och pension"));
    assert_false(matches("\"sänkt skatt\" NEAR/1 pension", "sänkt skatt och mer pension"));
    /* Punctuation does not count as a word between. */
    assert_true(matches("pension NEAR/0 sänkt", "pension, sänkt"));
}

/* "((...(a)...))" with `depth` pairs of parentheses. */
static void nested(char *q, int depth)
{
    size_t n = 0;
    for (int i = 0; i < depth; i++)
        q[n++] = '(';
    q[n++] = 'a';
    for (int i = 0; i < depth; i++)
        q[n++] = ')';
    q[n] = '\0';
}

static void test_limits(void **state)
{
    char q[QUERY_MAX_BYTES + 16];
    nested(q, 33);
    expect_error(q, "column 33: query nests too deep");
    nested(q, 32); /* 32 levels are fine */
    assert_true(matches(q, "a"));
    size_t n;
    /* 257 terms */
    n = 0;
    for (int i = 0; i < 257; i++)
        n += (size_t)snprintf(q + n, sizeof q - n, "%sw%d", i ? " OR " : "", i);
    expect_error(q, "column");
    struct error err = {0};
    assert_null(query_compile(q, &err));
    assert_non_null(strstr(err.msg, "too many terms"));
    /* too long */
    memset(q, 'a', QUERY_MAX_BYTES + 1);
    q[QUERY_MAX_BYTES + 1] = '\0';
    assert_null(query_compile(q, &err));
    assert_int_equal(err.kind, ERR_LIMIT);
    /* a phrase of 17 words */
    strcpy(q, "\"a b c d e f g h i j k l m n o p q\"");
    expect_error(q, "column 2: phrase is too long");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_errors_name_the_column),
        cmocka_unit_test(test_words_phrases_folding),
        cmocka_unit_test(test_wildcards),
        cmocka_unit_test(test_operators_and_precedence),
        cmocka_unit_test(test_near),
        cmocka_unit_test(test_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
