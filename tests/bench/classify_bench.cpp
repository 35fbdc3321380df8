// Speed of understanding one text: normalisation, entities and intent, on the
// dev-set texts (written like real texters). Prints nanoseconds per text; the
// test suite runs it briefly as a smoke test, never as a timed assertion.
//
//   build/test/tests/bench/classify_bench                  # full run
//   build/test/tests/bench/classify_bench --benchmark_min_time=0.01   # smoke

#include <benchmark/benchmark.h>

#include <fstream>

#include "content/loader.hpp"
#include "support/shipped_knowledge.hpp"
#include "dialogue/conversation.hpp"

using namespace smscoach;

namespace {

const dialogue::Knowledge& knowledge() { return test::shipped_knowledge(); }

const std::vector<std::string>& texts() {
  static const std::vector<std::string> all = [] {
    std::vector<std::string> out;
    for (const char* name : {"dev_tune.jsonl", "dev_heldout.jsonl"}) {
      std::ifstream in(std::string(SMSCOACH_TEST_DATA_DIR) + "/" + name);
      for (std::string line; std::getline(in, line);) {
        if (!line.empty()) out.push_back(nlohmann::json::parse(line)["text"]);
      }
    }
    if (out.empty()) throw std::runtime_error("no dev-set texts found");
    return out;
  }();
  return all;
}

// The engine alone: tokens, entities, intent.
void BM_Analyze(benchmark::State& state) {
  const auto& engine = knowledge().engine;
  const auto& all = texts();
  std::size_t i = 0;
  for (auto _ : state) {
    auto a = engine.analyze(all[i++ % all.size()]);
    benchmark::DoNotOptimize(a);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_Analyze);

// What classify and the live turn run: compliance rules first, then the engine.
void BM_Understand(benchmark::State& state) {
  const auto& k = knowledge();
  const auto& all = texts();
  std::size_t i = 0;
  for (auto _ : state) {
    auto u = dialogue::understand(all[i++ % all.size()], false, k);
    benchmark::DoNotOptimize(u);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_Understand);

// Start-up cost: loading the knowledge base and training the classifier.
void BM_LoadAndTrain(benchmark::State& state) {
  for (auto _ : state) {
    auto r = content::load_knowledge_base(SMSCOACH_CONTENT_DIR);
    const dialogue::Knowledge k(std::move(r.kb));
    const auto* trained = &k.engine;  // Knowledge holds const members: keep its address alive
    benchmark::DoNotOptimize(trained);
  }
}
BENCHMARK(BM_LoadAndTrain)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
