// `llmbench runs import` of an arbitrary file (gzip or plain), then `report` of what it
// imported: a crafted export used to make `report` spin forever in the HDR decoder.

#include <cstdint>

#include "fuzz.hpp"
#include "llmbench/report/model.hpp"
#include "llmbench/store/database.hpp"
#include "llmbench/store/export.hpp"
#include "llmbench/store/runs.hpp"
#include "llmbench/util/error.hpp"

using namespace llmbench;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static store::Database db = store::Database::open((fuzz::scratch_dir() / "runs.db").string());
  const std::string path = fuzz::write_scratch("run.json.gz", fuzz::text(data, size));
  std::string id;
  try {
    id = store::import_run(db, path);
  } catch (const InputError&) {
    return 0;  // refused with a message naming the file: what the user sees
  }
  try {
    (void)report::build_report(db, id);
  } catch (const InputError&) {
  }
  store::remove_run(db, id);
  return 0;
}
