/* alloca_vla: alloca and variable-length arrays (1-D and 2-D, passed to a
 * function in another object) with run-time sizes. */
#include <alloca.h>
#include <stdio.h>
#include <string.h>

long matmul_trace(int n, int a[n][n], int b[n][n]);

static volatile int runtime_n = 5;

static int alloca_sum(int n)
{
    int *buf = alloca(n * sizeof(int));
    for (int i = 0; i < n; i++)
        buf[i] = i * i;
    int s = 0;
    for (int i = 0; i < n; i++)
        s += buf[i];
    return s;
}

int main(void)
{
    int n = runtime_n;
    int vla[n * 4];
    printf("sizeof vla = %zu\n", sizeof vla);
    for (int i = 0; i < n * 4; i++)
        vla[i] = i;
    int s = 0;
    for (int i = 0; i < n * 4; i++)
        s += vla[i];
    printf("vla sum = %d\n", s);

    int a[n][n], b[n][n];
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            a[i][j] = i + j;
            b[i][j] = i == j ? 2 : 0;
        }
    printf("trace(a*b) = %ld\n", matmul_trace(n, a, b));
    printf("alloca sums: %d %d %d\n", alloca_sum(n), alloca_sum(100), alloca_sum(1000));

    char *str = alloca(32);
    strcpy(str, "alloca'd string");
    printf("%s\n", str);
    return 0;
}
