/* static_locals: function-scope statics (zero and non-zero initialised,
 * arrays, pointers to other statics) and same-named file-scope statics in two
 * objects that must stay distinct. */
#include <stdio.h>

static int hidden_counter = 100;    /* other.c has its own hidden_counter */
static int helper(void) { return ++hidden_counter; }

int other_next(void);
int other_helper_value(void);

static int next_id(void)
{
    static int id;              /* .bss */
    return ++id;
}

static const char *next_name(void)
{
    static const char *names[] = { "alpha", "beta", "gamma" };
    static int i = 2;           /* .data */
    i = (i + 1) % 3;
    return names[i];
}

static int *shared_slot(void)
{
    static int slot = 5;
    static int *p = &slot;      /* static pointing at a static */
    return p;
}

int main(void)
{
    for (int k = 0; k < 4; k++)
        printf("id %d name %s\n", next_id(), next_name());
    *shared_slot() += 10;
    printf("slot = %d\n", *shared_slot());
    int h1 = helper();
    int h2 = helper();
    printf("main helper: %d %d\n", h1, h2);
    int o1 = other_next();
    int o2 = other_next();
    printf("other: %d %d, other helper: %d\n", o1, o2, other_helper_value());
    printf("main hidden_counter = %d\n", hidden_counter);
    return next_id();
}
