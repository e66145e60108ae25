//! Interval estimates for the outcome report: Wilson score intervals for proportions, Newcombe's
//! hybrid score interval for a difference of proportions, log-scale intervals for ratios, a
//! distribution-free interval for a median and the Price–Bonett interval for a difference of
//! medians. All at 95% unless a `z` is given.

use serde::Serialize;

/// The standard normal quantile for a two-sided 95% interval.
pub const Z95: f64 = 1.959_963_984_540_054;

/// A two-sided interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Interval {
    pub lower: f64,
    pub upper: f64,
}

impl Interval {
    /// Whether `x` lies inside the interval (bounds included).
    pub fn contains(&self, x: f64) -> bool {
        self.lower <= x && x <= self.upper
    }
}

/// A point estimate with its interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Estimate {
    pub value: f64,
    pub ci95: Interval,
}

/// Wilson score interval for `x` successes out of `n` (None when `n` is 0).
pub fn wilson(x: u64, n: u64, z: f64) -> Option<Interval> {
    if n == 0 || x > n {
        return None;
    }
    let (all, n) = (n, n as f64);
    let p = x as f64 / n;
    let z2 = z * z;
    let denom = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denom;
    let half = z / denom * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    // At 0 successes the lower bound is exactly 0, at n exactly 1 (the formula gives them only up
    // to rounding: 4.3e-19, 0.9999999999999999).
    let lower = if x == 0 { 0.0 } else { (centre - half).max(0.0) };
    let upper = if x == all { 1.0 } else { (centre + half).min(1.0) };
    Some(Interval { lower, upper })
}

/// Newcombe's hybrid score interval (method 10 of Newcombe 1998) for the difference
/// `x2/n2 - x1/n1` (comparison minus baseline).
pub fn newcombe_difference(x1: u64, n1: u64, x2: u64, n2: u64) -> Option<Estimate> {
    let (l1, u1) = wilson(x1, n1, Z95).map(|i| (i.lower, i.upper))?;
    let (l2, u2) = wilson(x2, n2, Z95).map(|i| (i.lower, i.upper))?;
    let p1 = x1 as f64 / n1 as f64;
    let p2 = x2 as f64 / n2 as f64;
    let d = p2 - p1;
    let lower = d - ((p2 - l2).powi(2) + (u1 - p1).powi(2)).sqrt();
    let upper = d + ((u2 - p2).powi(2) + (p1 - l1).powi(2)).sqrt();
    Some(Estimate { value: d, ci95: Interval { lower, upper } })
}

/// The ratio of two proportions `(x2/n2) / (x1/n1)` with the Katz log interval. A zero count gets
/// the usual 0.5 continuity correction in the interval; the ratio itself is undefined (None) when
/// the baseline proportion is zero.
pub fn ratio_of_proportions(x1: u64, n1: u64, x2: u64, n2: u64) -> Option<Estimate> {
    if n1 == 0 || n2 == 0 || x1 == 0 || x1 > n1 || x2 > n2 {
        return None;
    }
    let value = (x2 as f64 / n2 as f64) / (x1 as f64 / n1 as f64);
    let (a, b, c, d) = if x2 == 0 {
        (x1 as f64 + 0.5, n1 as f64 + 0.5, 0.5, n2 as f64 + 0.5)
    } else {
        (x1 as f64, n1 as f64, x2 as f64, n2 as f64)
    };
    let se = (1.0 / a - 1.0 / b + 1.0 / c - 1.0 / d).max(0.0).sqrt();
    let centre = ((c / d) / (a / b)).ln();
    Some(Estimate { value, ci95: Interval { lower: (centre - Z95 * se).exp(), upper: (centre + Z95 * se).exp() } })
}

/// The ratio of two event rates, `(x2/t2) / (x1/t1)`, counts treated as Poisson, with the log
/// interval (variance `1/x1 + 1/x2`). None when either count or exposure is zero.
pub fn rate_ratio(x1: u64, t1: f64, x2: u64, t2: f64) -> Option<Estimate> {
    if x1 == 0 || x2 == 0 || t1 <= 0.0 || t2 <= 0.0 {
        return None;
    }
    let value = (x2 as f64 / t2) / (x1 as f64 / t1);
    let se = (1.0 / x1 as f64 + 1.0 / x2 as f64).sqrt();
    Some(Estimate { value, ci95: Interval { lower: value * (-Z95 * se).exp(), upper: value * (Z95 * se).exp() } })
}

/// A group's rate divided by the overall rate, where the group is part of the whole
/// (`x_group <= x_all`, `n_group <= n_all`). The interval is the delta-method interval on the log
/// scale, treating the group and the rest as independent binomials (so the overlap of group and
/// whole is accounted for). Zero counts get a 0.5 correction in the variance only.
pub fn disparity_ratio(x_group: u64, n_group: u64, x_all: u64, n_all: u64) -> Option<Estimate> {
    if n_group == 0 || n_all == 0 || x_all == 0 || x_group > n_group || x_all > n_all || n_group > n_all {
        return None;
    }
    let x_rest = x_all.checked_sub(x_group)?;
    let n_rest = n_all - n_group;
    let p_all = x_all as f64 / n_all as f64;
    let value = (x_group as f64 / n_group as f64) / p_all;
    let corrected = |x: u64, n: u64| -> f64 {
        if x == 0 || x == n { (x as f64 + 0.5) / (n as f64 + 1.0) } else { x as f64 / n as f64 }
    };
    let pg = corrected(x_group, n_group);
    let w_group = n_group as f64 / n_all as f64;
    let var_pg = pg * (1.0 - pg) / n_group as f64;
    // d log(RR) / d p_group = 1/p_group - w_group/p_all; d log(RR) / d p_rest = -w_rest/p_all.
    let mut var = var_pg * (1.0 / pg - w_group / p_all).powi(2);
    if n_rest > 0 {
        let pr = corrected(x_rest, n_rest);
        let w_rest = n_rest as f64 / n_all as f64;
        var += pr * (1.0 - pr) / n_rest as f64 * (w_rest / p_all).powi(2);
    }
    let centre = (pg / p_all).ln();
    let se = var.sqrt();
    // With no events in the group the interval starts at 0 (the corrected centre only sets its width).
    let lower = if x_group == 0 { 0.0 } else { (centre - Z95 * se).exp() };
    Some(Estimate { value, ci95: Interval { lower, upper: (centre + Z95 * se).exp() } })
}

/// The difference of two means (comparison minus baseline) from sums and sums of squares, with a
/// normal (Welch) interval. None when either group has fewer than 2 members.
pub fn mean_difference(n1: u64, sum1: f64, sumsq1: f64, n2: u64, sum2: f64, sumsq2: f64) -> Option<Estimate> {
    if n1 < 2 || n2 < 2 {
        return None;
    }
    let var = |n: u64, s: f64, ss: f64| {
        let n = n as f64;
        ((ss - s * s / n) / (n - 1.0)).max(0.0) / n
    };
    let d = sum2 / n2 as f64 - sum1 / n1 as f64;
    let se = (var(n1, sum1, sumsq1) + var(n2, sum2, sumsq2)).sqrt();
    Some(Estimate { value: d, ci95: Interval { lower: d - Z95 * se, upper: d + Z95 * se } })
}

/// A median from a histogram of whole values (`hist[v]` = how many observations equal `v`), with
/// the distribution-free (order statistic) 95% interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Median {
    pub n: u64,
    pub value: f64,
    pub ci95: Interval,
}

/// The k-th smallest value (1-based) of a histogram.
fn order_statistic(hist: &[u64], k: u64) -> f64 {
    let mut seen = 0;
    for (v, &c) in hist.iter().enumerate() {
        seen += c;
        if seen >= k {
            return v as f64;
        }
    }
    hist.len().saturating_sub(1) as f64
}

/// The median of a histogram with its distribution-free interval; None when it is empty.
pub fn median_from_histogram(hist: &[u64]) -> Option<Median> {
    let n: u64 = hist.iter().sum();
    if n == 0 {
        return None;
    }
    let value = if n % 2 == 1 {
        order_statistic(hist, n / 2 + 1)
    } else {
        (order_statistic(hist, n / 2) + order_statistic(hist, n / 2 + 1)) / 2.0
    };
    let nf = n as f64;
    let half = Z95 * nf.sqrt() / 2.0;
    let lo = ((nf / 2.0 - half).floor() as u64).clamp(1, n);
    let hi = ((nf / 2.0 + half).ceil() as u64 + 1).clamp(1, n);
    Some(Median { n, value, ci95: Interval { lower: order_statistic(hist, lo), upper: order_statistic(hist, hi) } })
}

/// The difference of two medians (comparison minus baseline) with the Price–Bonett (2002)
/// approximate interval: each median's standard error is read off its distribution-free interval.
pub fn median_difference(baseline: &Median, comparison: &Median) -> Option<Estimate> {
    if baseline.n < 2 || comparison.n < 2 {
        return None;
    }
    let se = |m: &Median| (m.ci95.upper - m.ci95.lower) / (2.0 * Z95);
    let d = comparison.value - baseline.value;
    let s = (se(baseline).powi(2) + se(comparison).powi(2)).sqrt();
    Some(Estimate { value: d, ci95: Interval { lower: d - Z95 * s, upper: d + Z95 * s } })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    /// The bounds at 0 and n are exactly 0 and 1 (the formula alone gave 4.3e-19 and
    /// 0.9999999999999999 for some n, printed as such in the JSON).
    #[test]
    fn wilson_bounds_at_the_ends_are_exact() {
        for n in 1..20_000u64 {
            assert_eq!(wilson(0, n, Z95).map(|i| i.lower), Some(0.0), "0/{n}");
            assert_eq!(wilson(n, n, Z95).map(|i| i.upper), Some(1.0), "{n}/{n}");
        }
    }

    #[test]
    fn wilson_matches_newcombe_1998_table() {
        // Newcombe (1998), Statistics in Medicine 17:857, table II: 81/263 -> 0.2553 to 0.3662.
        let i = wilson(81, 263, Z95).unwrap();
        assert!(close(i.lower, 0.2553, 5e-4) && close(i.upper, 0.3662, 5e-4), "{i:?}");
        // 0/10 -> 0 to 0.2775.
        let i = wilson(0, 10, Z95).unwrap();
        assert!(close(i.lower, 0.0, 1e-12) && close(i.upper, 0.2775, 5e-4), "{i:?}");
        assert!(wilson(1, 0, Z95).is_none());
    }

    #[test]
    fn newcombe_difference_matches_published_example() {
        // Newcombe (1998b), method 10: 56/70 - 48/80 = 0.2000, 95% CI 0.0524 to 0.3339.
        let e = newcombe_difference(48, 80, 56, 70).unwrap();
        assert!(close(e.value, 0.2, 1e-12));
        assert!(close(e.ci95.lower, 0.0524, 5e-4) && close(e.ci95.upper, 0.3339, 5e-4), "{e:?}");
        // 9/10 - 3/10 = 0.6, CI 0.1705 to 0.8090.
        let e = newcombe_difference(3, 10, 9, 10).unwrap();
        assert!(close(e.ci95.lower, 0.1705, 5e-4) && close(e.ci95.upper, 0.8090, 5e-4), "{e:?}");
    }

    #[test]
    fn ratios_and_rates() {
        let r = ratio_of_proportions(10, 100, 20, 100).unwrap();
        assert!(close(r.value, 2.0, 1e-12));
        assert!(r.ci95.lower < 2.0 && r.ci95.upper > 2.0);
        assert!(ratio_of_proportions(0, 100, 5, 100).is_none());
        let r = rate_ratio(100, 365.0, 100, 365.0).unwrap();
        assert!(close(r.value, 1.0, 1e-12) && r.ci95.contains(1.0));
        // A group identical to the whole has ratio 1 and a narrow interval around it.
        let d = disparity_ratio(50, 200, 100, 400).unwrap();
        assert!(close(d.value, 1.0, 1e-12) && d.ci95.contains(1.0));
        let d = disparity_ratio(60, 100, 100, 1000).unwrap();
        assert!(close(d.value, 6.0, 1e-12) && d.ci95.lower > 1.0, "{d:?}");
        let z = disparity_ratio(0, 100, 100, 1000).unwrap();
        assert!(z.value == 0.0 && z.ci95.contains(0.0), "{z:?}");
    }

    #[test]
    fn medians() {
        let mut hist = vec![0u64; 10];
        for v in [1, 2, 3, 4, 5] {
            hist[v] += 1;
        }
        let m = median_from_histogram(&hist).unwrap();
        assert_eq!(m.value, 3.0);
        assert!(m.ci95.lower <= 3.0 && m.ci95.upper >= 3.0);
        hist[6] += 1;
        assert_eq!(median_from_histogram(&hist).unwrap().value, 3.5);
        assert!(median_from_histogram(&[0, 0]).is_none());
        let a = Median { n: 100, value: 30.0, ci95: Interval { lower: 28.0, upper: 32.0 } };
        let b = Median { n: 100, value: 35.0, ci95: Interval { lower: 33.0, upper: 37.0 } };
        let d = median_difference(&a, &b).unwrap();
        assert!(close(d.value, 5.0, 1e-12) && d.ci95.lower > 0.0);
    }

    #[test]
    fn mean_difference_welch() {
        // Two groups {1,1,1,3} and {2,2,2,6}: means 1.5 and 3.
        let d = mean_difference(4, 6.0, 12.0, 4, 12.0, 48.0).unwrap();
        assert!(close(d.value, 1.5, 1e-12));
        assert!(d.ci95.lower < 1.5 && d.ci95.upper > 1.5);
        assert!(mean_difference(1, 1.0, 1.0, 4, 4.0, 4.0).is_none());
    }
}
