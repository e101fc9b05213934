#include "ops.h"

#define MAX_CB 8
static struct {
    callback cb;
    void *user;
} callbacks[MAX_CB];
static int ncb;

void register_callback(callback cb, void *user)
{
    callbacks[ncb].cb = cb;
    callbacks[ncb].user = user;
    ncb++;
}

int run_callbacks(int value)
{
    for (int i = 0; i < ncb; i++)
        callbacks[i].cb(value, callbacks[i].user);
    return ncb;
}

int compare_desc(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x < y) - (x > y);
}
