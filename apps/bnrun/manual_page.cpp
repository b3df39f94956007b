#include "manual_page.h"

#include <fmt/format.h>

#include <cstdint>
#include <sstream>

namespace bnrun::app {

namespace {

// Text as roff reads it: a backslash is an escape, '-' is a hyphen (\- is the minus sign that options are typed
// with, so that copying from the page works), a line starting with '.' or '\'' would be a request, and groff reads
// its input as Latin-1: every other character (±, ×) goes as its code point, \[u00B1].
std::string roff(std::string_view text) {
  std::string escaped;
  bool line_start = true;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (line_start && (byte == '.' || byte == '\'')) escaped += "\\&";
    line_start = byte == '\n';
    if (byte == '\\') {
      escaped += "\\e";
    } else if (byte == '-') {
      escaped += "\\-";
    } else if (byte < 0x80) {
      escaped += static_cast<char>(byte);
    } else {
      // A UTF-8 sequence: the lead byte says how many continuation bytes follow (the help text is ours, valid).
      const int continuation = byte >= 0xF0 ? 3 : byte >= 0xE0 ? 2 : 1;
      char32_t code_point = byte & (0x3F >> continuation);
      for (int k = 0; k < continuation && i + 1 < text.size(); ++k)
        code_point = (code_point << 6) | (static_cast<unsigned char>(text[++i]) & 0x3F);
      escaped += fmt::format("\\[u{:04X}]", static_cast<std::uint32_t>(code_point));
    }
  }
  return escaped;
}

// "-c, --config FILE" as an indented paragraph's tag, then its description.
std::string option_entries(const CLI::App& app) {
  std::string text;
  for (const CLI::Option* option : app.get_options([](const CLI::Option* candidate) {
         return !candidate->get_group().empty();  // "" hides an option (--help-man itself)
       })) {
    std::string tag;
    if (option->nonpositional()) {
      for (const auto& name : option->get_snames())
        tag += fmt::format("{}\\fB{}\\fR", tag.empty() ? "" : ", ", roff("-" + name));
      for (const auto& name : option->get_lnames())
        tag += fmt::format("{}\\fB{}\\fR", tag.empty() ? "" : ", ", roff("--" + name));
    } else {
      tag = fmt::format("\\fI{}\\fR", roff(option->get_name(true)));
    }
    if (option->nonpositional() && option->get_type_size_max() > 0 && !option->get_type_name().empty())
      tag += fmt::format(" \\fI{}\\fR", roff(option->get_type_name()));
    text += fmt::format(".TP\n{}\n{}\n", tag, roff(option->get_description()));
  }
  return text;
}

// A footer's lines as they are (examples are aligned by hand), without the blank first line.
std::string verbatim(std::string_view footer) {
  while (!footer.empty() && footer.front() == '\n') footer.remove_prefix(1);
  return fmt::format(".PP\n.nf\n{}\n.fi\n", roff(footer));
}

}  // namespace

std::string manual_page(const CLI::App& app, std::string_view version) {
  const auto subcommands =
      app.get_subcommands([](const CLI::App* candidate) { return !candidate->get_group().empty(); });
  std::ostringstream page;
  page << fmt::format(".TH BNRUN 1 \"\" \"bnrun {}\" \"User Commands\"\n", version);
  page << ".SH NAME\nbnrun \\- train a network with and without batch normalization and compare them\n";
  page << ".SH SYNOPSIS\n.B bnrun\n\\fB\\-c\\fR \\fICONFIG\\fR [\\fIOPTIONS\\fR]\n";
  for (const CLI::App* subcommand : subcommands) {
    std::string arguments;
    for (const CLI::Option* argument :
         subcommand->get_options([](const CLI::Option* candidate) { return !candidate->nonpositional(); }))
      arguments += fmt::format(" \\fI{}\\fR{}", roff(argument->get_type_name()),
                               argument->get_items_expected_max() > 1 ? "..." : "");
    page << fmt::format(".br\n.B bnrun {}\n[\\fIOPTIONS\\fR]{}\n", roff(subcommand->get_name()), arguments);
  }
  page << ".SH DESCRIPTION\n" << roff(app.get_description()) << "\n";
  page << ".SH OPTIONS\nWithout a command, bnrun trains: these options.\n" << option_entries(app);
  page << ".SH COMMANDS\n";
  for (const CLI::App* subcommand : subcommands) {
    page << fmt::format(".SS \"bnrun {}\"\n{}\n", roff(subcommand->get_name()), roff(subcommand->get_description()));
    page << option_entries(*subcommand) << verbatim(subcommand->get_footer());
  }
  page << ".SH EXAMPLES\n" << verbatim(app.get_footer());
  page << ".SH FILES\n"
          "PREFIX is the folder above the one that holds the bnrun binary: /usr for the Debian package.\n"
          ".TP\n.I PREFIX/share/bnrun/configs/\n"
          "the shipped configs (claims/ holds the claim studies). A \\fB\\-\\-config\\fR name without a '/' that is "
          "no file in the current folder is looked up here, with or without .json.\n"
          ".TP\n.I PREFIX/share/bnrun/datasets/\n"
          "the small data sets the shipped configs train on (iris, wine, breast cancer, cgpa/iq); the configs name "
          "them relative to themselves (../datasets/iris.csv).\n"
          ".TP\n.I PREFIX/share/doc/bnrun/\n"
          "README.md and docs/: every config key (docs/CONFIG.md), studies (docs/STUDIES.md), the semantics "
          "(docs/SEMANTICS.md), bad inputs and exit codes (docs/ROBUSTNESS.md).\n"
          ".TP\n.I PREFIX/share/bash\\-completion/completions/bnrun\n"
          "bash completion of commands, options, config names and config keys.\n";
  page << ".SH EXIT STATUS\n"
          "0 success; 2 a bad command line, config or data (one line \\fBerror: ...\\fR on stderr), or a run that "
          "failed or diverged; 130 and 143 after SIGINT and SIGTERM (the results so far are written); 1 an internal "
          "error.\n";
  return page.str();
}

}  // namespace bnrun::app
