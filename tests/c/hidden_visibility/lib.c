#include <stdio.h>

__attribute__((visibility("hidden"))) int hidden_var = 5;
__attribute__((visibility("hidden"))) int hidden_fn(int x) { return x + hidden_var; }
__attribute__((visibility("protected"))) int protected_fn(int x) { return x * 2; }
__attribute__((visibility("internal"))) int internal_fn(void) { return 3; }

#pragma GCC visibility push(hidden)
int pragma_hidden_var = 11;
int pragma_hidden_fn(void) { return pragma_hidden_var * 2; }
#pragma GCC visibility pop

int (*get_hidden_fn(void))(int) { return hidden_fn; }
int *get_hidden_var(void) { return &hidden_var; }
