#include <stdio.h>
#include <string.h>

extern int twice(int);
extern int counter;
extern const char *greeting(void);

int main(void) {
    /* Addresses of functions defined here and in libc, loaded from the GOT. */
    int (*t)(int) = twice;
    size_t (*len)(const char *) = strlen;
    int (*put)(const char *) = puts;
    put(greeting());
    counter += t(20);
    printf("%d %zu %d\n", counter, len("seven"), twice(counter));
    /* A libc variable through the GOT, compared with its address taken here. */
    FILE **out = &stdout;
    fprintf(*out, "stdout %s\n", out == &stdout ? "same" : "differs");
    return counter == 41 ? 0 : 1;
}
