#pragma once
// Counters, gauges and histograms, and the Prometheus text format (0.0.4) they are read in.
// Pure: no I/O, nothing of LLMs.
//
// A family has a name, help text and fixed label names; its children (one per set of label
// values) are made on first use and never removed, so a reference to a child stays valid for the
// registry's life: a hot path keeps it instead of looking it up. Updates are relaxed atomics
// (the scrape only needs each number to be one that was true at some moment); a lookup takes a
// mutex around one hash-table probe (children are made under it too). Label values come
// from outside (model names): each is cut to kMaxLabelValueSize bytes, and a family makes at most
// max_children children; past that every new set of values lands in the one child whose values
// are all "other", so no client can grow memory without bound.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace ccgate::metrics {

inline constexpr std::string_view kContentType = "text/plain; version=0.0.4; charset=utf-8";
inline constexpr std::size_t kDefaultMaxChildren = 1000;
inline constexpr std::size_t kMaxLabelValueSize = 128;
inline constexpr std::string_view kOverflowValue = "other";
inline constexpr std::size_t kMaxLabels = 8;

// Seconds, for latencies: 1 ms … 60 s.
inline constexpr double kLatencyBuckets[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                             0.5,   1,      2.5,   5,    10,    30,   60};

class Counter {
 public:
  void inc(std::uint64_t by = 1) { value_.fetch_add(by, std::memory_order_relaxed); }
  std::uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

class Gauge {
 public:
  void set(std::int64_t value) { value_.store(value, std::memory_order_relaxed); }
  void add(std::int64_t by) { value_.fetch_add(by, std::memory_order_relaxed); }
  void inc() { add(1); }
  void dec() { add(-1); }
  std::int64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::int64_t> value_{0};
};

class Histogram {
 public:
  // bounds: ascending upper bounds, kept alive by the family.
  explicit Histogram(std::span<const double> bounds);
  void observe(double value);
  // A duration, in seconds: the unit of every latency histogram.
  template <class Rep, class Period>
  void observe(std::chrono::duration<Rep, Period> duration) {
    observe(std::chrono::duration<double>(duration).count());
  }

  struct Snapshot {
    std::vector<std::uint64_t> cumulative;  // per bound, then +Inf (= count)
    double sum = 0;
  };
  Snapshot snapshot() const;
  std::span<const double> bounds() const { return bounds_; }

 private:
  std::span<const double> bounds_;
  // Not cumulative: one per bound and one for +Inf; the count is their sum, so _count and the
  // +Inf bucket always agree.
  std::unique_ptr<std::atomic<std::uint64_t>[]> buckets_;
  std::atomic<double> sum_{0};
};

// One family as the registry writes it.
class Collector {
 public:
  virtual ~Collector() = default;
  virtual void write(std::string& out) const = 0;
};

struct FamilyInfo {
  std::string name;  // the whole name: counters end in _total, units are named (_seconds, _bytes)
  std::string help;
  std::vector<std::string> labels;
};

template <class Metric>
class Family final : public Collector {
 public:
  Family(FamilyInfo info, std::size_t max_children, std::vector<double> bounds = {});

  // The child for these label values (as many as the family has labels), made on first use.
  Metric& with(std::span<const std::string_view> values);
  Metric& with(std::initializer_list<std::string_view> values) {
    return with(std::span<const std::string_view>(values.begin(), values.size()));
  }
  // The one child of a family without labels.
  Metric& only() { return with(std::span<const std::string_view>()); }

  std::size_t size() const;
  const FamilyInfo& info() const { return info_; }
  void write(std::string& out) const override;

 private:
  // Hashes and compares label-value lists, stored (strings) or asked for (views), without
  // building a key: a lookup costs one pass over the values' bytes and one comparison.
  struct ValuesHash {
    using is_transparent = void;
    template <class Values>
    std::size_t operator()(const Values& values) const {
      std::uint64_t hash = 14695981039346656037ull;  // FNV-1a: short values, no setup cost
      for (const std::string_view value : values) {
        for (const char c : value) hash = (hash ^ static_cast<unsigned char>(c)) * 1099511628211ull;
        hash = (hash ^ 0xff) * 1099511628211ull;  // 0xff never occurs in UTF-8: a separator
      }
      return static_cast<std::size_t>(hash);
    }
  };
  struct ValuesEqual {
    using is_transparent = void;
    template <class A, class B>
    bool operator()(const A& a, const B& b) const {
      return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                        [](std::string_view x, std::string_view y) { return x == y; });
    }
  };
  Metric& make(std::span<const std::string_view> values);

  FamilyInfo info_;
  std::size_t max_children_;
  std::vector<double> bounds_;  // histograms only
  mutable std::mutex mutex_;
  std::unordered_map<std::vector<std::string>, std::unique_ptr<Metric>, ValuesHash, ValuesEqual>
      children_;
};

// A family whose samples are computed when scraped (process RSS, open connections, …): a gauge,
// or a counter kept by someone else (a running total that never goes down).
class GaugeCallback final : public Collector {
 public:
  struct Sample {
    std::vector<std::string> values;
    double value = 0;
  };
  using Read = std::function<std::vector<Sample>()>;
  GaugeCallback(FamilyInfo info, Read read, std::string_view type = "gauge");
  void write(std::string& out) const override;

 private:
  FamilyInfo info_;
  Read read_;
  std::string_view type_;
};

// The families of one process, written in the order they were added. Families are added before
// the registry is shared between threads (at startup); their children may be made at any time.
class Registry {
 public:
  explicit Registry(std::size_t max_children = kDefaultMaxChildren) : max_children_(max_children) {}

  Family<Counter>& counter(FamilyInfo info);
  Family<Gauge>& gauge(FamilyInfo info);
  Family<Histogram>& histogram(FamilyInfo info, std::span<const double> bounds = kLatencyBuckets);
  void gauge_callback(FamilyInfo info, GaugeCallback::Read read);
  // A single sample computed when scraped, without labels.
  void gauge_callback(std::string name, std::string help, std::function<double()> read);
  // A total kept elsewhere, read when scraped (the name ends in _total).
  void counter_callback(std::string name, std::string help, std::function<double()> read);

  // The text format 0.0.4 (serve it with kContentType).
  std::string expose() const;

 private:
  template <class Family, class... Args>
  Family& add(FamilyInfo info, Args&&... args);

  std::size_t max_children_;
  std::vector<std::unique_ptr<Collector>> collectors_;
  std::vector<std::string> names_;
};

// The text format's escapes: in HELP text `\` and newline; in label values also `"`.
std::string escape_help(std::string_view text);
std::string escape_label_value(std::string_view value);
// A sample value: integers without a fraction, +Inf/-Inf/NaN spelled as Prometheus does.
std::string format_value(double value);
// A label value as stored: at most kMaxLabelValueSize bytes, cut on a UTF-8 character boundary.
std::string_view bounded_label_value(std::string_view value);
// [a-zA-Z_:][a-zA-Z0-9_:]* (labels: no colon, and not starting with __).
bool valid_metric_name(std::string_view name);
bool valid_label_name(std::string_view name);

}  // namespace ccgate::metrics
