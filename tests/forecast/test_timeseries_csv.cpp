// The CSV time-series reader: the real Nile file, dates, empty values, and every error with its position.
#include <sdekit/forecast/timeseries_csv.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <string>

using namespace sdekit;

namespace {
// Parses `text` expecting a CsvError at (line, column) whose message contains `what`.
void expect_error(const std::string& text, std::size_t line, std::size_t column, const std::string& what,
                  const CsvReadOptions& options = {}) {
  CAPTURE(text);
  bool thrown = false;
  try {
    parse_time_series(text, "mem.csv", options);
  } catch (const CsvError& e) {
    thrown = true;
    const std::string message = e.what();
    CAPTURE(message);
    CHECK(e.file() == "mem.csv");
    CHECK(e.line() == line);
    CHECK(e.column() == column);
    CHECK(message.find("mem.csv:" + std::to_string(line) + ":" + std::to_string(column) + ":") == 0);
    CHECK(message.find(what) != std::string::npos);
  }
  CHECK(thrown);
}
}  // namespace

TEST_CASE("the Nile file reads as 100 years of flow") {
  const TimeSeries ts = read_time_series(std::string(SDEKIT_TEST_DATA_DIR) + "/nile/nile.csv");
  REQUIRE(ts.size() == 100);
  CHECK(ts.time_name == "year");
  REQUIRE(ts.names.size() == 1);
  CHECK(ts.names[0] == "volume");
  // First and last rows of the published series (Durbin & Koopman): 1871 1120, 1970 740.
  CHECK(ts.times.front() == 1871.0);
  CHECK(ts.values[0].front() == 1120.0);
  CHECK(ts.times.back() == 1970.0);
  CHECK(ts.column("volume").back() == 740.0);
  CHECK_THROWS_AS(ts.column("flow"), std::invalid_argument);
}

TEST_CASE("real files: CO2 with YYYYMMDD dates and 59 empty values, sunspots with quoted headers") {
  const std::string co2 = std::string(SDEKIT_TEST_DATA_DIR) + "/co2/co2.csv";
  try {
    read_time_series(co2);
    FAIL("no exception");
  } catch (const CsvError& e) {
    CHECK(e.line() == 8);  // 19580510 is the first week without a value
    CHECK(e.column() == 2);
    CHECK(std::string(e.what()).find(co2 + ":8:2: empty value in column \"co2\"") == 0);
  }
  CsvReadOptions drop;
  drop.missing = MissingValues::drop;
  const TimeSeries ts = read_time_series(co2, drop);
  CHECK(ts.size() == 2284 - 59);
  CHECK(ts.dropped.size() == 59);
  CHECK(ts.dropped.front().line == 8);
  CHECK(ts.times.front() == doctest::Approx(1958.0 + 87.0 / 365.0));  // 1958-03-29
  CHECK(ts.times.back() == doctest::Approx(2001.0 + 362.0 / 365.0));  // 2001-12-29
  CHECK(ts.values[0].front() == 316.1);
  CHECK(ts.values[0].back() == 371.5);

  const TimeSeries sun = read_time_series(std::string(SDEKIT_TEST_DATA_DIR) + "/sunspots/sunspots.csv");
  CHECK(sun.time_name == "YEAR");
  CHECK(sun.names == std::vector<std::string>{"SUNACTIVITY"});
  CHECK(sun.size() == 309);
  CHECK(sun.times.back() == 2008.0);
}

TEST_CASE("dates: YYYY-MM-DD and YYYYMMDD as decimal years or days") {
  double t = 0;
  CHECK(parse_iso_date("1970-01-01", DateUnit::days, t));
  CHECK(t == 0.0);
  CHECK(parse_iso_date("20000301", DateUnit::days, t));
  CHECK(t == 11017.0);  // 2000-03-01 is day 11017 of the Unix epoch (2000-01-01 is 10957, + 31 + 29)
  CHECK(parse_iso_date("2000-12-31", DateUnit::decimal_years, t));
  CHECK(t == doctest::Approx(2000.0 + 365.0 / 366.0).epsilon(1e-15));  // leap year: 366 days
  CHECK(parse_iso_date("1958-03-29", DateUnit::decimal_years, t));
  CHECK(t == doctest::Approx(1958.0 + 87.0 / 365.0).epsilon(1e-15));
  CHECK_FALSE(parse_iso_date("1900-02-29", DateUnit::days, t));  // 1900 is not a leap year
  CHECK_FALSE(parse_iso_date("2001-13-01", DateUnit::days, t));
  CHECK_FALSE(parse_iso_date("20010230", DateUnit::days, t));
  CHECK_FALSE(parse_iso_date("2001-1-01", DateUnit::days, t));

  const TimeSeries ts = parse_time_series("date,co2\n19580329,316.1\n19580405,317.3\n1958-04-12,317.6\n", "co2");
  REQUIRE(ts.size() == 3);
  CHECK(ts.times[1] - ts.times[0] == doctest::Approx(7.0 / 365.0));
  CsvReadOptions days;
  days.date_unit = DateUnit::days;
  const TimeSeries d = parse_time_series("date,co2\n19580329,316.1\n19580405,317.3\n1958-04-12,317.6\n", "co2", days);
  CHECK(d.times[2] - d.times[0] == 14.0);
}

TEST_CASE("quoted headers, CRLF, column choice and several value columns") {
  const std::string text =
      "\xEF\xBB\xBF\"YEAR\",\"SUNACTIVITY\",\"other, quoted\"\r\n1700,5.0,1\r\n1701,11.0,2\r\n\r\n"
      "1702, 16.0 ,\"3\"\r\n";
  const TimeSeries ts = parse_time_series(text, "sun");
  CHECK(ts.time_name == "YEAR");
  REQUIRE(ts.names.size() == 2);
  CHECK(ts.names[0] == "SUNACTIVITY");
  CHECK(ts.names[1] == "other, quoted");
  CHECK(ts.values[0] == std::vector<double>{5, 11, 16});
  CHECK(ts.values[1] == std::vector<double>{1, 2, 3});
  CsvReadOptions pick;
  pick.time_column = "YEAR";
  pick.value_columns = {"other, quoted"};
  const TimeSeries one = parse_time_series(text, "sun", pick);
  REQUIRE(one.names.size() == 1);
  CHECK(one.values[0] == std::vector<double>{1, 2, 3});
}

TEST_CASE("empty values are refused or dropped as asked") {
  const std::string text = "t,x\n1,1.5\n2,\n3,NA\n4,2.5\n5,3\n";
  expect_error(text, 3, 2, "empty value in column \"x\"");
  CsvReadOptions drop;
  drop.missing = MissingValues::drop;
  const TimeSeries ts = parse_time_series(text, "mem.csv", drop);
  CHECK(ts.times == std::vector<double>{1, 4, 5});
  REQUIRE(ts.dropped.size() == 2);
  CHECK(ts.dropped[0].line == 3);
  CHECK(ts.dropped[1].line == 4);
  CHECK(ts.dropped[1].column == 2);
  CHECK(ts.dropped[1].name == "x");
}

TEST_CASE("every error names the file, the line and the column") {
  SUBCASE("unreadable file") {
    try {
      read_time_series("/nonexistent/dir/flow.csv");
      FAIL("no exception");
    } catch (const CsvError& e) {
      CHECK(std::string(e.what()).find("/nonexistent/dir/flow.csv:0:0: cannot open") == 0);
      CHECK(e.line() == 0);
    }
  }
  SUBCASE("empty file") { expect_error("", 1, 1, "missing header"); }
  SUBCASE("blank file") { expect_error("\n  \n", 2, 1, "missing header"); }
  SUBCASE("missing header") { expect_error("1871,1120\n1872,1160\n1873,963\n", 1, 1, "missing header"); }
  SUBCASE("empty column name") { expect_error("year,,x\n1,2,3\n", 1, 2, "empty column name"); }
  SUBCASE("duplicate column name") { expect_error("t,x,x\n1,2,3\n", 1, 3, "duplicate column name \"x\""); }
  SUBCASE("unknown time column") {
    CsvReadOptions o;
    o.time_column = "date";
    expect_error("t,x\n1,2\n", 1, 0, "no column named \"date\"", o);
  }
  SUBCASE("only a time column") { expect_error("t\n1\n2\n3\n", 1, 0, "no value column"); }
  SUBCASE("non-numeric value") { expect_error("t,x\n1,2\n2,abc\n3,4\n", 3, 2, "value \"abc\" in column \"x\" is not"); }
  SUBCASE("trailing garbage in a number") { expect_error("t,x\n1,2\n2,3.5kg\n3,4\n", 3, 2, "\"3.5kg\""); }
  SUBCASE("non-finite value") { expect_error("t,x\n1,2\n2,inf\n3,4\n", 3, 2, "not a finite number"); }
  SUBCASE("non-numeric time") { expect_error("t,x\n1,2\nsoon,3\n3,4\n", 3, 1, "time \"soon\" is not"); }
  SUBCASE("date where numbers are required") {
    CsvReadOptions o;
    o.time_format = TimeFormat::number;
    expect_error("t,x\n1958-03-29,2\n", 2, 1, "is not a number", o);
  }
  SUBCASE("empty time") { expect_error("t,x\n1,2\n,3\n", 3, 1, "empty time"); }
  SUBCASE("times not increasing") { expect_error("t,x\n1,2\n3,3\n3,4\n", 4, 1, "not after the time on line 3"); }
  SUBCASE("times decreasing") { expect_error("t,x\n1,2\n3,3\n2,4\n", 4, 1, "times must increase"); }
  SUBCASE("wrong number of fields") { expect_error("t,x\n1,2\n2,3,4\n", 3, 3, "expected 2 fields"); }
  SUBCASE("too few fields") { expect_error("t,x,y\n1,2,3\n2\n", 3, 2, "expected 3 fields"); }
  SUBCASE("unterminated quote") { expect_error("t,x\n1,\"2\n", 2, 2, "unterminated quoted field"); }
  SUBCASE("text after a quote") { expect_error("t,x\n1,\"2\"x\n", 2, 2, "unexpected text after a quoted field"); }
  SUBCASE("fewer than 3 observations") { expect_error("t,x\n1,2\n2,3\n", 3, 0, "only 2 observations"); }
  SUBCASE("fewer than 3 after dropping") {
    CsvReadOptions o;
    o.missing = MissingValues::drop;
    expect_error("t,x\n1,2\n2,\n3,4\n", 4, 0, "only 2 observations", o);
  }
  SUBCASE("binary junk is shown escaped") { expect_error(std::string("t,x\n1,\x01\xff\n", 9), 2, 2, "\\x01\\xff"); }
}

TEST_CASE("a bad delimiter is an invalid argument naming it") {
  CsvReadOptions o;
  o.delimiter = '"';
  try {
    parse_time_series("t,x\n", "mem", o);
    FAIL("no exception");
  } catch (const std::invalid_argument& e) {
    CHECK(std::string(e.what()).find("delimiter") != std::string::npos);
  }
  o.delimiter = ';';
  const TimeSeries ts = parse_time_series("t;x\n1;2.5\n2;3\n3;4\n", "mem", o);
  CHECK(ts.values[0][0] == 2.5);
  CHECK(ts.size() == 3);
}

TEST_CASE("a header of a million distinct names is checked in linear time; a duplicate among them is found") {
  std::string header = "t";
  for (int c = 0; c < 1000000; ++c) header += ",c" + std::to_string(c);
  // Linear: this takes well under a second (the old pairwise check did not finish in 60 s). A duplicate at the end
  // is found and named with both columns.
  expect_error(header + ",c17\n1,2\n", 1, 1000002, "duplicate column name \"c17\" (also column 19)");
}

TEST_CASE("a directory given as the path is an error naming the path") {
  try {
    read_time_series(SDEKIT_TEST_DATA_DIR);
    FAIL("expected a CsvError");
  } catch (const CsvError& e) {
    CHECK(e.file() == SDEKIT_TEST_DATA_DIR);
    CHECK(std::string(e.what()).find(std::string(SDEKIT_TEST_DATA_DIR) + ":0:0: is a directory, not a file") == 0);
  }
}

TEST_CASE("comment lines are skipped anywhere; '\\0' turns them off") {
  const std::string text = "# monthly data\n# source: somewhere\nt,x\n1,2\n  # a note between rows\n2,3\n3,4\n";
  const TimeSeries ts = parse_time_series(text, "mem.csv");
  CHECK(ts.size() == 3);
  CHECK(ts.values[0][2] == 4.0);
  CsvReadOptions off;
  off.comment = '\0';
  // Without comments the first line, "# monthly data", is a one-column header.
  expect_error(text, 1, 0, "no value column", off);
}

TEST_CASE("a time from year and month (numbers or names) or year and quarter, several value columns") {
  CsvReadOptions monthly;
  monthly.year_column = "year";
  monthly.period_column = "month";
  const TimeSeries m = parse_time_series(
      "year,month,a,b\n1990,11,1,10\n1990,Dec,2,20\n1991,january,3,30\n1991,2,4,40\n", "mem.csv", monthly);
  REQUIRE(m.size() == 4);
  CHECK(m.time_name == "year+month");
  CHECK(m.names == std::vector<std::string>{"a", "b"});
  CHECK(m.times[0] == doctest::Approx(1990 + 10.0 / 12));
  CHECK(m.times[1] == doctest::Approx(1990 + 11.0 / 12));
  CHECK(m.times[2] == 1991.0);
  CHECK(m.times[3] == doctest::Approx(1991 + 1.0 / 12));
  CHECK(m.values[1][3] == 40.0);
  CsvReadOptions quarterly;
  quarterly.year_column = "Y";
  quarterly.period_column = "Q";
  quarterly.periods_per_year = 4;
  quarterly.value_columns = {"gdp"};
  const TimeSeries q =
      parse_time_series("Y,Q,gdp,other\n2000,Q3,1.5,x\n2000,4,1.6,y\n2001,q1,1.7,z\n", "mem.csv", quarterly);
  CHECK(q.times == std::vector<double>{2000.5, 2000.75, 2001.0});
  CHECK(q.values[0] == std::vector<double>{1.5, 1.6, 1.7});
  expect_error("year,month,a\n1990,13,1\n", 2, 2, "period \"13\" is not 1 ... 12 or a month name", monthly);
  expect_error("year,month,a\n1990,Smarch,1\n", 2, 2, "is not 1 ... 12", monthly);
  expect_error("year,month,a\n1990.5,1,1\n", 2, 1, "is not a whole number", monthly);
  expect_error("year,month,a\n1990,2,1\n1990,1,2\n", 3, 1, "times must increase strictly", monthly);
  expect_error("Y,Q,gdp\n2000,Q5,1\n", 2, 2, "Q1 ... Q4", quarterly);
  CsvReadOptions half = monthly;
  half.period_column.clear();
  expect_error("year,month,a\n1990,1,1\n", 1, 0, "period_column is empty", half);
}

TEST_CASE("missing values kept as NaN; a wide table of months stacked into one series (El Nino)") {
  CsvReadOptions keep;
  keep.missing = MissingValues::keep;
  const TimeSeries k = parse_time_series("t,x\n1,2\n2,NA\n3,\n4,5\n", "mem.csv", keep);
  REQUIRE(k.size() == 4);
  CHECK(std::isnan(k.values[0][1]));
  CHECK(std::isnan(k.values[0][2]));
  CHECK(k.dropped.empty());

  const TimeSeries wide = read_time_series(std::string(SDEKIT_TEST_DATA_DIR) + "/elnino/elnino.csv");
  CHECK(wide.names.size() == 12);
  const TimeSeries sst = stack_periods(wide, "sst");
  REQUIRE(sst.size() == 61 * 12);
  CHECK(sst.names == std::vector<std::string>{"sst"});
  CHECK(sst.times[13] == doctest::Approx(1951 + 1.0 / 12));
  CHECK(sst.values[0][13] == 25.28);  // February 1951
  CHECK(sst.values[0].back() == wide.values[11].back());
  TimeSeries bad = wide;
  bad.values[3].pop_back();
  CHECK_THROWS_AS(stack_periods(bad), std::invalid_argument);
}
