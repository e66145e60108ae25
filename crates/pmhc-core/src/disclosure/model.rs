//! The constraints as linear rows, the heuristic and the audit loop of [`SuppressionProblem::solve`],
//! and the exact attacker per connected component.

use std::collections::HashSet;

use super::linear::{DisjointSets, Rref, pinned_at_floor};
use super::range::{Feasible, Optimum};
use super::{CellKind, CellStatus, FeasibleRange, SuppressionProblem};

/// Entries of a kernel vector below this are zero.
const EPS_LINE: f64 = 1e-9;
/// Components with more cells than this are not given to the dense linear programme: their cells
/// that the kernel lines do not prove wide enough are treated as too narrow (suppress more).
const MAX_LP_CELLS: usize = 3000;
/// Components with more cells than this are not pruned (see [`Model::prune`]).
const MAX_PRUNE_CELLS: usize = 400;

/// The constraints as linear rows, and the indexes the algorithms need.
pub(super) struct Model<'a> {
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
    /// Per cell: the least value the reader knows it has when suppressed (1 for a published
    /// count, since zeros are shown; 0 for a hidden remainder or a difference).
    lower: Vec<u64>,
    /// Per cell: its status is settled (an earlier release's cell); never a complementary choice.
    locked: Vec<bool>,
}

/// A connected set of suppressed cells and the constraints that contain any of them.
#[derive(Default)]
pub(super) struct Component {
    pub(super) cells: Vec<usize>,
    pub(super) rows: Vec<usize>,
}

impl<'a> Model<'a> {
    pub(super) fn new(problem: &'a SuppressionProblem) -> Self {
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
        let lower = problem.kind.iter().map(|&k| u64::from(k == CellKind::Published)).collect();
        let locked = problem.locked.iter().map(Option::is_some).collect();
        Model { values: &problem.cells, rows, totals, cell_rows, is_total, lower, locked }
    }

    /// Preference order for an extra suppression: cells that are not totals, then small values.
    pub(super) fn key(&self, cell: usize) -> (bool, u64, usize) {
        (self.is_total[cell], self.values[cell], cell)
    }

    /// Whether `cell` can take a complementary suppression.
    pub(super) fn available(&self, status: &[CellStatus], cell: usize) -> bool {
        status[cell] == CellStatus::Shown && self.values[cell] > 0 && !self.locked[cell]
    }

    /// Step 2: no constraint may have exactly one suppressed cell.
    pub(super) fn heuristic(&self, status: &mut [CellStatus]) {
        loop {
            let mut changed = false;
            for (k, row) in self.rows.iter().enumerate() {
                let mut hidden = row.iter().filter(|&&(c, _)| status[c] != CellStatus::Shown);
                let (Some(&(only, _)), None) = (hidden.next(), hidden.next()) else { continue };
                if status[only] == CellStatus::Hidden {
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

    /// Step 3: suppress more until the attacker recovers nothing and every primary cell's feasible
    /// range is at least `width` wide.
    pub(super) fn audit(&self, status: &mut [CellStatus], width: Option<u64>) {
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
                found.extend(self.attack(&suppressed, &component, &mut scratch).into_iter().filter(|&c| status[c] != CellStatus::Hidden));
                if let Some(width) = width {
                    let primaries: Vec<usize> =
                        component.cells.iter().copied().filter(|&c| status[c] == CellStatus::Primary).collect();
                    found.extend(self.narrow(&suppressed, &component, &primaries, width as f64, &mut scratch).into_iter().map(|(c, _)| c));
                }
            }
            found.sort_unstable();
            found.dedup();
            if found.is_empty() {
                return;
            }
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
                    // The constraints of both: cells sharing one with `d` are often protected by the
                    // same extra cell, so they wait for the next round.
                    for &r in self.cell_rows[c].iter().chain(&self.cell_rows[d]) {
                        touched[r] = true;
                    }
                    added = true;
                }
            }
            // A recoverable cell's component always has a shown non-zero cell in one of its
            // constraints (see the module documentation). Nothing left to suppress therefore means
            // the cells were only "not proven" (a component too large for the dense programme)
            // in a component whose constraints are all homogeneous — where every range is unbounded.
            if !added {
                return;
            }
            recheck = Some(flags);
        }
    }

    /// Step 4: the greedy steps suppress more than they need to. Each complementary cell, the
    /// largest first (showing it gives back the most), is shown again when the attacker still
    /// recovers nothing (and, with `width`, every primary range stays that wide) without it. Only
    /// the components next to the cell can change, so only they are attacked again; components of
    /// more than [`MAX_PRUNE_CELLS`] cells are left as they are (their attacks are the costly ones).
    pub(super) fn prune(&self, status: &mut [CellStatus], width: Option<u64>) {
        let n = self.values.len();
        let mut candidates: Vec<usize> = (0..n).filter(|&c| status[c] == CellStatus::Complementary && !self.locked[c]).collect();
        candidates.sort_unstable_by_key(|&c| (std::cmp::Reverse(self.values[c]), c));
        let mut scratch = vec![0; n];
        let mut near = vec![false; n];
        for c in candidates {
            status[c] = CellStatus::Shown;
            let suppressed: Vec<bool> = status.iter().map(|&s| s != CellStatus::Shown).collect();
            let touched: Vec<usize> = self.cell_rows[c].iter().flat_map(|&r| self.rows[r].iter().map(|&(x, _)| x)).collect();
            for &x in &touched {
                near[x] = true;
            }
            let mut safe = true;
            for component in self.components(&suppressed) {
                if !component.cells.iter().any(|&x| near[x]) {
                    continue;
                }
                if component.cells.len() > MAX_PRUNE_CELLS {
                    safe = false;
                    break;
                }
                if self.attack(&suppressed, &component, &mut scratch).into_iter().any(|x| status[x] != CellStatus::Hidden) {
                    safe = false;
                    break;
                }
                if let Some(width) = width {
                    let primaries: Vec<usize> = component.cells.iter().copied().filter(|&x| status[x] == CellStatus::Primary).collect();
                    if !self.narrow(&suppressed, &component, &primaries, width as f64, &mut scratch).is_empty() {
                        safe = false;
                        break;
                    }
                }
            }
            for &x in &touched {
                near[x] = false;
            }
            if !safe {
                status[c] = CellStatus::Complementary;
            }
        }
    }

    /// The best available cell in the constraints nearest to `d`, walking through suppressed cells.
    pub(super) fn complement_for(&self, d: usize, status: &[CellStatus]) -> Option<usize> {
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
                        } else if self.available(status, c) && best.is_none_or(|b| self.key(c) < self.key(b)) {
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
    pub(super) fn components(&self, suppressed: &[bool]) -> Vec<Component> {
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
    pub(super) fn attack(&self, suppressed: &[bool], component: &Component, local: &mut [usize]) -> Vec<usize> {
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
        let at_floor: Vec<bool> = component.cells.iter().map(|&c| self.values[c] <= self.lower[c]).collect();
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
        // Every determined cell; callers leave out those never protected (status `Hidden`).
        rref.determined().map(|j| component.cells[j]).collect()
    }

    /// The cells among `cells` (suppressed cells of `component`) whose feasible range is narrower
    /// than `width`, with their ranges. A kernel-line certificate settles most cells; the others
    /// take two linear programmes each (see `range.rs`). A range that cannot be proven (a component
    /// too large for the dense programme, or a programme that did not finish) comes back as the
    /// single true value, so the caller protects the cell — more suppression, never less.
    pub(super) fn narrow(
        &self,
        suppressed: &[bool],
        component: &Component,
        cells: &[usize],
        width: f64,
        local: &mut [usize],
    ) -> Vec<(usize, FeasibleRange)> {
        if cells.is_empty() {
            return Vec::new();
        }
        let point = |c: usize| FeasibleRange { min: self.values[c] as f64, max: Some(self.values[c] as f64) };
        // Wide enough, up to rounding.
        let enough = |w: f64| w >= width - 1e-6;
        if component.rows.is_empty() {
            // In no constraint: anything from its bound up.
            return Vec::new();
        }
        let n = component.cells.len();
        for (i, &c) in component.cells.iter().enumerate() {
            local[c] = i;
        }
        // A cheap certificate first: along each vector of a kernel basis (from the reduced row
        // echelon form), the values can move while every cell stays above its bound; the segment
        // is a subset of the feasible set, so its width proves a range at least that wide.
        let mut rref = Rref::new(n);
        let no_late = vec![false; n];
        for &r in &component.rows {
            let row = self.rows[r].iter().filter(|&&(c, _)| suppressed[c]).map(|&(c, coef)| (local[c], coef)).collect();
            rref.add(row, &no_late);
        }
        let mut is_pivot = vec![false; n];
        for &p in &rref.pivots {
            is_pivot[p] = true;
        }
        let mut column: Vec<Vec<(usize, f64)>> = vec![Vec::new(); n];
        for (r, row) in rref.rows.iter().enumerate() {
            for &(c, x) in row {
                if !is_pivot[c] {
                    column[c].push((rref.pivots[r], -x));
                }
            }
        }
        let mut wanted = vec![false; n];
        for &c in cells {
            wanted[local[c]] = true;
        }
        let mut proven = vec![0.0f64; n];
        let slack = |j: usize| (self.values[component.cells[j]] - self.lower[component.cells[j]]) as f64;
        for f in (0..n).filter(|&f| !is_pivot[f]) {
            let v: Vec<(usize, f64)> = std::iter::once((f, 1.0)).chain(column[f].iter().copied()).collect();
            if !v.iter().any(|&(j, _)| wanted[j]) {
                continue;
            }
            let (mut lo, mut hi) = (f64::NEG_INFINITY, f64::INFINITY);
            for &(j, x) in &v {
                if x > EPS_LINE {
                    lo = lo.max(-slack(j) / x);
                } else if x < -EPS_LINE {
                    hi = hi.min(slack(j) / -x);
                }
            }
            for &(j, x) in &v {
                if wanted[j] {
                    proven[j] = proven[j].max(x.abs() * (hi - lo));
                }
            }
        }
        let open: Vec<usize> = cells.iter().copied().filter(|&c| !enough(proven[local[c]])).collect();
        if open.is_empty() {
            return Vec::new();
        }
        if n > MAX_LP_CELLS {
            return open.iter().map(|&c| (c, point(c))).collect();
        }
        let cells = &open[..];
        let mut rows = Vec::with_capacity(component.rows.len());
        let mut rhs = Vec::with_capacity(component.rows.len());
        for &r in &component.rows {
            let mut dense = vec![0.0; n];
            let mut b = 0.0;
            for &(c, coef) in self.rows[r].iter().filter(|&&(c, _)| suppressed[c]) {
                dense[local[c]] = coef;
                b += coef * (self.values[c] - self.lower[c]) as f64;
            }
            rows.push(dense);
            rhs.push(b);
        }
        let Some(feasible) = Feasible::new(&rows, &rhs, n) else {
            return cells.iter().map(|&c| (c, point(c))).collect();
        };
        // Every optimum found is a feasible point; together with the true values they prove many
        // ranges wide enough without programmes of their own. Per column: least and greatest value
        // seen so far (of y = x - lower).
        let mut seen: Vec<(f64, f64)> = (0..n).map(|j| (slack(j), slack(j))).collect();
        let note = |seen: &mut Vec<(f64, f64)>, y: &[f64]| {
            for (s, &v) in seen.iter_mut().zip(y) {
                s.0 = s.0.min(v);
                s.1 = s.1.max(v);
            }
        };
        let mut out = Vec::new();
        for &c in cells {
            let lower = self.lower[c] as f64;
            let j = local[c];
            if enough(seen[j].1 - seen[j].0) {
                continue;
            }
            let max = match feasible.optimum(j, 1.0) {
                Optimum::Value(v, y) => {
                    note(&mut seen, &y);
                    Some(lower + v)
                }
                Optimum::Unbounded => None,
                Optimum::Unfinished => {
                    out.push((c, point(c)));
                    continue;
                }
            };
            if enough(seen[j].1 - seen[j].0) || max.is_none() {
                continue;
            }
            let min = match feasible.optimum(j, -1.0) {
                Optimum::Value(v, y) => {
                    note(&mut seen, &y);
                    lower - v
                }
                Optimum::Unbounded | Optimum::Unfinished => {
                    out.push((c, point(c)));
                    continue;
                }
            };
            let range = FeasibleRange { min, max };
            if !enough(range.width()) {
                out.push((c, range));
            }
        }
        out
    }
}
