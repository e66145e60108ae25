//! Small random-number helpers shared by the main stream (ChaCha8, portable and reproducible) and
//! the per-person stream (SplitMix64 keyed by seed and person index, so a person's stable
//! attributes are recomputed on demand instead of stored).

use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The SplitMix64 finaliser: a bijection on `u64` with good avalanche.
pub(crate) fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// SplitMix64: tiny, fast, portable; used for per-person attribute streams.
#[derive(Debug, Clone)]
pub(crate) struct SplitMix(pub(crate) u64);

/// Uniform draws built on a 64-bit source.
pub(crate) trait Draw {
    fn u64(&mut self) -> u64;

    /// Uniform in [0, 1).
    #[inline]
    fn f(&mut self) -> f64 {
        (self.u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in 0..n (multiply-shift; the bias is below 2^-32 and irrelevant here).
    #[inline]
    fn below(&mut self, n: u32) -> u32 {
        (((self.u64() >> 32) * u64::from(n)) >> 32) as u32
    }

    /// Uniform in lo..=hi.
    #[inline]
    fn range(&mut self, lo: u32, hi: u32) -> u32 {
        lo + self.below(hi - lo + 1)
    }

    #[inline]
    fn chance(&mut self, p: f64) -> bool {
        self.f() < p
    }

    /// Index drawn from a cumulative table whose last entry is the total weight.
    #[inline]
    fn pick(&mut self, cum: &[f64]) -> usize {
        let total = cum.last().copied().unwrap_or(0.0);
        let x = self.f() * total;
        cum.partition_point(|&c| c <= x).min(cum.len().saturating_sub(1))
    }

    /// Standard normal (Box–Muller, one of the pair).
    #[inline]
    fn normal(&mut self) -> f64 {
        let u1 = 1.0 - self.f(); // (0, 1]
        let u2 = self.f();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }

    /// Log-normal with the given median and log-scale standard deviation.
    #[inline]
    fn lognormal(&mut self, median: f64, sigma: f64) -> f64 {
        median * (sigma * self.normal()).exp()
    }

    /// Exponential with the given mean.
    #[inline]
    fn exponential(&mut self, mean: f64) -> f64 {
        -mean * (1.0 - self.f()).ln()
    }
}

impl Draw for SplitMix {
    #[inline]
    fn u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        mix64(self.0)
    }
}

/// The main stream: ChaCha8 (portable, reproducible across platforms), keeping the second normal
/// of each Box–Muller pair.
pub(crate) struct MainRng {
    inner: ChaCha8Rng,
    spare: Option<f64>,
}

impl MainRng {
    pub(crate) fn new(seed: u64) -> MainRng {
        MainRng {
            inner: ChaCha8Rng::seed_from_u64(seed),
            spare: None,
        }
    }
}

impl Draw for MainRng {
    #[inline]
    fn u64(&mut self) -> u64 {
        self.inner.next_u64()
    }

    #[inline]
    fn normal(&mut self) -> f64 {
        if let Some(z) = self.spare.take() {
            return z;
        }
        let u1 = 1.0 - self.f();
        let u2 = self.f();
        let r = (-2.0 * u1.ln()).sqrt();
        let (s, c) = (std::f64::consts::TAU * u2).sin_cos();
        self.spare = Some(r * s);
        r * c
    }
}

/// Turn a weight list into a cumulative table.
pub(crate) fn cumulative<const N: usize>(w: [f64; N]) -> [f64; N] {
    let mut out = [0.0; N];
    let mut acc = 0.0;
    for (o, x) in out.iter_mut().zip(w) {
        acc += x;
        *o = acc;
    }
    out
}
