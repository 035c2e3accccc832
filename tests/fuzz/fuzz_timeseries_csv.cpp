// libFuzzer target: the CSV reader must either return a well-formed series or throw a CsvError that names the
// file, whatever the bytes. The first byte chooses the reader options so that every mode gets fuzzed.
#include <sdekit/forecast/timeseries_csv.hpp>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace sdekit;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  CsvReadOptions options;
  if (!text.empty()) {
    const unsigned flags = static_cast<unsigned char>(text.front());
    text.remove_prefix(1);
    options.missing = (flags & 1) ? MissingValues::drop : MissingValues::refuse;
    options.time_format = static_cast<TimeFormat>((flags >> 1) % 3);
    options.date_unit = (flags & 8) ? DateUnit::days : DateUnit::decimal_years;
    options.delimiter = (flags & 16) ? ';' : ',';
    if (flags & 32) options.value_columns = {"x"};
    if (flags & 64) options.time_column = "t";
  }
  try {
    const TimeSeries ts = parse_time_series(text, "fuzz.csv", options);
    // What a caller relies on: at least 3 rows, strictly increasing finite times, one finite value per column.
    if (ts.size() < options.min_observations || ts.values.size() != ts.names.size() || ts.names.empty()) std::abort();
    for (std::size_t i = 0; i < ts.size(); ++i) {
      if (!std::isfinite(ts.times[i]) || (i > 0 && !(ts.times[i] > ts.times[i - 1]))) std::abort();
      for (const auto& column : ts.values)
        if (column.size() != ts.size() || !std::isfinite(column[i])) std::abort();
    }
  } catch (const CsvError& e) {
    if (std::string_view(e.what()).substr(0, 9) != "fuzz.csv:") std::abort();
  }
  return 0;
}
