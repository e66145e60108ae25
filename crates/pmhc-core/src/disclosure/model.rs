//! The constraints as linear rows, the heuristic and the audit loop of [`SuppressionProblem::solve`],
//! and the exact attacker per connected component.

use std::collections::HashSet;

use super::linear::{DisjointSets, Rref, pinned_at_floor};
use super::{CellStatus, SuppressionProblem};

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
        Model { values: &problem.cells, rows, totals, cell_rows, is_total }
    }

    /// Preference order for an extra suppression: cells that are not totals, then small values.
    pub(super) fn key(&self, cell: usize) -> (bool, u64, usize) {
        (self.is_total[cell], self.values[cell], cell)
    }

    /// Whether `cell` can take a complementary suppression.
    pub(super) fn available(&self, status: &[CellStatus], cell: usize) -> bool {
        status[cell] == CellStatus::Shown && self.values[cell] > 0
    }

    /// Step 2: no constraint may have exactly one suppressed cell.
    pub(super) fn heuristic(&self, status: &mut [CellStatus]) {
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
    pub(super) fn audit(&self, status: &mut [CellStatus]) {
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

