//! The attacker's interval: the smallest and the largest value a suppressed cell can take given
//! everything published — the shown cells, every constraint, and the bounds (a suppressed published
//! count is at least 1, since zeros are shown; a hidden remainder is at least 0). Two linear
//! programmes per cell over the cells of its component, sharing one phase 1.
//!
//! Dense two-phase primal simplex on `A y = b, y >= 0` with `y = x - lower` (so `b = A (x* - lower)`
//! from the true values `x*`, a known feasible point). Phase 1 adds an artificial column per row
//! and drives them to zero (possible since the system is feasible); artificials left basic at zero
//! are pivoted out or their (redundant) rows dropped. Phase 2 maximises `±y_i` from that basis,
//! reporting "unbounded" when an improving column has no positive entry.
//!
//! The iteration cap of the simplex is a safety net: a programme that does not finish counts as
//! "range not proven", so the caller suppresses more — never less.

use super::EPS;
use super::linear::sub_scaled;

/// The outcome of one optimisation.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Optimum {
    /// The optimum and a point attaining it.
    Value(f64, Vec<f64>),
    Unbounded,
    /// The iteration cap was reached (not expected; treated as the narrowest answer).
    Unfinished,
}

/// A feasible basis of `A y = b, y >= 0`, ready for phase 2.
pub(super) struct Feasible {
    /// `rows × (n + 1)`: `B⁻¹ A` and `B⁻¹ b` in the last column.
    tableau: Vec<Vec<f64>>,
    basis: Vec<usize>,
    n: usize,
}

impl Feasible {
    /// Phase 1 for `rows` (dense, `n` columns) and right-hand side `rhs`. `None` when phase 1 does
    /// not finish or leaves the system infeasible (which the caller treats as "not proven").
    pub(super) fn new(rows: &[Vec<f64>], rhs: &[f64], n: usize) -> Option<Feasible> {
        let m = rows.len();
        let width = n + m;
        let mut tableau: Vec<Vec<f64>> = rows
            .iter()
            .zip(rhs)
            .enumerate()
            .map(|(i, (row, &b))| {
                let sign = if b < 0.0 { -1.0 } else { 1.0 };
                let mut t = vec![0.0; width + 1];
                for (j, &a) in row.iter().enumerate() {
                    t[j] = sign * a;
                }
                t[n + i] = 1.0;
                t[width] = sign * b;
                t
            })
            .collect();
        let mut basis: Vec<usize> = (n..n + m).collect();
        // Maximise -sum(artificials): reduced costs of the structural columns are the column sums.
        let mut cost = vec![0.0; width];
        for row in &tableau {
            for j in 0..n {
                cost[j] += row[j];
            }
        }
        if simplex(&mut tableau, &mut basis, &mut cost, None) != Some(true) {
            return None;
        }
        if basis.iter().zip(&tableau).any(|(&b, row)| b >= n && row[width] > 1e-7) {
            return None;
        }
        // Artificials still basic (at zero): pivot them out on any structural column, or drop the
        // row (it is a combination of the others).
        let mut i = 0;
        while i < tableau.len() {
            if basis[i] < n {
                i += 1;
                continue;
            }
            match (0..n).find(|&j| tableau[i][j].abs() > EPS) {
                Some(j) => {
                    pivot(&mut tableau, &mut basis, None, i, j);
                    i += 1;
                }
                None => {
                    tableau.remove(i);
                    basis.remove(i);
                }
            }
        }
        for row in &mut tableau {
            let b = row[width];
            row.truncate(n);
            row.push(b);
        }
        Some(Feasible { tableau, basis, n })
    }

    /// The maximum of `sign * y_j`, from the phase-1 basis (a copy: restarting from one well
    /// conditioned basis keeps rounding from accumulating across programmes).
    pub(super) fn optimum(&self, j: usize, sign: f64) -> Optimum {
        let mut tableau = self.tableau.clone();
        let mut basis = self.basis.clone();
        let n = self.n;
        // Reduced costs of c = sign * e_j against the basis.
        let mut cost = vec![0.0; n];
        cost[j] = sign;
        if let Some(r) = basis.iter().position(|&b| b == j) {
            let row = tableau[r][..n].to_vec();
            sub_scaled(&mut cost, sign, &row);
            cost[j] = 0.0;
        }
        match simplex(&mut tableau, &mut basis, &mut cost, Some(())) {
            None => Optimum::Unbounded,
            Some(false) => Optimum::Unfinished,
            Some(true) => {
                let mut y = vec![0.0; n];
                for (row, &b) in tableau.iter().zip(basis.iter()) {
                    y[b] = row[n].max(0.0);
                }
                Optimum::Value(sign * y[j], y)
            }
        }
    }
}

/// Pivot on row `r`, column `c` (the tableau's last column is the right-hand side).
fn pivot(tableau: &mut [Vec<f64>], basis: &mut [usize], cost: Option<&mut [f64]>, r: usize, c: usize) {
    let scale = tableau[r][c];
    for x in &mut tableau[r] {
        *x /= scale;
    }
    tableau[r][c] = 1.0;
    let pivot_row = tableau[r].clone();
    for (i, row) in tableau.iter_mut().enumerate() {
        let f = row[c];
        if i != r && f != 0.0 {
            sub_scaled(row, f, &pivot_row);
            row[c] = 0.0;
        }
    }
    if let Some(cost) = cost {
        let f = cost[c];
        let w = cost.len();
        sub_scaled(cost, f, &pivot_row[..w]);
        cost[c] = 0.0;
    }
    basis[r] = c;
}

/// Primal simplex, maximising with reduced costs `cost` (positive: improving). `Some(true)` at the
/// optimum, `Some(false)` when the iteration cap is reached, `None` when unbounded (only reported
/// when `detect_unbounded` is given; phase 1 is bounded). Dantzig's rule, Bland's during long
/// degenerate stretches, so it cannot cycle.
pub(super) fn simplex(tableau: &mut [Vec<f64>], basis: &mut [usize], cost: &mut [f64], detect_unbounded: Option<()>) -> Option<bool> {
    let width = cost.len();
    let limit = 50 * (tableau.len() + width) + 1000;
    let mut degenerate_run = 0;
    for _ in 0..limit {
        let bland = degenerate_run > 16;
        let mut enter: Option<usize> = None;
        for (c, &rc) in cost.iter().enumerate() {
            if rc > EPS && enter.is_none_or(|e| rc > cost[e]) {
                enter = Some(c);
                if bland {
                    break;
                }
            }
        }
        let Some(c) = enter else { return Some(true) };
        let mut leave: Option<(usize, f64)> = None;
        for (i, row) in tableau.iter().enumerate() {
            let a = row[c];
            if a <= EPS {
                continue;
            }
            let ratio = row[width].max(0.0) / a;
            let better = match leave {
                None => true,
                Some((l, best)) => ratio < best - EPS || (ratio <= best + EPS && basis[i] < basis[l]),
            };
            if better {
                leave = Some((i, ratio));
            }
        }
        let Some((r, ratio)) = leave else {
            return if detect_unbounded.is_some() { None } else { Some(true) };
        };
        degenerate_run = if ratio <= EPS { degenerate_run + 1 } else { 0 };
        pivot(tableau, basis, Some(cost), r, c);
    }
    Some(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(o: Optimum) -> Option<f64> {
        match o {
            Optimum::Value(v, _) => Some(v),
            _ => None,
        }
    }

    #[test]
    fn two_cells_of_a_sum() {
        // y0 + y1 = 8 (two suppressed parts of a shown residual 10, each >= 1): y in [0, 8].
        let f = Feasible::new(&[vec![1.0, 1.0]], &[8.0], 2).expect("feasible");
        assert_eq!(value(f.optimum(0, 1.0)), Some(8.0));
        assert_eq!(value(f.optimum(0, -1.0)), Some(0.0));
    }

    #[test]
    fn an_open_direction_is_unbounded() {
        // y0 - y1 = 3: y0 can grow without bound.
        let f = Feasible::new(&[vec![1.0, -1.0]], &[3.0], 2).expect("feasible");
        assert!(matches!(f.optimum(0, 1.0), Optimum::Unbounded));
        assert_eq!(value(f.optimum(0, -1.0)), Some(-3.0));
    }

    #[test]
    fn redundant_rows_are_dropped() {
        let f = Feasible::new(&[vec![1.0, 1.0, 0.0], vec![2.0, 2.0, 0.0], vec![0.0, 1.0, 1.0]], &[4.0, 8.0, 5.0], 3)
            .expect("feasible");
        assert_eq!(value(f.optimum(1, 1.0)), Some(4.0));
        assert_eq!(value(f.optimum(2, 1.0)), Some(5.0));
        assert_eq!(value(f.optimum(2, -1.0)), Some(-1.0));
    }
}
