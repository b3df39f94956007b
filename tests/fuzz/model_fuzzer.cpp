// libFuzzer target for saved model files (modelio::read_model_file), as `bnrun predict`, `eval` and
// --init-from read them.
//
// Input: the model file's text. It is written to a temporary file, read and checked, built into a model,
// and run forward on two rows in inference mode.
//
// Besides crashes and sanitizer reports (and allocations beyond -rss_limit_mb), these abort (they are findings):
//   - an exception other than bnrun::UserError;
//   - a message that is not one line;
//   - a model that does not survive saving: save_model, read_model_file and save_model again must write the
//     same text, which is the format's promise that a weight reads back as the same float bit for bit.

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>

#include "core/error.h"
#include "fuzz_support.h"
#include "modelio/model_file.h"
#include "nn/matrix.h"
#include "nn/model.h"

namespace {

using bnrun::fuzz::finding;
using bnrun::fuzz::write_file;

using bnrun::modelio::ModelFile;

// A folder of this process's own in the temp directory, removed at exit.
const std::filesystem::path& work_folder() {
  static const bnrun::fuzz::ScratchFolder folder("model_fuzzer");
  return folder.path;
}

std::string read_whole_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Saves the model `file` describes and returns the text written.
std::string saved_text(const ModelFile& file, const std::filesystem::path& path) {
  const auto model = bnrun::modelio::build_model(file);
  bnrun::modelio::save_model(path.string(), file.spec, *model, file.metadata);
  return read_whole_file(path);
}

void use(const ModelFile& file) {
  const auto model = bnrun::modelio::build_model(file);
  bnrun::nn::Matrix<float> input(2, model->input_width());
  for (std::size_t i = 0; i < input.size(); ++i) input.values[i] = static_cast<float>(i % 7) - 3.0f;
  bnrun::nn::Matrix<float> output = model->forward({}, input, bnrun::nn::Mode::inference);
  if (output.rows != 2 || output.cols != model->output_width()) finding("forward gave the wrong shape", "");
  model->to_probabilities({}, output);

  std::string first;
  std::string second;
  try {
    first = saved_text(file, work_folder() / "saved.json");
    const ModelFile reread = bnrun::modelio::read_model_file((work_folder() / "saved.json").string());
    second = saved_text(reread, work_folder() / "resaved.json");
  } catch (const bnrun::UserError& error) {
    finding("a model read from a file cannot be saved and read back", error.what());
  }
  if (second != first) finding("a saved model does not read back as itself", first + "\n---\n" + second);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::filesystem::path input = work_folder() / "model.json";
  write_file(input, std::string_view(reinterpret_cast<const char*>(data), size));
  try {
    use(bnrun::modelio::read_model_file(input.string()));
  } catch (const bnrun::UserError& error) {
    const std::string_view message = error.what();
    if (message.find_first_of("\n\r") != std::string_view::npos)
      finding("a user error that is not one line", std::string(message));
  }
  return 0;
}
