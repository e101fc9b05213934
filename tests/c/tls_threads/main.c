/* tls_threads: __thread variables used by several threads at the same time;
 * every thread must see its own copy (the barrier keeps all threads alive
 * together, so a shared copy would be noticed). */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define NTHREADS 4

__thread int counter;               /* .tbss */
__thread long accum = 1000;         /* .tdata */
static __thread char tag[24];       /* .tbss, local */
static __thread int *self_ptr;

static pthread_barrier_t barrier;
static int results[NTHREADS];
static long accums[NTHREADS];
static char tags[NTHREADS][24];
static int *addrs[NTHREADS];

static void bump(int id)
{
    for (int i = 0; i <= id * 10; i++) {
        counter++;
        accum += id;
    }
}

static void *worker(void *arg)
{
    int id = (int)(long)arg;
    self_ptr = &counter;
    bump(id);
    snprintf(tag, sizeof tag, "thread-%d", id);
    pthread_barrier_wait(&barrier);
    bump(id);
    pthread_barrier_wait(&barrier);
    results[id] = counter;
    accums[id] = accum;
    memcpy(tags[id], tag, sizeof tag);
    addrs[id] = self_ptr;
    return NULL;
}

int main(void)
{
    pthread_t th[NTHREADS];
    counter = 500;
    accum = -1;
    strcpy(tag, "main");
    pthread_barrier_init(&barrier, NULL, NTHREADS);
    for (long i = 0; i < NTHREADS; i++)
        pthread_create(&th[i], NULL, worker, (void *)i);
    for (int i = 0; i < NTHREADS; i++)
        pthread_join(th[i], NULL);

    for (int i = 0; i < NTHREADS; i++)
        printf("thread %d: counter=%d accum=%ld tag=%s\n", i, results[i], accums[i], tags[i]);
    int distinct = 1;
    for (int i = 0; i < NTHREADS; i++)
        for (int j = i + 1; j < NTHREADS; j++)
            if (addrs[i] == addrs[j])
                distinct = 0;
    for (int i = 0; i < NTHREADS; i++)
        if (addrs[i] == &counter)
            distinct = 0;
    printf("per-thread addresses distinct: %s\n", distinct ? "yes" : "no");
    printf("main: counter=%d accum=%ld tag=%s\n", counter, accum, tag);
    return 0;
}
