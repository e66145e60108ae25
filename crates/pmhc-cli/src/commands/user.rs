//! `pmhc user`: accounts and API tokens (each change a use case of `pmhc_service::accounts`).

use std::io::{BufRead, IsTerminal};
use anyhow::{Context, Result, bail};
use pmhc_core::access::Roles;
use pmhc_service::{Acting, ServiceContext, accounts};
use pmhc_service::audit::Actor;
use crate::cli::UserCommand;

/// A password from standard input (`--password-stdin`), PMHC_PASSWORD, or asked at the terminal.
pub(crate) fn read_password(from_stdin: bool) -> Result<String> {
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

pub(crate) fn roles(s: &str) -> Result<Roles> {
    s.parse::<Roles>().map_err(anyhow::Error::new)
}

/// `pmhc user …`: each change is one use case of `pmhc_service::accounts` (audited there, before
/// the change), acting as the installation's operator.
pub(crate) async fn user(cx: &ServiceContext, cmd: UserCommand) -> Result<u8> {
    user_action(cx, cmd).await
}

pub(crate) async fn user_action(cx: &ServiceContext, cmd: UserCommand) -> Result<u8> {
    match cmd {
        UserCommand::Approve { username } => {
            accounts::approve_account(cx, &Actor::cli(), Acting::Operator, &username).await?;
            println!("Approved {username}: the account can sign in.");
        }
        UserCommand::Add { username, role: r, partner, name, password_stdin, installation_admin } => {
            let mut r = roles(&r)?;
            if installation_admin {
                r = pmhc_core::access::Roles::of(&r.iter().chain([pmhc_core::access::Role::InstallationAdministrator]).collect::<Vec<_>>());
            }
            let partner = match partner {
                Some(p) => pmhc_service::partners::find(cx, &p).await?,
                None => pmhc_service::partners::find(cx, &pmhc_core::sharing::DEFAULT_PARTNER.to_string()).await?,
            };
            accounts::check_username(&username)?;
            let password = read_password(password_stdin)?;
            let display = name.unwrap_or_else(|| username.clone());
            let u = accounts::create_account(cx, &Actor::cli(), Acting::Operator, &username, &display, r, partner.id, &password).await?.user;
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
            for u in accounts::visible_accounts(cx, Acting::Operator).await? {
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
            accounts::set_password(cx, &Actor::cli(), Acting::Operator, &username, &password).await?;
            println!("Changed the password of {username}; their sessions have ended.");
        }
        UserCommand::Role { username, role: r } => {
            let r = roles(&r)?;
            accounts::set_roles(cx, &Actor::cli(), Acting::Operator, &username, r).await?;
            println!("{username} is now {}; their sessions have ended.", r.labels());
        }
        UserCommand::Partner { username, partner } => {
            let p = accounts::move_to_partner(cx, &Actor::cli(), Acting::Operator, &username, &partner).await?;
            println!("{username} now works for {} (partner {}); their sessions have ended.", p.name, p.id);
        }
        UserCommand::Disable { username } => {
            accounts::disable(cx, &Actor::cli(), Acting::Operator, &username).await?;
            println!("Disabled {username}: their sessions have ended and their API tokens stop working.");
        }
        UserCommand::Enable { username } => {
            accounts::approve_account(cx, &Actor::cli(), Acting::Operator, &username).await?;
            println!("Enabled {username}.");
        }
        UserCommand::Unlock { username } => {
            accounts::unlock(cx, &Actor::cli(), Acting::Operator, &username).await?;
            println!("Unlocked {username}.");
        }
        UserCommand::ResetMfa { username } => {
            accounts::reset_second_factor(cx, &Actor::cli(), Acting::Operator, &username).await?;
            println!("Reset the second factor of {username}: their sessions have ended; they set up a new one at their next sign-in.");
        }
        UserCommand::Token { username, name } => {
            let token = accounts::issue_token(cx, &Actor::cli(), Acting::Operator, &username, &name).await?;
            eprintln!("API token for {username} (\"{name}\"); it is shown only now. Send it as `Authorization: Bearer TOKEN`:");
            println!("{token}");
        }
        UserCommand::Tokens => {
            println!("{:>4}  {:<20} {:<8} {:<17} {:<17} name", "#", "user", "revoked", "created", "last used");
            for t in accounts::visible_tokens(cx, Acting::Operator).await? {
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
            accounts::revoke_token(cx, &Actor::cli(), Acting::Operator, id).await?;
            println!("Revoked API token #{id}.");
        }
    }
    Ok(0)
}
