use proptest::prelude::*;

use super::*;

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("a day")
}

fn member(id: MemberId, name: &str, sector: Sector) -> Member {
    Member {
        id,
        name: name.into(),
        username: None,
        affiliation: String::new(),
        partner: None,
        sector,
        role: MemberRole::Member,
        substitute_for: None,
        joined_on: day(2024, 1, 1),
        left_on: None,
    }
}

/// Every vector of counts a reader could believe, given the cells shown and the total.
fn readings(cells: &[Cell], total: u64) -> Vec<Vec<u64>> {
    fn go(cells: &[Cell], total: u64, left: u64, acc: &mut Vec<u64>, out: &mut Vec<Vec<u64>>) {
        let Some((first, rest)) = cells.split_first() else {
            if left == 0 {
                out.push(acc.clone());
            }
            return;
        };
        let range: Vec<u64> = match first {
            Cell::Count(n) => vec![*n],
            Cell::FewerThan3 => vec![1, 2],
            Cell::Withheld => (3..=total).collect(),
        };
        for v in range.into_iter().filter(|v| *v <= left) {
            acc.push(v);
            go(rest, total, left - v, acc, out);
            acc.pop();
        }
    }
    let mut out = Vec::new();
    go(cells, total, total, &mut Vec::new(), &mut out);
    out
}

#[test]
fn a_lone_small_cell_takes_a_neighbour_with_it() {
    // 5 + 2 + 3 = 10: with the 2 alone suppressed, 10 − 5 − 3 gives it away.
    assert_eq!(protect(&[5, 2, 3], 10), Some(vec![Cell::Count(5), Cell::FewerThan3, Cell::Withheld]));
    // Two ones: 10 − 8 = 2 = 1 + 1, so both would be known.
    assert_eq!(protect(&[1, 1, 8], 10), Some(vec![Cell::FewerThan3, Cell::FewerThan3, Cell::Withheld]));
    // A one and a two: 3 could be 1 + 2 or 2 + 1.
    assert_eq!(protect(&[1, 2, 7], 10), Some(vec![Cell::FewerThan3, Cell::FewerThan3, Cell::Count(7)]));
    // Nothing small: everything shown, zeros too.
    assert_eq!(protect(&[0, 4, 6], 10), Some(vec![Cell::Count(0), Cell::Count(4), Cell::Count(6)]));
    // Everyone in one small group: nothing can protect it.
    assert_eq!(protect(&[2, 0], 2), None);
    // A withheld 3 beside a lone 1 is not enough (1 + 3 = 4 has one reading): the next is withheld.
    let cells = protect(&[1, 3, 4, 5], 13).expect("protected");
    assert!(small_cells_safe(&cells, 13), "{cells:?}");
    assert_eq!(cells, vec![Cell::FewerThan3, Cell::Withheld, Cell::Withheld, Cell::Count(5)]);
}

proptest! {
    /// Against an attacker who enumerates every reading of the table: no small cell has one
    /// value, the truth is a reading, the shown cells are the counts, and nothing of 1 or 2 is shown.
    #[test]
    fn no_small_cell_can_be_worked_out(counts in prop::collection::vec(0u64..7, 1..6)) {
        let total: u64 = counts.iter().sum();
        match protect(&counts, total) {
            Some(cells) => {
                let all = readings(&cells, total);
                prop_assert!(all.contains(&counts));
                for (i, c) in cells.iter().enumerate() {
                    match c {
                        Cell::Count(n) => prop_assert!(*n == counts[i] && !(1..3).contains(n)),
                        Cell::FewerThan3 => {
                            prop_assert!((1..3).contains(&counts[i]));
                            let values: std::collections::BTreeSet<u64> = all.iter().map(|r| r[i]).collect();
                            prop_assert!(values.len() > 1, "cell {i} of {counts:?} shown as {cells:?} is {values:?}");
                        }
                        Cell::Withheld => prop_assert!(counts[i] >= 3),
                    }
                }
            }
            None => prop_assert!(counts.iter().any(|c| (1..3).contains(c))),
        }
    }
}

fn said(groups: &[(&str, &str)], lived: Option<LivedExperience>) -> SelfDescription {
    SelfDescription {
        lived_experience: lived,
        demographics: groups.iter().map(|(c, g)| Demographic { category: c.to_string(), group: g.to_string() }).collect(),
        in_own_words: String::new(),
    }
}

fn community() -> Vec<CommunityShare> {
    let row = |g: &str, s: f64| CommunityShare { category: "Race and ethnicity".into(), group: g.into(), share: s, source: "ACS 5-year".into(), year: 2023 };
    vec![row("White", 0.52), row("Black", 0.25), row("Hispanic or Latino", 0.15), row("Asian", 0.08)]
}

/// The table against a count written out independently: 12 current members, one who left and a
/// substitute (neither counted).
#[test]
fn the_representation_table_against_an_independent_count() {
    let race = ["White", "White", "White", "White", "White", "White", "Black", "Black", "Black", "Hispanic or Latino", "", "Black"];
    let mut members = Vec::new();
    let mut described = HashMap::new();
    for (i, r) in race.iter().enumerate() {
        let id = i as i64 + 1;
        members.push(member(id, &format!("M{id}"), if i < 4 { Sector::LawEnforcement } else { Sector::BehavioralHealth }));
        if !r.is_empty() {
            let lived = if i < 2 { Some(LivedExperience::Lived) } else { None };
            described.insert(id, said(&[("race and ethnicity", r)], lived));
        }
    }
    let mut gone = member(20, "Gone", Sector::Housing);
    gone.left_on = Some(day(2024, 6, 1));
    described.insert(20, said(&[("Race and ethnicity", "Asian")], None));
    let mut sub = member(21, "Sub", Sector::Families);
    sub.role = MemberRole::Substitute;
    sub.substitute_for = Some(1);
    members.extend([gone, sub]);
    let r = representation(&members, &described, &community(), day(2025, 1, 1));
    assert_eq!(r.members, 12);
    // Independently: White 6, Black 4, Hispanic 1, Asian 0, otherwise 0, not given 1.
    let mut expect: BTreeMap<&str, u64> = BTreeMap::new();
    for g in race {
        let key = match g {
            "" => NOT_GIVEN,
            "White" | "Black" | "Hispanic or Latino" | "Asian" => g,
            _ => OTHERWISE,
        };
        *expect.entry(key).or_default() += 1;
    }
    let t = &r.categories[0];
    assert_eq!(t.category, "Race and ethnicity");
    assert_eq!(t.source, "ACS 5-year (2023)");
    let truth: Vec<u64> = t.rows.iter().map(|row| expect.get(row.group.as_str()).copied().unwrap_or(0)).collect();
    assert_eq!(truth, [6, 4, 1, 0, 0, 1]);
    for (row, n) in t.rows.iter().zip(&truth) {
        match row.members {
            Cell::Count(c) => assert_eq!(c, *n, "{}", row.group),
            Cell::FewerThan3 => assert!((1..3).contains(n), "{}", row.group),
            Cell::Withheld => assert!(*n >= 3, "{}", row.group),
        }
        assert_eq!(row.member_share.is_some(), matches!(row.members, Cell::Count(_)), "a share only beside a count shown");
    }
    let cells: Vec<Cell> = t.rows.iter().map(|r| r.members).collect();
    // 12 − 6 = 6 = 4 + 1 + 1 with Black shown would give both ones away: Black is withheld.
    assert_eq!(cells, [Cell::Count(6), Cell::Withheld, Cell::FewerThan3, Cell::Count(0), Cell::Count(0), Cell::FewerThan3]);
    assert!(small_cells_safe(&cells, 12));
    assert_eq!(t.rows[3].members, Cell::Count(0));
    assert!(t.rows[3].gap.starts_with("no member"), "{}", t.rows[3].gap);
    assert_eq!(t.rows[0].gap, "about the community's share");
    // Hispanic (15% of the community): at most 2 of 12 = 17% cannot be called under-represented.
    assert_eq!(t.rows[2].gap, "fewer than 3 members: too few to compare");
    // Lived experience: 2 of 12 (fewer than 3), 10 not given; withheld so that 12 − 10 is not read.
    let l = r.categories.last().expect("lived experience");
    assert_eq!(l.category, LIVED_CATEGORY);
    let cells: Vec<Cell> = l.rows.iter().map(|r| r.members).collect();
    assert_eq!(cells, [Cell::FewerThan3, Cell::Count(0), Cell::Count(0), Cell::Count(0), Cell::Withheld]);
    assert!(small_cells_safe(&cells, 12));
    // Sectors: law enforcement 4, behavioral health 8; the rest of the seeds' sectors missing.
    assert_eq!(r.sectors, [SectorCount { sector: Sector::LawEnforcement, members: 4 }, SectorCount { sector: Sector::BehavioralHealth, members: 8 }]);
    assert!(r.missing_sectors.contains(&Sector::LivedExperience) && r.missing_sectors.contains(&Sector::Housing));
    assert!(!r.missing_sectors.contains(&Sector::LawEnforcement));
    assert!(r.gaps.iter().any(|g| g.contains("Asian")), "{:?}", r.gaps);
    assert!(r.gaps.iter().any(|g| g.starts_with("No current member brings")), "{:?}", r.gaps);
}

#[test]
fn members_are_checked() {
    let mut m = member(1, "Ana", Sector::Advocacy);
    m.left_on = Some(day(2023, 12, 31));
    let e = m.validate(&[]).unwrap_err();
    assert_eq!(e[0].field, "left_on");
    assert!(e[0].message.contains("before the day they joined"), "{e:?}");
    let mut s = member(2, "Sub", Sector::Advocacy);
    s.role = MemberRole::Substitute;
    s.substitute_for = Some(99);
    let e = s.validate(&[member(1, "Ana", Sector::Advocacy)]).unwrap_err();
    assert_eq!((e[0].field.as_str(), e[0].message.as_str()), ("substitute_for", "there is no member #99"));
    s.substitute_for = Some(1);
    assert!(s.validate(&[member(1, "Ana", Sector::Advocacy)]).is_ok());
    let mut linked = member(3, "Bo", Sector::Housing);
    linked.username = Some("BO".into());
    let mut other = member(4, "Other", Sector::Housing);
    other.username = Some("bo".into());
    assert_eq!(linked.validate(&[other]).unwrap_err()[0].field, "username");
    assert_eq!(member(5, " ", Sector::Other).validate(&[]).unwrap_err()[0].field, "name");
}

#[test]
fn hostile_minutes_are_refused_and_plain_markdown_is_not() {
    for bad in [
        "<script>alert(1)</script>",
        "Hello <img src=x onerror=alert(1)>",
        "[click](javascript:alert(1))",
        "[click]( JaVaScRiPt:alert(1))",
        "[click](<javascript:alert(1)>)",
        "[x](&#106;avascript:alert(1))",
        "[ref]: javascript:alert(1)",
        "![i](data:text/html;base64,PHNjcmlwdD4=)",
        "<!-- hidden -->",
        "</p><p onclick=x>",
        "[v](vbscript:msgbox)",
    ] {
        assert!(check_minutes(bad).is_err(), "{bad} is refused: {:?}", check_minutes(bad));
    }
    for good in [
        "# Minutes\n\n- Item **one**\n- [the toolkit](https://bja.ojp.gov/program/pmhc)\n\n3 < 4 and 2<3 are fine; so is `code`.",
        "[relative](/workgroup/meetings/2) and [mail](mailto:chair@example.org) and [anchor](#top)",
        "Data: the subcommittee reported",
    ] {
        assert_eq!(check_minutes(good), Ok(()), "{good}");
    }
    let e = check_minutes(&"x".repeat(MINUTES_LIMIT + 1)).unwrap_err();
    assert!(e.contains("the limit is 32768 bytes"), "{e}");
    assert!(!safe_link("javascript:alert(1)") && !safe_link(" data:x") && safe_link("https://x") && safe_link("a/b:c") && safe_link("?q=a:b"));
}

fn meeting(id: MeetingId, held_on: NaiveDate) -> Meeting {
    Meeting {
        id,
        held_on,
        kind: MeetingKind::Workgroup,
        title: format!("Meeting {id}"),
        location: String::new(),
        agenda: Vec::new(),
        attendance: Vec::new(),
        minutes: String::new(),
        decisions: vec![Decision { number: 1, text: "Adopt the charge".into() }],
    }
}

fn action(id: i64, meeting: MeetingId, due_on: NaiveDate, status: ActionStatus) -> ActionItem {
    ActionItem { id, meeting, decision: Some(1), owner: 1, text: "Do it".into(), due_on, status, follow_up: String::new(), closed_on: None }
}

#[test]
fn meetings_and_action_items_are_checked() {
    let members = [member(1, "Ana", Sector::Advocacy)];
    let mut m = meeting(1, day(2025, 2, 3));
    m.attendance = vec![AttendanceRecord { member: 7, attendance: Attendance::Present }];
    m.agenda = vec![AgendaItem { title: "Welcome".into(), presenter: Some(8), minutes: Some(10) }];
    m.minutes = "<script>x</script>".into();
    let fields: Vec<String> = m.validate(&members).unwrap_err().into_iter().map(|p| p.field).collect();
    assert_eq!(fields, ["agenda", "attendance", "minutes"]);
    let m = meeting(1, day(2025, 2, 3));
    let mut a = action(1, 1, day(2025, 2, 1), ActionStatus::Open);
    a.owner = 9;
    a.decision = Some(4);
    let fields: Vec<String> = a.validate(&m, &members).unwrap_err().into_iter().map(|p| p.field).collect();
    assert_eq!(fields, ["owner", "due_on", "decision"]);
    assert!(action(1, 1, day(2025, 3, 1), ActionStatus::Open).validate(&m, &members).is_ok());
}

#[test]
fn overdue_and_carried_over() {
    let meetings = [meeting(1, day(2025, 1, 6)), meeting(2, day(2025, 2, 3)), meeting(3, day(2025, 3, 3))];
    let items = [
        action(1, 1, day(2025, 1, 31), ActionStatus::Open),
        action(2, 1, day(2025, 1, 20), ActionStatus::Done),
        action(3, 2, day(2025, 2, 28), ActionStatus::Open),
        action(4, 2, day(2025, 4, 1), ActionStatus::Dropped),
        action(5, 3, day(2025, 3, 31), ActionStatus::Open),
    ];
    let ids = |v: Vec<&ActionItem>| v.iter().map(|a| a.id).collect::<Vec<_>>();
    assert_eq!(ids(overdue(&items, day(2025, 3, 1))), [1, 3]);
    assert_eq!(ids(overdue(&items, day(2025, 1, 31))), Vec::<i64>::new(), "due today is not overdue");
    // The March meeting's agenda starts with what is open from January and February, not its own.
    assert_eq!(ids(carried_over(&items, &meetings, &meetings[2])), [1, 3]);
    assert_eq!(ids(carried_over(&items, &meetings, &meetings[1])), [1]);
}

#[test]
fn participation_per_member_and_sector() {
    let mut a = member(1, "Ana", Sector::Advocacy);
    a.joined_on = day(2025, 2, 1);
    let b = member(2, "Bo", Sector::LawEnforcement);
    let mut s = member(3, "Sub", Sector::LawEnforcement);
    s.role = MemberRole::Substitute;
    s.substitute_for = Some(2);
    let present = |m| AttendanceRecord { member: m, attendance: Attendance::Present };
    let mut m1 = meeting(1, day(2025, 1, 6));
    m1.attendance = vec![present(2)];
    let mut m2 = meeting(2, day(2025, 2, 3));
    m2.attendance = vec![present(1), present(3)];
    let mut m3 = meeting(3, day(2025, 4, 7));
    m3.attendance = vec![AttendanceRecord { member: 1, attendance: Attendance::Excused }];
    let future = meeting(4, day(2025, 9, 1));
    let p = participation(&[a, b, s], &[m1, m2, m3, future], day(2025, 6, 1));
    let row = |id| p.members.iter().find(|m| m.member == id).cloned().expect("a row");
    assert_eq!((row(1).meetings, row(1).attended, row(1).by_substitute), (2, 1, 0));
    assert_eq!((row(2).meetings, row(2).attended, row(2).by_substitute), (3, 1, 1));
    assert!(p.members.iter().all(|m| m.member != 3), "a substitute holds no seat");
    let q = |s: Sector, q: &str| p.sectors.iter().find(|x| x.sector == s && x.quarter == q).map(|x| (x.seats, x.filled));
    assert_eq!(q(Sector::LawEnforcement, "2025 Q1"), Some((2, 2)));
    assert_eq!(q(Sector::Advocacy, "2025 Q2"), Some((1, 0)));
}

#[test]
fn community_shares_are_checked() {
    let mut rows = community();
    assert!(validate_community(&rows).is_ok());
    rows[0].share = 0.9;
    rows.push(CommunityShare { year: 3000, ..rows[1].clone() });
    let e = validate_community(&rows).unwrap_err();
    let text: Vec<&str> = e.iter().map(|p| p.message.as_str()).collect();
    assert!(text.iter().any(|t| t.contains("line 5") && t.contains("year")), "{text:?}");
    assert!(text.iter().any(|t| t.contains("given twice")), "{text:?}");
    assert!(text.iter().any(|t| t.contains("more than 100%")), "{text:?}");
}
