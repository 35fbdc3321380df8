// load_knowledge_base on a data folder whose program.jsonl, faq.jsonl or
// intents.jsonl is arbitrary: the files with no loader of their own (the
// others are content_fuzz.cpp's). The first byte picks the file (modulo 3:
// '0' program, '1' faq, '2' intents in the seeds), the rest is its text.
// The folder is a copy of content/data in which the other eight JSONL files
// are empty and products.json has no products: still a valid knowledge base,
// so a clean input reaches the cross-file checks (one text, two intents),
// and each run reads a third of the shipped bytes.
//
// Checks: problems are reported, never thrown; every error names its file
// and a reason; a clean load has every program text and something to train on.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "content/loader.hpp"
#include "fuzz_check.hpp"

namespace {

namespace content = smscoach::content;
namespace fs = std::filesystem;

void write_file(const fs::path& path, std::string_view text) {
  std::ofstream(path, std::ios::binary | std::ios::trunc).write(text.data(), text.size());
}

// The folder for inputs that are `file`, made once and removed at exit (a
// crash leaves it behind: it is small).
class DataCopy {
 public:
  explicit DataCopy(const char* file) {
    std::string pattern = (fs::temp_directory_path() / "smscoach-fuzz-content-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) std::abort();
    dir_ = pattern;
    for (const char* name : {"program.jsonl", "faq.jsonl", "intents.jsonl"}) {
      fs::copy_file(fs::path(SMSCOACH_CONTENT_DIR) / name, dir_ / name);
    }
    for (const char* name :
         {"slang.jsonl", "entity_values.jsonl", "supplements.jsonl", "medications.jsonl",
          "dose_rules.jsonl", "interactions.jsonl", "conditions.jsonl", "recommendations.jsonl"}) {
      write_file(dir_ / name, "");
    }
    write_file(dir_ / "products.json", R"({"products": []})");
    path_ = dir_ / file;
    // The folder must load clean as it is, or no input could reach the cross-file checks.
    if (!content::load_knowledge_base(dir_).ok()) std::abort();
  }
  ~DataCopy() {
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }
  DataCopy(const DataCopy&) = delete;
  DataCopy& operator=(const DataCopy&) = delete;

  content::LoadResult load(std::string_view text) const {
    write_file(path_, text);
    return content::load_knowledge_base(dir_);
  }

 private:
  fs::path dir_;
  fs::path path_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  static const DataCopy copies[] = {DataCopy("program.jsonl"), DataCopy("faq.jsonl"),
                                    DataCopy("intents.jsonl")};
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  const content::LoadResult result = copies[data[0] % 3].load(text);
  for (const auto& error : result.errors) {
    FUZZ_CHECK(!error.file.empty());
    FUZZ_CHECK(error.line >= 0);
    FUZZ_CHECK(!error.message.empty());
    error.to_string();
  }
  if (result.ok()) {
    FUZZ_CHECK(!result.kb.program.help.empty() && !result.kb.program.out_of_scope.empty());
    FUZZ_CHECK(!result.kb.training_utterances().empty());
  }
  return 0;
}
