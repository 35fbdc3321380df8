#pragma once
// The console's files as compiled into the binary. The definition is
// generated at build time (gateway/console/embed_files.cmake) from the files
// beside this header, so editing them rebuilds it.

#include <span>
#include <string_view>

namespace smscoach::gateway::console_files {

struct EmbeddedFile {
  std::string_view name;  // "index.html", "console.css", ...
  std::string_view data;  // the file's bytes, as on disk
};

std::span<const EmbeddedFile> files();

}  // namespace smscoach::gateway::console_files
