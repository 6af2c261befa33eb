/* common/json_arena: jansson values parsed in a region, dropped at its reset. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "common/json_arena.h"

static const char page[] = "{\"servers\":[{\"id\":\"a\",\"name\":\"web\",\"n\":1},"
                           "{\"id\":\"b\",\"name\":\"db\",\"n\":2.5,\"tags\":[\"x\",null]}]}";

/* Is p within the first MB from base? */
static bool inside(const void *base, const void *p)
{
    return (uintptr_t)p >= (uintptr_t)base && (uintptr_t)p < (uintptr_t)base + (1 << 20);
}

/* Parsed in the region: the memory is the region's, decref frees nothing, a reset makes the
 * same memory serve the next parse, and a deep copy made outside it outlives the reset. */
static void test_a_parse_lives_in_the_region_until_reset(void **state)
{
    (void)state;
    struct ls_json_arena *a = ls_json_arena_new(1 << 20);
    assert_non_null(a);
    assert_int_equal(ls_json_arena_used(a), 0);
    ls_json_arena_use(a);
    json_t *doc = json_loads(page, 0, NULL);
    ls_json_arena_use(NULL);
    assert_non_null(doc);
    assert_false(ls_json_arena_spilled(a)); /* all of it in the region */
    size_t used = ls_json_arena_used(a);
    assert_true(used > 0);
    const void *base = doc; /* the first value made: at (or near) the region's start */
    json_t *second = json_array_get(json_object_get(doc, "servers"), 1);
    assert_true(inside(base, second));
    json_t *kept = json_deep_copy(second); /* outside the region: malloc */
    assert_false(inside(base, kept));
    json_decref(doc); /* frees nothing */
    assert_int_equal(ls_json_arena_used(a), used);
    ls_json_arena_reset(a);
    assert_int_equal(ls_json_arena_used(a), 0);

    ls_json_arena_use(a);
    json_t *again = json_loads(page, 0, NULL);
    ls_json_arena_use(NULL);
    assert_ptr_equal(again, base); /* the same memory again */
    assert_int_equal(ls_json_arena_used(a), used);
    ls_json_arena_drop(a, again); /* wholly in the region: not walked */
    assert_int_equal(ls_json_arena_used(a), 0);
    assert_string_equal(json_string_value(json_object_get(kept, "name")), "db");
    assert_true(json_real_value(json_object_get(kept, "n")) == 2.5);
    json_decref(kept);
    ls_json_arena_free(a);
}

/* A parse bigger than the region spills to malloc; ls_json_arena_drop walks it to free what spilled
 * (the leak checker of the sanitizer build would report it otherwise), and values made with no
 * region in use are ordinary ones. */
static void test_what_does_not_fit_spills_to_malloc(void **state)
{
    (void)state;
    struct ls_json_arena *a = ls_json_arena_new(256);
    assert_non_null(a);
    ls_json_arena_use(a);
    json_t *doc = json_loads(page, 0, NULL);
    ls_json_arena_use(NULL);
    assert_non_null(doc);
    assert_true(ls_json_arena_used(a) <= 256);
    assert_true(ls_json_arena_spilled(a)); /* so drop walks it with json_decref */
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(json_object_get(doc, "servers"), 1), "name")),
                        "db");
    ls_json_arena_drop(a, doc); /* frees the spilled parts (LSan reports them otherwise) */
    assert_false(ls_json_arena_spilled(a));
    json_t *plain = json_pack("{s:s}", "k", "v"); /* no region in use */
    assert_int_equal(ls_json_arena_used(a), 0);
    json_decref(plain);
    ls_json_arena_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_parse_lives_in_the_region_until_reset),
        cmocka_unit_test(test_what_does_not_fit_spills_to_malloc),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
