#pragma once
// A log-linear latency histogram: exact below 2,048 ns, then 1,024 buckets per power of two
// (relative error under 0.1%), up to about 2^40 ns (18 minutes). Values are nanoseconds.

#include <algorithm>
#include <bit>
#include <cstdint>
#include <limits>
#include <vector>

namespace ccgate::bench {

class Histogram {
 public:
  Histogram() : counts_(kBuckets, 0) {}

  void record(std::uint64_t ns) {
    ++counts_[bucket_of(ns)];
    ++count_;
    sum_ += ns;
    min_ = std::min(min_, ns);
    max_ = std::max(max_, ns);
  }

  void merge(const Histogram& other) {
    for (std::size_t i = 0; i < kBuckets; ++i) counts_[i] += other.counts_[i];
    count_ += other.count_;
    sum_ += other.sum_;
    min_ = std::min(min_, other.min_);
    max_ = std::max(max_, other.max_);
  }

  std::uint64_t count() const { return count_; }
  std::uint64_t min() const { return count_ == 0 ? 0 : min_; }
  std::uint64_t max() const { return max_; }
  double mean() const { return count_ == 0 ? 0.0 : static_cast<double>(sum_) / count_; }

  // The value at quantile q in [0, 1]: the middle of the bucket holding the ceil(q*n)-th value,
  // clamped to the observed min and max.
  std::uint64_t quantile(double q) const {
    if (count_ == 0) return 0;
    const auto rank = std::max<std::uint64_t>(1, static_cast<std::uint64_t>(q * count_ + 0.999999));
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < kBuckets; ++i) {
      seen += counts_[i];
      if (seen >= rank) return std::clamp(middle_of(i), min(), max_);
    }
    return max_;
  }

 private:
  static constexpr unsigned kExactBits = 11;  // values below 2^11 have their own bucket
  static constexpr unsigned kSubBits = 10;    // 1,024 buckets per power of two above that
  static constexpr unsigned kMaxExponent = 30;
  static constexpr std::size_t kBuckets =
      (std::size_t{1} << kExactBits) + kMaxExponent * (std::size_t{1} << kSubBits);

  static std::size_t bucket_of(std::uint64_t ns) {
    if (ns < (std::uint64_t{1} << kExactBits)) return ns;
    const unsigned shift = std::min<unsigned>(std::bit_width(ns) - 1 - kSubBits, kMaxExponent);
    const std::uint64_t sub =
        std::min<std::uint64_t>(ns >> shift, (std::uint64_t{2} << kSubBits) - 1);
    return (std::size_t{1} << kExactBits) + (shift - 1) * (std::size_t{1} << kSubBits) +
           (sub - (std::uint64_t{1} << kSubBits));
  }

  static std::uint64_t middle_of(std::size_t bucket) {
    if (bucket < (std::size_t{1} << kExactBits)) return bucket;
    const std::size_t above = bucket - (std::size_t{1} << kExactBits);
    const unsigned shift = static_cast<unsigned>(above >> kSubBits) + 1;
    const std::uint64_t sub =
        (above & ((std::size_t{1} << kSubBits) - 1)) + (std::uint64_t{1} << kSubBits);
    return (sub << shift) + (std::uint64_t{1} << (shift - 1));
  }

  std::vector<std::uint64_t> counts_;
  std::uint64_t count_ = 0;
  std::uint64_t sum_ = 0;
  std::uint64_t min_ = std::numeric_limits<std::uint64_t>::max();
  std::uint64_t max_ = 0;
};

}  // namespace ccgate::bench
