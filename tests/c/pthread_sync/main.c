/* pthread_sync: threads with a mutex-protected counter, a bounded queue with
 * condition variables, pthread_once and thread-specific data destructors. */
#include <pthread.h>
#include <stdio.h>

#define NTHREADS 4
#define ITERS 20000

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static long counter;

static void *incrementer(void *arg)
{
    long id = (long)arg;
    for (int i = 0; i < ITERS; i++) {
        pthread_mutex_lock(&lock);
        counter++;
        pthread_mutex_unlock(&lock);
    }
    return (void *)(id * 10);
}

#define QSIZE 4
static int queue[QSIZE];
static int qhead, qcount;
static pthread_mutex_t qlock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t not_empty = PTHREAD_COND_INITIALIZER;
static pthread_cond_t not_full = PTHREAD_COND_INITIALIZER;

static void *producer(void *arg)
{
    (void)arg;
    for (int v = 1; v <= 1000; v++) {
        pthread_mutex_lock(&qlock);
        while (qcount == QSIZE)
            pthread_cond_wait(&not_full, &qlock);
        queue[(qhead + qcount) % QSIZE] = v;
        qcount++;
        pthread_cond_signal(&not_empty);
        pthread_mutex_unlock(&qlock);
    }
    return NULL;
}

static void *consumer(void *arg)
{
    long *sum = arg;
    for (int n = 0; n < 1000; n++) {
        pthread_mutex_lock(&qlock);
        while (qcount == 0)
            pthread_cond_wait(&not_empty, &qlock);
        *sum += queue[qhead];
        qhead = (qhead + 1) % QSIZE;
        qcount--;
        pthread_cond_signal(&not_full);
        pthread_mutex_unlock(&qlock);
    }
    return NULL;
}

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int once_count;
static void once_fn(void) { once_count++; }

static pthread_key_t key;
static int destructor_calls;
static void key_destructor(void *p)
{
    pthread_mutex_lock(&lock);
    destructor_calls += *(int *)p;
    pthread_mutex_unlock(&lock);
}

static void *keyed(void *arg)
{
    static int values[NTHREADS] = { 1, 2, 4, 8 };
    pthread_once(&once, once_fn);
    pthread_setspecific(key, &values[(long)arg]);
    return NULL;
}

int main(void)
{
    pthread_t th[NTHREADS];
    long retsum = 0;
    for (long i = 0; i < NTHREADS; i++)
        pthread_create(&th[i], NULL, incrementer, (void *)i);
    for (int i = 0; i < NTHREADS; i++) {
        void *ret;
        pthread_join(th[i], &ret);
        retsum += (long)ret;
    }
    printf("counter = %ld (expected %d), join values sum = %ld\n", counter, NTHREADS * ITERS, retsum);

    long sum = 0;
    pthread_t p, c;
    pthread_create(&c, NULL, consumer, &sum);
    pthread_create(&p, NULL, producer, NULL);
    pthread_join(p, NULL);
    pthread_join(c, NULL);
    printf("queue sum = %ld\n", sum);

    pthread_key_create(&key, key_destructor);
    for (long i = 0; i < NTHREADS; i++)
        pthread_create(&th[i], NULL, keyed, (void *)i);
    for (int i = 0; i < NTHREADS; i++)
        pthread_join(th[i], NULL);
    printf("once ran %d time(s), key destructors sum = %d\n", once_count, destructor_calls);
    return 0;
}
