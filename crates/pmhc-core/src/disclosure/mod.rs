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
//!    extra cell often protects several; repeat until the attacker recovers nothing (and, for
//!    [`SuppressionProblem::solve_with_ranges`], until every primary cell's feasible range is at
//!    least the threshold wide).
//! 4. Pruning: the greedy steps take more than they need; each complementary cell, the largest
//!    first, is shown again when the attacker still gets nothing without it.
//!
//! Cells locked by an earlier release ([`SuppressionProblem::lock`]) keep their status and are never
//! picked; differences between releases ([`SuppressionProblem::difference`]) are protected like
//! small counts when they are small.
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
//! * [`SuppressionProblem::solve`] protects against exact recovery only: a cell whose feasible range
//!   is 3..=4 counts as protected. Public reports use [`SuppressionProblem::solve_with_ranges`]: every
//!   primary cell's range is at least the threshold (10) wide, proven by linear programmes. Neither
//!   minimises the information lost; the heuristic is greedy, then pruned (docs/performance.md
//!   compares the price with τ-Argus MOD).
//! * The reader is assumed not to know which suppressed cells are primary (that would bound them by
//!   the threshold): a report must mark primary and complementary cells alike.

use serde::Serialize;

mod linear;
mod model;
mod range;

use model::Model;

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
    /// Per cell: what it is (a published count, a remainder, a difference).
    kind: Vec<CellKind>,
    /// Per cell: a status settled elsewhere (a cell of an earlier release), never changed by `solve`.
    locked: Vec<Option<CellStatus>>,
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
        self.kind.push(CellKind::Published);
        self.locked.push(None);
        CellId(id)
    }

    /// Adds a cell that is never published but that the reader knows exists: the remainder of an
    /// inequality between published cells (encounters with a known arrest status that are neither
    /// arrests nor diversions; encounters whose use of force is recorded as none), known to be at
    /// least 0. It makes identities such as "arrests + diversions ≤ known arrest status" part of
    /// the problem, so the attacker uses them and suppression protects against them. Hidden cells
    /// are never reported as recovered (what they hold is not published).
    pub fn hidden(&mut self, value: u64) -> CellId {
        let id = self.cell(value);
        self.kind[id.index()] = CellKind::Remainder;
        id
    }

    /// Adds a cell that is never published, whose value is at least 0, and which must not be
    /// recoverable when it is small (1 to the threshold): the difference between two published
    /// cells that count overlapping things, such as the same count in two releases made before and
    /// after late records arrived. The reader is assumed to know the sign of the difference (the
    /// caller adds `larger = smaller + difference`), which only makes the attacker stronger.
    pub fn difference(&mut self, value: u64) -> CellId {
        let id = self.cell(value);
        self.kind[id.index()] = CellKind::Difference;
        id
    }

    /// Whether a cell is a hidden remainder (see [`SuppressionProblem::hidden`]).
    pub fn is_hidden(&self, id: CellId) -> bool {
        self.kind.get(id.index()) == Some(&CellKind::Remainder)
    }

    /// What a cell is.
    ///
    /// # Panics
    /// If `id` is not a cell of this problem.
    pub fn kind(&self, id: CellId) -> CellKind {
        self.kind[id.index()]
    }

    /// Settles a cell's status: `solve` keeps it (a cell published, or suppressed, by an earlier
    /// release cannot change) and never picks a locked cell as a complementary suppression.
    ///
    /// # Panics
    /// If `id` is not a cell of this problem.
    pub fn lock(&mut self, id: CellId, status: CellStatus) {
        self.locked[id.index()] = Some(status);
    }

    /// The cells (not locked, published kind) whose value follows from cells locked as shown, one
    /// constraint at a time: a constraint with one value not yet known gives it. A new release's
    /// count that earlier releases already give away this way (a year whose every month was
    /// published) is public whatever the new release does.
    pub fn known_from_locked(&self) -> Vec<CellId> {
        let mut known: Vec<bool> = self.locked.iter().map(|l| *l == Some(CellStatus::Shown)).collect();
        loop {
            let mut changed = false;
            for (total, parts) in &self.constraints {
                let mut unknown = std::iter::once(total).chain(parts).filter(|c| !known[c.index()]);
                if let (Some(only), None) = (unknown.next(), unknown.next()) {
                    known[only.index()] = true;
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        (0..self.cells.len())
            .filter(|&i| known[i] && self.locked[i].is_none() && self.kind[i] == CellKind::Published)
            .map(|i| CellId(i as u32))
            .collect()
    }

    /// The constraints, `(total, parts)`, in the order they were added.
    pub fn constraints(&self) -> &[(CellId, Vec<CellId>)] {
        &self.constraints
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
        self.solve_with(threshold, None)
    }

    /// [`SuppressionProblem::solve`], and further until every primary cell's feasible range (see
    /// [`narrow_ranges`]) is at least `threshold` wide: what public reports use. On the demo's
    /// published release it suppresses a third more complementary cells than `solve`
    /// (docs/performance.md).
    pub fn solve_with_ranges(&self, threshold: u64) -> Suppression {
        self.solve_with(threshold, Some(threshold))
    }

    fn solve_with(&self, threshold: u64, width: Option<u64>) -> Suppression {
        let mut status: Vec<CellStatus> = self
            .cells
            .iter()
            .zip(&self.kind)
            .zip(&self.locked)
            .map(|((&v, &kind), &locked)| match (locked, kind) {
                (Some(s), _) => s,
                (None, CellKind::Remainder) => CellStatus::Hidden,
                (None, _) if (1..=threshold).contains(&v) => CellStatus::Primary,
                (None, CellKind::Difference) => CellStatus::Hidden,
                (None, CellKind::Published) => CellStatus::Shown,
            })
            .collect();
        if status.iter().any(|&s| s == CellStatus::Primary) {
            let model = Model::new(self);
            model.heuristic(&mut status);
            model.audit(&mut status, width);
            model.prune(&mut status, width);
        }
        Suppression { status }
    }
}

/// What a cell of a [`SuppressionProblem`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CellKind {
    /// A count the report shows unless it is suppressed (known to be at least 1 when suppressed,
    /// since zeros are shown).
    Published,
    /// Never published, at least 0, never protected: see [`SuppressionProblem::hidden`].
    Remainder,
    /// Never published, at least 0, protected when small: see [`SuppressionProblem::difference`].
    Difference,
}

/// Whether a cell is published, and if not, why.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CellStatus {
    /// Published.
    Shown,
    /// Suppressed because its value is small (1 to the threshold).
    Primary,
    /// Suppressed so that a primary cell cannot be recovered from totals.
    Complementary,
    /// Never published: a remainder (see [`SuppressionProblem::hidden`]), or a difference that is
    /// not small (see [`SuppressionProblem::difference`]).
    Hidden,
}

/// The result of [`SuppressionProblem::solve`]: a status per cell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suppression {
    status: Vec<CellStatus>,
}

impl Suppression {
    /// A suppression as an earlier solve left it (a release read back from the register).
    pub fn from_statuses(status: Vec<CellStatus>) -> Suppression {
        Suppression { status }
    }

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

    /// The number of suppressed published cells (primary and complementary).
    pub fn suppressed_count(&self) -> usize {
        self.status.iter().filter(|&&s| matches!(s, CellStatus::Primary | CellStatus::Complementary)).count()
    }

    /// The number of complementary suppressions.
    pub fn complementary_count(&self) -> usize {
        self.status.iter().filter(|&&s| s == CellStatus::Complementary).count()
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
        .filter(|&c| suppression.status.get(c).is_some_and(|&s| s != CellStatus::Hidden))
        .collect();
    out.sort_unstable();
    // Indices come from `problem.cells`, whose length fits in u32 (see `SuppressionProblem::cell`).
    out.into_iter().map(|i| CellId(i as u32)).collect()
}

/// The attacker's interval of a suppressed cell: the least and the greatest value consistent with
/// everything published (`None` above: no upper bound).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FeasibleRange {
    pub min: f64,
    pub max: Option<f64>,
}

impl FeasibleRange {
    /// `max - min`, infinite without an upper bound.
    pub fn width(&self) -> f64 {
        self.max.map_or(f64::INFINITY, |m| m - self.min)
    }
}

/// The primary cells whose feasible range (see [`FeasibleRange`]) is narrower than `width`, with
/// their ranges, sorted: what a knowledgeable attacker learns beyond "suppressed". After
/// [`SuppressionProblem::solve`]`(t)` this is empty for `width = t`: every small count could be
/// anything over at least `t` values.
pub fn narrow_ranges(problem: &SuppressionProblem, suppression: &Suppression, width: u64) -> Vec<(CellId, FeasibleRange)> {
    let model = Model::new(problem);
    let suppressed: Vec<bool> =
        (0..problem.len()).map(|i| suppression.status.get(i).is_some_and(|&s| s != CellStatus::Shown)).collect();
    let mut scratch = vec![0; problem.len()];
    let mut out: Vec<(usize, FeasibleRange)> = model
        .components(&suppressed)
        .iter()
        .flat_map(|component| {
            let primaries: Vec<usize> =
                component.cells.iter().copied().filter(|&c| suppression.status[c] == CellStatus::Primary).collect();
            model.narrow(&suppressed, component, &primaries, width as f64, &mut scratch)
        })
        .collect();
    out.sort_unstable_by_key(|(c, _)| *c);
    out.into_iter().map(|(c, r)| (CellId(c as u32), r)).collect()
}

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

#[cfg(test)]
mod tests;
