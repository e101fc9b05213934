/* funcptr_callbacks: function pointers crossing objects: an operation table
 * in another object's data, callbacks registered from here and called from
 * there, a qsort comparator defined elsewhere, and address equality. */
#include <stdio.h>
#include <stdlib.h>
#include "ops.h"

static void print_cb(int value, void *user)
{
    printf("  callback %s got %d\n", (const char *)user, value);
}

static void accumulate_cb(int value, void *user)
{
    *(long *)user += value;
}

int main(void)
{
    for (int i = 0; i < op_count; i++)
        printf("%s(12, 5) = %d\n", op_table[i].name, op_table[i].fn(12, 5));
    binop m = lookup_op("max");
    printf("lookup_op(\"max\") == op_max: %s\n", m == op_max ? "yes" : "no");
    printf("lookup_op(\"div\") == NULL: %s\n", lookup_op("div") == NULL ? "yes" : "no");

    long total = 0;
    register_callback(print_cb, "first");
    register_callback(accumulate_cb, &total);
    register_callback(print_cb, "second");
    int n = run_callbacks(7);
    n += run_callbacks(35);
    printf("callbacks run: %d, accumulated %ld\n", n, total);

    int values[] = { 5, -3, 42, 17, 0, 8, -11, 23 };
    qsort(values, 8, sizeof values[0], compare_desc);
    printf("sorted descending:");
    for (int i = 0; i < 8; i++)
        printf(" %d", values[i]);
    printf("\n");
    return 0;
}
