#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "metrics/registry.hpp"

namespace ccgate::metrics {
namespace {

TEST(MetricsRegistry, CounterWithoutLabelsIsWrittenExactly) {
  Registry registry;
  auto& served = registry.counter({.name = "ccgate_served_total", .help = "Requests served."});
  served.only().inc();
  served.only().inc(2);
  EXPECT_EQ(registry.expose(),
            "# HELP ccgate_served_total Requests served.\n"
            "# TYPE ccgate_served_total counter\n"
            "ccgate_served_total 3\n");
}

TEST(MetricsRegistry, LabelledGaugeChildrenAreTogetherAndOrdered) {
  Registry registry;
  auto& open = registry.gauge(
      {.name = "ccgate_open_streams", .help = "Streams open now.", .labels = {"door"}});
  open.with({"proxy"}).inc();
  open.with({"gateway"}).set(4);
  open.with({"proxy"}).inc();
  open.with({"gateway"}).dec();
  EXPECT_EQ(registry.expose(),
            "# HELP ccgate_open_streams Streams open now.\n"
            "# TYPE ccgate_open_streams gauge\n"
            "ccgate_open_streams{door=\"gateway\"} 3\n"
            "ccgate_open_streams{door=\"proxy\"} 2\n");
}

TEST(MetricsRegistry, HistogramBucketsAreCumulativeWithInfSumAndCount) {
  Registry registry;
  static constexpr double kBounds[] = {0.1, 1, 2.5};
  auto& latency = registry.histogram(
      {.name = "ccgate_wait_seconds", .help = "Waits.", .labels = {"door"}}, kBounds);
  auto& proxy = latency.with({"proxy"});
  proxy.observe(0.05);
  proxy.observe(0.1);  // le is inclusive
  proxy.observe(2);
  proxy.observe(100);
  EXPECT_EQ(registry.expose(),
            "# HELP ccgate_wait_seconds Waits.\n"
            "# TYPE ccgate_wait_seconds histogram\n"
            "ccgate_wait_seconds_bucket{door=\"proxy\",le=\"0.1\"} 2\n"
            "ccgate_wait_seconds_bucket{door=\"proxy\",le=\"1\"} 2\n"
            "ccgate_wait_seconds_bucket{door=\"proxy\",le=\"2.5\"} 3\n"
            "ccgate_wait_seconds_bucket{door=\"proxy\",le=\"+Inf\"} 4\n"
            "ccgate_wait_seconds_sum{door=\"proxy\"} 102.15\n"
            "ccgate_wait_seconds_count{door=\"proxy\"} 4\n");
}

TEST(MetricsRegistry, HistogramWithoutLabelsHasOnlyLe) {
  Registry registry;
  static constexpr double kBounds[] = {1};
  registry.histogram({.name = "ccgate_x_seconds", .help = "X."}, kBounds).only().observe(0.5);
  EXPECT_NE(registry.expose().find("ccgate_x_seconds_bucket{le=\"1\"} 1\n"), std::string::npos);
  EXPECT_NE(registry.expose().find("ccgate_x_seconds_sum 0.5\n"), std::string::npos);
}

TEST(MetricsRegistry, AHistogramTakesADurationInSeconds) {
  Registry registry;
  static constexpr double kBounds[] = {1, 2};
  registry.histogram({.name = "ccgate_y_seconds", .help = "Y."}, kBounds)
      .only()
      .observe(std::chrono::milliseconds(1500));
  EXPECT_NE(registry.expose().find("ccgate_y_seconds_bucket{le=\"1\"} 0\n"), std::string::npos);
  EXPECT_NE(registry.expose().find("ccgate_y_seconds_bucket{le=\"2\"} 1\n"), std::string::npos);
  EXPECT_NE(registry.expose().find("ccgate_y_seconds_sum 1.5\n"), std::string::npos);
}

TEST(MetricsRegistry, HelpAndLabelValuesAreEscaped) {
  Registry registry;
  auto& family = registry.counter(
      {.name = "ccgate_odd_total", .help = "A \\ back\nslash.", .labels = {"model"}});
  family.with({"a\"b\\c\nd"}).inc();
  EXPECT_EQ(registry.expose(),
            "# HELP ccgate_odd_total A \\\\ back\\nslash.\n"
            "# TYPE ccgate_odd_total counter\n"
            "ccgate_odd_total{model=\"a\\\"b\\\\c\\nd\"} 1\n");
}

TEST(MetricsRegistry, ChildrenPastTheBoundLandInOther) {
  Registry registry(3);
  auto& family =
      registry.counter({.name = "ccgate_m_total", .help = "M.", .labels = {"model", "kind"}});
  for (int i = 0; i < 10; ++i) family.with({std::to_string(i), "in"}).inc();
  family.with({"0", "in"}).inc();  // an existing child is still found
  EXPECT_EQ(family.size(), 4u);    // the bound, then the one overflow child
  const std::string text = registry.expose();
  EXPECT_NE(text.find("ccgate_m_total{model=\"0\",kind=\"in\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("ccgate_m_total{model=\"other\",kind=\"other\"} 7\n"), std::string::npos);
}

TEST(MetricsRegistry, LongLabelValuesAreCutOnACharacterBoundary) {
  const std::string long_value = std::string(127, 'a') + "\xc3\xa9" + std::string(50, 'b');
  EXPECT_EQ(bounded_label_value(long_value), std::string(127, 'a'));
  Registry registry;
  auto& family = registry.counter({.name = "ccgate_l_total", .help = "L.", .labels = {"model"}});
  family.with({long_value}).inc();
  family.with({long_value + "different tail"}).inc();  // the same stored value
  EXPECT_EQ(family.size(), 1u);
}

TEST(MetricsRegistry, ReferencesStayValidAndCountsAreExactAcrossThreads) {
  Registry registry;
  auto& family = registry.counter({.name = "ccgate_t_total", .help = "T.", .labels = {"n"}});
  Counter& kept = family.with({"kept"});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10'000; ++i) {
        kept.inc();
        family.with({std::to_string((t * 10'000 + i) % 50)}).inc();
      }
    });
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(kept.value(), 40'000u);
  EXPECT_EQ(family.size(), 51u);
}

TEST(MetricsRegistry, CallbackGaugesAreReadAtScrapeTime) {
  Registry registry;
  double rss = 1024;
  registry.gauge_callback("ccgate_rss_bytes", "RSS.", [&] { return rss; });
  registry.gauge_callback({.name = "ccgate_cooling", .help = "Cooling.", .labels = {"provider"}},
                          [] {
                            return std::vector<GaugeCallback::Sample>{
                                {.values = {"a"}, .value = 2}, {.values = {"b"}, .value = 0}};
                          });
  rss = 4096;
  EXPECT_EQ(registry.expose(),
            "# HELP ccgate_rss_bytes RSS.\n"
            "# TYPE ccgate_rss_bytes gauge\n"
            "ccgate_rss_bytes 4096\n"
            "# HELP ccgate_cooling Cooling.\n"
            "# TYPE ccgate_cooling gauge\n"
            "ccgate_cooling{provider=\"a\"} 2\n"
            "ccgate_cooling{provider=\"b\"} 0\n");
}

TEST(MetricsRegistry, CounterCallbacksAreTypedCounter) {
  Registry registry;
  registry.counter_callback("ccgate_kept_total", "Kept elsewhere.", [] { return 7.0; });
  EXPECT_EQ(registry.expose(),
            "# HELP ccgate_kept_total Kept elsewhere.\n"
            "# TYPE ccgate_kept_total counter\n"
            "ccgate_kept_total 7\n");
}

TEST(MetricsRegistry, LabelledFamilyWithoutChildrenWritesNothing) {
  Registry registry;
  registry.counter({.name = "ccgate_none_total", .help = "None.", .labels = {"x"}});
  EXPECT_EQ(registry.expose(), "");
}

TEST(MetricsRegistry, BadNamesDuplicatesAndLabelCountsAreRefused) {
  Registry registry;
  EXPECT_THROW(registry.counter({.name = "1bad", .help = "B."}), std::invalid_argument);
  EXPECT_THROW(registry.counter({.name = "ok_total", .help = "B.", .labels = {"le"}}),
               std::invalid_argument);
  registry.counter({.name = "ccgate_a_total", .help = "A."});
  EXPECT_THROW(registry.counter({.name = "ccgate_a_total", .help = "A."}), std::invalid_argument);
  auto& family = registry.counter({.name = "ccgate_b_total", .help = "B.", .labels = {"x"}});
  EXPECT_THROW(family.with({"1", "2"}), std::invalid_argument);
}

TEST(MetricsRegistry, ValuesAreFormattedAsPrometheusReadsThem) {
  EXPECT_EQ(format_value(3), "3");
  EXPECT_EQ(format_value(0.25), "0.25");
  EXPECT_EQ(format_value(1.0 / 0.0), "+Inf");
  EXPECT_EQ(format_value(-1.0 / 0.0), "-Inf");
  EXPECT_EQ(format_value(0.0 / 0.0), "NaN");
}

}  // namespace
}  // namespace ccgate::metrics
