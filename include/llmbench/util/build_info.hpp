#pragma once

namespace llmbench::build_info {
// Defined in the generated build_info.cpp (cmake/build_info.cmake).
extern const char* const k_version;
extern const char* const k_git_commit;
}  // namespace llmbench::build_info
