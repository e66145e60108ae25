//! The command-line interface: every command, with help that teaches by example.

use std::path::PathBuf;

use chrono::NaiveDate;
use clap::{Args, Parser, Subcommand, ValueEnum};

const ABOUT: &str = "pmhc: the data system of a police–mental health collaboration.

Bring in dispatch (CAD), records (RMS) and use-of-force exports from every partner through
mapping files, keep one canonical record per mental-health encounter, and measure the four key
outcomes against a baseline.";

const AFTER: &str = "\
Getting started:
  pmhc demo --encounters 50000          make a synthetic jurisdiction in ./pmhc.sqlite
  pmhc encounters list --limit 10       look at what is there
  pmhc import calls.csv --mapping seattle-call-data
                                        bring in a real export through a shipped mapping
  pmhc mappings list                    the shipped mappings (and `pmhc mappings show NAME`)
  pmhc report --baseline 2020-01-01..2020-12-31 --comparison 2023-01-01..2023-12-31
                                        the four key outcomes, before and after
  pmhc definitions show                 what counts as a mental-health or repeat encounter

The database is a SQLite file (./pmhc.sqlite) unless --database or PMHC_DATABASE says otherwise:
  pmhc --database postgres://pmhc@db.example.org/pmhc db migrate
Commands that only read (report, encounters, definitions show, ...) never create a SQLite file:
pointed at one that does not exist they say so and exit 2.
Set PMHC_LOG=info (or debug) for a log on standard error.";

#[derive(Debug, Parser)]
#[command(name = "pmhc", version, about = ABOUT, long_about = None, after_help = AFTER)]
pub struct Cli {
    /// Database URL: a SQLite file (`sqlite:pmhc.sqlite`, or a path ending .sqlite/.db) or a
    /// PostgreSQL server (`postgres://user@host/db`).
    #[arg(long, global = true, env = "PMHC_DATABASE", default_value = "sqlite:pmhc.sqlite")]
    pub database: String,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create the database (or bring it up to date) and its pseudonymisation secret.
    #[command(after_help = "Example:\n  pmhc init\n  pmhc --database postgres://pmhc@localhost/pmhc init")]
    Init,

    /// Import a CSV export through a mapping file.
    #[command(after_help = IMPORT_HELP)]
    Import(ImportArgs),

    /// Make a synthetic jurisdiction: realistic encounters over several years.
    #[command(after_help = DEMO_HELP)]
    Demo(DemoArgs),

    /// List or show encounters.
    #[command(subcommand)]
    Encounters(EncountersCommand),

    /// Database migrations.
    #[command(subcommand)]
    Db(DbCommand),

    /// The mappings shipped with pmhc.
    #[command(subcommand)]
    Mappings(MappingsCommand),

    /// Measure the four key outcomes: a baseline period against a comparison period.
    #[command(after_help = REPORT_HELP)]
    Report(ReportArgs),

    /// The shared definitions: what counts as a mental-health encounter, a repeat encounter, a
    /// frequent arrest, a connection to resources; versioned.
    #[command(subcommand)]
    Definitions(DefinitionsCommand),

    /// People: the case-management population.
    #[command(subcommand)]
    People(PeopleCommand),

    /// The history of imports into this database.
    #[command(after_help = "Example:\n  pmhc imports --limit 5")]
    Imports {
        #[arg(long, default_value_t = 20)]
        limit: u32,
        #[arg(long)]
        json: bool,
    },

    /// The register of public releases: every public output, what it published, from what.
    #[command(after_help = RELEASES_HELP)]
    Releases {
        /// JSON instead of a table.
        #[arg(long)]
        json: bool,
        /// Attack every release together (exact linear attacker with bounds) and say what could
        /// be worked out; exit 1 if anything could.
        #[arg(long)]
        check: bool,
    },

    /// Run the web application and the JSON API.
    #[command(after_help = SERVE_HELP)]
    Serve(ServeArgs),

    /// User accounts and API tokens for the web application.
    #[command(subcommand, after_help = USER_HELP)]
    User(UserCommand),

    /// The audit trail: who saw, exported or changed which records, and every administrative
    /// action; hash-chained, so any change to it is found.
    #[command(subcommand, after_help = AUDIT_HELP)]
    Audit(AuditCommand),

    /// The partners: agencies and organizations by sector. Every record and user belongs to one.
    #[command(subcommand, after_help = PARTNER_HELP)]
    Partner(PartnerCommand),

    /// Information-sharing agreements: which partner shares which field groups with whom, for
    /// what purpose, from when to when. Enforced on every page, API call, export and report.
    #[command(subcommand, after_help = AGREEMENT_HELP)]
    Agreement(AgreementCommand),

    /// Consents to disclose substance-use information (42 CFR Part 2) and the accounting of
    /// disclosures made under them.
    #[command(subcommand, after_help = CONSENT_HELP)]
    Consent(ConsentCommand),

    /// The service inventory: providers' services by type and intercept, hours, capacity, police
    /// drop-off. The public resource guide (/resources) and the intercept map are built from it.
    #[command(subcommand, after_help = SERVICES_HELP)]
    Services(ServicesCommand),

    /// Closed-loop referrals from encounters to services, and their export.
    #[command(subcommand, after_help = REFERRALS_HELP)]
    Referrals(ReferralsCommand),

    /// Training: courses, each partner's staff roster, completions with test scores and
    /// evaluations, and the coverage of patrol officers and dispatchers by precinct and shift.
    #[command(subcommand, after_help = TRAINING_HELP)]
    Training(TrainingCommand),

    /// Linking people across partners without sharing identities: encode identifiers into
    /// hardened Bloom-filter encodings where they are kept, and match the encodings of two
    /// partners. Needs no database.
    #[command(subcommand, after_help = LINK_HELP)]
    Link(LinkCommand),

    /// The interagency workgroup: its members, meetings and action items as CSV (export, edit in a
    /// spreadsheet, import again), the overdue action items and the representation table.
    #[command(subcommand, after_help = WORKGROUP_HELP)]
    Workgroup(WorkgroupCommand),
}

const LINK_HELP: &str = "\
Each partner encodes its own people with the linkage project's shared secret (a file of at least
32 random bytes, raw or hex — e.g. `head -c 32 /dev/urandom > project.key`, handed to the
partners, never to pmhc's installation); only the .clk files leave a partner. The encodings of
two partners are then matched where both may send them.

Examples:
  pmhc link encode people.csv --secret-file project.key --id person_id \\
      --field given_name=first --field surname=last --field date_of_birth=dob --output police.clk
  pmhc link match police.clk clinic.clk --output links.csv --review review.csv";

/// `pmhc link`: privacy-preserving record linkage.
#[derive(Debug, Subcommand)]
pub enum LinkCommand {
    /// Encode each row's identifiers (at least two usable of given name, surname, date of birth,
    /// sex, postcode) into a hardened Bloom-filter encoding. The output holds the row's id and its
    /// encoding, nothing else of the row; a row with fewer than two usable identifiers is skipped
    /// and listed in OUTPUT.rejects.csv (exit 3).
    #[command(after_help = "Example:\n  pmhc link encode people.csv --secret-file project.key --id person_id \\\n      --field given_name=first --field surname=last --field date_of_birth=dob --dob-format %d/%m/%Y --output police.clk")]
    Encode {
        /// The CSV file (a header row; header names are trimmed).
        file: PathBuf,
        /// The linkage project's secret: at least 32 random bytes, raw or as hex.
        #[arg(long)]
        secret_file: PathBuf,
        /// The column with each row's id (written beside its encoding).
        #[arg(long)]
        id: String,
        /// IDENTIFIER=COLUMN, for given_name, surname, date_of_birth, sex and postcode (at least
        /// three of them).
        #[arg(long = "field", value_name = "IDENTIFIER=COLUMN", required = true)]
        fields: Vec<String>,
        /// How dates of birth are written: %Y%m%d, %Y-%m-%d (the default) or %d/%m/%Y, or another
        /// chrono format.
        #[arg(long, default_value = "%Y-%m-%d")]
        dob_format: String,
        /// Where the encodings go (.clk).
        #[arg(long)]
        output: PathBuf,
    },
    /// Match two encoding files made under the same secret: one-to-one links at or above the
    /// threshold (from the data unless given; printed on standard error), written as
    /// a_id,b_id,score sorted by a_id; pairs just below it to --review.
    #[command(after_help = "Example:\n  pmhc link match police.clk clinic.clk --output links.csv --review review.csv")]
    Match {
        a: PathBuf,
        b: PathBuf,
        #[arg(long)]
        output: PathBuf,
        /// The Dice score a link needs (0.5 to 1.0); read from the scores when not given.
        #[arg(long)]
        threshold: Option<f64>,
        /// Where the pairs for clerical review go (within 0.05 below the threshold).
        #[arg(long)]
        review: Option<PathBuf>,
    },
}

const WORKGROUP_HELP: &str = "\
The workgroup (Handbook, Question 1) is kept on the pages /workgroup, /workgroup/meetings and
/workgroup/actions; these commands move it in and out as CSV. Each file is read whole: one bad row
imports nothing, and every problem is listed with its line. Export, edit, import: a row with an
id changes that record, a row without one is matched by its name (members), its day, kind and
title (meetings), or added. Members are named by their names in every file.

  members   id, name, username (a pmhc account, optional), affiliation, partner (its number),
            sector, role, substitute_for (the member's name), joined_on, left_on
            sectors: law_enforcement, behavioral_health, substance_use_treatment, crisis_services,
            advocacy, housing, lived_experience, families, other
            roles: chair, co_chair, member, substitute, staff
  meetings  id, held_on, kind (workgroup, subcommittee, leadership), title, location,
            agenda (one item per line: title | presenter | minutes), present and excused (names
            separated by `;`), decisions (one per line, numbered in order), minutes (Markdown, no
            HTML, links to http, https and mailto only; at most 32 KiB)
  actions   id, meeting_id (or meeting_on and meeting_title), decision (its number), owner, text,
            due_on, status (open, done, dropped; empty: open), follow_up, closed_on

What members say of themselves (lived experience, demographics) is personal and is in no file:
each member enters it on their own page, and the coordinator reads it there. Overdue means open
past its due day, on pmhc's today (PMHC_NOW moves it).

Examples:
  pmhc workgroup members export --output members.csv
  pmhc workgroup members import members.csv
  pmhc workgroup meetings import meetings.csv
  pmhc workgroup actions export > actions.csv
  pmhc workgroup actions overdue
  pmhc workgroup representation";

#[derive(Debug, Subcommand)]
pub enum WorkgroupCommand {
    /// The members as CSV.
    #[command(subcommand)]
    Members(WorkgroupFile),
    /// The meetings (agenda, attendance, decisions, minutes) as CSV.
    #[command(subcommand)]
    Meetings(WorkgroupFile),
    /// The action items as CSV, and those overdue.
    #[command(subcommand)]
    Actions(WorkgroupActions),
    /// The membership against the community's demographics ("fewer than 3" for small groups),
    /// the sectors missing and the gaps in words.
    Representation,
}

#[derive(Debug, Subcommand)]
pub enum WorkgroupFile {
    /// Write the CSV (to standard output unless --output).
    Export {
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// Read a CSV file whole: every row saved, or none.
    Import { file: PathBuf },
}

#[derive(Debug, Subcommand)]
pub enum WorkgroupActions {
    /// Write the CSV (to standard output unless --output).
    Export {
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// Read a CSV file whole: every row saved, or none.
    Import { file: PathBuf },
    /// The open action items past their due day, longest overdue first.
    Overdue,
}

const TRAINING_HELP: &str = "\
The three files, each read whole (a file with any bad row imports nothing and lists every problem
with its line):
  courses      name, kind, hours, refresher_months (months a completion counts before a refresher
               is due; empty: never)
               kinds: basic_cit, advanced, refresher, dispatcher, de_escalation,
               cultural_competence, other
  roster       staff_number (badge or employee number, as on encounters), name, agency, precinct,
               shift, role, active (yes/no; empty: yes)
               roles: patrol_officer, supervisor, dispatcher, clinician, other
  completions  staff_number, course (its name), session_date, location, instructors, completed_on
               (empty: the session's day), pre_score and post_score (0-100), evaluation (1-5)
               instructors: police, clinician, lived_experience, family_member, advocate, other,
               separated by `;`

Trained means: patrol officers and supervisors completed the basic CIT course; dispatchers the
dispatcher course (or basic CIT). A refresher is due the course's refresher months after the latest
qualifying or refresher course. The calls that requested CIT are matched to the roster by the
officers' badge numbers on the encounters of the roster's partner.

Examples:
  pmhc training import-courses courses.csv
  pmhc training import-roster roster.csv --partner \"City Police Department\"
  pmhc training import-completions completions.csv --partner 1
  pmhc training coverage
  pmhc training coverage --format csv --output coverage.csv";

#[derive(Debug, Subcommand)]
pub enum TrainingCommand {
    /// Add or change courses from a CSV file (a course of the same name is changed).
    ImportCourses { file: PathBuf },
    /// Add or change a partner's staff from a roster CSV file (by staff number).
    ImportRoster {
        file: PathBuf,
        /// The partner whose staff these are (name or number; default: partner 1).
        #[arg(long)]
        partner: Option<String>,
    },
    /// Record completions of a partner's staff from a CSV file.
    ImportCompletions {
        file: PathBuf,
        #[arg(long)]
        partner: Option<String>,
    },
    /// The courses with their sessions, completions, mean scores and evaluation.
    Courses,
    /// The staff roster with each member's training status.
    Roster {
        #[arg(long)]
        partner: Option<String>,
    },
    /// Coverage by group, precinct and shift; refreshers overdue; how often a trained officer
    /// reached the calls that requested one.
    Coverage {
        /// `table`, `csv` (the coverage), `reach-csv` (the calls that requested CIT) or `json`.
        #[arg(long, default_value = "table")]
        format: String,
        /// The day to compute it for (default: today).
        #[arg(long)]
        on: Option<chrono::NaiveDate>,
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
}

const REFERRALS_HELP: &str = "\
Referrals are made and moved on the Referrals page, in the field form and through the API
(/api/v1/referrals); the receiving provider accepts, turns away or confirms the connection.

Examples:
  pmhc referrals list
  pmhc referrals export --format fhir --output referrals.json   a FHIR R4 Bundle of ServiceRequest
                                                                 and Task resources";

#[derive(Debug, Subcommand)]
pub enum ReferralsCommand {
    /// List every referral with its state.
    List,
    /// Export every referral.
    Export {
        /// `fhir`: a FHIR R4 JSON Bundle of ServiceRequest and Task resources.
        #[arg(long, default_value = "fhir")]
        format: String,
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
}

const SERVICES_HELP: &str = "\
The CSV columns: provider (a partner's name or number), name, kind, intercept (0-5), eligibility,
hours (`24/7` or e.g. `Mon-Fri 08:00-17:00; Sat 10:00-14:00`), capacity, police_dropoff (yes/no),
transit_access (yes/no), phone, address, area. A file with any bad row imports nothing and lists
every problem with its line; a provider's service of the same name is updated.

Kinds: crisis_centre, mobile_crisis, line_988, warm_line, detox, outpatient_mental_health,
substance_use_treatment, peer_support, housing_shelter, case_management, emergency_department, other.

Examples:
  pmhc services import services.csv
  pmhc services list
  pmhc services export --output services.csv

Capacity over time (the gap report, /gaps, compares each month's referrals with the capacity in
force then). Times are UTC, `YYYY-MM-DD HH:MM` (or a day alone):
  pmhc services capacity 3 --available 0                     full now
  pmhc services capacity 3 --available 2 --total 12 --at \"2026-03-01 08:00\"
  pmhc services capacity-import capacity.csv                 columns service_id,reported_at,available,total
                                                             (total may be empty); a file with any bad
                                                             row imports nothing";

#[derive(Debug, Subcommand)]
pub enum ServicesCommand {
    /// List the services (and which are open now).
    List,
    /// Add or update services from a CSV file.
    Import { file: PathBuf },
    /// Write the inventory as CSV (standard output without --output).
    Export {
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// Report a service's capacity: the beds or slots free (0: full), and in all when it changed.
    Capacity {
        /// The service's number (see `pmhc services list`).
        service_id: i64,
        /// Beds or slots free.
        #[arg(long)]
        available: u32,
        /// Beds or slots in all (replaces the inventory's capacity from then on).
        #[arg(long)]
        total: Option<u32>,
        /// When (UTC, `YYYY-MM-DD HH:MM`); now by default.
        #[arg(long)]
        at: Option<String>,
    },
    /// Import capacity reports from a CSV file (service_id,reported_at,available,total).
    CapacityImport { file: PathBuf },
}

const PARTNER_HELP: &str = "\
Sectors: law_enforcement, behavioral_health, substance_use_treatment, crisis_services, advocacy,
housing, other.

Examples:
  pmhc partner list
  pmhc partner add \"County Behavioral Health\" --sector behavioral_health
  pmhc partner set 1 --name \"City Police Department\" --sector law_enforcement
  pmhc partner set 1 --person-namespace city-rms   field-form person ids link to the city-rms imports";

#[derive(Debug, Subcommand)]
pub enum PartnerCommand {
    /// List the partners.
    List,
    /// Add a partner.
    Add {
        name: String,
        #[arg(long)]
        sector: String,
    },
    /// Rename a partner, change its sector, or name the namespace of its person keys.
    Set {
        /// The partner's number or name.
        partner: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        sector: Option<String>,
        /// The namespace of the partner's records system's person ids (its import mapping's
        /// subject_key `namespace`, else its source system): the field form and the API make
        /// the person keys of the identifiers typed with a record in it, so they link to the
        /// imported records of the same person. An empty value forgets it.
        #[arg(long)]
        person_namespace: Option<String>,
    },
}

const AGREEMENT_HELP: &str = "\
Field groups: incident_details, area_and_time, subject_identity, demographics,
mental_health_details, substance_use_details (or `all`). Substance-use details also need the
person's consent (`pmhc consent add`). Purposes: treatment, care_coordination, program_evaluation,
quality_improvement, research.

Examples:
  pmhc agreement add --title \"Crisis follow-up MOU\" --discloser \"City Police\" \\
      --recipient \"County Behavioral Health\" --groups incident_details,area_and_time,mental_health_details \\
      --purpose care_coordination --legal-basis \"45 CFR 164.512(j); MOU of 2026-03-01\" \\
      --effective 2026-03-01 --expires 2027-02-28
  pmhc agreement list
  pmhc agreement end 3          sharing under agreement 3 stops today";

#[derive(Debug, Subcommand)]
pub enum AgreementCommand {
    /// List the agreements and their state today.
    List,
    /// Record an agreement signed by both parties (the installation's operator: approved for both;
    /// on the pages and the API a partner's user proposes and each disclosing party approves).
    Add {
        #[arg(long)]
        title: String,
        /// The partner whose records are shared (number or name).
        #[arg(long)]
        discloser: String,
        /// The partner receiving them (number or name).
        #[arg(long)]
        recipient: String,
        /// The recipient shares its records with the discloser too.
        #[arg(long)]
        both_ways: bool,
        /// Field groups, separated by commas.
        #[arg(long)]
        groups: String,
        #[arg(long)]
        purpose: String,
        #[arg(long)]
        legal_basis: String,
        #[arg(long)]
        effective: NaiveDate,
        #[arg(long)]
        expires: NaiveDate,
    },
    /// Approve an agreement for one of its parties (an agreement proposed on the pages or the
    /// API shares nothing until the disclosing party approves it; both ways, each party).
    Approve {
        id: i64,
        /// The party that approves (number or name).
        #[arg(long)]
        partner: String,
    },
    /// End an agreement early (from today, or from --on).
    End {
        id: i64,
        #[arg(long)]
        on: Option<NaiveDate>,
    },
}

const CONSENT_HELP: &str = "\
A consent names every element 42 CFR 2.31 requires: the person, who may disclose, what, to whom,
for what purpose, until when (date or event), that the person was told of their right to revoke,
and the signature and date. One that lacks any is refused.

Examples:
  pmhc consent add --subject 7f3a9c... --discloser \"Recovery Clinic\" --recipient \"County Behavioral Health\" \\
      --information \"substance use noted at crisis encounters\" --purpose care_coordination \\
      --expires 2027-06-30 --right-to-revoke-explained --signed-by \"the person\" --signed-on 2026-11-20
  pmhc consent list --subject 7f3a9c...
  pmhc consent revoke 4
  pmhc consent accounting 7f3a9c...     disclosures of this person's records, last three years";

#[derive(Debug, Subcommand)]
pub enum ConsentCommand {
    /// List consents (of one person with --subject).
    List {
        #[arg(long)]
        subject: Option<String>,
    },
    /// Record a consent.
    Add {
        /// The person's pseudonymous subject key (as on their encounters).
        #[arg(long)]
        subject: String,
        #[arg(long)]
        discloser: String,
        #[arg(long)]
        recipient: String,
        #[arg(long)]
        information: String,
        #[arg(long)]
        purpose: String,
        #[arg(long)]
        expires: Option<NaiveDate>,
        #[arg(long)]
        expiry_event: Option<String>,
        /// The person was told of their right to revoke the consent.
        #[arg(long)]
        right_to_revoke_explained: bool,
        #[arg(long)]
        signed_by: String,
        #[arg(long)]
        signed_on: NaiveDate,
    },
    /// Revoke a consent (from today, or from --on).
    Revoke {
        id: i64,
        #[arg(long)]
        on: Option<NaiveDate>,
    },
    /// The accounting of disclosures of one person's records (three years).
    Accounting {
        subject: String,
        #[arg(long)]
        json: bool,
    },
}

const AUDIT_HELP: &str = "\
Examples:
  pmhc audit verify            exit 0 when the chain is intact, 1 naming the first broken entry,
                               2 when it cannot be verified (the key file is missing)
  pmhc audit head              the newest entry's hash: keep it outside the database (cron, daily)
  pmhc audit verify --expect-head HEX
                               also finds entries removed from the end, or a rewritten log
  pmhc audit list --limit 20   the newest entries
  pmhc audit list --actor analyst1 --action view --json";

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check the whole chain: exit 0 when intact, 1 naming the first broken entry, 2 when it
    /// cannot be verified (the audit key is unavailable). The entries are chained with HMAC under
    /// the key in the key file (PMHC_KEY_FILE, or beside a SQLite file).
    Verify {
        /// A head printed earlier by `pmhc audit head` and kept outside the database: the log
        /// must still contain that entry (finds a removed tail, or a log rewritten wholesale).
        #[arg(long, value_name = "HEX")]
        expect_head: Option<String>,
    },
    /// Print the newest entry's hash (hex). Keep it outside the database (e.g. printed daily by
    /// cron) and give it to `pmhc audit verify --expect-head`.
    Head,
    /// Remove entries older than a date (at least one year old; younger ones are kept).
    Purge {
        /// Entries before this day (YYYY-MM-DD) go; it must be a year ago or earlier.
        #[arg(long)]
        before: chrono::NaiveDate,
    },
    /// The newest entries, with filters.
    List {
        #[arg(long, default_value_t = 50)]
        limit: u32,
        #[arg(long)]
        actor: Option<String>,
        /// sign_in, sign_out, view, export, create, change, delete, import or admin.
        #[arg(long)]
        action: Option<String>,
        #[arg(long)]
        json: bool,
    },
}

const SERVE_HELP: &str = "\
Serves the pages (outcomes dashboard, encounters, the field form, imports, definitions, reports,
users) and the JSON API under /api/v1 (OpenAPI document at /api/v1/openapi.json). The public page
/public needs no sign-in; everything else needs an account (`pmhc user add`).

Examples:
  pmhc user add coordinator --role administrator
  pmhc serve                                   http://127.0.0.1:8080
  pmhc serve --listen 0.0.0.0:8080 --behind-tls
                                               behind an HTTPS reverse proxy (Secure cookies, HSTS)
  pmhc --database postgres://pmhc@db/pmhc serve

Logs go to standard error (PMHC_LOG=debug for more, PMHC_LOG_FORMAT=json for JSON lines).
Ctrl-C or SIGTERM stops the server after the requests in flight.";

const USER_HELP: &str = "\
Roles (a user holds one or more):
  administrator        everything, including accounts and the audit trail
  project_coordinator  outcomes, definitions, records (read), partners and agreements, the audit trail
  data_specialist      imports, definitions, records, outcomes
  officer              the field form and records (read)
  clinician            the field form, records (read), consents and the accounting of disclosures
  workgroup_member     outcomes, reports and definitions only (no record-level data)
Every user works for a partner; records of other partners are seen only through agreements.

Examples:
  pmhc user add coordinator --role administrator,project_coordinator --name \"Pat Doe\"
  echo \"$PASSWORD\" | pmhc user add nurse1 --role clinician --partner \"County Behavioral Health\" --password-stdin
  pmhc user list
  pmhc user token cad-vendor \"CAD nightly export\"    prints a new API token once
  pmhc user disable analyst1";

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address and port to listen on.
    #[arg(long, env = "PMHC_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: std::net::SocketAddr,
    /// pmhc is reached over HTTPS (a TLS reverse proxy): mark cookies Secure and send HSTS.
    #[arg(long, env = "PMHC_BEHIND_TLS")]
    pub behind_tls: bool,
    /// A reverse proxy whose `X-Forwarded-For` header names the client (repeat, or separate with
    /// commas). Without it the connecting address is the client's, whatever headers say.
    #[arg(long = "trusted-proxy", env = "PMHC_TRUSTED_PROXY", value_delimiter = ',', value_name = "ADDR")]
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// The largest import upload accepted, in MiB.
    #[arg(long, default_value_t = 256, value_parser = clap::value_parser!(u64).range(1..=16384))]
    pub max_upload_mb: u64,
    /// Where uploads are kept while they are imported (default: the system's temporary folder).
    #[arg(long)]
    pub work_dir: Option<PathBuf>,
    /// A test server: take "today" from PMHC_NOW (an RFC 3339 instant, e.g. 2030-01-01T00:00:00Z)
    /// instead of the system clock. Without this flag a set PMHC_NOW is refused. The audit trail
    /// keeps the real time either way.
    #[arg(long)]
    pub test_clock: bool,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a user (asks for the password, or reads it from standard input or PMHC_PASSWORD).
    Add {
        username: String,
        /// One or more roles, separated by commas: administrator, project_coordinator,
        /// data_specialist, officer, clinician, workgroup_member.
        #[arg(long)]
        role: String,
        /// The partner the user works for (name or number) [default: partner 1].
        #[arg(long)]
        partner: Option<String>,
        /// The person's full name (the user name when absent).
        #[arg(long)]
        name: Option<String>,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
        /// Also make the account an installation administrator (adds partners, creates a partner's
        /// first administrator; reads no records).
        #[arg(long)]
        installation_admin: bool,
    },
    /// Approve an account an installation administrator added to a partner that has its own
    /// administrators (it is disabled until approved); the same as `enable`.
    Approve { username: String },
    /// List the users.
    List,
    /// Set a user's password (ends their sessions).
    Passwd {
        username: String,
        #[arg(long)]
        password_stdin: bool,
    },
    /// Change a user's roles, e.g. `officer,clinician` (ends their sessions).
    Role { username: String, role: String },
    /// Move a user to another partner (name or number; ends their sessions).
    Partner { username: String, partner: String },
    /// Disable a user (ends their sessions; their API tokens stop working).
    Disable { username: String },
    /// Enable a disabled user.
    Enable { username: String },
    /// Unlock an account locked after 5 failed sign-ins within 15 minutes.
    Unlock { username: String },
    /// Reset a user's second factor (a lost phone): their sessions end and they set up a new
    /// authenticator at their next sign-in.
    ResetMfa { username: String },
    /// Make an API token for a user; it is printed once.
    Token {
        username: String,
        /// What the token is for (e.g. "CAD nightly export").
        name: String,
    },
    /// List the API tokens (never their secrets).
    Tokens,
    /// Revoke an API token by its number (see `pmhc user tokens`).
    Revoke { id: i64 },
}

const IMPORT_HELP: &str = "\
Every row is accounted for: rows received = accepted + rejected. Rejected rows go to the rejects
CSV (beside the file as NAME.rejects.csv, or --rejects PATH) with their line, column and reason;
codes the mapping does not know are listed so the mapping can be extended. Importing the same file again changes nothing; a changed row updates its record.

Exit status: 0 when every row was accepted, 3 when some rows were rejected, 1 on failure. When
the first 1,000 rows are all rejected for the same reason (a wrong date format, another export's
mapping), the import stops there, keeps nothing, is recorded as stopped, and exits 3.

Examples:
  pmhc import ../shared/data/toronto-persons-in-crisis/raw_data_first32000.csv --mapping toronto-pic
  pmhc import uof.csv --mapping ./mappings/my-agency.toml --rejects uof.rejects.csv
  pmhc import calls.csv --mapping seattle-call-data --json | jq .rejected";

const DEMO_HELP: &str = "\
The data is made up (deterministic for a seed) but shaped like real police data: repeat
encounters by the same people, referrals, demographics, areas, and a co-responder programme
launched part way through, so outcomes change between a baseline and a comparison period.

Examples:
  pmhc demo                                   50,000 encounters into the database
  pmhc demo --encounters 1000000 --seed 7     a million
  pmhc demo --encounters 1000000 --csv demo.csv
                                              write pmhc's canonical CSV instead (import it with
                                              `pmhc import demo.csv --mapping pmhc`)";

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The CSV file.
    pub file: PathBuf,
    /// A shipped mapping's name (see `pmhc mappings list`) or the path of a mapping file.
    #[arg(long, short)]
    pub mapping: String,
    /// Where to write rejected rows [default: beside FILE, named after it: calls.csv ->
    /// calls.rejects.csv]. The summary prints the path.
    #[arg(long)]
    pub rejects: Option<PathBuf>,
    /// Print one JSON object (received, accepted, rejected, inserted, updated, unchanged, ...).
    #[arg(long)]
    pub json: bool,
    /// Encounters per database transaction.
    #[arg(long, default_value_t = 20_000, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub batch_size: u32,
    /// The partner importing (name or number; see `pmhc partner list`): the records become
    /// theirs [default: partner 1].
    #[arg(long)]
    pub partner: Option<String>,
    /// A source system name of your own instead of the mapping's `source.system` (when another
    /// partner already imports with the same shipped mapping, e.g. `--source-system county-cad`).
    #[arg(long)]
    pub source_system: Option<String>,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// How many encounters.
    #[arg(long, short = 'n', default_value_t = 50_000)]
    pub encounters: u64,
    /// Random seed: the same seed gives the same data.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Write canonical CSV to this file instead of the database.
    #[arg(long)]
    pub csv: Option<PathBuf>,
    /// Print the summary as JSON.
    #[arg(long)]
    pub json: bool,
    /// Then start the web application on the demo, with a demo project coordinator whose password
    /// is printed once (made if missing; second-factor enrolment at the first sign-in, as usual).
    #[arg(long, conflicts_with_all = ["csv", "json"])]
    pub serve: bool,
    /// With --serve: the address and port to listen on.
    #[arg(long, default_value = "127.0.0.1:8080", requires = "serve")]
    pub listen: std::net::SocketAddr,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum ListFormat {
    Table,
    Csv,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum EncountersCommand {
    /// List encounters, newest first, with filters and paging.
    #[command(after_help = "Examples:\n  pmhc encounters list --limit 20\n  pmhc encounters list --from 2023-01-01 --to 2023-03-31 --disposition arrest\n  pmhc encounters list --precinct North --format csv > north.csv")]
    List(ListArgs),
    /// Show one encounter in full.
    #[command(after_help = "Example:\n  pmhc encounters show demo-cad DC2023-000123")]
    Show {
        /// The source system (first column of `encounters list`).
        source_system: String,
        /// The source's key.
        source_key: String,
        #[arg(long)]
        json: bool,
    },
    /// Count encounters matching the filters.
    Count(FilterArgs),
}

#[derive(Debug, Args, Clone, Default)]
pub struct FilterArgs {
    /// First day (inclusive), YYYY-MM-DD.
    #[arg(long)]
    pub from: Option<NaiveDate>,
    /// Last day (inclusive), YYYY-MM-DD.
    #[arg(long)]
    pub to: Option<NaiveDate>,
    #[arg(long)]
    pub source: Option<String>,
    #[arg(long)]
    pub precinct: Option<String>,
    /// A canonical disposition code (e.g. arrest, referral, involuntary_hold).
    #[arg(long)]
    pub disposition: Option<String>,
    /// A response model code (cit, co_responder, case_management, mobile_crisis, standard_patrol).
    #[arg(long)]
    pub response_model: Option<String>,
    /// A pseudonymous subject key: every encounter of one person.
    #[arg(long)]
    pub subject: Option<String>,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub filter: FilterArgs,
    #[arg(long, default_value_t = 50)]
    pub limit: u32,
    #[arg(long, default_value_t = 0)]
    pub offset: u64,
    #[arg(long, value_enum, default_value_t = ListFormat::Table)]
    pub format: ListFormat,
}

#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Apply pending migrations.
    Migrate,
    /// Show which migrations are applied.
    Status,
}

#[derive(Debug, Subcommand)]
pub enum MappingsCommand {
    /// List the shipped mappings.
    List,
    /// Print a shipped mapping's TOML (a starting point for your own).
    Show { name: String },
}

const RELEASES_HELP: &str = "\
A release is made the first time a public output (the public page or API, `pmhc report --public`, a
public download) is asked for after the numbers changed; it is protected jointly with every earlier
release and frozen. The register lists each with its periods, question, data and definitions
version, and how many counts it published and suppressed. The public API serves the same list at
/api/v1/public/releases.

Examples:
  pmhc releases
  pmhc releases --check";

const REPORT_HELP: &str = "\
The report compares a baseline period with a comparison period (inclusive ISO dates, FROM..TO)
on the four key outcomes of the Framework -- connection to resources, repeat encounters, arrests,
use of force -- and the context measures (volume, recognition at dispatch, CIT arrival, involuntary
holds, diversion, time on scene). Every change comes with a 95% interval and a sentence. Encounters
dated only to the month count in a period when their whole month is inside it.

Which encounters count, and what a repeat encounter is, come from the shared definitions in force
(`pmhc definitions show`); the report names the version it used.

Periods: --baseline and --comparison each default to `[periods.baseline]` / `[periods.comparison]`
of the shared definitions the report uses (`pmhc definitions show` documents the section, with an
example when none is set); with a period neither given nor set, the report stops and asks for it.

Formats: table (default, for the terminal), json (everything, for programs), csv (one long table),
html (one self-contained file with charts; prints well). Breakdowns: the table shows those given
with --by; json, csv and html include every breakdown unless --by narrows them.

Exit status: 0 with a report; 2 when the database holds no encounters yet, or its SQLite file
does not exist (nothing is created), or a period cuts a month (or a year) holding encounters dated
only to the month (year) — the message names the whole-month periods to use —, or a public report
is not published or its release is refused (below); 1 on any other failure.

--public makes a public output, a release of the register (`pmhc releases`): every count from 1 to
10 is suppressed (zeros are shown), with the rates built on it, plus complementary cells so that
none can be worked out from the totals, the breakdowns, the months, the sums between measures, or
any earlier release. It answers the published periods only -- `[periods]` of the definitions in
force, whole months -- for the whole jurisdiction or one of --agency, --precinct, --sector, --beat,
--response-model; anything else exits 2. The same numbers are released once: asking again serves
the same release, suppressed as it was published. --release publishes the question as asked (other
whole-month periods, a filter, a source) as a new release, protected jointly with every earlier one,
or refused with the reason (exit 2): periods that overlap an earlier release's without being equal
are refused, since the difference would reveal the days in one and not the other.

Examples:
  pmhc report --baseline 2020-01-01..2020-12-31 --comparison 2023-01-01..2023-12-31
  pmhc report --baseline 2020-01-01..2020-12-31 --comparison 2023-01-01..2023-12-31 --by precinct --by race
  pmhc report --public --format html --output public-report.html
  pmhc report --baseline 2021-01-01..2021-06-30 --comparison 2023-01-01..2023-06-30 --public --release
  pmhc report --baseline 2014-01-01..2014-06-30 --comparison 2015-01-01..2015-06-30 --precinct D14 --format json";

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum ReportFormat {
    Table,
    Json,
    Csv,
    Html,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The baseline period, FROM..TO (inclusive), e.g. 2020-01-01..2020-12-31 [default:
    /// `[periods.baseline]` of the shared definitions, when set].
    #[arg(long, value_parser = parse_period)]
    pub baseline: Option<pmhc_core::definition::Period>,
    /// The comparison period, FROM..TO (inclusive) [default: `[periods.comparison]` of the
    /// shared definitions, when set].
    #[arg(long, value_parser = parse_period)]
    pub comparison: Option<pmhc_core::definition::Period>,
    #[arg(long, value_enum, default_value_t = ReportFormat::Table)]
    pub format: ReportFormat,
    /// Break down by: precinct, sector, beat, response_model, cit_presence, race_ethnicity, gender,
    /// age_band, agency (repeat, or separate with commas).
    #[arg(long, value_delimiter = ',')]
    pub by: Vec<String>,
    /// A public output: the published release (counts of 1-10 suppressed, jointly with every
    /// earlier release).
    #[arg(long)]
    pub public: bool,
    /// With --public: publish this question (periods, filter, source) as a new release.
    #[arg(long, requires = "public")]
    pub release: bool,
    /// Write to this file instead of standard output.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// Only encounters from this source system.
    #[arg(long)]
    pub source: Option<String>,
    /// Only this agency.
    #[arg(long)]
    pub agency: Option<String>,
    /// Only this precinct / division.
    #[arg(long)]
    pub precinct: Option<String>,
    /// Only this sector.
    #[arg(long)]
    pub sector: Option<String>,
    /// Only this beat / neighbourhood.
    #[arg(long)]
    pub beat: Option<String>,
    /// Only this response model (cit, co_responder, case_management, mobile_crisis, standard_patrol, other).
    #[arg(long)]
    pub response_model: Option<String>,
    /// Use this version of the shared definitions instead of the one in force.
    #[arg(long)]
    pub definitions_version: Option<u32>,
}

pub fn parse_period(s: &str) -> Result<pmhc_core::definition::Period, String> {
    pmhc_core::definition::Period::parse(s).map_err(|e| e.to_string())
}

#[derive(Debug, Subcommand)]
pub enum DefinitionsCommand {
    /// Print the definitions in force (or one version) as TOML: a starting point for `set`.
    #[command(after_help = "Examples:\n  pmhc definitions show > definitions.toml\n  pmhc definitions show --version 1")]
    Show {
        #[arg(long)]
        version: Option<u32>,
        /// JSON instead of TOML.
        #[arg(long)]
        json: bool,
    },
    /// Save new definitions from a TOML file as the next version (checked first).
    #[command(after_help = "Example:\n  pmhc definitions show > d.toml   # edit repeat.window_days = 60\n  pmhc definitions set d.toml --note \"Workgroup decision of 4 March\"")]
    Set {
        file: PathBuf,
        /// Why they changed (kept in the history).
        #[arg(long, default_value = "")]
        note: String,
        /// A name to record beside the operating-system account that saves them (the author is
        /// always that account, as the system names it).
        #[arg(long)]
        author: Option<String>,
    },
    /// Every saved version: who changed what, when.
    History,
}

#[derive(Debug, Subcommand)]
pub enum PeopleCommand {
    /// The people meeting the repeat-encounter definition in a period, with their encounter
    /// counts and dates (pseudonymous keys). Identifiable case-management data: needs
    /// --identifiable.
    #[command(after_help = "Example:\n  pmhc people repeat --period 2023-01-01..2023-12-31 --identifiable --format csv > repeat.csv\n\n\
        Exit status 2 without --identifiable, or when the database holds no encounters yet.")]
    Repeat {
        /// The period, FROM..TO (inclusive) [default: the definitions' comparison period].
        #[arg(long, value_parser = parse_period)]
        period: Option<pmhc_core::definition::Period>,
        /// Confirm you are authorised to see the case-management population.
        #[arg(long)]
        identifiable: bool,
        #[arg(long, value_enum, default_value_t = ListFormat::Table)]
        format: ListFormat,
        /// Only encounters from this source system.
        #[arg(long)]
        source: Option<String>,
        /// At most this many people (table format).
        #[arg(long, default_value_t = 100)]
        limit: usize,
    },
}
