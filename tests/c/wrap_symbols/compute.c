int compute(int x) { return x * 10; }
int compute_twice(int x) { return compute(x) + compute(x); } /* not wrapped: defined here */
