//! Statistical disclosure control for public reports: primary and complementary cell suppression.
//!
//! A public report must not show any count from 1 to the threshold (10 by policy; zeros are shown),
//! and must not let a reader recover a suppressed count from the totals and margins it does show.
//! A report table is described here as a [`SuppressionProblem`]: count cells plus additive
//! constraints ("this total cell is the sum of these part cells"). A cell may take part in any
//! number of constraints, so 1-D tables, 2-D tables with margins, hierarchies (precinct → sector),
//! period series and their crossings are all expressed the same way.
//!
//! ## The attacker ([`derivable`])
//!
//! The reader knows the shown values, the constraints, and that every suppressed value is at least
//! 1 (zeros are shown). For a suppressed cell `i` the set of values consistent with that knowledge is
//! the projection of the polyhedron `P = { x : A x = b, x >= 1 }` (`A`: the constraints restricted to
//! the suppressed cells, `b`: what the shown cells leave over). The cell is *recoverable* when that
//! projection is a single point. This module decides it exactly (over the reals) from the true values
//! `x*`: let `Z` be the suppressed cells whose true value is 1 (they sit on their lower bound). Then
//! `x_i` is constant on `P` if and only if every direction `d` with `A d = 0` and `d_Z >= 0` has
//! `d_i = 0` (such a `d` is exactly the difference between another feasible point and `x*`). This is
//! computed in two steps:
//!
//! 1. the cells of `Z` that are pinned to 1 (`d_j = 0` for every such direction) are found with a
//!    small linear programme over the non-negative kernel of the system projected onto `Z` (one per
//!    independent block, after a greedy pass that settles most cells without it);
//! 2. with those cells fixed, a cell is recoverable iff its unit vector lies in the row space of the
//!    system (sparse reduced row echelon form: its pivot row has no other non-zero entry).
//!
//! Both classic attacks are special cases: (a) linear determination (step 2 with nothing pinned), and
//! (b) a constraint whose `k` suppressed parts leave a residual of exactly `k` pins them all to 1
//! (step 1). Step 1 also finds pinning that needs several constraints at once.
//!
//! ## Suppression ([`SuppressionProblem::solve`])
//!
//! 1. Primary suppression: every cell with `1 <= value <= threshold`.
//! 2. Heuristic, to a fixed point: a constraint with exactly one suppressed cell gives it away, so its
//!    smallest non-zero shown part is suppressed too (parts before the total, cells that are not
//!    totals of other constraints first); if it has no such part, its total.
//! 3. Audit loop: run the attacker; for every recoverable cell suppress the smallest non-zero shown cell
//!    of a constraint containing it (same preference; if all of those are suppressed already, the
//!    nearest one reached through suppressed cells), at most one per constraint and round since one
//!    extra cell often protects several; repeat until the attacker recovers nothing.
//!
//! Zero cells are never suppressed. The work is done per connected component of the suppressed cells
//! (two suppressed cells are connected when they share a constraint), and in the audit loop only the
//! components that changed are re-examined.
//!
//! ## Guarantees and limits
//!
//! * After `solve`, [`derivable`] is empty: the loop only stops when the attacker recovers nothing.
//!   It terminates because every round suppresses at least one more cell. When a component has no
//!   shown non-zero cell left in its constraints, its system is homogeneous (`A x = 0`) and `x*` itself
//!   is a direction along which every cell moves, so nothing in it is recoverable.
//! * The attacker is exact over the reals. For totally unimodular constraint systems — 1-D tables,
//!   2-D tables with margins, hierarchies, and 2-D tables with one hierarchical dimension — the
//!   extreme points are integral, so "not constant over the reals" means "at least two integer
//!   values" and integer reasoning recovers nothing more. For other structures an integer attack may
//!   in rare cases narrow a cell further than the real relaxation does.
//! * Protection means "not exactly recoverable": a cell whose feasible range is 3..=4 counts as
//!   protected. There are no protection intervals and no minimisation of the information lost; the
//!   heuristic is greedy.
//! * The reader is assumed not to know which suppressed cells are primary (that would bound them by
//!   the threshold): a report must mark primary and complementary cells alike.

use std::collections::HashSet;

use serde::Serialize;

/// Index of a cell in a [`SuppressionProblem`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct CellId(pub u32);

impl CellId {
    fn index(self) -> usize {
        self.0 as usize
    }
}

/// Why a constraint was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DisclosureError {
    /// The total's value is not the sum of the parts' values (`sum` saturates at `u64::MAX`).
    #[error("constraint {index}: total {total} is not the sum of its parts ({sum})")]
    NotAdditive { index: usize, total: u64, sum: u64 },
    /// The cell was not created by this problem.
    #[error("cell {0} does not exist")]
    NoSuchCell(u32),
}

/// Count cells and the additive constraints between them: the structure of a report table.
#[derive(Debug, Clone, Default)]
pub struct SuppressionProblem {
    cells: Vec<u64>,
    /// `(total, parts)`: the total's value is the sum of the parts' values.
    constraints: Vec<(CellId, Vec<CellId>)>,
}

impl SuppressionProblem {
    /// An empty problem.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a cell holding the count `value` and returns its id.
    ///
    /// # Panics
    /// If the problem already holds `u32::MAX` cells.
    pub fn cell(&mut self, value: u64) -> CellId {
        let id = u32::try_from(self.cells.len()).expect("a suppression problem holds fewer than 2^32 cells");
        self.cells.push(value);
        CellId(id)
    }

    /// The count of a cell.
    ///
    /// # Panics
    /// If `id` is not a cell of this problem.
    pub fn value(&self, id: CellId) -> u64 {
        self.cells[id.index()]
    }

    /// The number of cells.
    pub fn len(&self) -> usize {
        self.cells.len()
    }

    /// Whether the problem has no cells.
    pub fn is_empty(&self) -> bool {
        self.cells.is_empty()
    }

    /// Declares `total == sum(parts)`. The equation must hold for the cells' values, else
    /// [`DisclosureError::NotAdditive`] (and nothing is added); unknown ids give
    /// [`DisclosureError::NoSuchCell`]. A part may be listed more than once (it then counts that often).
    pub fn constrain(&mut self, total: CellId, parts: &[CellId]) -> Result<(), DisclosureError> {
        if let Some(missing) = std::iter::once(&total).chain(parts).find(|id| id.index() >= self.cells.len()) {
            return Err(DisclosureError::NoSuchCell(missing.0));
        }
        let sum: u128 = parts.iter().map(|p| u128::from(self.cells[p.index()])).sum();
        let total_value = self.cells[total.index()];
        if sum != u128::from(total_value) {
            return Err(DisclosureError::NotAdditive {
                index: self.constraints.len(),
                total: total_value,
                sum: u64::try_from(sum).unwrap_or(u64::MAX),
            });
        }
        self.constraints.push((total, parts.to_vec()));
        Ok(())
    }

    /// Primary suppression of every cell with `1 <= value <= threshold`, then complementary
    /// suppression until no suppressed cell is recoverable (see [`derivable`]). Zero cells are always
    /// shown. See the module documentation for the algorithm.
    pub fn solve(&self, threshold: u64) -> Suppression {
        let mut status: Vec<CellStatus> = self
            .cells
            .iter()
            .map(|&v| if (1..=threshold).contains(&v) { CellStatus::Primary } else { CellStatus::Shown })
            .collect();
        if status.iter().any(|&s| s != CellStatus::Shown) {
            let model = Model::new(self);
            model.heuristic(&mut status);
            model.audit(&mut status);
        }
        Suppression { status }
    }
}

/// Whether a cell is published, and if not, why.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CellStatus {
    /// Published.
    Shown,
    /// Suppressed because its value is small (1 to the threshold).
    Primary,
    /// Suppressed so that a primary cell cannot be recovered from totals.
    Complementary,
}

/// The result of [`SuppressionProblem::solve`]: a status per cell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suppression {
    status: Vec<CellStatus>,
}

impl Suppression {
    /// The status of a cell.
    ///
    /// # Panics
    /// If `id` is not a cell of the problem that was solved.
    pub fn status(&self, id: CellId) -> CellStatus {
        self.status[id.index()]
    }

    /// Whether the cell is suppressed (primary or complementary).
    ///
    /// # Panics
    /// If `id` is not a cell of the problem that was solved.
    pub fn is_suppressed(&self, id: CellId) -> bool {
        self.status(id) != CellStatus::Shown
    }

    /// The value to publish: `Some(value)` when shown, `None` when suppressed.
    ///
    /// # Panics
    /// If `id` is not a cell of `problem`, or not of the problem that was solved.
    pub fn shown(&self, problem: &SuppressionProblem, id: CellId) -> Option<u64> {
        (!self.is_suppressed(id)).then(|| problem.value(id))
    }

    /// The number of suppressed cells (primary and complementary).
    pub fn suppressed_count(&self) -> usize {
        self.status.iter().filter(|&&s| s != CellStatus::Shown).count()
    }
}

/// The attacker: the suppressed cells whose value can be recovered from the shown cells and the
/// constraints, sorted.
///
/// A suppressed cell is recoverable when (a) it is linearly determined: its unit vector lies in the
/// row space of the constraint system restricted to the suppressed cells (the shown cells move to the
/// right-hand side), or (b) bounds pin it: every suppressed value is known to be at least 1 (zeros are
/// shown), so for instance a constraint whose `k` suppressed parts leave a residual of exactly `k`
/// reveals that they are all 1. This attacker goes further than single constraints: it recovers
/// exactly the cells that take one value on the whole polyhedron `{ A x = b, x >= 1 }` (see the module
/// documentation), which includes every single-constraint bound and every combination of them.
///
/// Cells beyond the end of `suppression` (a suppression of a smaller problem) count as shown.
pub fn derivable(problem: &SuppressionProblem, suppression: &Suppression) -> Vec<CellId> {
    let model = Model::new(problem);
    let suppressed: Vec<bool> =
        (0..problem.len()).map(|i| suppression.status.get(i).is_some_and(|&s| s != CellStatus::Shown)).collect();
    let mut scratch = vec![0; problem.len()];
    let mut out: Vec<usize> = model
        .components(&suppressed)
        .iter()
        .flat_map(|component| model.attack(&suppressed, component, &mut scratch))
        .collect();
    out.sort_unstable();
    // Indices come from `problem.cells`, whose length fits in u32 (see `SuppressionProblem::cell`).
    out.into_iter().map(|i| CellId(i as u32)).collect()
}

// ---------------------------------------------------------------------------------------------------
// Internals
// ---------------------------------------------------------------------------------------------------

/// Entries below this magnitude are zero.
///
/// Arithmetic: f64 with partial pivoting and this tolerance, rather than exact fractions. The
/// coefficients are small integers (±1; a part listed twice gives 2). The structures report tables
/// use (1-D, 2-D with margins, hierarchies, 2-D with one hierarchical dimension) are totally
/// unimodular, so every entry of every elimination step and simplex tableau stays in {0, ±1} and
/// every basic solution is integral: f64 represents all of it exactly. For other structures the
/// entries are small rationals and the rounding error (~1e-15 relative) stays far below the tolerance.
/// Fraction-free i128 elimination would be exact everywhere, but it can overflow on long non-unimodular
/// chains, needs gcd reductions to stay small, and is several times slower; f64 cannot overflow.
const EPS: f64 = 1e-9;

/// `dst -= factor * src`, snapping what cancels to exactly zero.
fn sub_scaled(dst: &mut [f64], factor: f64, src: &[f64]) {
    for (d, &s) in dst.iter_mut().zip(src) {
        if s != 0.0 {
            *d -= factor * s;
            if d.abs() < EPS {
                *d = 0.0;
            }
        }
    }
}

/// The constraints as linear rows, and the indexes the algorithms need.
struct Model<'a> {
    values: &'a [u64],
    /// Per constraint: `(cell, coefficient)` of `total - sum(parts) = 0`, by cell, without zero
    /// coefficients (a part listed twice has -2; a total also listed as a part cancels).
    rows: Vec<Vec<(usize, f64)>>,
    /// Per constraint: its total cell.
    totals: Vec<usize>,
    /// Per cell: the constraints it has a non-zero coefficient in.
    cell_rows: Vec<Vec<usize>>,
    /// Per cell: whether it is the total of some constraint.
    is_total: Vec<bool>,
}

/// A connected set of suppressed cells and the constraints that contain any of them.
#[derive(Default)]
struct Component {
    cells: Vec<usize>,
    rows: Vec<usize>,
}

impl<'a> Model<'a> {
    fn new(problem: &'a SuppressionProblem) -> Self {
        let n = problem.cells.len();
        let mut rows = Vec::with_capacity(problem.constraints.len());
        let mut totals = Vec::with_capacity(problem.constraints.len());
        let mut cell_rows = vec![Vec::new(); n];
        let mut is_total = vec![false; n];
        for (k, (total, parts)) in problem.constraints.iter().enumerate() {
            let mut terms: Vec<(usize, i64)> = Vec::with_capacity(parts.len() + 1);
            terms.push((total.index(), 1));
            terms.extend(parts.iter().map(|p| (p.index(), -1)));
            terms.sort_unstable_by_key(|t| t.0);
            let mut merged: Vec<(usize, i64)> = Vec::with_capacity(terms.len());
            for (cell, coef) in terms {
                match merged.last_mut() {
                    Some((last, c)) if *last == cell => *c += coef,
                    _ => merged.push((cell, coef)),
                }
            }
            let row: Vec<(usize, f64)> =
                merged.into_iter().filter(|&(_, c)| c != 0).map(|(cell, c)| (cell, c as f64)).collect();
            for &(cell, _) in &row {
                cell_rows[cell].push(k);
            }
            is_total[total.index()] = true;
            totals.push(total.index());
            rows.push(row);
        }
        Model { values: &problem.cells, rows, totals, cell_rows, is_total }
    }

    /// Preference order for an extra suppression: cells that are not totals, then small values.
    fn key(&self, cell: usize) -> (bool, u64, usize) {
        (self.is_total[cell], self.values[cell], cell)
    }

    /// Whether `cell` can take a complementary suppression.
    fn available(&self, status: &[CellStatus], cell: usize) -> bool {
        status[cell] == CellStatus::Shown && self.values[cell] > 0
    }

    /// Step 2: no constraint may have exactly one suppressed cell.
    fn heuristic(&self, status: &mut [CellStatus]) {
        loop {
            let mut changed = false;
            for (k, row) in self.rows.iter().enumerate() {
                let mut hidden = row.iter().filter(|&&(c, _)| status[c] != CellStatus::Shown);
                if hidden.next().is_none() || hidden.next().is_some() {
                    continue;
                }
                let total = self.totals[k];
                let part = row
                    .iter()
                    .map(|&(c, _)| c)
                    .filter(|&c| c != total && self.available(status, c))
                    .min_by_key(|&c| self.key(c));
                let pick = part.or_else(|| {
                    (row.iter().any(|&(c, _)| c == total) && self.available(status, total)).then_some(total)
                });
                if let Some(c) = pick {
                    status[c] = CellStatus::Complementary;
                    changed = true;
                }
            }
            if !changed {
                return;
            }
        }
    }

    /// Step 3: suppress more until the attacker recovers nothing.
    fn audit(&self, status: &mut [CellStatus]) {
        let n = self.values.len();
        let mut scratch = vec![0; n];
        // Cells whose components must be examined; `None` on the first round (all of them). A
        // component with none of these cells is unchanged since it was last found safe.
        let mut recheck: Option<Vec<bool>> = None;
        loop {
            let suppressed: Vec<bool> = status.iter().map(|&s| s != CellStatus::Shown).collect();
            let mut found = Vec::new();
            for component in self.components(&suppressed) {
                if let Some(flags) = &recheck
                    && !component.cells.iter().any(|&c| flags[c])
                {
                    continue;
                }
                found.extend(self.attack(&suppressed, &component, &mut scratch));
            }
            if found.is_empty() {
                return;
            }
            found.sort_unstable();
            let mut flags = vec![false; n];
            let mut touched = vec![false; self.rows.len()];
            let mut added = false;
            for &d in &found {
                flags[d] = true;
                // One extra suppression per constraint and round: it may protect several cells.
                if self.cell_rows[d].iter().any(|&r| touched[r]) {
                    continue;
                }
                if let Some(c) = self.complement_for(d, status) {
                    status[c] = CellStatus::Complementary;
                    flags[c] = true;
                    for &r in &self.cell_rows[c] {
                        touched[r] = true;
                    }
                    added = true;
                }
            }
            // Not reachable: a recoverable cell's component always has a shown non-zero cell in one
            // of its constraints (see the module documentation).
            debug_assert!(added, "recoverable cells {found:?} but nothing left to suppress");
            if !added {
                return;
            }
            recheck = Some(flags);
        }
    }

    /// The best available cell in the constraints nearest to `d`, walking through suppressed cells.
    fn complement_for(&self, d: usize, status: &[CellStatus]) -> Option<usize> {
        let mut seen_rows = HashSet::new();
        let mut seen_cells = HashSet::from([d]);
        let mut frontier = vec![d];
        while !frontier.is_empty() {
            let mut best: Option<usize> = None;
            let mut next = Vec::new();
            for &cell in &frontier {
                for &r in &self.cell_rows[cell] {
                    if !seen_rows.insert(r) {
                        continue;
                    }
                    for &(c, _) in &self.rows[r] {
                        if status[c] != CellStatus::Shown {
                            if seen_cells.insert(c) {
                                next.push(c);
                            }
                        } else if self.values[c] > 0 && best.is_none_or(|b| self.key(c) < self.key(b)) {
                            best = Some(c);
                        }
                    }
                }
            }
            if best.is_some() {
                return best;
            }
            frontier = next;
        }
        None
    }

    /// The connected components of the suppressed cells (linked by shared constraints).
    fn components(&self, suppressed: &[bool]) -> Vec<Component> {
        let n = self.values.len();
        let mut sets = DisjointSets::new(n);
        for row in &self.rows {
            let mut first = None;
            for &(c, _) in row.iter().filter(|&&(c, _)| suppressed[c]) {
                match first {
                    None => first = Some(c),
                    Some(f) => sets.union(f, c),
                }
            }
        }
        let mut index = vec![usize::MAX; n];
        let mut components: Vec<Component> = Vec::new();
        for c in (0..n).filter(|&c| suppressed[c]) {
            let root = sets.find(c);
            if index[root] == usize::MAX {
                index[root] = components.len();
                components.push(Component::default());
            }
            components[index[root]].cells.push(c);
        }
        for (k, row) in self.rows.iter().enumerate() {
            if let Some(&(c, _)) = row.iter().find(|&&(c, _)| suppressed[c]) {
                components[index[sets.find(c)]].rows.push(k);
            }
        }
        components
    }

    /// The recoverable cells of one component. `local` is scratch space (one entry per cell).
    fn attack(&self, suppressed: &[bool], component: &Component, local: &mut [usize]) -> Vec<usize> {
        if component.rows.is_empty() {
            return Vec::new();
        }
        let width = component.cells.len();
        for (i, &c) in component.cells.iter().enumerate() {
            local[c] = i;
        }
        // Columns of cells on their lower bound (true value 1). They are pivoted on last, so the rows
        // with a pivot among them span exactly the constraints among those cells alone (the others
        // can absorb any change).
        let at_floor: Vec<bool> = component.cells.iter().map(|&c| self.values[c] <= 1).collect();
        let mut rref = Rref::new(width);
        for &r in &component.rows {
            // Local indices follow cell order, so the row stays sorted by column.
            let row = self.rows[r].iter().filter(|&&(c, _)| suppressed[c]).map(|&(c, coef)| (local[c], coef)).collect();
            rref.add(row, &at_floor);
        }
        let floor_rows: Vec<usize> = (0..rref.rows.len()).filter(|&i| at_floor[rref.pivots[i]]).collect();
        if !floor_rows.is_empty() {
            let anywhere = vec![false; width];
            for j in pinned_at_floor(&rref, &floor_rows) {
                rref.add(vec![(j, 1.0)], &anywhere);
            }
        }
        rref.determined().map(|j| component.cells[j]).collect()
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
struct Rref {
    /// Each row has 1 at its pivot and no entry at any other row's pivot.
    rows: Vec<SparseRow>,
    pivots: Vec<usize>,
    /// Per column: the row pivoted on it.
    pivot_row: Vec<Option<usize>>,
    /// Per column: the rows that have (or once had) an entry there.
    holders: Vec<Vec<usize>>,
}

impl Rref {
    fn new(width: usize) -> Self {
        Rref { rows: Vec::new(), pivots: Vec::new(), pivot_row: vec![None; width], holders: vec![Vec::new(); width] }
    }

    /// Adds a row (if independent). The pivot is the largest entry among the columns not marked
    /// `late`, or among the `late` ones if the row has nothing elsewhere. Rows pivoted on a `late`
    /// column therefore never have entries outside `late` columns.
    fn add(&mut self, mut v: SparseRow, late: &[bool]) {
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
    fn determined(&self) -> impl Iterator<Item = usize> + '_ {
        self.rows.iter().zip(&self.pivots).filter(|(row, _)| row.len() == 1).map(|(_, &p)| p)
    }
}

/// The at-floor columns that are zero in every non-negative vector `x` with `B x = 0`, where `B` is
/// the rows `floor_rows` of `rref` (their entries are all in at-floor columns). These are the cells
/// that the bounds `x >= 1` pin to 1. Rows that share no column are independent problems and are
/// solved separately.
fn pinned_at_floor(rref: &Rref, floor_rows: &[usize]) -> Vec<usize> {
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
fn maximise(tableau: &mut [Vec<f64>], basis: &mut [usize], cost: &mut [f64]) {
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
        let Some(c) = enter else { return };
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
        // Unbounded cannot happen: the objective is at most the number of bound rows.
        let Some((r, ratio)) = leave else { return };
        degenerate_run = if ratio <= EPS { degenerate_run + 1 } else { 0 };
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
        let f = cost[c];
        sub_scaled(cost, f, &pivot_row[..width]);
        cost[c] = 0.0;
        basis[r] = c;
    }
}

/// Union–find with path halving.
struct DisjointSets {
    parent: Vec<usize>,
}

impl DisjointSets {
    fn new(n: usize) -> Self {
        DisjointSets { parent: (0..n).collect() }
    }

    fn find(&mut self, mut x: usize) -> usize {
        while self.parent[x] != x {
            self.parent[x] = self.parent[self.parent[x]];
            x = self.parent[x];
        }
        x
    }

    fn union(&mut self, a: usize, b: usize) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra != rb {
            self.parent[ra.max(rb)] = ra.min(rb);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use proptest::sample::Index;

    const THRESHOLD: u64 = 10;

    fn id(i: usize) -> CellId {
        CellId(u32::try_from(i).expect("small test problem"))
    }

    /// Parts and their total (the last cell).
    fn one_d(parts: &[u64]) -> (SuppressionProblem, Vec<CellId>, CellId) {
        let mut p = SuppressionProblem::new();
        let ids: Vec<CellId> = parts.iter().map(|&v| p.cell(v)).collect();
        let total = p.cell(parts.iter().sum());
        p.constrain(total, &ids).expect("additive");
        (p, ids, total)
    }

    /// An r x c table with its row totals (last column), column totals (last row) and grand total:
    /// a constraint per row and per column, margins included.
    fn two_d(values: &[Vec<u64>]) -> (SuppressionProblem, Vec<Vec<CellId>>) {
        let (r, c) = (values.len(), values[0].len());
        let mut full = vec![vec![0u64; c + 1]; r + 1];
        for (i, row) in values.iter().enumerate() {
            for (j, &v) in row.iter().enumerate() {
                full[i][j] = v;
                full[i][c] += v;
                full[r][j] += v;
                full[r][c] += v;
            }
        }
        let mut p = SuppressionProblem::new();
        let ids: Vec<Vec<CellId>> = full.iter().map(|row| row.iter().map(|&v| p.cell(v)).collect()).collect();
        for row in &ids {
            p.constrain(row[c], &row[..c]).expect("row");
        }
        for j in 0..=c {
            let column: Vec<CellId> = ids[..r].iter().map(|row| row[j]).collect();
            p.constrain(ids[r][j], &column).expect("column");
        }
        (p, ids)
    }

    /// Rows: leaves grouped under subtotals under a grand total; columns: categories and a total.
    /// `groups[g][leaf][category]`.
    fn hierarchy(groups: &[Vec<Vec<u64>>]) -> SuppressionProblem {
        let k = groups[0][0].len();
        let mut p = SuppressionProblem::new();
        let add_row = |p: &mut SuppressionProblem, values: &[u64]| -> Vec<CellId> {
            let mut ids: Vec<CellId> = values.iter().map(|&v| p.cell(v)).collect();
            let total = p.cell(values.iter().sum());
            p.constrain(total, &ids).expect("row total");
            ids.push(total);
            ids
        };
        let mut grand_parts: Vec<Vec<CellId>> = vec![Vec::new(); k + 1];
        let mut grand_values = vec![0u64; k];
        for group in groups {
            let leaves: Vec<Vec<CellId>> = group.iter().map(|leaf| add_row(&mut p, leaf)).collect();
            let sub_values: Vec<u64> = (0..k).map(|j| group.iter().map(|leaf| leaf[j]).sum()).collect();
            let sub = add_row(&mut p, &sub_values);
            for j in 0..=k {
                let column: Vec<CellId> = leaves.iter().map(|leaf| leaf[j]).collect();
                p.constrain(sub[j], &column).expect("subtotal");
                grand_parts[j].push(sub[j]);
            }
            for (g, v) in grand_values.iter_mut().zip(&sub_values) {
                *g += v;
            }
        }
        let grand = add_row(&mut p, &grand_values);
        for j in 0..=k {
            p.constrain(grand[j], &grand_parts[j]).expect("grand total");
        }
        p
    }

    fn suppression_of(p: &SuppressionProblem, hidden: &[CellId]) -> Suppression {
        let mut status = vec![CellStatus::Shown; p.len()];
        for h in hidden {
            status[h.index()] = CellStatus::Primary;
        }
        Suppression { status }
    }

    fn suppressed(s: &Suppression) -> Vec<CellId> {
        (0..s.status.len()).map(id).filter(|&c| s.is_suppressed(c)).collect()
    }

    // ---- The independent attacker: exhaustive search over integer assignments. ----

    type Rows = Vec<Vec<(usize, i64)>>;

    /// The suppressed cells that take a single value over all assignments of the suppressed cells to
    /// `1..=bound` that satisfy every constraint with the shown cells at their values. For each
    /// suppressed cell and each other value, a depth-first search looks for one such assignment; it
    /// prunes only branches that interval reasoning proves empty, so it is exhaustive.
    fn brute_force_pinned(p: &SuppressionProblem, s: &Suppression, bound: i64) -> Vec<CellId> {
        let rows: Rows = p
            .constraints
            .iter()
            .map(|(total, parts)| {
                let mut row = vec![(total.index(), 1)];
                row.extend(parts.iter().map(|c| (c.index(), -1)));
                row
            })
            .collect();
        let domains: Vec<(i64, i64)> = (0..p.len())
            .map(|i| {
                let v = i64::try_from(p.cells[i]).expect("small");
                if s.is_suppressed(id(i)) { (1, bound) } else { (v, v) }
            })
            .collect();
        suppressed(s)
            .into_iter()
            .filter(|c| {
                let truth = i64::try_from(p.value(*c)).expect("small");
                !(1..=bound).filter(|&v| v != truth).any(|v| {
                    let mut d = domains.clone();
                    d[c.index()] = (v, v);
                    feasible(&rows, d)
                })
            })
            .collect()
    }

    /// Whether some assignment within `domains` satisfies every row (`sum(k * x) = 0`).
    fn feasible(rows: &Rows, mut domains: Vec<(i64, i64)>) -> bool {
        if !narrow(rows, &mut domains) {
            return false;
        }
        let open =
            (0..domains.len()).filter(|&c| domains[c].0 < domains[c].1).min_by_key(|&c| domains[c].1 - domains[c].0);
        match open {
            // Every cell fixed and every row's range is exactly [0, 0].
            None => true,
            Some(c) => (domains[c].0..=domains[c].1).any(|v| {
                let mut d = domains.clone();
                d[c] = (v, v);
                feasible(rows, d)
            }),
        }
    }

    /// Interval reasoning on every row until nothing changes; false when some row cannot be met.
    fn narrow(rows: &Rows, domains: &mut [(i64, i64)]) -> bool {
        let ceil = |a: i64, b: i64| -(-a).div_euclid(b);
        loop {
            let mut changed = false;
            for row in rows {
                let range = |domains: &[(i64, i64)], (c, k): (usize, i64)| {
                    let (lo, hi) = domains[c];
                    if k > 0 { (k * lo, k * hi) } else { (k * hi, k * lo) }
                };
                let (min, max) =
                    row.iter().map(|&t| range(domains, t)).fold((0, 0), |(a, b), (lo, hi)| (a + lo, b + hi));
                if min > 0 || max < 0 {
                    return false;
                }
                for &term in row {
                    let (own_min, own_max) = range(domains, term);
                    let (rest_min, rest_max) = (min - own_min, max - own_max);
                    // k x = -rest, so k x lies in [-rest_max, -rest_min].
                    let (c, k) = term;
                    let (lo, hi) = if k > 0 {
                        (ceil(-rest_max, k), (-rest_min).div_euclid(k))
                    } else {
                        (ceil(rest_min, -k), rest_max.div_euclid(-k))
                    };
                    let (old_lo, old_hi) = domains[c];
                    let (lo, hi) = (lo.max(old_lo), hi.min(old_hi));
                    if lo > hi {
                        return false;
                    }
                    if (lo, hi) != (old_lo, old_hi) {
                        domains[c] = (lo, hi);
                        changed = true;
                    }
                }
            }
            if !changed {
                return true;
            }
        }
    }

    /// The properties every solution must have; the brute force runs when it is small.
    fn check(p: &SuppressionProblem, threshold: u64) -> Result<(), TestCaseError> {
        let s = p.solve(threshold);
        for i in 0..p.len() {
            let (v, status) = (p.cells[i], s.status(id(i)));
            if v == 0 {
                prop_assert_eq!(status, CellStatus::Shown, "zero cell {} suppressed", i);
            } else if v <= threshold {
                prop_assert_eq!(status, CellStatus::Primary, "small cell {} ({}) not primary", i, v);
            } else {
                prop_assert_ne!(status, CellStatus::Primary);
            }
            prop_assert_eq!(s.shown(p, id(i)).is_none(), status != CellStatus::Shown);
        }
        let hidden = suppressed(&s);
        prop_assert_eq!(hidden.len(), s.suppressed_count());
        prop_assert_eq!(derivable(p, &s), Vec::<CellId>::new());
        let bound = hidden.iter().map(|c| p.value(*c)).max().unwrap_or(0) + 1;
        if hidden.len() <= 8 && bound <= 61 {
            let bound = i64::try_from(bound).expect("small");
            prop_assert_eq!(brute_force_pinned(p, &s, bound), Vec::<CellId>::new());
        }
        Ok(())
    }

    // ---- Unit tests ----

    #[test]
    fn one_small_cell_gets_one_complement() {
        let (p, parts, total) = one_d(&[3, 25, 20, 40]);
        let s = p.solve(THRESHOLD);
        assert_eq!(s.status(parts[0]), CellStatus::Primary);
        assert_eq!(s.status(parts[2]), CellStatus::Complementary, "the smallest other part");
        assert_eq!(s.suppressed_count(), 2);
        assert_eq!(s.shown(&p, total), Some(88));
        assert_eq!(s.shown(&p, parts[0]), None);
        assert!(derivable(&p, &s).is_empty());
        assert_eq!(derivable(&p, &suppression_of(&p, &[parts[0]])), vec![parts[0]]);
    }

    #[test]
    fn nothing_small_nothing_suppressed() {
        let (p, _, _) = one_d(&[30, 0, 12]);
        let s = p.solve(THRESHOLD);
        assert_eq!(s.suppressed_count(), 0);
        assert!(p.solve(0).status.iter().all(|&s| s == CellStatus::Shown));
    }

    #[test]
    fn two_d_classic_rectangle() {
        let (p, ids) = two_d(&[vec![3, 20, 30], vec![20, 40, 50], vec![30, 50, 60]]);
        let s = p.solve(THRESHOLD);
        let expected = vec![ids[0][0], ids[0][1], ids[1][0], ids[1][1]];
        assert_eq!(suppressed(&s), expected);
        assert_eq!(s.status(ids[0][0]), CellStatus::Primary);
        assert_eq!(s.status(ids[1][1]), CellStatus::Complementary);
        assert!(derivable(&p, &s).is_empty());
    }

    #[test]
    fn two_d_two_small_cells_in_one_row() {
        let (p, ids) = two_d(&[vec![4, 5, 30, 22], vec![21, 40, 50, 33], vec![30, 50, 60, 44]]);
        let s = p.solve(THRESHOLD);
        assert_eq!(s.status(ids[0][0]), CellStatus::Primary);
        assert_eq!(s.status(ids[0][1]), CellStatus::Primary);
        assert!(derivable(&p, &s).is_empty());
        // The row total is protected by the two small cells; the columns need one more each.
        assert_eq!(s.suppressed_count(), 4);
        assert_eq!(brute_force_pinned(&p, &s, 61), Vec::<CellId>::new());
    }

    #[test]
    fn zeros_are_shown() {
        let (p, parts, total) = one_d(&[0, 4, 0, 30]);
        let s = p.solve(THRESHOLD);
        assert_eq!(s.shown(&p, parts[0]), Some(0));
        assert_eq!(s.shown(&p, parts[2]), Some(0));
        assert_eq!(s.status(parts[1]), CellStatus::Primary);
        assert_eq!(s.status(parts[3]), CellStatus::Complementary, "the only non-zero part");
        assert!(!s.is_suppressed(total));
        assert!(derivable(&p, &s).is_empty());

        // Only zeros to pair with: the total goes.
        let (p, parts, total) = one_d(&[0, 4, 0]);
        let s = p.solve(THRESHOLD);
        assert_eq!(suppressed(&s), vec![parts[1], total]);
        assert!(derivable(&p, &s).is_empty());
    }

    #[test]
    fn small_total() {
        let (p, parts, total) = one_d(&[1, 2, 0, 3]);
        let s = p.solve(THRESHOLD);
        assert_eq!(s.suppressed_count(), 4);
        assert_eq!(s.status(total), CellStatus::Primary);
        assert_eq!(s.shown(&p, parts[2]), Some(0));
        assert!(derivable(&p, &s).is_empty());
        assert!(brute_force_pinned(&p, &s, 7).is_empty());

        // A small row total in a 2-D table: the row's cells are small too, and the columns need help.
        let (p, ids) = two_d(&[vec![2, 3, 1], vec![20, 40, 50], vec![30, 50, 60]]);
        let s = p.solve(THRESHOLD);
        assert_eq!(s.status(ids[0][3]), CellStatus::Primary);
        assert!(derivable(&p, &s).is_empty());
        assert!(s.suppressed_count() > 4);
    }

    #[test]
    fn single_part_equal_to_total() {
        let mut p = SuppressionProblem::new();
        let a = p.cell(4);
        let t = p.cell(4);
        p.constrain(t, &[a]).expect("additive");
        let s = p.solve(THRESHOLD);
        assert_eq!(suppressed(&s), vec![a, t]);
        assert!(derivable(&p, &s).is_empty());
        assert!(brute_force_pinned(&p, &s, 5).is_empty());

        let mut p = SuppressionProblem::new();
        let a = p.cell(1);
        let t = p.cell(1);
        p.constrain(t, &[a]).expect("additive");
        let s = p.solve(THRESHOLD);
        assert_eq!(s.suppressed_count(), 2);
        assert!(derivable(&p, &s).is_empty(), "T = a = 1: the reader learns T = a, not the value");
    }

    #[test]
    fn errors() {
        let mut p = SuppressionProblem::new();
        let a = p.cell(3);
        let b = p.cell(4);
        let t = p.cell(8);
        let err = p.constrain(t, &[a, b]).expect_err("3 + 4 != 8");
        assert_eq!(err, DisclosureError::NotAdditive { index: 0, total: 8, sum: 7 });
        assert_eq!(err.to_string(), "constraint 0: total 8 is not the sum of its parts (7)");
        assert!(p.constraints.is_empty(), "nothing is added");
        assert_eq!(p.constrain(t, &[a, CellId(9)]), Err(DisclosureError::NoSuchCell(9)));
        assert_eq!(p.constrain(CellId(5), &[a]), Err(DisclosureError::NoSuchCell(5)));
        assert!(p.constraints.is_empty());
        let big = p.cell(u64::MAX);
        assert_eq!(
            p.constrain(t, &[big, big]),
            Err(DisclosureError::NotAdditive { index: 0, total: 8, sum: u64::MAX })
        );
        let c = p.cell(1);
        p.constrain(t, &[a, b, c]).expect("3 + 4 + 1 = 8");
        assert_eq!(p.constraints.len(), 1);
        assert_eq!(p.len(), 5);
        assert!(!p.is_empty() && SuppressionProblem::new().is_empty());
    }

    #[test]
    fn all_ones_pinned_by_bounds() {
        let (p, parts, total) = one_d(&[1, 1, 20]);
        // The two small parts leave 2 = 22 - 20 for two cells of at least 1: both are 1.
        let primary = suppression_of(&p, &parts[..2]);
        assert_eq!(derivable(&p, &primary), parts[..2].to_vec());
        assert_eq!(brute_force_pinned(&p, &primary, 21), parts[..2].to_vec());
        let s = p.solve(THRESHOLD);
        assert_eq!(s.status(parts[2]), CellStatus::Complementary);
        assert!(!s.is_suppressed(total));
        assert!(derivable(&p, &s).is_empty());

        // With a residual of 3 for two cells, neither is known.
        let (p, parts, _) = one_d(&[1, 2, 20]);
        assert!(derivable(&p, &suppression_of(&p, &parts[..2])).is_empty());
    }

    #[test]
    fn bounds_in_a_two_by_two_pattern() {
        // a + b = 4, c + d = 3, a + c = 3, b + d = 4 with a = d = 1, b = 3, c = 2. The one free
        // direction is (a, b, c, d) += t (1, -1, -1, 1): a, d >= 1 need t >= 0, b, c >= 1 allow
        // t <= 1. Two values each: not pinned.
        let mut p = SuppressionProblem::new();
        let [a, b, c, d] = [1, 3, 2, 1].map(|v| p.cell(v));
        let [r0, r1, c0, c1] = [4, 3, 3, 4].map(|v| p.cell(v));
        p.constrain(r0, &[a, b]).expect("r0");
        p.constrain(r1, &[c, d]).expect("r1");
        p.constrain(c0, &[a, c]).expect("c0");
        p.constrain(c1, &[b, d]).expect("c1");
        let s = suppression_of(&p, &[a, b, c, d]);
        assert!(derivable(&p, &s).is_empty());
        assert!(brute_force_pinned(&p, &s, 4).is_empty());

        // All ones, one margin suppressed too: each row total pins its two cells, the margin follows.
        let mut p = SuppressionProblem::new();
        let [a, b, c, d] = [1, 1, 1, 1].map(|v| p.cell(v));
        let [r0, r1, c0, c1] = [2, 2, 2, 2].map(|v| p.cell(v));
        p.constrain(r0, &[a, b]).expect("r0");
        p.constrain(r1, &[c, d]).expect("r1");
        p.constrain(c0, &[a, c]).expect("c0");
        p.constrain(c1, &[b, d]).expect("c1");
        let s = suppression_of(&p, &[a, b, c, d, c0]);
        assert_eq!(derivable(&p, &s), vec![a, b, c, d, c0]);
        assert_eq!(brute_force_pinned(&p, &s, 3), vec![a, b, c, d, c0]);
    }

    #[test]
    fn pinning_that_needs_two_constraints() {
        // R = a + b + e (shown 5) and e = c + h (h shown 2). No constraint alone reveals anything:
        // R leaves 5 for 3 cells, and the other has its total suppressed. Together they say
        // a + b + c = 3 for three cells of at least 1: all are 1, and then e = 3.
        let mut p = SuppressionProblem::new();
        let [a, b, c, e, h, r] = [1, 1, 1, 3, 2, 5].map(|v| p.cell(v));
        p.constrain(r, &[a, b, e]).expect("r");
        p.constrain(e, &[c, h]).expect("e");
        let s = suppression_of(&p, &[a, b, c, e]);
        assert_eq!(brute_force_pinned(&p, &s, 4), vec![a, b, c, e]);
        assert_eq!(derivable(&p, &s), vec![a, b, c, e]);
        let solved = p.solve(THRESHOLD);
        assert!(derivable(&p, &solved).is_empty());
        assert!(brute_force_pinned(&p, &solved, 6).is_empty());
    }

    #[test]
    fn pinning_along_a_chain() {
        // s1 = a + b (3), b = c + g, s2 = c + d (2), with a = c = d = g = 1 and b = 2. s2 pins c and
        // d; then s1 and b's constraint leave a + g = 2: both are 1, and b = 2.
        let mut p = SuppressionProblem::new();
        let [a, b, c, d, g] = [1, 2, 1, 1, 1].map(|v| p.cell(v));
        let s1 = p.cell(3);
        let s2 = p.cell(2);
        p.constrain(s1, &[a, b]).expect("s1");
        p.constrain(b, &[c, g]).expect("b");
        p.constrain(s2, &[c, d]).expect("s2");
        let s = suppression_of(&p, &[a, b, c, d, g]);
        assert_eq!(brute_force_pinned(&p, &s, 4), vec![a, b, c, d, g]);
        assert_eq!(derivable(&p, &s), vec![a, b, c, d, g]);
        let solved = p.solve(THRESHOLD);
        assert!(derivable(&p, &solved).is_empty());
    }

    #[test]
    fn whole_component_suppressed_is_safe() {
        // Everything small: every non-zero cell is suppressed and nothing is recoverable, even with
        // all-ones cells (the reader learns the table is proportional to something, not the values).
        let (p, _) = two_d(&[vec![1, 1], vec![1, 0]]);
        let s = p.solve(THRESHOLD);
        assert_eq!(s.suppressed_count(), p.cells.iter().filter(|&&v| v > 0).count());
        assert!(derivable(&p, &s).is_empty());
        assert!(brute_force_pinned(&p, &s, 4).is_empty());
        let p = hierarchy(&[vec![vec![1, 0], vec![0, 1]], vec![vec![1, 1]]]);
        let s = p.solve(THRESHOLD);
        assert_eq!(s.suppressed_count(), p.cells.iter().filter(|&&v| v > 0).count());
        assert!(derivable(&p, &s).is_empty());
    }

    #[test]
    fn serialises_snake_case() {
        assert_eq!(serde_json::to_string(&CellStatus::Complementary).expect("json"), "\"complementary\"");
        assert_eq!(serde_json::to_string(&CellId(7)).expect("json"), "7");
    }

    /// Deterministic counts, mostly small: a third zeros, a third 1..=10, a third 11..=210.
    fn counts(seed: u64) -> impl FnMut() -> u64 {
        let mut state = seed | 1;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        move || match next() % 9 {
            0..=2 => 0,
            3..=5 => next() % 10 + 1,
            _ => next() % 200 + 11,
        }
    }

    /// Appends `other`'s cells and constraints to `p`.
    fn append(p: &mut SuppressionProblem, other: &SuppressionProblem) {
        let base = p.len();
        for &v in &other.cells {
            p.cell(v);
        }
        let shift = |x: &CellId| id(x.index() + base);
        for (total, parts) in &other.constraints {
            p.constrain(shift(total), &parts.iter().map(shift).collect::<Vec<_>>()).expect("copy");
        }
    }

    /// Fifty 10 x 8 tables with margins: 4,950 cells and 1,000 constraints.
    fn many_tables() -> SuppressionProblem {
        let mut count = counts(0x9e37_79b9_7f4a_7c15);
        let mut p = SuppressionProblem::new();
        for _ in 0..50 {
            let values: Vec<Vec<u64>> = (0..10).map(|_| (0..8).map(|_| count()).collect()).collect();
            append(&mut p, &two_d(&values).0);
        }
        p
    }

    #[test]
    fn five_thousand_cells() {
        let p = many_tables();
        assert_eq!((p.len(), p.constraints.len()), (4950, 1000));
        let s = p.solve(THRESHOLD);
        assert!(s.suppressed_count() > 1000);
        assert!(derivable(&p, &s).is_empty());
    }

    /// Timing of large shapes (printed, not asserted); run with
    /// `cargo test --release -p pmhc-core disclosure -- --ignored --nocapture`.
    #[test]
    #[ignore = "timing; meaningful in release builds"]
    fn timing() {
        let mut count = counts(42);
        let one_table = two_d(&(0..70).map(|_| (0..70).map(|_| count()).collect()).collect::<Vec<_>>()).0;
        // 20 precincts x 10 sectors, 12 months and a year total: 2,873 cells, 494 constraints.
        let groups: Vec<Vec<Vec<u64>>> =
            (0..20).map(|_| (0..10).map(|_| (0..12).map(|_| count()).collect()).collect()).collect();
        let hierarchical = hierarchy(&groups);
        // Rare events: half zeros, 30% ones; 40 x 10 sectors x 12 months: 5,733 cells, 974 constraints.
        let mut state: u64 = 77;
        let mut rare = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            match state % 20 {
                0..=9 => 0,
                10..=15 => 1,
                16..=18 => 2 + state / 20 % 4,
                _ => 11 + state / 20 % 40,
            }
        };
        let rare_groups: Vec<Vec<Vec<u64>>> =
            (0..40).map(|_| (0..10).map(|_| (0..12).map(|_| rare()).collect()).collect()).collect();
        let rare_table = two_d(&(0..70).map(|_| (0..70).map(|_| rare()).collect()).collect::<Vec<_>>()).0;
        let shapes = [
            ("50 tables 10x8", many_tables()),
            ("one 70x70 table", one_table),
            ("20x10 x 12", hierarchical),
            ("rare events, 40x10 x 12", hierarchy(&rare_groups)),
            ("rare events, 70x70", rare_table),
        ];
        for (name, p) in shapes {
            let started = std::time::Instant::now();
            let s = p.solve(THRESHOLD);
            let elapsed = started.elapsed();
            eprintln!(
                "{name}: {} cells, {} constraints, {} suppressed, {elapsed:?}",
                p.len(),
                p.constraints.len(),
                s.suppressed_count()
            );
            // Timings are printed for docs/performance.md, never asserted.
            assert!(derivable(&p, &s).is_empty());
        }
    }

    // ---- Property tests ----

    fn value() -> impl Strategy<Value = u64> {
        prop_oneof![3 => Just(0u64), 5 => 1..=4u64, 3 => 5..=12u64, 2 => 13..=40u64]
    }

    fn threshold() -> impl Strategy<Value = u64> {
        prop_oneof![Just(3u64), Just(5), Just(10)]
    }

    fn table_2d() -> impl Strategy<Value = Vec<Vec<u64>>> {
        (1..=6usize, 1..=6usize).prop_flat_map(|(r, c)| prop::collection::vec(prop::collection::vec(value(), c), r))
    }

    fn table_hierarchy() -> impl Strategy<Value = Vec<Vec<Vec<u64>>>> {
        (1..=4usize).prop_flat_map(|k| {
            prop::collection::vec(prop::collection::vec(prop::collection::vec(value(), k), 1..=4), 1..=4)
        })
    }

    fn any_table() -> impl Strategy<Value = SuppressionProblem> {
        prop_oneof![
            prop::collection::vec(value(), 1..=6).prop_map(|parts| one_d(&parts).0),
            table_2d().prop_map(|v| two_d(&v).0),
            table_hierarchy().prop_map(|g| hierarchy(&g)),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

        #[test]
        fn prop_one_d(parts in prop::collection::vec(value(), 1..=8), t in threshold()) {
            check(&one_d(&parts).0, t)?;
        }

        #[test]
        fn prop_two_d(values in table_2d(), t in threshold()) {
            check(&two_d(&values).0, t)?;
        }

        #[test]
        fn prop_hierarchy(groups in table_hierarchy(), t in threshold()) {
            check(&hierarchy(&groups), t)?;
        }

        /// The attacker recovers exactly what exhaustive search recovers, on arbitrary patterns.
        #[test]
        fn prop_attacker_matches_brute_force(p in any_table(), picks in prop::collection::vec(any::<Index>(), 1..=8)) {
            let nonzero: Vec<usize> = (0..p.len()).filter(|&i| p.cells[i] > 0).collect();
            if nonzero.is_empty() {
                return Ok(());
            }
            let hidden: Vec<CellId> = picks.iter().map(|ix| id(nonzero[ix.index(nonzero.len())])).collect();
            let s = suppression_of(&p, &hidden);
            let bound = hidden.iter().map(|c| p.value(*c)).max().unwrap_or(0) + 1;
            if bound <= 61 {
                let bound = i64::try_from(bound).expect("small");
                prop_assert_eq!(derivable(&p, &s), brute_force_pinned(&p, &s, bound));
            }
        }

        /// Same, on patterns near a solution: a solved pattern with a few cells toggled.
        #[test]
        fn prop_attacker_matches_brute_force_near_solutions(
            p in any_table(),
            t in threshold(),
            toggles in prop::collection::vec(any::<Index>(), 1..=3),
        ) {
            let nonzero: Vec<usize> = (0..p.len()).filter(|&i| p.cells[i] > 0).collect();
            if nonzero.is_empty() {
                return Ok(());
            }
            let mut s = p.solve(t);
            for ix in &toggles {
                let c = nonzero[ix.index(nonzero.len())];
                s.status[c] = if s.status[c] == CellStatus::Shown { CellStatus::Primary } else { CellStatus::Shown };
            }
            let hidden = suppressed(&s);
            let bound = hidden.iter().map(|c| p.value(*c)).max().unwrap_or(0) + 1;
            if hidden.len() <= 10 && bound <= 61 {
                let bound = i64::try_from(bound).expect("small");
                prop_assert_eq!(derivable(&p, &s), brute_force_pinned(&p, &s, bound));
            }
        }
    }
}
