int thin_two(int x);
const char *thin_one(void) { return thin_two(0) == 22 ? "thin member one" : "wrong"; }
