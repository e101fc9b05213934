/* GNU indirect functions: the resolver runs at startup (IRELATIVE) and picks
 * the implementation. Resolvers must not depend on relocated data or stdio. */
static int add_generic(int a, int b) { return a + b; }
static int add_fancy(int a, int b) { return a + b + 1000; }
static int mul_generic(int a, int b) { return a * b; }
static int mul_fancy(int a, int b) { return -(a * b); }

static int (*resolve_add(void))(int, int)
{
    __builtin_cpu_init();
    /* sse2 is part of the x86-64 baseline: always the fancy version. */
    return __builtin_cpu_supports("sse2") ? add_fancy : add_generic;
}

static int (*resolve_mul(void))(int, int)
{
    return sizeof(long) == 8 ? mul_generic : mul_fancy;
}

int add(int a, int b) __attribute__((ifunc("resolve_add")));
int mul(int a, int b) __attribute__((ifunc("resolve_mul")));

int (*impl_add_ptr(void))(int, int) { return add; }
int call_add_here(int a, int b) { return add(a, b); }
