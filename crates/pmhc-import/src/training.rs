//! Training records as CSV (pure: the caller passes what is already known and saves the rows):
//! courses, a partner's staff roster, and completions. Each file is read whole and checked before
//! anything is saved: a file with any bad row saves nothing and lists every problem with its line.

use chrono::NaiveDate;
use pmhc_core::sharing::PartnerId;
use pmhc_core::training::{
    Completion, Course, CourseKind, InstructorType, StaffMember, StaffRole, TrainingSession, parse_instructors,
};

pub use crate::inventory::RowProblem;
use crate::inventory::Columns;

pub const COURSE_COLUMNS: &[&str] = &["name", "kind", "hours", "refresher_months"];
pub const ROSTER_COLUMNS: &[&str] = &["staff_number", "name", "agency", "precinct", "shift", "role", "active"];
pub const COMPLETION_COLUMNS: &[&str] = &[
    "staff_number", "course", "session_date", "location", "instructors", "completed_on", "pre_score", "post_score", "evaluation",
];

/// Read a training file whole (unknown columns refused); each row's problem is one message.
fn read_rows<T>(
    bytes: &[u8],
    all: &[&str],
    required: &[&str],
    mut row: impl FnMut(&dyn Fn(&str) -> String) -> Result<T, String>,
) -> Result<Vec<T>, Vec<RowProblem>> {
    crate::inventory::read_rows(bytes, &Columns { all, required, refuse_unknown: true, restore_formula_prefix: false }, |get| row(get).map_err(|m| vec![m]))
}

fn optional<T: std::str::FromStr>(what: &str, s: &str) -> Result<Option<T>, String> {
    if s.is_empty() {
        return Ok(None);
    }
    s.parse().map(Some).map_err(|_| format!("{what}: `{s}` is not a number of the right kind and size"))
}

fn date(what: &str, s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| format!("{what}: `{s}` is not a date (YYYY-MM-DD)"))
}

/// Read a courses file.
pub fn parse_courses(bytes: &[u8]) -> Result<Vec<Course>, Vec<RowProblem>> {
    let mut names: Vec<String> = Vec::new();
    read_rows(bytes, COURSE_COLUMNS, &["name", "kind", "hours"], |get| {
        let c = Course {
            id: 0,
            name: get("name"),
            kind: get("kind").parse::<CourseKind>().map_err(|e| format!("kind: {e}"))?,
            hours: optional::<f64>("hours", &get("hours"))?.ok_or("hours: empty")?,
            refresher_months: optional("refresher_months", &get("refresher_months"))?,
        };
        c.validate().map_err(|e| e.to_string())?;
        if names.iter().any(|n| n.eq_ignore_ascii_case(&c.name)) {
            return Err(format!("course `{}` appears twice", c.name));
        }
        names.push(c.name.clone());
        Ok(c)
    })
}

fn yes_no(s: &str) -> Result<bool, String> {
    match s.to_ascii_lowercase().as_str() {
        "" | "yes" | "y" | "true" | "1" | "active" => Ok(true),
        "no" | "n" | "false" | "0" | "inactive" => Ok(false),
        other => Err(format!("active: `{other}` is not yes or no")),
    }
}

/// Read a staff roster file for a partner (an empty `active` means active).
pub fn parse_roster(bytes: &[u8], partner: PartnerId) -> Result<Vec<StaffMember>, Vec<RowProblem>> {
    let mut keys: Vec<String> = Vec::new();
    let some = |s: String| (!s.is_empty()).then_some(s);
    read_rows(bytes, ROSTER_COLUMNS, &["staff_number", "role"], |get| {
        let m = StaffMember {
            id: 0,
            partner,
            staff_key: get("staff_number"),
            name: get("name"),
            agency: get("agency"),
            precinct: some(get("precinct")),
            shift: some(get("shift")),
            role: get("role").parse::<StaffRole>().map_err(|e| format!("role: {e}"))?,
            active: yes_no(&get("active"))?,
        };
        m.validate().map_err(|e| e.to_string())?;
        if keys.contains(&m.staff_key) {
            return Err(format!("staff number `{}` appears twice", m.staff_key));
        }
        keys.push(m.staff_key.clone());
        Ok(m)
    })
}

/// One row of a completions file, resolved against the roster and the courses.
#[derive(Debug, Clone, PartialEq)]
pub struct CompletionRow {
    pub staff_id: i64,
    pub course_id: i64,
    pub held_on: NaiveDate,
    pub location: String,
    pub instructors: Vec<InstructorType>,
    pub completed_on: NaiveDate,
    pub pre_score: Option<f64>,
    pub post_score: Option<f64>,
    pub evaluation: Option<u8>,
}

impl CompletionRow {
    pub fn completion(&self, session_id: i64) -> Completion {
        Completion {
            staff_id: self.staff_id,
            session_id,
            completed_on: self.completed_on,
            pre_score: self.pre_score,
            post_score: self.post_score,
            evaluation: self.evaluation,
        }
    }
}

/// Read a completions file: staff numbers are those of `staff` (one partner's roster), courses
/// are named as in `courses`; an empty `completed_on` is the session's day.
pub fn parse_completions(bytes: &[u8], staff: &[StaffMember], courses: &[Course]) -> Result<Vec<CompletionRow>, Vec<RowProblem>> {
    let mut seen: Vec<(i64, i64, NaiveDate, String)> = Vec::new();
    read_rows(bytes, COMPLETION_COLUMNS, &["staff_number", "course", "session_date"], |get| {
        let number = get("staff_number");
        let member = staff
            .iter()
            .find(|s| s.staff_key == number)
            .ok_or_else(|| format!("staff number `{number}` is not on the roster (import the roster first)"))?;
        let name = get("course");
        let course = courses
            .iter()
            .find(|c| c.name.eq_ignore_ascii_case(&name))
            .ok_or_else(|| format!("course `{name}` is not known (see `pmhc training courses`)"))?;
        let held_on = date("session_date", &get("session_date"))?;
        let completed_on = match get("completed_on").as_str() {
            "" => held_on,
            s => date("completed_on", s)?,
        };
        let row = CompletionRow {
            staff_id: member.id,
            course_id: course.id,
            held_on,
            location: get("location"),
            instructors: parse_instructors(&get("instructors")).map_err(|e| format!("instructors: {e}"))?,
            completed_on,
            pre_score: optional("pre_score", &get("pre_score"))?,
            post_score: optional("post_score", &get("post_score"))?,
            evaluation: optional("evaluation", &get("evaluation"))?,
        };
        let session = TrainingSession { id: 0, course_id: course.id, held_on, location: row.location.clone(), instructors: Vec::new() };
        row.completion(0).validate(&session).map_err(|e| e.to_string())?;
        let key = (row.staff_id, row.course_id, row.held_on, row.location.to_lowercase());
        if seen.contains(&key) {
            return Err(format!("staff number `{number}` completing `{}` on {} appears twice", course.name, row.held_on));
        }
        seen.push(key);
        Ok(row)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn staff() -> Vec<StaffMember> {
        parse_roster(b"staff_number,name,agency,precinct,shift,role,active\n1001,A B,City PD,North,Day,patrol_officer,\n2001,C D,City PD,,Night,dispatcher,no\n", 1)
            .unwrap()
            .into_iter()
            .enumerate()
            .map(|(i, mut s)| {
                s.id = i as i64 + 1;
                s
            })
            .collect()
    }

    #[test]
    fn reads_the_three_files() {
        let s = staff();
        assert_eq!(s[0].precinct.as_deref(), Some("North"));
        assert!(s[0].active && !s[1].active);
        assert_eq!(s[1].role, StaffRole::Dispatcher);
        let courses = parse_courses(b"name,kind,hours,refresher_months\nCIT 40-hour,basic_cit,40,24\nRefresher,refresher,8,\n").unwrap();
        assert_eq!(courses[0].refresher_months, Some(24));
        let courses: Vec<Course> = courses.into_iter().enumerate().map(|(i, c)| Course { id: i as i64 + 1, ..c }).collect();
        let rows = parse_completions(
            b"staff_number,course,session_date,location,instructors,completed_on,pre_score,post_score,evaluation\n\
              1001,cit 40-hour,2025-03-03,Academy,police;lived_experience,2025-03-07,55,85,5\n\
              2001,Refresher,2025-04-01,,,,,,\n",
            &s,
            &courses,
        )
        .unwrap();
        assert_eq!(rows[0].course_id, 1);
        assert_eq!(rows[0].instructors.len(), 2);
        assert_eq!(rows[1].completed_on, "2025-04-01".parse::<NaiveDate>().unwrap());
    }

    #[test]
    fn every_bad_row_is_named_with_its_line() {
        let courses = vec![Course { id: 1, name: "CIT".into(), kind: CourseKind::BasicCit, hours: 40.0, refresher_months: None }];
        let problems = parse_completions(
            b"staff_number,course,session_date,completed_on,post_score,evaluation,instructors\n\
              9999,CIT,2025-01-01,,,,\n\
              1001,Yoga,2025-01-01,,,,\n\
              1001,CIT,01/02/2025,,,,\n\
              1001,CIT,2025-01-05,2025-01-01,,,\n\
              1001,CIT,2025-01-05,,120,,\n\
              1001,CIT,2025-01-05,,,9,\n\
              1001,CIT,2025-01-05,,,,astronaut\n\
              1001,CIT,2025-01-05,,,,\n",
            &staff(),
            &courses,
        )
        .unwrap_err();
        let lines: Vec<u64> = problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, vec![2, 3, 4, 5, 6, 7, 8], "{problems:?}");
        assert!(problems[0].message.contains("not on the roster"));
        assert!(parse_roster(b"name\nx\n", 1).unwrap_err()[0].message.contains("missing columns: staff_number, role"));
        assert!(parse_courses(b"name,kind,hours,refresher_month\nA,other,2,12\n").unwrap_err()[0].message.contains("unknown columns: refresher_month"));
        assert!(parse_courses(b"name,kind,hours,refresher_months\nA,other,2,0\n").unwrap_err()[0].message.contains("refresher months"));
        let twice = parse_completions(b"staff_number,course,session_date\n1001,CIT,2025-01-05\n1001,cit,2025-01-05\n", &staff(), &courses).unwrap_err();
        assert_eq!(twice.iter().map(|p| p.line).collect::<Vec<_>>(), vec![3], "{twice:?}");
        let bad = parse_roster(b"staff_number,role,active\n1,sheriff,\n,dispatcher,\n2,dispatcher,maybe\n3,other,\n3,other,\n", 1).unwrap_err();
        assert_eq!(bad.iter().map(|p| p.line).collect::<Vec<_>>(), vec![2, 3, 4, 6], "{bad:?}");
        let bad = parse_courses(b"name,kind,hours\nA,basic_cit,0\nB,spa,8\nC,other,x\nD,other,2\nd,other,2\n").unwrap_err();
        assert_eq!(bad.iter().map(|p| p.line).collect::<Vec<_>>(), vec![2, 3, 4, 6], "{bad:?}");
    }
}
