// `relaymock import DIR|FILE... [-o OUT]`: the provider's API v3 answers to a
// commented config (config/import.hpp). Exit 0 with the config written (and
// checked by the loader), 2 with one FILE:LINE:COL or FILE: path line per problem.
#include "import_cli.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "config/import.hpp"
#include "config/loader.hpp"
#include "util/clock.hpp"
#include "util/dates.hpp"

namespace relaymock {

namespace fs = std::filesystem;

namespace {
// An export is a few kilobytes; anything far larger is not one.
constexpr std::uintmax_t kMaxImportFile = 64ull << 20;
}  // namespace

int import_command(const std::vector<std::string>& args) {
  std::vector<std::string> paths;
  std::string out_path;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "-o" || args[i] == "--output") {
      if (i + 1 >= args.size()) {
        std::cerr << "relaymock import: " << args[i] << " needs a file name\n";
        return 2;
      }
      out_path = args[++i];
    } else {
      paths.push_back(args[i]);
    }
  }
  if (paths.empty()) {
    std::cerr << "usage: relaymock import DIR|FILE.json... [-o relaymock.yaml]\n";
    return 2;
  }
  std::vector<config::ImportFile> files;
  bool failed = false;
  auto read = [&](const fs::path& p) {
    std::error_code ec;
    auto size = fs::file_size(p, ec);
    if (ec || size > kMaxImportFile) {
      std::cerr << p.string() << ": " << (ec ? ec.message() : "larger than 64 MiB: not an API answer") << "\n";
      failed = true;
      return;
    }
    std::ifstream in(p, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    if (!in) {
      std::cerr << p.string() << ": cannot be read\n";
      failed = true;
      return;
    }
    files.push_back({p.string(), text.str()});
  };
  for (const auto& arg : paths) {
    std::error_code ec;
    if (fs::is_directory(arg, ec)) {
      std::vector<fs::path> found;
      for (const auto& e : fs::directory_iterator(arg, ec))
        if (e.path().extension() == ".json" && e.is_regular_file()) found.push_back(e.path());
      std::sort(found.begin(), found.end());
      if (found.empty()) {
        std::cerr << arg << ": no .json files in this directory\n";
        failed = true;
      }
      for (const auto& f : found) read(f);
    } else if (fs::exists(arg, ec)) {
      read(arg);
    } else {
      std::cerr << arg << ": no such file or directory\n";
      failed = true;
    }
  }
  if (failed) return 2;

  auto today = civil_text(civil_from_time(std::chrono::system_clock::now()));
  auto res = config::import_provider_exports(files, today);
  for (const auto& e : res.errors) std::cerr << e << "\n";
  if (!res.errors.empty()) return 2;
  // What was written must load: the loader has the last word.
  auto check = config::load_config_text(res.yaml, out_path.empty() ? "<import>" : out_path, false);
  if (!check.ok()) {
    std::cerr << "relaymock import: the config made from these files does not load:\n"
              << check.format(out_path.empty() ? "<import>" : out_path);
    return 2;
  }
  if (out_path.empty()) {
    std::cout << res.yaml;
  } else {
    std::ofstream out(out_path, std::ios::binary | std::ios::trunc);
    out << res.yaml;
    out.close();
    if (!out) {
      std::cerr << out_path << ": cannot be written\n";
      return 2;
    }
    std::cerr << "wrote " << out_path << "\n";
  }
  for (const auto& n : res.notes) std::cerr << "note: " << n << "\n";
  for (const auto& [what, value] : res.generated)
    std::cerr << "generated " << what << ": " << value << " (shown once; it is in the config)\n";
  return 0;
}

}  // namespace relaymock
