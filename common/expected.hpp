#pragma once
// A value or an error, for request paths where throwing is not allowed
// (std::expected is C++23; g++ 12 does not ship it).

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace smscoach {

enum class ErrorCode {
  bad_input,    // the caller sent something malformed: a 4xx
  not_found,    // the thing asked for does not exist
  conflict,     // valid request, but the current state forbids it
  unavailable,  // a dependency (store, provider) failed: retry later, a 503
  internal,     // a bug: should not happen
};

struct Error {
  ErrorCode code = ErrorCode::internal;
  std::string message;
};

template <class T>
class [[nodiscard]] Expected {
 public:
  Expected(T value) : v_(std::in_place_index<0>, std::move(value)) {}
  Expected(Error error) : v_(std::in_place_index<1>, std::move(error)) {}

  bool has_value() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }

  T& value() & { assert(has_value()); return std::get<0>(v_); }
  const T& value() const& { assert(has_value()); return std::get<0>(v_); }
  T&& value() && { assert(has_value()); return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const { assert(!has_value()); return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

struct Ok {};
using Status = Expected<Ok>;

inline Error make_error(ErrorCode code, std::string message) {
  return Error{code, std::move(message)};
}

}  // namespace smscoach
