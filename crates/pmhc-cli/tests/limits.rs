//! Sizes (SQLite and, with `PMHC_TEST_POSTGRES`, PostgreSQL): a 200 MB value in one CSV field is
//! not stored — its row is rejected naming the column and the limit, the other rows are imported.

mod common;

use common::*;

#[test]
fn a_200_mb_field_is_refused_naming_the_column_and_the_rest_is_imported() {
    let dbs = Databases::new();
    let small = dbs.dir().join("three.csv");
    let o = run("sqlite::memory:", &["demo", "--encounters", "3", "--seed", "5", "--csv", small.to_str().expect("path")]);
    assert!(o.status.success(), "{}", stderr(&o));
    // The third row's final call type becomes 200 MB.
    let mut reader = csv::Reader::from_path(&small).expect("csv");
    let header = reader.headers().expect("header").clone();
    let col = header.iter().position(|h| h == "final_call_type").expect("a final_call_type column");
    let rows: Vec<csv::StringRecord> = reader.records().collect::<Result<_, _>>().expect("rows");
    assert_eq!(rows.len(), 3);
    let big = dbs.dir().join("big.csv");
    let mut w = csv::Writer::from_writer(std::io::BufWriter::new(std::fs::File::create(&big).expect("create")));
    w.write_record(&header).expect("write");
    w.write_record(&rows[0]).expect("write");
    w.write_record(&rows[1]).expect("write");
    let huge = "x".repeat(200 << 20);
    let third: Vec<&str> = rows[2].iter().enumerate().map(|(i, v)| if i == col { huge.as_str() } else { v }).collect();
    w.write_record(&third).expect("write");
    w.flush().expect("flush");
    drop(w);
    drop(huge);
    for db in &dbs.urls {
        let o = run(db, &["import", big.to_str().expect("path"), "--mapping", "pmhc", "--json", "--rejects", dbs.dir().join("r.csv").to_str().expect("p")]);
        // Exit 3: imported with rows rejected.
        assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
        let v = json(&o);
        assert_eq!(v["rejected"], 1, "{v}");
        assert_eq!(v["inserted"], 2, "{v}");
        let reject = &v["first_rejects"][0];
        assert_eq!(reject["column"], "final_call_type", "{reject}");
        assert_eq!(reject["reason"], "final_call_type is 209715200 bytes long; the limit is 4096 bytes (a short field)", "{reject}");
        let o = run(db, &["encounters", "list", "--format", "csv"]);
        assert!(o.status.success());
        assert!(stdout(&o).len() < 100_000, "nothing of the 200 MB value was stored");
    }
}
