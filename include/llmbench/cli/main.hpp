#pragma once

namespace llmbench {

// The whole program: parses arguments, runs a command, prints fatal errors, returns the
// process exit code (DESIGN.md, "Exit codes").
int main(int argc, char** argv);

}  // namespace llmbench
