#pragma once
// Drawing an example's picture: the example writes a gnuplot script next to its CSV and this runs gnuplot on it
// when it is installed (Debian's gnuplot-nox), so that every example still runs, and says so, without it.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

namespace sdekit_examples {

/// True when a gnuplot executable is on the PATH.
inline bool have_gnuplot() { return std::system("command -v gnuplot > /dev/null 2>&1") == 0; }

/// Writes `commands` to `script` and runs gnuplot on it to draw `png` (`size` pixels, "width,height"); prints what
/// it wrote or why it did not.
inline void draw_with_gnuplot(const std::string& script, const std::string& png, const std::string& commands,
                              const std::string& size = "900,600") {
  if (!have_gnuplot()) {
    std::printf("gnuplot not found: skipping %s (install gnuplot-nox)\n", png.c_str());
    return;
  }
  {
    std::ofstream out(script);
    out << "set terminal pngcairo size " << size << " noenhanced\nset output '" << png << "'\n" << commands;
  }
  if (std::system(("gnuplot " + script).c_str()) == 0)
    std::printf("wrote %s (script %s)\n", png.c_str(), script.c_str());
  else std::printf("gnuplot failed on %s: no picture\n", script.c_str());
}

}  // namespace sdekit_examples
