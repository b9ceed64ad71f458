/* Unit tests for model/saved_reply.c's rendering: variables filled in
 * (Swedish, Finnish and English text around them), doubled braces, and a
 * clear error naming an unknown variable or an unpaired brace. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "model/model.h"

static const char *const vars[REPLY_VAR_COUNT] = {"Åsa", "Åsa Lindqvist", "asa_l",
                                                  "Pensionsverket"};

static void renders(const char *tmpl, const char *want)
{
    struct buf b = {0};
    struct error err = {0};
    assert_int_equal(reply_render(tmpl, vars, &b, &err), 0);
    assert_string_equal(b.data, want);
    buf_free(&b);
}

static void refuses(const char *tmpl, const char *says)
{
    struct buf b = {0};
    struct error err = {0};
    assert_int_equal(reply_render(tmpl, vars, &b, &err), -1);
    assert_int_equal(err.kind, ERR_INVALID);
    assert_string_equal(err.field, "body");
    if (!strstr(err.msg, says))
        fail_msg("'%s' does not say '%s'", err.msg, says);
    buf_free(&b);
}

static void test_variables(void **state)
{
    (void)state;
    renders("Hej {first_name}! Tack för att du skrev till {channel}.",
            "Hej Åsa! Tack för att du skrev till Pensionsverket.");
    renders("Hei {first_name}, kiitos viestistäsi!", "Hei Åsa, kiitos viestistäsi!");
    renders("Dear {name} (@{handle})", "Dear Åsa Lindqvist (@asa_l)");
    renders("{{first_name}} is written like this", "{first_name} is written like this");
    renders("", "");
    renders("no variables at all", "no variables at all");
}

static void test_errors(void **state)
{
    (void)state;
    refuses("Hej {förnamn}!", "byte 5: unknown variable {förnamn}");
    refuses("Hi {first_name", "byte 4: a '{' without its '}'");
    refuses("Hi } there", "byte 4: a '}' without its '{'");
    refuses("{}", "unknown variable {}");
    /* checking alone (no values) refuses the same */
    struct buf b = {0};
    struct error err = {0};
    assert_int_equal(reply_render("{channel} {kanal}", NULL, &b, &err), -1);
    assert_non_null(strstr(err.msg, "{kanal}"));
    assert_int_equal(reply_render("{channel} {handle}", NULL, &b, &err), 0);
    buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_variables),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
