//! The training importers (courses, a staff roster, completions) on any file: never a panic;
//! either rows that each pass validation, or problems that each name what is wrong.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pmhc_core::training::{Course, CourseKind, StaffMember, StaffRole, TrainingSession};
use pmhc_import::training::{parse_completions, parse_courses, parse_roster};

fuzz_target!(|data: &[u8]| {
    let Some((&which, data)) = data.split_first() else { return };
    let problems = match which % 3 {
        0 => match parse_courses(data) {
            Ok(courses) => {
                assert!(courses.iter().all(|c| c.validate().is_ok()));
                return;
            }
            Err(p) => p,
        },
        1 => match parse_roster(data, 1) {
            Ok(staff) => {
                assert!(staff.iter().all(|s| s.validate().is_ok() && s.partner == 1));
                return;
            }
            Err(p) => p,
        },
        _ => {
            let staff = vec![StaffMember {
                id: 7,
                partner: 1,
                staff_key: "1001".into(),
                name: "A".into(),
                agency: String::new(),
                precinct: None,
                shift: None,
                role: StaffRole::PatrolOfficer,
                active: true,
            }];
            let courses = vec![Course { id: 3, name: "CIT".into(), kind: CourseKind::BasicCit, hours: 40.0, refresher_months: Some(24) }];
            match parse_completions(data, &staff, &courses) {
                Ok(rows) => {
                    for r in &rows {
                        assert!(r.staff_id == 7 && r.course_id == 3);
                        let session = TrainingSession { id: 0, course_id: 3, held_on: r.held_on, location: r.location.clone(), instructors: Vec::new() };
                        assert!(r.completion(0).validate(&session).is_ok());
                    }
                    return;
                }
                Err(p) => p,
            }
        }
    };
    assert!(!problems.is_empty());
    assert!(problems.iter().all(|p| !p.message.is_empty()));
});
