#pragma once
// Feature id -> weight row, looked up about a hundred times a text. An
// open-addressing table in one array, at most half full: a lookup reads one
// slot, or a few side by side, where std::unordered_map follows a pointer to
// a node of its own, a cache miss each under load.

#include <cstddef>
#include <cstdint>
#include <unordered_map>
#include <vector>

namespace smscoach::intents {

class FeatureRows {
 public:
  FeatureRows() = default;
  explicit FeatureRows(const std::unordered_map<std::uint32_t, std::uint32_t>& row_of) {
    std::size_t capacity = 16;
    while (capacity < 2 * row_of.size()) capacity *= 2;
    slots_.assign(capacity, Slot{});
    mask_ = static_cast<std::uint32_t>(capacity - 1);
    for (const auto& [id, row] : row_of) {
      std::uint32_t at = home(id);
      while (slots_[at].row_plus_one != 0) at = (at + 1) & mask_;
      slots_[at] = Slot{id, row + 1};
    }
    size_ = row_of.size();
  }

  // The row, or -1 for a feature training never saw.
  long find(std::uint32_t id) const {
    if (slots_.empty()) return -1;
    for (std::uint32_t at = home(id);; at = (at + 1) & mask_) {
      const Slot& slot = slots_[at];
      if (slot.row_plus_one == 0) return -1;
      if (slot.id == id) return static_cast<long>(slot.row_plus_one) - 1;
    }
  }

  std::size_t size() const { return size_; }

 private:
  struct Slot {
    std::uint32_t id = 0;
    std::uint32_t row_plus_one = 0;  // 0: empty
  };

  // Ids are hashes already; the multiply spreads whatever structure is left
  // over the low bits the mask keeps.
  std::uint32_t home(std::uint32_t id) const { return (id * 0x9E3779B1U) >> 7 & mask_; }

  std::vector<Slot> slots_;
  std::uint32_t mask_ = 0;
  std::size_t size_ = 0;
};

}  // namespace smscoach::intents
