/* jansson allocations in bump regions (see json_arena.h). */
#include "common/json_arena.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

#include <jansson.h>

#include "common/asan.h"
#include "common/err.h"

/* Under AddressSanitizer a reset region is poisoned until handed out again: a value used
 * after its page was dropped is reported where it is read. */
struct ls_json_arena {
    char *base;
    size_t size, used;
    size_t high;  /* the most ever used (what may be poisoned) */
    bool spilled; /* since the last reset, an allocation went to malloc */
    int slot;     /* in region_lo/hi */
};

/* Every live region's address range, for the free function to recognise its pointers. A
 * slot is written before its region is used and cleared after its values are gone. */
static _Atomic(uintptr_t) region_lo[LS_JSON_ARENA_MAX], region_hi[LS_JSON_ARENA_MAX];
static atomic_int region_taken[LS_JSON_ARENA_MAX];
static atomic_int slots_used; /* 1 + the highest slot ever taken: where a free stops looking */
static _Thread_local struct ls_json_arena *current;

#define ALIGN 16

static void *arena_malloc(size_t size)
{
    struct ls_json_arena *a = current;
    if (a) {
        size_t at = (a->used + ALIGN - 1) & ~(size_t)(ALIGN - 1);
        if (at <= a->size && size <= a->size - at) {
            a->used = at + size;
            if (a->used > a->high)
                a->high = a->used;
            LS_UNPOISON(a->base + at, size);
            return a->base + at;
        }
        a->spilled = true;
    }
    return malloc(size);
}

static void arena_free(void *p)
{
    uintptr_t x = (uintptr_t)p;
    int used = atomic_load_explicit(&slots_used, memory_order_acquire);
    for (int i = 0; i < used; i++)
        if (x >= atomic_load_explicit(&region_lo[i], memory_order_relaxed) &&
            x < atomic_load_explicit(&region_hi[i], memory_order_relaxed))
            return; /* the region's: gone at its reset */
    free(p);
}

__attribute__((constructor)) static void install(void)
{
    json_set_alloc_funcs(arena_malloc, arena_free);
}

struct ls_json_arena *ls_json_arena_new(size_t reserve)
{
    int slot = -1;
    for (int i = 0; i < LS_JSON_ARENA_MAX && slot < 0; i++) {
        int expect = 0;
        if (atomic_compare_exchange_strong(&region_taken[i], &expect, 1))
            slot = i;
    }
    if (slot < 0)
        return NULL;
    void *base = mmap(NULL, reserve, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (base == MAP_FAILED) {
        atomic_store(&region_taken[slot], 0);
        return NULL;
    }
    struct ls_json_arena *a = ls_xcalloc(1, sizeof(*a));
    a->base = base;
    a->size = reserve;
    a->slot = slot;
    atomic_store(&region_lo[slot], (uintptr_t)base);
    atomic_store(&region_hi[slot], (uintptr_t)base + reserve);
    for (int used = atomic_load(&slots_used);
         used < slot + 1 && !atomic_compare_exchange_weak(&slots_used, &used, slot + 1);)
        ;
    return a;
}

void ls_json_arena_free(struct ls_json_arena *a)
{
    if (!a)
        return;
    if (current == a)
        current = NULL;
    atomic_store(&region_hi[a->slot], 0);
    atomic_store(&region_lo[a->slot], 0);
    LS_UNPOISON(a->base, a->high); /* the addresses may be mapped again */
    munmap(a->base, a->size);
    atomic_store(&region_taken[a->slot], 0);
    free(a);
}

void ls_json_arena_use(struct ls_json_arena *a)
{
    current = a;
}

void ls_json_arena_reset(struct ls_json_arena *a)
{
    LS_POISON(a->base, a->used);
    a->used = 0;
    a->spilled = false;
}

size_t ls_json_arena_used(const struct ls_json_arena *a)
{
    return a->used;
}

bool ls_json_arena_spilled(const struct ls_json_arena *a)
{
    return a->spilled;
}

void ls_json_arena_drop(struct ls_json_arena *a, json_t *tree)
{
    if (!a || a->spilled)
        json_decref(tree);
    if (a)
        ls_json_arena_reset(a);
}
