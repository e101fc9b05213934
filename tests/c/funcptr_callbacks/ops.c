/* A table of named operations: function pointers in initialised data. */
#include "ops.h"

static int op_add(int a, int b) { return a + b; }
static int op_sub(int a, int b) { return a - b; }
static int op_mul(int a, int b) { return a * b; }
int op_max(int a, int b) { return a > b ? a : b; }

const struct op op_table[] = {
    { "add", op_add },
    { "sub", op_sub },
    { "mul", op_mul },
    { "max", op_max },
};
const int op_count = sizeof op_table / sizeof op_table[0];

binop lookup_op(const char *name)
{
    for (int i = 0; i < op_count; i++) {
        const char *a = op_table[i].name, *b = name;
        while (*a && *a == *b)
            a++, b++;
        if (*a == *b)
            return op_table[i].fn;
    }
    return 0;
}
