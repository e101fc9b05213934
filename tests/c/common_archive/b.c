int foo = 5;
