_Thread_local int counter = 10;
int shared_table[4] = {1, 2, 3, 4};
char big_buffer[1 << 20];

int bump(int by)
{
    counter += by;
    return counter;
}
