//! Helpers shared by the end-to-end tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

pub fn pmhc() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_pmhc"));
    c.env_remove("PMHC_DATABASE").env("PMHC_LOG", "error");
    c
}

pub fn run(db: &str, args: &[&str]) -> Output {
    pmhc().arg("--database").arg(db).args(args).output().expect("run pmhc")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn json(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", stdout(o), stderr(o)))
}

/// The tests' clock: the instant `PMHC_NOW` names (the `pmhc` commands under test inherit it), or
/// the system clock. Fixtures that must be "recent" are dated from it, never as literals.
pub fn clock() -> pmhc_store::Clock {
    pmhc_store::Clock::from_env().expect("PMHC_NOW must be an RFC 3339 instant")
}

/// Today on the tests' clock.
pub fn today() -> chrono::NaiveDate {
    clock().today()
}

/// The day `n` days after today (before it when negative), as YYYY-MM-DD.
pub fn day(n: i64) -> String {
    (today() + chrono::Duration::days(n)).to_string()
}

/// The first day of the month `n` months after this one (before it when negative), as YYYY-MM-DD.
pub fn month_start(n: i32) -> String {
    use chrono::Datelike;
    let t = today();
    let m = t.year() * 12 + t.month0() as i32 + n;
    chrono::NaiveDate::from_ymd_opt(m.div_euclid(12), m.rem_euclid(12) as u32 + 1, 1).expect("a month").to_string()
}

/// The year `n` years after this one (before it when negative).
pub fn year(n: i32) -> i32 {
    use chrono::Datelike;
    today().year() + n
}

/// Year `i` of `pmhc demo`'s window (0 = its first; the window is the six full years before the
/// clock's year) as a period FROM..TO.
pub fn demo_year(i: i32) -> String {
    let y = year(-6) + i;
    format!("{y}-01-01..{y}-12-31")
}

pub fn require_all() -> bool {
    std::env::var_os("PMHC_REQUIRE_ALL").is_some()
}

/// A file of the shared public datasets, or `None` (the test then skips) when absent.
pub fn shared(rel: &str) -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data").join(rel);
    if p.exists() {
        return Some(p);
    }
    assert!(!require_all(), "PMHC_REQUIRE_ALL is set but {} is missing", p.display());
    eprintln!("skipped: {} is not present", p.display());
    None
}

/// The databases to run a test against: a fresh SQLite file, and a fresh PostgreSQL database when
/// `PMHC_TEST_POSTGRES` is set.
pub struct Databases {
    _dir: tempfile::TempDir,
    pub urls: Vec<String>,
    pg: Option<(String, String)>,
}

impl Databases {
    pub fn new() -> Databases {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut urls = vec![format!("sqlite:{}", dir.path().join("t.sqlite").display())];
        let mut pg = None;
        match std::env::var("PMHC_TEST_POSTGRES") {
            Ok(admin) => {
                let name = format!("pmhc_cli_{}_{}", std::process::id(), rand_suffix());
                let out = Command::new("psql").args([&admin, "-q", "-c", &format!("CREATE DATABASE {name}")]).output();
                match out {
                    Ok(o) if o.status.success() => {
                        let base = admin.rsplit_once('/').map(|(b, _)| b.to_string()).unwrap_or(admin.clone());
                        urls.push(format!("{base}/{name}"));
                        pg = Some((admin, name));
                    }
                    other => panic!("PMHC_TEST_POSTGRES is set but creating a database failed: {other:?}"),
                }
            }
            Err(_) => {
                assert!(!require_all(), "PMHC_REQUIRE_ALL is set but PMHC_TEST_POSTGRES is not");
                eprintln!("PostgreSQL variant skipped: PMHC_TEST_POSTGRES is not set");
            }
        }
        Databases { _dir: dir, urls, pg }
    }

    pub fn dir(&self) -> &Path {
        self._dir.path()
    }
}

impl Drop for Databases {
    fn drop(&mut self) {
        if let Some((admin, name)) = &self.pg {
            let _ = Command::new("psql").args([admin.as_str(), "-q", "-c", &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")]).output();
        }
    }
}

pub fn rand_suffix() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_i64(pmhc_store::clock::real_now().timestamp_nanos_opt().unwrap_or(0));
    h.finish() % 1_000_000_000
}


/// A running `pmhc serve` on a free port, stopped (killed) when dropped.
pub struct Server {
    child: std::process::Child,
    pub base: String,
    pub db: String,
}

impl Server {
    /// Start `pmhc --database DB serve --listen 127.0.0.1:0` and wait until it says where it listens.
    pub fn start(db: &str) -> Server {
        Self::start_with(db, &[])
    }

    pub fn start_with(db: &str, extra: &[&str]) -> Server {
        use std::io::BufRead;
        let mut child = pmhc()
            .args(["--database", db, "serve", "--listen", "127.0.0.1:0"])
            // A set PMHC_NOW is the server's "today" too (refused without the flag).
            .args(clock().is_set().then_some("--test-clock"))
            .args(extra)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::inherit())
            .spawn()
            .expect("start pmhc serve");
        let out = child.stdout.take().expect("stdout");
        let mut lines = std::io::BufReader::new(out).lines();
        let mut base = None;
        for line in lines.by_ref() {
            let line = line.expect("read pmhc serve output");
            if let Some(rest) = line.split("at http://").nth(1) {
                let addr = rest.split('/').next().unwrap_or_default();
                base = Some(format!("http://{addr}"));
                break;
            }
        }
        // Keep draining stdout so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        let base = base.expect("pmhc serve did not say where it listens");
        Server { child, base, db: db.to_string() }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Add a user with a password (through `pmhc user add`), of the default partner.
pub fn add_user(db: &str, name: &str, role: &str, password: &str) {
    add_user_of(db, name, role, "1", password)
}

/// Add a user of a partner (name or number) with a password.
pub fn add_user_of(db: &str, name: &str, role: &str, partner: &str, password: &str) {
    use std::io::Write;
    let mut child = pmhc()
        .args(["--database", db, "user", "add", name, "--role", role, "--partner", partner, "--password-stdin"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run pmhc user add");
    child.stdin.take().expect("stdin").write_all(format!("{password}\n").as_bytes()).expect("write password");
    let out = child.wait_with_output().expect("pmhc user add");
    assert!(out.status.success(), "pmhc user add {name}: {}", stderr(&out));
}

/// A new API token for a user (through `pmhc user token`).
pub fn add_token(db: &str, user: &str) -> String {
    let out = run(db, &["user", "token", user, "test client"]);
    assert!(out.status.success(), "pmhc user token: {}", stderr(&out));
    stdout(&out).trim().to_string()
}

/// A small HTTP client for the tests: no redirects followed, every status returned, cookies kept.
pub struct Http {
    agent: ureq::Agent,
    pub base: String,
    pub cookies: std::collections::BTreeMap<String, String>,
    /// Sent as `Authorization: Bearer …` when set.
    pub token: Option<String>,
}

/// A response: status, headers (lower-case names) and body.
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}), status {}: {}", self.status, self.text()))
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
    pub fn headers_named(&self, name: &str) -> Vec<&str> {
        self.headers.iter().filter(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str()).collect()
    }
}

impl Http {
    pub fn new(base: &str) -> Http {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .timeout_global(Some(std::time::Duration::from_secs(120)))
            // A new connection per request: a server may close a connection after refusing a
            // request whose body it did not read (a cross-site form, say), and reusing that
            // connection for a POST (which is not retried) fails with "peer disconnected".
            .max_idle_connections(0)
            .max_idle_connections_per_host(0)
            .build()
            .new_agent();
        Http { agent, base: base.to_string(), cookies: Default::default(), token: None }
    }

    fn finish(&mut self, r: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Resp {
        let mut r = r.expect("HTTP request");
        let status = r.status().as_u16();
        let headers: Vec<(String, String)> =
            r.headers().iter().map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap_or("").to_string())).collect();
        for (k, v) in &headers {
            if k == "set-cookie"
                && let Some((name, rest)) = v.split_once('=')
            {
                let value = rest.split(';').next().unwrap_or("").to_string();
                if value.is_empty() || v.contains("Max-Age=0") {
                    self.cookies.remove(name);
                } else {
                    self.cookies.insert(name.to_string(), value);
                }
            }
        }
        let body = r.body_mut().with_config().limit(512 << 20).read_to_vec().expect("read body");
        Resp { status, headers, body }
    }

    fn cookie_header(&self) -> String {
        self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ")
    }

    fn decorate<B>(&self, mut rb: ureq::RequestBuilder<B>) -> ureq::RequestBuilder<B> {
        if !self.cookies.is_empty() {
            rb = rb.header("Cookie", &self.cookie_header());
        }
        if let Some(t) = &self.token {
            rb = rb.header("Authorization", &format!("Bearer {t}"));
        }
        rb
    }

    pub fn get(&mut self, path: &str) -> Resp {
        let rb = self.decorate(self.agent.get(format!("{}{path}", self.base)));
        let r = rb.call();
        self.finish(r)
    }

    pub fn post_form(&mut self, path: &str, form: &[(&str, &str)]) -> Resp {
        let rb = self.decorate(self.agent.post(format!("{}{path}", self.base))).header("Origin", &self.base.clone());
        let r = rb.send_form(form.iter().copied());
        self.finish(r)
    }

    pub fn post_form_with_origin(&mut self, path: &str, origin: &str, form: &[(&str, &str)]) -> Resp {
        let rb = self.decorate(self.agent.post(format!("{}{path}", self.base))).header("Origin", origin);
        let r = rb.send_form(form.iter().copied());
        self.finish(r)
    }

    pub fn send_json(&mut self, method: &str, path: &str, body: &Value, headers: &[(&str, &str)]) -> Resp {
        let url = format!("{}{path}", self.base);
        let bytes = serde_json::to_vec(body).expect("JSON");
        let r = match method {
            "POST" => {
                let mut rb = self.decorate(self.agent.post(url)).header("Content-Type", "application/json");
                for (k, v) in headers {
                    rb = rb.header(*k, *v);
                }
                rb.send(&bytes[..])
            }
            "PUT" => {
                let mut rb = self.decorate(self.agent.put(url)).header("Content-Type", "application/json");
                for (k, v) in headers {
                    rb = rb.header(*k, *v);
                }
                rb.send(&bytes[..])
            }
            other => panic!("unsupported method {other}"),
        };
        self.finish(r)
    }

    /// POST a multipart form: text fields, then files as (field, file name, bytes).
    pub fn post_multipart(&mut self, path: &str, fields: &[(&str, &str)], files: &[(&str, &str, &[u8])]) -> Resp {
        self.try_post_multipart(path, fields, files).expect("HTTP request")
    }

    /// The same, returning a transport error instead of panicking on it.
    pub fn try_post_multipart(&mut self, path: &str, fields: &[(&str, &str)], files: &[(&str, &str, &[u8])]) -> Result<Resp, ureq::Error> {
        let boundary = format!("pmhc-test-boundary-{}", rand_suffix());
        let mut body = Vec::new();
        for (k, v) in fields {
            body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n").as_bytes());
        }
        for (k, name, bytes) in files {
            body.extend_from_slice(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"; filename=\"{name}\"\r\nContent-Type: text/csv\r\n\r\n")
                    .as_bytes(),
            );
            body.extend_from_slice(bytes);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        let rb = self
            .decorate(self.agent.post(format!("{}{path}", self.base)))
            .header("Origin", &self.base.clone())
            .header("Content-Type", &format!("multipart/form-data; boundary={boundary}"));
        let r = rb.send(&body[..])?;
        Ok(self.finish(Ok(r)))
    }

    /// Sign in through the page (the form's CSRF token and cookie included); panics on failure.
    pub fn sign_in(&mut self, user: &str, password: &str) {
        let r = self.sign_in_status(user, password);
        assert_eq!(r.status, 303, "sign-in of {user} failed: {}", r.text());
    }

    /// The password step's answer; when it leads to the second factor, that is given too (as an
    /// authenticator app would: enrolling at the first sign-in, then a fresh code each time).
    pub fn sign_in_status(&mut self, user: &str, password: &str) -> Resp {
        let form = self.get("/sign-in").text();
        let csrf = hidden(&form, "csrf");
        let r = self.post_form("/sign-in", &[("username", user), ("password", password), ("csrf", &csrf), ("next", "/"), ("acknowledge", "yes")]);
        if r.status == 303 && r.header("location").is_some_and(|l| l.starts_with("/sign-in/second-factor")) {
            let done = self.second_factor(user);
            assert_eq!(done.status, 303, "second factor of {user}: {}", done.text());
        }
        r
    }

    /// Give the second factor of a session waiting for it: enrol (reading the key off the page)
    /// or enter the next unused code of the key enrolled before.
    pub fn second_factor(&mut self, user: &str) -> Resp {
        let page = self.get("/sign-in/second-factor").text();
        let key = (self.base.clone(), user.to_string());
        let enrol = page.contains("id=\"totp-secret\"");
        let secret = if enrol {
            let s = page.split("id=\"totp-secret\">").nth(1).and_then(|r| r.split('<').next()).expect("the key on the page").to_string();
            totp_keys().lock().expect("keys").insert(key.clone(), (s.clone(), 0));
            s
        } else {
            totp_keys().lock().expect("keys").get(&key).map(|k| k.0.clone()).unwrap_or_else(|| panic!("no key enrolled for {user}"))
        };
        let step = next_totp_step(&key);
        let code = pmhc_core::totp::code_at(&pmhc_core::totp::base32_decode(&secret).expect("base32 key"), step * 30);
        let csrf = hidden(&page, "csrf");
        let mut form = vec![("csrf", csrf.as_str()), ("code", code.as_str()), ("next", "/")];
        if enrol {
            form.push(("secret", secret.as_str()));
        }
        self.post_form("/sign-in/second-factor", &form)
    }

    /// The session's CSRF token, from a page that shows the sign-out form.
    pub fn csrf(&mut self) -> String {
        hidden(&self.get("/definitions").text(), "csrf")
    }
}

/// The value of the first hidden input called `name` in a page.
pub fn hidden(html: &str, name: &str) -> String {
    let key = format!("name=\"{name}\" value=\"");
    let start = html.find(&key).unwrap_or_else(|| panic!("no hidden input {name} in the page:\n{}", &html[..html.len().min(3000)])) + key.len();
    html[start..].split('"').next().unwrap_or_default().to_string()
}

/// The authenticator keys the tests enrolled, by (server, user), with the last time step used.
pub fn totp_keys() -> &'static std::sync::Mutex<std::collections::HashMap<(String, String), (String, u64)>> {
    static KEYS: std::sync::OnceLock<std::sync::Mutex<std::collections::HashMap<(String, String), (String, u64)>>> =
        std::sync::OnceLock::new();
    KEYS.get_or_init(Default::default)
}

/// The next time step whose code this user has not used: the server accepts one step of drift
/// either way and each step once. The current step comes first (not the one before it: on a busy
/// machine the request may reach the server in the next step, which still accepts it), then the
/// next; a third sign-in within 30 seconds waits for the clock.
pub fn next_totp_step(key: &(String, String)) -> u64 {
    // Authenticator codes follow the real time, whatever PMHC_NOW says.
    let now = || u64::try_from(pmhc_store::clock::real_now().timestamp()).unwrap_or(0);
    let last = totp_keys().lock().expect("keys").get(key).map(|k| k.1).unwrap_or(0);
    let mut step = (now() / 30).max(last + 1);
    while step > now() / 30 + 1 {
        std::thread::sleep(std::time::Duration::from_millis(500));
        step = (now() / 30).max(last + 1);
    }
    if let Some(k) = totp_keys().lock().expect("keys").get_mut(key) {
        k.1 = step;
    }
    step
}

/// A CSV text's rows as maps from the header's names.
pub fn csv_rows(text: &str) -> Vec<std::collections::HashMap<String, String>> {
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let headers = r.headers().expect("CSV header").clone();
    r.records()
        .map(|rec| {
            let rec = rec.expect("CSV row");
            headers.iter().zip(rec.iter()).map(|(h, v)| (h.to_string(), v.to_string())).collect()
        })
        .collect()
}
