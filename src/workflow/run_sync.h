// Runs a coroutine to completion on a caller-owned io_context (workflow steps are sequential; the
// backends and the HTTP client are coroutines).
#pragma once

#include <optional>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include "backends/backend.h"

namespace occam::workflow {

template <typename T>
Result<T> run_sync(boost::asio::io_context& io, backends::Task<Result<T>> task) {
  std::optional<Result<T>> out;
  // A void coroutine: co_spawn's value form wants a default-constructible result, Result<T> is not.
  boost::asio::co_spawn(
      io, [&out, t = std::move(task)]() mutable -> backends::Task<void> { out.emplace(co_await std::move(t)); },
      boost::asio::detached);
  io.restart();
  io.run();
  if (!out) return make_error(ErrorCode::internal, "workflow: a call ended with an exception");
  return std::move(*out);
}

}  // namespace occam::workflow
