// BatchNormalization layer (Keras semantics; the math and its threading are in kernels/batchnorm.h).
//
// Training: normalizes with the batch's statistics and moves the running statistics toward them,
//   running = momentum·running + (1 − momentum)·batch   (Keras convention; PyTorch's momentum is 1 − ours),
// where the batch variance fed to the running average is biased (Keras) or multiplied by m/(m − 1) (PyTorch),
// as RunningVariance says. The normalization itself always uses the biased variance.
// Inference: normalizes with the running statistics only, so a row's output never depends on its batch.
//
// Modes (docs/SEMANTICS.md has the equations; BatchNormSpec::check_modes says which combine):
// - running_stats false: no running statistics; inference normalizes each batch it is given with that batch's own
//   statistics (PyTorch's track_running_stats=False). The caller chooses the batches (ModelSpec's
//   evaluation_batch_size).
// - momentum null: the running statistics are the cumulative average of every training batch's,
//   running += (batch − running)/k after the k-th batch (PyTorch's momentum=None).
// - virtual_batch_size N: Ghost BN. Training normalizes each run of N consecutive rows with its own statistics;
//   the running statistics move once per step toward the mean of the sub-batches' statistics (Keras).
// - renorm: Batch Renormalization (Ioffe 2017): x̂ = (x − μ_B)/σ_B·r + d with r, d from separate moving
//   statistics renorm_mean / renorm_stddev, clipped by the r_max / d_max schedules, constant in backward (Keras).
//
// Across processes (data-parallel training, nn/replicas.h; one process: none of this applies):
// - synchronized: the batch statistics are the whole batch's, every process's slice included (SyncBN): each
//   process reduces its rows to count, Σx and Σ(x − its mean)² in double, and every process combines them in rank
//   order (Chan et al.'s formula: mean = ΣΣx/N, M2 = Σ(M2_r + n_r·(mean_r − mean)²)); backward combines Σdy and
//   Σdy·x̂ the same way. Training then equals one process training on the whole batch, up to rounding.
// - not synchronized (local BN, what plain data parallelism does): each process normalizes its slice with the
//   slice's statistics, and the running statistics move once per step toward the mean over every process's
//   (sub-)batch statistics, so that every process keeps the same running statistics. With a slice of r rows per
//   process this is Ghost BN with virtual_batch_size r on one process.
// A synchronized layer is plain BatchNorm in one process.
//
// Config and model files: {"type": "batchnorm", "momentum" (0.99, or null), "epsilon" (0.001), "center" (true),
// "scale" (true), "running_variance" ("biased" | "unbiased"), "running_stats" (true), "virtual_batch_size" (null),
// "renorm" (null, or {"momentum", "r_max", "d_max"}), "synchronized" (false; written only when true)}. Tensors, each [features] unless said: gamma and beta
// (trainable; absent when scale / center is off), running_mean and running_variance (absent without
// running_stats), renorm_mean and renorm_stddev (with renorm), num_batches_tracked [1] (with momentum null or
// renorm: the training steps taken, which the cumulative average and the renorm schedules count).
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "nn/layer.h"
#include "nn/layers/common.h"

namespace bnrun::nn {

enum class RunningVariance { biased, unbiased };

// A clipping bound relaxed over training steps: `start` for the first warmup_steps steps, then linearly to `end`
// over ramp_steps steps, then `end`. A number in a file is a constant bound (start = end, no steps).
struct ClipSchedule {
  double start = 1.0;
  double end = 1.0;
  std::int64_t warmup_steps = 0;
  std::int64_t ramp_steps = 0;
  // The bound at training step `step` (0 for the first step).
  double at(std::int64_t step) const;
  bool operator==(const ClipSchedule&) const = default;
};

// Batch Renormalization's settings. The defaults are the paper's (Ioffe 2017, section 4.1): r_max 1 for 5000
// steps, then up to 3 at step 40000; d_max 0 for 5000 steps, then up to 5 at step 25000.
struct RenormSpec {
  double momentum = 0.99;  // of renorm_mean and renorm_stddev, Keras' renorm_momentum
  ClipSchedule r_max{1.0, 3.0, 5000, 35000};
  ClipSchedule d_max{0.0, 5.0, 5000, 20000};
  bool operator==(const RenormSpec&) const = default;
};

// Defaults follow Keras' BatchNormalization, as the seed notebook does.
struct BatchNormSpec {
  static constexpr std::string_view type = "batchnorm";

  // running = momentum·running + (1 − momentum)·batch; unset: the cumulative average of all training batches.
  std::optional<double> momentum = 0.99;
  double epsilon = 1e-3;
  bool center = true;  // learn beta
  bool scale = true;   // learn gamma
  RunningVariance running_variance = RunningVariance::biased;
  bool running_stats = true;              // false: batch statistics in inference too
  std::int64_t virtual_batch_size = 0;    // Ghost BN's sub-batch rows; 0: off (null in files)
  std::optional<RenormSpec> renorm;       // Batch Renormalization; unset: off
  bool synchronized = false;              // across processes: the whole batch's statistics (SyncBN)

  // Keeps num_batches_tracked: the cumulative average and the renorm schedules count steps.
  bool counts_steps() const { return !momentum || renorm.has_value(); }

  static BatchNormSpec from_json(ObjectReader& reader, Defaults defaults);
  void to_json(nlohmann::ordered_json& object) const;
  std::size_t output_width(std::size_t input_width) const { return input_width; }
  std::vector<TensorInfo> tensors(std::size_t input_width) const;
  std::optional<Activation> output_nonlinearity() const { return std::nullopt; }
  std::string summary(bool loss_applies_output) const;
  std::string label() const;
  template <class T>
  std::unique_ptr<Layer<T>> build(const LayerPlace& place) const;
};

// Batch renorm's keys "momentum", "r_max" and "d_max" of `reader`'s object (the layer's "renorm" object, or an
// arm's), each a constant or a ClipSchedule; the caller finishes the reader.
RenormSpec read_renorm_settings(ObjectReader& reader, Defaults defaults);
nlohmann::ordered_json renorm_to_json(const RenormSpec& renorm);

// Throws KeyPathError at `path` (the layer's key path) when the modes do not combine.
void check_batchnorm_modes(const BatchNormSpec& spec, const std::string& path);

template <class T>
class BatchNorm final : public Layer<T> {
 public:
  BatchNorm(std::string name, std::size_t features, const BatchNormSpec& spec);

  std::string_view kind() const override { return BatchNormSpec::type; }
  std::size_t input_width() const override { return features_; }
  std::size_t output_width() const override { return features_; }
  void forward(const Compute& compute, const Matrix<T>& input, Matrix<T>& output, Mode mode) override;
  void backward(const Compute& compute, const Matrix<T>& input, const Matrix<T>& output,
                const Matrix<T>& output_gradient, Matrix<T>* input_gradient) override;
  std::vector<Parameter<T>> parameters() override;
  std::vector<StateTensor<T>> state() override;
  void set_replicas(const Replicas* replicas) override { replicas_ = replicas; }

  std::vector<T>& gamma() { return gamma_; }
  std::vector<T>& beta() { return beta_; }
  std::vector<T>& running_mean() { return running_mean_; }
  std::vector<T>& running_variance() { return running_variance_; }
  std::vector<T>& renorm_mean() { return renorm_mean_; }
  std::vector<T>& renorm_stddev() { return renorm_stddev_; }
  // r and d of the last training forward (renorm only).
  const std::vector<T>& renorm_r() const { return renorm_r_; }
  const std::vector<T>& renorm_d() const { return renorm_d_; }
  // The last training forward's statistics: [features] per sub-batch, sub-batch after sub-batch.
  const std::vector<T>& batch_mean() const { return batch_mean_; }
  const std::vector<T>& batch_variance() const { return batch_variance_; }

 private:
  // Ghost BN's sub-batches of a batch of `rows` (one sub-batch without virtual_batch_size): first row, row count.
  void split_into_groups(std::size_t rows);
  void forward_train(const Compute& compute, const Matrix<T>& input, Matrix<T>& output);
  void forward_with_batch_statistics(const Compute& compute, const Matrix<T>& input, Matrix<T>& output);
  void apply_renorm(const Compute& compute, Matrix<T>& output);
  bool synchronizes() const { return spec_.synchronized && spans_processes(replicas_); }
  void forward_synchronized(const Compute& compute, const Matrix<T>& input, Matrix<T>& output);
  void backward_synchronized(const Compute& compute, const Matrix<T>& input, const Matrix<T>& output_gradient,
                             Matrix<T>& input_gradient);
  // `rows`: the rows behind the statistics of a single (sub-)batch, for the unbiased variance.
  void update_running_statistics(std::size_t rows);
  // Local BN across processes: the sums over every process's sub-batches of their mean and (corrected)
  // variance, and the number of sub-batches.
  std::size_t gather_sub_batch_statistics(std::vector<double>& mean_sums, std::vector<double>& variance_sums);

  std::size_t features_;
  BatchNormSpec spec_;
  std::vector<T> gamma_, beta_;  // empty when scale / center is off
  std::vector<T> gamma_gradient_, beta_gradient_;
  std::vector<T> running_mean_, running_variance_;  // empty without running_stats
  std::vector<T> renorm_mean_, renorm_stddev_;      // empty without renorm
  std::vector<T> num_batches_tracked_;              // [1] when spec.counts_steps(), else empty
  std::vector<std::pair<std::size_t, std::size_t>> groups_;  // from the last training forward
  std::vector<T> batch_mean_, batch_variance_, rstd_;        // from the last training forward, per group
  std::vector<T> renorm_r_, renorm_d_, affine_scale_, affine_shift_;  // renorm's r, d and r·γ, γ·d + β
  std::vector<T> group_dgamma_, group_dbeta_;                          // backward scratch
  Matrix<T> x_hat_;
  Matrix<T> unused_input_gradient_;
  // Inference with batch statistics must not disturb what the last training forward kept for backward.
  Matrix<T> inference_x_hat_;
  std::vector<T> inference_mean_, inference_variance_, inference_rstd_;
  const Replicas* replicas_ = nullptr;
  std::size_t synchronized_rows_ = 0;  // the whole batch's rows, every process's (synchronized training)
  std::vector<double> partial_, gathered_;  // exchange buffers
};

}  // namespace bnrun::nn
