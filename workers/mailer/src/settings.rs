//! `/v1/me/notifications`: which info mails a person gets (the notify worker writes them, the
//! mailer sends them; the one-click unsubscribe changes the same choice).

use shared::data::notices;
use shared::notice;
use shared::service::{Cx, Reply};
use shared::time::Time;
use shared::Result;

use crate::api::{SettingsIn, SettingsOut};

async fn settings_of(cx: &Cx, user: &shared::ids::UserId) -> Result<SettingsOut> {
    let available = notice::MAIL_EVENT_TYPES.to_vec();
    Ok(match notices::settings(&cx.db, user).await? {
        Some(row) => SettingsOut {
            events: row.effective(),
            default: false,
            available,
            updated_at: Some(row.updated_at),
        },
        None => SettingsOut {
            events: notice::DEFAULT_MAIL_EVENTS
                .iter()
                .map(|t| (*t).to_owned())
                .collect(),
            default: true,
            available,
            updated_at: None,
        },
    })
}

/// `GET /v1/me/notifications`.
pub async fn get_notifications(cx: &mut Cx) -> Result<Reply> {
    let me = cx.me()?;
    let user = me.require_user()?;
    Reply::json(200, &settings_of(cx, user).await?)
}

/// `PUT /v1/me/notifications`.
pub async fn put_notifications(cx: &mut Cx) -> Result<Reply> {
    let me = cx.me()?;
    let user = me.require_user()?.clone();
    let input: SettingsIn = cx.body().await?;
    let events = notice::parse_mail_events("events", &input.events)?;
    notices::put_settings(&cx.db, &user, &events, Time(cx.now)).await?;
    Reply::json(200, &settings_of(cx, &user).await?)
}
