#include "upstream/key_pool.hpp"

#include <algorithm>

namespace ccgate::upstream {

namespace {

KeyPool::Clock::rep ticks(KeyPool::Clock::time_point time) {
  return time.time_since_epoch().count();
}

}  // namespace

// A provider without keys (a local Ollama) still takes requests: one slot that is never keyed.
KeyPool::KeyPool(std::size_t keys)
    : size_(std::max<std::size_t>(keys, 1)), slots_(std::make_unique<Slot[]>(size_)) {}

std::optional<std::size_t> KeyPool::next(Clock::time_point now) {
  const std::size_t start = turn_.fetch_add(1, std::memory_order_relaxed) % size_;
  for (std::size_t step = 0; step < size_; ++step) {
    const std::size_t key = (start + step) % size_;
    const Slot& slot = slots_[key];
    if (!slot.out.load(std::memory_order_relaxed) &&
        slot.cool_until.load(std::memory_order_relaxed) <= ticks(now)) {
      return key;
    }
  }
  return std::nullopt;
}

std::size_t KeyPool::next_any() {
  const std::size_t start = turn_.fetch_add(1, std::memory_order_relaxed) % size_;
  for (std::size_t step = 0; step < size_; ++step) {
    const std::size_t key = (start + step) % size_;
    if (!slots_[key].out.load(std::memory_order_relaxed)) return key;
  }
  return 0;
}

std::size_t KeyPool::usable(Clock::time_point now) const {
  std::size_t count = 0;
  for (std::size_t key = 0; key < size_; ++key) {
    const Slot& slot = slots_[key];
    if (!slot.out.load(std::memory_order_relaxed) &&
        slot.cool_until.load(std::memory_order_relaxed) <= ticks(now))
      ++count;
  }
  return count;
}

// Two 429s racing keep the later deadline: a shorter Retry-After must not end a longer wait. The
// wait is bounded so that an upstream's absurd Retry-After cannot overflow the clock (the caller
// applies its own, shorter limit).
void KeyPool::cool(std::size_t key, std::chrono::milliseconds wait, Clock::time_point now) {
  if (key >= size_) return;
  constexpr std::chrono::milliseconds kLongestWait = std::chrono::hours(24);
  const Clock::rep until =
      ticks(now + std::clamp(wait, std::chrono::milliseconds::zero(), kLongestWait));
  auto& cool_until = slots_[key].cool_until;
  Clock::rep current = cool_until.load(std::memory_order_relaxed);
  while (current < until &&
         !cool_until.compare_exchange_weak(current, until, std::memory_order_relaxed)) {
  }
}

bool KeyPool::take_out(std::size_t key) {
  if (key >= size_) return false;
  return !slots_[key].out.exchange(true, std::memory_order_relaxed);
}

std::size_t KeyPool::cooling(Clock::time_point now) const {
  std::size_t count = 0;
  for (std::size_t key = 0; key < size_; ++key) {
    const Slot& slot = slots_[key];
    if (!slot.out.load(std::memory_order_relaxed) &&
        slot.cool_until.load(std::memory_order_relaxed) > ticks(now)) {
      ++count;
    }
  }
  return count;
}

std::size_t KeyPool::out() const {
  std::size_t count = 0;
  for (std::size_t key = 0; key < size_; ++key) {
    if (slots_[key].out.load(std::memory_order_relaxed)) ++count;
  }
  return count;
}

std::optional<KeyPool::Clock::time_point> KeyPool::next_ready(Clock::time_point now) const {
  std::optional<Clock::rep> earliest;
  for (std::size_t key = 0; key < size_; ++key) {
    const Slot& slot = slots_[key];
    const Clock::rep until = slot.cool_until.load(std::memory_order_relaxed);
    if (slot.out.load(std::memory_order_relaxed) || until <= ticks(now)) continue;
    if (!earliest || until < *earliest) earliest = until;
  }
  if (!earliest) return std::nullopt;
  return Clock::time_point(Clock::duration(*earliest));
}

bool ConcurrencyCap::try_acquire() {
  if (cap_ == 0) {
    in_flight_.fetch_add(1, std::memory_order_relaxed);
    return true;
  }
  std::size_t current = in_flight_.load(std::memory_order_relaxed);
  do {
    if (current >= cap_) return false;
  } while (!in_flight_.compare_exchange_weak(current, current + 1, std::memory_order_relaxed));
  return true;
}

void ConcurrencyCap::release() {
  in_flight_.fetch_sub(1, std::memory_order_relaxed);
}

ConcurrencyCap::Permit ConcurrencyCap::try_permit() {
  return try_acquire() ? Permit(this) : Permit();
}

}  // namespace ccgate::upstream
