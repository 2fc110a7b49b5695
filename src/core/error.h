// occam's one error type: every fallible function returns Result<T> (a value or an Error) or
// Status (Result<void>). Messages say what was wrong and where: "gguf: tensor 'blk.3.ffn_up.weight':
// data offset 0x1f3a0 past end of file (offset 0x120)". Nothing in the data plane throws across a
// component boundary.
#pragma once

#include <cassert>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include <fmt/format.h>

namespace occam {

// Coarse classes of failure, so that callers (HTTP status, retry logic, CLI exit code) can react
// without parsing messages.
enum class ErrorCode {
  invalid_argument,    // bad input from a caller or a file: malformed, out of range, wrong type
  not_found,           // a key, file, model or route that does not exist
  io,                  // the operating system refused (open, read, mmap, socket)
  unsupported,         // valid but not implemented here (unknown tensor type, architecture)
  resource_exhausted,  // queue full, limit reached, out of memory
  unavailable,         // a dependency is down (upstream refused, circuit open)
  timeout,             // a deadline passed
  permission_denied,   // authentication or authorisation failed
  internal,            // a bug in occam: an invariant did not hold
};

std::string_view to_string(ErrorCode code);

class Error {
 public:
  Error(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {}

  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // Prefixes the message with where it happened, outermost first: "loading 'x.gguf': <message>".
  Error& with_context(std::string_view context) {
    message_ = fmt::format("{}: {}", context, message_);
    return *this;
  }

 private:
  ErrorCode code_;
  std::string message_;
};

template <typename... Args>
Error make_error(ErrorCode code, fmt::format_string<Args...> format, Args&&... args) {
  return Error(code, fmt::format(format, std::forward<Args>(args)...));
}

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  Result(Error error) : state_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { assert(ok()); return std::get<0>(state_); }
  const T& value() const& { assert(ok()); return std::get<0>(state_); }
  T&& value() && { assert(ok()); return std::get<0>(std::move(state_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const& { assert(!ok()); return std::get<1>(state_); }
  Error&& error() && { assert(!ok()); return std::get<1>(std::move(state_)); }

  T value_or(T fallback) const& { return ok() ? value() : std::move(fallback); }

 private:
  std::variant<T, Error> state_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), failed_(true) {}  // NOLINT: implicit by design

  bool ok() const { return !failed_; }
  explicit operator bool() const { return ok(); }
  const Error& error() const& { assert(failed_); return error_; }
  Error&& error() && { assert(failed_); return std::move(error_); }

 private:
  Error error_{ErrorCode::internal, ""};
  bool failed_ = false;
};

using Status = Result<void>;

inline Status ok_status() { return {}; }

}  // namespace occam

#define OCCAM_CONCAT_INNER(a, b) a##b
#define OCCAM_CONCAT(a, b) OCCAM_CONCAT_INNER(a, b)

// OCCAM_TRY(status_expr): returns the error from the enclosing function when the Status fails.
#define OCCAM_TRY(expr)                                   \
  do {                                                    \
    auto occam_try_result_ = (expr);                      \
    if (!occam_try_result_.ok()) {                        \
      return std::move(occam_try_result_).error();        \
    }                                                     \
  } while (false)

// OCCAM_ASSIGN_OR_RETURN(auto x, result_expr): binds the value or returns the error.
#define OCCAM_ASSIGN_OR_RETURN(lhs, expr) \
  OCCAM_ASSIGN_OR_RETURN_IMPL(OCCAM_CONCAT(occam_result_, __LINE__), lhs, expr)
#define OCCAM_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                \
  if (!tmp.ok()) {                                  \
    return std::move(tmp).error();                  \
  }                                                 \
  lhs = std::move(tmp).value()
