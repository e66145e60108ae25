//! `pmhc link encode` and `pmhc link match` as a partner runs them: two files of the same people
//! under different ids, encoded under the project's secret and matched; what is refused and why;
//! and the quality on the FEBRL benchmark (originals against one duplicate of each) when
//! ../shared/data is there.

mod common;

use std::path::Path;

use common::*;

fn link(dir: &Path, args: &[&str]) -> std::process::Output {
    pmhc().current_dir(dir).arg("link").args(args).output().expect("run pmhc link")
}

const FIELDS: [&str; 8] = ["--field", "given_name=first", "--field", "surname=last", "--field", "date_of_birth=dob", "--field", "sex=sex"];

fn encode(dir: &Path, file: &str, key: &str, out: &str) -> std::process::Output {
    let mut args = vec!["encode", file, "--secret-file", key, "--id", "id"];
    args.extend(FIELDS);
    args.extend(["--dob-format", "%d/%m/%Y", "--output", out]);
    link(dir, &args)
}

#[test]
fn two_partners_find_their_shared_people_without_sharing_identities() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    std::fs::write(d.join("project.key"), "3f".repeat(32)).expect("key");
    std::fs::write(d.join("other.key"), [7u8; 40]).expect("key");
    // The police's people, and the clinic's: three shared (one with a typo, one with day and month
    // swapped), one each of their own, and a clinic row with a single identifier.
    std::fs::write(
        d.join("police.csv"),
        " id , first , last , dob , sex \n\
         P-1,Anna,Lindqvist,12/03/1984,F\n\
         P-2,Marcus,Okafor,28/07/1990,M\n\
         P-3,Li,Wei,02/11/1979,F\n\
         P-4,Tomasz,Zielinski,19/01/1965,M\n",
    )
    .expect("police");
    std::fs::write(
        d.join("clinic.csv"),
        "id,first,last,dob,sex\n\
         C-10,marcus,okafor,28/07/1990,m\n\
         C-11,Ana,Lindqvist,12/03/1984,F\n\
         C-12,Li,Wei,11/02/1979,F\n\
         C-13,Grace,Mensah,05/05/1995,F\n\
         C-14,,Nobody,not a date,\n",
    )
    .expect("clinic");
    let out = encode(d, "police.csv", "project.key", "police.clk");
    assert!(out.status.success(), "{}", stderr(&out));
    let out = encode(d, "clinic.csv", "project.key", "clinic.clk");
    assert_eq!(out.status.code(), Some(3), "a skipped row: exit 3; {}", stderr(&out));
    let rejects = std::fs::read_to_string(d.join("clinic.clk.rejects.csv")).expect("the rejects");
    assert!(rejects.contains("6,C-14,fewer than two usable identifiers (surname); the date of birth is not written %d/%m/%Y"), "{rejects}");
    // Only ids and encodings leave the partner: no name, no date.
    let clk = std::fs::read_to_string(d.join("clinic.clk")).expect("clk");
    assert!(clk.starts_with("#pmhc-clk/1;key=k-"), "{clk}");
    for secret in ["marcus", "okafor", "Lindqvist", "1990", "28/07"] {
        assert!(!clk.to_lowercase().contains(&secret.to_lowercase()), "{secret} in the encodings");
    }
    assert_eq!(clk.lines().count(), 2 + 4, "header, columns and four encodings");

    let out = link(d, &["match", "police.clk", "clinic.clk", "--output", "links.csv", "--review", "review.csv"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("threshold"), "the threshold is said: {}", stderr(&out));
    let links = std::fs::read_to_string(d.join("links.csv")).expect("links");
    let pairs: Vec<(String, String)> =
        links.lines().skip(1).map(|l| l.split(',').collect::<Vec<_>>()).map(|c| (c[0].to_string(), c[1].to_string())).collect();
    assert_eq!(links.lines().next(), Some("a_id,b_id,score"));
    assert_eq!(
        pairs,
        [("P-1", "C-11"), ("P-2", "C-10"), ("P-3", "C-12")].map(|(a, b)| (a.to_string(), b.to_string())).to_vec(),
        "the three shared people, sorted by a_id: {links}"
    );
    assert!(links.lines().skip(1).all(|l| l.rsplit(',').next().is_some_and(|s| s.len() == 6)), "scores to 4 decimals: {links}");

    // Encodings under another secret are not compared.
    assert!(encode(d, "clinic.csv", "other.key", "other.clk").status.code() == Some(3));
    let out = link(d, &["match", "police.clk", "other.clk", "--output", "no.csv"]);
    assert!(!out.status.success() && stderr(&out).contains("different secrets"), "{}", stderr(&out));
    assert!(!d.join("no.csv").exists(), "nothing written");
    // A short secret, a missing column, too few identifiers: refused, nothing written.
    std::fs::write(d.join("short.key"), "abc").expect("key");
    let out = encode(d, "police.csv", "short.key", "x.clk");
    assert!(!out.status.success() && stderr(&out).contains("at least 32 random bytes"), "{}", stderr(&out));
    let out = link(d, &["encode", "police.csv", "--secret-file", "project.key", "--id", "id", "--field", "given_name=first", "--field", "surname=surname", "--field", "date_of_birth=dob", "--output", "x.clk"]);
    assert!(!out.status.success() && stderr(&out).contains("no column `surname`"), "{}", stderr(&out));
    let out = link(d, &["encode", "police.csv", "--secret-file", "project.key", "--id", "id", "--field", "given_name=first", "--field", "surname=last", "--output", "x.clk"]);
    assert!(!out.status.success() && stderr(&out).contains("at least three"), "{}", stderr(&out));
    assert!(!d.join("x.clk").exists());
}

/// FEBRL dataset 2: the 4,000 originals against the first duplicate of each duplicated person
/// (FEBRL's realistic corruption: typos, swapped fields, missing values, changed dates).
#[test]
fn febrl_originals_against_their_duplicates() {
    let Some(data) = shared("febrl/dataset2.csv") else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let text = std::fs::read_to_string(&data).expect("FEBRL");
    let mut lines = text.lines();
    let header = lines.next().expect("a header");
    let (mut originals, mut duplicates) = (vec![header.to_string()], vec![header.to_string()]);
    let mut seen = std::collections::HashSet::new();
    for l in lines {
        let id = l.split(',').next().unwrap_or_default().trim();
        let person = id.split('-').nth(1).unwrap_or_default().to_string();
        if id.ends_with("-org") {
            originals.push(l.to_string());
        } else if seen.insert(person) {
            duplicates.push(l.to_string());
        }
    }
    std::fs::write(d.join("a.csv"), originals.join("\n")).expect("a");
    std::fs::write(d.join("b.csv"), duplicates.join("\n")).expect("b");
    std::fs::write(d.join("k.key"), "a5".repeat(32)).expect("key");
    for (file, out) in [("a.csv", "a.clk"), ("b.csv", "b.clk")] {
        let r = link(
            d,
            &[
                "encode", file, "--secret-file", "k.key", "--id", "rec_id", "--field", "given_name=given_name", "--field", "surname=surname",
                "--field", "date_of_birth=date_of_birth", "--field", "postcode=postcode", "--dob-format", "%Y%m%d", "--output", out,
            ],
        );
        assert!(matches!(r.status.code(), Some(0 | 3)), "{}", stderr(&r));
    }
    let r = link(d, &["match", "a.clk", "b.clk", "--output", "links.csv"]);
    assert!(r.status.success(), "{}", stderr(&r));
    let links = std::fs::read_to_string(d.join("links.csv")).expect("links");
    let person = |id: &str| id.split('-').nth(1).unwrap_or_default().to_string();
    let found = links.lines().skip(1).count();
    let right = links.lines().skip(1).filter(|l| {
        let c: Vec<&str> = l.split(',').collect();
        person(c[0]) == person(c[1])
    });
    let right = right.count();
    let truth = duplicates.len() - 1;
    let (precision, recall) = (right as f64 / found as f64, right as f64 / truth as f64);
    let f1 = 2.0 * precision * recall / (precision + recall);
    eprintln!("FEBRL dataset 2: {found} links, precision {precision:.4}, recall {recall:.4}, F1 {f1:.4}; {}", stderr(&r).trim());
    // Measured 0.97 / 0.88 / 0.92 when written; a drop is a regression to explain.
    assert!(precision > 0.95 && recall > 0.85, "precision {precision:.4}, recall {recall:.4}");
}
