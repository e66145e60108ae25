//! The linear algebra of the attacker: sparse reduced row echelon form, the cells the bounds pin,
//! a primal simplex, and union–find.

use super::EPS;

/// `dst -= factor * src`, snapping what cancels to exactly zero.
pub(super) fn sub_scaled(dst: &mut [f64], factor: f64, src: &[f64]) {
    for (d, &s) in dst.iter_mut().zip(src) {
        if s != 0.0 {
            *d -= factor * s;
            if d.abs() < EPS {
                *d = 0.0;
            }
        }
    }
}

/// A sparse row: `(column, value)` sorted by column, without zeros.
type SparseRow = Vec<(usize, f64)>;

/// `a - f * b`, dropping what cancels. Columns of `b` missing from `a` are pushed to `new_cols`.
fn sub_sparse(a: &[(usize, f64)], f: f64, b: &[(usize, f64)], new_cols: &mut Vec<usize>) -> SparseRow {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    loop {
        match (a.get(i), b.get(j)) {
            (None, None) => return out,
            (Some(&x), None) => {
                out.push(x);
                i += 1;
            }
            (Some(&(ca, va)), Some(&(cb, vb))) if ca <= cb => {
                let v = if ca == cb { va - f * vb } else { va };
                if v.abs() >= EPS {
                    out.push((ca, v));
                }
                i += 1;
                if ca == cb {
                    j += 1;
                }
            }
            (_, Some(&(cb, vb))) => {
                let v = -f * vb;
                if v.abs() >= EPS {
                    out.push((cb, v));
                    new_cols.push(cb);
                }
                j += 1;
            }
        }
    }
}

/// Reduced row echelon form in sparse rows, built one row at a time (Gauss–Jordan with partial
/// pivoting). Report tables give very sparse systems (a few entries per row after reduction), so
/// the cost follows the number of non-zeros rather than rows × columns.
pub(super) struct Rref {
    /// Each row has 1 at its pivot and no entry at any other row's pivot.
    pub(super) rows: Vec<SparseRow>,
    pub(super) pivots: Vec<usize>,
    /// Per column: the row pivoted on it.
    pivot_row: Vec<Option<usize>>,
    /// Per column: the rows that have (or once had) an entry there.
    holders: Vec<Vec<usize>>,
}

impl Rref {
    pub(super) fn new(width: usize) -> Self {
        Rref { rows: Vec::new(), pivots: Vec::new(), pivot_row: vec![None; width], holders: vec![Vec::new(); width] }
    }

    /// Adds a row (if independent). The pivot is the largest entry among the columns not marked
    /// `late`, or among the `late` ones if the row has nothing elsewhere. Rows pivoted on a `late`
    /// column therefore never have entries outside `late` columns.
    pub(super) fn add(&mut self, mut v: SparseRow, late: &[bool]) {
        v.retain(|&(_, x)| x.abs() >= EPS);
        let mut ignored = Vec::new();
        // Subtracting a row changes no other row's pivot column, so the factors are v's entries.
        let hits: Vec<(usize, f64)> = v.iter().filter_map(|&(c, x)| self.pivot_row[c].map(|r| (r, x))).collect();
        for (r, f) in hits {
            v = sub_sparse(&v, f, &self.rows[r], &mut ignored);
        }
        let mut pivot: Option<(usize, f64)> = None;
        for &(c, x) in &v {
            let better = match pivot {
                None => true,
                Some((b, y)) => match (late[c], late[b]) {
                    (false, true) => true,
                    (true, false) => false,
                    _ => x.abs() > y.abs(),
                },
            };
            if better {
                pivot = Some((c, x));
            }
        }
        let Some((p, scale)) = pivot else { return };
        for (c, x) in &mut v {
            *x = if *c == p { 1.0 } else { *x / scale };
        }
        let mut holders = std::mem::take(&mut self.holders[p]);
        holders.sort_unstable();
        holders.dedup();
        for r in holders {
            let Ok(k) = self.rows[r].binary_search_by_key(&p, |e| e.0) else { continue };
            let f = self.rows[r][k].1;
            let mut new_cols = Vec::new();
            self.rows[r] = sub_sparse(&self.rows[r], f, &v, &mut new_cols);
            for c in new_cols {
                self.holders[c].push(r);
            }
        }
        let index = self.rows.len();
        for &(c, _) in &v {
            self.holders[c].push(index);
        }
        self.pivot_row[p] = Some(index);
        self.pivots.push(p);
        self.rows.push(v);
    }

    /// The columns whose unit vector lies in the row space: pivots whose row has nothing else.
    pub(super) fn determined(&self) -> impl Iterator<Item = usize> + '_ {
        self.rows.iter().zip(&self.pivots).filter(|(row, _)| row.len() == 1).map(|(_, &p)| p)
    }
}

/// The at-floor columns that are zero in every non-negative vector `x` with `B x = 0`, where `B` is
/// the rows `floor_rows` of `rref` (their entries are all in at-floor columns). These are the cells
/// that the bounds `x >= 1` pin to 1. Rows that share no column are independent problems and are
/// solved separately.
pub(super) fn pinned_at_floor(rref: &Rref, floor_rows: &[usize]) -> Vec<usize> {
    let mut sets = DisjointSets::new(floor_rows.len());
    let mut owner = vec![usize::MAX; rref.pivot_row.len()];
    for (k, &i) in floor_rows.iter().enumerate() {
        for &(c, _) in &rref.rows[i] {
            if owner[c] == usize::MAX {
                owner[c] = k;
            } else {
                sets.union(owner[c], k);
            }
        }
    }
    let mut blocks: Vec<Vec<usize>> = vec![Vec::new(); floor_rows.len()];
    for (k, &i) in floor_rows.iter().enumerate() {
        blocks[sets.find(k)].push(i);
    }
    blocks.iter().filter(|b| !b.is_empty()).flat_map(|block| pinned_in_block(rref, block)).collect()
}

/// [`pinned_at_floor`] for one connected block of rows.
///
/// A greedy pass first proves most columns free by summing kernel basis vectors while the sum stays
/// non-negative; the rest are settled by one linear programme over the cone `{x >= 0, B x = 0}`:
/// maximise `sum(s_u)` subject to `s_u <= x_u`, `s_u <= 1`. Because the feasible set is a cone, the
/// optimum has `s_u = 1` for every column some kernel vector can make positive, and `s_u = 0` for the
/// pinned ones.
fn pinned_in_block(rref: &Rref, rows: &[usize]) -> Vec<usize> {
    // Dense over the columns the block uses.
    let mut cols: Vec<usize> = rows.iter().flat_map(|&i| rref.rows[i].iter().map(|e| e.0)).collect();
    cols.sort_unstable();
    cols.dedup();
    let q = cols.len();
    let position = |c: usize| cols.binary_search(&c).unwrap_or_default();
    let b: Vec<Vec<f64>> = rows
        .iter()
        .map(|&i| {
            let mut dense = vec![0.0; q];
            for &(c, x) in &rref.rows[i] {
                dense[position(c)] = x;
            }
            dense
        })
        .collect();
    let pivots: Vec<usize> = rows.iter().map(|&i| position(rref.pivots[i])).collect();
    let mut is_pivot = vec![false; q];
    for &p in &pivots {
        is_pivot[p] = true;
    }

    // Greedy: x = sum of kernel basis vectors e_f - B[:, f] (f non-pivot) while x stays >= 0.
    let mut x = vec![0.0; q];
    loop {
        let mut changed = false;
        for f in (0..q).filter(|&f| !is_pivot[f]) {
            if x[f] > 0.0 || !b.iter().zip(&pivots).all(|(row, &p)| x[p] - row[f] >= -EPS) {
                continue;
            }
            x[f] = 1.0;
            for (row, &p) in b.iter().zip(&pivots) {
                x[p] -= row[f];
                if x[p].abs() < EPS {
                    x[p] = 0.0;
                }
            }
            changed = true;
        }
        if !changed {
            break;
        }
    }
    let unknown: Vec<usize> = (0..q).filter(|&j| x[j] <= EPS).collect();
    if unknown.is_empty() {
        return Vec::new();
    }

    // The linear programme. Columns: x_j (j < q; for unknown columns x_j stands for the excess
    // x_j - s_j), then per unknown column u_k: s_k at q + 2k and its slack w_k at q + 2k + 1.
    // Rows: B (x + s) = 0, then s_k + w_k = 1. The starting basis is the pivots of B (identity
    // there, zero in the bound rows) and the slacks w_k: feasible with value 0.
    let m = b.len();
    let width = q + 2 * unknown.len();
    let mut tableau = vec![vec![0.0; width + 1]; m + unknown.len()];
    let mut basis = Vec::with_capacity(m + unknown.len());
    for (i, row) in b.iter().enumerate() {
        tableau[i][..q].copy_from_slice(row);
        for (k, &u) in unknown.iter().enumerate() {
            tableau[i][q + 2 * k] = row[u];
        }
        basis.push(pivots[i]);
    }
    let mut cost = vec![0.0; width];
    for k in 0..unknown.len() {
        let row = &mut tableau[m + k];
        row[q + 2 * k] = 1.0;
        row[q + 2 * k + 1] = 1.0;
        row[width] = 1.0;
        basis.push(q + 2 * k + 1);
        cost[q + 2 * k] = 1.0;
    }
    maximise(&mut tableau, &mut basis, &mut cost);
    let mut s = vec![0.0; unknown.len()];
    for (row, &var) in tableau.iter().zip(&basis) {
        if var >= q && (var - q).is_multiple_of(2) {
            s[(var - q) / 2] = row[width];
        }
    }
    unknown.iter().zip(&s).filter(|(_, v)| **v < 0.5).map(|(&u, _)| cols[u]).collect()
}

/// Primal simplex on a feasible tableau in canonical form (`basis[i]` is the unit column of row `i`;
/// the last column is the right-hand side), maximising with reduced costs `cost`. Dantzig's rule,
/// switching to Bland's rule during long degenerate stretches, so it cannot cycle. If the iteration
/// cap is ever reached the current (feasible, possibly sub-optimal) basis is kept, which only makes
/// the caller treat more cells as pinned — more suppression, never less.
pub(super) fn maximise(tableau: &mut [Vec<f64>], basis: &mut [usize], cost: &mut [f64]) {
    // The objective is at most the number of bound rows, so it is never unbounded here.
    let _ = super::range::simplex(tableau, basis, cost, None);
}

/// Union–find with path halving.
pub(super) struct DisjointSets {
    parent: Vec<usize>,
}

impl DisjointSets {
    pub(super) fn new(n: usize) -> Self {
        DisjointSets { parent: (0..n).collect() }
    }

    pub(super) fn find(&mut self, mut x: usize) -> usize {
        while self.parent[x] != x {
            self.parent[x] = self.parent[self.parent[x]];
            x = self.parent[x];
        }
        x
    }

    pub(super) fn union(&mut self, a: usize, b: usize) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra != rb {
            self.parent[ra.max(rb)] = ra.min(rb);
        }
    }
}

