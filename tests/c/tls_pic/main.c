/* tls_pic: TLS code compiled with -fPIC (general-dynamic and local-dynamic
 * access models) linked into an executable, used from several threads. */
#include <pthread.h>
#include <stdio.h>

extern __thread int global_counter;
extern __thread int global_zero;
extern __thread long forced_gd;
static __thread int main_local = 5;

int lib_local_sum(void);
void lib_local_add(int v);
const char *lib_local_name(void);
void lib_set_name(char c);
int *lib_counter_addr(void);
long lib_forced(void);

#define NTHREADS 3
static char report[NTHREADS][160];

static void *worker(void *arg)
{
    int id = (int)(long)arg;
    lib_local_add(id + 1);
    global_counter += id;
    global_zero = id * 7;
    forced_gd += id;
    main_local *= id + 2;
    lib_set_name('A' + id);
    snprintf(report[id], sizeof report[id],
             "thread %d: local_sum=%d name=%s counter=%d zero=%d forced=%ld main_local=%d same=%s",
             id, lib_local_sum(), lib_local_name(), global_counter, global_zero, lib_forced(),
             main_local, lib_counter_addr() == &global_counter ? "yes" : "no");
    return NULL;
}

int main(void)
{
    pthread_t th[NTHREADS];
    for (long i = 0; i < NTHREADS; i++)
        pthread_create(&th[i], NULL, worker, (void *)i);
    for (int i = 0; i < NTHREADS; i++)
        pthread_join(th[i], NULL);
    for (int i = 0; i < NTHREADS; i++)
        puts(report[i]);
    printf("main: local_sum=%d name=%s counter=%d zero=%d forced=%ld main_local=%d\n",
           lib_local_sum(), lib_local_name(), global_counter, global_zero, lib_forced(),
           main_local);
    return 0;
}
