// pgha-docs: writes docs/ from the embedded schemas (and examples/ for the
// usage snippets). `pgha-docs --check` fails when docs/ is out of date.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "schema/docs.h"
#include "schema/schema.h"

namespace fs = std::filesystem;

namespace {

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p);
  if (!in) return "";
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// docs/resources/certificate.md for pgha_certificate, docs/index.md for the provider.
fs::path PageFor(const pgha::schema::Schema& s) {
  using Kind = pgha::schema::Schema::Kind;
  if (s.kind == Kind::kProvider) return "index.md";
  std::string short_name = s.name.substr(s.name.find('_') + 1);
  return fs::path(s.kind == Kind::kResource ? "resources" : "data-sources") / (short_name + ".md");
}

// examples/docs/<page>.tf holds the usage snippet shown on the page, if any.
std::string ExampleFor(const fs::path& root, const fs::path& page) {
  fs::path example = root / "examples" / "docs" / page;
  example.replace_extension(".tf");
  return ReadFile(example);
}

}  // namespace

int main(int argc, char** argv) {
  bool check = false;
  fs::path root = ".";
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--check") {
      check = true;
    } else {
      root = arg;
    }
  }
  auto catalog = pgha::schema::Catalog::LoadEmbedded();
  if (!catalog.ok()) {
    std::fprintf(stderr, "pgha-docs: %s\n", std::string(catalog.status().message()).c_str());
    return 1;
  }
  std::vector<const pgha::schema::Schema*> schemas = {&catalog->provider()};
  for (const auto& n : catalog->resource_names()) schemas.push_back(catalog->resource(n));
  for (const auto& n : catalog->data_source_names()) schemas.push_back(catalog->data_source(n));

  int stale = 0;
  for (const auto* s : schemas) {
    const fs::path page = PageFor(*s);
    const fs::path out = root / "docs" / page;
    const std::string text = pgha::schema::RenderMarkdown(*s, ExampleFor(root, page)) + "\n";
    if (check) {
      if (ReadFile(out) != text) {
        std::fprintf(stderr, "pgha-docs: %s is out of date; run scripts/docs\n", out.c_str());
        ++stale;
      }
      continue;
    }
    fs::create_directories(out.parent_path());
    std::ofstream(out) << text;
    std::printf("wrote %s\n", out.c_str());
  }
  return stale == 0 ? 0 : 1;
}
