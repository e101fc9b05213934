/* hello: the smallest libc program: puts, printf, fputs, putchar. */
#include <stdio.h>

int main(void)
{
    puts("Hello, world!");
    printf("%s %d %c %x %5.2f|%-6s|\n", "printf works:", 42, 'z', 0xbeef, 3.14159, "pad");
    fputs("fputs works\n", stdout);
    putchar('!');
    putchar('\n');
    return 0;
}
