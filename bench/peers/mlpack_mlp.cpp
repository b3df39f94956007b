// mlpack peer of bnrun's peer benchmark (bench/peer_bench.cpp): the network of configs/fashion_mnist_bn.json as an
// mlpack 4 FFN in single precision, trained with ensmallen's Adam; prints one JSON object (peer_common.h).
//
// mlpack's counterparts: Linear, BatchNorm (eps 1e-3; average off and momentum 0.01, mlpack's name for the weight
// of the new batch, which is Keras' momentum 0.99; the running variance is unbiased), ReLU, LogSoftMax +
// NegativeLogLikelihood averaged over the batch (softmax cross-entropy). ens::Adam with step 1e-3, β 0.9 / 0.999,
// eps 1e-7, batch 128, shuffling every epoch and no early stop on the objective.
//
// mlpack's GlorotInitialization treats each layer's flat parameter vector as one n × 1 matrix, which is not
// Glorot's fan-in + fan-out and would draw the biases too; the Linear weights are therefore drawn again here from
// U(±sqrt(6 / (fan_in + fan_out))) and the biases set to zero, as bnrun and Keras do.
//
// The epochs are timed by an ensmallen callback (BeginEpoch to EndEpoch). ensmallen shuffles by permuting the
// data itself between epochs, so the first epoch is shuffled here, untimed, before training starts.
#include <mlpack/core.hpp>
#include <mlpack/methods/ann/ann.hpp>

#include <algorithm>
#include <cmath>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include "peer_common.h"

namespace {

using Matrix = arma::fmat;

// Records each epoch's wall time; ensmallen calls these around every pass over the data.
class EpochTimer {
 public:
  explicit EpochTimer(std::vector<double>& epoch_seconds) : epoch_seconds_(epoch_seconds) {}

  template <typename Optimizer, typename Function, typename Coordinates>
  void BeginEpoch(Optimizer&, Function&, const Coordinates&, const std::size_t, const double) {
    start_ = peers::Clock::now();
  }

  template <typename Optimizer, typename Function, typename Coordinates>
  void EndEpoch(Optimizer&, Function&, const Coordinates&, const std::size_t, const double) {
    epoch_seconds_.push_back(peers::seconds_since(start_));
  }

 private:
  std::vector<double>& epoch_seconds_;
  peers::Clock::time_point start_;
};

using Network = mlpack::FFN<mlpack::NegativeLogLikelihoodType<Matrix>, mlpack::GlorotInitialization, Matrix>;

void add_hidden_layer(Network& network, std::size_t units, bool batch_norm) {
  network.Add<mlpack::LinearType<Matrix>>(units);
  if (batch_norm)
    network.Add<mlpack::BatchNormType<Matrix>>(/*minAxis=*/2, /*maxAxis=*/2, /*eps=*/1e-3, /*average=*/false,
                                               /*momentum=*/0.01);
  network.Add<mlpack::ReLUType<Matrix>>();
}

void glorot_uniform_weights_zero_biases(Network& network, std::mt19937& random) {
  for (mlpack::Layer<Matrix>* layer : network.Network()) {
    auto* linear = dynamic_cast<mlpack::LinearType<Matrix>*>(layer);
    if (!linear) continue;
    Matrix& weight = linear->Weight();
    const double limit = std::sqrt(6.0 / static_cast<double>(weight.n_rows + weight.n_cols));
    std::uniform_real_distribution<float> uniform(static_cast<float>(-limit), static_cast<float>(limit));
    weight.transform([&](float) { return uniform(random); });
    linear->Bias().zeros();
  }
}

// Columns of `features` (one sample each) and their labels, in a random order.
void shuffle_samples(Matrix& features, Matrix& labels, std::mt19937& random) {
  std::vector<arma::uword> order(features.n_cols);
  for (arma::uword i = 0; i < order.size(); ++i) order[i] = i;
  std::shuffle(order.begin(), order.end(), random);
  const arma::uvec columns(order);
  features = Matrix(features.cols(columns));
  labels = Matrix(labels.cols(columns));
}

Matrix features_of(const peers::LabeledData& data) {
  return Matrix(data.features.data(), data.columns, data.rows);
}

Matrix labels_of(const peers::LabeledData& data) {
  Matrix labels(1, data.rows);
  for (std::size_t i = 0; i < data.rows; ++i) labels(0, i) = static_cast<float>(data.labels[i]);
  return labels;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"mlpack peer of bnrun's peer benchmark: trains configs/fashion_mnist_bn.json's network"};
  peers::PeerReport report;
  peers::add_peer_options(app, report.arguments);
  CLI11_PARSE(app, argc, argv);
  try {
    const peers::PeerArguments& arguments = report.arguments;
    peers::LabeledData train = peers::read_labeled_csv(arguments.train_path, arguments.train_rows);
    peers::LabeledData test = peers::read_labeled_csv(arguments.test_path, 0);
    peers::standardize_with_training_statistics(train, test);
    Matrix train_features = features_of(train), train_labels = labels_of(train);
    const Matrix test_features = features_of(test);

    const bool batch_norm = arguments.batch_norm();
    Network network(mlpack::NegativeLogLikelihoodType<Matrix>(/*reduction=*/false));
    add_hidden_layer(network, 256, batch_norm);
    add_hidden_layer(network, 128, batch_norm);
    network.Add<mlpack::LinearType<Matrix>>(10);
    network.Add<mlpack::LogSoftMaxType<Matrix>>();
    network.Reset(train.columns);
    std::mt19937 random(arguments.seed);
    arma::arma_rng::set_seed(arguments.seed);
    glorot_uniform_weights_zero_biases(network, random);
    shuffle_samples(train_features, train_labels, random);

    ens::Adam adam(/*stepSize=*/1e-3, arguments.batch_size, /*beta1=*/0.9, /*beta2=*/0.999, /*eps=*/1e-7,
                   /*maxIterations=*/static_cast<std::size_t>(arguments.epochs) * train.rows, /*tolerance=*/-1.0,
                   /*shuffle=*/true, /*resetPolicy=*/true, /*exactObjective=*/false);
    network.Train(std::move(train_features), std::move(train_labels), adam, EpochTimer(report.epoch_seconds));

    Matrix log_probabilities;
    network.Predict(test_features, log_probabilities, 256);
    const arma::urowvec predicted = arma::index_max(log_probabilities, 0);
    std::size_t correct = 0;
    for (std::size_t i = 0; i < test.rows; ++i) correct += predicted(i) == test.labels[i];

    report.program = "mlpack";
    report.version = std::to_string(MLPACK_VERSION_MAJOR) + "." + std::to_string(MLPACK_VERSION_MINOR) + "." +
                     std::to_string(MLPACK_VERSION_PATCH);
    report.libraries = "ensmallen " + std::to_string(ENS_VERSION_MAJOR) + "." + std::to_string(ENS_VERSION_MINOR) +
                       "." + std::to_string(ENS_VERSION_PATCH) + ", Armadillo " + arma::arma_version::as_string();
    report.train_rows = train.rows;
    report.test_rows = test.rows;
    report.test_accuracy = static_cast<double>(correct) / static_cast<double>(test.rows);
    peers::print_report(report);
  } catch (const std::exception& error) {
    std::cerr << "mlpack_mlp: " << error.what() << "\n";
    return 1;
  }
  return 0;
}
