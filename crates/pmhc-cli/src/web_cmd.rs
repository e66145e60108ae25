//! `pmhc serve` and `pmhc user`.

use std::io::{BufRead, IsTerminal};

use anyhow::{Context, Result, bail};
use pmhc_core::access::Roles;
use pmhc_service::{Acting, accounts};
use pmhc_store::Store;

use pmhc_core::audit::{AuditAction, AuditOutcome};
use pmhc_service::audit::{self, Actor};

use crate::cli::{AuditCommand, ServeArgs, UserCommand};

pub async fn serve(store: &Store, url: &str, args: ServeArgs) -> Result<u8> {
    let config = pmhc_web::ServeConfig {
        listen: args.listen,
        behind_tls: args.behind_tls,
        trusted_proxies: args.trusted_proxies.clone(),
        max_upload_bytes: usize::try_from(args.max_upload_mb << 20).unwrap_or(usize::MAX),
        work_dir: args.work_dir,
    };
    let users = store.count_users().await?;
    let db = pmhc_store::redact_url(url);
    pmhc_web::serve(store.clone(), config, move |addr| {
        // Printed for people and for scripts (tests read the address from this line).
        println!("pmhc is serving {db} at http://{addr}/ (Ctrl-C stops it)");
        if users == 0 {
            println!("There are no accounts yet: make one with `pmhc user add NAME --role administrator`.");
        }
        println!("The public page needs no account: http://{addr}/public");
    })
    .await?;
    Ok(0)
}

/// A password from standard input (`--password-stdin`), PMHC_PASSWORD, or asked at the terminal.
fn read_password(from_stdin: bool) -> Result<String> {
    if from_stdin {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line).context("cannot read the password from standard input")?;
        return Ok(line.trim_end_matches(['\r', '\n']).to_string());
    }
    if let Ok(p) = std::env::var("PMHC_PASSWORD") {
        return Ok(p);
    }
    if !std::io::stdin().is_terminal() {
        bail!("give the password with --password-stdin or PMHC_PASSWORD (standard input is not a terminal)");
    }
    let first = rpassword::prompt_password("Password (at least 8 characters): ").context("cannot read the password")?;
    let again = rpassword::prompt_password("The same again: ").context("cannot read the password")?;
    if first != again {
        bail!("the two passwords differ; nothing was changed");
    }
    Ok(first)
}

fn roles(s: &str) -> Result<Roles> {
    s.parse::<Roles>().map_err(anyhow::Error::new)
}

/// `pmhc user …`: each change is one use case of `pmhc_service::accounts` (audited there, before
/// the change), acting as the installation's operator.
pub async fn user(store: &Store, cmd: UserCommand) -> Result<u8> {
    user_action(store, cmd).await
}

pub async fn audit(store: &Store, cmd: AuditCommand) -> Result<u8> {
    match cmd {
        AuditCommand::Head => {
            println!("{}", audit::head(store).await?);
            Ok(0)
        }
        AuditCommand::Verify { expect_head } => match audit::verify(store, expect_head.as_deref()).await? {
            Ok(v) => {
                match &v.head {
                    Some((id, hash)) => println!(
                        "The audit trail is intact: {} entries, the newest is {id} with hash {hash}. \
                         Keep the hash outside the database: `pmhc audit verify --expect-head HASH` later finds entries removed after it.",
                        v.entries
                    ),
                    None => println!("The audit trail is empty."),
                }
                Ok(0)
            }
            Err(e) if !e.is_tampering() => {
                eprintln!("The audit trail cannot be verified: {e}. Restore the key file (PMHC_KEY_FILE names it) and verify again.");
                Ok(2)
            }
            Err(broken) => {
                eprintln!("The audit trail is BROKEN at entry {}: {broken}.", broken.entry());
                Ok(1)
            }
        },
        AuditCommand::Purge { before } => {
            let n = audit::purge(store, &Actor::cli(), before).await?;
            println!("Removed {n} audit entries from before {before}; the chain still verifies from the last one removed.");
            Ok(0)
        }
        AuditCommand::List { limit, actor, action, json } => {
            let action = match action {
                Some(a) => Some(AuditAction::parse(&a).with_context(|| {
                    format!("--action {a}: use one of {}", AuditAction::ALL.iter().map(|a| a.as_str()).collect::<Vec<_>>().join(", "))
                })?),
                None => None,
            };
            let filter = pmhc_store::AuditFilter { actor, action, ..Default::default() };
            let entries = store.list_audit(&filter, limit, 0).await?;
            // Reading the audit trail is itself audited (before it is shown).
            audit::record(store, &Actor::cli(), AuditAction::View, "audit", &[], AuditOutcome::Success, format!("{} entries", entries.len())).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&entries)?);
            } else {
                for e in entries {
                    let ev = &e.event;
                    println!(
                        "{:>6}  {}  {:<16} {:<8} {:<8} {}{}{}",
                        e.id,
                        ev.at,
                        ev.actor,
                        ev.action.as_str(),
                        ev.outcome.as_str(),
                        ev.object,
                        if ev.field_groups.is_empty() { String::new() } else { format!(" [{}]", ev.field_groups.join(",")) },
                        if ev.detail.is_empty() { String::new() } else { format!(" — {}", ev.detail) }
                    );
                }
            }
            Ok(0)
        }
    }
}

async fn user_action(store: &Store, cmd: UserCommand) -> Result<u8> {
    match cmd {
        UserCommand::Approve { username } => {
            accounts::approve_account(store, &Actor::cli(), Acting::Operator, &username).await?;
            println!("Approved {username}: the account can sign in.");
        }
        UserCommand::Add { username, role: r, partner, name, password_stdin, installation_admin } => {
            let mut r = roles(&r)?;
            if installation_admin {
                r = pmhc_core::access::Roles::of(&r.iter().chain([pmhc_core::access::Role::InstallationAdministrator]).collect::<Vec<_>>());
            }
            let partner = match partner {
                Some(p) => store.find_partner(&p).await?,
                None => store.find_partner(&pmhc_core::sharing::DEFAULT_PARTNER.to_string()).await?,
            };
            accounts::check_username(&username)?;
            let password = read_password(password_stdin)?;
            let display = name.unwrap_or_else(|| username.clone());
            let u = accounts::create_account(store, &Actor::cli(), Acting::Operator, &username, &display, r, partner.id, &password).await?.user;
            println!(
                "Added {} ({}) as {} of {}. Sign in at /sign-in of `pmhc serve`.",
                u.username,
                u.display_name,
                u.roles.labels(),
                partner.name
            );
        }
        UserCommand::List => {
            println!("{:<24} {:<30} {:>7} {:<8} {:<20} full name", "user", "roles", "partner", "active", "last sign-in");
            for u in store.list_users().await? {
                println!(
                    "{:<24} {:<30} {:>7} {:<8} {:<20} {}",
                    u.username,
                    u.roles.to_string(),
                    u.partner,
                    if !u.active { "no" } else if u.locked { "locked" } else { "yes" },
                    u.last_sign_in_at.map(|t| t.format("%Y-%m-%d %H:%M").to_string()).unwrap_or_else(|| "never".into()),
                    u.display_name
                );
            }
        }
        UserCommand::Passwd { username, password_stdin } => {
            let password = read_password(password_stdin)?;
            accounts::set_password(store, &Actor::cli(), Acting::Operator, &username, &password).await?;
            println!("Changed the password of {username}; their sessions have ended.");
        }
        UserCommand::Role { username, role: r } => {
            let r = roles(&r)?;
            accounts::set_roles(store, &Actor::cli(), Acting::Operator, &username, r).await?;
            println!("{username} is now {}; their sessions have ended.", r.labels());
        }
        UserCommand::Partner { username, partner } => {
            let p = accounts::move_to_partner(store, &Actor::cli(), Acting::Operator, &username, &partner).await?;
            println!("{username} now works for {} (partner {}); their sessions have ended.", p.name, p.id);
        }
        UserCommand::Disable { username } => {
            accounts::disable(store, &Actor::cli(), Acting::Operator, &username).await?;
            println!("Disabled {username}: their sessions have ended and their API tokens stop working.");
        }
        UserCommand::Enable { username } => {
            accounts::approve_account(store, &Actor::cli(), Acting::Operator, &username).await?;
            println!("Enabled {username}.");
        }
        UserCommand::Unlock { username } => {
            accounts::unlock(store, &Actor::cli(), Acting::Operator, &username).await?;
            println!("Unlocked {username}.");
        }
        UserCommand::ResetMfa { username } => {
            accounts::reset_second_factor(store, &Actor::cli(), Acting::Operator, &username).await?;
            println!("Reset the second factor of {username}: their sessions have ended; they set up a new one at their next sign-in.");
        }
        UserCommand::Token { username, name } => {
            let token = accounts::issue_token(store, &Actor::cli(), Acting::Operator, &username, &name).await?;
            eprintln!("API token for {username} (\"{name}\"); it is shown only now. Send it as `Authorization: Bearer TOKEN`:");
            println!("{token}");
        }
        UserCommand::Tokens => {
            println!("{:>4}  {:<20} {:<8} {:<17} {:<17} name", "#", "user", "revoked", "created", "last used");
            for t in store.list_api_tokens().await? {
                println!(
                    "{:>4}  {:<20} {:<8} {:<17} {:<17} {}",
                    t.id,
                    t.username,
                    if t.revoked { "yes" } else { "no" },
                    t.created_at.format("%Y-%m-%d %H:%M"),
                    t.last_used_at.map(|t| t.format("%Y-%m-%d %H:%M").to_string()).unwrap_or_else(|| "never".into()),
                    t.name
                );
            }
        }
        UserCommand::Revoke { id } => {
            accounts::revoke_token(store, &Actor::cli(), Acting::Operator, id).await?;
            println!("Revoked API token #{id}.");
        }
    }
    Ok(0)
}
