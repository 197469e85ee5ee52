#include <henhouse/henhouse.h>
int main(void) { return hh_init() == HH_OK ? 0 : 2; }
