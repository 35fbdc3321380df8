#pragma once
// One function per sub-command: args are what follows the command words;
// returns the exit code, or throws CommandError.

#include <string>
#include <vector>

namespace smscoach::bot {

using Args = std::vector<std::string>;

int run_serve(const Args& args);
int run_chat(const Args& args);
int run_classify(const Args& args);
int run_eval(const Args& args);
int run_content_check(const Args& args);
int run_content_export_training(const Args& args);
int run_content_export_relabels(const Args& args);
int run_users_forget(const Args& args);

}  // namespace smscoach::bot
