int compute_status(int base)
{
    return base + 2;
}
