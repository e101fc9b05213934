/* recursion: deep and mutual recursion across objects (fib, Ackermann,
 * is_even/is_odd, Towers of Hanoi). The exit status is ackermann(2, 3). */
#include <stdio.h>

int is_even(unsigned n);
long hanoi(int n, int from, int to, int via);

static long fib(int n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

static int ackermann(int m, int n)
{
    if (m == 0)
        return n + 1;
    if (n == 0)
        return ackermann(m - 1, 1);
    return ackermann(m - 1, ackermann(m, n - 1));
}

static int depth(int n)
{
    volatile char pad[64];
    pad[0] = (char)n;
    return n == 0 ? pad[0] : 1 + depth(n - 1);
}

int main(void)
{
    printf("fib(27) = %ld\n", fib(27));
    printf("ackermann(2, 3) = %d, ackermann(3, 5) = %d\n", ackermann(2, 3), ackermann(3, 5));
    printf("is_even(10001) = %d, is_even(5000) = %d\n", is_even(10001), is_even(5000));
    printf("hanoi(16) moves = %ld\n", hanoi(16, 1, 3, 2));
    printf("depth(10000) = %d\n", depth(10000));
    return ackermann(2, 3);
}
