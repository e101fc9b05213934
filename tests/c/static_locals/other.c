static int hidden_counter = 500;
static int helper(void) { return hidden_counter * 2; }

int other_next(void)
{
    static long calls = 40;
    return (int)++calls;
}

int other_helper_value(void) { return helper(); }
