/* alloc.h - the allocator every module of rebal calls: malloc, calloc, realloc, strdup and
 * strndup under an rb_ prefix. They behave exactly like the C library's (free what they return
 * with free); what they add is a fault-injection switch, so that a test can make the Nth
 * allocation fail and check that every path reports a clean error, leaks nothing and leaves
 * a store intact (tests/test_fault_inject.c). Internal: not installed. */
#ifndef RB_ALLOC_H
#define RB_ALLOC_H

#include <stddef.h>

void *rb_malloc(size_t bytes);
void *rb_calloc(size_t count, size_t size);
void *rb_realloc(void *p, size_t bytes);
char *rb_strdup(const char *s);
char *rb_strndup(const char *s, size_t n);
/* printf into a fresh string (free it); NULL when out of memory or on a format error. */
char *rb_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Fault injection (tests only). rb_alloc_fail_from(n) makes every allocation from the nth on
 * (counting from 1 after the call) return NULL, until rb_alloc_fail_off(); n = 0 disarms: that
 * finds the error paths a failure cascades through. rb_alloc_fail_at(n) makes the nth alone
 * fail and the later ones succeed again: that finds the paths that recover (or ought to).
 * rb_alloc_count() is the number of allocations asked for since the last rb_alloc_fail_from,
 * rb_alloc_fail_at or rb_alloc_count_reset, failed ones included: run a case once with the
 * switch off to learn how many there are, then fail each in turn. rb_alloc_failed() says
 * whether any failed. */
void rb_alloc_fail_from(long n);
void rb_alloc_fail_at(long n);
void rb_alloc_fail_off(void);
void rb_alloc_count_reset(void);
long rb_alloc_count(void);
int rb_alloc_failed(void);
/* Tests only: fn(n) is called with the number of every allocation the switch counts, before
 * it is made or failed (e.g. to take its stack); NULL: none. */
void rb_alloc_observe(void (*fn)(long n));

/* One allocation as the switch sees it: counts it and says whether it must fail. For
 * allocators outside this file (SQLite's, through SQLITE_CONFIG_MALLOC in the tests). */
int rb_alloc_should_fail(void);

#endif /* RB_ALLOC_H */
