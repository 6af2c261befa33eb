/* Marks for AddressSanitizer on memory a module hands out itself (an arena, a kept mapping):
 * poisoned bytes are reported where they are touched. Nothing without ASan. */
#ifndef LS_COMMON_ASAN_H
#define LS_COMMON_ASAN_H

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define LS_POISON(p, n)   ASAN_POISON_MEMORY_REGION(p, n)
#define LS_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#else
#define LS_POISON(p, n)   ((void)(p), (void)(n))
#define LS_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

#endif
