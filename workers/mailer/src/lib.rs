//! The mailer worker: mail that leaves the building. Every row of `mails` (written in the same
//! batch as the change that caused it) is sent once through Cloudflare Email Service, the
//! `send_email` binding `EMAIL`, by a cron every minute: claimed, handed over, and marked sent
//! with the provider's message id, retried with backoff when refused, or marked failed with the
//! reason ([`send`]). Info mails carry a one-click unsubscribe (RFC 8058) that switches that
//! notification off ([`unsubscribe`]). A second cron clears what has expired ([`housekeeping`]).
//! Locally the mails stay readable in the dev mailbox ([`mailbox`]).
//!
//! [`SERVICE`] is its route table.

pub mod api;
pub mod housekeeping;
pub mod mailbox;
pub mod send;
pub mod settings;
pub mod unsubscribe;

use shared::service::route::Sessions;
use shared::service::{Access, Service};

#[cfg(not(target_arch = "wasm32"))]
use api::{
    AsOfIn, HousekeepingOut, MailList, MailQuery, SendOut, SettingsIn, SettingsOut,
    UnsubscribeQuery,
};

/// The mailer worker's endpoints.
pub static SERVICE: Service = Service {
    name: "mailer",
    binding: "MAILER",
    sessions: Sessions::Stateless,
    routes: shared::routes![
        Get "/v1/mail/unsubscribe" => unsubscribe::page, Access::Public,
            |d| d.summary("The page an info mail's unsubscribe link opens: what it switches off, and a button that does (in the mail's language)")
                .query::<UnsubscribeQuery>()
                .text(200, "text/html", "the page with the button")
                .text(404, "text/html", "the link is unknown (or its mail was cleared after 30 days)");
        Post "/v1/mail/unsubscribe" => unsubscribe::one_click, Access::Public,
            |d| d.summary("One-click unsubscribe (RFC 8058): the mail's recipient is no longer mailed about that kind of event; the same again does nothing more")
                .query::<UnsubscribeQuery>()
                .text(200, "text/html", "done: what was switched off, and where to switch it back on")
                .text(404, "text/html", "the link is unknown (or its mail was cleared after 30 days)");
        Get "/v1/me/notifications" => settings::get_notifications, Access::Person,
            |d| d.summary("The info mails the caller gets").ok::<SettingsOut>("the choice");
        Put "/v1/me/notifications" => settings::put_notifications, Access::Person,
            |d| d.summary("Choose the info mails the caller gets").body::<SettingsIn>()
                .ok::<SettingsOut>("the choice as stored");
        Get "/v1/dev/mail" => mailbox::list_mail, Access::Dev,
            |d| d.summary("The local mailbox: every mail written, newest first, with where its delivery stands (local stack only)")
                .query::<MailQuery>().query::<shared::service::page::Paging>()
                .ok::<MailList>("a page of mails");
        Post "/v1/dev/mail/send" => send::dev_send, Access::Dev,
            |d| d.summary("Run the mail sender now, as of `as_of`: every mail due is handed to the (simulated) Email Service (local stack only; crons do not fire locally)")
                .optional_body::<AsOfIn>().ok::<SendOut>("what it did");
        Post "/v1/dev/housekeeping" => housekeeping::dev_housekeeping, Access::Dev,
            |d| d.summary("Run the housekeeping for one company now, as of `as_of`: what has expired by then is removed (local stack only)")
                .body::<AsOfIn>().ok::<HousekeepingOut>("how many rows of each table went");
    ],
};

#[cfg(target_arch = "wasm32")]
mod entry {
    use shared::edge;
    use worker::{event, Context, Env, Request, Response, ScheduleContext, ScheduledEvent};

    #[event(fetch)]
    async fn fetch(req: Request, env: Env, ctx: Context) -> worker::Result<Response> {
        edge::serve(req, env, ctx, &super::SERVICE).await
    }

    /// The crons of wrangler.toml: the sender every minute, the housekeeping every ten.
    #[event(scheduled)]
    async fn scheduled(event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
        let platform = match edge::platform(&env, |_| ()) {
            Ok(p) => p,
            Err(e) => return edge::log_failure("the mailer cron", &e),
        };
        let now = platform.clock.now();
        if event.cron() == crate::housekeeping::CRON {
            match crate::housekeeping::run(&platform, now, None).await {
                Ok(out) => shared::service::log_info(&format!(
                    "housekeeping: {} rows removed",
                    out.removed.values().sum::<u64>()
                )),
                Err(e) => edge::log_failure("housekeeping", &e),
            }
        } else {
            match crate::send::run(&platform, now).await {
                Ok(out) => shared::service::log_info(&format!(
                    "mail: {} sent, {} to retry, {} failed",
                    out.sent, out.retried, out.failed
                )),
                Err(e) => edge::log_failure("the mail sender", &e),
            }
        }
    }
}
