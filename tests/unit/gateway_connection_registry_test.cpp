#include <catch2/catch.hpp>

#include "gateway/detail/connection_registry.hpp"

using smscoach::gateway::detail::ConnectionRegistry;

TEST_CASE("ConnectionRegistry refuses connections beyond its limit", "[gateway][server]") {
  ConnectionRegistry registry(2);
  const auto a = registry.add([] {});
  const auto b = registry.add([] {});
  REQUIRE(a);
  REQUIRE(b);
  CHECK(*a != *b);
  CHECK_FALSE(registry.add([] {}));
  CHECK(registry.size() == 2);

  registry.remove(*a);
  CHECK(registry.add([] {}));
}

TEST_CASE("ConnectionRegistry::stop_all reaches every connection and refuses new ones",
          "[gateway][server]") {
  ConnectionRegistry registry(10);
  int stopped = 0;
  std::optional<std::uint64_t> removed_inside;
  const auto a = registry.add([&] { ++stopped; });
  // A connection that ends while being stopped removes itself: no deadlock.
  const auto b = registry.add([&] {
    ++stopped;
    registry.remove(*removed_inside);
  });
  removed_inside = b;
  REQUIRE(a);
  REQUIRE(b);

  registry.stop_all();
  CHECK(stopped == 2);
  CHECK(registry.size() == 1);
  CHECK_FALSE(registry.add([] {}));
}
