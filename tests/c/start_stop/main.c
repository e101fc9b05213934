/* start_stop: the linker defines __start_SEC/__stop_SEC for output sections
 * whose names are C identifiers; entries come from several objects. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "items.h"

REGISTER_ITEM(fig, 17);

extern struct item __start_my_items[], __stop_my_items[];
extern hook_fn __start_my_hooks[], __stop_my_hooks[];

static int cmp_item(const void *a, const void *b)
{
    return strcmp((*(struct item *const *)a)->name, (*(struct item *const *)b)->name);
}

int main(void)
{
    long n = __stop_my_items - __start_my_items;
    printf("items: %ld (byte size %ld, struct size %zu)\n", n,
           (long)((char *)__stop_my_items - (char *)__start_my_items), sizeof(struct item));
    struct item **sorted = malloc(sizeof(*sorted) * n);
    int sum = 0;
    for (long i = 0; i < n; i++) {
        sorted[i] = &__start_my_items[i];
        sum += __start_my_items[i].value;
    }
    qsort(sorted, n, sizeof(*sorted), cmp_item);
    for (long i = 0; i < n; i++)
        printf("  %s = %d\n", sorted[i]->name, sorted[i]->value);
    printf("sum = %d\n", sum);
    free(sorted);

    int hooks = 0, total = 0;
    for (hook_fn *h = __start_my_hooks; h < __stop_my_hooks; h++) {
        hooks++;
        total += (*h)();
    }
    printf("hooks: %d, total %d\n", hooks, total);
    return (int)n;
}
