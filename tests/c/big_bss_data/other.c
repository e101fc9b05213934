long other_bss[1024];
static char other_big[8u << 20];

long other_sum(void)
{
    long s = 0;
    other_big[(8u << 20) - 1] = 1;
    for (int i = 0; i < 1024; i++)
        s += other_bss[i];
    return s + other_big[(8u << 20) - 1] + other_big[0];
}
