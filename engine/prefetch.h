/* prefetch.h - RB_PREFETCH: a hint to the memory that an address will be read (rw 0) or
 * written (rw 1) soon, into the nearest cache (locality 3) or the outer ones (2, 1). Only a
 * hint: it never faults, even past an array's end, and changes no result; a no-op where the
 * compiler has no such builtin. Internal. */
#ifndef RB_PREFETCH_H
#define RB_PREFETCH_H

#include <stdint.h>

#if defined(__GNUC__) || defined(__clang__)
#define RB_PREFETCH(addr, rw, locality) __builtin_prefetch((const void *)(uintptr_t)(addr), rw, locality)
#else
#define RB_PREFETCH(addr, rw, locality) ((void)(addr))
#endif

#endif /* RB_PREFETCH_H */
