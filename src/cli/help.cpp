// --help without CLI11's artefacts: no "{false}" after a negatable flag, no
// "TEXT"/"INT:INT in [0 - 2147483647]" type noise (each option names its own
// placeholder with type_name: DIR, FILE, N, SECONDS ...), choices as {a,b}.
// scripts/gen-docs parses this text for the man pages and completions.
#include <regex>
#include <string>

#include "cli/commands.hpp"

namespace smartspec::cli {

namespace {

class Formatter : public CLI::Formatter {
 public:
  std::string make_option_name(const CLI::Option* opt, bool is_positional) const override {
    std::string name = CLI::Formatter::make_option_name(opt, is_positional);
    // "--verify-at-end,--no-verify-at-end{false}": CLI11's flag default values.
    return std::regex_replace(name, std::regex(R"(\{[^}]*\})"), "");
  }

  std::string make_option_opts(const CLI::Option* opt) const override {
    if (!opt->get_option_text().empty()) return " " + opt->get_option_text();
    std::string out;
    if (opt->get_type_size() != 0) {
      // "TEXT:{task,unit}" -> "{task,unit}"; "N:INT in [...]" -> "N"; a
      // positional's name is its placeholder already (only its choices show).
      const std::string full = opt->get_type_name();
      std::smatch choices;
      if (std::regex_search(full, choices, std::regex(R"(\{[^}]*\})"))) {
        out += " " + choices.str();
      } else if (!opt->get_positional()) {
        out += " " + full.substr(0, full.find(':'));
      }
      if (opt->get_expected_max() == CLI::detail::expected_max_vector_size &&
          !opt->get_positional())
        out += " ...";
    }
    if (opt->get_required()) out += " REQUIRED";
    return out;
  }
};

}  // namespace

void set_help_format(CLI::App& app) {
  auto fmt = std::make_shared<Formatter>();
  fmt->column_width(40);
  app.formatter(fmt);
}

}  // namespace smartspec::cli
