// smscoach: the SMS coaching line's one binary. main only dispatches.

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <iostream>

#include "bot/commands.hpp"
#include "bot/runtime.hpp"

namespace {

using smscoach::bot::Args;

struct Command {
  std::vector<std::string> words;
  const char* summary;
  int (*run)(const Args&);
};

const std::vector<Command>& commands() {
  using namespace smscoach::bot;
  static const std::vector<Command> all = {
      {{"serve"}, "run the HTTP server (Twilio webhook, health)", run_serve},
      {{"chat"}, "talk to the bot from a terminal or a pipe", run_chat},
      {{"classify"}, "intent and entities for texts on stdin, JSONL out", run_classify},
      {{"eval"}, "evaluate intent matching on a labelled JSONL file", run_eval},
      {{"content", "check"}, "validate the knowledge base", run_content_check},
      {{"content", "export-training"}, "write the training utterances as JSONL",
       run_content_export_training},
      {{"content", "export-relabels"}, "write the turns staff relabelled as training JSONL",
       run_content_export_relabels},
      {{"users", "forget"}, "erase one texter's data, keeping an opt-out", run_users_forget},
  };
  return all;
}

void print_usage(std::ostream& out) {
  out << "usage: smscoach <command> [flags]\n\ncommands:\n";
  for (const auto& c : commands()) {
    std::string name;
    for (const auto& w : c.words) name += (name.empty() ? "" : " ") + w;
    name.resize(std::max<std::size_t>(name.size(), 26), ' ');
    out << "  " << name << c.summary << "\n";
  }
  out << "\nEvery command takes --help. Every flag is also read from SMSCOACH_<FLAG>.\n";
}

}  // namespace

int main(int argc, char** argv) {
  // Logs go to stderr so stdout stays clean JSON for chat and classify.
  spdlog::set_default_logger(spdlog::stderr_color_mt("smscoach"));

  const Args all(argv + 1, argv + argc);
  if (all.empty() || all[0] == "--help" || all[0] == "-h" || all[0] == "help") {
    print_usage(all.empty() ? std::cerr : std::cout);
    return all.empty() ? smscoach::bot::kExitUsage : 0;
  }
  for (const auto& c : commands()) {
    if (all.size() < c.words.size() || !std::equal(c.words.begin(), c.words.end(), all.begin())) {
      continue;
    }
    try {
      return c.run(Args(all.begin() + static_cast<long>(c.words.size()), all.end()));
    } catch (const smscoach::bot::CommandError& e) {
      std::cerr << "smscoach: " << e.message << "\n";
      return e.exit_code;
    } catch (const std::exception& e) {
      std::cerr << "smscoach: " << e.what() << "\n";
      return smscoach::bot::kExitFailure;
    }
  }
  std::cerr << "smscoach: unknown command '" << all[0] << "' (see smscoach --help)\n";
  return smscoach::bot::kExitUsage;
}
