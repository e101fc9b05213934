/* hidden_visibility: hidden, protected and internal symbols referenced across
 * objects (resolved locally, PC-relative, never exported dynamically), and
 * their addresses agree between objects. */
#include <stdio.h>

__attribute__((visibility("hidden"))) extern int hidden_var;
__attribute__((visibility("hidden"))) int hidden_fn(int x);
int protected_fn(int x);
__attribute__((visibility("internal"))) int internal_fn(void);
__attribute__((visibility("hidden"))) extern int pragma_hidden_var;
__attribute__((visibility("hidden"))) int pragma_hidden_fn(void);
int (*get_hidden_fn(void))(int);
int *get_hidden_var(void);

int main(void)
{
    printf("hidden_fn(10) = %d\n", hidden_fn(10));
    hidden_var = 50;
    printf("hidden_fn(10) after hidden_var = 50: %d\n", hidden_fn(10));
    printf("protected_fn(21) = %d\n", protected_fn(21));
    printf("internal_fn() = %d\n", internal_fn());
    printf("pragma_hidden_fn() = %d, var = %d\n", pragma_hidden_fn(), pragma_hidden_var);
    printf("addresses agree: %s %s\n", get_hidden_fn() == hidden_fn ? "yes" : "no",
           get_hidden_var() == &hidden_var ? "yes" : "no");
    return 0;
}
