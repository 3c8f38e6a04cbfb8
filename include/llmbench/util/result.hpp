#pragma once
// A small expected-style type for operations whose failure is an ordinary outcome.

#include <string>
#include <utility>
#include <variant>

namespace llmbench {

template <typename T, typename E = std::string>
class Result {
 public:
  Result(T value) : m_data(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit
  static Result failure(E error) { return Result(std::in_place_index<1>, std::move(error)); }

  bool ok() const { return m_data.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() { return std::get<0>(m_data); }
  const T& value() const { return std::get<0>(m_data); }
  const E& error() const { return std::get<1>(m_data); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }

 private:
  template <std::size_t I, typename V>
  Result(std::in_place_index_t<I> tag, V&& v) : m_data(tag, std::forward<V>(v)) {}
  std::variant<T, E> m_data;
};

}  // namespace llmbench
