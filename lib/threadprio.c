/* threadprio.c - a thread's own nice value (see threadprio.h). */
#include "threadprio.h"

#include <errno.h>
#include <sys/resource.h>
#include <unistd.h>

int threadprio_lower(int steps)
{
    /* On Linux the "process" of PRIO_PROCESS with a thread id is that thread
     * alone; a new thread starts with its creator's nice value. */
    id_t self = (id_t)gettid();
    errno = 0;
    int now = getpriority(PRIO_PROCESS, self);
    if (now == -1 && errno != 0)
        return -1;
    int want = now + steps > 19 ? 19 : now + steps;
    return setpriority(PRIO_PROCESS, self, want);
}
