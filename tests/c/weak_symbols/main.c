/* weak_symbols: weak undefined symbols that stay NULL (also when an archive
 * member would define them: weak references do not extract members), weak
 * definitions overridden by strong ones from another object, weak defaults
 * that stay, and aliases. */
#include <stdio.h>

extern void weak_undef_fn(void) __attribute__((weak));
extern int weak_undef_var __attribute__((weak));
extern int only_in_archive(void) __attribute__((weak));   /* libweakextra.a */
extern int only_in_archive_var __attribute__((weak));

int overridden_fn(void);      /* weak in weak_defs.c, strong in strong_defs.c */
int default_fn(void);         /* weak in weak_defs.c only */
extern int overridden_var;    /* weak in weak_defs.c, strong in strong_defs.c */
extern int default_var;       /* weak in weak_defs.c only */
int real_impl(void);
int strong_alias(void);
int weak_alias(void);          /* weak alias in weak_defs.c, overridden in strong_defs.c */

static void (*volatile weak_fn_ptr)(void) = weak_undef_fn;
static int *weak_var_ptr = &weak_undef_var;

int main(void)
{
    printf("weak_undef_fn is NULL: %s\n", weak_undef_fn == NULL ? "yes" : "no");
    printf("&weak_undef_var is NULL: %s\n", &weak_undef_var == NULL ? "yes" : "no");
    printf("pointers to weak undef in .data are NULL: %s\n",
           weak_fn_ptr == NULL && weak_var_ptr == NULL ? "yes" : "no");
    if (weak_undef_fn)
        weak_undef_fn();
    printf("archive member not extracted by weak refs: %s\n",
           only_in_archive == NULL && &only_in_archive_var == NULL ? "yes" : "no");
    printf("overridden_fn() = %d\n", overridden_fn());
    printf("default_fn() = %d\n", default_fn());
    printf("overridden_var = %d\n", overridden_var);
    printf("default_var = %d\n", default_var);
    printf("real_impl() = %d, strong_alias() = %d, weak_alias() = %d\n",
           real_impl(), strong_alias(), weak_alias());
    printf("strong_alias == real_impl: %s\n", strong_alias == real_impl ? "yes" : "no");
    return 0;
}
