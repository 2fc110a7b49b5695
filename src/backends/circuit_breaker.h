// Per-upstream circuit breaker: after `failure_threshold` consecutive failures the circuit opens and calls
// fail fast for `open_for`; then one probe is let through (half-open) and its outcome closes or re-opens it.
#pragma once

#include <chrono>
#include <mutex>

namespace occam::backends {

class CircuitBreaker {
 public:
  using Clock = std::chrono::steady_clock;
  enum class State { closed, open, half_open };

  CircuitBreaker(int failure_threshold, std::chrono::milliseconds open_for)
      : threshold_(failure_threshold), open_for_(open_for) {}

  // True when a call may go out now (false: fail fast). In half-open state only one probe is allowed.
  bool allow(Clock::time_point now = Clock::now()) {
    std::lock_guard lock(mutex_);
    if (threshold_ <= 0) return true;
    if (state_ == State::open) {
      if (now < open_until_) return false;
      state_ = State::half_open;
      probing_ = false;
    }
    if (state_ == State::half_open) {
      if (probing_) return false;
      probing_ = true;
    }
    return true;
  }

  void record_success() {
    std::lock_guard lock(mutex_);
    failures_ = 0;
    state_ = State::closed;
    probing_ = false;
  }

  void record_failure(Clock::time_point now = Clock::now()) {
    std::lock_guard lock(mutex_);
    if (threshold_ <= 0) return;
    ++failures_;
    if (state_ == State::half_open || failures_ >= threshold_) {
      state_ = State::open;
      open_until_ = now + open_for_;
      probing_ = false;
    }
  }

  State state() const {
    std::lock_guard lock(mutex_);
    return state_;
  }

 private:
  mutable std::mutex mutex_;
  int threshold_;
  std::chrono::milliseconds open_for_;
  State state_ = State::closed;
  int failures_ = 0;
  bool probing_ = false;
  Clock::time_point open_until_{};
};

}  // namespace occam::backends
