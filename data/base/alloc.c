/* alloc.c - the C library's allocator behind a fault-injection switch (alloc.h). The switch
 * costs one relaxed atomic load per allocation while it is off; counting only happens while a
 * test has armed it, so release runs pay nothing measurable. */
#include "alloc.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static atomic_int counting;   /* 1 while a test counts or fails allocations */
static atomic_long seen;      /* allocations asked for since armed */
static atomic_long fail_from; /* 0: none fails; n: the nth (and, unless fail_once, later) fail */
static atomic_int fail_once;  /* 1: only the nth fails */
static atomic_int any_failed;
static void (*_Atomic observer)(long n);

void rb_alloc_observe(void (*fn)(long n)) { atomic_store(&observer, fn); }

int rb_alloc_should_fail(void)
{
    if (!atomic_load_explicit(&counting, memory_order_relaxed)) return 0;
    long n = atomic_fetch_add(&seen, 1) + 1;
    void (*fn)(long) = atomic_load(&observer);
    if (fn) fn(n);
    long from = atomic_load(&fail_from);
    if (from > 0 && (atomic_load(&fail_once) ? n == from : n >= from)) {
        atomic_store(&any_failed, 1);
        return 1;
    }
    return 0;
}

static void arm(long n, int once)
{
    atomic_store(&seen, 0);
    atomic_store(&any_failed, 0);
    atomic_store(&fail_once, once);
    atomic_store(&fail_from, n > 0 ? n : 0);
    atomic_store(&counting, 1);
}

void rb_alloc_fail_from(long n) { arm(n, 0); }

void rb_alloc_fail_at(long n) { arm(n, 1); }

void rb_alloc_fail_off(void)
{
    atomic_store(&fail_from, 0);
    atomic_store(&counting, 0);
}

void rb_alloc_count_reset(void) { arm(0, 0); }

long rb_alloc_count(void)
{
    return atomic_load(&seen);
}

int rb_alloc_failed(void)
{
    return atomic_load(&any_failed);
}

void *rb_malloc(size_t bytes)
{
    return rb_alloc_should_fail() ? NULL : malloc(bytes);
}

void *rb_calloc(size_t count, size_t size)
{
    return rb_alloc_should_fail() ? NULL : calloc(count, size);
}

void *rb_realloc(void *p, size_t bytes)
{
    return rb_alloc_should_fail() ? NULL : realloc(p, bytes);
}

char *rb_strdup(const char *s)
{
    return rb_strndup(s, strlen(s));
}

char *rb_strndup(const char *s, size_t n)
{
    size_t len = strnlen(s, n);
    char *copy = rb_malloc(len + 1);
    if (!copy) return NULL;
    memcpy(copy, s, len);
    copy[len] = '\0';
    return copy;
}

char *rb_asprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int len = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (len < 0) return NULL;
    char *s = rb_malloc((size_t)len + 1);
    if (!s) return NULL;
    va_start(ap, fmt);
    vsnprintf(s, (size_t)len + 1, fmt, ap);
    va_end(ap);
    return s;
}
