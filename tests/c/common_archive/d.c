int baz;
