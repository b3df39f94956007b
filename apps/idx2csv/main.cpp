// idx2csv: converts an IDX image file and its IDX label file (the MNIST / Fashion-MNIST format, optionally
// gzip-compressed) into a CSV with the header "label,p0,...,pN" and one row per image.
//
// Used by scripts/fashion_mnist.sh to make the Fashion-MNIST CSVs from Debian's dataset-fashion-mnist
// package; the CSVs are too large to commit. IDX: big-endian magic (0x00000803 images, 0x00000801 labels),
// then the dimensions as 32-bit big-endian integers, then unsigned bytes.
#include <zlib.h>

#include <cstdint>
#include <cstdio>
#include <fmt/format.h>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

std::vector<unsigned char> read_maybe_gzipped(const std::string& path) {
  gzFile file = gzopen(path.c_str(), "rb");  // reads plain files as they are, too
  if (!file) throw std::runtime_error(fmt::format("{}: cannot open", path));
  std::vector<unsigned char> bytes;
  unsigned char buffer[1 << 16];
  int count = 0;
  while ((count = gzread(file, buffer, sizeof buffer)) > 0) bytes.insert(bytes.end(), buffer, buffer + count);
  const bool failed = count < 0;
  gzclose(file);
  if (failed) throw std::runtime_error(fmt::format("{}: corrupt gzip data", path));
  return bytes;
}

std::uint32_t big_endian(const std::vector<unsigned char>& bytes, std::size_t offset, const std::string& path) {
  if (offset + 4 > bytes.size()) throw std::runtime_error(fmt::format("{}: truncated IDX header", path));
  return (std::uint32_t{bytes[offset]} << 24) | (std::uint32_t{bytes[offset + 1]} << 16) |
         (std::uint32_t{bytes[offset + 2]} << 8) | std::uint32_t{bytes[offset + 3]};
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: idx2csv IMAGES.idx[.gz] LABELS.idx[.gz] OUTPUT.csv\n");
    return 2;
  }
  const std::string images_path = argv[1];
  const std::string labels_path = argv[2];
  const std::string output_path = argv[3];
  try {
    const auto images = read_maybe_gzipped(images_path);
    const auto labels = read_maybe_gzipped(labels_path);
    if (big_endian(images, 0, images_path) != 0x803) throw std::runtime_error(images_path + ": not an IDX image file");
    if (big_endian(labels, 0, labels_path) != 0x801) throw std::runtime_error(labels_path + ": not an IDX label file");
    const std::size_t count = big_endian(images, 4, images_path);
    const std::size_t pixels = std::size_t{big_endian(images, 8, images_path)} * big_endian(images, 12, images_path);
    if (big_endian(labels, 4, labels_path) != count)
      throw std::runtime_error("the image and label files hold different numbers of items");
    if (images.size() != 16 + count * pixels || labels.size() != 8 + count)
      throw std::runtime_error("an IDX file is shorter or longer than its header says");

    const std::string temporary = output_path + ".tmp";
    std::FILE* out = std::fopen(temporary.c_str(), "wb");
    if (!out) throw std::runtime_error(fmt::format("{}: cannot write", output_path));
    std::string text = "label";
    for (std::size_t p = 0; p < pixels; ++p) text += fmt::format(",p{}", p);
    text += '\n';
    for (std::size_t i = 0; i < count; ++i) {
      text += std::to_string(labels[8 + i]);
      const unsigned char* row = images.data() + 16 + i * pixels;
      for (std::size_t p = 0; p < pixels; ++p) {
        text += ',';
        text += std::to_string(row[p]);
      }
      text += '\n';
      if (text.size() > (1 << 20) || i + 1 == count) {
        if (std::fwrite(text.data(), 1, text.size(), out) != text.size())
          throw std::runtime_error(fmt::format("{}: write failed", output_path));
        text.clear();
      }
    }
    if (std::fclose(out) != 0 || std::rename(temporary.c_str(), output_path.c_str()) != 0)
      throw std::runtime_error(fmt::format("{}: write failed", output_path));
    std::fprintf(stderr, "%s: %zu rows, %zu pixels\n", output_path.c_str(), count, pixels);
    return 0;
  } catch (const std::exception& error) {
    std::fprintf(stderr, "error: %s\n", error.what());
    return 2;
  }
}
