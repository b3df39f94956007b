#include "nn/layers/batchnorm.h"

#include <fmt/format.h>
#include <algorithm>
#include <array>
#include <cmath>
#include <utility>

#include "core/names.h"
#include "kernels/batchnorm.h"
#include "kernels/batchnorm_split.h"

namespace bnrun::nn {

namespace {

constexpr std::array<std::pair<RunningVariance, std::string_view>, 2> running_variance_table = {{
    {RunningVariance::biased, "biased"},
    {RunningVariance::unbiased, "unbiased"},
}};

// The widest sub-batch a config may ask for, as training.batch_size's limit.
constexpr std::int64_t max_virtual_batch_size = 100'000'000;

// A number (a constant bound) or {"start", "end", "warmup_steps", "ramp_steps"}, each bound at least `minimum`.
ClipSchedule read_schedule(ObjectReader& parent, std::string_view key, const ClipSchedule& fallback, double minimum,
                           Defaults defaults) {
  const nlohmann::json* value = parent.optional(key);
  parent.describe(key, {{"anyOf",
                         {{{"type", "number"}, {"minimum", minimum}},
                          {{"$object", SchemaRecorder::general_path(parent.path_of(key))}}}}});
  if (!value) {
    if (defaults == Defaults::refused) parent.required(key);
    return fallback;
  }
  const ObjectReader::Range bound{minimum, HUGE_VAL, true, false, fmt::format("at least {}", minimum)};
  ClipSchedule schedule;
  if (value->is_number()) {
    schedule.start = schedule.end = value->get<double>();
    if (!std::isfinite(schedule.start) || schedule.start < minimum)
      throw KeyPathError(parent.path_of(key), fmt::format("expected a number at least {}, got {}", minimum,
                                                           describe_value(*value)));
    return schedule;
  }
  if (!value->is_object())
    throw KeyPathError(parent.path_of(key),
                       fmt::format("expected a number or an object {{\"start\", \"end\", \"warmup_steps\", "
                                   "\"ramp_steps\"}}, got {}",
                                   describe_value(*value)));
  ObjectReader reader(*value, parent.path_of(key));
  reader.required("start");  // throws "is required but missing"
  schedule.start = reader.number_or("start", 0.0, bound);
  schedule.end = read_number(reader, "end", schedule.start, bound, defaults);
  schedule.warmup_steps = reader.has("warmup_steps") || defaults == Defaults::refused
                              ? reader.required_integer("warmup_steps", 0)
                              : 0;
  schedule.ramp_steps =
      reader.has("ramp_steps") || defaults == Defaults::refused ? reader.required_integer("ramp_steps", 0) : 0;
  reader.finish();
  if (schedule.end < schedule.start)
    throw KeyPathError(reader.path_of("end"),
                       fmt::format("{} is below start {}: a schedule relaxes the clipping over training, it never "
                                   "tightens it",
                                   schedule.end, schedule.start));
  return schedule;
}

nlohmann::ordered_json schedule_to_json(const ClipSchedule& schedule) {
  return {{"start", schedule.start},
          {"end", schedule.end},
          {"warmup_steps", schedule.warmup_steps},
          {"ramp_steps", schedule.ramp_steps}};
}

}  // namespace

RenormSpec read_renorm_settings(ObjectReader& reader, Defaults defaults) {
  RenormSpec renorm;
  renorm.momentum = read_number(reader, "momentum", renorm.momentum, {0.0, 1.0, true, true, "in [0, 1]"}, defaults);
  renorm.r_max = read_schedule(reader, "r_max", renorm.r_max, 1.0, defaults);
  renorm.d_max = read_schedule(reader, "d_max", renorm.d_max, 0.0, defaults);
  return renorm;
}

nlohmann::ordered_json renorm_to_json(const RenormSpec& renorm) {
  return {{"momentum", renorm.momentum},
          {"r_max", schedule_to_json(renorm.r_max)},
          {"d_max", schedule_to_json(renorm.d_max)}};
}

double ClipSchedule::at(std::int64_t step) const {
  if (step < warmup_steps) return start;
  if (step >= warmup_steps + ramp_steps) return end;
  return start + (end - start) * static_cast<double>(step - warmup_steps) / static_cast<double>(ramp_steps);
}

// The keys added with the modes (running_stats, virtual_batch_size, renorm) may be absent from a model file too:
// files written before them are plain BatchNorm.
BatchNormSpec BatchNormSpec::from_json(ObjectReader& reader, Defaults defaults) {
  BatchNormSpec batchnorm;
  if (const nlohmann::json* momentum = reader.has("momentum") ? reader.optional("momentum") : nullptr;
      momentum && momentum->is_null())
    batchnorm.momentum.reset();
  else
    batchnorm.momentum =
        read_number(reader, "momentum", *batchnorm.momentum, {0.0, 1.0, true, true, "in [0, 1] or null"}, defaults);
  // null: the cumulative average (read above, before the number).
  reader.also_accept("momentum", {{"type", "null"}});
  batchnorm.epsilon = read_number(reader, "epsilon", batchnorm.epsilon, positive(), defaults);
  batchnorm.center = read_boolean(reader, "center", batchnorm.center, defaults);
  batchnorm.scale = read_boolean(reader, "scale", batchnorm.scale, defaults);
  batchnorm.running_variance =
      *value_in(running_variance_table,
                read_choice(reader, "running_variance", name_in(running_variance_table, batchnorm.running_variance),
                            names_in(running_variance_table), defaults));
  batchnorm.running_stats = reader.boolean_or("running_stats", batchnorm.running_stats);
  if (const nlohmann::json* size = reader.optional("virtual_batch_size"); size && !size->is_null())
    batchnorm.virtual_batch_size = read_integer(*size, reader.path_of("virtual_batch_size"), 2, max_virtual_batch_size);
  reader.describe("virtual_batch_size",
                  {{"anyOf", {{{"type", "null"}}, {{"type", "integer"}, {"minimum", 2}, {"maximum", max_virtual_batch_size}}}},
                   {"default", nullptr}});
  if (const nlohmann::json* renorm = reader.optional("renorm"); renorm && !renorm->is_null()) {
    ObjectReader renorm_reader(*renorm, reader.path_of("renorm"));
    batchnorm.renorm = read_renorm_settings(renorm_reader, defaults);
    renorm_reader.finish();
  }
  reader.also_accept("renorm", {{"type", "null"}});
  batchnorm.synchronized = reader.boolean_or("synchronized", batchnorm.synchronized);
  check_batchnorm_modes(batchnorm, reader.path_of("").substr(0, reader.path_of("").size() - 1));
  return batchnorm;
}

void check_batchnorm_modes(const BatchNormSpec& spec, const std::string& path) {
  if (spec.synchronized && spec.virtual_batch_size > 0)
    throw KeyPathError(path + ".synchronized",
                       "does not combine with virtual_batch_size (Ghost BN normalizes sub-batches, synchronized BN "
                       "the whole batch across processes)");
  if (spec.synchronized && spec.renorm)
    throw KeyPathError(path + ".synchronized", "does not combine with renorm");
  if (spec.running_stats) {
    if (spec.renorm && spec.virtual_batch_size > 0)
      throw KeyPathError(path + ".renorm",
                         "does not combine with virtual_batch_size (Keras computes r and d from the whole batch "
                         "but normalizes by sub-batch; bnrun offers neither mix)");
    return;
  }
  if (!spec.momentum)
    throw KeyPathError(path + ".momentum",
                       "null (a cumulative average of the running statistics) needs running statistics, but "
                       "running_stats is false");
  if (spec.virtual_batch_size > 0)
    throw KeyPathError(path + ".virtual_batch_size",
                       "needs running statistics for evaluation, but running_stats is false");
  if (spec.renorm)
    throw KeyPathError(path + ".renorm",
                       "corrects the batch statistics toward moving statistics, but running_stats is false");
}

void BatchNormSpec::to_json(nlohmann::ordered_json& object) const {
  object["momentum"] = momentum ? nlohmann::ordered_json(*momentum) : nlohmann::ordered_json(nullptr);
  object["epsilon"] = epsilon;
  object["center"] = center;
  object["scale"] = scale;
  object["running_variance"] = name_in(running_variance_table, running_variance);
  object["running_stats"] = running_stats;
  object["virtual_batch_size"] =
      virtual_batch_size > 0 ? nlohmann::ordered_json(virtual_batch_size) : nlohmann::ordered_json(nullptr);
  object["renorm"] = renorm ? renorm_to_json(*renorm) : nlohmann::ordered_json(nullptr);
  // Only when set, so that every other model's file and resolved config read as before.
  if (synchronized) object["synchronized"] = true;
}

std::vector<TensorInfo> BatchNormSpec::tensors(std::size_t input_width) const {
  std::vector<TensorInfo> result;
  if (scale) result.push_back({"gamma", {input_width}, true, true});
  if (center) result.push_back({"beta", {input_width}, true, true});
  if (running_stats) {
    result.push_back({"running_mean", {input_width}, false, true});
    result.push_back({"running_variance", {input_width}, false, true, true});
  }
  if (renorm) {
    result.push_back({"renorm_mean", {input_width}, false, true});
    result.push_back({"renorm_stddev", {input_width}, false, true, true});
  }
  if (counts_steps()) result.push_back({"num_batches_tracked", {1}, false, true, true});
  return result;
}

std::string BatchNormSpec::summary(bool) const {
  std::string text = momentum ? fmt::format("momentum {}, epsilon {}", *momentum, epsilon)
                              : fmt::format("cumulative average, epsilon {}", epsilon);
  if (!running_stats) text += ", batch statistics in inference";
  if (virtual_batch_size > 0) text += fmt::format(", virtual batches of {}", virtual_batch_size);
  if (renorm) text += ", renorm";
  if (synchronized) text += ", synchronized across processes";
  return text;
}

std::string BatchNormSpec::label() const {
  if (!running_stats) return "BN(batch stats)";
  if (virtual_batch_size > 0) return fmt::format("GhostBN({})", virtual_batch_size);
  if (renorm) return "BRN";
  if (synchronized) return "SyncBN";
  return momentum ? "BN" : "BN(cumulative)";
}

template <class T>
std::unique_ptr<Layer<T>> BatchNormSpec::build(const LayerPlace& place) const {
  return std::make_unique<BatchNorm<T>>(place.name, place.input_width, *this);
}

template std::unique_ptr<Layer<float>> BatchNormSpec::build<float>(const LayerPlace&) const;
template std::unique_ptr<Layer<double>> BatchNormSpec::build<double>(const LayerPlace&) const;

template <class T>
BatchNorm<T>::BatchNorm(std::string name, std::size_t features, const BatchNormSpec& spec)
    : Layer<T>(std::move(name)),
      features_(features),
      spec_(spec),
      gamma_(spec.scale ? features : 0, T{1}),
      beta_(spec.center ? features : 0, T{0}),
      gamma_gradient_(gamma_.size()),
      beta_gradient_(beta_.size()),
      running_mean_(spec.running_stats ? features : 0, T{0}),
      running_variance_(spec.running_stats ? features : 0, T{1}),
      renorm_mean_(spec.renorm ? features : 0, T{0}),
      renorm_stddev_(spec.renorm ? features : 0, T{1}),
      num_batches_tracked_(spec.counts_steps() ? 1 : 0, T{0}),
      batch_mean_(features),
      batch_variance_(features),
      rstd_(features) {}

template <class T>
void BatchNorm<T>::forward(const Compute& compute, const Matrix<T>& input, Matrix<T>& output, Mode mode) {
  output.reshape(input.rows, features_);
  if (mode == Mode::train) {
    forward_train(compute, input, output);
    return;
  }
  if (!spec_.running_stats) {
    forward_with_batch_statistics(compute, input, output);
    return;
  }
  kernels::batchnorm_forward_inference(compute, input.data(), input.rows, features_,
                                       spec_.scale ? gamma_.data() : nullptr, spec_.center ? beta_.data() : nullptr,
                                       running_mean_.data(), running_variance_.data(),
                                       static_cast<T>(spec_.epsilon), output.data());
}

// Sub-batches of virtual_batch_size rows; a remainder of two rows or more is a sub-batch of its own, a remainder
// of one row joins the sub-batch before it (alone its variance would be zero).
template <class T>
void BatchNorm<T>::split_into_groups(std::size_t rows) {
  groups_.clear();
  const auto size = spec_.virtual_batch_size > 0 ? static_cast<std::size_t>(spec_.virtual_batch_size) : rows;
  for (std::size_t first = 0; first < rows;) {
    std::size_t count = std::min(size, rows - first);
    if (rows - first - count == 1) ++count;
    groups_.push_back({first, count});
    first += count;
  }
}

template <class T>
void BatchNorm<T>::forward_train(const Compute& compute, const Matrix<T>& input, Matrix<T>& output) {
  const T* gamma = spec_.scale ? gamma_.data() : nullptr;
  const T* beta = spec_.center ? beta_.data() : nullptr;
  const auto epsilon = static_cast<T>(spec_.epsilon);
  split_into_groups(input.rows);
  if (synchronizes()) {
    forward_synchronized(compute, input, output);
    return;
  }
  const std::size_t statistics = groups_.size() * features_;
  if (batch_mean_.size() != statistics) {
    batch_mean_.resize(statistics);
    batch_variance_.resize(statistics);
    rstd_.resize(statistics);
  }
  x_hat_.reshape(input.rows, features_);
  for (std::size_t g = 0; g < groups_.size(); ++g) {
    const std::size_t offset = groups_[g].first * features_;
    const std::size_t statistic = g * features_;
    kernels::batchnorm_forward_train(compute, input.data() + offset, groups_[g].second, features_, gamma, beta,
                                     epsilon,
                                     {output.data() + offset, x_hat_.data() + offset, batch_mean_.data() + statistic,
                                      batch_variance_.data() + statistic, rstd_.data() + statistic});
  }
  if (spec_.renorm) apply_renorm(compute, output);
  update_running_statistics(groups_.size() == 1 ? groups_[0].second : 0);
}

template <class T>
void BatchNorm<T>::forward_synchronized(const Compute& compute, const Matrix<T>& input, Matrix<T>& output) {
  const std::size_t n = features_;
  const auto processes = static_cast<std::size_t>(replicas_->size());
  // [rows, Σx (n), Σ(x − slice mean)² (n)] per process.
  partial_.resize(1 + 2 * n);
  partial_[0] = static_cast<double>(input.rows);
  kernels::batchnorm_partial_statistics(compute, input.data(), input.rows, n, partial_.data() + 1,
                                        partial_.data() + 1 + n);
  gathered_.resize(processes * partial_.size());
  replicas_->all_gather(partial_, gathered_);
  const auto slice = [&](std::size_t r) { return gathered_.data() + r * partial_.size(); };
  double total_rows = 0.0;
  for (std::size_t r = 0; r < processes; ++r) total_rows += slice(r)[0];
  synchronized_rows_ = static_cast<std::size_t>(total_rows);
  batch_mean_.resize(n);
  batch_variance_.resize(n);
  rstd_.resize(n);
  for (std::size_t j = 0; j < n; ++j) {
    double sum = 0.0;
    for (std::size_t r = 0; r < processes; ++r) sum += slice(r)[1 + j];
    const double mean = sum / total_rows;
    double squared_deviations = 0.0;
    for (std::size_t r = 0; r < processes; ++r) {
      const double rows = slice(r)[0];
      if (rows == 0.0) continue;
      const double offset = slice(r)[1 + j] / rows - mean;
      squared_deviations += slice(r)[1 + n + j] + rows * offset * offset;
    }
    const double variance = squared_deviations / total_rows;
    batch_mean_[j] = static_cast<T>(mean);
    batch_variance_[j] = static_cast<T>(variance);
    rstd_[j] = static_cast<T>(1.0 / std::sqrt(variance + spec_.epsilon));
  }
  x_hat_.reshape(input.rows, n);
  kernels::batchnorm_normalize(compute, input.data(), input.rows, n, batch_mean_.data(), rstd_.data(),
                               spec_.scale ? gamma_.data() : nullptr, spec_.center ? beta_.data() : nullptr,
                               x_hat_.data(), output.data());
  update_running_statistics(synchronized_rows_);
}

template <class T>
void BatchNorm<T>::forward_with_batch_statistics(const Compute& compute, const Matrix<T>& input, Matrix<T>& output) {
  inference_x_hat_.reshape(input.rows, features_);
  inference_mean_.resize(features_);
  inference_variance_.resize(features_);
  inference_rstd_.resize(features_);
  kernels::batchnorm_forward_train(compute, input.data(), input.rows, features_, spec_.scale ? gamma_.data() : nullptr,
                                   spec_.center ? beta_.data() : nullptr, static_cast<T>(spec_.epsilon),
                                   {output.data(), inference_x_hat_.data(), inference_mean_.data(),
                                    inference_variance_.data(), inference_rstd_.data()});
}

// Batch Renormalization, as Keras computes it: with the moving statistics before this step's update,
// σ = max(renorm_stddev, sqrt(ε)), r = clip(σ_B/σ, 1/r_max, r_max), d = clip((μ_B − μ)/σ, −d_max, d_max), and
// y = γ·(x̂·r + d) + β = (r·γ)·x̂ + (γ·d + β). The kernel's x̂ stays what backward needs.
template <class T>
void BatchNorm<T>::apply_renorm(const Compute& compute, Matrix<T>& output) {
  const RenormSpec& renorm = *spec_.renorm;
  const auto step = static_cast<std::int64_t>(num_batches_tracked_[0]);
  const double r_max = renorm.r_max.at(step);
  const double d_max = renorm.d_max.at(step);
  const double floor = std::sqrt(spec_.epsilon);
  renorm_r_.resize(features_);
  renorm_d_.resize(features_);
  affine_scale_.resize(features_);
  affine_shift_.resize(features_);
  for (std::size_t j = 0; j < features_; ++j) {
    const double batch_stddev = std::sqrt(static_cast<double>(batch_variance_[j]) + spec_.epsilon);
    const double moving_stddev = std::max(static_cast<double>(renorm_stddev_[j]), floor);
    const double r = std::clamp(batch_stddev / moving_stddev, 1.0 / r_max, r_max);
    const double d = std::clamp((static_cast<double>(batch_mean_[j]) - renorm_mean_[j]) / moving_stddev, -d_max, d_max);
    renorm_r_[j] = static_cast<T>(r);
    renorm_d_[j] = static_cast<T>(d);
    const double gamma = spec_.scale ? static_cast<double>(gamma_[j]) : 1.0;
    const double beta = spec_.center ? static_cast<double>(beta_[j]) : 0.0;
    affine_scale_[j] = static_cast<T>(r * gamma);
    affine_shift_[j] = static_cast<T>(gamma * d + beta);
    renorm_mean_[j] = static_cast<T>(renorm.momentum * renorm_mean_[j] + (1.0 - renorm.momentum) * batch_mean_[j]);
    renorm_stddev_[j] = static_cast<T>(renorm.momentum * renorm_stddev_[j] + (1.0 - renorm.momentum) * batch_stddev);
  }
  kernels::batchnorm_affine(compute, x_hat_.data(), output.rows, features_, affine_scale_.data(), affine_shift_.data(),
                            output.data());
}

// One update per step, toward the mean over the sub-batches of their statistics (Keras' Ghost BN; with one
// sub-batch, the batch's). The unbiased variance corrects each sub-batch by its own rows. Local BN across processes
// takes every process's sub-batches, in rank order: with one sub-batch per process, Ghost BN's update exactly.
template <class T>
void BatchNorm<T>::update_running_statistics(std::size_t rows) {
  if (spec_.counts_steps()) num_batches_tracked_[0] += T{1};
  if (!spec_.running_stats) return;
  // momentum null: the k-th batch weighs 1/k, so the running statistics are the plain average of all batches.
  const double take = spec_.momentum ? 1.0 - *spec_.momentum : 1.0 / static_cast<double>(num_batches_tracked_[0]);
  const double keep = spec_.momentum ? *spec_.momentum : 1.0 - take;
  const auto correction = [&](std::size_t group_rows) {
    return spec_.running_variance == RunningVariance::unbiased && group_rows > 1
               ? static_cast<double>(group_rows) / static_cast<double>(group_rows - 1)
               : 1.0;
  };
  const bool local_across_processes = spans_processes(replicas_) && !spec_.synchronized;
  if (rows > 0 && !local_across_processes) {
    const double variance_correction = correction(rows);
    for (std::size_t j = 0; j < features_; ++j) {
      running_mean_[j] = static_cast<T>(keep * running_mean_[j] + take * batch_mean_[j]);
      running_variance_[j] =
          static_cast<T>(keep * running_variance_[j] + take * variance_correction * batch_variance_[j]);
    }
    return;
  }
  std::vector<double>& mean_sums = partial_;
  std::vector<double> variance_sums(features_, 0.0);
  mean_sums.assign(features_, 0.0);
  for (std::size_t g = 0; g < groups_.size(); ++g)
    for (std::size_t j = 0; j < features_; ++j) {
      mean_sums[j] += batch_mean_[g * features_ + j];
      variance_sums[j] += correction(groups_[g].second) * batch_variance_[g * features_ + j];
    }
  std::size_t group_count = groups_.size();
  if (local_across_processes) group_count = gather_sub_batch_statistics(mean_sums, variance_sums);
  const auto groups = static_cast<double>(group_count);
  for (std::size_t j = 0; j < features_; ++j) {
    running_mean_[j] = static_cast<T>(keep * running_mean_[j] + take * (mean_sums[j] / groups));
    running_variance_[j] = static_cast<T>(keep * running_variance_[j] + take * (variance_sums[j] / groups));
  }
}

// Each process sends [sub-batches, Σ means (features), Σ variances (features)]; every process adds them in rank
// order, so each sum runs over the sub-batches in the order one process would have met them.
template <class T>
std::size_t BatchNorm<T>::gather_sub_batch_statistics(std::vector<double>& mean_sums,
                                                      std::vector<double>& variance_sums) {
  const std::size_t n = features_;
  std::vector<double> local(1 + 2 * n);
  local[0] = static_cast<double>(groups_.size());
  std::copy(mean_sums.begin(), mean_sums.end(), local.begin() + 1);
  std::copy(variance_sums.begin(), variance_sums.end(), local.begin() + 1 + static_cast<std::ptrdiff_t>(n));
  const auto processes = static_cast<std::size_t>(replicas_->size());
  gathered_.resize(processes * local.size());
  replicas_->all_gather(local, gathered_);
  double groups = 0.0;
  std::fill(mean_sums.begin(), mean_sums.end(), 0.0);
  std::fill(variance_sums.begin(), variance_sums.end(), 0.0);
  for (std::size_t r = 0; r < processes; ++r) {
    const double* slice = gathered_.data() + r * local.size();
    groups += slice[0];
    for (std::size_t j = 0; j < n; ++j) {
      mean_sums[j] += slice[1 + j];
      variance_sums[j] += slice[1 + n + j];
    }
  }
  return static_cast<std::size_t>(groups);
}

// Each sub-batch back-propagates through its own statistics. With renorm, r and d are constants: the kernel runs
// with r·γ in place of γ (dx = rstd·r·γ·(dy − mean(dy) − x̂·mean(dy·x̂))), and dγ = r·Σdy·x̂ + d·Σdy.
template <class T>
void BatchNorm<T>::backward(const Compute& compute, const Matrix<T>& input, const Matrix<T>&,
                            const Matrix<T>& output_gradient, Matrix<T>* input_gradient) {
  // As the first layer, BN's dx is not needed but the kernel computes it anyway (it is one cheap pass).
  Matrix<T>& dx = input_gradient ? *input_gradient : unused_input_gradient_;
  dx.reshape(input.rows, features_);
  if (synchronizes()) {
    backward_synchronized(compute, input, output_gradient, dx);
    return;
  }
  const T* gamma = spec_.renorm ? affine_scale_.data() : spec_.scale ? gamma_.data() : nullptr;
  T* dgamma = spec_.scale ? gamma_gradient_.data() : nullptr;
  T* dbeta = spec_.center ? beta_gradient_.data() : nullptr;
  if (groups_.size() == 1 && !spec_.renorm) {
    kernels::batchnorm_backward(compute, output_gradient.data(), x_hat_.data(), rstd_.data(), gamma, input.rows,
                                features_, dx.data(), dgamma, dbeta);
    return;
  }
  // Per sub-batch sums into scratch, then added in sub-batch order.
  group_dgamma_.resize(groups_.size() * features_);
  group_dbeta_.resize(groups_.size() * features_);
  for (std::size_t g = 0; g < groups_.size(); ++g) {
    const std::size_t offset = groups_[g].first * features_;
    kernels::batchnorm_backward(compute, output_gradient.data() + offset, x_hat_.data() + offset,
                                rstd_.data() + g * features_, gamma, groups_[g].second, features_, dx.data() + offset,
                                group_dgamma_.data() + g * features_, group_dbeta_.data() + g * features_);
  }
  for (std::size_t j = 0; j < features_; ++j) {
    double sum_dy_x_hat = 0.0;
    double sum_dy = 0.0;
    for (std::size_t g = 0; g < groups_.size(); ++g) {
      sum_dy_x_hat += group_dgamma_[g * features_ + j];
      sum_dy += group_dbeta_[g * features_ + j];
    }
    if (dbeta) dbeta[j] = static_cast<T>(sum_dy);
    if (dgamma)
      dgamma[j] = spec_.renorm ? static_cast<T>(static_cast<double>(renorm_r_[j]) * sum_dy_x_hat +
                                                static_cast<double>(renorm_d_[j]) * sum_dy)
                               : static_cast<T>(sum_dy_x_hat);
  }
}

// dγ and dβ are this process's own sums: the trainer adds every process's parameter gradients. dx needs the whole
// batch's Σdy and Σdy·x̂.
template <class T>
void BatchNorm<T>::backward_synchronized(const Compute& compute, const Matrix<T>& input,
                                         const Matrix<T>& output_gradient, Matrix<T>& input_gradient) {
  const std::size_t n = features_;
  partial_.resize(2 * n);
  kernels::batchnorm_partial_gradient_sums(compute, output_gradient.data(), x_hat_.data(), input.rows, n,
                                           partial_.data(), partial_.data() + n);
  for (std::size_t j = 0; j < n; ++j) {
    if (spec_.center) beta_gradient_[j] = static_cast<T>(partial_[j]);
    if (spec_.scale) gamma_gradient_[j] = static_cast<T>(partial_[n + j]);
  }
  sum_in_rank_order(*replicas_, std::span<double>(partial_));
  kernels::batchnorm_input_gradient(compute, output_gradient.data(), x_hat_.data(), rstd_.data(),
                                    spec_.scale ? gamma_.data() : nullptr, input.rows, n, partial_.data(),
                                    partial_.data() + n, synchronized_rows_, input_gradient.data());
}

template <class T>
std::vector<Parameter<T>> BatchNorm<T>::parameters() {
  std::vector<Parameter<T>> result;
  if (spec_.scale) result.push_back({this->name() + "/gamma", &gamma_, &gamma_gradient_, false});
  if (spec_.center) result.push_back({this->name() + "/beta", &beta_, &beta_gradient_, false});
  return result;
}

template <class T>
std::vector<StateTensor<T>> BatchNorm<T>::state() {
  std::vector<StateTensor<T>> result;
  if (spec_.running_stats) {
    result.push_back({this->name() + "/running_mean", &running_mean_});
    result.push_back({this->name() + "/running_variance", &running_variance_});
  }
  if (spec_.renorm) {
    result.push_back({this->name() + "/renorm_mean", &renorm_mean_});
    result.push_back({this->name() + "/renorm_stddev", &renorm_stddev_});
  }
  if (spec_.counts_steps()) result.push_back({this->name() + "/num_batches_tracked", &num_batches_tracked_});
  return result;
}

template class BatchNorm<float>;
template class BatchNorm<double>;

}  // namespace bnrun::nn
