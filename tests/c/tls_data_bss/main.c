/* tls_data_bss: TLS initialised data (.tdata) and zero-initialised TLS
 * (.tbss) from two objects, an over-aligned TLS variable, and the TLS image
 * a new thread starts from (the initial values, not main's current ones). */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

__thread int tdata_int = 0x12345678;
__thread char tdata_str[32] = "initial tls string";
__thread double tdata_dbl = 2.5;
__thread int tbss_arr[100];
__thread long tbss_long;
__thread int aligned_var __attribute__((aligned(64))) = 7;
static __thread short static_tdata = -3;
static __thread char static_tbss[10];

/* other.c */
int other_get_tdata(void);
int other_get_tbss(void);
void other_set(int d, int b);
int other_aligned_ok(void);

static void show(const char *who)
{
    int zero = 1;
    for (int i = 0; i < 100; i++)
        if (tbss_arr[i] != 0)
            zero = 0;
    for (int i = 0; i < 10; i++)
        if (static_tbss[i] != 0)
            zero = 0;
    printf("%s: int=%#x str=\"%s\" dbl=%.2f long=%ld aligned=%d static=%d tbss_zero=%s\n",
           who, tdata_int, tdata_str, tdata_dbl, tbss_long, aligned_var, static_tdata,
           zero ? "yes" : "no");
    printf("%s: other tdata=%d tbss=%d\n", who, other_get_tdata(), other_get_tbss());
    printf("%s: aligned_var 64-byte aligned: %s, other aligned: %s\n", who,
           ((uintptr_t)&aligned_var % 64) == 0 ? "yes" : "no",
           other_aligned_ok() ? "yes" : "no");
}

static void modify(int k)
{
    tdata_int += k;
    snprintf(tdata_str, sizeof tdata_str, "modified by %d", k);
    tdata_dbl *= k;
    tbss_arr[99] = k;
    tbss_long = k * 1000L;
    aligned_var += k;
    static_tdata -= k;
    static_tbss[9] = 1;
    other_set(k, k * 2);
}

static void *thread_fn(void *arg)
{
    (void)arg;
    show("thread before");
    modify(3);
    show("thread after");
    return NULL;
}

int main(void)
{
    show("main before");
    modify(2);
    show("main after");
    pthread_t t;
    pthread_create(&t, NULL, thread_fn, NULL);
    pthread_join(t, NULL);
    show("main end");
    return 0;
}
