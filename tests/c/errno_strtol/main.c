/* errno_strtol: errno (a TLS variable inside libc) set by strtol overflow and
 * failed fopen, strerror texts, and errno being per thread. */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int thread_errno_before, thread_errno_after;

static void *thread_fn(void *arg)
{
    (void)arg;
    thread_errno_before = errno;
    errno = EINTR;
    thread_errno_after = errno;
    return NULL;
}

int main(void)
{
    errno = 0;
    long v = strtol("99999999999999999999999", NULL, 10);
    printf("overflow: value is LONG_MAX: %s, errno == ERANGE: %s\n", v == LONG_MAX ? "yes" : "no",
           errno == ERANGE ? "yes" : "no");
    errno = 0;
    v = strtol("-99999999999999999999999", NULL, 10);
    printf("underflow: value is LONG_MIN: %s, errno == ERANGE: %s\n", v == LONG_MIN ? "yes" : "no",
           errno == ERANGE ? "yes" : "no");
    errno = 0;
    char *end;
    v = strtol("  -1234xyz", &end, 10);
    printf("normal: %ld, rest \"%s\", errno = %d\n", v, end, errno);
    v = strtol("ff", NULL, 16);
    printf("hex ff = %ld\n", v);

    FILE *f = fopen("/nonexistent-dir-for-cld-test/file", "r");
    int e = errno;
    printf("fopen failed: %s, errno == ENOENT: %s (%s)\n", f == NULL ? "yes" : "no",
           e == ENOENT ? "yes" : "no", strerror(e));
    printf("strerror(ERANGE) = %s\n", strerror(ERANGE));

    errno = EDOM;
    pthread_t t;
    pthread_create(&t, NULL, thread_fn, NULL);
    pthread_join(t, NULL);
    printf("thread saw errno %d then %d (EINTR=%d); main still EDOM: %s\n",
           thread_errno_before, thread_errno_after, EINTR, errno == EDOM ? "yes" : "no");
    return e;
}
