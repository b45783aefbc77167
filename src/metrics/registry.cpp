#include "metrics/registry.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <mutex>
#include <stdexcept>
#include <type_traits>

namespace ccgate::metrics {
namespace {

void write_labels(std::string& out, const std::vector<std::string>& names,
                  const std::vector<std::string>& values, std::string_view le = {}) {
  if (names.empty() && le.empty()) return;
  out += '{';
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i != 0) out += ',';
    fmt::format_to(std::back_inserter(out), "{}=\"{}\"", names[i], escape_label_value(values[i]));
  }
  if (!le.empty())
    fmt::format_to(std::back_inserter(out), "{}le=\"{}\"", names.empty() ? "" : ",", le);
  out += '}';
}

void write_header(std::string& out, const FamilyInfo& info, std::string_view type) {
  fmt::format_to(std::back_inserter(out), "# HELP {} {}\n# TYPE {} {}\n", info.name,
                 escape_help(info.help), info.name, type);
}

template <class Metric>
constexpr std::string_view type_name() {
  if constexpr (std::is_same_v<Metric, Counter>) return "counter";
  if constexpr (std::is_same_v<Metric, Gauge>) return "gauge";
  return "histogram";
}

void write_sample(std::string& out, const FamilyInfo& info, const std::vector<std::string>& values,
                  const Counter& counter) {
  out += info.name;
  write_labels(out, info.labels, values);
  fmt::format_to(std::back_inserter(out), " {}\n", counter.value());
}

void write_sample(std::string& out, const FamilyInfo& info, const std::vector<std::string>& values,
                  const Gauge& gauge) {
  out += info.name;
  write_labels(out, info.labels, values);
  fmt::format_to(std::back_inserter(out), " {}\n", gauge.value());
}

void write_sample(std::string& out, const FamilyInfo& info, const std::vector<std::string>& values,
                  const Histogram& histogram) {
  const Histogram::Snapshot snapshot = histogram.snapshot();
  const auto bounds = histogram.bounds();
  for (std::size_t i = 0; i <= bounds.size(); ++i) {
    const std::string le = i < bounds.size() ? format_value(bounds[i]) : "+Inf";
    fmt::format_to(std::back_inserter(out), "{}_bucket", info.name);
    write_labels(out, info.labels, values, le);
    fmt::format_to(std::back_inserter(out), " {}\n", snapshot.cumulative[i]);
  }
  fmt::format_to(std::back_inserter(out), "{}_sum", info.name);
  write_labels(out, info.labels, values);
  fmt::format_to(std::back_inserter(out), " {}\n", format_value(snapshot.sum));
  fmt::format_to(std::back_inserter(out), "{}_count", info.name);
  write_labels(out, info.labels, values);
  fmt::format_to(std::back_inserter(out), " {}\n", snapshot.cumulative.back());
}

void check_info(const FamilyInfo& info) {
  if (!valid_metric_name(info.name))
    throw std::invalid_argument(fmt::format("invalid metric name '{}'", info.name));
  if (info.labels.size() > kMaxLabels)
    throw std::invalid_argument(fmt::format("{} has more than {} labels", info.name, kMaxLabels));
  for (const auto& label : info.labels)
    if (!valid_label_name(label) || label == "le" || label == "quantile")
      throw std::invalid_argument(fmt::format("invalid label name '{}' of {}", label, info.name));
}

}  // namespace

Histogram::Histogram(std::span<const double> bounds)
    : bounds_(bounds),
      buckets_(std::make_unique<std::atomic<std::uint64_t>[]>(bounds.size() + 1)) {}

void Histogram::observe(double value) {
  const auto bucket = std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin();
  buckets_[static_cast<std::size_t>(bucket)].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(value, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::snapshot() const {
  Snapshot snapshot;
  snapshot.cumulative.reserve(bounds_.size() + 1);
  std::uint64_t total = 0;
  for (std::size_t i = 0; i <= bounds_.size(); ++i) {
    total += buckets_[i].load(std::memory_order_relaxed);
    snapshot.cumulative.push_back(total);
  }
  snapshot.sum = sum_.load(std::memory_order_relaxed);
  return snapshot;
}

template <class Metric>
Family<Metric>::Family(FamilyInfo info, std::size_t max_children, std::vector<double> bounds)
    : info_(std::move(info)), max_children_(max_children), bounds_(std::move(bounds)) {
  check_info(info_);
  if (info_.labels.empty()) only();  // a family without labels always shows its one sample
}

template <class Metric>
Metric& Family<Metric>::with(std::span<const std::string_view> values) {
  if (values.size() != info_.labels.size())
    throw std::invalid_argument(fmt::format("{} takes {} label values, not {}", info_.name,
                                            info_.labels.size(), values.size()));
  std::array<std::string_view, kMaxLabels> bounded;
  std::transform(values.begin(), values.end(), bounded.begin(), bounded_label_value);
  const std::span<const std::string_view> key(bounded.data(), values.size());
  {
    const std::lock_guard lock(mutex_);
    if (auto found = children_.find(key); found != children_.end()) return *found->second;
  }
  return make(key);
}

template <class Metric>
Metric& Family<Metric>::make(std::span<const std::string_view> values) {
  const std::array<std::string_view, kMaxLabels> overflow = [] {
    std::array<std::string_view, kMaxLabels> all;
    all.fill(kOverflowValue);
    return all;
  }();
  const std::lock_guard lock(mutex_);
  if (children_.size() >= max_children_ && children_.find(values) == children_.end())
    values = std::span<const std::string_view>(overflow.data(), values.size());
  auto found = children_.find(values);
  if (found == children_.end()) {
    std::unique_ptr<Metric> metric;
    if constexpr (std::is_same_v<Metric, Histogram>)
      metric = std::make_unique<Histogram>(std::span<const double>(bounds_));
    else
      metric = std::make_unique<Metric>();
    found =
        children_.emplace(std::vector<std::string>(values.begin(), values.end()), std::move(metric))
            .first;
  }
  return *found->second;
}

template <class Metric>
std::size_t Family<Metric>::size() const {
  const std::lock_guard lock(mutex_);
  return children_.size();
}

template <class Metric>
void Family<Metric>::write(std::string& out) const {
  const std::lock_guard lock(mutex_);
  if (children_.empty()) return;
  write_header(out, info_, type_name<Metric>());
  // In order of their label values: a scrape reads the same way each time.
  std::vector<const typename decltype(children_)::value_type*> sorted;
  sorted.reserve(children_.size());
  for (const auto& child : children_) sorted.push_back(&child);
  std::sort(sorted.begin(), sorted.end(),
            [](const auto* a, const auto* b) { return a->first < b->first; });
  for (const auto* child : sorted) write_sample(out, info_, child->first, *child->second);
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

GaugeCallback::GaugeCallback(FamilyInfo info, Read read, std::string_view type)
    : info_(std::move(info)), read_(std::move(read)), type_(type) {
  check_info(info_);
}

void GaugeCallback::write(std::string& out) const {
  const std::vector<Sample> samples = read_();
  if (samples.empty()) return;
  write_header(out, info_, type_);
  for (const Sample& sample : samples) {
    std::vector<std::string> values;
    for (const std::string& value : sample.values) values.emplace_back(bounded_label_value(value));
    values.resize(info_.labels.size());
    out += info_.name;
    write_labels(out, info_.labels, values);
    fmt::format_to(std::back_inserter(out), " {}\n", format_value(sample.value));
  }
}

template <class F, class... Args>
F& Registry::add(FamilyInfo info, Args&&... args) {
  if (std::find(names_.begin(), names_.end(), info.name) != names_.end())
    throw std::invalid_argument(fmt::format("metric {} is registered twice", info.name));
  names_.push_back(info.name);
  auto family = std::make_unique<F>(std::move(info), std::forward<Args>(args)...);
  F& added = *family;
  collectors_.push_back(std::move(family));
  return added;
}

Family<Counter>& Registry::counter(FamilyInfo info) {
  return add<Family<Counter>>(std::move(info), max_children_);
}

Family<Gauge>& Registry::gauge(FamilyInfo info) {
  return add<Family<Gauge>>(std::move(info), max_children_);
}

Family<Histogram>& Registry::histogram(FamilyInfo info, std::span<const double> bounds) {
  if (bounds.empty() || !std::is_sorted(bounds.begin(), bounds.end()) ||
      std::adjacent_find(bounds.begin(), bounds.end()) != bounds.end())
    throw std::invalid_argument(fmt::format("{}: buckets must be ascending", info.name));
  return add<Family<Histogram>>(std::move(info), max_children_,
                                std::vector<double>(bounds.begin(), bounds.end()));
}

void Registry::gauge_callback(FamilyInfo info, GaugeCallback::Read read) {
  add<GaugeCallback>(std::move(info), std::move(read));
}

void Registry::gauge_callback(std::string name, std::string help, std::function<double()> read) {
  gauge_callback({.name = std::move(name), .help = std::move(help), .labels = {}},
                 [read = std::move(read)] {
                   return std::vector<GaugeCallback::Sample>{{.values = {}, .value = read()}};
                 });
}

void Registry::counter_callback(std::string name, std::string help, std::function<double()> read) {
  add<GaugeCallback>(
      {.name = std::move(name), .help = std::move(help), .labels = {}},
      [read = std::move(read)] {
        return std::vector<GaugeCallback::Sample>{{.values = {}, .value = read()}};
      },
      "counter");
}

std::string Registry::expose() const {
  std::string out;
  for (const auto& collector : collectors_) collector->write(out);
  return out;
}

std::string escape_help(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

std::string escape_label_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (const char c : value) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

std::string format_value(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  return fmt::format("{}", value);
}

std::string_view bounded_label_value(std::string_view value) {
  if (value.size() <= kMaxLabelValueSize) return value;
  std::size_t size = kMaxLabelValueSize;
  // Back off continuation bytes (10xxxxxx) so a multi-byte character is not cut in two.
  while (size > 0 && (static_cast<unsigned char>(value[size]) & 0xc0) == 0x80) --size;
  return value.substr(0, size);
}

namespace {
bool name_char(char c, bool first, bool colon) {
  const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
  return letter || (colon && c == ':') || (!first && c >= '0' && c <= '9');
}
bool valid_name(std::string_view name, bool colon) {
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size(); ++i)
    if (!name_char(name[i], i == 0, colon)) return false;
  return true;
}
}  // namespace

bool valid_metric_name(std::string_view name) {
  return valid_name(name, true);
}
bool valid_label_name(std::string_view name) {
  return valid_name(name, false) && !name.starts_with("__");
}

}  // namespace ccgate::metrics
