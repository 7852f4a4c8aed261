/* thread.c - helper threads started beside their creator (thread.h). */
#include "thread.h"

#include <sched.h>

int rb_thread_start_away(pthread_t *thread, void *(*fn)(void *), void *arg, int cpu)
{
#if defined(__linux__) && defined(CPU_SET)
    cpu_set_t allowed;
    pthread_attr_t attr;
    if (cpu >= 0 && cpu < CPU_SETSIZE && sched_getaffinity(0, sizeof allowed, &allowed) == 0 &&
        CPU_ISSET(cpu, &allowed) && CPU_COUNT(&allowed) > 1 && pthread_attr_init(&attr) == 0) {
        CPU_CLR(cpu, &allowed);
        int e = pthread_attr_setaffinity_np(&attr, sizeof allowed, &allowed);
        if (e == 0) e = pthread_create(thread, &attr, fn, arg);
        pthread_attr_destroy(&attr);
        if (e == 0) return 0;
    }
#else
    (void)cpu;
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
