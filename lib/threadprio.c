/* threadprio.c - a thread's own nice value (see threadprio.h). */
#include "threadprio.h"

#include <sys/resource.h>
#include <unistd.h>

int threadprio_lower(int nice)
{
    /* On Linux the "process" of PRIO_PROCESS with a thread id is that thread alone. */
    return setpriority(PRIO_PROCESS, (id_t)gettid(), nice);
}
