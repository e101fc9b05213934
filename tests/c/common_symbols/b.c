int counter;
char buffer[64];                        /* larger: the merged common must be 64 bytes */
int init_in_b = 77;
int after_guard;
long big_align_common;

void b_fill(void)
{
    for (int i = 16; i < 64; i++)
        buffer[i] = 'b';
    counter += 10;
}

int b_check(void)
{
    int ok = 1;
    for (int i = 0; i < 16; i++)
        ok &= buffer[i] == 'a';
    for (int i = 16; i < 64; i++)
        ok &= buffer[i] == 'b';
    return ok;
}
