#pragma once
// A provider's keys and their health, shared by every event loop: round robin over the keys that
// are usable now; a key that got 429 cools down for a while; a key that got 401/403 is out until
// the configuration is reloaded. Lock-free (atomics): a request touches it once per attempt.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <utility>

namespace ccgate::upstream {

class KeyPool {
 public:
  using Clock = std::chrono::steady_clock;

  // keys: how many keys the provider has; 0 is one slot without a key (a local Ollama).
  explicit KeyPool(std::size_t keys);

  // The next usable key's index in round-robin order; nullopt when every key cools or is out.
  std::optional<std::size_t> next(Clock::time_point now = Clock::now());
  // 429: the key is skipped until now + wait (at most a day; a later deadline already set stays).
  void cool(std::size_t key, std::chrono::milliseconds wait, Clock::time_point now = Clock::now());
  // 401/403: the key is out. True only the first time (so it is logged once).
  bool take_out(std::size_t key);

  // For an attempt that must not give up because keys cool (the route's last target): the next
  // key that is not out, cooling or not, in round-robin order; key 0 when every key is out.
  std::size_t next_any();

  std::size_t size() const { return size_; }
  std::size_t usable(Clock::time_point now = Clock::now()) const;   // neither cooling nor out
  std::size_t cooling(Clock::time_point now = Clock::now()) const;  // cooling now, not out
  std::size_t out() const;
  // When the first cooling key becomes usable again; nullopt when none cools (all usable or out).
  std::optional<Clock::time_point> next_ready(Clock::time_point now = Clock::now()) const;

 private:
  struct Slot {
    std::atomic<Clock::rep> cool_until{0};  // steady-clock ticks; 0: not cooling
    std::atomic<bool> out{false};
  };
  std::size_t size_;
  std::unique_ptr<Slot[]> slots_;
  std::atomic<std::size_t> turn_{0};
};

// At most `cap` requests in flight to one provider (0: no cap), across every event loop.
class ConcurrencyCap {
 public:
  class Permit;

  explicit ConcurrencyCap(std::size_t cap) : cap_(cap) {}
  bool try_acquire();  // false: at the cap
  void release();
  // try_acquire with an owner: the place is released when the permit is destroyed. Empty (false)
  // at the cap. The cap must outlive the permit.
  Permit try_permit();
  std::size_t in_flight() const { return in_flight_.load(std::memory_order_relaxed); }
  std::size_t cap() const { return cap_; }

 private:
  std::size_t cap_;
  std::atomic<std::size_t> in_flight_{0};
};

class ConcurrencyCap::Permit {
 public:
  Permit() = default;
  Permit(Permit&& other) noexcept : cap_(std::exchange(other.cap_, nullptr)) {}
  Permit& operator=(Permit&& other) noexcept {
    if (this != &other) {
      reset();
      cap_ = std::exchange(other.cap_, nullptr);
    }
    return *this;
  }
  ~Permit() { reset(); }

  explicit operator bool() const { return cap_ != nullptr; }
  void reset() {
    if (cap_ != nullptr) std::exchange(cap_, nullptr)->release();
  }

 private:
  friend class ConcurrencyCap;
  explicit Permit(ConcurrencyCap* cap) : cap_(cap) {}
  ConcurrencyCap* cap_ = nullptr;
};

}  // namespace ccgate::upstream
