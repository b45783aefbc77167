#include "app/process_metrics.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace ccgate::app {
namespace {

std::string read_file(const char* path) {
  std::ifstream file(path);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

double resident_memory_bytes() {
  std::ifstream statm("/proc/self/statm");
  long pages_total = 0;
  long pages_resident = 0;
  statm >> pages_total >> pages_resident;
  return static_cast<double>(pages_resident) * static_cast<double>(sysconf(_SC_PAGESIZE));
}

double open_fds() {
  std::error_code ec;
  double count = 0;
  for (std::filesystem::directory_iterator it("/proc/self/fd", ec), end; !ec && it != end;
       it.increment(ec))
    ++count;
  return count > 0 ? count - 1 : 0;  // not the descriptor this listing holds open
}

// The fields of /proc/self/stat after the command name (which may hold spaces): field 3 first.
std::vector<std::string> stat_fields() {
  const std::string stat = read_file("/proc/self/stat");
  std::istringstream rest(stat.substr(std::min(stat.size(), stat.rfind(')') + 2)));
  std::vector<std::string> fields;
  for (std::string field; rest >> field;) fields.push_back(std::move(field));
  return fields;
}

double threads() {
  const auto fields = stat_fields();
  return fields.size() > 17 ? std::stod(fields[17]) : 0;  // field 20, num_threads
}

// Seconds since the epoch: boot time (/proc/stat btime) plus the start's ticks after boot.
double start_time_seconds() {
  const auto fields = stat_fields();
  if (fields.size() <= 19) return 0;
  const double ticks = std::stod(fields[19]);  // field 22, starttime
  std::istringstream stat(read_file("/proc/stat"));
  double boot = 0;
  for (std::string line; std::getline(stat, line);)
    if (line.starts_with("btime ")) boot = std::stod(line.substr(6));
  return boot + ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

std::string compiler() {
#if defined(__clang__)
  return fmt::format("clang-{}.{}.{}", __clang_major__, __clang_minor__, __clang_patchlevel__);
#elif defined(__GNUC__)
  return fmt::format("gcc-{}.{}.{}", __GNUC__, __GNUC_MINOR__, __GNUC_PATCHLEVEL__);
#else
  return "unknown";
#endif
}

}  // namespace

void add_process_metrics(metrics::Registry& registry,
                         std::chrono::steady_clock::time_point started) {
  registry.gauge_callback("ccgate_process_resident_memory_bytes", "Resident memory size.",
                          resident_memory_bytes);
  registry.gauge_callback("ccgate_process_open_fds", "Open file descriptors.", open_fds);
  registry.gauge_callback("ccgate_process_threads", "Threads of the process.", threads);
  registry.gauge_callback("ccgate_process_start_time_seconds",
                          "When the process started, in seconds since the Unix epoch.",
                          start_time_seconds);
  registry.gauge_callback(
      "ccgate_uptime_seconds", "Seconds since ccgate started serving.", [started] {
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
      });
  registry.gauge_callback({.name = "ccgate_build_info",
                           .help = "Always 1; the labels name the version and the compiler.",
                           .labels = {"version", "compiler"}},
                          [] {
                            return std::vector<metrics::GaugeCallback::Sample>{
                                {.values = {CCGATE_VERSION, compiler()}, .value = 1}};
                          });
}

}  // namespace ccgate::app
