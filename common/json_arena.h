/* A region that takes one thread's jansson allocations while it is active, for a parse whose
 * whole tree is dropped at once (a page of a long OpenStack list): values come from a bump
 * pointer instead of one malloc each, freeing them costs nothing, and a reset makes the same
 * memory serve the next page (no new pages for the kernel to zero, no free lists to sort).
 *
 * Contract: a value allocated while the arena is active must not be used after the reset
 * that follows; copy (json_deep_copy) what must outlive it. json_decref on such values is
 * allowed and frees nothing. Allocations the region cannot hold fall back to malloc and are
 * freed by json_decref as usual. jansson's allocation functions are set when the program
 * starts (a constructor, before any thread): values made by malloc stay freed by free. */
#ifndef LS_COMMON_JSON_ARENA_H
#define LS_COMMON_JSON_ARENA_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

struct ls_json_arena;

/** A region of up to `reserve` bytes (address space; memory is touched as used).
 *  NULL when no more regions can be made (LS_JSON_ARENA_MAX live at once). */
struct ls_json_arena *ls_json_arena_new(size_t reserve);
/** Frees the region (NULL is a no-op); nothing allocated in it may be in use. */
void ls_json_arena_free(struct ls_json_arena *a);

/** This thread's jansson allocations go to a (NULL: back to malloc). */
void ls_json_arena_use(struct ls_json_arena *a);
/** Everything allocated in a is gone; its memory serves what comes next. */
void ls_json_arena_reset(struct ls_json_arena *a);
/**
 * Releases tree (made while a was in use; taken) and resets a: the tree is walked by
 * json_decref only when part of it spilled to malloc. a NULL: json_decref(tree).
 */
void ls_json_arena_drop(struct ls_json_arena *a, json_t *tree);
/** Bytes handed out since the last reset. */
size_t ls_json_arena_used(const struct ls_json_arena *a);
/**
 * Did an allocation made while a was in use (since the last reset) not fit and go to malloc?
 * If not, a tree made in a can be left to the reset without a json_decref (which would walk
 * it only to free nothing); if so, json_decref it to free the parts malloc holds.
 */
bool ls_json_arena_spilled(const struct ls_json_arena *a);

#define LS_JSON_ARENA_MAX 32

#endif
