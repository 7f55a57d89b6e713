// Compiled by tests/CMakeLists.txt against one layer's view of server/:
// LAYER_HEADER names a header of another layer. Below: it builds; above or
// beside: "No such file or directory".
#include LAYER_HEADER
int main() { return 0; }
