//! What housekeeping removes (the mailer worker's cron, docs/mail.md): rows that have expired or
//! outlived their retention, across the tables that grow without bound. Each statement deletes
//! at most a bounded number of rows, so one run stays short; the next run takes the rest.

use super::Statement;
use crate::ids::CompanyId;
use crate::time::Time;

/// How long the operational record is kept: delivery attempts and finished deliveries, mails
/// sent or failed, consumed events and who was mailed about them.
pub const RETENTION_DAYS: i64 = 30;
/// How long a used or revoked credential (a link, a session) is kept after its use, for the
/// answers that tell a reused one from an unknown one.
pub const USED_KEPT_HOURS: i64 = 24;
/// The most rows one statement removes in one run.
pub const MAX_ROWS: u32 = 5000;

/// The deletes of one housekeeping run as of `now`, each with its table, of every company or only of `company` (the
/// dev endpoint, so a test clears nothing of the others). Parameters: ?1 now, ?2 the end of
/// the keeping of used credentials, ?3 the retention's end, ?4 the company or NULL, ?5 the
/// row limit.
#[must_use]
pub fn statements(now: Time, company: Option<&CompanyId>) -> Vec<(&'static str, Statement)> {
    let used = Time(now.0 - chrono::Duration::hours(USED_KEPT_HOURS));
    let kept = Time(now.0 - chrono::Duration::days(RETENTION_DAYS));
    let users = "SELECT id FROM users WHERE company_id = ?4";
    let deletes: [(&'static str, &str, String); 9] = [
        (
            "refresh_tokens",
            "expires_at < ?1 OR used_at < ?2",
            format!("session_id IN (SELECT id FROM sessions WHERE user_id IN ({users}))"),
        ),
        (
            "sessions",
            "expires_at < ?1 OR revoked_at < ?2",
            format!("user_id IN ({users})"),
        ),
        (
            "link_tokens",
            "expires_at < ?1 OR used_at < ?2",
            format!(
                "user_id IN ({users}) OR invitation_id IN \
                 (SELECT id FROM company_invitations WHERE company_id = ?4)"
            ),
        ),
        (
            "login_failures",
            "window_start < ?2",
            "key IN (SELECT 'acct:' || email FROM users WHERE company_id = ?4)".to_owned(),
        ),
        (
            "delivery_attempts",
            "at < ?3",
            "delivery_id IN (SELECT id FROM deliveries WHERE company_id = ?4)".to_owned(),
        ),
        (
            "deliveries",
            "status <> 'pending' AND updated_at < ?3",
            "company_id = ?4".to_owned(),
        ),
        (
            "mails",
            "status IN ('sent', 'failed') AND created_at < ?3",
            "to_email IN (SELECT email FROM users WHERE company_id = ?4)".to_owned(),
        ),
        (
            "event_mails",
            "created_at < ?3",
            format!("user_id IN ({users})"),
        ),
        (
            "events",
            "consumed_at IS NOT NULL AND created_at < ?3",
            "company_id = ?4".to_owned(),
        ),
    ];
    deletes
        .iter()
        .map(|(table, expired, scope)| {
            let delete = Statement::new(
                format!(
                    "DELETE FROM {table} WHERE rowid IN (SELECT rowid FROM {table} \
                     WHERE ({expired}) AND (?4 IS NULL OR {scope}) LIMIT ?5)"
                ),
                &[&now, &used, &kept, &company, &MAX_ROWS],
            );
            (*table, delete)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_delete_names_its_table() {
        let now = Time(chrono::DateTime::UNIX_EPOCH);
        for (table, statement) in statements(now, None) {
            assert!(
                statement.sql.starts_with(&format!("DELETE FROM {table} ")),
                "{}",
                statement.sql
            );
        }
    }
}
