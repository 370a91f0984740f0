//! Events handed over by the stack's other workers through the `NOTIFY` service binding
//! ([`shared::service::FANOUT_PATH`], right after the commit that wrote them): the bookkeeping of
//! each as the queue consumer does it, answered 202 once written, and the first attempts made at
//! once in the background, started before the event's info mails are written. So a webhook leaves without waiting for a queue batch; anything
//! answered otherwise goes to the queue as before (the producer's side of this is
//! `shared::service::publish_after`).

use shared::event::Event;
use shared::platform::Platform;
use shared::service::{log_error, Reply};
use shared::Error;

use crate::consumer;

/// Takes a JSON array of events: 202 once every one is written down, a problem otherwise (the
/// producer then sends them all to the queue; what was written already is not written twice).
pub async fn handle(env: &Platform, body: &[u8]) -> Reply {
    let events: Vec<Event> = match serde_json::from_slice(body) {
        Ok(events) => events,
        Err(e) => return Reply::problem(&Error::invalid("body", format!("not events: {e}"))),
    };
    for event in &events {
        match consumer::deliveries_of(env, event).await {
            // The attempts start while the mails are written.
            Ok(jobs) => consumer::attempt_after(env, jobs),
            Err(e) => {
                log_error(&format!("handed-over event {} failed: {e}", event.id));
                return Reply::problem(&e);
            }
        }
        consumer::mail(env, event).await;
    }
    Reply::status(202)
}
