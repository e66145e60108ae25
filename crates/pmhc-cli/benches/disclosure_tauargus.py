"""τ-Argus (PyPI `pytauargus`, the statistical agencies' reference tool) on the tables of the
disclosure benchmark: `python disclosure_tauargus.py TABLES.json OUT.json RULE METHOD`.

Each table is a two-way frequency table (rows × columns, with every margin). τ-Argus builds it
from microdata (one row per encounter), applies the safety rule (e.g. FREQ(11,10): a cell with
fewer than 11 encounters is unsafe) and the suppression method (MOD: modular / HiTaS), and this
script writes, per table, the status of every cell in the benchmark's layout: interior cells row by
row, then the row totals, the column totals and the grand total; each `"shown"`, `"primary"` or
`"secondary"`, with the seconds τ-Argus took.
"""

import json
import sys
import tempfile
import time

import pandas as pd
from pytauargus import protect


def statuses(df, rows, cols):
    by = {(str(r.G), str(r.L)): r.status for r in df.itertuples()}
    order = [(g, l) for g in rows for l in cols] + [(g, "Total") for g in rows] + [("Total", l) for l in cols] + [("Total", "Total")]
    out = []
    for key in order:
        s = by.get(key, "E")
        out.append({"U": "primary", "M": "secondary", "D": "secondary"}.get(s, "shown"))
    return out


def main():
    tables_path, out_path, rule, method = sys.argv[1:5]
    tables = json.load(open(tables_path))
    results = []
    for t in tables:
        rows, cols, cells = t["rows"], t["cols"], t["cells"]
        # Codes τ-Argus can take: row and column labels as given (no "Total" among them).
        micro = {"G": [], "L": [], "one": []}
        for i, g in enumerate(rows):
            for j, l in enumerate(cols):
                n = cells[i][j]
                micro["G"] += [g] * n
                micro["L"] += [l] * n
                micro["one"] += [1.0] * n
        with tempfile.TemporaryDirectory() as work:
            started = time.perf_counter()
            r = protect(pd.DataFrame(micro), ["G", "L"], response="one", safety_rules=rule, suppress=method, workdir=work)
            secs = time.perf_counter() - started
            df = r.tables[0].dataframe()
        results.append({"name": t["name"], "seconds": secs, "status": statuses(df, rows, cols)})
    json.dump(results, open(out_path, "w"))


if __name__ == "__main__":
    main()
