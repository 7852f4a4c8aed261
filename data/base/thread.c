/* thread.c - helper threads started beside their creator (thread.h). */
#include "thread.h"

#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <time.h>

/* The spare (rb_thread_run_spare): the thread that waits for a job, and the job handed to
 * it, under spare_lock; spare_cv wakes the spare with its job and the callers of
 * rb_spare_wait with their job's end. */
static pthread_mutex_t spare_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t spare_cv = PTHREAD_COND_INITIALIZER;
static int spare_waiting;
static pthread_t spare_thread;
static void *(*spare_fn)(void *);
static void *spare_arg;
static int spare_handed; /* take_spare has set spare_fn (also read atomically, unlocked) */
static long spare_patience_ms = RB_SPARE_WAIT_MS;

/* How long the spare and rb_spare_wait poll before they sleep, where the process may use
 * another processor (rb_thread_may_poll): the hand-over from the sweep file's parse to the
 * sweep's side job took two wakes of a sleeper. */
#define SPARE_POLL_NS 2000000L

int rb_thread_may_poll(void)
{
#if defined(__linux__) && defined(CPU_SET)
    cpu_set_t cpus;
    return sched_getaffinity(0, sizeof cpus, &cpus) == 0 && CPU_COUNT(&cpus) > 1;
#else
    return 0;
#endif
}

int rb_thread_poll_set(const int *word, long ns)
{
    struct timespec start, t;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (unsigned k = 1;; k++) {
        if (__atomic_load_n(word, __ATOMIC_ACQUIRE)) return 1;
        if (k % 256) continue;
        clock_gettime(CLOCK_MONOTONIC, &t);
        if ((t.tv_sec - start.tv_sec) * 1000000000L + (t.tv_nsec - start.tv_nsec) > ns) return 0;
    }
}

void rb_thread_spare_patience(long ms)
{
    pthread_mutex_lock(&spare_lock);
    spare_patience_ms = ms;
    pthread_mutex_unlock(&spare_lock);
}

/* The spare's job handed to another: 1 and *thread when one waited (it is the caller's to
 * join now). */
static int take_spare(pthread_t *thread, void *(*fn)(void *), void *arg)
{
    pthread_mutex_lock(&spare_lock);
    int took = spare_waiting;
    if (took) {
        spare_waiting = 0;
        spare_arg = arg;
        spare_fn = fn;
        __atomic_store_n(&spare_handed, 1, __ATOMIC_RELEASE); /* the spare may poll it */
        *thread = spare_thread;
        pthread_cond_broadcast(&spare_cv);
    }
    pthread_mutex_unlock(&spare_lock);
    return took;
}

/* Who runs a spare's first job: its helper once it has begun (BEGUN), or its caller, who took
 * it back before (CLAIMED: rb_spare_claim). The caller's rb_spare and the helper each hold a
 * reference (refs), under spare_lock: the helper reads the caller's rb_spare only when it
 * begins the job, so that a caller who claimed it may let its rb_spare go at once. */
struct rb_spare_ticket {
    rb_spare *s;
    enum { TICKET_WAITING, TICKET_BEGUN, TICKET_CLAIMED } state;
    int refs;
};

/* One reference to t given up (spare_lock held). */
static void ticket_drop(struct rb_spare_ticket *t)
{
    if (--t->refs == 0) free(t);
}

/* The caller's reference to s's ticket given up (spare_lock held). */
static void ticket_let_go(rb_spare *s)
{
    if (!s->ticket) return;
    ticket_drop(s->ticket);
    s->ticket = NULL;
}

/* A spare's life: its first job unless its caller took it back, told done (its last access
 * to the caller's rb_spare), then the wait for another (when no other spare waits), which it
 * runs as a thread of its taker's (who joins it); without one it ends detached. */
static void *spare_main(void *p)
{
    struct rb_spare_ticket *t = p;
    pthread_mutex_lock(&spare_lock);
    rb_spare *s = t->state == TICKET_WAITING ? t->s : NULL;
    if (s) t->state = TICKET_BEGUN;
    ticket_drop(t);
    pthread_mutex_unlock(&spare_lock);
    void *result = s ? s->fn(s->arg) : NULL;
    pthread_mutex_lock(&spare_lock);
    if (s) {
        s->result = result;
        __atomic_store_n(&s->done, 1, __ATOMIC_RELEASE); /* rb_spare_wait may poll it */
        pthread_cond_broadcast(&spare_cv);
    }
    void *(*fn)(void *) = NULL;
    void *arg = NULL;
    if (!spare_waiting) {
        spare_waiting = 1;
        spare_thread = pthread_self();
        spare_fn = NULL;
        if (rb_thread_may_poll()) { /* a job handed over soon is taken at once */
            pthread_mutex_unlock(&spare_lock);
            rb_thread_poll_set(&spare_handed, SPARE_POLL_NS);
            pthread_mutex_lock(&spare_lock);
        }
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until); /* the clock of spare_cv's timed wait */
        until.tv_sec += spare_patience_ms / 1000;
        until.tv_nsec += spare_patience_ms % 1000 * 1000000L;
        if (until.tv_nsec >= 1000000000L) until.tv_sec++, until.tv_nsec -= 1000000000L;
        while (!spare_fn && pthread_cond_timedwait(&spare_cv, &spare_lock, &until) != ETIMEDOUT) continue;
        if (spare_fn) { /* take_spare cleared spare_waiting */
            fn = spare_fn;
            arg = spare_arg;
            spare_fn = NULL;
            spare_handed = 0;
        } else {
            spare_waiting = 0;
        }
    }
    pthread_mutex_unlock(&spare_lock);
    if (!fn) {
        pthread_detach(pthread_self());
        return NULL;
    }
    return fn(arg);
}

#if defined(__linux__) && defined(CPU_SET)
/* The processors the caller may use but cpu, into *set: 1, or 0 when cpu is not one of them
 * or the only one. */
static int away_from(int cpu, cpu_set_t *set)
{
    if (cpu < 0 || cpu >= CPU_SETSIZE || sched_getaffinity(0, sizeof *set, set) != 0 || !CPU_ISSET(cpu, set) ||
        CPU_COUNT(set) < 2)
        return 0;
    CPU_CLR(cpu, set);
    return 1;
}
#endif

int rb_thread_start_away(pthread_t *thread, void *(*fn)(void *), void *arg, int cpu)
{
#if defined(__linux__) && defined(CPU_SET)
    cpu_set_t allowed;
    if (take_spare(thread, fn, arg)) {
        if (away_from(cpu, &allowed)) (void)pthread_setaffinity_np(*thread, sizeof allowed, &allowed);
        return 0;
    }
    pthread_attr_t attr;
    if (away_from(cpu, &allowed) && pthread_attr_init(&attr) == 0) {
        int e = pthread_attr_setaffinity_np(&attr, sizeof allowed, &allowed);
        if (e == 0) e = pthread_create(thread, &attr, fn, arg);
        pthread_attr_destroy(&attr);
        if (e == 0) return 0;
    }
#else
    (void)cpu;
    if (take_spare(thread, fn, arg)) return 0;
#endif
    return pthread_create(thread, NULL, fn, arg);
}

int rb_thread_start_beside(pthread_t *thread, void *(*fn)(void *), void *arg)
{
#if defined(__linux__) && defined(CPU_SET)
    return rb_thread_start_away(thread, fn, arg, sched_getcpu());
#else
    return rb_thread_start_away(thread, fn, arg, -1);
#endif
}

int rb_thread_cpu(void)
{
#if defined(__linux__) && defined(CPU_SET)
    return sched_getcpu();
#else
    return -1;
#endif
}

int rb_thread_leave_cpu(int cpu)
{
#if defined(__linux__) && defined(CPU_SET)
    cpu_set_t away, all;
    if (sched_getcpu() != cpu || !away_from(cpu, &away)) return 0;
    all = away;
    CPU_SET(cpu, &all); /* the processors it may use now (away_from took cpu out) */
    /* the kernel moves the thread at once when its processor is no longer allowed */
    if (sched_setaffinity(0, sizeof away, &away) != 0) return 0;
    (void)sched_setaffinity(0, sizeof all, &all); /* it stays where it now is */
    return 1;
#else
    (void)cpu;
    return 0;
#endif
}

void rb_thread_move_beside(pthread_t thread)
{
#if defined(__linux__) && defined(CPU_SET)
    cpu_set_t allowed;
    if (away_from(sched_getcpu(), &allowed)) (void)pthread_setaffinity_np(thread, sizeof allowed, &allowed);
#else
    (void)thread;
#endif
}

int rb_thread_run_spare(rb_spare *s, void *(*fn)(void *), void *arg)
{
    *s = (rb_spare){.fn = fn, .arg = arg};
    struct rb_spare_ticket *t = malloc(sizeof *t);
    if (!t) return ENOMEM;
    *t = (struct rb_spare_ticket){.s = s, .state = TICKET_WAITING, .refs = 2};
    s->ticket = t;
    pthread_t thread;
    int e = rb_thread_start_beside(&thread, spare_main, t);
    if (e != 0) {
        free(t);
        s->ticket = NULL;
    }
    return e;
}

int rb_spare_claim(rb_spare *s)
{
    pthread_mutex_lock(&spare_lock);
    int claimed = s->ticket && s->ticket->state == TICKET_WAITING;
    if (claimed) s->ticket->state = TICKET_CLAIMED;
    ticket_let_go(s);
    pthread_mutex_unlock(&spare_lock);
    return claimed;
}

void *rb_spare_wait(rb_spare *s)
{
    if (!(rb_thread_may_poll() && rb_thread_poll_set(&s->done, SPARE_POLL_NS))) {
        pthread_mutex_lock(&spare_lock);
        while (!s->done) pthread_cond_wait(&spare_cv, &spare_lock);
        pthread_mutex_unlock(&spare_lock);
    }
    if (s->ticket) { /* not claimed first: the caller's reference, given up now */
        pthread_mutex_lock(&spare_lock);
        ticket_let_go(s);
        pthread_mutex_unlock(&spare_lock);
    }
    return s->result;
}

int rb_spare_done(rb_spare *s)
{
    pthread_mutex_lock(&spare_lock);
    int done = s->done;
    pthread_mutex_unlock(&spare_lock);
    return done;
}
