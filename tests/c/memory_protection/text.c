int text_function(int x) { return x + 41; }
