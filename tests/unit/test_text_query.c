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

/* A document with a title, body, author, source and language: the title
 * is part of the text too, as listening gives it. */
static struct text_tokens dt_text, dt_title, dt_author, dt_source;

static bool matches_doc(const char *query, const char *title, const char *body, const char *author,
                        const char *source, const char *lang)
{
    struct error err = {0};
    struct query *q = query_compile(query, &err);
    if (!q)
        fail_msg("query '%s' did not compile: %s", query, err.msg);
    char all[1024];
    snprintf(all, sizeof all, "%s\n%s", title, body);
    text_tokenize(&dt_text, all, strlen(all));
    text_tokenize(&dt_title, title, strlen(title));
    text_tokenize(&dt_author, author, strlen(author));
    text_tokenize(&dt_source, source, strlen(source));
    struct query_doc d = {.field = {&dt_text, &dt_title, &dt_author, &dt_source}};
    snprintf(d.lang, sizeof d.lang, "%s", lang);
    bool m = query_match_doc(q, &d);
    query_free(q);
    return m;
}

static void test_fields(void **state)
{
    const char *t = "Pensionen sänks", *b = "Regeringen föreslår en lägre pension.";
    const char *a = "Anna Svensson", *src = "svd.se Svenska Dagbladet";
    assert_true(matches_doc("title:pensionen", t, b, a, src, "sv"));
    assert_false(matches_doc("title:pension", t, b, a, src, "sv")); /* only in the body */
    assert_true(matches_doc("pension", t, b, a, src, "sv"));        /* unfielded: both */
    assert_true(matches_doc("title:(sänks OR höjs)", t, b, a, src, "sv"));
    assert_true(matches_doc("title:\"pensionen sänks\"", t, b, a, src, "sv"));
    assert_true(matches_doc("author:svensson", t, b, a, src, "sv"));
    assert_false(matches_doc("author:regeringen", t, b, a, src, "sv"));
    assert_true(matches_doc("source:\"svd.se\" pension", t, b, a, src, "sv"));
    assert_true(matches_doc("source:dagbladet", t, b, a, src, "sv"));
    assert_true(matches_doc("pension lang:sv", t, b, a, src, "sv"));
    assert_false(matches_doc("pension lang:fi", t, b, a, src, "sv"));
    assert_true(matches_doc("pension lang:(fi OR sv)", t, b, a, src, "sv"));
    assert_true(matches_doc("pension NOT lang:fi", t, b, a, src, "sv"));
    assert_true(matches_doc("title:pens* NEAR/1 title:sänks", t, b, a, src, "sv"));
    /* Tag rules match a bare text: fields other than the text find nothing. */
    assert_false(matches("author:svensson", "Anna Svensson"));
    assert_true(matches("pension OR author:svensson", "pension"));
    expect_error("lang:sv", "column 1: query only excludes or narrows");
    expect_error("title:", "column 1: a field needs a word");
    expect_error("title: pension", "column 1: a field needs a word");
    expect_error("title:(a OR author:b)", "column 13: fields do not nest");
    expect_error("lang:svenska", "column 6: lang: takes a language code");
    expect_error("lang:\"sv\"", "column 7: lang: takes a language code");
    expect_error("author:a NEAR/2 b", "column 17: NEAR/n compares positions within one field");
    expect_error("title:a NEAR/2 source:b",
                 "column 16: NEAR/n compares positions within one field");
    /* Across the title and the text: the text begins with the title, so the
     * title's last word (1) and the body's first (2) are next to each other. */
    assert_true(matches_doc("title:sänks NEAR/0 regeringen", t, b, a, src, "sv"));
    assert_true(matches_doc("regeringen NEAR/0 title:sänks", t, b, a, src, "sv"));
    assert_false(
        matches_doc("title:pensionen NEAR/0 regeringen", t, b, a, src, "sv")); /* 1 between */
    assert_true(matches_doc("title:pensionen NEAR/1 regeringen", t, b, a, src, "sv"));
    assert_false(matches_doc("title:sänks NEAR/2 lägre", t, b, a, src, "sv")); /* 3 between */
    assert_true(matches_doc("title:sänks NEAR/3 lägre", t, b, a, src, "sv"));
    assert_true(matches_doc("title:(sänks OR höjs) NEAR/3 \"en lägre\"", t, b, a, src, "sv"));
    /* A title word is in the text too: near itself there. */
    assert_true(matches_doc("title:pensionen NEAR/0 sänks", t, b, a, src, "sv"));
    /* Without a title (a tag rule on a post) nothing is near it. */
    assert_false(matches("title:pension NEAR/3 sänks", "pension sänks"));
    /* A word that only looks like a field name stays a word. */
    assert_true(matches("titles", "titles"));
    assert_true(matches("Title:x", "title x")); /* field names are lower case */
}

static void test_exact_case(void **state)
{
    assert_true(matches("=SAS", "SAS ställer in flyg"));
    assert_false(matches("=SAS", "sas ställer in"));
    assert_false(matches("=SAS", "Sas"));
    assert_true(matches("SAS", "sas")); /* without '=', case is folded as ever */
    assert_true(matches("=Kela", "Kela's office"));
    assert_true(matches("=Kela", "#Kela tänään")); /* a word matches the hashtag */
    assert_false(matches("=Malmö", "MALMÖ"));
    assert_false(matches("=Malmö", "Malmo")); /* diacritics count too */
    assert_true(matches("=Pens*", "Pensionsmyndigheten"));
    assert_false(matches("=Pens*", "pensionsmyndigheten"));
    assert_true(matches("=\"Svenska Dagbladet\"", "i Svenska Dagbladet idag"));
    assert_false(matches("=\"Svenska Dagbladet\"", "i svenska dagbladet idag"));
    expect_error("=pension~", "column 9: a word is either exact");
}

static void test_inflection(void **state)
{
    /* Swedish by Snowball: the plain word keeps meaning the word alone. */
    assert_false(matches("pension", "pensionen sänks"));
    assert_true(matches("pension~", "pensionen sänks"));
    assert_true(matches("pension~", "Pensionerna sänks"));
    assert_true(matches("pension~", "en pension"));
    assert_false(matches("pension~", "premiepensionen")); /* compounds: write pension* */
    /* Finnish by Voikko's base forms: consonant gradation. */
    assert_true(matches("eläke~", "eläkkeen leikkaus"));
    assert_true(matches("eläke~", "ELÄKKEITÄ ei leikata"));
    assert_true(matches("leikkaus~", "leikkauksia eläkkeisiin"));
    assert_false(matches("eläke~", "elämä on"));
    /* In a phrase and with NEAR. */
    assert_true(matches("\"sänkt pension~\"", "sänkt pensionen"));
    assert_true(matches("eläke~ NEAR/2 leikkaus~", "eläkkeiden suuri leikkaus"));
    /* The text's language narrows the stemmers. */
    assert_true(matches_doc("pension~", "", "pensionerna", "", "", "sv"));
    assert_true(matches_doc("eläke~", "", "eläkkeen", "", "", "fi"));
    assert_false(matches_doc("eläke~", "", "eläkkeen", "", "", "sv"));
    expect_error("pens~ion", "column 5: '~' only ends a word");
    expect_error("pension*~", "column 8: '*' only ends a word");
    expect_error("~", "column 1: '~' must follow a word");
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
        cmocka_unit_test(test_fields),
        cmocka_unit_test(test_exact_case),
        cmocka_unit_test(test_inflection),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
