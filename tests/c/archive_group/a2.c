int b_final(int x);
int a_leaf(int x) { return b_final(x + 10) + 1; }
