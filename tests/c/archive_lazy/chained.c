int chained_function(int x) { return x * 100; }
