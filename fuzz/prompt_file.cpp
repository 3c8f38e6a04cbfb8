// JSONL prompt files, as the suite loader reads them from disk.

#include <cstdint>

#include "fuzz.hpp"
#include "llmbench/suite/prompt_file.hpp"

using namespace llmbench;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  suite::Diagnostics diags;
  std::string content;
  const auto prompts =
      suite::read_prompt_file(fuzz::write_scratch("prompts.jsonl", fuzz::text(data, size)),
                              suite::SourcePos{"s.toml", 1, 1}, diags, content);
  if (!prompts.empty() && content.size() != size) {
    fuzz::broken("the prompt file was not read whole");
  }
  for (const auto& d : diags.items()) {
    (void)d.to_string();
  }
  return 0;
}
