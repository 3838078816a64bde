#include "shoal/dashboard/time_series.hpp"

#include <cmath>

namespace shoal::dashboard {

bucket_series::bucket_series(double step_s, std::size_t count)
    : step_(step_s > 0 ? step_s : 1.0),
      keys_(count == 0 ? 1 : count, -1),
      values_(count == 0 ? 1 : count, 0.0) {}

std::int64_t bucket_series::key_of(double t) const {
    return static_cast<std::int64_t>(std::floor(t / step_));
}

double* bucket_series::slot(double t, bool reset) {
    if (!(t >= 0) || !std::isfinite(t)) return nullptr;
    const std::int64_t key = key_of(t);
    const auto n = static_cast<std::int64_t>(keys_.size());
    const auto i = static_cast<std::size_t>(key % n);
    if (keys_[i] > key) return nullptr;  // older than the ring holds
    if (keys_[i] != key) {
        keys_[i] = key;
        values_[i] = 0;
    } else if (reset) {
        values_[i] = 0;
    }
    return &values_[i];
}

void bucket_series::add(double t, double value) {
    if (double* v = slot(t, false)) *v += value;
}

void bucket_series::set(double t, double value) {
    if (double* v = slot(t, true)) *v = value;
}

std::vector<double> bucket_series::window(double now, double missing) const {
    const auto n = static_cast<std::int64_t>(keys_.size());
    std::vector<double> out(keys_.size(), missing);
    if (!(now >= 0) || !std::isfinite(now)) return out;
    const std::int64_t last = key_of(now);
    for (std::int64_t j = 0; j < n; ++j) {
        const std::int64_t key = last - (n - 1) + j;
        if (key < 0) continue;
        const auto i = static_cast<std::size_t>(key % n);
        if (keys_[i] == key) out[static_cast<std::size_t>(j)] = values_[i];
    }
    return out;
}

double bucket_series::rate(double now, double seconds) const {
    if (!(now >= 0) || !std::isfinite(now) || seconds <= 0) return 0;
    const auto n = static_cast<std::int64_t>(keys_.size());
    auto buckets = static_cast<std::int64_t>(std::llround(seconds / step_));
    if (buckets < 1) buckets = 1;
    if (buckets > n - 1) buckets = n - 1;
    if (buckets < 1) return 0;
    const std::int64_t current = key_of(now);
    double sum = 0;
    for (std::int64_t key = current - buckets; key < current; ++key) {
        if (key < 0) continue;
        const auto i = static_cast<std::size_t>(key % n);
        if (keys_[i] == key) sum += values_[i];
    }
    return sum / (static_cast<double>(buckets) * step_);
}

bool bucket_series::any_since(double now) const {
    const auto n = static_cast<std::int64_t>(keys_.size());
    const std::int64_t oldest = key_of(now) - n + 1;
    for (std::size_t i = 0; i < keys_.size(); ++i) {
        if (keys_[i] >= oldest && values_[i] != 0) return true;
    }
    return false;
}

}  // namespace shoal::dashboard
