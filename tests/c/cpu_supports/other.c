int feature_count_other(void)
{
    return !!__builtin_cpu_supports("sse") + !!__builtin_cpu_supports("sse2") +
           !!__builtin_cpu_supports("mmx") + !!__builtin_cpu_supports("cmov");
}
