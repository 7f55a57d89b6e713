// Work a request cannot do on the HTTP thread without holding up every
// other request (decoding an image, an SMTP relay, fetching links): run on
// the worker pool, awaited without a thread; the caller resumes on its own
// executor with the result (or the exception f threw).
//
// Written without a coroutine lambda and with no temporary inside a
// co_await expression: g++ 12 destroys such temporaries wrongly (a
// coroutine lambda's captures freed twice). Callers name their job first:
//   auto job = [...] { ... };
//   auto result = co_await offload(pool, std::move(job));
#pragma once
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <exception>
#include <memory>
#include <type_traits>

namespace relaymock::http {

namespace offload_detail {

template <typename F>
struct Initiation {
  boost::asio::thread_pool* pool;
  template <typename Handler>
  void operator()(Handler handler, std::shared_ptr<F> job) const {
    using R = std::invoke_result_t<F&>;
    auto ex = boost::asio::get_associated_executor(handler);
    auto work = boost::asio::make_work_guard(ex);
    auto h = std::make_shared<Handler>(std::move(handler));
    boost::asio::post(*pool, [h, job, work]() mutable {
      auto result = std::make_shared<R>();
      std::exception_ptr error;
      try {
        *result = (*job)();
      } catch (...) {
        error = std::current_exception();
      }
      auto home = work.get_executor();
      boost::asio::dispatch(home, [h, error, result]() mutable { (*h)(error, std::move(*result)); });
      work.reset();
    });
  }
};

}  // namespace offload_detail

template <typename F>
auto offload(boost::asio::thread_pool* pool, F f) {
  using R = std::invoke_result_t<F&>;
  static_assert(std::is_default_constructible_v<R>, "offload returns a default-constructible value");
  auto job = std::make_shared<F>(std::move(f));
  if (!pool) {
    // In-process tests: inline, still as an awaitable.
    return boost::asio::async_initiate<const boost::asio::use_awaitable_t<>, void(std::exception_ptr, R)>(
        [](auto handler, std::shared_ptr<F> j) {
          std::exception_ptr error;
          R result{};
          try {
            result = (*j)();
          } catch (...) {
            error = std::current_exception();
          }
          std::move(handler)(error, std::move(result));
        },
        boost::asio::use_awaitable, job);
  }
  return boost::asio::async_initiate<const boost::asio::use_awaitable_t<>, void(std::exception_ptr, R)>(
      offload_detail::Initiation<F>{pool}, boost::asio::use_awaitable, job);
}

}  // namespace relaymock::http
