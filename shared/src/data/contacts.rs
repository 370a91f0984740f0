//! `contacts`: the business cards a company received, one per person of a partner (sending a
//! card again replaces it).

use serde::Deserialize;

use super::Db;
use crate::data::companies::CompanyOut;
use crate::ids::{CompanyId, ContactId, UserId};
use crate::platform::Json;
use crate::time::Time;
use crate::vcard::Card;
use crate::Result;

/// A received card with the company it came from.
#[derive(Debug, Deserialize)]
pub struct ContactRow {
    pub id: ContactId,
    pub user_id: UserId,
    pub card: Json<Card>,
    pub received_at: Time,
    pub company_id: CompanyId,
    pub company_name: String,
    pub company_handle: String,
    pub company_created_at: Time,
}

impl ContactRow {
    /// The company the card came from.
    #[must_use]
    pub fn from_company(&self) -> CompanyOut {
        CompanyOut {
            id: self.company_id.clone(),
            name: self.company_name.clone(),
            handle: self.company_handle.clone(),
            created_at: self.company_created_at,
        }
    }
}

const SELECT: &str = "SELECT k.id, k.user_id, k.card, k.received_at, c.id AS company_id, \
     c.name AS company_name, c.handle AS company_handle, c.created_at AS company_created_at \
     FROM contacts k JOIN companies c ON c.id = k.from_company_id WHERE k.owner_company_id = ?1";

/// A page of the viewer's contacts, newest first, optionally from one company.
///
/// # Errors
/// A database error.
pub async fn list(
    db: &Db,
    viewer: &CompanyId,
    from: Option<&CompanyId>,
    before: Option<&str>,
    fetch: u32,
) -> Result<Vec<ContactRow>> {
    db.all(
        &format!(
            "{SELECT} AND (?2 IS NULL OR k.from_company_id = ?2) \
             AND (?3 IS NULL OR k.id < ?3) ORDER BY k.id DESC LIMIT ?4"
        ),
        &[viewer, &from, &before, &fetch],
    )
    .await
}

/// One of the viewer's contacts.
///
/// # Errors
/// A database error.
pub async fn find(db: &Db, viewer: &CompanyId, id: &ContactId) -> Result<Option<ContactRow>> {
    db.first(&format!("{SELECT} AND k.id = ?2"), &[viewer, id])
        .await
}

/// Gives `owner` the card of `user` of `from` (replacing the one sent before); returns the
/// contact's id.
///
/// # Errors
/// A database error.
pub async fn put(
    db: &Db,
    owner: &CompanyId,
    user: &UserId,
    from: &CompanyId,
    card: &Card,
    now: Time,
) -> Result<Option<ContactId>> {
    #[derive(Deserialize)]
    struct Row {
        id: ContactId,
    }
    let row: Option<Row> = db
        .first(
            "INSERT INTO contacts (id, owner_company_id, user_id, from_company_id, card, received_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6) \
             ON CONFLICT (owner_company_id, user_id) DO UPDATE SET \
               card = excluded.card, received_at = excluded.received_at, \
               from_company_id = excluded.from_company_id \
             RETURNING id",
            &[
                &ContactId::new(now.0)?,
                owner,
                user,
                from,
                &Json(card.clone()),
                &now,
            ],
        )
        .await?;
    Ok(row.map(|r| r.id))
}
