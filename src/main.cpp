#include "llmbench/cli/main.hpp"

int main(int argc, char** argv) {
  return llmbench::main(argc, argv);
}
