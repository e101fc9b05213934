int a_leaf(int x);
int b_middle(int x) { return a_leaf(x * 3); }
