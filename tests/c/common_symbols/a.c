/* Tentative definitions (COMMON symbols with -fcommon). */
int counter;
char buffer[16];
double dval;
int init_in_b;                          /* common here, initialised definition in b.c */
int after_guard;
long big_align_common __attribute__((aligned(64)));

void a_fill(void)
{
    for (int i = 0; i < 16; i++)
        buffer[i] = 'a';
    counter += 1;
}
