/* qsort_bsearch: libc calling back into the program: qsort with multi-key
 * comparators on structs, bsearch hits and misses. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct rec {
    char name[12];
    int age;
    double score;
};

static int by_age_then_name(const void *a, const void *b)
{
    const struct rec *x = a, *y = b;
    if (x->age != y->age)
        return x->age - y->age;
    return strcmp(x->name, y->name);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const struct rec *)a)->name, ((const struct rec *)b)->name);
}

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

int main(void)
{
    struct rec recs[] = {
        { "mallory", 35, 1.5 }, { "alice", 30, 9.25 }, { "eve", 25, 4.0 },
        { "bob", 30, 7.5 },     { "carol", 25, 8.0 },  { "dave", 41, 6.75 },
    };
    size_t n = sizeof recs / sizeof recs[0];
    qsort(recs, n, sizeof recs[0], by_age_then_name);
    for (size_t i = 0; i < n; i++)
        printf("%-8s %d %.2f\n", recs[i].name, recs[i].age, recs[i].score);

    qsort(recs, n, sizeof recs[0], by_name);
    const char *queries[] = { "carol", "zed", "alice", "dave", "aaron" };
    for (int i = 0; i < 5; i++) {
        struct rec key;
        strcpy(key.name, queries[i]);
        struct rec *hit = bsearch(&key, recs, n, sizeof recs[0], by_name);
        if (hit)
            printf("found %s at index %td, age %d\n", hit->name, hit - recs, hit->age);
        else
            printf("%s not found\n", queries[i]);
    }

    int nums[1000];
    for (int i = 0; i < 1000; i++)
        nums[i] = (i * 7919) % 1000;
    qsort(nums, 1000, sizeof nums[0], cmp_int);
    int sorted = 1;
    for (int i = 0; i < 1000; i++)
        sorted &= nums[i] == i;
    int key = 777;
    int *p = bsearch(&key, nums, 1000, sizeof nums[0], cmp_int);
    printf("1000 ints sorted: %s, bsearch(777) index %td\n", sorted ? "yes" : "no", p ? p - nums : -1);
    return 0;
}
