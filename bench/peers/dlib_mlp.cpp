// dlib peer of bnrun's peer benchmark (bench/peer_bench.cpp): the network of configs/fashion_mnist_bn.json in
// dlib 19.24's DNN API, trained the way bnrun trains it; prints one JSON object (peer_common.h).
//
// dlib's counterparts: fc (Glorot-uniform weights, zero biases: dlib's own initialization), bn_fc with eps 1e-3
// and a running-statistics window of 100 batches (a plain average over the first 100 batches, then a weight of
// 1/101 for each new one: Keras' momentum 0.99 to two digits), relu, loss_multiclass_log (softmax cross-entropy),
// adam without weight decay (dlib's default has 0.0005; its epsilon is fixed inside dlib, not settable to 1e-7).
// dlib's bn layers use batch statistics whenever a batch has more than one row, so evaluation goes through dlib's
// documented inference form: the same network with affine layers built from the bn layers' running statistics.
//
// --driver trainer trains through dnn_trainer::train_one_step (what dlib's examples do: a worker thread
// computes while the caller prepares the next batch); --driver direct calls compute_parameter_gradients and
// update_parameters itself, in one thread besides OpenBLAS's.
#include <dlib/dnn.h>
#include <dlib/revision.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <limits>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "peer_common.h"

namespace {

using Sample = dlib::matrix<float, 0, 1>;
using Input = dlib::input<Sample>;
template <typename Subnet>
using BnTrainingNet = dlib::loss_multiclass_log<
    dlib::fc<10, dlib::relu<dlib::bn_fc<dlib::fc<128, dlib::relu<dlib::bn_fc<dlib::fc<256, Subnet>>>>>>>>;
template <typename Subnet>
using BnInferenceNet = dlib::loss_multiclass_log<
    dlib::fc<10, dlib::relu<dlib::affine<dlib::fc<128, dlib::relu<dlib::affine<dlib::fc<256, Subnet>>>>>>>>;
template <typename Subnet>
using PlainNet = dlib::loss_multiclass_log<dlib::fc<10, dlib::relu<dlib::fc<128, dlib::relu<dlib::fc<256, Subnet>>>>>>;

constexpr float learning_rate = 1e-3f;
dlib::adam keras_adam() {
  return dlib::adam(/*weight_decay=*/0.0f, /*momentum1=*/0.9f, /*momentum2=*/0.999f);
}

std::vector<Sample> samples_of(const peers::LabeledData& data) {
  std::vector<Sample> samples(data.rows);
  for (std::size_t row = 0; row < data.rows; ++row) {
    samples[row].set_size(static_cast<long>(data.columns));
    std::copy_n(data.features.begin() + static_cast<std::ptrdiff_t>(row * data.columns), data.columns,
                samples[row].begin());
  }
  return samples;
}

std::vector<unsigned long> labels_of(const peers::LabeledData& data) {
  return {data.labels.begin(), data.labels.end()};
}

// One epoch's batches in a fresh random order, each handed to `train_batch(samples, labels)`.
template <typename TrainBatch>
void for_each_shuffled_batch(const std::vector<Sample>& samples, const std::vector<unsigned long>& labels,
                             std::size_t batch_size, bool skip_single_rows, std::mt19937& random,
                             TrainBatch&& train_batch) {
  std::vector<std::size_t> order(samples.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::shuffle(order.begin(), order.end(), random);
  std::vector<Sample> batch;
  std::vector<unsigned long> batch_labels;
  for (std::size_t first = 0; first < order.size(); first += batch_size) {
    const std::size_t count = std::min(batch_size, order.size() - first);
    if (count == 1 && skip_single_rows) continue;  // a batch of one row has no variance; bnrun skips it too
    batch.clear();
    batch_labels.clear();
    for (std::size_t i = first; i < first + count; ++i) {
      batch.push_back(samples[order[i]]);
      batch_labels.push_back(labels[order[i]]);
    }
    train_batch(batch, batch_labels);
  }
}

template <typename Net>
std::vector<double> train_with_trainer(Net& net, const std::vector<Sample>& samples,
                                       const std::vector<unsigned long>& labels, const peers::PeerArguments& arguments,
                                       bool skip_single_rows) {
  dlib::dnn_trainer<Net, dlib::adam> trainer(net, keras_adam());
  trainer.set_learning_rate(learning_rate);
  // The trainer lowers the learning rate when the loss stops improving; bnrun and the other peers keep it fixed.
  trainer.set_iterations_without_progress_threshold(std::numeric_limits<unsigned long>::max());
  trainer.be_quiet();
  std::mt19937 random(arguments.seed);
  std::vector<double> epoch_seconds;
  for (int epoch = 0; epoch < arguments.epochs; ++epoch) {
    const auto start = peers::Clock::now();
    for_each_shuffled_batch(samples, labels, arguments.batch_size, skip_single_rows, random,
                            [&](const std::vector<Sample>& batch, const std::vector<unsigned long>& batch_labels) {
                              trainer.train_one_step(batch, batch_labels);
                            });
    trainer.get_net();  // waits until the worker thread has trained every batch handed to it
    epoch_seconds.push_back(peers::seconds_since(start));
  }
  return epoch_seconds;
}

template <typename Net>
std::vector<double> train_directly(Net& net, const std::vector<Sample>& samples,
                                   const std::vector<unsigned long>& labels, const peers::PeerArguments& arguments,
                                   bool skip_single_rows) {
  std::vector<dlib::adam> solvers(Net::num_computational_layers, keras_adam());
  dlib::resizable_tensor batch_tensor;
  std::mt19937 random(arguments.seed);
  std::vector<double> epoch_seconds;
  for (int epoch = 0; epoch < arguments.epochs; ++epoch) {
    const auto start = peers::Clock::now();
    for_each_shuffled_batch(samples, labels, arguments.batch_size, skip_single_rows, random,
                            [&](const std::vector<Sample>& batch, const std::vector<unsigned long>& batch_labels) {
                              net.to_tensor(batch.begin(), batch.end(), batch_tensor);
                              net.compute_parameter_gradients(batch_tensor, batch_labels.begin());
                              net.update_parameters(solvers, learning_rate);
                            });
    epoch_seconds.push_back(peers::seconds_since(start));
  }
  return epoch_seconds;
}

template <typename Net>
double accuracy(Net& net, const std::vector<Sample>& samples, const std::vector<unsigned long>& labels) {
  const std::vector<unsigned long> predicted = net(samples, 256);
  std::size_t correct = 0;
  for (std::size_t i = 0; i < labels.size(); ++i) correct += predicted[i] == labels[i];
  return static_cast<double>(correct) / static_cast<double>(labels.size());
}

// Trains `TrainingNet` and evaluates it as `InferenceNet` (the same type for a network without BatchNorm).
template <typename TrainingNet, typename InferenceNet>
void train_and_report(peers::PeerReport& report, const std::string& driver, const peers::LabeledData& train,
                      const peers::LabeledData& test) {
  const peers::PeerArguments& arguments = report.arguments;
  const std::vector<Sample> train_samples = samples_of(train), test_samples = samples_of(test);
  const std::vector<unsigned long> train_labels = labels_of(train), test_labels = labels_of(test);
  std::srand(arguments.seed);  // dlib's fc layers draw their initial weights from a generator seeded by std::rand
  TrainingNet net;
  dlib::visit_computational_layers(net, [](dlib::bn_<dlib::FC_MODE>& layer) {
    layer = dlib::bn_<dlib::FC_MODE>(/*window_size=*/100, /*eps=*/1e-3);
  });
  const bool skip_single_rows = arguments.batch_norm();
  report.epoch_seconds = driver == "trainer"
                             ? train_with_trainer(net, train_samples, train_labels, arguments, skip_single_rows)
                             : train_directly(net, train_samples, train_labels, arguments, skip_single_rows);
  InferenceNet inference_net = net;
  report.test_accuracy = accuracy(inference_net, test_samples, test_labels);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"dlib peer of bnrun's peer benchmark: trains configs/fashion_mnist_bn.json's network"};
  peers::PeerReport report;
  peers::add_peer_options(app, report.arguments);
  std::string driver = "trainer";
  app.add_option("--driver", driver, "trainer: dnn_trainer::train_one_step; direct: the gradient and update calls")
      ->check(CLI::IsMember({"trainer", "direct"}));
  CLI11_PARSE(app, argc, argv);
  try {
    const peers::PeerArguments& arguments = report.arguments;
    peers::LabeledData train = peers::read_labeled_csv(arguments.train_path, arguments.train_rows);
    peers::LabeledData test = peers::read_labeled_csv(arguments.test_path, 0);
    peers::standardize_with_training_statistics(train, test);
    report.program = "dlib";
    report.version = std::to_string(DLIB_MAJOR_VERSION) + "." + std::to_string(DLIB_MINOR_VERSION) + "." +
                     std::to_string(DLIB_PATCH_VERSION);
    report.configuration = "driver " + driver;
    report.train_rows = train.rows;
    report.test_rows = test.rows;
    if (arguments.batch_norm())
      train_and_report<BnTrainingNet<Input>, BnInferenceNet<Input>>(report, driver, train, test);
    else
      train_and_report<PlainNet<Input>, PlainNet<Input>>(report, driver, train, test);
    peers::print_report(report);
  } catch (const std::exception& error) {
    std::cerr << "dlib_mlp: " << error.what() << "\n";
    return 1;
  }
  return 0;
}
