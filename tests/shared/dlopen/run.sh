./prog "$PWD/libplugin.so"
echo "status $?"
