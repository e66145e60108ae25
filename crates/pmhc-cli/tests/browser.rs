//! `pmhc serve` in a real browser: headless Chromium (Debian's `/usr/bin/chromium`) driven by
//! Playwright (`playwright-core` from npm, never `playwright install`), with axe-core checks.
//!
//! The script is tests/browser/run.mjs; this test makes a fresh SQLite database with an
//! administrator, starts the server on a free port, and runs the script against it: sign in,
//! upload the real Toronto persons-in-crisis file through the import page, the dashboard against
//! `pmhc report`, the field form at phone width (offline and back), full-page screenshots of each
//! page into target/browser-screenshots/, and no serious or critical accessibility violation.
//!
//! Runs only when `PMHC_TEST_BROWSER=1` (CI sets it, after `npm ci --prefix tests/browser`);
//! under `PMHC_REQUIRE_ALL` it must be set. `PMHC_CHROMIUM` overrides the browser's path.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

const USER: &str = "admin";
const PROVIDER_USER: &str = "nurse-clinic";
const PASSWORD: &str = "browser test password 7";
const DATASET: &str = "toronto-persons-in-crisis/raw_data_first32000.csv";
const MAPPING: &str = "toronto-pic";
/// The whole script's limit (it has its own, shorter one); a hung browser must not hang CI.
const LIMIT: Duration = Duration::from_secs(13 * 60);
/// The demo jurisdiction's size for the sweep of every page: enough for 2,000+ referrals.
const DEMO_ENCOUNTERS: &str = "50000";

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("workspace root")
}

fn enabled() -> bool {
    match std::env::var("PMHC_TEST_BROWSER") {
        Ok(v) if !v.is_empty() && v != "0" => true,
        _ => {
            assert!(
                !require_all(),
                "PMHC_REQUIRE_ALL is set but PMHC_TEST_BROWSER is not: CI must run the browser tests \
                 (npm ci --prefix tests/browser, then PMHC_TEST_BROWSER=1)"
            );
            eprintln!("skipped: the browser tests run only with PMHC_TEST_BROWSER=1");
            false
        }
    }
}

/// What the script needs, or a panic that says what is missing and how to get it.
fn prerequisites(root: &Path) -> (String, PathBuf) {
    let node = std::env::var("PMHC_NODE").unwrap_or_else(|_| "node".into());
    match Command::new(&node).arg("--version").output() {
        Ok(o) if o.status.success() => eprintln!("browser test: node {}", String::from_utf8_lossy(&o.stdout).trim()),
        other => panic!("PMHC_TEST_BROWSER is set but Node.js (`{node}`) cannot be run ({other:?}): apt-get install nodejs npm"),
    }
    let chromium = PathBuf::from(std::env::var("PMHC_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()));
    assert!(
        chromium.is_file(),
        "PMHC_TEST_BROWSER is set but Chromium is missing at {} (apt-get install chromium, or set PMHC_CHROMIUM)",
        chromium.display()
    );
    let modules = root.join("tests/browser/node_modules");
    for m in ["playwright-core/package.json", "axe-core/axe.min.js"] {
        assert!(
            modules.join(m).is_file(),
            "PMHC_TEST_BROWSER is set but {} is missing: run `npm ci --prefix tests/browser` first",
            modules.join(m).display()
        );
    }
    (node, chromium)
}

#[test]
fn the_web_application_in_a_browser() {
    if !enabled() {
        return;
    }
    let root = workspace();
    let (node, chromium) = prerequisites(&root);
    let Some(dataset) = shared(DATASET) else { return };
    let started = Instant::now();

    let dir = tempfile::tempdir().expect("tempdir");
    let db = format!("sqlite:{}", dir.path().join("browser.sqlite").display());
    let out = run(&db, &["init"]);
    assert!(out.status.success(), "pmhc init: {}", stderr(&out));
    add_user(&db, USER, "administrator", PASSWORD);
    // The published periods (what the public page answers): the periods the script compares.
    let shown = stdout(&run(&db, &["definitions", "show"]));
    let published = shown
        .replace("# [periods.", "[periods.")
        .replace("# from = \"2020-01-01\"", "from = \"2014-01-01\"")
        .replace("# to = \"2020-12-31\"", "to = \"2014-12-31\"")
        .replace("# from = \"2023-01-01\"", "from = \"2015-01-01\"")
        .replace("# to = \"2023-12-31\"", "to = \"2015-12-31\"");
    let defs = dir.path().join("definitions.toml");
    std::fs::write(&defs, published).expect("write the definitions");
    let out = run(&db, &["definitions", "set", defs.to_str().expect("path"), "--note", "publish 2014 against 2015"]);
    assert!(out.status.success(), "pmhc definitions set: {}", stderr(&out));
    // A provider with a service, and one of its clinicians (who confirms a referral).
    assert!(run(&db, &["partner", "add", "County Clinic", "--sector", "behavioral_health"]).status.success());
    let inventory = dir.path().join("services.csv");
    std::fs::write(
        &inventory,
        "provider,name,kind,intercept,eligibility,hours,capacity,police_dropoff,transit_access,phone,address,area\n\
         County Clinic,Crisis Receiving Centre,crisis_centre,1,adults,24/7,16,yes,yes,555-0112,200 Hope St,North\n",
    )
    .expect("write the inventory");
    let out = run(&db, &["services", "import", inventory.to_str().expect("path")]);
    assert!(out.status.success(), "pmhc services import: {}", stderr(&out));
    add_user_of(&db, PROVIDER_USER, "clinician", "County Clinic", PASSWORD);
    // A training programme: courses, a roster of officers and dispatchers, completions.
    for (what, name, body) in [
        ("import-courses", "courses.csv", "name,kind,hours,refresher_months\nCIT basic,basic_cit,40,24\nRefresher,refresher,8,\nDispatch,dispatcher,16,36\n"),
        (
            "import-roster",
            "roster.csv",
            "staff_number,name,agency,precinct,shift,role,active\n\
             101,Avery Officer,City PD,D52,Day,patrol_officer,\n102,Blake Officer,City PD,D52,Night,patrol_officer,\n\
             103,Casey Sergeant,City PD,D14,Day,supervisor,\n104,Drew Officer,City PD,D14,Day,patrol_officer,\n\
             201,Emery Dispatcher,City 911,,Night,dispatcher,\n",
        ),
        (
            "import-completions",
            "completions.csv",
            "staff_number,course,session_date,location,instructors,completed_on,pre_score,post_score,evaluation\n\
             101,CIT basic,2022-03-07,Academy,police;lived_experience;family_member,2022-03-11,52,84,5\n\
             103,CIT basic,2024-09-09,Academy,police;clinician,2024-09-13,61,88,4\n\
             201,Dispatch,2023-01-16,Comms,clinician,,70,90,4\n",
        ),
    ] {
        let file = dir.path().join(name);
        std::fs::write(&file, body).expect("write a training file");
        let out = run(&db, &["training", what, file.to_str().expect("path")]);
        assert!(out.status.success(), "pmhc training {what}: {}", stderr(&out));
    }
    let server = Server::start(&db);
    eprintln!("browser test: pmhc serve at {}", server.base);

    // The demo jurisdiction, where the script visits every page once per width as a role that may
    // open it, and works the 2,000+ referrals on a phone.
    let demo_db = format!("sqlite:{}", dir.path().join("demo.sqlite").display());
    let out = run(&demo_db, &["demo", "--encounters", DEMO_ENCOUNTERS, "--seed", "18"]);
    assert!(out.status.success(), "pmhc demo: {}", stderr(&out));
    add_user(&demo_db, "coord", "project_coordinator", PASSWORD);
    add_user(&demo_db, "boss", "administrator", PASSWORD);
    add_user(&demo_db, "member", "workgroup_member", PASSWORD);
    add_user_of(&demo_db, "clin", "clinician", "County Behavioral Health (demo)", PASSWORD);
    let demo = Server::start(&demo_db);
    eprintln!("browser test: the demo jurisdiction at {}", demo.base);
    // The script asks for the demo's sign-ins to be aged past the 5-minute password re-check by
    // writing this file; the test does it in the database and answers with the second.
    let (age_request, aged) = (dir.path().join("age-sessions"), dir.path().join("sessions-aged"));

    let shots = root.join("target/browser-screenshots");
    let _ = std::fs::remove_dir_all(&shots);
    std::fs::create_dir_all(&shots).expect("screenshot folder");

    let mut child = Command::new(&node)
        .arg(root.join("tests/browser/run.mjs"))
        .current_dir(&root)
        .env("BASE_URL", &server.base)
        .env("PMHC_USER", USER)
        .env("PMHC_PROVIDER_USER", PROVIDER_USER)
        .env("PMHC_PASSWORD", PASSWORD)
        .env("PMHC_DATASET", &dataset)
        .env("PMHC_MAPPING", MAPPING)
        .env("PMHC_BIN", env!("CARGO_BIN_EXE_pmhc"))
        .env("PMHC_DB", &db)
        .env("SCREENSHOT_DIR", &shots)
        .env("PMHC_CHROMIUM", &chromium)
        .env("DEMO_URL", &demo.base)
        .env("PMHC_TODAY", today().to_string())
        .env("DEMO_USERS", "coordinator=coord,administrator=boss,clinician=clin,workgroup member=member")
        .env("PMHC_AGE_REQUEST", &age_request)
        .env("PMHC_AGED", &aged)
        .stdin(Stdio::null())
        .stdout(Stdio::inherit())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start node tests/browser/run.mjs");
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait for node") {
            break s;
        }
        if started.elapsed() > LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the browser tests did not finish in {} s", LIMIT.as_secs());
        }
        if age_request.exists() {
            let _ = std::fs::remove_file(&age_request);
            age_sign_ins(&demo_db);
            std::fs::write(&aged, "aged").expect("answer the script");
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    drop(server);
    drop(demo);
    eprintln!("browser test: {:.1} s; screenshots in {}", started.elapsed().as_secs_f64(), shots.display());
    assert!(status.success(), "the browser tests failed ({status}); their output above says which check");
    let pngs = std::fs::read_dir(&shots).expect("screenshots").filter(|e| e.as_ref().is_ok_and(|e| e.path().extension().is_some_and(|x| x == "png"))).count();
    assert!(pngs >= 11, "expected a screenshot of each main page, found {pngs} in {}", shots.display());
}

/// Every session of the database signed in ten minutes ago (on the server's clock), so that the
/// next administrative change asks for the password again.
fn age_sign_ins(db: &str) {
    let at = (clock().now() - chrono::Duration::minutes(10)).to_rfc3339();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    rt.block_on(async {
        let pool = sqlx::SqlitePool::connect(db).await.expect("the demo database");
        sqlx::query("UPDATE sessions SET authenticated_at = ?").bind(&at).execute(&pool).await.expect("age the sign-ins");
        pool.close().await;
    });
}
