int take_backtrace(void);
int level_b(int n);

static volatile int sink;

__attribute__((noinline)) int level_a(int n)
{
    int r = n == 0 ? take_backtrace() : level_b(n);
    sink += r;     /* keep the call from being a tail call */
    return r;
}

__attribute__((noinline)) int level_b(int n)
{
    int r = level_a(n - 1);
    sink += r;
    return r;
}
