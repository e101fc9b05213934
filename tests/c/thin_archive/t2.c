int thin_two(int x) { return x + 22; }
