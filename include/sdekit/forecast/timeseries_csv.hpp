#pragma once
// Reading measured time series from CSV files: a header row, a time column (numbers or ISO dates) and one or
// more value columns. Every problem in the input is reported as a CsvError naming the file, line and column,
// because a forecast is only as trustworthy as the data it was fitted to.
#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace sdekit {

/// How the time column is read.
enum class TimeFormat {
  automatic,  ///< ISO dates (YYYY-MM-DD, or 8 digits YYYYMMDD with a valid month and day) as dates, else numbers
  number,     ///< plain numbers only
  date,       ///< ISO dates only
};

/// The unit dates are converted to.
enum class DateUnit {
  decimal_years,  ///< year + (day of year − 1) / (days in that year): 1970-07-02 → 1970.4986…
  days,           ///< days since 1970-01-01 (proleptic Gregorian calendar)
};

/// What to do with an empty value (an empty field or NA) in a value column.
enum class MissingValues {
  refuse,  ///< throw a CsvError naming the first one
  drop,    ///< drop the whole row and list it in TimeSeries::dropped
  keep,    ///< keep the row with NaN there: a gap the state-space filters bridge (not listed in dropped)
};

/// Options of read_time_series.
struct CsvReadOptions {
  std::string time_column;                         ///< header of the time column; empty: the first column
  std::vector<std::string> value_columns;          ///< headers of the value columns; empty: every other column
  TimeFormat time_format = TimeFormat::automatic;  ///< how times are written
  DateUnit date_unit = DateUnit::decimal_years;    ///< what dates become
  MissingValues missing = MissingValues::refuse;   ///< empty values: refuse or drop the row
  char delimiter = ',';                            ///< field separator
  std::size_t min_observations = 3;                ///< fewer rows than this (after dropping) is an error
  /// Lines whose first non-blank character is this are comments, skipped anywhere (before the header too);
  /// '\0': no comment lines.
  char comment = '#';
  /// A time built from two columns: when set, the header of the year column (time_column is then ignored), the
  /// time being year + (period − 1)/periods_per_year — 1987 and month 3 give 1987 + 2/12.
  std::string year_column;
  /// With year_column: the header of the period-of-year column, holding 1 … periods_per_year, or month names
  /// (Jan … Dec, January … December, any case) when periods_per_year is 12, or Q1 … Q4 when it is 4.
  std::string period_column;
  std::size_t periods_per_year = 12;  ///< with year_column: 12 (months), 4 (quarters), or any count ≥ 1
};

/// An empty value found (and its row dropped) while reading.
struct MissingValue {
  std::size_t line = 0;    ///< 1-based line of the file
  std::size_t column = 0;  ///< 1-based field index
  std::string name;        ///< header of that column
};

/// A time series read from a file: strictly increasing times and one vector of values per value column.
struct TimeSeries {
  std::string source;                       ///< the file (or the name given to parse_time_series)
  std::string time_name;                    ///< header of the time column
  std::vector<std::string> names;           ///< headers of the value columns
  std::vector<double> times;                ///< strictly increasing times
  std::vector<std::vector<double>> values;  ///< values[c][i]: column c at times[i]
  std::vector<MissingValue> dropped;        ///< empty values whose rows were dropped (MissingValues::drop)

  std::size_t size() const { return times.size(); }  ///< number of observations
  /// The values of the column named `name`; throws std::invalid_argument naming it if there is none.
  const std::vector<double>& column(std::string_view name) const;
};

/// An error in a CSV file: what went wrong, and where ("file:line:column: message"; line 0 for the file itself).
class CsvError : public std::invalid_argument {
 public:
  /// An error at 1-based `line` and field `column` of `file`.
  CsvError(std::string file, std::size_t line, std::size_t column, const std::string& message);
  const std::string& file() const { return file_; }  ///< the file
  std::size_t line() const { return line_; }         ///< 1-based line (0: the file as a whole)
  std::size_t column() const { return column_; }     ///< 1-based field index (0: the line as a whole)

 private:
  std::string file_;
  std::size_t line_;
  std::size_t column_;
};

/// Reads a time series from the CSV file at `path`; throws CsvError on any problem with the file.
TimeSeries read_time_series(const std::string& path, const CsvReadOptions& options = {});

/// Parses CSV text as read_time_series does; `source` names it in errors. Never crashes, whatever the text.
TimeSeries parse_time_series(std::string_view text, std::string_view source, const CsvReadOptions& options = {});

/// A "wide" table, one row per year and one value column per period (JAN … DEC, Q1 … Q4), as one series:
/// values[c][i] becomes the value at times[i] + c / (number of columns), in column order, NaN kept; `name` names the
/// result's only column. Read the table first with read_time_series (time = the year column).
TimeSeries stack_periods(const TimeSeries& wide, const std::string& name = "value");

/// Parses an ISO date (YYYY-MM-DD or YYYYMMDD) into `unit`; false (and `out` untouched) if it is not one.
bool parse_iso_date(std::string_view text, DateUnit unit, double& out);

}  // namespace sdekit
