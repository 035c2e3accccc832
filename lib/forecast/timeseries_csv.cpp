// The CSV time-series reader. Line-based: a quoted field may contain the delimiter and doubled quotes but not a
// line break. Everything is checked and reported with its position; nothing is assumed about the input, since
// the fuzz target (tests/fuzz) feeds it arbitrary bytes.
#include <sdekit/core/errors.hpp>
#include <sdekit/forecast/timeseries_csv.hpp>

#include <algorithm>
#include <charconv>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <sstream>
#include <string_view>
#include <system_error>
#include <unordered_map>

namespace sdekit {

CsvError::CsvError(std::string file, std::size_t line, std::size_t column, const std::string& message)
    : std::invalid_argument(file + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " + message),
      file_(std::move(file)),
      line_(line),
      column_(column) {}

const std::vector<double>& TimeSeries::column(std::string_view name) const {
  for (std::size_t c = 0; c < names.size(); ++c)
    if (names[c] == name) return values[c];
  throw std::invalid_argument("sdekit::TimeSeries::column: name = \"" + std::string(name) +
                              "\" is not a value column of " + source);
}

namespace {

struct Field {
  std::string text;
  bool quoted = false;
};

/// A field as it may appear in a message: at most 40 characters, non-printable bytes as \xNN.
std::string shown(std::string_view s) {
  std::string out = "\"";
  const std::size_t n = std::min<std::size_t>(s.size(), 40);
  for (std::size_t i = 0; i < n; ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
      out += static_cast<char>(c);
    } else {
      static const char* hex = "0123456789abcdef";
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  if (s.size() > n) out += "...";
  return out + "\"";
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

class Reader {
 public:
  Reader(std::string_view source, const CsvReadOptions& options) : source_(source), options_(options) {}

  [[noreturn]] void fail(std::size_t line, std::size_t column, const std::string& message) const {
    throw CsvError(source_, line, column, message);
  }

  /// Splits one line into fields; a quote opens a quoted field only at the start of a field (after blanks).
  std::vector<Field> split(std::string_view line, std::size_t line_number) const {
    std::vector<Field> fields;
    const char d = options_.delimiter;
    std::size_t i = 0;
    while (true) {
      Field f;
      std::size_t j = i;
      while (j < line.size() && (line[j] == ' ' || line[j] == '\t') && line[j] != d) ++j;
      if (j < line.size() && line[j] == '"') {
        f.quoted = true;
        ++j;
        bool closed = false;
        while (j < line.size()) {
          if (line[j] == '"') {
            if (j + 1 < line.size() && line[j + 1] == '"') {
              f.text += '"';
              j += 2;
              continue;
            }
            closed = true;
            ++j;
            break;
          }
          f.text += line[j++];
        }
        if (!closed) fail(line_number, fields.size() + 1, "unterminated quoted field");
        while (j < line.size() && (line[j] == ' ' || line[j] == '\t')) ++j;
        if (j < line.size() && line[j] != d)
          fail(line_number, fields.size() + 1, "unexpected text after a quoted field: " + shown(line.substr(j)));
      } else {
        j = i;
        while (j < line.size() && line[j] != d) ++j;
        f.text = std::string(trim(line.substr(i, j - i)));
      }
      fields.push_back(std::move(f));
      if (j >= line.size()) break;
      i = j + 1;  // skip the delimiter
    }
    return fields;
  }

  static bool parse_number(std::string_view s, double& out) {
    s = trim(s);
    if (!s.empty() && s.front() == '+') s.remove_prefix(1);
    if (s.empty()) return false;
    double v = 0.0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || end != s.data() + s.size() || !std::isfinite(v)) return false;
    out = v;
    return true;
  }

  bool parse_time(std::string_view s, double& out) const {
    switch (options_.time_format) {
      case TimeFormat::number:
        return parse_number(s, out);
      case TimeFormat::date:
        return parse_iso_date(trim(s), options_.date_unit, out);
      case TimeFormat::automatic:
      default:
        return parse_iso_date(trim(s), options_.date_unit, out) || parse_number(s, out);
    }
  }

  // The period of a composite time: 1 … periods_per_year, a month name (12 periods) or Q1 … Q4 (4 periods); 0 if
  // it is none of them.
  std::size_t parse_period(std::string_view s) const {
    s = trim(s);
    double v = 0.0;
    if (parse_number(s, v))
      return v == std::floor(v) && v >= 1 && v <= static_cast<double>(options_.periods_per_year)
                 ? static_cast<std::size_t>(v)
                 : 0;
    std::string lower;
    for (char c : s) lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    if (options_.periods_per_year == 12) {
      static const char* months[12] = {"january", "february", "march",     "april",   "may",      "june",
                                       "july",    "august",   "september", "october", "november", "december"};
      for (std::size_t m = 0; m < 12; ++m) {
        const std::string_view full = months[m];
        if (lower == full || (lower.size() == 3 && full.substr(0, 3) == lower)) return m + 1;
      }
    }
    if (options_.periods_per_year == 4 && lower.size() == 2 && lower[0] == 'q' && lower[1] >= '1' && lower[1] <= '4')
      return static_cast<std::size_t>(lower[1] - '0');
    return 0;
  }

  static bool is_missing(std::string_view s) {
    s = trim(s);
    return s.empty() || s == "NA" || s == "na" || s == "N/A";
  }

  TimeSeries parse(std::string_view text) {
    TimeSeries ts;
    ts.source = source_;
    if (text.size() >= 3 && text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);  // UTF-8 byte order mark

    std::size_t line_number = 0;
    std::size_t pos = 0;
    auto next_line = [&](std::string_view& line) {
      if (pos >= text.size()) return false;
      std::size_t end = text.find_first_of("\r\n", pos);
      if (end == std::string_view::npos) end = text.size();
      line = text.substr(pos, end - pos);
      pos = end;
      if (pos < text.size() && text[pos] == '\r') {
        ++pos;
        if (pos < text.size() && text[pos] == '\n') ++pos;
      } else if (pos < text.size() && text[pos] == '\n') {
        ++pos;
      }
      ++line_number;
      return true;
    };
    // Blank lines, and comment lines when a comment character is set, carry no data anywhere in the file.
    auto blank = [&](std::string_view line) {
      const std::string_view t = trim(line);
      return t.empty() || (options_.comment != '\0' && t.front() == options_.comment);
    };

    // The header: the first line that is not blank.
    std::string_view line;
    bool have_header = false;
    while (next_line(line))
      if (!blank(line)) {
        have_header = true;
        break;
      }
    if (!have_header) fail(std::max<std::size_t>(line_number, 1), 1, "missing header: the file is empty");
    const std::size_t header_line = line_number;
    const std::vector<Field> header = split(line, header_line);
    {
      bool all_numeric = true;
      for (const Field& f : header) {
        double v;
        if (f.quoted || !(parse_number(f.text, v) || parse_iso_date(f.text, DateUnit::days, v))) all_numeric = false;
      }
      if (all_numeric)
        fail(header_line, 1, "missing header: the first line " + shown(line) + " holds data, not column names");
    }
    // A hash map keeps the duplicate check linear: a header of millions of names must not take minutes.
    std::unordered_map<std::string_view, std::size_t> column_of;
    column_of.reserve(header.size());
    for (std::size_t c = 0; c < header.size(); ++c) {
      if (header[c].text.empty()) fail(header_line, c + 1, "empty column name in the header");
      const auto [it, inserted] = column_of.emplace(header[c].text, c);
      if (!inserted)
        fail(
            header_line, c + 1,
            "duplicate column name " + shown(header[c].text) + " (also column " + std::to_string(it->second + 1) + ")");
    }
    auto find = [&](const std::string& name) {
      const auto it = column_of.find(name);
      if (it == column_of.end()) fail(header_line, 0, "no column named " + shown(name) + " in the header");
      return it->second;
    };
    const bool composite = !options_.year_column.empty();
    if (composite && options_.period_column.empty())
      fail(header_line, 0, "year_column is set but period_column is empty: a composite time needs both");
    if (composite && options_.periods_per_year < 1) fail(header_line, 0, "periods_per_year must be at least 1");
    const std::size_t time_col =
        composite ? find(options_.year_column) : (options_.time_column.empty() ? 0 : find(options_.time_column));
    const std::size_t period_col = composite ? find(options_.period_column) : time_col;
    if (composite && period_col == time_col) fail(header_line, 0, "year_column and period_column must differ");
    auto is_time = [&](std::size_t c) { return c == time_col || c == period_col; };
    std::vector<std::size_t> value_cols;
    if (options_.value_columns.empty()) {
      for (std::size_t c = 0; c < header.size(); ++c)
        if (!is_time(c)) value_cols.push_back(c);
    } else {
      for (const std::string& name : options_.value_columns) value_cols.push_back(find(name));
    }
    if (value_cols.empty()) fail(header_line, 0, "no value column: the header has only the time column");
    for (std::size_t c : value_cols)
      if (is_time(c)) fail(header_line, c + 1, "the time column cannot also be a value column");
    ts.time_name = composite ? header[time_col].text + "+" + header[period_col].text : header[time_col].text;
    for (std::size_t c : value_cols) ts.names.push_back(header[c].text);
    ts.values.resize(value_cols.size());

    bool have_previous = false;
    double previous_time = 0.0;
    std::size_t previous_line = 0;
    std::vector<double> row(value_cols.size());
    while (next_line(line)) {
      if (blank(line)) continue;
      const std::vector<Field> fields = split(line, line_number);
      if (fields.size() != header.size())
        fail(line_number, std::min(fields.size(), header.size()) + 1,
             "expected " + std::to_string(header.size()) + " fields as in the header, found " +
                 std::to_string(fields.size()));
      double t = 0.0;
      const std::string& tt = fields[time_col].text;
      if (trim(tt).empty()) fail(line_number, time_col + 1, composite ? "empty year" : "empty time");
      if (composite) {
        double year = 0.0;
        if (!parse_number(tt, year) || year != std::floor(year))
          fail(line_number, time_col + 1, "year " + shown(tt) + " is not a whole number");
        const std::string& pt = fields[period_col].text;
        const std::size_t period = parse_period(pt);
        if (period == 0)
          fail(line_number, period_col + 1,
               "period " + shown(pt) + " is not 1 ... " + std::to_string(options_.periods_per_year) +
                   (options_.periods_per_year == 12  ? " or a month name"
                    : options_.periods_per_year == 4 ? " or Q1 ... Q4"
                                                     : ""));
        t = year + static_cast<double>(period - 1) / static_cast<double>(options_.periods_per_year);
      } else if (!parse_time(tt, t)) {
        const char* expected = options_.time_format == TimeFormat::number ? "a number"
                               : options_.time_format == TimeFormat::date ? "a date YYYY-MM-DD or YYYYMMDD"
                                                                          : "a number or a date YYYY-MM-DD / YYYYMMDD";
        fail(line_number, time_col + 1, "time " + shown(tt) + " is not " + expected);
      }
      if (have_previous && !(t > previous_time))
        fail(line_number, time_col + 1,
             "time " + shown(tt) + " is not after the time on line " + std::to_string(previous_line) +
                 ": times must increase strictly");
      have_previous = true;
      previous_time = t;
      previous_line = line_number;
      bool drop = false;
      for (std::size_t k = 0; k < value_cols.size(); ++k) {
        const std::size_t c = value_cols[k];
        const std::string& v = fields[c].text;
        if (is_missing(v)) {
          if (options_.missing == MissingValues::keep) {
            row[k] = std::numeric_limits<double>::quiet_NaN();
            continue;
          }
          if (options_.missing == MissingValues::refuse)
            fail(line_number, c + 1,
                 "empty value in column " + shown(header[c].text) + " (ask for MissingValues::drop to drop such rows)");
          ts.dropped.push_back({line_number, c + 1, header[c].text});
          drop = true;
          continue;
        }
        if (!parse_number(v, row[k]))
          fail(line_number, c + 1,
               "value " + shown(v) + " in column " + shown(header[c].text) + " is not a finite number");
      }
      if (drop) continue;
      ts.times.push_back(t);
      for (std::size_t k = 0; k < value_cols.size(); ++k) ts.values[k].push_back(row[k]);
    }
    if (ts.times.size() < options_.min_observations)
      fail(line_number, 0,
           "only " + std::to_string(ts.times.size()) + " observations, at least " +
               std::to_string(options_.min_observations) + " needed");
    return ts;
  }

 private:
  std::string source_;
  const CsvReadOptions& options_;
};

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
long long days_from_civil(long long y, unsigned m, unsigned d) {
  y -= m <= 2;
  const long long era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<long long>(doe) - 719468;
}

bool leap(long long y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

}  // namespace

TimeSeries stack_periods(const TimeSeries& wide, const std::string& name) {
  constexpr const char* where = "sdekit::stack_periods";
  detail::require(!wide.values.empty(), where, "wide.values.size()", wide.values.size(), "must be positive");
  for (std::size_t c = 0; c < wide.values.size(); ++c)
    detail::require(wide.values[c].size() == wide.times.size(), where, "wide.values[" + std::to_string(c) + "].size()",
                    wide.values[c].size(), "must equal wide.times.size() = " + std::to_string(wide.times.size()));
  for (std::size_t i = 1; i < wide.times.size(); ++i)
    detail::require(wide.times[i] >= wide.times[i - 1] + 1.0 - 1e-9, where, "wide.times[" + std::to_string(i) + "]",
                    wide.times[i], "must be at least one (year) after the previous row, or the periods would overlap");
  TimeSeries out;
  out.source = wide.source;
  out.time_name = wide.time_name;
  out.names = {name};
  out.values.resize(1);
  out.dropped = wide.dropped;
  const double periods = static_cast<double>(wide.values.size());
  for (std::size_t i = 0; i < wide.times.size(); ++i)
    for (std::size_t c = 0; c < wide.values.size(); ++c) {
      out.times.push_back(wide.times[i] + static_cast<double>(c) / periods);
      out.values[0].push_back(wide.values[c][i]);
    }
  return out;
}

bool parse_iso_date(std::string_view s, DateUnit unit, double& out) {
  auto digits = [&](std::size_t from, std::size_t count, unsigned& value) {
    value = 0;
    for (std::size_t i = from; i < from + count; ++i) {
      if (s[i] < '0' || s[i] > '9') return false;
      value = value * 10 + static_cast<unsigned>(s[i] - '0');
    }
    return true;
  };
  unsigned y = 0, m = 0, d = 0;
  if (s.size() == 10) {
    if (s[4] != '-' || s[7] != '-' || !digits(0, 4, y) || !digits(5, 2, m) || !digits(8, 2, d)) return false;
  } else if (s.size() == 8) {
    if (!digits(0, 4, y) || !digits(4, 2, m) || !digits(6, 2, d)) return false;
  } else {
    return false;
  }
  static const unsigned month_days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m < 1 || m > 12 || d < 1) return false;
  const unsigned last = month_days[m - 1] + (m == 2 && leap(y) ? 1 : 0);
  if (d > last) return false;
  const long long days = days_from_civil(y, m, d);
  if (unit == DateUnit::days) {
    out = static_cast<double>(days);
  } else {
    const long long start = days_from_civil(y, 1, 1);
    out = static_cast<double>(y) + static_cast<double>(days - start) / (leap(y) ? 366.0 : 365.0);
  }
  return true;
}

TimeSeries parse_time_series(std::string_view text, std::string_view source, const CsvReadOptions& options) {
  if (options.delimiter == '"' || options.delimiter == '\n' || options.delimiter == '\r')
    throw std::invalid_argument("sdekit::parse_time_series: delimiter = " + shown(std::string(1, options.delimiter)) +
                                " cannot be a quote or a line break");
  Reader reader(source, options);
  return reader.parse(text);
}

TimeSeries read_time_series(const std::string& path, const CsvReadOptions& options) {
  // A directory opens as a stream on Linux and fails only when read, with a message that omits the path.
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) throw CsvError(path, 0, 0, "is a directory, not a file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw CsvError(path, 0, 0, "cannot open the file for reading");
  std::string text;
  try {
    text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  } catch (const std::exception& e) {
    throw CsvError(path, 0, 0, std::string("error while reading the file: ") + e.what());
  }
  if (in.bad()) throw CsvError(path, 0, 0, "error while reading the file");
  return parse_time_series(text, path, options);
}

}  // namespace sdekit
