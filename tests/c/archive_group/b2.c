int b_final(int x) { return x * 1000; }
