//! Housekeeping: what has expired is removed, by a cron every ten minutes
//! (`shared::data::expired` says what and after how long; docs/mail.md states it).

use shared::data::expired;
use shared::ids::CompanyId;
use shared::platform::Platform;
use shared::service::{Cx, Reply};
use shared::time::{Time, Timestamp};
use shared::Result;

use crate::api::{AsOfIn, HousekeepingOut};

/// The cron of wrangler.toml that runs housekeeping (the other one runs the sender).
pub const CRON: &str = "*/10 * * * *";

/// One run as of `now`, of every company or only of `company`.
///
/// # Errors
/// A database error.
pub async fn run(
    env: &Platform,
    now: Timestamp,
    company: Option<&CompanyId>,
) -> Result<HousekeepingOut> {
    let (tables, statements): (Vec<&str>, Vec<_>) =
        expired::statements(Time(now), company).into_iter().unzip();
    let changes = env.db.batch(statements).await?;
    Ok(HousekeepingOut {
        removed: tables.into_iter().map(str::to_owned).zip(changes).collect(),
    })
}

/// `POST /v1/dev/housekeeping {company_id, as_of?}` (dev only): a run for one company, so a
/// test removes nothing of anyone else's.
pub async fn dev_housekeeping(cx: &mut Cx) -> Result<Reply> {
    let input: AsOfIn = cx.body().await?;
    let company = CompanyId::parse_field(
        "company_id",
        input.company_id.as_deref().unwrap_or_default(),
    )?;
    let as_of = input.instant(cx.now)?;
    Reply::json(200, &run(&cx.env, as_of, Some(&company)).await?)
}
