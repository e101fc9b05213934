#include <string.h>

struct big {
    int id;
    char name[60];
    double values[24];
    long tail[8];
};

struct big make_big(int id, const char *name)
{
    struct big b;
    memset(&b, 0, sizeof b);
    b.id = id;
    strncpy(b.name, name, sizeof b.name - 1);
    for (int i = 0; i < 24; i++)
        b.values[i] = id + i * 0.5;
    for (int i = 0; i < 8; i++)
        b.tail[i] = (long)id * 1000 + i;
    return b;
}

long checksum(struct big b)
{
    long s = b.id;
    for (int i = 0; i < 60 && b.name[i]; i++)
        s += b.name[i];
    for (int i = 0; i < 24; i++)
        s += (long)(b.values[i] * 10);
    for (int i = 0; i < 8; i++)
        s += b.tail[i];
    return s;
}

void scale(struct big *b, double k)
{
    for (int i = 0; i < 24; i++)
        b->values[i] *= k;
    b->name[0] = 'F';
}
