/* test_thread.c - a helper thread starts beside its creator (data/base/thread.h): on any
 * processor the creator may use but the one it runs on, when there is another. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>

#include "thread.h"

static void *own_affinity(void *arg)
{
    cpu_set_t *set = arg;
    CPU_ZERO(set);
    return (void *)(intptr_t)sched_getaffinity(0, sizeof *set, set);
}

/* The processors a thread started by start(cpu) may use. */
static cpu_set_t helper_set(int cpu)
{
    cpu_set_t got;
    pthread_t t;
    cr_assert_eq(rb_thread_start_away(&t, own_affinity, &got, cpu), 0);
    void *rc = (void *)1;
    cr_assert_eq(pthread_join(t, &rc), 0);
    cr_assert_null(rc);
    return got;
}

Test(thread, a_helper_starts_away_from_a_processor_when_there_is_another)
{
    cpu_set_t all;
    cr_assert_eq(sched_getaffinity(0, sizeof all, &all), 0);
    int count = CPU_COUNT(&all);
    for (int cpu = 0; cpu < CPU_SETSIZE; cpu++) {
        if (!CPU_ISSET(cpu, &all)) continue;
        cpu_set_t got = helper_set(cpu), want = all;
        if (count > 1) CPU_CLR(cpu, &want);
        cr_assert(CPU_EQUAL(&got, &want), "away from %d of %d processors", cpu, count);
    }
    /* a processor the caller may not use, or none: the caller's */
    cpu_set_t got = helper_set(-1);
    cr_assert(CPU_EQUAL(&got, &all));
    got = helper_set(CPU_SETSIZE);
    cr_assert(CPU_EQUAL(&got, &all));
}

Test(thread, a_helper_started_beside_its_creator_may_use_the_creator_s_other_processors)
{
    cpu_set_t all, got;
    cr_assert_eq(sched_getaffinity(0, sizeof all, &all), 0);
    pthread_t t;
    cr_assert_eq(rb_thread_start_beside(&t, own_affinity, &got), 0);
    cr_assert_eq(pthread_join(t, NULL), 0);
    int count = CPU_COUNT(&all);
    cr_assert_eq(CPU_COUNT(&got), count > 1 ? count - 1 : 1);
    CPU_OR(&got, &got, &all);
    cr_assert(CPU_EQUAL(&got, &all), "only processors the creator may use");
}

/* A helper waiting for its work, moved beside its caller (rb_thread_move_beside, as a results
 * store's writer started ahead is when its sweep begins): it may then use the caller's
 * processors but one, as a helper started beside it may. */
typedef struct waiting {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int go;
    cpu_set_t got;
} waiting;

static void *wait_then_report(void *arg)
{
    waiting *w = arg;
    pthread_mutex_lock(&w->mu);
    while (!w->go) pthread_cond_wait(&w->cv, &w->mu);
    pthread_mutex_unlock(&w->mu);
    return own_affinity(&w->got);
}

Test(thread, a_waiting_helper_moved_beside_its_caller_may_use_the_caller_s_other_processors)
{
    cpu_set_t all;
    cr_assert_eq(sched_getaffinity(0, sizeof all, &all), 0);
    waiting w = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};
    pthread_t t;
    cr_assert_eq(rb_thread_start_away(&t, wait_then_report, &w, -1), 0);
    rb_thread_move_beside(t);
    pthread_mutex_lock(&w.mu);
    w.go = 1;
    pthread_cond_signal(&w.cv);
    pthread_mutex_unlock(&w.mu);
    void *rc = (void *)1;
    cr_assert_eq(pthread_join(t, &rc), 0);
    cr_assert_null(rc);
    int count = CPU_COUNT(&all);
    cr_assert_eq(CPU_COUNT(&w.got), count > 1 ? count - 1 : 1);
    CPU_OR(&w.got, &w.got, &all);
    cr_assert(CPU_EQUAL(&w.got, &all), "only processors the caller may use");
}

/* A thread that runs on the processor it is to leave (rb_thread_leave_cpu, as a batch team's
 * thread does when Linux started it on its master's): it moves, when it may use another,
 * and may use all of its processors again; on any other processor, or with no other to go
 * to, nothing changes. */
static void pin_to(int cpu)
{
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cpu, &one);
    cr_assert_eq(sched_setaffinity(0, sizeof one, &one), 0);
}

Test(thread, a_thread_leaves_the_processor_it_runs_on_for_another_and_may_use_them_all_again)
{
    cpu_set_t all, now;
    cr_assert_eq(sched_getaffinity(0, sizeof all, &all), 0);
    cr_assert_geq(rb_thread_cpu(), 0, "Linux tells the processor");
    int first = -1, second = -1;
    for (int cpu = 0; cpu < CPU_SETSIZE; cpu++) {
        if (!CPU_ISSET(cpu, &all)) continue;
        if (first < 0) first = cpu;
        else if (second < 0) second = cpu;
    }
    /* pinned to one processor: no other to go to; asked to leave another: not on it */
    pin_to(first);
    cr_assert_eq(rb_thread_leave_cpu(first), 0);
    if (second >= 0) cr_assert_eq(rb_thread_leave_cpu(second), 0);
    cr_assert_eq(sched_getaffinity(0, sizeof now, &now), 0);
    cr_assert(CPU_COUNT(&now) == 1 && CPU_ISSET(first, &now), "still pinned to %d", first);
    /* on `first`, all its processors allowed again: it leaves (the scheduler may move it
     * between the two calls, so some tries; one that finds it there is enough) */
    int moved = 0;
    for (int k = 0; k < 1000 && !moved && second >= 0; k++) {
        pin_to(first);
        cr_assert_eq(sched_setaffinity(0, sizeof all, &all), 0);
        moved = rb_thread_leave_cpu(first);
        cr_assert_eq(sched_getaffinity(0, sizeof now, &now), 0);
        cr_assert(CPU_EQUAL(&now, &all), "every processor allowed again after try %d", k);
    }
    cr_assert(second < 0 || moved, "a thread on processor %d left it (%d processors)", first, CPU_COUNT(&all));
}

/* A spare (rb_thread_run_spare): its job runs on a helper, rb_spare_wait returns the job's
 * result, and the next helper started is that thread, already running, placed beside its
 * new caller; one not given a job ends by itself. */
#include <sys/syscall.h>
#include <unistd.h>

#include "support.h"

static void *own_tid(void *arg)
{
    *(long *)arg = syscall(SYS_gettid);
    return arg;
}


Test(thread, the_helper_started_after_a_spare_s_job_is_the_spare)
{
    rb_thread_spare_patience(600000); /* far longer than the test: the spare is there */
    long first = 0, second = 0;
    rb_spare s;
    cr_assert_eq(rb_thread_run_spare(&s, own_tid, &first), 0);
    cr_assert_eq(rb_spare_wait(&s), &first, "the job's result");
    cr_assert_neq(first, 0);
    cr_assert_neq(first, syscall(SYS_gettid), "on a helper");
    int alone_with_spare = rbt_thread_count();
    pthread_t t;
    cpu_set_t all, got;
    cr_assert_eq(sched_getaffinity(0, sizeof all, &all), 0);
    cr_assert_eq(rb_thread_start_beside(&t, own_tid, &second), 0);
    void *rc = NULL;
    cr_assert_eq(pthread_join(t, &rc), 0, "the taker joins it");
    cr_assert_eq(rc, &second);
    cr_assert_eq(second, first, "the same thread ran the second job");
    cr_assert(rbt_wait_until(rbt_threads_at_most, &(int){alone_with_spare - 1}, 10), "and ended with it");
    /* placed beside the caller, as a new helper would have been */
    cr_assert_eq(rb_thread_run_spare(&s, own_tid, &first), 0);
    rb_spare_wait(&s);
    cr_assert_eq(rb_thread_start_beside(&t, own_affinity, &got), 0);
    cr_assert_eq(pthread_join(t, NULL), 0);
    int count = CPU_COUNT(&all);
    cr_assert_eq(CPU_COUNT(&got), count > 1 ? count - 1 : 1);
}

Test(thread, a_spare_given_no_job_ends_by_itself)
{
    int alone = rbt_thread_count();
    rb_thread_spare_patience(1);
    long tid = 0;
    rb_spare s;
    cr_assert_eq(rb_thread_run_spare(&s, own_tid, &tid), 0);
    rb_spare_wait(&s);
    cr_assert(rbt_wait_until(rbt_threads_at_most, &alone, 10), "the spare left when its wait ran out");
    /* then a helper is started afresh */
    long again = 0;
    pthread_t t;
    cr_assert_eq(rb_thread_start_beside(&t, own_tid, &again), 0);
    cr_assert_eq(pthread_join(t, NULL), 0);
    cr_assert_neq(again, 0);
}

static void *count_run(void *arg)
{
    __atomic_add_fetch((int *)arg, 1, __ATOMIC_SEQ_CST);
    return arg;
}

static int spare_is_done(void *s) { return rb_spare_done(s); }

/* A spare's job taken back (rb_spare_claim) before its helper begins it runs once, by the
 * caller, and the helper never touches the caller's rb_spare again (freed at once here: the
 * sanitizers' build would catch a touch); one the helper has begun is waited for, and runs
 * once too. In the even rounds either may happen (asked right after the start, the claim
 * mostly wins); in the odd ones the job has ended first, and is not taken back. */
Test(thread, a_spare_s_job_taken_back_or_waited_for_runs_once)
{
    int alone = rbt_thread_count();
    rb_thread_spare_patience(1);
    int claimed = 0;
    for (int k = 0; k < 20; k++) {
        int runs = 0;
        rb_spare *s = malloc(sizeof *s);
        cr_assert_not_null(s);
        cr_assert_eq(rb_thread_run_spare(s, count_run, &runs), 0);
        if (k % 2) cr_assert(rbt_wait_until(spare_is_done, s, 10), "the helper ran the job");
        int taken = rb_spare_claim(s);
        if (k % 2) cr_assert_not(taken, "a job that has ended is not taken back");
        if (taken) {
            claimed++;
            free(s);
            count_run(&runs);
        } else {
            cr_assert_eq(rb_spare_wait(s), &runs, "the job's result");
            free(s);
        }
        cr_assert(rbt_wait_until(rbt_threads_at_most, &alone, 10), "the spare left when its wait ran out");
        cr_assert_eq(__atomic_load_n(&runs, __ATOMIC_SEQ_CST), 1, "round %d: the job ran once", k);
    }
    cr_log_info("%d of 10 jobs taken back before their helper began", claimed);
}
