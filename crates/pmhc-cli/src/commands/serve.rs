//! `pmhc serve`: the web application and the JSON API.

use anyhow::Result;
use pmhc_service::ServiceContext;
use pmhc_store::Store;
use crate::cli::ServeArgs;

pub(crate) async fn serve(store: &Store, cx: &ServiceContext, url: &str, args: ServeArgs) -> Result<u8> {
    let config = pmhc_web::ServeConfig {
        listen: args.listen,
        behind_tls: args.behind_tls,
        trusted_proxies: args.trusted_proxies.clone(),
        max_upload_bytes: usize::try_from(args.max_upload_mb << 20).unwrap_or(usize::MAX),
        work_dir: args.work_dir,
    };
    let users = store.count_users().await?;
    let db = pmhc_store::redact_url(url);
    pmhc_web::serve(cx.clone(), config, move |addr| {
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
