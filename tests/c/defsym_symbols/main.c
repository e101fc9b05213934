/* defsym_symbols: --defsym makes an absolute symbol (a number), an alias of
 * a function, and a symbol at an offset into an array; the program uses
 * each through ordinary references. */
#include <stdio.h>

extern char absolute_sym;      /* --defsym=absolute_sym=0x2a */
int alias_fn(int);             /* --defsym=alias_fn=real_fn */
extern int shifted[];          /* --defsym=shifted=table+8 */

int table[6] = {10, 11, 12, 13, 14, 15};
int real_fn(int x) { return x * 3; }

int main(void)
{
    /* Position-independent code reaches it PC-relatively: in a PIE, GNU ld
     * and cld both give it the load base too, so only the page offset is
     * the same from run to run. */
    printf("absolute&0xfff=%#lx\n", (unsigned long)&absolute_sym & 0xfff);
    printf("alias_fn(7)=%d same=%d\n", alias_fn(7), alias_fn == real_fn);
    printf("shifted[0]=%d shifted[1]=%d\n", shifted[0], shifted[1]);
    return 0;
}
