/* struct_copy: large structs passed and returned by value across objects
 * (memcpy calls from the compiler), memcpy/memmove/memset/memcmp. */
#include <stdio.h>
#include <string.h>

struct big {
    int id;
    char name[60];
    double values[24];
    long tail[8];
};

struct big make_big(int id, const char *name);
long checksum(struct big b);
void scale(struct big *b, double k);

int main(void)
{
    struct big a = make_big(7, "first");
    struct big b = a;            /* struct assignment */
    scale(&b, 2.0);
    printf("a: id=%d name=%s sum=%ld\n", a.id, a.name, checksum(a));
    printf("b: id=%d name=%s sum=%ld\n", b.id, b.name, checksum(b));
    printf("a and b differ: %s\n", memcmp(&a, &b, sizeof a) ? "yes" : "no");

    struct big arr[4];
    for (int i = 0; i < 4; i++)
        arr[i] = make_big(i, "array element");
    memcpy(&arr[3], &arr[1], sizeof arr[1]);
    printf("arr[3].id after memcpy = %d, equal to arr[1]: %s\n", arr[3].id,
           memcmp(&arr[3], &arr[1], sizeof arr[1]) == 0 ? "yes" : "no");

    char buf[64];
    for (int i = 0; i < 64; i++)
        buf[i] = (char)('a' + i % 26);
    memmove(buf + 4, buf, 20);  /* overlapping */
    buf[30] = 0;
    printf("memmove: %s\n", buf);
    memset(buf, '#', 10);
    printf("memset: %.20s\n", buf);

    static struct big zeroed;
    memset(&zeroed, 0xff, sizeof zeroed);
    memset(&zeroed, 0, sizeof zeroed);
    printf("zeroed checksum: %ld, sizeof(struct big) = %zu\n", checksum(zeroed), sizeof(struct big));
    return 0;
}
